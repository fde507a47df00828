package insurance

import (
	"fmt"
	"strings"
	"testing"
)

// hundredQuestions is a questionnaire of 10 groups of 10 questions: in
// each group a yes/no question enables the next nine (integers with
// bounds, choices, strings with a pattern), as the journey's sections do.
func hundredQuestions(b *testing.B) (*Questionnaire, Answers) {
	var items []string
	answers := Answers{}
	for g := range 10 {
		var qs []string
		gate := fmt.Sprintf("g%d.q0", g)
		qs = append(qs, fmt.Sprintf(`{"linkId": %q, "type": "boolean", "required": true}`, gate))
		answers[gate] = []Value{boolean(true)}
		for i := 1; i < 10; i++ {
			id := fmt.Sprintf("g%d.q%d", g, i)
			when := fmt.Sprintf(`"enableWhen": [{"question": %q, "operator": "=", "answerBoolean": true}]`, gate)
			switch i % 3 {
			case 0:
				qs = append(qs, fmt.Sprintf(`{"linkId": %q, "type": "integer", "required": true, %s, "extension": [
					{"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 0},
					{"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 1000}]}`, id, when))
				answers[id] = []Value{integer(int64(i * 10))}
			case 1:
				qs = append(qs, fmt.Sprintf(`{"linkId": %q, "type": "choice", "required": true, %s, "answerOption": [
					{"valueCoding": {"code": "a"}}, {"valueCoding": {"code": "b"}}, {"valueCoding": {"code": "c"}}]}`, id, when))
				answers[id] = []Value{coding("b")}
			default:
				qs = append(qs, fmt.Sprintf(`{"linkId": %q, "type": "string", "maxLength": 40, %s, "extension": [
					{"url": "http://hl7.org/fhir/StructureDefinition/regex", "valueString": "[A-Za-z ]+"}]}`, id, when))
				answers[id] = []Value{text("Answer text")}
			}
		}
		items = append(items, fmt.Sprintf(`{"linkId": "g%d", "type": "group", "item": [%s]}`, g, strings.Join(qs, ",")))
	}
	p, err := ParseFHIR([]byte(`{"resourceType": "Questionnaire", "status": "active", "item": [` + strings.Join(items, ",") + `]}`))
	if err != nil || len(p.Problems) > 0 {
		b.Fatalf("%v %v", err, p.Problems)
	}
	return p.Questionnaire, answers
}

// BenchmarkValidate100: enableWhen and validation of a complete
// 100-question response (target: under 1 ms).
func BenchmarkValidate100(b *testing.B) {
	q, answers := hundredQuestions(b)
	for b.Loop() {
		if p := Validate(q, answers, true); len(p) != 0 {
			b.Fatal(p)
		}
	}
}
