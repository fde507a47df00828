package devoidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// storage is the in-memory op.Storage behind the provider, adapted from the
// library's example (example/server/storage) down to what ecrm needs: the
// authorization code grant for confidential clients, JWT access tokens, no
// refresh tokens, no device flow, no JWT profile, no token exchange.
//
// Clients, users and the key never change after New. Authorization requests,
// codes and token records are guarded by mu. The library holds on to the
// op.AuthRequest values it gets from the storage and reads them without our
// lock, so it only ever gets copies; the stored originals change only under
// mu.
type storage struct {
	now                 func() time.Time
	accessTokenLifetime time.Duration
	key                 *signingKey
	clients             map[string]*client
	users               map[string]User

	mu           sync.Mutex
	authRequests map[string]*authRequest // by id
	codes        map[string]string       // code -> auth request id, until the code is presented
	usedCodes    map[string]usedCode     // presented codes, to detect replays
	tokens       map[string]*token       // access tokens by id (the JWT's jti)
}

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*storage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*storage)(nil)
)

func newStorage(now func() time.Time, accessTokenLifetime time.Duration, key *signingKey, clients map[string]*client, users map[string]User) *storage {
	return &storage{
		now:                 now,
		accessTokenLifetime: accessTokenLifetime,
		key:                 key,
		clients:             clients,
		users:               users,
		authRequests:        make(map[string]*authRequest),
		codes:               make(map[string]string),
		usedCodes:           make(map[string]usedCode),
		tokens:              make(map[string]*token),
	}
}

type usedCode struct {
	authRequestID string
	expires       time.Time // forget the code after this
}

// token is the record of an issued access token, for userinfo,
// introspection, revocation and logout. The token itself is a JWT.
type token struct {
	id            string
	authRequestID string // the grant it came from; "" for SignAccessToken
	clientID      string
	subject       string
	audience      []string
	scopes        []string
	expires       time.Time
}

// sweepLocked drops everything expired. It runs whenever something new is
// stored, which bounds memory without a background goroutine.
func (s *storage) sweepLocked(now time.Time) {
	for id, r := range s.authRequests {
		if now.After(r.expires) {
			delete(s.authRequests, id)
			if r.code != "" {
				delete(s.codes, r.code)
			}
		}
	}
	for code, u := range s.usedCodes {
		if now.After(u.expires) {
			delete(s.usedCodes, code)
		}
	}
	for id, t := range s.tokens {
		if now.After(t.expires) {
			delete(s.tokens, id)
		}
	}
}

// CreateAuthRequest stores a validated authorization request. The library
// has already checked the client, the exact redirect_uri, the response type
// and scopes; this adds what our clients must do on top: PKCE with S256.
// An oidc.Error here is sent to the client's redirect_uri.
func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	switch {
	case req.CodeChallenge == "":
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge is required: use PKCE with code_challenge_method=S256")
	case req.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	case slices.Equal(req.Prompt, []string{oidc.PromptNone}):
		// There is no provider-side session, so the user can never be
		// signed in silently.
		return nil, oidc.ErrLoginRequired()
	}
	now := s.now()
	r := &authRequest{
		id:            randomID(),
		clientID:      req.ClientID,
		redirectURI:   req.RedirectURI,
		state:         req.State,
		nonce:         req.Nonce,
		scopes:        slices.Clone(req.Scopes),
		responseType:  req.ResponseType,
		responseMode:  req.ResponseMode,
		codeChallenge: &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod},
		expires:       now.Add(authRequestLifetime),
		uiLocales:     slices.Clone(req.UILocales),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
	s.authRequests[r.id] = r
	return r.copy(), nil
}

// errAuthRequestNotFound covers unknown, expired and finished requests alike.
var errAuthRequestNotFound = errors.New("authorization request not found or expired")

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.authRequests[id]
	if !ok || s.now().After(r.expires) {
		return nil, errAuthRequestNotFound
	}
	return r.copy(), nil
}

// pendingAuthRequest returns a request still waiting for the login page.
func (s *storage) pendingAuthRequest(id string) (*authRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.authRequests[id]
	if !ok || r.done || s.now().After(r.expires) {
		return nil, errAuthRequestNotFound
	}
	return r.copy(), nil
}

