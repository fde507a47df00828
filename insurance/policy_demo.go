package insurance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
// It returns the new policy's id (0 when nothing was done).
func SeedDemoPolicies(ctx context.Context, pool *pgxpool.Pool, clientEmail string, asOf time.Time) (int64, error) {
	var id int64
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var clientID int64
		var birth *time.Time
		err := tx.QueryRow(ctx, `SELECT id, birth_date FROM clients WHERE email = $1 ORDER BY id LIMIT 1`, clientEmail).Scan(&clientID, &birth)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		var bound bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM insurance_policies WHERE client_id = $1 AND bound_at IS NOT NULL)`, clientID).Scan(&bound); err != nil || bound {
			return err
		}
		// Her earlier trip, the one this policy renews.
		var prevID int64
		var prevNumber, insurer string
		var prevStart, prevEnd time.Time
		err = tx.QueryRow(ctx, `SELECT id, policy_number, insurer, starts_on, ends_on FROM insurance_policies
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
		start := policyDay(asOf).AddDate(0, 0, -demoTripDays)
		ends := PolicyEndsOn(start, 1)
		premium := ecrm.MustMoney("118.40", "RON")
		schedule, err := PremiumSchedule(premium, FrequencySingle, start, 1)
		if err != nil {
			return err
		}
		answers, _ := json.Marshal(demoTravelAnswers(birth, start, 30, "europe"))
		prefix := prevNumber
		if len(prefix) > 3 {
			prefix = prefix[:3]
		}
		boundAt := start.AddDate(0, 0, -2).Add(19*time.Hour + 12*time.Minute)
		// The number is the insurer's prefix, the line and the id, as the
		// demo data set writes them.
		if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('insurance_policies', 'id'))`).Scan(&id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO insurance_policies (id, client_id, policy_number, insurer, line, status, starts_on, ends_on,
				sum_insured, premium, currency, premium_frequency, short_term, terms_version, answers, questionnaire_versions,
				renews_policy_id, term_premium, bound_at, created_at)
			VALUES ($1, $2, $3, $4, 'travel', 'active', $5, $6, 150000, $7, 'RON', 'single', true, 'TRV-2026.2', $8, $9, $10, $7, $11, $11)`,
			id, clientID, fmt.Sprintf("%s-TRV-%08d", prefix, id), insurer, start, ends, premium.Amount, answers, versions, prevID, boundAt)
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
