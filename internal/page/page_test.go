package page

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ecrm-project/ecrm/internal/i18n"
)

// newTestServer wires the renderer the way cmd/ecrm is expected to: the
// i18n middleware around the home page, the language switch and the
// static files.
func newTestServer(t *testing.T, r *Renderer, page string, data any) http.Handler {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+LangSwitchPath, LangSwitchHandler)
	mux.Handle("GET "+StaticPrefix, r.StaticHandler())
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		r.Render(w, req, http.StatusOK, page, data)
	})
	return i18n.Middleware(mux)
}

func mustNew(t *testing.T, pageSets ...fs.FS) *Renderer {
	t.Helper()
	r, err := New(pageSets...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

type request struct {
	path           string
	acceptLanguage string
	langCookie     string
}

func do(t *testing.T, h http.Handler, rq request) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, rq.path, nil)
	if rq.acceptLanguage != "" {
		req.Header.Set("Accept-Language", rq.acceptLanguage)
	}
	if rq.langCookie != "" {
		req.AddCookie(&http.Cookie{Name: i18n.CookieName, Value: rq.langCookie})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func assertContains(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", body)
	}
}

func assertLacks(t *testing.T, body string, unwanted ...string) {
	t.Helper()
	for _, s := range unwanted {
		if strings.Contains(body, s) {
			t.Errorf("page has %q, want it absent", s)
		}
	}
}

func TestHomePageEnglish(t *testing.T) {
	h := newTestServer(t, mustNew(t), "home", nil)
	rec := do(t, h, request{path: "/"})

	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if got := rec.Header().Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := rec.Header().Get("Content-Language"); got != "en" {
		t.Errorf("Content-Language = %q, want en", got)
	}
	assertContains(t, rec.Body.String(),
		`<html lang="en">`,
		`<title>Welcome to ecrm · ecrm</title>`,
		`<a class="skip-link" href="#main">Skip to main content</a>`,
		`<main id="main" tabindex="-1">`,
		`<a class="brand" href="/">ecrm Bank</a>`,
		`<h1 id="home-title">Welcome to ecrm</h1>`,
		`<p class="lead">Your accounts, policies and investments in one place, with offers chosen for you.</p>`,
		`<li>Compare loans and deposits with the financial calculator. <a href="/portal/calculators/loan" id="home-loan">Loan calculator</a> · <a href="/portal/calculators/deposit" id="home-deposit">Deposit calculator</a></li>`,
		`<p>Log in securely with your bank&#39;s sign-in page.</p>`,
		`<a class="button button-large" href="/login">Log in</a>`,
		`<nav class="language-switch" aria-label="Language">`,
		`<span lang="en" aria-current="true">English</span>`,
		`<a href="/lang?back=%2F&amp;to=ro" lang="ro" hreflang="ro">Română</a>`,
		`<footer class="site-footer">`,
	)
	// Public page: no primary navigation, and nothing operational.
	assertLacks(t, rec.Body.String(), `class="primary-nav"`, "/healthz", "/readyz", "/metrics", "Signed in as")
}

func TestHomePageRomanian(t *testing.T) {
	h := newTestServer(t, mustNew(t), "home", nil)
	for _, rq := range []request{
		{path: "/", acceptLanguage: "ro-RO,ro;q=0.9,en;q=0.8"},
		{path: "/", acceptLanguage: "en-GB", langCookie: "ro"},
	} {
		rec := do(t, h, rq)
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d, want 200", rec.Code)
		}
		if got := rec.Header().Get("Content-Language"); got != "ro" {
			t.Errorf("Content-Language = %q, want ro", got)
		}
		assertContains(t, rec.Body.String(),
			`<html lang="ro">`,
			`<title>Bine ați venit la ecrm · ecrm</title>`,
			`<a class="skip-link" href="#main">Salt la conținutul principal</a>`,
			`<h1 id="home-title">Bine ați venit la ecrm</h1>`,
			`<h2 id="home-features">Ce puteți face aici</h2>`,
			`<li>Comparați credite și depozite cu calculatorul financiar. <a href="/portal/calculators/loan" id="home-loan">Calculator de credit</a> · <a href="/portal/calculators/deposit" id="home-deposit">Calculator de depozit</a></li>`,
			`<h2 id="home-login">Sunteți deja client?</h2>`,
			`<a class="button button-large" href="/login">Autentificare</a>`,
			`<nav class="language-switch" aria-label="Limba">`,
			`<a href="/lang?back=%2F&amp;to=en" lang="en" hreflang="en">English</a>`,
			`<span lang="ro" aria-current="true">Română</span>`,
			`<p>ecrm este un program open source pentru relația cu clienții, destinat băncilor, brokerilor și asigurătorilor.</p>`,
		)
		assertLacks(t, rec.Body.String(), "Welcome", "Log in")
	}
}

