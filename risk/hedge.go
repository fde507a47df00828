package risk

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/products"
)

// Hedging suggestions (issue 15, item 7; docs/hedging.md). When a holding
// grows large (its weight above HedgeRules.MaxWeight) or risky (its ten-day
// 99 % value at risk above the client's loss capacity), the engine proposes
// up to three ways to reduce the risk, each with its cost, the protection
// it buys and the risk left, in money:
//
//   - protective puts: the right to sell at a strike under today's price,
//     for a premium (Black–Scholes–Merton with the dividend yield);
//   - a collar: the same puts paid for by selling calls above the price
//     (the upside beyond the call's strike is given up);
//   - diversification: selling enough of the holding to bring its weight
//     down to HedgeRules.TargetWeight.
//
// This file is the pure part: from a HedgeInput (everything read from the
// database, recorded with the offer as its engine inputs) to HedgeTerms
// (what the client sees). It reads nothing else, so `ecrm audit replay`
// recomputes the terms from the record and compares them.
//
// Rounding: the model works in float64; its per-unit results become
// decimals rounded half away from zero to 4 places (premiums, the worst-
// case price) and strikes to 2 places; amounts of money are exact products
// of those, rounded once to the currency's minor units (ecrm.Money.Round).

// Engine identity in the offer log.
const (
	HedgeEngine  = "risk.hedge"
	HedgeVersion = "hedge-1"
)

// HedgeStrategy is a way to reduce the risk of one holding.
type HedgeStrategy string

const (
	StrategyProtectivePut HedgeStrategy = "protective_put"
	StrategyCollar        HedgeStrategy = "collar"
	StrategyDiversify     HedgeStrategy = "diversify"
)

// HedgeRules are the firm's trigger and sizing rules, versioned: a change
// of any figure is a new RulesVersion, recorded with every suggestion.
type HedgeRules struct {
	RulesVersion string `json:"rules_version"`
	// MaxWeight: a holding worth more than this share of the client's
	// portfolio is concentrated.
	MaxWeight decimal.Decimal `json:"max_weight"`
	// TargetWeight: the weight a diversifying sale brings the holding to.
	TargetWeight decimal.Decimal `json:"target_weight"`
	// MaxPriceAgeDays: a price older than this (calendar days before the
	// day of the evaluation) is stale: no suggestion is priced on it.
	MaxPriceAgeDays int `json:"max_price_age_days"`
}

// DefaultHedgeRules are the rules ecrm ships with (docs/hedging.md says
// why these figures).
func DefaultHedgeRules() HedgeRules {
	return HedgeRules{RulesVersion: "hedge-rules-1", MaxWeight: decimal.RequireFromString("0.25"),
		TargetWeight: decimal.RequireFromString("0.20"), MaxPriceAgeDays: 4}
}

// The value at risk the trigger compares with the loss capacity: ten
// trading days at 99 %, the regulatory convention for market risk.
const (
	TriggerVaRConfidence = 0.99
	TriggerVaRDays       = 10
)

// z99 is the standard normal quantile at 99 %: the worst case of a
// suggestion is the price that the holding stays above with 99 %
// probability at the hedge's expiry (lognormal, no drift).
const z99 = 2.3263478740408408

