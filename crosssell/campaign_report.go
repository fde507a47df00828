package crosssell

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/products"
)

// A campaign's report: what was sent, what the gate blocked and why, what
// was opened and accepted, and what the campaign changed — conversion of
// the treatment group against the control group, with a 95 % confidence
// interval of the difference.
//
// Conversion (one definition for both groups, so the comparison is fair):
// within the response window, from the launch day to ResponseWindow days
// later, the client
//   - took up a product of the campaign product's family (a savings or
//     deposit account, an own credit line, a policy of the line, opened in
//     the window; the same mapping as the propensity models' take-up), or
//   - answered accepted or interested to any offer of the campaign's
//     product (a control client may meet the product elsewhere: a product
//     search, the next best offers, her advisor).
//
// "Accepted" alone counts the treatment's answers to the campaign's own
// offer; "opened" the campaign offers whose page the client opened.

// ResponseWindow is how long after the launch a take-up counts: a month
// is the usual response window of a direct-marketing offer.
const ResponseWindow = 30 * 24 * time.Hour

// CampaignReport is a campaign's figures.
type CampaignReport struct {
	Campaign Campaign
	// Audience is every recipient; Treatment and Control its groups.
	Audience, Treatment, Control int
	// Pending are treatment recipients the run has not reached yet.
	Pending int
	// Sent: offers the gate let through (e-mailed, or in the portal's
	// offer list); Blocked: treatment recipients offered nothing.
	Sent, Blocked int
	// BlockedBy counts blocked recipients by reason (gate check names,
	// no_email, ineligible); one blocked by two checks counts under both.
	BlockedBy []ReasonCount
	// Opened: sent offers whose page the client opened; Accepted: sent
	// offers answered accepted or interested.
	Opened, Accepted int
	// Converted per group (see the outcome definition above).
	TreatmentConverted, ControlConverted int
	// Uplift is treatment's conversion rate minus control's.
	Uplift Uplift
	// WindowFrom and WindowTo bound the response window (WindowTo is in
	// the future while the window is open).
	WindowFrom, WindowTo time.Time
}

// ReasonCount is a reason and how many recipients it blocked.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// TreatmentRate and ControlRate are the groups' conversion rates (0 for
// an empty group).
func (r *CampaignReport) TreatmentRate() float64 {
	return proportion(r.TreatmentConverted, r.Treatment)
}
func (r *CampaignReport) ControlRate() float64 { return proportion(r.ControlConverted, r.Control) }

func proportion(x, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(x) / float64(n)
}

// Report computes the campaign's report in one snapshot.
func (c *Campaigns) Report(ctx context.Context, id int64, by CampaignStaff) (*CampaignReport, error) {
	x, err := c.Campaign(ctx, id, by)
	if err != nil {
		return nil, err
	}
	r := &CampaignReport{Campaign: x}
	err = pgx.BeginTxFunc(ctx, c.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE grp = 'treatment'), count(*) FILTER (WHERE grp = 'control'),
				count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'shown'), count(*) FILTER (WHERE state = 'blocked'),
				count(*) FILTER (WHERE state = 'shown' AND EXISTS (SELECT 1 FROM offer_views v WHERE v.decision_seq = r.decision_seq)),
				count(*) FILTER (WHERE state = 'shown' AND EXISTS (SELECT 1 FROM decision_records d WHERE d.refers_to = r.decision_seq
				                 AND d.kind = 'response' AND d.outcome IN ('accepted', 'interested')))
			FROM campaign_recipients r WHERE r.campaign_id = $1`, id).Scan(&r.Audience, &r.Treatment, &r.Control, &r.Pending, &r.Sent,
			&r.Blocked, &r.Opened, &r.Accepted); err != nil {
			return fmt.Errorf("campaign %d report: %w", id, err)
		}
		rows, err := tx.Query(ctx, `SELECT reason, count(*) FROM campaign_recipients r, unnest(r.blocked_reasons) AS reason
			WHERE r.campaign_id = $1 AND r.state = 'blocked' GROUP BY 1 ORDER BY 2 DESC, 1`, id)
		if err != nil {
			return err
		}
		if r.BlockedBy, err = pgx.CollectRows(rows, pgx.RowToStructByPos[ReasonCount]); err != nil {
			return err
		}
		if x.LaunchedAt == nil {
			return nil
		}
		r.WindowFrom = *x.LaunchedAt
		r.WindowTo = x.LaunchedAt.Add(ResponseWindow)
		return tx.QueryRow(ctx, conversionSQL, id, x.ProductID, familyOfCampaign(ctx, tx, x.ProductID),
			r.WindowFrom, r.WindowTo).Scan(&r.TreatmentConverted, &r.ControlConverted)
	})
	if err != nil {
		return nil, err
	}
	r.Uplift = NewcombeUplift(r.TreatmentConverted, r.Treatment, r.ControlConverted, r.Control)
	return r, nil
}

// familyOfCampaign is the propensity family of the campaign's product
// (its kind and line do not change between versions).
func familyOfCampaign(ctx context.Context, tx pgx.Tx, productID int64) string {
	var p products.Product
	if err := tx.QueryRow(ctx, `SELECT kind, line FROM products WHERE id = $1`, productID).Scan(&p.Kind, &p.Line); err != nil {
		return ""
	}
	return familyOf(p)
}

// conversionSQL counts the converted recipients of each group: $1 the
// campaign, $2 its product, $3 the product's family, $4 and $5 the
// window. Holdings are dated by day: from the launch day on.
const conversionSQL = `
WITH took AS (
	SELECT client_id FROM accounts
	WHERE replace(kind, '_', '-') = $3 AND opened_on >= ($4::timestamptz AT TIME ZONE 'UTC')::date AND opened_on < ($5::timestamptz AT TIME ZONE 'UTC')::date
	UNION
	SELECT client_id FROM credit_lines
	WHERE source = 'internal' AND CASE kind WHEN 'credit_card' THEN 'credit-card' WHEN 'car_loan' THEN 'personal-loan'
	      WHEN 'consumer_loan' THEN 'personal-loan' ELSE kind END = $3
	  AND opened_on >= ($4::timestamptz AT TIME ZONE 'UTC')::date AND opened_on < ($5::timestamptz AT TIME ZONE 'UTC')::date
	UNION
	SELECT client_id FROM insurance_policies
	WHERE status <> 'quoted' AND line || '-insurance' = $3
	  AND starts_on >= ($4::timestamptz AT TIME ZONE 'UTC')::date AND starts_on < ($5::timestamptz AT TIME ZONE 'UTC')::date
	UNION
	SELECT client_id FROM decision_records
	WHERE kind = 'response' AND outcome IN ('accepted', 'interested') AND product_id = $2 AND recorded_at >= $4 AND recorded_at < $5
)
SELECT count(*) FILTER (WHERE r.grp = 'treatment' AND t.client_id IS NOT NULL),
       count(*) FILTER (WHERE r.grp = 'control' AND t.client_id IS NOT NULL)
