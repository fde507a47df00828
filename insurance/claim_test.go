package insurance

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/internal/pgtest"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/servicedesk"
)

// claimsNow is the tests' clock: 6 December 2026, noon in Bucharest.
var claimsNow = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

const claimFixtures = `
INSERT INTO staff_users (id, email, display_name, roles) VALUES
  (1, 'maria@bank.test', 'Maria Ionescu', '{advisor}'),
  (2, 'radu@bank.test', 'Radu Stan', '{advisor}'),
  (3, 'elena@bank.test', 'Elena Admin', '{admin}'),
  (4, 'ioana@bank.test', 'Ioana Compliance', '{compliance}');
INSERT INTO clients (id, given_name, family_name, email, preferred_language, advisor_id) VALUES
  (1, 'Ana', 'Popescu', 'ana@example.com', 'ro', 1),
  (2, 'Ion', 'Popa', 'ion@example.com', 'en', 2);
INSERT INTO insurance_policies (id, client_id, policy_number, insurer, line, status, starts_on, ends_on, sum_insured, premium, currency, premium_frequency) VALUES
  (1, 1, 'ALZ-HOM-00000001', 'Allianz-Țiriac', 'home', 'active', '2026-03-01', '2027-03-01', 10000.00, 420.00, 'RON', 'annual'),
  (2, 2, 'ALZ-MOT-00000002', 'Allianz-Țiriac', 'motor', 'active', '2026-01-01', '2027-01-01', 50000.00, 900.00, 'RON', 'annual'),
  (3, 1, 'ALZ-TRV-00000003', 'Allianz-Țiriac', 'travel', 'quoted', '2026-12-20', '2027-01-20', 5000.00, 90.00, 'EUR', 'single');`

func newClaimsFixture(t *testing.T) (*pgxpool.Pool, *Claims) {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), claimFixtures); err != nil {
		t.Fatal(err)
	}
	zone, err := time.LoadLocation("Europe/Bucharest")
	if err != nil {
		t.Fatal(err)
	}
	deals := pipeline.NewStore(pool, pipeline.DefaultBusinessHours(zone))
	q, err := jobs.New(pool, nil, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mail := outbox.New(pool, nil)
	mail.SetQueue(q)
	c := NewClaims(pool, deals, mail, zone, "https://ecrm.test")
	c.SetClock(func() time.Time { return claimsNow })
	return pool, c
}

// pdf is a small file whose content is a PDF.
var pdf = []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")

// fieldMessages are the messages of err's fields in l's language.
func fieldMessages(t *testing.T, l *i18n.Localizer, err error) map[string]string {
	t.Helper()
	var e *ecrm.Error
	if !errors.As(TranslateClaimError(l, err), &e) || e.Code != ecrm.EINVALID {
		t.Fatalf("err = %v, want invalid input", err)
	}
	out := map[string]string{}
	for _, f := range e.Fields {
		out[f.Field] = f.Message
	}
	return out
}

func goodClaim() NewClaim {
	return NewClaim{PolicyID: 1, Description: "Water leak from the flat above", IncidentOn: "2026-12-01",
		Place: "Str. Lipscani 10, București", Amount: "1250.50"}
}

