package insurance

import (
	"crypto/rand"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/document"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// The applicant's choice (issue 16, item 3): the choice page
// /portal/insurance/journeys/{id}/choice lists each line's programmes
// ranked, with reasons, exclusions and the premium broken down, and the
// bundle; "Choose" quotes a programme (POST .../quotes, idempotent by the
// form's key) and the quote page offers the Buy button that posts to the
// policies part's bind route, and the demands-and-needs statement as a
// page and a PDF. The JSON API under /api/v1/me/insurance says the same.

// OpenAPIRating documents the routes below.
//
//go:embed openapi_rating.json
var OpenAPIRating []byte

// ChoiceHandler serves the choice, quote and statement pages and API.
type ChoiceHandler struct {
	progs *Programmes
	pages *page.Renderer
	docs  *document.Renderer
	// Firm is the distributor's name on the statement.
	Firm string
}

// NewChoiceHandler serves progs with pages and docs (the statement PDF).
func NewChoiceHandler(progs *Programmes, pages *page.Renderer, docs *document.Renderer) *ChoiceHandler {
	return &ChoiceHandler{progs: progs, pages: pages, docs: docs, Firm: ecrm.DefaultFirm}
}

// Routes registers the client's routes (behind the client guard; each
// handler checks the principal again and every query filters by it).
func (h *ChoiceHandler) Routes(r chi.Router) {
	r.Get("/portal/insurance/journeys/{id}/choice", h.page(h.showChoice))
	r.Post("/portal/insurance/journeys/{id}/quotes", h.page(h.chooseForm))
	r.Get("/portal/insurance/journeys/{id}/statement", h.page(h.showJourneyStatement))
	r.Get("/portal/insurance/journeys/{id}/statement.pdf", h.page(h.journeyStatementPDF))
	r.Get("/portal/insurance/quotes/{id}", h.page(h.showQuote))
	r.Get("/portal/insurance/quotes/{id}/statement", h.page(h.showStatement))
	r.Get("/portal/insurance/quotes/{id}/statement.pdf", h.page(h.statementPDF))
	r.Get("/api/v1/me/insurance/journeys/{id}/programmes", h.api(h.listProgrammes))
	r.Post("/api/v1/me/insurance/journeys/{id}/quotes", h.api(h.createQuote))
	r.Get("/api/v1/me/insurance/journeys/{id}/statement", h.api(h.getJourneyStatement))
	r.Get("/api/v1/me/insurance/quotes/{id}", h.api(h.getQuote))
	r.Get("/api/v1/me/insurance/quotes/{id}/statement", h.api(h.getStatement))
}

type clientHandler func(w http.ResponseWriter, r *http.Request, clientID, id int64) error

var errNotClient = ecrm.Errorf(ecrm.EUNAUTHORIZED, "Log in as a client to see insurance programmes.")

// pathID reads {id}; a malformed one is not found (as another client's).
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, ecrm.Errorf(ecrm.ENOTFOUND, "insurance.rating.error.not_found")
	}
	return id, nil
}

func authenticated(r *http.Request) (int64, int64, error) {
	p := ecrm.PrincipalFrom(r.Context())
	if !p.IsClient() {
		return 0, 0, errNotClient
	}
	id, err := pathID(r)
	return p.ClientID, id, err
}

// localized says an error whose message is a catalogue key in the
// request's language.
func localized(r *http.Request, err error) error {
	var e *ecrm.Error
	if errors.As(err, &e) && strings.HasPrefix(e.Message, "insurance.rating.") {
		l := i18n.FromContext(r.Context())
		c := *e
		c.Message = l.T(e.Message)
		return &c
	}
	return err
}

func (h *ChoiceHandler) page(fn clientHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		client, id, err := authenticated(r)
		if err == nil {
			err = fn(w, r, client, id)
		}
		if err != nil {
			err = localized(r, err)
			status := web.Fail(w, r, err, "insurance choice page failed")
			h.pages.RenderError(w, r, status, "", ecrm.ErrorMessage(err), web.RequestIDFrom(r.Context()))
		}
	}
}

func (h *ChoiceHandler) api(fn clientHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		client, id, err := authenticated(r)
		if err == nil {
			err = fn(w, r, client, id)
		} else if errors.Is(err, errNotClient) {
			w.Header().Set("WWW-Authenticate", "Bearer")
		}
		if err != nil {
			web.Problem(w, r, localized(r, err))
		}
	}
}

func viewerOf(r *http.Request, clientID int64) Viewer {
	return Viewer{ClientID: clientID, Channel: web.ClientChannel(r), Actor: compliance.Actor{Kind: compliance.ActorClient}}
}

