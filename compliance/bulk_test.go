package compliance

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// stream returns a next function over records, for AppendMany.
func stream(records []BulkRecord) func() (BulkRecord, bool) {
	i := 0
	return func() (BulkRecord, bool) {
		if i >= len(records) {
			return BulkRecord{}, false
		}
		i++
		return records[i-1], true
	}
}

func TestAppendManyWritesOneChain(t *testing.T) {
	ctx := context.Background()
	log, pool, f := newLog(t)
	key := testKey(t)

	// Two records through Append first, so the load continues a chain.
	if _, err := log.Append(ctx, f.offer(0), f.offer(1)); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2022, 1, 1, 9, 0, 0, 123456789, time.UTC)
	const total = 2*BulkBatch + 1234
	records := make([]BulkRecord, total)
	for i := range records {
		r := f.offer(i)
		if i%10 == 1 { // a response to the offer just before it
			r = Record{Kind: KindResponse, RefersTo: 3 + int64(i) - 1, ClientID: f.clientID, ProductID: f.productID,
				Engine: "products.matching", Channel: "web", Actor: Actor{Kind: ActorClient}, Outcome: OutcomeDeclined}
		}
		records[i] = BulkRecord{Record: r, RecordedAt: start.Add(time.Duration(i) * time.Minute)}
	}
	n, err := log.AppendMany(ctx, stream(records))
	if err != nil || n != total {
		t.Fatalf("AppendMany = %d, %v; want %d", n, err, total)
	}
	if _, err := log.Append(ctx, f.offer(9)); err != nil {
		t.Fatal(err)
	}
	if _, err := log.Checkpoint(ctx, key); err != nil {
		t.Fatal(err)
	}
	res := mustVerify(t, pool, key)
	if !res.OK() || res.Records != total+3 || res.LastSeq != total+3 {
		t.Fatalf("verify: %+v problem %v", res, res.Problem)
	}
	// Times are kept, to the microsecond.
	var at time.Time
	var kind string
	if err := pool.QueryRow(ctx, `SELECT recorded_at, kind FROM decision_records WHERE seq = 4`).Scan(&at, &kind); err != nil {
		t.Fatal(err)
	}
	if want := start.Add(time.Minute).Truncate(time.Microsecond); !at.Equal(want) || kind != "response" {
		t.Errorf("record 4 = %s %s, want response at %s", kind, at, want)
	}
}

func TestAppendManyInterleavesWithAppend(t *testing.T) {
	ctx := context.Background()
	log, pool, f := newLog(t)
	key := testKey(t)
	const total = 5 * BulkBatch
	records := make([]BulkRecord, total)
	for i := range records {
		records[i] = BulkRecord{Record: f.offer(i)} // recorded now
	}
	var wg sync.WaitGroup
	var appended int
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		other := NewLog(pool)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := other.Append(ctx, f.offer(-1)); err != nil {
				t.Errorf("Append during AppendMany: %v", err)
				return
			}
			appended++
		}
	}()
	n, err := log.AppendMany(ctx, stream(records))
	close(stop)
	wg.Wait()
	if err != nil || n != total {
		t.Fatalf("AppendMany = %d, %v", n, err)
	}
	if _, err := log.Checkpoint(ctx, key); err != nil {
		t.Fatal(err)
	}
	res := mustVerify(t, pool, key)
	if !res.OK() || res.Records != int64(total+appended) {
		t.Fatalf("verify: %d records, want %d; problem %v", res.Records, total+appended, res.Problem)
	}
	// The single appends landed between batches, not only after the load.
	var between int
	pool.QueryRow(ctx, `SELECT count(*) FROM decision_records WHERE body::jsonb -> 'inputs' ->> 'i' = '-1' AND seq < $1`, int64(total)).Scan(&between)
	t.Logf("%d single appends, %d of them between batches", appended, between)
}

func TestAppendManyRefusesBadRecords(t *testing.T) {
	ctx := context.Background()
	log, pool, f := newLog(t)
	key := testKey(t)
	good := make([]BulkRecord, BulkBatch+5)
	for i := range good {
		good[i] = BulkRecord{Record: f.offer(i)}
	}

	// An invalid record in the second batch: the first batch stays.
	bad := append([]BulkRecord(nil), good...)
	bad[BulkBatch+2].Channel = ""
	n, err := log.AppendMany(ctx, stream(bad))
	if err == nil || n != BulkBatch || !strings.Contains(err.Error(), "channel") {
		t.Fatalf("AppendMany with a bad record = %d, %v; want %d and an error naming channel", n, err, BulkBatch)
	}

	// A response to another client's offer is refused by the database
	// check, with the whole batch.
	wrong := []BulkRecord{{Record: f.offer(1)}, {Record: Record{Kind: KindResponse, RefersTo: 1, ClientID: f.otherClientID,
		Channel: "web", Actor: Actor{Kind: ActorClient}, Outcome: OutcomeAccepted}}}
	if n, err := log.AppendMany(ctx, stream(wrong)); err == nil || n != 0 {
		t.Fatalf("response to another client's offer = %d, %v", n, err)
	}

	// Times going backwards are refused.
	now := time.Now()
	back := []BulkRecord{{Record: f.offer(1), RecordedAt: now}, {Record: f.offer(2), RecordedAt: now.Add(-time.Second)}}
	if n, err := log.AppendMany(ctx, stream(back)); err == nil || n != 0 || !strings.Contains(err.Error(), "before") {
		t.Fatalf("times going backwards = %d, %v", n, err)
	}

	if _, err := log.Checkpoint(ctx, key); err != nil {
		t.Fatal(err)
	}
	if res := mustVerify(t, pool, key); !res.OK() || res.Records != BulkBatch {
		t.Fatalf("verify after refusals: %d records, problem %v", res.Records, res.Problem)
	}
	// The stored body is the canonical text Append would have written.
	var body []byte
	pool.QueryRow(ctx, `SELECT body::text::bytea FROM decision_records WHERE seq = 1`).Scan(&body)
	want, _ := CanonicalJSON(f.offer(0).Body)
	if !bytes.Equal(body, want) {
		t.Errorf("body = %s, want %s", body, want)
	}
}
