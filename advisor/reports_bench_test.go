package advisor

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/pgtest"
	"github.com/ecrm-project/ecrm/pipeline"
)

// reportsBenchDatabase names a database to run BenchmarkReportsYear on
// instead of the generated one: a seeded database (`ecrm seed --clients
// 1000000`) to which TestLoadReportsBenchActivity added the year of deals,
// tasks and offers. Throwaway: the offers are written without their hash
// chain.
const reportsBenchDatabase = "ECRM_REPORTS_BENCH_DATABASE_URL"

// reportsBenchPeopleSQL: 400 advisors and 100,000 clients in four segments
// with the facts of a life stage, 250,000 accounts in RON and EUR (loans
// for a quarter of the clients) and 25,000 credit lines.
const reportsBenchPeopleSQL = `
INSERT INTO staff_users (id, email, display_name, roles) SELECT g, 'advisor' || g || '@bank.test', 'Advisor ' || g, '{advisor}' FROM generate_series(1, 400) g;
INSERT INTO clients (id, given_name, family_name, advisor_id, segment, birth_date, marital_status, dependants, employment_status)
SELECT g, 'Client', 'No ' || g, 1 + g % 400, (ARRAY['mass','emerging_affluent','affluent','private'])[1 + g % 4],
       CASE WHEN g % 20 <> 0 THEN DATE '1940-01-01' + (g * 37) % 25000 END,
       (ARRAY['single','married','partnership','divorced','widowed'])[1 + g % 5], g % 3,
       (ARRAY['employed','self_employed','retired','student','unemployed','homemaker'])[1 + g % 6]
FROM generate_series(1, 100000) g;
INSERT INTO accounts (client_id, kind, name, currency, balance, opened_on)
SELECT c, k.kind, k.kind, k.currency, (c * 13 % 10000) + 0.25, DATE '2015-01-01'
FROM generate_series(1, 100000) c CROSS JOIN (VALUES ('current', 'RON'), ('savings', 'EUR')) AS k(kind, currency);
INSERT INTO accounts (client_id, kind, name, currency, balance, opened_on)
SELECT c, 'loan', 'Loan', 'RON', -((c * 7) % 90000) - 1000.50, DATE '2020-01-01' FROM generate_series(4, 100000, 4) c;
INSERT INTO credit_lines (client_id, kind, lender, credit_limit, balance, currency, opened_on, status)
SELECT c, 'mortgage', 'This bank', 300000, (c * 11) % 250000, 'RON', DATE '2019-01-01', 'active' FROM generate_series(2, 100000, 4) c;
`

// reportsBenchActivitySQL: one year (16 November 2025 to 15 November
// 2026) of 200,000 closed deals and 1,000,000 tasks of 400 advisors, and
// 1,000,000 decision records (shown, blocked, interested, accepted,
// declined, expired) of 40 products and five engines, for clients 1 to
// 100,000.
const reportsBenchActivitySQL = `
INSERT INTO deals (pipeline_id, stage_id, client_id, title, amount, currency, source, owner_staff_id, status, lost_reason, created_at, updated_at, closed_at)
SELECT p.id, CASE WHEN g % 3 = 0 THEN lost.id ELSE won.id END, 1 + g % 100000, 'Deal', 1000 + g % 50000, 'RON',
       (ARRAY['web','branch','phone','campaign','offer_accepted','referral'])[1 + g % 6], 1 + g % 400,
       CASE WHEN g % 3 = 0 THEN 'lost' ELSE 'won' END, CASE WHEN g % 3 = 0 THEN 'Price' END,
       TIMESTAMPTZ '2025-11-01 10:00Z' + interval '150 seconds' * g, TIMESTAMPTZ '2025-11-01 10:00Z' + interval '150 seconds' * g,
       TIMESTAMPTZ '2025-11-02 10:00Z' + interval '150 seconds' * g
FROM generate_series(1, 200000) g, pipelines p
JOIN pipeline_stages won ON won.pipeline_id = p.id AND won.code = 'onboarded'
JOIN pipeline_stages lost ON lost.pipeline_id = p.id AND lost.code = 'lost'
WHERE p.code = 'sales';
INSERT INTO tasks (client_id, title_en, title_ro, assignee_staff_id, due_at, escalate_at, created_at, status, completed_at)
SELECT 1 + g % 100000, 'Call', 'Sunați', 1 + g % 400, TIMESTAMPTZ '2026-01-01 12:00Z' + interval '30 seconds' * g, TIMESTAMPTZ '2027-01-01 12:00Z',
       TIMESTAMPTZ '2025-12-31 12:00Z', CASE WHEN g % 3 = 0 THEN 'open' ELSE 'done' END,
       CASE WHEN g % 3 = 0 THEN NULL ELSE TIMESTAMPTZ '2026-01-01 12:00Z' + interval '30 seconds' * g + interval '1 day' * (g % 5 - 2) END
FROM generate_series(1, 1000000) g;
INSERT INTO products (id, code, name, line, kind, provider, currency)
SELECT 100000 + g, 'BENCH-' || g, 'Product ' || g, 'banking', 'loan', 'Bank', 'RON' FROM generate_series(1, 40) g;
INSERT INTO decision_records (seq, kind, refers_to, client_id, product_id, engine, engine_version, rule_version, channel, actor_kind,
                              outcome, body, recorded_at, prev_hash, hash)
SELECT g, CASE WHEN o IN ('shown', 'blocked') THEN 'offer_' || o ELSE 'response' END, CASE WHEN o IN ('shown', 'blocked') THEN NULL ELSE g - 1 END,
       1 + g % 100000, 100001 + g % 40,
       (ARRAY['products.matching','crosssell.nbo','crosssell.campaign','risk.hedging','insurance.programmes'])[1 + g % 5], 'v1', 'r1', 'web', 'system',
       o, '{}', TIMESTAMPTZ '2025-11-16 00:00Z' + interval '31 seconds' * g, decode(repeat('00', 32), 'hex'), decode(repeat('00', 32), 'hex')
FROM generate_series(1, 1000000) g,
     LATERAL (SELECT (ARRAY['shown','shown','shown','shown','blocked','blocked','interested','accepted','declined','expired'])[1 + g % 10] AS o) x;
`

