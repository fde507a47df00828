package advisor

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/risk"
)

// timelineOf builds a timeline from one letter per month, oldest first,
// ending in November 2026: "." nothing reported, "o" on time, "3", "6",
// "9" 30, 60 and 90+ days late, "d" default.
func timelineOf(t *testing.T, s string) []MonthStatus {
	t.Helper()
	last := time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)
	months := make([]MonthStatus, len(s))
	for i, c := range s {
		st := map[rune]PaymentStatus{'.': StatusNone, 'o': StatusOnTime, '3': StatusLate30, '6': StatusLate60,
			'9': StatusLate90Plus, 'd': StatusDefault}[c]
		if st == "" && c != '.' {
			t.Fatalf("bad timeline letter %q", c)
		}
		months[i] = MonthStatus{Month: last.AddDate(0, i-(len(s)-1), 0), Status: st}
	}
	return months
}

func month(y int, m time.Month) *time.Time {
	t := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	return &t
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name     string
		timeline string // 36 letters: December 2023 ... November 2026
		want     DelinquencySummary
	}{
		{
			name:     "nothing reported",
			timeline: strings.Repeat(".", 36),
			want:     DelinquencySummary{},
		},
		{
			name:     "always on time",
			timeline: strings.Repeat("o", 36),
			want: DelinquencySummary{Worst12: StatusOnTime, Worst24: StatusOnTime, Worst36: StatusOnTime,
				WorstMonth: month(2026, time.November), ReportedMonths: 36},
		},
		{
			// 90+ days late 13 months ago (October 2025) is outside the
			// last 12 months; 30 days late 2 months ago is inside.
			name:     "old serious, recent mild",
			timeline: strings.Repeat("o", 22) + "9" + strings.Repeat("o", 10) + "3oo",
			want: DelinquencySummary{Worst12: StatusLate30, Worst24: StatusLate90Plus, Worst36: StatusLate90Plus,
				WorstMonth: month(2025, time.October), LateMonths: 2, ReportedMonths: 36, LastLateMonth: month(2026, time.September)},
		},
		{
			// The 12-month window starts in December 2025 (11 months
			// before the last): a late payment there counts, one in
			// November 2025 does not.
			name:     "12-month boundary",
			timeline: strings.Repeat("o", 23) + "63" + strings.Repeat("o", 11),
			want: DelinquencySummary{Worst12: StatusLate30, Worst24: StatusLate60, Worst36: StatusLate60,
				WorstMonth: month(2025, time.November), LateMonths: 2, ReportedMonths: 36, LastLateMonth: month(2025, time.December)},
		},
		{
			// The 24-month window starts in December 2024.
			name:     "24-month boundary",
			timeline: strings.Repeat("o", 11) + "d6" + strings.Repeat("o", 23),
			want: DelinquencySummary{Worst12: StatusOnTime, Worst24: StatusLate60, Worst36: StatusDefault,
				WorstMonth: month(2024, time.November), LateMonths: 2, ReportedMonths: 36, LastLateMonth: month(2024, time.December)},
		},
		{
			// Two defaults: the worst month is the later one.
			name:     "latest of the worst",
			timeline: "d" + strings.Repeat("o", 5) + "d" + strings.Repeat("o", 29),
			want: DelinquencySummary{Worst12: StatusOnTime, Worst24: StatusOnTime, Worst36: StatusDefault,
				WorstMonth: month(2024, time.June), LateMonths: 2, ReportedMonths: 36, LastLateMonth: month(2024, time.June)},
		},
		{
			name:     "short history",
			timeline: strings.Repeat(".", 30) + "oo36o6",
			want: DelinquencySummary{Worst12: StatusLate60, Worst24: StatusLate60, Worst36: StatusLate60,
				WorstMonth: month(2026, time.November), LateMonths: 3, ReportedMonths: 6, LastLateMonth: month(2026, time.November)},
		},
		{
			// Only the last 36 months of a longer timeline count.
			name:     "longer timeline",
			timeline: "dddd" + strings.Repeat("o", 36),
			want: DelinquencySummary{Worst12: StatusOnTime, Worst24: StatusOnTime, Worst36: StatusOnTime,
				WorstMonth: month(2026, time.November), ReportedMonths: 36},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Summarize(timelineOf(t, tt.timeline))
			if !equalSummary(got, tt.want) {
				t.Errorf("Summarize(%s)\n got %s\nwant %s", tt.timeline, formatSummary(got), formatSummary(tt.want))
			}
		})
	}
}

