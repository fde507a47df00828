package demodata

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// Well-known demo people. Other features, their tests and the README's
// walkthrough log in as these, so they exist in every seeded data set,
// whatever the seed.
const (
	DemoClientEmail     = "ana.popescu@" + demoEmailDomain
	DemoAdvisorEmail    = "maria.ionescu@" + demoEmailDomain
	DemoComplianceEmail = "andrei.stan@" + demoEmailDomain
	DemoAdminEmail      = "elena.dobre@" + demoEmailDomain

	// DemoClientID is Ana Popescu's client id; her husband Mihai is client 2.
	DemoClientID = 1
	// DemoAdvisorID is Maria Ionescu's staff id; the demo client is in her book.
	DemoAdvisorID = 1
)

// Clients are generated in fixed slots of three: a slot group is either
// three unrelated people, a couple and one unrelated person, or a couple
// with their grown-up child who still depends on them. Fixed slots keep
// every client's position (and id) independent of other clients' draws,
// while still letting spouses share a household, an address and an advisor.
const slotsPerGroup = 3

type groupKind int

const (
	groupSingles groupKind = iota
	groupCouple            // slots 0 and 1 are partners, slot 2 unrelated
	groupFamily            // slots 0 and 1 are partners, slot 2 their dependant child
)

// group is one slot group being generated.
type group struct {
	index       int
	kind        groupKind
	householdID int64 // 0 when the group has no shared household
	together    day   // when the couple married or moved in together
	jointHolder bool  // the couple also hold an account jointly
	members     []*client
	slots       [slotsPerGroup]client
}

// client is everything the generator knows about one person. Fields are
// filled theme by theme; a pass only fills what its table needs.
type client struct {
	index int // 0-based position in the population
	id    int64
	group *group

	// Drawn per group (shared by a couple).
	female      bool
	origin      *nameOrigin
	family      name
	age         int
	marital     string
	dependants  int
	cityRef     *city
	street      string
	houseNo     int
	flat        [4]int // block, staircase, floor, apartment; block 0 = a house
	postal      uint64 // draw for the postal code's free digits
	household   int64  // 0 unless the client lives with a partner or parents who are clients
	advisorPick int64
	advised     bool

	// Drawn per client (profile stream).
	given          name
	birth          day
	since          day
	employment     string
	job            occupation
	employer       string
	employerIBAN   []byte
	income         int64 // gross yearly, minor units of incomeCurrency
	incomeCurrency string
	netMonthly     int64 // what reaches the account each month, minor units of currency
	wealth         int64 // liquid financial assets, minor units of currency
	currency       string
	segment        string
	kycStatus      string
	kycAt          instant
	vulnerable     bool
	advisorID      int64
	channel        string
	language       string
	riskAppetite   float64 // 0 (avoids risk) .. 1 (seeks it)
	abroad         bool

	accounts []account
	lines    []creditLine
	policies []policy
}

func (c *client) isCoupled() bool { return c.group.kind != groupSingles && c.index%slotsPerGroup < 2 }

// partner returns the client's partner in the group, or nil.
func (c *client) partner() *client {
	if !c.isCoupled() {
		return nil
	}
	other := 1 - c.index%slotsPerGroup
	if other >= len(c.group.members) {
		return nil
	}
	return c.group.members[other]
}

func (c *client) isChild() bool { return c.group.kind == groupFamily && c.index%slotsPerGroup == 2 }

// Adult age pyramid, by band (Romania's adult population: the large cohorts
// born 1967-1989 are now 35-57; fewer people above 75).
var ageBands = []struct {
	lo, hi int
	weight float64
}{
	{18, 24, 7.5}, {25, 29, 7}, {30, 34, 8}, {35, 39, 9}, {40, 44, 10}, {45, 49, 10.5}, {50, 54, 9.5},
	{55, 59, 8}, {60, 64, 8}, {65, 69, 7.5}, {70, 74, 6}, {75, 79, 4}, {80, 84, 2.8}, {85, 90, 1.5},
}

var ageBandWeights = func() weights {
	w := make(weights, len(ageBands))
	for i, b := range ageBands {
		w[i] = b.weight
	}
	return w
}()

func drawAge(r *rand.Rand, minAge, maxAge int) int {
	for {
		b := ageBands[ageBandWeights.pick(r)]
		if a := between(r, b.lo, b.hi); a >= minAge && a <= maxAge {
			return a
		}
	}
}

