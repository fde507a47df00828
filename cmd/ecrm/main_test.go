package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/pgtest"
	"github.com/ecrm-project/ecrm/internal/web"
)

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// runCommand runs the ecrm command line in-process and returns its error
// message, as a user would see it after "ecrm: ".
func runCommand(t *testing.T, env map[string]string, args ...string) (stdout string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, envFrom(env), &out, &errOut)
	return out.String(), err
}

func TestBadConfigurationFailsWithOneClearLine(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"MalformedDatabaseURL", map[string]string{"DATABASE_URL": "postgres://u:secret@[::1"}, []string{"serve"}, "DATABASE_URL is malformed"},
		{"UnreachableDatabase", map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/ecrm?sslmode=disable&connect_timeout=2"}, []string{"serve"}, "cannot reach PostgreSQL at 127.0.0.1:1"},
		{"MissingDatabaseURL", map[string]string{}, []string{"serve"}, "DATABASE_URL is not set"},
		{"BadAddr", map[string]string{"ECRM_ADDR": "nonsense"}, []string{"serve"}, `ECRM_ADDR="nonsense" is not host:port`},
		{"BadDuration", map[string]string{"ECRM_SHUTDOWN_TIMEOUT": "soon"}, []string{"serve"}, `ECRM_SHUTDOWN_TIMEOUT="soon" is not a duration`},
		{"BadMigrateVerb", map[string]string{"DATABASE_URL": "postgres://127.0.0.1/x"}, []string{"migrate", "sideways"}, "usage: ecrm migrate up|down|status"},
		{"UnknownCommand", map[string]string{}, []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"SeedBadClients", map[string]string{"DATABASE_URL": "postgres://127.0.0.1/x"}, []string{"seed", "--clients", "0"}, "--clients must be between 1 and 50000000"},
		{"PriceMaxAgeTooShort", map[string]string{"ECRM_PRICE_MAX_AGE": "5m"}, []string{"serve"}, "ECRM_PRICE_MAX_AGE=5m0s must be between 24h and 2160h (1 to 90 days: prices are daily)"},
		{"ImportNoFile", map[string]string{"DATABASE_URL": "postgres://127.0.0.1/x"}, []string{"import", "prices"}, "usage: ecrm import bureau FILE | ecrm import prices|news [--source NAME] FILE"},
		{"SeedBadDate", map[string]string{"DATABASE_URL": "postgres://127.0.0.1/x"}, []string{"seed", "--as-of", "yesterday"}, `--as-of "yesterday" is not a date`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runCommand(t, tt.env, tt.args...)
			if err == nil {
				t.Fatal("command succeeded, want an error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Fatalf("error = %q, want it to contain %q", msg, tt.want)
			}
			if strings.Contains(msg, "\n") {
				t.Fatalf("error spans several lines: %q", msg)
			}
			if strings.Contains(msg, "secret") {
				t.Fatalf("error leaks the password: %q", msg)
			}
		})
	}
}

func newTestApp(t *testing.T, databaseURL string) *app {
	t.Helper()
	cfg, err := loadConfig(envFrom(map[string]string{"DATABASE_URL": databaseURL}))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgdb.Open(context.Background(), databaseURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	a, err := newApp(cfg, newLogger(cfg, io.Discard), pool)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestOpenAPIDocumentMatchesRoutes fails when an API route is registered but
// not documented, or documented but not registered.
func TestOpenAPIDocumentMatchesRoutes(t *testing.T) {
	a := newTestApp(t, pgtest.AppURL(t, pgtest.NewURL(t)))
	router, ok := a.routes().(chi.Routes)
	if !ok {
		t.Fatal("routes() is not a chi router")
	}
	var registered []string
	err := chi.Walk(router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.TrimSuffix(route, "/")
		if strings.HasPrefix(route, "/api/") || route == "/healthz" || route == "/readyz" {
			registered = append(registered, method+" "+route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(registered)
	documented, err := a.openapi.Operations()
	if err != nil {
		t.Fatal(err)
	}
	docSet := map[string]bool{}
	for _, op := range documented {
		docSet[op] = true
	}
	regSet := map[string]bool{}
	for _, op := range registered {
		regSet[op] = true
		if !docSet[op] {
			t.Errorf("route %s is registered but missing from openapi.json", op)
		}
	}
	for _, op := range documented {
		if !regSet[op] {
			t.Errorf("openapi.json documents %s, which is not registered", op)
		}
	}
}

func get(t *testing.T, srv *httptest.Server, path string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestOperationsEndpoints(t *testing.T) {
	url := pgtest.NewURL(t)
	a := newTestApp(t, pgtest.AppURL(t, url))
	srv := httptest.NewServer(a.routes())
	defer srv.Close()

	if res, body := get(t, srv, "/healthz"); res.StatusCode != 200 || body != "{\"status\":\"ok\"}\n" {
		t.Fatalf("/healthz = %d %q", res.StatusCode, body)
	}
	if res, body := get(t, srv, "/readyz"); res.StatusCode != 200 || body != "{\"status\":\"ready\"}\n" {
		t.Fatalf("/readyz = %d %q", res.StatusCode, body)
	}
	res, body := get(t, srv, "/api/v1/openapi.json")
	if res.StatusCode != 200 || !strings.Contains(body, `"openapi": "3.1.0"`) {
		t.Fatalf("/api/v1/openapi.json = %d", res.StatusCode)
	}
	res, body = get(t, srv, "/metrics")
	if res.StatusCode != 200 || !strings.Contains(body, "ecrm_pgxpool_max_conns 4") || !strings.Contains(body, `ecrm_http_request_duration_seconds_count{method="GET",route="/readyz",status="200"} 1`) {
		t.Fatalf("/metrics = %d, missing pool or route metrics", res.StatusCode)
	}
	res, body = get(t, srv, "/api/v1/no-such-thing")
	if res.StatusCode != 404 || res.Header.Get("Content-Type") != web.ProblemContentType || !strings.Contains(body, `"request_id":"`+res.Header.Get(web.RequestIDHeader)+`"`) {
		t.Fatalf("unknown API route = %d %s %q", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} {
		if res.Header.Get(h) == "" {
			t.Errorf("response lacks %s", h)
		}
	}
}

func TestReadyzNotReadyWhenMigrationsPending(t *testing.T) {
	url := pgtest.NewURL(t)
	if _, err := runCommand(t, map[string]string{"DATABASE_URL": url}, "migrate", "down"); err != nil {
		t.Fatal(err)
	}
	a := newTestApp(t, url) // as the owner: migrating down took the application role's grants away
	srv := httptest.NewServer(a.routes())
	defer srv.Close()
	res, body := get(t, srv, "/readyz")
	if res.StatusCode != 503 || !strings.Contains(body, "migrations not current") {
		t.Fatalf("/readyz after migrate down = %d %q", res.StatusCode, body)
	}
	out, err := runCommand(t, map[string]string{"DATABASE_URL": url}, "migrate", "status")
	if err != nil || !strings.Contains(out, "00001_foundation.sql") || !strings.Contains(out, "applied") || !strings.Contains(out, "pending") {
		t.Fatalf("migrate status = %q, %v", out, err)
	}
	out, err = runCommand(t, map[string]string{"DATABASE_URL": url}, "migrate", "up")
	if err != nil || !strings.HasPrefix(out, "applied 000") || strings.Count(out, "\n") != 1 {
		t.Fatalf("migrate up = %q, %v", out, err)
	}
}
