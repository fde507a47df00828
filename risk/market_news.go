package risk

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// A news file holds news items and analysts' reviews, each tagged with
// market segments and instrument symbols (docs/market-data.md). An item is
// known by its source and the source's id for it, so importing it again
// updates it in place, and only when something in it changed.

// The types of row of a news file.
const (
	ItemNews   = "news"
	ItemReview = "review"
)

// NewsFileColumns are the columns a news file may have.
var NewsFileColumns = []string{"type", "source", "external_id", "published_at", "language", "headline", "summary", "url",
	"segments", "instruments", "analyst", "recommendation", "target_price"}

var (
	newsRequired    = []string{"type", "external_id", "published_at", "language", "headline"}
	Recommendations = []string{"buy", "hold", "sell"}
	itemLanguages   = []string{"en", "ro"}
	reviewOnly      = []string{"analyst", "recommendation", "target_price"}
)

// newsRow is a news file row that passed validation.
type newsRow struct {
	line                                       int
	kind, source, externalID, language         string
	headline, summary, url, analyst, recommend string
	published                                  time.Time
	segments, symbols                          []string
	target                                     *decimal.Decimal
	instruments                                []int64
}

func parseNewsRecord(r marketRecord, now time.Time) (*newsRow, *MarketProblem) {
	f := &fieldReader{r: r}
	n := &newsRow{line: r.line}
	n.kind = f.oneOf("type", []string{ItemNews, ItemReview})
	n.source = f.text("source", 100, false)
	n.externalID = f.text("external_id", 200, true)
	published, err := time.Parse(time.RFC3339, r.fields["published_at"])
	if err != nil || published.After(now.Add(24*time.Hour)) || published.Year() < 1900 {
		f.fail("published_at")
	}
	n.published = published
	n.language = f.oneOf("language", itemLanguages)
	n.headline = f.text("headline", 300, true)
	n.summary = f.text("summary", 4000, false)
	if n.url = f.text("url", 2000, false); n.url != "" {
		if u, err := url.Parse(n.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f.fail("url")
		}
	}
	n.segments = list(f.text("segments", 2000, false))
	for _, s := range n.segments {
		if len([]rune(s)) > 100 {
			f.fail("segments")
		}
	}
	n.symbols = list(f.text("instruments", 2000, false))
	if len(n.segments) == 0 && len(n.symbols) == 0 {
		// An item tagged with nothing would reach no one's page.
		f.fail("segments")
		f.fail("instruments")
	}
	if n.kind == ItemReview {
		n.analyst = f.text("analyst", 200, false)
		n.recommend = f.oneOf("recommendation", Recommendations)
		if r.fields["target_price"] != "" {
			t := f.number("target_price", 6, zero, false, maxClose)
			n.target = &t
		}
	} else {
		for _, c := range reviewOnly {
			if r.fields[c] != "" {
				f.fail(c)
			}
		}
	}
	if p := f.problem(); p != nil {
		return nil, p
	}
	return n, nil
}

// ImportNewsFile reads a news file (CSV or JSON) and applies it whole, or
// names every bad row and writes nothing. A file that cannot be read at
// all is a *FileProblem.
func ImportNewsFile(ctx context.Context, pool *pgxpool.Pool, data []byte, run MarketImport) (MarketImportResult, error) {
	if err := run.defaults(); err != nil {
		return MarketImportResult{}, err
	}
	records, err := readMarketFile(data, "news file", NewsFileColumns, newsRequired)
	if err != nil {
		return MarketImportResult{}, err
	}
	res := MarketImportResult{Kind: "news", Rows: len(records), Problems: []MarketProblem{}}
	var rows []*newsRow
	firstLine := map[string]int{}
	for _, r := range records {
		n, problem := parseNewsRecord(r, run.Now)
		if problem != nil {
			res.Problems = append(res.Problems, *problem)
			continue
		}
		if n.source == "" {
			n.source = run.Source
		}
		key := n.source + "\x00" + n.externalID
		if first, seen := firstLine[key]; seen {
			res.Problems = append(res.Problems, MarketProblem{Line: n.line, Code: ProblemDuplicate, Fields: []string{"external_id", "source"},
				Value: strconv.Itoa(first), Reason: fmt.Sprintf("the same as line %d", first)})
			continue
		}
		firstLine[key] = n.line
		rows = append(rows, n)
	}
	for _, typ := range []string{ItemNews, ItemReview} {
		c := 0
		for _, r := range records {
			if r.fields["type"] == typ {
				c++
			}
		}
		if c > 0 {
			res.count(typ, c, 0)
		}
	}
	parseProblems := len(res.Problems)
	err = pgdb.Transact(ctx, pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		res.Problems, res.Written = res.Problems[:parseProblems], 0
		for i := range res.Counts {
			res.Counts[i].Written = 0
		}
		if err := lockMarketImports(ctx, tx); err != nil {
			return err
		}
		problems, err := resolveSymbols(ctx, tx, rows)
		if err != nil {
			return err
		}
		if res.Problems = append(res.Problems, problems...); len(res.Problems) > 0 {
			return errImportRefused
		}
		for _, n := range rows {
			changed, err := upsertItem(ctx, tx, n, run.Now)
			if err != nil {
				return err
			}
			if changed {
				res.count(n.kind, 0, 1)
				res.Written++
			}
		}
		return recordImport(ctx, tx, &res, run)
	})
	return finishImport(res, err)
}

