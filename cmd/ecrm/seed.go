package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/insurance"
	"github.com/ecrm-project/ecrm/internal/demodata"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/products"
	"github.com/ecrm-project/ecrm/risk"
	"github.com/ecrm-project/ecrm/servicedesk"
)

// demoClients is the population make run loads into an empty database.
const demoClients = 1000

func seedCommand(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	clients := fs.Int("clients", demoClients, "number of synthetic clients to write")
	seed := fs.Int64("seed", 1, "random seed: the same seed, size and --as-of give the same data")
	asOf := fs.String("as-of", "", "the data set's today, YYYY-MM-DD (default: today)")
	reset := fs.Bool("reset", false, "replace the data already in the database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("seed: unexpected argument %q", fs.Arg(0))
	}
	if *clients < 1 || *clients > 50_000_000 {
		return fmt.Errorf("seed: --clients must be between 1 and 50000000, got %d", *clients)
	}
	day := time.Now().UTC()
	if *asOf != "" {
		var err error
		if day, err = time.Parse(time.DateOnly, *asOf); err != nil {
			return fmt.Errorf("seed: --as-of %q is not a date YYYY-MM-DD", *asOf)
		}
	}
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, 4)
	if err != nil {
		return err
	}
	defer pool.Close()
	rep, err := demodata.Seed(ctx, pool, demodata.Options{Clients: *clients, Seed: *seed, AsOf: day, Reset: *reset, Log: log})
	if err != nil {
		return err
	}
	if err := refreshScores(ctx, pool, log, day); err != nil {
		return err
	}
	// --reset empties the catalogue too (versions point at staff users);
	// the demo catalogue goes back in when it is empty.
	if err := products.LoadDemoCatalogue(ctx, pool); err != nil {
		return fmt.Errorf("load demo product catalogue: %w", err)
	}
	if err := insurance.ImportJourneyQuestionnaires(ctx, insurance.NewStore(pool)); err != nil {
		return fmt.Errorf("insurance questionnaires: %w", err)
	}
	if err := insurance.LoadDemoProgrammes(ctx, pool); err != nil {
		return fmt.Errorf("load demo insurance programmes: %w", err)
	}
	if _, err := pipeline.SeedDemo(ctx, pool, cfg.BusinessHours, day, demodata.DemoAdvisorEmail, uint64(*seed)); err != nil {
		return fmt.Errorf("load demo deals: %w", err)
	}
	if err := seedDemoDesk(ctx, pool, day, cfg.BusinessHours); err != nil {
		return err
	}
	if err := seedDemoPolicies(ctx, pool, log, day); err != nil {
		return err
	}
	if err := seedDemoCampaign(ctx, pool, log, day, cfg.BaseURL); err != nil {
		return err
	}
	printReport(stdout, rep)
	return nil
}

func seedDemoIfEmpty(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, now time.Time, hours pipeline.BusinessHours, baseURL string) error {
	if err := products.LoadDemoCatalogue(ctx, pool); err != nil {
		return fmt.Errorf("load demo product catalogue: %w", err)
	}
	if err := insurance.ImportJourneyQuestionnaires(ctx, insurance.NewStore(pool)); err != nil {
		return fmt.Errorf("insurance questionnaires: %w", err)
	}
	// The insurance programmes, their rules and rating tables: written
	// when new or changed (idempotent), so an existing database gets them.
	if err := insurance.LoadDemoProgrammes(ctx, pool); err != nil {
		return fmt.Errorf("load demo insurance programmes: %w", err)
	}
	empty, err := demodata.IsEmpty(ctx, pool)
	if err != nil {
		return err
	}
	if !empty {
		// A database loaded before the service centre (or campaigns)
		// existed gets its queues and demo conversation (and the demo
		// campaign) too.
		if err := seedDemoDesk(ctx, pool, now, hours); err != nil {
			return err
		}
		if err := seedDemoPolicies(ctx, pool, log, now); err != nil {
			return err
		}
		return seedDemoCampaign(ctx, pool, log, now, baseURL)
	}
	log.Info("database is empty: loading demo data", "clients", demoClients)
	rep, err := demodata.Seed(ctx, pool, demodata.Options{Clients: demoClients, Seed: 1, AsOf: now, Log: log})
	if err != nil {
		return fmt.Errorf("load demo data: %w", err)
	}
	log.Info("demo data loaded", "elapsed", rep.Elapsed.Round(time.Millisecond))
	// The eligibility rules read stored credit scores: score everyone
	// before the first offer is matched.
	if err := refreshScores(ctx, pool, log, now); err != nil {
		return err
	}
	// Years of past offers, through the same gate and chain as live ones,
	// so the compliance console and its statistics have data at once.
	if _, err := compliance.SeedDemoHistory(ctx, pool, compliance.DemoHistoryOptions{AsOf: now, Seed: 1, Log: log}); err != nil {
		return fmt.Errorf("load demo offer history: %w", err)
	}
	deals, err := pipeline.SeedDemo(ctx, pool, hours, now, demodata.DemoAdvisorEmail, 1)
	if err != nil {
		return fmt.Errorf("load demo deals: %w", err)
	}
	log.Info("demo deals loaded", "deals", deals)
	// Propensity models learned from the demo's own history, active, so
	// that the offers the demo shows are scored (ecrm model list).
	models, err := crosssell.SeedDemoModels(ctx, pool, now, "ecrm dev")
	if err != nil {
		return err
	}
	log.Info("demo propensity models trained and activated", "versions", models)
	// Journeys for the insurance analytics page (some completed, some
	// left in the middle of a section).
	journeys, err := insurance.SeedDemoJourneys(ctx, pool, now)
	if err != nil {
		return fmt.Errorf("load demo insurance journeys: %w", err)
	}
	log.Info("demo insurance journeys loaded", "journeys", journeys)
	if err := seedDemoDesk(ctx, pool, now, hours); err != nil {
		return err
	}
	if err := seedDemoPolicies(ctx, pool, log, now); err != nil {
		return err
	}
	return seedDemoCampaign(ctx, pool, log, now, baseURL)
}

