package compliance

import (
	"context"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/products"
)

// PresentMatch puts a client's product match through the gate (it
// implements products.OfferGate). The client asked, so the offers are
// client-initiated marketing on the channel given. Blocked offers are
// removed from the result; shown ones carry their decision record.
func (g *Gate) PresentMatch(ctx context.Context, clientID int64, channel string, out *products.MatchOutcome, l *i18n.Localizer) error {
	res := &out.Result
	if len(res.Eligible) == 0 {
		return nil
	}
	p := Presentation{
		ClientID: clientID, Channel: channel, Actor: Actor{Kind: ActorSystem}, Purpose: PurposeMarketing, ClientInitiated: true,
		Engine: products.MatchingEngine, EngineVersion: products.MatchingEngineVersion,
		Profile: out.Profile, Request: out.Request, Localizer: l,
	}
	for _, o := range res.Eligible {
		prod, ok := out.Products[o.ProductVersionID]
		if !ok {
			return fmt.Errorf("offer gate: product version %d of %s not in the match outcome", o.ProductVersionID, o.Code)
		}
		p.Offers = append(p.Offers, Candidate{
			Product: prod,
			Terms:   o.Terms,
			// Matching ranks by cost for the client; the score is the
			// rank among the eligible products (1 is best).
			Score:       &Score{Value: decimal.NewFromInt(int64(o.Rank)), Components: []ScoreComponent{{Name: "rank_of_" + fmt.Sprint(len(res.Eligible)), Value: decimal.NewFromInt(int64(o.Rank))}}},
			Reasons:     offerMessages(o.Reasons),
			Disclosures: matchDisclosures(prod, o, g.Firm, l),
		})
	}
	verdicts, err := g.Present(ctx, p)
	if err != nil {
		return err
	}
	kept := make([]products.Offer, 0, len(res.Eligible))
	blocked := map[string]int{}
	for i, o := range res.Eligible {
		v := verdicts[i]
		if !v.Shown {
			for _, name := range v.Blocked() {
				blocked[name]++
			}
			continue
		}
		o.DecisionSeq = v.Seq
		for _, w := range v.Warnings {
			o.Warnings = append(o.Warnings, w.Text)
		}
		o.Rank = len(kept) + 1
		kept = append(kept, o)
	}
	res.Withheld += len(res.Eligible) - len(kept)
	res.Eligible = kept
	if len(kept) == 0 {
		res.Notice = l.T("products.match.notice." + noticeFor(blocked))
	}
	return nil
}

// offerMessages are an offer's reasons as the offer log keeps them.
func offerMessages(reasons []products.Reason) []i18n.Message {
	out := make([]i18n.Message, len(reasons))
	for i, r := range reasons {
		out[i] = r.Message()
	}
	return out
}

// noticeFor picks what to tell a client who sees no offer: the reason
// they can act on first.
func noticeFor(blocked map[string]int) string {
	for _, name := range []string{CheckObjection, CheckConsent, CheckSuitability, CheckContactPolicy} {
		if blocked[name] > 0 {
			return name
		}
	}
	return "other"
}

// matchDisclosures are what the client is shown with an offer: fees and
// total cost, the product's key warnings, the product terms version and
// whether the firm earns a commission from another provider.
// The firm's own products carry its name as provider; other providers
// (insurers, fund houses) pay the firm a commission, which is a conflict of
// interest to disclose.
func matchDisclosures(prod products.Product, o products.Offer, firm string, l *i18n.Localizer) []Disclosure {
	return OfferDisclosures(prod, o.Terms, firm, l)
}

// OfferDisclosures are the disclosures of an offer of prod on terms, for
// any engine that offers catalogue products (see matchDisclosures).
func OfferDisclosures(prod products.Product, terms products.Terms, firm string, l *i18n.Localizer) []Disclosure {
	o := products.Offer{Terms: terms}
	var out []Disclosure
	fee := func(key string, m *ecrm.Money) {
		if m != nil && !m.Amount.IsZero() {
			out = append(out, Disclosure{Kind: "fee", Text: l.Say(key), Amount: m})
		}
	}
	fee("products.disclosure.fee_upfront", o.Terms.UpfrontFee)
	fee("products.disclosure.fee_monthly", o.Terms.MonthlyFee)
	fee("products.disclosure.entry_fee", o.Terms.EntryFee)
	if o.Terms.TotalCost != nil {
		out = append(out, Disclosure{Kind: "cost", Text: l.Say("products.disclosure.total_cost"), Amount: o.Terms.TotalCost})
	}
	for _, d := range prod.Definition.Disclosures {
		out = append(out, Disclosure{Kind: "product_warning", Text: l.SayText(d)})
	}
	out = append(out, Disclosure{Kind: "document", Text: l.Say("products.disclosure.terms"), Document: "product-terms/" + prod.Code,
		DocumentVersion: fmt.Sprintf("v%d", prod.Version.Version)})
	if prod.Provider == firm {
		out = append(out, Disclosure{Kind: "conflict_of_interest", Text: l.Say("products.disclosure.own_product")})
	} else {
		out = append(out, Disclosure{Kind: "conflict_of_interest", Text: l.Say("products.disclosure.third_party", prod.Provider)})
	}
	return slices.Clip(out)
}