// HedgePosition is one holding with the market data its hedges are priced
// on. Prices and the fee are in the instrument's currency.
type HedgePosition struct {
	InstrumentID int64  `json:"instrument_id"`
	Symbol       string `json:"symbol"`
	Name         string `json:"name"`
	// Kind is the instrument kind (equity, etf, fund): puts and collars
	// are written on equities and ETFs only.
	Kind      string          `json:"kind"`
	Currency  string          `json:"currency"`
	Quantity  decimal.Decimal `json:"quantity"`
	Spot      decimal.Decimal `json:"spot"`
	PriceDate string          `json:"price_date"`
	// Multiplier is the number of units one option contract covers (the
	// listed options' multiplier on this underlying, else 100).
	Multiplier int64 `json:"multiplier"`
	// Volatility is annualised; VolatilitySource says whether it is
	// implied, realised or the instrument's reference figure.
	Volatility       decimal.Decimal `json:"volatility"`
	VolatilitySource string          `json:"volatility_source"`
	DividendYield    decimal.Decimal `json:"dividend_yield"`
	// Rate is the continuously compounded risk-free rate of the currency.
	Rate decimal.Decimal `json:"rate"`
	// FXToBase converts one unit of the instrument's currency into the
	// client's base currency (1 when they are the same).
	FXToBase decimal.Decimal `json:"fx_to_base"`
	// OptionFeeRate and SaleFeeRate are the catalogue's fees as a share of
	// the premium and of the proceeds; nil when the firm has no figure.
	OptionFeeRate *decimal.Decimal `json:"option_fee_rate,omitempty"`
	SaleFeeRate   *decimal.Decimal `json:"sale_fee_rate,omitempty"`
	// VaR10d99 is the holding's ten-day 99 % historical value at risk in
	// the base currency, from its own price history.
	VaR10d99 decimal.Decimal `json:"var_10d_99"`
}

// HedgeClient is what the engine knows of the client.
type HedgeClient struct {
	ClientID     int64  `json:"client_id"`
	AsOf         string `json:"as_of"`
	BaseCurrency string `json:"base_currency"`
	// PortfolioValue is every priced holding in the base currency.
	PortfolioValue decimal.Decimal `json:"portfolio_value"`
	// LossCapacity (base currency), HorizonMonths and OptionKnowledge come
	// from the client's risk assessment; LossCapacity nil without one.
	LossCapacity    *decimal.Decimal `json:"loss_capacity,omitempty"`
	HorizonMonths   int              `json:"horizon_months"`
	OptionKnowledge string           `json:"option_knowledge"`
}

// HedgeParams are what the client may change.
type HedgeParams struct {
	// ProtectionLevel is the put's strike as a share of today's price
	// (0.90: the holding is protected below 90 % of its price).
	ProtectionLevel decimal.Decimal `json:"protection_level"`
	// HorizonMonths is how long the protection lasts (the options'
	// expiry).
	HorizonMonths int `json:"horizon_months"`
}

// Bounds of the parameters a client may choose.
var (
	MinProtectionLevel = decimal.RequireFromString("0.50")
	MaxProtectionLevel = decimal.RequireFromString("0.99")
)

const MaxHedgeHorizonMonths = 24

// Validate names the parameter out of range.
func (p HedgeParams) Validate() error {
	switch {
	case p.ProtectionLevel.LessThan(MinProtectionLevel) || p.ProtectionLevel.GreaterThan(MaxProtectionLevel):
		return ecrm.FieldErrorf("protection_level", "must be between %s and %s (the strike as a share of today's price)",
			MinProtectionLevel, MaxProtectionLevel)
	case !p.ProtectionLevel.Equal(p.ProtectionLevel.Round(2)):
		return ecrm.FieldErrorf("protection_level", "at most two decimal places (whole percent)")
	case p.HorizonMonths < 1 || p.HorizonMonths > MaxHedgeHorizonMonths:
		return ecrm.FieldErrorf("horizon_months", "must be between 1 and %d months", MaxHedgeHorizonMonths)
	}
	return nil
}

// DefaultHedgeParams derives the starting parameters from the client's
// profile: the strike where the holding's loss reaches the loss capacity
// (bounded to 80–95 % of the price), the horizon of the assessment (1 to
// 12 months; 3 without one).
func DefaultHedgeParams(c HedgeClient, pos HedgePosition) HedgeParams {
	p := HedgeParams{ProtectionLevel: decimal.RequireFromString("0.90"), HorizonMonths: 3}
	if c.HorizonMonths > 0 {
		p.HorizonMonths = min(max(c.HorizonMonths, 1), 12)
	}
	value := pos.Quantity.Mul(pos.Spot).Mul(pos.FXToBase)
	if c.LossCapacity != nil && value.IsPositive() {
		tolerated := decimal.NewFromInt(1).Sub(c.LossCapacity.Div(value)).Round(2)
		lo, hi := decimal.RequireFromString("0.80"), decimal.RequireFromString("0.95")
		p.ProtectionLevel = decimal.Max(lo, decimal.Min(hi, tolerated))
	}
	return p
}

