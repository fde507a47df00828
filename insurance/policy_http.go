package insurance

import (
	"context"
	_ "embed"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/document"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// PoliciesOpenAPI documents the client's policy routes.
//
//go:embed openapi_policies.json
var PoliciesOpenAPI []byte

// PolicyRenewalStarter starts a renewal journey for a policy, pre-filled
// with the answers of the journey it was bought on (the journey's
// StartRenewal); it returns the new journey's id.
type PolicyRenewalStarter interface {
	StartRenewal(ctx context.Context, clientID, policyID, previousJourneyID int64) (int64, error)
}

// PolicyHandler serves the client's policies: the portal pages, the
// policy schedule PDF and the JSON API.
type PolicyHandler struct {
	policies  *Policies
	pages     *page.Renderer
	documents *document.Renderer
	firm      string
	renewals  PolicyRenewalStarter
	binder    *PolicyBinder
	// StepUp is how recent the client's login must be to buy (bind a
	// quote), as for applying for an offer (ECRM_STEP_UP_MAX_AGE); zero
	// means identity.DefaultStepUpAge.
	StepUp time.Duration
}

// NewPolicyHandler serves policies with pages and documents.
func NewPolicyHandler(policies *Policies, pages *page.Renderer, documents *document.Renderer, firm string) *PolicyHandler {
	return &PolicyHandler{policies: policies, pages: pages, documents: documents, firm: firm}
}

// SetRenewals wires the journey that renews a policy; without it the
// policy pages offer no Renew button.
func (h *PolicyHandler) SetRenewals(r PolicyRenewalStarter) { h.renewals = r }

// Routes registers the client's routes (behind the client guard).
func (h *PolicyHandler) Routes(r chi.Router) {
	r.Get("/portal/policies", h.page("policies page failed", h.showList))
	r.Get("/portal/policies/{id}", h.page("policy page failed", h.showPolicy))
	r.Get("/portal/policies/{id}/schedule.pdf", h.page("policy schedule failed", h.schedulePDF))
	r.Post("/portal/policies/{id}/renew", h.page("policy renewal failed", h.renewForm))
	r.Get("/api/v1/me/policies", h.api(h.listJSON))
	r.Get("/api/v1/me/policies/{id}", h.api(h.policyJSON))
	r.Post("/api/v1/me/policies/{id}/renew", h.api(h.renewJSON))
	h.bindRoutes(r)
}

type policyClientHandler func(w http.ResponseWriter, r *http.Request, clientID int64) error

// page adapts a client's page handler: a caller who is not a client, or
// an error, gets the error page.
func (h *PolicyHandler) page(what string, fn policyClientHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := ecrm.PrincipalFrom(r.Context())
		var err error
		if !p.IsClient() {
			err = ecrm.Errorf(ecrm.EUNAUTHORIZED, "Log in as a client first.")
		} else {
			err = fn(w, r, p.ClientID)
		}
		if err != nil {
			status := web.Fail(w, r, err, what)
			h.pages.RenderError(w, r, status, "", ecrm.ErrorMessage(err), web.RequestIDFrom(r.Context()))
		}
	}
}

// api adapts a client's API handler: errors are problem+json.
func (h *PolicyHandler) api(fn policyClientHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := ecrm.PrincipalFrom(r.Context())
		var err error
		if !p.IsClient() {
			w.Header().Set("WWW-Authenticate", "Bearer")
			err = ecrm.Errorf(ecrm.EUNAUTHORIZED, "Log in as a client first.")
		} else {
			err = fn(w, r, p.ClientID)
		}
		if err != nil {
			web.Problem(w, r, err)
		}
	}
}

func policyIDParam(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrPolicyNotFound
	}
	return id, nil
}

// policyClaimsLink keeps the link to the claim form (the claims part's
// /portal/policies/{id}/claims/new) only when the router serves it, so no
// page links to a route that answers 404.
func policyClaimsLink(r *http.Request, d *PolicyDetail) {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil || rctx.Routes == nil || !rctx.Routes.Match(chi.NewRouteContext(), http.MethodGet, d.ClaimsURL) {
		d.ClaimsURL = ""
	}
}

type policyListPage struct {
	Policies []PolicySummary
	// Reminders are the renewal notices still open.
	Reminders []PolicySummary
	CanRenew  bool
}

func (h *PolicyHandler) showList(w http.ResponseWriter, r *http.Request, clientID int64) error {
	list, err := h.policies.List(r.Context(), clientID)
	if err != nil {
		return err
	}
	data := policyListPage{Policies: list, CanRenew: h.renewals != nil}
	for _, p := range list {
		if p.Reminder != nil && p.Renewable {
			data.Reminders = append(data.Reminders, p)
		}
	}
	h.pages.Render(w, r, http.StatusOK, "insurance_policies", data)
	return nil
}

type policyPage struct {
	Policy   *PolicyDetail
	Answers  []policyAnswerView
	History  []policyHistoryView
	CanRenew bool
	// Bound: the policy was just bound (the Buy button's redirect).
	Bound bool
}

type policyAnswerView struct {
	LinkID, Question, Text string
}

