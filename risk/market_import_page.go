package risk

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// MarketImportPage is the admin's page for market data files,
// /console/imports/market: a prices or news file (the layouts of
// docs/market-data.md) sent from a form and applied whole, or its bad
// rows listed by line and field with nothing written; and the recent
// import runs.
type MarketImportPage struct {
	pool  *pgxpool.Pool
	pages *page.Renderer
	zone  *time.Location
	// Now is the clock; tests set it.
	Now func() time.Time
	// queue, when set, re-evaluates the hedging rules for the holders of
	// instruments whose closes an import wrote, queued with the import.
	queue *jobs.Queue
}

// SetQueue queues the hedging rules' re-evaluation after a prices import.
func (h *MarketImportPage) SetQueue(q *jobs.Queue) { h.queue = q }

// NewMarketImportPage shows times in zone.
func NewMarketImportPage(pool *pgxpool.Pool, pages *page.Renderer, zone *time.Location) *MarketImportPage {
	return &MarketImportPage{pool: pool, pages: pages, zone: zone, Now: time.Now}
}

// Routes registers the page; the caller puts it behind the admin guard
// and each handler checks the role again. Files up to MaxBureauUpload are
// read, as on the bureau page; larger ones go through the command line.
func (h *MarketImportPage) Routes(r chi.Router) {
	const what, forbidden = "market import page failed", "Only administrators import market data."
	r.Get("/console/imports/market", h.pages.AdminOnly(what, forbidden, h.show))
	r.With(web.AllowBody(MaxBureauUpload+64<<10)).Post("/console/imports/market", h.pages.AdminOnly(what, forbidden, h.upload))
}

// recentRuns is how many import runs the page lists.
const recentRuns = 20

type marketImportData struct {
	MaxSize                string
	Kind, Source, FileName string
	FileError, SourceError string
	Result                 *MarketImportResult
	Counts                 []countView
	Problems               []marketProblemView
	Runs                   []runView
	PriceTypes             []layoutRow
	NewsColumns            string
}

type countView struct {
	Type          string
	Rows, Written int
}

type marketProblemView struct {
	Line           int
	Fields, Reason string
}

type runView struct {
	ID                         int64
	At, Kind, File, Source, By string
	Rows, Written              int
}

// layoutRow is a row type of the prices file and the columns it uses.
type layoutRow struct{ Type, Columns string }

func (h *MarketImportPage) render(w http.ResponseWriter, r *http.Request, status int, d marketImportData) error {
	ctx := r.Context()
	l := i18n.FromContext(ctx)
	d.MaxSize = l.T("risk.bureau.size_mib", MaxBureauUpload>>20)
	if d.Kind == "" {
		d.Kind = "prices"
	}
	for _, typ := range PriceRowTypes {
		d.PriceTypes = append(d.PriceTypes, layoutRow{Type: typ, Columns: strings.Join(priceRowColumns[typ][1:], ", ")})
	}
	d.NewsColumns = strings.Join(NewsFileColumns, ", ")
	rows, err := h.pool.Query(ctx, `
		SELECT m.id, m.imported_at, m.kind, m.file_name, m.source, m.rows_read, m.rows_written, coalesce(s.display_name, '')
		FROM market_imports m LEFT JOIN staff_users s ON s.id = m.imported_by
		ORDER BY m.imported_at DESC, m.id DESC LIMIT $1`, recentRuns)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v runView
		var at time.Time
		if err := rows.Scan(&v.ID, &at, &v.Kind, &v.File, &v.Source, &v.Rows, &v.Written, &v.By); err != nil {
			return err
		}
		v.At = l.DateTime(at, h.zone)
		if v.By == "" {
			v.By = l.T("market.import.command_line")
		}
		d.Runs = append(d.Runs, v)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	h.pages.Render(w, r, status, "risk_market_import", d)
	return nil
}

func (h *MarketImportPage) show(w http.ResponseWriter, r *http.Request, _ int64) error {
	return h.render(w, r, http.StatusOK, marketImportData{})
}

