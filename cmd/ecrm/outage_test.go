package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// pgProxy stands between ecrm and PostgreSQL so a test can take the
// database away (every connection cut, new ones closed at once, as during a
// restart) and bring it back.
type pgProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

func newPGProxy(t *testing.T, target string) *pgProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.setDown(true) })
	go p.serve()
	return p
}

func (p *pgProxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			client.Close()
			continue
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			client.Close()
			continue
		}
		p.conns[client], p.conns[server] = true, true
		p.mu.Unlock()
		go func() { io.Copy(server, client); server.Close() }()
		go func() { io.Copy(client, server); client.Close() }()
	}
}

func (p *pgProxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]bool{}
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDatabaseOutageAnswers503AndRecovers takes the database away from a
// running service: API calls get 503 problem+json with Retry-After, pages
// the "temporarily unavailable" page, the outage is logged once (not once
// per request), /readyz says "database unreachable" without connection
// details, and when the database is back the service answers again by
// itself.
func TestDatabaseOutageAnswers503AndRecovers(t *testing.T) {
	dbURL := pgtest.NewURL(t)
	u, err := url.Parse(pgtest.AppURL(t, dbURL))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newPGProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	cfg, err := loadConfig(envFrom(map[string]string{"DATABASE_URL": u.String()}))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgdb.Open(context.Background(), u.String(), 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	logs := &syncBuffer{}
	a, err := newApp(cfg, newLogger(cfg, logs), pool)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.routes())
	t.Cleanup(srv.Close)

	request := func(path string, header map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}
	const apiPath = "/api/v1/products/NO-SUCH-PRODUCT"
	if res, _ := request(apiPath, nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("before the outage: %s answered %d, want 404", apiPath, res.StatusCode)
	}

	proxy.setDown(true)
	const requests = 20
	for i := 0; i < requests; i++ {
		res, body := request(apiPath, nil)
		var p struct {
			Status int    `json:"status"`
			Detail string `json:"detail"`
		}
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != "5" ||
			res.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal([]byte(body), &p) != nil ||
			p.Status != 503 || p.Detail != "The service is temporarily unavailable. Try again in a few seconds." {
			t.Fatalf("during the outage, request %d: %d Retry-After %q %s", i, res.StatusCode, res.Header.Get("Retry-After"), body)
		}
	}
	// A person with a session cookie: the session cannot be read.
	res, body := request("/portal", map[string]string{"Cookie": "ecrm_session=" + strings.Repeat("a", 43), "Accept-Language": "ro"})
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != "5" ||
		!strings.Contains(body, "Serviciul este temporar indisponibil") {
		t.Errorf("page during the outage: %d Retry-After %q\n%s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
	time.Sleep(1100 * time.Millisecond) // past /readyz's one-second cache
	res, body = request("/readyz", nil)
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"detail":"database unreachable"`) ||
		strings.Contains(body, u.User.Username()) || strings.Contains(body, strings.TrimPrefix(u.Path, "/")) {
		t.Errorf("/readyz during the outage: %d %s", res.StatusCode, body)
	}

	proxy.setDown(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, _ := request(apiPath, nil)
		if res.StatusCode == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after the database came back, %s still answers %d", apiPath, res.StatusCode)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for time.Now().Before(deadline) && !strings.Contains(logs.String(), "database reachable again") {
		time.Sleep(100 * time.Millisecond)
	}

	log := logs.String()
	if n := strings.Count(log, "database unavailable: answering 503"); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, log)
	}
	if n := strings.Count(log, `"level":"ERROR"`); n != 1 {
		t.Errorf("%d ERROR lines, want the outage's one:\n%s", n, log)
	}
	if !strings.Contains(log, `"msg":"database reachable again"`) || !strings.Contains(log, `"requests_answered_503":21`) { // 20 API calls and the page
		t.Errorf("the recovery was not logged:\n%s", log)
	}
}
