package compliance

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/jobs"
)

// expireOffersArgs is the hourly job recording the expiry of offers nobody
// answered within their validity. It looks back a week, so a service that
// was down catches up.
type expireOffersArgs struct{}

func (expireOffersArgs) Kind() string { return "compliance.expire_offers" }

// checkpointArgs is the job signing the offer log's chain head, so that an
// alteration of anything before it is detectable even by someone who
// recomputes the hashes.
type checkpointArgs struct{}

func (checkpointArgs) Kind() string { return "compliance.checkpoint" }

// RegisterJobs schedules the offer log's periodic jobs: offer expiry every
// hour and, when a signing key is given, a checkpoint every
// checkpointEvery (a head that has not moved since the last checkpoint is
// not signed again).
func RegisterJobs(reg *jobs.Registry, pool *pgxpool.Pool, key ed25519.PrivateKey, checkpointEvery time.Duration, log *slog.Logger) {
	offerLog := NewLog(pool)
	jobs.Handle(reg, func(ctx context.Context, _ *jobs.Job[expireOffersArgs]) error {
		n, err := offerLog.ExpireOffers(ctx, time.Now(), 7*24*time.Hour)
		if err != nil {
			return fmt.Errorf("expire offers: %w", err)
		}
		if n > 0 {
			log.Info("offers expired", "count", n)
		}
		return nil
	})
	jobs.Every(reg, "compliance.expire_offers", time.Hour, func() jobs.Args { return expireOffersArgs{} })
	if key == nil {
		return
	}
	jobs.Handle(reg, func(ctx context.Context, _ *jobs.Job[checkpointArgs]) error {
		var head, last int64
		err := pool.QueryRow(ctx, `SELECT (SELECT seq FROM decision_chain_head), (SELECT coalesce(max(seq), 0) FROM decision_checkpoints)`).Scan(&head, &last)
		if err != nil {
			return fmt.Errorf("offer log checkpoint: %w", err)
		}
		if head <= last {
			return nil
		}
		cp, err := offerLog.Checkpoint(ctx, key)
		if err != nil {
			return fmt.Errorf("offer log checkpoint: %w", err)
		}
		log.Info("offer log checkpoint signed", "seq", cp.Seq, "key_id", cp.KeyID)
		return nil
	})
	jobs.Every(reg, "compliance.checkpoint", checkpointEvery, func() jobs.Args { return checkpointArgs{} })
}
