package identity

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SessionConfig sets the session cookie and timeouts.
type SessionConfig struct {
	// IdleTimeout ends a session after this long without a request.
	IdleTimeout time.Duration
	// Lifetime ends a session this long after login, however active.
	Lifetime time.Duration
	// Secure marks the cookie Secure; on when the base URL is https.
	Secure bool
}

// SessionCookieName is the name of the session cookie.
const SessionCookieName = "ecrm_session"

// NewSessionManager returns an scs session manager backed by PostgreSQL, so
// every replica behind a load balancer sees the same sessions. The cookie is
// HttpOnly and SameSite=Lax (sent on the top-level redirect back from the
// identity provider, not on cross-site subrequests).
func NewSessionManager(store *SessionStore, cfg SessionConfig) *scs.SessionManager {
	sm := scs.New()
	sm.Store = store
	sm.IdleTimeout = cfg.IdleTimeout
	sm.Lifetime = cfg.Lifetime
	sm.Cookie.Name = SessionCookieName
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = cfg.Secure
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = false // a browser session cookie; the server enforces expiry
	return sm
}

// SessionStore keeps scs sessions in the sessions table.
//
// Two things differ from a plain key/value store:
//   - rows are keyed by the SHA-256 of the token, never the token itself;
//   - with an idle timeout scs re-commits the session on every request only to
//     move its expiry. When the data did not change and this process wrote
//     the same data less than writeInterval ago, the write is skipped, so a
//     busy client costs one indexed read per request instead of a read and a
//     write. The idle timeout is then enforced to within writeInterval.
type SessionStore struct {
	pool          *pgxpool.Pool
	writeInterval time.Duration

	mu     sync.Mutex
	recent map[[32]byte]recentWrite
}

type recentWrite struct {
	dataHash [32]byte
	at       time.Time
}

// NewSessionStore returns a store on pool; writeInterval bounds how stale an
// idle-timeout extension may be (a minute suits a 15-minute idle timeout).
func NewSessionStore(pool *pgxpool.Pool, writeInterval time.Duration) *SessionStore {
	return &SessionStore{pool: pool, writeInterval: writeInterval, recent: map[[32]byte]recentWrite{}}
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// FindCtx returns the session data for token, if the session exists and has
// not expired.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	err := s.pool.QueryRow(ctx, `SELECT data FROM sessions WHERE token_hash = $1 AND expiry > now()`, tokenHash(token)).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return data, true, nil
}

// CommitCtx saves the session data with its expiry.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, data []byte, expiry time.Time) error {
	key := sha256.Sum256([]byte(token))
	dataHash := sha256.Sum256(data)
	now := time.Now()
	s.mu.Lock()
	last, ok := s.recent[key]
	s.mu.Unlock()
	if ok && last.dataHash == dataHash && now.Sub(last.at) < s.writeInterval {
		return nil
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO sessions (token_hash, data, expiry) VALUES ($1, $2, $3)
		ON CONFLICT (token_hash) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry`,
		key[:], data, expiry)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if len(s.recent) > 100_000 {
		s.pruneLocked(now)
	}
	s.recent[key] = recentWrite{dataHash: dataHash, at: now}
	s.mu.Unlock()
	return nil
}

func (s *SessionStore) pruneLocked(now time.Time) {
	for k, w := range s.recent {
		if now.Sub(w.at) >= s.writeInterval {
			delete(s.recent, k)
		}
	}
}

// DeleteCtx removes the session (logout).
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	key := sha256.Sum256([]byte(token))
	s.mu.Lock()
	delete(s.recent, key)
	s.mu.Unlock()
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, key[:])
	return err
}

// Find, Commit and Delete satisfy scs.Store; scs calls the Ctx variants.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

func (s *SessionStore) Commit(token string, data []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, data, expiry)
}

func (s *SessionStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// DeleteExpired removes expired sessions; main runs it periodically.
func (s *SessionStore) DeleteExpired(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expiry <= now()`)
	return tag.RowsAffected(), err
}
