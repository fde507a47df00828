package insurance

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

func dec(s string) Value  { d := decimal.RequireFromString(s); return Value{Decimal: &d} }
func date(s string) Value { return Value{Date: s} }
func codes(cs ...string) []Value {
	var out []Value
	for _, c := range cs {
		out = append(out, coding(c))
	}
	return out
}

// journeyFixture: the shipped questionnaires imported (twice: the second
// import changes nothing), Ana (client 1), Ion (client 2) and Radu, a
// prospect (client 3).
func journeyFixture(t testing.TB) (*pgxpool.Pool, *Journeys) {
	t.Helper()
	pool := pgtest.New(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO clients (id, kind, given_name, family_name, segment) VALUES
		(1, 'client', 'Ana', 'Popescu', 'mass'), (2, 'client', 'Ion', 'Ionescu', 'mass'), (3, 'prospect', 'Radu', 'Marin', 'prospect')`); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := ImportJourneyQuestionnaires(ctx, NewStore(pool)); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM questionnaires`).Scan(&n); err != nil || n != 10 {
		t.Fatalf("%d questionnaires imported, %v", n, err)
	}
	j, err := NewJourneys(pool)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	j.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	return pool, j
}

// applicantAnswers and needsAnswers complete the first two sections; the
// applicant protects her travel and her home.
func applicantAnswers() Answers {
	return Answers{"applicant.birth_date": {date("1985-03-01")}, "applicant.employment": {coding("employed")},
		"applicant.region": {coding("centru")}, "applicant.household_size": {integer(2)}}
}

func needsAnswers(lines ...string) Answers {
	return Answers{"needs.protect": codes(lines...), "needs.budget_monthly": {dec("150")}, "needs.priority": {coding("price")},
		"needs.deductible": {coding("500")}}
}

func TestShippedJourney(t *testing.T) {
	qs, err := ShippedQuestionnaires()
	if err != nil {
		t.Fatal(err)
	}
	questions, ro := 0, 0
	ids := map[string]string{}
	for _, q := range qs {
		if !strings.HasPrefix(q.URL, "urn:ecrm:questionnaire:insurance-") || q.Version != "1" || q.TitleIn("ro") == q.Title {
			t.Errorf("%s version %s title %q", q.URL, q.Version, q.TitleIn("ro"))
		}
		walkItems(q.Items, func(it *Item) {
			if it.TextIn("ro") != it.Text {
				ro++
			}
			if it.Type == "group" || it.Type == "display" {
				return
			}
			questions++
			ids[it.LinkID] = it.Type
			for _, o := range it.Options {
				if o.Coding != nil && o.Coding.Display != "" && o.Coding.DisplayTr["ro"] == "" {
					t.Errorf("%s option %s has no Romanian", it.LinkID, o.Coding.Code)
				}
			}
		})
	}
	if len(qs) != 10 || questions < 95 || questions > 120 {
		t.Errorf("%d questionnaires, %d questions", len(qs), questions)
	}
	// The contract's fixed linkIds with their types (R rates on them).
	for id, typ := range map[string]string{"applicant.birth_date": "date", "applicant.region": "choice", "applicant.household_size": "integer",
		"needs.protect": "choice", "needs.budget_monthly": "decimal", "needs.priority": "choice", "needs.deductible": "choice",
		"life.sum_insured": "decimal", "life.term_years": "integer", "health.smoker": "boolean", "health.height_cm": "integer",
		"health.weight_kg": "decimal", "health.conditions": "choice", "health.hospital_cover": "choice",
		"lifestyle.occupation_class": "choice", "lifestyle.hazardous_sports": "boolean", "motor.vehicle_value": "decimal",
		"motor.vehicle_year": "integer", "motor.years_licensed": "integer", "motor.claims_5y": "integer", "motor.cover": "choice",
		"home.property_value": "decimal", "home.contents_value": "decimal", "home.construction": "choice", "home.built_year": "integer",
		"home.flood_zone": "boolean", "home.alarm": "boolean", "travel.destination": "choice", "travel.start_date": "date",
		"travel.days": "integer", "travel.travellers": "integer", "travel.activities": "choice", "liability.limit": "decimal",
		"liability.dog": "boolean", "income.monthly_net": "decimal", "income.benefit_monthly": "decimal", "income.waiting_weeks": "choice",
		"existing.claims_3y": "integer", "existing.refused_before": "boolean"} {
		if ids[id] != typ {
			t.Errorf("%s is %q, want %s", id, ids[id], typ)
		}
	}
	if ro < questions {
		t.Errorf("%d texts in Romanian for %d questions", ro, questions)
	}
}

