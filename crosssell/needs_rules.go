package crosssell

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// NeedsRuleSetVersion names the rule set below. Every need carries it, so
// that what a client or an advisor was shown can be traced to the rules
// that said it; a change to a rule is a new version (needs-v2), and
// TestNeedsRuleSetPinned fails until the version is raised with it.
const NeedsRuleSetVersion = "needs-v1"

// NeedRule is one rule of the needs analysis, in CEL (https://cel.dev) like
// the eligibility rules of the catalogue (products.Rule): When must be true
// for the need to be named; Size, when given, is its size in the minor
// units of the client's home currency (an int: CEL's integers are exact,
// and an overflow is an error that leaves the need out rather than a wrong
// figure); Facts are the facts shown beside it (factsOf).
//
// Variables (amounts are int minor units of the home currency — cents —
// converted from other currencies at the fixed reference rates; rates are
// int millionths, 0.049 = 4.9 % = 49000):
//
//	client.age int                 (0 when not known; see client.age_known)
//	client.age_known bool
//	client.marital_status string   (single, married, partnership, divorced, widowed, "")
//	client.dependants int
//	client.employment_status string
//	client.life_stage string       (ecrm.LifeStage)
//	client.is_prospect bool
//	client.income_known bool
//	client.annual_income int
//	cash.current int               (current accounts)
//	cash.savings int               (savings accounts)
//	cash.term_deposits int
//	spending.monthly int           (average month of the last three)
//	investments.at_cost int        (positions other than options, at cost)
//	cover.life int                 (sum insured of active life policies)
//	debt.expensive_cards int       (card balances at an APR of at least 15 %)
//	debt.expensive_card_rate int   (the highest such APR)
//	mortgage.balance int           (the largest active mortgage)
//	mortgage.rate int
//	mortgage.market_rate int       (today's rate in its currency; 0 when none is on sale)
//	policies.renewals_due int      (active policies ending within 60 days)
//	events.marriage, events.birth, events.new_job, events.retirement bool
//	                               (seen in profile changes within 12 months)
type NeedRule struct {
	Code string `json:"code"`
	// Priority orders needs: lower first; needs of one priority by size,
	// largest first.
	Priority int      `json:"priority"`
	When     string   `json:"when"`
	Size     string   `json:"size,omitempty"`
	Facts    []string `json:"facts"`
}

// Thresholds of needs-v1, each with the reasoning behind it.
const (
	// protectionYears: life cover of ten years' income is the common rule
	// of thumb for a household that depends on one's income (it replaces
	// the income until children are grown or a partner adjusts).
	protectionYears = 10
	// emergencyMonths: an emergency fund of six months of expenses, the
	// upper end of the usual three-to-six, because a job search in Romania
	// takes about that long.
	emergencyMonths = 6
	// idleMonths: a current account needs about three months of spending
	// (the month's bills and a margin); above that the money earns nothing.
	idleMonths = 3
	// expensiveCardAPR: a card balance at 15 % a year or more costs about
	// twice a consumer loan (demo catalogue: 8–10 %): consolidating pays.
	expensiveCardAPR = 150000 // millionths
	// refinanceMargin: a mortgage at 1.5 points or more above today's rate
	// saves enough to pay for the fees and paperwork of refinancing.
	refinanceMargin = 15000 // millionths
)

// ExpensiveCardAPR is expensiveCardAPR as a fraction (0.15).
var ExpensiveCardAPR = decimal.New(expensiveCardAPR, -6)

