package risk

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func decp(s string) *decimal.Decimal { d := dec(s); return &d }

// hedgeCase is 250 shares of a USD stock at 100 held by a client whose
// base currency is RON (1 USD = 4.6 RON), on 4 December 2026.
func hedgeCase(strategy HedgeStrategy) HedgeInput {
	return HedgeInput{
		Version: HedgeVersion, Strategy: strategy, Rules: DefaultHedgeRules(),
		Client: HedgeClient{ClientID: 7, AsOf: "2026-12-04", BaseCurrency: "RON", PortfolioValue: dec("200000"),
			LossCapacity: decp("20000"), HorizonMonths: 3, OptionKnowledge: "informed"},
		Position: HedgePosition{InstrumentID: 1, Symbol: "QNTM", Kind: "equity", Currency: "USD",
			Quantity: dec("250"), Spot: dec("100"), PriceDate: "2026-12-04", Multiplier: 100,
			Volatility: dec("0.30"), VolatilitySource: "implied", DividendYield: dec("0.01"), Rate: dec("0.05"),
			FXToBase: dec("4.6"), OptionFeeRate: decp("0.005"), SaleFeeRate: decp("0.002"), VaR10d99: dec("21000")},
		Params:  HedgeParams{ProtectionLevel: dec("0.90"), HorizonMonths: 3},
		Trigger: HedgeTrigger{Concentrated: true, Weight: dec("0.575")},
	}
}

func wantMoney(t *testing.T, what string, got ecrm.Money, amount, ccy string) {
	t.Helper()
	if !got.Amount.Equal(dec(amount)) || got.Currency != ccy {
		t.Errorf("%s = %s, want %s %s", what, got, amount, ccy)
	}
}

func wantDec(t *testing.T, what string, got *decimal.Decimal, want string) {
	t.Helper()
	if got == nil || !got.Equal(dec(want)) {
		t.Errorf("%s = %v, want %s", what, got, want)
	}
}

// The expected figures were worked out independently of this package: the
// put and call prices by the Black–Scholes–Merton formula with a dividend
// yield written again in Python (math.erfc), the worst-case price as
// 100·exp(−2.3263478740408408 · 0.30 · √(90/365)), and the money by
// Python's decimal module with ROUND_HALF_UP. Expiry 4 March 2027 is 90
// days away.
func TestProtectivePut(t *testing.T) {
	terms, err := SuggestHedge(hedgeCase(StrategyProtectivePut))
	if err != nil {
		t.Fatal(err)
	}
	if terms.Contracts != 2 || terms.Multiplier != 100 || !terms.ProtectedUnits.Equal(dec("200")) || !terms.UnprotectedUnits.Equal(dec("50")) {
		t.Errorf("contracts %d × %d, protected %s, unprotected %s; want 2 × 100, 200, 50",
			terms.Contracts, terms.Multiplier, terms.ProtectedUnits, terms.UnprotectedUnits)
	}
	wantDec(t, "strike", terms.Strike, "90")
	wantDec(t, "put price", terms.PutPrice, "1.7637") // 1.7637226698948218
	if terms.Expiry != "2027-03-04" || terms.CallStrike != nil {
		t.Errorf("expiry %s, call strike %v; want 2027-03-04 and none", terms.Expiry, terms.CallStrike)
	}
	if !terms.WorstPrice.Equal(dec("70.7121")) { // 70.71207356318575
		t.Errorf("worst price %s, want 70.7121", terms.WorstPrice)
	}
	wantMoney(t, "fee", *terms.Fee, "1.76", "USD") // 0.5 % of 352.74
	wantMoney(t, "cost", terms.Cost, "354.50", "USD")
	wantMoney(t, "cost in base currency", terms.CostBase, "1630.70", "RON")
	wantMoney(t, "position value", terms.PositionValueBase, "115000.00", "RON")
	// (100 − 70.7121) × 250 × 4.6
	wantMoney(t, "worst case before", terms.WorstBefore, "33681.09", "RON")
	// ((100 − 90) × 200 + (100 − 70.7121) × 50 + 354.50) × 4.6
	wantMoney(t, "worst case after", terms.WorstAfter, "17566.92", "RON")
	wantMoney(t, "residual risk", terms.ResidualRisk, "17566.92", "RON")
	// (90 − 70.7121) × 200 × 4.6
	wantMoney(t, "protected loss", terms.ProtectedLoss, "17744.87", "RON")
	if !terms.WorstBeforePct.Equal(dec("29.29")) || !terms.WorstAfterPct.Equal(dec("15.28")) {
		t.Errorf("worst cases %s %% and %s %%, want 29.29 and 15.28", terms.WorstBeforePct, terms.WorstAfterPct)
	}
	if len(terms.Notes) != 1 || terms.Notes[0] != "hedge.note.contracts_rounded_down" {
		t.Errorf("notes %v, want the contracts rounded down", terms.Notes)
	}
	// Delta of 200 puts: 200 × the put's delta, which is negative.
	if terms.Greeks == nil || dec(terms.Greeks.Delta).Sign() >= 0 || dec(terms.Greeks.Gamma).Sign() <= 0 {
		t.Errorf("greeks %+v: want a negative delta and a positive gamma", terms.Greeks)
	}
}

