package insurance

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// Rating (issue 16, item 3; docs/insurance-programmes.md): a programme's
// rating table turns the journey's answers into a premium for the whole
// term, factor by factor, in exact decimals:
//
//	premium = (base + per_mille × sum insured / 1,000)
//	          × deductible factor × each table factor, + each loading
//
// Rounding: every line of the breakdown is rounded half-up to the cent
// (Factor.Running), and the next factor applies to that rounded figure,
// so the breakdown a client reads adds up exactly as printed and a
// premium can be checked by hand with a pocket calculator. Premiums are
// positive, so shopspring's half-away-from-zero rounding is half-up.
//
// An answer a factor needs that is not given yet is rated at the factor's
// default (stated in the table) and named in Missing: the premium is then
// indicative.

// RatingCurrency is the currency of every premium and sum insured.
const RatingCurrency = "RON"

// centPlaces is RON's minor unit.
const centPlaces = 2

// RatingTable is one version of a programme's rating.
type RatingTable struct {
	Version int `json:"version"`
	// SumInsured is how the sum insured is read.
	SumInsured SumInsuredRule `json:"sum_insured"`
	// Base is the premium before factors; PerMille is added per 1,000 of
	// sum insured.
	Base     decimal.Decimal `json:"base"`
	PerMille decimal.Decimal `json:"per_mille,omitzero"`
	// Deductibles are the excesses offered (RON) with their factor; the
	// applicant's needs.deductible picks one (DeductibleFor). Empty: the
	// programme has no excess.
	Deductibles []DeductibleOption `json:"deductibles,omitempty"`
	Factors     []FactorRule       `json:"factors"`
	// CoverLevel ranks the programme's cover within its line (1 basic, 2
	// standard, 3 wide) for an applicant whose priority is cover.
	CoverLevel int `json:"cover_level"`
	// Covers and NotCovered are said in the demands-and-needs statement.
	Covers     []ecrm.Text `json:"covers"`
	NotCovered []ecrm.Text `json:"not_covered"`
}

// SumInsuredRule reads the sum insured: a fixed amount (travel medical
// limits), or the sum of answers (home: property plus contents) times
// Multiply (income protection: the monthly benefit × 12).
type SumInsuredRule struct {
	Fixed    decimal.Decimal `json:"fixed,omitzero"`
	Answers  []string        `json:"answers,omitempty"`
	Multiply int64           `json:"multiply,omitempty"`
	// Default is assumed while the answers are missing (indicative).
	Default decimal.Decimal `json:"default,omitzero"`
}

// DeductibleOption is one excess offered.
type DeductibleOption struct {
	Amount     decimal.Decimal `json:"amount"`
	Multiplier decimal.Decimal `json:"multiplier"`
}

// FactorRule is one rating factor. Kind:
//
//	band     a number (Input) looked up in Bands: From ≤ value < To
//	code     a choice or boolean answer's code in Codes; for an answer
//	         that repeats, the highest multiplier of the codes given
//	count    the multiplier is the (integer) answer itself (travellers)
//	loading  an amount added per code given (Codes holds amounts)
//
// Input is a linkId, or a derived value: age (years at the as-of date
// from applicant.birth_date), bmi (to one decimal), vehicle_age,
// building_age (years), sum_insured.
type FactorRule struct {
	Name    string                     `json:"name"`
	Kind    string                     `json:"kind"`
	Input   string                     `json:"input"`
	Bands   []Band                     `json:"bands,omitempty"`
	Codes   map[string]decimal.Decimal `json:"codes,omitempty"`
	Default decimal.Decimal            `json:"default,omitzero"`
}

// Band is a range of a numeric input; To zero means no upper bound.
type Band struct {
	From       decimal.Decimal `json:"from"`
	To         decimal.Decimal `json:"to,omitzero"`
	Multiplier decimal.Decimal `json:"multiplier"`
}

// facts are the answers as rating and underwriting read them, with the
// derived values.
type facts struct {
	answers Answers
	asOf    time.Time
	derived map[string]decimal.Decimal
	// missing derived inputs name their source linkIds.
	sources map[string][]string
	// cel is the answers as the underwriting rules read them, made once.
	cel map[string]any
}

var derivedSources = map[string][]string{
	"age":          {"applicant.birth_date"},
	"bmi":          {"health.height_cm", "health.weight_kg"},
	"vehicle_age":  {"motor.vehicle_year"},
	"building_age": {"home.built_year"},
}

