package outbox

import (
	"context"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// BenchmarkOutboxSend: 1,000 messages written with one EnqueueMany, sent
// by the job queue (10 workers) over STARTTLS to a local SMTP server.
// Target: at least 50 messages/s.
func BenchmarkOutboxSend(b *testing.B) {
	pool := pgtest.New(b)
	srv := newTestServer(b)
	o := New(pool, srv.smtp(b))
	startQueue(b, pool, o)
	ctx := context.Background()
	const n = 1000
	msgs := make([]Message, n)
	for i := range msgs {
		msgs[i] = Message{Kind: Transactional, To: "advisor@bank.test", Language: "en", Subject: "Overdue: call the client back", Body: "Hello,\n\nA task is overdue.\n"}
	}
	for i := 0; i < b.N; i++ {
		before := len(srv.received())
		start := time.Now()
		tx, err := pool.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := o.EnqueueMany(ctx, tx, msgs); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		for len(srv.received()) < before+n {
			if time.Since(start) > 2*time.Minute {
				b.Fatalf("%d of %d sent in 2 minutes", len(srv.received())-before, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "messages/s")
	}
}
