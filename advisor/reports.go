package advisor

import (
	"cmp"
	"context"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/chart"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/sheet"
)

// Reports for managers (issue 13, item 6): deals won and lost by month,
// conversion by lead source, tasks by advisor with the overdue ones,
// offers shown and answered by product and by engine, the most valuable
// clients, clients by segment and by life stage — each as a chart with its
// table, exported to .xlsx or CSV. Every report reads the same filter: a
// period, and optionally one advisor and one segment. An advisor reads her
// own figures only; compliance and admin read everyone's and may pick an
// advisor.
//
// All reports of a page are read in one read-only repeatable-read
// transaction, so their figures agree with each other.

// Report is one report: its rows (label, then values) and the chart
// drawn from them.
type Report struct {
	ID      string
	Columns []string // catalogue keys of the value columns
	Rows    []ReportRow
	Chart   template.HTML
	// Deferred is set when the report was not computed because it would
	// read too much for a page (the most valuable clients of the whole
	// firm); the page offers to compute it.
	Deferred bool
}

// ReportRow is a label and its values, already written in the reader's
// format. Href, when set, is where the label links to (a client's 360).
type ReportRow struct {
	Label  string
	Href   string
	Values []string
}

// ReportFilter is what the reports count.
type ReportFilter struct {
	// From and To are the period's first and last day (both included), at
	// midnight in the console's zone.
	From, To time.Time
	// Advisor limits the reports to one advisor: her deals (owned, or of
	// her clients), the tasks assigned to her, her clients and their
	// offers. Always the caller for an advisor; nil is everyone.
	Advisor *int64
	// Segment limits the reports to clients of one segment (and their
	// deals, tasks and offers); "" is every segment.
	Segment string
	// AllClients ranks the most valuable clients even when no advisor is
	// chosen: the ranking then reads every account of the firm (or of the
	// segment), seconds on a million clients, so it is computed only when
	// asked for (top=all).
	AllClients bool
}

// end is the first instant after the period.
func (f ReportFilter) end() time.Time { return f.To.AddDate(0, 0, 1) }

// maxReportPeriod bounds a period: five years of deals and offers is the
// most a report page reads at once.
const maxReportPeriod = 5 * 366 * 24 * time.Hour

// topClientsShown is how many clients the most valuable clients report
// lists per currency.
const topClientsShown = 20

// tasksShown is how many advisors the tasks report lists: those with the
// most overdue tasks.
const tasksShown = 20

type reportsPage struct {
	From, To string
	Advisor  string
	Segment  string
	// ChooseAdvisor shows the advisor select: compliance and admin pick
	// one; an advisor always reads her own figures.
	ChooseAdvisor bool
	Advisors      []advisorOption
	Segments      []string
	Reports       []Report
	Form          formErrors
	// XLSXHref and CSVHref export the page's reports with its filter;
	// AllClientsHref is the page with the firm-wide ranking of clients.
	XLSXHref, CSVHref, AllClientsHref string
}

type advisorOption struct {
	ID   string
	Name string
}

// reportFilter reads the filter of the query: from/to (YYYY-MM-DD, both
// included; the last twelve months by default), advisor (a staff id, only
// for a scope that reads everyone) and segment. Every field at fault is
// named in the error.
func (h *Handler) reportFilter(q url.Values, sc Scope, advisors []advisorOption) (ReportFilter, error) {
	now := h.store.now().In(h.store.loc)
	f := ReportFilter{To: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, h.store.loc)}
	f.From = f.To.AddDate(-1, 0, 1)
	var faults []ecrm.FieldError
	parse := func(s string) (time.Time, bool) {
		t, err := time.ParseInLocation(time.DateOnly, s, h.store.loc)
		return t, err == nil
	}
	datesOK := true
	if s := strings.TrimSpace(q.Get("from")); s != "" {
		var ok bool
		if f.From, ok = parse(s); !ok {
			faults, datesOK = append(faults, ecrm.FieldError{Field: "from", Message: "console.reports.error.date"}), false
		}
	}
	if s := strings.TrimSpace(q.Get("to")); s != "" {
		var ok bool
		if f.To, ok = parse(s); !ok {
			faults, datesOK = append(faults, ecrm.FieldError{Field: "to", Message: "console.reports.error.date"}), false
		}
	}
	if datesOK && (f.To.Before(f.From) || f.To.Sub(f.From) > maxReportPeriod) {
		faults = append(faults, ecrm.FieldError{Field: "to", Message: "console.reports.error.period"})
	}
	if sc.Book {
		// An advisor reads her own figures whatever the query says.
		id := sc.StaffID
		f.Advisor = &id
	} else if s := strings.TrimSpace(q.Get("advisor")); s != "" {
		if !slices.ContainsFunc(advisors, func(a advisorOption) bool { return a.ID == s }) {
			faults = append(faults, ecrm.FieldError{Field: "advisor", Message: "console.reports.error.advisor"})
		} else {
			id, _ := strconv.ParseInt(s, 10, 64)
			f.Advisor = &id
		}
	}
	if s := strings.TrimSpace(q.Get("segment")); s != "" {
		if !slices.Contains(Segments, s) {
			faults = append(faults, ecrm.FieldError{Field: "segment", Message: "console.reports.error.segment"})
		} else {
			f.Segment = s
		}
	}
	f.AllClients = q.Get("top") == "all"
	if len(faults) > 0 {
		return f, invalid(faults...)
	}
	return f, nil
}

