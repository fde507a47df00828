package web

import (
	"net/http/httptest"
	"testing"
)

func TestClientChannel(t *testing.T) {
	for auth, want := range map[string]string{"": "web", "Bearer eyJ": "mobile", "Basic dXNlcg==": "web", "bearer x": "mobile", "Bearer ": "web"} {
		r := httptest.NewRequest("GET", "/", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if got := ClientChannel(r); got != want {
			t.Errorf("Authorization %q: channel %s, want %s", auth, got, want)
		}
	}
}
