package outbox

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// received is what the test SMTP server was given.
type received struct {
	from string
	to   []string
	data []byte
}

// testServer is a real SMTP server (emersion/go-smtp) speaking STARTTLS
// with a certificate for 127.0.0.1 from the test's own authority.
type testServer struct {
	mu   sync.Mutex
	mail []received
	srv  *smtp.Server
	ln   net.Listener
	addr string
	ca   *x509.CertPool
	cert tls.Certificate
}

func (s *testServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }

type session struct {
	s   *testServer
	cur received
}

func (x *session) Reset()        { x.cur = received{} }
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.cur.from = from
	return nil
}
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.cur.to = append(x.cur.to, to)
	return nil
}
func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.cur.data = b
	x.s.mu.Lock()
	x.s.mail = append(x.s.mail, x.cur)
	x.s.mu.Unlock()
	return nil
}

func newTestServer(t testing.TB) *testServer {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test SMTP"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	s := &testServer{ca: x509.NewCertPool(), cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}}
	s.ca.AddCert(cert)
	s.start(t, "127.0.0.1:0")
	return s
}

func (s *testServer) start(t testing.TB, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s.addr, s.ln = ln.Addr().String(), ln
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "127.0.0.1"
	s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{s.cert}}
	go s.srv.Serve(ln)
	t.Cleanup(s.stop)
}

// stop closes the server and its listener (closed here too: a Close that
// comes before Serve has registered the listener would leave it open).
func (s *testServer) stop() {
	s.srv.Close()
	s.ln.Close()
}

func (s *testServer) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.mail...)
}

