package products_test

import (
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/products"
)

func mustDeposit(t *testing.T, req products.DepositRequest) products.DepositResult {
	t.Helper()
	r, err := products.CalculateDeposit(req)
	if err != nil {
		t.Fatalf("CalculateDeposit(%+v): %v", req, err)
	}
	return r
}

// TestDepositWorkedExamples works 10,000 at 5 % through every
// capitalisation. Each expected figure is worked by hand below (and was
// checked with Python's decimal module, ROUND_HALF_UP):
//
// Monthly, 12 months: the interest of each month is rounded to the cent
// before it is capitalised — 10000 × 0.05/12 = 41.666… → 41.67, then
// 10041.67 × 0.05/12 = 41.840… → 41.84, 42.01, 42.19, 42.37, 42.54, 42.72,
// 42.90, 43.08, 43.26, 43.44, 43.62 — 511.64 in all. The unrounded formula
// 10000 × (1 + 0.05/12)^12 = 10,511.6190 would give 10,511.62: the per-month
// rounding happens to round up more often than down here, and it is what
// the bank books, so it is what the client is shown.
//
// Quarterly: 125.00, 126.56 (10125 × 0.0125 = 126.5625), 128.14
// (10251.56 × 0.0125 = 128.1445), 129.75 (10379.70 × 0.0125 = 129.74625) —
// 509.45; the formula (1.0125)^4 gives 10,509.45 too.
//
// At maturity: 10000 × 0.05 × 12/12 = 500.00 (simple interest); 6 months
// 250.00; 91 days Act/365: 10000 × 0.05 × 91/365 = 124.657… → 124.66.
//
// Annually over 18 months: 500.00 after the first year, then a shorter
// six-month period: 10500 × 0.05 × 6/12 = 262.50; 762.50 in all.
//
// AER: monthly (1 + 0.05/12)^12 − 1 = 5.1162 % → 0.0512; quarterly
// (1.0125)^4 − 1 = 5.0945 % → 0.0509; 6 months at maturity (1.025)^2 − 1 =
// 5.0625 % → 0.0506; 91 days (1 + 0.05 × 91/365)^(365/91) − 1 = 5.0946 % →
// 0.0509; 18 months annually 0.05.
func TestDepositWorkedExamples(t *testing.T) {
	tests := []struct {
		name                    string
		req                     products.DepositRequest
		gross, tax, net, value  string
		aer, netAER             string
		periods                 int
		firstInterest, lastTax  string
		lastPeriodMonths, lastD int
	}{
		{"Monthly", products.DepositRequest{Months: 12, Capitalisation: products.CapitaliseMonthly},
			"511.64", "0", "511.64", "10511.64", "0.0512", "0.0512", 12, "41.67", "0", 1, 0},
		{"Quarterly", products.DepositRequest{Months: 12, Capitalisation: products.CapitaliseQuarterly},
			"509.45", "0", "509.45", "10509.45", "0.0509", "0.0509", 4, "125.00", "0", 3, 0},
		{"AtMaturity", products.DepositRequest{Months: 12},
			"500.00", "0", "500.00", "10500.00", "0.05", "0.05", 1, "500.00", "0", 12, 0},
		{"SixMonthsAtMaturity", products.DepositRequest{Months: 6, Capitalisation: products.CapitaliseAtMaturity},
			"250.00", "0", "250.00", "10250.00", "0.0506", "0.0506", 1, "250.00", "0", 6, 0},
		{"91Days", products.DepositRequest{Days: 91},
			"124.66", "0", "124.66", "10124.66", "0.0509", "0.0509", 1, "124.66", "0", 0, 91},
		{"AnnuallyOver18Months", products.DepositRequest{Months: 18, Capitalisation: products.CapitaliseAnnually},
			"762.50", "0", "762.50", "10762.50", "0.05", "0.05", 2, "500.00", "0", 6, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			req.Principal = ecrm.MustMoney("10000", "EUR")
			req.NominalAnnualRate = dec("0.05")
			r := mustDeposit(t, req)
			assertMoney(t, "gross interest", r.GrossInterest, tt.gross, "EUR")
			assertMoney(t, "tax", r.Tax, tt.tax, "EUR")
			assertMoney(t, "net interest", r.NetInterest, tt.net, "EUR")
			assertMoney(t, "value at maturity", r.ValueAtMaturity, tt.value, "EUR")
			if !r.AnnualEquivalentRate.Equal(dec(tt.aer)) || !r.NetAnnualEquivalentRate.Equal(dec(tt.netAER)) {
				t.Errorf("AER %s, net AER %s; want %s, %s", r.AnnualEquivalentRate, r.NetAnnualEquivalentRate, tt.aer, tt.netAER)
			}
			if len(r.Periods) != tt.periods {
				t.Fatalf("%d periods, want %d", len(r.Periods), tt.periods)
			}
			assertMoney(t, "first period's interest", r.Periods[0].Interest, tt.firstInterest, "EUR")
			last := r.Periods[len(r.Periods)-1]
			if last.Months != tt.lastPeriodMonths || last.Days != tt.lastD {
				t.Errorf("last period %d months %d days, want %d and %d", last.Months, last.Days, tt.lastPeriodMonths, tt.lastD)
			}
			assertMoney(t, "last period's balance", last.Balance, tt.value, "EUR")
		})
	}
}

