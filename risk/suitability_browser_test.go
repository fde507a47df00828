package risk

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/browsertest"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// TestQuestionnaireInBrowser: in headless Chromium, under the production
// CSP and cross-origin protection and without any script, a client
// answers the questionnaire with savings out of range, reads the error at
// the field with her answers kept, corrects it and sees her risk class
// and loss capacity.
func TestQuestionnaireInBrowser(t *testing.T) {
	pool, s := suitabilityFixture(t)
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(i18n.Middleware, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			p := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: 1, Name: "Ana Popescu"}
			next.ServeHTTP(w, req.WithContext(ecrm.WithPrincipal(req.Context(), p)))
		})
	})
	NewProfileHandler(s, pages).PortalRoutes(r)
	srv := httptest.NewServer(web.SecurityHeaders(false)(http.NewCrossOriginProtection().Handler(r)))
	t.Cleanup(srv.Close)

	ctx := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(ctx, "en-GB,en;q=0.9"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.RecordCSPViolations(ctx); err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, ctx, srv.URL+"/portal/risk-profile", "#suitability-form")
	if got := browsertest.Text(t, ctx, "#profile-status"); !strings.HasPrefix(got, "You have no risk profile yet") {
		t.Errorf("status before: %q", got)
	}
	var actions []chromedp.Action[chromedp.Void]
	for field, value := range balanced() {
		if field == "financial.liquid_assets" {
			value = "-80,000"
		}
		actions = append(actions, chromedp.SetValue(chromedp.CSS("#"+fieldID(field)), value))
	}
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
	if status := browsertest.Follow(t, ctx, "#suitability-submit"); status != http.StatusUnprocessableEntity {
		t.Errorf("savings out of range: status %d, want 422", status)
	}
	if got := browsertest.Text(t, ctx, "#q-financial-liquid_assets-error"); got != "Enter an amount between 0 and 1,000,000,000." {
		t.Errorf("message at the field: %q", got)
	}
	if got := browsertest.Text(t, ctx, "#error-summary a"); got != "Enter an amount between 0 and 1,000,000,000." {
		t.Errorf("summary: %q", got)
	}
	if got := value(t, ctx, "#q-tolerance-attitude"); got != "balanced" {
		t.Errorf("the other answers were not kept: attitude %q", got)
	}
	if got := value(t, ctx, "#q-financial-annual_income"); got != "150000" {
		t.Errorf("income kept as %q", got)
	}

	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#q-financial-liquid_assets"), "80,000")); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, ctx, "#suitability-submit")
	for selector, want := range map[string]string{
		"#profile-saved":  "Your answers were saved and your risk profile updated.",
		"#risk-class":     "5 of 7 — medium to high risk: equity funds and high-yield bonds",
		"#loss-capacity":  "RON 79,000.00",
		"#profile-status": "Your risk profile is up to date; it is due for review on 1 Dec 2028, or sooner if your situation changes.",
	} {
		if got := strings.ReplaceAll(browsertest.Text(t, ctx, selector), "\u00a0", " "); got != want {
			t.Errorf("%s = %q, want %q", selector, got, want)
		}
	}
	if v := browsertest.CSPViolations(t, ctx); len(v) != 0 {
		t.Errorf("CSP violations: %q", v)
	}
	if path, err := browsertest.SaveScreenshot(ctx, t.Name()); err == nil {
		t.Logf("screenshot: %s", path)
	}
	var class int
	if err := pool.QueryRow(context.Background(), `SELECT risk_class FROM risk_assessments WHERE client_id = 1 AND source = 'questionnaire'`).Scan(&class); err != nil || class != 5 {
		t.Errorf("stored class %d, %v", class, err)
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
