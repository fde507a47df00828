package risk

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// Market data import (issue 15, item 4): `ecrm import prices FILE`, `ecrm
// import news FILE` and the admin's /console/imports/market page read the
// files docs/market-data.md describes. Unlike a bureau report, a market
// data file is applied whole or not at all: the risk engines read these
// figures as one consistent set, so every bad row is named (by line and
// field) and, if there is one, nothing is written. A good file is written
// in one transaction with upserts that change a stored row only when its
// figures differ, so importing the same file again changes nothing; every
// applied run leaves a market_imports row for the admin page.

// The types of row of a prices file.
const (
	RowInstrument    = "instrument"
	RowPrice         = "price"
	RowFX            = "fx"
	RowDividendYield = "dividend_yield"
	RowVolatility    = "volatility"
)

// PriceRowTypes are the row types of a prices file, in the order the
// import applies them (instruments first, so that later rows may use
// them).
var PriceRowTypes = []string{RowInstrument, RowPrice, RowFX, RowDividendYield, RowVolatility}

// PriceFileColumns are the columns a prices file may have; only type is
// required, each type uses some of the others (docs/market-data.md).
var PriceFileColumns = []string{"type", "source", "symbol", "date", "close", "currency", "base", "quote", "rate",
	"dividend_yield", "volatility", "volatility_kind", "name", "kind", "segment", "sector", "risk_class", "isin",
	"issuer", "coupon_rate", "maturity_on", "face_value", "rating"}

// priceRowColumns are the columns each row type uses.
var priceRowColumns = map[string][]string{
	RowInstrument: {"type", "source", "symbol", "name", "kind", "currency", "segment", "sector", "risk_class", "isin",
		"issuer", "coupon_rate", "maturity_on", "face_value", "rating"},
	RowPrice:         {"type", "source", "symbol", "date", "close", "currency"},
	RowFX:            {"type", "source", "base", "quote", "date", "rate"},
	RowDividendYield: {"type", "source", "symbol", "date", "dividend_yield"},
	RowVolatility:    {"type", "source", "symbol", "date", "volatility", "volatility_kind"},
}

var (
	// ImportableKinds are the instrument kinds a file may create. Listed
	// options need an underlying, a strike and an expiry the layout does
	// not carry; they come with the firm's own reference data.
	ImportableKinds  = []string{"equity", "bond", "fund", "etf", "index"}
	VolatilityKinds  = []string{"realised", "implied"}
	bondRatings      = []string{"AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-", "B+", "B", "B-", "CCC+", "CCC", "CCC-", "CC", "C", "D"}
	bondOnlyColumns  = []string{"issuer", "coupon_rate", "maturity_on", "face_value", "rating"}
	symbolPattern    = regexp.MustCompile(`^[A-Z0-9][A-Z0-9._-]{0,39}$`)
	isinPattern      = regexp.MustCompile(`^[A-Z]{2}[A-Z0-9]{9}[0-9]$`)
	errImportRefused = errors.New("market import refused")
)

// Problem codes of market data rows, beside ProblemInvalid.
const (
	// ProblemUnknownInstrument: the symbol is neither stored nor defined
	// by the file; Value is the symbol.
	ProblemUnknownInstrument = "unknown_instrument"
	// ProblemDuplicate: an earlier row has the same key (instrument and
	// date, currencies and date, ...); Value is its line.
	ProblemDuplicate = "duplicate"
	// ProblemConflict: the row contradicts what is stored (an instrument's
	// kind or currency, an ISIN another instrument has, a price in another
	// currency than its instrument's); Value is the stored value.
	ProblemConflict = "conflict"
)

// MarketProblem is a refused row of a market data file.
type MarketProblem struct {
	Line   int      `json:"line"`
	Code   string   `json:"code"`
	Fields []string `json:"fields"`
	Value  string   `json:"value,omitempty"`
	Reason string   `json:"reason"`
}

