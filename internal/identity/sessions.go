package identity

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SessionConfig sets the session cookie and lifetime; the idle timeout is
// the store's.
type SessionConfig struct {
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
	sm.Codec = stringCodec{}
	// The store enforces the idle timeout (see SessionStore); scs only
	// knows the absolute lifetime, so a read-only request writes nothing.
	sm.Lifetime = cfg.Lifetime
	sm.Cookie.Name = SessionCookieName
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = cfg.Secure
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = false // a browser session cookie; the server enforces expiry
	return sm
}

// stringCodec encodes a session as JSON. ecrm keeps only strings in
// sessions, and scs's default gob codec builds a new decoder (and compiles
// its type information) on every request, which made session handling a
// quarter of the CPU time of a busy API; this codec is a few microseconds.
type stringCodec struct{}

type sessionRecord struct {
	Deadline int64             `json:"d"`
	Values   map[string]string `json:"v"`
}

func (stringCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	rec := sessionRecord{Deadline: deadline.UnixNano(), Values: make(map[string]string, len(values))}
	for k, v := range values {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("session value %q is a %T; sessions hold strings only", k, v)
		}
		rec.Values[k] = s
	}
	return json.Marshal(rec)
}

// Decode reads what Encode wrote. Every request decodes its session, and
// the record is mostly the ID token, a long string without escapes, so the
// layout Encode writes ({"d":…,"v":{"key":"value",…}}) is read directly;
// escaped strings are unquoted by encoding/json, and anything else is
// decoded by encoding/json as a whole.
func (stringCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	if deadline, values, ok := decodeSessionRecord(b); ok {
		return deadline, values, nil
	}
	var rec sessionRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return time.Time{}, nil, err
	}
	values := make(map[string]any, len(rec.Values))
	for k, v := range rec.Values {
		values[k] = v
	}
	return time.Unix(0, rec.Deadline), values, nil
}

// decodeSessionRecord reads a record in exactly the layout json.Marshal
// gives sessionRecord; ok is false for anything else.
func decodeSessionRecord(b []byte) (deadline time.Time, values map[string]any, ok bool) {
	rest, found := bytes.CutPrefix(b, []byte(`{"d":`))
	if !found {
		return time.Time{}, nil, false
	}
	end := bytes.IndexByte(rest, ',')
	if end < 0 {
		return time.Time{}, nil, false
	}
	nanos, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	if err != nil || !isJSONInteger(rest[:end]) {
		return time.Time{}, nil, false
	}
	if rest, found = bytes.CutPrefix(rest[end:], []byte(`,"v":{`)); !found {
		return time.Time{}, nil, false
	}
	values = make(map[string]any, 4)
	for first := true; ; first = false {
		if len(rest) > 0 && rest[0] == '}' {
			rest = rest[1:]
			break
		}
		if !first {
			if rest, found = bytes.CutPrefix(rest, []byte(",")); !found {
				return time.Time{}, nil, false
			}
		}
		var key, value string
		if key, rest, ok = cutJSONString(rest); !ok {
			return time.Time{}, nil, false
		}
		if rest, found = bytes.CutPrefix(rest, []byte(":")); !found {
			return time.Time{}, nil, false
		}
		if value, rest, ok = cutJSONString(rest); !ok {
			return time.Time{}, nil, false
		}
		values[key] = value
	}
	if !bytes.Equal(rest, []byte("}")) {
		return time.Time{}, nil, false
	}
	return time.Unix(0, nanos), values, true
}

// isJSONInteger reports whether b is an integer as JSON writes it:
// -?(0|[1-9][0-9]*).
func isJSONInteger(b []byte) bool {
	b, _ = bytes.CutPrefix(b, []byte("-"))
	if len(b) == 0 || (b[0] == '0' && len(b) > 1) {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// cutJSONString reads the JSON string at the start of b and returns it
// and what follows it. Escapes other than surrogate pairs are undone here;
// a string with a surrogate escape is unquoted by encoding/json.
func cutJSONString(b []byte) (s string, rest []byte, ok bool) {
	if len(b) == 0 || b[0] != '"' {
		return "", nil, false
	}
	var out []byte // nil until the first escape
	start := 1
	for i := 1; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"':
			if !utf8.Valid(b[start:i]) {
				return "", nil, false
			}
			if out == nil {
				return string(b[1:i]), b[i+1:], true
			}
			return string(append(out, b[start:i]...)), b[i+1:], true
		case c < 0x20:
			return "", nil, false
		case c != '\\':
			continue
		}
		if i+1 >= len(b) || !utf8.Valid(b[start:i]) {
			return "", nil, false
		}
		out = append(out, b[start:i]...)
		switch e := b[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if i+6 > len(b) {
				return "", nil, false
			}
			r, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16)
			if err != nil || utf16.IsSurrogate(rune(r)) {
				return unquoteWithEncodingJSON(b)
			}
			out = utf8.AppendRune(out, rune(r))
			i += 4
		default:
			return "", nil, false
		}
		i++
		start = i + 1
	}
	return "", nil, false
}

