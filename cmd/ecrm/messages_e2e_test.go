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

// TestMessageThreadInABrowser: the client writes to her advisor from the
// portal with a file attached, the advisor finds it in her requests with
// the client beside it and answers, and the client — told on her overview
// — reads the answer in the thread; the e-mails are in the outbox.
func TestMessageThreadInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	e := newTestEnv(t, nil)
	ctx := context.Background()
	scan := filepath.Join(t.TempDir(), "bilet avion.pdf")
	if err := os.WriteFile(scan, []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"), 0o600); err != nil {
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
	browsertest.Visit(t, b, e.baseURL+"/portal/messages", "#requests-title")
	browsertest.Follow(t, b, "#request-new")
	if err := chromedp.Do(b, chromedp.SetValue(chromedp.CSS("#request-kind"), "question")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b,
		chromedp.SendKeys(chromedp.CSS("#request-subject"), "Card abroad"),
		chromedp.SendKeys(chromedp.CSS("#request-body"), "Will my card work in Canada next month?"),
		chromedp.SetUploadFiles(chromedp.CSS("#request-attachments"), []string{scan}),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, b, "#request-send")
	if got := browsertest.Text(t, b, "#request-notice"); got != "Your message has been sent." {
		t.Errorf("after sending: %q", got)
	}
	if got := browsertest.Text(t, b, "#thread"); !strings.Contains(got, "Will my card work in Canada next month?") || !strings.Contains(got, "bilet avion.pdf") {
		t.Errorf("the thread: %q", got)
	}
	browsertest.Follow(t, b, `form.logout button`)

	login("/console", advisorSubject)
	browsertest.Visit(t, b, e.baseURL+"/console", "#requests-notice")
	browsertest.Follow(t, b, "#requests-notice a")
	browsertest.Follow(t, b, `#request-list a[href^="/console/requests/"]`)
	if got := browsertest.Text(t, b, "#request-client-heading"); got != "The client: Ana Popescu" {
		t.Errorf("beside the thread: %q", got)
	}
	if err := chromedp.Do(b, chromedp.SendKeys(chromedp.CSS("#request-body"), "Yes, it works in Canada; I raised your limit for the trip.")); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, b, "#answer-send")
	if got := browsertest.Text(t, b, "#request-notice"); got != "The answer has been sent; the client is told by e-mail." {
		t.Errorf("after answering: %q", got)
	}
	browsertest.Follow(t, b, `form.logout button`)

	login("/portal", clientSubject)
	browsertest.Visit(t, b, e.baseURL+"/portal", "#replies-notice")
	if got := browsertest.Text(t, b, "#replies-notice"); got != "1 new answer to your messages" {
		t.Errorf("overview notice: %q", got)
	}
	browsertest.Follow(t, b, "#replies-notice a")
	browsertest.Follow(t, b, `#request-list a[href^="/portal/messages/"]`)
	if got := browsertest.Text(t, b, "#thread"); !strings.Contains(got, "Yes, it works in Canada; I raised your limit for the trip.") {
		t.Errorf("the client's thread: %q", got)
	}
	if got := browsertest.Text(t, b, "#request-status"); got != "Answered" {
		t.Errorf("status: %q", got)
	}
	if v := browsertest.CSPViolations(t, b); len(v) > 0 {
		t.Errorf("CSP violations: %v", v)
	}
	var toAdvisor, toClient int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE staff_id IS NOT NULL), count(*) FILTER (WHERE client_id IS NOT NULL AND staff_id IS NULL)
		FROM outbox_messages WHERE subject LIKE '%SR-%'`).Scan(&toAdvisor, &toClient); err != nil || toAdvisor != 1 || toClient != 1 {
		t.Errorf("e-mails: %d to the advisor, %d to the client, %v", toAdvisor, toClient, err)
	}
	if _, err := browsertest.SaveScreenshot(b, "message-thread"); err != nil {
		t.Log(err)
	}
}
