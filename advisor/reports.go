package advisor

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/chart"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/sheet"
)

// Reports for managers: deals won and lost by month, conversion by lead
// source, tasks by advisor, offers by product, clients by segment — for a
// period, each as a chart with its table, exported to .xlsx or CSV. An
// advisor reads her own figures; compliance and admin read everyone's.

// Report is one report: its rows (label, then values) and the chart
// drawn from them.
type Report struct {
	ID      string
	Columns []string // catalogue keys of the value columns
	Rows    []ReportRow
	Chart   template.HTML
}

// ReportRow is a label and its values, already written in the reader's
// format.
type ReportRow struct {
	Label  string
	Values []string
}

type reportsPage struct {
	From, To string
	Reports  []Report
	Error    string
}

// reportPeriod reads from/to (YYYY-MM-DD, both included); the last twelve
// months by default.
func (h *Handler) reportPeriod(r *http.Request) (from, to time.Time, err error) {
	now := h.store.now().In(h.store.loc)
	to = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, h.store.loc)
	from = to.AddDate(-1, 0, 1)
	q := r.URL.Query()
	parse := func(s string) (time.Time, bool) {
		t, err := time.ParseInLocation(time.DateOnly, s, h.store.loc)
		return t, err == nil
	}
	if s := q.Get("from"); s != "" {
		var ok bool
		if from, ok = parse(s); !ok {
			return from, to, ecrm.FieldErrorf("from", "console.reports.error.date")
		}
	}
	if s := q.Get("to"); s != "" {
		var ok bool
		if to, ok = parse(s); !ok {
			return from, to, ecrm.FieldErrorf("to", "console.reports.error.date")
		}
	}
	if to.Before(from) || to.Sub(from) > 5*366*24*time.Hour {
		return from, to, ecrm.FieldErrorf("to", "console.reports.error.period")
	}
	return from, to, nil
}

