package compliance

import (
	"context"
	"errors"
	"time"
)

// ErrRecorderClosed is returned by Append on a closed Recorder.
var ErrRecorderClosed = errors.New("decision recorder is closed")

// Recorder is group commit for the offer log: concurrent Appends from one
// process are written together, in one transaction, while the previous
// transaction is in flight. An idle Recorder writes a record at once (no
// waiting for a batch to fill); a busy one writes whatever arrived during the
// last commit. Every caller still returns only after its own records are
// committed, so an offer is never shown before it is recorded.
//
// Holding the chain head lock costs one commit per transaction whatever its
// size; without grouping, writers queue on the lock one record at a time
// (about 1,000 records/s), with it the rate grows with the load.
type Recorder struct {
	log     *Log
	reqs    chan *request
	quit    chan struct{}
	stopped chan struct{}
	// flushTimeout bounds one group transaction; it does not depend on any
	// one caller's context, because the group serves several callers.
	flushTimeout time.Duration
}

type request struct {
	p   prepared
	res chan result
}

type result struct {
	appended []Appended
	err      error
}

// NewRecorder starts a Recorder on the log; Close stops it.
func (l *Log) NewRecorder() *Recorder {
	r := &Recorder{
		log:          l,
		reqs:         make(chan *request, 4*MaxBatch),
		quit:         make(chan struct{}),
		stopped:      make(chan struct{}),
		flushTimeout: 10 * time.Second,
	}
	go r.run()
	return r
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
	req := &request{p: p, res: make(chan result, 1)}
	select {
	case r.reqs <- req:
	case <-r.stopped:
		return nil, ErrRecorderClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case res := <-req.res:
		return res.appended, res.err
	case <-r.stopped:
		select {
		case res := <-req.res:
			return res.appended, res.err
		default:
			return nil, ErrRecorderClosed
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops the Recorder after the group in flight; requests still
// queued fail with ErrRecorderClosed.
func (r *Recorder) Close() {
	select {
	case <-r.quit:
	default:
		close(r.quit)
	}
	<-r.stopped
}

func (r *Recorder) run() {
	defer close(r.stopped)
	for {
		var first *request
		select {
		case first = <-r.reqs:
		case <-r.quit:
			for {
				select {
				case q := <-r.reqs:
					q.res <- result{err: ErrRecorderClosed}
				default:
					return
				}
			}
		}
		group, n := []*request{first}, len(first.p.records)
	gather:
		for n < MaxBatch {
			select {
			case q := <-r.reqs:
				group, n = append(group, q), n+len(q.p.records)
			default:
				break gather
			}
		}
		r.flush(group, n)
	}
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
	return r.log.commit(ctx, p)
}
