package insurance

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ecrm-project/ecrm/internal/browsertest"
)

// TestChoiceInBrowser: in headless Chromium, under the production CSP and
// without any script, Ana sees her travel programmes ranked with the
// premium broken down, the EU-only programme declined with its reason,
// chooses the Carpathia 30-day programme, reads the quote with its Buy
// button (posting to the bind route) and the demands-and-needs statement,
// in English and in Romanian.
func TestChoiceInBrowser(t *testing.T) {
	e := newQuoteEnv(t)
	h := choiceServer(t, e)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("X-Test-Client", itoa(e.ana))
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	ctx := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(ctx, "en-GB,en;q=0.9"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.RecordCSPViolations(ctx); err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, ctx, srv.URL+"/portal/insurance/journeys/7/choice", "#choice-title")
	carp := browsertest.Text(t, ctx, "#programme-PRG-TRAVEL-CARP-EU30")
	for _, want := range []string{"Travel Carpathia Europe, 30 days", "185.40", "for 1 month", "within your budget"} {
		if !strings.Contains(strings.ReplaceAll(carp, "\u00a0", " "), want) {
			t.Errorf("carpathia's card lacks %q:\n%s", want, carp)
		}
	}
	if got := browsertest.Text(t, ctx, "#programme-PRG-TRAVEL-DELTA-EU30"); !strings.Contains(got, "Does not cover this destination") {
		t.Errorf("declined: %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#programme-PRG-TRAVEL-CARP-EU30 details summary"))); err != nil {
		t.Fatal(err)
	}
	if got := browsertest.Text(t, ctx, "#programme-PRG-TRAVEL-CARP-EU30 .breakdown"); !strings.Contains(got, "Travellers (2) × 2") ||
		!strings.Contains(got, "Activities (winter sports) + RON") {
		t.Errorf("breakdown: %q", got)
	}
	if path, err := browsertest.SaveScreenshot(ctx, t.Name()+"-choice"); err == nil {
		t.Logf("screenshot: %s", path)
	}
	if status := browsertest.Follow(t, ctx, "#choose-PRG-TRAVEL-CARP-EU30"); status != http.StatusOK {
		t.Fatalf("choose: %d", status)
	}
	if got := strings.ReplaceAll(browsertest.Text(t, ctx, "#quote-premium"), "\u00a0", " "); got != "RON 185.40" {
		t.Errorf("quote premium %q", got)
	}
	action, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#buy").form.getAttribute("action")`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(action, "/portal/insurance/quotes/") || !strings.HasSuffix(action, "/bind") {
		t.Errorf("buy posts to %q", action)
	}
	browsertest.Follow(t, ctx, "#statement-link")
	why := browsertest.Text(t, ctx, "#recommended-0 .why-fits")
	if !strings.Contains(why, "It covers what you asked us to protect: Travel") || !strings.Contains(why, "Your trip of 12 days") {
		t.Errorf("why it fits: %q", why)
	}
	if got := browsertest.Text(t, ctx, "#recommended-0 .not-covered"); !strings.Contains(got, "Pre-existing conditions") {
		t.Errorf("not covered: %q", got)
	}
	if v := browsertest.CSPViolations(t, ctx); len(v) != 0 {
		t.Errorf("CSP violations: %q", v)
	}
	// In Romanian.
	if err := browsertest.SetAcceptLanguage(ctx, "ro-RO,ro;q=0.9"); err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, ctx, loc, "#statement-title")
	if got := browsertest.Text(t, ctx, "#statement-title"); got != "Declarația privind cerințele și nevoile dumneavoastră" {
		t.Errorf("romanian title %q", got)
	}
	if got := strings.ReplaceAll(browsertest.Text(t, ctx, "#recommended-0 .statement-premium"), "\u00a0", " "); got != "185,40 lei" {
		t.Errorf("romanian premium %q", got)
	}
	if path, err := browsertest.SaveScreenshot(ctx, t.Name()); err == nil {
		t.Logf("screenshot: %s", path)
	}
}
