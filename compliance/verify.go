package compliance

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ProblemKind classifies the first mismatch Verify finds.
type ProblemKind string

const (
	// ProblemAltered: a record's stored hash does not match its content.
	ProblemAltered ProblemKind = "altered"
	// ProblemDeleted: a seq is missing (a gap, or the chain ends before the
	// head or a checkpoint).
	ProblemDeleted ProblemKind = "deleted"
	// ProblemInserted: a record's prev_hash does not link to the record
	// before it: a record was inserted or records were reordered.
	ProblemInserted ProblemKind = "inserted_or_reordered"
	// ProblemHead: the chain head row does not match the last record.
	ProblemHead ProblemKind = "head_mismatch"
	// ProblemCheckpoint: a checkpoint's signature is invalid, it was signed
	// by another key, or the chain no longer has the hash it signed.
	ProblemCheckpoint ProblemKind = "checkpoint"
)

// Problem is the first record (or checkpoint) that does not match.
type Problem struct {
	Seq    int64
	Kind   ProblemKind
	Detail string
}

func (p *Problem) Error() string {
	return fmt.Sprintf("decision log: record %d %s: %s", p.Seq, p.Kind, p.Detail)
}

// VerifyResult is the outcome of a verification run.
type VerifyResult struct {
	Records     int64 // records checked
	LastSeq     int64
	LastHash    [32]byte
	Checkpoints int   // checkpoints whose signature and hash were checked
	CoveredSeq  int64 // seq of the newest valid checkpoint
	Elapsed     time.Duration
	Problem     *Problem // nil when the log is intact
}

// OK reports whether the log is intact.
func (r *VerifyResult) OK() bool { return r.Problem == nil }

// Progress is reported while verifying.
type Progress struct {
	Seq     int64
	Records int64
	Elapsed time.Duration
}