// needsRules is needs-v1. Retirement savings follow the milestones of
// Fidelity's widely quoted guideline (savings of 1× salary by 30, 3× by
// 40, 6× by 50, 8× by 60), counted from investments at cost and term
// deposits, for working clients from 30 until 65.
var needsRules = []NeedRule{
	{Code: "renewal_due", Priority: 1,
		When:  "policies.renewals_due > 0",
		Facts: []string{"policies_ending"}},
	{Code: "life_event_marriage", Priority: 2, When: "events.marriage", Facts: []string{"event_marriage", "marital_status"}},
	{Code: "life_event_birth", Priority: 2, When: "events.birth", Facts: []string{"event_birth", "dependants"}},
	{Code: "life_event_new_job", Priority: 2, When: "events.new_job", Facts: []string{"event_new_job", "annual_income"}},
	{Code: "life_event_retirement", Priority: 2, When: "events.retirement", Facts: []string{"event_retirement", "retirement_savings"}},
	{Code: "protection_gap", Priority: 3,
		When:  "client.dependants > 0 && client.income_known && client.annual_income > 0 && " + strconv.Itoa(protectionYears) + " * client.annual_income > cover.life",
		Size:  strconv.Itoa(protectionYears) + " * client.annual_income - cover.life",
		Facts: []string{"dependants", "annual_income", "life_cover"}},
	{Code: "emergency_fund", Priority: 3,
		When:  "spending.monthly > 0 && " + strconv.Itoa(emergencyMonths) + " * spending.monthly > cash.current + cash.savings",
		Size:  strconv.Itoa(emergencyMonths) + " * spending.monthly - (cash.current + cash.savings)",
		Facts: []string{"monthly_expenses", "liquid_savings"}},
	{Code: "idle_cash", Priority: 3,
		When:  "spending.monthly > 0 && cash.current > " + strconv.Itoa(idleMonths) + " * spending.monthly",
		Size:  "cash.current - " + strconv.Itoa(idleMonths) + " * spending.monthly",
		Facts: []string{"current_balance", "monthly_expenses"}},
	{Code: "retirement_gap", Priority: 3,
		When: "client.age_known && client.age >= 30 && client.age < 65 && client.employment_status != 'retired' && " +
			"client.income_known && client.annual_income > 0 && " +
			"(client.age >= 60 ? 8 : client.age >= 50 ? 6 : client.age >= 40 ? 3 : 1) * client.annual_income > investments.at_cost + cash.term_deposits",
		Size:  "(client.age >= 60 ? 8 : client.age >= 50 ? 6 : client.age >= 40 ? 3 : 1) * client.annual_income - (investments.at_cost + cash.term_deposits)",
		Facts: []string{"age", "annual_income", "retirement_savings"}},
	{Code: "expensive_debt", Priority: 3,
		When:  "debt.expensive_cards > 0 && debt.expensive_card_rate >= " + strconv.Itoa(expensiveCardAPR),
		Size:  "debt.expensive_cards",
		Facts: []string{"card_debt", "card_rate"}},
	{Code: "mortgage_refinance", Priority: 3,
		When:  "mortgage.balance > 0 && mortgage.market_rate > 0 && mortgage.rate - mortgage.market_rate >= " + strconv.Itoa(refinanceMargin),
		Size:  "mortgage.balance",
		Facts: []string{"mortgage_balance", "mortgage_rate", "market_rate"}},
	// With too little known to size anything, the client is asked for
	// what the rules read most: income and date of birth.
	{Code: "complete_profile", Priority: 4,
		When:  "!client.income_known || !client.age_known",
		Facts: []string{"missing_income", "missing_birth_date"}},
}

// needsCostLimit bounds one rule's evaluation, as ruleCostLimit does for
// eligibility: needs-v1's rules cost under 60.
const needsCostLimit = 1000

