package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// SeedDemo gives the demo a working sales desk: advisors in teams of
// eight under the first of them as team lead, and deals made through the
// Store as they would have been over the past weeks (so their tasks,
// deadlines and timelines are real). The demo advisor gets a dozen deals
// across the sales and mortgage pipelines at every stage, one of them with
// its first task left undone three business days ago, so it is overdue
// from the start; every other advisor gets two. It does nothing when deals
// exist.
func SeedDemo(ctx context.Context, pool *pgxpool.Pool, hours BusinessHours, asOf time.Time, demoAdvisorEmail string, seed uint64) (int, error) {
	var existing int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM deals`).Scan(&existing); err != nil || existing > 0 {
		return 0, err
	}
	if _, err := pool.Exec(ctx, `
WITH advisors AS (
    SELECT id, (row_number() OVER (ORDER BY id) - 1) / 8 AS team FROM staff_users WHERE 'advisor' = ANY (roles)
), leads AS (
    SELECT team, min(id) AS lead FROM advisors GROUP BY team
)
UPDATE staff_users s SET team_lead_id = l.lead
FROM advisors a JOIN leads l ON l.team = a.team
WHERE s.id = a.id AND s.id <> l.lead`); err != nil {
		return 0, fmt.Errorf("demo team leads: %w", err)
	}
	// The demo advisor's lead is the second advisor, so her escalations
	// reach someone other than herself.
	if _, err := pool.Exec(ctx, `UPDATE staff_users SET team_lead_id = (
		SELECT id FROM staff_users WHERE 'advisor' = ANY (roles) AND email <> $1 ORDER BY id LIMIT 1) WHERE email = $1`, demoAdvisorEmail); err != nil {
		return 0, fmt.Errorf("demo team leads: %w", err)
	}
	rows, err := pool.Query(ctx, `SELECT s.id, s.email = $1, c.id, c.given_name FROM staff_users s
		CROSS JOIN LATERAL (SELECT id, given_name FROM clients WHERE advisor_id = s.id AND kind <> 'prospect' ORDER BY id
		                    LIMIT CASE WHEN s.email = $1 THEN 12 ELSE 2 END) c
		WHERE 'advisor' = ANY (s.roles) ORDER BY s.id, c.id`, demoAdvisorEmail)
	if err != nil {
		return 0, fmt.Errorf("demo deals: %w", err)
	}
	type pick struct {
		staff  int64
		demo   bool
		client int64
		given  string
	}
	var picks []pick
	for rows.Next() {
		var p pick
		if err := rows.Scan(&p.staff, &p.demo, &p.client, &p.given); err != nil {
			return 0, err
		}
		picks = append(picks, p)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	s := NewStore(pool, hours)
	all, err := s.Pipelines(ctx)
	if err != nil {
		return 0, err
	}
	byCode := map[string]Pipeline{}
	for _, p := range all {
		byCode[p.Code] = p
	}
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	// The clock walks from the deal's creation through its stages, a
	// business day or two apart, ending before asOf.
	var clock time.Time
	s.SetClock(func() time.Time { return clock })
	made, demoIndex := 0, 0
	for _, p := range picks {
		code, title, amount := "sales", "Savings and current account", fmt.Sprintf("%d.00", 5_000+r.IntN(50)*1_000)
		if r.IntN(3) == 0 {
			code, title, amount = "mortgage", "Home purchase", fmt.Sprintf("%d.00", 150_000+r.IntN(40)*10_000)
		}
		stages := byCode[code].Stages
		// How far the deal has gone: the demo advisor's deals spread over
		// every open stage, the won and the lost one.
		steps := r.IntN(len(stages))
		overdue := false
		if p.demo {
			steps = demoIndex % len(stages)
			overdue = demoIndex == 0
			demoIndex++
		}
		start := asOf.AddDate(0, 0, -3*(steps+1)-1)
		if overdue {
			steps, start = 0, hours.Add(asOf.AddDate(0, 0, -5), 0)
		}
		clock = start
		id, err := s.CreateDeal(ctx, DealInput{Pipeline: code, ClientID: p.client, Title: title, Amount: amount, Currency: "RON",
			Source: Sources[r.IntN(len(Sources))], OwnerStaffID: p.staff, ExpectedCloseOn: asOf.AddDate(0, 1+r.IntN(3), 0).Format(time.DateOnly)}, p.staff)
		if err != nil {
			return made, fmt.Errorf("demo deal for client %d: %w", p.client, err)
		}
		made++
		v := Viewer{StaffID: p.staff}
		// Through the open stages up to the target; a won or lost target
		// is reached from the last open stage before it.
		target := stages[steps]
		var path []Stage
		for _, st := range stages[1 : steps+1] {
			if st.Outcome == "open" {
				path = append(path, st)
			}
		}
		if target.Outcome != "open" {
			path = append(path, target)
		}
		for _, st := range path {
			// The stage's tasks are done before the deal moves on.
			clock = hours.Add(clock, 120)
			if err := s.completeOpenTasks(ctx, id, v); err != nil {
				return made, err
			}
			clock = hours.Add(clock, 60)
			reason := ""
			if st.Outcome == "lost" {
				reason = "The client chose another bank's offer"
			}
			if err := s.MoveDeal(ctx, id, st.Code, reason, v); err != nil {
				return made, fmt.Errorf("demo deal %d to %s: %w", id, st.Code, err)
			}
		}
	}
	return made, nil
}

// completeOpenTasks marks a deal's open tasks done (demo data only).
func (s *Store) completeOpenTasks(ctx context.Context, dealID int64, v Viewer) error {
	rows, err := s.pool.Query(ctx, `SELECT id FROM tasks WHERE deal_id = $1 AND status = 'open'`, dealID)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.CompleteTask(ctx, id, v); err != nil {
			return err
		}
	}
	return nil
}
