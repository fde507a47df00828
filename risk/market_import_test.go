package risk

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

var importDay = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)

// marketFixture is a database with one stored instrument, DNB (RON).
func marketFixture(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), `INSERT INTO instruments (symbol, name, kind, currency, market_segment, risk_class)
		VALUES ('DNB', 'Dunărea Bank SA', 'equity', 'RON', 'Bucharest equities', 5)`); err != nil {
		t.Fatal(err)
	}
	return pool
}

// expectEqual fails the test (at once when fatal) when got is not want.
func expectEqual[T any](t *testing.T, what string, want, got T, fatal bool) {
	t.Helper()
	if reflect.DeepEqual(want, got) {
		return
	}
	t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	if fatal {
		t.FailNow()
	}
}

// dump lists a query's rows as text, one per row, for exact comparison.
func dump(t *testing.T, pool *pgxpool.Pool, q string) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT t::text FROM (`+q+`) t`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

const goodPrices = `type,symbol,name,kind,currency,segment,risk_class,date,close,base,quote,rate,dividend_yield,volatility,volatility_kind
instrument,BETX,Bucharest Exchange Index,index,RON,Bucharest equities,5,,,,,,,,
price,BETX,,,,,,2026-03-12,17250.5,,,,,,
price,DNB,,,,,,2026-03-12,24.55,,,,,,
price,DNB,,,RON,,,2026-03-13,24.80,,,,,,
fx,,,,,,,2026-03-13,,EUR,RON,4.9772,,,
dividend_yield,DNB,,,,,,2026-03-13,,,,,0.054,,
volatility,DNB,,,,,,2026-03-13,,,,,,0.24,realised
`

// storedMarket is everything a prices file writes, as text.
func storedMarket(t *testing.T, pool *pgxpool.Pool) []string {
	return slices.Concat(
		dump(t, pool, `SELECT symbol, kind, currency, market_segment, risk_class, source, recorded_at FROM instruments ORDER BY symbol`),
		dump(t, pool, `SELECT i.symbol, p.price_date, p.close, p.source, p.recorded_at FROM instrument_prices p JOIN instruments i ON i.id = p.instrument_id ORDER BY 1, 2`),
		dump(t, pool, `SELECT base_currency, quote_currency, rate_date, rate, source FROM fx_rates`),
		dump(t, pool, `SELECT instrument_id, as_of, dividend_yield, source FROM instrument_dividend_yields`),
		dump(t, pool, `SELECT instrument_id, as_of, kind, volatility, source FROM instrument_volatilities`))
}

func TestImportPricesFile(t *testing.T) {
	pool := marketFixture(t)
	ctx := context.Background()
	res, err := ImportPricesFile(ctx, pool, []byte(goodPrices), MarketImport{FileName: "/tmp/good.csv", Now: importDay})
	if err != nil {
		t.Fatal(err)
	}
	// The closes of DNB (1) and of the new BETX (2) moved.
	want := MarketImportResult{ID: 1, Kind: "prices", Rows: 7, Written: 7, Problems: []MarketProblem{}, Counts: []TypeCount{
		{RowInstrument, 1, 1}, {RowPrice, 3, 3}, {RowFX, 1, 1}, {RowDividendYield, 1, 1}, {RowVolatility, 1, 1}}, Moved: []int64{1, 2}}
	expectEqual(t, "result", want, res, true)
	wantRows := []string{
		`(BETX,index,RON,"Bucharest equities",5,good.csv,"2026-03-14 10:00:00+00")`,
		`(DNB,equity,RON,"Bucharest equities",5,seed,` + dump(t, pool, `SELECT recorded_at FROM instruments WHERE symbol = 'DNB'`)[0][1:],
		`(BETX,2026-03-12,17250.500000,good.csv,"2026-03-14 10:00:00+00")`,
		`(DNB,2026-03-12,24.550000,good.csv,"2026-03-14 10:00:00+00")`,
		`(DNB,2026-03-13,24.800000,good.csv,"2026-03-14 10:00:00+00")`,
		`(EUR,RON,2026-03-13,4.9772000000,good.csv)`,
		`(1,2026-03-13,0.054000,good.csv)`,
		`(1,2026-03-13,realised,0.240000,good.csv)`,
	}
	expectEqual(t, "stored rows", wantRows, storedMarket(t, pool), false)

	// The same file again, a day later: nothing changes, not even the
	// recording times; the run is listed with nothing written.
	again, err := ImportPricesFile(ctx, pool, []byte(goodPrices), MarketImport{FileName: "/tmp/good.csv", Now: importDay.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != 2 || again.Written != 0 || len(again.Problems) != 0 {
		t.Errorf("re-import: %+v", again)
	}
	expectEqual(t, "stored rows after a re-import", wantRows, storedMarket(t, pool), false)
	if got := dump(t, pool, `SELECT kind, file_name, source, rows_read, rows_written, imported_by FROM market_imports ORDER BY id`); !slices.Equal(got,
		[]string{`(prices,/tmp/good.csv,good.csv,7,7,)`, `(prices,/tmp/good.csv,good.csv,7,0,)`}) {
		t.Errorf("market_imports = %q", got)
	}

	// A corrected close from another source replaces the stored one and
	// says where it came from.
	fix := "type,symbol,date,close\nprice,DNB,2026-03-13,24.85\n"
	res, err = ImportPricesFile(ctx, pool, []byte(fix), MarketImport{FileName: "fix.csv", Source: "BVB", Now: importDay.Add(48 * time.Hour)})
	if err != nil || res.Written != 1 {
		t.Fatalf("correction: %+v, %v", res, err)
	}
	if got := dump(t, pool, `SELECT p.close, p.source, p.recorded_at FROM instrument_prices p JOIN instruments i ON i.id = p.instrument_id WHERE symbol = 'DNB' AND price_date = '2026-03-13'`); !slices.Equal(got,
		[]string{`(24.850000,BVB,"2026-03-16 10:00:00+00")`}) {
		t.Errorf("corrected close = %q", got)
	}
}

// TestImportPricesFileRefused: every bad row is named by line and field,
// and nothing at all is written, not even the good rows.
func TestImportPricesFileRefused(t *testing.T) {
	pool := marketFixture(t)
	ctx := context.Background()
	before := storedMarket(t, pool)
	bad := `type,symbol,name,kind,currency,segment,risk_class,date,close,base,quote,rate,volatility,volatility_kind
price,DNB,,,,,,2026-03-12,24.55,,,,,
price,DNB,,,,,,2026-03-13,"24,80",,,,,
price,DNB,,,,,,2026-03-11,0,,,,,
price,DNB,,,,,,2026-03-10,-1.5,,,,,
fx,,,,,,,2026-03-13,,EUR,EUR,1,,
price,QNTM,,,,,,2026-03-13,142.10,,,,,
price,DNB,,,,,,2026-03-12,24.56,,,,,
price,DNB,,,USD,,,2026-03-09,24.00,,,,,
volatility,DNB,,,,,,2026-03-20,,,,,0.25,historic
instrument,DNB,Dunărea Bank,etf,RON,ETFs,5,,,,,,,
instrument,bad sym,Bad,option,XYZ,,9,,,,,,,
price,DNB,,,,,,2026-03-08,24.123456789,,,,,
fx,,,,,,,2026-03-13,,EUR,RON,4.97,0.1,
`
	res, err := ImportPricesFile(ctx, pool, []byte(bad), MarketImport{FileName: "bad.csv", Now: importDay})
	if err != nil {
		t.Fatal(err)
	}
	want := []MarketProblem{
		{Line: 3, Code: ProblemInvalid, Fields: []string{"close"}, Reason: "missing or invalid: close"},
		{Line: 4, Code: ProblemInvalid, Fields: []string{"close"}, Reason: "missing or invalid: close"},
		{Line: 5, Code: ProblemInvalid, Fields: []string{"close"}, Reason: "missing or invalid: close"},
		{Line: 6, Code: ProblemInvalid, Fields: []string{"quote"}, Reason: "missing or invalid: quote"},
		{Line: 7, Code: ProblemUnknownInstrument, Fields: []string{"symbol"}, Value: "QNTM", Reason: "no instrument has the symbol QNTM"},
		{Line: 8, Code: ProblemDuplicate, Fields: []string{"date", "symbol"}, Value: "2", Reason: "the same as line 2"},
		{Line: 9, Code: ProblemConflict, Fields: []string{"currency"}, Value: "RON", Reason: "DNB is quoted in RON"},
		{Line: 10, Code: ProblemInvalid, Fields: []string{"date", "volatility_kind"}, Reason: "missing or invalid: date, volatility_kind"},
		{Line: 11, Code: ProblemConflict, Fields: []string{"kind"}, Value: "equity", Reason: "the stored instrument is of kind equity"},
		{Line: 12, Code: ProblemInvalid, Fields: []string{"currency", "kind", "risk_class", "segment", "symbol"}, Reason: "missing or invalid: currency, kind, risk_class, segment, symbol"},
		{Line: 13, Code: ProblemInvalid, Fields: []string{"close"}, Reason: "missing or invalid: close"},
		{Line: 14, Code: ProblemInvalid, Fields: []string{"volatility"}, Reason: "missing or invalid: volatility"},
	}
	expectEqual(t, "problems", want, res.Problems, false)
	if res.ID != 0 || res.Written != 0 || !res.Refused() {
		t.Errorf("refused file: %+v", res)
	}
	expectEqual(t, "stored rows after a refused file", before, storedMarket(t, pool), false)
	if got := dump(t, pool, `SELECT id FROM market_imports`); len(got) != 0 {
		t.Errorf("a refused file was recorded as a run: %q", got)
	}
}

// TestImportPricesFileJSON: the JSON layout, a problem named by the line
// its object starts on; files that cannot be read at all.
func TestImportPricesFileJSON(t *testing.T) {
	pool := marketFixture(t)
	ctx := context.Background()
	data := `[
  {"type": "price", "symbol": "DNB", "date": "2026-03-12", "close": "24.55"},
  {"type": "price", "symbol": "DNB", "date": "2026-03-13", "close": 24.80},
  {
    "type": "fx", "base": "USD", "quote": "RON", "date": "2026-03-13", "rate": "-4.6"
  }
]`
	res, err := ImportPricesFile(ctx, pool, []byte(data), MarketImport{FileName: "p.json", Now: importDay})
	if err != nil {
		t.Fatal(err)
	}
	expectEqual(t, "problems", []MarketProblem{{Line: 4, Code: ProblemInvalid, Fields: []string{"rate"}, Reason: "missing or invalid: rate"}}, res.Problems, false)
	fixed := strings.Replace(data, `"-4.6"`, `"4.6125"`, 1)
	if res, err = ImportPricesFile(ctx, pool, []byte(fixed), MarketImport{FileName: "p.json", Now: importDay}); err != nil || res.Written != 3 {
		t.Errorf("fixed JSON: %+v, %v", res, err)
	}
	for _, tc := range []struct{ file, code, column string }{
		{"type,symbol,clsoe\nprice,DNB,1\n", FileUnknownColumn, "clsoe"},
		{"symbol,close\nDNB,1\n", FileMissingColumn, "type"},
		{`[{"type": "price", "symbol": "DNB", "date": "2026-03-12", "clsoe": "1"}]`, FileUnknownColumn, "clsoe"},
		{`[{"type": "price"`, FileMalformed, ""},
	} {
		_, err := ImportPricesFile(ctx, pool, []byte(tc.file), MarketImport{FileName: "x", Now: importDay})
		var fp *FileProblem
		if !errors.As(err, &fp) || fp.Code != tc.code || fp.Column != tc.column {
			t.Errorf("%q: err = %v, want %s %s", tc.file, err, tc.code, tc.column)
		}
	}
}

const goodNews = `type,source,external_id,published_at,language,headline,summary,segments,instruments,analyst,recommendation,target_price
news,Agerpres,n-1,2026-03-12T09:30:00+02:00,en,Dunărea Bank beats forecasts,Net profit up 12%.,Bucharest equities;Financials,DNB,,,
news,Agerpres,n-1-ro,2026-03-12T09:30:00+02:00,ro,Dunărea Bank depășește estimările,Profitul net crește cu 12%.,Bucharest equities,DNB,,,
review,,r-1,2026-03-13T08:00:00Z,en,DNB: raising the target,Loans grow faster than peers.,,DNB,Ioana Matei,buy,28.50
`

func TestImportNewsFile(t *testing.T) {
	pool := marketFixture(t)
	ctx := context.Background()
	res, err := ImportNewsFile(ctx, pool, []byte(goodNews), MarketImport{FileName: "news.csv", Source: "Analyst desk", Now: importDay})
	if err != nil {
		t.Fatal(err)
	}
	want := MarketImportResult{ID: 1, Kind: "news", Rows: 3, Written: 3, Problems: []MarketProblem{},
		Counts: []TypeCount{{ItemNews, 2, 2}, {ItemReview, 1, 1}}}
	expectEqual(t, "result", want, res, true)
	items := func() []string {
		return dump(t, pool, `SELECT m.kind, m.source, m.external_id, m.published_at, m.language, m.headline, m.segments, m.analyst,
			m.recommendation, m.target_price, array(SELECT i.symbol FROM market_item_instruments x JOIN instruments i ON i.id = x.instrument_id WHERE x.item_id = m.id)
			FROM market_items m ORDER BY m.id`)
	}
	wantItems := []string{
		`(news,Agerpres,n-1,"2026-03-12 07:30:00+00",en,"Dunărea Bank beats forecasts","{""Bucharest equities"",Financials}",,,,{DNB})`,
		`(news,Agerpres,n-1-ro,"2026-03-12 07:30:00+00",ro,"Dunărea Bank depășește estimările","{""Bucharest equities""}",,,,{DNB})`,
		`(review,"Analyst desk",r-1,"2026-03-13 08:00:00+00",en,"DNB: raising the target",{},"Ioana Matei",buy,28.500000,{DNB})`,
	}
	expectEqual(t, "stored items", wantItems, items(), false)
	// Again: nothing changes. Then one headline corrected: one item.
	if res, err = ImportNewsFile(ctx, pool, []byte(goodNews), MarketImport{FileName: "news.csv", Source: "Analyst desk", Now: importDay}); err != nil || res.Written != 0 || res.ID != 2 {
		t.Errorf("re-import: %+v, %v", res, err)
	}
	expectEqual(t, "items after a re-import", wantItems, items(), false)
	corrected := strings.Replace(goodNews, "beats forecasts", "beats forecasts again", 1)
	if res, err = ImportNewsFile(ctx, pool, []byte(corrected), MarketImport{FileName: "news.csv", Source: "Analyst desk", Now: importDay}); err != nil || res.Written != 1 {
		t.Errorf("a corrected headline: %+v, %v", res, err)
	}

	bad := `type,external_id,published_at,language,headline,segments,instruments,recommendation,target_price
news,n-2,2026-03-12T09:30:00Z,en,Tagged with an unknown symbol,,DNB;QNTM;BRTX,,
review,r-2,2026-03-12,en,No recommendation,Financials,,,0
news,n-3,2026-03-12T09:30:00Z,de,Not tagged,,,buy,
news,n-2,2026-03-12T09:30:00Z,en,Again,Financials,,,
`
	res, err = ImportNewsFile(ctx, pool, []byte(bad), MarketImport{FileName: "bad-news.csv", Now: importDay})
	if err != nil {
		t.Fatal(err)
	}
	wantProblems := []MarketProblem{
		{Line: 2, Code: ProblemUnknownInstrument, Fields: []string{"instruments"}, Value: "QNTM, BRTX", Reason: "no instrument has the symbol QNTM, BRTX"},
		{Line: 3, Code: ProblemInvalid, Fields: []string{"published_at", "recommendation", "target_price"}, Reason: "missing or invalid: published_at, recommendation, target_price"},
		{Line: 4, Code: ProblemInvalid, Fields: []string{"instruments", "language", "recommendation", "segments"}, Reason: "missing or invalid: instruments, language, recommendation, segments"},
		{Line: 5, Code: ProblemDuplicate, Fields: []string{"external_id", "source"}, Value: "2", Reason: "the same as line 2"},
	}
	expectEqual(t, "problems", wantProblems, res.Problems, false)
	if n := len(dump(t, pool, `SELECT id FROM market_items`)); n != 3 || res.ID != 0 {
		t.Errorf("a refused news file: %d items stored, import %d", n, res.ID)
	}
}
