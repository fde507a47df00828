package crosssell

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// synthetic writes a labelled file whose true model is known: log-odds
// −2 + 1.5 × (income − 50)/10 + 2 × [channel = branch], so income and the
// branch raise take-up and the web channel does nothing.
func synthetic(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("income,channel,y\n")
	channels := []string{"web", "phone", "branch"}
	for range n {
		income := 50 + 10*r.NormFloat64()
		ch := channels[r.IntN(3)]
		z := -2 + 1.5*(income-50)/10
		if ch == "branch" {
			z += 2
		}
		y := "no"
		if r.Float64() < 1/(1+math.Exp(-z)) {
			y = "yes"
		}
		fmt.Fprintf(&b, "%.1f,%s,%s\n", income, ch, y)
	}
	return b.String()
}

func trainSynthetic(t *testing.T) *Trained {
	t.Helper()
	ds, err := ReadDataset(strings.NewReader(synthetic(4000, 3)))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Train(ds, TrainOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestTrainLearnsAndExplains(t *testing.T) {
	tr := trainSynthetic(t)
	m := tr.Metrics
	if m.Holdout.AUC < 0.8 || m.Holdout.Rows != 800 || m.Train.Rows != 3200 {
		t.Fatalf("holdout %+v, train %+v", m.Holdout, m.Train)
	}
	if m.Baseline.Column != "income" || m.Baseline.AUC >= m.Holdout.AUC {
		t.Fatalf("baseline %+v should be income and below the model's %.3f", m.Baseline, m.Holdout.AUC)
	}
	rich := map[string]string{"income": "75", "channel": "branch"}
	s, err := tr.Model.ScoreRecord(rich, 2)
	if err != nil {
		t.Fatal(err)
	}
	if s.Probability < 0.9 {
		t.Fatalf("a rich client at the branch: %.3f", s.Probability)
	}
	if len(s.Reasons) != 2 || s.Reasons[0].Feature != "income" || s.Reasons[0].Effect <= 0 ||
		math.Abs(s.Reasons[0].Effect) < math.Abs(s.Reasons[1].Effect) {
		t.Fatalf("reasons %+v: want income first, the largest and positive", s.Reasons)
	}
	// A channel never seen in training is no level: the client is scored
	// as the average of that column, with no reason from it.
	unseen, err := tr.Model.ScoreRecord(map[string]string{"income": "50", "channel": "carrier pigeon"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range unseen.Reasons {
		if strings.HasPrefix(r.Feature, "channel=") {
			t.Fatalf("an unseen level gave a reason: %+v", r)
		}
	}
	if _, err := tr.Model.ScoreRecord(map[string]string{"income": "50"}, 3); err == nil ||
		err.Error() != `no value for column "channel", which the model uses` {
		t.Fatalf("record without channel: %v", err)
	}
}

func TestPredictChecksLayout(t *testing.T) {
	tr := trainSynthetic(t)
	other, err := ReadDataset(strings.NewReader("income,region,y\n50,north,yes\n60,south,no\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Model.Predict(other)
	var le *LayoutError
	if !errors.As(err, &le) || err.Error() != `the file has no column "channel", which the model uses` {
		t.Fatalf("error = %v", err)
	}
	text, err := ReadDataset(strings.NewReader("channel,income,y\nweb,50,yes\nweb,high,no\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Model.Predict(text); err == nil || err.Error() != `line 3: column "income" is "high", but the model reads it as a number` {
		t.Fatalf("error = %v", err)
	}
	// Columns in another order, and columns the model does not use, are fine.
	same, err := ReadDataset(strings.NewReader("note;channel;y;income\nx;web;yes;50\ny;branch;no;60\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Model.Predict(same); err != nil {
		t.Fatal(err)
	}
}

// TestFitConverges: without penalty, on a toy set that no line separates,
// the gradient of the log-loss at the fitted point is zero: L-BFGS found
// the minimum, not just a stopping point.
func TestFitConverges(t *testing.T) {
	x := []float64{-1, -0.5, 0, 0.5, 1, -1, 0.2, 0.7}
	y := []float64{0, 0, 1, 0, 1, 1, 0, 1}
	rows := &sparseRows{}
	for _, v := range x {
		rows.add([]float64{v})
	}
	theta, _, err := fit(rows, y, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var gw, gb float64
	for i := range y {
		r := sigmoid(theta[1]+theta[0]*x[i]) - y[i]
		gw += r * x[i]
		gb += r
	}
	if math.Abs(gw) > 1e-6 || math.Abs(gb) > 1e-6 {
		t.Fatalf("gradient (%g, %g) at the fit %v", gw, gb, theta)
	}
}

// TestFitRowsBlocks: a fit over more rows than a block gives the same
// parameters bit for bit on one core as on several, and fitting a
// selection of a matrix's rows is fitting those rows copied out.
func TestFitRowsBlocks(t *testing.T) {
	n := 3*fitBlock + 123
	all := &sparseRows{}
	var sel []int32
	picked := &sparseRows{}
	var ys []float64
	for i := range 2 * n {
		a := float64(i%97)/48 - 1
		b := float64(i%13) / 12
		row := []float64{a, b, float64(i % 2)}
		all.add(row)
		yes := 0.0
		if (i*7919)%100 < int(30+20*a) {
			yes = 1
		}
		if i%2 == 0 {
			sel = append(sel, int32(i))
			picked.add(row)
			ys = append(ys, yes)
		}
	}
	prev := runtime.GOMAXPROCS(1)
	one, _, err := fitRows(all, sel, ys, nil, 0, 3, 1e-3)
	runtime.GOMAXPROCS(4)
	four, _, err2 := fitRows(all, sel, ys, nil, 0, 3, 1e-3)
	copied, _, err3 := fit(picked, ys, 3, 1e-3)
	runtime.GOMAXPROCS(prev)
	if err := errors.Join(err, err2, err3); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(one, four) || !slices.Equal(one, copied) {
		t.Fatalf("one core %v, four cores %v, rows copied out %v: want the same", one, four, copied)
	}
}

// TestFitRowsWeighted: fitting every take-up and a quarter of the other
// rows, each weighted 4, estimates the weights of a fit of every row,
// intercept included; the same draw unweighted would shift the intercept
// by log 4.
func TestFitRowsWeighted(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	all := &sparseRows{}
	var y []float64
	for range 200_000 {
		a, b := r.NormFloat64(), float64(r.IntN(2))
		all.add([]float64{a, b})
		yes := 0.0
		if r.Float64() < sigmoid(-3+0.8*a+0.5*b) {
			yes = 1
		}
		y = append(y, yes)
	}
	full, _, err := fit(all, y, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	var sel []int32
	var ys, wt []float64
	for i, v := range y {
		if v == 0 && !drawn(int64(i), 0, 0, 0.25) {
			continue
		}
		sel = append(sel, int32(i))
		ys = append(ys, v)
		wt = append(wt, map[bool]float64{true: 1, false: 4}[v == 1])
	}
	weighted, _, err := fitRows(all, sel, ys, wt, float64(len(y)), 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := fitRows(all, sel, ys, nil, 0, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("every row %.3f; %d rows drawn, weighted %.3f, unweighted %.3f", full, len(sel), weighted, plain)
	for j := range full {
		if math.Abs(weighted[j]-full[j]) > 0.05 {
			t.Errorf("parameter %d: weighted draw %.3f, every row %.3f", j, weighted[j], full[j])
		}
	}
	if d := plain[2] - full[2]; math.Abs(d-math.Log(4)) > 0.1 {
		t.Errorf("unweighted draw's intercept %.3f, every row's %.3f: want log 4 apart", plain[2], full[2])
	}
}
