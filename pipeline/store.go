package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// Sources of a deal: where the client came from.
var Sources = []string{"web", "branch", "phone", "campaign", "offer_accepted", "referral"}

// Pipeline is a sequence of stages.
type Pipeline struct {
	ID     int64
	Code   string
	Name   ecrm.Text
	Stages []Stage
}

// Stage is one step of a pipeline; Outcome "won" and "lost" close a deal.
type Stage struct {
	ID       int64
	Code     string
	Name     ecrm.Text
	Position int
	Outcome  string
}

// Deal is a sale (or a claim, an application) in progress or closed.
type Deal struct {
	ID              int64
	PipelineID      int64
	PipelineCode    string
	PipelineName    ecrm.Text
	StageID         int64
	StageCode       string
	StageName       ecrm.Text
	ClientID        int64
	ClientName      string
	ProductID       int64
	Title           string
	Amount          *ecrm.Money
	Source          string
	OwnerStaffID    int64
	OwnerName       string
	ExpectedCloseOn *time.Time
	Status          string
	LostReason      string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	ClosedAt        *time.Time
}

// Task is something a member of staff must do by a deadline.
type Task struct {
	ID           int64
	DealID       int64
	DealTitle    string
	ClientID     int64
	ClientName   string
	Title        ecrm.Text
	AssigneeID   int64
	AssigneeName string
	DueAt        time.Time
	EscalateAt   time.Time
	Status       string
	CompletedAt  *time.Time
	OverdueAt    *time.Time
	EscalatedAt  *time.Time
}

// Overdue reports whether the task is open past its deadline at now.
func (t Task) Overdue(now time.Time) bool { return t.Status == "open" && t.DueAt.Before(now) }

// Event is one line of a deal's timeline.
type Event struct {
	Kind      string
	FromStage ecrm.Text
	ToStage   ecrm.Text
	TaskTitle ecrm.Text
	StaffName string
	Note      string
	At        time.Time
}

// Viewer is the member of staff reading or changing deals: an advisor
// works the deals she owns and those of the clients in her book; All
// (compliance, admin) reads every deal.
type Viewer struct {
	StaffID int64
	All     bool
}

// scopeSQL limits deals d (joined to clients c) to the viewer ($1 staff,
// $2 all).
const scopeSQL = `($2::boolean OR d.owner_staff_id = $1 OR c.advisor_id = $1)`

// Store reads and writes pipelines, deals and tasks.
type Store struct {
	pool  *pgxpool.Pool
	hours BusinessHours
	now   func() time.Time
}

// NewStore returns the store; deadlines are counted in hours.
func NewStore(pool *pgxpool.Pool, hours BusinessHours) *Store {
	return &Store{pool: pool, hours: hours, now: time.Now}
}

