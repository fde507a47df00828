package insurance

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// travelFHIR is a FHIR R4 Questionnaire in the subset ecrm reads: a
// group of two questions, a boolean that enables a follow-up, a choice, an
// integer with bounds, a string with a pattern, a question enabled by
// either of two answers, one enabled by the mere existence of an answer,
// and two things ecrm does not support (a value set, an unknown extension).
const travelFHIR = `{
  "resourceType": "Questionnaire",
  "id": "travel",
  "url": "https://ecrm.example/fhir/Questionnaire/travel",
  "version": "1",
  "title": "Travel insurance",
  "status": "active",
  "item": [
    {"linkId": "trip", "type": "group", "text": "Your trip", "item": [
      {"linkId": "trip.days", "type": "integer", "text": "How many days?", "required": true,
       "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 1},
                     {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 365}]},
      {"linkId": "trip.region", "type": "choice", "text": "Where to?", "required": true,
       "answerOption": [{"valueCoding": {"code": "eu", "display": "Europe"}}, {"valueCoding": {"code": "world", "display": "Worldwide"}}]}
    ]},
    {"linkId": "sports", "type": "boolean", "text": "Will you do winter sports?"},
    {"linkId": "sports.kind", "type": "string", "text": "Which?", "required": true,
     "enableWhen": [{"question": "sports", "operator": "=", "answerBoolean": true}]},
    {"linkId": "passport", "type": "string", "text": "Passport number",
     "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/regex", "valueString": "[A-Z]{2}[0-9]{6}"}]},
    {"linkId": "long_or_world", "type": "display", "text": "Long trips and trips outside Europe need medical details.",
     "enableBehavior": "any",
     "enableWhen": [{"question": "trip.days", "operator": ">", "answerInteger": 90},
                    {"question": "trip.region", "operator": "=", "answerCoding": {"code": "world"}}]},
    {"linkId": "passport.note", "type": "text", "maxLength": 20,
     "enableWhen": [{"question": "passport", "operator": "exists", "answerBoolean": true}]},
    {"linkId": "country", "type": "open-choice", "answerValueSet": "http://hl7.org/fhir/ValueSet/iso3166-1-2",
     "extension": [{"url": "http://example.org/unknown", "valueString": "x"}]}
  ]
}`

func parseTravel(t *testing.T) *Questionnaire {
	t.Helper()
	p, err := ParseFHIR([]byte(travelFHIR))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Problems) > 0 || p.Questionnaire == nil {
		t.Fatalf("problems: %v", p.Problems)
	}
	want := []string{"extension http://example.org/unknown", "item.answerValueSet"}
	if !slices.Equal(p.Unsupported, want) {
		t.Errorf("unsupported %q, want %q", p.Unsupported, want)
	}
	return p.Questionnaire
}

func TestParseFHIRQuestionnaire(t *testing.T) {
	q := parseTravel(t)
	if q.Title != "Travel insurance" || q.Version != "1" || len(q.Items) != 7 || len(q.Items[0].Items) != 2 {
		t.Fatalf("read %+v", q)
	}
	days := q.Items[0].Items[0]
	if days.MinValue == nil || *days.MinValue.Integer != 1 || *days.MaxValue.Integer != 365 || !days.Required {
		t.Errorf("trip.days bounds %+v %+v", days.MinValue, days.MaxValue)
	}
	if region := q.Items[0].Items[1]; len(region.Options) != 2 || region.Options[1].Coding.Code != "world" {
		t.Errorf("trip.region options %+v", region.Options)
	}
}

func integer(n int64) Value { return Value{Integer: &n} }
func boolean(b bool) Value  { return Value{Boolean: &b} }
func text(s string) Value   { return Value{String: &s} }
func coding(c string) Value { return Value{Coding: &Coding{Code: c}} }

func TestEnableWhen(t *testing.T) {
	q := parseTravel(t)
	for _, tc := range []struct {
		name    string
		answers Answers
		on, off []string
	}{
		{"nothing answered", Answers{}, []string{"trip", "trip.days", "sports"}, []string{"sports.kind", "long_or_world", "passport.note"}},
		{"winter sports", Answers{"sports": {boolean(true)}}, []string{"sports.kind"}, nil},
		{"no winter sports", Answers{"sports": {boolean(false)}}, nil, []string{"sports.kind"}},
		{"a long trip in Europe (any: the first holds)", Answers{"trip.days": {integer(91)}, "trip.region": {coding("eu")}}, []string{"long_or_world"}, nil},
		{"a short trip worldwide (any: the second holds)", Answers{"trip.days": {integer(7)}, "trip.region": {coding("world")}}, []string{"long_or_world"}, nil},
		{"a short trip in Europe", Answers{"trip.days": {integer(90)}, "trip.region": {coding("eu")}}, nil, []string{"long_or_world"}},
		{"a passport number (exists)", Answers{"passport": {text("RO123456")}}, []string{"passport.note"}, nil},
	} {
		on := Enabled(q, tc.answers)
		for _, id := range tc.on {
			if !on[id] {
				t.Errorf("%s: %s disabled, want enabled", tc.name, id)
			}
		}
		for _, id := range tc.off {
			if on[id] {
				t.Errorf("%s: %s enabled, want disabled", tc.name, id)
			}
		}
	}
}

