// TEMPORARY: screenshots for styling work; delete before finishing.
package selfservice

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ecrm-project/ecrm/internal/browsertest"
	"github.com/ecrm-project/ecrm/internal/web"
)

func zzShoot(t *testing.T, ctx context.Context, name string, width int64) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("/tmp/screens/"+name+".png", png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestZZScreens(t *testing.T) {
	if os.Getenv("ZZ_SCREENS") == "" {
		t.Skip("set ZZ_SCREENS")
	}
	pool := newFixture(t)
	h := newTestHandler(t, pool)
	site := web.SecurityHeaders(false)(http.NewCrossOriginProtection().Handler(newRouter(h, signedInAs(ana, "Ana Popescu"))))
	srv := httptest.NewServer(site)
	t.Cleanup(srv.Close)
	for _, lang := range []string{"en", "ro"} {
		for _, width := range []int64{1280, 375} {
			for _, pg := range []string{"overview", "account", "profile"} {
				t.Run(lang+"-"+pg, func(t *testing.T) {
					ctx := browsertest.New(t)
					if err := browsertest.SetAcceptLanguage(ctx, lang); err != nil {
						t.Fatal(err)
					}
					if err := browsertest.RecordCSPViolations(ctx); err != nil {
						t.Fatal(err)
					}
					if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800)); err != nil {
						t.Fatal(err)
					}
					switch pg {
					case "overview":
						browsertest.Visit(t, ctx, srv.URL+"/portal", "#overview-title")
					case "account":
						browsertest.Visit(t, ctx, srv.URL+"/portal/accounts/12", "#account-title")
					case "profile":
						browsertest.Visit(t, ctx, srv.URL+"/portal/profile", "#profile-email")
						if err := chromedp.Do(ctx,
							chromedp.SetValue(chromedp.CSS("#profile-email"), "not-an-email"),
							chromedp.SetValue(chromedp.CSS("#profile-annual_income-amount"), "12x"),
						); err != nil {
							t.Fatal(err)
						}
						browsertest.Follow(t, ctx, "#profile-save")
					}
					if v := browsertest.CSPViolations(t, ctx); len(v) != 0 {
						t.Errorf("CSP violations: %q", v)
					}
					zzShoot(t, ctx, "portal-"+pg+"-"+lang+"-"+itoa(width), width)
				})
			}
		}
	}
}

func itoa(n int64) string {
	if n == 1280 {
		return "1280"
	}
	return "375"
}
