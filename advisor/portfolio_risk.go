package advisor

import (
	"net/http"

	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/risk"
)

// SetPortfolios lets the 360 show the client's portfolio valued in their
// base currency with its allocation and risk, as the client sees it on
// the portal's risk page.
func (h *Handler) SetPortfolios(p *risk.Portfolios) { h.portfolios = p }

// portfolioRisk measures the portfolio of the client on the 360, scoped in
// SQL as the 360 itself is: an advisor reads only a client they serve.
// Nil when not wired or when the client holds nothing.
func (h *Handler) portfolioRisk(r *http.Request, sc Scope, v *Client360) (*risk.PortfolioView, error) {
	if h.portfolios == nil || len(v.Positions) == 0 {
		return nil, nil
	}
	figures, err := h.portfolios.Measure(r.Context(), risk.PortfolioScope{ClientID: v.ID, AdvisorID: sc.advisorFilter()})
	if err != nil {
		return nil, err
	}
	return risk.NewPortfolioView(i18n.FromContext(r.Context()), figures, 3, false), nil
}
