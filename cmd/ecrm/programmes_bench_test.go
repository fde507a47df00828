package main

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/products"
	"github.com/ecrm-project/ecrm/risk"
)

// BenchmarkOffersWithProgrammes: the next best offers of an assessed
// client whose ranking is not cached, with and without the targeted
// programmes (her profile read, her behaviour measured over three years
// of closes, the rules run), for assessed clients drawn from a seeded
// database (ECRM_NBO_BENCH_DATABASE_URL, as BenchmarkOffersCacheMiss).
// The difference is what programmes add to a ranking. Each client is
// ranked once, so every ranking is a miss: run with -benchtime Nx, N at
// most the number of assessed clients drawn (500).
func BenchmarkOffersWithProgrammes(b *testing.B) {
	url := os.Getenv("ECRM_NBO_BENCH_DATABASE_URL")
	if url == "" {
		b.Skip("ECRM_NBO_BENCH_DATABASE_URL is not set")
	}
	ctx := context.Background()
	pool, err := pgdb.Open(ctx, url, 8)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	rows, err := pool.Query(ctx, `SELECT DISTINCT client_id FROM risk_assessments WHERE assessed_at > now() - interval '3 years' ORDER BY 1 LIMIT 500`)
	if err != nil {
		b.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	if rows.Err() != nil || len(ids) == 0 {
		b.Fatalf("%d assessed clients: %v", len(ids), rows.Err())
	}
	l := i18n.NewLocalizer(i18n.English)
	for _, withProgrammes := range []bool{false, true} {
		name := "without"
		if withProgrammes {
			name = "with"
		}
		b.Run(name, func(b *testing.B) {
			gate := compliance.NewGate(compliance.NewFactsReader(pool), compliance.NewLog(pool).NewRecorder())
			a := crosssell.NewArbiter(pool, products.NewEngine(products.NewStore(pool)), gate, crosssell.NewStore(pool))
			if withProgrammes {
				a.SetProgrammes(programmeSource{risk.NewSuitability(pool, risk.DefaultMaxAge)})
			}
			if b.N > len(ids) {
				b.Fatalf("%d rankings of %d clients: some would come from the cache", b.N, len(ids))
			}
			durations := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// The staff's view, which presents nothing: the ranking
				// alone.
				start := time.Now()
				if _, err := a.Ranking(ctx, ids[i], "branch", l); err != nil {
					b.Fatal(err)
				}
				durations = append(durations, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(durations)
			b.ReportMetric(float64(durations[len(durations)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(durations[len(durations)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