type policyHistoryView struct {
	Entry   PolicyHistoryEntry
	Answers []policyAnswerView
}

// policyAnswerViews writes answers in the reader's language: under their
// questions' text, choices by their options' text, yes and no, numbers
// and dates as the reader writes them.
func policyAnswerViews(list []PolicyAnswer, questions map[string]*Item, l *i18n.Localizer) []policyAnswerView {
	out := make([]policyAnswerView, len(list))
	for i, a := range list {
		q, text := policyAnswerLabel(a, questions[a.LinkID], l)
		out[i] = policyAnswerView{LinkID: a.LinkID, Question: q, Text: text}
	}
	return out
}

func (h *PolicyHandler) showPolicy(w http.ResponseWriter, r *http.Request, clientID int64) error {
	id, err := policyIDParam(r)
	if err != nil {
		return err
	}
	d, err := h.policies.Get(r.Context(), clientID, id)
	if err != nil {
		return err
	}
	l := i18n.FromContext(r.Context())
	policyClaimsLink(r, d)
	questions, order, err := h.policies.policyQuestionOrder(r.Context(), d.QuestionnaireVersions)
	if err != nil {
		return err
	}
	data := policyPage{Policy: d, Answers: policyAnswerViews(sortPolicyAnswers(d.Answers, order), questions, l), CanRenew: h.renewals != nil,
		Bound: r.URL.Query().Get("bound") == "1" && d.BoundAt != nil}
	for _, e := range d.History {
		data.History = append(data.History, policyHistoryView{Entry: e, Answers: policyAnswerViews(sortPolicyAnswers(e.Answers, order), questions, l)})
	}
	h.pages.Render(w, r, http.StatusOK, "insurance_policy", data)
	return nil
}

func (h *PolicyHandler) listJSON(w http.ResponseWriter, r *http.Request, clientID int64) error {
	list, err := h.policies.List(r.Context(), clientID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, struct {
		Policies []PolicySummary `json:"policies"`
	}{list})
	return nil
}

func (h *PolicyHandler) policyJSON(w http.ResponseWriter, r *http.Request, clientID int64) error {
	id, err := policyIDParam(r)
	if err != nil {
		return err
	}
	d, err := h.policies.Get(r.Context(), clientID, id)
	if err != nil {
		return err
	}
	policyClaimsLink(r, d)
	web.WriteJSON(w, http.StatusOK, d)
	return nil
}

// ErrPolicyNotRenewable: the policy is not a short-term active policy
// near its end, or it was renewed already.
var ErrPolicyNotRenewable = &ecrm.Error{Code: ecrm.ECONFLICT,
	Message: "This policy cannot be renewed now: only a short-term policy in force, in the days before it ends, and only once.", Field: "id"}

// renew starts the renewal journey of the client's policy.
func (h *PolicyHandler) renew(r *http.Request, clientID int64) (int64, error) {
	id, err := policyIDParam(r)
	if err != nil {
		return 0, err
	}
	d, err := h.policies.Get(r.Context(), clientID, id)
	if err != nil {
		return 0, err
	}
	if h.renewals == nil {
		return 0, ecrm.Errorf(ecrm.ECONFLICT, "Renewal online is not available yet: ask your advisor.")
	}
	if !d.Renewable {
		return 0, ErrPolicyNotRenewable
	}
	if d.JourneyID == nil {
		return 0, ErrPolicyNoJourney
	}
	return h.renewals.StartRenewal(r.Context(), clientID, id, *d.JourneyID)
}

// ErrPolicyNoJourney: the policy was not bought through the online
// journey, so there are no answers to renew it with: a new journey starts
// from the beginning.
var ErrPolicyNoJourney = &ecrm.Error{Code: ecrm.ECONFLICT,
	Message: "This policy was not bought online, so there are no answers to renew it with: start a new insurance journey at /portal/insurance.", Field: "id"}

// policyNewJourneyURL is where a journey starts afresh.
const policyNewJourneyURL = "/portal/insurance"

// PolicyRenewalJourneyURL is where the renewal journey continues.
func PolicyRenewalJourneyURL(journeyID int64) string {
	return "/portal/insurance/journeys/" + strconv.FormatInt(journeyID, 10)
}

func (h *PolicyHandler) renewForm(w http.ResponseWriter, r *http.Request, clientID int64) error {
	journey, err := h.renew(r, clientID)
	if errors.Is(err, ErrPolicyNoJourney) {
		http.Redirect(w, r, policyNewJourneyURL, http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, PolicyRenewalJourneyURL(journey), http.StatusSeeOther)
	return nil
}

func (h *PolicyHandler) renewJSON(w http.ResponseWriter, r *http.Request, clientID int64) error {
	journey, err := h.renew(r, clientID)
	if err != nil {
		return err
	}
	url := PolicyRenewalJourneyURL(journey)
	w.Header().Set("Location", url)
	web.WriteJSON(w, http.StatusCreated, struct {
		JourneyID int64  `json:"journey_id"`
		URL       string `json:"url"`
	}{journey, url})
	return nil
}