// TestDepositWithholdingTax takes Romania's 10 % tax on interest at each
// capitalisation: 10,000 RON at 5 % capitalised monthly. Month 1: interest
// 41.67, tax 4.17 (4.167 → 4.17), 37.50 capitalised; only the net interest
// earns interest afterwards. Over 12 months 510.44 gross, 51.05 tax, 459.39
// net (checked in Python decimal). Net AER: (1 + 0.045/12)^12 − 1 = 4.594 %.
func TestDepositWithholdingTax(t *testing.T) {
	r := mustDeposit(t, products.DepositRequest{
		Principal:          ecrm.MustMoney("10000", "RON"),
		Months:             12,
		NominalAnnualRate:  dec("0.05"),
		Capitalisation:     products.CapitaliseMonthly,
		WithholdingTaxRate: dec("0.10"),
	})
	assertMoney(t, "month 1 interest", r.Periods[0].Interest, "41.67", "RON")
	assertMoney(t, "month 1 tax", r.Periods[0].Tax, "4.17", "RON")
	assertMoney(t, "month 1 balance", r.Periods[0].Balance, "10037.50", "RON")
	assertMoney(t, "gross interest", r.GrossInterest, "510.44", "RON")
	assertMoney(t, "tax", r.Tax, "51.05", "RON")
	assertMoney(t, "net interest", r.NetInterest, "459.39", "RON")
	assertMoney(t, "value at maturity", r.ValueAtMaturity, "10459.39", "RON")
	if !r.AnnualEquivalentRate.Equal(dec("0.0512")) || !r.NetAnnualEquivalentRate.Equal(dec("0.0459")) {
		t.Errorf("AER %s, net AER %s; want 0.0512 and 0.0459", r.AnnualEquivalentRate, r.NetAnnualEquivalentRate)
	}
}

