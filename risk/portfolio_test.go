package risk

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// portfolioSQL: Ana (client 1, base currency RON, advisor 10) holds
//
//	EQ1   100 × 12.345 RON                      = 1,234.50 RON
//	EQ2    10 × 45.67 EUR = 456.70 EUR × 4.9771  = 2,273.04 RON (2,273.04157)
//	BND     3 × 1,000 EUR face × 98.505 % = 2,955.15 EUR
//	                                × 4.9771     = 14,708.08 RON (14,708.077065)
//	USDX   20 × 15.50 USD = 310.00 USD, no USD/RON rate: through EUR,
//	        ÷ 1.0850 (EUR/USD) × 4.9771 (EUR/RON) = 1,422.03 RON (1,422.02857…)
//	OLD     5 × 20.00 RON, priced 8 days ago     = 100.00 RON, stale
//	NOPX   no price: unvalued
//	GBPX    2 × 10.00 GBP, no rate from GBP: 20.00 GBP, no RON value
//
// total 19,737.65 RON. BND is issued by Beta AG, whose share EQ2 is, so
// the issuer Beta AG holds 2,273.04 + 14,708.08 = 16,981.12 RON. Ion
// (client 2, advisor 11) holds EQ1 too.
const portfolioSQL = `
INSERT INTO staff_users (id, email, display_name, roles) VALUES
    (10, 'adv10@bank.test', 'Advisor Ten', '{advisor}'), (11, 'adv11@bank.test', 'Advisor Eleven', '{advisor}');
INSERT INTO clients (id, given_name, family_name, base_currency, advisor_id) VALUES
    (1, 'Ana', 'Popescu', 'RON', 10), (2, 'Ion', 'Ionescu', 'EUR', 11);
INSERT INTO accounts (id, client_id, kind, name, currency, opened_on) VALUES
    (1, 1, 'brokerage', 'Brokerage', 'RON', '2020-01-01'), (2, 2, 'brokerage', 'Brokerage', 'EUR', '2020-01-01');
INSERT INTO instruments (id, symbol, name, kind, currency, sector, risk_class) VALUES
    (1, 'EQ1', 'Alpha SA', 'equity', 'RON', 'Financials', 5),
    (2, 'EQ2', 'Beta AG', 'equity', 'EUR', 'Utilities', 5),
    (4, 'USDX', 'Gamma Inc', 'equity', 'USD', 'Technology', 6),
    (5, 'OLD', 'Old Co SA', 'equity', 'RON', NULL, 5),
    (6, 'NOPX', 'No Price SA', 'equity', 'RON', 'Energy', 5),
    (7, 'GBPX', 'Pound plc', 'equity', 'GBP', 'Consumer', 5);
INSERT INTO instruments (id, symbol, name, kind, currency, sector, risk_class, issuer, coupon_rate, maturity_on, face_value, price_quotation) VALUES
    (3, 'BND', 'Beta AG 4% 2030', 'bond', 'EUR', 'Fixed income', 3, 'Beta AG', 0.04, '2030-06-30', 1000.00, 'percent_of_face');
INSERT INTO instrument_prices (instrument_id, price_date, close) VALUES
    (1, '2026-05-08', 12.345), (2, '2026-05-07', 45.67), (3, '2026-05-08', 98.505), (4, '2026-05-07', 15.50),
    (5, '2026-04-30', 20.00), (7, '2026-05-08', 10.00),
    -- A price after the day is not used.
    (1, '2026-05-11', 99.99);
INSERT INTO positions (client_id, account_id, instrument_id, quantity, average_cost, opened_on) VALUES
    (1, 1, 1, 100, 11, '2025-01-01'), (1, 1, 2, 10, 40, '2025-01-01'), (1, 1, 3, 3, 97.0015, '2025-01-01'),
    (1, 1, 4, 20, 14, '2025-01-01'), (1, 1, 5, 5, 20, '2025-01-01'), (1, 1, 6, 7, 3, '2025-01-01'),
    (1, 1, 7, 2, 9, '2025-01-01'), (2, 2, 1, 50, 12, '2025-01-01');
INSERT INTO fx_rates (base_currency, quote_currency, rate_date, rate, source) VALUES
    ('EUR', 'RON', '2026-05-06', 4.9700, 'test'), ('EUR', 'RON', '2026-05-07', 4.9771, 'test'),
    ('EUR', 'RON', '2026-05-11', 5.5000, 'test'),
    ('EUR', 'USD', '2026-05-07', 1.0850, 'test');
`

