package risk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/products"
)

// Querier is a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// firmCurrency is the reporting currency of a client who states none.
const firmCurrency = "RON"

// LoadBehaviour reads the client's holdings, trades, prices and rates and
// measures their risk behaviour as of a day (see MeasureBehaviour).
//
// A holding's history is its trades (buys add, sells take away, at the
// close of the day traded, in UTC); a position without trades — one taken
// over from elsewhere — is held whole from the day it was opened. Values
// are converted to the client's base currency (else income currency, else
// RON) at the latest rate on or before each day in fx_rates, directly,
// inverted or through EUR; a currency with no rate at all is converted at
// the firm's reference rate and listed as such. Volatility is the latest
// realised volatility on file (instrument_volatilities), else the
// instrument's own. The stated class is that of the assessment in force as
// the gate reads it (at most products.AssessmentMaxAgeMonths old).
func LoadBehaviour(ctx context.Context, q Querier, clientID int64, asOf time.Time) (Behaviour, error) {
	in, err := loadBehaviourInput(ctx, q, clientID, asOf)
	if err != nil {
		return Behaviour{}, err
	}
	return MeasureBehaviour(in), nil
}

// loadBehaviourInput reads what MeasureBehaviour measures (the targeted
// programmes value today's allocation from the same input).
func loadBehaviourInput(ctx context.Context, q Querier, clientID int64, asOf time.Time) (BehaviourInput, error) {
	asOf = dateOnly(asOf)
	end := asOf.AddDate(0, 0, 1) // trades up to the end of the day
	// Prices and rates from a month before the window, so that the first
	// day of the window has a close to start from.
	since := asOf.AddDate(0, -drawdownMonths-1, 0)
	in := BehaviourInput{ClientID: clientID, AsOf: asOf, Instruments: map[int64]BehaviourInstrument{}, Prices: map[int64][]PricePoint{}}
	var stated *int16
	err := q.QueryRow(ctx, `
SELECT coalesce(c.base_currency, c.income_currency, $3),
       (SELECT a.risk_class FROM risk_assessments a
        WHERE a.client_id = c.id AND a.assessed_at < $2 AND a.assessed_at >= $2::timestamptz - make_interval(months => $4)
        ORDER BY a.assessed_at DESC, a.id DESC LIMIT 1)
FROM clients c WHERE c.id = $1`, clientID, end, firmCurrency, products.AssessmentMaxAgeMonths).Scan(&in.Currency, &stated)
	if errors.Is(err, pgx.ErrNoRows) {
		return BehaviourInput{}, ErrNoSuchClient
	}
	if err != nil {
		return BehaviourInput{}, fmt.Errorf("behaviour of client %d: %w", clientID, err)
	}
	if stated != nil {
		s := int(*stated)
		in.StatedClass = &s
	}

	type key struct{ account, instrument int64 }
	changes := map[key][]QuantityChange{}
	rows, err := q.Query(ctx, `SELECT account_id, instrument_id, side, quantity, price, traded_at FROM trades
		WHERE client_id = $1 AND traded_at < $2 ORDER BY traded_at, id`, clientID, end)
	if err != nil {
		return BehaviourInput{}, fmt.Errorf("behaviour of client %d: trades: %w", clientID, err)
	}
	for rows.Next() {
		var k key
		var side string
		var t BehaviourTrade
		if err := rows.Scan(&k.account, &k.instrument, &side, &t.Quantity, &t.Price, &t.TradedOn); err != nil {
			rows.Close()
			return BehaviourInput{}, err
		}
		t.Instrument, t.TradedOn = k.instrument, dateOnly(t.TradedOn)
		delta := t.Quantity
		if side == "sell" {
			delta = delta.Neg()
		}
		changes[k] = append(changes[k], QuantityChange{On: t.TradedOn, Delta: delta})
		in.Trades = append(in.Trades, t)
	}
	if err := rows.Err(); err != nil {
		return BehaviourInput{}, fmt.Errorf("behaviour of client %d: trades: %w", clientID, err)
	}
	rows, err = q.Query(ctx, `SELECT account_id, instrument_id, quantity, opened_on FROM positions WHERE client_id = $1 AND opened_on <= $2`, clientID, asOf)
	if err != nil {
		return BehaviourInput{}, fmt.Errorf("behaviour of client %d: positions: %w", clientID, err)
	}
	for rows.Next() {
		var k key
		var c QuantityChange
		if err := rows.Scan(&k.account, &k.instrument, &c.Delta, &c.On); err != nil {
			rows.Close()
			return BehaviourInput{}, err
		}
		if _, traded := changes[k]; !traded {
			changes[k] = []QuantityChange{c}
		}
	}
	if err := rows.Err(); err != nil {
		return BehaviourInput{}, fmt.Errorf("behaviour of client %d: positions: %w", clientID, err)
	}
	keys := make([]key, 0, len(changes))
	for k := range changes {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.account != b.account {
			return int(a.account - b.account)
		}
		return int(a.instrument - b.instrument)
	})
	var ids []int64
	for _, k := range keys {
		in.Holdings = append(in.Holdings, Holding{Instrument: k.instrument, Changes: changes[k]})
		if !slices.Contains(ids, k.instrument) {
			ids = append(ids, k.instrument)
		}
	}

	currencies := []string{in.Currency, "EUR"}
	rows, err = q.Query(ctx, `
SELECT i.id, i.symbol, i.kind, i.currency, i.risk_class,
       coalesce((SELECT v.volatility FROM instrument_volatilities v
                 WHERE v.instrument_id = i.id AND v.kind = 'realised' AND v.as_of <= $2
                 ORDER BY v.as_of DESC LIMIT 1), i.annual_volatility, 0),
       coalesce(i.contract_multiplier, 1)
FROM instruments i WHERE i.id = ANY($1)`, ids, asOf)
	if err != nil {
		return BehaviourInput{}, fmt.Errorf("behaviour of client %d: instruments: %w", clientID, err)
	}
	for rows.Next() {
		var id int64
		var in2 BehaviourInstrument
		var class int16
		var mult int32
		if err := rows.Scan(&id, &in2.Symbol, &in2.Kind, &in2.Currency, &class, &in2.Volatility, &mult); err != nil {
			rows.Close()
			return BehaviourInput{}, err
		}
		in2.RiskClass, in2.Multiplier = int(class), int64(mult)
		in.Instruments[id] = in2
		if !slices.Contains(currencies, in2.Currency) {
			currencies = append(currencies, in2.Currency)
		}
	}
	if err := rows.Err(); err != nil {
		return BehaviourInput{}, fmt.Errorf("behaviour of client %d: instruments: %w", clientID, err)
	}
	rows, err = q.Query(ctx, `SELECT instrument_id, price_date, close FROM instrument_prices
		WHERE instrument_id = ANY($1) AND price_date <= $2 AND price_date >= $3 ORDER BY instrument_id, price_date`, ids, asOf, since)
	if err != nil {
		return BehaviourInput{}, fmt.Errorf("behaviour of client %d: prices: %w", clientID, err)
	}
	for rows.Next() {
		var id int64
		var p PricePoint
		if err := rows.Scan(&id, &p.On, &p.Close); err != nil {
			rows.Close()
			return BehaviourInput{}, err
		}
		p.On = dateOnly(p.On)
		in.Prices[id] = append(in.Prices[id], p)
	}
	if err := rows.Err(); err != nil {
		return BehaviourInput{}, fmt.Errorf("behaviour of client %d: prices: %w", clientID, err)
	}
	fx := fxSeries{}
	rows, err = q.Query(ctx, `SELECT base_currency, quote_currency, rate_date, rate FROM fx_rates
		WHERE base_currency = ANY($1) AND quote_currency = ANY($1) AND rate_date <= $2 AND rate_date >= $3
		ORDER BY rate_date`, currencies, asOf, since)
	if err != nil {
		return BehaviourInput{}, fmt.Errorf("behaviour of client %d: rates: %w", clientID, err)
	}
	for rows.Next() {
		var base, quote string
		var p PricePoint
		if err := rows.Scan(&base, &quote, &p.On, &p.Close); err != nil {
			rows.Close()
			return BehaviourInput{}, err
		}
		p.On = dateOnly(p.On)
		fx[[2]string{base, quote}] = append(fx[[2]string{base, quote}], p)
	}
	if err := rows.Err(); err != nil {
		return BehaviourInput{}, fmt.Errorf("behaviour of client %d: rates: %w", clientID, err)
	}
	in.Rate = func(ccy string, on time.Time) (decimal.Decimal, bool) { return fx.convert(ccy, in.Currency, on) }
	return in, nil
}