// MarketImport says who imports which file.
type MarketImport struct {
	// FileName is the file's name as given, kept with the run.
	FileName string
	// Source is where rows without a source column come from; the file's
	// base name when empty.
	Source string
	// StaffID is the administrator who uploaded it; 0 for the command line.
	StaffID int64
	// Now is when the rows are recorded; zero means time.Now().
	Now time.Time
	// PricesMoved, when set, is told in the import's transaction which
	// instruments got a new or changed close, so that work that follows
	// prices (the hedging rules' re-evaluation) is queued with the data
	// or not at all.
	PricesMoved func(ctx context.Context, tx pgx.Tx, instrumentIDs []int64) error
}

// TypeCount is how many rows of one type a file had and wrote.
type TypeCount struct {
	Type    string `json:"type"`
	Rows    int    `json:"rows"`
	Written int    `json:"written"`
}

// MarketImportResult says what an import did: with Problems, nothing.
type MarketImportResult struct {
	// ID is the market_imports row of the run; 0 when refused.
	ID   int64  `json:"id,omitempty"`
	Kind string `json:"kind"`
	Rows int    `json:"rows"`
	// Written counts the rows inserted or changed; 0 for a file already
	// imported.
	Written  int             `json:"written"`
	Counts   []TypeCount     `json:"counts"`
	Problems []MarketProblem `json:"problems"`
	// Moved are the instruments whose closes the import wrote.
	Moved []int64 `json:"moved_instruments,omitempty"`
}

// Refused reports whether the file was refused for bad rows.
func (r MarketImportResult) Refused() bool { return len(r.Problems) > 0 }

func (r *MarketImportResult) count(typ string, rows, written int) {
	for i := range r.Counts {
		if r.Counts[i].Type == typ {
			r.Counts[i].Rows += rows
			r.Counts[i].Written += written
			return
		}
	}
	r.Counts = append(r.Counts, TypeCount{Type: typ, Rows: rows, Written: written})
}

func (run *MarketImport) defaults() error {
	if run.Now.IsZero() {
		run.Now = time.Now()
	}
	if run.Source == "" {
		run.Source = filepath.Base(run.FileName)
	}
	if run.Source == "" || run.Source == "." || len(run.Source) > 100 || ecrm.CheckText(run.Source) != nil {
		return ecrm.FieldErrorf("source", "name the source in 1 to 100 characters")
	}
	return nil
}

