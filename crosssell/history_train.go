package crosssell

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// HistoryOptions are the choices of one training run on the CRM's history.
type HistoryOptions struct {
	// Families to train; empty means every family of Families.
	Families []string
	// AsOf is the last day of history to use (outcomes dated before it);
	// zero means today. The holdout snapshot is AsOf − Horizon.
	AsOf time.Time
	// Clients bounds the sample of clients read (0: DefaultHistoryClients).
	Clients int
	// Snapshots is the number of training snapshots, Horizon days apart
	// before the holdout's (0: DefaultSnapshots).
	Snapshots int
	// Lambda is the L2 penalty; 0 means DefaultLambda.
	Lambda float64
	// FitRows bounds the rows a family's fit reads (0: DefaultFitRows;
	// negative: no bound): past it, every take-up and a weighted draw of
	// the other rows (trainFamily).
	FitRows int
	// Log, when set, hears each phase as it ends (the read, the
	// encoding, each family), for an operator watching a long run.
	Log *slog.Logger
}

// DefaultHistoryClients bounds the clients a training run reads. Every
// client brings one row per snapshot she was a client at (nine by
// default), about 270 bytes each plus some 20 encoded features of 12
// bytes: a million clients are 7.6 million rows, 4 GB live, 5.2 GB RSS
// and 3 min 36 s on two cores (docs/benchmarks.md); 50,000 clients run
// in 312 MB and 31 s. The clients are drawn by a hash of their id, so the same
// database gives the same sample. Take-ups of a family at a few per cent
// a quarter give thousands of positives at this size, past which the
// holdout AUC of a model of ~100 features barely moves.
const DefaultHistoryClients = 50_000

// DefaultFitRows bounds the rows of one family's fit. The fit's time
// grows with its rows times its iterations; on the 1M seed a family has
// about 7 million training rows, some 0.5 s an iteration on two cores.
// Every take-up is kept and the other rows drawn and weighted so that
// the loss minimised is an unbiased estimate of the loss over all rows:
// the model estimates the same weights as a fit of every row, with the
// variance of a million rows, and its probabilities need no correction.
const DefaultFitRows = 1_000_000

// DefaultSnapshots: two years of quarterly snapshots before the holdout's.
// The interactions the seed keeps reach three years back, so every
// training snapshot knows its clients' contacts.
const DefaultSnapshots = 8

// minTakeUps is the fewest take-ups a family needs in the training rows,
// and minHoldoutTakeUps in the holdout, to be trained and judged: below
// that an AUC says more about chance than about the model.
const (
	minTakeUps        = 30
	minHoldoutTakeUps = 10
)

// maxEmptyShare: a column unknown (empty) on more of the training rows
// than this is left out, because its weight would be learnt from the few
// snapshots that know it and applied to all.
const maxEmptyShare = 0.5

// HistoryRun is the outcome of TrainHistory: one trained model per family
// that had enough take-ups, and what was decided on the way.
type HistoryRun struct {
	AsOf      time.Time
	Snapshots []time.Time // the training snapshots, then the holdout's
	Sampled   int         // clients in the sample
	Clients   int         // clients in the database
	Examples  int         // rows read (clients × snapshots they were clients at)
	Notes     []string    // columns left out and why
	Trained   []*Trained  // Family is set on each
	Skipped   []string    // families not trained, and why
	// ReadSeconds is the time the examples took to read from PostgreSQL,
	// EncodeSeconds to encode them into the features of every family
	// (Entries non-zero features in all), and FamilySeconds each family's
	// selection, fit and scoring.
	ReadSeconds, EncodeSeconds float64
	Entries                    int
	FamilySeconds              map[string]float64
	share                      int // clients sampled, in millionths
}

// Window is the history a run learnt from, for a model's source_name.
func (r *HistoryRun) Window() string {
	return fmt.Sprintf("history %s…%s, %d snapshots, %d of %d clients", r.Snapshots[0].Format(time.DateOnly),
		r.AsOf.Format(time.DateOnly), len(r.Snapshots), r.Sampled, r.Clients)
}

// snapshotDates returns the training snapshots and the holdout's, oldest
// first. The holdout snapshot is the last whose 90-day outcome is fully
// known by asOf; each training snapshot is Horizon days before the next,
// so the take-ups of the last training snapshot end on the holdout
// snapshot's day: no training label comes from the holdout's window.
func snapshotDates(asOf time.Time, n int) []time.Time {
	asOf = time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	out := make([]time.Time, n+1)
	for k := range n + 1 {
		out[n-k] = asOf.AddDate(0, 0, -Horizon*(k+1))
	}
	return out
}

