package products

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestEditorFormRoundTrip: every product of the demo catalogue, shown in
// the form in English and in Romanian and submitted unchanged, reads back
// as the same product — amounts in each language's format, rates as
// percentages, lists as rows.
func TestEditorFormRoundTrip(t *testing.T) {
	list, err := DemoCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "ro"} {
		tag, _ := i18n.ParseLanguage(lang)
		l := i18n.NewLocalizer(tag)
		for _, in := range list {
			f, err := formOf(in, l)
			if err != nil {
				t.Fatal(err)
			}
			got, problems := postedForm(f.values, false).input(l, nil)
			if len(problems) > 0 {
				t.Errorf("%s %s: problems %v", lang, in.Code, problems)
			}
			in.Active = nil
			if !reflect.DeepEqual(normalise(got), normalise(in)) {
				t.Errorf("%s %s: read back\n%+v\nwant\n%+v", lang, in.Code, got, in)
			}
		}
	}
	l := i18n.NewLocalizer(i18n.Romanian)
	f, _ := formOf(list[0], l)
	f.values.Set("definition.rate_tiers[0].rate", "5,25")
	f.values.Set("definition.monthly_fee", "1.234,5")
	got, _ := postedForm(f.values, false).input(l, nil)
	if got.Definition.RateTiers[0].Rate.String() != "0.0525" || got.Definition.MonthlyFee.String() != "1234.5" {
		t.Errorf("Romanian 5,25 %% and 1.234,5 read as %s and %s", got.Definition.RateTiers[0].Rate, got.Definition.MonthlyFee)
	}
}

