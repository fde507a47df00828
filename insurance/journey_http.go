package insurance

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// OpenAPIJourney documents the journey's API routes.
//
//go:embed openapi_journey.json
var OpenAPIJourney []byte

// ProgrammeSelector rates the programmes that fit a journey's answers so
// far (programme selection, selection.go); the journey's pages show its
// candidates as the applicant answers.
type ProgrammeSelector interface {
	Select(ctx context.Context, answers Answers, asOf time.Time) (*Selection, error)
}

// JourneyHandler serves the applicant's journey: the portal's pages and
// the same for mobile apps under /api/v1/me/insurance.
type JourneyHandler struct {
	journeys *Journeys
	pages    *page.Renderer
	selector ProgrammeSelector
	zone     *time.Location
}

// NewJourneyHandler serves journeys; selector may be nil (no live
// programmes panel).
func NewJourneyHandler(journeys *Journeys, pages *page.Renderer, selector ProgrammeSelector) *JourneyHandler {
	return &JourneyHandler{journeys: journeys, pages: pages, selector: selector, zone: time.UTC}
}

// SetZone sets the zone the pages show times in.
func (h *JourneyHandler) SetZone(z *time.Location) {
	if z != nil {
		h.zone = z
	}
}

// Routes registers the client's routes; the caller puts them behind the
// client guard (clients and prospects), and each handler finds the client
// again.
func (h *JourneyHandler) Routes(r chi.Router) {
	r.Get("/portal/insurance", h.page("insurance journeys", h.showJourneys))
	r.Post("/portal/insurance/journeys", h.page("start an insurance journey", h.startJourney))
	r.Get("/portal/insurance/journeys/{id}", h.page("resume an insurance journey", h.resumeJourney))
	r.Get("/portal/insurance/journeys/{id}/sections/{section}", h.page("insurance journey section", h.showSection))
	r.Post("/portal/insurance/journeys/{id}/sections/{section}", h.page("save an insurance journey section", h.saveSection))

	r.Get("/api/v1/me/insurance/journeys", h.api(h.apiJourneys))
	r.Post("/api/v1/me/insurance/journeys", h.api(h.apiStart))
	r.Get("/api/v1/me/insurance/journeys/{id}", h.api(h.apiJourney))
	r.Get("/api/v1/me/insurance/journeys/{id}/sections/{section}/answers", h.api(h.apiSectionAnswers))
	r.Put("/api/v1/me/insurance/journeys/{id}/sections/{section}/answers", h.api(h.apiPutAnswers))
	r.Post("/api/v1/me/insurance/journeys/{id}/sections/{section}/submit", h.api(h.apiSubmit))
}

var errNotApplicant = ecrm.Errorf(ecrm.EUNAUTHORIZED, "Log in as a client or applicant first.")

type journeyHandlerFunc func(w http.ResponseWriter, r *http.Request, clientID int64) error

func applicant(r *http.Request) (int64, error) {
	p := ecrm.PrincipalFrom(r.Context())
	if !p.IsClient() {
		return 0, errNotApplicant
	}
	return p.ClientID, nil
}

func (h *JourneyHandler) page(what string, fn journeyHandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := applicant(r)
		if err == nil {
			err = fn(w, r, id)
		}
		if err != nil {
			status := web.Fail(w, r, err, what)
			h.pages.RenderError(w, r, status, "", ecrm.ErrorMessage(err), web.RequestIDFrom(r.Context()))
		}
	}
}

func (h *JourneyHandler) api(fn journeyHandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := applicant(r)
		if err == nil {
			err = fn(w, r, id)
		} else {
			w.Header().Set("WWW-Authenticate", "Bearer")
		}
		if err != nil {
			web.Problem(w, r, err)
		}
	}
}

func journeyID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrJourneyNotFound
	}
	return id, nil
}

// sectionURL and choiceURL are where the journey's pages lead.
func sectionURL(id int64, key string) string {
	return fmt.Sprintf("/portal/insurance/journeys/%d/sections/%s", id, url.PathEscape(key))
}

