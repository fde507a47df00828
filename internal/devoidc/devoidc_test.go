package devoidc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ecrm-project/ecrm/internal/devoidc"
)

// The relying party in these tests is what ecrm is: go-oidc plus x/oauth2,
// Authorization Code with PKCE S256, state and nonce. Its redirect URI is on
// a host that does not exist; the test browser stops at the redirect to it
// and reads the code from the Location header.
const (
	clientID      = "ecrm"
	clientSecret  = "dev-secret"
	rpHost        = "rp.test"
	redirectURI   = "http://rp.test/auth/callback"
	postLogoutURI = "http://rp.test/"
)

var testUsers = []devoidc.User{
	{
		Subject: "ana", Email: "ana.popescu@example.com", EmailVerified: true,
		Name: "Ana Popescu", GivenName: "Ana", FamilyName: "Popescu",
		Description: "Client — Ana Popescu",
	},
	{
		Subject: "mihai", Email: "mihai.ionescu@bank.example", EmailVerified: true,
		Name: "Mihai Ionescu", GivenName: "Mihai", FamilyName: "Ionescu",
		Groups: []string{"advisor", "compliance"}, Description: "Advisor and compliance officer",
	},
}

func testConfig(issuer string) devoidc.Config {
	return devoidc.Config{
		Issuer:  issuer,
		DevMode: true,
		Clients: []devoidc.Client{{
			ID: clientID, Secret: clientSecret,
			RedirectURIs:           []string{redirectURI},
			PostLogoutRedirectURIs: []string{postLogoutURI},
		}},
		Users: testUsers,
	}
}

type fixture struct {
	op     *devoidc.Provider
	rp     *oidc.Provider
	oauth2 *oauth2.Config
}

type fixtureOption func(*devoidc.Config)

// newFixture starts a provider on a local port, with the issuer path given
// ("" or e.g. "/dev-oidc"), and discovers it as a relying party.
func newFixture(t *testing.T, issuerPath string, opts ...fixtureOption) *fixture {
	t.Helper()
	// The listener exists before the provider, so the issuer can name its
	// port; the handler is set before the server starts.
	srv := httptest.NewUnstartedServer(nil)
	cfg := testConfig("http://" + srv.Listener.Addr().String() + issuerPath)
	for _, o := range opts {
		o(&cfg)
	}
	p, err := devoidc.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv.Config.Handler = p.Handler()
	srv.Start()
	t.Cleanup(srv.Close)

	rp, err := oidc.NewProvider(context.Background(), p.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &fixture{
		op: p,
		rp: rp,
		oauth2: &oauth2.Config{
			ClientID:     clientID,
			ClientSecret: clientSecret,
			Endpoint:     rp.Endpoint(),
			RedirectURL:  redirectURI,
			Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
		},
	}
}

// loginAttempt is the relying party's state for one login.
type loginAttempt struct {
	state, nonce, verifier string
}

func newAttempt() loginAttempt {
	return loginAttempt{state: oauth2.GenerateVerifier(), nonce: oauth2.GenerateVerifier(), verifier: oauth2.GenerateVerifier()}
}

func (f *fixture) authURL(a loginAttempt) string {
	return f.oauth2.AuthCodeURL(a.state, oidc.Nonce(a.nonce), oauth2.S256ChallengeOption(a.verifier))
}

// newBrowser follows redirects like a browser but stops at the relying
// party, returning the redirect to it.
func newBrowser() *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host == rpHost {
				return http.ErrUseLastResponse
			}
			if len(via) >= 10 {
				return errors.New("too many redirects")
			}
			return nil
		},
	}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp, readBody(t, resp)
}