func newFacts(a Answers, asOf time.Time) *facts {
	f := &facts{answers: a, asOf: asOf, derived: map[string]decimal.Decimal{}, sources: derivedSources}
	if d, ok := a.date("applicant.birth_date"); ok {
		f.derived["age"] = decimal.NewFromInt(int64(AgeAt(d, asOf)))
	}
	if h, ok := a.number("health.height_cm"); ok && h.IsPositive() {
		if w, ok := a.number("health.weight_kg"); ok {
			m := h.Div(decimal.NewFromInt(100))
			f.derived["bmi"] = w.DivRound(m.Mul(m), 8).Round(1)
		}
	}
	if y, ok := a.number("motor.vehicle_year"); ok {
		f.derived["vehicle_age"] = decimal.NewFromInt(int64(asOf.Year())).Sub(y)
	}
	if y, ok := a.number("home.built_year"); ok {
		f.derived["building_age"] = decimal.NewFromInt(int64(asOf.Year())).Sub(y)
	}
	return f
}

// AgeAt is the age in whole years on day at of someone born on birth.
func AgeAt(birth, at time.Time) int {
	age := at.Year() - birth.Year()
	if at.Month() < birth.Month() || (at.Month() == birth.Month() && at.Day() < birth.Day()) {
		age--
	}
	return age
}

// number reads an input: a derived value or a numeric answer.
func (f *facts) number(input string) (decimal.Decimal, bool) {
	if _, derived := f.sources[input]; derived {
		v, ok := f.derived[input]
		return v, ok
	}
	return f.answers.number(input)
}

// needs names the linkIds an input reads.
func (f *facts) needs(input string) []string {
	if src, ok := f.sources[input]; ok {
		return src
	}
	return []string{input}
}

func (a Answers) number(id string) (decimal.Decimal, bool) {
	vs := a[id]
	if len(vs) == 0 {
		return decimal.Zero, false
	}
	return vs[0].number()
}

func (a Answers) date(id string) (time.Time, bool) {
	vs := a[id]
	if len(vs) == 0 || vs[0].Date == "" {
		return time.Time{}, false
	}
	d, err := time.Parse(time.DateOnly, vs[0].Date)
	return d, err == nil
}

// codes reads a choice (its codes) or a boolean ("true"/"false").
func (a Answers) codes(id string) []string {
	var out []string
	for _, v := range a[id] {
		switch {
		case v.Coding != nil:
			out = append(out, v.Coding.Code)
		case v.Boolean != nil:
			out = append(out, strconv.FormatBool(*v.Boolean))
		case v.String != nil:
			out = append(out, *v.String)
		case v.Integer != nil:
			out = append(out, strconv.FormatInt(*v.Integer, 10))
		}
	}
	return out
}

func (a Answers) code(id string) string {
	if c := a.codes(id); len(c) > 0 {
		return c[0]
	}
	return ""
}

// rated is a rating's result.
type rated struct {
	Premium    decimal.Decimal
	SumInsured decimal.Decimal
	Deductible decimal.Decimal
	Breakdown  []Factor
	Missing    []string
}

// sumInsured reads the rule; false when an answer is missing (the
// default is then returned).
func (r SumInsuredRule) read(a Answers) (decimal.Decimal, []string) {
	if len(r.Answers) == 0 {
		return r.Fixed, nil
	}
	total := decimal.Zero
	var missing []string
	for _, id := range r.Answers {
		v, ok := a.number(id)
		if !ok {
			missing = append(missing, id)
			continue
		}
		total = total.Add(v)
	}
	if len(missing) > 0 && len(missing) == len(r.Answers) {
		return r.Default, missing
	}
	if r.Multiply > 1 {
		total = total.Mul(decimal.NewFromInt(r.Multiply))
	}
	return total.Round(centPlaces), missing
}

// DeductibleFor is the excess the programme gives an applicant who
// accepts asked: the asked one when offered, else the lowest offered
// above it, else the highest offered.
func (t RatingTable) DeductibleFor(asked decimal.Decimal) (DeductibleOption, bool) {
	if len(t.Deductibles) == 0 {
		return DeductibleOption{}, false
	}
	opts := slices.Clone(t.Deductibles)
	slices.SortFunc(opts, func(a, b DeductibleOption) int { return a.Amount.Cmp(b.Amount) })
	for _, o := range opts {
		if o.Amount.GreaterThanOrEqual(asked) {
			return o, true
		}
	}
	return opts[len(opts)-1], true
}