var portfolioDay = time.Date(2026, 5, 8, 15, 0, 0, 0, time.UTC)

func testPortfolioConfig() PortfolioConfig {
	cfg := DefaultPortfolioConfig()
	cfg.MinHistoryDays = 3
	return cfg
}

func portfolioFixture(t *testing.T, extra string) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), portfolioSQL+extra); err != nil {
		t.Fatal(err)
	}
	return pool
}

func position(t *testing.T, r *PortfolioRisk, symbol string) PortfolioPosition {
	t.Helper()
	for _, p := range r.Positions {
		if p.Symbol == symbol {
			return p
		}
	}
	t.Fatalf("no position %s", symbol)
	return PortfolioPosition{}
}

func moneyIs(m *ecrm.Money, want string) bool { return m != nil && m.String() == want }

// TestPortfolioValuation: the hand-worked portfolio above, valued in RON:
// exact base values through a direct and a crossed rate, the bond at a
// percentage of its face, weights, the allocation four ways (each adding
// up to the total to the cent), concentration, and what is left out and
// why, naming the instrument and the field.
func TestPortfolioValuation(t *testing.T) {
	pool := portfolioFixture(t, "")
	r, err := MeasurePortfolio(context.Background(), pool, PortfolioScope{ClientID: 1}, portfolioDay, testPortfolioConfig())
	if err != nil {
		t.Fatal(err)
	}
	if r.BaseCurrency != "RON" || r.BaseCurrencySource != "client" || r.AsOf.Format(time.DateOnly) != "2026-05-08" || r.Total.String() != "19737.65 RON" {
		t.Fatalf("base %s (%s), as of %s, total %s", r.BaseCurrency, r.BaseCurrencySource, r.AsOf.Format(time.DateOnly), r.Total)
	}
	for _, tt := range []struct {
		symbol, value, base, weight, status string
	}{
		{"BND", "2955.15 EUR", "14708.08 RON", "0.7452", PositionValued},
		{"EQ1", "1234.50 RON", "1234.50 RON", "0.0625", PositionValued},
		{"EQ2", "456.70 EUR", "2273.04 RON", "0.1152", PositionValued},
		{"OLD", "100.00 RON", "100.00 RON", "0.0051", PositionValued},
		{"USDX", "310.00 USD", "1422.03 RON", "0.072", PositionValued},
		{"GBPX", "20.00 GBP", "", "", PositionNoBaseValue},
		{"NOPX", "", "", "", PositionUnvalued},
	} {
		p := position(t, r, tt.symbol)
		if p.Status != tt.status || (tt.value != "" && !moneyIs(p.Value, tt.value)) || (tt.value == "" && p.Value != nil) ||
			(tt.base != "" && !moneyIs(p.BaseValue, tt.base)) || (tt.base == "" && p.BaseValue != nil) ||
			(tt.weight != "" && (p.Weight == nil || !p.Weight.Equal(dec(tt.weight)))) || (tt.weight == "" && p.Weight != nil) {
			t.Errorf("%s: status %s, value %v, base %v, weight %v; want %s %s %s %s", tt.symbol, p.Status, p.Value, p.BaseValue, p.Weight,
				tt.status, tt.value, tt.base, tt.weight)
		}
	}
	// The rates used: EUR/RON of 7 May (not the later one of 11 May), and
	// for USD the crossed rate 4.9771 / 1.0850.
	eq2 := position(t, r, "EQ2")
	if eq2.FX == nil || len(eq2.FX.Rates) != 1 || eq2.FX.Rates[0].Inverted || !eq2.FX.Rate.Equal(dec("4.9771")) ||
		eq2.FX.Date.Format(time.DateOnly) != "2026-05-07" || eq2.FX.Stale {
		t.Errorf("EQ2's conversion %+v", eq2.FX)
	}
	usd := position(t, r, "USDX")
	if usd.FX == nil || len(usd.FX.Rates) != 2 || !usd.FX.Rates[0].Inverted || usd.FX.Rates[0].Base != "EUR" || usd.FX.Rates[0].Quote != "USD" ||
		usd.FX.Rates[1].Inverted || usd.FX.Rates[1].Quote != "RON" || !usd.FX.Rate.Equal(dec("4.5871889401")) {
		t.Errorf("USDX's conversion %+v", usd.FX)
	}
	bnd := position(t, r, "BND")
	if bnd.Quotation != PercentOfFace || bnd.FaceValue == nil || !bnd.FaceValue.Equal(dec("1000")) || !bnd.Price.Equal(dec("98.505")) {
		t.Errorf("BND quoted %s on face %v at %v", bnd.Quotation, bnd.FaceValue, bnd.Price)
	}
	if old := position(t, r, "OLD"); !old.PriceStale || !r.Stale {
		t.Errorf("OLD's price of 30 April is not stale on 8 May (max 4 days): %v, %v", old.PriceStale, r.Stale)
	}
	if eq1 := position(t, r, "EQ1"); !eq1.Price.Equal(dec("12.345")) || eq1.PriceStale {
		t.Errorf("EQ1 priced %v (stale %v), want the close of 8 May, not of 11 May", eq1.Price, eq1.PriceStale)
	}

	// Allocations: each adds up to the total exactly.
	want := map[string][]string{
		"asset_class": {"bond 14708.08 RON 0.7452", "equity 5029.57 RON 0.2548"},
		"sector":      {"Fixed income 14708.08 RON 0.7452", "Utilities 2273.04 RON 0.1152", "Technology 1422.03 RON 0.072", "Financials 1234.50 RON 0.0625", " 100.00 RON 0.0051"},
		"currency":    {"EUR 16981.12 RON 0.8603", "USD 1422.03 RON 0.072", "RON 1334.50 RON 0.0676"},
		"issuer":      {"Beta AG 16981.12 RON 0.8603", "Gamma Inc 1422.03 RON 0.072", "Alpha SA 1234.50 RON 0.0625", "Old Co SA 100.00 RON 0.0051"},
	}
	for name, lines := range map[string][]AllocationLine{"asset_class": r.Allocation.AssetClass, "sector": r.Allocation.Sector,
		"currency": r.Allocation.Currency, "issuer": r.Allocation.Issuer} {
		var got []string
		sum := decimal.Zero
		for _, l := range lines {
			got = append(got, l.Key+" "+l.Value.String()+" "+l.Share.String())
			sum = sum.Add(l.Value.Amount)
		}
		if strings.Join(got, "|") != strings.Join(want[name], "|") || !sum.Equal(r.Total.Amount) {
			t.Errorf("allocation by %s: %q (sum %s), want %q", name, got, sum, want[name])
		}
	}
	c := r.Concentration
	if c == nil || c.LargestPosition != "BND" || !c.LargestPositionWeight.Equal(dec("0.7452")) || c.LargestIssuer != "Beta AG" ||
		!c.LargestIssuerWeight.Equal(dec("0.8603")) || !c.HHI.Equal(dec("0.5777")) || !c.EffectivePositions.Equal(dec("1.73")) {
		t.Errorf("concentration %+v", c)
	}

	// What was left out, and why.
	codes := map[string]Notice{}
	for _, n := range r.Notices {
		codes[n.Code] = n
	}
	for code, wantMsg := range map[string]string{
		NoticeNoPrice:      "No price for NOPX: not valued, and left out of the totals and the risk figures.",
		NoticeNoFX:         "No exchange rate from GBP to RON in the three years up to the valuation date: GBPX valued in its own currency only, and left out of the totals and the risk figures.",
		NoticeStalePrice:   "Prices older than 4 days: OLD (30 Apr 2026). They are used, so the figures may be out of date.",
		NoticeShortHistory: "Too short a price history for BND, EQ1, EQ2, OLD, USDX: left out of value at risk, volatility, beta and drawdown.",
		NoticeNoHistory:    "The price history is too short to measure value at risk, volatility, beta or drawdown.",
	} {
		if n, ok := codes[code]; !ok || n.Message != wantMsg || n.Field != noticeFields[code] {
			t.Errorf("notice %s: %+v\nwant %q", code, n, wantMsg)
		}
	}
	if len(r.Notices) != 5 || r.History != nil {
		t.Errorf("notices %+v, history %+v", r.Notices, r.History)
	}
	if p := position(t, r, "NOPX"); p.Reason == nil || p.Reason.Field != "price" || p.Reason.Symbols[0] != "NOPX" {
		t.Errorf("NOPX's reason %+v", p.Reason)
	}
}

