package selfservice

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// UnsubscribeHandler serves the unsubscribe link of marketing e-mail
// (/unsubscribe/{token}), without a login: the token is the proof. GET
// asks to confirm and changes nothing (mail scanners follow links); POST
// withdraws the consent to offers by e-mail, and is also the one-click
// unsubscribe of RFC 8058 (List-Unsubscribe-Post) that mail providers send.
type UnsubscribeHandler struct {
	campaigns *crosssell.Campaigns
	pages     *page.Renderer
}

// NewUnsubscribeHandler returns the handler of the campaigns' links.
func NewUnsubscribeHandler(c *crosssell.Campaigns, pages *page.Renderer) *UnsubscribeHandler {
	return &UnsubscribeHandler{campaigns: c, pages: pages}
}

// Routes registers the link's page; mount it outside any login guard.
func (h *UnsubscribeHandler) Routes(r chi.Router) {
	r.Get("/unsubscribe/{token}", h.showUnsubscribe)
	r.Post("/unsubscribe/{token}", h.unsubscribe)
}

type unsubscribePage struct {
	Token string
	Done  bool
}

func (h *UnsubscribeHandler) showUnsubscribe(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, http.StatusOK, "portal_unsubscribe", page.View{Area: page.AreaPublic, Data: unsubscribePage{Token: chi.URLParam(r, "token")}})
}

func (h *UnsubscribeHandler) unsubscribe(w http.ResponseWriter, r *http.Request) {
	if err := h.campaigns.Unsubscribe(r.Context(), chi.URLParam(r, "token")); err != nil {
		status := web.Fail(w, r, err, "unsubscribe failed")
		detail := ""
		var appErr *ecrm.Error
		if errors.As(err, &appErr) {
			detail = i18n.FromContext(r.Context()).T(appErr.Message)
		}
		h.pages.RenderError(w, r, status, "", detail, web.RequestIDFrom(r.Context()))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, http.StatusOK, "portal_unsubscribe", page.View{Area: page.AreaPublic, Data: unsubscribePage{Done: true}})
}