func equalSummary(a, b DelinquencySummary) bool {
	eq := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	return a.Worst12 == b.Worst12 && a.Worst24 == b.Worst24 && a.Worst36 == b.Worst36 && eq(a.WorstMonth, b.WorstMonth) &&
		a.LateMonths == b.LateMonths && a.ReportedMonths == b.ReportedMonths && eq(a.LastLateMonth, b.LastLateMonth)
}

func formatSummary(d DelinquencySummary) string {
	m := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.Format("2006-01")
	}
	return "worst " + string(d.Worst12) + "/" + string(d.Worst24) + "/" + string(d.Worst36) + " in " + m(d.WorstMonth) +
		", late " + strings.Repeat("|", d.LateMonths) + " of " + strings.Repeat("|", d.ReportedMonths) + ", last late " + m(d.LastLateMonth)
}

func TestPaymentStatusOrder(t *testing.T) {
	for i, s := range PaymentStatuses {
		if s.Severity() != i+1 {
			t.Errorf("%s severity %d, want %d", s, s.Severity(), i+1)
		}
		if s.Late() != (s != StatusOnTime) {
			t.Errorf("%s.Late() = %v", s, s.Late())
		}
	}
	if StatusNone.Severity() != 0 || StatusNone.Late() || PaymentStatus("bogus").Severity() != 0 {
		t.Error("no data ranks above nothing")
	}
}

func TestHistoryWindow(t *testing.T) {
	w := historyWindow(time.Date(2026, time.March, 31, 0, 0, 0, 0, time.UTC))
	if len(w) != 36 || !w[0].Equal(*month(2023, time.April)) || !w[35].Equal(*month(2026, time.March)) {
		t.Errorf("window %s..%s (%d months)", w[0], w[35], len(w))
	}
}

func TestBuildTimelines(t *testing.T) {
	window := historyWindow(time.Date(2026, time.November, 15, 0, 0, 0, 0, time.UTC))
	lines := []CreditLine{{ID: 1}, {ID: 2}}
	ron := func(s string) ecrm.Money { return ecrm.MustMoney(s, "RON") }
	payments := []payment{
		{lineID: 1, month: *month(2023, time.November), status: StatusDefault, amountDue: ron("1"), amountPaid: ron("0")}, // before the window
		{lineID: 1, month: *month(2026, time.October), status: StatusLate30, amountDue: ron("10"), amountPaid: ron("5")},
		{lineID: 2, month: *month(2026, time.October), status: StatusLate90Plus, amountDue: ron("20"), amountPaid: ron("0")},
		{lineID: 2, month: *month(2026, time.November), status: StatusOnTime, amountDue: ron("20"), amountPaid: ron("20")},
		{lineID: 3, month: *month(2026, time.November), status: StatusDefault, amountDue: ron("1"), amountPaid: ron("0")}, // no such line
	}
	histories, overall := buildTimelines(window, lines, payments)
	statuses := func(ms []MonthStatus) []PaymentStatus {
		var out []PaymentStatus
		for _, m := range ms[34:] {
			out = append(out, m.Status)
		}
		return out
	}
	if got := statuses(histories[0].Months); !slices.Equal(got, []PaymentStatus{StatusLate30, StatusNone}) {
		t.Errorf("line 1 = %v", got)
	}
	if got := statuses(overall); !slices.Equal(got, []PaymentStatus{StatusLate90Plus, StatusOnTime}) {
		t.Errorf("overall = %v", got)
	}
	if histories[0].Months[0].Status != StatusNone || histories[0].Summary.ReportedMonths != 1 {
		t.Errorf("a payment before the window counted: %+v", histories[0].Summary)
	}
	if m := histories[0].Months[34]; m.AmountPaid.String() != "5.00 RON" || m.AmountDue.String() != "10.00 RON" {
		t.Errorf("line 1 October amounts %v / %v", m.AmountDue, m.AmountPaid)
	}
	if overall[34].AmountDue != nil {
		t.Error("the client-wide timeline carries an amount")
	}
	if newest := histories[1].NewestFirst(); !newest[0].Month.Equal(*month(2026, time.November)) || newest[0].Status != StatusOnTime {
		t.Errorf("NewestFirst()[0] = %+v", newest[0])
	}
}

