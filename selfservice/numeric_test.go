package selfservice

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestDecodeBinaryNumeric reads numerics of many sizes and scales from
// PostgreSQL through scanRow and through pgx's own decoder, and wants the
// same decimal (coefficient and exponent) from both.
func TestDecodeBinaryNumeric(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	values := []string{"0", "0.00", "-0.01", "1", "10000", "100000000", "-99999999.99", "12345.60", "0.000001",
		"9999999999999999.99", "99999999999999999.99", "999999999999999999", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "1e20", "1.5e-30", "123456789012345678901234567890.123",
		"'NaN'", "NULL", "20000", "0.5", "100.000000", "42.4200"}
	for range 3000 {
		digits := 1 + rng.IntN(19)
		var b strings.Builder
		if rng.IntN(2) == 0 {
			b.WriteByte('-')
		}
		for i := range digits {
			b.WriteByte(byte('0' + rng.IntN(10)))
			if i == 0 && rng.IntN(3) == 0 {
				for range rng.IntN(6) {
					b.WriteByte('0')
				}
			}
		}
		v := b.String()
		if scale := rng.IntN(digits + 1); scale > 0 && scale < len(v) && v[len(v)-scale-1] != '-' {
			v = v[:len(v)-scale] + "." + v[len(v)-scale:]
		}
		if rng.IntN(3) == 0 {
			v = fmt.Sprintf("round(%s::numeric, %d)::numeric(30,%d)", v, rng.IntN(7), rng.IntN(7))
		}
		values = append(values, v)
	}
	for _, v := range values {
		q := "SELECT " + v + "::numeric, " + v + "::numeric"
		var want *decimal.Decimal
		var got *decimal.Decimal
		wantErr := pool.QueryRow(ctx, q).Scan(nullNum{&want}, new(any))
		rows, err := pool.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var gotErr error
		for rows.Next() {
			gotErr = scanRow(rows, nullNum{&got}, new(any))
		}
		rows.Close()
		if gotErr == nil {
			gotErr = rows.Err()
		}
		if (wantErr != nil) != (gotErr != nil) {
			t.Fatalf("%s: scanRow error %v, pgx error %v", v, gotErr, wantErr)
		}
		if wantErr != nil {
			continue
		}
		if (want == nil) != (got == nil) {
			t.Fatalf("%s: scanRow %v, pgx %v", v, got, want)
		}
		if want != nil && (got.Exponent() != want.Exponent() || got.Coefficient().Cmp(want.Coefficient()) != 0) {
			t.Fatalf("%s: scanRow %s (%s e%d), pgx %s (%s e%d)", v, got, got.Coefficient(), got.Exponent(),
				want, want.Coefficient(), want.Exponent())
		}
	}
	var d decimal.Decimal
	rows, _ := pool.Query(ctx, "SELECT NULL::numeric")
	for rows.Next() {
		if err := scanRow(rows, num{&d}); err == nil {
			t.Error("NULL scanned into num without an error")
		}
	}
	rows.Close()
}
