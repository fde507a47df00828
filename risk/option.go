package risk

import (
	"errors"
	"math"
)

// European options under Black–Scholes–Merton with a continuous dividend
// yield (issue 15, item 8; the hedge suggestions price their puts with it).
// The model is a float64 one, as every closed-form pricer is: callers turn
// its results into decimals with the rounding they state (the calculator
// keeps 10 significant digits, money is rounded to the currency's minor
// units).

// OptionKind is a call or a put.
type OptionKind string

const (
	Call OptionKind = "call"
	Put  OptionKind = "put"
)

// OptionInput is one European option and its market.
type OptionInput struct {
	Kind OptionKind
	// Spot is the underlying's price, Strike the exercise price, both in
	// the same currency.
	Spot, Strike float64
	// Years is the time to expiry.
	Years float64
	// Rate is the continuously compounded risk-free rate, Dividend the
	// continuous dividend yield, Volatility the annualised volatility, all
	// as fractions (0.05 is 5 %).
	Rate, Dividend, Volatility float64
}

// OptionValue is the price and the Greeks, per unit of the underlying:
// Delta and Gamma per unit of spot, Vega per 1.00 of volatility, Theta per
// year, Rho per 1.00 of the rate (divide by 100 for "per point", Theta by
// 365 for "per day").
type OptionValue struct {
	Price, Delta, Gamma, Vega, Theta, Rho float64
}

// Option input errors name the field at fault.
var (
	ErrOptionKind       = errors.New("kind: must be call or put")
	ErrOptionSpot       = errors.New("spot: must be a price above zero")
	ErrOptionStrike     = errors.New("strike: must be a price above zero")
	ErrOptionYears      = errors.New("years: the time to expiry must be above zero")
	ErrOptionVolatility = errors.New("volatility: must be above zero")
	ErrOptionRate       = errors.New("rate: must be a finite number")
	ErrOptionDividend   = errors.New("dividend: must be a finite number")
)

// Validate names the first field that cannot be priced.
func (in OptionInput) Validate() error {
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case in.Kind != Call && in.Kind != Put:
		return ErrOptionKind
	case !finite(in.Spot) || in.Spot <= 0:
		return ErrOptionSpot
	case !finite(in.Strike) || in.Strike <= 0:
		return ErrOptionStrike
	case !finite(in.Years) || in.Years <= 0:
		return ErrOptionYears
	case !finite(in.Volatility) || in.Volatility <= 0:
		return ErrOptionVolatility
	case !finite(in.Rate):
		return ErrOptionRate
	case !finite(in.Dividend):
		return ErrOptionDividend
	}
	return nil
}

// normCDF is the standard normal distribution function, through erfc so
// that far tails keep their relative precision.
func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// normPDF is the standard normal density.
func normPDF(x float64) float64 { return math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi) }

// PriceOption prices a European option and its Greeks (Merton 1973):
//
//	d1 = (ln(S/K) + (r − q + σ²/2)T) / (σ√T),  d2 = d1 − σ√T
//	call = S e^(−qT) N(d1) − K e^(−rT) N(d2)
//	put  = K e^(−rT) N(−d2) − S e^(−qT) N(−d1)
func PriceOption(in OptionInput) (OptionValue, error) {
	if err := in.Validate(); err != nil {
		return OptionValue{}, err
	}
	s, k, t, r, q, v := in.Spot, in.Strike, in.Years, in.Rate, in.Dividend, in.Volatility
	sqrtT := math.Sqrt(t)
	d1 := (math.Log(s/k) + (r-q+0.5*v*v)*t) / (v * sqrtT)
	d2 := d1 - v*sqrtT
	dq, dr := math.Exp(-q*t), math.Exp(-r*t)
	pdf := normPDF(d1)
	out := OptionValue{
		Gamma: dq * pdf / (s * v * sqrtT),
		Vega:  s * dq * pdf * sqrtT,
	}
	decay := -s * dq * pdf * v / (2 * sqrtT)
	if in.Kind == Call {
		nd1, nd2 := normCDF(d1), normCDF(d2)
		out.Price = s*dq*nd1 - k*dr*nd2
		out.Delta = dq * nd1
		out.Theta = decay - r*k*dr*nd2 + q*s*dq*nd1
		out.Rho = k * t * dr * nd2
	} else {
		nd1, nd2 := normCDF(-d1), normCDF(-d2)
		out.Price = k*dr*nd2 - s*dq*nd1
		out.Delta = -dq * nd1
		out.Theta = decay + r*k*dr*nd2 - q*s*dq*nd1
		out.Rho = -k * t * dr * nd2
	}
	return out, nil
}
