package products

import (
	"context"
	"embed"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Templates holds the products pages (*.html at its root), to be passed to
// page.New.
var Templates = page.TemplateDir(templateFiles)

type matchForm struct {
	Goal, Amount, Currency, Months, Purpose, RiskTolerance, Age, Income string
}

type pageError struct {
	Anchor  string
	Message string
}

type matchPage struct {
	Form       matchForm
	Goals      []string
	Currencies []string
	Purposes   []string
	Prospect   bool
	Result     *MatchResult
	Errors     []pageError
	// FieldErrors are the messages shown at the inputs, by input
	// (fieldAnchors), in the page's language.
	FieldErrors map[string]string
}

// fieldAnchors maps request fields to the form's inputs: each input's id
// is "match-" and the anchor. Fields the form has no input for are shown
// above the form only.
var fieldAnchors = map[string]string{
	"goal": "goal", "amount": "amount", "amount.amount": "amount", "amount.currency": "currency", "months": "months",
	"purpose": "purpose", "risk_tolerance": "risk", "profile.age": "age", "profile.annual_income": "income",
	"profile.annual_income.amount": "income",
}

// showMatchPage is the portal's short matching form. It is a GET form: it
// only reads, so the query string carries the request and the result can be
// bookmarked or reloaded without a resubmission prompt.
func (h *Handler) showMatchPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	principal := ecrm.PrincipalFrom(r.Context())
	data := matchPage{
		Form: matchForm{Goal: q.Get("goal"), Amount: q.Get("amount"), Currency: q.Get("currency"), Months: q.Get("months"),
			Purpose: q.Get("purpose"), RiskTolerance: q.Get("risk_tolerance"), Age: q.Get("age"), Income: q.Get("income")},
		Goals:      []string{GoalBorrow, GoalDeposit, GoalInvest, GoalInsure},
		Currencies: []string{"EUR", "RON"},
		Purposes:   []string{"", "personal", "car", "home", "education"},
		Prospect:   !principal.IsClient(),
	}
	if data.Form.Goal == "" {
		data.Form.Goal = GoalBorrow
	}
	if data.Form.Currency == "" {
		data.Form.Currency = "EUR"
	}
	if data.Form.Amount != "" || data.Form.Months != "" {
		req, problems := data.Form.request(data.Prospect, i18n.FromContext(r.Context()))
		if len(problems) == 0 {
			res, err := h.gatedMatch(r.Context(), principal, "web", req, i18n.FromContext(r.Context()))
			var appErr *ecrm.Error
			switch {
			case err == nil:
				data.Result = &res
			case errors.As(err, &appErr) && appErr.Code == ecrm.EINVALID:
				problems = appErr.Fields
				if len(problems) == 0 {
					problems = []ecrm.FieldError{{Field: "amount", Message: appErr.Message}}
				}
			default:
				h.pages.RenderError(w, r, web.Fail(w, r, err, "match page failed"), "", "", web.RequestIDFrom(r.Context()))
				return
			}
		}
		data.Errors, data.FieldErrors = h.matchErrors(r.Context(), data.Form, data.Currencies, problems)
	}
	status := http.StatusOK
	if len(data.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	h.pages.Render(w, r, status, "products_match", data)
}

// request turns the form into a MatchRequest. Amounts may be typed the
// Romanian way ("20.000,50") or the English way ("20,000.50"). A problem
// names only the field: the page says what the input accepts
// (matchMessage), in the page's language.
func (f matchForm) request(prospect bool, l *i18n.Localizer) (MatchRequest, []ecrm.FieldError) {
	var problems []ecrm.FieldError
	req := MatchRequest{Goal: f.Goal, Purpose: f.Purpose}
	amount, ok := l.ParseAmount(f.Amount)
	if !ok {
		problems = append(problems, ecrm.FieldError{Field: "amount"})
	}
	req.Amount = ecrm.Money{Amount: amount, Currency: f.Currency}
	months, err := strconv.Atoi(strings.TrimSpace(f.Months))
	if err != nil {
		problems = append(problems, ecrm.FieldError{Field: "months"})
	}
	req.Months = months
	if f.RiskTolerance != "" {
		if req.RiskTolerance, err = strconv.Atoi(f.RiskTolerance); err != nil {
			problems = append(problems, ecrm.FieldError{Field: "risk_tolerance"})
		}
	}
	if prospect {
		req.Profile = &ProspectProfile{ResidenceCountry: "RO"}
		if f.Age != "" {
			if req.Profile.Age, err = strconv.Atoi(f.Age); err != nil {
				problems = append(problems, ecrm.FieldError{Field: "profile.age"})
			}
		}
		if f.Income != "" {
			income, ok := l.ParseAmount(f.Income)
			if !ok {
				problems = append(problems, ecrm.FieldError{Field: "profile.annual_income"})
			}
			req.Profile.AnnualIncome = &ecrm.Money{Amount: income, Currency: f.Currency}
		}
	}
	return req, problems
}

// matchInputs are the form's inputs in the order the form shows them.
var matchInputs = []string{"goal", "amount", "currency", "months", "purpose", "risk", "age", "income"}

// matchErrors puts each problem at its input with a message in the page's
// language, and returns the summary shown above the form (in the form's
// order, then what no input can fix) and the messages by input.
func (h *Handler) matchErrors(ctx context.Context, f matchForm, currencies []string, problems []ecrm.FieldError) ([]pageError, map[string]string) {
	l := i18n.FromContext(ctx)
	var offered goalRange
	if cat, err := h.engine.Catalogue(ctx); err == nil {
		offered = cat.goalRange(f.Goal, f.Currency)
	}
	atInput := map[string]string{}
	elsewhere := false
	for _, p := range problems {
		input, ok := fieldAnchors[p.Field]
		if !ok {
			elsewhere = true
			continue
		}
		if _, done := atInput[input]; !done {
			atInput[input] = matchMessage(l, input, f, offered, currencies)
		}
	}
	var summary []pageError
	for _, input := range matchInputs {
		if msg, ok := atInput[input]; ok {
			summary = append(summary, pageError{Anchor: input, Message: msg})
		}
	}
	if elsewhere {
		summary = append(summary, pageError{Message: l.T("products.match.error.other")})
	}
	return summary, atInput
}

// matchMessage is the message shown at an input: what it accepts, with the
// amounts and terms the catalogue offers for the goal in the currency when
// it offers any, and the currencies it offers the goal in.
func matchMessage(l *i18n.Localizer, input string, f matchForm, offered goalRange, currencies []string) string {
	if len(offered.currencies) > 0 {
		currencies = offered.currencies
	}
	switch input {
	case "goal":
		return l.T("products.match.error.goal")
	case "amount":
		if !offered.found {
			return l.T("products.match.error.amount", l.Decimal(maxPrincipal, 0))
		}
		hi := offered.maxAmount
		if hi.IsZero() {
			hi = maxPrincipal
		}
		return l.T("products.match.error.amount_range",
			l.Money(ecrm.Money{Amount: offered.minAmount, Currency: f.Currency}), l.Money(ecrm.Money{Amount: hi, Currency: f.Currency}))
	case "currency":
		return l.T("products.match.error.currency", strings.Join(currencies, ", "))
	case "months":
		if !offered.found {
			return l.T("products.match.error.months", 1, MaxLoanMonths)
		}
		return l.T("products.match.error.months", offered.minMonths, offered.maxMonths)
	case "purpose":
		return l.T("products.match.error.purpose")
	case "risk":
		return l.T("products.match.error.risk")
	case "age":
		return l.T("products.match.error.age")
	default: // income
		return l.T("products.match.error.income", l.Decimal(maxPrincipal, 0))
	}
}
