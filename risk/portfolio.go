package risk

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// Portfolio valuation and risk (issue 15, item 3). A client's positions
// are valued as the overview and the advisor's 360 value them
// (ValuePosition, exact), then converted into the client's base currency
// at the stored exchange rates (portfolio_fx.go). Over the price history
// of today's positions — the last three years, daily — the portfolio's
// daily P&L gives value at risk (var.go), its value gives realised
// volatility and the maximum drawdown, and its returns against the base
// currency's benchmark index give beta. What cannot be measured is said,
// naming the instrument and the missing field: a position without a price
// is listed unvalued and left out; one whose currency has no rate to the
// base currency is valued in its own currency only and left out of the
// base-currency figures; prices or rates older than the configured age
// are used and flagged stale.
//
// The model works in float64 (var.go); every figure leaves it as an exact
// decimal rounded half away from zero: money to the base currency's minor
// units, fractions (weights, volatility, drawdown) to four decimal places,
// beta to four.

// PortfolioConfig is the firm's configuration of the risk figures.
type PortfolioConfig struct {
	// DefaultBaseCurrency is the currency of a client who has chosen none
	// and has no income currency (ECRM_BASE_CURRENCY).
	DefaultBaseCurrency string
	// MaxPriceAge is how old a price or exchange rate may be before the
	// figures that use it are flagged stale (ECRM_PRICE_MAX_AGE); counted
	// in whole days.
	MaxPriceAge time.Duration
	// HistoryYears is how far back the price history goes.
	HistoryYears int
	// MinHistoryDays is the fewest daily prices a position needs in the
	// history to be part of the history's figures: with fewer, the 99 %
	// quantile would be one of its few worst days, and the whole
	// portfolio's history would shrink to its short life.
	MinHistoryDays int
}

// DefaultPortfolioConfig: RON, 4 days (a weekend and a holiday), three
// years of history, at least 60 days (about three months of trading).
func DefaultPortfolioConfig() PortfolioConfig {
	return PortfolioConfig{DefaultBaseCurrency: "RON", MaxPriceAge: 96 * time.Hour, HistoryYears: 3, MinHistoryDays: 60}
}

func (c PortfolioConfig) maxAgeDays() int { return int(c.MaxPriceAge / (24 * time.Hour)) }

// PortfolioScope is whose portfolio is read: the client, and when
// AdvisorID is set only if that staff member is the client's advisor (an
// advisor's book). Both are checked in SQL.
type PortfolioScope struct {
	ClientID  int64
	AdvisorID *int64
}

// Date is a calendar date, written in JSON as YYYY-MM-DD.
type Date struct{ time.Time }

// MarshalJSON writes the date as "2006-01-02".
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.Format(time.DateOnly)) }

// Position statuses.
const (
	// PositionValued: valued in its currency and in the base currency.
	PositionValued = "valued"
	// PositionNoBaseValue: valued in its currency; no exchange rate to
	// the base currency.
	PositionNoBaseValue = "no_base_value"
	// PositionUnvalued: no price.
	PositionUnvalued = "unvalued"
)

// PortfolioRisk is a client's portfolio valued and measured on one day.
// Its JSON is GET /api/v1/me/portfolio/risk (risk/openapi.json); the
// hedging engine reads the per-position values and VaR from it.
type PortfolioRisk struct {
	ClientID int64 `json:"client_id"`
	AsOf     Date  `json:"as_of"`
	// BaseCurrency is the client's base_currency, else their income
	// currency, else the firm's; BaseCurrencySource says which ("client",
	// "income", "firm").
	BaseCurrency       string `json:"base_currency"`
	BaseCurrencySource string `json:"base_currency_source"`
	MaxPriceAgeDays    int    `json:"max_price_age_days"`
	// Total is the sum of the positions' base values (each rounded), so
	// it equals the sum of the lines shown.
	Total     ecrm.Money          `json:"total"`
	Positions []PortfolioPosition `json:"positions"`
	// Allocation of Total by asset class, sector, currency and issuer.
	Allocation    PortfolioAllocation `json:"allocation"`
	Concentration *Concentration      `json:"concentration"`
	// History holds the figures of the price history; nil when there is
	// too little of it (Notices say why).
	History *PortfolioHistory `json:"history"`
	// Stale is true when a price or rate used is older than the maximum
	// age.
	Stale bool `json:"stale"`
	// Notices say what could not be valued or measured and why, and what
	// is stale.
	Notices []Notice `json:"notices"`
	// ValueHistory is the value of today's positions on each day of the
	// history (the page's chart); not in the JSON.
	ValueHistory []ValuePoint `json:"-"`
}

