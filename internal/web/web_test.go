package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/web"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func decodeProblem(t *testing.T, res *http.Response) web.ProblemDetails {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != web.ProblemContentType {
		t.Fatalf("Content-Type = %q, want %q", ct, web.ProblemContentType)
	}
	var p web.ProblemDetails
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProblemMapsApplicationErrors(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		detail string
		fields []ecrm.FieldError
	}{
		{"NotFound", ecrm.Errorf(ecrm.ENOTFOUND, "Client not found."), 404, "Client not found.", nil},
		{"Invalid", ecrm.FieldErrorf("amount", "must be positive"), 422, "amount: must be positive", []ecrm.FieldError{{Field: "amount", Message: "must be positive"}}},
		{"Conflict", ecrm.Errorf(ecrm.ECONFLICT, "Already accepted."), 409, "Already accepted.", nil},
		{"Forbidden", ecrm.Errorf(ecrm.EFORBIDDEN, "Not yours."), 403, "Not yours.", nil},
		{"WrappedInternal", errors.New("pq: connection reset"), 500, "Internal error.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h := web.RequestID(quiet)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { web.Problem(w, r, tt.err) }))
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/x", nil))
			res := rec.Result()
			if res.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.status)
			}
			p := decodeProblem(t, res)
			if p.Status != tt.status || p.Detail != tt.detail || p.Instance != "/api/v1/x" {
				t.Fatalf("problem = %+v", p)
			}
			if p.RequestID == "" || p.RequestID != res.Header.Get(web.RequestIDHeader) {
				t.Fatalf("request id %q does not match header %q", p.RequestID, res.Header.Get(web.RequestIDHeader))
			}
			if len(p.Errors) != len(tt.fields) || (len(tt.fields) > 0 && p.Errors[0] != tt.fields[0]) {
				t.Fatalf("errors = %+v, want %+v", p.Errors, tt.fields)
			}
		})
	}
}

func TestRecoverTurnsPanicIntoProblemWithRequestID(t *testing.T) {
	h := web.RequestID(quiet)(web.Recover(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/anything", nil)
	req.Header.Set(web.RequestIDHeader, "abc-123")
	h.ServeHTTP(rec, req)
	res := rec.Result()
	if res.StatusCode != 500 {
		t.Fatalf("status = %d, want 500", res.StatusCode)
	}
	p := decodeProblem(t, res)
	if p.RequestID != "abc-123" || p.Detail != "Internal error." {
		t.Fatalf("problem = %+v", p)
	}
}

func TestRequestIDRejectsUnsafeIncomingIDs(t *testing.T) {
	var got string
	h := web.RequestID(quiet)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = web.RequestIDFrom(r.Context()) }))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set(web.RequestIDHeader, "bad id\nInjected: yes")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if got == "" || strings.ContainsAny(got, " \n:") || len(got) != 24 {
		t.Fatalf("request id = %q, want a fresh 24-hex-digit id", got)
	}
}

func TestLimitBody(t *testing.T) {
	h := web.RequestID(quiet)(web.LimitBody(16)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v map[string]string
		if err := web.DecodeJSON(r, &v); err != nil {
			web.Problem(w, r, err)
			return
		}
		w.WriteHeader(204)
	})))
	t.Run("DeclaredTooLarge", func(t *testing.T) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(`{"a":"0123456789012345"}`))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		if rec.Code != 413 {
			t.Fatalf("status = %d, want 413", rec.Code)
		}
	})
	t.Run("StreamedTooLarge", func(t *testing.T) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/api/v1/x", io.NopCloser(strings.NewReader(`{"a":"0123456789012345"}`)))
		req.ContentLength = -1
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		if rec.Code != 413 {
			t.Fatalf("status = %d, want 413", rec.Code)
		}
	})
	t.Run("DeclaredTooLargeIsNotRead", func(t *testing.T) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/api/v1/x", readFails{t})
		req.ContentLength = 1 << 20
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		if rec.Code != 413 || !strings.Contains(rec.Body.String(), "larger than 16 bytes") {
			t.Fatalf("status = %d %s, want 413", rec.Code, rec.Body)
		}
	})
	t.Run("AllowBodyLiftsTheLimit", func(t *testing.T) {
		large := web.RequestID(quiet)(web.LimitBody(16)(web.AllowBody(64)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var v map[string]string
			if err := web.DecodeJSON(r, &v); err != nil {
				web.Problem(w, r, err)
				return
			}
			w.WriteHeader(204)
		}))))
		for body, want := range map[string]int{`{"a":"0123456789012345"}`: 204, `{"a":"` + strings.Repeat("x", 64) + `"}`: 413} {
			for _, declared := range []bool{true, false} {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest("POST", "/api/v1/x", io.NopCloser(strings.NewReader(body)))
				if !declared {
					req.ContentLength = -1
				}
				req.Header.Set("Content-Type", "application/json")
				large.ServeHTTP(rec, req)
				if rec.Code != want {
					t.Errorf("%d-byte body (declared %t): status %d, want %d", len(body), declared, rec.Code, want)
				}
			}
		}
	})
	t.Run("SmallOK", func(t *testing.T) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(`{"a":"b"}`))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		if rec.Code != 204 {
			t.Fatalf("status = %d, want 204", rec.Code)
		}
	})
}