// TestLoadReportsBenchActivity adds reportsBenchActivitySQL to the
// database named by ECRM_REPORTS_BENCH_DATABASE_URL; skipped without it.
func TestLoadReportsBenchActivity(t *testing.T) {
	url := os.Getenv(reportsBenchDatabase)
	if url == "" {
		t.Skip(reportsBenchDatabase + " is not set")
	}
	pool, err := pgdb.Open(context.Background(), url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(context.Background(), reportsBenchActivitySQL+"ANALYZE;"); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"deals", "tasks", "decision_records"} {
		if _, err := pool.Exec(context.Background(), "VACUUM "+table); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkReportsYear: every report of /console/reports over one year of
// 200,000 closed deals, 1,000,000 tasks and 1,000,000 offer records; the
// clients' reports over 100,000 clients and their 250,000 accounts (or,
// with ECRM_REPORTS_BENCH_DATABASE_URL, a seeded database's). Target: at
// most 1 s. Cases: the whole firm (compliance's scope), the whole firm in
// one segment, the whole firm with the ranking of every client (top=all),
// one advisor picked by compliance, and the advisor with the largest book
// reading her own.
func BenchmarkReportsYear(b *testing.B) {
	ctx := context.Background()
	var pool *pgxpool.Pool
	if url := os.Getenv(reportsBenchDatabase); url != "" {
		var err error
		if pool, err = pgdb.Open(ctx, url, 8); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(pool.Close)
	} else {
		pool = pgtest.New(b)
		if _, err := pool.Exec(ctx, reportsBenchPeopleSQL+reportsBenchActivitySQL+"ANALYZE;"); err != nil {
			b.Fatal(err)
		}
		// As autovacuum would, so that the reports read the indexes only.
		for _, table := range []string{"deals", "tasks", "decision_records", "clients", "accounts", "credit_lines"} {
			if _, err := pool.Exec(ctx, "VACUUM "+table); err != nil {
				b.Fatal(err)
			}
		}
	}
	var advisor int64
	if err := pool.QueryRow(ctx, `SELECT advisor_id FROM clients WHERE advisor_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`).Scan(&advisor); err != nil {
		b.Fatal(err)
	}
	f := newFixtureOn(b, pool)
	f.handler.SetPipeline(pipeline.NewStore(pool, pipeline.DefaultBusinessHours(time.UTC)))
	const year = "/console/reports?from=2025-11-15&to=2026-11-14"
	id := strconv.FormatInt(advisor, 10)
	for _, bb := range []struct{ name, path, as string }{
		{"firm", year, asCompliance},
		{"firm-segment", year + "&segment=affluent", asCompliance},
		{"firm-all-clients", year + "&top=all", asCompliance},
		{"advisor-picked", year + "&advisor=" + id, asCompliance},
		{"advisor", year, "staff:" + id + ":advisor"},
	} {
		b.Run(bb.name, func(b *testing.B) {
			durations := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				start := time.Now()
				w := f.do(b, request{path: bb.path, as: bb.as})
				durations = append(durations, time.Since(start))
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `<section class="report" aria-labelledby="report-top_clients"`) {
					b.Fatalf("status %d", w.Code)
				}
			}
			slices.Sort(durations)
			b.ReportMetric(float64(durations[len(durations)-1].Milliseconds()), "max-ms")
			b.ReportMetric(float64(durations[len(durations)/2].Milliseconds()), "p50-ms")
		})
	}
}
