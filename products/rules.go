package products

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
)

// Rule is one eligibility condition of a product version, written in CEL
// (https://cel.dev). The expression must evaluate to true for the client to
// be eligible; when it does not, Reason is shown to the client in their
// language ("Income below 30,000 EUR").
//
// Variables a rule can use (amounts in whole euros, converted at the fixed
// reference rates in referenceEURRates and truncated, because thresholds are
// policy, not pricing):
//
//	client.age int                   (0 when not known)
//	client.residence_country string  (ISO 3166 alpha-2, "" when not known)
//	client.annual_income_eur int
//	client.employment_status string  (employed, self_employed, retired, …)
//	client.kyc_status string         (pending, verified, expired, rejected)
//	client.segment string            (mass, emerging_affluent, affluent, private, prospect)
//	client.type string               (retail, professional)
//	client.is_prospect bool
//	client.vulnerable bool
//	client.credit_score int          (300–850, risk's scorecard as stored; see NoCreditFileScore)
//	client.monthly_debt_eur int      (instalments on active credit lines)
//	client.existing_products list<string> (kinds held: current, savings, term_deposit,
//	                                  consumer_loan, mortgage, credit_card, brokerage, life, home, …)
//	request.amount_eur int
//	request.months int
//	request.currency string
//	request.purpose string
type Rule struct {
	ID         string `json:"id"`
	Expression string `json:"expression"`
	Reason     Text   `json:"reason"`
}

// ruleCostLimit bounds one rule's evaluation. The rules a firm writes are a
// handful of comparisons (cost < 50); the limit stops a list comprehension
// over a long list from stalling a match request.
const ruleCostLimit = 1000

var ruleIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// ruleVariableTypes are the variables a rule can use, as Rule documents
// them; the catalogue editor lists them beside the rules.
var ruleVariableTypes = []struct {
	name string
	typ  *cel.Type
}{
	{"client.age", cel.IntType},
	{"client.residence_country", cel.StringType},
	{"client.annual_income_eur", cel.IntType},
	{"client.employment_status", cel.StringType},
	{"client.kyc_status", cel.StringType},
	{"client.segment", cel.StringType},
	{"client.type", cel.StringType},
	{"client.is_prospect", cel.BoolType},
	{"client.vulnerable", cel.BoolType},
	{"client.credit_score", cel.IntType},
	{"client.monthly_debt_eur", cel.IntType},
	{"client.existing_products", cel.ListType(cel.StringType)},
	{"request.amount_eur", cel.IntType},
	{"request.months", cel.IntType},
	{"request.currency", cel.StringType},
	{"request.purpose", cel.StringType},
}

func ruleVariableOptions() []cel.EnvOption {
	out := make([]cel.EnvOption, len(ruleVariableTypes))
	for i, v := range ruleVariableTypes {
		out[i] = cel.Variable(v.name, v.typ)
	}
	return out
}

// ruleVariableList is "client.age int", … for people writing rules.
func ruleVariableList() []string {
	out := make([]string, len(ruleVariableTypes))
	for i, v := range ruleVariableTypes {
		out[i] = v.name + " " + v.typ.String()
	}
	return out
}

// ruleEnv is built once: declaring the variables and the standard library
// takes milliseconds, far too long to repeat per save or per request, and
// the environment is immutable afterwards.
var ruleEnv = sync.OnceValues(func() (*cel.Env, error) {
	// Only the macros rules need; has() and map/filter are not offered
	// because every variable is always present.
	opts := []cel.EnvOption{cel.ClearMacros(), cel.Macros(cel.ExistsMacro, cel.AllMacro)}
	return cel.NewEnv(append(opts, ruleVariableOptions()...)...)
})

// ruleVariables are the values of the variables documented on Rule for one
// request, converted to CEL values once: every rule of the request is
// evaluated with them (as its activation), and reads a variable without a
// map lookup or a conversion of a Go value.
type ruleVariables struct {
	clientAge              ref.Val
	clientResidenceCountry ref.Val
	clientAnnualIncomeEUR  ref.Val
	clientEmploymentStatus ref.Val
	clientKYCStatus        ref.Val
	clientSegment          ref.Val
	clientType             ref.Val
	clientIsProspect       ref.Val
	clientVulnerable       ref.Val
	clientCreditScore      ref.Val
	clientMonthlyDebtEUR   ref.Val
	clientExistingProducts ref.Val
	requestAmountEUR       ref.Val
	requestMonths          ref.Val
	requestCurrency        ref.Val
	requestPurpose         ref.Val
}

