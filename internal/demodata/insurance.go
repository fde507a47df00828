package demodata

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// policy is an insurance policy of the client. premium is the amount of
// one instalment (per premium_frequency), not a yearly figure.
type policy struct {
	id           int64
	line         string
	insurerIndex int
	insurer      string
	starts, ends day
	sumInsured   int64
	premium      int64
	currency     string
	frequency    string
	shortTerm    bool
	quoted       bool
	cancelOn     day // noDay unless the client cancels
	payer        int // 0 pays on time, 1 is sometimes late, 2 often misses
	method       string
	createdAt    instant

	// Set by schedulePremiums.
	status   string
	lapsedOn day
}

var lineCodes = map[string]string{"life": "LIF", "health": "HLT", "home": "HOM", "motor": "MOT", "travel": "TRV", "liability": "LIA", "accident": "ACC"}

// appendNumber writes the policy number: insurer prefix, line code and the
// policy id (unique by construction), e.g. CRP-HOM-00001234.
func (p *policy) appendNumber(b []byte) []byte {
	b = append(b, insurers[p.insurerIndex].prefix...)
	b = append(b, '-')
	b = append(b, lineCodes[p.line]...)
	b = append(b, '-')
	return appendPadded(b, p.id, 8)
}

func frequencyMonths(f string) int {
	switch f {
	case "monthly":
		return 1
	case "quarterly":
		return 3
	case "semiannual":
		return 6
	case "annual":
		return 12
	}
	return 0 // single
}

