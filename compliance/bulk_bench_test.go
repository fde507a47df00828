package compliance

import (
	"container/heap"
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// The console's benchmark runs on a database of its own, loaded once:
//
//	createdb ecrm_console_bench; DATABASE_URL=.../ecrm_console_bench bin/ecrm migrate up
//	DATABASE_URL=.../ecrm_console_bench bin/ecrm seed --clients 100000 --seed 42 --as-of 2026-11-26
//	ECRM_CONSOLE_BENCH_URL=.../ecrm_console_bench ECRM_CONSOLE_BENCH_RECORDS=10000000 \
//	    go test ./compliance -run TestLoadConsoleBenchHistory -timeout 3h -v
//
// then BenchmarkConsoleSearch (console_bench_test.go) measures the search.

func benchPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	url := os.Getenv("ECRM_CONSOLE_BENCH_URL")
	if url == "" {
		tb.Skip("ECRM_CONSOLE_BENCH_URL is not set")
	}
	pool, err := pgdb.Open(context.Background(), url, 4)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// TestLoadConsoleBenchHistory appends ECRM_CONSOLE_BENCH_RECORDS (default
// 10,000,000) realistic decision records spread over the five years before
// 26 November 2026 to the seeded database, with AppendMany.
func TestLoadConsoleBenchHistory(t *testing.T) {
	pool := benchPool(t)
	ctx := context.Background()
	total := 10_000_000
	if s := os.Getenv("ECRM_CONSOLE_BENCH_RECORDS"); s != "" {
		total, _ = strconv.Atoi(s)
	}
	g := newHistoryGen(t, pool, total)
	log := NewLog(pool)
	start := time.Now()
	done := int64(0)
	n, err := log.AppendMany(ctx, func() (BulkRecord, bool) {
		r, ok := g.next()
		if ok {
			done++
			if done%1_000_000 == 0 {
				t.Logf("%d records, %.0f records/s", done, float64(done)/time.Since(start).Seconds())
			}
		}
		return r, ok
	})
	if err != nil {
		t.Fatalf("after %d records: %v", n, err)
	}
	el := time.Since(start)
	t.Logf("appended %d records in %s: %.0f records/s", n, el.Round(time.Second), float64(n)/el.Seconds())
}

// historyGen makes a plausible offer history: offers shown or blocked by
// the gate, most shown offers answered (accepted, declined, expired) one
// to thirty days later, a few asked to be reviewed by a human.
type historyGen struct {
	rng      *rand.Rand
	clients  []benchClient
	products []benchProduct
	total    int
	emitted  int
	at       time.Time
	step     time.Duration
	pending  responseHeap
	reviewOK bool
	base     int64 // the chain head's seq when the load started
}

type benchClient struct {
	id, advisor int64
	age         int
	segment     string
}

type benchProduct struct {
	id, version int64
	code        string
}

func newHistoryGen(tb testing.TB, pool *pgxpool.Pool, total int) *historyGen {
	ctx := context.Background()
	g := &historyGen{rng: rand.New(rand.NewPCG(42, 2026)), total: total}
	rows, err := pool.Query(ctx, `SELECT id, coalesce(advisor_id, 0), coalesce(extract(year FROM age(DATE '2026-11-26', birth_date))::int, 40), segment FROM clients ORDER BY id`)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var c benchClient
		if err := rows.Scan(&c.id, &c.advisor, &c.age, &c.segment); err != nil {
			tb.Fatal(err)
		}
		g.clients = append(g.clients, c)
	}
	rows, err = pool.Query(ctx, `SELECT id, coalesce(current_version_id, 0), code FROM products ORDER BY id`)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var p benchProduct
		if err := rows.Scan(&p.id, &p.version, &p.code); err != nil {
			tb.Fatal(err)
		}
		g.products = append(g.products, p)
	}
	if len(g.clients) == 0 {
		tb.Fatal("no clients: seed the database first")
	}
	if len(g.products) == 0 {
		g.products = []benchProduct{{}}
	}
	end := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	g.at = end.AddDate(-5, 0, 0)
	g.step = end.Sub(g.at) / time.Duration(total)
	if err := pool.QueryRow(ctx, `SELECT seq FROM decision_chain_head`).Scan(&g.base); err != nil {
		tb.Fatal(err)
	}
	probe := Record{Kind: "review_request", RefersTo: 1, ClientID: 1, Channel: "web", Actor: Actor{Kind: ActorClient}, Outcome: "review_requested"}
	g.reviewOK = probe.validate() == nil
	return g
}