// unquoteWithEncodingJSON reads the JSON string at the start of b with
// encoding/json.
func unquoteWithEncodingJSON(b []byte) (s string, rest []byte, ok bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	if d.Decode(&s) != nil {
		return "", nil, false
	}
	return s, b[d.InputOffset():], true
}

// SessionStore keeps scs sessions in the sessions table.
//
// Two things differ from a plain key/value store:
//   - rows are keyed by the SHA-256 of the token, never the token itself;
//   - the store, not scs, enforces the idle timeout. scs with an idle timeout
//     rewrites the session on every request only to move its expiry, which
//     makes every read a write. Here a row keeps its absolute deadline and
//     an idle expiry; a read extends the expiry only when it is more than
//     writeInterval old, so a busy client costs one indexed read per
//     request, and the idle timeout holds to within writeInterval.
//
// A store may keep what it read for a moment (SetCacheTTL): a client's
// burst of requests then costs one read. Writes and deletes through this
// store update the cache at once; a logout on another replica takes
// effect here within the TTL.
type SessionStore struct {
	pool          *pgxpool.Pool
	idleTimeout   time.Duration
	writeInterval time.Duration

	cacheTTL time.Duration
	mu       sync.Mutex
	cache    map[string]cachedSession // by token hash
	// writes counts writes and deletes; a read that overlapped one does
	// not fill the cache, which might otherwise keep what was replaced.
	writes uint64
	clock  func() time.Time // time.Now; tests move it
}

// cachedSession is a session as read from the database, and when.
type cachedSession struct {
	data             []byte
	expiry, deadline time.Time
	read             time.Time
}

// maxCachedSessions bounds the cache: beyond it the cache starts afresh.
const maxCachedSessions = 100_000

// SetCacheTTL makes the store keep sessions it read for ttl (0: never).
func (s *SessionStore) SetCacheTTL(ttl time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cacheTTL = ttl
	s.cache = make(map[string]cachedSession)
}

func (s *SessionStore) cached(key []byte, now time.Time) (cachedSession, bool) {
	if s.cacheTTL <= 0 {
		return cachedSession{}, false
	}
	s.mu.Lock()
	c, ok := s.cache[string(key)]
	s.mu.Unlock()
	if !ok || now.Sub(c.read) >= s.cacheTTL || !now.Before(c.expiry) {
		return cachedSession{}, false
	}
	return c, true
}

func (s *SessionStore) writeCount() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

func (s *SessionStore) remember(key []byte, c cachedSession, writesBefore uint64) {
	if s.cacheTTL <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writes != writesBefore {
		return
	}
	if len(s.cache) >= maxCachedSessions {
		s.cache = make(map[string]cachedSession)
	}
	s.cache[string(key)] = c
}

func (s *SessionStore) forget(key []byte) {
	s.mu.Lock()
	s.writes++
	delete(s.cache, string(key))
	s.mu.Unlock()
}

// NewSessionStore returns a store on pool that ends sessions idle for
// idleTimeout; writeInterval bounds how often a read extends the expiry (a
// minute suits a 15-minute idle timeout).
func NewSessionStore(pool *pgxpool.Pool, idleTimeout, writeInterval time.Duration) *SessionStore {
	return &SessionStore{pool: pool, idleTimeout: idleTimeout, writeInterval: writeInterval, clock: time.Now}
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// FindCtx returns the session data for token, if the session exists and has
// neither reached its deadline nor been idle past the timeout. Use counts as
// activity: the idle expiry moves forward.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	key := tokenHash(token)
	now := s.clock()
	writes := s.writeCount()
	c, ok := s.cached(key, now)
	if !ok {
		err := s.pool.QueryRow(ctx, `SELECT data, expiry, deadline FROM sessions WHERE token_hash = $1 AND expiry > now()`, key).
			Scan(&c.data, &c.expiry, &c.deadline)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		c.read = now
	}
	if c.expiry.Before(c.deadline) && c.expiry.Sub(now) < s.idleTimeout-s.writeInterval {
		if _, err := s.pool.Exec(ctx, `UPDATE sessions SET expiry = least(deadline, now() + $2::interval) WHERE token_hash = $1`,
			key, s.idleTimeout); err != nil {
			return nil, false, err
		}
		c.expiry = minTime(c.deadline, now.Add(s.idleTimeout))
	}
	s.remember(key, c, writes)
	return c.data, true, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// CommitCtx saves the session data; deadline is the session's absolute end
// (scs runs without an idle timeout of its own, so it passes the lifetime
// deadline here).
func (s *SessionStore) CommitCtx(ctx context.Context, token string, data []byte, deadline time.Time) error {
	key := tokenHash(token)
	s.forget(key)
	defer s.forget(key)
	_, err := s.pool.Exec(ctx, `
		INSERT INTO sessions (token_hash, data, deadline, expiry) VALUES ($1, $2, $3, least($3, now() + $4::interval))
		ON CONFLICT (token_hash) DO UPDATE SET data = EXCLUDED.data, deadline = EXCLUDED.deadline, expiry = EXCLUDED.expiry`,
		key, data, deadline, s.idleTimeout)
	return err
}

// DeleteCtx removes the session (logout).
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	key := tokenHash(token)
	s.forget(key)
	defer s.forget(key)
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, key)
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
