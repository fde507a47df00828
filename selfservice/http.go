package selfservice

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/internal/document"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/risk"
	"github.com/ecrm-project/ecrm/servicedesk"
)

// Handler serves the portal's pages and its JSON API.
type Handler struct {
	svc   *Service
	pages *page.Renderer
	// offers is the client's side of the offer log (My offers, Messages).
	offers *compliance.Portal
	// documents make the PDF statements; firm heads them.
	documents *document.Renderer
	firm      string
	// deals hold the documents staff sent the client.
	deals *pipeline.Store
	// desk is the service centre: the client's secure messages.
	desk *servicedesk.Desk
	// nbo arbitrates the next best offers (offers.go); sessions keep an
	// application while the client logs in again; stepUp is how recent a
	// login an application needs.
	nbo      *crosssell.Arbiter
	sessions SessionValues
	stepUp   time.Duration
	// suitability reads the client's risk profile (nil: not wired).
	suitability *risk.Suitability
}

// NewHandler returns the portal's handler. pages must have been built with
// Templates (page.New(selfservice.Templates, ...)).
func NewHandler(pool *pgxpool.Pool, pages *page.Renderer) *Handler {
	return &Handler{svc: NewService(pool), pages: pages, offers: compliance.NewPortal(pool)}
}

// Service returns the service behind the handler, e.g. to set its zone.
func (h *Handler) Service() *Service { return h.svc }

// Routes registers the portal: pages under /portal and the JSON API under
// /api/v1/me. Mount it behind authentication that puts the principal in the
// context and restricts the group to clients; every handler still answers
// 401 to a caller that is not a client.
func (h *Handler) Routes(r chi.Router) {
	r.Get("/portal", h.page(h.showOverviewPage))
	r.Get("/portal/accounts/{id}", h.page(h.showAccountPage))
	r.Get("/portal/accounts/{id}/transactions.csv", h.page(h.downloadTransactions))
	r.Get("/portal/accounts/{id}/statement.pdf", h.page(h.downloadStatement))
	r.Get("/portal/documents", h.page(h.showDocuments))
	r.Get("/portal/documents/{id}", h.page(h.downloadDocument))
	r.Get("/portal/profile", h.page(h.showProfilePage))
	r.Post("/portal/profile", h.page(h.saveProfileForm))
	r.Get("/portal/profile/email", h.page(h.showEmailConfirmation))
	r.Post("/portal/profile/email", h.page(h.confirmEmailForm))
	r.Post("/portal/consents/{purpose}/{channel}", h.page(h.saveConsentForm))
	r.Get("/portal/data", h.page(h.downloadMyData))
	r.Get("/portal/data/view", h.page(h.showMyData))

	r.Get("/api/v1/me", h.api(h.getOverview))
	r.Get("/api/v1/me/accounts/{id}/transactions", h.api(h.listTransactions))
	r.Get("/api/v1/me/profile", h.api(h.getProfile))
	r.Patch("/api/v1/me/profile", h.api(h.patchProfile))
	r.Post("/api/v1/me/profile/email-confirmation", h.api(h.confirmEmail))
	r.Get("/api/v1/me/consents", h.api(h.listConsents))
	r.Put("/api/v1/me/consents/{purpose}/{channel}", h.api(h.putConsent))
	r.Get("/api/v1/me/export", h.api(h.exportMyData))
	r.Get("/api/v1/me/documents", h.api(h.listDocuments))
	r.Get("/api/v1/me/documents/{id}", h.api(h.downloadDocument))
	h.messageRoutes(r)
	h.offerRoutes(r)
}

// clientHandler is a portal handler for an authenticated client; an error
// it returns is shown as an error page or a problem document.
type clientHandler func(w http.ResponseWriter, r *http.Request, clientID int64) error

var errNotClient = ecrm.Errorf(ecrm.EUNAUTHORIZED, "Log in as a client first.")

