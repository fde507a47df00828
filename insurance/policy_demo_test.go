package insurance

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/demodata"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestSeedDemoPolicies: on the demo data set, Ana gets a one-month trip
// ending 8 or 9 days after the demo's today, renewable, paid, renewing
// her earlier trip, with the answers it was priced on; a second run
// changes nothing.
func TestSeedDemoPolicies(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	asOf := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	if _, err := demodata.Seed(ctx, pool, demodata.Options{Clients: 5, Seed: 1, AsOf: asOf}); err != nil {
		t.Fatal(err)
	}
	if err := ImportJourneyQuestionnaires(ctx, NewStore(pool)); err != nil {
		t.Fatal(err)
	}
	journeys, err := NewJourneys(pool)
	if err != nil {
		t.Fatal(err)
	}
	id, err := SeedDemoPolicies(ctx, pool, journeys, demodata.DemoClientEmail, asOf)
	if err != nil || id == 0 {
		t.Fatalf("seed: %d, %v", id, err)
	}
	if again, err := SeedDemoPolicies(ctx, pool, journeys, demodata.DemoClientEmail, asOf); err != nil || again != 0 {
		t.Errorf("second run: %d, %v", again, err)
	}
	s := NewPolicies(pool)
	s.Now = func() time.Time { return asOf.Add(12 * time.Hour) }
	d, err := s.Get(ctx, demodata.DemoClientID, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.StartsOn.Format(time.DateOnly) != "2026-11-14" || d.EndsOn.Format(time.DateOnly) != "2026-12-14" || !d.Renewable ||
		d.PaymentStatus != PaymentPaid || d.TermsVersion != "TRV-2026.2" || d.Line != "travel" || d.Premium.String() != "118.40 RON" {
		t.Errorf("demo trip: %+v", d.PolicySummary)
	}
	if len(d.History) != 1 || d.History[0].Status != "expired" || len(d.History[0].Answers) == 0 || len(d.Answers) != 19 {
		t.Errorf("history %+v, %d answers", d.History, len(d.Answers))
	}
	// Bought through a journey answered in full: renewing it pre-fills
	// the answers.
	if d.JourneyID == nil {
		t.Fatal("no journey")
	}
	j, err := journeys.Get(ctx, demodata.DemoClientID, *d.JourneyID)
	if err != nil || j.Status != JourneyCompleted {
		t.Fatalf("the demo journey: %+v, %v", j, err)
	}
	// The policy page shows each answer under its question, in the
	// reader's language.
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(i18n.Middleware)
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			p := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: demodata.DemoClientID}
			next.ServeHTTP(w, req.WithContext(ecrm.WithPrincipal(req.Context(), p)))
		})
	})
	NewPolicyHandler(s, pages, nil, "Banca Demo").Routes(r)
	req := httptest.NewRequest("GET", "/portal/policies/"+policyItoa(id), nil)
	req.Header.Set("Accept-Language", "ro")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if body := w.Body.String(); !strings.Contains(body, `<dt>Unde călătoriți?</dt><dd id="answer-travel.destination">Europa din afara UE</dd>`) {
		t.Errorf("the answers on the policy page (%d):\n%s", w.Code, body)
	}
	renewal, err := journeys.StartRenewal(ctx, demodata.DemoClientID, id, *d.JourneyID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := journeys.Answers(ctx, demodata.DemoClientID, renewal)
	if err != nil || len(got) != 19 || policyAnswerText(got["travel.destination"]) != "europe" {
		t.Errorf("the renewal's answers: %d, %v", len(got), err)
	}
	if len(d.Instalments) != 1 || d.Instalments[0].Amount.String() != "118.40 RON" || len(d.Instalments[0].Payments) != 1 {
		t.Errorf("instalments: %+v", d.Instalments)
	}
}
