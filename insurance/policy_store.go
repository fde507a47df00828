package insurance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// DefaultRenewalReminderDays is how many days before a short-term policy
// ends the client is reminded to renew it (ECRM_INSURANCE_RENEWAL_DAYS).
const DefaultRenewalReminderDays = 14

// Policies reads the client's policies. Every query filters by the client
// in SQL: a policy of another client is not found.
type Policies struct {
	pool *pgxpool.Pool
	zone *time.Location
	// ReminderDays is the renewal window (DefaultRenewalReminderDays).
	ReminderDays int
	// Now is the clock (tests set it).
	Now func() time.Time
	// parsed keeps the questionnaire versions policies were priced on.
	parsed definitions
}

// NewPolicies reads policies from pool; days are counted in UTC until
// SetZone.
func NewPolicies(pool *pgxpool.Pool) *Policies {
	return &Policies{pool: pool, zone: time.UTC, ReminderDays: DefaultRenewalReminderDays, Now: time.Now}
}

// SetZone sets the time zone whose calendar day is "today".
func (s *Policies) SetZone(zone *time.Location) {
	if zone != nil {
		s.zone = zone
	}
}

// Today is the calendar day in the configured zone, as a UTC midnight.
func (s *Policies) Today() time.Time { return policyDay(s.Now().In(s.zone)) }

// ErrPolicyNotFound: no such policy of this client.
var ErrPolicyNotFound = &ecrm.Error{Code: ecrm.ENOTFOUND, Message: "No such policy."}

const policySummaryColumns = `p.id, p.policy_number, p.line, p.insurer, p.status, p.starts_on, p.ends_on, p.short_term,
       p.sum_insured, p.premium, p.currency, p.premium_frequency, p.term_premium, coalesce(p.terms_version, ''),
       (SELECT n.id FROM insurance_policies n WHERE n.renews_policy_id = p.id AND n.client_id = p.client_id ORDER BY n.id LIMIT 1),
       r.reminded_at, r.ends_on, r.outbox_message_id IS NOT NULL`

// policyListSQL: the client's policies (quotes not yet bound left out),
// active ones first, then by end date, newest first.
const policyListSQL = `
SELECT ` + policySummaryColumns + `
FROM insurance_policies p
LEFT JOIN insurance_renewal_reminders r ON r.policy_id = p.id AND r.client_id = $1
WHERE p.client_id = $1 AND p.status <> 'quoted'
ORDER BY (p.status = 'active') DESC, p.ends_on DESC, p.id DESC`

func (s *Policies) scanSummary(row pgx.Row, p *PolicySummary, extra ...any) error {
	var sum, premium decimal.Decimal
	var termPremium *decimal.Decimal
	var currency string
	var remindedAt *time.Time
	var remindedEnds *time.Time
	var emailed *bool
	dest := []any{&p.ID, &p.PolicyNumber, &p.Line, &p.Insurer, &p.Status, &p.StartsOn.Time, &p.EndsOn.Time, &p.ShortTerm,
		&sum, &premium, &currency, &p.PremiumFrequency, &termPremium, &p.TermsVersion, &p.RenewedBy,
		&remindedAt, &remindedEnds, &emailed}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return err
	}
	p.SumInsured = ecrm.Money{Amount: sum, Currency: currency}
	p.Premium = ecrm.Money{Amount: premium, Currency: currency}
	if termPremium != nil {
		p.TermPremium = &ecrm.Money{Amount: *termPremium, Currency: currency}
	}
	if remindedAt != nil {
		p.Reminder = &RenewalReminder{RemindedAt: *remindedAt, EndsOn: PolicyDate{*remindedEnds}, Emailed: emailed != nil && *emailed}
	}
	return nil
}

// renewable: a short-term active policy ending within the reminder window
// (ends_on after today, at most ReminderDays later: the renewal job's
// window), not yet renewed.
func (s *Policies) renewable(p *PolicySummary, today time.Time) bool {
	ends := policyDay(p.EndsOn.Time)
	return p.ShortTerm && p.Status == "active" && p.RenewedBy == nil &&
		ends.After(today) && !ends.After(today.AddDate(0, 0, s.ReminderDays))
}

