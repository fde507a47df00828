package risk

import (
	"cmp"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// Exchange rates for portfolio valuation, read from fx_rates: one unit of
// the row's base currency is worth rate units of its quote currency on
// rate_date. An amount is converted at the latest rate on or before the
// valuation date: through the pair itself (EUR→RON: × the EUR/RON rate),
// its inverse (RON→EUR: ÷ the EUR/RON rate), or, when neither is stored,
// across a common currency (USD→RON through EUR: USD→EUR then EUR→RON).
// The rates used and their dates go with every converted figure, so a
// reader can redo the conversion.

// epochDay is a calendar date as days since 1970-01-01, the form the price
// history travels in (cheap to compare and to index).
type epochDay int32

func dayOf(t time.Time) epochDay {
	y, m, d := t.Date()
	return epochDay(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func (d epochDay) date() Date { return Date{time.Unix(int64(d)*86400, 0).UTC()} }

type fxPair struct{ base, quote string }

// fxRate is one stored rate; f is the same rate as float64 for the
// history model. The exact rate is rate, or when raw is set the numeric
// as it came from PostgreSQL, decoded by exact when a conversion uses it.
type fxRate struct {
	day    epochDay
	rate   decimal.Decimal
	raw    []byte
	f      float64
	source string
}

// exact is the stored rate as an exact decimal.
func (r fxRate) exact() decimal.Decimal {
	if r.raw != nil {
		if d, err := numericDecimal(r.raw); err == nil {
			return d
		}
	}
	return r.rate
}

// fxBook holds the rates of each pair, oldest first.
type fxBook map[fxPair][]fxRate

// latest is the pair's last rate on or before d.
func (b fxBook) latest(p fxPair, d epochDay) (fxRate, bool) {
	rates := b[p]
	i, _ := slices.BinarySearchFunc(rates, d+1, func(r fxRate, d epochDay) int { return cmp.Compare(r.day, d) })
	if i == 0 {
		return fxRate{}, false
	}
	return rates[i-1], true
}

// fxLeg is one step of a conversion: through the stored pair, dividing by
// its rate when the conversion goes from its quote to its base.
type fxLeg struct {
	pair   fxPair
	invert bool
	used   fxRate
}

// fxPath converts one currency into another, one or two legs.
type fxPath []fxLeg

// oldest is the date of the oldest rate the path uses, the date the
// conversion is as old as.
func (p fxPath) oldest() epochDay {
	d := p[0].used.day
	for _, l := range p[1:] {
		d = min(d, l.used.day)
	}
	return d
}

// leg finds the freshest way to go from one currency to another in one
// step on or before d: the pair or its inverse.
func (b fxBook) leg(from, to string, d epochDay) (fxLeg, bool) {
	direct, okD := b.latest(fxPair{from, to}, d)
	inverse, okI := b.latest(fxPair{to, from}, d)
	switch {
	case okD && (!okI || direct.day >= inverse.day):
		return fxLeg{pair: fxPair{from, to}, used: direct}, true
	case okI:
		return fxLeg{pair: fxPair{to, from}, invert: true, used: inverse}, true
	}
	return fxLeg{}, false
}

// path is how to convert from one currency to another on d: one leg when
// the pair or its inverse is stored, else two across the common currency
// whose older rate is the most recent (ties: the first currency code), so
// the choice is repeatable.
func (b fxBook) path(from, to string, d epochDay) (fxPath, bool) {
	if l, ok := b.leg(from, to, d); ok {
		return fxPath{l}, true
	}
	var via []string
	for p := range b {
		for _, c := range []string{p.base, p.quote} {
			if c != from && c != to && !slices.Contains(via, c) {
				via = append(via, c)
			}
		}
	}
	slices.Sort(via)
	var best fxPath
	for _, x := range via {
		l1, ok1 := b.leg(from, x, d)
		l2, ok2 := b.leg(x, to, d)
		if ok1 && ok2 && (best == nil || min(l1.used.day, l2.used.day) > best.oldest()) {
			best = fxPath{l1, l2}
		}
	}
	return best, best != nil
}

// convert converts an amount exactly: amount × the rates of the direct
// legs ÷ the rates of the inverted ones, divided once and rounded half away
// from zero to the target currency's minor units — the only rounding.
func (p fxPath) convert(amount decimal.Decimal, to string) ecrm.Money {
	num, den := amount, decimal.NewFromInt(1)
	for _, l := range p {
		if l.invert {
			den = den.Mul(l.used.exact())
		} else {
			num = num.Mul(l.used.exact())
		}
	}
	places, ok := ecrm.CurrencyMinorUnits(to)
	if !ok {
		places = 2
	}
	return ecrm.Money{Amount: num.DivRound(den, places), Currency: to}
}

// rate is the path's rate, one unit of the source currency in the target,
// rounded half away from zero to 10 decimal places (for showing; amounts
// are converted with convert, from the stored rates).
func (p fxPath) rate() decimal.Decimal {
	num, den := decimal.NewFromInt(1), decimal.NewFromInt(1)
	for _, l := range p {
		if l.invert {
			den = den.Mul(l.used.exact())
		} else {
			num = num.Mul(l.used.exact())
		}
	}
	return num.DivRound(den, 10)
}

// along is the path's rate on each of days (ascending) for the history,
// float64: each leg's last rate on or before the day — before a pair's
// first stored rate, its first (the history may start before a pair's
// rates do; holding the first rate there leaves that stretch without
// currency moves rather than without the position). One pass per leg.
func (b fxBook) along(p fxPath, days []epochDay) []float64 {
	out := make([]float64, len(days))
	for i := range out {
		out[i] = 1
	}
	for _, l := range p {
		rates := b[l.pair]
		j := 0
		for i, d := range days {
			for j+1 < len(rates) && rates[j+1].day <= d {
				j++
			}
			if l.invert {
				out[i] /= rates[j].f
			} else {
				out[i] *= rates[j].f
			}
		}
	}
	return out
}

// FXConversion is how a position's value was converted into the base
// currency: the resulting rate and each stored rate used.
type FXConversion struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Rate is one unit of From in To, rounded to 10 decimal places.
	Rate decimal.Decimal `json:"rate"`
	// Date is the date of the oldest rate used.
	Date Date `json:"date"`
	// Stale is true when Date is older than the maximum price age.
	Stale bool        `json:"stale"`
	Rates []FXRateRow `json:"rates"`
}

// FXRateRow is one stored rate: 1 Base = Rate Quote on Date. Inverted is
// true when the conversion divided by it (it goes from Quote to Base).
type FXRateRow struct {
	Base     string          `json:"base"`
	Quote    string          `json:"quote"`
	Rate     decimal.Decimal `json:"rate"`
	Date     Date            `json:"date"`
	Source   string          `json:"source"`
	Inverted bool            `json:"inverted"`
}

func (p fxPath) conversion(from, to string) *FXConversion {
	c := &FXConversion{From: from, To: to, Rate: p.rate(), Date: p.oldest().date()}
	for _, l := range p {
		c.Rates = append(c.Rates, FXRateRow{Base: l.pair.base, Quote: l.pair.quote, Rate: l.used.exact(),
			Date: l.used.day.date(), Source: l.used.source, Inverted: l.invert})
	}
	return c
}
