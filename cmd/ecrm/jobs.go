package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/insurance"
	"github.com/ecrm-project/ecrm/internal/identity"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/risk"
	"github.com/ecrm-project/ecrm/servicedesk"
)

// deleteExpiredSessionsArgs is the job removing expired sessions.
type deleteExpiredSessionsArgs struct{}

func (deleteExpiredSessionsArgs) Kind() string { return "identity.delete_expired_sessions" }

// newQueue registers every domain's jobs and returns the job queue serve
// starts: e-mail is sent from the outbox, overdue tasks are swept every
// minute, service requests past their deadline every five, sessions are cleaned every five
// minutes, offers expire every hour, every client's credit score is
// recomputed daily (and when serve starts), every client's propensities
// are rescored nightly in chunks that every serve process shares (and a
// run cut short resumes when serve starts), launched campaigns run in
// batches, short-term insurance policies near their end are reminded of
// hourly, and the offer log is checkpointed every
// ECRM_AUDIT_CHECKPOINT_EVERY when ECRM_AUDIT_KEY is set.
func newQueue(cfg config, log *slog.Logger, pool *pgxpool.Pool, sessions *identity.SessionStore, mail *outbox.Outbox, deals *pipeline.Store, desk *servicedesk.Desk, campaigns *crosssell.Campaigns, hedges *risk.HedgeDesk) (*jobs.Queue, error) {
	reg := jobs.NewRegistry()
	mail.Register(reg)
	campaigns.RegisterJobs(reg)
	deals.RegisterJobs(reg, mail, cfg.BaseURL)
	desk.RegisterJobs(reg)
	jobs.Handle(reg, func(ctx context.Context, _ *jobs.Job[deleteExpiredSessionsArgs]) error {
		n, err := sessions.DeleteExpired(ctx)
		if err != nil {
			return fmt.Errorf("delete expired sessions: %w", err)
		}
		if n > 0 {
			log.Debug("deleted expired sessions", "count", n)
		}
		return nil
	})
	jobs.Every(reg, "identity.delete_expired_sessions", 5*time.Minute, func() jobs.Args { return deleteExpiredSessionsArgs{} })
	var key ed25519.PrivateKey
	if cfg.AuditKey != "" {
		var err error
		if key, err = compliance.LoadSigningKey(cfg.AuditKey); err != nil {
			return nil, fmt.Errorf("ECRM_AUDIT_KEY: %w", err)
		}
	}
	compliance.RegisterJobs(reg, pool, key, cfg.AuditCheckpointEvery, log)
	risk.RegisterJobs(reg, pool, log.With("component", "credit_scores"))
	hedges.RegisterHedgeJobs(reg, log.With("component", "hedging"))
	renewals := insurance.NewRenewalReminders(pool, mail, cfg.BaseURL)
	renewals.SetZone(cfg.TimeZone)
	renewals.Days = cfg.RenewalReminderDays
	renewals.RegisterJobs(reg)
	batch := crosssell.NewBatch(crosssell.NewStore(pool), log.With("component", "propensities"))
	batch.RegisterJobs(reg)
	q, err := jobs.New(pool, reg, jobs.Config{Logger: log.With("component", "jobs")})
	if err != nil {
		return nil, err
	}
	batch.SetQueue(q)
	return q, nil
}
