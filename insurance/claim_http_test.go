package insurance

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/page"
)

type claimsServer struct {
	t *testing.T
	r chi.Router
}

func newClaimsServer(t *testing.T, c *Claims) *claimsServer {
	t.Helper()
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	h := NewClaimsHandler(c, pages)
	h.PortalRoutes(r)
	h.ConsoleRoutes(r)
	return &claimsServer{t: t, r: r}
}

func (s *claimsServer) do(p *ecrm.Principal, method, path, contentType string, body []byte) *httptest.ResponseRecorder {
	s.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if p != nil {
		req = req.WithContext(ecrm.WithPrincipal(req.Context(), p))
	}
	w := httptest.NewRecorder()
	s.r.ServeHTTP(w, req)
	return w
}

func multipartBody(t *testing.T, fields map[string]string, files map[string][]byte) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for name, data := range files {
		fw, err := mw.CreateFormFile("attachments", name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

var (
	ana   = &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: 1}
	ion   = &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: 2}
	maria = &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 1, Roles: []string{ecrm.RoleAdvisor}}
	radu  = &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 2, Roles: []string{ecrm.RoleAdvisor}}
	elena = &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 3, Roles: []string{ecrm.RoleAdmin}}
	ioana = &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 4, Roles: []string{ecrm.RoleCompliance}}
)

// TestClaimsAPI: Ana reports a claim by multipart with a file and by JSON
// (the same Idempotency-Key twice is one claim), adds a file, reads it
// back; bad input is 422 naming the field; an oversized file states the
// limit.
func TestClaimsAPI(t *testing.T) {
	_, c := newClaimsFixture(t)
	s := newClaimsServer(t, c)
	ct, body := multipartBody(t, map[string]string{"policy_id": "1", "description": "Burst pipe", "incident_on": "2026-12-02",
		"place": "Cluj-Napoca", "amount": "800.00"}, map[string][]byte{"pipe.pdf": pdf})
	w := s.do(ana, "POST", "/api/v1/me/claims", ct, body)
	if w.Code != http.StatusCreated {
		t.Fatalf("multipart report = %d %s", w.Code, w.Body)
	}
	var got ClaimDetailJSON
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != "received" || got.Claimed == nil || *got.Claimed != "800.00" || len(got.Files) != 1 || got.Files[0].Type != "application/pdf" {
		t.Errorf("reported %+v", got)
	}
	jsonBody := []byte(`{"policy_id": 1, "description": "Storm", "incident_on": "2026-11-20", "place": "Iași", "amount": "1500.10"}`)
	req := func(key string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/api/v1/me/claims", bytes.NewReader(jsonBody))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Idempotency-Key", key)
		r = r.WithContext(ecrm.WithPrincipal(r.Context(), ana))
		rec := httptest.NewRecorder()
		s.r.ServeHTTP(rec, r)
		return rec
	}
	first, second := req("same"), req("same")
	if first.Code != http.StatusCreated || second.Code != http.StatusCreated || first.Header().Get("Location") != second.Header().Get("Location") {
		t.Errorf("idempotent JSON report: %d %s / %d %s", first.Code, first.Header().Get("Location"), second.Code, second.Header().Get("Location"))
	}
	w = s.do(ana, "GET", "/api/v1/me/claims", "", nil)
	if w.Code != 200 || strings.Count(w.Body.String(), `"reference"`) != 2 {
		t.Errorf("list = %d %s", w.Code, w.Body)
	}
	w = s.do(ana, "POST", "/api/v1/me/claims", "application/json", []byte(`{"policy_id": 1, "description": "x", "incident_on": "2030-01-01", "place": "y", "amount": "-1"}`))
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"field":"incident_on"`) || !strings.Contains(w.Body.String(), `"field":"amount"`) {
		t.Errorf("bad report = %d %s", w.Code, w.Body)
	}
	ct, body = multipartBody(t, nil, map[string][]byte{"big.png": bytes.Repeat([]byte{0x89}, 5<<20+10)})
	w = s.do(ana, "POST", "/api/v1/me/claims/"+got.Reference+"/attachments", ct, body)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "big.png is larger than 5 MB, the limit for one file.") {
		t.Errorf("oversized upload = %d %s", w.Code, w.Body)
	}
	ct, body = multipartBody(t, nil, map[string][]byte{"photo.png": append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)})
	w = s.do(ana, "POST", "/api/v1/me/claims/"+got.Reference+"/attachments", ct, body)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"type":"image/png"`) {
		t.Errorf("upload = %d %s", w.Code, w.Body)
	}
}

