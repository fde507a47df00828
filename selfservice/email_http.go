package selfservice

import (
	"net/http"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/web"
)

// emailPage asks the client to confirm the new address a link stands for.
// Opening the link changes nothing (mail scanners open links too); the
// button does.
type emailPage struct {
	Token   string
	Pending *PendingEmail
	Error   string
}

func (h *Handler) showEmailConfirmation(w http.ResponseWriter, r *http.Request, clientID int64) error {
	token := r.URL.Query().Get("token")
	pending, err := h.svc.EmailChange(r.Context(), clientID, token)
	if ecrm.ErrorCode(err) == ecrm.EINVALID {
		h.pages.Render(w, r, http.StatusNotFound, "portal_email", emailPage{Error: i18n.FromContext(r.Context()).T("portal.email.error.link")})
		return nil
	}
	if err != nil {
		return err
	}
	h.pages.Render(w, r, http.StatusOK, "portal_email", emailPage{Token: token, Pending: pending})
	return nil
}

func (h *Handler) confirmEmailForm(w http.ResponseWriter, r *http.Request, clientID int64) error {
	_, err := h.svc.ConfirmEmail(r.Context(), clientID, r.PostFormValue("token"), web.RequestIDFrom(r.Context()))
	if ecrm.ErrorCode(err) == ecrm.EINVALID {
		h.pages.Render(w, r, http.StatusNotFound, "portal_email", emailPage{Error: i18n.FromContext(r.Context()).T("portal.email.error.link")})
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/portal/profile?saved=email", http.StatusSeeOther)
	return nil
}

// confirmEmail is the API's confirmation: {"token": "…"} from the link.
func (h *Handler) confirmEmail(w http.ResponseWriter, r *http.Request, clientID int64) error {
	var in struct {
		Token string `json:"token"`
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if _, err := h.svc.ConfirmEmail(r.Context(), clientID, in.Token, web.RequestIDFrom(r.Context())); err != nil {
		return err
	}
	profile, err := h.svc.Profile(r.Context(), clientID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, profile)
	return nil
}
