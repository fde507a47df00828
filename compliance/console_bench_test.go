package compliance

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkConsoleSearch measures one page of 50 of the console's search,
// newest first, for each common filter, on the database loaded by
// TestLoadConsoleBenchHistory (see bulk_bench_test.go). Parameters are
// drawn at random (clients, products, 30-day periods over the five years),
// so most pages are read cold from the index, not the same page again.
//
//	ECRM_CONSOLE_BENCH_URL=... go test ./compliance -run '^$' -bench ConsoleSearch -benchtime 400x
func BenchmarkConsoleSearch(b *testing.B) {
	pool := benchPool(b)
	ctx := context.Background()
	c := NewConsole(pool)
	c.loc = time.UTC
	var maxClient int64
	var products []string
	if err := pool.QueryRow(ctx, `SELECT max(id) FROM clients`).Scan(&maxClient); err != nil {
		b.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT code FROM products ORDER BY id`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var code string
		rows.Scan(&code)
		products = append(products, code)
	}
	end := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	day := func() time.Time { return end.AddDate(0, 0, -rng.IntN(5*365)) }
	month := func(f *Filter) {
		to := day()
		f.From, f.To = to.AddDate(0, 0, -29).Format(time.DateOnly), to.Format(time.DateOnly)
	}
	client := func() string { return strconv.FormatInt(1+rng.Int64N(maxClient), 10) }
	product := func() string { return products[rng.IntN(len(products))] }
	cases := []struct {
		name   string
		filter func() Filter
	}{
		{"newest", func() Filter { return Filter{} }},
		{"client", func() Filter { return Filter{Client: client()} }},
		{"product", func() Filter { return Filter{Product: product()} }},
		{"period", func() Filter { f := Filter{}; month(&f); return f }},
		{"outcome", func() Filter { return Filter{Outcome: Outcomes[rng.IntN(5)]} }},
		{"channel", func() Filter { return Filter{Channel: Channels[rng.IntN(len(Channels))]} }},
		{"engine", func() Filter { return Filter{Engine: benchEngines[rng.IntN(len(benchEngines))]} }},
		{"product+period", func() Filter { f := Filter{Product: product()}; month(&f); return f }},
		{"outcome+period", func() Filter { f := Filter{Outcome: "accepted"}; month(&f); return f }},
		{"channel+period", func() Filter { f := Filter{Channel: "branch"}; month(&f); return f }},
		{"engine+period", func() Filter { f := Filter{Engine: "risk.hedging"}; month(&f); return f }},
		{"client+outcome", func() Filter { return Filter{Client: client(), Outcome: "shown"} }},
		{"product+outcome+channel", func() Filter {
			return Filter{Product: product(), Outcome: "blocked", Channel: "web"}
		}},
		{"failed_check+period", func() Filter { f := Filter{FailedCheck: CheckSuitability}; month(&f); return f }},
		{"failed_check", func() Filter { return Filter{FailedCheck: GateChecks[rng.IntN(len(GateChecks))]} }},
		{"next page (product)", func() Filter {
			f := Filter{Product: product()}
			res, err := c.Search(ctx, f)
			if err != nil || res.Next == "" {
				b.Fatalf("first page: %v", err)
			}
			f.After = res.Next
			return f
		}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				b.StopTimer()
				f := tc.filter()
				b.StartTimer()
				start := time.Now()
				if _, err := c.Search(ctx, f); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		})
	}
}