// TrainHistory reads the history once for every family and fits one model
// per family on the training snapshots, judged on the holdout snapshot.
func TrainHistory(ctx context.Context, pool *pgxpool.Pool, opt HistoryOptions) (*HistoryRun, error) {
	if opt.AsOf.IsZero() {
		opt.AsOf = time.Now()
	}
	if opt.Clients == 0 {
		opt.Clients = DefaultHistoryClients
	}
	if opt.Snapshots == 0 {
		opt.Snapshots = DefaultSnapshots
	}
	if opt.Lambda == 0 {
		opt.Lambda = DefaultLambda
	}
	if opt.FitRows == 0 {
		opt.FitRows = DefaultFitRows
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	switch {
	case opt.Clients < 100:
		return nil, fmt.Errorf("clients %d: a sample of fewer than 100 clients cannot be judged", opt.Clients)
	case opt.Snapshots < 1 || opt.Snapshots > 40:
		return nil, fmt.Errorf("snapshots %d: want between 1 and 40", opt.Snapshots)
	case opt.Lambda < 0:
		return nil, fmt.Errorf("lambda %g: the L2 penalty cannot be negative", opt.Lambda)
	}
	families := opt.Families
	if len(families) == 0 {
		families = familyNames()
	}
	for _, f := range families {
		if familyIndex(f) < 0 {
			return nil, fmt.Errorf("family %q is not a product family of the history (%s)", f, strings.Join(familyNames(), ", "))
		}
	}
	run := &HistoryRun{AsOf: time.Date(opt.AsOf.Year(), opt.AsOf.Month(), opt.AsOf.Day(), 0, 0, 0, 0, time.UTC)}
	run.Snapshots = snapshotDates(run.AsOf, opt.Snapshots)
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM clients`).Scan(&run.Clients); err != nil {
		return nil, fmt.Errorf("count clients: %w", err)
	}
	if run.Clients == 0 {
		return nil, fmt.Errorf("the database has no clients: there is no history to learn from")
	}
	share := 1_000_000
	if run.Clients > opt.Clients {
		share = int(math.Ceil(1_000_000 * float64(opt.Clients) / float64(run.Clients)))
	}
	start := time.Now()
	// The bookings are read only when they will be used: known (the
	// bookings kept reach back to T−90) on at least half the training
	// rows, as historyLayoutOf requires of every column.
	unread := map[string]float64{}
	known, all, err := bookingsKnown(ctx, pool, run.Snapshots[:len(run.Snapshots)-1], share)
	if err != nil {
		return nil, err
	}
	if all > 0 && float64(all-known)/float64(all) > maxEmptyShare {
		for _, c := range bookingColumns {
			unread[c] = float64(all-known) / float64(all)
		}
	}
	ex, err := extract(ctx, pool, extractOptions{snapshots: run.Snapshots, share: share, noBookings: len(unread) > 0})
	if err != nil {
		return nil, err
	}
	run.ReadSeconds = time.Since(start).Seconds()
	opt.Log.Info("history read", "rows", len(ex.rows), "clients", ex.sampled, "bookings_read", len(unread) == 0, "seconds", round1(run.ReadSeconds))
	run.Sampled, run.Examples, run.share = ex.sampled, len(ex.rows), share
	holdout := int16(len(run.Snapshots) - 1)
	var train []int
	for i, e := range ex.rows {
		if e.snapshot != holdout {
			train = append(train, i)
		}
	}
	if len(train) == 0 {
		return nil, fmt.Errorf("no client was a client before %s: the history is too short for %d snapshots", run.Snapshots[0].Format(time.DateOnly), opt.Snapshots)
	}
	layout, notes := historyLayoutOf(ex, train, unread)
	run.Notes = notes
	enc := newHistoryEncoder(layout, ex)
	features := layout.Features()
	start = time.Now()
	x := enc.matrix(ex)
	run.EncodeSeconds = time.Since(start).Seconds()
	run.Entries = len(x.idx)
	run.FamilySeconds = map[string]float64{}
	opt.Log.Info("history encoded", "rows", x.rows(), "entries", run.Entries, "features", enc.width, "seconds", round1(run.EncodeSeconds))
	for _, name := range families {
		if err := ctx.Err(); err != nil {
			return nil, err // interrupted: a family's fit is minutes on a whole firm
		}
		start := time.Now()
		t, skip, err := trainFamily(ex, x, opt.FitRows, enc.width, layout, features, familyIndex(name), holdout, opt.Lambda, run)
		run.FamilySeconds[name] = time.Since(start).Seconds()
		if t != nil {
			opt.Log.Info("family trained", "family", name, "train_rows", t.Metrics.Train.Rows, "fit_seconds", round1(t.Metrics.Seconds),
				"iterations", t.Metrics.Iterations, "holdout_auc", math.Round(t.Metrics.Holdout.AUC*1e4)/1e4, "seconds", round1(run.FamilySeconds[name]))
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if skip != "" {
			run.Skipped = append(run.Skipped, name+": "+skip)
			continue
		}
		run.Trained = append(run.Trained, t)
	}
	return run, nil
}

func round1(s float64) float64 { return math.Round(s*10) / 10 }

// bookingColumns are the features read from the bookings.
var bookingColumns = []string{"transactions_90d", "salary_credits_90d"}

// bookingsKnown counts the training rows of the sample (clients × the
// snapshots they were clients at, as extract reads them) and those whose
// snapshot the bookings kept reach back 90 days before, as extract
// decides it: by the sample's first booking, found through the bookings'
// client index. A few seconds for a million clients, against two
// minutes to read and count the bookings themselves.
func bookingsKnown(ctx context.Context, pool *pgxpool.Pool, snapshots []time.Time, share int) (known, all int, err error) {
	const q = `
WITH sample AS (SELECT id, created_at, birth_date FROM clients WHERE abs(hashint8(id) % 1000000) < $2),
booking_from AS (
	SELECT min(f.at) AS at FROM sample s
	CROSS JOIN LATERAL (SELECT b.booked_at AS at FROM account_transactions b WHERE b.client_id = s.id ORDER BY b.booked_at LIMIT 1) f
)
SELECT count(*) FILTER (WHERE (SELECT at FROM booking_from) <= snap.t - 90), count(*)
FROM sample s
JOIN unnest($1::date[]) AS snap(t) ON s.created_at < snap.t AND (s.birth_date IS NULL OR s.birth_date < snap.t)`
	dates := make([]time.Time, len(snapshots))
	for i, t := range snapshots {
		dates[i] = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	if err := pool.QueryRow(ctx, q, pgx.QueryExecModeDescribeExec, dates, share).Scan(&known, &all); err != nil {
		return 0, 0, fmt.Errorf("read history: first booking: %w", err)
	}
	return known, all, nil
}

// sparseCounts are the columns kept sparse: scaled by their standard
// deviation but not centred, so that a client with no contacts, no event
// and no offer adds nothing to her score (and her row stores nothing),
// and without intervals. The holds_ and had_ flags are neither centred
// nor scaled: a contribution reads "holds a mortgage".
func sparseCount(name string) bool {
	for _, p := range []string{"contacts_", "inbound_", "transactions_", "salary_", "life_events_", "new_relationships_", "offers_"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// historyLayoutOf decides each column's scaling, intervals and levels from
// the training rows only, and leaves out the columns that cannot teach
// anything: unknown on most rows, or the same on every row (no offer
// responses recorded yet, no life events).
//
// unread are the columns extract was told not to read, with the share of
// the training rows they would have been unknown on: they are left out
// and named with that share.
func historyLayoutOf(ex *examples, train []int, unread map[string]float64) (*Layout, []string) {
	l := &Layout{Known: historyLayout, Outcome: fmt.Sprintf("took up the family within %d days", Horizon)}
	var notes, unknown, constant []string
	// Every numeric column's values, on at most 200,000 training rows
	// taken at a regular stride: the quantiles of a larger sample do not
	// move, and sorting stays short.
	stride := max(1, len(train)/200_000)
	for c, name := range ex.numeric {
		col := Column{Name: name, Kind: Numeric}
		if share, ok := unread[name]; ok {
			unknown = append(unknown, fmt.Sprintf("%s (%.0f%%)", name, 100*share))
			continue
		}
		var values []float64
		empty := 0
		for k := 0; k < len(train); k += stride {
			v := ex.rows[train[k]].num[c]
			if math.IsNaN(float64(v)) {
				empty++
				continue
			}
			values = append(values, float64(v))
		}
		seen := (len(train) + stride - 1) / stride
		if share := float64(empty) / float64(seen); share > maxEmptyShare {
			unknown = append(unknown, fmt.Sprintf("%s (%.0f%%)", name, 100*share))
			continue
		}
		lo, hi := slices.Min(values), slices.Max(values)
		if lo == hi {
			constant = append(constant, name+"="+formatNumber(lo))
			continue
		}
		col.Empty = empty > 0
		mean, sd := meanSD(values)
		switch {
		case strings.HasPrefix(name, "holds_"), strings.HasPrefix(name, "had_"):
			col.SD = 1
		case sparseCount(name):
			col.SD = math.Sqrt(sd*sd + mean*mean) // root mean square: scaled, not centred
		default:
			col.Mean, col.SD = mean, sd
			col.Cuts = quantileCuts(values)
		}
		l.Columns = append(l.Columns, col)
	}
	for c, name := range ex.cat {
		seen := map[uint16]bool{}
		for _, i := range train {
			if k := ex.rows[i].cat[c]; k != 0 {
				seen[k] = true
			}
		}
		col := Column{Name: name, Kind: Categorical}
		for k := range seen {
			col.Levels = append(col.Levels, ex.levels[c][k])
		}
		sort.Strings(col.Levels)
		if len(col.Levels) < 2 {
			constant = append(constant, name+"="+strings.Join(col.Levels, ""))
			continue
		}
		l.Columns = append(l.Columns, col)
	}
	if len(unknown) > 0 {
		notes = append(notes, "left out, unknown on most training rows (the history kept does not reach back to their snapshots): "+strings.Join(unknown, ", "))
	}
	if len(constant) > 0 {
		notes = append(notes, "left out, the same on every training row (nothing recorded to learn from): "+strings.Join(constant, ", "))
	}
	return l, notes
}

// historyEncoder turns examples into the model's features, exactly as
// encoder.encode does for the fields of a file (the same layout, the same
// order of features), without formatting numbers as text.
type historyEncoder struct {
	width int
	cols  []historyColumn
}

type historyColumn struct {
	c     Column
	src   int   // index into example.num or example.cat
	at    int   // the column's first feature
	level []int // categorical: the feature offset of each of the examples' levels, -1 for none
}

func newHistoryEncoder(l *Layout, ex *examples) *historyEncoder {
	e := &historyEncoder{}
	j := 0
	for _, c := range l.Columns {
		hc := historyColumn{c: c, at: j}
		if c.Kind == Categorical {
			hc.src = slices.Index(ex.cat, c.Name)
			for _, v := range ex.levels[hc.src] {
				i, ok := slices.BinarySearch(c.Levels, v)
				if !ok {
					i = -1 // a level unseen in training: the average client of the column
				}
				hc.level = append(hc.level, i)
			}
			j += len(c.Levels)
		} else {
			hc.src = slices.Index(ex.numeric, c.Name)
			j++
			if c.Empty {
				j++
			}
			if len(c.Cuts) > 0 {
				j += len(c.Cuts) + 1
			}
		}
		e.cols = append(e.cols, hc)
	}
	e.width = j
	return e
}

// encode writes one example's features into dst (len e.width).
func (e *historyEncoder) encode(x *example, dst []float64) {
	clear(dst)
	for _, hc := range e.cols {
		c := &hc.c
		if c.Kind == Categorical {
			if i := hc.level[x.cat[hc.src]]; i >= 0 {
				dst[hc.at+i] = 1
			}
			continue
		}
		bins := hc.at + 1
		if c.Empty {
			bins++
		}
		f := float64(x.num[hc.src])
		if math.IsNaN(f) {
			if c.Empty {
				dst[hc.at+1] = 1
			}
			continue // the mean, in no interval
		}
		dst[hc.at] = (f - c.Mean) / c.SD
		if len(c.Cuts) > 0 {
			dst[bins+sort.Search(len(c.Cuts), func(i int) bool { return c.Cuts[i] > f })] = 1
		}
	}
}

// appendSparse appends one example's non-zero features to idx and val,
// in feature order: the entries encode would leave non-zero in dst, with
// the same values, without writing and scanning a dense row.
func (e *historyEncoder) appendSparse(x *example, idx []int32, val []float64) ([]int32, []float64) {
	for _, hc := range e.cols {
		c := &hc.c
		if c.Kind == Categorical {
			if i := hc.level[x.cat[hc.src]]; i >= 0 {
				idx, val = append(idx, int32(hc.at+i)), append(val, 1)
			}
			continue
		}
		f := float64(x.num[hc.src])
		if math.IsNaN(f) {
			if c.Empty {
				idx, val = append(idx, int32(hc.at+1)), append(val, 1)
			}
			continue
		}
		if v := (f - c.Mean) / c.SD; v != 0 {
			idx, val = append(idx, int32(hc.at)), append(val, v)
		}
		if len(c.Cuts) > 0 {
			bins := hc.at + 1
			if c.Empty {
				bins++
			}
			idx, val = append(idx, int32(bins+sort.Search(len(c.Cuts), func(i int) bool { return c.Cuts[i] > f }))), append(val, 1)
		}
	}
	return idx, val
}

// matrix encodes every example once, for every family: the layout is the
// same for all, only the population and the label differ. The rows are
// sized in a first pass, so the millions of entries of a whole firm are
// allocated once and exactly, not grown by append.
func (e *historyEncoder) matrix(ex *examples) *sparseRows {
	s := &sparseRows{start: make([]int, len(ex.rows)+1)}
	var idx []int32
	var val []float64
	for i := range ex.rows {
		idx, val = e.appendSparse(&ex.rows[i], idx[:0], val[:0])
		s.start[i+1] = s.start[i] + len(idx)
	}
	n := s.start[len(ex.rows)]
	s.idx, s.val = make([]int32, 0, n), make([]float64, 0, n)
	for i := range ex.rows {
		s.idx, s.val = e.appendSparse(&ex.rows[i], s.idx, s.val)
	}
	return s
}

// drawn reports whether the row of client at snapshot is in the draw of
// family bit at rate: a splitmix64 hash of the three, as a number in
// [0, 1), below the rate.
func drawn(client int64, snapshot int16, bit int, rate float64) bool {
	h := uint64(client)*0x9e3779b97f4a7c15 ^ uint64(snapshot)<<40 ^ uint64(bit)<<56
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return float64(h>>11)/(1<<53) < rate
}

// ageBand is the popularity baseline's and the fairness figures' age
// group (AgeBands names them): 6 when the age is unknown (NaN).
func ageBand(age float32) int {
	switch {
	case age != age:
		return 6
	case age < 25:
		return 0
	case age < 35:
		return 1
	case age < 45:
		return 2
	case age < 55:
		return 3
	case age < 65:
		return 4
	}
	return 5
}

// trainFamily fits and judges one family's model. The population at a
// snapshot is the clients who did not hold the family then; the label is
// whether they took it up in the Horizon days from the snapshot.
func trainFamily(ex *examples, x *sparseRows, maxRows, width int, layout *Layout, features []string, bit int, holdout int16, lambda float64, run *HistoryRun) (*Trained, string, error) {
	mask := uint32(1) << bit
	var train, hold []int
	trainPos, holdPos := 0, 0
	for i := range ex.rows {
		e := &ex.rows[i]
		if e.held&mask != 0 {
			continue
		}
		yes := e.took&mask != 0
		if e.snapshot == holdout {
			hold = append(hold, i)
			if yes {
				holdPos++
			}
		} else {
			train = append(train, i)
			if yes {
				trainPos++
			}
		}
	}
	switch {
	case trainPos < minTakeUps:
		return nil, fmt.Sprintf("%d take-ups in the training snapshots, %d needed", trainPos, minTakeUps), nil
	case holdPos < minHoldoutTakeUps:
		return nil, fmt.Sprintf("%d take-ups in the holdout snapshot, %d needed", holdPos, minHoldoutTakeUps), nil
	}
	// Every take-up is fitted; past maxRows training rows, the others
	// are drawn at the rate that brings the rows fitted to maxRows, by a
	// hash of client, snapshot and family (the same rows give the same
	// draw), each weighted by the inverse of the rate.
	rate := 1.0
	if maxRows > 0 && len(train) > maxRows {
		rate = max(float64(maxRows-trainPos), 1) / float64(len(train)-trainPos)
	}
	var sel []int32
	var y, wt []float64
	for _, i := range train {
		e := &ex.rows[i]
		yes := e.took&mask != 0
		if rate < 1 && !yes && !drawn(e.client, e.snapshot, bit, rate) {
			continue
		}
		sel = append(sel, int32(i))
		v, w := 0.0, 1/rate
		if yes {
			v, w = 1, 1
		}
		y = append(y, v)
		if rate < 1 {
			wt = append(wt, w)
		}
	}
	var note string
	if rate < 1 {
		note = fmt.Sprintf("fitted on all %d take-ups and %d of the %d training rows without one (%.2f%%, drawn by a hash of client, snapshot and family), each weighted %.2f: "+
			"an unbiased estimate of the loss over all %d training rows; every training and holdout row is scored",
			trainPos, len(sel)-trainPos, len(train)-trainPos, 100*rate, 1/rate, len(train))
	}
	start := time.Now()
	theta, res, err := fitRows(x, sel, y, wt, float64(len(train)), width, lambda)
	if err != nil {
		return nil, "", err
	}
	elapsed := time.Since(start)
	sel, y, wt = nil, nil, nil
	m := &Model{Layout: *layout, Features: features, Weights: theta[:width], Intercept: theta[width], Lambda: lambda}
	// The same sum as sigmoid(intercept + dotDense(weights, encoded
	// row)): the row's non-zero features, in feature order.
	score := func(idx []int) ([]float64, []bool) {
		s, l := make([]float64, len(idx)), make([]bool, len(idx))
		for k, i := range idx {
			s[k] = sigmoid(m.Intercept + x.dot(i, m.Weights))
			l[k] = ex.rows[i].took&mask != 0
		}
		return s, l
	}
	ts, tl := score(train)
	hs, hl := score(hold)
	t := &Trained{Model: m, Family: Families[bit].Name}
	t.Metrics = Metrics{
		Split: fmt.Sprintf("by date: trained on the %d snapshots %s…%s (take-ups until %s), judged on the snapshot of %s (take-ups %s…%s); population: clients not holding the family at the snapshot",
			len(run.Snapshots)-1, run.Snapshots[0].Format(time.DateOnly), run.Snapshots[holdout-1].Format(time.DateOnly),
			run.Snapshots[holdout].AddDate(0, 0, -1).Format(time.DateOnly), run.Snapshots[holdout].Format(time.DateOnly),
			run.Snapshots[holdout].Format(time.DateOnly), run.AsOf.AddDate(0, 0, -1).Format(time.DateOnly)),
		Fraction: float64(len(hold)) / float64(len(hold)+len(train)),
		Train:    performance(ts, tl),
		Holdout:  performance(hs, hl),
		BaseRate: float64(trainPos) / float64(len(train)),
		Baseline: segmentAgeBaseline(ex, train, hold, mask),
		Lambda:   lambda, Iterations: res.Iterations, Stopped: res.Status, Features: width,
		Seconds:         elapsed.Seconds(),
		Fairness:        fairnessOf(hs, hl, historyGroups(ex, hold)),
		HoldoutSnapshot: run.Snapshots[holdout].Format(time.DateOnly),
		SampleShare:     run.share,
	}
	t.Notes = run.Notes
	if note != "" {
		t.Notes = append(slices.Clone(run.Notes), note)
	}
	return t, "", nil
}

func dotDense(w, x []float64) float64 {
	var z float64
	for j, v := range x {
		if v != 0 {
			z += w[j] * v
		}
	}
	return z
}

// BaselineSegmentAge names the popularity baseline of the history models.
const BaselineSegmentAge = "segment × age band"

// segmentAgeBaseline scores the holdout with the training take-up rate of
// the client's segment and age band (six bands: under 25, then by ten
// years to 65 and over): "offer each group what is popular in it", the
// rule a bank without a model would use. A group unseen in training gets
// the overall rate.
func segmentAgeBaseline(ex *examples, train, hold []int, mask uint32) Baseline {
	seg := slices.Index(ex.cat, "segment")
	group := func(e *example) int { return int(e.cat[seg])*8 + ageBand(e.num[0]) }
	yes, all := map[int]float64{}, map[int]float64{}
	var baseYes float64
	for _, i := range train {
		e := &ex.rows[i]
		g := group(e)
		all[g]++
		if e.took&mask != 0 {
			yes[g]++
			baseYes++
		}
	}
	base := baseYes / float64(len(train))
	s, l := make([]float64, len(hold)), make([]bool, len(hold))
	for k, i := range hold {
		e := &ex.rows[i]
		g := group(e)
		s[k] = base
		if all[g] > 0 {
			s[k] = yes[g] / all[g]
		}
		l[k] = e.took&mask != 0
	}
	return Baseline{Column: BaselineSegmentAge, Performance: performance(s, l)}
}
