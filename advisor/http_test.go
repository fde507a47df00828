package advisor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm"
)

// listNames returns "Family, Given" of each client of an API page.
func listNames(p clientPageJSON) []string {
	names := []string{}
	for _, c := range p.Clients {
		names = append(names, c.FamilyName+", "+c.GivenName)
	}
	return names
}

// pageListNames returns the names in the client list table of a page.
func pageListNames(t *testing.T, body string) []string {
	t.Helper()
	table := regexp.MustCompile(`(?s)<table class="data-table" id="client-list">.*?</table>`).FindString(body)
	names := []string{}
	for _, m := range regexp.MustCompile(`<th scope="row"><a href="/console/clients/\d+">([^<]+)</a></th>`).FindAllStringSubmatch(table, -1) {
		names = append(names, m[1])
	}
	return names
}

var (
	bookA = []string{"Albu, Dan", "Ionescu, Maria", "Popescu, Ana", "Ștefănescu, Radu"}
	bookB = []string{"Ionescu, Radu", "Popa, Ion", "Zamfir, Elena"}
	all   = []string{"Albu, Dan", "Ionescu, Maria", "Ionescu, Radu", "Popa, Ion", "Popescu, Ana", "Stan, Mihai",
		"Ștefănescu, Radu", "Zamfir, Elena"}
)

func TestClientListIsScopedAndSearchable(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		as    string
		query string
		want  []string
	}{
		{asAdvisorA, "", bookA},
		{asAdvisorB, "", bookB},
		{asCompliance, "", all},
		{asAdmin, "", all},
		// Family-name prefix, any case, diacritics ignored both ways.
		{asCompliance, "q=pop", []string{"Popa, Ion", "Popescu, Ana"}},
		{asAdvisorA, "q=pop", []string{"Popescu, Ana"}},
		{asAdvisorB, "q=pop", []string{"Popa, Ion"}},
		{asCompliance, "q=IONESCU", []string{"Ionescu, Maria", "Ionescu, Radu"}},
		{asAdvisorA, "q=ionescu", []string{"Ionescu, Maria"}},
		{asCompliance, "q=stef", []string{"Ștefănescu, Radu"}},
		{asCompliance, "q=" + url.QueryEscape("ȘTE"), []string{"Ștefănescu, Radu"}},
		// Given name then family name, and the other way round.
		{asCompliance, "q=" + url.QueryEscape("ana pop"), []string{"Popescu, Ana"}},
		{asCompliance, "q=" + url.QueryEscape("popescu an"), []string{"Popescu, Ana"}},
		{asCompliance, "q=" + url.QueryEscape("  radu   ion "), []string{"Ionescu, Radu"}},
		{asAdvisorA, "q=" + url.QueryEscape("radu ion"), []string{}},
		{asCompliance, "q=radu", []string{}},
		// E-mail prefix, with an @.
		{asCompliance, "q=" + url.QueryEscape("Maria.Ionescu@"), []string{"Ionescu, Maria"}},
		{asCompliance, "q=" + url.QueryEscape("dan@albu"), []string{"Albu, Dan"}},
		{asAdvisorB, "q=" + url.QueryEscape("dan@"), []string{}},
		// LIKE wildcards are text.
		{asCompliance, "q=" + url.QueryEscape("%"), []string{}},
		{asCompliance, "q=" + url.QueryEscape("p_p"), []string{}},
		{asCompliance, "q=" + url.QueryEscape("%@"), []string{}},
		// Segment filter.
		{asCompliance, "segment=affluent", []string{"Ionescu, Maria", "Popa, Ion"}},
		{asAdvisorA, "segment=mass", []string{"Popescu, Ana"}},
		{asCompliance, "segment=mass&q=pop", []string{"Popescu, Ana"}},
	}
	for _, tt := range tests {
		t.Run(tt.as+"?"+tt.query, func(t *testing.T) {
			var got clientPageJSON
			f.getJSON(t, "/api/v1/clients?"+tt.query, tt.as, http.StatusOK, &got)
			if names := listNames(got); !slices.Equal(names, tt.want) {
				t.Errorf("API names = %q, want %q", names, tt.want)
			}
			if got.NextCursor != nil {
				t.Errorf("next_cursor = %q on a single page", *got.NextCursor)
			}
			w := f.do(t, request{path: "/console/clients?" + tt.query, as: tt.as})
			if w.Code != http.StatusOK {
				t.Fatalf("page status %d", w.Code)
			}
			if names := pageListNames(t, w.Body.String()); !slices.Equal(names, tt.want) {
				t.Errorf("page names = %q, want %q", names, tt.want)
			}
			// The page counts what the search selects, all pages together.
			if n, err := f.handler.store.CountClients(context.Background(), scopeOf(t, tt.as), queryFilter(t, tt.query)); err != nil || n != len(tt.want) {
				t.Errorf("CountClients = %d, %v; want %d", n, err, len(tt.want))
			}
			if len(tt.want) > 0 {
				want := fmt.Sprintf(`<p id="client-count">%d client`, len(tt.want))
				if !strings.Contains(w.Body.String(), want) {
					t.Errorf("the page does not say %s…", want)
				}
			}
		})
	}
}

// scopeOf is the scope of a test principal ("staff:1:advisor").
func scopeOf(t *testing.T, as string) Scope {
	t.Helper()
	parts := strings.Split(as, ":")
	id, _ := strconv.ParseInt(parts[1], 10, 64)
	sc, err := ReadScope(&ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: id, Roles: strings.Split(parts[2], ",")})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// queryFilter is the client filter of a list URL's query.
func queryFilter(t *testing.T, query string) ClientFilter {
	t.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	return filterFrom(q)
}

func TestClientListRows(t *testing.T) {
	f := newFixture(t)
	var got clientPageJSON
	f.getJSON(t, "/api/v1/clients", asAdvisorA, http.StatusOK, &got)
	byName := map[string]clientSummaryJSON{}
	for _, c := range got.Clients {
		byName[c.FamilyName] = c
	}
	maria := byName["Ionescu"]
	if maria.ID != mariaIonescu || *maria.Age != 45 || *maria.BirthDate != "1980-11-16" || maria.Segment != "affluent" ||
		maria.KYCStatus != "verified" || maria.Vulnerable || *maria.Email != "maria.ionescu@mail.test" {
		t.Errorf("Maria = %+v", maria)
	}
	// Open accounts only; the loan counts against the deposits.
	wantBalances := []moneyJSON{{"2500.00", "EUR"}, {"-38499.50", "RON"}}
	if !slices.Equal(maria.Balances, wantBalances) {
		t.Errorf("Maria's balances = %v, want %v", maria.Balances, wantBalances)
	}
	ana := byName["Popescu"]
	if !ana.Vulnerable || ana.KYCStatus != "pending" || *ana.Age != 36 || !slices.Equal(ana.Balances, []moneyJSON{{"120.75", "RON"}}) {
		t.Errorf("Ana = %+v", ana)
	}
	dan := byName["Albu"]
	if dan.Age != nil || dan.BirthDate != nil || dan.Balances == nil || len(dan.Balances) != 0 {
		t.Errorf("Dan = %+v, want no age and an empty balance list", dan)
	}
	// Radu Ștefănescu turned 71 in January.
	if radu := byName["Ștefănescu"]; *radu.Age != 71 || radu.Email != nil {
		t.Errorf("Radu = %+v", radu)
	}
}