// reportAdvisors lists the advisors compliance and admin may pick, by name.
func (h *Handler) reportAdvisors(ctx context.Context) ([]advisorOption, error) {
	rows, err := h.store.pool.Query(ctx, `SELECT id, display_name FROM staff_users WHERE 'advisor' = ANY (roles) ORDER BY display_name, id`)
	if err != nil {
		return nil, fmt.Errorf("report advisors: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (advisorOption, error) {
		var id int64
		var a advisorOption
		err := row.Scan(&id, &a.Name)
		a.ID = strconv.FormatInt(id, 10)
		return a, err
	})
}

func (h *Handler) showReports(w http.ResponseWriter, r *http.Request) {
	sc, err := ReadScope(ecrm.PrincipalFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var advisors []advisorOption
	if !sc.Book {
		if advisors, err = h.reportAdvisors(r.Context()); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	q := r.URL.Query()
	f, err := h.reportFilter(q, sc, advisors)
	data := reportsPage{ChooseAdvisor: !sc.Book, Advisors: advisors, Segments: Segments}
	if err != nil {
		data.From, data.To, data.Advisor, data.Segment = q.Get("from"), q.Get("to"), q.Get("advisor"), q.Get("segment")
		data.Form = newFormErrors(r, err)
		h.render(w, r, http.StatusUnprocessableEntity, "console_reports", data)
		return
	}
	l := i18n.FromContext(r.Context())
	reports, err := h.reports(r.Context(), l, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if format := q.Get("format"); format == "xlsx" || format == "csv" {
		h.exportReports(w, l, reports, format, f)
		return
	}
	data.From, data.To, data.Segment, data.Reports = f.From.Format(time.DateOnly), f.To.Format(time.DateOnly), f.Segment, reports
	data.Form = formErrors{ByField: map[string]string{}}
	export := url.Values{"from": {data.From}, "to": {data.To}}
	if f.Advisor != nil && !sc.Book {
		data.Advisor = strconv.FormatInt(*f.Advisor, 10)
		export.Set("advisor", data.Advisor)
	}
	if f.Segment != "" {
		export.Set("segment", f.Segment)
	}
	export.Set("top", "all")
	data.AllClientsHref = "/console/reports?" + export.Encode() + "#top_clients"
	if !f.AllClients {
		export.Del("top")
	}
	export.Set("format", "xlsx")
	data.XLSXHref = "/console/reports?" + export.Encode()
	export.Set("format", "csv")
	data.CSVHref = "/console/reports?" + export.Encode()
	h.render(w, r, http.StatusOK, "console_reports", data)
}

func (h *Handler) exportReports(w http.ResponseWriter, l *i18n.Localizer, reports []Report, format string, f ReportFilter) {
	out := sheet.Download(w, "reports-"+f.From.Format(time.DateOnly)+"-"+f.To.Format(time.DateOnly), format)
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
		if rep.Deferred && out.Row(l.T("console.reports."+rep.ID+".deferred_export")) != nil {
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

// reportLanes are the reports in two lanes of about equal cost (measured
// on the 1M-client seed: the clients' pass, deals by month and conversion
// against the year of offers and the tasks), each lane on a connection of
// its own so that both cores work. The page shows them in reportOrder.
var (
	reportOrder = []func(*reportContext) ([]Report, error){
		dealsByMonthReport, conversionReport, tasksReport, offersReports, topClientsReport, clientsReports,
		attractivenessReports,
	}
	reportLanes = [2][]int{{5, 0, 1, 4}, {3, 2, 6}}
)

// secondLaneWait is how long the reports wait for a second connection.
// A free one is taken at once; when every connection is busy the second
// lane runs after the first on the same one, rather than several report
// pages each holding a connection while waiting for another.
const secondLaneWait = 25 * time.Millisecond

// reports computes every report for the filter, in one snapshot: the
// second lane's transaction imports the first one's (pg_export_snapshot),
// so both read the database as of the same moment.
func (h *Handler) reports(ctx context.Context, l *i18n.Localizer, f ReportFilter) ([]Report, error) {
	results := make([][]Report, len(reportOrder))
	run := func(rc *reportContext, lane []int) error {
		for _, i := range lane {
			reps, err := reportOrder[i](rc)
			if err != nil {
				return err
			}
			results[i] = reps
		}
		return nil
	}
	// The typical value of each product family, for the expected value of
	// the clients' propensities (none without the arbiter).
	var values map[string]decimal.Decimal
	if h.nbo != nil {
		var err error
		if values, err = h.nbo.FamilyValues(ctx); err != nil {
			return nil, err
		}
	}
	// The reports' plans are cheap next to what PostgreSQL's JIT compiler
	// spends on them (2 of 12 s of the largest one).
	const noJIT = "SET LOCAL jit = off"
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, h.store.pool, opts, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, noJIT); err != nil {
			return err
		}
		rc := reportContext{ctx: ctx, tx: tx, l: l, f: f, now: h.store.now(), loc: h.store.loc, familyValues: values}
		waitCtx, cancelWait := context.WithTimeout(ctx, secondLaneWait)
		conn, err := h.store.pool.Acquire(waitCtx)
		cancelWait()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return run(&rc, slices.Concat(reportLanes[0], reportLanes[1]))
		}
		defer conn.Release()
		var snapshot string
		if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&snapshot); err != nil {
			return err
		}
		laneCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		rc.ctx = laneCtx
		rc2 := rc
		second := make(chan error, 1)
		go func() {
			second <- pgx.BeginTxFunc(laneCtx, conn, opts, func(tx2 pgx.Tx) error {
				// SET TRANSACTION SNAPSHOT takes no parameters; the
				// snapshot's name comes from the server.
				if _, err := tx2.Exec(laneCtx, "SET TRANSACTION SNAPSHOT '"+strings.ReplaceAll(snapshot, "'", "''")+"'"); err != nil {
					return err
				}
				if _, err := tx2.Exec(laneCtx, noJIT); err != nil {
					return err
				}
				rc2.tx = tx2
				return run(&rc2, reportLanes[1])
			})
		}()
		if err := run(&rc, reportLanes[0]); err != nil {
			cancel()
			<-second
			return err
		}
		return <-second
	})
	if err != nil {
		return nil, err
	}
	return slices.Concat(results...), nil
}

