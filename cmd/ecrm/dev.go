package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/demodata"
	"github.com/ecrm-project/ecrm/internal/devoidc"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// devAuditKey is the demo's checkpoint signing key, relative to the
// working directory (the checkout, for make run).
const devAuditKey = ".ecrm/audit.key"

// dev prepares a development or demo database and serves: it creates the
// database when missing, applies migrations, loads demo data when the
// database holds none and, unless an external OpenID provider is
// configured, starts the development provider with the demo users. make run
// calls it with ECRM_DEV_MODE=true.
func dev(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("dev: unexpected argument %q", args[0])
	}
	if cfg.OIDCIssuer == "" && !cfg.DevMode {
		return errors.New("ecrm dev starts the development identity provider only when ECRM_DEV_MODE=true (make run sets it); otherwise configure ECRM_OIDC_ISSUER, ECRM_OIDC_CLIENT_ID and ECRM_OIDC_CLIENT_SECRET")
	}
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = "postgres://postgres@127.0.0.1:5432/ecrm?sslmode=disable"
	}
	created, err := pgdb.EnsureDatabase(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	if created {
		log.Info("created database")
	}
	appURL, err := prepareDemoDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	// Migrations and demo data as the owner; the server as the
	// application role, which may not change the offer log.
	if appURL != "" {
		cfg.DatabaseURL = appURL
	}
	if cfg.AuditKey == "" {
		// The demo signs offer-log checkpoints with a key of its own, kept
		// beside the checkout (never in the database).
		cfg.AuditKey = devAuditKey
		if _, err := os.Stat(cfg.AuditKey); errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(cfg.AuditKey), 0o700); err != nil {
				return err
			}
			if _, err := compliance.GenerateSigningKey(cfg.AuditKey); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "\nOffer log checkpoints are signed with %s; check the log with:\n  DATABASE_URL=%s bin/ecrm audit verify --public-key %s.pub\n",
			cfg.AuditKey, cfg.DatabaseURL, cfg.AuditKey)
	}
	if cfg.OIDCIssuer == "" {
		stop, err := startDevProvider(ctx, &cfg, log)
		if err != nil {
			return err
		}
		defer stop()
		fmt.Fprintf(stdout, "\nDevelopment identity provider (demo users, no passwords): %s\n", cfg.OIDCIssuer)
	}
	return serve(ctx, cfg, log, stdout)
}

// prepareDemoDatabase migrates and seeds as the owner (DATABASE_URL) and
// returns the URL the server should connect with: the application role's,
// or "" (with a warning) when that role cannot log in here.
func prepareDemoDatabase(ctx context.Context, cfg config, log *slog.Logger) (appURL string, err error) {
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, 4)
	if err != nil {
		return "", err
	}
	defer pool.Close()
	m, err := pgdb.NewMigrator(pool)
	if err != nil {
		return "", err
	}
	res, err := m.Up(ctx)
	m.Close()
	if err != nil {
		return "", err
	}
	for _, r := range res {
		log.Info("applied migration", "file", r.Source.Path)
	}
	if err := seedDemoIfEmpty(ctx, pool, log, time.Now(), cfg.BusinessHours, cfg.BaseURL); err != nil {
		return "", err
	}
	appURL, err = pgdb.AppURL(ctx, pool, cfg.DatabaseURL)
	if err == nil {
		var app *pgxpool.Pool
		if app, err = pgdb.Open(ctx, appURL, 1); err == nil {
			app.Close()
		}
	}
	if err != nil {
		log.Warn("serving as the migrating role, not the application role", "reason", err.Error())
		return "", nil
	}
	log.Info("serving as the application role", "role", pgdb.AppRole)
	return appURL, nil
}

// demoUsers are the people of the demo data set, one per role, plus an
// insurance applicant who is not yet a client (a prospect at first login).
func demoUsers() []devoidc.User {
	return []devoidc.User{
		{Subject: "demo-client-ana", Email: demodata.DemoClientEmail, EmailVerified: true, Name: "Ana Popescu", GivenName: "Ana", FamilyName: "Popescu",
			Description: "auth.dev.user.client"},
		{Subject: "demo-advisor-maria", Email: demodata.DemoAdvisorEmail, EmailVerified: true, Name: "Maria Ionescu", GivenName: "Maria", FamilyName: "Ionescu",
			Groups: []string{"advisor"}, Description: "auth.dev.user.advisor"},
		{Subject: "demo-compliance-andrei", Email: demodata.DemoComplianceEmail, EmailVerified: true, Name: "Andrei Stan", GivenName: "Andrei", FamilyName: "Stan",
			Groups: []string{"compliance"}, Description: "auth.dev.user.compliance"},
		{Subject: "demo-admin-elena", Email: demodata.DemoAdminEmail, EmailVerified: true, Name: "Elena Dobre", GivenName: "Elena", FamilyName: "Dobre",
			Groups: []string{"admin"}, Description: "auth.dev.user.admin"},
		{Subject: "demo-prospect-radu", Email: "radu.marin@applicant.example.com", EmailVerified: true, Name: "Radu Marin", GivenName: "Radu", FamilyName: "Marin",
			Description: "auth.dev.user.prospect"},
	}
}

// startDevProvider serves the development OpenID provider on
// ECRM_DEV_OIDC_ADDR and points cfg at it with a client secret made for
// this run.
func startDevProvider(ctx context.Context, cfg *config, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", cfg.DevOIDCAddr)
	if err != nil {
		return nil, fmt.Errorf("development identity provider: listen on %s: %w (set ECRM_DEV_OIDC_ADDR)", cfg.DevOIDCAddr, err)
	}
	secret := make([]byte, 24)
	_, _ = rand.Read(secret)
	cfg.OIDCIssuer = "http://" + ln.Addr().String()
	cfg.OIDCClientID = "ecrm-dev"
	cfg.OIDCClientSecret = hex.EncodeToString(secret)
	cfg.OIDCAPIAudience = cfg.OIDCClientID
	provider, err := devoidc.New(devoidc.Config{
		Issuer:  cfg.OIDCIssuer,
		DevMode: cfg.DevMode,
		Clients: []devoidc.Client{{
			ID:                     cfg.OIDCClientID,
			Secret:                 cfg.OIDCClientSecret,
			RedirectURIs:           []string{cfg.BaseURL + "/auth/callback"},
			PostLogoutRedirectURIs: []string{cfg.BaseURL + "/"},
		}},
		Users:  demoUsers(),
		Logger: log,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv := &http.Server{Handler: provider.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("development identity provider stopped", "error", err.Error())
		}
	}()
	log.Warn("development identity provider running: demo logins without passwords; never use in production", "issuer", cfg.OIDCIssuer)
	return func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}, nil
}
