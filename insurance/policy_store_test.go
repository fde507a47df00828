package insurance

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/document"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// policyToday is the fixtures' today.
var policyToday = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

// policyFixture: Ana (client 1) holds an expired one-month trip (101), the
// trip that renewed it, ending on 20 December (102, single premium paid),
// and a home policy paid quarterly whose September premium is unpaid
// (103); Bogdan (client 2) holds a motor policy ending on 15 December
// (201).
func policyFixture(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.New(t)
	_, err := pool.Exec(context.Background(), `
INSERT INTO clients (id, given_name, family_name, email, preferred_language) VALUES
    (1, 'Ana', 'Popescu', 'ana@example.com', 'ro'), (2, 'Bogdan', 'Marin', 'bogdan@example.com', 'en');
INSERT INTO insurance_journeys (id, client_id, kind, status, current_section, started_at, updated_at, completed_at) OVERRIDING SYSTEM VALUE
    VALUES (7, 1, 'new', 'completed', 'existing', '2026-11-10', '2026-11-10', '2026-11-10');
INSERT INTO insurance_policies (id, client_id, policy_number, insurer, line, status, starts_on, ends_on, sum_insured, premium, currency,
    premium_frequency, short_term, terms_version, answers, questionnaire_versions, renews_policy_id, term_premium, journey_id) VALUES
    (101, 1, 'ALZ-TRV-00000101', 'Allianz-Țiriac', 'travel', 'expired', '2026-10-01', '2026-11-01', 50000, 110.00, 'RON', 'single', true,
     'TRV-2026.1', '{"travel.destination": [{"coding": {"code": "eu"}}], "travel.days": [{"integer": 31}]}', '{"urn:ecrm:questionnaire:insurance-travel": "1"}', NULL, 110.00, NULL),
    (102, 1, 'ALZ-TRV-00000102', 'Allianz-Țiriac', 'travel', 'active', '2026-11-20', '2026-12-20', 50000, 120.00, 'RON', 'single', true,
     'TRV-2026.2', '{"travel.destination": [{"coding": {"code": "europe"}}], "travel.days": [{"integer": 30}], "health.smoker": [{"boolean": false}]}',
     '{"urn:ecrm:questionnaire:insurance-travel": "1"}', 101, 120.00, 7),
    (103, 1, 'GRM-HOM-00000103', 'Groupama', 'home', 'active', '2026-03-10', '2027-03-10', 400000, 100.00, 'RON', 'quarterly', true,
     NULL, NULL, NULL, NULL, NULL, NULL),
    (201, 2, 'OMN-MOT-00000201', 'Omniasig', 'motor', 'active', '2026-06-15', '2026-12-15', 6450000, 450.00, 'RON', 'single', true,
     NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO premium_instalments (id, policy_id, client_id, due_on, amount, currency, status) VALUES
    (1011, 101, 1, '2026-10-01', 110.00, 'RON', 'paid'),
    (1021, 102, 1, '2026-11-20', 120.00, 'RON', 'paid'),
    (1031, 103, 1, '2026-03-10', 100.00, 'RON', 'paid'),
    (1032, 103, 1, '2026-06-10', 100.00, 'RON', 'paid'),
    (1033, 103, 1, '2026-09-10', 100.00, 'RON', 'late'),
    (1034, 103, 1, '2026-12-10', 100.00, 'RON', 'scheduled'),
    (2011, 201, 2, '2026-06-15', 450.00, 'RON', 'paid');
INSERT INTO premium_payments (instalment_id, policy_id, client_id, paid_at, amount, currency, method) VALUES
    (1011, 101, 1, '2026-09-28 09:00+00', 110.00, 'RON', 'card'),
    (1021, 102, 1, '2026-11-18 09:30+00', 120.00, 'RON', 'card'),
    (1031, 103, 1, '2026-03-10 06:00+00', 100.00, 'RON', 'direct_debit'),
    (1032, 103, 1, '2026-06-12 06:00+00', 100.00, 'RON', 'transfer'),
    (2011, 201, 2, '2026-06-14 12:00+00', 450.00, 'RON', 'card');`)
	if err != nil {
		t.Fatal(err)
	}
	return pool
}

func fixturePolicies(pool *pgxpool.Pool) *Policies {
	s := NewPolicies(pool)
	s.Now = func() time.Time { return policyToday }
	return s
}