// reportContext is what each report reads: the snapshot, the reader's
// language, the filter and the clock.
type reportContext struct {
	ctx context.Context
	tx  pgx.Tx
	l   *i18n.Localizer
	f   ReportFilter
	now time.Time
	loc *time.Location
	// familyValues are the typical first-year margins of the product
	// families in EUR (crosssell.Arbiter.FamilyValues).
	familyValues map[string]decimal.Decimal
}

func (rc *reportContext) count(n int64) string { return rc.l.Decimal(decimal.NewFromInt(n), 0) }

func (rc *reportContext) countFormat(d decimal.Decimal) string { return rc.l.Decimal(d, 0) }

// queryArgs numbers a query's parameters as its conditions are written:
// each filter adds a condition only when it is set, so PostgreSQL plans
// each combination for what it reads (a firm-wide report never looks at a
// client row).
type queryArgs []any

func (a *queryArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// dealConditions selects the deals d closed in the period, of the filter's
// advisor (hers or her clients') and segment (the client's).
func (f ReportFilter) dealConditions(args *queryArgs) string {
	conds := []string{"d.closed_at >= " + args.add(f.From), "d.closed_at < " + args.add(f.end())}
	if f.Advisor != nil {
		p := args.add(*f.Advisor)
		conds = append(conds, "(d.owner_staff_id = "+p+" OR EXISTS (SELECT 1 FROM clients c WHERE c.id = d.client_id AND c.advisor_id = "+p+"))")
	}
	if f.Segment != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM clients c WHERE c.id = d.client_id AND c.segment = "+args.add(f.Segment)+")")
	}
	return strings.Join(conds, " AND ")
}

// clientConditions selects the clients c of the filter's advisor and
// segment; "true" when neither is set.
func (f ReportFilter) clientConditions(args *queryArgs) string {
	conds := []string{"true"}
	if f.Advisor != nil {
		conds = append(conds, "c.advisor_id = "+args.add(*f.Advisor))
	}
	if f.Segment != "" {
		conds = append(conds, "c.segment = "+args.add(f.Segment))
	}
	return strings.Join(conds, " AND ")
}

// clientOf is a condition on a row whose client is in column: that client
// is of the filter's advisor and segment; "true" when neither is set.
func (f ReportFilter) clientOf(column string, args *queryArgs) string {
	if f.Advisor == nil && f.Segment == "" {
		return "true"
	}
	return "EXISTS (SELECT 1 FROM clients c WHERE c.id = " + column + " AND " + f.clientConditions(args) + ")"
}

