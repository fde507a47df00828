package servicedesk

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/outbox"
)

// sweepBatch bounds one sweep: requests past their deadline are few (a
// desk that lets thousands go late has a bigger problem than e-mail).
const sweepBatch = 1000

// Sweep tells whoever works each open request past its deadline — its
// assignee, or the members of its team's queue — once, by one e-mail per
// person listing her late requests, and marks them told. (A request
// reopened after an answer gets a new deadline and may be told again.)
func (d *Desk) Sweep(ctx context.Context) (told int, err error) {
	now := d.now()
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
WITH late AS (
    SELECT id FROM service_requests
    WHERE status = 'open' AND overdue_told_at IS NULL AND due_at < $1
    ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED
), marked AS (
    UPDATE service_requests r SET overdue_told_at = $1 FROM late WHERE r.id = late.id
    RETURNING r.id, r.kind, r.due_at, r.assignee_staff_id, r.team_code
)
SELECT m.id, m.kind, m.due_at, s.id, s.email, s.display_name, s.language
FROM marked m JOIN staff_users s
  ON s.id = m.assignee_staff_id
  OR (m.assignee_staff_id IS NULL AND s.id IN (SELECT t.staff_id FROM service_team_members t WHERE t.team_code = m.team_code))
WHERE s.active
ORDER BY s.id, m.due_at, m.id`, now, sweepBatch)
		if err != nil {
			return err
		}
		type late struct {
			id                int64
			kind              string
			due               time.Time
			staff             int64
			email, name, lang string
		}
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (late, error) {
			var l late
			return l, r.Scan(&l.id, &l.kind, &l.due, &l.staff, &l.email, &l.name, &l.lang)
		})
		if err != nil {
			return err
		}
		seen := map[int64]bool{}
		var msgs []outbox.Message
		for i := 0; i < len(list); {
			j := i
			for j < len(list) && list[j].staff == list[i].staff {
				j++
			}
			mine := list[i:j]
			l := localizer(mine[0].lang)
			var lines strings.Builder
			for _, r := range mine {
				seen[r.id] = true
				fmt.Fprintf(&lines, "- %s\n", l.T("servicedesk.mail.overdue.line", Number(r.id), l.T("servicedesk.kind."+r.kind),
					l.DateTime(r.due, d.hours.Zone), fmt.Sprintf("%s/console/requests/%d", d.cfg.BaseURL, r.id)))
			}
			msgs = append(msgs, outbox.Message{Kind: outbox.Transactional, To: mine[0].email, ToName: mine[0].name, StaffID: mine[0].staff,
				Language: l.Lang().String(), Subject: l.TN("servicedesk.mail.overdue.subject", len(mine), len(mine)),
				Body: l.T("servicedesk.mail.overdue.body", mine[0].name, lines.String())})
			i = j
		}
		told = len(seen)
		if d.mail == nil || len(msgs) == 0 {
			return nil
		}
		return d.mail.EnqueueMany(ctx, tx, msgs)
	})
	if err != nil {
		return 0, fmt.Errorf("service requests past their deadline: %w", err)
	}
	return told, nil
}

// sweepArgs is the periodic job of the sweep.
type sweepArgs struct{}

func (sweepArgs) Kind() string { return "servicedesk.sweep" }

// RegisterJobs schedules the sweep every five minutes.
func (d *Desk) RegisterJobs(reg *jobs.Registry) {
	jobs.Handle(reg, func(ctx context.Context, _ *jobs.Job[sweepArgs]) error {
		_, err := d.Sweep(ctx)
		return err
	})
	jobs.Every(reg, "servicedesk.sweep", 5*time.Minute, func() jobs.Args { return sweepArgs{} })
}
