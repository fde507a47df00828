package pipeline

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// sweepBatch bounds one transaction of the sweep: 25,000 tasks, their
// notifications and their e-mails are written together or not at all.
const sweepBatch = 25_000

// digestTasks is how many tasks an e-mail names; it counts the rest.
const digestTasks = 20

// SweepResult says what a sweep did.
type SweepResult struct {
	Overdue   int // assignees told of a task past its deadline
	Escalated int // team leads told of a task past its escalation
}

// Sweep tells each assignee of her open tasks past their deadline (a
// console notification and an e-mail, once per task) and each team lead of
// the tasks past their escalation time. It works in batches, each in its
// own transaction, so a long sweep holds no lock for long and a crash
// loses no batch half-done.
func (s *Store) Sweep(ctx context.Context, mail *outbox.Outbox, baseURL string) (SweepResult, error) {
	var res SweepResult
	now := s.now()
	for _, step := range []struct {
		kind  string
		count *int
	}{{"task_overdue", &res.Overdue}, {"task_escalated", &res.Escalated}} {
		for {
			n, err := s.sweepBatch(ctx, mail, baseURL, step.kind, now)
			if err != nil {
				return res, err
			}
			*step.count += n
			if n < sweepBatch {
				break
			}
		}
	}
	return res, nil
}

// Statements of one batch: mark the tasks, and return whom to tell (the
// assignee for an overdue task, her team lead for an escalation; a task
// whose assignee has no lead is marked and tells nobody).
var sweepSQL = map[string]string{
	"task_overdue": `
WITH due AS (
    SELECT id FROM tasks WHERE status = 'open' AND overdue_at IS NULL AND due_at <= $1 LIMIT $2
), marked AS (
    UPDATE tasks t SET overdue_at = $1 FROM due WHERE t.id = due.id AND t.status = 'open' AND t.overdue_at IS NULL
    RETURNING t.id, t.assignee_staff_id AS staff_id, t.title_en, t.title_ro, t.due_at, t.deal_id, t.client_id
)
SELECT m.id, m.staff_id, su.email, su.display_name, su.language, m.title_en, m.title_ro, m.due_at, coalesce(m.deal_id, 0),
       coalesce(c.given_name || ' ' || c.family_name, '')
FROM marked m JOIN staff_users su ON su.id = m.staff_id LEFT JOIN clients c ON c.id = m.client_id`,
	"task_escalated": `
WITH due AS (
    SELECT id FROM tasks WHERE status = 'open' AND escalated_at IS NULL AND escalate_at <= $1 LIMIT $2
), marked AS (
    UPDATE tasks t SET escalated_at = $1, overdue_at = coalesce(t.overdue_at, $1) FROM due
    WHERE t.id = due.id AND t.status = 'open' AND t.escalated_at IS NULL
    RETURNING t.id, t.assignee_staff_id, t.title_en, t.title_ro, t.due_at, t.deal_id, t.client_id
)
SELECT m.id, coalesce(lead.id, 0), coalesce(lead.email, ''), coalesce(lead.display_name, ''), coalesce(lead.language, 'en'),
       m.title_en, m.title_ro, m.due_at, coalesce(m.deal_id, 0),
       coalesce(c.given_name || ' ' || c.family_name, '') || ' / ' || a.display_name
FROM marked m JOIN staff_users a ON a.id = m.assignee_staff_id LEFT JOIN staff_users lead ON lead.id = a.team_lead_id
LEFT JOIN clients c ON c.id = m.client_id`,
}

func (s *Store) sweepBatch(ctx context.Context, mail *outbox.Outbox, baseURL, kind string, now time.Time) (int, error) {
	marked := 0
	err := pgdb.Transact(ctx, s.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sweepSQL[kind], now, sweepBatch)
		if err != nil {
			return err
		}
		type told struct {
			task, staff       int64
			email, name, lang string
			titleEN, titleRO  string
			due               time.Time
			deal              int64
			about             string
		}
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (told, error) {
			var t told
			return t, r.Scan(&t.task, &t.staff, &t.email, &t.name, &t.lang, &t.titleEN, &t.titleRO, &t.due, &t.deal, &t.about)
		})
		if err != nil {
			return err
		}
		marked = len(list)
		// One notification per task in the console; one e-mail per person
		// told, naming her tasks (a desk with 250 late tasks gets one
		// message, not 250).
		tasks, staff := make([]int64, 0, len(list)), make([]int64, 0, len(list))
		byStaff := map[int64][]told{}
		var order []int64
		for _, t := range list {
			if t.staff == 0 {
				continue // no team lead to tell
			}
			tasks, staff = append(tasks, t.task), append(staff, t.staff)
			if _, seen := byStaff[t.staff]; !seen {
				order = append(order, t.staff)
			}
			byStaff[t.staff] = append(byStaff[t.staff], t)
		}
		msgs := make([]outbox.Message, 0, len(order))
		for _, id := range order {
			mine := byStaff[id]
			first := mine[0]
			tag, _ := i18n.ParseLanguage(first.lang)
			l := i18n.NewLocalizer(tag)
			title := func(t told) string {
				if first.lang == "ro" {
					return t.titleRO
				}
				return t.titleEN
			}
			var lines strings.Builder
			for i, t := range mine {
				if i == digestTasks {
					lines.WriteString(l.T("pipeline.mail.more", len(mine)-digestTasks) + "\n")
					break
				}
				link := baseURL + "/console/tasks"
				if t.deal != 0 {
					link = fmt.Sprintf("%s/console/deals/%d", baseURL, t.deal)
				}
				lines.WriteString(l.T("pipeline.mail.line", title(t), t.about, l.DateTime(t.due, s.hours.Zone), link) + "\n")
			}
			subject := l.T("pipeline.mail."+kind+".subject", title(first))
			if len(mine) > 1 {
				subject = l.TN("pipeline.mail."+kind+".subject_many", len(mine), len(mine))
			}
			msgs = append(msgs, outbox.Message{Kind: outbox.Transactional, To: first.email, ToName: first.name, StaffID: id,
				Language: l.Lang().String(), Subject: subject, Body: l.T("pipeline.mail."+kind+".body", first.name, lines.String())})
		}
		if len(tasks) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO staff_notifications (staff_id, kind, task_id, created_at)
			SELECT s, $3, t, $4 FROM unnest($1::bigint[], $2::bigint[]) AS x (t, s)`, tasks, staff, kind, now); err != nil {
			return err
		}
		if mail != nil {
			return mail.EnqueueMany(ctx, tx, msgs)
		}
		return nil
	})
	return marked, err
}

// sweepArgs is the periodic job of the sweep.
type sweepArgs struct{}

func (sweepArgs) Kind() string { return "pipeline.sweep" }

// RegisterJobs schedules the sweep every minute.
func (s *Store) RegisterJobs(reg *jobs.Registry, mail *outbox.Outbox, baseURL string) {
	jobs.Handle(reg, func(ctx context.Context, _ *jobs.Job[sweepArgs]) error {
		_, err := s.Sweep(ctx, mail, baseURL)
		return err
	})
	jobs.Every(reg, "pipeline.sweep", time.Minute, func() jobs.Args { return sweepArgs{} })
}
