package outbox

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/page"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Templates are the outbox pages, for page.New.
var Templates, _ = fs.Sub(templateFiles, "templates")

// Row is one message as the outbox page lists it.
type Row struct {
	ID        int64
	MessageID string
	Kind      string
	To        string
	ToName    string
	Language  string
	Subject   string
	Body      string
	Status    string
	Attempts  int
	LastError string
	CreatedAt time.Time
	SentAt    *time.Time
}

const outboxPageSize = 50

type listPage struct {
	Rows    []Row
	Sending bool
	// Older pages on to the next older messages; empty on the last page.
	Older string
	Paged bool // not the newest page
	Zone  *time.Location
}

// PageHandler serves the admin's outbox pages.
type PageHandler struct {
	outbox *Outbox
	pages  *page.Renderer
	zone   *time.Location
}

// NewPageHandler returns the outbox pages, times shown in zone.
func NewPageHandler(o *Outbox, pages *page.Renderer, zone *time.Location) *PageHandler {
	if zone == nil {
		zone = time.UTC
	}
	return &PageHandler{outbox: o, pages: pages, zone: zone}
}

// Routes registers /console/outbox; the caller puts them behind the admin
// guard, and each handler checks the role again.
func (h *PageHandler) Routes(r chi.Router) {
	r.Get("/console/outbox", h.adminOnly(h.list))
	r.Get("/console/outbox/{id}", h.adminOnly(h.message))
}

func (h *PageHandler) adminOnly(fn func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return h.pages.AdminOnly("outbox page failed", "Only administrators read the outbox.", func(w http.ResponseWriter, r *http.Request, _ int64) error {
		return fn(w, r)
	})
}

const rowColumns = `id, message_id, kind, to_address, to_name, language, subject, body, status, attempts, coalesce(last_error, ''), created_at, sent_at`

func scanRow(row pgx.Row) (Row, error) {
	var m Row
	err := row.Scan(&m.ID, &m.MessageID, &m.Kind, &m.To, &m.ToName, &m.Language, &m.Subject, &m.Body, &m.Status, &m.Attempts, &m.LastError, &m.CreatedAt, &m.SentAt)
	return m, err
}

func (h *PageHandler) list(w http.ResponseWriter, r *http.Request) error {
	var before *int64
	if s := r.URL.Query().Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return ecrm.FieldErrorf("before", "must be a message number")
		}
		before = &n
	}
	rows, err := h.outbox.pool.Query(r.Context(), `SELECT `+rowColumns+` FROM outbox_messages
		WHERE $1::bigint IS NULL OR id < $1 ORDER BY id DESC LIMIT $2`, before, outboxPageSize+1)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Row, error) { return scanRow(r) })
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	data := listPage{Sending: h.outbox.Sending(), Paged: before != nil, Zone: h.zone}
	if len(list) > outboxPageSize {
		list = list[:outboxPageSize]
		data.Older = "/console/outbox?before=" + strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	data.Rows = list
	h.pages.Render(w, r, http.StatusOK, "outbox", page.View{Area: page.AreaConsole, Data: data})
	return nil
}

type messagePage struct {
	Row
	Zone *time.Location
}

func (h *PageHandler) message(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id < 1 {
		return ecrm.Errorf(ecrm.ENOTFOUND, "There is no such message.")
	}
	m, err := scanRow(h.outbox.pool.QueryRow(r.Context(), `SELECT `+rowColumns+` FROM outbox_messages WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return ecrm.Errorf(ecrm.ENOTFOUND, "There is no such message.")
	}
	if err != nil {
		return fmt.Errorf("outbox message %d: %w", id, err)
	}
	h.pages.Render(w, r, http.StatusOK, "outbox_message", page.View{Area: page.AreaConsole, Data: messagePage{Row: m, Zone: h.zone}})
	return nil
}
