package risk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/products"
)

// Targeted programmes (issue 15, item 6; docs/programmes.md): versioned
// rules that map what a client stated in the questionnaire, how she
// actually trades (Behaviour) and how her portfolio is allocated against
// the model of her risk class onto programmes — high-yield bonds for a
// risk seeker, a diversified model portfolio for the risk-averse or the
// concentrated, a rebalancing proposal when the allocation drifts. A
// programme names product kinds, not products: the cross-sell arbitration
// makes the firm's products of those kinds candidates, weighs them like a
// need, and the compliance gate re-checks every one (class, knowledge,
// target market) as it does any offer. Each match carries its reasons,
// said in the reader's language, and the facts it fired on; the decision
// records that use a match keep the code, this rule set's version and the
// snapshot the rules read (the behaviour with its mismatch flag included).

// ProgrammesRuleSetVersion names the rules, the model allocations and the
// thresholds below; a change to any of them is a new version, and
// TestProgrammeRulesPinned fails until the version is raised with it.
const ProgrammesRuleSetVersion = "programmes-v1"

// Programme codes.
const (
	ProgrammeHighYield   = "high_yield_seeker"
	ProgrammeDiversified = "diversified_portfolio"
	ProgrammeRebalancing = "rebalancing"
)

// modelEquityShare is the equities share of the model allocation of each
// stated risk class (index 1–7; the rest in bonds and cash), in basis
// points. A ladder in steps of 15 points from the cautious model's 20 %,
// the usual shape of a bank's model-portfolio range (Vanguard's
// LifeStrategy funds, for one, hold 20, 40, 60, 80 or 100 % equities):
// class 1 preserves capital and holds none; class 7 keeps a tenth out of
// equities for liquidity.
var modelEquityShare = [8]int64{0, 0, 2000, 3500, 5000, 6500, 8000, 9000}

// ModelEquityShare is the equities share of the model allocation of a
// stated risk class (0 outside 1–7).
func ModelEquityShare(class int) decimal.Decimal {
	if class < 1 || class > 7 {
		return decimal.Zero
	}
	return decimal.New(modelEquityShare[class], -4)
}

// Thresholds of programmes-v1, each with its reason.
const (
	// riskSeekerFrom: risk classes 5–7 take the market risk of equities
	// and more (PRIIPs market-risk class 5: volatility of 20 % and up); a
	// high-yield bond (class 5 in the demo catalogue) belongs there.
	riskSeekerFrom = 5
	// riskAverseTo: classes 1–3 are the low to medium-low risk profiles
	// (volatility under 12 %), for whom a diversified portfolio is the
	// investment, not a single security.
	riskAverseTo = 3
	// concentratedWeight: one security above a quarter of the portfolio
	// is concentrated, the hedging engine's own limit
	// (DefaultHedgeRules' MaxWeight), in basis points.
	concentratedWeight = 2500
	// driftThreshold: planners' "5/25" rule rebalances a major asset
	// class that strays 5 points from its target; a proposal costs the
	// client a fee and may realise a taxable gain, so the firm proposes
	// one at twice that: 10 points, in basis points.
	driftThreshold = 1000
	// highYieldHorizonMonths: a high-yield bond is held for its coupons
	// to maturity, three years at least (the demo bond's own target
	// market asks for 36 months).
	highYieldHorizonMonths = 36
)

// A fund's or ETF's equities share is estimated from its volatility (the
// instrument data hold no look-through allocation): at bondLikeVolatility
// or less it counts as bonds, at equityLikeVolatility or more as equities
// (a broad equity index's volatility), linearly between, to 0.01. A gold
// or commodity ETF, as volatile as equities, counts with them: what the
// model limits is the share of the portfolio in volatile assets.
var (
	bondLikeVolatility   = decimal.RequireFromString("0.04")
	equityLikeVolatility = decimal.RequireFromString("0.15")
)

