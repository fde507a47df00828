package compliance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// BulkBatch is the number of records AppendMany writes per transaction:
// large enough that COPY runs at full speed, small enough that a writer
// showing an offer waits at most a fraction of a second for the chain head
// between two batches.
const BulkBatch = 10_000

// BulkRecord is a record for AppendMany, with the time it was recorded.
type BulkRecord struct {
	Record
	// RecordedAt is when the decision was made, for history loaded from
	// another system or generated demo history; zero means the time of the
	// append, as with Append. Times must not decrease along the stream.
	RecordedAt time.Time
}

// AppendMany appends a long stream of records to the chain, in the order
// next returns them, until next returns false. It exists for loading
// history (the demo data, a migration from another system, the 10-million
// record benchmark): each batch of BulkBatch records is validated and put
// in canonical form outside the lock, then written with COPY in a
// transaction of its own that holds the chain head lock, computes each
// hash exactly as Append does and advances the head. Between batches the
// lock is free, so Append from other processes interleaves with a load and
// the result is still one chain.
//
// n is the number of records committed: on error, the records of earlier
// batches stay (they are valid and chained) and none of the failed batch
// does. next is called from one goroutine, while the previous batch is
// being written.
func (l *Log) AppendMany(ctx context.Context, next func() (BulkRecord, bool)) (n int64, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan bulkBatch, 1)
	go func() {
		defer close(batches)
		var read int64
		var last time.Time
		for {
			b := bulkBatch{records: make([]BulkRecord, 0, BulkBatch), bodies: make([][]byte, 0, BulkBatch)}
			for len(b.records) < BulkBatch {
				r, ok := next()
				if !ok {
					break
				}
				read++
				body, err := r.canonicalBody()
				if err == nil && !r.RecordedAt.IsZero() {
					if r.RecordedAt.Before(last) {
						err = fmt.Errorf("recorded_at %s is before the previous record's %s", r.RecordedAt.Format(time.RFC3339Nano), last.Format(time.RFC3339Nano))
					}
					last = r.RecordedAt
				}
				if err != nil {
					b.err = fmt.Errorf("decision record %d of the stream (%s): %w", read, &r.Record, err)
					break
				}
				b.records = append(b.records, r)
				b.bodies = append(b.bodies, body)
			}
			if len(b.records) == 0 && b.err == nil {
				return
			}
			select {
			case batches <- b:
			case <-ctx.Done():
				return
			}
			if b.err != nil || len(b.records) < BulkBatch {
				return
			}
		}
	}()
	for b := range batches {
		if b.err != nil {
			return n, b.err
		}
		if len(b.records) > 0 {
			err := pgx.BeginTxFunc(ctx, l.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
				return l.copyBatch(ctx, tx, b)
			})
			if err != nil {
				return n, err
			}
			n += int64(len(b.records))
		}
	}
	return n, ctx.Err()
}

type bulkBatch struct {
	records []BulkRecord
	bodies  [][]byte
	err     error // the stream's error after these records
}

var decisionColumns = []string{"seq", "kind", "refers_to", "client_id", "product_id", "product_version_id",
	"engine", "engine_version", "rule_version", "channel", "actor_kind", "actor_staff_id", "outcome",
	"body", "recorded_at", "prev_hash", "hash"}

// copyBatch writes one batch in tx, under the chain head lock.
func (l *Log) copyBatch(ctx context.Context, tx pgx.Tx, b bulkBatch) error {
	var headSeq int64
	var headHash []byte
	if err := tx.QueryRow(ctx, `SELECT seq, hash FROM decision_chain_head FOR UPDATE`).Scan(&headSeq, &headHash); err != nil {
		return fmt.Errorf("lock decision chain head: %w", err)
	}
	if len(headHash) != 32 {
		return errors.New("decision chain head hash is not 32 bytes")
	}
	src := &bulkSource{b: b, seq: headSeq, prev: headHash, now: l.Now().UTC().Truncate(time.Microsecond), i: -1}
	copied, err := tx.CopyFrom(ctx, pgx.Identifier{"decision_records"}, decisionColumns, src)
	if err != nil {
		return fmt.Errorf("copy decision records %d..%d: %w", headSeq+1, headSeq+int64(len(b.records)), err)
	}
	if copied != int64(len(b.records)) {
		return fmt.Errorf("copy decision records: %d of %d written", copied, len(b.records))
	}
	if src.refers {
		// As in Append: a record that refers to another answers an
		// offer_shown record of the same client.
		const q = `
SELECT r.seq FROM decision_records r LEFT JOIN decision_records o ON o.seq = r.refers_to
WHERE r.seq BETWEEN $1 AND $2 AND r.refers_to IS NOT NULL
  AND (o.kind IS DISTINCT FROM 'offer_shown' OR o.client_id <> r.client_id)
LIMIT 1`
		var bad int64
		switch err := tx.QueryRow(ctx, q, headSeq+1, src.seq).Scan(&bad); {
		case err == nil:
			return fmt.Errorf("decision record %d: refers_to: a response must answer an offer_shown record of the same client", bad)
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("check responses: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE decision_chain_head SET seq = $1, hash = $2`, src.seq, src.prev); err != nil {
		return fmt.Errorf("advance decision chain head: %w", err)
	}
	return nil
}

// bulkSource feeds COPY, hashing each record as it goes: the chain is
// computed in the same pass that sends it.
type bulkSource struct {
	b      bulkBatch
	i      int
	seq    int64  // of the current record
	prev   []byte // hash of the current record (after Next)
	now    time.Time
	buf    []byte
	refers bool
	row    [17]any
}

func (s *bulkSource) Next() bool {
	s.i++
	if s.i >= len(s.b.records) {
		return false
	}
	r := &s.b.records[s.i]
	at := r.RecordedAt.UTC().Truncate(time.Microsecond)
	if r.RecordedAt.IsZero() {
		at = s.now
	}
	s.seq++
	f := fieldsOf(&r.Record, s.seq, at.UnixMicro(), s.b.bodies[s.i])
	var h [32]byte
	h, s.buf = chainHash(s.buf, s.prev, &f)
	s.refers = s.refers || r.RefersTo != 0
	s.row = [17]any{s.seq, string(r.Kind), optInt(r.RefersTo), r.ClientID, optInt(r.ProductID), optInt(r.ProductVersionID),
		r.Engine, r.EngineVersion, r.RuleVersion, r.Channel, string(r.Actor.Kind), optInt(r.Actor.StaffID), string(r.Outcome),
		s.b.bodies[s.i], at, s.prev, h[:]}
	s.prev = h[:]
	return true
}

func (s *bulkSource) Values() ([]any, error) { return s.row[:], nil }

func (s *bulkSource) Err() error { return nil }
