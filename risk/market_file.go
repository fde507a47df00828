package risk

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// Market data files (docs/market-data.md) are read the way a bureau report
// is, CSV with a header or a JSON array of objects, but a row's type decides
// which columns it uses: only the type column is required in the header,
// and a column the layout does not have is refused, since a misspelt
// "clsoe" would otherwise leave every close empty.

// marketRecord is one row of a market data file: where it starts in the
// file (the line a problem names) and its values by column.
type marketRecord struct {
	line   int
	fields map[string]string
}

// maxMarketRows bounds a file: ten years of daily closes of 200
// instruments. Larger histories are imported in several files.
const maxMarketRows = 500_000

// listSeparator separates the values of a list column in CSV (segments,
// instruments); in JSON a list is an array.
const listSeparator = ";"

// readMarketFile reads data as JSON when its first character (after white
// space) is "[", as CSV otherwise.
func readMarketFile(data []byte, what string, columns, required []string) ([]marketRecord, error) {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("[")) {
		return readMarketJSON(data, what, columns)
	}
	return readMarketCSV(data, what, columns, required)
}

func readMarketCSV(data []byte, what string, columns, required []string) ([]marketRecord, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, &FileProblem{Code: FileNoHeader, Err: err, What: what}
	}
	for i := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
		if !slices.Contains(columns, header[i]) {
			return nil, &FileProblem{Code: FileUnknownColumn, Column: header[i], Line: 1, What: what}
		}
	}
	for _, c := range required {
		if !slices.Contains(header, c) {
			return nil, &FileProblem{Code: FileMissingColumn, Column: c, What: what}
		}
	}
	var out []marketRecord
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			p := &FileProblem{Code: FileMalformed, Err: err, What: what}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				p.Line = pe.Line
			}
			return nil, p
		}
		if len(out) >= maxMarketRows {
			return nil, &FileProblem{Code: FileTooManyRows, What: what, Max: maxMarketRows}
		}
		line, _ := cr.FieldPos(0)
		r := marketRecord{line: line, fields: make(map[string]string, len(header))}
		for i, c := range header {
			if i < len(rec) {
				r.fields[c] = strings.TrimSpace(rec[i])
			}
		}
		out = append(out, r)
	}
}

// readMarketJSON reads an array of objects, each row's line being where
// its object starts, so that a problem points into the file as for CSV.
func readMarketJSON(data []byte, what string, columns []string) ([]marketRecord, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	malformed := func(offset int, err error) error {
		return &FileProblem{Code: FileMalformed, Line: lineAt(data, offset), Err: err, What: what}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, malformed(0, errors.New("not a JSON array of objects"))
	}
	var out []marketRecord
	for dec.More() {
		start := int(dec.InputOffset())
		for start < len(data) && strings.IndexByte(" \t\r\n,", data[start]) >= 0 {
			start++
		}
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return nil, malformed(start, fmt.Errorf("not a JSON array of objects: %w", err))
		}
		if len(out) >= maxMarketRows {
			return nil, &FileProblem{Code: FileTooManyRows, What: what, Max: maxMarketRows}
		}
		r := marketRecord{line: lineAt(data, start), fields: make(map[string]string, len(obj))}
		for k, v := range obj {
			if !slices.Contains(columns, k) {
				return nil, &FileProblem{Code: FileUnknownColumn, Column: k, Line: r.line, What: what}
			}
			s, ok := jsonScalar(v)
			if list, isList := v.([]any); isList {
				parts := make([]string, 0, len(list))
				for _, e := range list {
					p, scalar := jsonScalar(e)
					ok = scalar
					if !ok {
						break
					}
					parts = append(parts, p)
				}
				s = strings.Join(parts, listSeparator)
			}
			if !ok {
				return nil, malformed(start, fmt.Errorf("%s holds an object", k))
			}
			r.fields[k] = strings.TrimSpace(s)
		}
		out = append(out, r)
	}
	if _, err := dec.Token(); err != nil {
		return nil, malformed(int(dec.InputOffset()), fmt.Errorf("not a JSON array of objects: %w", err))
	}
	return out, nil
}

// jsonScalar is a JSON value as a cell: null is empty; false when the value
// is an object or array.
func jsonScalar(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return fmt.Sprint(x), true
	}
	return "", false
}

// lineAt is the line (from 1) of a byte offset.
func lineAt(data []byte, offset int) int {
	return 1 + bytes.Count(data[:min(offset, len(data))], []byte("\n"))
}

// fieldReader reads one row's fields, noting the bad ones, so that a row
// reports every field at fault at once.
type fieldReader struct {
	r   marketRecord
	bad []string
}

func (f *fieldReader) fail(name string) { f.bad = append(f.bad, name) }

// text is a field of at most max characters of storable text; required
// says it may not be empty.
func (f *fieldReader) text(name string, max int, required bool) string {
	v := f.r.fields[name]
	if len([]rune(v)) > max || ecrm.CheckText(v) != nil || (required && v == "") {
		f.fail(name)
		return ""
	}
	return v
}

// oneOf is a required field taking one of values.
func (f *fieldReader) oneOf(name string, values []string) string {
	v := f.r.fields[name]
	if !slices.Contains(values, v) {
		f.fail(name)
	}
	return v
}

// currency is a required ISO 4217 code ecrm knows.
func (f *fieldReader) currency(name string) string {
	v := f.r.fields[name]
	if _, ok := ecrm.CurrencyMinorUnits(v); !ok {
		f.fail(name)
	}
	return v
}

// date is a required YYYY-MM-DD no later than latest.
func (f *fieldReader) date(name string, latest time.Time) time.Time {
	d, err := time.Parse(time.DateOnly, f.r.fields[name])
	if err != nil || d.After(latest) || d.Year() < 1900 {
		f.fail(name)
	}
	return d
}

// number is a required decimal ("." point, no exponent) with at most
// places decimal places (more would be rounded away by the column), within
// (low, high) — low included when lowIncluded.
func (f *fieldReader) number(name string, places int32, low decimal.Decimal, lowIncluded bool, high decimal.Decimal) decimal.Decimal {
	d, err := ecrm.ParseDecimal(f.r.fields[name])
	if err != nil || !d.Equal(d.Truncate(places)) || d.LessThan(low) || (!lowIncluded && d.Equal(low)) || !d.LessThan(high) {
		f.fail(name)
	}
	return d
}

// unused names the fields given that the row's type does not use: a value
// where none belongs is a mistake in the file, not something to ignore.
func (f *fieldReader) unused(used []string) {
	for k, v := range f.r.fields {
		if v != "" && !slices.Contains(used, k) {
			f.fail(k)
		}
	}
}

// problem is the row's problem when a field is bad, nil otherwise.
func (f *fieldReader) problem() *MarketProblem {
	if len(f.bad) == 0 {
		return nil
	}
	slices.Sort(f.bad)
	f.bad = slices.Compact(f.bad)
	return &MarketProblem{Line: f.r.line, Code: ProblemInvalid, Fields: f.bad, Reason: "missing or invalid: " + strings.Join(f.bad, ", ")}
}

// list splits a list field (";" in CSV, an array in JSON) into its
// distinct, non-empty values in order.
func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, listSeparator) {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
