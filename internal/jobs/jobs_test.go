package jobs_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

type tickArgs struct{}

func (tickArgs) Kind() string { return "test_tick" }

type noteArgs struct {
	Note string `json:"note"`
}

func (noteArgs) Kind() string { return "test_note" }

// TestPeriodicJobRunsOncePerPeriodAcrossProcesses: two queues on one
// database (two serve processes) schedule the same periodic job; it runs
// once per period — never twice in a period, never skipped.
func TestPeriodicJobRunsOncePerPeriodAcrossProcesses(t *testing.T) {
	pool := pgtest.New(t)
	var mu sync.Mutex
	runs := map[time.Time]int{} // period (as River's uniqueness cuts time) → runs
	const period = 2 * time.Second
	newQueue := func() *jobs.Queue {
		reg := jobs.NewRegistry()
		jobs.Handle(reg, func(ctx context.Context, job *jobs.Job[tickArgs]) error {
			mu.Lock()
			runs[job.CreatedAt.Truncate(period)]++
			mu.Unlock()
			return nil
		})
		jobs.Every(reg, "tick", period, func() jobs.Args { return tickArgs{} })
		q, err := jobs.New(pool, reg, jobs.Config{FetchPoll: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := newQueue(), newQueue()
	for _, q := range []*jobs.Queue{a, b} {
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Both run for a while; then one stops (a deploy) and the other goes
	// on alone: it takes over the schedule.
	time.Sleep(8 * time.Second)
	stop := func(q *jobs.Queue) {
		stop, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		if err := q.Stop(stop); err != nil {
			t.Error(err)
		}
	}
	stop(a)
	handover := time.Now()
	time.Sleep(8 * time.Second)
	stop(b)
	mu.Lock()
	defer mu.Unlock()
	total, after := 0, 0
	for p, n := range runs {
		total += n
		if n != 1 {
			t.Errorf("period %s ran %d times", p.Format(time.TimeOnly), n)
		}
		if p.After(handover) {
			after++
		}
	}
	// Leader election takes a few seconds at start; after it, a run every
	// period, through the handover.
	if total < 5 || after < 3 {
		t.Errorf("%d runs in 16 s of 2 s periods, %d after one process stopped: %v", total, after, runs)
	}
}

// TestJobsAreTransactionalAndRetried: a job inserted in a transaction that
// rolls back never runs; one that fails or panics is tried again, and the
// others keep running meanwhile.
func TestJobsAreTransactionalAndRetried(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	var attempts atomic.Int32
	done := make(chan string, 10)
	reg := jobs.NewRegistry()
	jobs.Handle(reg, func(ctx context.Context, job *jobs.Job[noteArgs]) error {
		switch job.Args.Note {
		case "flaky":
			switch attempts.Add(1) {
			case 1:
				return errors.New("first attempt fails")
			case 2:
				panic("second attempt panics")
			}
		}
		done <- job.Args.Note
		return nil
	})
	q, err := jobs.New(pool, reg, jobs.Config{FetchPoll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// Retries are scheduled seconds ahead; bring them forward.
	for _, note := range []string{"rolled back", "flaky", "kept"} {
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.InsertTx(ctx, tx, noteArgs{Note: note}); err != nil {
			t.Fatal(err)
		}
		if note == "rolled back" {
			tx.Rollback(ctx)
		} else if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := q.Start(runCtx); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(context.Background())
	got := map[string]bool{}
	deadline := time.After(30 * time.Second)
	for len(got) < 2 {
		select {
		case n := <-done:
			got[n] = true
		case <-time.After(200 * time.Millisecond):
			if _, err := pool.Exec(ctx, `UPDATE river_job SET scheduled_at = now() WHERE state = 'retryable'`); err != nil {
				t.Fatal(err)
			}
		case <-deadline:
			t.Fatalf("done %v after 30 s, %d attempts of the flaky job", got, attempts.Load())
		}
	}
	if !got["flaky"] || !got["kept"] || got["rolled back"] || attempts.Load() != 3 {
		t.Errorf("done %v with %d attempts of the flaky one", got, attempts.Load())
	}
	var errs int
	if err := pool.QueryRow(ctx, `SELECT coalesce(array_length(errors, 1), 0) FROM river_job WHERE args->>'note' = 'flaky'`).Scan(&errs); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		t.Fatal(err)
	}
	if errs != 2 {
		t.Errorf("the flaky job keeps %d errors, want 2 (the failure and the panic)", errs)
	}
}
