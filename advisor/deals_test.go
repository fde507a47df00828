package advisor

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/pipeline"
)

// dealFixture is the console with pipelines; the clock is Sunday 15
// November 2026, 10:00 UTC, business hours Monday to Friday 9–18 UTC.
func dealFixture(t *testing.T) *fixture {
	f := newFixture(t)
	p := pipeline.NewStore(f.pool, pipeline.DefaultBusinessHours(time.UTC))
	p.SetClock(func() time.Time { return testNow })
	f.handler.SetPipeline(p)
	return f
}

var dealLocation = regexp.MustCompile(`^/console/deals/(\d+)$`)

// TestAdvisorWorksADeal: Ana (advisor A) opens a deal for a client of
// her book from the form — every mistake said at its field first — moves
// it to the next stage, whose task appears with its deadline, does the
// task, and reads it all on the deal's timeline, the board, her tasks and
// the client's 360.
func TestAdvisorWorksADeal(t *testing.T) {
	f := dealFixture(t)
	bad := url.Values{"pipeline": {"sales"}, "client": {"101"}, "title": {""}, "amount": {"doi lei"}, "currency": {"RON"}, "source": {""}}
	w := f.do(t, request{method: "POST", path: "/console/deals", as: asAdvisorA, body: bad.Encode(), form: true})
	body := w.Body.String()
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad deal: %d", w.Code)
	}
	for _, want := range []string{`<a href="#deal-title">Give the deal a title of at most 200 characters.</a>`,
		`<a href="#deal-amount">Enter an amount greater than 0, e.g. 20,000.50.</a>`, `<a href="#deal-source">Choose where the client came from.</a>`,
		`value="doi lei"`} {
		if !strings.Contains(body, want) {
			t.Errorf("refused form lacks %s", want)
		}
	}
	good := url.Values{"pipeline": {"sales"}, "client": {"101"}, "title": {"Savings for the children"}, "amount": {"20,000.50"},
		"currency": {"RON"}, "source": {"branch"}, "expected_close_on": {"2026-12-20"}}
	w = f.do(t, request{method: "POST", path: "/console/deals", as: asAdvisorA, body: good.Encode(), form: true})
	m := dealLocation.FindStringSubmatch(w.Header().Get("Location"))
	if w.Code != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d %s", w.Code, w.Header().Get("Location"))
	}
	dealPath := m[0]
	body = f.do(t, request{path: dealPath, as: asAdvisorA}).Body.String()
	for _, want := range []string{`<h1 id="deal-title">Savings for the children</h1>`, `<dd id="deal-stage">Lead</dd>`, "20,000.50",
		`<th scope="row">Call the client back</th>`, `datetime="2026-11-16T09:15:00Z"`} {
		if !strings.Contains(body, want) {
			t.Errorf("deal page lacks %s", want)
		}
	}
	w = f.do(t, request{method: "POST", path: dealPath + "/stage", as: asAdvisorA, body: "stage=first_call", form: true})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != dealPath+"?moved=1" {
		t.Fatalf("move: %d %s", w.Code, w.Header().Get("Location"))
	}
	var deal struct {
		Stage string `json:"stage"`
		Tasks []struct {
			ID     int64     `json:"id"`
			Title  string    `json:"title"`
			DueAt  time.Time `json:"due_at"`
			Status string    `json:"status"`
		} `json:"tasks"`
		Events []struct {
			Kind string `json:"kind"`
		} `json:"events"`
	}
	f.getJSON(t, "/api/v1/deals/"+m[1], asAdvisorA, http.StatusOK, &deal)
	if deal.Stage != "first_call" || len(deal.Tasks) != 2 || deal.Tasks[1].Title != "Book a needs-analysis meeting" ||
		!deal.Tasks[1].DueAt.Equal(time.Date(2026, 11, 16, 13, 0, 0, 0, time.UTC)) {
		t.Fatalf("after the move: %+v", deal)
	}
	w = f.do(t, request{method: "POST", path: "/console/tasks/" + itoa(deal.Tasks[0].ID) + "/done", as: asAdvisorA, body: "deal=" + m[1], form: true})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != dealPath+"?done=1" {
		t.Fatalf("task done: %d %s", w.Code, w.Header().Get("Location"))
	}
	f.getJSON(t, "/api/v1/deals/"+m[1], asAdvisorA, http.StatusOK, &deal)
	var kinds []string
	for _, e := range deal.Events {
		kinds = append(kinds, e.Kind)
	}
	done := map[string]string{}
	for _, task := range deal.Tasks {
		done[task.Title] = task.Status
	}
	if done["Call the client back"] != "done" || done["Book a needs-analysis meeting"] != "open" || strings.Join(kinds, " ") != "created stage task_done" {
		t.Errorf("after the task: %+v", deal)
	}
	board := f.do(t, request{path: "/console/pipelines/sales", as: asAdvisorA}).Body.String()
	if i, j := strings.Index(board, `data-stage="first_call"`), strings.Index(board, `>Savings for the children</a>`); i < 0 || j < i ||
		strings.Index(board[i:], `data-stage="needs_analysis"`) < j-i {
		t.Error("the board does not show the deal under First call")
	}
	tasks := f.do(t, request{path: "/console/tasks", as: asAdvisorA}).Body.String()
	if !strings.Contains(tasks, `<h2 id="today-title">`) || !strings.Contains(tasks, ">Book a needs-analysis meeting</a>") {
		t.Error("my tasks do not list the meeting to book")
	}
	c360 := f.do(t, request{path: "/console/clients/101", as: asAdvisorA}).Body.String()
	if !strings.Contains(c360, `id="client-deals"`) || !strings.Contains(c360, ">Savings for the children</a>") || !strings.Contains(c360, "Sales · First call") {
		t.Error("the 360 does not show the open deal")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestDealsAreScoped: another advisor neither reads nor works Ana's deal
// (404, nothing changed); compliance and admin read it and cannot change
// it (403); nobody opens a deal for a client outside her book.
func TestDealsAreScoped(t *testing.T) {
	f := dealFixture(t)
	var created struct {
		ID int64 `json:"id"`
	}
	w := f.do(t, request{method: "POST", path: "/api/v1/deals", as: asAdvisorA,
		body: `{"pipeline":"mortgage","client_id":101,"title":"Home loan","amount":{"amount":"350000.00","currency":"RON"},"source":"web"}`})
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &created) != nil {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	id := itoa(created.ID)
	var task struct {
		Tasks []struct {
			ID int64 `json:"id"`
		} `json:"tasks"`
	}
	f.getJSON(t, "/api/v1/deals/"+id, asAdvisorA, http.StatusOK, &task)
	taskID := itoa(task.Tasks[0].ID)
	for _, tt := range []struct {
		as     string
		req    request
		status int
	}{
		{asAdvisorB, request{path: "/console/deals/" + id}, http.StatusNotFound},
		{asAdvisorB, request{path: "/api/v1/deals/" + id}, http.StatusNotFound},
		{asAdvisorB, request{method: "POST", path: "/api/v1/deals/" + id + "/stage", body: `{"stage":"documents"}`}, http.StatusNotFound},
		{asAdvisorB, request{method: "POST", path: "/console/deals/" + id + "/stage", body: "stage=documents", form: true}, http.StatusNotFound},
		{asAdvisorB, request{method: "POST", path: "/api/v1/tasks/" + taskID + "/done"}, http.StatusNotFound},
		{asAdvisorB, request{method: "POST", path: "/console/tasks/" + taskID + "/done", form: true}, http.StatusNotFound},
		{asCompliance, request{path: "/console/deals/" + id}, http.StatusOK},
		{asAdmin, request{path: "/api/v1/deals/" + id}, http.StatusOK},
		{asCompliance, request{method: "POST", path: "/api/v1/deals/" + id + "/stage", body: `{"stage":"documents"}`}, http.StatusForbidden},
		{asAdmin, request{method: "POST", path: "/api/v1/tasks/" + taskID + "/done"}, http.StatusForbidden},
		{asCompliance, request{method: "POST", path: "/api/v1/deals", body: `{"pipeline":"sales","client_id":101,"title":"x","source":"web"}`}, http.StatusForbidden},
		{"", request{path: "/api/v1/tasks"}, http.StatusUnauthorized},
	} {
		tt.req.as = tt.as
		if w := f.do(t, tt.req); w.Code != tt.status {
			t.Errorf("%s %s %s: %d, want %d", tt.as, tt.req.method, tt.req.path, w.Code, tt.status)
		}
	}
	var after struct {
		Stage string `json:"stage"`
		Tasks []struct {
			Status string `json:"status"`
		} `json:"tasks"`
	}
	f.getJSON(t, "/api/v1/deals/"+id, asAdvisorA, http.StatusOK, &after)
	if after.Stage != "application" || after.Tasks[0].Status != "open" {
		t.Errorf("refused requests changed the deal: %+v", after)
	}
	// Client 102 is in advisor B's book.
	w = f.do(t, request{method: "POST", path: "/api/v1/deals", as: asAdvisorA, body: `{"pipeline":"sales","client_id":102,"title":"x","source":"web"}`})
	if w.Code != http.StatusUnprocessableEntity || strings.Join(fields(decodeProblem(t, w)), ",") != "client_id" {
		t.Errorf("a deal for another book's client: %d %s", w.Code, w.Body)
	}
	// Lost needs a reason; then the deal is closed and its tasks cancelled.
	w = f.do(t, request{method: "POST", path: "/api/v1/deals/" + id + "/stage", as: asAdvisorA, body: `{"stage":"lost"}`})
	if w.Code != http.StatusUnprocessableEntity || strings.Join(fields(decodeProblem(t, w)), ",") != "reason" {
		t.Errorf("lost without a reason: %d %s", w.Code, w.Body)
	}
	w = f.do(t, request{method: "POST", path: "/api/v1/deals/" + id + "/stage", as: asAdvisorA, body: `{"stage":"lost","reason":"Chose another bank"}`})
	var lost struct {
		Status     string `json:"status"`
		LostReason string `json:"lost_reason"`
	}
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &lost) != nil || lost.Status != "lost" || lost.LostReason != "Chose another bank" {
		t.Errorf("lost: %d %s", w.Code, w.Body)
	}
}

