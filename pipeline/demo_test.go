package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/demodata"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestSeedDemo: the demo advisor starts with a dozen deals at every stage
// of the sales and mortgage pipelines, one of them with a task overdue
// that the sweep tells her about; she has a team lead; other advisors
// have deals too; a second run adds nothing.
func TestSeedDemo(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	zone, _ := time.LoadLocation("Europe/Bucharest")
	asOf := time.Date(2026, 11, 26, 11, 0, 0, 0, zone) // a Thursday
	if _, err := demodata.Seed(ctx, pool, demodata.Options{Clients: 600, Seed: 1, AsOf: asOf}); err != nil {
		t.Fatal(err)
	}
	hours := DefaultBusinessHours(zone)
	made, err := SeedDemo(ctx, pool, hours, asOf, demodata.DemoAdvisorEmail, 1)
	if err != nil {
		t.Fatal(err)
	}
	var maria int64
	var lead *int64
	if err := pool.QueryRow(ctx, `SELECT id, team_lead_id FROM staff_users WHERE email = $1`, demodata.DemoAdvisorEmail).Scan(&maria, &lead); err != nil {
		t.Fatal(err)
	}
	var deals, won, lost, stages, overdue int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE status = 'won'), count(*) FILTER (WHERE status = 'lost'), count(DISTINCT stage_id)
		FROM deals WHERE owner_staff_id = $1`, maria).Scan(&deals, &won, &lost, &stages); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE assignee_staff_id = $1 AND status = 'open' AND due_at < $2`, maria, asOf).Scan(&overdue); err != nil {
		t.Fatal(err)
	}
	if deals != 12 || won < 1 || lost < 1 || stages < 6 || overdue < 1 || lead == nil || *lead == maria || made <= deals {
		t.Errorf("demo: %d deals made, Maria %d (won %d, lost %d, %d stages), %d overdue, lead %v", made, deals, won, lost, stages, overdue, lead)
	}
	s := NewStore(pool, hours)
	s.SetClock(func() time.Time { return asOf })
	if res, err := s.Sweep(ctx, nil, "http://127.0.0.1:8080"); err != nil || res.Overdue < 1 {
		t.Errorf("sweep after the demo: %+v %v", res, err)
	}
	if notes, err := s.UnreadNotifications(ctx, maria); err != nil || len(notes) < 1 {
		t.Errorf("Maria's notifications: %d %v", len(notes), err)
	}
	if again, err := SeedDemo(ctx, pool, hours, asOf, demodata.DemoAdvisorEmail, 1); err != nil || again != 0 {
		t.Errorf("second run: %d %v", again, err)
	}
}