// Verify re-walks the whole chain in seq order and every checkpoint, and
// reports the first record that does not match: a seq gap (deleted), a
// prev_hash that does not link (inserted or reordered), a hash that does not
// match the content (altered), a head or checkpoint that disagrees with the
// chain, or a checkpoint signature that does not verify with pub. The returned error is for
// failures to verify (database unreachable); a tampered log is a nil error
// with result.Problem set. report, if not nil, is called after each page.
//
// Records after the newest checkpoint are protected by the chain alone: a
// superuser can truncate or rewrite that tail and the head consistently;
// checkpoint often.
func Verify(ctx context.Context, pool *pgxpool.Pool, pub ed25519.PublicKey, report func(Progress)) (*VerifyResult, error) {
	start := time.Now()
	res := &VerifyResult{}
	if len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("verify: a public key is required to check checkpoints")
	}
	done := func(p *Problem) (*VerifyResult, error) {
		res.Problem = p
		res.Elapsed = time.Since(start)
		return res, nil
	}

	// The head, the extent of the records and the checkpoints are read in
	// one snapshot, and only records up to that extent are walked: a live
	// system keeps appending and signing while Verify runs, and what comes
	// later is not part of this verification.
	var head struct {
		seq      int64
		hash     []byte
		min, max int64
	}
	var cps []Checkpoint
	err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		const qHead = `
SELECT h.seq, h.hash, coalesce(r.min, 1), coalesce(r.max, 0)
FROM decision_chain_head h, (SELECT min(seq), max(seq) FROM decision_records) r`
		if err := tx.QueryRow(ctx, qHead).Scan(&head.seq, &head.hash, &head.min, &head.max); err != nil {
			return fmt.Errorf("verify: read chain head: %w", err)
		}
		var err error
		cps, err = loadCheckpoints(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}

	keyID := KeyID(pub)
	bySeq := make(map[int64]*Checkpoint, len(cps))
	for i := range cps {
		cp := &cps[i]
		if cp.KeyID != keyID {
			return done(&Problem{cp.Seq, ProblemCheckpoint, fmt.Sprintf("checkpoint %d was signed by key %s, not by the given key %s", cp.Seq, cp.KeyID, keyID)})
		}
		if !ed25519.Verify(pub, checkpointMessage(cp.Seq, cp.HeadHash[:], cp.SignedAt), cp.Signature) {
			return done(&Problem{cp.Seq, ProblemCheckpoint, fmt.Sprintf("checkpoint %d signature invalid", cp.Seq)})
		}
		bySeq[cp.Seq] = cp
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := readPages(ctx, pool, min(head.min-1, 0), max(head.max, head.seq))

	prev := make([]byte, 32) // the genesis prev_hash: 32 zero bytes
	var last int64
	checkCP := func(seq int64, hash []byte) *Problem {
		cp := bySeq[seq]
		if cp == nil {
			return nil
		}
		if !bytes.Equal(cp.HeadHash[:], hash) {
			return &Problem{seq, ProblemCheckpoint, fmt.Sprintf("record %d hash %s differs from the hash %s signed in checkpoint %d — the chain up to it was rewritten", seq, short(hash), short(cp.HeadHash[:]), seq)}
		}
		res.Checkpoints++
		res.CoveredSeq = seq
		return nil
	}
	if p := checkCP(0, prev); p != nil {
		return done(p)
	}
	for page := range pages {
		if page.err != nil {
			return nil, fmt.Errorf("verify: read records after %d: %w", last, page.err)
		}
		for i := range page.rows {
			r := &page.rows[i]
			prevHash, hash := page.value(r.prev), page.value(r.hash)
			var problem *Problem
			switch {
			case r.seq > last+1:
				problem = &Problem{last + 1, ProblemDeleted, missing(last+1, r.seq-1) + " — deleted"}
			case r.seq <= last:
				problem = &Problem{r.seq, ProblemInserted, fmt.Sprintf("seq %d appears again after %d — inserted or reordered", r.seq, last)}
			case !bytes.Equal(prevHash, prev):
				problem = &Problem{r.seq, ProblemInserted, fmt.Sprintf("prev_hash %s does not match record %d's hash %s — inserted or reordered", short(prevHash), last, short(prev))}
			case !bytes.Equal(r.computed[:], hash):
				problem = &Problem{r.seq, ProblemAltered, fmt.Sprintf("stored hash %s does not match its content (recomputed %s) — altered", short(hash), short(r.computed[:]))}
			default:
				problem = checkCP(r.seq, hash)
			}
			if problem != nil {
				return done(problem)
			}
			last = r.seq
			prev = append(prev[:0], hash...)
			res.Records++
		}
		page.release()
		if report != nil {
			report(Progress{Seq: last, Records: res.Records, Elapsed: time.Since(start)})
		}
	}
	res.LastSeq = last
	copy(res.LastHash[:], prev)

	// Anything signed beyond the end of the chain was deleted.
	for _, cp := range cps {
		if cp.Seq > last {
			return done(&Problem{last + 1, ProblemDeleted, fmt.Sprintf("%s — deleted (checkpoint %d was signed for them)", missing(last+1, cp.Seq), cp.Seq)})
		}
	}
	switch {
	case head.seq > last:
		return done(&Problem{last + 1, ProblemDeleted, fmt.Sprintf("%s — deleted (the chain head is at %d)", missing(last+1, head.seq), head.seq)})
	case head.seq < last:
		return done(&Problem{head.seq + 1, ProblemHead, fmt.Sprintf("records %d..%d are beyond the chain head %d — inserted", head.seq+1, last, head.seq)})
	case !bytes.Equal(head.hash, prev):
		return done(&Problem{last, ProblemHead, fmt.Sprintf("chain head hash %s differs from record %d's hash %s", short(head.hash), last, short(prev))})
	}
	return done(nil)
}