// TestPortfolioScope: an advisor reads only the clients they serve; a
// client id that is not theirs is not found, in SQL.
func TestPortfolioScope(t *testing.T) {
	pool := portfolioFixture(t, "")
	ctx := context.Background()
	ten, eleven := int64(10), int64(11)
	if _, err := MeasurePortfolio(ctx, pool, PortfolioScope{ClientID: 1, AdvisorID: &ten}, portfolioDay, testPortfolioConfig()); err != nil {
		t.Errorf("advisor 10 reading client 1: %v", err)
	}
	for _, sc := range []PortfolioScope{{ClientID: 1, AdvisorID: &eleven}, {ClientID: 99}} {
		if _, err := MeasurePortfolio(ctx, pool, sc, portfolioDay, testPortfolioConfig()); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
			t.Errorf("scope %+v: %v, want not found", sc, err)
		}
	}
	r, err := MeasurePortfolio(ctx, pool, PortfolioScope{ClientID: 2, AdvisorID: &eleven}, portfolioDay, testPortfolioConfig())
	if err != nil || len(r.Positions) != 1 || r.BaseCurrency != "EUR" {
		t.Fatalf("client 2: %+v, %v", r, err)
	}
	// 50 × 12.345 = 617.25 RON ÷ 4.9771 = 124.018. EUR.
	if p := r.Positions[0]; !moneyIs(p.BaseValue, "124.02 EUR") || p.FX == nil || !p.FX.Rates[0].Inverted {
		t.Errorf("client 2's position in EUR: %v, %+v", p.BaseValue, p.FX)
	}
}

