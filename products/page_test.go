package products

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
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
		// Not logged in: product information, not recorded personal offers.
		`<p id="info-only" class="notice">Product information only: log in to see offers for you, with the reasons they were chosen.</p>`,
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
	if msg := "Enter an amount from €1,000.00 to €500,000.00: what our products for this goal offer in this currency."; status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `<a href="#match-amount">`+msg+`</a>`) || !strings.Contains(body, `<p class="field-error" id="match-amount-error">`+msg+`</p>`) {
		t.Errorf("bad amount: status %d, want 422 with the amount's range in the summary and at the field:\n%s", status, body)
	}
}

// TestMatchPageMessagesInRomanian checks that what the match form cannot
// accept is said in the page's language at the field it concerns, and in
// the summary above the form: the form's own checks (a months value that
// is not a number) and the engine's (a term the catalogue does not offer).
func TestMatchPageMessagesInRomanian(t *testing.T) {
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

	for _, c := range []struct{ query, field, message string }{
		{"goal=borrow&amount=20.000&currency=EUR&months=trei&age=35", "months", "Introduceți un număr întreg de luni între 6 și 360."},
		{"goal=borrow&amount=20.000&currency=EUR&months=600&age=35", "months", "Introduceți un număr întreg de luni între 6 și 360."},
		{"goal=borrow&amount=douăzeci&currency=EUR&months=36&age=35", "amount", "Introduceți o sumă între 1.000,00\u00a0EUR și 500.000,00\u00a0EUR: atât oferă produsele noastre pentru acest scop în această monedă."},
		{"goal=borrow&amount=20.000&currency=EUR&months=36&age=treizeci", "age", "Introduceți vârsta în ani împliniți, între 18 și 120."},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/portal/match?"+c.query, nil)
		req.Header.Set("Accept-Language", "ro")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		body := string(b)
		atField := `<p class="field-error" id="match-` + c.field + `-error">` + c.message + `</p>`
		inSummary := `<a href="#match-` + c.field + `">` + c.message + `</a>`
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, atField) || !strings.Contains(body, inSummary) {
			t.Errorf("%s: status %d, want 422 with %s at the field and in the summary:\n%s", c.query, res.StatusCode, c.message, body)
		}
		if !strings.Contains(body, `aria-describedby="match-`+c.field+`-error" aria-invalid="true"`) {
			t.Errorf("%s: the %s input is not marked invalid and described by its message", c.query, c.field)
		}
		for _, english := range []string{"must be", "Enter "} {
			if strings.Contains(body, english) {
				t.Errorf("%s: the Romanian page contains English %q", c.query, english)
			}
		}
	}
}

// failingGate is a compliance gate whose log cannot be written.
type failingGate struct{}

func (failingGate) PresentMatch(context.Context, int64, string, *MatchOutcome, *i18n.Localizer) error {
	return errors.New("offer log unavailable")
}

// TestMatchFailsClosed: a client's offers are shown only through the
// gate; without one, or when it fails, the client sees none of them and a
// notice, and the rest of the page.
func TestMatchFailsClosed(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	if err := LoadDemoCatalogue(ctx, pool); err != nil {
		t.Fatal(err)
	}
	var clientID int64
	if err := pool.QueryRow(ctx, `INSERT INTO clients (given_name, family_name, birth_date, country, annual_income, income_currency, kyc_status, kyc_verified_at)
		VALUES ('Ana', 'Popescu', '1985-01-01', 'RO', 48000, 'EUR', 'verified', now()) RETURNING id`).Scan(&clientID); err != nil {
		t.Fatal(err)
	}
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	for _, gate := range []OfferGate{nil, failingGate{}} {
		h := NewHandler(pool, pages)
		if gate != nil {
			h.SetGate(gate)
		}
		r := chi.NewRouter()
		r.Use(i18n.Middleware, func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				p := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: clientID}
				next.ServeHTTP(w, req.WithContext(ecrm.WithPrincipal(req.Context(), p)))
			})
		})
		h.ClientRoutes(r)
		h.PublicRoutes(r)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("GET", "/portal/match?goal=borrow&amount=20000&currency=EUR&months=36", nil))
		body := rec.Body.String()
		if rec.Code != http.StatusOK || strings.Contains(body, `<tr class="offer"`) ||
			!strings.Contains(body, `<p id="no-offers" class="notice">Personal offers cannot be shown right now.`) {
			t.Errorf("gate %T: status %d, page:\n%s", gate, rec.Code, body)
		}
		rec = httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/api/v1/products/match", strings.NewReader(`{"goal":"borrow","amount":{"amount":"20000","currency":"EUR"},"months":36}`))
		req.Header.Set("Content-Type", "application/json")
		r.ServeHTTP(rec, req)
		var res MatchResult
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("api: %d %s", rec.Code, rec.Body)
		}
		if len(res.Eligible) != 0 || res.Withheld < 2 || res.Notice == "" {
			t.Errorf("gate %T: api shows %d offers, withheld %d, notice %q", gate, len(res.Eligible), res.Withheld, res.Notice)
		}
	}
}