// ProgrammeRule is one programme of the rule set, in CEL like the needs
// rules: When must hold for the programme to match; Kinds are the product
// kinds it offers, priced for Purpose (a proposal's request) and for Size
// when given (an int in minor units of the portfolio's currency); Facts
// are the variables recorded with a match; each reason is said when its
// own When holds (always when empty), with the variables of Args.
//
// Variables (shares, weights and drift are int basis points, 0.2500 =
// 2500; amounts int minor units of the portfolio's currency):
//
//	profile.assessed bool          an assessment in force as the gate reads it (3 years)
//	profile.stale bool             due for review (age, income or employment changed)
//	profile.class int              stated risk class 1–7, 0 without an assessment
//	profile.objective string       preservation, income, growth, hedging, "" without
//	profile.horizon_months int
//	behaviour.observed bool        the client held something in the window
//	behaviour.implied_class int    1–7, 0 when not observed
//	behaviour.mismatch string      riskier_than_stated, more_cautious_than_stated or ""
//	behaviour.high_volatility_share int
//	behaviour.largest_single_security_weight int
//	allocation.valued bool         a priced portfolio other than options
//	allocation.value int           its value (options left out)
//	allocation.equity_share int
//	allocation.model_equity_share int  the model of the stated class
//	allocation.drift int           |equity share − model equity share|
//	allocation.largest_single_security string
type ProgrammeRule struct {
	Code    string            `json:"code"`
	When    string            `json:"when"`
	Kinds   []string          `json:"kinds"`
	Purpose string            `json:"purpose,omitempty"`
	Size    string            `json:"size,omitempty"`
	Facts   []string          `json:"facts"`
	Reasons []ProgrammeReason `json:"reasons"`
}

// ProgrammeReason is a reason of a programme: a catalogue key (in
// programmes.*.json) said with the values of Args ("size" is the match's
// size), when When holds.
type ProgrammeReason struct {
	Key  string   `json:"key"`
	When string   `json:"when,omitempty"`
	Args []string `json:"args,omitempty"`
}

// Conditions the rules share.
var (
	whenCurrent      = "profile.assessed && !profile.stale"
	whenSeeker       = "profile.class >= " + strconv.Itoa(riskSeekerFrom)
	whenAverse       = "profile.class <= " + strconv.Itoa(riskAverseTo)
	whenConcentrated = "behaviour.observed && behaviour.largest_single_security_weight >= " + strconv.Itoa(concentratedWeight)
)

// programmeRules is programmes-v1. Every programme waits for a current
// profile: one due for review may no longer describe the client, and the
// portal asks her to review it first.
var programmeRules = []ProgrammeRule{
	{Code: ProgrammeHighYield, Kinds: []string{"high_yield_bond"},
		When: whenCurrent + " && " + whenSeeker + " && behaviour.observed && behaviour.implied_class >= " + strconv.Itoa(riskSeekerFrom) +
			" && profile.objective in ['income', 'growth'] && profile.horizon_months >= " + strconv.Itoa(highYieldHorizonMonths),
		Facts: []string{"profile.class", "profile.objective", "profile.horizon_months", "behaviour.implied_class",
			"behaviour.mismatch", "behaviour.high_volatility_share"},
		Reasons: []ProgrammeReason{
			{Key: "programmes.reason.stated_class", Args: []string{"profile.class"}},
			{Key: "programmes.reason.implied_class", Args: []string{"behaviour.implied_class"}},
			{Key: "programmes.reason.high_volatility", When: "behaviour.high_volatility_share > 0", Args: []string{"behaviour.high_volatility_share"}},
		}},
	{Code: ProgrammeDiversified, Kinds: []string{"model_portfolio"},
		When: whenCurrent + " && (" + whenAverse + " || " + whenConcentrated + ")",
		Facts: []string{"profile.class", "behaviour.observed", "behaviour.largest_single_security_weight",
			"allocation.largest_single_security", "behaviour.mismatch"},
		Reasons: []ProgrammeReason{
			{Key: "programmes.reason.cautious_class", When: whenAverse, Args: []string{"profile.class"}},
			{Key: "programmes.reason.concentrated", When: whenConcentrated,
				Args: []string{"allocation.largest_single_security", "behaviour.largest_single_security_weight"}},
		}},
	{Code: ProgrammeRebalancing, Kinds: []string{"portfolio_rebalancing"}, Purpose: products.PurposeRebalancing,
		When:  whenCurrent + " && allocation.valued && allocation.drift > " + strconv.Itoa(driftThreshold),
		Size:  "allocation.value * allocation.drift / 10000",
		Facts: []string{"profile.class", "allocation.value", "allocation.equity_share", "allocation.model_equity_share", "allocation.drift"},
		Reasons: []ProgrammeReason{
			{Key: "programmes.reason.drift", Args: []string{"allocation.equity_share", "profile.class", "allocation.model_equity_share", "size"}},
		}},
}

