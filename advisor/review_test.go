package advisor

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// reviewFixture adds to the console's fixture one shown offer each for
// Maria Ionescu (advisor A's book) and Radu Ionescu (advisor B's), each of
// whom asked a person to review it.
type reviewFixture struct {
	*fixture
	mariaOffer, raduOffer   int64
	mariaReview, raduReview int64
}

func newReviewFixture(t *testing.T) *reviewFixture {
	t.Helper()
	ctx := context.Background()
	f := &reviewFixture{fixture: newFixture(t)}
	log := compliance.NewLog(f.pool)
	log.Now = func() time.Time { return testNow.Add(-50 * time.Hour) }
	offer := func(client int64, reason string) compliance.Record {
		return compliance.Record{Kind: compliance.KindOfferShown, ClientID: client, Engine: "products.matching",
			EngineVersion: "test", RuleVersion: "test", Channel: "web", Actor: compliance.Actor{Kind: compliance.ActorSystem},
			Outcome: compliance.OutcomeShown, Body: compliance.Body{
				Reasons: []i18n.Message{i18n.Plain(reason)},
				Checks: []compliance.Check{{Name: compliance.CheckSuitability, Passed: true, Detail: i18n.Plain("Not an investment product")},
					{Name: compliance.CheckConsent, Passed: true, Detail: i18n.Plain("Marketing consent on the portal")}},
				Disclosures: []compliance.Disclosure{{Kind: "document", Text: i18n.Plain("Pre-contract information"), Document: "SECCI", DocumentVersion: "2026-01"}},
			}}
	}
	got, err := log.Append(ctx, offer(mariaIonescu, "Your income supports this loan"), offer(raduIonescu, "Radu's reason"))
	if err != nil {
		t.Fatal(err)
	}
	f.mariaOffer, f.raduOffer = got[0].Seq, got[1].Seq
	portal := compliance.NewPortal(f.pool)
	portal.SetNow(func() time.Time { return testNow.Add(-49 * time.Hour) })
	mr, _, err := portal.RequestReview(ctx, mariaIonescu, f.mariaOffer, "web", "Why this loan?")
	if err != nil {
		t.Fatal(err)
	}
	rr, _, err := portal.RequestReview(ctx, raduIonescu, f.raduOffer, "web", "Radu's question")
	if err != nil {
		t.Fatal(err)
	}
	f.mariaReview, f.raduReview = mr.ID, rr.ID
	return f
}

func reviewPath(id int64, suffix string) string {
	return "/console/reviews/" + strconv.FormatInt(id, 10) + suffix
}

