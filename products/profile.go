package products

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// NoCreditFileScore is the credit score of someone without a credit file:
// a prospect, or a client with no credit line and no payment record. It is
// the thin-file score of the risk package's scorecard (risk.ThinFileScore;
// a test in risk checks that the two agree).
//
// The score itself is computed by risk, which owns the scorecard, and
// stored in credit_scores; products only reads it, since products sits
// below risk. risk keeps a row for every client with a credit file (a
// bureau import rewrites its clients' rows in its transaction, the seed
// and the demo load write them all, a daily job recomputes them all), so
// a client without a row has no credit file and gets this score.
const NoCreditFileScore = 650

// AssessmentMaxAgeMonths is how old a suitability assessment may be and
// still count: the offer gate's review cycle (compliance's
// assessmentMaxAge; a test there checks that the two agree). Older, the
// client is treated as not assessed.
const AssessmentMaxAgeMonths = 36

// LoadProfile reads what matching needs about a client in one query: the
// client record, the kinds of product held, instalments on active credit,
// the stored credit score (NoCreditFileScore without a row), instrument
// kinds held, and the suitability assessment in force. With an assessment,
// knowledge and loss capacity are the assessed ones; without one they are
// inferred (knowledge from the instruments held, loss capacity from the
// segment) and matching says so.
//
// The assessment is written by risk's questionnaire (or imported); products
// sits below risk, so it reads the row rather than calling risk.
func LoadProfile(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, clientID int64) (Profile, error) {
	const query = `
SELECT c.kind = 'prospect',
       coalesce(date_part('year', age(current_date, c.birth_date))::int, 0),
       coalesce(c.country, ''), c.annual_income, coalesce(c.income_currency, ''),
       coalesce(c.employment_status, ''), c.kyc_status, c.segment, c.vulnerable,
       array(SELECT DISTINCT a.kind FROM accounts a WHERE a.client_id = c.id AND a.status <> 'closed'
             UNION SELECT DISTINCT l.kind FROM credit_lines l WHERE l.client_id = c.id AND l.status = 'active' AND l.source = 'internal'
             UNION SELECT DISTINCT ip.line FROM insurance_policies ip WHERE ip.client_id = c.id AND ip.status = 'active'),
       array(SELECT DISTINCT i.kind FROM positions p JOIN instruments i ON i.id = p.instrument_id WHERE p.client_id = c.id),
       array(SELECT l.currency || ' ' || sum(l.monthly_payment)::text FROM credit_lines l
             WHERE l.client_id = c.id AND l.status = 'active' AND l.monthly_payment IS NOT NULL GROUP BY l.currency),
       coalesce((SELECT s.score FROM credit_scores s WHERE s.client_id = c.id), $2),
       (SELECT jsonb_build_object('risk_class', a.risk_class, 'knowledge', a.knowledge, 'assessed_at', a.assessed_at,
                                  'loss_capacity', jsonb_build_object('amount', a.loss_capacity::text, 'currency', a.loss_capacity_currency))
        FROM risk_assessments a WHERE a.client_id = c.id AND a.assessed_at <= now()
        ORDER BY a.assessed_at DESC, a.id DESC LIMIT 1)
FROM clients c
WHERE c.id = $1`
	var (
		p          = Profile{ClientID: clientID, ClientType: "retail"}
		income     *decimal.Decimal
		incomeCcy  string
		instrument []string
		debts      []string
		assessment *ProfileAssessment
	)
	err := q.QueryRow(ctx, query, clientID, NoCreditFileScore).Scan(&p.Prospect, &p.Age, &p.ResidenceCountry, &income, &incomeCcy,
		&p.EmploymentStatus, &p.KYCStatus, &p.Segment, &p.Vulnerable, &p.ExistingProducts, &instrument, &debts,
		&p.CreditScore, &assessment)
	if errors.Is(err, pgx.ErrNoRows) {
		return Profile{}, ecrm.Errorf(ecrm.ENOTFOUND, "There is no such client.")
	}
	if err != nil {
		return Profile{}, fmt.Errorf("load profile of client %d: %w", clientID, err)
	}
	if income != nil {
		p.AnnualIncomeEUR = toEUR(ecrm.Money{Amount: *income, Currency: incomeCcy})
	}
	for _, d := range debts {
		var ccy, amt string
		if _, err := fmt.Sscan(d, &ccy, &amt); err == nil {
			if a, err := decimal.NewFromString(amt); err == nil {
				p.MonthlyDebtEUR += toEUR(ecrm.Money{Amount: a, Currency: ccy})
			}
		}
	}
	if len(instrument) > 0 && !slices.Contains(p.ExistingProducts, "brokerage") {
		p.ExistingProducts = append(p.ExistingProducts, "brokerage")
	}
	slices.Sort(p.ExistingProducts)
	if assessment != nil && assessment.AssessedAt.AddDate(0, AssessmentMaxAgeMonths, 0).After(time.Now()) {
		assessment.AssessedAt = assessment.AssessedAt.UTC()
		p.Assessment = assessment
		p.Knowledge = assessment.highestKnowledge()
		return p, nil
	}
	p.Knowledge = knowledgeFromHoldings(instrument)
	p.LossCapacity = lossCapacityFromSegment(p.Segment)
	return p, nil
}

