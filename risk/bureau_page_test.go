package risk

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestBureauUploadPage: an admin uploads a report of 18 lines whose line
// 17 has an amount with a comma; the page names line 17 and its field, in
// English and in Romanian, and says what was applied. A file without a
// column is refused whole; advisors and anonymous visitors are refused.
func TestBureauUploadPage(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO clients (id, given_name, family_name) VALUES (7, 'Ana', 'Popescu')`); err != nil {
		t.Fatal(err)
	}
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(i18n.Middleware)
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if role := req.Header.Get("X-Test-Role"); role != "" {
				req = req.WithContext(ecrm.WithPrincipal(req.Context(), &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 1, Roles: []string{role}}))
			}
			next.ServeHTTP(w, req)
		})
	})
	NewBureauPage(pool, pages).Routes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	do := func(method, role, lang, name, file string) (int, string) {
		var body bytes.Buffer
		ct := ""
		if method == http.MethodPost {
			mw := multipart.NewWriter(&body)
			fw, _ := mw.CreateFormFile("file", name)
			io.WriteString(fw, file)
			mw.Close()
			ct = mw.FormDataContentType()
		}
		req, _ := http.NewRequestWithContext(ctx, method, srv.URL+"/console/imports/bureau", &body)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		req.Header.Set("X-Test-Role", role)
		req.Header.Set("Accept-Language", lang)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	// Lines 2–16 and 18: the months Jan 2025–Apr 2026 of one card, on
	// time; line 17 (Mar 2026) has "12,50" for the amount due.
	var csv strings.Builder
	csv.WriteString("client_id,lender,reference,kind,currency,credit_limit,balance,opened_on,period,amount_due,amount_paid,status,line_status\n")
	for i := range 17 {
		due := "12.50"
		if i == 15 {
			due = `"12,50"`
		}
		fmt.Fprintf(&csv, "7,Banca Carpatica,CC-1,credit_card,RON,1000.00,100.00,2024-12-01,%s,%s,12.50,on_time,active\n",
			fmt.Sprintf("%d-%02d", 2025+i/12, i%12+1), due)
	}
	status, body := do(http.MethodPost, ecrm.RoleAdmin, "en", "bureau.csv", csv.String())
	for _, want := range []string{
		`<h2 id="bureau-result-heading">Import of bureau.csv</h2>`,
		`<dd id="bureau-rows">17</dd>`, `<dd id="bureau-applied">16</dd>`, `<dd id="bureau-lines">1</dd>`,
		`<dd id="bureau-months">16</dd>`, `<dd id="bureau-rejected">1</dd>`, `<dd id="bureau-scores">1</dd>`,
		`<tr><th scope="row" class="numeric">17</th><td>Missing or invalid: amount_due</td></tr>`,
	} {
		if status != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("admin upload: %d, lacks %s", status, want)
		}
	}
	if strings.Count(body, `<tr><th scope="row" class="numeric">`) != 1 {
		t.Errorf("more than line 17 refused:\n%s", body)
	}
	if s, err := LoadStoredScore(ctx, pool, 7); err != nil || s == nil {
		t.Errorf("no score stored for client 7: %v", err)
	}
	// The same file again, in Romanian: nothing new, line 17 named again.
	status, body = do(http.MethodPost, ecrm.RoleAdmin, "ro", "bureau.csv", csv.String())
	if status != http.StatusOK || !strings.Contains(body, `<dd id="bureau-months">0</dd>`) ||
		!strings.Contains(body, `<tr><th scope="row" class="numeric">17</th><td>Lipsă sau greșit: amount_due</td></tr>`) {
		t.Errorf("again in Romanian: %d\n%s", status, body)
	}
	status, body = do(http.MethodPost, ecrm.RoleAdmin, "en", "short.csv", "client_id,lender\n7,x\n")
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `<p class="field-error" id="bureau-file-error">The header lacks the column reference.</p>`) {
		t.Errorf("a file without columns: %d\n%s", status, body)
	}
	status, body = do(http.MethodPost, ecrm.RoleAdmin, "en", "big.csv", strings.Repeat("x", MaxBureauUpload+1))
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "The file is larger than 10 MiB.") {
		t.Errorf("a file too large: %d", status)
	}
	status, body = do(http.MethodGet, ecrm.RoleAdmin, "ro", "", "")
	if status != http.StatusOK || !strings.Contains(body, `<input id="bureau-file" name="file" type="file"`) ||
		!strings.Contains(body, "Cel mult 10 MiB.") || !strings.Contains(body, "<code>line_status</code>") {
		t.Errorf("the form: %d\n%s", status, body)
	}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		if status, _ := do(method, ecrm.RoleAdvisor, "en", "bureau.csv", csv.String()); status != http.StatusForbidden {
			t.Errorf("advisor %s: %d", method, status)
		}
		if status, _ := do(method, "", "en", "bureau.csv", csv.String()); status != http.StatusUnauthorized {
			t.Errorf("anonymous %s: %d", method, status)
		}
	}
}
