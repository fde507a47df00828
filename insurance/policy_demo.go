package insurance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// The demo's renewal (issue 16, "done when"): the demo client holds a
// one-month travel policy bought online, ending about a week after the
// demo's today, so that the renewal reminder, the Renew button and the
// pre-filled renewal can be tried at once; it renews her earlier trip, so
// the history shows both with their answers.

// demoTripDays is how many days before the demo's today the trip began:
// a one-month term then ends 8 or 9 days after it, inside the reminder
// window.
const demoTripDays = 22

// demoTravelAnswers are the answers the demo trip was priced on (the
// contract's linkIds).
func demoTravelAnswers(birthDate *time.Time, start time.Time, days int64, destination string) Answers {
	code := func(c string) []Value { return []Value{{Coding: &Coding{Code: c}}} }
	integer := func(n int64) []Value { return []Value{{Integer: &n}} }
	dec := func(s string) []Value { d := decimal.RequireFromString(s); return []Value{{Decimal: &d}} }
	no := false
	a := Answers{
		"applicant.region":         code("bucuresti-ilfov"),
		"applicant.household_size": integer(3),
		"needs.protect":            code("travel"),
		"needs.budget_monthly":     dec("150"),
		"needs.priority":           code("cover"),
		"needs.deductible":         code("0"),
		"travel.destination":       code(destination),
		"travel.start_date":        {{Date: start.Format(time.DateOnly)}},
		"travel.days":              integer(days),
		"travel.travellers":        integer(2),
		"travel.activities":        code("standard"),
		"existing.claims_3y":       integer(0),
		"existing.refused_before":  {{Boolean: &no}},
	}
	if birthDate != nil {
		a["applicant.birth_date"] = []Value{{Date: birthDate.Format(time.DateOnly)}}
	}
	return a
}

// demoJourneyAnswers are the whole journey's answers behind the demo
// trip: the priced answers and what the journey asks besides.
func demoJourneyAnswers(birthDate *time.Time, start time.Time) Answers {
	a := demoTravelAnswers(birthDate, start, 30, "europe")
	yes, no := true, false
	occupation := "Economist"
	a["applicant.employment"] = []Value{{Coding: &Coding{Code: "employed"}}}
	a["lifestyle.occupation"] = []Value{{String: &occupation}}
	a["lifestyle.occupation_class"] = []Value{{Coding: &Coding{Code: "1"}}}
	a["lifestyle.hazardous_sports"] = []Value{{Boolean: &no}}
	a["existing.declaration"] = []Value{{Boolean: &yes}}
	return a
}

// demoJourneySections are the journey's sections a travel-only journey
// answers, with the linkId prefixes of each.
var demoJourneySections = []struct{ key, prefix string }{
	{"applicant", "applicant."}, {"needs", "needs."}, {"lifestyle", "lifestyle."}, {"travel", "travel."}, {"existing", "existing."},
}

// seedDemoJourney answers the demo trip's journey, section by section,
// as the applicant would have two days before the trip; it returns the
// journey's id.
func seedDemoJourney(ctx context.Context, journeys *Journeys, clientID int64, answers Answers, at time.Time) (int64, error) {
	journeys.Now = func() time.Time { return at }
	id, err := journeys.Start(ctx, clientID)
	if err != nil {
		return 0, err
	}
	for _, s := range demoJourneySections {
		part := Answers{}
		for k, v := range answers {
			if strings.HasPrefix(k, s.prefix) {
				part[k] = v
			}
		}
		res, err := journeys.Save(ctx, clientID, id, s.key, part, SaveOptions{Submit: true, Strict: true})
		if err != nil {
			return 0, fmt.Errorf("section %s: %w", s.key, err)
		}
		if len(res.Problems) > 0 {
			return 0, fmt.Errorf("section %s: %v", s.key, res.Problems)
		}
	}
	return id, nil
}

// demoQuestionnaireVersions: the travel journey's sections, version 1.
var demoQuestionnaireVersions = map[string]string{
	"urn:ecrm:questionnaire:insurance-applicant": "1",
	"urn:ecrm:questionnaire:insurance-needs":     "1",
	"urn:ecrm:questionnaire:insurance-travel":    "1",
	"urn:ecrm:questionnaire:insurance-existing":  "1",
}

