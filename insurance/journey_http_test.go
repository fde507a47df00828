package insurance

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
)

// journeyServer serves the journey routes; the X-Client header names the
// client the request is made for (none: anonymous; "staff": an advisor).
func journeyServer(t testing.TB, j *Journeys, sel ProgrammeSelector) http.Handler {
	t.Helper()
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(i18n.Middleware, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			switch c := req.Header.Get("X-Client"); c {
			case "":
			case "staff":
				req = req.WithContext(ecrm.WithPrincipal(req.Context(), &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 1, Roles: []string{ecrm.RoleAdvisor}}))
			default:
				id, _ := strconv.ParseInt(c, 10, 64)
				req = req.WithContext(ecrm.WithPrincipal(req.Context(), &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: id, Name: "Test", Prospect: id == 3}))
			}
			next.ServeHTTP(w, req)
		})
	})
	NewJourneyHandler(j, pages, sel).Routes(r)
	return r
}

type journeyCall struct {
	method, path, client, body, lang string
	form                             url.Values
}

// liveCall is what the form[data-live] script sends for a change: the
// section's form posted without its submit button (target's query).
func liveCall(target, client string) journeyCall {
	path, query, _ := strings.Cut(target, "?")
	form, _ := url.ParseQuery(query)
	return journeyCall{method: "POST", path: path, client: client, form: form}
}

func do(t testing.TB, h http.Handler, c journeyCall) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	switch {
	case c.form != nil:
		req = httptest.NewRequest(c.method, c.path, strings.NewReader(c.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	default:
		req = httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if c.client != "" {
		req.Header.Set("X-Client", c.client)
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestJourneyPages: Radu, a prospect, starts a journey, submits the first
// section half done and reads each missing answer at its question (in
// Romanian too), a live change saves what he typed, a complete submit
// leads to the needs section, and the last one to the choice page.
func TestJourneyPages(t *testing.T) {
	_, j := journeyFixture(t)
	h := journeyServer(t, j, nil)
	w := do(t, h, journeyCall{method: "GET", path: "/portal/insurance", client: "3"})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `id="journeys-none"`) {
		t.Fatalf("start page %d", w.Code)
	}
	w = do(t, h, journeyCall{method: "POST", path: "/portal/insurance/journeys", client: "3", form: url.Values{}})
	if w.Code != http.StatusSeeOther || !regexp.MustCompile(`^/portal/insurance/journeys/\d+/sections/applicant$`).MatchString(w.Header().Get("Location")) {
		t.Fatalf("start: %d %s", w.Code, w.Header().Get("Location"))
	}
	section := w.Header().Get("Location")
	w = do(t, h, journeyCall{method: "GET", path: section, client: "3"})
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, `id="q-applicant-birth_date"`) || strings.Contains(body, `id="q-applicant-children_under_18"`) {
		t.Fatalf("section page %d", w.Code)
	}
	w = do(t, h, journeyCall{method: "POST", path: section, client: "3", form: url.Values{"applicant.birth_date": {"1990-05-05"},
		"applicant.household_size": {"two"}, "step": {"next"}}})
	body = w.Body.String()
	for _, want := range []string{`<p class="field-error" id="q-applicant-household_size-error">Enter a whole number.</p>`,
		`<p class="field-error" id="q-applicant-region-error">Answer this question.</p>`, `value="two"`, `value="1990-05-05"`} {
		if !strings.Contains(body, want) {
			t.Errorf("half-done submit (%d) lacks %s", w.Code, want)
		}
	}
	if w.Code != http.StatusUnprocessableEntity {
		t.Errorf("half-done submit: %d", w.Code)
	}
	w = do(t, h, journeyCall{method: "POST", path: section, client: "3", lang: "ro", form: url.Values{"applicant.household_size": {"13"}, "step": {"next"}}})
	if body = w.Body.String(); !strings.Contains(body, `id="q-applicant-household_size-error">Introduceți cel mult 12.</p>`) ||
		!strings.Contains(body, `id="q-applicant-region-error">Răspundeți la această întrebare.</p>`) || !strings.Contains(body, "Regiunea") {
		t.Errorf("Romanian errors missing")
	}
	// A live change (the script's POST) saves; a dependant shows the
	// children question.
	w = do(t, h, liveCall(section+"?applicant.dependants=1&applicant.birth_date=1990-05-05", "3"))
	if w.Code != 200 || !strings.Contains(w.Body.String(), `id="q-applicant-children_under_18"`) {
		t.Errorf("live change: %d", w.Code)
	}
	id, _ := strconv.ParseInt(strings.Split(section, "/")[4], 10, 64)
	if a, err := j.Answers(context.Background(), 3, id); err != nil || len(a) != 2 {
		t.Errorf("saved by the live change: %v %v", a, err)
	}
	w = do(t, h, journeyCall{method: "POST", path: section, client: "3", form: url.Values{"applicant.birth_date": {"1990-05-05"},
		"applicant.household_size": {"2"}, "applicant.region": {"vest"}, "applicant.employment": {"employed"}, "step": {"next"}}})
	if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "/sections/needs") {
		t.Fatalf("complete submit: %d %s", w.Code, w.Header().Get("Location"))
	}
	// The needs page's panel: the selector's candidates as the answers
	// stand; an unavailable selector says so and the answers still save.
	hs := journeyServer(t, j, lineSelector{})
	needs := strings.Replace(section, "applicant", "needs", 1)
	w = do(t, hs, liveCall(needs+"?needs.protect=travel&needs.protect=home", "3"))
	if body := w.Body.String(); !strings.Contains(body, `<li data-line="travel" data-outcome="accept"><strong>Travel Basic</strong> — Test Insurer<br><span class="amount">RON`+"\u00a0"+`150.00</span></li>`) ||
		!strings.Contains(body, `id="panel-indicative"`) {
		t.Errorf("panel: %s", body[strings.Index(body, "journey-panel"):])
	}
	w = do(t, journeyServer(t, j, lineSelector{fail: true}), liveCall(needs+"?needs.protect=life", "3"))
	if !strings.Contains(w.Body.String(), `id="panel-unavailable"`) {
		t.Error("a failing selector not said")
	}
	if a, _ := j.Answers(context.Background(), 3, id); len(a["needs.protect"]) != 1 || a["needs.protect"][0].Coding.Code != "life" {
		t.Errorf("saved with a failing selector: %v", a["needs.protect"])
	}
	// The motor section does not apply: its page leads back.
	w = do(t, h, journeyCall{method: "GET", path: strings.Replace(section, "applicant", "motor", 1), client: "3"})
	if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "/sections/needs") {
		t.Errorf("motor: %d %s", w.Code, w.Header().Get("Location"))
	}
	w = do(t, h, journeyCall{method: "GET", path: "/portal/insurance", client: "3"})
	if !strings.Contains(w.Body.String(), `data-status="in_progress"`) {
		t.Errorf("list after start: %s", w.Body)
	}
}

