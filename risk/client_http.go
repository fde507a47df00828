package risk

import (
	"net/http"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// The client's routes of the risk package (risk profile, markets,
// portfolio risk, hedging) find the authenticated client one way.

// errNotClient: the route serves a logged-in client only (anyone else,
// staff included, is asked to log in as one).
var errNotClient = ecrm.Errorf(ecrm.EUNAUTHORIZED, "Log in as a client first.")

// authenticatedClient is the client the request is made for.
func authenticatedClient(r *http.Request) (int64, error) {
	p := ecrm.PrincipalFrom(r.Context())
	if !p.IsClient() {
		return 0, errNotClient
	}
	return p.ClientID, nil
}

type clientHandler func(w http.ResponseWriter, r *http.Request, clientID int64) error

// clientPage adapts a client's page handler: an error becomes the error
// page, what names the failure in the log.
func clientPage(pages *page.Renderer, what string, fn clientHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := authenticatedClient(r)
		if err == nil {
			err = fn(w, r, id)
		}
		if err != nil {
			status := web.Fail(w, r, err, what)
			pages.RenderError(w, r, status, "", ecrm.ErrorMessage(err), web.RequestIDFrom(r.Context()))
		}
	}
}

// clientAPI adapts a client's API handler: an error becomes problem+json,
// a caller who is not a client is told how to authenticate.
func clientAPI(fn clientHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := authenticatedClient(r)
		if err == nil {
			err = fn(w, r, id)
		} else {
			w.Header().Set("WWW-Authenticate", "Bearer")
		}
		if err != nil {
			web.Problem(w, r, err)
		}
	}
}
