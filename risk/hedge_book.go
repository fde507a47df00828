package risk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"
	"golang.org/x/sync/errgroup"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/products"
)

// HedgeDesk finds a client's large and risky holdings, puts the hedges it
// proposes for them through the offer gate, and turns an accepted one into
// an order request for the client's advisor.
type HedgeDesk struct {
	pool     *pgxpool.Pool
	gate     *compliance.Gate
	portal   *compliance.Portal
	deals    *pipeline.Store
	products *products.Store
	// Rules are the trigger and sizing rules in force.
	Rules HedgeRules
	// BaseCurrency is the firm's currency, the base of a client who has
	// none of their own nor an income currency.
	BaseCurrency string
	Now          func() time.Time

	productsMu      sync.Mutex
	productVersions map[int64]products.Product
}

// NewHedgeDesk wires the desk; gate, portal and deals may be nil for the
// trigger job, which only evaluates.
func NewHedgeDesk(pool *pgxpool.Pool, gate *compliance.Gate, portal *compliance.Portal, deals *pipeline.Store) *HedgeDesk {
	return &HedgeDesk{pool: pool, gate: gate, portal: portal, deals: deals, products: products.NewStore(pool),
		Rules: DefaultHedgeRules(), BaseCurrency: "RON", Now: time.Now, productVersions: map[int64]products.Product{}}
}

// The catalogue product of each strategy.
var strategyProducts = map[HedgeStrategy]string{
	StrategyProtectivePut: "HEDGE-PUT", StrategyCollar: "HEDGE-COLLAR", StrategyDiversify: "HEDGE-SELL",
}

// Strategies in the order a page lists them.
var Strategies = []HedgeStrategy{StrategyProtectivePut, StrategyCollar, StrategyDiversify}

// HedgeBook is a client's hedgeable holdings with everything their hedges
// are computed from.
type HedgeBook struct {
	Client HedgeClient
	// Holdings are the equities, ETFs and funds held, largest first.
	Holdings []BookHolding
	// Unpriced are holdings without a price or exchange rate: they are
	// left out of the portfolio's value (the page says so).
	Unpriced []string
	// Products are the catalogue's product of each strategy, in the
	// version on sale (a strategy without one is not offered).
	Products map[HedgeStrategy]products.Product
}

// BookHolding is one holding, the rules' verdict on it, and why a
// strategy cannot be offered for it when it cannot.
type BookHolding struct {
	Position HedgePosition
	Trigger  HedgeTrigger
	// Stale is set when the price is missing or too old to price a hedge.
	Stale error
}

// Input is the engine input of strategy with params for this holding.
func (b *HedgeBook) Input(h BookHolding, strategy HedgeStrategy, params HedgeParams, rules HedgeRules) HedgeInput {
	return HedgeInput{Version: HedgeVersion, Strategy: strategy, Rules: rules, Client: b.Client, Position: h.Position,
		Params: params, Trigger: h.Trigger}
}

// Holding finds the holding of an instrument.
func (b *HedgeBook) Holding(instrumentID int64) (BookHolding, bool) {
	i := slices.IndexFunc(b.Holdings, func(h BookHolding) bool { return h.Position.InstrumentID == instrumentID })
	if i < 0 {
		return BookHolding{}, false
	}
	return b.Holdings[i], true
}

// hedgeableKinds are the kinds the rules look at: single companies and
// funds of them. Bonds are held to maturity and options are hedges
// themselves.
var hedgeableKinds = []string{"equity", "etf", "fund"}