// PortfolioPosition is one position valued.
type PortfolioPosition struct {
	PositionID   int64           `json:"position_id"`
	InstrumentID int64           `json:"instrument_id"`
	Symbol       string          `json:"symbol"`
	Name         string          `json:"name"`
	AssetClass   string          `json:"asset_class"`
	Sector       string          `json:"sector"`
	Issuer       string          `json:"issuer"`
	Currency     string          `json:"currency"`
	Quantity     decimal.Decimal `json:"quantity"`
	Quotation    Quotation       `json:"quotation"`
	// FaceValue is a bond's face value (for percent-of-face quotes).
	FaceValue  *decimal.Decimal `json:"face_value,omitempty"`
	Multiplier int64            `json:"multiplier"`
	// Price is the latest close on or before the day, PriceDate its date;
	// both null without a price.
	Price      *decimal.Decimal `json:"price"`
	PriceDate  *Date            `json:"price_date"`
	PriceStale bool             `json:"price_stale"`
	// Value is in the instrument's currency (ValuePosition).
	Value *ecrm.Money `json:"value"`
	// FX is how Value became BaseValue; null when the currencies are the
	// same or no rate exists.
	FX        *FXConversion `json:"fx"`
	BaseValue *ecrm.Money   `json:"base_value"`
	// Weight is BaseValue / Total, four decimal places; null when the
	// position has no base value or the total is not positive.
	Weight *decimal.Decimal `json:"weight"`
	// InHistory is true when the position is part of the history's
	// figures; VaR1Day99 and VaR10Day99 are its own historical VaR at 99 %.
	InHistory  bool        `json:"in_history"`
	VaR1Day99  *ecrm.Money `json:"var_1d_99"`
	VaR10Day99 *ecrm.Money `json:"var_10d_99"`
	Status     string      `json:"status"`
	// Reason says why the position is not valued, or not in the base
	// currency, or not in the history.
	Reason *Notice `json:"reason"`
}

// PortfolioAllocation splits the total four ways.
type PortfolioAllocation struct {
	AssetClass []AllocationLine `json:"asset_class"`
	Sector     []AllocationLine `json:"sector"`
	Currency   []AllocationLine `json:"currency"`
	Issuer     []AllocationLine `json:"issuer"`
}

// AllocationLine is one group: its value (a sum of rounded base values,
// exact) and share of the total (four decimal places, so the shares may
// add up to 0.9999 or 1.0001). Key is "" for positions without a sector.
type AllocationLine struct {
	Key   string           `json:"key"`
	Value ecrm.Money       `json:"value"`
	Share *decimal.Decimal `json:"share"`
}

// Concentration: the largest position and issuer by weight, and the
// Herfindahl–Hirschman index of the position weights, Σ wᵢ² (1 for one
// position, 1/n for n equal ones), exact to four places;
// EffectivePositions is 1/HHI, the number of equal positions as
// concentrated.
type Concentration struct {
	LargestPosition       string          `json:"largest_position"`
	LargestPositionWeight decimal.Decimal `json:"largest_position_weight"`
	LargestIssuer         string          `json:"largest_issuer"`
	LargestIssuerWeight   decimal.Decimal `json:"largest_issuer_weight"`
	HHI                   decimal.Decimal `json:"hhi"`
	EffectivePositions    decimal.Decimal `json:"effective_positions"`
}

