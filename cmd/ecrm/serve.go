package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/advisor"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/insurance"
	"github.com/ecrm-project/ecrm/internal/document"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/identity"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/products"
	"github.com/ecrm-project/ecrm/risk"
	"github.com/ecrm-project/ecrm/selfservice"
	"github.com/ecrm-project/ecrm/servicedesk"
)

// app is everything the HTTP handlers need, built once in serve.
type app struct {
	cfg     config
	log     *slog.Logger
	pool    *pgxpool.Pool
	metrics *web.Metrics
	// outage answers 503 while the database is away and logs it once.
	outage       *web.Outage
	readiness    *web.Readiness
	openapi      *web.OpenAPIDocument
	pages        *page.Renderer
	sessionStore *identity.SessionStore
	sessions     *scs.SessionManager
	advisor      *advisor.Handler
	selfservice  *selfservice.Handler
	products     *products.Handler
	compliance   *compliance.ConsoleHandler
	// offerPortal is the client's "why am I seeing this?" and answers
	// to offers.
	offerPortal *compliance.PortalHandler
	// offers records every offer decision; its group commit is closed
	// after the server has drained.
	offers *compliance.Recorder
	// auth is nil when no OpenID provider is configured: then nobody can
	// log in and every protected route stays closed.
	auth *identity.Authenticator
	// queue is the PostgreSQL job queue: periodic jobs (checkpoints,
	// offer expiry, session cleanup) and the work domains queue.
	queue *jobs.Queue
	// hedges finds risky holdings and proposes their hedges.
	hedges *risk.HedgeDesk
	claims *insurance.Claims
	// outbox writes e-mail with the change that causes it and sends it
	// through the queue (held for the outbox page without ECRM_SMTP_URL).
	outbox *outbox.Outbox
	// unsubscribe serves the links of campaign e-mail, without a login.
	unsubscribe *selfservice.UnsubscribeHandler
	// riskProfiles is the suitability questionnaire and risk profile.
	riskProfiles *risk.ProfileHandler
	// portfolios value and measure clients' portfolios (the portal's risk
	// page and API, the advisor's 360).
	portfolios *risk.Portfolios
	// journeys are applicants' insurance questionnaires (the portal's
	// journey pages and API, the administrators' analytics).
	journeys *insurance.Journeys
	// choice is the insurance programmes' choice, quotes and statement.
	choice *insurance.ChoiceHandler
	// selector rates insurance programmes on a journey's answers (the
	// journey's live panel, the choice).
	selector *insurance.Selector
	// policies is the client's insurance policies (pages, schedule PDF,
	// API).
	policies *insurance.PolicyHandler
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
	if warnings, err := pgdb.RoleWarnings(ctx, pool); err != nil {
		log.Warn("could not check the database role", "error", err.Error())
	} else {
		for _, w := range warnings {
			log.Warn(w)
		}
	}
	a, err := newApp(cfg, log, pool)
	if err != nil {
		return err
	}
	// Runs after the server has drained (defers run last-in first-out):
	// the last offers' records are written before the pool closes.
	defer a.offers.Close()
	if cfg.AuditKey == "" {
		log.Warn("ECRM_AUDIT_KEY is not set: the offer log is hash-chained but no checkpoint is signed")
	}
	// The queue works jobs until the server has drained; jobs still
	// running then get the shutdown timeout to finish and are otherwise
	// retried by the next process.
	if err := a.queue.Start(ctx); err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	defer func() {
		stop, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		if err := a.queue.Stop(stop); err != nil {
			log.Warn("job queue stop", "error", err.Error())
		}
	}()
	if a.auth == nil {
		log.Warn("no OpenID Connect provider configured (ECRM_OIDC_ISSUER): nobody can log in")
	}
	srv, err := web.Listen(cfg.Addr, a.routes(), log, a.readiness)
	if err != nil {
		return err
	}
	srv.ShutdownTimeout = cfg.ShutdownTimeout
	srv.DrainDelay = cfg.DrainDelay
	if cfg.DebugAddr != "" {
		go serveProfiler(ctx, cfg.DebugAddr, log)
	}
	metricsURL := cfg.BaseURL + "/metrics"
	if cfg.MetricsAddr != "" {
		ln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("ECRM_METRICS_ADDR: %w", err)
		}
		metricsURL = "http://" + ln.Addr().String() + "/metrics"
		go serveMetrics(ctx, ln, a.metrics.Handler(), log)
	}
	log.Info("serving", "addr", srv.Addr(), "base_url", cfg.BaseURL, "version", version)
	fmt.Fprintf(stdout, "\necrm is running:\n  portal and console  %s/\n  API description     %s/api/v1/openapi.json\n  readiness           %s/readyz\n  metrics             %s\nPress Ctrl-C to stop.\n\n",
		cfg.BaseURL, cfg.BaseURL, cfg.BaseURL, metricsURL)
	return srv.Serve(ctx)
}

