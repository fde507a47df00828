package advisor

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/servicedesk"
)

// deskFixture is the console with the service centre: Maria Ionescu (101,
// advisor A's client) asked a question; Radu Ionescu (102, advisor B's)
// complained; Carmen (compliance) works the complaints team.
func deskFixture(t *testing.T) (*fixture, *servicedesk.Desk, int64, int64) {
	f := newFixture(t)
	q, err := jobs.New(f.pool, nil, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mail := outbox.New(f.pool, nil)
	mail.SetQueue(q)
	desk := servicedesk.New(f.pool, mail, pipeline.DefaultBusinessHours(time.UTC), servicedesk.Config{BaseURL: "https://bank.test"})
	desk.SetClock(func() time.Time { return testNow })
	f.handler.SetServiceDesk(desk)
	ctx := context.Background()
	if _, err := f.pool.Exec(ctx, `INSERT INTO service_team_members (team_code, staff_id) VALUES ('complaints', 3)`); err != nil {
		t.Fatal(err)
	}
	question, err := desk.Open(ctx, 101, servicedesk.NewRequest{Kind: "question", Subject: "Overdraft", Body: "Can I get an overdraft?"})
	if err != nil {
		t.Fatal(err)
	}
	complaint, err := desk.Open(ctx, 102, servicedesk.NewRequest{Kind: "complaint", Subject: "Rude branch", Body: "I was treated badly."})
	if err != nil {
		t.Fatal(err)
	}
	return f, desk, question, complaint
}

func multipartBody(t *testing.T, fields map[string]string, name string, data []byte) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if name != "" {
		part, err := w.CreateFormFile("attachments", name)
		if err != nil {
			t.Fatal(err)
		}
		part.Write(data)
	}
	w.Close()
	return buf.String(), w.FormDataContentType()
}