func TestDepositEdgeCases(t *testing.T) {
	t.Run("ZeroRate", func(t *testing.T) {
		r := mustDeposit(t, products.DepositRequest{Principal: ecrm.MustMoney("500", "EUR"), Months: 24, NominalAnnualRate: dec("0"), Capitalisation: products.CapitaliseMonthly})
		assertMoney(t, "value", r.ValueAtMaturity, "500", "EUR")
		if !r.AnnualEquivalentRate.IsZero() {
			t.Errorf("AER %s", r.AnnualEquivalentRate)
		}
	})
	t.Run("JPY", func(t *testing.T) {
		// 1,000,000 JPY at 0.3 % for 12 months at maturity: 3,000 yen,
		// 20.315 % tax = 609.45 → 609 yen.
		r := mustDeposit(t, products.DepositRequest{Principal: ecrm.MustMoney("1000000", "JPY"), Months: 12, NominalAnnualRate: dec("0.003"), WithholdingTaxRate: dec("0.20315")})
		assertMoney(t, "gross", r.GrossInterest, "3000", "JPY")
		assertMoney(t, "tax", r.Tax, "609", "JPY")
		assertMoney(t, "value", r.ValueAtMaturity, "1002391", "JPY")
	})
	t.Run("TwoYearsAtMaturity", func(t *testing.T) {
		// Simple interest 2 × 4 % = 8 %; AER √1.08 − 1 = 3.923 %.
		r := mustDeposit(t, products.DepositRequest{Principal: ecrm.MustMoney("1000", "EUR"), Months: 24, NominalAnnualRate: dec("0.04")})
		assertMoney(t, "gross", r.GrossInterest, "80", "EUR")
		if !r.AnnualEquivalentRate.Equal(dec("0.0392")) {
			t.Errorf("AER %s, want 0.0392", r.AnnualEquivalentRate)
		}
	})
	t.Run("QuarterlyOverSevenMonths", func(t *testing.T) {
		// Quarters of 3, 3 and a last period of 1 month:
		// 1000 × 0.12 × 3/12 = 30.00, 1030 × 0.03 = 30.90, 1060.90 × 0.01 = 10.61.
		r := mustDeposit(t, products.DepositRequest{Principal: ecrm.MustMoney("1000", "EUR"), Months: 7, NominalAnnualRate: dec("0.12"), Capitalisation: products.CapitaliseQuarterly})
		want := []string{"30.00", "30.90", "10.61"}
		if len(r.Periods) != 3 {
			t.Fatalf("%d periods", len(r.Periods))
		}
		for i, w := range want {
			assertMoney(t, "interest", r.Periods[i].Interest, w, "EUR")
		}
		assertMoney(t, "value", r.ValueAtMaturity, "1071.51", "EUR")
	})
}

func TestDepositRejectsBadInput(t *testing.T) {
	ok := products.DepositRequest{Principal: ecrm.MustMoney("10000", "EUR"), Months: 12, NominalAnnualRate: dec("0.05")}
	tests := []struct {
		name   string
		change func(*products.DepositRequest)
		want   map[string]string
	}{
		{"NegativeAmount", func(r *products.DepositRequest) { r.Principal.Amount = dec("-100") },
			map[string]string{"principal.amount": "must be more than 0 and at most 100000000.00 EUR"}},
		{"TooManyDecimals", func(r *products.DepositRequest) { r.Principal.Amount = dec("10.555") },
			map[string]string{"principal.amount": "at most 2 decimal places"}},
		{"UnknownCurrency", func(r *products.DepositRequest) { r.Principal.Currency = "ABC" },
			map[string]string{"principal.currency": "not supported"}},
		{"TermTooLong", func(r *products.DepositRequest) { r.Months = 121 },
			map[string]string{"months": "must be between 1 and 120 months"}},
		{"NoTerm", func(r *products.DepositRequest) { r.Months = 0 },
			map[string]string{"months": "must be between 1 and 120 months"}},
		{"DaysTooMany", func(r *products.DepositRequest) { r.Months, r.Days = 0, 4000 },
			map[string]string{"days": "must be between 1 and 3650 days"}},
		{"MonthsAndDays", func(r *products.DepositRequest) { r.Days = 30 },
			map[string]string{"days": "either in months (1 to 120) or in days (1 to 3650)"}},
		{"DaysCompounded", func(r *products.DepositRequest) {
			r.Months, r.Days, r.Capitalisation = 0, 90, products.CapitaliseMonthly
		}, map[string]string{"capitalisation": `must be "at_maturity" for a term in days`}},
		{"UnknownCapitalisation", func(r *products.DepositRequest) { r.Capitalisation = "daily" },
			map[string]string{"capitalisation": `"at_maturity", "monthly", "quarterly" or "annually"`}},
		{"RateTooHigh", func(r *products.DepositRequest) { r.NominalAnnualRate = dec("5") },
			map[string]string{"nominal_annual_rate": "between 0 and 1"}},
		{"TaxNegative", func(r *products.DepositRequest) { r.WithholdingTaxRate = dec("-0.1") },
			map[string]string{"withholding_tax_rate": "between 0 and 1 (0 % to 100 %)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := ok
			tt.change(&req)
			_, err := products.CalculateDeposit(req)
			got := fieldMessages(t, err)
			if len(got) != len(tt.want) {
				t.Errorf("fields %v, want exactly %v", got, tt.want)
			}
			for field, part := range tt.want {
				if !strings.Contains(got[field], part) {
					t.Errorf("%s: message %q does not contain %q", field, got[field], part)
				}
			}
		})
	}
}
