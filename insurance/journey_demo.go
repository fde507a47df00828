package insurance

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"
)

// SeedDemoJourneys gives the demo's analytics page something to show:
// journeys of demo clients over the 30 days before now, some completed,
// some left in the middle of a section (after the household size, before
// answering the needs, after the vehicle's value, after the smoking
// question). It does nothing when any journey exists. The demo client Ana
// is left alone (policies seed her journey).
func SeedDemoJourneys(ctx context.Context, pool *pgxpool.Pool, now time.Time) (int, error) {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM insurance_journeys)`).Scan(&exists); err != nil || exists {
		return 0, err
	}
	rows, err := pool.Query(ctx, `SELECT id FROM clients WHERE kind = 'client' ORDER BY id OFFSET 10 LIMIT 36`)
	if err != nil {
		return 0, err
	}
	var clients []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		clients = append(clients, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	j, err := NewJourneys(pool)
	if err != nil {
		return 0, err
	}
	one := func(v Value) []Value { return []Value{v} }
	num := func(n int64) Value { return Value{Integer: &n} }
	yes, no := true, false
	code := func(c string) Value { return Value{Coding: &Coding{Code: c}} }
	amount := func(s string) Value { d := decimal.RequireFromString(s); return Value{Decimal: &d} }
	applicant := Answers{"applicant.birth_date": one(Value{Date: "1984-06-15"}), "applicant.employment": one(code("employed")),
		"applicant.region": one(code("centru")), "applicant.household_size": one(num(3))}
	needs := func(lines ...string) Answers {
		var protect []Value
		for _, l := range lines {
			protect = append(protect, code(l))
		}
		return Answers{"needs.protect": protect, "needs.budget_monthly": one(amount("120")), "needs.priority": one(code("price")),
			"needs.deductible": one(code("500"))}
	}
	existing := Answers{"existing.claims_3y": one(num(0)), "existing.refused_before": one(Value{Boolean: &no}),
		"existing.declaration": one(Value{Boolean: &yes})}
	type step struct {
		section string
		answers Answers
		submit  bool
	}
	travel := []step{{"applicant", applicant, true}, {"needs", needs("travel"), true},
		{"lifestyle", Answers{"lifestyle.occupation": one(Value{String: ptr("Teacher")}), "lifestyle.occupation_class": one(code("1")),
			"lifestyle.hazardous_sports": one(Value{Boolean: &no})}, true},
		{"travel", Answers{"travel.destination": one(code("eu")), "travel.start_date": one(Value{Date: now.AddDate(0, 0, 20).Format(time.DateOnly)}),
			"travel.days": one(num(30)), "travel.travellers": one(num(2)), "travel.activities": one(code("standard"))}, true},
		{"existing", existing, true}}
	paths := [][]step{
		travel,
		{{"applicant", Answers{"applicant.birth_date": applicant["applicant.birth_date"], "applicant.household_size": one(num(2))}, false}},
		{{"applicant", applicant, true}, {"needs", Answers{}, false}},
		{{"applicant", applicant, true}, {"needs", needs("motor"), true}, {"motor", Answers{"motor.vehicle_type": one(code("car")),
			"motor.make": one(Value{String: ptr("Dacia Duster")}), "motor.vehicle_year": one(num(2019)), "motor.vehicle_value": one(amount("65000"))}, false}},
		{{"applicant", applicant, true}, {"needs", needs("life", "health"), true}, {"life-health", Answers{"health.smoker": one(Value{Boolean: &yes})}, false}},
		travel,
	}
	n := 0
	for i, client := range clients {
		clock := now.Add(-time.Duration(30*24-i*19) * time.Hour)
		j.Now = func() time.Time { clock = clock.Add(37 * time.Second); return clock }
		id, err := j.Start(ctx, client)
		if err != nil {
			return n, fmt.Errorf("demo journey for client %d: %w", client, err)
		}
		for _, s := range paths[i%len(paths)] {
			ov, err := j.Overview(ctx, client, id)
			if err != nil {
				return n, err
			}
			if err := j.RecordView(ctx, client, id, findSection(ov, s.section).QuestionnaireID); err != nil {
				return n, err
			}
			answers := Answers{}
			for _, k := range slices.Sorted(maps.Keys(s.answers)) {
				answers[k] = s.answers[k]
				// Each answer is a live change, as a page makes it.
				if _, err := j.Save(ctx, client, id, s.section, answers, SaveOptions{Changed: []string{k}}); err != nil {
					return n, err
				}
			}
			if s.submit {
				res, err := j.Save(ctx, client, id, s.section, answers, SaveOptions{Submit: true})
				if err != nil {
					return n, err
				}
				if !res.Completed {
					return n, fmt.Errorf("demo journey %d: %s not complete: %v", id, s.section, res.Problems)
				}
			}
		}
		n++
	}
	return n, nil
}

func ptr(s string) *string { return &s }
