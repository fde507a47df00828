package risk

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// Personalised information on entry (issue 15, item 5): the quotes of what
// a client holds and watches, with the day's change, and the news and
// analysts' reviews about them, most relevant first. Relevance (see
// docs/market-data.md) is an affinity, from the strongest tie between the
// item and the client, times a recency decay:
//
//	affinity  holds a tagged instrument       0.50 + 0.50 × its weight
//	          watches a tagged instrument     0.40
//	          holds in a tagged segment       0.25 + 0.25 × the segment's weight
//	          watches in a tagged segment     0.20
//	recency   2^(−age in days ÷ 7)            (halved every week)
//	score     affinity × recency
//
// A weight is the holding's share of the client's portfolio at its last
// close, in one currency (market.go's weights), so the news of a large
// position outranks that of a small one, and a week-old item about a
// holding still outranks today's item about its segment. The tie the score
// comes from is the reason the page gives ("you hold DNB").

// Relevance parameters; docs/market-data.md explains them.
const (
	relevanceHalfLife = 7 * 24 * time.Hour
	// relevanceWindow is how far back items are looked at: after 60
	// days an item keeps less than 0.3 % of its affinity.
	relevanceWindow = 60 * 24 * time.Hour
	// maxCandidates bounds the items scored per view, newest first.
	maxCandidates = 500
	// MaxNews and MaxReviews are how many of each the view keeps.
	MaxNews    = 20
	MaxReviews = 10
	// DefaultPriceMaxAge is how old a close may be before the quote is
	// marked stale (ECRM_PRICE_MAX_AGE): a Friday close is still fresh
	// on Tuesday, not on Wednesday.
	DefaultPriceMaxAge = 4 * 24 * time.Hour
)

// The ties between a client and an item, strongest first.
const (
	ReasonHoldsInstrument   = "holds_instrument"
	ReasonWatchesInstrument = "watches_instrument"
	ReasonHoldsSegment      = "holds_segment"
	ReasonWatchesSegment    = "watches_segment"
)

// MarketDate is a calendar date, written YYYY-MM-DD in JSON.
type MarketDate struct{ time.Time }

// MarshalJSON writes the date as "2006-01-02".
func (d MarketDate) MarshalJSON() ([]byte, error) {
	return []byte(`"` + d.Format(time.DateOnly) + `"`), nil
}

