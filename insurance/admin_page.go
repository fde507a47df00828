package insurance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// MaxQuestionnaireUpload bounds a definition sent from the upload page: the
// journey's largest section is about 30 KiB, published FHIR examples a
// few hundred; 1 MiB leaves room for any real questionnaire.
const MaxQuestionnaireUpload = 1 << 20

// QuestionnaireVersion is one imported definition as the administrators' list shows it.
type QuestionnaireVersion struct {
	ID          int64
	URL         string
	Version     string
	Title       string
	Status      string
	Unsupported []string
	ImportedAt  time.Time
	// TitleTr holds the title's translations (FHIR's translation
	// extension on _title).
	TitleTr map[string]string
}

// Versions lists every imported definition, newest first.
func (s *Store) Versions(ctx context.Context) ([]QuestionnaireVersion, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, url, version, title, status, unsupported, imported_at, definition->'_title'
		FROM questionnaires ORDER BY imported_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("questionnaire versions: %w", err)
	}
	defer rows.Close()
	var out []QuestionnaireVersion
	for rows.Next() {
		var v QuestionnaireVersion
		var titleElement []byte
		if err := rows.Scan(&v.ID, &v.URL, &v.Version, &v.Title, &v.Status, &v.Unsupported, &v.ImportedAt, &titleElement); err != nil {
			return nil, fmt.Errorf("questionnaire versions: %w", err)
		}
		v.TitleTr, _, _ = readTranslations(titleElement)
		out = append(out, v)
	}
	return out, rows.Err()
}

// AdminPage is the administrators' page for questionnaire definitions:
// every version imported, and a form to import a FHIR R4 JSON file with
// what the import did (stored, unchanged, or refused with each item at
// fault named, and what it does not support).
type AdminPage struct {
	store *Store
	pages *page.Renderer
	zone  *time.Location
}

// NewAdminPage returns the page; times are shown in zone.
func NewAdminPage(store *Store, pages *page.Renderer, zone *time.Location) *AdminPage {
	return &AdminPage{store: store, pages: pages, zone: zone}
}

// Routes registers /console/questionnaires; the caller puts it behind the
// admin guard, and page.AdminOnly checks the role again.
func (h *AdminPage) Routes(r chi.Router) {
	const what, forbidden = "questionnaire page failed", "Only administrators import questionnaires."
	r.Get("/console/questionnaires", h.pages.AdminOnly(what, forbidden, h.show))
	r.With(web.AllowBody(MaxQuestionnaireUpload+64<<10)).Post("/console/questionnaires", h.pages.AdminOnly(what, forbidden, h.upload))
}

// adminPageData is the data of insurance_questionnaires.html.
type adminPageData struct {
	Versions []versionView
	MaxSize  string
	FileName string
	// FileError is why nothing was imported, at the file field.
	FileError string
	Result    *ImportResult
	Problems  []problemView
}

type versionView struct {
	QuestionnaireVersion
	Imported string
}

// problemView is a refused item as the page says it.
type problemView struct {
	Item   string
	Field  string
	Reason string
}

func (h *AdminPage) render(w http.ResponseWriter, r *http.Request, status int, d adminPageData) error {
	l := i18n.FromContext(r.Context())
	versions, err := h.store.Versions(r.Context())
	if err != nil {
		return err
	}
	for _, v := range versions {
		v.Title = translated(v.Title, v.TitleTr, l.Lang().String())
		d.Versions = append(d.Versions, versionView{QuestionnaireVersion: v, Imported: l.DateTime(v.ImportedAt, h.zone)})
	}
	d.MaxSize = l.FileSize(MaxQuestionnaireUpload)
	h.pages.Render(w, r, status, "insurance_questionnaires", page.View{Area: page.AreaConsole, Data: d})
	return nil
}

func (h *AdminPage) show(w http.ResponseWriter, r *http.Request, _ int64) error {
	return h.render(w, r, http.StatusOK, adminPageData{})
}

// upload imports the file sent: refused at the file field when it is not
// there, too large, not JSON or its version is taken by another
// definition; refused with its problems listed when malformed; otherwise
// stored (or found unchanged) with what it does not support listed.
func (h *AdminPage) upload(w http.ResponseWriter, r *http.Request, staffID int64) error {
	l := i18n.FromContext(r.Context())
	var d adminPageData
	refuse := func(msg string) error {
		d.FileError = msg
		return h.render(w, r, http.StatusUnprocessableEntity, d)
	}
	u, err := web.ReadUpload(w, r, MaxQuestionnaireUpload, 1)
	if errors.Is(err, web.ErrUploadTooLarge) {
		return refuse(l.T("insurance.admin.error.too_large", l.FileSize(MaxQuestionnaireUpload)))
	}
	f := (*web.UploadedFile)(nil)
	if err == nil {
		f = u.File("file")
	}
	if f == nil || len(f.Data) == 0 {
		return refuse(l.T("insurance.admin.error.no_file"))
	}
	d.FileName = f.Name
	res, err := h.store.Import(r.Context(), f.Data, staffID)
	switch {
	case errors.Is(err, ErrVersionTaken):
		return refuse(l.T("insurance.admin.error.version_taken"))
	case ecrm.ErrorCode(err) == ecrm.EINVALID:
		return refuse(l.T("insurance.admin.error.not_json"))
	case err != nil:
		return err
	}
	d.Result = &res
	for _, p := range res.Problems {
		d.Problems = append(d.Problems, problemView{Item: p.LinkID, Field: p.Field, Reason: problemText(l, p)})
	}
	status := http.StatusOK
	if len(res.Problems) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return h.render(w, r, status, d)
}

// problemText says a definition's problem in the reader's language.
func problemText(l *i18n.Localizer, p Problem) string {
	return p.In(l)
}