// errUnknownUser is returned by completeLogin for a subject not configured.
var errUnknownUser = errors.New("unknown user")

// completeLogin records that the user chose subject on the login page.
func (s *storage) completeLogin(id, subject string) error {
	if _, ok := s.users[subject]; !ok {
		return errUnknownUser
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	r, ok := s.authRequests[id]
	if !ok || r.done || now.After(r.expires) {
		return errAuthRequestNotFound
	}
	r.subject, r.authTime, r.done = subject, now, true
	return nil
}

// SaveAuthCode is called when the code is sent to the client. From now on
// the request lives only as long as the code.
func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.authRequests[id]
	if !ok {
		return errAuthRequestNotFound
	}
	if r.code != "" {
		delete(s.codes, r.code) // one code per request
	}
	r.code = code
	r.expires = s.now().Add(codeLifetime)
	s.codes[code] = id
	return nil
}

// AuthRequestByCode is called once per token request, before the library
// checks the client and the code_verifier. The code is consumed here, so it
// can be presented only once whatever the outcome; presenting it again gets
// invalid_grant and revokes the tokens issued from it (RFC 6749, 4.1.2).
func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	id, ok := s.codes[code]
	if !ok {
		if used, replay := s.usedCodes[code]; replay {
			s.revokeGrantLocked(used.authRequestID)
			return nil, errors.New("authorization code already used; tokens issued from it are revoked")
		}
		return nil, errors.New("authorization code unknown or expired")
	}
	delete(s.codes, code)
	s.usedCodes[code] = usedCode{authRequestID: id, expires: now.Add(authRequestLifetime)}
	r, ok := s.authRequests[id]
	if !ok || now.After(r.expires) {
		return nil, errors.New("authorization code expired")
	}
	return r.copy(), nil
}

func (s *storage) revokeGrantLocked(authRequestID string) {
	for id, t := range s.tokens {
		if t.authRequestID == authRequestID {
			delete(s.tokens, id)
		}
	}
}

// DeleteAuthRequest is called after the token response is built.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.authRequests[id]; ok {
		delete(s.codes, r.code)
		delete(s.authRequests, id)
	}
	return nil
}

// CreateAccessToken records an access token; the library then signs it as a
// JWT (the client's AccessTokenType) with the returned id as jti and the
// returned expiry as exp.
func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	r, ok := req.(*authRequest)
	if !ok {
		// Only the authorization code grant is enabled.
		return "", time.Time{}, fmt.Errorf("unsupported token request %T", req)
	}
	now := s.now()
	t := &token{
		id:            randomID(),
		authRequestID: r.id,
		clientID:      r.clientID,
		subject:       r.subject,
		audience:      r.GetAudience(),
		scopes:        slices.Clone(r.scopes),
		expires:       now.Add(s.accessTokenLifetime),
	}
	s.recordToken(t)
	return t.id, t.expires, nil
}

func (s *storage) recordToken(t *token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(s.now())
	s.tokens[t.id] = t
}

// lookupToken returns a copy of a live token record.
func (s *storage) lookupToken(id string) (token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[id]
	if !ok {
		return token{}, errors.New("access token unknown or revoked")
	}
	if s.now().After(t.expires) {
		return token{}, errors.New("access token expired")
	}
	return *t, nil
}

// Refresh tokens are not offered: the clients do not have the refresh_token
// grant, so the library never calls these two.
func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("refresh tokens are not supported")
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errors.New("refresh tokens are not supported")
}

// GetRefreshTokenInfo must say ErrInvalidRefreshToken for anything that is
// not a refresh token; with no refresh tokens, that is everything.
func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

// TerminateSession is called by end_session: the user's access tokens for
// that client stop working at userinfo and introspection. (JWTs verified
// locally by a resource server stay valid until they expire, as with any
// provider.)
func (s *storage) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.tokens {
		if t.subject == userID && t.clientID == clientID {
			delete(s.tokens, id)
		}
	}
	return nil
}

