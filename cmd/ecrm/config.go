package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/insurance"
	"github.com/ecrm-project/ecrm/internal/identity"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/products"
	"github.com/ecrm-project/ecrm/risk"
	"github.com/ecrm-project/ecrm/servicedesk"
)

// config is everything ecrm reads from the environment. Each field names its
// variable; defaults suit a developer's machine, and the README's
// configuration table lists them all.
type config struct {
	DatabaseURL     string        // DATABASE_URL
	Addr            string        // ECRM_ADDR
	BaseURL         string        // ECRM_BASE_URL, the public URL (used for redirects and cookies)
	LogLevel        slog.Level    // ECRM_LOG_LEVEL: debug, info, warn, error
	LogFormat       string        // ECRM_LOG_FORMAT: json or text
	MaxBodyBytes    int64         // ECRM_MAX_BODY_BYTES
	DBMaxConns      int32         // ECRM_DB_MAX_CONNS
	ShutdownTimeout time.Duration // ECRM_SHUTDOWN_TIMEOUT
	DrainDelay      time.Duration // ECRM_DRAIN_DELAY

	OIDCIssuer       string // ECRM_OIDC_ISSUER
	OIDCClientID     string // ECRM_OIDC_CLIENT_ID
	OIDCClientSecret string // ECRM_OIDC_CLIENT_SECRET
	OIDCRolesClaim   string // ECRM_OIDC_ROLES_CLAIM
	OIDCAPIAudience  string // ECRM_OIDC_API_AUDIENCE

	SessionIdleTimeout time.Duration // ECRM_SESSION_IDLE_TIMEOUT
	SessionLifetime    time.Duration // ECRM_SESSION_LIFETIME
	// SessionCacheTTL is how long a replica reuses a session it read; a
	// logout on another replica takes effect here within it. 0 turns the
	// cache off.
	SessionCacheTTL time.Duration // ECRM_SESSION_CACHE_TTL

	// DebugAddr serves Go's profiler (net/http/pprof) on a separate,
	// private address when set; never on the public listener.
	DebugAddr string // ECRM_DEBUG_ADDR
	// Firm is the name of the firm running ecrm: the portal's header, and
	// the provider name of its own products (no commission disclosed).
	Firm string // ECRM_FIRM_NAME
	// FirmIBAN is where clients pay (the payment instructions document).
	FirmIBAN string // ECRM_FIRM_IBAN
	// MetricsAddr serves /metrics on a private address when set, and no
	// longer on the public one: metrics tell the Go version, per-route
	// counts and the pool's state, which the public need not see.
	MetricsAddr string // ECRM_METRICS_ADDR

	// AuditKey is the file of the Ed25519 key that signs offer-log
	// checkpoints; it stays outside the database.
	AuditKey string // ECRM_AUDIT_KEY
	// AuditCheckpointEvery is how often serve signs the chain head when
	// AuditKey is set.
	AuditCheckpointEvery time.Duration // ECRM_AUDIT_CHECKPOINT_EVERY
	// PresentationWindow is how long a showing of offers lasts: a reload
	// or a language switch within it is the same presentation (0: every
	// showing is recorded anew).
	PresentationWindow time.Duration // ECRM_PRESENTATION_WINDOW
	// SuitabilityMaxAge is how long a risk profile lasts before the
	// client is asked to review it (a calendar period: 2y, 18mo, 730d).
	SuitabilityMaxAge risk.Period // ECRM_SUITABILITY_MAX_AGE
	// StepUpMaxAge is how recent a login applying for an offer needs;
	// older, the client logs in again (OpenID Connect max_age).
	StepUpMaxAge time.Duration // ECRM_STEP_UP_MAX_AGE

	TimeZone *time.Location // ECRM_TIME_ZONE: the firm's zone, in which pages show times

	// BusinessHours count task deadlines (ECRM_BUSINESS_HOURS, default
	// "Mon-Fri 09:00-18:00" in ECRM_TIME_ZONE, Romanian public holidays).
	BusinessHours pipeline.BusinessHours

	// PriceMaxAge is how old a close or an exchange rate may be before a
	// quote and the figures that use it are flagged stale and no hedge is
	// priced on it (default 4 days: Friday's close is fresh until
	// Tuesday; whole days count; 1 to 90 days).
	PriceMaxAge time.Duration // ECRM_PRICE_MAX_AGE

	// RenewalReminderDays is how many days before a short-term insurance
	// policy ends the client is reminded to renew it (default 14; 1 to
	// 60).
	RenewalReminderDays int // ECRM_INSURANCE_RENEWAL_DAYS

	// ServiceDesk sets the deadline of complaints (ECRM_COMPLAINT_DAYS
	// business days, default 15) and the largest attachment
	// (ECRM_ATTACHMENT_MAX_BYTES, default 5 MiB).
	ServiceDesk servicedesk.Config

	// BaseCurrency is the firm's base currency, in which a client who has
	// chosen none and has no income currency sees their portfolio valued.
	BaseCurrency string // ECRM_BASE_CURRENCY

	// SMTP is where the outbox sends e-mail; nil (ECRM_SMTP_URL unset)
	// holds messages on the admin's outbox page instead.
	SMTP *outbox.SMTP // ECRM_SMTP_URL with ECRM_MAIL_FROM

	// DevMode allows the development OpenID provider; never in production.
	DevMode     bool   // ECRM_DEV_MODE
	DevOIDCAddr string // ECRM_DEV_OIDC_ADDR
}

