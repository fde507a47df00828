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
	r.Get("/portal/messages", h.page(h.showRequests))
	r.Get("/portal/messages/new", h.page(h.showNewRequest))
	r.Post("/portal/messages", h.uploads(h.page(h.createRequestForm)))
	r.Get("/portal/messages/{id}", h.page(h.showRequest))
	r.Post("/portal/messages/{id}/replies", h.uploads(h.page(h.replyForm)))
	r.Post("/portal/messages/{id}/close", h.page(h.closeRequestForm))
	r.Get("/portal/messages/{id}/attachments/{file}", h.page(h.downloadAttachment))

	api := func(fn clientHandler) http.HandlerFunc { return h.api(h.translated(fn)) }
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

func (h *Handler) serviceDesk() (*servicedesk.Desk, error) {
	if h.desk == nil {
		return nil, notFound()
	}
	return h.desk, nil
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

func (h *Handler) showRequests(w http.ResponseWriter, r *http.Request, clientID int64) error {
	desk, err := h.serviceDesk()
	if err != nil {
		return err
	}
	list, err := desk.ClientRequests(r.Context(), clientID)
	if err != nil {
		return err
	}
	questions, err := h.offers.Messages(r.Context(), clientID)
	if err != nil {
		return err
	}
	unread, err := h.offers.UnreadAnswers(r.Context(), clientID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, http.StatusOK, "portal_requests", requestsPage{Requests: list, OfferQuestions: len(questions),
		UnreadOfferAnswers: unread, Zone: desk.Zone(), Now: time.Now()})
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

func (h *Handler) showNewRequest(w http.ResponseWriter, r *http.Request, clientID int64) error {
	desk, err := h.serviceDesk()
	if err != nil {
		return err
	}
	values := url.Values{"kind": {r.URL.Query().Get("kind")}}
	h.pages.Render(w, r, http.StatusOK, "portal_request_new", h.requestForm(r, desk, values, nil))
	return nil
}

func (h *Handler) createRequestForm(w http.ResponseWriter, r *http.Request, clientID int64) error {
	desk, err := h.serviceDesk()
	if err != nil {
		return err
	}
	s, err := desk.Limits().ReadSubmission(r)
	if err == nil {
		var id int64
		id, err = desk.Open(r.Context(), clientID, servicedesk.NewRequest{Kind: s.Kind, Subject: s.Subject, Body: s.Body, Files: s.Files, IdempotencyKey: s.Key})
		if err == nil {
			http.Redirect(w, r, fmt.Sprintf("/portal/messages/%d?sent=1", id), http.StatusSeeOther)
			return nil
		}
	}
	if ecrm.ErrorCode(err) != ecrm.EINVALID {
		return err
	}
	err = desk.TranslateError(i18n.FromContext(r.Context()), err)
	values := url.Values{"kind": {s.Kind}, "subject": {s.Subject}, "body": {s.Body}, "key": {s.Key}}
	h.pages.Render(w, r, http.StatusUnprocessableEntity, "portal_request_new", h.requestForm(r, desk, values, err))
	return nil
}

type requestPage struct {
	*servicedesk.Thread
	Reply  requestForm
	Notice string
	Zone   *time.Location
}

func (h *Handler) showRequest(w http.ResponseWriter, r *http.Request, clientID int64) error {
	return h.renderRequest(w, r, clientID, http.StatusOK, nil, nil)
}

func (h *Handler) renderRequest(w http.ResponseWriter, r *http.Request, clientID int64, status int, values url.Values, formErr error) error {
	desk, err := h.serviceDesk()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	t, err := desk.ClientThread(r.Context(), clientID, id)
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
	h.pages.Render(w, r, status, "portal_request", requestPage{Thread: t, Reply: h.requestForm(r, desk, values, formErr), Notice: notice, Zone: desk.Zone()})
	return nil
}

func (h *Handler) replyForm(w http.ResponseWriter, r *http.Request, clientID int64) error {
	desk, err := h.serviceDesk()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	s, err := desk.Limits().ReadSubmission(r)
	if err == nil {
		if err = desk.ClientReply(r.Context(), clientID, id, s.Body, s.Files, s.Key); err == nil {
			http.Redirect(w, r, fmt.Sprintf("/portal/messages/%d?sent=1", id), http.StatusSeeOther)
			return nil
		}
	}
	if ecrm.ErrorCode(err) != ecrm.EINVALID {
		return err
	}
	err = desk.TranslateError(i18n.FromContext(r.Context()), err)
	return h.renderRequest(w, r, clientID, http.StatusUnprocessableEntity, url.Values{"body": {s.Body}, "key": {s.Key}}, err)
}

func (h *Handler) closeRequestForm(w http.ResponseWriter, r *http.Request, clientID int64) error {
	desk, err := h.serviceDesk()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := desk.ClientClose(r.Context(), clientID, id); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/portal/messages/%d?closed=1", id), http.StatusSeeOther)
	return nil
}

func (h *Handler) downloadAttachment(w http.ResponseWriter, r *http.Request, clientID int64) error {
	desk, err := h.serviceDesk()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	fileID, err := pathID(r, "file")
	if err != nil {
		return err
	}
	f, err := desk.ClientFile(r.Context(), clientID, id, fileID)
	if err != nil {
		return err
	}
	servicedesk.ServeFile(w, f)
	return nil
}

// JSON API ------------------------------------------------------------------

func (h *Handler) listRequests(w http.ResponseWriter, r *http.Request, clientID int64) error {
	desk, err := h.serviceDesk()
	if err != nil {
		return err
	}
	list, err := desk.ClientRequests(r.Context(), clientID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, struct {
		Requests []servicedesk.RequestJSON `json:"requests"`
	}{servicedesk.ListJSON(list, false)})
	return nil
}

func (h *Handler) writeThread(w http.ResponseWriter, r *http.Request, desk *servicedesk.Desk, clientID, id int64, status int) error {
	t, err := desk.ClientThread(r.Context(), clientID, id)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	if status == http.StatusCreated {
		w.Header().Set("Location", fmt.Sprintf("/api/v1/me/service-requests/%d", id))
	}
	web.WriteJSON(w, status, t.JSON(false))
	return nil
}

func (h *Handler) getRequest(w http.ResponseWriter, r *http.Request, clientID int64) error {
	desk, err := h.serviceDesk()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return h.writeThread(w, r, desk, clientID, id, http.StatusOK)
}

func (h *Handler) createRequest(w http.ResponseWriter, r *http.Request, clientID int64) error {
	desk, err := h.serviceDesk()
	if err != nil {
		return err
	}
	s, err := desk.Limits().ReadSubmission(r)
	if err != nil {
		return err
	}
	id, err := desk.Open(r.Context(), clientID, servicedesk.NewRequest{Kind: s.Kind, Subject: s.Subject, Body: s.Body, Files: s.Files, IdempotencyKey: s.Key})
	if err != nil {
		return err
	}
	return h.writeThread(w, r, desk, clientID, id, http.StatusCreated)
}

func (h *Handler) createReply(w http.ResponseWriter, r *http.Request, clientID int64) error {
	desk, err := h.serviceDesk()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	s, err := desk.Limits().ReadSubmission(r)
	if err == nil {
		err = desk.ClientReply(r.Context(), clientID, id, s.Body, s.Files, s.Key)
	}
	if err != nil {
		return err
	}
	return h.writeThread(w, r, desk, clientID, id, http.StatusOK)
}

func (h *Handler) closeRequest(w http.ResponseWriter, r *http.Request, clientID int64) error {
	desk, err := h.serviceDesk()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := desk.ClientClose(r.Context(), clientID, id); err != nil {
		return err
	}
	return h.writeThread(w, r, desk, clientID, id, http.StatusOK)
}