// HedgeTrigger is the verdict of the trigger rules on one holding.
type HedgeTrigger struct {
	Concentrated     bool `json:"concentrated"`
	VaRAboveCapacity bool `json:"var_above_capacity"`
	// Weight is the holding's share of the portfolio, 6 decimals.
	Weight decimal.Decimal `json:"weight"`
}

// Triggered reports whether any rule fired.
func (t HedgeTrigger) Triggered() bool { return t.Concentrated || t.VaRAboveCapacity }

// EvaluateTrigger applies the rules to a holding worth value (base
// currency) in a portfolio worth portfolio, with a ten-day 99 % VaR of
// positionVaR, for a client whose loss capacity is capacity (nil without
// an assessment: only the weight rule applies). Rules fire strictly
// above their limits.
func EvaluateTrigger(rules HedgeRules, value, portfolio, positionVaR decimal.Decimal, capacity *decimal.Decimal) HedgeTrigger {
	t := HedgeTrigger{Weight: decimal.Zero}
	if portfolio.IsPositive() {
		t.Weight = value.Div(portfolio).Round(6)
	}
	// Compared exactly (value > limit × portfolio): the rounded weight
	// could hide a holding a hair above the limit.
	t.Concentrated = portfolio.IsPositive() && value.GreaterThan(rules.MaxWeight.Mul(portfolio))
	t.VaRAboveCapacity = capacity != nil && positionVaR.GreaterThan(*capacity)
	return t
}

// HedgeInput is everything one suggestion is computed from; it is the
// offer's engine inputs in the offer log.
type HedgeInput struct {
	Version  string        `json:"version"`
	Strategy HedgeStrategy `json:"strategy"`
	Rules    HedgeRules    `json:"rules"`
	Client   HedgeClient   `json:"client"`
	Position HedgePosition `json:"position"`
	Params   HedgeParams   `json:"params"`
	Trigger  HedgeTrigger  `json:"trigger"`
}

// Greeks of the hedge as a whole (all its contracts), as decimal strings
// of 10 significant digits: Delta in units of the underlying, Gamma per
// unit of price, Vega per volatility point, Theta per day, Rho per rate
// point — all in the instrument's currency.
type HedgeGreeks struct {
	Delta string `json:"delta"`
	Gamma string `json:"gamma"`
	Vega  string `json:"vega"`
	Theta string `json:"theta"`
	Rho   string `json:"rho"`
}