func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{
		DatabaseURL: getenv("DATABASE_URL"),
		Addr:        envOr(getenv, "ECRM_ADDR", "127.0.0.1:8080"),
		LogFormat:   envOr(getenv, "ECRM_LOG_FORMAT", "json"),
	}
	var errs []string
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		errs = append(errs, fmt.Sprintf("ECRM_ADDR=%q is not host:port", cfg.Addr))
	}
	cfg.BaseURL = strings.TrimSuffix(envOr(getenv, "ECRM_BASE_URL", "http://"+cfg.Addr), "/")
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Sprintf("ECRM_BASE_URL=%q is not an http(s) URL", cfg.BaseURL))
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(envOr(getenv, "ECRM_LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, fmt.Sprintf("ECRM_LOG_LEVEL=%q is not one of debug, info, warn, error", getenv("ECRM_LOG_LEVEL")))
	}
	if cfg.LogFormat != "json" && cfg.LogFormat != "text" {
		errs = append(errs, fmt.Sprintf("ECRM_LOG_FORMAT=%q is not json or text", cfg.LogFormat))
	}
	var err error
	if cfg.MaxBodyBytes, err = envInt(getenv, "ECRM_MAX_BODY_BYTES", 1<<20, 1024, 1<<30); err != nil {
		errs = append(errs, err.Error())
	}
	// A pool of about two connections per core keeps PostgreSQL busy without
	// making its backends fight over the cores: on 2 cores, 4 connections
	// served more requests per second, with a third of the p99 latency, than 16.
	conns, err := envInt(getenv, "ECRM_DB_MAX_CONNS", int64(max(4, 2*runtime.GOMAXPROCS(0))), 1, 1000)
	if err != nil {
		errs = append(errs, err.Error())
	}
	cfg.DBMaxConns = int32(conns)
	if cfg.ShutdownTimeout, err = envDuration(getenv, "ECRM_SHUTDOWN_TIMEOUT", 30*time.Second); err != nil {
		errs = append(errs, err.Error())
	}
	if cfg.DrainDelay, err = envDuration(getenv, "ECRM_DRAIN_DELAY", 0); err != nil {
		errs = append(errs, err.Error())
	}
	cfg.OIDCIssuer = strings.TrimSuffix(getenv("ECRM_OIDC_ISSUER"), "/")
	cfg.OIDCClientID = getenv("ECRM_OIDC_CLIENT_ID")
	cfg.OIDCClientSecret = getenv("ECRM_OIDC_CLIENT_SECRET")
	cfg.OIDCRolesClaim = envOr(getenv, "ECRM_OIDC_ROLES_CLAIM", "groups")
	cfg.OIDCAPIAudience = envOr(getenv, "ECRM_OIDC_API_AUDIENCE", cfg.OIDCClientID)
	if cfg.OIDCIssuer != "" {
		if u, err := url.Parse(cfg.OIDCIssuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Sprintf("ECRM_OIDC_ISSUER=%q is not an http(s) URL", cfg.OIDCIssuer))
		}
		if cfg.OIDCClientID == "" {
			errs = append(errs, "ECRM_OIDC_CLIENT_ID must be set with ECRM_OIDC_ISSUER")
		}
	}
	if cfg.SessionIdleTimeout, err = envDuration(getenv, "ECRM_SESSION_IDLE_TIMEOUT", 15*time.Minute); err != nil {
		errs = append(errs, err.Error())
	}
	if cfg.SessionLifetime, err = envDuration(getenv, "ECRM_SESSION_LIFETIME", 8*time.Hour); err != nil {
		errs = append(errs, err.Error())
	}
	if cfg.SessionCacheTTL, err = envDuration(getenv, "ECRM_SESSION_CACHE_TTL", time.Second); err != nil {
		errs = append(errs, err.Error())
	} else if cfg.SessionCacheTTL < 0 || cfg.SessionCacheTTL > time.Minute {
		errs = append(errs, "ECRM_SESSION_CACHE_TTL must be between 0 (off) and 1m")
	}
	if cfg.StepUpMaxAge, err = envDuration(getenv, "ECRM_STEP_UP_MAX_AGE", identity.DefaultStepUpAge); err != nil {
		errs = append(errs, err.Error())
	} else if cfg.StepUpMaxAge < 0 || cfg.StepUpMaxAge > 24*time.Hour {
		errs = append(errs, fmt.Sprintf("ECRM_STEP_UP_MAX_AGE=%s must be between 0s and 24h", cfg.StepUpMaxAge))
	}
	if cfg.PresentationWindow, err = envDuration(getenv, "ECRM_PRESENTATION_WINDOW", compliance.DefaultPresentationWindow); err != nil {
		errs = append(errs, err.Error())
	} else if cfg.PresentationWindow < 0 || cfg.PresentationWindow > 24*time.Hour {
		errs = append(errs, fmt.Sprintf("ECRM_PRESENTATION_WINDOW=%s must be between 0s and 24h", cfg.PresentationWindow))
	}
	// The gate stops counting a profile after three years, so a longer
	// review cycle would never be reached.
	if cfg.SuitabilityMaxAge, err = risk.ParsePeriod(envOr(getenv, "ECRM_SUITABILITY_MAX_AGE", risk.DefaultMaxAge.String())); err != nil {
		errs = append(errs, "ECRM_SUITABILITY_MAX_AGE: "+err.Error())
	} else if ref := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC); cfg.SuitabilityMaxAge.After(ref).After(ref.AddDate(0, products.AssessmentMaxAgeMonths, 0)) {
		errs = append(errs, fmt.Sprintf("ECRM_SUITABILITY_MAX_AGE=%s must be at most %d months, after which the offer gate no longer counts a profile",
			cfg.SuitabilityMaxAge, products.AssessmentMaxAgeMonths))
	}
	if cfg.AuditCheckpointEvery, err = envDuration(getenv, "ECRM_AUDIT_CHECKPOINT_EVERY", 10*time.Minute); err != nil {
		errs = append(errs, err.Error())
	} else if cfg.AuditCheckpointEvery < time.Second {
		errs = append(errs, "ECRM_AUDIT_CHECKPOINT_EVERY must be at least 1s")
	}
	if cfg.SessionIdleTimeout < time.Minute || cfg.SessionLifetime < cfg.SessionIdleTimeout {
		errs = append(errs, "ECRM_SESSION_IDLE_TIMEOUT must be at least 1m and at most ECRM_SESSION_LIFETIME")
	}
	switch v := strings.ToLower(getenv("ECRM_DEV_MODE")); v {
	case "", "false", "0", "no":
	case "true", "1", "yes":
		cfg.DevMode = true
	default:
		errs = append(errs, fmt.Sprintf("ECRM_DEV_MODE=%q is not true or false", v))
	}
	cfg.DevOIDCAddr = envOr(getenv, "ECRM_DEV_OIDC_ADDR", "127.0.0.1:8081")
	cfg.FirmIBAN = strings.ToUpper(strings.ReplaceAll(envOr(getenv, "ECRM_FIRM_IBAN", "RO49AAAA1B31007593840000"), " ", ""))
	if !ibanPattern.MatchString(cfg.FirmIBAN) {
		errs = append(errs, fmt.Sprintf("ECRM_FIRM_IBAN=%q is not an IBAN (two letters, two check digits, up to 30 letters and digits)", cfg.FirmIBAN))
	}
	if u := getenv("ECRM_SMTP_URL"); u != "" {
		if cfg.SMTP, err = outbox.ParseSMTP(u, envOr(getenv, "ECRM_MAIL_FROM", "ecrm <no-reply@localhost>")); err != nil {
			errs = append(errs, ecrm.ErrorMessage(err))
		}
	}
	cfg.DebugAddr = getenv("ECRM_DEBUG_ADDR")
	cfg.MetricsAddr = getenv("ECRM_METRICS_ADDR")
	cfg.Firm = strings.TrimSpace(envOr(getenv, "ECRM_FIRM_NAME", ecrm.DefaultFirm))
	if cfg.Firm == "" || len(cfg.Firm) > 100 || ecrm.CheckText(cfg.Firm) != nil {
		errs = append(errs, "ECRM_FIRM_NAME must be a name of 1 to 100 characters")
	}
	cfg.AuditKey = getenv("ECRM_AUDIT_KEY")
	for name, addr := range map[string]string{"ECRM_DEBUG_ADDR": cfg.DebugAddr, "ECRM_METRICS_ADDR": cfg.MetricsAddr} {
		if addr != "" {
			if _, _, err := net.SplitHostPort(addr); err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q is not host:port", name, addr))
			}
		}
	}
	zone := envOr(getenv, "ECRM_TIME_ZONE", "Europe/Bucharest")
	if cfg.TimeZone, err = time.LoadLocation(zone); err != nil {
		errs = append(errs, fmt.Sprintf("ECRM_TIME_ZONE=%q is not an IANA time zone such as Europe/Bucharest", zone))
	}
	if cfg.BusinessHours, err = pipeline.ParseBusinessHours(envOr(getenv, "ECRM_BUSINESS_HOURS", "Mon-Fri 09:00-18:00"), cfg.TimeZone); err != nil {
		errs = append(errs, err.Error())
	}
	if cfg.PriceMaxAge, err = envDuration(getenv, "ECRM_PRICE_MAX_AGE", risk.DefaultPriceMaxAge); err != nil {
		errs = append(errs, err.Error())
	} else if cfg.PriceMaxAge < 24*time.Hour || cfg.PriceMaxAge > 90*24*time.Hour {
		errs = append(errs, fmt.Sprintf("ECRM_PRICE_MAX_AGE=%s must be between 24h and 2160h (1 to 90 days: prices are daily)", cfg.PriceMaxAge))
	}
	if days, err := envInt(getenv, "ECRM_INSURANCE_RENEWAL_DAYS", insurance.DefaultRenewalReminderDays, 1, 60); err != nil {
		errs = append(errs, err.Error())
	} else {
		cfg.RenewalReminderDays = int(days)
	}
	cfg.ServiceDesk = servicedesk.DefaultConfig()
	cfg.ServiceDesk.BaseURL = cfg.BaseURL
	if days, err := envInt(getenv, "ECRM_COMPLAINT_DAYS", int64(cfg.ServiceDesk.ComplaintDays), 1, 90); err != nil {
		errs = append(errs, err.Error())
	} else {
		cfg.ServiceDesk.ComplaintDays = int(days)
	}
	if cfg.ServiceDesk.Attachments.MaxBytes, err = envInt(getenv, "ECRM_ATTACHMENT_MAX_BYTES", cfg.ServiceDesk.Attachments.MaxBytes, 1<<10, 100<<20); err != nil {
		errs = append(errs, err.Error())
	}
	cfg.BaseCurrency = strings.ToUpper(envOr(getenv, "ECRM_BASE_CURRENCY", "RON"))
	if _, ok := ecrm.CurrencyMinorUnits(cfg.BaseCurrency); !ok {
		errs = append(errs, fmt.Sprintf("ECRM_BASE_CURRENCY=%q is not a currency ecrm knows, such as RON or EUR", cfg.BaseCurrency))
	}

	if len(errs) > 0 {
		return cfg, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return cfg, nil
}

func (c config) https() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// oidcOrigin is the identity provider's origin (scheme://host), where the
// logout form's redirect leads; none when no provider is configured.
func (c config) oidcOrigin() []string {
	u, err := url.Parse(c.OIDCIssuer)
	if c.OIDCIssuer == "" || err != nil {
		return nil
	}
	return []string{u.Scheme + "://" + u.Host}
}

func envOr(getenv func(string) string, key, def string) string {
	if v := strings.TrimSpace(getenv(key)); v != "" {
		return v
	}
	return def
}

func envInt(getenv func(string) string, key string, def, min, max int64) (int64, error) {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min || n > max {
		return 0, fmt.Errorf("%s=%q is not a whole number between %d and %d", key, v, min, max)
	}
	return n, nil
}

func envDuration(getenv func(string) string, key string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s=%q is not a duration such as 30s or 2m", key, v)
	}
	return d, nil
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

var ibanPattern = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$`)
