package selfservice

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

const benchClients = 300

// benchSQL gives each of benchClients clients a year of a typical life:
// four accounts; a salary, three standing orders, two direct debits and a
// card top-up every month and twenty card payments a month (about 330
// transactions); five positions among fifty instruments with 250 days of
// prices; two policies with monthly instalments; a mortgage; twenty
// interactions; thirty portal actions.
const benchSQL = `
INSERT INTO clients (id, given_name, family_name)
SELECT c, 'Client', 'No ' || c FROM generate_series(1, 300) c;

INSERT INTO accounts (id, client_id, kind, iban, name, currency, balance, credit_limit, opened_on)
SELECT c * 10 + k, c,
       (ARRAY['current', 'savings', 'card', 'brokerage'])[k],
       'RO' || lpad((c * 10 + k)::text, 22, '0'),
       'Account ' || k, 'RON', 1000 + c + k * 0.01, CASE WHEN k = 3 THEN 5000 END, '2020-01-01'
FROM generate_series(1, 300) c, generate_series(1, 4) k;

INSERT INTO account_transactions (account_id, client_id, booked_at, value_date, amount, currency, kind, counterparty_name, description, channel)
SELECT c * 10 + 1, c, m + (p.day || ' days')::interval + time '08:00', (m + (p.day || ' days')::interval)::date,
       p.amount, 'RON', p.kind, p.name, 'bench', 'system'
FROM generate_series(1, 300) c,
     generate_series(timestamptz '2025-12-01', timestamptz '2026-11-01', interval '1 month') m,
     (VALUES ('salary', 'Employer', 8000.00, 24), ('standing_order', 'Landlord', -2000.00, 0),
             ('standing_order', 'School', -400.00, 4), ('standing_order', 'Savings', -500.00, 9),
             ('direct_debit', 'Enel', -90.00, 14), ('direct_debit', 'Orange', -60.00, 19),
             ('card_top_up', 'Card', -300.00, 2)) AS p (kind, name, amount, day);
INSERT INTO account_transactions (account_id, client_id, booked_at, value_date, amount, currency, kind, counterparty_name, description, channel)
SELECT c * 10 + 3, c, timestamptz '2025-11-27' + (n * 17 || ' hours')::interval, (timestamptz '2025-11-27' + (n * 17 || ' hours')::interval)::date,
       -(10 + n % 90), 'RON', 'card_payment', 'Shop ' || (n % 30), 'bench', 'pos'
FROM generate_series(1, 300) c, generate_series(1, 240) n;

INSERT INTO instruments (id, symbol, name, kind, currency, risk_class)
SELECT i, 'SYM' || i, 'Instrument ' || i, (ARRAY['equity', 'fund', 'etf'])[1 + i % 3], 'EUR', 1 + i % 7
FROM generate_series(1, 50) i;
INSERT INTO instrument_prices (instrument_id, price_date, close)
SELECT i, date '2026-11-25' - d, 10 + i + d * 0.01 FROM generate_series(1, 50) i, generate_series(0, 249) d;
INSERT INTO positions (client_id, account_id, instrument_id, quantity, average_cost, opened_on)
SELECT c, c * 10 + 4, 1 + (c + k * 7) % 50, 10 + k, 12.5, '2024-01-01'
FROM generate_series(1, 300) c, generate_series(1, 5) k;

INSERT INTO insurance_policies (id, client_id, policy_number, insurer, line, status, starts_on, ends_on, sum_insured, premium, currency, premium_frequency)
SELECT c * 10 + k, c, 'P-' || c || '-' || k, 'Insurer', (ARRAY['home', 'life'])[k], 'active', '2026-01-01', '2027-01-01', 100000, 50, 'RON', 'monthly'
FROM generate_series(1, 300) c, generate_series(1, 2) k;
INSERT INTO premium_instalments (policy_id, client_id, due_on, amount, currency, status)
SELECT c * 10 + k, c, (date '2026-01-01' + (m || ' months')::interval)::date, 50, 'RON', CASE WHEN m < 10 THEN 'paid' ELSE 'scheduled' END
FROM generate_series(1, 300) c, generate_series(1, 2) k, generate_series(0, 11) m;

INSERT INTO credit_lines (client_id, kind, lender, credit_limit, balance, currency, monthly_payment, opened_on, status)
SELECT c, 'mortgage', 'Bank', 300000, 200000, 'RON', 1800, '2020-01-01', 'active' FROM generate_series(1, 300) c;

INSERT INTO interactions (client_id, channel, direction, subject, occurred_at)
SELECT c, 'phone', 'inbound', 'Call ' || n, timestamptz '2026-11-20' - (n || ' days')::interval
FROM generate_series(1, 300) c, generate_series(1, 20) n;

INSERT INTO portal_actions (client_id, action, target, occurred_at)
SELECT c, 'account.view', (c * 10 + 1 + n % 2)::text, timestamptz '2026-11-25' - (n || ' days')::interval
FROM generate_series(1, 300) c, generate_series(1, 30) n;
`

