package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// fixture: advisors Maria (1, lead Elena 3) and Ion (2), client Ana in
// Maria's book, client Bogdan in Ion's; the clock is Wednesday 25
// November 2026, 10:00 in Bucharest.
type fixture struct {
	pool  *pgxpool.Pool
	store *Store
	now   time.Time
	mail  *outbox.Outbox
}

const fixtureSQL = `
INSERT INTO staff_users (id, email, display_name, roles, language) VALUES
  (3, 'elena@bank.test', 'Elena Lead', '{advisor}', 'ro'),
  (1, 'maria@bank.test', 'Maria Advisor', '{advisor}', 'en'),
  (2, 'ion@bank.test', 'Ion Advisor', '{advisor}', 'en');
UPDATE staff_users SET team_lead_id = 3 WHERE id = 1;
INSERT INTO clients (id, given_name, family_name, advisor_id) VALUES (10, 'Ana', 'Popescu', 1), (11, 'Bogdan', 'Radu', 2);`

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), fixtureSQL); err != nil {
		t.Fatal(err)
	}
	zone, err := time.LoadLocation("Europe/Bucharest")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{pool: pool, store: NewStore(pool, DefaultBusinessHours(zone)), now: time.Date(2026, 11, 25, 10, 0, 0, 0, zone)}
	f.store.SetClock(func() time.Time { return f.now })
	q, err := jobs.New(pool, nil, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f.mail = outbox.New(pool, nil)
	f.mail.SetQueue(q)
	return f
}

var maria, ion = Viewer{StaffID: 1}, Viewer{StaffID: 2}

func fieldsOf(err error) []string {
	var e *ecrm.Error
	if !errors.As(err, &e) {
		return nil
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field+"="+f.Message)
	}
	return out
}

// TestDealMovesThroughStagesWithTasks: a new deal starts in the first
// stage with its tasks due in business minutes; each stage entered adds
// its tasks; lost needs a reason; won closes the deal and cancels what is
// left; the timeline says all of it; bad input names every field.
func TestDealMovesThroughStagesWithTasks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.store.CreateDeal(ctx, DealInput{Pipeline: "sales", ClientID: 999, Title: " ", Amount: "100.555", Currency: "EUR",
		Source: "telepathy", ExpectedCloseOn: "2026-11-01"}, 1)
	want := "client_id=pipeline.error.client title=pipeline.error.title amount=pipeline.error.amount_places source=pipeline.error.source expected_close_on=pipeline.error.date_past"
	if got := strings.Join(fieldsOf(err), " "); got != want {
		t.Errorf("bad deal: %s\nwant %s", got, want)
	}
	id, err := f.store.CreateDeal(ctx, DealInput{Pipeline: "sales", ClientID: 10, Title: "Mortgage refinancing", Amount: "250000.00",
		Currency: "RON", Source: "web", ExpectedCloseOn: "2026-12-20"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.store.Deal(ctx, id, maria)
	if err != nil {
		t.Fatal(err)
	}
	if d.StageCode != "lead" || d.Status != "open" || d.Amount.String() != "250000.00 RON" || len(d.Tasks) != 1 ||
		d.Tasks[0].Title.EN != "Call the client back" || !d.Tasks[0].DueAt.Equal(f.now.Add(15*time.Minute)) {
		t.Fatalf("new deal %+v, tasks %+v", d.Deal, d.Tasks)
	}
	// Ion, whose book Ana is not in, neither sees nor moves it.
	if _, err := f.store.Deal(ctx, id, ion); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("Ion reads Maria's deal: %v", err)
	}
	if err := f.store.MoveDeal(ctx, id, "proposal", "", ion); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("Ion moves Maria's deal: %v", err)
	}
	if err := f.store.CompleteTask(ctx, d.Tasks[0].ID, ion); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("Ion completes Maria's task: %v", err)
	}

	// 17:30: the proposal stage's two tasks, due in 2 business hours
	// (tomorrow 10:30) and in a business day (Friday 9:30... 1,440
	// business minutes: 30 today, 540 Thursday, 540 Friday, 330 Monday —
	// a holiday — so Wednesday 2 December 14:30).
	f.now = time.Date(2026, 11, 25, 17, 30, 0, 0, f.now.Location())
	if err := f.store.CompleteTask(ctx, d.Tasks[0].ID, maria); err != nil {
		t.Fatal(err)
	}
	if err := f.store.MoveDeal(ctx, id, "proposal", "", maria); err != nil {
		t.Fatal(err)
	}
	if err := f.store.MoveDeal(ctx, id, "nowhere", "", maria); strings.Join(fieldsOf(err), "") != "stage=pipeline.error.stage" {
		t.Errorf("unknown stage: %v", err)
	}
	if err := f.store.MoveDeal(ctx, id, "lost", "  ", maria); strings.Join(fieldsOf(err), "") != "reason=pipeline.error.lost_reason" {
		t.Errorf("lost without a reason: %v", err)
	}
	d, _ = f.store.Deal(ctx, id, maria)
	var open []string
	for _, task := range d.Tasks {
		if task.Status == "open" {
			open = append(open, task.Title.EN+" "+task.DueAt.In(f.now.Location()).Format("2006-01-02 15:04"))
		}
	}
	if got := strings.Join(open, ", "); got != "Send the proposal 2026-11-26 10:30, Follow up on the proposal 2026-12-02 14:30" {
		t.Errorf("open tasks after the move: %s", got)
	}
	if err := f.store.MoveDeal(ctx, id, "onboarded", "", maria); err != nil {
		t.Fatal(err)
	}
	d, _ = f.store.Deal(ctx, id, maria)
	var events []string
	for _, e := range d.Events {
		events = append(events, e.Kind+":"+e.ToStage.EN+e.TaskTitle.EN)
	}
	if d.Status != "won" || d.ClosedAt == nil || strings.Join(events, " ") != "created:Lead task_done:Call the client back stage:Proposal won:Onboarded" {
		t.Errorf("after won: %s %v %q", d.Status, d.ClosedAt, events)
	}
	for _, task := range d.Tasks {
		if task.Status == "open" {
			t.Errorf("task %q still open on a won deal", task.Title.EN)
		}
	}
}

