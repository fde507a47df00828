package insurance

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
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

// Statement is a demands-and-needs statement in one language: of a quote
// (one programme), or of a journey's choice (the best programme the gate
// showed in each line asked for).
type Statement struct {
	QuoteID   int64          `json:"quote_id,omitempty"`
	JourneyID int64          `json:"journey_id"`
	Language  string         `json:"language"`
	Issued    string         `json:"issued"`
	Applicant string         `json:"applicant"`
	Demands   []StatementRow `json:"demands"`
	// Recommended are the programmes recommended, one per line.
	Recommended []Recommendation `json:"recommended"`
	// Total is the premiums' sum when several are recommended.
	Total string `json:"total,omitempty"`
	Firm  string `json:"firm"`
}

// Recommendation is one programme recommended and why it fits.
type Recommendation struct {
	Programme string   `json:"programme"`
	Insurer   string   `json:"insurer"`
	Line      string   `json:"line"`
	Outcome   string   `json:"outcome"`
	WhyFits   []string `json:"why_fits"`
	Covers    []string `json:"covers"`
	// NotCovered: the programme's exclusions.
	NotCovered []string       `json:"not_covered"`
	Terms      []StatementRow `json:"terms"`
	Breakdown  []StatementRow `json:"breakdown"`
	Premium    string         `json:"premium"`
	// Versions the premium was rated under.
	Versions string `json:"versions"`
}

// recommended is what a recommendation is written from: a quote, or a
// candidate shown on the choice page.
type recommended struct {
	Name                        ecrm.Text
	Code, Insurer, Line         string
	Outcome                     Outcome
	Premium, SumInsured         ecrm.Money
	Deductible                  decimal.Decimal
	TermMonths                  int
	StartsOn                    time.Time
	Frequency                   string
	Breakdown                   []Factor
	RulesVersion, RatingVersion int
	Rating                      RatingTable
}

func (p *Programmes) applicant(ctx context.Context, clientID int64) (string, error) {
	var given, family string
	if err := p.pool.QueryRow(ctx, `SELECT given_name, family_name FROM clients WHERE id = $1`, clientID).Scan(&given, &family); err != nil {
		return "", fmt.Errorf("statement: client %d: %w", clientID, err)
	}
	return strings.TrimSpace(given + " " + family), nil
}

// Statement builds the statement of the client's quote in l's language.
func (p *Programmes) Statement(ctx context.Context, clientID, quoteID int64, firm string, l *i18n.Localizer) (*Statement, error) {
	q, err := p.Quote(ctx, clientID, quoteID)
	if err != nil {
		return nil, err
	}
	who, err := p.applicant(ctx, clientID)
	if err != nil {
		return nil, err
	}
	rt, err := p.ratingVersion(ctx, q.RatingVersionID)
	if err != nil {
		return nil, err
	}
	s := &Statement{QuoteID: q.ID, JourneyID: q.JourneyID, Language: l.Lang().String(), Issued: l.Date(q.CreatedAt), Applicant: who, Firm: firm,
		Demands: demands(q.Answers, []string{q.Line}, l)}
	s.Recommended = []Recommendation{recommendation(recommended{Name: q.Name, Code: q.ProductCode, Insurer: q.Insurer, Line: q.Line,
		Outcome: q.Outcome, Premium: q.Premium, SumInsured: q.SumInsured, Deductible: q.Deductible, TermMonths: q.TermMonths,
		StartsOn: q.StartsOn, Frequency: q.Frequency, Breakdown: q.Breakdown, RulesVersion: q.RulesVersion, RatingVersion: q.RatingVersion,
		Rating: rt}, q.Answers, l)}
	return s, nil
}