// PortfolioHistory is what the price history says about today's
// positions held over it.
type PortfolioHistory struct {
	From Date `json:"from"`
	To   Date `json:"to"`
	// Days is the number of days with prices; ReturnDays the number of
	// daily P&L figures, one fewer.
	Days       int `json:"days"`
	ReturnDays int `json:"return_days"`
	// Positions is how many positions it covers.
	Positions int `json:"positions"`
	// Value is the base value of those positions today, the total the
	// figures below are a share of.
	Value ecrm.Money `json:"value"`
	// Volatility is the annualised standard deviation of the daily log
	// returns (sample, × √252), four decimal places.
	Volatility decimal.Decimal `json:"volatility"`
	VaR        []VaRFigure     `json:"var"`
	// Beta is null without a benchmark or its prices (Notices say which).
	Beta        *Beta              `json:"beta"`
	MaxDrawdown *PortfolioDrawdown `json:"max_drawdown"`
}

// VaRFigure is one value at risk: the loss not exceeded with the
// confidence over the horizon, in the base currency; Share is it over
// History.Value.
type VaRFigure struct {
	Method      string          `json:"method"`
	Confidence  decimal.Decimal `json:"confidence"`
	HorizonDays int             `json:"horizon_days"`
	Amount      ecrm.Money      `json:"amount"`
	Share       decimal.Decimal `json:"share"`
}

// Beta is the slope of the portfolio's daily returns on the benchmark's,
// cov(rp, rb) / var(rb), over Days pairs of returns.
type Beta struct {
	Value     decimal.Decimal `json:"value"`
	Days      int             `json:"days"`
	Benchmark Benchmark       `json:"benchmark"`
}

// Benchmark is the index a base currency is compared with.
type Benchmark struct {
	InstrumentID int64  `json:"instrument_id"`
	Symbol       string `json:"symbol"`
	Name         string `json:"name"`
	Currency     string `json:"currency"`
}

// PortfolioDrawdown is the largest fall of the value of today's positions
// from a peak, as a fraction of the peak and in money, with the peak's and
// the trough's dates (Drawdown, in behaviour.go, is the fall the client
// lived through with the holdings of each day).
type PortfolioDrawdown struct {
	Fraction   decimal.Decimal `json:"fraction"`
	Amount     ecrm.Money      `json:"amount"`
	PeakDate   Date            `json:"peak_date"`
	TroughDate Date            `json:"trough_date"`
}

// ValuePoint is the value of today's positions on a past day.
type ValuePoint struct {
	Date     Date
	Value    float64
	Drawdown float64
}

// Notice codes, each naming the field that is missing or old.
const (
	NoticeNoPrice        = "no_price"         // field price
	NoticeNoFX           = "no_fx_rate"       // field fx_rate
	NoticeStalePrice     = "stale_price"      // field price_date
	NoticeStaleFX        = "stale_fx_rate"    // field fx_rate
	NoticeShortHistory   = "short_history"    // field price_history
	NoticeNoHistory      = "no_history"       // field price_history
	NoticeNoBenchmark    = "no_benchmark"     // field benchmark
	NoticeBenchmarkShort = "benchmark_prices" // field benchmark
	NoticeNotPositive    = "total_not_positive"
)

// Notice is something the figures could not include, or include stale.
// Symbols are the instruments concerned; Message says it in the reader's
// language.
type Notice struct {
	Code    string   `json:"code"`
	Field   string   `json:"field,omitempty"`
	Symbols []string `json:"symbols,omitempty"`
	Message string   `json:"message"`
}

// Confidences and horizons of the VaR table.
var (
	varConfidences = []float64{0.95, 0.99}
	varHorizons    = []int{1, 10}
)

