package crosssell

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"
)

// This file answers issue 14, item 7, "fairness before activation": for a
// model version, how its offers and their acceptance fall on groups of
// clients (age band, segment) of its holdout, stored with the version and
// shown beside the active version's before an operator activates it.
//
// What "offered" means. A propensity model does not decide alone; a
// campaign calls, and the portal shows first, the clients it scores
// highest. The figures take the same cut as the lift: a client of the
// holdout is offered when her score is in the top decile of the whole
// holdout (TopFraction), that is at or above the score of the ⌈n/10⌉-th
// highest-scored client — the holdout's 90th-percentile score. Clients
// tied at that score are all offered (nothing tells them apart), so a
// tie at the cut can make the offered share a little more than a tenth.
//
//   - offer rate of a group: its offered clients ÷ its clients;
//   - acceptance rate: its offered clients who took the product up
//     (y = 1, a take-up in the 90 days) ÷ its offered clients — undefined
//     (null) when none was offered;
//   - base take-up rate: its clients who took the product up ÷ its
//     clients, with or without an offer: what the group would accept if
//     offered at random.
//
// The four-fifths rule. US employment law's rule of thumb for adverse
// impact (29 CFR 1607.4(D)) holds a selection rate below four fifths of
// the reference rate as evidence of disparate impact; regulators of
// consumer finance read offer and approval rates the same way. Here the
// reference is the overall offer rate of the holdout, and a group is
// flagged when its offer rate is below 4/5 of it ("below": the group is
// passed over) or the overall rate is below 4/5 of the group's (more than
// 5/4 of it, "above": an offer of credit or insurance pushed at one group
// is as much a question for compliance as one withheld). The test is done
// on the counts, in integers, so a ratio of exactly 4/5 is not flagged.
// A flag is not a verdict: the model may be right that one age band takes
// a mortgage up more; activating a version with a flagged group asks the
// operator to say why (Activate's reason), and the console keeps it.

// Fairness is a model's offers per group of its holdout's clients.
type Fairness struct {
	// Rule says in words what an offer is, for a reader of the stored row.
	Rule string `json:"offer_rule"`
	// Cut is the score at and above which a client is offered.
	Cut     float64        `json:"score_cut"`
	Overall GroupFigures   `json:"overall"`
	Groups  []GroupFigures `json:"groups"`
}

// GroupFigures are one group's counts and rates on the holdout.
type GroupFigures struct {
	// Dimension is "age_band" or "segment"; empty for the whole holdout.
	Dimension string `json:"dimension,omitempty"`
	// Group is the age band (AgeBands) or the segment's value.
	Group    string `json:"group,omitempty"`
	Rows     int    `json:"rows"`
	TakeUps  int    `json:"take_ups"`
	Offered  int    `json:"offered"`
	Accepted int    `json:"accepted"` // offered and took it up
	// OfferRate is Offered / Rows; AcceptanceRate Accepted / Offered (nil
	// when none was offered); BaseRate TakeUps / Rows.
	OfferRate      float64  `json:"offer_rate"`
	AcceptanceRate *float64 `json:"acceptance_rate"`
	BaseRate       float64  `json:"base_rate"`
	// OfferRatio is the group's offer rate over the overall one.
	OfferRatio float64 `json:"offer_ratio"`
	// FourFifths is FlagBelow or FlagAbove when the group fails the
	// four-fifths rule, empty otherwise.
	FourFifths string `json:"four_fifths,omitempty"`
}

// The two ways a group fails the four-fifths rule.
const (
	FlagBelow = "below" // offer rate below 4/5 of the overall
	FlagAbove = "above" // overall offer rate below 4/5 of the group's
)

// Dimensions of the fairness groups.
const (
	DimensionAgeBand = "age_band"
	DimensionSegment = "segment"
)

// AgeBands name the bands of ageBand, in age order, then "unknown" for a
// client whose age is not known (the compliance statistics use the same
// names).
var AgeBands = []string{"under_25", "25_34", "35_44", "45_54", "55_64", "65_plus", "unknown"}

// unknownGroup is the group of an empty segment or age.
const unknownGroup = "unknown"

// OfferRule is Fairness.Rule.
const OfferRule = "offered: scored in the top decile of the holdout (score at or above the ⌈n/10⌉-th highest, ties at the cut all offered)"

func ageBandName(age float64) string { return AgeBands[ageBand(float32(age))] }

// Flagged names the groups that fail the four-fifths rule, as
// "dimension=group".
func (f *Fairness) Flagged() []string {
	if f == nil {
		return nil
	}
	var out []string
	for _, g := range f.Groups {
		if g.FourFifths != "" {
			out = append(out, g.Dimension+"="+g.Group)
		}
	}
	return out
}

