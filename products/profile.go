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

// LoadProfile reads what matching needs about a client in one query: the
// client record, the kinds of product held, instalments on active credit,
// the stored credit score (NoCreditFileScore without a row), and instrument
// kinds held (from which knowledge and experience is inferred).
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
       coalesce((SELECT s.score FROM credit_scores s WHERE s.client_id = c.id), $2)
FROM clients c
WHERE c.id = $1`
	var (
		p          = Profile{ClientID: clientID, ClientType: "retail"}
		income     *decimal.Decimal
		incomeCcy  string
		instrument []string
		debts      []string
	)
	err := q.QueryRow(ctx, query, clientID, NoCreditFileScore).Scan(&p.Prospect, &p.Age, &p.ResidenceCountry, &income, &incomeCcy,
		&p.EmploymentStatus, &p.KYCStatus, &p.Segment, &p.Vulnerable, &p.ExistingProducts, &instrument, &debts,
		&p.CreditScore)
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
