package compliance

import (
	"context"
	"encoding/json"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/gctune"
	"github.com/jackc/pgx/v5/pgxpool"
)

// BenchmarkAppend records one offer per transaction (the latency an offer
// waits before it may be shown) and reports the p99 latency.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	gctune.Apply() // as serve runs
	log, _, f := newLog(b)
	rec := f.offer(1)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := log.Append(ctx, rec); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(float64(percentile(lat, 99).Microseconds()), "p99-µs")
}

func percentile(lat []time.Duration, p int) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat[len(lat)*p/100]
}

// BenchmarkAppendParallel: 8 concurrent writers, one record per
// transaction, all serialised on the chain head.
func BenchmarkAppendParallel(b *testing.B) {
	ctx := context.Background()
	log, _, f := newLog(b)
	rec := f.offer(1)
	b.SetParallelism(4) // 4 x GOMAXPROCS goroutines
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := log.Append(ctx, rec); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkAppendBatch records 50 offers per transaction (a page of offers,
// or several requests' records gathered together).
func BenchmarkAppendBatch(b *testing.B) {
	ctx := context.Background()
	log, _, f := newLog(b)
	const size = 50
	batch := make([]Record, size)
	for i := range batch {
		batch[i] = f.offer(i)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := log.Append(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*size)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkVerify walks a chain of 100,000 records, of two sizes: the
// fixture's offer (a 0.7 KB body) and a record as the matching engine
// writes it through the gate (3.4 KB: the body of a demo record, in
// testdata). Verifying reads every body and hashes it, so the rate
// follows the bodies' size.
func BenchmarkVerify(b *testing.B) {
	matching, err := os.ReadFile("testdata/matching_body.json")
	if err != nil {
		b.Fatal(err)
	}
	for _, kind := range []string{"fixture-0.7KB", "matching-3.4KB"} {
		b.Run(kind, func(b *testing.B) {
			ctx := context.Background()
			log, pool, f := newLog(b)
			const total, size = 100_000, MaxBatch
			batch := make([]Record, size)
			for i := range batch {
				batch[i] = f.offer(i)
			}
			if kind == "matching-3.4KB" {
				var body Body
				var raw struct {
					Inputs json.RawMessage `json:"inputs"`
				}
				if err := json.Unmarshal(matching, &body); err != nil {
					b.Fatal(err)
				}
				if err := json.Unmarshal(matching, &raw); err != nil {
					b.Fatal(err)
				}
				body.Inputs, body.RawInputs = nil, raw.Inputs
				for i := range batch {
					batch[i].Body = body
				}
			}
			benchVerify(b, ctx, log, pool, batch, total)
		})
	}
}

func benchVerify(b *testing.B, ctx context.Context, log *Log, pool *pgxpool.Pool, batch []Record, total int) {
	for i := 0; i < total/len(batch); i++ {
		if _, err := log.Append(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
	key := testKey(b)
	if _, err := log.Checkpoint(ctx, key); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE decision_records`); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		res, err := Verify(ctx, pool, pub(key), nil)
		if err != nil || !res.OK() || res.Records != int64(total) {
			b.Fatalf("Verify: %v %+v", err, res)
		}
	}
	b.ReportMetric(float64(b.N*total)/time.Since(start).Seconds(), "records/s")
}