// ProfileAssessment is what matching reads of the client's suitability
// assessment in force (risk_assessments).
type ProfileAssessment struct {
	RiskClass    int        `json:"risk_class"`
	LossCapacity ecrm.Money `json:"loss_capacity"`
	// Knowledge is a level per product type (KnowledgeArea).
	Knowledge  map[string]string `json:"knowledge"`
	AssessedAt time.Time         `json:"assessed_at"`
}

// KnowledgeOf is the assessed knowledge of a product type: the level
// assessed for the type, none when the type was not assessed.
func (a *ProfileAssessment) KnowledgeOf(area string) string {
	if k, ok := a.Knowledge[area]; ok && slices.Contains(knowledgeLevels, k) {
		return k
	}
	return "none"
}

// highestKnowledge is the highest level of any type, the knowledge of a
// product that asks for none in particular.
func (a *ProfileAssessment) highestKnowledge() string {
	best := "none"
	for _, k := range a.Knowledge {
		if slices.Contains(knowledgeLevels, k) && KnowledgeAtLeast(k, best) {
			best = k
		}
	}
	return best
}

// LossCapacityFor maps a loss capacity in money to the target-market scale
// for an amount invested: able to lose all of it, some of it, or none
// (amounts compared at the reference rates). The gate maps the assessed
// capacity the same way.
func LossCapacityFor(capacity, amount ecrm.Money) string {
	c, ok1 := ReferenceEUR(capacity)
	a, ok2 := ReferenceEUR(amount)
	switch {
	case !ok1 || !ok2 || !c.IsPositive():
		return "none"
	case c.GreaterThanOrEqual(a):
		return "full_capital"
	}
	return "limited"
}

// knowledgeFromHoldings infers knowledge and experience from what the client
// has traded with the firm: options mean advanced, single bonds or equities
// informed, funds basic. The compliance questionnaire refines it later.
func knowledgeFromHoldings(kinds []string) string {
	switch {
	case slices.Contains(kinds, "option"):
		return "advanced"
	case slices.Contains(kinds, "bond") || slices.Contains(kinds, "equity"):
		return "informed"
	case slices.Contains(kinds, "fund") || slices.Contains(kinds, "etf"):
		return "basic"
	}
	return "none"
}

// lossCapacityFromSegment is the default loss capacity when the client does
// not state one: wealthier segments can bear the loss of the capital
// invested, others only a limited loss.
func lossCapacityFromSegment(segment string) string {
	switch segment {
	case "affluent", "private":
		return "full_capital"
	}
	return "limited"
}

// ProspectProfileOf builds the profile of someone not (yet) known to the
// firm from what they entered; nothing is read from the database.
func ProspectProfileOf(pp *ProspectProfile) Profile {
	p := Profile{Prospect: true, KYCStatus: "pending", Segment: "prospect", ClientType: "retail", CreditScore: NoCreditFileScore,
		Knowledge: "none", LossCapacity: "limited"}
	if pp == nil {
		return p
	}
	p.Age = pp.Age
	p.ResidenceCountry = pp.ResidenceCountry
	p.EmploymentStatus = pp.EmploymentStatus
	if pp.AnnualIncome != nil {
		p.AnnualIncomeEUR = toEUR(*pp.AnnualIncome)
	}
	if pp.Knowledge != "" {
		p.Knowledge = pp.Knowledge
	}
	return p
}