func postForm(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	return resp, readBody(t, resp)
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

// openLoginPage follows an authorization URL to the login page and returns
// the page's URL (which carries authRequestID) and body.
func openLoginPage(t *testing.T, authURL string) (*url.URL, *http.Response, string) {
	t.Helper()
	resp, body := get(t, newBrowser(), authURL)
	if resp.StatusCode != http.StatusOK || !strings.HasSuffix(resp.Request.URL.Path, "/login") {
		t.Fatalf("authorize ended at %s with %d, want the login page: %s", resp.Request.URL, resp.StatusCode, body)
	}
	return resp.Request.URL, resp, body
}

// submitLogin is the documented non-interactive login: post the login form
// with the page's authRequestID and the user's subject.
func submitLogin(t *testing.T, loginPage *url.URL, form url.Values) (*http.Response, string) {
	t.Helper()
	form.Set("authRequestID", loginPage.Query().Get("authRequestID"))
	action := *loginPage
	action.RawQuery = ""
	return postForm(t, newBrowser(), action.String(), form)
}

// signIn runs the browser's part of the flow as subject and returns the
// redirect to the relying party's redirect URI.
func signIn(t *testing.T, authURL, subject string) *url.URL {
	t.Helper()
	page, _, _ := openLoginPage(t, authURL)
	resp, body := submitLogin(t, page, url.Values{"user": {subject}})
	return rpRedirect(t, resp, body)
}

func rpRedirect(t *testing.T, resp *http.Response, body string) *url.URL {
	t.Helper()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil || loc.Host != rpHost {
		t.Fatalf("got %d (Location %q), want a redirect to the relying party: %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	return loc
}

// codeFor runs authorize and login and returns the authorization code.
func (f *fixture) codeFor(t *testing.T, a loginAttempt, subject string) string {
	t.Helper()
	cb := signIn(t, f.authURL(a), subject)
	q := cb.Query()
	if q.Get("state") != a.state {
		t.Fatalf("state = %q, want %q", q.Get("state"), a.state)
	}
	if q.Get("error") != "" || q.Get("code") == "" {
		t.Fatalf("callback %s has no code", cb)
	}
	return q.Get("code")
}

// login runs the whole flow and returns the token response.
func (f *fixture) login(t *testing.T, subject string) (*oauth2.Token, loginAttempt) {
	t.Helper()
	a := newAttempt()
	code := f.codeFor(t, a, subject)
	tok, err := f.oauth2.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok, a
}

type userClaims struct {
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name"`
	GivenName     string   `json:"given_name"`
	FamilyName    string   `json:"family_name"`
	Groups        []string `json:"groups"`
}

func wantUserClaims(t *testing.T, what string, got userClaims, u devoidc.User) {
	t.Helper()
	want := userClaims{Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name, GivenName: u.GivenName, FamilyName: u.FamilyName, Groups: u.Groups}
	if want.Groups == nil {
		want.Groups = []string{}
	}
	if got.Email != want.Email || got.EmailVerified != want.EmailVerified || got.Name != want.Name ||
		got.GivenName != want.GivenName || got.FamilyName != want.FamilyName || !slices.Equal(got.Groups, want.Groups) ||
		got.Groups == nil {
		t.Errorf("%s claims mismatch:\n got %+v\nwant %+v", what, got, want)
	}
}

func oauthErrorCode(t *testing.T, err error) string {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not an OAuth2 error response", err)
	}
	return re.ErrorCode
}

func TestCodeFlow(t *testing.T) {
	for _, tc := range []struct {
		name       string
		issuerPath string
		authStyle  oauth2.AuthStyle
		subject    string
	}{
		{"ClientSecretBasic", "", oauth2.AuthStyleInHeader, "mihai"},
		{"ClientSecretPost", "", oauth2.AuthStyleInParams, "ana"},
		{"IssuerWithPath", "/dev-oidc", oauth2.AuthStyleInHeader, "mihai"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.issuerPath)
			f.oauth2.Endpoint.AuthStyle = tc.authStyle
			ctx := context.Background()

			var meta struct {
				EndSession      string   `json:"end_session_endpoint"`
				CodeChallenge   []string `json:"code_challenge_methods_supported"`
				ClaimsSupported []string `json:"claims_supported"`
				ResponseTypes   []string `json:"response_types_supported"`
				GrantTypes      []string `json:"grant_types_supported"`
				TokenAuth       []string `json:"token_endpoint_auth_methods_supported"`
				DeviceEndpoint  string   `json:"device_authorization_endpoint"`
			}
			if err := f.rp.Claims(&meta); err != nil {
				t.Fatal(err)
			}
			if meta.EndSession != f.op.Issuer()+"/end_session" {
				t.Errorf("end_session_endpoint = %q", meta.EndSession)
			}
			if !slices.Equal(meta.CodeChallenge, []string{"S256"}) {
				t.Errorf("code_challenge_methods_supported = %q, want [S256]", meta.CodeChallenge)
			}
			if !slices.Contains(meta.ClaimsSupported, "groups") {
				t.Errorf("claims_supported = %q, want groups listed", meta.ClaimsSupported)
			}
			// Discovery lists only what this provider does.
			if !slices.Equal(meta.ResponseTypes, []string{"code"}) || !slices.Equal(meta.GrantTypes, []string{"authorization_code"}) ||
				!slices.Equal(meta.TokenAuth, []string{"client_secret_basic", "client_secret_post"}) || meta.DeviceEndpoint != "" {
				t.Errorf("discovery advertises more than the code flow: %+v", meta)
			}

			tok, a := f.login(t, tc.subject)
			rawIDToken, _ := tok.Extra("id_token").(string)
			if rawIDToken == "" {
				t.Fatal("token response has no id_token")
			}
			idToken, err := f.rp.Verifier(&oidc.Config{ClientID: clientID}).Verify(ctx, rawIDToken)
			if err != nil {
				t.Fatalf("verify ID token: %v", err)
			}
			if idToken.Nonce != a.nonce {
				t.Errorf("nonce = %q, want %q", idToken.Nonce, a.nonce)
			}
			if idToken.Subject != tc.subject || idToken.Issuer != f.op.Issuer() {
				t.Errorf("sub, iss = %q, %q", idToken.Subject, idToken.Issuer)
			}
			user := testUsers[slices.IndexFunc(testUsers, func(u devoidc.User) bool { return u.Subject == tc.subject })]
			var claims userClaims
			if err := idToken.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			wantUserClaims(t, "ID token", claims, user)

			info, err := f.rp.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			var infoClaims userClaims
			if err := info.Claims(&infoClaims); err != nil {
				t.Fatal(err)
			}
			if info.Subject != tc.subject {
				t.Errorf("userinfo sub = %q", info.Subject)
			}
			wantUserClaims(t, "userinfo", infoClaims, user)
		})
	}
}