// Marital status of people without a partner among the clients, by age
// (shares close to Romania's 2021 census).
func drawMarital(r *rand.Rand, age int) string {
	statuses := []string{"single", "married", "partnership", "divorced", "widowed"}
	var w weights
	switch {
	case age < 25:
		w = weights{92, 6, 2, 0, 0}
	case age < 35:
		w = weights{45, 45, 7, 3, 0}
	case age < 50:
		w = weights{18, 65, 5, 10, 2}
	case age < 65:
		w = weights{8, 68, 3, 12, 9}
	case age < 80:
		w = weights{4, 56, 0, 8, 32}
	default:
		w = weights{3, 30, 0, 5, 62}
	}
	return statuses[w.pick(r)]
}

// Dependants (children under 18 and other dependants) by age and whether
// the person lives with a partner.
func drawDependants(r *rand.Rand, age int, partnered bool) int {
	var w weights
	switch {
	case age < 22:
		w = weights{97, 3}
	case age <= 50 && partnered:
		w = weights{25, 38, 28, 7, 2}
	case age <= 50:
		w = weights{70, 20, 8, 2}
	case age <= 60:
		w = weights{70, 22, 8}
	default:
		w = weights{95, 5}
	}
	return w.pick(r)
}

// buildGroup draws the household structure and the shared attributes of
// group g (clients g*3 .. g*3+2).
func (gen *generator) buildGroup(g int) *group {
	grp := &gen.grp
	grp.index, grp.kind, grp.householdID, grp.together, grp.jointHolder = g, groupSingles, 0, 0, false
	first := g * slotsPerGroup
	size := min(slotsPerGroup, gen.opt.Clients-first)
	r := gen.rand(streamHousehold, uint64(g))

	// A third of adults in Romanian retail banking share their bank with a
	// partner; about one family in ten has an adult child at home.
	switch u := r.Float64(); {
	case size == 3 && u < 0.06:
		grp.kind = groupFamily
	case size >= 2 && u < 0.45:
		grp.kind = groupCouple
	}
	if g == 0 && size >= 2 {
		grp.kind = groupCouple // Ana and Mihai Popescu
	}
	grp.members = grp.members[:0]
	for s := range size {
		c := &grp.slots[s]
		*c = client{index: first + s, id: int64(first + s + 1), group: grp,
			accounts: c.accounts[:0], lines: c.lines[:0], policies: c.policies[:0]}
		grp.members = append(grp.members, c)
	}
	if grp.kind != groupSingles {
		gen.counters.households++
		grp.householdID = gen.counters.households
	}

	// Partners (and a child living with them) share the home and the
	// advisor; an unrelated person in the group gets their own.
	for s, c := range grp.members {
		sharesHome := s == 1 && grp.kind != groupSingles || s == 2 && grp.kind == groupFamily
		if sharesHome {
			home := grp.members[0]
			c.cityRef, c.street, c.houseNo, c.flat, c.postal = home.cityRef, home.street, home.houseNo, home.flat, home.postal
			c.advisorPick, c.advised = home.advisorPick, home.advised
			c.household, home.household = grp.householdID, grp.householdID
			continue
		}
		c.cityRef = gen.drawCity(r)
		drawStreetAddress(r, c)
		c.postal = r.Uint64()
		c.advisorPick, c.advised = gen.staff.advisorFor(r), chance(r, 0.8)
	}
	single := func(c *client) {
		c.origin = drawOrigin(r, c.cityRef)
		c.female = chance(r, 0.52)
		c.family = oneOf(r, c.origin.family)
		c.age = drawAge(r, 18, 90)
		c.marital = drawMarital(r, c.age)
		c.dependants = drawDependants(r, c.age, c.marital == "married" || c.marital == "partnership")
	}
	switch grp.kind {
	case groupSingles:
		for _, c := range grp.members {
			single(c)
		}
	default:
		if grp.kind == groupCouple && len(grp.members) == 3 {
			single(grp.members[2])
		}
		wife, husband := grp.members[0], grp.members[1]
		origin := drawOrigin(r, wife.cityRef)
		// Parents of a child still at home are 40-62: the child is 18-26
		// and was born when they were 19-45.
		minAge, maxAge := 22, 90
		if grp.kind == groupFamily {
			minAge, maxAge = 40, 62
		}
		wife.age = drawAge(r, minAge, maxAge)
		husband.age = clampInt(wife.age+int(math.Round(2.5+3*r.NormFloat64())), max(20, minAge-2), 90)
		wife.female, husband.female = true, false
		husband.origin, wife.origin = origin, origin
		husband.family = oneOf(r, origin.family)
		wife.family = husband.family
		if chance(r, 0.15) { // kept her own name
			wife.family = oneOf(r, origin.family)
		}
		status := "married"
		if chance(r, 0.12) {
			status = "partnership"
		}
		wife.marital, husband.marital = status, status
		young := min(wife.age, husband.age)
		grp.together = gen.asOf.addMonths(-12 * between(r, 1, max(1, young-20)))
		grp.jointHolder = chance(r, 0.3)
		kids := drawDependants(r, young, true)
		if grp.kind == groupFamily {
			child := grp.members[2]
			child.origin, child.family = origin, husband.family
			child.female = chance(r, 0.5)
			child.age = between(r, max(18, young-45), min(26, young-19))
			child.marital, child.dependants = "single", 0
			kids = max(kids, 1)
		}
		wife.dependants, husband.dependants = kids, kids
		if g == 0 {
			gen.applyDemoCouple(wife, husband)
		}
	}
	return grp
}