// TestJourneyRoutesRefuseOtherClients: every journey route, page and
// API, answers another client's journey as not found and changes nothing;
// staff and anonymous callers are refused.
func TestJourneyRoutesRefuseOtherClients(t *testing.T) {
	_, j := journeyFixture(t)
	h := journeyServer(t, j, nil)
	id, err := j.Start(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	base := "/portal/insurance/journeys/" + strconv.FormatInt(id, 10)
	api := "/api/v1/me/insurance/journeys/" + strconv.FormatInt(id, 10)
	routes := []journeyCall{
		{method: "GET", path: base},
		{method: "GET", path: base + "/sections/applicant"},
		liveCall(base+"/sections/applicant?applicant.household_size=3", ""),
		{method: "POST", path: base + "/sections/applicant", form: url.Values{"applicant.household_size": {"3"}}},
		{method: "GET", path: api},
		{method: "GET", path: api + "/sections/applicant/answers"},
		{method: "PUT", path: api + "/sections/applicant/answers", body: `{"answers": {"applicant.household_size": [{"integer": 3}]}}`},
		{method: "POST", path: api + "/sections/applicant/submit"},
	}
	for _, c := range routes {
		c.client = "2"
		if w := do(t, h, c); w.Code != http.StatusNotFound {
			t.Errorf("Ion: %s %s = %d, want 404", c.method, c.path, w.Code)
		}
		c.client = "staff"
		if w := do(t, h, c); w.Code != http.StatusUnauthorized {
			t.Errorf("staff: %s %s = %d, want 401", c.method, c.path, w.Code)
		}
		c.client = ""
		if w := do(t, h, c); w.Code != http.StatusUnauthorized {
			t.Errorf("anonymous: %s %s = %d, want 401", c.method, c.path, w.Code)
		}
	}
	for _, c := range []journeyCall{{method: "GET", path: "/portal/insurance"}, {method: "POST", path: "/portal/insurance/journeys", form: url.Values{}},
		{method: "GET", path: "/api/v1/me/insurance/journeys"}, {method: "POST", path: "/api/v1/me/insurance/journeys"}} {
		if w := do(t, h, c); w.Code != http.StatusUnauthorized {
			t.Errorf("anonymous: %s %s = %d, want 401", c.method, c.path, w.Code)
		}
	}
	if w := do(t, h, journeyCall{method: "GET", path: "/api/v1/me/insurance/journeys", client: "2"}); w.Body.String() != `{"journeys":[]}`+"\n" {
		t.Errorf("Ion's list: %s", w.Body)
	}
	if a, _ := j.Answers(context.Background(), 1, id); len(a) != 0 {
		t.Errorf("Ana's journey changed: %v", a)
	}
}

// TestJourneyAPI: a mobile app starts a journey, puts wrong answers (422
// naming each question, nothing saved), good ones, submits, reads them
// back.
func TestJourneyAPI(t *testing.T) {
	_, j := journeyFixture(t)
	h := journeyServer(t, j, nil)
	w := do(t, h, journeyCall{method: "POST", path: "/api/v1/me/insurance/journeys", client: "1"})
	if w.Code != http.StatusCreated {
		t.Fatalf("start %d %s", w.Code, w.Body)
	}
	loc := w.Header().Get("Location")
	w = do(t, h, journeyCall{method: "PUT", path: loc + "/sections/applicant/answers", client: "1",
		body: `{"answers": {"applicant.household_size": [{"integer": 20}], "applicant.region": [{"coding": {"code": "mars"}}], "applicant.dependants": [{"integer": 1}], "applicant.children_under_18": [{"integer": 1}]}}`})
	if w.Code != 422 || !strings.Contains(w.Body.String(), `{"field":"applicant.household_size","message":"is above the most allowed, 12"}`) ||
		!strings.Contains(w.Body.String(), `{"field":"applicant.region","message":"is not one of the options"}`) {
		t.Errorf("wrong answers: %d %s", w.Code, w.Body)
	}
	w = do(t, h, journeyCall{method: "PUT", path: loc + "/sections/applicant/answers", client: "1",
		body: `{"answers": {"applicant.children_under_18": [{"integer": 1}]}}`})
	if w.Code != 422 || !strings.Contains(w.Body.String(), `"field":"applicant.children_under_18","message":"the question does not apply to the answers given"`) {
		t.Errorf("a disabled question: %d %s", w.Code, w.Body)
	}
	good := `{"answers": {"applicant.birth_date": [{"date": "1985-03-01"}], "applicant.household_size": [{"integer": 3}], "applicant.region": [{"coding": {"code": "vest"}}], "applicant.employment": [{"coding": {"code": "employed"}}]}}`
	if w = do(t, h, journeyCall{method: "PUT", path: loc + "/sections/applicant/answers", client: "1", body: good}); w.Code != 200 {
		t.Errorf("good answers: %d %s", w.Code, w.Body)
	}
	w = do(t, h, journeyCall{method: "POST", path: loc + "/sections/applicant/submit", client: "1"})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"next":"needs"`) || !strings.Contains(w.Body.String(), `"completed":true`) {
		t.Errorf("submit: %d %s", w.Code, w.Body)
	}
	w = do(t, h, journeyCall{method: "GET", path: loc + "/sections/applicant/answers", client: "1"})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"applicant.household_size":[{"integer":3}]`) || !strings.Contains(w.Body.String(), `"status":"completed"`) {
		t.Errorf("read back: %d %s", w.Code, w.Body)
	}
	w = do(t, h, journeyCall{method: "POST", path: loc + "/sections/needs/submit", client: "1", body: `{"answers": {"needs.protect": [{"coding": {"code": "travel"}}]}}`})
	if w.Code != 422 || !strings.Contains(w.Body.String(), `{"field":"needs.budget_monthly","message":"is required"}`) {
		t.Errorf("needs incomplete: %d %s", w.Code, w.Body)
	}
}

