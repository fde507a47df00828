package insurance

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/identity"
	"github.com/ecrm-project/ecrm/internal/web"
)

// The Buy button of a quote (the rating part's quote page posts here) and
// its API twin.

// SetBinder wires binding; without it the bind routes answer 409.
func (h *PolicyHandler) SetBinder(b *PolicyBinder) { h.binder = b }

func (h *PolicyHandler) bindRoutes(r chi.Router) {
	r.Post("/portal/insurance/quotes/{id}/bind", h.page("bind failed", h.bindForm))
	r.Post("/api/v1/me/insurance/quotes/{id}/bind", h.api(h.bindJSON))
}

func (h *PolicyHandler) bind(r *http.Request, clientID int64, key string) (*BindResult, error) {
	id, err := quoteID(r)
	if err != nil {
		return nil, err
	}
	if h.binder == nil {
		return nil, ecrm.Errorf(ecrm.ECONFLICT, "Buying online is not available yet: ask your advisor.")
	}
	return h.binder.Bind(r.Context(), clientID, id, key)
}

func quoteID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, ecrm.Errorf(ecrm.ENOTFOUND, "No such quote.")
	}
	return id, nil
}

// staleLogin reports whether buying the client's quote must wait for a
// fresh login: a policy is a contract, so, as for applying for an offer,
// the client proves who they are again when their login is older than
// StepUp. Another client's quote is not found before anything else.
func (h *PolicyHandler) staleLogin(r *http.Request, clientID int64) (bool, error) {
	id, err := quoteID(r)
	if err != nil || h.binder == nil {
		return false, err
	}
	if err := h.binder.Owns(r.Context(), clientID, id); err != nil {
		return false, err
	}
	return !ecrm.PrincipalFrom(r.Context()).AuthenticatedWithin(h.stepUp(), time.Now()), nil
}

func (h *PolicyHandler) stepUp() time.Duration {
	if h.StepUp <= 0 {
		return identity.DefaultStepUpAge
	}
	return h.StepUp
}

// policyRepricedPage shows what changed since the quote.
type policyRepricedPage struct {
	Quote     *Quote
	Current   *ecrm.Money
	Changes   []string
	ChoiceURL string
}

func policyChoiceURL(journeyID int64) string {
	return "/portal/insurance/journeys/" + strconv.FormatInt(journeyID, 10) + "/choice"
}

func (h *PolicyHandler) bindForm(w http.ResponseWriter, r *http.Request, clientID int64) error {
	if err := r.ParseForm(); err != nil {
		return ecrm.FieldErrorf("form", "cannot be read")
	}
	if stale, err := h.staleLogin(r, clientID); err != nil {
		return err
	} else if stale {
		// Back on the quote after the login, one more click on Buy binds.
		http.Redirect(w, r, identity.StepUpPath("/portal/insurance/quotes/"+chi.URLParam(r, "id"), h.stepUp()), http.StatusSeeOther)
		return nil
	}
	res, err := h.bind(r, clientID, r.PostForm.Get("key"))
	if err != nil {
		return err
	}
	if res.Repriced != nil {
		h.pages.Render(w, r, http.StatusConflict, "insurance_policy_repriced", repricedView(res))
		return nil
	}
	http.Redirect(w, r, "/portal/policies/"+strconv.FormatInt(res.PolicyID, 10)+"?bound=1", http.StatusSeeOther)
	return nil
}

func repricedView(res *BindResult) policyRepricedPage {
	q := res.Repriced.Quote
	v := policyRepricedPage{Quote: q, Changes: res.Changes, ChoiceURL: policyChoiceURL(q.JourneyID)}
	if c := res.Repriced.Current; c.Premium.IsPositive() && !slices.Contains(res.Changes, "withdrawn") {
		m := ecrm.Money{Amount: c.Premium, Currency: q.Premium.Currency}
		v.Current = &m
	}
	return v
}

// policyRepricedProblem is the API's 409 when the quote changed.
type policyRepricedProblem struct {
	web.ProblemDetails
	QuoteID        int64       `json:"quote_id"`
	Changes        []string    `json:"changes"`
	QuotedPremium  ecrm.Money  `json:"quoted_premium"`
	CurrentPremium *ecrm.Money `json:"current_premium"`
	ChoiceURL      string      `json:"choice_url"`
}

func (h *PolicyHandler) bindJSON(w http.ResponseWriter, r *http.Request, clientID int64) error {
	if stale, err := h.staleLogin(r, clientID); err != nil {
		return err
	} else if stale {
		identity.StepUpChallenge(w, h.stepUp())
		return ecrm.Errorf(ecrm.EUNAUTHORIZED, "Buying a policy needs a recent login: log in again, then buy.")
	}
	res, err := h.bind(r, clientID, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	if res.Repriced != nil {
		v := repricedView(res)
		l := i18n.FromContext(r.Context())
		p := policyRepricedProblem{
			ProblemDetails: web.ProblemDetails{Type: "/problems/quote-repriced", Title: http.StatusText(http.StatusConflict),
				Status: http.StatusConflict, Detail: l.T("insurance.policy.repriced.detail"), Instance: r.URL.Path,
				RequestID: web.RequestIDFrom(r.Context())},
			QuoteID: v.Quote.ID, Changes: v.Changes, QuotedPremium: v.Quote.Premium, CurrentPremium: v.Current, ChoiceURL: v.ChoiceURL,
		}
		w.Header().Set("Content-Type", web.ProblemContentType)
		w.WriteHeader(http.StatusConflict)
		return json.NewEncoder(w).Encode(p)
	}
	d, err := h.policies.Get(r.Context(), clientID, res.PolicyID)
	if err != nil {
		return err
	}
	policyClaimsLink(r, d)
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	w.Header().Set("Location", "/api/v1/me/policies/"+strconv.FormatInt(d.ID, 10))
	web.WriteJSON(w, status, d)
	return nil
}