func TestLanguageSwitchComesBackToPathAndQuery(t *testing.T) {
	h := newTestServer(t, mustNew(t), "home", nil)
	rec := do(t, h, request{path: "/portal/calculators?amount=1000&term=12"})
	assertContains(t, rec.Body.String(),
		`<a href="/lang?back=%2Fportal%2Fcalculators%3Famount%3D1000%26term%3D12&amp;to=ro"`)
}

func TestPortalLayout(t *testing.T) {
	view := View{
		User:      &PageUser{Name: "Ana Popescu", Kind: "client"},
		CSRFToken: "csrf-token-123",
	}
	h := newTestServer(t, mustNew(t), "home", view)
	rec := do(t, h, request{path: "/portal/profile/edit", acceptLanguage: "ro"})
	body := rec.Body.String()
	assertContains(t, body,
		`<body class="area-portal">`,
		`<a class="brand" href="/portal">ecrm Bank</a>`,
		`<span class="area-label">Portalul clientului</span>`,
		`<button type="button" class="menu-button" aria-controls="primary-nav" aria-expanded="false" hidden>Meniu</button>`,
		`<nav class="primary-nav" id="primary-nav" aria-label="Navigare principală">`,
		`<li><a href="/portal">Prezentare generală</a></li>`,
		`<li><a href="/portal/profile" aria-current="page">Profil</a></li>`,
		`<p class="signed-in">Utilizator: Ana Popescu</p>`,
		`<form class="logout" method="post" action="/logout">`,
		`<input type="hidden" name="csrf_token" value="csrf-token-123">`,
		`>Deconectare</button>`,
	)
	// Signed in: no log-in link in the header nor on the page.
	assertLacks(t, body, "/console/clients", `href="/login"`)
	if n := strings.Count(body, `aria-current="page"`); n != 1 {
		t.Errorf("%d navigation items marked current, want 1", n)
	}
}

func TestConsoleNavigationFollowsRoles(t *testing.T) {
	tests := []struct {
		roles      []string
		want, lack []string
	}{
		{[]string{"advisor"}, []string{"/console/clients"}, nil},
		{[]string{"compliance"}, []string{"/console/clients"}, nil},
		{[]string{"admin"}, []string{"/console/clients"}, nil},
		{nil, []string{`href="/console"`}, []string{"/console/clients"}},
	}
	r := mustNew(t)
	for _, tt := range tests {
		view := View{User: &PageUser{Name: "Ion Ionescu", Kind: "staff", Roles: tt.roles}}
		rec := do(t, newTestServer(t, r, "home", view), request{path: "/console/clients/7"})
		body := rec.Body.String()
		assertContains(t, body, append([]string{`<body class="area-console">`, `<span class="area-label">Staff console</span>`}, tt.want...)...)
		assertLacks(t, body, tt.lack...)
	}
}