// RevokeToken gets the jti of a verified access token (or the raw string of
// anything else, which is ignored, as RFC 7009 asks).
func (s *storage) RevokeToken(_ context.Context, tokenOrID, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenOrID]
	if !ok {
		return nil
	}
	if t.clientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
	}
	delete(s.tokens, tokenOrID)
	return nil
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.key, nil }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet is the JWKS: one key per process, no rotation.
func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.key}}, nil
}

// GetClientByClientID returns a plain error for an unknown client, which the
// library answers as a client error, not a server error.
func (s *storage) GetClientByClientID(_ context.Context, clientID string) (op.Client, error) {
	c, ok := s.clients[clientID]
	if !ok {
		return nil, fmt.Errorf("client %q not registered", clientID)
	}
	return c, nil
}

// AuthorizeClientIDSecret checks client_secret_basic and client_secret_post
// (and the introspection and revocation endpoints' client authentication).
func (s *storage) AuthorizeClientIDSecret(_ context.Context, clientID, secret string) error {
	c, ok := s.clients[clientID]
	if !ok || subtle.ConstantTimeCompare([]byte(c.cfg.Secret), []byte(secret)) != 1 {
		return errors.New("invalid client_id or client_secret")
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in the library in favour of
// SetUserinfoFromRequest and must stay empty.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's user claims.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	return s.setUserinfo(info, req.GetSubject(), scopes)
}

// SetUserinfoFromToken answers the userinfo endpoint; the library has already
// verified the JWT and passes its jti.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	t, err := s.lookupToken(tokenID)
	if err != nil {
		return err
	}
	if t.subject != subject {
		return errors.New("access token subject mismatch")
	}
	return s.setUserinfo(info, t.subject, t.scopes)
}

// SetIntrospectionFromToken answers introspection for a client that is in the
// token's audience; any error makes the library answer {"active": false}.
func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	t, err := s.lookupToken(tokenID)
	if err != nil {
		return err
	}
	if t.subject != subject || !slices.Contains(t.audience, clientID) {
		return errors.New("token not valid for this client")
	}
	info := new(oidc.UserInfo)
	if err := s.setUserinfo(info, t.subject, t.scopes); err != nil {
		return err
	}
	resp.SetUserInfo(info)
	resp.Scope = t.scopes
	resp.ClientID = t.clientID
	resp.Audience = t.audience
	resp.Expiration = oidc.FromTime(t.expires)
	resp.JWTID = t.id
	return nil
}

// GetPrivateClaimsFromRequest adds the user claims to JWT access tokens. It
// reads the request's full scopes: the library strips email and profile from
// the scopes it passes in.
func (s *storage) GetPrivateClaimsFromRequest(_ context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
	return s.accessTokenClaims(req.GetSubject(), req.GetScopes())
}

// GetPrivateClaimsFromScopes is the library's fallback for the method above
// and is not called while that one exists.
func (s *storage) GetPrivateClaimsFromScopes(_ context.Context, userID, _ string, scopes []string) (map[string]any, error) {
	return s.accessTokenClaims(userID, scopes)
}

// accessTokenClaims are the claims besides iss, sub, aud, exp, iat, nbf, jti
// and client_id: the scope, groups, and the email/profile claims the scopes
// grant, as Keycloak's default mappers put them in access tokens.
func (s *storage) accessTokenClaims(subject string, scopes []string) (map[string]any, error) {
	info := new(oidc.UserInfo)
	if err := s.setUserinfo(info, subject, scopes); err != nil {
		return nil, err
	}
	claims := map[string]any{"scope": strings.Join(scopes, " ")}
	for k, v := range info.Claims {
		claims[k] = v
	}
	if slices.Contains(scopes, oidc.ScopeEmail) {
		claims["email"] = info.Email
		claims["email_verified"] = bool(info.EmailVerified)
	}
	if slices.Contains(scopes, oidc.ScopeProfile) {
		claims["name"] = info.Name
		claims["given_name"] = info.GivenName
		claims["family_name"] = info.FamilyName
	}
	return claims, nil
}

