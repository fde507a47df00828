package servicedesk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/internal/pgtest"
	"github.com/ecrm-project/ecrm/pipeline"
)

// fixture: advisor Maria (1) serves Ana (10); advisor Ion (2) serves
// Bogdan (11) and works the service centre's queue; compliance officer
// Andrei (3) works complaints; Carla (12) has no advisor. The clock is
// Wednesday 25 November 2026, 10:00 in Bucharest.
type fixture struct {
	pool *pgxpool.Pool
	desk *Desk
	now  time.Time
}

const fixtureSQL = `
INSERT INTO staff_users (id, email, display_name, roles, language) VALUES
  (1, 'maria@bank.test', 'Maria Advisor', '{advisor}', 'en'),
  (2, 'ion@bank.test', 'Ion Advisor', '{advisor}', 'ro'),
  (3, 'andrei@bank.test', 'Andrei Compliance', '{compliance}', 'en');
INSERT INTO service_team_members (team_code, staff_id) VALUES ('service', 2), ('complaints', 3);
INSERT INTO clients (id, given_name, family_name, advisor_id, email, preferred_language) VALUES
  (10, 'Ana', 'Popescu', 1, 'ana@example.test', 'ro'),
  (11, 'Bogdan', 'Radu', 2, 'bogdan@example.test', 'en'),
  (12, 'Carla', 'Ene', NULL, NULL, 'en');`

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), fixtureSQL); err != nil {
		t.Fatal(err)
	}
	zone, err := time.LoadLocation("Europe/Bucharest")
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(pool, nil, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mail := outbox.New(pool, nil)
	mail.SetQueue(q)
	cfg := DefaultConfig()
	cfg.BaseURL = "https://bank.test"
	f := &fixture{pool: pool, desk: New(pool, mail, pipeline.DefaultBusinessHours(zone), cfg), now: time.Date(2026, 11, 25, 10, 0, 0, 0, zone)}
	f.desk.SetClock(func() time.Time { return f.now })
	return f
}

var maria, ion, andrei = Viewer{StaffID: 1}, Viewer{StaffID: 2}, Viewer{StaffID: 3, Compliance: true}

type mail struct{ to, lang, subject, body string }