func TestMarkCurrent(t *testing.T) {
	tests := []struct {
		path string
		want string // Href of the current item, "" for none
	}{
		{"/portal", "/portal"},
		{"/portal/", "/portal"},
		{"/portal/profile", "/portal/profile"},
		{"/portal/profile/consents/marketing", "/portal/profile"},
		{"/portal/profilex", "/portal"},
		{"/elsewhere", ""},
	}
	for _, tt := range tests {
		items := navigationFor(AreaPortal, &PageUser{Kind: "client"})
		markCurrent(items, tt.path)
		got := ""
		for _, item := range items {
			if item.Current {
				if got != "" {
					t.Errorf("path %s: both %s and %s current", tt.path, got, item.Href)
				}
				got = item.Href
			}
		}
		if got != tt.want {
			t.Errorf("path %s: current = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestLangSwitchHandler(t *testing.T) {
	tests := []struct {
		name       string
		query      string
		wantLoc    string
		wantCookie string // "" means no cookie set
	}{
		{"to ro", "to=ro&back=/portal/offers", "/portal/offers", "ro"},
		{"to en keeps query", "to=en&back=" + "%2Fportal%3Fx%3D1%26y%3D2", "/portal?x=1&y=2", "en"},
		{"upper case", "to=RO&back=/", "/", "ro"},
		{"unsupported language", "to=fr&back=/portal", "/portal", ""},
		{"no back", "to=ro", "/", "ro"},
		{"protocol-relative", "to=ro&back=//evil.com", "/", "ro"},
		{"protocol-relative path", "to=ro&back=//evil.com/portal", "/", "ro"},
		{"triple slash", "to=ro&back=///evil.com", "/", "ro"},
		{"absolute URL", "to=ro&back=https://evil.com", "/", "ro"},
		{"absolute URL encoded", "to=ro&back=https%3A%2F%2Fevil.com%2F", "/", "ro"},
		{"backslash", "to=ro&back=/%5Cevil", "/", "ro"},
		{"backslash host", "to=ro&back=%5C%5Cevil.com", "/", "ro"},
		{"tab", "to=ro&back=/%09/evil.com", "/", "ro"},
		{"newline header injection", "to=ro&back=/%0D%0ASet-Cookie:x=y", "/", "ro"},
		{"scheme", "to=ro&back=javascript:alert(1)", "/", "ro"},
		{"relative", "to=ro&back=evil.com", "/", "ro"},
		{"userinfo", "to=ro&back=/@evil.com", "/@evil.com", "ro"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/lang?"+tt.query, nil)
			rec := httptest.NewRecorder()
			LangSwitchHandler(rec, req)
			if rec.Code != http.StatusSeeOther {
				t.Errorf("status = %d, want 303", rec.Code)
			}
			if got := rec.Header().Get("Location"); got != tt.wantLoc {
				t.Errorf("Location = %q, want %q", got, tt.wantLoc)
			}
			cookies := rec.Result().Cookies()
			if tt.wantCookie == "" {
				if len(cookies) != 0 {
					t.Errorf("cookies = %v, want none", cookies)
				}
				return
			}
			if len(cookies) != 1 {
				t.Fatalf("cookies = %v, want one", cookies)
			}
			c := cookies[0]
			if c.Name != "lang" || c.Value != tt.wantCookie || c.Path != "/" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge <= 0 {
				t.Errorf("cookie = %+v, want lang=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age>0", c, tt.wantCookie)
			}
		})
	}
}

func TestLanguageSwitchEndToEnd(t *testing.T) {
	h := newTestServer(t, mustNew(t), "home", nil)
	rec := do(t, h, request{path: "/lang?to=ro&back=%2Fportal"})
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies = %v", cookies)
	}
	rec = do(t, h, request{path: rec.Header().Get("Location"), acceptLanguage: "en", langCookie: cookies[0].Value})
	assertContains(t, rec.Body.String(), `<h1 id="home-title">Bine ați venit la ecrm</h1>`)
}

func TestRenderError(t *testing.T) {
	r := mustNew(t)
	tests := []struct {
		name              string
		acceptLanguage    string
		status            int
		title, detail, id string
		want              []string
	}{
		{
			name: "404 default wording en", status: 404, id: "req-8f3a",
			want: []string{`<title>Page not found · ecrm</title>`, `<p class="error-status">Error 404</p>`, `<h1 id="error-title">Page not found</h1>`, `<p>The page you asked for does not exist or has moved.</p>`, `<dt>Request ID</dt>`, `<dd><code>req-8f3a</code></dd>`},
		},
		{
			name: "404 default wording ro", acceptLanguage: "ro", status: 404, id: "req-8f3a",
			want: []string{`<p class="error-status">Eroare 404</p>`, `<h1 id="error-title">Pagina nu a fost găsită</h1>`, `<p>Pagina cerută nu există sau a fost mutată.</p>`, `<dt>Identificatorul cererii</dt>`, `<a href="/">Mergeți la pagina principală</a>`},
		},
		{
			name: "keys given", acceptLanguage: "ro", status: 403, title: "error.403.title", detail: "error.401.detail",
			want: []string{`<h1 id="error-title">Acces interzis</h1>`, `<p>Trebuie să vă autentificați pentru a vedea această pagină.</p>`},
		},
		{
			name: "text given is shown as is and escaped", status: 400, title: "", detail: `amount: must be positive <b>`,
			want: []string{`<h1 id="error-title">Bad request</h1>`, `<p>amount: must be positive &lt;b&gt;</p>`},
		},
		{
			name: "status without own wording", status: 418,
			want: []string{`<p class="error-status">Error 418</p>`, `<h1 id="error-title">Error</h1>`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := i18n.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				r.RenderError(w, req, tt.status, tt.title, tt.detail, tt.id)
			}))
			rec := do(t, h, request{path: "/x", acceptLanguage: tt.acceptLanguage})
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			body := rec.Body.String()
			assertContains(t, body, tt.want...)
			if tt.id == "" {
				assertLacks(t, body, `class="request-id"`)
			}
		})
	}
}