// drawPolicies decides the client's insurance: motor liability (RCA, often
// bought for 1, 6 or 12 months and renewed), home, life (more with
// dependants and a mortgage, which usually requires it), health, travel
// (short trips or yearly multi-trip cover, in EUR), professional liability
// for the self-employed and personal accident, with earlier terms of
// renewed policies kept as expired history.
func (gen *generator) drawPolicies(c *client) {
	r := gen.rand(streamInsurance, uint64(c.index))
	asOf := gen.asOf
	insurer := r.IntN(len(insurers)) // clients mostly stay with one insurer
	hasMortgage := false
	var mortgage int64
	for i := range c.lines {
		if l := &c.lines[i]; l.kind == "mortgage" && l.opened.addMonths(l.term) > asOf {
			hasMortgage, mortgage = true, l.limit*int64(math.Round(ronPer(l.currency)*100))/100
		}
	}
	add := func(line string, starts day, months int, frequency string, annualRON, sumRON float64, currency string) *policy {
		c.policies = append(c.policies, policy{line: line, insurerIndex: insurer, starts: starts,
			ends: starts.addMonths(months), currency: currency, frequency: frequency, cancelOn: noDay, lapsedOn: noDay})
		p := &c.policies[len(c.policies)-1]
		gen.counters.policies++
		p.id = gen.counters.policies
		p.insurer = insurers[insurer].name
		p.shortTerm = months <= 12
		p.sumInsured = max(100, roundTo(sumRON/ronPer(currency)*100, 100_000))
		perYear := max(1, 12/max(1, frequencyMonths(frequency)))
		if frequency == "single" {
			// One premium for the whole term; cover for less than a year
			// costs more per month (up to +60 % for one month).
			perYear = 1
			annualRON *= float64(months) / 12 * (1 + 0.6*float64(12-min(months, 12))/11)
		}
		p.premium = max(100, roundTo(annualRON/float64(perYear)/ronPer(currency)*100, 1))
		p.payer = weights{90, 8, 2}.pick(r)
		p.method = choice[string]{values: []string{"direct_debit", "card", "transfer", "cash"}, weights: weights{45, 25, 25, 5}}.pick(r)
		p.createdAt = (starts - day(between(r, 1, 20))).at(8+r.IntN(10), r.IntN(60), r.IntN(60))
		return p
	}
	// renewals adds the current term and up to `previous` earlier ones,
	// back to back, sometimes with another insurer.
	renewals := func(line string, months, previous int, frequency func() string, annualRON, sumRON float64, currency string) {
		current := asOf - day(r.IntN(max(1, months*30)))
		start := current.addMonths(-months * previous)
		for k := 0; k <= previous; k++ {
			s := start.addMonths(k * months)
			if s < c.since-365 {
				continue
			}
			if chance(r, 0.2) {
				insurer = r.IntN(len(insurers))
			}
			p := add(line, s, months, frequency(), annualRON*(1+0.05*r.NormFloat64()), sumRON, currency)
			if k == previous && months >= 12 && chance(r, 0.03) {
				p.cancelOn = s + day(r.IntN(max(1, int(asOf-s))))
			}
		}
	}
	pick := func(values []string, w weights) func() string {
		return func() string { return values[w.pick(r)] }
	}

	if c.id == DemoClientID {
		home := add("home", asOf.addMonths(-5), 12, "annual", 420, 520_000, "RON")
		home.payer, home.method = 0, "direct_debit"
		life := add("life", asOf.addMonths(-62), 240, "monthly", 1_560, 380_000, "RON")
		life.payer, life.method = 0, "direct_debit"
		trip := add("travel", asOf.addMonths(-3), 1, "single", 15*ronPerEUR*12, 50_000*ronPerEUR, "EUR") // a 24 EUR trip
		trip.payer, trip.method = 0, "card"
		return
	}

	working := c.employment == "employed" || c.employment == "self_employed" || c.employment == "retired"
	pCar := 0.1
	switch {
	case c.abroad:
		pCar = 0
	case c.age >= 25 && c.age <= 75 && working:
		pCar = 0.5
	case c.age < 25:
		pCar = 0.2
	}
	if chance(r, pCar) {
		months := []int{12, 6, 1}[weights{60, 30, 10}.pick(r)]
		premium := logNormal(r, 900, 0.35)
		if c.age < 25 {
			premium *= 1.6 // young drivers pay more for RCA
		}
		frequency := pick([]string{"single"}, weights{1})
		if months == 12 {
			frequency = pick([]string{"annual", "semiannual", "quarterly"}, weights{50, 30, 20})
		}
		renewals("motor", months, min(3, 24/months, between(r, 0, 3)), frequency, premium, 6_450_000, "RON")
	}
	pHome := 0.0
	if c.age >= 28 && !c.abroad {
		pHome = 0.35
	}
	if hasMortgage {
		pHome = 0.95 // lenders require the property insured
	}
	if chance(r, pHome) {
		currency := "RON"
		if chance(r, 0.3) {
			currency = "EUR"
		}
		renewals("home", 12, r.IntN(2), pick([]string{"annual", "semiannual", "quarterly", "monthly"}, weights{70, 15, 10, 5}),
			logNormal(r, 350, 0.4), logNormal(r, 350_000, 0.4), currency)
	}
	pLife := 0.0
	if c.age >= 20 && c.age <= 65 {
		pLife = 0.06
		if c.dependants > 0 {
			pLife += 0.12
		}
		if hasMortgage {
			pLife += 0.45
		}
	}
	if chance(r, pLife) {
		sum := logNormal(r, 150_000, 0.5)
		if hasMortgage {
			sum = float64(mortgage) / 100
		}
		annual := sum * 0.0035 * math.Exp(float64(c.age-35)/18)
		starts := max(c.since, asOf-day(r.IntN(4*365)))
		add("life", starts, 12*between(r, 10, 25), []string{"monthly", "quarterly", "annual"}[weights{50, 15, 35}.pick(r)], annual, sum, "RON")
	}
	pHealth := 0.08
	if c.employment == "employed" {
		pHealth = 0.14
	}
	if chance(r, pHealth) {
		renewals("health", 12, r.IntN(2), pick([]string{"monthly", "annual"}, weights{60, 40}),
			logNormal(r, 2_400, 0.35), 100_000, "RON")
	}
	pTravel := 0.1 + 0.1*math.Min(1, float64(c.income)*ronPer(c.incomeCurrency)/100/120_000)
	if chance(r, pTravel) {
		trips := between(r, 1, 3)
		for range trips {
			if chance(r, 0.3) {
				starts := asOf - day(r.IntN(3*365))
				add("travel", starts, 12, "single", logNormal(r, 75, 0.3)*ronPerEUR, 100_000*ronPerEUR, "EUR")
			} else {
				starts := asOf - day(r.IntN(3*365))
				add("travel", starts, 1, "single", logNormal(r, 25, 0.4)*ronPerEUR*12, 30_000*ronPerEUR, "EUR")
			}
		}
	}
	pLiability := 0.02
	if c.employment == "self_employed" {
		pLiability = 0.4
	}
	if chance(r, pLiability) {
		renewals("liability", 12, r.IntN(2), pick([]string{"annual"}, weights{1}), logNormal(r, 900, 0.6),
			200_000+800_000*r.Float64(), "RON")
	}
	if chance(r, 0.05) {
		renewals("accident", 12, r.IntN(2), pick([]string{"annual", "quarterly"}, weights{70, 30}),
			logNormal(r, 220, 0.3), 50_000, "RON")
	}
	if chance(r, 0.02) { // a quote the client has not accepted yet
		line := []string{"home", "life", "health", "travel", "motor"}[r.IntN(5)]
		p := add(line, asOf+day(between(r, 5, 30)), 12, "annual", logNormal(r, 600, 0.5), 200_000, "RON")
		p.quoted = true
	}
}