func newApp(cfg config, log *slog.Logger, pool *pgxpool.Pool) (*app, error) {
	migrator, err := pgdb.NewMigrator(pool)
	if err != nil {
		return nil, err
	}
	metrics := web.NewMetrics(version)
	metrics.RegisterPool(pool)
	openapi, err := web.NewOpenAPI(selfservice.OpenAPI, advisor.OpenAPI, products.OpenAPI, compliance.OpenAPI, compliance.PortalOpenAPI, servicedesk.OpenAPI, pipeline.OpenAPI, risk.OpenAPI, insurance.OpenAPI, insurance.OpenAPIJourney, insurance.OpenAPIRating, insurance.OpenAPIClaims, insurance.PoliciesOpenAPI)
	if err != nil {
		return nil, err
	}
	pages, err := page.New(selfservice.Templates, advisor.Templates, products.Templates, compliance.Templates, compliance.PortalTemplates,
		outbox.Templates, jobs.Templates, risk.Templates, insurance.Templates)
	if err != nil {
		return nil, err
	}
	store := identity.NewSessionStore(pool, cfg.SessionIdleTimeout, time.Minute)
	store.SetCacheTTL(cfg.SessionCacheTTL)
	a := &app{
		cfg:          cfg,
		log:          log,
		pool:         pool,
		metrics:      metrics,
		outage:       web.NewOutage(pool.Ping, log, metrics),
		readiness:    web.NewReadiness(pool.Ping, migrator.Current),
		openapi:      openapi,
		pages:        pages,
		sessionStore: store,
		advisor:      advisor.NewHandler(pool, pages),
		selfservice:  selfservice.NewHandler(pool, pages),
		products:     products.NewHandler(pool, pages),
		compliance:   compliance.NewConsoleHandler(pool, pages),
		offerPortal:  compliance.NewPortalHandler(pool, pages),
		sessions: identity.NewSessionManager(store, identity.SessionConfig{
			Lifetime: cfg.SessionLifetime,
			Secure:   cfg.https(),
		}),
	}
	a.outbox = outbox.New(pool, cfg.SMTP)
	deals := pipeline.NewStore(pool, cfg.BusinessHours)
	a.advisor.SetPipeline(deals)
	desk := servicedesk.New(pool, a.outbox, cfg.BusinessHours, cfg.ServiceDesk)
	// Every offer a client sees goes through the compliance gate, which
	// records it in the offer log (concurrent requests share a commit).
	a.offers = compliance.NewLog(pool).NewRecorder()
	gate := compliance.NewGate(compliance.NewFactsReader(pool), a.offers)
	gate.PresentationWindow = cfg.PresentationWindow
	gate.Firm = cfg.Firm
	pages.SetFirm(cfg.Firm)
	a.products.SetGate(gate)
	// Cross-sell: the next best offers on the portal, through the same
	// gate; an accepted offer opens a deal in the pipeline.
	arbiter := crosssell.NewArbiter(pool, a.products.Engine(), gate, crosssell.NewStore(pool))
	arbiter.SetFulfilment(a.offerPortal.Portal(), deals)
	// Campaigns offer one product to an audience through the same gate,
	// run by the job queue, e-mailed through the outbox.
	campaigns := crosssell.NewCampaigns(pool, arbiter)
	// Hedging: the holdings the rules flag, hedges through the same gate,
	// an accepted one an order request in the orders pipeline; the queue
	// re-evaluates the rules when prices move.
	a.hedges = risk.NewHedgeDesk(pool, gate, a.offerPortal.Portal(), deals)
	// The same base currency and price age as the portfolio's risk page.
	a.hedges.BaseCurrency = cfg.BaseCurrency
	a.advisor.SetHedges(a.hedges)
	a.hedges.Rules.MaxPriceAgeDays = int(cfg.PriceMaxAge / (24 * time.Hour))
	if a.queue, err = newQueue(cfg, log, pool, store, a.outbox, deals, desk, campaigns, a.hedges); err != nil {
		return nil, err
	}
	a.outbox.SetQueue(a.queue)
	campaigns.SetRunner(a.queue, a.outbox, cfg.BaseURL)
	a.advisor.SetCampaigns(campaigns)
	a.unsubscribe = selfservice.NewUnsubscribeHandler(campaigns, pages)
	a.selfservice.Service().SetMailer(a.outbox, cfg.BaseURL)
	docs, err := document.New()
	if err != nil {
		return nil, err
	}
	a.selfservice.SetDocuments(docs, cfg.Firm)
	// Insurance programmes: selected and rated on a journey's answers,
	// every one shown through the same gate (insurance.Programmes).
	if a.journeys, err = insurance.NewJourneys(pool); err != nil {
		return nil, err
	}
	selector := insurance.NewSelector(pool)
	selector.Zone = cfg.TimeZone
	a.selector = selector
	programmes := insurance.NewProgrammes(pool, selector, gate, a.journeys)
	programmes.Zone = cfg.TimeZone
	programmes.SetResponses(a.offerPortal.Portal())
	a.choice = insurance.NewChoiceHandler(programmes, pages, docs)
	a.choice.Firm = cfg.Firm
	policies := insurance.NewPolicies(pool)
	policies.SetZone(cfg.TimeZone)
	policies.ReminderDays = cfg.RenewalReminderDays
	a.policies = insurance.NewPolicyHandler(policies, pages, docs, cfg.Firm)
	// The quote page's Buy button binds through the policies part, which
	// re-prices the quote first; Renew on a policy starts a renewal
	// journey with the last answers.
	a.policies.SetBinder(insurance.NewPolicyBinder(pool, programmes))
	a.policies.StepUp = cfg.StepUpMaxAge
	a.policies.SetRenewals(a.journeys)
	a.selfservice.SetDealDocuments(deals)
	a.selfservice.SetServiceDesk(desk)
	a.advisor.SetServiceDesk(desk)
	// Claims: the client reports them in the portal, each a deal in the
	// claims pipeline; every change of status e-mails the client.
	a.claims = insurance.NewClaims(pool, deals, a.outbox, cfg.TimeZone, cfg.BaseURL)
	a.advisor.SetDocuments(docs, cfg.Firm, cfg.FirmIBAN)
	metrics.Registry.MustRegister(jobs.Collector(pool))
	portfolioCfg := risk.DefaultPortfolioConfig()
	portfolioCfg.DefaultBaseCurrency, portfolioCfg.MaxPriceAge = cfg.BaseCurrency, cfg.PriceMaxAge
	a.portfolios = risk.NewPortfolios(pool, portfolioCfg)
	a.portfolios.SetZone(cfg.TimeZone)
	a.advisor.SetPortfolios(a.portfolios)
	a.advisor.SetLocation(cfg.TimeZone)
	a.selfservice.Service().SetZone(cfg.TimeZone)
	a.products.SetZone(cfg.TimeZone)
	a.selfservice.SetOffers(arbiter, a.sessions, cfg.StepUpMaxAge)
	a.advisor.SetArbiter(arbiter)
	a.compliance.SetLocation(cfg.TimeZone)
	a.offerPortal.SetZone(cfg.TimeZone)
	// Risk profiles: the questionnaire in the portal and with the advisor;
	// the overview and the 360 show the profile and the behaviour.
	suitability := risk.NewSuitability(pool, cfg.SuitabilityMaxAge)
	suitability.SetQueue(a.queue)
	// Targeted programmes from the profile and the behaviour join the
	// arbitration (docs/programmes.md).
	arbiter.SetProgrammes(programmeSource{suitability})
	a.riskProfiles = risk.NewProfileHandler(suitability, pages)
	a.selfservice.SetSuitability(suitability)
	a.advisor.SetSuitability(suitability)
	a.sessions.ErrorFunc = a.failed
	// The insurance journey's questionnaires, as shipped: importing them
	// again changes nothing; a new version shipped is added.
	importCtx, cancelImport := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelImport()
	if err := insurance.ImportJourneyQuestionnaires(importCtx, insurance.NewStore(pool)); err != nil {
		return nil, fmt.Errorf("insurance questionnaires: %w", err)
	}
	if cfg.OIDCIssuer != "" {
		a.auth, err = identity.NewAuthenticator(identity.OIDCConfig{
			Issuer:       cfg.OIDCIssuer,
			ClientID:     cfg.OIDCClientID,
			ClientSecret: cfg.OIDCClientSecret,
			BaseURL:      cfg.BaseURL,
			RolesClaim:   cfg.OIDCRolesClaim,
			APIAudience:  cfg.OIDCAPIAudience,
		}, a.sessions, identity.NewPrincipals(pool), pages, translate, log)
		if err != nil {
			return nil, err
		}
	}
	return a, nil
}