// tradingDays annualises daily volatility.
const tradingDays = 252

// heldPosition is a position as read, before valuation.
type heldPosition struct {
	id, instrumentID                             int64
	symbol, name, kind, currency, sector, issuer string
	quantity, averageCost                        decimal.Decimal
	quote                                        Quote
	price                                        *decimal.Decimal
	priceDay                                     epochDay
}

// priceSeries is an instrument's closes in the history window, oldest
// first.
type priceSeries struct {
	days   []epochDay
	closes []float64
}

// portfolioData is everything the figures are computed from, read in one
// round trip (portfolio_store.go).
type portfolioData struct {
	clientID   int64
	base       string
	baseSource string
	positions  []heldPosition
	series     map[int64]*priceSeries
	fx         fxBook
	benchmark  *Benchmark
}

// measure computes the figures of d as of asOf.
func measure(d *portfolioData, asOf epochDay, cfg PortfolioConfig, l *i18n.Localizer) *PortfolioRisk {
	base := d.base
	maxAge := cfg.maxAgeDays()
	r := &PortfolioRisk{ClientID: d.clientID, AsOf: asOf.date(), BaseCurrency: base, BaseCurrencySource: d.baseSource,
		MaxPriceAgeDays: maxAge, Total: ecrm.Money{Amount: decimal.Zero, Currency: base}, Positions: []PortfolioPosition{},
		Notices: []Notice{}}
	r.Allocation = PortfolioAllocation{AssetClass: []AllocationLine{}, Sector: []AllocationLine{}, Currency: []AllocationLine{}, Issuer: []AllocationLine{}}
	notices := noticeSet{l: l, maxAge: maxAge, base: base}
	paths := map[string]fxPath{}
	for _, h := range d.positions {
		p := PortfolioPosition{PositionID: h.id, InstrumentID: h.instrumentID, Symbol: h.symbol, Name: h.name, AssetClass: h.kind,
			Sector: h.sector, Issuer: h.issuer, Currency: h.currency, Quantity: h.quantity, Quotation: h.quote.Quotation,
			Multiplier: max(h.quote.Multiplier, 1), Price: h.price, Status: PositionUnvalued}
		if h.quote.Quotation == PercentOfFace {
			face := h.quote.FaceValue
			p.FaceValue = &face
		}
		if h.price == nil {
			p.Reason = notices.add(NoticeNoPrice, h.symbol, nil, "")
			r.Positions = append(r.Positions, p)
			continue
		}
		date := h.priceDay.date()
		p.PriceDate = &date
		if int(asOf-h.priceDay) > maxAge {
			p.PriceStale = true
			notices.add(NoticeStalePrice, h.symbol, &date.Time, "")
		}
		v := ValuePosition(h.quantity, h.averageCost, h.price, h.quote, h.currency)
		p.Value = v.Value
		p.Status = PositionNoBaseValue
		if h.currency == base {
			bv := *v.Value
			p.BaseValue, p.Status = &bv, PositionValued
		} else {
			path, ok := paths[h.currency]
			if !ok {
				if path, ok = d.fx.path(h.currency, base, asOf); ok {
					paths[h.currency] = path
				}
			}
			if !ok {
				p.Reason = notices.add(NoticeNoFX, h.symbol, nil, h.currency)
			} else {
				bv := path.convert(v.Value.Amount, base)
				p.BaseValue, p.Status = &bv, PositionValued
				p.FX = path.conversion(h.currency, base)
				if int(asOf-path.oldest()) > maxAge {
					p.FX.Stale = true
					rateDate := p.FX.Date.Time
					notices.add(NoticeStaleFX, h.symbol, &rateDate, h.currency)
				}
			}
		}
		if p.BaseValue != nil {
			r.Total.Amount = r.Total.Amount.Add(p.BaseValue.Amount)
		}
		r.Positions = append(r.Positions, p)
	}
	if r.Total.Amount.IsPositive() {
		for i := range r.Positions {
			if bv := r.Positions[i].BaseValue; bv != nil {
				w := bv.Amount.DivRound(r.Total.Amount, 4)
				r.Positions[i].Weight = &w
			}
		}
		r.Allocation = allocate(r.Positions, r.Total)
		r.Concentration = concentration(r.Positions, r.Allocation.Issuer, r.Total)
		r.History, r.ValueHistory = measureHistory(d, r, asOf, cfg, &notices)
	} else if slices.ContainsFunc(r.Positions, func(p PortfolioPosition) bool { return p.BaseValue != nil }) {
		notices.add(NoticeNotPositive, "", nil, "")
	}
	r.Notices = notices.list()
	r.Stale = slices.ContainsFunc(r.Notices, func(n Notice) bool { return n.Code == NoticeStalePrice || n.Code == NoticeStaleFX })
	return r
}

