package crosssell

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Outcome is the name of the outcome column every labelled file carries:
// yes when the contacted client took the product up.
const Outcome = "y"

// Dataset is a labelled CSV file held as its text: one row per contacted
// client, the outcome parsed, every other field kept as written so that
// the layout (which columns are numbers, which levels a category has) is
// decided from the training rows only.
type Dataset struct {
	Columns   []string   // the header, Outcome included
	Rows      [][]string // the fields of each data row, in header order
	Lines     []int      // the file line each row starts on, for messages
	Labels    []bool     // the outcome of each row
	Separator rune       // ';' or ','
	outcome   int        // index of Outcome in Columns
}

// ReadDataset reads a labelled CSV file: a header line, then one row per
// contacted client. The separator is ';' or ',', whichever the header has
// more of outside quotes (the bank telemarketing file uses ';',
// spreadsheets export ','). Fields may be quoted. Everything that would
// make a model silently wrong is refused with the line or the column
// named: a ragged row, a missing outcome column, an outcome other than
// yes/no (or 1/0), NaN or infinity in any field.
func ReadDataset(r io.Reader) (*Dataset, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a spreadsheet's byte-order mark
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the file is empty: want a header line and one row per contacted client")
	}
	sep := detectSeparator(data)
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = sep
	cr.FieldsPerRecord = -1 // checked here, to name the line in our words
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, csvError(err)
	}
	hl, _ := cr.FieldPos(0)
	ds := &Dataset{Separator: sep, outcome: -1}
	seen := make(map[string]bool, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		switch {
		case h == "":
			return nil, fmt.Errorf("line %d: column %d has no name", hl, i+1)
		case seen[h]:
			return nil, fmt.Errorf("line %d: column %q appears twice", hl, h)
		}
		seen[h] = true
		if h == Outcome {
			ds.outcome = i
		}
		ds.Columns = append(ds.Columns, h)
	}
	if ds.outcome < 0 {
		return nil, fmt.Errorf("no outcome column %q in the header (%s): it must say yes or no for each client", Outcome, strings.Join(ds.Columns, ", "))
	}
	if len(ds.Columns) < 2 {
		return nil, fmt.Errorf("the header has only the outcome column %q: nothing to learn from", Outcome)
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(ds.Columns) {
			return nil, fmt.Errorf("line %d: %d fields, the header has %d", line, len(rec), len(ds.Columns))
		}
		for i, v := range rec {
			v = strings.TrimSpace(v)
			rec[i] = v
			if f, err := strconv.ParseFloat(v, 64); err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
				return nil, fmt.Errorf("line %d: column %q is %s: leave the field empty when the value is unknown", line, ds.Columns[i], v)
			}
		}
		y, err := parseOutcome(rec[ds.outcome])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		ds.Rows = append(ds.Rows, rec)
		ds.Lines = append(ds.Lines, line)
		ds.Labels = append(ds.Labels, y)
	}
	if len(ds.Rows) == 0 {
		return nil, errors.New("the file has a header but no rows")
	}
	return ds, nil
}

// parseOutcome accepts yes/no in any case, and 1/0 as statistics packages
// write them.
func parseOutcome(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "yes", "1":
		return true, nil
	case "no", "0":
		return false, nil
	case "":
		return false, fmt.Errorf("%s is empty: want yes or no", Outcome)
	}
	return false, fmt.Errorf("%s is %q: want yes or no (or 1 or 0)", Outcome, v)
}

// detectSeparator counts ';' and ',' in the header line outside quotes.
// A tie (a one-column header) falls to ',' and is then refused for having
// no outcome column or nothing beside it.
func detectSeparator(data []byte) rune {
	semi, comma := 0, 0
	quoted := false
	for _, c := range data {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\n':
			if semi > comma {
				return ';'
			}
			return ','
		case c == ';':
			semi++
		case c == ',':
			comma++
		}
	}
	if semi > comma {
		return ';'
	}
	return ','
}

// csvError turns encoding/csv's error into "line N: reason".
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d: %v", pe.Line, pe.Err)
	}
	return err
}

// column returns the index of the named column, or -1.
func (ds *Dataset) column(name string) int { return slices.Index(ds.Columns, name) }

// Positives counts the rows whose outcome is yes.
func (ds *Dataset) Positives() int {
	n := 0
	for _, y := range ds.Labels {
		if y {
			n++
		}
	}
	return n
}
