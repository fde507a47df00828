package risk

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// ProfileHandler serves the suitability questionnaire and the risk profile:
// the client's page /portal/risk-profile and API /api/v1/me/risk-profile,
// and the advisor's page /console/clients/{id}/risk-profile, where an
// advisor completes the questionnaire with a client they serve (recorded
// as such). Each page shows the resulting class, loss capacity and how
// they were derived, and the client's risk behaviour beside them.
type ProfileHandler struct {
	suitability *Suitability
	pages       *page.Renderer
}

// NewProfileHandler serves profiles from s, rendering with pages (built
// with Templates).
func NewProfileHandler(s *Suitability, pages *page.Renderer) *ProfileHandler {
	return &ProfileHandler{suitability: s, pages: pages}
}

// PortalRoutes registers the client's page and API; mount them behind the
// client guard. Every handler reads the client from the principal, so a
// client can only ever reach their own profile.
func (h *ProfileHandler) PortalRoutes(r chi.Router) {
	r.Get("/portal/risk-profile", h.showPortalPage)
	r.Post("/portal/risk-profile", h.submitPortalForm)
	r.Get("/api/v1/me/risk-profile", h.getMyProfile)
	r.Post("/api/v1/me/risk-profile", h.postMyProfile)
}

// ConsoleRoutes registers the advisor's page; mount it behind the staff
// guard. Only an advisor may use it, and only for a client they serve
// (checked in SQL).
func (h *ProfileHandler) ConsoleRoutes(r chi.Router) {
	r.Get("/console/clients/{id}/risk-profile", h.showConsolePage)
	r.Post("/console/clients/{id}/risk-profile", h.submitConsoleForm)
}

// advisorOf is the advisor completing a questionnaire with a client.
func advisorOf(r *http.Request) (int64, int64, error) {
	p := ecrm.PrincipalFrom(r.Context())
	switch {
	case p == nil:
		return 0, 0, ecrm.Errorf(ecrm.EUNAUTHORIZED, "console.error.login_first")
	case !p.HasRole(ecrm.RoleAdvisor) || p.StaffID <= 0:
		return 0, 0, ecrm.Errorf(ecrm.EFORBIDDEN, "suitability.console.advisors_only")
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, 0, ErrNoSuchClient
	}
	return p.StaffID, id, nil
}

// ---------------------------------------------------------------------------
// API

// profileJSON is the API's risk profile.
type profileJSON struct {
	Status         string         `json:"status"`
	StaleReasons   []string       `json:"stale_reasons"`
	ReviewDue      *time.Time     `json:"review_due"`
	MaxAge         string         `json:"max_age"`
	ScoringVersion string         `json:"scoring_version"`
	Assessment     *StatedProfile `json:"assessment"`
	Answers        *AnswersJSON   `json:"answers"`
	Behaviour      Behaviour      `json:"behaviour"`
}

func (h *ProfileHandler) profileJSON(r *http.Request, clientID int64) (profileJSON, error) {
	p, err := h.suitability.Profile(r.Context(), clientID)
	if err != nil {
		return profileJSON{}, err
	}
	b, err := LoadBehaviour(r.Context(), h.suitability.pool, clientID, h.suitability.Now())
	if err != nil {
		return profileJSON{}, err
	}
	return profileJSON{Status: p.Status, StaleReasons: p.StaleReasons, ReviewDue: p.ReviewDue, MaxAge: h.suitability.MaxAge.String(),
		ScoringVersion: ScoringVersion, Assessment: p.Stated, Answers: p.Answers.Nested(), Behaviour: b}, nil
}

func (h *ProfileHandler) getMyProfile(w http.ResponseWriter, r *http.Request) {
	id, err := authenticatedClient(r)
	if err == nil {
		var out profileJSON
		if out, err = h.profileJSON(r, id); err == nil {
			writePrivateJSON(w, http.StatusOK, out)
			return
		}
	}
	web.Problem(w, r, err)
}

func (h *ProfileHandler) postMyProfile(w http.ResponseWriter, r *http.Request) {
	id, err := authenticatedClient(r)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	var body AnswersJSON
	if err := web.DecodeJSON(r, &body); err != nil {
		web.Problem(w, r, err)
		return
	}
	l := i18n.FromContext(r.Context())
	saved, err := h.suitability.Submit(r.Context(), id, body.Flat(), Completion{Key: r.Header.Get("Idempotency-Key")}, l)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	out, err := h.profileJSON(r, id)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	status := http.StatusCreated
	if !saved.Created {
		status = http.StatusOK
	}
	w.Header().Set("Location", "/api/v1/me/risk-profile")
	writePrivateJSON(w, status, out)
}

