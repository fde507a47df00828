package demodata

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestSeedBenchmark seeds ECRM_SEED_BENCH clients into a scratch database
// (ecrm_seedbench, dropped afterwards unless ECRM_SEED_BENCH_KEEP is set)
// and reports rows per table, elapsed time and the process's peak RSS. It
// is the measurement behind the 1,000,000-client budget (10 minutes,
// 512 MiB), run by hand:
//
//	go test -c -o /tmp/demodata.test ./internal/demodata
//	ECRM_SEED_BENCH=1000000 /usr/bin/time -v /tmp/demodata.test -test.run SeedBenchmark -test.v -test.timeout 30m
func TestSeedBenchmark(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ECRM_SEED_BENCH"))
	if n <= 0 {
		t.Skip("set ECRM_SEED_BENCH=<clients> to run the seeding benchmark")
	}
	ctx := context.Background()
	const name = "ecrm_seedbench"
	admin, err := pgx.Connect(ctx, pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	for _, q := range []string{"DROP DATABASE IF EXISTS " + name + " WITH (FORCE)", "CREATE DATABASE " + name} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if os.Getenv("ECRM_SEED_BENCH_KEEP") == "" {
		defer admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	url, _ := pgdb.WithDatabase(pgtest.ServerURL(), name)
	pool, err := pgdb.Open(ctx, url, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m, err := pgdb.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	m.Close()

	rep, err := Seed(ctx, pool, Options{Clients: n, Seed: 1, AsOf: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC),
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	tables := make([]string, 0, len(rep.Rows))
	var total int64
	for k, v := range rep.Rows {
		tables = append(tables, k)
		total += v
	}
	sort.Strings(tables)
	for _, k := range tables {
		t.Logf("%-22s %12d", k, rep.Rows[k])
	}
	t.Logf("%-22s %12d", "total", total)
	t.Logf("elapsed %v, peak RSS %s", rep.Elapsed.Round(time.Second), peakRSS())
	var size string
	pool.QueryRow(ctx, "SELECT pg_size_pretty(pg_database_size(current_database()))").Scan(&size)
	t.Logf("database size %s", size)
}

// peakRSS reads the process's high-water resident set size (Linux).
func peakRSS() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return fmt.Sprint("unknown")
}
