package risk

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// Risk behaviour (issue 15, item 2): what the client's own holdings and
// trading say about the risk they take, next to what they stated in the
// questionnaire. Five measures — the share of high-volatility positions,
// the share of leveraged ones, concentration, turnover, and the worst fall
// they held through — are turned into points and an implied class 1–7 on
// the questionnaire's scale; when it is two classes or more from the
// stated class, Mismatch says which way. docs/suitability.md documents
// every threshold.
//
// Behaviour is a value with a stable JSON shape (BehaviourVersion names
// it): the advisor's 360 and the portal show it, and the decision records
// of later engines (targeted programmes, hedging) will keep it as it was.
// MeasureBehaviour is a pure function of a BehaviourInput, tested on
// hand-made data; LoadBehaviour reads the input from the database.

// BehaviourVersion names the measures, thresholds and points below.
const BehaviourVersion = "behaviour-v1"

// HighVolatility is the annualised volatility from which an instrument
// counts as high-volatility whatever its risk class: 30 %, the lower bound
// of the PRIIPs market-risk class 6 (VaR-equivalent volatility 30–80 %).
var HighVolatility = decimal.RequireFromString("0.30")

// highRiskClassFrom: instruments of this risk class and above count as
// high-volatility.
const highRiskClassFrom = 6

// Windows: turnover over the last 12 months, the worst fall over the last
// 36 (the price history the firm keeps).
const (
	turnoverMonths = 12
	drawdownMonths = 36
)

// shareplaces is the rounding of every share, weight and ratio (half away
// from zero): 0.01 %.
const shareplaces = 4

// Behaviour is a client's risk behaviour on a day.
type Behaviour struct {
	Version  string `json:"version"`
	ClientID int64  `json:"client_id"`
	AsOf     string `json:"as_of"`
	// Currency is the one all values are converted to (the client's base
	// currency, else their income currency, else RON).
	Currency string `json:"currency"`
	// Observed is false when the client held nothing in the window: no
	// measure, no implied class, no mismatch.
	Observed bool `json:"observed"`
	// PortfolioValue is the gross value of the positions on AsOf (short
	// positions counted by their absolute value).
	PortfolioValue ecrm.Money `json:"portfolio_value"`
	// HighVolatilityShare and LeveragedShare are fractions of
	// PortfolioValue: instruments of risk class 6–7 or annualised
	// volatility of at least HighVolatility; options.
	HighVolatilityShare decimal.Decimal `json:"high_volatility_share"`
	LeveragedShare      decimal.Decimal `json:"leveraged_share"`
	// LargestWeight is the largest position's share (one instrument across
	// accounts), LargestPosition its symbol; LargestSingleSecurityWeight
	// the largest among single securities (not funds or ETFs, which are
	// diversified by themselves), the one the points use. HHI is the sum
	// of squared weights (1 for a single position).
	LargestWeight               decimal.Decimal `json:"largest_weight"`
	LargestPosition             string          `json:"largest_position,omitempty"`
	LargestSingleSecurityWeight decimal.Decimal `json:"largest_single_security_weight"`
	HHI                         decimal.Decimal `json:"hhi"`
	// Turnover is TradedValue over the last 12 months ÷ AverageValue,
	// the mean gross value on the days of those months the client held
	// anything.
	Turnover     decimal.Decimal `json:"turnover"`
	TradedValue  ecrm.Money      `json:"traded_value"`
	AverageValue ecrm.Money      `json:"average_value"`
	// WorstDrawdown is the largest peak-to-trough fall of the holdings'
	// value the client held through over the last 36 months.
	WorstDrawdown Drawdown        `json:"worst_drawdown"`
	Points        BehaviourPoints `json:"points"`
	// ImpliedClass is the class the behaviour implies, 1–7; 0 when not
	// observed.
	ImpliedClass int `json:"implied_class"`
	// StatedClass is the risk class of the assessment in force, nil
	// without one.
	StatedClass *int `json:"stated_class"`
	// Mismatch is set when ImpliedClass is two classes or more above or
	// below StatedClass.
	Mismatch *Mismatch `json:"mismatch"`
	// Unpriced lists the instruments held without a price on or before
	// AsOf: left out of every measure.
	Unpriced []string `json:"unpriced,omitempty"`
	// ReferenceRates lists the currencies converted at the firm's fixed
	// reference rates (products.ReferenceEURRate) because fx_rates had no
	// rate for them.
	ReferenceRates []string `json:"reference_rate_currencies,omitempty"`
}

