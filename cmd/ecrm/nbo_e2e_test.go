package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ecrm-project/ecrm/internal/browsertest"
	"github.com/ecrm-project/ecrm/products"
)

// TestStepUpLoginChecksAuthTime: /login?max_age=N asks the provider for a
// login at most N seconds old even within a session, and the callback
// refuses an ID token whose auth_time is older (here the provider's clock
// is an hour behind); a max_age that is not a number of seconds is refused.
func TestStepUpLoginChecksAuthTime(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.newBrowser()
	if got := e.login(b, clientSubject); got != "/portal" {
		t.Fatalf("first login → %q", got)
	}
	stepUp := "/login?max_age=600&return_to=" + url.QueryEscape("/portal/profile")
	res, _ := b.get(e.baseURL + stepUp)
	if res.StatusCode != http.StatusFound {
		t.Fatalf("a step-up within a session = %d, want 302 to the provider", res.StatusCode)
	}
	if u, _ := url.Parse(location(t, res)); u.Query().Get("max_age") != "600" {
		t.Fatalf("the authorization request does not ask for max_age=600: %s", u)
	}
	// The provider says the person logged in an hour ago: its clock is
	// behind while it takes the login (auth_time), right for the rest.
	id := e.startLoginAt(b, stepUp)
	e.providerSkew.Store(int64(-time.Hour))
	res, _ = b.do("POST", e.issuer+"/login", url.Values{"authRequestID": {id}, "user": {clientSubject}}, nil)
	e.providerSkew.Store(0)
	for i := 0; i < 5 && res.StatusCode/100 == 3 && !strings.HasPrefix(location(t, res), e.baseURL+"/auth/callback"); i++ {
		next := location(t, res)
		if strings.HasPrefix(next, "/") {
			next = e.issuer + next
		}
		res, _ = b.get(next)
	}
	res, body := b.get(location(t, res))
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "the login we got back is not recent") {
		t.Errorf("an auth_time an hour old = %d, want 401 saying so: %s", res.StatusCode, body)
	}
	res, _ = b.get(e.chooseUser(b, e.startLoginAt(b, stepUp), clientSubject))
	if res.StatusCode != http.StatusSeeOther || location(t, res) != "/portal/profile" {
		t.Errorf("a fresh step-up = %d → %q, want 303 → /portal/profile", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := b.get(e.baseURL + "/login?max_age=soon"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("max_age=soon = %d, want 400", res.StatusCode)
	}
}

// TestNextBestOffersInABrowser: the demo catalogue on sale; Ana (45,
// 60,000 RON a year, 50,000 RON in her current account, about 3,000 RON
// spent a month) sees offers for her on her overview, each recorded once
// however often she reloads; she applies for the first with one click,
// logs in again because her login is older than the step-up age (5 s
// here), and lands on the offer's page told her application is recorded;
// her advisor has the deal, opened from the offer, with its first task.
func TestNextBestOffersInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	e := newTestEnv(t, map[string]string{"ECRM_STEP_UP_MAX_AGE": "5s"})
	ctx := context.Background()
	if err := products.LoadDemoCatalogue(ctx, e.pool); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `
		UPDATE clients SET birth_date = '1981-04-12', country = 'RO', annual_income = 60000, income_currency = 'RON',
			employment_status = 'employed', marital_status = 'single' WHERE id = 1;
		INSERT INTO accounts (id, client_id, kind, iban, name, currency, balance, opened_on) VALUES
			(101, 1, 'current', 'RO49AAAA1B31007593840101', 'Current account', 'RON', 50000.00, '2020-01-01');
		INSERT INTO account_transactions (account_id, client_id, booked_at, value_date, amount, currency, kind, channel)
		SELECT 101, 1, now() - make_interval(days => g * 10), (now() - make_interval(days => g * 10))::date, -1000.00, 'RON', 'card_payment', 'pos'
		FROM generate_series(1, 9) g;
		INSERT INTO consents (client_id, purpose, channel, granted, wording_version, source, recorded_at)
		VALUES (1, 'marketing', 'web', true, '2026-11', 'portal', now() - interval '1 month');`); err != nil {
		t.Fatal(err)
	}
	count := func(query string, args ...any) int {
		var n int
		if err := e.pool.QueryRow(ctx, query, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	shown := func() int {
		return count(`SELECT count(*) FROM decision_records WHERE client_id = 1 AND engine = 'crosssell.nbo' AND kind = 'offer_shown'`)
	}

	b := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(b, "en"); err != nil {
		t.Fatal(err)
	}
	browsertest.Visit(t, b, e.baseURL+"/portal", `button[value="`+clientSubject+`"]`)
	browsertest.Follow(t, b, `button[value="`+clientSubject+`"]`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`#offers-for-you li.offer-card`)); err != nil {
		t.Fatalf("no offer for Ana on her overview: %v", err)
	}
	cards, err := chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll('#offers-for-you li.offer-card').length`))
	if err != nil {
		t.Fatal(err)
	}
	if cards == 0 || cards != shown() {
		t.Fatalf("%d offers on the page, %d recorded", cards, shown())
	}
	first := browsertest.Text(t, b, "#offers-for-you li.offer-card")
	if !strings.Contains(first, "Flexible savings account RON") || !strings.Contains(first, "It answers a need we see: Idle cash.") {
		t.Errorf("the first offer = %q, want the savings account for her idle cash", first)
	}
	for i := 0; i < 5; i++ {
		if err := chromedp.Do(b, chromedp.Reload()); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(b, chromedp.WaitVisible(`#offers-for-you li.offer-card`)); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
	}
	if shown() != cards {
		t.Errorf("after five reloads %d offers recorded, want the first %d", shown(), cards)
	}
	seq, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector('#offers-for-you li.offer-card').dataset.seq`))
	if err != nil {
		t.Fatal(err)
	}

	// Her login is now older than the step-up age: applying sends her
	// through the provider again, then the application is made.
	time.Sleep(5500 * time.Millisecond)
	browsertest.Follow(t, b, `#offers-for-you li.offer-card button.offer-accept`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`button[value="`+clientSubject+`"]`)); err != nil {
		t.Fatalf("applying with an old login did not ask to log in again: %v", err)
	}
	browsertest.Follow(t, b, `button[value="`+clientSubject+`"]`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`#offer-notice`)); err != nil {
		t.Fatalf("no confirmation after logging in again: %v", err)
	}
	if got := browsertest.Text(t, b, "#offer-notice"); !strings.Contains(got, "Your application is recorded") {
		t.Errorf("notice = %q", got)
	}
	if at, err := chromedp.Run(b, chromedp.Location()); err != nil || !strings.Contains(at, "/portal/offers/"+seq) {
		t.Errorf("landed on %q (%v), want the offer %s", at, err, seq)
	}
	if n := count(`SELECT count(*) FROM deals d JOIN tasks k ON k.deal_id = d.id AND k.assignee_staff_id = 1
		WHERE d.client_id = 1 AND d.decision_seq = $1::bigint AND d.source = 'offer_accepted' AND d.owner_staff_id = 1`, seq); n == 0 {
		t.Errorf("no deal with a task for Ana's advisor from offer %s", seq)
	}
	if n := count(`SELECT count(*) FROM decision_records WHERE refers_to = $1::bigint AND outcome = 'accepted'`, seq); n != 1 {
		t.Errorf("%d applications recorded for offer %s, want 1", n, seq)
	}
	// Back on the overview the savings account is no longer offered.
	browsertest.Visit(t, b, e.baseURL+"/portal", `#offers-for-you`)
	if got := browsertest.Text(t, b, "#offers-for-you"); strings.Contains(got, "Flexible savings account RON") {
		t.Errorf("the product applied for is offered again: %q", got)
	}
}
