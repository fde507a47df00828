package products

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// The calculator pages are GET forms: they only read, so the query string
// carries the request, results show on submit without JavaScript, and a
// calculation can be bookmarked or reloaded. Amounts are typed in the page
// language's format ("20.000,50" in Romanian, "20,000.50" in English); rates
// are percentages ("6,5" or "6.5" is 6.5 % a year).

// ActionCalculatorOpen is the portal action recorded when a logged-in client
// opens a calculator, with the calculator ("loan", "deposit") as target. The
// portal's quick actions count it (selfservice.ActionCalculatorOpen).
const ActionCalculatorOpen = "calculator.open"

// calculatorCurrencies are the currencies the forms offer; the API accepts
// every currency ecrm.CurrencyMinorUnits knows.
var calculatorCurrencies = []string{"EUR", "RON", "USD"}

// calcInput is one form control with its label, hint and error.
// calcInput and calcOption are the shared page form field.
type (
	calcInput  = page.FormField
	calcOption = page.FormOption
)

// options lists values for a select. A selected value that is not among
// them (a currency typed into the URL) is listed too, so the form shows
// what was asked for and the message at the field explains it.
func options(values []string, selected, labelPrefix string) []calcOption {
	if selected != "" && labelPrefix == "" && !slices.Contains(values, selected) {
		values = append(slices.Clip(values), selected)
	}
	opts := make([]calcOption, len(values))
	for i, v := range values {
		opts[i] = calcOption{Value: v, Selected: v == selected}
		if labelPrefix != "" {
			opts[i].LabelKey = labelPrefix + v
		} else {
			opts[i].Label = v
		}
	}
	return opts
}

type loanForm struct {
	Amount, Currency, Months, Rate, Repayment, UpfrontFee, MonthlyFee, FirstPaymentDate string
}

type loanRow struct {
	Instalment
	Due time.Time
}

type loanCalculatorPage struct {
	Inputs []calcInput
	Errors []pageError
	Result *LoanSchedule
	Dated  bool
	Rows   []loanRow
}

type depositForm struct {
	Amount, Currency, Term, TermUnit, Rate, Capitalisation, TaxRate string
}

type depositCalculatorPage struct {
	Inputs []calcInput
	Errors []pageError
	Result *DepositResult
}

// loanFieldInputs and depositFieldInputs map the fields a validation error
// names to the form's inputs.
var (
	loanFieldInputs = map[string]string{
		"principal.amount": "amount", "principal.currency": "currency", "months": "months",
		"nominal_annual_rate": "rate", "repayment": "repayment",
		"upfront_fee.amount": "upfront_fee", "upfront_fee.currency": "upfront_fee",
		"monthly_fee.amount": "monthly_fee", "monthly_fee.currency": "monthly_fee",
		"first_payment_date": "first_payment_date",
	}
	depositFieldInputs = map[string]string{
		"principal.amount": "amount", "principal.currency": "currency", "months": "term", "days": "term",
		"nominal_annual_rate": "rate", "capitalisation": "capitalisation", "withholding_tax_rate": "tax_rate",
	}
)