// allocate sums the base values by asset class, sector, currency and
// issuer, largest first (then by key).
func allocate(positions []PortfolioPosition, total ecrm.Money) PortfolioAllocation {
	group := func(key func(PortfolioPosition) string) []AllocationLine {
		lines := []AllocationLine{}
		for _, p := range positions {
			if p.BaseValue == nil {
				continue
			}
			k := key(p)
			i := slices.IndexFunc(lines, func(l AllocationLine) bool { return l.Key == k })
			if i < 0 {
				lines = append(lines, AllocationLine{Key: k, Value: ecrm.Money{Amount: decimal.Zero, Currency: total.Currency}})
				i = len(lines) - 1
			}
			lines[i].Value.Amount = lines[i].Value.Amount.Add(p.BaseValue.Amount)
		}
		for i := range lines {
			s := lines[i].Value.Amount.DivRound(total.Amount, 4)
			lines[i].Share = &s
		}
		slices.SortFunc(lines, func(a, b AllocationLine) int {
			return cmp.Or(b.Value.Amount.Cmp(a.Value.Amount), strings.Compare(a.Key, b.Key))
		})
		return lines
	}
	return PortfolioAllocation{
		AssetClass: group(func(p PortfolioPosition) string { return p.AssetClass }),
		Sector:     group(func(p PortfolioPosition) string { return p.Sector }),
		Currency:   group(func(p PortfolioPosition) string { return p.Currency }),
		Issuer:     group(func(p PortfolioPosition) string { return p.Issuer }),
	}
}

// concentration: HHI = Σ vᵢ² / T², computed from the exact base values
// and divided once, so it does not carry the weights' rounding.
func concentration(positions []PortfolioPosition, issuers []AllocationLine, total ecrm.Money) *Concentration {
	c := &Concentration{}
	squares := decimal.Zero
	var largest decimal.Decimal
	for _, p := range positions {
		if p.BaseValue == nil {
			continue
		}
		squares = squares.Add(p.BaseValue.Amount.Mul(p.BaseValue.Amount))
		if c.LargestPosition == "" || p.BaseValue.Amount.Abs().GreaterThan(largest) {
			largest, c.LargestPosition, c.LargestPositionWeight = p.BaseValue.Amount.Abs(), p.Symbol, *p.Weight
		}
	}
	t2 := total.Amount.Mul(total.Amount)
	c.HHI = squares.DivRound(t2, 4)
	if squares.IsPositive() {
		c.EffectivePositions = t2.DivRound(squares, 2)
	}
	if len(issuers) > 0 {
		c.LargestIssuer, c.LargestIssuerWeight = issuers[0].Key, *issuers[0].Share
	}
	return c
}