var (
	benchEngines  = []string{"products.matching", "products.matching", "advisor.nbo", "risk.hedging", "insurance.matching"}
	benchChannels = []string{"web", "web", "web", "web", "mobile", "mobile", "mobile", "branch", "phone", "email"}
	benchChecks   = []string{CheckSuitability, CheckTargetMarket, CheckConsent, CheckContactPolicy, CheckVulnerability, CheckHousehold}
)

func (g *historyGen) next() (BulkRecord, bool) {
	if g.emitted >= g.total {
		return BulkRecord{}, false
	}
	g.emitted++
	g.at = g.at.Add(g.step*7/8 + time.Duration(g.rng.Int64N(int64(g.step)/4+1))) // mean: one step
	if len(g.pending) > 0 && !g.pending[0].at.After(g.at) {
		r := heap.Pop(&g.pending).(pendingResponse)
		return BulkRecord{Record: r.rec, RecordedAt: g.at}, true
	}
	c := g.clients[g.rng.IntN(len(g.clients))]
	p := g.products[g.rng.IntN(len(g.products))]
	channel := benchChannels[g.rng.IntN(len(benchChannels))]
	actor := Actor{Kind: ActorSystem}
	if (channel == "branch" || channel == "phone") && c.advisor != 0 {
		actor = Actor{Kind: ActorAdvisor, StaffID: c.advisor}
	}
	score := decimal.New(int64(g.rng.IntN(10000)), -4)
	r := Record{
		Kind: KindOfferShown, ClientID: c.id, ProductID: p.id, ProductVersionID: p.version,
		Engine: benchEngines[g.rng.IntN(len(benchEngines))], EngineVersion: "m-2026.11", RuleVersion: "r-" + p.code,
		Channel: channel, Actor: actor, Outcome: OutcomeShown,
		Body: Body{
			Inputs: map[string]any{"age": c.age, "segment": c.segment, "product": p.code,
				"balance_trend_6m": strconv.Itoa(g.rng.IntN(40)-10) + "%"},
			Score: &Score{Value: score, Components: []ScoreComponent{
				{Name: "propensity", Value: score.Mul(decimal.New(6, -1)).Round(4)},
				{Name: "need", Value: score.Mul(decimal.New(4, -1)).Round(4)},
			}},
			Reasons:     []i18n.Message{i18n.Plain("Matches the client's stated objective"), i18n.Plain("Within the client's risk profile")},
			Disclosures: []Disclosure{{Kind: "fee", Text: i18n.Plain("Annual fee"), Amount: &ecrm.Money{Amount: decimal.New(int64(g.rng.IntN(5000)), -2), Currency: "RON"}}},
		},
	}
	failed := -1
	if g.rng.IntN(4) == 0 {
		failed = g.rng.IntN(len(benchChecks))
		r.Kind, r.Outcome = KindOfferBlocked, OutcomeBlocked
	}
	for i, name := range benchChecks {
		r.Body.Checks = append(r.Body.Checks, Check{Name: name, Passed: i != failed})
	}
	if failed < 0 {
		// The load is the only writer, so this offer's seq is known.
		seq := g.base + int64(g.emitted)
		resp := Record{Kind: KindResponse, RefersTo: seq, ClientID: c.id, ProductID: p.id, ProductVersionID: p.version,
			Engine: r.Engine, EngineVersion: r.EngineVersion, RuleVersion: r.RuleVersion, Channel: channel, Actor: Actor{Kind: ActorClient}}
		switch x := g.rng.IntN(100); {
		case x < 12:
			resp.Outcome = OutcomeAccepted
		case x < 42:
			resp.Outcome = OutcomeDeclined
			resp.Body.Note = "Not now"
		case x < 87:
			resp.Outcome = OutcomeExpired
			resp.Actor = Actor{Kind: ActorSystem}
		case x < 88 && g.reviewOK:
			resp.Kind, resp.Outcome = "review_request", "review_requested"
		default:
			resp.Kind = ""
		}
		if resp.Kind != "" {
			heap.Push(&g.pending, pendingResponse{at: g.at.Add(time.Duration(1+g.rng.IntN(30*24)) * time.Hour), rec: resp})
		}
	}
	return BulkRecord{Record: r, RecordedAt: g.at}, true
}

type pendingResponse struct {
	at  time.Time
	rec Record
}

type responseHeap []pendingResponse

func (h responseHeap) Len() int           { return len(h) }
func (h responseHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h responseHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *responseHeap) Push(x any)        { *h = append(*h, x.(pendingResponse)) }
func (h *responseHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