// TestAdvisorAnswersARequestBesideTheClient: the advisor's queue lists
// her client's question; the thread shows the client's holdings beside
// it and logs the read; her answer with a file is stored, the client is
// told; another advisor, a client and admin find nothing; compliance
// sees the complaint (not the question) and its deadline.
func TestAdvisorAnswersARequestBesideTheClient(t *testing.T) {
	f, _, question, complaint := deskFixture(t)
	qPath := "/console/requests/" + strconv.FormatInt(question, 10)

	body := f.do(t, request{path: "/console/requests", as: asAdvisorA}).Body.String()
	if !strings.Contains(body, `<a href="`+qPath+`">`+servicedesk.Number(question)+` · Overdraft</a> <strong class="tag tag-warning">1 new message</strong>`) ||
		strings.Contains(body, "Rude branch") {
		t.Fatalf("advisor A's queue:\n%s", body)
	}
	home := f.do(t, request{path: "/console", as: asAdvisorA}).Body.String()
	if !strings.Contains(home, `<a href="/console/requests">1 service request waits for your answer</a>`) {
		t.Errorf("home has no notice of the request")
	}
	w := f.do(t, request{path: qPath, as: asAdvisorA, acceptLanguage: "ro"})
	body = w.Body.String()
	for _, want := range []string{"Can I get an overdraft?", `id="request-client"`, "Clientul: Maria Ionescu", "Așteaptă răspunsul nostru"} {
		if !strings.Contains(body, want) {
			t.Errorf("thread page lacks %q", want)
		}
	}
	if got := accessLog(t, f.pool); !slices.Equal(got, []string{"1 101 service_request service_request"}) {
		t.Errorf("access log = %q", got)
	}
	client := f.do(t, request{path: "/console/clients/101", as: asAdvisorA}).Body.String()
	if !strings.Contains(client, `<a href="`+qPath+`">`+servicedesk.Number(question)+` · Overdraft</a> — Question, Waiting for us`) {
		t.Errorf("the client 360 does not list the request")
	}

	form, ct := multipartBody(t, map[string]string{"body": "Yes: up to 2,000 RON.", "key": "k-1"}, "terms.txt", []byte("Overdraft terms: 2,000 RON."))
	r := httptest.NewRequest("POST", qPath+"/replies", strings.NewReader(form))
	r.Header.Set("Content-Type", ct)
	r.Header.Set(principalHeader, asAdvisorA)
	rec := httptest.NewRecorder()
	f.router.ServeHTTP(rec, r)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != qPath+"?done=answered" {
		t.Fatalf("answer: %d %s", rec.Code, rec.Body)
	}
	var thread struct {
		Status   string `json:"status"`
		ClientID int64  `json:"client_id"`
		Messages []struct {
			Author      string `json:"author"`
			Body        string `json:"body"`
			Attachments []struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"attachments"`
		} `json:"messages"`
	}
	f.getJSON(t, "/api/v1/service-requests/"+strconv.FormatInt(question, 10), asAdvisorA, http.StatusOK, &thread)
	if thread.Status != "answered" || thread.ClientID != 101 || len(thread.Messages) != 2 || thread.Messages[1].Body != "Yes: up to 2,000 RON." ||
		len(thread.Messages[1].Attachments) != 1 || thread.Messages[1].Attachments[0].Type != "text/plain" {
		t.Fatalf("thread after the answer = %+v", thread)
	}
	file := qPath + "/attachments/" + strconv.FormatInt(thread.Messages[1].Attachments[0].ID, 10)
	if w := f.do(t, request{path: file, as: asAdvisorA}); w.Body.String() != "Overdraft terms: 2,000 RON." {
		t.Errorf("download = %d %q", w.Code, w.Body)
	}
	var toClient int
	if err := f.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox_messages WHERE client_id = 101 AND to_address = 'maria.ionescu@mail.test'`).Scan(&toClient); err != nil || toClient != 1 {
		t.Errorf("e-mails to the client = %d, %v", toClient, err)
	}

	// Nobody else reads or changes it.
	for _, as := range []string{asAdvisorB, asAdmin, asCompliance} {
		for _, req := range []request{{path: qPath}, {path: file}, {path: "/api/v1/service-requests/" + strconv.FormatInt(question, 10)},
			{method: "POST", path: qPath + "/close", form: true}, {method: "POST", path: qPath + "/replies", body: "body=mine", form: true}} {
			req.as = as
			if w := f.do(t, req); w.Code != http.StatusNotFound {
				t.Errorf("%s %s as %s: %d, want 404", req.method, req.path, as, w.Code)
			}
		}
	}
	for _, as := range []string{asClient, anonymous} {
		if w := f.do(t, request{path: "/console/requests", as: as}); w.Code != http.StatusForbidden && w.Code != http.StatusUnauthorized {
			t.Errorf("queue as %q: %d", as, w.Code)
		}
	}

	// Compliance: the complaint, with its deadline; not for advisors.
	var complaints struct {
		Open       int `json:"open"`
		Complaints []struct {
			ID    int64     `json:"id"`
			DueAt time.Time `json:"due_at"`
		} `json:"complaints"`
	}
	f.getJSON(t, "/api/v1/complaints", asCompliance, http.StatusOK, &complaints)
	// 15 business days (Monday–Friday 9–18 UTC) from Sunday 15 November
	// 10:00, from Monday's opening, skipping the holidays of 30 November
	// and 1 December: Tuesday 8 December 18:00.
	if want := time.Date(2026, 12, 8, 18, 0, 0, 0, time.UTC); complaints.Open != 1 || len(complaints.Complaints) != 1 ||
		complaints.Complaints[0].ID != complaint || !complaints.Complaints[0].DueAt.Equal(want) {
		t.Errorf("complaints = %+v, want one due %s", complaints, want)
	}
	if w := f.do(t, request{path: "/console/complaints", as: asAdvisorA}); w.Code != http.StatusForbidden {
		t.Errorf("complaints page as an advisor: %d", w.Code)
	}
	body = f.do(t, request{path: "/console/complaints", as: asCompliance}).Body.String()
	if !strings.Contains(body, "Rude branch") || !strings.Contains(body, `id="complaints-open">1<`) {
		t.Errorf("complaints page:\n%s", body)
	}
	var bad struct {
		Errors []struct{ Field, Message string } `json:"errors"`
	}
	w = f.do(t, request{path: "/api/v1/service-requests?status=lost", as: asAdvisorA})
	if json.Unmarshal(w.Body.Bytes(), &bad); w.Code != http.StatusUnprocessableEntity || len(bad.Errors) != 1 || bad.Errors[0].Field != "status" ||
		bad.Errors[0].Message != "Choose one of the statuses listed." {
		t.Errorf("a bad filter: %d %s", w.Code, w.Body)
	}
}