// measureHistory computes the history's figures over the positions that
// have a base value and enough prices: their closes, converted into the
// base currency day by day, on the days any of them has a close from the
// day all of them have one, each carried forward over days it has none.
func measureHistory(d *portfolioData, r *PortfolioRisk, asOf epochDay, cfg PortfolioConfig, notices *noticeSet) (*PortfolioHistory, []ValuePoint) {
	type member struct {
		pos    *PortfolioPosition
		series *priceSeries
		path   fxPath
		value  float64
	}
	var members []member
	start := epochDay(math.MinInt32)
	for i := range r.Positions {
		p := &r.Positions[i]
		if p.BaseValue == nil {
			continue
		}
		s := d.series[p.InstrumentID]
		if s == nil || len(s.days) < max(cfg.MinHistoryDays, 3) {
			p.Reason = notices.add(NoticeShortHistory, p.Symbol, nil, "")
			continue
		}
		m := member{pos: p, series: s}
		if p.Currency != r.BaseCurrency {
			m.path, _ = d.fx.path(p.Currency, r.BaseCurrency, asOf)
		}
		m.value, _ = p.BaseValue.Amount.Float64()
		members = append(members, m)
		start = max(start, s.days[0])
	}
	if len(members) == 0 {
		if slices.ContainsFunc(r.Positions, func(p PortfolioPosition) bool { return p.BaseValue != nil }) {
			notices.add(NoticeNoHistory, "", nil, "")
		}
		return nil, nil
	}
	// The days any member has a close on, from start: marked on a
	// calendar of the window rather than sorted (50 × 780 days).
	end := start
	for _, m := range members {
		end = max(end, m.series.days[len(m.series.days)-1])
	}
	marked := make([]bool, end-start+1)
	for _, m := range members {
		for _, x := range m.series.days {
			if x >= start {
				marked[x-start] = true
			}
		}
	}
	var days []epochDay
	for i, on := range marked {
		if on {
			days = append(days, start+epochDay(i))
		}
	}
	if len(days) < 3 {
		notices.add(NoticeNoHistory, "", nil, "")
		return nil, nil
	}
	// Each member's closes in the base currency on every day, the rates
	// of each currency worked out once.
	rates := map[string][]float64{}
	values := make([]float64, len(members))
	series := make([][]float64, len(members))
	for i, m := range members {
		values[i] = m.value
		series[i] = alongside(m.series, days)
		if m.path != nil {
			fx, ok := rates[m.pos.Currency]
			if !ok {
				fx = d.fx.along(m.path, days)
				rates[m.pos.Currency] = fx
			}
			for t := range series[i] {
				series[i][t] *= fx[t]
			}
		}
	}
	h := &PortfolioHistory{From: days[0].date(), To: days[len(days)-1].date(), Days: len(days), ReturnDays: len(days) - 1, Positions: len(members),
		Value: ecrm.Money{Amount: decimal.Zero, Currency: r.BaseCurrency}}
	for _, m := range members {
		h.Value.Amount = h.Value.Amount.Add(m.pos.BaseValue.Amount)
	}
	total, _ := h.Value.Amount.Float64()
	money := func(x float64) ecrm.Money {
		return ecrm.Money{Amount: decimal.NewFromFloat(x), Currency: r.BaseCurrency}.Round()
	}
	fraction := func(x float64) decimal.Decimal { return decimal.NewFromFloat(x).Round(4) }
	// HistoricalPnL and the VaR functions reject only what cannot happen
	// here (prices are positive, the days the same, at least two P&L
	// figures), so their errors are not expected.
	pnl, err := HistoricalPnL(values, series)
	if err == nil {
		for _, method := range []string{"historical", "parametric"} {
			f := HistoricalVaR
			if method == "parametric" {
				f = ParametricVaR
			}
			for _, c := range varConfidences {
				for _, hd := range varHorizons {
					v, err := f(pnl, c, hd)
					if err != nil {
						continue
					}
					h.VaR = append(h.VaR, VaRFigure{Method: method, Confidence: decimal.NewFromFloat(c), HorizonDays: hd,
						Amount: money(v), Share: fraction(v / total)})
				}
			}
		}
	}
	for i, m := range members {
		p, err := HistoricalPnL(values[i:i+1], series[i:i+1])
		if err != nil {
			continue
		}
		m.pos.InHistory = true
		// Ten days is one day × √10 (HistoricalVaR's square-root-of-time
		// rule), so the P&L is sorted once per position.
		if v, err := HistoricalVaR(p, 0.99, 1); err == nil {
			one, ten := money(v), money(v*math.Sqrt(10))
			m.pos.VaR1Day99, m.pos.VaR10Day99 = &one, &ten
		}
	}
	// The value of today's positions on each day: each today's value
	// scaled by its close then over its close on the last day.
	last := len(days) - 1
	value := make([]float64, len(days))
	for i, s := range series {
		scale := values[i] / s[last]
		for t, x := range s {
			value[t] += x * scale
		}
	}
	h.Volatility = fraction(annualisedVolatility(value))
	dd, peak, trough := maxDrawdown(value)
	h.MaxDrawdown = &PortfolioDrawdown{Fraction: fraction(dd), Amount: money(value[peak] - value[trough]),
		PeakDate: days[peak].date(), TroughDate: days[trough].date()}
	points := make([]ValuePoint, len(days))
	running := value[0]
	for t, v := range value {
		running = max(running, v)
		points[t] = ValuePoint{Date: days[t].date(), Value: v, Drawdown: (running - v) / running}
	}
	h.Beta = measureBeta(d, r.BaseCurrency, asOf, days, value, notices)
	return h, points
}

