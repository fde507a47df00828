package products

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgtest"
	"github.com/ecrm-project/ecrm/internal/web"
)

// testServer wires the handler the way cmd/ecrm does, with the principal
// taken from a test header instead of a session.
func testServer(t *testing.T) (*httptest.Server, *Handler) {
	t.Helper()
	pool := pgtest.New(t)
	h := NewHandler(pool, nil)
	r := chi.NewRouter()
	r.Use(i18n.Middleware)
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			var p *ecrm.Principal
			switch req.Header.Get("X-Test-As") {
			case "admin":
				p = &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 0, Roles: []string{ecrm.RoleAdmin}}
			case "advisor":
				p = &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 0, Roles: []string{ecrm.RoleAdvisor}}
			}
			next.ServeHTTP(w, req.WithContext(ecrm.WithPrincipal(req.Context(), p)))
		})
	})
	h.PublicRoutes(r)
	h.ClientRoutes(r)
	h.AdminRoutes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv, h
}

func call(t *testing.T, srv *httptest.Server, method, path, as string, body any, out any) *http.Response {
	t.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if as != "" {
		req.Header.Set("X-Test-As", as)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return res
}

// TestAPIProductTextsAreBounded: a 100,000-character name and texts past
// their documented bounds are refused, each field named; nothing is stored.
func TestAPIProductTextsAreBounded(t *testing.T) {
	srv, _ := testServer(t)
	in := testLoan()
	in.Name = Text{EN: strings.Repeat("n", 100_000), RO: strings.Repeat("n", 201)}
	in.Provider = strings.Repeat("p", 201)
	in.Definition.Description = Text{EN: strings.Repeat("d", 2001), RO: "scurt"}
	in.Rules[0].Reason.RO = strings.Repeat("r", 501)
	var problem web.ProblemDetails
	res := call(t, srv, "POST", "/api/v1/products", "admin", in, &problem)
	want := []ecrm.FieldError{
		{Field: "name.en", Message: "must be at most 200 characters"},
		{Field: "name.ro", Message: "must be at most 200 characters"},
		{Field: "provider", Message: "must be at most 200 characters"},
		{Field: "definition.description.en", Message: "must be at most 2000 characters"},
		{Field: "rules[0].reason.ro", Message: "must be at most 500 characters"},
	}
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", res.StatusCode)
	}
	if diff := diffJSON(want, problem.Errors); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if res := call(t, srv, "GET", "/api/v1/products/LOAN-TEST", "admin", nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("the refused product was stored: GET answered %d", res.StatusCode)
	}
}

// TestAPIImportNamesTheItem: a decoding error in an imported catalogue
// names the product as products[i], as validation does; a body that is not
// a list names the body.
func TestAPIImportNamesTheItem(t *testing.T) {
	srv, _ := testServer(t)
	var problem struct {
		Errors []ecrm.FieldError `json:"errors"`
	}
	raw, _ := json.Marshal([]ProductInput{testLoan()})
	body := `[` + string(raw[1:len(raw)-1]) + `,{"code":"X","rules":5}]`
	if res := call(t, srv, "POST", "/api/v1/products/import", "admin", body, &problem); res.StatusCode != http.StatusUnprocessableEntity ||
		len(problem.Errors) != 1 || problem.Errors[0] != (ecrm.FieldError{Field: "products[1].rules", Message: "must be a list"}) {
		t.Errorf("status %d errors %+v, want 422 naming products[1].rules", res.StatusCode, problem.Errors)
	}
	problem.Errors = nil
	if res := call(t, srv, "POST", "/api/v1/products/import", "admin", `{"products":[]}`, &problem); res.StatusCode != http.StatusUnprocessableEntity ||
		len(problem.Errors) != 1 || problem.Errors[0] != (ecrm.FieldError{Field: "body", Message: "must be a list"}) {
		t.Errorf("status %d errors %+v, want 422 naming the body", res.StatusCode, problem.Errors)
	}
}