// TestPoliciesList: Ana's policies, in force first, with the next
// premium and the payment status; Bogdan's are not among them.
func TestPoliciesList(t *testing.T) {
	pool := policyFixture(t)
	s := fixturePolicies(pool)
	list, err := s.List(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range list {
		next := "-"
		if p.NextPremium != nil {
			next = p.NextPremium.DueOn.Format(time.DateOnly) + " " + p.NextPremium.Amount.String() + " " + p.NextPremium.PaymentStatus
		}
		got = append(got, strings.Join([]string{p.PolicyNumber, p.Status, p.PaymentStatus, next, p.SumInsured.String(),
			boolWord(p.Renewable, "renewable")}, " | "))
	}
	want := []string{
		"GRM-HOM-00000103 | active | overdue | 2026-09-10 100.00 RON overdue | 400000.00 RON | -",
		"ALZ-TRV-00000102 | active | paid | - | 50000.00 RON | renewable",
		"ALZ-TRV-00000101 | expired | paid | - | 50000.00 RON | -",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Ana's policies:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if list[1].RenewedBy != nil || list[2].RenewedBy == nil || *list[2].RenewedBy != 102 {
		t.Errorf("renewed by: %v %v", list[1].RenewedBy, list[2].RenewedBy)
	}
	// The September premium paid, the December one is due (within 30
	// days, on 10 December).
	if _, err := pool.Exec(context.Background(), `UPDATE premium_instalments SET status = 'paid' WHERE id = 1033`); err != nil {
		t.Fatal(err)
	}
	list, _ = s.List(context.Background(), 1)
	if p := list[0]; p.PaymentStatus != PaymentDue || p.NextPremium.DueOn.Format(time.DateOnly) != "2026-12-10" {
		t.Errorf("after paying September: %s, next %+v", p.PaymentStatus, p.NextPremium)
	}
	// On 11 December it is overdue.
	s.Now = func() time.Time { return time.Date(2026, 12, 11, 8, 0, 0, 0, time.UTC) }
	list, _ = s.List(context.Background(), 1)
	if p := list[0]; p.PaymentStatus != PaymentOverdue {
		t.Errorf("on 11 December: %s", p.PaymentStatus)
	}
	other, err := s.List(context.Background(), 2)
	if err != nil || len(other) != 1 || other[0].ID != 201 {
		t.Errorf("Bogdan's policies: %+v, %v", other, err)
	}
}

func boolWord(b bool, word string) string {
	if b {
		return word
	}
	return "-"
}

// TestPolicyDetail: the schedule with payments, the answers, the history;
// another client's policy is not found.
func TestPolicyDetail(t *testing.T) {
	pool := policyFixture(t)
	s := fixturePolicies(pool)
	ctx := context.Background()
	d, err := s.Get(ctx, 1, 102)
	if err != nil {
		t.Fatal(err)
	}
	if d.TermsVersion != "TRV-2026.2" || d.JourneyID == nil || *d.JourneyID != 7 || d.TermPremium.String() != "120.00 RON" ||
		d.QuestionnaireVersions["urn:ecrm:questionnaire:insurance-travel"] != "1" || !d.Renewable {
		t.Errorf("policy 102: %+v", d)
	}
	var answers []string
	for _, a := range d.Answers {
		answers = append(answers, a.LinkID+"="+a.Text)
	}
	if got := strings.Join(answers, "; "); got != "health.smoker=false; travel.days=30; travel.destination=europe" {
		t.Errorf("answers: %s", got)
	}
	if len(d.Instalments) != 1 || len(d.Instalments[0].Payments) != 1 || d.Instalments[0].Payments[0].Method != "card" ||
		d.Instalments[0].Payments[0].Amount.String() != "120.00 RON" || !d.Instalments[0].Payments[0].PaidAt.Equal(time.Date(2026, 11, 18, 9, 30, 0, 0, time.UTC)) {
		t.Errorf("instalments: %+v", d.Instalments)
	}
	if len(d.History) != 1 || d.History[0].PolicyNumber != "ALZ-TRV-00000101" || len(d.History[0].Answers) != 2 || d.History[0].Answers[0].Text != "31" {
		t.Errorf("history: %+v", d.History)
	}
	if d.ClaimsURL != "/portal/policies/102/claims/new" || d.ScheduleURL != "/portal/policies/102/schedule.pdf" {
		t.Errorf("links %s %s", d.ClaimsURL, d.ScheduleURL)
	}
	home, err := s.Get(ctx, 1, 103)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, in := range home.Instalments {
		statuses = append(statuses, in.PaymentStatus)
	}
	if strings.Join(statuses, ",") != "paid,paid,overdue,due" || home.Renewable || home.TermsVersion != "" || len(home.Answers) != 0 || len(home.History) != 0 {
		t.Errorf("home policy: %v renewable %v terms %q", statuses, home.Renewable, home.TermsVersion)
	}
	for _, c := range []struct{ client, policy int64 }{{2, 102}, {2, 101}, {1, 201}, {1, 999}} {
		if _, err := s.Get(ctx, c.client, c.policy); !errors.Is(err, ErrPolicyNotFound) {
			t.Errorf("client %d reads policy %d: %v", c.client, c.policy, err)
		}
	}
	// A renewal chain crossing to another client's policy stops there.
	if _, err := pool.Exec(ctx, `UPDATE insurance_policies SET renews_policy_id = 201 WHERE id = 101`); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Get(ctx, 1, 102); len(d.History) != 1 {
		t.Errorf("history crosses to another client: %+v", d.History)
	}
}

// policyServer serves the policy routes as the principal p.
func policyServer(t testing.TB, pool *pgxpool.Pool, p *ecrm.Principal, renewals PolicyRenewalStarter) http.Handler {
	t.Helper()
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := document.New()
	if err != nil {
		t.Fatal(err)
	}
	h := NewPolicyHandler(fixturePolicies(pool), pages, docs, "Banca Demo")
	if renewals != nil {
		h.SetRenewals(renewals)
	}
	r := chi.NewRouter()
	r.Use(i18n.Middleware)
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if p != nil {
				req = req.WithContext(ecrm.WithPrincipal(req.Context(), p))
			}
			next.ServeHTTP(w, req)
		})
	})
	h.Routes(r)
	// The claims part's form, which the policy page links to.
	r.Get("/portal/policies/{id}/claims/new", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("claim form")) })
	return r
}