// HedgeTerms are the figures of one suggestion, as the client sees them.
type HedgeTerms struct {
	Strategy HedgeStrategy `json:"strategy"`
	Symbol   string        `json:"symbol"`
	// Units held and their value in the instrument's and base currency.
	Units             decimal.Decimal `json:"units"`
	PositionValue     ecrm.Money      `json:"position_value"`
	PositionValueBase ecrm.Money      `json:"position_value_base"`
	Weight            decimal.Decimal `json:"weight"`

	// Options (protective put, collar).
	Contracts        int64            `json:"contracts,omitempty"`
	Multiplier       int64            `json:"multiplier,omitempty"`
	ProtectedUnits   decimal.Decimal  `json:"protected_units"`
	UnprotectedUnits decimal.Decimal  `json:"unprotected_units"`
	Strike           *decimal.Decimal `json:"strike,omitempty"`
	CallStrike       *decimal.Decimal `json:"call_strike,omitempty"`
	Expiry           string           `json:"expiry,omitempty"`
	PutPrice         *decimal.Decimal `json:"put_price,omitempty"`
	CallPrice        *decimal.Decimal `json:"call_price,omitempty"`
	Greeks           *HedgeGreeks     `json:"greeks,omitempty"`

	// Diversification.
	UnitsToSell *decimal.Decimal `json:"units_to_sell,omitempty"`
	Proceeds    *ecrm.Money      `json:"proceeds,omitempty"`
	WeightAfter *decimal.Decimal `json:"weight_after,omitempty"`

	// Fee is the catalogue's fee; nil when the firm has no figure (the
	// cost then excludes it, and the page says so).
	Fee *ecrm.Money `json:"fee,omitempty"`
	// Cost is what the client pays now (premium net of any call sold,
	// plus the fee), in the instrument's currency and the base currency;
	// negative for a collar whose call brings in more than the put costs.
	Cost     ecrm.Money `json:"cost"`
	CostBase ecrm.Money `json:"cost_base"`
	// WorstPrice is the price the holding stays above with 99 %
	// probability at the horizon; the worst cases are the holding's loss
	// at that price without and with the hedge (the hedge's cost
	// included), in the base currency and as a share of the holding.
	WorstPrice     decimal.Decimal `json:"worst_price"`
	WorstBefore    ecrm.Money      `json:"worst_before"`
	WorstBeforePct decimal.Decimal `json:"worst_before_pct"`
	WorstAfter     ecrm.Money      `json:"worst_after"`
	WorstAfterPct  decimal.Decimal `json:"worst_after_pct"`
	// ProtectedLoss is the part of the worst-case loss the hedge takes
	// away (base currency); ResidualRisk what is left (= WorstAfter).
	ProtectedLoss ecrm.Money `json:"protected_loss"`
	ResidualRisk  ecrm.Money `json:"residual_risk"`
	// Notes are message keys the page explains (contracts rounded down,
	// fee unknown, the call capping the upside).
	Notes []string `json:"notes"`
}

// WorstBeforeShare and WorstAfterShare are the worst cases as fractions
// of the holding, for pages that format percentages.
func (t HedgeTerms) WorstBeforeShare() decimal.Decimal {
	return t.WorstBeforePct.Div(decimal.NewFromInt(100))
}
func (t HedgeTerms) WorstAfterShare() decimal.Decimal {
	return t.WorstAfterPct.Div(decimal.NewFromInt(100))
}

// ExpiryDate is Expiry as a date, for pages (zero when there is none).
func (t HedgeTerms) ExpiryDate() time.Time {
	d, _ := time.Parse(time.DateOnly, t.Expiry)
	return d
}

// Reasons a holding gets no suggestion of a strategy (message keys).
var (
	ErrHedgeNoPrice        = errors.New("hedge.unavailable.no_price")
	ErrHedgeStalePrice     = errors.New("hedge.unavailable.stale_price")
	ErrHedgeNoVolatility   = errors.New("hedge.unavailable.no_volatility")
	ErrHedgeNotOptionable  = errors.New("hedge.unavailable.not_optionable")
	ErrHedgeBelowContract  = errors.New("hedge.unavailable.below_one_contract")
	ErrHedgeWeightInTarget = errors.New("hedge.unavailable.weight_in_target")
	ErrHedgeNoCollar       = errors.New("hedge.unavailable.no_zero_cost_call")
	ErrHedgeNotLong        = errors.New("hedge.unavailable.not_long")
)

// Stale reports whether the position's price is older than the rules
// allow on the client's as-of day (or missing, or unreadable).
func (in HedgeInput) Stale() error {
	if in.Position.PriceDate == "" || !in.Position.Spot.IsPositive() {
		return ErrHedgeNoPrice
	}
	priced, err1 := time.Parse(time.DateOnly, in.Position.PriceDate)
	asOf, err2 := time.Parse(time.DateOnly, in.Client.AsOf)
	if err1 != nil || err2 != nil {
		return ErrHedgeNoPrice
	}
	if asOf.Sub(priced) > time.Duration(in.Rules.MaxPriceAgeDays)*24*time.Hour {
		return ErrHedgeStalePrice
	}
	return nil
}