var needsVariables = []struct {
	name string
	typ  *cel.Type
}{
	{"client.age", cel.IntType}, {"client.age_known", cel.BoolType}, {"client.marital_status", cel.StringType},
	{"client.dependants", cel.IntType}, {"client.employment_status", cel.StringType}, {"client.life_stage", cel.StringType},
	{"client.is_prospect", cel.BoolType}, {"client.income_known", cel.BoolType}, {"client.annual_income", cel.IntType},
	{"cash.current", cel.IntType}, {"cash.savings", cel.IntType}, {"cash.term_deposits", cel.IntType},
	{"spending.monthly", cel.IntType}, {"investments.at_cost", cel.IntType}, {"cover.life", cel.IntType},
	{"debt.expensive_cards", cel.IntType}, {"debt.expensive_card_rate", cel.IntType},
	{"mortgage.balance", cel.IntType}, {"mortgage.rate", cel.IntType}, {"mortgage.market_rate", cel.IntType},
	{"policies.renewals_due", cel.IntType},
	{"events.marriage", cel.BoolType}, {"events.birth", cel.BoolType}, {"events.new_job", cel.BoolType}, {"events.retirement", cel.BoolType},
}

type compiledNeedRule struct {
	NeedRule
	when, size cel.Program
}

// compiledNeeds compiles needs-v1 once per process: the rules are part of
// the binary, and an error in them is a programming error a test catches.
var compiledNeeds = sync.OnceValues(func() ([]compiledNeedRule, error) { return compileNeedRules(needsRules) })

