package risk

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/products"
)

// answers builds a questionnaire: knowledge as "understanding/experience"
// per type in KnowledgeTypes order, then the other fields.
func answers(knowledge [6]string, rest map[string]string) Answers {
	a := Answers{}
	for i, t := range KnowledgeTypes {
		u, e, _ := strings.Cut(knowledge[i], "/")
		a["knowledge."+t+".understanding"], a["knowledge."+t+".experience"] = u, e
	}
	maps.Copy(a, rest)
	return a
}

// balanced is the first hand-worked case (docs/suitability.md, example 1).
func balanced() Answers {
	return answers([6]string{"good/occasional", "basic/occasional", "good/regular", "basic/never", "none/never", "none/never"}, map[string]string{
		"financial.currency": "RON", "financial.annual_income": "150000", "financial.liquid_assets": "80000",
		"financial.monthly_obligations": "4000", "financial.loss_impact": "limited",
		"objectives.objective": "growth", "objectives.horizon": "5_10",
		"tolerance.outcome": "d", "tolerance.reaction": "hold", "tolerance.attitude": "balanced",
	})
}

// TestScoreHandWorked: the examples of docs/suitability.md, worked out by
// hand: the class, what limited it and the exact loss capacity.
func TestScoreHandWorked(t *testing.T) {
	en := i18n.NewLocalizer(i18n.English)
	for _, tc := range []struct {
		name      string
		answers   Answers
		class     int
		limitedBy []string
		capacity  string
		knowledge map[string]string
		horizon   int
		points    [4]int // knowledge, financial, objectives, tolerance
	}{
		{
			// Tolerance 3+2+2 = 7 → class 5; caps 6 (limited), 6 (5–10
			// years), 7 (growth), 7 (advanced in funds): class 5.
			// Reserve 6 × 4,000 = 24,000; free 80,000 − 24,000 = 56,000;
			// surplus 150,000 − 12 × 4,000 = 102,000; (56,000 + 102,000)
			// × 0.50 = 79,000.00 RON.
			name: "Balanced", answers: balanced(), class: 5, limitedBy: []string{}, capacity: "79000.00 RON",
			knowledge: map[string]string{"shares": "informed", "bonds": "basic", "funds": "advanced", "etfs": "basic", "options": "none", "leveraged": "none"},
			horizon:   60, points: [4]int{10, 2, 3, 7},
		},
		{
			// Tolerance 4+3+4 = 11 → class 7, but preservation (3), 1–3
			// years (3) and no knowledge of anything (3) cap it at 3; a
			// noticeable loss caps at 4. Reserve 6 × 1,234.56 = 7,407.36;
			// free 12,345.67 − 7,407.36 = 4,938.31; surplus 30,000 −
			// 14,814.72 = 15,185.28; 20,123.59 × 0.25 = 5,030.8975, half
			// away from zero to 5,030.90 EUR.
			name: "SpeculativeButCaptive",
			answers: answers([6]string{"none/never", "none/never", "none/never", "none/never", "none/never", "none/never"}, map[string]string{
				"financial.currency": "EUR", "financial.annual_income": "30000", "financial.liquid_assets": "12345.67",
				"financial.monthly_obligations": "1234.56", "financial.loss_impact": "noticeable",
				"objectives.objective": "preservation", "objectives.horizon": "1_3",
				"tolerance.outcome": "e", "tolerance.reaction": "buy_more", "tolerance.attitude": "speculative",
			}),
			class: 3, limitedBy: []string{"horizon", "objective", "knowledge"}, capacity: "5030.90 EUR",
			knowledge: map[string]string{"shares": "none", "bonds": "none", "funds": "none", "etfs": "none", "options": "none", "leveraged": "none"},
			horizon:   12, points: [4]int{0, 1, 1, 11},
		},
		{
			// Nothing to lose: the reserve (3,000) exceeds the liquid
			// assets and obligations exceed income, so capacity 0.00;
			// tolerance 0 → class 1, which no cap lowers.
			name: "NothingToLose",
			answers: answers([6]string{"basic/never", "basic/occasional", "none/never", "none/never", "none/never", "none/never"}, map[string]string{
				"financial.currency": "RON", "financial.annual_income": "5000", "financial.liquid_assets": "1000",
				"financial.monthly_obligations": "500", "financial.loss_impact": "severe",
				"objectives.objective": "income", "objectives.horizon": "under_1",
				"tolerance.outcome": "a", "tolerance.reaction": "sell_all", "tolerance.attitude": "avoid",
			}),
			class: 1, limitedBy: []string{}, capacity: "0.00 RON",
			knowledge: map[string]string{"shares": "basic", "bonds": "basic", "funds": "none", "etfs": "none", "options": "none", "leveraged": "none"},
			horizon:   6, points: [4]int{3, 0, 0, 0},
		},
		{
			// Half a cent rounds away from zero: 0.01 × 0.50 = 0.005 →
			// 0.01 USD. Options known and traded regularly: advanced.
			// Tolerance 2+2+3 = 7 → 5; hedging (7), over 10 years (7),
			// no effect (7), advanced (7).
			name: "HalfACent",
			answers: answers([6]string{"good/regular", "good/regular", "good/regular", "good/regular", "good/regular", "good/occasional"}, map[string]string{
				"financial.currency": "USD", "financial.annual_income": "0", "financial.liquid_assets": "0.01",
				"financial.monthly_obligations": "0", "financial.loss_impact": "limited",
				"objectives.objective": "hedging", "objectives.horizon": "over_10",
				"tolerance.outcome": "c", "tolerance.reaction": "hold", "tolerance.attitude": "adventurous",
			}),
			class: 5, limitedBy: []string{}, capacity: "0.01 USD",
			knowledge: map[string]string{"shares": "advanced", "bonds": "advanced", "funds": "advanced", "etfs": "advanced", "options": "advanced", "leveraged": "informed"},
			horizon:   120, points: [4]int{23, 2, 4, 7},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ScoreAnswers(tc.answers, en)
			if err != nil {
				t.Fatal(err)
			}
			if r.RiskClass != tc.class || !slices.Equal(r.LimitedBy, tc.limitedBy) || r.LossCapacity.String() != tc.capacity || r.HorizonMonths != tc.horizon {
				t.Errorf("class %d limited by %q, capacity %s, horizon %d; want %d %q %s %d",
					r.RiskClass, r.LimitedBy, r.LossCapacity, r.HorizonMonths, tc.class, tc.limitedBy, tc.capacity, tc.horizon)
			}
			if !maps.Equal(r.Knowledge, tc.knowledge) {
				t.Errorf("knowledge %v, want %v", r.Knowledge, tc.knowledge)
			}
			s := r.Scores
			if got := [4]int{s.Knowledge.Points, s.Financial.Points, s.Objectives.Points, s.Tolerance.Points}; got != tc.points {
				t.Errorf("section points %v, want %v", got, tc.points)
			}
			if r.Version != "suitability-v1" {
				t.Errorf("version %q", r.Version)
			}
		})
	}
}