func newKey() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// choiceCandidate is one programme as the page shows it.
type choiceCandidate struct {
	Presented
	Name        string
	LineName    string
	PremiumText string
	MonthlyText string
	Reasons     []string
	Exclusions  []string
	Blocked     string
	// NeedsConsent: the gate withheld it for want of consent to offers,
	// which the client can give on her profile page.
	NeedsConsent bool
	Breakdown    []StatementRow
	Key          string
	Frequencies  []page.FormOption
	Covers       []string
	NotCovered   []string
}

type choiceLine struct {
	Line       string
	Name       string
	Candidates []choiceCandidate
}

type choicePage struct {
	JourneyID int64
	Lines     []choiceLine
	Bundle    *Bundle
	BundleRow []StatementRow
	BundleSum string
	// BundleMonthly says the parts' monthly total against the budget.
	BundleMonthly string
	Missing       []string
	Quotes        []Quote
	Error         string
}

func (h *ChoiceHandler) choiceView(r *http.Request, clientID, journeyID int64) (*choicePage, *Choice, error) {
	l := i18n.FromContext(r.Context())
	ch, err := h.progs.Present(r.Context(), viewerOf(r, clientID), journeyID, l)
	if err != nil {
		return nil, nil, err
	}
	data := &choicePage{JourneyID: journeyID}
	tables := map[int64]RatingTable{}
	for _, c := range ch.Candidates {
		if len(data.Lines) == 0 || data.Lines[len(data.Lines)-1].Line != strings.ReplaceAll(c.Group(), "/", "-") {
			name := l.T("insurance.rating.line." + c.Line)
			if c.Cover != "" {
				name += ": " + l.T("insurance.rating.code.motor.cover."+c.Cover)
			}
			data.Lines = append(data.Lines, choiceLine{Line: strings.ReplaceAll(c.Group(), "/", "-"), Name: name})
		}
		v := choiceCandidate{Presented: c, Name: c.ProductCode, LineName: l.T("insurance.rating.line." + c.Line),
			PremiumText: l.Money(ron(c.Premium)), MonthlyText: l.Money(ron(c.MonthlyPremium)), Key: newKey()}
		if c.ProductName.EN != "" {
			v.Name = l.Text(c.ProductName)
		}
		for _, m := range ReasonMessages(c.Reasons, l) {
			v.Reasons = append(v.Reasons, m.Text)
		}
		for _, m := range ReasonMessages(c.Exclusions, l) {
			v.Exclusions = append(v.Exclusions, m.Text)
		}
		if c.Outcome != OutcomeDecline && !c.Shown {
			names := make([]string, len(c.Blocked))
			for i, b := range c.Blocked {
				names[i] = l.T("insurance.rating.check." + b)
			}
			v.Blocked = strings.Join(names, ", ")
			v.NeedsConsent = slices.Contains(c.Blocked, compliance.CheckConsent)
		}
		for _, f := range c.Breakdown {
			v.Breakdown = append(v.Breakdown, StatementRow{Label: FactorLabel(f, l), Value: l.Money(ron(f.Running))})
		}
		for _, fq := range Frequencies {
			if (c.TermMonths == 1 && fq != "single") || (c.TermMonths < 3 && fq == "quarterly") {
				continue
			}
			v.Frequencies = append(v.Frequencies, page.FormOption{Value: fq, Label: l.T("insurance.rating.frequency." + fq), Selected: fq == "single"})
		}
		if c.Shown {
			rt, ok := tables[c.RatingVersionID]
			if !ok {
				if rt, err = h.progs.ratingVersion(r.Context(), c.RatingVersionID); err != nil {
					return nil, nil, err
				}
				tables[c.RatingVersionID] = rt
			}
			for _, t := range rt.Covers {
				v.Covers = append(v.Covers, l.Text(t))
			}
			for _, t := range rt.NotCovered {
				v.NotCovered = append(v.NotCovered, l.Text(t))
			}
		}
		last := &data.Lines[len(data.Lines)-1]
		last.Candidates = append(last.Candidates, v)
	}
	if b := ch.Bundle; b != nil {
		data.Bundle = b
		for _, p := range b.Parts {
			name := p.ProductCode
			for _, c := range ch.Candidates {
				if c.ProductCode == p.ProductCode {
					name = l.Text(c.ProductName)
				}
			}
			data.BundleRow = append(data.BundleRow, StatementRow{Label: l.T("insurance.rating.line."+p.Line) + ": " + name, Value: l.Money(ron(p.Premium))})
		}
		data.BundleSum = l.Money(ron(b.Total))
		if budget, ok := ch.Answers.number("needs.budget_monthly"); ok {
			key := "insurance.rating.reason.within_budget"
			if b.MonthlyTotal.GreaterThan(budget) {
				key = "insurance.rating.reason.over_budget"
			}
			data.BundleMonthly = l.T(key, l.Money(ron(b.MonthlyTotal)), l.Money(ron(budget)))
		}
	}
	for _, m := range ch.Missing {
		data.Missing = append(data.Missing, questionLabel(m, l))
	}
	if data.Quotes, err = h.progs.Quotes(r.Context(), clientID, journeyID); err != nil {
		return nil, nil, err
	}
	return data, ch, nil
}