func TestReplayedCodeRejected(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()
	a := newAttempt()
	code := f.codeFor(t, a, "ana")
	tok, err := f.oauth2.Exchange(ctx, code, oauth2.VerifierOption(a.verifier))
	if err != nil {
		t.Fatalf("first exchange: %v", err)
	}
	if _, err := f.rp.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err != nil {
		t.Fatalf("userinfo before replay: %v", err)
	}

	_, err = f.oauth2.Exchange(ctx, code, oauth2.VerifierOption(a.verifier))
	if got := oauthErrorCode(t, err); got != "invalid_grant" {
		t.Errorf("replayed code: error %q, want invalid_grant", got)
	}
	// RFC 6749, 4.1.2: tokens issued from a replayed code are revoked.
	if _, err := f.rp.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("userinfo accepted an access token issued from a replayed code")
	}
}

func TestWrongCodeVerifierRejected(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()

	t.Run("WrongVerifier", func(t *testing.T) {
		a := newAttempt()
		code := f.codeFor(t, a, "ana")
		_, err := f.oauth2.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
		if got := oauthErrorCode(t, err); got != "invalid_grant" {
			t.Errorf("wrong code_verifier: error %q, want invalid_grant", got)
		}
		// The code was presented once; it cannot be retried.
		_, err = f.oauth2.Exchange(ctx, code, oauth2.VerifierOption(a.verifier))
		if got := oauthErrorCode(t, err); got != "invalid_grant" {
			t.Errorf("retry with the right verifier: error %q, want invalid_grant", got)
		}
	})
	t.Run("NoVerifier", func(t *testing.T) {
		code := f.codeFor(t, newAttempt(), "ana")
		// x/oauth2's default AuthStyleAutoDetect retries a failed exchange
		// with the other client authentication style; the code is consumed
		// by then and the retry would report invalid_grant instead.
		conf := *f.oauth2
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
		_, err := conf.Exchange(ctx, code)
		if got := oauthErrorCode(t, err); got != "invalid_request" {
			t.Errorf("missing code_verifier: error %q, want invalid_request", got)
		}
	})
}

