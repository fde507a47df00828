package advisor

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/document"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/pipeline"
)

// The staff pages and API of the sales discipline: my tasks, a pipeline's
// board, a deal with its timeline, a new deal. Advisors work deals (their
// own and their book's clients'); compliance and admin read them.

// SetPipeline gives the console the pipeline store; without it the deal
// and task routes answer 404.
func (h *Handler) SetPipeline(p *pipeline.Store) { h.deals = p }

func (h *Handler) dealRoutes(r chi.Router) {
	read := func(fn dealHandler) http.HandlerFunc { return h.onDeals(false, fn) }
	work := func(fn dealHandler) http.HandlerFunc { return h.onDeals(true, fn) }
	r.Get("/console/tasks", read(h.showTasks))
	r.Get("/console/reports", h.showReports)
	r.Post("/console/tasks", work(h.addTaskForm))
	r.Post("/console/tasks/{id}/done", work(h.completeTaskForm))
	r.Get("/console/pipelines/{code}", read(h.showBoard))
	r.Get("/console/deals/new", work(h.showNewDeal))
	r.Post("/console/deals", work(h.createDealForm))
	r.Get("/console/deals/{id}", read(h.showDeal))
	r.Post("/console/deals/{id}/stage", work(h.moveDealForm))
	r.Post("/console/notifications/read", read(h.readNotifications))

	r.Get("/api/v1/tasks", read(h.apiTasks))
	r.Post("/api/v1/tasks", work(h.apiAddTask))
	r.Post("/api/v1/tasks/{id}/done", work(h.apiCompleteTask))
	r.Get("/api/v1/pipelines", read(h.apiPipelines))
	r.Get("/api/v1/pipelines/{code}/board", read(h.apiBoard))
	r.Post("/api/v1/deals", work(h.apiCreateDeal))
	r.Get("/api/v1/deals/{id}", read(h.apiDeal))
	r.Post("/api/v1/deals/{id}/stage", work(h.apiMoveDeal))
}

// dealHandler is a handler of the deal and task routes: it gets the
// caller as a viewer and the path's {id} (0 on routes without one).
type dealHandler func(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error

// onDeals adapts a dealHandler: 404 without pipelines; the caller as a
// reader (advisors their book, compliance and admin everything) or, for
// work, as an advisor; a path id that is not a number is 404; errors
// become the error page or a problem document.
func (h *Handler) onDeals(work bool, fn dealHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h.callDeals(w, r, work, fn); err != nil {
			h.fail(w, r, err)
		}
	}
}

func (h *Handler) callDeals(w http.ResponseWriter, r *http.Request, work bool, fn dealHandler) error {
	if h.deals == nil {
		return ecrm.Errorf(ecrm.ENOTFOUND, "console.error.not_found")
	}
	viewer := readViewer
	if work {
		viewer = writeViewer
	}
	v, err := viewer(r)
	if err != nil {
		return err
	}
	var id int64
	if chi.URLParam(r, "id") != "" {
		if id, err = pathID(r); err != nil {
			return err
		}
	}
	return fn(w, r, v, id)
}

// readViewer is who reads deals: advisors their book, the others all.
func readViewer(r *http.Request) (pipeline.Viewer, error) {
	sc, err := ReadScope(ecrm.PrincipalFrom(r.Context()))
	if err != nil {
		return pipeline.Viewer{}, err
	}
	return pipeline.Viewer{StaffID: sc.StaffID, All: !sc.Book}, nil
}

// writeViewer is who works deals: advisors only, in their book.
func writeViewer(r *http.Request) (pipeline.Viewer, error) {
	sc, err := WriteScope(ecrm.PrincipalFrom(r.Context()))
	if err != nil {
		return pipeline.Viewer{}, err
	}
	return pipeline.Viewer{StaffID: sc.StaffID}, nil
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, ecrm.Errorf(ecrm.ENOTFOUND, "console.error.not_found")
	}
	return id, nil
}