// showLoanCalculatorPage is the portal's loan calculator.
func (h *Handler) showLoanCalculatorPage(w http.ResponseWriter, r *http.Request) {
	h.recordCalculatorOpen(r.Context(), "loan")
	q := r.URL.Query()
	f := loanForm{Amount: q.Get("amount"), Currency: q.Get("currency"), Months: q.Get("months"), Rate: q.Get("rate"),
		Repayment: q.Get("repayment"), UpfrontFee: q.Get("upfront_fee"), MonthlyFee: q.Get("monthly_fee"),
		FirstPaymentDate: q.Get("first_payment_date")}
	if f.Currency == "" {
		f.Currency = "EUR"
	}
	if f.Repayment == "" {
		f.Repayment = string(AnnuityRepayment)
	}
	l := i18n.FromContext(r.Context())
	var data loanCalculatorPage
	fieldErrors := map[string]string{}
	if f.Amount != "" || f.Months != "" || f.Rate != "" || q.Get("submitted") != "" {
		req, problems := f.request(l)
		// Every field's problem in one round: the terms are checked even
		// when some field did not parse (its parse error comes first).
		problems = append(problems, validationProblems(req.Validate())...)
		if len(problems) == 0 {
			s, err := CalculateLoan(req)
			if problems = validationProblems(err); problems == nil && err != nil {
				h.calculatorFailed(w, r, err)
				return
			}
			if err == nil {
				data.Result = &s
				data.Dated = req.FirstPaymentDate != ""
				data.Rows = make([]loanRow, len(s.Instalments))
				for i, in := range s.Instalments {
					data.Rows[i].Instalment = in
					data.Rows[i].Due, _ = time.Parse(dateLayout, in.DueDate)
				}
			}
		}
		for _, p := range problems {
			input := loanFieldInputs[p.Field]
			if input == "" {
				input = "amount"
			}
			if _, done := fieldErrors[input]; !done {
				fieldErrors[input] = calculatorMessage(l, input, f.Currency, MinLoanMonths, MaxLoanMonths)
			}
		}
	}
	data.Inputs = []calcInput{
		{ID: "loan-amount", Name: "amount", LabelKey: "products.calc.amount", HintKey: "products.calc.amount_hint", Value: f.Amount, InputMode: "decimal", MaxLength: 20},
		{ID: "loan-currency", Name: "currency", LabelKey: "products.calc.currency", Value: f.Currency, Options: options(calculatorCurrencies, f.Currency, "")},
		{ID: "loan-months", Name: "months", LabelKey: "products.calc.loan.months", Value: f.Months, InputMode: "numeric", MaxLength: 3},
		{ID: "loan-rate", Name: "rate", LabelKey: "products.calc.loan.rate", HintKey: "products.calc.rate_hint", Value: f.Rate, InputMode: "decimal", MaxLength: 12},
		{ID: "loan-repayment", Name: "repayment", LabelKey: "products.calc.loan.repayment", Value: f.Repayment,
			Options: options([]string{string(AnnuityRepayment), string(LinearRepayment)}, f.Repayment, "products.calc.repayment.")},
		{ID: "loan-upfront_fee", Name: "upfront_fee", LabelKey: "products.calc.loan.upfront_fee", HintKey: "products.calc.fee_hint", Value: f.UpfrontFee, InputMode: "decimal", MaxLength: 20},
		{ID: "loan-monthly_fee", Name: "monthly_fee", LabelKey: "products.calc.loan.monthly_fee", HintKey: "products.calc.fee_hint", Value: f.MonthlyFee, InputMode: "decimal", MaxLength: 20},
		{ID: "loan-first_payment_date", Name: "first_payment_date", LabelKey: "products.calc.loan.first_payment_date", HintKey: "products.calc.date_hint", Value: f.FirstPaymentDate, MaxLength: 10},
	}
	data.Errors = attachErrors(data.Inputs, fieldErrors)
	h.renderCalculator(w, r, "calculator_loan", data, len(data.Errors) > 0)
}

