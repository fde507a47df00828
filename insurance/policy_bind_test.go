package insurance

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/document"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/identity"
	"github.com/ecrm-project/ecrm/internal/page"
)

// bindEnv is the rating part's quote environment with a binder.
func bindEnv(t *testing.T) (*quoteEnv, *PolicyBinder, *Policies) {
	e := newQuoteEnv(t)
	b := NewPolicyBinder(e.pool, e.progs)
	b.Now = func() time.Time { return now }
	s := NewPolicies(e.pool)
	s.Now = b.Now
	return e, b, s
}

func (e *quoteEnv) quote(key string) *Quote {
	e.t.Helper()
	carp := presentedOf(e.t, e.present(e.ana, 7), "PRG-TRAVEL-CARP-EU30")
	q, _, err := e.progs.CreateQuote(context.Background(), e.ana, 7, QuoteRequest{Seq: carp.Seq}, key)
	if err != nil {
		e.t.Fatal(err)
	}
	return q
}

// TestBindQuote: one click binds Ana's one-month trip quote into a policy
// in force — its premium schedule, terms and conditions version, answers
// and questionnaire versions, the quote marked bound; the same key, or
// the same quote again, gives the same policy; Bogdan cannot bind it; a
// key is needed and serves one quote only.
func TestBindQuote(t *testing.T) {
	e, b, s := bindEnv(t)
	ctx := context.Background()
	q := e.quote("quote-1")
	if _, err := b.Bind(ctx, e.bob, q.ID, "bob-1"); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("Bob binds Ana's quote: %v", err)
	}
	if _, err := b.Bind(ctx, e.ana, q.ID, ""); !errors.Is(err, ErrBindKey) {
		t.Errorf("no key: %v", err)
	}
	res, err := b.Bind(ctx, e.ana, q.ID, "bind-1")
	if err != nil || !res.Created || res.Repriced != nil {
		t.Fatalf("bind: %+v, %v", res, err)
	}
	d, err := s.Get(ctx, e.ana, res.PolicyID)
	if err != nil {
		t.Fatal(err)
	}
	starts := q.StartsOn.Format(time.DateOnly)
	ends := PolicyEndsOn(q.StartsOn, 1).Format(time.DateOnly)
	if d.Status != "active" || d.Line != "travel" || d.StartsOn.Format(time.DateOnly) != starts || d.EndsOn.Format(time.DateOnly) != ends ||
		d.TermPremium.String() != "185.40 RON" || d.Premium.String() != "185.40 RON" || d.PremiumFrequency != "single" ||
		d.TermsVersion != "PRG-TRAVEL-CARP-EU30 v1" || *d.QuoteID != q.ID || *d.JourneyID != 7 || d.BoundAt == nil || !d.BoundAt.Equal(now) ||
		len(d.Answers) != len(travelAnswers()) || d.QuestionnaireVersions["urn:ecrm:questionnaire:insurance-travel"] != "1" ||
		!strings.HasSuffix(d.PolicyNumber, "-TRV-"+strings.Repeat("0", 8-len(strconv.FormatInt(d.ID, 10)))+strconv.FormatInt(d.ID, 10)) {
		t.Errorf("policy: %+v", d.PolicySummary)
	}
	if len(d.Instalments) != 1 || d.Instalments[0].DueOn.Format(time.DateOnly) != starts || d.Instalments[0].Amount.String() != "185.40 RON" ||
		d.Instalments[0].Status != "scheduled" {
		t.Errorf("instalments: %+v", d.Instalments)
	}
	var status string
	if err := e.pool.QueryRow(ctx, `SELECT status FROM insurance_quotes WHERE id = $1`, q.ID).Scan(&status); err != nil || status != "bound" {
		t.Errorf("quote %s, %v", status, err)
	}
	for _, key := range []string{"bind-1", "bind-2"} {
		again, err := b.Bind(ctx, e.ana, q.ID, key)
		if err != nil || again.Created || again.PolicyID != res.PolicyID {
			t.Errorf("again with %s: %+v, %v", key, again, err)
		}
	}
	other := e.quote("quote-2")
	if _, err := b.Bind(ctx, e.ana, other.ID, "bind-1"); !errors.Is(err, ErrBindKeyReused) {
		t.Errorf("a key reused for another quote: %v", err)
	}
	var n int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM insurance_policies WHERE client_id = $1`, e.ana).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d policies, %v", n, err)
	}
	// A renewal journey's quote binds the policy that renews the first.
	if _, err := e.pool.Exec(ctx, `INSERT INTO insurance_journeys (id, client_id, kind, renews_policy_id, previous_journey_id, status, current_section,
		started_at, updated_at) OVERRIDING SYSTEM VALUE VALUES (10, $1, 'renewal', $2, 7, 'in_progress', 'applicant', $3, $3)`, e.ana, res.PolicyID, now); err != nil {
		t.Fatal(err)
	}
	e.journeys[[2]int64{e.ana, 10}] = travelAnswers()
	carp := presentedOf(t, e.present(e.ana, 10), "PRG-TRAVEL-CARP-EU30")
	rq, _, err := e.progs.CreateQuote(ctx, e.ana, 10, QuoteRequest{Seq: carp.Seq}, "quote-renewal")
	if err != nil {
		t.Fatal(err)
	}
	renewal, err := b.Bind(ctx, e.ana, rq.ID, "bind-renewal")
	if err != nil || !renewal.Created {
		t.Fatalf("bind the renewal: %+v, %v", renewal, err)
	}
	rd, err := s.Get(ctx, e.ana, renewal.PolicyID)
	if err != nil || len(rd.History) != 1 || rd.History[0].ID != res.PolicyID || len(rd.History[0].Answers) != len(travelAnswers()) {
		t.Errorf("the renewal's history: %+v, %v", rd, err)
	}
	if first, _ := s.Get(ctx, e.ana, res.PolicyID); first.RenewedBy == nil || *first.RenewedBy != renewal.PolicyID || first.Renewable {
		t.Errorf("the first policy: renewed by %v, renewable %v", first.RenewedBy, first.Renewable)
	}
}

// TestBindRepriced: a quote whose rating version (and so its premium) or
// a questionnaire's version changed since is not bound: the re-pricing is
// returned with what changed, the quote superseded, and binding it again
// refused; nothing is written.
func TestBindRepriced(t *testing.T) {
	e, b, _ := bindEnv(t)
	ctx := context.Background()
	q, q2 := e.quote("quote-1"), e.quote("quote-2")
	// A new version of the travel questionnaire since the quote.
	if _, err := e.pool.Exec(ctx, `INSERT INTO questionnaires (url, version, status, definition, imported_at) VALUES
		('urn:ecrm:questionnaire:insurance-travel', '1', 'active', '{}', $1), ('urn:ecrm:questionnaire:insurance-travel', '2', 'active', '{}', $2)`,
		now.Add(-time.Hour), now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	res, err := b.Bind(ctx, e.ana, q2.ID, "bind-2")
	if err != nil || res.Repriced == nil || !slices.Equal(res.Changes, []string{"questionnaire_version"}) {
		t.Fatalf("bind after a new questionnaire version: %+v, %v", res, err)
	}
	if _, err := e.pool.Exec(ctx, `DELETE FROM questionnaires WHERE version = '2'`); err != nil {
		t.Fatal(err)
	}
	// A new rating version, with a new premium.
	list, err := DemoProgrammes()
	if err != nil {
		t.Fatal(err)
	}
	spec := list[slices.IndexFunc(list, func(s ProgrammeSpec) bool { return s.Product.Code == "PRG-TRAVEL-CARP-EU30" })]
	spec.Rating.Version, spec.Rating.Base = 2, decimal.RequireFromString("42")
	if err := LoadProgrammes(ctx, e.pool, []ProgrammeSpec{spec}, asOf.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	res, err = b.Bind(ctx, e.ana, q.ID, "bind-1")
	if err != nil || res.Repriced == nil || res.Created || res.PolicyID != 0 || !slices.Equal(res.Changes, []string{"rating_version", "premium"}) ||
		res.Repriced.Current.Premium.StringFixed(2) != "192.42" || res.Repriced.Quote.Premium.String() != "185.40 RON" {
		t.Fatalf("bind of a re-priced quote: %+v, %v", res, err)
	}
	for _, id := range []int64{q.ID, q2.ID} {
		if _, err := b.Bind(ctx, e.ana, id, "bind-3"); !errors.Is(err, ErrQuoteNotBindable) {
			t.Errorf("the superseded quote %d bound: %v", id, err)
		}
		var status string
		if err := e.pool.QueryRow(ctx, `SELECT status FROM insurance_quotes WHERE id = $1`, id).Scan(&status); err != nil || status != "superseded" {
			t.Errorf("quote %d %s, %v", id, status, err)
		}
	}
	var n int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM insurance_policies`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d policies, %v", n, err)
	}
}