// StatedRiskClass is the stated class, 0 without an assessment.
func (b Behaviour) StatedRiskClass() int {
	if b.StatedClass == nil {
		return 0
	}
	return *b.StatedClass
}

// Drawdown is a fall from a peak to the lowest point after it, as a
// fraction of the peak, measured on the time-weighted value of the
// holdings (buying and selling move the value but are not gains or
// losses).
type Drawdown struct {
	Fall     decimal.Decimal `json:"fall"`
	PeakOn   string          `json:"peak_on,omitempty"`
	TroughOn string          `json:"trough_on,omitempty"`
}

// Peak is PeakOn as a date (zero when there was no fall).
func (d Drawdown) Peak() time.Time { t, _ := time.Parse(time.DateOnly, d.PeakOn); return t }

// Trough is TroughOn as a date (zero when there was no fall).
func (d Drawdown) Trough() time.Time { t, _ := time.Parse(time.DateOnly, d.TroughOn); return t }

// BehaviourPoints are 0–2 points per measure; Total 0–10.
type BehaviourPoints struct {
	HighVolatility int `json:"high_volatility"`
	Leveraged      int `json:"leveraged"`
	Concentration  int `json:"concentration"`
	Turnover       int `json:"turnover"`
	Drawdown       int `json:"drawdown"`
	Total          int `json:"total"`
}

// Mismatch directions.
const (
	RiskierThanStated  = "riskier_than_stated"
	CautiousThanStated = "more_cautious_than_stated"
)

// Mismatch says that behaviour and statement disagree, and which way.
type Mismatch struct {
	Direction string `json:"direction"`
	// Reason says it in a sentence (English, for records and logs; pages
	// word it from Direction and the two classes).
	Reason string `json:"reason"`
}

// impliedClass is the class of each points total (0–10).
var impliedClass = [11]int{1, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7}

// points is 0, 1 or 2 by two thresholds: below lo 0, below hi 1, else 2.
func points(x, lo, hi decimal.Decimal) int {
	switch {
	case x.LessThan(lo):
		return 0
	case x.LessThan(hi):
		return 1
	}
	return 2
}

var (
	d0  = decimal.Zero
	d01 = decimal.RequireFromString("0.10")
	d02 = decimal.RequireFromString("0.20")
	d25 = decimal.RequireFromString("0.25")
	d04 = decimal.RequireFromString("0.40")
	d05 = decimal.RequireFromString("0.50")
	d2  = decimal.NewFromInt(2)
	// aTick is the smallest positive share: any option held scores.
	aTick = decimal.New(1, -shareplaces)
)

// BehaviourInstrument is what the measures need of an instrument.
type BehaviourInstrument struct {
	Symbol     string
	Kind       string
	Currency   string
	RiskClass  int
	Volatility decimal.Decimal
	// Multiplier is the contract multiplier (options), else 1.
	Multiplier int64
}

// highVolatility reports whether the instrument counts as high-volatility.
func (in BehaviourInstrument) highVolatility() bool {
	return in.RiskClass >= highRiskClassFrom || in.Volatility.GreaterThanOrEqual(HighVolatility)
}

// singleSecurity reports whether the instrument is one issuer's security
// (funds and ETFs hold many).
func (in BehaviourInstrument) singleSecurity() bool { return in.Kind != "fund" && in.Kind != "etf" }

// QuantityChange changes a holding by Delta at the close of On.
type QuantityChange struct {
	On    time.Time
	Delta decimal.Decimal
}

// Holding is one instrument in one account over time.
type Holding struct {
	Instrument int64
	Changes    []QuantityChange
}

// BehaviourTrade is one execution, for turnover.
type BehaviourTrade struct {
	Instrument int64
	Quantity   decimal.Decimal
	Price      decimal.Decimal
	TradedOn   time.Time
}

// PricePoint is a close.
type PricePoint struct {
	On    time.Time
	Close decimal.Decimal
}

