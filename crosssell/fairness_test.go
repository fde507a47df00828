package crosssell

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func rate(f float64) *float64 { return &f }

// TestFairnessOf checks the figures on 30 hand-made rows. The top decile
// is ⌈3⌉ = 3 clients, but rows 0 and 20 tie at the cut (0.7), so four
// are offered: 10 (0.9, took it up), 11 (0.8), 0 (0.7, took it up) and
// 20 (0.7). Take-ups: rows 0, 1, 10, 12, 13. Overall offer rate 4/30.
func TestFairnessOf(t *testing.T) {
	scores := make([]float64, 30)
	labels := make([]bool, 30)
	ages := make([]string, 30)
	segments := make([]string, 30)
	for i := range scores {
		scores[i] = 0.1 + 0.01*float64(i%20) // 0.10 … 0.29: below the cut
		switch {
		case i < 10:
			ages[i] = "25_34"
		case i < 20:
			ages[i] = "65_plus"
		default:
			ages[i] = "unknown"
		}
		segments[i] = "mass"
		if i >= 15 {
			segments[i] = "affluent"
		}
	}
	scores[10], scores[11], scores[0], scores[20] = 0.9, 0.8, 0.7, 0.7
	for _, i := range []int{0, 1, 10, 12, 13} {
		labels[i] = true
	}
	f := fairnessOf(scores, labels, []groupColumn{{DimensionAgeBand, ages}, {DimensionSegment, segments}})
	want := &Fairness{Rule: OfferRule, Cut: 0.7,
		Overall: GroupFigures{Rows: 30, TakeUps: 5, Offered: 4, Accepted: 2, OfferRate: 4.0 / 30, AcceptanceRate: rate(0.5), BaseRate: 5.0 / 30, OfferRatio: 1},
		Groups: []GroupFigures{
			// 1 of 10 offered: 0.1 / (4/30) = 0.75 < 0.8.
			{Dimension: "age_band", Group: "25_34", Rows: 10, TakeUps: 2, Offered: 1, Accepted: 1, OfferRate: 0.1, AcceptanceRate: rate(1), BaseRate: 0.2, OfferRatio: 0.1 / (4.0 / 30), FourFifths: FlagBelow},
			// 2 of 10: ratio 1.5 > 1.25.
			{Dimension: "age_band", Group: "65_plus", Rows: 10, TakeUps: 3, Offered: 2, Accepted: 1, OfferRate: 0.2, AcceptanceRate: rate(0.5), BaseRate: 0.3, OfferRatio: 0.2 / (4.0 / 30), FourFifths: FlagAbove},
			{Dimension: "age_band", Group: "unknown", Rows: 10, TakeUps: 0, Offered: 1, Accepted: 0, OfferRate: 0.1, AcceptanceRate: rate(0), BaseRate: 0, OfferRatio: 0.1 / (4.0 / 30), FourFifths: FlagBelow},
			// Rows 0–14: offered 0, 10, 11; took it up 0, 1, 10, 12, 13.
			{Dimension: "segment", Group: "mass", Rows: 15, TakeUps: 5, Offered: 3, Accepted: 2, OfferRate: 0.2, AcceptanceRate: rate(2.0 / 3), BaseRate: 5.0 / 15, OfferRatio: 0.2 / (4.0 / 30), FourFifths: FlagAbove},
			{Dimension: "segment", Group: "affluent", Rows: 15, TakeUps: 0, Offered: 1, Accepted: 0, OfferRate: 1.0 / 15, AcceptanceRate: rate(0), BaseRate: 0, OfferRatio: (1.0 / 15) / (4.0 / 30), FourFifths: FlagBelow},
		}}
	// The segments come out in text order: affluent before mass.
	want.Groups[3], want.Groups[4] = want.Groups[4], want.Groups[3]
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("mismatch\n got %s\nwant %s", dump(f), dump(want))
	}
	if got := strings.Join(f.Flagged(), " "); got != "age_band=25_34 age_band=65_plus age_band=unknown segment=affluent segment=mass" {
		t.Errorf("flagged %q", got)
	}

	t.Run("ExactlyFourFifthsIsNotFlagged", func(t *testing.T) {
		// 50 rows, 5 offered: 10%. Group a: 2 of 25 offered, 8%, exactly
		// 4/5 (0.8 × 0.1 is 0.08000000000000002 in floating point, so
		// the test must be done in integers). Group b: 3 of 25, 12%,
		// ratio 1.2, within 5/4.
		scores := make([]float64, 50)
		labels := make([]bool, 50)
		groups := make([]string, 50)
		for i := range scores {
			groups[i] = "a"
			if i%2 == 1 {
				groups[i] = "b"
			}
		}
		for _, i := range []int{0, 2, 1, 3, 5} {
			scores[i] = 1
		}
		labels[7] = true
		f := fairnessOf(scores, labels, []groupColumn{{DimensionSegment, groups}})
		if f.Overall.Offered != 5 || f.Groups[0].Offered != 2 || f.Groups[1].Offered != 3 || len(f.Flagged()) != 0 {
			t.Fatalf("figures %s", dump(f))
		}
		if f.Overall.AcceptanceRate == nil || *f.Overall.AcceptanceRate != 0 || f.Groups[0].AcceptanceRate == nil {
			t.Fatalf("acceptance %s", dump(f))
		}
	})
	t.Run("NoneOfferedHasNoAcceptanceRate", func(t *testing.T) {
		f := fairnessOf([]float64{0.9, 0.1, 0.2}, []bool{false, true, false}, []groupColumn{{DimensionSegment, []string{"a", "b", "b"}}})
		if b := f.Group(DimensionSegment, "b"); b == nil || b.AcceptanceRate != nil || b.Offered != 0 || b.FourFifths != FlagBelow {
			t.Fatalf("group b %s", dump(b))
		}
	})
}