func drawOrigin(r *rand.Rand, home *city) *nameOrigin {
	p := 0.1
	if home.country != "RO" {
		p = 0.25
	}
	if !chance(r, p) {
		return &romanianNames
	}
	return &minorityNames[minorityWeights.pick(r)].names
}

var minorityWeights = func() weights {
	w := make(weights, len(minorityNames))
	for i, m := range minorityNames {
		w[i] = m.weight
	}
	return w
}()

func (gen *generator) drawCity(r *rand.Rand) *city {
	if chance(r, 0.03) {
		return &diasporaCities[gen.diasporaWeights.pick(r)]
	}
	return &romanianCities[gen.cityWeights.pick(r)]
}

func drawStreetAddress(r *rand.Rand, c *client) {
	if c.cityRef.country != "RO" {
		c.street = oneOf(r, foreignStreets[c.cityRef.country])
		c.houseNo = between(r, 1, 240)
		return
	}
	c.street = oneOf(r, romanianStreets)
	c.houseNo = between(r, 1, 180)
	// Most urban Romanians live in blocks of flats (more so in Bucharest).
	pFlat := 0.7
	if c.cityRef.name == "București" {
		pFlat = 0.85
	}
	if chance(r, pFlat) {
		c.flat = [4]int{between(r, 1, 60), between(r, 1, 4), between(r, 0, 10), between(r, 1, 120)}
	}
}

// applyDemoCouple makes group 0 the demo family: Ana (client 1, the rich
// demo client) and her husband Mihai (client 2), married, two children,
// in Bucharest, advised by Maria Ionescu.
func (gen *generator) applyDemoCouple(ana, mihai *client) {
	ana.origin, mihai.origin = &romanianNames, &romanianNames
	ana.family = name{"Popescu", "popescu"}
	mihai.family = ana.family
	ana.age, mihai.age = 38, 40
	ana.marital, mihai.marital = "married", "married"
	ana.dependants, mihai.dependants = 2, 2
	ana.cityRef, mihai.cityRef = &romanianCities[0], &romanianCities[0]
	ana.street, mihai.street = "Strada Florilor", "Strada Florilor"
	ana.houseNo, mihai.houseNo = 12, 12
	ana.flat, mihai.flat = [4]int{4, 2, 3, 14}, [4]int{4, 2, 3, 14}
	ana.advisorPick, mihai.advisorPick = DemoAdvisorID, DemoAdvisorID
	ana.advised, mihai.advised = true, true
	gen.grp.together = gen.asOf.addMonths(-12 * 12)
	gen.grp.jointHolder = true
}

// Employment status by age band (Eurostat LFS shares for Romania, with
// retirement mostly at 60-65 and students up to about 24).
func drawEmployment(r *rand.Rand, age int) string {
	statuses := []string{"employed", "self_employed", "unemployed", "retired", "student", "homemaker"}
	var w weights
	switch {
	case age < 25:
		w = weights{35, 3, 7, 0, 55, 0}
	case age < 35:
		w = weights{78, 9, 6, 0, 3, 4}
	case age < 55:
		w = weights{78, 11, 5, 0, 0, 6}
	case age < 65:
		w = weights{60, 8, 5, 22, 0, 5}
	default:
		w = weights{3, 4, 0, 93, 0, 0}
	}
	return statuses[w.pick(r)]
}

