package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestAuditVerifyCommand runs the operator's commands: make a key, append
// offers, sign a checkpoint, verify; then alter a record as a superuser
// would and see verify name it and exit non-zero.
func TestAuditVerifyCommand(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	pool, err := pgdb.Open(ctx, url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var clientID int64
	if err := pool.QueryRow(ctx, `INSERT INTO clients (given_name, family_name) VALUES ('Ana', 'Popescu') RETURNING id`).Scan(&clientID); err != nil {
		t.Fatal(err)
	}
	log := compliance.NewLog(pool)
	for i := 0; i < 5; i++ {
		_, err := log.Append(ctx, compliance.Record{
			Kind: compliance.KindOfferShown, ClientID: clientID, Engine: "products.matching", EngineVersion: "test",
			Channel: "web", Actor: compliance.Actor{Kind: compliance.ActorSystem}, Outcome: compliance.OutcomeShown,
			Body: compliance.Body{Reasons: []string{"Matches your 36-month term"}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"DATABASE_URL": url, "ECRM_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key")}
	if out, err := runCommand(t, env, "audit", "keygen"); err != nil || !strings.Contains(out, "key id") {
		t.Fatalf("keygen = %q, %v", out, err)
	}
	if out, err := runCommand(t, env, "audit", "checkpoint"); err != nil || !strings.HasPrefix(out, "checkpoint at record 5") {
		t.Fatalf("checkpoint = %q, %v", out, err)
	}
	if out, err := runCommand(t, env, "audit", "verify"); err != nil || !strings.HasPrefix(out, "ok: 5 records") {
		t.Fatalf("verify of an intact log = %q, %v", out, err)
	}
	if _, err := pool.Exec(ctx, `UPDATE decision_records SET outcome = 'declined' WHERE seq = 3`); err == nil {
		t.Fatal("UPDATE of a decision record succeeded")
	}
	// A superuser can switch the triggers off; verify still finds it.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE decision_records SET body = replace(body::text, 'Matches your', 'Forged for your')::json WHERE seq = 3`); err != nil {
		tx.Rollback(ctx)
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := runCommand(t, env, "audit", "verify")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code == 0 || !strings.Contains(out, "record 3 altered") {
		t.Fatalf("verify of a tampered log = %q, %v; want record 3 named and a non-zero exit", out, err)
	}
}
