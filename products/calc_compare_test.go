package products_test

import (
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/products"
)

func TestCompareLoans(t *testing.T) {
	eur := ecrm.MustMoney("10000", "EUR")
	c, err := products.CompareLoans([]products.LoanRequest{
		{Principal: eur, Months: 12, NominalAnnualRate: dec("0.06")},
		{Principal: eur, Months: 12, NominalAnnualRate: dec("0.055"), UpfrontFee: ecrm.MustMoney("150", "EUR")},
		{Principal: eur, Months: 12, NominalAnnualRate: dec("0.06"), Repayment: products.LinearRepayment},
		{Principal: eur, Months: 24, NominalAnnualRate: dec("0.05")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Loans) != 4 {
		t.Fatalf("%d loans compared", len(c.Loans))
	}
	// Side by side, each loan is exactly what CalculateLoan gives.
	assertMoney(t, "loan 0 payment", c.Loans[0].MonthlyPayment, "860.66", "EUR")
	assertMoney(t, "loan 0 interest", c.Loans[0].TotalInterest, "327.96", "EUR")
	assertMoney(t, "loan 2 interest", c.Loans[2].TotalInterest, "325.00", "EUR")
	// The 5 % loan has the lowest APR but, over twice the term, not the
	// lowest cost; the linear loan repays faster and costs least. The 150
	// fee makes the 5.5 % loan the dearest despite its rate.
	if c.LowestAPR != 3 {
		t.Errorf("lowest APR: loan %d (APRs %s %s %s %s), want 3", c.LowestAPR, c.Loans[0].APR, c.Loans[1].APR, c.Loans[2].APR, c.Loans[3].APR)
	}
	if c.LowestTotalCost != 2 {
		t.Errorf("lowest total cost: loan %d, want 2", c.LowestTotalCost)
	}
	if !c.Loans[1].APR.GreaterThan(c.Loans[0].APR) {
		t.Errorf("the fee did not raise the APR: %s vs %s", c.Loans[1].APR, c.Loans[0].APR)
	}
}

func TestCompareDeposits(t *testing.T) {
	ron := ecrm.MustMoney("10000", "RON")
	c, err := products.CompareDeposits([]products.DepositRequest{
		{Principal: ron, Months: 12, NominalAnnualRate: dec("0.05"), WithholdingTaxRate: dec("0.10")},
		{Principal: ron, Months: 12, NominalAnnualRate: dec("0.05"), Capitalisation: products.CapitaliseMonthly, WithholdingTaxRate: dec("0.10")},
		{Principal: ron, Months: 6, NominalAnnualRate: dec("0.052"), WithholdingTaxRate: dec("0.10")},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Monthly capitalisation earns most over the year (459.39 net against
	// 450.00); the six-month deposit has the best annual yield after tax,
	// (1 + 0.0468/2)^2 − 1 = 4.735 %, against 4.594 % monthly.
	if c.HighestNetInterest != 1 || c.HighestNetAER != 2 {
		t.Errorf("highest net interest %d, highest net AER %d; want 1 and 2", c.HighestNetInterest, c.HighestNetAER)
	}
	assertMoney(t, "deposit 1 net", c.Deposits[1].NetInterest, "459.39", "RON")
	assertMoney(t, "deposit 0 net", c.Deposits[0].NetInterest, "450.00", "RON")
}

func TestCompareRejectsBadInput(t *testing.T) {
	eur := ecrm.MustMoney("10000", "EUR")
	good := products.LoanRequest{Principal: eur, Months: 12, NominalAnnualRate: dec("0.06")}
	t.Run("TooMany", func(t *testing.T) {
		_, err := products.CompareLoans([]products.LoanRequest{good, good, good, good, good})
		if got := fieldMessages(t, err); !strings.Contains(got["loans"], "between 1 and 4 loans") {
			t.Errorf("fields %v", got)
		}
	})
	t.Run("None", func(t *testing.T) {
		_, err := products.CompareDeposits(nil)
		if got := fieldMessages(t, err); !strings.Contains(got["deposits"], "between 1 and 4 deposits") {
			t.Errorf("fields %v", got)
		}
	})
	t.Run("FieldsNamedByPosition", func(t *testing.T) {
		bad := good
		bad.Months = 0
		other := good
		other.Principal = ecrm.MustMoney("10000", "RON")
		_, err := products.CompareLoans([]products.LoanRequest{good, bad, other})
		got := fieldMessages(t, err)
		if !strings.Contains(got["loans[1].months"], "between 1 and 480 months") {
			t.Errorf("loans[1].months: %q", got["loans[1].months"])
		}
		if !strings.Contains(got["loans[2].principal.currency"], "must be EUR, the currency of loans[0]") {
			t.Errorf("loans[2].principal.currency: %q", got["loans[2].principal.currency"])
		}
		if len(got) != 2 {
			t.Errorf("fields %v, want exactly two", got)
		}
	})
}