func TestRenderTemplateErrorIsACleanServerError(t *testing.T) {
	pages := fstest.MapFS{
		"broken.html": {Data: []byte(`{{define "title"}}Broken{{end}}{{define "content"}}<p>half a page</p>{{asset "missing.css"}}{{end}}`)},
	}
	r := mustNew(t, pages)
	for _, name := range []string{"broken", "no-such-page"} {
		rec := do(t, newTestServer(t, r, name, nil), request{path: "/"})
		if rec.Code != http.StatusInternalServerError {
			t.Errorf("%s: status = %d, want 500", name, rec.Code)
		}
		body := rec.Body.String()
		assertContains(t, body, `<h1 id="error-title">Something went wrong</h1>`, `</html>`)
		assertLacks(t, body, "half a page")
		if n := strings.Count(body, "<html"); n != 1 {
			t.Errorf("%s: %d <html> elements, want 1", name, n)
		}
	}
}

func TestNewWithDomainPages(t *testing.T) {
	pages := fstest.MapFS{
		"offers.html": {Data: []byte(`{{define "title"}}{{t "nav.offers"}}{{end}}{{define "content"}}<p>{{money .Data.Amount}} · {{percent .Data.Rate 2}} · {{decimal .Data.Rate 4}} · {{date .Data.When}} · {{datetime .Data.When nil}}</p>{{end}}`)},
	}
	r := mustNew(t, pages)
	data := offersData()
	rec := do(t, newTestServer(t, r, "offers", View{TitleKey: "nav.insurance", Data: data}), request{path: "/", acceptLanguage: "ro"})
	assertContains(t, rec.Body.String(),
		"<title>Asigurări · ecrm</title>",
		"<p>1.234,50\u00a0lei · 5,25\u00a0% · 0,0525 · 26 nov. 2026 · 26 nov. 2026, 14:05</p>")

	if _, err := New(fstest.MapFS{"home.html": {Data: []byte(`{{define "content"}}{{end}}`)}}); err == nil {
		t.Error("New with a second home.html: nil error, want a duplicate-name error")
	}
	if _, err := New(fstest.MapFS{"empty.html": {Data: []byte(`<p>no content template</p>`)}}); err == nil {
		t.Error(`New with a page defining no "content": nil error, want an error`)
	}
	if _, err := New(fstest.MapFS{"bad.html": {Data: []byte(`{{define "content"}}{{nosuchfunc}}{{end}}`)}}); err == nil {
		t.Error("New with an unknown template function: nil error, want an error")
	}
}

