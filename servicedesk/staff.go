package servicedesk

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm"
)

// Viewer is the member of staff working requests. She sees the requests
// routed to her, those of the clients in her book (complaints excepted:
// whoever a complaint may be about does not handle it), and the queues of
// her teams; Compliance reads every complaint.
type Viewer struct {
	StaffID    int64
	Compliance bool
}

// staffScope limits requests r (joined to clients c) to the viewer ($1
// staff, $2 compliance).
const staffScope = `(r.assignee_staff_id = $1
	OR (c.advisor_id = $1 AND r.kind <> 'complaint')
	OR r.team_code IN (SELECT m.team_code FROM service_team_members m WHERE m.staff_id = $1)
	OR ($2::boolean AND r.kind = 'complaint'))`

// workScope is staffScope without compliance's reading: those who answer.
const workScope = `(r.assignee_staff_id = $1
	OR (c.advisor_id = $1 AND r.kind <> 'complaint')
	OR r.team_code IN (SELECT m.team_code FROM service_team_members m WHERE m.staff_id = $1))`

// Queue filters.
const (
	QueueOpen   = ""       // open and answered: not closed
	QueueClosed = "closed" // closed
	QueueAll    = "all"
)

// Queue lists the requests the viewer works: waiting for the firm first,
// the nearest deadline first (at most 200).
func (d *Desk) Queue(ctx context.Context, v Viewer, filter string) ([]Request, error) {
	status := `r.status <> 'closed'`
	switch filter {
	case QueueOpen:
	case QueueClosed:
		status = `r.status = 'closed'`
	case QueueAll:
		status = `true`
	default:
		return nil, ecrm.FieldErrorf("status", "servicedesk.error.filter")
	}
	rows, err := d.pool.Query(ctx, `SELECT `+requestColumns+`,
		(SELECT count(*) FROM service_messages m WHERE m.request_id = r.id AND m.author = 'client' AND m.read_at IS NULL)`+requestFrom+`
		WHERE `+workScope+` AND `+status+` AND $2::boolean IS NOT NULL
		ORDER BY r.status = 'open' DESC, r.status = 'answered' DESC, r.due_at, r.id LIMIT 200`, v.StaffID, v.Compliance)
	if err != nil {
		return nil, fmt.Errorf("queue of staff %d: %w", v.StaffID, err)
	}
	return collectRequests(rows)
}

// Waiting counts the open requests the viewer works, and how many of them
// are past their deadline (the console's home).
func (d *Desk) Waiting(ctx context.Context, v Viewer) (open, overdue int, err error) {
	err = d.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE r.due_at < $3)
		FROM service_requests r JOIN clients c ON c.id = r.client_id
		WHERE r.status = 'open' AND `+workScope+` AND $2::boolean IS NOT NULL`, v.StaffID, v.Compliance, d.now()).Scan(&open, &overdue)
	return open, overdue, err
}

// ClientRequestsFor lists a client's requests the viewer may see (the
// client 360).
func (d *Desk) ClientRequestsFor(ctx context.Context, v Viewer, clientID int64) ([]Request, error) {
	rows, err := d.pool.Query(ctx, `SELECT `+requestColumns+`,
		(SELECT count(*) FROM service_messages m WHERE m.request_id = r.id AND m.author = 'client' AND m.read_at IS NULL)`+requestFrom+`
		WHERE r.client_id = $3 AND `+staffScope+` ORDER BY r.updated_at DESC, r.id DESC LIMIT 50`, v.StaffID, v.Compliance, clientID)
	if err != nil {
		return nil, fmt.Errorf("requests of client %d: %w", clientID, err)
	}
	return collectRequests(rows)
}

// StaffThread returns a request the viewer may see with its messages; the
// client's messages are read from then on when the viewer works it.
func (d *Desk) StaffThread(ctx context.Context, v Viewer, id int64) (*Thread, error) {
	t, err := d.thread(ctx, `r.id = $3 AND `+staffScope, v.StaffID, v.Compliance, id)
	if err != nil {
		return nil, err
	}
	_, err = d.pool.Exec(ctx, `UPDATE service_messages m SET read_at = $4
		FROM service_requests r JOIN clients c ON c.id = r.client_id
		WHERE m.request_id = r.id AND r.id = $3 AND m.author = 'client' AND m.read_at IS NULL AND `+workScope+` AND $2::boolean IS NOT NULL`,
		v.StaffID, v.Compliance, id, d.now())
	return t, err
}

// StaffFile returns an attachment of a request the viewer may see.
func (d *Desk) StaffFile(ctx context.Context, v Viewer, requestID, fileID int64) (*File, error) {
	// The scope's $1 and $2 are $3 and $4 here, after the ids.
	return d.file(ctx, strings.NewReplacer("$1", "$3", "$2", "$4").Replace(staffScope), requestID, fileID, v.StaffID, v.Compliance)
}

// Reply is the firm's answer.
type Reply struct {
	Body  string
	Files []Upload
	// Close closes the request with this answer (nothing more to do).
	Close          bool
	IdempotencyKey string
}

// StaffReply adds the viewer's answer: the request is answered (or closed)
// and, if it waited in a queue, now hers; the client is told.
func (d *Desk) StaffReply(ctx context.Context, v Viewer, id int64, in Reply) error {
	files, fileProblems := d.cfg.Attachments.check(in.Files)
	if p := bodyProblems(in.Body); len(p) > 0 || len(fileProblems) > 0 {
		return invalid(p, fileProblems)
	}
	status := StatusAnswered
	if in.Close {
		status = StatusClosed
	}
	now := d.now()
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE service_requests r SET status = $4, updated_at = $5,
				first_answer_at = coalesce(r.first_answer_at, $5),
				closed_at = CASE WHEN $4 = 'closed' THEN $5 END,
				assignee_staff_id = coalesce(r.assignee_staff_id, $1)
			FROM clients c WHERE c.id = r.client_id AND r.id = $3 AND `+workScope+` AND $2::boolean IS NOT NULL`,
			v.StaffID, v.Compliance, id, status, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errNotFound
		}
		if _, err := d.addMessage(ctx, tx, id, "staff", v.StaffID, in.Body, files, in.IdempotencyKey, now); err != nil {
			return err
		}
		return d.tellClient(ctx, tx, id)
	})
	if isUniqueViolation(err) && in.IdempotencyKey != "" {
		return nil
	}
	return err
}

