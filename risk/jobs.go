package risk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/jobs"
)

// refreshScoresArgs is the daily job rescoring every client, so that the
// stored scores follow the calendar (the window moves at each month's
// start) and any payment written without a rescore.
type refreshScoresArgs struct{}

func (refreshScoresArgs) Kind() string { return "risk.refresh_credit_scores" }

// ScoreRefreshEvery is how often every client's credit score is
// recomputed.
const ScoreRefreshEvery = 24 * time.Hour

// scoreRefreshTimeout bounds one run. A run takes about 15–30 s for a
// million clients (docs/benchmarks.md), more than a job's usual minute
// on a busy machine, so the job keeps its own deadline and stops early
// only when the queue itself stops.
const scoreRefreshTimeout = 30 * time.Minute

// RegisterJobs schedules the daily rescoring of every client
// (RefreshAllScores as of the day it runs; it uses two of the pool's
// connections).
func RegisterJobs(reg *jobs.Registry, pool *pgxpool.Pool, log *slog.Logger) {
	jobs.Handle(reg, func(ctx context.Context, _ *jobs.Job[refreshScoresArgs]) error {
		run, cancel := context.WithTimeout(context.WithoutCancel(ctx), scoreRefreshTimeout)
		defer cancel()
		stop := context.AfterFunc(ctx, func() {
			if errors.Is(ctx.Err(), context.Canceled) {
				cancel()
			}
		})
		defer stop()
		rep, err := RefreshAllScores(run, pool, time.Now())
		if err != nil {
			return fmt.Errorf("refresh credit scores: %w", err)
		}
		log.Info("credit scores refreshed", "clients", rep.Scored, "changed", rep.Changed, "removed", rep.Removed,
			"elapsed", rep.Elapsed.Round(time.Millisecond))
		return nil
	})
	jobs.Every(reg, "risk.refresh_credit_scores", ScoreRefreshEvery, func() jobs.Args { return refreshScoresArgs{} })
}