// TestAdvisorAddsATask: from my tasks, a refused task is shown at its
// fields with what was typed; a good one is listed with its deadline;
// from a deal's page it goes back to the deal; the API answers 201 or a
// problem naming the fields; compliance cannot add tasks.
func TestAdvisorAddsATask(t *testing.T) {
	f := dealFixture(t)
	w := f.do(t, request{method: "POST", path: "/console/tasks", as: asAdvisorA, body: "title=Call+back&due=2026-11-14T10:00&client=102", form: true})
	body := w.Body.String()
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, `<p class="error-message" id="task-due-error">The deadline cannot be in the past.</p>`) ||
		!strings.Contains(body, `<p class="error-message" id="task-client-error">Choose a client.</p>`) || !strings.Contains(body, `value="Call back"`) {
		t.Fatalf("refused task: %d\n%s", w.Code, body)
	}
	w = f.do(t, request{method: "POST", path: "/console/tasks", as: asAdvisorA, body: "title=Call+Maria+back&due=2026-11-16T11:30&client=101", form: true})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/console/tasks?added=1" {
		t.Fatalf("add: %d %s", w.Code, w.Body)
	}
	body = f.do(t, request{path: "/console/tasks?added=1", as: asAdvisorA}).Body.String()
	if !strings.Contains(body, "The task is added.") || !strings.Contains(body, "Call Maria back") || !strings.Contains(body, "16 Nov 2026, 11:30") {
		t.Errorf("my tasks after adding:\n%s", body)
	}
	w = f.do(t, request{method: "POST", path: "/api/v1/deals", as: asAdvisorA,
		body: `{"pipeline":"sales","client_id":101,"title":"Savings","source":"phone"}`})
	id := regexp.MustCompile(`"id":(\d+)`).FindStringSubmatch(w.Body.String())
	if id == nil {
		t.Fatalf("create deal: %d %s", w.Code, w.Body)
	}
	w = f.do(t, request{method: "POST", path: "/console/tasks", as: asAdvisorA, body: "title=Send+the+contract&due=2026-11-17T09:00&from=deal&deal=" + id[1], form: true})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/console/deals/"+id[1]+"?added=1#deal-tasks" {
		t.Fatalf("add from the deal: %d %s", w.Code, w.Header().Get("Location"))
	}
	if body := f.do(t, request{path: "/console/deals/" + id[1], as: asAdvisorA}).Body.String(); !strings.Contains(body, "Send the contract") {
		t.Errorf("the deal does not list the task")
	}
	w = f.do(t, request{method: "POST", path: "/api/v1/tasks", as: asAdvisorA, body: `{"title":"","due_at":"2026-11-17T09:00:00Z","deal_id":` + id[1] + `}`})
	if p := decodeProblem(t, w); w.Code != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "title" {
		t.Errorf("API refused: %d %+v", w.Code, p)
	}
	w = f.do(t, request{method: "POST", path: "/api/v1/tasks", as: asAdvisorA, body: `{"title":"Check the KYC file","due_at":"2026-11-17T09:00:00Z","deal_id":` + id[1] + `}`})
	var task taskJSON
	if err := json.Unmarshal(w.Body.Bytes(), &task); err != nil || w.Code != http.StatusCreated || task.Title != "Check the KYC file" ||
		task.DealID == nil || strconv.FormatInt(*task.DealID, 10) != id[1] || !task.DueAt.Equal(time.Date(2026, 11, 17, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("API added: %d %s", w.Code, w.Body)
	}
	if w := f.do(t, request{method: "POST", path: "/api/v1/tasks", as: asCompliance, body: `{"title":"x","due_at":"2026-11-17T09:00:00Z"}`}); w.Code != http.StatusForbidden {
		t.Errorf("compliance adds a task: %d", w.Code)
	}
}
