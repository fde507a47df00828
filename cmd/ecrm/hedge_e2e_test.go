package main

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ecrm-project/ecrm/internal/browsertest"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/pgtest"
	"github.com/ecrm-project/ecrm/products"
)

// hedgeBrowserSQL: Ana (client 1, base currency RON) holds 250 QNTM at
// 100.00 USD (1 USD = 4.6 RON: 115,000 RON) and 1,000 DNB at 20.00 RON,
// so QNTM is 85 % of her portfolio; prices run a year back to today. She
// can bear a loss of 20,000 RON and knows options (informed).
const hedgeBrowserSQL = `
UPDATE clients SET birth_date = '1981-04-12', country = 'RO', annual_income = 200000, income_currency = 'RON',
    employment_status = 'employed' WHERE id = 1;
INSERT INTO accounts (id, client_id, kind, name, currency, opened_on) VALUES (301, 1, 'brokerage', 'Brokerage', 'RON', '2020-01-01');
INSERT INTO instruments (id, symbol, name, kind, currency, market_segment, sector, risk_class, annual_volatility) VALUES
    (11, 'QNTM', 'Quantum Compute Inc', 'equity', 'USD', 'US equities', 'Technology', 6, 0.45),
    (12, 'DNB', 'Dunărea Bank SA', 'equity', 'RON', 'Bucharest equities', 'Financials', 5, 0.24);
INSERT INTO instrument_prices (instrument_id, price_date, close)
SELECT 11, current_date - n, round((100 + 3 * sin(n * 0.7))::numeric, 4) FROM generate_series(0, 365) n
UNION ALL SELECT 12, current_date - n, round((20 + sin(n * 0.3))::numeric, 4) FROM generate_series(0, 365) n;
INSERT INTO fx_rates (base_currency, quote_currency, rate_date, rate, source) VALUES ('USD', 'RON', current_date, 4.6, 'test');
INSERT INTO instrument_volatilities (instrument_id, as_of, kind, volatility, source) VALUES (11, current_date, 'implied', 0.30, 'test');
INSERT INTO instrument_dividend_yields (instrument_id, as_of, dividend_yield, source) VALUES (11, current_date, 0.01, 'test');
INSERT INTO risk_free_rates (currency, as_of, rate, source) VALUES ('USD', current_date, 0.05, 'test');
INSERT INTO positions (client_id, account_id, instrument_id, quantity, average_cost, opened_on) VALUES
    (1, 301, 11, 250, 60, '2023-01-10'), (1, 301, 12, 1000, 15, '2022-03-01');
INSERT INTO risk_assessments (client_id, risk_class, loss_capacity, loss_capacity_currency, knowledge, objective, horizon_months,
                              questionnaire_version, source, assessed_at)
VALUES (1, 5, 20000, 'RON', '{"option": "informed", "equity": "advanced"}', 'growth', 36, 'test-1', 'questionnaire', now() - interval '30 days');
INSERT INTO consents (client_id, purpose, channel, granted, wording_version, source, recorded_at)
VALUES (1, 'marketing', 'web', true, '2026-11', 'portal', now() - interval '1 month');`