func TestClientListPaging(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		as    string
		query string
		limit string
		pages [][]string
	}{
		{asAdvisorA, "", "2", [][]string{{"Albu, Dan", "Ionescu, Maria"}, {"Popescu, Ana", "Ștefănescu, Radu"}}},
		{asCompliance, "", "3", [][]string{all[0:3], all[3:6], all[6:8]}},
		{asCompliance, "ionescu", "1", [][]string{{"Ionescu, Maria"}, {"Ionescu, Radu"}}},
	} {
		var after string
		for i, want := range tt.pages {
			q := url.Values{"limit": {tt.limit}}
			if tt.query != "" {
				q.Set("q", tt.query)
			}
			if after != "" {
				q.Set("after", after)
			}
			var got clientPageJSON
			f.getJSON(t, "/api/v1/clients?"+q.Encode(), tt.as, http.StatusOK, &got)
			if names := listNames(got); !slices.Equal(names, want) {
				t.Errorf("%s %q page %d = %q, want %q", tt.as, tt.query, i+1, names, want)
			}
			last := i == len(tt.pages)-1
			if last != (got.NextCursor == nil) {
				t.Fatalf("%s page %d: next_cursor %v, want one only before the last page", tt.as, i+1, got.NextCursor)
			}
			if !last {
				after = *got.NextCursor
			}
		}
	}

	// The page links carry the search to the next page and back.
	w := f.do(t, request{path: "/console/clients?limit=2&segment=mass", as: asCompliance})
	body := w.Body.String()
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(body)
	if next == nil {
		t.Fatalf("no next page link in %s", body)
	}
	nextURL := strings.ReplaceAll(next[1], "&amp;", "&")
	w = f.do(t, request{path: nextURL, as: asCompliance})
	if names := pageListNames(t, w.Body.String()); !slices.Equal(names, []string{"Zamfir, Elena"}) {
		t.Errorf("second page %s = %q", nextURL, names)
	}
	if !strings.Contains(w.Body.String(), `href="/console/clients?limit=2&amp;segment=mass"`) {
		t.Errorf("second page has no link back to the first page")
	}
}

// TestClientListSorts: the list sorts by name either way and by age
// either way (clients whose age is not known last in both), page by page
// with the order kept across pages, in the advisor's book and over all
// clients; the column headers link to the other direction and say the
// current one; a cursor of one order is refused in another.
func TestClientListSorts(t *testing.T) {
	f := newFixture(t)
	oldest := []string{"Ștefănescu, Radu", "Popa, Ion", "Ionescu, Radu", "Ionescu, Maria", "Zamfir, Elena", "Popescu, Ana", "Stan, Mihai", "Albu, Dan"}
	youngest := []string{"Stan, Mihai", "Popescu, Ana", "Zamfir, Elena", "Ionescu, Maria", "Ionescu, Radu", "Popa, Ion", "Ștefănescu, Radu", "Albu, Dan"}
	reversed := slices.Clone(all)
	slices.Reverse(reversed)
	for _, tt := range []struct {
		as, sort, query string
		want            []string
	}{
		{asCompliance, "-age", "", oldest},
		{asCompliance, "age", "", youngest},
		{asCompliance, "-name", "", reversed},
		{asCompliance, "-age", "ionescu", []string{"Ionescu, Radu", "Ionescu, Maria"}},
		{asAdvisorA, "age", "", []string{"Popescu, Ana", "Ionescu, Maria", "Ștefănescu, Radu", "Albu, Dan"}},
		{asAdvisorA, "-name", "", []string{"Ștefănescu, Radu", "Popescu, Ana", "Ionescu, Maria", "Albu, Dan"}},
	} {
		var got []string
		after := ""
		for page := 0; page < 10; page++ {
			q := url.Values{"limit": {"3"}, "sort": {tt.sort}}
			if tt.query != "" {
				q.Set("q", tt.query)
			}
			if after != "" {
				q.Set("after", after)
			}
			var p clientPageJSON
			f.getJSON(t, "/api/v1/clients?"+q.Encode(), tt.as, http.StatusOK, &p)
			got = append(got, listNames(p)...)
			if p.NextCursor == nil {
				break
			}
			after = *p.NextCursor
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s sort=%s q=%q: %q, want %q", tt.as, tt.sort, tt.query, got, tt.want)
		}
	}

	body := f.do(t, request{path: "/console/clients?sort=-age&segment=mass", as: asCompliance}).Body.String()
	for _, want := range []string{
		`<th scope="col" class="numeric" aria-sort="descending"><a href="/console/clients?segment=mass&amp;sort=age" id="sort-age">`,
		`<th scope="col"><a href="/console/clients?segment=mass" id="sort-name">`,
		`<input type="hidden" name="sort" value="-age">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("sorted page lacks %s", want)
		}
	}
	if names := pageListNames(t, body); !slices.Equal(names, []string{"Ionescu, Radu", "Zamfir, Elena", "Popescu, Ana"}) {
		t.Errorf("mass clients oldest first = %q", names)
	}
	body = f.do(t, request{path: "/console/clients?segment=mass", as: asCompliance}).Body.String()
	if !strings.Contains(body, `<th scope="col" aria-sort="ascending"><a href="/console/clients?segment=mass&amp;sort=-name" id="sort-name">`) {
		t.Error("the name column does not offer the reverse order")
	}

	var p clientPageJSON
	f.getJSON(t, "/api/v1/clients?limit=2&sort=age", asCompliance, http.StatusOK, &p)
	w := f.do(t, request{path: "/api/v1/clients?sort=name&after=" + url.QueryEscape(*p.NextCursor), as: asCompliance})
	if w.Code != http.StatusUnprocessableEntity || !slices.Equal(fields(decodeProblem(t, w)), []string{"after"}) {
		t.Errorf("a cursor of the age order used with the name order: %d", w.Code)
	}
}

func TestClientListRefusesBadParameters(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		query string
		want  []string
	}{
		{"limit=abc", []string{"limit"}},
		{"limit=0", []string{"limit"}},
		{"limit=201", []string{"limit"}},
		{"segment=gold", []string{"segment"}},
		{"sort=balance", []string{"sort"}},
		{"after=not-a-cursor", []string{"after"}},
		{"q=" + strings.Repeat("a", 101), []string{"q"}},
		{"q=" + strings.Repeat("a", 101) + "&segment=gold&limit=-3&after=x", []string{"q", "segment", "limit", "after"}},
	}
	for _, tt := range tests {
		w := f.do(t, request{path: "/api/v1/clients?" + tt.query, as: asCompliance})
		if w.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", tt.query, w.Code)
			continue
		}
		if got := fields(decodeProblem(t, w)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: fields %q, want %q", tt.query, got, tt.want)
		}
	}
	w := f.do(t, request{path: "/console/clients?segment=gold&q=pop", as: asAdvisorA})
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("page status %d, want 422", w.Code)
	}
	body := w.Body.String()
	for _, want := range []string{`id="segment-error">Choose a segment from the list.</p>`, `name="q" value="pop"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

// everyClientRoute lists a call to each route that names a client, with a
// valid request.
func everyClientRoute(id string) []request {
	contact := `{"channel":"phone","direction":"outbound","subject":"Call"}`
	return []request{
		{method: http.MethodGet, path: "/console/clients/" + id},
		{method: http.MethodGet, path: "/console/clients/" + id + "?channel=phone"},
		{method: http.MethodGet, path: "/console/clients/" + id + "/credit-history?purpose=account_review"},
		{method: http.MethodGet, path: "/console/clients/" + id + "/credit-history"},
		{method: http.MethodPost, path: "/console/clients/" + id + "/interactions", form: true, body: "channel=phone&direction=outbound&subject=Call"},
		{method: http.MethodPost, path: "/console/clients/" + id + "/interactions", form: true, body: "channel=pigeon"},
		{method: http.MethodGet, path: "/api/v1/clients/" + id},
		{method: http.MethodGet, path: "/api/v1/clients/" + id + "?channel=sms"},
		{method: http.MethodGet, path: "/api/v1/clients/" + id + "/credit-history?purpose=collections"},
		{method: http.MethodGet, path: "/api/v1/clients/" + id + "/credit-history"},
		{method: http.MethodPost, path: "/api/v1/clients/" + id + "/interactions", body: contact},
		{method: http.MethodPost, path: "/api/v1/clients/" + id + "/interactions", body: `{"channel":""}`},
	}
}

func TestClientOutsideTheBookIsNotFound(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		as string
		id string
	}{
		{asAdvisorA, "102"}, // Radu Ionescu, advisor B's client (and Maria's spouse)
		{asAdvisorA, "108"}, // Mihai Stan, nobody's client
		{asAdvisorB, "101"}, // Maria Ionescu, advisor A's client
		{asAdvisorA, "999"}, // no such client
		{asAdvisorA, "abc"},
		{asCompliance, "999"},
		{asCompliance, "0"},
	} {
		for _, req := range everyClientRoute(tt.id) {
			if tt.as == asCompliance && req.method == http.MethodPost {
				continue // read-only: 403 before any client is looked at
			}
			req.as = tt.as
			w := f.do(t, req)
			if w.Code != http.StatusNotFound {
				t.Errorf("%s %s as %s: status %d, want 404; body %.200s", req.method, req.path, tt.as, w.Code, w.Body)
				continue
			}
			if strings.HasPrefix(req.path, "/api/") {
				if p := decodeProblem(t, w); p.Status != http.StatusNotFound || len(p.Errors) != 0 {
					t.Errorf("%s %s: problem %+v", req.method, req.path, p)
				}
			} else if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("%s %s: Content-Type %q, want an error page", req.method, req.path, ct)
			}
		}
	}
	if got := accessLog(t, f.pool); len(got) != 0 {
		t.Errorf("access log = %q, want nothing logged for clients out of reach", got)
	}
	if n := countRows(t, f.pool, `SELECT count(*) FROM interactions WHERE subject = 'Call'`); n != 0 {
		t.Errorf("%d contacts stored for clients out of reach", n)
	}
}