// latestDate is the last date a row may carry: the import's day, plus
// one for markets east of UTC that closed before UTC's midnight.
func latestDate(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// instrumentRow is an instrument row that passed validation.
type instrumentRow struct {
	line                                                        int
	source, symbol, name, kind, currency, segment, sector, isin string
	issuer, rating                                              string
	risk                                                        int
	coupon, face                                                *decimal.Decimal
	maturity                                                    *time.Time
}

// valueRow is a price, FX, dividend yield or volatility row that passed
// validation: symbol is the FX base, quote its quote currency.
type valueRow struct {
	line                                       int
	typ, source, symbol, quote, kind, currency string
	date                                       time.Time
	value                                      decimal.Decimal
	instrument                                 int64
}

func (v valueRow) key() string {
	return strings.Join([]string{v.typ, v.symbol, v.quote, v.kind, v.date.Format(time.DateOnly)}, "\x00")
}

var (
	zero     = decimal.Zero
	maxClose = decimal.New(1, 12)
	maxRate  = decimal.New(1, 10)
	one      = decimal.NewFromInt(1)
	ten      = decimal.NewFromInt(10)
)

// parsePriceRecord validates one row of a prices file.
func parsePriceRecord(r marketRecord, latest time.Time) (*instrumentRow, *valueRow, *MarketProblem) {
	f := &fieldReader{r: r}
	typ := f.oneOf("type", PriceRowTypes)
	if len(f.bad) > 0 {
		return nil, nil, f.problem()
	}
	f.unused(priceRowColumns[typ])
	source := f.text("source", 100, false)
	if typ == RowInstrument {
		in := &instrumentRow{line: r.line, source: source}
		if in.symbol = r.fields["symbol"]; !symbolPattern.MatchString(in.symbol) {
			f.fail("symbol")
		}
		in.name = f.text("name", 200, true)
		in.kind = f.oneOf("kind", ImportableKinds)
		in.currency = f.currency("currency")
		in.segment = f.text("segment", 100, true)
		in.sector = f.text("sector", 100, false)
		risk, err := strconv.Atoi(r.fields["risk_class"])
		if err != nil || risk < 1 || risk > 7 {
			f.fail("risk_class")
		}
		in.risk = risk
		if in.isin = r.fields["isin"]; in.isin != "" && !isinPattern.MatchString(in.isin) {
			f.fail("isin")
		}
		if in.kind == "bond" {
			in.issuer = f.text("issuer", 200, true)
			coupon := f.number("coupon_rate", 6, zero, true, one)
			face := f.number("face_value", 2, zero, false, maxClose)
			maturity := f.date("maturity_on", time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC))
			in.coupon, in.face, in.maturity = &coupon, &face, &maturity
			if in.rating = r.fields["rating"]; in.rating != "" && !slices.Contains(bondRatings, in.rating) {
				f.fail("rating")
			}
		} else {
			for _, c := range bondOnlyColumns {
				if r.fields[c] != "" {
					f.fail(c)
				}
			}
		}
		if p := f.problem(); p != nil {
			return nil, nil, p
		}
		return in, nil, nil
	}
	v := &valueRow{line: r.line, typ: typ, source: source}
	switch typ {
	case RowFX:
		v.symbol = f.currency("base")
		v.quote = f.currency("quote")
		if v.symbol == v.quote && v.symbol != "" {
			f.fail("quote")
		}
		v.value = f.number("rate", 10, zero, false, maxRate)
	default:
		v.symbol = f.text("symbol", 40, true)
		switch typ {
		case RowPrice:
			v.value = f.number("close", 6, zero, false, maxClose)
			if v.currency = r.fields["currency"]; v.currency != "" {
				f.currency("currency")
			}
		case RowDividendYield:
			v.value = f.number("dividend_yield", 6, zero, true, one)
		case RowVolatility:
			v.value = f.number("volatility", 6, zero, false, ten)
			v.kind = f.oneOf("volatility_kind", VolatilityKinds)
		}
	}
	v.date = f.date("date", latest)
	if p := f.problem(); p != nil {
		return nil, nil, p
	}
	return nil, v, nil
}