func translate(ctx context.Context, key string, args ...any) string {
	return i18n.FromContext(ctx).T(key, args...)
}

// routes is the one route table of the service; each domain adds its routes
// here as it grows.
func (a *app) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(
		web.RequestID(a.log),
		web.Instrument(a.metrics),
		a.outage.Middleware,
		web.Recover,
		web.SecurityHeaders(a.cfg.https(), a.cfg.oidcOrigin()...),
		web.LimitBody(a.cfg.MaxBodyBytes),
	)
	// Operations endpoints touch neither sessions nor the catalogue.
	r.Get("/healthz", web.Healthz)
	r.Get("/readyz", a.readiness.Handler)
	if a.cfg.MetricsAddr == "" {
		r.Method(http.MethodGet, "/metrics", a.metrics.Handler())
	}
	r.Method(http.MethodGet, "/api/v1/openapi.json", a.openapi)
	r.Method(http.MethodGet, page.StaticPrefix+"*", a.pages.StaticHandler())

	r.Group(func(r chi.Router) {
		r.Use(i18n.Middleware, a.checkInput, a.crossOriginProtection, a.sessions.LoadAndSave, a.authenticate)
		r.Get("/", a.home)
		r.Get(page.LangSwitchPath, page.LangSwitchHandler)
		r.Get("/login", a.login)
		r.Get("/auth/callback", a.callback)
		r.Get("/logout", a.logoutPage)
		r.Post("/logout", a.logout)

		// Matching is open to prospects who are not logged in: they match
		// with only what they enter.
		a.products.PublicRoutes(r)
		risk.CalculatorRoutes(r)
		risk.NewOptionCalculatorPage(a.pages).Routes(r)
		a.products.ClientRoutes(r)
		// A marketing e-mail's unsubscribe link works without a login.
		a.unsubscribe.Routes(r)

		guard := identity.Guard{Pages: a.pages, T: translate}
		r.Group(func(r chi.Router) {
			r.Use(guard.Client)
			a.selfservice.Routes(r)
			a.offerPortal.Routes(r)
			risk.NewHedgePortal(a.hedges, a.pages).Routes(r)
			a.riskProfiles.PortalRoutes(r)
			market := risk.NewMarketHandler(a.pool, a.pages)
			market.SetZone(a.cfg.TimeZone)
			market.SetPriceMaxAge(a.cfg.PriceMaxAge)
			market.Routes(r)
			risk.NewPortfolioHandler(a.portfolios, a.pages).ClientRoutes(r)
			// The insurance journey, with programme selection's live panel.
			journeyPages := insurance.NewJourneyHandler(a.journeys, a.pages, a.selector)
			journeyPages.SetZone(a.cfg.TimeZone)
			journeyPages.Routes(r)
			a.choice.Routes(r)
			insurance.NewClaimsHandler(a.claims, a.pages).PortalRoutes(r)
			a.policies.Routes(r)
		})
		r.Group(func(r chi.Router) {
			r.Use(guard.Staff(ecrm.RoleAdvisor, ecrm.RoleCompliance, ecrm.RoleAdmin))
			a.advisor.Routes(r)
			a.riskProfiles.ConsoleRoutes(r)
			insurance.NewClaimsHandler(a.claims, a.pages).ConsoleRoutes(r)
		})
		r.Group(func(r chi.Router) {
			r.Use(guard.Staff(ecrm.RoleAdmin))
			a.products.AdminRoutes(r)
			outbox.NewPageHandler(a.outbox, a.pages, a.cfg.TimeZone).Routes(r)
			jobs.NewPageHandler(a.pool, a.pages, a.cfg.TimeZone).Routes(r)
			risk.NewBureauPage(a.pool, a.pages).Routes(r)
			insurance.NewAdminHandler(insurance.NewStore(a.pool)).Routes(r)
			insurance.NewAdminPage(insurance.NewStore(a.pool), a.pages, a.cfg.TimeZone).Routes(r)
			insurance.NewJourneyConsole(a.journeys, a.pages, a.cfg.TimeZone).Routes(r)
			marketImports := risk.NewMarketImportPage(a.pool, a.pages, a.cfg.TimeZone)
			marketImports.SetQueue(a.queue)
			marketImports.Routes(r)
		})
		r.Group(func(r chi.Router) {
			r.Use(guard.Staff(ecrm.RoleCompliance))
			a.compliance.Routes(r)
		})
		// Model activations: compliance reviews them, administrators make
		// them. The list lives in the compliance console and reads the
		// rows crosssell writes (compliance may not import crosssell).
		r.Group(func(r chi.Router) {
			r.Use(guard.Staff(ecrm.RoleCompliance, ecrm.RoleAdmin))
			a.compliance.ModelRoutes(r)
		})
	})
	r.NotFound(i18n.Middleware(http.HandlerFunc(a.notFound)).ServeHTTP)
	r.MethodNotAllowed(a.methodNotAllowed)
	return r
}