// clientID returns the authenticated client, or false for anyone else.
func clientID(r *http.Request) (int64, bool) {
	p := ecrm.PrincipalFrom(r.Context())
	if !p.IsClient() {
		return 0, false
	}
	return p.ClientID, true
}

// page adapts a page handler: errors become the translated error page.
func (h *Handler) page(fn clientHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := clientID(r)
		var err error = errNotClient
		if ok {
			err = fn(w, r, id)
		}
		if err == nil {
			return
		}
		status := web.Fail(w, r, err, "portal page failed")
		h.pages.RenderError(w, r, status, "", "", web.RequestIDFrom(r.Context()))
	}
}

// api adapts an API handler: errors become problem+json.
func (h *Handler) api(fn clientHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := clientID(r)
		var err error = errNotClient
		if ok {
			err = fn(w, r, id)
		} else {
			w.Header().Set("WWW-Authenticate", "Bearer")
		}
		if err != nil {
			web.Problem(w, r, err)
		}
	}
}

// writePrivateJSON writes a client's data, which no cache may keep.
func writePrivateJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, status, v)
}

// logFailedRecord notes a portal action that could not be recorded; the
// client's request goes on, as the quick actions only lose one signal.
func logFailedRecord(r *http.Request, err error) {
	if err != nil {
		web.Logger(r.Context()).Warn("portal action not recorded", slog.String("error", err.Error()))
	}
}

// pathID reads a numeric id from the path; anything else is not found.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	if err != nil || id <= 0 {
		return 0, notFound()
	}
	return id, nil
}

// Overview ------------------------------------------------------------------

type overviewPage struct {
	// Offers are the next best offers; OffersShown is false when they
	// could not be made (the section says so).
	Offers      []offerCard
	OffersShown bool
	Name        string
	Overview    *Overview
	Zone        *time.Location
	// UnreadAnswers counts the advisor's answers the client has not
	// read (a notice leads to the questions about offers).
	UnreadAnswers int
	// UnreadReplies counts the firm's messages in her requests she has
	// not read (a notice leads to Messages).
	UnreadReplies int
	// RiskNotice asks her to review (stale) or complete (none) her risk
	// profile.
	RiskNotice string
}

func (h *Handler) showOverviewPage(w http.ResponseWriter, r *http.Request, clientID int64) error {
	o, err := h.svc.Overview(r.Context(), clientID)
	if err != nil {
		return err
	}
	unread, err := h.offers.UnreadAnswers(r.Context(), clientID)
	if err != nil {
		return err
	}
	var replies int
	if h.desk != nil {
		if replies, err = h.desk.UnreadForClient(r.Context(), clientID); err != nil {
			return err
		}
	}
	p := overviewPage{
		Name: ecrm.PrincipalFrom(r.Context()).Name, Overview: o, Zone: h.svc.zone, UnreadAnswers: unread, UnreadReplies: replies,
		RiskNotice: h.riskNotice(r, clientID, len(o.Portfolio.Positions) > 0),
	}
	if set, ok := h.nextOffers(r, clientID); ok {
		p.Offers, p.OffersShown = offerCards(set, i18n.FromContext(r.Context())), true
	}
	h.pages.Render(w, r, http.StatusOK, "portal_overview", p)
	return nil
}

func (h *Handler) getOverview(w http.ResponseWriter, r *http.Request, clientID int64) error {
	o, err := h.svc.Overview(r.Context(), clientID)
	if err != nil {
		return err
	}
	o.Name = ecrm.PrincipalFrom(r.Context()).Name
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSONAppend(w, http.StatusOK, o.appendJSON)
	return nil
}

// Account -------------------------------------------------------------------

type accountPage struct {
	*AccountTransactions
	OlderHref string
	Zone      *time.Location
	// From and To are the period asked for; FilterError the message at
	// the field that was refused (the page then shows every day).
	From, To    string
	FilterField string
	FilterError string
	// CSVHref downloads what the filter selects.
	CSVHref string
}