// TestSharedTemplates: a *.shared.html of one set is usable by every
// set's pages; a *.partial.html only by its own set's.
func TestSharedTemplates(t *testing.T) {
	risk := fstest.MapFS{
		"section.shared.html": {Data: []byte(`{{define "risk-section"}}<p id="shared">{{.}}</p>{{end}}`)},
		"own.partial.html":    {Data: []byte(`{{define "risk-own"}}own{{end}}`)},
		"risk_page.html":      {Data: []byte(`{{define "title"}}R{{end}}{{define "content"}}{{template "risk-section" "risk"}}{{template "risk-own"}}{{end}}`)},
	}
	console := fstest.MapFS{
		"console_page.html": {Data: []byte(`{{define "title"}}C{{end}}{{define "content"}}{{template "risk-section" "console"}}{{end}}`)},
	}
	r := mustNew(t, risk, console)
	for name, want := range map[string]string{"risk_page": `<p id="shared">risk</p>own`, "console_page": `<p id="shared">console</p>`} {
		rec := do(t, newTestServer(t, r, name, nil), request{path: "/"})
		assertContains(t, rec.Body.String(), want)
	}
	other := fstest.MapFS{"other.html": {Data: []byte(`{{define "title"}}O{{end}}{{define "content"}}{{template "risk-own"}}{{end}}`)}}
	rec := do(t, newTestServer(t, mustNew(t, risk, other), "other", nil), request{path: "/"})
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("another set's partial: status %d, want 500", rec.Code)
	}
}

var hashedCSS = regexp.MustCompile(`/static/app\.[0-9a-f]{10}\.css`)

func TestStaticHandler(t *testing.T) {
	r := mustNew(t)
	h := newTestServer(t, r, "home", nil)
	page := do(t, h, request{path: "/"}).Body.String()
	cssURL := hashedCSS.FindString(page)
	if cssURL == "" {
		t.Fatalf("home page links no hashed app.css:\n%s", page)
	}

	rec := do(t, h, request{path: cssURL})
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d", cssURL, rec.Code)
	}
	if got := rec.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control = %q", got)
	}
	if got := rec.Header().Get("Content-Type"); got != "text/css; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if !strings.Contains(rec.Body.String(), ".skip-link") {
		t.Error("served CSS is not app.css")
	}
	etag := rec.Header().Get("ETag")

	req := httptest.NewRequest(http.MethodGet, cssURL, nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("conditional GET: status %d, want 304", rec.Code)
	}

	rec = do(t, h, request{path: "/static/app.css"})
	if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("GET /static/app.css: status %d, Cache-Control %q; want 200, no-cache", rec.Code, rec.Header().Get("Cache-Control"))
	}
	for _, path := range []string{"/static/app.0000000000.css", "/static/nope.css", "/static/"} {
		if rec := do(t, h, request{path: path}); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, rec.Code)
		}
	}
	rec = httptest.NewRecorder()
	r.StaticHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, cssURL, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", rec.Code)
	}
}

// TestFirmNameInTheHeader: the firm's name (ECRM_FIRM_NAME) is the one
// value every header shows.
func TestFirmNameInTheHeader(t *testing.T) {
	r := mustNew(t)
	r.SetFirm("Banca Exemplu & Fiii")
	h := newTestServer(t, r, "home", View{})
	body := do(t, h, request{path: "/", acceptLanguage: "en"}).Body.String()
	assertContains(t, body, `<a class="brand" href="/">Banca Exemplu &amp; Fiii</a>`)
	assertLacks(t, body, `>ecrm Bank<`)
}