func (h *Handler) showReports(w http.ResponseWriter, r *http.Request) {
	sc, err := ReadScope(ecrm.PrincipalFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	from, to, err := h.reportPeriod(r)
	l := i18n.FromContext(r.Context())
	if err != nil {
		h.render(w, r, http.StatusUnprocessableEntity, "console_reports", reportsPage{From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to"),
			Error: l.T(ecrm.ErrorMessage(err))})
		return
	}
	reports, err := h.reports(r.Context(), l, sc, from, to)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if format := r.URL.Query().Get("format"); format == "xlsx" || format == "csv" {
		h.exportReports(w, l, reports, format, from, to)
		return
	}
	h.render(w, r, http.StatusOK, "console_reports", reportsPage{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Reports: reports})
}

func (h *Handler) exportReports(w http.ResponseWriter, l *i18n.Localizer, reports []Report, format string, from, to time.Time) {
	name := "reports-" + from.Format(time.DateOnly) + "-" + to.Format(time.DateOnly) + "." + format
	var out sheet.Writer
	if format == "xlsx" {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		out = sheet.NewXLSX(w)
	} else {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		out = sheet.NewCSV(w)
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	for _, rep := range reports {
		if err := out.Sheet(l.T("console.reports." + rep.ID + ".sheet")); err != nil {
			return
		}
		header := []string{l.T("console.reports." + rep.ID + ".label")}
		for _, c := range rep.Columns {
			header = append(header, l.T(c))
		}
		if out.Row(header...) != nil {
			return
		}
		for _, row := range rep.Rows {
			if out.Row(append([]string{row.Label}, row.Values...)...) != nil {
				return
			}
		}
	}
	out.Close()
}

// reports computes every report for the scope and period.
func (h *Handler) reports(ctx context.Context, l *i18n.Localizer, sc Scope, from, to time.Time) ([]Report, error) {
	end := to.AddDate(0, 0, 1)
	advisor := sc.advisorFilter()
	count := func(d decimal.Decimal) string { return l.Decimal(d, 0) }
	var out []Report

	// Deals won and lost by month of closing.
	rows, err := h.store.pool.Query(ctx, `SELECT to_char(d.closed_at AT TIME ZONE $4, 'YYYY-MM'), count(*) FILTER (WHERE d.status = 'won'),
			count(*) FILTER (WHERE d.status = 'lost'), coalesce(sum(d.amount) FILTER (WHERE d.status = 'won' AND d.currency = 'RON'), 0)
		FROM deals d
		WHERE d.closed_at >= $1 AND d.closed_at < $2 AND `+dealScope+`
		GROUP BY 1 ORDER BY 1`, from, end, advisor, h.store.loc.String())
	if err != nil {
		return nil, fmt.Errorf("report deals by month: %w", err)
	}
	won := Report{ID: "deals_by_month", Columns: []string{"console.reports.won", "console.reports.lost", "console.reports.won_amount"}}
	var months []string
	var wonN, lostN []decimal.Decimal
	if err := scanEach(rows, func(r pgx.Rows) error {
		var month string
		var w, lo int64
		var amount decimal.Decimal
		if err := r.Scan(&month, &w, &lo, &amount); err != nil {
			return err
		}
		months = append(months, month)
		wonN, lostN = append(wonN, decimal.NewFromInt(w)), append(lostN, decimal.NewFromInt(lo))
		won.Rows = append(won.Rows, ReportRow{Label: month, Values: []string{strconv.FormatInt(w, 10), strconv.FormatInt(lo, 10),
			l.Money(ecrm.Money{Amount: amount, Currency: "RON"})}})
		return nil
	}); err != nil {
		return nil, err
	}
	won.Chart = chart.Bars{Title: l.T("console.reports.deals_by_month.title"), Categories: months, Format: count,
		Series: []chart.Series{{Name: l.T("console.reports.won"), Values: wonN}, {Name: l.T("console.reports.lost"), Values: lostN}}}.SVG()
	out = append(out, won)

	// Conversion by lead source, of the deals closed in the period.
	rows, err = h.store.pool.Query(ctx, `SELECT d.source, count(*) FILTER (WHERE d.status = 'won'), count(*) FILTER (WHERE d.status = 'lost')
		FROM deals d
		WHERE d.closed_at >= $1 AND d.closed_at < $2 AND `+dealScope+`
		GROUP BY 1 ORDER BY 1`, from, end, advisor)
	if err != nil {
		return nil, fmt.Errorf("report conversion: %w", err)
	}
	conv := Report{ID: "conversion", Columns: []string{"console.reports.won", "console.reports.lost", "console.reports.conversion_rate"}}
	var sources []string
	var rates []decimal.Decimal
	if err := scanEach(rows, func(r pgx.Rows) error {
		var source string
		var w, lo int64
		if err := r.Scan(&source, &w, &lo); err != nil {
			return err
		}
		rate := decimal.Zero
		if w+lo > 0 {
			rate = decimal.NewFromInt(w).Div(decimal.NewFromInt(w + lo))
		}
		name := l.T("console.deal.source." + source)
		sources, rates = append(sources, name), append(rates, rate.Shift(2).Round(1))
		conv.Rows = append(conv.Rows, ReportRow{Label: name, Values: []string{strconv.FormatInt(w, 10), strconv.FormatInt(lo, 10), l.Percent(rate, 1)}})
		return nil
	}); err != nil {
		return nil, err
	}
	conv.Chart = chart.Bars{Title: l.T("console.reports.conversion.title"), Categories: sources,
		Format: func(d decimal.Decimal) string { return l.Decimal(d, 0) + "%" },
		Series: []chart.Series{{Name: l.T("console.reports.conversion_rate"), Values: rates}}}.SVG()
	out = append(out, conv)

	// Tasks by advisor: done in the period, overdue now.
	// Two index-only counts (tasks_done_idx, tasks_assignee_idx), joined
	// to names for the twenty advisors with the most overdue.
	rows, err = h.store.pool.Query(ctx, `WITH done AS (
			SELECT assignee_staff_id AS staff, count(*) AS n FROM tasks
			WHERE status = 'done' AND completed_at >= $1 AND completed_at < $2 AND ($3::bigint IS NULL OR assignee_staff_id = $3)
			GROUP BY 1
		), late AS (
			SELECT assignee_staff_id AS staff, count(*) AS n FROM tasks
			WHERE status = 'open' AND due_at < $4 AND ($3::bigint IS NULL OR assignee_staff_id = $3)
			GROUP BY 1
		)
		SELECT su.display_name, coalesce(done.n, 0), coalesce(late.n, 0)
		FROM done FULL JOIN late ON late.staff = done.staff JOIN staff_users su ON su.id = coalesce(done.staff, late.staff)
		ORDER BY 3 DESC, 2 DESC, su.display_name LIMIT 20`, from, end, advisor, h.store.now())
	if err != nil {
		return nil, fmt.Errorf("report tasks: %w", err)
	}
	tasks := Report{ID: "tasks", Columns: []string{"console.reports.tasks_done", "console.reports.tasks_overdue"}}
	var names []string
	var done, overdue []decimal.Decimal
	if err := scanEach(rows, func(r pgx.Rows) error {
		var name string
		var d, o int64
		if err := r.Scan(&name, &d, &o); err != nil {
			return err
		}
		names, done, overdue = append(names, name), append(done, decimal.NewFromInt(d)), append(overdue, decimal.NewFromInt(o))
		tasks.Rows = append(tasks.Rows, ReportRow{Label: name, Values: []string{strconv.FormatInt(d, 10), strconv.FormatInt(o, 10)}})
		return nil
	}); err != nil {
		return nil, err
	}
	tasks.Chart = chart.Bars{Title: l.T("console.reports.tasks.title"), Categories: names, Format: count,
		Series: []chart.Series{{Name: l.T("console.reports.tasks_done"), Values: done}, {Name: l.T("console.reports.tasks_overdue"), Values: overdue}}}.SVG()
	out = append(out, tasks)

	// Clients by segment.
	rows, err = h.store.pool.Query(ctx, `SELECT segment, count(*) FROM clients WHERE $1::bigint IS NULL OR advisor_id = $1 GROUP BY 1 ORDER BY 2 DESC`, advisor)
	if err != nil {
		return nil, fmt.Errorf("report segments: %w", err)
	}
	seg := Report{ID: "segments", Columns: []string{"console.reports.clients"}}
	var segNames []string
	var segN []decimal.Decimal
	if err := scanEach(rows, func(r pgx.Rows) error {
		var s string
		var n int64
		if err := r.Scan(&s, &n); err != nil {
			return err
		}
		name := l.T("console.segment." + s)
		segNames, segN = append(segNames, name), append(segN, decimal.NewFromInt(n))
		seg.Rows = append(seg.Rows, ReportRow{Label: name, Values: []string{l.Decimal(decimal.NewFromInt(n), 0)}})
		return nil
	}); err != nil {
		return nil, err
	}
	seg.Chart = chart.Bars{Title: l.T("console.reports.segments.title"), Categories: segNames, Format: count,
		Series: []chart.Series{{Name: l.T("console.reports.clients"), Values: segN}}}.SVG()
	out = append(out, seg)
	return out, nil
}

// dealScope limits deals d to an advisor's ($3: hers and her book's
// clients'); with $3 NULL it is true and reads no client.
const dealScope = `($3::bigint IS NULL OR d.owner_staff_id = $3 OR EXISTS (SELECT 1 FROM clients c WHERE c.id = d.client_id AND c.advisor_id = $3))`

func scanEach(rows pgx.Rows, fn func(pgx.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
