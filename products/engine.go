package products

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// Engine matches requests against the live catalogue. It keeps the compiled
// catalogue in memory and reloads it when the catalogue changed: writes
// through this process's handler invalidate it at once, and a cheap stamp
// query (at most once per catalogueRecheck) picks up versions saved by other
// instances.
type Engine struct {
	store *Store
	rules compiledRules

	mu      sync.Mutex
	stamp   string
	checked time.Time
	cat     *Catalogue
}

// catalogueRecheck bounds how stale another instance's catalogue change can
// be seen here, and saves a database round trip on almost every request.
const catalogueRecheck = time.Second

// NewEngine returns a matching engine on the store's catalogue.
func NewEngine(store *Store) *Engine { return &Engine{store: store} }

// Catalogue returns the compiled live catalogue.
func (e *Engine) Catalogue(ctx context.Context) (*Catalogue, error) {
	e.mu.Lock()
	if e.cat != nil && time.Since(e.checked) < catalogueRecheck {
		cat := e.cat
		e.mu.Unlock()
		return cat, nil
	}
	e.mu.Unlock()
	stamp, err := e.store.catalogueStamp(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalogue stamp: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cat != nil && e.stamp == stamp {
		e.checked = time.Now()
		return e.cat, nil
	}
	list, err := e.store.Products(ctx, false)
	if err != nil {
		return nil, err
	}
	cat, err := newCatalogue(list, &e.rules)
	if err != nil {
		return nil, err
	}
	e.cat, e.stamp, e.checked = cat, stamp, time.Now()
	return cat, nil
}

// Invalidate makes the next request re-read the catalogue stamp; call it
// after writing to the catalogue.
func (e *Engine) Invalidate() {
	e.mu.Lock()
	e.checked = time.Time{}
	e.mu.Unlock()
}

// Match answers a request. A client's profile is read from the database
// (filtered by the principal's own client id); anyone else is matched as a
// prospect with only what the request carries.
func (e *Engine) Match(ctx context.Context, principal *ecrm.Principal, req MatchRequest, l *i18n.Localizer) (MatchResult, error) {
	out, err := e.MatchOutcome(ctx, principal, req, l)
	return out.Result, err
}

// MatchOutcome is Match with what the compliance gate needs to judge the
// offers: the profile matched on and the exact product versions offered.
func (e *Engine) MatchOutcome(ctx context.Context, principal *ecrm.Principal, req MatchRequest, l *i18n.Localizer) (MatchOutcome, error) {
	cat, err := e.Catalogue(ctx)
	if err != nil {
		return MatchOutcome{}, err
	}
	profile, err := e.profileFor(ctx, principal, req)
	if err != nil {
		return MatchOutcome{}, err
	}
	res, err := cat.Match(profile, req, l)
	if err != nil {
		return MatchOutcome{}, err
	}
	out := MatchOutcome{Result: res, Profile: profile, Request: req, Products: make(map[int64]Product, len(res.Eligible))}
	for _, o := range res.Eligible {
		if p, ok := cat.byVersion(o.ProductVersionID); ok {
			out.Products[o.ProductVersionID] = p
		}
	}
	return out, nil
}

// profileFor is the profile matching uses for the principal.
func (e *Engine) profileFor(ctx context.Context, principal *ecrm.Principal, req MatchRequest) (Profile, error) {
	if !principal.IsClient() {
		return ProspectProfileOf(req.Profile), nil
	}
	profile, err := LoadProfile(ctx, e.store.pool, principal.ClientID)
	if err != nil {
		return Profile{}, err
	}
	// A logged-in prospect may not have told the firm their age or
	// income yet: what they enter fills only what the record lacks.
	if profile.Prospect && req.Profile != nil {
		entered := ProspectProfileOf(req.Profile)
		if profile.Age == 0 {
			profile.Age = entered.Age
		}
		if profile.ResidenceCountry == "" {
			profile.ResidenceCountry = entered.ResidenceCountry
		}
		if profile.AnnualIncomeEUR == 0 {
			profile.AnnualIncomeEUR = entered.AnnualIncomeEUR
		}
		if profile.EmploymentStatus == "" {
			profile.EmploymentStatus = entered.EmploymentStatus
		}
	}
	return profile, nil
}

// DemoCatalogueLaunch is when the demo catalogue's versions became valid:
// the demo's history of offers goes back years, to products that were
// live then.
var DemoCatalogueLaunch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

//go:embed demo_catalogue.json
var demoCatalogue []byte

// DemoCatalogue returns the demo catalogue in the import format.
func DemoCatalogue() ([]ProductInput, error) {
	var list []ProductInput
	if err := json.Unmarshal(demoCatalogue, &list); err != nil {
		return nil, fmt.Errorf("demo_catalogue.json: %w", err)
	}
	return list, nil
}

// LoadDemoCatalogue imports the demo catalogue when the catalogue is empty,
// so that `ecrm dev` and `ecrm seed` can call it on every start.
func LoadDemoCatalogue(ctx context.Context, pool *pgxpool.Pool) error {
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM products`).Scan(&n); err != nil {
		return fmt.Errorf("count products: %w", err)
	}
	if n > 0 {
		return nil
	}
	list, err := DemoCatalogue()
	if err != nil {
		return err
	}
	store := NewStore(pool)
	store.launch = DemoCatalogueLaunch
	if _, err := store.Import(ctx, list, 0); err != nil {
		// Another process loading at the same moment wins the race.
		if ecrm.ErrorCode(err) == ecrm.ECONFLICT {
			return nil
		}
		return fmt.Errorf("load demo catalogue: %w", err)
	}
	return nil
}