// Load reads the client's book as of the day of asOf.
func (d *HedgeDesk) Load(ctx context.Context, clientID int64, asOf time.Time) (*HedgeBook, error) {
	day := asOf.UTC().Truncate(24 * time.Hour)
	book := &HedgeBook{Client: HedgeClient{ClientID: clientID, AsOf: day.Format(time.DateOnly), BaseCurrency: d.BaseCurrency,
		PortfolioValue: decimal.Zero, OptionKnowledge: "none"}}
	// The reads that depend on nothing, side by side on the pool's
	// connections: a page waits for the slowest, not for their sum.
	var fx fxTable
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { fx, err = loadFX(gctx, d.pool, day); return err })
	g.Go(func() (err error) { book.Products, err = d.strategyProducts(gctx); return err })
	g.Go(func() error {
		err := d.pool.QueryRow(gctx, `
SELECT coalesce(r.horizon_months, 0), coalesce(r.knowledge ->> 'option', 'none')
FROM clients c LEFT JOIN LATERAL (
    SELECT horizon_months, knowledge FROM risk_assessments WHERE client_id = c.id ORDER BY assessed_at DESC, id DESC LIMIT 1) r ON true
WHERE c.id = $1`, clientID).Scan(&book.Client.HorizonMonths, &book.Client.OptionKnowledge)
		if errors.Is(err, pgx.ErrNoRows) {
			return ecrm.Errorf(ecrm.ENOTFOUND, "There is no such client.")
		}
		if err != nil {
			return fmt.Errorf("hedge book of client %d: %w", clientID, err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	held, err := valueHoldings(ctx, d.pool, fx, []int64{clientID}, day, d.BaseCurrency)
	if err != nil {
		return nil, err
	}
	var ids []int64
	if c, ok := held[clientID]; ok {
		book.Client.BaseCurrency, book.Client.PortfolioValue, book.Client.LossCapacity = c.base, c.total, c.capacity
		book.Unpriced = c.unpriced
		for _, v := range c.values {
			if slices.Contains(hedgeableKinds, v.kind) {
				ids = append(ids, v.instrumentID)
			}
		}
	}
	if len(ids) == 0 {
		return book, nil
	}
	var risks map[int64]instrumentRisk
	var market map[int64]HedgePosition
	g, gctx = errgroup.WithContext(ctx)
	g.Go(func() (err error) { risks, err = refreshInstrumentRisk(gctx, d.pool, ids, day, d.Now()); return err })
	g.Go(func() (err error) { market, err = loadHedgeMarket(gctx, d.pool, ids, day); return err })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	fees := map[HedgeStrategy]*decimal.Decimal{}
	for s, p := range book.Products {
		fee := p.Definition.UpfrontFeePercent
		fees[s] = &fee
	}
	c := held[clientID]
	for _, v := range c.values {
		m, ok := market[v.instrumentID]
		if !ok {
			continue
		}
		pos := m
		pos.Quantity = v.quantity
		pos.FXToBase = v.fx
		pos.OptionFeeRate, pos.SaleFeeRate = fees[StrategyProtectivePut], fees[StrategyDiversify]
		if pos.Volatility.IsZero() {
			pos.Volatility, pos.VolatilitySource = risks[v.instrumentID].RealisedVolatility, "realised_history"
		}
		pos.VaR10d99 = v.value.Mul(risks[v.instrumentID].VaR10d99).Round(2)
		h := BookHolding{Position: pos, Trigger: EvaluateTrigger(d.Rules, v.value, c.total, pos.VaR10d99, c.capacity)}
		in := HedgeInput{Rules: d.Rules, Client: book.Client, Position: pos}
		h.Stale = in.Stale()
		book.Holdings = append(book.Holdings, h)
	}
	slices.SortStableFunc(book.Holdings, func(a, b BookHolding) int { return b.Trigger.Weight.Cmp(a.Trigger.Weight) })
	return book, nil
}

// strategyProducts reads the product of each strategy on sale (its
// upfront fee is the fee on the premium or the proceeds); a strategy whose
// product is not on sale has none. A product version never changes, so
// the desk keeps the versions it has read and asks the database only which
// versions are current: one small query instead of three product reads
// with their definitions and rules.
func (d *HedgeDesk) strategyProducts(ctx context.Context) (map[HedgeStrategy]products.Product, error) {
	codes := make([]string, 0, len(strategyProducts))
	byCode := map[string]HedgeStrategy{}
	for s, code := range strategyProducts {
		codes, byCode[code] = append(codes, code), s
	}
	rows, err := d.pool.Query(ctx, `SELECT code, current_version_id FROM products WHERE code = ANY ($1) AND active`, codes)
	if err != nil {
		return nil, fmt.Errorf("hedging products: %w", err)
	}
	current := map[string]int64{}
	var code string
	var version int64
	if _, err := pgx.ForEachRow(rows, []any{&code, &version}, func() error { current[code] = version; return nil }); err != nil {
		return nil, fmt.Errorf("hedging products: %w", err)
	}
	out := map[HedgeStrategy]products.Product{}
	for code, version := range current {
		d.productsMu.Lock()
		p, ok := d.productVersions[version]
		d.productsMu.Unlock()
		if !ok {
			if p, err = d.products.ProductVersion(ctx, version); err != nil {
				return nil, err
			}
			d.productsMu.Lock()
			d.productVersions[version] = p
			d.productsMu.Unlock()
		}
		out[byCode[code]] = p
	}
	return out, nil
}

// loadHedgeMarket reads, per instrument, the latest close and the inputs
// of option pricing on or before day: the implied volatility where a
// source supplies one, else the latest realised figure recorded, else the
// instrument's reference volatility (zero here means none: the caller
// falls back to the realised volatility of the price history); the
// dividend yield (zero without one); the risk-free rate of the currency
// (zero without one); and the contract size of the listed options on it
// (100 without any).
func loadHedgeMarket(ctx context.Context, q DB, ids []int64, day time.Time) (map[int64]HedgePosition, error) {
	rows, err := q.Query(ctx, `
SELECT i.id, i.symbol, i.name, i.kind, i.currency, coalesce(px.close, 0), coalesce(to_char(px.price_date, 'YYYY-MM-DD'), ''),
       coalesce((SELECT max(o.contract_multiplier) FROM instruments o WHERE o.underlying_id = i.id AND o.kind = 'option'), 100),
       coalesce(iv.volatility, rv.volatility, i.annual_volatility, 0),
       CASE WHEN iv.volatility IS NOT NULL THEN 'implied' WHEN rv.volatility IS NOT NULL THEN 'realised'
            WHEN i.annual_volatility IS NOT NULL THEN 'reference' ELSE '' END,
       coalesce(dy.dividend_yield, 0), coalesce(rf.rate, 0)
FROM instruments i
LEFT JOIN LATERAL (SELECT close, price_date FROM instrument_prices WHERE instrument_id = i.id AND price_date <= $2
                   ORDER BY price_date DESC LIMIT 1) px ON true
LEFT JOIN LATERAL (SELECT volatility FROM instrument_volatilities WHERE instrument_id = i.id AND kind = 'implied' AND as_of <= $2
                   ORDER BY as_of DESC LIMIT 1) iv ON true
LEFT JOIN LATERAL (SELECT volatility FROM instrument_volatilities WHERE instrument_id = i.id AND kind = 'realised' AND as_of <= $2
                   ORDER BY as_of DESC LIMIT 1) rv ON true
LEFT JOIN LATERAL (SELECT dividend_yield FROM instrument_dividend_yields WHERE instrument_id = i.id AND as_of <= $2
                   ORDER BY as_of DESC LIMIT 1) dy ON true
LEFT JOIN LATERAL (SELECT rate FROM risk_free_rates WHERE currency = i.currency AND as_of <= $2
                   ORDER BY as_of DESC LIMIT 1) rf ON true
WHERE i.id = ANY ($1)`, ids, day)
	if err != nil {
		return nil, fmt.Errorf("hedge market data: %w", err)
	}
	out := map[int64]HedgePosition{}
	var p HedgePosition
	_, err = pgx.ForEachRow(rows, []any{&p.InstrumentID, &p.Symbol, &p.Name, &p.Kind, &p.Currency, &p.Spot, &p.PriceDate,
		&p.Multiplier, &p.Volatility, &p.VolatilitySource, &p.DividendYield, &p.Rate}, func() error {
		out[p.InstrumentID] = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hedge market data: %w", err)
	}
	return out, nil
}

// clientHoldings are one client's holdings valued in their base currency.
type clientHoldings struct {
	base     string
	total    decimal.Decimal
	capacity *decimal.Decimal
	values   []heldValue
	unpriced []string
}

type heldValue struct {
	instrumentID int64
	kind         string
	quantity     decimal.Decimal
	fx           decimal.Decimal
	// value in the base currency, exact.
	value     decimal.Decimal
	priceDate time.Time
}

// valueHoldings values every holding of the clients at the latest close
// on or before day, in each client's base currency (their
// own, else their income currency, else the firm's), with each client's
// loss capacity from their latest risk assessment in the same currency.
// A holding without a price, or in a currency without a rate to the base,
// is listed as unpriced and left out of the total. One statement for any
// number of clients: the trigger job values tens of thousands at once.
func valueHoldings(ctx context.Context, q DB, fx fxTable, clients []int64, day time.Time, firmBase string) (map[int64]*clientHoldings, error) {
	// Every conversion the rates allow; a holding in the base currency
	// itself needs none (the statement takes it at 1).
	from, to, rates := fx.pairs(fx.currencies(firmBase))
	rows, err := q.Query(ctx, `
WITH holders AS (
    SELECT unnest($1::bigint[]) AS client_id
), fx AS (
    SELECT * FROM unnest($3::text[], $4::text[], $5::numeric[]) AS f (from_ccy, to_ccy, rate)
), base AS (
    SELECT h.client_id, coalesce(c.base_currency, c.income_currency, $6)::text AS ccy
    FROM holders h JOIN clients c ON c.id = h.client_id
), cap AS (
    SELECT b.client_id, b.ccy,
           (SELECT r.loss_capacity * f.rate FROM risk_assessments r
            JOIN fx f ON f.from_ccy = r.loss_capacity_currency AND f.to_ccy = b.ccy
            WHERE r.client_id = b.client_id ORDER BY r.assessed_at DESC, r.id DESC LIMIT 1) AS capacity
    FROM base b
), px AS (
    SELECT i.id, i.kind, i.symbol, i.currency::text AS currency, l.close, l.price_date,
           -- What one quoted price buys, as ValuePosition's Quote: a bond
           -- quoted in percent of face, face / 100; an option contract,
           -- its multiplier.
           CASE WHEN i.price_quotation = 'percent_of_face' THEN i.face_value / 100
                ELSE coalesce(i.contract_multiplier, 1) END AS mult
    FROM instruments i
    LEFT JOIN LATERAL (SELECT close, price_date FROM instrument_prices WHERE instrument_id = i.id AND price_date <= $2
                       ORDER BY price_date DESC LIMIT 1) l ON true
)
SELECT b.client_id, b.ccy, b.capacity, p.instrument_id, px.kind, px.symbol, p.quantity, coalesce(f.rate, 0), px.close * px.mult, px.price_date
FROM cap b
JOIN positions p ON p.client_id = b.client_id
JOIN px ON px.id = p.instrument_id
LEFT JOIN fx f ON f.from_ccy = px.currency AND f.to_ccy = b.ccy
ORDER BY b.client_id, p.instrument_id`, clients, day, from, to, rates, firmBase)
	if err != nil {
		return nil, fmt.Errorf("value holdings: %w", err)
	}
	out := map[int64]*clientHoldings{}
	var (
		id, instrument  int64
		base, kind, sym string
		capacity        *decimal.Decimal
		quantity, rate  decimal.Decimal
		unitValue       *decimal.Decimal
		priceDate       *time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &base, &capacity, &instrument, &kind, &sym, &quantity, &rate, &unitValue, &priceDate}, func() error {
		c, ok := out[id]
		if !ok {
			c = &clientHoldings{base: base, total: decimal.Zero}
			if capacity != nil {
				capped := capacity.Round(2)
				c.capacity = &capped
			}
			out[id] = c
		}
		if unitValue == nil || priceDate == nil || rate.IsZero() {
			c.unpriced = append(c.unpriced, sym)
			return nil
		}
		v := heldValue{instrumentID: instrument, kind: kind, quantity: quantity, fx: rate,
			value: quantity.Mul(*unitValue).Mul(rate), priceDate: *priceDate}
		c.values = append(c.values, v)
		c.total = c.total.Add(v.value)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("value holdings: %w", err)
	}
	return out, nil
}
