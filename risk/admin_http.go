package risk

import (
	"net/http"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// adminPage adapts an administrator's import page (credit bureau, market
// data): anyone else is refused (forbidden says what only administrators
// do), an error becomes the error page, what names it in the log.
func adminPage(pages *page.Renderer, what, forbidden string, fn func(w http.ResponseWriter, r *http.Request, staffID int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := ecrm.PrincipalFrom(r.Context())
		var err error
		switch {
		case p == nil:
			err = ecrm.Errorf(ecrm.EUNAUTHORIZED, "Log in first.")
		case !p.HasRole(ecrm.RoleAdmin):
			err = ecrm.Errorf(ecrm.EFORBIDDEN, "%s", forbidden)
		default:
			err = fn(w, r, p.StaffID)
		}
		if err != nil {
			status := web.Fail(w, r, err, what)
			pages.RenderError(w, r, status, "", "", web.RequestIDFrom(r.Context()))
		}
	}
}
