package risk

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
)

// TestMarketImportPage: an admin imports a prices file and sees what it
// wrote, imports it again and sees nothing written, both runs listed; a
// file with bad rows is refused with each row named, in English and
// Romanian; a misspelt column is named at the file field; advisors are
// refused.
func TestMarketImportPage(t *testing.T) {
	pool := marketFixture(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO staff_users (id, email, display_name, roles) VALUES (7, 'elena@example.com', 'Elena Dobre', '{admin}')`); err != nil {
		t.Fatal(err)
	}
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	h := NewMarketImportPage(pool, pages, time.UTC)
	h.Now = func() time.Time { return importDay }
	r := chi.NewRouter()
	r.Use(i18n.Middleware)
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if role := req.Header.Get("X-Test-Role"); role != "" {
				req = req.WithContext(ecrm.WithPrincipal(req.Context(), &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 7, Roles: []string{role}}))
			}
			next.ServeHTTP(w, req)
		})
	})
	h.Routes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	upload := func(role, lang, kind, name, file string) (int, string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("kind", kind)
		mw.WriteField("source", "")
		fw, _ := mw.CreateFormFile("file", name)
		io.WriteString(fw, file)
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/console/imports/market", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
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
	expect := func(what string, status, wantStatus int, body string, wants ...string) {
		t.Helper()
		for _, want := range wants {
			if status != wantStatus || !strings.Contains(body, want) {
				t.Errorf("%s: %d (want %d), lacks %s", what, status, wantStatus, want)
			}
		}
	}

	status, body := upload(ecrm.RoleAdmin, "en", "prices", "good.csv", goodPrices)
	expect("a good file", status, 200, body, `<dd id="market-rows">7</dd>`, `<dd id="market-written">7</dd>`,
		`<tr><th scope="row">Closes</th><td class="numeric">3</td><td class="numeric">3</td></tr>`,
		`<tr id="market-run-1"><td>14 Mar 2026, 10:00</td><td>Prices and reference data</td><td>good.csv</td><td>good.csv</td>`)
	status, body = upload(ecrm.RoleAdmin, "en", "prices", "good.csv", goodPrices)
	expect("the same file again", status, 200, body, `<dd id="market-written">0</dd>`, `id="market-run-2"`, `<td class="numeric">7</td><td class="numeric">0</td><td>Elena Dobre</td>`)

	bad := "type,symbol,date,close\nprice,DNB,2026-03-12,24.55\nprice,DNB,2026-03-13,\"24,80\"\nprice,NOPE,2026-03-13,1\n"
	status, body = upload(ecrm.RoleAdmin, "en", "prices", "bad.csv", bad)
	expect("a file with bad rows", status, 422, body, `<dd id="market-wrong">2</dd>`,
		`<tr><th scope="row" class="numeric">3</th><td><code>close</code></td><td>Missing or invalid: close</td></tr>`,
		`<tr><th scope="row" class="numeric">4</th><td><code>symbol</code></td><td>No instrument has the symbol NOPE</td></tr>`)
	status, body = upload(ecrm.RoleAdmin, "ro", "prices", "bad.csv", bad)
	expect("a file with bad rows, in Romanian", status, 422, body, `Nu s-a scris nimic`,
		`<td>Lipsă sau greșit: close</td>`, `<td>Niciun instrument nu are simbolul NOPE</td>`)
	if n := len(dump(t, pool, `SELECT id FROM market_imports`)); n != 2 {
		t.Errorf("%d runs recorded, want 2 (refused files leave none)", n)
	}

	status, body = upload(ecrm.RoleAdmin, "en", "prices", "typo.csv", "type,symbol,date,clsoe\n")
	expect("a misspelt column", status, 422, body, `<p class="field-error" id="market-file-error">The header has a column the layout does not know: clsoe.</p>`)
	status, body = upload(ecrm.RoleAdmin, "en", "news", "news.csv", goodNews)
	expect("a news file", status, 200, body, `<dd id="market-written">3</dd>`, `<tr><th scope="row">Analysts&#39; reviews</th><td class="numeric">1</td><td class="numeric">1</td></tr>`)
	status, _ = upload(ecrm.RoleAdvisor, "en", "prices", "good.csv", goodPrices)
	expect("an advisor", status, 403, "")
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/console/imports/market", nil)
	req.Header.Set("X-Test-Role", ecrm.RoleAdmin)
	req.Header.Set("Accept-Language", "ro")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	expect("the form in Romanian", res.StatusCode, 200, string(b), `<h1 id="market-import-title">Importul datelor de piață</h1>`,
		`<code>source, symbol, date, close, currency</code>`, `<td>Știri și analize</td>`)
}
