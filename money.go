package ecrm

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/shopspring/decimal"
)

// Money is an exact amount in one ISO 4217 currency. Amounts never pass
// through float64: arithmetic is done on the decimal and the currency is
// checked on every operation that combines two amounts.
type Money struct {
	Amount   decimal.Decimal `json:"amount"`
	Currency string          `json:"currency"`
}

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// minorUnits lists the currencies ecrm knows with the number of decimal
// places ISO 4217 gives them. An amount with more places is rejected rather
// than silently rounded.
var minorUnits = map[string]int32{
	"EUR": 2, "RON": 2, "USD": 2, "GBP": 2, "CHF": 2, "HUF": 2, "PLN": 2,
	"CZK": 2, "SEK": 2, "DKK": 2, "NOK": 2, "BGN": 2, "JPY": 0,
}

// CurrencyMinorUnits reports how many decimal places the currency has and
// whether ecrm knows the currency at all.
func CurrencyMinorUnits(code string) (int32, bool) {
	u, ok := minorUnits[code]
	return u, ok
}

// NewMoney validates the currency and the number of decimal places and
// returns the amount as Money. It is the one place user-entered amounts are
// accepted, so its errors name what is wrong.
func NewMoney(amount decimal.Decimal, currency string) (Money, error) {
	if !currencyPattern.MatchString(currency) {
		return Money{}, Errorf(EINVALID, "currency %q is not an ISO 4217 code", currency)
	}
	units, ok := minorUnits[currency]
	if !ok {
		return Money{}, Errorf(EINVALID, "currency %q is not supported", currency)
	}
	if -amount.Exponent() > units && !amount.Equal(amount.Truncate(units)) {
		return Money{}, Errorf(EINVALID, "%s has at most %d decimal places", currency, units)
	}
	return Money{Amount: amount, Currency: currency}, nil
}

// MustMoney parses a decimal string; it panics on bad input and is meant for
// constants in code and tests.
func MustMoney(amount, currency string) Money {
	m, err := NewMoney(decimal.RequireFromString(amount), currency)
	if err != nil {
		panic(err)
	}
	return m
}

// Add returns m+o; both must have the same currency.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("add %s to %s: %w", o.Currency, m.Currency, ErrCurrencyMismatch)
	}
	return Money{Amount: m.Amount.Add(o.Amount), Currency: m.Currency}, nil
}

// Sub returns m-o; both must have the same currency.
func (m Money) Sub(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("subtract %s from %s: %w", o.Currency, m.Currency, ErrCurrencyMismatch)
	}
	return Money{Amount: m.Amount.Sub(o.Amount), Currency: m.Currency}, nil
}

// Round rounds half away from zero to the currency's minor units, the rule
// used for every amount shown to a client or booked.
func (m Money) Round() Money {
	units, ok := minorUnits[m.Currency]
	if !ok {
		units = 2
	}
	return Money{Amount: m.Amount.Round(units), Currency: m.Currency}
}

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Amount.IsZero() }

// String renders the amount in a locale-neutral form, e.g. "1234.50 EUR".
// Pages format money per locale through the i18n package instead.
func (m Money) String() string {
	units, ok := minorUnits[m.Currency]
	if !ok {
		units = 2
	}
	return m.Amount.StringFixed(units) + " " + m.Currency
}

// MarshalJSON writes the amount as a decimal string with the currency's
// minor units ("123.40"), so API clients never parse money as a binary
// float and never see "123.4".
func (m Money) MarshalJSON() ([]byte, error) {
	units, ok := minorUnits[m.Currency]
	if !ok {
		units = 2
	}
	amount := m.Amount
	if -amount.Exponent() <= units {
		amount = amount.Round(units)
		return json.Marshal(struct {
			Amount   string `json:"amount"`
			Currency string `json:"currency"`
		}{amount.StringFixed(units), m.Currency})
	}
	// More places than the currency has (e.g. a unit price): keep them all.
	return json.Marshal(struct {
		Amount   string `json:"amount"`
		Currency string `json:"currency"`
	}{amount.String(), m.Currency})
}

// GroupIBAN writes an IBAN in groups of four, as printed on statements and
// cards, so that it can be read out and checked.
func GroupIBAN(iban string) string {
	var b strings.Builder
	for i, r := range iban {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
