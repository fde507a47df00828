// Package servicedesk is the firm's service centre: secure messages and
// service requests between a client and the firm. The client writes from
// the portal — a question, a complaint, a change request, help after a
// purchase — with attachments; the request gets a number, is routed to the
// client's advisor (or, for complaints and clients without one, to a
// team's queue), has a status and carries replies both ways. Each side is
// told of the other's message by e-mail through the outbox (a notice with
// a link, never the content: the content stays behind the login) and in
// its own pages. A complaint carries the regulatory deadline for the
// firm's final answer, and compliance sees every complaint.
//
// The portal (selfservice) and the staff workspace (advisor) both use the
// Desk; every read and write is filtered in SQL by who is asking: the
// client by her own id, staff by the requests routed to them, their
// teams' queues and their book of clients.
package servicedesk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/pipeline"
)

// Kinds of request, in the order the form offers them.
var Kinds = []string{"question", "change_request", "after_purchase", "complaint"}

// Statuses: open waits for the firm, answered for the client.
const (
	StatusOpen     = "open"
	StatusAnswered = "answered"
	StatusClosed   = "closed"
)

// Teams requests are routed to when no person is.
const (
	TeamService    = "service"
	TeamComplaints = "complaints"
)

// Limits of what a message may carry.
const (
	MaxSubject = 200
	MaxBody    = 5000
)

// Config sets deadlines and attachment limits.
type Config struct {
	// ComplaintDays is the number of business days the firm has to answer
	// a complaint: 15 by default, the deadline PSD2 (article 101) sets for
	// payment services and the Romanian central bank applies to banks.
	ComplaintDays int
	// AnswerHours is the service level of every other request, in business
	// hours (two working days by default).
	AnswerHours int
	Attachments AttachmentLimits
	// BaseURL starts the links in e-mails.
	BaseURL string
}

// DefaultConfig is what a firm starts with.
func DefaultConfig() Config {
	return Config{ComplaintDays: 15, AnswerHours: 16, Attachments: DefaultAttachmentLimits()}
}

// Desk reads and writes service requests.
type Desk struct {
	pool  *pgxpool.Pool
	mail  *outbox.Outbox
	hours pipeline.BusinessHours
	cfg   Config
	now   func() time.Time
}

// New returns the desk; mail may be nil (no e-mail is written).
func New(pool *pgxpool.Pool, mail *outbox.Outbox, hours pipeline.BusinessHours, cfg Config) *Desk {
	def := DefaultConfig()
	if cfg.ComplaintDays <= 0 {
		cfg.ComplaintDays = def.ComplaintDays
	}
	if cfg.AnswerHours <= 0 {
		cfg.AnswerHours = def.AnswerHours
	}
	if cfg.Attachments.MaxBytes <= 0 || cfg.Attachments.MaxFiles <= 0 {
		cfg.Attachments = def.Attachments
	}
	return &Desk{pool: pool, mail: mail, hours: hours, cfg: cfg, now: time.Now}
}

// SetClock replaces the clock (tests, demo data).
func (d *Desk) SetClock(now func() time.Time) { d.now = now }

// Limits returns the attachment limits, for forms' hints.
func (d *Desk) Limits() AttachmentLimits { return d.cfg.Attachments }

// ComplaintDays is the number of business days the firm has to answer a
// complaint.
func (d *Desk) ComplaintDays() int { return d.cfg.ComplaintDays }

// Zone is the firm's time zone, in which deadlines are shown.
func (d *Desk) Zone() *time.Location { return d.hours.Zone }

// Request is a service request as a list or a thread shows it.
type Request struct {
	ID           int64
	ClientID     int64
	ClientName   string
	Kind         string
	Subject      string
	Status       string
	AssigneeID   int64 // 0: in a team's queue
	AssigneeName string
	Team         string
	TeamName     ecrm.Text
	DueAt        time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	FirstAnswer  *time.Time
	ClosedAt     *time.Time
	// Unread counts the other side's messages the reader has not opened.
	Unread int
}

// Number is how the request is named to people: SR-000042.
func (r Request) Number() string { return Number(r.ID) }

// Number names request id to people.
func Number(id int64) string { return fmt.Sprintf("SR-%06d", id) }

