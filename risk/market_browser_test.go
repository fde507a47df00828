package risk

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/browsertest"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// TestBrokeragePageInBrowser: Ana opens her brokerage page in headless
// Chromium, under the production CSP and cross-origin protection: her
// quotes with the day's change, the news about what she holds; she adds
// WRLD to her watch list in English, then, in Romanian, reads the page
// and takes BRTX off the list. No script is involved.
func TestBrokeragePageInBrowser(t *testing.T) {
	pool := viewPool(t)
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	h := NewMarketHandler(pool, pages)
	h.Now = func() time.Time { return viewNow }
	r := chi.NewRouter()
	r.Use(i18n.Middleware)
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			p := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: 1, Name: "Ana Popescu"}
			next.ServeHTTP(w, req.WithContext(ecrm.WithPrincipal(req.Context(), p)))
		})
	})
	h.Routes(r)
	srv := httptest.NewServer(web.SecurityHeaders(false)(http.NewCrossOriginProtection().Handler(r)))
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
	browsertest.Visit(t, ctx, srv.URL+"/portal/brokerage", "#quotes-table")
	check(map[string]string{
		"#quote-DNB .quote-close":                "24.60\u00a0RON",
		"#quote-DNB .quote-change":               "+0.60",
		"#quote-DNB .quote-change-percent":       "+2.50%",
		"#quote-QNTM .quote-change":              "-3.00",
		"#quote-BRTX .quote-stale":               "Old price",
		"#news-list li:first-child h3":           "Dunărea Bank beats forecasts",
		"#news-list li:first-child .item-reason": "You hold DNB",
		"#reviews-list .item-recommendation":     "Buy",
	})
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#watch-symbol"), "wrld")); err != nil {
		t.Fatal(err)
	}
	if status := browsertest.Follow(t, ctx, "#watch-submit"); status != http.StatusOK {
		t.Errorf("after adding WRLD: status %d", status)
	}
	check(map[string]string{
		"#market-notice":           "WRLD was added to your watch list.",
		"#quote-WRLD .quote-yours": "Watched",
		"#quote-WRLD .quote-close": "98.50\u00a0USD",
	})
	if v := browsertest.CSPViolations(t, ctx); len(v) != 0 {
		t.Errorf("CSP violations: %q", v)
	}

	if err := browsertest.SetAcceptLanguage(ctx, "ro-RO,ro;q=0.9"); err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, ctx, srv.URL+"/portal/brokerage", "#quotes-table")
	check(map[string]string{
		"#market-title":                          "Piețe",
		"#quote-DNB .quote-close":                "24,60\u00a0RON",
		"#quote-DNB .quote-change-percent":       "+2,50\u00a0%",
		"#quote-DNB .quote-yours":                "Deținut, 78,4\u00a0% din portofoliu",
		"#news-list li:first-child h3":           "Dunărea Bank depășește estimările",
		"#news-list li:first-child .item-reason": "Dețineți DNB",
	})
	if status := browsertest.Follow(t, ctx, "#unwatch-BRTX"); status != http.StatusOK {
		t.Errorf("after removing BRTX: status %d", status)
	}
	check(map[string]string{"#market-notice": "BRTX a fost scos din lista de urmărire."})
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#quotes-table tbody tr").length`))
	if err != nil {
		t.Fatal(err)
	}
	if got := watched(t, pool, 1); got != "HDR,WRLD" || rows != 4 {
		t.Errorf("after the changes Ana watches %s and sees %s quotes", got, strconv.Itoa(rows))
	}
	if v := browsertest.CSPViolations(t, ctx); len(v) != 0 || strings.Contains(browsertest.Text(t, ctx, "body"), "%!") {
		t.Errorf("CSP violations %q, or a broken message", v)
	}
}