// setUserinfo fills the user's claims for the granted scopes. groups is
// always set, to a list even when empty, because it is the roles claim.
func (s *storage) setUserinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	u, ok := s.users[subject]
	if !ok {
		return fmt.Errorf("user %q not found", subject)
	}
	info.Subject = u.Subject
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email = u.Email
		info.EmailVerified = oidc.Bool(u.EmailVerified)
	}
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = u.Name
		info.GivenName = u.GivenName
		info.FamilyName = u.FamilyName
	}
	groups := slices.Clone(u.Groups)
	if groups == nil {
		groups = []string{}
	}
	info.AppendClaims("groups", groups)
	return nil
}

// Client authentication with signed JWTs (RFC 7523) is not offered.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("JWT profile client authentication is not supported")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("JWT profile grant is not supported")
}

func (s *storage) Health(context.Context) error { return nil }

// authRequest is one authorization request, from /authorize to the token
// response. It implements op.AuthRequest.
type authRequest struct {
	id            string
	clientID      string
	redirectURI   string
	state         string
	nonce         string
	scopes        []string
	responseType  oidc.ResponseType
	responseMode  oidc.ResponseMode
	codeChallenge *oidc.CodeChallenge
	expires       time.Time
	// uiLocales are the client's wish for the login page's language.
	uiLocales []language.Tag

	// Set when the user is chosen on the login page.
	done     bool
	subject  string
	authTime time.Time

	code string // set by SaveAuthCode
}

// copy is what the library gets; slices and the challenge are never
// modified, so sharing them is safe.
func (r *authRequest) copy() *authRequest {
	c := *r
	return &c
}

func (r *authRequest) GetID() string                         { return r.id }
func (r *authRequest) GetACR() string                        { return "" }
func (r *authRequest) GetAMR() []string                      { return nil }
func (r *authRequest) GetAudience() []string                 { return []string{r.clientID} }
func (r *authRequest) GetAuthTime() time.Time                { return r.authTime }
func (r *authRequest) GetClientID() string                   { return r.clientID }
func (r *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return r.codeChallenge }
func (r *authRequest) GetNonce() string                      { return r.nonce }
func (r *authRequest) GetRedirectURI() string                { return r.redirectURI }
func (r *authRequest) GetResponseType() oidc.ResponseType    { return r.responseType }
func (r *authRequest) GetResponseMode() oidc.ResponseMode    { return r.responseMode }
func (r *authRequest) GetScopes() []string                   { return r.scopes }
func (r *authRequest) GetState() string                      { return r.state }
func (r *authRequest) GetSubject() string                    { return r.subject }
func (r *authRequest) Done() bool                            { return r.done }

// LogValue keeps the library's error logs short and free of the nonce and
// the PKCE challenge.
func (r *authRequest) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", r.id),
		slog.String("client_id", r.clientID),
		slog.String("redirect_uri", r.redirectURI),
	)
}

// client is a registered relying party; it implements op.Client.
type client struct {
	cfg             Client
	loginURL        string // absolute URL of the login page
	idTokenLifetime time.Duration
}

func (c *client) GetID() string                    { return c.cfg.ID }
func (c *client) RedirectURIs() []string           { return c.cfg.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.cfg.PostLogoutRedirectURIs }

// ApplicationType web means a confidential client; with the code flow the
// library then accepts http redirect URIs, which local development needs,
// without DevMode's looser checks.
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType { return []oidc.GrantType{oidc.GrantTypeCode} }

// LoginURL is where the library sends the browser after a valid
// authorization request.
func (c *client) LoginURL(authRequestID string) string {
	return c.loginURL + "?authRequestID=" + url.QueryEscape(authRequestID)
}

// AccessTokenType JWT: resource servers verify bearer tokens against JWKS.
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }
func (c *client) IDTokenLifetime() time.Duration      { return c.idTokenLifetime }

// DevMode false keeps the library's redirect URI checks strict (exact match,
// no globs).
func (c *client) DevMode() bool { return false }

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

// IsScopeAllowed lists the scopes beyond the standard ones the library keeps
// in a request; others are silently dropped, as the spec allows.
func (c *client) IsScopeAllowed(scope string) bool { return scope == groupsScope }

// IDTokenUserinfoClaimsAssertion true puts the email and profile claims into
// the ID token even though an access token is issued too. OpenID Connect
// Core 5.4 would leave them to the userinfo endpoint, but Keycloak and Dex
// include them and relying parties such as ecrm read them from the ID token.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }
