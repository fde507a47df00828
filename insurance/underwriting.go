package insurance

import (
	"fmt"
	"slices"
	"sync"

	"cel.dev/cel-go/cel"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// Underwriting (issue 16, item 3): a programme's rules, in CEL like the
// catalogue's eligibility rules (products/rules.go), decide on the
// journey's answers whether the insurer accepts the risk, refers it to an
// underwriter or declines it, each with a reason the applicant reads.
//
// A rule fires when its expression (When) is true; the outcome is the
// worst of the rules that fire (decline over refer over accept). A rule
// reads only the answers it lists in Needs: until they are all given it
// is not evaluated, and they are named in the candidate's Missing — a
// programme is never declined on an answer not yet given.
//
// Variables (docs/insurance-programmes.md):
//
//	a              map(string, dyn)  the answers by linkId: a boolean, an int
//	               (integer), a double (decimal), a string (choice code, date
//	               YYYY-MM-DD) or a list of codes for a choice that repeats
//	age            int     years at the as-of date (applicant.birth_date)
//	bmi            double  weight / height², to one decimal
//	vehicle_age    int     as-of year − motor.vehicle_year
//	building_age   int     as-of year − home.built_year
//	sum_insured    double  the programme's sum insured (SumInsuredRule)
//	days           int     travel.days (0 when not given)

// UnderwritingRules is one version of a programme's rules.
type UnderwritingRules struct {
	Version int                `json:"version"`
	Rules   []UnderwritingRule `json:"rules"`
}

// UnderwritingRule refers or declines when When holds.
type UnderwritingRule struct {
	ID      string    `json:"id"`
	Needs   []string  `json:"needs"`
	When    string    `json:"when"`
	Outcome Outcome   `json:"outcome"`
	Reason  ecrm.Text `json:"reason"`
}

var underwritingEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.CrossTypeNumericComparisons(true),
		cel.Variable("a", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("age", cel.IntType),
		cel.Variable("bmi", cel.DoubleType),
		cel.Variable("vehicle_age", cel.IntType),
		cel.Variable("building_age", cel.IntType),
		cel.Variable("sum_insured", cel.DoubleType),
		cel.Variable("days", cel.IntType),
	)
})

type compiledUnderwriting struct {
	UnderwritingRule
	program cel.Program
}

// compile checks and compiles every rule; the error names the rule.
func (u UnderwritingRules) compile() ([]compiledUnderwriting, error) {
	env, err := underwritingEnv()
	if err != nil {
		return nil, err
	}
	if u.Version < 1 {
		return nil, fmt.Errorf("version must be at least 1")
	}
	out := make([]compiledUnderwriting, 0, len(u.Rules))
	for _, r := range u.Rules {
		if r.Outcome != OutcomeRefer && r.Outcome != OutcomeDecline {
			return nil, fmt.Errorf("rule %s: outcome must be refer or decline", r.ID)
		}
		if r.Reason.EN == "" || r.Reason.RO == "" {
			return nil, fmt.Errorf("rule %s: a reason in English and Romanian is required", r.ID)
		}
		ast, iss := env.Compile(r.When)
		if iss.Err() != nil {
			return nil, fmt.Errorf("rule %s: %w", r.ID, iss.Err())
		}
		if ast.OutputType() != cel.BoolType && ast.OutputType() != cel.DynType {
			return nil, fmt.Errorf("rule %s: must be true or false, not %s", r.ID, ast.OutputType())
		}
		prg, err := env.Program(ast)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.ID, err)
		}
		out = append(out, compiledUnderwriting{UnderwritingRule: r, program: prg})
	}
	return out, nil
}

// celAnswers converts the answers for the rules.
func celAnswers(a Answers, repeats func(string) bool) map[string]any {
	out := make(map[string]any, len(a))
	for id, vs := range a {
		if len(vs) == 0 {
			continue
		}
		if len(vs) > 1 || repeats(id) {
			out[id] = a.codes(id)
			continue
		}
		v := vs[0]
		switch {
		case v.Boolean != nil:
			out[id] = *v.Boolean
		case v.Integer != nil:
			out[id] = *v.Integer
		case v.Decimal != nil:
			out[id] = v.Decimal.InexactFloat64()
		case v.Coding != nil:
			out[id] = v.Coding.Code
		case v.Date != "":
			out[id] = v.Date
		case v.String != nil:
			out[id] = *v.String
		case v.Quantity != nil:
			out[id] = v.Quantity.Value.InexactFloat64()
		}
	}
	return out
}

// repeatingChoices are the journey's choices that repeat: their answer is
// a list in the rules even when one code is given.
var repeatingChoices = []string{"needs.protect", "health.conditions", "travel.activities"}

func isRepeating(id string) bool { return slices.Contains(repeatingChoices, id) }

// activation is the rules' variables for one set of answers and one
// programme's sum insured.
func (f *facts) activation(sumInsured decimal.Decimal) map[string]any {
	num := func(k string) int64 {
		if v, ok := f.derived[k]; ok {
			return v.IntPart()
		}
		return 0
	}
	days, _ := f.answers.number("travel.days")
	bmi := 0.0
	if v, ok := f.derived["bmi"]; ok {
		bmi = v.InexactFloat64()
	}
	if f.cel == nil {
		f.cel = celAnswers(f.answers, isRepeating)
	}
	return map[string]any{
		"a": f.cel, "age": num("age"), "bmi": bmi, "vehicle_age": num("vehicle_age"), "building_age": num("building_age"),
		"sum_insured": sumInsured.InexactFloat64(), "days": days.IntPart(),
	}
}

// underwrite runs the rules: the outcome, the reasons of the rules that
// fired, and the answers still needed by rules not evaluated.
func underwrite(rules []compiledUnderwriting, f *facts, sumInsured decimal.Decimal) (Outcome, []Reason, []string, error) {
	outcome := OutcomeAccept
	var reasons []Reason
	var missing []string
	var act map[string]any
	for _, r := range rules {
		var lacking []string
		for _, id := range r.Needs {
			if len(f.answers[id]) == 0 {
				lacking = append(lacking, id)
			}
		}
		if len(lacking) > 0 {
			missing = append(missing, lacking...)
			continue
		}
		if act == nil {
			act = f.activation(sumInsured)
		}
		val, _, err := r.program.Eval(act)
		if err != nil {
			return "", nil, nil, fmt.Errorf("underwriting rule %s: %w", r.ID, err)
		}
		fired, ok := val.Value().(bool)
		if !ok {
			return "", nil, nil, fmt.Errorf("underwriting rule %s: gave %v, not true or false", r.ID, val)
		}
		if !fired {
			continue
		}
		text := r.Reason
		reasons = append(reasons, Reason{Key: "insurance.rating.rule." + string(r.Outcome), Text: &text})
		if r.Outcome == OutcomeDecline || outcome == OutcomeAccept {
			outcome = r.Outcome
		}
	}
	return outcome, reasons, missing, nil
}
