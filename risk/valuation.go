// Package risk values and, as it grows, measures what clients hold:
// portfolio valuation today (the one function the client's overview and
// the advisor's 360 both use, so they never disagree by a cent); risk
// profiles, portfolio risk, hedging and credit scoring as DESIGN.md lays
// out.
package risk

import (
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// Valuation is one position valued at a price.
type Valuation struct {
	// Cost is quantity × average cost × contract multiplier.
	Cost ecrm.Money
	// Value is quantity × price × contract multiplier; nil without a
	// price.
	Value *ecrm.Money
	// Gain is Value − Cost; nil without a price.
	Gain *ecrm.Money
}

// ValuePosition values a position. Cost and Value are exact products
// rounded once, half away from zero, to the currency's minor units (the
// rounding of every amount ecrm shows); Gain is the difference of the two
// rounded figures, so that value − cost = gain on every page and in every
// total.
func ValuePosition(quantity, averageCost decimal.Decimal, price *decimal.Decimal, multiplier int64, currency string) Valuation {
	units := quantity.Mul(decimal.NewFromInt(multiplier))
	v := Valuation{Cost: ecrm.Money{Amount: units.Mul(averageCost), Currency: currency}.Round()}
	if price != nil {
		value := ecrm.Money{Amount: units.Mul(*price), Currency: currency}.Round()
		gain := ecrm.Money{Amount: value.Amount.Sub(v.Cost.Amount), Currency: currency}
		v.Value, v.Gain = &value, &gain
	}
	return v
}
