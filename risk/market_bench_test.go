package risk

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// benchMarket is a market of 80 instruments in three currencies and five
// segments with three years of daily closes (62,640 rows), daily FX
// rates, 600 news items and 200 reviews over 90 days in two languages,
// and a client with 50 positions and 10 instruments watched.
func benchMarket(b *testing.B) *pgxpool.Pool {
	b.Helper()
	pool := pgtest.New(b)
	_, err := pool.Exec(context.Background(), `
		INSERT INTO clients (id, given_name, family_name, base_currency) VALUES (1, 'Ana', 'Popescu', 'RON');
		INSERT INTO accounts (id, client_id, kind, name, currency, opened_on) VALUES (10, 1, 'brokerage', 'Brokerage', 'RON', '2023-01-02');
		INSERT INTO instruments (id, symbol, name, kind, currency, market_segment, risk_class)
		SELECT n, 'S' || n, 'Share ' || n, 'equity', (ARRAY['RON', 'EUR', 'USD'])[n % 3 + 1], 'Segment ' || n % 5, 5
		FROM generate_series(1, 80) n;
		INSERT INTO instrument_prices (instrument_id, price_date, close)
		SELECT i, d, 100 + 10 * sin(i + extract(doy FROM d))
		FROM generate_series(1, 80) i, generate_series(date '2023-03-13', date '2026-03-13', interval '1 day') d
		WHERE extract(isodow FROM d) < 6;
		INSERT INTO fx_rates (base_currency, quote_currency, rate_date, rate, source)
		SELECT c, 'RON', d, CASE c WHEN 'EUR' THEN 4.97 ELSE 4.6 END, 'bench'
		FROM unnest(ARRAY['EUR', 'USD']) c, generate_series(date '2023-03-13', date '2026-03-13', interval '1 day') d;
		INSERT INTO positions (client_id, account_id, instrument_id, quantity, average_cost, opened_on)
		SELECT 1, 10, n, 10 * n, 90, '2024-01-02' FROM generate_series(1, 50) n;
		INSERT INTO watchlist_items (client_id, instrument_id) SELECT 1, n FROM generate_series(51, 60) n;
		INSERT INTO market_items (kind, source, external_id, published_at, language, headline, segments, recommendation)
		SELECT CASE WHEN n % 4 = 0 THEN 'review' ELSE 'news' END, 'bench', n::text, timestamptz '2026-03-14 12:00Z' - n * interval '161 minutes',
		       (ARRAY['en', 'ro'])[n % 2 + 1], 'Headline ' || n, ARRAY['Segment ' || n % 7], CASE WHEN n % 4 = 0 THEN 'buy' END
		FROM generate_series(1, 800) n;
		INSERT INTO market_item_instruments (item_id, instrument_id) SELECT id, id % 80 + 1 FROM market_items;
		ANALYZE`)
	if err != nil {
		b.Fatal(err)
	}
	return pool
}

// reportP99 adds the 99th percentile of the timed loop to the results.
func reportP99(b *testing.B, took []time.Duration) {
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkMarketView50 loads the view of a 50-position client: quotes
// with the last two closes, weights through FX, items ranked.
func BenchmarkMarketView50(b *testing.B) {
	pool := benchMarket(b)
	ctx := context.Background()
	opt := MarketOptions{Now: viewNow, Language: "en"}
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		v, err := LoadMarketView(ctx, pool, 1, opt)
		took = append(took, time.Since(start))
		if err != nil || len(v.Quotes) != 60 || len(v.News) != MaxNews || len(v.Reviews) != MaxReviews {
			b.Fatalf("%d quotes, %d news, %d reviews, %v", len(v.Quotes), len(v.News), len(v.Reviews), err)
		}
	}
	reportP99(b, took)
}

// BenchmarkBrokeragePage50 is the whole page for the same client: the
// view, the instrument choices and the HTML.
func BenchmarkBrokeragePage50(b *testing.B) {
	pool := benchMarket(b)
	pages, err := page.New(Templates)
	if err != nil {
		b.Fatal(err)
	}
	h := NewMarketHandler(pool, pages)
	h.Now = func() time.Time { return viewNow }
	r := chi.NewRouter()
	r.Use(i18n.Middleware)
	h.Routes(r)
	p := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: 1, Name: "Ana"}
	var took []time.Duration
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/portal/brokerage", nil)
		req = req.WithContext(ecrm.WithPrincipal(req.Context(), p))
		w := httptest.NewRecorder()
		start := time.Now()
		r.ServeHTTP(w, req)
		took = append(took, time.Since(start))
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
	reportP99(b, took)
}