func TestJourneyApplicability(t *testing.T) {
	def, err := LoadJourneyDefinition()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lines []string
		want  string
	}{
		{nil, "applicant needs existing"},
		{[]string{"travel"}, "applicant needs lifestyle travel existing"},
		{[]string{"motor"}, "applicant needs motor existing"},
		{[]string{"home", "motor"}, "applicant needs motor home existing"},
		{[]string{"life"}, "applicant needs life-health lifestyle existing"},
		{[]string{"income", "liability"}, "applicant needs life-health lifestyle liability income existing"},
	} {
		a := Answers{}
		if tc.lines != nil {
			a["needs.protect"] = codes(tc.lines...)
		}
		if got := strings.Join(def.Applicable(a), " "); got != tc.want {
			t.Errorf("protect %v: %s, want %s", tc.lines, got, tc.want)
		}
	}
	// Groups inside a section: life cover only for life, hospital cover
	// only for health; the self-employed question only when self-employed.
	s, _, _ := def.Section("life-health")
	if g := s.gate(Answers{"needs.protect": codes("health")}); g["life.cover"] || !g["health.cover"] {
		t.Errorf("health only: %v", g)
	}
	if g := s.gate(Answers{"needs.protect": codes("life", "health")}); !g["life.cover"] || !g["health.cover"] {
		t.Errorf("life and health: %v", g)
	}
	inc, _, _ := def.Section("income")
	if g := inc.gate(Answers{"applicant.employment": {coding("employed")}}); g["income.self_employed_years"] {
		t.Errorf("employed: %v", g)
	}
}