// instalment is one premium due on a policy and how it was paid.
type instalment struct {
	id     int64
	due    day
	amount int64
	status string
	paid   bool
	paidAt instant
	method string
}

// Payment behaviour per payer type: probability that an instalment is paid
// late, and that it is missed (most policyholders pay on time; a few
// habitually do not, and their policies lapse).
var payerBehaviour = [3]struct{ late, missed float64 }{{0.02, 0.003}, {0.15, 0.03}, {0.25, 0.15}}

// schedulePremiums walks each policy's premium schedule up to AsOf plus
// the next instalment due, deciding payment dates and statuses, and sets
// the policy's status: two missed instalments in a row lapse a policy.
// fn (which may be nil) sees every instalment in order.
func (gen *generator) schedulePremiums(c *client, fn func(p *policy, inst *instalment)) {
	r := gen.rand(streamPremiums, uint64(c.index))
	asOf := gen.asOf
	for pi := range c.policies {
		p := &c.policies[pi]
		p.status, p.lapsedOn = "active", noDay
		if p.quoted {
			p.status = "quoted"
			continue
		}
		step := frequencyMonths(p.frequency)
		behaviour := payerBehaviour[p.payer]
		missedInRow := 0
		for k := 0; ; k++ {
			due := p.starts.addMonths(k * step)
			if k > 0 && step == 0 || due >= p.ends || p.cancelOn != noDay && due >= p.cancelOn {
				break
			}
			inst := instalment{due: due, amount: p.premium, method: p.method}
			if due > asOf {
				inst.status = "scheduled"
				if fn != nil {
					fn(p, &inst)
				}
				break
			}
			pMissed := behaviour.missed
			if missedInRow > 0 {
				pMissed = 0.6
			}
			switch u := r.Float64(); {
			case p.line == "life" && u < 0.002:
				inst.status = "waived"
			case u < pMissed:
				inst.status = "missed"
			case u < pMissed+behaviour.late:
				inst.paidAt = (due + day(between(r, 8, 45))).at(8+r.IntN(10), r.IntN(60), r.IntN(60))
				inst.paid = inst.paidAt.day() <= asOf
				// An instalment paid after its due date is "paid" (the
				// payment's date shows it was late); "late" means overdue
				// and still unpaid on the as-of date.
				inst.status = "late"
				if inst.paid {
					inst.status = "paid"
				}
			default:
				inst.status = "paid"
				early := 0
				if p.method != "direct_debit" {
					early = r.IntN(8)
				}
				inst.paidAt = (due - day(early)).at(6+r.IntN(12), r.IntN(60), r.IntN(60))
				inst.paid = true
			}
			if inst.status == "missed" {
				missedInRow++
			} else {
				missedInRow = 0
			}
			if fn != nil {
				fn(p, &inst)
			}
			if missedInRow == 2 || step == 0 && missedInRow == 1 {
				p.status, p.lapsedOn = "lapsed", due+30
				break
			}
		}
		switch {
		case p.status == "lapsed":
		case p.cancelOn != noDay && p.cancelOn <= asOf:
			p.status = "cancelled"
		case p.ends <= asOf:
			p.status = "expired"
		}
	}
}

