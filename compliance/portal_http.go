package compliance

import (
	"crypto/rand"
	"embed"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

//go:embed templates/portal_*.html
var portalTemplateFiles embed.FS

// PortalTemplates holds the client's offer pages (portal_*.html), for
// page.New. The compliance console's templates are separate
// (compliance_*.html).
var PortalTemplates = page.TemplateDir(portalTemplateFiles)

// PortalOpenAPI documents the routes PortalHandler registers under
// /api/v1/me/offers, as a fragment for web.NewOpenAPI.
//
//go:embed portal_openapi.json
var PortalOpenAPI []byte

// PortalHandler serves a client's offers as the decision records tell
// them — "why am I seeing this?" — and takes the client's answers: ask a
// human, I'm interested, not interested. Pages under /portal/offers, JSON
// under /api/v1/me/offers.
type PortalHandler struct {
	portal *Portal
	pages  *page.Renderer
	zone   *time.Location
}

// NewPortalHandler returns the handler on pool; pages must have been built
// with PortalTemplates.
func NewPortalHandler(pool *pgxpool.Pool, pages *page.Renderer) *PortalHandler {
	return &PortalHandler{portal: NewPortal(pool), pages: pages, zone: time.Local}
}

// SetZone sets the zone times are shown in.
func (h *PortalHandler) SetZone(loc *time.Location) {
	if loc != nil {
		h.zone = loc
	}
}

// Portal returns the service behind the handler.
func (h *PortalHandler) Portal() *Portal { return h.portal }

// Routes registers the pages and API. Mount them behind a guard admitting
// clients only; every handler still answers 401 to anyone else.
func (h *PortalHandler) Routes(r chi.Router) {
	r.Get("/portal/offers", h.page(h.showOffers))
	r.Get("/portal/offers/questions", h.page(h.showMessages))
	r.Get("/portal/offers/{seq}", h.page(h.showOffer))
	r.Post("/portal/offers/{seq}/review", h.page(h.saveReviewRequest))
	r.Post("/portal/offers/{seq}/response", h.page(h.saveResponse))

	r.Get("/api/v1/me/offers/history", h.api(h.listOffers))
	r.Get("/api/v1/me/messages", h.api(h.listMessages))
	r.Get("/api/v1/me/offers/{seq}", h.api(h.getOffer))
	r.Post("/api/v1/me/offers/{seq}/review", h.api(h.createReviewRequest))
	r.Post("/api/v1/me/offers/{seq}/response", h.api(h.createResponse))
}

// offerHandler handles a request about one offer of the authenticated
// client (seq is 0 on the routes about all of them).
type offerHandler func(w http.ResponseWriter, r *http.Request, clientID, seq int64) error

var errPortalLogin = ecrm.Errorf(ecrm.EUNAUTHORIZED, "portal.offer.error.login_first")

// resolve returns the client and the offer's seq; a seq that is not a
// positive integer names no offer.
func resolve(r *http.Request) (clientID, seq int64, err error) {
	p := ecrm.PrincipalFrom(r.Context())
	if !p.IsClient() {
		return 0, 0, errPortalLogin
	}
	param := chi.URLParam(r, "seq")
	if param == "" {
		return p.ClientID, 0, nil // a list, not one offer
	}
	seq, perr := strconv.ParseInt(param, 10, 64)
	if perr != nil || seq <= 0 {
		return 0, 0, errOfferNotFound
	}
	return p.ClientID, seq, nil
}

// page adapts a page handler: errors become the translated error page.
func (h *PortalHandler) page(fn offerHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		clientID, seq, err := resolve(r)
		if err == nil {
			err = fn(w, r, clientID, seq)
		}
		if err == nil {
			return
		}
		status := web.Fail(w, r, err, "offer page failed")
		detail := ""
		var appErr *ecrm.Error
		if errors.As(err, &appErr) {
			detail = i18n.FromContext(r.Context()).T(appErr.Message)
		}
		h.pages.RenderError(w, r, status, "", detail, web.RequestIDFrom(r.Context()))
	}
}