// SetClock replaces the clock (tests, demo data).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Pipelines returns the active pipelines with their stages in order.
func (s *Store) Pipelines(ctx context.Context) ([]Pipeline, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.id, p.code, p.name_en, p.name_ro, st.id, st.code, st.name_en, st.name_ro, st.position, st.outcome
		FROM pipelines p JOIN pipeline_stages st ON st.pipeline_id = p.id WHERE p.active ORDER BY p.id, st.position`)
	if err != nil {
		return nil, fmt.Errorf("pipelines: %w", err)
	}
	defer rows.Close()
	var out []Pipeline
	for rows.Next() {
		var p Pipeline
		var st Stage
		if err := rows.Scan(&p.ID, &p.Code, &p.Name.EN, &p.Name.RO, &st.ID, &st.Code, &st.Name.EN, &st.Name.RO, &st.Position, &st.Outcome); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != p.ID {
			out = append(out, p)
		}
		out[len(out)-1].Stages = append(out[len(out)-1].Stages, st)
	}
	return out, rows.Err()
}

// DealInput is a new deal as a member of staff or an engine opens it.
type DealInput struct {
	Pipeline        string
	ClientID        int64
	ProductID       int64
	Title           string
	Amount          string // decimal text, in Currency; empty for none
	Currency        string
	Source          string
	OwnerStaffID    int64
	ExpectedCloseOn string // YYYY-MM-DD, empty for none
	DecisionSeq     int64
}

// Problems of a deal's input name the field and a catalogue key saying
// what it needs (the page and the API say it in the reader's language).
func (in DealInput) validate(today time.Time) (amount *decimal.Decimal, closeOn *time.Time, problems []ecrm.FieldError) {
	bad := func(field, key string) { problems = append(problems, ecrm.FieldError{Field: field, Message: key}) }
	if in.ClientID <= 0 {
		bad("client_id", "pipeline.error.client")
	}
	title := strings.TrimSpace(in.Title)
	if title == "" || utf8.RuneCountInString(title) > 200 {
		bad("title", "pipeline.error.title")
	}
	if !contains(Sources, in.Source) {
		bad("source", "pipeline.error.source")
	}
	if in.Amount != "" || in.Currency != "" {
		units, known := ecrm.CurrencyMinorUnits(in.Currency)
		d, err := ecrm.ParseDecimal(in.Amount)
		switch {
		case !known:
			bad("currency", "pipeline.error.currency")
		case err != nil || !d.IsPositive() || d.GreaterThan(decimal.New(1, 15)):
			bad("amount", "pipeline.error.amount")
		case !d.Equal(d.Truncate(units)):
			bad("amount", "pipeline.error.amount_places")
		default:
			amount = &d
		}
	}
	if in.ExpectedCloseOn != "" {
		d, err := time.Parse(time.DateOnly, in.ExpectedCloseOn)
		switch {
		case err != nil:
			bad("expected_close_on", "pipeline.error.date")
		case d.Before(today):
			bad("expected_close_on", "pipeline.error.date_past")
		default:
			closeOn = &d
		}
	}
	return amount, closeOn, problems
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// fieldOrder is the order of a deal's fields on the form, in which its
// problems are listed.
var fieldOrder = []string{"pipeline", "client_id", "title", "amount", "currency", "source", "expected_close_on", "stage", "reason"}

// invalid is the EINVALID error of the problems found, in the form's order.
func invalid(problems []ecrm.FieldError) error {
	slices.SortStableFunc(problems, func(a, b ecrm.FieldError) int {
		return slices.Index(fieldOrder, a.Field) - slices.Index(fieldOrder, b.Field)
	})
	e := &ecrm.Error{Code: ecrm.EINVALID, Message: "pipeline.error.invalid", Fields: problems}
	if len(problems) == 1 {
		e.Field = problems[0].Field
	}
	return e
}

// CreateDeal opens a deal in its pipeline's first stage and creates that
// stage's tasks for the owner, in one transaction.
func (s *Store) CreateDeal(ctx context.Context, in DealInput, staffID int64) (int64, error) {
	var id int64
	err := pgdb.Transact(ctx, s.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		var err error
		id, err = s.CreateDealTx(ctx, tx, in, staffID)
		return err
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// CreateDealTx is CreateDeal in the caller's transaction: an engine that
// opens a deal for what a client did (an accepted offer) writes both in
// one commit. staffID 0 is the system (the deal's owner must then be set).
func (s *Store) CreateDealTx(ctx context.Context, tx pgx.Tx, in DealInput, staffID int64) (int64, error) {
	now := s.now()
	amount, closeOn, problems := in.validate(dayOf(now, s.hours.Zone))
	var id int64
	err := func() error {
		var pipelineID, stageID int64
		err := tx.QueryRow(ctx, `SELECT p.id, st.id FROM pipelines p JOIN pipeline_stages st ON st.pipeline_id = p.id
			WHERE p.code = $1 AND p.active ORDER BY st.position LIMIT 1`, in.Pipeline).Scan(&pipelineID, &stageID)
		if errors.Is(err, pgx.ErrNoRows) {
			problems = append(problems, ecrm.FieldError{Field: "pipeline", Message: "pipeline.error.pipeline"})
		} else if err != nil {
			return err
		}
		if in.ClientID > 0 {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM clients WHERE id = $1)`, in.ClientID).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				problems = append(problems, ecrm.FieldError{Field: "client_id", Message: "pipeline.error.client"})
			}
		}
		if len(problems) > 0 {
			return invalid(problems)
		}
		var currency *string
		if amount != nil {
			currency = &in.Currency
		}
		var product, decision *int64
		if in.ProductID > 0 {
			product = &in.ProductID
		}
		if in.DecisionSeq > 0 {
			decision = &in.DecisionSeq
		}
		owner := in.OwnerStaffID
		if owner == 0 {
			owner = staffID
		}
		err = tx.QueryRow(ctx, `INSERT INTO deals (pipeline_id, stage_id, client_id, product_id, title, amount, currency, source,
			owner_staff_id, expected_close_on, decision_seq, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id`,
			pipelineID, stageID, in.ClientID, product, strings.TrimSpace(in.Title), amount, currency, in.Source, owner, closeOn, decision, now).Scan(&id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO deal_events (deal_id, kind, to_stage_id, staff_id, at) VALUES ($1, 'created', $2, $3, $4)`,
			id, stageID, nullID(staffID), now); err != nil {
			return err
		}
		return s.createStageTasks(ctx, tx, id, in.ClientID, stageID, owner, now)
	}()
	if err != nil {
		return 0, err
	}
	return id, nil
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func dayOf(t time.Time, zone *time.Location) time.Time {
	y, m, d := t.In(zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// createStageTasks creates the stage's tasks, due in business minutes from
// now.
func (s *Store) createStageTasks(ctx context.Context, tx pgx.Tx, dealID, clientID, stageID, assignee int64, now time.Time) error {
	rows, err := tx.Query(ctx, `SELECT id, title_en, title_ro, due_minutes, escalate_minutes FROM stage_task_templates WHERE stage_id = $1 ORDER BY position`, stageID)
	if err != nil {
		return err
	}
	type template struct {
		id              int64
		en, ro          string
		due, escalation int
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (template, error) {
		var t template
		return t, r.Scan(&t.id, &t.en, &t.ro, &t.due, &t.escalation)
	})
	if err != nil {
		return err
	}
	for _, t := range list {
		due := s.hours.Add(now, t.due)
		escalate := s.hours.Add(due, t.escalation)
		if _, err := tx.Exec(ctx, `INSERT INTO tasks (deal_id, client_id, template_id, title_en, title_ro, assignee_staff_id, due_at, escalate_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, dealID, clientID, t.id, t.en, t.ro, assignee, due, escalate, now); err != nil {
			return err
		}
	}
	return nil
}

