package products

import "github.com/shopspring/decimal"

// ReferenceEURRate is the fixed policy rate that converts one unit of
// currency into euros (referenceEURRates), false for a currency without
// one. Eligibility thresholds use it here; the needs analysis (crosssell)
// uses the same rates to put a client's holdings in other currencies into
// one currency before sizing a need. Never for pricing or bookings.
func ReferenceEURRate(currency string) (decimal.Decimal, bool) {
	r, ok := referenceEURRates[currency]
	return r, ok
}
