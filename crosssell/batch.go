package crosssell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// This file is the nightly rescoring of issue 14, item 8: every client
// scored by the active history model of every product family, stored in
// client_propensities (migration 00036) for the next-best-offer
// arbitration to read with one indexed query (Propensities).
//
// What it promises, and how:
//   - The clients are split into id ranges of about ChunkSize clients
//     (propensity_run_chunks), each its own job in the job queue, so several
//     `ecrm serve` processes share a run, and a chunk that fails is retried
//     by the queue without redoing the others.
//   - A chunk reads its clients' features set-based, by the query training
//     uses restricted to the id range (extract), scores them in Go with
//     every family's model, and writes them with COPY into a temporary
//     table and one upsert, in one transaction that also marks the chunk
//     done. So a chunk is done exactly when its scores are stored, and a
//     crash redoes only the chunks not done.
//   - At most one run is unfinished (a unique index), so a second run does
//     not start while one is in progress: starting then resumes it instead.
//   - Memory is one chunk's rows (about 300 bytes a client), whatever the
//     size of the firm: the scores stream into COPY as they are computed.
//   - The models are fixed when the run starts; a score names its version,
//     and Propensities leaves out scores of a version no longer active.

// RescoreEvery is how often every client is rescored.
const RescoreEvery = 24 * time.Hour

// DefaultChunkSize is the clients of one chunk: 25,000 clients read in
// one set-based query take a few seconds and a few MB, and make 40 jobs
// for a million clients, enough for two processes to share evenly.
const DefaultChunkSize = 25_000

// rescoreLane is the queue of the chunk jobs, worked by rescoreWorkers
// jobs at a time per process: each holds one connection and most of a
// core (PostgreSQL's and then Go's), so two keep both cores of a small
// server busy while leaving connections to the pages and other jobs.
const (
	rescoreLane    = "crosssell_rescore"
	rescoreWorkers = 2
)

// chunkTimeout bounds one chunk (seconds normally; the queue's default of
// a minute is too short for a loaded machine, so the job keeps its own).
const chunkTimeout = 15 * time.Minute

// ErrNoActiveModels is Start's error when no family has an active model
// trained on the CRM's history: there is nothing to score with.
var ErrNoActiveModels = errors.New("no product family has an active history model (ecrm model train, then ecrm model activate)")

// Run is a rescoring run as stored.
type Run struct {
	ID        int64
	AsOf      time.Time         // the day scored (features as known the morning after)
	Versions  map[string]string // family → the version scoring it
	ChunkSize int
	Chunks    int // chunks in all
	Done      int // chunks done
	Clients   int // clients scored by the chunks done
	Scores    int // rows computed by the chunks done
	StartedAt time.Time
	// FinishedAt is zero while the run is in progress.
	FinishedAt time.Time
}

// Batch runs rescoring runs. It is safe for concurrent use.
type Batch struct {
	store *Store
	pool  *pgxpool.Pool
	queue *jobs.Queue
	log   *slog.Logger
	// ChunkSize is the clients per chunk of a new run (0: DefaultChunkSize).
	ChunkSize int

	mu     sync.Mutex
	models map[string]*Version // stored versions never change, so they are kept

	// failChunk, when set (tests), is called before a chunk writes; an
	// error fails the chunk's transaction as a crash would.
	failChunk func(run int64, chunk, attempt int) error
}

// NewBatch returns the batch of store's pool. SetQueue must be called
// before Start.
func NewBatch(store *Store, log *slog.Logger) *Batch {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Batch{store: store, pool: store.pool, log: log, models: map[string]*Version{}}
}

// SetQueue gives the batch the queue its chunk jobs are inserted in (the
// queue is built after the jobs are registered, so it comes afterwards).
func (b *Batch) SetQueue(q *jobs.Queue) { b.queue = q }

// rescoreArgs is the nightly job starting (or resuming) a run.
type rescoreArgs struct{}

func (rescoreArgs) Kind() string { return "crosssell.rescore_clients" }

// rescoreChunkArgs is one chunk of a run.
type rescoreChunkArgs struct {
	Run   int64 `json:"run"`
	Chunk int   `json:"chunk"`
}

