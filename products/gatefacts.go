package products

import (
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
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
	case "money_market_fund", "bond_fund", "equity_fund":
		return "fund"
	case "etf":
		return "etf"
	case "government_bond", "corporate_bond", "high_yield_bond":
		return "bond"
	case "structured_note":
		return "structured"
	case "listed_option":
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
