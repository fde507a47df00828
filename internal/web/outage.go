package web

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// RetryAfterSeconds is what a 503 asks a caller to wait: long enough for a
// PostgreSQL restart or a failover, short enough that nobody gives up.
const RetryAfterSeconds = "5"

// Outage follows the database's unavailability so that it is logged once
// per outage, not once per failed request: during a 6-second stop every
// request failed, and each wrote an ERROR line that buried the one that
// mattered. The first failure logs "database unavailable"; a watcher then
// pings the database until it answers and logs how long it was away and how
// many requests were answered 503 meanwhile.
type Outage struct {
	ping     func(context.Context) error
	log      *slog.Logger
	answered prometheus.Counter
	every    time.Duration

	mu       sync.Mutex
	down     bool
	since    time.Time
	refusals int
}

// NewOutage returns an outage tracker that checks recovery with ping and
// counts 503 answers in ecrm_database_unavailable_responses_total on m.
func NewOutage(ping func(context.Context) error, log *slog.Logger, m *Metrics) *Outage {
	o := &Outage{
		ping:  ping,
		log:   log,
		every: 500 * time.Millisecond,
		answered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ecrm_database_unavailable_responses_total",
			Help: "Requests answered 503 because the database could not be reached.",
		}),
	}
	m.Registry.MustRegister(o.answered)
	return o
}

type outageKey struct{}

// Middleware makes the tracker reachable from Fail and Problem.
func (o *Outage) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), outageKey{}, o)))
	})
}

// Down reports whether an outage is going on.
func (o *Outage) Down() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.down
}

// report notes one request answered 503; the first of an outage is logged
// and starts the watcher.
func (o *Outage) report(err error) {
	o.answered.Inc()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refusals++
	if o.down {
		return
	}
	o.down, o.since, o.refusals = true, time.Now(), 1
	o.log.Error("database unavailable: answering 503 until it is back (further failures are not logged one by one)", "error", err.Error())
	go o.watch()
}

func (o *Outage) watch() {
	for {
		time.Sleep(o.every)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := o.ping(ctx)
		cancel()
		if err != nil {
			continue
		}
		o.mu.Lock()
		o.down = false
		o.log.Info("database reachable again", "unavailable_for", time.Since(o.since).Round(time.Millisecond).String(), "requests_answered_503", o.refusals)
		o.mu.Unlock()
		return
	}
}

// Fail prepares the answer to a request that failed with err and returns
// its status: an internal error is logged with what (e.g. "portal page
// failed"); the database being unavailable is a 503 with Retry-After, logged
// once per outage; an application error (invalid input, not found) is not
// logged at all. Every handler adapter, page or API, goes through it.
func Fail(w http.ResponseWriter, r *http.Request, err error, what string) int {
	status := ErrorStatus(err)
	switch {
	case status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", RetryAfterSeconds)
		if pgdb.IsUnavailable(err) {
			if o, ok := r.Context().Value(outageKey{}).(*Outage); ok {
				o.report(err)
			} else {
				Logger(r.Context()).Warn("database unavailable", "error", err.Error())
			}
		}
	case status >= 500:
		Logger(r.Context()).Error(what, slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	}
	return status
}
