package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ecrm-project/ecrm/internal/browsertest"
)

// portfolioRiskSQL: Ana (client 1, base currency RON, advisor Maria)
// holds two Romanian bonds quoted in percent of a 5,000 RON face and 30
// shares in EUR, with 90 days of prices before yesterday's closes:
//
//	ROBND  2 × 5,000 × 98.765 % = 9,876.50 RON
//	EQX   30 × 51.23 EUR = 1,536.90 EUR × 4.9771 = 7,649.30 RON
//
// total 17,525.80 RON. BET is the RON benchmark.
const portfolioRiskSQL = `
UPDATE clients SET base_currency = 'RON' WHERE id = 1;
INSERT INTO accounts (id, client_id, kind, name, currency, balance, opened_on, status)
VALUES (701, 1, 'brokerage', 'Brokerage', 'RON', 0, '2024-01-01', 'open');
INSERT INTO instruments (id, symbol, name, kind, currency, sector, risk_class, issuer, coupon_rate, maturity_on, face_value, price_quotation)
VALUES (701, 'ROBND', 'Romania 6.70% 2031', 'bond', 'RON', 'Government bonds', 3, 'Romania (Ministry of Finance)', 0.067, '2031-02-25', 5000, 'percent_of_face');
INSERT INTO instruments (id, symbol, name, kind, currency, sector, risk_class) VALUES
    (702, 'EQX', 'Equix AG', 'equity', 'EUR', 'Industrials', 5), (703, 'BET', 'Bucharest index', 'index', 'RON', NULL, 5);
INSERT INTO instrument_prices (instrument_id, price_date, close)
SELECT i, now()::date - d,
       round((CASE i WHEN 701 THEN 98 + sin(d / 11.0) WHEN 702 THEN 50 + 3 * sin(d / 7.0) ELSE 10000 * (1 + 0.02 * sin(d / 7.0)) END)::numeric, 4)
FROM generate_series(701, 703) i, generate_series(2, 91) d;
INSERT INTO instrument_prices (instrument_id, price_date, close) VALUES
    (701, now()::date - 1, 98.765), (702, now()::date - 1, 51.23), (703, now()::date - 1, 10050);
INSERT INTO fx_rates (base_currency, quote_currency, rate_date, rate, source)
SELECT 'EUR', 'RON', now()::date - d, 4.97 + d / 10000.0, 'test' FROM generate_series(2, 91) d;
INSERT INTO fx_rates (base_currency, quote_currency, rate_date, rate, source) VALUES ('EUR', 'RON', now()::date - 1, 4.9771, 'test');
INSERT INTO benchmarks (currency, instrument_id) VALUES ('RON', 703);
INSERT INTO positions (client_id, account_id, instrument_id, quantity, average_cost, opened_on) VALUES
    (1, 701, 701, 2, 97.5, '2024-01-01'), (1, 701, 702, 30, 45, '2024-01-01');`

