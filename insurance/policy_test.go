package insurance

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

func policyDate(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// scheduleString writes a schedule as "due amount; ..." for exact
// comparison.
func scheduleString(list []ScheduledInstalment) string {
	parts := make([]string, len(list))
	for i, in := range list {
		parts[i] = in.DueOn.Format(time.DateOnly) + " " + in.Amount.StringFixed(2)
	}
	return strings.Join(parts, "; ")
}

// TestPremiumSchedule: single, monthly and quarterly schedules to the
// cent, the remainder cents on the first instalment, month ends kept.
func TestPremiumSchedule(t *testing.T) {
	for _, c := range []struct {
		premium, frequency, starts string
		months                     int
		want                       string
	}{
		{"24.00", FrequencySingle, "2026-12-10", 1, "2026-12-10 24.00"},
		{"1000.00", FrequencySingle, "2026-12-10", 12, "2026-12-10 1000.00"},
		{"100.00", FrequencyMonthly, "2026-12-10", 3, "2026-12-10 33.34; 2027-01-10 33.33; 2027-02-10 33.33"},
		{"100.00", FrequencyMonthly, "2026-12-10", 1, "2026-12-10 100.00"},
		// 1000.00 / 12 = 83.333…: eleven of 83.33 and 83.37 first
		// (4 cents left over).
		{"1000.00", FrequencyMonthly, "2026-01-15", 12, "2026-01-15 83.37; 2026-02-15 83.33; 2026-03-15 83.33; 2026-04-15 83.33; 2026-05-15 83.33; 2026-06-15 83.33; " +
			"2026-07-15 83.33; 2026-08-15 83.33; 2026-09-15 83.33; 2026-10-15 83.33; 2026-11-15 83.33; 2026-12-15 83.33"},
		{"1000.00", FrequencyQuarterly, "2026-12-10", 12, "2026-12-10 250.00; 2027-03-10 250.00; 2027-06-10 250.00; 2027-09-10 250.00"},
		// Seven months quarterly: three instalments, the last for the
		// seventh month.
		{"1000.00", FrequencyQuarterly, "2026-12-10", 7, "2026-12-10 333.34; 2027-03-10 333.33; 2027-06-10 333.33"},
		{"50.01", FrequencyQuarterly, "2026-12-10", 4, "2026-12-10 25.01; 2027-03-10 25.00"},
		{"0.05", FrequencyMonthly, "2026-12-10", 2, "2026-12-10 0.03; 2027-01-10 0.02"},
		// A policy starting on 31 January pays on the months' last days.
		{"90.00", FrequencyMonthly, "2027-01-31", 3, "2027-01-31 30.00; 2027-02-28 30.00; 2027-03-31 30.00"},
		{"90.00", FrequencyMonthly, "2028-01-31", 2, "2028-01-31 45.00; 2028-02-29 45.00"},
	} {
		got, err := PremiumSchedule(ecrm.MustMoney(c.premium, "RON"), c.frequency, policyDate(c.starts), c.months)
		if err != nil {
			t.Errorf("%s %s over %d months: %v", c.premium, c.frequency, c.months, err)
			continue
		}
		if s := scheduleString(got); s != c.want {
			t.Errorf("%s %s over %d months from %s:\n got %s\nwant %s", c.premium, c.frequency, c.months, c.starts, s, c.want)
		}
	}
}

func TestPremiumScheduleRefusesBadInput(t *testing.T) {
	for _, c := range []struct {
		premium   ecrm.Money
		frequency string
		months    int
		field     string
	}{
		{ecrm.MustMoney("100.00", "RON"), FrequencyMonthly, 0, "term_months"},
		{ecrm.MustMoney("100.00", "RON"), FrequencyMonthly, 13, "term_months"},
		{ecrm.MustMoney("100.00", "RON"), "weekly", 3, "frequency"},
		{ecrm.MustMoney("0.00", "RON"), FrequencySingle, 3, "premium"},
		{ecrm.Money{Amount: ecrm.MustMoney("1.00", "RON").Amount.Div(ecrm.MustMoney("3", "RON").Amount), Currency: "RON"}, FrequencySingle, 3, "premium"},
		{ecrm.MustMoney("0.02", "RON"), FrequencyMonthly, 3, "premium"},
		{ecrm.Money{Amount: ecrm.MustMoney("1.00", "RON").Amount, Currency: "XXX"}, FrequencySingle, 3, "currency"},
	} {
		_, err := PremiumSchedule(c.premium, c.frequency, policyDate("2026-12-10"), c.months)
		var e *ecrm.Error
		if !errors.As(err, &e) || e.Field != c.field {
			t.Errorf("%s %s %d months: error %v, want one naming %s", c.premium, c.frequency, c.months, err, c.field)
		}
	}
}

// TestInstalmentPaymentStatus: the boundaries of due and overdue.
func TestInstalmentPaymentStatus(t *testing.T) {
	today := policyDate("2026-12-06")
	for _, c := range []struct {
		stored, due, want string
	}{
		{"scheduled", "2026-12-05", PaymentOverdue}, // the day after the due date
		{"scheduled", "2026-12-06", PaymentDue},     // the due date itself
		{"scheduled", "2027-01-05", PaymentDue},     // 30 days ahead
		{"scheduled", "2027-01-06", PaymentScheduled},
		{"late", "2026-11-06", PaymentOverdue},
		{"missed", "2026-06-06", PaymentOverdue},
		{"paid", "2026-11-06", PaymentPaid},
		{"paid", "2027-03-06", PaymentPaid}, // paid in advance
		{"waived", "2026-11-06", PaymentWaived},
	} {
		if got := InstalmentPaymentStatus(c.stored, policyDate(c.due), today); got != c.want {
			t.Errorf("%s due %s on %s = %s, want %s", c.stored, c.due, today.Format(time.DateOnly), got, c.want)
		}
	}
	// A time late in the evening is still its own day.
	if got := InstalmentPaymentStatus("scheduled", policyDate("2026-12-06"), today.Add(23*time.Hour+59*time.Minute)); got != PaymentDue {
		t.Errorf("due today, late evening = %s", got)
	}
	for _, c := range []struct {
		statuses []string
		want     string
	}{
		{nil, PaymentPaid},
		{[]string{PaymentPaid, PaymentScheduled}, PaymentPaid},
		{[]string{PaymentPaid, PaymentWaived}, PaymentPaid},
		{[]string{PaymentPaid, PaymentDue, PaymentScheduled}, PaymentDue},
		{[]string{PaymentOverdue, PaymentDue}, PaymentOverdue},
		{[]string{PaymentPaid, PaymentOverdue, PaymentScheduled}, PaymentOverdue},
	} {
		if got := PolicyPaymentStatus(c.statuses); got != c.want {
			t.Errorf("policy of %v = %s, want %s", c.statuses, got, c.want)
		}
	}
}

// TestPolicyAnswersAsRead: the answers a policy was priced on are listed
// in the order their questions are asked (unknown ones after, by linkId)
// and read in the reader's language: a date, a decimal and an integer as
// English and Romanian write them, a choice by its option's text.
func TestPolicyAnswersAsRead(t *testing.T) {
	list := []PolicyAnswer{
		{LinkID: "applicant.birth_date", Values: []Value{{Date: "1990-04-12"}}},
		{LinkID: "needs.budget_monthly", Values: []Value{decimalValue("1250.50")}},
		{LinkID: "travel.days", Values: []Value{integer(30)}},
		{LinkID: "zz.unknown", Values: []Value{coding("x")}},
		{LinkID: "travel.destination", Values: []Value{coding("europe")}},
	}
	order := map[string]int{"travel.destination": 0, "travel.days": 1, "applicant.birth_date": 2, "needs.budget_monthly": 3}
	var ids []string
	for _, a := range sortPolicyAnswers(list, order) {
		ids = append(ids, a.LinkID)
	}
	if got := strings.Join(ids, " "); got != "travel.destination travel.days applicant.birth_date needs.budget_monthly zz.unknown" {
		t.Errorf("order: %s", got)
	}
	destination := &Item{LinkID: "travel.destination", Text: "Where are you going?", Type: "choice",
		Options: []Value{{Coding: &Coding{Code: "europe", Display: "Europe outside the EU"}}}}
	for _, c := range []struct {
		lang    language.Tag
		a       PolicyAnswer
		it      *Item
		q, text string
	}{
		{i18n.English, list[0], nil, "applicant.birth_date", "12 Apr 1990"},
		{i18n.Romanian, list[0], nil, "applicant.birth_date", "12 apr. 1990"},
		{i18n.English, list[1], nil, "needs.budget_monthly", "1,250.50"},
		{i18n.Romanian, list[1], nil, "needs.budget_monthly", "1.250,50"},
		{i18n.English, list[2], nil, "travel.days", "30"},
		{i18n.English, list[4], destination, "Where are you going?", "Europe outside the EU"},
	} {
		q, text := policyAnswerLabel(c.a, c.it, i18n.NewLocalizer(c.lang))
		if q != c.q || text != c.text {
			t.Errorf("%s %s: %q %q, want %q %q", c.lang, c.a.LinkID, q, text, c.q, c.text)
		}
	}
}
