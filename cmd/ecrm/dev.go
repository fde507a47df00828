package main

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// dev prepares a development or demo database and serves: it creates the
// database when missing, applies migrations and loads demo data when the
// database holds none. make run calls it.
func dev(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout io.Writer) error {
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = "postgres://postgres@127.0.0.1:5432/ecrm?sslmode=disable"
	}
	created, err := pgdb.EnsureDatabase(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	if created {
		log.Info("created database")
	}
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, 4)
	if err != nil {
		return err
	}
	m, err := pgdb.NewMigrator(pool)
	if err != nil {
		pool.Close()
		return err
	}
	res, err := m.Up(ctx)
	m.Close()
	if err != nil {
		pool.Close()
		return err
	}
	for _, r := range res {
		log.Info("applied migration", "file", r.Source.Path)
	}
	err = seedDemoIfEmpty(ctx, pool, log, time.Now())
	pool.Close()
	if err != nil {
		return err
	}
	return serve(ctx, cfg, log, stdout)
}
