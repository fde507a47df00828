package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/devoidc"
)

func (e *testEnv) api(method, path, token string) (*http.Response, string) {
	e.t.Helper()
	b := e.newBrowser()
	h := map[string]string{"Accept": "application/json"}
	if token != "" {
		h["Authorization"] = token
	}
	return b.do(method, e.baseURL+path, nil, h)
}

func (e *testEnv) accessToken(subject string, audience string, expires time.Time) string {
	e.t.Helper()
	tok, err := e.provider.SignAccessToken(subject, []string{audience}, expires)
	if err != nil {
		e.t.Fatal(err)
	}
	return "Bearer " + tok
}

func TestBearerTokens(t *testing.T) {
	e := newTestEnv(t, nil)
	// Link both clients' identities with a first login, as a mobile app's
	// user would have done in the browser.
	e.login(e.newBrowser(), clientSubject)
	e.login(e.newBrowser(), otherSubject)
	hour := time.Now().Add(time.Hour)

	res, body := e.api("GET", "/api/v1/me", e.accessToken(clientSubject, "ecrm-test", hour))
	if res.StatusCode != 200 || !strings.Contains(body, `"Ana Popescu"`) {
		t.Fatalf("/api/v1/me with a valid token = %d %s", res.StatusCode, body)
	}

	other, err := devoidc.New(devoidc.Config{Issuer: "http://127.0.0.1:1", DevMode: true,
		Clients: []devoidc.Client{{ID: "ecrm-test", Secret: "s", RedirectURIs: []string{"http://x/cb"}}},
		Users:   []devoidc.User{{Subject: clientSubject}}})
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := other.SignAccessToken(clientSubject, []string{"ecrm-test"}, hour)
	refused := []struct{ name, header string }{
		{"Expired", e.accessToken(clientSubject, "ecrm-test", time.Now().Add(-time.Minute))},
		{"WrongAudience", e.accessToken(clientSubject, "someone-else", hour)},
		{"UnknownIssuer", "Bearer " + foreign},
		{"Garbage", "Bearer not.a.jwt"},
		{"Empty", "Bearer "},
		{"Basic", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"},
	}
	for _, tt := range refused {
		res, body := e.api("GET", "/api/v1/me", tt.header)
		if res.StatusCode != 401 || res.Header.Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(res.Header.Get("WWW-Authenticate"), "invalid_token") || !strings.Contains(body, "not valid for this service") {
			t.Errorf("%s token: %d %q %s", tt.name, res.StatusCode, res.Header.Get("WWW-Authenticate"), body)
		}
	}
	if res, _ := e.api("GET", "/api/v1/me", ""); res.StatusCode != 401 {
		t.Errorf("anonymous /api/v1/me = %d, want 401", res.StatusCode)
	}
}

// TestClientRoutesAreScopedToTheCaller checks through the real login and
// token stack that a client cannot read or change another client's
// records, and that staff and anonymous callers are kept out of the portal.
func TestClientRoutesAreScopedToTheCaller(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	var anaAccount int64
	if err := e.pool.QueryRow(ctx, `
		INSERT INTO accounts (client_id, kind, iban, name, currency, balance, opened_on)
		VALUES (1, 'current', 'RO49AAAA1B31007593840000', 'Ana current', 'EUR', 100, '2020-01-15') RETURNING id`).Scan(&anaAccount); err != nil {
		t.Fatal(err)
	}
	e.login(e.newBrowser(), clientSubject)
	e.login(e.newBrowser(), otherSubject)
	e.login(e.newBrowser(), advisorSubject)
	hour := time.Now().Add(time.Hour)
	ion := e.accessToken(otherSubject, "ecrm-test", hour)
	ana := e.accessToken(clientSubject, "ecrm-test", hour)
	acct := strconv.FormatInt(anaAccount, 10)

	if res, _ := e.api("GET", "/api/v1/me/accounts/"+acct+"/transactions", ana); res.StatusCode != 200 {
		t.Fatalf("owner reading her account = %d", res.StatusCode)
	}
	if res, _ := e.api("GET", "/api/v1/me/accounts/"+acct+"/transactions", ion); res.StatusCode != 404 {
		t.Errorf("another client reading the account = %d, want 404", res.StatusCode)
	}
	res, body := e.api("GET", "/api/v1/me", ion)
	if res.StatusCode != 200 || strings.Contains(body, "Ana") || strings.Contains(body, acct+",") {
		t.Errorf("another client's /api/v1/me shows Ana's data: %s", body)
	}
	// A browser session of the other client cannot open the account page.
	ionBrowser := e.newBrowser()
	e.login(ionBrowser, otherSubject)
	if res, _ := ionBrowser.get(e.baseURL + "/portal/accounts/" + acct); res.StatusCode != 404 {
		t.Errorf("another client's browser on the account page = %d, want 404", res.StatusCode)
	}
	// Staff are not clients: the portal API refuses them.
	maria := e.accessToken(advisorSubject, "ecrm-test", hour)
	if res, _ := e.api("GET", "/api/v1/me", maria); res.StatusCode != 403 {
		t.Errorf("advisor on /api/v1/me = %d, want 403", res.StatusCode)
	}
	// The advisor's client API is scoped to her book (Ana yes, Ion no).
	if res, _ := e.api("GET", "/api/v1/clients/1", maria); res.StatusCode != 200 {
		t.Errorf("advisor reading a client of her book = %d", res.StatusCode)
	}
	if res, _ := e.api("GET", "/api/v1/clients/2", maria); res.StatusCode != 404 {
		t.Errorf("advisor reading a client outside her book = %d, want 404", res.StatusCode)
	}
	if res, _ := e.api("GET", "/api/v1/clients/1", ana); res.StatusCode != 403 {
		t.Errorf("client on the staff API = %d, want 403", res.StatusCode)
	}
	for _, path := range []string{"/api/v1/me", "/api/v1/me/accounts/" + acct + "/transactions", "/api/v1/me/export", "/api/v1/clients", "/api/v1/clients/1"} {
		if res, _ := e.api("GET", path, ""); res.StatusCode != 401 {
			t.Errorf("anonymous GET %s = %d, want 401", path, res.StatusCode)
		}
	}
}
