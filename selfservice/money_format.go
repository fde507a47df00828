package selfservice

import (
	"strconv"

	"github.com/shopspring/decimal"
)

// fixedString is d.StringFixed(places): d rounded half away from zero to
// places decimal places, written with exactly that many. Amounts on the
// overview fit in an int64 coefficient, and for those it does the rounding
// and the writing in integer arithmetic, without decimal's big.Int
// formatting (which was a twentieth of the CPU time of GET /api/v1/me);
// anything larger takes decimal's own path. TestFixedString compares the
// two.
func fixedString(d decimal.Decimal, places int32) string {
	if places < 0 || places > 18 || d.NumDigits() > 18 {
		return d.StringFixed(places)
	}
	c, exp := d.CoefficientInt64(), d.Exponent()
	switch {
	case exp > -places:
		// Fewer places than wanted: scale up, if that stays within int64.
		shift := exp + places
		if shift > 18 || int32(d.NumDigits())+shift > 18 {
			return d.StringFixed(places)
		}
		c *= pow10[shift]
	case exp < -places:
		// More places than wanted: round half away from zero.
		shift := -places - exp
		if shift > 18 {
			return d.StringFixed(places)
		}
		div := pow10[shift]
		q, r := c/div, c%div
		if r < 0 {
			r = -r
		}
		if r >= div-r { // r*2 >= div, without overflow
			if c < 0 {
				q--
			} else {
				q++
			}
		}
		c = q
	}
	return formatScaled(c, places)
}

// formatScaled writes c × 10^-places with exactly places decimals.
func formatScaled(c int64, places int32) string {
	var buf [24]byte
	neg := c < 0
	u := uint64(c)
	if neg {
		u = -u
	}
	digits := strconv.AppendUint(buf[:0], u, 10)
	if places == 0 {
		if neg {
			return "-" + string(digits)
		}
		return string(digits)
	}
	var out [48]byte
	b := out[:0]
	if neg {
		b = append(b, '-')
	}
	n := int(places)
	if len(digits) <= n {
		b = append(b, '0', '.')
		for range n - len(digits) {
			b = append(b, '0')
		}
		b = append(b, digits...)
	} else {
		b = append(b, digits[:len(digits)-n]...)
		b = append(b, '.')
		b = append(b, digits[len(digits)-n:]...)
	}
	return string(b)
}

var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()
