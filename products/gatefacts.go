package products

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// Facts the compliance gate reads about products. They live here because
// the catalogue owns the product vocabulary; the gate only applies them.

// IsInvestment reports whether the product is an investment (brokerage
// line): those need a suitability assessment before they are offered.
func (p Product) IsInvestment() bool { return p.Line == LineBrokerage }

// KnowledgeArea is the product type a client's knowledge and experience is
// assessed for (fund, etf, bond, structured, option); empty for products
// that need no knowledge test.
func (p Product) KnowledgeArea() string {
	switch p.Kind {
	case "money_market_fund", "bond_fund", "equity_fund", "model_portfolio":
		return "fund"
	case "etf":
		return "etf"
	case "government_bond", "corporate_bond", "high_yield_bond":
		return "bond"
	case "structured_note":
		return "structured"
	case "listed_option", "protective_put", "collar":
		return "option"
	}
	return ""
}

// IsPersonal reports whether each member of a household needs their own
// (a current account, a card, cover on one's own life or health), so that
// offering it to two members of one household is not a duplicate push.
func (p Product) IsPersonal() bool {
	switch p.Kind {
	case "current_account", "credit_card", "life", "health", "accident", "travel":
		return true
	}
	return false
}

// KnowledgeAtLeast reports whether level is at least min on the ordered
// scale none < basic < informed < advanced; unknown levels count as none.
func KnowledgeAtLeast(level, min string) bool {
	rank := func(s string) int {
		for i, k := range knowledgeLevels {
			if k == s {
				return i
			}
		}
		return 0
	}
	return rank(level) >= rank(min)
}

// ReferenceEUR converts an amount to euros at the fixed reference rates
// eligibility thresholds use; ok is false for a currency without one.
func ReferenceEUR(m ecrm.Money) (eur decimal.Decimal, ok bool) {
	r, ok := referenceEURRates[m.Currency]
	if !ok {
		return decimal.Decimal{}, false
	}
	return m.Amount.Mul(r), true
}

// ProductVersionAt returns the version of a product that was live at time
// at: the latest version valid from then or earlier.
func (s *Store) ProductVersionAt(ctx context.Context, productID int64, at time.Time) (Product, error) {
	q := `SELECT ` + productColumns + ` FROM product_versions v JOIN products p ON p.id = v.product_id
		WHERE v.product_id = $1 AND v.valid_from <= $2 ORDER BY v.version DESC LIMIT 1`
	p, err := scanProduct(s.pool.QueryRow(ctx, q, productID, at))
	if errors.Is(err, pgx.ErrNoRows) {
		return Product{}, ecrm.Errorf(ecrm.ENOTFOUND, "Product %d had no version at %s.", productID, at.Format(time.RFC3339))
	}
	if err != nil {
		return Product{}, fmt.Errorf("product %d at %s: %w", productID, at.Format(time.RFC3339), err)
	}
	return p, nil
}

// MatchOne runs matching for one product version alone: the terms it
// offers the profile for the request, or the reasons it is left out. Replay
// uses it to recompute an offer's figures from a recorded snapshot; ranking
// reasons, which depend on the other products, are not recomputed.
func MatchOne(p Product, profile Profile, req MatchRequest, l *i18n.Localizer) (*Terms, []Reason, error) {
	p.Active = true
	cat, err := NewCatalogue([]Product{p})
	if err != nil {
		return nil, nil, err
	}
	res, err := cat.Match(profile, req, l)
	if err != nil {
		return nil, nil, err
	}
	if len(res.Eligible) == 1 {
		return &res.Eligible[0].Terms, nil, nil
	}
	if len(res.Excluded) == 1 {
		return nil, res.Excluded[0].Reasons, nil
	}
	return nil, nil, fmt.Errorf("match %s alone: no result", p.Code)
}