// JourneyStatement builds the statement of a journey's choice: the
// programmes are presented through the gate again (within its window, the
// same decisions), and the best one shown in each line is recommended.
func (p *Programmes) JourneyStatement(ctx context.Context, v Viewer, journeyID int64, firm string, l *i18n.Localizer) (*Statement, error) {
	ch, err := p.Present(ctx, v, journeyID, l)
	if err != nil {
		return nil, err
	}
	who, err := p.applicant(ctx, v.ClientID)
	if err != nil {
		return nil, err
	}
	s := &Statement{JourneyID: journeyID, Language: l.Lang().String(), Issued: l.Date(ch.AsOf), Applicant: who, Firm: firm}
	var lines, groups []string
	total := decimal.Zero
	for _, c := range ch.Candidates {
		if !c.Shown || c.Outcome == OutcomeDecline || slices.Contains(groups, c.Group()) {
			continue
		}
		groups = append(groups, c.Group())
		if !slices.Contains(lines, c.Line) {
			lines = append(lines, c.Line)
		}
		rt, err := p.ratingVersion(ctx, c.RatingVersionID)
		if err != nil {
			return nil, err
		}
		s.Recommended = append(s.Recommended, recommendation(recommended{Name: c.ProductName, Code: c.ProductCode, Insurer: c.Insurer,
			Line: c.Line, Outcome: c.Outcome, Premium: ron(c.Premium), SumInsured: ron(c.SumInsured), Deductible: c.Deductible,
			TermMonths: c.TermMonths, Breakdown: c.Breakdown, RulesVersion: atoi(c.RulesVersion), RatingVersion: atoi(c.RatingVersion),
			Rating: rt}, ch.Answers, l))
		total = total.Add(c.Premium)
	}
	s.Demands = demands(ch.Answers, lines, l)
	if len(s.Recommended) > 1 {
		s.Total = l.Money(ron(total))
	}
	return s, nil
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// demands restates what the applicant asked for, and the answers that
// matter to the lines recommended.
func demands(a Answers, lines []string, l *i18n.Localizer) []StatementRow {
	var out []StatementRow
	row := func(key, value string) {
		if value != "" {
			out = append(out, StatementRow{Label: l.T(key), Value: value})
		}
	}
	var asked []string
	for _, c := range a.codes("needs.protect") {
		if line, ok := lineOfNeed[c]; ok {
			asked = append(asked, l.T("insurance.rating.line."+line))
		}
	}
	row("insurance.rating.statement.protect", strings.Join(asked, ", "))
	if budget, ok := a.number("needs.budget_monthly"); ok {
		row("insurance.rating.statement.budget", l.Money(ron(budget)))
	}
	if pr := a.code("needs.priority"); pr != "" {
		row("insurance.rating.statement.priority", l.T("insurance.rating.priority."+pr))
	}
	if d := a.code("needs.deductible"); d != "" {
		if v, err := decimal.NewFromString(d); err == nil {
			row("insurance.rating.statement.deductible", l.Money(ron(v)))
		}
	}
	for _, line := range lines {
		for _, id := range statementAnswers[line] {
			row("insurance.rating.answer."+id, answerText(a, id, l))
		}
	}
	return out
}

// recommendation says why r fits the answers a.
func recommendation(r recommended, a Answers, l *i18n.Localizer) Recommendation {
	rt := r.Rating
	out := Recommendation{Programme: l.Text(r.Name), Insurer: r.Insurer, Line: l.T("insurance.rating.line." + r.Line),
		Outcome:  l.T("insurance.rating.outcome." + string(r.Outcome)),
		Versions: l.T("insurance.rating.statement.versions", r.Code, r.RulesVersion, r.RatingVersion)}
	out.WhyFits = append(out.WhyFits, l.T("insurance.rating.statement.fits_line", out.Line))
	monthly := r.Premium.Amount.DivRound(decimal.NewFromInt(int64(r.TermMonths)), centPlaces)
	if budget, ok := a.number("needs.budget_monthly"); ok {
		if monthly.LessThanOrEqual(budget) {
			out.WhyFits = append(out.WhyFits, l.T("insurance.rating.reason.within_budget", l.Money(ron(monthly)), l.Money(ron(budget))))
		} else {
			out.WhyFits = append(out.WhyFits, l.T("insurance.rating.reason.over_budget", l.Money(ron(monthly)), l.Money(ron(budget))))
		}
	}
	switch pr := a.code("needs.priority"); pr {
	case "cover":
		out.WhyFits = append(out.WhyFits, l.T("insurance.rating.statement.cover_level", l.T(fmt.Sprintf("insurance.rating.cover_level.%d", rt.CoverLevel))))
	case "deductible", "price":
		out.WhyFits = append(out.WhyFits, l.T("insurance.rating.statement.priority_"+pr))
	}
	if d := a.code("needs.deductible"); d != "" && len(rt.Deductibles) > 0 {
		if asked, err := decimal.NewFromString(d); err == nil {
			if r.Deductible.Equal(asked) {
				out.WhyFits = append(out.WhyFits, l.T("insurance.rating.reason.deductible_matches", l.Money(ron(r.Deductible))))
			} else {
				out.WhyFits = append(out.WhyFits, l.T("insurance.rating.reason.deductible_differs", l.Money(ron(r.Deductible)), l.Money(ron(asked))))
			}
		}
	}
	if r.Line == "travel" {
		if days, ok := a.number("travel.days"); ok {
			out.WhyFits = append(out.WhyFits, l.T("insurance.rating.statement.trip", days.IntPart(), l.TN("insurance.rating.months", r.TermMonths, r.TermMonths)))
		}
	}
	if r.Outcome == OutcomeRefer {
		out.WhyFits = append(out.WhyFits, l.T("insurance.rating.reason.referred"))
	}
	for _, t := range rt.Covers {
		out.Covers = append(out.Covers, l.Text(t))
	}
	for _, t := range rt.NotCovered {
		out.NotCovered = append(out.NotCovered, l.Text(t))
	}
	if len(rt.Deductibles) > 0 && r.Deductible.IsPositive() {
		out.NotCovered = append(out.NotCovered, l.T("insurance.rating.statement.excess", l.Money(ron(r.Deductible))))
	}
	row := func(key, value string) { out.Terms = append(out.Terms, StatementRow{Label: l.T(key), Value: value}) }
	row("insurance.rating.sum_insured", l.Money(r.SumInsured))
	row("insurance.rating.term", l.TN("insurance.rating.months", r.TermMonths, r.TermMonths))
	if !r.StartsOn.IsZero() {
		row("insurance.rating.starts_on", l.Date(r.StartsOn))
	}
	if r.Frequency != "" {
		row("insurance.rating.frequency", l.T("insurance.rating.frequency."+r.Frequency))
	}
	if len(rt.Deductibles) > 0 {
		row("insurance.rating.deductible", l.Money(ron(r.Deductible)))
	}
	for _, f := range r.Breakdown {
		out.Breakdown = append(out.Breakdown, StatementRow{Label: FactorLabel(f, l), Value: l.Money(ron(f.Running))})
	}
	out.Premium = l.Money(r.Premium)
	return out
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
	default:
		if id, ok := factorInputs[strings.TrimPrefix(f.Name, "insurance.rating.factor.")]; ok {
			var words []string
			for _, c := range strings.Split(basis, ", ") {
				if key := "insurance.rating.code." + id + "." + c; i18n.HasMessage(l.Lang(), key) {
					c = l.T(key)
				}
				words = append(words, c)
			}
			basis = strings.Join(words, ", ")
		}
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

// factorInputs are the choices whose codes a breakdown line says in the
// reader's words.
var factorInputs = map[string]string{"destination": "travel.destination", "activities": "travel.activities",
	"construction": "home.construction", "hospital_cover": "health.hospital_cover", "conditions": "health.conditions",
	"occupation": "lifestyle.occupation_class", "region": "applicant.region"}

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
