package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

const dealColumns = `d.id, d.pipeline_id, p.code, p.name_en, p.name_ro, d.stage_id, st.code, st.name_en, st.name_ro,
	d.client_id, c.given_name || ' ' || c.family_name, coalesce(d.product_id, 0), d.title, d.amount, d.currency::text, d.source,
	d.owner_staff_id, su.display_name, d.expected_close_on, d.status, coalesce(d.lost_reason, ''), d.created_at, d.updated_at, d.closed_at`

const dealFrom = ` FROM deals d JOIN pipelines p ON p.id = d.pipeline_id JOIN pipeline_stages st ON st.id = d.stage_id
	JOIN clients c ON c.id = d.client_id JOIN staff_users su ON su.id = d.owner_staff_id`

func scanDeal(row pgx.Row) (Deal, error) {
	var d Deal
	var amount *decimal.Decimal
	var currency *string
	err := row.Scan(&d.ID, &d.PipelineID, &d.PipelineCode, &d.PipelineName.EN, &d.PipelineName.RO, &d.StageID, &d.StageCode,
		&d.StageName.EN, &d.StageName.RO, &d.ClientID, &d.ClientName, &d.ProductID, &d.Title, &amount, &currency, &d.Source,
		&d.OwnerStaffID, &d.OwnerName, &d.ExpectedCloseOn, &d.Status, &d.LostReason, &d.CreatedAt, &d.UpdatedAt, &d.ClosedAt)
	if amount != nil && currency != nil {
		d.Amount = &ecrm.Money{Amount: *amount, Currency: *currency}
	}
	return d, err
}

// DealView is a deal with its timeline and tasks.
type DealView struct {
	Deal
	Stages []Stage
	Events []Event
	Tasks  []Task
}

// Deal returns a deal the viewer may see, with its pipeline's stages, its
// timeline (oldest first) and its tasks.
func (s *Store) Deal(ctx context.Context, id int64, v Viewer) (*DealView, error) {
	d, err := scanDeal(s.pool.QueryRow(ctx, `SELECT `+dealColumns+dealFrom+` WHERE d.id = $3 AND `+scopeSQL, v.StaffID, v.All, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ecrm.Errorf(ecrm.ENOTFOUND, "There is no deal %d.", id)
	}
	if err != nil {
		return nil, fmt.Errorf("deal %d: %w", id, err)
	}
	view := &DealView{Deal: d}
	rows, err := s.pool.Query(ctx, `SELECT id, code, name_en, name_ro, position, outcome FROM pipeline_stages WHERE pipeline_id = $1 ORDER BY position`, d.PipelineID)
	if err != nil {
		return nil, err
	}
	if view.Stages, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Stage, error) {
		var st Stage
		return st, r.Scan(&st.ID, &st.Code, &st.Name.EN, &st.Name.RO, &st.Position, &st.Outcome)
	}); err != nil {
		return nil, err
	}
	rows, err = s.pool.Query(ctx, `SELECT e.kind, coalesce(f.name_en, ''), coalesce(f.name_ro, ''), coalesce(t.name_en, ''), coalesce(t.name_ro, ''),
			coalesce(k.title_en, ''), coalesce(k.title_ro, ''), coalesce(su.display_name, ''), coalesce(e.note, ''), e.at
		FROM deal_events e LEFT JOIN pipeline_stages f ON f.id = e.from_stage_id LEFT JOIN pipeline_stages t ON t.id = e.to_stage_id
		LEFT JOIN tasks k ON k.id = e.task_id LEFT JOIN staff_users su ON su.id = e.staff_id
		WHERE e.deal_id = $1 ORDER BY e.at, e.id`, id)
	if err != nil {
		return nil, err
	}
	if view.Events, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		var e Event
		return e, r.Scan(&e.Kind, &e.FromStage.EN, &e.FromStage.RO, &e.ToStage.EN, &e.ToStage.RO, &e.TaskTitle.EN, &e.TaskTitle.RO, &e.StaffName, &e.Note, &e.At)
	}); err != nil {
		return nil, err
	}
	if view.Tasks, err = s.tasks(ctx, `t.deal_id = $1`, []any{id}, "t.status <> 'open', t.due_at, t.id"); err != nil {
		return nil, err
	}
	return view, nil
}

const taskColumns = `t.id, coalesce(t.deal_id, 0), coalesce(d.title, ''), coalesce(t.client_id, 0), coalesce(c.given_name || ' ' || c.family_name, ''),
	t.title_en, t.title_ro, t.assignee_staff_id, su.display_name, t.due_at, t.escalate_at, t.status, t.completed_at, t.overdue_at, t.escalated_at`

func (s *Store) tasks(ctx context.Context, where string, args []any, order string) ([]Task, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks t LEFT JOIN deals d ON d.id = t.deal_id
		LEFT JOIN clients c ON c.id = t.client_id JOIN staff_users su ON su.id = t.assignee_staff_id
		WHERE `+where+` ORDER BY `+order+` LIMIT `+strconv.Itoa(MaxTasksListed), args...)
	if err != nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Task, error) {
		var t Task
		return t, r.Scan(&t.ID, &t.DealID, &t.DealTitle, &t.ClientID, &t.ClientName, &t.Title.EN, &t.Title.RO, &t.AssigneeID,
			&t.AssigneeName, &t.DueAt, &t.EscalateAt, &t.Status, &t.CompletedAt, &t.OverdueAt, &t.EscalatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	return list, nil
}

// MaxTasksListed bounds a list of tasks; MyTasks says how many there are.
const MaxTasksListed = 200

// MyTasks are the staff member's open tasks, the most urgent first (by
// deadline), at most MaxTasksListed of them, and how many are open in
// all. Both read tasks_assignee_idx.
func (s *Store) MyTasks(ctx context.Context, staffID int64) ([]Task, int, error) {
	list, err := s.tasks(ctx, `t.assignee_staff_id = $1 AND t.status = 'open'`, []any{staffID}, "t.due_at, t.id")
	if err != nil {
		return nil, 0, err
	}
	total := len(list)
	if total == MaxTasksListed {
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE assignee_staff_id = $1 AND status = 'open'`, staffID).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count tasks: %w", err)
		}
	}
	return list, total, nil
}

