package products_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/products"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// row is an expected instalment: payment, interest, principal, balance.
type row struct{ payment, interest, principal, balance string }

// assertMoney fails unless got is exactly want in currency (no tolerance:
// "860.66" and "860.660" are equal, "860.66" and "860.67" are not).
func assertMoney(t *testing.T, what string, got ecrm.Money, want, currency string) {
	t.Helper()
	if got.Currency != currency || !got.Amount.Equal(dec(want)) {
		t.Errorf("%s = %s, want %s %s", what, got, want, currency)
	}
}

func assertSchedule(t *testing.T, s products.LoanSchedule, currency string, want []row) {
	t.Helper()
	if len(s.Instalments) != len(want) {
		t.Fatalf("%d instalments, want %d", len(s.Instalments), len(want))
	}
	for i, w := range want {
		got := s.Instalments[i]
		if got.Number != i+1 {
			t.Errorf("instalment %d numbered %d", i+1, got.Number)
		}
		assertMoney(t, "payment "+itoa(i+1), got.Payment, w.payment, currency)
		assertMoney(t, "interest "+itoa(i+1), got.Interest, w.interest, currency)
		assertMoney(t, "principal "+itoa(i+1), got.Principal, w.principal, currency)
		assertMoney(t, "balance "+itoa(i+1), got.Balance, w.balance, currency)
	}
}

func itoa(i int) string { return decimal.NewFromInt(int64(i)).String() }

func mustLoan(t *testing.T, req products.LoanRequest) products.LoanSchedule {
	t.Helper()
	s, err := products.CalculateLoan(req)
	if err != nil {
		t.Fatalf("CalculateLoan(%+v): %v", req, err)
	}
	return s
}

// TestAnnuityWorkedExample is the example of the products issue: 10,000
// EUR over 12 months at 6 % nominal (0.5 % a month). The payment is
// 10000 × 0.005 / (1 − 1.005^−12) = 860.6643… → 860.66. Interest is
// rounded to the cent each month, e.g. month 2: 9189.34 × 0.005 = 45.9467 →
// 45.95. Eleven payments of 860.66 leave 856.42, so the last instalment is
// 856.42 + 4.28 (856.42 × 0.005 = 4.2821) = 860.70, and total interest is
// 11 × 860.66 + 860.70 − 10,000 = 327.96.
func TestAnnuityWorkedExample(t *testing.T) {
	s := mustLoan(t, products.LoanRequest{
		Principal:         ecrm.MustMoney("10000", "EUR"),
		Months:            12,
		NominalAnnualRate: dec("0.06"),
	})
	assertSchedule(t, s, "EUR", []row{
		{"860.66", "50.00", "810.66", "9189.34"},
		{"860.66", "45.95", "814.71", "8374.63"},
		{"860.66", "41.87", "818.79", "7555.84"},
		{"860.66", "37.78", "822.88", "6732.96"},
		{"860.66", "33.66", "827.00", "5905.96"},
		{"860.66", "29.53", "831.13", "5074.83"},
		{"860.66", "25.37", "835.29", "4239.54"},
		{"860.66", "21.20", "839.46", "3400.08"},
		{"860.66", "17.00", "843.66", "2556.42"},
		{"860.66", "12.78", "847.88", "1708.54"},
		{"860.66", "8.54", "852.12", "856.42"},
		{"860.70", "4.28", "856.42", "0.00"},
	})
	assertMoney(t, "monthly payment", s.MonthlyPayment, "860.66", "EUR")
	assertMoney(t, "last payment", s.LastPayment, "860.70", "EUR")
	assertMoney(t, "total interest", s.TotalInterest, "327.96", "EUR")
	assertMoney(t, "total fees", s.TotalFees, "0", "EUR")
	assertMoney(t, "total cost", s.TotalCost, "327.96", "EUR")
	assertMoney(t, "total payable", s.TotalPayable, "10327.96", "EUR")
	// Without fees the APR is the effective rate of the instalments,
	// 1.005^12 − 1 = 6.1678 % for the unrounded payment.
	if !s.APR.Equal(dec("0.0617")) {
		t.Errorf("APR = %s, want 0.0617", s.APR)
	}
	if s.Repayment != products.AnnuityRepayment {
		t.Errorf("an empty repayment method gave %q, want the annuity default", s.Repayment)
	}
}

