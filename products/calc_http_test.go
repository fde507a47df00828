package products

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/web"
)

// calculatorServer serves the public routes; the calculator API reads no
// database, so it runs without a pool.
func calculatorServer(t *testing.T) *httptest.Server {
	t.Helper()
	r := chi.NewRouter()
	r.Use(i18n.Middleware)
	NewHandler(nil, nil).PublicRoutes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

func postJSON(t *testing.T, srv *httptest.Server, path, body string) (int, string, []byte) {
	t.Helper()
	res, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), b
}

// loanJSON10000 is the schedule of 10,000 EUR over 12 months at 6 %: an
// annuity of 860.66, the last instalment 860.70 absorbing the rounding.
const loanJSON10000 = `{"principal":{"amount":"10000.00","currency":"EUR"},"months":12,"nominal_annual_rate":"0.06","repayment":"annuity",
"upfront_fee":{"amount":"0.00","currency":"EUR"},"monthly_fee":{"amount":"0.00","currency":"EUR"},
"monthly_payment":{"amount":"860.66","currency":"EUR"},"last_payment":{"amount":"860.70","currency":"EUR"},
"total_interest":{"amount":"327.96","currency":"EUR"},"total_fees":{"amount":"0.00","currency":"EUR"},
"total_cost":{"amount":"327.96","currency":"EUR"},"total_payable":{"amount":"10327.96","currency":"EUR"},"apr":"0.0617","instalments":[
{"number":1,"payment":{"amount":"860.66","currency":"EUR"},"principal":{"amount":"810.66","currency":"EUR"},"interest":{"amount":"50.00","currency":"EUR"},"fee":{"amount":"0.00","currency":"EUR"},"balance":{"amount":"9189.34","currency":"EUR"}},
{"number":2,"payment":{"amount":"860.66","currency":"EUR"},"principal":{"amount":"814.71","currency":"EUR"},"interest":{"amount":"45.95","currency":"EUR"},"fee":{"amount":"0.00","currency":"EUR"},"balance":{"amount":"8374.63","currency":"EUR"}},
{"number":3,"payment":{"amount":"860.66","currency":"EUR"},"principal":{"amount":"818.79","currency":"EUR"},"interest":{"amount":"41.87","currency":"EUR"},"fee":{"amount":"0.00","currency":"EUR"},"balance":{"amount":"7555.84","currency":"EUR"}},
{"number":4,"payment":{"amount":"860.66","currency":"EUR"},"principal":{"amount":"822.88","currency":"EUR"},"interest":{"amount":"37.78","currency":"EUR"},"fee":{"amount":"0.00","currency":"EUR"},"balance":{"amount":"6732.96","currency":"EUR"}},
{"number":5,"payment":{"amount":"860.66","currency":"EUR"},"principal":{"amount":"827.00","currency":"EUR"},"interest":{"amount":"33.66","currency":"EUR"},"fee":{"amount":"0.00","currency":"EUR"},"balance":{"amount":"5905.96","currency":"EUR"}},
{"number":6,"payment":{"amount":"860.66","currency":"EUR"},"principal":{"amount":"831.13","currency":"EUR"},"interest":{"amount":"29.53","currency":"EUR"},"fee":{"amount":"0.00","currency":"EUR"},"balance":{"amount":"5074.83","currency":"EUR"}},
{"number":7,"payment":{"amount":"860.66","currency":"EUR"},"principal":{"amount":"835.29","currency":"EUR"},"interest":{"amount":"25.37","currency":"EUR"},"fee":{"amount":"0.00","currency":"EUR"},"balance":{"amount":"4239.54","currency":"EUR"}},
{"number":8,"payment":{"amount":"860.66","currency":"EUR"},"principal":{"amount":"839.46","currency":"EUR"},"interest":{"amount":"21.20","currency":"EUR"},"fee":{"amount":"0.00","currency":"EUR"},"balance":{"amount":"3400.08","currency":"EUR"}},
{"number":9,"payment":{"amount":"860.66","currency":"EUR"},"principal":{"amount":"843.66","currency":"EUR"},"interest":{"amount":"17.00","currency":"EUR"},"fee":{"amount":"0.00","currency":"EUR"},"balance":{"amount":"2556.42","currency":"EUR"}},
{"number":10,"payment":{"amount":"860.66","currency":"EUR"},"principal":{"amount":"847.88","currency":"EUR"},"interest":{"amount":"12.78","currency":"EUR"},"fee":{"amount":"0.00","currency":"EUR"},"balance":{"amount":"1708.54","currency":"EUR"}},
{"number":11,"payment":{"amount":"860.66","currency":"EUR"},"principal":{"amount":"852.12","currency":"EUR"},"interest":{"amount":"8.54","currency":"EUR"},"fee":{"amount":"0.00","currency":"EUR"},"balance":{"amount":"856.42","currency":"EUR"}},
{"number":12,"payment":{"amount":"860.70","currency":"EUR"},"principal":{"amount":"856.42","currency":"EUR"},"interest":{"amount":"4.28","currency":"EUR"},"fee":{"amount":"0.00","currency":"EUR"},"balance":{"amount":"0.00","currency":"EUR"}}]}`