// newBenchPool loads the benchmark population, vacuumed so that index-only
// scans apply as they do after a bulk load with COPY FREEZE.
func newBenchPool(b *testing.B, maxConns int32) *pgxpool.Pool {
	b.Helper()
	ctx := context.Background()
	pool, err := pgdb.Open(ctx, pgtest.NewURL(b), maxConns)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, benchSQL); err != nil {
		b.Fatalf("load benchmark data: %v", err)
	}
	if _, err := pool.Exec(ctx, "VACUUM (ANALYZE, FREEZE)"); err != nil {
		b.Fatal(err)
	}
	return pool
}

// BenchmarkOverview measures Service.Overview, the work behind
// GET /api/v1/me, one client after another.
func BenchmarkOverview(b *testing.B) {
	pool := newBenchPool(b, 4)
	svc := NewService(pool)
	svc.now = func() time.Time { return testNow }
	ctx := i18n.WithLocalizer(context.Background(), i18n.NewLocalizer(i18n.English))
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		n++
		o, err := svc.Overview(ctx, 1+n%benchClients)
		if err != nil {
			b.Fatal(err)
		}
		if len(o.Accounts) != 4 || len(o.QuickActions) != 6 {
			b.Fatalf("overview has %d accounts, %d quick actions", len(o.Accounts), len(o.QuickActions))
		}
	}
}

// BenchmarkOverviewAPIParallel serves GET /api/v1/me through the portal's
// router (JSON encoding included) from 32 goroutines at once, the
// concurrency of the speed target; ns/op is wall time per request, so
// 1e9 / ns/op is requests per second on this machine.
func BenchmarkOverviewAPIParallel(b *testing.B) {
	pool := newBenchPool(b, 16)
	h := NewHandler(pool, renderer(b))
	h.svc.now = func() time.Time { return testNow }
	srv := newRouter(h, testPrincipal)
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(32 / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	machineBefore, goBefore := machineCPU(b), processCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			client := 1 + next.Add(1)%benchClients
			r := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
			r.Header.Set(testClientHeader, strconv.FormatInt(client, 10))
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				b.Errorf("status %d", rec.Code)
				return
			}
		}
	})
	// Where the time goes: CPU of this process (handler, JSON, pgx) and of
	// the whole machine (adding PostgreSQL) per request. On a machine doing
	// nothing else, 2 cores / machine-cpu-µs/op bounds the throughput.
	b.ReportMetric(float64(processCPU(b)-goBefore)/float64(b.N)/1e3, "go-cpu-µs/op")
	b.ReportMetric(float64(machineCPU(b)-machineBefore)/float64(b.N)/1e3, "machine-cpu-µs/op")
}

// processCPU is the user and system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU is the busy CPU time of all processes, from /proc/stat
// (Linux; zero elsewhere).
func machineCPU(b *testing.B) time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var busy int64
	for i, f := range fields[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(f, 10, 64)
		busy += n
	}
	return time.Duration(busy) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// BenchmarkOverviewJSON measures writing the fixture client's overview
// (the richest one: accounts, positions in two currencies, policies,
// credit lines, quick actions): the hand-written encoder of GET /api/v1/me
// against encoding/json, which it replaced.
func BenchmarkOverviewJSON(b *testing.B) {
	pool := newFixture(b)
	svc := NewService(pool)
	svc.now = func() time.Time { return testNow }
	ctx := i18n.WithLocalizer(context.Background(), i18n.NewLocalizer(i18n.English))
	o, err := svc.Overview(ctx, ana)
	if err != nil {
		b.Fatal(err)
	}
	o.Name = "Ana Popescu"
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 8<<10)
		for b.Loop() {
			buf = o.appendJSON(buf[:0])
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := json.NewEncoder(&buf).Encode(o); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(buf.Len()))
	})
}
