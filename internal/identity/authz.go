package identity

import (
	"net/http"
	"net/url"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/web"
)

// Authorization is deny by default: every route that is not public sits
// behind a Guard, and the handlers behind it filter by the principal in SQL
// as well.

// Guard admits principals to groups of routes. API callers get
// problem+json; people get an error page, or the login page when they are
// not logged in.
type Guard struct {
	Pages ErrorPages
	T     Translator
}

// Client admits only clients (and prospects).
func (g Guard) Client(next http.Handler) http.Handler {
	return g.require(func(p *ecrm.Principal) bool { return p.IsClient() }, next)
}

// Staff admits staff holding at least one of the roles.
func (g Guard) Staff(roles ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return g.require(func(p *ecrm.Principal) bool {
			for _, r := range roles {
				if p.HasRole(r) {
					return true
				}
			}
			return false
		}, next)
	}
}

func (g Guard) require(allowed func(*ecrm.Principal) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := ecrm.PrincipalFrom(r.Context())
		api := web.WantsJSON(r)
		switch {
		case p == nil && !api && r.Method == http.MethodGet:
			// A page visit without a session: log in, then come back.
			http.Redirect(w, r, "/login?return_to="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		case p == nil:
			w.Header().Set("WWW-Authenticate", `Bearer`)
			g.deny(w, r, http.StatusUnauthorized, "authz.login_first")
		case !allowed(p):
			web.Logger(r.Context()).Warn("access denied", "kind", p.Kind, "client_id", p.ClientID, "staff_id", p.StaffID, "path", r.URL.Path)
			g.deny(w, r, http.StatusForbidden, "authz.forbidden")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func (g Guard) deny(w http.ResponseWriter, r *http.Request, status int, key string) {
	detail := g.T(r.Context(), key)
	if web.WantsJSON(r) || g.Pages == nil {
		web.WriteProblem(w, web.ProblemDetails{Type: "about:blank", Title: http.StatusText(status), Status: status,
			Detail: detail, Instance: r.URL.Path, RequestID: web.RequestIDFrom(r.Context())})
		return
	}
	g.Pages.RenderError(w, r, status, "", detail, web.RequestIDFrom(r.Context()))
}
