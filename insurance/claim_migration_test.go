package insurance

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/ecrm-project/ecrm/internal/pgtest"
	"github.com/ecrm-project/ecrm/migrations"
)

// TestMigrationMapsOldStatuses: migration 00048 applied to claims with
// the statuses before it (rolled back, rows written, applied again) gives
// each its new status — reported → received, assessing → in_review,
// closed with a payment → paid, closed without one → rejected with a
// reason, rejected keeps its status with a reason — keeps the renaming in
// the history, and rolls back again.
func TestMigrationMapsOldStatuses(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	src, err := fs.ReadFile(migrations.FS, "00048_claims.sql")
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, fstest.MapFS{"00048_claims.sql": {Data: src}}, goose.WithAllowOutofOrder(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.ApplyVersion(ctx, 48, false); err != nil {
		t.Fatalf("down: %v", err)
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO clients (id, given_name, family_name) VALUES (1, 'Ana', 'Popescu');
		INSERT INTO insurance_policies (id, client_id, policy_number, insurer, line, status, starts_on, ends_on, sum_insured, premium, currency, premium_frequency)
		VALUES (1, 1, 'P-1', 'Insurer', 'home', 'active', '2026-01-01', '2027-01-01', 10000, 100, 'RON', 'annual');
		INSERT INTO claims (id, policy_id, client_id, reference, incident_on, reported_at, description, claimed_amount, approved_amount, paid_amount, currency, status, updated_at) VALUES
		  (1, 1, 1, 'C-1', '2026-02-01', '2026-02-02', 'a', 100, NULL, NULL, 'RON', 'reported', '2026-02-02'),
		  (2, 1, 1, 'C-2', '2026-02-01', '2026-02-02', 'b', 100, NULL, NULL, 'RON', 'assessing', '2026-02-10'),
		  (3, 1, 1, 'C-3', '2026-02-01', '2026-02-02', 'c', 100, 90, 90, 'RON', 'closed', '2026-03-01'),
		  (4, 1, 1, 'C-4', '2026-02-01', '2026-02-02', 'd', 100, NULL, NULL, 'RON', 'closed', '2026-03-01'),
		  (5, 1, 1, 'C-5', '2026-02-01', '2026-02-02', 'e', 100, NULL, NULL, 'RON', 'rejected', '2026-03-01'),
		  (6, 1, 1, 'C-6', '2026-02-01', '2026-02-02', 'f', 100, 80, 80, 'RON', 'paid', '2026-03-01');`); err != nil {
		t.Fatal(err)
	}
	if _, err := p.ApplyVersion(ctx, 48, true); err != nil {
		t.Fatalf("up: %v", err)
	}
	rows, err := pool.Query(ctx, `SELECT k.status, k.rejection_reason IS NOT NULL,
		coalesce((SELECT h.from_status || '>' || h.to_status FROM claim_status_history h WHERE h.claim_id = k.id), '')
		FROM claims k ORDER BY k.id`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Status  string
		Reason  bool
		Renamed string
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		t.Fatal(err)
	}
	want := []row{{"received", false, "reported>received"}, {"in_review", false, "assessing>in_review"}, {"paid", false, "closed>paid"},
		{"rejected", true, "closed>rejected"}, {"rejected", true, ""}, {"paid", false, ""}}
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			t.Errorf("claim %d: %+v, want %+v", i+1, got, want)
			break
		}
	}
	if _, err := p.ApplyVersion(ctx, 48, false); err != nil {
		t.Fatalf("down again: %v", err)
	}
	if _, err := p.ApplyVersion(ctx, 48, true); err != nil {
		t.Fatalf("up again: %v", err)
	}
}
