package demodata

import (
	"math/rand/v2"
	"strconv"
)

// staffMember is a user of the staff console.
type staffMember struct {
	id          int64
	displayName string
	email       string
	roles       []string
	since       day
}

// staffList is the firm's staff and the advisors clients are assigned to.
type staffList struct {
	members  []staffMember
	advisors []int64
}

// advisorCount gives one advisor per ~250 clients (a typical relationship
// manager's book in retail banking), at least 3 and at most 400.
func advisorCount(clients int) int { return min(max(3, clients/250), 400) }

// buildStaff creates the well-known demo staff (ids 1-3) and the rest of
// the advisors, compliance officers and administrators.
func buildStaff(seed int64, clients int, asOf day) staffList {
	src := newRandSource()
	advisors := advisorCount(clients)
	compliance := 1 + advisors/40
	admins := 1 + advisors/100
	s := staffList{}
	used := map[string]bool{}
	add := func(displayName, email string, role string, since day) {
		id := int64(len(s.members) + 1)
		used[email] = true
		s.members = append(s.members, staffMember{id: id, displayName: displayName, email: email, roles: []string{role}, since: since})
		if role == "advisor" {
			s.advisors = append(s.advisors, id)
		}
	}
	add("Maria Ionescu", DemoAdvisorEmail, "advisor", asOf.addMonths(-12*11))
	add("Andrei Stan", DemoComplianceEmail, "compliance", asOf.addMonths(-12*7))
	add("Elena Dobre", DemoAdminEmail, "admin", asOf.addMonths(-12*5))
	role := func(i int) string {
		switch {
		case i < advisors-1:
			return "advisor"
		case i < advisors-1+compliance-1:
			return "compliance"
		}
		return "admin"
	}
	for i := range advisors - 1 + compliance - 1 + admins - 1 {
		r := src.at(seed, streamStaff, uint64(i))
		var given name
		if r.IntN(2) == 0 {
			given = oneOf(r, romanianNames.female)
		} else {
			given = oneOf(r, romanianNames.male)
		}
		family := oneOf(r, romanianNames.family)
		base := given.ascii + "." + family.ascii
		email := base + "@" + demoEmailDomain
		for n := 2; used[email]; n++ {
			email = base + strconv.Itoa(n) + "@" + demoEmailDomain
		}
		add(given.text+" "+family.text, email, role(i), asOf-day(30+r.IntN(15*365)))
	}
	return s
}

// advisorFor picks an advisor uniformly, so books have similar sizes.
func (s *staffList) advisorFor(r *rand.Rand) int64 {
	return s.advisors[r.IntN(len(s.advisors))]
}

var staffColumns = []string{"id", "email", "display_name", "roles", "active", "created_at", "updated_at"}

func (gen *generator) writeStaff(w *rowWriter) error {
	for _, m := range gen.staff.members {
		w.row(len(staffColumns))
		w.int8(m.id)
		w.text(m.email)
		w.text(m.displayName)
		w.textArray(m.roles)
		w.bool(true)
		w.timestamptz(m.since.at(8, 0, 0))
		w.timestamptz(m.since.at(8, 0, 0))
	}
	return w.err
}