func TestAPICatalogueMaintenance(t *testing.T) {
	srv, _ := testServer(t)
	in := testLoan()

	if res := call(t, srv, "POST", "/api/v1/products", "advisor", in, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("advisor POST: status %d, want 403", res.StatusCode)
	}
	var created Product
	if res := call(t, srv, "POST", "/api/v1/products", "admin", in, &created); res.StatusCode != http.StatusCreated || created.Version.Version != 1 {
		t.Fatalf("admin POST: status %d version %d, want 201 and 1", res.StatusCode, created.Version.Version)
	}

	// An invalid rule: 422 naming the rule and CEL's position; version 1 stays.
	in.Rules = append(in.Rules, Rule{ID: "score", Expression: "client.credit_scor >= 600", Reason: Text{EN: "s", RO: "s"}})
	var problem web.ProblemDetails
	res := call(t, srv, "PUT", "/api/v1/products/LOAN-TEST", "admin", in, &problem)
	if res.StatusCode != http.StatusUnprocessableEntity || res.Header.Get("Content-Type") != web.ProblemContentType {
		t.Fatalf("PUT invalid rule: status %d %s, want 422 problem+json", res.StatusCode, res.Header.Get("Content-Type"))
	}
	want := []ecrm.FieldError{{Field: "rules[2].expression", Message: "line 1, column 7: undeclared reference to 'client.credit_scor' (did you mean 'client.credit_score'?)"}}
	if diff := diffJSON(want, problem.Errors); diff != "" {
		t.Errorf("mismatch:\n%s", diff)
	}
	var cur Product
	call(t, srv, "GET", "/api/v1/products/LOAN-TEST", "", nil, &cur)
	if cur.Version.Version != 1 || len(cur.Rules) != 2 {
		t.Errorf("after rejected PUT: version %d with %d rules, want version 1 with 2", cur.Version.Version, len(cur.Rules))
	}

	in.Rules[2].Expression = "client.credit_score >= 600"
	var v2 Product
	if res := call(t, srv, "PUT", "/api/v1/products/LOAN-TEST", "admin", in, &v2); res.StatusCode != http.StatusOK || v2.Version.Version != 2 {
		t.Errorf("PUT valid: status %d version %d, want 200 and 2", res.StatusCode, v2.Version.Version)
	}

	var exported []ProductInput
	call(t, srv, "GET", "/api/v1/products/export", "admin", nil, &exported)
	var imported ImportResult
	if res := call(t, srv, "POST", "/api/v1/products/import", "admin", exported, &imported); res.StatusCode != http.StatusOK ||
		len(imported.Unchanged) != 1 || len(imported.Created)+len(imported.Versioned) != 0 {
		t.Errorf("re-import of the export: status %d %+v, want 200 with LOAN-TEST unchanged", res.StatusCode, imported)
	}

	var list struct{ Products []Product }
	call(t, srv, "GET", "/api/v1/products?line=banking", "", nil, &list)
	if len(list.Products) != 1 || list.Products[0].Code != "LOAN-TEST" {
		t.Errorf("list: %+v, want LOAN-TEST", list.Products)
	}
}

func TestAPIMatchProspect(t *testing.T) {
	srv, h := testServer(t)
	if err := LoadDemoCatalogue(context.Background(), h.store.pool); err != nil {
		t.Fatal(err)
	}
	body := `{"goal":"borrow","amount":{"amount":"20000.00","currency":"EUR"},"months":36,
		"profile":{"age":35,"residence_country":"RO","annual_income":{"amount":"36000","currency":"EUR"}}}`
	var res MatchResult
	if r := call(t, srv, "POST", "/api/v1/products/match", "", body, &res); r.StatusCode != http.StatusOK {
		t.Fatalf("status %d", r.StatusCode)
	}
	if len(res.Eligible) != 2 || res.Eligible[0].Code != "LOAN-EUR-PERS" || res.Eligible[0].Terms.MonthlyPayment.String() != "625.81 EUR" ||
		res.Eligible[0].Terms.APR.String() != "0.0893" {
		t.Errorf("eligible = %+v; want LOAN-EUR-PERS first at 625.81 EUR, APR 0.0893", res.Eligible)
	}

	for _, tc := range []struct{ body, field, msg string }{
		{`{"goal":"borrow","amount":{"amount":"-1","currency":"EUR"},"months":36}`, "amount.amount", "must be more than 0 and at most 100000000.00 EUR"},
		{`{"goal":"borrow","amount":{"amount":"20000","currency":"EUR"},"months":2}`, "months", "must be between 6 and 360 months for borrow in EUR"},
		{`{"goal":"borrow","amount":{"amount":"20000.001","currency":"EUR"},"months":36}`, "amount.amount", "EUR has at most 2 decimal places"},
		{`{"goal":"borrow","amount":{"amount":"20000","currency":"ABC"},"months":36}`, "amount.currency", `currency "ABC" is not supported`},
		{`{"goal":"borrow","amount":{"amount":"20000","currency":"EUR"},"months":"x"}`, "months", "must be a whole number"},
	} {
		var problem web.ProblemDetails
		r := call(t, srv, "POST", "/api/v1/products/match", "", tc.body, &problem)
		want := []ecrm.FieldError{{Field: tc.field, Message: tc.msg}}
		if r.StatusCode != http.StatusUnprocessableEntity || diffJSON(want, problem.Errors) != "" {
			t.Errorf("%s: status %d errors %+v; want 422 %+v", strings.TrimSpace(tc.body), r.StatusCode, problem.Errors, want)
		}
	}
}

// TestOpenAPIDocumentsEveryRoute keeps openapi.json and the routes in step;
// cmd/ecrm checks the same for the whole server.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	h := NewHandler(nil, nil)
	r := chi.NewRouter()
	h.PublicRoutes(r)
	h.ClientRoutes(r)
	h.AdminRoutes(r)
	var registered []string
	_ = chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if strings.HasPrefix(route, "/api/") {
			registered = append(registered, method+" "+route)
		}
		return nil
	})
	doc, err := web.NewOpenAPI(OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := doc.Operations()
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, op := range ops {
		if strings.Contains(op, "/products") || strings.Contains(op, "/calculators") {
			documented = append(documented, op)
		}
	}
	slices.Sort(registered)
	if diff := diffJSON(documented, registered); diff != "" {
		t.Errorf("documented vs registered:\n%s", diff)
	}
}