// dealsByMonthReport: deals won and lost by month of closing.
func dealsByMonthReport(rc *reportContext) ([]Report, error) {
	l := rc.l
	args := queryArgs{rc.loc.String()}
	// Months from date_trunc (written as 2026-10 here): to_char over
	// 200,000 deals costs a third of the query.
	rows, err := rc.tx.Query(rc.ctx, `SELECT date_trunc('month', d.closed_at AT TIME ZONE $1), count(*) FILTER (WHERE d.status = 'won'),
			count(*) FILTER (WHERE d.status = 'lost'), coalesce(sum(d.amount) FILTER (WHERE d.status = 'won' AND d.currency = 'RON'), 0)
		FROM deals d
		WHERE `+rc.f.dealConditions(&args)+`
		GROUP BY 1 ORDER BY 1`, args...)
	if err != nil {
		return nil, fmt.Errorf("report deals by month: %w", err)
	}
	rep := Report{ID: "deals_by_month", Columns: []string{"console.reports.won", "console.reports.lost", "console.reports.won_amount"}}
	var months []string
	var wonN, lostN []decimal.Decimal
	if err := scanEach(rows, func(r pgx.Rows) error {
		var start time.Time
		var w, lo int64
		var amount decimal.Decimal
		if err := r.Scan(&start, &w, &lo, &amount); err != nil {
			return err
		}
		month := start.Format("2006-01")
		months = append(months, month)
		wonN, lostN = append(wonN, decimal.NewFromInt(w)), append(lostN, decimal.NewFromInt(lo))
		rep.Rows = append(rep.Rows, ReportRow{Label: month, Values: []string{rc.count(w), rc.count(lo),
			l.Money(ecrm.Money{Amount: amount, Currency: "RON"})}})
		return nil
	}); err != nil {
		return nil, err
	}
	rep.Chart = chart.Bars{Title: l.T("console.reports.deals_by_month.title"), Categories: months, Format: rc.countFormat,
		Series: []chart.Series{{Name: l.T("console.reports.won"), Values: wonN}, {Name: l.T("console.reports.lost"), Values: lostN}}}.SVG()
	return []Report{rep}, nil
}

// conversionReport: of the deals closed in the period, the share won by
// lead source.
func conversionReport(rc *reportContext) ([]Report, error) {
	l := rc.l
	var args queryArgs
	rows, err := rc.tx.Query(rc.ctx, `SELECT d.source, count(*) FILTER (WHERE d.status = 'won'), count(*) FILTER (WHERE d.status = 'lost')
		FROM deals d
		WHERE `+rc.f.dealConditions(&args)+`
		GROUP BY 1 ORDER BY 1`, args...)
	if err != nil {
		return nil, fmt.Errorf("report conversion: %w", err)
	}
	rep := Report{ID: "conversion", Columns: []string{"console.reports.won", "console.reports.lost", "console.reports.conversion_rate"}}
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
		rep.Rows = append(rep.Rows, ReportRow{Label: name, Values: []string{rc.count(w), rc.count(lo), l.Percent(rate, 1)}})
		return nil
	}); err != nil {
		return nil, err
	}
	rep.Chart = chart.Bars{Title: l.T("console.reports.conversion.title"), Categories: sources,
		Format: func(d decimal.Decimal) string { return l.Percent(d.Shift(-2), 0) },
		Series: []chart.Series{{Name: l.T("console.reports.conversion_rate"), Values: rates}}}.SVG()
	return []Report{rep}, nil
}

