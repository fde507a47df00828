package main

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestAuditVerifyCommand runs the operator's commands: make a key, append
// offers, sign a checkpoint, verify; then alter a record as a superuser
// would and see verify name it and exit non-zero.
func TestAuditVerifyCommand(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	pool, err := pgdb.Open(ctx, url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var clientID int64
	if err := pool.QueryRow(ctx, `INSERT INTO clients (given_name, family_name) VALUES ('Ana', 'Popescu') RETURNING id`).Scan(&clientID); err != nil {
		t.Fatal(err)
	}
	log := compliance.NewLog(pool)
	for i := 0; i < 5; i++ {
		_, err := log.Append(ctx, compliance.Record{
			Kind: compliance.KindOfferShown, ClientID: clientID, Engine: "products.matching", EngineVersion: "test",
			Channel: "web", Actor: compliance.Actor{Kind: compliance.ActorSystem}, Outcome: compliance.OutcomeShown,
			Body: compliance.Body{Reasons: []i18n.Message{i18n.Plain("Matches your 36-month term")}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"DATABASE_URL": url, "ECRM_AUDIT_KEY": filepath.Join(t.TempDir(), "audit.key")}
	if out, err := runCommand(t, env, "audit", "keygen"); err != nil || !strings.Contains(out, "key id") {
		t.Fatalf("keygen = %q, %v", out, err)
	}
	if out, err := runCommand(t, env, "audit", "checkpoint"); err != nil || !strings.HasPrefix(out, "checkpoint at record 5") {
		t.Fatalf("checkpoint = %q, %v", out, err)
	}
	if out, err := runCommand(t, env, "audit", "verify"); err != nil || !strings.HasPrefix(out, "ok: 5 records") {
		t.Fatalf("verify of an intact log = %q, %v", out, err)
	}
	if _, err := pool.Exec(ctx, `UPDATE decision_records SET outcome = 'declined' WHERE seq = 3`); err == nil {
		t.Fatal("UPDATE of a decision record succeeded")
	}
	// A superuser can switch the triggers off; verify still finds it.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE decision_records SET body = replace(body::text, 'Matches your', 'Forged for your')::json WHERE seq = 3`); err != nil {
		tx.Rollback(ctx)
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := runCommand(t, env, "audit", "verify")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code == 0 || !strings.Contains(out, "record 3 altered") {
		t.Fatalf("verify of a tampered log = %q, %v; want record 3 named and a non-zero exit", out, err)
	}
}

// TestServeSignsCheckpoints: with ECRM_AUDIT_KEY set, serve's job queue
// signs the chain head at start when it moved past the newest checkpoint,
// and again when it moves; a head that has not moved is not signed twice.
func TestServeSignsCheckpoints(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newTestEnv(t, nil)
	key, err := compliance.GenerateSigningKey(filepath.Join(t.TempDir(), "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	log := compliance.NewLog(e.pool)
	offer := compliance.Record{Kind: compliance.KindOfferShown, ClientID: 1, Engine: "matching", EngineVersion: "test",
		Channel: "web", Actor: compliance.Actor{Kind: compliance.ActorSystem}, Outcome: compliance.OutcomeShown}
	if _, err := log.Append(ctx, offer, offer); err != nil {
		t.Fatal(err)
	}
	checkpoints := func() string {
		var s string
		e.pool.QueryRow(ctx, `SELECT coalesce(string_agg(seq::text, ',' ORDER BY seq), '') FROM decision_checkpoints`).Scan(&s)
		return s
	}
	waitFor := func(want string) {
		t.Helper()
		for i := 0; i < 600 && checkpoints() != want; i++ {
			time.Sleep(25 * time.Millisecond)
		}
		if got := checkpoints(); got != want {
			t.Fatalf("checkpoints at %q, want %q", got, want)
		}
	}
	reg := jobs.NewRegistry()
	compliance.RegisterJobs(reg, e.pool, key, time.Second, slog.New(slog.DiscardHandler))
	queue, err := jobs.New(e.pool, reg, jobs.Config{FetchPoll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := queue.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer queue.Stop(context.Background())
	waitFor("2")
	if _, err := log.Append(ctx, offer); err != nil {
		t.Fatal(err)
	}
	waitFor("2,3")
	time.Sleep(2500 * time.Millisecond) // two periods without a new record
	if got := checkpoints(); got != "2,3" {
		t.Errorf("checkpoints %q: an unmoved head was signed again", got)
	}
}
