package crosssell

import (
	"math"
	"testing"
)

// TestAUCByHand: 3 yes and 4 no, with a yes and a no tied at 0.4 and two
// no tied at 0.2. Of the 12 (yes, no) pairs, the yes at 0.9 wins 4; the
// yes at 0.7 wins 3 and loses to the no at 0.8; the yes at 0.4 wins 2 and
// ties 1, which counts one half: 9.5/12.
func TestAUCByHand(t *testing.T) {
	scores := []float64{0.9, 0.8, 0.7, 0.4, 0.4, 0.2, 0.2}
	labels := []bool{true, false, true, true, false, false, false}
	if got, want := AUC(scores, labels), 9.5/12; got != want {
		t.Fatalf("AUC = %v, want %v", got, want)
	}
	same := []float64{0.3, 0.3, 0.3, 0.3}
	if got := AUC(same, []bool{true, false, true, false}); got != 0.5 {
		t.Fatalf("AUC of one score for all = %v, want 0.5", got)
	}
	if got := AUC([]float64{1, 2}, []bool{true, true}); !math.IsNaN(got) {
		t.Fatalf("AUC without a no = %v, want NaN", got)
	}
}

// TestLiftByHand: 20 clients, 4 yes (rate 0.2). The top decile is 2
// clients: the best score (a yes) and one place out of a three-way tie
// at 0.8 holding one yes, which counts 1/3. Rate in the top (1 + 1/3)/2,
// lift 2/3 / 0.2 = 10/3.
func TestLiftByHand(t *testing.T) {
	scores := make([]float64, 20)
	labels := make([]bool, 20)
	scores[0], labels[0] = 0.95, true
	scores[1], labels[1] = 0.8, true
	scores[2] = 0.8
	scores[3] = 0.8
	for i := 4; i < 20; i++ {
		scores[i] = 0.1
	}
	labels[10], labels[11] = true, true
	if got, want := Lift(scores, labels, TopFraction), 10.0/3; math.Abs(got-want) > 1e-12 {
		t.Fatalf("lift = %v, want %v", got, want)
	}
	for i := range scores {
		scores[i] = 0.5
	}
	if got := Lift(scores, labels, TopFraction); math.Abs(got-1) > 1e-12 {
		t.Fatalf("lift of one score for all = %v, want 1", got)
	}
}

func TestStratifiedSplitIsReproducible(t *testing.T) {
	labels := make([]bool, 100)
	for i := range 10 {
		labels[i*10] = true
	}
	tr1, ho1 := stratifiedSplit(labels, 0.2, 7)
	tr2, ho2 := stratifiedSplit(labels, 0.2, 7)
	if len(ho1) != 20 || len(tr1) != 80 || len(ho2) != 20 || len(tr2) != 80 {
		t.Fatalf("sizes %d/%d", len(tr1), len(ho1))
	}
	pos := 0
	for k, i := range ho1 {
		if ho2[k] != i {
			t.Fatal("the same seed drew another holdout")
		}
		if labels[i] {
			pos++
		}
	}
	if pos != 2 {
		t.Fatalf("holdout has %d yes, want 2 (20%% of 10)", pos)
	}
	_, ho3 := stratifiedSplit(labels, 0.2, 8)
	differs := false
	for k := range ho1 {
		differs = differs || ho1[k] != ho3[k]
	}
	if !differs {
		t.Fatal("another seed drew the same holdout")
	}
}

// TestLiftTopCount: the top decile of 30 clients is 3, not 4 (0.1 × 30
// is a hair above 3 in floating point).
func TestLiftTopCount(t *testing.T) {
	scores := make([]float64, 30)
	labels := make([]bool, 30)
	for i := range scores {
		scores[i] = float64(30 - i)
	}
	labels[0], labels[1], labels[2] = true, true, true
	if got := Lift(scores, labels, TopFraction); math.Abs(got-10) > 1e-12 {
		t.Fatalf("lift = %v, want 10 (every yes in a top of 3)", got)
	}
}