var policyColumns = []string{
	"id", "client_id", "policy_number", "insurer", "line", "status", "starts_on", "ends_on", "sum_insured",
	"premium", "currency", "premium_frequency", "short_term", "created_at",
}

func (gen *generator) writePolicies(w *rowWriter) error {
	return gen.forEachGroup(w, needPolicies, func(grp *group) {
		for _, c := range grp.members {
			gen.schedulePremiums(c, nil)
			for i := range c.policies {
				p := &c.policies[i]
				w.row(len(policyColumns))
				w.int8(p.id)
				w.int8(c.id)
				start := w.beginText()
				w.buf = p.appendNumber(w.buf)
				w.endText(start)
				w.text(p.insurer)
				w.text(p.line)
				w.text(p.status)
				w.date(p.starts)
				w.date(p.ends)
				w.money(p.sumInsured)
				w.money(p.premium)
				w.text(p.currency)
				w.text(p.frequency)
				w.bool(p.shortTerm)
				w.timestamptz(p.createdAt)
			}
		}
	})
}

var instalmentColumns = []string{"id", "policy_id", "client_id", "due_on", "amount", "currency", "status"}

func (gen *generator) writeInstalments(w *rowWriter) error {
	return gen.forEachGroup(w, needPolicies, func(grp *group) {
		for _, c := range grp.members {
			gen.schedulePremiums(c, func(p *policy, inst *instalment) {
				gen.counters.instalments++
				w.row(len(instalmentColumns))
				w.int8(gen.counters.instalments)
				w.int8(p.id)
				w.int8(c.id)
				w.date(inst.due)
				w.money(inst.amount)
				w.text(p.currency)
				w.text(inst.status)
			})
		}
	})
}

var paymentColumns = []string{"id", "instalment_id", "policy_id", "client_id", "paid_at", "amount", "currency", "method"}

func (gen *generator) writePremiumPayments(w *rowWriter) error {
	return gen.forEachGroup(w, needPolicies, func(grp *group) {
		for _, c := range grp.members {
			gen.schedulePremiums(c, func(p *policy, inst *instalment) {
				gen.counters.instalments++
				if !inst.paid {
					return
				}
				gen.counters.payments++
				w.row(len(paymentColumns))
				w.int8(gen.counters.payments)
				w.int8(gen.counters.instalments)
				w.int8(p.id)
				w.int8(c.id)
				w.timestamptz(inst.paidAt)
				w.money(inst.amount)
				w.text(p.currency)
				w.text(inst.method)
			})
		}
	})
}

// Claims ----------------------------------------------------------------------

// Yearly claim frequency and median claim by line (motor and home claims
// are frequent and modest; life claims rare and large).
var claimProfiles = map[string]struct {
	perYear, median float64
	descriptions    []string
}{
	"motor":     {0.06, 4_000, []string{"Rear-end collision at traffic lights", "Parking damage to another vehicle", "Side collision at a roundabout", "Damage to a third-party fence"}},
	"home":      {0.04, 6_000, []string{"Water leak from the flat above", "Burst pipe in the bathroom", "Storm damage to the roof", "Burglary, electronics stolen", "Short circuit, kitchen fire"}},
	"health":    {0.25, 1_500, []string{"Outpatient consultation and tests", "Day surgery", "Physiotherapy sessions", "Hospital stay, 3 nights"}},
	"travel":    {0.04, 3_500, []string{"Medical treatment abroad", "Lost luggage", "Flight cancelled, trip interrupted"}},
	"life":      {0.004, 60_000, []string{"Critical illness diagnosis", "Permanent disability after accident"}},
	"liability": {0.03, 10_000, []string{"Client claims professional error", "Third-party injury on premises"}},
	"accident":  {0.05, 3_000, []string{"Fractured wrist after a fall", "Sports injury, knee ligament"}},
}

