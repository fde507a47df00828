package crosssell

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/demodata"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestRescore runs the nightly rescoring on a generated history of 3,000
// clients with two families' history models active and a third family's
// active model trained on an outside file. The subtests share the
// database and run in order: each run finishes before the next starts.
func TestRescore(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := demodata.Seed(ctx, pool, demodata.Options{Clients: 3000, Seed: 1, AsOf: historyAsOf}); err != nil {
		t.Fatal(err)
	}
	run, err := TrainHistory(ctx, pool, HistoryOptions{AsOf: historyAsOf, Families: []string{"savings", "term-deposit", "travel-insurance"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Trained) != 3 {
		t.Fatalf("trained %d families (%q skipped), want 3", len(run.Trained), run.Skipped)
	}
	store := NewStore(pool)
	trained := map[string]*Trained{}
	for _, tr := range run.Trained {
		trained[tr.Family] = tr
		source := SourceHistory
		if tr.Family == "term-deposit" {
			source = SourceCSV // as if trained on a file: it cannot score the database's clients
		}
		v, err := store.Save(ctx, NewVersion{Family: tr.Family, Source: source, SourceName: run.Window(), TrainedBy: "test", Trained: tr, Rows: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Activate(ctx, v, "test", "batch test"); err != nil {
			t.Fatal(err)
		}
	}
	var clients int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM clients`).Scan(&clients); err != nil {
		t.Fatal(err)
	}
	batch := NewBatch(store, nil)
	batch.ChunkSize = 700
	batch.SetQueue(insertOnlyQueue(t, pool))

	t.Run("ChunksCoverEveryClientOnce", func(t *testing.T) {
		r, started, err := batch.Start(ctx, historyAsOf)
		if err != nil || !started {
			t.Fatalf("Start = %v, %v", started, err)
		}
		want := map[string]string{"savings": "savings-v1", "travel-insurance": "travel-insurance-v1"}
		if !reflect.DeepEqual(r.Versions, want) {
			t.Errorf("versions %v, want %v (term-deposit's active model is a file's)", r.Versions, want)
		}
		if wantChunks := (clients + 699) / 700; r.Chunks != wantChunks || r.Done != 0 || !r.FinishedAt.IsZero() {
			t.Fatalf("run %+v: want %d chunks, none done", r, wantChunks)
		}
		// Every client falls in exactly one chunk, every chunk but the
		// last holds exactly 700, and the ends are open.
		var outside, overlap, short int
		err = pool.QueryRow(ctx, `
			WITH n AS (
				SELECT c.id, count(k.chunk) AS chunks FROM clients c
				LEFT JOIN propensity_run_chunks k ON k.run_id = $1
					AND (k.from_id IS NULL OR c.id >= k.from_id) AND (k.to_id IS NULL OR c.id < k.to_id)
				GROUP BY c.id)
			SELECT count(*) FILTER (WHERE chunks = 0), count(*) FILTER (WHERE chunks > 1),
			       (SELECT count(*) FROM propensity_run_chunks k WHERE k.run_id = $1 AND k.to_id IS NOT NULL
			          AND (SELECT count(*) FROM clients c WHERE (k.from_id IS NULL OR c.id >= k.from_id) AND c.id < k.to_id) <> 700)
			FROM n`, r.ID).Scan(&outside, &overlap, &short)
		if err != nil || outside != 0 || overlap != 0 || short != 0 {
			t.Fatalf("%d clients in no chunk, %d in several, %d chunks not of 700 (%v)", outside, overlap, short, err)
		}
		var open int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM propensity_run_chunks WHERE run_id = $1 AND (from_id IS NULL) <> (chunk = 0) OR (to_id IS NULL) <> (chunk = $2)`,
			r.ID, r.Chunks-1).Scan(&open); err != nil || open != 0 {
			t.Fatalf("%d chunks with the wrong open ends (%v)", open, err)
		}
		if err := batch.Work(ctx, r.ID, 2); err != nil {
			t.Fatal(err)
		}
		r, err = batch.Run(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.FinishedAt.IsZero() || r.Done != r.Chunks || r.Clients != clients || r.Scores != 2*clients {
			t.Fatalf("run after Work: %+v; want finished, %d clients, %d scores", r, clients, 2*clients)
		}
		var rows, distinct int
		if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT client_id) FROM client_propensities WHERE family IN ('savings', 'travel-insurance')`).
			Scan(&rows, &distinct); err != nil || rows != 2*clients || distinct != clients {
			t.Fatalf("%d rows for %d clients stored (%v), want %d for %d", rows, distinct, err, 2*clients, clients)
		}
	})

	t.Run("SameAsScoreClient", func(t *testing.T) {
		for _, id := range []int64{demodata.DemoClientID, 2, 701, 1500, 2999} {
			got, err := store.Propensities(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].Family != "savings" || got[1].Family != "travel-insurance" {
				t.Fatalf("client %d: propensities %+v, want savings and travel-insurance", id, got)
			}
			for _, g := range got {
				want, err := store.scoreClientAt(ctx, id, g.Family, historyAsOf)
				if err != nil {
					t.Fatal(err)
				}
				if p := float64(probabilityMicros(want.Probability)) / 1e6; g.Probability != p || math.Abs(g.Probability-want.Probability) > 5e-7 {
					t.Errorf("client %d, %s: stored %v, ScoreClient %v (rounded %v)", id, g.Family, g.Probability, want.Probability, p)
				}
				if g.Version != want.Version || !reflect.DeepEqual(g.Reasons, want.Reasons) {
					t.Errorf("client %d, %s: stored %s %+v, ScoreClient %s %+v", id, g.Family, g.Version, g.Reasons, want.Version, want.Reasons)
				}
			}
		}
	})

	t.Run("UnchangedRowsLeftAlone", func(t *testing.T) {
		var before time.Time
		if err := pool.QueryRow(ctx, `SELECT max(scored_at) FROM client_propensities`).Scan(&before); err != nil {
			t.Fatal(err)
		}
		r := startAndWork(t, batch, historyAsOf)
		var changed int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM client_propensities WHERE scored_at > $1`, before).Scan(&changed); err != nil || changed != 0 || r.Scores != 2*clients {
			t.Fatalf("the same day rescored: %d rows rewritten (%v), %d computed; want 0 and %d", changed, err, r.Scores, 2*clients)
		}
	})

	t.Run("StaleLeftOut", func(t *testing.T) {
		// The new version is trained a month earlier: its layout (means,
		// intervals) differs from travel-insurance's, so the run encodes
		// each client twice.
		earlier, err := TrainHistory(ctx, pool, HistoryOptions{AsOf: historyAsOf.AddDate(0, -1, 0), Families: []string{"savings"}})
		if err != nil || len(earlier.Trained) != 1 {
			t.Fatalf("train savings a month earlier: %v", err)
		}
		if reflect.DeepEqual(earlier.Trained[0].Model.Layout, trained["travel-insurance"].Model.Layout) {
			t.Fatal("the layouts are the same")
		}
		v2, err := store.Save(ctx, NewVersion{Family: "savings", Source: SourceHistory, SourceName: earlier.Window(), TrainedBy: "test", Trained: earlier.Trained[0], Rows: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Activate(ctx, v2, "test", "a new version"); err != nil {
			t.Fatal(err)
		}
		got, err := store.Propensities(ctx, demodata.DemoClientID)
		if err != nil || len(got) != 1 || got[0].Family != "travel-insurance" || got[0].Version != "travel-insurance-v1" {
			t.Fatalf("after savings-v2's activation, before a run: %+v (%v); want travel-insurance-v1 only", got, err)
		}
		var stored int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM client_propensities WHERE client_id = $1`, demodata.DemoClientID).Scan(&stored); err != nil || stored != 2 {
			t.Fatalf("%d rows stored (%v): the stale row stays until the next run", stored, err)
		}
		startAndWork(t, batch, historyAsOf)
		got, err = store.Propensities(ctx, demodata.DemoClientID)
		if err != nil || len(got) != 2 || got[0].Version != "savings-v2" || got[1].Version != "travel-insurance-v1" {
			t.Fatalf("after the next run: %+v (%v); want savings-v2 and travel-insurance-v1", got, err)
		}
		for _, g := range got {
			want, err := store.scoreClientAt(ctx, demodata.DemoClientID, g.Family, historyAsOf)
			if err != nil || g.Probability != float64(probabilityMicros(want.Probability))/1e6 || !reflect.DeepEqual(g.Reasons, want.Reasons) {
				t.Errorf("%s: stored %+v, ScoreClient %+v (%v)", g.Family, g.Score, want.Score, err)
			}
		}
	})

	t.Run("OneRunAtATime", func(t *testing.T) {
		first, started, err := batch.Start(ctx, historyAsOf)
		if err != nil || !started {
			t.Fatalf("Start = %v, %v", started, err)
		}
		// Four processes' nightly jobs at once, while the first run is in
		// progress: none starts another, each resumes the first.
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, started, err := batch.Start(ctx, historyAsOf.AddDate(0, 0, 1))
				if err != nil || started || r.ID != first.ID {
					t.Errorf("Start during run %d = run %d, started %v, %v", first.ID, r.ID, started, err)
				}
			}()
		}
		wg.Wait()
		var open, queued int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM propensity_runs WHERE finished_at IS NULL`).Scan(&open); err != nil || open != 1 {
			t.Fatalf("%d runs open (%v), want 1", open, err)
		}
		// Resuming queued no chunk twice.
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'crosssell.rescore_chunk' AND (args->>'run')::bigint = $1`, first.ID).
			Scan(&queued); err != nil || queued != first.Chunks {
			t.Fatalf("%d chunk jobs queued for %d chunks (%v)", queued, first.Chunks, err)
		}
		if err := batch.Work(ctx, first.ID, 2); err != nil {
			t.Fatal(err)
		}
		if r, started, err := batch.Start(ctx, historyAsOf); err != nil || !started || r.ID == first.ID {
			t.Fatalf("Start after the run finished = run %d, started %v, %v; want a new run", r.ID, started, err)
		} else if err := batch.Work(ctx, r.ID, 1); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("FailedChunkRetried", func(t *testing.T) {
		// Two queues on the database, as two serve processes: they share
		// the chunks; chunk 2 fails on its first attempt, as if its
		// process had died before committing, and is retried.
		var calls, failures atomic.Int32
		worked := func() *Batch {
			b := NewBatch(store, nil)
			b.ChunkSize = 700
			b.failChunk = func(run int64, chunk, attempt int) error {
				calls.Add(1)
				if chunk == 2 && attempt == 1 {
					failures.Add(1)
					return errors.New("injected failure")
				}
				return nil
			}
			reg := jobs.NewRegistry()
			b.registerChunks(reg)
			q, err := jobs.New(pool, reg, jobs.Config{FetchPoll: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			b.SetQueue(q)
			qctx, cancel := context.WithCancel(ctx)
			if err := q.Start(qctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				stop, c := context.WithTimeout(context.Background(), 10*time.Second)
				defer c()
				_ = q.Stop(stop)
				cancel()
			})
			return b
		}
		a, _ := worked(), worked()
		r, started, err := a.Start(ctx, historyAsOf)
		if err != nil || !started {
			t.Fatalf("Start = %v, %v", started, err)
		}
		deadline := time.Now().Add(90 * time.Second)
		for r.FinishedAt.IsZero() && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
			if r, err = a.Run(ctx, r.ID); err != nil {
				t.Fatal(err)
			}
		}
		if r.FinishedAt.IsZero() || r.Done != r.Chunks || r.Clients != clients {
			t.Fatalf("run %+v not finished in time", r)
		}
		if f, c := failures.Load(), calls.Load(); f != 1 || int(c) != r.Chunks+1 {
			t.Errorf("%d failures, %d chunk attempts; want 1 and %d", f, c, r.Chunks+1)
		}
		// The queue records a job's completion just after the chunk's
		// transaction commits.
		var attempt, errs int
		var state string
		for state != "completed" && time.Now().Before(deadline) {
			if err := pool.QueryRow(ctx, `SELECT attempt, state, coalesce(array_length(errors, 1), 0) FROM river_job
				WHERE kind = 'crosssell.rescore_chunk' AND (args->>'run')::bigint = $1 AND (args->>'chunk')::int = 2`, r.ID).Scan(&attempt, &state, &errs); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if attempt != 2 || state != "completed" || errs != 1 {
			t.Errorf("chunk 2's job: attempt %d, %s, %d errors; want completed at the second attempt after one error", attempt, state, errs)
		}
	})
}

// startAndWork starts a run and works it to the end in this process.
func startAndWork(t *testing.T, b *Batch, asOf time.Time) Run {
	t.Helper()
	ctx := context.Background()
	r, started, err := b.Start(ctx, asOf)
	if err != nil || !started {
		t.Fatalf("Start = %v, %v", started, err)
	}
	if err := b.Work(ctx, r.ID, 2); err != nil {
		t.Fatal(err)
	}
	if r, err = b.Run(ctx, r.ID); err != nil || r.FinishedAt.IsZero() {
		t.Fatalf("run %+v not finished (%v)", r, err)
	}
	return r
}

func insertOnlyQueue(t *testing.T, pool *pgxpool.Pool) *jobs.Queue {
	t.Helper()
	q, err := jobs.New(pool, nil, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestRescoreWithoutModels: with no history model active there is nothing
// to score and no run is recorded.
func TestRescoreWithoutModels(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	b := NewBatch(NewStore(pool), nil)
	b.SetQueue(insertOnlyQueue(t, pool))
	if _, _, err := b.Start(ctx, historyAsOf); !errors.Is(err, ErrNoActiveModels) {
		t.Fatalf("Start = %v, want ErrNoActiveModels", err)
	}
	var runs int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM propensity_runs`).Scan(&runs); err != nil || runs != 0 {
		t.Fatalf("%d runs recorded (%v)", runs, err)
	}
}

// TestExtractRange: the rows read by id range, range after range, are the
// rows read for every client at once, the same values in the same order.
func TestExtractRange(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := demodata.Seed(ctx, pool, demodata.Options{Clients: 400, Seed: 2, AsOf: historyAsOf}); err != nil {
		t.Fatal(err)
	}
	opt := extractOptions{snapshots: []time.Time{historyAsOf.AddDate(0, 0, 1)}, share: 1_000_000, known: true}
	all, err := extract(ctx, pool, opt)
	if err != nil {
		t.Fatal(err)
	}
	var parts []example
	bounds := []*int64{nil, ptr(int64(100)), ptr(int64(101)), ptr(int64(350)), nil}
	for i := range len(bounds) - 1 {
		o := opt
		o.from, o.to = bounds[i], bounds[i+1]
		ex, err := extract(ctx, pool, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ex.rows { // levels are numbered per read: compare them by name
			for c := range e.cat {
				e.cat[c] = uint16(indexOf(all.levels[c], ex.levels[c][e.cat[c]]))
			}
			parts = append(parts, e)
		}
	}
	if len(all.rows) != 400 || len(parts) != len(all.rows) {
		t.Fatalf("%d rows by range, %d at once, want 400", len(parts), len(all.rows))
	}
	for i := range parts {
		a, b := fmt.Sprintf("%v", all.rows[i]), fmt.Sprintf("%v", parts[i])
		if a != b {
			t.Fatalf("row %d: at once %s, by range %s", i, a, b)
		}
	}
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func TestAppendReasonsIsJSON(t *testing.T) {
	cs := []Contribution{
		{Feature: "30 ≤ age < 35", Value: 1, Effect: -0.123456789012345},
		{Feature: `segment="x"\y` + "\t", Value: 1e-7, Effect: 3.5e21},
		{Feature: "holds_savings", Value: -2.25, Effect: 0},
	}
	var got []Contribution
	if err := json.Unmarshal(appendReasons(nil, cs), &got); err != nil {
		t.Fatalf("%s: %v", appendReasons(nil, cs), err)
	}
	if !reflect.DeepEqual(got, cs) {
		t.Fatalf("read back %+v, want %+v", got, cs)
	}
	if s := string(appendReasons(nil, nil)); s != "[]" {
		t.Fatalf("no reasons: %s", s)
	}
}

func TestProbabilityMicros(t *testing.T) {
	for _, tc := range []struct {
		p    float64
		want int32
	}{{0, 0}, {1, 1_000_000}, {0.1234564, 123456}, {0.1234566, 123457}, {0.9999996, 1_000_000}, {4e-7, 0}, {6e-7, 1}} {
		if got := probabilityMicros(tc.p); got != tc.want {
			t.Errorf("probabilityMicros(%v) = %d, want %d", tc.p, got, tc.want)
		}
	}
}

// TestExplainKeepsStableOrder: the top contributions kept on the fly are
// those of a stable sort of every contribution by |effect|, ties (which
// one-hot levels with equal weights make common) included.
func TestExplainKeepsStableOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 2000 {
		n := 1 + r.IntN(40)
		m := &Model{Intercept: r.NormFloat64(), Weights: make([]float64, n), Features: make([]string, n)}
		x := make([]float64, n)
		for j := range n {
			m.Features[j] = fmt.Sprint("f", j)
			m.Weights[j] = float64(r.IntN(7)-3) / 2 // zeros and ties
			x[j] = float64(r.IntN(3)) - float64(r.IntN(2))
		}
		top := r.IntN(6)
		var all []Contribution
		z := m.Intercept
		for j, v := range x {
			if v != 0 && m.Weights[j] != 0 {
				z += m.Weights[j] * v
				all = append(all, Contribution{Feature: m.Features[j], Value: v, Effect: m.Weights[j] * v})
			}
		}
		slices.SortStableFunc(all, func(a, b Contribution) int { return cmp.Compare(math.Abs(b.Effect), math.Abs(a.Effect)) })
		want := all[:min(top, len(all))]
		got := m.explain(x, top)
		if got.Probability != sigmoid(z) || !slices.Equal(got.Reasons, want) {
			t.Fatalf("trial %d (top %d): %+v, want %+v with %v", trial, top, got.Reasons, want, sigmoid(z))
		}
	}
}
