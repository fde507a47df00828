package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// TaskInput is a task an advisor adds by hand (a call back promised on
// Friday, papers to prepare): for one of her deals, a client of her book,
// or herself alone.
type TaskInput struct {
	DealID   int64
	ClientID int64
	Title    string
	// Due is the deadline in the firm's zone, as a datetime-local input
	// sends it ("2026-12-08T10:00") or with seconds, or an RFC 3339 time.
	Due string
}

// ManualEscalation is how long after its deadline a task added by hand is
// escalated to the team lead: one working day, as most stage templates.
const ManualEscalation = 9 * 60

// taskFieldOrder is the order of the task form's fields.
var taskFieldOrder = []string{"deal_id", "client_id", "title", "due"}

// parseDue reads a deadline in zone.
func parseDue(s string, zone *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, zone); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// AddTask writes a task the viewer adds for herself. Every mistake is
// named at its field in one answer and nothing is written: a title
// missing or too long, a deadline missing, unreadable or already past, a
// deal she does not work or that is closed, a client outside her book.
func (s *Store) AddTask(ctx context.Context, in TaskInput, v Viewer) (int64, error) {
	now := s.now()
	var problems []ecrm.FieldError
	bad := func(field, key string) { problems = append(problems, ecrm.FieldError{Field: field, Message: key}) }
	title := strings.TrimSpace(in.Title)
	if title == "" || len([]rune(title)) > 200 {
		bad("title", "pipeline.error.task_title")
	}
	due, ok := parseDue(in.Due, s.hours.Zone)
	switch {
	case strings.TrimSpace(in.Due) == "" || !ok:
		bad("due", "pipeline.error.task_due")
	case due.Before(now):
		bad("due", "pipeline.error.task_due_past")
	}
	var id int64
	err := pgdb.Transact(ctx, s.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		var dealID, clientID *int64
		switch {
		case in.DealID > 0:
			var status string
			var client int64
			err := tx.QueryRow(ctx, `SELECT d.status, d.client_id FROM deals d JOIN clients c ON c.id = d.client_id
				WHERE d.id = $3 AND (d.owner_staff_id = $1 OR c.advisor_id = $1) AND $2::boolean IS NOT NULL`, v.StaffID, v.All, in.DealID).Scan(&status, &client)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				bad("deal_id", "pipeline.error.task_deal")
			case err != nil:
				return err
			case status != "open":
				bad("deal_id", "pipeline.error.task_deal_closed")
			default:
				dealID, clientID = &in.DealID, &client
			}
		case in.ClientID > 0:
			var mine bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM clients WHERE id = $1 AND advisor_id = $2)`, in.ClientID, v.StaffID).Scan(&mine); err != nil {
				return err
			}
			if !mine {
				bad("client_id", "pipeline.error.client")
			} else {
				clientID = &in.ClientID
			}
		case in.ClientID < 0:
			bad("client_id", "pipeline.error.client")
		}
		if len(problems) > 0 {
			return invalidTask(problems)
		}
		return tx.QueryRow(ctx, `INSERT INTO tasks (deal_id, client_id, title_en, title_ro, assignee_staff_id, due_at, escalate_at, created_at)
			VALUES ($1, $2, $3, $3, $4, $5, $6, $7) RETURNING id`,
			dealID, clientID, title, v.StaffID, due, s.hours.Add(due, ManualEscalation), now).Scan(&id)
	})
	if err != nil {
		var appErr *ecrm.Error
		if errors.As(err, &appErr) {
			return 0, err
		}
		return 0, fmt.Errorf("add a task: %w", err)
	}
	return id, nil
}

// invalidTask is the EINVALID error of a task's problems, in the form's
// order.
func invalidTask(problems []ecrm.FieldError) error {
	ordered := make([]ecrm.FieldError, 0, len(problems))
	for _, f := range taskFieldOrder {
		for _, p := range problems {
			if p.Field == f {
				ordered = append(ordered, p)
			}
		}
	}
	e := &ecrm.Error{Code: ecrm.EINVALID, Message: "pipeline.error.invalid", Fields: ordered}
	if len(ordered) == 1 {
		e.Field = ordered[0].Field
	}
	return e
}