// questionLabel names a question for the applicant.
func questionLabel(id string, l *i18n.Localizer) string {
	if key := "insurance.rating.answer." + id; i18n.HasMessage(l.Lang(), key) {
		return l.T(key)
	}
	return id
}

func (h *ChoiceHandler) showChoice(w http.ResponseWriter, r *http.Request, clientID, journeyID int64) error {
	data, _, err := h.choiceView(r, clientID, journeyID)
	if err != nil {
		return err
	}
	if e := r.URL.Query().Get("error"); e != "" && strings.HasPrefix(e, "insurance.rating.error.") {
		data.Error = i18n.FromContext(r.Context()).T(e)
	}
	h.pages.Render(w, r, http.StatusOK, "insurance_choice", data)
	return nil
}

// chooseForm quotes the programme chosen on the page and shows the quote
// (See Other); a refusal (answers changed, withheld) goes back to the
// choice with the reason.
func (h *ChoiceHandler) chooseForm(w http.ResponseWriter, r *http.Request, clientID, journeyID int64) error {
	seq, _ := strconv.ParseInt(r.PostFormValue("seq"), 10, 64)
	q, _, err := h.progs.CreateQuote(r.Context(), clientID, journeyID,
		QuoteRequest{Seq: seq, Frequency: r.PostFormValue("frequency"), Channel: web.ClientChannel(r)}, r.PostFormValue("key"))
	var e *ecrm.Error
	if errors.As(err, &e) && (e.Code == ecrm.ECONFLICT || e.Code == ecrm.EINVALID) && strings.HasPrefix(e.Message, "insurance.rating.error.") {
		http.Redirect(w, r, fmt.Sprintf("/portal/insurance/journeys/%d/choice?error=%s", journeyID, e.Message), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/portal/insurance/quotes/%d", q.ID), http.StatusSeeOther)
	return nil
}

type quotePage struct {
	Quote     *Quote
	Name      string
	LineName  string
	Breakdown []StatementRow
	Premium   string
	Expired   bool
}

func (h *ChoiceHandler) showQuote(w http.ResponseWriter, r *http.Request, clientID, id int64) error {
	l := i18n.FromContext(r.Context())
	q, err := h.progs.Quote(r.Context(), clientID, id)
	if err != nil {
		return err
	}
	data := quotePage{Quote: q, Name: l.Text(q.Name), LineName: l.T("insurance.rating.line." + q.Line), Premium: l.Money(q.Premium),
		Expired: q.Expired(h.progs.Now())}
	for _, f := range q.Breakdown {
		data.Breakdown = append(data.Breakdown, StatementRow{Label: FactorLabel(f, l), Value: l.Money(ron(f.Running))})
	}
	h.pages.Render(w, r, http.StatusOK, "insurance_choice_quote", data)
	return nil
}

func (h *ChoiceHandler) showStatement(w http.ResponseWriter, r *http.Request, clientID, id int64) error {
	s, err := h.progs.Statement(r.Context(), clientID, id, h.Firm, i18n.FromContext(r.Context()))
	if err != nil {
		return err
	}
	h.pages.Render(w, r, http.StatusOK, "insurance_statement", s)
	return nil
}

func (h *ChoiceHandler) showJourneyStatement(w http.ResponseWriter, r *http.Request, clientID, id int64) error {
	s, err := h.progs.JourneyStatement(r.Context(), viewerOf(r, clientID), id, h.Firm, i18n.FromContext(r.Context()))
	if err != nil {
		return err
	}
	h.pages.Render(w, r, http.StatusOK, "insurance_statement", s)
	return nil
}

func (h *ChoiceHandler) journeyStatementPDF(w http.ResponseWriter, r *http.Request, clientID, id int64) error {
	s, err := h.progs.JourneyStatement(r.Context(), viewerOf(r, clientID), id, h.Firm, i18n.FromContext(r.Context()))
	if err != nil {
		return err
	}
	return h.writePDF(w, s, fmt.Sprintf("journey-%d", id))
}

func (h *ChoiceHandler) getJourneyStatement(w http.ResponseWriter, r *http.Request, clientID, id int64) error {
	s, err := h.progs.JourneyStatement(r.Context(), viewerOf(r, clientID), id, h.Firm, i18n.FromContext(r.Context()))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, s)
	return nil
}

func (h *ChoiceHandler) statementPDF(w http.ResponseWriter, r *http.Request, clientID, id int64) error {
	s, err := h.progs.Statement(r.Context(), clientID, id, h.Firm, i18n.FromContext(r.Context()))
	if err != nil {
		return err
	}
	return h.writePDF(w, s, fmt.Sprintf("quote-%d", id))
}

func (h *ChoiceHandler) writePDF(w http.ResponseWriter, s *Statement, name string) error {
	doc, err := StatementPDF(h.docs, s)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="demands-and-needs-%s-%s.pdf"`, name, doc.Language))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Template-Version", strconv.Itoa(doc.TemplateVersion))
	_, err = w.Write(doc.PDF)
	return err
}

// programmeJSON is one programme in the API.
type programmeJSON struct {
	Candidate
	Shown        bool     `json:"shown"`
	DecisionSeq  int64    `json:"decision_seq,omitempty"`
	Blocked      []string `json:"blocked_by,omitempty"`
	ReasonsText  []string `json:"reasons_text"`
	ExcludedText []string `json:"exclusions_text,omitempty"`
}

func (h *ChoiceHandler) listProgrammes(w http.ResponseWriter, r *http.Request, clientID, journeyID int64) error {
	l := i18n.FromContext(r.Context())
	ch, err := h.progs.Present(r.Context(), viewerOf(r, clientID), journeyID, l)
	if err != nil {
		return err
	}
	out := struct {
		JourneyID  int64           `json:"journey_id"`
		AsOf       string          `json:"as_of"`
		Programmes []programmeJSON `json:"programmes"`
		Bundle     *Bundle         `json:"bundle,omitempty"`
		Missing    []string        `json:"missing,omitempty"`
	}{JourneyID: journeyID, AsOf: ch.AsOf.Format(time.DateOnly), Programmes: []programmeJSON{}, Bundle: ch.Bundle, Missing: ch.Missing}
	for _, c := range ch.Candidates {
		pj := programmeJSON{Candidate: c.Candidate, Shown: c.Shown, DecisionSeq: c.Seq, Blocked: c.Blocked, ReasonsText: []string{}}
		for _, m := range ReasonMessages(c.Reasons, l) {
			pj.ReasonsText = append(pj.ReasonsText, m.Text)
		}
		for _, m := range ReasonMessages(c.Exclusions, l) {
			pj.ExcludedText = append(pj.ExcludedText, m.Text)
		}
		if !c.Shown && c.Outcome != OutcomeDecline {
			// Withheld by the gate: no figures are shown.
			pj.Premium, pj.MonthlyPremium, pj.Breakdown = decimal.Zero, decimal.Zero, nil
		}
		out.Programmes = append(out.Programmes, pj)
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *ChoiceHandler) createQuote(w http.ResponseWriter, r *http.Request, clientID, journeyID int64) error {
	var req QuoteRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return ecrm.FieldErrorf("body", "must be a JSON object with decision_seq, frequency and starts_on: %v", err)
	}
	req.Channel = web.ClientChannel(r)
	q, created, err := h.progs.CreateQuote(r.Context(), clientID, journeyID, req, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", fmt.Sprintf("/api/v1/me/insurance/quotes/%d", q.ID))
	}
	web.WriteJSON(w, status, quoteJSON(q))
	return nil
}

type quoteOut struct {
	*Quote
	BindURL      string `json:"bind_url"`
	StatementURL string `json:"statement_url"`
}

func quoteJSON(q *Quote) quoteOut {
	return quoteOut{Quote: q, BindURL: fmt.Sprintf("/api/v1/me/insurance/quotes/%d/bind", q.ID),
		StatementURL: fmt.Sprintf("/api/v1/me/insurance/quotes/%d/statement", q.ID)}
}

func (h *ChoiceHandler) getQuote(w http.ResponseWriter, r *http.Request, clientID, id int64) error {
	q, err := h.progs.Quote(r.Context(), clientID, id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, quoteJSON(q))
	return nil
}

func (h *ChoiceHandler) getStatement(w http.ResponseWriter, r *http.Request, clientID, id int64) error {
	s, err := h.progs.Statement(r.Context(), clientID, id, h.Firm, i18n.FromContext(r.Context()))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, s)
	return nil
}
