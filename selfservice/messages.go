package selfservice

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/servicedesk"
)

// The client's secure messages: requests to the firm and their threads,
// on the portal's "Messages" page, beside her questions about offers.

// SetServiceDesk connects the portal to the service centre.
func (h *Handler) SetServiceDesk(d *servicedesk.Desk) { h.desk = d }

func (h *Handler) messageRoutes(r chi.Router) {
	page := func(fn deskHandler) http.HandlerFunc { return h.page(h.onDesk(fn)) }
	r.Get("/portal/messages", page(h.showRequests))
	r.Get("/portal/messages/new", page(h.showNewRequest))
	r.Post("/portal/messages", h.uploads(page(h.createRequestForm)))
	r.Get("/portal/messages/{id}", page(h.showRequest))
	r.Post("/portal/messages/{id}/replies", h.uploads(page(h.replyForm)))
	r.Post("/portal/messages/{id}/close", page(h.closeRequestForm))
	r.Get("/portal/messages/{id}/attachments/{file}", page(h.downloadAttachment))

	api := func(fn deskHandler) http.HandlerFunc { return h.api(h.translated(h.onDesk(fn))) }
	r.Get("/api/v1/me/service-requests", api(h.listRequests))
	r.Post("/api/v1/me/service-requests", h.uploads(api(h.createRequest)))
	r.Get("/api/v1/me/service-requests/{id}", api(h.getRequest))
	r.Post("/api/v1/me/service-requests/{id}/messages", h.uploads(api(h.createReply)))
	r.Post("/api/v1/me/service-requests/{id}/close", api(h.closeRequest))
	r.Get("/api/v1/me/service-requests/{id}/attachments/{file}", api(h.downloadAttachment))
}

// translated puts the desk's errors in the caller's language: the API's
// problem documents name the field and, for a refused file, the limit.
func (h *Handler) translated(fn clientHandler) clientHandler {
	return func(w http.ResponseWriter, r *http.Request, clientID int64) error {
		err := fn(w, r, clientID)
		if err != nil && h.desk != nil {
			return h.desk.TranslateError(i18n.FromContext(r.Context()), err)
		}
		return err
	}
}

// uploads lets a route take a body as large as its attachments may be.
func (h *Handler) uploads(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.desk != nil {
			web.AllowBody(h.desk.Limits().RequestBytes())(next).ServeHTTP(w, r)
			return
		}
		next(w, r)
	}
}

// deskCall is a call on the client's messages: the desk, the client and,
// on a request's routes, the request's id.
type deskCall struct {
	desk     *servicedesk.Desk
	clientID int64
	id       int64
}

// deskHandler is a page or API handler of the client's messages.
type deskHandler func(w http.ResponseWriter, r *http.Request, c deskCall) error

// onDesk adapts a deskHandler: no service desk wired is 404, and a
// request's id that is not a number is 404.
func (h *Handler) onDesk(fn deskHandler) clientHandler {
	return func(w http.ResponseWriter, r *http.Request, clientID int64) error {
		if h.desk == nil {
			return notFound()
		}
		c := deskCall{desk: h.desk, clientID: clientID}
		if chi.URLParam(r, "id") != "" {
			id, err := pathID(r, "id")
			if err != nil {
				return err
			}
			c.id = id
		}
		return fn(w, r, c)
	}
}

type requestsPage struct {
	Requests []servicedesk.Request
	// OfferQuestions and UnreadOfferAnswers lead to the questions about
	// offers (the compliance package's page).
	OfferQuestions     int
	UnreadOfferAnswers int
	Zone               *time.Location
	Now                time.Time
}

func (h *Handler) showRequests(w http.ResponseWriter, r *http.Request, c deskCall) error {
	list, err := c.desk.ClientRequests(r.Context(), c.clientID)
	if err != nil {
		return err
	}
	questions, err := h.offers.Messages(r.Context(), c.clientID)
	if err != nil {
		return err
	}
	unread, err := h.offers.UnreadAnswers(r.Context(), c.clientID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, http.StatusOK, "portal_requests", requestsPage{Requests: list, OfferQuestions: len(questions),
		UnreadOfferAnswers: unread, Zone: c.desk.Zone(), Now: time.Now()})
	return nil
}

