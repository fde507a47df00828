package ecrm_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

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

// checkTextReference is CheckText written plainly, rune by rune.
func checkTextReference(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r < 0xa0) {
			return false
		}
	}
	return true
}

// TestCheckTextFastPathAgreesWithTheReference: the eight-bytes-at-a-time
// path gives the answer of the plain loop for every byte value at every
// position of ASCII text, and on random strings.
func TestCheckTextFastPathAgreesWithTheReference(t *testing.T) {
	base := []byte("Strada Lipscani 10, București — 030031")
	for pos := range base {
		for b := 0; b < 256; b++ {
			s := append([]byte(nil), base...)
			s[pos] = byte(b)
			if got, want := ecrm.CheckText(string(s)) == nil, checkTextReference(string(s)); got != want {
				t.Fatalf("byte %#x at %d: CheckText ok=%t, reference ok=%t", b, pos, got, want)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("abc \t\n\r\x00\x01\x1f\x7f\x80\xc2\xa0\xe2\x80\x94\xff~ ")
	for i := 0; i < 200_000; i++ {
		s := make([]byte, rng.IntN(40))
		for j := range s {
			s[j] = alphabet[rng.IntN(len(alphabet))]
		}
		if got, want := ecrm.CheckText(string(s)) == nil, checkTextReference(string(s)); got != want {
			t.Fatalf("%q: CheckText ok=%t, reference ok=%t", s, got, want)
		}
	}
}