// showDepositCalculatorPage is the portal's deposit calculator.
func (h *Handler) showDepositCalculatorPage(w http.ResponseWriter, r *http.Request) {
	h.recordCalculatorOpen(r.Context(), "deposit")
	q := r.URL.Query()
	f := depositForm{Amount: q.Get("amount"), Currency: q.Get("currency"), Term: q.Get("term"), TermUnit: q.Get("term_unit"),
		Rate: q.Get("rate"), Capitalisation: q.Get("capitalisation"), TaxRate: q.Get("tax_rate")}
	if f.Currency == "" {
		f.Currency = "EUR"
	}
	if f.TermUnit != "days" {
		f.TermUnit = "months"
	}
	if f.Capitalisation == "" {
		f.Capitalisation = string(CapitaliseAtMaturity)
	}
	l := i18n.FromContext(r.Context())
	var data depositCalculatorPage
	fieldErrors := map[string]string{}
	if f.Amount != "" || f.Term != "" || f.Rate != "" || q.Get("submitted") != "" {
		req, problems := f.request(l)
		problems = append(problems, validationProblems(req.Validate())...)
		if len(problems) == 0 {
			res, err := CalculateDeposit(req)
			if problems = validationProblems(err); problems == nil && err != nil {
				h.calculatorFailed(w, r, err)
				return
			}
			if err == nil {
				data.Result = &res
			}
		}
		for _, p := range problems {
			input := depositFieldInputs[p.Field]
			if input == "" {
				input = "amount"
			}
			if input == "term" && f.TermUnit == "days" {
				input = "term_days"
			}
			if _, done := fieldErrors[input]; !done {
				fieldErrors[input] = calculatorMessage(l, input, f.Currency, MinDepositMonths, MaxDepositMonths)
			}
		}
		if msg, ok := fieldErrors["term_days"]; ok {
			delete(fieldErrors, "term_days")
			fieldErrors["term"] = msg
		}
	}
	caps := []string{string(CapitaliseAtMaturity), string(CapitaliseMonthly), string(CapitaliseQuarterly), string(CapitaliseAnnually)}
	data.Inputs = []calcInput{
		{ID: "deposit-amount", Name: "amount", LabelKey: "products.calc.amount", HintKey: "products.calc.amount_hint", Value: f.Amount, InputMode: "decimal", MaxLength: 20},
		{ID: "deposit-currency", Name: "currency", LabelKey: "products.calc.currency", Value: f.Currency, Options: options(calculatorCurrencies, f.Currency, "")},
		{ID: "deposit-term", Name: "term", LabelKey: "products.calc.deposit.term", Value: f.Term, InputMode: "numeric", MaxLength: 4},
		{ID: "deposit-term_unit", Name: "term_unit", LabelKey: "products.calc.deposit.term_unit", Value: f.TermUnit,
			Options: options([]string{"months", "days"}, f.TermUnit, "products.calc.term_unit.")},
		{ID: "deposit-rate", Name: "rate", LabelKey: "products.calc.deposit.rate", HintKey: "products.calc.rate_hint", Value: f.Rate, InputMode: "decimal", MaxLength: 12},
		{ID: "deposit-capitalisation", Name: "capitalisation", LabelKey: "products.calc.deposit.capitalisation", Value: f.Capitalisation,
			Options: options(caps, f.Capitalisation, "products.calc.capitalisation.")},
		{ID: "deposit-tax_rate", Name: "tax_rate", LabelKey: "products.calc.deposit.tax_rate", HintKey: "products.calc.tax_hint", Value: f.TaxRate, InputMode: "decimal", MaxLength: 12},
	}
	data.Errors = attachErrors(data.Inputs, fieldErrors)
	h.renderCalculator(w, r, "calculator_deposit", data, len(data.Errors) > 0)
}

// attachErrors puts each message at its input and returns the summary
// shown above the form, in the form's order.
func attachErrors(inputs []calcInput, fieldErrors map[string]string) []pageError {
	var summary []pageError
	for i := range inputs {
		if msg, ok := fieldErrors[inputs[i].Name]; ok {
			inputs[i].Error = msg
			summary = append(summary, pageError{Anchor: inputs[i].ID, Message: msg})
		}
	}
	return summary
}

func (h *Handler) renderCalculator(w http.ResponseWriter, r *http.Request, name string, data any, invalid bool) {
	status := http.StatusOK
	if invalid {
		status = http.StatusUnprocessableEntity
	}
	h.pages.Render(w, r, status, name, data)
}

func (h *Handler) calculatorFailed(w http.ResponseWriter, r *http.Request, err error) {
	h.pages.RenderError(w, r, web.Fail(w, r, err, "calculator page failed"), "", "", web.RequestIDFrom(r.Context()))
}