// tasksReport: by advisor, the tasks done in the period, the tasks that
// went overdue in the period (due in it, before now, and still open when
// due: done late, cancelled late or not done yet) and the tasks overdue
// now (open past their deadline, whenever it was). The twenty advisors
// with the most overdue now are listed.
//
// Each count reads one index only when no segment is chosen: done tasks
// tasks_done_idx, late ones tasks_late_idx (migration 00032), open ones
// tasks_assignee_idx.
func tasksReport(rc *reportContext) ([]Report, error) {
	l := rc.l
	args := queryArgs{rc.f.From, rc.f.end(), rc.now}
	var conds string
	if rc.f.Advisor != nil {
		conds += " AND t.assignee_staff_id = " + args.add(*rc.f.Advisor)
	}
	if rc.f.Segment != "" {
		conds += " AND EXISTS (SELECT 1 FROM clients c WHERE c.id = t.client_id AND c.segment = " + args.add(rc.f.Segment) + ")"
	}
	rows, err := rc.tx.Query(rc.ctx, `WITH done AS (
			SELECT t.assignee_staff_id AS staff, count(*) AS n FROM tasks t
			WHERE t.status = 'done' AND t.completed_at >= $1 AND t.completed_at < $2`+conds+`
			GROUP BY 1
		), late AS (
			SELECT t.assignee_staff_id AS staff, count(*) AS n FROM tasks t
			WHERE (t.completed_at IS NULL OR t.completed_at > t.due_at) AND t.due_at >= $1 AND t.due_at < least($2, $3)`+conds+`
			GROUP BY 1
		), overdue AS (
			SELECT t.assignee_staff_id AS staff, count(*) AS n FROM tasks t
			WHERE t.status = 'open' AND t.due_at < $3`+conds+`
			GROUP BY 1
		), staff AS (
			SELECT staff FROM done UNION SELECT staff FROM late UNION SELECT staff FROM overdue
		)
		SELECT su.display_name, coalesce(done.n, 0), coalesce(late.n, 0), coalesce(overdue.n, 0)
		FROM staff
		JOIN staff_users su ON su.id = staff.staff
		LEFT JOIN done ON done.staff = staff.staff
		LEFT JOIN late ON late.staff = staff.staff
		LEFT JOIN overdue ON overdue.staff = staff.staff
		ORDER BY 4 DESC, 3 DESC, 2 DESC, su.display_name, su.id LIMIT `+strconv.Itoa(tasksShown), args...)
	if err != nil {
		return nil, fmt.Errorf("report tasks: %w", err)
	}
	rep := Report{ID: "tasks", Columns: []string{"console.reports.tasks_done", "console.reports.tasks_went_overdue", "console.reports.tasks_overdue"}}
	var names []string
	var done, late, overdue []decimal.Decimal
	if err := scanEach(rows, func(r pgx.Rows) error {
		var name string
		var d, lt, o int64
		if err := r.Scan(&name, &d, &lt, &o); err != nil {
			return err
		}
		names = append(names, name)
		done, late, overdue = append(done, decimal.NewFromInt(d)), append(late, decimal.NewFromInt(lt)), append(overdue, decimal.NewFromInt(o))
		rep.Rows = append(rep.Rows, ReportRow{Label: name, Values: []string{rc.count(d), rc.count(lt), rc.count(o)}})
		return nil
	}); err != nil {
		return nil, err
	}
	rep.Chart = chart.Bars{Title: l.T("console.reports.tasks.title"), Categories: names, Format: rc.countFormat,
		Series: []chart.Series{{Name: l.T("console.reports.tasks_done"), Values: done}, {Name: l.T("console.reports.tasks_went_overdue"), Values: late},
			{Name: l.T("console.reports.tasks_overdue"), Values: overdue}}}.SVG()
	return []Report{rep}, nil
}

