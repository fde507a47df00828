package advisor

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/pgtest"
	"github.com/ecrm-project/ecrm/pipeline"
)

// BenchmarkMyTasksPage: GET /console/tasks, rendered, for one of 400
// advisors among 1,000,000 tasks (about 1,670 open each, the 200 most
// urgent listed). Target: p99 at most 30 ms.
func BenchmarkMyTasksPage(b *testing.B) {
	pool := pgtest.New(b)
	if _, err := pool.Exec(context.Background(), `
INSERT INTO staff_users (id, email, display_name, roles) SELECT g, 'advisor' || g || '@bank.test', 'Advisor ' || g, '{advisor}' FROM generate_series(1, 400) g;
INSERT INTO clients (id, given_name, family_name, advisor_id) SELECT g, 'Client', 'No ' || g, 1 + g % 400 FROM generate_series(1, 100000) g;
INSERT INTO tasks (client_id, title_en, title_ro, assignee_staff_id, due_at, escalate_at, created_at, status, completed_at)
SELECT 1 + g % 100000, 'Call the client back', 'Sunați clientul înapoi', 1 + g % 400, TIMESTAMPTZ '2026-11-15 12:00Z' + interval '1 minute' * (g % 20000),
       TIMESTAMPTZ '2026-12-25 12:00Z', TIMESTAMPTZ '2026-11-14 12:00Z',
       CASE WHEN g % 3 = 0 THEN 'done' ELSE 'open' END, CASE WHEN g % 3 = 0 THEN TIMESTAMPTZ '2026-11-15 12:00Z' END
FROM generate_series(1, 1000000) g;
ANALYZE tasks;`); err != nil {
		b.Fatal(err)
	}
	f := newFixtureOn(b, pool)
	f.handler.SetPipeline(pipeline.NewStore(pool, pipeline.DefaultBusinessHours(time.UTC)))
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		w := f.do(b, request{path: "/console/tasks", as: "staff:" + itoa(int64(1+i%400)) + ":advisor"})
		durations = append(durations, time.Since(start))
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
	b.StopTimer()
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(durations[len(durations)/2].Microseconds())/1000, "p50-ms")
}

// BenchmarkReportsYear: every report over one year of 200,000 closed deals
// and 1,000,000 tasks, for the whole firm (compliance's scope). Target: at
// most 1 s.
func BenchmarkReportsYear(b *testing.B) {
	pool := pgtest.New(b)
	if _, err := pool.Exec(context.Background(), `
INSERT INTO staff_users (id, email, display_name, roles) SELECT g, 'advisor' || g || '@bank.test', 'Advisor ' || g, '{advisor}' FROM generate_series(1, 400) g;
INSERT INTO clients (id, given_name, family_name, advisor_id, segment) SELECT g, 'Client', 'No ' || g, 1 + g % 400,
  (ARRAY['mass','emerging_affluent','affluent','private'])[1 + g % 4] FROM generate_series(1, 100000) g;
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
       CASE WHEN g % 3 = 0 THEN NULL ELSE TIMESTAMPTZ '2026-01-01 12:00Z' + interval '30 seconds' * g END
FROM generate_series(1, 1000000) g;
ANALYZE;`); err != nil {
		b.Fatal(err)
	}
	// As autovacuum would, so that the reports read the indexes only.
	for _, table := range []string{"deals", "tasks"} {
		if _, err := pool.Exec(context.Background(), "VACUUM "+table); err != nil {
			b.Fatal(err)
		}
	}
	f := newFixtureOn(b, pool)
	f.handler.SetPipeline(pipeline.NewStore(pool, pipeline.DefaultBusinessHours(time.UTC)))
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		w := f.do(b, request{path: "/console/reports?from=2025-11-15&to=2026-11-14", as: asCompliance})
		durations = append(durations, time.Since(start))
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "2026-10") {
			b.Fatalf("status %d", w.Code)
		}
	}
	b.StopTimer()
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)-1].Milliseconds()), "max-ms")
	b.ReportMetric(float64(durations[len(durations)/2].Milliseconds()), "p50-ms")
}
