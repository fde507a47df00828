package main

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ecrm-project/ecrm/internal/browsertest"
	"github.com/ecrm-project/ecrm/products"
)

// TestOffersThroughTheGateInABrowser: the client asks for a 20,000 EUR
// loan over 36 months and sees ranked offers, each recorded in the offer
// log with a "why am I seeing this?" link; after withdrawing consent to
// personalised offers she sees none, is told why, and the blocked offers
// are recorded too.
func TestOffersThroughTheGateInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	e := newTestEnv(t, nil)
	ctx := context.Background()
	if err := products.LoadDemoCatalogue(ctx, e.pool); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `
		UPDATE clients SET birth_date = '1985-04-12', country = 'RO', annual_income = 48000, income_currency = 'EUR',
			employment_status = 'employed' WHERE id = 1;
		INSERT INTO consents (client_id, purpose, channel, granted, wording_version, source, recorded_at)
		VALUES (1, 'marketing', 'web', true, '2026-11', 'portal', now() - interval '1 month');`); err != nil {
		t.Fatal(err)
	}
	count := func(kind string) int {
		var n int
		// Matching's records only: the overview shows next best offers too.
		if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM decision_records WHERE client_id = 1 AND kind = $1 AND engine = $2`, kind, products.MatchingEngine).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	b := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(b, "en"); err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, b, e.baseURL+"/portal", `button[value="`+clientSubject+`"]`)
	browsertest.Follow(t, b, `button[value="`+clientSubject+`"]`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`#overview-title`)); err != nil {
		t.Fatalf("no overview after login: %v", err)
	}

	const loan = "/portal/match?goal=borrow&amount=20000&currency=EUR&months=36"
	browsertest.Visit(t, b, e.baseURL+loan, `tr.offer`)
	offers := browsertest.Text(t, b, "table.offers tbody")
	if !strings.Contains(offers, "Personal loan EUR") || !strings.Contains(offers, "€625.81") {
		t.Errorf("offers = %q, want the personal loan at €625.81 a month", offers)
	}
	links, err := chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll('tr.offer a.why[href^="/portal/offers/"]').length`))
	if err != nil {
		t.Fatal(err)
	}
	shown := count("offer_shown")
	if links == 0 || links != shown || count("offer_blocked") != 0 {
		t.Fatalf("%d offers with a why link, %d offer_shown and %d offer_blocked records", links, shown, count("offer_blocked"))
	}

	// Reloads and a language switch are the same presentation: the offers
	// stay, and nothing more is recorded.
	for i := 0; i < 20; i++ {
		if err := chromedp.Do(b, chromedp.Reload()); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
		if err := chromedp.Do(b, chromedp.WaitVisible(`tr.offer`)); err != nil {
			t.Fatalf("reload %d shows no offer: %v", i, err)
		}
	}
	browsertest.Visit(t, b, e.baseURL+"/lang?to=ro&back="+url.QueryEscape(loan), `tr.offer`)
	browsertest.Visit(t, b, e.baseURL+"/lang?to=en&back="+url.QueryEscape(loan), `tr.offer`)
	rows, err := chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll('tr.offer').length`))
	if err != nil {
		t.Fatal(err)
	}
	if rows != shown || count("offer_shown") != shown || count("offer_blocked") != 0 {
		t.Fatalf("after 20 reloads and two language switches: %d offers on the page, %d offer_shown and %d offer_blocked records; want %d, %d, 0",
			rows, count("offer_shown"), count("offer_blocked"), shown, shown)
	}

	// Withdraw consent to personalised offers with one click.
	browsertest.Visit(t, b, e.baseURL+"/portal/profile", "#consent-marketing-web")
	browsertest.Follow(t, b, `#consent-marketing-web form button`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`#consent-saved`)); err != nil {
		t.Fatalf("no confirmation after withdrawing consent: %v", err)
	}
	browsertest.Visit(t, b, e.baseURL+loan, `#no-offers`)
	if got := browsertest.Text(t, b, "#no-offers"); !strings.Contains(got, "you have not agreed to personalised offers") {
		t.Errorf("notice = %q", got)
	}
	rows, err = chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll('tr.offer').length`))
	if err != nil {
		t.Fatal(err)
	}
	if rows != 0 || count("offer_shown") != shown || count("offer_blocked") != shown {
		t.Errorf("after withdrawal: %d offers on the page, %d shown and %d blocked records (want 0, %d, %d)",
			rows, count("offer_shown"), count("offer_blocked"), shown, shown)
	}
}
