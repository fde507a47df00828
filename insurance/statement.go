package insurance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/document"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// The demands-and-needs statement (Insurance Distribution Directive,
// Directive (EU) 2016/97, art. 20(1): before a contract is concluded the
// distributor specifies, on the basis of information obtained from the
// customer, the demands and needs of that customer, and any contract
// proposed must be consistent with them; art. 20(4): with the information
// in an insurance product information document). For a quote it states
// what the applicant told us they need, the programme recommended and why
// it fits, what it does not cover, and the premium with its breakdown —
// as a page and as a PDF from a versioned template
// (internal/document/templates/insurance_statement.v<N>.<lang>.txt).

// StatementKind is the statement's document kind.
const StatementKind = "insurance_statement"

// StatementRow is one labelled fact.
type StatementRow struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Statement is a quote's demands-and-needs statement in one language.
type Statement struct {
	QuoteID   int64          `json:"quote_id"`
	Language  string         `json:"language"`
	Issued    string         `json:"issued"`
	Applicant string         `json:"applicant"`
	Demands   []StatementRow `json:"demands"`
	Programme string         `json:"programme"`
	Insurer   string         `json:"insurer"`
	Line      string         `json:"line"`
	Outcome   string         `json:"outcome"`
	WhyFits   []string       `json:"why_fits"`
	Covers    []string       `json:"covers"`
	// NotCovered: the programme's exclusions.
	NotCovered []string       `json:"not_covered"`
	Terms      []StatementRow `json:"terms"`
	Breakdown  []StatementRow `json:"breakdown"`
	Premium    string         `json:"premium"`
	// Versions the premium was rated under.
	Versions string `json:"versions"`
	Firm     string `json:"firm"`
}

// Statement builds the statement of the client's quote in l's language.
func (p *Programmes) Statement(ctx context.Context, clientID, quoteID int64, firm string, l *i18n.Localizer) (*Statement, error) {
	q, err := p.Quote(ctx, clientID, quoteID)
	if err != nil {
		return nil, err
	}
	var given, family string
	if err := p.pool.QueryRow(ctx, `SELECT given_name, family_name FROM clients WHERE id = $1`, clientID).Scan(&given, &family); err != nil {
		return nil, fmt.Errorf("statement of quote %d: %w", quoteID, err)
	}
	rt, err := p.ratingVersion(ctx, q.RatingVersionID)
	if err != nil {
		return nil, err
	}
	a := q.Answers
	s := &Statement{QuoteID: q.ID, Language: l.Lang().String(), Issued: l.Date(q.CreatedAt), Applicant: strings.TrimSpace(given + " " + family),
		Programme: l.Text(q.Name), Insurer: q.Insurer, Line: l.T("insurance.rating.line." + q.Line),
		Outcome: l.T("insurance.rating.outcome." + string(q.Outcome)), Firm: firm,
		Versions: l.T("insurance.rating.statement.versions", q.ProductCode, q.RulesVersion, q.RatingVersion)}
	// Demands and needs, as the applicant stated them.
	var lines []string
	for _, c := range a.codes("needs.protect") {
		if line, ok := lineOfNeed[c]; ok {
			lines = append(lines, l.T("insurance.rating.line."+line))
		}
	}
	row := func(rows *[]StatementRow, key, value string) {
		if value != "" {
			*rows = append(*rows, StatementRow{Label: l.T(key), Value: value})
		}
	}
	row(&s.Demands, "insurance.rating.statement.protect", strings.Join(lines, ", "))
	budget, hasBudget := a.number("needs.budget_monthly")
	if hasBudget {
		row(&s.Demands, "insurance.rating.statement.budget", l.Money(ron(budget)))
	}
	if pr := a.code("needs.priority"); pr != "" {
		row(&s.Demands, "insurance.rating.statement.priority", l.T("insurance.rating.priority."+pr))
	}
	asked, hasDeductible := decimal.Zero, false
	if d := a.code("needs.deductible"); d != "" {
		if v, err := decimal.NewFromString(d); err == nil {
			asked, hasDeductible = v, true
			row(&s.Demands, "insurance.rating.statement.deductible", l.Money(ron(v)))
		}
	}
	for _, id := range statementAnswers[q.Line] {
		if v := answerText(a, id, l); v != "" {
			row(&s.Demands, "insurance.rating.answer."+id, v)
		}
	}
	// Why it fits.
	s.WhyFits = append(s.WhyFits, l.T("insurance.rating.statement.fits_line", s.Line))
	monthly := q.Premium.Amount.DivRound(decimal.NewFromInt(int64(q.TermMonths)), centPlaces)
	if hasBudget {
		if monthly.LessThanOrEqual(budget) {
			s.WhyFits = append(s.WhyFits, l.T("insurance.rating.reason.within_budget", l.Money(ron(monthly)), l.Money(ron(budget))))
		} else {
			s.WhyFits = append(s.WhyFits, l.T("insurance.rating.reason.over_budget", l.Money(ron(monthly)), l.Money(ron(budget))))
		}
	}
	switch a.code("needs.priority") {
	case "cover":
		s.WhyFits = append(s.WhyFits, l.T("insurance.rating.statement.cover_level", l.T(fmt.Sprintf("insurance.rating.cover_level.%d", rt.CoverLevel))))
	case "deductible", "price":
		s.WhyFits = append(s.WhyFits, l.T("insurance.rating.statement.priority_"+a.code("needs.priority")))
	}
	if hasDeductible && len(rt.Deductibles) > 0 {
		if q.Deductible.Equal(asked) {
			s.WhyFits = append(s.WhyFits, l.T("insurance.rating.reason.deductible_matches", l.Money(ron(q.Deductible))))
		} else {
			s.WhyFits = append(s.WhyFits, l.T("insurance.rating.reason.deductible_differs", l.Money(ron(q.Deductible)), l.Money(ron(asked))))
		}
	}
	if q.Line == "travel" {
		if days, ok := a.number("travel.days"); ok {
			s.WhyFits = append(s.WhyFits, l.T("insurance.rating.statement.trip", days.IntPart(), q.TermMonths))
		}
	}
	if q.Outcome == OutcomeRefer {
		s.WhyFits = append(s.WhyFits, l.T("insurance.rating.reason.referred"))
	}
	for _, t := range rt.Covers {
		s.Covers = append(s.Covers, l.Text(t))
	}
	for _, t := range rt.NotCovered {
		s.NotCovered = append(s.NotCovered, l.Text(t))
	}
	if len(rt.Deductibles) > 0 && q.Deductible.IsPositive() {
		s.NotCovered = append(s.NotCovered, l.T("insurance.rating.statement.excess", l.Money(ron(q.Deductible))))
	}
	// The terms and the premium.
	row(&s.Terms, "insurance.rating.sum_insured", l.Money(q.SumInsured))
	row(&s.Terms, "insurance.rating.term", l.TN("insurance.rating.months", q.TermMonths, q.TermMonths))
	row(&s.Terms, "insurance.rating.starts_on", l.Date(q.StartsOn))
	row(&s.Terms, "insurance.rating.frequency", l.T("insurance.rating.frequency."+q.Frequency))
	if len(rt.Deductibles) > 0 {
		row(&s.Terms, "insurance.rating.deductible", l.Money(ron(q.Deductible)))
	}
	for _, f := range q.Breakdown {
		s.Breakdown = append(s.Breakdown, StatementRow{Label: FactorLabel(f, l), Value: l.Money(ron(f.Running))})
	}
	s.Premium = l.Money(q.Premium)
	return s, nil
}

