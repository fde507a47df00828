package crosssell

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/products"
)

// nboBenchDatabase names a seeded database (ecrm seed --clients 1000000)
// for BenchmarkOffersCacheMiss; without it the benchmark is skipped.
const nboBenchDatabase = "ECRM_NBO_BENCH_DATABASE_URL"

// BenchmarkOffersCacheMiss: the next best offers of one client whose
// ranking is not cached — her profile, needs facts and features read,
// every product on sale priced and scored with the active models, the best
// three through the gate and recorded — for clients drawn at random from
// the seeded million. Target: p99 ≤ 30 ms.
func BenchmarkOffersCacheMiss(b *testing.B) {
	url := os.Getenv(nboBenchDatabase)
	if url == "" {
		b.Skip(nboBenchDatabase + " is not set")
	}
	ctx := context.Background()
	pool, err := pgdb.Open(ctx, url, 8)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	rows, err := pool.Query(ctx, `SELECT id FROM clients TABLESAMPLE SYSTEM (0.5) REPEATABLE (7) LIMIT 2000`)
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
	if err := rows.Err(); err != nil || len(ids) == 0 {
		b.Fatalf("%d clients: %v", len(ids), err)
	}
	gate := compliance.NewGate(compliance.NewFactsReader(pool), compliance.NewLog(pool).NewRecorder())
	engine := products.NewEngine(products.NewStore(pool))
	store := NewStore(pool)
	l := i18n.NewLocalizer(i18n.English)
	durations := make([]time.Duration, 0, b.N)
	shown := 0
	b.ResetTimer()
	// One arbiter, as serve has, its parsed models kept; the rankings'
	// cache emptied before every call, so each is a miss.
	a := NewArbiter(pool, engine, gate, store)
	for i := 0; i < b.N; i++ {
		a.cache.Purge()
		start := time.Now()
		set, err := a.Offers(ctx, webViewer(ids[i%len(ids)]), l)
		durations = append(durations, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		shown += len(set.Offers)
	}
	b.StopTimer()
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(durations[len(durations)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(shown)/float64(b.N), "shown/op")
}
