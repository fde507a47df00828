package insurance

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/browsertest"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// browserServer serves the journey to Radu, a prospect, with the static
// assets (app.js) under the production CSP and cross-origin protection.
func browserServer(t testing.TB, j *Journeys, sel ProgrammeSelector) string {
	t.Helper()
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Method(http.MethodGet, page.StaticPrefix+"*", pages.StaticHandler())
	r.Group(func(r chi.Router) {
		r.Use(i18n.Middleware, func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				p := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: 3, Name: "Radu Marin", Prospect: true}
				next.ServeHTTP(w, req.WithContext(ecrm.WithPrincipal(req.Context(), p)))
			})
		})
		NewJourneyHandler(j, pages, sel).Routes(r)
	})
	srv := httptest.NewServer(web.SecurityHeaders(false)(http.NewCrossOriginProtection().Handler(r)))
	t.Cleanup(srv.Close)
	return srv.URL
}

func isChecked(t *testing.T, ctx context.Context, selector string) bool {
	t.Helper()
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS(selector)))
	if err != nil {
		t.Fatalf("checked of %s: %v", selector, err)
	}
	return strings.Contains(html, " checked")
}

func present(t *testing.T, ctx context.Context, selector string) bool {
	t.Helper()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(selector), chromedp.AtLeast(0)))
	if err != nil {
		t.Fatalf("nodes %s: %v", selector, err)
	}
	return len(nodes) > 0
}

// TestJourneyInBrowserWithScript: with JavaScript on, Radu's answers show
// and hide questions without a reload (a dependant brings the children
// question; advice brings the contact question), he leaves in the middle
// of the needs section and resumes where he was with his answers, and his
// travel-only needs lead to the lifestyle and travel sections, never to
// motor. No CSP violation.
func TestJourneyInBrowserWithScript(t *testing.T) {
	_, j := journeyFixture(t)
	base := browserServer(t, j, lineSelector{})
	ctx := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(ctx, "en-GB,en;q=0.9"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.RecordCSPViolations(ctx); err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, ctx, base+"/portal/insurance", "#journey-start")
	browsertest.Follow(t, ctx, "#journey-start")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#q-applicant-birth_date"))); err != nil {
		t.Fatal(err)
	}
	// A marker on the window: a full reload would lose it.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.journeyMarker = true`)); err != nil {
		t.Fatal(err)
	}
	if present(t, ctx, "#q-applicant-children_under_18") {
		t.Fatal("the children question shows before any dependant")
	}
	if visible, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById("section-update").hidden`)); visible {
		t.Error("the update button shows with the script on")
	}
	// settled waits until the live region is not waiting for an answer.
	settled := chromedp.WaitVisible(chromedp.CSS("#journey-live:not([aria-busy])"))
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#q-applicant-birth_date"), "1990-05-05"), settled,
		chromedp.SendKeys(chromedp.CSS("#q-applicant-dependants"), "1"+kb.Tab), settled,
		chromedp.WaitVisible(chromedp.CSS("#q-applicant-children_under_18")),
	); err != nil {
		t.Fatalf("the children question after a dependant: %v", err)
	}
	if kept, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.journeyMarker === true`)); !kept {
		t.Error("the page reloaded")
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#q-applicant-household_size"), "3"), settled,
		chromedp.SetValue(chromedp.CSS("#q-applicant-region"), "vest"), settled,
		chromedp.Click(chromedp.CSS("#q-applicant-employment-0")), settled,
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, ctx, "#section-submit")
	if got := browsertest.Text(t, ctx, "#section-title"); got != "Demands and needs" {
		t.Fatalf("after the applicant section: %q", got)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#q-needs-protect-4")), settled, // travel
	); err != nil {
		t.Fatal(err)
	}
	// The panel follows the answers.
	if got := browsertest.Text(t, ctx, "#panel-candidates"); !strings.Contains(got, "Travel Basic — Test Insurer") {
		t.Errorf("panel after travel: %q", got)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#q-needs-advice-true")),
		chromedp.WaitVisible(chromedp.CSS("#q-needs-contact_channel")), settled,
		chromedp.Click(chromedp.CSS("#q-needs-advice-false")),
		chromedp.WaitNotPresent(chromedp.CSS("#q-needs-contact_channel")), settled,
	); err != nil {
		t.Fatalf("advice shows and hides the contact question: %v", err)
	}
	// He leaves, and resumes from the start page.
	browsertest.Visit(t, ctx, base+"/portal/insurance", "#journeys-table")
	browsertest.Follow(t, ctx, "#journeys-table a")
	if got := browsertest.Text(t, ctx, "#section-title"); got != "Demands and needs" {
		t.Fatalf("resumed at %q", got)
	}
	if !isChecked(t, ctx, "#q-needs-protect-4") || !isChecked(t, ctx, "#q-needs-advice-false") {
		t.Error("the needs answers were not kept")
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#q-needs-budget_monthly"), "150"), settled,
		chromedp.Click(chromedp.CSS("#q-needs-priority-0")), settled,
		chromedp.Click(chromedp.CSS("#q-needs-deductible-1")), settled,
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, ctx, "#section-submit")
	if got := browsertest.Text(t, ctx, "#section-title"); got != "Lifestyle and occupation" {
		t.Fatalf("after needs: %q", got)
	}
	steps := browsertest.Text(t, ctx, "#journey-steps")
	if !strings.Contains(steps, "Travel") || strings.Contains(steps, "Motor") || strings.Contains(steps, "Home") {
		t.Errorf("steps for travel only: %q", steps)
	}
	if v := browsertest.CSPViolations(t, ctx); len(v) != 0 {
		t.Errorf("CSP violations: %q", v)
	}
}