func anaPrincipal() *ecrm.Principal {
	return &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: 1, Name: "Ana Popescu"}
}

type fakeRenewals struct{ calls []string }

func (f *fakeRenewals) StartRenewal(_ context.Context, clientID, policyID, previousJourneyID int64) (int64, error) {
	f.calls = append(f.calls, strings.Join([]string{policyItoa(clientID), policyItoa(policyID), policyItoa(previousJourneyID)}, "/"))
	return 55, nil
}

func policyItoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func policyRequest(h http.Handler, method, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	if strings.HasPrefix(path, "/api/") {
		req.Header.Set("Accept", "application/json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestPolicyRoutesIsolation: every route answers Ana about her policies;
// Bogdan gets 404 for each of them and nothing starts; a caller who is not
// a client is refused.
func TestPolicyRoutesIsolation(t *testing.T) {
	pool := policyFixture(t)
	renewals := &fakeRenewals{}
	ana := policyServer(t, pool, &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: 1, Name: "Ana Popescu"}, renewals)
	bogdan := policyServer(t, pool, &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: 2, Name: "Bogdan Marin"}, renewals)
	staff := policyServer(t, pool, &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 1, Roles: []string{ecrm.RoleAdvisor, ecrm.RoleAdmin}}, renewals)
	anonymous := policyServer(t, pool, nil, renewals)

	routes := []struct{ method, path string }{
		{"GET", "/portal/policies/102"},
		{"GET", "/portal/policies/102/schedule.pdf"},
		{"POST", "/portal/policies/102/renew"},
		{"GET", "/api/v1/me/policies/102"},
		{"POST", "/api/v1/me/policies/102/renew"},
	}
	for _, rt := range routes {
		if w := policyRequest(bogdan, rt.method, rt.path); w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "ALZ-TRV") {
			t.Errorf("Bogdan %s %s = %d", rt.method, rt.path, w.Code)
		}
		for name, h := range map[string]http.Handler{"staff": staff, "anonymous": anonymous} {
			if w := policyRequest(h, rt.method, rt.path); w.Code != http.StatusUnauthorized {
				t.Errorf("%s %s %s = %d", name, rt.method, rt.path, w.Code)
			}
		}
	}
	for _, path := range []string{"/portal/policies", "/api/v1/me/policies"} {
		for name, h := range map[string]http.Handler{"staff": staff, "anonymous": anonymous} {
			if w := policyRequest(h, "GET", path); w.Code != http.StatusUnauthorized {
				t.Errorf("%s GET %s = %d", name, path, w.Code)
			}
		}
		if w := policyRequest(bogdan, "GET", path); w.Code != 200 || strings.Contains(w.Body.String(), "ALZ-TRV") || !strings.Contains(w.Body.String(), "OMN-MOT-00000201") {
			t.Errorf("Bogdan's %s: %d", path, w.Code)
		}
	}
	if len(renewals.calls) != 0 {
		t.Fatalf("renewals started by others: %v", renewals.calls)
	}

	// Ana herself.
	w := policyRequest(ana, "GET", "/api/v1/me/policies")
	var list struct{ Policies []PolicySummary }
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || w.Code != 200 || len(list.Policies) != 3 {
		t.Fatalf("Ana's list: %d %v %s", w.Code, err, w.Body)
	}
	if !strings.Contains(w.Body.String(), `"next_premium":{"id":1033,"due_on":"2026-09-10","amount":{"amount":"100.00","currency":"RON"},"status":"late","payment_status":"overdue"`) {
		t.Errorf("list JSON: %s", w.Body)
	}
	w = policyRequest(ana, "GET", "/api/v1/me/policies/102")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"terms_version":"TRV-2026.2"`) || !strings.Contains(w.Body.String(), `"history":[{"id":101`) {
		t.Errorf("Ana's policy JSON: %d %s", w.Code, w.Body)
	}
	w = policyRequest(ana, "GET", "/portal/policies/102")
	for _, want := range []string{`id="renew-button"`, `href="/portal/policies/102/claims/new"`, `href="/portal/policies/102/schedule.pdf"`, "TRV-2026.2", `id="history-101"`, `id="answer-travel.days">30<`} {
		if w.Code != 200 || !strings.Contains(w.Body.String(), want) {
			t.Errorf("Ana's policy page: %d, lacks %s", w.Code, want)
		}
	}
	if w := policyRequest(ana, "GET", "/portal/policies/102/schedule.pdf"); w.Code != 200 || w.Header().Get("Content-Type") != "application/pdf" {
		t.Errorf("schedule PDF: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	// Renewing: the page redirects to the journey, the API says where;
	// a policy not near its end, or expired, is refused.
	if w := policyRequest(ana, "POST", "/portal/policies/102/renew"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/portal/insurance/journeys/55" {
		t.Errorf("renew form: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := policyRequest(ana, "POST", "/api/v1/me/policies/102/renew"); w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `"journey_id":55`) {
		t.Errorf("renew API: %d %s", w.Code, w.Body)
	}
	for _, id := range []string{"101", "103"} {
		if w := policyRequest(ana, "POST", "/api/v1/me/policies/"+id+"/renew"); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "cannot be renewed now") {
			t.Errorf("renew policy %s: %d %s", id, w.Code, w.Body)
		}
	}
	// Bogdan's motor policy, near its end, was not bought online: a new
	// journey starts from the beginning.
	if w := policyRequest(bogdan, "GET", "/portal/policies/201"); !strings.Contains(w.Body.String(), `id="renew-new-journey"`) || strings.Contains(w.Body.String(), `id="renew-button"`) {
		t.Errorf("Bogdan's policy page offers no new journey")
	}
	if w := policyRequest(bogdan, "POST", "/portal/policies/201/renew"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/portal/insurance" {
		t.Errorf("renew without a journey: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := policyRequest(bogdan, "POST", "/api/v1/me/policies/201/renew"); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "not bought online") {
		t.Errorf("renew API without a journey: %d %s", w.Code, w.Body)
	}
	if strings.Join(renewals.calls, " ") != "1/102/7 1/102/7" {
		t.Errorf("renewals started: %v", renewals.calls)
	}
	if w := policyRequest(ana, "GET", "/api/v1/me/policies/abc"); w.Code != http.StatusNotFound {
		t.Errorf("bad id: %d", w.Code)
	}
}
