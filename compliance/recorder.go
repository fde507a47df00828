package compliance

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// ErrRecorderClosed is returned by Append on a closed Recorder.
var ErrRecorderClosed = errors.New("decision recorder is closed")

// Recorder is group commit for the offer log: concurrent Appends from one
// process are written together, in one transaction, while the previous
// transaction is in flight. An idle Recorder lets the caller write its own
// records at once, in its own goroutine (no waiting for a batch to fill,
// no hand-off to a writer goroutine: that hand-off was a tenth of an
// offer's latency on 2 cores); callers arriving while a transaction is in
// flight queue, and when it commits one goroutine writes everything
// queued as the next group. Every caller still returns only after its own
// records are committed, so an offer is never shown before it is
// recorded.
//
// Holding the chain head lock costs one commit per transaction whatever its
// size; without grouping, writers queue on the lock one record at a time
// (about 1,000 records/s), with it the rate grows with the load.
type Recorder struct {
	log *Log
	// flushTimeout bounds one group transaction; it does not depend on any
	// one caller's context, because the group serves several callers.
	flushTimeout time.Duration

	mu      sync.Mutex
	writing bool       // a transaction is in flight
	queue   []*request // arrived while writing: the next groups
	closed  bool
	writers sync.WaitGroup // goroutines writing; Close waits for them
	// transactions counts the group transactions, for tests.
	transactions atomic.Int64
}

type request struct {
	p   prepared
	res chan result
}

type result struct {
	appended []Appended
	err      error
}

// NewRecorder returns a Recorder on the log; Close stops it.
func (l *Log) NewRecorder() *Recorder {
	return &Recorder{log: l, flushTimeout: 10 * time.Second}
}

// Append records the records like (*Log).Append, sharing the transaction
// with other concurrent callers. Show the offer only if it returns nil. If
// ctx ends first, Append returns its error and the offer must not be shown,
// although the record may still be committed: the log may hold a record of
// an offer a client never saw, never the reverse.
func (r *Recorder) Append(ctx context.Context, records ...Record) ([]Appended, error) {
	p, err := prepare(records)
	if err != nil || len(records) == 0 {
		return nil, err
	}
	r.mu.Lock()
	switch {
	case r.closed:
		r.mu.Unlock()
		return nil, ErrRecorderClosed
	case !r.writing:
		// Idle: this caller writes its own records.
		r.writing = true
		r.writers.Add(1)
		r.mu.Unlock()
		ctx, cancel := context.WithTimeout(ctx, r.flushTimeout)
		out, err := r.writeTx(ctx, p)
		cancel()
		r.next()
		return out, err
	}
	req := &request{p: p, res: make(chan result, 1)}
	r.queue = append(r.queue, req)
	r.mu.Unlock()
	select {
	case res := <-req.res:
		return res.appended, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// next is called by the goroutine whose transaction has just ended: it
// starts a goroutine writing the next group if any caller queued, else
// leaves the Recorder idle. The writing flag passes to that goroutine.
func (r *Recorder) next() {
	r.mu.Lock()
	if len(r.queue) == 0 {
		r.writing = false
		r.mu.Unlock()
		r.writers.Done()
		return
	}
	if r.closed {
		queued := r.queue
		r.queue, r.writing = nil, false
		r.mu.Unlock()
		for _, q := range queued {
			q.res <- result{err: ErrRecorderClosed}
		}
		r.writers.Done()
		return
	}
	group, n := r.takeGroup()
	r.mu.Unlock()
	go func() {
		r.flush(group, n)
		r.next()
	}()
}

// takeGroup removes from the queue the oldest requests that fit in one
// transaction of at most MaxBatch records (at least one request). r.mu is
// held.
func (r *Recorder) takeGroup() ([]*request, int) {
	k, n := 0, 0
	for k < len(r.queue) && (k == 0 || n+len(r.queue[k].p.records) <= MaxBatch) {
		n += len(r.queue[k].p.records)
		k++
	}
	group := r.queue[:k:k]
	r.queue = r.queue[k:]
	if len(r.queue) == 0 {
		r.queue = nil // let the backing array go
	}
	return group, n
}

// Close stops the Recorder after the transaction in flight; requests
// still queued fail with ErrRecorderClosed, and later Appends too.
func (r *Recorder) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.writers.Wait()
}

// flush writes a group in one transaction. If the group fails (say one
// record names an unknown client), each request is retried alone, so one
// bad record fails only its own caller.
func (r *Recorder) flush(group []*request, n int) {
	ctx, cancel := context.WithTimeout(context.Background(), r.flushTimeout)
	defer cancel()
	if len(group) == 1 {
		out, err := r.writeTx(ctx, group[0].p)
		group[0].res <- result{out, err}
		return
	}
	all := prepared{records: make([]Record, 0, n), bodies: make([][]byte, 0, n)}
	for _, q := range group {
		all.records = append(all.records, q.p.records...)
		all.bodies = append(all.bodies, q.p.bodies...)
	}
	out, err := r.writeTx(ctx, all)
	if err != nil {
		for _, q := range group {
			out, err := r.writeTx(ctx, q.p)
			q.res <- result{out, err}
		}
		return
	}
	for _, q := range group {
		k := len(q.p.records)
		q.res <- result{appended: out[:k:k]}
		out = out[k:]
	}
}

func (r *Recorder) writeTx(ctx context.Context, p prepared) ([]Appended, error) {
	r.transactions.Add(1)
	return r.log.commit(ctx, p)
}
