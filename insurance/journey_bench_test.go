package insurance

import (
	"context"
	"strconv"
	"testing"
)

// BenchmarkJourneyLiveChange: the server's side of one live answer change
// in the largest section (life and health, 17 questions): the journey and
// its responses read, the section's enableWhen and validation under the
// journey's conditions, the response saved as a QuestionnaireResponse
// and the change's analytics event written, in one transaction on the
// real database (what a form[data-live] change costs before rendering).
func BenchmarkJourneyLiveChange(b *testing.B) {
	_, j := journeyFixture(b)
	ctx := context.Background()
	id, err := j.Start(ctx, 1)
	if err != nil {
		b.Fatal(err)
	}
	for _, step := range []struct {
		key string
		a   Answers
	}{{"applicant", applicantAnswers()}, {"needs", needsAnswers("life", "health", "travel")}} {
		if res, err := j.Save(ctx, 1, id, step.key, step.a, SaveOptions{Submit: true}); err != nil || !res.Completed {
			b.Fatalf("%s: %+v %v", step.key, res, err)
		}
	}
	answers := Answers{"life.sum_insured": {dec("250000")}, "life.term_years": {integer(20)}, "life.mortgage_linked": {boolean(true)},
		"life.mortgage_balance": {dec("180000.50")}, "health.smoker": {boolean(false)}, "health.height_cm": {integer(172)},
		"health.weight_kg": {dec("70.5")}, "health.conditions": codes("none"), "health.hospital_cover": {coding("standard")}}
	n := int64(0)
	for b.Loop() {
		n++
		answers["health.height_cm"] = []Value{integer(150 + n%50)}
		res, err := j.Save(ctx, 1, id, "life-health", answers, SaveOptions{Changed: []string{"health.height_cm"}})
		if err != nil || len(res.Problems) > 0 {
			b.Fatalf("%v %v", err, res.Problems)
		}
	}
}

// BenchmarkJourneySectionValidate: enableWhen and validation alone for
// the same section and answers (no database).
func BenchmarkJourneySectionValidate(b *testing.B) {
	qs, err := ShippedQuestionnaires()
	if err != nil {
		b.Fatal(err)
	}
	def, err := LoadJourneyDefinition()
	if err != nil {
		b.Fatal(err)
	}
	s, _, _ := def.Section("life-health")
	var q *Questionnaire
	for _, x := range qs {
		if x.URL == s.URL {
			q = x
		}
	}
	gate := s.gate(Answers{"needs.protect": codes("life", "health")})
	answers := Answers{"life.sum_insured": {dec("250000")}, "life.term_years": {integer(20)}, "health.smoker": {boolean(false)},
		"health.height_cm": {integer(172)}, "health.weight_kg": {dec("70.5")}, "health.conditions": codes("none"),
		"health.hospital_cover": {coding("standard")}}
	for b.Loop() {
		if p := validate(q, prune(q, clean(answers), gate), true, gate); len(p) != 0 {
			b.Fatal(p)
		}
	}
}

// BenchmarkJourneyLivePage: one live change end to end on the server, as
// the page's script sends it: the form posted without its submit button, the
// change saved, the journey read again, the section and the programmes
// panel (a stand-in selector) rendered in HTML.
func BenchmarkJourneyLivePage(b *testing.B) {
	_, j := journeyFixture(b)
	ctx := context.Background()
	id, err := j.Start(ctx, 1)
	if err != nil {
		b.Fatal(err)
	}
	for _, step := range []struct {
		key string
		a   Answers
	}{{"applicant", applicantAnswers()}, {"needs", needsAnswers("life", "health", "travel")}} {
		if res, err := j.Save(ctx, 1, id, step.key, step.a, SaveOptions{Submit: true}); err != nil || !res.Completed {
			b.Fatalf("%s: %+v %v", step.key, res, err)
		}
	}
	h := journeyServer(b, j, lineSelector{})
	path := "/portal/insurance/journeys/" + strconv.FormatInt(id, 10) + "/sections/life-health?life.sum_insured=250000&life.term_years=20" +
		"&health.smoker=false&health.weight_kg=70.5&health.conditions=none&health.hospital_cover=standard&health.height_cm="
	n := 0
	for b.Loop() {
		n++
		w := do(b, h, liveCall(path+strconv.Itoa(150+n%50), "1"))
		if w.Code != 200 {
			b.Fatalf("%d", w.Code)
		}
	}
}
