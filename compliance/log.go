package compliance

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Log is the tamper-evident offer log in PostgreSQL. The head lives in
// decision_chain_head, and the database decides it: a Log only remembers
// the head it last wrote as a guess the database checks, so any number of
// Logs in any number of processes append to one chain.
type Log struct {
	pool *pgxpool.Pool
	// Now is the clock; tests replace it. Times are truncated to
	// microseconds, the precision PostgreSQL stores, so that the hash of a
	// record read back equals the hash computed when writing it.
	Now func() time.Time

	// lastHead is the head this Log last committed: a guess at the head
	// that saves the round trip reading it (see commitAfterKnownHead). It
	// is never trusted: the database checks it under the head's lock.
	lastHead struct {
		sync.Mutex
		seq  int64
		hash []byte
	}
	// headMoved counts appends whose guess was wrong (another writer had
	// appended), for tests.
	headMoved atomic.Int64
}

// NewLog returns the log stored in pool's database.
func NewLog(pool *pgxpool.Pool) *Log {
	return &Log{pool: pool, Now: time.Now}
}

// MaxBatch bounds the records of one Append: larger batches hold the chain
// head lock longer than a caller waiting to show an offer should wait.
const MaxBatch = 1000

// MaxBodySize bounds a record's canonical body: evidence, not archives.
const MaxBodySize = 256 << 10

// Append writes records, in order, at the end of the chain in one
// transaction and returns their positions and hashes. Either all records
// are written or none.
//
// An offer may be shown only after Append has returned nil for its record:
// if Append fails, the offer is not shown (fail closed). To record a batch of
// offers (one page of "my offers") pass them together; one transaction per
// batch is what sustains thousands of records per second.
func (l *Log) Append(ctx context.Context, records ...Record) ([]Appended, error) {
	p, err := prepare(records)
	if err != nil || len(p.records) == 0 {
		return nil, err
	}
	return l.commit(ctx, p)
}

// AppendTx is Append inside the caller's transaction, for callers that
// store something else atomically with the record (e.g. the accepted
// order). The chain head stays locked until the caller commits, which
// blocks every other writer: keep the transaction short. The records exist
// only once the caller has committed; show the offer only after that.
func (l *Log) AppendTx(ctx context.Context, tx pgx.Tx, records ...Record) ([]Appended, error) {
	p, err := prepare(records)
	if err != nil {
		return nil, err
	}
	return l.write(ctx, tx, p)
}

// prepared records are validated and their bodies canonical: what is left
// to do happens under the chain head lock.
type prepared struct {
	records []Record
	bodies  [][]byte
}

func prepare(records []Record) (prepared, error) {
	if len(records) == 0 {
		return prepared{}, nil
	}
	if len(records) > MaxBatch {
		return prepared{}, fmt.Errorf("append %d decision records: at most %d per call", len(records), MaxBatch)
	}
	bodies := make([][]byte, len(records))
	for i := range records {
		body, err := records[i].canonicalBody()
		if err != nil {
			return prepared{}, fmt.Errorf("decision record %d (%s): %w", i, &records[i], err)
		}
		bodies[i] = body
	}
	return prepared{records, bodies}, nil
}

// canonicalBody validates r and returns its body in canonical form: what
// every writer (Append, AppendMany) does before taking the chain head lock.
func (r *Record) canonicalBody() ([]byte, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	body, err := r.Body.canonical()
	if err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	if len(body) > MaxBodySize {
		return nil, fmt.Errorf("body is %d bytes, at most %d: record the inputs the engine used, not whole documents", len(body), MaxBodySize)
	}
	return body, nil
}

// fieldsOf is what the hash of r covers once it has a seq and a time.
func fieldsOf(r *Record, seq, recordedAtMicros int64, body []byte) recordFields {
	return recordFields{
		seq: seq, kind: []byte(r.Kind), refersTo: r.RefersTo, clientID: r.ClientID,
		productID: r.ProductID, productVersionID: r.ProductVersionID,
		engine: []byte(r.Engine), engineVersion: []byte(r.EngineVersion), ruleVersion: []byte(r.RuleVersion),
		channel: []byte(r.Channel), actorKind: []byte(r.Actor.Kind), actorStaffID: r.Actor.StaffID,
		outcome: []byte(r.Outcome), recordedAtMicros: recordedAtMicros, body: body,
	}
}