// MoveDeal moves an open deal to another stage of its pipeline: an open
// stage creates its tasks; a won or lost stage closes the deal (lost needs
// a reason) and cancels its open tasks. A closed deal moved to an open
// stage is reopened.
//
// A deal that carries an insurance claim follows the claim's status (the
// insurance package moves it with MoveDealTx): moved by hand, it would
// tell the board one thing and the client another, so it is refused here
// and the claim's page changes both.
func (s *Store) MoveDeal(ctx context.Context, dealID int64, stageCode, reason string, v Viewer) error {
	return pgdb.Transact(ctx, s.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		var claim bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM claims WHERE deal_id = $1)`, dealID).Scan(&claim); err != nil {
			return err
		}
		if claim {
			return invalid([]ecrm.FieldError{{Field: "stage", Message: "pipeline.error.claim_deal"}})
		}
		return s.MoveDealTx(ctx, tx, dealID, stageCode, reason, v)
	})
}

// MoveDealTx is MoveDeal in the caller's transaction: an engine whose own
// record drives a deal (a claim's status) changes both in one commit.
func (s *Store) MoveDealTx(ctx context.Context, tx pgx.Tx, dealID int64, stageCode, reason string, v Viewer) error {
	now := s.now()
	staffID := v.StaffID
	reason = strings.TrimSpace(reason)
	return func() error {
		var pipelineID, fromStage, clientID, owner int64
		var status string
		err := tx.QueryRow(ctx, `SELECT d.pipeline_id, d.stage_id, d.client_id, d.owner_staff_id, d.status
			FROM deals d JOIN clients c ON c.id = d.client_id WHERE d.id = $3 AND `+scopeSQL+` FOR UPDATE OF d`, staffID, v.All, dealID).
			Scan(&pipelineID, &fromStage, &clientID, &owner, &status)
		if errors.Is(err, pgx.ErrNoRows) {
			return ecrm.Errorf(ecrm.ENOTFOUND, "There is no deal %d.", dealID)
		}
		if err != nil {
			return err
		}
		var toStage int64
		var outcome string
		err = tx.QueryRow(ctx, `SELECT id, outcome FROM pipeline_stages WHERE pipeline_id = $1 AND code = $2`, pipelineID, stageCode).Scan(&toStage, &outcome)
		if errors.Is(err, pgx.ErrNoRows) {
			return invalid([]ecrm.FieldError{{Field: "stage", Message: "pipeline.error.stage"}})
		}
		if err != nil {
			return err
		}
		if toStage == fromStage {
			return nil // a repeated click moves nothing
		}
		if outcome == "lost" && (reason == "" || utf8.RuneCountInString(reason) > 500) {
			return invalid([]ecrm.FieldError{{Field: "reason", Message: "pipeline.error.lost_reason"}})
		}
		kind, newStatus := "stage", "open"
		var closedAt *time.Time
		var lostReason *string
		switch outcome {
		case "won":
			kind, newStatus, closedAt = "won", "won", &now
		case "lost":
			kind, newStatus, closedAt, lostReason = "lost", "lost", &now, &reason
		default:
			if status != "open" {
				kind = "reopened"
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE deals SET stage_id = $2, status = $3, closed_at = $4, lost_reason = $5, updated_at = $6 WHERE id = $1`,
			dealID, toStage, newStatus, closedAt, lostReason, now); err != nil {
			return err
		}
		var note *string
		if reason != "" {
			note = &reason
		}
		if _, err := tx.Exec(ctx, `INSERT INTO deal_events (deal_id, kind, from_stage_id, to_stage_id, staff_id, note, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			dealID, kind, fromStage, toStage, nullID(staffID), note, now); err != nil {
			return err
		}
		if newStatus != "open" {
			_, err := tx.Exec(ctx, `UPDATE tasks SET status = 'cancelled', completed_at = $2 WHERE deal_id = $1 AND status = 'open'`, dealID, now)
			return err
		}
		return s.createStageTasks(ctx, tx, dealID, clientID, toStage, owner, now)
	}()
}

// CompleteDealTasksTx marks the deal's open tasks done by staffID (0: the
// system), on its timeline too, in the caller's transaction: the engine
// that moves the deal has done what they asked (a claim assessed and
// decided).
func (s *Store) CompleteDealTasksTx(ctx context.Context, tx pgx.Tx, dealID, staffID int64) error {
	now := s.now()
	rows, err := tx.Query(ctx, `UPDATE tasks SET status = 'done', completed_at = $2, completed_by = $3
		WHERE deal_id = $1 AND status = 'open' RETURNING id`, dealID, now, nullID(staffID))
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.Exec(ctx, `UPDATE staff_notifications SET read_at = $2 WHERE task_id = $1 AND read_at IS NULL`, id, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO deal_events (deal_id, kind, task_id, staff_id, at) VALUES ($1, 'task_done', $2, $3, $4)`, dealID, id, nullID(staffID), now); err != nil {
			return err
		}
	}
	return nil
}

