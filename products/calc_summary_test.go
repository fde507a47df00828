package products

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// annuityPaymentDecimal is the annuity rule of CalculateLoan written out in
// decimal arithmetic, step by step as the rule states it: r = nominal / 12
// rounded to 40 places, q = (1+r)^n truncated to 40 places after every
// product, payment = P·r·q / (q − 1) rounded half away from zero to minor
// units. annuityMinor and annuityMinorExact must give exactly its result.
func annuityPaymentDecimal(principal, nominal decimal.Decimal, months int, units int32) decimal.Decimal {
	if nominal.IsZero() {
		return principal.DivRound(decimal.NewFromInt(int64(months)), units)
	}
	r := nominal.DivRound(twelve, workingPlaces)
	q := powTruncated(decimal.NewFromInt(1).Add(r), months, workingPlaces)
	return principal.Mul(r).Mul(q).DivRound(q.Sub(decimal.NewFromInt(1)), units)
}

// TestAnnuityMatchesDecimalRule checks the integer and the float-guided
// annuity against the rule on random loans over the whole input range.
func TestAnnuityMatchesDecimalRule(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 2000
	}
	rng := rand.New(rand.NewPCG(5, 8))
	for i := range n {
		units := int32(2)
		if i%4 == 0 {
			units = 0
		}
		// Log-uniform amounts from one minor unit to MaxPrincipal, rates
		// with up to 8 places (the finest accepted) up to 100 %, any term;
		// the edges of each range come up often.
		lent := int64(math.Pow(10, rng.Float64()*(8+float64(units))))
		rate := rng.Int64N(rateDenominator + 1)
		months := 1 + rng.IntN(MaxLoanMonths)
		switch i % 7 {
		case 1:
			lent = MaxPrincipal * int64(math.Pow10(int(units)))
		case 2:
			rate = rng.Int64N(100)
		case 3:
			rate = rateDenominator
		case 4:
			months = MaxLoanMonths
		case 5:
			rate = 0
		}
		lent = max(lent, 1)
		want := annuityPaymentDecimal(decimal.New(lent, -units), decimal.New(rate, -MaxRateDecimalPlaces), months, units)
		if got := annuityMinorExact(lent, rate, months); !decimal.New(got, -units).Equal(want) {
			t.Fatalf("annuityMinorExact(%d, %d, %d) = %d minor units, the decimal rule gives %s", lent, rate, months, got, want)
		}
		if got := annuityMinor(lent, rate, months); !decimal.New(got, -units).Equal(want) {
			t.Fatalf("annuityMinor(%d, %d, %d) = %d minor units, the decimal rule gives %s", lent, rate, months, got, want)
		}
	}
}

// TestLoanSummaryMatchesSchedule checks that the figures an offer shows
// are, to the last digit and decimal place, those of the full schedule,
// and that both refuse the same requests with the same error.
func TestLoanSummaryMatchesSchedule(t *testing.T) {
	n := 5000
	if testing.Short() {
		n = 500
	}
	currencies := []string{"EUR", "RON", "JPY"}
	rng := rand.New(rand.NewPCG(13, 21))
	for i := range n {
		ccy := currencies[rng.IntN(len(currencies))]
		units, _ := ecrm.CurrencyMinorUnits(ccy)
		amount := decimal.NewFromFloat(math.Pow(10, rng.Float64()*8)).Round(units)
		if !amount.IsPositive() {
			amount = decimal.New(1, -units)
		}
		req := LoanRequest{
			Principal:         ecrm.Money{Amount: amount, Currency: ccy},
			Months:            1 + rng.IntN(MaxLoanMonths),
			NominalAnnualRate: decimal.New(rng.Int64N(rateDenominator+1), -MaxRateDecimalPlaces),
			Repayment:         AnnuityRepayment,
		}
		switch i % 5 {
		case 0: // what the matching engine asks: a typical loan with fees
			req.Principal.Amount = decimal.New(1000_00+rng.Int64N(200_000_00), -2).Round(units)
			req.Months = 6 + rng.IntN(355)
			req.NominalAnnualRate = decimal.New(rng.Int64N(2500), -4)
			req.UpfrontFee = ecrm.Money{Amount: req.Principal.Amount.Mul(decimal.New(rng.Int64N(300), -4)).Round(units), Currency: ccy}
			req.MonthlyFee = ecrm.Money{Amount: decimal.New(rng.Int64N(1000), -units), Currency: ccy}
		case 1:
			req.Repayment = LinearRepayment
		case 2:
			req.NominalAnnualRate = decimal.Zero
		case 3: // fees that may be refused
			req.UpfrontFee = ecrm.Money{Amount: decimal.New(rng.Int64N(1_000_000), -units), Currency: ccy}
			req.MonthlyFee = ecrm.Money{Amount: decimal.New(rng.Int64N(10_000), -units)}
		}
		s, errFull := CalculateLoan(req)
		sum, errSummary := summariseLoan(req)
		if fmt.Sprint(errFull) != fmt.Sprint(errSummary) {
			t.Fatalf("%+v: schedule error %v, summary error %v", req, errFull, errSummary)
		}
		if errFull != nil {
			continue
		}
		for _, c := range []struct {
			what      string
			full, got ecrm.Money
		}{
			{"upfront fee", s.UpfrontFee, sum.UpfrontFee},
			{"monthly fee", s.MonthlyFee, sum.MonthlyFee},
			{"monthly payment", s.MonthlyPayment, sum.MonthlyPayment},
			{"total cost", s.TotalCost, sum.TotalCost},
			{"total payable", s.TotalPayable, sum.TotalPayable},
		} {
			if !sameDecimal(c.full.Amount, c.got.Amount) || c.full.Currency != c.got.Currency {
				t.Fatalf("%+v: %s %s in the schedule, %s in the summary", req, c.what, c.full, c.got)
			}
		}
		if !sameDecimal(s.APR, sum.APR) {
			t.Fatalf("%+v: APR %s in the schedule, %s in the summary", req, s.APR, sum.APR)
		}
	}
}

// sameDecimal is equality of value and of written form ("250" and
// "250.00" are equal numbers but not the same figure in JSON).
func sameDecimal(a, b decimal.Decimal) bool {
	return a.Equal(b) && a.String() == b.String() && a.Exponent() == b.Exponent()
}

// BenchmarkLoanSummary is the cost of pricing one offer of the matching
// engine: a 36-month consumer loan with fees, without its rows.
func BenchmarkLoanSummary(b *testing.B) {
	req := LoanRequest{Principal: ecrm.MustMoney("20000", "EUR"), Months: 36, NominalAnnualRate: decimal.RequireFromString("0.0899"),
		UpfrontFee: ecrm.MustMoney("200", "EUR"), MonthlyFee: ecrm.MustMoney("2", "EUR")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := summariseLoan(req); err != nil {
			b.Fatal(err)
		}
	}
}
