package risk

import (
	"github.com/shopspring/decimal"
)

// AnswersJSON is the questionnaire as the API sends and returns it: the
// same questions as the page, nested by section; amounts as decimal
// strings (or JSON numbers). A question left out is unanswered, and named
// as such.
type AnswersJSON struct {
	Knowledge  KnowledgeJSON  `json:"knowledge"`
	Financial  FinancialJSON  `json:"financial"`
	Objectives ObjectivesJSON `json:"objectives"`
	Tolerance  ToleranceJSON  `json:"tolerance"`
}

// KnowledgeJSON is knowledge and experience per instrument type.
type KnowledgeJSON struct {
	Shares    TypeAnswerJSON `json:"shares"`
	Bonds     TypeAnswerJSON `json:"bonds"`
	Funds     TypeAnswerJSON `json:"funds"`
	ETFs      TypeAnswerJSON `json:"etfs"`
	Options   TypeAnswerJSON `json:"options"`
	Leveraged TypeAnswerJSON `json:"leveraged"`
}

// TypeAnswerJSON: understanding none, basic or good; experience never,
// occasional (1–5 trades in three years) or regular (more).
type TypeAnswerJSON struct {
	Understanding string `json:"understanding,omitempty"`
	Experience    string `json:"experience,omitempty"`
}

// FinancialJSON is the financial situation, amounts in Currency.
type FinancialJSON struct {
	Currency           string           `json:"currency,omitempty"`
	AnnualIncome       *decimal.Decimal `json:"annual_income,omitempty"`
	LiquidAssets       *decimal.Decimal `json:"liquid_assets,omitempty"`
	MonthlyObligations *decimal.Decimal `json:"monthly_obligations,omitempty"`
	LossImpact         string           `json:"loss_impact,omitempty"`
}

// ObjectivesJSON is the objective and horizon.
type ObjectivesJSON struct {
	Objective string `json:"objective,omitempty"`
	Horizon   string `json:"horizon,omitempty"`
}

// ToleranceJSON is the three risk-tolerance answers.
type ToleranceJSON struct {
	Outcome  string `json:"outcome,omitempty"`
	Reaction string `json:"reaction,omitempty"`
	Attitude string `json:"attitude,omitempty"`
}

func (k *KnowledgeJSON) byType() map[string]*TypeAnswerJSON {
	return map[string]*TypeAnswerJSON{"shares": &k.Shares, "bonds": &k.Bonds, "funds": &k.Funds, "etfs": &k.ETFs,
		"options": &k.Options, "leveraged": &k.Leveraged}
}

// Flat returns the answers by field; unanswered questions are left out.
func (j AnswersJSON) Flat() Answers {
	a := Answers{}
	set := func(field, v string) {
		if v != "" {
			a[field] = v
		}
	}
	amount := func(field string, d *decimal.Decimal) {
		if d != nil {
			a[field] = d.String()
		}
	}
	for t, ans := range j.Knowledge.byType() {
		set("knowledge."+t+".understanding", ans.Understanding)
		set("knowledge."+t+".experience", ans.Experience)
	}
	f := j.Financial
	set("financial.currency", f.Currency)
	amount("financial.annual_income", f.AnnualIncome)
	amount("financial.liquid_assets", f.LiquidAssets)
	amount("financial.monthly_obligations", f.MonthlyObligations)
	set("financial.loss_impact", f.LossImpact)
	set("objectives.objective", j.Objectives.Objective)
	set("objectives.horizon", j.Objectives.Horizon)
	set("tolerance.outcome", j.Tolerance.Outcome)
	set("tolerance.reaction", j.Tolerance.Reaction)
	set("tolerance.attitude", j.Tolerance.Attitude)
	return a
}

// Nested returns stored answers in the API's shape; nil for none.
func (a Answers) Nested() *AnswersJSON {
	if a == nil {
		return nil
	}
	var j AnswersJSON
	for t, ans := range j.Knowledge.byType() {
		ans.Understanding = a["knowledge."+t+".understanding"]
		ans.Experience = a["knowledge."+t+".experience"]
	}
	amount := func(field string) *decimal.Decimal {
		d, err := decimal.NewFromString(a[field])
		if err != nil {
			return nil
		}
		return &d
	}
	j.Financial = FinancialJSON{Currency: a["financial.currency"], AnnualIncome: amount("financial.annual_income"),
		LiquidAssets: amount("financial.liquid_assets"), MonthlyObligations: amount("financial.monthly_obligations"),
		LossImpact: a["financial.loss_impact"]}
	j.Objectives = ObjectivesJSON{Objective: a["objectives.objective"], Horizon: a["objectives.horizon"]}
	j.Tolerance = ToleranceJSON{Outcome: a["tolerance.outcome"], Reaction: a["tolerance.reaction"], Attitude: a["tolerance.attitude"]}
	return &j
}