// offersReports: offers shown, and the clients' answers — interested,
// accepted (an application) and declined, three distinct responses — by
// product and by engine, counted as the compliance statistics count them
// (compliance.Console.Stats): the decision records made in the period,
// whatever the period of the offer a response refers to; a response
// carries its offer's product and engine. The rates are
// compliance.Counts' (answers per offer shown).
func offersReports(rc *reportContext) ([]Report, error) {
	l := rc.l
	args := queryArgs{rc.f.From, rc.f.end()}
	inPeriod := `d.recorded_at >= $1 AND d.recorded_at < $2 AND d.outcome IN ('shown', 'interested', 'accepted', 'declined')`
	var records string
	if rc.f.Advisor == nil {
		records = "decision_records d WHERE " + inPeriod + " AND " + rc.f.clientOf("d.client_id", &args)
	} else {
		// An advisor's few thousand clients, each one's records read
		// from decision_records_client_idx; left to itself PostgreSQL
		// reads the whole year of records and joins (OFFSET 0 keeps the
		// subquery a loop over the clients).
		records = "clients c CROSS JOIN LATERAL (SELECT d.product_id, d.engine, d.outcome FROM decision_records d WHERE d.client_id = c.id AND " +
			inPeriod + " OFFSET 0) d WHERE " + rc.f.clientConditions(&args)
	}
	// Grouped by product and engine together, which PostgreSQL spreads
	// over parallel workers (it does not for grouping sets), and added up
	// by product and by engine here: at most a few hundred groups.
	rows, err := rc.tx.Query(rc.ctx, `WITH g AS (
			SELECT d.product_id, d.engine,
				count(*) FILTER (WHERE d.outcome = 'shown') AS shown,
				count(*) FILTER (WHERE d.outcome = 'interested') AS interested,
				count(*) FILTER (WHERE d.outcome = 'accepted') AS accepted,
				count(*) FILTER (WHERE d.outcome = 'declined') AS declined
			FROM `+records+`
			GROUP BY 1, 2
		)
		SELECT coalesce(g.product_id, 0), g.engine, coalesce(pv.name, p.name, ''), coalesce(pv.name_ro, ''),
			g.shown, g.interested, g.accepted, g.declined
		FROM g
		LEFT JOIN products p ON p.id = g.product_id
		LEFT JOIN product_versions pv ON pv.id = p.current_version_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("report offers: %w", err)
	}
	columns := []string{"console.reports.offers_shown", "console.reports.offers_interested", "console.reports.offers_accepted",
		"console.reports.offers_declined", "console.reports.interest_rate", "console.reports.acceptance_rate"}
	byProduct := Report{ID: "offers_by_product", Columns: columns}
	byEngine := Report{ID: "offers_by_engine", Columns: columns}
	type group struct {
		key, label string
		counts     compliance.Counts
	}
	var products, engines []group
	add := func(groups []group, key, label string, c compliance.Counts) []group {
		i := slices.IndexFunc(groups, func(g group) bool { return g.key == key })
		if i < 0 {
			return append(groups, group{key, label, c})
		}
		g := &groups[i].counts
		g.Shown, g.Interested, g.Accepted, g.Declined = g.Shown+c.Shown, g.Interested+c.Interested, g.Accepted+c.Accepted, g.Declined+c.Declined
		return groups
	}
	if err := scanEach(rows, func(r pgx.Rows) error {
		var product int64
		var engine, nameEN, nameRO string
		var c compliance.Counts
		if err := r.Scan(&product, &engine, &nameEN, &nameRO, &c.Shown, &c.Interested, &c.Accepted, &c.Declined); err != nil {
			return err
		}
		label := l.T("console.reports.no_product")
		if product != 0 {
			label = l.Text(ecrm.Text{EN: nameEN, RO: nameRO})
		}
		engineLabel := engine
		if key := "engine." + engine; i18n.HasMessage(i18n.English, key) {
			engineLabel = l.T(key)
		}
		products, engines = add(products, strconv.FormatInt(product, 10), label, c), add(engines, engine, engineLabel, c)
		return nil
	}); err != nil {
		return nil, err
	}
	// Most shown first, then by name.
	order := func(a, b group) int {
		if a.counts.Shown != b.counts.Shown {
			return cmp.Compare(b.counts.Shown, a.counts.Shown)
		}
		return strings.Compare(a.label, b.label)
	}
	slices.SortFunc(products, order)
	slices.SortFunc(engines, order)
	fill := func(rep *Report, groups []group) {
		var labels []string
		series := make([]chart.Series, 4)
		for i, key := range columns[:4] {
			series[i].Name = l.T(key)
		}
		rate := func(r decimal.Decimal, ok bool) string {
			if !ok {
				return l.T("console.reports.no_rate")
			}
			return l.Percent(r, 1)
		}
		for _, g := range groups {
			c := g.counts
			labels = append(labels, g.label)
			for i, n := range []int64{c.Shown, c.Interested, c.Accepted, c.Declined} {
				series[i].Values = append(series[i].Values, decimal.NewFromInt(n))
			}
			interest, iok := c.InterestRate()
			accept, aok := c.AcceptanceRate()
			rep.Rows = append(rep.Rows, ReportRow{Label: g.label, Values: []string{rc.count(c.Shown), rc.count(c.Interested),
				rc.count(c.Accepted), rc.count(c.Declined), rate(interest, iok), rate(accept, aok)}})
		}
		rep.Chart = chart.Bars{Title: l.T("console.reports." + rep.ID + ".title"), Categories: labels, Format: rc.countFormat, Series: series}.SVG()
	}
	fill(&byProduct, products)
	fill(&byEngine, engines)
	return []Report{byProduct, byEngine}, nil
}

// topClientsReport: the most valuable clients, the twenty with the most
// business with the firm in each currency: deposits (positive balances of
// accounts not closed) plus credit outstanding (what the client owes on
// the firm's own credit lines that are active or defaulted, and on loan
// or card accounts that no credit line stands for, so that nothing is
// counted twice). Bureau-reported lines are other lenders' business and
// are left out.
//
// Each currency is ranked on its own: the database holds no exchange
// rates, so amounts in different currencies are never added up or
// compared. Nor does it hold a margin: accounts and credit lines carry
// the client's interest rate but not the firm's cost of funds (a funds
// transfer price), so no margin or interest spread is derivable and the
// ranking is by balances and credit outstanding only.
//
// For one advisor's book this reads a few thousand accounts; for the whole
// firm (or a whole segment) every account — 5 to 6 s for a million clients and
// 2.6 million accounts on two cores — so it waits until asked for
// (ReportFilter.AllClients). A daily snapshot of each client's totals,
// written by a job, would make it as quick as the others.
func topClientsReport(rc *reportContext) ([]Report, error) {
	l := rc.l
	if rc.f.Advisor == nil && !rc.f.AllClients {
		return []Report{{ID: "top_clients", Deferred: true}}, nil
	}
	var args queryArgs
	deposits, owed, lines := rc.f.clientOf("a.client_id", &args), rc.f.clientOf("a.client_id", &args), rc.f.clientOf("cl.client_id", &args)
	// Each currency's twenty are picked from the totals with a top-N
	// sort of its own rather than a window over every total.
	rows, err := rc.tx.Query(rc.ctx, `WITH items AS (
			SELECT a.client_id, a.currency, a.balance AS deposits, 0 AS owed
			FROM accounts a
			WHERE a.status <> 'closed' AND a.balance > 0 AND `+deposits+`
			UNION ALL
			SELECT a.client_id, a.currency, 0, -a.balance
			FROM accounts a
			WHERE a.status <> 'closed' AND a.balance < 0 AND NOT EXISTS (SELECT 1 FROM credit_lines l WHERE l.account_id = a.id) AND `+owed+`
			UNION ALL
			SELECT cl.client_id, cl.currency, 0, cl.balance
			FROM credit_lines cl
			WHERE cl.source = 'internal' AND cl.status IN ('active', 'defaulted') AND cl.balance > 0 AND `+lines+`
		), value AS MATERIALIZED (
			SELECT client_id, currency::text AS currency, sum(deposits) AS deposits, sum(owed) AS owed, sum(deposits) + sum(owed) AS total
			FROM items
			GROUP BY 1, 2
		)
		SELECT t.client_id, c.given_name, c.family_name, t.currency, t.deposits, t.owed, t.total
		FROM (SELECT DISTINCT currency FROM value) cur
		CROSS JOIN LATERAL (
			SELECT * FROM value v WHERE v.currency = cur.currency ORDER BY v.total DESC, v.client_id LIMIT `+strconv.Itoa(topClientsShown)+`
		) t
		JOIN clients c ON c.id = t.client_id
		ORDER BY t.currency, t.total DESC, t.client_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("report top clients: %w", err)
	}
	rep := Report{ID: "top_clients", Columns: []string{"console.reports.currency", "console.reports.deposits",
		"console.reports.credit_outstanding", "console.reports.business_total"}}
	type currencyChart struct {
		currency        string
		names           []string
		deposits, owned []decimal.Decimal
	}
	var charts []*currencyChart
	if err := scanEach(rows, func(r pgx.Rows) error {
		var id int64
		var given, family, currency string
		var deposits, owed, total decimal.Decimal
		if err := r.Scan(&id, &given, &family, &currency, &deposits, &owed, &total); err != nil {
			return err
		}
		name := given + " " + family
		money := func(d decimal.Decimal) string { return l.Money(ecrm.Money{Amount: d, Currency: currency}) }
		rep.Rows = append(rep.Rows, ReportRow{Label: name, Href: "/console/clients/" + strconv.FormatInt(id, 10),
			Values: []string{currency, money(deposits), money(owed), money(total)}})
		if len(charts) == 0 || charts[len(charts)-1].currency != currency {
			charts = append(charts, &currencyChart{currency: currency})
		}
		c := charts[len(charts)-1]
		c.names, c.deposits, c.owned = append(c.names, name), append(c.deposits, deposits), append(c.owned, owed)
		return nil
	}); err != nil {
		return nil, err
	}
	var svg strings.Builder
	for _, c := range charts {
		svg.WriteString(string(chart.Bars{Title: l.T("console.reports.top_clients.chart", c.currency), Categories: c.names,
			Format: func(d decimal.Decimal) string { return l.Money(ecrm.Money{Amount: d, Currency: c.currency}) },
			Series: []chart.Series{{Name: l.T("console.reports.deposits"), Values: c.deposits},
				{Name: l.T("console.reports.credit_outstanding"), Values: c.owned}}}.SVG()))
	}
	rep.Chart = template.HTML(svg.String())
	return []Report{rep}, nil
}

