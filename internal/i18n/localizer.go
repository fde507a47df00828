package i18n

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/ecrm-project/ecrm"
)

// nbsp is the no-break space put between an amount and its currency code
// or percent sign, so that a line never breaks between "1.234,50" and "lei".
const nbsp = "\u00a0"

// conventions are the formatting rules of one language, after CLDR:
// separators, where the currency goes and the date patterns.
type conventions struct {
	groupSep   string
	decimalSep string
	// currencySymbols gives the symbol written before the amount, with no
	// space ("€1,234.50"). A currency missing here is written as
	// codePrefix+code+nbsp before the amount when codeBefore is set, or
	// nbsp+name after it.
	currencySymbols map[string]string
	// currencyNames renames a currency written after the amount, as
	// Romanian writes RON as "lei".
	currencyNames map[string]string
	codeBefore    bool
	percentSuffix string
}

var conventionsByLang = map[language.Tag]conventions{
	// English: "€1,234.50", "-€1,234.50", "CHF 1,234.50", "¥1,234",
	// "5.25%", "26 Nov 2026", "26 Nov 2026, 14:05". The day-first date is
	// the unambiguous international (en-GB) form.
	English: {
		groupSep:        ",",
		decimalSep:      ".",
		currencySymbols: map[string]string{"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"},
		codeBefore:      true,
		percentSuffix:   "%",
	},
	// Romanian: "1.234,50 lei" for RON, "1.234,50 EUR" for the others,
	// "-1.234,50 lei", "5,25 %", "26 nov. 2026", "26 nov. 2026, 14:05".
	// Romanian writes the ISO code after the amount rather than a symbol,
	// and "lei" for its own currency, as Romanian prices and statements do.
	Romanian: {
		groupSep:      ".",
		decimalSep:    ",",
		currencyNames: map[string]string{"RON": "lei"},
		percentSuffix: nbsp + "%",
	},
}

// Localizer formats messages, numbers, money and dates for one language. It
// is immutable and safe for concurrent use; one exists per supported
// language, shared by every request in that language.
type Localizer struct {
	lang    language.Tag
	printer *message.Printer
	conv    conventions
}

// localizers holds the one Localizer of each supported language; they are
// built on first use, with the catalogue.
var localizers = sync.OnceValue(func() map[language.Tag]*Localizer {
	cat := loadCatalogue()
	built := make(map[language.Tag]*Localizer, len(supported))
	for _, tag := range supported {
		built[tag] = &Localizer{
			lang:    tag,
			printer: message.NewPrinter(tag, message.Catalog(cat.builder)),
			conv:    conventionsByLang[tag],
		}
	}
	return built
})

// NewLocalizer returns the Localizer of the supported language closest to
// lang: "ro-RO" gives Romanian, an unsupported language gives English.
func NewLocalizer(lang language.Tag) *Localizer {
	return localizers()[baseTag(lang)]
}

// Lang returns the Localizer's language, "en" or "ro", suitable for the
// lang attribute of <html> and the Content-Language header.
func (l *Localizer) Lang() language.Tag { return l.lang }

// T returns the message for key in the Localizer's language, formatted with
// args as fmt.Sprintf would, with numbers in args formatted per language.
// A key missing from the catalogue is returned verbatim, without args, so
// the mistake shows on the page and tests that check keys can catch it.
func (l *Localizer) T(key string, args ...any) string {
	if _, ok := loadCatalogue().messages[l.lang][key]; !ok {
		return key
	}
	return l.printer.Sprintf(key, args...)
}

// Text returns a firm-written text (a product's name, a rule's reason) in
// the Localizer's language, English when the Romanian text is missing.
func (l *Localizer) Text(t ecrm.Text) string { return t.In(l.lang.String()) }

// ExactPlaces is how many decimal places show d exactly, without padding
// zeros, and at least min: a quantity of 523.259 shows as 523.259, a price
// of 22.9332 as 22.9332 (min 2), 12 as 12.00. Quantities and prices are
// shown exactly, never rounded to two places, so that the client and her
// advisor read the same figures.
func ExactPlaces(d decimal.Decimal, min int) int {
	places := int32(0)
	if e := d.Exponent(); e < 0 {
		places = -e
	}
	for places > 0 && d.Equal(d.Truncate(places-1)) {
		places--
	}
	return max(min, int(places))
}

// ParseAmount reads an amount typed in the language's own format, the one
// its pages show: "20.000,50" in Romanian, "20,000.50" in English, spaces
// allowed between groups. An amount with only the other language's
// separator followed by one or two digits ("20000,50" on an English page)
// is read as decimals too, since that is what the person means; with both
// separators, the last is the decimal point ("20,000.50" on a Romanian
// page is still twenty thousand). The digits then go through
// ecrm.ParseDecimal (at most 40 characters, no exponent). Every amount
// field of every form reads through it.
func (l *Localizer) ParseAmount(s string) (decimal.Decimal, bool) {
	point, group := ".", ","
	if l.Decimal(decimal.New(15, -1), 1) == "1,5" {
		point, group = ",", "."
	}
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "").Replace(strings.TrimSpace(s))
	if dot, comma := strings.LastIndex(s, "."), strings.LastIndex(s, ","); dot >= 0 && comma >= 0 {
		point, group = ".", ","
		if comma > dot {
			point, group = ",", "."
		}
	} else if !strings.Contains(s, point) {
		if i := strings.LastIndex(s, group); i >= 0 && strings.Count(s, group) == 1 && len(s)-i-1 <= 2 {
			point, group = group, point
		}
	}
	if strings.Count(s, point) > 1 {
		return decimal.Decimal{}, false
	}
	s = strings.ReplaceAll(s, group, "")
	s = strings.Replace(s, point, ".", 1)
	d, err := ecrm.ParseDecimal(s)
	return d, err == nil
}

