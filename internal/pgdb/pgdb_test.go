package pgdb_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

func TestParseURLErrorsSayWhatToDo(t *testing.T) {
	tests := []struct{ url, want string }{
		{"", "DATABASE_URL is empty"},
		{"postgres://user:hunter2@[::1", "DATABASE_URL is malformed"},
		{"mysql://x", "DATABASE_URL is malformed"},
	}
	for _, tt := range tests {
		_, err := pgdb.ParseURL(tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseURL(%q) = %v, want %q without the password", tt.url, err, tt.want)
		}
	}
}

func TestWithDatabase(t *testing.T) {
	got, err := pgdb.WithDatabase("postgres://u@h:5432/ecrm?sslmode=disable", "postgres")
	if err != nil || got != "postgres://u@h:5432/postgres?sslmode=disable" {
		t.Fatalf("WithDatabase = %q, %v", got, err)
	}
}

func TestEnsureDatabaseCreatesOnce(t *testing.T) {
	ctx := context.Background()
	url, err := pgdb.WithDatabase(pgtest.ServerURL(), "ecrm_ensure_"+randomName())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, pgtest.ServerURL())
		if err == nil {
			cfg, _ := pgdb.ParseURL(url)
			conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{cfg.ConnConfig.Database}.Sanitize())
			conn.Close(ctx)
		}
	})
	created, err := pgdb.EnsureDatabase(ctx, url)
	if err != nil || !created {
		t.Fatalf("first EnsureDatabase = %v, %v; want created", created, err)
	}
	created, err = pgdb.EnsureDatabase(ctx, url)
	if err != nil || created {
		t.Fatalf("second EnsureDatabase = %v, %v; want existing", created, err)
	}
}

func randomName() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func TestFailingMigrationReportsClearly(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	broken := fstest.MapFS{
		"00001_ok.sql":     {Data: []byte("-- +goose Up\nCREATE TABLE ok_table (id int);\n-- +goose Down\nDROP TABLE ok_table;\n")},
		"00002_broken.sql": {Data: []byte("-- +goose Up\nCREATE TABLE broken (id int REFERENCES nowhere(id));\n-- +goose Down\nDROP TABLE broken;\n")},
	}
	// A separate goose version table keeps this from touching the real one.
	if _, err := pool.Exec(ctx, "DROP TABLE goose_db_version"); err != nil {
		t.Fatal(err)
	}
	m, err := pgdb.NewMigratorFrom(pool, broken)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	_, err = m.Up(ctx)
	if err == nil {
		t.Fatal("Up succeeded on a broken migration")
	}
	for _, want := range []string{"00002_broken.sql", `relation "nowhere" does not exist`, "run `ecrm migrate up` again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	applied, latest, err := m.Current(ctx)
	if err != nil || applied != 1 || latest != 2 {
		t.Fatalf("Current = %d, %d, %v; want 1 applied of 2", applied, latest, err)
	}
}

// TestOutOfOrderMigrationApplied: branches merge in any order, so a
// database at 00003 takes a 00002 that arrives later; until it does, it is
// not current (at version 1 of 3).
func TestOutOfOrderMigrationApplied(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := pool.Exec(ctx, "DROP TABLE goose_db_version"); err != nil {
		t.Fatal(err)
	}
	migration := func(table string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("-- +goose Up\nCREATE TABLE " + table + " (id int);\n-- +goose Down\nDROP TABLE " + table + ";\n")}
	}
	first := fstest.MapFS{"00001_a.sql": migration("a_table"), "00003_c.sql": migration("c_table")}
	later := fstest.MapFS{"00001_a.sql": migration("a_table"), "00002_b.sql": migration("b_table"), "00003_c.sql": migration("c_table")}
	for i, fsys := range []fstest.MapFS{first, later} {
		m, err := pgdb.NewMigratorFrom(pool, fsys)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if i == 1 {
			if applied, latest, err := m.Current(ctx); err != nil || applied != 1 || latest != 3 {
				t.Fatalf("Current with 00002 missing = %d, %d, %v; want 1 of 3", applied, latest, err)
			}
		}
		if _, err := m.Up(ctx); err != nil {
			t.Fatalf("Up %d: %v", i, err)
		}
		if applied, latest, err := m.Current(ctx); err != nil || applied != 3 || latest != 3 {
			t.Fatalf("Current after Up %d = %d, %d, %v; want 3 of 3", i, applied, latest, err)
		}
	}
	if _, err := pool.Exec(ctx, "SELECT FROM b_table"); err != nil {
		t.Fatalf("00002 not applied: %v", err)
	}
}

func TestNumericScansAsDecimal(t *testing.T) {
	pool := pgtest.New(t)
	var d decimal.Decimal
	if err := pool.QueryRow(context.Background(), `SELECT 0.1::numeric + 0.2::numeric`).Scan(&d); err != nil {
		t.Fatal(err)
	}
	if d.String() != "0.3" {
		t.Fatalf("0.1 + 0.2 = %s, want exactly 0.3", d)
	}
}