// checkInput refuses a request whose path, query or form holds text that
// cannot be stored (web.CheckRequestText) before any handler, session read
// or query sees it: a problem naming the parameter for API callers, an
// error page naming it for people.
func (a *app) checkInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := web.CheckRequestText(r)
		if err == nil {
			next.ServeHTTP(w, r)
			return
		}
		if web.WantsJSON(r) {
			web.Problem(w, r, err)
			return
		}
		var detail string
		if e := (*ecrm.Error)(nil); errors.As(err, &e) && e.Field != "" {
			detail = translate(r.Context(), "error.input.characters", e.Field)
		}
		a.pages.RenderError(w, r, web.ErrorStatus(err), "", detail, web.RequestIDFrom(r.Context()))
	})
}

// crossOriginProtection refuses state-changing requests that a browser
// marks as coming from another site (Sec-Fetch-Site, Origin): the CSRF
// defence for every form and API call made with the session cookie.
func (a *app) crossOriginProtection(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.Logger(r.Context()).Warn("cross-origin request refused", "origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		a.errorPage(w, r, http.StatusForbidden, translate(r.Context(), "auth.csrf"))
	}))
	return cop.Handler(next)
}

// authenticate puts the principal (session or bearer token) in the context.
func (a *app) authenticate(next http.Handler) http.Handler {
	if a.auth == nil {
		return next
	}
	return a.auth.Authenticate(next)
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	if a.auth == nil {
		a.errorPage(w, r, http.StatusServiceUnavailable, translate(r.Context(), "auth.error.not_configured"))
		return
	}
	a.auth.Login(w, r)
}