// TestClaimsIsolation: every client route refuses another client (404,
// nothing written) and anyone who is not a client (401); every console
// route refuses a client, compliance, and an advisor who does not serve
// the client.
func TestClaimsIsolation(t *testing.T) {
	pool, c := newClaimsFixture(t)
	s := newClaimsServer(t, c)
	ctx := context.Background()
	in := goodClaim()
	ref, err := c.Report(ctx, 1, in)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ClientWrite(ctx, 1, ref, Write{Body: "photos", Files: nil}); err != nil {
		t.Fatal(err)
	}
	var fileID string
	if _, err := pool.Exec(ctx, `INSERT INTO claim_attachments (claim_id, author, file_name, content_type, size, sha256, content)
		SELECT id, 'client', 'a.pdf', 'application/pdf', $2, repeat('0', 64), $3 FROM claims WHERE reference = $1`, ref, len(pdf), pdf); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT max(id)::text FROM claim_attachments`).Scan(&fileID); err != nil {
		t.Fatal(err)
	}
	ctMsg, msgBody := multipartBody(t, map[string]string{"body": "mine now"}, map[string][]byte{"x.pdf": pdf})
	type route struct {
		method, path, ct string
		body             []byte
	}
	clientRoutes := []route{
		{"GET", "/portal/policies/1/claims/new", "", nil},
		{"POST", "/portal/policies/1/claims/new", "application/x-www-form-urlencoded", []byte("description=x&incident_on=2026-12-01&place=y&amount=1")},
		{"GET", "/portal/claims/" + ref, "", nil},
		{"POST", "/portal/claims/" + ref + "/messages", ctMsg, msgBody},
		{"GET", "/portal/claims/" + ref + "/files/" + fileID, "", nil},
		{"GET", "/api/v1/me/claims/" + ref, "", nil},
		{"POST", "/api/v1/me/claims", "application/json", []byte(`{"policy_id": 1, "description": "x", "incident_on": "2026-12-01", "place": "y", "amount": "1"}`)},
		{"POST", "/api/v1/me/claims/" + ref + "/messages", "application/json", []byte(`{"body": "mine"}`)},
		{"POST", "/api/v1/me/claims/" + ref + "/attachments", ctMsg, msgBody},
		{"GET", "/api/v1/me/claims/" + ref + "/attachments/" + fileID, "", nil},
	}
	for _, rt := range clientRoutes {
		if w := s.do(ion, rt.method, rt.path, rt.ct, rt.body); w.Code != http.StatusNotFound {
			t.Errorf("Ion %s %s = %d, want 404", rt.method, rt.path, w.Code)
		}
		if w := s.do(maria, rt.method, rt.path, rt.ct, rt.body); w.Code != http.StatusUnauthorized {
			t.Errorf("Maria (staff) %s %s = %d, want 401", rt.method, rt.path, w.Code)
		}
		if w := s.do(nil, rt.method, rt.path, rt.ct, rt.body); w.Code != http.StatusUnauthorized {
			t.Errorf("anonymous %s %s = %d, want 401", rt.method, rt.path, w.Code)
		}
	}
	if w := s.do(ion, "GET", "/api/v1/me/claims", "", nil); w.Code != 200 || strings.Contains(w.Body.String(), ref) {
		t.Errorf("Ion's list = %d %s", w.Code, w.Body)
	}
	// Ana herself reads each of them.
	for _, path := range []string{"/portal/claims/" + ref, "/portal/claims/" + ref + "/files/" + fileID, "/api/v1/me/claims/" + ref, "/portal/claims", "/portal/policies/1/claims/new"} {
		if w := s.do(ana, "GET", path, "", nil); w.Code != 200 {
			t.Errorf("Ana GET %s = %d", path, w.Code)
		}
	}
	staffRoutes := []route{
		{"GET", "/console/claims/" + ref, "", nil},
		{"POST", "/console/claims/" + ref + "/status", "application/x-www-form-urlencoded", []byte("to=in_review")},
		{"POST", "/console/claims/" + ref + "/messages", "application/x-www-form-urlencoded", []byte("body=hello")},
		{"GET", "/console/claims/" + ref + "/files/" + fileID, "", nil},
	}
	for _, rt := range staffRoutes {
		if w := s.do(radu, rt.method, rt.path, rt.ct, rt.body); w.Code != http.StatusNotFound {
			t.Errorf("Radu %s %s = %d, want 404", rt.method, rt.path, w.Code)
		}
		if w := s.do(ioana, rt.method, rt.path, rt.ct, rt.body); w.Code != http.StatusForbidden {
			t.Errorf("compliance %s %s = %d, want 403", rt.method, rt.path, w.Code)
		}
		if w := s.do(ana, rt.method, rt.path, rt.ct, rt.body); w.Code != http.StatusUnauthorized {
			t.Errorf("Ana %s %s = %d, want 401", rt.method, rt.path, w.Code)
		}
	}
	if w := s.do(radu, "GET", "/console/claims", "", nil); w.Code != 200 || strings.Contains(w.Body.String(), ref) {
		t.Errorf("Radu's queue = %d, lists Ana's claim: %v", w.Code, strings.Contains(w.Body.String(), ref))
	}
	var claims, messages, files, status int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM claims), (SELECT count(*) FROM claim_messages),
		(SELECT count(*) FROM claim_attachments), (SELECT count(*) FROM claim_status_history)`).Scan(&claims, &messages, &files, &status); err != nil ||
		claims != 1 || messages != 1 || files != 1 || status != 1 {
		t.Errorf("after the refused calls: %d claims, %d messages, %d files, %d changes, %v", claims, messages, files, status, err)
	}
	// Maria serves Ana and works the claim; Elena administers.
	if w := s.do(maria, "GET", "/console/claims", "", nil); w.Code != 200 || !strings.Contains(w.Body.String(), ref) {
		t.Errorf("Maria's queue = %d", w.Code)
	}
	if w := s.do(maria, "POST", "/console/claims/"+ref+"/status", "application/x-www-form-urlencoded", []byte("to=paid&amount=10")); w.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(w.Body.String(), "A claim that is Received cannot become Paid.") {
		t.Errorf("paid before approved = %d", w.Code)
	}
	if w := s.do(elena, "POST", "/console/claims/"+ref+"/status", "application/x-www-form-urlencoded", []byte("to=in_review")); w.Code != http.StatusSeeOther {
		t.Errorf("Elena moves = %d %s", w.Code, w.Body)
	}
}

// TestReportFormErrorsAtFields: the page form refuses a date in the
// future at its field, keeps what was typed, and the same form (its key)
// corrected reports the claim.
func TestReportFormErrorsAtFields(t *testing.T) {
	_, c := newClaimsFixture(t)
	s := newClaimsServer(t, c)
	w := s.do(ana, "POST", "/portal/policies/1/claims/new", "application/x-www-form-urlencoded",
		[]byte("description=Inunda%C8%9Bie&incident_on=2026-12-25&place=Bucure%C8%99ti&amount=1250.50&key=k1"))
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="claim-incident_on-error">The date of the event cannot be in the future.`) ||
		!strings.Contains(w.Body.String(), `value="1250.50"`) {
		t.Errorf("future date = %d %s", w.Code, w.Body)
	}
	w = s.do(ana, "POST", "/portal/policies/1/claims/new", "application/x-www-form-urlencoded",
		[]byte("description=Inunda%C8%9Bie&incident_on=2026-12-01&place=Bucure%C8%99ti&amount=1250.50&key=k1"))
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/portal/claims/CLM-2026-") {
		t.Errorf("report = %d %s", w.Code, w.Header().Get("Location"))
	}
}