// TestHedgeSuggestionInABrowser: Ana opens "Protect your holdings" and
// sees protective puts on her QNTM (2 contracts of 100 shares, strike 83
// from her loss capacity, for 12 months), changes the protection level
// to 90 % and sees the strike and cost change without leaving the page,
// accepts with one click and finds the order request, requested, under
// her orders; her advisor has the deal in the orders pipeline, and the
// accepted offer replays.
func TestHedgeSuggestionInABrowser(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	if err := products.LoadDemoCatalogue(ctx, e.pool); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, hedgeBrowserSQL); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(b, "en"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.RecordCSPViolations(b); err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, b, e.baseURL+"/portal/hedging", `button[value="`+clientSubject+`"]`)
	browsertest.Follow(t, b, `button[value="`+clientSubject+`"]`)
	put := `#strategy-11-protective_put`
	if err := chromedp.Do(b, chromedp.WaitVisible(put+` td[data-field="strike"]`)); err != nil {
		t.Fatalf("no protective put for QNTM: %v", err)
	}
	if got := browsertest.Text(t, b, put+` td[data-field="contracts"]`); got != "2 × 100 shares" {
		t.Errorf("contracts %q, want 2 × 100 shares", got)
	}
	if got := browsertest.Text(t, b, put+` td[data-field="strike"]`); got != "83.00 USD" {
		t.Errorf("strike %q, want 83.00 USD (1 − 20,000 / 115,000)", got)
	}
	reasons := browsertest.Text(t, b, `#hedge-11 .hedge-reasons`)
	if !strings.Contains(reasons, "QNTM is 85.2% of your portfolio") {
		t.Errorf("reasons %q, want the concentration", reasons)
	}
	costBefore := browsertest.Text(t, b, put+` td[data-field="cost"]`)

	// 90 %: the script fetches the figures and swaps them in.
	if err := chromedp.Do(b, chromedp.SetValue(`#level-11`, "0.90")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(b, chromedp.Evaluate[bool](`document.getElementById('level-11').dispatchEvent(new Event('change', {bubbles: true}))`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(b, chromedp.Poll[bool](`document.querySelector('#strategy-11-protective_put td[data-field="strike"]').textContent === '90.00 USD'`)); err != nil {
		t.Fatalf("the strike did not follow the level: %v", err)
	}
	if got := browsertest.Text(t, b, put+` td[data-field="cost"]`); got == costBefore {
		t.Errorf("the cost stayed %q at a higher strike", got)
	}
	path, err := chromedp.Run(b, chromedp.Evaluate[string](`location.pathname + location.search`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(path, "protection_level=0.90") {
		t.Errorf("the address %q does not keep the chosen level", path)
	}

	browsertest.Follow(t, b, `#accept-11-protective_put`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`#order-sent`)); err != nil {
		t.Fatalf("no confirmation of the order request: %v", err)
	}
	row := browsertest.Text(t, b, `#order-table tbody tr`)
	if !strings.Contains(row, "Protective puts — QNTM") || !strings.Contains(row, "Requested") || !strings.Contains(row, "Buy 2 × Put") || !strings.Contains(row, "90.00") {
		t.Errorf("order row %q, want the 2 puts at 90.00, requested", row)
	}
	var orders, deals int
	var seq int64
	if err := e.pool.QueryRow(ctx, `SELECT count(*), max(o.decision_seq),
	    (SELECT count(*) FROM deals d JOIN pipelines p ON p.id = d.pipeline_id WHERE p.code = 'orders' AND d.client_id = 1 AND d.owner_staff_id = 1)
	    FROM order_requests o WHERE o.client_id = 1`).Scan(&orders, &seq, &deals); err != nil {
		t.Fatal(err)
	}
	if orders != 1 || deals != 1 {
		t.Errorf("%d order requests and %d deals for Maria, want 1 each", orders, deals)
	}
	r, err := newReplayer(e.pool).Record(ctx, seq)
	if err != nil || !r.Reproduced() || r.Product != "HEDGE-PUT" {
		t.Errorf("replay of the accepted offer %d: %v %+v", seq, err, r)
	}
	if v := browsertest.CSPViolations(t, b); len(v) > 0 {
		t.Errorf("CSP violations: %v", v)
	}
}

// TestHedgeAPIIsTheClientsOwn: Ana's hedges through the API (a preview, an
// out-of-range level named, an acceptance replayed by its key), and Ion,
// another client, neither sees nor accepts them.
func TestHedgeAPIIsTheClientsOwn(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	if err := products.LoadDemoCatalogue(ctx, e.pool); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, hedgeBrowserSQL); err != nil {
		t.Fatal(err)
	}
	ana, ion := e.newBrowser(), e.newBrowser()
	e.login(ana, clientSubject)
	e.login(ion, otherSubject)
	json := map[string]string{"Content-Type": "application/json", "Accept": "application/json"}

	res, body := ana.get(e.baseURL + "/api/v1/me/hedges")
	if res.StatusCode != 200 || !strings.Contains(body, `"symbol":"QNTM"`) || !strings.Contains(body, `"strategy":"protective_put"`) {
		t.Fatalf("Ana's hedges = %d %s", res.StatusCode, body)
	}
	var seq int64
	if err := e.pool.QueryRow(ctx, `SELECT min(seq) FROM decision_records WHERE client_id = 1 AND engine = 'risk.hedge' AND kind = 'offer_shown'`).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	res, body = ana.doBody("POST", e.baseURL+"/api/v1/me/hedges/preview",
		`{"instrument_id": 11, "strategy": "protective_put", "protection_level": "0.90", "horizon_months": 3}`, json)
	if res.StatusCode != 200 || !strings.Contains(body, `"strike":"90"`) || !strings.Contains(body, `"contracts":2`) {
		t.Errorf("Ana's preview = %d %s", res.StatusCode, body)
	}
	res, body = ana.doBody("POST", e.baseURL+"/api/v1/me/hedges/preview",
		`{"instrument_id": 11, "strategy": "protective_put", "protection_level": "1.20", "horizon_months": 3}`, json)
	if res.StatusCode != 422 || !strings.Contains(body, `"protection_level"`) {
		t.Errorf("a level of 120 %% = %d %s, want 422 naming protection_level", res.StatusCode, body)
	}
	accept := e.baseURL + "/api/v1/me/hedges/" + strconv.FormatInt(seq, 10) + "/accept"
	// Ion sees nothing of Ana's and cannot accept her offer.
	res, body = ion.get(e.baseURL + "/api/v1/me/hedges")
	if res.StatusCode != 200 || strings.Contains(body, "QNTM") || !strings.Contains(body, `"flagged":[]`) {
		t.Errorf("Ion's hedges = %d %s, want none", res.StatusCode, body)
	}
	res, body = ion.doBody("POST", e.baseURL+"/api/v1/me/hedges/preview",
		`{"instrument_id": 11, "strategy": "protective_put", "protection_level": "0.90", "horizon_months": 3}`, json)
	if res.StatusCode != 422 || !strings.Contains(body, `"instrument"`) {
		t.Errorf("Ion previewing Ana's holding = %d %s, want 422", res.StatusCode, body)
	}
	res, body = ion.doBody("POST", accept, ``, map[string]string{"Accept": "application/json", "Idempotency-Key": "ion-1"})
	if res.StatusCode != 404 {
		t.Errorf("Ion accepting Ana's offer = %d %s, want 404", res.StatusCode, body)
	}
	res, body = ana.doBody("POST", accept, ``, map[string]string{"Accept": "application/json"})
	if res.StatusCode != 422 || !strings.Contains(body, "Idempotency-Key") {
		t.Errorf("accepting without a key = %d %s, want 422 naming Idempotency-Key", res.StatusCode, body)
	}
	keyed := map[string]string{"Accept": "application/json", "Idempotency-Key": "ana-1"}
	res, first := ana.doBody("POST", accept, ``, keyed)
	if res.StatusCode != 201 || !strings.Contains(first, `"status":"requested"`) {
		t.Fatalf("Ana accepting = %d %s", res.StatusCode, first)
	}
	res, again := ana.doBody("POST", accept, ``, keyed)
	if res.StatusCode != 200 || res.Header.Get("Idempotent-Replayed") != "true" || again != first {
		t.Errorf("the same key again = %d %s, want 200 replaying %s", res.StatusCode, again, first)
	}
	if res, body := ion.get(e.baseURL + "/api/v1/me/orders"); res.StatusCode != 200 || body != `{"orders":[]}`+"\n" && body != `{"orders":[]}` {
		t.Errorf("Ion's orders = %d %q, want none", res.StatusCode, body)
	}
	if res, body := ion.get(e.baseURL + "/portal/hedging"); res.StatusCode != 200 || strings.Contains(body, "QNTM") {
		t.Errorf("Ion's hedging page = %d, shows Ana's QNTM: %v", res.StatusCode, strings.Contains(body, "QNTM"))
	}
}

// TestHedgeTriggersCommand: `ecrm hedge triggers` re-evaluates the holders
// of the instruments named and says what it found; an unknown symbol and
// a missing argument are named.
func TestHedgeTriggersCommand(t *testing.T) {
	url := pgtest.NewURL(t)
	pool, err := pgdb.Open(context.Background(), url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(context.Background(), `
		INSERT INTO staff_users (id, email, display_name, roles) VALUES (1, 'maria@bank.example', 'Maria Ionescu', '{advisor}');
		INSERT INTO clients (id, given_name, family_name, email, kyc_status, kyc_verified_at, advisor_id) VALUES
			(1, 'Ana', 'Popescu', 'ana@example.com', 'verified', now(), 1);`+hedgeBrowserSQL); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL": url}
	out, err := runCommand(t, env, "hedge", "triggers", "--symbols", "QNTM")
	if err != nil || !strings.HasPrefix(out, "1 holders, 2 holdings evaluated, 1 flagged, in ") {
		t.Errorf("hedge triggers = %q, %v", out, err)
	}
	var flagged string
	if err := pool.QueryRow(context.Background(), `SELECT string_agg(i.symbol, ',') FROM hedge_triggers h JOIN instruments i ON i.id = h.instrument_id WHERE h.triggered`).Scan(&flagged); err != nil || flagged != "QNTM" {
		t.Errorf("flagged %q, %v; want QNTM", flagged, err)
	}
	if _, err := runCommand(t, env, "hedge", "triggers", "--symbols", "QNTM,NOPE"); err == nil || !strings.Contains(err.Error(), "1 of 2 symbols") {
		t.Errorf("an unknown symbol: %v", err)
	}
	if _, err := runCommand(t, env, "hedge", "triggers"); err == nil || !strings.Contains(err.Error(), "--symbols A,B, --client N or --all") {
		t.Errorf("no argument: %v", err)
	}
}
