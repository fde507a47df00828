package compliance

import (
	"context"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/gctune"
)

// benchGate is a gate on a database with the demo catalogue and one
// consenting, assessed client. The contact policy is the default one: the
// same offer repeated is soon blocked by it, and recorded all the same.
func benchGate(b *testing.B, recorder bool) (*gateEnv, Presentation) {
	gctune.Apply() // as serve runs
	e := newGateEnv(b)
	if recorder {
		rec := NewLog(e.pool).NewRecorder()
		b.Cleanup(rec.Close)
		e.gate = NewGate(NewFactsReader(e.pool), rec)
	}
	e.gate.Now = time.Now
	// Every showing records: what is measured is a new presentation.
	e.gate.PresentationWindow = 0
	return e, e.presentation(e.clientID, "LOAN-EUR-PERS")
}

// BenchmarkGatePresentOne: the gate's checks and the record of one offer,
// one presentation at a time (the latency a client's offer waits before
// it may be shown): facts read in one round trip, one append transaction.
// "recorder" is the path serve takes (group commit, idle so each offer is
// written at once); "log" appends directly.
func BenchmarkGatePresentOne(b *testing.B) {
	for _, viaRecorder := range []bool{false, true} {
		name := "log"
		if viaRecorder {
			name = "recorder"
		}
		b.Run(name, func(b *testing.B) {
			// A request's context, as an HTTP handler has: pgx watches
			// a context that can end.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			e, p := benchGate(b, viaRecorder)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, err := e.gate.Present(ctx, p); err != nil {
					b.Fatalf("present: %v", err)
				}
				lat = append(lat, time.Since(t0))
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
			b.ReportMetric(float64(percentile(lat, 50).Microseconds()), "p50-µs")
			b.ReportMetric(float64(percentile(lat, 99).Microseconds()), "p99-µs")
		})
	}
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
			if _, err := e.gate.Present(ctx, p); err != nil {
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

// BenchmarkFactsRead: what the gate reads about a client, one round trip.
func BenchmarkFactsRead(b *testing.B) {
	ctx := context.Background()
	e, p := benchGate(b, false)
	reader := NewFactsReader(e.pool)
	ids := []int64{p.Offers[0].Product.ID}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := reader.Read(ctx, e.clientID, "web", ids, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluate: the eight checks of one offer, in process, from the
// facts already read.
func BenchmarkEvaluate(b *testing.B) {
	ctx := context.Background()
	e, p := benchGate(b, false)
	facts, err := NewFactsReader(e.pool).Read(ctx, e.clientID, "web", []int64{p.Offers[0].Product.ID}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if v := Evaluate(facts, p, p.Offers[0], now); len(v.Checks) != len(CheckNames) {
			b.Fatal("checks missing")
		}
	}
}