func TestComplianceAndAdminReadEveryClientButCannotLogContacts(t *testing.T) {
	f := newFixture(t)
	for _, as := range []string{asCompliance, asAdmin} {
		for _, path := range []string{
			"/console/clients/102", "/api/v1/clients/102", "/api/v1/clients/108",
			"/console/clients/101/credit-history?purpose=regulatory_request",
			"/api/v1/clients/104/credit-history?purpose=complaint",
		} {
			if w := f.do(t, request{path: path, as: as}); w.Code != http.StatusOK {
				t.Errorf("GET %s as %s: status %d, want 200", path, as, w.Code)
			}
		}
		for _, req := range []request{
			{method: http.MethodPost, path: "/console/clients/101/interactions", form: true, body: "channel=phone&direction=outbound&subject=Call"},
			{method: http.MethodPost, path: "/api/v1/clients/101/interactions", body: `{"channel":"phone","direction":"outbound","subject":"Call"}`},
			{method: http.MethodPost, path: "/api/v1/clients/999/interactions", body: `{}`},
		} {
			req.as = as
			if w := f.do(t, req); w.Code != http.StatusForbidden {
				t.Errorf("%s %s as %s: status %d, want 403", req.method, req.path, as, w.Code)
			}
		}
	}
	if n := countRows(t, f.pool, `SELECT count(*) FROM interactions WHERE subject = 'Call'`); n != 0 {
		t.Errorf("%d contacts stored by read-only staff", n)
	}
	// Read-only staff get no contact form.
	w := f.do(t, request{path: "/console/clients/101", as: asCompliance})
	if strings.Contains(w.Body.String(), `id="log-contact"`) {
		t.Error("compliance sees the contact form")
	}
	w = f.do(t, request{path: "/console/clients/101", as: asAdvisorA})
	if !strings.Contains(w.Body.String(), `id="log-contact"`) {
		t.Error("the client's advisor has no contact form")
	}
}

func TestOnlyStaffWithAConsoleRoleGetIn(t *testing.T) {
	f := newFixture(t)
	var routes []request
	for _, path := range []string{"/console", "/console/clients", "/api/v1/clients"} {
		routes = append(routes, request{method: http.MethodGet, path: path})
	}
	routes = append(routes, everyClientRoute("101")...)
	for _, tt := range []struct {
		as   string
		want int
	}{
		{anonymous, http.StatusUnauthorized},
		{asClient, http.StatusForbidden},
		{"client:101", http.StatusForbidden},
		{asNoRole, http.StatusForbidden},
		{"staff:0:advisor", http.StatusForbidden},
	} {
		for _, req := range routes {
			req.as = tt.as
			w := f.do(t, req)
			if w.Code != tt.want {
				t.Errorf("%s %s as %q: status %d, want %d", req.method, req.path, tt.as, w.Code, tt.want)
				continue
			}
			if strings.HasPrefix(req.path, "/api/") {
				decodeProblem(t, w)
			}
			if tt.want == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("%s %s: WWW-Authenticate %q", req.method, req.path, w.Header().Get("WWW-Authenticate"))
			}
		}
	}
	if got := accessLog(t, f.pool); len(got) != 0 {
		t.Errorf("access log = %q, want nothing", got)
	}
}