// TestTrainFileFairness: a file with age and segment columns gets figures
// for both; one without them gets the overall figures only.
func TestTrainFileFairness(t *testing.T) {
	tr := trainSynthetic(t)
	f := tr.Metrics.Fairness
	// 81 offered, not 80: two clients of the same income (written to one
	// decimal) and channel tie at the cut, and both are offered.
	if f == nil || len(f.Groups) != 0 || f.Overall.Rows != 800 || f.Overall.Offered != 81 || f.Overall.TakeUps != tr.Metrics.Holdout.Positives {
		t.Fatalf("synthetic file (no age, no segment): %s", dump(f))
	}
	var b strings.Builder
	b.WriteString("age,segment,income,y\n")
	for i := range 200 {
		age := []string{"22", "41", "70", ""}[i%4]
		seg := []string{"mass", "private", ""}[i%3]
		y := "no"
		if i%5 == 0 || (i%4 == 2 && i%3 == 0) {
			y = "yes"
		}
		b.WriteString(age + "," + seg + "," + formatNumber(float64(40+i%17)) + "," + y + "\n")
	}
	ds, err := ReadDataset(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	tr2, err := Train(ds, TrainOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	f = tr2.Metrics.Fairness
	var names []string
	rows := map[string]int{}
	for _, g := range f.Groups {
		names = append(names, g.Dimension+"="+g.Group)
		rows[g.Dimension] += g.Rows
	}
	if strings.Join(names, " ") != "age_band=under_25 age_band=35_44 age_band=65_plus age_band=unknown segment=mass segment=private segment=unknown" ||
		rows["age_band"] != 40 || rows["segment"] != 40 || f.Overall.Rows != 40 || f.Overall.Offered < 4 {
		t.Fatalf("groups %q, rows %v: %s", names, rows, dump(f))
	}
}

// TestFairnessBeforeActivation stores two hand-made history models of
// savings and checks the comparison on a hand-made holdout of ten clients
// on 2026-03-01: client 8 holds savings then and is out of the
// population, leaving nine; the top decile is one client. The age model
// (v1, weight +0.1 per year) offers the oldest, client 7 (70, no
// take-up); the youth model (v2, −0.1 a year from 45) offers the
// youngest, client 1 (20, took it up). Client 9 has no birth date: age
// unknown, scored as the mean.
func TestFairnessBeforeActivation(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	T := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	mustExec(t, pool, `INSERT INTO clients (id, given_name, family_name, birth_date, created_at, segment) VALUES
		(1, 'A', 'X', '2005-06-01', '2020-01-01', 'mass'),
		(2, 'B', 'X', '2002-06-01', '2020-01-01', 'mass'),
		(3, 'C', 'X', '1995-06-01', '2020-01-01', 'mass'),
		(4, 'D', 'X', '1985-06-01', '2020-01-01', 'affluent'),
		(5, 'E', 'X', '1975-06-01', '2020-01-01', 'affluent'),
		(6, 'F', 'X', '1965-06-01', '2020-01-01', 'affluent'),
		(7, 'G', 'X', '1955-06-01', '2020-01-01', 'private'),
		(8, 'H', 'X', '1953-06-01', '2020-01-01', 'private'),
		(9, 'I', 'X', NULL, '2020-01-01', 'private'),
		(10, 'J', 'X', '1960-06-01', '2020-01-01', 'mass')`)
	// Take-ups in [T, T+90): clients 1, 3, 6, 10; client 8 held one at T.
	mustExec(t, pool, `INSERT INTO accounts (client_id, kind, name, currency, opened_on) VALUES
		(1, 'savings', 'S', 'RON', $1::date + 10), (3, 'savings', 'S', 'RON', $1::date + 20),
		(6, 'savings', 'S', 'RON', $1::date + 30), (10, 'savings', 'S', 'RON', $1::date + 40),
		(8, 'savings', 'S', 'RON', $1::date - 100)`, T)
	store := NewStore(pool)
	save := func(mean, weight float64) string {
		t.Helper()
		m := &Model{Layout: Layout{Known: historyLayout, Outcome: "took up the family within 90 days",
			Columns: []Column{{Name: "age", Kind: Numeric, Mean: mean, SD: 1}}}, Features: []string{"age"}, Weights: []float64{weight}}
		v, err := store.Save(ctx, NewVersion{Family: "savings", Source: SourceHistory, SourceName: "hand-made", TrainedBy: "test", Rows: 9,
			Trained: &Trained{Model: m, Family: "savings", Metrics: Metrics{HoldoutSnapshot: "2026-03-01", SampleShare: 1_000_000}}})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v1, v2 := save(0, 0.1), save(45, -0.1)

	// Figures of the nine clients when the model offers client `offered`.
	figures := func(offered int64) *Fairness {
		type client struct {
			age, segment string
			took         bool
		}
		clients := map[int64]client{1: {"under_25", "mass", true}, 2: {"under_25", "mass", false}, 3: {"25_34", "mass", true},
			4: {"35_44", "affluent", false}, 5: {"45_54", "affluent", false}, 6: {"55_64", "affluent", true},
			7: {"65_plus", "private", false}, 9: {"unknown", "private", false}, 10: {"65_plus", "mass", true}}
		g := func(dim, name string) GroupFigures {
			f := GroupFigures{Dimension: dim, Group: name}
			for id, c := range clients {
				if !(dim == "" || (dim == "age_band" && c.age == name) || (dim == "segment" && c.segment == name)) {
					continue
				}
				f.Rows++
				if c.took {
					f.TakeUps++
				}
				if id == offered {
					f.Offered++
					if c.took {
						f.Accepted++
					}
				}
			}
			f.OfferRate, f.BaseRate = float64(f.Offered)/float64(f.Rows), float64(f.TakeUps)/float64(f.Rows)
			if f.Offered > 0 {
				f.AcceptanceRate = rate(float64(f.Accepted) / float64(f.Offered))
			}
			f.OfferRatio = f.OfferRate / (1.0 / 9)
			switch {
			case dim == "":
			case f.OfferRatio < 0.8:
				f.FourFifths = FlagBelow
			case f.OfferRatio > 1.25:
				f.FourFifths = FlagAbove
			}
			return f
		}
		f := &Fairness{Rule: OfferRule, Overall: g("", "")}
		for _, a := range []string{"under_25", "25_34", "35_44", "45_54", "55_64", "65_plus", "unknown"} {
			f.Groups = append(f.Groups, g("age_band", a))
		}
		for _, s := range []string{"affluent", "mass", "private"} {
			f.Groups = append(f.Groups, g("segment", s))
		}
		return f
	}

	t.Run("FirstActivationNeedsAReason", func(t *testing.T) {
		// v1 alone: nothing to compare with, its holdout read again.
		_, err := store.Activate(ctx, v1, "ana", " ")
		if !errors.Is(err, ErrReasonRequired) || !strings.Contains(err.Error(), "age_band=under_25, age_band=25_34") {
			t.Fatalf("activate without a reason: %v", err)
		}
		if _, err := store.Active(ctx, "savings"); !errors.Is(err, ErrModelNotFound) {
			t.Fatalf("something was activated: %v", err)
		}
		a, err := store.Activate(ctx, v1, "ana", "the first savings model; small groups")
		if err != nil {
			t.Fatal(err)
		}
		want := figures(7)
		want.Cut = sigmoid(7)
		if a.Fairness == nil || a.Fairness.Basis != BasisRescored || a.Fairness.Against != "" || !closeFairness(a.Fairness.New, want) {
			t.Fatalf("comparison kept %s\nwant new %s", dump(a.Fairness), dump(want))
		}
	})

	t.Run("SideBySideOnTheSameHoldout", func(t *testing.T) {
		v, err := store.Model(ctx, v2)
		if err != nil {
			t.Fatal(err)
		}
		c, err := store.CompareFairness(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		wantNew, wantActive := figures(1), figures(7)
		wantNew.Cut, wantActive.Cut = sigmoid(2.5), sigmoid(7)
		if c.Version != v2 || c.Against != v1 || c.Basis != BasisRescored ||
			c.Holdout != "scored now on savings-v2's holdout: the clients not holding savings on 2026-03-01 (snapshot), 9 rows" ||
			!closeFairness(c.New, wantNew) || !closeFairness(c.Active, wantActive) {
			t.Fatalf("comparison %s\nwant new %s\nwant active %s", dump(c), dump(wantNew), dump(wantActive))
		}
		// Spelled out: v2 offers client 1 of the mass segment, who took it
		// up; v1 offered client 7 of the private segment, who did not.
		mass, private := c.New.Group("segment", "mass"), c.Active.Group("segment", "private")
		if mass.Rows != 4 || mass.TakeUps != 3 || mass.Offered != 1 || mass.OfferRate != 0.25 || *mass.AcceptanceRate != 1 || mass.FourFifths != FlagAbove ||
			private.Rows != 2 || private.Offered != 1 || *private.AcceptanceRate != 0 || c.New.Overall.Rows != 9 || c.New.Overall.TakeUps != 4 {
			t.Fatalf("mass %s, private %s", dump(mass), dump(private))
		}

		stale := *c
		stale.Against = "savings-v0"
		if _, err := store.ActivateCompared(ctx, &stale, "dan", "x"); !errors.Is(err, ErrActiveChanged) ||
			err.Error() != "activate savings-v2: the active version changed since the comparison: the active savings model is savings-v1, the comparison was made against savings-v0" {
			t.Fatalf("stale comparison: %v", err)
		}
		if _, err := store.ActivateCompared(ctx, c, "dan", ""); !errors.Is(err, ErrReasonRequired) {
			t.Fatalf("flagged without a reason: %v", err)
		}
		a, err := store.ActivateCompared(ctx, c, "dan", "young savers take it up; reviewed with compliance")
		if err != nil || a.Previous != v1 {
			t.Fatalf("activate: %+v, %v", a, err)
		}
		log, err := store.Activations(ctx, "savings")
		if err != nil || len(log) != 2 || !reflect.DeepEqual(log[0].Fairness, c) || log[0].Reason != "young savers take it up; reviewed with compliance" || log[1].Fairness.Basis != BasisRescored {
			t.Fatalf("audit %+v, %v", log, err)
		}
	})
}

// closeFairness compares figures, the rates and the cut to 1e-12.
func closeFairness(got, want *Fairness) bool {
	if got == nil || want == nil || math.Abs(got.Cut-want.Cut) > 1e-12 || len(got.Groups) != len(want.Groups) {
		return false
	}
	same := func(a, b GroupFigures) bool {
		near := func(x, y float64) bool { return math.Abs(x-y) < 1e-12 }
		if (a.AcceptanceRate == nil) != (b.AcceptanceRate == nil) || (a.AcceptanceRate != nil && !near(*a.AcceptanceRate, *b.AcceptanceRate)) {
			return false
		}
		a.AcceptanceRate, b.AcceptanceRate = nil, nil
		ok := near(a.OfferRate, b.OfferRate) && near(a.BaseRate, b.BaseRate) && near(a.OfferRatio, b.OfferRatio)
		a.OfferRate, a.BaseRate, a.OfferRatio, b.OfferRate, b.BaseRate, b.OfferRatio = 0, 0, 0, 0, 0, 0
		return ok && a == b
	}
	if got.Rule != want.Rule || !same(got.Overall, want.Overall) {
		return false
	}
	for i := range got.Groups {
		if !same(got.Groups[i], want.Groups[i]) {
			return false
		}
	}
	return true
}
