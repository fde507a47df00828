package insurance

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestAdminQuestionnairePage: an administrator uploads the FHIR
// specification's example f201 (stored), again (unchanged), a definition
// with a choice without options (refused, the item named), nothing, and a
// file over the limit; the list shows the version imported; the page
// reads in Romanian; advisors and anonymous visitors are refused.
func TestAdminQuestionnairePage(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO staff_users (id, email, display_name, roles) VALUES (1, 'elena@bank.test', 'Elena Admin', '{admin}')`); err != nil {
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
	bucharest, _ := time.LoadLocation("Europe/Bucharest")
	NewAdminPage(NewStore(pool), pages, bucharest).Routes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	do := func(method, role, lang, name string, file []byte) (int, string) {
		var body bytes.Buffer
		ct := ""
		if method == http.MethodPost {
			mw := multipart.NewWriter(&body)
			if name != "" {
				fw, _ := mw.CreateFormFile("file", name)
				fw.Write(file)
			}
			mw.Close()
			ct = mw.FormDataContentType()
		}
		req, _ := http.NewRequestWithContext(ctx, method, srv.URL+"/console/questionnaires", &body)
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
	f201, err := os.ReadFile("testdata/fhir-r4-questionnaire-example-f201-lifelines.json")
	if err != nil {
		t.Fatal(err)
	}

	if code, _ := do("GET", "", "en", "", nil); code != http.StatusUnauthorized {
		t.Errorf("anonymous = %d", code)
	}
	if code, _ := do("POST", "advisor", "en", "f201.json", f201); code != http.StatusForbidden {
		t.Errorf("an advisor's upload = %d", code)
	}
	code, body := do("GET", "admin", "en", "", nil)
	if code != http.StatusOK || !strings.Contains(body, "No questionnaire has been imported yet.") {
		t.Fatalf("empty list = %d %s", code, body)
	}
	code, body = do("POST", "admin", "en", "f201.json", f201)
	if code != http.StatusOK || !strings.Contains(body, `<p id="questionnaire-outcome">Imported http://hl7.org/fhir/Questionnaire/f201, version 1.</p>`) ||
		!strings.Contains(body, "<code>http://hl7.org/fhir/Questionnaire/f201</code>") {
		t.Fatalf("f201 = %d %s", code, body)
	}
	code, body = do("POST", "admin", "en", "f201.json", f201)
	if code != http.StatusOK || !strings.Contains(body, "was already imported with exactly this definition: nothing changed.") {
		t.Errorf("f201 again = %d %s", code, body)
	}
	bad := `{"resourceType": "Questionnaire", "url": "x:y", "item": [{"linkId": "q1", "type": "choice", "text": "Which?"}]}`
	code, body = do("POST", "admin", "en", "bad.json", []byte(bad))
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "refused: 1 problem, each named by its item") ||
		!strings.Contains(body, `<tr><th scope="row"><code>q1</code></th><td><code>answerOption</code></td>`) {
		t.Errorf("malformed = %d %s", code, body)
	}
	code, body = do("POST", "admin", "ro", "", nil)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `<p class="field-error" id="questionnaire-file-error">Alegeți un fișier de chestionar pentru import.</p>`) {
		t.Errorf("no file = %d %s", code, body)
	}
	code, body = do("POST", "admin", "en", "big.json", bytes.Repeat([]byte(" "), MaxQuestionnaireUpload+1))
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "The file is larger than 1 MB.") {
		t.Errorf("too large = %d %s", code, body)
	}
	code, body = do("POST", "admin", "en", "notes.txt", []byte("not json"))
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "it cannot be read as JSON") {
		t.Errorf("not JSON = %d %s", code, body)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM questionnaires`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d definitions stored, %v; want 1", n, err)
	}
}