// chainRows are prepared records placed after the chain head: their seqs,
// time and hashes, and the column arrays of the one INSERT that writes them.
type chainRows struct {
	out                                   []Appended
	seqs                                  []int64
	refers, prods, vers, staff            []pgtype.Int8
	clients                               []int64
	kinds, engines, engVers, ruleVers     []string
	channels, actors, outcomes, bodyTexts []string
	prevs, hashes                         [][]byte
	now                                   time.Time
	hasResponse                           bool
}

// place computes the rows of p after the head (headSeq, headHash), under
// the head lock.
func (l *Log) place(p prepared, headSeq int64, headHash []byte) (*chainRows, error) {
	if len(headHash) != 32 {
		return nil, errors.New("decision chain head hash is not 32 bytes")
	}
	records, bodies := p.records, p.bodies
	// The time is taken under the lock, so recorded_at follows seq (up to
	// clock differences between hosts).
	now := l.Now().UTC().Truncate(time.Microsecond)
	n := len(records)
	c := &chainRows{
		out: make([]Appended, n), now: now,
		seqs: make([]int64, n), refers: make([]pgtype.Int8, n), clients: make([]int64, n), prods: make([]pgtype.Int8, n),
		vers: make([]pgtype.Int8, n), staff: make([]pgtype.Int8, n),
		kinds: make([]string, n), engines: make([]string, n), engVers: make([]string, n), ruleVers: make([]string, n),
		channels: make([]string, n), actors: make([]string, n), outcomes: make([]string, n), bodyTexts: make([]string, n),
		prevs: make([][]byte, n), hashes: make([][]byte, n),
	}
	prev := headHash
	var buf []byte
	for i := range records {
		r := &records[i]
		seq := headSeq + int64(i) + 1
		f := fieldsOf(r, seq, now.UnixMicro(), bodies[i])
		var h [32]byte
		h, buf = chainHash(buf, prev, &f)
		c.out[i] = Appended{Seq: seq, RecordedAt: now, Hash: h}
		copy(c.out[i].PrevHash[:], prev)

		c.seqs[i], c.clients[i] = seq, r.ClientID
		c.refers[i], c.prods[i], c.vers[i], c.staff[i] = optInt(r.RefersTo), optInt(r.ProductID), optInt(r.ProductVersionID), optInt(r.Actor.StaffID)
		c.kinds[i], c.engines[i], c.engVers[i], c.ruleVers[i] = string(r.Kind), r.Engine, r.EngineVersion, r.RuleVersion
		c.channels[i], c.actors[i], c.outcomes[i], c.bodyTexts[i] = r.Channel, string(r.Actor.Kind), string(r.Outcome), string(bodies[i])
		c.prevs[i], c.hashes[i] = c.out[i].PrevHash[:], c.out[i].Hash[:]
		prev = c.hashes[i]
		c.hasResponse = c.hasResponse || r.Kind == KindResponse
	}
	return c, nil
}

// The row lock on the head serialises writers across processes; it is
// held until commit, so seqs are gapless and each prev_hash is the hash
// committed just before.
const qHead = `SELECT seq, hash FROM decision_chain_head FOR UPDATE`

// One INSERT for the whole batch and the head update, sent in one round
// trip.
const qInsert = `
INSERT INTO decision_records (seq, kind, refers_to, client_id, product_id, product_version_id,
    engine, engine_version, rule_version, channel, actor_kind, actor_staff_id, outcome,
    body, recorded_at, prev_hash, hash)
SELECT r.seq, r.kind, r.refers_to, r.client_id, r.product_id, r.product_version_id,
    r.engine, r.engine_version, r.rule_version, r.channel, r.actor_kind, r.actor_staff_id, r.outcome,
    r.body::json, $15, r.prev_hash, r.hash
FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],
    $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[], $13::text[],
    $14::text[], $16::bytea[], $17::bytea[])
    AS r(seq, kind, refers_to, client_id, product_id, product_version_id,
         engine, engine_version, rule_version, channel, actor_kind, actor_staff_id, outcome,
         body, prev_hash, hash)`

