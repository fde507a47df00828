package jobs

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecrm-project/ecrm/internal/page"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Templates are the jobs page, for page.New.
var Templates, _ = fs.Sub(templateFiles, "templates")

// Failure is a job that failed at least once: retrying, discarded after
// its last attempt, or cancelled.
type Failure struct {
	ID          int64
	Kind        string
	State       string
	Attempt     int
	MaxAttempts int
	LastError   string
	ErroredAt   time.Time
	ScheduledAt time.Time
}

type jobsPage struct {
	Counts   map[string]int64
	States   []string
	Failures []Failure
	Zone     *time.Location
}

// PageHandler serves the admin's jobs page: how many jobs are in each
// state and every job that failed, with its last error.
type PageHandler struct {
	pool  *pgxpool.Pool
	pages *page.Renderer
	zone  *time.Location
}

// NewPageHandler returns the jobs page, times shown in zone.
func NewPageHandler(pool *pgxpool.Pool, pages *page.Renderer, zone *time.Location) *PageHandler {
	if zone == nil {
		zone = time.UTC
	}
	return &PageHandler{pool: pool, pages: pages, zone: zone}
}

// Routes registers /console/jobs behind the caller's admin guard; the
// handler checks the role again.
func (h *PageHandler) Routes(r chi.Router) {
	r.Get("/console/jobs", h.pages.AdminOnly("jobs page failed", "Only administrators read the job queue.", h.show))
}

func (h *PageHandler) show(w http.ResponseWriter, r *http.Request, _ int64) error {
	data, err := h.read(r.Context())
	if err != nil {
		return err
	}
	h.pages.Render(w, r, http.StatusOK, "jobs", page.View{Area: page.AreaConsole, Data: data})
	return nil
}

func (h *PageHandler) read(ctx context.Context) (jobsPage, error) {
	counts, err := stateCounts(ctx, h.pool)
	if err != nil {
		return jobsPage{}, err
	}
	rows, err := h.pool.Query(ctx, `SELECT id, kind, state::text, attempt, max_attempts, errors[array_length(errors, 1)], scheduled_at
		FROM river_job WHERE array_length(errors, 1) > 0 ORDER BY id DESC LIMIT 100`)
	if err != nil {
		return jobsPage{}, fmt.Errorf("failed jobs: %w", err)
	}
	failures, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Failure, error) {
		var f Failure
		var last []byte
		if err := r.Scan(&f.ID, &f.Kind, &f.State, &f.Attempt, &f.MaxAttempts, &last, &f.ScheduledAt); err != nil {
			return f, err
		}
		var e struct {
			At    time.Time `json:"at"`
			Error string    `json:"error"`
		}
		if json.Unmarshal(last, &e) == nil {
			f.LastError, f.ErroredAt = e.Error, e.At
		}
		return f, nil
	})
	if err != nil {
		return jobsPage{}, fmt.Errorf("failed jobs: %w", err)
	}
	return jobsPage{Counts: counts, States: States, Failures: failures, Zone: h.zone}, nil
}

func stateCounts(ctx context.Context, pool *pgxpool.Pool) (map[string]int64, error) {
	rows, err := pool.Query(ctx, `SELECT state::text, count(*) FROM river_job GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("job counts: %w", err)
	}
	counts := map[string]int64{}
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		counts[s] = n
	}
	return counts, rows.Err()
}

// Collector exports ecrm_jobs{state} (jobs in each state, read at scrape
// time) for Prometheus: retryable and discarded jobs are the ones to alert
// on.
func Collector(pool *pgxpool.Pool) prometheus.Collector { return &collector{pool: pool} }

type collector struct{ pool *pgxpool.Pool }

var jobsDesc = prometheus.NewDesc("ecrm_jobs", "Background jobs in the queue, by state.", []string{"state"}, nil)

func (c *collector) Describe(ch chan<- *prometheus.Desc) { ch <- jobsDesc }

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := stateCounts(ctx, c.pool)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(jobsDesc, err)
		return
	}
	for _, s := range States {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(counts[s]), s)
	}
}