// editorServer serves the catalogue's console pages; X-Test-As picks the
// staff member (admin is staff 1, advisor staff 2), Accept-Language the
// language.
func editorServer(t *testing.T) (*httptest.Server, *Handler) {
	t.Helper()
	pool := pgtest.New(t)
	ctx := context.Background()
	if err := LoadDemoCatalogue(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
INSERT INTO staff_users (id, email, display_name) VALUES (1, 'elena@example.com', 'Elena Admin'), (2, 'maria@example.com', 'Maria Advisor');
INSERT INTO clients (id, given_name, family_name, email, birth_date) VALUES
  (7, 'Ana', 'Popescu', 'ana@example.com', current_date - interval '40 years'),
  (8, 'Matei', 'Ionescu', 'matei@example.com', current_date - interval '16 years')`); err != nil {
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
			switch req.Header.Get("X-Test-As") {
			case "admin":
				req = req.WithContext(ecrm.WithPrincipal(req.Context(), &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 1, Roles: []string{ecrm.RoleAdmin}}))
			case "advisor":
				req = req.WithContext(ecrm.WithPrincipal(req.Context(), &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 2, Roles: []string{ecrm.RoleAdvisor}}))
			}
			next.ServeHTTP(w, req)
		})
	})
	h := NewHandler(pool, pages)
	h.AdminRoutes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv, h
}

type editorCall struct {
	method, path, as, lang string
	form                   url.Values
}

func (c editorCall) do(t *testing.T, srv *httptest.Server) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.form.Encode()))
	req.Header.Set("X-Test-As", c.as)
	req.Header.Set("Accept-Language", c.lang)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

// fieldError is the message shown at the field with the given path.
func fieldError(body, path string) string {
	marker := `id="` + editorID(path) + `-error">`
	i := strings.Index(body, marker)
	if i < 0 {
		return ""
	}
	rest := body[i+len(marker):]
	return rest[:strings.Index(rest, "</p>")]
}

// TestEditorSavesAVersionWithEveryErrorAtItsField: one round shows every
// mistake at its field in the reader's language (an amount with letters,
// an emptied Romanian name, a rule that does not compile, an unticked
// target market); the live version stays. The corrected form saves
// version 2 and keeps version 1.
func TestEditorSavesAVersionWithEveryErrorAtItsField(t *testing.T) {
	srv, h := editorServer(t)
	ctx := context.Background()
	p, err := h.store.ProductByCode(ctx, "LOAN-EUR-PERS")
	if err != nil {
		t.Fatal(err)
	}
	ro := i18n.NewLocalizer(i18n.Romanian)
	f, err := formOf(p.Input(), ro)
	if err != nil {
		t.Fatal(err)
	}
	status, _, body := editorCall{method: "GET", path: "/console/products/LOAN-EUR-PERS", as: "admin", lang: "ro"}.do(t, srv)
	for path, want := range map[string]string{"name.en": p.Name.EN, "name.ro": p.Name.RO, "rules[0].expression": p.Rules[0].Expression,
		"definition.rate_tiers[0].rate": f.values.Get("definition.rate_tiers[0].rate")} {
		if !strings.Contains(body, fmt.Sprintf(`name="%s" type="text" value="%s"`, path, html.EscapeString(want))) {
			t.Errorf("edit page: %s does not show %q", path, want)
		}
	}
	if status != http.StatusOK || strings.Contains(body, "<textarea id=\"product-json\"") {
		t.Fatalf("edit page: status %d or still a JSON textarea", status)
	}

	bad := url.Values{}
	for k, v := range f.values {
		bad[k] = v
	}
	bad.Set("definition.monthly_fee", "doi lei")
	bad.Set("name.ro", "")
	bad.Set("rules[0].expression", "client.age >= ")
	bad.Del("definition.target_market.client_types")
	bad.Set("action", "save")
	status, _, body = editorCall{method: "POST", path: "/console/products/LOAN-EUR-PERS", as: "admin", lang: "ro", form: bad}.do(t, srv)
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid form: status %d, want 422", status)
	}
	want := map[string]string{
		"definition.monthly_fee":                ro.T("products.editor.error.definition.monthly_fee"),
		"name.ro":                               ro.T("products.editor.error.name.ro"),
		"definition.target_market.client_types": ro.T("products.editor.error.definition.target_market.client_types"),
		"rules[0].expression":                   "Această condiție nu poate fi folosită: line 1, column 14: Syntax error: mismatched input &#39;&lt;EOF&gt;&#39;",
	}
	for path, msg := range want {
		if got := fieldError(body, path); !strings.HasPrefix(got, msg) {
			t.Errorf("error at %s = %q, want %q", path, got, msg)
		}
	}
	if n := strings.Count(body, `class="field-error-item"`); n != len(want) {
		t.Errorf("summary lists %d errors, want %d", n, len(want))
	}
	if !strings.Contains(body, `value="doi lei"`) {
		t.Error("the typed fee is not shown again")
	}
	if cur, _ := h.store.ProductByCode(ctx, "LOAN-EUR-PERS"); cur.Version.Version != 1 {
		t.Errorf("version %d after a rejected change, want 1", cur.Version.Version)
	}

	good := url.Values{}
	for k, v := range f.values {
		good[k] = v
	}
	good.Set("rules[0].expression", "client.age >= 21")
	good.Set("definition.monthly_fee", "12,5")
	good.Set("name.ro", "Credit personal EUR")
	good.Set("action", "save")
	status, location, _ := editorCall{method: "POST", path: "/console/products/LOAN-EUR-PERS", as: "admin", lang: "ro", form: good}.do(t, srv)
	if status != http.StatusSeeOther || location != "/console/products/LOAN-EUR-PERS?saved=1" {
		t.Fatalf("valid change: %d %s", status, location)
	}
	cur, err := h.store.ProductByCode(ctx, "LOAN-EUR-PERS")
	if err != nil {
		t.Fatal(err)
	}
	if cur.Version.Version != 2 || cur.Rules[0].Expression != "client.age >= 21" || cur.Definition.MonthlyFee.String() != "12.5" ||
		cur.Name != (ecrm.Text{EN: p.Name.EN, RO: "Credit personal EUR"}) || !cur.Active {
		t.Errorf("saved: version %d, rule %q, fee %s, name %+v, active %t", cur.Version.Version, cur.Rules[0].Expression, cur.Definition.MonthlyFee, cur.Name, cur.Active)
	}
	_, _, body = editorCall{method: "GET", path: "/console/products/LOAN-EUR-PERS?saved=1", as: "admin", lang: "en"}.do(t, srv)
	if !strings.Contains(body, `<tr data-version="2" class="current">`) || !strings.Contains(body, `<tr data-version="1">`) || !strings.Contains(body, "Saved as version 2.") {
		t.Error("after save: want version 2 current, version 1 kept and the notice")
	}
}

// TestEditorCreatesAProduct: a product typed into the empty form is
// created with both names; its code cannot be taken twice; "more rows"
// adds empty rows and keeps what was typed.
func TestEditorCreatesAProduct(t *testing.T) {
	srv, h := editorServer(t)
	status, _, body := editorCall{method: "GET", path: "/console/products/new", as: "admin", lang: "en"}.do(t, srv)
	if status != http.StatusOK || !strings.Contains(body, `name="code"`) || !strings.Contains(body, `id="f-rules-1-expression"`) {
		t.Fatalf("new product page: %d", status)
	}
	form := url.Values{
		"code": {"TD-EUR-9M"}, "name.en": {"Term deposit EUR 9 months"}, "name.ro": {"Depozit la termen EUR 9 luni"},
		"line": {"banking"}, "kind": {"term_deposit"}, "provider": {"ecrm Bank"}, "currency": {"EUR"}, "risk_class": {"1"},
		"definition.min_amount": {"500"}, "definition.min_months": {"9"}, "definition.max_months": {"9"},
		"definition.capitalisation":           {"at_maturity"},
		"definition.rate_tiers[0].min_amount": {"0"}, "definition.rate_tiers[0].rate": {"2.1"},
		"definition.rate_tiers[1].min_amount": {"50,000"}, "definition.rate_tiers[1].rate": {"2.35"},
		"definition.target_market.client_types": {"retail", "professional"}, "definition.target_market.min_knowledge": {"none"},
		"definition.target_market.min_loss_capacity": {"none"}, "definition.target_market.min_risk_tolerance": {"1"},
		"definition.target_market.objectives": {"preservation"},
		"rules[0].id":                         {"adult"}, "rules[0].expression": {"client.age >= 18"},
		"rules[0].reason.en": {"You must be at least 18 years old"}, "rules[0].reason.ro": {"Trebuie să aveți cel puțin 18 ani"},
		"definition.disclosures[1].en": {"Deposits are guaranteed up to EUR 100,000."}, "definition.disclosures[1].ro": {"Depozitele sunt garantate până la 100.000 EUR."},
	}
	more := url.Values{"action": {"rows"}}
	for k, v := range form {
		more[k] = v
	}
	status, _, body = editorCall{method: "POST", path: "/console/products/new", as: "admin", lang: "en", form: more}.do(t, srv)
	if status != http.StatusOK || !strings.Contains(body, `id="f-rules-4-expression"`) || !strings.Contains(body, `value="Term deposit EUR 9 months"`) {
		t.Errorf("more rows: %d, want rows up to rule 5 and the typed name kept", status)
	}
	form.Set("action", "save")
	status, location, body := editorCall{method: "POST", path: "/console/products/new", as: "admin", lang: "en", form: form}.do(t, srv)
	if status != http.StatusSeeOther || location != "/console/products/TD-EUR-9M?saved=1" {
		t.Fatalf("create: %d %s\n%s", status, location, body)
	}
	p, err := h.store.ProductByCode(context.Background(), "TD-EUR-9M")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name.RO != "Depozit la termen EUR 9 luni" || len(p.Definition.RateTiers) != 2 || p.Definition.RateTiers[1].MinAmount.String() != "50000" ||
		p.Definition.RateTiers[1].Rate.String() != "0.0235" || len(p.Definition.Disclosures) != 1 || len(p.Rules) != 1 || !p.Active {
		t.Errorf("created %+v", p)
	}
	status, _, body = editorCall{method: "POST", path: "/console/products/new", as: "admin", lang: "en", form: form}.do(t, srv)
	if status != http.StatusUnprocessableEntity || fieldError(body, "code") != i18n.NewLocalizer(i18n.English).T("products.editor.error.code_taken") {
		t.Errorf("the same code again: %d, error %q", status, fieldError(body, "code"))
	}
}

// TestEditorPreviewsRulesOnAClient: "try on a client" evaluates the
// product as typed, unsaved, for a client found by number or e-mail, says
// which rules fail with the reason the client would read, and logs the
// look at the client's profile.
func TestEditorPreviewsRulesOnAClient(t *testing.T) {
	srv, h := editorServer(t)
	ctx := context.Background()
	p, _ := h.store.ProductByCode(ctx, "TD-RON-12M")
	en := i18n.NewLocalizer(i18n.English)
	f, _ := formOf(p.Input(), en)
	f.values.Set("action", "preview")
	f.values.Set("rules[0].expression", "client.age >= 21") // typed, not saved
	f.values.Set("preview_client", "matei@example.com")
	status, _, body := editorCall{method: "POST", path: "/console/products/TD-RON-12M", as: "admin", lang: "en", form: f.values}.do(t, srv)
	if status != http.StatusOK || !strings.Contains(body, "Client 8 would not be offered this product") ||
		!strings.Contains(body, `<tr data-rule="adult"><th scope="row"><code>adult</code></th><td>Not met</td><td>You must be at least 18 years old</td></tr>`) {
		t.Errorf("preview on Matei (16): %d\n%s", status, body[strings.Index(body, `id="preview"`):])
	}
	f.values.Set("preview_client", "7")
	_, _, body = editorCall{method: "POST", path: "/console/products/TD-RON-12M", as: "admin", lang: "en", form: f.values}.do(t, srv)
	if !strings.Contains(body, "Client 7 would be offered this product") || !strings.Contains(body, "for "+en.Money(ecrm.MustMoney("500", "RON"))+" over 12 months.") {
		t.Errorf("preview on Ana (40): %s", body[strings.Index(body, `id="preview"`):])
	}
	f.values.Set("preview_client", "nobody@example.com")
	status, _, body = editorCall{method: "POST", path: "/console/products/TD-RON-12M", as: "admin", lang: "en", form: f.values}.do(t, srv)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, en.T("products.editor.preview.no_client")) {
		t.Errorf("unknown client: %d", status)
	}
	var logged int
	if err := h.store.pool.QueryRow(ctx, `SELECT count(*) FROM staff_access_log WHERE staff_id = 1 AND resource = 'rule_preview'
		AND detail->>'product' = 'TD-RON-12M'`).Scan(&logged); err != nil || logged != 2 {
		t.Errorf("%d previews logged, want 2 (%v)", logged, err)
	}
	if cur, _ := h.store.ProductByCode(ctx, "TD-RON-12M"); cur.Version.Version != 1 || cur.Rules[0].Expression != p.Rules[0].Expression {
		t.Error("a preview saved the product")
	}
}

// TestEditorWithdrawsAProduct: withdrawing needs a reason, keeps who and
// why, takes the product off the live catalogue, and can be undone.
func TestEditorWithdrawsAProduct(t *testing.T) {
	srv, h := editorServer(t)
	ctx := context.Background()
	path := "/console/products/TD-RON-3M/status"
	status, _, body := editorCall{method: "POST", path: path, as: "admin", lang: "ro", form: url.Values{"active": {"false"}, "reason": {" "}}}.do(t, srv)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, i18n.NewLocalizer(i18n.Romanian).T("products.editor.error.status_reason")) {
		t.Errorf("no reason: %d", status)
	}
	status, location, _ := editorCall{method: "POST", path: path, as: "admin", lang: "en", form: url.Values{"active": {"false"}, "reason": {"Rate no longer competitive"}}}.do(t, srv)
	if status != http.StatusSeeOther || location != "/console/products/TD-RON-3M?status=retired" {
		t.Fatalf("withdraw: %d %s", status, location)
	}
	live, err := h.store.Products(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range live {
		if p.Code == "TD-RON-3M" {
			t.Error("a withdrawn product is still in the live catalogue")
		}
	}
	_, _, body = editorCall{method: "GET", path: "/console/products/TD-RON-3M?status=retired", as: "admin", lang: "en"}.do(t, srv)
	if !strings.Contains(body, "<td>Withdrawn</td><td>Elena Admin</td><td>Rate no longer competitive</td>") || !strings.Contains(body, "Put back on sale") {
		t.Error("the withdrawal is not shown with who and why")
	}
	// Saving the form of a withdrawn product keeps it withdrawn.
	p, _ := h.store.ProductByCode(ctx, "TD-RON-3M")
	f, _ := formOf(p.Input(), i18n.NewLocalizer(i18n.English))
	f.values.Set("provider", "ecrm Bank SA")
	f.values.Set("action", "save")
	if status, _, _ := (editorCall{method: "POST", path: "/console/products/TD-RON-3M", as: "admin", lang: "en", form: f.values}).do(t, srv); status != http.StatusSeeOther {
		t.Fatalf("save a withdrawn product: %d", status)
	}
	if cur, _ := h.store.ProductByCode(ctx, "TD-RON-3M"); cur.Active || cur.Provider != "ecrm Bank SA" {
		t.Errorf("after saving: active %t, provider %q", cur.Active, cur.Provider)
	}
	editorCall{method: "POST", path: path, as: "admin", lang: "en", form: url.Values{"active": {"true"}, "reason": {"Rates revised"}}}.do(t, srv)
	if cur, _ := h.store.ProductByCode(ctx, "TD-RON-3M"); !cur.Active {
		t.Error("not back on sale")
	}
	changes, err := h.store.StatusChanges(ctx, "TD-RON-3M")
	if err != nil || len(changes) != 2 || !changes[0].Active || changes[1].Active {
		t.Errorf("status changes %+v, %v", changes, err)
	}
}

// TestEditorIsForAdministratorsOnly: every editor route refuses an
// advisor and an anonymous visitor, and changes nothing.
func TestEditorIsForAdministratorsOnly(t *testing.T) {
	srv, h := editorServer(t)
	for _, as := range []string{"advisor", ""} {
		for _, c := range []editorCall{
			{method: "GET", path: "/console/products"},
			{method: "GET", path: "/console/products/new"},
			{method: "POST", path: "/console/products/new", form: url.Values{"code": {"X-1"}, "action": {"save"}}},
			{method: "GET", path: "/console/products/TD-RON-3M"},
			{method: "POST", path: "/console/products/TD-RON-3M", form: url.Values{"name.en": {"x"}, "action": {"save"}}},
			{method: "POST", path: "/console/products/TD-RON-3M", form: url.Values{"preview_client": {"7"}, "action": {"preview"}}},
			{method: "POST", path: "/console/products/TD-RON-3M/status", form: url.Values{"active": {"false"}, "reason": {"x"}}},
		} {
			c.as, c.lang = as, "en"
			want := map[string]int{"advisor": http.StatusForbidden, "": http.StatusUnauthorized}[as]
			if status, _, _ := c.do(t, srv); status != want {
				t.Errorf("%q %s %s: %d, want %d", as, c.method, c.path, status, want)
			}
		}
	}
	if p, _ := h.store.ProductByCode(context.Background(), "TD-RON-3M"); p.Version.Version != 1 || !p.Active {
		t.Error("a refused request changed the product")
	}
	var n int
	if err := h.store.pool.QueryRow(context.Background(), `SELECT count(*) FROM staff_access_log`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d accesses logged by refused requests", n)
	}
}
