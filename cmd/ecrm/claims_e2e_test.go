package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ecrm-project/ecrm/internal/browsertest"
)

// TestClaimInABrowser: Ana reports a claim from her policy with a photo
// attached and gets its number; her advisor finds it in the claims queue
// with its deadline and asks for more information; Ana sees the new
// status and the question, and answers with the invoice, which puts the
// claim back in review. Each change is one e-mail to Ana.
func TestClaimInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	e := newTestEnv(t, nil)
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, `INSERT INTO insurance_policies (id, client_id, policy_number, insurer, line, status, starts_on, ends_on,
		sum_insured, premium, currency, premium_frequency) VALUES
		(1, 1, 'ALZ-HOM-00000001', 'Allianz-Țiriac', 'home', 'active', current_date - 100, current_date + 265, 100000, 420, 'RON', 'annual')`); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	photo, invoice := filepath.Join(dir, "kitchen.pdf"), filepath.Join(dir, "invoice.pdf")
	for _, f := range []string{photo, invoice} {
		if err := os.WriteFile(f, []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var yesterday string
	if err := e.pool.QueryRow(ctx, `SELECT to_char(current_date - 1, 'YYYY-MM-DD')`).Scan(&yesterday); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(b, "en"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.RecordCSPViolations(b); err != nil {
		t.Fatal(err)
	}
	login := func(path, subject string) {
		t.Helper()
		browsertest.Visit(t, b, e.baseURL+path, `button[value="`+subject+`"]`)
		browsertest.Follow(t, b, `button[value="`+subject+`"]`)
	}

	login("/portal", clientSubject)
	browsertest.Visit(t, b, e.baseURL+"/portal/policies/1/claims/new", "#claim-new-title")
	if err := chromedp.Do(b,
		chromedp.SendKeys(chromedp.CSS("#claim-description"), "A pipe burst under the kitchen sink."),
		chromedp.SetValue(chromedp.CSS("#claim-incident_on"), yesterday),
		chromedp.SendKeys(chromedp.CSS("#claim-place"), "Str. Lipscani 10, București"),
		chromedp.SendKeys(chromedp.CSS("#claim-amount"), "1250.50"),
		chromedp.SetUploadFiles(chromedp.CSS("#claim-attachments"), []string{photo}),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, b, "#claim-send")
	if got := browsertest.Text(t, b, "#claim-notice"); got != "Your claim has been reported. We have sent you a confirmation by e-mail." {
		t.Errorf("after reporting: %q", got)
	}
	ref := browsertest.Text(t, b, "#claim-reference")
	if !strings.HasPrefix(ref, "CLM-") || browsertest.Text(t, b, "#claim-status") != "Received" {
		t.Errorf("reference %q, status %q", ref, browsertest.Text(t, b, "#claim-status"))
	}
	if got := browsertest.Text(t, b, "#claim-files-reported"); !strings.Contains(got, "kitchen.pdf") {
		t.Errorf("files: %q", got)
	}
	browsertest.Follow(t, b, `form.logout button`)

	login("/console", advisorSubject)
	browsertest.Visit(t, b, e.baseURL+"/console/claims", "#claim-queue")
	browsertest.Follow(t, b, `#claim-queue a[href="/console/claims/`+ref+`"]`)
	if err := chromedp.Do(b,
		chromedp.SetValue(chromedp.CSS("#claim-to"), "more_info_needed"),
		chromedp.SendKeys(chromedp.CSS("#claim-message"), "Please send the plumber's invoice."),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, b, "#claim-decide-send")
	if got := browsertest.Text(t, b, "#claim-notice"); got != "The claim's status has changed; the client is told by e-mail." {
		t.Errorf("after moving: %q", got)
	}
	if _, err := browsertest.SaveScreenshot(b, "claim-console"); err != nil {
		t.Log(err)
	}
	browsertest.Follow(t, b, `form.logout button`)

	login("/portal", clientSubject)
	browsertest.Visit(t, b, e.baseURL+"/portal/claims", "#claim-list")
	browsertest.Follow(t, b, `#claim-list a[href="/portal/claims/`+ref+`"]`)
	if got := browsertest.Text(t, b, "#claim-status"); got != "More information needed" {
		t.Errorf("status seen by the client: %q", got)
	}
	if got := browsertest.Text(t, b, "#claim-thread"); !strings.Contains(got, "Please send the plumber's invoice.") || !strings.Contains(got, "Maria Ionescu") {
		t.Errorf("the client's thread: %q", got)
	}
	if err := chromedp.Do(b,
		chromedp.SendKeys(chromedp.CSS("#claim-body"), "Here is the invoice."),
		chromedp.SetUploadFiles(chromedp.CSS("#claim-attachments"), []string{invoice}),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, b, "#claim-write-send")
	if got := browsertest.Text(t, b, "#claim-status"); got != "In review" {
		t.Errorf("after answering: %q", got)
	}
	if got := browsertest.Text(t, b, "#claim-thread"); !strings.Contains(got, "invoice.pdf") {
		t.Errorf("the answer's file: %q", got)
	}
	if v := browsertest.CSPViolations(t, b); len(v) > 0 {
		t.Errorf("CSP violations: %v", v)
	}
	var mails int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM outbox_messages WHERE client_id = 1 AND subject LIKE '%'||$1||'%'`, ref).Scan(&mails); err != nil || mails != 3 {
		t.Errorf("%d e-mails to Ana about %s, want 3 (received, more information, in review), %v", mails, ref, err)
	}
	if _, err := browsertest.SaveScreenshot(b, "claim"); err != nil {
		t.Log(err)
	}
}