// ChoiceURL is programme selection's page for a completed journey.
func ChoiceURL(id int64) string { return fmt.Sprintf("/portal/insurance/journeys/%d/choice", id) }

// journeysPage is the data of the start page.
type journeysPage struct {
	Journeys []journeyRow
}

type journeyRow struct {
	Journey
	SectionTitle string
	Href         string
	Zone         *time.Location
}

func (h *JourneyHandler) showJourneys(w http.ResponseWriter, r *http.Request, clientID int64) error {
	list, err := h.journeys.List(r.Context(), clientID)
	if err != nil {
		return err
	}
	lang := i18n.FromContext(r.Context()).Lang().String()
	titles, err := h.sectionTitles(r.Context(), lang)
	if err != nil {
		return err
	}
	data := journeysPage{}
	for _, jn := range list {
		row := journeyRow{Journey: jn, SectionTitle: titles[jn.CurrentSection], Href: sectionURL(jn.ID, jn.CurrentSection), Zone: h.zone}
		if jn.Status == JourneyCompleted {
			row.Href = ChoiceURL(jn.ID)
		}
		data.Journeys = append(data.Journeys, row)
	}
	h.pages.Render(w, r, http.StatusOK, "insurance_journey", data)
	return nil
}

// sectionTitles are the newest versions' titles by section key.
func (h *JourneyHandler) sectionTitles(ctx context.Context, lang string) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range h.journeys.def.Sections {
		id, err := latestVersion(ctx, h.journeys.pool, s.URL)
		if err != nil {
			return nil, err
		}
		q, err := h.journeys.questionnaire(ctx, h.journeys.pool, id)
		if err != nil {
			return nil, err
		}
		out[s.Key] = q.TitleIn(lang)
	}
	return out, nil
}

func (h *JourneyHandler) startJourney(w http.ResponseWriter, r *http.Request, clientID int64) error {
	id, err := h.journeys.Start(r.Context(), clientID)
	if err != nil {
		return err
	}
	http.Redirect(w, r, sectionURL(id, h.journeys.def.Sections[0].Key), http.StatusSeeOther)
	return nil
}

