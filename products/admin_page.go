package products

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/web"
)

type adminListPage struct {
	Products []Product
}

type adminEditPage struct {
	Product  Product
	Versions []VersionSummary
	JSON     string
	Saved    bool
	Errors   []ecrm.FieldError
	Zone     *time.Location
}

// adminPage adapts a console page handler: only administrators, errors as
// the translated error page.
func (h *Handler) adminPage(fn func(w http.ResponseWriter, r *http.Request, staffID int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := ecrm.PrincipalFrom(r.Context())
		var err error
		switch {
		case p == nil:
			err = ecrm.Errorf(ecrm.EUNAUTHORIZED, "Log in first.")
		case !p.HasRole(ecrm.RoleAdmin):
			err = ecrm.Errorf(ecrm.EFORBIDDEN, "Only administrators maintain the product catalogue.")
		default:
			err = fn(w, r, p.StaffID)
		}
		if err != nil {
			status := web.Fail(w, r, err, "products console page failed")
			h.pages.RenderError(w, r, status, "", "", web.RequestIDFrom(r.Context()))
		}
	}
}

func (h *Handler) showAdminListPage(w http.ResponseWriter, r *http.Request, _ int64) error {
	list, err := h.store.Products(r.Context(), true)
	if err != nil {
		return err
	}
	h.pages.Render(w, r, http.StatusOK, "products_admin_list", adminListPage{Products: list})
	return nil
}

func (h *Handler) showAdminEditPage(w http.ResponseWriter, r *http.Request, _ int64) error {
	return h.renderAdminEdit(w, r, chi.URLParam(r, "code"), "", r.URL.Query().Get("saved") == "1", nil)
}

// saveAdminEditForm saves the edited JSON as a new version. A rejected
// change re-shows what was typed with every error; the live version stays.
func (h *Handler) saveAdminEditForm(w http.ResponseWriter, r *http.Request, staffID int64) error {
	code := chi.URLParam(r, "code")
	text := r.PostFormValue("product")
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	var in ProductInput
	if err := dec.Decode(&in); err != nil {
		return h.renderAdminEdit(w, r, code, text, false, []ecrm.FieldError{{Field: "product", Message: "is not valid product JSON: " + err.Error()}})
	}
	_, err := h.store.UpdateProduct(r.Context(), code, in, staffID)
	h.engine.Invalidate()
	var appErr *ecrm.Error
	if errors.As(err, &appErr) && appErr.Code == ecrm.EINVALID {
		fields := appErr.Fields
		if len(fields) == 0 {
			fields = []ecrm.FieldError{{Field: "product", Message: appErr.Message}}
		}
		return h.renderAdminEdit(w, r, code, text, false, fields)
	}
	if err != nil {
		return err
	}
	// Post/redirect/get: a reload does not resubmit.
	http.Redirect(w, r, "/console/products/"+code+"?saved=1", http.StatusSeeOther)
	return nil
}

func (h *Handler) renderAdminEdit(w http.ResponseWriter, r *http.Request, code, text string, saved bool, problems []ecrm.FieldError) error {
	p, err := h.store.ProductByCode(r.Context(), code)
	if err != nil {
		return err
	}
	versions, err := h.store.Versions(r.Context(), code)
	if err != nil {
		return err
	}
	if text == "" {
		b, err := json.MarshalIndent(p.Input(), "", "  ")
		if err != nil {
			return err
		}
		text = string(b)
	}
	status := http.StatusOK
	if len(problems) > 0 {
		status = http.StatusUnprocessableEntity
	}
	h.pages.Render(w, r, status, "products_admin_edit", adminEditPage{Product: p, Versions: versions, JSON: text, Saved: saved, Errors: problems, Zone: h.zone})
	return nil
}
