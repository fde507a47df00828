package identity

import "time"

// SetClock moves the session store's clock (the cache's, not the
// database's) in tests.
func (s *SessionStore) SetClock(f func() time.Time) { s.clock = f }