// writePrivateJSON writes a client's data, which no cache may keep.
func writePrivateJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, status, v)
}

// ---------------------------------------------------------------------------
// Pages

// profilePage is the data of risk_profile.html and risk_profile_console.html.
type profilePage struct {
	Profile   *RiskProfile
	Behaviour *Behaviour
	MaxAge    Period
	// Action is where the form posts; Key its idempotency key.
	Action string
	Key    string
	// Sections are the questionnaire's fields, filled in.
	Sections []formSection
	Errors   []formError
	// Saved is true right after the questionnaire was stored.
	Saved bool
	// Console is true on the advisor's page.
	Console  bool
	ClientID int64
	Zone     *time.Location
}

type formSection struct {
	ID        string
	Fieldsets []formFieldset
}

type formFieldset struct {
	Legend string
	Fields []page.FormField
}

type formError struct{ Anchor, Message string }

// fieldID is a question's HTML id.
func fieldID(field string) string { return "q-" + strings.ReplaceAll(field, ".", "-") }

// HorizonAnswer is the horizon answer stored as months (for showing a
// profile's horizon as the question's option).
func HorizonAnswer(months int) string {
	for answer, m := range horizonMonths {
		if m == months {
			return answer
		}
	}
	return ""
}

// formSections lays the questionnaire out with values and errors by field.
func formSections(values, errs map[string]string) []formSection {
	var out []formSection
	for _, s := range Questionnaire {
		fs := formSection{ID: s.ID}
		for _, set := range s.Fieldsets {
			fset := formFieldset{Legend: set.Legend}
			for _, q := range set.Questions {
				f := page.FormField{Name: q.Field, ID: fieldID(q.Field), LabelKey: "suitability.q." + q.Label, Error: errs[q.Field]}
				if hint := f.LabelKey + ".hint"; i18n.HasMessage(i18n.English, hint) {
					f.HintKey = hint
				}
				v := values[q.Field]
				switch q.Kind {
				case kindChoice:
					f.Options = []page.FormOption{{Value: "", LabelKey: "suitability.opt.choose", Selected: v == ""}}
					for _, o := range q.Options {
						f.Options = append(f.Options, page.FormOption{Value: o.Value, LabelKey: "suitability.opt." + q.Label + "." + o.Value, Selected: v == o.Value})
					}
				case kindCurrency:
					for _, c := range Currencies {
						f.Options = append(f.Options, page.FormOption{Value: c, Label: c, Selected: v == c})
					}
				default:
					f.InputMode, f.Autocomplete, f.MaxLength, f.Value = "decimal", "off", ecrm.MaxDecimalLength, v
				}
				fset.Fields = append(fset.Fields, f)
			}
			fs.Fieldsets = append(fs.Fieldsets, fset)
		}
		out = append(out, fs)
	}
	return out
}

// storedValues are the form's values from stored answers, amounts in the
// reader's format; the client's own currency when never answered.
func storedValues(p *RiskProfile, l *i18n.Localizer) map[string]string {
	values := map[string]string{}
	for field, v := range p.Answers {
		values[field] = v
		if strings.HasPrefix(field, "financial.") && field != "financial.currency" && field != "financial.loss_impact" {
			if d, err := decimal.NewFromString(v); err == nil {
				values[field] = l.Decimal(d, int32(i18n.ExactPlaces(d, 0)))
			}
		}
	}
	if values["financial.currency"] == "" {
		values["financial.currency"] = "RON"
		for _, c := range Currencies {
			if c == p.Currency {
				values["financial.currency"] = c
			}
		}
	}
	return values
}

// readForm reads the questionnaire from a posted form: amounts in the
// reader's format become plain decimals; what cannot be read is passed on
// as typed, for validation to name.
func readForm(r *http.Request, l *i18n.Localizer) (Answers, map[string]string, string) {
	a, raw := Answers{}, map[string]string{}
	for _, q := range questions() {
		v := strings.TrimSpace(r.PostForm.Get(q.Field))
		raw[q.Field] = v
		if v == "" {
			continue
		}
		if q.Kind == kindAmount {
			if d, ok := l.ParseAmount(v); ok {
				a[q.Field] = d.String()
				continue
			}
		}
		a[q.Field] = v
	}
	return a, raw, r.PostForm.Get("key")
}