func (rescoreChunkArgs) Kind() string { return "crosssell.rescore_chunk" }

// InsertOpts put chunks in their own lane, and make a chunk queued again
// when a run resumes a no-op while its job is still waiting or running.
func (rescoreChunkArgs) InsertOpts() jobs.InsertOpts {
	return jobs.InsertOpts{Queue: rescoreLane, UniqueOpts: jobs.UniqueOpts{ByArgs: true}}
}

// RegisterJobs schedules the nightly run (and one when the leader starts:
// a run already in progress, say cut short by a restart, is resumed) and
// registers the worker of the chunks.
func (b *Batch) RegisterJobs(reg *jobs.Registry) {
	b.registerChunks(reg)
	jobs.Handle(reg, func(ctx context.Context, _ *jobs.Job[rescoreArgs]) error {
		run, started, err := b.Start(ctx, time.Now())
		switch {
		case errors.Is(err, ErrNoActiveModels):
			b.log.Info("propensities not rescored: " + err.Error())
			return nil
		case err != nil:
			return fmt.Errorf("rescore clients: %w", err)
		case started:
			b.log.Info("propensity run started", "run", run.ID, "as_of", run.AsOf.Format(time.DateOnly), "chunks", run.Chunks, "families", len(run.Versions))
		default:
			b.log.Info("propensity run in progress, resumed", "run", run.ID, "chunks", run.Chunks, "done", run.Done)
		}
		return nil
	})
	jobs.Every(reg, "crosssell.rescore_clients", RescoreEvery, func() jobs.Args { return rescoreArgs{} })
}

// registerChunks registers the worker of the chunks and their lane.
func (b *Batch) registerChunks(reg *jobs.Registry) {
	jobs.Lane(reg, rescoreLane, rescoreWorkers)
	jobs.Handle(reg, func(ctx context.Context, job *jobs.Job[rescoreChunkArgs]) error {
		work, cancel := context.WithTimeout(context.WithoutCancel(ctx), chunkTimeout)
		defer cancel()
		stop := context.AfterFunc(ctx, func() {
			if errors.Is(ctx.Err(), context.Canceled) { // the queue stops: give the chunk back
				cancel()
			}
		})
		defer stop()
		err := b.workChunk(work, job.Args.Run, job.Args.Chunk, job.Attempt)
		if errors.Is(err, errNoChunk) {
			return jobs.Cancel(err)
		}
		return err
	})
}

// historyVersions returns the active history model of every family that
// has one. A family whose active model was trained on an outside file is
// left out: its columns are the file's, not the CRM's (scoreClient).
func (b *Batch) historyVersions(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range Families {
		v, err := b.store.Active(ctx, f.Name)
		if errors.Is(err, ErrModelNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("active model of %s: %w", f.Name, err)
		}
		if v.Source != SourceHistory || v.Model.Layout.Known != historyLayout {
			b.log.Info("family not rescored: its active model was not trained on the CRM's history", "family", f.Name, "version", v.Version)
			continue
		}
		out[f.Name] = v.Version
		b.keep(v)
	}
	return out, nil
}

func (b *Batch) keep(v *Version) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.models[v.Version] = v
}

// model returns a stored version, read once per process.
func (b *Batch) model(ctx context.Context, version string) (*Version, error) {
	b.mu.Lock()
	v := b.models[version]
	b.mu.Unlock()
	if v != nil {
		return v, nil
	}
	v, err := b.store.Model(ctx, version)
	if err != nil {
		return nil, err
	}
	b.keep(v)
	return v, nil
}

// runLockKey orders the starts of runs, so that two processes' nightly
// jobs (or an operator's command) do not both find no run open and race
// to the unique index.
const runLockKey = 0x6563726d_72756e73 // "ecrmruns"

