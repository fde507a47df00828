package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/devoidc"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// testEnv is ecrm served over HTTP with a development OpenID provider, a
// fresh database and the demo people inserted.
type testEnv struct {
	t        *testing.T
	provider *devoidc.Provider
	issuer   string
	baseURL  string
	pool     *pgxpool.Pool
	app      *app
	// tokenFilter, when set, rewrites the provider's token responses (to
	// play a provider that answers with a bad ID token).
	tokenFilter func(map[string]any)
	// providerSkew moves the provider's clock (the auth_time it states).
	providerSkew atomic.Int64
}

const (
	clientSubject  = "sub-ana"
	otherSubject   = "sub-ion"
	advisorSubject = "sub-maria"
)

func newTestEnv(t *testing.T, extraEnv map[string]string) *testEnv {
	t.Helper()
	e := &testEnv{t: t}
	providerSrv := httptest.NewUnstartedServer(nil)
	appSrv := httptest.NewUnstartedServer(nil)
	e.issuer = "http://" + providerSrv.Listener.Addr().String()
	e.baseURL = "http://" + appSrv.Listener.Addr().String()

	var err error
	e.provider, err = devoidc.New(devoidc.Config{
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Issuer:  e.issuer,
		DevMode: true,
		Now:     func() time.Time { return time.Now().Add(time.Duration(e.providerSkew.Load())) },
		Clients: []devoidc.Client{{ID: "ecrm-test", Secret: "test-secret", RedirectURIs: []string{e.baseURL + "/auth/callback"}, PostLogoutRedirectURIs: []string{e.baseURL + "/"}}},
		Users: []devoidc.User{
			{Subject: clientSubject, Email: "ana@example.com", EmailVerified: true, Name: "Ana Popescu"},
			{Subject: otherSubject, Email: "ion@example.com", EmailVerified: true, Name: "Ion Popa"},
			{Subject: advisorSubject, Email: "maria@bank.example", EmailVerified: true, Name: "Maria Ionescu", Groups: []string{"advisor"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	providerSrv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.tokenFilter != nil && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/token") {
			rec := httptest.NewRecorder()
			e.provider.Handler().ServeHTTP(rec, r)
			var body map[string]any
			if json.Unmarshal(rec.Body.Bytes(), &body) == nil && rec.Code == 200 {
				e.tokenFilter(body)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rec.Code)
			json.NewEncoder(w).Encode(body)
			return
		}
		e.provider.Handler().ServeHTTP(w, r)
	})
	providerSrv.Start()
	t.Cleanup(providerSrv.Close)

	dbURL := pgtest.NewURL(t)
	env := map[string]string{
		"DATABASE_URL":            dbURL,
		"ECRM_BASE_URL":           e.baseURL,
		"ECRM_OIDC_ISSUER":        e.issuer,
		"ECRM_OIDC_CLIENT_ID":     "ecrm-test",
		"ECRM_OIDC_CLIENT_SECRET": "test-secret",
	}
	for k, v := range extraEnv {
		env[k] = v
	}
	cfg, err := loadConfig(envFrom(env))
	if err != nil {
		t.Fatal(err)
	}
	e.pool, err = pgdb.Open(context.Background(), dbURL, 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.pool.Close)
	e.insertPeople()
	// The server connects as the application role, as make run does;
	// e.pool (the owner) writes the fixtures.
	appPool, err := pgdb.Open(context.Background(), pgtest.AppURL(t, dbURL), 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(appPool.Close)
	e.app, err = newApp(cfg, newLogger(cfg, io.Discard), appPool)
	if err != nil {
		t.Fatal(err)
	}
	appSrv.Config.Handler = e.app.routes()
	appSrv.Start()
	t.Cleanup(appSrv.Close)
	return e
}

func (e *testEnv) insertPeople() {
	_, err := e.pool.Exec(context.Background(), `
		INSERT INTO staff_users (id, email, display_name, roles) VALUES (1, 'maria@bank.example', 'Maria Ionescu', '{advisor}');
		INSERT INTO clients (id, given_name, family_name, email, kyc_status, kyc_verified_at, advisor_id) VALUES
			(1, 'Ana', 'Popescu', 'ana@example.com', 'verified', now(), 1),
			(2, 'Ion', 'Popa', 'ion@example.com', 'verified', now(), NULL);
		SELECT setval(pg_get_serial_sequence('clients', 'id'), 10);
		SELECT setval(pg_get_serial_sequence('staff_users', 'id'), 10);`)
	if err != nil {
		e.t.Fatal(err)
	}
}

// browser is an HTTP client with its own cookie jar that does not follow
// redirects, so each step of the login can be checked.
type browser struct {
	t      *testing.T
	client *http.Client
}

func (e *testEnv) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, target string, form url.Values, header map[string]string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	text, _ := io.ReadAll(res.Body)
	return res, string(text)
}

func (b *browser) get(target string) (*http.Response, string) { return b.do("GET", target, nil, nil) }

func location(t *testing.T, res *http.Response) string {
	t.Helper()
	loc := res.Header.Get("Location")
	if loc == "" {
		t.Fatalf("status %d without Location", res.StatusCode)
	}
	return loc
}

// startLogin goes from /login to the provider's login page and returns the
// provider's auth request id.
func (e *testEnv) startLogin(b *browser) string {
	e.t.Helper()
	return e.startLoginAt(b, "/login")
}

func (e *testEnv) startLoginAt(b *browser, loginPath string) string {
	e.t.Helper()
	res, _ := b.get(e.baseURL + loginPath)
	if res.StatusCode != http.StatusFound {
		e.t.Fatalf("/login = %d, want 302 to the provider", res.StatusCode)
	}
	authURL := location(e.t, res)
	u, _ := url.Parse(authURL)
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "" {
		e.t.Fatalf("authorization request lacks PKCE S256, state or nonce: %s", authURL)
	}
	if q.Get("redirect_uri") != e.baseURL+"/auth/callback" {
		e.t.Fatalf("redirect_uri = %q", q.Get("redirect_uri"))
	}
	res, _ = b.get(authURL)
	loginURL, _ := url.Parse(location(e.t, res))
	id := loginURL.Query().Get("authRequestID")
	if id == "" {
		e.t.Fatalf("provider did not send us to its login page: %s", loginURL)
	}
	return id
}

// chooseUser completes the login at the provider and returns the callback
// URL it redirects to (with code and state), without following it.
func (e *testEnv) chooseUser(b *browser, authRequestID, subject string) string {
	e.t.Helper()
	res, _ := b.do("POST", e.issuer+"/login", url.Values{"authRequestID": {authRequestID}, "user": {subject}}, nil)
	for i := 0; i < 5 && res.StatusCode/100 == 3; i++ {
		loc := location(e.t, res)
		if strings.HasPrefix(loc, e.baseURL+"/auth/callback") {
			return loc
		}
		if strings.HasPrefix(loc, "/") {
			loc = e.issuer + loc
		}
		res, _ = b.get(loc)
	}
	e.t.Fatalf("provider did not redirect to the callback (status %d)", res.StatusCode)
	return ""
}

// login logs the browser in as subject and returns where ecrm sent it.
func (e *testEnv) login(b *browser, subject string) string {
	e.t.Helper()
	callback := e.chooseUser(b, e.startLogin(b), subject)
	res, body := b.get(callback)
	if res.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("callback = %d, want 303; body: %s", res.StatusCode, body)
	}
	return location(e.t, res)
}

func sessionCookie(t *testing.T, b *browser, baseURL string) *http.Cookie {
	u, _ := url.Parse(baseURL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "ecrm_session" {
			return c
		}
	}
	return nil
}

func TestLoginAsClientAndLogout(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.newBrowser()

	id := e.startLogin(b)
	before := sessionCookie(t, b, e.baseURL)
	if before == nil {
		t.Fatal("no session cookie holding the login state")
	}
	callback := e.chooseUser(b, id, clientSubject)
	res, _ := b.get(callback)
	if res.StatusCode != http.StatusSeeOther || location(t, res) != "/portal" {
		t.Fatalf("callback = %d → %q, want 303 → /portal", res.StatusCode, res.Header.Get("Location"))
	}
	var setCookie string
	for _, c := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "ecrm_session=") {
			setCookie = c
		}
	}
	for _, attr := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(setCookie, attr) {
			t.Errorf("session cookie %q lacks %s", setCookie, attr)
		}
	}
	if strings.Contains(setCookie, "Secure") {
		t.Errorf("session cookie is Secure on an http base URL: %q", setCookie)
	}
	after := sessionCookie(t, b, e.baseURL)
	if after == nil || after.Value == before.Value {
		t.Fatal("the session id was not renewed at login")
	}
	res, body := b.get(e.baseURL + "/portal")
	if res.StatusCode != 200 || !strings.Contains(body, "Ana Popescu") {
		t.Fatalf("/portal after login = %d", res.StatusCode)
	}
	res, _ = b.get(e.baseURL + "/console")
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("client on /console = %d, want 403", res.StatusCode)
	}
	var lastLogin *time.Time
	e.pool.QueryRow(context.Background(), `SELECT last_login_at FROM identities WHERE subject = $1`, clientSubject).Scan(&lastLogin)
	if lastLogin == nil {
		t.Fatal("identity not linked or last login not recorded")
	}

	res, _ = b.do("POST", e.baseURL+"/logout", url.Values{}, nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(location(t, res), e.issuer) || !strings.Contains(location(t, res), "id_token_hint=") {
		t.Fatalf("logout = %d → %q, want the provider's end_session_endpoint", res.StatusCode, res.Header.Get("Location"))
	}
	endSession := location(t, res)
	var sessions int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM sessions`).Scan(&sessions); err != nil || sessions != 1 {
		t.Fatalf("%d sessions after logout (%v), want only the new anonymous one carrying the confirmation", sessions, err)
	}
	// The provider sends the browser home, where the logout is confirmed
	// once: a reload is an ordinary home page.
	res, _ = b.get(endSession)
	if res.StatusCode != http.StatusFound && res.StatusCode != http.StatusSeeOther || location(t, res) != e.baseURL+"/" {
		t.Fatalf("end session = %d → %q, want the home page", res.StatusCode, res.Header.Get("Location"))
	}
	if _, body := b.get(e.baseURL + "/"); !strings.Contains(body, `id="logged-out"`) || !strings.Contains(body, "You are logged out.") {
		t.Errorf("home after logout does not confirm it")
	}
	if _, body := b.get(e.baseURL + "/"); strings.Contains(body, `id="logged-out"`) {
		t.Errorf("the logout confirmation shows again on reload")
	}
	// The old cookie no longer works, even if replayed.
	replay := e.newBrowser()
	u, _ := url.Parse(e.baseURL)
	replay.client.Jar.SetCookies(u, []*http.Cookie{after})
	res, _ = replay.get(e.baseURL + "/portal")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(location(t, res), "/login") {
		t.Fatalf("/portal with the logged-out cookie = %d, want a redirect to /login", res.StatusCode)
	}
}

func TestLoginAsAdvisorLandsOnConsole(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.newBrowser()
	if got := e.login(b, advisorSubject); got != "/console" {
		t.Fatalf("advisor lands on %q", got)
	}
	if res, _ := b.get(e.baseURL + "/console"); res.StatusCode != 200 {
		t.Fatalf("/console = %d", res.StatusCode)
	}
	if res, _ := b.get(e.baseURL + "/portal"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("advisor on /portal = %d, want 403", res.StatusCode)
	}
}

func TestLoginReturnsToRequestedPageOnlyIfLocal(t *testing.T) {
	e := newTestEnv(t, nil)
	res, _ := e.newBrowser().get(e.baseURL + "/portal/profile")
	if res.StatusCode != http.StatusSeeOther || location(t, res) != "/login?return_to=%2Fportal%2Fprofile" {
		t.Fatalf("anonymous /portal/profile = %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	tests := []struct{ returnTo, want string }{
		{"%2Fportal%3Ftab%3D1", "/portal?tab=1"},
		{"https%3A%2F%2Fevil.example%2F", "/portal"},
		{"%2F%2Fevil.example", "/portal"},
		{"%2F%5Cevil.example", "/portal"},
	}
	for _, tt := range tests {
		b := e.newBrowser()
		callback := e.chooseUser(b, e.startLoginAt(b, "/login?return_to="+tt.returnTo), clientSubject)
		res, _ := b.get(callback)
		if got := location(t, res); got != tt.want {
			t.Errorf("return_to=%s: lands on %q, want %q", tt.returnTo, got, tt.want)
		}
	}
}

// noPrincipal checks that a browser's session carries no principal.
func (e *testEnv) noPrincipal(b *browser) {
	e.t.Helper()
	res, _ := b.get(e.baseURL + "/portal")
	if res.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("/portal = %d after a failed login, want a redirect to /login (no half-created session)", res.StatusCode)
	}
	var identities int
	e.pool.QueryRow(context.Background(), `SELECT count(*) FROM identities`).Scan(&identities)
	if identities != 0 {
		e.t.Fatalf("a failed login linked %d identities", identities)
	}
}

func TestCallbackRejectsBadInput(t *testing.T) {
	t.Run("TamperedState", func(t *testing.T) {
		e := newTestEnv(t, nil)
		b := e.newBrowser()
		callback := e.chooseUser(b, e.startLogin(b), clientSubject)
		u, _ := url.Parse(callback)
		q := u.Query()
		q.Set("state", q.Get("state")+"x")
		u.RawQuery = q.Encode()
		res, body := b.get(u.String())
		if res.StatusCode != 400 || !strings.Contains(body, "did not match the login you started") {
			t.Fatalf("tampered state = %d", res.StatusCode)
		}
		e.noPrincipal(b)
	})
	t.Run("MissingState", func(t *testing.T) {
		e := newTestEnv(t, nil)
		b := e.newBrowser()
		callback := e.chooseUser(b, e.startLogin(b), clientSubject)
		u, _ := url.Parse(callback)
		q := u.Query()
		q.Del("state")
		u.RawQuery = q.Encode()
		if res, _ := b.get(u.String()); res.StatusCode != 400 {
			t.Fatalf("missing state = %d, want 400", res.StatusCode)
		}
		e.noPrincipal(b)
	})
	t.Run("NoLoginPending", func(t *testing.T) {
		e := newTestEnv(t, nil)
		res, body := e.newBrowser().get(e.baseURL + "/auth/callback?code=abc&state=def")
		if res.StatusCode != 400 || !strings.Contains(body, "expired or was already used") {
			t.Fatalf("callback without login = %d", res.StatusCode)
		}
	})
	t.Run("ReplayedCode", func(t *testing.T) {
		e := newTestEnv(t, nil)
		b := e.newBrowser()
		callback := e.chooseUser(b, e.startLogin(b), clientSubject)
		if res, _ := b.get(callback); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("first use = %d", res.StatusCode)
		}
		// An attacker's browser starts its own login, then replays the
		// victim's code with its own (valid) state.
		attacker := e.newBrowser()
		e.startLogin(attacker)
		stateOf := func(b *browser) string {
			res, _ := b.get(e.baseURL + "/login")
			u, _ := url.Parse(location(t, res))
			return u.Query().Get("state")
		}
		u, _ := url.Parse(callback)
		q := u.Query()
		q.Set("state", stateOf(attacker))
		u.RawQuery = q.Encode()
		res, body := attacker.get(u.String())
		if res.StatusCode != 400 || !strings.Contains(body, "refused the authorization code") {
			t.Fatalf("replayed code = %d: %s", res.StatusCode, body)
		}
		res, _ = attacker.get(e.baseURL + "/portal")
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("attacker reached /portal: %d", res.StatusCode)
		}
	})
	t.Run("ProviderError", func(t *testing.T) {
		e := newTestEnv(t, nil)
		b := e.newBrowser()
		id := e.startLogin(b)
		res, _ := b.do("POST", e.issuer+"/login", url.Values{"authRequestID": {id}, "cancel": {"1"}}, nil)
		for i := 0; i < 5 && !strings.HasPrefix(res.Header.Get("Location"), e.baseURL); i++ {
			loc := location(t, res)
			if strings.HasPrefix(loc, "/") {
				loc = e.issuer + loc
			}
			res, _ = b.get(loc)
		}
		res, body := b.get(location(t, res))
		if res.StatusCode != 401 || !strings.Contains(body, "did not complete the login") {
			t.Fatalf("access_denied = %d", res.StatusCode)
		}
		e.noPrincipal(b)
	})
}

// TestCallbackRejectsBadIDTokens plays a provider whose token endpoint
// answers with an ID token that must not be accepted.
func TestCallbackRejectsBadIDTokens(t *testing.T) {
	tests := []struct {
		name   string
		claims map[string]any
	}{
		{"WrongNonce", map[string]any{"nonce": "not-the-nonce"}},
		{"Expired", map[string]any{"exp": time.Now().Add(-time.Hour).Unix(), "iat": time.Now().Add(-2 * time.Hour).Unix()}},
		{"WrongAudience", map[string]any{"aud": "another-client"}},
		{"WrongIssuer", map[string]any{"iss": "https://evil.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, nil)
			e.tokenFilter = func(body map[string]any) {
				raw, _ := body["id_token"].(string)
				parts := strings.Split(raw, ".")
				var claims map[string]any
				payload, _ := base64URLDecode(parts[1])
				json.Unmarshal(payload, &claims)
				for k, v := range tt.claims {
					claims[k] = v
				}
				signed, err := e.provider.SignIDToken(claims)
				if err != nil {
					t.Fatal(err)
				}
				body["id_token"] = signed
			}
			b := e.newBrowser()
			res, body := b.get(e.chooseUser(b, e.startLogin(b), clientSubject))
			if res.StatusCode != 401 || !strings.Contains(body, "could not be verified") {
				t.Fatalf("callback with %s = %d", tt.name, res.StatusCode)
			}
			e.noPrincipal(b)
		})
	}
}

func TestProviderDown(t *testing.T) {
	e := newTestEnv(t, map[string]string{"ECRM_OIDC_ISSUER": "http://127.0.0.1:1"})
	b := e.newBrowser()
	res, body := b.get(e.baseURL + "/login")
	if res.StatusCode != 503 || !strings.Contains(body, "cannot be reached") {
		t.Fatalf("/login with the provider down = %d", res.StatusCode)
	}
	if res, _ := b.get(e.baseURL + "/"); res.StatusCode != 200 {
		t.Fatalf("public home page with the provider down = %d", res.StatusCode)
	}
	if res, _ := b.get(e.baseURL + "/readyz"); res.StatusCode != 200 {
		t.Fatalf("/readyz must not depend on the identity provider: %d", res.StatusCode)
	}
}

func TestSessionIdleTimeout(t *testing.T) {
	// The test moves the stored expiry instead of waiting 15 minutes, so
	// the replica's session cache (which lasts a second) is off here;
	// internal/identity tests the cache against the expiry.
	e := newTestEnv(t, map[string]string{"ECRM_SESSION_CACHE_TTL": "0"})
	b := e.newBrowser()
	e.login(b, clientSubject)
	if res, _ := b.get(e.baseURL + "/portal"); res.StatusCode != 200 {
		t.Fatalf("/portal = %d", res.StatusCode)
	}
	// Idle past the timeout: the stored expiry is in the past.
	if _, err := e.pool.Exec(context.Background(), `UPDATE sessions SET expiry = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if res, _ := b.get(e.baseURL + "/portal"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("/portal after the idle timeout = %d, want a redirect to /login", res.StatusCode)
	}
}

