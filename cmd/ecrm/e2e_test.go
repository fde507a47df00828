package main

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/browsertest"
)

// TestPortalInABrowser walks the "done when" as a person would, in
// headless Chromium: log in through the OpenID provider as the client, see
// the overview, change the income, withdraw marketing e-mail consent, log
// out; then log in as the advisor and see only the book.
func TestPortalInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	e := newTestEnv(t, nil)
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, `
		INSERT INTO accounts (client_id, kind, iban, name, currency, balance, opened_on)
		VALUES (1, 'current', 'RO49AAAA1B31007593840000', 'Cont curent', 'EUR', 1234.50, '2020-01-15');
		INSERT INTO consents (client_id, purpose, channel, granted, wording_version, source, recorded_at)
		VALUES (1, 'marketing', 'email', true, '2026-11', 'paper', now() - interval '1 year');`); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(b, "en"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.RecordCSPViolations(b); err != nil {
		t.Fatal(err)
	}

	browsertest.Visit(t, b, e.baseURL+"/", `a[href="/login"]`)
	browsertest.Follow(t, b, `a.button[href="/login"]`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`button[value="`+clientSubject+`"]`)); err != nil {
		t.Fatalf("the provider's login page did not show the demo client: %v", err)
	}
	browsertest.Follow(t, b, `button[value="`+clientSubject+`"]`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`#overview-title`)); err != nil {
		t.Fatalf("no overview after login: %v", err)
	}
	var accountID int64
	e.pool.QueryRow(ctx, `SELECT id FROM accounts WHERE client_id = 1`).Scan(&accountID)
	if got := browsertest.Text(t, b, "#accounts-title + * , #accounts-title ~ *"); !strings.Contains(got, "€1,234.50") {
		t.Errorf("overview accounts = %q, want the balance €1,234.50", got)
	}
	if v := browsertest.CSPViolations(t, b); len(v) > 0 {
		t.Errorf("CSP violations on the overview: %v", v)
	}

	// On a 375 px phone the navigation folds behind the menu button.
	if err := chromedp.Do(b, chromedp.EmulateViewport(375, 812)); err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, b, e.baseURL+"/portal", "#overview-title")
	if err := chromedp.Do(b, chromedp.WaitVisible(`button.menu-button`)); err != nil {
		t.Fatalf("no menu button at 375 px: %v", err)
	}
	if err := chromedp.Do(b, chromedp.WaitNotVisible(`#primary-nav`)); err != nil {
		t.Errorf("the navigation is not folded at 375 px: %v", err)
	}
	if err := chromedp.Do(b, chromedp.Click(`button.menu-button`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b, chromedp.WaitVisible(`#primary-nav a[href="/portal/offers"]`)); err != nil {
		t.Errorf("the menu does not open: %v", err)
	}
	if err := chromedp.Do(b, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}

	// The account's own page: the whole IBAN in groups of four, and a
	// copy button once the page's script has run.
	browsertest.Visit(t, b, e.baseURL+"/portal/accounts/"+strconv.FormatInt(accountID, 10), "#account-iban")
	if got := browsertest.Text(t, b, "#account-iban"); got != "RO49 AAAA 1B31 0075 9384 0000" {
		t.Errorf("IBAN = %q", got)
	}
	if err := chromedp.Do(b, chromedp.WaitVisible(`button.copy[data-copy="RO49AAAA1B31007593840000"]`)); err != nil {
		t.Errorf("no copy button: %v", err)
	}
	if v := browsertest.CSPViolations(t, b); len(v) > 0 {
		t.Errorf("CSP violations on the account page: %v", v)
	}

	// Change the income.
	browsertest.Visit(t, b, e.baseURL+"/portal/profile", "#profile-save")
	if err := chromedp.Do(b,
		chromedp.SetValue(`#profile-annual_income-amount`, "72000.00"),
		chromedp.SetValue(`#profile-annual_income-currency`, "RON"),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, b, "#profile-save")
	if err := chromedp.Do(b, chromedp.WaitVisible(`#profile-saved`)); err != nil {
		t.Fatalf("no confirmation after saving the profile: %v", err)
	}
	var income decimal.Decimal
	var currency string
	e.pool.QueryRow(ctx, `SELECT annual_income, income_currency FROM clients WHERE id = 1`).Scan(&income, &currency)
	if income.String() != "72000" || currency != "RON" {
		t.Fatalf("income stored = %s %s, want 72000 RON", income, currency)
	}

	// Withdraw marketing e-mail consent with one click.
	browsertest.Follow(t, b, `#consent-marketing-email form button`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`#consent-saved`)); err != nil {
		t.Fatalf("no confirmation after withdrawing consent: %v", err)
	}
	var granted bool
	e.pool.QueryRow(ctx, `SELECT granted FROM consents WHERE client_id = 1 AND purpose = 'marketing' AND channel = 'email' ORDER BY recorded_at DESC, id DESC LIMIT 1`).Scan(&granted)
	if granted {
		t.Fatal("marketing e-mail consent still granted")
	}

	// Log out: back on the public home page, and the portal asks for a login.
	browsertest.Follow(t, b, `form.logout button`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`a.button[href="/login"]`)); err != nil {
		t.Fatalf("not back on the home page after logout: %v", err)
	}
	var sessions int
	e.pool.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE data IS NOT NULL AND position('principal'::bytea in data) > 0`).Scan(&sessions)
	if sessions != 0 {
		t.Fatalf("%d logged-in sessions left after logout", sessions)
	}
	browsertest.Visit(t, b, e.baseURL+"/portal", `button[value="`+clientSubject+`"]`)

	// The advisor sees her book only.
	browsertest.Follow(t, b, `button[value="`+advisorSubject+`"]`)
	browsertest.Visit(t, b, e.baseURL+"/console/clients", "table")
	book := browsertest.Text(t, b, "table")
	if !strings.Contains(book, "Popescu") || strings.Contains(book, "Popa") {
		t.Fatalf("advisor's client list = %q, want Ana Popescu only", book)
	}
}