func compactJSON(t *testing.T, s []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, s); err != nil {
		t.Fatalf("%v in %s", err, s)
	}
	return b.String()
}

func TestCalculatorAPI(t *testing.T) {
	srv := calculatorServer(t)

	t.Run("LoanExactJSON", func(t *testing.T) {
		status, ctype, body := postJSON(t, srv, "/api/v1/calculators/loan",
			`{"principal":{"amount":"10000","currency":"EUR"},"months":12,"nominal_annual_rate":"0.06"}`)
		if status != http.StatusOK || ctype != "application/json" {
			t.Fatalf("status %d %s: %s", status, ctype, body)
		}
		if got, want := compactJSON(t, body), compactJSON(t, []byte(loanJSON10000)); got != want {
			t.Errorf("schedule mismatch\n got %s\nwant %s", got, want)
		}
	})

	t.Run("Deposit", func(t *testing.T) {
		status, _, body := postJSON(t, srv, "/api/v1/calculators/deposit",
			`{"principal":{"amount":"10000","currency":"RON"},"months":12,"nominal_annual_rate":"0.05","capitalisation":"quarterly","withholding_tax_rate":"0.10"}`)
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		for _, want := range []string{`"gross_interest":{"amount":"508.51","currency":"RON"}`, `"tax":{"amount":"50.85","currency":"RON"}`,
			`"value_at_maturity":{"amount":"10457.66","currency":"RON"}`, `"annual_equivalent_rate":"0.0509"`, `"net_annual_equivalent_rate":"0.0458"`,
			`{"number":4,"months":3,"interest":{"amount":"129.27","currency":"RON"},"tax":{"amount":"12.93","currency":"RON"},"balance":{"amount":"10457.66","currency":"RON"}}`} {
			if !strings.Contains(string(body), want) {
				t.Errorf("result lacks %s:\n%s", want, body)
			}
		}
	})

	problem := func(t *testing.T, path, body string) web.ProblemDetails {
		t.Helper()
		status, ctype, raw := postJSON(t, srv, path, body)
		var p web.ProblemDetails
		if err := json.Unmarshal(raw, &p); err != nil || status != http.StatusUnprocessableEntity || ctype != web.ProblemContentType {
			t.Fatalf("status %d %s, want 422 problem+json: %s", status, ctype, raw)
		}
		return p
	}
	fieldMessage := func(p web.ProblemDetails, field string) string {
		for _, fe := range p.Errors {
			if fe.Field == field {
				return fe.Message
			}
		}
		return ""
	}

	t.Run("ErrInvalidLoan", func(t *testing.T) {
		p := problem(t, "/api/v1/calculators/loan",
			`{"principal":{"amount":"10000.001","currency":"EUR"},"months":481,"nominal_annual_rate":"0.06"}`)
		if got := fieldMessage(p, "months"); got != "must be between 1 and 480 months" {
			t.Errorf("months: %q", got)
		}
		if got := fieldMessage(p, "principal.amount"); got != "EUR has at most 2 decimal places" {
			t.Errorf("principal.amount: %q", got)
		}
		if len(p.Errors) != 2 {
			t.Errorf("errors %+v, want months and principal.amount", p.Errors)
		}
	})

	t.Run("ErrInvalidDeposit", func(t *testing.T) {
		p := problem(t, "/api/v1/calculators/deposit",
			`{"principal":{"amount":"-5","currency":"XXY"},"months":0,"nominal_annual_rate":"0.05"}`)
		if fieldMessage(p, "principal.currency") == "" || !strings.Contains(fieldMessage(p, "months"), "between 1 and 120 months") {
			t.Errorf("errors %+v, want principal.currency and months with the range", p.Errors)
		}
	})

	t.Run("CompareLoans", func(t *testing.T) {
		status, _, body := postJSON(t, srv, "/api/v1/calculators/loan/compare", `{"loans":[
			{"principal":{"amount":"10000","currency":"EUR"},"months":12,"nominal_annual_rate":"0.07"},
			{"principal":{"amount":"10000","currency":"EUR"},"months":12,"nominal_annual_rate":"0.06","upfront_fee":{"amount":"300"}}]}`)
		var c LoanComparison
		if err := json.Unmarshal(body, &c); err != nil || status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		if len(c.Loans) != 2 || c.LowestAPR != 0 || c.LowestTotalCost != 0 {
			t.Errorf("lowest APR %d, lowest total cost %d; want the 7 %% loan without fee (0) for both", c.LowestAPR, c.LowestTotalCost)
		}
		five := `{"principal":{"amount":"1000","currency":"EUR"},"months":12,"nominal_annual_rate":"0.05"}`
		p := problem(t, "/api/v1/calculators/loan/compare", `{"loans":[`+strings.Repeat(five+",", 4)+five+`]}`)
		if !strings.Contains(fieldMessage(p, "loans"), "between 1 and 4") {
			t.Errorf("five loans: %+v", p)
		}
	})

	t.Run("CompareDeposits", func(t *testing.T) {
		status, _, body := postJSON(t, srv, "/api/v1/calculators/deposit/compare", `{"deposits":[
			{"principal":{"amount":"10000","currency":"RON"},"months":12,"nominal_annual_rate":"0.05"},
			{"principal":{"amount":"10000","currency":"RON"},"months":12,"nominal_annual_rate":"0.05","capitalisation":"monthly"}]}`)
		var c DepositComparison
		if err := json.Unmarshal(body, &c); err != nil || status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		if c.HighestNetAER != 1 || c.HighestNetInterest != 1 {
			t.Errorf("highest net AER %d, net interest %d; want the monthly deposit (1)", c.HighestNetAER, c.HighestNetInterest)
		}
		p := problem(t, "/api/v1/calculators/deposit/compare", `{"deposits":[
			{"principal":{"amount":"10000","currency":"RON"},"months":12,"nominal_annual_rate":"0.05"},
			{"principal":{"amount":"10000","currency":"EUR"},"months":200,"nominal_annual_rate":"0.05"}]}`)
		if fieldMessage(p, "deposits[1].principal.currency") == "" || fieldMessage(p, "deposits[1].months") == "" {
			t.Errorf("errors %+v, want deposits[1] currency and months", p.Errors)
		}
	})

	t.Run("ErrUnknownField", func(t *testing.T) {
		p := problem(t, "/api/v1/calculators/loan", `{"principal":{"amount":"1000","currency":"EUR"},"months":12,"rate":"0.05"}`)
		if fieldMessage(p, "rate") == "" {
			t.Errorf("errors %+v, want the unknown field rate named", p.Errors)
		}
	})

	t.Run("ErrMalformed", func(t *testing.T) {
		status, ctype, body := postJSON(t, srv, "/api/v1/calculators/deposit", `{"principal":`)
		if status != http.StatusUnprocessableEntity || ctype != web.ProblemContentType {
			t.Errorf("malformed JSON: status %d %s: %s", status, ctype, body)
		}
	})
}