// List returns the client's policies with their payment status today.
func (s *Policies) List(ctx context.Context, clientID int64) ([]PolicySummary, error) {
	today := s.Today()
	rows, err := s.pool.Query(ctx, policyListSQL, clientID)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	var out []PolicySummary
	for rows.Next() {
		var p PolicySummary
		if err := s.scanSummary(rows, &p); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list policies: %w", err)
		}
		p.Renewable = s.renewable(&p, today)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	instalments, err := s.instalments(ctx, clientID, 0, today)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].summarisePayments(instalments[out[i].ID])
	}
	if out == nil {
		out = []PolicySummary{}
	}
	return out, nil
}

// summarisePayments sets the next premium and the payment status.
func (p *PolicySummary) summarisePayments(list []PolicyInstalment) {
	statuses := make([]string, len(list))
	for i, in := range list {
		statuses[i] = in.PaymentStatus
		if p.NextPremium == nil && (in.PaymentStatus == PaymentDue || in.PaymentStatus == PaymentOverdue || in.PaymentStatus == PaymentScheduled) {
			p.NextPremium = &list[i]
		}
	}
	p.PaymentStatus = PolicyPaymentStatus(statuses)
}

// instalments reads the client's instalments (of one policy, or of all
// when policyID is 0), in due order, with their payments.
func (s *Policies) instalments(ctx context.Context, clientID, policyID int64, today time.Time) (map[int64][]PolicyInstalment, error) {
	rows, err := s.pool.Query(ctx, `
SELECT i.id, i.policy_id, i.due_on, i.amount, i.currency, i.status,
       coalesce(jsonb_agg(jsonb_build_object('paid_at', pp.paid_at, 'amount', pp.amount::text, 'method', pp.method) ORDER BY pp.paid_at)
                FILTER (WHERE pp.id IS NOT NULL), '[]')
FROM premium_instalments i
LEFT JOIN premium_payments pp ON pp.instalment_id = i.id AND pp.client_id = $1
WHERE i.client_id = $1 AND ($2 = 0 OR i.policy_id = $2)
GROUP BY i.id
ORDER BY i.policy_id, i.due_on`, clientID, policyID)
	if err != nil {
		return nil, fmt.Errorf("read instalments: %w", err)
	}
	defer rows.Close()
	out := map[int64][]PolicyInstalment{}
	for rows.Next() {
		var in PolicyInstalment
		var policy int64
		var amount decimal.Decimal
		var currency string
		var payments []struct {
			PaidAt time.Time       `json:"paid_at"`
			Amount decimal.Decimal `json:"amount"`
			Method string          `json:"method"`
		}
		if err := rows.Scan(&in.ID, &policy, &in.DueOn.Time, &amount, &currency, &in.Status, &payments); err != nil {
			return nil, fmt.Errorf("read instalments: %w", err)
		}
		in.Amount = ecrm.Money{Amount: amount, Currency: currency}
		in.PaymentStatus = InstalmentPaymentStatus(in.Status, in.DueOn.Time, today)
		in.Payments = make([]PolicyPayment, len(payments))
		for k, pay := range payments {
			in.Payments[k] = PolicyPayment{PaidAt: pay.PaidAt, Amount: ecrm.Money{Amount: pay.Amount, Currency: currency}, Method: pay.Method}
		}
		out[policy] = append(out[policy], in)
	}
	return out, rows.Err()
}

