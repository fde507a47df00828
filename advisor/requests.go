package advisor

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/servicedesk"
)

// The staff side of the service centre: the queue of requests, a thread
// with the client's holdings and history beside it, the answer, and the
// compliance officer's view of every complaint.

// SetServiceDesk gives the console the service centre; without it the
// request routes answer 404.
func (h *Handler) SetServiceDesk(d *servicedesk.Desk) { h.desk = d }

func (h *Handler) requestRoutes(r chi.Router) {
	r.Get("/console/requests", h.deskPage(h.showQueue))
	r.Get("/console/requests/{id}", h.deskPage(h.showThread))
	r.Post("/console/requests/{id}/replies", h.uploads(h.deskPage(h.replyForm)))
	r.Post("/console/requests/{id}/{action:take|handover|close|reopen}", h.deskPage(h.actOnRequest))
	r.Get("/console/requests/{id}/attachments/{file}", h.deskPage(h.downloadRequestFile))
	r.Get("/console/complaints", h.deskPage(h.showComplaints))

	r.Get("/api/v1/service-requests", h.deskPage(h.apiQueue))
	r.Get("/api/v1/service-requests/{id}", h.deskPage(h.apiThread))
	r.Post("/api/v1/service-requests/{id}/messages", h.uploads(h.deskPage(h.apiReply)))
	r.Get("/api/v1/complaints", h.deskPage(h.apiComplaints))
}

// deskHandler is a request page or API handler for a member of staff.
type deskHandler func(w http.ResponseWriter, r *http.Request, desk *servicedesk.Desk, v servicedesk.Viewer) error

// deskPage adapts a deskHandler: staff with a console role only, errors as
// an error page or a problem in the reader's language.
func (h *Handler) deskPage(fn deskHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var err error = ecrm.Errorf(ecrm.ENOTFOUND, "console.error.not_found")
		if h.desk != nil {
			var sc Scope
			if sc, err = ReadScope(ecrm.PrincipalFrom(r.Context())); err == nil {
				v := servicedesk.Viewer{StaffID: sc.StaffID, Compliance: ecrm.PrincipalFrom(r.Context()).HasRole(ecrm.RoleCompliance)}
				err = fn(w, r, h.desk, v)
			}
		}
		if err != nil {
			if h.desk != nil {
				err = h.desk.TranslateError(i18n.FromContext(r.Context()), err)
			}
			h.fail(w, r, err)
		}
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

type queuePage struct {
	Requests []servicedesk.Request
	Filter   page.FormField
	Zone     *time.Location
	Now      time.Time
}

func (h *Handler) showQueue(w http.ResponseWriter, r *http.Request, desk *servicedesk.Desk, v servicedesk.Viewer) error {
	status := r.URL.Query().Get("status")
	list, err := desk.Queue(r.Context(), v, status)
	if err != nil {
		return err
	}
	var options []page.FormOption
	for _, s := range []string{servicedesk.QueueOpen, servicedesk.QueueClosed, servicedesk.QueueAll} {
		options = append(options, page.FormOption{Value: s, LabelKey: "console.requests.filter." + cmpOr(s, "open"), Selected: s == status})
	}
	w.Header().Set("Cache-Control", "no-store")
	filter := page.FormField{Name: "status", ID: "requests-status", LabelKey: "console.requests.filter.label", Options: options}
	h.render(w, r, http.StatusOK, "console_requests", queuePage{Requests: list, Filter: filter, Zone: desk.Zone(), Now: h.store.now()})
	return nil
}

func cmpOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

type threadPage struct {
	*servicedesk.Thread
	Client    *Client360
	Teams     []servicedesk.Team
	Fields    []page.FormField
	Form      page.FormErrors
	Key       string
	FileError string
	FileHint  string
	Accept    string
	Notice    string
	Zone      *time.Location
	Now       time.Time
}

func (h *Handler) showThread(w http.ResponseWriter, r *http.Request, desk *servicedesk.Desk, v servicedesk.Viewer) error {
	return h.renderThread(w, r, desk, v, http.StatusOK, nil, nil)
}

func (h *Handler) renderThread(w http.ResponseWriter, r *http.Request, desk *servicedesk.Desk, v servicedesk.Viewer, status int, values url.Values, formErr error) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := desk.StaffThread(r.Context(), v, id)
	if err != nil {
		return err
	}
	// The client beside the thread: whoever may work the request sees the
	// holdings and history it is about, logged as read for this request.
	client, err := h.store.ClientForRequest(r.Context(), v.StaffID, t.ClientID, t.Kind == "complaint", web.RequestIDFrom(r.Context()))
	if err != nil {
		return err
	}
	teams, err := desk.Teams(r.Context())
	if err != nil {
		return err
	}
	l := i18n.FromContext(r.Context())
	fe := page.NewFormErrors(l, formErr)
	key := values.Get("key")
	if key == "" {
		key = page.NewFormKey()
	}
	notice := ""
	if n := r.URL.Query().Get("done"); n != "" {
		notice = "console.request.done." + n
	}
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, status, "console_request", threadPage{
		Thread: t, Client: client, Teams: teams, Form: fe, Key: key, Notice: notice,
		Fields: []page.FormField{{Name: "body", ID: "request-body", LabelKey: "console.request.answer", Value: values.Get("body"), Rows: 8,
			MaxLength: servicedesk.MaxBody, Error: fe.ByField["body"]}},
		FileError: fe.ByField["attachments"], FileHint: desk.AttachmentHint(l), Accept: desk.Limits().Accept(),
		Zone: desk.Zone(), Now: h.store.now(),
	})
	return nil
}