const qHeadUpdate = `UPDATE decision_chain_head SET seq = $1, hash = $2`

// qInsertAfterHead is qInsert and qHeadUpdate in one statement that does
// both only if the head is still ($18, $19): the UPDATE takes the head's
// row lock (waiting for another writer, then re-reading the row), and the
// rows are inserted only if it moved the head. A head that moved meanwhile
// leaves the transaction empty; nothing is written.
var qInsertAfterHead = `
WITH moved AS (
    UPDATE decision_chain_head SET seq = $20, hash = $21
    WHERE seq = $18 AND hash = $19
    RETURNING 1)
` + qInsert + `
WHERE EXISTS (SELECT FROM moved)`

// A response must answer a shown offer of the same client.
const qResponses = `
SELECT r.seq FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS r(seq, refers_to, client_id)
WHERE r.refers_to IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM decision_records o
    WHERE o.seq = r.refers_to AND o.kind = 'offer_shown' AND o.client_id = r.client_id)
LIMIT 1`

// queueWrite queues the INSERT and the head update.
func (c *chainRows) queueWrite(b *pgx.Batch) {
	n := len(c.seqs)
	b.Queue(qInsert, c.seqs, c.kinds, c.refers, c.clients, c.prods, c.vers, c.engines, c.engVers, c.ruleVers,
		c.channels, c.actors, c.staff, c.outcomes, c.bodyTexts, c.now, c.prevs, c.hashes).Exec(func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() != int64(n) {
			return fmt.Errorf("%d of %d written", tag.RowsAffected(), n)
		}
		return nil
	})
	b.Queue(qHeadUpdate, c.seqs[n-1], c.hashes[n-1])
}

// write appends prepared records in tx.
func (l *Log) write(ctx context.Context, tx pgx.Tx, p prepared) ([]Appended, error) {
	if len(p.records) == 0 {
		return nil, nil
	}
	var headSeq int64
	var headHash []byte
	if err := tx.QueryRow(ctx, qHead).Scan(&headSeq, &headHash); err != nil {
		return nil, fmt.Errorf("lock decision chain head: %w", err)
	}
	c, err := l.place(p, headSeq, headHash)
	if err != nil {
		return nil, err
	}
	var batch pgx.Batch
	c.queueWrite(&batch)
	if c.hasResponse {
		batch.Queue(qResponses, c.seqs, c.refers, c.clients).QueryRow(func(row pgx.Row) error {
			var bad int64
			switch err := row.Scan(&bad); {
			case err == nil:
				return fmt.Errorf("decision record %d: refers_to: a response must answer an offer_shown record of the same client", bad)
			case !errors.Is(err, pgx.ErrNoRows):
				return fmt.Errorf("check responses: %w", err)
			}
			return nil
		})
	}
	if err := tx.SendBatch(ctx, &batch).Close(); err != nil {
		return nil, fmt.Errorf("insert decision records: %w", err)
	}
	return c.out, nil
}

// commit appends prepared records in a transaction of their own. Records
// with responses go through write in an ordinary transaction (their check
// must pass before COMMIT); the others take one round trip when the head
// is where this Log left it (commitAfterKnownHead), else two: BEGIN with
// the head lock, then the rows, the head and COMMIT, pipelined. An offer
// waits for one durable commit and, mostly, one round trip before it is
// shown.
func (l *Log) commit(ctx context.Context, p prepared) ([]Appended, error) {
	hasResponse := false
	for i := range p.records {
		hasResponse = hasResponse || p.records[i].Kind == KindResponse
	}
	if hasResponse {
		var out []Appended
		err := pgx.BeginTxFunc(ctx, l.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
			var err error
			out, err = l.write(ctx, tx, p)
			return err
		})
		if err == nil {
			l.rememberHead(out[len(out)-1])
		}
		return out, err
	}
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	var out []Appended
	if seq, hash, ok := l.guessHead(); ok {
		out, err = l.commitAfterKnownHead(ctx, conn.Conn(), p, seq, hash)
		if err == nil && out == nil {
			l.headMoved.Add(1)
		}
	}
	if err == nil && out == nil {
		out, err = l.commitPipelined(ctx, conn.Conn(), p)
	}
	if err == nil {
		l.rememberHead(out[len(out)-1])
	}
	if err != nil && conn.Conn().PgConn().TxStatus() != 'I' {
		// Leave no transaction open on a pooled connection; if even the
		// rollback fails the connection is closed, not reused.
		if _, rbErr := conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); rbErr != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}
	return out, err
}