// BehaviourInput is everything MeasureBehaviour reads.
type BehaviourInput struct {
	ClientID    int64
	AsOf        time.Time
	Currency    string
	Instruments map[int64]BehaviourInstrument
	Holdings    []Holding
	Trades      []BehaviourTrade
	// Prices per instrument, oldest first.
	Prices map[int64][]PricePoint
	// Rate converts one unit of a currency into Currency on a day; ref is
	// true when it is a reference rate rather than a market one.
	Rate        func(currency string, on time.Time) (rate decimal.Decimal, ref bool)
	StatedClass *int
}

// dateOnly is the day of t in UTC.
// dayNumber is the day of t in UTC as a number (days since 1970), cheap
// to compare in the loops over three years of closes.
func dayNumber(t time.Time) int64 {
	u := t.Unix()
	if u < 0 {
		return (u - 86399) / 86400
	}
	return u / 86400
}

func dateOnly(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// MeasureBehaviour computes the behaviour from its input.
func MeasureBehaviour(in BehaviourInput) Behaviour {
	asOf := dateOnly(in.AsOf)
	b := Behaviour{Version: BehaviourVersion, ClientID: in.ClientID, AsOf: asOf.Format(time.DateOnly), Currency: in.Currency,
		PortfolioValue: ecrm.Money{Amount: decimal.Zero, Currency: in.Currency},
		TradedValue:    ecrm.Money{Amount: decimal.Zero, Currency: in.Currency},
		AverageValue:   ecrm.Money{Amount: decimal.Zero, Currency: in.Currency},
		StatedClass:    in.StatedClass}
	refs := map[string]bool{}
	rate := func(ccy string, on time.Time) decimal.Decimal {
		if ccy == in.Currency {
			return decimal.NewFromInt(1)
		}
		r, ref := in.Rate(ccy, on)
		if ref {
			refs[ccy] = true
		}
		return r
	}
	// The days of the window on which any instrument held has a close.
	from := asOf.AddDate(0, -drawdownMonths, 0)
	var dayNumbers []int64
	seen, seenInstrument := map[int64]bool{}, map[int64]bool{}
	fromN, asOfN := dayNumber(from), dayNumber(asOf)
	for _, h := range in.Holdings {
		if seenInstrument[h.Instrument] {
			continue // another account's holding of the same instrument
		}
		seenInstrument[h.Instrument] = true
		for _, p := range in.Prices[h.Instrument] {
			if d := dayNumber(p.On); d >= fromN && d <= asOfN && !seen[d] {
				seen[d] = true
				dayNumbers = append(dayNumbers, d)
			}
		}
	}
	slices.Sort(dayNumbers)
	days := make([]time.Time, len(dayNumbers))
	for i, d := range dayNumbers {
		days[i] = time.Unix(d*86400, 0).UTC()
	}
	// The rate of each currency on each day, read once.
	rates := map[string][]decimal.Decimal{}
	ratesOf := func(ccy string) []decimal.Decimal {
		if r, ok := rates[ccy]; ok {
			return r
		}
		r := make([]decimal.Decimal, len(days))
		for i, d := range days {
			r[i] = rate(ccy, d)
		}
		rates[ccy] = r
		return r
	}
	// Each holding's quantity and the value of one unit of it in the
	// reporting currency (close × multiplier × rate) on each day, step
	// functions walked once. Exact decimals where a value is reported
	// (the last twelve months, today); float64 copies for the drawdown
	// model.
	turnoverFrom := asOf.AddDate(0, -turnoverMonths, 0)
	type series struct {
		info   BehaviourInstrument
		qty    []decimal.Decimal // at the close of days[i]
		unit   []decimal.Decimal // set on the days of the last 12 months held, and the last day
		priced []bool
		qtyF   []float64
		unitF  []float64
	}
	all := make([]series, 0, len(in.Holdings))
	for _, h := range in.Holdings {
		info := in.Instruments[h.Instrument]
		mult := decimal.NewFromInt(max(1, info.Multiplier))
		r := ratesOf(info.Currency)
		changes := slices.Clone(h.Changes)
		slices.SortStableFunc(changes, func(a, b QuantityChange) int { return dateOnly(a.On).Compare(dateOnly(b.On)) })
		changeDays := make([]int64, len(changes))
		for i, c := range changes {
			changeDays[i] = dayNumber(c.On)
		}
		prices := in.Prices[h.Instrument]
		s := series{info: info, qty: make([]decimal.Decimal, len(days)), unit: make([]decimal.Decimal, len(days)), priced: make([]bool, len(days)),
			qtyF: make([]float64, len(days)), unitF: make([]float64, len(days))}
		q, qF, ci, pi, have := decimal.Zero, 0.0, 0, 0, false
		var close, closeMult decimal.Decimal
		var closeF float64
		for i, d := range days {
			changed := false
			dn := dayNumbers[i]
			for ci < len(changes) && changeDays[ci] <= dn {
				q = q.Add(changes[ci].Delta)
				ci, changed = ci+1, true
			}
			if changed {
				qF, _ = q.Float64()
			}
			for pi < len(prices) && dayNumber(prices[pi].On) <= dn {
				close, have = prices[pi].Close, true
				pi++
				closeMult = close
				if info.Multiplier > 1 {
					closeMult = close.Mul(mult)
				}
				closeF, _ = closeMult.Float64()
			}
			s.qty[i], s.qtyF[i], s.priced[i] = q, qF, have
			if !have {
				continue
			}
			rF, _ := r[i].Float64()
			s.unitF[i] = closeF * rF
			if !q.IsZero() && (d.After(turnoverFrom) || i == len(days)-1) {
				s.unit[i] = closeMult.Mul(r[i])
			}
		}
		all = append(all, s)
	}

	// Today's positions: on the last day of the window (the latest close
	// on or before AsOf), by instrument across accounts. An instrument
	// held without any close is unpriced and left out.
	byInstrument := map[int64]decimal.Decimal{}
	unpriced := map[string]bool{}
	for hi, h := range in.Holdings {
		held := holdingAt(h, asOf)
		if held.IsZero() {
			continue
		}
		s := all[hi]
		if len(days) == 0 || !s.priced[len(days)-1] {
			unpriced[s.info.Symbol] = true
			continue
		}
		byInstrument[h.Instrument] = byInstrument[h.Instrument].Add(held.Mul(s.unit[len(days)-1]).Abs())
	}
	for sym := range unpriced {
		b.Unpriced = append(b.Unpriced, sym)
	}
	sort.Strings(b.Unpriced)
	gross := decimal.Zero
	ids := make([]int64, 0, len(byInstrument))
	for id, v := range byInstrument {
		ids = append(ids, id)
		gross = gross.Add(v)
	}
	slices.Sort(ids)
	b.PortfolioValue.Amount = gross
	b.PortfolioValue = b.PortfolioValue.Round()
	if gross.IsPositive() {
		highVol, leveraged, hhi := decimal.Zero, decimal.Zero, decimal.Zero
		for _, id := range ids {
			v, info := byInstrument[id], in.Instruments[id]
			w := v.Div(gross)
			if info.highVolatility() {
				highVol = highVol.Add(v)
			}
			if info.Kind == "option" {
				leveraged = leveraged.Add(v)
			}
			hhi = hhi.Add(w.Mul(w))
			wr := w.Round(shareplaces)
			if wr.GreaterThan(b.LargestWeight) {
				b.LargestWeight, b.LargestPosition = wr, info.Symbol
			}
			if info.singleSecurity() && wr.GreaterThan(b.LargestSingleSecurityWeight) {
				b.LargestSingleSecurityWeight = wr
			}
		}
		b.HighVolatilityShare = highVol.Div(gross).Round(shareplaces)
		b.LeveragedShare = leveraged.Div(gross).Round(shareplaces)
		if leveraged.IsPositive() && b.LeveragedShare.IsZero() {
			b.LeveragedShare = aTick // any option held counts
		}
		b.HHI = hhi.Round(shareplaces)
	}

	// Turnover: traded value over the last 12 months ÷ the mean gross
	// value on the days of those months the client held anything.
	traded := decimal.Zero
	for _, t := range in.Trades {
		d := dateOnly(t.TradedOn)
		if !d.After(turnoverFrom) || d.After(asOf) {
			continue
		}
		info := in.Instruments[t.Instrument]
		traded = traded.Add(t.Quantity.Abs().Mul(t.Price).Mul(decimal.NewFromInt(max(1, info.Multiplier))).Mul(rate(info.Currency, d)))
	}
	sum, n := decimal.Zero, 0
	for i, d := range days {
		if !d.After(turnoverFrom) {
			continue
		}
		g := decimal.Zero
		for _, s := range all {
			if !s.unit[i].IsZero() {
				g = g.Add(s.qty[i].Mul(s.unit[i]).Abs())
			}
		}
		if g.IsPositive() {
			sum, n = sum.Add(g), n+1
		}
	}
	b.TradedValue.Amount = traded
	b.TradedValue = b.TradedValue.Round()
	if n > 0 {
		avg := sum.Div(decimal.NewFromInt(int64(n)))
		b.AverageValue.Amount = avg
		b.AverageValue = b.AverageValue.Round()
		b.Turnover = traded.Div(avg).Round(shareplaces)
	}

	// The worst fall held through: a time-weighted index of the holdings,
	// each day's return being the change in value of what was held at the
	// previous close, over its gross value then; buying and selling do
	// not move it. The index is a model figure (float64), the fall rounded
	// half away from zero to 4 places.
	index, peak := 1.0, 1.0
	peakDay, worst := -1, 0.0
	var worstPeak, worstTrough int
	for i := 1; i < len(days); i++ {
		num, den := 0.0, 0.0
		for _, s := range all {
			if s.qtyF[i-1] == 0 || !s.priced[i-1] {
				continue
			}
			num += s.qtyF[i-1] * (s.unitF[i] - s.unitF[i-1])
			den += math.Abs(s.qtyF[i-1] * s.unitF[i-1])
		}
		if den <= 0 {
			continue
		}
		if peakDay < 0 {
			peakDay = i - 1
		}
		index *= 1 + num/den
		if index > peak {
			peak, peakDay = index, i
		}
		if fall := 1 - index/peak; fall > worst {
			worst, worstPeak, worstTrough = fall, peakDay, i
		}
	}
	b.WorstDrawdown.Fall = decimal.Zero
	if worst > 0 {
		b.WorstDrawdown = Drawdown{Fall: decimal.NewFromFloat(worst).Round(shareplaces),
			PeakOn: days[worstPeak].Format(time.DateOnly), TroughOn: days[worstTrough].Format(time.DateOnly)}
	}

	b.Observed = gross.IsPositive() || n > 0
	for ccy := range refs {
		b.ReferenceRates = append(b.ReferenceRates, ccy)
	}
	sort.Strings(b.ReferenceRates)
	if !b.Observed {
		return b
	}
	p := &b.Points
	p.HighVolatility = points(b.HighVolatilityShare, d01, d04)
	p.Leveraged = points(b.LeveragedShare, aTick, d01)
	p.Concentration = points(b.LargestSingleSecurityWeight, d02, d05)
	p.Turnover = points(b.Turnover, d05, d2)
	p.Drawdown = points(b.WorstDrawdown.Fall, d01, d25)
	p.Total = p.HighVolatility + p.Leveraged + p.Concentration + p.Turnover + p.Drawdown
	b.ImpliedClass = impliedClass[p.Total]
	if s := b.StatedClass; s != nil {
		switch {
		case b.ImpliedClass >= *s+2:
			b.Mismatch = &Mismatch{Direction: RiskierThanStated,
				Reason: fmt.Sprintf("trading implies risk class %d, two or more above the stated class %d", b.ImpliedClass, *s)}
		case b.ImpliedClass <= *s-2:
			b.Mismatch = &Mismatch{Direction: CautiousThanStated,
				Reason: fmt.Sprintf("trading implies risk class %d, two or more below the stated class %d", b.ImpliedClass, *s)}
		}
	}
	return b
}

// holdingAt is the quantity of a holding at the close of day.
func holdingAt(h Holding, day time.Time) decimal.Decimal {
	q := decimal.Zero
	for _, c := range h.Changes {
		if !dateOnly(c.On).After(day) {
			q = q.Add(c.Delta)
		}
	}
	return q
}
