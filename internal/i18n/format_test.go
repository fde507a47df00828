package i18n

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/text/language"

	"github.com/ecrm-project/ecrm"
)

func money(amount, currency string) ecrm.Money {
	// Built directly, not with ecrm.MustMoney, so that amounts with more
	// places than the currency allows can test rounding.
	return ecrm.Money{Amount: decimal.RequireFromString(amount), Currency: currency}
}

func TestMoney(t *testing.T) {
	en, ro := NewLocalizer(English), NewLocalizer(Romanian)
	tests := []struct {
		in     ecrm.Money
		en, ro string
	}{
		{money("1234.5", "EUR"), "€1,234.50", "1.234,50\u00a0EUR"},
		{money("-1234.5", "EUR"), "-€1,234.50", "-1.234,50\u00a0EUR"},
		{money("0", "EUR"), "€0.00", "0,00\u00a0EUR"},
		{money("1234.5", "RON"), "RON\u00a01,234.50", "1.234,50\u00a0lei"},
		{money("-0.5", "RON"), "-RON\u00a00.50", "-0,50\u00a0lei"},
		{money("0", "RON"), "RON\u00a00.00", "0,00\u00a0lei"},
		{money("999", "USD"), "$999.00", "999,00\u00a0USD"},
		{money("1000", "GBP"), "£1,000.00", "1.000,00\u00a0GBP"},
		{money("1234.56", "CHF"), "CHF\u00a01,234.56", "1.234,56\u00a0CHF"},
		{money("1234", "JPY"), "¥1,234", "1.234\u00a0JPY"},
		{money("-1234567", "JPY"), "-¥1,234,567", "-1.234.567\u00a0JPY"},
		{money("1234.5", "JPY"), "¥1,235", "1.235\u00a0JPY"}, // half away from zero
		{money("0", "JPY"), "¥0", "0\u00a0JPY"},
		// Larger than float64 can hold exactly: every digit must survive.
		{money("12345678901234567890.12", "EUR"), "€12,345,678,901,234,567,890.12", "12.345.678.901.234.567.890,12\u00a0EUR"},
		{money("-98765432109876543210.99", "RON"), "-RON\u00a098,765,432,109,876,543,210.99", "-98.765.432.109.876.543.210,99\u00a0lei"},
		// Rounding to minor units, half away from zero, and no "-0.00".
		{money("999.995", "EUR"), "€1,000.00", "1.000,00\u00a0EUR"},
		{money("-0.005", "EUR"), "-€0.01", "-0,01\u00a0EUR"},
		{money("-0.004", "EUR"), "€0.00", "0,00\u00a0EUR"},
		{money("0.1", "EUR"), "€0.10", "0,10\u00a0EUR"},
		// An unknown currency gets two places and its code.
		{money("1.5", "XAU"), "XAU\u00a01.50", "1,50\u00a0XAU"},
	}
	for _, tt := range tests {
		if got := en.Money(tt.in); got != tt.en {
			t.Errorf("en Money(%s) = %q, want %q", tt.in, got, tt.en)
		}
		if got := ro.Money(tt.in); got != tt.ro {
			t.Errorf("ro Money(%s) = %q, want %q", tt.in, got, tt.ro)
		}
	}
}

func TestDecimal(t *testing.T) {
	en, ro := NewLocalizer(English), NewLocalizer(Romanian)
	tests := []struct {
		in     string
		places int32
		en, ro string
	}{
		{"0", 0, "0", "0"},
		{"0", 2, "0.00", "0,00"},
		{"7", 0, "7", "7"},
		{"100", 0, "100", "100"},
		{"1000", 0, "1,000", "1.000"},
		{"123456", 0, "123,456", "123.456"},
		{"1234567.891", 2, "1,234,567.89", "1.234.567,89"},
		{"-1234.5678", 2, "-1,234.57", "-1.234,57"},
		{"-1234.5678", 4, "-1,234.5678", "-1.234,5678"},
		{"2.5", 0, "3", "3"},
		{"-2.5", 0, "-3", "-3"},
		{"-0.4", 0, "0", "0"},
		{"0.125", 3, "0.125", "0,125"},
		{"1.1", 4, "1.1000", "1,1000"},
		{"12", -1, "12", "12"}, // negative places mean none
	}
	for _, tt := range tests {
		d := decimal.RequireFromString(tt.in)
		if got := en.Decimal(d, tt.places); got != tt.en {
			t.Errorf("en Decimal(%s, %d) = %q, want %q", tt.in, tt.places, got, tt.en)
		}
		if got := ro.Decimal(d, tt.places); got != tt.ro {
			t.Errorf("ro Decimal(%s, %d) = %q, want %q", tt.in, tt.places, got, tt.ro)
		}
	}
}

func TestPercent(t *testing.T) {
	en, ro := NewLocalizer(English), NewLocalizer(Romanian)
	tests := []struct {
		ratio  string
		places int32
		en, ro string
	}{
		{"0.0525", 2, "5.25%", "5,25\u00a0%"},
		{"0", 1, "0.0%", "0,0\u00a0%"},
		{"-0.015", 1, "-1.5%", "-1,5\u00a0%"},
		{"1.5", 0, "150%", "150\u00a0%"},
		{"12.345", 0, "1,235%", "1.235\u00a0%"},
		{"0.00125", 2, "0.13%", "0,13\u00a0%"},
	}
	for _, tt := range tests {
		d := decimal.RequireFromString(tt.ratio)
		if got := en.Percent(d, tt.places); got != tt.en {
			t.Errorf("en Percent(%s, %d) = %q, want %q", tt.ratio, tt.places, got, tt.en)
		}
		if got := ro.Percent(d, tt.places); got != tt.ro {
			t.Errorf("ro Percent(%s, %d) = %q, want %q", tt.ratio, tt.places, got, tt.ro)
		}
	}
}

