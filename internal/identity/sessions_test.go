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
	store := identity.NewSessionStore(pool, 15*time.Minute, time.Minute)
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

func TestSessionStoreIdleTimeoutAndDeadline(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	store := identity.NewSessionStore(pool, 15*time.Minute, time.Minute)
	expiryOf := func(token string) (expiry, deadline time.Time) {
		h := sha256.Sum256([]byte(token))
		pool.QueryRow(ctx, `SELECT expiry, deadline FROM sessions WHERE token_hash = $1`, h[:]).Scan(&expiry, &deadline)
		return
	}
	deadline := time.Now().Add(8 * time.Hour).Truncate(time.Microsecond)
	if err := store.CommitCtx(ctx, "t1", []byte("d"), deadline); err != nil {
		t.Fatal(err)
	}
	expiry, storedDeadline := expiryOf("t1")
	if !storedDeadline.Equal(deadline) || time.Until(expiry) > 15*time.Minute || time.Until(expiry) < 14*time.Minute {
		t.Fatalf("expiry %s, deadline %s: want idle expiry in 15 minutes and the absolute deadline kept", expiry, storedDeadline)
	}

	// A read soon after a write does not write again.
	h := sha256.Sum256([]byte("t1"))
	pool.Exec(ctx, `UPDATE sessions SET expiry = now() + interval '14 minutes 30 seconds' WHERE token_hash = $1`, h[:])
	before, _ := expiryOf("t1")
	if _, ok, _ := store.FindCtx(ctx, "t1"); !ok {
		t.Fatal("live session not found")
	}
	if after, _ := expiryOf("t1"); !after.Equal(before) {
		t.Fatalf("a read within the write interval moved the expiry from %s to %s", before, after)
	}
	// A read after more than the write interval extends it to a full idle period.
	pool.Exec(ctx, `UPDATE sessions SET expiry = now() + interval '10 minutes' WHERE token_hash = $1`, h[:])
	store.FindCtx(ctx, "t1")
	if after, _ := expiryOf("t1"); time.Until(after) < 14*time.Minute {
		t.Fatalf("expiry after an active read = %s, want about 15 minutes ahead", after)
	}
	// Idle past the timeout: gone.
	pool.Exec(ctx, `UPDATE sessions SET expiry = now() - interval '1 second' WHERE token_hash = $1`, h[:])
	if _, ok, _ := store.FindCtx(ctx, "t1"); ok {
		t.Fatal("idle session found")
	}
	// Activity never carries a session past its absolute deadline.
	near := time.Now().Add(2 * time.Minute)
	store.CommitCtx(ctx, "t2", []byte("d"), near)
	h2 := sha256.Sum256([]byte("t2"))
	pool.Exec(ctx, `UPDATE sessions SET expiry = now() + interval '30 seconds' WHERE token_hash = $1`, h2[:])
	store.FindCtx(ctx, "t2")
	if e, d := expiryOf("t2"); e.After(d) {
		t.Fatalf("expiry %s past deadline %s", e, d)
	}
	n, err := store.DeleteExpired(ctx)
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v; want the one idle session", n, err)
	}
}

// TestSessionStoreCache: with a cache, a session read is reused for the
// TTL; a write or logout through the store takes effect at once; a logout
// elsewhere (another replica, here a direct DELETE) within the TTL. The
// store's clock runs ahead of real time where the test needs the TTL over.
func TestSessionStoreCache(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	store := identity.NewSessionStore(pool, 15*time.Minute, time.Minute)
	const ttl = time.Hour
	store.SetCacheTTL(ttl)
	var ahead time.Duration
	store.SetClock(func() time.Time { return time.Now().Add(ahead) })
	find := func(token string) string {
		t.Helper()
		data, ok, err := store.FindCtx(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return "(none)"
		}
		return string(data)
	}
	if err := store.CommitCtx(ctx, "a", []byte("v1"), time.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := find("a"); got != "v1" {
		t.Fatalf("find = %q", got)
	}
	// A write through the store replaces what was cached.
	if err := store.CommitCtx(ctx, "a", []byte("v2"), time.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := find("a"); got != "v2" {
		t.Fatalf("after commit: find = %q, want v2", got)
	}
	// Deleted by another replica: still served from the cache within the
	// TTL, gone after it.
	h := sha256.Sum256([]byte("a"))
	if _, err := pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, h[:]); err != nil {
		t.Fatal(err)
	}
	if got := find("a"); got != "v2" {
		t.Fatalf("within the TTL: find = %q, want the cached v2", got)
	}
	ahead = ttl
	if got := find("a"); got != "(none)" {
		t.Fatalf("after the TTL: find = %q, want none", got)
	}
	ahead = 0
	// A logout through the store ends the session at once.
	if err := store.CommitCtx(ctx, "b", []byte("v"), time.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	find("b")
	if err := store.DeleteCtx(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if got := find("b"); got != "(none)" {
		t.Fatalf("after logout: find = %q", got)
	}
	// A session past its deadline is never served from the cache.
	if err := store.CommitCtx(ctx, "c", []byte("v"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	find("c")
	if _, err := pool.Exec(ctx, `UPDATE sessions SET expiry = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	ahead = 2 * time.Second
	if got := find("c"); got != "(none)" {
		t.Fatalf("after its deadline: find = %q", got)
	}
}