// ResolveName implements interpreter.Activation for the names declared in
// ruleEnv.
func (v *ruleVariables) ResolveName(name string) (any, bool) {
	switch name {
	case "client.age":
		return v.clientAge, true
	case "client.residence_country":
		return v.clientResidenceCountry, true
	case "client.annual_income_eur":
		return v.clientAnnualIncomeEUR, true
	case "client.employment_status":
		return v.clientEmploymentStatus, true
	case "client.kyc_status":
		return v.clientKYCStatus, true
	case "client.segment":
		return v.clientSegment, true
	case "client.type":
		return v.clientType, true
	case "client.is_prospect":
		return v.clientIsProspect, true
	case "client.vulnerable":
		return v.clientVulnerable, true
	case "client.credit_score":
		return v.clientCreditScore, true
	case "client.monthly_debt_eur":
		return v.clientMonthlyDebtEUR, true
	case "client.existing_products":
		return v.clientExistingProducts, true
	case "request.amount_eur":
		return v.requestAmountEUR, true
	case "request.months":
		return v.requestMonths, true
	case "request.currency":
		return v.requestCurrency, true
	case "request.purpose":
		return v.requestPurpose, true
	}
	return nil, false
}

// Parent implements interpreter.Activation: there is no enclosing scope.
func (v *ruleVariables) Parent() interpreter.Activation { return nil }

// compiledRule is a rule ready to evaluate. slot numbers the distinct
// expressions of a catalogue: products often share rules ("client.age >=
// 18"), and within one request an expression has one answer, so each is
// evaluated once per request however many products use it.
type compiledRule struct {
	Rule
	program cel.Program
	slot    int
}

// compiledRules caches compiled programs by rules hash: products share rule
// sets (all term deposits of a bank, say) and a catalogue reload after one
// product changed must not recompile the others.
type compiledRules struct {
	mu     sync.Mutex
	byHash map[string][]compiledRule
}

func (c *compiledRules) get(rules []Rule, hash string) ([]compiledRule, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cr, ok := c.byHash[hash]; ok {
		return cr, nil
	}
	cr, err := compileRules(rules)
	if err != nil {
		return nil, err
	}
	if c.byHash == nil {
		c.byHash = map[string][]compiledRule{}
	}
	c.byHash[hash] = cr
	return cr, nil
}

// compileRules compiles and type-checks every rule. Its error lists each
// invalid rule as a field error naming rules[i].expression (or .id, .reason)
// with CEL's position, "line 1, column 12: undeclared reference to 'x'".
func compileRules(rules []Rule) ([]compiledRule, error) {
	env, err := ruleEnv()
	if err != nil {
		return nil, fmt.Errorf("rule environment: %w", err)
	}
	var p fieldProblems
	out := make([]compiledRule, 0, len(rules))
	seen := map[string]bool{}
	for i, r := range rules {
		field := fmt.Sprintf("rules[%d]", i)
		if !ruleIDPattern.MatchString(r.ID) {
			p.add(field+".id", "must be 1 to 40 lower-case letters, digits or _, starting with a letter")
		} else if seen[r.ID] {
			p.add(field+".id", "%q is used by another rule of this product", r.ID)
		}
		seen[r.ID] = true
		if r.Reason.EN == "" || r.Reason.RO == "" {
			p.add(field+".reason", "needs a text in both en and ro, shown to the client when the rule fails")
		}
		if len(r.Expression) > 2000 {
			p.add(field+".expression", "must be at most 2000 characters")
			continue
		}
		ast, iss := env.Compile(r.Expression)
		if iss.Err() != nil {
			for _, e := range iss.Errors() {
				p.add(field+".expression", "line %d, column %d: %s", e.Location.Line(), e.Location.Column()+1, e.Message)
			}
			continue
		}
		if ast.OutputType() != cel.BoolType {
			p.add(field+".expression", "line 1, column 1: must evaluate to a bool, not %s", ast.OutputType())
			continue
		}
		prg, err := env.Program(ast, cel.CostLimit(ruleCostLimit), cel.EvalOptions(cel.OptOptimize))
		if err != nil {
			p.add(field+".expression", "%s", err.Error())
			continue
		}
		out = append(out, compiledRule{Rule: r, program: prg})
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// rulesHash is the rule version recorded with every decision: SHA-256 of the
// rules' canonical JSON (field order fixed by the struct).
func rulesHash(rules []Rule) string {
	if rules == nil {
		rules = []Rule{}
	}
	b, _ := json.Marshal(rules)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// evaluate runs one rule. An evaluation error (cost limit, overflow) counts
// as not eligible: a rule that cannot be shown to hold must not let the
// product through.
func (r compiledRule) evaluate(vars *ruleVariables) bool {
	out, _, err := r.program.Eval(vars)
	if err != nil {
		return false
	}
	return out == types.True
}
