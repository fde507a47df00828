package insurance

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// Policies in the portal (issue 16, items 4 and 6): every policy of the
// client with its status, term, next premium and payment status, and one
// policy's premium schedule, terms and conditions, documents, the answers
// it was priced on and the earlier policies it renews.
//
// The payment status is derived on the day asked, from the instalments
// (premium_instalments), not stored: an instalment is paid (a payment
// settled it) or waived, or else it is unpaid and then
//   - overdue from the day after its due date,
//   - due from policyDueWindowDays before its due date to the due date
//     itself (the day it falls due is still "due", not "overdue"),
//   - scheduled before that.
// A policy is overdue when any instalment is, else due when any is, else
// paid (everything fallen due so far is paid or waived).

// Payment statuses of an instalment and of a policy.
const (
	PaymentPaid      = "paid"
	PaymentDue       = "due"
	PaymentOverdue   = "overdue"
	PaymentScheduled = "scheduled"
	PaymentWaived    = "waived"
)

// policyDueWindowDays is how long before its due date an unpaid
// instalment shows as due: the notice a client gets to pay by card or
// transfer (a month, the shortest instalment period).
const policyDueWindowDays = 30

// InstalmentPaymentStatus is an instalment's payment status on today, from
// its stored status (scheduled, paid, late, missed, waived) and due date.
// Dates are compared as calendar days.
func InstalmentPaymentStatus(stored string, dueOn, today time.Time) string {
	switch stored {
	case "paid":
		return PaymentPaid
	case "waived":
		return PaymentWaived
	}
	due, day := policyDay(dueOn), policyDay(today)
	switch {
	case due.Before(day):
		return PaymentOverdue
	case !due.After(day.AddDate(0, 0, policyDueWindowDays)):
		return PaymentDue
	}
	return PaymentScheduled
}

// PolicyPaymentStatus condenses the instalments' statuses (each from
// InstalmentPaymentStatus): overdue, else due, else paid.
func PolicyPaymentStatus(statuses []string) string {
	out := PaymentPaid
	for _, s := range statuses {
		switch s {
		case PaymentOverdue:
			return PaymentOverdue
		case PaymentDue:
			out = PaymentDue
		}
	}
	return out
}

func policyDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Premium frequencies a policy bound online may have.
const (
	FrequencySingle    = "single"
	FrequencyMonthly   = "monthly"
	FrequencyQuarterly = "quarterly"
)

// Terms of policies bound online: one month to a year (the source's
// short-term policies).
const (
	PolicyMinTermMonths = 1
	PolicyMaxTermMonths = 12
)

// ScheduledInstalment is one premium of a schedule.
type ScheduledInstalment struct {
	DueOn  time.Time       `json:"due_on"`
	Amount decimal.Decimal `json:"amount"`
}

// PremiumSchedule splits the premium for the whole term into instalments:
// one (single), one per month (monthly) or one per three months, the last
// covering what is left of the term (quarterly: a 4-month term has two).
// The first falls due on the start date, each next one the same day of
// the month (the month's last day when shorter: a policy starting on 31
// January pays on 28 or 29 February). Amounts are exact to the currency's
// minor unit: each instalment is the premium divided by their number,
// truncated to the cent, and the cents left over (fewer than the number of
// instalments) are added to the first instalment, so the instalments sum
// to the premium exactly and the later ones are equal.
func PremiumSchedule(premium ecrm.Money, frequency string, startsOn time.Time, termMonths int) ([]ScheduledInstalment, error) {
	if termMonths < PolicyMinTermMonths || termMonths > PolicyMaxTermMonths {
		return nil, ecrm.FieldErrorf("term_months", "must be between %d and %d months, got %d", PolicyMinTermMonths, PolicyMaxTermMonths, termMonths)
	}
	units, ok := ecrm.CurrencyMinorUnits(premium.Currency)
	if !ok {
		return nil, ecrm.FieldErrorf("currency", "%q is not supported", premium.Currency)
	}
	if !premium.Amount.IsPositive() || !premium.Amount.Equal(premium.Amount.Truncate(units)) {
		return nil, ecrm.FieldErrorf("premium", "must be a positive amount with at most %d decimal places, got %s", units, premium.Amount)
	}
	var n, step int
	switch frequency {
	case FrequencySingle:
		n, step = 1, 0
	case FrequencyMonthly:
		n, step = termMonths, 1
	case FrequencyQuarterly:
		n, step = (termMonths+2)/3, 3
	default:
		return nil, ecrm.FieldErrorf("frequency", "must be single, monthly or quarterly, got %q", frequency)
	}
	minor := premium.Amount.Shift(units) // an integer: checked above
	count := decimal.NewFromInt(int64(n))
	each := minor.Div(count).Truncate(0)
	first := minor.Sub(each.Mul(count)).Add(each)
	if each.IsZero() {
		return nil, ecrm.FieldErrorf("premium", "%s %s cannot be split into %d instalments", premium.Amount, premium.Currency, n)
	}
	out := make([]ScheduledInstalment, n)
	for k := range out {
		amount := each
		if k == 0 {
			amount = first
		}
		out[k] = ScheduledInstalment{DueOn: policyAddMonths(startsOn, k*step), Amount: amount.Shift(-units)}
	}
	return out, nil
}

// PolicyEndsOn is the day after the term's last day: the start date plus
// the term, clamped to the month's end like the instalments (a month from
// 31 January ends on 28 February). insurance_policies.ends_on holds it.
func PolicyEndsOn(startsOn time.Time, termMonths int) time.Time {
	return policyAddMonths(startsOn, termMonths)
}

