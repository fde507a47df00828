package risk

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// handMadeBehaviour: a RON client holding 10 QNTM (USD, class 6), 3
// government bonds, 20 units of a world ETF bought on 26 June and one USD
// put contract (multiplier 100), USD at 4.5 RON, over five trading days in
// which QNTM falls from 100 to 80 and comes back to 96; and a share with
// no price at all.
func handMadeBehaviour(stated *int) BehaviourInput {
	days := []string{"2026-06-24", "2026-06-25", "2026-06-26", "2026-06-29", "2026-06-30"}
	prices := func(closes ...string) []PricePoint {
		out := make([]PricePoint, len(closes))
		for i, c := range closes {
			out[i] = PricePoint{On: day(days[i]), Close: dec(c)}
		}
		return out
	}
	bought := func(on, qty string) []QuantityChange { return []QuantityChange{{On: day(on), Delta: dec(qty)}} }
	return BehaviourInput{
		ClientID: 1, AsOf: day("2026-06-30"), Currency: "RON",
		Instruments: map[int64]BehaviourInstrument{
			1: {Symbol: "QNTM", Kind: "equity", Currency: "USD", RiskClass: 6, Volatility: dec("0.45"), Multiplier: 1},
			2: {Symbol: "GOVB", Kind: "bond", Currency: "RON", RiskClass: 2, Volatility: dec("0.04"), Multiplier: 1},
			3: {Symbol: "WRLD", Kind: "etf", Currency: "RON", RiskClass: 4, Volatility: dec("0.15"), Multiplier: 1},
			4: {Symbol: "QPUT", Kind: "option", Currency: "USD", RiskClass: 7, Volatility: dec("0.45"), Multiplier: 100},
			5: {Symbol: "NOPX", Kind: "equity", Currency: "RON", RiskClass: 5, Volatility: dec("0.20"), Multiplier: 1},
		},
		Holdings: []Holding{
			{Instrument: 1, Changes: bought("2026-01-15", "10")},
			{Instrument: 2, Changes: bought("2026-01-15", "3")},
			{Instrument: 3, Changes: bought("2026-06-26", "20")},
			{Instrument: 4, Changes: bought("2026-01-15", "1")},
			{Instrument: 5, Changes: bought("2026-01-15", "7")},
		},
		Trades: []BehaviourTrade{
			{Instrument: 1, Quantity: dec("10"), Price: dec("70"), TradedOn: day("2026-01-15")},
			{Instrument: 2, Quantity: dec("3"), Price: dec("990"), TradedOn: day("2026-01-15")},
			{Instrument: 4, Quantity: dec("1"), Price: dec("3"), TradedOn: day("2026-01-15")},
			{Instrument: 3, Quantity: dec("20"), Price: dec("50"), TradedOn: day("2026-06-26")},
			// Before the twelve months: not turnover.
			{Instrument: 2, Quantity: dec("5"), Price: dec("1000"), TradedOn: day("2025-06-30")},
		},
		Prices: map[int64][]PricePoint{
			1: prices("100", "90", "80", "88", "96"),
			2: prices("1000", "1000", "1000", "1000", "1000"),
			3: prices("50", "50", "50", "50", "50"),
			4: prices("2", "2", "2", "2", "2"),
		},
		Rate:        func(string, time.Time) (decimal.Decimal, bool) { return dec("4.5"), false },
		StatedClass: stated,
	}
}