// historySQL: Dan (client 3, no base currency: his income currency RON)
// holds 10 × EQH; EQH's closes rise and fall by 20 % and the RON
// benchmark's by 10 % on the same days, so beta is 2:
//
//	         1 May  4 May  5 May  6 May   7 May   8 May
//	EQH      100    120    96     115.2   92.16   110.592
//	IDXR     100    110    99     108.9   98.01   107.811
//
// Today's value 10 × 110.592 = 1,105.92 RON; its daily P&L over the
// history 1,105.92 × (+0.2, −0.2, +0.2, −0.2, +0.2) = ±221.184.
//
//	historical VaR (5 days; the ⌈5 × 0.05⌉ = ⌈5 × 0.01⌉ = 1st worst day):
//	  221.184 at 95 % and 99 %, × √10 = 699.4452… over 10 days;
//	parametric: μ = 221.184 / 5 = 44.2368, σ = 221.184 √1.2 (deviations
//	  0.8a three times, −1.2a twice: 4.8a² / 4), z σ √h − μ h:
//	  95 % 354.3029 (1 day), 817.9252 (10); 99 % 519.4255, 1,340.0887;
//	volatility: log returns ln 1.2 three times, ln 0.8 twice, sample σ
//	  × √252 = 3.5254;
//	drawdown: the peak 1,200 (4 May), the trough 921.60 (7 May),
//	  278.40 RON, 23.2 %.
const historySQL = `
INSERT INTO clients (id, given_name, family_name, annual_income, income_currency) VALUES (3, 'Dan', 'Dinu', 90000, 'RON');
INSERT INTO accounts (id, client_id, kind, name, currency, opened_on) VALUES (3, 3, 'brokerage', 'Brokerage', 'RON', '2020-01-01');
INSERT INTO instruments (id, symbol, name, kind, currency, risk_class) VALUES
    (20, 'EQH', 'Hedera SA', 'equity', 'RON', 5), (21, 'IDXR', 'Bucharest Index', 'index', 'RON', 5);
INSERT INTO instrument_prices (instrument_id, price_date, close) VALUES
    (20, '2026-05-01', 100), (20, '2026-05-04', 120), (20, '2026-05-05', 96), (20, '2026-05-06', 115.2),
    (20, '2026-05-07', 92.16), (20, '2026-05-08', 110.592),
    (21, '2026-05-01', 100), (21, '2026-05-04', 110), (21, '2026-05-05', 99), (21, '2026-05-06', 108.9),
    (21, '2026-05-07', 98.01), (21, '2026-05-08', 107.811);
INSERT INTO positions (client_id, account_id, instrument_id, quantity, average_cost, opened_on) VALUES (3, 3, 20, 10, 100, '2025-01-01');
INSERT INTO benchmarks (currency, instrument_id) VALUES ('RON', 21);
`