// statementAnswers are the answers the statement restates for each line.
var statementAnswers = map[string][]string{
	"life":      {"life.sum_insured", "health.smoker", "lifestyle.occupation_class"},
	"health":    {"health.hospital_cover", "health.smoker", "health.conditions"},
	"home":      {"home.property_value", "home.contents_value", "home.construction", "home.flood_zone"},
	"motor":     {"motor.cover", "motor.vehicle_value", "motor.vehicle_year", "motor.claims_5y"},
	"travel":    {"travel.destination", "travel.days", "travel.travellers", "travel.activities"},
	"liability": {"liability.limit", "liability.dog"},
	"accident":  {"income.monthly_net", "income.benefit_monthly", "income.waiting_weeks"},
}

// answerText shows an answer in l's language: amounts as money, codes
// by their catalogue words where there are some.
func answerText(a Answers, id string, l *i18n.Localizer) string {
	vs := a[id]
	if len(vs) == 0 {
		return ""
	}
	var parts []string
	for _, v := range vs {
		switch {
		case v.Decimal != nil:
			parts = append(parts, l.Money(ron(*v.Decimal)))
		case v.Integer != nil:
			parts = append(parts, fmt.Sprint(*v.Integer))
		case v.Boolean != nil:
			parts = append(parts, l.T(fmt.Sprintf("insurance.rating.bool.%t", *v.Boolean)))
		case v.Coding != nil:
			key := "insurance.rating.code." + id + "." + v.Coding.Code
			if i18n.HasMessage(l.Lang(), key) {
				parts = append(parts, l.T(key))
			} else {
				parts = append(parts, v.Coding.Code)
			}
		case v.Date != "":
			if d, err := time.Parse(time.DateOnly, v.Date); err == nil {
				parts = append(parts, l.Date(d))
			}
		}
	}
	return strings.Join(parts, ", ")
}

// FactorLabel is a breakdown line's label: the factor's name and what it
// was read for, with its multiplier or loading.
func FactorLabel(f Factor, l *i18n.Localizer) string {
	name := l.T(f.Name)
	basis := f.Basis
	switch {
	case basis == "?":
		basis = l.T("insurance.rating.not_answered")
	case basis == "true" || basis == "false":
		basis = l.T("insurance.rating.bool." + basis)
	}
	switch {
	case f.Name == "insurance.rating.factor.base" && basis != "":
		return l.T("insurance.rating.factor.base_of", l.Money(ron(decimal.RequireFromString(f.Basis))))
	case f.Name == "insurance.rating.factor.base":
		return name
	case !f.Multiplier.IsZero():
		return fmt.Sprintf("%s (%s) × %s", name, basis, l.Decimal(f.Multiplier, int32(i18n.ExactPlaces(f.Multiplier, 2))))
	}
	return fmt.Sprintf("%s (%s) + %s", name, basis, l.Money(ron(f.Loading)))
}

// ratingVersion reads one rating version.
func (p *Programmes) ratingVersion(ctx context.Context, id int64) (RatingTable, error) {
	var rt RatingTable
	err := p.pool.QueryRow(ctx, `SELECT body FROM insurance_programme_versions WHERE id = $1 AND kind = 'rating'`, id).Scan(&rt)
	if err != nil {
		return rt, fmt.Errorf("rating version %d: %w", id, err)
	}
	return rt, nil
}

// StatementPDF makes the statement's PDF in its language.
func StatementPDF(docs *document.Renderer, s *Statement) (document.Document, error) {
	lang := s.Language
	if !slices.Contains([]string{"en", "ro"}, lang) {
		lang = "en"
	}
	return docs.Make(StatementKind, lang, s)
}