func TestReviewRequestsAreScopedToTheBook(t *testing.T) {
	f := newReviewFixture(t)

	home := f.do(t, request{path: "/console", as: asAdvisorA}).Body.String()
	if !strings.Contains(home, "Open requests from your clients: 1") || !strings.Contains(home, "Why this loan?") ||
		strings.Contains(home, "Radu&#39;s question") || !strings.Contains(home, reviewPath(f.mariaReview, "")) {
		t.Errorf("advisor A's home does not list exactly Maria's request")
	}
	if home := f.do(t, request{path: "/console", as: asCompliance}).Body.String(); !strings.Contains(home, "Open requests from all clients: 2") {
		t.Errorf("compliance's home does not count both requests")
	}
	var q reviewQueueJSON
	f.getJSON(t, "/api/v1/review-requests", asAdvisorB, http.StatusOK, &q)
	if q.Open != 1 || len(q.Requests) != 1 || q.Requests[0].ID != f.raduReview || q.Requests[0].Answer != nil {
		t.Errorf("advisor B's queue = %+v", q)
	}

	// The client 360 lists the client's requests.
	if body := f.do(t, request{path: "/console/clients/101", as: asAdvisorA}).Body.String(); !strings.Contains(body, `id="client-review-list"`) ||
		!strings.Contains(body, "Why this loan?") || !strings.Contains(body, "Open, waiting 2 days") {
		t.Errorf("client 360 does not list the open request with its age")
	}

	// Every page in both languages, no key left untranslated.
	leaked := regexp.MustCompile(`\bconsole\.review\.[a-z_.]+`)
	for _, path := range []string{"/console", "/console/clients/101", reviewPath(f.mariaReview, "")} {
		for _, lang := range []string{"en", "ro"} {
			body := f.do(t, request{path: path, as: asAdvisorA, acceptLanguage: lang}).Body.String()
			if m := leaked.FindString(body); m != "" {
				t.Errorf("%s (%s): untranslated key %q", path, lang, m)
			}
			for _, v := range cspViolations(body) {
				t.Errorf("%s (%s): %q breaks the Content-Security-Policy", path, lang, v)
			}
		}
	}

	// One request: the advisor of the client and compliance read it; the
	// other advisor does not find it; clients and anonymous callers are
	// refused.
	w := f.do(t, request{path: reviewPath(f.mariaReview, ""), as: asAdvisorA})
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("review page = %d", w.Code)
	}
	for _, want := range []string{"Your income supports this loan", "Suitability", "Marketing consent on the portal", "<code>SECCI</code>, version 2026-01", `id="answer-form"`} {
		if !strings.Contains(body, want) {
			t.Errorf("review page lacks %q", want)
		}
	}
	// Opening the request shows the client's offer: the view is in the
	// staff access log, like the client 360; the three views above (in
	// English, Romanian and again) are one access, reloads within ten
	// minutes.
	var logged int
	if err := f.pool.QueryRow(context.Background(), `SELECT count(*) FROM staff_access_log WHERE resource = 'review_request' AND client_id = $1`,
		mariaIonescu).Scan(&logged); err != nil || logged != 1 {
		t.Errorf("staff access log rows for the review request = %d, %v; want 1", logged, err)
	}
	// Eleven minutes later it is a new access.
	if _, err := f.pool.Exec(context.Background(), `UPDATE staff_access_log SET accessed_at = accessed_at - interval '11 minutes' WHERE resource = 'review_request'`); err != nil {
		t.Fatal(err)
	}
	f.do(t, request{path: reviewPath(f.mariaReview, ""), as: asAdvisorA})
	if err := f.pool.QueryRow(context.Background(), `SELECT count(*) FROM staff_access_log WHERE resource = 'review_request' AND client_id = $1`,
		mariaIonescu).Scan(&logged); err != nil || logged != 2 {
		t.Errorf("staff access log rows after eleven minutes = %d, %v; want 2", logged, err)
	}
	if body := f.do(t, request{path: reviewPath(f.mariaReview, ""), as: asCompliance}).Body.String(); !strings.Contains(body, "Your income supports this loan") ||
		strings.Contains(body, `id="answer-form"`) {
		t.Errorf("compliance's review page: no offer, or an answer form")
	}
	for _, tt := range []struct {
		path, as string
		status   int
	}{
		{reviewPath(f.mariaReview, ""), asAdvisorB, http.StatusNotFound},
		{"/api/v1/review-requests/" + strconv.FormatInt(f.mariaReview, 10), asAdvisorB, http.StatusNotFound},
		{reviewPath(999, ""), asAdvisorA, http.StatusNotFound},
		{reviewPath(f.mariaReview, ""), asClient, http.StatusForbidden},
		{"/api/v1/review-requests", anonymous, http.StatusUnauthorized},
	} {
		if w := f.do(t, request{path: tt.path, as: tt.as}); w.Code != tt.status {
			t.Errorf("GET %s as %q = %d, want %d", tt.path, tt.as, w.Code, tt.status)
		} else if strings.Contains(w.Body.String(), "Why this loan?") {
			t.Errorf("GET %s as %q shows the request", tt.path, tt.as)
		}
	}
}