// lineSelector stands in for programme selection (selection.go) in the
// journey's tests: one candidate per line asked for in needs.protect, its
// premium RON 100 plus 10 per answer given, exact.
type lineSelector struct{ fail bool }

func (s lineSelector) Select(_ context.Context, answers Answers, _ time.Time) (*Selection, error) {
	if s.fail {
		return nil, errors.New("rating tables unavailable")
	}
	sel := &Selection{}
	for _, v := range answers["needs.protect"] {
		line := v.Coding.Code
		sel.Candidates = append(sel.Candidates, Candidate{Insurer: "Test Insurer", Name: strings.ToUpper(line[:1]) + line[1:] + " Basic",
			Line: line, Outcome: OutcomeAccept, Rank: 1, Currency: "RON",
			Premium: decimal.NewFromInt(100 + 10*int64(len(answers))), Missing: []string{"travel.days"}})
	}
	return sel, nil
}

// TestRenewalPage: a renewal under a newer travel questionnaire shows the
// two new or changed questions marked, the kept answers filled in.
func TestRenewalPage(t *testing.T) {
	_, j := journeyFixture(t)
	ctx := context.Background()
	first := completeTravelJourney(t, j, 1)
	data, _ := questionnaireFiles.ReadFile("questionnaires/insurance-travel.json")
	v2 := strings.Replace(string(data), `"version": "1"`, `"version": "2"`, 1)
	v2 = strings.Replace(v2, `"How many days? (a month is 30)"`, `"How many days will you be away?"`, 1)
	if _, err := NewStore(j.pool).Import(ctx, []byte(v2), 0); err != nil {
		t.Fatal(err)
	}
	id, err := j.StartRenewal(ctx, 1, 0, first)
	if err != nil {
		t.Fatal(err)
	}
	h := journeyServer(t, j, nil)
	w := do(t, h, journeyCall{method: "GET", path: "/portal/insurance/journeys/" + strconv.FormatInt(id, 10), client: "1"})
	if loc := w.Header().Get("Location"); !strings.HasSuffix(loc, "/sections/travel") {
		t.Fatalf("renewal opens at %s", loc)
	}
	w = do(t, h, journeyCall{method: "GET", path: w.Header().Get("Location"), client: "1"})
	body := w.Body.String()
	for _, want := range []string{`id="q-travel-days-attention"`, `id="renewal-note"`, "1 question is new or changed", `value="eu" checked`} {
		if !strings.Contains(body, want) {
			t.Errorf("renewal page lacks %s", want)
		}
	}
	if strings.Contains(body, `id="q-travel-destination-attention"`) {
		t.Error("an unchanged question marked")
	}
	if do(t, h, journeyCall{method: "GET", path: "/portal/insurance/journeys/" + strconv.FormatInt(id, 10), client: "2"}).Code != http.StatusNotFound {
		t.Error("another client opens the renewal")
	}
}

