package risk_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/risk"
)

func TestValuePosition(t *testing.T) {
	d := decimal.RequireFromString
	price := d("22.9332")
	// 523.259 × 31.6001 = 16,535.0447…, 523.259 × 22.9332 = 12,000.0032…:
	// rounded separately, the gain is their difference, −4,535.04 (rounding
	// the exact difference, −4,535.0414…, would give −4,535.03 and a page
	// whose value − cost ≠ gain).
	v := risk.ValuePosition(d("523.259"), d("31.6001"), &price, risk.Quote{Multiplier: 1}, "RON")
	if v.Cost.String() != "16535.04 RON" || v.Value.String() != "12000.00 RON" || v.Gain.String() != "-4535.04 RON" {
		t.Errorf("cost %s, value %s, gain %s", v.Cost, v.Value, v.Gain)
	}
	// An option contract: 3 contracts × 100 shares at 0.355, cost 0.30.
	opt := d("0.355")
	v = risk.ValuePosition(d("3"), d("0.30"), &opt, risk.Quote{Multiplier: 100}, "EUR")
	if v.Cost.String() != "90.00 EUR" || v.Value.String() != "106.50 EUR" || v.Gain.String() != "16.50 EUR" {
		t.Errorf("option: cost %s, value %s, gain %s", v.Cost, v.Value, v.Gain)
	}
	// Half a cent rounds away from zero, either sign.
	half := d("0.005")
	v = risk.ValuePosition(d("1"), d("0.015"), &half, risk.Quote{}, "EUR")
	if v.Cost.String() != "0.02 EUR" || v.Value.String() != "0.01 EUR" || v.Gain.String() != "-0.01 EUR" {
		t.Errorf("halves: cost %s, value %s, gain %s", v.Cost, v.Value, v.Gain)
	}
	// No price: a cost, no value or gain.
	v = risk.ValuePosition(d("10"), d("1.234"), nil, risk.Quote{Multiplier: 1}, "JPY")
	if v.Cost.String() != "12 JPY" || v.Value != nil || v.Gain != nil {
		t.Errorf("no price: cost %s, value %v, gain %v", v.Cost, v.Value, v.Gain)
	}
	// A bond quoted in percent of a 1,000.00 EUR face: 3 bonds at 98.505 %
	// are 3 × 1,000 × 98.505 / 100 = 2,955.15 EUR, bought at 97.0015 %:
	// 2,910.045 → 2,910.05 (half away from zero); the gain 45.10.
	bondPrice := d("98.505")
	v = risk.ValuePosition(d("3"), d("97.0015"), &bondPrice, risk.Quote{Quotation: risk.PercentOfFace, FaceValue: d("1000.00")}, "EUR")
	if v.Cost.String() != "2910.05 EUR" || v.Value.String() != "2955.15 EUR" || v.Gain.String() != "45.10 EUR" {
		t.Errorf("bond in percent of face: cost %s, value %s, gain %s", v.Cost, v.Value, v.Gain)
	}
}
