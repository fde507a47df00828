package risk

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/pgtest"
	"github.com/ecrm-project/ecrm/products"
)

// TestScorecardV1: the points of the scorecard, worked out by hand.
func TestScorecardV1(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    CreditCounts
		want int
	}{
		{"ThinFile", CreditCounts{}, 650},
		{"LineWithoutPayments", CreditCounts{Lines: 1}, 680},
		{"TwoYearsOnTime", CreditCounts{Lines: 1, OnTime: 24}, 752},
		{"OnTimeBonusCapped", CreditCounts{Lines: 3, OnTime: 72}, 800},
		{"SomeLatePayments", CreditCounts{Lines: 1, OnTime: 10, Late30: 2, Late60: 1}, 625},
		{"Arrears", CreditCounts{Lines: 1, OnTime: 10, Late90Plus: 1, Defaulted: 1}, 470},
		{"WrittenOffFloor", CreditCounts{Lines: 2, Defaulted: 3, BadLines: 2}, 300},
		{"Ceiling", CreditCounts{Lines: 1, OnTime: 200}, 800},
	} {
		if got := Score(tc.c); got.Score != tc.want || got.Version != "scorecard-v1" {
			t.Errorf("%s: Score(%+v) = %d %s, want %d", tc.name, tc.c, got.Score, got.Version, tc.want)
		}
	}
	got := Score(CreditCounts{Lines: 1, OnTime: 50, Late30: 1})
	if f, _ := json.Marshal(got.Factors); string(f) != `[{"factor":"base","points":680},{"factor":"on_time","count":50,"points":120},{"factor":"late_30","count":1,"points":-20}]` {
		t.Errorf("factors: %s", f)
	}
	if f, _ := json.Marshal(Score(CreditCounts{}).Factors); string(f) != `[{"factor":"thin_file","points":650}]` {
		t.Errorf("thin file factors: %s", f)
	}
	// products, below risk, falls back to the thin-file score for a
	// client without a stored score; the two must agree.
	if products.NoCreditFileScore != ThinFileScore {
		t.Errorf("products.NoCreditFileScore %d, risk.ThinFileScore %d", products.NoCreditFileScore, ThinFileScore)
	}
}

// scoreFixture: client 1 paid on time the 24 months Nov 2024–Oct 2026 and
// was 60 days late in Oct 2024; client 2 has a card opened in Jan 2025,
// paid on time until Mar 2026, then 30, 60, 90 days late, in default in
// Jul and Aug 2026 and written off; client 3 has no credit file (but a
// stale stored score).
func scoreFixture(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), `
INSERT INTO clients (id, given_name, family_name) VALUES (1, 'Ana', 'Popescu'), (2, 'Ion', 'Ionescu'), (3, 'Dan', 'Dinu');
INSERT INTO credit_lines (id, client_id, kind, lender, credit_limit, balance, currency, opened_on, status) VALUES
  (11, 1, 'mortgage', 'This bank', 100000, 80000, 'RON', '2023-01-10', 'active'),
  (21, 2, 'credit_card', 'Other Bank', 5000, 5000, 'RON', '2025-01-05', 'written_off');
INSERT INTO credit_payments (credit_line_id, client_id, period, amount_due, amount_paid, currency, status)
SELECT 11, 1, m::date, 900, 900, 'RON', CASE WHEN m < '2024-11-01' THEN 'late_60' ELSE 'on_time' END
FROM generate_series('2024-10-01'::date, '2026-10-01'::date, interval '1 month') m;
INSERT INTO credit_payments (credit_line_id, client_id, period, amount_due, amount_paid, currency, status)
SELECT 21, 2, m::date, 100, 100, 'RON', CASE m::date WHEN '2026-04-01' THEN 'late_30' WHEN '2026-05-01' THEN 'late_60'
  WHEN '2026-06-01' THEN 'late_90_plus' WHEN '2026-07-01' THEN 'default' WHEN '2026-08-01' THEN 'default' ELSE 'on_time' END
FROM generate_series('2025-01-01'::date, '2026-08-01'::date, interval '1 month') m;
INSERT INTO credit_scores (client_id, score, scorecard_version, factors, as_of) VALUES (3, 700, 'scorecard-v1', '[]', '2026-10-01');
`); err != nil {
		t.Fatal(err)
	}
	return pool
}

