package products

import (
	"math"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// Capitalisation is how often a deposit's interest is added to it, after
// which it earns interest itself.
type Capitalisation string

const (
	// CapitaliseAtMaturity pays simple interest once, at maturity.
	CapitaliseAtMaturity Capitalisation = "at_maturity"
	// CapitaliseMonthly adds interest every month (compound interest).
	CapitaliseMonthly Capitalisation = "monthly"
	// CapitaliseQuarterly adds interest every three months.
	CapitaliseQuarterly Capitalisation = "quarterly"
	// CapitaliseAnnually adds interest every twelve months.
	CapitaliseAnnually Capitalisation = "annually"
)

// monthsPerPeriod is the length of a capitalisation period; 0 for
// at_maturity, whose single period is the whole term.
var monthsPerPeriod = map[Capitalisation]int{
	CapitaliseAtMaturity: 0,
	CapitaliseMonthly:    1,
	CapitaliseQuarterly:  3,
	CapitaliseAnnually:   12,
}

// DepositRequest is what a client enters in the deposit calculator. It is
// also the body of the calculator's JSON API. The term is given either in
// Months or in Days, not both.
type DepositRequest struct {
	// Principal is the amount deposited.
	Principal ecrm.Money `json:"principal"`
	// Months is the term in months (1 to 120).
	Months int `json:"months,omitempty"`
	// Days is the term in days (1 to 3650), for deposits paying interest
	// at maturity only.
	Days int `json:"days,omitempty"`
	// NominalAnnualRate is the gross interest rate as a fraction: 0.05 is
	// 5 % a year.
	NominalAnnualRate decimal.Decimal `json:"nominal_annual_rate"`
	// Capitalisation is at_maturity (simple interest, the default when
	// empty), monthly, quarterly or annually.
	Capitalisation Capitalisation `json:"capitalisation,omitempty"`
	// WithholdingTaxRate is the tax withheld on interest as a fraction
	// (0.10 is the 10 % Romania withholds); zero when absent.
	WithholdingTaxRate decimal.Decimal `json:"withholding_tax_rate,omitzero"`
}

// DepositPeriod is one capitalisation of interest.
type DepositPeriod struct {
	Number int `json:"number"`
	// Months or Days is the length of the period.
	Months int `json:"months,omitempty"`
	Days   int `json:"days,omitempty"`
	// Interest is the gross interest of the period, Tax what is withheld
	// from it, and Balance the deposit after the net interest is added.
	Interest ecrm.Money `json:"interest"`
	Tax      ecrm.Money `json:"tax"`
	Balance  ecrm.Money `json:"balance"`
}

// DepositResult is the result of the deposit calculator.
type DepositResult struct {
	Principal          ecrm.Money      `json:"principal"`
	Months             int             `json:"months,omitempty"`
	Days               int             `json:"days,omitempty"`
	NominalAnnualRate  decimal.Decimal `json:"nominal_annual_rate"`
	Capitalisation     Capitalisation  `json:"capitalisation"`
	WithholdingTaxRate decimal.Decimal `json:"withholding_tax_rate"`

	Periods []DepositPeriod `json:"periods"`
	// GrossInterest is all interest earned, Tax all tax withheld and
	// NetInterest what the client keeps.
	GrossInterest ecrm.Money `json:"gross_interest"`
	Tax           ecrm.Money `json:"tax"`
	NetInterest   ecrm.Money `json:"net_interest"`
	// ValueAtMaturity is the principal plus the net interest.
	ValueAtMaturity ecrm.Money `json:"value_at_maturity"`
	// AnnualEquivalentRate (AER) is the gross rate as if interest were
	// compounded for exactly one year at the deposit's capitalisation,
	// as a fraction rounded half away from zero to 4 places.
	AnnualEquivalentRate decimal.Decimal `json:"annual_equivalent_rate"`
	// NetAnnualEquivalentRate is the AER of the rate after withholding tax,
	// the figure to compare deposits by.
	NetAnnualEquivalentRate decimal.Decimal `json:"net_annual_equivalent_rate"`
}

// depositTerms is a validated DepositRequest with its amounts normalised
// to the currency's minor units.
type depositTerms struct {
	currency       string
	units          int32
	principal      decimal.Decimal
	months, days   int
	rate, taxRate  decimal.Decimal
	capitalisation Capitalisation
}

// Validate reports every invalid field of the request in one *ecrm.Error
// with code EINVALID; each field error names the JSON field and the range
// allowed.
func (r DepositRequest) Validate() error {
	_, err := r.terms("")
	return err
}

func (r DepositRequest) terms(prefix string) (depositTerms, error) {
	p := fieldProblems{prefix: prefix}
	t := depositTerms{currency: r.Principal.Currency, months: r.Months, days: r.Days, capitalisation: r.Capitalisation}
	t.principal, t.units, _ = p.principal("principal", r.Principal)
	switch {
	case r.Months != 0 && r.Days != 0:
		p.add("days", "give the term either in months (%d to %d) or in days (%d to %d), not both",
			MinDepositMonths, MaxDepositMonths, MinDepositDays, MaxDepositDays)
	case r.Days != 0:
		if r.Days < MinDepositDays || r.Days > MaxDepositDays {
			p.add("days", "must be between %d and %d days", MinDepositDays, MaxDepositDays)
		}
	default:
		p.termMonths("months", r.Months, MinDepositMonths, MaxDepositMonths)
	}
	t.rate = p.rate("nominal_annual_rate", r.NominalAnnualRate)
	_, known := monthsPerPeriod[t.capitalisation]
	switch {
	case t.capitalisation == "":
		t.capitalisation = CapitaliseAtMaturity
	case !known:
		p.add("capitalisation", "must be %q, %q, %q or %q",
			CapitaliseAtMaturity, CapitaliseMonthly, CapitaliseQuarterly, CapitaliseAnnually)
	}
	if r.Days != 0 && r.Months == 0 && t.capitalisation != CapitaliseAtMaturity {
		// Interest capitalised by the month has no day-count rule for a
		// term that is not whole months; banks quote day terms at maturity.
		p.add("capitalisation", "must be %q for a term in days", CapitaliseAtMaturity)
	}
	if tax := r.WithholdingTaxRate; tax.IsNegative() || tax.GreaterThan(maxRate) || !tax.Equal(tax.Truncate(MaxRateDecimalPlaces)) {
		p.add("withholding_tax_rate", "must be between 0 and 1 (0 %% to 100 %%) with at most %d decimal places, as a fraction: 0.10 is 10 %%", MaxRateDecimalPlaces)
	} else {
		t.taxRate = tax.Truncate(MaxRateDecimalPlaces)
	}
	return t, p.err()
}

// CalculateDeposit validates the request and returns the deposit's
// interest, tax and value at maturity.
//
// Rounding and day-count rule (shown to the client with the result):
//   - Interest for a period of m months is the balance times the nominal
//     annual rate times m / 12 (months count as twelfths of a year, whatever
//     their length); for a term in days it is the principal times the rate
//     times days / 365 (Act/365). Each period's interest is computed exactly
//     and rounded half away from zero to the currency's minor units.
//   - Interest is capitalised every period (month, quarter or year); a term
//     that is not a whole number of periods ends with a shorter period.
//     at_maturity is one period, the whole term: simple interest.
//   - Withholding tax is taken from each period's interest when it is
//     capitalised, rounded half away from zero to minor units, and only the
//     net interest is added to the balance, as banks withholding tax at
//     source do.
//   - The AER is (1 + r/n)^n − 1 for n capitalisations a year, and
//     (1 + r·T)^(1/T) − 1 for interest at maturity after T years, rounded
//     half away from zero to 4 places as a fraction (0.0512 is 5.12 %).
func CalculateDeposit(req DepositRequest) (DepositResult, error) {
	t, err := req.terms("")
	if err != nil {
		return DepositResult{}, err
	}
	return t.result(), nil
}

func (t depositTerms) result() DepositResult {
	// As in the loan schedule, amounts are integers of minor units and
	// rates integers of 10^-8 inside the loop, so each rounding is one
	// exact integer division.
	rate := t.rate.Shift(MaxRateDecimalPlaces).IntPart()
	taxRate := t.taxRate.Shift(MaxRateDecimalPlaces).IntPart()
	principal := toMinor(t.principal, t.units)
	toMoney := func(minor int64) ecrm.Money { return money(decimal.New(minor, -t.units), t.currency) }

	var periods []DepositPeriod
	balance := principal
	var gross, tax int64
	capitalise := func(interest int64, months, days int) {
		withheld := divRoundHalfUp(interest, taxRate, rateDenominator)
		balance += interest - withheld
		gross += interest
		tax += withheld
		periods = append(periods, DepositPeriod{
			Number:   len(periods) + 1,
			Months:   months,
			Days:     days,
			Interest: toMoney(interest),
			Tax:      toMoney(withheld),
			Balance:  toMoney(balance),
		})
	}
	if t.days != 0 {
		capitalise(divRoundHalfUp(principal, rate*int64(t.days), 365*rateDenominator), 0, t.days)
	} else {
		step := monthsPerPeriod[t.capitalisation]
		if step == 0 {
			step = t.months
		}
		periods = make([]DepositPeriod, 0, (t.months+step-1)/step)
		for done := 0; done < t.months; done += step {
			months := min(step, t.months-done)
			capitalise(divRoundHalfUp(balance, rate*int64(months), 12*rateDenominator), months, 0)
		}
	}
	netRate := t.rate.Mul(decimal.NewFromInt(1).Sub(t.taxRate))
	return DepositResult{
		Principal:               money(t.principal, t.currency),
		Months:                  t.months,
		Days:                    t.days,
		NominalAnnualRate:       t.rate,
		Capitalisation:          t.capitalisation,
		WithholdingTaxRate:      t.taxRate,
		Periods:                 periods,
		GrossInterest:           toMoney(gross),
		Tax:                     toMoney(tax),
		NetInterest:             toMoney(gross - tax),
		ValueAtMaturity:         toMoney(principal + gross - tax),
		AnnualEquivalentRate:    t.annualEquivalentRate(t.rate),
		NetAnnualEquivalentRate: t.annualEquivalentRate(netRate),
	}
}

// annualEquivalentRate returns the AER of rate under the deposit's
// capitalisation, rounded to 4 places. Where the exponent is a whole
// number it is computed in decimal to workingPlaces places; otherwise (a
// term that is not a whole fraction of a year, at maturity) in float64,
// whose 15 significant digits leave the 4th place exact.
func (t depositTerms) annualEquivalentRate(rate decimal.Decimal) decimal.Decimal {
	one := decimal.NewFromInt(1)
	// perYear capitalisations of rate·fraction each, fraction = 1/perYear.
	perYear, termUnits, unitsPerYear := 0, 0, 0
	if step := monthsPerPeriod[t.capitalisation]; step != 0 {
		perYear = 12 / step
	} else if t.days != 0 {
		termUnits, unitsPerYear = t.days, 365
	} else {
		termUnits, unitsPerYear = t.months, 12
	}
	if perYear == 0 && unitsPerYear%termUnits == 0 {
		perYear = unitsPerYear / termUnits
	}
	if perYear != 0 {
		periodRate := rate.DivRound(decimal.NewFromInt(int64(perYear)), workingPlaces)
		return powTruncated(one.Add(periodRate), perYear, workingPlaces).Sub(one).Round(4)
	}
	years := float64(termUnits) / float64(unitsPerYear)
	growth := 1 + rate.InexactFloat64()*years
	return decimal.NewFromFloat(math.Pow(growth, 1/years) - 1).Round(4)
}
