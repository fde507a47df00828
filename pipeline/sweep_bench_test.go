package pipeline

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// BenchmarkSweep100k: 100,000 open tasks past their deadline, assigned to
// 400 advisors, are marked overdue, each assignee told in the console and
// by e-mail (100,000 outbox rows and sending jobs). Target: under 10 s.
func BenchmarkSweep100k(b *testing.B) {
	pool := pgtest.New(b)
	ctx := context.Background()
	q, err := jobs.New(pool, nil, jobs.Config{})
	if err != nil {
		b.Fatal(err)
	}
	mail := outbox.New(pool, nil)
	mail.SetQueue(q)
	s := NewStore(pool, DefaultBusinessHours(time.UTC))
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if _, err := pool.Exec(ctx, `
TRUNCATE staff_notifications, tasks, outbox_messages, river_job, clients, staff_users CASCADE;
INSERT INTO staff_users (id, email, display_name, roles) SELECT g, 'advisor' || g || '@bank.test', 'Advisor ' || g, '{advisor}' FROM generate_series(1, 400) g;
INSERT INTO clients (id, given_name, family_name, advisor_id) SELECT g, 'Client', 'No ' || g, 1 + g % 400 FROM generate_series(1, 100000) g;
INSERT INTO tasks (client_id, title_en, title_ro, assignee_staff_id, due_at, escalate_at, created_at)
SELECT g, 'Call the client back', 'Sunați clientul înapoi', 1 + g % 400, TIMESTAMPTZ '2026-11-25 12:00Z' - interval '1 minute' * (g % 600),
       TIMESTAMPTZ '2026-11-26 12:00Z', TIMESTAMPTZ '2026-11-24 12:00Z'
FROM generate_series(1, 100000) g;
ANALYZE tasks;`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		res, err := s.Sweep(ctx, mail, "https://crm.test")
		if err != nil || res.Overdue != 100_000 {
			b.Fatalf("sweep: %+v %v", res, err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/sweep")
	}
}

// BenchmarkMyTasks: one advisor's open tasks among 1,000,000 tasks of 400
// advisors (2,500 each, a third of them done), through tasks_assignee_idx.
// Target for the page: p99 at most 30 ms.
func BenchmarkMyTasks(b *testing.B) {
	pool := pgtest.New(b)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
INSERT INTO staff_users (id, email, display_name, roles) SELECT g, 'advisor' || g || '@bank.test', 'Advisor ' || g, '{advisor}' FROM generate_series(1, 400) g;
INSERT INTO clients (id, given_name, family_name, advisor_id) SELECT g, 'Client', 'No ' || g, 1 + g % 400 FROM generate_series(1, 100000) g;
INSERT INTO tasks (client_id, title_en, title_ro, assignee_staff_id, due_at, escalate_at, created_at, status, completed_at)
SELECT 1 + g % 100000, 'Call the client back', 'Sunați clientul înapoi', 1 + g % 400, TIMESTAMPTZ '2026-11-25 12:00Z' + interval '1 minute' * (g % 20000),
       TIMESTAMPTZ '2026-12-25 12:00Z', TIMESTAMPTZ '2026-11-24 12:00Z',
       CASE WHEN g % 3 = 0 THEN 'done' ELSE 'open' END, CASE WHEN g % 3 = 0 THEN TIMESTAMPTZ '2026-11-25 12:00Z' END
FROM generate_series(1, 1000000) g;
ANALYZE tasks;`); err != nil {
		b.Fatal(err)
	}
	s := NewStore(pool, DefaultBusinessHours(time.UTC))
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		list, total, err := s.MyTasks(ctx, int64(1+i%400))
		if err != nil || len(list) != MaxTasksListed || total < 1600 {
			b.Fatalf("%d of %d tasks, %v", len(list), total, err)
		}
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(durations[len(durations)/2].Microseconds())/1000, "p50-ms")
}
