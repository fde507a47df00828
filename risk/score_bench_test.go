package risk

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// BenchmarkRefreshAllScores rescores every client of a seeded database
// (docs/benchmarks.md):
//
//	createdb ecrm_score_bench; DATABASE_URL=.../ecrm_score_bench bin/ecrm migrate up
//	DATABASE_URL=.../ecrm_score_bench bin/ecrm seed --clients 1000000 --seed 42 --as-of 2026-11-26
//	ECRM_SCORE_BENCH_URL=.../ecrm_score_bench go test ./risk -run '^$' -bench RefreshAllScores -benchtime 3x
//
// Unchanged is the daily run within a month (every score computed, none
// written); MonthChange alternates the as-of month, so every row changes,
// as on the first run of a month.
func BenchmarkRefreshAllScores(b *testing.B) {
	url := os.Getenv("ECRM_SCORE_BENCH_URL")
	if url == "" {
		b.Skip("ECRM_SCORE_BENCH_URL is not set")
	}
	ctx := context.Background()
	pool, err := pgdb.Open(ctx, url, 4)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	asOf := time.Date(2026, time.November, 26, 0, 0, 0, 0, time.UTC)
	report := func(b *testing.B, rep RefreshReport) {
		b.ReportMetric(float64(rep.Scored), "clients")
		b.ReportMetric(float64(rep.Changed), "changed")
		b.Logf("%+v", rep)
	}
	b.Run("Unchanged", func(b *testing.B) {
		if _, err := RefreshAllScores(ctx, pool, asOf); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			rep, err := RefreshAllScores(ctx, pool, asOf)
			if err != nil {
				b.Fatal(err)
			}
			report(b, rep)
		}
	})
	b.Run("MonthChange", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			rep, err := RefreshAllScores(ctx, pool, asOf.AddDate(0, i%2, 0))
			if err != nil {
				b.Fatal(err)
			}
			report(b, rep)
		}
		if i%2 == 1 {
			b.StopTimer()
			if _, err := RefreshAllScores(ctx, pool, asOf); err != nil {
				b.Fatal(err)
			}
		}
	})
}
