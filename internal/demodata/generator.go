package demodata

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// generator regenerates the population group by group. Each table is one
// pass over all groups (COPY loads one table at a time on the single
// connection of the transaction); a pass rebuilds only the parts of each
// client its table needs and keeps ids in counters, so memory stays
// constant whatever the number of clients.
type generator struct {
	opt         Options
	asOf        day
	windowStart day // first day of the 12-month transaction window

	sources         [streamMarketData + 1]*randSource
	staff           staffList
	market          *market
	cityWeights     weights
	diasporaWeights weights
	emailModulus    int64
	monthLabels     map[int]string
	employerIBANs   map[string][]byte
	insurerIBANs    [][]byte
	utilityIBANs    [][]byte
	pensionIBAN     []byte

	grp      group
	counters idCounters

	// windowMonths are the 13 calendar months the transaction window
	// touches, k = -12..0 relative to AsOf's month, at index k+12.
	windowMonths [13]windowMonth

	// Reused buffers.
	events         []event
	eventOrder     []uint64
	holdings       []holding
	holdingWeights weights
	utilityPayees  []int
	channelWeights weights
}

type idCounters struct {
	households, accounts, transactions, lines, policies, instalments, payments,
	claims, positions, interactions, consents, trades int64
}

// needs says which parts of each client a pass must rebuild.
type needs int

const (
	needProfile needs = 1 << iota
	needLines
	needAccounts
	needPolicies
	needBanking = needAccounts | needPolicies
)

func newGenerator(opt Options) *generator {
	gen := &generator{opt: opt, asOf: dayFromTime(opt.AsOf)}
	gen.windowStart = gen.asOf.addMonths(-12) + 1
	for i := range gen.sources {
		gen.sources[i] = newRandSource()
	}
	gen.staff = buildStaff(opt.Seed, opt.Clients, gen.asOf)
	gen.market = newMarket(opt.Seed, gen.asOf)
	for _, c := range romanianCities {
		gen.cityWeights = append(gen.cityWeights, c.weight)
	}
	for _, c := range diasporaCities {
		gen.diasporaWeights = append(gen.diasporaWeights, c.weight)
	}
	gen.emailModulus = 10
	for gen.emailModulus <= 10*int64(opt.Clients) {
		gen.emailModulus *= 10
	}
	gen.monthLabels = map[int]string{}
	months := [...]string{"January", "February", "March", "April", "May", "June", "July", "August",
		"September", "October", "November", "December"}
	for k := -40; k <= 1; k++ {
		y, m, _ := gen.asOf.monthStart().addMonths(k).date()
		gen.monthLabels[y*12+m] = months[m-1] + " " + strconv.Itoa(y)
	}
	for k := -12; k <= 0; k++ {
		start := gen.asOf.monthStart().addMonths(k)
		y, m, _ := start.date()
		gen.windowMonths[k+12] = windowMonth{start: start, days: daysInMonth(y, m), label: gen.monthLabels[y*12+m]}
	}
	gen.employerIBANs = map[string][]byte{}
	key := uint64(1)
	for sec := sectorPrivate; sec <= sectorRetail; sec++ { // fixed order: ids must not depend on map order
		for _, n := range employerNames[sec] {
			gen.employerIBANs[n] = externalIBAN(key * 7)
			key++
		}
	}
	for _, n := range universities {
		gen.employerIBANs[n] = externalIBAN(key * 7)
		key++
	}
	for i := range utilities {
		gen.utilityIBANs = append(gen.utilityIBANs, externalIBAN(5000+uint64(i)))
	}
	for i := range insurers {
		gen.insurerIBANs = append(gen.insurerIBANs, externalIBAN(6000+uint64(i)))
	}
	gen.pensionIBAN = externalIBAN(7000)
	return gen
}

type windowMonth struct {
	start day
	days  int
	label string // "March 2025"
}

// windowDay is day dd (clamped to the month's length) of the window month
// k (-12..0 from AsOf's month).
func (gen *generator) windowDay(k, dd int) day {
	m := &gen.windowMonths[k+12]
	return m.start + day(min(dd, m.days)-1)
}

// rand returns the stream's generator, reseeded for index.
func (gen *generator) rand(st stream, index uint64) *rand.Rand {
	return gen.sources[st].at(gen.opt.Seed, st, index)
}

func (gen *generator) monthLabel(d day) string {
	y, m, _ := d.date()
	return gen.monthLabels[y*12+m]
}

// employerIBAN returns the payroll account of a named employer; a
// self-employed person's own business gets one derived from the name.
func (gen *generator) employerIBAN(name string) []byte {
	if iban, ok := gen.employerIBANs[name]; ok {
		return iban
	}
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint64(name[i])) * 1099511628211
	}
	return externalIBAN(h)
}

// forEachGroup rebuilds every group with what the pass needs and hands it
// to fn, stopping early if the COPY consumer has failed.
func (gen *generator) forEachGroup(w *rowWriter, need needs, fn func(grp *group)) error {
	gen.counters = idCounters{}
	groups := (gen.opt.Clients + slotsPerGroup - 1) / slotsPerGroup
	for g := range groups {
		grp := gen.buildGroup(g)
		for _, c := range grp.members {
			gen.buildProfile(c)
			if need&(needLines|needAccounts|needPolicies) != 0 {
				gen.drawCreditLines(c)
				for i := range c.lines {
					gen.counters.lines++
					c.lines[i].id = gen.counters.lines
				}
			}
			if need&needAccounts != 0 {
				gen.drawAccounts(c)
			}
			if need&needPolicies != 0 {
				gen.drawPolicies(c)
			}
		}
		fn(grp)
		if w.err != nil {
			return w.err
		}
	}
	return nil
}

// asOfDate normalises the data set's "today" to a UTC date.
func asOfDate(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