// Group returns the figures of one group, nil when the holdout had none of
// its clients.
func (f *Fairness) Group(dimension, group string) *GroupFigures {
	if f == nil {
		return nil
	}
	for i := range f.Groups {
		if f.Groups[i].Dimension == dimension && f.Groups[i].Group == group {
			return &f.Groups[i]
		}
	}
	return nil
}

// groupColumn is one dimension's group of every holdout row.
type groupColumn struct {
	dimension string
	of        []string
}

// fairnessOf computes the figures of scored, labelled rows, grouped by
// each of groups (one group per row per dimension).
func fairnessOf(scores []float64, labels []bool, groups []groupColumn) *Fairness {
	n := len(scores)
	f := &Fairness{Rule: OfferRule, Groups: []GroupFigures{}}
	if n == 0 {
		return f
	}
	sorted := slices.Clone(scores)
	sort.Sort(sort.Reverse(sort.Float64Slice(sorted)))
	k := int(math.Ceil(TopFraction*float64(n) - 1e-9)) // as Lift: 0.1 × 30 is 3.0000000000000004
	f.Cut = sorted[max(k, 1)-1]
	offered := make([]bool, n)
	add := func(g *GroupFigures, i int) {
		g.Rows++
		if labels[i] {
			g.TakeUps++
		}
		if offered[i] {
			g.Offered++
			if labels[i] {
				g.Accepted++
			}
		}
	}
	for i, s := range scores {
		offered[i] = s >= f.Cut
		add(&f.Overall, i)
	}
	for _, gc := range groups {
		at := map[string]*GroupFigures{}
		for i, name := range gc.of {
			g := at[name]
			if g == nil {
				g = &GroupFigures{Dimension: gc.dimension, Group: name}
				at[name] = g
			}
			add(g, i)
		}
		names := make([]string, 0, len(at))
		for name := range at {
			names = append(names, name)
		}
		sortGroups(gc.dimension, names)
		for _, name := range names {
			f.Groups = append(f.Groups, *at[name])
		}
	}
	o := &f.Overall
	o.rates(o)
	for i := range f.Groups {
		g := &f.Groups[i]
		g.rates(o)
		// offered/rows < 4/5 × O/N, and O/N < 4/5 × offered/rows, in integers.
		switch {
		case 5*g.Offered*o.Rows < 4*o.Offered*g.Rows:
			g.FourFifths = FlagBelow
		case 5*o.Offered*g.Rows < 4*g.Offered*o.Rows:
			g.FourFifths = FlagAbove
		}
	}
	return f
}

func (g *GroupFigures) rates(overall *GroupFigures) {
	g.OfferRate = float64(g.Offered) / float64(g.Rows)
	g.BaseRate = float64(g.TakeUps) / float64(g.Rows)
	if g.Offered > 0 {
		a := float64(g.Accepted) / float64(g.Offered)
		g.AcceptanceRate = &a
	}
	if overall.Offered > 0 {
		g.OfferRatio = g.OfferRate / overall.OfferRate
	}
}

// sortGroups puts age bands in age order and other groups in text order,
// "unknown" last.
func sortGroups(dimension string, names []string) {
	rank := func(s string) int {
		if dimension == DimensionAgeBand {
			return slices.Index(AgeBands, s)
		}
		if s == unknownGroup {
			return 1
		}
		return 0
	}
	sort.Slice(names, func(a, b int) bool {
		ra, rb := rank(names[a]), rank(names[b])
		if ra != rb {
			return ra < rb
		}
		return names[a] < names[b]
	})
}

// fileGroups are a labelled file's fairness groups of the rows idx: the
// age band of its "age" column and its "segment" column, each when the
// file has it. An empty or unreadable age is "unknown", as is an empty
// segment.
func fileGroups(ds *Dataset, idx []int) []groupColumn {
	var out []groupColumn
	if c := ds.column("age"); c >= 0 {
		gc := groupColumn{dimension: DimensionAgeBand, of: make([]string, len(idx))}
		for k, i := range idx {
			age, err := strconv.ParseFloat(ds.Rows[i][c], 64)
			if err != nil {
				age = math.NaN()
			}
			gc.of[k] = ageBandName(age)
		}
		out = append(out, gc)
	}
	if c := ds.column(DimensionSegment); c >= 0 {
		gc := groupColumn{dimension: DimensionSegment, of: make([]string, len(idx))}
		for k, i := range idx {
			gc.of[k] = ds.Rows[i][c]
			if gc.of[k] == "" {
				gc.of[k] = unknownGroup
			}
		}
		out = append(out, gc)
	}
	return out
}

// historyGroups are the fairness groups of history rows: the age band at
// the snapshot and the segment.
func historyGroups(ex *examples, idx []int) []groupColumn {
	seg := slices.Index(ex.cat, DimensionSegment)
	age := groupColumn{dimension: DimensionAgeBand, of: make([]string, len(idx))}
	segment := groupColumn{dimension: DimensionSegment, of: make([]string, len(idx))}
	for k, i := range idx {
		e := &ex.rows[i]
		age.of[k] = ageBandName(float64(e.num[0]))
		segment.of[k] = ex.levels[seg][e.cat[seg]]
		if segment.of[k] == "" {
			segment.of[k] = unknownGroup
		}
	}
	return []groupColumn{age, segment}
}

