package insurance

import (
	"context"
	"slices"
	"testing"
	"time"
)

// BenchmarkSelect21: programme selection for a complete response asking
// for every line — the 21 demo programmes underwritten, rated, ranked and
// bundled, with the one query that checks the versions in force — with
// its p50 and p99 (target: p99 at most 10 ms).
func BenchmarkSelect21(b *testing.B) {
	s, _ := demoSelector(b)
	a := completeAnswers()
	ctx := context.Background()
	if sel, err := s.Select(ctx, a, asOf); err != nil || len(sel.Candidates) != 21 {
		b.Fatalf("%v, %v", sel, err)
	}
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		start := time.Now()
		if _, err := s.Select(ctx, a, asOf); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	reportPercentiles(b, lat)
}

// BenchmarkSelect21InProcess: the same without the version check's
// query: the engine alone.
func BenchmarkSelect21InProcess(b *testing.B) {
	s, _ := demoSelector(b)
	progs, err := s.current(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	a := completeAnswers()
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		start := time.Now()
		if _, err := selectAmong(progs, a, asOf); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	reportPercentiles(b, lat)
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	at := func(p int) time.Duration { return lat[min(len(lat)-1, len(lat)*p/100)] }
	b.ReportMetric(float64(at(50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(at(99).Microseconds()), "p99-µs")
}
