package identity_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/identity"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

func TestSessionStoreKeepsOnlyTokenHashes(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	store := identity.NewSessionStore(pool, time.Minute)
	if err := store.CommitCtx(ctx, "secret-token", []byte("data"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var n int
	h := sha256.Sum256([]byte("secret-token"))
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE token_hash = $1`, h[:]).Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows keyed by hash = %d, %v", n, err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE position('secret-token'::bytea in token_hash) > 0`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("token stored in clear: %d, %v", n, err)
	}
	data, ok, err := store.FindCtx(ctx, "secret-token")
	if err != nil || !ok || string(data) != "data" {
		t.Fatalf("Find = %q %v %v", data, ok, err)
	}
	if _, ok, _ := store.FindCtx(ctx, "other-token"); ok {
		t.Fatal("found a session for an unknown token")
	}
	if err := store.DeleteCtx(ctx, "secret-token"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := store.FindCtx(ctx, "secret-token"); ok {
		t.Fatal("session found after delete")
	}
}

func TestSessionStoreExpiresAndSkipsRedundantWrites(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	store := identity.NewSessionStore(pool, time.Minute)
	if err := store.CommitCtx(ctx, "t1", []byte("same"), time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := store.FindCtx(ctx, "t1"); ok {
		t.Fatal("expired session found")
	}
	// The same data again within the write interval is not written: the
	// stored expiry stays as it was.
	if err := store.CommitCtx(ctx, "t1", []byte("same"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := store.FindCtx(ctx, "t1"); ok {
		t.Fatal("redundant write was not skipped")
	}
	// Changed data is always written.
	if err := store.CommitCtx(ctx, "t1", []byte("changed"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if d, ok, _ := store.FindCtx(ctx, "t1"); !ok || string(d) != "changed" {
		t.Fatalf("changed data not stored: %q %v", d, ok)
	}
	n, err := store.DeleteExpired(ctx)
	if err != nil || n != 0 {
		t.Fatalf("DeleteExpired = %d, %v; want 0 (the session is live)", n, err)
	}
}
