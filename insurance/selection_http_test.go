package insurance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/document"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// choiceServer serves the choice routes; the X-Test-Client header names
// the logged-in client (none: anonymous).
func choiceServer(t testing.TB, e *quoteEnv) http.Handler {
	t.Helper()
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := document.New()
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(i18n.Middleware, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if id, err := strconv.ParseInt(req.Header.Get("X-Test-Client"), 10, 64); err == nil {
				p := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: id, Name: "Ana Popescu"}
				req = req.WithContext(ecrm.WithPrincipal(req.Context(), p))
			}
			next.ServeHTTP(w, req)
		})
	})
	NewChoiceHandler(e.progs, pages, docs).Routes(r)
	return web.SecurityHeaders(false)(r)
}

func callChoice(h http.Handler, client int64, method, path, body string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if client != 0 {
		req.Header.Set("X-Test-Client", fmt.Sprint(client))
	}
	req.Header.Set("Accept-Language", "en")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestChoiceAPI: the programmes of a journey, a quote chosen (201, the
// same key 200), the quote and its statement; bad input named; every
// route refuses another client (404) and an anonymous caller (401).
func TestChoiceAPI(t *testing.T) {
	e := newQuoteEnv(t)
	h := choiceServer(t, e)
	w := callChoice(h, e.ana, "GET", "/api/v1/me/insurance/journeys/7/programmes", "")
	if w.Code != http.StatusOK {
		t.Fatalf("programmes = %d %s", w.Code, w.Body)
	}
	var list struct {
		Programmes []programmeJSON `json:"programmes"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	var seq int64
	for _, p := range list.Programmes {
		if p.ProductCode == "PRG-TRAVEL-CARP-EU30" {
			seq = p.DecisionSeq
			if !p.Shown || p.Premium.StringFixed(2) != "185.40" || p.Rank != 1 || len(p.ReasonsText) == 0 {
				t.Errorf("carpathia: %+v", p)
			}
		}
	}
	if seq == 0 || len(list.Programmes) != 5 {
		t.Fatalf("%d programmes, seq %d", len(list.Programmes), seq)
	}
	body := fmt.Sprintf(`{"decision_seq": %d, "frequency": "single"}`, seq)
	if w := callChoice(h, e.ana, "POST", "/api/v1/me/insurance/journeys/7/quotes", body); w.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(w.Body.String(), `"field":"Idempotency-Key"`) {
		t.Errorf("no key = %d %s", w.Code, w.Body)
	}
	if w := callChoice(h, e.ana, "POST", "/api/v1/me/insurance/journeys/7/quotes", `{"decision_seq": "x"}`, "Idempotency-Key", "k"); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("bad body = %d %s", w.Code, w.Body)
	}
	w = callChoice(h, e.ana, "POST", "/api/v1/me/insurance/journeys/7/quotes", body, "Idempotency-Key", "api-1")
	if w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `"premium":{"amount":"185.40","currency":"RON"}`) {
		t.Fatalf("quote = %d %s", w.Code, w.Body)
	}
	var q quoteOut
	if err := json.Unmarshal(w.Body.Bytes(), &q); err != nil {
		t.Fatal(err)
	}
	if q.BindURL != fmt.Sprintf("/api/v1/me/insurance/quotes/%d/bind", q.ID) {
		t.Errorf("bind url %q", q.BindURL)
	}
	if w := callChoice(h, e.ana, "POST", "/api/v1/me/insurance/journeys/7/quotes", body, "Idempotency-Key", "api-1"); w.Code != http.StatusOK {
		t.Errorf("same key = %d", w.Code)
	}
	quote := fmt.Sprintf("/api/v1/me/insurance/quotes/%d", q.ID)
	if w := callChoice(h, e.ana, "GET", quote, ""); w.Code != http.StatusOK {
		t.Errorf("get quote = %d", w.Code)
	}
	w = callChoice(h, e.ana, "GET", quote+"/statement", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"programme":"Travel Carpathia Europe, 30 days"`) ||
		!strings.Contains(w.Body.String(), "Pre-existing conditions") {
		t.Errorf("statement = %d %s", w.Code, w.Body)
	}
	w = callChoice(h, e.ana, "GET", "/api/v1/me/insurance/journeys/7/statement", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"recommended":[{"programme":"Travel Carpathia Europe, 30 days"`) {
		t.Errorf("journey statement = %d %s", w.Code, w.Body)
	}
	// Another client, and nobody.
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/api/v1/me/insurance/journeys/7/programmes", ""},
		{"GET", "/api/v1/me/insurance/journeys/7/statement", ""},
		{"POST", "/api/v1/me/insurance/journeys/7/quotes", body},
		{"GET", quote, ""},
		{"GET", quote + "/statement", ""},
	} {
		if w := callChoice(h, e.bob, r.method, r.path, r.body, "Idempotency-Key", "bob-"+r.path); w.Code != http.StatusNotFound {
			t.Errorf("bob %s %s = %d %s", r.method, r.path, w.Code, w.Body)
		}
		if w := callChoice(h, 0, r.method, r.path, r.body, "Idempotency-Key", "anon"); w.Code != http.StatusUnauthorized {
			t.Errorf("anonymous %s %s = %d", r.method, r.path, w.Code)
		}
	}
	var n int
	if err := e.pool.QueryRow(t.Context(), `SELECT count(*) FROM insurance_quotes WHERE client_id = $1`, e.bob).Scan(&n); err != nil || n != 0 {
		t.Errorf("bob has %d quotes", n)
	}
}

// TestChoicePages: the choice page, choosing (303 to the quote), the quote
// with its Buy button posting to the bind route, the statement page and
// PDF; another client gets 404 on every page.
func TestChoicePages(t *testing.T) {
	e := newQuoteEnv(t)
	h := choiceServer(t, e)
	w := callChoice(h, e.ana, "GET", "/portal/insurance/journeys/7/choice", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="programme-PRG-TRAVEL-CARP-EU30"`) ||
		!strings.Contains(w.Body.String(), "Does not cover this destination") {
		t.Fatalf("choice = %d", w.Code)
	}
	seq := presentedOf(t, e.present(e.ana, 7), "PRG-TRAVEL-CARP-EU30").Seq
	form := url.Values{"seq": {fmt.Sprint(seq)}, "key": {"form-1"}, "frequency": {"single"}}.Encode()
	w = callChoice(h, e.ana, "POST", "/portal/insurance/journeys/7/quotes", form, "Content-Type", "application/x-www-form-urlencoded")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/portal/insurance/quotes/") {
		t.Fatalf("choose = %d %s", w.Code, w.Header().Get("Location"))
	}
	quote := w.Header().Get("Location")
	w = callChoice(h, e.ana, "GET", quote, "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `action="`+quote+`/bind"`) {
		t.Errorf("quote page = %d", w.Code)
	}
	w = callChoice(h, e.ana, "GET", quote+"/statement", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Statement of your demands and needs") {
		t.Errorf("statement = %d", w.Code)
	}
	w = callChoice(h, e.ana, "GET", quote+"/statement.pdf", "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/pdf" || !strings.HasPrefix(w.Body.String(), "%PDF") ||
		w.Header().Get("X-Template-Version") != "1" {
		t.Errorf("pdf = %d %s", w.Code, w.Header())
	}
	w = callChoice(h, e.ana, "GET", "/portal/insurance/journeys/7/statement", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Travel Carpathia Europe, 30 days") ||
		!strings.Contains(w.Body.String(), "Your trip of 12 days is within its term of 1 month") {
		t.Errorf("journey statement = %d", w.Code)
	}
	w = callChoice(h, e.ana, "GET", "/portal/insurance/journeys/7/statement.pdf", "")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), "%PDF") {
		t.Errorf("journey pdf = %d", w.Code)
	}
	// Changed answers: back to the choice with the reason.
	a := travelAnswers()
	a["travel.days"] = []Value{integer(20)}
	e.journeys[[2]int64{e.ana, 7}] = a
	form = url.Values{"seq": {fmt.Sprint(seq)}, "key": {"form-2"}}.Encode()
	w = callChoice(h, e.ana, "POST", "/portal/insurance/journeys/7/quotes", form, "Content-Type", "application/x-www-form-urlencoded")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/portal/insurance/journeys/7/choice?error=insurance.rating.error.answers_changed" {
		t.Errorf("changed answers = %d %s", w.Code, w.Header().Get("Location"))
	}
	// Every line asked for: the bundle with each part's price and the
	// total, in the order of the lines.
	e.journeys[[2]int64{e.ana, 9}] = completeAnswers()
	ch := e.present(e.ana, 9)
	w = callChoice(h, e.ana, "GET", "/portal/insurance/journeys/9/choice", "")
	body := w.Body.String()
	if w.Code != http.StatusOK || ch.Bundle == nil || len(ch.Bundle.Parts) != 8 {
		t.Fatalf("bundle page = %d, bundle %+v", w.Code, ch.Bundle)
	}
	l := i18n.NewLocalizer(i18n.English)
	for _, p := range ch.Bundle.Parts {
		row := "<tr><th scope=\"row\">" + l.T("insurance.rating.line."+p.Line) + ": " + l.Text(p.Title) + "</th><td class=\"numeric\">" + l.Money(ron(p.Premium)) + "</td></tr>"
		if !strings.Contains(body, row) {
			t.Errorf("bundle lacks %s", row)
		}
	}
	if !strings.Contains(body, `<td class="numeric" id="bundle-total"><strong>`+l.Money(ron(ch.Bundle.Total))+`</strong>`) {
		t.Errorf("bundle total %s missing", ch.Bundle.Total)
	}
	// Bob gave no consent to marketing: the programmes he asked for are
	// shown all the same, each with its Choose button.
	w = callChoice(h, e.bob, "GET", "/portal/insurance/journeys/8/choice", "")
	if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `id="withheld-PRG-TRAVEL-CARP-EU30"`) || !strings.Contains(w.Body.String(), `id="choose-`) {
		t.Errorf("bob's choice = %d", w.Code)
	}
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/portal/insurance/journeys/7/choice", ""},
		{"GET", "/portal/insurance/journeys/7/statement", ""}, {"GET", "/portal/insurance/journeys/7/statement.pdf", ""},
		{"POST", "/portal/insurance/journeys/7/quotes", url.Values{"seq": {fmt.Sprint(seq)}, "key": {"bob"}}.Encode()},
		{"GET", quote, ""}, {"GET", quote + "/statement", ""}, {"GET", quote + "/statement.pdf", ""},
		{"GET", "/portal/insurance/quotes/x", ""},
	} {
		if w := callChoice(h, e.bob, r.method, r.path, r.body, "Content-Type", "application/x-www-form-urlencoded"); w.Code != http.StatusNotFound {
			t.Errorf("bob %s %s = %d", r.method, r.path, w.Code)
		}
	}
}