var scoreAsOf = time.Date(2026, time.November, 15, 0, 0, 0, 0, time.UTC)

func storedScores(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT client_id, score, scorecard_version, factors::text, as_of FROM credit_scores ORDER BY client_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id int64
		var score int
		var version, factors string
		var asOf time.Time
		if err := rows.Scan(&id, &score, &version, &factors, &asOf); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d %d %s %s %s\n", id, score, version, asOf.Format(time.DateOnly), factors)
	}
	return b.String()
}

// TestRefreshAllScores: every client with a credit file is scored as of
// November 2026 (its window Nov 2024–Nov 2026), the stale row of a client
// without one goes, and a second run writes nothing.
//
//	client 1: 680 + 24 on time ×3 = 752 (Oct 2024's late payment is out)
//	client 2: 680 + 15×3 − 20 − 45 − 90 − 2×150 − 200 = 70, floor 300
func TestRefreshAllScores(t *testing.T) {
	ctx := context.Background()
	pool := scoreFixture(t)
	rep, err := RefreshAllScores(ctx, pool, scoreAsOf)
	if err != nil || rep.Scored != 2 || rep.Changed != 2 || rep.Removed != 1 {
		t.Fatalf("first refresh: %+v %v", rep, err)
	}
	want := `1 752 scorecard-v1 2026-11-01 [{"factor": "base", "points": 680}, {"count": 24, "factor": "on_time", "points": 72}]
2 300 scorecard-v1 2026-11-01 [{"factor": "base", "points": 680}, {"count": 15, "factor": "on_time", "points": 45}, {"count": 1, "factor": "late_30", "points": -20}, {"count": 1, "factor": "late_60", "points": -45}, {"count": 1, "factor": "late_90_plus", "points": -90}, {"count": 2, "factor": "default", "points": -300}, {"count": 1, "factor": "bad_lines", "points": -200}]
`
	if got := storedScores(t, pool); got != want {
		t.Errorf("stored:\n%s\nwant:\n%s", got, want)
	}
	if rep, err := RefreshAllScores(ctx, pool, scoreAsOf); err != nil || rep.Scored != 2 || rep.Changed != 0 || rep.Removed != 0 {
		t.Errorf("second refresh: %+v %v", rep, err)
	}
	// A month earlier, client 1's window reaches Oct 2024: 680 + 72 − 45.
	if _, err := RefreshAllScores(ctx, pool, scoreAsOf.AddDate(0, -1, 0)); err != nil {
		t.Fatal(err)
	}
	if p, err := products.LoadProfile(ctx, pool, 1); err != nil || p.CreditScore != 707 {
		t.Errorf("client 1 as of October: %d %v", p.CreditScore, err)
	}
	if p, err := products.LoadProfile(ctx, pool, 3); err != nil || p.CreditScore != 650 {
		t.Errorf("client 3, no credit file: %d %v", p.CreditScore, err)
	}
}

// TestRefreshScores: a few clients rescored in a transaction; the set
// agrees with the history's month for every month of client 2's slide.
func TestRefreshScores(t *testing.T) {
	ctx := context.Background()
	pool := scoreFixture(t)
	if err := RefreshScores(ctx, pool, scoreAsOf, 1, 3); err != nil {
		t.Fatal(err)
	}
	if got := storedScores(t, pool); !strings.HasPrefix(got, "1 752 ") || strings.Count(got, "\n") != 1 {
		t.Errorf("after refreshing 1 and 3:\n%s", got)
	}
	for _, tc := range []struct {
		month string
		want  int
	}{
		{"2024-12", 0},   // the card is not open yet: no credit file, no row
		{"2025-01", 683}, // one payment on time
		{"2026-03", 725}, // 15 on time
		{"2026-04", 705}, // − 20
		{"2026-05", 660}, // − 45
		{"2026-06", 570}, // − 90
		{"2026-07", 300}, // − 150 and the line in default since July: 220, floor 300
	} {
		m, _ := time.Parse("2006-01", tc.month)
		if err := RefreshScores(ctx, pool, m.AddDate(0, 0, 20), 2); err != nil {
			t.Fatal(err)
		}
		s, err := LoadStoredScore(ctx, pool, 2)
		if tc.want == 0 {
			if err != nil || s != nil {
				t.Errorf("%s: stored %+v %v, want none", tc.month, s, err)
			}
			continue
		}
		if err != nil || s == nil || s.Score != tc.want || !s.AsOf.Equal(m) {
			t.Errorf("%s: stored %+v %v, want %d", tc.month, s, err, tc.want)
		}
	}
}

