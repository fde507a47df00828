package risk

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestVaRHandWorked: ten days of P&L −5, −3, −1, 0, 2, 4, 1, −2, 3, 1.
// Sorted: −5, −3, −2, −1, 0, 1, 1, 2, 3, 4.
//
//	historical 95 %: ⌈10 × 0.05⌉ = 1st worst day: 5; 80 %: ⌈2⌉ = 2nd: 3;
//	  10 days at 95 %: 5 √10 = 15.8113883…
//	parametric: μ = 0, σ = √(70 / 9) = 2.7888667551…; z₉₅ = 1.6448536270,
//	  z₉₉ = 2.3263478740: 95 % 4.5872775972, 99 % 6.4878742467,
//	  10 days at 95 % 4.5872775972 × √10 = 14.5062454667
func TestVaRHandWorked(t *testing.T) {
	pnl := []float64{-5, -3, -1, 0, 2, 4, 1, -2, 3, 1}
	for _, tt := range []struct {
		name      string
		f         func([]float64, float64, int) (float64, error)
		c         float64
		h         int
		want, tol float64
	}{
		{"historical 95%", HistoricalVaR, 0.95, 1, 5, 1e-12},
		{"historical 80%", HistoricalVaR, 0.80, 1, 3, 1e-12},
		{"historical 95% 10 days", HistoricalVaR, 0.95, 10, 5 * math.Sqrt(10), 1e-12},
		{"parametric 95%", ParametricVaR, 0.95, 1, 4.587277597232962, 1e-9},
		{"parametric 99%", ParametricVaR, 0.99, 1, 6.487874246741667, 1e-9},
		{"parametric 95% 10 days", ParametricVaR, 0.95, 10, 14.506245466720678, 1e-9},
	} {
		got, err := tt.f(pnl, tt.c, tt.h)
		if err != nil || math.Abs(got-tt.want) > tt.tol {
			t.Errorf("%s = %.12f, %v; want %.12f", tt.name, got, err, tt.want)
		}
	}
}

// TestHistoricalPnL: 1,000 in a share going 10 → 11 → 9.9 and 500 in a
// bond 100 → 100 → 102: day 1 1,000 × 10 % = 100; day 2 1,000 × (−10 %)
// + 500 × 2 % = −90.
func TestHistoricalPnL(t *testing.T) {
	pnl, err := HistoricalPnL([]float64{1000, 500}, [][]float64{{10, 11, 9.9}, {100, 100, 102}})
	if err != nil || len(pnl) != 2 || math.Abs(pnl[0]-100) > 1e-9 || math.Abs(pnl[1]+90) > 1e-9 {
		t.Errorf("P&L %v, %v", pnl, err)
	}
	for name, tt := range map[string]struct {
		values []float64
		prices [][]float64
		want   error
	}{
		"a price of zero":  {[]float64{1}, [][]float64{{1, 0, 1}}, ErrVaRPrices},
		"ragged days":      {[]float64{1, 1}, [][]float64{{1, 2, 3}, {1, 2}}, ErrVaRPrices},
		"values vs prices": {[]float64{1}, [][]float64{{1, 2, 3}, {1, 2, 3}}, ErrVaRPrices},
		"two days":         {[]float64{1}, [][]float64{{1, 2}}, ErrVaRHistory},
	} {
		if _, err := HistoricalPnL(tt.values, tt.prices); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", name, err, tt.want)
		}
	}
	for _, c := range []float64{0, 1, -0.5, math.NaN()} {
		if _, err := HistoricalVaR([]float64{1, 2}, c, 1); !errors.Is(err, ErrVaRConfidence) {
			t.Errorf("confidence %v: %v", c, err)
		}
	}
	if _, err := ParametricVaR([]float64{1, 2}, 0.95, 0); !errors.Is(err, ErrVaRHorizon) {
		t.Errorf("horizon 0: %v", err)
	}
}

// TestKthSmallest: the selection gives what sorting gives, for every k,
// with ties and repeated values, on a thousand random series.
func TestKthSmallest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		xs := make([]float64, 1+r.IntN(300))
		for i := range xs {
			xs[i] = math.Round(r.NormFloat64()*50) / 10
		}
		sorted := slices.Clone(xs)
		slices.Sort(sorted)
		for _, k := range []int{1, 2, 3, 1 + len(xs)/100, 1 + len(xs)/20, len(xs)/4 + 1, len(xs)} {
			k = min(k, len(xs))
			if got := kthSmallest(xs, k); got != sorted[k-1] {
				t.Fatalf("k = %d of %d: %v, want %v", k, len(xs), got, sorted[k-1])
			}
		}
	}
}

// BenchmarkHistoricalVaR50: three years of daily prices (756 days) of a
// 50-position portfolio to the P&L and both VaRs at 95 % and 99 %, 1 and 10
// days. Target: at most 20 ms.
func BenchmarkHistoricalVaR50(b *testing.B) {
	values := make([]float64, 50)
	prices := make([][]float64, 50)
	for i := range prices {
		values[i] = 1000 + float64(i)
		prices[i] = make([]float64, 756)
		p := 100.0
		for d := range prices[i] {
			p *= 1 + 0.01*math.Sin(float64(d*(i+1)))
			prices[i][d] = p
		}
	}
	for b.Loop() {
		pnl, err := HistoricalPnL(values, prices)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []float64{0.95, 0.99} {
			for _, h := range []int{1, 10} {
				if _, err := HistoricalVaR(pnl, c, h); err != nil {
					b.Fatal(err)
				}
				if _, err := ParametricVaR(pnl, c, h); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}