func TestDate(t *testing.T) {
	en, ro := NewLocalizer(English), NewLocalizer(Romanian)
	tests := []struct {
		in     time.Time
		en, ro string
	}{
		{time.Date(2026, time.November, 26, 12, 0, 0, 0, time.UTC), "26 Nov 2026", "26 nov. 2026"},
		{time.Date(2026, time.May, 3, 0, 0, 0, 0, time.UTC), "3 May 2026", "3 mai 2026"},
		{time.Date(2025, time.September, 30, 0, 0, 0, 0, time.UTC), "30 Sep 2025", "30 sept. 2025"},
		{time.Date(2027, time.January, 1, 0, 0, 0, 0, time.UTC), "1 Jan 2027", "1 ian. 2027"},
	}
	for _, tt := range tests {
		if got := en.Date(tt.in); got != tt.en {
			t.Errorf("en Date(%s) = %q, want %q", tt.in, got, tt.en)
		}
		if got := ro.Date(tt.in); got != tt.ro {
			t.Errorf("ro Date(%s) = %q, want %q", tt.in, got, tt.ro)
		}
	}
	for month := time.January; month <= time.December; month++ {
		d := time.Date(2026, month, 1, 0, 0, 0, 0, time.UTC)
		for _, l := range []*Localizer{en, ro} {
			if got := l.Date(d); strings.Contains(got, "date.month_short") {
				t.Errorf("%s Date(%s) = %q: month name missing", l.Lang(), d, got)
			}
		}
	}
}

func TestDateTime(t *testing.T) {
	en, ro := NewLocalizer(English), NewLocalizer(Romanian)
	bucharest := time.FixedZone("EET", 2*60*60)
	instant := time.Date(2026, time.November, 26, 22, 30, 0, 0, time.UTC)
	tests := []struct {
		loc    *time.Location
		en, ro string
	}{
		{time.UTC, "26 Nov 2026, 22:30", "26 nov. 2026, 22:30"},
		{nil, "26 Nov 2026, 22:30", "26 nov. 2026, 22:30"},
		// The zone can move the date: 00:30 the next day in Bucharest.
		{bucharest, "27 Nov 2026, 00:30", "27 nov. 2026, 00:30"},
	}
	for _, tt := range tests {
		if got := en.DateTime(instant, tt.loc); got != tt.en {
			t.Errorf("en DateTime(%s, %v) = %q, want %q", instant, tt.loc, got, tt.en)
		}
		if got := ro.DateTime(instant, tt.loc); got != tt.ro {
			t.Errorf("ro DateTime(%s, %v) = %q, want %q", instant, tt.loc, got, tt.ro)
		}
	}
}

func TestTNPicksThePluralForm(t *testing.T) {
	for _, tt := range []struct {
		lang language.Tag
		n    int
		want string
	}{
		{English, 1, "1 new answer from your advisor"},
		{English, 0, "0 new answers from your advisor"},
		{English, 2, "2 new answers from your advisor"},
		{Romanian, 1, "1 răspuns nou de la consilierul dumneavoastră"},
		{Romanian, 2, "2 răspunsuri noi de la consilierul dumneavoastră"},
		{Romanian, 19, "19 răspunsuri noi de la consilierul dumneavoastră"},
		{Romanian, 20, "20 de răspunsuri noi de la consilierul dumneavoastră"},
		{Romanian, 101, "101 răspunsuri noi de la consilierul dumneavoastră"}, // last two digits 01–19 take no "de"
		{Romanian, 120, "120 de răspunsuri noi de la consilierul dumneavoastră"},
		{Romanian, 102, "102 răspunsuri noi de la consilierul dumneavoastră"},
	} {
		if got := NewLocalizer(tt.lang).TN("portal.messages.unread_notice", tt.n, tt.n); got != tt.want {
			t.Errorf("%s %d: %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

// TestParseAmount: every amount field reads the format its page shows, and
// the other language's when it cannot be mistaken.
func TestParseAmount(t *testing.T) {
	en, ro := NewLocalizer(English), NewLocalizer(Romanian)
	for _, c := range []struct {
		in   string
		l    *Localizer
		want string
	}{
		{"10,000.00", en, "10000"}, {"10000.555", en, "10000.555"}, {"20000,50", en, "20000.5"}, {"1 234.5", en, "1234.5"},
		{"20.000,50", en, "20000.5"}, {"20000", en, "20000"}, {"1.000.000", ro, "1000000"},
		{"10.000,00", ro, "10000"}, {"20.000", ro, "20000"}, {"1234.5", ro, "1234.5"}, {"-5", ro, "-5"},
		{"20,000.50", ro, "20000.5"}, {"20.000,50", ro, "20000.5"}, {"20\u00a0000,50", ro, "20000.5"},
	} {
		got, ok := c.l.ParseAmount(c.in)
		if !ok || got.String() != c.want {
			t.Errorf("ParseAmount(%q, %s) = %s, %v; want %s", c.in, c.l.Lang(), got, ok, c.want)
		}
	}
	for _, bad := range []string{"", "abc", "1e5", "1.2.3", "--5", "twenty", strings.Repeat("9", 41)} {
		if _, ok := en.ParseAmount(bad); ok {
			t.Errorf("ParseAmount(%q) accepted", bad)
		}
	}
}
