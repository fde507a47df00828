package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/web"
)

// OIDCConfig is the relying-party configuration; it is all ecrm needs to
// work with Keycloak, Dex, Entra ID, Okta, Zitadel or any other standard
// provider.
type OIDCConfig struct {
	Issuer       string // ECRM_OIDC_ISSUER
	ClientID     string // ECRM_OIDC_CLIENT_ID
	ClientSecret string // ECRM_OIDC_CLIENT_SECRET
	BaseURL      string // ECRM_BASE_URL; the redirect URI is BaseURL + "/auth/callback"
	RolesClaim   string // ECRM_OIDC_ROLES_CLAIM, default "groups"
	// APIAudience is the audience bearer access tokens must carry; default
	// ClientID.
	APIAudience string
	// HTTPClient talks to the provider (discovery, token, JWKS); default a
	// client with a 10 s timeout.
	HTTPClient *http.Client
}

// ErrorPages renders an error page; internal/page implements it.
type ErrorPages interface {
	RenderError(w http.ResponseWriter, r *http.Request, status int, title, detail, requestID string)
}

// Translator turns a message key into the request's language.
type Translator func(ctx context.Context, key string, args ...any) string

// Authenticator runs the OpenID Connect login, logout and bearer-token
// checks and keeps the principal in the session.
type Authenticator struct {
	cfg        OIDCConfig
	sessions   *scs.SessionManager
	principals *Principals
	pages      ErrorPages
	t          Translator
	log        *slog.Logger

	mu         sync.Mutex
	provider   *oidc.Provider
	endSession string
}

// Session keys. Login state lives in the session only between /login and
// /auth/callback and is removed when read, so it cannot be replayed.
const (
	keyState     = "login.state"
	keyNonce     = "login.nonce"
	keyVerifier  = "login.verifier"
	keyReturnTo  = "login.return_to"
	keyPrincipal = "principal"
	keyIDToken   = "id_token"
	// keyLoggedOut marks the fresh session a logout leaves behind, so the
	// home page can confirm it once.
	keyLoggedOut = "logged_out"
	keyAuthTime  = "auth_time"
	// keyMaxAge is the max_age a step-up login asked the provider for;
	// the callback refuses an ID token whose auth_time is older.
	keyMaxAge = "login.max_age"
)

// maxStepUpAge bounds the max_age a login link may ask for.
const maxStepUpAge = 24 * time.Hour

// authTimeSkew is how far the provider's clock may be from ours.
const authTimeSkew = time.Minute

// DefaultStepUpAge is how recent a login a binding action (applying for
// an offer, buying a policy) needs unless configured
// (ECRM_STEP_UP_MAX_AGE).
const DefaultStepUpAge = 10 * time.Minute

// StepUpChallenge tells an API caller refused for want of a recent login
// how recent one to ask for (RFC 9470: insufficient_user_authentication
// with max_age); the handler then answers 401.
func StepUpChallenge(w http.ResponseWriter, maxAge time.Duration) {
	w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_user_authentication", error_description="a more recent login is needed", max_age=`+
		strconv.Itoa(int(maxAge.Seconds())))
}

// StepUpPath is the login link that asks the person to prove who they are
// again (OpenID Connect's max_age) and returns to returnTo: a binding
// action refused for want of a recent login sends the browser there.
func StepUpPath(returnTo string, maxAge time.Duration) string {
	return "/login?" + url.Values{"return_to": {returnTo}, "max_age": {strconv.Itoa(int(maxAge.Seconds()))}}.Encode()
}

// NewAuthenticator validates the configuration. The provider is discovered
// on first use, so ecrm starts (and serves public pages and health checks)
// while the provider is down.
func NewAuthenticator(cfg OIDCConfig, sessions *scs.SessionManager, principals *Principals, pages ErrorPages, t Translator, log *slog.Logger) (*Authenticator, error) {
	var missing []string
	if cfg.Issuer == "" {
		missing = append(missing, "ECRM_OIDC_ISSUER")
	}
	if cfg.ClientID == "" {
		missing = append(missing, "ECRM_OIDC_CLIENT_ID")
	}
	if cfg.BaseURL == "" {
		missing = append(missing, "ECRM_BASE_URL")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("OpenID Connect is not configured: set %s", strings.Join(missing, ", "))
	}
	if cfg.RolesClaim == "" {
		cfg.RolesClaim = "groups"
	}
	if cfg.APIAudience == "" {
		cfg.APIAudience = cfg.ClientID
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &Authenticator{cfg: cfg, sessions: sessions, principals: principals, pages: pages, t: t, log: log}, nil
}

func (a *Authenticator) clientContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, a.cfg.HTTPClient)
}