func TestValidateAnswers(t *testing.T) {
	q := parseTravel(t)
	good := Answers{"trip.days": {integer(10)}, "trip.region": {coding("eu")}, "sports": {boolean(true)},
		"sports.kind": {text("skiing")}, "passport": {text("RO123456")}}
	if p := Validate(q, good, true); len(p) != 0 {
		t.Errorf("a good response: %v", p)
	}
	for _, tc := range []struct {
		name    string
		answers Answers
		want    string
	}{
		{"out of range", Answers{"trip.days": {integer(0)}}, "item trip.days: answer: is below the least allowed, 1"},
		{"above the range", Answers{"trip.days": {integer(400)}}, "item trip.days: answer: is above the most allowed, 365"},
		{"wrong type", Answers{"trip.days": {text("ten")}}, "item trip.days: answer: must be an answer of type integer"},
		{"not an option", Answers{"trip.region": {coding("mars")}}, "item trip.region: answer: is not one of the options"},
		{"a disabled question", Answers{"sports": {boolean(false)}, "sports.kind": {text("skiing")}},
			"item sports.kind: answer: the question does not apply to the answers given"},
		{"pattern", Answers{"passport": {text("123")}}, "item passport: answer: does not have the expected form"},
		{"too long", Answers{"passport": {text("RO123456")}, "passport.note": {text(strings.Repeat("x", 21))}},
			"item passport.note: answer: is longer than 20 characters"},
		{"unknown", Answers{"nope": {text("x")}}, "item nope: answer: there is no such question"},
		{"two answers", Answers{"sports": {boolean(true), boolean(false)}}, "item sports: answer: takes one answer, not 2"},
		{"a group", Answers{"trip": {text("x")}}, "item trip: answer: a group takes no answer"},
	} {
		p := Validate(q, tc.answers, false)
		if len(p) != 1 || p[0].String() != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, p, tc.want)
		}
	}
	// Complete: the enabled required questions must be answered; a
	// required question that is disabled is not.
	p := Validate(q, Answers{"sports": {boolean(false)}}, true)
	var got []string
	for _, x := range p {
		got = append(got, x.String())
	}
	want := []string{"item trip.days: answer: is required", "item trip.region: answer: is required"}
	if !slices.Equal(got, want) {
		t.Errorf("incomplete: %q, want %q", got, want)
	}
}

func TestMalformedDefinitionsRefused(t *testing.T) {
	for _, tc := range []struct {
		name, items, want string
	}{
		{"duplicate linkId", `[{"linkId": "a", "type": "boolean"}, {"linkId": "a", "type": "string"}]`,
			"item a: linkId: is used by 2 items; each must be unique"},
		{"unknown question", `[{"linkId": "a", "type": "boolean", "enableWhen": [{"question": "zz", "operator": "exists", "answerBoolean": true}]}]`,
			`item a: enableWhen.question: names "zz", which is not an item of this questionnaire`},
		{"a cycle", `[{"linkId": "a", "type": "boolean", "enableWhen": [{"question": "b", "operator": "=", "answerBoolean": true}]},
			{"linkId": "b", "type": "boolean", "enableWhen": [{"question": "a", "operator": "=", "answerBoolean": true}]}]`,
			"item a: enableWhen: the conditions go round in a circle: a → b → a"},
		{"a choice without options", `[{"linkId": "a", "type": "choice"}]`, "item a: answerOption: a choice needs at least one option"},
		{"an unknown type", `[{"linkId": "a", "type": "attachment"}]`, `item a: type: "attachment" is not a type ecrm supports`},
		{"a bad operator", `[{"linkId": "a", "type": "boolean"}, {"linkId": "b", "type": "boolean", "enableWhen": [{"question": "a", "operator": "~", "answerBoolean": true}]}]`,
			`item b: enableWhen.operator: "~" is not one of`},
		{"two conditions without a behaviour", `[{"linkId": "a", "type": "boolean"}, {"linkId": "b", "type": "boolean", "enableWhen": [
			{"question": "a", "operator": "exists", "answerBoolean": true}, {"question": "a", "operator": "=", "answerBoolean": true}]}]`,
			"item b: enableBehavior: is required with more than one enableWhen"},
		{"a bad pattern", `[{"linkId": "a", "type": "string", "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/regex", "valueString": "("}]}]`,
			`item a: extension: regex "(" is not a regular expression`},
	} {
		p, err := ParseFHIR([]byte(`{"resourceType": "Questionnaire", "status": "active", "item": ` + tc.items + `}`))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.Questionnaire != nil || len(p.Problems) == 0 || !strings.HasPrefix(p.Problems[0].String(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, p.Problems, tc.want)
		}
	}
	if p, _ := ParseFHIR([]byte(`{"resourceType": "Patient"}`)); len(p.Problems) != 1 || p.Problems[0].Field != "resourceType" {
		t.Errorf("a Patient: %v", p.Problems)
	}
	if _, err := ParseFHIR([]byte(`{`)); err == nil {
		t.Error("broken JSON parsed")
	}
}

// TestPublishedExampleImports reads the FHIR R4 specification's own
// example questionnaire, "Lifelines Questionnaire 1 part 1"
// (https://hl7.org/fhir/R4/questionnaire-example-f201-lifelines.json.html,
// kept in testdata as published, its typo "alchohol" included): every
// element is read or known, and its answers validate.
func TestPublishedExampleImports(t *testing.T) {
	data, err := os.ReadFile("testdata/fhir-r4-questionnaire-example-f201-lifelines.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseFHIR(data)
	if err != nil || len(p.Problems) > 0 || len(p.Unsupported) > 0 {
		t.Fatalf("f201: %v %v unsupported %v", err, p.Problems, p.Unsupported)
	}
	q := p.Questionnaire
	if q.URL != "http://hl7.org/fhir/Questionnaire/f201" || len(q.Items) != 3 || len(q.Items[1].Items) != 4 || len(q.Items[2].Items) != 2 ||
		q.Items[1].Items[1].Type != "date" || q.Items[2].Items[1].Text != "Do you drink alchohol?" {
		t.Fatalf("f201 read as %+v", q)
	}
	answers := Answers{"1": {boolean(false)}, "2.1": {text("Male")}, "2.2": {Value{Date: "1960-03-13"}}, "3.1": {boolean(false)}}
	if problems := Validate(q, answers, true); len(problems) != 0 {
		t.Errorf("a response to f201: %v", problems)
	}
	if problems := Validate(q, Answers{"2.2": {text("yesterday")}}, false); len(problems) != 1 || problems[0].LinkID != "2.2" {
		t.Errorf("a date given as text: %v", problems)
	}
}

// TestPublishedZikaExample reads the FHIR R4 specification's example
// "Example Zika Virus Exposure Assessment"
// (https://hl7.org/fhir/R4/questionnaire-zika-virus-exposure-assessment.json.html;
// testdata holds it as the specification's source publishes it,
// HL7/fhir source/questionnaire/questionnaire-zika-virus-exposure-assessment.xml,
// written in FHIR's JSON form). Its example extension is listed as
// unsupported, not dropped (items' codes, the identifier and the
// effective period are metadata ecrm keeps and does not act on); its chain of enableWhen conditions (each on the answer
// before) follows FHIR's rule that a condition on a disabled question sees
// no answer.
func TestPublishedZikaExample(t *testing.T) {
	data, err := os.ReadFile("testdata/fhir-r4-questionnaire-example-zika-virus-exposure-assessment.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseFHIR(data)
	if err != nil || len(p.Problems) > 0 {
		t.Fatalf("zika: %v %v", err, p.Problems)
	}
	if want := []string{"extension http://example.org/additional-information"}; !slices.Equal(p.Unsupported, want) {
		t.Errorf("unsupported %v, want %v", p.Unsupported, want)
	}
	q := p.Questionnaire
	shown := func(a Answers) string {
		on := Enabled(q, a)
		var ids []string
		for _, id := range []string{"1", "2", "3", "4", "5", "6"} {
			if on[id] {
				ids = append(ids, id)
			}
		}
		return strings.Join(ids, ",")
	}
	for _, c := range []struct {
		answers Answers
		want    string
	}{
		{Answers{}, "1"},
		{Answers{"1": {boolean(true)}}, "1"},
		// A resident answered no: the travel question; travelled: how long ago.
		{Answers{"1": {boolean(false)}}, "1,2"},
		{Answers{"1": {boolean(false)}, "2": {boolean(true)}}, "1,2,3"},
		{Answers{"1": {boolean(false)}, "2": {boolean(false)}}, "1,2,4"},
		{Answers{"1": {boolean(false)}, "2": {boolean(false)}, "4": {boolean(true)}}, "1,2,4,5"},
		{Answers{"1": {boolean(false)}, "2": {boolean(false)}, "4": {boolean(false)}}, "1,2,4,6"},
		// Answering 1 yes afterwards disables 2, so 4 and 6 — whose
		// conditions are on disabled questions — go with it, answers kept
		// or not.
		{Answers{"1": {boolean(true)}, "2": {boolean(false)}, "4": {boolean(false)}}, "1"},
	} {
		if got := shown(c.answers); got != c.want {
			t.Errorf("%v: shown %s, want %s", c.answers, got, c.want)
		}
	}
	months := Value{Quantity: &Quantity{Value: decimal.NewFromInt(2), Unit: "months"}}
	answers := Answers{"1": {boolean(false)}, "2": {boolean(true)}, "3": {months}}
	if problems := Validate(q, answers, true); len(problems) != 0 {
		t.Errorf("a response: %v", problems)
	}
	answers["5"] = []Value{months}
	if problems := Validate(q, answers, true); len(problems) != 1 || problems[0].LinkID != "5" {
		t.Errorf("an answer to a disabled question: %v", problems)
	}
}
