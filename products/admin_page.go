package products

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/web"
)

type adminListPage struct {
	Products []Product
}

// adminEditPage is the catalogue editor: a new product (Product nil) or a
// new version of an existing one.
type adminEditPage struct {
	Product  *Product
	Versions []VersionSummary
	Statuses []StatusChange
	Form     editorView
	Saved    bool
	Status   string // "retired" or "reinstated" after a status change
	Preview  *rulePreview
	// PreviewClient, PreviewAmount and PreviewMonths are the preview's
	// inputs as typed; PreviewError is said at the client field.
	PreviewClient, PreviewAmount, PreviewMonths string
	PreviewError                                string
	StatusError                                 string
	// RuleVariables are the variables a rule can use, with their types.
	RuleVariables []string
	Zone          *time.Location
}

// adminPage adapts a console page handler of the catalogue (page.AdminOnly).
func (h *Handler) adminPage(fn func(w http.ResponseWriter, r *http.Request, staffID int64) error) http.HandlerFunc {
	return h.pages.AdminOnly("products console page failed", "Only administrators maintain the product catalogue.", fn)
}

func (h *Handler) showAdminListPage(w http.ResponseWriter, r *http.Request, _ int64) error {
	list, err := h.store.Products(r.Context(), true)
	if err != nil {
		return err
	}
	h.pages.Render(w, r, http.StatusOK, "products_admin_list", adminListPage{Products: list})
	return nil
}

// showNewProductPage is the empty form of a new product: retail clients,
// no knowledge needed, the lowest risk, until the administrator says more.
func (h *Handler) showNewProductPage(w http.ResponseWriter, r *http.Request, _ int64) error {
	l := i18n.FromContext(r.Context())
	start := ProductInput{Line: LineBanking, Currency: "RON", RiskClass: 1,
		Definition: Definition{TargetMarket: TargetMarket{ClientTypes: []string{"retail"}, MinKnowledge: "none",
			MinLossCapacity: "none", MinRiskTolerance: 1}}}
	f, err := formOf(start, l)
	if err != nil {
		return err
	}
	h.pages.Render(w, r, http.StatusOK, "products_admin_edit", adminEditPage{Form: f.view(l, true, nil), RuleVariables: ruleVariableList(), Zone: h.zone})
	return nil
}

// createProductForm creates the product from the form; "more rows" and
// "try on a client" re-show the form with what was typed.
func (h *Handler) createProductForm(w http.ResponseWriter, r *http.Request, staffID int64) error {
	l := i18n.FromContext(r.Context())
	action := r.PostFormValue("action")
	f := postedForm(r.PostForm, action == "rows")
	in, problems := f.input(l, nil)
	data := adminEditPage{RuleVariables: ruleVariableList(), Zone: h.zone}
	if action == "rows" {
		data.Form = f.view(l, true, nil)
		h.pages.Render(w, r, http.StatusOK, "products_admin_edit", data)
		return nil
	}
	problems = append(problems, inputProblems(in)...)
	if action == "preview" {
		return h.renderPreview(w, r, staffID, &data, f, in, problems, true)
	}
	if len(problems) == 0 {
		_, err := h.store.CreateProduct(r.Context(), in, staffID)
		h.engine.Invalidate()
		if problems = formProblems(err); problems == nil && err != nil {
			return err
		}
		if err == nil {
			http.Redirect(w, r, "/console/products/"+in.Code+"?saved=1", http.StatusSeeOther)
			return nil
		}
	}
	data.Form = f.view(l, true, problems)
	h.pages.Render(w, r, http.StatusUnprocessableEntity, "products_admin_edit", data)
	return nil
}

func (h *Handler) showAdminEditPage(w http.ResponseWriter, r *http.Request, _ int64) error {
	l := i18n.FromContext(r.Context())
	data, p, err := h.editPageData(r.Context(), chi.URLParam(r, "code"))
	if err != nil {
		return err
	}
	f, err := formOf(p.Input(), l)
	if err != nil {
		return err
	}
	data.Form = f.view(l, false, nil)
	data.Saved = r.URL.Query().Get("saved") == "1"
	if s := r.URL.Query().Get("status"); s == "retired" || s == "reinstated" {
		data.Status = s
	}
	h.pages.Render(w, r, http.StatusOK, "products_admin_edit", data)
	return nil
}

