package selfservice

import (
	"net/http"

	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/risk"
)

// SetSuitability lets the overview ask the client to complete or review
// their risk profile (/portal/risk-profile, served by risk).
func (h *Handler) SetSuitability(s *risk.Suitability) { h.suitability = s }

// riskNotice is what the overview says about the client's risk profile:
// "stale" when it is due for review, "none" when an investor has none,
// "" otherwise (or when it cannot be read: the overview goes on).
func (h *Handler) riskNotice(r *http.Request, clientID int64, invests bool) string {
	if h.suitability == nil {
		return ""
	}
	p, err := h.suitability.Profile(r.Context(), clientID)
	if err != nil {
		web.Logger(r.Context()).Warn("risk profile not read for the overview", "error", err.Error(), "client_id", clientID)
		return ""
	}
	switch {
	case p.Status == risk.StatusStale:
		return risk.StatusStale
	case p.Status == risk.StatusNone && invests:
		return risk.StatusNone
	}
	return ""
}
