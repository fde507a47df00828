package products

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// Limits of the calculators' input. They keep the figures meaningful (no
// loan of a billion, no 100-year term) and the arithmetic bounded: every
// amount and rate that reaches the calculation has a known, small number of
// digits, so a request cannot make the exact arithmetic slow.
const (
	// MaxPrincipal is the largest loan or deposit, in major units of its
	// currency (100,000,000.00 EUR, 100,000,000 JPY).
	MaxPrincipal = 100_000_000

	MinLoanMonths    = 1
	MaxLoanMonths    = 480 // 40 years, the longest mortgage term offered
	MinDepositMonths = 1
	MaxDepositMonths = 120
	MinDepositDays   = 1
	MaxDepositDays   = 3650 // the day-count equivalent of MaxDepositMonths

	// MaxRateDecimalPlaces bounds the precision of a rate given as a
	// fraction: 8 places is 0.000001 %, finer than any published rate.
	MaxRateDecimalPlaces = 8

	// MaxCompared is how many products the side-by-side comparison shows.
	MaxCompared = 4
)

var (
	maxPrincipal = decimal.NewFromInt(MaxPrincipal)
	// maxRate is 100 % a year as a fraction, for interest and tax rates.
	maxRate = decimal.NewFromInt(1)
	twelve  = decimal.NewFromInt(12)
)

// dateLayout is how calendar dates travel in calculator requests and
// results ("2026-03-31").
const dateLayout = time.DateOnly

// fieldProblems collects every invalid field of one request, so the client
// sees all mistakes at once instead of fixing them one round trip at a time.
type fieldProblems struct {
	prefix   string // "loans[2]." when the request is part of a comparison
	problems []ecrm.FieldError
}

func (p *fieldProblems) add(field, format string, args ...any) {
	p.problems = append(p.problems, ecrm.FieldError{Field: p.prefix + field, Message: fmt.Sprintf(format, args...)})
}

// text refuses text longer than max characters (the bounds are in
// products/openapi.json as maxLength).
func (p *fieldProblems) text(field, s string, max int) {
	if utf8.RuneCountInString(s) > max {
		p.add(field, "must be at most %d characters", max)
	}
}

// list refuses a list longer than max items.
func (p *fieldProblems) list(field string, n, max int) {
	if n > max {
		p.add(field, "must have at most %d items", max)
	}
}

// err returns nil when no field is invalid, otherwise one EINVALID error
// listing every field. Field is set as well when exactly one field is at
// fault, like ecrm.FieldErrorf does.
func (p *fieldProblems) err() error {
	return invalidFields(p.problems)
}

func invalidFields(problems []ecrm.FieldError) error {
	if len(problems) == 0 {
		return nil
	}
	parts := make([]string, len(problems))
	for i, fe := range problems {
		parts[i] = fe.Field + ": " + fe.Message
	}
	e := &ecrm.Error{Code: ecrm.EINVALID, Message: strings.Join(parts, "; "), Fields: problems}
	if len(problems) == 1 {
		e.Field = problems[0].Field
	}
	return e
}

// principal checks an amount lent or deposited: a supported currency, no
// more decimal places than the currency has, and 0 < amount ≤ MaxPrincipal.
// It returns the amount with exactly the currency's minor units, so that
// "100.000000" costs no more to compute with than "100.00".
func (p *fieldProblems) principal(field string, m ecrm.Money) (amount decimal.Decimal, units int32, ok bool) {
	units, known := ecrm.CurrencyMinorUnits(m.Currency)
	switch {
	case m.Currency == "":
		p.add(field+".currency", "is required: an ISO 4217 code such as EUR")
		return decimal.Decimal{}, 0, false
	case !known:
		_, err := ecrm.NewMoney(decimal.Zero, m.Currency)
		p.add(field+".currency", "%s", ecrm.ErrorMessage(err))
		return decimal.Decimal{}, 0, false
	}
	ok = true
	if _, err := ecrm.NewMoney(m.Amount, m.Currency); err != nil {
		p.add(field+".amount", "%s", ecrm.ErrorMessage(err))
		ok = false
	}
	if !m.Amount.IsPositive() || m.Amount.GreaterThan(maxPrincipal) {
		p.add(field+".amount", "must be more than 0 and at most %s %s", maxPrincipal.StringFixed(units), m.Currency)
		ok = false
	}
	if !ok {
		return decimal.Decimal{}, units, false
	}
	return m.Amount.Round(units), units, true
}

// fee checks an optional charge in the principal's currency: a zero amount
// with no currency means no charge, a missing currency means the
// principal's, and 0 ≤ fee ≤ max (or < max when maxExclusive).
func (p *fieldProblems) fee(field string, m ecrm.Money, currency string, units int32, max decimal.Decimal, maxExclusive bool) decimal.Decimal {
	if m.Currency != "" && m.Currency != currency {
		p.add(field+".currency", "must be %s, the currency of the principal", currency)
		return decimal.Zero
	}
	if _, err := ecrm.NewMoney(m.Amount, currency); err != nil {
		p.add(field+".amount", "%s", ecrm.ErrorMessage(err))
		return decimal.Zero
	}
	tooBig := m.Amount.GreaterThan(max) || (maxExclusive && m.Amount.Equal(max))
	if m.Amount.IsNegative() || tooBig {
		if maxExclusive {
			p.add(field+".amount", "must be at least 0 and less than the principal (%s %s)", max.StringFixed(units), currency)
		} else {
			p.add(field+".amount", "must be between 0 and the principal (%s %s)", max.StringFixed(units), currency)
		}
		return decimal.Zero
	}
	return m.Amount.Round(units)
}

// rate checks an annual rate given as a fraction (0.06 is 6 %).
func (p *fieldProblems) rate(field string, r decimal.Decimal) decimal.Decimal {
	if r.IsNegative() || r.GreaterThan(maxRate) {
		p.add(field, "must be between 0 and 1 (0 %% to 100 %%), as a fraction: 0.06 is 6 %%")
		return decimal.Zero
	}
	if !r.Equal(r.Truncate(MaxRateDecimalPlaces)) {
		p.add(field, "must have at most %d decimal places (0.000001 %%)", MaxRateDecimalPlaces)
		return decimal.Zero
	}
	return r.Truncate(MaxRateDecimalPlaces)
}

// termMonths checks a whole number of months in [min, max].
func (p *fieldProblems) termMonths(field string, months, min, max int) {
	if months < min || months > max {
		p.add(field, "must be between %d and %d months", min, max)
	}
}

// date parses an optional "YYYY-MM-DD" date.
func (p *fieldProblems) date(field, s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	d, err := time.Parse(dateLayout, s)
	if err != nil || d.Year() < 1900 || d.Year() > 2200 {
		p.add(field, "must be a date written as YYYY-MM-DD between 1900-01-01 and 2200-12-31")
		return time.Time{}, false
	}
	return d, true
}

// money wraps an internal amount for a result. Every amount a calculator
// returns has already been rounded to the currency's minor units.
func money(amount decimal.Decimal, currency string) ecrm.Money {
	return ecrm.Money{Amount: amount, Currency: currency}
}