// discover fetches the provider's metadata once it is reachable.
func (a *Authenticator) discover(ctx context.Context) (*oidc.Provider, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.provider != nil {
		return a.provider, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// The provider keeps this context's HTTP client for later JWKS fetches.
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, a.cfg.HTTPClient), a.cfg.Issuer)
	if err != nil {
		return nil, err
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = p.Claims(&meta)
	a.provider, a.endSession = p, meta.EndSession
	return p, nil
}

func (a *Authenticator) oauth2Config(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     a.cfg.ClientID,
		ClientSecret: a.cfg.ClientSecret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  a.cfg.BaseURL + "/auth/callback",
		Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
	}
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// SafeReturnPath accepts only local absolute paths, so a login link cannot
// send the user to another site afterwards.
func SafeReturnPath(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return ""
	}
	if u, err := url.Parse(p); err != nil || u.Scheme != "" || u.Host != "" {
		return ""
	}
	return p
}

// Login starts the Authorization Code flow with PKCE (S256), state and nonce.
func (a *Authenticator) Login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	returnTo := SafeReturnPath(r.URL.Query().Get("return_to"))
	// max_age asks for a fresh login even within a session (a step-up
	// before a binding action): the provider must authenticate anew when
	// its own login is older.
	maxAge := -1
	if v := r.URL.Query().Get("max_age"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > int(maxStepUpAge.Seconds()) {
			a.fail(w, r, http.StatusBadRequest, "auth.error.max_age", "max_age out of range", nil)
			return
		}
		maxAge = n
	}
	if p := a.SessionPrincipal(ctx); p != nil && maxAge < 0 {
		http.Redirect(w, r, orDefault(returnTo, HomePath(p)), http.StatusSeeOther)
		return
	}
	provider, err := a.discover(ctx)
	if err != nil {
		a.fail(w, r, http.StatusServiceUnavailable, "auth.error.provider_down", "discovery failed", err)
		return
	}
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	a.sessions.Put(ctx, keyState, state)
	a.sessions.Put(ctx, keyNonce, nonce)
	a.sessions.Put(ctx, keyVerifier, verifier)
	a.sessions.Put(ctx, keyReturnTo, returnTo)
	// ui_locales asks the provider for its pages in the language the
	// person reads ecrm in; providers that cannot simply ignore it.
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce),
		oauth2.SetAuthURLParam("ui_locales", i18n.FromContext(ctx).Lang().String())}
	if maxAge >= 0 {
		a.sessions.Put(ctx, keyMaxAge, strconv.Itoa(maxAge)) // sessions hold strings only
		opts = append(opts, oauth2.SetAuthURLParam("max_age", strconv.Itoa(maxAge)))
	} else {
		a.sessions.Remove(ctx, keyMaxAge)
	}
	http.Redirect(w, r, a.oauth2Config(provider).AuthCodeURL(state, opts...), http.StatusFound)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// HomePath is where a principal lands after login.
func HomePath(p *ecrm.Principal) string {
	if p.Kind == ecrm.PrincipalStaff {
		return "/console"
	}
	return "/portal"
}

// fail ends a login attempt: the pending login state is already removed,
// nothing is stored for the principal, the user sees a page that says what
// went wrong, and the log has the technical reason.
func (a *Authenticator) fail(w http.ResponseWriter, r *http.Request, status int, key, reason string, err error) {
	attrs := []any{"reason", reason, "status", status}
	if err != nil {
		attrs = append(attrs, "error", err.Error())
	}
	web.Logger(r.Context()).Warn("login failed", attrs...)
	ctx := r.Context()
	title := a.t(ctx, "auth.error.title")
	detail := a.t(ctx, key)
	if web.WantsJSON(r) {
		web.WriteProblem(w, web.ProblemDetails{Type: "about:blank", Title: title, Status: status, Detail: detail,
			Instance: r.URL.Path, RequestID: web.RequestIDFrom(ctx)})
		return
	}
	a.pages.RenderError(w, r, status, title, detail, web.RequestIDFrom(ctx))
}

