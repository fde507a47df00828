package products

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// storeScore writes a client's credit score as the risk package stores it
// (products does not compute scores; tests give the score risk's
// scorecard-v1 gives the fixture, worked out by hand).
func storeScore(t *testing.T, pool *pgxpool.Pool, clientID int64, score int) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `INSERT INTO credit_scores (client_id, score, scorecard_version, factors, as_of)
		VALUES ($1, $2, 'scorecard-v1', '[]', date_trunc('month', current_date))
		ON CONFLICT (client_id) DO UPDATE SET score = excluded.score`, clientID, score); err != nil {
		t.Fatal(err)
	}
}

// TestLoadProfileReadsTheStoredScore: the profile carries the score risk
// stored; without a row (no credit file) it is the thin-file 650, even
// when payments were written without the score being refreshed — products
// reads, it does not compute.
func TestLoadProfileReadsTheStoredScore(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	id := newClient(t, pool, 40, "42000", "EUR", "affluent", repeat("late_60", 3), 0)
	p, err := LoadProfile(ctx, pool, id)
	if err != nil || p.CreditScore != 650 || NoCreditFileScore != 650 {
		t.Fatalf("without a stored score: %d %v", p.CreditScore, err)
	}
	storeScore(t, pool, id, 545)
	if p, err = LoadProfile(ctx, pool, id); err != nil || p.CreditScore != 545 {
		t.Fatalf("with a stored score of 545: %d %v", p.CreditScore, err)
	}
	if p := ProspectProfileOf(nil); p.CreditScore != 650 {
		t.Errorf("prospect: %d", p.CreditScore)
	}
}