// seedDemoPolicies gives the demo client her one-month trip bought online,
// ending about a week after the demo's today, so renewal can be tried
// (once; insurance.SeedDemoPolicies).
func seedDemoPolicies(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, now time.Time) error {
	journeys, err := insurance.NewJourneys(pool)
	if err != nil {
		return err
	}
	id, err := insurance.SeedDemoPolicies(ctx, pool, journeys, demodata.DemoClientEmail, now)
	if err != nil {
		return err
	}
	if id != 0 {
		log.Info("demo travel policy near its end", "policy", id)
	}
	return nil
}

// seedDemoCampaign runs the demo advisor's finished e-mail campaign with
// its clients' answers (crosssell.SeedDemoCampaign), once, through the
// gate and the outbox like any campaign; its e-mails are sent (or held)
// by the job queue once serve runs.
func seedDemoCampaign(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, now time.Time, baseURL string) error {
	q, err := jobs.New(pool, nil, jobs.Config{})
	if err != nil {
		return err
	}
	mail := outbox.New(pool, nil)
	mail.SetQueue(q)
	offerLog := compliance.NewLog(pool)
	offerLog.Now = func() time.Time { return now }
	gate := compliance.NewGate(compliance.NewFactsReader(pool), offerLog)
	gate.Now = offerLog.Now
	arbiter := crosssell.NewArbiter(pool, products.NewEngine(products.NewStore(pool)), gate, crosssell.NewStore(pool))
	arbiter.Now = offerLog.Now
	campaigns := crosssell.NewCampaigns(pool, arbiter)
	campaigns.Now = offerLog.Now
	campaigns.SetRunner(q, mail, baseURL)
	portal := compliance.NewPortal(pool)
	portal.SetNow(offerLog.Now)
	id, err := crosssell.SeedDemoCampaign(ctx, campaigns, portal, demodata.DemoAdvisorEmail)
	if err != nil {
		return fmt.Errorf("load demo campaign: %w", err)
	}
	if id != 0 {
		log.Info("demo campaign run", "campaign", id)
	}
	return nil
}

// seedDemoDesk staffs the service centre's queues and gives the demo
// client a conversation with her advisor (once).
func seedDemoDesk(ctx context.Context, pool *pgxpool.Pool, now time.Time, hours pipeline.BusinessHours) error {
	desk := servicedesk.New(pool, nil, hours, servicedesk.DefaultConfig())
	if err := servicedesk.SeedDemo(ctx, pool, desk, now, demodata.DemoClientEmail, demodata.DemoAdvisorEmail, demodata.DemoComplianceEmail); err != nil {
		return fmt.Errorf("load demo service requests: %w", err)
	}
	return nil
}

// refreshScores stores every client's credit score as of the data's
// today (risk.RefreshAllScores; it takes two of the pool's connections),
// and the hedging rules' verdict on every holding, which the advisor's
// 360 shows (the queue keeps them up to date as prices move).
func refreshScores(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, asOf time.Time) error {
	rep, err := risk.RefreshAllScores(ctx, pool, asOf)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	log.Info("credit scores stored", "clients", rep.Scored, "changed", rep.Changed, "removed", rep.Removed,
		"elapsed", rep.Elapsed.Round(time.Millisecond))
	hedges, err := risk.NewHedgeDesk(pool, nil, nil, nil).ReevaluateTriggers(ctx, nil, 0, asOf)
	if err != nil {
		return fmt.Errorf("seed: hedging rules: %w", err)
	}
	log.Info("hedging rules applied", "holders", hedges.Holders, "holdings", hedges.Holdings, "flagged", hedges.Triggered,
		"elapsed", hedges.Elapsed.Round(time.Millisecond))
	return nil
}

func printReport(w io.Writer, rep demodata.Report) {
	tables := make([]string, 0, len(rep.Rows))
	var total int64
	for t, n := range rep.Rows {
		tables = append(tables, t)
		total += n
	}
	sort.Strings(tables)
	for _, t := range tables {
		fmt.Fprintf(w, "%-24s %12d rows\n", t, rep.Rows[t])
	}
	fmt.Fprintf(w, "%-24s %12d rows in %s\n", "total", total, rep.Elapsed.Round(time.Millisecond))
}