// Get returns one of the client's policies with its schedule, answers and
// history.
func (s *Policies) Get(ctx context.Context, clientID, id int64) (*PolicyDetail, error) {
	today := s.Today()
	d := &PolicyDetail{}
	var answers, versions []byte
	row := s.pool.QueryRow(ctx, `
SELECT `+policySummaryColumns+`, p.quote_id, p.journey_id, p.bound_at, p.answers, p.questionnaire_versions
FROM insurance_policies p
LEFT JOIN insurance_renewal_reminders r ON r.policy_id = p.id AND r.client_id = $1
WHERE p.client_id = $1 AND p.id = $2 AND p.status <> 'quoted'`, clientID, id)
	err := s.scanSummary(row, &d.PolicySummary, &d.QuoteID, &d.JourneyID, &d.BoundAt, &answers, &versions)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrPolicyNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read policy %d: %w", id, err)
	}
	d.Renewable = s.renewable(&d.PolicySummary, today)
	if d.Answers, err = policyAnswers(answers); err != nil {
		return nil, fmt.Errorf("policy %d: %w", id, err)
	}
	d.QuestionnaireVersions = map[string]string{}
	if versions != nil {
		if err := json.Unmarshal(versions, &d.QuestionnaireVersions); err != nil {
			return nil, fmt.Errorf("policy %d: questionnaire versions: %w", id, err)
		}
	}
	instalments, err := s.instalments(ctx, clientID, id, today)
	if err != nil {
		return nil, err
	}
	d.Instalments = instalments[id]
	if d.Instalments == nil {
		d.Instalments = []PolicyInstalment{}
	}
	d.summarisePayments(d.Instalments)
	if d.History, err = s.history(ctx, clientID, id); err != nil {
		return nil, err
	}
	d.ClaimsURL = "/portal/policies/" + strconv.FormatInt(id, 10) + "/claims/new"
	d.ScheduleURL = "/portal/policies/" + strconv.FormatInt(id, 10) + "/schedule.pdf"
	return d, nil
}

// policyHistoryDepth bounds the walk back through renewals (a policy
// renewed monthly for four years).
const policyHistoryDepth = 50

// history walks renews_policy_id back from the policy, newest first, every
// step within the client's own policies.
func (s *Policies) history(ctx context.Context, clientID, id int64) ([]PolicyHistoryEntry, error) {
	rows, err := s.pool.Query(ctx, `
WITH RECURSIVE chain (id, depth) AS (
    SELECT p.renews_policy_id, 1 FROM insurance_policies p WHERE p.id = $2 AND p.client_id = $1
    UNION ALL
    SELECT q.renews_policy_id, c.depth + 1
    FROM chain c JOIN insurance_policies q ON q.id = c.id AND q.client_id = $1
    WHERE c.depth < $3
)
SELECT h.id, h.policy_number, h.insurer, h.status, h.starts_on, h.ends_on, h.premium, h.currency,
       coalesce(h.terms_version, ''), h.answers
FROM chain c JOIN insurance_policies h ON h.id = c.id AND h.client_id = $1
ORDER BY c.depth`, clientID, id, policyHistoryDepth)
	if err != nil {
		return nil, fmt.Errorf("policy %d history: %w", id, err)
	}
	defer rows.Close()
	out := []PolicyHistoryEntry{}
	for rows.Next() {
		var h PolicyHistoryEntry
		var premium decimal.Decimal
		var currency string
		var answers []byte
		if err := rows.Scan(&h.ID, &h.PolicyNumber, &h.Insurer, &h.Status, &h.StartsOn.Time, &h.EndsOn.Time, &premium, &currency,
			&h.TermsVersion, &answers); err != nil {
			return nil, fmt.Errorf("policy %d history: %w", id, err)
		}
		h.Premium = ecrm.Money{Amount: premium, Currency: currency}
		if h.Answers, err = policyAnswers(answers); err != nil {
			return nil, fmt.Errorf("policy %d history: %w", h.ID, err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// policyAnswers reads an answers snapshot, in linkId order.
func policyAnswers(raw []byte) ([]PolicyAnswer, error) {
	out := []PolicyAnswer{}
	if raw == nil {
		return out, nil
	}
	var a Answers
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("answers: %w", err)
	}
	ids := make([]string, 0, len(a))
	for id := range a {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		out = append(out, PolicyAnswer{LinkID: id, Values: a[id], Text: policyAnswerText(a[id])})
	}
	return out, nil
}