func (h *Handler) showAccountPage(w http.ResponseWriter, r *http.Request, clientID int64) error {
	accountID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := TransactionFilter{Counterparty: q.Get("counterparty"), Before: q.Get("before"), From: q.Get("from"), To: q.Get("to")}
	view := accountPage{Zone: h.svc.zone, From: f.From, To: f.To}
	data, err := h.svc.AccountTransactions(r.Context(), clientID, accountID, f, true)
	if e := (*ecrm.Error)(nil); errors.As(err, &e) && e.Code == ecrm.EINVALID {
		// A refused date is said at its field; a hand-edited cursor
		// shows the newest page.
		if e.Field == "from" || e.Field == "to" {
			view.FilterField, view.FilterError = e.Field, e.Fields[0].Message
			f.From, f.To = "", ""
		}
		f.Before = ""
		data, err = h.svc.AccountTransactions(r.Context(), clientID, accountID, f, true)
	}
	if err != nil {
		return err
	}
	view.AccountTransactions = data
	filter := url.Values{}
	for k, v := range map[string]string{"counterparty": f.Counterparty, "from": f.From, "to": f.To} {
		if v != "" {
			filter.Set(k, v)
		}
	}
	base := "/portal/accounts/" + strconv.FormatInt(accountID, 10)
	view.CSVHref = base + "/transactions.csv"
	if len(filter) > 0 {
		view.CSVHref += "?" + filter.Encode()
	}
	if data.NextCursor != "" {
		older := url.Values{"before": {data.NextCursor}}
		for k, v := range filter {
			older[k] = v
		}
		view.OlderHref = base + "?" + older.Encode()
	}
	h.pages.Render(w, r, http.StatusOK, "portal_account", view)
	return nil
}

func (h *Handler) listTransactions(w http.ResponseWriter, r *http.Request, clientID int64) error {
	accountID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := TransactionFilter{Counterparty: q.Get("counterparty"), Before: q.Get("before"), From: q.Get("from"), To: q.Get("to")}
	if s := q.Get("limit"); s != "" {
		if f.Limit, err = strconv.Atoi(s); err != nil || f.Limit == 0 {
			f.Limit = -1 // reported by the service, with the field named
		}
	}
	data, err := h.svc.AccountTransactions(r.Context(), clientID, accountID, f, true)
	if err != nil {
		return err
	}
	writePrivateJSON(w, http.StatusOK, data)
	return nil
}

// Profile -------------------------------------------------------------------

func (h *Handler) showProfilePage(w http.ResponseWriter, r *http.Request, clientID int64) error {
	profile, err := h.svc.Profile(r.Context(), clientID)
	if err != nil {
		return err
	}
	logFailedRecord(r, h.svc.RecordAction(r.Context(), clientID, ActionProfileView, ""))
	return h.renderProfile(w, r, clientID, http.StatusOK, profileFormFromProfile(profile, i18n.FromContext(r.Context())), nil, r.URL.Query().Get("saved"))
}

