package risk

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// The market data the hedging engine reads: exchange rates, the figures
// per instrument that every holder's trigger needs (instrument_risk), and
// the holdings of a set of clients valued in each one's base currency.

// fxTable converts between currencies at the latest rate on or before a
// day: the pair as quoted, else its inverse, else across one third
// currency (USD → EUR → RON when only EUR/USD and EUR/RON are quoted).
// Rates are rounded to 10 decimals, as fx_rates stores them.
type fxTable struct {
	rates map[[2]string]decimal.Decimal
}

func loadFX(ctx context.Context, q DB, asOf time.Time) (fxTable, error) {
	rows, err := q.Query(ctx, `
SELECT DISTINCT ON (base_currency, quote_currency) base_currency, quote_currency, rate
FROM fx_rates WHERE rate_date <= $1
ORDER BY base_currency, quote_currency, rate_date DESC`, asOf)
	if err != nil {
		return fxTable{}, fmt.Errorf("exchange rates: %w", err)
	}
	t := fxTable{rates: map[[2]string]decimal.Decimal{}}
	var base, quote string
	var rate decimal.Decimal
	_, err = pgx.ForEachRow(rows, []any{&base, &quote, &rate}, func() error {
		t.rates[[2]string{base, quote}] = rate
		return nil
	})
	if err != nil {
		return fxTable{}, fmt.Errorf("exchange rates: %w", err)
	}
	return t, nil
}

// rate is the value of one unit of from in to.
func (t fxTable) rate(from, to string) (decimal.Decimal, bool) {
	if from == to {
		return decimal.NewFromInt(1), true
	}
	if r, ok := t.direct(from, to); ok {
		return r, true
	}
	for pair, r := range t.rates {
		var via string
		switch {
		case pair[0] == from:
			via = pair[1]
		case pair[1] == from:
			via, r = pair[0], decimal.NewFromInt(1).DivRound(r, 10)
		default:
			continue
		}
		if second, ok := t.direct(via, to); ok {
			return r.Mul(second).Round(10), true
		}
	}
	return decimal.Zero, false
}

func (t fxTable) direct(from, to string) (decimal.Decimal, bool) {
	if r, ok := t.rates[[2]string{from, to}]; ok {
		return r, true
	}
	if r, ok := t.rates[[2]string{to, from}]; ok && r.IsPositive() {
		return decimal.NewFromInt(1).DivRound(r, 10), true
	}
	return decimal.Zero, false
}