// api adapts an API handler: errors become problem+json, translated.
func (h *PortalHandler) api(fn offerHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		clientID, seq, err := resolve(r)
		if err == nil {
			err = fn(w, r, clientID, seq)
		}
		if err == nil {
			return
		}
		if web.ErrorStatus(err) == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", "Bearer")
		}
		web.Problem(w, r, translateError(i18n.FromContext(r.Context()), err))
	}
}

// translateError turns the catalogue keys an application error carries
// into the request's language.
func translateError(l *i18n.Localizer, err error) error {
	var appErr *ecrm.Error
	if !errors.As(err, &appErr) {
		return err
	}
	t := *appErr
	t.Message = l.T(appErr.Message)
	t.Fields = nil
	for _, f := range appErr.Fields {
		t.Fields = append(t.Fields, ecrm.FieldError{Field: f.Field, Message: l.T(f.Message)})
	}
	return &t
}

// ---------------------------------------------------------------------------
// Pages

// Notices shown at the top of the offer page after an action.
const (
	noticeReviewRequested = "review_requested"
	noticeReviewExisting  = "review_existing"
	noticeInterested      = "interested"
	noticeAccepted        = "accepted"
	noticeDeclined        = "declined"
	noticeAlreadyAnswered = "already_answered"
)

// offerPage is the data of portal_offer.html.
type offerPage struct {
	*Explanation
	Zone        *time.Location
	Terms       []termRow
	Checks      []checkView
	Disclosures []disclosureView
	// Notice says what the last action did (see the notice constants).
	Notice string
	// Message is the review request's message, kept when it was refused;
	// MessageError is the message at the field.
	Message      string
	MessageError string
	MaxMessage   int
	// ApplyKey makes a double click on "apply" one application.
	ApplyKey string
}

// termRow is one figure of the offer, formatted for the page language.
type termRow struct {
	LabelKey string
	Value    string
}

// checkView is one gate check, with what the check is about.
type checkView struct {
	Check
	TitleKey, AboutKey string
}

// disclosureView is one disclosure with the label of its kind.
type disclosureView struct {
	Disclosure
	KindKey string
}

// disclosureKinds are the kinds the page has a label for; others are shown
// as "other".
var disclosureKinds = map[string]bool{"fee": true, "cost": true, "conflict_of_interest": true, "document": true, "warning": true, "risk": true}

func (h *PortalHandler) offerPage(r *http.Request, e *Explanation) offerPage {
	l := i18n.FromContext(r.Context())
	p := offerPage{Explanation: e, Zone: h.zone, Terms: termRows(l, e), MaxMessage: MaxReviewMessage, ApplyKey: rand.Text()}
	for _, c := range e.Checks {
		p.Checks = append(p.Checks, checkView{Check: c, TitleKey: checkKey(c.Name, "title"), AboutKey: checkKey(c.Name, "about")})
	}
	for _, d := range e.Disclosures {
		kind := d.Kind
		if !disclosureKinds[kind] {
			kind = "other"
		}
		p.Disclosures = append(p.Disclosures, disclosureView{Disclosure: d, KindKey: "portal.offer.disclosure." + kind})
	}
	return p
}

// checkKey is the catalogue key explaining a check in plain words; a check
// the page does not know is shown under its own name.
func checkKey(name, part string) string {
	for _, known := range CheckNames {
		if known == name {
			return "portal.offer.check." + name + "." + part
		}
	}
	return "portal.offer.check.other." + part
}