// careerFactor is the income of an age relative to the median worker:
// earnings rise to the mid-40s and flatten (a typical Mincer profile).
func careerFactor(age int) float64 {
	switch {
	case age < 25:
		return 0.65
	case age < 30:
		return 0.85
	case age < 35:
		return 0.98
	case age < 45:
		return 1.08
	case age < 55:
		return 1.1
	case age < 65:
		return 1.05
	}
	return 0.95
}

// Exchange rates used to express RON-calibrated amounts in other
// currencies (round 2024-25 levels), in RON per unit.
const (
	ronPerEUR = 4.97
	ronPerUSD = 4.60
)

func ronPer(currency string) float64 {
	switch currency {
	case "EUR":
		return ronPerEUR
	case "USD":
		return ronPerUSD
	}
	return 1
}

// buildProfile draws the client's own attributes: name, dates, employment,
// income, wealth, segment, KYC, channel preferences.
func (gen *generator) buildProfile(c *client) {
	r := gen.rand(streamProfile, uint64(c.index))
	if c.female {
		c.given = oneOf(r, c.origin.female)
	} else {
		c.given = oneOf(r, c.origin.male)
	}
	if c.id == DemoClientID+1 {
		c.given = name{"Mihai", "mihai"} // Ana Popescu's husband
	}
	c.abroad = c.cityRef.country != "RO"
	c.currency = "RON"
	if c.abroad {
		c.currency = "EUR"
	}
	// Born on a random day of the year that gives the drawn age today.
	c.birth = gen.asOf.addMonths(-12*(c.age+1)) + day(1+r.IntN(365))
	c.age = yearsBetween(c.birth, gen.asOf)
	if c.marital == "" {
		c.marital = drawMarital(r, c.age)
	}

	c.employment = drawEmployment(r, c.age)
	if c.isChild() {
		c.employment = "student"
		if c.age >= 23 && chance(r, 0.4) {
			c.employment = "employed"
		}
	}
	// Incomes are log-normal around an occupation- and age-specific median;
	// the median employee earns about 60,000 RON gross a year (INS 2024
	// average gross wage ~8,000 RON/month, median lower).
	var median, sigma, netShare float64
	switch c.employment {
	case "employed":
		c.job = occupations.pick(r)
		median, sigma, netShare = 60_000*c.job.factor*careerFactor(c.age), 0.42, 0.585
		c.employer = oneOf(r, employerNames[c.job.sector])
	case "self_employed":
		c.job = oneOf(r, selfEmployedTrades)
		median, sigma, netShare = 62_000*c.job.factor*careerFactor(c.age), 0.8, 0.7
		c.employer = c.given.text + " " + c.family.text + " PFA"
	case "retired":
		c.job = occupation{title: "Retired"}
		median, sigma, netShare = 28_000, 0.45, 0.95
	case "student":
		c.job = occupation{title: "Student"}
		c.employer = oneOf(r, universities)
		if chance(r, 0.5) {
			median, sigma, netShare = 9_000, 0.7, 0.9
		}
	case "unemployed":
		c.job = occupation{title: "Job seeker"}
		median, sigma, netShare = 9_600, 0.3, 1
	case "homemaker":
		c.job = occupation{title: "Homemaker"}
	}
	c.incomeCurrency = c.currency
	if median > 0 {
		if c.abroad {
			median = median * 2.3 / ronPerEUR // wages in the EU destination countries
		}
		c.income = roundTo(logNormal(r, median, sigma)*100, 10_000) // whole hundreds
		c.netMonthly = roundTo(float64(c.income)*netShare/12, 100)
	}
	if c.employment == "employed" && c.employer != "" {
		c.employerIBAN = gen.employerIBAN(c.employer)
	}

	// Liquid wealth grows with age (savings accumulate through working life
	// and are drawn down slowly); log-normal with a wide spread, since
	// wealth is far more unequal than income.
	wealthMultiple := []float64{0.08, 0.3, 0.6, 1.0, 1.6, 2.2}[min(5, max(0, (c.age-15)/10))]
	base := math.Max(float64(c.income), 24_000*100/ronPer(c.currency))
	c.wealth = roundTo(base*logNormal(r, wealthMultiple, 1.1), 100)
	c.segment = segmentOf(float64(c.income)*ronPer(c.currency)/100, float64(c.wealth)*ronPer(c.currency)/100)

	// Tenure: exponential with mean 8 years, never before 18.
	tenureDays := int(math.Min(-math.Log(1-r.Float64())*8*365, float64(min(30, c.age-18)*365)))
	c.since = gen.asOf - day(tenureDays+1)

	switch {
	case gen.asOf-c.since < 45 && chance(r, 0.6):
		c.kycStatus = "pending"
	default:
		c.kycStatus = choice[string]{values: []string{"verified", "expired", "pending", "rejected"},
			weights: weights{95.5, 3, 1, 0.5}}.pick(r)
	}
	switch c.kycStatus {
	case "verified": // periodic review every three years
		d := max(c.since, gen.asOf-day(r.IntN(3*365)))
		c.kycAt = d.businessDay().at(7+r.IntN(9), r.IntN(60), r.IntN(60))
	case "expired":
		c.kycAt = c.since.businessDay().at(7+r.IntN(9), r.IntN(60), r.IntN(60))
	}

	// Vulnerability (EBA/FCA notion: age, health, bereavement, income
	// shock): a base rate near 2 %, much higher from 80.
	pVulnerable := 0.02
	if c.age >= 80 {
		pVulnerable += 0.13
	}
	if c.employment == "unemployed" {
		pVulnerable += 0.03
	}
	if c.marital == "widowed" && c.age >= 70 {
		pVulnerable += 0.02
	}
	c.vulnerable = chance(r, pVulnerable)

	if c.advised || c.segment == "affluent" || c.segment == "private" {
		c.advisorID = c.advisorPick
	}
	c.channel = drawChannel(r, c.age, c.segment)
	c.language = "ro"
	if c.abroad && chance(r, 0.4) || c.origin != &romanianNames && chance(r, 0.3) {
		c.language = "en"
	}
	c.riskAppetite = math.Max(0.02, math.Min(0.98, 0.8-0.009*float64(c.age-25)+0.15*r.NormFloat64()+
		0.08*math.Log10(math.Max(1, float64(c.income)/100/60_000)+1)))

	if c.id == DemoClientID {
		gen.applyDemoClient(c)
	}
}

