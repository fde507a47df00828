package selfservice

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

func TestFixedString(t *testing.T) {
	check := func(d decimal.Decimal, places int32) {
		t.Helper()
		if got, want := fixedString(d, places), d.StringFixed(places); got != want {
			t.Fatalf("fixedString(%s (coefficient %s, exponent %d), %d) = %q, want %q",
				d, d.Coefficient(), d.Exponent(), places, got, want)
		}
	}
	for _, s := range []string{"0", "-0.001", "-0.005", "0.005", "0.004999", "-0.5", "12345.60", "-150.25",
		"1.235", "-1.235", "1.2349999", "99.995", "-99.995", "1e5", "123e-20", "922337203685477580.7",
		"-922337203685477580.8", "92233720368547758070", "0.000000000000000000005", "5e-19", "12.5"} {
		d := decimal.RequireFromString(s)
		for places := int32(0); places <= 4; places++ {
			check(d, places)
		}
	}
	for _, c := range []int64{math.MaxInt64, math.MinInt64, math.MinInt64 + 1, 999999999999999999, -999999999999999999} {
		for exp := int32(-20); exp <= 3; exp++ {
			for places := int32(0); places <= 4; places++ {
				check(decimal.New(c, exp), places)
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		c := rng.Int64N(2e12) - 1e12
		if rng.IntN(10) == 0 {
			c = int64(rng.Uint64())
		}
		check(decimal.New(c, -rng.Int32N(12)+2), rng.Int32N(5))
	}
}