// SuggestHedge computes the terms of in.Strategy, or says why there are
// none (one of the ErrHedge… reasons, or a parameter out of range).
func SuggestHedge(in HedgeInput) (HedgeTerms, error) {
	if err := in.Params.Validate(); err != nil {
		return HedgeTerms{}, err
	}
	if err := in.Stale(); err != nil {
		return HedgeTerms{}, err
	}
	pos, c := in.Position, in.Client
	if !pos.Quantity.IsPositive() {
		return HedgeTerms{}, ErrHedgeNotLong
	}
	if !pos.Volatility.IsPositive() {
		return HedgeTerms{}, ErrHedgeNoVolatility
	}
	ccy := pos.Currency
	years := yearsTo(c.AsOf, in.Params.HorizonMonths)
	sigma := pos.Volatility.InexactFloat64()
	worst := decimal.NewFromFloat(pos.Spot.InexactFloat64() * math.Exp(-z99*sigma*math.Sqrt(years))).Round(4)
	value := pos.Quantity.Mul(pos.Spot)
	t := HedgeTerms{
		Strategy: in.Strategy, Symbol: pos.Symbol, Units: pos.Quantity,
		PositionValue:     money(value, ccy),
		PositionValueBase: money(value.Mul(pos.FXToBase), c.BaseCurrency),
		Weight:            in.Trigger.Weight,
		ProtectedUnits:    decimal.Zero, UnprotectedUnits: pos.Quantity,
		WorstPrice: worst, Notes: []string{},
	}
	drop := pos.Spot.Sub(worst) // the loss per unit in the worst case
	lossBefore := drop.Mul(pos.Quantity)

	var lossAfter, cost decimal.Decimal
	switch in.Strategy {
	case StrategyProtectivePut, StrategyCollar:
		if pos.Kind != "equity" && pos.Kind != "etf" {
			return HedgeTerms{}, ErrHedgeNotOptionable
		}
		contracts := pos.Quantity.Div(decimal.NewFromInt(pos.Multiplier)).Floor().IntPart()
		if contracts < 1 {
			return HedgeTerms{}, ErrHedgeBelowContract
		}
		protected := decimal.NewFromInt(contracts * pos.Multiplier)
		t.Contracts, t.Multiplier = contracts, pos.Multiplier
		t.ProtectedUnits, t.UnprotectedUnits = protected, pos.Quantity.Sub(protected)
		if t.UnprotectedUnits.IsPositive() {
			t.Notes = append(t.Notes, "hedge.note.contracts_rounded_down")
		}
		strike := pos.Spot.Mul(in.Params.ProtectionLevel).Round(2)
		t.Strike = &strike
		t.Expiry = expiryDate(c.AsOf, in.Params.HorizonMonths)
		base := OptionInput{Spot: pos.Spot.InexactFloat64(), Years: years, Rate: pos.Rate.InexactFloat64(),
			Dividend: pos.DividendYield.InexactFloat64(), Volatility: sigma}
		put, err := priceAt(base, Put, strike)
		if err != nil {
			return HedgeTerms{}, err
		}
		putPrice := decimal.NewFromFloat(put.Price).Round(4)
		t.PutPrice = &putPrice
		premium := putPrice.Mul(protected)
		gross := premium // what the fee is charged on: every leg traded
		greeks := scaleGreeks(put, protected.InexactFloat64())
		if in.Strategy == StrategyCollar {
			callStrike, call, err := zeroCostCall(base, put.Price)
			if err != nil {
				return HedgeTerms{}, err
			}
			callPrice := decimal.NewFromFloat(call.Price).Round(4)
			t.CallStrike, t.CallPrice = &callStrike, &callPrice
			premium = premium.Sub(callPrice.Mul(protected))
			gross = gross.Add(callPrice.Mul(protected))
			greeks = subtractGreeks(greeks, scaleGreeks(call, protected.InexactFloat64()))
			t.Notes = append(t.Notes, "hedge.note.upside_capped")
		}
		t.Greeks = greeksOf(greeks)
		fee := feeOn(pos.OptionFeeRate, gross, ccy, &t)
		cost = premium.Add(fee)
		// In the worst case the protected units lose down to the strike
		// only; the others lose all the way to the worst price.
		floor := decimal.Max(worst, strike)
		lossAfter = pos.Spot.Sub(floor).Mul(protected).Add(drop.Mul(t.UnprotectedUnits)).Add(cost)
		t.ProtectedLoss = money(decimal.Max(strike.Sub(worst), decimal.Zero).Mul(protected).Mul(pos.FXToBase), c.BaseCurrency)
	case StrategyDiversify:
		units, err := unitsToSell(in)
		if err != nil {
			return HedgeTerms{}, err
		}
		proceeds := units.Mul(pos.Spot)
		after := value.Sub(proceeds).Mul(pos.FXToBase)
		weightAfter := decimal.Zero
		if rest := c.PortfolioValue.Sub(proceeds.Mul(pos.FXToBase)); rest.IsPositive() {
			weightAfter = after.Div(rest).Round(6)
		}
		p := money(proceeds, ccy)
		t.UnitsToSell, t.Proceeds, t.WeightAfter = &units, &p, &weightAfter
		cost = feeOn(pos.SaleFeeRate, proceeds, ccy, &t)
		lossAfter = drop.Mul(pos.Quantity.Sub(units)).Add(cost)
		t.ProtectedLoss = money(drop.Mul(units).Mul(pos.FXToBase), c.BaseCurrency)
	default:
		return HedgeTerms{}, ecrm.FieldErrorf("strategy", "must be protective_put, collar or diversify")
	}
	t.Cost = money(cost, ccy)
	t.CostBase = money(cost.Mul(pos.FXToBase), c.BaseCurrency)
	t.WorstBefore = money(lossBefore.Mul(pos.FXToBase), c.BaseCurrency)
	t.WorstAfter = money(lossAfter.Mul(pos.FXToBase), c.BaseCurrency)
	t.ResidualRisk = t.WorstAfter
	if t.PositionValueBase.Amount.IsPositive() {
		t.WorstBeforePct = percentOf(t.WorstBefore.Amount, t.PositionValueBase.Amount)
		t.WorstAfterPct = percentOf(t.WorstAfter.Amount, t.PositionValueBase.Amount)
	}
	return t, nil
}

