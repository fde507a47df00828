package demodata

import (
	"math"
	"math/rand/v2"
)

// stream names one independent random sequence per theme. Every client (or
// household, instrument, staff member) draws each theme from its own PCG
// stream seeded by (Seed, stream, index), so a table's rows for one client
// are regenerated without replaying anything else, and adding a draw to one
// theme never shifts the numbers of another.
type stream uint64

const (
	streamHousehold stream = iota + 1
	streamProfile
	streamContactDetails
	streamCredit
	streamCreditHistory
	streamAccounts
	streamBanking
	streamBrokerage
	streamInsurance
	streamPremiums
	streamClaims
	streamInteractions
	streamConsents
	streamStaff
	streamMarket
	streamSuitability
	streamObjections
	streamTrades
	streamMarketData
)

// splitmix64 is the finaliser of Vigna's SplitMix64: it spreads nearby
// inputs (client 1, client 2, ...) over the whole 64-bit range, so PCG
// states of neighbouring clients are unrelated.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// randSource is a reusable PCG generator: reseeding it costs nothing and
// allocates nothing, which matters at tens of millions of reseeds.
type randSource struct {
	pcg rand.PCG
	r   *rand.Rand
}

func newRandSource() *randSource {
	s := &randSource{}
	s.r = rand.New(&s.pcg)
	return s
}

// at reseeds the source for (seed, stream, index) and returns it.
func (s *randSource) at(seed int64, st stream, index uint64) *rand.Rand {
	s.pcg.Seed(splitmix64(uint64(seed)^splitmix64(uint64(st))), splitmix64(index^uint64(st)<<56))
	return s.r
}

func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// between returns a uniform integer in [lo, hi].
func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// logNormal draws exp(N(ln median, sigma²)): incomes, balances and claim
// sizes are right-skewed and strictly positive, which a log-normal captures
// with two readable parameters (median and spread).
func logNormal(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

// poisson draws a Poisson count (Knuth's method; fine for the small means
// used here).
func poisson(r *rand.Rand, mean float64) int {
	limit := math.Exp(-mean)
	k, p := 0, r.Float64()
	for p > limit {
		k++
		p *= r.Float64()
	}
	return k
}

// weights is a discrete distribution over indexes 0..n-1.
type weights []float64

// pick draws an index with probability proportional to its weight.
func (w weights) pick(r *rand.Rand) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	u := r.Float64() * total
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

// choice is a weighted list of values.
type choice[T any] struct {
	values  []T
	weights weights
}

func (c choice[T]) pick(r *rand.Rand) T { return c.values[c.weights.pick(r)] }

// oneOf picks uniformly.
func oneOf[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// roundTo rounds a positive float amount to a whole multiple of step minor
// units (for example 100 = whole lei) and returns minor units. Amounts are
// drawn as floats from the distributions, then fixed as integers here, once.
func roundTo(x float64, step int64) int64 {
	if x <= 0 {
		return 0
	}
	return int64(math.Round(x/float64(step))) * step
}

func clampInt(x, lo, hi int) int {
	return max(lo, min(hi, x))
}