// alongside is the series' close on each of days (carried forward from
// the last close before; days before its first close are not asked for).
func alongside(s *priceSeries, days []epochDay) []float64 {
	out := make([]float64, len(days))
	j := 0
	for t, x := range days {
		for j+1 < len(s.days) && s.days[j+1] <= x {
			j++
		}
		out[t] = s.closes[j]
	}
	return out
}

// measureBeta regresses the portfolio's daily returns on the benchmark's
// (in the base currency) over the days both have.
func measureBeta(d *portfolioData, base string, asOf epochDay, days []epochDay, value []float64, notices *noticeSet) *Beta {
	if d.benchmark == nil {
		notices.add(NoticeNoBenchmark, "", nil, "")
		return nil
	}
	b := *d.benchmark
	s := d.series[b.InstrumentID]
	var path fxPath
	if b.Currency != base {
		path, _ = d.fx.path(b.Currency, base, asOf)
	}
	if s == nil || len(s.days) < 3 || (b.Currency != base && path == nil) {
		notices.add(NoticeBenchmarkShort, b.Symbol, nil, "")
		return nil
	}
	first := slices.IndexFunc(days, func(x epochDay) bool { return x >= s.days[0] })
	if first < 0 || len(days)-first < 3 {
		notices.add(NoticeBenchmarkShort, b.Symbol, nil, "")
		return nil
	}
	bench := alongside(s, days[first:])
	if path != nil {
		for t, r := range d.fx.along(path, days[first:]) {
			bench[t] *= r
		}
	}
	rp, rb := returns(value[first:]), returns(bench)
	beta, ok := slope(rp, rb)
	if !ok {
		notices.add(NoticeBenchmarkShort, b.Symbol, nil, "")
		return nil
	}
	return &Beta{Value: decimal.NewFromFloat(beta).Round(4), Days: len(rp), Benchmark: b}
}

// returns are the simple daily returns of a series.
func returns(v []float64) []float64 {
	out := make([]float64, len(v)-1)
	for t := 1; t < len(v); t++ {
		out[t-1] = v[t]/v[t-1] - 1
	}
	return out
}

// slope is the least-squares slope of y on x, cov(x, y) / var(x); false
// when x does not vary.
func slope(y, x []float64) (float64, bool) {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx, my = mx/n, my/n
	var sxy, sxx float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
	}
	if !(sxx > 0) {
		return 0, false
	}
	return sxy / sxx, true
}