func (f *fixture) mails(t *testing.T) []mail {
	t.Helper()
	rows, err := f.pool.Query(context.Background(), `SELECT to_address, language, subject, body FROM outbox_messages ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []mail
	for rows.Next() {
		var m mail
		if err := rows.Scan(&m.to, &m.lang, &m.subject, &m.body); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func fieldsOf(err error) []string {
	var e *ecrm.Error
	if !errors.As(err, &e) {
		return nil
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field+"="+f.Message)
	}
	return out
}

var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// TestRequestIsRoutedAnsweredAndTold: a question goes to the client's
// advisor with a two-business-day deadline and tells her by e-mail; her
// answer makes it "answered", tells the client in Romanian with a link and
// no content, and is unread in the portal until opened; the client's reply
// reopens it. Another client and another advisor find nothing.
func TestRequestIsRoutedAnsweredAndTold(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id, err := f.desk.Open(ctx, 10, NewRequest{Kind: "question", Subject: " Card abroad ", Body: "Will my card work in Canada?",
		Files: []Upload{{Name: `C:\scans\ticket.pdf`, Data: pdf}}, IdempotencyKey: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.desk.Open(ctx, 10, NewRequest{Kind: "question", Subject: "Card abroad", Body: "Will my card work in Canada?", IdempotencyKey: "k1"})
	if err != nil || again != id {
		t.Fatalf("the same form sent twice = %d, %v; want request %d", again, err, id)
	}
	th, err := f.desk.ClientThread(ctx, 10, id)
	if err != nil {
		t.Fatal(err)
	}
	// 16 business hours (09:00-18:00) from Wednesday 10:00: 8 on
	// Wednesday, 8 more on Thursday.
	wantDue := time.Date(2026, 11, 26, 17, 0, 0, 0, f.now.Location())
	if th.Subject != "Card abroad" || th.Status != StatusOpen || th.AssigneeID != 1 || th.Team != "" || !th.DueAt.Equal(wantDue) ||
		th.Number() != fmt.Sprintf("SR-%06d", id) || len(th.Messages) != 1 || len(th.Messages[0].Attachments) != 1 {
		t.Fatalf("thread = %+v (due %s, want %s)", th.Request, th.DueAt, wantDue)
	}
	a := th.Messages[0].Attachments[0]
	if a.Name != "ticket.pdf" || a.ContentType != "application/pdf" || a.Size != int64(len(pdf)) || len(a.SHA256) != 64 {
		t.Errorf("attachment = %+v", a)
	}
	file, err := f.desk.ClientFile(ctx, 10, id, a.ID)
	if err != nil || !bytes.Equal(file.Data, pdf) {
		t.Errorf("the client's own file = %v", err)
	}
	if _, err := f.desk.ClientFile(ctx, 11, id, a.ID); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("another client's file: %v, want not found", err)
	}
	if _, err := f.desk.StaffFile(ctx, ion, id, a.ID); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("another advisor's client's file: %v, want not found", err)
	}
	if _, err := f.desk.ClientThread(ctx, 11, id); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("another client's thread: %v, want not found", err)
	}
	if err := f.desk.ClientReply(ctx, 11, id, "mine now", nil, ""); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("another client's reply: %v, want not found", err)
	}
	if _, err := f.desk.StaffThread(ctx, ion, id); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("another advisor: %v, want not found", err)
	}
	if err := f.desk.StaffReply(ctx, ion, id, Reply{Body: "not yours"}); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("another advisor's answer: %v, want not found", err)
	}
	if _, err := f.desk.StaffThread(ctx, andrei, id); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("compliance reading a question: %v, want not found (complaints only)", err)
	}
	queue, err := f.desk.Queue(ctx, maria, QueueOpen)
	if err != nil || len(queue) != 1 || queue[0].ID != id || queue[0].Unread != 1 {
		t.Fatalf("Maria's queue = %+v, %v", queue, err)
	}
	if open, overdue, err := f.desk.Waiting(ctx, maria); err != nil || open != 1 || overdue != 0 {
		t.Errorf("Maria waiting = %d, %d, %v", open, overdue, err)
	}
	mails := f.mails(t)
	if len(mails) != 1 || mails[0].to != "maria@bank.test" || mails[0].lang != "en" || mails[0].subject != "New request "+th.Number() ||
		!strings.Contains(mails[0].body, fmt.Sprintf("https://bank.test/console/requests/%d", id)) || strings.Contains(mails[0].body, "Canada") {
		t.Fatalf("mail to the advisor = %+v", mails)
	}

	f.now = f.now.Add(time.Hour)
	if _, err := f.desk.StaffThread(ctx, maria, id); err != nil {
		t.Fatal(err)
	}
	if err := f.desk.StaffReply(ctx, maria, id, Reply{Body: "Yes, it works there.", IdempotencyKey: "a1"}); err != nil {
		t.Fatal(err)
	}
	if err := f.desk.StaffReply(ctx, maria, id, Reply{Body: "Yes, it works there.", IdempotencyKey: "a1"}); err != nil {
		t.Fatalf("the same answer sent twice: %v", err)
	}
	if n, err := f.desk.UnreadForClient(ctx, 10); err != nil || n != 1 {
		t.Errorf("unread for Ana = %d, %v; want 1", n, err)
	}
	list, err := f.desk.ClientRequests(ctx, 10)
	if err != nil || len(list) != 1 || list[0].Status != StatusAnswered || list[0].Unread != 1 || list[0].FirstAnswer == nil || !list[0].FirstAnswer.Equal(f.now) {
		t.Fatalf("Ana's requests = %+v, %v", list, err)
	}
	mails = f.mails(t)
	if len(mails) != 2 {
		t.Fatalf("mails = %+v", mails)
	}
	if m := mails[1]; m.to != "ana@example.test" || m.lang != "ro" || m.subject != "Am răspuns la solicitarea dumneavoastră "+th.Number() ||
		!strings.Contains(m.body, fmt.Sprintf("https://bank.test/portal/messages/%d", id)) || strings.Contains(m.body, "works") {
		t.Errorf("mail to the client = %+v", m)
	}
	th, err = f.desk.ClientThread(ctx, 10, id)
	if err != nil || len(th.Messages) != 2 || th.Messages[1].Author != "staff" || th.Messages[1].StaffName != "Maria Advisor" {
		t.Fatalf("thread after the answer = %+v, %v", th, err)
	}
	if n, _ := f.desk.UnreadForClient(ctx, 10); n != 0 {
		t.Errorf("unread after opening = %d", n)
	}
	if err := f.desk.ClientClose(ctx, 10, id); err != nil {
		t.Fatal(err)
	}
	if err := f.desk.ClientReply(ctx, 10, id, "One more thing.", nil, ""); err != nil {
		t.Fatal(err)
	}
	th, _ = f.desk.ClientThread(ctx, 10, id)
	if th.Status != StatusOpen || th.ClosedAt != nil || len(th.Messages) != 3 {
		t.Errorf("a reply to a closed request: status %s, %d messages", th.Status, len(th.Messages))
	}
}

// TestComplaintsGoToTheirTeamWithTheRegulatoryDeadline: a complaint is not
// routed to the advisor, carries 15 business days, is seen by compliance
// and worked by the complaints team; a client without an advisor goes to
// the service centre's queue, and the one who answers takes it.
func TestComplaintsGoToTheirTeamWithTheRegulatoryDeadline(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id, err := f.desk.Open(ctx, 10, NewRequest{Kind: "complaint", Subject: "Fee charged twice", Body: "The card fee was taken twice in October."})
	if err != nil {
		t.Fatal(err)
	}
	th, err := f.desk.StaffThread(ctx, andrei, id)
	if err != nil {
		t.Fatal(err)
	}
	// 15 business days from Wednesday 25 November 10:00, skipping St
	// Andrew's day (30 November) and the national day (1 December):
	// Friday 18 December, 10:00.
	if want := time.Date(2026, 12, 18, 10, 0, 0, 0, f.now.Location()); th.AssigneeID != 0 || th.Team != TeamComplaints || !th.DueAt.Equal(want) {
		t.Fatalf("complaint routed to %d/%s due %s, want the complaints team due %s", th.AssigneeID, th.Team, th.DueAt, want)
	}
	if _, err := f.desk.StaffThread(ctx, maria, id); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("the advisor reading a complaint about her client: %v, want not found", err)
	}
	f.now = time.Date(2026, 12, 18, 12, 0, 0, 0, f.now.Location())
	list, sum, err := f.desk.Complaints(ctx, andrei)
	if err != nil || len(list) != 1 || sum != (ComplaintSummary{Open: 1, Overdue: 1}) || !list[0].Overdue(f.now) {
		t.Fatalf("complaints = %+v %+v, %v", list, sum, err)
	}
	if _, _, err := f.desk.Complaints(ctx, maria); ecrm.ErrorCode(err) != ecrm.EFORBIDDEN {
		t.Errorf("an advisor's complaints view: %v, want forbidden", err)
	}
	if err := f.desk.StaffReply(ctx, andrei, id, Reply{Body: "We refunded the second fee.", Close: true}); err != nil {
		t.Fatal(err)
	}
	list, sum, _ = f.desk.Complaints(ctx, andrei)
	if sum != (ComplaintSummary{AnsweredLate: 1}) || list[0].Status != StatusClosed || list[0].AssigneeID != 3 || !list[0].AnsweredLate() {
		t.Errorf("after a late answer: %+v %+v", list[0], sum)
	}

	carla, err := f.desk.Open(ctx, 12, NewRequest{Kind: "change_request", Subject: "New address", Body: "I moved."})
	if err != nil {
		t.Fatal(err)
	}
	queue, err := f.desk.Queue(ctx, ion, QueueOpen)
	if err != nil || len(queue) != 1 || queue[0].ID != carla || queue[0].Team != TeamService {
		t.Fatalf("Ion's queue = %+v, %v", queue, err)
	}
	if err := f.desk.Take(ctx, ion, carla); err != nil {
		t.Fatal(err)
	}
	if err := f.desk.SendToTeam(ctx, ion, carla, "nobody"); !slices.Equal(fieldsOf(err), []string{"team=servicedesk.error.team"}) {
		t.Errorf("an unknown team: %v", err)
	}
	queue, _ = f.desk.Queue(ctx, ion, QueueOpen)
	if len(queue) != 1 || queue[0].AssigneeID != 2 {
		t.Errorf("after taking: %+v", queue)
	}
	if _, err := f.desk.Queue(ctx, ion, "everything"); !slices.Equal(fieldsOf(err), []string{"status=servicedesk.error.filter"}) {
		t.Errorf("a bad filter: %v", err)
	}
}

// TestBadInputNamesEveryField: nothing is written for a request with no
// kind, an empty subject, a body over the limit and files too large, of a
// refused type, or too many; the messages state the name and the limit.
func TestBadInputNamesEveryField(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	big := append(append([]byte{}, pdf...), bytes.Repeat([]byte("x"), 5<<20)...)
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00"), bytes.Repeat([]byte{0}, 100)...)
	_, err := f.desk.Open(ctx, 10, NewRequest{Kind: "praise", Subject: " ", Body: strings.Repeat("a", MaxBody+1),
		Files: []Upload{{Name: "scan.pdf", Data: big}, {Name: "invoice.pdf", Data: exe}, {Name: "empty.txt"}}})
	want := []string{"kind=servicedesk.error.kind", "subject=servicedesk.error.subject", "body=servicedesk.error.body_long",
		"attachments=servicedesk.error.attachment_size", "attachments=servicedesk.error.attachment_type", "attachments=servicedesk.error.attachment_empty"}
	if got := fieldsOf(err); !slices.Equal(got, want) {
		t.Fatalf("problems = %v, want %v", got, want)
	}
	l := i18n.NewLocalizer(i18n.Romanian)
	var e *ecrm.Error
	errors.As(f.desk.TranslateError(l, err), &e)
	var msgs []string
	for _, fe := range e.Fields {
		msgs = append(msgs, fe.Message)
	}
	wantMsgs := []string{"Alegeți despre ce este mesajul.", "Scrieți un subiect.", "Un mesaj poate avea cel mult 5.000 de caractere.",
		"scan.pdf depășește 5 MB, limita pentru un fișier.", "invoice.pdf nu este de un tip acceptat; trimiteți PDF, PNG, JPEG, TXT.", "empty.txt este gol."}
	if !slices.Equal(msgs, wantMsgs) {
		t.Errorf("Romanian messages = %q", msgs)
	}
	four := []Upload{{Name: "a.txt", Data: []byte("a")}, {Name: "b.txt", Data: []byte("b")}, {Name: "c.txt", Data: []byte("c")}, {Name: "d.txt", Data: []byte("d")}}
	_, err = f.desk.Open(ctx, 10, NewRequest{Kind: "question", Subject: "s", Body: "b", Files: four})
	errors.As(f.desk.TranslateError(i18n.NewLocalizer(i18n.English), err), &e)
	if len(e.Fields) != 1 || e.Fields[0].Message != "Attach at most 3 files to one message." {
		t.Errorf("four files: %+v", e.Fields)
	}
	var n int
	if err := f.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM service_requests) + (SELECT count(*) FROM service_messages) + (SELECT count(*) FROM outbox_messages)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("rows written for refused input: %d, %v", n, err)
	}
}

// TestSweepTellsOfLateRequestsOnce: past its deadline, an unanswered
// request is told to its assignee or its queue's members, one e-mail per
// person in her language, once; answered requests are not; the client
// writing again after an answer starts a new deadline.
func TestSweepTellsOfLateRequestsOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	question, err := f.desk.Open(ctx, 10, NewRequest{Kind: "question", Subject: "Card", Body: "Card?"})
	if err != nil {
		t.Fatal(err)
	}
	carla, err := f.desk.Open(ctx, 12, NewRequest{Kind: "change_request", Subject: "Address", Body: "New address."})
	if err != nil {
		t.Fatal(err)
	}
	answered, err := f.desk.Open(ctx, 11, NewRequest{Kind: "question", Subject: "Fees", Body: "Fees?"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.Open(ctx, 11, NewRequest{Kind: "complaint", Subject: "Queue", Body: "Long queue."}); err != nil {
		t.Fatal(err)
	}
	if err := f.desk.StaffReply(ctx, ion, answered, Reply{Body: "None."}); err != nil {
		t.Fatal(err)
	}
	before := len(f.mails(t))
	// Friday 27 November, 09:00: the questions were due Thursday 17:00;
	// the complaint has until December.
	f.now = time.Date(2026, 11, 27, 9, 0, 0, 0, f.now.Location())
	told, err := f.desk.Sweep(ctx)
	if err != nil || told != 2 {
		t.Fatalf("sweep told %d, %v; want 2", told, err)
	}
	mails := f.mails(t)[before:]
	if len(mails) != 2 {
		t.Fatalf("mails = %+v", mails)
	}
	if m := mails[0]; m.to != "maria@bank.test" || m.subject != "1 request past its deadline" ||
		!strings.Contains(m.body, "- "+Number(question)+" (Question), due 26 Nov 2026, 17:00: https://bank.test/console/requests/"+strconv.FormatInt(question, 10)) {
		t.Errorf("to Maria: %+v", m)
	}
	if m := mails[1]; m.to != "ion@bank.test" || m.lang != "ro" || m.subject != "1 solicitare cu termenul depășit" || !strings.Contains(m.body, Number(carla)+" (Cerere de modificare)") {
		t.Errorf("to Ion (the service centre's queue): %+v", m)
	}
	if told, err := f.desk.Sweep(ctx); err != nil || told != 0 {
		t.Errorf("a second sweep told %d, %v", told, err)
	}
	// Bogdan writes again after Ion's answer: a new deadline of 16
	// business hours, 9 on Friday and 7 on Wednesday (30 November and 1
	// December are holidays).
	if err := f.desk.ClientReply(ctx, 11, answered, "And for cards?", nil, ""); err != nil {
		t.Fatal(err)
	}
	th, _ := f.desk.StaffThread(ctx, ion, answered)
	if want := time.Date(2026, 12, 2, 16, 0, 0, 0, f.now.Location()); th.Status != StatusOpen || !th.DueAt.Equal(want) {
		t.Errorf("reopened: %s due %s, want open due %s", th.Status, th.DueAt, want)
	}
}