// validationProblems returns the fields of an EINVALID error, nil for any
// other error or none.
func validationProblems(err error) []ecrm.FieldError {
	var e *ecrm.Error
	if !errors.As(err, &e) || e.Code != ecrm.EINVALID {
		return nil
	}
	if len(e.Fields) == 0 {
		return []ecrm.FieldError{{Field: e.Field, Message: e.Message}}
	}
	return e.Fields
}

// calculatorMessage is the message shown at an input: what the input
// accepts, in the page's language, with the allowed range.
func calculatorMessage(l *i18n.Localizer, input, currency string, minMonths, maxMonths int) string {
	units, ok := ecrm.CurrencyMinorUnits(currency)
	if !ok {
		units = 2
	}
	switch input {
	case "amount":
		return l.T("products.calc.error.amount", l.Decimal(maxPrincipal, 0), int(units))
	case "currency":
		return l.T("products.calc.error.currency", strings.Join(calculatorCurrencies, ", "))
	case "months", "term":
		return l.T("products.calc.error.months", minMonths, maxMonths)
	case "term_days":
		return l.T("products.calc.error.days", MinDepositDays, MaxDepositDays)
	case "rate":
		return l.T("products.calc.error.rate", MaxRateDecimalPlaces-2)
	case "tax_rate":
		return l.T("products.calc.error.tax_rate", MaxRateDecimalPlaces-2)
	case "repayment":
		return l.T("products.calc.error.repayment")
	case "capitalisation":
		return l.T("products.calc.error.capitalisation")
	case "upfront_fee":
		return l.T("products.calc.error.upfront_fee", int(units))
	case "monthly_fee":
		return l.T("products.calc.error.monthly_fee", int(units))
	default: // first_payment_date
		return l.T("products.calc.error.date")
	}
}

func (f loanForm) request(l *i18n.Localizer) (LoanRequest, []ecrm.FieldError) {
	var problems []ecrm.FieldError
	bad := func(field string) { problems = append(problems, ecrm.FieldError{Field: field}) }
	req := LoanRequest{Repayment: RepaymentMethod(f.Repayment), FirstPaymentDate: strings.TrimSpace(f.FirstPaymentDate)}
	amount, ok := l.ParseAmount(f.Amount)
	if !ok {
		bad("principal.amount")
	}
	req.Principal = ecrm.Money{Amount: amount, Currency: f.Currency}
	months, err := strconv.Atoi(strings.TrimSpace(f.Months))
	if err != nil {
		bad("months")
	}
	req.Months = months
	if req.NominalAnnualRate, ok = parsePercent(f.Rate); !ok {
		bad("nominal_annual_rate")
	}
	if strings.TrimSpace(f.UpfrontFee) != "" {
		fee, ok := l.ParseAmount(f.UpfrontFee)
		if !ok {
			bad("upfront_fee.amount")
		}
		req.UpfrontFee = ecrm.Money{Amount: fee, Currency: f.Currency}
	}
	if strings.TrimSpace(f.MonthlyFee) != "" {
		fee, ok := l.ParseAmount(f.MonthlyFee)
		if !ok {
			bad("monthly_fee.amount")
		}
		req.MonthlyFee = ecrm.Money{Amount: fee, Currency: f.Currency}
	}
	return req, problems
}

func (f depositForm) request(l *i18n.Localizer) (DepositRequest, []ecrm.FieldError) {
	var problems []ecrm.FieldError
	bad := func(field string) { problems = append(problems, ecrm.FieldError{Field: field}) }
	req := DepositRequest{Capitalisation: Capitalisation(f.Capitalisation)}
	amount, ok := l.ParseAmount(f.Amount)
	if !ok {
		bad("principal.amount")
	}
	req.Principal = ecrm.Money{Amount: amount, Currency: f.Currency}
	term, err := strconv.Atoi(strings.TrimSpace(f.Term))
	switch {
	case err != nil || term <= 0:
		bad("months")
	case f.TermUnit == "days":
		req.Days = term
	default:
		req.Months = term
	}
	if req.NominalAnnualRate, ok = parsePercent(f.Rate); !ok {
		bad("nominal_annual_rate")
	}
	if strings.TrimSpace(f.TaxRate) != "" {
		if req.WithholdingTaxRate, ok = parsePercent(f.TaxRate); !ok {
			bad("withholding_tax_rate")
		}
	}
	return req, problems
}

