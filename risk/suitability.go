package risk

import (
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/products"
)

// The suitability questionnaire (issue 15, item 1): what the client knows
// and has done with each type of instrument, their financial situation and
// the loss they can bear, their objective and horizon, and their tolerance
// of risk, scored into a risk class 1–7 (the highest PRIIPs summary risk
// indicator their profile accepts) and a loss capacity in money. The
// questions, their options, the points and every derivation are in
// docs/suitability.md; the version below names them, and is stored with
// every response and assessment, so that an old profile can be read with
// the scoring it was made under.
//
// ScoreAnswers is a pure function of the answers: the page, the API and the
// advisor's form all go through it, and its tests work the figures out by
// hand.

// ScoringVersion names the questions, options, points and derivations of
// this file and docs/suitability.md. Change it with any of them.
const ScoringVersion = "suitability-v1"

// Answers are a questionnaire's answers by field, the field being the
// question's dotted path ("knowledge.shares.understanding",
// "financial.liquid_assets"). Choices are option values; amounts are plain
// decimal strings ("12500.50").
type Answers map[string]string

// The kinds of question.
const (
	kindChoice   = "choice"
	kindAmount   = "amount"
	kindCurrency = "currency"
)

// Question is one question of the questionnaire. Its label and hint are
// the catalogue keys suitability.q.<Label> and suitability.q.<Label>.hint;
// a choice's options suitability.opt.<Label>.<value>.
type Question struct {
	Field   string
	Label   string
	Kind    string
	Options []Option
}

// Option is one answer of a choice, with its points.
type Option struct {
	Value  string
	Points int
}

// Section is a group of questions with a heading
// (suitability.section.<ID>).
type Section struct {
	ID        string
	Fieldsets []Fieldset
}

// Fieldset is a few questions under one legend
// (suitability.legend.<Legend>): in the knowledge section, one per
// instrument type.
type Fieldset struct {
	Legend    string
	Questions []Question
}

// KnowledgeTypes are the instrument types knowledge and experience is asked
// for, in order.
var KnowledgeTypes = []string{"shares", "bonds", "funds", "etfs", "options", "leveraged"}

// assessmentKeys are the keys each type's level is written under in
// risk_assessments.knowledge: the product types the offer gate and
// matching check (products.Product.KnowledgeArea). Structured products
// (notes, certificates) are asked about with leveraged ones.
var assessmentKeys = map[string][]string{
	"shares": {"equity"}, "bonds": {"bond"}, "funds": {"fund"}, "etfs": {"etf"},
	"options": {"option"}, "leveraged": {"leveraged", "structured"},
}

// Knowledge levels, lowest first: the scale of the target market and of
// the gate's appropriateness test.
var knowledgeLevels = []string{"none", "basic", "informed", "advanced"}

// Currencies the amounts may be given in: those the gate can compare a
// loss with (products.ReferenceEURRate).
var Currencies = []string{"RON", "EUR", "USD", "GBP", "CHF", "HUF", "PLN", "CZK", "SEK", "DKK", "NOK", "BGN"}

// MaxAnswerAmount bounds every amount of the questionnaire.
var MaxAnswerAmount = decimal.NewFromInt(1_000_000_000)

var (
	understanding = []Option{{"none", 0}, {"basic", 1}, {"good", 2}}
	experience    = []Option{{"never", 0}, {"occasional", 1}, {"regular", 2}}
	lossImpacts   = []Option{{"severe", 0}, {"noticeable", 1}, {"limited", 2}, {"none", 3}}
	objectives    = []Option{{"preservation", 0}, {"income", 0}, {"growth", 0}, {"hedging", 0}}
	horizons      = []Option{{"under_1", 0}, {"1_3", 1}, {"3_5", 2}, {"5_10", 3}, {"over_10", 4}}
	outcomes      = []Option{{"a", 0}, {"b", 1}, {"c", 2}, {"d", 3}, {"e", 4}}
	reactions     = []Option{{"sell_all", 0}, {"sell_some", 1}, {"hold", 2}, {"buy_more", 3}}
	attitudes     = []Option{{"avoid", 0}, {"cautious", 1}, {"balanced", 2}, {"adventurous", 3}, {"speculative", 4}}
)