// TestReportValidation: a date in the future or outside the cover, a
// negative amount or one above the sum insured, missing text — each named
// at its field with the limit, in English and Romanian; nothing stored.
func TestReportValidation(t *testing.T) {
	pool, c := newClaimsFixture(t)
	ctx := context.Background()
	en, ro := i18n.NewLocalizer(i18n.English), i18n.NewLocalizer(i18n.Romanian)
	cases := []struct {
		name   string
		change func(*NewClaim)
		field  string
		en, ro string
	}{
		{"future", func(n *NewClaim) { n.IncidentOn = "2026-12-07" }, "incident_on",
			"The date of the event cannot be in the future.", "Data evenimentului nu poate fi în viitor."},
		{"before the cover", func(n *NewClaim) { n.IncidentOn = "2026-02-28" }, "incident_on",
			"The date must be within the policy's cover, from 1 Mar 2026 to 1 Mar 2027.", ""},
		{"negative", func(n *NewClaim) { n.Amount = "-10" }, "amount", "The amount must be more than zero.", "Suma trebuie să fie mai mare decât zero."},
		{"three decimals", func(n *NewClaim) { n.Amount = "10.505" }, "amount", "The amount may have at most 2 decimals in RON.", ""},
		{"above the sum insured", func(n *NewClaim) { n.Amount = "10000.01" }, "amount", "The amount cannot be more than the sum insured, RON\u00a010,000.00.", ""},
		{"no description", func(n *NewClaim) { n.Description = "  " }, "description", "Say what happened.", "Spuneți ce s-a întâmplat."},
		{"no place", func(n *NewClaim) { n.Place = "" }, "place", "Say where it happened.", ""},
		{"not a date", func(n *NewClaim) { n.IncidentOn = "1/12/2026" }, "incident_on", "Give a date as YYYY-MM-DD.", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := goodClaim()
			tc.change(&in)
			_, err := c.Report(ctx, 1, in)
			got := fieldMessages(t, en, err)
			if len(got) != 1 || got[tc.field] != tc.en {
				t.Errorf("en = %q, want %s: %q", got, tc.field, tc.en)
			}
			if tc.ro != "" {
				if got := fieldMessages(t, ro, err); got[tc.field] != tc.ro {
					t.Errorf("ro = %q, want %q", got[tc.field], tc.ro)
				}
			}
		})
	}
	// Another client's policy and a quote are not policies to claim on.
	for _, id := range []int64{2, 3, 99} {
		in := goodClaim()
		in.PolicyID = id
		if _, err := c.Report(ctx, 1, in); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
			t.Errorf("policy %d: %v, want not found", id, err)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM claims) + (SELECT count(*) FROM deals) + (SELECT count(*) FROM outbox_messages)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows written, %v", n, err)
	}
}

