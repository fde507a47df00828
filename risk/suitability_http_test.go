package risk

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
)

// profileServer serves the portal and console routes with the caller
// given by the X-Test-Principal header: "client:<id>", "advisor:<id>",
// "compliance:<id>"; none is anonymous.
func profileServer(t *testing.T, s *Suitability) *httptest.Server {
	t.Helper()
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	h := NewProfileHandler(s, pages)
	r := chi.NewRouter()
	r.Use(i18n.Middleware, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			kind, id, ok := strings.Cut(req.Header.Get("X-Test-Principal"), ":")
			if ok {
				var n int64
				for _, c := range id {
					n = 10*n + int64(c-'0')
				}
				p := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: n, Name: "Test"}
				if kind != "client" {
					p = &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: n, Roles: []string{kind}, Name: "Staff"}
				}
				req = req.WithContext(ecrm.WithPrincipal(req.Context(), p))
			}
			next.ServeHTTP(w, req)
		})
	})
	h.PortalRoutes(r)
	h.ConsoleRoutes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, srv *httptest.Server, method, path, who, contentType, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if who != "" {
		req.Header.Set("X-Test-Principal", who)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept-Language", "en")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// balancedJSON is balanced() as the API takes it.
const balancedJSON = `{"knowledge": {"shares": {"understanding": "good", "experience": "occasional"},
  "bonds": {"understanding": "basic", "experience": "occasional"}, "funds": {"understanding": "good", "experience": "regular"},
  "etfs": {"understanding": "basic", "experience": "never"}, "options": {"understanding": "none", "experience": "never"},
  "leveraged": {"understanding": "none", "experience": "never"}},
 "financial": {"currency": "RON", "annual_income": "150000", "liquid_assets": 80000, "monthly_obligations": "4000", "loss_impact": "limited"},
 "objectives": {"objective": "growth", "horizon": "5_10"},
 "tolerance": {"outcome": "d", "reaction": "hold", "attitude": "balanced"}}`

// TestRiskProfileAPI: the client's GET and POST, an answer out of range
// named at the field in problem+json, and each client reaching only
// their own profile.
func TestRiskProfileAPI(t *testing.T) {
	pool, s := suitabilityFixture(t)
	srv := profileServer(t, s)

	status, body, _ := call(t, srv, "GET", "/api/v1/me/risk-profile", "client:1", "", "")
	var got profileJSON
	if err := json.Unmarshal([]byte(body), &got); status != http.StatusOK || err != nil || got.Status != StatusNone || got.Assessment != nil ||
		got.MaxAge != "2y" || got.ScoringVersion != "suitability-v1" || got.Behaviour.Observed {
		t.Fatalf("before: %d %s", status, body)
	}

	bad := strings.Replace(balancedJSON, `"liquid_assets": 80000`, `"liquid_assets": -80000`, 1)
	bad = strings.Replace(bad, `"outcome": "d"`, `"outcome": "z"`, 1)
	status, body, hdr := call(t, srv, "POST", "/api/v1/me/risk-profile", "client:1", "application/json", bad)
	var problem struct {
		Type   string            `json:"type"`
		Errors []ecrm.FieldError `json:"errors"`
	}
	json.Unmarshal([]byte(body), &problem)
	if status != http.StatusUnprocessableEntity || hdr.Get("Content-Type") != "application/problem+json" || len(problem.Errors) != 2 ||
		problem.Errors[0] != (ecrm.FieldError{Field: "financial.liquid_assets", Message: "Enter an amount between 0 and 1,000,000,000."}) ||
		problem.Errors[1] != (ecrm.FieldError{Field: "tolerance.outcome", Message: "Choose one of the answers offered: a, b, c, d, e."}) {
		t.Errorf("out of range: %d %s %s", status, hdr.Get("Content-Type"), body)
	}
	status, body, _ = call(t, srv, "POST", "/api/v1/me/risk-profile", "client:1", "application/json", `{"financial": {"liquid_assets": "x"}}`)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"financial.liquid_assets"`) {
		t.Errorf("not a number: %d %s", status, body)
	}
	status, body, _ = call(t, srv, "POST", "/api/v1/me/risk-profile", "client:1", "application/json", `{"financial": {"colour": "red"}}`)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "financial.colour") {
		t.Errorf("unknown member: %d %s", status, body)
	}

	status, body, _ = call(t, srv, "POST", "/api/v1/me/risk-profile", "client:1", "application/json", balancedJSON)
	if err := json.Unmarshal([]byte(body), &got); status != http.StatusCreated || err != nil || got.Status != StatusCurrent ||
		got.Assessment.RiskClass != 5 || got.Assessment.LossCapacity.String() != "79000.00 RON" || got.Assessment.CompletedBy != "client" ||
		got.Answers == nil || got.Answers.Financial.LiquidAssets.String() != "80000" || got.Answers.Knowledge.Funds.Experience != "regular" {
		t.Fatalf("after: %d %s", status, body)
	}

	// Ion (client 2) sees his own empty profile, and his answers do not
	// touch Ana's.
	status, body, _ = call(t, srv, "GET", "/api/v1/me/risk-profile", "client:2", "", "")
	if json.Unmarshal([]byte(body), &got); status != http.StatusOK || got.Status != StatusNone {
		t.Errorf("Ion reads %d %s", status, body)
	}
	if status, _, _ = call(t, srv, "POST", "/api/v1/me/risk-profile", "client:2", "application/json",
		strings.Replace(balancedJSON, `"attitude": "balanced"`, `"attitude": "avoid"`, 1)); status != http.StatusCreated {
		t.Errorf("Ion's answers: %d", status)
	}
	var classes string
	pool.QueryRow(context.Background(), `SELECT string_agg(client_id || ':' || risk_class, ' ' ORDER BY client_id) FROM risk_assessments`).Scan(&classes)
	if classes != "1:5 2:4" {
		t.Errorf("assessments %q", classes)
	}
	// Staff and anonymous callers have no "me".
	for _, who := range []string{"", "advisor:10"} {
		if status, _, _ := call(t, srv, "GET", "/api/v1/me/risk-profile", who, "", ""); status != http.StatusUnauthorized {
			t.Errorf("%q: %d", who, status)
		}
	}
}

// form posts the balanced answers, with changes.
func form(changes map[string]string) string {
	v := url.Values{"key": {"form-key-1"}}
	for field, value := range balanced() {
		v.Set(field, value)
	}
	for field, value := range changes {
		v.Set(field, value)
	}
	return v.Encode()
}

// TestRiskProfilePages: the portal form refuses an answer out of range at
// the field, keeps the rest, then saves and shows the class; the advisor
// serving the client completes it with them; another advisor, and staff
// who are not advisors, are refused.
func TestRiskProfilePages(t *testing.T) {
	pool, s := suitabilityFixture(t)
	srv := profileServer(t, s)
	const formType = "application/x-www-form-urlencoded"

	status, body, _ := call(t, srv, "GET", "/portal/risk-profile", "client:1", "", "")
	if status != http.StatusOK || !strings.Contains(body, `data-status="none"`) || !strings.Contains(body, `<option value="RON" selected>RON</option>`) {
		t.Fatalf("first visit: %d", status)
	}
	status, body, _ = call(t, srv, "POST", "/portal/risk-profile", "client:1", formType, form(map[string]string{"financial.liquid_assets": "-5", "financial.annual_income": "150,000"}))
	if status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `<p class="field-error" id="q-financial-liquid_assets-error">Enter an amount between 0 and 1,000,000,000.</p>`) ||
		!strings.Contains(body, `<a href="#q-financial-liquid_assets">`) || !strings.Contains(body, `value="150,000"`) {
		t.Errorf("out of range: %d", status)
	}
	status, _, hdr := call(t, srv, "POST", "/portal/risk-profile", "client:1", formType, form(map[string]string{"financial.annual_income": "150,000"}))
	if status != http.StatusSeeOther || hdr.Get("Location") != "/portal/risk-profile?saved=1#result" {
		t.Fatalf("saved: %d %s", status, hdr.Get("Location"))
	}
	// Sent twice (the same form key): one response.
	call(t, srv, "POST", "/portal/risk-profile", "client:1", formType, form(map[string]string{"financial.annual_income": "150,000"}))
	status, body, _ = call(t, srv, "GET", "/portal/risk-profile?saved=1", "client:1", "", "")
	for _, want := range []string{`id="profile-saved"`, `data-status="current"`, `<dd id="risk-class" data-class="5"><strong>5 of 7</strong>`,
		`<dd id="loss-capacity" class="amount">RON 79,000.00</dd>`, "Your answers about risk scored 7 of 11 points: risk class 5.", `value="80,000"`} {
		if status != http.StatusOK || !strings.Contains(strings.ReplaceAll(body, "\u00a0", " "), want) {
			t.Errorf("saved page (%d) lacks %s", status, want)
		}
	}
	var n int
	pool.QueryRow(context.Background(), `SELECT count(*) FROM suitability_responses WHERE client_id = 1`).Scan(&n)
	if n != 1 {
		t.Errorf("%d responses after sending the form twice", n)
	}

	// The advisor serving Ion completes it with him.
	status, body, _ = call(t, srv, "GET", "/console/clients/2/risk-profile", "advisor:11", "", "")
	if status != http.StatusOK || !strings.Contains(body, "Risk profile of Ion Ionescu") || !strings.Contains(body, `<option value="EUR" selected>EUR</option>`) {
		t.Errorf("advisor's page: %d", status)
	}
	status, _, hdr = call(t, srv, "POST", "/console/clients/2/risk-profile", "advisor:11", formType, form(map[string]string{"financial.currency": "EUR"}))
	if status != http.StatusSeeOther || hdr.Get("Location") != "/console/clients/2/risk-profile?saved=1#result" {
		t.Errorf("advisor saves: %d %s", status, hdr.Get("Location"))
	}
	var by string
	pool.QueryRow(context.Background(), `SELECT completed_by || ' ' || staff_id FROM suitability_responses WHERE client_id = 2`).Scan(&by)
	if by != "advisor_with_client 11" {
		t.Errorf("recorded as %q", by)
	}
	// Another advisor, compliance, and a client at the console are refused;
	// nothing is written.
	for _, tc := range []struct {
		who    string
		status int
	}{{"advisor:10", http.StatusNotFound}, {"compliance:10", http.StatusForbidden}, {"client:2", http.StatusForbidden}, {"", http.StatusUnauthorized}} {
		if status, _, _ := call(t, srv, "GET", "/console/clients/2/risk-profile", tc.who, "", ""); status != tc.status {
			t.Errorf("%q reads Ion's: %d, want %d", tc.who, status, tc.status)
		}
		if status, _, _ := call(t, srv, "POST", "/console/clients/2/risk-profile", tc.who, formType, form(map[string]string{"key": "other"})); status != tc.status {
			t.Errorf("%q completes Ion's: %d, want %d", tc.who, status, tc.status)
		}
	}
	pool.QueryRow(context.Background(), `SELECT count(*) FROM suitability_responses WHERE client_id = 2`).Scan(&n)
	if n != 1 {
		t.Errorf("%d responses for Ion", n)
	}
}
