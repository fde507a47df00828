package demodata

import "strconv"

// Rows of households, clients and client_relationships.

var householdColumns = []string{"id", "name", "created_at"}

func (gen *generator) writeHouseholds(w *rowWriter) error {
	return gen.forEachGroup(w, needProfile, func(grp *group) {
		if grp.householdID == 0 {
			return
		}
		head := grp.members[1] // the husband's family name, as on the door
		w.row(len(householdColumns))
		w.int8(grp.householdID)
		start := w.beginText()
		w.buf = append(append(w.buf, "Familia "...), head.family.text...)
		w.endText(start)
		w.timestamptz(max(grp.members[0].since, grp.members[1].since).at(9, 0, 0))
	})
}

var clientColumns = []string{
	"id", "kind", "given_name", "family_name", "birth_date", "marital_status", "dependants",
	"annual_income", "income_currency", "employment_status", "occupation", "employer",
	"address_line1", "address_line2", "city", "postal_code", "country", "email", "email_verified",
	"phone", "preferred_channel", "preferred_language", "kyc_status", "kyc_verified_at", "vulnerable",
	"segment", "advisor_id", "household_id", "created_at", "updated_at",
}

func (gen *generator) writeClients(w *rowWriter) error {
	return gen.forEachGroup(w, needProfile, func(grp *group) {
		for _, c := range grp.members {
			gen.writeClient(w, c)
		}
	})
}

func (gen *generator) writeClient(w *rowWriter, c *client) {
	r := gen.rand(streamContactDetails, uint64(c.index))
	w.row(len(clientColumns))
	w.int8(c.id)
	w.text("client")
	w.text(c.given.text)
	w.text(c.family.text)
	w.date(c.birth)
	w.text(c.marital)
	w.int2(int16(c.dependants))
	w.money(c.income)
	w.text(c.incomeCurrency)
	w.text(c.employment)
	w.textOrNull(c.job.title)
	w.textOrNull(c.employer)

	start := w.beginText()
	switch c.cityRef.country {
	case "RO":
		w.buf = strconv.AppendInt(append(append(w.buf, c.street...), " nr. "...), int64(c.houseNo), 10)
	case "GB", "FR":
		w.buf = append(append(strconv.AppendInt(w.buf, int64(c.houseNo), 10), ' '), c.street...)
	default:
		w.buf = strconv.AppendInt(append(append(w.buf, c.street...), ' '), int64(c.houseNo), 10)
	}
	w.endText(start)
	if c.flat[0] == 0 {
		w.null()
	} else {
		start := w.beginText()
		w.buf = strconv.AppendInt(append(w.buf, "Bl. "...), int64(c.flat[0]), 10)
		w.buf = strconv.AppendInt(append(w.buf, ", Sc. "...), int64(c.flat[1]), 10)
		if c.flat[2] == 0 {
			w.buf = append(w.buf, ", Parter"...)
		} else {
			w.buf = strconv.AppendInt(append(w.buf, ", Et. "...), int64(c.flat[2]), 10)
		}
		w.buf = strconv.AppendInt(append(w.buf, ", Ap. "...), int64(c.flat[3]), 10)
		w.endText(start)
	}
	w.text(c.cityRef.name)
	start = w.beginText()
	w.buf = appendPostalCode(w.buf, c.postal, c.cityRef)
	w.endText(start)
	w.text(c.cityRef.country)

	if hasEmail(r, c) {
		start = w.beginText()
		w.buf = gen.appendEmail(w.buf, r, c)
		w.endText(start)
		w.bool(chance(r, 0.85) || c.id == DemoClientID)
	} else {
		w.null()
		w.bool(false)
	}
	start = w.beginText()
	w.buf = appendPhone(w.buf, r, c.cityRef.country)
	w.endText(start)
	w.text(c.channel)
	w.text(c.language)
	w.text(c.kycStatus)
	if c.kycAt == 0 {
		w.null()
	} else {
		w.timestamptz(c.kycAt)
	}
	w.bool(c.vulnerable)
	w.text(c.segment)
	w.int8OrNull(c.advisorID)
	w.int8OrNull(c.household)
	created := c.since.at(8+r.IntN(10), r.IntN(60), r.IntN(60))
	w.timestamptz(created)
	updated := max(c.since, gen.asOf-day(r.IntN(400))).at(8+r.IntN(10), r.IntN(60), r.IntN(60))
	w.timestamptz(max(created, updated))
}

var relationshipColumns = []string{"client_id", "related_client_id", "kind", "since"}

// writeRelationships links partners both ways (spouse or partner, and
// joint_holder when they share an account) and a grown-up child living with
// them (dependant from each parent, parent from the child). A row reads
// "related_client_id is client_id's <kind>".
func (gen *generator) writeRelationships(w *rowWriter) error {
	link := func(a, b *client, kind string, since day) {
		w.row(len(relationshipColumns))
		w.int8(a.id)
		w.int8(b.id)
		w.text(kind)
		w.date(since)
	}
	return gen.forEachGroup(w, needProfile, func(grp *group) {
		if grp.kind == groupSingles {
			return
		}
		wife, husband := grp.members[0], grp.members[1]
		kind := "spouse"
		if wife.marital == "partnership" {
			kind = "partner"
		}
		link(wife, husband, kind, grp.together)
		link(husband, wife, kind, grp.together)
		if grp.jointHolder {
			since := max(grp.together, wife.since, husband.since)
			link(wife, husband, "joint_holder", since)
			link(husband, wife, "joint_holder", since)
		}
		if grp.kind == groupFamily {
			child := grp.members[2]
			for _, parent := range []*client{wife, husband} {
				link(parent, child, "dependant", child.birth)
				link(child, parent, "parent", child.birth)
			}
		}
	})
}