// MarketQuote is an instrument the client holds or watches, at its last close on
// or before the view's day.
type MarketQuote struct {
	Symbol   string `json:"symbol"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Currency string `json:"currency"`
	Segment  string `json:"segment"`
	Held     bool   `json:"held"`
	Watched  bool   `json:"watched"`
	// Weight is the holding's share of the portfolio, a fraction rounded
	// half away from zero to 4 places; 0 when not held or not valued.
	Weight decimal.Decimal `json:"weight"`
	// Close and Date are the last close; nil when there is none.
	Close *decimal.Decimal `json:"close"`
	Date  *MarketDate      `json:"date"`
	// PreviousClose is the close before it; Change is Close − PreviousClose
	// (exact) and ChangePercent that as a percentage of PreviousClose,
	// rounded half away from zero to 2 places. nil without two closes.
	PreviousClose *decimal.Decimal `json:"previous_close"`
	PreviousDate  *MarketDate      `json:"previous_date"`
	Change        *decimal.Decimal `json:"change"`
	ChangePercent *decimal.Decimal `json:"change_percent"`
	// Stale is true when the last close is older than the price's
	// maximum age (or missing): the figure is shown, marked as old.
	Stale bool `json:"stale"`

	instrumentID int64
	weight       float64
}

// Reason is why an item is shown: Code is one of the Reason constants,
// Subject the symbol or segment.
type Reason struct {
	Code    string `json:"code"`
	Subject string `json:"subject"`
}

// RankedItem is a news item or review with its relevance to the client.
type RankedItem struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	Source      string    `json:"source"`
	PublishedAt time.Time `json:"published_at"`
	Language    string    `json:"language"`
	Headline    string    `json:"headline"`
	Summary     string    `json:"summary"`
	URL         string    `json:"url,omitempty"`
	Segments    []string  `json:"segments"`
	Symbols     []string  `json:"instruments"`
	// Reviews: the analyst, buy, hold or sell, and the target price in
	// the currency of the one instrument reviewed.
	Analyst        string           `json:"analyst,omitempty"`
	Recommendation string           `json:"recommendation,omitempty"`
	TargetPrice    *decimal.Decimal `json:"target_price,omitempty"`
	TargetCurrency string           `json:"target_currency,omitempty"`
	// Score is the relevance, rounded to 4 places.
	Score  decimal.Decimal `json:"score"`
	Reason Reason          `json:"reason"`

	instruments []int64
	score       float64
}

// MarketView is the client's brokerage entry page as data.
type MarketView struct {
	AsOf time.Time `json:"as_of"`
	// WeightCurrency is the currency holdings are weighed in: the
	// client's base currency, else their income's, else the one most of
	// their positions are in.
	WeightCurrency string        `json:"weight_currency"`
	PriceMaxAge    string        `json:"price_max_age"`
	Quotes         []MarketQuote `json:"quotes"`
	News           []RankedItem  `json:"news"`
	Reviews        []RankedItem  `json:"reviews"`
}

// MarketOptions set a view: when it is taken (Now, in Zone's calendar),
// the language of its items, and how old a close may be.
type MarketOptions struct {
	Now         time.Time
	Zone        *time.Location
	Language    string
	PriceMaxAge time.Duration
}

// LoadMarketView reads the client's quotes and ranks the items about what
// they hold and watch. Every client-scoped read filters by clientID in
// SQL.
func LoadMarketView(ctx context.Context, db DB, clientID int64, opt MarketOptions) (MarketView, error) {
	if opt.Zone == nil {
		opt.Zone = time.UTC
	}
	if opt.PriceMaxAge <= 0 {
		opt.PriceMaxAge = DefaultPriceMaxAge
	}
	y, m, d := opt.Now.In(opt.Zone).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	v := MarketView{AsOf: opt.Now, PriceMaxAge: opt.PriceMaxAge.String(), Quotes: []MarketQuote{}, News: []RankedItem{}, Reviews: []RankedItem{}}
	quantities, err := loadQuotes(ctx, db, clientID, today, opt.PriceMaxAge, &v)
	if err != nil {
		return v, err
	}
	if err := weigh(ctx, db, clientID, today, quantities, &v); err != nil {
		return v, err
	}
	return v, rankItems(ctx, db, opt, &v)
}

// quotesSQL reads the client's held and watched instruments with their
// last two closes on or before $2 (through instrument_prices' primary
// key, newest first) and the quantity held.
const quotesSQL = `
WITH held AS (
    SELECT instrument_id, sum(quantity * coalesce(i.contract_multiplier, 1)) AS units
    FROM positions p JOIN instruments i ON i.id = p.instrument_id
    WHERE p.client_id = $1
    GROUP BY instrument_id
), watched AS (
    SELECT instrument_id FROM watchlist_items WHERE client_id = $1
)
SELECT i.id, i.symbol, i.name, i.kind, i.currency, i.market_segment, h.units, w.instrument_id IS NOT NULL,
       px.closes, px.dates
FROM held h
FULL JOIN watched w ON w.instrument_id = h.instrument_id
JOIN instruments i ON i.id = coalesce(h.instrument_id, w.instrument_id)
LEFT JOIN LATERAL (
    SELECT array_agg(close ORDER BY price_date DESC) AS closes, array_agg(price_date ORDER BY price_date DESC) AS dates
    FROM (SELECT close, price_date FROM instrument_prices
          WHERE instrument_id = i.id AND price_date <= $2
          ORDER BY price_date DESC LIMIT 2) last
) px ON true`

// loadQuotes fills v.Quotes and returns each held instrument's units.
func loadQuotes(ctx context.Context, db DB, clientID int64, today time.Time, maxAge time.Duration, v *MarketView) (map[int64]decimal.Decimal, error) {
	rows, _ := db.Query(ctx, quotesSQL, clientID, today)
	units := map[int64]decimal.Decimal{}
	var q MarketQuote
	var held *decimal.Decimal
	var closes []decimal.Decimal
	var dates []time.Time
	_, err := pgx.ForEachRow(rows, []any{&q.instrumentID, &q.Symbol, &q.Name, &q.Kind, &q.Currency, &q.Segment, &held, &q.Watched, &closes, &dates}, func() error {
		quote := q
		quote.Held, quote.Weight = held != nil, decimal.Zero
		if held != nil {
			units[quote.instrumentID] = *held
		}
		quote.Stale = len(closes) == 0
		if len(closes) > 0 {
			quote.Close, quote.Date = &closes[0], &MarketDate{dates[0]}
			quote.Stale = today.Sub(dates[0]) > maxAge
		}
		if len(closes) > 1 {
			change := closes[0].Sub(closes[1])
			percent := change.Shift(2).DivRound(closes[1], 2)
			quote.PreviousClose, quote.PreviousDate, quote.Change, quote.ChangePercent = &closes[1], &MarketDate{dates[1]}, &change, &percent
		}
		v.Quotes = append(v.Quotes, quote)
		closes, dates, held = nil, nil, nil
		return nil
	})
	return units, err
}

// weigh sets each holding's share of the portfolio: units × last close,
// converted into one currency at the latest rate on or before today (a
// rate from the currency, else the inverse of one to it). A holding
// without a close or a rate weighs nothing. Floats from here on: weights
// rank news, they are not money.
func weigh(ctx context.Context, db DB, clientID int64, today time.Time, units map[int64]decimal.Decimal, v *MarketView) error {
	var base *string
	err := db.QueryRow(ctx, `SELECT coalesce(base_currency, income_currency) FROM clients WHERE id = $1`, clientID).Scan(&base)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if base != nil {
		v.WeightCurrency = *base
	} else {
		count := map[string]int{}
		for _, q := range v.Quotes {
			if q.Held {
				count[q.Currency]++
				if n := count[q.Currency]; n > count[v.WeightCurrency] || (n == count[v.WeightCurrency] && q.Currency < v.WeightCurrency) {
					v.WeightCurrency = q.Currency
				}
			}
		}
	}
	var currencies []string
	for _, q := range v.Quotes {
		if q.Held && q.Currency != v.WeightCurrency && !slices.Contains(currencies, q.Currency) {
			currencies = append(currencies, q.Currency)
		}
	}
	rates := map[string]float64{v.WeightCurrency: 1}
	if len(currencies) > 0 {
		rows, _ := db.Query(ctx, `
			SELECT c, coalesce(
			    (SELECT rate FROM fx_rates WHERE base_currency = c AND quote_currency = $1 AND rate_date <= $2 ORDER BY rate_date DESC LIMIT 1),
			    (SELECT 1 / rate FROM fx_rates WHERE base_currency = $1 AND quote_currency = c AND rate_date <= $2 ORDER BY rate_date DESC LIMIT 1))
			FROM unnest($3::text[]) AS c`, v.WeightCurrency, today, currencies)
		var c string
		var rate *decimal.Decimal
		if _, err := pgx.ForEachRow(rows, []any{&c, &rate}, func() error {
			if rate != nil {
				rates[c] = rate.InexactFloat64()
			}
			return nil
		}); err != nil {
			return err
		}
	}
	total := 0.0
	for i := range v.Quotes {
		q := &v.Quotes[i]
		rate, ok := rates[q.Currency]
		if q.Held && q.Close != nil && ok {
			q.weight = units[q.instrumentID].Mul(*q.Close).InexactFloat64() * rate
			total += q.weight
		}
	}
	for i := range v.Quotes {
		q := &v.Quotes[i]
		if total > 0 {
			q.weight /= total
			q.Weight = decimal.NewFromFloat(q.weight).Round(4)
		}
	}
	// Holdings by weight, then the watch list, each by symbol.
	slices.SortFunc(v.Quotes, func(a, b MarketQuote) int {
		if a.Held != b.Held {
			if a.Held {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(b.weight, a.weight), cmp.Compare(a.Symbol, b.Symbol))
	})
	return nil
}

// itemsSQL reads the items in the reader's language ($1) published in the
// window before now ($2, $3) that are tagged with one of the client's
// segments ($4, through the GIN index on segments) or instruments ($5),
// newest first.
const itemsSQL = `
SELECT m.id, m.kind, m.source, m.published_at, m.language, m.headline, m.summary, coalesce(m.url, ''), m.segments,
       coalesce(m.analyst, ''), coalesce(m.recommendation, ''), m.target_price,
       coalesce(array_agg(i.id ORDER BY i.symbol) FILTER (WHERE i.id IS NOT NULL), '{}'),
       coalesce(array_agg(i.symbol ORDER BY i.symbol) FILTER (WHERE i.id IS NOT NULL), '{}'),
       CASE WHEN count(i.id) = 1 THEN min(i.currency) ELSE '' END
FROM market_items m
LEFT JOIN market_item_instruments x ON x.item_id = m.id
LEFT JOIN instruments i ON i.id = x.instrument_id
WHERE m.language = $1 AND m.published_at <= $2 AND m.published_at > $3
  AND (m.segments && $4::text[] OR EXISTS (
      SELECT 1 FROM market_item_instruments y WHERE y.item_id = m.id AND y.instrument_id = ANY ($5::bigint[])))
GROUP BY m.id
ORDER BY m.published_at DESC, m.id DESC
LIMIT $6`

// rankItems scores the candidate items and keeps the best news and
// reviews.
func rankItems(ctx context.Context, db DB, opt MarketOptions, v *MarketView) error {
	type tie struct {
		held, watched bool
		weight        float64
	}
	byInstrument := map[int64]tie{}
	bySegment := map[string]tie{}
	var segments []string
	var ids []int64
	for _, q := range v.Quotes {
		byInstrument[q.instrumentID] = tie{held: q.Held, watched: q.Watched, weight: q.weight}
		ids = append(ids, q.instrumentID)
		s := bySegment[q.Segment]
		if !slices.Contains(segments, q.Segment) {
			segments = append(segments, q.Segment)
		}
		s.held, s.watched, s.weight = s.held || q.Held, s.watched || q.Watched, s.weight+q.weight
		bySegment[q.Segment] = s
	}
	if len(ids) == 0 {
		return nil
	}
	rows, _ := db.Query(ctx, itemsSQL, opt.Language, opt.Now, opt.Now.Add(-relevanceWindow), segments, ids, maxCandidates)
	var it RankedItem
	var target *decimal.Decimal
	_, err := pgx.ForEachRow(rows, []any{&it.ID, &it.Kind, &it.Source, &it.PublishedAt, &it.Language, &it.Headline, &it.Summary, &it.URL,
		&it.Segments, &it.Analyst, &it.Recommendation, &target, &it.instruments, &it.Symbols, &it.TargetCurrency}, func() error {
		item := it
		item.TargetPrice, target = target, nil
		it.Segments, it.instruments, it.Symbols = nil, nil, nil
		affinity := 0.0
		consider := func(a float64, r Reason) {
			if a > affinity {
				affinity, item.Reason = a, r
			}
		}
		for k, id := range item.instruments {
			switch t := byInstrument[id]; {
			case t.held:
				consider(0.5+0.5*t.weight, Reason{ReasonHoldsInstrument, item.Symbols[k]})
			case t.watched:
				consider(0.4, Reason{ReasonWatchesInstrument, item.Symbols[k]})
			}
		}
		for _, s := range item.Segments {
			switch t := bySegment[s]; {
			case t.held:
				consider(0.25+0.25*t.weight, Reason{ReasonHoldsSegment, s})
			case t.watched:
				consider(0.2, Reason{ReasonWatchesSegment, s})
			}
		}
		age := max(0, opt.Now.Sub(item.PublishedAt).Hours()/relevanceHalfLife.Hours())
		item.score = affinity * math.Exp2(-age)
		item.Score = decimal.NewFromFloat(item.score).Round(4)
		if item.Kind == ItemReview {
			v.Reviews = append(v.Reviews, item)
		} else {
			v.News = append(v.News, item)
		}
		return nil
	})
	if err != nil {
		return err
	}
	byScore := func(a, b RankedItem) int {
		return cmp.Or(cmp.Compare(b.score, a.score), b.PublishedAt.Compare(a.PublishedAt), cmp.Compare(b.ID, a.ID))
	}
	slices.SortFunc(v.News, byScore)
	slices.SortFunc(v.Reviews, byScore)
	v.News, v.Reviews = v.News[:min(len(v.News), MaxNews)], v.Reviews[:min(len(v.Reviews), MaxReviews)]
	return nil
}
