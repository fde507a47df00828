package advisor

import (
	"context"

	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/risk"
)

// SetSuitability shows the client's risk profile and risk behaviour on the
// 360, with the link to complete the questionnaire with the client.
func (h *Handler) SetSuitability(s *risk.Suitability) { h.suitability = s }

// riskView is the 360's risk profile section: the stated profile, whether
// it is due for review, the behaviour beside it (with the flag when the
// two disagree), the targeted programmes they call for, and whether the
// viewer may complete the questionnaire with the client (the advisor
// serving them).
type riskView struct {
	ClientID    int64
	Profile     *risk.RiskProfile
	Stated      *risk.ProfileView
	Behaviour   risk.Behaviour
	Programmes  *risk.Programmes
	CanComplete bool
}

// riskProfile reads the section for a client already in the viewer's
// scope; nil when the handler is not wired. The programmes are evaluated
// on the behaviour shown (one measurement).
func (h *Handler) riskProfile(ctx context.Context, clientID int64, canComplete bool) (*riskView, error) {
	if h.suitability == nil {
		return nil, nil
	}
	p, err := h.suitability.ProfileForStaff(ctx, clientID)
	if err != nil {
		return nil, err
	}
	programmes, err := h.suitability.Programmes(ctx, clientID, h.suitability.Now(), i18n.FromContext(ctx))
	if err != nil {
		return nil, err
	}
	return &riskView{ClientID: clientID, Profile: p, Stated: risk.NewProfileView(p.Stated), Behaviour: programmes.Behaviour,
		Programmes: programmes, CanComplete: canComplete}, nil
}