// segmentOf classifies by yearly income and liquid wealth in RON. The
// thresholds (about EUR 20k / 60k / 200k of assets) give the usual retail
// pyramid: about 70 % mass, 20 % emerging affluent, 8 % affluent, 1-2 % private.
func segmentOf(incomeRON, wealthRON float64) string {
	switch {
	case wealthRON >= 1_000_000 || incomeRON >= 600_000:
		return "private"
	case wealthRON >= 300_000 || incomeRON >= 200_000:
		return "affluent"
	case wealthRON >= 100_000 || incomeRON >= 110_000:
		return "emerging_affluent"
	}
	return "mass"
}

// Preferred channel shifts from web and e-mail for the young to phone and
// branch visits for the old; fax survives among a few private clients.
func drawChannel(r *rand.Rand, age int, segment string) string {
	if chance(r, 0.003) || segment == "private" && chance(r, 0.02) {
		return "fax"
	}
	channels := []string{"web", "email", "sms", "phone", "visit", "mail"}
	var w weights
	switch {
	case age < 35:
		w = weights{40, 28, 14, 12, 5, 1}
	case age < 60:
		w = weights{28, 27, 10, 22, 10, 3}
	default:
		w = weights{10, 10, 3, 36, 27, 14}
	}
	return channels[w.pick(r)]
}

// applyDemoClient fixes Ana Popescu's profile, which demos and tests rely on.
func (gen *generator) applyDemoClient(c *client) {
	c.given = name{"Ana", "ana"}
	c.female = true
	c.birth = gen.asOf.addMonths(-12*38) - 120
	c.age = yearsBetween(c.birth, gen.asOf)
	c.employment = "employed"
	c.job = occupation{"Product manager", 1.6, sectorIT}
	c.employer = "Carpați Software SRL"
	c.employerIBAN = gen.employerIBAN(c.employer)
	c.income, c.incomeCurrency, c.currency = 14_400_000, "RON", "RON" // 144,000 RON a year
	c.netMonthly = 702_000
	c.wealth = 42_000_000
	c.segment = "affluent"
	c.since = gen.asOf.addMonths(-12 * 9)
	c.kycStatus = "verified"
	c.kycAt = gen.asOf.addMonths(-14).businessDay().at(9, 30, 0)
	c.vulnerable = false
	c.advisorID = DemoAdvisorID
	c.channel = "web"
	c.language = "ro"
	c.riskAppetite = 0.7
	c.abroad = false
}