func compileNeedRules(rules []NeedRule) ([]compiledNeedRule, error) {
	opts := []cel.EnvOption{cel.ClearMacros()}
	for _, v := range needsVariables {
		opts = append(opts, cel.Variable(v.name, v.typ))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("needs rule environment: %w", err)
	}
	compile := func(code, expr string, want *cel.Type) (cel.Program, error) {
		ast, iss := env.Compile(expr)
		if iss.Err() != nil {
			return nil, fmt.Errorf("needs rule %s: %w", code, iss.Err())
		}
		if !ast.OutputType().IsExactType(want) {
			return nil, fmt.Errorf("needs rule %s: %q is a %s, want %s", code, expr, ast.OutputType(), want)
		}
		return env.Program(ast, cel.CostLimit(needsCostLimit), cel.EvalOptions(cel.OptOptimize))
	}
	out := make([]compiledNeedRule, 0, len(rules))
	for _, r := range rules {
		c := compiledNeedRule{NeedRule: r}
		if c.when, err = compile(r.Code, r.When, cel.BoolType); err != nil {
			return nil, err
		}
		if r.Size != "" {
			if c.size, err = compile(r.Code, r.Size, cel.IntType); err != nil {
				return nil, err
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// needsRulesHash is the SHA-256 of the rules' canonical JSON.
func needsRulesHash() string {
	b, _ := json.Marshal(needsRules)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ruleVars are the variables of one client's facts, in the home currency.
type ruleVars struct {
	home  string
	units int32
	vars  map[string]any
	// values keeps the converted figures the facts show.
	income, current, savings, terms, spending, investments, cover, cards ecrm.Money
	cardRate                                                             decimal.Decimal
	mortgage                                                             *Debt
	marketRate                                                           *decimal.Decimal
}

// minor is an amount in minor units as a CEL int; false when it does not
// fit in an int64.
func (v *ruleVars) minor(m ecrm.Money) int64 {
	d := m.Amount.Shift(v.units).Round(0)
	if !d.IsInteger() || d.Abs().GreaterThan(decimal.New(1, 17)) {
		return 0
	}
	return d.IntPart()
}

// millionths is a rate as a CEL int (numeric(9,6) rates are exact).
func millionths(r decimal.Decimal) int64 { return r.Shift(6).Round(0).IntPart() }

func newRuleVars(f *Facts) *ruleVars {
	home := f.HomeCurrency()
	units, ok := ecrm.CurrencyMinorUnits(home)
	if !ok {
		units = 2
	}
	v := &ruleVars{home: home, units: units}
	zero := ecrm.Money{Amount: decimal.Zero, Currency: home}
	v.income = zero
	if f.Income != nil {
		if m, ok := convert(*f.Income, home); ok {
			v.income = m
		}
	}
	var current, savings, terms []ecrm.Money
	for _, b := range f.Balances {
		switch b.Kind {
		case "current":
			current = append(current, b.Money)
		case "savings":
			savings = append(savings, b.Money)
		case "term_deposit":
			terms = append(terms, b.Money)
		}
	}
	v.current, v.savings, v.terms = total(current, home), total(savings, home), total(terms, home)
	v.spending, v.investments, v.cover = total(f.MonthlyExpenses, home), total(f.Investments, home), total(f.LifeCover, home)
	var expensive []ecrm.Money
	for _, c := range f.Cards {
		if c.Rate != nil && c.Rate.GreaterThanOrEqual(ExpensiveCardAPR) {
			expensive = append(expensive, c.Money)
			if c.Rate.GreaterThan(v.cardRate) {
				v.cardRate = *c.Rate
			}
		}
	}
	v.cards = total(expensive, home)
	// The largest mortgage is the one refinancing would be about.
	for i, m := range f.Mortgages {
		if m.Rate == nil {
			continue
		}
		if v.mortgage == nil || m.Amount.GreaterThan(v.mortgage.Amount) {
			v.mortgage = &f.Mortgages[i]
		}
	}
	var mortgageBalance, mortgageRate, marketRate int64
	if v.mortgage != nil {
		if m, ok := convert(v.mortgage.Money, home); ok {
			mortgageBalance = v.minor(m)
		}
		mortgageRate = millionths(*v.mortgage.Rate)
		if r, ok := f.MarketMortgageRates[v.mortgage.Currency]; ok {
			v.marketRate = &r
			marketRate = millionths(r)
		}
	}
	has := func(kind string) bool {
		for _, e := range f.Events {
			if e.Kind == kind {
				return true
			}
		}
		return false
	}
	age := 0
	if f.Age != nil {
		age = *f.Age
	}
	v.vars = map[string]any{
		"client.age": age, "client.age_known": f.Age != nil, "client.marital_status": f.MaritalStatus,
		"client.dependants": f.Dependants, "client.employment_status": f.EmploymentStatus, "client.life_stage": f.LifeStage,
		"client.is_prospect": f.Prospect, "client.income_known": f.Income != nil, "client.annual_income": v.minor(v.income),
		"cash.current": v.minor(v.current), "cash.savings": v.minor(v.savings), "cash.term_deposits": v.minor(v.terms),
		"spending.monthly": v.minor(v.spending), "investments.at_cost": v.minor(v.investments), "cover.life": v.minor(v.cover),
		"debt.expensive_cards": v.minor(v.cards), "debt.expensive_card_rate": millionths(v.cardRate),
		"mortgage.balance": mortgageBalance, "mortgage.rate": mortgageRate, "mortgage.market_rate": marketRate,
		"policies.renewals_due": len(f.Renewals),
		"events.marriage":       has(EventMarriage), "events.birth": has(EventBirth), "events.new_job": has(EventNewJob),
		"events.retirement": has(EventRetirement),
	}
	return v
}

// evaluate runs every rule on the facts. A rule whose evaluation fails
// (an overflow, the cost limit) names no need: a need that cannot be shown
// to hold is not claimed.
func evaluateNeeds(rules []compiledNeedRule, f *Facts) []Need {
	v := newRuleVars(f)
	act, err := interpreter.NewActivation(v.vars)
	if err != nil {
		return nil
	}
	var out []Need
	for _, r := range rules {
		res, _, err := r.when.Eval(act)
		if err != nil || res != types.True {
			continue
		}
		n := Need{Code: r.Code, Priority: r.Priority, RuleSetVersion: NeedsRuleSetVersion}
		if r.size != nil {
			s, _, err := r.size.Eval(act)
			if err != nil {
				continue
			}
			cents, ok := s.Value().(int64)
			if !ok || cents <= 0 || v.home == "" {
				continue
			}
			n.Size = &ecrm.Money{Amount: decimal.New(cents, -v.units), Currency: v.home}
		}
		n.Facts = factsOf(r.Facts, f, v)
		out = append(out, n)
	}
	return out
}
