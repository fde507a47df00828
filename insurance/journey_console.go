package insurance

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
)

// JourneyConsole is the administrators' side of questionnaires and the
// journey: a preview of any imported questionnaire as applicants would
// see it (published FHIR examples included) and the journey's analytics.
type JourneyConsole struct {
	journeys *Journeys
	pages    *page.Renderer
	zone     *time.Location
}

// NewJourneyConsole serves the preview and the analytics.
func NewJourneyConsole(journeys *Journeys, pages *page.Renderer, zone *time.Location) *JourneyConsole {
	if zone == nil {
		zone = time.UTC
	}
	return &JourneyConsole{journeys: journeys, pages: pages, zone: zone}
}

// Routes registers the pages; the caller puts them behind the admin
// guard and page.AdminOnly checks the role again.
func (h *JourneyConsole) Routes(r chi.Router) {
	r.Get("/console/questionnaires/{id}/preview", h.pages.AdminOnly("questionnaire preview failed",
		"Only administrators preview questionnaires.", h.preview))
	r.Get("/console/insurance/analytics", h.pages.AdminOnly("journey analytics failed",
		"Only administrators see the journey's analytics.", h.analytics))
}

// previewPage is the data of insurance_journey_preview.html.
type previewPage struct {
	ID          int64
	Title       string
	URL         string
	Version     string
	Status      string
	Unsupported []string
	Items       []ItemView
	Questions   int
	Errors      []errorLink
	Action      string
}

// preview draws every item of the questionnaire version, each question
// with its conditions; answers tried in the form (a live change or the
// check button) mark which items they enable and name each wrong answer
// at its question. Nothing is stored.
func (h *JourneyConsole) preview(w http.ResponseWriter, r *http.Request, _ int64) error {
	ctx := r.Context()
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return ecrm.Errorf(ecrm.ENOTFOUND, "No such questionnaire.")
	}
	var d previewPage
	var def []byte
	err = h.journeys.pool.QueryRow(ctx, `SELECT id, url, version, status, unsupported, definition FROM questionnaires WHERE id = $1`, id).
		Scan(&d.ID, &d.URL, &d.Version, &d.Status, &d.Unsupported, &def)
	if errors.Is(err, pgx.ErrNoRows) {
		return ecrm.Errorf(ecrm.ENOTFOUND, "No such questionnaire.")
	}
	if err != nil {
		return err
	}
	q, err := h.journeys.questionnaire(ctx, h.journeys.pool, id)
	if err != nil {
		return err
	}
	l := i18n.FromContext(ctx)
	lang := l.Lang().String()
	d.Title, d.Action = q.TitleIn(lang), "/console/questionnaires/"+strconv.FormatInt(id, 10)+"/preview"
	answers, raw, problems := readForm(q, r.URL.Query(), l)
	if len(answers) > 0 || len(problems) > 0 {
		problems = uniqueProblems(append(problems, Validate(q, answers, false)...))
	}
	fs := &formState{raw: raw, answers: answers, errors: map[string]string{}, attend: map[string]bool{}, lang: lang, l: l,
		enabled: Enabled(q, answers), showAll: true, describe: true}
	byID := map[string]*Item{}
	walkItems(q.Items, func(it *Item) {
		byID[it.LinkID] = it
		if it.Type != "group" && it.Type != "display" {
			d.Questions++
		}
	})
	for _, p := range problems {
		if it := byID[p.LinkID]; it != nil && fs.errors[p.LinkID] == "" {
			fs.errors[p.LinkID] = fieldMessage(p, it, l)
			d.Errors = append(d.Errors, errorLink{ID: HTMLID(p.LinkID), Message: it.TextIn(lang) + ": " + fs.errors[p.LinkID]})
		}
	}
	d.Items = itemViews(q.Items, fs)
	h.pages.Render(w, r, http.StatusOK, "insurance_journey_preview", page.View{Area: page.AreaConsole, Data: d})
	return nil
}