func TestCreditHistoryRequiresAPurposeAndIsLogged(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{
		"/api/v1/clients/101/credit-history",
		"/api/v1/clients/101/credit-history?purpose=",
		"/api/v1/clients/101/credit-history?purpose=curiosity",
	} {
		w := f.do(t, request{path: path, as: asAdvisorA})
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("%s: status %d, want 422", path, w.Code)
		}
		if got := fields(decodeProblem(t, w)); !slices.Equal(got, []string{"purpose"}) {
			t.Errorf("%s: fields %q, want [purpose]", path, got)
		}
	}
	w := f.do(t, request{path: "/console/clients/101/credit-history", as: asAdvisorA})
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("page without purpose: status %d, want 422", w.Code)
	}
	for _, want := range []string{
		`<p class="error-message" id="purpose-error">Choose why you are opening the credit history.</p>`,
		`<select id="purpose" name="purpose" aria-describedby="purpose-hint purpose-error" aria-invalid="true">`,
	} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("purpose form lacks %s", want)
		}
	}
	w = f.do(t, request{path: "/console/clients/101/credit-history?purpose=curiosity", as: asAdvisorA, acceptLanguage: "ro"})
	if !strings.Contains(w.Body.String(), `id="purpose-error">Alegeți un scop din listă.</p>`) {
		t.Errorf("Romanian purpose error missing")
	}
	if got := accessLog(t, f.pool); len(got) != 0 {
		t.Fatalf("access log = %q, want nothing before a purpose is stated", got)
	}

	f.getJSON(t, "/api/v1/clients/101/credit-history?purpose=collections", asAdvisorA, http.StatusOK, nil)
	if got, want := accessLog(t, f.pool), []string{"1 101 credit_history collections"}; !slices.Equal(got, want) {
		t.Fatalf("after one API view: access log = %q, want %q", got, want)
	}
	w = f.do(t, request{path: "/console/clients/101/credit-history?purpose=account_review", as: asAdvisorA})
	if w.Code != http.StatusOK {
		t.Fatalf("page: status %d", w.Code)
	}
	f.getJSON(t, "/api/v1/clients/101", asAdvisorA, http.StatusOK, nil)
	f.do(t, request{path: "/console/clients/104", as: asCompliance})
	f.getJSON(t, "/api/v1/clients/104/credit-history?purpose=regulatory_request", asCompliance, http.StatusOK, nil)
	want := []string{
		"1 101 credit_history collections",
		"1 101 credit_history account_review",
		"1 101 client_360 -",
		"3 104 client_360 -",
		"3 104 credit_history regulatory_request",
	}
	if got := accessLog(t, f.pool); !slices.Equal(got, want) {
		t.Errorf("access log = %q, want %q", got, want)
	}
	// The request id of the view is the one in the response header.
	w = f.do(t, request{path: "/api/v1/clients/103", as: asAdvisorA})
	var logged string
	if err := f.pool.QueryRow(context.Background(), `SELECT request_id FROM staff_access_log ORDER BY id DESC LIMIT 1`).Scan(&logged); err != nil {
		t.Fatal(err)
	}
	if logged != w.Header().Get("X-Request-Id") {
		t.Errorf("logged request id %q, response has %q", logged, w.Header().Get("X-Request-Id"))
	}
}

func TestCreditHistoryTimelineAndSummary(t *testing.T) {
	f := newFixture(t)
	var got creditHistoryJSON
	f.getJSON(t, "/api/v1/clients/101/credit-history?purpose=credit_application", asAdvisorA, http.StatusOK, &got)
	if got.ClientID != mariaIonescu || got.Purpose != "credit_application" || got.From != "2023-12" || got.To != "2026-11" {
		t.Errorf("header = %d %s %s..%s", got.ClientID, got.Purpose, got.From, got.To)
	}
	s := func(v string) *string { return &v }
	wantOverall := summaryJSON{Worst12m: s("late_60"), Worst24m: s("late_60"), Worst36m: s("late_60"),
		WorstMonth: s("2026-11"), LateMonths: 5, ReportedMonths: 36, LastLateMonth: s("2026-11")}
	checkSummary(t, "overall", got.Summary, wantOverall)
	wantExplanation := "Late months in the last 36: 5 of 36 reported. The worst was 60 days late, last in Nov 2026. " +
		"Worst in the last 12 months: 60 days late; in the last 24 months: 60 days late."
	if got.Explanation != wantExplanation {
		t.Errorf("explanation = %q\nwant %q", got.Explanation, wantExplanation)
	}
	if len(got.CreditLines) != 2 || got.CreditLines[0].ID != mariaCard || got.CreditLines[1].ID != mariaMortgage {
		t.Fatalf("credit lines = %+v, want the card then the mortgage", got.CreditLines)
	}
	card, mortgage := got.CreditLines[0], got.CreditLines[1]
	checkSummary(t, "mortgage", mortgage.Summary, summaryJSON{Worst12m: s("on_time"), Worst24m: s("late_30"),
		Worst36m: s("late_60"), WorstMonth: s("2024-03"), LateMonths: 2, ReportedMonths: 36, LastLateMonth: s("2025-02")})
	checkSummary(t, "card", card.Summary, summaryJSON{Worst12m: s("late_60"), Worst24m: s("late_60"),
		Worst36m: s("late_60"), WorstMonth: s("2026-11"), LateMonths: 3, ReportedMonths: 6, LastLateMonth: s("2026-11")})

	timeline := func(months []monthJSONValue) string {
		var b strings.Builder
		for _, m := range months {
			switch {
			case m.Status == nil:
				b.WriteString(".")
			case *m.Status == "on_time":
				b.WriteString("o")
			default:
				b.WriteString((*m.Status)[5:6]) // late_30 → 3, late_60 → 6
			}
		}
		return b.String()
	}
	//               Dec 2023 ...                      ... Nov 2026
	wantMortgage := "ooo6oooooooooo3ooooooooooooooooooooo"
	wantCard := "..............................oo36o6"
	wantTimeline := "ooo6oooooooooo3ooooooooooooooooo36o6"
	if got := timeline(mortgage.Months); got != wantMortgage {
		t.Errorf("mortgage timeline %s, want %s", got, wantMortgage)
	}
	if got := timeline(card.Months); got != wantCard {
		t.Errorf("card timeline %s, want %s", got, wantCard)
	}
	if got := timeline(got.Months); got != wantTimeline {
		t.Errorf("overall timeline %s, want %s", got, wantTimeline)
	}
	aug := card.Months[32]
	if aug.Month != "2026-08" || *aug.AmountDue != (moneyJSON{"100.00", "RON"}) || *aug.AmountPaid != (moneyJSON{"50.00", "RON"}) {
		t.Errorf("card August 2026 = %+v", aug)
	}
	if card.Months[0].AmountDue != nil || card.Months[0].Month != "2023-12" {
		t.Errorf("card December 2023 = %+v, want no record", card.Months[0])
	}

	// A client with nothing late, and one with no credit at all.
	var clean creditHistoryJSON
	f.getJSON(t, "/api/v1/clients/102/credit-history?purpose=account_review", asCompliance, http.StatusOK, &clean)
	if clean.Explanation != "No payments were reported in the last 36 months." || len(clean.CreditLines) != 0 {
		t.Errorf("Radu Ionescu: %q, %d lines", clean.Explanation, len(clean.CreditLines))
	}

	// The page shows each line's timeline, newest month first.
	w := f.do(t, request{path: "/console/clients/101/credit-history?purpose=credit_application", as: asAdvisorA})
	body := w.Body.String()
	table := regexp.MustCompile(`(?s)<table class="data-table credit-timeline" id="timeline-201">.*?</table>`).FindString(body)
	rows := regexp.MustCompile(`(?s)<tr class="status-([a-z_0-9]+)">\s*<th scope="row">([^<]+)</th>\s*<td class="status">([^<]+)</td>`).FindAllStringSubmatch(table, -1)
	if len(rows) != 36 {
		t.Fatalf("mortgage timeline has %d rows, want 36", len(rows))
	}
	for _, want := range [][3]string{{"on_time", "Nov 2026", "On time"}, {"late_30", "Feb 2025", "30 days late"}, {"late_60", "Mar 2024", "60 days late"}, {"on_time", "Dec 2023", "On time"}} {
		found := false
		for _, r := range rows {
			if r[2] == want[1] {
				found = true
				if r[1] != want[0] || r[3] != want[2] {
					t.Errorf("%s: %s %q, want %s %q", want[1], r[1], r[3], want[0], want[2])
				}
			}
		}
		if !found {
			t.Errorf("no row for %s", want[1])
		}
	}
	if rows[0][2] != "Nov 2026" || rows[35][2] != "Dec 2023" {
		t.Errorf("timeline runs %s to %s, want Nov 2026 to Dec 2023", rows[0][2], rows[35][2])
	}
	if !strings.Contains(body, `<p id="credit-explanation">`+wantExplanation+`</p>`) {
		t.Errorf("page lacks the explanation")
	}

	// In Romanian.
	var ro creditHistoryJSON
	w = f.do(t, request{path: "/api/v1/clients/101/credit-history?purpose=credit_application", as: asAdvisorA, acceptLanguage: "ro-RO"})
	if err := json.Unmarshal(w.Body.Bytes(), &ro); err != nil {
		t.Fatal(err)
	}
	wantRo := "Luni cu întârzieri în ultimele 36 de luni: 5 din 36 raportate. Cea mai gravă situație: întârziere de 60 de zile, " +
		"ultima dată în nov. 2026. Cea mai gravă în ultimele 12 luni: întârziere de 60 de zile; în ultimele 24 de luni: întârziere de 60 de zile."
	if ro.Explanation != wantRo {
		t.Errorf("Romanian explanation = %q\nwant %q", ro.Explanation, wantRo)
	}
}

