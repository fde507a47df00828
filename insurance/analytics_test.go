package insurance

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
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

func consoleServer(t testing.TB, j *Journeys) http.Handler {
	t.Helper()
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(i18n.Middleware, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			switch req.Header.Get("X-Role") {
			case "admin":
				req = req.WithContext(ecrm.WithPrincipal(req.Context(), &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 1, Roles: []string{ecrm.RoleAdmin}}))
			case "advisor":
				req = req.WithContext(ecrm.WithPrincipal(req.Context(), &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 2, Roles: []string{ecrm.RoleAdvisor}}))
			case "client":
				req = req.WithContext(ecrm.WithPrincipal(req.Context(), &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: 1}))
			}
			next.ServeHTTP(w, req)
		})
	})
	NewJourneyConsole(j, pages, time.UTC).Routes(r)
	return r
}

func consoleGet(h http.Handler, path, role string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("X-Role", role)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestPreviewRendersPublishedExample: the FHIR R4 specification's f201
// example (testdata) renders every item for an administrator; answers
// tried in the query mark what they enable and name a wrong one; anyone
// else is refused.
func TestPreviewRendersPublishedExample(t *testing.T) {
	_, j := journeyFixture(t)
	data, err := os.ReadFile("testdata/fhir-r4-questionnaire-example-f201-lifelines.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := NewStore(j.pool).Import(context.Background(), data, 0)
	if err != nil || len(res.Problems) > 0 {
		t.Fatal(err, res.Problems)
	}
	h := consoleServer(t, j)
	path := "/console/questionnaires/" + strconv.FormatInt(res.ID, 10) + "/preview"
	w := consoleGet(h, path, "admin")
	body := w.Body.String()
	for _, want := range []string{`id="q-1"`, `id="q-2-1"`, `type="date"`, `Do you drink alchohol?`, `<dd id="preview-questions">7</dd>`} {
		if !strings.Contains(body, want) {
			t.Errorf("f201 preview (%d) lacks %s", w.Code, want)
		}
	}
	w = consoleGet(h, path+"?2.2=yesterday", "admin")
	if !strings.Contains(w.Body.String(), `id="q-2-2-error">Enter a date as year-month-day, such as 1985-03-01.</p>`) {
		t.Errorf("a wrong date not named")
	}
	// The specification's Zika example renders with its chain of
	// conditions: "no" to the first question shows the travel question
	// and leaves how long ago hidden until that is "yes".
	zika, err := os.ReadFile("testdata/fhir-r4-questionnaire-example-zika-virus-exposure-assessment.json")
	if err != nil {
		t.Fatal(err)
	}
	zres, err := NewStore(j.pool).Import(context.Background(), zika, 0)
	if err != nil || len(zres.Problems) > 0 {
		t.Fatal(err, zres.Problems)
	}
	zpath := "/console/questionnaires/" + strconv.FormatInt(zres.ID, 10) + "/preview"
	w = consoleGet(h, zpath+"?1=false", "admin")
	if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, "Have you recently traveled to an area with active Zika transmission?") ||
		!strings.Contains(body, `id="q-3-hidden"`) || strings.Contains(body, `id="q-2-hidden"`) {
		t.Errorf("zika preview %d", w.Code)
	}
	// The journey's own sections render too, with their conditions.
	applicant, _ := latestVersion(context.Background(), j.pool, "urn:ecrm:questionnaire:insurance-applicant")
	w = consoleGet(h, "/console/questionnaires/"+strconv.FormatInt(applicant, 10)+"/preview", "admin")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `<code>applicant.dependants &gt; 0</code>`) ||
		!strings.Contains(w.Body.String(), `id="q-applicant-children_under_18-hidden"`) {
		t.Errorf("applicant preview %d", w.Code)
	}
	for role, want := range map[string]int{"advisor": 403, "client": 403, "": 401} {
		if w := consoleGet(h, path, role); w.Code != want {
			t.Errorf("%q: %d, want %d", role, w.Code, want)
		}
		if w := consoleGet(h, "/console/insurance/analytics", role); w.Code != want {
			t.Errorf("analytics for %q: %d, want %d", role, w.Code, want)
		}
	}
	if w := consoleGet(h, "/console/questionnaires/999/preview", "admin"); w.Code != 404 {
		t.Errorf("unknown: %d", w.Code)
	}
}