var claimColumns = []string{
	"id", "policy_id", "client_id", "reference", "incident_on", "reported_at", "description", "claimed_amount",
	"approved_amount", "paid_amount", "currency", "status", "rejection_reason", "updated_at",
}

// claimRejections are the reasons a seeded rejected claim gives (the
// handler's words, as staff write them).
var claimRejections = []string{
	"The damage happened before the policy started.",
	"The loss is excluded by the policy terms (wear and tear).",
	"The documents sent do not show the loss claimed.",
}

func (gen *generator) writeClaims(w *rowWriter) error {
	return gen.forEachGroup(w, needPolicies, func(grp *group) {
		for _, c := range grp.members {
			if len(c.policies) == 0 {
				continue
			}
			gen.schedulePremiums(c, nil)
			r := gen.rand(streamClaims, uint64(c.index))
			for i := range c.policies {
				gen.writePolicyClaims(w, r, c, &c.policies[i])
			}
		}
	})
}

func (gen *generator) writePolicyClaims(w *rowWriter, r *rand.Rand, c *client, p *policy) {
	profile := claimProfiles[p.line]
	end := min(p.ends, gen.asOf-1)
	if p.lapsedOn != noDay {
		end = min(end, p.lapsedOn)
	}
	if p.cancelOn != noDay {
		end = min(end, p.cancelOn)
	}
	if p.quoted || end <= p.starts {
		return
	}
	years := float64(end-p.starts) / 365
	for range min(3, poisson(r, profile.perYear*years)) {
		incident := p.starts + day(r.IntN(int(end-p.starts)))
		// Reported at least a day after the incident (so the reported date
		// is on or after it in any time zone) and not after AsOf.
		reportedDay := min(incident+day(between(r, 1, 20)), gen.asOf)
		if reportedDay <= incident {
			continue
		}
		reported := reportedDay.at(7+r.IntN(10), r.IntN(60), r.IntN(60))
		age := gen.asOf - reportedDay
		// The statuses a claimant is told (migration 00048): a claim
		// settles into paid or rejected within about six weeks.
		var status string
		switch {
		case age < 10:
			status = "received"
		case age < 45:
			status = []string{"in_review", "approved", "rejected", "more_info_needed"}[weights{50, 30, 10, 10}.pick(r)]
		default:
			status = []string{"paid", "rejected"}[weights{90, 10}.pick(r)]
		}
		claimed := max(10_000, roundTo(logNormal(r, profile.median, 0.8)/ronPer(p.currency)*100, 100))
		claimed = min(claimed, p.sumInsured)
		approved := roundTo(float64(claimed)*(0.6+0.4*r.Float64()), 100)
		gen.counters.claims++
		w.row(len(claimColumns))
		w.int8(gen.counters.claims)
		w.int8(p.id)
		w.int8(c.id)
		start := w.beginText()
		y, _, _ := reportedDay.date()
		w.buf = append(strconv.AppendInt(append(w.buf, "CLM-"...), int64(y), 10), '-')
		w.buf = appendPadded(w.buf, gen.counters.claims, 8)
		w.endText(start)
		w.date(incident)
		w.timestamptz(reported)
		w.text(oneOf(r, profile.descriptions))
		w.money(claimed)
		hasApproval := status == "approved" || status == "paid"
		w.numericOrNull(approved, 2, hasApproval)
		w.numericOrNull(approved, 2, status == "paid")
		w.text(p.currency)
		w.text(status)
		if status == "rejected" {
			w.text(oneOf(r, claimRejections))
		} else {
			w.null()
		}
		updated := min(gen.asOf, reportedDay+day(min(int(age), between(r, 0, 40))))
		w.timestamptz(max(reported, updated.at(15, r.IntN(60), 0)))
	}
}