// requestForm is the data of the new-request form and of a thread's
// reply form.
type requestForm struct {
	Fields []page.FormField
	Form   page.FormErrors
	// Key is the form's idempotency key: sending the same form twice
	// (a double click, a retry after a lost answer) sends one message.
	Key string
	// AttachmentError is the message at the file input.
	AttachmentError string
	AttachmentHint  string
	Accept          string
	ComplaintDays   int
}

func (h *Handler) requestForm(r *http.Request, desk *servicedesk.Desk, values url.Values, err error) requestForm {
	l := i18n.FromContext(r.Context())
	fe := page.NewFormErrors(l, err)
	kinds := []page.FormOption{{Value: "", LabelKey: "portal.request.choose"}}
	for _, k := range servicedesk.Kinds {
		kinds = append(kinds, page.FormOption{Value: k, LabelKey: "servicedesk.kind." + k, Selected: values.Get("kind") == k})
	}
	key := values.Get("key")
	if key == "" {
		key = page.NewFormKey()
	}
	return requestForm{
		Fields: []page.FormField{
			{Name: "kind", ID: "request-kind", LabelKey: "portal.request.field.kind", Options: kinds, Error: fe.ByField["kind"]},
			{Name: "subject", ID: "request-subject", LabelKey: "portal.request.field.subject", Value: values.Get("subject"),
				MaxLength: servicedesk.MaxSubject, Error: fe.ByField["subject"]},
			{Name: "body", ID: "request-body", LabelKey: "portal.request.field.body", Value: values.Get("body"), Rows: 8,
				MaxLength: servicedesk.MaxBody, Error: fe.ByField["body"]},
		},
		Form: fe, Key: key, AttachmentError: fe.ByField["attachments"], AttachmentHint: desk.AttachmentHint(l),
		Accept: desk.Limits().Accept(), ComplaintDays: desk.ComplaintDays(),
	}
}

func (h *Handler) showNewRequest(w http.ResponseWriter, r *http.Request, c deskCall) error {
	values := url.Values{"kind": {r.URL.Query().Get("kind")}}
	h.pages.Render(w, r, http.StatusOK, "portal_request_new", h.requestForm(r, c.desk, values, nil))
	return nil
}

func (h *Handler) createRequestForm(w http.ResponseWriter, r *http.Request, c deskCall) error {
	s, err := c.desk.Limits().ReadSubmission(r)
	if err == nil {
		var id int64
		id, err = c.desk.Open(r.Context(), c.clientID, servicedesk.NewRequest{Kind: s.Kind, Subject: s.Subject, Body: s.Body, Files: s.Files, IdempotencyKey: s.Key})
		if err == nil {
			http.Redirect(w, r, fmt.Sprintf("/portal/messages/%d?sent=1", id), http.StatusSeeOther)
			return nil
		}
	}
	if err = servicedesk.FormTooLarge(err); ecrm.ErrorCode(err) != ecrm.EINVALID {
		return err
	}
	err = c.desk.TranslateError(i18n.FromContext(r.Context()), err)
	values := url.Values{"kind": {s.Kind}, "subject": {s.Subject}, "body": {s.Body}, "key": {s.Key}}
	h.pages.Render(w, r, http.StatusUnprocessableEntity, "portal_request_new", h.requestForm(r, c.desk, values, err))
	return nil
}

type requestPage struct {
	*servicedesk.Thread
	Reply  requestForm
	Notice string
	Zone   *time.Location
}

func (h *Handler) showRequest(w http.ResponseWriter, r *http.Request, c deskCall) error {
	return h.renderRequest(w, r, c, http.StatusOK, nil, nil)
}

