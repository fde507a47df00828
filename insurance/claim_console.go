package insurance

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/servicedesk"
)

// ConsoleRoutes registers the staff's claims pages; the caller puts them
// behind the staff guard, and each handler lets in advisors and
// administrators only.
func (h *ClaimsHandler) ConsoleRoutes(r chi.Router) {
	uploads := web.AllowBody(h.claims.Limits().RequestBytes())
	r.Get("/console/claims", h.staffPage(h.showQueue))
	r.Get("/console/claims/{reference}", h.staffPage(h.showStaffClaim))
	r.Post("/console/claims/{reference}/status", h.staffPage(h.decideForm))
	r.With(uploads).Post("/console/claims/{reference}/messages", h.staffPage(h.staffWriteForm))
	r.Get("/console/claims/{reference}/files/{file}", h.staffPage(h.staffDownload))
}

type staffFn func(w http.ResponseWriter, r *http.Request, v ClaimViewer) error

func (h *ClaimsHandler) staffPage(fn staffFn) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := ecrm.PrincipalFrom(r.Context())
		var err error
		switch {
		case p == nil || p.StaffID == 0:
			err = ecrm.Errorf(ecrm.EUNAUTHORIZED, "Log in first.")
		case !p.HasRole(ecrm.RoleAdvisor) && !p.HasRole(ecrm.RoleAdmin):
			err = ecrm.Errorf(ecrm.EFORBIDDEN, "Only advisors and administrators work claims.")
		default:
			err = fn(w, r, ClaimViewer{StaffID: p.StaffID, Admin: p.HasRole(ecrm.RoleAdmin)})
		}
		if err != nil {
			err = TranslateClaimError(i18n.FromContext(r.Context()), err)
			status := web.Fail(w, r, err, "claims console page failed")
			h.pages.RenderError(w, r, status, "", ecrm.ErrorMessage(err), web.RequestIDFrom(r.Context()))
		}
	}
}

// queueData is the data of insurance_claim_queue.html.
type queueData struct {
	Claims []Claim
	All    bool
	claimPage
}

func (h *ClaimsHandler) showQueue(w http.ResponseWriter, r *http.Request, v ClaimViewer) error {
	filter := r.URL.Query().Get("status")
	list, err := h.claims.Queue(r.Context(), v, filter)
	if err != nil {
		return err
	}
	h.pages.Render(w, r, http.StatusOK, "insurance_claim_queue", queueData{Claims: list, All: filter == ClaimQueueAll,
		claimPage: claimPage{Zone: h.claims.Zone(), Now: h.claims.now()}})
	return nil
}

func (h *ClaimsHandler) staffData(r *http.Request, d *ClaimDetail, msg url.Values, msgErr error, dec url.Values, decErr error) claimPage {
	l := i18n.FromContext(r.Context())
	p := h.claimData(r, d, msg, msgErr, false)
	p.Next = NextStatuses(d.Status)
	p.DecisionForm = page.NewFormErrors(l, decErr)
	if dec == nil {
		dec = url.Values{}
	}
	p.Decision = dec
	p.DecisionKey = dec.Get("key")
	if p.DecisionKey == "" {
		p.DecisionKey = page.NewFormKey()
	}
	return p
}

func (h *ClaimsHandler) showStaffClaim(w http.ResponseWriter, r *http.Request, v ClaimViewer) error {
	d, err := h.claims.StaffClaim(r.Context(), v, chi.URLParam(r, "reference"))
	if err != nil {
		return err
	}
	h.pages.Render(w, r, http.StatusOK, "insurance_claim_console", h.staffData(r, d, nil, nil, nil, nil))
	return nil
}

func (h *ClaimsHandler) decideForm(w http.ResponseWriter, r *http.Request, v ClaimViewer) error {
	ref := chi.URLParam(r, "reference")
	l := i18n.FromContext(r.Context())
	if err := r.ParseForm(); err != nil {
		return ecrm.FieldErrorf("to", "insurance.claim.error.form")
	}
	f := r.PostForm
	above, _ := strconv.ParseBool(f.Get("above_claimed"))
	err := h.claims.Decide(r.Context(), v, ref, Decision{To: f.Get("to"), Amount: pageAmount(l, f.Get("amount")), AboveClaimed: above,
		Message: f.Get("message"), IdempotencyKey: f.Get("key")})
	if err == nil {
		http.Redirect(w, r, "/console/claims/"+url.PathEscape(ref)+"?moved=1", http.StatusSeeOther)
		return nil
	}
	if ecrm.ErrorCode(err) != ecrm.EINVALID {
		return err
	}
	d, derr := h.claims.StaffClaim(r.Context(), v, ref)
	if derr != nil {
		return derr
	}
	h.pages.Render(w, r, http.StatusUnprocessableEntity, "insurance_claim_console", h.staffData(r, d, nil, nil, f, TranslateClaimError(l, err)))
	return nil
}

func (h *ClaimsHandler) staffWriteForm(w http.ResponseWriter, r *http.Request, v ClaimViewer) error {
	ref := chi.URLParam(r, "reference")
	in, err := h.readInput(r)
	if err == nil {
		err = h.claims.StaffWrite(r.Context(), v, ref, Write{Body: in.Values.Get("body"), Files: in.Files, IdempotencyKey: in.Values.Get("key")})
		if err == nil {
			http.Redirect(w, r, "/console/claims/"+url.PathEscape(ref)+"?sent=1", http.StatusSeeOther)
			return nil
		}
	}
	if ecrm.ErrorCode(err) != ecrm.EINVALID {
		return err
	}
	d, derr := h.claims.StaffClaim(r.Context(), v, ref)
	if derr != nil {
		return derr
	}
	h.pages.Render(w, r, http.StatusUnprocessableEntity, "insurance_claim_console",
		h.staffData(r, d, in.Values, TranslateClaimError(i18n.FromContext(r.Context()), err), nil, nil))
	return nil
}

func (h *ClaimsHandler) staffDownload(w http.ResponseWriter, r *http.Request, v ClaimViewer) error {
	id, err := pathInt(r, "file")
	if err != nil {
		return err
	}
	f, err := h.claims.StaffFile(r.Context(), v, chi.URLParam(r, "reference"), id)
	if err != nil {
		return err
	}
	servicedesk.ServeFile(w, f)
	return nil
}
