package crosssell

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// DemoModelsReason is the reason the demo's models are activated with.
const DemoModelsReason = "demo data: trained and activated by ecrm dev so the demo's offers are scored"

// SeedDemoModels trains the propensity models of the demo history (every
// family with enough take-ups, as `ecrm model train --all` does) and
// activates them, so that the demo's next best offers are scored by
// models with their reasons from the first page. It returns the versions.
func SeedDemoModels(ctx context.Context, pool *pgxpool.Pool, asOf time.Time, by string) ([]string, error) {
	run, err := TrainHistory(ctx, pool, HistoryOptions{AsOf: asOf})
	if err != nil {
		return nil, fmt.Errorf("demo models: %w", err)
	}
	store := NewStore(pool)
	var versions []string
	for _, t := range run.Trained {
		version, err := store.Save(ctx, NewVersion{Family: t.Family, Source: SourceHistory, SourceName: run.Window(),
			TrainedBy: by, Trained: t, Rows: t.Metrics.Train.Rows + t.Metrics.Holdout.Rows})
		if err != nil {
			return nil, fmt.Errorf("demo models: %w", err)
		}
		if _, err := store.Activate(ctx, version, by, DemoModelsReason); err != nil {
			return nil, fmt.Errorf("demo models: %w", err)
		}
		versions = append(versions, version)
	}
	return versions, nil
}
