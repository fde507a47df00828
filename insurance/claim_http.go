package insurance

import (
	_ "embed"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/servicedesk"
)

// OpenAPIClaims documents the claims routes of the client's API.
//
//go:embed openapi_claims.json
var OpenAPIClaims []byte

// ClaimsHandler serves the claims pages of the portal and the console and
// the client's claims API.
type ClaimsHandler struct {
	claims *Claims
	pages  *page.Renderer
}

// NewClaimsHandler serves claims through pages.
func NewClaimsHandler(claims *Claims, pages *page.Renderer) *ClaimsHandler {
	return &ClaimsHandler{claims: claims, pages: pages}
}

// PortalRoutes registers the client's pages and API; the caller puts them
// behind the client guard and each handler checks again.
func (h *ClaimsHandler) PortalRoutes(r chi.Router) {
	uploads := web.AllowBody(h.claims.Limits().RequestBytes())
	r.Get("/portal/policies/{id}/claims/new", h.clientPage(h.showNewClaim))
	r.With(uploads).Post("/portal/policies/{id}/claims/new", h.clientPage(h.reportClaimForm))
	r.Get("/portal/claims", h.clientPage(h.showClaims))
	r.Get("/portal/claims/{reference}", h.clientPage(h.showClaim))
	r.With(uploads).Post("/portal/claims/{reference}/messages", h.clientPage(h.writeForm))
	r.Get("/portal/claims/{reference}/files/{file}", h.clientPage(h.downloadFile))

	r.Get("/api/v1/me/claims", h.clientAPI(h.listClaims))
	r.With(uploads).Post("/api/v1/me/claims", h.clientAPI(h.createClaim))
	r.Get("/api/v1/me/claims/{reference}", h.clientAPI(h.getClaim))
	r.With(uploads).Post("/api/v1/me/claims/{reference}/messages", h.clientAPI(h.createMessage))
	r.With(uploads).Post("/api/v1/me/claims/{reference}/attachments", h.clientAPI(h.uploadFiles))
	r.Get("/api/v1/me/claims/{reference}/attachments/{file}", h.clientAPI(h.downloadFile))
}

type clientFn func(w http.ResponseWriter, r *http.Request, clientID int64) error

var errClaimsNotClient = ecrm.Errorf(ecrm.EUNAUTHORIZED, "Log in as a client first.")

func (h *ClaimsHandler) clientPage(fn clientFn) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := ecrm.PrincipalFrom(r.Context())
		var err error = errClaimsNotClient
		if p.IsClient() {
			err = fn(w, r, p.ClientID)
		}
		if err != nil {
			err = TranslateClaimError(i18n.FromContext(r.Context()), err)
			status := web.Fail(w, r, err, "claims page failed")
			h.pages.RenderError(w, r, status, "", ecrm.ErrorMessage(err), web.RequestIDFrom(r.Context()))
		}
	}
}

func (h *ClaimsHandler) clientAPI(fn clientFn) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := ecrm.PrincipalFrom(r.Context())
		var err error = errClaimsNotClient
		if p.IsClient() {
			err = fn(w, r, p.ClientID)
		} else {
			w.Header().Set("WWW-Authenticate", "Bearer")
		}
		if err != nil {
			web.Problem(w, r, TranslateClaimError(i18n.FromContext(r.Context()), err))
		}
	}
}

// claimInput is what a form or an API call sends: its text fields and its
// files ("attachments").
type claimInput struct {
	Values url.Values
	Files  []servicedesk.Upload
}

// multipartMemory is how much of a multipart body stays in memory; the
// rest of the files waits in temporary files until read.
const multipartMemory = 1 << 20