// ImportPricesFile reads a prices file (instruments, daily closes, FX
// rates, dividend yields and volatilities; CSV or JSON) and applies it
// whole, or names every bad row and writes nothing. A file that cannot be
// read at all is a *FileProblem.
func ImportPricesFile(ctx context.Context, pool *pgxpool.Pool, data []byte, run MarketImport) (MarketImportResult, error) {
	if err := run.defaults(); err != nil {
		return MarketImportResult{}, err
	}
	records, err := readMarketFile(data, "prices file", PriceFileColumns, []string{"type"})
	if err != nil {
		return MarketImportResult{}, err
	}
	res := MarketImportResult{Kind: "prices", Rows: len(records), Problems: []MarketProblem{}}
	latest := latestDate(run.Now)
	var instruments []*instrumentRow
	var values []*valueRow
	defined := map[string]bool{} // symbols the file's instrument rows name, good or bad
	firstLine := map[string]int{}
	for _, r := range records {
		if r.fields["type"] == RowInstrument {
			defined[r.fields["symbol"]] = true
		}
		in, v, problem := parsePriceRecord(r, latest)
		if problem != nil {
			res.Problems = append(res.Problems, *problem)
			continue
		}
		key := ""
		if in != nil {
			if in.source == "" {
				in.source = run.Source
			}
			key = RowInstrument + "\x00" + in.symbol
		} else {
			if v.source == "" {
				v.source = run.Source
			}
			key = v.key()
		}
		if first, seen := firstLine[key]; seen {
			res.Problems = append(res.Problems, MarketProblem{Line: r.line, Code: ProblemDuplicate, Fields: duplicateFields(r.fields["type"]),
				Value: strconv.Itoa(first), Reason: fmt.Sprintf("the same as line %d", first)})
			continue
		}
		firstLine[key] = r.line
		if in != nil {
			instruments = append(instruments, in)
		} else {
			values = append(values, v)
		}
	}
	for _, typ := range PriceRowTypes {
		n := 0
		for _, r := range records {
			if r.fields["type"] == typ {
				n++
			}
		}
		if n > 0 {
			res.count(typ, n, 0)
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
		written, problems, err := upsertInstruments(ctx, tx, instruments, run.Now)
		if err != nil {
			return err
		}
		res.Problems = append(res.Problems, problems...)
		res.count(RowInstrument, 0, written)
		problems, err = resolveInstruments(ctx, tx, values, defined)
		if err != nil {
			return err
		}
		res.Problems = append(res.Problems, problems...)
		if len(res.Problems) > 0 {
			return errImportRefused
		}
		for _, typ := range PriceRowTypes[1:] {
			n, err := upsertValues(ctx, tx, typ, values, run.Now)
			if err != nil {
				return err
			}
			res.count(typ, 0, n)
		}
		for _, c := range res.Counts {
			res.Written += c.Written
		}
		res.Moved = movedInstruments(values, res.Counts)
		if run.PricesMoved != nil && len(res.Moved) > 0 {
			if err := run.PricesMoved(ctx, tx, res.Moved); err != nil {
				return err
			}
		}
		return recordImport(ctx, tx, &res, run)
	})
	return finishImport(res, err)
}

// movedInstruments are the instruments of the file's price rows when any
// close was written (a file imported again moves nothing).
func movedInstruments(values []*valueRow, counts []TypeCount) []int64 {
	i := slices.IndexFunc(counts, func(c TypeCount) bool { return c.Type == RowPrice })
	if i < 0 || counts[i].Written == 0 {
		return nil
	}
	var ids []int64
	for _, v := range values {
		if v.typ == RowPrice && !slices.Contains(ids, v.instrument) {
			ids = append(ids, v.instrument)
		}
	}
	slices.Sort(ids)
	return ids
}

// finishImport sorts the problems by line and turns a refusal into a
// result without an error.
func finishImport(res MarketImportResult, err error) (MarketImportResult, error) {
	slices.SortStableFunc(res.Problems, func(a, b MarketProblem) int { return a.Line - b.Line })
	if err != nil && !errors.Is(err, errImportRefused) {
		return res, err
	}
	if len(res.Problems) > 0 {
		res.ID, res.Written = 0, 0
		for i := range res.Counts {
			res.Counts[i].Written = 0
		}
		return res, nil
	}
	return res, err
}

// duplicateFields names the key of a row type, the fields a duplicate
// repeats.
func duplicateFields(typ string) []string {
	switch typ {
	case RowInstrument:
		return []string{"symbol"}
	case RowFX:
		return []string{"base", "date", "quote"}
	case RowVolatility:
		return []string{"date", "symbol", "volatility_kind"}
	}
	return []string{"date", "symbol"}
}

