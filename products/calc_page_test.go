package products

import (
	"context"
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

func TestCalculatorPages(t *testing.T) {
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), `INSERT INTO clients (id, given_name, family_name) VALUES (1, 'Ana', 'Popescu')`); err != nil {
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
			if req.Header.Get("X-Test-Client") != "" {
				p := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: 1, Name: "Ana Popescu"}
				req = req.WithContext(ecrm.WithPrincipal(req.Context(), p))
			}
			next.ServeHTTP(w, req)
		})
	})
	NewHandler(pool, pages).PublicRoutes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()

	get := func(t *testing.T, path, lang string, client bool) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Accept-Language", lang)
		if client {
			req.Header.Set("X-Test-Client", "1")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	contains := func(t *testing.T, body string, wants ...string) {
		t.Helper()
		for _, want := range wants {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %s", want)
			}
		}
	}
	visits := func(t *testing.T, target string) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(context.Background(),
			`SELECT count(*) FROM portal_actions WHERE client_id = 1 AND action = 'calculator.open' AND target = $1`, target).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("LoanEnglish", func(t *testing.T) {
		status, body := get(t, "/portal/calculators/loan?amount=10%2C000.00&currency=EUR&months=12&rate=6&first_payment_date=2026-01-31", "en", false)
		if status != http.StatusOK {
			t.Fatalf("status %d:\n%s", status, body)
		}
		contains(t, body,
			`<dd class="amount monthly-payment">€860.66</dd>`, `<dd class="amount last-payment">€860.70</dd>`,
			`<dd class="amount apr">6.17%</dd>`, `<dd class="amount total-interest">€327.96</dd>`,
			`<dd class="amount total-cost">€327.96</dd>`, `<dd class="amount total-payable">€10,327.96</dd>`,
			`<th scope="row">1</th>
        <td>31 Jan 2026</td>
        <td class="amount">€860.66</td>
        <td class="amount">€50.00</td>
        <td class="amount">€810.66</td>
        <td class="amount">€0.00</td>
        <td class="amount">€9,189.34</td>`,
			`<th scope="row">12</th>
        <td>31 Dec 2026</td>
        <td class="amount">€860.70</td>
        <td class="amount">€4.28</td>
        <td class="amount">€856.42</td>
        <td class="amount">€0.00</td>
        <td class="amount">€0.00</td>`,
			`<td>28 Feb 2026</td>`,
			`value="10,000.00"`, // the input as typed
			"rounded half away from zero to the currency&#39;s minor units",
			"the last payment absorbs the rounding")
		if n := strings.Count(body, `<tr class="instalment">`); n != 12 {
			t.Errorf("%d instalments, want 12", n)
		}
	})

	t.Run("LoanRomanian", func(t *testing.T) {
		status, body := get(t, "/portal/calculators/loan?amount=10.000%2C00&currency=EUR&months=12&rate=6%2C0&repayment=annuity", "ro", false)
		if status != http.StatusOK {
			t.Fatalf("status %d:\n%s", status, body)
		}
		contains(t, body,
			"<dd class=\"amount monthly-payment\">860,66\u00a0EUR</dd>", "<dd class=\"amount apr\">6,17\u00a0%</dd>",
			"<dd class=\"amount total-interest\">327,96\u00a0EUR</dd>", "<dd class=\"amount total-payable\">10.327,96\u00a0EUR</dd>",
			"<td class=\"amount\">9.189,34\u00a0EUR</td>", "<td class=\"amount\">860,70\u00a0EUR</td>",
			"Calculator de credit", "Graficul de rambursare", "rotunjită la jumătate departe de zero")
		if strings.Contains(body, "<td>31") {
			t.Error("due dates shown without a first payment date")
		}
	})

	t.Run("DepositEnglishAndRomanian", func(t *testing.T) {
		q := "/portal/calculators/deposit?amount=10000&currency=RON&term=12&term_unit=months&rate=5&capitalisation=quarterly&tax_rate=10"
		status, body := get(t, q, "en", false)
		if status != http.StatusOK {
			t.Fatalf("status %d:\n%s", status, body)
		}
		// English separates the code from the amount with a no-break
		// space; the expectations below use a plain one.
		contains(t, strings.ReplaceAll(body, "RON\u00a0", "RON "),
			`<dd class="amount gross-interest">RON 508.51</dd>`, `<dd class="amount tax">RON 50.85</dd>`,
			`<dd class="amount net-interest">RON 457.66</dd>`, `<dd class="amount value-at-maturity">RON 10,457.66</dd>`,
			`<dd class="amount aer">5.09%</dd>`, `<dd class="amount net-aer">4.58%</dd>`,
			`<th scope="row">4</th>
        <td>3 months</td>
        <td class="amount">RON 129.27</td>
        <td class="amount">RON 12.93</td>
        <td class="amount">RON 10,457.66</td>`,
			"Withholding tax is taken from each period")
		status, body = get(t, strings.Replace(q, "amount=10000", "amount=10.000", 1), "ro", false)
		if status != http.StatusOK {
			t.Fatalf("ro status %d:\n%s", status, body)
		}
		contains(t, body, "<dd class=\"amount value-at-maturity\">10.457,66\u00a0lei</dd>", "<dd class=\"amount aer\">5,09\u00a0%</dd>",
			"<td>3 luni</td>", "Impozitul se reține")
	})

	t.Run("ErrInvalidLoanInput", func(t *testing.T) {
		status, body := get(t, "/portal/calculators/loan?amount=10000.555&currency=EUR&months=600&rate=6", "en", false)
		if status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", status)
		}
		contains(t, body,
			`<p class="field-error" id="loan-amount-error">Enter an amount more than 0 and at most 100,000,000, with no more than 2 decimal places.</p>`,
			`<input id="loan-amount" name="amount" type="text" value="10000.555" inputmode="decimal" maxlength="20" aria-describedby="loan-amount-hint loan-amount-error" aria-invalid="true">`,
			`<p class="field-error" id="loan-months-error">Enter a whole number of months between 1 and 480.</p>`,
			`<input id="loan-months" name="months" type="text" value="600" inputmode="numeric" maxlength="3" aria-describedby="loan-months-error" aria-invalid="true">`,
			`<input id="loan-rate" name="rate" type="text" value="6" inputmode="decimal" maxlength="12" aria-describedby="loan-rate-hint">`,
			`<a href="#loan-months">Enter a whole number of months between 1 and 480.</a>`)
		if strings.Contains(body, `id="result"`) {
			t.Error("invalid input shows a result")
		}

		status, body = get(t, "/portal/calculators/deposit?amount=abc&currency=EUR&term=4000&term_unit=days&rate=5&capitalisation=monthly", "ro", false)
		if status != http.StatusUnprocessableEntity {
			t.Fatalf("deposit status %d, want 422", status)
		}
		contains(t, body,
			`<p class="field-error" id="deposit-amount-error">Introduceți o sumă mai mare de 0 și de cel mult 100.000.000, cu cel mult 2 zecimale.</p>`,
			`value="abc"`, `value="4000"`)
	})

	t.Run("AllFieldErrorsInOneRound", func(t *testing.T) {
		// A bad rate and a fee above the amount: both at once, not the
		// fee only after the rate is fixed.
		status, body := get(t, "/portal/calculators/loan?amount=1000&currency=EUR&months=12&rate=abc&upfront_fee=5000&submitted=1", "en", false)
		if status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", status)
		}
		contains(t, body, `id="loan-rate-error"`, `id="loan-upfront_fee-error"`)
		// An empty submit says what is required.
		status, body = get(t, "/portal/calculators/loan?amount=&currency=EUR&months=&rate=&submitted=1", "en", false)
		if status != http.StatusUnprocessableEntity {
			t.Fatalf("empty submit: status %d, want 422", status)
		}
		contains(t, body, `id="error-summary"`, `id="loan-amount-error"`, `id="loan-months-error"`, `id="loan-rate-error"`)
		status, body = get(t, "/portal/calculators/deposit?amount=&currency=EUR&term=&rate=&submitted=1", "ro", false)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="deposit-amount-error"`) {
			t.Fatalf("empty deposit submit: status %d", status)
		}
		// Every calculator is reachable from every other.
		_, body = get(t, "/portal/calculators/deposit", "en", false)
		contains(t, body, `<a href="/portal/calculators/deposit" aria-current="page">Deposit calculator</a>`,
			`<a href="/portal/calculators/loan/compare">`, `<a href="/portal/calculators/deposit/compare">`)
		// Opening the page is no submit: no error.
		if status, body = get(t, "/portal/calculators/loan", "en", false); status != http.StatusOK || strings.Contains(body, `id="error-summary"`) {
			t.Errorf("the empty page: status %d with errors", status)
		}
	})

	t.Run("Compare", func(t *testing.T) {
		status, body := get(t, "/portal/calculators/loan/compare?amount=10000&currency=EUR&months1=12&rate1=6&months3=12&rate3=5.5&upfront_fee3=200", "en", false)
		if status != http.StatusOK {
			t.Fatalf("status %d:\n%s", status, body)
		}
		contains(t, body, `<th scope="col" class="amount">Product 1</th>
        <th scope="col" class="amount">Product 3</th>`,
			`<td class="amount">€860.66</td>
        <td class="amount">€858.37</td>`,
			`<td class="amount best">6.17% <strong class="best-mark">lowest</strong></td>
        <td class="amount">9.70%</td>`,
			`<td class="amount best">€327.96 <strong class="best-mark">lowest</strong></td>
        <td class="amount">€500.41</td>`)

		status, body = get(t, "/portal/calculators/deposit/compare?amount=10.000&currency=RON&tax_rate=10&term1=12&rate1=5&term2=12&rate2=5&capitalisation2=monthly", "ro", false)
		if status != http.StatusOK {
			t.Fatalf("deposit status %d:\n%s", status, body)
		}
		contains(t, body, "<th scope=\"col\" class=\"amount\">Produsul 2</th>",
			"<td class=\"amount best\">459,39\u00a0lei <strong class=\"best-mark\">cea mai mare</strong></td>",
			"<td class=\"amount best\">4,59\u00a0% <strong class=\"best-mark\">cea mai mare</strong></td>")

		status, body = get(t, "/portal/calculators/deposit/compare?amount=10000&currency=RON&term1=12&rate1=5&term2=200&rate2=4", "en", false)
		if status != http.StatusUnprocessableEntity {
			t.Fatalf("invalid column: status %d, want 422", status)
		}
		contains(t, body, `<p class="field-error" id="compare-term2-error">Enter a whole number of months between 1 and 120.</p>`,
			`<input id="compare-term2" name="term2" type="text" value="200" inputmode="numeric" maxlength="3" aria-describedby="compare-term2-error" aria-invalid="true">`)
	})

	t.Run("ClientVisitRecordsOneAction", func(t *testing.T) {
		if status, _ := get(t, "/portal/calculators/loan", "en", false); status != http.StatusOK {
			t.Fatalf("prospect status %d", status)
		}
		if n := visits(t, "loan"); n != 0 {
			t.Fatalf("a prospect's visit recorded %d actions", n)
		}
		if status, body := get(t, "/portal/calculators/loan?amount=1000&currency=EUR&months=6&rate=5", "en", true); status != http.StatusOK {
			t.Fatalf("client status %d:\n%s", status, body)
		}
		if n := visits(t, "loan"); n != 1 {
			t.Errorf("%d loan calculator actions, want exactly 1", n)
		}
		if status, _ := get(t, "/portal/calculators/deposit", "en", true); status != http.StatusOK {
			t.Fatalf("client deposit status %d", status)
		}
		if n := visits(t, "deposit"); n != 1 {
			t.Errorf("%d deposit calculator actions, want exactly 1", n)
		}
	})
}

func TestParsePercent(t *testing.T) {
	if r, ok := parsePercent("6,5 %"); !ok || r.String() != "0.065" {
		t.Errorf("parsePercent(6,5 %%) = %s, %v", r, ok)
	}
}

// TestCalculatorKeysExist checks the keys the calculator pages build from
// data.
func TestCalculatorKeysExist(t *testing.T) {
	for prefix, values := range map[string][]string{
		"products.calc.repayment.":      {string(AnnuityRepayment), string(LinearRepayment)},
		"products.calc.capitalisation.": {string(CapitaliseAtMaturity), string(CapitaliseMonthly), string(CapitaliseQuarterly), string(CapitaliseAnnually)},
		"products.calc.term_unit.":      {"months", "days"},
		"products.calc.compare.":        {"loan_title", "loan_intro", "loan_rounding", "deposit_title", "deposit_intro", "deposit_rounding"},
	} {
		for _, v := range values {
			hasKey(t, "calculator pages", prefix+v)
		}
	}
}