// programmeVariables are the rules' variables and how a value is said
// as a reason's argument.
var programmeVariables = []struct {
	name string
	typ  *cel.Type
	arg  argKind
}{
	{"profile.assessed", cel.BoolType, argPlain}, {"profile.stale", cel.BoolType, argPlain},
	{"profile.class", cel.IntType, argPlain}, {"profile.objective", cel.StringType, argPlain},
	{"profile.horizon_months", cel.IntType, argPlain},
	{"behaviour.observed", cel.BoolType, argPlain}, {"behaviour.implied_class", cel.IntType, argPlain},
	{"behaviour.mismatch", cel.StringType, argPlain},
	{"behaviour.high_volatility_share", cel.IntType, argShare},
	{"behaviour.largest_single_security_weight", cel.IntType, argShare},
	{"allocation.valued", cel.BoolType, argPlain}, {"allocation.value", cel.IntType, argMoney},
	{"allocation.equity_share", cel.IntType, argShare}, {"allocation.model_equity_share", cel.IntType, argShare},
	{"allocation.drift", cel.IntType, argShare}, {"allocation.largest_single_security", cel.StringType, argPlain},
}

type argKind int

const (
	argPlain argKind = iota // an int or a string as it is
	argShare                // basis points said as a percentage
	argMoney                // minor units of the portfolio's currency
)

// programmeCostLimit bounds one expression's evaluation (programmes-v1's
// cost under 40).
const programmeCostLimit = 1000

type compiledProgrammeRule struct {
	ProgrammeRule
	when, size cel.Program
	reasons    []cel.Program // nil for a reason said always
}

// compiledProgrammes compiles programmes-v1 once per process: the rules
// are part of the binary, and an error in them is a programming error a
// test catches.
var compiledProgrammes = sync.OnceValues(func() ([]compiledProgrammeRule, error) { return compileProgrammeRules(programmeRules) })

func compileProgrammeRules(rules []ProgrammeRule) ([]compiledProgrammeRule, error) {
	opts := []cel.EnvOption{cel.ClearMacros()}
	known := map[string]bool{"size": true}
	for _, v := range programmeVariables {
		opts = append(opts, cel.Variable(v.name, v.typ))
		known[v.name] = true
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("programme rule environment: %w", err)
	}
	compile := func(code, expr string, want *cel.Type) (cel.Program, error) {
		ast, iss := env.Compile(expr)
		if iss.Err() != nil {
			return nil, fmt.Errorf("programme rule %s: %w", code, iss.Err())
		}
		if !ast.OutputType().IsExactType(want) {
			return nil, fmt.Errorf("programme rule %s: %q is a %s, want %s", code, expr, ast.OutputType(), want)
		}
		return env.Program(ast, cel.CostLimit(programmeCostLimit), cel.EvalOptions(cel.OptOptimize))
	}
	out := make([]compiledProgrammeRule, 0, len(rules))
	for _, r := range rules {
		c := compiledProgrammeRule{ProgrammeRule: r}
		if c.when, err = compile(r.Code, r.When, cel.BoolType); err != nil {
			return nil, err
		}
		if r.Size != "" {
			if c.size, err = compile(r.Code, r.Size, cel.IntType); err != nil {
				return nil, err
			}
		}
		for _, name := range r.Facts {
			if !known[name] || name == "size" {
				return nil, fmt.Errorf("programme rule %s: fact %q is not a variable", r.Code, name)
			}
		}
		for _, reason := range r.Reasons {
			var p cel.Program
			if reason.When != "" {
				if p, err = compile(r.Code, reason.When, cel.BoolType); err != nil {
					return nil, err
				}
			}
			for _, a := range reason.Args {
				if !known[a] || (a == "size" && r.Size == "") {
					return nil, fmt.Errorf("programme rule %s: reason %s: argument %q is not a variable", r.Code, reason.Key, a)
				}
			}
			c.reasons = append(c.reasons, p)
		}
		out = append(out, c)
	}
	return out, nil
}