// readInput reads a url-encoded or multipart form, or a JSON object of
// strings (numbers and booleans as their text). A body over the route's
// limit is a refusal at the files stating the limit.
func (h *ClaimsHandler) readInput(r *http.Request) (claimInput, error) {
	in := claimInput{Values: url.Values{}}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]any
		if err := web.DecodeJSON(r, &m); err != nil {
			return in, err
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				in.Values.Set(k, v)
			case float64:
				in.Values.Set(k, strconv.FormatFloat(v, 'f', -1, 64))
			case bool:
				in.Values.Set(k, strconv.FormatBool(v))
			}
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(multipartMemory); err != nil {
			return in, h.tooLarge(err)
		}
		files, err := h.claims.Limits().ReadUploads(r.MultipartForm.File["attachments"])
		if err != nil {
			return in, err
		}
		in.Files = files
		in.Values = r.MultipartForm.Value
	default:
		if err := r.ParseForm(); err != nil {
			return in, h.tooLarge(err)
		}
		in.Values = r.PostForm
	}
	if k := r.Header.Get("Idempotency-Key"); k != "" {
		in.Values.Set("key", k)
	}
	if k := in.Values.Get("key"); len(k) > 200 || ecrm.CheckText(k) != nil {
		return in, claimInvalid([]claimProblem{{Field: "key", Key: "insurance.claim.error.key"}})
	}
	return in, nil
}

// tooLarge turns a body over the limit into a refusal at the files that
// states the limit; any other unreadable form names the files too.
func (h *ClaimsHandler) tooLarge(err error) error {
	lim := h.claims.Limits()
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		return claimInvalid([]claimProblem{{Field: "attachments", Key: "insurance.claim.error.attachments_total", Args: []any{lim.MaxFiles, fileSize(lim.MaxBytes)}}})
	}
	return claimInvalid([]claimProblem{{Field: "attachments", Key: "insurance.claim.error.form"}})
}

func pathInt(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrClaimNotFound
	}
	return id, nil
}

// The first notice of loss ----------------------------------------------------

// newClaimPage is the data of insurance_claim_new.html.
type newClaimPage struct {
	Policy          *ClaimPolicy
	Fields          []page.FormField
	Form            page.FormErrors
	Key             string
	AttachmentError string
	AttachmentHint  string
	Accept          string
	Today           string
}

func (h *ClaimsHandler) attachmentHint(l *i18n.Localizer, left int) string {
	lim := h.claims.Limits()
	return l.T("insurance.claim.attachments.hint", left, l.FileSize(lim.MaxBytes), lim.TypeLabels())
}

func (h *ClaimsHandler) newClaimData(r *http.Request, pol *ClaimPolicy, v url.Values, err error) newClaimPage {
	l := i18n.FromContext(r.Context())
	fe := page.NewFormErrors(l, err)
	key := v.Get("key")
	if key == "" {
		key = page.NewFormKey()
	}
	return newClaimPage{
		Policy: pol,
		Fields: []page.FormField{
			{Name: "description", ID: "claim-description", LabelKey: "insurance.claim.field.description", HintKey: "insurance.claim.hint.description",
				Value: v.Get("description"), Rows: 6, MaxLength: MaxClaimDescription, Error: fe.ByField["description"]},
			{Name: "incident_on", ID: "claim-incident_on", LabelKey: "insurance.claim.field.incident_on", Type: "date",
				Value: v.Get("incident_on"), Error: fe.ByField["incident_on"]},
			{Name: "place", ID: "claim-place", LabelKey: "insurance.claim.field.place", HintKey: "insurance.claim.hint.place",
				Value: v.Get("place"), MaxLength: MaxClaimPlace, Error: fe.ByField["place"]},
			{Name: "amount", ID: "claim-amount", LabelKey: "insurance.claim.field.amount", InputMode: "decimal",
				Value: v.Get("amount"), Error: fe.ByField["amount"]},
		},
		Form: fe, Key: key, AttachmentError: fe.ByField["attachments"],
		AttachmentHint: h.attachmentHint(l, h.claims.Limits().MaxFiles), Accept: h.claims.Limits().Accept(),
		Today: h.claims.today().Format(time.DateOnly),
	}
}

func (h *ClaimsHandler) showNewClaim(w http.ResponseWriter, r *http.Request, clientID int64) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	pol, err := h.claims.ClientPolicy(r.Context(), clientID, id)
	if err != nil {
		return err
	}
	h.pages.Render(w, r, http.StatusOK, "insurance_claim_new", h.newClaimData(r, pol, url.Values{}, nil))
	return nil
}

// pageAmount reads an amount typed in the page's language into decimal
// text; what cannot be read is passed on as typed, to be refused.
func pageAmount(l *i18n.Localizer, s string) string {
	if d, ok := l.ParseAmount(s); ok {
		return d.String()
	}
	return s
}