func (s *testServer) smtp(t testing.TB) *SMTP {
	t.Helper()
	c, err := ParseSMTP("smtp://"+s.addr, "ecrm Bank <no-reply@bank.example>")
	if err != nil {
		t.Fatal(err)
	}
	return c.WithTLSConfig(&tls.Config{RootCAs: s.ca, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
}

// enqueue writes m in its own transaction, committed or rolled back.
func enqueue(t *testing.T, pool *pgxpool.Pool, o *Outbox, m Message, commit bool) int64 {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	id, err := o.Enqueue(ctx, tx, m)
	if err != nil {
		t.Fatal(err)
	}
	if commit {
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func startQueue(t testing.TB, pool *pgxpool.Pool, o *Outbox) {
	t.Helper()
	reg := jobs.NewRegistry()
	o.Register(reg)
	q, err := jobs.New(pool, reg, jobs.Config{FetchPoll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	o.SetQueue(q)
	ctx, cancel := context.WithCancel(context.Background())
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()); cancel() })
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 300; i++ {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("waited 15 s for %s", what)
}

func status(t *testing.T, pool *pgxpool.Pool, id int64) (state string, attempts int, lastError string) {
	t.Helper()
	var e *string
	if err := pool.QueryRow(context.Background(), `SELECT status, attempts, last_error FROM outbox_messages WHERE id = $1`, id).Scan(&state, &attempts, &e); err != nil {
		t.Fatal(err)
	}
	if e != nil {
		lastError = *e
	}
	return state, attempts, lastError
}

// TestOutboxSendsOnceThroughSMTP: a message written in a transaction that
// commits is sent once over STARTTLS with its Message-ID, language and
// body; one whose transaction rolls back never is; a marketing message
// carries its unsubscribe link; a message already sent is not sent again.
func TestOutboxSendsOnceThroughSMTP(t *testing.T) {
	pool := pgtest.New(t)
	srv := newTestServer(t)
	o := New(pool, srv.smtp(t))
	startQueue(t, pool, o)

	enqueue(t, pool, o, Message{Kind: Transactional, To: "ghost@example.com", Language: "en", Subject: "Never", Body: "Rolled back."}, false)
	id := enqueue(t, pool, o, Message{Kind: Transactional, To: "ana@example.com", ToName: "Ana Popescu", Language: "ro",
		Subject: "Confirmați adresa de e-mail", Body: "Bună ziua,\n\nDeschideți legătura pentru a confirma adresa.\n"}, true)
	mkt := enqueue(t, pool, o, Message{Kind: Marketing, To: "ion@example.com", Language: "en", Subject: "A better deposit rate",
		Body: "Your savings could earn more.", UnsubscribeURL: "https://bank.example/unsubscribe/abc"}, true)
	waitUntil(t, "two messages sent", func() bool {
		s1, _, _ := status(t, pool, id)
		s2, _, _ := status(t, pool, mkt)
		return s1 == "sent" && s2 == "sent"
	})
	got := srv.received()
	if len(got) != 2 {
		t.Fatalf("%d messages received, want 2", len(got))
	}
	var messageID string
	if err := pool.QueryRow(context.Background(), `SELECT message_id FROM outbox_messages WHERE id = $1`, id).Scan(&messageID); err != nil {
		t.Fatal(err)
	}
	byTo := map[string]*mail.Message{}
	for _, r := range got {
		m, err := mail.ReadMessage(bytes.NewReader(r.data))
		if err != nil {
			t.Fatal(err)
		}
		if r.from != "no-reply@bank.example" || len(r.to) != 1 {
			t.Errorf("envelope from %q to %v", r.from, r.to)
		}
		byTo[r.to[0]] = m
	}
	ana := byTo["ana@example.com"]
	if ana == nil {
		t.Fatal("nothing for ana@example.com")
	}
	subject, _ := new(mimeDecoder).DecodeHeader(ana.Header.Get("Subject"))
	body, _ := io.ReadAll(ana.Body)
	for name, pair := range map[string][2]string{
		"Message-ID": {ana.Header.Get("Message-ID"), messageID},
		"Subject":    {subject, "Confirmați adresa de e-mail"},
		"Language":   {ana.Header.Get("Content-Language"), "ro"},
		"From":       {ana.Header.Get("From"), `"ecrm Bank" <no-reply@bank.example>`},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s = %q, want %q", name, pair[0], pair[1])
		}
	}
	if !strings.Contains(decodeQP(body), "Deschideți legătura pentru a confirma adresa.") {
		t.Errorf("body %q", body)
	}
	ion := byTo["ion@example.com"]
	ionBody, _ := io.ReadAll(ion.Body)
	if ion.Header.Get("List-Unsubscribe") != "<https://bank.example/unsubscribe/abc>" ||
		!strings.Contains(decodeQP(ionBody), "To stop them: https://bank.example/unsubscribe/abc") {
		t.Errorf("marketing: List-Unsubscribe %q, body %q", ion.Header.Get("List-Unsubscribe"), ionBody)
	}

	// Sending a sent message again (a retried job, a second worker) sends
	// nothing.
	if err := o.send(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.received()); n != 2 {
		t.Errorf("%d messages after sending a sent one again, want 2", n)
	}
}

// TestOutboxKeepsMessagesWhileSMTPIsDown: with the server stopped, the
// message stays queued with the error and is sent, once, when the server
// is back.
func TestOutboxKeepsMessagesWhileSMTPIsDown(t *testing.T) {
	pool := pgtest.New(t)
	srv := newTestServer(t)
	addr := srv.addr
	o := New(pool, srv.smtp(t))
	srv.stop()
	startQueue(t, pool, o)
	id := enqueue(t, pool, o, Message{Kind: Transactional, To: "ana@example.com", Language: "en", Subject: "Statement ready", Body: "Your statement is ready."}, true)
	waitUntil(t, "a failed attempt", func() bool { _, attempts, _ := status(t, pool, id); return attempts >= 1 })
	if state, _, lastError := status(t, pool, id); state != "queued" || !strings.Contains(lastError, "connect") {
		t.Errorf("while down: %s, %q", state, lastError)
	}
	srv.start(t, addr)
	waitUntil(t, "the retry", func() bool {
		// Bring the retry, scheduled seconds ahead with backoff, forward.
		pool.Exec(context.Background(), `UPDATE river_job SET scheduled_at = now() WHERE state = 'retryable'`)
		state, _, _ := status(t, pool, id)
		return state == "sent"
	})
	if n := len(srv.received()); n != 1 {
		t.Errorf("%d messages received after the server came back, want 1", n)
	}
}

// TestOutboxHoldsWithoutSMTP: in development nothing is sent; the message
// is held for the outbox page.
func TestOutboxHoldsWithoutSMTP(t *testing.T) {
	pool := pgtest.New(t)
	o := New(pool, nil)
	startQueue(t, pool, o)
	id := enqueue(t, pool, o, Message{Kind: Transactional, To: "ana@example.com", Language: "en", Subject: "Held", Body: "Held."}, true)
	waitUntil(t, "the message held", func() bool { state, _, _ := status(t, pool, id); return state == "held" })
}

// TestParseSMTP: the URL forms and what each refuses.
func TestParseSMTP(t *testing.T) {
	for _, tt := range []struct{ url, err string }{
		{"smtps://u:p@mail.example:465", ""},
		{"smtp://mail.example", ""},
		{"smtp+plain://127.0.0.1:2525", ""},
		{"smtp+plain://mail.example:25", "only to a loopback address"},
		{"http://mail.example", "must start with smtps://"},
		{"smtp://:25", "names no host"},
		{"smtp://mail.example:99999", "is not a port"},
	} {
		_, err := ParseSMTP(tt.url, "Bank <no-reply@bank.example>")
		if (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: %v, want %q", tt.url, err, tt.err)
		}
	}
	if _, err := ParseSMTP("smtp://mail.example", "not an address"); err == nil || !strings.Contains(err.Error(), "ECRM_MAIL_FROM") {
		t.Errorf("a bad sender: %v", err)
	}
}

type mimeDecoder = mime.WordDecoder

// decodeQP reads a quoted-printable body (go-mail's default for text).
func decodeQP(b []byte) string {
	out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
	if err != nil {
		return string(b)
	}
	return string(out)
}