// ParseNumber reads "SR-000042" or "42".
func ParseNumber(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "SR-")
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// Overdue reports whether the firm owes an answer past its deadline.
func (r Request) Overdue(now time.Time) bool {
	return r.Status == StatusOpen && r.DueAt.Before(now)
}

// Message is one message of a thread.
type Message struct {
	ID          int64
	Author      string // "client" or "staff"
	StaffName   string
	Body        string
	CreatedAt   time.Time
	Attachments []Attachment
}

// Thread is a request with its messages, oldest first.
type Thread struct {
	Request
	Messages []Message
}

// NewRequest is what the client writes to open a request.
type NewRequest struct {
	Kind, Subject, Body string
	Files               []Upload
	// IdempotencyKey makes a repeated submission open one request.
	IdempotencyKey string
}

// fieldOrder is the order of the form's fields, in which problems are
// listed.
var fieldOrder = []string{"kind", "subject", "body", "attachments"}

func (in NewRequest) problems() []ecrm.FieldError {
	var p []ecrm.FieldError
	if !contains(Kinds, in.Kind) {
		p = append(p, ecrm.FieldError{Field: "kind", Message: "servicedesk.error.kind"})
	}
	if s := strings.TrimSpace(in.Subject); s == "" {
		p = append(p, ecrm.FieldError{Field: "subject", Message: "servicedesk.error.subject"})
	} else if len([]rune(s)) > MaxSubject {
		p = append(p, ecrm.FieldError{Field: "subject", Message: "servicedesk.error.subject_long"})
	}
	return append(p, bodyProblems(in.Body)...)
}

func bodyProblems(body string) []ecrm.FieldError {
	if s := strings.TrimSpace(body); s == "" {
		return []ecrm.FieldError{{Field: "body", Message: "servicedesk.error.body"}}
	} else if len([]rune(s)) > MaxBody {
		return []ecrm.FieldError{{Field: "body", Message: "servicedesk.error.body_long"}}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Open writes the client's new request with its first message and
// attachments, routes it, and tells whoever it is routed to — in one
// transaction. A repeated IdempotencyKey returns the request it opened.
func (d *Desk) Open(ctx context.Context, clientID int64, in NewRequest) (id int64, err error) {
	files, fileProblems := d.cfg.Attachments.check(in.Files)
	if p := in.problems(); len(p) > 0 || len(fileProblems) > 0 {
		return 0, invalid(p, fileProblems)
	}
	if in.IdempotencyKey != "" {
		if id, ok, err := d.byKey(ctx, clientID, in.IdempotencyKey); err != nil || ok {
			return id, err
		}
	}
	now := d.now()
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		var advisor *int64
		if err := tx.QueryRow(ctx, `SELECT advisor_id FROM clients WHERE id = $1`, clientID).Scan(&advisor); err != nil {
			return fmt.Errorf("client %d: %w", clientID, err)
		}
		// Complaints go to the complaints team, whoever the advisor is: the
		// person complained about should not be the one who answers. The
		// rest goes to the client's advisor, or the service centre.
		var team *string
		due := d.hours.Add(now, d.cfg.AnswerHours*60)
		switch {
		case in.Kind == "complaint":
			advisor, team = nil, ptr(TeamComplaints)
			due = d.hours.Add(now, d.cfg.ComplaintDays*(d.hours.Close-d.hours.Open))
		case advisor == nil:
			team = ptr(TeamService)
		}
		var key *string
		if in.IdempotencyKey != "" {
			key = &in.IdempotencyKey
		}
		if err := tx.QueryRow(ctx, `INSERT INTO service_requests (client_id, kind, subject, assignee_staff_id, team_code, due_at, created_at, updated_at, idempotency_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) RETURNING id`,
			clientID, in.Kind, strings.TrimSpace(in.Subject), advisor, team, due, now, key).Scan(&id); err != nil {
			return err
		}
		if _, err := d.addMessage(ctx, tx, id, "client", 0, in.Body, files, "", now); err != nil {
			return err
		}
		return d.tellStaff(ctx, tx, id, true)
	})
	if isUniqueViolation(err) && in.IdempotencyKey != "" {
		id, _, err = d.byKey(ctx, clientID, in.IdempotencyKey)
		return id, err
	}
	if err != nil {
		return 0, fmt.Errorf("open a request for client %d: %w", clientID, err)
	}
	return id, nil
}