func checkSummary(t *testing.T, name string, got, want summaryJSON) {
	t.Helper()
	str := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return *p
	}
	g := []string{str(got.Worst12m), str(got.Worst24m), str(got.Worst36m), str(got.WorstMonth), str(got.LastLateMonth)}
	w := []string{str(want.Worst12m), str(want.Worst24m), str(want.Worst36m), str(want.WorstMonth), str(want.LastLateMonth)}
	if !slices.Equal(g, w) || got.LateMonths != want.LateMonths || got.ReportedMonths != want.ReportedMonths {
		t.Errorf("%s summary: worst 12/24/36, worst month, last late = %q, late %d of %d reported; want %q, late %d of %d",
			name, g, got.LateMonths, got.ReportedMonths, w, want.LateMonths, want.ReportedMonths)
	}
}

// TestClient360HouseholdMemberWithoutAdvisor: a household member or a
// relative who has no advisor is shown as out of the advisor's reach (the
// reach test once compared with NULL and failed the whole page with a 500).
func TestClient360HouseholdMemberWithoutAdvisor(t *testing.T) {
	f := newFixture(t)
	if _, err := f.pool.Exec(context.Background(), `
		UPDATE clients SET household_id = 1 WHERE id = 108;
		INSERT INTO client_relationships (client_id, related_client_id, kind) VALUES (101, 108, 'dependant')`); err != nil {
		t.Fatal(err)
	}
	var got client360JSON
	f.getJSON(t, "/api/v1/clients/101", asAdvisorA, http.StatusOK, &got)
	var members []string
	for _, m := range got.Client.Household.Members {
		members = append(members, fmt.Sprintf("%d:%t", m.ClientID, m.Reachable))
	}
	if want := []string{"102:false", "108:false"}; !slices.Equal(members, want) {
		t.Errorf("household members (id:reachable) = %v, want %v", members, want)
	}
	var relatives []string
	for _, r := range got.Relationships {
		relatives = append(relatives, fmt.Sprintf("%s:%d:%t", *r.Kind, r.ClientID, r.Reachable))
	}
	if want := []string{"dependant:108:false", "parent:104:true", "spouse:102:false"}; !slices.Equal(relatives, want) {
		t.Errorf("relationships (kind:id:reachable) = %v, want %v", relatives, want)
	}
}

