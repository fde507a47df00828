package compliance

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRecorderGroupsConcurrentAppends(t *testing.T) {
	ctx := context.Background()
	log, pool, f := newLog(t)
	rec := log.NewRecorder()
	const writers, each = 16, 25
	var wg sync.WaitGroup
	var failed, ok atomic.Int64
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				r := f.offer(w*100 + i)
				bad := w == 3 && i == 7
				if bad {
					r.ClientID = 987654 // no such client: fails alone
				}
				got, err := rec.Append(ctx, r)
				switch {
				case bad && err == nil:
					t.Errorf("record for an unknown client was accepted")
				case bad:
					failed.Add(1)
				case err != nil:
					t.Errorf("Append: %v", err)
				case len(got) != 1 || got[0].Seq == 0:
					t.Errorf("Append returned %+v", got)
				default:
					ok.Add(1)
				}
			}
		}(w)
	}
	wg.Wait()
	rec.Close()
	if _, err := rec.Append(ctx, f.offer(0)); !errors.Is(err, ErrRecorderClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	key := testKey(t)
	if _, err := log.Checkpoint(ctx, key); err != nil {
		t.Fatal(err)
	}
	res := mustVerify(t, pool, key)
	if !res.OK() || res.Records != ok.Load() || failed.Load() != 1 {
		t.Fatalf("Verify: %d records (want %d), %d failed (want 1): %v", res.Records, ok.Load(), failed.Load(), res.Problem)
	}
}

// BenchmarkRecorderParallel: 64 concurrent requests, one offer each, as a
// busy portal would send them; group commit shares transactions.
func BenchmarkRecorderParallel(b *testing.B) {
	ctx := context.Background()
	log, _, f := newLog(b)
	rec := log.NewRecorder()
	defer rec.Close()
	r := f.offer(1)
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	b.SetParallelism(32) // 32 x GOMAXPROCS goroutines
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			if _, err := rec.Append(ctx, r); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(float64(percentile(lat, 99).Microseconds()), "p99-µs")
}

// BenchmarkRecorderSustained offers 2,500 records/s, open loop (each offer
// arrives on schedule whether or not earlier ones are done), and reports the
// latency each caller waited before it could show its offer.
func BenchmarkRecorderSustained(b *testing.B) {
	ctx := context.Background()
	log, _, f := newLog(b)
	rec := log.NewRecorder()
	defer rec.Close()
	r := f.offer(1)
	const rate = 2500
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if d := time.Until(start.Add(time.Duration(i) * time.Second / rate)); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			t0 := time.Now()
			if _, err := rec.Append(ctx, r); err != nil {
				b.Error(err)
			}
			lat[i] = time.Since(t0)
		}(i)
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(float64(percentile(lat, 50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(lat, 99).Microseconds()), "p99-µs")
}
