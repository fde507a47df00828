package outbox

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestOutboxPage: the admin reads every message, held ones included, in
// her language; advisors and anonymous visitors are refused.
func TestOutboxPage(t *testing.T) {
	pool := pgtest.New(t)
	o := New(pool, nil)
	startQueue(t, pool, o)
	id := enqueue(t, pool, o, Message{Kind: Transactional, To: "ana@example.com", ToName: "Ana Popescu", Language: "ro",
		Subject: "Confirmați adresa", Body: "Deschideți legătura."}, true)
	waitUntil(t, "held", func() bool { s, _, _ := status(t, pool, id); return s == "held" })
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(i18n.Middleware)
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if role := req.Header.Get("X-Test-Role"); role != "" {
				req = req.WithContext(ecrm.WithPrincipal(req.Context(), &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 1, Roles: []string{role}}))
			}
			next.ServeHTTP(w, req)
		})
	})
	NewPageHandler(o, pages, nil).Routes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	get := func(path, role, lang string) (int, string) {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", srv.URL+path, nil)
		req.Header.Set("X-Test-Role", role)
		req.Header.Set("Accept-Language", lang)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	status, body := get("/console/outbox", ecrm.RoleAdmin, "ro")
	if status != 200 || !strings.Contains(body, `<a href="/console/outbox/`+strconv.FormatInt(id, 10)+`">Confirmați adresa</a>`) ||
		!strings.Contains(body, "Păstrat (netrimis)") || !strings.Contains(body, i18n.NewLocalizer(i18n.Romanian).T("outbox.holding")) {
		t.Errorf("list: %d\n%s", status, body)
	}
	status, body = get("/console/outbox/"+strconv.FormatInt(id, 10), ecrm.RoleAdmin, "en")
	if status != 200 || !strings.Contains(body, `<pre class="message-body" id="message-body" lang="ro">Deschideți legătura.</pre>`) ||
		!strings.Contains(body, "Ana Popescu &lt;ana@example.com&gt;") {
		t.Errorf("message: %d\n%s", status, body)
	}
	for _, path := range []string{"/console/outbox", "/console/outbox/" + strconv.FormatInt(id, 10)} {
		if status, _ := get(path, ecrm.RoleAdvisor, "en"); status != http.StatusForbidden {
			t.Errorf("advisor on %s: %d", path, status)
		}
		if status, _ := get(path, "", "en"); status != http.StatusUnauthorized {
			t.Errorf("anonymous on %s: %d", path, status)
		}
	}
	if status, _ := get("/console/outbox/999999", ecrm.RoleAdmin, "en"); status != http.StatusNotFound {
		t.Errorf("unknown message: %d", status)
	}
}
