package ecrm

import (
	"errors"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// The rules every piece of text and every number coming from outside (a
// path, a query, a form, a JSON body, an import file) passes before any
// domain sees it. internal/web applies them to every request; domains call
// ParseDecimal for the decimals they read themselves.

// MaxDecimalLength bounds the characters of a decimal number a user or a
// program may send. The largest amount we store, numeric(18,2), takes 21
// characters with its sign and point; a rate numeric(9,6) fewer. Parsing a
// longer digit string costs time quadratic in its length (a 1 MB string
// took 1.6 s of CPU), so longer input is refused before it is parsed.
const MaxDecimalLength = 40

var (
	// ErrDecimalTooLong is returned for a decimal longer than
	// MaxDecimalLength characters.
	ErrDecimalTooLong = errors.New("has more than 40 characters")
	// ErrNotDecimal is returned for text that is not a plain decimal number.
	ErrNotDecimal = errors.New("must be a decimal number such as 1234.56")
	// ErrInvalidText is returned for text that cannot be stored.
	ErrInvalidText = errors.New("must be valid UTF-8 text without control characters")
)

// ParseDecimal parses a decimal number sent by a user or a program: an
// optional sign, digits, and an optional point followed by digits, at most
// MaxDecimalLength characters. Exponents ("1e999999999") are refused: a short
// string could otherwise stand for a number whose formatting or rounding
// takes gigabytes.
func ParseDecimal(s string) (decimal.Decimal, error) {
	if len(s) > MaxDecimalLength {
		return decimal.Decimal{}, ErrDecimalTooLong
	}
	if !plainDecimal(s) {
		return decimal.Decimal{}, ErrNotDecimal
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, ErrNotDecimal
	}
	return d, nil
}

// plainDecimal reports whether s is [+-]digits[.digits] or [+-].digits or
// [+-]digits. (at least one digit).
func plainDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits, point := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point:
			point = true
		default:
			return false
		}
	}
	return digits > 0
}

// CheckText returns ErrInvalidText when s is not valid UTF-8 or holds a
// control character other than tab, line feed and carriage return.
// PostgreSQL cannot store NUL in text at all (SQLSTATE 22021, 22P05 in
// jsonb), and the other control characters only break letters, exports and
// terminals; invalid UTF-8 is refused rather than silently replaced, so what
// is stored is what was sent.
func CheckText(s string) error {
	for i := 0; i < len(s); {
		// Eight plain ASCII bytes at a time (no byte ≥ 0x80, < 0x20 or
		// 0x7f): most text is this, and the check runs on every string of
		// every request.
		if i+8 <= len(s) {
			w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			const high, lows, dels = 0x8080808080808080, 0x2020202020202020, 0x0101010101010101 * 0x7f
			below := (w - lows) &^ w & high                               // a byte < 0x20
			del := ((w ^ dels) - 0x0101010101010101) &^ (w ^ dels) & high // a byte == 0x7f
			if (w&high)|below|del == 0 {
				i += 8
				continue
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
				return ErrInvalidText
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return ErrInvalidText
		}
		if r >= 0x80 && r < 0xa0 { // C1 control characters
			return ErrInvalidText
		}
		i += size
	}
	return nil
}
