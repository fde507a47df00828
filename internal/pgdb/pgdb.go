// Package pgdb opens the PostgreSQL pool ecrm runs on, creates the database
// when it is missing, applies the embedded migrations and runs functions in
// transactions that retry serialization failures. Domain packages keep their
// own SQL; this package only owns the connection.
package pgdb

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	pgxdecimal "github.com/jackc/pgx-shopspring-decimal"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ParseURL checks a DATABASE_URL and returns a pool configuration with
// ecrm's defaults (decimal NUMERIC, statement cache, bounded pool). Its error
// says what to fix, because it is the first thing an operator sees.
func ParseURL(databaseURL string) (*pgxpool.Config, error) {
	if strings.TrimSpace(databaseURL) == "" {
		return nil, errors.New("DATABASE_URL is empty: set it to a PostgreSQL URL such as postgres://user@127.0.0.1:5432/ecrm?sslmode=disable")
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL is malformed (%s): expected postgres://user:password@host:port/dbname?sslmode=disable", redactParseError(err))
	}
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		RegisterTypes(conn.TypeMap())
		return nil
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	cfg.HealthCheckPeriod = 30 * time.Second
	return cfg, nil
}

// RegisterTypes makes NUMERIC scan into and encode from decimal.Decimal.
func RegisterTypes(m *pgtype.Map) { pgxdecimal.Register(m) }

// redactParseError keeps the parser's reason but never echoes a password.
func redactParseError(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return pe.Unwrap().Error()
	}
	msg := err.Error()
	if i := strings.Index(msg, "://"); i >= 0 {
		return "cannot parse connection string"
	}
	return msg
}

// Open connects to the database and pings it, so an unreachable server is
// reported at start rather than on the first request.
func Open(ctx context.Context, databaseURL string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := ParseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, unreachable(cfg.ConnConfig, err)
	}
	return pool, nil
}

func unreachable(cc *pgx.ConnConfig, err error) error {
	return fmt.Errorf("cannot reach PostgreSQL at %s:%d database %q as %q: %s — start PostgreSQL or set DATABASE_URL (make run finds or starts one for you)",
		cc.Host, cc.Port, cc.Database, cc.User, shortError(err))
}

// shortError reduces pgx's nested connect errors to their last reason.
func shortError(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Message
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		return msg[i+2:]
	}
	return msg
}

// EnsureDatabase creates the database named in databaseURL when it does not
// exist yet, connecting to the server's "postgres" maintenance database to do
// it. It reports whether it created the database.
func EnsureDatabase(ctx context.Context, databaseURL string) (bool, error) {
	cfg, err := ParseURL(databaseURL)
	if err != nil {
		return false, err
	}
	name := cfg.ConnConfig.Database
	if name == "" {
		return false, errors.New("DATABASE_URL names no database: add one, e.g. postgres://127.0.0.1:5432/ecrm")
	}
	admin, err := WithDatabase(databaseURL, "postgres")
	if err != nil {
		return false, err
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		acfg, _ := pgx.ParseConfig(admin)
		return false, unreachable(acfg, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return false, fmt.Errorf("look up database %q: %w", name, err)
	}
	if exists {
		return false, nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created meanwhile by another process
			return false, nil
		}
		return false, fmt.Errorf("create database %q: %s", name, shortError(err))
	}
	return true, nil
}

// WithDatabase returns databaseURL with its database name replaced.
func WithDatabase(databaseURL, database string) (string, error) {
	if _, err := ParseURL(databaseURL); err != nil {
		return "", err
	}
	if !strings.Contains(databaseURL, "://") {
		// keyword/value form: append; libpq takes the last dbname given.
		return databaseURL + " dbname=" + database, nil
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL is malformed: %s", err)
	}
	u.Path = "/" + database
	return u.String(), nil
}

// Transact runs fn in a transaction at the given isolation level, committing
// when fn returns nil and rolling back otherwise. A serialization failure or
// deadlock (SQLSTATE 40001, 40P01) reruns fn, up to a few times, as the
// PostgreSQL documentation advises for SERIALIZABLE transactions.
func Transact(ctx context.Context, pool *pgxpool.Pool, iso pgx.TxIsoLevel, fn func(pgx.Tx) error) error {
	const maxAttempts = 5
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: iso}, fn)
		if !isRetryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
	return fmt.Errorf("transaction failed after %d attempts: %w", maxAttempts, err)
}

func isRetryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// IsUniqueViolation reports whether err is a unique-constraint violation,
// optionally of the named constraint.
func IsUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && (constraint == "" || pgErr.ConstraintName == constraint)
}