// tasksPage is console_tasks.html: the open tasks, overdue first, then
// today's, then later ones.
type tasksPage struct {
	Sections []taskSection
	// Shown and Total differ when there are more open tasks than a page
	// lists (the most urgent are shown).
	Shown, Total int
	Done, Added  bool
	Zone         *time.Location
	// TaskForm is the add-a-task form.
	TaskForm taskForm
}

// taskForm is the add-a-task form (task_form.partial.html): on my tasks,
// with an optional client; on a deal's page, for the deal.
type taskForm struct {
	Values url.Values // as typed when refused
	Form   formErrors
	DealID int64
	// Min is the earliest deadline the browser offers (now, in the
	// firm's zone); the server checks it anyway.
	Min string
}

// taskSection is "overdue", "today" or "later" with its tasks.
type taskSection struct {
	ID                               string
	HeadingKey, CaptionKey, EmptyKey string
	Tasks                            []pipeline.Task
}

func newTaskSection(id string) taskSection {
	return taskSection{ID: id, HeadingKey: "console.tasks." + id, CaptionKey: "console.tasks." + id + "_caption", EmptyKey: "console.tasks." + id + "_none"}
}

func (h *Handler) showTasks(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, _ int64) error {
	return h.renderTasks(w, r, v, http.StatusOK, url.Values{}, formErrors{})
}

func (h *Handler) renderTasks(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, status int, task url.Values, form formErrors) error {
	list, total, err := h.deals.MyTasks(r.Context(), v.StaffID)
	if err != nil {
		return err
	}
	now := h.store.now()
	y, m, d := now.In(h.store.loc).Date()
	endOfDay := time.Date(y, m, d+1, 0, 0, 0, 0, h.store.loc)
	data := tasksPage{Zone: h.store.loc, Done: r.URL.Query().Get("done") == "1", Added: r.URL.Query().Get("added") == "1",
		TaskForm: taskForm{Values: task, Form: form, Min: now.In(h.store.loc).Format("2006-01-02T15:04")},
		Sections: []taskSection{newTaskSection("overdue"), newTaskSection("today"), newTaskSection("later")}, Shown: len(list), Total: total}
	for _, t := range list {
		i := 2
		switch {
		case t.DueAt.Before(now):
			i = 0
		case t.DueAt.Before(endOfDay):
			i = 1
		}
		data.Sections[i].Tasks = append(data.Sections[i].Tasks, t)
	}
	h.render(w, r, status, "console_tasks", data)
	return nil
}

// taskInput reads a task from a form or JSON values.
func taskInput(get func(string) string) pipeline.TaskInput {
	id := func(name string) int64 {
		s := strings.TrimSpace(get(name))
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return -1 // refused as an unknown client or deal
		}
		return n
	}
	return pipeline.TaskInput{DealID: id("deal"), ClientID: id("client"), Title: get("title"), Due: get("due")}
}

