package risk

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// A credit bureau's report of a client's credit elsewhere, one row per
// line and month, in CSV (with this header) or as a JSON array of objects
// with these names:
//
//	client_id      the client's number in ecrm
//	lender         the lending institution, as the bureau names it
//	reference      the bureau's reference of the credit line
//	kind           mortgage, consumer_loan, car_loan, credit_card or overdraft
//	currency       ISO 4217
//	credit_limit   the amount lent or the card's limit (decimal, "." point)
//	balance        what was owed at the end of the month
//	opened_on      YYYY-MM-DD
//	period         the month reported, YYYY-MM
//	amount_due     due in the month
//	amount_paid    paid in the month
//	status         on_time, late_30, late_60, late_90_plus or default
//	line_status    active, closed, defaulted or written_off
//
// A bad row is reported with its line number (the header is line 1) and
// the fields at fault; the good rows are applied together, in one
// transaction. Importing the same file again changes nothing: a line is
// known by client, lender and reference, a month by line and period.
var bureauColumns = []string{"client_id", "lender", "reference", "kind", "currency", "credit_limit", "balance", "opened_on",
	"period", "amount_due", "amount_paid", "status", "line_status"}

var (
	creditKinds    = []string{"mortgage", "consumer_loan", "car_loan", "credit_card", "overdraft"}
	paymentStatus  = []string{"on_time", "late_30", "late_60", "late_90_plus", "default"}
	lineStatuses   = []string{"active", "closed", "defaulted", "written_off"}
	maxBureauRows  = 200_000
	maxBureauField = 200
)

// BureauRow is one row of a bureau report, as read.
type BureauRow map[string]string

// RowProblem is a rejected row: its line and what is wrong. Code says
// which problem it is, for a page to say it in the reader's language:
// ProblemInvalid (the Fields are missing or malformed), ProblemUnknownClient
// or ProblemBalance (the balance is above one and a half times the limit);
// Reason says it in English.
type RowProblem struct {
	Line   int      `json:"line"`
	Code   string   `json:"code"`
	Fields []string `json:"fields"`
	Reason string   `json:"reason"`
}

// Row problem codes.
const (
	ProblemInvalid       = "invalid"
	ProblemUnknownClient = "unknown_client"
	ProblemBalance       = "balance_above_limit"
)

// ImportResult says what an import did.
type ImportResult struct {
	Rows     int          `json:"rows"`
	Applied  int          `json:"applied"`  // good rows
	Lines    int          `json:"lines"`    // credit lines created
	Months   int          `json:"months"`   // monthly records created or changed
	Rejected []RowProblem `json:"rejected"` // bad rows, by line
	Clients  int          `json:"clients"`  // clients named by good rows, their credit scores recomputed
}

// FileProblem is a report that cannot be read at all. Code says which
// problem, for a page to say it in the reader's language: FileNoHeader,
// FileMissingColumn (Column names it), FileTooManyRows, FileMalformed
// (CSV or JSON that does not parse; Line is where, when known),
// FileUnknownColumn (a market data file's column that its layout does not
// have, Column names it: a misspelt column would otherwise be ignored).
// What names the file in English ("bureau report" when empty) and Max is
// the row limit of FileTooManyRows (the bureau's when 0).
type FileProblem struct {
	Code   string
	Column string
	Line   int
	Err    error
	What   string
	Max    int
}

// File problem codes.
const (
	FileNoHeader      = "no_header"
	FileMissingColumn = "missing_column"
	FileTooManyRows   = "too_many_rows"
	FileMalformed     = "malformed"
	FileUnknownColumn = "unknown_column"
)

func (p *FileProblem) Error() string {
	what := cmp.Or(p.What, "bureau report")
	switch p.Code {
	case FileNoHeader:
		return fmt.Sprintf("%s: no header: %v", what, p.Err)
	case FileMissingColumn:
		return what + ": the header lacks the column " + p.Column
	case FileUnknownColumn:
		return what + ": unknown column " + p.Column
	case FileTooManyRows:
		return fmt.Sprintf("%s: more than %d rows; split the file", what, cmp.Or(p.Max, maxBureauRows))
	}
	return fmt.Sprintf("%s: %v", what, p.Err)
}

func (p *FileProblem) Unwrap() error { return p.Err }

// ReadBureau reads a report in either layout: JSON when its first
// character (after white space) is "[", CSV otherwise.
func ReadBureau(data []byte) ([]BureauRow, error) {
	if strings.HasPrefix(strings.TrimSpace(string(data)), "[") {
		return ReadBureauJSON(bytes.NewReader(data))
	}
	return ReadBureauCSV(bytes.NewReader(data))
}