// TestAnalytics: three journeys: one completed travel journey, one left
// after the household size in the first section, one left at the needs
// section before answering; the figures per version are exact.
func TestAnalytics(t *testing.T) {
	_, j := journeyFixture(t)
	ctx := context.Background()
	completeTravelJourney(t, j, 1)
	qid := func(section string) int64 {
		s, _, _ := j.def.Section(section)
		id, err := latestVersion(ctx, j.pool, s.URL)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	left, _ := j.Start(ctx, 2)
	_ = j.RecordView(ctx, 2, left, qid("applicant"))
	if _, err := j.Save(ctx, 2, left, "applicant", Answers{"applicant.birth_date": {date("1980-01-01")}}, SaveOptions{Changed: []string{"applicant.birth_date"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Save(ctx, 2, left, "applicant", Answers{"applicant.birth_date": {date("1980-01-01")}, "applicant.household_size": {integer(4)}},
		SaveOptions{Changed: []string{"applicant.household_size"}}); err != nil {
		t.Fatal(err)
	}
	third, _ := j.Start(ctx, 3)
	_ = j.RecordView(ctx, 3, third, qid("applicant"))
	if _, err := j.Save(ctx, 3, third, "applicant", applicantAnswers(), SaveOptions{Submit: true}); err != nil {
		t.Fatal(err)
	}
	_ = j.RecordView(ctx, 3, third, qid("needs"))
	stats, err := j.Analytics(ctx, time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]VersionStats{}
	for _, s := range stats {
		got[strings.TrimPrefix(s.URL, "urn:ecrm:questionnaire:insurance-")] = s
	}
	a := got["applicant"]
	if a.Starts != 3 || a.Completions != 2 || a.Dropped != 1 || len(a.DropOff) != 1 || a.DropOff[0] != (QuestionDropOff{"applicant.household_size", 1}) {
		t.Errorf("applicant %+v", a)
	}
	n := got["needs"]
	if n.Completions != 1 || n.Dropped != 1 || len(n.DropOff) != 1 || n.DropOff[0].LinkID != "" {
		t.Errorf("needs %+v", n)
	}
	if stats[0].URL != "urn:ecrm:questionnaire:insurance-applicant" {
		t.Errorf("not in the journey's order: %s first", stats[0].URL)
	}
	h := consoleServer(t, j)
	j.Now = func() time.Time { return time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC) }
	w := consoleGet(h, "/console/insurance/analytics", "admin")
	body := w.Body.String()
	for _, want := range []string{`<td class="numeric" data-figure="starts">3</td>`, `<td class="numeric" data-figure="rate">66.7%</td>`,
		`<svg`, `data-link-id="applicant.household_size"`} {
		if !strings.Contains(body, want) {
			t.Errorf("analytics page (%d) lacks %s", w.Code, want)
		}
	}
}

// TestSeedDemoJourneys: the demo's journeys give the analytics page
// figures; seeding again adds nothing.
func TestSeedDemoJourneys(t *testing.T) {
	pool, j := journeyFixture(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO clients (id, given_name, family_name) SELECT g, 'Demo', 'Client ' || g FROM generate_series(10, 60) g`); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	n, err := SeedDemoJourneys(ctx, pool, now)
	if err != nil || n != 36 {
		t.Fatalf("seeded %d, %v", n, err)
	}
	if again, err := SeedDemoJourneys(ctx, pool, now); err != nil || again != 0 {
		t.Errorf("again: %d %v", again, err)
	}
	stats, err := j.Analytics(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	a := stats[0]
	// 36 journeys: 6 of each path; 6 left the applicant section after
	// the household size.
	// Each answer a live change 37 s after the last (the seed's clock):
	// the applicant section is submitted four answers and a submit after
	// the view, 185 s.
	if a.Starts != 36 || a.Completions != 30 || a.Dropped != 6 || a.DropOff[0] != (QuestionDropOff{"applicant.household_size", 6}) ||
		!a.MedianSeconds.Equal(decimal.NewFromInt(185)) {
		t.Errorf("applicant %+v", a)
	}
	var completed int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM insurance_journeys WHERE status = 'completed'`).Scan(&completed); err != nil || completed != 12 {
		t.Errorf("%d completed, %v", completed, err)
	}
}
