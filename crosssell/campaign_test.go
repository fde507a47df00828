package crosssell

import (
	"bytes"
	"context"
	"io"
	"math"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/outbox"
)

// TestNewcombeUplift holds the interval to Newcombe (1998), Table II,
// method 10: 56/70 − 48/80 = 0.2000 (0.0524, 0.3339) and 9/10 − 3/10 =
// 0.6000 (0.1705, 0.8090); and the Wald interval of the first by hand:
// se = √(0.8·0.2/70 + 0.6·0.4/80) = √0.0052857 = 0.0727029, 0.2 ± 1.959964
// × 0.0727029 = (0.0575, 0.3425).
func TestNewcombeUplift(t *testing.T) {
	round := func(f float64) float64 { return math.Round(f*10000) / 10000 }
	cases := []struct {
		name                 string
		got                  Uplift
		diff, lower, upper   float64
		significant, defined bool
	}{
		{"56/70-48/80", NewcombeUplift(56, 70, 48, 80), 0.2, 0.0524, 0.3339, true, true},
		{"9/10-3/10", NewcombeUplift(9, 10, 3, 10), 0.6, 0.1705, 0.8090, true, true},
		{"wald 56/70-48/80", WaldUplift(56, 70, 48, 80), 0.2, 0.0575, 0.3425, true, true},
		// 1/3 against 0/1: Wilson (0.0615, 0.7923) and (0, 0.7935); d =
		// 0.3333, L = 0.3333 − √(0.2718² + 0.7935²) = −0.5054, U = 0.3333 +
		// √(0.4590² + 0²) = 0.7923. Wald would say (−0.20, 0.87).
		{"1/3-0/1", NewcombeUplift(1, 3, 0, 1), 0.3333, -0.5054, 0.7923, false, true},
		{"empty control", NewcombeUplift(1, 3, 0, 0), 0, 0, 0, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := c.got
			if g.Defined != c.defined || round(g.Difference) != c.diff || round(g.Lower) != c.lower || round(g.Upper) != c.upper || g.Significant() != c.significant {
				t.Errorf("got %+v (%.4f, %.4f, %.4f), want %.4f (%.4f, %.4f)", g, g.Difference, g.Lower, g.Upper, c.diff, c.lower, c.upper)
			}
		})
	}
	d, l, u := NewcombeUplift(56, 70, 48, 80).Points()
	if d.String() != "20" || l.String() != "5.24" || u.String() != "33.39" {
		t.Errorf("points: %s %s %s", d, l, u)
	}
}

