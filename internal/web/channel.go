package web

import (
	"net/http"
	"strings"
)

// ClientChannel is the channel a client's request comes from, as the offer
// log records it: programmatic callers with a bearer token are the mobile
// app, the browser (session cookie) is the portal.
func ClientChannel(r *http.Request) string {
	if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		return "mobile"
	}
	return "web"
}
