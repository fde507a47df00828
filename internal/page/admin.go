package page

import (
	"net/http"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/web"
)

// AdminOnly adapts an administrator's console page: an anonymous visitor
// is asked to log in, anyone else is refused (forbidden says what only
// administrators do, for the log), and an error fn returns becomes the
// translated error page, what naming the page in the log. The route table
// puts these pages behind the admin guard too; this is the second check.
func (r *Renderer) AdminOnly(what, forbidden string, fn func(w http.ResponseWriter, r *http.Request, staffID int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		p := ecrm.PrincipalFrom(req.Context())
		var err error
		switch {
		case p == nil:
			err = ecrm.Errorf(ecrm.EUNAUTHORIZED, "Log in first.")
		case !p.HasRole(ecrm.RoleAdmin):
			err = ecrm.Errorf(ecrm.EFORBIDDEN, "%s", forbidden)
		default:
			err = fn(w, req, p.StaffID)
		}
		if err != nil {
			status := web.Fail(w, req, err, what)
			r.RenderError(w, req, status, "", "", web.RequestIDFrom(req.Context()))
		}
	}
}
