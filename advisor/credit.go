package advisor

import (
	"time"

	"github.com/ecrm-project/ecrm"
)

// PaymentStatus is how a credit line's payment for one month was made, as
// a credit bureau records it. The empty status means nothing was reported
// for that month (the line was not open, or the lender sent no record).
type PaymentStatus string

// Monthly payment statuses, from best to worst.
const (
	StatusNone       PaymentStatus = ""
	StatusOnTime     PaymentStatus = "on_time"
	StatusLate30     PaymentStatus = "late_30"
	StatusLate60     PaymentStatus = "late_60"
	StatusLate90Plus PaymentStatus = "late_90_plus"
	StatusDefault    PaymentStatus = "default"
)

// PaymentStatuses lists the reported statuses from best to worst.
var PaymentStatuses = []PaymentStatus{StatusOnTime, StatusLate30, StatusLate60, StatusLate90Plus, StatusDefault}

// Severity ranks a status: 0 for no data, 1 on time, 2 for 30 days late,
// up to 5 for default. A higher rank is worse.
func (s PaymentStatus) Severity() int {
	switch s {
	case StatusOnTime:
		return 1
	case StatusLate30:
		return 2
	case StatusLate60:
		return 3
	case StatusLate90Plus:
		return 4
	case StatusDefault:
		return 5
	}
	return 0
}

// Late reports whether the payment was 30 days or more late, or in default.
func (s PaymentStatus) Late() bool { return s.Severity() >= StatusLate30.Severity() }

// HistoryMonths is the length of the credit history window.
const HistoryMonths = 36

// MonthStatus is one month of a payment timeline.
type MonthStatus struct {
	// Month is the first day of the month, UTC.
	Month  time.Time
	Status PaymentStatus
	// AmountDue and AmountPaid are nil for a month without a record, and
	// on a client-wide timeline, which has no single amount.
	AmountDue  *ecrm.Money
	AmountPaid *ecrm.Money
}

// DelinquencySummary explains a payment timeline in a few figures. The
// windows end with the timeline's last month: the last 12 months are that
// month and the 11 before it.
type DelinquencySummary struct {
	// Worst12, Worst24 and Worst36 are the worst status reported in the
	// last 12, 24 and 36 months; StatusNone when nothing was reported.
	Worst12 PaymentStatus
	Worst24 PaymentStatus
	Worst36 PaymentStatus
	// WorstMonth is the latest month with the status Worst36, nil when
	// nothing was reported.
	WorstMonth *time.Time
	// LateMonths is the number of months in the last 36 with a status 30
	// days late or worse; ReportedMonths the number with any status.
	LateMonths     int
	ReportedMonths int
	// LastLateMonth is the latest late month, nil when none was late.
	LastLateMonth *time.Time
}

// Clean reports whether months were reported and none was late.
func (d DelinquencySummary) Clean() bool { return d.ReportedMonths > 0 && d.LateMonths == 0 }

// Summarize computes the delinquency summary of a timeline given oldest
// month first; only its last 36 months count.
func Summarize(months []MonthStatus) DelinquencySummary {
	var d DelinquencySummary
	if len(months) > HistoryMonths {
		months = months[len(months)-HistoryMonths:]
	}
	n := len(months)
	for i, m := range months {
		if m.Status == StatusNone {
			continue
		}
		age := n - 1 - i // 0 for the last month
		month := m.Month
		d.ReportedMonths++
		if m.Status.Late() {
			d.LateMonths++
			d.LastLateMonth = &month
		}
		if age < 12 && m.Status.Severity() > d.Worst12.Severity() {
			d.Worst12 = m.Status
		}
		if age < 24 && m.Status.Severity() > d.Worst24.Severity() {
			d.Worst24 = m.Status
		}
		// >= keeps the latest month of the worst status.
		if m.Status.Severity() >= d.Worst36.Severity() {
			d.Worst36 = m.Status
			d.WorstMonth = &month
		}
	}
	return d
}

// historyWindow returns the first days of the 36 months ending with the
// month of today, oldest first.
func historyWindow(today time.Time) []time.Time {
	last := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	months := make([]time.Time, HistoryMonths)
	for i := range months {
		months[i] = last.AddDate(0, i-(HistoryMonths-1), 0)
	}
	return months
}

// CreditHistory is a client's credit lines with their payment timelines,
// as shown for a stated purpose.
type CreditHistory struct {
	ClientID   int64
	GivenName  string
	FamilyName string
	Purpose    Purpose
	// From and To are the first and the last month of the window.
	From  time.Time
	To    time.Time
	Lines []CreditLineHistory
	// Months is the client-wide timeline: each month's worst status over
	// all lines. Summary summarises it, so LateMonths counts months in
	// which any line was late.
	Months  []MonthStatus
	Summary DelinquencySummary
	// Score is the internal credit score as of To, its history by month
	// and the stored score the eligibility rules read.
	Score creditScoreData
}

// Name is the client's name.
func (h CreditHistory) Name() string { return h.GivenName + " " + h.FamilyName }

// CreditLineHistory is one credit line with its 36-month timeline.
type CreditLineHistory struct {
	CreditLine
	Months  []MonthStatus
	Summary DelinquencySummary
}

// payment is one row of credit_payments.
type payment struct {
	lineID     int64
	month      time.Time
	status     PaymentStatus
	amountDue  ecrm.Money
	amountPaid ecrm.Money
}

// buildTimelines lays the payments of each line on the window, summarises
// every line and builds the client-wide timeline.
func buildTimelines(window []time.Time, lines []CreditLine, payments []payment) ([]CreditLineHistory, []MonthStatus) {
	index := make(map[time.Time]int, len(window))
	for i, m := range window {
		index[m] = i
	}
	histories := make([]CreditLineHistory, len(lines))
	byLine := make(map[int64]int, len(lines))
	for i, l := range lines {
		months := make([]MonthStatus, len(window))
		for j, m := range window {
			months[j] = MonthStatus{Month: m}
		}
		histories[i] = CreditLineHistory{CreditLine: l, Months: months}
		byLine[l.ID] = i
	}
	overall := make([]MonthStatus, len(window))
	for j, m := range window {
		overall[j] = MonthStatus{Month: m}
	}
	for _, p := range payments {
		li, ok := byLine[p.lineID]
		mi, inWindow := index[p.month]
		if !ok || !inWindow {
			continue
		}
		due, paid := p.amountDue, p.amountPaid
		histories[li].Months[mi] = MonthStatus{Month: p.month, Status: p.status, AmountDue: &due, AmountPaid: &paid}
		if p.status.Severity() > overall[mi].Status.Severity() {
			overall[mi].Status = p.status
		}
	}
	for i := range histories {
		histories[i].Summary = Summarize(histories[i].Months)
	}
	return histories, overall
}

// NewestFirst returns the timeline with the latest month first, the order
// the console lists it in.
func (h CreditLineHistory) NewestFirst() []MonthStatus {
	out := make([]MonthStatus, len(h.Months))
	for i, m := range h.Months {
		out[len(out)-1-i] = m
	}
	return out
}
