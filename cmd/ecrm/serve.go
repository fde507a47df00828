package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/web"
)

// app is everything the HTTP handlers need, built once in serve.
type app struct {
	cfg       config
	log       *slog.Logger
	pool      *pgxpool.Pool
	metrics   *web.Metrics
	readiness *web.Readiness
}

func serve(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer) error {
	if cfg.DatabaseURL == "" {
		return fmt.Errorf("DATABASE_URL is not set: point it at PostgreSQL, e.g. postgres://postgres@127.0.0.1:5432/ecrm?sslmode=disable (make run sets it for you)")
	}
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()
	a, err := newApp(cfg, log, pool)
	if err != nil {
		return err
	}
	srv, err := web.Listen(cfg.Addr, a.routes(), log, a.readiness)
	if err != nil {
		return err
	}
	srv.ShutdownTimeout = cfg.ShutdownTimeout
	srv.DrainDelay = cfg.DrainDelay
	log.Info("serving", "addr", srv.Addr(), "base_url", cfg.BaseURL, "version", version)
	fmt.Fprintf(stdout, "\necrm is running:\n  portal and console  %s/\n  API description     %s/api/v1/openapi.json\n  readiness           %s/readyz\n  metrics             %s/metrics\nPress Ctrl-C to stop.\n\n",
		cfg.BaseURL, cfg.BaseURL, cfg.BaseURL, cfg.BaseURL)
	return srv.Serve(ctx)
}

func newApp(cfg config, log *slog.Logger, pool *pgxpool.Pool) (*app, error) {
	migrator, err := pgdb.NewMigrator(pool)
	if err != nil {
		return nil, err
	}
	metrics := web.NewMetrics(version)
	metrics.RegisterPool(pool)
	return &app{
		cfg:       cfg,
		log:       log,
		pool:      pool,
		metrics:   metrics,
		readiness: web.NewReadiness(pool.Ping, migrator.Current),
	}, nil
}

// routes is the one route table of the service; each domain adds its routes
// here as it grows.
func (a *app) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(
		web.RequestID(a.log),
		web.Instrument(a.metrics),
		web.Recover,
		web.SecurityHeaders(a.cfg.https()),
		web.LimitBody(a.cfg.MaxBodyBytes),
	)
	r.Get("/healthz", web.Healthz)
	r.Get("/readyz", a.readiness.Handler)
	r.Method(http.MethodGet, "/metrics", a.metrics.Handler())
	r.Get("/api/v1/openapi.json", web.OpenAPI)
	r.NotFound(a.notFound)
	r.MethodNotAllowed(a.methodNotAllowed)
	return r
}

func (a *app) notFound(w http.ResponseWriter, r *http.Request) {
	web.WriteProblem(w, web.ProblemDetails{Type: "about:blank", Title: "Not Found", Status: http.StatusNotFound,
		Detail: "No such page or resource.", Instance: r.URL.Path, RequestID: web.RequestIDFrom(r.Context())})
}

func (a *app) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	web.WriteProblem(w, web.ProblemDetails{Type: "about:blank", Title: "Method Not Allowed", Status: http.StatusMethodNotAllowed,
		Detail: fmt.Sprintf("%s is not allowed here.", r.Method), Instance: r.URL.Path, RequestID: web.RequestIDFrom(r.Context())})
}
