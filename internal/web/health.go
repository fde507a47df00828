package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Readiness answers /readyz: the database is reachable and every embedded
// migration is applied, and the process is not draining for shutdown.
//
// The answer is cached for a short time (default one second) so that a load
// balancer or a load test polling /readyz cannot turn it into a database
// load; a stale answer is refreshed by one caller while the others wait.
type Readiness struct {
	check    func(ctx context.Context) error
	ttl      time.Duration
	draining atomic.Bool

	mu      sync.Mutex
	checked time.Time
	lastErr error
}

// NewReadiness builds a readiness check from a database ping and a function
// reporting the applied and the newest migration version.
func NewReadiness(ping func(context.Context) error, versions func(context.Context) (applied, latest int64, err error)) *Readiness {
	return &Readiness{
		ttl: time.Second,
		check: func(ctx context.Context) error {
			if err := ping(ctx); err != nil {
				return &notReady{public: "database unreachable", cause: err}
			}
			applied, latest, err := versions(ctx)
			if err != nil {
				return &notReady{public: "migration version unreadable", cause: fmt.Errorf("read migration version: %w", err)}
			}
			if applied != latest {
				return &notReady{public: "migrations not current", cause: fmt.Errorf("database at version %d, binary expects %d (run `ecrm migrate up`)", applied, latest)}
			}
			return nil
		},
	}
}

// notReady is a reason not to take traffic: public is all /readyz tells
// anyone (it is served without authentication); cause, with the server's
// address, user or database name, goes to the log only.
type notReady struct {
	public string
	cause  error
}

func (e *notReady) Error() string { return e.public + ": " + e.cause.Error() }

// publicReason is what /readyz may say about err.
func publicReason(err error) string {
	var nr *notReady
	if errors.As(err, &nr) {
		return nr.public
	}
	return err.Error() // "shutting down"
}

// Drain marks the process as shutting down: /readyz answers 503 from now on
// so load balancers stop sending new requests.
func (rd *Readiness) Drain() { rd.draining.Store(true) }

// Check returns nil when ready.
func (rd *Readiness) Check(ctx context.Context) error {
	if rd.draining.Load() {
		return errors.New("shutting down")
	}
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if time.Since(rd.checked) < rd.ttl {
		return rd.lastErr
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := rd.check(ctx)
	// Logged when the answer changes, not at every probe.
	switch {
	case err != nil && (rd.lastErr == nil || rd.lastErr.Error() != err.Error()):
		Logger(ctx).Warn("not ready", "reason", err.Error())
	case err == nil && rd.lastErr != nil:
		Logger(ctx).Info("ready again")
	}
	rd.lastErr = err
	rd.checked = time.Now()
	return rd.lastErr
}

// readyBody and aliveBody are written as-is: the endpoints are polled often.
var (
	aliveBody = []byte(`{"status":"ok"}` + "\n")
	readyBody = []byte(`{"status":"ready"}` + "\n")
)

// Healthz answers 200 while the process is up: a liveness probe must not
// depend on the database, or a database outage would restart every replica.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(aliveBody)
}

// Handler serves /readyz.
func (rd *Readiness) Handler(w http.ResponseWriter, r *http.Request) {
	if err := rd.Check(r.Context()); err != nil {
		w.Header().Set("Retry-After", RetryAfterSeconds)
		WriteProblem(w, ProblemDetails{
			Type: "about:blank", Title: "Not ready", Status: http.StatusServiceUnavailable,
			Detail: publicReason(err), Instance: r.URL.Path, RequestID: RequestIDFrom(r.Context()),
		})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(readyBody)
}
