package main

import (
	"context"
	"crypto/ed25519"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/browsertest"
	"github.com/ecrm-project/ecrm/internal/demodata"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/products"
)

// TestOfferReviewInABrowser is item 7 of the compliance issue as people
// would do it, in headless Chromium: the demo client opens "why am I
// seeing this?" of an offer the gate showed her, asks a person to review
// it; her advisor, the demo advisor Maria, sees the request on the console
// and answers it; the client reads the answer on the offer's page. The
// offer log still verifies.
func TestOfferReviewInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	e := newTestEnv(t, nil)
	e.withDemoPeople()
	ctx := context.Background()

	// The demo client, in the demo advisor's book, consenting to offers in
	// the portal; the demo catalogue; one loan offer presented through the
	// gate as the matching page does.
	var clientID, advisorID int64
	if err := e.pool.QueryRow(ctx, `INSERT INTO staff_users (email, display_name, roles) VALUES ($1, 'Maria Ionescu', '{advisor}') RETURNING id`,
		demodata.DemoAdvisorEmail).Scan(&advisorID); err != nil {
		t.Fatal(err)
	}
	if err := e.pool.QueryRow(ctx, `INSERT INTO clients (given_name, family_name, birth_date, email, email_verified, kyc_status, kyc_verified_at, advisor_id)
		VALUES ('Ana', 'Popescu', '1985-03-01', $1, true, 'verified', now(), $2) RETURNING id`, demodata.DemoClientEmail, advisorID).Scan(&clientID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `INSERT INTO consents (client_id, purpose, channel, granted, wording_version, source, recorded_at)
		VALUES ($1, 'marketing', 'web', true, '2026-11', 'portal', now() - interval '1 day')`, clientID); err != nil {
		t.Fatal(err)
	}
	if err := products.LoadDemoCatalogue(ctx, e.pool); err != nil {
		t.Fatal(err)
	}
	loan, err := products.NewStore(e.pool).ProductByCode(ctx, "LOAN-EUR-PERS")
	if err != nil {
		t.Fatal(err)
	}
	payment := ecrm.MustMoney("625.81", "EUR")
	verdicts, err := compliance.NewGate(compliance.NewFactsReader(e.pool), compliance.NewLog(e.pool)).Present(ctx, compliance.Presentation{
		ClientID: clientID, Channel: "web", Actor: compliance.Actor{Kind: compliance.ActorSystem}, Purpose: compliance.PurposeMarketing,
		ClientInitiated: true, Engine: "products.matching", EngineVersion: "test",
		Profile: products.Profile{ClientID: clientID, Age: 41, ResidenceCountry: "RO", ClientType: "retail", Segment: "mass", KYCStatus: "verified",
			EmploymentStatus: "employed", AnnualIncomeEUR: 40000, CreditScore: 750},
		Request:   products.MatchRequest{Goal: products.GoalBorrow, Amount: ecrm.MustMoney("20000", "EUR"), Months: 36},
		Offers:    []compliance.Candidate{{Product: loan, Terms: products.Terms{MonthlyPayment: &payment}, Reasons: []i18n.Message{i18n.Plain("Your income covers the monthly payment")}}},
		Localizer: i18n.NewLocalizer(i18n.English),
	})
	if err != nil || len(verdicts) != 1 || !verdicts[0].Shown {
		t.Fatalf("present = %+v, %v; want the loan shown", verdicts, err)
	}
	offerURL := e.baseURL + "/portal/offers/" + strconv.FormatInt(verdicts[0].Seq, 10)

	b := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(b, "en"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.RecordCSPViolations(b); err != nil {
		t.Fatal(err)
	}

	// The client logs in on the way to the offer's page.
	browsertest.Visit(t, b, offerURL, `button[value="demo-client-ana"]`)
	browsertest.Follow(t, b, `button[value="demo-client-ana"]`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`#offer-title`)); err != nil {
		t.Fatalf("no offer page after login: %v", err)
	}
	if got := browsertest.Text(t, b, "#offer-reasons"); !strings.Contains(got, "Your income covers the monthly payment") {
		t.Errorf("reasons = %q", got)
	}
	if got := browsertest.Text(t, b, "#offer-terms"); !strings.Contains(got, "€625.81") {
		t.Errorf("terms = %q, want the monthly payment €625.81", got)
	}
	if got := browsertest.Text(t, b, "#offer-checks"); !strings.Contains(got, "Did you agree to offers?") || !strings.Contains(got, "Passed") {
		t.Errorf("checks = %q", got)
	}
	if v := browsertest.CSPViolations(t, b); len(v) > 0 {
		t.Errorf("CSP violations on the offer page: %v", v)
	}

	// Ask a person.
	if err := chromedp.Do(b, chromedp.SetValue(`#review-message`, "Why this loan and not a card?")); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, b, "#review-submit")
	if err := chromedp.Do(b, chromedp.WaitVisible(`#offer-notice`)); err != nil {
		t.Fatalf("no confirmation after asking: %v", err)
	}
	if got := browsertest.Text(t, b, "#offer-state"); got != "A person is reviewing it" {
		t.Errorf("state after asking = %q", got)
	}
	var requests, records int
	e.pool.QueryRow(ctx, `SELECT count(*) FROM human_review_requests WHERE client_id = $1 AND status = 'open'`, clientID).Scan(&requests)
	e.pool.QueryRow(ctx, `SELECT count(*) FROM decision_records WHERE client_id = $1 AND kind = 'review_request'`, clientID).Scan(&records)
	if requests != 1 || records != 1 {
		t.Fatalf("%d requests, %d review_request records; want 1 and 1", requests, records)
	}
	browsertest.Follow(t, b, `form.logout button`)

	// The advisor sees the request on her home page, opens it and answers.
	browsertest.Visit(t, b, e.baseURL+"/console", `button[value="demo-advisor-maria"]`)
	browsertest.Follow(t, b, `button[value="demo-advisor-maria"]`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`#review-list`)); err != nil {
		t.Fatalf("no review requests on the advisor's home: %v", err)
	}
	if got := browsertest.Text(t, b, "#review-list"); !strings.Contains(got, "Ana Popescu") || !strings.Contains(got, "Why this loan and not a card?") {
		t.Errorf("review list = %q", got)
	}
	browsertest.Follow(t, b, `#review-list a[href^="/console/reviews/"]`)
	if got := browsertest.Text(t, b, "#review-reasons"); !strings.Contains(got, "Your income covers the monthly payment") {
		t.Errorf("the advisor's view of the offer's reasons = %q", got)
	}
	const answer = "The loan's monthly payment fits your income; a card would cost more for this amount."
	if err := chromedp.Do(b, chromedp.SetValue(`#review-answer-text`, answer)); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, b, "#answer-submit")
	if err := chromedp.Do(b, chromedp.WaitVisible(`#review-answered`)); err != nil {
		t.Fatalf("no confirmation after answering: %v", err)
	}
	if v := browsertest.CSPViolations(t, b); len(v) > 0 {
		t.Errorf("CSP violations on the review page: %v", v)
	}
	browsertest.Follow(t, b, `form.logout button`)

	// The client logs in: her overview tells her the advisor answered; the
	// notice leads to her messages, "My offers" in the navigation to the
	// offer.
	browsertest.Visit(t, b, e.baseURL+"/portal", `button[value="demo-client-ana"]`)
	browsertest.Follow(t, b, `button[value="demo-client-ana"]`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`#answers-notice`)); err != nil {
		t.Fatalf("no notice of the advisor's answer on the overview: %v", err)
	}
	if got := browsertest.Text(t, b, "#answers-notice"); got != "1 new answer from your advisor" {
		t.Errorf("notice = %q", got)
	}
	browsertest.Follow(t, b, `#answers-notice a`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`#message-list .review-answer`)); err != nil {
		t.Fatalf("no answer in the messages: %v", err)
	}
	if got := browsertest.Text(t, b, "#message-list .review-answer"); got != answer {
		t.Errorf("answer in the messages = %q", got)
	}
	browsertest.Follow(t, b, `nav.primary-nav a[href="/portal/offers"]`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`#offer-list`)); err != nil {
		t.Fatalf("no list of offers: %v", err)
	}
	if got := browsertest.Text(t, b, "#offer-list"); !strings.Contains(got, "Personal loan EUR") || !strings.Contains(got, "Your advisor answered") {
		t.Errorf("my offers = %q", got)
	}
	browsertest.Follow(t, b, `#offer-list a[href="/portal/offers/`+strconv.FormatInt(verdicts[0].Seq, 10)+`"]`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`.review-answer`)); err != nil {
		t.Fatalf("no answer on the offer page: %v", err)
	}
	if got := browsertest.Text(t, b, ".review-answer"); got != answer {
		t.Errorf("answer shown = %q", got)
	}

	// Interested first, then she applies: two answers, each its own record.
	browsertest.Follow(t, b, "#offer-interested")
	if err := chromedp.Do(b, chromedp.WaitVisible(`#offer-apply`)); err != nil {
		t.Fatalf("no way to apply after saying she is interested: %v", err)
	}
	if got := browsertest.Text(t, b, "#offer-state"); got != "You are interested" {
		t.Errorf("state after interest = %q", got)
	}
	browsertest.Follow(t, b, "#offer-apply")
	if err := chromedp.Do(b, chromedp.WaitVisible(`#offer-notice`)); err != nil {
		t.Fatalf("no confirmation after applying: %v", err)
	}
	if got := browsertest.Text(t, b, "#offer-state"); got != "You applied" {
		t.Errorf("state after applying = %q", got)
	}
	if got := browsertest.Text(t, b, "#offer-responses"); !strings.Contains(got, "You said you are interested on") || !strings.Contains(got, "You applied for it on") {
		t.Errorf("answers = %q", got)
	}
	browsertest.Follow(t, b, `form.logout button`)

	// The compliance officer tells the two apart in the console.
	browsertest.Visit(t, b, e.baseURL+"/console/compliance?client="+strconv.FormatInt(clientID, 10), `button[value="demo-compliance-andrei"]`)
	browsertest.Follow(t, b, `button[value="demo-compliance-andrei"]`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`#record-list`)); err != nil {
		t.Fatalf("no records in the console: %v", err)
	}
	if got := browsertest.Text(t, b, "#record-list"); !strings.Contains(got, "Interested") || !strings.Contains(got, "Accepted (application)") {
		t.Errorf("the console's records = %q, want the interest and the application apart", got)
	}

	_, key, _ := ed25519.GenerateKey(nil)
	res, err := compliance.Verify(ctx, e.pool, key.Public().(ed25519.PublicKey), nil)
	if err != nil || !res.OK() {
		t.Errorf("verify = %+v, %v", res, err)
	}
}