func (h *ClaimsHandler) reportClaimForm(w http.ResponseWriter, r *http.Request, clientID int64) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	pol, err := h.claims.ClientPolicy(r.Context(), clientID, id)
	if err != nil {
		return err
	}
	l := i18n.FromContext(r.Context())
	in, err := h.readInput(r)
	if err == nil {
		v := in.Values
		var ref string
		ref, err = h.claims.Report(r.Context(), clientID, NewClaim{PolicyID: id, Description: v.Get("description"), IncidentOn: v.Get("incident_on"),
			Place: v.Get("place"), Amount: pageAmount(l, v.Get("amount")), Files: in.Files, IdempotencyKey: v.Get("key")})
		if err == nil {
			http.Redirect(w, r, "/portal/claims/"+url.PathEscape(ref)+"?reported=1", http.StatusSeeOther)
			return nil
		}
	}
	if ecrm.ErrorCode(err) != ecrm.EINVALID {
		return err
	}
	h.pages.Render(w, r, http.StatusUnprocessableEntity, "insurance_claim_new", h.newClaimData(r, pol, in.Values, TranslateClaimError(l, err)))
	return nil
}

// The client's claims ------------------------------------------------------------

type claimsPage struct {
	Claims []Claim
	// Policies are those a new claim may be reported on.
	Policies []ClaimPolicy
}

func (h *ClaimsHandler) showClaims(w http.ResponseWriter, r *http.Request, clientID int64) error {
	list, err := h.claims.ClientClaims(r.Context(), clientID)
	if err != nil {
		return err
	}
	policies, err := h.claims.ClientPolicies(r.Context(), clientID)
	if err != nil {
		return err
	}
	h.pages.Render(w, r, http.StatusOK, "insurance_claims", claimsPage{Claims: list, Policies: policies})
	return nil
}

// claimPage is the data of insurance_claim.html (the client's) and
// insurance_claim_console.html (staff's).
type claimPage struct {
	*ClaimDetail
	Zone            *time.Location
	Notice          string
	Fields          []page.FormField
	Form            page.FormErrors
	Key             string
	AttachmentError string
	AttachmentHint  string
	Accept          string
	CanAttach       bool
	// Staff's decision form.
	Next         []string
	DecisionKey  string
	DecisionForm page.FormErrors
	Decision     url.Values
	Now          time.Time
	// Staff: the console's page; FileBase starts the files' links.
	Staff    bool
	FileBase string
}

func (h *ClaimsHandler) claimData(r *http.Request, d *ClaimDetail, v url.Values, err error, client bool) claimPage {
	l := i18n.FromContext(r.Context())
	fe := page.NewFormErrors(l, err)
	key := v.Get("key")
	if key == "" {
		key = page.NewFormKey()
	}
	left := d.FilesLeft(h.claims.Limits().MaxFiles)
	notice := ""
	q := r.URL.Query()
	for _, n := range []string{"reported", "sent", "moved"} {
		if q.Get(n) == "1" {
			notice = "insurance.claim.notice." + n
		}
	}
	p := claimPage{ClaimDetail: d, Zone: h.claims.Zone(), Notice: notice,
		Fields: []page.FormField{{Name: "body", ID: "claim-body", LabelKey: "insurance.claim.field.message", Value: v.Get("body"), Rows: 5,
			MaxLength: MaxClaimMessage, Error: fe.ByField["body"]}},
		Form: fe, Key: key, AttachmentError: fe.ByField["attachments"], AttachmentHint: h.attachmentHint(l, left),
		Accept: h.claims.Limits().Accept(), CanAttach: left > 0 && (!client || claimOpen(d.Status)), Now: h.claims.now(),
		Staff: !client, FileBase: "/portal/claims/" + url.PathEscape(d.Reference) + "/files"}
	if !client {
		p.FileBase = "/console/claims/" + url.PathEscape(d.Reference) + "/files"
	}
	return p
}

func (h *ClaimsHandler) showClaim(w http.ResponseWriter, r *http.Request, clientID int64) error {
	d, err := h.claims.ClientClaim(r.Context(), clientID, chi.URLParam(r, "reference"))
	if err != nil {
		return err
	}
	h.pages.Render(w, r, http.StatusOK, "insurance_claim", h.claimData(r, d, url.Values{}, nil, true))
	return nil
}