// saveAdminEditForm saves the form as a new version. A rejected change
// re-shows what was typed with every error at its field; the live version
// stays.
func (h *Handler) saveAdminEditForm(w http.ResponseWriter, r *http.Request, staffID int64) error {
	l := i18n.FromContext(r.Context())
	data, p, err := h.editPageData(r.Context(), chi.URLParam(r, "code"))
	if err != nil {
		return err
	}
	action := r.PostFormValue("action")
	f := postedForm(r.PostForm, action == "rows")
	current := p.Input()
	in, problems := f.input(l, &current)
	in.Active = current.Active // the form does not change whether it is on sale
	if action == "rows" {
		data.Form = f.view(l, false, nil)
		h.pages.Render(w, r, http.StatusOK, "products_admin_edit", data)
		return nil
	}
	problems = append(problems, inputProblems(in)...)
	if action == "preview" {
		return h.renderPreview(w, r, staffID, &data, f, in, problems, false)
	}
	if len(problems) == 0 {
		_, err := h.store.UpdateProduct(r.Context(), p.Code, in, staffID)
		h.engine.Invalidate()
		if problems = formProblems(err); problems == nil && err != nil {
			return err
		}
		if err == nil {
			// Post/redirect/get: a reload does not resubmit.
			http.Redirect(w, r, "/console/products/"+p.Code+"?saved=1", http.StatusSeeOther)
			return nil
		}
	}
	data.Form = f.view(l, false, problems)
	h.pages.Render(w, r, http.StatusUnprocessableEntity, "products_admin_edit", data)
	return nil
}

// changeProductStatus withdraws a product from sale or puts it back, with
// the reason the administrator gives.
func (h *Handler) changeProductStatus(w http.ResponseWriter, r *http.Request, staffID int64) error {
	l := i18n.FromContext(r.Context())
	code := chi.URLParam(r, "code")
	active := r.PostFormValue("active") == "true"
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		data, p, err := h.editPageData(r.Context(), code)
		if err != nil {
			return err
		}
		f, err := formOf(p.Input(), l)
		if err != nil {
			return err
		}
		data.Form = f.view(l, false, nil)
		data.StatusError = l.T("products.editor.error.status_reason")
		h.pages.Render(w, r, http.StatusUnprocessableEntity, "products_admin_edit", data)
		return nil
	}
	if err := h.store.SetActive(r.Context(), code, active, reason, staffID); err != nil {
		return err
	}
	h.engine.Invalidate()
	status := "retired"
	if active {
		status = "reinstated"
	}
	http.Redirect(w, r, "/console/products/"+code+"?status="+status, http.StatusSeeOther)
	return nil
}

func (h *Handler) editPageData(ctx context.Context, code string) (adminEditPage, Product, error) {
	p, err := h.store.ProductByCode(ctx, code)
	if err != nil {
		return adminEditPage{}, Product{}, err
	}
	versions, err := h.store.Versions(ctx, code)
	if err != nil {
		return adminEditPage{}, Product{}, err
	}
	statuses, err := h.store.StatusChanges(ctx, code)
	if err != nil {
		return adminEditPage{}, Product{}, err
	}
	return adminEditPage{Product: &p, Versions: versions, Statuses: statuses, RuleVariables: ruleVariableList(), Zone: h.zone}, p, nil
}

// inputProblems is checkInput's list of fields.
func inputProblems(in ProductInput) []ecrm.FieldError {
	return formProblems(checkInput(in))
}

// formProblems returns the fields of a validation error or a code
// conflict, nil for no error or any other.
func formProblems(err error) []ecrm.FieldError {
	var appErr *ecrm.Error
	if !errors.As(err, &appErr) {
		return nil
	}
	switch {
	case appErr.Code == ecrm.EINVALID && len(appErr.Fields) > 0:
		return appErr.Fields
	case appErr.Code == ecrm.EINVALID || appErr.Code == ecrm.ECONFLICT:
		return []ecrm.FieldError{{Field: cmp.Or(appErr.Field, "code"), Message: appErr.Message}}
	}
	return nil
}

// rulePreview is what a product's rules and target market say about one
// client, for the administrator writing them.
type rulePreview struct {
	ClientID int64
	Amount   ecrm.Money
	Months   int
	Rules    []ruleOutcome
	// TargetMarket lists what puts the client outside the target market.
	TargetMarket []Reason
	Eligible     bool
}

type ruleOutcome struct {
	ID         string
	Expression string
	Passed     bool
	Reason     string
}