// TestReportAttachmentLimits: a file over 5 MiB, one whose content is not
// PDF, JPEG or PNG whatever its name, and a sixth file are refused with the
// limit stated; nothing is stored.
func TestReportAttachmentLimits(t *testing.T) {
	pool, c := newClaimsFixture(t)
	ctx := context.Background()
	en, ro := i18n.NewLocalizer(i18n.English), i18n.NewLocalizer(i18n.Romanian)

	in := goodClaim()
	in.Files = []servicedesk.Upload{{Name: "photo.jpg", Data: bytes.Repeat([]byte{0xff}, 5<<20+1)}}
	_, err := c.Report(ctx, 1, in)
	if got := fieldMessages(t, en, err)["attachments"]; got != "photo.jpg is larger than 5 MB, the limit for one file." {
		t.Errorf("oversized: %q", got)
	}
	if got := fieldMessages(t, ro, err)["attachments"]; got != "photo.jpg depășește 5 MB, limita pentru un fișier." {
		t.Errorf("oversized, ro: %q", got)
	}
	in.Files = []servicedesk.Upload{{Name: "invoice.pdf", Data: []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")}}
	_, err = c.Report(ctx, 1, in)
	if got := fieldMessages(t, en, err)["attachments"]; got != "invoice.pdf is not of a type we accept; send PDF, JPEG, PNG (the content is checked, not the name)." {
		t.Errorf("wrong type: %q", got)
	}
	in.Files = make([]servicedesk.Upload, 6)
	for i := range in.Files {
		in.Files[i] = servicedesk.Upload{Name: "scan.pdf", Data: pdf}
	}
	_, err = c.Report(ctx, 1, in)
	if got := fieldMessages(t, en, err)["attachments"]; got != "A claim holds at most 5 files; it has 0 already." {
		t.Errorf("six files: %q", got)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM claims) + (SELECT count(*) FROM claim_attachments)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows written, %v", n, err)
	}
}

// TestReportOpensDealAndIsIdempotent: a report gets its reference, its
// first status in the history, its file, a deal in the claims pipeline
// owned by the client's advisor with the acknowledgement task due in two
// business hours, and one e-mail in the client's language; the same key
// again returns the same claim and writes nothing more.
func TestReportOpensDealAndIsIdempotent(t *testing.T) {
	pool, c := newClaimsFixture(t)
	ctx := context.Background()
	in := goodClaim()
	in.Files = []servicedesk.Upload{{Name: "leak.pdf", Data: pdf}}
	in.IdempotencyKey = "k-1"
	ref, err := c.Report(ctx, 1, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Report(ctx, 1, in)
	if err != nil || again != ref {
		t.Fatalf("again = %q, %v; want %q", again, err, ref)
	}
	if !strings.HasPrefix(ref, "CLM-2026-") || len(ref) != len("CLM-2026-00000001") {
		t.Errorf("reference %q", ref)
	}
	d, err := c.ClientClaim(ctx, 1, ref)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != ClaimReceived || !d.Claimed.Equal(decimal.RequireFromString("1250.50")) || d.Currency != "RON" ||
		len(d.History) != 1 || d.History[0].To != ClaimReceived || len(d.Files) != 1 || d.Files[0].ContentType != "application/pdf" {
		t.Errorf("claim = %+v", d)
	}
	var stage, owner, title string
	var amount decimal.Decimal
	var due time.Time
	if err := pool.QueryRow(ctx, `SELECT st.code, s.display_name, d.title, d.amount, t.due_at FROM claims k JOIN deals d ON d.id = k.deal_id
		JOIN pipeline_stages st ON st.id = d.stage_id JOIN staff_users s ON s.id = d.owner_staff_id JOIN tasks t ON t.deal_id = d.id
		WHERE k.reference = $1`, ref).Scan(&stage, &owner, &title, &amount, &due); err != nil {
		t.Fatal(err)
	}
	// Sunday noon: the two business hours run from Monday 09:00 Bucharest.
	wantDue := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	if stage != "reported" || owner != "Maria Ionescu" || title != ref+" · home" || !amount.Equal(decimal.RequireFromString("1250.50")) || !due.Equal(wantDue) {
		t.Errorf("deal: %s %s %q %s due %s", stage, owner, title, amount, due)
	}
	var mails int
	var subject string
	if err := pool.QueryRow(ctx, `SELECT count(*), min(subject) FROM outbox_messages WHERE client_id = 1`).Scan(&mails, &subject); err != nil ||
		mails != 1 || subject != "Dauna dumneavoastră "+ref+": Primită" {
		t.Errorf("%d e-mails %q, %v", mails, subject, err)
	}
}

// TestStatusMachine: every move the machine refuses is refused (paid
// before approved, approved before review, anything after paid), an
// approval above the claim needs the flag, a payment above the approval
// is refused; each change moves the deal's stage, keeps the history and
// queues exactly one e-mail; the same decision twice moves once.
func TestStatusMachine(t *testing.T) {
	pool, c := newClaimsFixture(t)
	ctx := context.Background()
	en := i18n.NewLocalizer(i18n.English)
	ref, err := c.Report(ctx, 1, goodClaim())
	if err != nil {
		t.Fatal(err)
	}
	maria := ClaimViewer{StaffID: 1}
	stage := func() string {
		t.Helper()
		var s string
		if err := pool.QueryRow(ctx, `SELECT st.code FROM claims k JOIN deals d ON d.id = k.deal_id JOIN pipeline_stages st ON st.id = d.stage_id WHERE k.reference = $1`, ref).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	mails := func() int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox_messages WHERE client_id = 1`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	refuse := func(d Decision, field, want string) {
		t.Helper()
		before := mails()
		err := c.Decide(ctx, maria, ref, d)
		if got := fieldMessages(t, en, err)[field]; got != want {
			t.Errorf("%+v: %s = %q, want %q", d, field, got, want)
		}
		if mails() != before {
			t.Errorf("%+v: an e-mail for a refused change", d)
		}
	}
	move := func(d Decision, wantStage string) {
		t.Helper()
		before := mails()
		if err := c.Decide(ctx, maria, ref, d); err != nil {
			t.Fatalf("%+v: %v", d, err)
		}
		if s := stage(); s != wantStage {
			t.Errorf("%+v: stage %s, want %s", d, s, wantStage)
		}
		if got := mails(); got != before+1 {
			t.Errorf("%+v: %d e-mails, want %d", d, got, before+1)
		}
	}
	refuse(Decision{To: ClaimPaid, Amount: "100"}, "to", "A claim that is Received cannot become Paid.")
	refuse(Decision{To: ClaimApproved, Amount: "100"}, "to", "A claim that is Received cannot become Approved.")
	refuse(Decision{To: "closed"}, "to", "Choose one of the statuses offered.")
	refuse(Decision{To: ClaimMoreInfo}, "message", "Write the message to the client: the question to ask, or the reason for the rejection.")
	move(Decision{To: ClaimInReview, IdempotencyKey: "d-1"}, "assessment")
	// The same form again: no second move, no second e-mail.
	before := mails()
	if err := c.Decide(ctx, maria, ref, Decision{To: ClaimInReview, IdempotencyKey: "d-1"}); err != nil || mails() != before {
		t.Errorf("repeated decision: %v, %d e-mails", err, mails()-before)
	}
	move(Decision{To: ClaimMoreInfo, Message: "Please send the plumber's invoice."}, "information")
	// The client answers with the invoice: back in review, told by e-mail.
	before = mails()
	if err := c.ClientWrite(ctx, 1, ref, Write{Body: "Here it is.", Files: []servicedesk.Upload{{Name: "factura.pdf", Data: pdf}}}); err != nil {
		t.Fatal(err)
	}
	if d, _ := c.ClientClaim(ctx, 1, ref); d.Status != ClaimInReview || stage() != "assessment" || mails() != before+1 {
		t.Errorf("after the answer: %s, stage %s, %d e-mails", d.Status, stage(), mails()-before)
	}
	// Maria, who handles it, is told the client wrote (and only her).
	var toStaff int
	var subject string
	if err := pool.QueryRow(ctx, `SELECT count(*), min(subject) FROM outbox_messages WHERE staff_id IS NOT NULL`).Scan(&toStaff, &subject); err != nil ||
		toStaff != 1 || subject != "Claim "+ref+": Ana Popescu has written" {
		t.Errorf("%d e-mails to staff, %q, %v", toStaff, subject, err)
	}
	refuse(Decision{To: ClaimApproved, Amount: "1300"}, "amount",
		"The amount is more than the client claimed (RON\u00a01,250.50); tick the box to approve more knowingly.")
	refuse(Decision{To: ClaimApproved, Amount: "10000.01", AboveClaimed: true}, "amount", "The amount cannot be more than the sum insured, RON\u00a010,000.00.")
	refuse(Decision{To: ClaimApproved, Amount: "0"}, "amount", "The amount must be more than zero.")
	move(Decision{To: ClaimApproved, Amount: "1100.25"}, "decision")
	refuse(Decision{To: ClaimRejected, Message: "No."}, "to", "A claim that is Approved cannot become Rejected.")
	refuse(Decision{To: ClaimPaid, Amount: "1100.26"}, "amount", "The amount paid cannot be more than the amount approved, RON\u00a01,100.25.")
	move(Decision{To: ClaimPaid, Amount: "1100.25"}, "paid")
	refuse(Decision{To: ClaimInReview}, "to", "A claim that is Paid cannot become In review.")

	d, err := c.ClientClaim(ctx, 1, ref)
	if err != nil {
		t.Fatal(err)
	}
	var path []string
	for _, h := range d.History {
		path = append(path, h.To)
	}
	if got := strings.Join(path, " "); got != "received in_review more_info_needed in_review approved paid" {
		t.Errorf("history %s", got)
	}
	if !d.Approved.Equal(decimal.RequireFromString("1100.25")) || !d.Paid.Equal(decimal.RequireFromString("1100.25")) {
		t.Errorf("approved %s paid %s", d.Approved, d.Paid)
	}
	// One e-mail per change (six statuses) and none for the rest.
	if got := mails(); got != 6 {
		t.Errorf("%d e-mails, want 6", got)
	}
	// The deal follows the claim: moved by hand on the board, refused.
	var dealID int64
	if err := pool.QueryRow(ctx, `SELECT deal_id FROM claims WHERE reference = $1`, ref).Scan(&dealID); err != nil {
		t.Fatal(err)
	}
	err = c.deals.MoveDeal(ctx, dealID, "assessment", "", pipeline.Viewer{StaffID: 1})
	if e := (*ecrm.Error)(nil); !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Message != "pipeline.error.claim_deal" {
		t.Errorf("moving the claim's deal by hand: %v", err)
	}
	var open, deal string
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM tasks t WHERE t.deal_id = d.id AND t.status = 'open')::text, d.status
		FROM claims k JOIN deals d ON d.id = k.deal_id WHERE k.reference = $1`, ref).Scan(&open, &deal); err != nil || open != "0" || deal != "won" {
		t.Errorf("deal %s with %s open tasks, %v", deal, open, err)
	}
}

// TestRejectAndStaffScope: an advisor who does not serve the client cannot
// see or move the claim; an administrator can; a rejection needs its
// reason, closes the deal as lost, and the client sees the reason.
func TestRejectAndStaffScope(t *testing.T) {
	pool, c := newClaimsFixture(t)
	ctx := context.Background()
	ref, err := c.Report(ctx, 1, goodClaim())
	if err != nil {
		t.Fatal(err)
	}
	radu, elena := ClaimViewer{StaffID: 2}, ClaimViewer{StaffID: 3, Admin: true}
	if _, err := c.StaffClaim(ctx, radu, ref); !errors.Is(err, ErrClaimNotFound) {
		t.Errorf("Radu reads Ana's claim: %v", err)
	}
	if err := c.Decide(ctx, radu, ref, Decision{To: ClaimInReview}); !errors.Is(err, ErrClaimNotFound) {
		t.Errorf("Radu moves Ana's claim: %v", err)
	}
	if err := c.StaffWrite(ctx, radu, ref, Write{Body: "Hello"}); !errors.Is(err, ErrClaimNotFound) {
		t.Errorf("Radu writes on Ana's claim: %v", err)
	}
	if q, err := c.Queue(ctx, radu, ""); err != nil || len(q) != 0 {
		t.Errorf("Radu's queue: %d, %v", len(q), err)
	}
	if q, err := c.Queue(ctx, ClaimViewer{StaffID: 1}, ""); err != nil || len(q) != 1 || q[0].DueAt == nil {
		t.Errorf("Maria's queue: %+v, %v", q, err)
	}
	if err := c.Decide(ctx, elena, ref, Decision{To: ClaimRejected, Message: "The leak was known before the policy started."}); err != nil {
		t.Fatal(err)
	}
	d, err := c.ClientClaim(ctx, 1, ref)
	if err != nil || d.Status != ClaimRejected || d.RejectionReason != "The leak was known before the policy started." {
		t.Fatalf("%+v, %v", d, err)
	}
	var status, reason string
	if err := pool.QueryRow(ctx, `SELECT d.status, d.lost_reason FROM claims k JOIN deals d ON d.id = k.deal_id WHERE k.reference = $1`, ref).Scan(&status, &reason); err != nil ||
		status != "lost" || reason != d.RejectionReason {
		t.Errorf("deal %s %q, %v", status, reason, err)
	}
	// Files cannot be added to a settled claim; a message still can.
	err = c.ClientWrite(ctx, 1, ref, Write{Body: "I disagree.", Files: []servicedesk.Upload{{Name: "a.pdf", Data: pdf}}})
	if got := fieldMessages(t, i18n.NewLocalizer(i18n.English), err)["attachments"]; got != "Files can be added while the claim is open; write to us instead." {
		t.Errorf("files on a rejected claim: %q", got)
	}
	if err := c.ClientWrite(ctx, 1, ref, Write{Body: "I disagree."}); err != nil {
		t.Errorf("a message on a rejected claim: %v", err)
	}
	// Another client cannot read, write on or attach to it.
	if _, err := c.ClientClaim(ctx, 2, ref); !errors.Is(err, ErrClaimNotFound) {
		t.Errorf("Ion reads: %v", err)
	}
	if err := c.ClientWrite(ctx, 2, ref, Write{Body: "mine"}); !errors.Is(err, ErrClaimNotFound) {
		t.Errorf("Ion writes: %v", err)
	}
}

// TestClaimStatusesInCatalogue: every status, its explanation, its
// e-mail line, every action and every line of business is said in both
// languages (the keys are built in code).
func TestClaimStatusesInCatalogue(t *testing.T) {
	for _, lang := range i18n.Supported() {
		for _, s := range ClaimStatuses {
			for _, key := range []string{"insurance.claim.status." + s, "insurance.claim.explain." + s, "insurance.claim.mail.next." + s} {
				if !i18n.HasMessage(lang, key) {
					t.Errorf("%s: no %s", lang, key)
				}
			}
			for _, next := range NextStatuses(s) {
				if !i18n.HasMessage(lang, "insurance.claim.action."+next) {
					t.Errorf("%s: no action %s", lang, next)
				}
			}
		}
		for line := range map[string]bool{"life": true, "health": true, "home": true, "motor": true, "travel": true, "liability": true, "accident": true} {
			if !i18n.HasMessage(lang, "insurance.claim.line."+line) {
				t.Errorf("%s: no line %s", lang, line)
			}
		}
	}
}