// unitsToSell is the smallest whole number of units whose sale brings the
// weight to the target at most, the proceeds leaving the portfolio:
// (P − n·s) / (V − n·s) ≤ w  ⇔  n ≥ (P − w·V) / (s·(1 − w)).
func unitsToSell(in HedgeInput) (decimal.Decimal, error) {
	pos, w := in.Position, in.Rules.TargetWeight
	value := pos.Quantity.Mul(pos.Spot).Mul(pos.FXToBase)
	unit := pos.Spot.Mul(pos.FXToBase)
	excess := value.Sub(w.Mul(in.Client.PortfolioValue))
	if !excess.IsPositive() || !unit.IsPositive() {
		return decimal.Zero, ErrHedgeWeightInTarget
	}
	n := excess.Div(unit.Mul(decimal.NewFromInt(1).Sub(w))).Ceil()
	return decimal.Min(n, pos.Quantity.Floor()), nil
}

// zeroCostCall finds the lowest call strike (a cent above today's price or
// higher, on a grid of cents) whose premium does not exceed the put's: the
// collar then costs nothing or a little. Bisection on the call price,
// which falls as the strike rises.
func zeroCostCall(base OptionInput, putPrice float64) (decimal.Decimal, OptionValue, error) {
	lo, hi := base.Spot, base.Spot*10
	hiValue, err := priceAt(base, Call, decimal.NewFromFloat(hi).Round(2))
	if err != nil {
		return decimal.Zero, OptionValue{}, err
	}
	if hiValue.Price > putPrice {
		return decimal.Zero, OptionValue{}, ErrHedgeNoCollar
	}
	for i := 0; i < 100 && hi-lo > 0.001; i++ {
		mid := (lo + hi) / 2
		v, err := priceAt(base, Call, decimal.NewFromFloat(mid).Round(2))
		if err != nil {
			return decimal.Zero, OptionValue{}, err
		}
		if v.Price > putPrice {
			lo = mid
		} else {
			hi = mid
		}
	}
	strike := decimal.NewFromFloat(hi).RoundUp(2)
	for {
		v, err := priceAt(base, Call, strike)
		if err != nil {
			return decimal.Zero, OptionValue{}, err
		}
		if v.Price <= putPrice || strike.GreaterThan(decimal.NewFromFloat(base.Spot*10)) {
			return strike, v, nil
		}
		strike = strike.Add(decimal.New(1, -2))
	}
}