func TestClient360(t *testing.T) {
	f := newFixture(t)
	var got client360JSON
	f.getJSON(t, "/api/v1/clients/101", asAdvisorA, http.StatusOK, &got)

	c := got.Client
	if c.ID != mariaIonescu || *c.Age != 45 || c.LifeStage != "family" || *c.AnnualIncome != (moneyJSON{"84000.00", "RON"}) ||
		*c.EmploymentStatus != "employed" || *c.Address.City != "București" || c.Advisor.Name != "Ana Advisor" ||
		c.KYCVerifiedAt == nil || c.Address.Line2 != nil {
		t.Errorf("profile = %+v", c)
	}
	if hh := c.Household; hh == nil || hh.Name != "Ionescu family" || len(hh.Members) != 1 ||
		hh.Members[0].ClientID != raduIonescu || hh.Members[0].Reachable {
		t.Errorf("household = %+v, want Radu, out of advisor A's reach", hh)
	}
	var rels []string
	for _, r := range got.Relationships {
		since := "-"
		if r.Since != nil {
			since = *r.Since
		}
		rels = append(rels, *r.Kind+" "+r.GivenName+" "+r.FamilyName+" "+since+" "+map[bool]string{true: "reachable", false: "hidden"}[r.Reachable])
	}
	if want := []string{"parent Radu Ștefănescu - reachable", "spouse Radu Ionescu 2005-06-18 hidden"}; !slices.Equal(rels, want) {
		t.Errorf("relationships = %q, want %q", rels, want)
	}
	var consents []string
	for _, cs := range got.Consents {
		consents = append(consents, cs.Purpose+"/"+cs.Channel+" "+map[bool]string{true: "granted", false: "withdrawn"}[cs.Granted]+" "+cs.WordingVersion)
	}
	if want := []string{"marketing/email withdrawn v2", "profiling/any granted v1"}; !slices.Equal(consents, want) {
		t.Errorf("consents = %q, want %q", consents, want)
	}

	var accounts []string
	for _, a := range got.Accounts {
		accounts = append(accounts, a.Name.EN+" "+a.Balance.Amount+" "+a.Balance.Currency+" "+a.Status)
	}
	wantAccounts := []string{"Current account 1500.50 RON open", "Savings 10000.00 RON open", "Euro savings 2500.00 EUR open",
		"Mortgage -50000.00 RON open", "Brokerage 0.00 EUR open", "Old account 999.99 RON closed"}
	if !slices.Equal(accounts, wantAccounts) {
		t.Errorf("accounts = %q, want %q", accounts, wantAccounts)
	}
	if want := []moneyJSON{{"2500.00", "EUR"}, {"-38499.50", "RON"}}; !slices.Equal(got.AccountTotals, want) {
		t.Errorf("account totals = %v, want %v", got.AccountTotals, want)
	}

	var positions []string
	for _, p := range got.Positions {
		line := p.Symbol + " qty " + p.Quantity.String() + " cost " + p.AverageCost.Amount
		if p.Price != nil {
			line += " price " + p.Price.Amount + " on " + *p.PriceDate + " value " + p.MarketValue.Amount + " gain " + p.Gain.Amount
		} else if p.MarketValue != nil || p.Gain != nil {
			line += " value without a price"
		}
		positions = append(positions, line)
	}
	wantPositions := []string{
		"ACME qty 10.5 cost 10 price 12.5 on 2026-11-14 value 131.25 gain 26.25",
		"ACME-P11 qty 2 cost 0.5 price 0.35 on 2026-11-14 value 70.00 gain -30.00", // 2 contracts × 100
		"ROGB30 qty 3 cost 990",
	}
	if !slices.Equal(positions, wantPositions) {
		t.Errorf("positions =\n%q\nwant\n%q", positions, wantPositions)
	}
	if want := []moneyJSON{{"201.25", "EUR"}}; !slices.Equal(got.PortfolioTotals, want) {
		t.Errorf("portfolio totals = %v, want %v", got.PortfolioTotals, want)
	}

	if len(got.Policies) != 2 {
		t.Fatalf("policies = %+v", got.Policies)
	}
	home, travel := got.Policies[0], got.Policies[1]
	ps := home.PremiumStatus
	if home.Number != "P-1" || ps.UpToDate || ps.Paid != 1 || ps.Overdue != 2 || ps.OverdueAmount != (moneyJSON{"240.00", "RON"}) ||
		*ps.NextDueOn != "2026-12-01" || *ps.NextAmount != (moneyJSON{"120.00", "RON"}) {
		t.Errorf("home policy = %+v", home)
	}
	if len(home.Claims) != 1 || home.Claims[0].Reference != "C-1" || *home.Claims[0].ApprovedAmount != (moneyJSON{"800.00", "RON"}) ||
		home.Claims[0].PaidAmount != nil {
		t.Errorf("home claims = %+v", home.Claims)
	}
	tp := travel.PremiumStatus
	if travel.Number != "P-2" || !tp.UpToDate || tp.Paid != 1 || tp.OverdueAmount != (moneyJSON{"0.00", "EUR"}) ||
		tp.NextDueOn != nil || travel.Claims == nil || len(travel.Claims) != 0 {
		t.Errorf("travel policy = %+v", travel)
	}

	var lines []string
	for _, l := range got.CreditLines {
		lines = append(lines, l.Kind+" "+l.Balance.Amount+"/"+l.Limit.Amount+" "+l.Utilisation.String())
	}
	if want := []string{"credit_card 4000.00/5000.00 0.8", "mortgage 150000.00/200000.00 0.75"}; !slices.Equal(lines, want) {
		t.Errorf("credit lines = %q, want %q", lines, want)
	}

	subjects := func(list []interactionJSON) []string {
		out := []string{}
		for _, i := range list {
			by := "-"
			if i.StaffName != nil {
				by = *i.StaffName
			}
			out = append(out, i.Subject+" ("+i.Channel+", "+by+")")
		}
		return out
	}
	wantContacts := []string{"Statement sent (email, Ana Advisor)", "Mortgage question (phone, Ana Advisor)", "Branch visit (visit, -)"}
	if got := subjects(got.Interactions); !slices.Equal(got, wantContacts) {
		t.Errorf("interactions = %q, want %q", got, wantContacts)
	}
	var changes []string
	for _, ch := range got.ProfileChanges {
		by := ""
		if ch.StaffName != nil {
			by = " " + *ch.StaffName
		}
		changes = append(changes, ch.Field+" by "+ch.ActorKind+by)
	}
	if want := []string{"email by staff Ana Advisor", "phone by client", "marital_status by client"}; !slices.Equal(changes, want) {
		t.Errorf("profile changes = %q, want %q", changes, want)
	}

	// Contacts on one channel.
	var phone client360JSON
	f.getJSON(t, "/api/v1/clients/101?channel=phone", asAdvisorA, http.StatusOK, &phone)
	if got := subjects(phone.Interactions); !slices.Equal(got, []string{"Mortgage question (phone, Ana Advisor)"}) {
		t.Errorf("phone contacts = %q", got)
	}
	w := f.do(t, request{path: "/console/clients/101?channel=visit", as: asAdvisorA})
	if !strings.Contains(w.Body.String(), "Branch visit") || strings.Contains(w.Body.String(), "Mortgage question") {
		t.Errorf("page filtered on visits shows the wrong contacts")
	}
	w = f.do(t, request{path: "/api/v1/clients/101?channel=pigeon", as: asAdvisorA})
	if w.Code != http.StatusUnprocessableEntity || !slices.Equal(fields(decodeProblem(t, w)), []string{"channel"}) {
		t.Errorf("unknown channel: status %d", w.Code)
	}

	// Compliance sees the spouse as reachable.
	var asComp client360JSON
	f.getJSON(t, "/api/v1/clients/101", asCompliance, http.StatusOK, &asComp)
	if !asComp.Client.Household.Members[0].Reachable || !asComp.Relationships[1].Reachable {
		t.Errorf("compliance cannot reach Maria's spouse")
	}
	// The spouse's side: Maria is his spouse; recorded from her side.
	var radu client360JSON
	f.getJSON(t, "/api/v1/clients/102", asAdvisorB, http.StatusOK, &radu)
	if len(radu.Relationships) != 1 || *radu.Relationships[0].Kind != "spouse" || radu.Relationships[0].ClientID != mariaIonescu {
		t.Errorf("Radu's relationships = %+v", radu.Relationships)
	}
}

