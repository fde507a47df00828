package selfservice

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/servicedesk"
)

// routeCase is one request to every route the portal registers.
type routeCase struct {
	method, pattern string // as registered
	path            string // Ana's resource where the path names one
	body            string
	contentType     string
}

const formType = "application/x-www-form-urlencoded"

var everyRoute = []routeCase{
	{method: "GET", pattern: "/portal", path: "/portal"},
	{method: "GET", pattern: "/portal/accounts/{id}", path: "/portal/accounts/11"},
	{method: "GET", pattern: "/portal/accounts/{id}/transactions.csv", path: "/portal/accounts/11/transactions.csv"},
	{method: "GET", pattern: "/portal/accounts/{id}/statement.pdf", path: "/portal/accounts/11/statement.pdf?month=2026-10"},
	{method: "GET", pattern: "/portal/profile", path: "/portal/profile"},
	{method: "POST", pattern: "/portal/profile", path: "/portal/profile", body: "city=Brașov", contentType: formType},
	{method: "GET", pattern: "/portal/profile/email", path: "/portal/profile/email?token=" + anaLinkToken},
	{method: "POST", pattern: "/portal/profile/email", path: "/portal/profile/email", body: "token=" + anaLinkToken, contentType: formType},
	{method: "POST", pattern: "/portal/consents/{purpose}/{channel}", path: "/portal/consents/marketing/sms", body: "granted=true", contentType: formType},
	{method: "GET", pattern: "/portal/documents", path: "/portal/documents"},
	{method: "GET", pattern: "/portal/documents/{id}", path: "/portal/documents/9001"},
	{method: "GET", pattern: "/portal/data", path: "/portal/data"},
	{method: "GET", pattern: "/portal/data/view", path: "/portal/data/view"},
	{method: "GET", pattern: "/api/v1/me", path: "/api/v1/me"},
	{method: "GET", pattern: "/api/v1/me/accounts/{id}/transactions", path: "/api/v1/me/accounts/11/transactions"},
	{method: "GET", pattern: "/api/v1/me/profile", path: "/api/v1/me/profile"},
	{method: "PATCH", pattern: "/api/v1/me/profile", path: "/api/v1/me/profile", body: `{"city":"Brașov"}`, contentType: "application/json"},
	{method: "POST", pattern: "/api/v1/me/profile/email-confirmation", path: "/api/v1/me/profile/email-confirmation", body: `{"token":"` + anaLinkToken + `"}`, contentType: "application/json"},
	{method: "GET", pattern: "/api/v1/me/consents", path: "/api/v1/me/consents"},
	{method: "PUT", pattern: "/api/v1/me/consents/{purpose}/{channel}", path: "/api/v1/me/consents/marketing/sms", body: `{"granted":true}`, contentType: "application/json"},
	{method: "GET", pattern: "/api/v1/me/export", path: "/api/v1/me/export"},
	{method: "GET", pattern: "/api/v1/me/documents", path: "/api/v1/me/documents"},
	{method: "GET", pattern: "/api/v1/me/documents/{id}", path: "/api/v1/me/documents/9001"},
	{method: "GET", pattern: "/portal/messages", path: "/portal/messages"},
	{method: "GET", pattern: "/portal/messages/new", path: "/portal/messages/new"},
	{method: "POST", pattern: "/portal/messages", path: "/portal/messages", body: "kind=question&subject=Hello&body=A+question", contentType: formType},
	{method: "GET", pattern: "/portal/messages/{id}", path: "/portal/messages/9101"},
	{method: "POST", pattern: "/portal/messages/{id}/replies", path: "/portal/messages/9101/replies", body: "body=Mine+now", contentType: formType},
	{method: "POST", pattern: "/portal/messages/{id}/close", path: "/portal/messages/9101/close", contentType: formType},
	{method: "GET", pattern: "/portal/messages/{id}/attachments/{file}", path: "/portal/messages/9101/attachments/9301"},
	{method: "GET", pattern: "/api/v1/me/service-requests", path: "/api/v1/me/service-requests"},
	{method: "POST", pattern: "/api/v1/me/service-requests", path: "/api/v1/me/service-requests", body: `{"kind":"question","subject":"Hello","body":"A question"}`, contentType: "application/json"},
	{method: "GET", pattern: "/api/v1/me/service-requests/{id}", path: "/api/v1/me/service-requests/9101"},
	{method: "POST", pattern: "/api/v1/me/service-requests/{id}/messages", path: "/api/v1/me/service-requests/9101/messages", body: `{"body":"Mine now"}`, contentType: "application/json"},
	{method: "POST", pattern: "/api/v1/me/service-requests/{id}/close", path: "/api/v1/me/service-requests/9101/close", contentType: "application/json"},
	{method: "GET", pattern: "/api/v1/me/service-requests/{id}/attachments/{file}", path: "/api/v1/me/service-requests/9101/attachments/9301"},
	{method: "GET", pattern: "/api/v1/me/offers", path: "/api/v1/me/offers"},
	{method: "POST", pattern: "/portal/offers/{seq}/accept", path: "/portal/offers/" + anaOfferSeq + "/accept", body: "key=k", contentType: formType},
	{method: "GET", pattern: "/portal/offers/accept/continue", path: "/portal/offers/accept/continue"},
	{method: "POST", pattern: "/api/v1/me/offers/{seq}/accept", path: "/api/v1/me/offers/" + anaOfferSeq + "/accept", contentType: "application/json"},
}