func loadCheckpoints(ctx context.Context, tx pgx.Tx) ([]Checkpoint, error) {
	rows, err := tx.Query(ctx, `SELECT seq, head_hash, signed_at, key_id, signature FROM decision_checkpoints ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("verify: read checkpoints: %w", err)
	}
	defer rows.Close()
	var cps []Checkpoint
	for rows.Next() {
		var cp Checkpoint
		var h []byte
		if err := rows.Scan(&cp.Seq, &h, &cp.SignedAt, &cp.KeyID, &cp.Signature); err != nil {
			return nil, fmt.Errorf("verify: read checkpoints: %w", err)
		}
		copy(cp.HeadHash[:], h)
		cps = append(cps, cp)
	}
	return cps, rows.Err()
}

// rawInt decodes a binary int8 (or timestamptz); NULL is 0, the encoding
// of "absent" in recordFields.
func rawInt(b []byte) int64 {
	if len(b) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

func missing(from, to int64) string {
	if from == to {
		return fmt.Sprintf("seq %d missing", from)
	}
	return fmt.Sprintf("seqs %d..%d missing", from, to)
}

func short(h []byte) string {
	if len(h) > 8 {
		h = h[:8]
	}
	return hex.EncodeToString(h) + "…"
}

// verifyBatch is the seq range of one page: large enough to amortise the
// round trip, small enough to keep memory flat (four pages in flight, 7 MB
// each with the matching engine's 3.4 KB bodies; pages of 10,000 records
// spent a fifth of verify's time faulting in fresh memory).
const verifyBatch = 2000

const pageColumns = 17

// rawPage is one page of records, already hashed by the fetcher that read
// it: each record's hash is recomputed from its columns as they arrive
// (bodies are hashed straight from the wire buffer, never copied), so only
// seq, the stored hashes and the recomputed one are handed over, and the
// two fetchers hash on both cores while PostgreSQL sends the next rows.
// What is left, in seq order, is linking each record to the one before.
type rawPage struct {
	rows []pageRow
	// arena holds the stored prev_hash and hash values of the rows.
	arena   []byte
	buf     []byte // the fetcher's scratch space for chainHash
	err     error
	release func()
}

type pageRow struct {
	seq        int64
	prev, hash [2]int // spans in arena; start < 0 is NULL
	computed   [32]byte
}

func (p *rawPage) value(span [2]int) []byte {
	if span[0] < 0 {
		return nil
	}
	return p.arena[span[0]:span[1]:span[1]]
}

func (p *rawPage) keep(b []byte) [2]int {
	if b == nil {
		return [2]int{-1, -1}
	}
	s := len(p.arena)
	p.arena = append(p.arena, b...)
	return [2]int{s, len(p.arena)}
}

// readPages streams the records with from < seq <= to in seq order, a
// page (a range of verifyBatch seqs) at a time. Pages are fetched by
// fetchers on their own connections, several ranges at once, and handed
// over in order; fetching stops when ctx is cancelled.
func readPages(ctx context.Context, pool *pgxpool.Pool, from, to int64) <-chan *rawPage {
	// Every column in binary so values are copied from the wire bytes
	// without decoding; body as stored, which is the canonical
	// form the hash covers.
	const q = `
SELECT seq, kind, refers_to, client_id, product_id, product_version_id,
    engine, engine_version, rule_version, channel, actor_kind, actor_staff_id, outcome,
    recorded_at, body::text, prev_hash, hash
FROM decision_records WHERE seq > $1 AND seq <= $2 ORDER BY seq`
	const fetchers = 2
	var lanes [fetchers]chan *rawPage
	for w := range lanes {
		lanes[w] = make(chan *rawPage, 1)
		free := make(chan *rawPage, 2)
		for i := 0; i < 2; i++ {
			p := &rawPage{}
			p.release = func() { free <- p }
			free <- p
		}
		go func(w int, out chan<- *rawPage) {
			defer close(out)
			formats := pgx.QueryResultFormats{pgx.BinaryFormatCode}
			for lo := from + int64(w)*verifyBatch; lo < to; lo += fetchers * verifyBatch {
				var p *rawPage
				select {
				case p = <-free:
				case <-ctx.Done():
					return
				}
				p.arena, p.rows = p.arena[:0], p.rows[:0]
				p.err = p.fill(ctx, pool, q, formats, lo, min(lo+verifyBatch, to))
				select {
				case out <- p:
				case <-ctx.Done():
					return
				}
				if p.err != nil {
					return
				}
			}
		}(w, lanes[w])
	}
	out := make(chan *rawPage)
	go func() {
		defer close(out)
		for i := 0; ; i++ {
			p, ok := <-lanes[i%fetchers]
			if !ok {
				return
			}
			select {
			case out <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

func (p *rawPage) fill(ctx context.Context, pool *pgxpool.Pool, q string, formats pgx.QueryResultFormats, lo, hi int64) error {
	rows, err := pool.Query(ctx, q, formats, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != pageColumns {
			return fmt.Errorf("unexpected %d columns", len(v))
		}
		f := recordFields{
			seq: rawInt(v[0]), kind: v[1], refersTo: rawInt(v[2]), clientID: rawInt(v[3]),
			productID: rawInt(v[4]), productVersionID: rawInt(v[5]),
			engine: v[6], engineVersion: v[7], ruleVersion: v[8], channel: v[9],
			actorKind: v[10], actorStaffID: rawInt(v[11]), outcome: v[12],
			recordedAtMicros: rawInt(v[13]) + pgEpochMicros, body: v[14],
		}
		r := pageRow{seq: f.seq, prev: p.keep(v[15]), hash: p.keep(v[16])}
		r.computed, p.buf = chainHash(p.buf, v[15], &f)
		p.rows = append(p.rows, r)
	}
	return rows.Err()
}
