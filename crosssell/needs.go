package crosssell

import (
	"cmp"
	"context"
	"net/url"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// Need is a financial need the rules (needs-v1, needs_rules.go) name for a
// client: what (Code), how much (Size, in the client's home currency; nil
// for a need that is not an amount, such as a renewal), and the facts
// that say so. The advisor reads it in the staff's words (Title), the
// client in her own (ClientText). docs/needs.md explains every rule.
type Need struct {
	Code           string
	Size           *ecrm.Money
	Facts          []Fact
	Priority       int
	RuleSetVersion string
}

// Fact is one fact behind a need, typed so that it is said in the
// reader's language (Fact.In): an amount, a count, a rate, a date, a word
// from the catalogue.
type Fact struct {
	Code  string
	Money *ecrm.Money
	Count *int
	Rate  *decimal.Decimal
	Date  *time.Time
	// Word is a catalogue key said as an argument (a policy line, a
	// marital status).
	Word string
}

// Needs names the needs of a client on asOf, most pressing first: renewals
// due, then life events, then needs with a size (largest first), then a
// request to complete the profile. A client about whom little is known (a
// prospect without accounts) gets the needs that still apply, possibly
// none; never an error for the lack of data. The facts are read in one
// query (LoadFacts).
func Needs(ctx context.Context, db queryRower, clientID int64, asOf time.Time) ([]Need, error) {
	f, err := LoadFacts(ctx, db, clientID, asOf)
	if err != nil {
		return nil, err
	}
	return EvaluateNeeds(f)
}

// EvaluateNeeds runs needs-v1 on facts already read (QueueFacts).
func EvaluateNeeds(f *Facts) ([]Need, error) {
	if f.Absent {
		return nil, nil
	}
	rules, err := compiledNeeds()
	if err != nil {
		return nil, err
	}
	needs := evaluateNeeds(rules, f)
	slices.SortStableFunc(needs, func(a, b Need) int {
		if c := cmp.Compare(a.Priority, b.Priority); c != 0 {
			return c
		}
		switch {
		case a.Size != nil && b.Size != nil:
			return -a.Size.Amount.Cmp(b.Size.Amount)
		case a.Size != nil:
			return -1
		case b.Size != nil:
			return 1
		}
		return 0
	})
	return needs, nil
}

// factsOf builds the facts a rule shows.
func factsOf(codes []string, f *Facts, v *ruleVars) []Fact {
	out := make([]Fact, 0, len(codes)+len(f.Renewals))
	money := func(code string, m ecrm.Money) {
		out = append(out, Fact{Code: code, Money: &m})
	}
	count := func(code string, n int) { out = append(out, Fact{Code: code, Count: &n}) }
	rate := func(code string, r decimal.Decimal) { out = append(out, Fact{Code: code, Rate: &r}) }
	event := func(kind string) {
		for _, e := range f.Events {
			if e.Kind == kind {
				on := e.On
				out = append(out, Fact{Code: "event_" + kind, Date: &on})
			}
		}
	}
	for _, code := range codes {
		switch code {
		case "dependants":
			count(code, f.Dependants)
		case "age":
			if f.Age != nil {
				count(code, *f.Age)
			}
		case "annual_income":
			if f.Income != nil {
				money(code, *f.Income)
			}
		case "life_cover":
			money(code, v.cover)
		case "monthly_expenses":
			money(code, v.spending)
		case "liquid_savings":
			money(code, ecrm.Money{Amount: v.current.Amount.Add(v.savings.Amount), Currency: v.home})
		case "current_balance":
			money(code, v.current)
		case "retirement_savings":
			money(code, ecrm.Money{Amount: v.investments.Amount.Add(v.terms.Amount), Currency: v.home})
		case "card_debt":
			money(code, v.cards)
		case "card_rate":
			rate(code, v.cardRate)
		case "mortgage_balance":
			if v.mortgage != nil {
				money(code, v.mortgage.Money)
			}
		case "mortgage_rate":
			if v.mortgage != nil {
				rate(code, *v.mortgage.Rate)
			}
		case "market_rate":
			if v.marketRate != nil {
				rate(code, *v.marketRate)
			}
		case "policies_ending":
			for _, p := range f.Renewals {
				on := p.EndsOn
				out = append(out, Fact{Code: code, Word: "crosssell.line." + p.Line, Date: &on})
			}
		case "marital_status":
			if f.MaritalStatus != "" {
				out = append(out, Fact{Code: code, Word: "crosssell.marital." + f.MaritalStatus})
			}
		case "event_marriage":
			event(EventMarriage)
		case "event_birth":
			event(EventBirth)
		case "event_new_job":
			event(EventNewJob)
		case "event_retirement":
			event(EventRetirement)
		case "missing_income":
			if f.Income == nil {
				out = append(out, Fact{Code: code})
			}
		case "missing_birth_date":
			if f.Age == nil {
				out = append(out, Fact{Code: code})
			}
		}
	}
	return out
}

// In says the fact in l's language: the catalogue's
// "crosssell.fact.<code>" with the fact's values as arguments, in the
// order word, amount, rate, date; a count picks the plural form.
func (f Fact) In(l *i18n.Localizer) string {
	key := "crosssell.fact." + f.Code
	var args []any
	if f.Word != "" {
		args = append(args, l.T(f.Word))
	}
	if f.Money != nil {
		args = append(args, l.Money(*f.Money))
	}
	if f.Rate != nil {
		args = append(args, l.Percent(*f.Rate, 2))
	}
	if f.Date != nil {
		args = append(args, l.Date(*f.Date))
	}
	if f.Count != nil {
		return l.TN(key, *f.Count, append([]any{*f.Count}, args...)...)
	}
	return l.T(key, args...)
}

// Title is the need in the staff's words ("Protection gap").
func (n Need) Title(l *i18n.Localizer) string { return l.T("crosssell.need." + n.Code) }

// ClientText is the need in the client's own words, with its size and the
// fact that matters most ("You support 2 people and your life cover is
// …"): the catalogue's "crosssell.client.<code>".
func (n Need) ClientText(l *i18n.Localizer) string {
	key := "crosssell.client." + n.Code
	var args []any
	if n.Size != nil {
		args = append(args, l.Money(*n.Size))
	}
	fact := func(code string) *Fact {
		for i := range n.Facts {
			if n.Facts[i].Code == code {
				return &n.Facts[i]
			}
		}
		return nil
	}
	switch n.Code {
	case "protection_gap":
		if d := fact("dependants"); d != nil {
			return l.TN(key, *d.Count, *d.Count, l.Money(*n.Size))
		}
	case "renewal_due":
		if p := fact("policies_ending"); p != nil {
			return l.T(key, l.T(p.Word), l.Date(*p.Date))
		}
	case "expensive_debt":
		if r := fact("card_rate"); r != nil {
			args = append(args, l.Percent(*r.Rate, 2))
		}
	case "complete_profile":
		// Ask only for what is missing.
		switch income, birth := fact("missing_income") != nil, fact("missing_birth_date") != nil; {
		case income && !birth:
			key += "_income"
		case birth && !income:
			key += "_birth"
		}
	case "mortgage_refinance":
		if r, m := fact("mortgage_rate"), fact("market_rate"); r != nil && m != nil {
			args = append(args, l.Percent(*r.Rate, 2), l.Percent(*m.Rate, 2))
		}
	}
	return l.T(key, args...)
}

// Href is where the portal sends a client to act on the need: the product
// search for the matching goal (products' /portal/match), in the need's
// currency, or the profile to complete; "" when there is none.
func (n Need) Href() string {
	goal, purpose := "", ""
	switch n.Code {
	case "protection_gap", "life_event_marriage", "life_event_birth", "renewal_due":
		goal = "insure"
	case "emergency_fund", "idle_cash", "life_event_new_job":
		goal = "deposit"
	case "retirement_gap", "life_event_retirement":
		goal = "invest"
	case "expensive_debt":
		goal, purpose = "borrow", "personal"
	case "mortgage_refinance":
		goal, purpose = "borrow", "home"
	case "complete_profile":
		return "/portal/profile"
	default:
		return ""
	}
	q := url.Values{"goal": {goal}}
	if purpose != "" {
		q.Set("purpose", purpose)
	}
	if n.Size != nil && (n.Size.Currency == "EUR" || n.Size.Currency == "RON") {
		q.Set("currency", n.Size.Currency)
	}
	return "/portal/match?" + q.Encode()
}
