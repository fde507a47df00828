package demodata

import (
	"context"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestSeedTradesAgreeWithPositions: every position is its trades' net
// quantity, opened by a buy at its average cost on its opening day; sales
// come after it at the day's close; only brokerage accounts trade, never
// after AsOf; some clients trade in and out; and Ana's assessment is due
// for review but still within the gate's three years.
func TestSeedTradesAgreeWithPositions(t *testing.T) {
	pool := pgtest.New(t)
	seed(t, pool, Options{Clients: 150, Seed: 5})
	expectZero(t, pool, "positions whose trades do not net to their quantity", `
		SELECT count(*) FROM positions p
		WHERE p.quantity <> (SELECT coalesce(sum(CASE t.side WHEN 'buy' THEN t.quantity ELSE -t.quantity END), 0)
		                     FROM trades t WHERE t.account_id = p.account_id AND t.instrument_id = p.instrument_id)`)
	expectZero(t, pool, "positions not opened by a buy at their average cost on their opening day", `
		SELECT count(*) FROM positions p
		WHERE NOT EXISTS (SELECT 1 FROM trades t WHERE t.account_id = p.account_id AND t.instrument_id = p.instrument_id
		                  AND t.side = 'buy' AND t.price = p.average_cost AND (t.traded_at AT TIME ZONE 'UTC')::date = p.opened_on)`)
	expectZero(t, pool, "instruments traded in an account and not held, whose trades do not net to zero", `
		SELECT count(*) FROM (SELECT t.account_id, t.instrument_id FROM trades t
		    WHERE NOT EXISTS (SELECT 1 FROM positions p WHERE p.account_id = t.account_id AND p.instrument_id = t.instrument_id)
		    GROUP BY 1, 2 HAVING sum(CASE t.side WHEN 'buy' THEN t.quantity ELSE -t.quantity END) <> 0) x`)
	expectZero(t, pool, "sales on a day without a close, or at another price", `
		SELECT count(*) FROM trades t WHERE t.side = 'sell' AND NOT EXISTS (
		    SELECT 1 FROM instrument_prices p WHERE p.instrument_id = t.instrument_id
		    AND p.price_date = (t.traded_at AT TIME ZONE 'UTC')::date AND p.close = t.price)`)
	expectZero(t, pool, "trades outside brokerage accounts, of another client's account, after AsOf, in another currency or with fees under 5", `
		SELECT count(*) FROM trades t JOIN accounts a ON a.id = t.account_id JOIN instruments i ON i.id = t.instrument_id
		WHERE a.kind <> 'brokerage' OR a.client_id <> t.client_id OR t.traded_at >= $1::date + 1 OR t.currency <> i.currency OR t.fees < 5`, testAsOf)
	if n := queryInt(t, pool, `SELECT count(DISTINCT t.client_id) FROM trades t
		WHERE NOT EXISTS (SELECT 1 FROM positions p WHERE p.account_id = t.account_id AND p.instrument_id = t.instrument_id)`); n < 3 {
		t.Errorf("only %d clients traded in and out", n)
	}
	var age time.Duration
	if err := pool.QueryRow(context.Background(), `SELECT $2::timestamptz - max(assessed_at) FROM risk_assessments WHERE client_id = $1`,
		DemoClientID, testAsOf).Scan(&age); err != nil {
		t.Fatal(err)
	}
	if days := age.Hours() / 24; days < 2*366 || days > 3*365 {
		t.Errorf("Ana's assessment is %.0f days old, want between two and three years", days)
	}
}
