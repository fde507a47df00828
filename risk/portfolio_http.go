package risk

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// PortfolioHandler serves the client's own portfolio risk: the portal page
// /portal/portfolio/risk and GET /api/v1/me/portfolio/risk. Mount it in
// the client group; the client is the authenticated principal, and every
// query is scoped to them in SQL.
type PortfolioHandler struct {
	portfolios *Portfolios
	pages      *page.Renderer
}

// NewPortfolioHandler renders with pages (built with Templates).
func NewPortfolioHandler(portfolios *Portfolios, pages *page.Renderer) *PortfolioHandler {
	return &PortfolioHandler{portfolios: portfolios, pages: pages}
}

// ClientRoutes registers the page and the API.
func (h *PortfolioHandler) ClientRoutes(r chi.Router) {
	r.Get("/portal/portfolio/risk", h.showPage)
	r.Get("/api/v1/me/portfolio/risk", h.getRisk)
}

// measureOwn measures the authenticated client's portfolio.
func (h *PortfolioHandler) measureOwn(r *http.Request) (*PortfolioRisk, error) {
	id, err := authenticatedClient(r)
	if err != nil {
		return nil, err
	}
	return h.portfolios.Measure(r.Context(), PortfolioScope{ClientID: id})
}

func (h *PortfolioHandler) showPage(w http.ResponseWriter, r *http.Request) {
	risk, err := h.measureOwn(r)
	if err != nil {
		status := web.Fail(w, r, err, "portfolio risk page failed")
		h.pages.RenderError(w, r, status, "", "", web.RequestIDFrom(r.Context()))
		return
	}
	h.pages.Render(w, r, http.StatusOK, "risk_portfolio", NewPortfolioView(i18n.FromContext(r.Context()), risk, 2, true))
}

func (h *PortfolioHandler) getRisk(w http.ResponseWriter, r *http.Request) {
	risk, err := h.measureOwn(r)
	if err != nil {
		if ecrm.ErrorCode(err) == ecrm.EUNAUTHORIZED {
			w.Header().Set("WWW-Authenticate", "Bearer")
		}
		web.Problem(w, r, err)
		return
	}
	// A client's data, which no cache may keep.
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, risk)
}