func TestWrongClientSecretRejected(t *testing.T) {
	f := newFixture(t, "")
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		a := newAttempt()
		code := f.codeFor(t, a, "ana")
		conf := *f.oauth2
		conf.ClientSecret = "wrong"
		conf.Endpoint.AuthStyle = style
		_, err := conf.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier))
		if got := oauthErrorCode(t, err); got != "invalid_client" {
			t.Errorf("auth style %d: error %q, want invalid_client", style, got)
		}
	}
}

func TestAuthorizeRejected(t *testing.T) {
	f := newFixture(t, "")
	a := newAttempt()
	withConfig := func(change func(*oauth2.Config)) *oauth2.Config {
		c := *f.oauth2
		change(&c)
		return &c
	}

	// Errors the client can be told about go to its redirect URI.
	for _, tc := range []struct {
		name      string
		authURL   string
		wantError string
	}{
		{"NoPKCE", f.oauth2.AuthCodeURL(a.state, oidc.Nonce(a.nonce)), "invalid_request"},
		{"PlainPKCE", f.oauth2.AuthCodeURL(a.state, oidc.Nonce(a.nonce),
			oauth2.SetAuthURLParam("code_challenge", a.verifier), oauth2.SetAuthURLParam("code_challenge_method", "plain")), "invalid_request"},
		{"PromptNone", f.oauth2.AuthCodeURL(a.state, oidc.Nonce(a.nonce), oauth2.S256ChallengeOption(a.verifier),
			oauth2.SetAuthURLParam("prompt", "none")), "login_required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, newBrowser(), tc.authURL)
			q := rpRedirect(t, resp, body).Query()
			if q.Get("error") != tc.wantError || q.Get("state") != a.state || q.Get("code") != "" {
				t.Errorf("redirect query %v, want error=%s with the state and no code", q, tc.wantError)
			}
		})
	}

	// Errors about the client or its redirect URI must not redirect anywhere.
	for _, tc := range []struct {
		name string
		conf *oauth2.Config
		opts []oauth2.AuthCodeOption
	}{
		// The library refuses the implicit flow to an http redirect URI
		// before it looks at the client's response types.
		{"ImplicitFlow", f.oauth2, []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("response_type", "id_token")}},
		{"UnregisteredRedirectURI", withConfig(func(c *oauth2.Config) { c.RedirectURL = "http://rp.test/evil" }), nil},
		{"RedirectURIWithExtraSlash", withConfig(func(c *oauth2.Config) { c.RedirectURL = redirectURI + "/" }), nil},
		{"RedirectURIOtherHost", withConfig(func(c *oauth2.Config) { c.RedirectURL = "http://attacker.test/auth/callback" }), nil},
		{"UnknownClient", withConfig(func(c *oauth2.Config) { c.ClientID = "nobody" }), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newBrowser()
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			opts := append([]oauth2.AuthCodeOption{oidc.Nonce(a.nonce), oauth2.S256ChallengeOption(a.verifier)}, tc.opts...)
			resp, body := get(t, c, tc.conf.AuthCodeURL(a.state, opts...))
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("got %d, Location %q; want 400 and no redirect: %s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
		})
	}
}

