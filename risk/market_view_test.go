package risk

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// viewNow is the moment of the fixture's views: Saturday 14 March 2026.
var viewNow = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

// Ana (client 1, RON) holds 1,000 DNB at 24.60 RON and 10 QNTM at 147.00
// USD (6,762 RON at 4.60): weights 24,600 ÷ 31,362 = 0.7844 and 0.2156.
// She watches BRTX (last close nine days old: stale) and HDR (no close).
// Bob (client 2) watches DNB and holds nothing.
const viewFixture = `
INSERT INTO clients (id, given_name, family_name, base_currency) VALUES (1, 'Ana', 'Popescu', 'RON'), (2, 'Bob', 'Ionescu', NULL);
INSERT INTO accounts (id, client_id, kind, name, currency, opened_on) VALUES (10, 1, 'brokerage', 'Brokerage', 'RON', '2024-01-02');
INSERT INTO instruments (id, symbol, name, kind, currency, market_segment, risk_class) VALUES
  (1, 'DNB', 'Dunărea Bank SA', 'equity', 'RON', 'Bucharest equities', 5),
  (2, 'QNTM', 'Quantum Compute Inc', 'equity', 'USD', 'US equities', 6),
  (3, 'BRTX', 'Brightex Semiconductors Inc', 'equity', 'USD', 'US equities', 6),
  (4, 'HDR', 'Hidro Dacia SA', 'equity', 'RON', 'Bucharest equities', 4),
  (5, 'WRLD', 'World Equity UCITS ETF', 'etf', 'USD', 'ETFs', 4);
INSERT INTO instrument_prices (instrument_id, price_date, close) VALUES
  (1, '2026-03-12', 24.00), (1, '2026-03-13', 24.60), (1, '2026-03-16', 99),
  (2, '2026-03-12', 150.00), (2, '2026-03-13', 147.00),
  (3, '2026-03-05', 96.5),
  (5, '2026-03-13', 98.5);
INSERT INTO fx_rates (base_currency, quote_currency, rate_date, rate, source) VALUES
  ('USD', 'RON', '2026-03-12', 4.5, 'test'), ('USD', 'RON', '2026-03-13', 4.6, 'test');
INSERT INTO positions (client_id, account_id, instrument_id, quantity, average_cost, opened_on) VALUES
  (1, 10, 1, 1000, 20, '2025-01-06'), (1, 10, 2, 10, 120, '2025-01-06');
INSERT INTO watchlist_items (client_id, instrument_id) VALUES (1, 3), (1, 4), (2, 1);
INSERT INTO market_items (id, kind, source, external_id, published_at, language, headline, segments, recommendation, target_price, analyst) OVERRIDING SYSTEM VALUE VALUES
  (1, 'news', 'wire', 'dnb', '2026-03-14 00:00Z', 'en', 'Dunărea Bank beats forecasts', '{"Bucharest equities"}', NULL, NULL, NULL),
  (2, 'news', 'wire', 'qntm', '2026-03-07 12:00Z', 'en', 'Quantum cuts guidance', '{}', NULL, NULL, NULL),
  (3, 'news', 'wire', 'brtx', '2026-03-13 12:00Z', 'en', 'Brightex signs a contract', '{}', NULL, NULL, NULL),
  (4, 'news', 'wire', 'us', '2026-03-14 06:00Z', 'en', 'US tech leads', '{"US equities"}', NULL, NULL, NULL),
  (5, 'news', 'wire', 'etf', '2026-03-14 06:00Z', 'en', 'ETF assets at a record', '{ETFs}', NULL, NULL, NULL),
  (6, 'news', 'wire', 'dnb-ro', '2026-03-14 00:00Z', 'ro', 'Dunărea Bank depășește estimările', '{"Bucharest equities"}', NULL, NULL, NULL),
  (7, 'news', 'wire', 'old', '2026-01-01 00:00Z', 'en', 'Old DNB news', '{}', NULL, NULL, NULL),
  (8, 'review', 'desk', 'dnb-buy', '2026-03-10 00:00Z', 'en', 'DNB: Buy', '{}', 'buy', 28, 'Ioana Matei'),
  (9, 'news', 'wire', 'future', '2026-03-14 13:00Z', 'en', 'Not yet published', '{}', NULL, NULL, NULL),
  (10, 'news', 'wire', 'hdr', '2026-03-14 12:00Z', 'en', 'Hidro Dacia raises output', '{"Bucharest equities"}', NULL, NULL, NULL);
INSERT INTO market_item_instruments (item_id, instrument_id) VALUES (1, 1), (2, 2), (3, 3), (6, 1), (7, 1), (8, 1), (9, 1), (10, 4);
`

func viewPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), viewFixture); err != nil {
		t.Fatal(err)
	}
	return pool
}

func TestLoadMarketView(t *testing.T) {
	pool := viewPool(t)
	ctx := context.Background()
	v, err := LoadMarketView(ctx, pool, 1, MarketOptions{Now: viewNow, Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	var quotes []string
	for _, q := range v.Quotes {
		s := q.Symbol + " held=" + strconv.FormatBool(q.Held) + " watched=" + strconv.FormatBool(q.Watched) + " weight=" + q.Weight.String() +
			" stale=" + strconv.FormatBool(q.Stale)
		if q.Close != nil {
			s += " close=" + q.Close.String() + "@" + q.Date.Format(time.DateOnly)
		}
		if q.Change != nil {
			s += " prev=" + q.PreviousClose.String() + "@" + q.PreviousDate.Format(time.DateOnly) + " change=" + q.Change.String() + " " + q.ChangePercent.String() + "%"
		}
		quotes = append(quotes, s)
	}
	expectEqual(t, "quotes", []string{
		"DNB held=true watched=false weight=0.7844 stale=false close=24.6@2026-03-13 prev=24@2026-03-12 change=0.6 2.5%",
		"QNTM held=true watched=false weight=0.2156 stale=false close=147@2026-03-13 prev=150@2026-03-12 change=-3 -2%",
		"BRTX held=false watched=true weight=0 stale=true close=96.5@2026-03-05",
		"HDR held=false watched=true weight=0 stale=true",
	}, quotes, false)
	if v.WeightCurrency != "RON" {
		t.Errorf("weight currency %q", v.WeightCurrency)
	}
	ranked := func(items []RankedItem) []string {
		var out []string
		for _, it := range items {
			out = append(out, strconv.FormatInt(it.ID, 10)+" "+it.Score.String()+" "+it.Reason.Code+" "+it.Reason.Subject)
		}
		return out
	}
	// Scores: affinity × 2^(−age in days ÷ 7), e.g. item 1 (DNB, half a
	// day old) (0.5 + 0.5 × 0.7844) × 2^(−0.5/7) = 0.8491.
	expectEqual(t, "news", []string{
		"1 0.8491 holds_instrument DNB",
		"10 0.4461 holds_segment Bucharest equities",
		"3 0.3623 watches_instrument BRTX",
		"2 0.3039 holds_instrument QNTM",
		"4 0.2965 holds_segment US equities",
	}, ranked(v.News), false)
	expectEqual(t, "reviews", []string{"8 0.5714 holds_instrument DNB"}, ranked(v.Reviews), false)
	if r := v.Reviews[0]; r.TargetPrice == nil || r.TargetPrice.String() != "28" || r.TargetCurrency != "RON" || r.Recommendation != "buy" {
		t.Errorf("review %+v", r)
	}

	// In Romanian, the Romanian item; Bob sees only what he watches.
	ro, err := LoadMarketView(ctx, pool, 1, MarketOptions{Now: viewNow, Language: "ro"})
	if err != nil || len(ro.News) != 1 || ro.News[0].ID != 6 {
		t.Errorf("Romanian news: %+v, %v", ro.News, err)
	}
	bob, err := LoadMarketView(ctx, pool, 2, MarketOptions{Now: viewNow, Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	expectEqual(t, "Bob's news", []string{"1 0.3807 watches_instrument DNB", "10 0.2 watches_segment Bucharest equities"}, ranked(bob.News), false)
	if len(bob.Quotes) != 1 || bob.Quotes[0].Symbol != "DNB" || bob.Quotes[0].Held || bob.WeightCurrency != "" {
		t.Errorf("Bob's quotes %+v (weighed in %q)", bob.Quotes, bob.WeightCurrency)
	}
	// A longer allowed age makes BRTX fresh again.
	v, _ = LoadMarketView(ctx, pool, 1, MarketOptions{Now: viewNow, Language: "en", PriceMaxAge: 10 * 24 * time.Hour})
	if v.Quotes[2].Symbol != "BRTX" || v.Quotes[2].Stale {
		t.Errorf("with 10 days allowed, BRTX %+v", v.Quotes[2])
	}
}

// marketServer serves the handler as the client the X-Test-Client header
// names (none: anonymous).
func marketServer(t *testing.T, pool *pgxpool.Pool) *httptest.Server {
	t.Helper()
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	h := NewMarketHandler(pool, pages)
	h.Now = func() time.Time { return viewNow }
	r := chi.NewRouter()
	r.Use(i18n.Middleware)
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if id, err := strconv.ParseInt(req.Header.Get("X-Test-Client"), 10, 64); err == nil {
				req = req.WithContext(ecrm.WithPrincipal(req.Context(), &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: id, Name: "Test"}))
			}
			next.ServeHTTP(w, req)
		})
	})
	h.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

