package compliance

import (
	"context"
	"testing"
	"time"
)

// benchGate is a gate on a database with the demo catalogue and one
// consenting, assessed client; the contact policy is opened up so that
// repeated offers keep being shown (and recorded) as in production.
func benchGate(b *testing.B, recorder bool) (*gateEnv, Presentation) {
	e := newGateEnv(b)
	e.exec(`UPDATE contact_policies SET max_offers_per_product = 1000000000`)
	if recorder {
		rec := NewLog(e.pool).NewRecorder()
		b.Cleanup(rec.Close)
		e.gate = NewGate(NewFactsReader(e.pool), rec)
	}
	e.gate.Now = time.Now
	return e, e.presentation(e.clientID, "LOAN-EUR-PERS")
}

// BenchmarkGatePresentOne: the gate's checks and the record of one offer,
// one presentation at a time (the latency a client's offer waits before
// it may be shown): facts read in one round trip, one append transaction.
func BenchmarkGatePresentOne(b *testing.B) {
	ctx := context.Background()
	e, p := benchGate(b, false)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		v, err := e.gate.Present(ctx, p)
		if err != nil || !v[0].Shown {
			b.Fatalf("present: %v %+v", err, v)
		}
		lat = append(lat, time.Since(t0))
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(float64(percentile(lat, 50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(lat, 99).Microseconds()), "p99-µs")
}

// BenchmarkGatePresentConcurrent: 32 concurrent presentations of one
// offer each, recorded through the group-commit Recorder: the sustained
// rate of decision records with the chain intact.
func BenchmarkGatePresentConcurrent(b *testing.B) {
	ctx := context.Background()
	e, p := benchGate(b, true)
	b.SetParallelism(16) // 16 x GOMAXPROCS goroutines
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if v, err := e.gate.Present(ctx, p); err != nil || !v[0].Shown {
				b.Errorf("present: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	b.StopTimer()
	if res := mustVerify(b, e.pool, testKey(b)); !res.OK() {
		b.Fatalf("chain broken: %v", res.Problem)
	}
}
