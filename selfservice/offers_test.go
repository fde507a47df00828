package selfservice

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestApplyingAsksForARecentLogin: an application with a login older than
// the step-up age is not made: the API answers 401 with the max_age to
// log in again with (RFC 9470), the page keeps the application in the
// session and sends the browser through the provider; nothing is written
// meanwhile. Another client's offer is not found before any of that.
func TestApplyingAsksForARecentLogin(t *testing.T) {
	pool := newFixture(t)
	addAnaOffer(t, pool)
	h := newTestHandler(t, pool)
	session := &mapSession{}
	h.sessions = session
	srv := newRouter(h, testPrincipal)
	responses := func() int {
		var n int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM decision_records WHERE kind = 'response'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	rec := do(t, srv, request{method: "POST", path: "/api/v1/me/offers/" + anaOfferSeq + "/accept", client: asClient(ana)})
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") !=
		`Bearer error="insufficient_user_authentication", error_description="a more recent login is needed", max_age=600` {
		t.Errorf("stale API accept: %d %q %s", rec.Code, rec.Header().Get("WWW-Authenticate"), rec.Body)
	}
	rec = do(t, srv, request{method: "POST", path: "/portal/offers/" + anaOfferSeq + "/accept", body: "key=abc", contentType: formType, client: asClient(ana)})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login?max_age=600&return_to=%2Fportal%2Foffers%2Faccept%2Fcontinue" {
		t.Errorf("stale page accept: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if session.values[keyPendingOffer] != anaOfferSeq || session.values[keyPendingKey] != "abc" {
		t.Errorf("the application kept in the session: %v", session.values)
	}
	// Back from the provider without a fresh login: refused, and the
	// application is gone from the session.
	rec = do(t, srv, request{path: "/portal/offers/accept/continue", client: asClient(ana)})
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "log in") || len(session.values) != 0 {
		t.Errorf("continue without a fresh login: %d, session %v", rec.Code, session.values)
	}
	// Bogdan, freshly logged in, cannot apply for Ana's offer.
	for _, path := range []string{"/api/v1/me/offers/" + anaOfferSeq + "/accept", "/portal/offers/" + anaOfferSeq + "/accept"} {
		rec = do(t, srv, request{method: "POST", path: path, body: "key=x", contentType: formType, client: asClient(bogdan) + "+fresh"})
		if rec.Code != http.StatusNotFound {
			t.Errorf("Bogdan POST %s: %d, want 404", path, rec.Code)
		}
	}
	if n := responses(); n != 0 {
		t.Errorf("%d responses written", n)
	}
}
