package products

import (
	"context"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/web"
)

// Matching shows a logged-in client's offers only through the compliance
// offer gate (package compliance implements OfferGate; cmd/ecrm wires it):
// the gate records every offer shown or blocked and removes the blocked
// ones. Without a gate, or when the gate fails, a client sees no offers
// (fail closed) and the rest of the page. Prospects who are not logged in
// are not profiled and get product information only, which is not
// recorded.

// MatchingEngine and MatchingEngineVersion identify this engine in the
// offer log; change the version whenever ranking or pricing changes.
const (
	MatchingEngine        = "matching"
	MatchingEngineVersion = "matching-2026.11.1"
)

// MatchOutcome is a match with what the gate needs to judge its offers.
type MatchOutcome struct {
	Result   MatchResult
	Profile  Profile
	Request  MatchRequest
	Products map[int64]Product // offered product versions by version id
}

// OfferGate decides which of a client's offers may be shown and records
// each decision. It removes blocked offers from out.Result (setting
// Withheld and, when nothing is left, Notice) and sets each shown offer's
// DecisionSeq. An error means nothing was recorded: show no offer.
type OfferGate interface {
	PresentMatch(ctx context.Context, clientID int64, channel string, out *MatchOutcome, l *i18n.Localizer) error
}

// SetGate makes matching show clients' offers through g.
func (h *Handler) SetGate(g OfferGate) { h.gate = g }

// Products are the catalogue's products on sale, in catalogue order.
func (c *Catalogue) Products() []Product {
	out := make([]Product, len(c.products))
	for i := range c.products {
		out[i] = c.products[i].Product
	}
	return out
}

// ByVersion finds a product version on sale in the catalogue.
func (c *Catalogue) ByVersion(versionID int64) (Product, bool) { return c.byVersion(versionID) }

// byVersion finds an offered product in the compiled catalogue.
func (c *Catalogue) byVersion(versionID int64) (Product, bool) {
	for i := range c.products {
		if c.products[i].VersionID == versionID {
			return c.products[i].Product, true
		}
	}
	return Product{}, false
}

// gatedMatch matches and, for a client, puts the offers through the gate.
// channel is where the offers are shown (web, mobile).
func (h *Handler) gatedMatch(ctx context.Context, principal *ecrm.Principal, channel string, req MatchRequest, l *i18n.Localizer) (MatchResult, error) {
	out, err := h.engine.MatchOutcome(ctx, principal, req, l)
	if err != nil || !principal.IsClient() {
		return out.Result, err
	}
	if h.gate == nil {
		withholdAll(&out.Result, l.T("products.match.notice.unavailable"))
		return out.Result, nil
	}
	if err := h.gate.PresentMatch(ctx, principal.ClientID, channel, &out, l); err != nil {
		web.Logger(ctx).Error("offer gate failed: no offer shown", "error", err.Error(), "client_id", principal.ClientID)
		withholdAll(&out.Result, l.T("products.match.notice.unavailable"))
	}
	return out.Result, nil
}

// withholdAll removes every offer (fail closed) and says why.
func withholdAll(res *MatchResult, notice string) {
	res.Withheld += len(res.Eligible)
	res.Eligible = []Offer{}
	res.Notice = notice
}
