package products_test

import (
	"testing"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/products"
)

// BenchmarkMortgage360 is the speed target of the calculators: a 30-year
// mortgage schedule, with its totals and APR, in under a millisecond.
//
//	go test ./products -run '^$' -bench . -benchmem
func BenchmarkMortgage360(b *testing.B) {
	req := products.LoanRequest{
		Principal:         ecrm.MustMoney("250000", "EUR"),
		Months:            360,
		NominalAnnualRate: dec("0.0475"),
		UpfrontFee:        ecrm.MustMoney("1250", "EUR"),
		MonthlyFee:        ecrm.MustMoney("5", "EUR"),
		FirstPaymentDate:  "2026-03-31",
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := products.CalculateLoan(req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMortgage480Linear(b *testing.B) {
	req := products.LoanRequest{
		Principal:         ecrm.MustMoney("1000000", "EUR"),
		Months:            480,
		NominalAnnualRate: dec("0.0399"),
		Repayment:         products.LinearRepayment,
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := products.CalculateLoan(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAPR solves the basic equation alone for 360 monthly repayments.
func BenchmarkAPR(b *testing.B) {
	drawdowns := []products.CreditFlow{{Amount: dec("248750")}}
	repayments := make([]products.CreditFlow, 360)
	for i := range repayments {
		repayments[i] = products.CreditFlow{Months: i + 1, Amount: dec("1309.12")}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := products.AnnualPercentageRate(drawdowns, repayments); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeposit(b *testing.B) {
	req := products.DepositRequest{
		Principal:          ecrm.MustMoney("50000", "RON"),
		Months:             120,
		NominalAnnualRate:  dec("0.055"),
		Capitalisation:     products.CapitaliseMonthly,
		WithholdingTaxRate: dec("0.10"),
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := products.CalculateDeposit(req); err != nil {
			b.Fatal(err)
		}
	}
}