// rate prices the table on f. Every Running is rounded half-up to the
// cent and the next factor applies to it.
func (t RatingTable) rate(f *facts) rated {
	var out rated
	missing := map[string]bool{}
	miss := func(ids ...string) {
		for _, id := range ids {
			missing[id] = true
		}
	}
	si, m := t.SumInsured.read(f.answers)
	miss(m...)
	out.SumInsured = si
	f.derived["sum_insured"] = si
	base := t.Base
	basis := ""
	if !t.PerMille.IsZero() {
		base = base.Add(t.PerMille.Mul(si).Div(decimal.NewFromInt(1000)))
		basis = si.StringFixed(centPlaces)
	}
	running := base.Round(centPlaces)
	out.Breakdown = append(out.Breakdown, Factor{Name: "insurance.rating.factor.base", Basis: basis, Loading: running, Running: running})
	if len(t.Deductibles) > 0 {
		asked := decimal.Zero
		if c := f.answers.code("needs.deductible"); c != "" {
			if d, err := decimal.NewFromString(c); err == nil {
				asked = d
			}
		} else {
			miss("needs.deductible")
		}
		opt, _ := t.DeductibleFor(asked)
		out.Deductible = opt.Amount
		running = running.Mul(opt.Multiplier).Round(centPlaces)
		out.Breakdown = append(out.Breakdown, Factor{Name: "insurance.rating.factor.deductible", Basis: opt.Amount.StringFixed(0),
			Multiplier: opt.Multiplier, Running: running})
	}
	for _, fr := range t.Factors {
		line := Factor{Name: "insurance.rating.factor." + fr.Name}
		switch fr.Kind {
		case "band":
			v, ok := f.number(fr.Input)
			line.Multiplier = fr.Default
			if !ok {
				miss(f.needs(fr.Input)...)
				line.Basis = "?"
				break
			}
			line.Basis = v.String()
			for _, b := range fr.Bands {
				if v.GreaterThanOrEqual(b.From) && (b.To.IsZero() || v.LessThan(b.To)) {
					line.Multiplier = b.Multiplier
					line.Basis = bandBasis(b)
					break
				}
			}
		case "code":
			codes := f.answers.codes(fr.Input)
			line.Multiplier = fr.Default
			if len(codes) == 0 {
				miss(fr.Input)
				line.Basis = "?"
				break
			}
			found := false
			for _, c := range codes {
				if mult, ok := fr.Codes[c]; ok && (!found || mult.GreaterThan(line.Multiplier)) {
					line.Multiplier, line.Basis, found = mult, c, true
				}
			}
			if !found {
				line.Basis = strings.Join(codes, ", ")
			}
		case "count":
			v, ok := f.number(fr.Input)
			line.Multiplier = decimal.NewFromInt(1)
			if !ok {
				miss(f.needs(fr.Input)...)
				line.Basis = "?"
				break
			}
			line.Multiplier, line.Basis = v, v.String()
		case "loading":
			codes := f.answers.codes(fr.Input)
			if len(codes) == 0 {
				miss(fr.Input)
			}
			var given []string
			for _, c := range codes {
				if amt, ok := fr.Codes[c]; ok && !amt.IsZero() {
					line.Loading = line.Loading.Add(amt)
					given = append(given, c)
				}
			}
			if line.Loading.IsZero() {
				continue // nothing loaded: no line
			}
			line.Basis = strings.Join(given, ", ")
			running = running.Add(line.Loading).Round(centPlaces)
			line.Running = running
			out.Breakdown = append(out.Breakdown, line)
			continue
		default:
			panic(fmt.Sprintf("rating factor %s: kind %q (validated at load)", fr.Name, fr.Kind))
		}
		running = running.Mul(line.Multiplier).Round(centPlaces)
		line.Running = running
		out.Breakdown = append(out.Breakdown, line)
	}
	out.Premium = running
	for id := range missing {
		out.Missing = append(out.Missing, id)
	}
	slices.Sort(out.Missing)
	return out
}

func bandBasis(b Band) string {
	if b.To.IsZero() {
		return b.From.String() + "+"
	}
	return b.From.String() + "–" + b.To.String()
}

// validate checks a rating table as it is loaded.
func (t RatingTable) validate() error {
	if t.Version < 1 {
		return fmt.Errorf("version must be at least 1")
	}
	if !t.Base.IsPositive() {
		return fmt.Errorf("base must be positive")
	}
	if t.CoverLevel < 1 || t.CoverLevel > 3 {
		return fmt.Errorf("cover_level must be 1, 2 or 3")
	}
	for _, d := range t.Deductibles {
		if !d.Multiplier.IsPositive() {
			return fmt.Errorf("deductible %s: multiplier must be positive", d.Amount)
		}
	}
	for _, fr := range t.Factors {
		switch fr.Kind {
		case "band":
			if len(fr.Bands) == 0 || !fr.Default.IsPositive() {
				return fmt.Errorf("factor %s: a band factor needs bands and a positive default", fr.Name)
			}
		case "code":
			if len(fr.Codes) == 0 || !fr.Default.IsPositive() {
				return fmt.Errorf("factor %s: a code factor needs codes and a positive default", fr.Name)
			}
		case "count", "loading":
		default:
			return fmt.Errorf("factor %s: kind must be band, code, count or loading", fr.Name)
		}
		if fr.Name == "" || fr.Input == "" {
			return fmt.Errorf("factor %q: name and input are required", fr.Name)
		}
	}
	return nil
}