// commitAfterKnownHead appends p after the head (seq, hash) this Log
// committed last, in one round trip: BEGIN, the rows and the head in one
// statement, COMMIT. It returns nil, nil when the head has moved since
// (another writer appended; nothing was written), and the caller reads
// the head and tries again. With one writing process, the guess is right
// but for the first append after start.
func (l *Log) commitAfterKnownHead(ctx context.Context, conn *pgx.Conn, p prepared, seq int64, hash []byte) ([]Appended, error) {
	c, err := l.place(p, seq, hash)
	if err != nil {
		return nil, err
	}
	n := len(c.seqs)
	var inserted int64
	var b pgx.Batch
	b.Queue("BEGIN ISOLATION LEVEL READ COMMITTED")
	b.Queue(qInsertAfterHead, c.seqs, c.kinds, c.refers, c.clients, c.prods, c.vers, c.engines, c.engVers, c.ruleVers,
		c.channels, c.actors, c.staff, c.outcomes, c.bodyTexts, c.now, c.prevs, c.hashes,
		seq, hash, c.seqs[n-1], c.hashes[n-1]).Exec(func(tag pgconn.CommandTag) error {
		inserted = tag.RowsAffected()
		return nil
	})
	b.Queue("COMMIT")
	if err := conn.SendBatch(ctx, &b).Close(); err != nil {
		return nil, fmt.Errorf("insert decision records: %w", err)
	}
	if conn.PgConn().TxStatus() != 'I' {
		return nil, errors.New("append decision records: transaction not committed")
	}
	switch inserted {
	case int64(n):
		return c.out, nil
	case 0:
		return nil, nil
	default:
		return nil, fmt.Errorf("append decision records: %d of %d written", inserted, n)
	}
}

// guessHead returns the head this Log committed last, if any.
func (l *Log) guessHead() (int64, []byte, bool) {
	l.lastHead.Lock()
	defer l.lastHead.Unlock()
	return l.lastHead.seq, l.lastHead.hash, l.lastHead.hash != nil
}

// rememberHead keeps a committed record as the guess of the head, unless
// a later one is known already (concurrent Appends finish in any order).
func (l *Log) rememberHead(a Appended) {
	l.lastHead.Lock()
	defer l.lastHead.Unlock()
	if a.Seq > l.lastHead.seq {
		l.lastHead.seq, l.lastHead.hash = a.Seq, append([]byte(nil), a.Hash[:]...)
	}
}

func (l *Log) commitPipelined(ctx context.Context, conn *pgx.Conn, p prepared) ([]Appended, error) {
	var headSeq int64
	var headHash []byte
	var begin pgx.Batch
	begin.Queue("BEGIN ISOLATION LEVEL READ COMMITTED")
	begin.Queue(qHead).QueryRow(func(row pgx.Row) error { return row.Scan(&headSeq, &headHash) })
	if err := conn.SendBatch(ctx, &begin).Close(); err != nil {
		return nil, fmt.Errorf("lock decision chain head: %w", err)
	}
	c, err := l.place(p, headSeq, headHash)
	if err != nil {
		return nil, err
	}
	var write pgx.Batch
	c.queueWrite(&write)
	write.Queue("COMMIT")
	if err := conn.SendBatch(ctx, &write).Close(); err != nil {
		return nil, fmt.Errorf("insert decision records: %w", err)
	}
	// A COMMIT of a failed transaction reports ROLLBACK, not an error.
	if conn.PgConn().TxStatus() != 'I' {
		return nil, errors.New("append decision records: transaction not committed")
	}
	return c.out, nil
}

func optInt(v int64) pgtype.Int8 { return pgtype.Int8{Int64: v, Valid: v != 0} }
