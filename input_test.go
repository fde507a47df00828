package ecrm_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm"
)

func TestParseDecimal(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string
		err  error
	}{
		{"1234.56", "1234.56", nil},
		{"-0.5", "-0.5", nil},
		{"+7", "7", nil},
		{".25", "0.25", nil},
		{"12.", "12", nil},
		{strings.Repeat("9", 40), strings.Repeat("9", 40), nil},
		{strings.Repeat("9", 41), "", ecrm.ErrDecimalTooLong},
		{strings.Repeat("9", 1<<20), "", ecrm.ErrDecimalTooLong},
		{"1e5", "", ecrm.ErrNotDecimal},
		{"1e999999999", "", ecrm.ErrNotDecimal},
		{"", "", ecrm.ErrNotDecimal},
		{"-", "", ecrm.ErrNotDecimal},
		{".", "", ecrm.ErrNotDecimal},
		{"1.2.3", "", ecrm.ErrNotDecimal},
		{"1,5", "", ecrm.ErrNotDecimal},
		{" 1", "", ecrm.ErrNotDecimal},
		{"0x10", "", ecrm.ErrNotDecimal},
		{"NaN", "", ecrm.ErrNotDecimal},
	} {
		d, err := ecrm.ParseDecimal(tt.in)
		if !errors.Is(err, tt.err) || (err == nil && d.String() != tt.want) {
			t.Errorf("ParseDecimal(%.45q) = %s, %v; want %s, %v", tt.in, d, err, tt.want, tt.err)
		}
	}
}

func TestCheckText(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"Ana Popescu", true},
		{"Strada Lipscani 10\r\nBucurești\tRO", true},
		{"Ștefănescu — „ghilimele” €", true},
		{"", true},
		{"a\x00b", false},
		{"a\x01b", false},
		{"a\x1bb", false},
		{"a\x7fb", false},
		{"a\u0085b", false}, // C1 next line
		{"\xff", false},
		{"\xc3\x28", false},
		{"\xed\xa0\x80", false}, // an encoded surrogate is not UTF-8
	} {
		if err := ecrm.CheckText(tt.in); (err == nil) != tt.ok || (err != nil && !errors.Is(err, ecrm.ErrInvalidText)) {
			t.Errorf("CheckText(%q) = %v, want ok=%t", tt.in, err, tt.ok)
		}
	}
}
