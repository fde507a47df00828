package compliance

import (
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/chart"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

//go:embed templates/compliance_*.html
var templateFiles embed.FS

// Templates holds the compliance console's page templates
// (templates/compliance_*.html), for page.New.
var Templates = page.TemplateDir(templateFiles)

// OpenAPI documents every /api/v1/compliance route, as a fragment for
// web.NewOpenAPI.
//
//go:embed openapi.json
var OpenAPI []byte

// ConsoleHandler serves the compliance console's pages and JSON API, to
// compliance officers only.
type ConsoleHandler struct {
	console *Console
	pages   *page.Renderer
}

// NewConsoleHandler returns the compliance console on pool.
func NewConsoleHandler(pool *pgxpool.Pool, pages *page.Renderer) *ConsoleHandler {
	return &ConsoleHandler{console: NewConsole(pool), pages: pages}
}

// SetLocation sets the zone dates are entered and shown in.
func (h *ConsoleHandler) SetLocation(loc *time.Location) {
	if loc != nil {
		h.console.loc = loc
	}
}

// Console returns the handler's store.
func (h *ConsoleHandler) Console() *Console { return h.console }

// Routes registers the console. The caller mounts it behind a guard
// admitting the compliance role; every handler checks the role again.
func (h *ConsoleHandler) Routes(r chi.Router) {
	r.Get("/console/compliance", h.showRecords)
	r.Get("/console/compliance/records/{seq}", h.showRecord)
	r.Post("/console/compliance/records/{seq}/reviews", h.saveReview)
	r.Get("/console/compliance/queue", h.showQueue)
	r.Post("/console/compliance/queue/sampling", h.saveSampling)
	r.Get("/console/compliance/stats", h.showStats)
	r.Get("/console/compliance/access-log", h.showAccessLog)
	r.Get("/console/compliance/export", h.export)

	r.Get("/api/v1/compliance/records", h.listRecords)
	r.Get("/api/v1/compliance/records/{seq}", h.getRecord)
	r.Post("/api/v1/compliance/records/{seq}/reviews", h.createReview)
	r.Get("/api/v1/compliance/queue", h.listQueue)
	r.Put("/api/v1/compliance/sampling", h.putSampling)
	r.Get("/api/v1/compliance/stats", h.getStats)
	r.Get("/api/v1/compliance/access-log", h.listAccessLog)
	r.Get("/api/v1/compliance/export", h.export)
}

var (
	errLoginFirst = ecrm.Errorf(ecrm.EUNAUTHORIZED, "compliance.error.login_first")
	errForbidden  = ecrm.Errorf(ecrm.EFORBIDDEN, "compliance.error.forbidden")
)

// officer returns the compliance officer's staff id, or answers the
// request itself and returns ok == false.
func (h *ConsoleHandler) officer(w http.ResponseWriter, r *http.Request) (int64, bool) {
	p := ecrm.PrincipalFrom(r.Context())
	switch {
	case p == nil:
		h.fail(w, r, errLoginFirst)
		return 0, false
	case !p.HasRole(ecrm.RoleCompliance) || p.StaffID <= 0:
		h.fail(w, r, errForbidden)
		return 0, false
	}
	return p.StaffID, true
}

// filterFrom reads a filter from the query string.
func filterFrom(q url.Values) Filter {
	f := Filter{Client: q.Get("client"), Product: q.Get("product"), Engine: q.Get("engine"), Advisor: q.Get("advisor"),
		Channel: q.Get("channel"), Outcome: q.Get("outcome"), FailedCheck: q.Get("failed_check"),
		From: q.Get("from"), To: q.Get("to"), After: q.Get("after")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			n = -1
		}
		f.Limit = n
	}
	return f
}

// values is the filter as query parameters, without paging.
func (f Filter) values() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"client": f.Client, "product": f.Product, "engine": f.Engine, "advisor": f.Advisor,
		"channel": f.Channel, "outcome": f.Outcome, "failed_check": f.FailedCheck, "from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// ---------------------------------------------------------------------------