// termRows lists the figures of the offer that are set, in the order a
// client reads them.
func termRows(l *i18n.Localizer, e *Explanation) []termRow {
	var rows []termRow
	if q := e.Request; q != nil {
		rows = append(rows, termRow{"portal.offer.terms.amount", l.Money(q.Amount)})
		if q.Months > 0 {
			rows = append(rows, termRow{"portal.offer.terms.months", l.T("portal.offer.terms.months_value", q.Months)})
		}
	}
	t := e.Terms
	if t == nil {
		return rows
	}
	money := func(key string, m *ecrm.Money) {
		if m != nil {
			rows = append(rows, termRow{"portal.offer.terms." + key, l.Money(*m)})
		}
	}
	if t.NominalAnnualRate != nil {
		rows = append(rows, termRow{"portal.offer.terms.nominal_annual_rate", l.Percent(*t.NominalAnnualRate, 2)})
	}
	if t.APR != nil {
		rows = append(rows, termRow{"portal.offer.terms.apr", l.Percent(*t.APR, 2)})
	}
	money("monthly_payment", t.MonthlyPayment)
	money("upfront_fee", t.UpfrontFee)
	money("monthly_fee", t.MonthlyFee)
	money("total_cost", t.TotalCost)
	money("total_payable", t.TotalPayable)
	money("gross_interest", t.GrossInterest)
	money("withholding_tax", t.WithholdingTax)
	money("value_at_maturity", t.ValueAtMaturity)
	if t.AnnualEquivalentRate != nil {
		rows = append(rows, termRow{"portal.offer.terms.annual_equivalent_rate", l.Percent(*t.AnnualEquivalentRate, 2)})
	}
	if t.NetAnnualEquivalentRate != nil {
		rows = append(rows, termRow{"portal.offer.terms.net_annual_equivalent_rate", l.Percent(*t.NetAnnualEquivalentRate, 2)})
	}
	if t.ExpectedAnnualReturn != nil {
		rows = append(rows, termRow{"portal.offer.terms.expected_annual_return", l.Percent(*t.ExpectedAnnualReturn, 2)})
	}
	if t.OngoingCharges != nil {
		rows = append(rows, termRow{"portal.offer.terms.ongoing_charges", l.Percent(*t.OngoingCharges, 2)})
	}
	money("entry_fee", t.EntryFee)
	money("illustrative_value", t.IllustrativeValue)
	money("premium", t.Premium)
	if t.Illustration != "" {
		rows = append(rows, termRow{"portal.offer.terms.illustration", t.Illustration})
	}
	if t.RiskWarning != "" {
		rows = append(rows, termRow{"portal.offer.terms.risk_warning", t.RiskWarning})
	}
	return rows
}

func (h *PortalHandler) showOffer(w http.ResponseWriter, r *http.Request, clientID, seq int64) error {
	e, err := h.portal.Explain(r.Context(), clientID, seq)
	if err != nil {
		return err
	}
	// Opening the offer is reading the advisor's answers on it.
	if err := h.portal.MarkAnswersRead(r.Context(), clientID, seq); err != nil {
		return err
	}
	if err := h.portal.MarkViewed(r.Context(), clientID, seq); err != nil {
		return err
	}
	p := h.offerPage(r, e)
	switch n := r.URL.Query().Get("done"); n {
	case noticeReviewRequested, noticeReviewExisting, noticeInterested, noticeAccepted, noticeDeclined:
		p.Notice = n
	}
	h.render(w, r, http.StatusOK, p)
	return nil
}

func (h *PortalHandler) render(w http.ResponseWriter, r *http.Request, status int, p offerPage) {
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, status, "portal_offer", page.View{Area: page.AreaPortal, Data: p})
}

// offerURL is the offer page, with the notice of what was just done.
func offerURL(seq int64, notice, anchor string) string {
	return "/portal/offers/" + strconv.FormatInt(seq, 10) + "?done=" + notice + "#" + anchor
}

// saveReviewRequest asks a human from the offer page. A refused message
// shows the page again with the message at the field and the text kept.
func (h *PortalHandler) saveReviewRequest(w http.ResponseWriter, r *http.Request, clientID, seq int64) error {
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		return ecrm.Errorf(ecrm.EINVALID, "portal.offer.error.form_unreadable")
	}
	message := r.PostForm.Get("message")
	_, created, err := h.portal.RequestReview(r.Context(), clientID, seq, web.ClientChannel(r), message)
	if ecrm.ErrorCode(err) == ecrm.EINVALID {
		e, viewErr := h.portal.Explain(r.Context(), clientID, seq)
		if viewErr != nil {
			return viewErr
		}
		p := h.offerPage(r, e)
		p.Message = message
		var appErr *ecrm.Error
		if errors.As(err, &appErr) {
			p.MessageError = i18n.FromContext(r.Context()).T(appErr.Message)
		}
		h.render(w, r, http.StatusUnprocessableEntity, p)
		return nil
	}
	if err != nil {
		return err
	}
	notice := noticeReviewRequested
	if !created {
		notice = noticeReviewExisting
	}
	http.Redirect(w, r, offerURL(seq, notice, "review"), http.StatusSeeOther)
	return nil
}

