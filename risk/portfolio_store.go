package risk

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// The portfolio's figures are read in one round trip: five queries sent as
// one batch. Every query is scoped to the client — and, for an advisor,
// to a client in the advisor's book — in SQL ($1 the client, $2 the
// advisor or NULL), so a caller who may not read the client gets no row.

// qPortfolioClient is the client in scope and their currencies.
const qPortfolioClient = `
SELECT c.base_currency::text, c.income_currency::text
FROM clients c
WHERE c.id = $1 AND ($2::bigint IS NULL OR c.advisor_id = $2)`

// qPortfolioPositions reads each position with its instrument and the
// latest close on or before the day ($3) through instrument_prices'
// primary key. An option takes its sector and issuer from its underlying
// (that is what it is exposed to); a share's issuer is the company, its
// instrument's name.
const qPortfolioPositions = `
SELECT po.id, i.id, i.symbol, i.name, i.kind, i.currency::text,
       coalesce(i.sector, u.sector, ''), coalesce(i.issuer, u.issuer, u.name, i.name),
       po.quantity, po.average_cost, coalesce(i.contract_multiplier, 1), i.price_quotation, i.face_value,
       px.close, px.price_date
FROM positions po
JOIN clients c ON c.id = po.client_id
JOIN instruments i ON i.id = po.instrument_id
LEFT JOIN instruments u ON u.id = i.underlying_id
LEFT JOIN LATERAL (
    SELECT p.close, p.price_date
    FROM instrument_prices p
    WHERE p.instrument_id = i.id AND p.price_date <= $3
    ORDER BY p.price_date DESC
    LIMIT 1
) px ON true
WHERE po.client_id = $1 AND ($2::bigint IS NULL OR c.advisor_id = $2)
ORDER BY i.symbol, po.id`

// baseCurrencySQL is the client's base currency ($4 the firm's default).
const baseCurrencySQL = `coalesce(c.base_currency::text, c.income_currency::text, $4::text)`

// qPortfolioBenchmark is the benchmark index of the client's base
// currency; its prices come with qPortfolioHistory.
const qPortfolioBenchmark = `
SELECT i.id, i.symbol, i.name, i.currency::text
FROM clients c
JOIN benchmarks b ON b.currency::text = coalesce(c.base_currency::text, c.income_currency::text, $3::text)
JOIN instruments i ON i.id = b.instrument_id
WHERE c.id = $1 AND ($2::bigint IS NULL OR c.advisor_id = $2)`

// qPortfolioHistory reads the daily closes from $5 to $3 of the held
// instruments and the benchmark, one row per instrument with its days and
// closes as arrays: about 40,000 closes for 50 positions over three years
// travel as 50 rows. Each instrument's range is one backward scan of the
// primary key (instrument_id, price_date), newest first, which array_agg
// keeps (newPriceSeries puts them oldest first). The LIMIT ($6, the days
// in the window: at most one close a day) keeps that plan when the
// statement is prepared and PostgreSQL plans it once for any values — a
// plain date range was then planned as a bitmap scan and a sort per
// instrument, three times slower. Days travel as integers and closes as
// integers of millionths (numeric(18,6) × 10⁶, exact): PostgreSQL turns
// a numeric into float8 through its text form, several times slower, and
// the model's float64 is made in Go. Exact prices come from
// qPortfolioPositions.
const qPortfolioHistory = `
SELECT h.id, x.days, x.closes
FROM (
    SELECT po.instrument_id AS id
    FROM positions po JOIN clients c ON c.id = po.client_id
    WHERE po.client_id = $1 AND ($2::bigint IS NULL OR c.advisor_id = $2)
    UNION
    SELECT b.instrument_id
    FROM clients c JOIN benchmarks b ON b.currency::text = ` + baseCurrencySQL + `
    WHERE c.id = $1 AND ($2::bigint IS NULL OR c.advisor_id = $2)
) h
CROSS JOIN LATERAL (
    SELECT array_agg(s.d) AS days, array_agg(s.c) AS closes
    FROM (
        SELECT p.price_date - DATE '1970-01-01' AS d, (p.close * 1000000)::int8 AS c
        FROM instrument_prices p
        WHERE p.instrument_id = h.id AND p.price_date <= $3 AND p.price_date >= $5
        ORDER BY p.price_date DESC
        LIMIT $6
    ) s
) x
WHERE x.days IS NOT NULL`