// TestMeasureBehaviourHandWorked: every figure worked out by hand.
//
// On 30 June: QNTM 10 × 96 × 4.5 = 4,320; bonds 3,000; ETF 1,000; put
// 1 × 2 × 100 × 4.5 = 900; gross 9,220 RON. High volatility (classes 6–7)
// 5,220 / 9,220 = 0.56616 → 0.5662; leveraged 900 / 9,220 = 0.0976; the
// largest position QNTM 0.4685, also the largest single security; HHI
// (4,320² + 3,000² + 1,000² + 900²) / 9,220² = 0.34670 → 0.3467.
//
// Turnover: trades after 30 June 2025: 3,150 + 2,970 + 1,350 + 1,000 =
// 8,470 RON; gross values on the five days 8,400, 7,950, 8,500, 8,860,
// 9,220, mean 8,586; 8,470 / 8,586 = 0.98649 → 0.9865.
//
// Worst fall: the holdings of 24 June lose 450 on each of the next two
// days (8,400 → 7,950 → 7,500): 1 − 7,500 / 8,400 = 0.10714 → 0.1071,
// from 24 to 26 June; the ETF bought on the 26th does not move it.
//
// Points: 2 (≥ 40 % high volatility) + 1 (options under 10 %) + 1 (largest
// single security 20–50 %) + 1 (turnover 0.5–2) + 1 (fall 10–25 %) = 6:
// class 5.
func TestMeasureBehaviourHandWorked(t *testing.T) {
	b := MeasureBehaviour(handMadeBehaviour(nil))
	for name, got := range map[string]string{
		"portfolio_value":                b.PortfolioValue.String(),
		"high_volatility_share":          b.HighVolatilityShare.String(),
		"leveraged_share":                b.LeveragedShare.String(),
		"largest_weight":                 b.LargestWeight.String() + " " + b.LargestPosition,
		"largest_single_security_weight": b.LargestSingleSecurityWeight.String(),
		"hhi":                            b.HHI.String(),
		"traded_value":                   b.TradedValue.String(),
		"average_value":                  b.AverageValue.String(),
		"turnover":                       b.Turnover.String(),
		"worst_drawdown":                 b.WorstDrawdown.Fall.String() + " " + b.WorstDrawdown.PeakOn + " " + b.WorstDrawdown.TroughOn,
	} {
		want := map[string]string{
			"portfolio_value":                "9220.00 RON",
			"high_volatility_share":          "0.5662",
			"leveraged_share":                "0.0976",
			"largest_weight":                 "0.4685 QNTM",
			"largest_single_security_weight": "0.4685",
			"hhi":                            "0.3467",
			"traded_value":                   "8470.00 RON",
			"average_value":                  "8586.00 RON",
			"turnover":                       "0.9865",
			"worst_drawdown":                 "0.1071 2026-06-24 2026-06-26",
		}[name]
		if got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	if want := (BehaviourPoints{HighVolatility: 2, Leveraged: 1, Concentration: 1, Turnover: 1, Drawdown: 1, Total: 6}); b.Points != want {
		t.Errorf("points %+v, want %+v", b.Points, want)
	}
	if !b.Observed || b.ImpliedClass != 5 || b.Mismatch != nil || len(b.Unpriced) != 1 || b.Unpriced[0] != "NOPX" || b.ReferenceRates != nil {
		t.Errorf("observed %v, class %d, mismatch %+v, unpriced %v, reference rates %v", b.Observed, b.ImpliedClass, b.Mismatch, b.Unpriced, b.ReferenceRates)
	}
}

// TestBehaviourMismatch: implied 5 against a stated class two or more
// away either way is flagged, one away is not.
func TestBehaviourMismatch(t *testing.T) {
	for stated, want := range map[int]string{3: RiskierThanStated, 4: "", 6: "", 7: CautiousThanStated} {
		s := stated
		b := MeasureBehaviour(handMadeBehaviour(&s))
		got := ""
		if b.Mismatch != nil {
			got = b.Mismatch.Direction
		}
		if got != want || *b.StatedClass != stated {
			t.Errorf("stated %d: mismatch %q, want %q", stated, got, want)
		}
	}
	s := 3
	if b := MeasureBehaviour(handMadeBehaviour(&s)); b.Mismatch.Reason != "trading implies risk class 5, two or more above the stated class 3" {
		t.Errorf("reason %q", b.Mismatch.Reason)
	}
}

// TestBehaviourNotObserved: nothing held, nothing measured, no flag.
func TestBehaviourNotObserved(t *testing.T) {
	s := 7
	b := MeasureBehaviour(BehaviourInput{ClientID: 2, AsOf: day("2026-06-30"), Currency: "EUR", StatedClass: &s,
		Rate: func(string, time.Time) (decimal.Decimal, bool) { return decimal.Decimal{}, false }})
	if b.Observed || b.ImpliedClass != 0 || b.Mismatch != nil || !b.PortfolioValue.IsZero() {
		t.Errorf("%+v", b)
	}
}

// TestBehaviourJSONShape: the shape later decision records keep.
func TestBehaviourJSONShape(t *testing.T) {
	in := handMadeBehaviour(nil)
	in.Rate = func(string, time.Time) (decimal.Decimal, bool) { return dec("4.5"), true }
	s := 3
	in.StatedClass = &s
	got, err := json.Marshal(MeasureBehaviour(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":"behaviour-v1","client_id":1,"as_of":"2026-06-30","currency":"RON","observed":true,` +
		`"portfolio_value":{"amount":"9220.00","currency":"RON"},"high_volatility_share":"0.5662","leveraged_share":"0.0976",` +
		`"largest_weight":"0.4685","largest_position":"QNTM","largest_single_security_weight":"0.4685","hhi":"0.3467",` +
		`"turnover":"0.9865","traded_value":{"amount":"8470.00","currency":"RON"},"average_value":{"amount":"8586.00","currency":"RON"},` +
		`"worst_drawdown":{"fall":"0.1071","peak_on":"2026-06-24","trough_on":"2026-06-26"},` +
		`"points":{"high_volatility":2,"leveraged":1,"concentration":1,"turnover":1,"drawdown":1,"total":6},"implied_class":5,"stated_class":3,` +
		`"mismatch":{"direction":"riskier_than_stated","reason":"trading implies risk class 5, two or more above the stated class 3"},` +
		`"unpriced":["NOPX"],"reference_rate_currencies":["USD"]}`
	if string(got) != want {
		t.Errorf("JSON\n got %s\nwant %s", got, want)
	}
}

// behaviourFixture writes handMadeBehaviour's data into the database:
// Ana (client 1, RON) with a brokerage account, the five instruments, the
// closes, trades for four holdings and a position taken over without
// trades (NOPX), USD at 4.5 RON since 2 January; and a stated class 3.
func behaviourFixture(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), `
INSERT INTO clients (id, given_name, family_name, annual_income, income_currency) VALUES (1, 'Ana', 'Popescu', 90000, 'RON'), (2, 'Ion', 'Ionescu', 40000, 'EUR');
INSERT INTO accounts (id, client_id, kind, name, currency, opened_on) VALUES (7, 1, 'brokerage', 'Brokerage', 'RON', '2020-01-01');
INSERT INTO instruments (id, symbol, name, kind, currency, risk_class, annual_volatility) VALUES
    (1, 'QNTM', 'Quantum', 'equity', 'USD', 6, 0.45), (2, 'GOVB', 'Gov bond', 'equity', 'RON', 2, 0.04),
    (3, 'WRLD', 'World', 'etf', 'RON', 4, 0.15), (5, 'NOPX', 'No price', 'equity', 'RON', 5, 0.20);
INSERT INTO instruments (id, symbol, name, kind, currency, risk_class, annual_volatility, underlying_id, option_type, strike, expires_on, contract_multiplier)
    VALUES (4, 'QPUT', 'QNTM put', 'option', 'USD', 7, 0.45, 1, 'put', 90, '2026-09-18', 100);
INSERT INTO instrument_prices (instrument_id, price_date, close)
SELECT i, d::date, c FROM (VALUES
    (1, '2026-06-24', 100), (1, '2026-06-25', 90), (1, '2026-06-26', 80), (1, '2026-06-29', 88), (1, '2026-06-30', 96),
    (2, '2026-06-24', 1000), (2, '2026-06-25', 1000), (2, '2026-06-26', 1000), (2, '2026-06-29', 1000), (2, '2026-06-30', 1000),
    (3, '2026-06-24', 50), (3, '2026-06-25', 50), (3, '2026-06-26', 50), (3, '2026-06-29', 50), (3, '2026-06-30', 50),
    (4, '2026-06-24', 2), (4, '2026-06-25', 2), (4, '2026-06-26', 2), (4, '2026-06-29', 2), (4, '2026-06-30', 2),
    -- After the day measured: not read.
    (1, '2026-07-01', 10)) p (i, d, c);
INSERT INTO positions (client_id, account_id, instrument_id, quantity, average_cost, opened_on) VALUES
    (1, 7, 1, 10, 70, '2026-01-15'), (1, 7, 2, 3, 990, '2026-01-15'), (1, 7, 3, 20, 50, '2026-06-26'),
    (1, 7, 4, 1, 3, '2026-01-15'), (1, 7, 5, 7, 10, '2026-01-15');
INSERT INTO trades (client_id, account_id, instrument_id, side, quantity, price, fees, currency, traded_at) VALUES
    (1, 7, 1, 'buy', 10, 70, 5, 'USD', '2026-01-15T10:00:00Z'), (1, 7, 2, 'buy', 3, 990, 5, 'RON', '2026-01-15T10:00:00Z'),
    (1, 7, 4, 'buy', 1, 3, 5, 'USD', '2026-01-15T10:00:00Z'), (1, 7, 3, 'buy', 20, 50, 5, 'RON', '2026-06-26T10:00:00Z'),
    (1, 7, 1, 'buy', 5, 95, 5, 'USD', '2026-07-01T10:00:00Z');
INSERT INTO fx_rates (base_currency, quote_currency, rate_date, rate, source) VALUES ('USD', 'RON', '2026-01-02', 4.5, 'test');
INSERT INTO risk_assessments (client_id, risk_class, loss_capacity, loss_capacity_currency, objective, horizon_months, questionnaire_version, source, assessed_at)
    VALUES (1, 3, 1000, 'RON', 'growth', 60, 'suitability-v1', 'questionnaire', '2026-03-01');`); err != nil {
		t.Fatal(err)
	}
	return pool
}

// TestLoadBehaviour: the database holds the hand-worked case; what was
// traded after the day measured is not read, and the rate comes from
// fx_rates. Another client's behaviour is empty, not Ana's.
func TestLoadBehaviour(t *testing.T) {
	pool := behaviourFixture(t)
	ctx := context.Background()
	b, err := LoadBehaviour(ctx, pool, 1, time.Date(2026, 6, 30, 15, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(b)
	want := `{"version":"behaviour-v1","client_id":1,"as_of":"2026-06-30","currency":"RON","observed":true,` +
		`"portfolio_value":{"amount":"9220.00","currency":"RON"},"high_volatility_share":"0.5662","leveraged_share":"0.0976",` +
		`"largest_weight":"0.4685","largest_position":"QNTM","largest_single_security_weight":"0.4685","hhi":"0.3467",` +
		`"turnover":"0.9865","traded_value":{"amount":"8470.00","currency":"RON"},"average_value":{"amount":"8586.00","currency":"RON"},` +
		`"worst_drawdown":{"fall":"0.1071","peak_on":"2026-06-24","trough_on":"2026-06-26"},` +
		`"points":{"high_volatility":2,"leveraged":1,"concentration":1,"turnover":1,"drawdown":1,"total":6},"implied_class":5,"stated_class":3,` +
		`"mismatch":{"direction":"riskier_than_stated","reason":"trading implies risk class 5, two or more above the stated class 3"},` +
		`"unpriced":["NOPX"]}`
	if string(got) != want {
		t.Errorf("JSON\n got %s\nwant %s", got, want)
	}
	other, err := LoadBehaviour(ctx, pool, 2, time.Date(2026, 6, 30, 15, 0, 0, 0, time.UTC))
	if err != nil || other.Observed || other.Currency != "EUR" || other.StatedClass != nil {
		t.Errorf("Ion: %+v %v", other, err)
	}
	if _, err := LoadBehaviour(ctx, pool, 99, time.Now()); !errors.Is(err, ErrNoSuchClient) {
		t.Errorf("unknown client: %v", err)
	}
	// Without a USD rate the reference rate (0.92 / 0.20 = 4.6) is used:
	// 10 × 96 × 4.6 + 1 × 2 × 100 × 4.6 + 3,000 + 1,000 = 9,336 RON,
	// and said.
	if _, err := pool.Exec(ctx, `DELETE FROM fx_rates`); err != nil {
		t.Fatal(err)
	}
	b, err = LoadBehaviour(ctx, pool, 1, time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC))
	if err != nil || !slices.Equal(b.ReferenceRates, []string{"USD"}) || b.PortfolioValue.String() != "9336.00 RON" {
		t.Errorf("reference rates %v, value %s, %v", b.ReferenceRates, b.PortfolioValue, err)
	}
}