func ptr[T any](v T) *T { return &v }

func (d *Desk) byKey(ctx context.Context, clientID int64, key string) (int64, bool, error) {
	var id int64
	err := d.pool.QueryRow(ctx, `SELECT id FROM service_requests WHERE client_id = $1 AND idempotency_key = $2`, clientID, key).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// addMessage writes one message and its attachments.
func (d *Desk) addMessage(ctx context.Context, tx pgx.Tx, requestID int64, author string, staffID int64, body string, files []checkedFile, key string, now time.Time) (int64, error) {
	var staff *int64
	if staffID != 0 {
		staff = &staffID
	}
	var k *string
	if key != "" {
		k = &key
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO service_messages (request_id, author, staff_id, body, created_at, idempotency_key)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, requestID, author, staff, strings.TrimSpace(body), now, k).Scan(&id); err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return id, nil
	}
	rows := make([][]any, len(files))
	for i, f := range files {
		rows[i] = []any{id, f.Name, f.ContentType, len(f.Data), f.SHA256, f.Data}
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"service_attachments"}, []string{"message_id", "file_name", "content_type", "size", "sha256", "content"}, pgx.CopyFromRows(rows))
	return id, err
}

// invalid is the EINVALID error of the problems found, in the form's
// order; file problems keep the file's name for the message.
func invalid(fields []ecrm.FieldError, files []FileProblem) error {
	all := append([]ecrm.FieldError(nil), fields...)
	for _, f := range files {
		all = append(all, ecrm.FieldError{Field: "attachments", Message: f.Key})
	}
	e := &InputError{Err: ecrm.Error{Code: ecrm.EINVALID, Message: "servicedesk.error.invalid", Fields: all}, Files: files}
	if len(all) == 1 {
		e.Err.Field = all[0].Field
	}
	return e
}

// InputError is an EINVALID error whose attachment problems keep the file
// name and the limit, so the message can state them (TranslateError).
type InputError struct {
	Err   ecrm.Error
	Files []FileProblem
}

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return &e.Err }

// ClientRequests lists the client's requests, those with news first and
// then the most recently changed (at most 200).
func (d *Desk) ClientRequests(ctx context.Context, clientID int64) ([]Request, error) {
	rows, err := d.pool.Query(ctx, `SELECT `+requestColumns+`,
		(SELECT count(*) FROM service_messages m WHERE m.request_id = r.id AND m.author = 'staff' AND m.read_at IS NULL)`+requestFrom+`
		WHERE r.client_id = $1 ORDER BY r.updated_at DESC, r.id DESC LIMIT 200`, clientID)
	if err != nil {
		return nil, fmt.Errorf("requests of client %d: %w", clientID, err)
	}
	return collectRequests(rows)
}

// UnreadForClient counts the firm's messages the client has not read yet
// (the portal's notice and the badge of "Messages").
func (d *Desk) UnreadForClient(ctx context.Context, clientID int64) (int, error) {
	var n int
	err := d.pool.QueryRow(ctx, `SELECT count(*) FROM service_messages m JOIN service_requests r ON r.id = m.request_id
		WHERE r.client_id = $1 AND m.author = 'staff' AND m.read_at IS NULL`, clientID).Scan(&n)
	return n, err
}

// ClientThread returns the client's request with its messages and marks
// the firm's messages read. Another client's request is not found.
func (d *Desk) ClientThread(ctx context.Context, clientID, id int64) (*Thread, error) {
	t, err := d.thread(ctx, `r.id = $1 AND r.client_id = $2`, id, clientID)
	if err != nil {
		return nil, err
	}
	_, err = d.pool.Exec(ctx, `UPDATE service_messages SET read_at = $2 WHERE request_id = $1 AND author = 'staff' AND read_at IS NULL`, id, d.now())
	return t, err
}