func (h *Handler) renderRequest(w http.ResponseWriter, r *http.Request, c deskCall, status int, values url.Values, formErr error) error {
	t, err := c.desk.ClientThread(r.Context(), c.clientID, c.id)
	if err != nil {
		return err
	}
	notice := ""
	switch q := r.URL.Query(); {
	case q.Get("sent") == "1":
		notice = "portal.request.sent"
	case q.Get("closed") == "1":
		notice = "portal.request.closed_notice"
	}
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, status, "portal_request", requestPage{Thread: t, Reply: h.requestForm(r, c.desk, values, formErr), Notice: notice, Zone: c.desk.Zone()})
	return nil
}

func (h *Handler) replyForm(w http.ResponseWriter, r *http.Request, c deskCall) error {
	s, err := c.desk.Limits().ReadSubmission(r)
	if err == nil {
		if err = c.desk.ClientReply(r.Context(), c.clientID, c.id, s.Body, s.Files, s.Key); err == nil {
			http.Redirect(w, r, fmt.Sprintf("/portal/messages/%d?sent=1", c.id), http.StatusSeeOther)
			return nil
		}
	}
	if err = servicedesk.FormTooLarge(err); ecrm.ErrorCode(err) != ecrm.EINVALID {
		return err
	}
	err = c.desk.TranslateError(i18n.FromContext(r.Context()), err)
	return h.renderRequest(w, r, c, http.StatusUnprocessableEntity, url.Values{"body": {s.Body}, "key": {s.Key}}, err)
}

func (h *Handler) closeRequestForm(w http.ResponseWriter, r *http.Request, c deskCall) error {
	if err := c.desk.ClientClose(r.Context(), c.clientID, c.id); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/portal/messages/%d?closed=1", c.id), http.StatusSeeOther)
	return nil
}

func (h *Handler) downloadAttachment(w http.ResponseWriter, r *http.Request, c deskCall) error {
	fileID, err := pathID(r, "file")
	if err != nil {
		return err
	}
	f, err := c.desk.ClientFile(r.Context(), c.clientID, c.id, fileID)
	if err != nil {
		return err
	}
	servicedesk.ServeFile(w, f)
	return nil
}

// JSON API ------------------------------------------------------------------

func (h *Handler) listRequests(w http.ResponseWriter, r *http.Request, c deskCall) error {
	list, err := c.desk.ClientRequests(r.Context(), c.clientID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, struct {
		Requests []servicedesk.RequestJSON `json:"requests"`
	}{servicedesk.ListJSON(list, false)})
	return nil
}

func (h *Handler) writeThread(w http.ResponseWriter, r *http.Request, c deskCall, status int) error {
	t, err := c.desk.ClientThread(r.Context(), c.clientID, c.id)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	if status == http.StatusCreated {
		w.Header().Set("Location", fmt.Sprintf("/api/v1/me/service-requests/%d", c.id))
	}
	web.WriteJSON(w, status, t.JSON(false))
	return nil
}

func (h *Handler) getRequest(w http.ResponseWriter, r *http.Request, c deskCall) error {
	return h.writeThread(w, r, c, http.StatusOK)
}

func (h *Handler) createRequest(w http.ResponseWriter, r *http.Request, c deskCall) error {
	s, err := c.desk.Limits().ReadSubmission(r)
	if err != nil {
		return err
	}
	if c.id, err = c.desk.Open(r.Context(), c.clientID, servicedesk.NewRequest{Kind: s.Kind, Subject: s.Subject, Body: s.Body, Files: s.Files, IdempotencyKey: s.Key}); err != nil {
		return err
	}
	return h.writeThread(w, r, c, http.StatusCreated)
}

func (h *Handler) createReply(w http.ResponseWriter, r *http.Request, c deskCall) error {
	s, err := c.desk.Limits().ReadSubmission(r)
	if err == nil {
		err = c.desk.ClientReply(r.Context(), c.clientID, c.id, s.Body, s.Files, s.Key)
	}
	if err != nil {
		return err
	}
	return h.writeThread(w, r, c, http.StatusOK)
}

func (h *Handler) closeRequest(w http.ResponseWriter, r *http.Request, c deskCall) error {
	if err := c.desk.ClientClose(r.Context(), c.clientID, c.id); err != nil {
		return err
	}
	return h.writeThread(w, r, c, http.StatusOK)
}
