// Package outbox is ecrm's e-mail: a message is a row written in the same
// transaction as the change that causes it (a profile change, an overdue
// task, a reply), together with the job that sends it, so a message exists
// exactly when its cause does. The job sends it through SMTP
// (ECRM_SMTP_URL, TLS verified by default), retried with backoff while the
// server is away, and marks it sent; a message already sent is never sent
// again. Each row's message id is the Message-ID header, so the one window
// left — the server accepted the message and the process died before
// marking it — gives a duplicate receivers recognise as such.
//
// Without ECRM_SMTP_URL (development, `make run`) nothing is sent: the
// message is held, readable on the admin's outbox page.
package outbox

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	gomail "github.com/wneessen/go-mail"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/jobs"
)

// Kinds of message: marketing carries an unsubscribe link.
const (
	Transactional = "transactional"
	Marketing     = "marketing"
)

// Message is an e-mail to write to the outbox.
type Message struct {
	Kind     string // Transactional or Marketing
	To       string
	ToName   string
	ClientID int64 // the client it is about, if any
	StaffID  int64 // the staff member it is for, if any
	Language string
	Subject  string
	// Body is plain text: every mail client shows it, nothing in it runs.
	Body string
	// UnsubscribeURL is required for marketing (List-Unsubscribe and the
	// body's last line).
	UnsubscribeURL string
}

// Outbox writes messages and sends them.
type Outbox struct {
	pool  *pgxpool.Pool
	queue *jobs.Queue
	smtp  *SMTP // nil: hold every message (development)
}

// New returns the outbox; smtp nil holds messages instead of sending them.
func New(pool *pgxpool.Pool, smtp *SMTP) *Outbox { return &Outbox{pool: pool, smtp: smtp} }

// SetQueue sets the job queue that sends messages; done once the queue is
// made (the queue's workers include this outbox's).
func (o *Outbox) SetQueue(q *jobs.Queue) { o.queue = q }

// Sending reports whether messages are sent (ECRM_SMTP_URL is set).
func (o *Outbox) Sending() bool { return o.smtp != nil }

// sendArgs is the job sending one message.
type sendArgs struct {
	ID int64 `json:"id"`
}

func (sendArgs) Kind() string { return "outbox.send" }

// Register adds the sending job to the queue's registry.
func (o *Outbox) Register(reg *jobs.Registry) {
	jobs.Handle(reg, func(ctx context.Context, job *jobs.Job[sendArgs]) error { return o.send(ctx, job.Args.ID) })
}

// Enqueue writes m in tx and queues its sending; both exist if and only if
// tx commits.
func (o *Outbox) Enqueue(ctx context.Context, tx pgx.Tx, m Message) (int64, error) {
	if err := m.validate(); err != nil {
		return 0, err
	}
	if o.queue == nil {
		return 0, errors.New("outbox: no job queue")
	}
	var unsubscribe *string
	body := m.Body
	if m.UnsubscribeURL != "" {
		unsubscribe = &m.UnsubscribeURL
		tag, _ := i18n.ParseLanguage(m.Language)
		body += "\n\n-- \n" + i18n.NewLocalizer(tag).T("outbox.unsubscribe", m.UnsubscribeURL) + "\n"
	}
	var client, staff *int64
	if m.ClientID != 0 {
		client = &m.ClientID
	}
	if m.StaffID != 0 {
		staff = &m.StaffID
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO outbox_messages (message_id, kind, to_address, to_name, client_id, staff_id, language, subject, body, unsubscribe_url)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		newMessageID(), m.Kind, m.To, m.ToName, client, staff, m.Language, m.Subject, body, unsubscribe).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("outbox: write message: %w", err)
	}
	if err := o.queue.InsertTx(ctx, tx, sendArgs{ID: id}); err != nil {
		return 0, err
	}
	return id, nil
}

// EnqueueMany writes many messages in tx with one statement and queues
// their sending with one COPY: what a sweep over thousands of tasks needs.
func (o *Outbox) EnqueueMany(ctx context.Context, tx pgx.Tx, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if o.queue == nil {
		return errors.New("outbox: no job queue")
	}
	n := len(msgs)
	ids, kinds, tos, names, langs, subjects, bodies := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	clients, staff := make([]*int64, n), make([]*int64, n)
	for i, m := range msgs {
		if m.Kind == Marketing {
			return errors.New("outbox: marketing is written one message at a time, with its unsubscribe link")
		}
		if err := m.validate(); err != nil {
			return err
		}
		ids[i], kinds[i], tos[i], names[i], langs[i], subjects[i], bodies[i] = newMessageID(), m.Kind, m.To, m.ToName, m.Language, m.Subject, m.Body
		if m.ClientID != 0 {
			clients[i] = &msgs[i].ClientID
		}
		if m.StaffID != 0 {
			staff[i] = &msgs[i].StaffID
		}
	}
	rows, err := tx.Query(ctx, `INSERT INTO outbox_messages (message_id, kind, to_address, to_name, client_id, staff_id, language, subject, body)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[])
		RETURNING id`, ids, kinds, tos, names, clients, staff, langs, subjects, bodies)
	if err != nil {
		return fmt.Errorf("outbox: write %d messages: %w", n, err)
	}
	written, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("outbox: write %d messages: %w", n, err)
	}
	args := make([]jobs.Args, len(written))
	for i, id := range written {
		args[i] = sendArgs{ID: id}
	}
	return o.queue.InsertManyTx(ctx, tx, args)
}

