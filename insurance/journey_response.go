package insurance

import (
	"encoding/json"
	"fmt"
	"time"
)

// ToResponse writes answers as a FHIR R4 QuestionnaireResponse
// (https://hl7.org/fhir/R4/questionnaireresponse.html) to the
// questionnaire's version ("url|version"), nested as the questionnaire's
// groups are; only items with answers (and the groups holding them) are
// written.
func ToResponse(q *Questionnaire, questionnaireID, journeyID int64, answers Answers, status string, authored time.Time) map[string]any {
	return map[string]any{
		"resourceType":  "QuestionnaireResponse",
		"id":            fmt.Sprintf("journey-%d-questionnaire-%d", journeyID, questionnaireID),
		"questionnaire": q.URL + "|" + q.Version,
		"status":        status,
		"authored":      authored.UTC().Format(time.RFC3339),
		"item":          responseItems(q.Items, answers),
	}
}

func responseItems(items []*Item, answers Answers) []map[string]any {
	out := []map[string]any{}
	for _, it := range items {
		entry := map[string]any{"linkId": it.LinkID}
		if it.Text != "" {
			entry["text"] = it.Text
		}
		if it.Type == "group" {
			sub := responseItems(it.Items, answers)
			if len(sub) == 0 {
				continue
			}
			entry["item"] = sub
			out = append(out, entry)
			continue
		}
		given := answers[it.LinkID]
		if len(given) == 0 {
			continue
		}
		var list []map[string]any
		for _, v := range given {
			list = append(list, v.fhir())
		}
		entry["answer"] = list
		out = append(out, entry)
	}
	return out
}

// fhir is the value as FHIR's value[x].
func (v Value) fhir() map[string]any {
	switch {
	case v.Boolean != nil:
		return map[string]any{"valueBoolean": *v.Boolean}
	case v.Decimal != nil:
		return map[string]any{"valueDecimal": json.Number(v.Decimal.String())}
	case v.Integer != nil:
		return map[string]any{"valueInteger": *v.Integer}
	case v.Date != "":
		return map[string]any{"valueDate": v.Date}
	case v.String != nil:
		return map[string]any{"valueString": *v.String}
	case v.Coding != nil:
		return map[string]any{"valueCoding": v.Coding}
	case v.Quantity != nil:
		return map[string]any{"valueQuantity": v.Quantity}
	}
	return map[string]any{}
}