// ClientWork is a client's open deals and open tasks, for the 360.
type ClientWork struct {
	Deals []Deal
	Tasks []Task
}

// ClientWork returns the client's open deals and tasks the viewer may see.
func (s *Store) ClientWork(ctx context.Context, clientID int64, v Viewer) (ClientWork, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+dealColumns+dealFrom+` WHERE d.client_id = $3 AND d.status = 'open' AND `+scopeSQL+`
		ORDER BY d.updated_at DESC, d.id DESC`, v.StaffID, v.All, clientID)
	if err != nil {
		return ClientWork{}, fmt.Errorf("deals of client %d: %w", clientID, err)
	}
	var w ClientWork
	if w.Deals, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Deal, error) { return scanDeal(r) }); err != nil {
		return ClientWork{}, fmt.Errorf("deals of client %d: %w", clientID, err)
	}
	if w.Tasks, err = s.tasks(ctx, `t.client_id = $1 AND t.status = 'open' AND ($3::boolean OR t.assignee_staff_id = $2 OR d.owner_staff_id = $2 OR c.advisor_id = $2)`,
		[]any{clientID, v.StaffID, v.All}, "t.due_at, t.id"); err != nil {
		return ClientWork{}, err
	}
	return w, nil
}

// BoardColumn is a stage with the deals in it.
type BoardColumn struct {
	Stage
	Deals []Deal
	Total []ecrm.Money // amounts by currency
}

// Board is a pipeline's deals by stage: the open ones, and those closed in
// the last 30 days in the won and lost columns.
func (s *Store) Board(ctx context.Context, pipelineCode string, v Viewer) (*Pipeline, []BoardColumn, error) {
	all, err := s.Pipelines(ctx)
	if err != nil {
		return nil, nil, err
	}
	var p *Pipeline
	for i := range all {
		if all[i].Code == pipelineCode {
			p = &all[i]
		}
	}
	if p == nil {
		return nil, nil, ecrm.Errorf(ecrm.ENOTFOUND, "There is no pipeline %q.", pipelineCode)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+dealColumns+dealFrom+` WHERE d.pipeline_id = $3 AND `+scopeSQL+`
		AND (d.status = 'open' OR d.closed_at > $4) ORDER BY st.position, d.expected_close_on NULLS LAST, d.id LIMIT 2000`,
		v.StaffID, v.All, p.ID, s.now().AddDate(0, 0, -30))
	if err != nil {
		return nil, nil, fmt.Errorf("board %s: %w", pipelineCode, err)
	}
	deals, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Deal, error) { return scanDeal(r) })
	if err != nil {
		return nil, nil, fmt.Errorf("board %s: %w", pipelineCode, err)
	}
	columns := make([]BoardColumn, len(p.Stages))
	for i, st := range p.Stages {
		columns[i].Stage = st
		totals := map[string]decimal.Decimal{}
		var order []string
		for _, d := range deals {
			if d.StageID != st.ID {
				continue
			}
			columns[i].Deals = append(columns[i].Deals, d)
			if d.Amount != nil {
				if _, seen := totals[d.Amount.Currency]; !seen {
					order = append(order, d.Amount.Currency)
				}
				totals[d.Amount.Currency] = totals[d.Amount.Currency].Add(d.Amount.Amount)
			}
		}
		for _, c := range order {
			columns[i].Total = append(columns[i].Total, ecrm.Money{Amount: totals[c], Currency: c})
		}
	}
	return p, columns, nil
}

// Notification is what a member of staff is told in the console.
type Notification struct {
	ID         int64
	Kind       string
	TaskID     int64
	TaskTitle  ecrm.Text
	DealID     int64
	ClientName string
	DueAt      time.Time
	CreatedAt  time.Time
}

// UnreadNotifications are the staff member's unread notifications, newest
// first.
func (s *Store) UnreadNotifications(ctx context.Context, staffID int64) ([]Notification, error) {
	rows, err := s.pool.Query(ctx, `SELECT n.id, n.kind, t.id, t.title_en, t.title_ro, coalesce(t.deal_id, 0),
			coalesce(c.given_name || ' ' || c.family_name, ''), t.due_at, n.created_at
		FROM staff_notifications n JOIN tasks t ON t.id = n.task_id LEFT JOIN clients c ON c.id = t.client_id
		WHERE n.staff_id = $1 AND n.read_at IS NULL ORDER BY n.created_at DESC, n.id DESC LIMIT 50`, staffID)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Notification, error) {
		var n Notification
		return n, r.Scan(&n.ID, &n.Kind, &n.TaskID, &n.TaskTitle.EN, &n.TaskTitle.RO, &n.DealID, &n.ClientName, &n.DueAt, &n.CreatedAt)
	})
}

// MarkNotificationsRead marks the staff member's notifications read.
func (s *Store) MarkNotificationsRead(ctx context.Context, staffID int64) error {
	_, err := s.pool.Exec(ctx, `UPDATE staff_notifications SET read_at = $2 WHERE staff_id = $1 AND read_at IS NULL`, staffID, s.now())
	return err
}
