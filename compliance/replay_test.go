package compliance

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/products"
)

// loanPresentation offers two loans for 20,000 EUR over 36 months with the
// figures the matching engine computes for them.
func (e *gateEnv) loanPresentation(client int64) Presentation {
	e.t.Helper()
	p := e.presentation(client)
	p.Request = products.MatchRequest{Goal: products.GoalBorrow, Amount: ecrm.MustMoney("20000", "EUR"), Months: 36}
	p.Profile.AnnualIncomeEUR = 48000
	p.Profile.KYCStatus = "verified"
	p.Profile.CreditScore = 760
	for _, code := range []string{"LOAN-EUR-PERS", "LOAN-EUR-PLUS"} {
		prod := e.product(code)
		terms, reasons, err := products.MatchOne(prod, p.Profile, p.Request, i18n.NewLocalizer(i18n.English))
		if err != nil || terms == nil {
			e.t.Fatalf("%s: %v %v", code, reasons, err)
		}
		p.Offers = append(p.Offers, Candidate{Product: prod, Terms: terms, Reasons: []i18n.Message{i18n.Plain("lowest total cost")}})
	}
	return p
}

func TestReplayReproducesRecordedDecisions(t *testing.T) {
	e := newGateEnv(t)
	ctx := context.Background()
	rp := NewReplayer(e.pool)

	v := e.present(e.loanPresentation(e.clientID))
	blocked := e.present(e.presentation(e.newClient("Ion"), "ETF-EUR-WORLD"))
	for _, seq := range []int64{v[0].Seq, v[1].Seq, blocked[0].Seq} {
		r, err := rp.Record(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Reproduced() {
			t.Errorf("record %d does not reproduce: %+v", seq, r.Differences)
		}
		if len(r.Checks) != len(CheckNames) || r.GateVersion != GateVersion {
			t.Errorf("record %d: %d checks, gate %s", seq, len(r.Checks), r.GateVersion)
		}
	}
	r, _ := rp.Record(ctx, blocked[0].Seq)
	if r.RecordedOutcome != OutcomeBlocked || r.ReplayedOutcome != OutcomeBlocked || r.Product != "ETF-EUR-WORLD" {
		t.Errorf("blocked replay: %+v", r)
	}

	// Later changes to the client do not change the replay of a record:
	// it runs on the snapshot.
	e.consent(e.clientID, "marketing", "web", false, gateNow.Add(1))
	if r, err := rp.Record(ctx, v[0].Seq); err != nil || !r.Reproduced() {
		t.Errorf("after consent withdrawal: %+v, %v", r, err)
	}

	// A record whose checks do not follow from its snapshot does not
	// reproduce, and the replay says where.
	p := e.loanPresentation(e.clientID)
	facts, err := NewFactsReader(e.pool).Read(ctx, e.clientID, "web", []int64{p.Offers[0].Product.ID}, gateNow.AddDate(0, 0, -1))
	if err != nil {
		t.Fatal(err)
	}
	verdict := Evaluate(facts, p, p.Offers[0], gateNow)
	rec, err := decisionRecord(facts, p, p.Offers[0], verdict, gateNow)
	if err != nil {
		t.Fatal(err)
	}
	rec.Kind, rec.Outcome = KindOfferBlocked, OutcomeBlocked
	rec.Body.Checks[3] = Check{Name: CheckConsent, Passed: false, Detail: i18n.Plain("No consent to marketing on the portal")}
	appended, err := e.gate.log.Append(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	r, err = rp.Record(ctx, appended[0].Seq)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range r.Differences {
		got = append(got, d.What+": "+d.Recorded+" -> "+d.Replayed)
	}
	want := []string{
		"outcome: blocked -> shown",
		"check consent: failed: No consent to marketing on the portal -> passed: Consent to marketing on the portal given (wording 2024-03)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("differences:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Only offers are decisions.
	loan := e.product("LOAN-EUR-PERS")
	resp, err := e.gate.log.Append(ctx, Record{Kind: KindResponse, RefersTo: v[0].Seq, ClientID: e.clientID, ProductID: loan.ID, ProductVersionID: loan.VersionID,
		Engine: "products.matching", EngineVersion: "test", RuleVersion: loan.RulesHash, Channel: "web", Actor: Actor{Kind: ActorClient}, Outcome: OutcomeAccepted})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rp.Record(ctx, resp[0].Seq); ecrm.ErrorCode(err) != ecrm.EINVALID {
		t.Errorf("replaying a response: %v", err)
	}
	if _, err := rp.Record(ctx, 1<<40); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("replaying a missing record: %v", err)
	}
}

func TestReplayClientAtTime(t *testing.T) {
	e := newGateEnv(t)
	ctx := context.Background()
	rp := NewReplayer(e.pool)
	v := e.present(e.loanPresentation(e.clientID))
	// The client withdraws marketing consent in the portal a day later.
	e.consent(e.clientID, "marketing", "web", false, gateNow.AddDate(0, 0, 1))

	before, err := rp.ClientAt(ctx, e.clientID, gateNow.Add(3600e9))
	if err != nil {
		t.Fatal(err)
	}
	after, err := rp.ClientAt(ctx, e.clientID, gateNow.AddDate(0, 0, 2))
	if err != nil {
		t.Fatal(err)
	}
	summary := func(r *ClientReplay) string {
		var s []string
		for _, o := range r.Offers {
			s = append(s, o.Product+" "+string(o.RecordedOutcome)+"->"+string(o.OutcomeAtT)+" "+strings.Join(Verdict{Checks: o.Checks}.Blocked(), ","))
		}
		return strings.Join(s, "; ")
	}
	if got, want := summary(before), "LOAN-EUR-PERS shown->shown ; LOAN-EUR-PLUS shown->shown "; got != want {
		t.Errorf("before withdrawal: %q, want %q", got, want)
	}
	if got, want := summary(after), "LOAN-EUR-PERS shown->blocked consent; LOAN-EUR-PLUS shown->blocked consent"; got != want {
		t.Errorf("after withdrawal: %q, want %q", got, want)
	}
	if before.Offers[0].Seq != v[0].Seq || before.Request.Months != 36 || before.Engine != "products.matching" {
		t.Errorf("presentation: %+v", before)
	}
	if _, err := rp.ClientAt(ctx, e.clientID, gateNow.AddDate(0, 0, -1)); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("before any offer: %v", err)
	}
}

// TestRecordPageSummarisesSnapshot: the record page reads the gate's input
// snapshot back in words — the request, the client, consent and fatigue —
// and keeps every raw input one click away.
func TestRecordPageSummarisesSnapshot(t *testing.T) {
	e := newGateEnv(t)
	v := e.present(e.loanPresentation(e.clientID))
	if _, err := e.pool.Exec(context.Background(), `INSERT INTO staff_users (id, email, display_name, roles)
		VALUES (10, 'carmen@bank.test', 'Carmen Compliance', '{compliance}')`); err != nil {
		t.Fatal(err)
	}
	_, router := newConsoleRouter(t, e.pool)
	f := &consoleFixture{router: router}
	body := f.do(t, req{path: fmt.Sprintf("/console/compliance/records/%d", v[0].Seq), as: asCompliance}).Body.String()
	start := strings.Index(body, `id="record-snapshot"`)
	end := strings.Index(body, `id="record-inputs-raw"`)
	if start < 0 || end < start {
		t.Fatalf("no snapshot summary before the raw inputs:\n%s", body)
	}
	summary := body[start:end]
	for _, want := range []string{"borrow", "€20,000.00", "36 months", "Gate rules", "<code>" + GateVersion + "</code>"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	if !strings.Contains(body, `<details id="record-inputs-raw">`) {
		t.Errorf("raw inputs are not folded for a gate record")
	}
}
