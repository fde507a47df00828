package demodata

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

func TestCalendarMatchesTimePackage(t *testing.T) {
	for d := dayOf(1900, 1, 1); d < dayOf(2101, 1, 1); d += 17 {
		want := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(d))
		y, m, dd := d.date()
		if y != want.Year() || m != int(want.Month()) || dd != want.Day() {
			t.Fatalf("day %d = %d-%d-%d, want %s", d, y, m, dd, want.Format(time.DateOnly))
		}
		if dayFromTime(want) != d || d.weekday() != (int(want.Weekday())+6)%7 {
			t.Fatalf("day %d: round trip or weekday wrong", d)
		}
	}
	for _, tc := range []struct {
		from   day
		months int
		want   day
	}{
		{dayOf(2024, 1, 31), 1, dayOf(2024, 2, 29)},
		{dayOf(2025, 1, 31), 1, dayOf(2025, 2, 28)},
		{dayOf(2025, 3, 31), -1, dayOf(2025, 2, 28)},
		{dayOf(2025, 6, 30), -12, dayOf(2024, 6, 30)},
	} {
		if got := tc.from.addMonths(tc.months); got != tc.want {
			t.Errorf("%s + %d months = %s, want %s", tc.from.time().Format(time.DateOnly), tc.months,
				got.time().Format(time.DateOnly), tc.want.time().Format(time.DateOnly))
		}
	}
	if got := thirdFriday(dayOf(2025, 9, 1)); got != dayOf(2025, 9, 19) {
		t.Errorf("third Friday of September 2025 = %s", got.time().Format(time.DateOnly))
	}
}

func TestCheckDigits(t *testing.T) {
	// The Romanian example IBAN of the ECBS registry and two real ISINs.
	if m := ibanMod97([]byte("AAAA1B31007593840000"), "RO49"); m != 1 {
		t.Errorf("RO49AAAA1B31007593840000 mod 97 = %d, want 1", m)
	}
	var iban [24]byte
	romanianIBAN(&iban, ownBankCode, 101, 'C', 42)
	if s := string(iban[:]); s[:2] != "RO" || ibanMod97(iban[4:], s[:4]) != 1 {
		t.Errorf("generated IBAN %s fails its check", s)
	}
	for _, known := range []string{"US0378331005", "DE0005140008"} {
		if got := isinCheckDigit(known[:11]); got != int(known[11]-'0') {
			t.Errorf("ISIN %s: check digit %d", known, got)
		}
	}
}

func TestOptionPricing(t *testing.T) {
	// Put-call parity: C - P = S - K·e^(-rT).
	s, k, years, r, vol := 120.0, 110.0, 0.25, 0.045, 0.4
	c, p := blackScholes(true, s, k, years, r, vol), blackScholes(false, s, k, years, r, vol)
	if diff := (c - p) - (s - k*math.Exp(-r*years)); math.Abs(diff) > 1e-9 {
		t.Errorf("put-call parity off by %g", diff)
	}
	if toTicks(1.03125) != 10313 || toTicks(0) != 1 { // 1.03125 is exact in binary

		t.Errorf("toTicks rounds half away from zero to 4 places with a floor of one tick")
	}
}

func TestMoneyArithmeticIsExact(t *testing.T) {
	// 3 units at 1234.5678 = 3703.7034 → 3703.70; 0.5 contract rounding up.
	if got := tradeValue(3_000_000, 12_345_678, false); got != 370_370 {
		t.Errorf("tradeValue = %d, want 370370", got)
	}
	if got := tradeValue(1_000_000, 5_000, true); got != 5_000 { // 1 contract × 0.50 × 100 shares = 50.00
		t.Errorf("option tradeValue = %d, want 5000", got)
	}
	// The annuity schedule repays the principal exactly.
	principal, rate, term := int64(10_000_000), int64(75_000), 60
	instalment, balance := annuity(principal, rate, term), principal
	var repaid int64
	for range term {
		var p int64
		balance, p = payInstalment(balance, instalment, rate)
		repaid += p
	}
	if balance > instalment/100 || repaid+balance != principal {
		t.Errorf("after %d instalments of %d: balance %d, repaid %d", term, instalment, balance, repaid)
	}
}