// qPortfolioFX reads the exchange rates up to the day of every pair that
// touches a currency the client holds, the base currency or the
// benchmark's: every leg of a conversion, direct or across a common
// currency, starts or ends in one of them. The whole table is small
// (a few pairs, one row a day each) and read in one pass.
const qPortfolioFX = `
WITH currencies AS (
    SELECT i.currency::text AS code
    FROM positions po JOIN clients c ON c.id = po.client_id JOIN instruments i ON i.id = po.instrument_id
    WHERE po.client_id = $1 AND ($2::bigint IS NULL OR c.advisor_id = $2)
    UNION
    SELECT ` + baseCurrencySQL + ` FROM clients c WHERE c.id = $1 AND ($2::bigint IS NULL OR c.advisor_id = $2)
    UNION
    SELECT i.currency::text
    FROM clients c JOIN benchmarks b ON b.currency::text = ` + baseCurrencySQL + ` JOIN instruments i ON i.id = b.instrument_id
    WHERE c.id = $1 AND ($2::bigint IS NULL OR c.advisor_id = $2)
)
SELECT f.base_currency::text, f.quote_currency::text, f.rate_date - DATE '1970-01-01', f.rate, f.source
FROM fx_rates f
WHERE f.rate_date <= $3
  AND (f.base_currency::text IN (SELECT code FROM currencies) OR f.quote_currency::text IN (SELECT code FROM currencies))
ORDER BY f.base_currency, f.quote_currency, f.rate_date`

// Batcher sends a batch of queries: a pool, a connection or a
// transaction.
type Batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// MeasurePortfolio values the portfolio of the client in scope on asOf
// (a date, in the firm's zone) and measures its risk; notices are in the
// language of ctx's localizer. A client out of scope is not found.
func MeasurePortfolio(ctx context.Context, q Batcher, scope PortfolioScope, asOf time.Time, cfg PortfolioConfig) (*PortfolioRisk, error) {
	d, err := readPortfolio(ctx, q, scope, asOf, cfg)
	if err != nil {
		return nil, err
	}
	return measure(d, dayOf(asOf), cfg, i18n.FromContext(ctx)), nil
}

var errPortfolioClient = ecrm.Errorf(ecrm.ENOTFOUND, "Client not found.")