func TestCrossSitePostIsRefused(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.newBrowser()
	e.login(b, clientSubject)
	res, _ := b.do("POST", e.baseURL+"/logout", url.Values{}, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST /logout = %d, want 403", res.StatusCode)
	}
	if res, _ := b.get(e.baseURL + "/portal"); res.StatusCode != 200 {
		t.Fatalf("the refused request ended the session: /portal = %d", res.StatusCode)
	}
}

func TestSecurityHeadersOnPages(t *testing.T) {
	e := newTestEnv(t, nil)
	res, _ := e.newBrowser().get(e.baseURL + "/")
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "script-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	if res.Header.Get("Referrer-Policy") == "" || res.Header.Get("Strict-Transport-Security") != "" {
		t.Errorf("Referrer-Policy %q, HSTS %q (HSTS only behind https)", res.Header.Get("Referrer-Policy"), res.Header.Get("Strict-Transport-Security"))
	}
}

// TestProviderLoginPageInTheReadersLanguage: a person reading ecrm in
// Romanian is asked for ui_locales=ro, and the development provider's login
// page is then in Romanian, demo users' descriptions included.
func TestProviderLoginPageInTheReadersLanguage(t *testing.T) {
	e := newTestEnv(t, nil)
	e.withDemoPeople()
	for _, tc := range []struct{ lang, want, title, description string }{
		{"en", "en", "<h1>Sign in</h1>", "Client — accounts, portfolio, policies and credit lines"},
		{"ro", "ro", "<h1>Autentificare</h1>", "Client — conturi, portofoliu, polițe și linii de credit"},
	} {
		b := e.newBrowser()
		b.get(e.baseURL + "/lang?to=" + tc.lang + "&back=%2F")
		res, _ := b.get(e.baseURL + "/login")
		authURL, _ := url.Parse(location(t, res))
		if got := authURL.Query().Get("ui_locales"); got != tc.want {
			t.Errorf("%s: ui_locales = %q", tc.lang, got)
		}
		res, _ = b.get(authURL.String())
		loginURL := location(t, res)
		if strings.HasPrefix(loginURL, "/") {
			loginURL = e.issuer + loginURL
		}
		_, page := b.get(loginURL)
		for _, want := range []string{`<html lang="` + tc.want + `">`, tc.title, tc.description} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: the provider's login page lacks %q", tc.lang, want)
			}
		}
		if strings.Contains(page, "auth.dev.") {
			t.Errorf("%s: the login page shows a message key", tc.lang)
		}
	}
}