// ReadBureauCSV reads a report in CSV; the header must name the columns.
func ReadBureauCSV(r io.Reader) ([]BureauRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, &FileProblem{Code: FileNoHeader, Err: err}
	}
	for i := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
	}
	for _, c := range bureauColumns {
		if !slices.Contains(header, c) {
			return nil, &FileProblem{Code: FileMissingColumn, Column: c}
		}
	}
	var rows []BureauRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			p := &FileProblem{Code: FileMalformed, Err: err}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				p.Line = pe.Line
			}
			return nil, p
		}
		if len(rows) >= maxBureauRows {
			return nil, &FileProblem{Code: FileTooManyRows}
		}
		row := BureauRow{}
		for i, c := range header {
			if i < len(rec) {
				row[c] = strings.TrimSpace(rec[i])
			}
		}
		rows = append(rows, row)
	}
}

// ReadBureauJSON reads a report as a JSON array of objects.
func ReadBureauJSON(r io.Reader) ([]BureauRow, error) {
	var raw []map[string]any
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, &FileProblem{Code: FileMalformed, Err: fmt.Errorf("not a JSON array of objects: %w", err)}
	}
	if len(raw) > maxBureauRows {
		return nil, &FileProblem{Code: FileTooManyRows}
	}
	rows := make([]BureauRow, len(raw))
	for i, obj := range raw {
		rows[i] = BureauRow{}
		for k, v := range obj {
			rows[i][k] = strings.TrimSpace(fmt.Sprint(v))
		}
	}
	return rows, nil
}

// parsedRow is a row that passed validation.
type parsedRow struct {
	line                              int
	client                            int64
	lender, reference, kind, currency string
	limit, balance, due, paid         decimal.Decimal
	opened, period                    time.Time
	status, lineStatus                string
}

func parseRow(line int, r BureauRow) (parsedRow, *RowProblem) {
	p := parsedRow{line: line}
	var bad []string
	field := func(name string) string {
		v := r[name]
		if len(v) > maxBureauField || ecrm.CheckText(v) != nil {
			bad = append(bad, name)
			return ""
		}
		return v
	}
	var err error
	if p.client, err = strconv.ParseInt(field("client_id"), 10, 64); err != nil || p.client <= 0 {
		bad = append(bad, "client_id")
	}
	if p.lender = field("lender"); p.lender == "" {
		bad = append(bad, "lender")
	}
	if p.reference = field("reference"); p.reference == "" {
		bad = append(bad, "reference")
	}
	if p.kind = field("kind"); !slices.Contains(creditKinds, p.kind) {
		bad = append(bad, "kind")
	}
	p.currency = field("currency")
	units, known := ecrm.CurrencyMinorUnits(p.currency)
	if !known {
		bad = append(bad, "currency")
	}
	amount := func(name string, positive bool) decimal.Decimal {
		d, err := ecrm.ParseDecimal(field(name))
		if err != nil || d.IsNegative() || (positive && d.IsZero()) || d.GreaterThan(decimal.New(1, 15)) || (known && !d.Equal(d.Truncate(units))) {
			bad = append(bad, name)
		}
		return d
	}
	p.limit = amount("credit_limit", true)
	p.balance = amount("balance", false)
	p.due = amount("amount_due", false)
	p.paid = amount("amount_paid", false)
	if p.opened, err = time.Parse(time.DateOnly, field("opened_on")); err != nil {
		bad = append(bad, "opened_on")
	}
	if p.period, err = time.Parse("2006-01", field("period")); err != nil || (err == nil && !p.opened.IsZero() && p.period.Before(p.opened.AddDate(0, 0, 1-p.opened.Day()))) {
		bad = append(bad, "period")
	}
	if p.status = field("status"); !slices.Contains(paymentStatus, p.status) {
		bad = append(bad, "status")
	}
	if p.lineStatus = field("line_status"); !slices.Contains(lineStatuses, p.lineStatus) {
		bad = append(bad, "line_status")
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		bad = slices.Compact(bad)
		return p, &RowProblem{Line: line, Code: ProblemInvalid, Fields: bad, Reason: "invalid " + strings.Join(bad, ", ")}
	}
	if p.balance.GreaterThan(p.limit.Mul(decimal.RequireFromString("1.5"))) {
		return p, &RowProblem{Line: line, Code: ProblemBalance, Fields: []string{"balance"}, Reason: "balance above one and a half times the credit limit"}
	}
	return p, nil
}

