package advisor

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

func TestScopes(t *testing.T) {
	staff := func(id int64, roles ...string) *ecrm.Principal {
		return &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: id, Roles: roles}
	}
	tests := []struct {
		name      string
		p         *ecrm.Principal
		read      Scope
		readCode  string
		write     Scope
		writeCode string
	}{
		{"anonymous", nil, Scope{}, ecrm.EUNAUTHORIZED, Scope{}, ecrm.EUNAUTHORIZED},
		{"client", &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: 7}, Scope{}, ecrm.EFORBIDDEN, Scope{}, ecrm.EFORBIDDEN},
		{"staff without roles", staff(5), Scope{}, ecrm.EFORBIDDEN, Scope{}, ecrm.EFORBIDDEN},
		{"advisor", staff(1, "advisor"), Scope{StaffID: 1, Book: true}, "", Scope{StaffID: 1, Book: true}, ""},
		{"compliance", staff(3, "compliance"), Scope{StaffID: 3}, "", Scope{}, ecrm.EFORBIDDEN},
		{"admin", staff(4, "admin"), Scope{StaffID: 4}, "", Scope{}, ecrm.EFORBIDDEN},
		// Reads everything as compliance, writes only to the own book.
		{"advisor and compliance", staff(6, "advisor", "compliance"), Scope{StaffID: 6}, "", Scope{StaffID: 6, Book: true}, ""},
		{"role on a client", &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: 7, Roles: []string{"admin"}}, Scope{}, ecrm.EFORBIDDEN, Scope{}, ecrm.EFORBIDDEN},
	}
	for _, tt := range tests {
		read, err := ReadScope(tt.p)
		if read != tt.read || ecrm.ErrorCode(err) != tt.readCode {
			t.Errorf("%s: ReadScope = %+v, %v; want %+v, code %q", tt.name, read, err, tt.read, tt.readCode)
		}
		write, err := WriteScope(tt.p)
		if write != tt.write || ecrm.ErrorCode(err) != tt.writeCode {
			t.Errorf("%s: WriteScope = %+v, %v; want %+v, code %q", tt.name, write, err, tt.write, tt.writeCode)
		}
	}
}

func TestParsePurpose(t *testing.T) {
	for _, p := range Purposes {
		if got, err := ParsePurpose(" " + string(p) + " "); got != p || err != nil {
			t.Errorf("ParsePurpose(%s) = %q, %v", p, got, err)
		}
	}
	for in, key := range map[string]string{"": "console.purpose.error.required", "curiosity": "console.purpose.error.unknown"} {
		_, err := ParsePurpose(in)
		var e *ecrm.Error
		if !errorAs(err, &e) || e.Code != ecrm.EINVALID || e.Field != "purpose" || e.Fields[0].Message != key {
			t.Errorf("ParsePurpose(%q) = %v", in, err)
		}
	}
}

func errorAs(err error, target **ecrm.Error) bool {
	e, ok := err.(*ecrm.Error)
	*target = e
	return ok
}