func (h *Handler) saveProfileForm(w http.ResponseWriter, r *http.Request, clientID int64) error {
	if err := r.ParseForm(); err != nil {
		return ecrm.Errorf(ecrm.EINVALID, "The form could not be read.")
	}
	u := profileUpdateFromForm(r.PostForm, i18n.FromContext(r.Context()))
	_, _, err := h.svc.UpdateProfile(r.Context(), clientID, u, web.RequestIDFrom(r.Context()))
	var invalid *ecrm.Error
	if errors.As(err, &invalid) && invalid.Code == ecrm.EINVALID {
		// Show the form again as the client filled it in, each message
		// next to its field.
		return h.renderProfile(w, r, clientID, http.StatusUnprocessableEntity, r.PostForm, invalid.Fields, "")
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/portal/profile?saved=profile", http.StatusSeeOther)
	return nil
}

func (h *Handler) getProfile(w http.ResponseWriter, r *http.Request, clientID int64) error {
	profile, err := h.svc.Profile(r.Context(), clientID)
	if err != nil {
		return err
	}
	writePrivateJSON(w, http.StatusOK, profile)
	return nil
}

func (h *Handler) patchProfile(w http.ResponseWriter, r *http.Request, clientID int64) error {
	var u ProfileUpdate
	if err := web.DecodeJSON(r, &u); err != nil {
		return err
	}
	profile, _, err := h.svc.UpdateProfile(r.Context(), clientID, u, web.RequestIDFrom(r.Context()))
	if err != nil {
		return err
	}
	writePrivateJSON(w, http.StatusOK, profile)
	return nil
}

// Consents ------------------------------------------------------------------

// consentList is the body of GET /api/v1/me/consents.
type consentList struct {
	WordingVersion string    `json:"wording_version"`
	Consents       []Consent `json:"consents"`
}

func (h *Handler) listConsents(w http.ResponseWriter, r *http.Request, clientID int64) error {
	consents, err := h.svc.Consents(r.Context(), clientID)
	if err != nil {
		return err
	}
	writePrivateJSON(w, http.StatusOK, consentList{WordingVersion: ConsentWordingVersion, Consents: consents})
	return nil
}

func topicFromPath(r *http.Request) (ConsentTopic, error) {
	t, ok := LookupConsentTopic(chi.URLParam(r, "purpose"), chi.URLParam(r, "channel"))
	if !ok {
		return ConsentTopic{}, notFound()
	}
	return t, nil
}

func (h *Handler) putConsent(w http.ResponseWriter, r *http.Request, clientID int64) error {
	topic, err := topicFromPath(r)
	if err != nil {
		return err
	}
	var body struct {
		Granted *bool `json:"granted"`
	}
	if err := web.DecodeJSON(r, &body); err != nil {
		return err
	}
	if body.Granted == nil {
		return ecrm.FieldErrorf("granted", "%s", i18n.FromContext(r.Context()).T("portal.consent.error.granted"))
	}
	c, _, err := h.svc.SetConsent(r.Context(), clientID, topic, *body.Granted)
	if err != nil {
		return err
	}
	writePrivateJSON(w, http.StatusOK, c)
	return nil
}

func (h *Handler) saveConsentForm(w http.ResponseWriter, r *http.Request, clientID int64) error {
	topic, err := topicFromPath(r)
	if err != nil {
		return err
	}
	granted, err := strconv.ParseBool(r.PostFormValue("granted"))
	if err != nil {
		return ecrm.FieldErrorf("granted", "%s", i18n.FromContext(r.Context()).T("portal.consent.error.granted"))
	}
	if _, _, err := h.svc.SetConsent(r.Context(), clientID, topic, granted); err != nil {
		return err
	}
	http.Redirect(w, r, "/portal/profile?saved=consent#consent-"+topic.Purpose+"-"+topic.Channel, http.StatusSeeOther)
	return nil
}

// My data -------------------------------------------------------------------

func (h *Handler) downloadMyData(w http.ResponseWriter, r *http.Request, clientID int64) error {
	return h.writeExport(w, r, clientID)
}

func (h *Handler) exportMyData(w http.ResponseWriter, r *http.Request, clientID int64) error {
	return h.writeExport(w, r, clientID)
}

// writeExport sends the personal-data document as a file to save.
func (h *Handler) writeExport(w http.ResponseWriter, r *http.Request, clientID int64) error {
	doc, err := h.svc.Export(r.Context(), clientID)
	if err != nil {
		return err
	}
	name := "ecrm-my-data-" + h.svc.now().In(h.svc.zone).Format(time.DateOnly) + ".json"
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Content-Length", strconv.Itoa(len(doc)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc)
	return nil
}
