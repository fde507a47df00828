package selfservice

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/identity"
	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/products"
)

// "Offers for you" (issue 14, item 4): the next best offers of crosssell's
// arbitration, each through the compliance gate, on the overview and at
// GET /api/v1/me/offers; accepted with one click. Accepting is binding (an
// application that opens a deal), so it asks for a recent login: older
// than the step-up age (ECRM_STEP_UP_MAX_AGE, 10 minutes), the browser is
// sent through the identity provider again with max_age, and the
// application is made when it comes back; the API answers 401 with the
// max_age to ask for (RFC 9470).

// SessionValues keeps a value in the person's session between a request
// and the next (scs.SessionManager does).
type SessionValues interface {
	Put(ctx context.Context, key string, val any)
	PopString(ctx context.Context, key string) string
}

// SetOffers shows the next best offers of arb; sessions keep an
// application while the client logs in again; stepUp is how recent a
// login an application needs.
func (h *Handler) SetOffers(arb *crosssell.Arbiter, sessions SessionValues, stepUp time.Duration) {
	h.nbo, h.sessions, h.stepUp = arb, sessions, stepUp
}

func (h *Handler) offerRoutes(r chi.Router) {
	r.Post("/portal/offers/{seq}/accept", h.page(h.acceptForm))
	r.Get("/portal/offers/accept/continue", h.page(h.continueAccept))
	r.Get("/api/v1/me/offers", h.api(h.listNextOffers))
	r.Post("/api/v1/me/offers/{seq}/accept", h.api(h.acceptAPI))
}

// nextOffers arbitrates the client's offers on the portal's channel. A
// failure shows no offer (fail closed) and is logged, never an error page:
// the overview is still worth seeing.
func (h *Handler) nextOffers(r *http.Request, clientID int64) (*crosssell.OfferSet, bool) {
	if h.nbo == nil {
		return nil, false
	}
	set, err := h.nbo.Offers(r.Context(), crosssell.Viewer{ClientID: clientID, Channel: web.ClientChannel(r),
		Actor: compliance.Actor{Kind: compliance.ActorSystem}}, i18n.FromContext(r.Context()))
	if err != nil {
		web.Logger(r.Context()).Error("next best offers failed: none shown", "error", err.Error(), "client_id", clientID)
		return nil, false
	}
	return set, true
}

// offerCard is an offer as the overview shows it.
type offerCard struct {
	Seq      int64
	Name     string
	Provider string
	Kind     string
	Request  products.MatchRequest
	Terms    []string
	Reasons  []string
	Warnings []string
	// Key makes a double click one application.
	Key string
}

func offerCards(set *crosssell.OfferSet, l *i18n.Localizer) []offerCard {
	out := make([]offerCard, 0, len(set.Offers))
	for _, o := range set.Offers {
		c := offerCard{Seq: o.Seq, Name: l.Text(o.Product.Name), Provider: o.Product.Provider, Kind: o.Product.Kind,
			Request: o.Request, Terms: termLines(o.Product, o.Request, o.Terms, l), Key: newIdempotencyKey()}
		for _, m := range o.Reasons {
			c.Reasons = append(c.Reasons, m.In(l))
		}
		for _, m := range o.Warnings {
			c.Warnings = append(c.Warnings, m.In(l))
		}
		out = append(out, c)
	}
	return out
}