// Questionnaire is suitability-v1, in the order the page asks it.
var Questionnaire = func() []Section {
	knowledge := Section{ID: "knowledge"}
	for _, t := range KnowledgeTypes {
		knowledge.Fieldsets = append(knowledge.Fieldsets, Fieldset{Legend: t, Questions: []Question{
			{Field: "knowledge." + t + ".understanding", Label: "understanding", Kind: kindChoice, Options: understanding},
			{Field: "knowledge." + t + ".experience", Label: "experience", Kind: kindChoice, Options: experience},
		}})
	}
	return []Section{
		knowledge,
		{ID: "financial", Fieldsets: []Fieldset{{Legend: "financial", Questions: []Question{
			{Field: "financial.currency", Label: "currency", Kind: kindCurrency},
			{Field: "financial.annual_income", Label: "annual_income", Kind: kindAmount},
			{Field: "financial.liquid_assets", Label: "liquid_assets", Kind: kindAmount},
			{Field: "financial.monthly_obligations", Label: "monthly_obligations", Kind: kindAmount},
			{Field: "financial.loss_impact", Label: "loss_impact", Kind: kindChoice, Options: lossImpacts},
		}}}},
		{ID: "objectives", Fieldsets: []Fieldset{{Legend: "objectives", Questions: []Question{
			{Field: "objectives.objective", Label: "objective", Kind: kindChoice, Options: objectives},
			{Field: "objectives.horizon", Label: "horizon", Kind: kindChoice, Options: horizons},
		}}}},
		{ID: "tolerance", Fieldsets: []Fieldset{{Legend: "tolerance", Questions: []Question{
			{Field: "tolerance.outcome", Label: "outcome", Kind: kindChoice, Options: outcomes},
			{Field: "tolerance.reaction", Label: "reaction", Kind: kindChoice, Options: reactions},
			{Field: "tolerance.attitude", Label: "attitude", Kind: kindChoice, Options: attitudes},
		}}}},
	}
}()

// questions lists every question in order.
func questions() []Question {
	var out []Question
	for _, s := range Questionnaire {
		for _, f := range s.Fieldsets {
			out = append(out, f.Questions...)
		}
	}
	return out
}

// toleranceClass is the class of each tolerance total (0–11).
var toleranceClass = [12]int{1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7}

// Caps on the class, each the highest class an answer allows.
var (
	lossImpactCap = map[string]int{"severe": 2, "noticeable": 4, "limited": 6, "none": 7}
	horizonCap    = map[string]int{"under_1": 2, "1_3": 3, "3_5": 5, "5_10": 6, "over_10": 7}
	objectiveCap  = map[string]int{"preservation": 3, "income": 5, "growth": 7, "hedging": 7}
	// knowledgeCap is by the highest level of any type.
	knowledgeCap = map[string]int{"none": 3, "basic": 5, "informed": 6, "advanced": 7}
)

// horizonMonths is the horizon stored for each answer: the lower bound of
// the range, so that a product needing a longer horizon is not offered on
// the strength of the range's upper end.
var horizonMonths = map[string]int{"under_1": 6, "1_3": 12, "3_5": 36, "5_10": 60, "over_10": 120}

// lossShare is the part of what the client could lose without touching
// their reserve that the loss capacity keeps, by how a loss would affect
// their standard of living.
var lossShare = map[string]decimal.Decimal{
	"severe":     decimal.RequireFromString("0.10"),
	"noticeable": decimal.RequireFromString("0.25"),
	"limited":    decimal.RequireFromString("0.50"),
	"none":       decimal.NewFromInt(1),
}

// reserveMonths of monthly obligations stay untouched as an emergency
// reserve.
const reserveMonths = 6

// Result is what a questionnaire scores to.
type Result struct {
	Version   string `json:"scoring_version"`
	RiskClass int    `json:"risk_class"`
	// LimitedBy names the answers that set the class below the tolerance
	// class (loss_impact, horizon, objective, knowledge); empty when the
	// class is the tolerance class.
	LimitedBy     []string   `json:"limited_by"`
	LossCapacity  ecrm.Money `json:"loss_capacity"`
	Objective     string     `json:"objective"`
	HorizonMonths int        `json:"horizon_months"`
	// Knowledge is the level of each instrument type (KnowledgeTypes).
	Knowledge map[string]string `json:"knowledge"`
	Scores    Scores            `json:"scores"`
}