// CompleteTask marks an open task done, on the deal's timeline too.
// Only the assignee, or a viewer of the task's deal, may do it.
func (s *Store) CompleteTask(ctx context.Context, taskID int64, v Viewer) error {
	now := s.now()
	staffID := v.StaffID
	return pgdb.Transact(ctx, s.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		var dealID *int64
		var status string
		err := tx.QueryRow(ctx, `SELECT t.deal_id, t.status FROM tasks t
			LEFT JOIN deals d ON d.id = t.deal_id LEFT JOIN clients c ON c.id = coalesce(d.client_id, t.client_id)
			WHERE t.id = $3 AND ($2::boolean OR t.assignee_staff_id = $1 OR d.owner_staff_id = $1 OR c.advisor_id = $1)
			FOR UPDATE OF t`, staffID, v.All, taskID).Scan(&dealID, &status)
		if errors.Is(err, pgx.ErrNoRows) {
			return ecrm.Errorf(ecrm.ENOTFOUND, "There is no task %d.", taskID)
		}
		if err != nil {
			return err
		}
		if status != "open" {
			return nil // done already: a second click changes nothing
		}
		if _, err := tx.Exec(ctx, `UPDATE tasks SET status = 'done', completed_at = $2, completed_by = $3 WHERE id = $1`, taskID, now, staffID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE staff_notifications SET read_at = $2 WHERE task_id = $1 AND read_at IS NULL`, taskID, now); err != nil {
			return err
		}
		if dealID != nil {
			_, err := tx.Exec(ctx, `INSERT INTO deal_events (deal_id, kind, task_id, staff_id, at) VALUES ($1, 'task_done', $2, $3, $4)`, *dealID, taskID, staffID, now)
			return err
		}
		return nil
	})
}