// LifeStages are the life stages in the order the reports list them.
var LifeStages = []string{LifeStageStartingOut, LifeStageSingle, LifeStageCouple, LifeStageFamily, LifeStagePreRetirement, LifeStageRetired, LifeStageUnknown}

// lifeStageFacts are what LifeStage asks of clients c, as nine yes-or-no
// answers a report groups by: birth date unknown; aged at least 65, at
// least 55, under 25 today ($1, $2 and $3 are the latest birth dates of a
// client aged 65, 55 and 25 today: see ageThreshold, so that no age is
// computed row by row); married or in a partnership; marital status
// known; dependants; retired; student. PostgreSQL estimates a grouping by
// yes-or-no answers at a few thousand groups and counts a million
// clients in parallel (grouped by the columns themselves it expects
// 200,000 groups and does not). TestLifeStageFacts holds lifeStageOf to
// LifeStage.
const lifeStageFacts = `c.birth_date IS NULL, coalesce(c.birth_date <= $1, false), coalesce(c.birth_date <= $2, false),
		coalesce(c.birth_date > $3, false), coalesce(c.marital_status IN ('married', 'partnership'), false), c.marital_status IS NOT NULL,
		c.dependants > 0, coalesce(c.employment_status = 'retired', false), coalesce(c.employment_status = 'student', false)`

// lifeStageFacts' answers.
type lifeFacts struct {
	noBirthDate, aged65, aged55, under25, couple, maritalKnown, dependants, retired, student bool
}

