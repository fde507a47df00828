package compliance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Log is the tamper-evident offer log in PostgreSQL. It holds no chain state
// in memory: the head lives in decision_chain_head, so any number of Logs in
// any number of processes append to one chain.
type Log struct {
	pool *pgxpool.Pool
	// Now is the clock; tests replace it. Times are truncated to
	// microseconds, the precision PostgreSQL stores, so that the hash of a
	// record read back equals the hash computed when writing it.
	Now func() time.Time
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
	var out []Appended
	err := pgx.BeginTxFunc(ctx, l.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		var err error
		out, err = l.AppendTx(ctx, tx, records...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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
	body, err := CanonicalJSON(r.Body)
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

// write appends prepared records in tx.
func (l *Log) write(ctx context.Context, tx pgx.Tx, p prepared) ([]Appended, error) {
	records, bodies := p.records, p.bodies
	if len(records) == 0 {
		return nil, nil
	}
	// The row lock on the head serialises writers across processes; it is
	// held until commit, so seqs are gapless and each prev_hash is the hash
	// committed just before.
	const qHead = `SELECT seq, hash FROM decision_chain_head FOR UPDATE`
	var headSeq int64
	var headHash []byte
	if err := tx.QueryRow(ctx, qHead).Scan(&headSeq, &headHash); err != nil {
		return nil, fmt.Errorf("lock decision chain head: %w", err)
	}
	if len(headHash) != 32 {
		return nil, errors.New("decision chain head hash is not 32 bytes")
	}
	// The time is taken under the lock, so recorded_at follows seq (up to
	// clock differences between hosts).
	now := l.Now().UTC().Truncate(time.Microsecond)

	n := len(records)
	out := make([]Appended, n)
	var (
		seqs, refers, clients, prods, vers, staff = make([]int64, n), make([]pgtype.Int8, n), make([]int64, n), make([]pgtype.Int8, n), make([]pgtype.Int8, n), make([]pgtype.Int8, n)
		kinds, engines, engVers, ruleVers         = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		channels, actors, outcomes, bodyTexts     = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		prevs, hashes                             = make([][]byte, n), make([][]byte, n)
	)
	prev := headHash
	var buf []byte
	for i := range records {
		r := &records[i]
		seq := headSeq + int64(i) + 1
		f := fieldsOf(r, seq, now.UnixMicro(), bodies[i])
		var h [32]byte
		h, buf = chainHash(buf, prev, &f)
		out[i] = Appended{Seq: seq, RecordedAt: now, Hash: h}
		copy(out[i].PrevHash[:], prev)

		seqs[i], clients[i] = seq, r.ClientID
		refers[i], prods[i], vers[i], staff[i] = optInt(r.RefersTo), optInt(r.ProductID), optInt(r.ProductVersionID), optInt(r.Actor.StaffID)
		kinds[i], engines[i], engVers[i], ruleVers[i] = string(r.Kind), r.Engine, r.EngineVersion, r.RuleVersion
		channels[i], actors[i], outcomes[i], bodyTexts[i] = r.Channel, string(r.Actor.Kind), string(r.Outcome), string(bodies[i])
		prevs[i], hashes[i] = out[i].PrevHash[:], out[i].Hash[:]
		prev = hashes[i]
	}

	// One INSERT for the whole batch and the head update, sent in one round
	// trip. A response must answer a shown offer of the same client: the
	// join refuses anything else, so the insert count tells.
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
	const qResponses = `
SELECT r.seq FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS r(seq, refers_to, client_id)
WHERE r.refers_to IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM decision_records o
    WHERE o.seq = r.refers_to AND o.kind = 'offer_shown' AND o.client_id = r.client_id)
LIMIT 1`
	var batch pgx.Batch
	batch.Queue(qInsert, seqs, kinds, refers, clients, prods, vers, engines, engVers, ruleVers,
		channels, actors, staff, outcomes, bodyTexts, now, prevs, hashes)
	batch.Queue(qHeadUpdate, seqs[n-1], hashes[n-1])
	hasResponse := false
	for i := range records {
		hasResponse = hasResponse || records[i].Kind == KindResponse
	}
	if hasResponse {
		batch.Queue(qResponses, seqs, refers, clients)
	}
	br := tx.SendBatch(ctx, &batch)
	tag, err := br.Exec()
	if err != nil {
		br.Close()
		return nil, fmt.Errorf("insert decision records: %w", err)
	}
	if tag.RowsAffected() != int64(n) {
		br.Close()
		return nil, fmt.Errorf("insert decision records: %d of %d written", tag.RowsAffected(), n)
	}
	if _, err := br.Exec(); err != nil {
		br.Close()
		return nil, fmt.Errorf("advance decision chain head: %w", err)
	}
	if hasResponse {
		var bad int64
		err := br.QueryRow().Scan(&bad)
		switch {
		case err == nil:
			br.Close()
			return nil, fmt.Errorf("decision record %d: refers_to: a response must answer an offer_shown record of the same client", bad)
		case !errors.Is(err, pgx.ErrNoRows):
			br.Close()
			return nil, fmt.Errorf("check responses: %w", err)
		}
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("append decision records: %w", err)
	}
	return out, nil
}

func optInt(v int64) pgtype.Int8 { return pgtype.Int8{Int64: v, Valid: v != 0} }