func TestAdvisorAnswersAReviewRequest(t *testing.T) {
	f := newReviewFixture(t)
	answer := reviewPath(f.mariaReview, "/answer")
	form := func(text string) string { return "answer=" + url.QueryEscape(text) }

	// Out of reach whatever the answer; compliance reads but does not answer.
	for _, tt := range []struct {
		as, body string
		status   int
	}{
		{asAdvisorB, form("No."), http.StatusNotFound},
		{asAdvisorB, form(""), http.StatusNotFound},
		{asCompliance, form("No."), http.StatusForbidden},
	} {
		if w := f.do(t, request{method: http.MethodPost, path: answer, as: tt.as, body: tt.body, form: true}); w.Code != tt.status {
			t.Errorf("answer as %s = %d, want %d", tt.as, w.Code, tt.status)
		}
	}
	for name, text := range map[string]string{"empty": "  ", "too long": strings.Repeat("ț", compliance.MaxReviewAnswer+1)} {
		w := f.do(t, request{method: http.MethodPost, path: answer, as: asAdvisorA, body: form(text), form: true})
		if body := w.Body.String(); w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="review-answer-text-error"`) ||
			(name == "too long" && !strings.Contains(body, text)) {
			t.Errorf("%s answer = %d, want 422 with the message at the field", name, w.Code)
		}
	}
	w := f.do(t, request{method: http.MethodPost, path: "/api/v1/review-requests/" + strconv.FormatInt(f.mariaReview, 10) + "/answer", as: asAdvisorA, body: `{"answer":""}`})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"field":"answer"`) {
		t.Errorf("empty API answer = %d %s", w.Code, w.Body)
	}
	// A body that is not JSON: the other advisor still gets not found,
	// and checking the scope shows nothing, so nothing is logged as seen.
	before := f.accessCount(t)
	apiAnswer := "/api/v1/review-requests/" + strconv.FormatInt(f.mariaReview, 10) + "/answer"
	if w := f.do(t, request{method: http.MethodPost, path: apiAnswer, as: asAdvisorB, body: `{not json`}); w.Code != http.StatusNotFound {
		t.Errorf("malformed answer by another advisor = %d, want 404", w.Code)
	}
	if w := f.do(t, request{method: http.MethodPost, path: apiAnswer, as: asAdvisorA, body: `{not json`}); w.Code == http.StatusOK || w.Code == http.StatusNotFound {
		t.Errorf("malformed answer = %d, want a bad-input problem", w.Code)
	}
	if after := f.accessCount(t); after != before {
		t.Errorf("failed answers logged %d views", after-before)
	}

	const text = "The loan matches the amount you asked for; your income covers the payment."
	w = f.do(t, request{method: http.MethodPost, path: answer, as: asAdvisorA, body: form(text), form: true})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("answer = %d %s", w.Code, w.Body)
	}
	location, _, _ := strings.Cut(w.Header().Get("Location"), "#") // a browser keeps the fragment
	if body := f.do(t, request{path: location, as: asAdvisorA}).Body.String(); !strings.Contains(body, `id="review-answered"`) ||
		!strings.Contains(body, text) || strings.Contains(body, `id="answer-form"`) {
		t.Errorf("review page after answering: no confirmation or answer, or still a form")
	}
	if w := f.do(t, request{method: http.MethodPost, path: answer, as: asAdvisorA, body: form("Again"), form: true}); w.Code != http.StatusConflict {
		t.Errorf("second answer = %d, want 409", w.Code)
	}
	if home := f.do(t, request{path: "/console", as: asAdvisorA}).Body.String(); !strings.Contains(home, "Open requests from your clients: 0") {
		t.Errorf("home still counts the answered request")
	}

	// The client reads the answer with the offer.
	e, err := compliance.NewPortal(f.pool).Explain(context.Background(), mariaIonescu, f.mariaOffer)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Reviews) != 1 || e.Reviews[0].Status != compliance.HumanReviewAnswered || e.Reviews[0].Answer != text ||
		e.Reviews[0].AnsweredBy != "Ana Advisor" || !e.Reviews[0].AnsweredAt.Equal(testNow) || e.State() != compliance.OfferStateOpen {
		t.Errorf("client's explanation = %+v, state %s", e.Reviews, e.State())
	}

	// The log holds the offers and the requests, intact.
	_, priv, _ := ed25519.GenerateKey(nil)
	res, err := compliance.Verify(context.Background(), f.pool, priv.Public().(ed25519.PublicKey), nil)
	if err != nil || !res.OK() || res.Records != 4 {
		t.Errorf("verify = %+v, %v; want 4 records intact", res, err)
	}
}

// accessCount counts the staff access log's views of review requests.
func (f *reviewFixture) accessCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), `SELECT count(*) FROM staff_access_log WHERE resource = 'review_request'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
