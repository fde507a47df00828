// Package sheet writes tables for people to open in a spreadsheet: CSV
// (encoding/csv) and .xlsx (excelize's stream writer, which spills to a
// temporary file instead of holding a large export in memory). Every export
// of ecrm writes its rows through here, so every cell is neutralised the
// same way against formula injection.
//
// Formula injection: a client's name comes from an identity provider's
// claims or a form, so "=HYPERLINK(\"http://evil.example\",\"Radu\")" could
// reach a regulator's spreadsheet as a live formula. Following OWASP's rule
// (https://owasp.org/www-community/attacks/CSV_Injection), a cell that
// starts with =, +, -, @, a tab or a carriage return is written with a
// single quote in front, which spreadsheets show as text; a plain number
// such as -350.00 is left as it is. To get the value
// back (e.g. to recompute a hash), drop one leading ' from a cell whose
// second character is one of those.
package sheet

import (
	"encoding/csv"
	"io"
	"net/http"

	"github.com/xuri/excelize/v2"
)

// Neutralize returns the cell as it is written: with a ' in front when it
// starts with a character a spreadsheet would read as a formula. A plain
// number ("-350.00", "+7") is left as it is: it is no formula, and an
// amount must stay a number.
func Neutralize(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if plainNumber(cell) {
			return cell
		}
		return "'" + cell
	}
	return cell
}

// plainNumber reports whether s is a sign, digits and at most one point.
func plainNumber(s string) bool {
	digits, point := 0, false
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point:
			point = true
		case (c == '-' || c == '+') && i == 0:
		default:
			return false
		}
	}
	return digits > 0
}

// Writer writes rows of text cells into one or more sheets.
type Writer interface {
	// Sheet starts a new sheet (a new worksheet in .xlsx; an empty line in
	// CSV, which has no sheets).
	Sheet(name string) error
	// Row writes one row; every cell goes through Neutralize.
	Row(cells ...string) error
	// Close finishes the file. Nothing may be written after it.
	Close() error
}

// CSV writes comma-separated values, RFC 4180 quoting.
type CSV struct {
	w     *csv.Writer
	cells []string
	rows  int
}

// NewCSV returns a CSV writer on w.
func NewCSV(w io.Writer) *CSV { return &CSV{w: csv.NewWriter(w)} }

// Sheet writes an empty line (skipped by CSV readers) before the next
// sheet's rows; the first sheet needs none.
func (c *CSV) Sheet(string) error {
	if c.rows == 0 {
		return nil
	}
	return c.w.Write([]string{""})
}

// Row writes one record.
func (c *CSV) Row(cells ...string) error {
	c.cells = c.cells[:0]
	for _, cell := range cells {
		c.cells = append(c.cells, Neutralize(cell))
	}
	c.rows++
	return c.w.Write(c.cells)
}

// Close flushes what is buffered.
func (c *CSV) Close() error {
	c.w.Flush()
	return c.w.Error()
}

// XLSXCellLimit is the most characters a cell holds in Excel; a longer cell
// is cut and ends with "…".
const XLSXCellLimit = 32767

// XLSX writes an .xlsx workbook, one stream writer per sheet.
type XLSX struct {
	out    io.Writer
	f      *excelize.File
	sw     *excelize.StreamWriter
	next   int
	values []any
}

// NewXLSX returns an .xlsx writer that writes the workbook to w on Close.
func NewXLSX(w io.Writer) *XLSX { return &XLSX{out: w, f: excelize.NewFile()} }

// Sheet starts a worksheet; the first takes the place of the empty
// workbook's "Sheet1".
func (x *XLSX) Sheet(name string) error {
	if x.sw == nil {
		if err := x.f.SetSheetName("Sheet1", name); err != nil {
			return err
		}
	} else {
		if err := x.sw.Flush(); err != nil {
			return err
		}
		if _, err := x.f.NewSheet(name); err != nil {
			return err
		}
	}
	sw, err := x.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	x.sw, x.next = sw, 1
	return nil
}

// Row writes one row of string cells (never formulas).
func (x *XLSX) Row(cells ...string) error {
	if x.sw == nil {
		if err := x.Sheet("Sheet1"); err != nil {
			return err
		}
	}
	cell, err := excelize.CoordinatesToCellName(1, x.next)
	if err != nil {
		return err
	}
	x.next++
	x.values = x.values[:0]
	for _, c := range cells {
		c = Neutralize(c)
		if len(c) > XLSXCellLimit {
			cut := XLSXCellLimit - len("…")
			for cut > 0 && c[cut]&0xC0 == 0x80 {
				cut--
			}
			c = c[:cut] + "…"
		}
		x.values = append(x.values, c)
	}
	return x.sw.SetRow(cell, x.values)
}

// Close writes the workbook and frees its temporary files.
func (x *XLSX) Close() error {
	defer x.f.Close()
	if x.sw != nil {
		if err := x.sw.Flush(); err != nil {
			return err
		}
	}
	return x.f.Write(x.out)
}

// Download starts a spreadsheet download of name (its extension is
// format's): the content type of the format (xlsx, else CSV), the file
// name, and no caching — the rows are a person's or a firm's data.
func Download(w http.ResponseWriter, name, format string) Writer {
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+"."+format+`"`)
	w.Header().Set("Cache-Control", "no-store")
	if format == "xlsx" {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		return NewXLSX(w)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	return NewCSV(w)
}
