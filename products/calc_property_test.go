package products_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/products"
)

var testCurrencies = []string{"EUR", "RON", "USD", "JPY"}

// randomLoan draws a valid request over the whole allowed range: amounts
// from one minor unit to MaxPrincipal (log-uniform, so small and large
// loans are equally represented), any term, any rate up to 100 % with up
// to 4 decimal places, either repayment method.
func randomLoan(rng *rand.Rand) products.LoanRequest {
	currency := testCurrencies[rng.IntN(len(testCurrencies))]
	units, _ := ecrm.CurrencyMinorUnits(currency)
	amount := decimal.NewFromFloat(math.Pow(10, rng.Float64()*8)).Round(units)
	if !amount.IsPositive() {
		amount = decimal.New(1, -units)
	}
	rate := decimal.New(rng.Int64N(10_001), -4) // 0 … 1 in steps of 0.01 %
	if rng.IntN(10) == 0 {
		rate = decimal.Zero
	}
	method := products.AnnuityRepayment
	if rng.IntN(2) == 0 {
		method = products.LinearRepayment
	}
	return products.LoanRequest{
		Principal:         ecrm.Money{Amount: amount, Currency: currency},
		Months:            1 + rng.IntN(products.MaxLoanMonths),
		NominalAnnualRate: rate,
		Repayment:         method,
	}
}

// checkScheduleInvariants states what every schedule promises, whatever
// the input: the principal repaid is exactly the amount lent, the balance
// falls to exactly zero and never goes up or below zero, every row adds up,
// and every interest amount is the rounding rule applied to the balance.
func checkScheduleInvariants(t *testing.T, req products.LoanRequest, s products.LoanSchedule) {
	t.Helper()
	units, _ := ecrm.CurrencyMinorUnits(req.Principal.Currency)
	twelve := decimal.NewFromInt(12)
	fee := req.MonthlyFee.Amount
	if len(s.Instalments) == 0 || len(s.Instalments) > req.Months {
		t.Fatalf("%+v: %d instalments for a %d-month term", req, len(s.Instalments), req.Months)
	}
	repaid, interest := decimal.Zero, decimal.Zero
	previous := req.Principal.Amount
	for i, in := range s.Instalments {
		for _, m := range []ecrm.Money{in.Payment, in.Principal, in.Interest, in.Balance} {
			if m.Currency != req.Principal.Currency || !m.Amount.Equal(m.Amount.Round(units)) {
				t.Fatalf("%+v: instalment %d has %s, not in %s minor units", req, i+1, m, req.Principal.Currency)
			}
		}
		if want := previous.Mul(req.NominalAnnualRate).DivRound(twelve, units); !in.Interest.Amount.Equal(want) {
			t.Fatalf("%+v: instalment %d interest %s, rule gives %s on %s", req, i+1, in.Interest, want, previous)
		}
		if in.Principal.Amount.IsNegative() {
			t.Fatalf("%+v: instalment %d repays negative principal %s", req, i+1, in.Principal)
		}
		if !in.Payment.Amount.Equal(in.Principal.Amount.Add(in.Interest.Amount).Add(fee)) {
			t.Fatalf("%+v: instalment %d payment %s ≠ principal + interest + fee", req, i+1, in.Payment)
		}
		if in.Payment.Amount.LessThan(in.Interest.Amount) {
			t.Fatalf("%+v: instalment %d payment %s below its interest %s", req, i+1, in.Payment, in.Interest)
		}
		if in.Balance.Amount.IsNegative() || in.Balance.Amount.GreaterThan(previous) {
			t.Fatalf("%+v: balance %s after instalment %d (before: %s)", req, in.Balance, i+1, previous)
		}
		if !in.Balance.Amount.Equal(previous.Sub(in.Principal.Amount)) {
			t.Fatalf("%+v: balance %s after instalment %d does not follow from %s", req, in.Balance, i+1, previous)
		}
		if i < len(s.Instalments)-1 && !in.Balance.Amount.IsPositive() {
			t.Fatalf("%+v: instalment %d after the balance reached zero", req, i+2)
		}
		previous = in.Balance.Amount
		repaid = repaid.Add(in.Principal.Amount)
		interest = interest.Add(in.Interest.Amount)
	}
	if !repaid.Equal(req.Principal.Amount) {
		t.Fatalf("%+v: principal repaid %s ≠ amount lent %s", req, repaid, req.Principal.Amount)
	}
	if !previous.IsZero() {
		t.Fatalf("%+v: final balance %s", req, previous)
	}
	if !s.TotalInterest.Amount.Equal(interest) {
		t.Fatalf("%+v: total interest %s ≠ Σ interest %s", req, s.TotalInterest, interest)
	}
	if !s.TotalPayable.Amount.Equal(req.Principal.Amount.Add(s.TotalCost.Amount)) ||
		!s.TotalCost.Amount.Equal(s.TotalInterest.Amount.Add(s.TotalFees.Amount)) {
		t.Fatalf("%+v: totals do not add up: %+v", req, s)
	}
}

