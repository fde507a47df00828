package web

import (
	"fmt"
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

// LimitBody caps request bodies; reading past the limit fails with
// *http.MaxBytesError, which Problem maps to 413.
func LimitBody(maxBytes int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > maxBytes {
				WriteProblem(w, ProblemDetails{
					Type: "about:blank", Title: http.StatusText(http.StatusRequestEntityTooLarge),
					Status: http.StatusRequestEntityTooLarge, Instance: r.URL.Path,
					Detail:    fmt.Sprintf("The request body is larger than %d bytes.", maxBytes),
					RequestID: RequestIDFrom(r.Context()),
				})
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
			next.ServeHTTP(w, r)
		})
	}
}