func (h *Handler) replyForm(w http.ResponseWriter, r *http.Request, desk *servicedesk.Desk, v servicedesk.Viewer) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	s, err := desk.Limits().ReadSubmission(r)
	if err == nil {
		if err = desk.StaffReply(r.Context(), v, id, servicedesk.Reply{Body: s.Body, Files: s.Files, Close: s.Close, IdempotencyKey: s.Key}); err == nil {
			http.Redirect(w, r, fmt.Sprintf("/console/requests/%d?done=answered", id), http.StatusSeeOther)
			return nil
		}
	}
	if err = servicedesk.FormTooLarge(err); ecrm.ErrorCode(err) != ecrm.EINVALID {
		return err
	}
	err = desk.TranslateError(i18n.FromContext(r.Context()), err)
	return h.renderThread(w, r, desk, v, http.StatusUnprocessableEntity, url.Values{"body": {s.Body}, "key": {s.Key}}, err)
}

func (h *Handler) actOnRequest(w http.ResponseWriter, r *http.Request, desk *servicedesk.Desk, v servicedesk.Viewer) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	action := chi.URLParam(r, "action")
	switch action {
	case "take":
		err = desk.Take(r.Context(), v, id)
	case "handover":
		err = desk.SendToTeam(r.Context(), v, id, r.PostFormValue("team"))
	case "close":
		err = desk.Close(r.Context(), v, id)
	case "reopen":
		err = desk.Reopen(r.Context(), v, id)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/console/requests/%d?done=%s", id, action), http.StatusSeeOther)
	return nil
}

func (h *Handler) downloadRequestFile(w http.ResponseWriter, r *http.Request, desk *servicedesk.Desk, v servicedesk.Viewer) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fileID, err := strconv.ParseInt(chi.URLParam(r, "file"), 10, 64)
	if err != nil || fileID <= 0 {
		return ecrm.Errorf(ecrm.ENOTFOUND, "console.error.not_found")
	}
	f, err := desk.StaffFile(r.Context(), v, id, fileID)
	if err != nil {
		return err
	}
	servicedesk.ServeFile(w, f)
	return nil
}

type complaintsPage struct {
	Complaints []servicedesk.Request
	Summary    servicedesk.ComplaintSummary
	Days       int
	Zone       *time.Location
	Now        time.Time
}

func (h *Handler) showComplaints(w http.ResponseWriter, r *http.Request, desk *servicedesk.Desk, v servicedesk.Viewer) error {
	list, sum, err := desk.Complaints(r.Context(), v)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, http.StatusOK, "console_complaints", complaintsPage{Complaints: list, Summary: sum, Days: desk.ComplaintDays(), Zone: desk.Zone(), Now: h.store.now()})
	return nil
}

// JSON API ------------------------------------------------------------------

func (h *Handler) apiQueue(w http.ResponseWriter, r *http.Request, desk *servicedesk.Desk, v servicedesk.Viewer) error {
	list, err := desk.Queue(r.Context(), v, r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, struct {
		Requests []servicedesk.RequestJSON `json:"requests"`
	}{servicedesk.ListJSON(list, true)})
	return nil
}

func (h *Handler) apiThread(w http.ResponseWriter, r *http.Request, desk *servicedesk.Desk, v servicedesk.Viewer) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := desk.StaffThread(r.Context(), v, id)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, t.JSON(true))
	return nil
}

func (h *Handler) apiReply(w http.ResponseWriter, r *http.Request, desk *servicedesk.Desk, v servicedesk.Viewer) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	s, err := desk.Limits().ReadSubmission(r)
	if err != nil {
		return err
	}
	if err := desk.StaffReply(r.Context(), v, id, servicedesk.Reply{Body: s.Body, Files: s.Files, Close: s.Close, IdempotencyKey: s.Key}); err != nil {
		return err
	}
	return h.apiThread(w, r, desk, v)
}

func (h *Handler) apiComplaints(w http.ResponseWriter, r *http.Request, desk *servicedesk.Desk, v servicedesk.Viewer) error {
	list, sum, err := desk.Complaints(r.Context(), v)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, struct {
		Open           int                       `json:"open"`
		Overdue        int                       `json:"overdue"`
		AnsweredInTime int                       `json:"answered_in_time"`
		AnsweredLate   int                       `json:"answered_late"`
		Complaints     []servicedesk.RequestJSON `json:"complaints"`
	}{sum.Open, sum.Overdue, sum.AnsweredInTime, sum.AnsweredLate, servicedesk.ListJSON(list, true)})
	return nil
}