// appendEmail writes the client's address. The client id, scrambled by a
// multiplication modulo a power of ten, makes every address unique without
// a global lookup, and reads like the digits people add to their names.
func (gen *generator) appendEmail(b []byte, r *rand.Rand, c *client) []byte {
	pattern, domain := r.IntN(5), emailDomains.pick(r)
	if c.id == DemoClientID {
		return append(b, DemoClientEmail...)
	}
	switch pattern {
	case 0, 1:
		b = append(append(append(b, c.given.ascii...), '.'), c.family.ascii...)
	case 2:
		b = append(append(append(b, c.family.ascii...), '.'), c.given.ascii...)
	case 3:
		b = append(append(append(b, c.given.ascii[0]), '.'), c.family.ascii...)
	default:
		b = append(append(b, c.given.ascii...), c.family.ascii...)
	}
	b = strconv.AppendInt(b, (c.id*7919)%gen.emailModulus, 10)
	b = append(b, '@')
	return append(b, domain...)
}

// hasEmail: almost everyone under 50 has an address; many of the oldest do not.
func hasEmail(r *rand.Rand, c *client) bool {
	p := 1.0
	switch {
	case c.age >= 70:
		p = 0.65
	case c.age >= 50:
		p = 0.9
	}
	return chance(r, p) || c.id == DemoClientID
}

// appendPhone writes a mobile number in the international format of the
// client's country (Romanian mobiles are +40 7xx xxx xxx).
func appendPhone(b []byte, r *rand.Rand, country string) []byte {
	digits := func(n int) {
		for range n {
			b = append(b, byte('0'+r.IntN(10)))
		}
	}
	switch country {
	case "ES":
		b = append(b, "+34 6"...)
		digits(2)
		b = append(b, ' ')
		digits(3)
		b = append(b, ' ')
		digits(3)
	case "IT":
		b = append(b, "+39 3"...)
		digits(2)
		b = append(b, ' ')
		digits(7)
	case "GB":
		b = append(b, "+44 7"...)
		digits(3)
		b = append(b, ' ')
		digits(6)
	case "DE":
		b = append(b, "+49 15"...)
		digits(1)
		b = append(b, ' ')
		digits(8)
	case "FR":
		b = append(b, "+33 6 "...)
		digits(2)
		b = append(b, ' ')
		digits(2)
		b = append(b, ' ')
		digits(2)
		b = append(b, ' ')
		digits(2)
	case "AT":
		b = append(b, "+43 664 "...)
		digits(7)
	default:
		b = append(b, "+40 7"...)
		b = append(b, "2345678"[r.IntN(7)])
		digits(1)
		b = append(b, ' ')
		digits(3)
		b = append(b, ' ')
		digits(3)
	}
	return b
}

// appendPostalCode writes a postal code in the country's format; Romanian
// codes are six digits whose first ones name the county (0 + sector for
// Bucharest).
func appendPostalCode(b []byte, draw uint64, home *city) []byte {
	next := func(n uint64) uint64 {
		v := draw % n
		draw /= n
		return v
	}
	digits := func(n int) {
		for range n {
			b = append(b, byte('0'+next(10)))
		}
	}
	switch {
	case home.country == "GB":
		b = append(b, []string{"E1", "N7", "SE15", "W5", "NW3", "SW11"}[next(6)]...)
		b = append(b, ' ', byte('1'+next(9)), byte('A'+next(26)), byte('A'+next(26)))
	case home.name == "București":
		b = append(b, '0', byte('1'+next(6)))
		digits(4)
	case home.country == "RO":
		b = append(b, home.postal...)
		digits(6 - len(home.postal))
	case home.country == "AT":
		b = append(b, home.postal...)
		digits(3)
	default:
		b = append(b, home.postal...)
		digits(5 - len(home.postal))
	}
	return b
}