// saveResponse records "I'm interested", "I apply" or "not interested"
// from the offer page. An offer already answered shows the page again saying so.
func (h *PortalHandler) saveResponse(w http.ResponseWriter, r *http.Request, clientID, seq int64) error {
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		return ecrm.Errorf(ecrm.EINVALID, "portal.offer.error.form_unreadable")
	}
	if err := refuseApplication(r.PostForm.Get("response")); err != nil {
		return err
	}
	resp, _, err := h.portal.Respond(r.Context(), clientID, seq, web.ClientChannel(r), r.PostForm.Get("response"), "")
	if ecrm.ErrorCode(err) == ecrm.ECONFLICT {
		e, viewErr := h.portal.Explain(r.Context(), clientID, seq)
		if viewErr != nil {
			return viewErr
		}
		p := h.offerPage(r, e)
		p.Notice = noticeAlreadyAnswered
		h.render(w, r, http.StatusConflict, p)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, offerURL(seq, string(resp.Outcome), "response"), http.StatusSeeOther)
	return nil
}

// refuseApplication keeps applications off the response route: applying
// is binding, so it goes through the portal's accept route, which asks for
// a recent login and opens the deal (selfservice, crosssell).
func refuseApplication(response string) error {
	if Outcome(strings.TrimSpace(response)) == OutcomeAccepted {
		return invalidField("response", "portal.offer.response.error.apply_at_accept")
	}
	return nil
}

// ---------------------------------------------------------------------------
// JSON API

func (h *PortalHandler) getOffer(w http.ResponseWriter, r *http.Request, clientID, seq int64) error {
	e, err := h.portal.Explain(r.Context(), clientID, seq)
	if err != nil {
		return err
	}
	if err := h.portal.MarkViewed(r.Context(), clientID, seq); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, toOfferJSON(i18n.FromContext(r.Context()), e))
	return nil
}

// reviewRequestBody is the body of POST /api/v1/me/offers/{seq}/review.
type reviewRequestBody struct {
	Message string `json:"message"`
}

func (h *PortalHandler) createReviewRequest(w http.ResponseWriter, r *http.Request, clientID, seq int64) error {
	var body reviewRequestBody
	if r.ContentLength != 0 {
		if err := web.DecodeJSON(r, &body); err != nil {
			return h.notFoundFirst(r, clientID, seq, err)
		}
	}
	review, created, err := h.portal.RequestReview(r.Context(), clientID, seq, web.ClientChannel(r), body.Message)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, status, toHumanReviewJSON(*review))
	return nil
}

// responseBody is the body of POST /api/v1/me/offers/{seq}/response.
type responseBody struct {
	Response string `json:"response"`
}

func (h *PortalHandler) createResponse(w http.ResponseWriter, r *http.Request, clientID, seq int64) error {
	var body responseBody
	if err := web.DecodeJSON(r, &body); err != nil {
		return h.notFoundFirst(r, clientID, seq, err)
	}
	if err := refuseApplication(body.Response); err != nil {
		return h.notFoundFirst(r, clientID, seq, err)
	}
	resp, created, err := h.portal.Respond(r.Context(), clientID, seq, web.ClientChannel(r), body.Response, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, status, toOfferResponseJSON(*resp))
	return nil
}

// notFoundFirst answers a body that cannot be read with not found when the
// offer is not the client's, so a bad body tells nothing about other
// clients' offers.
func (h *PortalHandler) notFoundFirst(r *http.Request, clientID, seq int64, bodyErr error) error {
	if _, err := h.portal.Explain(r.Context(), clientID, seq); err != nil {
		return err
	}
	return bodyErr
}

