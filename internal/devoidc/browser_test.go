package devoidc_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/ecrm-project/ecrm/internal/browsertest"
	"github.com/ecrm-project/ecrm/internal/devoidc"
)

// TestLoginInBrowser signs in through the login page in headless Chromium:
// the page must raise no Content-Security-Policy violation, and the form
// post must be allowed to end at the relying party on another origin
// (browsers apply form-action to the redirects after a form post).
func TestLoginInBrowser(t *testing.T) {
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		q := r.URL.Query()
		fmt.Fprintf(w, `<!doctype html><title>RP</title><p id="code">%s</p><p id="state">%s</p>`,
			html.EscapeString(q.Get("code")), html.EscapeString(q.Get("state")))
	}))
	t.Cleanup(rp.Close)
	callback := rp.URL + "/auth/callback"
	f := newFixture(t, "", func(cfg *devoidc.Config) { cfg.Clients[0].RedirectURIs = []string{callback} })
	f.oauth2.RedirectURL = callback

	ctx := browsertest.New(t)
	if err := browsertest.RecordCSPViolations(ctx); err != nil {
		t.Fatal(err)
	}
	a := newAttempt()
	browsertest.Visit(t, ctx, f.authURL(a), `button[name="user"]`)
	if banner := browsertest.Text(t, ctx, ".banner"); !strings.Contains(banner, "not for production") {
		t.Errorf("banner = %q", banner)
	}
	if v := browsertest.CSPViolations(t, ctx); len(v) > 0 {
		t.Errorf("CSP violations on the login page: %q", v)
	}

	if status := browsertest.Follow(t, ctx, `button[value="mihai"]`); status != http.StatusOK {
		t.Fatalf("after choosing a user: status %d", status)
	}
	if got := browsertest.Text(t, ctx, "#state"); got != a.state {
		t.Errorf("state at the relying party = %q, want %q", got, a.state)
	}
	code := browsertest.Text(t, ctx, "#code")
	if _, err := f.oauth2.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier)); err != nil {
		t.Errorf("exchange the code the browser brought back: %v", err)
	}
}