// TestPortfolioHistory: the hand-worked history above.
func TestPortfolioHistory(t *testing.T) {
	pool := portfolioFixture(t, historySQL)
	r, err := MeasurePortfolio(context.Background(), pool, PortfolioScope{ClientID: 3}, portfolioDay, testPortfolioConfig())
	if err != nil {
		t.Fatal(err)
	}
	h := r.History
	if r.BaseCurrencySource != "income" || h == nil || h.Days != 6 || h.Positions != 1 || h.Value.String() != "1105.92 RON" ||
		h.From.Format(time.DateOnly) != "2026-05-01" || h.To.Format(time.DateOnly) != "2026-05-08" {
		t.Fatalf("history %+v (base from %s), notices %+v", h, r.BaseCurrencySource, r.Notices)
	}
	var got []string
	for _, v := range h.VaR {
		got = append(got, fmt.Sprintf("%s %s %dd %s %s", v.Method, v.Confidence, v.HorizonDays, v.Amount, v.Share))
	}
	want := []string{
		"historical 0.95 1d 221.18 RON 0.2", "historical 0.95 10d 699.45 RON 0.6325", "historical 0.99 1d 221.18 RON 0.2", "historical 0.99 10d 699.45 RON 0.6325",
		"parametric 0.95 1d 354.30 RON 0.3204", "parametric 0.95 10d 817.93 RON 0.7396", "parametric 0.99 1d 519.43 RON 0.4697", "parametric 0.99 10d 1340.09 RON 1.2117",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("VaR\n got %q\nwant %q", got, want)
	}
	if !h.Volatility.Equal(dec("3.5254")) {
		t.Errorf("volatility %s, want 3.5254", h.Volatility)
	}
	dd := h.MaxDrawdown
	if dd == nil || !dd.Fraction.Equal(dec("0.232")) || dd.Amount.String() != "278.40 RON" ||
		dd.PeakDate.Format(time.DateOnly) != "2026-05-04" || dd.TroughDate.Format(time.DateOnly) != "2026-05-07" {
		t.Errorf("drawdown %+v", dd)
	}
	if h.Beta == nil || !h.Beta.Value.Equal(dec("2")) || h.Beta.Days != 5 || h.Beta.Benchmark.Symbol != "IDXR" {
		t.Errorf("beta %+v", h.Beta)
	}
	p := r.Positions[0]
	if !p.InHistory || !moneyIs(p.VaR1Day99, "221.18 RON") || !moneyIs(p.VaR10Day99, "699.45 RON") {
		t.Errorf("position VaR %v %v", p.VaR1Day99, p.VaR10Day99)
	}
	if len(r.ValueHistory) != 6 || r.ValueHistory[1].Value != 1200 || math.Abs(r.ValueHistory[4].Drawdown-0.232) > 1e-12 {
		t.Errorf("value history %+v", r.ValueHistory)
	}
	if len(r.Notices) != 0 {
		t.Errorf("notices %+v", r.Notices)
	}

	// Without a benchmark for the base currency: no beta, and why.
	if _, err := pool.Exec(context.Background(), `DELETE FROM benchmarks`); err != nil {
		t.Fatal(err)
	}
	r, err = MeasurePortfolio(context.Background(), pool, PortfolioScope{ClientID: 3}, portfolioDay, testPortfolioConfig())
	if err != nil || r.History == nil || r.History.Beta != nil || len(r.Notices) != 1 ||
		r.Notices[0].Message != "No benchmark index is set for RON: beta is not measured." || r.Notices[0].Field != "benchmark" {
		t.Errorf("no benchmark: %+v, %v", r.Notices, err)
	}
}

