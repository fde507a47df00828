package risk

import (
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// ProfileView is a stated risk profile as the pages show it: every figure
// ready for the templates, every word a catalogue key. The advisor's 360
// shows it too.
type ProfileView struct {
	Class int
	// ClassKey says what the class means.
	ClassKey      string
	Capacity      ecrm.Money
	ObjectiveKey  string
	HorizonKey    string // the questionnaire's option, when the horizon is one
	HorizonMonths int
	AssessedAt    time.Time
	// CompletedBy is client, advisor_with_client or "" (imported or an
	// older questionnaire); AssessedBy the advisor.
	CompletedBy string
	AssessedBy  string
	Source      string
	Version     string
	// Scored is true when the questionnaire's scoring is on file: the
	// figures below are set.
	Scored                                        bool
	TolerancePoints, ToleranceMax, ToleranceClass int
	Limits                                        []LimitView
	Reserve, FreeAssets, Surplus                  ecrm.Money
	Share                                         decimal.Decimal
	Knowledge                                     []KnowledgeView
}

// LimitView is an answer that set the class below the tolerance class.
type LimitView struct {
	Key   string // suitability.explain.limited.<cap>
	Class int
}

// KnowledgeView is one product type's level.
type KnowledgeView struct {
	LabelKey string
	LevelKey string
	Level    string
}

// assessmentAreas are the keys of risk_assessments.knowledge in the order
// they are shown when the questionnaire's own levels are not on file.
var assessmentAreas = []string{"equity", "bond", "fund", "etf", "option", "leveraged", "structured"}

// NewProfileView prepares a stated profile for a page; nil for none.
func NewProfileView(st *StatedProfile) *ProfileView {
	if st == nil {
		return nil
	}
	v := &ProfileView{Class: st.RiskClass, ClassKey: "suitability.class." + strconv.Itoa(st.RiskClass), Capacity: st.LossCapacity,
		ObjectiveKey: "suitability.opt.objective." + st.Objective, HorizonMonths: st.HorizonMonths, AssessedAt: st.AssessedAt,
		CompletedBy: st.CompletedBy, AssessedBy: st.AssessedBy, Source: st.Source, Version: st.QuestionnaireVersion}
	if h := HorizonAnswer(st.HorizonMonths); h != "" {
		v.HorizonKey = "suitability.opt.horizon." + h
	}
	if r := st.Result; r != nil {
		s := r.Scores
		v.Scored = true
		v.TolerancePoints, v.ToleranceMax, v.ToleranceClass = s.Tolerance.Points, s.Tolerance.Max, s.Tolerance.Class
		for _, l := range r.LimitedBy {
			v.Limits = append(v.Limits, LimitView{Key: "suitability.explain.limited." + l, Class: r.RiskClass})
		}
		ccy := st.LossCapacity.Currency
		v.Reserve = ecrm.Money{Amount: s.Financial.Reserve, Currency: ccy}.Round()
		v.FreeAssets = ecrm.Money{Amount: s.Financial.FreeAssets, Currency: ccy}.Round()
		v.Surplus = ecrm.Money{Amount: s.Financial.YearlySurplus, Currency: ccy}.Round()
		v.Share = s.Financial.Share
		for _, t := range KnowledgeTypes {
			if level, ok := r.Knowledge[t]; ok {
				v.Knowledge = append(v.Knowledge, KnowledgeView{LabelKey: "suitability.legend." + t, LevelKey: "suitability.level." + level, Level: level})
			}
		}
		return v
	}
	for _, area := range assessmentAreas {
		if level, ok := st.Knowledge[area]; ok && slices.Contains(knowledgeLevels, level) {
			v.Knowledge = append(v.Knowledge, KnowledgeView{LabelKey: "suitability.area." + area, LevelKey: "suitability.level." + level, Level: level})
		}
	}
	return v
}

// Result is the stated profile for the page, nil without one.
func (p profilePage) Result() *ProfileView { return NewProfileView(p.Profile.Stated) }

// MaxAgeN and MaxAgeUnit say the review cycle for a plural message
// (suitability.period.<unit>).
func (p profilePage) MaxAgeN() int { return periodN(p.MaxAge) }

// MaxAgeUnit is years, months or days.
func (p profilePage) MaxAgeUnit() string { return periodUnit(p.MaxAge) }

func periodN(p Period) int {
	switch {
	case p.Years != 0:
		return p.Years
	case p.Months != 0:
		return p.Months
	}
	return p.Days
}

func periodUnit(p Period) string {
	switch {
	case p.Years != 0:
		return "years"
	case p.Months != 0:
		return "months"
	}
	return "days"
}

// ReviewDue is when the profile in force goes stale by age (zero without
// one).
func (p profilePage) ReviewDue() time.Time {
	if p.Profile.ReviewDue == nil {
		return time.Time{}
	}
	return *p.Profile.ReviewDue
}
