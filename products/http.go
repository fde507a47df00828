package products

import (
	_ "embed"
	"net/http"
	"slices"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// OpenAPI documents every /api/v1 route this package registers.
//
//go:embed openapi.json
var OpenAPI []byte

// maxImportBytes bounds an import file: the demo catalogue is ~60 kB.
const maxImportBytes = 4 << 20

// Handler serves the catalogue and matching API.
type Handler struct {
	store  *Store
	engine *Engine
	gate   OfferGate // nil: clients see no offers (fail closed)
	pages  *page.Renderer
	zone   *time.Location // times on pages; UTC until SetZone
}

// SetZone sets the time zone pages show times in (the firm's zone, as for
// selfservice.Service.SetZone).
func (h *Handler) SetZone(loc *time.Location) {
	if loc != nil {
		h.zone = loc
	}
}

// NewHandler returns the products handler. pages may be nil while no
// products page is wired.
func NewHandler(pool *pgxpool.Pool, pages *page.Renderer) *Handler {
	store := NewStore(pool)
	return &Handler{store: store, engine: NewEngine(store), pages: pages, zone: time.UTC}
}

// Engine returns the matching engine, for other domains (next-best offer).
func (h *Handler) Engine() *Engine { return h.engine }

// PublicRoutes registers the catalogue read API and the calculators, open
// to anyone: prospects use the calculators before they are clients.
func (h *Handler) PublicRoutes(r chi.Router) {
	r.Get("/api/v1/products", h.listProducts)
	r.Get("/api/v1/products/{code}", h.getProduct)
	r.Post("/api/v1/calculators/loan", h.calculateLoan)
	r.Post("/api/v1/calculators/deposit", h.calculateDeposit)
	r.Post("/api/v1/calculators/loan/compare", h.compareLoans)
	r.Post("/api/v1/calculators/deposit/compare", h.compareDeposits)
	if h.pages != nil {
		r.Get("/portal/calculators/loan", h.showLoanCalculatorPage)
		r.Get("/portal/calculators/deposit", h.showDepositCalculatorPage)
		r.Get("/portal/calculators/loan/compare", h.showLoanComparePage)
		r.Get("/portal/calculators/deposit/compare", h.showDepositComparePage)
	}
}

// ClientRoutes registers matching. A logged-in client is matched with their
// profile from the database; a caller without a client principal (a
// prospect) with the profile in the request body, so the route can also be
// mounted where anonymous callers reach it.
func (h *Handler) ClientRoutes(r chi.Router) {
	r.Post("/api/v1/products/match", h.match)
	if h.pages != nil {
		r.Get("/portal/match", h.showMatchPage)
	}
}

// AdminRoutes registers catalogue maintenance; every handler checks the
// admin role itself as well, so a wiring mistake cannot open it.
func (h *Handler) AdminRoutes(r chi.Router) {
	r.Post("/api/v1/products", h.admin(h.createProduct))
	r.Put("/api/v1/products/{code}", h.admin(h.updateProduct))
	r.Get("/api/v1/products/export", h.admin(h.exportCatalogue))
	r.With(web.AllowBody(maxImportBytes)).Post("/api/v1/products/import", h.admin(h.importCatalogue))
	if h.pages != nil {
		r.Get("/console/products", h.adminPage(h.showAdminListPage))
		r.Get("/console/products/new", h.adminPage(h.showNewProductPage))
		r.Post("/console/products/new", h.adminPage(h.createProductForm))
		r.Get("/console/products/{code}", h.adminPage(h.showAdminEditPage))
		r.Post("/console/products/{code}", h.adminPage(h.saveAdminEditForm))
		r.Post("/console/products/{code}/status", h.adminPage(h.changeProductStatus))
	}
}

type staffHandler func(w http.ResponseWriter, r *http.Request, staffID int64) error

func (h *Handler) admin(fn staffHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := ecrm.PrincipalFrom(r.Context())
		var err error
		switch {
		case p == nil:
			w.Header().Set("WWW-Authenticate", "Bearer")
			err = ecrm.Errorf(ecrm.EUNAUTHORIZED, "Log in first.")
		case !p.HasRole(ecrm.RoleAdmin):
			err = ecrm.Errorf(ecrm.EFORBIDDEN, "Only administrators maintain the product catalogue.")
		default:
			err = fn(w, r, p.StaffID)
			// Whatever was written, this process matches against it from
			// the next request on.
			h.engine.Invalidate()
		}
		if err != nil {
			web.Problem(w, r, err)
		}
	}
}

func (h *Handler) listProducts(w http.ResponseWriter, r *http.Request) {
	list, err := h.store.Products(r.Context(), false)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	line, kind := r.URL.Query().Get("line"), r.URL.Query().Get("kind")
	list = slices.DeleteFunc(list, func(p Product) bool {
		return (line != "" && p.Line != line) || (kind != "" && p.Kind != kind)
	})
	if list == nil {
		list = []Product{}
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	web.WriteJSON(w, http.StatusOK, map[string]any{"products": list})
}

func (h *Handler) getProduct(w http.ResponseWriter, r *http.Request) {
	p, err := h.store.ProductByCode(r.Context(), chi.URLParam(r, "code"))
	// A withdrawn product is visible to administrators only.
	if err == nil && !p.Active && !ecrm.PrincipalFrom(r.Context()).HasRole(ecrm.RoleAdmin) {
		err = ecrm.Errorf(ecrm.ENOTFOUND, "There is no product with code %s.", p.Code)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

func (h *Handler) match(w http.ResponseWriter, r *http.Request) {
	var req MatchRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		web.Problem(w, r, err)
		return
	}
	res, err := h.gatedMatch(r.Context(), ecrm.PrincipalFrom(r.Context()), web.ClientChannel(r), req, i18n.FromContext(r.Context()))
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	// The result reflects the client's own profile: no shared cache.
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, res)
}

func (h *Handler) createProduct(w http.ResponseWriter, r *http.Request, staffID int64) error {
	var in ProductInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	p, err := h.store.CreateProduct(r.Context(), in, staffID)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/products/"+p.Code)
	web.WriteJSON(w, http.StatusCreated, p)
	return nil
}

func (h *Handler) updateProduct(w http.ResponseWriter, r *http.Request, staffID int64) error {
	var in ProductInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	p, err := h.store.UpdateProduct(r.Context(), chi.URLParam(r, "code"), in, staffID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, p)
	return nil
}

func (h *Handler) exportCatalogue(w http.ResponseWriter, r *http.Request, _ int64) error {
	list, err := h.store.Export(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="catalogue.json"`)
	web.WriteJSON(w, http.StatusOK, list)
	return nil
}

func (h *Handler) importCatalogue(w http.ResponseWriter, r *http.Request, staffID int64) error {
	var list []ProductInput
	if err := web.DecodeJSON(r, &list); err != nil {
		return web.NameListItems(err, "products")
	}
	res, err := h.store.Import(r.Context(), list, staffID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, res)
	return nil
}
