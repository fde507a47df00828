package insurance

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm/internal/browsertest"
	"github.com/ecrm-project/ecrm/internal/web"
)

// TestMyPoliciesInBrowser: Ana opens her policies in headless Chromium,
// under the production CSP and cross-origin protection: the home policy
// overdue since September, the trip paid and ending soon; she opens the
// trip, reads its schedule, terms, answers and history, then, in
// Romanian, renews it with one click and lands on the renewal journey.
func TestMyPoliciesInBrowser(t *testing.T) {
	pool := policyFixture(t)
	renewals := &fakeRenewals{}
	srv := httptest.NewServer(web.SecurityHeaders(false)(http.NewCrossOriginProtection().Handler(policyServer(t, pool, anaPrincipal(), renewals))))
	t.Cleanup(srv.Close)

	ctx := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(ctx, "en-GB,en;q=0.9"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.RecordCSPViolations(ctx); err != nil {
		t.Fatal(err)
	}
	check := func(want map[string]string) {
		t.Helper()
		for selector, text := range want {
			if got := browsertest.Text(t, ctx, selector); got != text {
				t.Errorf("text of %s = %q, want %q", selector, got, text)
			}
		}
	}
	browsertest.Visit(t, ctx, srv.URL+"/portal/policies", "#policies-table")
	check(map[string]string{
		"#policies-title":             "My policies",
		"#policy-103 .policy-payment": "Overdue",
		"#policy-103 .policy-next":    "RON\u00a0100.00 due on 10 Sep 2026",
		"#policy-103 .policy-sum":     "RON\u00a0400,000.00",
		"#policy-102 .policy-payment": "Paid",
		"#policy-102 .policy-next":    "Nothing more to pay",
		"#policy-102 .policy-term":    "20 Nov 2026 to 19 Dec 2026",
		"#policy-102 .policy-insurer": "Allianz-Țiriac",
		"#policy-101 .policy-status":  "expired",
	})
	if status := browsertest.Follow(t, ctx, "#policy-102 a"); status != http.StatusOK {
		t.Fatalf("policy page: %d", status)
	}
	check(map[string]string{
		"#policy-terms":                         "TRV-2026.2",
		"#policy-payment":                       "Paid",
		"#instalment-1021 .instalment-payments": "RON\u00a0120.00 on 18 Nov 2026 by card",
		"#answer-travel\\.destination":          "europe",
		"#answer-health\\.smoker":               "No",
		"#renewal-text":                         "This policy ends on 19 Dec 2026. Renew it with your last answers filled in: only what has changed needs your attention.",
		"#claim-link":                           "Report a claim",
	})
	if !strings.HasPrefix(browsertest.Text(t, ctx, "#history-101"), "ALZ-TRV-00000101") {
		t.Errorf("history: %q", browsertest.Text(t, ctx, "#history-101"))
	}
	if v := browsertest.CSPViolations(t, ctx); len(v) != 0 {
		t.Errorf("CSP violations: %q", v)
	}

	if err := browsertest.SetAcceptLanguage(ctx, "ro-RO,ro;q=0.9"); err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, ctx, srv.URL+"/portal/policies/102", "#renew-button")
	check(map[string]string{
		"#policy-title": "Asigurare de călătorie — ALZ-TRV-00000102",
		"#renew-button": "Reînnoiește",
		"#policy-sum":   "50.000,00\u00a0lei",
	})
	// The journey page is not served here: the redirect's target is.
	browsertest.Follow(t, ctx, "#renew-button")
	if strings.Join(renewals.calls, " ") != "1/102/7" {
		t.Errorf("renewals started: %v", renewals.calls)
	}
	if body := browsertest.Text(t, ctx, "body"); strings.Contains(body, "%!") {
		t.Errorf("a broken message: %s", body)
	}
}
