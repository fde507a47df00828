package pgdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"runtime/debug"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/ecrm-project/ecrm/migrations"
)

// Migrator applies the embedded migrations with goose. A Postgres advisory
// lock serialises concurrent runs (several replicas starting at once, or
// test packages preparing their template in parallel).
type Migrator struct {
	pool     *pgxpool.Pool
	db       *sql.DB
	provider *goose.Provider
}

// NewMigrator wraps the pool for goose, which speaks database/sql.
func NewMigrator(pool *pgxpool.Pool) (*Migrator, error) {
	return NewMigratorFrom(pool, migrations.FS)
}

// NewMigratorFrom applies the migrations found in fsys; tests use it with
// migrations of their own.
func NewMigratorFrom(pool *pgxpool.Pool, fsys fs.FS) (*Migrator, error) {
	db := stdlib.OpenDBFromPool(pool)
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	// Migration numbers are handed out to branches worked in parallel,
	// which merge in any order: a database migrated with 00037 before the
	// branch of 00036 merged must still take 00036 (new tables of its
	// own), not refuse to start.
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker), goose.WithAllowOutofOrder(true))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return &Migrator{pool: pool, db: db, provider: p}, nil
}

// Close releases the database/sql handle (not the pool).
func (m *Migrator) Close() error { return m.db.Close() }

// Up applies every pending migration and returns the ones applied, then
// the job queue's (River's own, see migrateJobQueue).
func (m *Migrator) Up(ctx context.Context) ([]*goose.MigrationResult, error) {
	res, err := m.provider.Up(ctx)
	if err == nil {
		err = migrateJobQueue(ctx, m.pool)
	}
	var partial *goose.PartialError
	switch {
	case errors.As(err, &partial):
		return partial.Applied, fmt.Errorf("migration %s failed: %s — the database is left at the last migration that succeeded; fix the failing migration and run `ecrm migrate up` again",
			partial.Failed.Source.Path, shortError(partial.Err))
	case err != nil:
		return res, fmt.Errorf("apply migrations: %w", err)
	}
	return res, nil
}

// Down rolls back the most recent migration.
func (m *Migrator) Down(ctx context.Context) (*goose.MigrationResult, error) {
	return m.provider.Down(ctx)
}

// Status lists every migration with whether it is applied.
func (m *Migrator) Status(ctx context.Context) ([]*goose.MigrationStatus, error) {
	return m.provider.Status(ctx)
}

// Current reports the applied version and the newest embedded version;
// /readyz is ready only when they are equal. A migration merged after a
// higher number was applied is missing below the newest applied one: the
// applied version is then the last before it, so the database does not
// pass for current while a migration is missing.
func (m *Migrator) Current(ctx context.Context) (applied, latest int64, err error) {
	applied, latest, err = m.provider.GetVersions(ctx)
	if err != nil || applied != latest {
		return applied, latest, err
	}
	pending, err := m.provider.HasPending(ctx) // without the session lock, unlike Status
	if err != nil || !pending {
		return applied, latest, err
	}
	rows, err := m.pool.Query(ctx, `SELECT version_id FROM goose_db_version WHERE is_applied`)
	if err != nil {
		return 0, 0, err
	}
	done, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, 0, err
	}
	applied = 0
	for _, src := range m.provider.ListSources() {
		if !slices.Contains(done, src.Version) {
			break
		}
		applied = src.Version
	}
	return applied, latest, nil
}

// migrateJobQueue creates or updates the job queue's tables (internal/jobs
// is River: its own migrations, versioned in river_migration).
func migrateJobQueue(ctx context.Context, pool *pgxpool.Pool) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	return nil
}

// JobQueueSchemaVersion names the version of the job queue's tables:
// River's module version, which decides its migrations (test templates are
// keyed on it).
func JobQueueSchemaVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "github.com/riverqueue/river" {
				return d.Version
			}
		}
	}
	return "unknown"
}