// FairnessComparison is what an operator reads before activating a
// version: its figures beside the active version's of the same family,
// and the groups that fail the four-fifths rule. It is kept with the
// activation (model_activations.fairness), so that compliance sees what
// was known when the choice was made.
type FairnessComparison struct {
	Version string `json:"version"`
	// Against is the version active when the comparison was made, empty
	// when the family had none.
	Against string `json:"against,omitempty"`
	// Basis is BasisRescored or BasisStored; Holdout says in words which
	// rows the figures are of.
	Basis   string    `json:"basis"`
	Holdout string    `json:"holdout"`
	New     *Fairness `json:"new"`
	Active  *Fairness `json:"active,omitempty"`
	// Flagged are the groups of New failing the four-fifths rule,
	// "dimension=group".
	Flagged []string `json:"flagged,omitempty"`
}

// The bases of a comparison.
const (
	// BasisRescored: both versions scored now on the new version's
	// holdout, read again from the history: the same clients, side by
	// side.
	BasisRescored = "rescored"
	// BasisStored: each version's figures as stored at its training, on
	// its own holdout (a file model's rows are not kept, nor can a file
	// model score the history's rows, or the reverse).
	BasisStored = "stored"
)

// CompareFairness computes the comparison of v with its family's active
// version. History models of the same feature set are scored on v's
// holdout snapshot, read again; otherwise the stored figures are put side
// by side, and the comparison says so.
func (s *Store) CompareFairness(ctx context.Context, v *Version) (*FairnessComparison, error) {
	active, err := s.Active(ctx, v.Family)
	switch {
	case errors.Is(err, ErrModelNotFound):
		active = nil
	case err != nil:
		return nil, err
	case active.Version == v.Version:
		active = nil
	}
	c := &FairnessComparison{Version: v.Version, Basis: BasisStored, New: v.Metrics.Fairness}
	if active != nil {
		c.Against, c.Active = active.Version, active.Metrics.Fairness
	}
	if rescorable(v) && (active == nil || rescorable(active)) && (active != nil || c.New == nil) {
		rows, err := s.rescore(ctx, v, active, c)
		if err != nil {
			return nil, err
		}
		c.Basis = BasisRescored
		c.Holdout = fmt.Sprintf("scored now on %s's holdout: the clients not holding %s on %s (snapshot), %d rows", v.Version, v.Family, v.Metrics.HoldoutSnapshot, rows)
	} else if active != nil {
		c.Holdout = "each version's own holdout, as stored at its training"
	} else {
		c.Holdout = "its holdout, as stored at its training"
	}
	c.Flagged = c.New.Flagged()
	return c, nil
}

// rescorable: a history model of today's feature set, whose holdout can
// be read again.
func rescorable(v *Version) bool {
	return v.Source == SourceHistory && v.Model.Layout.Known == historyLayout && familyIndex(v.Family) >= 0 &&
		v.Metrics.HoldoutSnapshot != "" && v.Metrics.SampleShare > 0
}

// rescore reads v's holdout snapshot again and computes the figures of v
// and of active (when not nil) on its rows; it returns the rows.
func (s *Store) rescore(ctx context.Context, v, active *Version, c *FairnessComparison) (int, error) {
	day, err := time.Parse(time.DateOnly, v.Metrics.HoldoutSnapshot)
	if err != nil {
		return 0, fmt.Errorf("model %s: holdout snapshot %q: %w", v.Version, v.Metrics.HoldoutSnapshot, err)
	}
	ex, err := extract(ctx, s.pool, extractOptions{snapshots: []time.Time{day}, share: v.Metrics.SampleShare})
	if err != nil {
		return 0, err
	}
	mask := uint32(1) << familyIndex(v.Family)
	var hold []int
	var labels []bool
	for i := range ex.rows {
		if ex.rows[i].held&mask == 0 {
			hold = append(hold, i)
			labels = append(labels, ex.rows[i].took&mask != 0)
		}
	}
	groups := historyGroups(ex, hold)
	score := func(m *Model) []float64 {
		enc := newHistoryEncoder(&m.Layout, ex)
		row := make([]float64, enc.width)
		out := make([]float64, len(hold))
		for k, i := range hold {
			enc.encode(&ex.rows[i], row)
			out[k] = sigmoid(m.Intercept + dotDense(m.Weights, row))
		}
		return out
	}
	c.New = fairnessOf(score(v.Model), labels, groups)
	if active != nil {
		c.Active = fairnessOf(score(active.Model), labels, groups)
	}
	return len(hold), nil
}