// Scores are the points of each section and the figures the class and the
// capacity were derived from, stored with the response.
type Scores struct {
	Knowledge  KnowledgeScore  `json:"knowledge"`
	Financial  FinancialScore  `json:"financial"`
	Objectives ObjectivesScore `json:"objectives"`
	Tolerance  ToleranceScore  `json:"tolerance"`
}

// KnowledgeScore: 0–4 points per type (understanding + experience), the
// level they make, and the cap of the highest level.
type KnowledgeScore struct {
	Points int            `json:"points"`
	Max    int            `json:"max"`
	ByType map[string]int `json:"by_type"`
	Cap    int            `json:"cap"`
}

// FinancialScore: the points of the loss-impact answer, its cap, and the
// loss capacity's derivation in the answers' currency.
type FinancialScore struct {
	Points        int             `json:"points"`
	Max           int             `json:"max"`
	Cap           int             `json:"cap"`
	Reserve       decimal.Decimal `json:"reserve"`
	FreeAssets    decimal.Decimal `json:"free_assets"`
	YearlySurplus decimal.Decimal `json:"yearly_surplus"`
	Share         decimal.Decimal `json:"share"`
}

// ObjectivesScore: the horizon's points and the caps of horizon and
// objective.
type ObjectivesScore struct {
	Points       int `json:"points"`
	Max          int `json:"max"`
	HorizonCap   int `json:"horizon_cap"`
	ObjectiveCap int `json:"objective_cap"`
}

// ToleranceScore: the three answers' points and the class they make.
type ToleranceScore struct {
	Points int `json:"points"`
	Max    int `json:"max"`
	Class  int `json:"class"`
}

// AssessmentKnowledge is the knowledge object of the risk_assessments row:
// a level per product type the gate and matching check.
func (r Result) AssessmentKnowledge() map[string]string {
	out := map[string]string{}
	for t, level := range r.Knowledge {
		for _, key := range assessmentKeys[t] {
			out[key] = level
		}
	}
	return out
}

// knowledgeLevel is the level of 0–4 points of understanding and
// experience.
func knowledgeLevel(points int) string {
	switch {
	case points >= 4:
		return "advanced"
	case points == 3:
		return "informed"
	case points >= 1:
		return "basic"
	}
	return "none"
}

// ValidateAnswers checks every answer and returns one message per field at fault,
// in the questionnaire's order, in l's language; none when every question
// is answered within its range.
func ValidateAnswers(a Answers, l *i18n.Localizer) []ecrm.FieldError {
	var out []ecrm.FieldError
	add := func(field, key string, args ...any) {
		out = append(out, ecrm.FieldError{Field: field, Message: l.T(key, args...)})
	}
	known := map[string]bool{}
	for _, q := range questions() {
		known[q.Field] = true
		v, ok := a[q.Field]
		v = strings.TrimSpace(v)
		switch q.Kind {
		case kindChoice:
			switch {
			case !ok || v == "":
				add(q.Field, "suitability.error.required")
			case !slices.ContainsFunc(q.Options, func(o Option) bool { return o.Value == v }):
				values := make([]string, len(q.Options))
				for i, o := range q.Options {
					values[i] = o.Value
				}
				add(q.Field, "suitability.error.choice", strings.Join(values, ", "))
			}
		case kindCurrency:
			switch {
			case !ok || v == "":
				add(q.Field, "suitability.error.required")
			case !slices.Contains(Currencies, v):
				add(q.Field, "suitability.error.currency", strings.Join(Currencies, ", "))
			}
		case kindAmount:
			if !ok || v == "" {
				add(q.Field, "suitability.error.amount_required")
				continue
			}
			d, err := ecrm.ParseDecimal(v)
			switch {
			case err != nil:
				add(q.Field, "suitability.error.amount_number")
			case d.IsNegative() || d.GreaterThan(MaxAnswerAmount):
				add(q.Field, "suitability.error.amount_range", l.Decimal(MaxAnswerAmount, 0))
			default:
				if units, ok := ecrm.CurrencyMinorUnits(a["financial.currency"]); ok && !d.Equal(d.Truncate(units)) {
					add(q.Field, "suitability.error.amount_places", int(units), a["financial.currency"])
				}
			}
		}
	}
	var unknown []string
	for field := range a {
		if !known[field] {
			unknown = append(unknown, field)
		}
	}
	slices.Sort(unknown)
	for _, f := range unknown {
		add(f, "suitability.error.unknown")
	}
	return out
}

