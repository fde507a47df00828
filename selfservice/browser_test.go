package selfservice

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/browsertest"
	"github.com/ecrm-project/ecrm/internal/web"
)

// signedInAs stands in for the login in the browser: every request is
// made as the client.
func signedInAs(clientID int64, name string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: clientID, Name: name}
			next.ServeHTTP(w, r.WithContext(ecrm.WithPrincipal(r.Context(), p)))
		})
	}
}

// TestPortalInBrowser opens the overview in headless Chromium, then fills
// in the profile form wrongly and rightly, under the production CSP and
// cross-origin protection.
func TestPortalInBrowser(t *testing.T) {
	pool := newFixture(t)
	h := newTestHandler(t, pool)
	site := web.SecurityHeaders(false)(http.NewCrossOriginProtection().Handler(newRouter(h, signedInAs(ana, "Ana Popescu"))))
	srv := httptest.NewServer(site)
	t.Cleanup(srv.Close)

	ctx := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(ctx, "en-GB,en;q=0.9"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.RecordCSPViolations(ctx); err != nil {
		t.Fatal(err)
	}

	browsertest.Visit(t, ctx, srv.URL+"/portal", "#overview-title")
	for selector, want := range map[string]string{
		"#overview-title":                 "My overview",
		"#account-12 .balance":            "€2,500.00",
		"#portfolio-EUR .portfolio-value": "€1,810.99",
		".quick-action:first-child a":     "Pay Landlord SRL",
		"#policy-31 .payment-status":      "Late",
	} {
		if got := browsertest.Text(t, ctx, selector); got != want {
			t.Errorf("text of %s = %q, want %q", selector, got, want)
		}
	}
	if v := browsertest.CSPViolations(t, ctx); len(v) != 0 {
		t.Errorf("CSP violations on /portal: %q", v)
	}

	// An invalid e-mail: the message is at the field, the rest is kept.
	browsertest.Visit(t, ctx, srv.URL+"/portal/profile", "#profile-email")
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#profile-email"), "not-an-email"),
		chromedp.SetValue(chromedp.CSS("#profile-city"), "Cluj-Napoca"),
		chromedp.SetValue(chromedp.CSS("#profile-annual_income-amount"), "65000.50"),
		chromedp.SetValue(chromedp.CSS("#profile-annual_income-currency"), "EUR"),
	); err != nil {
		t.Fatal(err)
	}
	if status := browsertest.Follow(t, ctx, "#profile-save"); status != http.StatusUnprocessableEntity {
		t.Errorf("submitting a bad e-mail: status %d, want 422", status)
	}
	if got := browsertest.Text(t, ctx, "#profile-email-error"); got != "Enter an e-mail address such as name@example.com." {
		t.Errorf("message at the e-mail field = %q", got)
	}
	city, amount, currency := value(t, ctx, "#profile-city"), value(t, ctx, "#profile-annual_income-amount"), value(t, ctx, "#profile-annual_income-currency")
	describedBy, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#profile-email"), "aria-describedby"))
	if err != nil {
		t.Fatal(err)
	}
	if city != "Cluj-Napoca" || amount != "65000.50" || currency != "EUR" || describedBy.Value != "profile-email-error" {
		t.Errorf("after the refused submission: city %q, amount %q, currency %q, aria-describedby %q", city, amount, currency, describedBy.Value)
	}

	// Corrected, the income change is saved.
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#profile-email"), "ana@example.com")); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, ctx, "#profile-save")
	if got := browsertest.Text(t, ctx, "#profile-saved"); got != "Your changes were saved." {
		t.Errorf("confirmation = %q", got)
	}
	amount, currency = value(t, ctx, "#profile-annual_income-amount"), value(t, ctx, "#profile-annual_income-currency")
	// Shown again as the page writes amounts.
	if amount != "65,000.50" || currency != "EUR" {
		t.Errorf("saved income shown as %q %q", amount, currency)
	}
	if v := browsertest.CSPViolations(t, ctx); len(v) != 0 {
		t.Errorf("CSP violations on /portal/profile: %q", v)
	}
	var income string
	if err := pool.QueryRow(context.Background(), `SELECT annual_income::text || ' ' || income_currency FROM clients WHERE id = 1`).Scan(&income); err != nil || income != "65000.50 EUR" {
		t.Errorf("stored income = %q, %v", income, err)
	}
	var changes []string
	rows, _ := pool.Query(context.Background(), `SELECT field || ': ' || coalesce(old_value, '') || ' → ' || coalesce(new_value, '') FROM profile_changes WHERE client_id = 1 ORDER BY id`)
	for rows.Next() {
		var s string
		rows.Scan(&s)
		changes = append(changes, s)
	}
	if len(changes) != 2 || changes[0] != "city: București → Cluj-Napoca" || changes[1] != "annual_income: 60000.00 RON → 65000.50 EUR" {
		t.Errorf("profile_changes = %q", changes)
	}
}

// value returns the value of the form control matching the CSS selector.
func value(t *testing.T, ctx context.Context, selector string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(selector)))
	if err != nil {
		t.Fatalf("value of %s: %v", selector, err)
	}
	return v
}