// lockMarketImports makes concurrent imports take turns, so that two
// files creating the same instrument do not collide.
func lockMarketImports(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('ecrm.market_import'))`)
	return err
}

// upsertInstruments creates the file's new instruments and updates the
// descriptive fields of stored ones. A stored instrument's kind and
// currency never change: positions are valued in that currency.
func upsertInstruments(ctx context.Context, tx pgx.Tx, rows []*instrumentRow, now time.Time) (written int, problems []MarketProblem, err error) {
	for _, in := range rows {
		var id int64
		var kind, currency string
		err := tx.QueryRow(ctx, `SELECT id, kind, currency FROM instruments WHERE symbol = $1`, in.symbol).Scan(&id, &kind, &currency)
		exists := err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return 0, nil, err
		}
		if exists && kind != in.kind {
			problems = append(problems, MarketProblem{Line: in.line, Code: ProblemConflict, Fields: []string{"kind"}, Value: kind, Reason: "the stored instrument is of kind " + kind})
			continue
		}
		if exists && currency != in.currency {
			problems = append(problems, MarketProblem{Line: in.line, Code: ProblemConflict, Fields: []string{"currency"}, Value: currency, Reason: "the stored instrument is quoted in " + currency})
			continue
		}
		if in.isin != "" {
			var other string
			err := tx.QueryRow(ctx, `SELECT symbol FROM instruments WHERE isin = $1 AND symbol <> $2`, in.isin, in.symbol).Scan(&other)
			if err == nil {
				problems = append(problems, MarketProblem{Line: in.line, Code: ProblemConflict, Fields: []string{"isin"}, Value: other, Reason: "the ISIN is " + other + "'s"})
				continue
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return 0, nil, err
			}
		}
		args := []any{in.symbol, in.name, in.kind, in.currency, in.segment, nullText(in.sector), in.risk, nullText(in.isin),
			nullText(in.issuer), in.coupon, in.maturity, in.face, nullText(in.rating), in.source, now}
		if !exists {
			_, err = tx.Exec(ctx, `INSERT INTO instruments (symbol, name, kind, currency, market_segment, sector, risk_class, isin,
				issuer, coupon_rate, maturity_on, face_value, rating, source, recorded_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`, args...)
			if err != nil {
				return 0, nil, err
			}
			written++
			continue
		}
		tag, err := tx.Exec(ctx, `UPDATE instruments SET name = $2, market_segment = $5, sector = $6, risk_class = $7, isin = $8,
				issuer = $9, coupon_rate = $10, maturity_on = $11, face_value = $12, rating = $13, source = $14, recorded_at = $15
			WHERE symbol = $1 AND kind = $3 AND currency = $4
			  AND (name, market_segment, sector, risk_class, isin, issuer, coupon_rate, maturity_on, face_value, rating, source)
			      IS DISTINCT FROM ($2, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, args...)
		if err != nil {
			return 0, nil, err
		}
		written += int(tag.RowsAffected())
	}
	return written, problems, nil
}

func nullText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// resolveInstruments finds the instrument of every row that names one,
// and names the rows whose symbol is unknown (unless a row of the file
// defines it, which then has its own problem) or whose currency is not
// the instrument's.
func resolveInstruments(ctx context.Context, tx pgx.Tx, rows []*valueRow, defined map[string]bool) ([]MarketProblem, error) {
	var symbols []string
	for _, v := range rows {
		if v.typ != RowFX && !slices.Contains(symbols, v.symbol) {
			symbols = append(symbols, v.symbol)
		}
	}
	type known struct {
		id       int64
		currency string
	}
	found := map[string]known{}
	dbRows, _ := tx.Query(ctx, `SELECT symbol, id, currency FROM instruments WHERE symbol = ANY ($1)`, symbols)
	var symbol string
	var k known
	_, err := pgx.ForEachRow(dbRows, []any{&symbol, &k.id, &k.currency}, func() error {
		found[symbol] = k
		return nil
	})
	if err != nil {
		return nil, err
	}
	var problems []MarketProblem
	for _, v := range rows {
		if v.typ == RowFX {
			continue
		}
		k, ok := found[v.symbol]
		switch {
		case !ok && defined[v.symbol]:
			// Its instrument row is refused; that row says why.
		case !ok:
			problems = append(problems, MarketProblem{Line: v.line, Code: ProblemUnknownInstrument, Fields: []string{"symbol"}, Value: v.symbol,
				Reason: "no instrument has the symbol " + v.symbol})
		case v.currency != "" && v.currency != k.currency:
			problems = append(problems, MarketProblem{Line: v.line, Code: ProblemConflict, Fields: []string{"currency"}, Value: k.currency,
				Reason: v.symbol + " is quoted in " + k.currency})
		default:
			v.instrument = k.id
		}
	}
	return problems, nil
}

