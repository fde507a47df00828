package advisor

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/ecrm-project/ecrm/internal/browsertest"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/risk"
)

// TestAdvisorOpensACreditHistoryInABrowser drives headless Chromium
// through the console as advisor A: the client list shows exactly the
// book, a click opens a client, and stating a purpose shows the credit
// timeline and the score's chart, under the strict Content-Security-Policy
// of the real server.
func TestAdvisorOpensACreditHistoryInABrowser(t *testing.T) {
	f := newFixture(t)
	pages, err := page.New(Templates, risk.Templates)
	if err != nil {
		t.Fatal(err)
	}
	static := pages.StaticHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; form-action 'self'; frame-ancestors 'none'")
		if strings.HasPrefix(r.URL.Path, page.StaticPrefix) {
			static.ServeHTTP(w, r)
			return
		}
		f.router.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	ctx := browsertest.New(t)
	// The session layer is stood in for by the test principal header.
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{principalHeader: asAdvisorA, "Accept-Language": "en"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.RecordCSPViolations(ctx); err != nil {
		t.Fatal(err)
	}

	browsertest.Visit(t, ctx, srv.URL+"/console/clients", "#client-list")
	names, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#client-list tbody th")).map(th => th.innerText)`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, bookA) {
		t.Errorf("client list = %q, want advisor A's book %q", names, bookA)
	}
	if v := browsertest.CSPViolations(t, ctx); len(v) > 0 {
		t.Errorf("client list: CSP violations %q", v)
	}

	if status := browsertest.Follow(t, ctx, `#client-list a[href="/console/clients/101"]`); status != http.StatusOK {
		t.Fatalf("client 360: status %d", status)
	}
	if got := browsertest.Text(t, ctx, "#client-name"); got != "Maria Ionescu" {
		t.Errorf("client 360 heading %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#purpose"), "credit_application")); err != nil {
		t.Fatal(err)
	}
	if status := browsertest.Follow(t, ctx, "#show-credit-history"); status != http.StatusOK {
		t.Fatalf("credit history: status %d", status)
	}
	if got := browsertest.Text(t, ctx, "#credit-purpose"); !strings.HasPrefix(got, "Shown for the purpose: Credit application.") {
		t.Errorf("purpose notice %q", got)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#timeline-201 tbody tr")).map(tr => tr.cells[0].innerText + ": " + tr.cells[1].innerText)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 36 || rows[0] != "Nov 2026: On time" || rows[20] != "Mar 2025: On time" || rows[21] != "Feb 2025: 30 days late" ||
		rows[32] != "Mar 2024: 60 days late" || rows[35] != "Dec 2023: On time" {
		t.Errorf("mortgage timeline (%d months) = %q", len(rows), rows)
	}
	if got := browsertest.Text(t, ctx, "#credit-summary"); !strings.Contains(got, "5 of 36 reported") {
		t.Errorf("summary %q", got)
	}
	// The score's chart, drawn on the server, renders under the CSP: one
	// bar a month of its data table, painted by the stylesheet's class
	// (no inline style), each with its height, the whole at a readable
	// width.
	type chartFacts struct {
		Bars, Rows, Painted, Tall int
		Width                     float64
		Label                     string
	}
	facts, err := chromedp.Run(ctx, chromedp.Evaluate[chartFacts](`(() => {
		const svg = document.querySelector("#score-history-heading + svg.chart");
		const bars = Array.from(svg.querySelectorAll("rect.chart-bar"));
		return {
			Bars: bars.length,
			Rows: document.querySelectorAll("#score-history tbody tr").length,
			Painted: bars.filter(b => getComputedStyle(b).fill === "rgb(29, 78, 216)").length,
			Tall: bars.filter(b => b.getBoundingClientRect().height > 10).length,
			Width: svg.getBoundingClientRect().width,
			Label: svg.getAttribute("aria-label"),
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if facts.Bars != 24 || facts.Rows != 24 || facts.Painted != 24 || facts.Tall != 24 || facts.Width < 400 || facts.Label == "" {
		t.Errorf("score chart = %+v, want 24 painted bars of some height for the table's 24 months, at least 400 px wide, labelled", facts)
	}
	if v := browsertest.CSPViolations(t, ctx); len(v) > 0 {
		t.Errorf("credit history: CSP violations %q", v)
	}
	want := []string{"1 101 client_360 -", "1 101 credit_history credit_application"}
	if got := accessLog(t, f.pool); !slices.Equal(got, want) {
		t.Errorf("access log = %q, want %q", got, want)
	}
}