// annualisedVolatility is the sample standard deviation of the daily log
// returns × √252.
func annualisedVolatility(v []float64) float64 {
	if len(v) < 3 {
		return 0
	}
	r := make([]float64, len(v)-1)
	var mean float64
	for t := 1; t < len(v); t++ {
		r[t-1] = math.Log(v[t] / v[t-1])
		mean += r[t-1]
	}
	mean /= float64(len(r))
	var ss float64
	for _, x := range r {
		ss += (x - mean) * (x - mean)
	}
	return math.Sqrt(ss/float64(len(r)-1)) * math.Sqrt(tradingDays)
}

// maxDrawdown is the largest (peak − v) / peak over the series, with the
// indexes of that peak and trough (0, 0 for a series that never falls).
func maxDrawdown(v []float64) (dd float64, peak, trough int) {
	top := 0
	for t := range v {
		if v[t] > v[top] {
			top = t
		}
		if d := (v[top] - v[t]) / v[top]; d > dd {
			dd, peak, trough = d, top, t
		}
	}
	return dd, peak, trough
}

// noticeSet gathers notices by code, each naming every instrument it
// concerns once, in the reader's language.
type noticeSet struct {
	l      *i18n.Localizer
	maxAge int
	base   string
	order  []string
	byCode map[string]*noticeEntry
}

// noticeEntry: the instruments concerned, how the message names them (with
// a price's date), and the currencies concerned.
type noticeEntry struct {
	symbols, labels, currencies []string
}

var noticeFields = map[string]string{
	NoticeNoPrice: "price", NoticeNoFX: "fx_rate", NoticeStalePrice: "price_date", NoticeStaleFX: "fx_rate",
	NoticeShortHistory: "price_history", NoticeNoHistory: "price_history", NoticeNoBenchmark: "benchmark",
	NoticeBenchmarkShort: "benchmark",
}

// add records a notice about symbol — with the date of its price, or the
// currency without a rate — and returns the position's own reason.
func (n *noticeSet) add(code, symbol string, date *time.Time, currency string) *Notice {
	if n.byCode == nil {
		n.byCode = map[string]*noticeEntry{}
	}
	e := n.byCode[code]
	if e == nil {
		e = &noticeEntry{}
		n.byCode[code] = e
		n.order = append(n.order, code)
	}
	var one noticeEntry
	if symbol != "" {
		label := symbol
		if date != nil {
			label = n.l.T("portfolio.notice.symbol_date", symbol, n.l.Date(*date))
		}
		e.symbols, e.labels = append(e.symbols, symbol), append(e.labels, label)
		one.symbols, one.labels = []string{symbol}, []string{label}
	}
	if currency != "" {
		if !slices.Contains(e.currencies, currency) {
			e.currencies = append(e.currencies, currency)
		}
		one.currencies = []string{currency}
	}
	reason := n.notice(code, &one)
	return &reason
}

func (n *noticeSet) notice(code string, e *noticeEntry) Notice {
	labels := strings.Join(e.labels, ", ")
	var msg string
	switch code {
	case NoticeNoPrice, NoticeShortHistory, NoticeBenchmarkShort:
		msg = n.l.T("portfolio.notice."+code, labels)
	case NoticeNoFX:
		msg = n.l.T("portfolio.notice."+code, strings.Join(e.currencies, ", "), n.base, labels)
	case NoticeStalePrice, NoticeStaleFX:
		msg = n.l.T("portfolio.notice."+code, n.maxAge, labels)
	case NoticeNoBenchmark:
		msg = n.l.T("portfolio.notice."+code, n.base)
	default:
		msg = n.l.T("portfolio.notice." + code)
	}
	return Notice{Code: code, Field: noticeFields[code], Symbols: e.symbols, Message: msg}
}

func (n *noticeSet) list() []Notice {
	out := make([]Notice, 0, len(n.order))
	for _, code := range n.order {
		out = append(out, n.notice(code, n.byCode[code]))
	}
	return out
}