// Start begins a run scoring every client as of the day of asOf with the
// active history models, and queues its chunks. When a run is already in
// progress it starts none and resumes that one instead, queueing again
// any of its chunks whose job was lost (discarded after its attempts, or
// removed): started is false then. ErrNoActiveModels when no family has
// an active history model.
func (b *Batch) Start(ctx context.Context, asOf time.Time) (run Run, started bool, err error) {
	if b.queue == nil {
		return Run{}, false, errors.New("rescore: the batch has no job queue")
	}
	versions, err := b.historyVersions(ctx)
	if err != nil {
		return Run{}, false, err
	}
	size := b.ChunkSize
	if size <= 0 {
		size = DefaultChunkSize
	}
	day := time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	var id int64
	err = pgdb.Transact(ctx, b.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		started = false
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(runLockKey)); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `SELECT id FROM propensity_runs WHERE finished_at IS NULL`).Scan(&id)
		switch {
		case err == nil:
			return b.queueChunks(ctx, tx, id)
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		case len(versions) == 0:
			return ErrNoActiveModels
		}
		vs, err := json.Marshal(versions)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO propensity_runs (as_of, versions, chunk_size) VALUES ($1, $2, $3) RETURNING id`,
			day, vs, size).Scan(&id); err != nil {
			return err
		}
		// The first client of every chunk, by id; each chunk runs to the
		// next one's first, the first and the last are open-ended.
		const q = `
			INSERT INTO propensity_run_chunks (run_id, chunk, from_id, to_id)
			SELECT $1, (k - 1)::int, CASE WHEN k > 1 THEN id END, lead(id) OVER (ORDER BY id)
			FROM (SELECT id, row_number() OVER (ORDER BY id) AS k
			      FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM clients) c
			      WHERE n % $2 = 0) firsts`
		tag, err := tx.Exec(ctx, q, id, size)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 { // no client yet: one chunk covers whoever comes
			if _, err := tx.Exec(ctx, `INSERT INTO propensity_run_chunks (run_id, chunk) VALUES ($1, 0)`, id); err != nil {
				return err
			}
		}
		started = true
		return b.queueChunks(ctx, tx, id)
	})
	if err != nil {
		if errors.Is(err, ErrNoActiveModels) {
			return Run{}, false, err
		}
		return Run{}, false, fmt.Errorf("rescore: start: %w", err)
	}
	run, err = b.Run(ctx, id)
	return run, started, err
}

// queueChunks queues a job for every chunk of the run not done. A chunk
// whose job is still waiting or running is not queued twice (the jobs
// are unique by their arguments, and inserted one by one: an insert by
// COPY would fail on the duplicate instead of skipping it; a run has tens
// of chunks, not thousands).
func (b *Batch) queueChunks(ctx context.Context, tx pgx.Tx, run int64) error {
	rows, err := tx.Query(ctx, `SELECT chunk FROM propensity_run_chunks WHERE run_id = $1 AND done_at IS NULL ORDER BY chunk`, run)
	if err != nil {
		return err
	}
	chunks, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return err
	}
	for _, c := range chunks {
		if err := b.queue.InsertTx(ctx, tx, rescoreChunkArgs{Run: run, Chunk: c}); err != nil {
			return err
		}
	}
	return nil
}

// Run returns a run with its progress.
func (b *Batch) Run(ctx context.Context, id int64) (Run, error) {
	const q = `
		SELECT r.id, r.as_of, r.versions, r.chunk_size, r.started_at, r.finished_at,
		       count(c.chunk)::int, count(c.done_at)::int, coalesce(sum(c.clients), 0)::int, coalesce(sum(c.scores), 0)::int
		FROM propensity_runs r LEFT JOIN propensity_run_chunks c ON c.run_id = r.id
		WHERE r.id = $1
		GROUP BY r.id`
	var r Run
	var vs []byte
	var finished *time.Time
	err := b.pool.QueryRow(ctx, q, id).Scan(&r.ID, &r.AsOf, &vs, &r.ChunkSize, &r.StartedAt, &finished,
		&r.Chunks, &r.Done, &r.Clients, &r.Scores)
	if err != nil {
		return Run{}, fmt.Errorf("rescoring run %d: %w", id, err)
	}
	if finished != nil {
		r.FinishedAt = *finished
	}
	if err := json.Unmarshal(vs, &r.Versions); err != nil {
		return Run{}, fmt.Errorf("rescoring run %d: versions: %w", id, err)
	}
	return r, nil
}

// errNoChunk is a chunk job whose chunk does not exist (its run was
// removed by hand): there is nothing to retry.
var errNoChunk = errors.New("no such chunk")

// chunkRange is one chunk's clients, [from, to), nil unbounded.
type chunkRange struct {
	run      int64
	chunk    int
	from, to *int64
}

// workChunk scores one chunk (the job of a chunk): it waits for a process
// already scoring it, and does nothing when it is done.
func (b *Batch) workChunk(ctx context.Context, run int64, chunk, attempt int) error {
	err := pgx.BeginTxFunc(ctx, b.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		c := chunkRange{run: run, chunk: chunk}
		var done *time.Time
		err := tx.QueryRow(ctx, `SELECT from_id, to_id, done_at FROM propensity_run_chunks WHERE run_id = $1 AND chunk = $2 FOR UPDATE`, run, chunk).
			Scan(&c.from, &c.to, &done)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("run %d, chunk %d: %w", run, chunk, errNoChunk)
		}
		if err != nil || done != nil {
			return err
		}
		return b.scoreChunk(ctx, tx, c, attempt)
	})
	if err != nil && !errors.Is(err, errNoChunk) {
		return fmt.Errorf("rescore run %d, chunk %d: %w", run, chunk, err)
	}
	return err
}

// Work scores the chunks of a run that no process is scoring, with
// workers at a time, until none is left (ecrm model rescore: the
// operator's "now" beside the nightly job). Chunks being scored by
// others are skipped; their processes finish them, and the run with them.
func (b *Batch) Work(ctx context.Context, run int64, workers int) error {
	errs := make(chan error, max(1, workers))
	for range max(1, workers) {
		go func() {
			for {
				more, err := b.workNext(ctx, run)
				if err != nil || !more {
					errs <- err
					return
				}
			}
		}()
	}
	var first error
	for range max(1, workers) {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// workNext scores the first chunk of run not done that nobody holds; more
// is false when there was none.
func (b *Batch) workNext(ctx context.Context, run int64) (more bool, err error) {
	err = pgx.BeginTxFunc(ctx, b.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		c := chunkRange{run: run}
		err := tx.QueryRow(ctx, `
			SELECT chunk, from_id, to_id FROM propensity_run_chunks
			WHERE run_id = $1 AND done_at IS NULL ORDER BY chunk LIMIT 1 FOR UPDATE SKIP LOCKED`, run).Scan(&c.chunk, &c.from, &c.to)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		more = true
		return b.scoreChunk(ctx, tx, c, 0)
	})
	if err != nil {
		return false, fmt.Errorf("rescore run %d: %w", run, err)
	}
	return more, nil
}

// chunkSettings: a chunk's statements run once a night, not worth
// JIT-compiling, and their hashes of a chunk's rows fit in memory.
const chunkSettings = `SET LOCAL jit = off; SET LOCAL work_mem = '64MB'`

// scoreChunk scores the clients of c with the run's models and stores
// them in tx, marks the chunk done, and finishes the run when it was the
// last. tx holds the chunk's row lock.
func (b *Batch) scoreChunk(ctx context.Context, tx pgx.Tx, c chunkRange, attempt int) error {
	var asOf time.Time
	var vs []byte
	if err := tx.QueryRow(ctx, `SELECT as_of, versions FROM propensity_runs WHERE id = $1`, c.run).Scan(&asOf, &vs); err != nil {
		return err
	}
	var versions map[string]string
	if err := json.Unmarshal(vs, &versions); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, chunkSettings); err != nil {
		return err
	}
	// The morning after the day scored, as scoreClient reads one client.
	t := asOf.AddDate(0, 0, 1)
	began := time.Now()
	ex, err := extract(ctx, tx, extractOptions{snapshots: []time.Time{t}, share: 1_000_000, known: true, from: c.from, to: c.to})
	if err != nil {
		return err
	}
	src := &scoreSource{ex: ex}
	// Versions trained in one run share their layout: a client is encoded
	// once per distinct layout, not once per family.
	layouts := map[string]int{}
	for _, f := range Families { // in Families' order, so rows come out the same way each night
		version, ok := versions[f.Name]
		if !ok {
			continue
		}
		v, err := b.model(ctx, version)
		if err != nil {
			return err
		}
		key, err := json.Marshal(v.Model.Layout)
		if err != nil {
			return err
		}
		enc, ok := layouts[string(key)]
		if !ok {
			enc = len(src.encoders)
			layouts[string(key)] = enc
			e := newHistoryEncoder(&v.Model.Layout, ex)
			src.encoders = append(src.encoders, e)
			src.xs = append(src.xs, make([]float64, e.width))
		}
		src.models = append(src.models, familyModel{family: f.Name, version: version, model: v.Model, enc: enc})
	}
	if b.failChunk != nil {
		if err := b.failChunk(c.run, c.chunk, attempt); err != nil {
			return err
		}
	}
	read := time.Now()
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE client_propensities_new (client_id bigint NOT NULL, family text NOT NULL,
		model_version text NOT NULL, micros integer NOT NULL, reasons jsonb NOT NULL) ON COMMIT DROP`); err != nil {
		return err
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"client_propensities_new"}, []string{"client_id", "family", "model_version", "micros", "reasons"}, src)
	if err != nil {
		return err
	}
	// No ANALYZE of the temporary table: its pages tell the planner its
	// size, which is all the two statements below need, and analyzing the
	// reasons' JSON took half a second a chunk.
	scored := time.Now()
	// Rows that did not change are left alone: most clients' features
	// move little from one night to the next, and an unchanged row costs
	// a read instead of a new row version and its index entry.
	if _, err := tx.Exec(ctx, `
		INSERT INTO client_propensities AS p (client_id, family, model_version, probability, reasons, scored_at)
		SELECT client_id, family, model_version, micros * 0.000001, reasons, now() FROM client_propensities_new
		ON CONFLICT (client_id, family) DO UPDATE SET model_version = excluded.model_version,
			probability = excluded.probability, reasons = excluded.reasons, scored_at = excluded.scored_at
		WHERE (p.model_version, p.probability, p.reasons) IS DISTINCT FROM (excluded.model_version, excluded.probability, excluded.reasons)`); err != nil {
		return fmt.Errorf("store propensities: %w", err)
	}
	// The range now holds this run's rows only: a client gone or a family
	// no longer scored leaves nothing behind.
	if _, err := tx.Exec(ctx, `
		DELETE FROM client_propensities p
		WHERE ($1::bigint IS NULL OR p.client_id >= $1) AND ($2::bigint IS NULL OR p.client_id < $2)
		  AND NOT EXISTS (SELECT 1 FROM client_propensities_new n WHERE n.client_id = p.client_id AND n.family = p.family)`,
		c.from, c.to); err != nil {
		return fmt.Errorf("store propensities: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE propensity_run_chunks SET done_at = clock_timestamp(), clients = $3, scores = $4 WHERE run_id = $1 AND chunk = $2`,
		c.run, c.chunk, len(ex.rows), n); err != nil {
		return err
	}
	// The last chunk finishes the run. The run's row lock makes chunks
	// ending at once take turns, and the statement after it sees the
	// chunks of those that committed before: exactly one finds none left.
	if _, err := tx.Exec(ctx, `SELECT 1 FROM propensity_runs WHERE id = $1 FOR UPDATE`, c.run); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `
		UPDATE propensity_runs SET finished_at = clock_timestamp()
		WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM propensity_run_chunks WHERE run_id = $1 AND done_at IS NULL)`, c.run)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 1 {
		// The run that fills the table leaves it without statistics until
		// autovacuum comes by, and one client's read is then planned as if
		// she had a million rows (and JIT-compiled: 140 ms instead of
		// 0.2 ms on the 1M-client seed). A second's sample fixes it.
		if _, err := tx.Exec(ctx, `ANALYZE client_propensities`); err != nil {
			return err
		}
	}
	b.log.Info("propensity chunk scored", "run", c.run, "chunk", c.chunk, "clients", len(ex.rows), "scores", n,
		"read", read.Sub(began).Round(time.Millisecond), "scored", scored.Sub(read).Round(time.Millisecond),
		"stored", time.Since(scored).Round(time.Millisecond), "last", tag.RowsAffected() == 1)
	return nil
}