func (a *app) callback(w http.ResponseWriter, r *http.Request) {
	if a.auth == nil {
		a.errorPage(w, r, http.StatusServiceUnavailable, translate(r.Context(), "auth.error.not_configured"))
		return
	}
	a.auth.Callback(w, r)
}

func (a *app) logoutPage(w http.ResponseWriter, r *http.Request) {
	a.pages.Render(w, r, http.StatusOK, "logout", nil)
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	if a.auth == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	a.auth.Logout(w, r)
}

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	if p := ecrm.PrincipalFrom(r.Context()); p != nil {
		http.Redirect(w, r, identity.HomePath(p), http.StatusSeeOther)
		return
	}
	loggedOut := a.auth != nil && a.auth.PopLoggedOut(r.Context())
	a.pages.Render(w, r, http.StatusOK, "home", struct{ LoggedOut bool }{loggedOut})
}

// errorPage answers with a problem document for API callers and an error
// page for people.
func (a *app) errorPage(w http.ResponseWriter, r *http.Request, status int, detail string) {
	if web.WantsJSON(r) {
		web.WriteProblem(w, web.ProblemDetails{Type: "about:blank", Title: http.StatusText(status), Status: status,
			Detail: detail, Instance: r.URL.Path, RequestID: web.RequestIDFrom(r.Context())})
		return
	}
	a.pages.RenderError(w, r, status, "", detail, web.RequestIDFrom(r.Context()))
}

