package advisor

import (
	"cmp"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/internal/document"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/risk"
	"github.com/ecrm-project/ecrm/servicedesk"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Templates holds the console's page templates (*.html at its root), for
// page.New.
var Templates = page.TemplateDir(templateFiles)

// OpenAPI documents every /api/v1 route Routes registers, as a fragment
// for web.NewOpenAPI.
//
//go:embed openapi.json
var OpenAPI []byte

// Handler serves the staff console's pages and their JSON API.
type Handler struct {
	store *Store
	pages *page.Renderer
	// deals are the pipelines, deals and tasks (nil: not wired).
	deals *pipeline.Store
	// documents make a deal's PDF documents, headed by firm, paid to
	// firmIBAN.
	documents      *document.Renderer
	firm, firmIBAN string
	// desk is the service centre's requests (nil: not wired).
	desk *servicedesk.Desk
	// nbo ranks and presents next best offers (nil: not wired).
	nbo *crosssell.Arbiter
	// campaigns are the cross-sell campaigns (nil: not wired).
	campaigns *crosssell.Campaigns
	// suitability reads risk profiles and behaviour (nil: not wired).
	suitability *risk.Suitability
	// portfolios value and measure the client's portfolio for the 360
	// (nil: not wired, no risk section).
	portfolios *risk.Portfolios
	// hedges reads the hedging rules' verdicts and order requests (nil:
	// not wired, no hedging section).
	hedges *risk.HedgeDesk
}

// NewHandler returns the console's handler. Times are shown and entered in
// the server's local zone until SetLocation says otherwise.
func NewHandler(pool *pgxpool.Pool, pages *page.Renderer) *Handler {
	return &Handler{store: NewStore(pool), pages: pages}
}

// SetLocation sets the zone the console shows times in, reads times
// entered without a zone in, and takes "today" from. Call it before the
// handler serves.
func (h *Handler) SetLocation(loc *time.Location) {
	if loc != nil {
		h.store.loc = loc
	}
}

// Routes registers the console's pages and API. The caller mounts them
// behind authentication; every handler still derives the caller's scope
// from the principal and refuses anyone who is not staff with a console
// role.
func (h *Handler) Routes(r chi.Router) {
	r.Get("/console", h.showHome)
	r.Get("/console/clients", h.showClientList)
	r.Get("/console/clients/{id}", h.showClient)
	r.Get("/console/clients/{id}/credit-history", h.showCreditHistory)
	r.Post("/console/clients/{id}/interactions", h.saveInteraction)
	r.Post("/console/clients/{id}/next-offers", h.presentForm)
	r.Get("/api/v1/clients/{id}/next-offers", h.listNextOffers)
	r.Post("/api/v1/clients/{id}/next-offers", h.createPresentation)

	r.Get("/api/v1/clients", h.listClients)
	r.Get("/api/v1/clients/{id}", h.getClient)
	r.Get("/api/v1/clients/{id}/credit-history", h.getCreditHistory)
	r.Post("/api/v1/clients/{id}/interactions", h.createInteraction)

	h.reviewRoutes(r)
	h.dealRoutes(r)
	h.documentRoutes(r)
	h.requestRoutes(r)
	h.campaignRoutes(r)
}

// ---------------------------------------------------------------------------
// Pages

// homePage is the data of console_home.html.
type homePage struct {
	Home
	// Notifications are the staff member's unread ones (overdue and
	// escalated tasks).
	Notifications []pipeline.Notification
	// Requests and OverdueRequests count the service requests waiting
	// for the staff member's answer, and those past their deadline.
	Requests, OverdueRequests int
	Zone                      *time.Location
	// OpenReviews counts the open requests for human review in the scope;
	// Reviews lists the oldest.
	OpenReviews int
	Reviews     []reviewRow
}

func (h *Handler) showHome(w http.ResponseWriter, r *http.Request) {
	sc, err := ReadScope(ecrm.PrincipalFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	home, err := h.store.Home(r.Context(), sc)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	reviews, err := h.store.OpenReviewRequests(r.Context(), sc)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var notes []pipeline.Notification
	if h.deals != nil {
		if notes, err = h.deals.UnreadNotifications(r.Context(), sc.StaffID); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	data := homePage{Home: home, Zone: h.store.loc, Notifications: notes, OpenReviews: reviews.Open, Reviews: h.reviewRows(r, reviews.Requests)}
	if h.desk != nil {
		v := servicedesk.Viewer{StaffID: sc.StaffID}
		if data.Requests, data.OverdueRequests, err = h.desk.Waiting(r.Context(), v); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "console_home", data)
}

// clientListPage is the data of console_clients.html.
type clientListPage struct {
	Book     bool
	Filter   ClientFilter
	Segments []string
	Clients  []ClientSummary
	// NextURL and FirstURL page through the list; empty when there is no
	// such page.
	NextURL  string
	FirstURL string
	Form     formErrors
	// Total counts the clients the search selects (up to
	// MaxClientCount+1).
	Total int
}

// SortColumn is a sortable column's header: the link that sorts by it
// (ascending first, then the other way) and its current direction for
// aria-sort.
type SortColumn struct {
	Href string
	// AriaSort is "ascending" or "descending" when the list is sorted by
	// the column, "" otherwise.
	AriaSort string
}

// Sort returns the header of the column "name" or "age".
func (p clientListPage) Sort(column string) SortColumn {
	current := cmp.Or(p.Filter.Sort, SortName)
	asc, desc := SortName, SortNameDesc
	if column == "age" {
		asc, desc = SortYoungest, SortOldest
	}
	f := p.Filter
	var col SortColumn
	switch current {
	case asc:
		f.Sort, col.AriaSort = desc, "ascending"
	case desc:
		f.Sort, col.AriaSort = asc, "descending"
	default:
		f.Sort = asc
	}
	col.Href = listURL("/console/clients", f, "")
	return col
}

// TotalCapped reports whether more clients match than were counted.
func (p clientListPage) TotalCapped() bool { return p.Total > MaxClientCount }

// MaxTotal is MaxClientCount for the page.
func (p clientListPage) MaxTotal() int { return MaxClientCount }

func (h *Handler) showClientList(w http.ResponseWriter, r *http.Request) {
	sc, err := ReadScope(ecrm.PrincipalFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := filterFrom(r.URL.Query())
	data := clientListPage{Book: sc.Book, Filter: f, Segments: Segments}
	result, err := h.store.Clients(r.Context(), sc, f)
	if ecrm.ErrorCode(err) == ecrm.EINVALID {
		data.Form = newFormErrors(r, err)
		h.render(w, r, http.StatusUnprocessableEntity, "console_clients", data)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data.Clients = result.Clients
	if data.Total, err = h.store.CountClients(r.Context(), sc, f); err != nil {
		h.fail(w, r, err)
		return
	}
	if result.Next != "" {
		data.NextURL = listURL("/console/clients", f, result.Next)
	}
	if f.After != "" {
		data.FirstURL = listURL("/console/clients", f, "")
	}
	h.render(w, r, http.StatusOK, "console_clients", data)
}

// listURL is the list's URL with the same search on another page.
func listURL(path string, f ClientFilter, after string) string {
	q := url.Values{}
	if f.Query != "" {
		q.Set("q", f.Query)
	}
	if f.Segment != "" {
		q.Set("segment", f.Segment)
	}
	if f.Sort != "" && f.Sort != SortName {
		q.Set("sort", f.Sort)
	}
	if f.Limit != 0 && f.Limit != DefaultPageSize {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if after != "" {
		q.Set("after", after)
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// filterFrom reads the list's query parameters q, segment, sort, after and
// limit.
func filterFrom(q url.Values) ClientFilter {
	f := ClientFilter{Query: strings.TrimSpace(q.Get("q")), Segment: q.Get("segment"), Sort: q.Get("sort"), After: q.Get("after")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			n = -1 // refused, with the other faults, by ClientFilter.validate
		}
		f.Limit = n
	}
	return f
}

// clientPage is the data of console_client.html, the client 360.
type clientPage struct {
	*Client360
	Zone       *time.Location
	Channels   []string
	Directions []string
	Purposes   []Purpose
	// CanLog is true when the viewer may log a contact with this client:
	// an advisor in whose book the client is.
	CanLog bool
	// Contact is the contact form's input, kept when it was refused.
	Contact InteractionInput
	Form    formErrors
	// Reviews are the client's requests for human review of an offer.
	Reviews []reviewRow
	// Work is the client's open deals and tasks (nil without pipelines).
	Work *pipeline.ClientWork
	// Requests are the client's service requests the viewer may read.
	Requests []servicedesk.Request
	Now      time.Time
	// Logged is true right after a contact was logged (?logged=1): the
	// page confirms it.
	Logged bool
	// Needs are the client's needs in the viewer's language.
	Needs []needView
	// NextOffers are the client's candidates, best first; Presented or
	// Blocked is the record of the offer just presented (?presented=,
	// ?blocked=).
	NextOffers []nextOfferView
	// Risk is the stated risk profile beside the risk behaviour.
	Risk            *riskView
	Presented       int64
	Blocked         int64
	PresentChannels []string
	// PortfolioRisk is the portfolio's valuation and risk, drawn as on
	// the client's own risk page (nil without positions or portfolios).
	PortfolioRisk *risk.PortfolioView
	// Hedges are the holdings the hedging rules flag and the order
	// requests.
	Hedges *risk.HedgeSummary
}

func (h *Handler) showClient(w http.ResponseWriter, r *http.Request) {
	sc, id, ok := h.clientInScope(w, r, ReadScope)
	if !ok {
		return
	}
	v, err := h.store.Client360(r.Context(), sc, id, r.URL.Query().Get("channel"), web.RequestIDFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data, err := h.clientPage(r, sc, v)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data.Logged = r.URL.Query().Get("logged") == "1"
	data.Presented, _ = strconv.ParseInt(r.URL.Query().Get("presented"), 10, 64)
	data.Blocked, _ = strconv.ParseInt(r.URL.Query().Get("blocked"), 10, 64)
	h.render(w, r, http.StatusOK, "console_client", data)
}

func (h *Handler) clientPage(r *http.Request, sc Scope, v *Client360) (clientPage, error) {
	p := ecrm.PrincipalFrom(r.Context())
	reviews, err := h.store.ClientReviewRequests(r.Context(), sc, v.ID)
	if err != nil {
		return clientPage{}, err
	}
	var work *pipeline.ClientWork
	if h.deals != nil {
		w, err := h.deals.ClientWork(r.Context(), v.ID, pipeline.Viewer{StaffID: sc.StaffID, All: !sc.Book})
		if err != nil {
			return clientPage{}, err
		}
		work = &w
	}
	next, err := h.nextOffers(r, v.ID)
	if err != nil {
		return clientPage{}, err
	}
	var requests []servicedesk.Request
	if h.desk != nil {
		viewer := servicedesk.Viewer{StaffID: sc.StaffID, Compliance: p.HasRole(ecrm.RoleCompliance)}
		if requests, err = h.desk.ClientRequestsFor(r.Context(), viewer, v.ID); err != nil {
			return clientPage{}, err
		}
	}
	canLog := p.HasRole(ecrm.RoleAdvisor) && v.AdvisorID != nil && *v.AdvisorID == p.StaffID
	riskView, err := h.riskProfile(r.Context(), v.ID, canLog)
	if err != nil {
		return clientPage{}, err
	}
	portfolioRisk, err := h.portfolioRisk(r, sc, v)
	if err != nil {
		return clientPage{}, err
	}
	hedges, err := h.hedgeSummary(r, v.ID)
	if err != nil {
		return clientPage{}, err
	}
	return clientPage{
		Risk:            riskView,
		PortfolioRisk:   portfolioRisk,
		Hedges:          hedges,
		Requests:        requests,
		Work:            work,
		Now:             h.store.now(),
		Client360:       v,
		Zone:            h.store.loc,
		Channels:        Channels,
		Directions:      Directions,
		Purposes:        Purposes,
		CanLog:          canLog,
		Reviews:         h.reviewRows(r, reviews),
		Needs:           needViews(v.Needs, i18n.FromContext(r.Context())),
		NextOffers:      next,
		PresentChannels: PresentChannels,
	}, nil
}

// creditHistoryPage is the data of console_credit_history.html: the
// purpose form when History is nil, the history otherwise.
type creditHistoryPage struct {
	ClientID   int64
	GivenName  string
	FamilyName string
	Purposes   []Purpose
	Purpose    string
	History    *CreditHistory
	// Explanation is the summary in a sentence.
	Explanation string
	Form        formErrors
	// Score is the internal credit score with its factors; Timeline the
	// payments month by month as a chart.
	Score    CreditScoreView
	Timeline template.HTML
}

// Name is the client's name.
func (p creditHistoryPage) Name() string { return p.GivenName + " " + p.FamilyName }

func (h *Handler) showCreditHistory(w http.ResponseWriter, r *http.Request) {
	sc, id, ok := h.clientInScope(w, r, ReadScope)
	if !ok {
		return
	}
	raw := r.URL.Query().Get("purpose")
	purpose, err := ParsePurpose(raw)
	if err != nil {
		// A client out of reach is not found, whatever the purpose.
		given, family, nameErr := h.store.ClientName(r.Context(), sc, id)
		if nameErr != nil {
			h.fail(w, r, nameErr)
			return
		}
		h.render(w, r, http.StatusUnprocessableEntity, "console_credit_history", creditHistoryPage{
			ClientID: id, GivenName: given, FamilyName: family, Purposes: Purposes, Purpose: raw,
			Form: newFormErrors(r, err),
		})
		return
	}
	hist, err := h.store.CreditHistory(r.Context(), sc, id, purpose, web.RequestIDFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "console_credit_history", creditHistoryPage{
		ClientID: hist.ClientID, GivenName: hist.GivenName, FamilyName: hist.FamilyName,
		Purposes: Purposes, Purpose: string(purpose), History: hist,
		Explanation: explain(i18n.FromContext(r.Context()), hist.Summary),
		Score:       creditScore(i18n.FromContext(r.Context()), hist), Timeline: timelineChart(i18n.FromContext(r.Context()), hist),
	})
}

// saveInteraction logs a contact from the form on the client 360. A refused
// form shows the client 360 again with a message at each field at fault and
// the input kept.
func (h *Handler) saveInteraction(w http.ResponseWriter, r *http.Request) {
	sc, id, ok := h.clientInScope(w, r, WriteScope)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if !errors.As(err, &tooLarge) {
			err = ecrm.Errorf(ecrm.EINVALID, "console.error.invalid_input")
		}
		h.fail(w, r, err)
		return
	}
	in := InteractionInput{
		Channel:    r.PostForm.Get("channel"),
		Direction:  r.PostForm.Get("direction"),
		Subject:    r.PostForm.Get("subject"),
		Notes:      r.PostForm.Get("notes"),
		OccurredAt: r.PostForm.Get("occurred_at"),
	}
	contact, err := in.Validate(h.store.now(), h.store.loc)
	if err != nil {
		v, viewErr := h.store.Client360(r.Context(), sc, id, "", web.RequestIDFrom(r.Context()))
		if viewErr != nil {
			h.fail(w, r, viewErr)
			return
		}
		data, pageErr := h.clientPage(r, sc, v)
		if pageErr != nil {
			h.fail(w, r, pageErr)
			return
		}
		data.Contact, data.Form = in, newFormErrors(r, err)
		h.render(w, r, http.StatusUnprocessableEntity, "console_client", data)
		return
	}
	if _, err := h.store.LogInteraction(r.Context(), sc, id, contact); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/clients/"+strconv.FormatInt(id, 10)+"?logged=1#interactions", http.StatusSeeOther)
}

// ---------------------------------------------------------------------------
// JSON API

func (h *Handler) listClients(w http.ResponseWriter, r *http.Request) {
	sc, err := ReadScope(ecrm.PrincipalFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	result, err := h.store.Clients(r.Context(), sc, filterFrom(r.URL.Query()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, toClientPageJSON(result))
}

func (h *Handler) getClient(w http.ResponseWriter, r *http.Request) {
	sc, id, ok := h.clientInScope(w, r, ReadScope)
	if !ok {
		return
	}
	v, err := h.store.Client360(r.Context(), sc, id, r.URL.Query().Get("channel"), web.RequestIDFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := toClient360JSON(v)
	out.Needs = toNeedsJSON(v.Needs, i18n.FromContext(r.Context()))
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) getCreditHistory(w http.ResponseWriter, r *http.Request) {
	sc, id, ok := h.clientInScope(w, r, ReadScope)
	if !ok {
		return
	}
	purpose, err := ParsePurpose(r.URL.Query().Get("purpose"))
	if err != nil {
		if _, _, nameErr := h.store.ClientName(r.Context(), sc, id); nameErr != nil {
			err = nameErr
		}
		h.fail(w, r, err)
		return
	}
	hist, err := h.store.CreditHistory(r.Context(), sc, id, purpose, web.RequestIDFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, toCreditHistoryJSON(hist, explain(i18n.FromContext(r.Context()), hist.Summary)))
}

func (h *Handler) createInteraction(w http.ResponseWriter, r *http.Request) {
	sc, id, ok := h.clientInScope(w, r, WriteScope)
	if !ok {
		return
	}
	var in InteractionInput
	err := web.DecodeJSON(r, &in)
	var contact NewInteraction
	if err == nil {
		contact, err = in.Validate(h.store.now(), h.store.loc)
	}
	if err != nil {
		// A client out of reach is not found, whatever the body.
		if _, _, nameErr := h.store.ClientName(r.Context(), sc, id); nameErr != nil {
			err = nameErr
		}
		h.fail(w, r, err)
		return
	}
	saved, err := h.store.LogInteraction(r.Context(), sc, id, contact)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := ecrm.PrincipalFrom(r.Context())
	saved.StaffName = p.Name
	web.WriteJSON(w, http.StatusCreated, toInteractionJSON(*saved))
}

// ---------------------------------------------------------------------------
// Helpers

// clientID reads the {id} path parameter; anything but a positive integer
// names no client.
func clientID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	return id, err == nil && id > 0
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	h.pages.Render(w, r, status, name, page.View{Area: page.AreaConsole, Data: data})
}

// fail answers with a problem document for API callers and an error page
// for people. Application errors carry catalogue keys, translated here
// into the request's language.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	l := i18n.FromContext(r.Context())
	var appErr *ecrm.Error
	if errors.As(err, &appErr) {
		translated := *appErr
		translated.Message = l.T(appErr.Message)
		translated.Fields = nil
		for _, f := range appErr.Fields {
			translated.Fields = append(translated.Fields, ecrm.FieldError{Field: f.Field, Message: l.T(f.Message)})
		}
		err = &translated
	}
	status := web.ErrorStatus(err)
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", "Bearer")
	case http.StatusForbidden:
		if p := ecrm.PrincipalFrom(r.Context()); p != nil {
			web.Logger(r.Context()).Warn("console access denied", "kind", p.Kind, "staff_id", p.StaffID, "client_id", p.ClientID, "path", r.URL.Path)
		}
	}
	if web.WantsJSON(r) {
		web.Problem(w, r, err)
		return
	}
	status = web.Fail(w, r, err, "console page failed")
	detail := ""
	if appErr != nil {
		detail = ecrm.ErrorMessage(err)
	}
	h.pages.RenderError(w, r, status, "", detail, web.RequestIDFrom(r.Context()))
}

// formErrors are a refused form's messages in the reader's language, for
// the error summary and each field (the one kind every form uses).
type formErrors = page.FormErrors

func newFormErrors(r *http.Request, err error) formErrors {
	return page.NewFormErrors(i18n.FromContext(r.Context()), err)
}

// explain puts a delinquency summary in a sentence.
func explain(l *i18n.Localizer, d DelinquencySummary) string {
	switch {
	case d.ReportedMonths == 0:
		return l.T("console.credit.explain.none")
	case d.LateMonths == 0:
		return l.T("console.credit.explain.clean", d.ReportedMonths)
	}
	return l.T("console.credit.explain.late", d.LateMonths, d.ReportedMonths,
		statusPhrase(l, d.Worst36), monthLabel(l, *d.WorstMonth),
		statusPhrase(l, d.Worst12), statusPhrase(l, d.Worst24))
}

// statusPhrase names a status inside a sentence ("60 days late").
func statusPhrase(l *i18n.Localizer, s PaymentStatus) string {
	if s == StatusNone {
		return l.T("console.credit.phrase.none")
	}
	return l.T("console.credit.phrase." + string(s))
}

func monthLabel(l *i18n.Localizer, t time.Time) string {
	return l.T("date.month_short."+strconv.Itoa(int(t.Month()))) + " " + strconv.Itoa(t.Year())
}

// clientInScope resolves the caller's scope (read or write) and the client
// id of the route; when either fails it answers the request itself and
// returns ok == false.
func (h *Handler) clientInScope(w http.ResponseWriter, r *http.Request, scopeOf func(*ecrm.Principal) (Scope, error)) (Scope, int64, bool) {
	sc, err := scopeOf(ecrm.PrincipalFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return Scope{}, 0, false
	}
	id, ok := clientID(r)
	if !ok {
		h.fail(w, r, errNotFound)
		return Scope{}, 0, false
	}
	return sc, id, true
}