// familyModel is one family's model bound to a chunk's examples.
type familyModel struct {
	family, version string
	model           *Model
	enc             int // index into scoreSource.encoders
}

// scoreSource feeds COPY with each client's score for each family, in
// that order, computing each as COPY asks for it: nothing but the chunk's
// examples is held.
type scoreSource struct {
	ex       *examples
	models   []familyModel
	encoders []*historyEncoder
	xs       [][]float64 // the current client, by each encoder
	row      int         // the client
	m        int         // the family
	begun    bool
	json     []byte
	values   [5]any
}

func (s *scoreSource) Next() bool {
	if len(s.models) == 0 {
		return false
	}
	if !s.begun {
		s.begun = true
	} else if s.m++; s.m == len(s.models) {
		s.m = 0
		s.row++
	}
	if s.row >= len(s.ex.rows) {
		return false
	}
	e := &s.ex.rows[s.row]
	if s.m == 0 { // a new client: encode her once per layout
		for i, enc := range s.encoders {
			enc.encode(e, s.xs[i])
		}
	}
	fm := &s.models[s.m]
	sc := fm.model.explain(s.xs[fm.enc], TopReasons)
	s.json = appendReasons(s.json[:0], sc.Reasons)
	s.values = [5]any{e.client, fm.family, fm.version, probabilityMicros(sc.Probability), s.json}
	return true
}