func readPortfolio(ctx context.Context, q Batcher, scope PortfolioScope, asOf time.Time, cfg PortfolioConfig) (*portfolioData, error) {
	years := cfg.HistoryYears
	if years <= 0 {
		years = 3
	}
	y, m, dd := asOf.Date()
	today := time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
	from := today.AddDate(-years, 0, 0)
	d := &portfolioData{clientID: scope.ClientID, series: map[int64]*priceSeries{}, fx: fxBook{}}
	found := false
	b := &pgx.Batch{}
	b.Queue(qPortfolioClient, scope.ClientID, scope.AdvisorID).QueryRow(func(row pgx.Row) error {
		var own, income *string
		if err := row.Scan(&own, &income); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			return err
		}
		found = true
		switch {
		case own != nil:
			d.base, d.baseSource = *own, "client"
		case income != nil:
			d.base, d.baseSource = *income, "income"
		default:
			d.base, d.baseSource = cfg.DefaultBaseCurrency, "firm"
		}
		return nil
	})
	b.Queue(qPortfolioPositions, scope.ClientID, scope.AdvisorID, today).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var h heldPosition
			var quotation string
			var face, price decimal.NullDecimal
			var priceDate *time.Time
			if err := rows.Scan(&h.id, &h.instrumentID, &h.symbol, &h.name, &h.kind, &h.currency, &h.sector, &h.issuer,
				&h.quantity, &h.averageCost, &h.quote.Multiplier, &quotation, &face, &price, &priceDate); err != nil {
				return err
			}
			h.quote.Quotation, h.quote.FaceValue = Quotation(quotation), face.Decimal
			if price.Valid && priceDate != nil {
				h.price, h.priceDay = &price.Decimal, dayOf(*priceDate)
			}
			d.positions = append(d.positions, h)
		}
		return rows.Err()
	})
	b.Queue(qPortfolioBenchmark, scope.ClientID, scope.AdvisorID, cfg.DefaultBaseCurrency).QueryRow(func(row pgx.Row) error {
		var bm Benchmark
		if err := row.Scan(&bm.InstrumentID, &bm.Symbol, &bm.Name, &bm.Currency); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			return err
		}
		d.benchmark = &bm
		return nil
	})
	windowDays := int(today.Sub(from).Hours()/24) + 1
	b.Queue(qPortfolioHistory, scope.ClientID, scope.AdvisorID, today, cfg.DefaultBaseCurrency, from, windowDays).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id int64
			var days []int32
			var micros []int64
			if err := rows.Scan(&id, &days, &micros); err != nil {
				return err
			}
			d.series[id] = newPriceSeries(days, micros)
		}
		return rows.Err()
	})
	b.Queue(qPortfolioFX, scope.ClientID, scope.AdvisorID, today, cfg.DefaultBaseCurrency).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var p fxPair
			var r fxRate
			var x int32
			if err := rows.Scan(&p.base, &p.quote, &x, &r.rate, &r.source); err != nil {
				return err
			}
			r.day = day(x)
			r.f, _ = r.rate.Float64()
			d.fx[p] = append(d.fx[p], r)
		}
		return rows.Err()
	})
	if err := q.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	if !found {
		return nil, errPortfolioClient
	}
	return d, nil
}

// Portfolios measures clients' portfolios as of today in the firm's zone,
// for the portal, the API and the advisor's 360.
type Portfolios struct {
	pool *pgxpool.Pool
	cfg  PortfolioConfig
	loc  *time.Location
	now  func() time.Time
}

// NewPortfolios returns the service with the firm's configuration.
func NewPortfolios(pool *pgxpool.Pool, cfg PortfolioConfig) *Portfolios {
	return &Portfolios{pool: pool, cfg: cfg, loc: time.Local, now: time.Now}
}

// SetZone sets the firm's zone, in which "today" is taken.
func (p *Portfolios) SetZone(loc *time.Location) {
	if loc != nil {
		p.loc = loc
	}
}

// SetClock sets where "now" comes from (tests fix the day).
func (p *Portfolios) SetClock(now func() time.Time) {
	if now != nil {
		p.now = now
	}
}

// Config is the configuration the figures are computed with.
func (p *Portfolios) Config() PortfolioConfig { return p.cfg }

// Measure values and measures the portfolio of the client in scope today.
func (p *Portfolios) Measure(ctx context.Context, scope PortfolioScope) (*PortfolioRisk, error) {
	return MeasurePortfolio(ctx, p.pool, scope, p.now().In(p.loc), p.cfg)
}

// newPriceSeries makes a series, oldest first, from days and closes in
// millionths as qPortfolioHistory sends them (newest first), sorting them
// by day should they come in any other order.
func newPriceSeries(days []int32, micros []int64) *priceSeries {
	n := len(days)
	s := &priceSeries{days: make([]day, n), closes: make([]float64, n)}
	order := make([]int, n)
	for i := range order {
		order[i] = n - 1 - i
	}
	if !slices.IsSortedFunc(order, func(a, b int) int { return cmp.Compare(days[a], days[b]) }) {
		slices.SortFunc(order, func(a, b int) int { return cmp.Compare(days[a], days[b]) })
	}
	for i, j := range order {
		s.days[i], s.closes[i] = day(days[j]), float64(micros[j])/1e6
	}
	return s
}