func TestDecodeJSONNamesTheField(t *testing.T) {
	tests := []struct{ body, field, detail string }{
		{`{"amount": "x", "unknown": 1}`, "unknown", "unknown: is not a known field"},
		{`{"amount": 5}`, "amount", "amount: must be a string"},
		{`{"amount": "5"} {}`, "", "The request body holds more than one JSON value."},
		{`{"amount": `, "", "The request body is not valid JSON: it ends too early."},
		{``, "", "The request body is empty."},
	}
	for _, tt := range tests {
		var v struct {
			Amount string `json:"amount"`
		}
		req := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/json")
		err := web.DecodeJSON(req, &v)
		var e *ecrm.Error
		if !errors.As(err, &e) || e.Code != ecrm.EINVALID || e.Field != tt.field || e.Message != tt.detail {
			t.Errorf("DecodeJSON(%q) = %#v, want field %q message %q", tt.body, err, tt.field, tt.detail)
		}
	}
}

func TestInstrumentRecordsRoutePattern(t *testing.T) {
	m := web.NewMetrics("test")
	r := chi.NewRouter()
	r.Use(web.Instrument(m))
	r.Get("/clients/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(202) })
	r.Get("/metrics", m.Handler().ServeHTTP)
	srv := httptest.NewServer(r)
	defer srv.Close()
	for _, id := range []string{"1", "2", "3"} {
		res, err := http.Get(srv.URL + "/clients/" + id)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	want := `ecrm_http_request_duration_seconds_count{method="GET",route="/clients/{id}",status="202"} 3`
	if !strings.Contains(string(body), want) {
		t.Fatalf("metrics lack %q", want)
	}
	for _, name := range []string{"ecrm_http_requests_in_flight 1", "ecrm_build_info{", "go_goroutines"} {
		if !strings.Contains(string(body), name) {
			t.Fatalf("metrics lack %q", name)
		}
	}
}

func TestReadinessCachesAndDrains(t *testing.T) {
	var pings atomic.Int32
	var down atomic.Bool
	rd := web.NewReadiness(func(context.Context) error {
		pings.Add(1)
		if down.Load() {
			return errors.New("connection refused")
		}
		return nil
	}, func(context.Context) (int64, int64, error) { return 1, 1, nil })
	for i := 0; i < 100; i++ {
		if err := rd.Check(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := pings.Load(); n != 1 {
		t.Fatalf("pinged %d times for 100 checks within the cache period, want 1", n)
	}
	rd.Drain()
	rec := httptest.NewRecorder()
	rd.Handler(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 {
		t.Fatalf("draining: status = %d, want 503", rec.Code)
	}
}

func TestReadinessReportsPendingMigrations(t *testing.T) {
	rd := web.NewReadiness(func(context.Context) error { return nil },
		func(context.Context) (int64, int64, error) { return 1, 2, nil })
	err := rd.Check(context.Background())
	if err == nil || !strings.Contains(err.Error(), "database at version 1, binary expects 2") {
		t.Fatalf("Check = %v", err)
	}
}

// TestShutdownFinishesInFlightRequests sends requests that are still being
// served when shutdown starts; every one must complete with 200.
func TestShutdownFinishesInFlightRequests(t *testing.T) {
	const n = 20
	var started sync.WaitGroup
	started.Add(n)
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		started.Done()
		<-release
		time.Sleep(50 * time.Millisecond)
		io.WriteString(w, "done")
	})
	rd := web.NewReadiness(func(context.Context) error { return nil }, func(context.Context) (int64, int64, error) { return 1, 1, nil })
	srv, err := web.Listen("127.0.0.1:0", h, quiet, rd)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()

	results := make(chan string, n)
	for i := 0; i < n; i++ {
		go func() {
			res, err := http.Get("http://" + srv.Addr() + "/")
			if err != nil {
				results <- err.Error()
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			results <- res.Status + " " + string(b)
		}()
	}
	started.Wait()
	cancel() // SIGTERM arrives while all n requests are in flight
	time.Sleep(20 * time.Millisecond)
	close(release)
	for i := 0; i < n; i++ {
		if got := <-results; got != "200 OK done" {
			t.Errorf("request %d: %s", i, got)
		}
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := http.Get("http://" + srv.Addr() + "/"); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
}

// readFails is a body that must not be read.
type readFails struct{ t *testing.T }

func (r readFails) Read([]byte) (int, error) {
	r.t.Error("the body was read")
	return 0, io.EOF
}