type answer struct {
	status   int
	body     string
	location string
}

func marketCall(t *testing.T, srv *httptest.Server, method, path, client, lang string, form url.Values) answer {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("X-Test-Client", client)
	req.Header.Set("Accept-Language", lang)
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, string(b), res.Header.Get("Location")}
}

func watched(t *testing.T, pool *pgxpool.Pool, client int64) string {
	t.Helper()
	var s string
	if err := pool.QueryRow(context.Background(), `SELECT coalesce(string_agg(i.symbol, ',' ORDER BY i.symbol), '')
		FROM watchlist_items w JOIN instruments i ON i.id = w.instrument_id WHERE w.client_id = $1`, client).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestMarketAPI: the view as JSON with decimal strings; the watch list
// edited idempotently; an unknown symbol named; a client reads and
// changes only their own list.
func TestMarketAPI(t *testing.T) {
	pool := viewPool(t)
	srv := marketServer(t, pool)

	a := marketCall(t, srv, "GET", "/api/v1/me/market", "1", "en", nil)
	var got struct {
		Quotes []map[string]any `json:"quotes"`
		News   []map[string]any `json:"news"`
	}
	if err := json.Unmarshal([]byte(a.body), &got); err != nil || a.status != 200 || len(got.Quotes) != 4 || len(got.News) != 5 {
		t.Fatalf("GET market: %d %v\n%s", a.status, err, a.body)
	}
	dnb, _ := json.Marshal(got.Quotes[0])
	if want := `{"change":"0.6","change_percent":"2.5","close":"24.6","currency":"RON","date":"2026-03-13","held":true,"kind":"equity","name":"Dunărea Bank SA","previous_close":"24","previous_date":"2026-03-12","segment":"Bucharest equities","stale":false,"symbol":"DNB","watched":false,"weight":"0.7844"}`; string(dnb) != want {
		t.Errorf("DNB quote:\n got %s\nwant %s", dnb, want)
	}
	if r := got.News[0]["reason"]; r == nil || r.(map[string]any)["code"] != "holds_instrument" || got.News[0]["score"] != "0.8491" {
		t.Errorf("first news item %v", got.News[0])
	}

	for _, step := range []struct {
		method, path, client string
		status               int
		want                 string
	}{
		{"PUT", "/api/v1/me/watchlist/wrld", "1", 201, `{"symbol":"WRLD","watched":true,"changed":true}`},
		{"PUT", "/api/v1/me/watchlist/WRLD", "1", 200, `{"symbol":"WRLD","watched":true,"changed":false}`},
		{"PUT", "/api/v1/me/watchlist/NOPE", "1", 422, `"field":"symbol"`},
		{"DELETE", "/api/v1/me/watchlist/NOPE", "1", 422, `"field":"symbol"`},
		// Bob cannot touch Ana's list: his DELETE and PUT act on his own.
		{"DELETE", "/api/v1/me/watchlist/BRTX", "2", 204, ""},
		{"PUT", "/api/v1/me/watchlist/QNTM", "2", 201, `"changed":true`},
		{"DELETE", "/api/v1/me/watchlist/HDR", "1", 204, ""},
		{"DELETE", "/api/v1/me/watchlist/HDR", "1", 204, ""},
		{"GET", "/api/v1/me/market", "", 401, `"status":401`},
		{"PUT", "/api/v1/me/watchlist/DNB", "", 401, `"status":401`},
	} {
		a := marketCall(t, srv, step.method, step.path, step.client, "en", nil)
		if a.status != step.status || !strings.Contains(a.body, step.want) {
			t.Errorf("%s %s as %q: %d %s, want %d %s", step.method, step.path, step.client, a.status, a.body, step.status, step.want)
		}
	}
	if got := watched(t, pool, 1); got != "BRTX,WRLD" {
		t.Errorf("Ana watches %s, want BRTX,WRLD", got)
	}
	if got := watched(t, pool, 2); got != "DNB,QNTM" {
		t.Errorf("Bob watches %s, want DNB,QNTM", got)
	}
	// Bob's view never shows Ana's holdings.
	a = marketCall(t, srv, "GET", "/api/v1/me/market", "2", "en", nil)
	if strings.Contains(a.body, `"held":true`) || strings.Contains(a.body, "BRTX") {
		t.Errorf("Bob's view shows Ana's instruments:\n%s", a.body)
	}
	// A full list refuses a new instrument, naming the field.
	if _, err := pool.Exec(context.Background(), `
		INSERT INTO instruments (id, symbol, name, kind, currency, risk_class) SELECT 100 + n, 'X' || n, 'X', 'equity', 'RON', 5 FROM generate_series(1, 60) n;
		INSERT INTO watchlist_items (client_id, instrument_id) SELECT 2, id FROM instruments WHERE symbol LIKE 'X%' ORDER BY id LIMIT 48`); err != nil {
		t.Fatal(err)
	}
	if a := marketCall(t, srv, "PUT", "/api/v1/me/watchlist/X59", "2", "en", nil); a.status != 409 || !strings.Contains(a.body, `"field":"symbol"`) {
		t.Errorf("a 51st instrument: %d %s", a.status, a.body)
	}
}

// TestBrokeragePage: quotes, news and reviews in English and Romanian;
// the watch list form adds, refuses an unknown symbol at the field, and
// removes.
func TestBrokeragePage(t *testing.T) {
	pool := viewPool(t)
	srv := marketServer(t, pool)
	a := marketCall(t, srv, "GET", "/portal/brokerage", "1", "en", nil)
	// html/template writes "+" as &#43;, which browsers show as "+".
	for _, want := range []string{
		`<h1 id="market-title">Markets</h1>`,
		`<td class="quote-yours">Held, 78.4% of your portfolio</td>`,
		"<td class=\"amount quote-close\">24.60\u00a0RON</td>",
		`<td class="amount quote-change">&#43;0.60</td>`,
		`<td class="amount quote-change-percent">&#43;2.50%</td>`,
		`<td class="amount quote-change">-3.00</td>`,
		`<td class="quote-date">5 Mar 2026 <span class="tag tag-warning quote-stale">Old price</span></td>`,
		`<p class="note" id="stale-note">A price marked old is more than 4 days old`,
		`id="unwatch-BRTX" aria-label="Stop watching BRTX"`,
		`<h3 id="item-1-headline">Dunărea Bank beats forecasts</h3>`,
		`<p class="quick-action-reason item-reason">You hold DNB</p>`,
		`<p class="quick-action-reason item-reason">About Bucharest equities, where you hold instruments</p>`,
		`<dd class="item-recommendation">Buy</dd>`, "<dd class=\"amount item-target\">28.00\u00a0RON</dd>",
		`<option value="WRLD">World Equity UCITS ETF</option>`,
	} {
		if a.status != 200 || !strings.Contains(a.body, want) {
			t.Errorf("English page: %d, lacks %s", a.status, want)
		}
	}
	if strings.Contains(a.body, "%!") {
		t.Error("a message with a broken format verb")
	}
	if strings.Index(a.body, `id="item-1"`) > strings.Index(a.body, `id="item-10"`) || strings.Contains(a.body, "ETF assets at a record") {
		t.Error("news not in the order of relevance, or an item without a tie shown")
	}
	a = marketCall(t, srv, "GET", "/portal/brokerage", "1", "ro", nil)
	for _, want := range []string{
		`<h1 id="market-title">Piețe</h1>`,
		"<td class=\"amount quote-close\">24,60\u00a0RON</td>",
		`<td class="amount quote-change-percent">&#43;2,50` + "\u00a0" + `%</td>`,
		`Preț vechi`,
		`<h3 id="item-6-headline">Dunărea Bank depășește estimările</h3>`,
		`<p class="quick-action-reason item-reason">Dețineți DNB</p>`,
	} {
		if a.status != 200 || !strings.Contains(a.body, want) {
			t.Errorf("Romanian page: %d, lacks %s", a.status, want)
		}
	}

	a = marketCall(t, srv, "POST", "/portal/brokerage/watchlist", "1", "en", url.Values{"symbol": {"nope"}})
	if a.status != 422 || !strings.Contains(a.body, `<p class="field-error" id="watch-symbol-error">No instrument has this symbol. Choose one of the suggestions.</p>`) ||
		!strings.Contains(a.body, `value="nope"`) {
		t.Errorf("unknown symbol: %d\n%s", a.status, a.body)
	}
	a = marketCall(t, srv, "POST", "/portal/brokerage/watchlist", "1", "ro", url.Values{"symbol": {""}})
	if a.status != 422 || !strings.Contains(a.body, `Introduceți simbolul unui instrument, de exemplu DNB.`) {
		t.Errorf("no symbol in Romanian: %d", a.status)
	}
	a = marketCall(t, srv, "POST", "/portal/brokerage/watchlist", "1", "en", url.Values{"symbol": {" wrld "}})
	if a.status != 303 || a.location != "/portal/brokerage?added=WRLD#quotes" {
		t.Errorf("add: %d %s", a.status, a.location)
	}
	a = marketCall(t, srv, "GET", "/portal/brokerage?added=WRLD", "1", "en", nil)
	if !strings.Contains(a.body, `<p class="notice" role="status" id="market-notice">WRLD was added to your watch list.</p>`) {
		t.Error("no notice of the addition")
	}
	a = marketCall(t, srv, "POST", "/portal/brokerage/watchlist/BRTX/remove", "1", "en", url.Values{})
	if a.status != 303 || a.location != "/portal/brokerage?removed=BRTX#quotes" || watched(t, pool, 1) != "HDR,WRLD" {
		t.Errorf("remove: %d %s, Ana watches %s", a.status, a.location, watched(t, pool, 1))
	}
	// A link cannot make the page claim an addition that did not happen.
	if a = marketCall(t, srv, "GET", "/portal/brokerage?added=QNTM", "1", "en", nil); strings.Contains(a.body, "market-notice") {
		t.Error("a notice for an instrument not on the watch list")
	}
	if a = marketCall(t, srv, "GET", "/portal/brokerage", "", "en", nil); a.status != 401 {
		t.Errorf("anonymous: %d", a.status)
	}
}