// ScoreAnswers validates the answers and scores them. Invalid answers are an
// EINVALID error with one message per field, in l's language.
func ScoreAnswers(a Answers, l *i18n.Localizer) (Result, error) {
	if problems := ValidateAnswers(a, l); len(problems) > 0 {
		return Result{}, invalidAnswers(l, problems)
	}
	points := map[string]int{}
	for _, q := range questions() {
		for _, o := range q.Options {
			if o.Value == strings.TrimSpace(a[q.Field]) {
				points[q.Field] = o.Points
			}
		}
	}
	answer := func(field string) string { return strings.TrimSpace(a[field]) }
	amount := func(field string) decimal.Decimal { return decimal.RequireFromString(answer(field)) }

	r := Result{Version: ScoringVersion, Knowledge: map[string]string{}}
	// Knowledge and experience.
	k := &r.Scores.Knowledge
	k.ByType, k.Max = map[string]int{}, 4*len(KnowledgeTypes)
	highest := "none"
	for _, t := range KnowledgeTypes {
		p := points["knowledge."+t+".understanding"] + points["knowledge."+t+".experience"]
		k.ByType[t] = p
		k.Points += p
		level := knowledgeLevel(p)
		r.Knowledge[t] = level
		if products.KnowledgeAtLeast(level, highest) {
			highest = level
		}
	}
	k.Cap = knowledgeCap[highest]

	// Financial situation and the loss the client can bear.
	f := &r.Scores.Financial
	impact := answer("financial.loss_impact")
	f.Points, f.Max, f.Cap = points["financial.loss_impact"], 3, lossImpactCap[impact]
	currency := answer("financial.currency")
	obligations := amount("financial.monthly_obligations")
	f.Reserve = obligations.Mul(decimal.NewFromInt(reserveMonths))
	f.FreeAssets = decimal.Max(decimal.Zero, amount("financial.liquid_assets").Sub(f.Reserve))
	f.YearlySurplus = decimal.Max(decimal.Zero, amount("financial.annual_income").Sub(obligations.Mul(decimal.NewFromInt(12))))
	f.Share = lossShare[impact]
	r.LossCapacity = ecrm.Money{Amount: f.FreeAssets.Add(f.YearlySurplus).Mul(f.Share), Currency: currency}.Round()

	// Objectives and horizon.
	o := &r.Scores.Objectives
	r.Objective = answer("objectives.objective")
	horizon := answer("objectives.horizon")
	r.HorizonMonths = horizonMonths[horizon]
	o.Points, o.Max = points["objectives.horizon"], 4
	o.HorizonCap, o.ObjectiveCap = horizonCap[horizon], objectiveCap[r.Objective]

	// Risk tolerance.
	t := &r.Scores.Tolerance
	t.Points = points["tolerance.outcome"] + points["tolerance.reaction"] + points["tolerance.attitude"]
	t.Max = len(toleranceClass) - 1
	t.Class = toleranceClass[t.Points]

	// The class is the tolerance class, capped by what the client can
	// bear, their horizon, their objective and their knowledge.
	r.RiskClass = t.Class
	caps := []struct {
		name string
		cap  int
	}{{"loss_impact", f.Cap}, {"horizon", o.HorizonCap}, {"objective", o.ObjectiveCap}, {"knowledge", k.Cap}}
	for _, c := range caps {
		r.RiskClass = min(r.RiskClass, c.cap)
	}
	r.LimitedBy = []string{}
	for _, c := range caps {
		if c.cap == r.RiskClass && c.cap < t.Class {
			r.LimitedBy = append(r.LimitedBy, c.name)
		}
	}
	return r, nil
}

// invalidAnswers is the EINVALID error of a refused questionnaire.
func invalidAnswers(l *i18n.Localizer, problems []ecrm.FieldError) error {
	return &ecrm.Error{Code: ecrm.EINVALID, Message: l.T("suitability.error.summary", len(problems)), Field: problems[0].Field, Fields: problems}
}