func (s *scoreSource) Values() ([]any, error) { return s.values[:], nil }
func (s *scoreSource) Err() error             { return nil }

// probabilityMicros is a probability in millionths, rounded to the
// nearest (strconv's correctly rounded decimal, ties to even on the exact
// binary value): the stored NUMERIC(7,6).
func probabilityMicros(p float64) int32 {
	var buf [24]byte
	b := strconv.AppendFloat(buf[:0], p, 'f', 6, 64) // "0.123457" or "1.000000"
	var m int32
	for _, c := range b {
		if c >= '0' && c <= '9' {
			m = m*10 + int32(c-'0')
		}
	}
	return m
}

// appendReasons writes contributions as encoding/json would (the same
// numbers, the same keys), without its reflection: a million clients
// times fourteen families make this the batch's hottest JSON.
func appendReasons(b []byte, cs []Contribution) []byte {
	b = append(b, '[')
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"feature":`...)
		b = appendJSONString(b, c.Feature)
		b = append(b, `,"value":`...)
		b = strconv.AppendFloat(b, c.Value, 'g', -1, 64)
		b = append(b, `,"effect":`...)
		b = strconv.AppendFloat(b, c.Effect, 'g', -1, 64)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendJSONString quotes s for JSON: quotes, backslashes and control
// characters escaped, other characters (≤, ×) as they are.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		case c < utf8.RuneSelf:
			b = append(b, c)
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
			continue
		}
		i++
	}
	return append(b, '"')
}

// Propensities returns the stored scores of one client, one per family,
// as the nightly run computed them with the family's active model (the
// probability to six decimals). A score of a version that is no longer
// its family's active one is stale and left out, so is every family the
// client has not been scored for yet; none is an empty list, not an error.
func (s *Store) Propensities(ctx context.Context, clientID int64) ([]ClientScore, error) {
	// One read by the primary key; the active version of each family is
	// its newest activation (model_activations_family_idx).
	const q = `
		SELECT p.family, p.model_version, p.probability::float8, p.reasons
		FROM client_propensities p
		WHERE p.client_id = $1
		  AND p.model_version = (SELECT a.version FROM model_activations a WHERE a.family = p.family ORDER BY a.id DESC LIMIT 1)
		ORDER BY p.family`
	rows, err := s.pool.Query(ctx, q, clientID)
	if err != nil {
		return nil, fmt.Errorf("propensities of client %d: %w", clientID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClientScore, error) {
		var cs ClientScore
		var reasons []byte
		if err := r.Scan(&cs.Family, &cs.Version, &cs.Probability, &reasons); err != nil {
			return cs, err
		}
		return cs, json.Unmarshal(reasons, &cs.Reasons)
	})
	if err != nil {
		return nil, fmt.Errorf("propensities of client %d: %w", clientID, err)
	}
	return out, nil
}
