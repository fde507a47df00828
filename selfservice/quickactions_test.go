package selfservice

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

var testNow = time.Date(2026, time.November, 26, 10, 0, 0, 0, time.UTC)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 8, 0, 0, 0, time.UTC) }

func ago(d time.Duration) time.Time { return testNow.Add(-d) }

const dayLength = 24 * time.Hour

func ron(amount string) Money { return newMoney(decimal.RequireFromString(amount), "RON") }

// summary writes an action as one line, for readable diffs.
// use sums events as the overview query does.
func use(events []portalEvent) *portalUse {
	u := newPortalUse(testNow)
	for _, e := range events {
		u.add([]byte(e.Action), []byte(e.Target), e.At)
	}
	return u
}

func summary(a QuickAction) string {
	s := fmt.Sprintf("%s | %s | %s | %s", a.Kind, a.Label, a.Reason, a.Href)
	if a.Frequency != "" {
		s += " | " + a.Frequency
	}
	return s + fmt.Sprintf(" | %d", a.Occurrences)
}

func TestRankQuickActions(t *testing.T) {
	accounts := []Account{
		{ID: 11, Kind: "current", Name: ecrm.Text{EN: "Cont curent", RO: "Cont curent"}},
		{ID: 12, Kind: "savings", Name: ecrm.Text{EN: "Economii", RO: "Economii"}},
		{ID: 13, Kind: "card", Name: ecrm.Text{EN: "Visa Classic", RO: "Visa Classic"}},
	}
	patterns := []paymentPattern{
		// Monthly rent, last paid 25 days ago: 12 × 1.5 × 2^(-25/60) ≈ 13.48.
		{Class: "payment", AccountID: 11, AccountName: ecrm.Text{EN: "Cont curent", RO: "Cont curent"}, AccountKind: "current", Counterparty: "Landlord SRL",
			Count: 12, Months: 12, First: day(2025, 12, 1), Last: day(2026, 11, 1), LastAmount: ron("2000.00")},
		// Irregular transfers, five in a year: ≈ 4.67, plus two recent
		// looks at the payee page (≈ 1.95) = ≈ 6.62.
		{Class: "payment", AccountID: 11, AccountName: ecrm.Text{EN: "Cont curent", RO: "Cont curent"}, AccountKind: "current", Counterparty: "Ion Popescu",
			Count: 5, Months: 5, First: day(2026, 2, 10), Last: day(2026, 11, 20), LastAmount: ron("300.00")},
		// Monthly direct debit, weighs half: ≈ 7.93.
		{Class: "direct_debit", AccountID: 11, AccountName: ecrm.Text{EN: "Cont curent", RO: "Cont curent"}, AccountKind: "current", Counterparty: "Enel Energie",
			Count: 12, Months: 12, First: day(2025, 12, 15), Last: day(2026, 11, 15), LastAmount: ron("92.10")},
		// Monthly card top-up booked on the card account: ≈ 4.71.
		{Class: "card_top_up", AccountID: 13, AccountName: ecrm.Text{EN: "Visa Classic", RO: "Visa Classic"}, AccountKind: "card", Counterparty: "",
			Count: 4, Months: 4, First: day(2026, 8, 5), Last: day(2026, 11, 5), LastAmount: ron("500.00")},
		// A single payment is not a habit.
		{Class: "payment", AccountID: 11, AccountName: ecrm.Text{EN: "Cont curent", RO: "Cont curent"}, AccountKind: "current", Counterparty: "Dacia Service",
			Count: 1, Months: 1, First: day(2026, 10, 2), Last: day(2026, 10, 2), LastAmount: ron("1450.00")},
	}
	events := []portalEvent{
		{ActionAccountView, "12", ago(1 * dayLength)},
		{ActionAccountView, "12", ago(2 * dayLength)},
		{ActionAccountView, "12", ago(3 * dayLength)}, // ≈ 2.87
		{ActionCalculatorOpen, "loan", ago(10 * dayLength)},
		{ActionCalculatorOpen, "loan", ago(10 * dayLength)},
		{ActionCalculatorOpen, "loan", ago(10 * dayLength)},
		{ActionCalculatorOpen, "loan", ago(10 * dayLength)}, // ≈ 3.17
		{ActionPayeeView, "11:Ion Popescu", ago(1 * dayLength)},
		{ActionPayeeView, "11:Ion Popescu", ago(1 * dayLength)},
		{ActionProfileView, "", ago(100 * dayLength)},
		{ActionProfileView, "", ago(100 * dayLength)}, // ≈ 0.20: seventh, cut
		{ActionDataExport, "", ago(1 * dayLength)},    // once only
		{ActionAccountView, "99", ago(1 * dayLength)}, // not among the accounts
		{ActionAccountView, "99", ago(1 * dayLength)},
		{ActionCalculatorOpen, "pension", ago(1 * dayLength)}, // no such calculator
		{ActionCalculatorOpen, "pension", ago(1 * dayLength)},
		{"offer.view", "7", ago(1 * dayLength)}, // suggests nothing (yet)
		{"offer.view", "7", ago(1 * dayLength)},
		{ActionConsentChange, "marketing.email", ago(200 * dayLength)}, // outside the window
		{ActionConsentChange, "marketing.email", ago(200 * dayLength)},
	}
	want := []string{
		"pay_payee | Pay Landlord SRL | You pay this every month | /portal/accounts/11?counterparty=Landlord+SRL | monthly | 12",
		"review_direct_debit | Direct debit to Enel Energie | Collected every month | /portal/accounts/11?counterparty=Enel+Energie | monthly | 12",
		"pay_payee | Pay Ion Popescu | Payments in the last 12 months: 5 | /portal/accounts/11?counterparty=Ion+Popescu | 7",
		"top_up_card | Top up Visa Classic | You top this up every month | /portal/accounts/13 | monthly | 4",
		"open_calculator | Loan calculator | Opened in the last 6 months: 4 | /portal/calculators/loan | 4",
		"open_account | Open Economii | Opened in the last 6 months: 3 | /portal/accounts/12 | 3",
	}
	got := rankQuickActions(testNow, accounts, patterns, use(events), i18n.NewLocalizer(i18n.English))
	var lines []string
	for _, a := range got {
		lines = append(lines, summary(a))
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("quick actions mismatch\ngot:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if got[0].LastAmount == nil || got[0].LastAmount.String() != "2000.00 RON" || got[0].Payee != "Landlord SRL" || got[0].AccountID != 11 {
		t.Errorf("first action data = %+v", got[0])
	}

	// Romanian labels and reasons come from the same catalogue.
	ro := rankQuickActions(testNow, accounts, patterns, use(events), i18n.NewLocalizer(i18n.Romanian))
	if ro[0].Label != "Plătiți către Landlord SRL" || ro[0].Reason != "Plătiți lunar" {
		t.Errorf("Romanian first action = %q / %q", ro[0].Label, ro[0].Reason)
	}
}

func TestRankQuickActionsBreaksTiesStably(t *testing.T) {
	// Equal scores: kind order first (payments before accounts), then key.
	accounts := []Account{{ID: 2, Name: ecrm.Text{EN: "B", RO: "B"}}, {ID: 1, Name: ecrm.Text{EN: "A", RO: "A"}}}
	at := ago(dayLength)
	events := []portalEvent{
		{ActionAccountView, "2", at}, {ActionAccountView, "2", at},
		{ActionProfileView, "", at}, {ActionProfileView, "", at},
		{ActionAccountView, "1", at}, {ActionAccountView, "1", at},
	}
	// Two payments, the last two days ago, score 2 × 2^(-2/60): exactly
	// the score of two visits a day ago, 2 × 2^(-1/30).
	patterns := []paymentPattern{{Class: "payment", AccountID: 1, Counterparty: "Z", Count: 2, Months: 2,
		First: ago(40 * dayLength), Last: ago(2 * dayLength), LastAmount: ron("1.00")}}

	for i := 0; i < 5; i++ {
		got := rankQuickActions(testNow, accounts, patterns, use(events), i18n.NewLocalizer(i18n.English))
		var order []string
		for _, a := range got {
			order = append(order, a.key)
		}
		want := "payment:1:Z account:1 account:2 profile"
		if strings.Join(order, " ") != want {
			t.Fatalf("order = %q, want %q", strings.Join(order, " "), want)
		}
		// A different input order gives the same output.
		events[0], events[4] = events[4], events[0]
		accounts[0], accounts[1] = accounts[1], accounts[0]
	}
}

func TestRankQuickActionsWithoutHistory(t *testing.T) {
	got := rankQuickActions(testNow, nil, nil, nil, i18n.NewLocalizer(i18n.English))
	if got == nil || len(got) != 0 {
		t.Errorf("no history: got %#v, want an empty list", got)
	}
}

func TestPaymentFrequency(t *testing.T) {
	monthly := func(n int) paymentPattern {
		return paymentPattern{Count: n, Months: n, First: day(2026, 1, 1), Last: day(2026, time.Month(n), 1)}
	}
	tests := []struct {
		name string
		p    paymentPattern
		want string
	}{
		{"monthly", monthly(12), FrequencyMonthly},
		{"two payments are too few", monthly(2), ""},
		{"weekly", paymentPattern{Count: 10, Months: 3, First: day(2026, 9, 1), Last: day(2026, 9, 1).AddDate(0, 0, 63)}, FrequencyWeekly},
		{"quarterly", paymentPattern{Count: 4, Months: 4, First: day(2026, 1, 15), Last: day(2026, 10, 15)}, FrequencyQuarterly},
		{"bursts are not monthly", paymentPattern{Count: 12, Months: 2, First: day(2026, 1, 1), Last: day(2026, 12, 1)}, ""},
		{"irregular", paymentPattern{Count: 5, Months: 5, First: day(2026, 2, 10), Last: day(2026, 11, 20)}, ""},
	}
	for _, tt := range tests {
		if got := tt.p.frequency(); got != tt.want {
			t.Errorf("%s: frequency() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestPaymentGrouper(t *testing.T) {
	bucharest, err := time.LoadLocation("Europe/Bucharest")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	g := newPaymentGrouper(bucharest)
	payments := []recentPayment{
		// Newest first, as the query returns them.
		{Kind: "standing_order", AccountID: 11, Counterparty: "Landlord SRL", BookedAt: time.Date(2026, 10, 31, 22, 30, 0, 0, time.UTC), ID: 7, Cents: -200000, Currency: "RON"},
		// Same instant, lower id: not the latest.
		{Kind: "transfer_out", AccountID: 11, Counterparty: "Landlord SRL", BookedAt: time.Date(2026, 10, 31, 22, 30, 0, 0, time.UTC), ID: 5, Cents: -199999, Currency: "RON"},
		{Kind: "transfer_out", AccountID: 11, Counterparty: "Landlord SRL", BookedAt: time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC), ID: 4, Cents: -200000, Currency: "RON"},
		{Kind: "direct_debit", AccountID: 11, Counterparty: "Landlord SRL", BookedAt: time.Date(2026, 9, 15, 8, 0, 0, 0, time.UTC), ID: 3, Cents: -5000, Currency: "RON"},
		{Kind: "card_top_up", AccountID: 13, Counterparty: "", BookedAt: time.Date(2026, 9, 5, 8, 0, 0, 0, time.UTC), ID: 2, Cents: 50000, Currency: "RON"},
		{Kind: "transfer_out", AccountID: 15, Counterparty: "Old", BookedAt: time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC), ID: 1, Cents: -100, Currency: "RON"},
	}
	for _, p := range payments {
		g.addPayment(p)
	}
	accounts := []Account{
		{ID: 11, Kind: "current", Name: ecrm.Text{EN: "Cont curent", RO: "Cont curent"}, Status: "open"},
		{ID: 13, Kind: "card", Name: ecrm.Text{EN: "Visa", RO: "Visa"}, Status: "open"},
		{ID: 15, Kind: "current", Name: ecrm.Text{EN: "Blocat", RO: "Blocat"}, Status: "blocked"},
	}
	var got []string
	for _, p := range g.patterns(accounts) {
		got = append(got, fmt.Sprintf("%s %d %q %s/%s n=%d months=%d first=%s last=%s %s",
			p.Class, p.AccountID, p.Counterparty, p.AccountName.EN, p.AccountKind, p.Count, p.Months,
			p.First.Format(time.DateOnly), p.Last.Format(time.DateOnly), p.LastAmount))
	}
	want := []string{
		// 31 Oct 22:30 UTC is 1 Nov in Bucharest: two months, not one.
		`payment 11 "Landlord SRL" Cont curent/current n=3 months=2 first=2026-10-01 last=2026-10-31 2000.00 RON`,
		`direct_debit 11 "Landlord SRL" Cont curent/current n=1 months=1 first=2026-09-15 last=2026-09-15 50.00 RON`,
		`card_top_up 13 "" Visa/card n=1 months=1 first=2026-09-05 last=2026-09-05 500.00 RON`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("patterns mismatch\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestNextDueDate(t *testing.T) {
	d := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	for _, tt := range []struct{ opened, today, want string }{
		{"2018-03-14", "2026-12-06", "2026-12-14"}, // the mortgage is debited on the 14th
		{"2018-03-14", "2026-12-14", "2026-12-14"}, // due today
		{"2018-03-14", "2026-12-15", "2027-01-14"},
		{"2020-01-31", "2027-02-10", "2027-02-28"}, // a shorter month: its last day
		{"2020-01-31", "2028-02-10", "2028-02-29"},
		{"2020-01-31", "2027-03-01", "2027-03-31"},
	} {
		if got := nextDueDate(d(tt.opened), d(tt.today)).Format(time.DateOnly); got != tt.want {
			t.Errorf("opened %s, today %s: due %s, want %s", tt.opened, tt.today, got, tt.want)
		}
	}
}

// TestQuickActionsNeverSuggestAPaymentToHerself: monthly transfers to the
// client's own name (her account at another bank), in either order and
// any case, are no payee to suggest; a payee of her family name is.
func TestQuickActionsNeverSuggestAPaymentToHerself(t *testing.T) {
	pool := newFixture(t)
	if _, err := pool.Exec(context.Background(), `
		INSERT INTO account_transactions (account_id, client_id, booked_at, value_date, amount, currency, kind, counterparty_name, description, channel)
		SELECT 11, 1, d, d::date, -1000.00, 'RON', 'standing_order', name, 'Economii', 'web'
		FROM generate_series(timestamptz '2025-12-03 08:00Z', timestamptz '2026-11-03 08:00Z', interval '1 month') d,
		     (VALUES ('Ana Popescu'), ('POPESCU ANA')) n(name)`); err != nil {
		t.Fatal(err)
	}
	o, err := NewService(pool).Overview(context.Background(), ana)
	if err != nil {
		t.Fatal(err)
	}
	var payees []string
	for _, a := range o.QuickActions {
		payees = append(payees, a.Payee)
	}
	if slices.ContainsFunc(payees, func(p string) bool { return strings.EqualFold(p, "Ana Popescu") || strings.EqualFold(p, "Popescu Ana") }) ||
		!slices.Contains(payees, "Ion Popescu") {
		t.Errorf("payees suggested: %q; want none of her own name, Ion Popescu still", payees)
	}
}