func TestClient360Page(t *testing.T) {
	f := newFixture(t)
	for _, lang := range []string{"en", "ro"} {
		w := f.do(t, request{path: "/console/clients/101", as: asAdvisorA, acceptLanguage: lang})
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d", lang, w.Code)
		}
		body := w.Body.String()
		for _, want := range []string{`<h1 id="client-name">Maria Ionescu</h1>`, `href="/console/clients/104"`, "Mortgage question", "C-1"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: page lacks %s", lang, want)
			}
		}
		// Radu Ionescu is named but not linked: he is not in the book.
		if strings.Contains(body, `href="/console/clients/102"`) {
			t.Errorf("%s: page links to a client outside the book", lang)
		}
	}
	en := f.do(t, request{path: "/console/clients/101", as: asAdvisorA}).Body.String()
	for _, want := range []string{
		"-RON\u00a038,499.50",         // net balance
		"€201.25",                     // portfolio
		"2 overdue (RON\u00a0240.00)", // premium status
		`<dd id="life-stage">Family with dependants</dd>`,
		"16 Nov 1980 (age 45)",
	} {
		if !strings.Contains(en, want) {
			t.Errorf("English page lacks %q", want)
		}
	}
	// Profile changes name the field and coded values in words; free
	// text stays as entered.
	for _, want := range []string{"<td>Marital status</td>", "<td>Single</td>", "<td>Married</td>", "<td>E-mail</td>", "<td>maria.ionescu@mail.test</td>"} {
		if !strings.Contains(en, want) {
			t.Errorf("English page lacks %q", want)
		}
	}
	if strings.Contains(en, "marital_status") || strings.Contains(en, "<td>married</td>") {
		t.Error("English page shows a field or value code")
	}
	ro := f.do(t, request{path: "/console/clients/101", as: asAdvisorA, acceptLanguage: "ro"}).Body.String()
	for _, want := range []string{"<td>Stare civilă</td>", "<td>Căsătorit(ă)</td>", "-38.499,50\u00a0lei", "201,25\u00a0EUR", "Familie cu persoane în întreținere", "16 nov. 1980 (vârsta 45)"} {
		if !strings.Contains(ro, want) {
			t.Errorf("Romanian page lacks %q", want)
		}
	}
	w := f.do(t, request{path: "/console/clients/103", as: asAdvisorA})
	if !strings.Contains(w.Body.String(), `id="vulnerable-flag"`) {
		t.Error("Ana Popescu's page does not flag her as vulnerable")
	}
}

func TestHome(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	home, err := f.handler.store.Home(ctx, Scope{StaffID: 1, Book: true})
	if err != nil {
		t.Fatal(err)
	}
	if home.Clients != 4 {
		t.Errorf("book size %d, want 4", home.Clients)
	}
	wantSegments := []SegmentCount{{"mass", 1, 1, 1}, {"emerging_affluent", 1, 0, 1}, {"affluent", 1, 0, 0}, {"private", 1, 0, 0}, {"prospect", 0, 0, 0}}
	if !slices.Equal(home.Segments, wantSegments) {
		t.Errorf("segments = %v, want %v", home.Segments, wantSegments)
	}
	var attention []string
	for _, a := range home.Attention {
		attention = append(attention, a.Name()+" "+a.Kind+" "+string(a.Status)+" "+a.Month.Format("2006-01")+" "+a.Balance.String())
	}
	wantAttention := []string{"Ana Popescu consumer_loan late_90_plus 2026-11 9000.00 RON", "Maria Ionescu credit_card late_60 2026-11 4000.00 RON"}
	if !slices.Equal(attention, wantAttention) {
		t.Errorf("attention = %q, want %q", attention, wantAttention)
	}
	var recent []string
	for _, r := range home.Recent {
		recent = append(recent, r.Name()+": "+r.Subject)
	}
	// The branch visit of 1 October is older than 30 days.
	wantRecent := []string{"Ana Popescu: Portal message", "Maria Ionescu: Statement sent", "Maria Ionescu: Mortgage question"}
	if !slices.Equal(recent, wantRecent) {
		t.Errorf("recent = %q, want %q", recent, wantRecent)
	}

	all, err := f.handler.store.Home(ctx, Scope{StaffID: 3})
	if err != nil {
		t.Fatal(err)
	}
	wantAll := []SegmentCount{{"mass", 3, 1, 1}, {"emerging_affluent", 1, 0, 1}, {"affluent", 2, 0, 0}, {"private", 1, 0, 0}, {"prospect", 1, 0, 1}}
	if all.Clients != 8 || !slices.Equal(all.Segments, wantAll) || all.Attention != nil || all.Recent != nil {
		t.Errorf("compliance home = %+v", all)
	}

	w := f.do(t, request{path: "/console", as: asAdvisorA})
	body := w.Body.String()
	for _, want := range []string{"Clients in your book: 4", `<th scope="row"><a href="/console/clients/103">Ana Popescu</a></th>`, "90 or more days late", "Portal message"} {
		if !strings.Contains(body, want) {
			t.Errorf("advisor home lacks %q", want)
		}
	}
	if strings.Contains(body, "Courtesy call") {
		t.Error("advisor home shows another advisor's contact")
	}
	w = f.do(t, request{path: "/console", as: asCompliance, acceptLanguage: "ro"})
	if !strings.Contains(w.Body.String(), "Clienți în total: 8") || strings.Contains(w.Body.String(), `id="attention"`) {
		t.Errorf("compliance home in Romanian is wrong")
	}
}