// currencies are those the rates quote, and also.
func (t fxTable) currencies(also ...string) []string {
	out := slices.Clone(also)
	for pair := range t.rates {
		for _, c := range pair {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// pairs lists every conversion between the currencies given, for SQL.
func (t fxTable) pairs(currencies []string) (from, to []string, rates []decimal.Decimal) {
	for _, a := range currencies {
		for _, b := range currencies {
			if r, ok := t.rate(a, b); ok {
				from, to, rates = append(from, a), append(to, b), append(rates, r)
			}
		}
	}
	return from, to, rates
}

// instrumentRisk is one row of instrument_risk.
type instrumentRisk struct {
	PriceDate time.Time
	// VaR10d99 is the ten-day 99 % historical VaR of one unit of value.
	VaR10d99           decimal.Decimal
	RealisedVolatility decimal.Decimal
}

// riskHistoryYears is how much price history the per-instrument figures
// use: three years, the window of the portfolio VaR.
const riskHistoryYears = 3

// refreshInstrumentRisk brings instrument_risk up to the latest close on or
// before asOf of each instrument given (all priced instruments when ids
// is nil), recomputing only those whose figures are behind their prices,
// and returns the figures of the instruments asked for.
func refreshInstrumentRisk(ctx context.Context, q DB, ids []int64, asOf time.Time, now time.Time) (map[int64]instrumentRisk, error) {
	rows, err := q.Query(ctx, `
SELECT i.id, l.price_date, r.price_date, coalesce(r.var_10d_99, 0), coalesce(r.realised_volatility, 0)
FROM instruments i
CROSS JOIN LATERAL (SELECT price_date FROM instrument_prices
                    WHERE instrument_id = i.id AND price_date <= $2 ORDER BY price_date DESC LIMIT 1) l
LEFT JOIN instrument_risk r ON r.instrument_id = i.id
WHERE $1::bigint[] IS NULL OR i.id = ANY ($1)`, ids, asOf)
	if err != nil {
		return nil, fmt.Errorf("instrument risk: %w", err)
	}
	out := map[int64]instrumentRisk{}
	var behind []int64
	latest := map[int64]time.Time{}
	var (
		id           int64
		last         time.Time
		computed     *time.Time
		vaR, realVol decimal.Decimal
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &last, &computed, &vaR, &realVol}, func() error {
		if computed != nil && computed.Equal(last) {
			out[id] = instrumentRisk{PriceDate: last, VaR10d99: vaR, RealisedVolatility: realVol}
		} else {
			behind = append(behind, id)
			latest[id] = last
		}
		return nil
	})
	if err != nil || len(behind) == 0 {
		return out, err
	}
	histories, err := loadCloses(ctx, q, behind, asOf)
	if err != nil {
		return nil, err
	}
	var (
		keep                []int64
		dates               []time.Time
		vars, vols          []decimal.Decimal
		observationsWritten []int32
	)
	for _, id := range behind {
		closes := histories[id]
		if len(closes) < 3 {
			continue // too short a history for a VaR: no figures, no trigger on VaR
		}
		r, n := unitRisk(closes)
		r.PriceDate = latest[id]
		out[id] = r
		keep, dates, vars, vols = append(keep, id), append(dates, r.PriceDate), append(vars, r.VaR10d99), append(vols, r.RealisedVolatility)
		observationsWritten = append(observationsWritten, int32(n))
	}
	if len(keep) == 0 {
		return out, nil
	}
	_, err = q.Exec(ctx, `
INSERT INTO instrument_risk (instrument_id, price_date, var_10d_99, realised_volatility, observations, computed_at)
SELECT *, $6::timestamptz FROM unnest($1::bigint[], $2::date[], $3::numeric[], $4::numeric[], $5::int[])
ON CONFLICT (instrument_id) DO UPDATE SET price_date = EXCLUDED.price_date, var_10d_99 = EXCLUDED.var_10d_99,
    realised_volatility = EXCLUDED.realised_volatility, observations = EXCLUDED.observations, computed_at = EXCLUDED.computed_at`,
		keep, dates, vars, vols, observationsWritten, now)
	if err != nil {
		return nil, fmt.Errorf("instrument risk: store: %w", err)
	}
	return out, nil
}

// loadCloses reads up to riskHistoryYears of daily closes of each
// instrument up to asOf, oldest first.
func loadCloses(ctx context.Context, q DB, ids []int64, asOf time.Time) (map[int64][]float64, error) {
	rows, err := q.Query(ctx, `
SELECT instrument_id, close::float8 FROM instrument_prices
WHERE instrument_id = ANY ($1) AND price_date <= $2 AND price_date > $2::date - make_interval(years => $3)
ORDER BY instrument_id, price_date`, ids, asOf, riskHistoryYears)
	if err != nil {
		return nil, fmt.Errorf("price history: %w", err)
	}
	out := map[int64][]float64{}
	var id int64
	var c float64
	_, err = pgx.ForEachRow(rows, []any{&id, &c}, func() error {
		out[id] = append(out[id], c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("price history: %w", err)
	}
	return out, nil
}

// unitRisk is the ten-day 99 % historical VaR of one unit of value held in
// an instrument with these closes (HistoricalVaR of the daily returns,
// √10 scaling, floored at zero: a history without losses bears no VaR
// here) and the realised volatility (sample σ of daily log returns × √252),
// both rounded to 8 decimals; and the number of daily returns used.
func unitRisk(closes []float64) (instrumentRisk, int) {
	pnl, err := HistoricalPnL([]float64{1}, [][]float64{closes})
	if err != nil {
		return instrumentRisk{}, 0
	}
	v, err := HistoricalVaR(pnl, TriggerVaRConfidence, TriggerVaRDays)
	if err != nil {
		return instrumentRisk{}, 0
	}
	var sum, ss float64
	logs := make([]float64, len(closes)-1)
	for i := 1; i < len(closes); i++ {
		logs[i-1] = math.Log(closes[i] / closes[i-1])
		sum += logs[i-1]
	}
	mean := sum / float64(len(logs))
	for _, x := range logs {
		ss += (x - mean) * (x - mean)
	}
	vol := math.Sqrt(ss/float64(len(logs)-1)) * math.Sqrt(252)
	return instrumentRisk{VaR10d99: decimal.NewFromFloat(max(v, 0)).Round(8), RealisedVolatility: decimal.NewFromFloat(vol).Round(8)}, len(pnl)
}