// Pages

// listPage is the data of compliance_records.html and compliance_queue.html.
type listPage struct {
	// Action is where the filter form goes: the page's own path.
	Action  string
	Filter  Filter
	Fields  []page.FormField
	Records []Summary
	Zone    *time.Location
	Form    formErrors
	NextURL string
	// FirstURL leads back to the first page; empty on it.
	FirstURL string
	// Exports are the download links of the filtered set.
	Exports []exportLink
	// SamplePercent is the queue's sampling rate, as shown; Sampling the
	// form that changes it.
	SamplePercent string
	Sampling      []page.FormField
	SamplingSaved bool
	// SamplingChanges are the latest changes of the rate, newest first,
	// the rates as the page shows percentages.
	SamplingChanges []samplingChangeView
	// Waiting counts the queue's records (up to MaxQueueCount+1) and
	// Reasons says why each listed record waits; both nil off the queue.
	OnQueue bool
	Waiting int
	Reasons map[int64][]string
}

// WaitingCapped reports whether more records wait than were counted.
func (p listPage) WaitingCapped() bool { return p.Waiting > MaxQueueCount }

// MaxWaiting is MaxQueueCount for the page.
func (p listPage) MaxWaiting() int { return MaxQueueCount }

type exportLink struct {
	Format string
	Href   string
}

func (h *ConsoleHandler) filterFields(r *http.Request, f Filter, fe formErrors) []page.FormField {
	options := func(values []string, selected, prefix, allKey string) []page.FormOption {
		opts := []page.FormOption{{Value: "", LabelKey: allKey}}
		for _, v := range values {
			opts = append(opts, page.FormOption{Value: v, LabelKey: prefix + v, Selected: v == selected})
		}
		return opts
	}
	field := func(name, label string, value string) page.FormField {
		return page.FormField{Name: name, ID: "filter-" + name, LabelKey: "compliance.filter." + label, Value: value,
			Error: fe.ByField[name], MaxLength: maxTextFilter}
	}
	client := field("client", "client", f.Client)
	client.HintKey = "compliance.filter.client_hint"
	from, to := field("from", "from", f.From), field("to", "to", f.To)
	from.Type, to.Type = "date", "date"
	from.HintKey = "compliance.filter.date_hint"
	channel := field("channel", "channel", f.Channel)
	channel.Options = options(Channels, f.Channel, "compliance.channel.", "compliance.filter.any")
	outcome := field("outcome", "outcome", f.Outcome)
	outcome.Options = options(Outcomes, f.Outcome, "compliance.outcome.", "compliance.filter.any")
	advisor := field("advisor", "advisor", f.Advisor)
	advisor.InputMode = "numeric"
	failed := field("failed_check", "failed_check", f.FailedCheck)
	failed.Options = options(GateChecks, f.FailedCheck, "compliance.check.", "compliance.filter.any")
	return []page.FormField{client, field("product", "product", f.Product), field("engine", "engine", f.Engine),
		advisor, channel, outcome, failed, from, to}
}

func (h *ConsoleHandler) listPageFor(r *http.Request, path string, f Filter, res *SearchResult, err error) (listPage, int) {
	fe := newFormErrors(r, err)
	data := listPage{Action: path, Filter: f, Zone: h.console.loc, Form: fe, Fields: h.filterFields(r, f, fe)}
	if err != nil {
		return data, http.StatusUnprocessableEntity
	}
	data.Records = res.Records
	q := f.values()
	if res.Next != "" {
		nq := f.values()
		nq.Set("after", res.Next)
		data.NextURL = withQuery(path, nq)
	}
	if f.After != "" {
		data.FirstURL = withQuery(path, q)
	}
	for _, format := range []string{FormatCSV, FormatXLSX, FormatJSON} {
		eq := f.values()
		eq.Set("format", format)
		data.Exports = append(data.Exports, exportLink{Format: format, Href: withQuery("/console/compliance/export", eq)})
	}
	return data, http.StatusOK
}

