package web

import (
	"net/http"
	"strings"
)

// ClientChannel is the channel a client's request comes from, as the offer
// log records it: programmatic callers with a bearer token are the mobile
// app, the browser (session cookie) is the portal.
func ClientChannel(r *http.Request) string {
	// The scheme is case-insensitive (RFC 9110).
	if auth := r.Header.Get("Authorization"); len(auth) > 7 && strings.EqualFold(auth[:7], "Bearer ") {
		return "mobile"
	}
	return "web"
}
