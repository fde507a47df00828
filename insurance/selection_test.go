package insurance

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

func decimalValue(s string) Value {
	d := decimal.RequireFromString(s)
	return Value{Decimal: &d}
}

func dateValue(s string) Value { return Value{Date: s} }

func codings(cs ...string) []Value {
	out := make([]Value, len(cs))
	for i, c := range cs {
		out[i] = coding(c)
	}
	return out
}

// asOf is the day the tests count ages on.
var asOf = time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)

// programmeDB is one database per test binary with the demo programmes
// loaded, shared by the read-only tests.
var programmeDB struct {
	once sync.Once
	pool *pgxpool.Pool
	err  error
}

func demoSelector(t testing.TB) (*Selector, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.New(t)
	if err := LoadDemoProgrammes(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	s := NewSelector(pool)
	s.Now = func() time.Time { return asOf }
	return s, pool
}

func selectFor(t testing.TB, s *Selector, a Answers) *Selection {
	t.Helper()
	sel, err := s.Select(context.Background(), a, asOf)
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

func candidateOf(t testing.TB, sel *Selection, code string) Candidate {
	t.Helper()
	for _, c := range sel.Candidates {
		if c.ProductCode == code {
			return c
		}
	}
	t.Fatalf("no candidate %s among %d", code, len(sel.Candidates))
	return Candidate{}
}

// breakdown writes a candidate's breakdown as "factor basis ×m +l = running".
func breakdown(c Candidate) string {
	var b strings.Builder
	for _, f := range c.Breakdown {
		b.WriteString(strings.TrimPrefix(f.Name, "insurance.rating.factor."))
		if f.Basis != "" {
			b.WriteString(" " + f.Basis)
		}
		if !f.Multiplier.IsZero() {
			b.WriteString(" ×" + f.Multiplier.String())
		} else {
			b.WriteString(" +" + f.Loading.StringFixed(2))
		}
		b.WriteString(" = " + f.Running.StringFixed(2) + "\n")
	}
	return b.String()
}

func travelAnswers() Answers {
	return Answers{
		"applicant.birth_date":    {dateValue("1956-03-10")}, // 70 on the as-of day
		"applicant.region":        {coding("centru")},
		"needs.protect":           {coding("travel")},
		"needs.budget_monthly":    {decimalValue("300")},
		"needs.priority":          {coding("price")},
		"travel.destination":      {coding("europe")},
		"travel.days":             {integer(12)},
		"travel.travellers":       {integer(2)},
		"travel.activities":       codings("standard", "winter-sports"),
		"existing.claims_3y":      {integer(0)},
		"existing.refused_before": {boolean(false)},
	}
}

// TestTravelPremiumHandWorked: the 30-day Europe programme for two
// travellers aged 70 on a 12-day trip with winter sports, worked by hand:
//
//	base                     40.00
//	× destination europe 1.30  = 52.00
//	× days 9–17 0.75           = 39.00
//	× age 65–75 1.80           = 70.20
//	× travellers 2             = 140.40
//	+ winter sports 45.00      = 185.40
func TestTravelPremiumHandWorked(t *testing.T) {
	s, _ := demoSelector(t)
	sel := selectFor(t, s, travelAnswers())
	c := candidateOf(t, sel, "PRG-TRAVEL-CARP-EU30")
	want := `base +40.00 = 40.00
destination europe ×1.3 = 52.00
days 9–17 ×0.75 = 39.00
age 65–75 ×1.8 = 70.20
travellers 2 ×2 = 140.40
activities winter-sports +45.00 = 185.40
`
	if got := breakdown(c); got != want {
		t.Errorf("breakdown:\n%s\nwant:\n%s", got, want)
	}
	if c.Premium.String() != "185.4" || c.Outcome != OutcomeAccept || c.TermMonths != 1 || len(c.Missing) != 0 || c.Indicative ||
		c.SumInsured.String() != "150000" || c.MonthlyPremium.StringFixed(2) != "185.40" {
		t.Errorf("candidate: %+v", c)
	}
	// The EU-only programme declines Europe outside the EU; the winter
	// sports programme loads nothing for winter sports.
	if d := candidateOf(t, sel, "PRG-TRAVEL-DELTA-EU30"); d.Outcome != OutcomeDecline || d.Rank != 0 || len(d.Exclusions) != 2 {
		t.Errorf("Delta EU: %+v", d)
	}
	ski := candidateOf(t, sel, "PRG-TRAVEL-DAN-SKI30")
	// 60 × 1.25 = 75.00 × 0.75 = 56.25 × 1.80 = 101.25 × 2 = 202.50
	if ski.Premium.StringFixed(2) != "202.50" {
		t.Errorf("ski: %s\n%s", ski.Premium, breakdown(ski))
	}
}

// TestHomePremiumRoundedAtEachStep: each line is rounded half-up to the
// cent and the next factor applies to the rounded figure:
//
//	base 60 + 0.90 × 395,000 / 1,000       = 415.50
//	× deductible 1000: 0.93   386.415      → 386.42
//	× brick 1.10              425.062      → 425.06
//	× built 1975 (51 y) 1.25  531.325      → 531.33 (half-up)
//	× flood zone no 1.00                   = 531.33
//	× alarm yes 0.90          478.197      → 478.20
//	× Bucharest-Ilfov 1.20                 = 573.84
//
// Rounded only at the end it would be 573.8369… → 573.84 too, but the
// line 531.325 shows the half-up step.
func TestHomePremiumRoundedAtEachStep(t *testing.T) {
	s, _ := demoSelector(t)
	a := Answers{
		"applicant.birth_date":    {dateValue("1985-06-01")},
		"applicant.region":        {coding("bucuresti-ilfov")},
		"needs.protect":           {coding("home")},
		"needs.deductible":        {coding("1000")},
		"home.property_value":     {decimalValue("350000")},
		"home.contents_value":     {decimalValue("45000")},
		"home.construction":       {coding("brick")},
		"home.built_year":         {integer(1975)},
		"home.flood_zone":         {boolean(false)},
		"home.alarm":              {boolean(true)},
		"existing.claims_3y":      {integer(1)},
		"existing.refused_before": {boolean(false)},
	}
	c := candidateOf(t, selectFor(t, s, a), "PRG-HOME-TRANS-PAD")
	want := `base 395000.00 +415.50 = 415.50
deductible 1000 ×0.93 = 386.42
construction brick ×1.1 = 425.06
building_age 50–100 ×1.25 = 531.33
flood_zone false ×1 = 531.33
alarm true ×0.9 = 478.20
region bucuresti-ilfov ×1.2 = 573.84
`
	if got := breakdown(c); got != want {
		t.Errorf("breakdown:\n%s\nwant:\n%s", got, want)
	}
	if c.Premium.StringFixed(2) != "573.84" || c.Deductible.String() != "1000" || c.Outcome != OutcomeAccept {
		t.Errorf("candidate: %+v", c)
	}
}

func lifeAnswers(birth string, weight string, sum string) Answers {
	return Answers{
		"applicant.birth_date":       {dateValue(birth)},
		"needs.protect":              {coding("life")},
		"life.sum_insured":           {decimalValue(sum)},
		"health.smoker":              {boolean(true)},
		"health.height_cm":           {integer(180)},
		"health.weight_kg":           {decimalValue(weight)},
		"health.conditions":          codings("none"),
		"lifestyle.occupation_class": {coding("2")},
		"lifestyle.hazardous_sports": {boolean(false)},
		"existing.refused_before":    {boolean(false)},
	}
}

// TestLifePremiumHandWorked: 250,000 RON for a smoker of 36, BMI 25.0,
// occupation class 2: 120 + 1.20 × 250 = 420.00 × 1.00 (30–40) × 1.75 =
// 735.00 × 1.00 (BMI) × 1.10 = 808.50.
func TestLifePremiumHandWorked(t *testing.T) {
	s, _ := demoSelector(t)
	c := candidateOf(t, selectFor(t, s, lifeAnswers("1990-05-20", "81", "250000")), "PRG-LIFE-CARP-TERM")
	want := `base 250000.00 +420.00 = 420.00
age 30–40 ×1 = 420.00
smoker true ×1.75 = 735.00
bmi 18.5–30 ×1 = 735.00
occupation 2 ×1.1 = 808.50
`
	if got := breakdown(c); got != want || c.Premium.StringFixed(2) != "808.50" {
		t.Errorf("breakdown:\n%s\nwant:\n%s", got, want)
	}
}

// TestUnderwritingLimits: accept, refer and decline at and around each
// limit.
func TestUnderwritingLimits(t *testing.T) {
	s, _ := demoSelector(t)
	outcome := func(a Answers, code string) Outcome {
		t.Helper()
		return candidateOf(t, selectFor(t, s, a), code).Outcome
	}
	cases := []struct {
		name string
		a    Answers
		code string
		want Outcome
	}{
		// BMI: 113.1 kg at 1.80 m is 34.9, 113.4 is 35.0, 129.6 is 40.0.
		{"bmi 34.9", lifeAnswers("1990-05-20", "113.1", "250000"), "PRG-LIFE-CARP-TERM", OutcomeAccept},
		{"bmi 35.0", lifeAnswers("1990-05-20", "113.4", "250000"), "PRG-LIFE-CARP-TERM", OutcomeRefer},
		{"bmi 39.9", lifeAnswers("1990-05-20", "129.3", "250000"), "PRG-LIFE-CARP-TERM", OutcomeRefer},
		{"bmi 40.0", lifeAnswers("1990-05-20", "129.6", "250000"), "PRG-LIFE-CARP-TERM", OutcomeDecline},
		// Entry age up to 65: 65 the day before the 66th birthday.
		{"age 65", lifeAnswers("1960-12-07", "81", "250000"), "PRG-LIFE-CARP-TERM", OutcomeAccept},
		{"age 66", lifeAnswers("1960-12-06", "81", "250000"), "PRG-LIFE-CARP-TERM", OutcomeDecline},
		{"age 17", lifeAnswers("2008-12-07", "81", "250000"), "PRG-LIFE-CARP-TERM", OutcomeDecline},
		{"age 18", lifeAnswers("2008-12-06", "81", "250000"), "PRG-LIFE-CARP-TERM", OutcomeAccept},
		// Sums insured above 2,000,000 are referred.
		{"sum 2,000,000", lifeAnswers("1990-05-20", "81", "2000000"), "PRG-LIFE-CARP-TERM", OutcomeAccept},
		{"sum 2,000,000.01", lifeAnswers("1990-05-20", "81", "2000000.01"), "PRG-LIFE-CARP-TERM", OutcomeRefer},
	}
	for _, tc := range cases {
		if got := outcome(tc.a, tc.code); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	// Travel: the 30-day programmes take trips of 31 (Carpathia) or 30
	// days (Delta).
	trip := func(days int64) Answers {
		a := travelAnswers()
		a["travel.days"] = []Value{integer(days)}
		a["travel.destination"] = []Value{coding("eu")}
		a["travel.activities"] = codings("standard")
		return a
	}
	for _, tc := range []struct {
		days int64
		code string
		want Outcome
	}{{31, "PRG-TRAVEL-CARP-EU30", OutcomeAccept}, {32, "PRG-TRAVEL-CARP-EU30", OutcomeDecline},
		{30, "PRG-TRAVEL-DELTA-EU30", OutcomeAccept}, {31, "PRG-TRAVEL-DELTA-EU30", OutcomeDecline},
		{45, "PRG-TRAVEL-CARP-ANNUAL", OutcomeAccept}, {46, "PRG-TRAVEL-CARP-ANNUAL", OutcomeDecline}} {
		if got := outcome(trip(tc.days), tc.code); got != tc.want {
			t.Errorf("%s, %d days: %s, want %s", tc.code, tc.days, got, tc.want)
		}
	}
	// Income protection: the benefit up to 70 % of the net income.
	income := func(benefit string) Answers {
		return Answers{"applicant.birth_date": {dateValue("1990-05-20")}, "needs.protect": {coding("income")},
			"income.monthly_net": {decimalValue("10000")}, "income.benefit_monthly": {decimalValue(benefit)},
			"income.waiting_weeks": {coding("8")}, "lifestyle.occupation_class": {coding("1")}}
	}
	if got := outcome(income("7000"), "PRG-INCOME-CARP"); got != OutcomeAccept {
		t.Errorf("benefit 70 %%: %s", got)
	}
	if got := outcome(income("7000.01"), "PRG-INCOME-CARP"); got != OutcomeDecline {
		t.Errorf("benefit above 70 %%: %s", got)
	}
	// CASCO: cars up to 12 years old (2026 − 2014 = 12), more than 3
	// claims in 5 years declined; vehicles above 400,000 RON referred.
	motor := func(year int64, claims int64, value string) Answers {
		a := completeAnswers()
		a["needs.protect"] = codings("motor")
		a["motor.vehicle_year"] = []Value{integer(year)}
		a["motor.claims_5y"] = []Value{integer(claims)}
		a["motor.vehicle_value"] = []Value{decimalValue(value)}
		return a
	}
	for _, tc := range []struct {
		name string
		a    Answers
		want Outcome
	}{
		{"12 years", motor(2014, 0, "90000"), OutcomeAccept}, {"13 years", motor(2013, 0, "90000"), OutcomeDecline},
		{"3 claims", motor(2021, 3, "90000"), OutcomeAccept}, {"4 claims", motor(2021, 4, "90000"), OutcomeDecline},
		{"400,000", motor(2021, 0, "400000"), OutcomeAccept}, {"400,000.01", motor(2021, 0, "400000.01"), OutcomeRefer},
	} {
		if got := outcome(tc.a, "PRG-CASCO-DAN"); got != tc.want {
			t.Errorf("casco %s: %s, want %s", tc.name, got, tc.want)
		}
	}
	// Home: a wooden house in a flood zone is declined; brick in a flood
	// zone is accepted at the flood loading.
	home := completeAnswers()
	home["needs.protect"] = codings("home")
	home["home.flood_zone"] = []Value{boolean(true)}
	if got := outcome(home, "PRG-HOME-TRANS-PAD"); got != OutcomeAccept {
		t.Errorf("concrete in a flood zone: %s", got)
	}
	home["home.construction"] = []Value{coding("wood")}
	if got := outcome(home, "PRG-HOME-TRANS-PAD"); got != OutcomeDecline {
		t.Errorf("wood in a flood zone: %s", got)
	}
	// Refused before: referred, with the rule's reason.
	a := lifeAnswers("1990-05-20", "81", "250000")
	a["existing.refused_before"] = []Value{boolean(true)}
	c := candidateOf(t, selectFor(t, s, a), "PRG-LIFE-CARP-TERM")
	if c.Outcome != OutcomeRefer || len(c.Exclusions) < 1 || c.Exclusions[0].Key != "insurance.rating.rule.refer" ||
		!strings.HasPrefix(c.Exclusions[0].Text.EN, "You were declined") || c.Premium.StringFixed(2) != "808.50" {
		t.Errorf("refused before: %+v", c)
	}
}

// TestPartialAnswers: with only the lines asked, every programme of them
// is a candidate at its defaults, indicative, naming what it still needs.
func TestPartialAnswers(t *testing.T) {
	s, _ := demoSelector(t)
	sel := selectFor(t, s, Answers{"needs.protect": {coding("travel")}})
	if len(sel.Candidates) != 5 || sel.Bundle != nil {
		t.Fatalf("%d candidates, bundle %v", len(sel.Candidates), sel.Bundle)
	}
	c := candidateOf(t, sel, "PRG-TRAVEL-CARP-EU30")
	want := []string{"applicant.birth_date", "travel.activities", "travel.days", "travel.destination", "travel.travellers"}
	if strings.Join(c.Missing, ",") != strings.Join(want, ",") || !c.Indicative || c.Outcome != OutcomeAccept || c.Premium.StringFixed(2) != "40.00" {
		t.Errorf("partial: missing %v, indicative %v, %s %s", c.Missing, c.Indicative, c.Outcome, c.Premium)
	}
	// Nothing asked: nothing selected.
	if sel := selectFor(t, s, Answers{}); len(sel.Candidates) != 0 {
		t.Errorf("no line asked: %d candidates", len(sel.Candidates))
	}
}

func completeAnswers() Answers {
	a := Answers{
		"applicant.birth_date":       {dateValue("1985-06-01")},
		"applicant.region":           {coding("centru")},
		"applicant.household_size":   {integer(3)},
		"needs.protect":              codings("life", "health", "home", "motor", "travel", "liability", "income"),
		"needs.budget_monthly":       {decimalValue("2000")},
		"needs.priority":             {coding("price")},
		"needs.deductible":           {coding("500")},
		"life.sum_insured":           {decimalValue("300000")},
		"life.term_years":            {integer(20)},
		"health.smoker":              {boolean(false)},
		"health.height_cm":           {integer(172)},
		"health.weight_kg":           {decimalValue("70")},
		"health.conditions":          codings("none"),
		"health.hospital_cover":      {coding("standard")},
		"lifestyle.occupation_class": {coding("1")},
		"lifestyle.hazardous_sports": {boolean(false)},
		"motor.vehicle_value":        {decimalValue("90000")},
		"motor.vehicle_year":         {integer(2021)},
		"motor.years_licensed":       {integer(15)},
		"motor.claims_5y":            {integer(0)},
		"motor.cover":                {coding("casco")},
		"home.property_value":        {decimalValue("400000")},
		"home.contents_value":        {decimalValue("60000")},
		"home.construction":          {coding("concrete")},
		"home.built_year":            {integer(2005)},
		"home.flood_zone":            {boolean(false)},
		"home.alarm":                 {boolean(false)},
		"travel.destination":         {coding("eu")},
		"travel.start_date":          {dateValue("2027-01-10")},
		"travel.days":                {integer(30)},
		"travel.travellers":          {integer(1)},
		"travel.activities":          codings("standard"),
		"liability.limit":            {decimalValue("200000")},
		"liability.dog":              {boolean(true)},
		"income.monthly_net":         {decimalValue("9000")},
		"income.benefit_monthly":     {decimalValue("5000")},
		"income.waiting_weeks":       {coding("13")},
		"existing.claims_3y":         {integer(0)},
		"existing.refused_before":    {boolean(false)},
	}
	return a
}

// order lists a line's candidates as code:rank.
func order(sel *Selection, line string) string {
	var out []string
	for _, c := range sel.Candidates {
		if c.Line == line {
			out = append(out, c.ProductCode+":"+strconv.Itoa(c.Rank))
		}
	}
	return strings.Join(out, " ")
}

// TestRanking: within a line, accepted first, within the budget first,
// then by the applicant's priority.
func TestRanking(t *testing.T) {
	s, _ := demoSelector(t)
	a := completeAnswers()
	a["needs.protect"] = codings("health")
	sel := selectFor(t, s, a)
	if got, want := order(sel, "health"), "PRG-HEALTH-TRANS-BASIC:1 PRG-HEALTH-DAN-PLUS:2 PRG-HEALTH-CARP-PREMIUM:3"; got != want {
		t.Errorf("priority price: %s, want %s", got, want)
	}
	first := sel.Candidates[0]
	if len(first.Reasons) < 2 || first.Reasons[0].Key != "insurance.rating.reason.lowest_price" ||
		first.Reasons[1].Key != "insurance.rating.reason.within_budget" {
		t.Errorf("reasons of the first: %+v", first.Reasons)
	}
	a["needs.priority"] = []Value{coding("cover")}
	if got, want := order(selectFor(t, s, a), "health"), "PRG-HEALTH-CARP-PREMIUM:1 PRG-HEALTH-DAN-PLUS:2 PRG-HEALTH-TRANS-BASIC:3"; got != want {
		t.Errorf("priority cover: %s, want %s", got, want)
	}
	// A budget below the premium of the widest cover puts the programmes
	// within it first, whatever the priority.
	a["needs.budget_monthly"] = []Value{decimalValue("150")}
	sel = selectFor(t, s, a)
	if got, want := order(sel, "health"), "PRG-HEALTH-DAN-PLUS:1 PRG-HEALTH-TRANS-BASIC:2 PRG-HEALTH-CARP-PREMIUM:3"; got != want {
		t.Errorf("priority cover, budget 150: %s, want %s\n%+v", got, want, sel.Candidates)
	}
	last := candidateOf(t, sel, "PRG-HEALTH-CARP-PREMIUM")
	if len(last.Exclusions) == 0 || last.Exclusions[0].Key != "insurance.rating.reason.over_budget" {
		t.Errorf("over budget: %+v", last.Exclusions)
	}
	// Declined programmes rank last, with rank 0.
	a["health.conditions"] = codings("heart")
	if got, want := order(selectFor(t, s, a), "health"), "PRG-HEALTH-CARP-PREMIUM:0 PRG-HEALTH-DAN-PLUS:0 PRG-HEALTH-TRANS-BASIC:0"; got != want {
		t.Errorf("declined: %s, want %s", got, want)
	}
}

// TestBundle: the best accepted programme of each line asked for, with
// each part's price and the exact total.
func TestBundle(t *testing.T) {
	s, _ := demoSelector(t)
	sel := selectFor(t, s, completeAnswers())
	if len(sel.Candidates) != 21 {
		t.Fatalf("%d candidates, want all 21", len(sel.Candidates))
	}
	b := sel.Bundle
	// One part per line, motor's two: the compulsory RCA and the CASCO
	// asked for.
	if b == nil || len(b.Parts) != 8 {
		t.Fatalf("bundle: %+v", b)
	}
	groups := []string{"life", "health", "home", "motor/rca", "motor/casco", "travel", "liability", "accident"}
	total, monthly := decimal.Zero, decimal.Zero
	for i, p := range b.Parts {
		monthly = monthly.Add(p.MonthlyPremium)
		if p.Rank != 1 || p.Group() != groups[i] {
			t.Errorf("part %d: %s rank %d line %s", i, p.ProductCode, p.Rank, p.Line)
		}
		total = total.Add(p.Premium)
	}
	if !b.Total.Equal(total) || !b.MonthlyTotal.Equal(monthly) || b.Currency != "RON" {
		t.Errorf("total %s, parts add to %s", b.Total, total)
	}
	// With RCA asked for, CASCO programmes are left out.
	a := completeAnswers()
	a["motor.cover"] = []Value{coding("rca")}
	if got := order(selectFor(t, s, a), "motor"); got != "PRG-RCA-DELTA:1 PRG-RCA-TRANS:2" && got != "PRG-RCA-TRANS:1 PRG-RCA-DELTA:2" {
		t.Errorf("rca: %s", got)
	}
}