// ClientReply adds the client's message to her request, reopening it if
// it was answered or closed, and tells the staff working it.
func (d *Desk) ClientReply(ctx context.Context, clientID, id int64, body string, uploads []Upload, key string) error {
	files, fileProblems := d.cfg.Attachments.check(uploads)
	if p := bodyProblems(body); len(p) > 0 || len(fileProblems) > 0 {
		return invalid(p, fileProblems)
	}
	now := d.now()
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		// Writing again after an answer opens the request with a new
		// deadline; an unanswered complaint keeps its regulatory one.
		tag, err := tx.Exec(ctx, `UPDATE service_requests SET status = 'open', closed_at = NULL, updated_at = $3,
				due_at = CASE WHEN status <> 'open' AND NOT (kind = 'complaint' AND first_answer_at IS NULL) THEN $4 ELSE due_at END,
				overdue_told_at = CASE WHEN status <> 'open' THEN NULL ELSE overdue_told_at END
			WHERE id = $1 AND client_id = $2`, id, clientID, now, d.hours.Add(now, d.cfg.AnswerHours*60))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errNotFound
		}
		if _, err := d.addMessage(ctx, tx, id, "client", 0, body, files, key, now); err != nil {
			return err
		}
		return d.tellStaff(ctx, tx, id, false)
	})
	if isUniqueViolation(err) && key != "" {
		return nil // the same reply sent twice: the first one stands
	}
	return err
}

// ClientClose closes the client's request: she has what she needed.
func (d *Desk) ClientClose(ctx context.Context, clientID, id int64) error {
	tag, err := d.pool.Exec(ctx, `UPDATE service_requests SET status = 'closed', closed_at = coalesce(closed_at, $3), updated_at = $3
		WHERE id = $1 AND client_id = $2`, id, clientID, d.now())
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return errNotFound
	}
	return nil
}

var errNotFound = ecrm.Errorf(ecrm.ENOTFOUND, "servicedesk.error.not_found")

const requestColumns = `r.id, r.client_id, c.given_name || ' ' || c.family_name, r.kind, r.subject, r.status,
	coalesce(r.assignee_staff_id, 0), coalesce(s.display_name, ''), coalesce(r.team_code, ''), coalesce(t.name_en, ''), coalesce(t.name_ro, ''),
	r.due_at, r.created_at, r.updated_at, r.first_answer_at, r.closed_at`

const requestFrom = ` FROM service_requests r JOIN clients c ON c.id = r.client_id
	LEFT JOIN staff_users s ON s.id = r.assignee_staff_id LEFT JOIN service_teams t ON t.code = r.team_code`

func scanRequest(row pgx.Row, extra ...any) (Request, error) {
	var q Request
	dest := []any{&q.ID, &q.ClientID, &q.ClientName, &q.Kind, &q.Subject, &q.Status, &q.AssigneeID, &q.AssigneeName,
		&q.Team, &q.TeamName.EN, &q.TeamName.RO, &q.DueAt, &q.CreatedAt, &q.UpdatedAt, &q.FirstAnswer, &q.ClosedAt}
	return q, row.Scan(append(dest, extra...)...)
}

func collectRequests(rows pgx.Rows) ([]Request, error) {
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Request, error) {
		var unread int
		q, err := scanRequest(r, &unread)
		q.Unread = unread
		return q, err
	})
	if err != nil {
		return nil, fmt.Errorf("service requests: %w", err)
	}
	return list, nil
}

// thread reads one request (where: its condition on r, with $1 its id and
// further arguments) and its messages with their attachments.
func (d *Desk) thread(ctx context.Context, where string, args ...any) (*Thread, error) {
	q, err := scanRequest(d.pool.QueryRow(ctx, `SELECT `+requestColumns+requestFrom+` WHERE `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("service request %v: %w", args[0], err)
	}
	t := &Thread{Request: q}
	rows, err := d.pool.Query(ctx, `SELECT m.id, m.author, coalesce(s.display_name, ''), m.body, m.created_at,
			coalesce(json_agg(json_build_object('id', a.id, 'name', a.file_name, 'type', a.content_type, 'size', a.size, 'sha256', a.sha256) ORDER BY a.id)
			         FILTER (WHERE a.id IS NOT NULL), '[]')
		FROM service_messages m LEFT JOIN staff_users s ON s.id = m.staff_id LEFT JOIN service_attachments a ON a.message_id = m.id
		WHERE m.request_id = $1 GROUP BY m.id, s.display_name ORDER BY m.created_at, m.id`, q.ID)
	if err != nil {
		return nil, err
	}
	t.Messages, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) {
		var m Message
		err := r.Scan(&m.ID, &m.Author, &m.StaffName, &m.Body, &m.CreatedAt, &m.Attachments)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("messages of request %d: %w", q.ID, err)
	}
	return t, nil
}