func TestValidateInteraction(t *testing.T) {
	bucharest := time.FixedZone("EET", 2*60*60)
	valid := InteractionInput{Channel: "phone", Direction: "inbound", Subject: "Question"}
	tests := []struct {
		name   string
		edit   func(*InteractionInput)
		faults []string // field=key suffix
		at     time.Time
	}{
		{name: "defaults to now", edit: func(*InteractionInput) {}, at: testNow},
		{name: "RFC 3339", edit: func(in *InteractionInput) { in.OccurredAt = "2026-11-15T11:30:00+02:00" },
			at: time.Date(2026, 11, 15, 9, 30, 0, 0, time.UTC)},
		{name: "form time in the zone", edit: func(in *InteractionInput) { in.OccurredAt = "2026-11-15T11:30" },
			at: time.Date(2026, 11, 15, 9, 30, 0, 0, time.UTC)},
		{name: "form time with seconds", edit: func(in *InteractionInput) { in.OccurredAt = "2026-11-15T11:30:15" },
			at: time.Date(2026, 11, 15, 9, 30, 15, 0, time.UTC)},
		{name: "as the hint writes it", edit: func(in *InteractionInput) { in.OccurredAt = "2026-11-15 11:30" },
			at: time.Date(2026, 11, 15, 9, 30, 0, 0, time.UTC)},
		{name: "five minutes ahead", edit: func(in *InteractionInput) { in.OccurredAt = "2026-11-15T10:05:00Z" },
			at: testNow.Add(5 * time.Minute)},
		{name: "subject of 200 letters", edit: func(in *InteractionInput) { in.Subject = strings.Repeat("ș", 200) }, at: testNow},
		{name: "everything missing", edit: func(in *InteractionInput) { *in = InteractionInput{} },
			faults: []string{"channel=channel_required", "direction=direction_required", "subject=subject_required"}},
		{name: "everything wrong", edit: func(in *InteractionInput) {
			*in = InteractionInput{Channel: "sms", Direction: "up", Subject: strings.Repeat("x", 201),
				Notes: strings.Repeat("n", 4001), OccurredAt: "26/11/2026"}
		}, faults: []string{"channel=channel_unknown", "direction=direction_unknown", "subject=subject_too_long",
			"notes=notes_too_long", "occurred_at=occurred_at_invalid"}},
		{name: "future", edit: func(in *InteractionInput) { in.OccurredAt = "2026-11-15T10:05:01Z" },
			faults: []string{"occurred_at=occurred_at_future"}},
		{name: "blank subject", edit: func(in *InteractionInput) { in.Subject = " \t " },
			faults: []string{"subject=subject_required"}},
	}
	for _, tt := range tests {
		in := valid
		tt.edit(&in)
		got, err := in.Validate(testNow, bucharest)
		var faults []string
		if err != nil {
			e, ok := err.(*ecrm.Error)
			if !ok || e.Code != ecrm.EINVALID {
				t.Fatalf("%s: error %v", tt.name, err)
			}
			for _, f := range e.Fields {
				faults = append(faults, f.Field+"="+strings.TrimPrefix(f.Message, "console.interaction.error."))
			}
		}
		if !slices.Equal(faults, tt.faults) {
			t.Errorf("%s: faults %q, want %q", tt.name, faults, tt.faults)
		}
		if err == nil && !got.OccurredAt.Equal(tt.at) {
			t.Errorf("%s: occurred at %s, want %s", tt.name, got.OccurredAt, tt.at)
		}
	}
}

func TestAgeAndLifeStage(t *testing.T) {
	date := func(y int, m time.Month, d int) *time.Time {
		t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		return &t
	}
	today := time.Date(2026, time.November, 15, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		birth *time.Time
		want  int
	}{
		{date(1980, 11, 15), 46}, {date(1980, 11, 16), 45}, {date(1980, 12, 1), 45}, {date(1980, 1, 1), 46},
		{date(2008, 2, 29), 18}, {date(2026, 11, 15), 0},
	} {
		if got := ageOn(tt.birth, today); *got != tt.want {
			t.Errorf("age of someone born %s = %d, want %d", tt.birth.Format(time.DateOnly), *got, tt.want)
		}
	}
	if ageOn(nil, today) != nil {
		t.Error("age without a birth date")
	}

	age := func(n int) *int { return &n }
	for _, tt := range []struct {
		age        *int
		marital    string
		dependants int
		employment string
		want       string
	}{
		{nil, "", 0, "", LifeStageUnknown},
		{nil, "", 0, "retired", LifeStageRetired},
		{age(65), "married", 2, "employed", LifeStageRetired},
		{age(64), "married", 2, "employed", LifeStagePreRetirement},
		{age(55), "", 0, "", LifeStagePreRetirement},
		{age(24), "married", 1, "employed", LifeStageStartingOut},
		{age(30), "single", 0, "student", LifeStageStartingOut},
		{age(30), "divorced", 1, "employed", LifeStageFamily},
		{nil, "", 3, "", LifeStageFamily},
		{age(40), "partnership", 0, "employed", LifeStageCouple},
		{age(40), "widowed", 0, "employed", LifeStageSingle},
		{nil, "single", 0, "", LifeStageSingle},
	} {
		if got := LifeStage(tt.age, tt.marital, tt.dependants, tt.employment); got != tt.want {
			a := "unknown"
			if tt.age != nil {
				a = strconv.Itoa(*tt.age)
			}
			t.Errorf("LifeStage(age %s, %q, %d, %q) = %s, want %s", a, tt.marital, tt.dependants, tt.employment, got, tt.want)
		}
	}
}

