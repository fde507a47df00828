package advisor

import (
	"net/http"

	"github.com/ecrm-project/ecrm/risk"
)

// SetHedges lets the 360 show the holdings the hedging rules flag and the
// client's order requests.
func (h *Handler) SetHedges(d *risk.HedgeDesk) { h.hedges = d }

// hedgeSummary is the 360's hedging section; nil when not wired. The 360
// has already checked that the staff member may see the client.
func (h *Handler) hedgeSummary(r *http.Request, clientID int64) (*risk.HedgeSummary, error) {
	if h.hedges == nil {
		return nil, nil
	}
	return h.hedges.Summary(r.Context(), clientID)
}