// parsePercent reads a rate typed as a percentage, with "." or "," as the
// decimal separator and an optional "%", and returns it as a fraction.
func parsePercent(s string) (decimal.Decimal, bool) {
	s = strings.NewReplacer(" ", "", "\u00a0", "", "%", "").Replace(strings.TrimSpace(s))
	s = strings.Replace(s, ",", ".", 1)
	if !isDecimalNumber(s) {
		return decimal.Decimal{}, false
	}
	d, err := ecrm.ParseDecimal(s)
	return d.Shift(-2), err == nil
}

// isDecimalNumber reports whether s is digits with at most one ".", and a
// leading "-" (so that a negative amount is named by validation with the
// range, not refused as unreadable).
func isDecimalNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	digits := 0
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && strings.IndexByte(s[i+1:], '.') < 0:
		default:
			return false
		}
	}
	return digits > 0
}

const insertCalculatorOpenSQL = `
INSERT INTO portal_actions (client_id, action, target, occurred_at)
VALUES ($1, $2, $3, now())`

// recordCalculatorOpen records a logged-in client's visit to a calculator,
// which orders their quick actions. A failure is logged, not shown: the
// calculator works without it.
func (h *Handler) recordCalculatorOpen(ctx context.Context, calculator string) {
	p := ecrm.PrincipalFrom(ctx)
	if !p.IsClient() || h.store.pool == nil {
		return
	}
	if _, err := h.store.pool.Exec(ctx, insertCalculatorOpenSQL, p.ClientID, ActionCalculatorOpen, calculator); err != nil {
		web.Logger(ctx).Error("record calculator visit", "client_id", p.ClientID, "calculator", calculator, "error", err.Error())
	}
}

// compareColumn is one product of the comparison form.
type compareColumn struct {
	Number int
	Inputs []calcInput
}

type comparePage struct {
	Kind    string // "loan" or "deposit"
	Action  string
	Inputs  []calcInput // shared by every product: amount, currency, ...
	Columns []compareColumn
	Errors  []pageError
	Headers []int // the form column of each product compared
	Rows    []compareRow
}

// compareRow is one figure of every product compared, formatted.
type compareRow struct {
	LabelKey string
	Cells    []compareCell
}

type compareCell struct {
	Text    string
	BestKey string // set on the best product of the row
}