func TestSplitQuery(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want nameSearch
	}{
		{"", nameSearch{}},
		{"   ", nameSearch{}},
		{"Pop", nameSearch{familyFirst: "Pop"}},
		{" ana   pop ", nameSearch{familyFirst: "ana", givenAfter: "pop", familyLast: "pop", givenBefore: "ana"}},
		{"maria elena pop", nameSearch{familyFirst: "maria", givenAfter: "elena pop", familyLast: "pop", givenBefore: "maria elena"}},
		{"50%_off", nameSearch{familyFirst: `50\%\_off`}},
		{`back\slash`, nameSearch{familyFirst: `back\\slash`}},
		{"Ana.Pop@Mail", nameSearch{email: "Ana.Pop@Mail"}},
		{"ana pop@mail", nameSearch{email: "anapop@mail"}},
		{"x_y@", nameSearch{email: `x\_y@`}},
	} {
		if got := splitQuery(tt.in); got != tt.want {
			t.Errorf("splitQuery(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestCursor(t *testing.T) {
	c := cursor{FamilyKey: "stefanescu", GivenKey: "radu \"r\"", ID: 104}
	got, ok := decodeCursor(c.encode())
	if !ok || got != c {
		t.Errorf("round trip = %+v, %v", got, ok)
	}
	for _, bad := range []string{"", "!!", "e30", "WyJhIiwiYiJd", "WyJhIiwiYiIsMF0", "WyJhIiwiYiIsIjEiXQ"} {
		if _, ok := decodeCursor(bad); ok {
			t.Errorf("decodeCursor(%q) accepted", bad)
		}
	}
}

func TestSumByCurrency(t *testing.T) {
	got := sumByCurrency([]ecrm.Money{ecrm.MustMoney("1.10", "RON"), ecrm.MustMoney("2", "EUR"), ecrm.MustMoney("-0.15", "RON")})
	if len(got) != 2 || got[0].String() != "2.00 EUR" || got[1].String() != "0.95 RON" {
		t.Errorf("sumByCurrency = %v", got)
	}
	if sumByCurrency(nil) != nil {
		t.Error("sum of nothing is not empty")
	}
}

func TestExplain(t *testing.T) {
	en, ro := i18n.NewLocalizer(i18n.English), i18n.NewLocalizer(i18n.Romanian)
	clean := Summarize(timelineOf(t, strings.Repeat(".", 12)+strings.Repeat("o", 24)))
	if got, want := explain(en, clean), "All reported months in the last 36 (24) were paid on time."; got != want {
		t.Errorf("en clean = %q, want %q", got, want)
	}
	if got, want := explain(ro, clean), "Toate lunile raportate din ultimele 36 de luni (24) au fost plătite la timp."; got != want {
		t.Errorf("ro clean = %q, want %q", got, want)
	}
	late := Summarize(timelineOf(t, "d"+strings.Repeat("o", 34)+"3"))
	want := "Late months in the last 36: 2 of 36 reported. The worst was default, last in Dec 2023. " +
		"Worst in the last 12 months: 30 days late; in the last 24 months: 30 days late."
	if got := explain(en, late); got != want {
		t.Errorf("en late = %q\nwant %q", got, want)
	}
	if got := explain(en, Summarize(nil)); got != "No payments were reported in the last 36 months." {
		t.Errorf("en none = %q", got)
	}
}