// TestLinearWorkedExamples checks equal-principal schedules. 1,200 over 12
// months at 12 % (1 % a month) is the textbook case with no rounding at
// all: 100 of principal a month and interest of 12, 11, …, 1 — 78 in total,
// P·r·(n+1)/2. 10,000 over 12 months at 6 % shows the rounding rule: 10000 /
// 12 = 833.333… → 833.33 for eleven months and 833.37 in the last; month
// 2's interest is 9166.67 × 0.005 = 45.83335 → 45.83.
func TestLinearWorkedExamples(t *testing.T) {
	t.Run("NoRounding", func(t *testing.T) {
		s := mustLoan(t, products.LoanRequest{
			Principal:         ecrm.MustMoney("1200", "EUR"),
			Months:            12,
			NominalAnnualRate: dec("0.12"),
			Repayment:         products.LinearRepayment,
		})
		want := make([]row, 12)
		for k := range 12 {
			interest := decimal.NewFromInt(int64(12 - k))
			want[k] = row{
				payment:   interest.Add(dec("100")).String(),
				interest:  interest.String(),
				principal: "100",
				balance:   decimal.NewFromInt(int64(1100 - 100*k)).String(),
			}
		}
		assertSchedule(t, s, "EUR", want)
		assertMoney(t, "total interest", s.TotalInterest, "78", "EUR")
		assertMoney(t, "monthly payment", s.MonthlyPayment, "112", "EUR")
		assertMoney(t, "last payment", s.LastPayment, "101", "EUR")
	})
	t.Run("LastAbsorbsRounding", func(t *testing.T) {
		s := mustLoan(t, products.LoanRequest{
			Principal:         ecrm.MustMoney("10000", "EUR"),
			Months:            12,
			NominalAnnualRate: dec("0.06"),
			Repayment:         products.LinearRepayment,
		})
		assertSchedule(t, s, "EUR", []row{
			{"883.33", "50.00", "833.33", "9166.67"},
			{"879.16", "45.83", "833.33", "8333.34"},
			{"875.00", "41.67", "833.33", "7500.01"},
			{"870.83", "37.50", "833.33", "6666.68"},
			{"866.66", "33.33", "833.33", "5833.35"},
			{"862.50", "29.17", "833.33", "5000.02"},
			{"858.33", "25.00", "833.33", "4166.69"},
			{"854.16", "20.83", "833.33", "3333.36"},
			{"850.00", "16.67", "833.33", "2500.03"},
			{"845.83", "12.50", "833.33", "1666.70"},
			{"841.66", "8.33", "833.33", "833.37"},
			{"837.54", "4.17", "833.37", "0.00"},
		})
		assertMoney(t, "total interest", s.TotalInterest, "325.00", "EUR")
		if !s.APR.Equal(dec("0.0617")) {
			t.Errorf("APR = %s, want 0.0617", s.APR)
		}
	})
}

// TestPublishedMortgagePayments checks the level payment against figures
// published with the standard formula c = P·r / (1 − (1+r)^−N), r = yearly
// rate / 12; each one is also the formula worked by hand in float64 here.
func TestPublishedMortgagePayments(t *testing.T) {
	tests := []struct {
		source           string
		principal, rate  string
		months           int
		wantMonthly      string
		wantLastInstalms string
	}{
		// Wikipedia "Mortgage calculator" and vCalc "Mortgage payment"
		// (vcalc.com, uuid e6d22b23-da27-11e2-8e97-bc764e04d25f): $200,000,
		// 6.5 %, 30 years → $1,264.14.
		{"Wikipedia/vCalc", "200000", "0.065", 360, "1264.14", "1259.56"},
		// calcunation.com "Mortgage payment": $250,000, 6.5 %, 30 years →
		// $1580.17.
		{"calcunation.com", "250000", "0.065", 360, "1580.17", "1580.55"},
		// mortgagecalculator.tech: $200,000, 7 %, 13 years → $1956.15.
		{"mortgagecalculator.tech", "200000", "0.07", 156, "1956.15", "1955.67"},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			s := mustLoan(t, products.LoanRequest{
				Principal:         ecrm.MustMoney(tt.principal, "USD"),
				Months:            tt.months,
				NominalAnnualRate: dec(tt.rate),
			})
			assertMoney(t, "monthly payment", s.MonthlyPayment, tt.wantMonthly, "USD")
			assertMoney(t, "last payment", s.LastPayment, tt.wantLastInstalms, "USD")
			p, r := dec(tt.principal).InexactFloat64(), dec(tt.rate).InexactFloat64()/12
			byHand := decimal.NewFromFloat(p * r / (1 - pow(1+r, -tt.months))).Round(2)
			if !byHand.Equal(dec(tt.wantMonthly)) {
				t.Errorf("the published figure %s is not the formula's %s", tt.wantMonthly, byHand)
			}
		})
	}
}