// TN is T for a message that depends on a count n: it picks the key's
// plural form by the language's CLDR plural rules (golang.org/x/text's
// feature/plural) — key+".one", ".few" or ".other" ("1 month", "2 months";
// "1 lună", "2 luni", "20 de luni") — and falls back to key+".other" when
// the language has no message of its own for that form.
func (l *Localizer) TN(key string, n int, args ...any) string {
	form := pluralForms[plural.Cardinal.MatchPlural(l.lang, n, 0, 0, 0, 0)]
	if _, ok := loadCatalogue().messages[l.lang][key+"."+form]; ok {
		return l.T(key+"."+form, args...)
	}
	return l.T(key+".other", args...)
}

// pluralForms names the plural forms as the catalogue keys end.
var pluralForms = map[plural.Form]string{
	plural.Zero: "zero", plural.One: "one", plural.Two: "two", plural.Few: "few", plural.Many: "many", plural.Other: "other",
}

// Money formats an amount in its currency, rounded half away from zero to
// the currency's minor units (ecrm.CurrencyMinorUnits; two places for an
// unknown currency), with the language's separators:
//
//	en: "€1,234.50", "-€1,234.50", "$0.00", "£5.00", "¥1,234", "RON 1,234.50", "CHF 1,234.50"
//	ro: "1.234,50 EUR", "-1.234,50 EUR", "1.234,50 lei" (RON), "1.234 JPY"
//
// The space between amount and code is a no-break space (U+00A0). The
// decimal's digits are formatted directly; the amount never becomes a float.
func (l *Localizer) Money(m ecrm.Money) string {
	places, ok := ecrm.CurrencyMinorUnits(m.Currency)
	if !ok {
		places = 2
	}
	negative, digits := l.digits(m.Amount, places)
	sign := ""
	if negative {
		sign = "-"
	}
	if symbol, ok := l.conv.currencySymbols[m.Currency]; ok {
		return sign + symbol + digits
	}
	if l.conv.codeBefore {
		return sign + m.Currency + nbsp + digits
	}
	name := m.Currency
	if local, ok := l.conv.currencyNames[m.Currency]; ok {
		name = local
	}
	return sign + digits + nbsp + name
}

// Decimal formats d rounded half away from zero to places decimal places,
// with the language's grouping and decimal separators: 1234567.891 with two
// places is "1,234,567.89" in English and "1.234.567,89" in Romanian. A
// value that rounds to zero is shown without a minus sign.
func (l *Localizer) Decimal(d decimal.Decimal, places int32) string {
	negative, digits := l.digits(d, places)
	if negative {
		return "-" + digits
	}
	return digits
}

// Percent formats a ratio as a percentage with places decimal places: the
// ratio 0.0525 is "5.25%" in English and "5,25 %" (no-break space) in
// Romanian. Pass the ratio, not the percentage, so that rates stored as
// fractions are shown without a second conversion.
func (l *Localizer) Percent(ratio decimal.Decimal, places int32) string {
	return l.Decimal(ratio.Shift(2), places) + l.conv.percentSuffix
}

// Date formats the calendar date of t in t's own location: "26 Nov 2026" in
// English, "26 nov. 2026" in Romanian.
func (l *Localizer) Date(t time.Time) string {
	month := l.T("date.month_short." + strconv.Itoa(int(t.Month())))
	return strconv.Itoa(t.Day()) + " " + month + " " + strconv.Itoa(t.Year())
}

// DateTime formats t as seen in loc, with a 24-hour clock: "26 Nov 2026,
// 14:05" in English, "26 nov. 2026, 14:05" in Romanian. A nil loc means
// UTC, so a forgotten zone shows a stable time rather than the server's.
func (l *Localizer) DateTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	return l.Date(t) + ", " + t.Format("15:04")
}

// digits rounds d to places and writes its absolute value with the
// language's separators, reporting whether the rounded value is negative.
func (l *Localizer) digits(d decimal.Decimal, places int32) (negative bool, s string) {
	if places < 0 {
		places = 0
	}
	rounded := d.Round(places)
	negative = rounded.Sign() < 0
	fixed := rounded.Abs().StringFixed(places) // "1234567.89"
	intPart, fracPart, _ := strings.Cut(fixed, ".")

	var b strings.Builder
	b.Grow(len(fixed) + len(intPart)/3*len(l.conv.groupSep))
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(l.conv.groupSep)
		}
		b.WriteRune(r)
	}
	if fracPart != "" {
		b.WriteString(l.conv.decimalSep)
		b.WriteString(fracPart)
	}
	return negative, b.String()
}

// FileSize writes a size of bytes as people read file sizes, in units of
// 1,024: "830 KB" (whole kilobytes, rounded up, at least 1), "2.5 MB" (one
// decimal place, none when whole: "5 MB").
func (l *Localizer) FileSize(bytes int64) string {
	const kb, mb = 1 << 10, 1 << 20
	if bytes < mb {
		return l.T("size.kb", l.Decimal(decimal.NewFromInt((bytes+kb-1)/kb).Add(decimal.NewFromInt(boolInt(bytes == 0))), 0))
	}
	m := decimal.NewFromInt(bytes).Div(decimal.NewFromInt(mb)).Round(1)
	places := int32(1)
	if m.Equal(m.Truncate(0)) {
		places = 0
	}
	return l.T("size.mb", l.Decimal(m, places))
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