func (h *ConsoleHandler) showRecords(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.officer(w, r); !ok {
		return
	}
	f := filterFrom(r.URL.Query())
	res, err := h.console.Search(r.Context(), f)
	if err != nil && ecrm.ErrorCode(err) != ecrm.EINVALID {
		h.fail(w, r, err)
		return
	}
	data, status := h.listPageFor(r, "/console/compliance", f, res, err)
	h.render(w, r, status, "compliance_records", data)
}

func (h *ConsoleHandler) showQueue(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.officer(w, r); !ok {
		return
	}
	f := filterFrom(r.URL.Query())
	res, err := h.console.Queue(r.Context(), f)
	if err != nil && ecrm.ErrorCode(err) != ecrm.EINVALID {
		h.fail(w, r, err)
		return
	}
	data, status := h.listPageFor(r, "/console/compliance/queue", f, res, err)
	data.Exports = nil
	bp, rateErr := h.console.SampleRate(r.Context())
	if rateErr != nil {
		h.fail(w, r, rateErr)
		return
	}
	data.SamplePercent = i18n.FromContext(r.Context()).Percent(basisPointsRatio(bp), 2)
	data.Sampling = samplingFields(basisPointsRatio(bp).Shift(2).StringFixed(2), "")
	data.SamplingSaved = r.URL.Query().Get("sampling") == "saved"
	if res != nil {
		n, err := h.console.QueueCount(r.Context(), f)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		data.OnQueue, data.Waiting = true, n
		seqs := make([]int64, len(res.Records))
		for i, rec := range res.Records {
			seqs[i] = rec.Seq
		}
		if data.Reasons, err = h.console.QueueReasons(r.Context(), seqs); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	changes, err := h.console.SamplingChanges(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	l := i18n.FromContext(r.Context())
	for _, c := range changes {
		data.SamplingChanges = append(data.SamplingChanges, samplingChangeView{ChangedAt: c.ChangedAt, StaffName: c.StaffName,
			From: l.Percent(basisPointsRatio(c.From), 2), To: l.Percent(basisPointsRatio(c.To), 2)})
	}
	h.render(w, r, status, "compliance_queue", data)
}

// samplingChangeView is a change of the sampling rate as the page shows it.
type samplingChangeView struct {
	ChangedAt time.Time
	StaffName string
	From, To  string
}

func samplingFields(value, errMsg string) []page.FormField {
	return []page.FormField{{Name: "sample_percent", ID: "sample_percent", LabelKey: "compliance.queue.rate",
		HintKey: "compliance.queue.rate_hint", Value: value, Error: errMsg, InputMode: "decimal", MaxLength: 6}}
}

// saveSampling changes the sampling rate from the queue page.
func (h *ConsoleHandler) saveSampling(w http.ResponseWriter, r *http.Request) {
	staffID, ok := h.officer(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, ecrm.Errorf(ecrm.EINVALID, "compliance.error.invalid_input"))
		return
	}
	raw := r.PostForm.Get("sample_percent")
	bp, err := parsePercent(raw)
	if err == nil {
		err = h.console.SetSampleRate(r.Context(), staffID, bp)
	}
	if ecrm.ErrorCode(err) == ecrm.EINVALID {
		f := Filter{}
		res, qErr := h.console.Queue(r.Context(), f)
		if qErr != nil {
			h.fail(w, r, qErr)
			return
		}
		data, _ := h.listPageFor(r, "/console/compliance/queue", f, res, nil)
		data.Exports = nil
		cur, rateErr := h.console.SampleRate(r.Context())
		if rateErr != nil {
			h.fail(w, r, rateErr)
			return
		}
		data.SamplePercent = i18n.FromContext(r.Context()).Percent(basisPointsRatio(cur), 2)
		data.Sampling = samplingFields(raw, newFormErrors(r, err).ByField["sample_percent"])
		h.render(w, r, http.StatusUnprocessableEntity, "compliance_queue", data)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/compliance/queue?sampling=saved", http.StatusSeeOther)
}

// samplingJSON is the sampling rate in the API: a percentage with at most
// two decimals, as a string ("5.00").
type samplingJSON struct {
	Percent string `json:"percent"`
}

func (h *ConsoleHandler) putSampling(w http.ResponseWriter, r *http.Request) {
	staffID, ok := h.officer(w, r)
	if !ok {
		return
	}
	var in samplingJSON
	err := web.DecodeJSON(r, &in)
	var bp int
	if err == nil {
		bp, err = parsePercent(in.Percent)
	}
	if err == nil {
		err = h.console.SetSampleRate(r.Context(), staffID, bp)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, samplingJSON{Percent: basisPointsRatio(bp).Shift(2).StringFixed(2)})
}

// parsePercent reads a percentage between 0 and 100 with at most two
// decimals ("5", "2.5", "2,5") as basis points.
func parsePercent(s string) (int, error) {
	bad := invalid(ecrm.FieldError{Field: "sample_percent", Message: "compliance.queue.error.rate_range"})
	d, err := ecrm.ParseDecimal(strings.Replace(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%")), ",", ".", 1))
	if err != nil || d.IsNegative() || d.GreaterThan(decimal.NewFromInt(100)) || !d.Shift(2).IsInteger() {
		return 0, bad
	}
	return int(d.Shift(2).IntPart()), nil
}

// recordPage is the data of compliance_record.html.
type recordPage struct {
	*Detail
	Zone     *time.Location
	Review   ReviewInput
	Fields   []page.FormField
	Form     formErrors
	Reviewed bool
}

// PrevHashHex and HashHex show the chain links.
func (d *Detail) PrevHashHex() string { return hex.EncodeToString(d.PrevHash) }
func (d *Detail) HashHex() string     { return hex.EncodeToString(d.Hash) }

func (h *ConsoleHandler) reviewFields(in ReviewInput, fe formErrors) []page.FormField {
	return []page.FormField{
		{Name: "action", ID: "review-action", LabelKey: "compliance.review.action", Error: fe.ByField["action"],
			Options: []page.FormOption{
				{Value: ReviewFlag, LabelKey: "compliance.review.action.flag", Selected: in.Action == ReviewFlag},
				{Value: ReviewApprove, LabelKey: "compliance.review.action.approve", Selected: in.Action == ReviewApprove},
			}},
		{Name: "comment", ID: "review-comment", LabelKey: "compliance.review.comment", HintKey: "compliance.review.comment_hint",
			Value: in.Comment, Error: fe.ByField["comment"], MaxLength: MaxReviewComment},
	}
}

func (h *ConsoleHandler) showRecord(w http.ResponseWriter, r *http.Request) {
	d, ok := h.openRecord(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "compliance_record", recordPage{Detail: d, Zone: h.console.loc,
		Fields: h.reviewFields(ReviewInput{}, formErrors{}), Reviewed: r.URL.Query().Get("reviewed") == "1"})
}

// openRecord reads the record the request names, for a compliance officer,
// and records the view in the staff access log before anything is shown.
func (h *ConsoleHandler) openRecord(w http.ResponseWriter, r *http.Request) (*Detail, bool) {
	staffID, ok := h.officer(w, r)
	if !ok {
		return nil, false
	}
	seq, ok := seqParam(r)
	if !ok {
		h.fail(w, r, errRecordNotFound)
		return nil, false
	}
	d, err := h.console.Record(r.Context(), seq)
	if err == nil {
		err = h.console.LogRecordView(r.Context(), Exporter{StaffID: staffID, RequestID: web.RequestIDFrom(r.Context())}, d)
	}
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return d, true
}

func (h *ConsoleHandler) saveReview(w http.ResponseWriter, r *http.Request) {
	staffID, ok := h.officer(w, r)
	if !ok {
		return
	}
	seq, ok := seqParam(r)
	if !ok {
		h.fail(w, r, errRecordNotFound)
		return
	}
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if !errors.As(err, &tooLarge) {
			err = ecrm.Errorf(ecrm.EINVALID, "compliance.error.invalid_input")
		}
		h.fail(w, r, err)
		return
	}
	in := ReviewInput{Action: r.PostForm.Get("action"), Comment: r.PostForm.Get("comment")}
	_, err := h.console.AddReview(r.Context(), staffID, seq, in)
	if ecrm.ErrorCode(err) == ecrm.EINVALID {
		d, viewErr := h.console.Record(r.Context(), seq)
		if viewErr != nil {
			h.fail(w, r, viewErr)
			return
		}
		fe := newFormErrors(r, err)
		h.render(w, r, http.StatusUnprocessableEntity, "compliance_record", recordPage{Detail: d, Zone: h.console.loc,
			Review: in, Fields: h.reviewFields(in, fe), Form: fe})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/compliance/records/"+strconv.FormatInt(seq, 10)+"?reviewed=1#reviews", http.StatusSeeOther)
}

// statsPage is the data of compliance_stats.html.
type statsPage struct {
	*Stats
	From, To   string
	Fields     []page.FormField
	Form       formErrors
	Dimensions []string
	Zone       *time.Location
	// LastDay is the period's last day, To being exclusive.
	LastDay time.Time
	// Charts draw each dimension's table, and the blocking checks.
	Charts map[string]template.HTML
}

func (h *ConsoleHandler) showStats(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.officer(w, r); !ok {
		return
	}
	from, to := r.URL.Query().Get("from"), r.URL.Query().Get("to")
	st, err := h.console.Stats(r.Context(), from, to)
	if err != nil && ecrm.ErrorCode(err) != ecrm.EINVALID {
		h.fail(w, r, err)
		return
	}
	fe := newFormErrors(r, err)
	fromField := page.FormField{Name: "from", ID: "stats-from", LabelKey: "compliance.filter.from", Type: "date", Value: from, Error: fe.ByField["from"], HintKey: "compliance.filter.date_hint"}
	toField := page.FormField{Name: "to", ID: "stats-to", LabelKey: "compliance.filter.to", Type: "date", Value: to, Error: fe.ByField["to"]}
	data := statsPage{Stats: st, From: from, To: to, Form: fe, Fields: []page.FormField{fromField, toField}, Dimensions: Dimensions, Zone: h.console.loc}
	status := http.StatusOK
	if err != nil {
		status = http.StatusUnprocessableEntity
	} else {
		data.LastDay = st.To.In(h.console.loc).AddDate(0, 0, -1)
		data.Charts = statsCharts(i18n.FromContext(r.Context()), st)
	}
	h.render(w, r, status, "compliance_stats", data)
}

// accessPage is the data of compliance_access.html.
type accessPage struct {
	Filter   AccessFilter
	Fields   []page.FormField
	Rows     []Access
	Form     formErrors
	Zone     *time.Location
	NextURL  string
	FirstURL string
}

func accessFilterFrom(q url.Values) AccessFilter {
	f := AccessFilter{Staff: q.Get("staff"), Client: q.Get("client"), From: q.Get("from"), To: q.Get("to"), After: q.Get("after")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			n = -1
		}
		f.Limit = n
	}
	return f
}

func (h *ConsoleHandler) showAccessLog(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.officer(w, r); !ok {
		return
	}
	f := accessFilterFrom(r.URL.Query())
	res, err := h.console.AccessLog(r.Context(), f)
	if err != nil && ecrm.ErrorCode(err) != ecrm.EINVALID {
		h.fail(w, r, err)
		return
	}
	fe := newFormErrors(r, err)
	field := func(name, value string) page.FormField {
		return page.FormField{Name: name, ID: "access-" + name, LabelKey: "compliance.access.filter." + name, Value: value, Error: fe.ByField[name]}
	}
	staff, client, from, to := field("staff", f.Staff), field("client", f.Client), field("from", f.From), field("to", f.To)
	staff.InputMode, client.InputMode = "numeric", "numeric"
	from.Type, to.Type = "date", "date"
	data := accessPage{Filter: f, Form: fe, Zone: h.console.loc, Fields: []page.FormField{staff, client, from, to}}
	status := http.StatusOK
	if err != nil {
		status = http.StatusUnprocessableEntity
	} else {
		data.Rows = res.Rows
		q := url.Values{}
		for k, v := range map[string]string{"staff": f.Staff, "client": f.Client, "from": f.From, "to": f.To} {
			if v != "" {
				q.Set(k, v)
			}
		}
		if res.Next != "" {
			nq := url.Values{"after": {res.Next}}
			for k, v := range q {
				nq[k] = v
			}
			data.NextURL = withQuery("/console/compliance/access-log", nq)
		}
		if f.After != "" {
			data.FirstURL = withQuery("/console/compliance/access-log", q)
		}
	}
	h.render(w, r, status, "compliance_access", data)
}

// export streams the filtered set as a download; a refused filter gets the
// search page with the messages at the fields (or a problem document).
func (h *ConsoleHandler) export(w http.ResponseWriter, r *http.Request) {
	staffID, ok := h.officer(w, r)
	if !ok {
		return
	}
	f := filterFrom(r.URL.Query())
	format := r.URL.Query().Get("format")
	if format == "" {
		format = FormatCSV
	}
	started := false
	_, err := h.console.Export(r.Context(), Exporter{StaffID: staffID, RequestID: web.RequestIDFrom(r.Context())}, f, format, func() io.Writer {
		started = true
		name := "decision-records-" + h.console.now().In(h.console.loc).Format("20060102-150405") + "." + format
		hd := w.Header()
		hd.Set("Content-Type", map[string]string{
			FormatCSV:  "text/csv; charset=utf-8",
			FormatXLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			FormatJSON: "application/json",
		}[format])
		hd.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		return w
	})
	switch {
	case err == nil:
	case started:
		// The download has begun; all that is left is to cut it short.
		web.Logger(r.Context()).Error("export failed midway", "error", err.Error())
		panic(http.ErrAbortHandler)
	case ecrm.ErrorCode(err) == ecrm.EINVALID && !web.WantsJSON(r):
		data, status := h.listPageFor(r, "/console/compliance", f, nil, err)
		h.render(w, r, status, "compliance_records", data)
	default:
		h.fail(w, r, err)
	}
}

// ---------------------------------------------------------------------------
// JSON API

func (h *ConsoleHandler) listRecords(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.officer(w, r); !ok {
		return
	}
	res, err := h.console.Search(r.Context(), filterFrom(r.URL.Query()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, toRecordPageJSON(res))
}

func (h *ConsoleHandler) listQueue(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.officer(w, r); !ok {
		return
	}
	res, err := h.console.Queue(r.Context(), filterFrom(r.URL.Query()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, toRecordPageJSON(res))
}

func (h *ConsoleHandler) getRecord(w http.ResponseWriter, r *http.Request) {
	d, ok := h.openRecord(w, r)
	if !ok {
		return
	}
	web.WriteJSON(w, http.StatusOK, toDetailJSON(d))
}

func (h *ConsoleHandler) createReview(w http.ResponseWriter, r *http.Request) {
	staffID, ok := h.officer(w, r)
	if !ok {
		return
	}
	seq, ok := seqParam(r)
	if !ok {
		h.fail(w, r, errRecordNotFound)
		return
	}
	var in ReviewInput
	if err := web.DecodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	rv, err := h.console.AddReview(r.Context(), staffID, seq, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, toReviewJSON(*rv))
}

func (h *ConsoleHandler) getStats(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.officer(w, r); !ok {
		return
	}
	st, err := h.console.Stats(r.Context(), r.URL.Query().Get("from"), r.URL.Query().Get("to"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, toStatsJSON(st, h.console.loc))
}

func (h *ConsoleHandler) listAccessLog(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.officer(w, r); !ok {
		return
	}
	res, err := h.console.AccessLog(r.Context(), accessFilterFrom(r.URL.Query()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, toAccessPageJSON(res))
}

// ---------------------------------------------------------------------------
// Helpers

func seqParam(r *http.Request) (int64, bool) {
	seq, err := strconv.ParseInt(chi.URLParam(r, "seq"), 10, 64)
	return seq, err == nil && seq > 0
}

func (h *ConsoleHandler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	h.pages.Render(w, r, status, name, page.View{Area: page.AreaConsole, Data: data})
}

// fail answers with a problem document for API callers and an error page
// for people, translating the catalogue keys application errors carry.
func (h *ConsoleHandler) fail(w http.ResponseWriter, r *http.Request, err error) {
	l := i18n.FromContext(r.Context())
	var appErr *ecrm.Error
	if errors.As(err, &appErr) {
		translated := *appErr
		translated.Message = l.T(appErr.Message)
		translated.Fields = nil
		for _, f := range appErr.Fields {
			translated.Fields = append(translated.Fields, ecrm.FieldError{Field: f.Field, Message: l.T(f.Message)})
		}
		err = &translated
	}
	status := web.ErrorStatus(err)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	if web.WantsJSON(r) {
		web.Problem(w, r, err)
		return
	}
	status = web.Fail(w, r, err, "console page failed")
	detail := ""
	if appErr != nil {
		detail = ecrm.ErrorMessage(err)
	}
	h.pages.RenderError(w, r, status, "", detail, web.RequestIDFrom(r.Context()))
}

// formErrors are a refused form's messages in the reader's language, for
// the error summary and each field (the one kind every form uses).
type formErrors = page.FormErrors

func newFormErrors(r *http.Request, err error) formErrors {
	return page.NewFormErrors(i18n.FromContext(r.Context()), err)
}

// statsCharts draws, per dimension, the shown, blocked, interested and
// accepted offers of each group, and the offers each check blocked.
func statsCharts(l *i18n.Localizer, st *Stats) map[string]template.HTML {
	count := func(d decimal.Decimal) string { return l.Decimal(d, 0) }
	charts := map[string]template.HTML{}
	for _, dim := range Dimensions {
		var labels []string
		series := []chart.Series{{Name: l.T("compliance.stats.shown")}, {Name: l.T("compliance.stats.blocked")},
			{Name: l.T("compliance.stats.interested")}, {Name: l.T("compliance.stats.accepted")}}
		for _, g := range st.By[dim] {
			label := g.Key
			switch dim {
			case "segment", "age_band", "channel":
				label = l.T("compliance." + dim + "." + g.Key)
			case "engine":
				if i18n.HasMessage(i18n.English, "engine."+g.Key) {
					label = l.T("engine." + g.Key)
				}
			}
			labels = append(labels, label)
			for i, v := range []int64{g.Shown, g.Blocked, g.Interested, g.Accepted} {
				series[i].Values = append(series[i].Values, decimal.NewFromInt(v))
			}
		}
		charts[dim] = chart.Bars{Title: l.T("compliance.stats.by." + dim), Categories: labels, Series: series, Format: count}.SVG()
	}
	var checks []string
	blocked := chart.Series{Name: l.T("compliance.stats.blocked")}
	for _, c := range st.BlockedBy {
		checks = append(checks, l.T(checkKey(c.Check, "title")))
		blocked.Values = append(blocked.Values, decimal.NewFromInt(c.Count))
	}
	charts["blocked_by"] = chart.Bars{Title: l.T("compliance.stats.blocked_by"), Categories: checks, Series: []chart.Series{blocked}, Format: count}.SVG()
	return charts
}
