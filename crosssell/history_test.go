package crosssell

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/demodata"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

var historyAsOf = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)

// TestHistoryModelsBeatPopularity trains on a generated history of 4,000
// clients and asserts that the learned models rank the holdout snapshot's
// take-ups better than the popularity baseline by segment and age band.
func TestHistoryModelsBeatPopularity(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := demodata.Seed(ctx, pool, demodata.Options{Clients: 4000, Seed: 1, AsOf: historyAsOf}); err != nil {
		t.Fatal(err)
	}
	run, err := TrainHistory(ctx, pool, HistoryOptions{AsOf: historyAsOf, Families: []string{"savings", "term-deposit", "travel-insurance", "brokerage"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rows of %d clients × %d snapshots read in %.2f s; %s", run.Examples, run.Sampled, len(run.Snapshots), run.ReadSeconds, run.Window())
	for _, n := range run.Notes {
		t.Log(n)
	}
	if len(run.Skipped) != 1 || run.Skipped[0] != "brokerage: 0 take-ups in the training snapshots, 30 needed" {
		t.Errorf("skipped = %q, want brokerage for its lack of take-ups", run.Skipped)
	}
	if len(run.Trained) != 3 {
		t.Fatalf("%d families trained, want 3", len(run.Trained))
	}
	for _, tr := range run.Trained {
		m := tr.Metrics
		t.Logf("%-17s holdout %5d rows, %3d take-ups: model AUC %.4f lift %.2f; popularity by segment × age band AUC %.4f lift %.2f; base rate %.2f%%",
			tr.Family, m.Holdout.Rows, m.Holdout.Positives, m.Holdout.AUC, m.Holdout.Lift, m.Baseline.AUC, m.Baseline.Lift, 100*m.BaseRate)
		if !(m.Holdout.AUC > m.Baseline.AUC+0.03) || !(m.Holdout.AUC > 0.6) {
			t.Errorf("%s: holdout AUC %.4f does not beat the popularity baseline's %.4f", tr.Family, m.Holdout.AUC, m.Baseline.AUC)
		}
		if m.Baseline.Column != BaselineSegmentAge || m.Stopped == "IterationLimit" {
			t.Errorf("%s: baseline %q, optimiser %s", tr.Family, m.Baseline.Column, m.Stopped)
		}
	}

	t.Run("MatrixIsTheEncoding", func(t *testing.T) {
		// The rows fitted and scored are exactly the dense encoding's
		// non-zero features, in order, with the same values.
		ex, err := extract(ctx, pool, extractOptions{snapshots: run.Snapshots, share: run.share})
		if err != nil {
			t.Fatal(err)
		}
		train := make([]int, len(ex.rows))
		for i := range train {
			train[i] = i
		}
		layout, _ := historyLayoutOf(ex, train, nil)
		enc := newHistoryEncoder(layout, ex)
		x := enc.matrix(ex)
		want := &sparseRows{}
		dense := make([]float64, enc.width)
		for i := range ex.rows {
			enc.encode(&ex.rows[i], dense)
			want.add(dense)
		}
		if !slices.Equal(x.start, want.start) || !slices.Equal(x.idx, want.idx) || !slices.Equal(x.val, want.val) {
			t.Fatalf("matrix of %d rows, %d entries differs from the dense encoding's %d entries", x.rows(), len(x.idx), len(want.idx))
		}
		if cap(x.idx) != len(x.idx) || cap(x.val) != len(x.val) {
			t.Errorf("matrix entries allocated %d, used %d: want exact", cap(x.idx), len(x.idx))
		}
	})

	t.Run("StoredAndScored", func(t *testing.T) {
		store := NewStore(pool)
		tr := run.Trained[0]
		version, err := store.Save(ctx, NewVersion{Family: tr.Family, Source: SourceHistory, SourceName: run.Window(),
			TrainedBy: "test", Trained: tr, Rows: tr.Metrics.Train.Rows + tr.Metrics.Holdout.Rows})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.ScoreClient(ctx, demodata.DemoClientID, tr.Family); !errors.Is(err, ErrModelNotFound) {
			t.Fatalf("score before activation: %v, want ErrModelNotFound", err)
		}
		if _, err := store.Activate(ctx, version, "test", "history test"); err != nil {
			t.Fatal(err)
		}
		s, err := store.scoreClientAt(ctx, demodata.DemoClientID, tr.Family, historyAsOf)
		if err != nil {
			t.Fatal(err)
		}
		if s.Version != version || !(s.Probability > 0 && s.Probability < 1) || len(s.Reasons) != TopReasons {
			t.Fatalf("score = %+v", s)
		}
		t.Logf("demo client, %s: %.2f%% by %s, reasons %+v", tr.Family, 100*s.Probability, s.Version, s.Reasons)
		// The stored model reads the client the way training did: the
		// same probability from the layout's text encoder.
		v, err := store.Model(ctx, version)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := extract(ctx, pool, extractOptions{snapshots: []time.Time{historyAsOf.AddDate(0, 0, 1)}, share: 1_000_000, client: ptr(int64(demodata.DemoClientID)), known: true})
		if err != nil || len(ex.rows) != 1 {
			t.Fatalf("extract: %d rows, %v", len(ex.rows), err)
		}
		record := map[string]string{}
		for i, name := range ex.numeric {
			if f := float64(ex.rows[0].num[i]); !math.IsNaN(f) {
				record[name] = formatNumber(f)
			} else {
				record[name] = ""
			}
		}
		for i, name := range ex.cat {
			record[name] = ex.levels[i][ex.rows[0].cat[i]]
		}
		text, err := v.Model.ScoreRecord(record, TopReasons)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(text.Probability-s.Probability) > 1e-12 {
			t.Fatalf("text encoder %.15f, history encoder %.15f", text.Probability, s.Probability)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestHistoryNoLeakage checks the labels and the population at one
// snapshot with hand-made clients: only take-ups in [T, T+90) are
// positives, a product held at T takes its holder out of the family's
// population, a client who joined after T is not there at all, and
// contacts after T are not counted.
func TestHistoryNoLeakage(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	T := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return T.AddDate(0, 0, d) }
	mustExec(t, pool, `INSERT INTO clients (id, given_name, family_name, birth_date, created_at, segment) VALUES
		(1, 'Late', 'Opener', '1980-01-01', '2020-01-01', 'mass'),
		(2, 'Early', 'Holder', '1980-01-01', '2020-01-01', 'mass'),
		(3, 'Soon', 'Opener', '1980-01-01', '2020-01-01', 'mass'),
		(4, 'New', 'Client', '1980-01-01', $1, 'mass'),
		(5, 'On', 'TheDay', '1980-01-01', '2020-01-01', 'mass')`, day(10))
	mustExec(t, pool, `INSERT INTO accounts (client_id, kind, name, currency, opened_on) VALUES
		(1, 'savings', 'S', 'RON', $1),
		(2, 'savings', 'S', 'RON', $2),
		(3, 'savings', 'S', 'RON', $3),
		(4, 'savings', 'S', 'RON', $4),
		(5, 'savings', 'S', 'RON', $5)`, day(Horizon+10), day(-30), day(30), day(20), day(Horizon-1))
	// A closed deposit before T: "had" it, does not hold it.
	mustExec(t, pool, `INSERT INTO accounts (client_id, kind, name, currency, opened_on, maturity_on, closed_on, status) VALUES
		(2, 'term_deposit', 'D', 'RON', $1, $2, $2, 'closed')`, day(-400), day(-35))
	mustExec(t, pool, `INSERT INTO interactions (client_id, channel, direction, subject, occurred_at) VALUES
		(1, 'phone', 'inbound', 'before', $1), (1, 'phone', 'inbound', 'after', $2), (1, 'web', 'inbound', 'long before', $3)`,
		day(-5), day(5), day(-200))

	ex, err := extract(ctx, pool, extractOptions{snapshots: []time.Time{T}, share: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	savings := uint32(1) << familyIndex("savings")
	deposit := uint32(1) << familyIndex("term-deposit")
	got := map[int64]example{}
	for _, e := range ex.rows {
		got[e.client] = e
	}
	if _, ok := got[4]; ok || len(got) != 4 {
		t.Fatalf("clients at T: %v, want 1, 2, 3, 5 (client 4 joined after T)", keys(got))
	}
	for _, tc := range []struct {
		client     int64
		held, took bool
		why        string
	}{
		{1, false, false, "opened at T+100: after the 90-day window, not a take-up at T"},
		{2, true, false, "opened before T: held, out of the population"},
		{3, false, true, "opened at T+30: a take-up"},
		{5, false, true, "opened at T+89: the last day of the window"},
	} {
		e := got[tc.client]
		if (e.held&savings != 0) != tc.held || (e.took&savings != 0) != tc.took {
			t.Errorf("client %d: held %v took %v; %s", tc.client, e.held&savings != 0, e.took&savings != 0, tc.why)
		}
	}
	if e := got[2]; e.held&deposit != 0 || e.num[slices_Index(ex.numeric, "had_term-deposit")] != 1 {
		t.Errorf("client 2: a deposit closed before T must be had, not held")
	}
	e := got[1]
	if phone, web := e.num[slices_Index(ex.numeric, "contacts_phone_90d")], e.num[slices_Index(ex.numeric, "contacts_web_90d")]; phone != 1 || web != 0 {
		t.Errorf("client 1: %v phone and %v web contacts in the 90 days before T, want 1 and 0 (one was after T, one too early)", phone, web)
	}
	if age := e.num[0]; age != 46 {
		t.Errorf("client 1: age %v at T, want 46", age)
	}
}

func TestSnapshotDatesSplitByTime(t *testing.T) {
	s := snapshotDates(historyAsOf, 8)
	if len(s) != 9 {
		t.Fatalf("%d dates", len(s))
	}
	holdout := s[len(s)-1]
	if !holdout.AddDate(0, 0, Horizon).Equal(historyAsOf) {
		t.Errorf("holdout snapshot %s: its window must end on the as-of day", holdout.Format(time.DateOnly))
	}
	for k := 1; k < len(s); k++ {
		// The last training window [T, T+90) ends where the holdout's begins.
		if !s[k-1].AddDate(0, 0, Horizon).Equal(s[k]) {
			t.Errorf("snapshot %s + %d days = %s, want %s", s[k-1].Format(time.DateOnly), Horizon,
				s[k-1].AddDate(0, 0, Horizon).Format(time.DateOnly), s[k].Format(time.DateOnly))
		}
	}
}

func mustExec(t *testing.T, pool *pgxpool.Pool, q string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func keys[V any](m map[int64]V) []int64 {
	var ks []int64
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func slices_Index(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	panic("no column " + v)
}