FROM campaign_recipients r LEFT JOIN took t ON t.client_id = r.client_id
WHERE r.campaign_id = $1`

// Uplift is a difference of two proportions with its 95 % confidence
// interval.
type Uplift struct {
	// Defined is false when a group is empty: there is nothing to compare.
	Defined         bool
	Difference      float64
	Lower, Upper    float64
	TreatmentRate   float64
	ControlRate     float64
	TreatmentN      int
	ControlN        int
	TreatmentEvents int
	ControlEvents   int
}

// z95 is the standard normal quantile of 0.975.
const z95 = 1.959963984540054

// NewcombeUplift is p₁ − p₂ (x1 of n1 against x2 of n2) with Newcombe's
// hybrid score interval (Newcombe 1998, "Interval estimation for the
// difference between independent proportions", method 10): the Wilson
// score interval of each proportion, combined as
//
//	L = d − √((p₁ − l₁)² + (u₂ − p₂)²),  U = d + √((u₁ − p₁)² + (p₂ − l₂)²).
//
// Chosen over the Wald interval d ± z√(p₁q₁/n₁ + p₂q₂/n₂) because a
// campaign's rates are small and its control group may be small: Wald
// then covers far less than 95 %, collapses to a point when a group has
// no conversion, and can leave [−1, 1]; Newcombe's does none of these.
func NewcombeUplift(x1, n1, x2, n2 int) Uplift {
	u := Uplift{TreatmentN: n1, ControlN: n2, TreatmentEvents: x1, ControlEvents: x2}
	if n1 == 0 || n2 == 0 {
		return u
	}
	p1, p2 := proportion(x1, n1), proportion(x2, n2)
	l1, u1 := wilson(x1, n1)
	l2, u2 := wilson(x2, n2)
	d := p1 - p2
	u.Defined, u.Difference, u.TreatmentRate, u.ControlRate = true, d, p1, p2
	u.Lower = d - math.Sqrt((p1-l1)*(p1-l1)+(u2-p2)*(u2-p2))
	u.Upper = d + math.Sqrt((u1-p1)*(u1-p1)+(p2-l2)*(p2-l2))
	return u
}

// WaldUplift is the simple Wald interval, for comparison (the report
// shows Newcombe's).
func WaldUplift(x1, n1, x2, n2 int) Uplift {
	u := Uplift{TreatmentN: n1, ControlN: n2, TreatmentEvents: x1, ControlEvents: x2}
	if n1 == 0 || n2 == 0 {
		return u
	}
	p1, p2 := proportion(x1, n1), proportion(x2, n2)
	se := math.Sqrt(p1*(1-p1)/float64(n1) + p2*(1-p2)/float64(n2))
	d := p1 - p2
	u.Defined, u.Difference, u.TreatmentRate, u.ControlRate = true, d, p1, p2
	u.Lower, u.Upper = d-z95*se, d+z95*se
	return u
}

// wilson is the Wilson score interval of x of n at 95 %.
func wilson(x, n int) (lower, upper float64) {
	p, nf, z2 := proportion(x, n), float64(n), z95*z95
	centre := (p + z2/(2*nf)) / (1 + z2/nf)
	half := z95 / (1 + z2/nf) * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return math.Max(0, centre-half), math.Min(1, centre+half)
}

// Significant reports whether the interval excludes zero.
func (u Uplift) Significant() bool { return u.Defined && (u.Lower > 0 || u.Upper < 0) }

// Points are the uplift and its bounds in percentage points, rounded to
// two places for display and export (statistics, not money: computed in
// float64, rounded here once).
func (u Uplift) Points() (difference, lower, upper decimal.Decimal) {
	pp := func(f float64) decimal.Decimal { return decimal.NewFromFloat(f * 100).Round(2) }
	return pp(u.Difference), pp(u.Lower), pp(u.Upper)
}
