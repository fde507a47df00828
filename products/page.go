package products

import (
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/web"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Templates holds the products pages (*.html at its root), to be passed to
// page.New.
var Templates = func() fs.FS {
	sub, err := fs.Sub(templateFiles, "templates")
	if err != nil {
		panic(err)
	}
	return sub
}()

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
}

// fieldAnchors maps request fields to the form's input ids.
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
		req, problems := data.Form.request(data.Prospect)
		if len(problems) == 0 {
			res, err := h.engine.Match(r.Context(), principal, req, i18n.FromContext(r.Context()))
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
				web.Logger(r.Context()).Error("match page failed", "error", err.Error())
				h.pages.RenderError(w, r, web.ErrorStatus(err), "", "", web.RequestIDFrom(r.Context()))
				return
			}
		}
		for _, p := range problems {
			data.Errors = append(data.Errors, pageError{Anchor: fieldAnchors[p.Field], Message: p.Field + ": " + p.Message})
		}
	}
	status := http.StatusOK
	if len(data.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	h.pages.Render(w, r, status, "products_match", data)
}

// request turns the form into a MatchRequest. Amounts may be typed the
// Romanian way ("20.000,50") or the English way ("20,000.50").
func (f matchForm) request(prospect bool) (MatchRequest, []ecrm.FieldError) {
	var problems []ecrm.FieldError
	req := MatchRequest{Goal: f.Goal, Purpose: f.Purpose}
	amount, ok := parseAmount(f.Amount)
	if !ok {
		problems = append(problems, ecrm.FieldError{Field: "amount", Message: "must be a number such as 20000 or 20000.50"})
	}
	req.Amount = ecrm.Money{Amount: amount, Currency: f.Currency}
	months, err := strconv.Atoi(strings.TrimSpace(f.Months))
	if err != nil {
		problems = append(problems, ecrm.FieldError{Field: "months", Message: "must be a whole number of months"})
	}
	req.Months = months
	if f.RiskTolerance != "" {
		if req.RiskTolerance, err = strconv.Atoi(f.RiskTolerance); err != nil {
			problems = append(problems, ecrm.FieldError{Field: "risk_tolerance", Message: "must be between 1 (lowest) and 7 (highest)"})
		}
	}
	if prospect {
		req.Profile = &ProspectProfile{ResidenceCountry: "RO"}
		if f.Age != "" {
			if req.Profile.Age, err = strconv.Atoi(f.Age); err != nil {
				problems = append(problems, ecrm.FieldError{Field: "profile.age", Message: "must be a whole number of years"})
			}
		}
		if f.Income != "" {
			income, ok := parseAmount(f.Income)
			if !ok {
				problems = append(problems, ecrm.FieldError{Field: "profile.annual_income", Message: "must be a number such as 36000"})
			}
			req.Profile.AnnualIncome = &ecrm.Money{Amount: income, Currency: f.Currency}
		}
	}
	return req, problems
}

// parseAmount reads "20000", "20 000", "20,000.50" or "20.000,50": the last
// of "." and "," is the decimal separator when it is followed by one or two
// digits; any other "." or "," groups thousands.
func parseAmount(s string) (decimal.Decimal, bool) {
	s = strings.NewReplacer(" ", "", "\u00a0", "").Replace(strings.TrimSpace(s))
	if s == "" {
		return decimal.Decimal{}, false
	}
	if i := strings.LastIndexAny(s, ".,"); i >= 0 && len(s)-i-1 <= 2 {
		s = strings.NewReplacer(".", "", ",", "").Replace(s[:i]) + "." + s[i+1:]
	} else {
		s = strings.NewReplacer(".", "", ",", "").Replace(s)
	}
	d, err := decimal.NewFromString(s)
	return d, err == nil
}