// programmeRulesHash is the SHA-256 of everything programmes-v1 decides
// with: the rules, the model allocations, the fund estimate's bounds and
// the behaviour's version (whose measures the rules read).
func programmeRulesHash() string {
	b, _ := json.Marshal(struct {
		Rules      []ProgrammeRule `json:"rules"`
		Model      [8]int64        `json:"model_equity_share"`
		BondLike   string          `json:"bond_like_volatility"`
		EquityLike string          `json:"equity_like_volatility"`
		Behaviour  string          `json:"behaviour"`
	}{programmeRules, modelEquityShare, bondLikeVolatility.String(), equityLikeVolatility.String(), BehaviourVersion})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ProgrammeFacts are what the rules read about a client on a day.
type ProgrammeFacts struct {
	// The stated profile: the assessment in force as the gate reads it
	// (at most products.AssessmentMaxAgeMonths old), and whether the
	// client is asked to review it.
	Assessed      bool     `json:"assessed"`
	AssessmentID  int64    `json:"assessment_id,omitempty"`
	Stale         bool     `json:"stale"`
	StaleReasons  []string `json:"stale_reasons,omitempty"`
	StatedClass   int      `json:"stated_class"`
	Objective     string   `json:"objective"`
	HorizonMonths int      `json:"horizon_months"`
	// The behaviour's measures the rules read (the whole Behaviour is
	// recorded beside them).
	Observed                    bool            `json:"observed"`
	ImpliedClass                int             `json:"implied_class"`
	Mismatch                    string          `json:"mismatch"`
	HighVolatilityShare         decimal.Decimal `json:"high_volatility_share"`
	LargestSingleSecurityWeight decimal.Decimal `json:"largest_single_security_weight"`
	Allocation                  Allocation      `json:"allocation"`
}

// Allocation is the portfolio's split between equities and the rest
// against the model of the stated class, valued as Behaviour values
// today's positions (the latest close, the day's rate, the client's
// currency). Options are left out: a premium is not an allocation, and
// their risk is the behaviour's leveraged share.
type Allocation struct {
	Valued bool       `json:"valued"`
	Value  ecrm.Money `json:"value"`
	// Equity is the equities' value, funds and ETFs counted by their
	// estimated equities share (bondLikeVolatility).
	Equity           ecrm.Money      `json:"equity"`
	EquityShare      decimal.Decimal `json:"equity_share"`
	ModelClass       int             `json:"model_class"`
	ModelEquityShare decimal.Decimal `json:"model_equity_share"`
	Drift            decimal.Decimal `json:"drift"`
	// LargestSingleSecurity is the symbol of the largest single security
	// (the one of Behaviour.LargestSingleSecurityWeight).
	LargestSingleSecurity string `json:"largest_single_security,omitempty"`
}

// fundEquityShare estimates the equities share of an instrument: 1 for a
// share, 0 for a bond, by volatility for a fund or ETF; false for what is
// not allocated (options, indices).
func fundEquityShare(in BehaviourInstrument) (decimal.Decimal, bool) {
	switch in.Kind {
	case "equity":
		return decimal.NewFromInt(1), true
	case "bond":
		return decimal.Zero, true
	case "fund", "etf":
		x := in.Volatility.Sub(bondLikeVolatility).Div(equityLikeVolatility.Sub(bondLikeVolatility))
		return decimal.Min(decimal.Max(x, decimal.Zero), decimal.NewFromInt(1)).Round(2), true
	}
	return decimal.Zero, false
}

// MeasureAllocation values the holdings of in on its last day as
// MeasureBehaviour does (the latest close of any instrument held in the
// window on or before AsOf, each holding at its latest close on or before
// it, converted at that day's rate) and compares the equities share with
// the model of statedClass.
func MeasureAllocation(in BehaviourInput, statedClass int) Allocation {
	asOf := dateOnly(in.AsOf)
	zero := ecrm.Money{Amount: decimal.Zero, Currency: in.Currency}
	a := Allocation{Value: zero, Equity: zero, EquityShare: decimal.Zero, ModelClass: statedClass,
		ModelEquityShare: ModelEquityShare(statedClass), Drift: decimal.Zero}
	// The last day: the latest close on or before AsOf, within the
	// window, of any instrument held in it (prices are oldest first).
	fromN, asOfN, dayN := dayNumber(asOf.AddDate(0, -drawdownMonths, 0)), dayNumber(asOf), int64(math.MinInt64)
	for _, h := range in.Holdings {
		prices := in.Prices[h.Instrument]
		i := sort.Search(len(prices), func(i int) bool { return dayNumber(prices[i].On) > asOfN })
		if i > 0 {
			if d := dayNumber(prices[i-1].On); d >= fromN && d > dayN {
				dayN = d
			}
		}
	}
	if dayN == math.MinInt64 {
		return a
	}
	day := time.Unix(dayN*86400, 0).UTC()
	values := map[int64]decimal.Decimal{}
	for _, h := range in.Holdings {
		held := holdingAt(h, asOf)
		if held.IsZero() {
			continue
		}
		info := in.Instruments[h.Instrument]
		close, ok := closeOn(in.Prices[h.Instrument], day)
		if !ok {
			continue // unpriced: left out, as the behaviour leaves it
		}
		unit := close
		if info.Multiplier > 1 {
			unit = close.Mul(decimal.NewFromInt(info.Multiplier))
		}
		if info.Currency != in.Currency {
			r, _ := in.Rate(info.Currency, day)
			unit = unit.Mul(r)
		}
		values[h.Instrument] = values[h.Instrument].Add(held.Mul(unit).Abs())
	}
	ids := make([]int64, 0, len(values))
	gross := decimal.Zero
	for id, v := range values {
		ids = append(ids, id)
		gross = gross.Add(v)
	}
	slices.Sort(ids)
	allocated, equity, largest := decimal.Zero, decimal.Zero, decimal.Zero
	for _, id := range ids {
		v, info := values[id], in.Instruments[id]
		if info.singleSecurity() && gross.IsPositive() {
			if w := v.Div(gross).Round(shareplaces); w.GreaterThan(largest) {
				largest, a.LargestSingleSecurity = w, info.Symbol
			}
		}
		share, ok := fundEquityShare(info)
		if !ok {
			continue
		}
		allocated = allocated.Add(v)
		equity = equity.Add(v.Mul(share))
	}
	if !allocated.IsPositive() {
		return a
	}
	a.Valued = true
	a.Value.Amount, a.Equity.Amount = allocated, equity
	a.Value, a.Equity = a.Value.Round(), a.Equity.Round()
	a.EquityShare = equity.Div(allocated).Round(shareplaces)
	if statedClass > 0 {
		a.Drift = a.EquityShare.Sub(a.ModelEquityShare).Abs()
	}
	return a
}

// ProgrammeFact is one fact a match fired on: a rule variable and its
// value as the rule read it.
type ProgrammeFact struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// ProgrammeMatch is a programme the rules name for a client.
type ProgrammeMatch struct {
	Code    string `json:"code"`
	RuleSet string `json:"rule_set"`
	// Kinds are the product kinds the programme offers; Purpose the
	// purpose of their request (a proposal's); Size what the programme is
	// about (the amount a rebalancing moves), nil for none.
	Kinds   []string        `json:"kinds"`
	Purpose string          `json:"purpose,omitempty"`
	Size    *ecrm.Money     `json:"size,omitempty"`
	Reasons []i18n.Message  `json:"reasons"`
	Facts   []ProgrammeFact `json:"facts"`
}

// Title is the programme in words (a catalogue key).
func (m ProgrammeMatch) Title() string { return "programmes.programme." + m.Code }

// basisPoints is a share as an int of ten-thousandths (shares are kept to
// shareplaces = 4 decimals, so this is exact).
func basisPoints(d decimal.Decimal) int64 { return d.Shift(4).Round(0).IntPart() }

// minorUnits is an amount as an int of its currency's minor units (0 when
// it does not fit: the rules then see no portfolio to size).
func minorUnits(m ecrm.Money) int64 {
	units, ok := ecrm.CurrencyMinorUnits(m.Currency)
	if !ok {
		units = 2
	}
	d := m.Amount.Shift(units).Round(0)
	if d.Abs().GreaterThan(decimal.New(1, 17)) {
		return 0
	}
	return d.IntPart()
}

func (f ProgrammeFacts) vars() map[string]any {
	a := f.Allocation
	return map[string]any{
		"profile.assessed": f.Assessed, "profile.stale": f.Stale, "profile.class": int64(f.StatedClass),
		"profile.objective": f.Objective, "profile.horizon_months": int64(f.HorizonMonths),
		"behaviour.observed": f.Observed, "behaviour.implied_class": int64(f.ImpliedClass), "behaviour.mismatch": f.Mismatch,
		"behaviour.high_volatility_share":          basisPoints(f.HighVolatilityShare),
		"behaviour.largest_single_security_weight": basisPoints(f.LargestSingleSecurityWeight),
		"allocation.valued":                        a.Valued, "allocation.value": minorUnits(a.Value),
		"allocation.equity_share": basisPoints(a.EquityShare), "allocation.model_equity_share": basisPoints(a.ModelEquityShare),
		"allocation.drift": basisPoints(a.Drift), "allocation.largest_single_security": a.LargestSingleSecurity,
	}
}

// EvaluateProgrammes runs programmes-v1 on facts: the programmes that
// match, in the rule set's order, each with its reasons in l's language
// (kept as keys and arguments) and the facts it fired on.
func EvaluateProgrammes(f ProgrammeFacts, l *i18n.Localizer) ([]ProgrammeMatch, error) {
	rules, err := compiledProgrammes()
	if err != nil {
		return nil, err
	}
	return evaluateProgrammes(rules, f, l), nil
}

// evaluateProgrammes leaves out a programme whose evaluation fails (an
// overflow, the cost limit): a programme that cannot be shown to fit is
// not claimed.
func evaluateProgrammes(rules []compiledProgrammeRule, f ProgrammeFacts, l *i18n.Localizer) []ProgrammeMatch {
	if l == nil {
		l = i18n.NewLocalizer(i18n.English)
	}
	vars := f.vars()
	act, err := interpreter.NewActivation(vars)
	if err != nil {
		return nil
	}
	holds := func(p cel.Program) bool {
		res, _, err := p.Eval(act)
		return err == nil && res == types.True
	}
	out := []ProgrammeMatch{}
	for _, r := range rules {
		if !holds(r.when) {
			continue
		}
		m := ProgrammeMatch{Code: r.Code, RuleSet: ProgrammesRuleSetVersion, Kinds: r.Kinds, Purpose: r.Purpose, Reasons: []i18n.Message{}}
		if r.size != nil {
			s, _, err := r.size.Eval(act)
			if err != nil {
				continue
			}
			minor, ok := s.Value().(int64)
			currency := f.Allocation.Value.Currency
			units, known := ecrm.CurrencyMinorUnits(currency)
			if !ok || minor <= 0 || !known {
				continue
			}
			m.Size = &ecrm.Money{Amount: decimal.New(minor, -units), Currency: currency}
		}
		for _, name := range r.Facts {
			m.Facts = append(m.Facts, ProgrammeFact{Name: name, Value: vars[name]})
		}
		for i, reason := range r.Reasons {
			if p := r.reasons[i]; p != nil && !holds(p) {
				continue
			}
			args := make([]any, len(reason.Args))
			for j, name := range reason.Args {
				args[j] = reasonArg(name, vars, m.Size, currencyOf(f))
			}
			m.Reasons = append(m.Reasons, l.Say(reason.Key, args...))
		}
		out = append(out, m)
	}
	return out
}

func currencyOf(f ProgrammeFacts) string { return f.Allocation.Value.Currency }

// reasonArg is a variable as a message argument: a share as a whole
// percentage, an amount as money, the rest as it is.
func reasonArg(name string, vars map[string]any, size *ecrm.Money, currency string) any {
	if name == "size" {
		return *size
	}
	for _, v := range programmeVariables {
		if v.name != name {
			continue
		}
		switch v.arg {
		case argShare:
			return i18n.Ratio{Value: decimal.New(vars[name].(int64), -4), Places: 0}
		case argMoney:
			units, _ := ecrm.CurrencyMinorUnits(currency)
			return ecrm.Money{Amount: decimal.New(vars[name].(int64), -units), Currency: currency}
		}
	}
	return vars[name]
}

// Programmes are a client's targeted programmes on a day with everything
// they were evaluated on.
type Programmes struct {
	RuleSet   string           `json:"rule_set"`
	ClientID  int64            `json:"client_id"`
	AsOf      string           `json:"as_of"`
	Facts     ProgrammeFacts   `json:"facts"`
	Behaviour Behaviour        `json:"behaviour"`
	Matches   []ProgrammeMatch `json:"matches"`
}

// Snapshot is what the rules read — the rule set, the facts and the whole
// behaviour (with its mismatch flag) — as a decision record that uses a
// match keeps it.
func (p *Programmes) Snapshot() (json.RawMessage, error) {
	return json.Marshal(struct {
		RuleSet   string         `json:"rule_set"`
		ClientID  int64          `json:"client_id"`
		AsOf      string         `json:"as_of"`
		Facts     ProgrammeFacts `json:"facts"`
		Behaviour Behaviour      `json:"behaviour"`
	}{p.RuleSet, p.ClientID, p.AsOf, p.Facts, p.Behaviour})
}

// NewProgrammeFacts gathers the facts of a profile, a behaviour and an
// allocation measured on asOf.
func NewProgrammeFacts(p *RiskProfile, b Behaviour, a Allocation, asOf time.Time) ProgrammeFacts {
	f := ProgrammeFacts{Observed: b.Observed, ImpliedClass: b.ImpliedClass, HighVolatilityShare: b.HighVolatilityShare,
		LargestSingleSecurityWeight: b.LargestSingleSecurityWeight, Allocation: a}
	if b.Mismatch != nil {
		f.Mismatch = b.Mismatch.Direction
	}
	if p != nil && p.Stated != nil {
		st := p.Stated
		// In force as the gate reads it: the gate treats an older one as
		// none (products.AssessmentMaxAgeMonths).
		f.Assessed = st.AssessedAt.After(asOf.AddDate(0, -products.AssessmentMaxAgeMonths, 0))
		if f.Assessed {
			f.AssessmentID, f.StatedClass, f.Objective, f.HorizonMonths = st.AssessmentID, st.RiskClass, st.Objective, st.HorizonMonths
		}
		f.Stale = p.Status == StatusStale
		if f.Stale {
			f.StaleReasons = p.StaleReasons
		}
	}
	return f
}

// Programmes evaluates the client's targeted programmes as of asOf: her
// profile as it stood then, her behaviour and allocation on that day, the
// rules of programmes-v1. Reasons are said in l's language. For callers
// whose own scope was checked (the advisor's 360, which shows the
// behaviour measured here).
func (s *Suitability) Programmes(ctx context.Context, clientID int64, asOf time.Time, l *i18n.Localizer) (*Programmes, error) {
	return s.programmes(ctx, clientID, asOf, l, true)
}

// OfferProgrammes is Programmes for the offers' arbitration, which needs
// the matches only: when the profile is not current no rule can match
// (each asks for a current profile first), and the behaviour — three
// years of closes — is not measured.
func (s *Suitability) OfferProgrammes(ctx context.Context, clientID int64, asOf time.Time, l *i18n.Localizer) (*Programmes, error) {
	return s.programmes(ctx, clientID, asOf, l, false)
}

func (s *Suitability) programmes(ctx context.Context, clientID int64, asOf time.Time, l *i18n.Localizer, always bool) (*Programmes, error) {
	p, err := s.profileAt(ctx, clientID, nil, asOf)
	if err != nil {
		return nil, err
	}
	out := &Programmes{RuleSet: ProgrammesRuleSetVersion, ClientID: clientID, AsOf: dateOnly(asOf).Format(time.DateOnly),
		Matches: []ProgrammeMatch{}}
	out.Facts = NewProgrammeFacts(p, Behaviour{}, Allocation{}, asOf)
	if !always && (!out.Facts.Assessed || out.Facts.Stale) {
		return out, nil
	}
	in, err := loadBehaviourInput(ctx, s.pool, clientID, asOf)
	if err != nil {
		return nil, err
	}
	out.Behaviour = MeasureBehaviour(in)
	// The model is the stated class's; without an assessment in force
	// there is none to drift from.
	out.Facts = NewProgrammeFacts(p, out.Behaviour, MeasureAllocation(in, out.Facts.StatedClass), asOf)
	if out.Matches, err = EvaluateProgrammes(out.Facts, l); err != nil {
		return nil, err
	}
	return out, nil
}
