package identity

import (
	"net/http"
	"net/url"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/web"
)

// Authorization is deny by default: every route that is not public sits
// behind one of these middlewares, and the handlers behind them filter by
// the principal in SQL as well.

// RequireClient lets only clients (and prospects) through.
func RequireClient(next http.Handler) http.Handler {
	return require(func(p *ecrm.Principal) bool { return p.IsClient() }, next)
}

// RequireStaff lets through staff holding at least one of the roles.
func RequireStaff(roles ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return require(func(p *ecrm.Principal) bool {
			for _, r := range roles {
				if p.HasRole(r) {
					return true
				}
			}
			return false
		}, next)
	}
}

func require(allowed func(*ecrm.Principal) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := ecrm.PrincipalFrom(r.Context())
		switch {
		case p == nil && !web.WantsJSON(r) && r.Method == http.MethodGet:
			// A page visit without a session: log in, then come back.
			http.Redirect(w, r, "/login?return_to="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		case p == nil:
			w.Header().Set("WWW-Authenticate", `Bearer`)
			web.Problem(w, r, ecrm.Errorf(ecrm.EUNAUTHORIZED, "Log in first."))
		case !allowed(p):
			web.Problem(w, r, ecrm.Errorf(ecrm.EFORBIDDEN, "You may not use this page."))
		default:
			next.ServeHTTP(w, r)
		}
	})
}
