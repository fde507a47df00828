package pgdb_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestApplicationRoleCannotChangeTheLog: what the server connects as may
// read and append to the offer log and do its work elsewhere, but may not
// update, delete or truncate the log, disable its triggers or turn
// triggers off for its session.
func TestApplicationRoleCannotChangeTheLog(t *testing.T) {
	ctx := context.Background()
	owner := pgtest.New(t)
	appURL, err := pgdb.AppURL(ctx, owner, owner.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(appURL, "://"+pgdb.AppRole+"@") {
		t.Fatalf("AppURL = %s", appURL)
	}
	app, err := pgdb.Open(ctx, appURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()

	allowed := []string{
		`SELECT count(*) FROM decision_records`,
		`SELECT seq FROM decision_chain_head FOR UPDATE`,
		`INSERT INTO staff_users (email, display_name, roles) VALUES ('x@bank.test', 'X', '{}')`,
		`UPDATE staff_users SET display_name = 'Y' WHERE email = 'x@bank.test'`,
		`DELETE FROM sessions`,
		`SELECT version_id FROM goose_db_version LIMIT 1`,
	}
	for _, q := range allowed {
		if _, err := app.Exec(ctx, q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	refused := []string{
		`UPDATE decision_records SET channel = 'x'`,
		`DELETE FROM decision_records`,
		`TRUNCATE decision_records`,
		`DELETE FROM decision_checkpoints`,
		`UPDATE compliance_reviews SET comment = 'x'`,
		`DELETE FROM staff_access_log`,
		`DELETE FROM decision_chain_head`,
		`UPDATE product_versions SET version = 2`,
		`ALTER TABLE decision_records DISABLE TRIGGER ALL`,
		`SET session_replication_role = replica`,
		`CREATE TABLE scratch (n int)`,
		`DELETE FROM goose_db_version`,
	}
	for _, q := range refused {
		_, err := app.Exec(ctx, q)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || (pgErr.Code != "42501" && pgErr.Code != "42809") {
			t.Errorf("%s: %v, want permission denied (42501)", q, err)
		}
	}

	if w, err := pgdb.RoleWarnings(ctx, app); err != nil || len(w) != 0 {
		t.Errorf("RoleWarnings(app) = %q, %v; want none", w, err)
	}
	w, err := pgdb.RoleWarnings(ctx, owner)
	if err != nil || len(w) != 1 || !strings.Contains(w[0], "a superuser, which can switch off the offer log's triggers") {
		t.Errorf("RoleWarnings(superuser) = %q, %v", w, err)
	}
}