// TestJourneySaveAndResume: Radu, a prospect, answers the first section
// in two live changes and leaves; the journey keeps them; he comes back,
// submits, then protects his travel only: the next sections are the
// lifestyle and travel ones, never motor; a follow-up answered then
// switched off is dropped; submitting the last section completes the
// journey and its answers are what the rating reads.
func TestJourneySaveAndResume(t *testing.T) {
	pool, j := journeyFixture(t)
	ctx := context.Background()
	const radu = 3
	id, err := j.Start(ctx, radu)
	if err != nil {
		t.Fatal(err)
	}
	save := func(section string, a Answers, opt SaveOptions) *SaveResult {
		t.Helper()
		res, err := j.Save(ctx, radu, id, section, a, opt)
		if err != nil {
			t.Fatalf("save %s: %v", section, err)
		}
		return res
	}
	save("applicant", Answers{"applicant.birth_date": {date("1990-05-05")}}, SaveOptions{Changed: []string{"applicant.birth_date"}})
	res := save("applicant", Answers{"applicant.birth_date": {date("1990-05-05")}, "applicant.household_size": {integer(13)}},
		SaveOptions{Changed: []string{"applicant.household_size"}})
	if len(res.Problems) != 1 || res.Problems[0].String() != "item applicant.household_size: answer: is above the most allowed, 12" {
		t.Errorf("household of 13: %v", res.Problems)
	}
	// He leaves; the journey kept the good answer.
	got, err := j.Answers(ctx, radu, id)
	if err != nil || len(got) != 1 || got["applicant.birth_date"][0].Date != "1990-05-05" {
		t.Fatalf("kept after leaving: %v %v", got, err)
	}
	ov, err := j.Overview(ctx, radu, id)
	if err != nil || ov.Journey.CurrentSection != "applicant" || ov.Sections[0].Status != "in-progress" {
		t.Fatalf("resume at %+v, %v", ov.Journey, err)
	}
	// Submitting an incomplete section names every missing question.
	res = save("applicant", Answers{"applicant.birth_date": {date("1990-05-05")}}, SaveOptions{Submit: true})
	var names []string
	for _, p := range res.Problems {
		names = append(names, p.LinkID)
	}
	if want := []string{"applicant.employment", "applicant.household_size", "applicant.region"}; !slices.Equal(names, want) || res.Completed {
		t.Errorf("incomplete submit: %v, want %v", names, want)
	}
	a := applicantAnswers()
	a["applicant.birth_date"] = []Value{date("1990-05-05")}
	if res = save("applicant", a, SaveOptions{Submit: true}); !res.Completed || res.Next != "needs" || len(res.Problems) != 0 {
		t.Fatalf("applicant submitted: %+v", res)
	}
	// A section that does not apply cannot be saved.
	if _, err := j.Save(ctx, radu, id, "motor", Answers{}, SaveOptions{}); !errors.Is(err, ErrSectionNotApplicable) {
		t.Errorf("motor before needs: %v", err)
	}
	if res = save("needs", needsAnswers("travel"), SaveOptions{Submit: true}); res.Next != "lifestyle" {
		t.Fatalf("after needs: %+v", res)
	}
	if _, err := j.Save(ctx, radu, id, "motor", Answers{"motor.cover": {coding("rca")}}, SaveOptions{}); !errors.Is(err, ErrSectionNotApplicable) {
		t.Errorf("motor without motor in needs: %v", err)
	}
	// A follow-up answered, then its reason taken away: dropped (pages);
	// the API refuses it naming the question.
	life := Answers{"lifestyle.occupation": {text("Engineer")}, "lifestyle.occupation_class": {coding("1")},
		"lifestyle.hazardous_sports": {boolean(false)}, "lifestyle.sports": codes("diving")}
	if _, err := j.Save(ctx, radu, id, "lifestyle", life, SaveOptions{Strict: true}); err != nil {
		t.Fatal(err)
	} else if res, _ := j.Save(ctx, radu, id, "lifestyle", life, SaveOptions{Strict: true}); len(res.Problems) != 1 ||
		res.Problems[0].String() != "item lifestyle.sports: answer: the question does not apply to the answers given" {
		t.Errorf("strict: %v", res.Problems)
	}
	if res = save("lifestyle", life, SaveOptions{Submit: true}); res.Next != "travel" || res.Saved["lifestyle.sports"] != nil {
		t.Fatalf("after lifestyle: %+v", res)
	}
	travel := Answers{"travel.destination": {coding("eu")}, "travel.start_date": {date("2026-12-20")}, "travel.days": {integer(30)},
		"travel.travellers": {integer(1)}, "travel.activities": codes("standard", "winter-sports")}
	if res = save("travel", travel, SaveOptions{Submit: true}); res.Next != "existing" {
		t.Fatalf("after travel: %+v", res)
	}
	existing := Answers{"existing.claims_3y": {integer(0)}, "existing.refused_before": {boolean(false)}, "existing.declaration": {boolean(true)},
		"existing.motor_bonus": {coding("b0")}}
	if res, _ := j.Save(ctx, radu, id, "existing", existing, SaveOptions{Strict: true}); len(res.Problems) != 1 || res.Problems[0].LinkID != "existing.motor_bonus" {
		t.Errorf("a motor question left out by the journey: %v", res.Problems)
	}
	delete(existing, "existing.motor_bonus")
	if res = save("existing", existing, SaveOptions{Submit: true}); !res.JourneyCompleted || res.Next != "" {
		t.Fatalf("last section: %+v", res)
	}
	all, err := j.Answers(ctx, radu, id)
	if err != nil || len(all) != 4+4+3+5+3 || all["travel.days"][0].Integer == nil || *all["travel.days"][0].Integer != 30 {
		t.Errorf("answers of the completed journey: %d %v", len(all), err)
	}
	if _, err := j.Save(ctx, radu, id, "travel", travel, SaveOptions{}); !errors.Is(err, ErrJourneyCompleted) {
		t.Errorf("a completed journey changed: %v", err)
	}
	var doc string
	if err := pool.QueryRow(ctx, `SELECT r.response::text FROM questionnaire_responses r JOIN questionnaires q ON q.id = r.questionnaire_id
		WHERE r.journey_id = $1 AND q.url = 'urn:ecrm:questionnaire:insurance-travel'`, id).Scan(&doc); err != nil ||
		!strings.Contains(doc, `"questionnaire": "urn:ecrm:questionnaire:insurance-travel|1"`) || !strings.Contains(doc, `"status": "completed"`) ||
		!strings.Contains(doc, `{"text": "How many days? (a month is 30)", "answer": [{"valueInteger": 30}], "linkId": "travel.days"}`) {
		t.Errorf("stored QuestionnaireResponse: %s %v", doc, err)
	}
	var events map[string]int
	rows, _ := pool.Query(ctx, `SELECT kind, count(*) FROM insurance_journey_events WHERE journey_id = $1 GROUP BY kind`, id)
	events = map[string]int{}
	for rows.Next() {
		var k string
		var n int
		_ = rows.Scan(&k, &n)
		events[k] = n
	}
	if events["start"] != 1 || events["submit"] != 5 || events["complete"] != 1 || events["answer"] < 15 {
		t.Errorf("events %v", events)
	}
}