// failInternal ends a login attempt that failed on our side: 500, or 503
// with Retry-After when the database is unavailable (the login may be tried
// again in a moment).
func (a *Authenticator) failInternal(w http.ResponseWriter, r *http.Request, reason string, err error) {
	if pgdb.IsUnavailable(err) {
		web.Fail(w, r, err, reason) // Retry-After; the outage is logged once
		a.fail(w, r, http.StatusServiceUnavailable, "error.503.detail", reason, err)
		return
	}
	a.fail(w, r, http.StatusInternalServerError, "auth.error.internal", reason, err)
}

// Callback finishes the login: it checks state, exchanges the code with the
// PKCE verifier, verifies the ID token (signature, issuer, audience, expiry)
// and its nonce, maps the identity to a principal and only then stores the
// principal in a session with a new id.
func (a *Authenticator) Callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	wantState := a.sessions.PopString(ctx, keyState)
	nonce := a.sessions.PopString(ctx, keyNonce)
	verifier := a.sessions.PopString(ctx, keyVerifier)
	returnTo := a.sessions.PopString(ctx, keyReturnTo)
	gotState := q.Get("state")
	switch {
	case wantState == "":
		a.fail(w, r, http.StatusBadRequest, "auth.error.no_login_pending", "no pending login in this session", nil)
		return
	case subtle.ConstantTimeCompare([]byte(gotState), []byte(wantState)) != 1:
		a.fail(w, r, http.StatusBadRequest, "auth.error.state", "state mismatch", nil)
		return
	case q.Get("error") != "":
		a.fail(w, r, http.StatusUnauthorized, "auth.error.denied", "provider returned an error",
			fmt.Errorf("%s: %s", q.Get("error"), q.Get("error_description")))
		return
	case q.Get("code") == "":
		a.fail(w, r, http.StatusBadRequest, "auth.error.no_code", "no authorization code", nil)
		return
	}
	provider, err := a.discover(ctx)
	if err != nil {
		a.fail(w, r, http.StatusServiceUnavailable, "auth.error.provider_down", "discovery failed", err)
		return
	}
	token, err := a.oauth2Config(provider).Exchange(a.clientContext(ctx), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
			a.fail(w, r, http.StatusBadRequest, "auth.error.code_refused", "token endpoint refused the code", err)
		} else {
			a.fail(w, r, http.StatusBadGateway, "auth.error.provider_down", "token exchange failed", err)
		}
		return
	}
	rawIDToken, _ := token.Extra("id_token").(string)
	if rawIDToken == "" {
		a.fail(w, r, http.StatusBadGateway, "auth.error.invalid_token", "no id_token in token response", nil)
		return
	}
	idToken, err := provider.VerifierContext(a.clientContext(ctx), &oidc.Config{ClientID: a.cfg.ClientID}).Verify(ctx, rawIDToken)
	if err != nil {
		a.fail(w, r, http.StatusUnauthorized, "auth.error.invalid_token", "id token verification failed", err)
		return
	}
	if subtle.ConstantTimeCompare([]byte(idToken.Nonce), []byte(nonce)) != 1 {
		a.fail(w, r, http.StatusUnauthorized, "auth.error.invalid_token", "nonce mismatch", nil)
		return
	}
	claims, err := a.claims(idToken.Issuer, idToken.Subject, idToken.Claims)
	if err != nil {
		a.fail(w, r, http.StatusUnauthorized, "auth.error.invalid_token", "unreadable claims", err)
		return
	}
	authTime, err := tokenAuthTime(idToken.Claims)
	if err != nil {
		a.fail(w, r, http.StatusUnauthorized, "auth.error.invalid_token", "unreadable auth_time", err)
		return
	}
	now := time.Now()
	if v := a.sessions.PopString(ctx, keyMaxAge); v != "" {
		// A step-up: the provider must say when the person logged in,
		// and it must be within the max_age asked for (OpenID Connect
		// Core 1.0, 3.1.2.1 and 3.1.3.7).
		seconds, _ := strconv.Atoi(v)
		maxAge := time.Duration(seconds) * time.Second
		if authTime.IsZero() || now.Sub(authTime) > maxAge+authTimeSkew {
			a.fail(w, r, http.StatusUnauthorized, "auth.error.reauth", "auth_time missing or older than max_age", nil)
			return
		}
	}
	if authTime.IsZero() {
		authTime = now // the provider did not say: the login just made
	}
	principal, err := a.principals.Login(ctx, claims)
	if err != nil {
		if ecrm.ErrorCode(err) == ecrm.EFORBIDDEN {
			web.Logger(ctx).Warn("login refused", "issuer", claims.Issuer, "subject", claims.Subject, "reason", ecrm.ErrorMessage(err))
			a.pages.RenderError(w, r, http.StatusForbidden, a.t(ctx, "auth.error.title"), ecrm.ErrorMessage(err), web.RequestIDFrom(ctx))
			return
		}
		a.failInternal(w, r, "principal mapping failed", err)
		return
	}
	// A new session id at login defeats session fixation.
	if err := a.sessions.RenewToken(ctx); err != nil {
		a.failInternal(w, r, "renew session", err)
		return
	}
	principal.AuthTime = authTime.UTC().Truncate(time.Second)
	encoded, _ := json.Marshal(principal)
	a.sessions.Put(ctx, keyPrincipal, string(encoded))
	a.sessions.Put(ctx, keyIDToken, rawIDToken)
	a.sessions.Put(ctx, keyAuthTime, principal.AuthTime.Format(time.RFC3339))
	web.Logger(ctx).Info("login", "kind", principal.Kind, "client_id", principal.ClientID, "staff_id", principal.StaffID, "roles", principal.Roles)
	http.Redirect(w, r, orDefault(returnTo, HomePath(principal)), http.StatusSeeOther)
}

