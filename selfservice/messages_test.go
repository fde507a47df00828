package selfservice

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/servicedesk"
)

// multipartForm builds a form with fields and files ("attachments").
func multipartForm(t *testing.T, fields map[string]string, files map[string][]byte) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range files {
		part, err := w.CreateFormFile("attachments", name)
		if err != nil {
			t.Fatal(err)
		}
		part.Write(data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), w.FormDataContentType()
}

var scanPDF = []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// TestClientWritesWithAnAttachmentAndReadsTheAnswer drives the portal's
// pages: a refused file is named at the field with the types accepted and
// nothing is written; the same form with a PDF opens a request routed to
// the service centre (Ana has no advisor here), shown with its file, which downloads as sent; the answer
// from the fixture is listed with its status; the API lists the same.
func TestClientWritesWithAnAttachmentAndReadsTheAnswer(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	ctx := context.Background()
	fields := map[string]string{"kind": "change_request", "subject": "Nouă adresă", "body": "M-am mutat în Cluj.\nVă rog actualizați adresa.", "key": "form-1"}

	body, ct := multipartForm(t, fields, map[string][]byte{"contract.exe": []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00")})
	rec := do(t, srv, request{method: "POST", path: "/portal/messages", body: body, contentType: ct, client: asClient(ana)})
	page := rec.Body.String()
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(page, `id="request-attachments-error">contract.exe is not of a type we accept; send PDF, PNG, JPEG, TXT.</p>`) ||
		!strings.Contains(page, "M-am mutat în Cluj.") {
		t.Fatalf("a refused file: %d\n%s", rec.Code, page)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM service_requests WHERE client_id = 1`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("requests after a refused form: %d, %v", n, err)
	}

	body, ct = multipartForm(t, fields, map[string][]byte{"scan.pdf": scanPDF})
	rec = do(t, srv, request{method: "POST", path: "/portal/messages", body: body, contentType: ct, client: asClient(ana)})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("send: %d %s", rec.Code, rec.Body)
	}
	location := rec.Header().Get("Location")
	again := do(t, srv, request{method: "POST", path: "/portal/messages", body: body, contentType: ct, client: asClient(ana)})
	if again.Header().Get("Location") != location {
		t.Errorf("the same form twice went to %q and %q", location, again.Header().Get("Location"))
	}
	var id, fileID int64
	var kind, status, team string
	if err := pool.QueryRow(ctx, `SELECT r.id, a.id, r.kind, r.status, r.team_code FROM service_requests r
		JOIN service_messages m ON m.request_id = r.id JOIN service_attachments a ON a.message_id = m.id WHERE r.client_id = 1 AND r.id <> 9101`).
		Scan(&id, &fileID, &kind, &status, &team); err != nil {
		t.Fatal(err)
	}
	// Ana has no advisor in this fixture: the service centre answers.
	if location != "/portal/messages/"+itoa(id)+"?sent=1" || kind != "change_request" || status != "open" || team != "service" {
		t.Errorf("request %d at %q: %s %s to %s", id, location, kind, status, team)
	}
	rec = do(t, srv, request{path: location, client: asClient(ana), lang: "ro"})
	page = rec.Body.String()
	for _, want := range []string{"<h1 id=\"request-title\">Nouă adresă</h1>", "Mesajul a fost trimis.", "Cerere de modificare", "Așteaptă răspunsul nostru",
		"M-am mutat în Cluj.\nVă rog actualizați adresa.", "Centrul de relații cu clienții", `/portal/messages/` + itoa(id) + `/attachments/` + itoa(fileID), "scan.pdf</a> (1 KB)"} {
		if !strings.Contains(page, want) {
			t.Errorf("thread page lacks %q", want)
		}
	}
	rec = do(t, srv, request{path: "/portal/messages/" + itoa(id) + "/attachments/" + itoa(fileID), client: asClient(ana)})
	if !bytes.Equal(rec.Body.Bytes(), scanPDF) || rec.Header().Get("Content-Type") != "application/pdf" ||
		rec.Header().Get("Content-Disposition") != `attachment; filename="scan.pdf"` || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("download: %d %v", rec.Code, rec.Header())
	}

	rec = do(t, srv, request{path: "/portal/messages", client: asClient(ana)})
	page = rec.Body.String()
	if !strings.Contains(page, `<a href="/portal/messages/9101">HOME-0031 card limit</a> <strong class="tag tag-warning">1 new answer</strong>`) ||
		!strings.Contains(page, `<a href="/portal/messages/`+itoa(id)+`">Nouă adresă</a>`) {
		t.Errorf("messages page:\n%s", page)
	}
	rec = do(t, srv, request{path: "/portal", client: asClient(ana)})
	if !strings.Contains(rec.Body.String(), `<a href="/portal/messages">1 new answer to your messages</a>`) {
		t.Errorf("overview has no notice of the answer")
	}

	rec = do(t, srv, request{path: "/api/v1/me/service-requests/9101", client: asClient(ana)})
	var thread struct {
		Number   string `json:"number"`
		Status   string `json:"status"`
		Unread   int    `json:"unread"`
		Messages []struct {
			Author, Body string
			StaffName    string `json:"staff_name"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &thread); err != nil || thread.Number != "SR-009101" || thread.Status != "answered" ||
		len(thread.Messages) != 2 || thread.Messages[1].Author != "staff" || thread.Messages[1].StaffName != "Maria Advisor" || thread.Messages[1].Body != "Yes, to 5,000 RON." {
		t.Fatalf("API thread: %v %s", err, rec.Body)
	}
	if rec = do(t, srv, request{path: "/portal", client: asClient(ana)}); strings.Contains(rec.Body.String(), "replies-notice") {
		t.Errorf("the notice stays after the answer was read")
	}

	reply := func(key string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/api/v1/me/service-requests/9101/messages", strings.NewReader(`{"body":"Thank you!"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Idempotency-Key", key)
		r.Header.Set(testClientHeader, asClient(ana))
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w
	}
	if w := reply("reply-1"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"status":"open"`) {
		t.Fatalf("API reply: %d %s", w.Code, w.Body)
	}
	reply("reply-1")
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM service_messages WHERE request_id = 9101 AND body = 'Thank you!'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the same reply sent twice is stored %d times", n)
	}
	rec = do(t, srv, request{method: "POST", path: "/api/v1/me/service-requests", body: `{"kind":"gossip","subject":"","body":"x"}`, contentType: "application/json", client: asClient(ana)})
	var problem struct {
		Errors []struct{ Field, Message string } `json:"errors"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &problem); rec.Code != http.StatusUnprocessableEntity || len(problem.Errors) != 2 ||
		problem.Errors[0].Field != "kind" || problem.Errors[0].Message != "Choose what your message is about." || problem.Errors[1].Field != "subject" {
		t.Errorf("API bad input: %d %s", rec.Code, rec.Body)
	}
}

func itoa(id int64) string { return asClient(id) }

// TestFormOverTheLimitSaysTheLimit: a form whose files together pass what
// a message may carry is refused at the file input with the limit, not
// with a bare error page; nothing is written.
func TestFormOverTheLimitSaysTheLimit(t *testing.T) {
	pool := newFixture(t)
	h := newTestHandler(t, pool)
	limits := servicedesk.DefaultAttachmentLimits()
	limits.MaxBytes, limits.MaxFiles = 2048, 1
	h.SetServiceDesk(servicedesk.New(pool, nil, pipeline.DefaultBusinessHours(time.UTC), servicedesk.Config{Attachments: limits}))
	srv := web.LimitBody(1 << 20)(newRouter(h, testPrincipal))
	body, ct := multipartForm(t, map[string]string{"kind": "question", "subject": "Scans", "body": "Here."},
		map[string][]byte{"scan.txt": bytes.Repeat([]byte("a"), 80<<10)})
	rec := do(t, srv, request{method: "POST", path: "/portal/messages", body: body, contentType: ct, client: asClient(ana)})
	if rec.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(rec.Body.String(), `id="request-attachments-error">The files together are larger than 2 KB, the most one message can carry: send them in several messages.</p>`) {
		t.Errorf("over the limit: %d\n%s", rec.Code, rec.Body)
	}
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM service_requests WHERE client_id = 1`).Scan(&n); err != nil || n != 1 {
		t.Errorf("requests after a refused form: %d, %v", n, err)
	}
}