// termLines are the figures that say what the offer is.
func termLines(p products.Product, req products.MatchRequest, t products.Terms, l *i18n.Localizer) []string {
	var out []string
	money := func(key string, m *ecrm.Money) {
		if m != nil {
			out = append(out, l.T(key, l.Money(*m)))
		}
	}
	switch {
	case p.Line == products.LineInsurance:
		money("portal.nbo.term.sum_insured", &req.Amount)
		if t.Premium != nil {
			out = append(out, l.T("portal.nbo.term.premium", l.Money(*t.Premium), req.Months))
		}
	case p.Line == products.LineBrokerage:
		money("portal.nbo.term.invest", &req.Amount)
		if t.ExpectedAnnualReturn != nil {
			out = append(out, l.T("portal.nbo.term.illustration", l.Percent(*t.ExpectedAnnualReturn, 2)))
		}
	case req.Goal == products.GoalBorrow:
		out = append(out, l.T("portal.nbo.term.loan", l.Money(req.Amount), req.Months))
		money("portal.nbo.term.monthly", t.MonthlyPayment)
		if t.APR != nil {
			out = append(out, l.T("portal.nbo.term.apr", l.Percent(*t.APR, 2)))
		}
	default:
		out = append(out, l.T("portal.nbo.term.deposit", l.Money(req.Amount), req.Months))
		if t.NominalAnnualRate != nil {
			out = append(out, l.T("portal.nbo.term.rate", l.Percent(*t.NominalAnnualRate, 2)))
		}
		money("portal.nbo.term.maturity", t.ValueAtMaturity)
	}
	return out
}

func newIdempotencyKey() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Session keys of an application waiting for a fresh login.
const (
	keyPendingOffer = "pending_accept_offer"
	keyPendingKey   = "pending_accept_key"
)

// acceptForm is the overview's and the offer page's "Apply": with a recent
// login the application is made at once; otherwise it waits in the session
// while the client logs in again.
func (h *Handler) acceptForm(w http.ResponseWriter, r *http.Request, clientID int64) error {
	seq, err := pathID(r, "seq")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return ecrm.Errorf(ecrm.EINVALID, "portal.offer.error.form_unreadable")
	}
	key := r.PostForm.Get("key")
	// Another client's offer is not found before anything else: no login
	// is asked for an offer that is not hers.
	if _, err := h.offers.Explain(r.Context(), clientID, seq); err != nil {
		return err
	}
	if !h.freshLogin(r) {
		if h.sessions == nil {
			return errNoOffers
		}
		h.sessions.Put(r.Context(), keyPendingOffer, strconv.FormatInt(seq, 10))
		h.sessions.Put(r.Context(), keyPendingKey, key)
		http.Redirect(w, r, identity.StepUpPath("/portal/offers/accept/continue", h.stepUpAge()), http.StatusSeeOther)
		return nil
	}
	return h.apply(w, r, clientID, seq, key)
}

// continueAccept makes the application that waited for the login. Only a
// POST puts one in the session (behind the cross-origin protection), so
// this GET completes what the client asked for and nothing else.
func (h *Handler) continueAccept(w http.ResponseWriter, r *http.Request, clientID int64) error {
	if h.sessions == nil {
		return notFound()
	}
	seqText, key := h.sessions.PopString(r.Context(), keyPendingOffer), h.sessions.PopString(r.Context(), keyPendingKey)
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if err != nil || seq <= 0 {
		http.Redirect(w, r, "/portal", http.StatusSeeOther) // nothing waiting
		return nil
	}
	if !h.freshLogin(r) {
		return ecrm.Errorf(ecrm.EUNAUTHORIZED, "portal.nbo.error.login_again")
	}
	return h.apply(w, r, clientID, seq, key)
}