func (h *ProfileHandler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := web.Fail(w, r, err, "risk profile page failed")
	detail := ""
	var e *ecrm.Error
	if errors.As(err, &e) && i18n.HasMessage(i18n.English, e.Message) {
		detail = e.Message
	}
	h.pages.RenderError(w, r, status, "", detail, web.RequestIDFrom(r.Context()))
}

// render shows the page for a profile, with the form's values and errors.
func (h *ProfileHandler) render(w http.ResponseWriter, r *http.Request, status int, p *RiskProfile, data profilePage, values map[string]string, err error) {
	l := i18n.FromContext(r.Context())
	errs := map[string]string{}
	var appErr *ecrm.Error
	if errors.As(err, &appErr) {
		for _, f := range appErr.Fields {
			if _, seen := errs[f.Field]; !seen {
				errs[f.Field] = f.Message
				data.Errors = append(data.Errors, formError{Anchor: fieldID(f.Field), Message: f.Message})
			}
		}
	}
	if values == nil {
		values = storedValues(p, l)
	}
	b, berr := LoadBehaviour(r.Context(), h.suitability.pool, p.ClientID, h.suitability.Now())
	if berr != nil {
		h.fail(w, r, berr)
		return
	}
	data.Profile, data.Behaviour, data.MaxAge = p, &b, h.suitability.MaxAge
	data.Sections = formSections(values, errs)
	data.Saved = r.URL.Query().Get("saved") == "1" && err == nil
	if data.Key == "" {
		data.Key = page.NewFormKey()
	}
	name := "risk_profile"
	if data.Console {
		name = "risk_profile_console"
	}
	h.pages.Render(w, r, status, name, data)
}

func (h *ProfileHandler) showPortalPage(w http.ResponseWriter, r *http.Request) {
	id, err := authenticatedClient(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.suitability.Profile(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, p, profilePage{Action: "/portal/risk-profile"}, nil, nil)
}

func (h *ProfileHandler) submitPortalForm(w http.ResponseWriter, r *http.Request) {
	id, err := authenticatedClient(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.submit(w, r, id, 0, "/portal/risk-profile")
}

func (h *ProfileHandler) showConsolePage(w http.ResponseWriter, r *http.Request) {
	staff, id, err := advisorOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.suitability.ProfileForAdvisor(r.Context(), id, staff)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, p, profilePage{Action: consoleAction(id), Console: true, ClientID: id}, nil, nil)
}

func (h *ProfileHandler) submitConsoleForm(w http.ResponseWriter, r *http.Request) {
	staff, id, err := advisorOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.submit(w, r, id, staff, consoleAction(id))
}

func consoleAction(clientID int64) string {
	return "/console/clients/" + strconv.FormatInt(clientID, 10) + "/risk-profile"
}

// submit stores a posted questionnaire and goes back to the page (303),
// or shows the form again with every answer kept and each error at its
// field (422). Nothing is stored for a client out of reach.
func (h *ProfileHandler) submit(w http.ResponseWriter, r *http.Request, clientID, staffID int64, action string) {
	l := i18n.FromContext(r.Context())
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, ecrm.Errorf(ecrm.EINVALID, "The form could not be read."))
		return
	}
	answers, raw, key := readForm(r, l)
	_, err := h.suitability.Submit(r.Context(), clientID, answers, Completion{StaffID: staffID, Key: key}, l)
	if err == nil {
		http.Redirect(w, r, action+"?"+url.Values{"saved": {"1"}}.Encode()+"#result", http.StatusSeeOther)
		return
	}
	if ecrm.ErrorCode(err) != ecrm.EINVALID {
		h.fail(w, r, err)
		return
	}
	var p *RiskProfile
	var perr error
	if staffID != 0 {
		p, perr = h.suitability.ProfileForAdvisor(r.Context(), clientID, staffID)
	} else {
		p, perr = h.suitability.Profile(r.Context(), clientID)
	}
	if perr != nil {
		h.fail(w, r, perr)
		return
	}
	h.render(w, r, http.StatusUnprocessableEntity, p, profilePage{Action: action, Key: key, Console: staffID != 0, ClientID: clientID}, raw, err)
}