func TestLogInteractionAPI(t *testing.T) {
	f := newFixture(t)
	post := func(body string) *httpResponse {
		w := f.do(t, request{method: http.MethodPost, path: "/api/v1/clients/101/interactions", as: asAdvisorA, body: body})
		return &httpResponse{code: w.Code, body: w.Body.Bytes(), w: w}
	}

	r := post(`{"channel":"phone","direction":"outbound","subject":"  Follow-up call ","notes":"Discussed the card arrears."}`)
	if r.code != http.StatusCreated {
		t.Fatalf("status %d: %s", r.code, r.body)
	}
	var saved interactionJSON
	if err := json.Unmarshal(r.body, &saved); err != nil {
		t.Fatal(err)
	}
	if saved.ClientID != mariaIonescu || *saved.StaffID != 1 || saved.Subject != "Follow-up call" || !saved.OccurredAt.Equal(testNow) ||
		saved.Channel != "phone" || saved.Direction != "outbound" {
		t.Errorf("saved = %+v", saved)
	}
	r = post(`{"channel":"visit","direction":"inbound","subject":"Branch","occurred_at":"2026-11-14T09:00:00+02:00"}`)
	if r.code != http.StatusCreated {
		t.Fatalf("status %d: %s", r.code, r.body)
	}
	var at time.Time
	if err := f.pool.QueryRow(context.Background(), `SELECT occurred_at FROM interactions WHERE subject = 'Branch'`).Scan(&at); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 14, 7, 0, 0, 0, time.UTC); !at.Equal(want) {
		t.Errorf("occurred_at stored %s, want %s", at, want)
	}

	for _, tt := range []struct {
		body string
		want []string
	}{
		{`{"channel":"pigeon","direction":"sideways","subject":"  ","occurred_at":"yesterday"}`, []string{"channel", "direction", "subject", "occurred_at"}},
		{`{}`, []string{"channel", "direction", "subject"}},
		{`{"channel":"email","direction":"inbound","subject":"` + strings.Repeat("s", 201) + `","notes":"` + strings.Repeat("n", 4001) + `"}`, []string{"subject", "notes"}},
		{`{"channel":"email","direction":"inbound","subject":"x","occurred_at":"2026-11-15T10:06:00Z"}`, []string{"occurred_at"}},
		{`{"channel":"email","direction":"inbound","subject":"x","occurred_at":"0001-01-01T00:00:00Z"}`, []string{"occurred_at"}},
		{`{"channel":"email","direction":"inbound","subject":"x","occurred_at":"2025-11-14T09:59:59Z"}`, []string{"occurred_at"}},
		{`{"channel":"email","direction":"inbound","subject":"a\u0000b"}`, []string{"subject"}},
		{`{"channel":"email","direction":"inbound","subject":"x","colour":"red"}`, []string{"colour"}},
		{`{"channel":1}`, []string{"channel"}},
		{`{"channel":`, nil},
	} {
		r := post(tt.body)
		if r.code != http.StatusUnprocessableEntity {
			t.Errorf("%.60s: status %d, want 422", tt.body, r.code)
			continue
		}
		if got := fields(decodeProblem(t, r.w)); !slices.Equal(got, tt.want) {
			t.Errorf("%.60s: fields %q, want %q", tt.body, got, tt.want)
		}
	}
	p := decodeProblem(t, f.do(t, request{method: http.MethodPost, path: "/api/v1/clients/101/interactions", as: asAdvisorA,
		body: `{"channel":"pigeon","direction":"in","subject":""}`, acceptLanguage: "ro"}))
	wantRo := []string{
		"Alegeți un canal din listă: telefon, fax, web, poștă, vizită sau e-mail.",
		"Direcția trebuie să fie de intrare sau de ieșire.",
		"Introduceți subiectul contactului.",
	}
	var gotRo []string
	for _, e := range p.Errors {
		gotRo = append(gotRo, e.Message)
	}
	if !slices.Equal(gotRo, wantRo) || p.Detail != "Unele dintre informațiile introduse nu sunt valide." {
		t.Errorf("Romanian problem = %q / %q", p.Detail, gotRo)
	}
	// Up to five minutes ahead is a clock that runs fast, not the future.
	if r := post(`{"channel":"email","direction":"inbound","subject":"Skew","occurred_at":"2026-11-15T10:04:59Z"}`); r.code != http.StatusCreated {
		t.Errorf("contact 5 minutes ahead: status %d", r.code)
	}
	if n := countRows(t, f.pool, `SELECT count(*) FROM interactions WHERE client_id = 101`); n != 3+3 {
		t.Errorf("Maria has %d contacts, want 6", n)
	}
}

type httpResponse struct {
	code int
	body []byte
	w    *httptest.ResponseRecorder
}

func TestLogInteractionPage(t *testing.T) {
	f := newFixture(t)
	form := url.Values{"channel": {"visit"}, "direction": {"inbound"}, "subject": {"Signed the card agreement"},
		"notes": {"Brought ID."}, "occurred_at": {"2026-11-14T09:30"}}
	w := f.do(t, request{method: http.MethodPost, path: "/console/clients/101/interactions", as: asAdvisorA, form: true, body: form.Encode()})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/console/clients/101?logged=1#interactions" {
		t.Fatalf("status %d, Location %q", w.Code, w.Header().Get("Location"))
	}
	var at time.Time
	var staff int64
	if err := f.pool.QueryRow(context.Background(),
		`SELECT occurred_at, staff_id FROM interactions WHERE subject = 'Signed the card agreement'`).Scan(&at, &staff); err != nil {
		t.Fatal(err)
	}
	if !at.Equal(time.Date(2026, 11, 14, 9, 30, 0, 0, time.UTC)) || staff != 1 {
		t.Errorf("stored at %s by %d", at, staff)
	}
	// The page it leads to confirms it; without ?logged=1 it does not.
	if body := f.do(t, request{path: "/console/clients/101?logged=1", as: asAdvisorA}).Body.String(); !strings.Contains(body, `id="contact-logged"`) {
		t.Errorf("no confirmation after logging the contact")
	}
	if body := f.do(t, request{path: "/console/clients/101", as: asAdvisorA}).Body.String(); strings.Contains(body, `id="contact-logged"`) {
		t.Errorf("a confirmation without a contact logged")
	}

	bad := url.Values{"channel": {""}, "direction": {"sideways"}, "subject": {"Kept <subject>"}, "notes": {"Kept notes"},
		"occurred_at": {"2030-01-01T00:00"}}
	w = f.do(t, request{method: http.MethodPost, path: "/console/clients/101/interactions", as: asAdvisorA, form: true, body: bad.Encode()})
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("refused form: status %d", w.Code)
	}
	body := w.Body.String()
	for _, want := range []string{
		`<p class="error-message" id="contact-channel-error">Choose the channel of the contact.</p>`,
		`<p class="error-message" id="contact-direction-error">The direction must be inbound or outbound.</p>`,
		`<p class="error-message" id="contact-occurred_at-error">The contact cannot be in the future.</p>`,
		`<li><a href="#contact-channel">Choose the channel of the contact.</a></li>`,
		`name="subject" value="Kept &lt;subject&gt;"`,
		`>Kept notes</textarea>`,
		`value="2030-01-01T00:00"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("refused form lacks %s", want)
		}
	}
	if strings.Contains(body, "contact-subject-error") {
		t.Error("a valid subject is marked as an error")
	}
	if n := countRows(t, f.pool, `SELECT count(*) FROM interactions WHERE notes = 'Kept notes'`); n != 0 {
		t.Errorf("refused contact stored %d times", n)
	}
	w = f.do(t, request{method: http.MethodPost, path: "/console/clients/101/interactions", as: asAdvisorA, form: true,
		body: "channel=fax&direction=outbound", acceptLanguage: "ro"})
	if !strings.Contains(w.Body.String(), `id="contact-subject-error">Introduceți subiectul contactului.</p>`) ||
		!strings.Contains(w.Body.String(), `<option value="fax" selected>Fax</option>`) {
		t.Errorf("Romanian refused form is wrong")
	}
}