// TestJourneyClientIsolation: Ion cannot read, list, save or renew Ana's
// journey; each refusal is "not found" and nothing of hers changes.
func TestJourneyClientIsolation(t *testing.T) {
	_, j := journeyFixture(t)
	ctx := context.Background()
	id, err := j.Start(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Save(ctx, 1, id, "applicant", applicantAnswers(), SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	notFound := func(what string, err error) {
		t.Helper()
		if ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
			t.Errorf("%s by another client: %v, want not found", what, err)
		}
	}
	_, err = j.Get(ctx, 2, id)
	notFound("get", err)
	_, err = j.Answers(ctx, 2, id)
	notFound("answers", err)
	_, err = j.Overview(ctx, 2, id)
	notFound("overview", err)
	_, err = j.Save(ctx, 2, id, "applicant", Answers{"applicant.household_size": {integer(5)}}, SaveOptions{})
	notFound("save", err)
	_, err = j.StartRenewal(ctx, 2, 0, id)
	notFound("renew", err)
	if list, err := j.List(ctx, 2); err != nil || len(list) != 0 {
		t.Errorf("Ion's list: %v %v", list, err)
	}
	if a, err := j.Answers(ctx, 1, id); err != nil || *a["applicant.household_size"][0].Integer != 2 {
		t.Errorf("Ana's answers changed: %v %v", a, err)
	}
}

// TestRenewal: a renewal under the same versions pre-fills every answer
// and starts at the last section; under a newer travel questionnaire
// (one question reworded, one new) only those two need attention.
func TestRenewal(t *testing.T) {
	_, j := journeyFixture(t)
	ctx := context.Background()
	id := completeTravelJourney(t, j, 1)
	again, err := j.StartRenewal(ctx, 1, 0, id)
	if err != nil {
		t.Fatal(err)
	}
	ov, err := j.Overview(ctx, 1, again)
	if err != nil || ov.Journey.Kind != "renewal" || *ov.Journey.PreviousJourneyID != id || ov.Journey.CurrentSection != "existing" {
		t.Fatalf("renewal %+v %v", ov.Journey, err)
	}
	before, _ := j.Answers(ctx, 1, id)
	after, _ := j.Answers(ctx, 1, again)
	if len(after) != len(before) || len(after) == 0 {
		t.Errorf("pre-filled %d answers of %d", len(after), len(before))
	}
	// Version 2 of travel: the days reworded, a new question.
	data, _ := questionnaireFiles.ReadFile("questionnaires/insurance-travel.json")
	v2 := strings.Replace(string(data), `"version": "1"`, `"version": "2"`, 1)
	v2 = strings.Replace(v2, `"How many days? (a month is 30)"`, `"How many days will you be away?"`, 1)
	v2 = strings.Replace(v2, `{
   "linkId": "travel.luggage"`, `{"linkId": "travel.rental_car", "type": "boolean", "text": "Will you rent a car?", "required": true},
  {
   "linkId": "travel.luggage"`, 1)
	if res, err := NewStore(j.pool).Import(ctx, []byte(v2), 0); err != nil || !res.Created {
		t.Fatalf("import version 2: %+v %v", res, err)
	}
	third, err := j.StartRenewal(ctx, 1, 0, again)
	if err != nil {
		t.Fatal(err)
	}
	ov, err = j.Overview(ctx, 1, third)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ov.Sections {
		want := []string{}
		if s.Key == "travel" {
			want = []string{"travel.days", "travel.rental_car"}
			if s.Version != "2" || s.Answers["travel.destination"] == nil || s.Answers["travel.days"] != nil {
				t.Errorf("travel under version 2: %+v", s)
			}
		}
		if !slices.Equal(s.Attention, want) {
			t.Errorf("%s attention %v, want %v", s.Key, s.Attention, want)
		}
	}
	if ov.Journey.CurrentSection != "travel" {
		t.Errorf("renewal starts at %s, want travel", ov.Journey.CurrentSection)
	}
}

// completeTravelJourney answers a travel-only journey to the end.
func completeTravelJourney(t testing.TB, j *Journeys, client int64) int64 {
	t.Helper()
	ctx := context.Background()
	id, err := j.Start(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		key string
		a   Answers
	}{
		{"applicant", applicantAnswers()},
		{"needs", needsAnswers("travel")},
		{"lifestyle", Answers{"lifestyle.occupation": {text("Teacher")}, "lifestyle.occupation_class": {coding("1")}, "lifestyle.hazardous_sports": {boolean(false)}}},
		{"travel", Answers{"travel.destination": {coding("eu")}, "travel.start_date": {date("2026-12-20")}, "travel.days": {integer(30)},
			"travel.travellers": {integer(2)}, "travel.activities": codes("standard")}},
		{"existing", Answers{"existing.claims_3y": {integer(0)}, "existing.refused_before": {boolean(false)}, "existing.declaration": {boolean(true)}}},
	} {
		res, err := j.Save(ctx, client, id, step.key, step.a, SaveOptions{Submit: true})
		if err != nil || !res.Completed {
			t.Fatalf("%s: %+v %v", step.key, res, err)
		}
	}
	return id
}