func priceAt(base OptionInput, kind OptionKind, strike decimal.Decimal) (OptionValue, error) {
	in := base
	in.Kind, in.Strike = kind, strike.InexactFloat64()
	return PriceOption(in)
}

func scaleGreeks(v OptionValue, units float64) OptionValue {
	return OptionValue{Price: v.Price * units, Delta: v.Delta * units, Gamma: v.Gamma * units,
		Vega: v.Vega * units, Theta: v.Theta * units, Rho: v.Rho * units}
}

func subtractGreeks(a, b OptionValue) OptionValue {
	return OptionValue{Price: a.Price - b.Price, Delta: a.Delta - b.Delta, Gamma: a.Gamma - b.Gamma,
		Vega: a.Vega - b.Vega, Theta: a.Theta - b.Theta, Rho: a.Rho - b.Rho}
}

func greeksOf(v OptionValue) *HedgeGreeks {
	return &HedgeGreeks{Delta: significant(v.Delta), Gamma: significant(v.Gamma), Vega: significant(v.Vega / 100),
		Theta: significant(v.Theta / 365), Rho: significant(v.Rho / 100)}
}

// feeOn is the fee at rate on amount, recorded on t; zero with a note when
// the catalogue has no rate.
func feeOn(rate *decimal.Decimal, amount decimal.Decimal, ccy string, t *HedgeTerms) decimal.Decimal {
	if rate == nil {
		t.Notes = append(t.Notes, "hedge.note.fee_unknown")
		return decimal.Zero
	}
	fee := money(amount.Mul(*rate), ccy)
	t.Fee = &fee
	return fee.Amount
}

func money(amount decimal.Decimal, ccy string) ecrm.Money {
	return ecrm.Money{Amount: amount, Currency: ccy}.Round()
}

// percentOf is part/whole in percent, 2 decimals.
func percentOf(part, whole decimal.Decimal) decimal.Decimal {
	return part.Mul(decimal.NewFromInt(100)).Div(whole).Round(2)
}

// expiryDate is asOf plus months (the same day of the month, or the
// month's last day when it is shorter).
func expiryDate(asOf string, months int) string {
	d, err := time.Parse(time.DateOnly, asOf)
	if err != nil {
		return ""
	}
	return products.AddMonthsClamped(d, months).Format(time.DateOnly)
}

// yearsTo is the time from asOf to the expiry in years of 365 days.
func yearsTo(asOf string, months int) float64 {
	d, err := time.Parse(time.DateOnly, asOf)
	if err != nil {
		return float64(months) / 12
	}
	return products.AddMonthsClamped(d, months).Sub(d).Hours() / 24 / 365
}

// ReplayHedgeTerms recomputes a suggestion's terms from the engine inputs
// recorded with its offer (compliance.Replayer.ReplayEngine).
func ReplayHedgeTerms(engineInputs json.RawMessage) (any, error) {
	var in HedgeInput
	if err := json.Unmarshal(engineInputs, &in); err != nil {
		return nil, fmt.Errorf("hedge engine inputs: %w", err)
	}
	if in.Version != HedgeVersion {
		return nil, fmt.Errorf("hedge engine inputs of version %q; this is %s", in.Version, HedgeVersion)
	}
	return SuggestHedge(in)
}