// showLoanComparePage compares up to MaxCompared loans of one amount side
// by side; each column has its own term, rate and fees.
func (h *Handler) showLoanComparePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	l := i18n.FromContext(r.Context())
	currency := q.Get("currency")
	if currency == "" {
		currency = "EUR"
	}
	data := comparePage{Kind: "loan", Action: "/portal/calculators/loan/compare"}
	forms := make([]loanForm, MaxCompared)
	var reqs []LoanRequest
	var problems []ecrm.FieldError
	for i := range forms {
		n := strconv.Itoa(i + 1)
		f := loanForm{Amount: q.Get("amount"), Currency: currency, Repayment: string(AnnuityRepayment),
			Months: q.Get("months" + n), Rate: q.Get("rate" + n), UpfrontFee: q.Get("upfront_fee" + n), MonthlyFee: q.Get("monthly_fee" + n)}
		forms[i] = f
		data.Columns = append(data.Columns, compareColumn{Number: i + 1, Inputs: []calcInput{
			{ID: "compare-months" + n, Name: "months" + n, LabelKey: "products.calc.loan.months", Value: f.Months, InputMode: "numeric", MaxLength: 3},
			{ID: "compare-rate" + n, Name: "rate" + n, LabelKey: "products.calc.loan.rate", Value: f.Rate, InputMode: "decimal", MaxLength: 12},
			{ID: "compare-upfront_fee" + n, Name: "upfront_fee" + n, LabelKey: "products.calc.loan.upfront_fee", Value: f.UpfrontFee, InputMode: "decimal", MaxLength: 20},
			{ID: "compare-monthly_fee" + n, Name: "monthly_fee" + n, LabelKey: "products.calc.loan.monthly_fee", Value: f.MonthlyFee, InputMode: "decimal", MaxLength: 20},
		}})
		if f.Months == "" && f.Rate == "" {
			continue // an empty column
		}
		req, p := f.request(l)
		problems = append(problems, prefixed(p, len(reqs), "loans")...)
		reqs = append(reqs, req)
	}
	columns := filledColumns(len(forms), func(i int) bool { return forms[i].Months != "" || forms[i].Rate != "" })
	if len(reqs) > 0 && len(problems) == 0 {
		c, err := CompareLoans(reqs)
		if problems = validationProblems(err); problems == nil && err != nil {
			h.calculatorFailed(w, r, err)
			return
		}
		if err == nil {
			data.Headers = columns
			data.Rows = loanComparisonRows(l, c)
		}
	}
	h.renderComparison(w, r, &data, problems, comparisonSpec{
		list: "loans", columns: columns, fieldInputs: loanFieldInputs, currency: currency,
		minMonths: MinLoanMonths, maxMonths: MaxLoanMonths, shared: map[string]bool{"amount": true, "currency": true},
	})
}

// showDepositComparePage compares up to MaxCompared deposits of one amount
// side by side; each column has its own term, rate and capitalisation.
func (h *Handler) showDepositComparePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	l := i18n.FromContext(r.Context())
	currency := q.Get("currency")
	if currency == "" {
		currency = "EUR"
	}
	data := comparePage{Kind: "deposit", Action: "/portal/calculators/deposit/compare"}
	forms := make([]depositForm, MaxCompared)
	var reqs []DepositRequest
	var problems []ecrm.FieldError
	caps := []string{string(CapitaliseAtMaturity), string(CapitaliseMonthly), string(CapitaliseQuarterly), string(CapitaliseAnnually)}
	for i := range forms {
		n := strconv.Itoa(i + 1)
		f := depositForm{Amount: q.Get("amount"), Currency: currency, TermUnit: "months", TaxRate: q.Get("tax_rate"),
			Term: q.Get("term" + n), Rate: q.Get("rate" + n), Capitalisation: q.Get("capitalisation" + n)}
		if f.Capitalisation == "" {
			f.Capitalisation = string(CapitaliseAtMaturity)
		}
		forms[i] = f
		data.Columns = append(data.Columns, compareColumn{Number: i + 1, Inputs: []calcInput{
			{ID: "compare-term" + n, Name: "term" + n, LabelKey: "products.calc.deposit.term_months", Value: f.Term, InputMode: "numeric", MaxLength: 3},
			{ID: "compare-rate" + n, Name: "rate" + n, LabelKey: "products.calc.deposit.rate", Value: f.Rate, InputMode: "decimal", MaxLength: 12},
			{ID: "compare-capitalisation" + n, Name: "capitalisation" + n, LabelKey: "products.calc.deposit.capitalisation", Value: f.Capitalisation,
				Options: options(caps, f.Capitalisation, "products.calc.capitalisation.")},
		}})
		if f.Term == "" && f.Rate == "" {
			continue
		}
		req, p := f.request(l)
		problems = append(problems, prefixed(p, len(reqs), "deposits")...)
		reqs = append(reqs, req)
	}
	columns := filledColumns(len(forms), func(i int) bool { return forms[i].Term != "" || forms[i].Rate != "" })
	if len(reqs) > 0 && len(problems) == 0 {
		c, err := CompareDeposits(reqs)
		if problems = validationProblems(err); problems == nil && err != nil {
			h.calculatorFailed(w, r, err)
			return
		}
		if err == nil {
			data.Headers = columns
			data.Rows = depositComparisonRows(l, c)
		}
	}
	taxRate := calcInput{ID: "compare-tax_rate", Name: "tax_rate", LabelKey: "products.calc.deposit.tax_rate", HintKey: "products.calc.tax_hint", Value: r.URL.Query().Get("tax_rate"), InputMode: "decimal", MaxLength: 12}
	h.renderComparison(w, r, &data, problems, comparisonSpec{
		list: "deposits", columns: columns, fieldInputs: depositFieldInputs, currency: currency,
		minMonths: MinDepositMonths, maxMonths: MaxDepositMonths, shared: map[string]bool{"amount": true, "currency": true, "tax_rate": true},
		extraInputs: []calcInput{taxRate},
	})
}

