package products

import (
	"errors"
	"fmt"

	"github.com/ecrm-project/ecrm"
)

// LoanComparison shows up to MaxCompared loans side by side, in the order
// they were asked for, and points at the cheapest.
type LoanComparison struct {
	Loans []LoanSchedule `json:"loans"`
	// LowestAPR and LowestTotalCost are indexes into Loans; on a tie the
	// first loan listed wins.
	LowestAPR       int `json:"lowest_apr"`
	LowestTotalCost int `json:"lowest_total_cost"`
}

// CompareLoans calculates every loan and compares them. All loans must be in
// the same currency, since their costs are compared as amounts. Invalid
// fields are reported together, named with the loan's position
// ("loans[1].months").
func CompareLoans(reqs []LoanRequest) (LoanComparison, error) {
	if len(reqs) == 0 || len(reqs) > MaxCompared {
		return LoanComparison{}, ecrm.FieldErrorf("loans", "must list between 1 and %d loans", MaxCompared)
	}
	var problems []ecrm.FieldError
	terms := make([]loanTerms, len(reqs))
	for i, req := range reqs {
		prefix := fmt.Sprintf("loans[%d].", i)
		t, err := req.terms(prefix)
		problems = appendFieldErrors(problems, err)
		if p, mismatch := currencyMismatch(prefix, "loans[0]", reqs[0].Principal, req.Principal); mismatch {
			problems = append(problems, p)
		}
		terms[i] = t
	}
	if err := invalidFields(problems); err != nil {
		return LoanComparison{}, err
	}
	c := LoanComparison{Loans: make([]LoanSchedule, len(terms))}
	for i, t := range terms {
		s, err := t.schedule()
		if err != nil {
			return LoanComparison{}, err
		}
		c.Loans[i] = s
		if s.APR.LessThan(c.Loans[c.LowestAPR].APR) {
			c.LowestAPR = i
		}
		if s.TotalCost.Amount.LessThan(c.Loans[c.LowestTotalCost].TotalCost.Amount) {
			c.LowestTotalCost = i
		}
	}
	return c, nil
}

// DepositComparison shows up to MaxCompared deposits side by side, in the
// order they were asked for, and points at the best.
type DepositComparison struct {
	Deposits []DepositResult `json:"deposits"`
	// HighestNetAER and HighestNetInterest are indexes into Deposits; on a
	// tie the first deposit listed wins. The net AER is the fair measure
	// across terms; net interest answers "how much will I get".
	HighestNetAER      int `json:"highest_net_aer"`
	HighestNetInterest int `json:"highest_net_interest"`
}

// CompareDeposits calculates every deposit and compares them. All deposits
// must be in the same currency. Invalid fields are reported together, named
// with the deposit's position ("deposits[2].nominal_annual_rate").
func CompareDeposits(reqs []DepositRequest) (DepositComparison, error) {
	if len(reqs) == 0 || len(reqs) > MaxCompared {
		return DepositComparison{}, ecrm.FieldErrorf("deposits", "must list between 1 and %d deposits", MaxCompared)
	}
	var problems []ecrm.FieldError
	terms := make([]depositTerms, len(reqs))
	for i, req := range reqs {
		prefix := fmt.Sprintf("deposits[%d].", i)
		t, err := req.terms(prefix)
		problems = appendFieldErrors(problems, err)
		if p, mismatch := currencyMismatch(prefix, "deposits[0]", reqs[0].Principal, req.Principal); mismatch {
			problems = append(problems, p)
		}
		terms[i] = t
	}
	if err := invalidFields(problems); err != nil {
		return DepositComparison{}, err
	}
	c := DepositComparison{Deposits: make([]DepositResult, len(terms))}
	for i, t := range terms {
		r := t.result()
		c.Deposits[i] = r
		if r.NetAnnualEquivalentRate.GreaterThan(c.Deposits[c.HighestNetAER].NetAnnualEquivalentRate) {
			c.HighestNetAER = i
		}
		if r.NetInterest.Amount.GreaterThan(c.Deposits[c.HighestNetInterest].NetInterest.Amount) {
			c.HighestNetInterest = i
		}
	}
	return c, nil
}

func appendFieldErrors(problems []ecrm.FieldError, err error) []ecrm.FieldError {
	var e *ecrm.Error
	if errors.As(err, &e) {
		return append(problems, e.Fields...)
	}
	return problems
}

// currencyMismatch reports a product whose principal is in another
// supported currency than the first product's. Unsupported currencies are
// left to the product's own validation, which names them.
func currencyMismatch(prefix, first string, firstPrincipal, principal ecrm.Money) (ecrm.FieldError, bool) {
	_, firstKnown := ecrm.CurrencyMinorUnits(firstPrincipal.Currency)
	_, known := ecrm.CurrencyMinorUnits(principal.Currency)
	if !firstKnown || !known || principal.Currency == firstPrincipal.Currency {
		return ecrm.FieldError{}, false
	}
	return ecrm.FieldError{
		Field:   prefix + "principal.currency",
		Message: fmt.Sprintf("must be %s, the currency of %s: products are compared side by side in one currency", firstPrincipal.Currency, first),
	}, true
}