// offersPage is the data of portal_offers.html.
type offersPage struct {
	Offers []OfferSummary
	Zone   *time.Location
	// Next is the "before" of the next page, 0 when this is the last.
	Next int64
	// Unread counts the advisor's answers not read yet.
	Unread int
}

// before reads the page cursor of "My offers".
func before(r *http.Request) (int64, error) {
	s := r.URL.Query().Get("before")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, invalidField("before", "portal.offers.error.before")
	}
	return n, nil
}

// offers reads the page of "My offers" the request asks for (?before=).
func (h *PortalHandler) offers(r *http.Request, clientID int64) ([]OfferSummary, int64, error) {
	from, err := before(r)
	if err != nil {
		return nil, 0, err
	}
	return h.portal.Offers(r.Context(), clientID, from)
}

func (h *PortalHandler) showOffers(w http.ResponseWriter, r *http.Request, clientID, _ int64) error {
	list, next, err := h.offers(r, clientID)
	if err != nil {
		return err
	}
	unread, err := h.portal.UnreadAnswers(r.Context(), clientID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, http.StatusOK, "portal_offers", page.View{Area: page.AreaPortal,
		Data: offersPage{Offers: list, Zone: h.zone, Next: next, Unread: unread}})
	return nil
}

// messagesPage is the data of portal_messages.html.
type messagesPage struct {
	Messages []Message
	Zone     *time.Location
}

// showMessages lists the review requests and answers; the answers shown
// are read from then on (they are still marked on this showing).
func (h *PortalHandler) showMessages(w http.ResponseWriter, r *http.Request, clientID, _ int64) error {
	list, err := h.portal.OpenMessages(r.Context(), clientID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, http.StatusOK, "portal_messages", page.View{Area: page.AreaPortal, Data: messagesPage{Messages: list, Zone: h.zone}})
	return nil
}

type offerSummaryJSON struct {
	Seq            int64           `json:"seq"`
	RecordedAt     time.Time       `json:"recorded_at"`
	Channel        string          `json:"channel"`
	Product        listProductJSON `json:"product"`
	State          string          `json:"state"`
	AnsweredReview bool            `json:"answered_review"`
}

type listProductJSON struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Provider string `json:"provider,omitempty"`
}

func (h *PortalHandler) listOffers(w http.ResponseWriter, r *http.Request, clientID, _ int64) error {
	list, next, err := h.offers(r, clientID)
	if err != nil {
		return err
	}
	out := struct {
		Offers     []offerSummaryJSON `json:"offers"`
		NextBefore *int64             `json:"next_before"`
	}{Offers: []offerSummaryJSON{}}
	for _, o := range list {
		out.Offers = append(out.Offers, offerSummaryJSON{Seq: o.Seq, RecordedAt: o.RecordedAt, Channel: o.Channel,
			Product: listProductJSON{Code: o.ProductCode, Name: i18n.FromContext(r.Context()).Text(o.ProductName), Provider: o.Provider}, State: o.State, AnsweredReview: o.AnsweredReview})
	}
	if next != 0 {
		out.NextBefore = &next
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

type messageJSON struct {
	humanReviewJSON
	Product listProductJSON `json:"product"`
	Unread  bool            `json:"unread"`
}

// listMessages is the API's "Messages"; like the page, it marks the
// answers it returns as read.
func (h *PortalHandler) listMessages(w http.ResponseWriter, r *http.Request, clientID, _ int64) error {
	list, err := h.portal.OpenMessages(r.Context(), clientID)
	if err != nil {
		return err
	}
	out := struct {
		Messages []messageJSON `json:"messages"`
	}{Messages: []messageJSON{}}
	for _, m := range list {
		out.Messages = append(out.Messages, messageJSON{humanReviewJSON: toHumanReviewJSON(m.HumanReview),
			Product: listProductJSON{Code: m.ProductCode, Name: i18n.FromContext(r.Context()).Text(m.ProductName)}, Unread: m.Unread})
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}