// TestInControl: the assignment is a pure function of (seed, client,
// share): the same seed gives the same groups, 0 % holds nobody out, and
// about the share of many clients is held out. Seed 6 at 25 % holds out
// 9002 alone of 9001-9004 (SHA-256 fractions 0.9532, 0.1033, 0.3704,
// 0.7471, by hand with Python's hashlib).
func TestInControl(t *testing.T) {
	quarter := decimal.RequireFromString("0.25")
	var got []bool
	for _, id := range []int64{9001, 9002, 9003, 9004} {
		got = append(got, InControl(6, id, quarter))
	}
	if want := []bool{false, true, false, false}; !equalBools(got, want) {
		t.Errorf("seed 6: %v, want %v", got, want)
	}
	if InControl(6, 9002, decimal.Zero) || !InControl(6, 9002, decimal.RequireFromString("0.104")) || InControl(6, 9002, decimal.RequireFromString("0.103")) {
		t.Error("the share's edge: 9002's fraction is 0.1033…")
	}
	n := 0
	for id := int64(1); id <= 10000; id++ {
		if InControl(42, id, decimal.RequireFromString("0.1")) {
			n++
		}
	}
	if n < 900 || n > 1100 { // 1,000 expected, σ = 30
		t.Errorf("%d of 10,000 held out at 10 %%", n)
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCreateCampaignRefused: every field at fault is named, in the form's
// order, and nothing is stored.
func TestCreateCampaignRefused(t *testing.T) {
	pool, a := nboFixture(t)
	ctx := context.Background()
	c := NewCampaigns(pool, a)
	admin := CampaignStaff{StaffID: 2}
	pct := func(s string) *decimal.Decimal { d := decimal.RequireFromString(s); return &d }
	cases := []struct {
		name   string
		in     CampaignInput
		by     CampaignStaff
		fields string
	}{
		{"empty", CampaignInput{}, admin, "name product channel"},
		{"unknown product, channel", CampaignInput{Name: "x", Product: "NOPE", Channel: "fax"}, admin, "product channel"},
		{"a current account", CampaignInput{Name: "x", Product: "CA-RON-STD", Channel: "email"}, admin, "product"},
		{"control above 50", CampaignInput{Name: "x", Product: "SAV-RON-FLEX", Channel: "email", ControlPercent: pct("50.5")}, admin, "control_percent"},
		{"control below 0", CampaignInput{Name: "x", Product: "SAV-RON-FLEX", Channel: "email", ControlPercent: pct("-1")}, admin, "control_percent"},
		{"unknown segment, stage, band", CampaignInput{Name: "x", Product: "SAV-RON-FLEX", Channel: "portal",
			Audience: Audience{Segment: "gold", LifeStage: "teen", AgeBand: "18_20"}}, admin, "segment life_stage age_band"},
		{"not an advisor", CampaignInput{Name: "x", Product: "SAV-RON-FLEX", Channel: "portal", Audience: Audience{AdvisorID: 99}}, admin, "advisor_id"},
		{"a colleague's book", CampaignInput{Name: "x", Product: "SAV-RON-FLEX", Channel: "portal", Audience: Audience{AdvisorID: 2}},
			CampaignStaff{StaffID: 1, Book: true}, "advisor_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Create(ctx, tc.in, tc.by)
			var fields []string
			var e *ecrm.Error
			if ecrm.ErrorCode(err) == ecrm.EINVALID {
				e = err.(*ecrm.Error)
				for _, f := range e.Fields {
					fields = append(fields, f.Field)
				}
			}
			if strings.Join(fields, " ") != tc.fields {
				t.Errorf("fields %v (%v), want %s", fields, err, tc.fields)
			}
		})
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM campaigns`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d campaigns stored (%v)", n, err)
	}
	// 50 % and an advisor's own campaign are fine; hers is for her book.
	id, err := c.Create(ctx, CampaignInput{Name: " Savings ", Product: "SAV-RON-FLEX", Channel: "portal", ControlPercent: pct("50")},
		CampaignStaff{StaffID: 1, Book: true})
	if err != nil {
		t.Fatal(err)
	}
	x, err := c.Campaign(ctx, id, CampaignStaff{StaffID: 1, Book: true})
	if err != nil || x.Name != "Savings" || x.Audience.AdvisorID != 1 || x.ControlShare.String() != "0.5" || x.Status != CampaignDraft {
		t.Errorf("stored %+v %v", x, err)
	}
	if _, err := c.Campaign(ctx, id, CampaignStaff{StaffID: 2, Book: true}); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("another advisor reads it: %v", err)
	}
}

// smtpServer is a real SMTP server (emersion/go-smtp) on the loopback
// interface, without TLS (smtp+plain, as the outbox allows there only).
type smtpServer struct {
	mu   sync.Mutex
	mail [][]byte
	addr string
}

func (s *smtpServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s}, nil }

type smtpSession struct{ s *smtpServer }

func (*smtpSession) Reset()                               {}
func (*smtpSession) Logout() error                        { return nil }
func (*smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (x *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	x.s.mu.Lock()
	x.s.mail = append(x.s.mail, b)
	x.s.mu.Unlock()
	return err
}

func (s *smtpServer) received() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.mail...)
}

func newSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{addr: ln.Addr().String()}
	srv := smtp.NewServer(s)
	srv.Domain = "127.0.0.1"
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close(); ln.Close() })
	return s
}

// campaignFixture: the next-best-offer fixture with Dan (9004), e-mail
// addresses for Maria (in Romanian) and Dan, consent to offers by e-mail
// from Maria and Petra (who has no address), and the job queue working the
// outbox (to a real SMTP server) and the campaign runs.
func campaignFixture(t *testing.T) (*pgxpool.Pool, *Campaigns, *smtpServer) {
	t.Helper()
	pool, a := nboFixture(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		INSERT INTO clients (id, kind, given_name, family_name, birth_date, country, kyc_status, kyc_verified_at)
		VALUES (9004, 'client', 'Dan', 'Test', '1990-01-01', 'RO', 'verified', '2026-01-01');
		UPDATE clients SET email = 'maria@example.com', preferred_language = 'ro' WHERE id = 9001;
		UPDATE clients SET email = 'dan@example.com' WHERE id = 9004;
		INSERT INTO consents (client_id, purpose, channel, granted, wording_version, source, recorded_at)
		VALUES (9001, 'marketing', 'email', true, '2026-01', 'portal', '2026-01-01 10:00Z'),
		       (9003, 'marketing', 'email', true, '2026-01', 'portal', '2026-01-01 10:00Z');`); err != nil {
		t.Fatal(err)
	}
	srv := newSMTPServer(t)
	smtpCfg, err := outbox.ParseSMTP("smtp+plain://"+srv.addr, "ecrm Bank <no-reply@bank.example>")
	if err != nil {
		t.Fatal(err)
	}
	mail := outbox.New(pool, smtpCfg)
	c := NewCampaigns(pool, a)
	c.Now = func() time.Time { return needsAsOf }
	c.Batch = 1 // a batch per recipient: the run resumes across batches
	reg := jobs.NewRegistry()
	mail.Register(reg)
	c.RegisterJobs(reg)
	q, err := jobs.New(pool, reg, jobs.Config{FetchPoll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	mail.SetQueue(q)
	c.SetRunner(q, mail, "https://bank.example")
	qctx, cancel := context.WithCancel(context.Background())
	if err := q.Start(qctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()); cancel() })
	return pool, c, srv
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCampaignRun: an e-mail campaign for SAV-RON-FLEX to the mass
// segment (all four clients) with 25 % held out, seed 6: Ion (9002) is
// control, held out with no decision record; Maria passes the gate and
// gets an e-mail in Romanian with the offer's terms, the link to her offer
// and the unsubscribe link; Petra has no address (no_email, nothing
// presented); Dan has one but no consent to e-mail (blocked by the gate's
// consent check, recorded). Launching again sends nothing more.
//
// Maria's offer is the next best offers' own: her idle cash 26,999.99 RON
// at the product's 2 % (nbo_test.go), valued 1,080.00 RON = 216.00 EUR.
func TestCampaignRun(t *testing.T) {
	pool, c, srv := campaignFixture(t)
	ctx := context.Background()
	admin := CampaignStaff{StaffID: 2}
	quarter := decimal.NewFromInt(25)
	seed := int64(6)
	id, err := c.Create(ctx, CampaignInput{Name: "Savings for the mass segment", Product: "SAV-RON-FLEX", Channel: ChannelEmail,
		ControlPercent: &quarter, Seed: &seed, Audience: Audience{Segment: "mass"}}, admin)
	if err != nil {
		t.Fatal(err)
	}
	started, err := c.Launch(ctx, id, admin)
	if err != nil || !started {
		t.Fatalf("launch: %v %v", started, err)
	}
	status := func() string {
		x, err := c.Campaign(ctx, id, admin)
		if err != nil {
			t.Fatal(err)
		}
		return x.Status
	}
	waitFor(t, "the campaign to finish", func() bool { return status() == CampaignDone })
	waitFor(t, "Maria's e-mail", func() bool { return len(srv.received()) == 1 })

	type row struct {
		client         int64
		grp, state     string
		seq            *int64
		reasons        []string
		message, token *string
	}
	rows, err := pool.Query(ctx, `SELECT client_id, grp, state, decision_seq, blocked_reasons, outbox_message_id::text, unsubscribe_token
		FROM campaign_recipients WHERE campaign_id = $1 ORDER BY client_id`, id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var mariaSeq int64
	var token string
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.client, &r.grp, &r.state, &r.seq, &r.reasons, &r.message, &r.token); err != nil {
			t.Fatal(err)
		}
		line := strconv.FormatInt(r.client, 10) + " " + r.grp + " " + r.state + " " + strings.Join(r.reasons, ",")
		if r.seq != nil {
			line += " record"
		}
		if r.message != nil {
			line += " mail"
		}
		if r.client == 9001 && r.seq != nil && r.token != nil {
			mariaSeq, token = *r.seq, *r.token
		}
		got = append(got, line)
	}
	want := []string{
		"9001 treatment shown  record mail",
		"9002 control held_out ",
		"9003 treatment blocked no_email",
		"9004 treatment blocked consent record",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("recipients:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The decision: engine and version, purpose marketing on e-mail, the
	// system as actor, the campaign and the value in its inputs.
	var engine, version, channel, actor, amount, value, campaign string
	if err := pool.QueryRow(ctx, `SELECT engine, engine_version, channel, actor_kind, body::jsonb #>> '{inputs,request,amount,amount}',
			body::jsonb #>> '{inputs,engine_inputs,value_eur}', body::jsonb #>> '{inputs,engine_inputs,campaign_id}'
		FROM decision_records WHERE seq = $1`, mariaSeq).Scan(&engine, &version, &channel, &actor, &amount, &value, &campaign); err != nil {
		t.Fatal(err)
	}
	if engine != CampaignEngine || version != CampaignVersion || channel != "email" || actor != "system" || amount != "26999.99" ||
		value != "216" || campaign != strconv.FormatInt(id, 10) {
		t.Errorf("record: %s %s %s %s %s %s %s", engine, version, channel, actor, amount, value, campaign)
	}
	var ionRecords int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM decision_records WHERE client_id = 9002 AND engine = $1`, CampaignEngine).Scan(&ionRecords); err != nil || ionRecords != 0 {
		t.Errorf("control has %d decision records (%v)", ionRecords, err)
	}
	rp := compliance.NewReplayer(pool)
	if r, err := rp.Record(ctx, mariaSeq); err != nil || !r.Reproduced() {
		t.Errorf("replay: %+v %v", r, err)
	}

	// The e-mail, as the SMTP server received it.
	msg, err := mail.ReadMessage(bytes.NewReader(srv.received()[0]))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	text := strings.ReplaceAll(string(body), "\u00a0", " ")
	link := "https://bank.example/portal/offers/" + strconv.FormatInt(mariaSeq, 10)
	unsubscribe := "https://bank.example/unsubscribe/" + token
	for _, want := range []string{"Bună ziua, Maria Test,", "Suma: 26.999,99 lei", "Perioada: 12 luni", "Dobânda: 2,00 % pe an", link, unsubscribe} {
		if !strings.Contains(text, want) {
			t.Errorf("the e-mail lacks %q:\n%s", want, text)
		}
	}
	if msg.Header.Get("List-Unsubscribe") != "<"+unsubscribe+">" || msg.Header.Get("Content-Language") != "ro" || msg.Header.Get("To") != `"Maria Test" <maria@example.com>` {
		t.Errorf("headers: %v", msg.Header)
	}

	// The unsubscribe link withdraws Maria's consent to e-mail offers,
	// once however often it is followed; a token no e-mail carried is
	// not found.
	for range 2 {
		if err := c.Unsubscribe(ctx, token); err != nil {
			t.Fatal(err)
		}
	}
	var withdrawn int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM consents WHERE client_id = 9001 AND channel = 'email' AND NOT granted AND wording_version = $1`,
		UnsubscribeWording).Scan(&withdrawn); err != nil || withdrawn != 1 {
		t.Errorf("%d withdrawals (%v)", withdrawn, err)
	}
	if err := c.Unsubscribe(ctx, strings.Repeat("0", 36)); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("unknown token: %v", err)
	}

	// Launching again, and running again, change nothing.
	counts := func() (records, mails int) {
		if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM decision_records WHERE engine = $1), (SELECT count(*) FROM outbox_messages)`,
			CampaignEngine).Scan(&records, &mails); err != nil {
			t.Fatal(err)
		}
		return
	}
	r0, m0 := counts()
	if started, err := c.Launch(ctx, id, admin); err != nil || started {
		t.Errorf("second launch: %v %v", started, err)
	}
	if done, err := c.Run(ctx, id, 0); err != nil || !done {
		t.Errorf("run again: %v %v", done, err)
	}
	if r1, m1 := counts(); r1 != r0 || m1 != m0 || r0 != 2 || m0 != 1 {
		t.Errorf("records %d → %d, mails %d → %d", r0, r1, m0, m1)
	}

	// Maria opens her offer and is interested; Ion, held out, opens a
	// savings account on his own on the 5th; neither counts before the
	// launch. Conversion 1/3 against 1/1.
	portal := compliance.NewPortal(pool)
	portal.SetNow(func() time.Time { return needsAsOf.Add(time.Hour) })
	if err := portal.MarkViewed(ctx, 9001, mariaSeq); err != nil {
		t.Fatal(err)
	}
	if err := portal.MarkViewed(ctx, 9001, mariaSeq); err != nil { // twice: one view
		t.Fatal(err)
	}
	if _, _, err := portal.Respond(ctx, 9001, mariaSeq, "web", "interested", "k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO accounts (client_id, kind, name, currency, balance, interest_rate, opened_on)
		VALUES (9002, 'savings', 'Savings', 'RON', 100, 0.03, '2026-12-05'), (9004, 'savings', 'Old savings', 'RON', 100, 0.03, '2026-11-30')`); err != nil {
		t.Fatal(err)
	}
	rep, err := c.Report(ctx, id, admin)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Audience != 4 || rep.Treatment != 3 || rep.Control != 1 || rep.Pending != 0 || rep.Sent != 1 || rep.Blocked != 2 ||
		rep.Opened != 1 || rep.Accepted != 1 || rep.TreatmentConverted != 1 || rep.ControlConverted != 1 {
		t.Errorf("report: %+v", rep)
	}
	if len(rep.BlockedBy) != 2 || rep.BlockedBy[0] != (ReasonCount{"consent", 1}) || rep.BlockedBy[1] != (ReasonCount{"no_email", 1}) {
		t.Errorf("blocked by: %+v", rep.BlockedBy)
	}
	// 1/3 − 1/1: Wilson (0.0615, 0.7923) and (0.2065, 1); d = −0.6667,
	// L = −0.6667 − √(0.2718² + 0²) = −0.9385, U = −0.6667 + √(0.4590² +
	// 0.7935²) = 0.2500.
	d, l, u := rep.Uplift.Points()
	if d.String() != "-66.67" || l.String() != "-93.85" || u.String() != "25" {
		t.Errorf("uplift %s (%s, %s)", d, l, u)
	}
}
