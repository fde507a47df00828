package pgtest_test

import (
	"context"
	"testing"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

func TestNewGivesMigratedEmptyDatabase(t *testing.T) {
	pool := pgtest.New(t)
	var clients int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM clients`).Scan(&clients); err != nil {
		t.Fatalf("query migrated schema: %v", err)
	}
	if clients != 0 {
		t.Fatalf("clients = %d, want an empty database", clients)
	}
}

func TestDatabasesAreIsolated(t *testing.T) {
	ctx := context.Background()
	a, b := pgtest.New(t), pgtest.New(t)
	if _, err := a.Exec(ctx, `INSERT INTO households (name) VALUES ('Popescu')`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(ctx, `SELECT count(*) FROM households`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("second database sees %d households written to the first", n)
	}
}
