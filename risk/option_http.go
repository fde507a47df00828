package risk

import (
	_ "embed"
	"errors"
	"math"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/web"
)

// The option calculator's API (issue 15, item 8): public like the loan
// and deposit calculators, for prospects as much as clients.

// OpenAPI documents the risk package's API routes.
//
//go:embed openapi.json
var OpenAPI []byte

// CalculatorRoutes registers POST /api/v1/calculators/option.
func CalculatorRoutes(r chi.Router) {
	r.Post("/api/v1/calculators/option", calculateOption)
}

// optionRequest is the body: numbers as decimal strings (or JSON
// numbers), rates and volatility as fractions.
type optionRequest struct {
	Kind       string          `json:"kind"`
	Spot       decimal.Decimal `json:"spot"`
	Strike     decimal.Decimal `json:"strike"`
	Years      decimal.Decimal `json:"years"`
	Rate       decimal.Decimal `json:"rate"`
	Dividend   decimal.Decimal `json:"dividend"`
	Volatility decimal.Decimal `json:"volatility"`
}

// optionResult is the answer, every figure a decimal string of 10
// significant digits.
type optionResult struct {
	Kind  string `json:"kind"`
	Price string `json:"price"`
	Delta string `json:"delta"`
	Gamma string `json:"gamma"`
	Vega  string `json:"vega"`
	Theta string `json:"theta"`
	Rho   string `json:"rho"`
	Units string `json:"units"`
}

// significant writes x as a plain decimal rounded half away from zero to
// 10 significant digits (the model is float64: beyond that the digits
// say nothing).
func significant(x float64) string {
	if x == 0 {
		return "0"
	}
	places := int32(9 - int(math.Floor(math.Log10(math.Abs(x)))))
	return decimal.NewFromFloat(x).Round(places).String()
}

func calculateOption(w http.ResponseWriter, r *http.Request) {
	var req optionRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		web.Problem(w, r, err)
		return
	}
	f := func(d decimal.Decimal) float64 { v, _ := d.Float64(); return v }
	in := OptionInput{Kind: OptionKind(req.Kind), Spot: f(req.Spot), Strike: f(req.Strike), Years: f(req.Years),
		Rate: f(req.Rate), Dividend: f(req.Dividend), Volatility: f(req.Volatility)}
	v, err := PriceOption(in)
	if err != nil {
		web.Problem(w, r, fieldError(err))
		return
	}
	web.WriteJSON(w, http.StatusOK, optionResult{Kind: req.Kind, Price: significant(v.Price), Delta: significant(v.Delta),
		Gamma: significant(v.Gamma), Vega: significant(v.Vega), Theta: significant(v.Theta), Rho: significant(v.Rho),
		Units: "per unit of the underlying; vega per 1.00 of volatility, theta per year, rho per 1.00 of the rate"})
}

// fieldError turns an option input error ("spot: must be …") into the
// field error problem+json names.
func fieldError(err error) error {
	for _, known := range []error{ErrOptionKind, ErrOptionSpot, ErrOptionStrike, ErrOptionYears, ErrOptionVolatility, ErrOptionRate, ErrOptionDividend} {
		if errors.Is(err, known) {
			field, msg, _ := strings.Cut(known.Error(), ": ")
			return ecrm.FieldErrorf(field, "%s", msg)
		}
	}
	return err
}
