package insurance

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/browsertest"
	"github.com/ecrm-project/ecrm/internal/document"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// TestBuyInBrowser: in headless Chromium, under the production CSP and
// cross-origin protection, without script, Ana chooses the Carpathia
// 30-day programme, clicks Buy on its quote and lands on her new policy:
// bound, in force from the quote's start, the premium due, the terms
// version; a second click (the browser's back and Buy again) lands on the
// same policy.
func TestBuyInBrowser(t *testing.T) {
	e, b, s := bindEnv(t)
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := document.New()
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(i18n.Middleware, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			p := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: e.ana, Name: "Ana Popescu", AuthTime: time.Now()}
			next.ServeHTTP(w, req.WithContext(ecrm.WithPrincipal(req.Context(), p)))
		})
	})
	NewChoiceHandler(e.progs, pages, docs).Routes(r)
	h := NewPolicyHandler(s, pages, docs, "Banca Demo")
	h.SetBinder(b)
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
	browsertest.Visit(t, ctx, srv.URL+"/portal/insurance/journeys/7/choice", "#choice-title")
	if status := browsertest.Follow(t, ctx, "#choose-PRG-TRAVEL-CARP-EU30"); status != http.StatusOK {
		t.Fatalf("choose: %d", status)
	}
	quotePage := browsertest.Text(t, ctx, "#quote-title")
	if status := browsertest.Follow(t, ctx, "#buy"); status != http.StatusOK {
		t.Fatalf("buy: %d", status)
	}
	var id int64
	if err := e.pool.QueryRow(context.Background(), `SELECT id FROM insurance_policies WHERE client_id = $1`, e.ana).Scan(&id); err != nil {
		t.Fatalf("no policy after Buy (%s): %v", quotePage, err)
	}
	var starts time.Time
	if err := e.pool.QueryRow(context.Background(), `SELECT starts_on FROM insurance_policies WHERE id = $1`, id).Scan(&starts); err != nil {
		t.Fatal(err)
	}
	l := i18n.NewLocalizer(i18n.English)
	for selector, want := range map[string]string{
		"#bound-notice":   "Your policy is bound: the cover starts on " + l.Date(starts) + ". The policy schedule and the first premium are below.",
		"#policy-status":  "active",
		"#policy-terms":   "PRG-TRAVEL-CARP-EU30 v1",
		"#policy-premium": "RON\u00a0185.40 (single premium)",
	} {
		if got := browsertest.Text(t, ctx, selector); got != want {
			t.Errorf("text of %s = %q, want %q", selector, got, want)
		}
	}
	if v := browsertest.CSPViolations(t, ctx); len(v) != 0 {
		t.Errorf("CSP violations: %q", v)
	}
	// Back to the quote page and Buy again: the same policy.
	q, err := e.pool.Query(context.Background(), `SELECT id FROM insurance_quotes WHERE client_id = $1`, e.ana)
	if err != nil {
		t.Fatal(err)
	}
	var quoteID int64
	for q.Next() {
		_ = q.Scan(&quoteID)
	}
	q.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/portal/insurance/quotes/"+strconv.FormatInt(quoteID, 10)+"/bind", strings.NewReader("key=quote-again"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if want := "/portal/policies/" + strconv.FormatInt(id, 10) + "?bound=1"; res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
		t.Errorf("Buy again: %d %s, want %s", res.StatusCode, res.Header.Get("Location"), want)
	}
}