// TestBindRoutes: the Buy button binds and shows the policy; the API
// needs an Idempotency-Key, answers 201 then 200 with the same policy;
// Bogdan gets 404 on both; a re-priced quote is shown again (409) with
// what changed and the way back to the programmes.
func TestBindRoutes(t *testing.T) {
	e, b, s := bindEnv(t)
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := document.New()
	if err != nil {
		t.Fatal(err)
	}
	h := NewPolicyHandler(s, pages, docs, "Banca Demo")
	h.SetBinder(b)
	// server serves as the client, logged in loginAge ago.
	server := func(client int64, loginAge time.Duration) http.Handler {
		r := chi.NewRouter()
		r.Use(i18n.Middleware)
		r.Use(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				p := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: client, AuthTime: time.Now().Add(-loginAge)}
				next.ServeHTTP(w, req.WithContext(ecrm.WithPrincipal(req.Context(), p)))
			})
		})
		h.Routes(r)
		return r
	}
	ana, bob := server(e.ana, time.Minute), server(e.bob, time.Minute)
	post := func(h http.Handler, path, key string, form bool) *httptest.ResponseRecorder {
		var req *http.Request
		if form {
			req = httptest.NewRequest("POST", path, strings.NewReader("key="+key))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req = httptest.NewRequest("POST", path, nil)
			req.Header.Set("Accept", "application/json")
			if key != "" {
				req.Header.Set("Idempotency-Key", key)
			}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	q := e.quote("quote-1")
	page := "/portal/insurance/quotes/" + policyItoa(q.ID) + "/bind"
	api := "/api/v1/me/insurance/quotes/" + policyItoa(q.ID) + "/bind"
	if w := post(bob, page, "k", true); w.Code != http.StatusNotFound {
		t.Errorf("Bob's Buy: %d", w.Code)
	}
	if w := post(bob, api, "k", false); w.Code != http.StatusNotFound {
		t.Errorf("Bob's bind API: %d", w.Code)
	}
	if w := post(ana, api, "", false); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"field":"Idempotency-Key"`) {
		t.Errorf("no key: %d %s", w.Code, w.Body)
	}
	// A login older than the step-up age: the page sends Ana to log in
	// again and back to the quote, the API answers 401 with the max_age
	// to ask for; nothing is bound. Bob's stale login still finds nothing.
	staleAna, staleBob := server(e.ana, identity.DefaultStepUpAge+time.Minute), server(e.bob, time.Hour)
	if w := post(staleAna, page, "quote-"+policyItoa(q.ID), true); w.Code != http.StatusSeeOther ||
		w.Header().Get("Location") != "/login?max_age=600&return_to=%2Fportal%2Finsurance%2Fquotes%2F"+policyItoa(q.ID) {
		t.Errorf("Buy with an old login: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := post(staleAna, api, "old", false); w.Code != http.StatusUnauthorized ||
		!strings.Contains(w.Header().Get("WWW-Authenticate"), `error="insufficient_user_authentication"`) || !strings.Contains(w.Header().Get("WWW-Authenticate"), "max_age=600") {
		t.Errorf("bind API with an old login: %d %v", w.Code, w.Header())
	}
	if w := post(staleBob, page, "k", true); w.Code != http.StatusNotFound {
		t.Errorf("Bob's Buy with an old login: %d", w.Code)
	}
	var bound int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM insurance_policies WHERE quote_id = $1`, q.ID).Scan(&bound); err != nil || bound != 0 {
		t.Fatalf("bound with an old login: %d %v", bound, err)
	}
	w := post(ana, page, "quote-"+policyItoa(q.ID), true)
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/portal/policies/") || !strings.HasSuffix(loc, "?bound=1") {
		t.Fatalf("Buy: %d %s", w.Code, loc)
	}
	req := httptest.NewRequest("GET", loc, nil)
	rec := httptest.NewRecorder()
	ana.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), `id="bound-notice"`) || !strings.Contains(rec.Body.String(), "PRG-TRAVEL-CARP-EU30 v1") {
		t.Errorf("the bound policy's page: %d", rec.Code)
	}
	if w := post(ana, api, "api-1", false); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"quote_id":`+policyItoa(q.ID)) {
		t.Errorf("API after the page: %d %s", w.Code, w.Body)
	}
	q2 := e.quote("quote-2")
	api2 := "/api/v1/me/insurance/quotes/" + policyItoa(q2.ID) + "/bind"
	if w := post(ana, api2, "api-2", false); w.Code != http.StatusCreated || w.Header().Get("Location") == "" {
		t.Errorf("API bind: %d %s", w.Code, w.Body)
	}
	if w := post(ana, api2, "api-2", false); w.Code != http.StatusOK {
		t.Errorf("API bind again: %d", w.Code)
	}
	// Re-priced: a new rating version comes into force.
	list, _ := DemoProgrammes()
	spec := list[slices.IndexFunc(list, func(s ProgrammeSpec) bool { return s.Product.Code == "PRG-TRAVEL-CARP-EU30" })]
	spec.Rating.Version, spec.Rating.Base = 2, decimal.RequireFromString("42")
	if err := LoadProgrammes(context.Background(), e.pool, []ProgrammeSpec{spec}, asOf.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	// (quoted on the presentation recorded before the new rating, which
	// the gate recalls within its window: at the old premium)
	q3, q4 := e.quote("quote-3"), e.quote("quote-4")
	w = post(ana, "/portal/insurance/quotes/"+policyItoa(q3.ID)+"/bind", "k3", true)
	if body := w.Body.String(); w.Code != http.StatusConflict || !strings.Contains(body, `id="repriced-current"`) ||
		!strings.Contains(body, `href="/portal/insurance/journeys/7/choice"`) || !strings.Contains(body, "The insurer&#39;s rates have changed.") {
		t.Errorf("re-priced page: %d\n%s", w.Code, body)
	}
	w = post(ana, "/api/v1/me/insurance/quotes/"+policyItoa(q4.ID)+"/bind", "k4", false)
	if body := w.Body.String(); w.Code != http.StatusConflict || w.Header().Get("Content-Type") != "application/problem+json" ||
		!strings.Contains(body, `"changes":["rating_version","premium"]`) || !strings.Contains(body, `"choice_url":"/portal/insurance/journeys/7/choice"`) {
		t.Errorf("re-priced API: %d %s", w.Code, body)
	}
}