// TestNumericEncoding sends values through binary COPY and reads them back.
func TestNumericEncoding(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	values := []struct {
		v     int64
		scale int
	}{
		{0, 2}, {1, 2}, {-1, 2}, {99, 2}, {100, 2}, {-123456, 2}, {1_000_000_00, 2}, {999_999_999_999_999, 2},
		{1, 6}, {123_456_789, 6}, {-5_000_000, 6}, {10_000, 6}, {1, 4}, {50_000, 4}, {123_456_789_012, 4}, {7, 0},
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE n (i int, v numeric)`); err != nil {
		t.Fatal(err)
	}
	_, err = copyRows(ctx, tx.Conn().PgConn(), "n", []string{"i", "v"}, func(w *rowWriter) error {
		for i, x := range values {
			w.row(2)
			w.int4(int32(i))
			w.numeric(x.v, x.scale)
		}
		return w.err
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := tx.Query(ctx, `SELECT v::text FROM n ORDER BY i`)
	var got []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		got = append(got, s)
	}
	var want []string
	for _, x := range values {
		want = append(want, decimal.New(x.v, -int32(x.scale)).StringFixed(int32(x.scale)))
	}
	if !slices.Equal(got, want) {
		t.Errorf("numerics read back as %v, want %v", got, want)
	}
}

// TestPopulationDistributions checks, on 20,000 clients generated in
// memory, that the life-stage, segment and credit distributions land where
// the package documents them.
func TestPopulationDistributions(t *testing.T) {
	const n = 20_000
	gen := newGenerator(Options{Clients: n, Seed: 11, AsOf: testAsOf})
	w := &rowWriter{flush: func(b []byte) ([]byte, error) { return b[:0], nil }}
	segments := map[string]float64{}
	var incomes []int64
	var ages []int
	var vulnerable, old, oldVulnerable, brokerage, transactions, lines, ever30, ever90, everDefault float64
	gen.forEachGroup(w, needBanking, func(grp *group) {
		for _, c := range grp.members {
			segments[c.segment]++
			ages = append(ages, c.age)
			if c.employment == "employed" && !c.abroad {
				incomes = append(incomes, c.income/100)
			}
			if c.vulnerable {
				vulnerable++
			}
			if c.age >= 80 {
				old++
				if c.vulnerable {
					oldVulnerable++
				}
			}
			for _, a := range c.accounts {
				if a.kind == "brokerage" {
					brokerage++
				}
			}
			gen.simulateBanking(c, func(*client, *event) { transactions++ })
			for _, l := range c.lines {
				lines++
				var seen [5]bool
				for _, m := range l.history.months[:l.history.n] {
					seen[m.state] = true
				}
				if seen[late30] || seen[late60] || seen[late90] || seen[defaulted] {
					ever30++
				}
				if seen[late90] || seen[defaulted] {
					ever90++
				}
				if seen[defaulted] {
					everDefault++
				}
			}
		}
	})
	slices.Sort(incomes)
	slices.Sort(ages)
	check := func(what string, got, lo, hi float64) {
		t.Helper()
		if got < lo || got > hi {
			t.Errorf("%s = %.3f, want %.3f..%.3f", what, got, lo, hi)
		}
	}
	check("mass share", segments["mass"]/n, 0.6, 0.75)
	check("emerging affluent share", segments["emerging_affluent"]/n, 0.15, 0.3)
	check("affluent share", segments["affluent"]/n, 0.05, 0.12)
	check("private share", segments["private"]/n, 0.005, 0.03)
	check("median employed income (RON)", float64(incomes[len(incomes)/2]), 50_000, 70_000)
	check("youngest", float64(ages[0]), 18, 18)
	check("oldest", float64(ages[len(ages)-1]), 85, 91)
	check("median age", float64(ages[len(ages)/2]), 40, 55)
	check("vulnerable share", vulnerable/n, 0.02, 0.045)
	check("vulnerable share at 80+", oldVulnerable/old, 0.1, 0.25)
	check("brokerage share", brokerage/n, 0.2, 0.3)
	check("transactions per client", transactions/n, 30, 60)
	check("lines ever 30 days late", ever30/lines, 0.03, 0.06)
	check("lines ever 90+ days late", ever90/lines, 0.005, 0.025)
	check("lines defaulted", everDefault/lines, 0.001, 0.01)
}

// TestCopyStopsOnServerError makes the server reject a row in the middle
// of a multi-chunk COPY: copyRows must return the server's error promptly
// (no goroutine left blocked) and stop the generator.
func TestCopyStopsOnServerError(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE c (i int CHECK (i <> 150000), s text)`); err != nil {
		t.Fatal(err)
	}
	generated := 0
	_, err = copyRows(ctx, tx.Conn().PgConn(), "c", []string{"i", "s"}, func(w *rowWriter) error {
		for i := range 10_000_000 {
			if w.err != nil {
				return w.err
			}
			w.row(2)
			w.int4(int32(i))
			w.text("padding to fill several chunks")
			generated++
		}
		return w.err
	})
	if err == nil || !strings.Contains(err.Error(), "check constraint") {
		t.Fatalf("copyRows = %v, want the check violation", err)
	}
	if generated == 10_000_000 {
		t.Error("the generator was not stopped after the server failed")
	}
}
