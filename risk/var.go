package risk

import (
	"errors"
	"math"
	"slices"
)

// Value at risk of a portfolio (issue 15, item 3): the loss, in the base
// currency, that the portfolio's P&L over the horizon is not expected to
// exceed with the given confidence. Both methods start from the same
// history: the daily P&L today's positions would have made on each past
// day (HistoricalPnL), so they are compared on the same data. The model
// is float64; callers round the results to money as they show them.

// Errors of the VaR inputs, naming what is wrong.
var (
	ErrVaRConfidence = errors.New("confidence: must be between 0 and 1, e.g. 0.95 or 0.99")
	ErrVaRHorizon    = errors.New("horizon: must be at least one day")
	ErrVaRHistory    = errors.New("history: at least two daily P&L figures are needed")
	ErrVaRPrices     = errors.New("prices: every position needs a price above zero on every day, the same days for all")
)

// HistoricalPnL is the daily P&L that positions worth values today (base
// currency) would have made over the history of their prices: on day t,
// Σᵢ valueᵢ × (priceᵢ,t / priceᵢ,t−1 − 1). prices[i] are position i's
// daily closes in its own currency, oldest first, on the same days as
// every other position's; the P&L has one figure fewer than the days.
func HistoricalPnL(values []float64, prices [][]float64) ([]float64, error) {
	if len(values) != len(prices) || len(prices) == 0 {
		return nil, ErrVaRPrices
	}
	days := len(prices[0])
	for _, p := range prices {
		if len(p) != days || slices.ContainsFunc(p, func(x float64) bool { return !(x > 0) || math.IsInf(x, 0) }) {
			return nil, ErrVaRPrices
		}
	}
	if days < 3 {
		return nil, ErrVaRHistory
	}
	pnl := make([]float64, days-1)
	for i, v := range values {
		p := prices[i]
		for t := 1; t < days; t++ {
			pnl[t-1] += v * (p[t]/p[t-1] - 1)
		}
	}
	return pnl, nil
}

func checkVaR(pnl []float64, confidence float64, horizon int) error {
	switch {
	case !(confidence > 0 && confidence < 1):
		return ErrVaRConfidence
	case horizon < 1:
		return ErrVaRHorizon
	case len(pnl) < 2:
		return ErrVaRHistory
	}
	return nil
}

// HistoricalVaR is the loss at the empirical quantile of the daily P&L:
// the ⌈n(1 − confidence)⌉-th worst day of n (the conservative order
// statistic, no interpolation), scaled to the horizon by √horizon — the
// square-root-of-time rule, which assumes independent days. A history
// whose worst days are gains gives a negative VaR (a gain at that
// confidence).
func HistoricalVaR(pnl []float64, confidence float64, horizon int) (float64, error) {
	if err := checkVaR(pnl, confidence, horizon); err != nil {
		return 0, err
	}
	// 1e-9 keeps n(1 − c) = 2.0000000000000004 the second worst day.
	k := int(math.Ceil(float64(len(pnl))*(1-confidence) - 1e-9))
	k = min(max(k, 1), len(pnl))
	return -kthSmallest(pnl, k) * math.Sqrt(float64(horizon)), nil
}

// kthSmallest is the k-th smallest of xs (1-based), as sorting a copy and
// taking element k − 1 would give, without sorting: the k smallest so far
// are kept in order and each value is compared with the largest of them
// (at 99 % over three years k is 8 of 784 days, so almost every value is
// one comparison). The risk page asks this of every position.
func kthSmallest(xs []float64, k int) float64 {
	if k > len(xs)/4 {
		sorted := slices.Clone(xs)
		slices.Sort(sorted)
		return sorted[k-1]
	}
	low := make([]float64, 0, k)
	for _, x := range xs {
		if len(low) == k {
			if !(x < low[k-1]) {
				continue
			}
			low = low[:k-1]
		}
		i, _ := slices.BinarySearch(low, x)
		low = slices.Insert(low, i, x)
	}
	return low[k-1]
}

// ParametricVaR assumes normally distributed daily P&L with the history's
// mean μ and sample standard deviation σ: over h days, z σ √h − μ h, z the
// standard normal quantile of the confidence.
func ParametricVaR(pnl []float64, confidence float64, horizon int) (float64, error) {
	if err := checkVaR(pnl, confidence, horizon); err != nil {
		return 0, err
	}
	n := float64(len(pnl))
	var mean float64
	for _, x := range pnl {
		mean += x
	}
	mean /= n
	var ss float64
	for _, x := range pnl {
		ss += (x - mean) * (x - mean)
	}
	sigma := math.Sqrt(ss / (n - 1))
	z := math.Sqrt2 * math.Erfinv(2*confidence-1)
	h := float64(horizon)
	return z*sigma*math.Sqrt(h) - mean*h, nil
}
