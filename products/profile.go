package products

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// CreditHistory is the summary of a client's credit record that the credit
// score is computed from: payment statuses of the last 24 months across all
// credit lines (internal and bureau), and lines in default.
type CreditHistory struct {
	Lines      int // credit lines ever held
	OnTime     int
	Late30     int
	Late60     int
	Late90Plus int
	Defaulted  int // monthly payments recorded as default
	BadLines   int // lines defaulted or written off
}

// CreditScore is a simple, explainable score on the familiar 300–850 scale.
// It is deliberately plain so that a client and an advisor can follow it;
// the risk package is to own a calibrated model later.
//
//	no credit history at all                   650 ("thin file")
//	otherwise start at                         680
//	+ 3 per on-time monthly payment (24 months) up to +120
//	- 20 per payment 30 days late
//	- 45 per payment 60 days late
//	- 90 per payment 90+ days late
//	- 150 per payment in default
//	- 200 per credit line defaulted or written off
//	clamped to 300–850
func CreditScore(h CreditHistory) int {
	if h.Lines == 0 && h.OnTime+h.Late30+h.Late60+h.Late90Plus+h.Defaulted == 0 {
		return 650
	}
	s := 680 + min(3*h.OnTime, 120) - 20*h.Late30 - 45*h.Late60 - 90*h.Late90Plus - 150*h.Defaulted - 200*h.BadLines
	return max(300, min(850, s))
}

// LoadProfile reads what matching needs about a client in one query: the
// client record, the kinds of product held, instalments on active credit,
// the credit history of the last 24 months, and instrument kinds held (from
// which knowledge and experience is inferred).
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
       (SELECT count(*) FROM credit_lines l WHERE l.client_id = c.id),
       (SELECT count(*) FROM credit_lines l WHERE l.client_id = c.id AND l.status IN ('defaulted', 'written_off')),
       cp.on_time, cp.late_30, cp.late_60, cp.late_90, cp.dflt
FROM clients c,
LATERAL (SELECT count(*) FILTER (WHERE status = 'on_time') AS on_time, count(*) FILTER (WHERE status = 'late_30') AS late_30,
                count(*) FILTER (WHERE status = 'late_60') AS late_60, count(*) FILTER (WHERE status = 'late_90_plus') AS late_90,
                count(*) FILTER (WHERE status = 'default') AS dflt
         FROM credit_payments WHERE client_id = c.id AND period >= date_trunc('month', current_date) - interval '24 months') cp
WHERE c.id = $1`
	var (
		p          = Profile{ClientID: clientID, ClientType: "retail"}
		income     *decimal.Decimal
		incomeCcy  string
		instrument []string
		debts      []string
		h          CreditHistory
	)
	err := q.QueryRow(ctx, query, clientID).Scan(&p.Prospect, &p.Age, &p.ResidenceCountry, &income, &incomeCcy,
		&p.EmploymentStatus, &p.KYCStatus, &p.Segment, &p.Vulnerable, &p.ExistingProducts, &instrument, &debts,
		&h.Lines, &h.BadLines, &h.OnTime, &h.Late30, &h.Late60, &h.Late90Plus, &h.Defaulted)
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
	p.CreditScore = CreditScore(h)
	p.Knowledge = knowledgeFromHoldings(instrument)
	p.LossCapacity = lossCapacityFromSegment(p.Segment)
	return p, nil
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
	p := Profile{Prospect: true, KYCStatus: "pending", Segment: "prospect", ClientType: "retail", CreditScore: CreditScore(CreditHistory{}),
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
