package advisor

import (
	"context"
	"net/http"
	"slices"
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