// addTaskForm adds a task from my tasks or from a deal's page, and goes
// back there; a refused task is shown at its fields on the same page.
func (h *Handler) addTaskForm(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, _ int64) error {
	in := taskInput(r.PostFormValue)
	_, err := h.deals.AddTask(r.Context(), in, v)
	if ecrm.ErrorCode(err) == ecrm.EINVALID {
		if in.DealID > 0 && r.PostFormValue("from") == "deal" {
			return h.renderDeal(w, r, v, in.DealID, http.StatusUnprocessableEntity, newFormErrors(r, err), "", r.PostForm)
		}
		return h.renderTasks(w, r, v, http.StatusUnprocessableEntity, r.PostForm, newFormErrors(r, err))
	}
	if err != nil {
		return err
	}
	back := "/console/tasks?added=1"
	if in.DealID > 0 && r.PostFormValue("from") == "deal" {
		back = "/console/deals/" + strconv.FormatInt(in.DealID, 10) + "?added=1#deal-tasks"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

func (h *Handler) apiAddTask(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, _ int64) error {
	var body struct {
		Title    string `json:"title"`
		DueAt    string `json:"due_at"`
		DealID   int64  `json:"deal_id"`
		ClientID int64  `json:"client_id"`
	}
	if err := web.DecodeJSON(r, &body); err != nil {
		return err
	}
	in := pipeline.TaskInput{Title: body.Title, Due: body.DueAt, DealID: body.DealID, ClientID: body.ClientID}
	if body.DealID < 0 {
		in.DealID = -1
	}
	id, err := h.deals.AddTask(r.Context(), in, v)
	if err != nil {
		return err
	}
	list, _, err := h.deals.MyTasks(r.Context(), v.StaffID)
	if err != nil {
		return err
	}
	for _, t := range list {
		if t.ID == id {
			web.WriteJSON(w, http.StatusCreated, toTaskJSON(i18n.FromContext(r.Context()), t, h.store.now()))
			return nil
		}
	}
	web.WriteJSON(w, http.StatusCreated, struct {
		ID int64 `json:"id"`
	}{id}) // beyond the most urgent tasks the list holds
	return nil
}

func (h *Handler) completeTaskForm(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	if err := h.deals.CompleteTask(r.Context(), id, v); err != nil {
		return err
	}
	// Back where the button was: the deal's page or my tasks.
	back := "/console/tasks?done=1"
	if d := r.PostFormValue("deal"); d != "" {
		if _, err := strconv.ParseInt(d, 10, 64); err == nil {
			back = "/console/deals/" + d + "?done=1"
		}
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// boardPage is console_board.html.
type boardPage struct {
	Pipeline  *pipeline.Pipeline
	Pipelines []pipeline.Pipeline
	Columns   []pipeline.BoardColumn
	CanCreate bool
}

func (h *Handler) showBoard(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	p, columns, err := h.deals.Board(r.Context(), chi.URLParam(r, "code"), v)
	if err != nil {
		return err
	}
	all, err := h.deals.Pipelines(r.Context())
	if err != nil {
		return err
	}
	_, writeErr := writeViewer(r)
	h.render(w, r, http.StatusOK, "console_board", boardPage{Pipeline: p, Pipelines: all, Columns: columns, CanCreate: writeErr == nil})
	return nil
}

// dealPage is console_deal.html.
type dealPage struct {
	*pipeline.DealView
	// Documents are the deal's documents; Kinds the ones it can make.
	Documents    []pipeline.DocumentInfo
	Kinds        []string
	DocumentMade bool
	Sent         bool
	Zone         *time.Location
	CanWork      bool
	Moved        bool
	Done         bool
	Form         formErrors
	Reason       string
	// Added is true right after a task was added; TaskForm adds one.
	Added    bool
	TaskForm taskForm
	Now      time.Time
}

func (h *Handler) showDeal(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	return h.renderDeal(w, r, v, id, http.StatusOK, formErrors{ByField: map[string]string{}}, "", nil)
}

func (h *Handler) renderDeal(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64, status int, form formErrors, reason string, task url.Values) error {
	d, err := h.deals.Deal(r.Context(), id, v)
	if err != nil {
		return err
	}
	_, writeErr := writeViewer(r)
	q := r.URL.Query()
	docs, err := h.deals.DealDocuments(r.Context(), id, v)
	if err != nil {
		return err
	}
	h.render(w, r, status, "console_deal", dealPage{DealView: d, Documents: docs, Kinds: pipeline.DealDocumentKinds,
		DocumentMade: q.Get("document") == "1", Sent: q.Get("sent") == "1", Zone: h.store.loc, CanWork: writeErr == nil,
		Moved: q.Get("moved") == "1", Done: q.Get("done") == "1", Added: q.Get("added") == "1", Form: form, Reason: reason, Now: h.store.now(),
		TaskForm: taskForm{Values: task, Form: form, DealID: id, Min: h.store.now().In(h.store.loc).Format("2006-01-02T15:04")}})
	return nil
}

func (h *Handler) moveDealForm(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	reason := r.PostFormValue("reason")
	err := h.deals.MoveDeal(r.Context(), id, r.PostFormValue("stage"), reason, v)
	if ecrm.ErrorCode(err) == ecrm.EINVALID {
		return h.renderDeal(w, r, v, id, http.StatusUnprocessableEntity, newFormErrors(r, err), reason, nil)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/console/deals/"+strconv.FormatInt(id, 10)+"?moved=1", http.StatusSeeOther)
	return nil
}

// newDealPage is console_deal_new.html: the form, as typed when refused.
type newDealPage struct {
	Pipelines  []pipeline.Pipeline
	Sources    []string
	Currencies []string
	Values     url.Values
	Form       formErrors
	// ClientID and ClientName are the client the deal is for, when the
	// page was opened from her 360.
	ClientID   int64
	ClientName string
}

var dealCurrencies = []string{"RON", "EUR", "USD", "GBP", "CHF"}

func (h *Handler) showNewDeal(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, _ int64) error {
	return h.renderNewDeal(w, r, v, http.StatusOK, r.URL.Query(), formErrors{ByField: map[string]string{}})
}

func (h *Handler) renderNewDeal(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, status int, values url.Values, form formErrors) error {
	all, err := h.deals.Pipelines(r.Context())
	if err != nil {
		return err
	}
	data := newDealPage{Pipelines: all, Sources: pipeline.Sources, Currencies: dealCurrencies, Values: values, Form: form}
	if id, err := strconv.ParseInt(values.Get("client"), 10, 64); err == nil && id > 0 {
		// The client must be in the advisor's book: the page never names
		// anyone else's client.
		if given, family, err := h.store.ClientName(r.Context(), Scope{StaffID: v.StaffID, Book: true}, id); err == nil {
			data.ClientID, data.ClientName = id, given+" "+family
		}
	}
	h.render(w, r, status, "console_deal_new", data)
	return nil
}

// dealInput reads a deal from a form or JSON values; the amount is read
// in the reader's format.
func dealInput(l *i18n.Localizer, get func(string) string) pipeline.DealInput {
	client, _ := strconv.ParseInt(strings.TrimSpace(get("client")), 10, 64)
	amount := strings.TrimSpace(get("amount"))
	if d, ok := l.ParseAmount(amount); ok {
		amount = d.String()
	} else if amount != "" {
		amount = "not a number" // refused with the amount's message
	}
	return pipeline.DealInput{Pipeline: get("pipeline"), ClientID: client, Title: get("title"), Amount: amount,
		Currency: strings.TrimSpace(get("currency")), Source: get("source"), ExpectedCloseOn: strings.TrimSpace(get("expected_close_on"))}
}

func (h *Handler) createDealForm(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	in := dealInput(i18n.FromContext(r.Context()), r.PostFormValue)
	if in.Amount == "" {
		in.Currency = ""
	}
	id, err := h.createDeal(r, in, v)
	if ecrm.ErrorCode(err) == ecrm.EINVALID {
		return h.renderNewDeal(w, r, v, http.StatusUnprocessableEntity, r.PostForm, newFormErrors(r, err))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/console/deals/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// createDeal opens a deal for a client of the advisor's book only.
func (h *Handler) createDeal(r *http.Request, in pipeline.DealInput, v pipeline.Viewer) (int64, error) {
	if in.ClientID > 0 {
		if _, _, err := h.store.ClientName(r.Context(), Scope{StaffID: v.StaffID, Book: true}, in.ClientID); ecrm.ErrorCode(err) == ecrm.ENOTFOUND {
			in.ClientID = -1 // not in the book: refused as an unknown client
		} else if err != nil {
			return 0, err
		}
	}
	in.OwnerStaffID = v.StaffID
	return h.deals.CreateDeal(r.Context(), in, v.StaffID)
}

func (h *Handler) readNotifications(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	if err := h.deals.MarkNotificationsRead(r.Context(), v.StaffID); err != nil {
		return err
	}
	http.Redirect(w, r, "/console", http.StatusSeeOther)
	return nil
}

// ---------------------------------------------------------------------------
// JSON API

type taskJSON struct {
	ID         int64     `json:"id"`
	DealID     *int64    `json:"deal_id"`
	ClientID   *int64    `json:"client_id"`
	Title      string    `json:"title"`
	AssigneeID int64     `json:"assignee_id"`
	DueAt      time.Time `json:"due_at"`
	Overdue    bool      `json:"overdue"`
	Status     string    `json:"status"`
}

func toTaskJSON(l *i18n.Localizer, t pipeline.Task, now time.Time) taskJSON {
	j := taskJSON{ID: t.ID, Title: l.Text(t.Title), AssigneeID: t.AssigneeID, DueAt: t.DueAt, Overdue: t.Overdue(now), Status: t.Status}
	if t.DealID != 0 {
		j.DealID = &t.DealID
	}
	if t.ClientID != 0 {
		j.ClientID = &t.ClientID
	}
	return j
}

func (h *Handler) apiTasks(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	list, total, err := h.deals.MyTasks(r.Context(), v.StaffID)
	if err != nil {
		return err
	}
	l, now := i18n.FromContext(r.Context()), h.store.now()
	out := struct {
		Total int        `json:"total"`
		Tasks []taskJSON `json:"tasks"`
	}{Total: total, Tasks: []taskJSON{}}
	for _, t := range list {
		out.Tasks = append(out.Tasks, toTaskJSON(l, t, now))
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) apiCompleteTask(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	if err := h.deals.CompleteTask(r.Context(), id, v); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type stageJSON struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Outcome string `json:"outcome"`
}

type pipelineJSON struct {
	Code   string      `json:"code"`
	Name   string      `json:"name"`
	Stages []stageJSON `json:"stages"`
}

func (h *Handler) apiPipelines(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	all, err := h.deals.Pipelines(r.Context())
	if err != nil {
		return err
	}
	l := i18n.FromContext(r.Context())
	out := struct {
		Pipelines []pipelineJSON `json:"pipelines"`
	}{Pipelines: []pipelineJSON{}}
	for _, p := range all {
		j := pipelineJSON{Code: p.Code, Name: l.Text(p.Name), Stages: []stageJSON{}}
		for _, st := range p.Stages {
			j.Stages = append(j.Stages, stageJSON{Code: st.Code, Name: l.Text(st.Name), Outcome: st.Outcome})
		}
		out.Pipelines = append(out.Pipelines, j)
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

type dealJSON struct {
	ID              int64      `json:"id"`
	Pipeline        string     `json:"pipeline"`
	Stage           string     `json:"stage"`
	ClientID        int64      `json:"client_id"`
	Title           string     `json:"title"`
	Amount          *moneyJSON `json:"amount"`
	Source          string     `json:"source"`
	OwnerID         int64      `json:"owner_id"`
	ExpectedCloseOn *string    `json:"expected_close_on"`
	Status          string     `json:"status"`
	LostReason      *string    `json:"lost_reason"`
	CreatedAt       time.Time  `json:"created_at"`
	ClosedAt        *time.Time `json:"closed_at"`
}

func toDealJSON(d pipeline.Deal) dealJSON {
	j := dealJSON{ID: d.ID, Pipeline: d.PipelineCode, Stage: d.StageCode, ClientID: d.ClientID, Title: d.Title, Source: d.Source,
		OwnerID: d.OwnerStaffID, Status: d.Status, CreatedAt: d.CreatedAt, ClosedAt: d.ClosedAt}
	if d.Amount != nil {
		j.Amount = optionalMoneyJSON(d.Amount)
	}
	if d.ExpectedCloseOn != nil {
		s := d.ExpectedCloseOn.Format(time.DateOnly)
		j.ExpectedCloseOn = &s
	}
	if d.LostReason != "" {
		j.LostReason = &d.LostReason
	}
	return j
}

func (h *Handler) apiBoard(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	_, columns, err := h.deals.Board(r.Context(), chi.URLParam(r, "code"), v)
	if err != nil {
		return err
	}
	type columnJSON struct {
		Stage string     `json:"stage"`
		Deals []dealJSON `json:"deals"`
	}
	out := struct {
		Columns []columnJSON `json:"columns"`
	}{Columns: []columnJSON{}}
	for _, c := range columns {
		col := columnJSON{Stage: c.Code, Deals: []dealJSON{}}
		for _, d := range c.Deals {
			col.Deals = append(col.Deals, toDealJSON(d))
		}
		out.Columns = append(out.Columns, col)
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) apiDeal(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	d, err := h.deals.Deal(r.Context(), id, v)
	if err != nil {
		return err
	}
	l, now := i18n.FromContext(r.Context()), h.store.now()
	type eventJSON struct {
		Kind  string    `json:"kind"`
		From  string    `json:"from_stage,omitempty"`
		To    string    `json:"to_stage,omitempty"`
		Task  string    `json:"task,omitempty"`
		Staff string    `json:"staff,omitempty"`
		Note  string    `json:"note,omitempty"`
		At    time.Time `json:"at"`
	}
	out := struct {
		dealJSON
		Tasks  []taskJSON  `json:"tasks"`
		Events []eventJSON `json:"events"`
	}{dealJSON: toDealJSON(d.Deal), Tasks: []taskJSON{}, Events: []eventJSON{}}
	for _, t := range d.Tasks {
		out.Tasks = append(out.Tasks, toTaskJSON(l, t, now))
	}
	for _, e := range d.Events {
		out.Events = append(out.Events, eventJSON{Kind: e.Kind, From: l.Text(e.FromStage), To: l.Text(e.ToStage), Task: l.Text(e.TaskTitle),
			Staff: e.StaffName, Note: e.Note, At: e.At})
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) apiCreateDeal(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	var in struct {
		Pipeline string `json:"pipeline"`
		ClientID int64  `json:"client_id"`
		Title    string `json:"title"`
		Amount   *struct {
			Amount   string `json:"amount"`
			Currency string `json:"currency"`
		} `json:"amount"`
		Source          string `json:"source"`
		ExpectedCloseOn string `json:"expected_close_on"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	d := pipeline.DealInput{Pipeline: in.Pipeline, ClientID: in.ClientID, Title: in.Title, Source: in.Source, ExpectedCloseOn: in.ExpectedCloseOn}
	if in.Amount != nil {
		d.Amount, d.Currency = in.Amount.Amount, in.Amount.Currency
	}
	id, err := h.createDeal(r, d, v)
	if err != nil {
		return err
	}
	created, err := h.deals.Deal(r.Context(), id, v)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/deals/"+strconv.FormatInt(id, 10))
	web.WriteJSON(w, http.StatusCreated, toDealJSON(created.Deal))
	return nil
}

func (h *Handler) apiMoveDeal(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	var in struct {
		Stage  string `json:"stage"`
		Reason string `json:"reason"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := h.deals.MoveDeal(r.Context(), id, in.Stage, in.Reason, v); err != nil {
		return err
	}
	d, err := h.deals.Deal(r.Context(), id, v)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, toDealJSON(d.Deal))
	return nil
}

// SetDocuments gives the console the PDF documents, the firm's name and
// the IBAN payments go to.
func (h *Handler) SetDocuments(d *document.Renderer, firm, iban string) {
	h.documents, h.firm, h.firmIBAN = d, firm, iban
}

func (h *Handler) documentRoutes(r chi.Router) {
	r.Post("/console/deals/{id}/documents", h.onDeals(true, h.makeDocumentForm))
	r.Get("/console/documents/{id}", h.onDeals(false, h.downloadDocument))
	r.Post("/console/documents/{id}/send", h.onDeals(true, h.sendDocumentForm))

	r.Get("/api/v1/deals/{id}/documents", h.onDeals(false, h.apiDealDocuments))
	r.Post("/api/v1/deals/{id}/documents", h.onDeals(true, h.apiMakeDocument))
	r.Get("/api/v1/documents/{id}", h.onDeals(false, h.downloadDocument))
	r.Post("/api/v1/documents/{id}/send", h.onDeals(true, h.apiSendDocument))
}

const staffDocumentHref = "/api/v1/documents/"

func (h *Handler) apiDealDocuments(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	if _, err := h.deals.Deal(r.Context(), id, v); err != nil {
		return err // a deal out of reach is not found, not an empty list
	}
	docs, err := h.deals.DealDocuments(r.Context(), id, v)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, struct {
		Documents []pipeline.DocumentJSON `json:"documents"`
	}{pipeline.DocumentsJSON(docs, staffDocumentHref)})
	return nil
}

func (h *Handler) apiMakeDocument(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	if h.documents == nil {
		return ecrm.Errorf(ecrm.ENOTFOUND, "console.error.not_found")
	}
	var in struct {
		Kind     string `json:"kind"`
		Language string `json:"language"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	docID, err := h.deals.MakeDealDocument(r.Context(), h.documents, id, in.Kind, in.Language, h.firm, h.firmIBAN, v)
	if err != nil {
		return err
	}
	info, _, err := h.deals.DealDocument(r.Context(), docID, v)
	if err != nil {
		return err
	}
	w.Header().Set("Location", staffDocumentHref+strconv.FormatInt(docID, 10))
	web.WriteJSON(w, http.StatusCreated, info.JSON(staffDocumentHref))
	return nil
}

func (h *Handler) apiSendDocument(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	if err := h.deals.SendDocument(r.Context(), id, v); err != nil {
		return err
	}
	info, _, err := h.deals.DealDocument(r.Context(), id, v)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, info.JSON(staffDocumentHref))
	return nil
}

func (h *Handler) makeDocumentForm(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	if h.documents == nil {
		return ecrm.Errorf(ecrm.ENOTFOUND, "console.error.not_found")
	}
	_, err := h.deals.MakeDealDocument(r.Context(), h.documents, id, r.PostFormValue("kind"), r.PostFormValue("language"), h.firm, h.firmIBAN, v)
	if ecrm.ErrorCode(err) == ecrm.EINVALID {
		return h.renderDeal(w, r, v, id, http.StatusUnprocessableEntity, newFormErrors(r, err), "", nil)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/console/deals/"+strconv.FormatInt(id, 10)+"?document=1#documents", http.StatusSeeOther)
	return nil
}

func (h *Handler) downloadDocument(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	info, pdf, err := h.deals.DealDocument(r.Context(), id, v)
	if err != nil {
		return err
	}
	writePDF(w, info, pdf)
	return nil
}

// writePDF sends a kept document as a download named by kind and number.
func writePDF(w http.ResponseWriter, info pipeline.DocumentInfo, pdf []byte) {
	hdr := w.Header()
	hdr.Set("Content-Type", "application/pdf")
	hdr.Set("Content-Disposition", `attachment; filename="`+info.Kind+"-"+strconv.FormatInt(info.ID, 10)+`.pdf"`)
	hdr.Set("Cache-Control", "no-store")
	w.Write(pdf)
}

func (h *Handler) sendDocumentForm(w http.ResponseWriter, r *http.Request, v pipeline.Viewer, id int64) error {
	if err := h.deals.SendDocument(r.Context(), id, v); err != nil {
		return err
	}
	info, _, err := h.deals.DealDocument(r.Context(), id, v)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/console/deals/"+strconv.FormatInt(info.DealID, 10)+"?sent=1#documents", http.StatusSeeOther)
	return nil
}