// TestLoanScheduleProperties checks the invariants on random loans across
// the whole allowed input range.
func TestLoanScheduleProperties(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range n {
		req := randomLoan(rng)
		checkScheduleInvariants(t, req, mustLoan(t, req))
	}
}

// TestOrdinaryLoansRunTheirFullTerm checks that the guards of the rounding
// rule (a payment that covers only interest, a schedule that ends early)
// never fire for the loans banks actually make — consumer loans of 1,000 to
// 100,000 over at most 10 years at up to 30 %, mortgages of 20,000 to
// 2,000,000 over up to 40 years at up to 12 % — and bounds the last
// instalment. Each month the payment's rounding (δ, at most half a cent)
// and the interest's rounding (at most half a cent) move the balance by at
// most a cent, and the balance carries that error forward at the monthly
// rate r; after n months it is at most 0.01·((1+r)^n − 1)/r, which the last
// instalment absorbs with a month's interest on it.
func TestOrdinaryLoansRunTheirFullTerm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 1000 {
		req := randomLoan(rng)
		if i%2 == 0 { // consumer loan
			req.Principal = ecrm.Money{Amount: decimal.New(1000_00+rng.Int64N(99_000_00), -2), Currency: "EUR"}
			req.Months = 1 + rng.IntN(120)
			req.NominalAnnualRate = decimal.New(rng.Int64N(3001), -4)
		} else { // mortgage
			req.Principal = ecrm.Money{Amount: decimal.New(20_000_00+rng.Int64N(1_980_000_00), -2), Currency: "EUR"}
			req.Months = 12 + rng.IntN(469)
			req.NominalAnnualRate = decimal.New(rng.Int64N(1201), -4)
		}
		s := mustLoan(t, req)
		checkScheduleInvariants(t, req, s)
		if len(s.Instalments) != req.Months {
			t.Fatalf("%+v: %d instalments, want %d", req, len(s.Instalments), req.Months)
		}
		regular := s.MonthlyPayment.Amount
		for _, in := range s.Instalments[:req.Months-1] {
			switch req.Repayment {
			case products.AnnuityRepayment:
				if !in.Payment.Amount.Equal(regular) {
					t.Fatalf("%+v: instalment %d pays %s, regular %s", req, in.Number, in.Payment, regular)
				}
			case products.LinearRepayment:
				if !in.Principal.Amount.Equal(s.Instalments[0].Principal.Amount) {
					t.Fatalf("%+v: instalment %d repays %s, regular %s", req, in.Number, in.Principal, s.Instalments[0].Principal)
				}
			}
		}
		if req.Repayment == products.AnnuityRepayment {
			r := req.NominalAnnualRate.InexactFloat64() / 12
			carried := float64(req.Months) // the r → 0 limit of ((1+r)^n − 1)/r
			if r > 0 {
				carried = (pow(1+r, req.Months) - 1) / r
			}
			bound := decimal.NewFromFloat(0.01*carried*(1+r) + 0.01)
			if diff := s.LastPayment.Amount.Sub(regular).Abs(); diff.GreaterThan(bound) {
				t.Fatalf("%+v: last payment %s differs from the regular %s by more than %s", req, s.LastPayment, regular, bound)
			}
		}
	}
}

// FuzzLoanSchedule feeds arbitrary numbers to the calculator: whatever it
// accepts must satisfy the schedule invariants, and whatever it rejects
// must be rejected with a field error, never a panic.
//
//	go test ./products -run '^$' -fuzz FuzzLoanSchedule -fuzztime 30s
func FuzzLoanSchedule(f *testing.F) {
	f.Add(int64(1_000_000), 12, int64(600), false, uint8(0), int64(0))
	f.Add(int64(30_000_000), 360, int64(450), false, uint8(1), int64(10_00))
	f.Add(int64(1), 480, int64(10_000), true, uint8(3), int64(0))
	f.Add(int64(720), 480, int64(0), false, uint8(0), int64(0))
	f.Add(int64(10_000_000_000), 480, int64(10_000), false, uint8(2), int64(0))
	f.Fuzz(func(t *testing.T, minorUnits int64, months int, rateBasisPoints int64, linear bool, currency uint8, monthlyFeeMinor int64) {
		code := testCurrencies[int(currency)%len(testCurrencies)]
		units, _ := ecrm.CurrencyMinorUnits(code)
		req := products.LoanRequest{
			Principal:         ecrm.Money{Amount: decimal.New(minorUnits, -units), Currency: code},
			Months:            months,
			NominalAnnualRate: decimal.New(rateBasisPoints, -4),
			Repayment:         products.AnnuityRepayment,
			MonthlyFee:        ecrm.Money{Amount: decimal.New(monthlyFeeMinor, -units), Currency: code},
		}
		if linear {
			req.Repayment = products.LinearRepayment
		}
		s, err := products.CalculateLoan(req)
		if err != nil {
			var e *ecrm.Error
			if !errors.As(err, &e) || e.Code != ecrm.EINVALID || len(e.Fields) == 0 {
				t.Fatalf("%+v: error %v is not a field error", req, err)
			}
			return
		}
		checkScheduleInvariants(t, req, s)
	})
}