// comparisonSpec is what differs between the loan and deposit comparison
// pages when their problems are put at the fields.
type comparisonSpec struct {
	list                 string            // "loans" or "deposits", as the calculators name fields
	columns              []int             // the form column of each compared product
	fieldInputs          map[string]string // calculator field → form input
	currency             string
	minMonths, maxMonths int
	shared               map[string]bool // inputs common to all columns (no column number)
	extraInputs          []calcInput     // shared inputs after amount and currency
}

// renderComparison puts each problem at its form field (the first message
// per field wins), builds the shared inputs and renders the page.
func (h *Handler) renderComparison(w http.ResponseWriter, r *http.Request, data *comparePage, problems []ecrm.FieldError, spec comparisonSpec) {
	l := i18n.FromContext(r.Context())
	fieldErrors := map[string]string{}
	for _, p := range problems {
		base, column := comparedField(p.Field, spec.list, spec.columns)
		input := spec.fieldInputs[base]
		if input == "" {
			input = "amount"
		}
		msg := calculatorMessage(l, input, spec.currency, spec.minMonths, spec.maxMonths)
		if !spec.shared[input] {
			input += strconv.Itoa(column)
		}
		if _, done := fieldErrors[input]; !done {
			fieldErrors[input] = msg
		}
	}
	data.Inputs = append([]calcInput{
		{ID: "compare-amount", Name: "amount", LabelKey: "products.calc.amount", HintKey: "products.calc.amount_hint", Value: r.URL.Query().Get("amount"), InputMode: "decimal", MaxLength: 20},
		{ID: "compare-currency", Name: "currency", LabelKey: "products.calc.currency", Value: spec.currency, Options: options(calculatorCurrencies, spec.currency, "")},
	}, spec.extraInputs...)
	data.Errors = attachErrors(data.Inputs, fieldErrors)
	for i := range data.Columns {
		data.Errors = append(data.Errors, attachErrors(data.Columns[i].Inputs, fieldErrors)...)
	}
	h.renderCalculator(w, r, "calculator_compare", data, len(data.Errors) > 0)
}

// prefixed names a form's problems the way CompareLoans and
// CompareDeposits do ("loans[1].months").
func prefixed(problems []ecrm.FieldError, index int, list string) []ecrm.FieldError {
	out := make([]ecrm.FieldError, len(problems))
	for i, p := range problems {
		out[i] = ecrm.FieldError{Field: list + "[" + strconv.Itoa(index) + "]." + p.Field, Message: p.Message}
	}
	return out
}

// filledColumns returns the 1-based form column of each compared product,
// in order: empty columns are not compared.
func filledColumns(n int, filled func(int) bool) []int {
	var cols []int
	for i := range n {
		if filled(i) {
			cols = append(cols, i+1)
		}
	}
	return cols
}

// comparedField splits "loans[1].months" into "months" and the form column
// of the product at index 1.
func comparedField(field, list string, columns []int) (string, int) {
	rest, ok := strings.CutPrefix(field, list+"[")
	if !ok {
		return field, 1
	}
	idx, base, ok := strings.Cut(rest, "].")
	i, err := strconv.Atoi(idx)
	if !ok || err != nil || i < 0 || i >= len(columns) {
		return base, 1
	}
	return base, columns[i]
}

