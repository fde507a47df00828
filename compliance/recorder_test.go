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

// While a transaction waits on the chain head, the callers arriving queue
// and are written together in the next one: 11 offers, 2 transactions.
func TestRecorderWritesWhatQueuedDuringATransactionAsOneGroup(t *testing.T) {
	ctx := context.Background()
	log, pool, f := newLog(t)
	rec := log.NewRecorder()
	defer rec.Close()
	holder, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	if _, err := holder.Exec(ctx, "SELECT 1 FROM decision_chain_head FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	const queued = 10
	seqs := make(chan int64, queued+1)
	errs := make(chan error, queued+1)
	appendOne := func(i int) {
		got, err := rec.Append(ctx, f.offer(i))
		if err == nil {
			seqs <- got[0].Seq
		}
		errs <- err
	}
	go appendOne(0) // the idle Recorder lets this caller write: it waits on the head
	waitFor(t, "the first transaction to start", func() bool { return rec.transactions.Load() == 1 })
	for i := 1; i <= queued; i++ {
		go appendOne(i)
	}
	waitFor(t, "the callers to queue", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.queue) == queued
	})
	if err := holder.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for i := 0; i <= queued; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	close(seqs)
	for s := range seqs {
		seen[s] = true
	}
	if got := rec.transactions.Load(); got != 2 {
		t.Errorf("%d transactions, want 2 (one alone, then the %d queued together)", got, queued)
	}
	for s := int64(1); s <= queued+1; s++ {
		if !seen[s] {
			t.Errorf("no caller got seq %d: %v", s, seen)
		}
	}
	if res := mustVerify(t, pool, testKey(t)); !res.OK() || res.Records != queued+1 {
		t.Fatalf("Verify: %d records: %v", res.Records, res.Problem)
	}
}

// Close lets the transaction in flight commit; what queued behind it
// fails with ErrRecorderClosed and is not written.
func TestRecorderCloseFailsWhatIsQueued(t *testing.T) {
	ctx := context.Background()
	log, pool, f := newLog(t)
	rec := log.NewRecorder()
	holder, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	if _, err := holder.Exec(ctx, "SELECT 1 FROM decision_chain_head FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() { _, err := rec.Append(ctx, f.offer(0)); first <- err }()
	waitFor(t, "the first transaction to start", func() bool { return rec.transactions.Load() == 1 })
	queuedErrs := make(chan error, 3)
	for i := 1; i <= 3; i++ {
		go func() { _, err := rec.Append(ctx, f.offer(i)); queuedErrs <- err }()
	}
	waitFor(t, "the callers to queue", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.queue) == 3
	})
	closed := make(chan struct{})
	go func() { rec.Close(); close(closed) }()
	waitFor(t, "Close to begin", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return rec.closed
	})
	if err := holder.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-first; err != nil {
		t.Fatalf("the transaction in flight: %v", err)
	}
	for i := 0; i < 3; i++ {
		if err := <-queuedErrs; !errors.Is(err, ErrRecorderClosed) {
			t.Errorf("queued Append: %v, want ErrRecorderClosed", err)
		}
	}
	<-closed
	if res := mustVerify(t, pool, testKey(t)); !res.OK() || res.Records != 1 {
		t.Fatalf("Verify: %d records, want 1: %v", res.Records, res.Problem)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
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