// TestJourneyPanelWithSelector: with programme selection's own Selector
// and the demo programmes, the needs section's live change lists travel
// programmes with the premiums the Selector computes on the journey's
// answers, to the cent.
func TestJourneyPanelWithSelector(t *testing.T) {
	pool, j := journeyFixture(t)
	ctx := context.Background()
	if err := LoadDemoProgrammes(ctx, pool); err != nil {
		t.Fatal(err)
	}
	sel := NewSelector(pool)
	h := journeyServer(t, j, sel)
	id, err := j.Start(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Save(ctx, 3, id, "applicant", applicantAnswers(), SaveOptions{Submit: true}); err != nil {
		t.Fatal(err)
	}
	w := do(t, h, liveCall("/portal/insurance/journeys/"+strconv.FormatInt(id, 10)+
		"/sections/needs?needs.protect=travel&needs.budget_monthly=150&needs.priority=price&needs.deductible=500", "3"))
	body := w.Body.String()
	answers, err := j.Answers(ctx, 3, id)
	if err != nil {
		t.Fatal(err)
	}
	want, err := sel.Select(ctx, answers, j.Now())
	if err != nil {
		t.Fatal(err)
	}
	var travel []Candidate
	for _, c := range want.Candidates {
		if c.Line == "travel" && c.Outcome != OutcomeDecline {
			travel = append(travel, c)
		}
	}
	if len(travel) == 0 {
		t.Fatal("the Selector offers no travel programme on these answers")
	}
	first := travel[0]
	premium := english.Money(ecrm.Money{Amount: first.Premium, Currency: "RON"})
	if w.Code != 200 || !strings.Contains(body, `data-line="travel"`) || !strings.Contains(body, premium) || strings.Contains(body, `id="panel-unavailable"`) {
		t.Errorf("panel (%d) lacks %s of %s", w.Code, premium, first.Name)
	}
}