func TestProtectionLevelChangesTheNumbers(t *testing.T) {
	in := hedgeCase(StrategyProtectivePut)
	at90, err := SuggestHedge(in)
	if err != nil {
		t.Fatal(err)
	}
	in.Params.ProtectionLevel = dec("0.80")
	at80, err := SuggestHedge(in)
	if err != nil {
		t.Fatal(err)
	}
	wantDec(t, "strike at 80 %", at80.Strike, "80")
	if !at80.Cost.Amount.LessThan(at90.Cost.Amount) || !at80.WorstAfter.Amount.GreaterThan(at90.WorstAfter.Amount) {
		t.Errorf("a lower strike must cost less and protect less: cost %s vs %s, worst after %s vs %s",
			at80.Cost, at90.Cost, at80.WorstAfter, at90.WorstAfter)
	}
	in.Params.HorizonMonths = 12
	year, err := SuggestHedge(in)
	if err != nil {
		t.Fatal(err)
	}
	if year.Expiry != "2027-12-04" || !year.Cost.Amount.GreaterThan(at80.Cost.Amount) {
		t.Errorf("a year's protection: expiry %s, cost %s; want 2027-12-04 and dearer than %s", year.Expiry, year.Cost, at80.Cost)
	}
}

// The collar's call is the lowest strike on a grid of cents whose premium
// does not exceed the put's: 114.48 (its call costs 1.76352 against the
// put's 1.76372; at 114.47 it would cost 1.76530).
func TestCollar(t *testing.T) {
	terms, err := SuggestHedge(hedgeCase(StrategyCollar))
	if err != nil {
		t.Fatal(err)
	}
	wantDec(t, "call strike", terms.CallStrike, "114.48")
	wantDec(t, "call price", terms.CallPrice, "1.7635")
	// Net premium (1.7637 − 1.7635) × 200 = 0.04; the fee is charged on
	// both legs: 0.5 % of 705.44 = 3.53.
	wantMoney(t, "fee", *terms.Fee, "3.53", "USD")
	wantMoney(t, "cost", terms.Cost, "3.57", "USD")
	if len(terms.Notes) != 2 || terms.Notes[1] != "hedge.note.upside_capped" {
		t.Errorf("notes %v: want contracts rounded down and the upside capped", terms.Notes)
	}
}

// Selling down from 40 % to 20 % of a 100,000 portfolio at 50 a share: at
// least (40,000 − 20,000) / (50 × 0.8) = 500 shares, after which the
// holding is 15,000 of 75,000, exactly 20 %.
func TestDiversify(t *testing.T) {
	in := hedgeCase(StrategyDiversify)
	in.Position.Currency, in.Position.FXToBase, in.Client.BaseCurrency = "RON", dec("1"), "RON"
	in.Position.Quantity, in.Position.Spot, in.Client.PortfolioValue = dec("800"), dec("50"), dec("100000")
	terms, err := SuggestHedge(in)
	if err != nil {
		t.Fatal(err)
	}
	wantDec(t, "units to sell", terms.UnitsToSell, "500")
	wantDec(t, "weight after", terms.WeightAfter, "0.2")
	wantMoney(t, "proceeds", *terms.Proceeds, "25000.00", "RON")
	wantMoney(t, "fee", *terms.Fee, "50.00", "RON")
	wantMoney(t, "cost", terms.Cost, "50.00", "RON")
	// (50 − 35.3560) × 300 + 50, 35.3560 = 50·exp(−2.32635 · 0.3 · √(90/365)).
	wantMoney(t, "worst case after", terms.WorstAfter, "4443.20", "RON")
	in.Position.SaleFeeRate = nil
	terms, err = SuggestHedge(in)
	if err != nil {
		t.Fatal(err)
	}
	if terms.Fee != nil || !terms.Cost.IsZero() || len(terms.Notes) != 1 || terms.Notes[0] != "hedge.note.fee_unknown" {
		t.Errorf("without a fee rate: fee %v, cost %s, notes %v; want none, 0 and fee_unknown", terms.Fee, terms.Cost, terms.Notes)
	}
	in.Position.Quantity = dec("400") // 20 %: already at the target
	if _, err := SuggestHedge(in); !errors.Is(err, ErrHedgeWeightInTarget) {
		t.Errorf("a holding at the target weight: %v, want %v", err, ErrHedgeWeightInTarget)
	}
}

func TestHedgeRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*HedgeInput)
		want   error
		field  string
	}{
		{"stale price", func(in *HedgeInput) { in.Position.PriceDate = "2026-11-29" }, ErrHedgeStalePrice, ""},
		{"no price", func(in *HedgeInput) { in.Position.PriceDate, in.Position.Spot = "", decimal.Zero }, ErrHedgeNoPrice, ""},
		{"no volatility", func(in *HedgeInput) { in.Position.Volatility = decimal.Zero }, ErrHedgeNoVolatility, ""},
		{"below one contract", func(in *HedgeInput) { in.Position.Quantity = dec("99") }, ErrHedgeBelowContract, ""},
		{"a fund", func(in *HedgeInput) { in.Position.Kind = "fund" }, ErrHedgeNotOptionable, ""},
		{"short", func(in *HedgeInput) { in.Position.Quantity = dec("-100") }, ErrHedgeNotLong, ""},
		{"level too low", func(in *HedgeInput) { in.Params.ProtectionLevel = dec("0.49") }, nil, "protection_level"},
		{"level of a fraction of a percent", func(in *HedgeInput) { in.Params.ProtectionLevel = dec("0.905") }, nil, "protection_level"},
		{"horizon zero", func(in *HedgeInput) { in.Params.HorizonMonths = 0 }, nil, "horizon_months"},
		{"horizon too long", func(in *HedgeInput) { in.Params.HorizonMonths = 25 }, nil, "horizon_months"},
	} {
		in := hedgeCase(StrategyProtectivePut)
		tc.change(&in)
		_, err := SuggestHedge(in)
		var e *ecrm.Error
		switch {
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		case tc.field != "" && (!errors.As(err, &e) || e.Field != tc.field):
			t.Errorf("%s: %v, want an error naming %s", tc.name, err, tc.field)
		}
	}
	// Four days old is still fresh (the limit is "older than").
	in := hedgeCase(StrategyProtectivePut)
	in.Position.PriceDate = "2026-11-30"
	if _, err := SuggestHedge(in); err != nil {
		t.Errorf("a price four days old: %v", err)
	}
}

func TestTriggerRules(t *testing.T) {
	rules := DefaultHedgeRules()
	capacity := dec("1000")
	for _, tc := range []struct {
		name                   string
		value, portfolio, vaR  string
		capacity               *decimal.Decimal
		concentrated, aboveCap bool
		weight                 string
	}{
		{"exactly the limit is not above it", "25000", "100000", "500", &capacity, false, false, "0.25"},
		{"just above the limit", "25000.01", "100000", "500", &capacity, true, false, "0.25"},
		{"VaR equal to the capacity", "10000", "100000", "1000", &capacity, false, false, "0.1"},
		{"VaR above the capacity", "10000", "100000", "1000.01", &capacity, false, true, "0.1"},
		{"both", "60000", "100000", "5000", &capacity, true, true, "0.6"},
		{"no assessment: weight only", "10000", "100000", "99999", nil, false, false, "0.1"},
		{"empty portfolio", "0", "0", "0", &capacity, false, false, "0"},
	} {
		got := EvaluateTrigger(rules, dec(tc.value), dec(tc.portfolio), dec(tc.vaR), tc.capacity)
		if got.Concentrated != tc.concentrated || got.VaRAboveCapacity != tc.aboveCap || !got.Weight.Equal(dec(tc.weight).Round(6)) {
			t.Errorf("%s: %+v, want concentrated %v, above capacity %v, weight %s", tc.name, got, tc.concentrated, tc.aboveCap, tc.weight)
		}
		if got.Triggered() != (tc.concentrated || tc.aboveCap) {
			t.Errorf("%s: Triggered() = %v", tc.name, got.Triggered())
		}
	}
}

func TestDefaultHedgeParams(t *testing.T) {
	in := hedgeCase(StrategyProtectivePut)
	// 115,000 RON held, 20,000 RON of loss capacity: 1 − 0.1739 = 0.83.
	if p := DefaultHedgeParams(in.Client, in.Position); !p.ProtectionLevel.Equal(dec("0.83")) || p.HorizonMonths != 3 {
		t.Errorf("defaults %+v, want 0.83 and 3 months", p)
	}
	in.Client.LossCapacity, in.Client.HorizonMonths = nil, 60
	if p := DefaultHedgeParams(in.Client, in.Position); !p.ProtectionLevel.Equal(dec("0.90")) || p.HorizonMonths != 12 {
		t.Errorf("without a capacity, a 5-year horizon: %+v, want 0.90 and 12 months", p)
	}
	in.Client.LossCapacity = decp("1000")
	if p := DefaultHedgeParams(in.Client, in.Position); !p.ProtectionLevel.Equal(dec("0.95")) {
		t.Errorf("a small capacity: %s, want the 95 %% bound", p.ProtectionLevel)
	}
}