// ImportBureau applies a report's good rows in one transaction and names
// the bad ones. A row for a client ecrm does not know is a bad row. The
// credit scores of the clients it names are recomputed in the same
// transaction, so eligibility sees the new record as soon as it exists.
func ImportBureau(ctx context.Context, pool *pgxpool.Pool, rows []BureauRow) (ImportResult, error) {
	return importBureau(ctx, pool, rows, time.Now())
}

// importBureau is ImportBureau with the scores computed as of asOf.
func importBureau(ctx context.Context, pool *pgxpool.Pool, rows []BureauRow, asOf time.Time) (ImportResult, error) {
	res := ImportResult{Rows: len(rows), Rejected: []RowProblem{}}
	var good []parsedRow
	for i, r := range rows {
		p, problem := parseRow(i+2, r)
		if problem != nil {
			res.Rejected = append(res.Rejected, *problem)
			continue
		}
		good = append(good, p)
	}
	parseProblems := len(res.Rejected)
	err := pgdb.Transact(ctx, pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		// A retried transaction starts again from the parsed rows.
		res.Lines, res.Months, res.Applied, res.Rejected = 0, 0, 0, res.Rejected[:parseProblems]
		known := map[int64]bool{}
		lines := map[string]int64{}
		latest := map[int64]parsedRow{}
		for _, p := range good {
			exists, seen := known[p.client]
			if !seen {
				if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM clients WHERE id = $1)`, p.client).Scan(&exists); err != nil {
					return err
				}
				known[p.client] = exists
			}
			if !exists {
				res.Rejected = append(res.Rejected, RowProblem{Line: p.line, Code: ProblemUnknownClient, Fields: []string{"client_id"}, Reason: "no client with this number"})
				continue
			}
			key := fmt.Sprintf("%d\x00%s\x00%s", p.client, p.lender, p.reference)
			id, ok := lines[key]
			if !ok {
				err := tx.QueryRow(ctx, `SELECT id FROM credit_lines WHERE source = 'bureau' AND client_id = $1 AND lender = $2 AND bureau_ref = $3`,
					p.client, p.lender, p.reference).Scan(&id)
				if errors.Is(err, pgx.ErrNoRows) {
					err = tx.QueryRow(ctx, `INSERT INTO credit_lines (client_id, kind, source, lender, bureau_ref, credit_limit, balance, currency, opened_on, status, closed_on)
						VALUES ($1, $2, 'bureau', $3, $4, $5, $6, $7, $8, $9, CASE WHEN $9 = 'closed' THEN $10::date END) RETURNING id`,
						p.client, p.kind, p.lender, p.reference, p.limit, p.balance, p.currency, p.opened, p.lineStatus, p.period.AddDate(0, 1, -1)).Scan(&id)
					res.Lines++
				}
				if err != nil {
					return err
				}
				lines[key] = id
			}
			tag, err := tx.Exec(ctx, `INSERT INTO credit_payments (credit_line_id, client_id, period, amount_due, amount_paid, currency, status)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (credit_line_id, period) DO UPDATE SET amount_due = excluded.amount_due, amount_paid = excluded.amount_paid, status = excluded.status
				WHERE (credit_payments.amount_due, credit_payments.amount_paid, credit_payments.status) IS DISTINCT FROM (excluded.amount_due, excluded.amount_paid, excluded.status)`,
				id, p.client, p.period, p.due, p.paid, p.currency, p.status)
			if err != nil {
				return err
			}
			res.Months += int(tag.RowsAffected())
			res.Applied++
			if l, ok := latest[id]; !ok || p.period.After(l.period) {
				latest[id] = p
			}
		}
		// Each line takes its balance, payment and state from its latest
		// month in the file.
		for id, p := range latest {
			if _, err := tx.Exec(ctx, `UPDATE credit_lines SET balance = $2, monthly_payment = $3, status = $4,
				closed_on = CASE WHEN $4 = 'closed' THEN coalesce(closed_on, $5::date) END
				WHERE id = $1 AND (balance, coalesce(monthly_payment, -1), status) IS DISTINCT FROM ($2, $3, $4)`,
				id, p.balance, p.due, p.lineStatus, p.period.AddDate(0, 1, -1)); err != nil {
				return err
			}
		}
		var clients []int64
		for id, exists := range known {
			if exists {
				clients = append(clients, id)
			}
		}
		slices.Sort(clients)
		res.Clients = len(clients)
		return RefreshScores(ctx, tx, asOf, clients...)
	})
	slices.SortFunc(res.Rejected, func(a, b RowProblem) int { return a.Line - b.Line })
	return res, err
}