// TestBetaIndependent: beta of an irregular pair of series against the
// least-squares slope computed in exact rational arithmetic (math/big),
// an independent method: Σ(x − x̄)(y − ȳ) / Σ(x − x̄)².
func TestBetaIndependent(t *testing.T) {
	y := []float64{0.012, -0.004, 0.031, -0.027, 0.008, 0.015, -0.011}
	x := []float64{0.010, -0.001, 0.017, -0.020, 0.002, 0.011, -0.004}
	rat := func(f float64) *big.Rat { r, _ := new(big.Rat).SetString(decimal.NewFromFloat(f).String()); return r }
	n := big.NewRat(int64(len(x)), 1)
	mx, my := new(big.Rat), new(big.Rat)
	for i := range x {
		mx.Add(mx, rat(x[i]))
		my.Add(my, rat(y[i]))
	}
	mx.Quo(mx, n)
	my.Quo(my, n)
	sxy, sxx := new(big.Rat), new(big.Rat)
	for i := range x {
		dx := new(big.Rat).Sub(rat(x[i]), mx)
		dy := new(big.Rat).Sub(rat(y[i]), my)
		sxy.Add(sxy, new(big.Rat).Mul(dx, dy))
		sxx.Add(sxx, new(big.Rat).Mul(dx, dx))
	}
	want, _ := new(big.Rat).Quo(sxy, sxx).Float64()
	got, ok := slope(y, x)
	if !ok || math.Abs(got-want) > 1e-12 {
		t.Errorf("slope %.15f, want %.15f", got, want)
	}
	if _, ok := slope([]float64{1, 2}, []float64{3, 3}); ok {
		t.Error("a benchmark that does not move has no beta")
	}
}

// TestMaxDrawdown: 100 → 120 → 90 → 110 → 80 → 130: the fall from 120 to
// 80 is a third; a rising series has none.
func TestMaxDrawdown(t *testing.T) {
	dd, peak, trough := maxDrawdown([]float64{100, 120, 90, 110, 80, 130})
	if math.Abs(dd-1.0/3) > 1e-15 || peak != 1 || trough != 4 {
		t.Errorf("drawdown %v from %d to %d", dd, peak, trough)
	}
	if dd, _, _ := maxDrawdown([]float64{1, 2, 3}); dd != 0 {
		t.Errorf("rising: %v", dd)
	}
}

// TestFXConvert: amounts are converted exactly and rounded once, half away
// from zero: 0.05 EUR × 4.9 = 0.245 → 0.25 RON, −0.245 → −0.25; 1.00 RON
// ÷ 4.9771 = 0.200919… → 0.20 EUR; no path without rates.
func TestFXConvert(t *testing.T) {
	book := fxBook{fxPair{"EUR", "RON"}: {{day: 10, rate: dec("4.9"), f: 4.9}, {day: 12, rate: dec("4.9771"), f: 4.9771}}}
	p, ok := book.path("EUR", "RON", 11)
	if !ok || p.convert(dec("0.05"), "RON").String() != "0.25 RON" || p.convert(dec("-0.05"), "RON").String() != "-0.25 RON" {
		t.Errorf("EUR→RON on day 11: %v", p)
	}
	p, ok = book.path("RON", "EUR", 12)
	if !ok || p.convert(dec("1.00"), "EUR").String() != "0.20 EUR" || !p[0].invert {
		t.Errorf("RON→EUR on day 12: %v", p)
	}
	if _, ok := book.path("RON", "EUR", 9); ok {
		t.Error("a rate from after the epochDay was used")
	}
	if _, ok := book.path("GBP", "RON", 12); ok {
		t.Error("GBP has no rate")
	}
	p, _ = book.path("EUR", "RON", 12)
	if got := book.along(p, []epochDay{5, 10, 11, 12, 13}); !slices.Equal(got, []float64{4.9, 4.9, 4.9, 4.9771, 4.9771}) {
		t.Errorf("history rates %v: before the first, the first; then the last on or before each day", got)
	}
	p, _ = book.path("RON", "EUR", 12)
	if got := book.along(p, []epochDay{10, 12}); math.Abs(got[0]-1/4.9) > 1e-15 || math.Abs(got[1]-1/4.9771) > 1e-15 {
		t.Errorf("inverted history rates %v", got)
	}
}

