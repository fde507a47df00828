package risk

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/big"
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
// they are stored, numeric: PostgreSQL turns a numeric into float8 through
// its text form, and even scaling it to an integer doubles the query's
// time; readHistoryRow makes the model's float64 from the wire bytes.
// Exact prices come from qPortfolioPositions.
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
        SELECT p.price_date - DATE '1970-01-01' AS d, p.close AS c
        FROM instrument_prices p
        WHERE p.instrument_id = h.id AND p.price_date <= $3 AND p.price_date >= $5
        ORDER BY p.price_date DESC
        LIMIT $6
    ) s
) x
WHERE x.days IS NOT NULL`

// qPortfolioFX reads the exchange rates of the history window ($5 less a
// month, to $3) of every pair that touches a currency the client holds,
// the base currency or the benchmark's: every leg of a conversion, direct
// or across a common currency, starts or ends in one of them. A pair
// quoted last more than three years ago has no rate to speak of and is
// not read. The rows come in no order (readPortfolio sorts each pair's by
// day): sorting them here by the currencies' collation cost more than the
// query.
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
WHERE f.rate_date <= $3 AND f.rate_date >= $5::date - 31
  AND (f.base_currency::text IN (SELECT code FROM currencies) OR f.quote_currency::text IN (SELECT code FROM currencies))`

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
			id, s, err := readHistoryRow(rows)
			if err != nil {
				return err
			}
			d.series[id] = s
		}
		return rows.Err()
	})
	b.Queue(qPortfolioFX, scope.ClientID, scope.AdvisorID, today, cfg.DefaultBaseCurrency, from).Query(func(rows pgx.Rows) error {
		names := map[string]string{}
		for rows.Next() {
			p, r, err := readFXRow(rows, names)
			if err != nil {
				return err
			}
			d.fx[p] = append(d.fx[p], r)
		}
		for _, rates := range d.fx {
			slices.SortFunc(rates, func(a, b fxRate) int { return cmp.Compare(a.day, b.day) })
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

// readHistoryRow reads one row of qPortfolioHistory. In the binary
// format pgx asks for, the arrays are read from the wire bytes directly:
// scanning 40,000 numerics through pgtype.Numeric makes a big.Int and a
// string for each. In any other format (a connection set to the simple
// protocol) pgx scans them.
func readHistoryRow(rows pgx.Rows) (int64, *priceSeries, error) {
	fields, raw := rows.FieldDescriptions(), rows.RawValues()
	if len(raw) == 3 && fields[0].Format == pgx.BinaryFormatCode && fields[1].Format == pgx.BinaryFormatCode &&
		fields[2].Format == pgx.BinaryFormatCode && len(raw[0]) == 8 {
		days, errD := binaryArray(raw[1], func(b []byte) (int32, bool) {
			return int32(binary.BigEndian.Uint32(b)), len(b) == 4
		})
		closes, errC := binaryArray(raw[2], numericFloat)
		if errD == nil && errC == nil && len(days) == len(closes) {
			return int64(binary.BigEndian.Uint64(raw[0])), newPriceSeries(days, closes), nil
		}
	}
	var id int64
	var days []int32
	var closes []float64
	if err := rows.Scan(&id, &days, &closes); err != nil {
		return 0, nil, err
	}
	return id, newPriceSeries(days, closes), nil
}

var errHistoryArray = errors.New("price history: unexpected array")

// binaryArray decodes a one-dimensional array without NULLs in
// PostgreSQL's binary format: dimensions, flags, element type, then for
// the dimension its size and lower bound, then each element's length and
// bytes.
func binaryArray[T any](b []byte, elem func([]byte) (T, bool)) ([]T, error) {
	if len(b) < 12 {
		return nil, errHistoryArray
	}
	ndim, nulls := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
	if ndim == 0 {
		return nil, nil
	}
	if ndim != 1 || nulls != 0 || len(b) < 20 {
		return nil, errHistoryArray
	}
	n := int(binary.BigEndian.Uint32(b[12:]))
	out := make([]T, 0, n)
	b = b[20:]
	for range n {
		if len(b) < 4 {
			return nil, errHistoryArray
		}
		size := int(int32(binary.BigEndian.Uint32(b)))
		if size < 0 || len(b) < 4+size {
			return nil, errHistoryArray
		}
		v, ok := elem(b[4 : 4+size])
		if !ok {
			return nil, errHistoryArray
		}
		out = append(out, v)
		b = b[4+size:]
	}
	return out, nil
}

// numericFloat is a numeric in binary format as float64: ndigits, weight,
// sign and scale (int16 each), then base-10000 digits, the first worth
// 10000^weight. A price of up to four such digits below 2⁵³ (up to 15
// significant digits: every price but the largest numeric(18,6) holds) is
// an integer float64 holds exactly times a power of ten, so the result is
// rounded once, as strconv would round the price's text; any other is
// refused, and readHistoryRow then scans the row through pgx.
func numericFloat(b []byte) (float64, bool) {
	if len(b) < 8 {
		return 0, false
	}
	ndigits := int(int16(binary.BigEndian.Uint16(b)))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	if ndigits < 0 || ndigits > 4 || len(b) != 8+2*ndigits || (sign != 0 && sign != 0x4000) {
		return 0, false
	}
	var m uint64
	for i := range ndigits {
		m = m*10000 + uint64(binary.BigEndian.Uint16(b[8+2*i:]))
	}
	if m >= 1<<53 {
		return 0, false
	}
	exp := 4 * (weight - ndigits + 1)
	f := float64(m)
	switch {
	case ndigits == 0:
		f = 0
	case exp > 0:
		f *= math.Pow10(exp)
	case exp < 0:
		// Dividing by an exact power of ten rounds once; multiplying by
		// its inverse would round twice.
		f /= math.Pow10(-exp)
	}
	if sign == 0x4000 {
		f = -f
	}
	return f, true
}

// readFXRow reads one row of qPortfolioFX. In the binary format the rate
// is read from the wire bytes as float64 for the history and kept as
// bytes, made an exact decimal only if a conversion uses it (a few of the
// thousand rows a page reads); currency codes and sources are the same
// few strings, interned in names. In any other format pgx scans the row.
func readFXRow(rows pgx.Rows, names map[string]string) (fxPair, fxRate, error) {
	fields, raw := rows.FieldDescriptions(), rows.RawValues()
	intern := func(b []byte) string {
		if s, ok := names[string(b)]; ok {
			return s
		}
		s := string(b)
		names[s] = s
		return s
	}
	// Text is the same bytes in either format; the day and the rate must
	// be binary.
	if len(raw) == 5 && len(raw[2]) == 4 && fields[2].Format == pgx.BinaryFormatCode && fields[3].Format == pgx.BinaryFormatCode {
		r := fxRate{day: epochDay(int32(binary.BigEndian.Uint32(raw[2]))), raw: slices.Clone(raw[3]), source: intern(raw[4])}
		f, ok := numericFloat(raw[3])
		if !ok {
			exact, err := numericDecimal(raw[3])
			if err != nil {
				return fxPair{}, fxRate{}, err
			}
			f = exact.InexactFloat64()
		}
		r.f = f
		return fxPair{intern(raw[0]), intern(raw[1])}, r, nil
	}
	var p fxPair
	var r fxRate
	var x int32
	if err := rows.Scan(&p.base, &p.quote, &x, &r.rate, &r.source); err != nil {
		return fxPair{}, fxRate{}, err
	}
	r.day = epochDay(x)
	r.f = r.rate.InexactFloat64()
	return p, r, nil
}

var errNumeric = errors.New("exchange rate: unexpected numeric")

// numericDecimal is a numeric in binary format (numericFloat) as an exact
// decimal: its base-10000 digits as one integer, times 10 to the power
// of four times the last digit's weight.
func numericDecimal(b []byte) (decimal.Decimal, error) {
	if len(b) < 8 {
		return decimal.Decimal{}, errNumeric
	}
	ndigits := int(int16(binary.BigEndian.Uint16(b)))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	if ndigits < 0 || len(b) != 8+2*ndigits || (sign != 0 && sign != 0x4000) {
		return decimal.Decimal{}, errNumeric
	}
	m := new(big.Int)
	group := big.NewInt(10000)
	for i := range ndigits {
		m.Mul(m, group)
		m.Add(m, big.NewInt(int64(binary.BigEndian.Uint16(b[8+2*i:]))))
	}
	if sign == 0x4000 {
		m.Neg(m)
	}
	if ndigits == 0 {
		return decimal.Zero, nil
	}
	return decimal.NewFromBigInt(m, int32(4*(weight-ndigits+1))), nil
}

// newPriceSeries makes a series, oldest first, from days and closes as
// qPortfolioHistory sends them (newest first), sorting them by day should
// they come in any other order.
func newPriceSeries(days []int32, closes []float64) *priceSeries {
	n := len(days)
	s := &priceSeries{days: make([]epochDay, n), closes: make([]float64, n)}
	order := make([]int, n)
	for i := range order {
		order[i] = n - 1 - i
	}
	if !slices.IsSortedFunc(order, func(a, b int) int { return cmp.Compare(days[a], days[b]) }) {
		slices.SortFunc(order, func(a, b int) int { return cmp.Compare(days[a], days[b]) })
	}
	for i, j := range order {
		s.days[i], s.closes[i] = epochDay(days[j]), closes[j]
	}
	return s
}
