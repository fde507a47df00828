package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// routePattern returns the chi route pattern that served r ("/api/v1/clients/{id}"),
// so metrics and logs group requests by route rather than by raw path.
func routePattern(r *http.Request) string {
	if rctx := chi.RouteContext(r.Context()); rctx != nil {
		if p := rctx.RoutePattern(); p != "" {
			return p
		}
	}
	return "unmatched"
}

// Instrument logs one line per request and records its duration by route
// pattern, method and status, and the number of requests in flight.
func Instrument(m *Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			m.inFlight.Inc()
			defer m.inFlight.Dec()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			defer func() {
				status := ww.Status()
				if status == 0 {
					status = http.StatusOK
				}
				elapsed := time.Since(start)
				route := routePattern(r)
				m.duration.WithLabelValues(route, r.Method, strconv.Itoa(status)).Observe(elapsed.Seconds())
				level := slog.LevelInfo
				switch {
				case status == http.StatusServiceUnavailable:
					level = slog.LevelWarn // an outage is logged once by Outage
				case status >= 500:
					level = slog.LevelError
				}
				Logger(r.Context()).LogAttrs(r.Context(), level, "request",
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.String("route", route),
					slog.Int("status", status),
					slog.Int("bytes", ww.BytesWritten()),
					slog.Duration("duration", elapsed),
				)
			}()
			next.ServeHTTP(ww, r)
		})
	}
}

// Recover turns a panic in a handler into a 500 problem+json that carries
// the request id, and logs the panic with its stack.
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler { // the client went away; nothing to answer
				panic(rec)
			}
			Logger(r.Context()).Error("panic in handler",
				slog.String("panic", fmt.Sprint(rec)),
				slog.String("stack", string(debug.Stack())))
			WriteProblem(w, ProblemDetails{
				Type:      "about:blank",
				Title:     http.StatusText(http.StatusInternalServerError),
				Status:    http.StatusInternalServerError,
				Detail:    "Internal error.",
				Instance:  r.URL.Path,
				RequestID: RequestIDFrom(r.Context()),
			})
		}()
		next.ServeHTTP(w, r)
	})
}

// bodyLimit is a request's body limit and the body as it arrived, so a
// route that takes larger bodies (AllowBody) can lift the limit.
type bodyLimit struct {
	max      int64
	original io.ReadCloser
}

type bodyLimitKey struct{}

// LimitBody caps request bodies at maxBytes; reading past the limit fails
// with *http.MaxBytesError, which Problem maps to 413. A body declared
// larger (Content-Length) is refused by DecodeJSON and CheckRequestText
// before a byte of it is read. Routes that need more say so with AllowBody.
// A small default keeps a client that sends megabytes of JSON to a route
// that reads a few hundred bytes from costing more than the refusal.
func LimitBody(maxBytes int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			limit := &bodyLimit{max: maxBytes, original: r.Body}
			r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyLimitKey{}, limit)))
		})
	}
}

// AllowBody lets the routes it wraps read bodies of up to maxBytes, more
// than LimitBody's default (a catalogue import).
func AllowBody(maxBytes int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if limit, ok := r.Context().Value(bodyLimitKey{}).(*bodyLimit); ok {
				limit.max = maxBytes
				r.Body = http.MaxBytesReader(w, limit.original, maxBytes)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// checkDeclaredLength refuses a body whose Content-Length is over the
// route's limit, before reading it.
func checkDeclaredLength(r *http.Request) error {
	if limit, ok := r.Context().Value(bodyLimitKey{}).(*bodyLimit); ok && r.ContentLength > limit.max {
		return &http.MaxBytesError{Limit: limit.max}
	}
	return nil
}