// TestPortfolioStaleRates: with a maximum age of zero days, yesterday's
// prices and rates are old: used, and flagged with the instrument and the
// date; with the default four days they are not.
func TestPortfolioStaleRates(t *testing.T) {
	pool := portfolioFixture(t, "")
	cfg := testPortfolioConfig()
	cfg.MaxPriceAge = 0
	r, err := MeasurePortfolio(context.Background(), pool, PortfolioScope{ClientID: 1}, portfolioDay, cfg)
	if err != nil {
		t.Fatal(err)
	}
	eq2 := position(t, r, "EQ2")
	if !eq2.PriceStale || eq2.FX == nil || !eq2.FX.Stale || !moneyIs(eq2.BaseValue, "2273.04 RON") || !r.Stale {
		t.Errorf("EQ2 at zero days: price stale %v, rate %+v, base %v", eq2.PriceStale, eq2.FX, eq2.BaseValue)
	}
	for _, n := range r.Notices {
		if n.Code == NoticeStaleFX && n.Message != "Exchange rates older than 0 days are used for BND (7 May 2026), EQ2 (7 May 2026), USDX (7 May 2026), so the figures may be out of date." {
			t.Errorf("stale rates: %q", n.Message)
		}
	}
	r, _ = MeasurePortfolio(context.Background(), pool, PortfolioScope{ClientID: 1}, portfolioDay, testPortfolioConfig())
	if eq2 := position(t, r, "EQ2"); eq2.PriceStale || eq2.FX.Stale {
		t.Errorf("EQ2 at four days: %v %v", eq2.PriceStale, eq2.FX.Stale)
	}
}

// TestNewPriceSeries: closes arrive newest first, and should they come
// in another order they are sorted by day.
func TestNewPriceSeries(t *testing.T) {
	for _, days := range [][]int32{{12, 11, 10}, {12, 10, 11}, {10, 11, 12}} {
		closes := make([]float64, 3)
		for i, d := range days {
			closes[i] = map[int32]float64{10: 10.000001, 11: 11.25, 12: 12.5}[d]
		}
		s := newPriceSeries(days, closes)
		if !slices.Equal(s.days, []epochDay{10, 11, 12}) || !slices.Equal(s.closes, []float64{10.000001, 11.25, 12.5}) {
			t.Errorf("from %v: series %v %v", days, s.days, s.closes)
		}
	}
}

