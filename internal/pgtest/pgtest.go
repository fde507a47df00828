// Package pgtest gives each test its own PostgreSQL database, created from a
// template that holds the migrated schema, and drops it when the test ends.
// Creating from a template takes a fraction of a second, so tests and test
// packages run in parallel without seeing each other's rows.
//
// The server is the one DATABASE_URL points at (make test finds or starts
// one); without it, the local server on 127.0.0.1:5432 is used.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/migrations"
)

const defaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL is the URL of the test server's maintenance database.
func ServerURL() string {
	u := os.Getenv("DATABASE_URL")
	if u == "" {
		u = defaultURL
	}
	admin, err := pgdb.WithDatabase(u, "postgres")
	if err != nil {
		panic("pgtest: " + err.Error())
	}
	return admin
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// New returns a pool on a new, migrated, empty database that is dropped when
// the test ends.
func New(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	url := NewURL(tb)
	ctx := context.Background()
	pool, err := pgdb.Open(ctx, url, 8)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(pool.Close) // registered after the drop, so it runs first
	return pool
}

// NewURL creates a new migrated database and returns its URL; it is dropped
// when the test ends. Use it when the code under test opens its own pool.
func NewURL(tb testing.TB) string {
	tb.Helper()
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate() })
	if templateErr != nil {
		tb.Fatalf("pgtest: prepare template database: %v", templateErr)
	}
	ctx := context.Background()
	name := "ecrm_test_" + sanitize(tb.Name()) + "_" + randomSuffix()
	admin := connectAdmin(tb)
	defer admin.Close(ctx)
	if err := createFromTemplate(ctx, admin, name, templateName); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	tb.Cleanup(func() { drop(tb, name) })
	url, err := pgdb.WithDatabase(ServerURL(), name)
	if err != nil {
		tb.Fatal(err)
	}
	return url
}

// AppURL returns the URL of the same database for the application role
// (pgdb.AppRole): what the server connects as, with least privilege. The
// test server trusts local connections, so no password is needed.
func AppURL(tb testing.TB, databaseURL string) string {
	tb.Helper()
	u, err := url.Parse(databaseURL)
	if err != nil {
		tb.Fatal(err)
	}
	u.User = url.User(pgdb.AppRole)
	return u.String()
}

func connectAdmin(tb testing.TB) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), ServerURL())
	if err != nil {
		tb.Fatalf("pgtest: cannot reach PostgreSQL (%v); run the tests with `make test`, which finds or starts a server, or set DATABASE_URL", err)
	}
	return conn
}

func createFromTemplate(ctx context.Context, admin *pgx.Conn, name, template string) error {
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		_, err = admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
			pgx.Identifier{name}.Sanitize(), pgx.Identifier{template}.Sanitize()))
		var pgErr *pgconn.PgError
		// 55006: the template is briefly in use by a concurrent CREATE.
		if errors.As(err, &pgErr) && pgErr.Code == "55006" {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		// 3D000: a run of another checkout, with other migrations, dropped
		// the template as stale; make it again.
		if errors.As(err, &pgErr) && pgErr.Code == "3D000" {
			if _, err = ensureTemplate(); err != nil {
				return err
			}
			continue
		}
		return err
	}
	return err
}

func drop(tb testing.TB, name string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		tb.Errorf("pgtest: drop %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		tb.Errorf("pgtest: drop %s: %v", name, err)
	}
}

// ensureTemplate creates (once per server and schema) a database holding the
// migrated schema. Its name carries a hash of the migration files, so a
// changed migration gets a new template. An advisory lock keeps parallel test
// packages from building it twice.
func ensureTemplate() (string, error) {
	ctx := context.Background()
	hash, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "ecrm_template_" + hash
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		return "", fmt.Errorf("cannot reach PostgreSQL (%v); run the tests with `make test` or set DATABASE_URL", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7283451)"); err != nil {
		return "", err
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(7283451)")

	// The application role (migration 00016) may log in, so tests can
	// serve as it (AppURL); done under the lock, as ALTER ROLE from two
	// packages at once fails with "tuple concurrently updated".
	defer conn.Exec(ctx, `DO $$ BEGIN
		IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'ecrm_app' AND NOT rolcanlogin) THEN ALTER ROLE ecrm_app LOGIN; END IF;
	END $$`)

	var ready bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&ready)
	if err != nil || ready {
		return name, err
	}
	dropStaleTemplates(ctx, conn)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	url, err := pgdb.WithDatabase(ServerURL(), name)
	if err != nil {
		return "", err
	}
	pool, err := pgdb.Open(ctx, url, 2)
	if err != nil {
		return "", err
	}
	m, err := pgdb.NewMigrator(pool)
	if err == nil {
		_, err = m.Up(ctx)
		m.Close()
	}
	pool.Close()
	if err != nil {
		return "", err
	}
	// Marked as a template only once complete: a crash half-way leaves an
	// unmarked database that the next run rebuilds.
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH is_template true"); err != nil {
		return "", err
	}
	// The creation time lets other runs tell a stale template from one a
	// concurrent run (another checkout) is using.
	if _, err := conn.Exec(ctx, fmt.Sprintf("COMMENT ON DATABASE %s IS 'ecrm test template %d'", pgx.Identifier{name}.Sanitize(), time.Now().Unix())); err != nil {
		return "", err
	}
	return name, nil
}

// dropStaleTemplates removes templates of other schemas made more than a
// day ago: older schemas nobody uses, not those of a concurrent run.
func dropStaleTemplates(ctx context.Context, conn *pgx.Conn) {
	rows, err := conn.Query(ctx, `
		SELECT datname FROM pg_database
		WHERE datname LIKE 'ecrm\_template\_%'
		  AND coalesce(substring(shobj_description(oid, 'pg_database') from 'ecrm test template ([0-9]+)')::bigint, 0)
		      < extract(epoch FROM now()) - 86400`)
	if err != nil {
		return
	}
	names, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, n := range names {
		conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{n}.Sanitize()+" WITH is_template false")
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize())
	}
}

func migrationsHash() (string, error) {
	h := sha256.New()
	var names []string
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ".sql" {
			names = append(names, path)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	// The job queue's own tables come with its version (go.mod).
	h.Write([]byte(pgdb.JobQueueSchemaVersion()))
	for _, n := range names {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			return "", err
		}
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9]+`)

func sanitize(name string) string {
	s := unsafeChars.ReplaceAllString(strings.ToLower(name), "_")
	if len(s) > 30 {
		s = s[:30]
	}
	return s
}

func randomSuffix() string {
	var b [5]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
