package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ecrm-project/ecrm/internal/browsertest"
	"github.com/ecrm-project/ecrm/products"
)

// TestAdminEditsTheCatalogueInABrowser: the administrator creates a
// product in the form, is shown every mistake at its field at once, edits
// the product into a new version, tries its rules on a client and
// withdraws it, without typing any JSON; the product then appears, in
// Romanian too, where clients match products.
func TestAdminEditsTheCatalogueInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	e := newTestEnv(t, nil)
	e.withDemoPeople()
	ctx := context.Background()
	if err := products.LoadDemoCatalogue(ctx, e.pool); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(b, "en"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.RecordCSPViolations(b); err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, b, e.baseURL+"/console/products", `button[value="demo-admin-elena"]`)
	browsertest.Follow(t, b, `button[value="demo-admin-elena"]`)
	browsertest.Visit(t, b, e.baseURL+"/console/products", "#new-product-link")
	browsertest.Follow(t, b, "#new-product-link")

	// A first try with mistakes: no Romanian name, a fee with letters, a
	// rule that does not compile.
	fill := func(values map[string]string) {
		t.Helper()
		for id, v := range values {
			action := chromedp.SetValue(chromedp.CSS("#"+id), v)
			if v == "" {
				action = chromedp.Clear(chromedp.CSS("#" + id))
			}
			if err := chromedp.Do(b, action); err != nil {
				t.Fatalf("set %s: %v", id, err)
			}
		}
	}
	fill(map[string]string{
		"f-code": "SAV-RON-KIDS", "f-name-en": "Children's savings account RON", "f-line": "banking", "f-kind": "savings_account",
		"f-provider": "ecrm Bank", "f-currency": "RON", "f-definition-monthly_fee": "two lei",
		"f-definition-rate_tiers-0-min_amount": "0", "f-definition-rate_tiers-0-rate": "3.5",
		"f-rules-0-id": "adult", "f-rules-0-expression": "client.age >=", "f-rules-0-reason-en": "Opened by a parent of 18 or more",
		"f-rules-0-reason-ro": "Se deschide de un părinte de cel puțin 18 ani",
	})
	if err := chromedp.Do(b, chromedp.Click(chromedp.CSS(`#f-definition-target_market-objectives-preservation`))); err != nil {
		t.Fatal(err)
	}
	if status := browsertest.Follow(t, b, "#product-save"); status != 422 {
		t.Errorf("first try: status %d, want 422", status)
	}
	summary := browsertest.Text(t, b, "#error-summary")
	for _, want := range []string{"Enter the name in Romanian", "Enter an amount of 0 or more", "This condition cannot be used: line 1, column 14"} {
		if !strings.Contains(summary, want) {
			t.Errorf("error summary %q lacks %q", summary, want)
		}
	}
	if got := browsertest.Text(t, b, "#f-name-ro-error"); got != "Enter the name in Romanian, at most 200 characters." {
		t.Errorf("error at the Romanian name: %q", got)
	}

	fill(map[string]string{"f-name-ro": "Cont de economii pentru copii RON", "f-definition-monthly_fee": "",
		"f-rules-0-expression": "client.age >= 18"})
	browsertest.Follow(t, b, "#product-save")
	if got := browsertest.Text(t, b, "#product-saved"); got != "Saved as version 1." {
		t.Errorf("after create: %q", got)
	}
	if got := browsertest.Text(t, b, "#product-title"); got != "Children's savings account RON (SAV-RON-KIDS)" {
		t.Errorf("title %q", got)
	}

	// Edit: a better rate from 10,000 RON is a second tier; saving makes
	// version 2 and keeps version 1.
	fill(map[string]string{"f-definition-rate_tiers-1-min_amount": "10,000", "f-definition-rate_tiers-1-rate": "4.1"})
	browsertest.Follow(t, b, "#product-save")
	if got := browsertest.Text(t, b, "#product-saved"); got != "Saved as version 2." {
		t.Errorf("after edit: %q", got)
	}
	p, err := products.NewStore(e.pool).ProductByCode(ctx, "SAV-RON-KIDS")
	if err != nil {
		t.Fatal(err)
	}
	if p.Version.Version != 2 || len(p.Definition.RateTiers) != 2 || p.Definition.RateTiers[1].MinAmount.String() != "10000" ||
		p.Definition.RateTiers[1].Rate.String() != "0.041" || p.Name.RO != "Cont de economii pentru copii RON" {
		t.Errorf("stored %+v", p)
	}

	// Try the rules on Ana (an adult): eligible.
	if _, err := e.pool.Exec(ctx, `UPDATE clients SET birth_date = '1985-04-12' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	fill(map[string]string{"preview-client": "1"})
	browsertest.Follow(t, b, "#preview-run")
	if got := browsertest.Text(t, b, "#preview-result"); !strings.Contains(got, "Client 1 would be offered this product") {
		t.Errorf("preview %q", got)
	}

	// Withdraw it with a reason.
	fill(map[string]string{"status-reason": "Launch postponed"})
	browsertest.Follow(t, b, "#status-submit")
	if got := browsertest.Text(t, b, "#product-status-changed"); !strings.Contains(got, "withdrawn from sale") {
		t.Errorf("after withdrawal: %q", got)
	}
	if got := browsertest.Text(t, b, "#product-status"); !strings.Contains(got, "Launch postponed") || !strings.Contains(got, "Put back on sale") {
		t.Errorf("status section %q", got)
	}
	if v := browsertest.CSPViolations(t, b); len(v) > 0 {
		t.Errorf("CSP violations: %v", v)
	}
	if _, err := browsertest.SaveScreenshot(b, "catalogue-editor"); err != nil {
		t.Log(err)
	}
}
