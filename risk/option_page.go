package risk

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
)

// OptionCalculatorPage is /portal/calculators/option, beside the loan and
// deposit calculators: the form is read with the reader's separators,
// rates and volatility entered as percentages; a field that cannot be
// priced is named at the field.
type OptionCalculatorPage struct{ pages *page.Renderer }

// NewOptionCalculatorPage renders with pages (built with Templates).
func NewOptionCalculatorPage(pages *page.Renderer) *OptionCalculatorPage {
	return &OptionCalculatorPage{pages: pages}
}

// Routes registers the page; it is public, as the other calculators are.
func (h *OptionCalculatorPage) Routes(r chi.Router) {
	r.Get("/portal/calculators/option", h.show)
}

type optionPage struct {
	Path   string
	Fields []page.FormField
	Errors []optionError
	Result *optionFigures
}

type optionError struct{ Anchor, Message string }

// optionFigures are the results in the reader's format.
type optionFigures struct {
	Price, Delta, Gamma, VegaPoint, ThetaDay, RhoPoint string
}

// optionFields are the form's inputs, in order: name, label key, default.
var optionFields = []struct{ name, def string }{
	{"spot", "100"}, {"strike", "95"}, {"years", "0.5"}, {"rate", "5"}, {"dividend", "0"}, {"volatility", "20"},
}

func (h *OptionCalculatorPage) show(w http.ResponseWriter, r *http.Request) {
	l := i18n.FromContext(r.Context())
	q := r.URL.Query()
	data := optionPage{Path: r.URL.Path}
	kind := q.Get("kind")
	if kind == "" {
		kind = string(Put)
	}
	data.Fields = append(data.Fields, page.FormField{Name: "kind", ID: "option-kind", LabelKey: "risk.option.kind", Options: []page.FormOption{
		{Value: string(Call), LabelKey: "risk.option.call", Selected: kind == string(Call)},
		{Value: string(Put), LabelKey: "risk.option.put", Selected: kind == string(Put)}}})
	values := map[string]float64{}
	errs := map[string]string{}
	submitted := q.Get("submitted") != ""
	for _, f := range optionFields {
		text := q.Get(f.name)
		if !submitted && text == "" {
			text = l.Decimal(decimal.RequireFromString(f.def), int32(max(0, -decimal.RequireFromString(f.def).Exponent())))
		}
		if d, ok := l.ParseAmount(text); ok {
			v, _ := d.Float64()
			switch f.name {
			case "rate", "dividend", "volatility":
				v /= 100 // entered as percentages
			}
			values[f.name] = v
		} else {
			errs[f.name] = l.T("risk.option.error.number")
		}
		data.Fields = append(data.Fields, page.FormField{Name: f.name, ID: "option-" + f.name, LabelKey: "risk.option." + f.name,
			HintKey: "risk.option." + f.name + "_hint", InputMode: "decimal", Value: text})
	}
	if submitted && len(errs) == 0 {
		v, err := PriceOption(OptionInput{Kind: OptionKind(kind), Spot: values["spot"], Strike: values["strike"], Years: values["years"],
			Rate: values["rate"], Dividend: values["dividend"], Volatility: values["volatility"]})
		if err != nil {
			field := fieldOf(err)
			errs[field] = l.T("risk.option.error." + field)
		} else {
			sig := func(x float64) string {
				d, _ := decimal.NewFromString(significant(x))
				return l.Decimal(d, max(0, -d.Exponent()))
			}
			data.Result = &optionFigures{Price: sig(v.Price), Delta: sig(v.Delta), Gamma: sig(v.Gamma),
				VegaPoint: sig(v.Vega / 100), ThetaDay: sig(v.Theta / 365), RhoPoint: sig(v.Rho / 100)}
		}
	}
	for i := range data.Fields {
		if msg, ok := errs[data.Fields[i].Name]; ok {
			data.Fields[i].Error = msg
			data.Errors = append(data.Errors, optionError{Anchor: data.Fields[i].ID, Message: msg})
		}
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	h.pages.Render(w, r, status, "risk_option_calculator", data)
}

// fieldOf is the field an option input error names.
func fieldOf(err error) string {
	for field, known := range map[string]error{"kind": ErrOptionKind, "spot": ErrOptionSpot, "strike": ErrOptionStrike, "years": ErrOptionYears,
		"volatility": ErrOptionVolatility, "rate": ErrOptionRate, "dividend": ErrOptionDividend} {
		if err == known {
			return field
		}
	}
	return ""
}
