package products

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
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

func TestMatchPage(t *testing.T) {
	pool := pgtest.New(t)
	if err := LoadDemoCatalogue(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(i18n.Middleware)
	NewHandler(pool, pages).ClientRoutes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()

	get := func(path, lang string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Accept-Language", lang)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	status, body := get("/portal/match?goal=borrow&amount=20000&currency=EUR&months=36&age=35&income=36000", "en")
	if status != http.StatusOK {
		t.Fatalf("status %d:\n%s", status, body)
	}
	for _, want := range []string{
		`<tr class="offer" data-code="LOAN-EUR-PERS">`, `<td class="amount monthly-payment">€625.81</td>`, `<td class="amount apr">8.93%</td>`,
		`<td class="amount monthly-payment">€672.92</td>`, `<td class="amount apr">13.69%</td>`,
		`<li class="excluded" data-code="LOAN-EUR-PLUS">`, `<li>Credit score below 700</li>`, `<li>Lowest APR among eligible loans</li>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Index(body, `data-code="LOAN-EUR-PERS"`) > strings.Index(body, `data-code="LOAN-EUR-CARP"`) {
		t.Error("LOAN-EUR-PERS (lower APR) is not ranked before LOAN-EUR-CARP")
	}

	status, body = get("/portal/match?goal=borrow&amount=20.000,00&currency=EUR&months=36&age=35&income=36.000", "ro")
	if status != http.StatusOK || !strings.Contains(body, "<td class=\"amount monthly-payment\">625,81\u00a0EUR</td>") || !strings.Contains(body, "<li>Scor de credit sub 700</li>") {
		t.Errorf("Romanian page: status %d, want 625,81 EUR and reasons in Romanian", status)
	}

	status, body = get("/portal/match?goal=borrow&amount=-5&currency=EUR&months=36", "en")
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `<a href="#match-amount">amount.amount: must be more than 0 and at most 100000000.00 EUR</a>`) {
		t.Errorf("bad amount: status %d, want 422 with the amount named", status)
	}
}

func TestAdminPages(t *testing.T) {
	pool := pgtest.New(t)
	if err := LoadDemoCatalogue(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(i18n.Middleware)
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.Header.Get("X-Test-As") == "admin" {
				req = req.WithContext(ecrm.WithPrincipal(req.Context(), &ecrm.Principal{Kind: ecrm.PrincipalStaff, Roles: []string{ecrm.RoleAdmin}}))
			}
			next.ServeHTTP(w, req)
		})
	})
	h := NewHandler(pool, pages)
	h.AdminRoutes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path, form string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(form))
		req.Header.Set("X-Test-As", "admin")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	if status, body := do("GET", "/console/products", ""); status != http.StatusOK || !strings.Contains(body, `<a href="/console/products/LOAN-EUR-PERS">LOAN-EUR-PERS</a>`) {
		t.Fatalf("list: status %d", status)
	}
	p, err := h.store.ProductByCode(context.Background(), "LOAN-EUR-PERS")
	if err != nil {
		t.Fatal(err)
	}
	in := p.Input()
	in.Rules[0].Expression = "client.age >= "
	b, _ := json.Marshal(in)
	status, body := do("POST", "/console/products/LOAN-EUR-PERS", url.Values{"product": {string(b)}}.Encode())
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "rules[0].expression: line 1, column 15: Syntax error:") {
		t.Errorf("invalid rule: status %d, want 422 naming rules[0].expression at line 1, column 15", status)
	}
	in.Rules[0].Expression = "client.age >= 21"
	b, _ = json.Marshal(in)
	if status, _ := do("POST", "/console/products/LOAN-EUR-PERS", url.Values{"product": {string(b)}}.Encode()); status != http.StatusSeeOther {
		t.Errorf("valid change: status %d, want 303", status)
	}
	status, body = do("GET", "/console/products/LOAN-EUR-PERS?saved=1", "")
	if status != http.StatusOK || !strings.Contains(body, `<tr data-version="2" class="current">`) || !strings.Contains(body, `<tr data-version="1">`) {
		t.Errorf("after save: status %d, want version 2 current and version 1 kept", status)
	}
}