// TestZeroRateAndWholeUnitCurrencies covers the cases where rounding is
// all there is: interest-free loans and JPY, which has no minor units.
// Expected rows were worked out independently with Python's decimal module
// (80 digits, ROUND_HALF_UP) from the same rule.
func TestZeroRateAndWholeUnitCurrencies(t *testing.T) {
	t.Run("ZeroRateAnnuity", func(t *testing.T) {
		s := mustLoan(t, products.LoanRequest{Principal: ecrm.MustMoney("1000", "EUR"), Months: 12, NominalAnnualRate: dec("0")})
		want := make([]row, 12)
		balance := dec("1000")
		for k := range 11 {
			balance = balance.Sub(dec("83.33"))
			want[k] = row{"83.33", "0", "83.33", balance.String()}
		}
		want[11] = row{"83.37", "0", "83.37", "0"}
		assertSchedule(t, s, "EUR", want)
		assertMoney(t, "total interest", s.TotalInterest, "0", "EUR")
		if !s.APR.IsZero() {
			t.Errorf("APR of an interest-free loan without fees = %s, want 0", s.APR)
		}
	})
	t.Run("ZeroRateLinear", func(t *testing.T) {
		s := mustLoan(t, products.LoanRequest{Principal: ecrm.MustMoney("1000", "EUR"), Months: 7, Repayment: products.LinearRepayment})
		assertMoney(t, "monthly payment", s.MonthlyPayment, "142.86", "EUR")
		assertMoney(t, "last payment", s.LastPayment, "142.84", "EUR")
	})
	t.Run("JPYAnnuity", func(t *testing.T) {
		s := mustLoan(t, products.LoanRequest{Principal: ecrm.MustMoney("1000000", "JPY"), Months: 12, NominalAnnualRate: dec("0.015")})
		assertSchedule(t, s, "JPY", []row{
			{"84012", "1250", "82762", "917238"},
			{"84012", "1147", "82865", "834373"},
			{"84012", "1043", "82969", "751404"},
			{"84012", "939", "83073", "668331"},
			{"84012", "835", "83177", "585154"},
			{"84012", "731", "83281", "501873"},
			{"84012", "627", "83385", "418488"},
			{"84012", "523", "83489", "334999"},
			{"84012", "419", "83593", "251406"},
			{"84012", "314", "83698", "167708"},
			{"84012", "210", "83802", "83906"},
			{"84011", "105", "83906", "0"},
		})
		assertMoney(t, "total interest", s.TotalInterest, "8143", "JPY")
		b, _ := json.Marshal(s.Instalments[0].Payment)
		if string(b) != `{"amount":"84012","currency":"JPY"}` {
			t.Errorf("JPY payment JSON = %s", b)
		}
	})
	t.Run("JPYLinear", func(t *testing.T) {
		s := mustLoan(t, products.LoanRequest{Principal: ecrm.MustMoney("1000000", "JPY"), Months: 12, NominalAnnualRate: dec("0.015"), Repayment: products.LinearRepayment})
		assertMoney(t, "monthly payment", s.MonthlyPayment, "84583", "JPY")
		assertMoney(t, "last payment", s.LastPayment, "83441", "JPY")
		assertMoney(t, "total interest", s.TotalInterest, "8126", "JPY")
	})
}

// TestLoanFeesAndTotals checks how fees enter the totals and the APR: a
// consumer loan of 5,000 EUR over 24 months at 9.99 % with a 100 EUR fee
// at drawdown and 5 EUR a month. Payment 5000·r/(1−(1+r)^−24), r =
// 0.0999/12, is 230.7015… → 230.70, plus the fee 235.70; the schedule
// (worked independently in Python decimal) ends with 228.86 + 1.91 + 5 =
// 235.77.
func TestLoanFeesAndTotals(t *testing.T) {
	s := mustLoan(t, products.LoanRequest{
		Principal:         ecrm.MustMoney("5000", "EUR"),
		Months:            24,
		NominalAnnualRate: dec("0.0999"),
		UpfrontFee:        ecrm.MustMoney("100", "EUR"),
		MonthlyFee:        ecrm.Money{Amount: dec("5")}, // currency defaults to the principal's
	})
	first, last := s.Instalments[0], s.Instalments[23]
	assertMoney(t, "first payment", first.Payment, "235.70", "EUR")
	assertMoney(t, "first interest", first.Interest, "41.63", "EUR")
	assertMoney(t, "first principal", first.Principal, "189.07", "EUR")
	assertMoney(t, "first fee", first.Fee, "5", "EUR")
	assertMoney(t, "last payment", last.Payment, "235.77", "EUR")
	assertMoney(t, "last interest", last.Interest, "1.91", "EUR")
	assertMoney(t, "last principal", last.Principal, "228.86", "EUR")
	assertMoney(t, "total interest", s.TotalInterest, "536.87", "EUR")
	assertMoney(t, "total fees", s.TotalFees, "220", "EUR")    // 100 + 24 × 5
	assertMoney(t, "total cost", s.TotalCost, "756.87", "EUR") // 536.87 + 220
	assertMoney(t, "total payable", s.TotalPayable, "5756.87", "EUR")
	// The APR solves 4,900 = Σ payment_k (1+X)^(−k/12): the fees lift
	// 9.99 % nominal (10.46 % effective) to 15.15 %. The figure is the
	// independent bisection's as well as the solver's.
	if want := independentAPR(t, s); !s.APR.Equal(want) {
		t.Errorf("APR = %s, independent solver %s", s.APR, want)
	}
	if !s.APR.Equal(dec("0.1515")) {
		t.Errorf("APR = %s, want 0.1515", s.APR)
	}
}

