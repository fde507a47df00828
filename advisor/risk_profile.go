package advisor

import (
	"context"

	"github.com/ecrm-project/ecrm/risk"
)

// SetSuitability shows the client's risk profile and risk behaviour on the
// 360, with the link to complete the questionnaire with the client.
func (h *Handler) SetSuitability(s *risk.Suitability) { h.suitability = s }

// riskView is the 360's risk profile section: the stated profile, whether
// it is due for review, the behaviour beside it (with the flag when the
// two disagree), and whether the viewer may complete the questionnaire
// with the client (the advisor serving them).
type riskView struct {
	ClientID    int64
	Profile     *risk.RiskProfile
	Stated      *risk.ProfileView
	Behaviour   risk.Behaviour
	CanComplete bool
}

// riskProfile reads the section for a client already in the viewer's
// scope; nil when the handler is not wired.
func (h *Handler) riskProfile(ctx context.Context, clientID int64, canComplete bool) (*riskView, error) {
	if h.suitability == nil {
		return nil, nil
	}
	p, err := h.suitability.ProfileForStaff(ctx, clientID)
	if err != nil {
		return nil, err
	}
	b, err := h.suitability.Behaviour(ctx, clientID)
	if err != nil {
		return nil, err
	}
	return &riskView{ClientID: clientID, Profile: p, Stated: risk.NewProfileView(p.Stated), Behaviour: b, CanComplete: canComplete}, nil
}