// TestScoreHistory: client 2's score at each month-end Dec 2024–Nov 2026,
// the same figures as the stored ones above, and its factors now.
func TestScoreHistory(t *testing.T) {
	ctx := context.Background()
	pool := scoreFixture(t)
	h, err := LoadScoreHistory(ctx, pool, 2, scoreAsOf)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range h.Months {
		got = append(got, fmt.Sprintf("%s:%d", m.Month.Format("2006-01"), m.Score))
	}
	want := "2024-12:650 2025-01:683 2025-02:686 2025-03:689 2025-04:692 2025-05:695 2025-06:698 2025-07:701 2025-08:704 2025-09:707 " +
		"2025-10:710 2025-11:713 2025-12:716 2026-01:719 2026-02:722 2026-03:725 2026-04:705 2026-05:660 2026-06:570 2026-07:300 " +
		"2026-08:300 2026-09:300 2026-10:300 2026-11:300"
	if strings.Join(got, " ") != want {
		t.Errorf("history:\n%s\nwant:\n%s", strings.Join(got, " "), want)
	}
	if f, _ := json.Marshal(h.Current); string(f) != `{"score":300,"version":"scorecard-v1","factors":[{"factor":"base","points":680},{"factor":"on_time","count":15,"points":45},{"factor":"late_30","count":1,"points":-20},{"factor":"late_60","count":1,"points":-45},{"factor":"late_90_plus","count":1,"points":-90},{"factor":"default","count":2,"points":-300},{"factor":"bad_lines","count":1,"points":-200}]}` {
		t.Errorf("current: %s", f)
	}
	h, err = LoadScoreHistory(ctx, pool, 1, scoreAsOf)
	if err != nil || len(h.Months) != 24 || h.Months[0].Score != 641 || h.Months[22].Score != 707 || h.Current.Score != 752 {
		t.Errorf("client 1: %+v %v", h, err)
	}
	h, err = LoadScoreHistory(ctx, pool, 3, scoreAsOf)
	if err != nil || h.Current.Score != 650 || h.Months[0].Score != 650 || h.Current.Factors[0].Factor != FactorThinFile {
		t.Errorf("client 3: %+v %v", h, err)
	}
}

// TestBureauImportRescores: an import rescores its clients in its
// transaction. Client 7's card: on time in Sep 2026, 30 days late in Oct
// (November's row is refused): 680 + 3 − 20 = 663 as of November; then
// December's on-time month: 666.
func TestBureauImportRescores(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := pool.Exec(ctx, `INSERT INTO clients (id, given_name, family_name) VALUES (7, 'Ana', 'Popescu')`); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadBureauCSV(strings.NewReader(bureauCSV))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := importBureau(ctx, pool, rows, scoreAsOf); err != nil {
		t.Fatal(err)
	}
	if s, err := LoadStoredScore(ctx, pool, 7); err != nil || s == nil || s.Score != 663 {
		t.Fatalf("after the import: %+v %v", s, err)
	}
	js, err := ReadBureauJSON(strings.NewReader(`[{"client_id": 7, "lender": "Banca Carpatica", "reference": "CC-99", "kind": "credit_card", "currency": "RON",
		"credit_limit": "5000.00", "balance": "1250.00", "opened_on": "2024-03-10", "period": "2026-12", "amount_due": "62.50", "amount_paid": "62.50",
		"status": "on_time", "line_status": "active"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := importBureau(ctx, pool, js, scoreAsOf.AddDate(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	if p, err := products.LoadProfile(ctx, pool, 7); err != nil || p.CreditScore != 666 {
		t.Errorf("eligibility after December: %d %v", p.CreditScore, err)
	}
}