func TestDatedScheduleKeepsTheDayOfMonth(t *testing.T) {
	s := mustLoan(t, products.LoanRequest{
		Principal:         ecrm.MustMoney("1200", "EUR"),
		Months:            5,
		NominalAnnualRate: dec("0.05"),
		FirstPaymentDate:  "2027-12-31",
	})
	want := []string{"2027-12-31", "2028-01-31", "2028-02-29", "2028-03-31", "2028-04-30"}
	for i, w := range want {
		if got := s.Instalments[i].DueDate; got != w {
			t.Errorf("instalment %d due %s, want %s", i+1, got, w)
		}
	}
	undated := mustLoan(t, products.LoanRequest{Principal: ecrm.MustMoney("1200", "EUR"), Months: 5, NominalAnnualRate: dec("0.05")})
	if undated.Instalments[0].DueDate != "" {
		t.Errorf("undated schedule has due date %q", undated.Instalments[0].DueDate)
	}
	if !undated.TotalInterest.Amount.Equal(s.TotalInterest.Amount) {
		t.Errorf("dates changed the interest: %s vs %s", s.TotalInterest, undated.TotalInterest)
	}
}

// TestLoanJSON pins the API shape: snake_case names, money as
// {"amount": "<decimal string>", "currency": "EUR"}, rates as decimal
// strings. (How many decimal places an amount string shows is
// ecrm.Money's business, tested with it.)
func TestLoanJSON(t *testing.T) {
	var req products.LoanRequest
	body := `{"principal":{"amount":"10000","currency":"EUR"},"months":12,"nominal_annual_rate":"0.06","repayment":"annuity","first_payment_date":"2026-02-15"}`
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(mustLoan(t, req))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		MonthlyPayment ecrm.Money       `json:"monthly_payment"`
		TotalInterest  ecrm.Money       `json:"total_interest"`
		TotalPayable   ecrm.Money       `json:"total_payable"`
		APR            string           `json:"apr"`
		Rate           string           `json:"nominal_annual_rate"`
		Instalments    []map[string]any `json:"instalments"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	assertMoney(t, "monthly_payment", got.MonthlyPayment, "860.66", "EUR")
	assertMoney(t, "total_interest", got.TotalInterest, "327.96", "EUR")
	assertMoney(t, "total_payable", got.TotalPayable, "10327.96", "EUR")
	if got.APR != "0.0617" || got.Rate != "0.06" {
		t.Errorf("apr %q, nominal_annual_rate %q; want decimal strings 0.0617 and 0.06", got.APR, got.Rate)
	}
	first := got.Instalments[0]
	for _, key := range []string{"number", "due_date", "payment", "principal", "interest", "fee", "balance"} {
		if _, ok := first[key]; !ok {
			t.Errorf("instalment JSON lacks %q: %v", key, first)
		}
	}
	if first["due_date"] != "2026-02-15" {
		t.Errorf("due_date = %v", first["due_date"])
	}
}

// fieldMessages returns field → message of an EINVALID error.
func fieldMessages(t *testing.T, err error) map[string]string {
	t.Helper()
	var e *ecrm.Error
	if !errors.As(err, &e) || e.Code != ecrm.EINVALID {
		t.Fatalf("error %v is not an EINVALID *ecrm.Error", err)
	}
	got := map[string]string{}
	for _, fe := range e.Fields {
		got[fe.Field] = fe.Message
	}
	return got
}

func TestLoanRejectsBadInput(t *testing.T) {
	ok := products.LoanRequest{Principal: ecrm.MustMoney("10000", "EUR"), Months: 12, NominalAnnualRate: dec("0.06")}
	tests := []struct {
		name   string
		change func(*products.LoanRequest)
		want   map[string]string // field → part of the message
	}{
		{"NegativeAmount", func(r *products.LoanRequest) { r.Principal.Amount = dec("-1") },
			map[string]string{"principal.amount": "must be more than 0 and at most 100000000.00 EUR"}},
		{"ZeroAmount", func(r *products.LoanRequest) { r.Principal.Amount = dec("0") },
			map[string]string{"principal.amount": "must be more than 0"}},
		{"AbsurdAmount", func(r *products.LoanRequest) { r.Principal.Amount = dec("1e12") },
			map[string]string{"principal.amount": "at most 100000000.00 EUR"}},
		{"TooManyDecimals", func(r *products.LoanRequest) { r.Principal.Amount = dec("100.001") },
			map[string]string{"principal.amount": "EUR has at most 2 decimal places"}},
		{"YenWithDecimals", func(r *products.LoanRequest) { r.Principal = ecrm.Money{Amount: dec("1000.5"), Currency: "JPY"} },
			map[string]string{"principal.amount": "JPY has at most 0 decimal places"}},
		{"UnknownCurrency", func(r *products.LoanRequest) { r.Principal.Currency = "XYZ" },
			map[string]string{"principal.currency": `currency "XYZ" is not supported`}},
		{"MissingCurrency", func(r *products.LoanRequest) { r.Principal.Currency = "" },
			map[string]string{"principal.currency": "is required"}},
		{"TermTooLong", func(r *products.LoanRequest) { r.Months = 481 },
			map[string]string{"months": "must be between 1 and 480 months"}},
		{"TermZero", func(r *products.LoanRequest) { r.Months = 0 },
			map[string]string{"months": "must be between 1 and 480 months"}},
		{"NegativeRate", func(r *products.LoanRequest) { r.NominalAnnualRate = dec("-0.01") },
			map[string]string{"nominal_annual_rate": "must be between 0 and 1 (0 % to 100 %)"}},
		{"RateInPercent", func(r *products.LoanRequest) { r.NominalAnnualRate = dec("6") },
			map[string]string{"nominal_annual_rate": "0.06 is 6 %"}},
		{"RateTooPrecise", func(r *products.LoanRequest) { r.NominalAnnualRate = dec("0.060000001") },
			map[string]string{"nominal_annual_rate": "at most 8 decimal places"}},
		{"UnknownMethod", func(r *products.LoanRequest) { r.Repayment = "balloon" },
			map[string]string{"repayment": `must be "annuity" or "linear"`}},
		{"FeeEatsTheLoan", func(r *products.LoanRequest) { r.UpfrontFee = ecrm.MustMoney("10000", "EUR") },
			map[string]string{"upfront_fee.amount": "less than the principal (10000.00 EUR)"}},
		{"NegativeMonthlyFee", func(r *products.LoanRequest) { r.MonthlyFee = ecrm.MustMoney("-1", "EUR") },
			map[string]string{"monthly_fee.amount": "between 0 and the principal"}},
		{"FeeInOtherCurrency", func(r *products.LoanRequest) { r.MonthlyFee = ecrm.MustMoney("1", "RON") },
			map[string]string{"monthly_fee.currency": "must be EUR"}},
		{"BadDate", func(r *products.LoanRequest) { r.FirstPaymentDate = "31/01/2026" },
			map[string]string{"first_payment_date": "YYYY-MM-DD"}},
		{"EverythingAtOnce", func(r *products.LoanRequest) {
			r.Principal.Amount = dec("-5")
			r.Months = 1000
			r.NominalAnnualRate = dec("2")
		}, map[string]string{
			"principal.amount":    "must be more than 0",
			"months":              "between 1 and 480",
			"nominal_annual_rate": "between 0 and 1",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := ok
			tt.change(&req)
			_, err := products.CalculateLoan(req)
			got := fieldMessages(t, err)
			if len(got) != len(tt.want) {
				t.Errorf("fields %v, want exactly %v", got, tt.want)
			}
			for field, part := range tt.want {
				if !strings.Contains(got[field], part) {
					t.Errorf("%s: message %q does not contain %q", field, got[field], part)
				}
			}
			if req.Validate() == nil {
				t.Error("Validate accepted what CalculateLoan rejects")
			}
		})
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(valid request) = %v", err)
	}
}
