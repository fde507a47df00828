package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/browsertest"
	"github.com/ecrm-project/ecrm/internal/devoidc"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// withDemoPeople lets the demo people (demoUsers, as make run has them) log
// in to the test environment's provider too, keeping its own users.
func (e *testEnv) withDemoPeople() {
	e.t.Helper()
	users := append(demoUsers(),
		devoidc.User{Subject: clientSubject, Email: "ana@example.com", EmailVerified: true, Name: "Ana Popescu"},
		devoidc.User{Subject: advisorSubject, Email: "maria@bank.example", EmailVerified: true, Name: "Maria Ionescu", Groups: []string{"advisor"}})
	p, err := devoidc.New(devoidc.Config{
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Issuer:  e.issuer,
		DevMode: true,
		Clients: []devoidc.Client{{ID: "ecrm-test", Secret: "test-secret", RedirectURIs: []string{e.baseURL + "/auth/callback"}, PostLogoutRedirectURIs: []string{e.baseURL + "/"}}},
		Users:   users,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.provider = p
}

// TestComplianceConsoleInABrowser is the "done when" for the
// console: the compliance officer finds an offer, reads why it was made,
// flags it with a comment and downloads the day's export; the export's
// rows are the day's records with their chain hashes.
func TestComplianceConsoleInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	e := newTestEnv(t, nil)
	e.withDemoPeople()
	ctx := context.Background()

	// The day's offers: one shown to Ana, one blocked for want of consent,
	// and an older one shown to Ion.
	var productID int64
	if err := e.pool.QueryRow(ctx, `INSERT INTO products (code, name, line, kind, provider, currency)
		VALUES ('DEP-12M', 'Deposit 12 months', 'banking', 'deposit', 'ecrm bank', 'RON') RETURNING id`).Scan(&productID); err != nil {
		t.Fatal(err)
	}
	log := compliance.NewLog(e.pool)
	offer := func(client int64, kind compliance.Kind, failed string) compliance.Record {
		r := compliance.Record{Kind: kind, ClientID: client, ProductID: productID, Engine: "products.matching", EngineVersion: "m-1",
			RuleVersion: "r-1", Channel: "web", Actor: compliance.Actor{Kind: compliance.ActorSystem}, Outcome: compliance.OutcomeShown,
			Body: compliance.Body{Reasons: []i18n.Message{i18n.Plain("Your savings grew for six months")},
				Checks: []compliance.Check{{Name: "suitability", Passed: true}, {Name: "consent_marketing", Passed: failed == ""}}}}
		if kind == compliance.KindOfferBlocked {
			r.Outcome = compliance.OutcomeBlocked
		}
		return r
	}
	log.Now = func() time.Time { return time.Now().AddDate(0, 0, -3) }
	if _, err := log.Append(ctx, offer(2, compliance.KindOfferShown, "")); err != nil {
		t.Fatal(err)
	}
	log.Now = time.Now
	today, err := log.Append(ctx, offer(1, compliance.KindOfferShown, ""), offer(1, compliance.KindOfferBlocked, "consent_marketing"))
	if err != nil {
		t.Fatal(err)
	}
	shown := today[0].Seq

	// Without a session: the API says 401, the page asks for a login.
	anon := e.newBrowser()
	if res, _ := anon.get(e.baseURL + "/api/v1/compliance/records"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous API: %d", res.StatusCode)
	}
	if res, _ := anon.get(e.baseURL + "/console/compliance"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("anonymous page: %d %s", res.StatusCode, res.Header.Get("Location"))
	}

	// An advisor and a client are refused, page and API.
	for _, subject := range []string{advisorSubject, clientSubject} {
		other := e.newBrowser()
		e.login(other, subject)
		for _, path := range []string{"/console/compliance", "/api/v1/compliance/records", "/api/v1/compliance/export?format=json"} {
			if res, _ := other.get(e.baseURL + path); res.StatusCode != http.StatusForbidden {
				t.Errorf("%s on %s: %d, want 403", subject, path, res.StatusCode)
			}
		}
	}

	b := browsertest.New(t)
	if err := browsertest.SetAcceptLanguage(b, "en"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.RecordCSPViolations(b); err != nil {
		t.Fatal(err)
	}

	// The compliance officer logs in and lands on the console.
	browsertest.Visit(t, b, e.baseURL+"/console/compliance", `button[value="demo-compliance-andrei"]`)
	browsertest.Follow(t, b, `button[value="demo-compliance-andrei"]`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`#records-title`)); err != nil {
		t.Fatalf("no compliance console after login: %v", err)
	}
	if nav := browsertest.Text(t, b, ".primary-nav"); !strings.Contains(nav, "Compliance") {
		t.Errorf("navigation %q has no compliance entry", nav)
	}

	// Find Ana's shown offer.
	if err := chromedp.Do(b,
		chromedp.SetValue(`#filter-client`, "popescu"),
		chromedp.SetValue(`#filter-outcome`, "shown"),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, b, `#filter-submit`)
	if got := browsertest.Text(t, b, "#record-list tbody"); !strings.Contains(got, "Ana Popescu") || strings.Contains(got, "Ion") || strings.Contains(got, "Blocked") {
		t.Fatalf("search found %q, want Ana's shown offer only", got)
	}
	browsertest.Follow(t, b, `#record-list a[href="/console/compliance/records/`+strconv.FormatInt(shown, 10)+`"]`)

	// Read why it was made.
	if got := browsertest.Text(t, b, "#record-reasons"); !strings.Contains(got, "Your savings grew for six months") {
		t.Errorf("reasons %q", got)
	}
	if got := browsertest.Text(t, b, "#record-checks"); !strings.Contains(got, "consent_marketing") || !strings.Contains(got, "Passed") {
		t.Errorf("checks %q", got)
	}

	// Flag it with a comment.
	if err := chromedp.Do(b,
		chromedp.SetValue(`#review-action`, "flag"),
		chromedp.SetValue(`#review-comment`, "Reason does not match the client's stated goal"),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, b, `#review-submit`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`#review-saved`)); err != nil {
		t.Fatalf("no confirmation of the review: %v", err)
	}
	var action, comment string
	if err := e.pool.QueryRow(ctx, `SELECT action, comment FROM compliance_reviews WHERE record_seq = $1`, shown).Scan(&action, &comment); err != nil ||
		action != "flag" || !strings.Contains(comment, "stated goal") {
		t.Fatalf("review stored: %q %q %v", action, comment, err)
	}
	// Four eyes: she may not approve her own flag.
	if err := chromedp.Do(b, chromedp.SetValue(`#review-action`, "approve")); err != nil {
		t.Fatal(err)
	}
	browsertest.Follow(t, b, `#review-submit`)
	if err := chromedp.Do(b, chromedp.WaitVisible(`#review-action-error`)); err != nil {
		t.Fatalf("no error at the field when approving her own flag: %v", err)
	}
	if got := browsertest.Text(t, b, "#review-action-error"); !strings.Contains(got, "another compliance officer must approve it") {
		t.Errorf("error at the field = %q", got)
	}
	var reviews int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM compliance_reviews WHERE record_seq = $1`, shown).Scan(&reviews); err != nil || reviews != 1 {
		t.Errorf("%d reviews after the refused approval, want the flag only (%v)", reviews, err)
	}
	if v := browsertest.CSPViolations(t, b); len(v) > 0 {
		t.Errorf("CSP violations: %v", v)
	}

	// Download the day's export.
	day := time.Now().In(e.app.cfg.TimeZone).Format(time.DateOnly)
	browsertest.Visit(t, b, e.baseURL+"/console/compliance?"+url.Values{"from": {day}, "to": {day}}.Encode(), "#export-csv")
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(b, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b, chromedp.Click(`#export-csv`)); err != nil {
		t.Fatal(err)
	}
	var data []byte
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && data == nil; time.Sleep(100 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(dir, "decision-records-*.csv"))
		if len(files) == 1 {
			data, _ = os.ReadFile(files[0])
		}
	}
	if data == nil {
		t.Fatal("the export was not downloaded")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var seqs []string
	var proofHead string
	inProof := false
	for _, row := range rows[1:] {
		switch {
		case row[0] == "proof":
			inProof = true
		case inProof && row[0] == "chain_head":
			proofHead = row[1]
		case !inProof:
			seqs = append(seqs, row[0])
		}
	}
	want := []string{strconv.FormatInt(today[0].Seq, 10), strconv.FormatInt(today[1].Seq, 10)}
	if !slices.Equal(seqs, want) || proofHead != want[1] {
		t.Errorf("export rows %v (head %s), want %v", seqs, proofHead, want)
	}
	var exports int
	e.pool.QueryRow(ctx, `SELECT count(*) FROM staff_access_log WHERE resource = 'export'`).Scan(&exports)
	if exports != 1 {
		t.Errorf("%d exports in the access log, want 1", exports)
	}
}