func (h *Handler) apply(w http.ResponseWriter, r *http.Request, clientID, seq int64, key string) error {
	if h.nbo == nil {
		return errNoOffers
	}
	_, err := h.nbo.Accept(r.Context(), clientID, seq, web.ClientChannel(r), key)
	if ecrm.ErrorCode(err) == ecrm.ECONFLICT {
		// Already answered: the offer page says how.
		http.Redirect(w, r, "/portal/offers/"+strconv.FormatInt(seq, 10)+"#response", http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/portal/offers/"+strconv.FormatInt(seq, 10)+"?done=accepted#response", http.StatusSeeOther)
	return nil
}

var errNoOffers = ecrm.Errorf(ecrm.EUNAVAILABLE, "portal.nbo.error.unavailable")

func (h *Handler) stepUpAge() time.Duration {
	if h.stepUp <= 0 {
		return identity.DefaultStepUpAge
	}
	return h.stepUp
}

func (h *Handler) freshLogin(r *http.Request) bool {
	return ecrm.PrincipalFrom(r.Context()).AuthenticatedWithin(h.stepUpAge(), time.Now())
}

// JSON API -------------------------------------------------------------------

type nextOfferJSON struct {
	Seq      int64                 `json:"seq"`
	Product  nextProductJSON       `json:"product"`
	Request  products.MatchRequest `json:"request"`
	Terms    products.Terms        `json:"terms"`
	Reasons  []string              `json:"reasons"`
	Warnings []string              `json:"warnings"`
	// Why is the page that explains the offer; Accept where to apply.
	Why    string `json:"why_url"`
	Accept string `json:"accept_url"`
}

type nextProductJSON struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Provider string `json:"provider"`
	Kind     string `json:"kind"`
	Currency string `json:"currency"`
}

func (h *Handler) listNextOffers(w http.ResponseWriter, r *http.Request, clientID int64) error {
	if h.nbo == nil {
		return errNoOffers
	}
	l := i18n.FromContext(r.Context())
	set, err := h.nbo.Offers(r.Context(), crosssell.Viewer{ClientID: clientID, Channel: web.ClientChannel(r),
		Actor: compliance.Actor{Kind: compliance.ActorSystem}}, l)
	if err != nil {
		return err
	}
	out := struct {
		Offers   []nextOfferJSON `json:"offers"`
		Withheld int             `json:"withheld"`
	}{Offers: make([]nextOfferJSON, 0, len(set.Offers)), Withheld: set.Withheld}
	for _, o := range set.Offers {
		seq := strconv.FormatInt(o.Seq, 10)
		j := nextOfferJSON{Seq: o.Seq, Request: o.Request, Terms: o.Terms, Reasons: []string{}, Warnings: []string{},
			Product: nextProductJSON{Code: o.Product.Code, Name: l.Text(o.Product.Name), Provider: o.Product.Provider,
				Kind: o.Product.Kind, Currency: o.Product.Currency},
			Why: "/api/v1/me/offers/" + seq, Accept: "/api/v1/me/offers/" + seq + "/accept"}
		for _, m := range o.Reasons {
			j.Reasons = append(j.Reasons, m.In(l))
		}
		for _, m := range o.Warnings {
			j.Warnings = append(j.Warnings, m.In(l))
		}
		out.Offers = append(out.Offers, j)
	}
	writePrivateJSON(w, http.StatusOK, out)
	return nil
}

type acceptanceJSON struct {
	OfferSeq    int64 `json:"offer_seq"`
	ResponseSeq int64 `json:"response_seq"`
	DealID      int64 `json:"deal_id"`
}

// acceptAPI applies for an offer. A token or session whose login is older
// than the step-up age gets 401 with what to ask the provider for.
func (h *Handler) acceptAPI(w http.ResponseWriter, r *http.Request, clientID int64) error {
	seq, err := pathID(r, "seq")
	if err != nil {
		return err
	}
	if h.nbo == nil {
		return errNoOffers
	}
	if _, err := h.offers.Explain(r.Context(), clientID, seq); err != nil {
		return err
	}
	if !h.freshLogin(r) {
		identity.StepUpChallenge(w, h.stepUpAge())
		return ecrm.Errorf(ecrm.EUNAUTHORIZED, "portal.nbo.error.login_again")
	}
	a, err := h.nbo.Accept(r.Context(), clientID, seq, web.ClientChannel(r), r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !a.Created {
		status = http.StatusOK
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writePrivateJSON(w, status, acceptanceJSON{OfferSeq: a.OfferSeq, ResponseSeq: a.ResponseSeq, DealID: a.DealID})
	return nil
}