// upload applies the file sent. A file that cannot be read at all is
// refused at the file field; a file with bad rows is refused with the
// rows listed; either way nothing is written.
func (h *MarketImportPage) upload(w http.ResponseWriter, r *http.Request, staffID int64) error {
	l := i18n.FromContext(r.Context())
	var d marketImportData
	refuse := func(fileError string) error {
		d.FileError = fileError
		return h.render(w, r, http.StatusUnprocessableEntity, d)
	}
	u, err := web.ReadUpload(w, r, MaxBureauUpload, 1)
	if errors.Is(err, web.ErrUploadTooLarge) {
		return refuse(l.T("risk.bureau.error.too_large", l.T("risk.bureau.size_mib", MaxBureauUpload>>20)))
	}
	if err != nil {
		return refuse(l.T("market.import.error.no_file"))
	}
	d.Kind, d.Source = u.Values["kind"], strings.TrimSpace(u.Values["source"])
	var data []byte
	if f := u.File("file"); f != nil {
		d.FileName, data = f.Name, f.Data
	}
	apply := ImportPricesFile
	switch d.Kind {
	case "prices":
	case "news":
		apply = ImportNewsFile
	default:
		d.Kind = "prices"
		return refuse(l.T("market.import.error.kind"))
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return refuse(l.T("market.import.error.no_file"))
	}
	run := MarketImport{FileName: d.FileName, Source: d.Source, StaffID: staffID, Now: h.Now()}
	if h.queue != nil {
		run.PricesMoved = func(ctx context.Context, tx pgx.Tx, ids []int64) error {
			return h.queue.InsertTx(ctx, tx, HedgeTriggersArgs{InstrumentIDs: ids})
		}
	}
	res, err := apply(r.Context(), h.pool, data, run)
	var fp *FileProblem
	if errors.As(err, &fp) {
		return refuse(marketFileProblemText(l, fp))
	}
	if e := (*ecrm.Error)(nil); errors.As(err, &e) && e.Field == "source" {
		d.SourceError = l.T("market.import.error.source")
		return h.render(w, r, http.StatusUnprocessableEntity, d)
	}
	if err != nil {
		return err
	}
	d.Result = &res
	for _, c := range res.Counts {
		d.Counts = append(d.Counts, countView{Type: l.T("market.import.type." + c.Type), Rows: c.Rows, Written: c.Written})
	}
	for _, p := range res.Problems {
		d.Problems = append(d.Problems, marketProblemView{Line: p.Line, Fields: strings.Join(p.Fields, ", "), Reason: marketProblemText(l, p)})
	}
	status := http.StatusOK
	if res.Refused() {
		status = http.StatusUnprocessableEntity
	}
	return h.render(w, r, status, d)
}

func marketFileProblemText(l *i18n.Localizer, p *FileProblem) string {
	switch p.Code {
	case FileNoHeader:
		return l.T("risk.bureau.error.no_header")
	case FileMissingColumn:
		return l.T("risk.bureau.error.missing_column", p.Column)
	case FileUnknownColumn:
		return l.T("market.import.error.unknown_column", p.Column)
	case FileTooManyRows:
		return l.T("risk.bureau.error.too_many_rows", maxMarketRows)
	}
	if p.Line > 0 {
		return l.T("market.import.error.malformed_line", p.Line)
	}
	return l.T("risk.bureau.error.malformed")
}

func marketProblemText(l *i18n.Localizer, p MarketProblem) string {
	switch p.Code {
	case ProblemUnknownInstrument:
		return l.T("market.import.row.unknown_instrument", p.Value)
	case ProblemDuplicate:
		line, _ := strconv.Atoi(p.Value)
		return l.T("market.import.row.duplicate", line)
	case ProblemConflict:
		return l.T("market.import.row.conflict."+p.Fields[0], p.Value)
	}
	return l.T("risk.bureau.row.invalid", strings.Join(p.Fields, ", "))
}