// upsertValues writes the rows of one type in one statement; a stored
// row changes only when its figure or source differs, and the count is of
// rows inserted or changed.
func upsertValues(ctx context.Context, tx pgx.Tx, typ string, rows []*valueRow, now time.Time) (int, error) {
	var ids []int64
	var bases, quotes, kinds, sources []string
	var dates []time.Time
	var values []decimal.Decimal
	for _, v := range rows {
		if v.typ != typ {
			continue
		}
		ids, bases, quotes, kinds = append(ids, v.instrument), append(bases, v.symbol), append(quotes, v.quote), append(kinds, v.kind)
		dates, values, sources = append(dates, v.date), append(values, v.value), append(sources, v.source)
	}
	if len(dates) == 0 {
		return 0, nil
	}
	var q string
	var args []any
	switch typ {
	case RowPrice:
		q = `INSERT INTO instrument_prices AS t (instrument_id, price_date, close, source, recorded_at)
			SELECT i, d, v, s, $5 FROM unnest($1::bigint[], $2::date[], $3::numeric[], $4::text[]) AS u (i, d, v, s)
			ON CONFLICT (instrument_id, price_date) DO UPDATE SET close = excluded.close, source = excluded.source, recorded_at = excluded.recorded_at
			WHERE (t.close, t.source) IS DISTINCT FROM (excluded.close, excluded.source)`
		args = []any{ids, dates, values, sources, now}
	case RowFX:
		q = `INSERT INTO fx_rates AS t (base_currency, quote_currency, rate_date, rate, source, recorded_at)
			SELECT b, q, d, v, s, $6 FROM unnest($1::text[], $2::text[], $3::date[], $4::numeric[], $5::text[]) AS u (b, q, d, v, s)
			ON CONFLICT (base_currency, quote_currency, rate_date) DO UPDATE SET rate = excluded.rate, source = excluded.source, recorded_at = excluded.recorded_at
			WHERE (t.rate, t.source) IS DISTINCT FROM (excluded.rate, excluded.source)`
		args = []any{bases, quotes, dates, values, sources, now}
	case RowDividendYield:
		q = `INSERT INTO instrument_dividend_yields AS t (instrument_id, as_of, dividend_yield, source, recorded_at)
			SELECT i, d, v, s, $5 FROM unnest($1::bigint[], $2::date[], $3::numeric[], $4::text[]) AS u (i, d, v, s)
			ON CONFLICT (instrument_id, as_of) DO UPDATE SET dividend_yield = excluded.dividend_yield, source = excluded.source, recorded_at = excluded.recorded_at
			WHERE (t.dividend_yield, t.source) IS DISTINCT FROM (excluded.dividend_yield, excluded.source)`
		args = []any{ids, dates, values, sources, now}
	case RowVolatility:
		q = `INSERT INTO instrument_volatilities AS t (instrument_id, as_of, kind, volatility, source, recorded_at)
			SELECT i, d, k, v, s, $6 FROM unnest($1::bigint[], $2::date[], $3::text[], $4::numeric[], $5::text[]) AS u (i, d, k, v, s)
			ON CONFLICT (instrument_id, as_of, kind) DO UPDATE SET volatility = excluded.volatility, source = excluded.source, recorded_at = excluded.recorded_at
			WHERE (t.volatility, t.source) IS DISTINCT FROM (excluded.volatility, excluded.source)`
		args = []any{ids, dates, kinds, values, sources, now}
	}
	tag, err := tx.Exec(ctx, q, args...)
	return int(tag.RowsAffected()), err
}

// recordImport writes the run's market_imports row.
func recordImport(ctx context.Context, tx pgx.Tx, res *MarketImportResult, run MarketImport) error {
	var staff *int64
	if run.StaffID > 0 {
		staff = &run.StaffID
	}
	return tx.QueryRow(ctx, `INSERT INTO market_imports (kind, file_name, source, rows_read, rows_written, imported_by, imported_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		res.Kind, run.FileName, run.Source, res.Rows, res.Written, staff, run.Now).Scan(&res.ID)
}