// policyAddMonths adds months to a date, keeping the day of the month or
// the month's last day when it has fewer.
func policyAddMonths(d time.Time, months int) time.Time {
	y, m, day := d.Date()
	first := time.Date(y, m+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(day, last), 0, 0, 0, 0, time.UTC)
}

// PolicyDate is a calendar day, written as YYYY-MM-DD in JSON.
type PolicyDate struct{ time.Time }

// MarshalJSON writes the day.
func (d PolicyDate) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.Format(time.DateOnly))
}

// UnmarshalJSON reads YYYY-MM-DD.
func (d *PolicyDate) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	t, err := time.Parse(time.DateOnly, s)
	d.Time = t
	return err
}

// PolicySummary is one policy in the client's list.
type PolicySummary struct {
	ID           int64      `json:"id"`
	PolicyNumber string     `json:"policy_number"`
	Line         string     `json:"line"`
	Insurer      string     `json:"insurer"`
	Status       string     `json:"status"`
	StartsOn     PolicyDate `json:"starts_on"`
	// EndsOn is the day the cover ends (exclusive: the last covered day
	// is the day before).
	EndsOn           PolicyDate `json:"ends_on"`
	ShortTerm        bool       `json:"short_term"`
	SumInsured       ecrm.Money `json:"sum_insured"`
	Premium          ecrm.Money `json:"premium"`
	PremiumFrequency string     `json:"premium_frequency"`
	// TermPremium is the premium for the whole term, when known.
	TermPremium  *ecrm.Money `json:"term_premium"`
	TermsVersion string      `json:"terms_version,omitempty"`
	// NextPremium is the earliest unpaid instalment (overdue or not).
	NextPremium   *PolicyInstalment `json:"next_premium"`
	PaymentStatus string            `json:"payment_status"`
	// Renewable: a short-term active policy ending within the reminder
	// window, not yet renewed.
	Renewable bool `json:"renewable"`
	// RenewedBy is the policy that renewed this one, if any.
	RenewedBy *int64 `json:"renewed_by"`
	// Reminder is the renewal reminder sent for it, if any.
	Reminder *RenewalReminder `json:"renewal_reminder"`
}

// PolicyInstalment is one premium of a policy with its payments.
type PolicyInstalment struct {
	ID            int64           `json:"id"`
	DueOn         PolicyDate      `json:"due_on"`
	Amount        ecrm.Money      `json:"amount"`
	Status        string          `json:"status"`
	PaymentStatus string          `json:"payment_status"`
	Payments      []PolicyPayment `json:"payments"`
}

// PolicyPayment is a payment of an instalment.
type PolicyPayment struct {
	PaidAt time.Time  `json:"paid_at"`
	Amount ecrm.Money `json:"amount"`
	Method string     `json:"method"`
}

// RenewalReminder is the notice the renewal job gave.
type RenewalReminder struct {
	RemindedAt time.Time  `json:"reminded_at"`
	EndsOn     PolicyDate `json:"ends_on"`
	Emailed    bool       `json:"emailed"`
}

// PolicyAnswer is one answer the policy was priced on, as shown.
type PolicyAnswer struct {
	LinkID string  `json:"link_id"`
	Values []Value `json:"values"`
	// Text is the values written for a reader (codes as they are, numbers
	// and dates as stored).
	Text string `json:"text"`
}

// PolicyDetail is one policy with everything the policy page shows.
type PolicyDetail struct {
	PolicySummary
	QuoteID               *int64             `json:"quote_id"`
	JourneyID             *int64             `json:"journey_id"`
	BoundAt               *time.Time         `json:"bound_at"`
	QuestionnaireVersions map[string]string  `json:"questionnaire_versions"`
	Answers               []PolicyAnswer     `json:"answers"`
	Instalments           []PolicyInstalment `json:"instalments"`
	// History is the chain of earlier policies this one renews, newest
	// first, each with the answers it was priced on.
	History []PolicyHistoryEntry `json:"history"`
	// ClaimsURL is where a claim on this policy is reported (empty when
	// claims are not served).
	ClaimsURL string `json:"claims_url,omitempty"`
	// ScheduleURL is the policy schedule PDF.
	ScheduleURL string `json:"schedule_url"`
}

// PolicyHistoryEntry is an earlier policy of a renewal chain.
type PolicyHistoryEntry struct {
	ID           int64          `json:"id"`
	PolicyNumber string         `json:"policy_number"`
	Insurer      string         `json:"insurer"`
	Status       string         `json:"status"`
	StartsOn     PolicyDate     `json:"starts_on"`
	EndsOn       PolicyDate     `json:"ends_on"`
	Premium      ecrm.Money     `json:"premium"`
	TermsVersion string         `json:"terms_version,omitempty"`
	Answers      []PolicyAnswer `json:"answers"`
}

// policyAnswerText writes values for a reader.
func policyAnswerText(values []Value) string {
	s := ""
	for i, v := range values {
		if i > 0 {
			s += ", "
		}
		switch {
		case v.Coding != nil:
			s += v.Coding.Code
		case v.Boolean != nil:
			s += fmt.Sprint(*v.Boolean)
		case v.Decimal != nil:
			s += v.Decimal.String()
		case v.Integer != nil:
			s += fmt.Sprint(*v.Integer)
		case v.Date != "":
			s += v.Date
		case v.String != nil:
			s += *v.String
		case v.Quantity != nil:
			s += v.Quantity.Value.String() + " " + v.Quantity.Unit
		}
	}
	return s
}

// LastDay is the last day of cover (EndsOn is the first day without).
func (p PolicySummary) LastDay() time.Time { return p.EndsOn.AddDate(0, 0, -1) }

// LastDay is the last day of cover.
func (h PolicyHistoryEntry) LastDay() time.Time { return h.EndsOn.AddDate(0, 0, -1) }
