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

// Quotation is how an instrument's prices are quoted (instruments.
// price_quotation): per unit, or as a percentage of the face value, the way
// bond markets quote bonds.
type Quotation string

// The quotations of migrations/00042_price_quotation.sql.
const (
	PerUnit       Quotation = "unit"
	PercentOfFace Quotation = "percent_of_face"
)

// Quote says what one quoted price buys: Multiplier units of the
// underlying per contract (options; 0 or 1 otherwise) for a price per
// unit, or FaceValue × price / 100 for a price in percent of face.
type Quote struct {
	Quotation  Quotation
	Multiplier int64
	FaceValue  decimal.Decimal
}

var hundred = decimal.NewFromInt(100)

// Units is what a position's quantity is worth in price units: quantity ×
// multiplier per unit, quantity × face value / 100 in percent of face. It
// is exact (a division by 100 of a decimal).
func (q Quote) Units(quantity decimal.Decimal) decimal.Decimal {
	if q.Quotation == PercentOfFace {
		return quantity.Mul(q.FaceValue).Div(hundred)
	}
	if q.Multiplier > 1 {
		return quantity.Mul(decimal.NewFromInt(q.Multiplier))
	}
	return quantity
}

// Valuation is one position valued at a price.
type Valuation struct {
	// Cost is the quantity at the average cost (quoted like the price).
	Cost ecrm.Money
	// Value is the quantity at the price; nil without a price.
	Value *ecrm.Money
	// Gain is Value − Cost; nil without a price.
	Gain *ecrm.Money
}

// ValuePosition values a position: Cost is units × average cost and Value
// units × price (Quote.Units), exact products rounded once, half away from
// zero, to the currency's minor units (the rounding of every amount ecrm
// shows); Gain is the difference of the two rounded figures, so that
// value − cost = gain on every page and in every total. A bond quoted at
// 98.50 % of a 1,000 EUR face, 3 held, is worth 3 × 1,000 × 98.50 / 100 =
// 2,955.00 EUR.
func ValuePosition(quantity, averageCost decimal.Decimal, price *decimal.Decimal, quote Quote, currency string) Valuation {
	units := quote.Units(quantity)
	v := Valuation{Cost: ecrm.Money{Amount: units.Mul(averageCost), Currency: currency}.Round()}
	if price != nil {
		value := ecrm.Money{Amount: units.Mul(*price), Currency: currency}.Round()
		gain := ecrm.Money{Amount: value.Amount.Sub(v.Cost.Amount), Currency: currency}
		v.Value, v.Gain = &value, &gain
	}
	return v
}