// TestScoresAreStoredExactly: the derivation kept with a response is the
// hand-worked one, decimals as strings.
func TestScoresAreStoredExactly(t *testing.T) {
	r, err := ScoreAnswers(balanced(), i18n.NewLocalizer(i18n.English))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r.Scores)
	want := `{"knowledge":{"points":10,"max":24,"by_type":{"bonds":2,"etfs":1,"funds":4,"leveraged":0,"options":0,"shares":3},"cap":7},` +
		`"financial":{"points":2,"max":3,"cap":6,"reserve":"24000","free_assets":"56000","yearly_surplus":"102000","share":"0.5"},` +
		`"objectives":{"points":3,"max":4,"horizon_cap":6,"objective_cap":7},"tolerance":{"points":7,"max":11,"class":5}}`
	if string(b) != want {
		t.Errorf("scores\n got %s\nwant %s", b, want)
	}
}

// TestAssessmentKnowledgeCoversWhatTheGateChecks: every knowledge area a
// product may have (products.Product.KnowledgeArea) gets a level, and
// leveraged covers structured.
func TestAssessmentKnowledgeCoversWhatTheGateChecks(t *testing.T) {
	r, err := ScoreAnswers(balanced(), i18n.NewLocalizer(i18n.English))
	if err != nil {
		t.Fatal(err)
	}
	got := r.AssessmentKnowledge()
	want := map[string]string{"equity": "informed", "bond": "basic", "fund": "advanced", "etf": "basic", "option": "none", "leveraged": "none", "structured": "none"}
	if !maps.Equal(got, want) {
		t.Errorf("assessment knowledge %v, want %v", got, want)
	}
	for _, kind := range []string{"money_market_fund", "bond_fund", "equity_fund", "etf", "government_bond", "corporate_bond", "high_yield_bond", "structured_note", "listed_option"} {
		area := products.Product{Kind: kind}.KnowledgeArea()
		if _, ok := got[area]; !ok {
			t.Errorf("no level for %s (area %q)", kind, area)
		}
	}
	for _, c := range Currencies {
		if _, ok := products.ReferenceEURRate(c); !ok {
			t.Errorf("currency %s has no reference rate: the gate could not compare a loss with the capacity", c)
		}
	}
}

