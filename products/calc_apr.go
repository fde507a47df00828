package products

import (
	"math"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// CreditFlow is one amount that changes hands under a credit agreement: a
// drawdown paid to the consumer, or a repayment or charge paid by the
// consumer. Its time since the first drawdown is counted as Annex I remark
// (c) of the Consumer Credit Directive allows: whole equal months, each
// 1/12 of a year (30.41666 days), plus days, each 1/365 of a year.
type CreditFlow struct {
	Months int             `json:"months"`
	Days   int             `json:"days"`
	Amount decimal.Decimal `json:"amount"`
}

// years is the flow's time in years and fractions of a year.
func (f CreditFlow) years() float64 {
	return float64(f.Months)/12 + float64(f.Days)/365
}

// APRPlaces is the number of decimal places of an APR returned as a
// fraction: 4 places is 0.01 %, one more place than Annex I remark (d) of
// the directive requires ("an accuracy of at least one decimal place").
const APRPlaces = 4

// AnnualPercentageRate returns the annual percentage rate of charge X that
// solves the basic equation of Directive 2008/48/EC, Annex I, kept
// unchanged by Directive (EU) 2023/2225, Annex III:
//
//	Σ_k C_k (1+X)^−t_k = Σ_l D_l (1+X)^−s_l
//
// where C_k are the drawdowns, D_l the repayments and payments of charges,
// and t_k, s_l their times in years since the first drawdown. X is returned
// as a fraction rounded half up to 4 decimal places (0.1296 is 12.96 %),
// the rounding remark (d) prescribes ("if the figure at the following
// decimal place is greater than or equal to 5, the figure at that
// particular decimal place shall be increased by one").
//
// The equation has no closed form, so it is solved in float64 with
// Newton's method kept inside a bisection bracket, to 10^-12 in ln(1+X);
// only the rounded result leaves this function. An error (EINVALID) means
// there is nothing to solve: no drawdown, no repayment, a negative amount,
// or flows for which no rate balances the equation.
func AnnualPercentageRate(drawdowns, repayments []CreditFlow) (decimal.Decimal, error) {
	in, err := timedAmounts(drawdowns)
	if err != nil {
		return decimal.Decimal{}, err
	}
	out, err := timedAmounts(repayments)
	if err != nil {
		return decimal.Decimal{}, err
	}
	if len(in) == 0 || len(out) == 0 {
		return decimal.Decimal{}, ecrm.Errorf(ecrm.EINVALID, "the APR needs at least one drawdown and one repayment")
	}
	x, err := solveAPR(in, out)
	if err != nil {
		return decimal.Decimal{}, err
	}
	return roundAPR(x), nil
}

// roundAPR rounds the solver's result half away from zero (half up, for
// the positive rates of real loans) to APRPlaces.
func roundAPR(x float64) decimal.Decimal {
	return decimal.NewFromFloat(x).Round(APRPlaces)
}

// timedAmount is a CreditFlow converted for the solver.
type timedAmount struct{ years, amount float64 }

func timedAmounts(flows []CreditFlow) ([]timedAmount, error) {
	out := make([]timedAmount, 0, len(flows))
	for _, f := range flows {
		if f.Amount.IsNegative() || f.Months < 0 || f.Days < 0 {
			return nil, ecrm.Errorf(ecrm.EINVALID, "APR flows must have non-negative amounts and times")
		}
		if f.Amount.IsZero() {
			continue
		}
		out = append(out, timedAmount{years: f.years(), amount: f.Amount.InexactFloat64()})
	}
	return out, nil
}

// presentBalance returns S(y) = Σ C e^(−t·y) − Σ D e^(−s·y), the equation of
// remark (e) written in y = ln(1+X), and its derivative dS/dy. Working in y
// keeps the domain X > −1 unbounded and turns powers into exponentials.
func presentBalance(y float64, drawdowns, repayments []timedAmount) (s, ds float64) {
	for _, c := range drawdowns {
		e := c.amount * math.Exp(-c.years*y)
		s += e
		ds -= c.years * e
	}
	for _, d := range repayments {
		e := d.amount * math.Exp(-d.years*y)
		s -= e
		ds += d.years * e
	}
	return s, ds
}

// Solver limits: y = ln(1+X) is searched in [minLogRate, maxLogRate], that
// is X from −99.99 % to about e^700, and the answer is accepted once the
// bracket or the Newton step is below logRateTolerance.
const (
	minLogRate       = -10
	maxLogRate       = 700
	logRateTolerance = 1e-12
	maxIterations    = 200
)

// errNoRate is solveAPR's error when no rate balances the flows; it is
// made only then, not on every call.
func errNoRate() error {
	return ecrm.Errorf(ecrm.EINVALID, "no annual percentage rate balances these drawdowns and repayments")
}

// solveAPR finds X with S(ln(1+X)) = 0. It brackets the root by doubling
// away from X = 0, then takes Newton steps, falling back to bisection
// whenever a step would leave the bracket, so it always converges.
func solveAPR(drawdowns, repayments []timedAmount) (float64, error) {
	s0, ds0 := presentBalance(0, drawdowns, repayments)
	if s0 == 0 {
		return 0, nil
	}
	// For a loan repaid after it is drawn, S rises with y: more paid back
	// than lent (S(0) < 0) means a positive rate.
	lo, hi := 0.0, 0.0
	sLo, sHi := s0, s0
	step := 1.0
	for (sLo < 0) == (sHi < 0) {
		if s0 < 0 {
			hi = math.Min(hi+step, maxLogRate)
			sHi, _ = presentBalance(hi, drawdowns, repayments)
			if hi == maxLogRate && sHi < 0 {
				return 0, errNoRate()
			}
		} else {
			lo = math.Max(lo-step, minLogRate)
			sLo, _ = presentBalance(lo, drawdowns, repayments)
			if lo == minLogRate && sLo > 0 {
				return 0, errNoRate()
			}
		}
		if math.IsNaN(sLo) || math.IsNaN(sHi) {
			return 0, errNoRate()
		}
		step *= 2
	}
	// Newton from X = 0, which is one end of the bracket. For the usual
	// loan (one drawdown, then repayments) S is increasing and concave, so
	// from below the root Newton's steps never overshoot and converge in a
	// handful of iterations; bisection guarantees progress otherwise.
	y := 0.0
	for i := range maxIterations {
		s, ds := s0, ds0 // S and dS/dy at y = 0, computed above
		if i > 0 {
			s, ds = presentBalance(y, drawdowns, repayments)
		}
		if s == 0 {
			return math.Expm1(y), nil
		}
		if (s < 0) == (sLo < 0) {
			lo, sLo = y, s
		} else {
			hi = y
		}
		next := y - s/ds
		if ds == 0 || math.IsNaN(next) || next <= lo || next >= hi {
			next = lo + (hi-lo)/2
		}
		if math.Abs(next-y) < logRateTolerance || hi-lo < logRateTolerance {
			return math.Expm1(next), nil
		}
		y = next
	}
	return 0, errNoRate()
}