func TestAccessToken(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()
	verifier := f.rp.Verifier(&oidc.Config{ClientID: clientID})

	t.Run("FromTokenEndpoint", func(t *testing.T) {
		tok, _ := f.login(t, "mihai")
		at, err := verifier.Verify(ctx, tok.AccessToken)
		if err != nil {
			t.Fatalf("verify access token for audience %q: %v", clientID, err)
		}
		var claims userClaims
		if err := at.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if at.Subject != "mihai" || !slices.Equal(at.Audience, []string{clientID}) {
			t.Errorf("sub, aud = %q, %q", at.Subject, at.Audience)
		}
		wantUserClaims(t, "access token", claims, testUsers[1])
		var std struct {
			ClientID string `json:"client_id"`
			Scope    string `json:"scope"`
			JTI      string `json:"jti"`
		}
		if err := at.Claims(&std); err != nil {
			t.Fatal(err)
		}
		if std.ClientID != clientID || std.Scope != "openid profile email" || std.JTI == "" {
			t.Errorf("client_id, scope, jti = %q, %q, %q", std.ClientID, std.Scope, std.JTI)
		}
		if _, err := f.rp.Verifier(&oidc.Config{ClientID: "other-api"}).Verify(ctx, tok.AccessToken); err == nil {
			t.Error("access token verified for another audience")
		}
	})

	t.Run("Signed", func(t *testing.T) {
		raw, err := f.op.SignAccessToken("ana", []string{clientID}, time.Now().Add(5*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		at, err := verifier.Verify(ctx, raw)
		if err != nil {
			t.Fatalf("verify signed access token: %v", err)
		}
		var claims userClaims
		if err := at.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		wantUserClaims(t, "signed access token", claims, testUsers[0])
		// It is recorded like an issued token, so userinfo accepts it.
		info, err := f.rp.UserInfo(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: raw, TokenType: "Bearer"}))
		if err != nil || info.Email != testUsers[0].Email {
			t.Errorf("userinfo with a signed token: %v, %+v", err, info)
		}
	})

	t.Run("Expired", func(t *testing.T) {
		raw, err := f.op.SignAccessToken("ana", []string{clientID}, time.Now().Add(-time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		var expired *oidc.TokenExpiredError
		if _, err := verifier.Verify(ctx, raw); !errors.As(err, &expired) {
			t.Errorf("expired token: error %v, want TokenExpiredError", err)
		}
	})

	t.Run("WrongAudience", func(t *testing.T) {
		raw, err := f.op.SignAccessToken("ana", []string{"other-api"}, time.Now().Add(5*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := verifier.Verify(ctx, raw); err == nil || !strings.Contains(err.Error(), "audience") {
			t.Errorf("wrong audience: error %v, want an audience error", err)
		}
	})

	t.Run("OtherProviderInstance", func(t *testing.T) {
		// A restarted provider has a new key: old tokens no longer verify.
		other := newFixture(t, "")
		raw, err := other.op.SignAccessToken("ana", []string{clientID}, time.Now().Add(5*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.rp.Verifier(&oidc.Config{ClientID: clientID, SkipIssuerCheck: true}).Verify(ctx, raw); err == nil {
			t.Error("a token signed by another provider instance verified")
		}
	})

	t.Run("UnknownSubject", func(t *testing.T) {
		if _, err := f.op.SignAccessToken("nobody", []string{clientID}, time.Now().Add(time.Minute)); err == nil {
			t.Error("SignAccessToken accepted an unknown subject")
		}
	})

	t.Run("Revocation", func(t *testing.T) {
		tok, _ := f.login(t, "ana")
		resp, err := http.PostForm(f.op.Issuer()+"/revoke", url.Values{
			"token": {tok.AccessToken}, "token_type_hint": {"access_token"},
			"client_id": {clientID}, "client_secret": {clientSecret},
		})
		if err != nil {
			t.Fatal(err)
		}
		if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %d %s", resp.StatusCode, body)
		}
		if _, err := f.rp.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
			t.Error("userinfo accepted a revoked access token")
		}
	})

	t.Run("Introspection", func(t *testing.T) {
		tok, _ := f.login(t, "mihai")
		req, _ := http.NewRequest(http.MethodPost, f.op.Issuer()+"/oauth/introspect",
			strings.NewReader(url.Values{"token": {tok.AccessToken}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(clientID, clientSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Active bool     `json:"active"`
			Sub    string   `json:"sub"`
			Groups []string `json:"groups"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if !got.Active || got.Sub != "mihai" || !slices.Equal(got.Groups, testUsers[1].Groups) {
			t.Errorf("introspection = %+v", got)
		}
	})
}

func TestSignIDToken(t *testing.T) {
	f := newFixture(t, "")
	raw, err := f.op.SignIDToken(map[string]any{"sub": "ana", "aud": clientID, "nonce": "not-the-rp-nonce"})
	if err != nil {
		t.Fatal(err)
	}
	idToken, err := f.rp.Verifier(&oidc.Config{ClientID: clientID}).Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if idToken.Nonce != "not-the-rp-nonce" || idToken.Subject != "ana" {
		t.Errorf("nonce, sub = %q, %q", idToken.Nonce, idToken.Subject)
	}

	// A nil value removes a default claim.
	raw, err = f.op.SignIDToken(map[string]any{"sub": "ana", "aud": clientID, "exp": nil})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.rp.Verifier(&oidc.Config{ClientID: clientID}).Verify(context.Background(), raw); err == nil {
		t.Error("a token without exp verified")
	}
}

func TestNewRequiresDevMode(t *testing.T) {
	cfg := testConfig("http://127.0.0.1:8081")
	cfg.DevMode = false
	p, err := devoidc.New(cfg)
	if p != nil || !errors.Is(err, devoidc.ErrNotDevMode) {
		t.Fatalf("New without DevMode = %v, %v; want ErrNotDevMode", p, err)
	}
	if !strings.Contains(err.Error(), "ECRM_DEV_MODE=true") || !strings.Contains(err.Error(), "never in production") {
		t.Errorf("error %q should name ECRM_DEV_MODE and production", err)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*devoidc.Config)
		want   string // in the error
	}{
		{"NoIssuer", func(c *devoidc.Config) { c.Issuer = "" }, "Issuer is required"},
		{"RelativeIssuer", func(c *devoidc.Config) { c.Issuer = "127.0.0.1:8081" }, "Issuer"},
		{"IssuerTrailingSlash", func(c *devoidc.Config) { c.Issuer = "http://127.0.0.1:8081/" }, "slash"},
		{"IssuerQuery", func(c *devoidc.Config) { c.Issuer = "http://127.0.0.1:8081?x=1" }, "query"},
		{"NoClients", func(c *devoidc.Config) { c.Clients = nil }, "client"},
		{"ClientWithoutSecret", func(c *devoidc.Config) { c.Clients[0].Secret = "" }, "Secret is required"},
		{"DuplicateClient", func(c *devoidc.Config) { c.Clients = append(c.Clients, c.Clients[0]) }, "duplicate client"},
		{"NoRedirectURI", func(c *devoidc.Config) { c.Clients[0].RedirectURIs = nil }, "redirect URI"},
		{"RelativeRedirectURI", func(c *devoidc.Config) { c.Clients[0].RedirectURIs = []string{"/auth/callback"} }, "/auth/callback"},
		{"NoUsers", func(c *devoidc.Config) { c.Users = nil }, "user"},
		{"UserWithoutSubject", func(c *devoidc.Config) { c.Users = []devoidc.User{{Name: "X"}} }, "Subject is required"},
		{"DuplicateSubject", func(c *devoidc.Config) { c.Users = append(slices.Clone(c.Users), c.Users[0]) }, "duplicate subject"},
		{"NegativeLifetime", func(c *devoidc.Config) { c.AccessTokenLifetime = -time.Minute }, "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig("http://127.0.0.1:8081")
			cfg.Clients = slices.Clone(cfg.Clients)
			tc.change(&cfg)
			_, err := devoidc.New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestEndSession(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()
	tok, _ := f.login(t, "ana")
	idToken := tok.Extra("id_token").(string)
	endSession := f.op.Issuer() + "/end_session"

	t.Run("RegisteredPostLogoutURI", func(t *testing.T) {
		q := url.Values{"id_token_hint": {idToken}, "client_id": {clientID}, "post_logout_redirect_uri": {postLogoutURI}, "state": {"s1"}}
		resp, body := get(t, newBrowser(), endSession+"?"+q.Encode())
		if loc := rpRedirect(t, resp, body); loc.String() != postLogoutURI+"?state=s1" {
			t.Errorf("redirect to %s, want %s?state=s1", loc, postLogoutURI)
		}
		// The user's tokens for the client no longer work at userinfo.
		if _, err := f.rp.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
			t.Error("userinfo accepted an access token after end_session")
		}
	})

	t.Run("UnregisteredPostLogoutURI", func(t *testing.T) {
		q := url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {"http://attacker.test/"}}
		c := newBrowser()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, body := get(t, c, endSession+"?"+q.Encode())
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("got %d, Location %q; want 400: %s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
	})

	t.Run("NoClient", func(t *testing.T) {
		// Without id_token_hint or client_id the provider cannot check a
		// post_logout_redirect_uri, so it shows its own signed-out page.
		resp, body := get(t, newBrowser(), endSession+"?post_logout_redirect_uri="+url.QueryEscape(postLogoutURI))
		if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != f.op.Issuer()+"/logged-out" ||
			!strings.Contains(body, "Signed out") || !strings.Contains(body, "not for production") {
			t.Errorf("ended at %s with %d: %s", resp.Request.URL, resp.StatusCode, body)
		}
	})
}

func TestLoginPage(t *testing.T) {
	f := newFixture(t, "")
	a := newAttempt()
	page, resp, body := openLoginPage(t, f.authURL(a))

	t.Run("Content", func(t *testing.T) {
		for _, want := range []string{"Development identity provider — not for production", `lang="en"`, clientID} {
			if !strings.Contains(body, want) {
				t.Errorf("login page lacks %q", want)
			}
		}
		for _, u := range testUsers {
			for _, want := range append([]string{u.Name, u.Email, u.Description, `value="` + u.Subject + `"`}, u.Groups...) {
				if !strings.Contains(body, want) {
					t.Errorf("login page lacks %q of user %s", want, u.Subject)
				}
			}
		}
	})

	t.Run("StrictCSP", func(t *testing.T) {
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "style-src 'self'", "form-action 'self' http://rp.test", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		for _, inline := range []string{"<script", "<style", "style=", "onclick"} {
			if strings.Contains(body, inline) {
				t.Errorf("login page has inline %q", inline)
			}
		}
		css, cssBody := get(t, newBrowser(), f.op.Issuer()+"/login/devoidc.css")
		if css.StatusCode != http.StatusOK || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") || !strings.Contains(cssBody, ".banner") {
			t.Errorf("stylesheet: %d %s", css.StatusCode, css.Header.Get("Content-Type"))
		}
	})

	t.Run("UnknownUser", func(t *testing.T) {
		resp, body := submitLogin(t, page, url.Values{"user": {"<nobody>"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "There is no demo user") ||
			!strings.Contains(body, "&lt;nobody&gt;") || !strings.Contains(body, testUsers[0].Email) {
			t.Errorf("unknown user: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("UnknownRequest", func(t *testing.T) {
		resp, body := get(t, newBrowser(), f.op.Issuer()+"/login?authRequestID=nope")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Sign-in request not found") {
			t.Errorf("unknown request: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("UsedOnce", func(t *testing.T) {
		page, _, _ := openLoginPage(t, f.authURL(newAttempt()))
		resp, body := submitLogin(t, page, url.Values{"user": {"ana"}})
		rpRedirect(t, resp, body)
		resp, body = submitLogin(t, page, url.Values{"user": {"mihai"}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("second submit: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		a := newAttempt()
		page, _, _ := openLoginPage(t, f.authURL(a))
		resp, body := submitLogin(t, page, url.Values{"cancel": {"1"}})
		q := rpRedirect(t, resp, body).Query()
		if q.Get("error") != "access_denied" || q.Get("state") != a.state {
			t.Errorf("cancel redirected with %v, want error=access_denied and the state", q)
		}
	})
}

// clock is a settable Config.Now.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

func TestExpiry(t *testing.T) {
	var c clock
	f := newFixture(t, "", func(cfg *devoidc.Config) { cfg.Now = c.now })

	t.Run("Code", func(t *testing.T) {
		a := newAttempt()
		code := f.codeFor(t, a, "ana")
		c.advance(6 * time.Minute)
		_, err := f.oauth2.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier))
		if got := oauthErrorCode(t, err); got != "invalid_grant" {
			t.Errorf("expired code: error %q, want invalid_grant", got)
		}
	})

	t.Run("AuthRequest", func(t *testing.T) {
		page, _, _ := openLoginPage(t, f.authURL(newAttempt()))
		c.advance(11 * time.Minute)
		resp, body := submitLogin(t, page, url.Values{"user": {"ana"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Sign-in request not found") {
			t.Errorf("expired request: %d %s", resp.StatusCode, body)
		}
	})
}

// TestConcurrentLogins runs parallel flows; with -race it checks the
// storage's locking.
func TestConcurrentLogins(t *testing.T) {
	f := newFixture(t, "")
	verifier := f.rp.Verifier(&oidc.Config{ClientID: clientID})
	t.Run("Group", func(t *testing.T) {
		for i := range 8 {
			subject := testUsers[i%len(testUsers)].Subject
			t.Run(fmt.Sprintf("%d-%s", i, subject), func(t *testing.T) {
				t.Parallel()
				tok, a := f.login(t, subject)
				idToken, err := verifier.Verify(context.Background(), tok.Extra("id_token").(string))
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				if idToken.Subject != subject || idToken.Nonce != a.nonce {
					t.Errorf("sub, nonce = %q, %q", idToken.Subject, idToken.Nonce)
				}
			})
		}
	})
}

// TestLoginPageLanguage: ui_locales picks the login page's language; without
// it the browser's Accept-Language does; anything else is English.
func TestLoginPageLanguage(t *testing.T) {
	f := newFixture(t, "")
	for _, tc := range []struct{ uiLocales, acceptLanguage, lang, title string }{
		{"", "", "en", "<h1>Sign in</h1>"},
		{"ro", "", "ro", "<h1>Autentificare</h1>"},
		{"fr ro-RO", "en", "ro", "<h1>Autentificare</h1>"},
		{"", "ro-MD, en;q=0.5", "ro", "<h1>Autentificare</h1>"},
		{"en", "ro", "en", "<h1>Sign in</h1>"},
		{"de", "fr", "en", "<h1>Sign in</h1>"},
	} {
		u := f.authURL(newAttempt())
		if tc.uiLocales != "" {
			u += "&ui_locales=" + url.QueryEscape(tc.uiLocales)
		}
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if tc.acceptLanguage != "" {
			req.Header.Set("Accept-Language", tc.acceptLanguage)
		}
		resp, err := newBrowser().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readBody(t, resp)
		if !strings.Contains(body, `<html lang="`+tc.lang+`">`) || !strings.Contains(body, tc.title) {
			t.Errorf("ui_locales %q, Accept-Language %q: want the page in %s", tc.uiLocales, tc.acceptLanguage, tc.lang)
		}
	}
}
