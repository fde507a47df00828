package demodata

import (
	"strconv"
)

// Suitability assessments (what the offer gate reads before it offers an
// investment product) and objections to direct marketing.

var assessmentColumns = []string{"client_id", "risk_class", "loss_capacity", "loss_capacity_currency", "knowledge", "objective",
	"horizon_months", "questionnaire_version", "source", "assessed_by", "assessed_at"}

// Questionnaire versions by the day they were introduced.
var questionnaires = []struct {
	from    day
	version string
}{
	{dayOf(2018, 1, 3), "mifid-2018.1"}, // MiFID II applies
	{dayOf(2022, 8, 2), "mifid-2022.2"}, // sustainability preferences added
	{dayOf(2025, 2, 1), "mifid-2025.1"},
}

func questionnaireAt(d day) string {
	v := questionnaires[0].version
	for _, q := range questionnaires {
		if d >= q.from {
			v = q.version
		}
	}
	return v
}

// writeAssessments gives every client with an investment account, and a
// quarter of the wealthier others, a suitability assessment drawn from
// their risk appetite, age and wealth; some were re-assessed, some are
// older than the three-year review cycle (the gate treats them as missing).
func (gen *generator) writeAssessments(w *rowWriter) error {
	return gen.forEachGroup(w, needProfile|needAccounts, func(grp *group) {
		for _, c := range grp.members {
			gen.writeClientAssessments(w, c)
		}
	})
}

func (gen *generator) writeClientAssessments(w *rowWriter, c *client) {
	r := gen.rand(streamSuitability, uint64(c.index))
	invests := false
	for _, a := range c.accounts {
		invests = invests || a.kind == "brokerage"
	}
	if c.age < 18 || !(invests || (c.segment != "mass" && chance(r, 0.25))) {
		return
	}
	risk := min(7, max(1, int(1.5+6*c.riskAppetite)))
	objective := "growth"
	switch {
	case c.riskAppetite < 0.3:
		objective = "preservation"
	case c.riskAppetite < 0.55:
		objective = "income"
	}
	horizon := 24 + 12*r.IntN(4)
	switch {
	case c.age < 40:
		horizon = 120 + 12*r.IntN(11)
	case c.age < 60:
		horizon = 60 + 12*r.IntN(6)
	}
	level := func(p float64, high string) string {
		switch {
		case c.riskAppetite >= p+0.15:
			return high
		case c.riskAppetite >= p:
			return "basic"
		}
		return "none"
	}
	knowledge := map[string]string{
		"equity":     level(0.3, "informed"),
		"leveraged":  level(0.75, "informed"),
		"fund":       level(0.1, "informed"),
		"etf":        level(0.35, "informed"),
		"bond":       level(0.25, "informed"),
		"structured": level(0.55, "informed"),
		"option":     level(0.7, "advanced"),
	}
	// The loss the client can bear: a share of liquid wealth growing with
	// appetite (10 % to 50 %).
	capacity := int64(float64(c.wealth) * (0.1 + 0.4*c.riskAppetite))
	currency := c.currency
	at := gen.asOf - day(7+r.IntN(900))
	if chance(r, 0.08) {
		at = gen.asOf - day(1100+r.IntN(500)) // overdue for review
	}
	if c.id == DemoClientID {
		// Ana's assessment is due for review (older than the two-year
		// cycle, within the gate's three): the portal asks her to take the
		// questionnaire again, and until she does the gate still counts it.
		risk, objective, horizon, capacity, currency, at = 5, "growth", 120, 4_000_000, "EUR", gen.asOf-800
		knowledge = map[string]string{"equity": "informed", "fund": "informed", "etf": "informed", "bond": "informed",
			"structured": "basic", "leveraged": "none", "option": "none"}
	}
	at = max(at, c.since)
	if at > gen.asOf {
		return
	}
	write := func(risk int, objective string, horizon int, capacity int64, at day) {
		source, staff := "questionnaire", int64(0)
		if chance(r, 0.2) {
			source, staff = "advisor", c.advisorID
			if staff == 0 {
				source = "questionnaire"
			}
		}
		w.row(len(assessmentColumns))
		w.int8(c.id)
		w.int2(int16(risk))
		w.money(capacity)
		w.text(currency)
		w.jsonb(knowledgeJSON(knowledge))
		w.text(objective)
		w.int4(int32(horizon))
		w.text(questionnaireAt(at))
		w.text(source)
		w.int8OrNull(staff)
		w.timestamptz(at.at(9+r.IntN(9), r.IntN(60), r.IntN(60)))
	}
	// A third were assessed once before, more cautiously.
	if c.id != DemoClientID && chance(r, 0.33) && at-730 > c.since {
		write(max(1, risk-1), objective, horizon, capacity*3/4, at-730)
	}
	write(risk, objective, horizon, capacity, at)
}

// knowledgeJSON writes the map in a fixed key order.
func knowledgeJSON(k map[string]string) []byte {
	b := []byte{'{'}
	for i, area := range []string{"bond", "equity", "etf", "fund", "leveraged", "option", "structured"} {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendQuote(b, area)
		b = append(b, ": "...)
		b = strconv.AppendQuote(b, k[area])
	}
	return append(b, '}')
}

var objectionColumns = []string{"client_id", "kind", "objected", "source", "staff_id", "recorded_at"}

// writeObjections: about 3 % of clients object to direct marketing; one in
// five of them later withdraws the objection.
func (gen *generator) writeObjections(w *rowWriter) error {
	return gen.forEachGroup(w, needProfile, func(grp *group) {
		for _, c := range grp.members {
			r := gen.rand(streamObjections, uint64(c.index))
			if c.id == DemoClientID || !chance(r, 0.03) {
				continue
			}
			at := c.since + day(r.IntN(max(1, int(gen.asOf-c.since))))
			row := func(objected bool, at day) {
				w.row(len(objectionColumns))
				w.int8(c.id)
				w.text("direct_marketing")
				w.bool(objected)
				w.text("portal")
				w.null()
				w.timestamptz(at.at(8+r.IntN(12), r.IntN(60), r.IntN(60)))
			}
			row(true, at)
			if chance(r, 0.2) && at < gen.asOf {
				row(false, at+day(1+r.IntN(int(gen.asOf-at))))
			}
		}
	})
}
