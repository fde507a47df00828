package insurance

import (
	_ "embed"
	"io"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/web"
)

// OpenAPI documents the insurance package's API routes.
//
//go:embed openapi.json
var OpenAPI []byte

// AdminHandler is the administrators' API for questionnaire definitions.
type AdminHandler struct{ store *Store }

// NewAdminHandler serves store's definitions.
func NewAdminHandler(store *Store) *AdminHandler { return &AdminHandler{store: store} }

// Routes registers the routes; the caller puts them behind the admin
// guard and each handler checks the role again.
func (h *AdminHandler) Routes(r chi.Router) {
	r.Post("/api/v1/questionnaires", h.importQuestionnaire)
}

// importQuestionnaire takes a FHIR R4 Questionnaire as the body: 201 when
// stored, 200 when the same definition was there, 422 naming every item
// at fault (nothing written), 409 for a changed definition under a taken
// version.
func (h *AdminHandler) importQuestionnaire(w http.ResponseWriter, r *http.Request) {
	p := ecrm.PrincipalFrom(r.Context())
	switch {
	case p == nil:
		web.Problem(w, r, ecrm.Errorf(ecrm.EUNAUTHORIZED, "Log in first."))
		return
	case !p.HasRole(ecrm.RoleAdmin):
		web.Problem(w, r, ecrm.Errorf(ecrm.EFORBIDDEN, "Only administrators import questionnaires."))
		return
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		web.Problem(w, r, ecrm.FieldErrorf("body", "cannot be read"))
		return
	}
	res, err := h.store.Import(r.Context(), data, p.StaffID)
	if err == ErrVersionTaken {
		err = &ecrm.Error{Code: ecrm.ECONFLICT, Message: ErrVersionTaken.Message, Field: "version", Fields: ErrVersionTaken.Fields}
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	if len(res.Problems) > 0 {
		e := &ecrm.Error{Code: ecrm.EINVALID, Message: "The questionnaire cannot be imported: " + res.Problems[0].String()}
		for _, pr := range res.Problems {
			field := pr.Field
			if pr.LinkID != "" {
				field = "item " + pr.LinkID + ": " + pr.Field
			}
			e.Fields = append(e.Fields, ecrm.FieldError{Field: field, Message: pr.Message})
		}
		web.Problem(w, r, e)
		return
	}
	status := http.StatusCreated
	if !res.Created {
		status = http.StatusOK
	}
	web.WriteJSON(w, status, res)
}
