package insurance

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// StartRenewal opens a renewal journey for the policy, pre-filled with
// the previous journey's answers: under the same questionnaire version
// every answer is kept; under a newer version an answer is kept when its
// question is unchanged (same type, text and options) and the answer is
// still valid, and the new or changed questions, and the answers no
// longer valid, are marked as needing attention. A section whose answers
// are complete and need no attention is completed already; the journey
// starts at the first that is not. The previous journey must be the
// client's.
func (j *Journeys) StartRenewal(ctx context.Context, clientID, policyID, previousJourneyID int64) (int64, error) {
	var id int64
	err := pgdb.Transact(ctx, j.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		prev, err := j.load(ctx, tx, clientID, previousJourneyID, false)
		if err != nil {
			return err
		}
		now := j.Now()
		var policy *int64
		if policyID != 0 {
			policy = &policyID
		}
		if err := tx.QueryRow(ctx, `
INSERT INTO insurance_journeys (client_id, kind, renews_policy_id, previous_journey_id, status, current_section, started_at, updated_at)
VALUES ($1, 'renewal', $2, $3, 'in_progress', $4, $5, $5) RETURNING id`, clientID, policy, previousJourneyID, j.def.Sections[0].Key, now).Scan(&id); err != nil {
			return err
		}
		carried := &state{journey: &Journey{ID: id}, responses: map[string]*response{}}
		sofar := Answers{}
		for _, s := range j.def.Sections {
			old := prev.responses[s.URL]
			if old == nil {
				continue
			}
			latest, err := latestVersion(ctx, tx, s.URL)
			if err != nil {
				return err
			}
			newQ, err := j.questionnaire(ctx, tx, latest)
			if err != nil {
				return err
			}
			answers, attention := Answers{}, []string{}
			if latest == old.questionnaireID {
				for k, v := range old.answers {
					answers[k] = v
				}
			} else {
				oldQ, err := j.questionnaire(ctx, tx, old.questionnaireID)
				if err != nil {
					return err
				}
				answers, attention = carryOver(oldQ, newQ, old.answers)
			}
			gate := s.gate(sofar)
			answers = prune(newQ, answers, gate)
			for _, p := range validate(newQ, answers, false, gate) {
				delete(answers, p.LinkID)
				attention = append(attention, p.LinkID)
			}
			status := "in-progress"
			if len(validate(newQ, answers, true, gate)) == 0 && len(attention) == 0 {
				status = "completed"
			}
			// Only the questions still shown need attention.
			on := enabled(newQ, answers, gate)
			attention = slices.DeleteFunc(attention, func(id string) bool { return !on[id] })
			slices.Sort(attention)
			attention = slices.Compact(attention)
			doc, err := json.Marshal(ToResponse(newQ, latest, id, answers, status, now))
			if err != nil {
				return err
			}
			flat, err := json.Marshal(answers)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `
INSERT INTO questionnaire_responses (journey_id, client_id, questionnaire_id, status, response, answers, attention, authored)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, clientID, latest, status, doc, flat, attention, now); err != nil {
				return err
			}
			carried.responses[s.URL] = &response{questionnaireID: latest, url: s.URL, status: status, answers: answers, attention: attention}
			if s.Holds(sofar) {
				for k, v := range answers {
					sofar[k] = v
				}
			}
		}
		first := j.firstIncomplete(carried, sofar)
		if first == "" {
			// Everything is still complete: the applicant confirms the
			// last section and goes on to the choice.
			applicable := j.def.Applicable(sofar)
			first = applicable[len(applicable)-1]
		}
		qid, err := latestVersion(ctx, tx, j.def.Sections[0].URL)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO insurance_journey_events (journey_id, questionnaire_id, kind, at) VALUES ($1, $2, 'start', $3)`, id, qid, now); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE insurance_journeys SET current_section = $2 WHERE id = $1`, id, first)
		return err
	})
	return id, err
}

// carryOver keeps the answers of the questions that did not change from
// the old version to the new and names the new and changed questions.
func carryOver(oldQ, newQ *Questionnaire, answers Answers) (Answers, []string) {
	before := map[string]*Item{}
	walkItems(oldQ.Items, func(it *Item) { before[it.LinkID] = it })
	kept, attention := Answers{}, []string{}
	walkItems(newQ.Items, func(it *Item) {
		if it.Type == "group" || it.Type == "display" {
			return
		}
		was, ok := before[it.LinkID]
		if !ok || !sameQuestion(was, it) {
			attention = append(attention, it.LinkID)
			return
		}
		if v, ok := answers[it.LinkID]; ok {
			kept[it.LinkID] = v
		}
	})
	return kept, attention
}

// sameQuestion: the same type, text, bounds and option codes.
func sameQuestion(a, b *Item) bool {
	if a.Type != b.Type || a.Text != b.Text || a.Repeats != b.Repeats || len(a.Options) != len(b.Options) {
		return false
	}
	for i := range a.Options {
		if c, ok := compare(a.Options[i], b.Options[i]); !ok || c != 0 {
			return false
		}
	}
	bound := func(x, y *Value) bool {
		if x == nil || y == nil {
			return x == nil && y == nil
		}
		c, ok := compare(*x, *y)
		return ok && c == 0
	}
	return bound(a.MinValue, b.MinValue) && bound(a.MaxValue, b.MaxValue) && a.Regex == b.Regex && a.MaxLength == b.MaxLength
}