// lifeStageOf is LifeStage of a client of whom only the lifeStageFacts
// are known: an age that answers the age questions the same way, and a
// marital status and employment that do.
func lifeStageOf(f lifeFacts) string {
	var age *int
	if !f.noBirthDate {
		a := 30
		switch {
		case f.aged65:
			a = 65
		case f.aged55:
			a = 55
		case f.under25:
			a = 24
		}
		age = &a
	}
	marital := ""
	switch {
	case f.couple:
		marital = "married"
	case f.maritalKnown:
		marital = "single"
	}
	employment := ""
	switch {
	case f.retired:
		employment = "retired"
	case f.student:
		employment = "student"
	}
	dependants := 0
	if f.dependants {
		dependants = 1
	}
	return LifeStage(age, marital, dependants, employment)
}

// ageThreshold is the latest birth date of someone aged at least years on
// today's date (as ageOn counts): the same day years earlier, or the 28th
// of February when today is the 29th and that year has none.
func ageThreshold(today time.Time, years int) time.Time {
	y, m, d := today.Date()
	t := time.Date(y-years, m, d, 0, 0, 0, 0, time.UTC)
	if t.Month() != m {
		t = time.Date(y-years, m+1, 0, 0, 0, 0, 0, time.UTC)
	}
	return t
}

// clientsReports: clients by segment, and by life stage (as the client
// 360 shows it, from age, marital status, dependants and employment) and
// segment, today — both from one pass over the clients.
func clientsReports(rc *reportContext) ([]Report, error) {
	l := rc.l
	today := rc.now.In(rc.loc)
	args := queryArgs{ageThreshold(today, 65), ageThreshold(today, 55), ageThreshold(today, 25)}
	rows, err := rc.tx.Query(rc.ctx, `SELECT c.segment, `+lifeStageFacts+`, count(*)
		FROM clients c WHERE `+rc.f.clientConditions(&args)+` GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10`, args...)
	if err != nil {
		return nil, fmt.Errorf("report clients: %w", err)
	}
	counts := map[[2]string]int64{}
	bySegment := map[string]int64{}
	if err := scanEach(rows, func(r pgx.Rows) error {
		var segment string
		var f lifeFacts
		var n int64
		if err := r.Scan(&segment, &f.noBirthDate, &f.aged65, &f.aged55, &f.under25, &f.couple, &f.maritalKnown, &f.dependants,
			&f.retired, &f.student, &n); err != nil {
			return err
		}
		counts[[2]string{lifeStageOf(f), segment}] += n
		bySegment[segment] += n
		return nil
	}); err != nil {
		return nil, err
	}

	// Clients by segment, most first.
	segs := slices.Collect(maps.Keys(bySegment))
	slices.SortFunc(segs, func(a, b string) int {
		if bySegment[a] != bySegment[b] {
			return cmp.Compare(bySegment[b], bySegment[a])
		}
		return strings.Compare(a, b)
	})
	seg := Report{ID: "segments", Columns: []string{"console.reports.clients"}}
	var segNames []string
	var segCounts []decimal.Decimal
	for _, s := range segs {
		name := l.T("console.segment." + s)
		segNames, segCounts = append(segNames, name), append(segCounts, decimal.NewFromInt(bySegment[s]))
		seg.Rows = append(seg.Rows, ReportRow{Label: name, Values: []string{rc.count(bySegment[s])}})
	}
	seg.Chart = chart.Bars{Title: l.T("console.reports.segments.title"), Categories: segNames, Format: rc.countFormat,
		Series: []chart.Series{{Name: l.T("console.reports.clients"), Values: segCounts}}}.SVG()

	// Clients by life stage and segment.
	segments := Segments
	if rc.f.Segment != "" {
		segments = []string{rc.f.Segment}
	}
	rep := Report{ID: "life_stages"}
	series := make([]chart.Series, len(segments))
	for i, s := range segments {
		rep.Columns = append(rep.Columns, "console.segment."+s)
		series[i].Name = l.T("console.segment." + s)
	}
	rep.Columns = append(rep.Columns, "console.reports.clients")
	var names []string
	for _, stage := range LifeStages {
		var total int64
		var values []string
		for _, s := range segments {
			total += counts[[2]string{stage, s}]
		}
		if total == 0 {
			continue
		}
		name := l.T("console.life_stage." + stage)
		names = append(names, name)
		for i, s := range segments {
			n := counts[[2]string{stage, s}]
			values = append(values, rc.count(n))
			series[i].Values = append(series[i].Values, decimal.NewFromInt(n))
		}
		rep.Rows = append(rep.Rows, ReportRow{Label: name, Values: append(values, rc.count(total))})
	}
	rep.Chart = chart.Bars{Title: l.T("console.reports.life_stages.title"), Categories: names, Format: rc.countFormat, Series: series}.SVG()
	return []Report{seg, rep}, nil
}

func scanEach(rows pgx.Rows, fn func(pgx.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
