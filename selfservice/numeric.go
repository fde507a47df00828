package selfservice

import (
	"encoding/binary"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// Reading NUMERIC quickly. pgx decodes a binary NUMERIC into a big.Int,
// digit group by digit group, and decimal then copies it: several
// allocations for every amount, a few dozen amounts per overview. Every
// amount ecrm stores fits an int64 coefficient (numeric(18,2) and
// numeric(18,6) columns), so scanRow decodes those from the wire format
// itself into the same coefficient and exponent pgx would give, and hands
// anything else (more digits, NaN, text format) to pgx as before.
// TestDecodeBinaryNumeric compares the two on values read from PostgreSQL.

// scanRow is rows.Scan, with num and nullNum targets decoded by
// decodeBinaryNumeric when they fit.
func scanRow(rows pgx.Rows, dest ...any) error {
	var numerics [8]struct {
		col    int
		target any
	}
	n := 0
	for i, d := range dest {
		switch d.(type) {
		case num, nullNum:
			if n == len(numerics) {
				continue // more than fit here: pgx scans the rest
			}
			numerics[n].col, numerics[n].target = i, d
			n++
			dest[i] = nil // skipped by Scan
		}
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	raw, fields := rows.RawValues(), rows.FieldDescriptions()
	for _, c := range numerics[:n] {
		src, fd := raw[c.col], fields[c.col]
		if fd.DataTypeOID == pgtype.NumericOID && fd.Format == pgx.BinaryFormatCode {
			if src == nil {
				if nn, ok := c.target.(nullNum); ok {
					*nn.d = nil
					continue
				}
			} else if coef, exp, ok := decodeBinaryNumeric(src); ok {
				d := decimal.New(coef, exp)
				switch t := c.target.(type) {
				case num:
					*t.d = d
				case nullNum:
					*t.d = &d
				}
				continue
			}
		}
		if err := rows.Conn().TypeMap().Scan(fd.DataTypeOID, fd.Format, src, c.target); err != nil {
			return err
		}
	}
	return nil
}

// Sign words of the binary NUMERIC format.
const (
	numericPositive = 0x0000
	numericNegative = 0x4000
)

// decodeBinaryNumeric reads a finite binary NUMERIC (ndigits, weight, sign,
// dscale, then base-10000 digits) whose coefficient fits an int64, giving
// the coefficient and exponent pgx's decoder gives (the exponent is
// -dscale, or, for a whole number, the trailing zeros are moved into it).
// ok is false for anything else.
func decodeBinaryNumeric(src []byte) (coef int64, exp int32, ok bool) {
	if len(src) < 8 {
		return 0, 0, false
	}
	ndigits := int(binary.BigEndian.Uint16(src))
	weight := int(int16(binary.BigEndian.Uint16(src[2:])))
	sign := binary.BigEndian.Uint16(src[4:])
	dscale := int(int16(binary.BigEndian.Uint16(src[6:])))
	if (sign != numericPositive && sign != numericNegative) || len(src) != 8+2*ndigits || ndigits > 4 {
		return 0, 0, false
	}
	if ndigits == 0 {
		return 0, 0, true
	}
	for i := range ndigits {
		coef = coef*10000 + int64(binary.BigEndian.Uint16(src[8+2*i:]))
	}
	e := (weight - ndigits + 1) * 4
	if dscale > 0 {
		frac := (ndigits - weight - 1) * 4
		switch {
		case dscale > frac:
			k := dscale - frac
			if k > 18 || coef > math.MaxInt64/pow10[k] {
				return 0, 0, false
			}
			coef *= pow10[k]
			e -= k
		case dscale < frac:
			k := frac - dscale
			if k > 18 {
				coef = 0
			} else {
				coef /= pow10[k]
			}
			e += k
		}
	}
	if e >= 0 && coef != 0 {
		for coef%10 == 0 {
			coef /= 10
			e++
		}
	}
	if e < math.MinInt32 || e > math.MaxInt32 {
		return 0, 0, false
	}
	if sign == numericNegative {
		coef = -coef
	}
	return coef, int32(e), true
}