func (h *JourneyHandler) resumeJourney(w http.ResponseWriter, r *http.Request, clientID int64) error {
	id, err := journeyID(r)
	if err != nil {
		return err
	}
	jn, err := h.journeys.Get(r.Context(), clientID, id)
	if err != nil {
		return err
	}
	to := sectionURL(id, jn.CurrentSection)
	if jn.Status == JourneyCompleted {
		to = ChoiceURL(id)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// sectionPage is the data of a section's page.
type sectionPage struct {
	JourneyID   int64
	Kind        string
	Key         string
	Title       string
	Action      string
	Steps       []stepView
	Items       []ItemView
	Errors      []errorLink
	Attention   int
	Last        bool
	Saved       bool
	Panel       *panelView
	Version     string
	Description string
}

type stepView struct {
	Key, Title, Href, Status string
	Current                  bool
}

type errorLink struct{ ID, Message string }

// panelView is the live list of candidate programmes.
type panelView struct {
	Candidates  []panelCandidate
	Unavailable bool
	Indicative  bool
}

type panelCandidate struct {
	Insurer, Name, Line string
	Outcome             Outcome
	Premium             ecrm.Money
}

func (h *JourneyHandler) showSection(w http.ResponseWriter, r *http.Request, clientID int64) error {
	ctx := r.Context()
	id, err := journeyID(r)
	if err != nil {
		return err
	}
	key := chi.URLParam(r, "section")
	ov, err := h.journeys.Overview(ctx, clientID, id)
	if err != nil {
		return err
	}
	if ov.Journey.Status == JourneyCompleted {
		http.Redirect(w, r, ChoiceURL(id), http.StatusSeeOther)
		return nil
	}
	ss := findSection(ov, key)
	if ss == nil {
		return ErrSectionNotFound
	}
	if !ss.Applies {
		http.Redirect(w, r, sectionURL(id, ov.Journey.CurrentSection), http.StatusSeeOther)
		return nil
	}
	if err := h.journeys.RecordView(ctx, clientID, id, ss.QuestionnaireID); err != nil {
		return err
	}
	h.renderSection(w, r, http.StatusOK, ov, ss, nil, nil, false)
	return nil
}

func (h *JourneyHandler) saveSection(w http.ResponseWriter, r *http.Request, clientID int64) error {
	ctx := r.Context()
	id, err := journeyID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return ecrm.FieldErrorf("body", "cannot be read")
	}
	ov, err := h.journeys.Overview(ctx, clientID, id)
	if err != nil {
		return err
	}
	if ov.Journey.Status == JourneyCompleted {
		http.Redirect(w, r, ChoiceURL(id), http.StatusSeeOther)
		return nil
	}
	ss := findSection(ov, chi.URLParam(r, "section"))
	if ss == nil {
		return ErrSectionNotFound
	}
	if !ss.Applies {
		http.Redirect(w, r, sectionURL(id, ov.Journey.CurrentSection), http.StatusSeeOther)
		return nil
	}
	answers, raw, problems := readForm(ss.Questionnaire, r.PostForm, i18n.FromContext(ctx))
	// The section is submitted by its "Save and continue" button (also
	// what pressing Enter in a field sends); any other post — a live
	// change the form[data-live] script posts, its "Save and show the
	// questions that apply" without the script — saves and shows the
	// section again, so that leaving at any point loses nothing.
	return h.save(w, r, clientID, ov, ss, answers, raw, problems, r.PostForm.Get("step") == "next")
}

// save stores the section's answers and answers the page: on to the next
// section after a complete submit, else the section again with each
// problem at its question.
func (h *JourneyHandler) save(w http.ResponseWriter, r *http.Request, clientID int64, ov *Overview, ss *SectionState, answers Answers,
	raw url.Values, problems []Problem, submit bool) error {
	ctx := r.Context()
	id := ov.Journey.ID
	res, err := h.journeys.Save(ctx, clientID, id, ss.Key, answers, SaveOptions{Submit: submit && len(problems) == 0,
		Changed: changedAnswers(ss.Answers, answers)})
	if err != nil {
		return err
	}
	if submit && len(problems) == 0 && res.Completed {
		to := sectionURL(id, res.Next)
		if res.JourneyCompleted {
			to = ChoiceURL(id)
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	problems = append(problems, res.Problems...)
	if submit {
		// Every question still unanswered is named too.
		problems = append(problems, validate(ss.Questionnaire, res.Saved, true, ss.gate)...)
	}
	problems = uniqueProblems(problems)
	if ov, err = h.journeys.Overview(ctx, clientID, id); err != nil {
		return err
	}
	ss = findSection(ov, ss.Key)
	// The typed text of an answer refused stays in its control.
	for id := range raw {
		if !slices.ContainsFunc(problems, func(p Problem) bool { return p.LinkID == id }) {
			delete(raw, id)
		}
	}
	status := http.StatusOK
	if submit && len(problems) > 0 {
		status = http.StatusUnprocessableEntity
	}
	h.renderSection(w, r, status, ov, ss, raw, problems, !submit)
	return nil
}

// changedAnswers names the questions whose answers differ.
func changedAnswers(before, after Answers) []string {
	var out []string
	for id, v := range after {
		if !reflect.DeepEqual(before[id], v) {
			out = append(out, id)
		}
	}
	for id := range before {
		if _, ok := after[id]; !ok {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func findSection(ov *Overview, key string) *SectionState {
	for i := range ov.Sections {
		if ov.Sections[i].Key == key {
			return &ov.Sections[i]
		}
	}
	return nil
}

func (h *JourneyHandler) renderSection(w http.ResponseWriter, r *http.Request, status int, ov *Overview, ss *SectionState, raw url.Values,
	problems []Problem, saved bool) {
	ctx := r.Context()
	l := i18n.FromContext(ctx)
	lang := l.Lang().String()
	q := ss.Questionnaire
	byID := map[string]*Item{}
	walkItems(q.Items, func(it *Item) { byID[it.LinkID] = it })
	fs := &formState{raw: raw, answers: ss.Answers, errors: map[string]string{}, attend: map[string]bool{}, lang: lang, l: l,
		enabled: enabled(q, ss.Answers, ss.gate)}
	data := sectionPage{JourneyID: ov.Journey.ID, Kind: ov.Journey.Kind, Key: ss.Key, Title: q.TitleIn(lang), Action: sectionURL(ov.Journey.ID, ss.Key),
		Version: q.Version, Saved: saved && len(problems) == 0}
	for _, p := range problems {
		if it := byID[p.LinkID]; it != nil && fs.errors[p.LinkID] == "" {
			fs.errors[p.LinkID] = fieldMessage(p, it, l)
		}
	}
	// The summary in the questionnaire's order.
	walkItems(q.Items, func(it *Item) {
		if msg := fs.errors[it.LinkID]; msg != "" {
			data.Errors = append(data.Errors, errorLink{ID: HTMLID(it.LinkID), Message: it.TextIn(lang) + ": " + msg})
		}
	})
	for _, id := range ss.Attention {
		if fs.enabled[id] {
			fs.attend[id] = true
			data.Attention++
		}
	}
	data.Items = itemViews(q.Items, fs)
	var applicable []string
	for _, s := range ov.Sections {
		if !s.Applies {
			continue
		}
		applicable = append(applicable, s.Key)
		data.Steps = append(data.Steps, stepView{Key: s.Key, Title: s.Questionnaire.TitleIn(lang), Href: sectionURL(ov.Journey.ID, s.Key),
			Status: s.Status, Current: s.Key == ss.Key})
	}
	data.Last = len(applicable) > 0 && applicable[len(applicable)-1] == ss.Key
	data.Panel = h.panel(ctx, ov.Answers)
	h.pages.Render(w, r, status, "insurance_journey_section", data)
}

// panel asks the selector for the candidates on the answers so far: the
// best of each line, with its premium (indicative while answers are
// missing).
func (h *JourneyHandler) panel(ctx context.Context, answers Answers) *panelView {
	if h.selector == nil {
		return nil
	}
	sel, err := h.selector.Select(ctx, answers, h.journeys.Now())
	if err != nil {
		slog.WarnContext(ctx, "insurance journey: programme selection failed", "err", err)
		return &panelView{Unavailable: true}
	}
	p := &panelView{}
	for _, c := range sel.Candidates {
		if c.Outcome == OutcomeDecline {
			continue
		}
		if len(c.Missing) > 0 {
			p.Indicative = true
		}
		currency := c.Currency
		if currency == "" {
			currency = "RON"
		}
		p.Candidates = append(p.Candidates, panelCandidate{Insurer: c.Insurer, Name: c.Name, Line: c.Line, Outcome: c.Outcome,
			Premium: ecrm.Money{Amount: c.Premium, Currency: currency}})
		if len(p.Candidates) == 8 {
			break
		}
	}
	return p
}

// The API for mobile apps.

func (h *JourneyHandler) apiJourneys(w http.ResponseWriter, r *http.Request, clientID int64) error {
	list, err := h.journeys.List(r.Context(), clientID)
	if err != nil {
		return err
	}
	if list == nil {
		list = []Journey{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"journeys": list})
	return nil
}

func (h *JourneyHandler) apiStart(w http.ResponseWriter, r *http.Request, clientID int64) error {
	id, err := h.journeys.Start(r.Context(), clientID)
	if err != nil {
		return err
	}
	jn, err := h.journeys.Get(r.Context(), clientID, id)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/me/insurance/journeys/%d", id))
	web.WriteJSON(w, http.StatusCreated, jn)
	return nil
}

func (h *JourneyHandler) apiJourney(w http.ResponseWriter, r *http.Request, clientID int64) error {
	id, err := journeyID(r)
	if err != nil {
		return err
	}
	ov, err := h.journeys.Overview(r.Context(), clientID, id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, ov)
	return nil
}

// sectionAnswers is a section as the API shows it.
type sectionAnswers struct {
	SectionState
	Questionnaire string   `json:"questionnaire"`
	Shown         []string `json:"enabled"`
}

func (h *JourneyHandler) apiSection(r *http.Request, clientID int64) (*Overview, *SectionState, error) {
	id, err := journeyID(r)
	if err != nil {
		return nil, nil, err
	}
	ov, err := h.journeys.Overview(r.Context(), clientID, id)
	if err != nil {
		return nil, nil, err
	}
	ss := findSection(ov, chi.URLParam(r, "section"))
	if ss == nil {
		return nil, nil, ErrSectionNotFound
	}
	return ov, ss, nil
}

func (h *JourneyHandler) writeSection(w http.ResponseWriter, ss *SectionState) {
	out := sectionAnswers{SectionState: *ss, Questionnaire: ss.URL + "|" + ss.Version, Shown: []string{}}
	walkItems(ss.Questionnaire.Items, func(it *Item) {
		if ss.Enabled[it.LinkID] && it.Type != "group" && it.Type != "display" {
			out.Shown = append(out.Shown, it.LinkID)
		}
	})
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *JourneyHandler) apiSectionAnswers(w http.ResponseWriter, r *http.Request, clientID int64) error {
	_, ss, err := h.apiSection(r, clientID)
	if err != nil {
		return err
	}
	h.writeSection(w, ss)
	return nil
}

// answersBody is the body of PUT answers and POST submit.
type answersBody struct {
	Answers Answers `json:"answers"`
}

func readAnswersBody(r *http.Request, required bool) (Answers, bool, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, false, ecrm.FieldErrorf("body", "cannot be read")
	}
	if len(data) == 0 && !required {
		return nil, false, nil
	}
	var body answersBody
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return nil, false, ecrm.FieldErrorf("answers", "must be an object of answers by linkId, each a list of values such as {\"integer\": 2}: %v", err)
	}
	if body.Answers == nil {
		if required {
			return nil, false, ecrm.FieldErrorf("answers", "is required")
		}
		return nil, false, nil
	}
	for id, vs := range body.Answers {
		for _, v := range vs {
			if v.count() != 1 {
				return nil, false, ecrm.FieldErrorf(id, "each answer needs exactly one value (boolean, decimal, integer, date, string, coding, quantity)")
			}
		}
	}
	return body.Answers, true, nil
}

func (h *JourneyHandler) apiPutAnswers(w http.ResponseWriter, r *http.Request, clientID int64) error {
	return h.apiSave(w, r, clientID, false)
}

func (h *JourneyHandler) apiSubmit(w http.ResponseWriter, r *http.Request, clientID int64) error {
	return h.apiSave(w, r, clientID, true)
}

// apiSave stores a section's answers (PUT: all of them) or submits it
// (POST submit: with the answers in the body, or those stored): a wrong
// answer refuses the whole change with every question named.
func (h *JourneyHandler) apiSave(w http.ResponseWriter, r *http.Request, clientID int64, submit bool) error {
	ctx := r.Context()
	answers, given, err := readAnswersBody(r, !submit)
	if err != nil {
		return err
	}
	ov, ss, err := h.apiSection(r, clientID)
	if err != nil {
		return err
	}
	if !given {
		answers = ss.Answers
	}
	res, err := h.journeys.Save(ctx, clientID, ov.Journey.ID, ss.Key, answers, SaveOptions{Submit: submit, Strict: true,
		Changed: changedAnswers(ss.Answers, answers)})
	if err != nil {
		return err
	}
	if len(res.Problems) > 0 {
		e := &ecrm.Error{Code: ecrm.EINVALID, Message: "The answers are not accepted: " + res.Problems[0].String()}
		for _, p := range res.Problems {
			e.Fields = append(e.Fields, ecrm.FieldError{Field: p.LinkID, Message: p.Message})
		}
		return e
	}
	out := map[string]any{"answers": res.Saved, "completed": res.Completed, "journey_completed": res.JourneyCompleted}
	if res.Next != "" {
		out["next"] = res.Next
	}
	if res.JourneyCompleted {
		out["choice"] = ChoiceURL(ov.Journey.ID)
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (v Value) count() int {
	n := 0
	for _, set := range []bool{v.Boolean != nil, v.Decimal != nil, v.Integer != nil, v.Date != "", v.String != nil, v.Coding != nil, v.Quantity != nil} {
		if set {
			n++
		}
	}
	return n
}