// TestHistoryWireFormat: the history's arrays read from PostgreSQL's
// binary format give the same days and closes as pgx's own scanning, for
// closes of every shape numeric(18,6) takes (whole, fractional, below
// one, with a zero group, the largest), and through the simple protocol
// (text) too.
func TestHistoryWireFormat(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	const q = `SELECT 7::int8, array_agg(x.d), array_agg(x.c) FROM (
        SELECT 20000 - i AS d, c::numeric(18,6) AS c FROM unnest($1::text[]) WITH ORDINALITY AS u (c, i) ORDER BY i) x`
	for _, tt := range []struct {
		mode   pgx.QueryExecMode
		closes []string
		// fast: the wire bytes are read directly (else pgx scans).
		fast bool
	}{
		{pgx.QueryExecModeCacheStatement, []string{"98.505", "12.345", "0.000001", "10000", "10000.0001", "9999999.999999", "5", "0.62", "-0.5"}, true},
		{pgx.QueryExecModeCacheStatement, []string{"123456789012.123456", "1.5"}, false},
		{pgx.QueryExecModeCacheStatement, []string{"99999999.999999", "1.5"}, false},
		{pgx.QueryExecModeSimpleProtocol, []string{"98.505", "0.000001", "123456789012.123456"}, false},
	} {
		mode, closes := tt.mode, tt.closes
		rows, err := pool.Query(ctx, q, mode, closes)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			raw := rows.RawValues()
			_, fastErr := binaryArray(raw[2], numericFloat)
			if (rows.FieldDescriptions()[2].Format == pgx.BinaryFormatCode && fastErr == nil) != tt.fast {
				t.Errorf("mode %v, %v: read from the wire %v, want %v", mode, closes, fastErr == nil, tt.fast)
			}
			id, s, err := readHistoryRow(rows)
			if err != nil || id != 7 || len(s.days) != len(closes) {
				t.Fatalf("mode %v: %d %+v %v", mode, id, s, err)
			}
			for i, c := range closes {
				want, _ := strconv.ParseFloat(c, 64)
				// Oldest first: the last close given is the oldest day.
				j := len(closes) - 1 - i
				if s.closes[j] != want || s.days[j] != epochDay(20000-(i+1)) {
					t.Errorf("mode %v: close %s read as %v on epochDay %d", mode, c, s.closes[j], s.days[j])
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Exchange rates, numeric(20,10), decoded exactly from the wire.
	rates := []string{"4.9771", "0.2009202145", "17000.1234567891", "1", "0.0000000001", "9999999999.9999999999"}
	rows, err := pool.Query(ctx, `SELECT r::numeric(20,10) FROM unnest($1::text[]) AS u (r)`, rates)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; rows.Next(); i++ {
		got, err := numericDecimal(rows.RawValues()[0])
		if err != nil || !got.Equal(dec(rates[i])) {
			t.Errorf("rate %s decoded as %s, %v", rates[i], got, err)
		}
		f, ok := numericFloat(rows.RawValues()[0])
		want, _ := strconv.ParseFloat(rates[i], 64)
		if ok && f != want {
			t.Errorf("rate %s as float %v", rates[i], f)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{nil, {0, 5, 0, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0xC0, 0, 0, 0, 0, 1}} {
		if _, ok := numericFloat(bad); ok {
			t.Errorf("numericFloat(%v) accepted", bad)
		}
	}
}

// TestHedgeDeskValuesBondsAsTheRiskPage: the hedging desk's valuation of
// a client's holdings (the denominator of its weights) takes a bond quoted
// in percent of face as ValuePosition does: BND, 3 × 1,000 × 98.505 % =
// 2,955.15 EUR × 4.9771 = 14,708.077065 RON, which the risk page shows
// rounded, 14,708.08.
func TestHedgeDeskValuesBondsAsTheRiskPage(t *testing.T) {
	pool := portfolioFixture(t, "")
	ctx := context.Background()
	epochDay := time.Date(2026, 5, 8, 0, 0, 0, 0, time.UTC)
	fx, err := loadFX(ctx, pool, epochDay)
	if err != nil {
		t.Fatal(err)
	}
	held, err := valueHoldings(ctx, pool, fx, []int64{1}, epochDay, "RON")
	if err != nil {
		t.Fatal(err)
	}
	var bond *heldValue
	for i, v := range held[1].values {
		if v.instrumentID == 3 {
			bond = &held[1].values[i]
		}
	}
	if bond == nil || !bond.value.Equal(dec("14708.077065")) {
		t.Fatalf("the desk values BND at %+v", bond)
	}
	r, err := MeasurePortfolio(ctx, pool, PortfolioScope{ClientID: 1}, portfolioDay, testPortfolioConfig())
	if err != nil {
		t.Fatal(err)
	}
	if p := position(t, r, "BND"); !p.BaseValue.Amount.Equal(bond.value.Round(2)) {
		t.Errorf("risk page %s, desk %s", p.BaseValue, bond.value)
	}
}