// Take makes a request in one of the viewer's queues hers.
func (d *Desk) Take(ctx context.Context, v Viewer, id int64) error {
	return d.update(ctx, v, id, `assignee_staff_id = $1`)
}

// SendToTeam hands the request to a team's queue (the service centre when
// the advisor is away, complaints when a question turns out to be one).
func (d *Desk) SendToTeam(ctx context.Context, v Viewer, id int64, team string) error {
	var ok bool
	if err := d.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM service_teams WHERE code = $1)`, team).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return ecrm.FieldErrorf("team", "servicedesk.error.team")
	}
	return d.update(ctx, v, id, `assignee_staff_id = NULL, team_code = $4`, team)
}

// Close closes the request without a further answer.
func (d *Desk) Close(ctx context.Context, v Viewer, id int64) error {
	return d.update(ctx, v, id, `status = 'closed', closed_at = coalesce(r.closed_at, now())`)
}

// Reopen puts a closed request back in the work.
func (d *Desk) Reopen(ctx context.Context, v Viewer, id int64) error {
	return d.update(ctx, v, id, `status = 'open', closed_at = NULL, due_at = greatest(r.due_at, $4), overdue_told_at = NULL`,
		d.hours.Add(d.now(), d.cfg.AnswerHours*60))
}

func (d *Desk) update(ctx context.Context, v Viewer, id int64, set string, args ...any) error {
	tag, err := d.pool.Exec(ctx, `UPDATE service_requests r SET `+set+`, updated_at = now()
		FROM clients c WHERE c.id = r.client_id AND r.id = $3 AND `+workScope+` AND $2::boolean IS NOT NULL`,
		append([]any{v.StaffID, v.Compliance, id}, args...)...)
	if err != nil {
		return fmt.Errorf("request %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return errNotFound
	}
	return nil
}

// Team is a queue requests are routed to.
type Team struct {
	Code string
	Name ecrm.Text
}

// Teams lists the teams, for handing a request over.
func (d *Desk) Teams(ctx context.Context) ([]Team, error) {
	rows, err := d.pool.Query(ctx, `SELECT code, name_en, name_ro FROM service_teams ORDER BY code`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Team, error) {
		var t Team
		return t, r.Scan(&t.Code, &t.Name.EN, &t.Name.RO)
	})
}

// ComplaintSummary is the compliance view's headline.
type ComplaintSummary struct {
	Open, Overdue, AnsweredInTime, AnsweredLate int
}

// Complaints lists every complaint for compliance: those still owed an
// answer first, the nearest deadline first (at most 500), with the
// summary over all of them.
func (d *Desk) Complaints(ctx context.Context, v Viewer) ([]Request, ComplaintSummary, error) {
	var sum ComplaintSummary
	if !v.Compliance {
		return nil, sum, ecrm.Errorf(ecrm.EFORBIDDEN, "console.error.forbidden")
	}
	now := d.now()
	if err := d.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'open' AND first_answer_at IS NULL),
			count(*) FILTER (WHERE status = 'open' AND first_answer_at IS NULL AND due_at < $1),
			count(*) FILTER (WHERE first_answer_at <= due_at), count(*) FILTER (WHERE first_answer_at > due_at)
		FROM service_requests WHERE kind = 'complaint'`, now).Scan(&sum.Open, &sum.Overdue, &sum.AnsweredInTime, &sum.AnsweredLate); err != nil {
		return nil, sum, fmt.Errorf("complaints: %w", err)
	}
	rows, err := d.pool.Query(ctx, `SELECT `+requestColumns+`, 0`+requestFrom+`
		WHERE r.kind = 'complaint' ORDER BY r.first_answer_at IS NULL AND r.status <> 'closed' DESC, r.due_at, r.id LIMIT 500`)
	if err != nil {
		return nil, sum, fmt.Errorf("complaints: %w", err)
	}
	list, err := collectRequests(rows)
	return list, sum, err
}

// AnsweredLate reports whether the first answer came after the deadline.
func (r Request) AnsweredLate() bool {
	return r.FirstAnswer != nil && r.FirstAnswer.After(r.DueAt)
}

// DaysLeft is the number of calendar days to the deadline (negative when
// past), counted in zone.
func (r Request) DaysLeft(now time.Time, zone *time.Location) int {
	day := func(t time.Time) time.Time {
		y, m, dd := t.In(zone).Date()
		return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
	}
	return int(day(r.DueAt).Sub(day(now)).Hours() / 24)
}
