package risk

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/jobs"
)

// TestScoreRefreshJob: the daily job runs when the queue starts and
// rescores every client as of today: client 1 gets the score its history
// gives for this month, client 3's stale row (no credit file) goes.
func TestScoreRefreshJob(t *testing.T) {
	ctx := context.Background()
	pool := scoreFixture(t)
	reg := jobs.NewRegistry()
	RegisterJobs(reg, pool, slog.New(slog.DiscardHandler))
	q, err := jobs.New(pool, reg, jobs.Config{FetchPoll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := q.Start(runCtx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stop, c := context.WithTimeout(ctx, 5*time.Second)
		defer c()
		q.Stop(stop)
	}()
	var s *StoredScore
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if s, err = LoadStoredScore(ctx, pool, 1); err != nil {
			t.Fatal(err)
		}
		if s != nil {
			break
		}
	}
	now := time.Now()
	h, err := LoadScoreHistory(ctx, pool, 1, now)
	if err != nil {
		t.Fatal(err)
	}
	if s == nil || s.Score != h.Current.Score || !s.AsOf.Equal(monthOf(now)) || s.Version != ScorecardVersion {
		t.Fatalf("client 1 after the job: %+v, want %d as of %s", s, h.Current.Score, monthOf(now).Format("2006-01"))
	}
	var stale bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM credit_scores WHERE client_id = 3)`).Scan(&stale); err != nil || stale {
		t.Errorf("client 3 kept a score: %v %v", stale, err)
	}
}