// SeedDemoPolicies gives the client with the e-mail address clientEmail
// her one-month trip ending soon after asOf, once: nothing is done when
// she has a policy bound online already, or no earlier travel policy.
// With journeys (its clock is set to the purchase), the trip was bought
// through a journey answered in full, so that Renew pre-fills it. It
// returns the new policy's id (0 when nothing was done).
func SeedDemoPolicies(ctx context.Context, pool *pgxpool.Pool, journeys *Journeys, clientEmail string, asOf time.Time) (int64, error) {
	var clientID int64
	var birth *time.Time
	err := pool.QueryRow(ctx, `SELECT c.id, c.birth_date FROM clients c WHERE c.email = $1
		AND NOT EXISTS (SELECT 1 FROM insurance_policies p WHERE p.client_id = c.id AND p.bound_at IS NOT NULL)
		AND EXISTS (SELECT 1 FROM insurance_policies p WHERE p.client_id = c.id AND p.line = 'travel' AND p.status = 'expired')
		ORDER BY c.id LIMIT 1`, clientEmail).Scan(&clientID, &birth)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("demo policies: %w", err)
	}
	start := policyDay(asOf).AddDate(0, 0, -demoTripDays)
	boundAt := start.AddDate(0, 0, -2).Add(19*time.Hour + 12*time.Minute)
	var journeyID *int64
	if journeys != nil {
		jid, err := seedDemoJourney(ctx, journeys, clientID, demoJourneyAnswers(birth, start), boundAt.Add(-15*time.Minute))
		if err != nil {
			return 0, fmt.Errorf("demo policies: journey: %w", err)
		}
		journeyID = &jid
	}
	var id int64
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// Her earlier trip, the one this policy renews.
		var prevID int64
		var prevNumber, insurer string
		var prevStart, prevEnd time.Time
		err := tx.QueryRow(ctx, `SELECT id, policy_number, insurer, starts_on, ends_on FROM insurance_policies
			WHERE client_id = $1 AND line = 'travel' AND status = 'expired' ORDER BY ends_on DESC, id DESC LIMIT 1`, clientID).
			Scan(&prevID, &prevNumber, &insurer, &prevStart, &prevEnd)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		prevAnswers, _ := json.Marshal(demoTravelAnswers(birth, prevStart, int64(prevEnd.Sub(prevStart).Hours()/24), "eu"))
		versions, _ := json.Marshal(demoQuestionnaireVersions)
		if _, err := tx.Exec(ctx, `UPDATE insurance_policies SET answers = $2, questionnaire_versions = $3, terms_version = 'TRV-2026.1'
			WHERE id = $1 AND client_id = $4`, prevID, prevAnswers, versions, clientID); err != nil {
			return err
		}
		ends := PolicyEndsOn(start, 1)
		premium := ecrm.MustMoney("118.40", "RON")
		schedule, err := PremiumSchedule(premium, FrequencySingle, start, 1)
		if err != nil {
			return err
		}
		answers, _ := json.Marshal(demoJourneyAnswers(birth, start))
		prefix := prevNumber
		if len(prefix) > 3 {
			prefix = prefix[:3]
		}
		// The number is the insurer's prefix, the line and the id, as the
		// demo data set writes them.
		if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('insurance_policies', 'id'))`).Scan(&id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO insurance_policies (id, client_id, policy_number, insurer, line, status, starts_on, ends_on,
				sum_insured, premium, currency, premium_frequency, short_term, terms_version, answers, questionnaire_versions,
				renews_policy_id, term_premium, bound_at, created_at, journey_id)
			VALUES ($1, $2, $3, $4, 'travel', 'active', $5, $6, 150000, $7, 'RON', 'single', true, 'TRV-2026.2', $8, $9, $10, $7, $11, $11, $12)`,
			id, clientID, fmt.Sprintf("%s-TRV-%08d", prefix, id), insurer, start, ends, premium.Amount, answers, versions, prevID, boundAt, journeyID)
		if err != nil {
			return err
		}
		for _, in := range schedule {
			var inst int64
			if err := tx.QueryRow(ctx, `INSERT INTO premium_instalments (policy_id, client_id, due_on, amount, currency, status)
				VALUES ($1, $2, $3, $4, 'RON', 'paid') RETURNING id`, id, clientID, in.DueOn, in.Amount).Scan(&inst); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO premium_payments (instalment_id, policy_id, client_id, paid_at, amount, currency, method)
				VALUES ($1, $2, $3, $4, $5, 'RON', 'card')`, inst, id, clientID, boundAt.Add(3*time.Minute), in.Amount); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("demo policies: %w", err)
	}
	return id, nil
}
