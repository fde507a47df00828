// Package jobs is ecrm's background work: a PostgreSQL job queue (River,
// https://riverqueue.com) shared by every domain. A job is a row written
// in the same transaction as the change that causes it (an e-mail for a
// saved profile change, say), so it exists exactly when the change does;
// it is worked by whichever `ecrm serve` process takes it first, retried
// with exponential backoff when it fails or panics, and kept with its
// errors for the admin's jobs page and the metrics. Periodic jobs
// (checkpoint signing, offer expiry, session cleanup) are scheduled by the
// one process elected leader and are unique per period, so with several
// processes on one database each runs once per period, never twice and
// never not at all.
//
// Domains register their workers on a Registry and insert jobs through
// the Queue; nothing else of River leaks into them.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// Args is a job's payload: JSON-encoded into the job row, with a Kind
// naming its worker.
type Args = river.JobArgs

// Job is a job being worked: its payload, attempt and id.
type Job[T Args] = river.Job[T]

// InsertOpts are the options a job's args may give for every insert of
// their kind, by a method InsertOpts() InsertOpts: the queue (Lane) they
// run in, and whether a job equal to one not yet finished is inserted at
// all (UniqueOpts{ByArgs: true}).
type InsertOpts = river.InsertOpts

// UniqueOpts say which jobs count as the same for InsertOpts.
type UniqueOpts = river.UniqueOpts

// Registry collects the workers and periodic jobs of every domain before
// the queue starts.
type Registry struct {
	workers  *river.Workers
	periodic []*river.PeriodicJob
	lanes    map[string]int
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{workers: river.NewWorkers()} }

// Handle registers the function that works jobs of T's kind.
func Handle[T Args](r *Registry, work func(ctx context.Context, job *Job[T]) error) {
	river.AddWorker(r.workers, river.WorkFunc(work))
}

// Lane declares a queue of its own, worked by at most workers jobs at a
// time in each process, for jobs whose args name it in InsertOpts: heavy
// work split into many jobs (a nightly rescoring of every client) then
// takes a bounded share of a process's cores and connections, and leaves
// the default queue's jobs (e-mail, sweeps) their own workers.
func Lane(r *Registry, name string, workers int) {
	if r.lanes == nil {
		r.lanes = map[string]int{}
	}
	r.lanes[name] = max(1, workers)
}

// Every schedules args every interval (and once when the leader starts,
// so a restart does not skip a period). The job is unique for the period:
// a leader elected mid-period does not run it a second time.
func Every(r *Registry, id string, interval time.Duration, args func() Args) {
	r.periodic = append(r.periodic, river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) {
			return args(), &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: interval}}
		}, &river.PeriodicJobOpts{ID: id, RunOnStart: true}))
}

// Queue inserts jobs and, once started, works them.
type Queue struct {
	client *river.Client[pgx.Tx]
}

// Config tunes the queue; zero values are River's defaults except where
// said.
type Config struct {
	// Workers is how many jobs one process works at once (default 10).
	Workers int
	// MaxAttempts is how many times a failing job is tried before it is
	// discarded and left for the admin (default 25, about three weeks of
	// exponential backoff).
	MaxAttempts int
	// FetchPoll is how often an idle process looks for new jobs when
	// notifications are not enough (default 1 s; tests shorten it).
	FetchPoll time.Duration
	Logger    *slog.Logger
}

// New returns a queue that works the registry's jobs on pool. A nil
// registry makes an insert-only queue (the seed, the tests that only
// check what was queued).
func New(pool *pgxpool.Pool, reg *Registry, cfg Config) (*Queue, error) {
	rc := &river.Config{Logger: cfg.Logger, MaxAttempts: cfg.MaxAttempts}
	if rc.Logger == nil {
		rc.Logger = slog.New(slog.DiscardHandler)
	}
	if reg != nil {
		rc.Workers = reg.workers
		rc.PeriodicJobs = reg.periodic
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max(1, cmpOr(cfg.Workers, 10))}}
		for name, n := range reg.lanes {
			rc.Queues[name] = river.QueueConfig{MaxWorkers: n}
		}
		if cfg.FetchPoll > 0 {
			rc.FetchPollInterval = cfg.FetchPoll
			rc.FetchCooldown = min(cfg.FetchPoll, 100*time.Millisecond)
		}
	}
	client, err := river.NewClient(riverpgxv5.New(pool), rc)
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &Queue{client: client}, nil
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// Start begins working jobs until ctx ends or Stop is called.
func (q *Queue) Start(ctx context.Context) error { return q.client.Start(ctx) }

// Stop lets running jobs finish (until ctx ends) and stops taking new ones.
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return q.client.StopAndCancel(context.Background())
	}
	return err
}

// InsertTx queues a job in tx: it exists if and only if tx commits.
func (q *Queue) InsertTx(ctx context.Context, tx pgx.Tx, args Args) error {
	_, err := q.client.InsertTx(ctx, tx, args, nil)
	if err != nil {
		return fmt.Errorf("queue %s job: %w", args.Kind(), err)
	}
	return nil
}

// Insert queues a job on its own.
func (q *Queue) Insert(ctx context.Context, args Args) error {
	_, err := q.client.Insert(ctx, args, nil)
	if err != nil {
		return fmt.Errorf("queue %s job: %w", args.Kind(), err)
	}
	return nil
}

// Cancel is returned by a worker for a job that must not be tried again
// (its subject is gone); the job is kept, cancelled, with the reason.
func Cancel(err error) error { return river.JobCancel(err) }

// States are the job states the jobs page and the metrics report.
var States = []string{
	string(rivertype.JobStateAvailable), string(rivertype.JobStateScheduled), string(rivertype.JobStateRunning),
	string(rivertype.JobStateRetryable), string(rivertype.JobStateCompleted), string(rivertype.JobStateDiscarded),
	string(rivertype.JobStateCancelled),
}

// InsertManyTx queues many jobs in tx with one COPY (a sweep that queues
// thousands of e-mails at once).
func (q *Queue) InsertManyTx(ctx context.Context, tx pgx.Tx, args []Args) error {
	if len(args) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		params[i] = river.InsertManyParams{Args: a}
	}
	if _, err := q.client.InsertManyFastTx(ctx, tx, params); err != nil {
		return fmt.Errorf("queue %d %s jobs: %w", len(args), args[0].Kind(), err)
	}
	return nil
}