// TestValidateNamesTheField: each answer out of range is named at its
// field, in order, in the reader's language; nothing is scored.
func TestValidateNamesTheField(t *testing.T) {
	a := balanced()
	a["financial.liquid_assets"] = "-5"
	a["tolerance.outcome"] = "f"
	delete(a, "knowledge.options.experience")
	a["financial.monthly_obligations"] = "12.345"
	a["financial.annual_income"] = "lots"
	a["objectives.horizon"] = ""
	a["favourite_colour"] = "blue"
	_, err := ScoreAnswers(a, i18n.NewLocalizer(i18n.English))
	var e *ecrm.Error
	if !errors.As(err, &e) || e.Code != ecrm.EINVALID {
		t.Fatalf("error %v, want EINVALID", err)
	}
	want := []ecrm.FieldError{
		{Field: "knowledge.options.experience", Message: "Choose an answer."},
		{Field: "financial.annual_income", Message: "Enter a number such as 12500.50."},
		{Field: "financial.liquid_assets", Message: "Enter an amount between 0 and 1,000,000,000."},
		{Field: "financial.monthly_obligations", Message: "Use at most 2 decimal places for RON."},
		{Field: "objectives.horizon", Message: "Choose an answer."},
		{Field: "tolerance.outcome", Message: "Choose one of the answers offered: a, b, c, d, e."},
		{Field: "favourite_colour", Message: "There is no such question."},
	}
	if !slices.Equal(e.Fields, want) {
		t.Errorf("fields\n got %q\nwant %q", e.Fields, want)
	}
	if e.Field != "knowledge.options.experience" || e.Message != "7 answers need your attention." {
		t.Errorf("error %q %q", e.Field, e.Message)
	}
	ro := ValidateAnswers(Answers{"financial.currency": "XYZ"}, i18n.NewLocalizer(i18n.Romanian))
	if ro[0].Message != "Alegeți un răspuns." {
		t.Errorf("Romanian: %q", ro[0].Message)
	}
	found := false
	for _, p := range ro {
		if p.Field == "financial.currency" {
			found = true
			if p.Message != "Alegeți o monedă dintre: RON, EUR, USD, GBP, CHF, HUF, PLN, CZK, SEK, DKK, NOK, BGN." {
				t.Errorf("Romanian currency message %q", p.Message)
			}
		}
	}
	if !found {
		t.Error("currency not named")
	}
}