// TestPortfolioRiskEndToEnd: the bond quoted in percent of face has the
// same value on the client's overview, on the advisor's 360 and on the
// risk page; the risk API values the portfolio in RON; in Chromium, under
// the server's Content-Security-Policy, the client follows the overview's
// link to the risk page and sees the VaR table and the charts, and the
// advisor sees the same total on the 360; Ion (client 2) sees only his
// own, empty, portfolio.
func TestPortfolioRiskEndToEnd(t *testing.T) {
	e := newTestEnv(t, nil)
	if _, err := e.pool.Exec(context.Background(), portfolioRiskSQL); err != nil {
		t.Fatal(err)
	}
	client, advisor, other := e.newBrowser(), e.newBrowser(), e.newBrowser()
	e.login(client, clientSubject)
	e.login(advisor, advisorSubject)
	e.login(other, otherSubject)
	accept := map[string]string{"Accept": "application/json"}

	var me struct {
		Portfolio struct {
			Positions []struct {
				Symbol    string
				Quotation string
				Value     struct{ Amount string }
			}
		}
	}
	_, body := client.do("GET", e.baseURL+"/api/v1/me", nil, accept)
	if err := json.Unmarshal([]byte(body), &me); err != nil || len(me.Portfolio.Positions) != 2 {
		t.Fatalf("overview: %v %.300s", err, body)
	}
	var c360 struct {
		Positions []struct {
			Symbol      string
			Quotation   string
			MarketValue struct{ Amount string } `json:"market_value"`
		}
	}
	_, body = advisor.do("GET", e.baseURL+"/api/v1/clients/1", nil, accept)
	if err := json.Unmarshal([]byte(body), &c360); err != nil || len(c360.Positions) != 2 {
		t.Fatalf("360: %v %.300s", err, body)
	}
	var risk struct {
		Total     struct{ Amount, Currency string }
		Positions []struct {
			Symbol    string
			Value     struct{ Amount string }
			BaseValue struct{ Amount string } `json:"base_value"`
			InHistory bool                    `json:"in_history"`
		}
		History *struct {
			Var  []struct{ Method string }
			Beta *struct{ Value string }
		}
		Notices []struct{ Code string }
	}
	_, body = client.do("GET", e.baseURL+"/api/v1/me/portfolio/risk", nil, accept)
	if err := json.Unmarshal([]byte(body), &risk); err != nil || len(risk.Positions) != 2 {
		t.Fatalf("risk: %v %.300s", err, body)
	}
	values := map[string][]string{}
	for _, p := range me.Portfolio.Positions {
		values[p.Symbol] = append(values[p.Symbol], p.Quotation, p.Value.Amount)
	}
	for _, p := range c360.Positions {
		values[p.Symbol] = append(values[p.Symbol], p.Quotation, p.MarketValue.Amount)
	}
	for _, p := range risk.Positions {
		values[p.Symbol] = append(values[p.Symbol], p.Value.Amount, p.BaseValue.Amount)
	}
	if got := strings.Join(values["ROBND"], " "); got != "percent_of_face 9876.50 percent_of_face 9876.50 9876.50 9876.50" {
		t.Errorf("ROBND overview, 360, risk: %s", got)
	}
	if got := strings.Join(values["EQX"], " "); got != "unit 1536.90 unit 1536.90 1536.90 7649.30" {
		t.Errorf("EQX overview, 360, risk: %s", got)
	}
	if risk.Total.Amount != "17525.80" || risk.Total.Currency != "RON" || risk.History == nil || len(risk.History.Var) != 8 ||
		risk.History.Beta == nil || len(risk.Notices) != 0 || !risk.Positions[0].InHistory {
		t.Errorf("risk figures: %s", body)
	}
	// The pages write the bond's price as a percentage of its face.
	_, page := client.do("GET", e.baseURL+"/portal", nil, map[string]string{"Accept-Language": "en"})
	if !strings.Contains(page, "98.765 % of face on ") {
		t.Error("the overview does not show the bond's price in percent of face")
	}
	_, page = advisor.do("GET", e.baseURL+"/console/clients/1", nil, map[string]string{"Accept-Language": "en"})
	if !strings.Contains(page, "98.765 % of face") || !strings.Contains(page, "97.50 % of face") {
		t.Error("the 360 does not show the bond's price and cost in percent of face")
	}
	_, body = other.do("GET", e.baseURL+"/api/v1/me/portfolio/risk", nil, accept)
	if !strings.Contains(body, `"client_id":2`) || !strings.Contains(body, `"positions":[]`) || strings.Contains(body, "ROBND") {
		t.Errorf("Ion reads: %s", body)
	}

	// In Chromium: the overview links to the risk page.
	b := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(b, "en-GB,en;q=0.9"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.RecordCSPViolations(b); err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, b, e.baseURL+"/login", `button[value="`+clientSubject+`"]`)
	browsertest.Follow(t, b, `button[value="`+clientSubject+`"]`)
	browsertest.Visit(t, b, e.baseURL+"/portal", "#portfolio-risk-link")
	browsertest.Follow(t, b, "#portfolio-risk-link")
	if got := browsertest.Text(t, b, "#risk-total"); got != "RON\u00a017,525.80" {
		t.Errorf("total on the risk page: %q", got)
	}
	if got := browsertest.Text(t, b, "#risk-var-table thead"); !strings.Contains(got, "Historical method") || !strings.Contains(got, "Parametric method") {
		t.Errorf("VaR table head: %q", got)
	}
	if got := browsertest.Text(t, b, "#risk-var-99-1 .var-historical"); !strings.HasPrefix(got, "RON\u00a0") {
		t.Errorf("99 %% one-day historical VaR: %q", got)
	}
	// Every chart is drawn: the value and drawdown lines, four allocations,
	// each with a visible size.
	charts, err := chromedp.Run(b, chromedp.Evaluate[[]map[string]float64](`[...document.querySelectorAll("#risk-portfolio svg.chart")].map(s => {
		const r = s.getBoundingClientRect(); return {w: r.width, h: r.height, marks: s.querySelectorAll("polyline, rect.chart-bar").length};
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if len(charts) != 6 {
		t.Fatalf("%d charts, want 6", len(charts))
	}
	for i, c := range charts {
		if c["w"] < 100 || c["h"] < 40 || c["marks"] < 1 {
			t.Errorf("chart %d drawn %v", i, c)
		}
	}
	if v := browsertest.CSPViolations(t, b); len(v) != 0 {
		t.Errorf("CSP violations on the risk page: %q", v)
	}

	// The advisor sees the same on the 360.
	a := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(a, "en-GB,en;q=0.9"); err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, a, e.baseURL+"/login", `button[value="`+advisorSubject+`"]`)
	browsertest.Follow(t, a, `button[value="`+advisorSubject+`"]`)
	browsertest.Visit(t, a, e.baseURL+"/console/clients/1", "#portfolio-risk")
	if got := browsertest.Text(t, a, "#portfolio-risk #risk-total"); got != "RON\u00a017,525.80" {
		t.Errorf("total on the 360: %q", got)
	}
	if got := browsertest.Text(t, a, "#portfolio-risk #risk-var-title"); got != "Value at risk" {
		t.Errorf("360's VaR heading: %q", got)
	}
}