// TestJourneyInBrowserWithoutScript: with JavaScript off, the update
// button shows the questions that apply, a submit with a question left
// out names it at the question, and the journey resumes where it was.
func TestJourneyInBrowserWithoutScript(t *testing.T) {
	_, j := journeyFixture(t)
	base := browserServer(t, j, nil)
	ctx := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(ctx, "ro-RO,ro;q=0.9"); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, ctx, base+"/portal/insurance", "#journey-start")
	browsertest.Follow(t, ctx, "#journey-start")
	if got := browsertest.Text(t, ctx, "#section-title"); got != "Solicitant și gospodărie" {
		t.Fatalf("first section: %q", got)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#q-applicant-birth_date"), "1990-05-05"),
		chromedp.SetValue(chromedp.CSS("#q-applicant-dependants"), "2"),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, ctx, "#section-update")
	if !present(t, ctx, "#q-applicant-children_under_18") {
		t.Fatal("the update did not show the children question")
	}
	if got := browsertest.Text(t, ctx, "#section-saved"); got != "Răspunsurile sunt salvate." {
		t.Errorf("saved: %q", got)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#q-applicant-household_size"), "3"),
		chromedp.Click(chromedp.CSS("#q-applicant-employment-1")),
	); err != nil {
		t.Fatal(err)
	}
	if status := browsertest.Follow(t, ctx, "#section-submit"); status != http.StatusUnprocessableEntity {
		t.Errorf("submit without the region: %d", status)
	}
	if got := browsertest.Text(t, ctx, "#q-applicant-region-error"); got != "Răspundeți la această întrebare." {
		t.Errorf("at the region: %q", got)
	}
	if got := browsertest.Text(t, ctx, "#error-summary a"); got != "Regiunea: Răspundeți la această întrebare." {
		t.Errorf("summary: %q", got)
	}
	// He leaves and comes back: his answers are there.
	browsertest.Visit(t, ctx, base+"/portal/insurance", "#journeys-table")
	browsertest.Follow(t, ctx, "#journeys-table a")
	if v, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#q-applicant-household_size"), "value")); v.Value != "3" {
		t.Errorf("household kept as %q", v.Value)
	}
	if !isChecked(t, ctx, "#q-applicant-employment-1") {
		t.Error("employment not kept")
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#q-applicant-region"), "nord-est"),
		chromedp.SetValue(chromedp.CSS("#q-applicant-children_under_18"), "1")); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, ctx, "#section-submit")
	if got := browsertest.Text(t, ctx, "#section-title"); got != "Cerințe și nevoi" {
		t.Fatalf("after the applicant section: %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#q-needs-protect-3")), // motor
		chromedp.SetValue(chromedp.CSS("#q-needs-budget_monthly"), "200,50"),
		chromedp.Click(chromedp.CSS("#q-needs-priority-1")),
		chromedp.Click(chromedp.CSS("#q-needs-deductible-0"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, ctx, "#section-submit")
	if got := browsertest.Text(t, ctx, "#section-title"); got != "Auto" {
		t.Fatalf("motor needs lead to %q", got)
	}
}