// ratePercent shows a rate as a percentage with as many places as it has,
// at least two: 0.06125 is "6.125%".
func ratePercent(l *i18n.Localizer, rate decimal.Decimal) string {
	return l.Percent(rate, max(2, -rate.Shift(2).Exponent()))
}

func loanComparisonRows(l *i18n.Localizer, c LoanComparison) []compareRow {
	row := func(key string, best int, bestKey string, text func(LoanSchedule) string) compareRow {
		r := compareRow{LabelKey: key}
		for i, s := range c.Loans {
			cell := compareCell{Text: text(s)}
			if i == best {
				cell.BestKey = bestKey
			}
			r.Cells = append(r.Cells, cell)
		}
		return r
	}
	return []compareRow{
		row("products.calc.compare.term", -1, "", func(s LoanSchedule) string { return l.T("products.calc.deposit.months_n", s.Months) }),
		row("products.calc.compare.rate", -1, "", func(s LoanSchedule) string { return ratePercent(l, s.NominalAnnualRate) }),
		row("products.calc.loan.monthly_payment", -1, "", func(s LoanSchedule) string { return l.Money(s.MonthlyPayment) }),
		row("products.calc.loan.apr", c.LowestAPR, "products.calc.compare.lowest", func(s LoanSchedule) string { return l.Percent(s.APR, 2) }),
		row("products.calc.loan.total_interest", -1, "", func(s LoanSchedule) string { return l.Money(s.TotalInterest) }),
		row("products.calc.loan.total_fees", -1, "", func(s LoanSchedule) string { return l.Money(s.TotalFees) }),
		row("products.calc.loan.total_cost", c.LowestTotalCost, "products.calc.compare.lowest", func(s LoanSchedule) string { return l.Money(s.TotalCost) }),
		row("products.calc.loan.total_payable", -1, "", func(s LoanSchedule) string { return l.Money(s.TotalPayable) }),
	}
}

func depositComparisonRows(l *i18n.Localizer, c DepositComparison) []compareRow {
	row := func(key string, best int, bestKey string, text func(DepositResult) string) compareRow {
		r := compareRow{LabelKey: key}
		for i, d := range c.Deposits {
			cell := compareCell{Text: text(d)}
			if i == best {
				cell.BestKey = bestKey
			}
			r.Cells = append(r.Cells, cell)
		}
		return r
	}
	return []compareRow{
		row("products.calc.compare.term", -1, "", func(d DepositResult) string { return l.T("products.calc.deposit.months_n", d.Months) }),
		row("products.calc.compare.rate", -1, "", func(d DepositResult) string { return ratePercent(l, d.NominalAnnualRate) }),
		row("products.calc.deposit.capitalisation", -1, "", func(d DepositResult) string { return l.T("products.calc.capitalisation." + string(d.Capitalisation)) }),
		row("products.calc.deposit.gross_interest", -1, "", func(d DepositResult) string { return l.Money(d.GrossInterest) }),
		row("products.calc.deposit.tax", -1, "", func(d DepositResult) string { return l.Money(d.Tax) }),
		row("products.calc.deposit.net_interest", c.HighestNetInterest, "products.calc.compare.highest", func(d DepositResult) string { return l.Money(d.NetInterest) }),
		row("products.calc.deposit.value_at_maturity", -1, "", func(d DepositResult) string { return l.Money(d.ValueAtMaturity) }),
		row("products.calc.deposit.aer", -1, "", func(d DepositResult) string { return l.Percent(d.AnnualEquivalentRate, 2) }),
		row("products.calc.deposit.net_aer", c.HighestNetAER, "products.calc.compare.highest", func(d DepositResult) string { return l.Percent(d.NetAnnualEquivalentRate, 2) }),
	}
}