// renderPreview tries the typed product on a client without saving it. A
// product that does not validate cannot be tried: its errors are shown.
func (h *Handler) renderPreview(w http.ResponseWriter, r *http.Request, staffID int64, data *adminEditPage, f productForm, in ProductInput, problems []ecrm.FieldError, isNew bool) error {
	l := i18n.FromContext(r.Context())
	data.PreviewClient = strings.TrimSpace(r.PostFormValue("preview_client"))
	data.PreviewAmount = strings.TrimSpace(r.PostFormValue("preview_amount"))
	data.PreviewMonths = strings.TrimSpace(r.PostFormValue("preview_months"))
	data.Form = f.view(l, isNew, problems)
	status := http.StatusUnprocessableEntity
	switch {
	case len(problems) > 0:
		data.PreviewError = l.T("products.editor.preview.fix_first")
	default:
		preview, msg, err := h.preview(r.Context(), in, data.PreviewClient, data.PreviewAmount, data.PreviewMonths, staffID, l)
		if err != nil {
			return err
		}
		data.Preview, data.PreviewError = preview, msg
		if preview != nil {
			status = http.StatusOK
		}
	}
	h.pages.Render(w, r, status, "products_admin_edit", *data)
	return nil
}

// preview evaluates the product's rules and target market for the client
// named by id or e-mail address, with the amount and term given (the
// product's minimums when left empty). Reading a client's profile is a
// staff access and is logged as one. msg is the problem with the inputs,
// in the reader's language, when there is one.
func (h *Handler) preview(ctx context.Context, in ProductInput, client, amountText, monthsText string, staffID int64, l *i18n.Localizer) (*rulePreview, string, error) {
	var clientID int64
	id, convErr := strconv.ParseInt(client, 10, 64)
	if convErr != nil {
		id = 0 // no client has id 0: the e-mail address decides
	}
	err := h.store.pool.QueryRow(ctx, `SELECT id FROM clients WHERE id = $1 OR lower(email) = lower($2) ORDER BY id LIMIT 1`,
		id, client).Scan(&clientID)
	if errors.Is(err, pgx.ErrNoRows) || client == "" {
		return nil, l.T("products.editor.preview.no_client"), nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("find the client to try the rules on: %w", err)
	}
	amount := in.Definition.MinAmount
	if in.Line == LineInsurance {
		amount = in.Definition.SumInsuredMin
	}
	if amountText != "" {
		d, ok := l.ParseAmount(amountText)
		if !ok || d.IsNegative() || d.GreaterThan(maxPrincipal) {
			return nil, l.T("products.editor.preview.bad_amount"), nil
		}
		amount = d
	}
	months := in.Definition.MinMonths
	if monthsText != "" {
		n, err := strconv.Atoi(monthsText)
		if err != nil || n < 0 || n > MaxLoanMonths {
			return nil, l.T("products.editor.preview.bad_months", MaxLoanMonths), nil
		}
		months = n
	}
	profile, err := LoadProfile(ctx, h.store.pool, clientID)
	if err != nil {
		return nil, "", err
	}
	const logView = `INSERT INTO staff_access_log (staff_id, client_id, resource, request_id, detail)
VALUES ($1, $2, 'rule_preview', nullif($3, ''), jsonb_build_object('product', $4::text))`
	if _, err := h.store.pool.Exec(ctx, logView, staffID, clientID, web.RequestIDFrom(ctx), in.Code); err != nil {
		return nil, "", fmt.Errorf("log the rule preview on client %d: %w", clientID, err)
	}
	req := MatchRequest{Amount: ecrm.Money{Amount: amount, Currency: in.Currency}, Months: months}
	compiled, err := compileRules(in.Rules)
	if err != nil {
		return nil, "", err
	}
	vars := newRuleVariables(profile, req)
	out := &rulePreview{ClientID: clientID, Amount: req.Amount, Months: months, Eligible: true}
	lang := l.Lang().String()
	for _, c := range compiled {
		passed := c.evaluate(vars)
		out.Rules = append(out.Rules, ruleOutcome{ID: c.ID, Expression: c.Expression, Passed: passed, Reason: c.Reason.In(lang)})
		out.Eligible = out.Eligible && passed
	}
	out.TargetMarket = TargetMarketReasons(in.Definition.TargetMarket, in.Definition.NegativeTargetMarket, in.RiskClass, profile, req, l)
	out.Eligible = out.Eligible && len(out.TargetMarket) == 0
	return out, "", nil
}
