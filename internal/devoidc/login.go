package devoidc

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/ecrm-project/ecrm/internal/i18n"
)

// Paths under the issuer served by this package; the library serves the rest.
const (
	pathLogin      = "/login"
	pathStylesheet = "/login/devoidc.css"
	pathLoggedOut  = "/logged-out"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/devoidc.css
var stylesheet []byte

// Each page is parsed with the layout, so both can define "title" and
// "content".
var (
	loginPage   = parsePage("templates/login.html")
	messagePage = parsePage("templates/message.html")
)

func parsePage(name string) *template.Template {
	funcs := template.FuncMap{"join": strings.Join}
	return template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", name))
}

// routes puts the login pages next to the library's endpoints and, when the
// issuer has a path, strips it so both see paths relative to the issuer.
func (p *Provider) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+oidc.DiscoveryEndpoint, p.discovery)
	mux.HandleFunc("GET "+pathLogin, p.showLoginPage)
	mux.HandleFunc("POST "+pathLogin, p.submitLogin)
	mux.HandleFunc("GET "+pathStylesheet, serveStylesheet)
	mux.HandleFunc("GET "+pathLoggedOut, p.showLoggedOutPage)
	mux.Handle("/", p.op)
	if p.issuerPath == "" {
		return mux
	}
	return http.StripPrefix(p.issuerPath, mux)
}

// discovery serves the library's metadata document trimmed to what this
// provider does: the library always lists the implicit flow, the jwt-bearer
// grant, token endpoint authentication "none" and a device authorization
// endpoint, none of which our clients can use.
func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	cfg := op.CreateDiscoveryConfig(op.ContextWithIssuer(r.Context(), p.issuer), p.op, p.store)
	cfg.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	cfg.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode}
	cfg.TokenEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost}
	cfg.RevocationEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost}
	cfg.DeviceAuthorizationEndpoint = ""
	// Public metadata, readable by browser apps, as the library's own
	// handler allows through its CORS middleware.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	op.Discover(w, cfg)
}

type pageData struct {
	Issuer     string
	Stylesheet string
	// L writes the page in its language: the one the client asked for
	// with ui_locales, else the browser's.
	L *i18n.Localizer

	// login page
	Action        string
	ClientID      string
	AuthRequestID string
	Users         []User
	Error         string

	// message page
	Title   string
	Message string
}

func (p *Provider) page(r *http.Request, uiLocales []language.Tag) pageData {
	return pageData{Issuer: p.issuer, Stylesheet: p.issuer + pathStylesheet, L: i18n.NewLocalizer(pageLanguage(r, uiLocales))}
}

// pageLanguage is the first supported language of ui_locales, else the
// one the browser's Accept-Language prefers.
func pageLanguage(r *http.Request, uiLocales []language.Tag) language.Tag {
	for _, tag := range uiLocales {
		base, _ := tag.Base()
		if lang, ok := i18n.ParseLanguage(base.String()); ok {
			return lang
		}
	}
	return i18n.Negotiate(r.Header.Get("Accept-Language"), "")
}

// T is the message for key in the page's language.
func (d pageData) T(key string, args ...any) string { return d.L.T(key, args...) }

// Describe words a user's description: a catalogue key in the page's
// language, any other text as it is.
func (d pageData) Describe(description string) string {
	if i18n.HasMessage(d.L.Lang(), description) {
		return d.L.T(description)
	}
	return description
}

// showLoginPage is where the library sends the browser after a valid
// authorization request: GET /login?authRequestID=ID.
func (p *Provider) showLoginPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("authRequestID")
	req, err := p.store.pendingAuthRequest(id)
	if err != nil {
		p.requestNotFound(w, r)
		return
	}
	p.renderLogin(w, r, http.StatusOK, req, "")
}

// submitLogin takes the login form: authRequestID plus either user=SUBJECT,
// which completes the authorization, or cancel, which ends it with
// access_denied. Tests post this form directly (see the package doc).
func (p *Provider) submitLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "cannot read the form: "+err.Error(), http.StatusBadRequest)
		return
	}
	id := r.PostForm.Get("authRequestID")
	req, err := p.store.pendingAuthRequest(id)
	if err != nil {
		p.requestNotFound(w, r)
		return
	}
	if r.PostForm.Has("cancel") {
		_ = p.store.DeleteAuthRequest(r.Context(), id)
		// The library's error response: a redirect to the client's
		// redirect_uri with error=access_denied and the client's state.
		op.AuthRequestError(w, r, req, oidc.ErrAccessDenied().WithDescription("the user cancelled the sign-in"), p.op)
		return
	}
	subject := r.PostForm.Get("user")
	switch err := p.store.completeLogin(id, subject); {
	case errors.Is(err, errUnknownUser):
		p.renderLogin(w, r, http.StatusBadRequest, req, p.page(r, req.uiLocales).T("auth.dev.error.unknown_user", quote(subject)))
		return
	case err != nil:
		p.requestNotFound(w, r)
		return
	}
	p.log.InfoContext(r.Context(), "development OpenID provider: user signed in", "subject", subject, "client_id", req.clientID)
	// Back to the library, which sends the code to the client.
	callback := p.op.AuthorizationEndpoint().Absolute(p.issuer) + "/callback?id=" + url.QueryEscape(id)
	http.Redirect(w, r, callback, http.StatusSeeOther)
}

func (p *Provider) renderLogin(w http.ResponseWriter, r *http.Request, status int, req *authRequest, errMsg string) {
	data := p.page(r, req.uiLocales)
	data.Action = p.issuer + pathLogin
	data.ClientID = req.clientID
	data.AuthRequestID = req.id
	data.Users = p.users
	data.Error = errMsg
	// form-action must allow the client's origin too: browsers apply it to
	// the redirects that follow the form post, and the last one goes to the
	// client's redirect_uri.
	formAction := "'self'"
	if u, err := url.Parse(req.redirectURI); err == nil {
		formAction += " " + u.Scheme + "://" + u.Host
	}
	render(w, status, loginPage, data, formAction)
}

func (p *Provider) requestNotFound(w http.ResponseWriter, r *http.Request) {
	data := p.page(r, nil)
	data.Title = data.T("auth.dev.not_found.title")
	data.Message = data.T("auth.dev.not_found.message")
	render(w, http.StatusBadRequest, messagePage, data, "'none'")
}

// showLoggedOutPage is the end_session target when the client names no
// post_logout_redirect_uri.
func (p *Provider) showLoggedOutPage(w http.ResponseWriter, r *http.Request) {
	data := p.page(r, nil)
	data.Title = data.T("auth.dev.signed_out.title")
	data.Message = data.T("auth.dev.signed_out.message")
	render(w, http.StatusOK, messagePage, data, "'none'")
}

// render writes a page under a strict Content-Security-Policy: no script at
// all, styles only from the provider's stylesheet.
func render(w http.ResponseWriter, status int, t *template.Template, data pageData, formAction string) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		http.Error(w, "cannot render page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; form-action "+formAction+"; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// The page URL carries the authorization request id.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func serveStylesheet(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(stylesheet)
}

// quote shows user input in a message; html/template escapes it.
func quote(s string) string { return "\u201c" + s + "\u201d" }
