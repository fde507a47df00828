package insurance

import (
	"slices"
	"testing"

	"github.com/ecrm-project/ecrm/internal/i18n"
)

// translatedFHIR carries Romanian through FHIR's translation extension
// (https://hl7.org/fhir/R4/extension-translation.html) on the title, an
// item's text and an option's display; one item has no translation.
const translatedFHIR = `{
  "resourceType": "Questionnaire", "url": "urn:test:tr", "status": "active",
  "title": "Travel", "_title": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/translation",
    "extension": [{"url": "lang", "valueCode": "ro"}, {"url": "content", "valueString": "Călătorie"}]}]},
  "item": [
    {"linkId": "dest", "type": "choice", "text": "Where to?",
     "_text": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/translation",
       "extension": [{"url": "lang", "valueCode": "ro"}, {"url": "content", "valueString": "Unde mergeți?"}]}]},
     "answerOption": [{"valueCoding": {"code": "eu", "display": "Europe",
       "_display": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/translation",
         "extension": [{"url": "lang", "valueCode": "ro"}, {"url": "content", "valueString": "Uniunea Europeană"}]}]}}},
       {"valueCoding": {"code": "world"}}]},
    {"linkId": "days", "type": "integer", "text": "Days", "required": true}
  ]
}`

func TestTranslationsParsed(t *testing.T) {
	p, err := ParseFHIR([]byte(translatedFHIR))
	if err != nil || len(p.Problems) > 0 || len(p.Unsupported) > 0 {
		t.Fatalf("%v %v %v", err, p.Problems, p.Unsupported)
	}
	q := p.Questionnaire
	dest, days := q.Items[0], q.Items[1]
	for _, c := range []struct{ got, want string }{
		{q.TitleIn("ro"), "Călătorie"}, {q.TitleIn("en"), "Travel"}, {q.TitleIn("ro-RO"), "Călătorie"},
		{dest.TextIn("ro"), "Unde mergeți?"}, {dest.TextIn("en"), "Where to?"},
		{days.TextIn("ro"), "Days"}, // no translation: the item's own text
		{dest.Options[0].Coding.DisplayIn("ro"), "Uniunea Europeană"}, {dest.Options[0].Coding.DisplayIn("en"), "Europe"},
		{dest.Options[1].Coding.DisplayIn("ro"), "world"}, // neither display nor translation: the code
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	bad, err := ParseFHIR([]byte(`{"resourceType": "Questionnaire", "item": [{"linkId": "a", "type": "string", "text": "A",
		"_text": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/translation", "extension": [{"url": "lang", "valueCode": "ro"}]}]}}]}`))
	if err != nil || len(bad.Problems) != 1 || bad.Problems[0].LinkID != "a" || bad.Problems[0].Field != "_text" {
		t.Errorf("a translation without content: %v %v", err, bad.Problems)
	}
}

// TestProblemsInTheReadersLanguage: a problem keeps the API's English
// message and says it in Romanian from the catalogue.
func TestProblemsInTheReadersLanguage(t *testing.T) {
	p, _ := ParseFHIR([]byte(translatedFHIR))
	problems := Validate(p.Questionnaire, Answers{"dest": {coding("mars")}}, true)
	var en, ro []string
	for _, x := range problems {
		en = append(en, x.String())
		ro = append(ro, x.LinkID+": "+x.In(i18n.NewLocalizer(i18n.Romanian)))
	}
	if want := []string{"item dest: answer: is not one of the options", "item days: answer: is required"}; !slices.Equal(en, want) {
		t.Errorf("English %q, want %q", en, want)
	}
	if want := []string{"dest: nu este una dintre opțiuni", "days: este obligatorie"}; !slices.Equal(ro, want) {
		t.Errorf("Romanian %q, want %q", ro, want)
	}
	dup, _ := ParseFHIR([]byte(`{"resourceType": "Questionnaire", "item": [{"linkId": "a", "type": "boolean"}, {"linkId": "a", "type": "boolean"}]}`))
	if got := dup.Problems[0].In(i18n.NewLocalizer(i18n.Romanian)); got != "este folosit de 2 itemi; fiecare trebuie să fie unic" {
		t.Errorf("duplicate in Romanian: %q", got)
	}
}
