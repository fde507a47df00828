package crosssell

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strconv"
)

// AUC is the area under the ROC curve computed as the rank statistic
// (Mann–Whitney U / (n₊ n₋)): the probability that a random yes scores
// above a random no. Tied scores take the mean of their ranks, so a tie
// between a yes and a no counts one half — the same as the trapezoid
// under the ROC curve, and 0.5 for a model that gives everyone the same
// score. It is NaN when either class is absent.
func AUC(scores []float64, labels []bool) float64 {
	return aucSorted(byScore(scores, labels))
}

// scored is one client's score and label, for sorting them together.
type scored struct {
	score float64
	yes   bool
}

// byScore returns the scores with their labels, lowest score first. The
// order among equal scores is left to the sort: AUC and Lift treat a
// group of ties as one (mean rank, share of the group), so they do not
// depend on it. One unstable sort of values, not a stable sort of
// indices through a closure: on the history's millions of training rows
// that was most of a family's time outside its fit.
func byScore(scores []float64, labels []bool) []scored {
	v := make([]scored, len(scores))
	for i, s := range scores {
		v[i] = scored{s, labels[i]}
	}
	slices.SortFunc(v, func(a, b scored) int { return cmp.Compare(a.score, b.score) })
	return v
}

func aucSorted(v []scored) float64 {
	n := len(v)
	var pos, rankSum float64
	for i := 0; i < n; {
		j := i
		for j < n && v[j].score == v[i].score {
			j++
		}
		mid := float64(i+1+j) / 2 // ranks i+1 … j share their mean
		for k := i; k < j; k++ {
			if v[k].yes {
				pos++
				rankSum += mid
			}
		}
		i = j
	}
	neg := float64(n) - pos
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// TopFraction is the share of clients a campaign would call: the top
// decile, where lift is measured.
const TopFraction = 0.1

// Lift is the rate of yes among the top fraction of clients by score,
// over the rate among all: how many times better than calling at random.
// The top holds ceil(fraction × n) clients; when the cut falls inside a
// group of tied scores, the group counts in proportion to the places it
// fills (what a random order within the tie would give on average), so a
// model with one score for everyone has lift exactly 1.
func Lift(scores []float64, labels []bool, fraction float64) float64 {
	if len(scores) == 0 {
		return math.NaN()
	}
	return liftSorted(byScore(scores, labels), fraction)
}

// liftSorted is Lift of clients sorted by byScore, read from the top.
func liftSorted(v []scored, fraction float64) float64 {
	n := len(v)
	k := int(math.Ceil(fraction*float64(n) - 1e-9)) // 0.1 × 30 is 3.0000000000000004 in floating point
	if n == 0 || k == 0 {
		return math.NaN()
	}
	var all, top float64
	for _, c := range v {
		if c.yes {
			all++
		}
	}
	if all == 0 {
		return math.NaN()
	}
	// i counts the clients taken from the top; v[n-1-i] is the next.
	for i := 0; i < k; {
		j := i
		var yes float64
		for j < n && v[n-1-j].score == v[n-1-i].score {
			if v[n-1-j].yes {
				yes++
			}
			j++
		}
		taken := min(j, k) - i
		top += yes * float64(taken) / float64(j-i)
		i = j
	}
	return (top / float64(k)) / (all / float64(n))
}

// Performance is how a model ranks one labelled set of clients.
type Performance struct {
	Rows      int     `json:"rows"`
	Positives int     `json:"positives"`
	AUC       float64 `json:"auc"`
	Lift      float64 `json:"lift_top_decile"`
}

func performance(scores []float64, labels []bool) Performance {
	v := byScore(scores, labels) // sorted once for both figures
	p := Performance{Rows: len(labels), AUC: aucSorted(v), Lift: liftSorted(v, TopFraction)}
	for _, y := range labels {
		if y {
			p.Positives++
		}
	}
	return p
}

// Baseline is the best single-column rule, the popularity baseline a
// learned model must beat to be worth its complexity. Everyone scored the
// same (the base rate, what "offer the most popular product" does within
// one product) has AUC 0.5 and lift 1 by construction, so it is printed
// but not computed; the stronger comparison is the column that alone
// ranks the training rows best, each client scored with the training
// take-up rate of her level (a categorical column) or of her interval
// (a numeric column: the model's intervals, the never value and empty
// fields each a group of their own). The column is chosen on the
// training rows and judged on the holdout, like the model.
type Baseline struct {
	Column string `json:"column"`
	Performance
}

// bestSingleColumn finds the baseline column and scores the holdout with it.
func bestSingleColumn(ds *Dataset, l *Layout, train, holdout []int) Baseline {
	var best Baseline
	bestTrainAUC := math.Inf(-1)
	trainLabels := pick(ds.Labels, train)
	for _, c := range l.Columns {
		if c.Cross != nil {
			continue // two columns: not a single-column rule
		}
		fc := ds.column(c.Name)
		group := func(i int) string { return groupOf(c, ds.Rows[i][fc]) }
		yes, all := map[string]float64{}, map[string]float64{}
		var baseYes float64
		for _, i := range train {
			g := group(i)
			all[g]++
			if ds.Labels[i] {
				yes[g]++
				baseYes++
			}
		}
		base := baseYes / float64(len(train))
		rate := func(i int) float64 {
			g := group(i)
			if all[g] == 0 {
				return base
			}
			return yes[g] / all[g]
		}
		ts := make([]float64, len(train))
		for k, i := range train {
			ts[k] = rate(i)
		}
		if a := AUC(ts, trainLabels); a > bestTrainAUC {
			bestTrainAUC = a
			hs := make([]float64, len(holdout))
			for k, i := range holdout {
				hs[k] = rate(i)
			}
			best = Baseline{Column: c.Name, Performance: performance(hs, pick(ds.Labels, holdout))}
		}
	}
	return best
}

// groupOf is the baseline's group of a value: the level, or the interval.
func groupOf(c Column, v string) string {
	if c.Kind == Categorical || v == "" {
		return v
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return v
	}
	if c.Never != nil && f == *c.Never {
		return "never"
	}
	return strconv.Itoa(sort.Search(len(c.Cuts), func(i int) bool { return c.Cuts[i] > f }))
}

func pick[T any](xs []T, idx []int) []T {
	out := make([]T, len(idx))
	for k, i := range idx {
		out[k] = xs[i]
	}
	return out
}

// stratifiedSplit holds out the given fraction of the yes rows and of the
// no rows, drawn with a seeded generator: the holdout has the file's base
// rate, and the same seed gives the same split on any machine.
func stratifiedSplit(labels []bool, fraction float64, seed uint64) (train, holdout []int) {
	var pos, neg []int
	for i, y := range labels {
		if y {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	r := newRand(seed)
	for _, class := range [][]int{pos, neg} {
		r.Shuffle(len(class), func(i, j int) { class[i], class[j] = class[j], class[i] })
		h := int(math.Round(fraction * float64(len(class))))
		holdout = append(holdout, class[:h]...)
		train = append(train, class[h:]...)
	}
	slices.Sort(train)
	slices.Sort(holdout)
	return train, holdout
}