// TestSweepTellsOnceAndEscalates: an overdue task is told to its assignee
// once (console and e-mail in her language), its escalation to her team
// lead once; an assignee without a lead escalates to nobody.
func TestSweepTellsOnceAndEscalates(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, c := range []struct {
		client int64
		owner  int64
	}{{10, 1}, {11, 2}} {
		if _, err := f.store.CreateDeal(ctx, DealInput{Pipeline: "sales", ClientID: c.client, Title: "Savings", Source: "branch", OwnerStaffID: c.owner}, c.owner); err != nil {
			t.Fatal(err)
		}
	}
	count := func(q string) int {
		var n int
		if err := f.pool.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// 10:10: nothing is due yet.
	f.now = f.now.Add(10 * time.Minute)
	if res, err := f.store.Sweep(ctx, f.mail, "https://crm.test"); err != nil || res != (SweepResult{}) {
		t.Fatalf("sweep before the deadline: %+v %v", res, err)
	}
	// 10:20: both call-backs are overdue.
	f.now = f.now.Add(10 * time.Minute)
	res, err := f.store.Sweep(ctx, f.mail, "https://crm.test")
	if err != nil || res != (SweepResult{Overdue: 2}) {
		t.Fatalf("sweep past the deadline: %+v %v", res, err)
	}
	if res, _ := f.store.Sweep(ctx, f.mail, "https://crm.test"); res != (SweepResult{}) {
		t.Errorf("a second sweep told again: %+v", res)
	}
	notes, err := f.store.UnreadNotifications(ctx, 1)
	if err != nil || len(notes) != 1 || notes[0].Kind != "task_overdue" || notes[0].ClientName != "Ana Popescu" {
		t.Errorf("Maria's notifications %+v %v", notes, err)
	}
	var subject, body string
	if err := f.pool.QueryRow(ctx, `SELECT subject, body FROM outbox_messages WHERE to_address = 'maria@bank.test'`).Scan(&subject, &body); err != nil {
		t.Fatal(err)
	}
	if subject != "Overdue: Call the client back" || !strings.Contains(body, "(Ana Popescu), due 25 Nov 2026, 10:15") || !strings.Contains(body, "https://crm.test/console/deals/") {
		t.Errorf("Maria's e-mail: %q %q", subject, body)
	}
	// 11:20: past the escalation (60 business minutes after 10:15): Maria's
	// goes to Elena, in Romanian; Ion has no lead.
	f.now = f.now.Add(time.Hour)
	res, err = f.store.Sweep(ctx, f.mail, "https://crm.test")
	if err != nil || res != (SweepResult{Escalated: 2}) {
		t.Fatalf("escalation sweep: %+v %v", res, err)
	}
	if err := f.pool.QueryRow(ctx, `SELECT subject FROM outbox_messages WHERE to_address = 'elena@bank.test'`).Scan(&subject); err != nil || subject != "Escaladată: Sunați clientul înapoi" {
		t.Errorf("Elena's e-mail: %q %v", subject, err)
	}
	if n := count(`SELECT count(*) FROM staff_notifications WHERE staff_id = 3 AND kind = 'task_escalated'`); n != 1 {
		t.Errorf("%d escalations to Elena", n)
	}
	if n := count(`SELECT count(*) FROM outbox_messages`); n != 3 {
		t.Errorf("%d e-mails, want 3 (two overdue, one escalation)", n)
	}
	if n := count(`SELECT count(*) FROM river_job WHERE kind = 'outbox.send'`); n != 3 {
		t.Errorf("%d sending jobs, want 3", n)
	}
}