// failed answers a request that failed outside the domains' handlers (the
// session store could not be read): a problem or an error page, 503 with
// Retry-After when the database is unavailable.
func (a *app) failed(w http.ResponseWriter, r *http.Request, err error) {
	if web.WantsJSON(r) {
		web.Problem(w, r, err)
		return
	}
	a.pages.RenderError(w, r, web.Fail(w, r, err, "request failed"), "", "", web.RequestIDFrom(r.Context()))
}

func (a *app) notFound(w http.ResponseWriter, r *http.Request) {
	a.errorPage(w, r, http.StatusNotFound, "")
}

func (a *app) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	web.WriteProblem(w, web.ProblemDetails{Type: "about:blank", Title: "Method Not Allowed", Status: http.StatusMethodNotAllowed,
		Detail: fmt.Sprintf("%s is not allowed here.", r.Method), Instance: r.URL.Path, RequestID: web.RequestIDFrom(r.Context())})
}

// serveProfiler exposes net/http/pprof on a private address for operators
// measuring the service; it is off unless ECRM_DEBUG_ADDR is set.
func serveProfiler(ctx context.Context, addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	log.Warn("profiler listening", "addr", addr)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Error("profiler", "error", err.Error())
	}
}

// serveMetrics serves /metrics alone on the private listener of
// ECRM_METRICS_ADDR until ctx ends.
func serveMetrics(ctx context.Context, ln net.Listener, metrics http.Handler, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	log.Info("metrics listening", "addr", ln.Addr().String())
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Error("metrics", "error", err.Error())
	}
}