// resolveSymbols finds the instruments the rows are tagged with and names
// the rows with a symbol no instrument has.
func resolveSymbols(ctx context.Context, tx pgx.Tx, rows []*newsRow) ([]MarketProblem, error) {
	var symbols []string
	for _, n := range rows {
		symbols = append(symbols, n.symbols...)
	}
	ids := map[string]int64{}
	dbRows, _ := tx.Query(ctx, `SELECT symbol, id FROM instruments WHERE symbol = ANY ($1)`, symbols)
	var symbol string
	var id int64
	if _, err := pgx.ForEachRow(dbRows, []any{&symbol, &id}, func() error { ids[symbol] = id; return nil }); err != nil {
		return nil, err
	}
	var problems []MarketProblem
	for _, n := range rows {
		var unknown []string
		for _, s := range n.symbols {
			if id, ok := ids[s]; ok {
				n.instruments = append(n.instruments, id)
			} else {
				unknown = append(unknown, s)
			}
		}
		if len(unknown) > 0 {
			problems = append(problems, MarketProblem{Line: n.line, Code: ProblemUnknownInstrument, Fields: []string{"instruments"},
				Value: strings.Join(unknown, ", "), Reason: "no instrument has the symbol " + strings.Join(unknown, ", ")})
		}
	}
	return problems, nil
}

// upsertItem writes one item and its instrument tags, reporting whether
// anything changed.
func upsertItem(ctx context.Context, tx pgx.Tx, n *newsRow, now time.Time) (bool, error) {
	if n.segments == nil {
		n.segments = []string{}
	}
	if n.instruments == nil {
		n.instruments = []int64{}
	}
	var id int64
	err := tx.QueryRow(ctx, `
		INSERT INTO market_items AS t (kind, source, external_id, published_at, language, headline, summary, url, segments,
		                               analyst, recommendation, target_price, recorded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (source, external_id) DO UPDATE SET kind = excluded.kind, published_at = excluded.published_at,
			language = excluded.language, headline = excluded.headline, summary = excluded.summary, url = excluded.url,
			segments = excluded.segments, analyst = excluded.analyst, recommendation = excluded.recommendation,
			target_price = excluded.target_price, recorded_at = excluded.recorded_at
		WHERE (t.kind, t.published_at, t.language, t.headline, t.summary, t.url, t.segments, t.analyst, t.recommendation, t.target_price)
		      IS DISTINCT FROM (excluded.kind, excluded.published_at, excluded.language, excluded.headline, excluded.summary,
		                        excluded.url, excluded.segments, excluded.analyst, excluded.recommendation, excluded.target_price)
		RETURNING id`,
		n.kind, n.source, n.externalID, n.published, n.language, n.headline, n.summary, nullText(n.url), n.segments,
		nullText(n.analyst), nullText(n.recommend), n.target, now).Scan(&id)
	changed := err == nil
	if errors.Is(err, pgx.ErrNoRows) {
		err = tx.QueryRow(ctx, `SELECT id FROM market_items WHERE source = $1 AND external_id = $2`, n.source, n.externalID).Scan(&id)
	}
	if err != nil {
		return false, err
	}
	var tags int
	err = tx.QueryRow(ctx, `
		WITH gone AS (
			DELETE FROM market_item_instruments WHERE item_id = $1 AND instrument_id <> ALL ($2) RETURNING 1
		), added AS (
			INSERT INTO market_item_instruments (item_id, instrument_id) SELECT $1, unnest($2::bigint[])
			ON CONFLICT DO NOTHING RETURNING 1
		)
		SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM added)`, id, n.instruments).Scan(&tags)
	return changed || tags > 0, err
}
