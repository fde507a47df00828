package risk

import (
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// MarketHandler serves the client's brokerage entry page and its API:
// quotes of what they hold and watch, the watch list they edit, and the
// news and reviews ranked for them.
type MarketHandler struct {
	pool   *pgxpool.Pool
	pages  *page.Renderer
	zone   *time.Location
	maxAge time.Duration
	// Now is the clock; tests set it.
	Now func() time.Time
}

// NewMarketHandler renders with pages (built with Templates); days are
// counted in UTC and closes are stale after DefaultPriceMaxAge until
// SetZone and SetPriceMaxAge say otherwise.
func NewMarketHandler(pool *pgxpool.Pool, pages *page.Renderer) *MarketHandler {
	return &MarketHandler{pool: pool, pages: pages, zone: time.UTC, maxAge: DefaultPriceMaxAge, Now: time.Now}
}

// SetZone sets the firm's zone, whose calendar says what today is.
func (h *MarketHandler) SetZone(loc *time.Location) { h.zone = loc }

// SetPriceMaxAge sets how old a close may be before it is marked stale
// (ECRM_PRICE_MAX_AGE).
func (h *MarketHandler) SetPriceMaxAge(d time.Duration) { h.maxAge = d }

// Routes registers the page and the API. Mount them behind the client
// guard; every handler still answers 401 to a caller who is not a client.
func (h *MarketHandler) Routes(r chi.Router) {
	r.Get("/portal/brokerage", clientPage(h.pages, "brokerage page failed", h.showPage))
	r.Post("/portal/brokerage/watchlist", clientPage(h.pages, "brokerage page failed", h.addForm))
	r.Post("/portal/brokerage/watchlist/{symbol}/remove", clientPage(h.pages, "brokerage page failed", h.removeForm))

	r.Get("/api/v1/me/market", clientAPI(h.getMarket))
	r.Put("/api/v1/me/watchlist/{symbol}", clientAPI(h.putWatch))
	r.Delete("/api/v1/me/watchlist/{symbol}", clientAPI(h.deleteWatch))
}

// options is the view for this request: now, in the firm's calendar, in
// the reader's language.
func (h *MarketHandler) options(r *http.Request) MarketOptions {
	return MarketOptions{Now: h.Now(), Zone: h.zone, Language: i18n.FromContext(r.Context()).Lang().String(), PriceMaxAge: h.maxAge}
}

// getMarket is GET /api/v1/me/market: the page's data; numbers are
// decimal strings, items in the language of Accept-Language.
func (h *MarketHandler) getMarket(w http.ResponseWriter, r *http.Request, clientID int64) error {
	v, err := LoadMarketView(r.Context(), h.pool, clientID, h.options(r))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, v)
	return nil
}

// watchResult is the answer to PUT and DELETE on the watch list.
type watchResult struct {
	Symbol  string `json:"symbol"`
	Watched bool   `json:"watched"`
	Changed bool   `json:"changed"`
}

// putWatch is PUT /api/v1/me/watchlist/{symbol}: 201 when added, 200 when
// it was there already.
func (h *MarketHandler) putWatch(w http.ResponseWriter, r *http.Request, clientID int64) error {
	symbol := chi.URLParam(r, "symbol")
	added, err := Watch(r.Context(), h.pool, clientID, symbol, h.Now())
	if err != nil {
		return err
	}
	status := http.StatusOK
	if added {
		status = http.StatusCreated
	}
	symbol, _ = NormaliseSymbol(symbol)
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, status, watchResult{Symbol: symbol, Watched: true, Changed: added})
	return nil
}

// deleteWatch is DELETE /api/v1/me/watchlist/{symbol}: 204 whether or not
// it was on the list.
func (h *MarketHandler) deleteWatch(w http.ResponseWriter, r *http.Request, clientID int64) error {
	if _, err := Unwatch(r.Context(), h.pool, clientID, chi.URLParam(r, "symbol")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// watchErrorKey is the catalogue key of a watch list error, "" for one
// that is not about the symbol.
func watchErrorKey(err error) string {
	switch {
	case errors.Is(err, ErrNoSymbol):
		return "market.watch.error.empty"
	case errors.Is(err, ErrUnknownSymbol):
		return "market.watch.error.unknown"
	case errors.Is(err, ErrWatchlistFull):
		return "market.watch.error.full"
	}
	return ""
}