// fxSeries holds rate series by (base, quote): one base is rate quote.
type fxSeries map[[2]string][]PricePoint

// direct is the rate from one currency to another on a day, read from the
// pair or its inverse.
func (t fxSeries) direct(from, to string, on time.Time) (decimal.Decimal, bool) {
	if from == to {
		return decimal.NewFromInt(1), true
	}
	if r, ok := closeOn(t[[2]string{from, to}], on); ok {
		return r, true
	}
	if r, ok := closeOn(t[[2]string{to, from}], on); ok {
		return decimal.NewFromInt(1).Div(r), true
	}
	return decimal.Decimal{}, false
}

// convert is the rate from one currency to another: direct, through EUR,
// or at the reference rates (ref true).
func (t fxSeries) convert(from, to string, on time.Time) (rate decimal.Decimal, ref bool) {
	if r, ok := t.direct(from, to, on); ok {
		return r, false
	}
	if a, ok := t.direct(from, "EUR", on); ok {
		if b, ok := t.direct("EUR", to, on); ok {
			return a.Mul(b), false
		}
	}
	a, ok1 := products.ReferenceEURRate(from)
	b, ok2 := products.ReferenceEURRate(to)
	if !ok1 || !ok2 || b.IsZero() {
		return decimal.Zero, true
	}
	return a.Div(b), true
}

// closeOn is the latest close on or before day.
func closeOn(prices []PricePoint, day time.Time) (decimal.Decimal, bool) {
	i := sort.Search(len(prices), func(i int) bool { return prices[i].On.After(day) })
	if i == 0 {
		return decimal.Decimal{}, false
	}
	return prices[i-1].Close, true
}