// registeredRoutes lists "METHOD pattern" of everything Routes registers.
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	r := chi.NewRouter()
	(&Handler{}).Routes(r)
	var routes []string
	err := chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routes = append(routes, method+" "+strings.TrimSuffix(route, "/"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(routes)
	return routes
}

// TestEveryRouteIsCovered keeps the security tests honest: a new route
// must be added to everyRoute, and so to every test below.
func TestEveryRouteIsCovered(t *testing.T) {
	covered := map[string]bool{}
	for _, rc := range everyRoute {
		covered[rc.method+" "+rc.pattern] = true
	}
	for _, r := range registeredRoutes(t) {
		if !covered[r] {
			t.Errorf("route %s has no case in everyRoute", r)
		}
		delete(covered, r)
	}
	for r := range covered {
		t.Errorf("everyRoute has %s, which Routes does not register", r)
	}
}

// counts returns the number of rows that state-changing routes write.
func counts(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"profile_changes", "consents", "portal_actions", "service_requests", "service_messages"} {
		var n int
		if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	var updated int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM clients WHERE city = 'Brașov'`).Scan(&updated); err != nil {
		t.Fatal(err)
	}
	out["clients in Brașov"] = updated
	return out
}

func TestAnonymousAndStaffGet401(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	before := counts(t, pool)
	for _, who := range []string{"", "staff"} {
		for _, rc := range everyRoute {
			rec := do(t, srv, request{method: rc.method, path: rc.path, body: rc.body, contentType: rc.contentType, client: who})
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s %s as %q: status %d, want 401", rc.method, rc.path, who, rec.Code)
				continue
			}
			if strings.HasPrefix(rc.path, "/api/") {
				if ct := rec.Header().Get("Content-Type"); ct != web.ProblemContentType {
					t.Errorf("%s %s: Content-Type %q, want problem+json", rc.method, rc.path, ct)
				}
				if rec.Header().Get("WWW-Authenticate") != "Bearer" {
					t.Errorf("%s %s: no WWW-Authenticate challenge", rc.method, rc.path)
				}
			} else if !strings.Contains(rec.Body.String(), "Please log in") {
				t.Errorf("%s %s: the error page does not ask to log in", rc.method, rc.path)
			}
		}
	}
	if after := counts(t, pool); !mapsEqual(before, after) {
		t.Errorf("unauthenticated requests wrote data: before %v, after %v", before, after)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestAnotherClientSeesOnlyTheirOwnData sends every request as Bogdan,
// with Ana's resource ids where the path has one: Ana's account is 404,
// everything else answers with Bogdan's data only, and writes touch only
// Bogdan's rows.
func TestAnotherClientSeesOnlyTheirOwnData(t *testing.T) {
	pool := newFixture(t)
	addAnaOffer(t, pool)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	anaMarkers := []string{"Popescu", "ana@example.com", "Cont curent", "Landlord SRL\",\"counterparty_iban", "HOME-0031", "12345.60", "ana.new@example.com"}
	for _, rc := range everyRoute {
		rec := do(t, srv, request{method: rc.method, path: rc.path, body: rc.body, contentType: rc.contentType, client: asClient(bogdan)})
		body := rec.Body.String()
		switch {
		case strings.Contains(rc.pattern, "{id}"), strings.Contains(rc.pattern, "{seq}"):
			if rec.Code != http.StatusNotFound {
				t.Errorf("%s %s as Bogdan: status %d, want 404", rc.method, rc.path, rec.Code)
			}
		case strings.Contains(rc.path+rc.body, anaLinkToken):
			// Ana's confirmation link does not work for anyone else.
			if rec.Code != http.StatusNotFound && rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("%s %s with Ana's token as Bogdan: status %d, want 404 or 422", rc.method, rc.path, rec.Code)
			}
		case rec.Code >= 400:
			t.Errorf("%s %s as Bogdan: status %d: %s", rc.method, rc.path, rec.Code, body)
		}
		for _, m := range anaMarkers {
			if strings.Contains(body, m) {
				t.Errorf("%s %s as Bogdan shows Ana's %q", rc.method, rc.path, m)
			}
		}
	}

	ctx := context.Background()
	var anaCity, bogdanCity string
	if err := pool.QueryRow(ctx, `SELECT (SELECT city FROM clients WHERE id = 1), (SELECT city FROM clients WHERE id = 2)`).Scan(&anaCity, &bogdanCity); err != nil {
		t.Fatal(err)
	}
	if anaCity != "București" || bogdanCity != "Brașov" {
		t.Errorf("cities after Bogdan's updates: Ana %q, Bogdan %q; want Ana unchanged", anaCity, bogdanCity)
	}
	var anaRows, anaActionsOnAccount int
	if err := pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM profile_changes WHERE client_id = 1) + (SELECT count(*) FROM consents WHERE client_id = 1 AND recorded_at > '2026-11-02'),
		(SELECT count(*) FROM portal_actions WHERE target = '11')`).Scan(&anaRows, &anaActionsOnAccount); err != nil {
		t.Fatal(err)
	}
	if anaRows != 0 {
		t.Errorf("Bogdan's requests wrote %d profile or consent rows for Ana", anaRows)
	}
	var anaMessages int
	var anaStatus string
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM service_messages WHERE request_id = 9101), status FROM service_requests WHERE id = 9101`).Scan(&anaMessages, &anaStatus); err != nil || anaMessages != 2 || anaStatus != "answered" {
		t.Errorf("Ana's request after Bogdan's replies and closing: %d messages, %s, %v", anaMessages, anaStatus, err)
	}
	if anaActionsOnAccount != 0 {
		t.Errorf("Bogdan's look at Ana's account was recorded %d times", anaActionsOnAccount)
	}
	var bogdanConsent bool
	if err := pool.QueryRow(ctx, `SELECT granted FROM consents WHERE client_id = 2 AND purpose = 'marketing' AND channel = 'sms' ORDER BY id DESC LIMIT 1`).Scan(&bogdanConsent); err != nil || !bogdanConsent {
		t.Errorf("Bogdan's own consent was not recorded: %v, %v", bogdanConsent, err)
	}
}

func TestAccountIDsThatAreNotNumbersAreNotFound(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	for _, path := range []string{"/portal/accounts/abc", "/portal/accounts/-1", "/api/v1/me/accounts/99999/transactions", "/api/v1/me/accounts/1e3/transactions"} {
		if rec := do(t, srv, request{path: path, client: asClient(ana)}); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, rec.Code)
		}
	}
	for _, path := range []string{"/api/v1/me/consents/third_party_sharing/any", "/api/v1/me/consents/marketing/fax"} {
		rec := do(t, srv, request{method: "PUT", path: path, body: `{"granted":true}`, client: asClient(ana)})
		if rec.Code != http.StatusNotFound {
			t.Errorf("PUT %s: status %d, want 404", path, rec.Code)
		}
	}
}

// TestOpenAPIDocumentsEveryAPIRoute mirrors the check in cmd/ecrm for this
// package alone, and checks that the fragment merges into the base
// document.
func TestOpenAPIDocumentsEveryAPIRoute(t *testing.T) {
	doc, err := web.NewOpenAPI(OpenAPI, servicedesk.OpenAPI, pipeline.OpenAPI)
	if err != nil {
		t.Fatalf("merge the fragment: %v", err)
	}
	documented, err := doc.Operations()
	if err != nil {
		t.Fatal(err)
	}
	documentedSet := map[string]bool{}
	for _, op := range documented {
		if strings.Contains(op, "/api/v1/me") {
			documentedSet[op] = true
		}
	}
	for _, r := range registeredRoutes(t) {
		if !strings.Contains(r, " /api/") {
			continue
		}
		if !documentedSet[r] {
			t.Errorf("%s is registered but not documented", r)
		}
		delete(documentedSet, r)
	}
	for op := range documentedSet {
		t.Errorf("%s is documented but not registered", op)
	}
	// Every $ref points at a schema that exists.
	var raw map[string]any
	if err := json.Unmarshal(OpenAPI, &raw); err != nil {
		t.Fatal(err)
	}
	var merged struct {
		Components struct {
			Schemas   map[string]any `json:"schemas"`
			Responses map[string]any `json:"responses"`
		} `json:"components"`
	}
	rec := do(t, doc, request{path: "/api/v1/openapi.json"})
	if err := json.Unmarshal(rec.Body.Bytes(), &merged); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				name, _ := url.PathUnescape(ref[strings.LastIndex(ref, "/")+1:])
				_, schema := merged.Components.Schemas[name]
				_, response := merged.Components.Responses[name]
				if !(strings.HasPrefix(ref, "#/components/schemas/") && schema) && !(strings.HasPrefix(ref, "#/components/responses/") && response) {
					t.Errorf("dangling $ref %s", ref)
				}
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(raw)
}