// claims reads the standard claims and the configured roles claim, which
// providers send as a list, a single string or a space-separated string.
func (a *Authenticator) claims(issuer, subject string, decode func(any) error) (Claims, error) {
	var std struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
		Name          string `json:"name"`
		GivenName     string `json:"given_name"`
		FamilyName    string `json:"family_name"`
	}
	if err := decode(&std); err != nil {
		return Claims{}, err
	}
	var all map[string]any
	if err := decode(&all); err != nil {
		return Claims{}, err
	}
	c := Claims{Issuer: issuer, Subject: subject, Email: std.Email, Name: std.Name, GivenName: std.GivenName, FamilyName: std.FamilyName}
	switch v := std.EmailVerified.(type) {
	case bool:
		c.EmailVerified = v
	case string: // some providers send "true"
		c.EmailVerified = v == "true"
	}
	switch v := all[a.cfg.RolesClaim].(type) {
	case []any:
		for _, g := range v {
			if s, ok := g.(string); ok {
				c.Groups = append(c.Groups, strings.TrimPrefix(s, "/")) // Keycloak group paths start with "/"
			}
		}
	case string:
		c.Groups = strings.Fields(v)
	}
	return c, nil
}

// Logout ends the local session and, when the provider offers an
// end_session_endpoint, the provider's session too.
func (a *Authenticator) Logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	idToken := a.sessions.GetString(ctx, keyIDToken)
	if err := a.sessions.Destroy(ctx); err != nil {
		web.Problem(w, r, err)
		return
	}
	// A new, anonymous session carries the confirmation across the
	// provider's end-session page: the return address stays the one
	// registered with the provider.
	a.sessions.Put(ctx, keyLoggedOut, "1")
	target := "/"
	if idToken != "" {
		a.mu.Lock()
		endSession := a.endSession
		a.mu.Unlock()
		if endSession != "" {
			v := url.Values{}
			v.Set("id_token_hint", idToken)
			v.Set("client_id", a.cfg.ClientID)
			v.Set("post_logout_redirect_uri", a.cfg.BaseURL+"/")
			sep := "?"
			if strings.Contains(endSession, "?") {
				sep = "&"
			}
			target = endSession + sep + v.Encode()
		}
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// PopLoggedOut reports, once, that this browser has just logged out.
func (a *Authenticator) PopLoggedOut(ctx context.Context) bool {
	return a.sessions.PopString(ctx, keyLoggedOut) == "1"
}

// SessionPrincipal returns the principal stored in the session, or nil.
func (a *Authenticator) SessionPrincipal(ctx context.Context) *ecrm.Principal {
	b := a.sessions.GetString(ctx, keyPrincipal)
	if b == "" {
		return nil
	}
	var p ecrm.Principal
	if json.Unmarshal([]byte(b), &p) != nil {
		return nil
	}
	return &p
}

// Authenticate puts the caller's principal in the request context: from a
// bearer access token when an Authorization header is present (an invalid
// token is refused, never silently ignored), else from the session.
func (a *Authenticator) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if authz := r.Header.Get("Authorization"); authz != "" {
			p, err := a.bearerPrincipal(ctx, authz)
			if err != nil && pgdb.IsUnavailable(err) {
				web.Problem(w, r, err) // 503, not a refused token
				return
			}
			if err != nil {
				web.Logger(ctx).Warn("bearer token refused", "error", err.Error())
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				status := http.StatusUnauthorized
				detail := a.t(ctx, "auth.error.bearer")
				if ecrm.ErrorCode(err) == ecrm.EFORBIDDEN {
					status, detail = http.StatusForbidden, ecrm.ErrorMessage(err)
				} else if ecrm.ErrorCode(err) == ecrm.EUNAVAILABLE {
					status, detail = http.StatusServiceUnavailable, a.t(ctx, "auth.error.provider_down")
				}
				web.WriteProblem(w, web.ProblemDetails{Type: "about:blank", Title: http.StatusText(status), Status: status,
					Detail: detail, Instance: r.URL.Path, RequestID: web.RequestIDFrom(ctx)})
				return
			}
			next.ServeHTTP(w, r.WithContext(ecrm.WithPrincipal(ctx, p)))
			return
		}
		if p := a.SessionPrincipal(ctx); p != nil {
			ctx = ecrm.WithPrincipal(ctx, p)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (a *Authenticator) bearerPrincipal(ctx context.Context, header string) (*ecrm.Principal, error) {
	scheme, raw, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		return nil, errors.New("authorization header is not a bearer token")
	}
	provider, err := a.discover(ctx)
	if err != nil {
		return nil, &ecrm.Error{Code: ecrm.EUNAVAILABLE, Message: "identity provider unavailable: " + err.Error()}
	}
	tok, err := provider.VerifierContext(a.clientContext(ctx), &oidc.Config{ClientID: a.cfg.APIAudience}).Verify(ctx, strings.TrimSpace(raw))
	if err != nil {
		return nil, err
	}
	claims, err := a.claims(tok.Issuer, tok.Subject, tok.Claims)
	if err != nil {
		return nil, err
	}
	authTime, err := tokenAuthTime(tok.Claims)
	if err != nil {
		return nil, err
	}
	p, err := a.principals.Lookup(ctx, claims)
	if err != nil || p == nil {
		return p, err
	}
	copied := *p
	copied.AuthTime = authTime // zero when the token does not say
	return &copied, nil
}

// tokenAuthTime reads a token's auth_time claim (seconds since the epoch),
// zero when absent.
func tokenAuthTime(decode func(any) error) (time.Time, error) {
	var c struct {
		AuthTime *json.Number `json:"auth_time"`
	}
	if err := decode(&c); err != nil {
		return time.Time{}, err
	}
	if c.AuthTime == nil {
		return time.Time{}, nil
	}
	f, err := c.AuthTime.Float64()
	if err != nil || f < 0 {
		return time.Time{}, fmt.Errorf("auth_time %q is not a time", c.AuthTime.String())
	}
	return time.Unix(int64(f), 0), nil
}