func (m Message) validate() error {
	switch {
	case m.Kind != Transactional && m.Kind != Marketing:
		return fmt.Errorf("outbox: kind %q", m.Kind)
	case m.Kind == Marketing && m.UnsubscribeURL == "":
		return errors.New("outbox: a marketing message needs an unsubscribe link")
	case m.Language != "en" && m.Language != "ro":
		return fmt.Errorf("outbox: language %q", m.Language)
	case m.Subject == "" || m.Body == "":
		return errors.New("outbox: a message needs a subject and a body")
	}
	if a, err := mail.ParseAddress(m.To); err != nil || a.Address != m.To {
		return fmt.Errorf("outbox: recipient %q is not an e-mail address", m.To)
	}
	return nil
}

// newMessageID is a globally unique Message-ID (RFC 5322 §3.6.4).
func newMessageID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "<" + hex.EncodeToString(b) + "@ecrm>"
}

// send sends one message unless it was sent already. The row is locked for
// the time of the SMTP exchange, so two workers never send it at once.
func (o *Outbox) send(ctx context.Context, id int64) error {
	tx, err := o.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var r stored
	err = tx.QueryRow(ctx, `SELECT message_id, kind, to_address, to_name, language, subject, body, coalesce(unsubscribe_url, ''), status
		FROM outbox_messages WHERE id = $1 FOR UPDATE`, id).Scan(&r.messageID, &r.kind, &r.to, &r.toName, &r.language, &r.subject, &r.body, &r.unsubscribe, &r.status)
	if errors.Is(err, pgx.ErrNoRows) {
		return jobs.Cancel(fmt.Errorf("outbox message %d is gone", id))
	}
	if err != nil {
		return err
	}
	if r.status == "sent" || r.status == "held" {
		return nil // never twice
	}
	if o.smtp == nil {
		if _, err := tx.Exec(ctx, `UPDATE outbox_messages SET status = 'held' WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.Commit(ctx)
	}
	sendErr := o.smtp.send(ctx, r)
	if sendErr != nil {
		// Kept queued with the error; the job is retried with backoff.
		if _, err := tx.Exec(ctx, `UPDATE outbox_messages SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, id, truncate(sendErr.Error(), 500)); err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return err
		}
		return fmt.Errorf("send outbox message %d: %w", id, sendErr)
	}
	if _, err := tx.Exec(ctx, `UPDATE outbox_messages SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1`, id); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// stored is a message as read back for sending.
type stored struct {
	messageID, kind, to, toName, language, subject, body, unsubscribe, status string
}

// SMTP is where messages go: ECRM_SMTP_URL.
type SMTP struct {
	host     string
	port     int
	implicit bool // smtps: TLS from the first byte
	plain    bool // smtp+plain to a loopback server: no TLS
	user     string
	password string
	from     *mail.Address
	tls      *tls.Config // nil: the system's roots, host name verified
	timeout  time.Duration
}

// ParseSMTP reads ECRM_SMTP_URL: smtps://user:pass@host:465 (TLS from the
// start), smtp://user:pass@host:587 (STARTTLS, required) or
// smtp+plain://127.0.0.1:2525 (no TLS, only to a loopback address, for a
// local relay or tests). from is the sender (ECRM_MAIL_FROM).
func ParseSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, ecrm.FieldErrorf("ECRM_SMTP_URL", "is not a URL")
	}
	s := &SMTP{host: u.Hostname(), timeout: 30 * time.Second}
	defaultPort := 587
	switch u.Scheme {
	case "smtps":
		s.implicit, defaultPort = true, 465
	case "smtp":
	case "smtp+plain":
		ip := net.ParseIP(s.host)
		if s.host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, ecrm.FieldErrorf("ECRM_SMTP_URL", "smtp+plain (no TLS) is allowed only to a loopback address, not %s", s.host)
		}
		s.plain, defaultPort = true, 25
	default:
		return nil, ecrm.FieldErrorf("ECRM_SMTP_URL", "must start with smtps://, smtp:// (STARTTLS) or smtp+plain:// (loopback only)")
	}
	if s.host == "" {
		return nil, ecrm.FieldErrorf("ECRM_SMTP_URL", "names no host")
	}
	s.port = defaultPort
	if p := u.Port(); p != "" {
		if s.port, err = strconv.Atoi(p); err != nil || s.port < 1 || s.port > 65535 {
			return nil, ecrm.FieldErrorf("ECRM_SMTP_URL", "port %q is not a port", p)
		}
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.password, _ = u.User.Password()
	}
	if s.from, err = mail.ParseAddress(from); err != nil {
		return nil, ecrm.FieldErrorf("ECRM_MAIL_FROM", "is not an e-mail address (e.g. \"Bank <no-reply@bank.example>\")")
	}
	return s, nil
}

// WithTLSConfig trusts the given TLS configuration (a test's certificate
// authority) instead of the system's.
func (s *SMTP) WithTLSConfig(c *tls.Config) *SMTP { s.tls = c; return s }

func (s *SMTP) send(ctx context.Context, r stored) error {
	m := gomail.NewMsg()
	m.FromMailAddress(s.from)
	if err := m.AddToFormat(r.toName, r.to); err != nil {
		return err
	}
	m.Subject(r.subject)
	m.SetMessageIDWithValue(strings.Trim(r.messageID, "<>"))
	m.SetDate()
	m.SetGenHeader(gomail.HeaderContentLang, r.language)
	body := r.body
	if r.kind == Marketing {
		m.SetGenHeader("List-Unsubscribe", "<"+r.unsubscribe+">")
		m.SetGenHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	m.SetBodyString(gomail.TypeTextPlain, body)
	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTimeout(s.timeout)}
	switch {
	case s.implicit:
		opts = append(opts, gomail.WithSSL())
	case s.plain:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	tlsConfig := s.tls
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	}
	opts = append(opts, gomail.WithTLSConfig(tlsConfig))
	if s.user != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(s.user), gomail.WithPassword(s.password))
	}
	c, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return err
	}
	return c.DialAndSendWithContext(ctx, m)
}