func (h *ClaimsHandler) writeForm(w http.ResponseWriter, r *http.Request, clientID int64) error {
	ref := chi.URLParam(r, "reference")
	in, err := h.readInput(r)
	if err == nil {
		err = h.claims.ClientWrite(r.Context(), clientID, ref, Write{Body: in.Values.Get("body"), Files: in.Files, IdempotencyKey: in.Values.Get("key")})
		if err == nil {
			http.Redirect(w, r, "/portal/claims/"+url.PathEscape(ref)+"?sent=1", http.StatusSeeOther)
			return nil
		}
	}
	if ecrm.ErrorCode(err) != ecrm.EINVALID {
		return err
	}
	d, derr := h.claims.ClientClaim(r.Context(), clientID, ref)
	if derr != nil {
		return derr
	}
	h.pages.Render(w, r, http.StatusUnprocessableEntity, "insurance_claim",
		h.claimData(r, d, in.Values, TranslateClaimError(i18n.FromContext(r.Context()), err), true))
	return nil
}

func (h *ClaimsHandler) downloadFile(w http.ResponseWriter, r *http.Request, clientID int64) error {
	id, err := pathInt(r, "file")
	if err != nil {
		return err
	}
	f, err := h.claims.ClientFile(r.Context(), clientID, chi.URLParam(r, "reference"), id)
	if err != nil {
		return err
	}
	servicedesk.ServeFile(w, f)
	return nil
}

// The client's API ------------------------------------------------------------------

