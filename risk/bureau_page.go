package risk

import (
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Templates are the risk package's console pages, for page.New.
var Templates, _ = fs.Sub(templateFiles, "templates")

// MaxBureauUpload is the largest bureau report the admin page takes
// (10 MiB, about 60,000 rows of CSV); larger files go through
// `ecrm import bureau FILE`.
const MaxBureauUpload = 10 << 20

// BureauPage is the admin's page for importing a credit bureau report:
// a file (CSV or JSON, the layout of ImportBureau) sent from a form, and
// what the import did, each refused row with its line and reason.
type BureauPage struct {
	pool  *pgxpool.Pool
	pages *page.Renderer
}

// NewBureauPage returns the bureau import page.
func NewBureauPage(pool *pgxpool.Pool, pages *page.Renderer) *BureauPage {
	return &BureauPage{pool: pool, pages: pages}
}

// Routes registers /console/imports/bureau; the caller puts it behind the
// admin guard, and each handler checks the role again. The form is
// protected from other sites as every console form is (the server's
// cross-origin protection).
func (h *BureauPage) Routes(r chi.Router) {
	const what, forbidden = "bureau import page failed", "Only administrators import credit bureau reports."
	r.Get("/console/imports/bureau", h.pages.AdminOnly(what, forbidden, h.show))
	r.With(web.AllowBody(MaxBureauUpload+64<<10)).Post("/console/imports/bureau", h.pages.AdminOnly(what, forbidden, h.upload))
}

// bureauPageData is the data of risk_bureau_import.html.
type bureauPageData struct {
	MaxSize  string
	Columns  []columnView
	FileName string
	// FileError is why the file was not imported at all.
	FileError string
	Result    *ImportResult
	Problems  []problemView
}

// columnView is a column of the layout with the values it takes, when
// they are a list.
type columnView struct {
	Name   string
	Values []string
}

func layoutColumns() []columnView {
	values := map[string][]string{"kind": creditKinds, "status": paymentStatus, "line_status": lineStatuses}
	out := make([]columnView, len(bureauColumns))
	for i, c := range bureauColumns {
		out[i] = columnView{Name: c, Values: values[c]}
	}
	return out
}

// problemView is a refused row as the page says it.
type problemView struct {
	Line   int
	Reason string
}

func (h *BureauPage) data(r *http.Request) bureauPageData {
	return bureauPageData{MaxSize: i18n.FromContext(r.Context()).T("risk.bureau.size_mib", MaxBureauUpload>>20), Columns: layoutColumns()}
}

func (h *BureauPage) show(w http.ResponseWriter, r *http.Request, _ int64) error {
	h.pages.Render(w, r, http.StatusOK, "risk_bureau_import", h.data(r))
	return nil
}

// upload imports the file sent. A file that cannot be read at all (too
// large, no header, not CSV or JSON) is refused with the reason at the
// file field and nothing imported; otherwise the good rows are applied and
// the page lists the refused ones.
func (h *BureauPage) upload(w http.ResponseWriter, r *http.Request, _ int64) error {
	l := i18n.FromContext(r.Context())
	d := h.data(r)
	refuse := func(msg string) error {
		d.FileError = msg
		h.pages.Render(w, r, http.StatusUnprocessableEntity, "risk_bureau_import", d)
		return nil
	}
	u, err := web.ReadUpload(w, r, MaxBureauUpload, 1)
	if errors.Is(err, web.ErrUploadTooLarge) {
		return refuse(l.T("risk.bureau.error.too_large", d.MaxSize))
	}
	if err != nil || u.File("file") == nil {
		return refuse(l.T("risk.bureau.error.no_file"))
	}
	d.FileName = u.File("file").Name
	data := u.File("file").Data
	if len(strings.TrimSpace(string(data))) == 0 {
		return refuse(l.T("risk.bureau.error.no_file"))
	}
	rows, err := ReadBureau(data)
	var fp *FileProblem
	if errors.As(err, &fp) {
		return refuse(fileProblemText(l, fp))
	}
	if err != nil {
		return err
	}
	res, err := ImportBureau(r.Context(), h.pool, rows)
	if err != nil {
		return err
	}
	d.Result = &res
	for _, p := range res.Rejected {
		d.Problems = append(d.Problems, problemView{Line: p.Line, Reason: rowProblemText(l, p)})
	}
	h.pages.Render(w, r, http.StatusOK, "risk_bureau_import", d)
	return nil
}

func fileProblemText(l *i18n.Localizer, p *FileProblem) string {
	switch p.Code {
	case FileNoHeader:
		return l.T("risk.bureau.error.no_header")
	case FileMissingColumn:
		return l.T("risk.bureau.error.missing_column", p.Column)
	case FileTooManyRows:
		return l.T("risk.bureau.error.too_many_rows", maxBureauRows)
	}
	if p.Line > 0 {
		return l.T("risk.bureau.error.malformed_line", p.Line)
	}
	return l.T("risk.bureau.error.malformed")
}

func rowProblemText(l *i18n.Localizer, p RowProblem) string {
	switch p.Code {
	case ProblemUnknownClient:
		return l.T("risk.bureau.row.unknown_client")
	case ProblemBalance:
		return l.T("risk.bureau.row.balance_above_limit")
	}
	return l.T("risk.bureau.row.invalid", strings.Join(p.Fields, ", "))
}