// TestCreditScoreOnTheCreditHistory: the page shows the internal score as
// of November 2026 (the fixture's clock) with its factors, its history by
// month as a chart and a table, and the score the eligibility rules read;
// the JSON API gives the same. Maria (101), worked out by hand from the
// fixture: 2 lines; her mortgage is on time every month of the window
// Nov 2024–Nov 2026 but 30 days late in Feb 2025 (24 on time, 1 late);
// her card since June 2026 was on time 3 times, 30 days late once and 60
// days late twice. 680 + 27×3 − 2×20 − 2×45 = 631.
//
//	Dec 2024: mortgage only, Dec 2022–Dec 2024: default Nov 2023, 60 days
//	          late Mar 2024, 12 on time: 680 + 36 − 150 − 45 = 521
//	Nov 2025: Nov 2023–Nov 2025: the default, 60 and 30 days late, 22 on
//	          time: 680 + 66 − 150 − 45 − 20 = 531
//	Dec 2025: the default is out: 680 + 69 − 45 − 20 = 684
//	Oct 2026: 27 on time, 30 days late twice, 60 days once: 676
func TestCreditScoreOnTheCreditHistory(t *testing.T) {
	f := newFixture(t)
	path := "/console/clients/101/credit-history?purpose=account_review"
	body := f.do(t, request{path: path, as: asAdvisorA}).Body.String()
	for _, want := range []string{
		`<p id="credit-score"><strong class="score">631</strong>`,
		`27 payments on time (3 points each, at most 120)</th><td class="numeric">+81</td>`,
		`2 payments 30 days late</th><td class="numeric">-40</td>`,
		`2 payments 60 days late</th><td class="numeric">-90</td>`,
		`Scorecard: scorecard-v1`,
		`No stored score: the client has no credit file`,
		`role="img" aria-label="Internal credit score at the end of each month"`,
		`<th scope="row">Dec 2024</th><td class="numeric">521</td>`,
		`<th scope="row">Nov 2025</th><td class="numeric">531</td>`,
		`<th scope="row">Dec 2025</th><td class="numeric">684</td>`,
		`<th scope="row">Oct 2026</th><td class="numeric">676</td>`,
		`<th scope="row">Nov 2026</th><td class="numeric">631</td>`,
		`role="img" aria-label="Payments month by month: lines paid on time and late"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if n := strings.Count(body, `<tr><th scope="row">`); n < 24 {
		t.Errorf("%d rows", n)
	}
	// Once risk stored the score, the page says what eligibility reads.
	if err := risk.RefreshScores(t.Context(), f.pool, testNow, 101); err != nil {
		t.Fatal(err)
	}
	body = f.do(t, request{path: path, as: asAdvisorA, acceptLanguage: "ro"}).Body.String()
	if want := `Regulile de eligibilitate citesc scorul stocat: 631 (scorecard-v1, la nov. 2026).`; !strings.Contains(body, want) {
		t.Errorf("the Romanian page lacks %s", want)
	}

	w := f.do(t, request{path: "/api/v1/clients/101/credit-history?purpose=account_review", as: asAdvisorA})
	var got struct {
		Score struct {
			Value   int    `json:"value"`
			Version string `json:"version"`
			AsOf    string `json:"as_of"`
			Factors []struct {
				Factor string `json:"factor"`
				Count  int    `json:"count"`
				Points int    `json:"points"`
			} `json:"factors"`
			History []struct {
				Month string `json:"month"`
				Score int    `json:"score"`
			} `json:"history"`
			Stored *struct {
				Value int    `json:"value"`
				AsOf  string `json:"as_of"`
			} `json:"stored"`
		} `json:"score"`
	}
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &got) != nil {
		t.Fatalf("API: %d %s", w.Code, w.Body)
	}
	s := got.Score
	factors := fmt.Sprint(s.Factors)
	if s.Value != 631 || s.Version != "scorecard-v1" || s.AsOf != "2026-11" || len(s.History) != 24 ||
		s.History[0].Month != "2024-12" || s.History[0].Score != 521 || s.History[23].Month != "2026-11" || s.History[23].Score != 631 ||
		factors != "[{base 0 680} {on_time 27 81} {late_30 2 -40} {late_60 2 -90}]" || s.Stored == nil || s.Stored.Value != 631 || s.Stored.AsOf != "2026-11" {
		t.Errorf("API score: %+v (factors %s)", s, factors)
	}
}