// ClaimJSON is a claim in the API.
type ClaimJSON struct {
	Reference       string    `json:"reference"`
	PolicyID        int64     `json:"policy_id"`
	PolicyNumber    string    `json:"policy_number"`
	Line            string    `json:"line"`
	Status          string    `json:"status"`
	IncidentOn      string    `json:"incident_on"`
	Place           string    `json:"place"`
	Description     string    `json:"description"`
	Currency        string    `json:"currency"`
	Claimed         *string   `json:"claimed_amount"`
	Approved        *string   `json:"approved_amount"`
	Paid            *string   `json:"paid_amount"`
	RejectionReason string    `json:"rejection_reason,omitempty"`
	ReportedAt      time.Time `json:"reported_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	// NextStatuses are those the claim may still go to.
	NextStatuses []string `json:"next_statuses"`
}

// ClaimDetailJSON is a claim with its history, messages and files.
type ClaimDetailJSON struct {
	ClaimJSON
	History  []ChangeJSON  `json:"history"`
	Messages []MessageJSON `json:"messages"`
	Files    []FileJSON    `json:"attachments"`
}

// ChangeJSON is a change of status.
type ChangeJSON struct {
	From   string    `json:"from,omitempty"`
	To     string    `json:"to"`
	Amount *string   `json:"amount,omitempty"`
	Note   string    `json:"note,omitempty"`
	At     time.Time `json:"at"`
}

// MessageJSON is a message on a claim.
type MessageJSON struct {
	ID        int64     `json:"id"`
	Author    string    `json:"author"`
	StaffName string    `json:"staff_name,omitempty"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// FileJSON is a file of a claim.
type FileJSON struct {
	ID        int64     `json:"id"`
	MessageID int64     `json:"message_id,omitempty"`
	Author    string    `json:"author"`
	Name      string    `json:"name"`
	Type      string    `json:"type"`
	Size      int64     `json:"size"`
	CreatedAt time.Time `json:"created_at"`
	Href      string    `json:"href"`
}

// amountText is an amount as the API writes it: decimal text with the
// currency's places ("800.00"), nil for none.
func amountText(d *decimal.Decimal, currency string) *string {
	if d == nil {
		return nil
	}
	units, ok := ecrm.CurrencyMinorUnits(currency)
	if !ok {
		units = 2
	}
	s := d.StringFixed(units)
	return &s
}

func claimJSON(k Claim) ClaimJSON {
	next := NextStatuses(k.Status)
	if next == nil {
		next = []string{}
	}
	return ClaimJSON{Reference: k.Reference, PolicyID: k.PolicyID, PolicyNumber: k.PolicyNumber, Line: k.Line, Status: k.Status,
		IncidentOn: k.IncidentOn.Format(time.DateOnly), Place: k.Place, Description: k.Description, Currency: k.Currency,
		Claimed: amountText(k.Claimed, k.Currency), Approved: amountText(k.Approved, k.Currency), Paid: amountText(k.Paid, k.Currency), RejectionReason: k.RejectionReason, ReportedAt: k.ReportedAt,
		UpdatedAt: k.UpdatedAt, NextStatuses: next}
}

func detailJSON(d *ClaimDetail) ClaimDetailJSON {
	out := ClaimDetailJSON{ClaimJSON: claimJSON(d.Claim), History: []ChangeJSON{}, Messages: []MessageJSON{}, Files: []FileJSON{}}
	for _, c := range d.History {
		out.History = append(out.History, ChangeJSON{From: c.From, To: c.To, Amount: amountText(c.Amount, d.Currency), Note: c.Note, At: c.At})
	}
	for _, m := range d.Messages {
		out.Messages = append(out.Messages, MessageJSON{ID: m.ID, Author: m.Author, StaffName: m.StaffName, Body: m.Body, CreatedAt: m.CreatedAt})
	}
	for _, f := range d.Files {
		out.Files = append(out.Files, FileJSON{ID: f.ID, MessageID: f.MessageID, Author: f.Author, Name: f.Name, Type: f.ContentType, Size: f.Size,
			CreatedAt: f.CreatedAt, Href: "/api/v1/me/claims/" + url.PathEscape(d.Reference) + "/attachments/" + strconv.FormatInt(f.ID, 10)})
	}
	return out
}

func (h *ClaimsHandler) listClaims(w http.ResponseWriter, r *http.Request, clientID int64) error {
	list, err := h.claims.ClientClaims(r.Context(), clientID)
	if err != nil {
		return err
	}
	out := make([]ClaimJSON, len(list))
	for i, k := range list {
		out[i] = claimJSON(k)
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, struct {
		Claims []ClaimJSON `json:"claims"`
	}{out})
	return nil
}

func (h *ClaimsHandler) writeClaim(w http.ResponseWriter, r *http.Request, clientID int64, ref string, status int) error {
	d, err := h.claims.ClientClaim(r.Context(), clientID, ref)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	if status == http.StatusCreated {
		w.Header().Set("Location", "/api/v1/me/claims/"+url.PathEscape(ref))
	}
	web.WriteJSON(w, status, detailJSON(d))
	return nil
}

func (h *ClaimsHandler) getClaim(w http.ResponseWriter, r *http.Request, clientID int64) error {
	return h.writeClaim(w, r, clientID, chi.URLParam(r, "reference"), http.StatusOK)
}

func (h *ClaimsHandler) createClaim(w http.ResponseWriter, r *http.Request, clientID int64) error {
	in, err := h.readInput(r)
	if err != nil {
		return err
	}
	v := in.Values
	policy, perr := strconv.ParseInt(strings.TrimSpace(v.Get("policy_id")), 10, 64)
	if perr != nil || policy <= 0 {
		return claimInvalid([]claimProblem{{Field: "policy_id", Key: "insurance.claim.error.policy_id"}})
	}
	ref, err := h.claims.Report(r.Context(), clientID, NewClaim{PolicyID: policy, Description: v.Get("description"), IncidentOn: v.Get("incident_on"),
		Place: v.Get("place"), Amount: v.Get("amount"), Files: in.Files, IdempotencyKey: v.Get("key")})
	if err != nil {
		return err
	}
	return h.writeClaim(w, r, clientID, ref, http.StatusCreated)
}

func (h *ClaimsHandler) createMessage(w http.ResponseWriter, r *http.Request, clientID int64) error {
	ref := chi.URLParam(r, "reference")
	in, err := h.readInput(r)
	if err == nil {
		err = h.claims.ClientWrite(r.Context(), clientID, ref, Write{Body: in.Values.Get("body"), Files: in.Files, IdempotencyKey: in.Values.Get("key")})
	}
	if err != nil {
		return err
	}
	return h.writeClaim(w, r, clientID, ref, http.StatusOK)
}

func (h *ClaimsHandler) uploadFiles(w http.ResponseWriter, r *http.Request, clientID int64) error {
	ref := chi.URLParam(r, "reference")
	in, err := h.readInput(r)
	if err == nil {
		err = h.claims.ClientWrite(r.Context(), clientID, ref, Write{FilesOnly: true, Files: in.Files})
	}
	if err != nil {
		return err
	}
	return h.writeClaim(w, r, clientID, ref, http.StatusOK)
}
