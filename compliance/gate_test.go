package compliance

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgtest"
	"github.com/ecrm-project/ecrm/products"
)

var gateNow = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// gateEnv is a database with the demo catalogue, a client who consented
// to marketing in the portal and has a current suitability assessment, and
// a gate whose clock is gateNow.
type gateEnv struct {
	t        testing.TB
	pool     *pgxpool.Pool
	store    *products.Store
	gate     *Gate
	clientID int64
	staffID  int64
	// clock is the time of the gate and of the log it records to.
	clock time.Time
}

func newGateEnv(t testing.TB) *gateEnv {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.New(t)
	if err := products.LoadDemoCatalogue(ctx, pool); err != nil {
		t.Fatal(err)
	}
	e := &gateEnv{t: t, pool: pool, store: products.NewStore(pool), clock: gateNow}
	log := NewLog(pool)
	log.Now = func() time.Time { return e.clock }
	e.gate = NewGate(NewFactsReader(pool), log)
	e.gate.Now = log.Now
	e.clientID = e.newClient("Ana")
	e.exec(`INSERT INTO staff_users (email, display_name) VALUES ('maria@bank.example', 'Maria')`)
	e.staffID = e.scalar(`SELECT id FROM staff_users WHERE email = 'maria@bank.example'`)
	e.consent(e.clientID, "marketing", "web", true, gateNow.AddDate(-1, 0, 0))
	e.assess(e.clientID, 5, "6000.00", "growth", 120, `{"fund": "basic", "etf": "basic", "structured": "basic"}`, gateNow.AddDate(0, -6, 0))
	return e
}

func (e *gateEnv) exec(q string, args ...any) {
	e.t.Helper()
	if _, err := e.pool.Exec(context.Background(), q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

func (e *gateEnv) scalar(q string, args ...any) int64 {
	e.t.Helper()
	var v int64
	if err := e.pool.QueryRow(context.Background(), q, args...).Scan(&v); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return v
}

func (e *gateEnv) newClient(name string) int64 {
	return e.scalar(`INSERT INTO clients (given_name, family_name, birth_date) VALUES ($1, 'Popescu', '1985-03-01') RETURNING id`, name)
}

func (e *gateEnv) consent(client int64, purpose, channel string, granted bool, at time.Time) {
	e.exec(`INSERT INTO consents (client_id, purpose, channel, granted, wording_version, source, recorded_at) VALUES ($1, $2, $3, $4, '2024-03', 'portal', $5)`,
		client, purpose, channel, granted, at)
}

func (e *gateEnv) assess(client int64, riskClass int, lossCapacity, objective string, horizon int, knowledge string, at time.Time) {
	e.exec(`INSERT INTO risk_assessments (client_id, risk_class, loss_capacity, loss_capacity_currency, knowledge, objective, horizon_months, questionnaire_version, source, assessed_at)
		VALUES ($1, $2, $3, 'EUR', $4, $5, $6, 'mifid-2026.1', 'questionnaire', $7)`, client, riskClass, lossCapacity, knowledge, objective, horizon, at)
}

func (e *gateEnv) product(code string) products.Product {
	e.t.Helper()
	p, err := e.store.ProductByCode(context.Background(), code)
	if err != nil {
		e.t.Fatalf("product %s: %v", code, err)
	}
	return p
}

// presentation is a client-initiated portal request to invest 5,000 EUR
// for 60 months, offering the products named.
func (e *gateEnv) presentation(client int64, codes ...string) Presentation {
	p := Presentation{
		ClientID: client, Channel: "web", Actor: Actor{Kind: ActorSystem}, Purpose: PurposeMarketing, ClientInitiated: true,
		Engine: "products.matching", EngineVersion: "test",
		Profile:   products.Profile{ClientID: client, Age: 41, ResidenceCountry: "RO", ClientType: "retail", Segment: "mass", Knowledge: "basic"},
		Request:   products.MatchRequest{Goal: products.GoalInvest, Amount: ecrm.MustMoney("5000", "EUR"), Months: 60},
		Localizer: i18n.NewLocalizer(i18n.English),
	}
	for _, c := range codes {
		p.Offers = append(p.Offers, Candidate{Product: e.product(c), Reasons: []i18n.Message{i18n.Plain("test reason")}})
	}
	return p
}

func (e *gateEnv) present(p Presentation) []Verdict {
	e.t.Helper()
	v, err := e.gate.Present(context.Background(), p)
	if err != nil {
		e.t.Fatalf("present: %v", err)
	}
	return v
}

// check returns the named check of a verdict.
func check(t *testing.T, v Verdict, name string) Check {
	t.Helper()
	for _, c := range v.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s check in %+v", name, v.Checks)
	return Check{}
}

// expect asserts the verdict is shown or blocked by exactly the named
// checks, and that the named check's detail is as given.
func expect(t *testing.T, v Verdict, shown bool, blockedBy string, name, detail string) {
	t.Helper()
	if v.Shown != shown {
		t.Errorf("shown = %v, want %v; checks %+v", v.Shown, shown, v.Checks)
	}
	if got := strings.Join(v.Blocked(), ","); got != blockedBy {
		t.Errorf("blocked by %q, want %q", got, blockedBy)
	}
	if name != "" {
		if c := check(t, v, name); c.Detail.Text != detail {
			t.Errorf("%s detail = %q, want %q", name, c.Detail.Text, detail)
		}
	}
	if len(v.Checks) != len(CheckNames) {
		t.Errorf("%d checks, want %d", len(v.Checks), len(CheckNames))
	}
}

func TestGateSuitability(t *testing.T) {
	e := newGateEnv(t)
	unassessed := e.newClient("Ion")
	e.consent(unassessed, "marketing", "any", true, gateNow.AddDate(0, -1, 0))

	v := e.present(e.presentation(e.clientID, "ETF-EUR-WORLD", "LOAN-EUR-PERS"))
	expect(t, v[0], true, "", CheckSuitability,
		"Risk class 4 within the client's risk profile of 5; a stressed loss of €1,000.00 within the €6,000.00 the client can bear; objective growth; horizon 120 months")
	expect(t, v[1], true, "", CheckSuitability, "Not an investment product: no suitability assessment needed")

	v = e.present(e.presentation(unassessed, "ETF-EUR-WORLD", "LOAN-EUR-PERS"))
	expect(t, v[0], false, "suitability,target_market", CheckSuitability, "No suitability assessment on file: investment products are offered only after one")
	expect(t, v[1], true, "", "", "")

	cases := []struct {
		name              string
		risk              int
		loss, objective   string
		horizon           int
		assessedAt        time.Time
		blockedBy, detail string
	}{
		{"risk class above profile", 3, "6000.00", "growth", 120, gateNow.AddDate(0, -1, 0), "suitability,target_market",
			"Risk class 4 is above the client's risk profile of 3"},
		{"stressed loss above capacity", 5, "999.99", "growth", 120, gateNow.AddDate(0, -1, 0), "suitability,target_market",
			"A stressed loss of €1,000.00 would exceed the loss the client can bear (€999.99)"},
		{"objective", 5, "6000.00", "income", 120, gateNow.AddDate(0, -1, 0), "suitability,target_market",
			"Not designed for the client's objective (regular income)"},
		{"horizon", 5, "6000.00", "growth", 36, gateNow.AddDate(0, -1, 0), "suitability",
			"Needs a horizon of at least 60 months; the client's is 36 months"},
		{"stale assessment", 5, "6000.00", "growth", 120, gateNow.AddDate(-3, 0, -1), "suitability,target_market",
			"The suitability assessment of 25 Nov 2023 is older than 36 months"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client := e.newClient("Case")
			e.consent(client, "marketing", "web", true, gateNow.AddDate(0, -1, 0))
			e.assess(client, c.risk, c.loss, c.objective, c.horizon, `{"etf": "basic"}`, c.assessedAt)
			v := e.present(e.presentation(client, "ETF-EUR-WORLD"))
			expect(t, v[0], false, c.blockedBy, CheckSuitability, c.detail)
		})
	}
	// The latest assessment is the one in force.
	e.assess(e.clientID, 2, "6000.00", "growth", 120, `{}`, gateNow.AddDate(0, -1, 0))
	v = e.present(e.presentation(e.clientID, "ETF-EUR-WORLD"))
	expect(t, v[0], false, "suitability,target_market", CheckSuitability, "Risk class 4 is above the client's risk profile of 2")
}

// broadTargetMarket opens a complex product's target market to clients
// with basic knowledge, so that the appropriateness check is the only one
// that can fail.
func broadTargetMarket(p Presentation) Presentation {
	for i := range p.Offers {
		d := &p.Offers[i].Product.Definition
		d.TargetMarket.MinKnowledge = "basic"
		d.NegativeTargetMarket.KnowledgeLevels = nil
	}
	return p
}

func TestGateAppropriateness(t *testing.T) {
	e := newGateEnv(t)
	// Asked for by the client: shown with a warning.
	v := e.present(broadTargetMarket(e.presentation(e.clientID, "SN-EUR-AUTOCALL")))
	expect(t, v[0], true, "", CheckAppropriateness,
		"Not enough knowledge and experience of structured products shown; shown with an appropriateness warning because the client asked for it")
	if c := check(t, v[0], CheckAppropriateness); !c.Warning {
		t.Error("appropriateness warning not marked")
	}
	if len(v[0].Warnings) != 1 || !strings.HasPrefix(v[0].Warnings[0].Text, "Warning: from what you told us") {
		t.Errorf("warnings %v", v[0].Warnings)
	}
	// Pushed by the firm: blocked.
	p := broadTargetMarket(e.presentation(e.clientID, "SN-EUR-AUTOCALL"))
	p.ClientInitiated = false
	v = e.present(p)
	expect(t, v[0], false, "appropriateness", CheckAppropriateness,
		"Complex product not offered: not enough knowledge and experience of structured products shown")
	// Informed knowledge passes.
	e.assess(e.clientID, 5, "6000.00", "growth", 120, `{"structured": "informed"}`, gateNow.AddDate(0, 0, -1))
	v = e.present(p)
	expect(t, v[0], true, "", CheckAppropriateness, "Knowledge and experience of structured products: informed")
	// A non-complex product needs no test.
	v = e.present(e.presentation(e.clientID, "LOAN-EUR-PERS"))
	expect(t, v[0], true, "", CheckAppropriateness, "Not a complex product: no appropriateness test needed")
}

func TestGateTargetMarket(t *testing.T) {
	e := newGateEnv(t)
	p := e.presentation(e.clientID, "ETF-EUR-WORLD")
	p.Request.Objective = "preservation"
	v := e.present(p)
	expect(t, v[0], false, "target_market", CheckTargetMarket,
		"Outside target market: not designed for preserving capital; Negative target market: not suitable when the objective is preserving capital")
	p.Request.Objective = "growth"
	v = e.present(p)
	expect(t, v[0], true, "", CheckTargetMarket, "Inside the product's target market; outside its negative target market")
}

func TestGateConsentAndObjection(t *testing.T) {
	e := newGateEnv(t)
	loan := func(client int64) Verdict { return e.present(e.presentation(client, "LOAN-EUR-PERS"))[0] }

	expect(t, loan(e.clientID), true, "", CheckConsent, "Consent to marketing on the portal given (wording 2024-03)")

	none := e.newClient("Ion")
	expect(t, loan(none), false, "consent", CheckConsent, "No consent to marketing on the portal")
	// Consent by e-mail is not consent in the portal; consent on any channel is.
	e.consent(none, "marketing", "email", true, gateNow.AddDate(0, -2, 0))
	expect(t, loan(none), false, "consent", "", "")
	e.consent(none, "marketing", "any", true, gateNow.AddDate(0, -1, 0))
	expect(t, loan(none), true, "", "", "")
	// The latest choice is in force: withdrawn in the portal.
	e.consent(none, "marketing", "web", false, gateNow.AddDate(0, 0, -1))
	expect(t, loan(none), false, "consent", "", "")
	// In the branch, consent to marketing on any channel in force counts.
	branch := e.presentation(none, "LOAN-EUR-PERS")
	branch.Channel, branch.Actor = "branch", Actor{Kind: ActorAdvisor, StaffID: e.staffID}
	expect(t, e.present(branch)[0], true, "", CheckConsent, "Consent to marketing on the branch given (wording 2024-03)")
	// A consent given after the decision time does not count (replay at T).
	later := e.newClient("Later")
	e.consent(later, "marketing", "web", true, gateNow.Add(time.Hour))
	expect(t, loan(later), false, "consent", "", "")

	// A mandatory regulatory notice needs no consent.
	p := e.presentation(none, "LOAN-EUR-PERS")
	p.Purpose = PurposeRegulatory
	expect(t, e.present(p)[0], true, "", CheckConsent, "Mandatory regulatory notice: consent does not apply")
	// Nor does a quote the client asked for (an insurance applicant's):
	// answering one's own request is not marketing.
	p.Purpose = PurposeRequested
	expect(t, e.present(p)[0], true, "", CheckConsent, "The client asked for this quote: answering their own request before a contract is not marketing, so marketing consent and objections do not apply")

	// Objections suppress marketing offers, inbound or outbound.
	expect(t, loan(e.clientID), true, "", CheckObjection, "No objection to direct marketing or profiling")
	e.exec(`INSERT INTO objections (client_id, kind, objected, source, recorded_at) VALUES ($1, 'direct_marketing', true, 'portal', $2)`, e.clientID, gateNow.AddDate(0, 0, -3))
	expect(t, loan(e.clientID), false, "objection", CheckObjection, "The client objected to direct marketing")
	e.exec(`INSERT INTO objections (client_id, kind, objected, source, recorded_at) VALUES ($1, 'direct_marketing', false, 'portal', $2)`, e.clientID, gateNow.AddDate(0, 0, -2))
	expect(t, loan(e.clientID), true, "", "", "")
	// Withdrawing consent to profiling is objecting to it.
	e.consent(e.clientID, "profiling", "any", true, gateNow.AddDate(0, 0, -10))
	expect(t, loan(e.clientID), true, "", "", "")
	e.consent(e.clientID, "profiling", "any", false, gateNow.AddDate(0, 0, -1))
	expect(t, loan(e.clientID), false, "objection", CheckObjection, "The client objected to profiling")
	requested := e.presentation(e.clientID, "LOAN-EUR-PERS")
	requested.Purpose = PurposeRequested
	expect(t, e.present(requested)[0], true, "", CheckObjection, "The client asked for this quote: answering their own request before a contract is not marketing, so marketing consent and objections do not apply")
}

func TestGateContactPolicy(t *testing.T) {
	e := newGateEnv(t)
	// Every showing is a presentation of its own here, to count them
	// (TestGateRecallsAPresentation covers the window).
	e.gate.PresentationWindow = 0
	e.exec(`UPDATE contact_policies SET max_offers_per_product = 2, period_days = 30, decline_cooldown_days = 60 WHERE channel = 'web'`)
	p := e.presentation(e.clientID, "LOAN-EUR-PERS")
	expect(t, e.present(p)[0], true, "", CheckContactPolicy, "0 of at most 2 offers of this product on the portal in 30 days")
	expect(t, e.present(p)[0], true, "", CheckContactPolicy, "1 of at most 2 offers of this product on the portal in 30 days")
	expect(t, e.present(p)[0], false, "contact_policy", CheckContactPolicy, "Already offered 2 times on the portal in the last 30 days (at most 2)")
	// A quote the client asked for is not held back by the contact policy.
	p.Purpose = PurposeRequested
	expect(t, e.present(p)[0], true, "", CheckContactPolicy, "The client asked for this quote: the contact policy for offers the firm makes does not apply")
	p.Purpose = PurposeMarketing
	// Blocked offers do not count; offers on another channel do not either.
	e.consent(e.clientID, "marketing", "email", true, gateNow.AddDate(0, -1, 0))
	pe := p
	pe.Channel = "email"
	expect(t, e.present(pe)[0], true, "", CheckContactPolicy, "0 of at most 2 offers of this product on e-mail in 30 days")
	// Offers older than the period do not count.
	e.clock = gateNow.AddDate(0, 0, 31)
	expect(t, e.present(p)[0], true, "", CheckContactPolicy, "0 of at most 2 offers of this product on the portal in 30 days")

	// A decline starts the cool-down.
	other := e.newClient("Ion")
	e.consent(other, "marketing", "web", true, gateNow.AddDate(-1, 0, 0))
	e.clock = gateNow.AddDate(0, 0, -50)
	shown := e.present(e.presentation(other, "LOAN-EUR-PERS"))[0]
	loan := e.product("LOAN-EUR-PERS")
	decline := Record{Kind: KindResponse, RefersTo: shown.Seq, ClientID: other, ProductID: loan.ID, ProductVersionID: loan.VersionID,
		Engine: "products.matching", EngineVersion: "test", RuleVersion: loan.RulesHash, Channel: "web",
		Actor: Actor{Kind: ActorClient}, Outcome: OutcomeDeclined}
	e.clock = gateNow.AddDate(0, 0, -45)
	if _, err := e.gate.log.Append(context.Background(), decline); err != nil {
		t.Fatal(err)
	}
	e.clock = gateNow
	expect(t, e.present(e.presentation(other, "LOAN-EUR-PERS"))[0], false, "contact_policy", CheckContactPolicy,
		"Declined on 12 Oct 2026: no new offer for 60 days")
	// A regulatory notice bypasses the contact policy.
	reg := e.presentation(other, "LOAN-EUR-PERS")
	reg.Purpose = PurposeRegulatory
	expect(t, e.present(reg)[0], true, "", CheckContactPolicy, "Mandatory regulatory notice: the contact policy does not apply")
	// After the cool-down the product may be offered again.
	e.clock = gateNow.AddDate(0, 0, 16)
	expect(t, e.present(e.presentation(other, "LOAN-EUR-PERS"))[0], true, "", "", "")
}

func TestGateVulnerability(t *testing.T) {
	e := newGateEnv(t)
	e.exec(`UPDATE clients SET vulnerable = true WHERE id = $1`, e.clientID)
	p := e.presentation(e.clientID, "EF-EUR-EUROPE", "ETF-EUR-WORLD")
	p.Request.Amount = ecrm.MustMoney("1000", "EUR")
	v := e.present(p)
	expect(t, v[0], false, "vulnerability", CheckVulnerability,
		"Client flagged as vulnerable: complex or high-risk products are never offered automatically")
	expect(t, v[1], true, "", CheckVulnerability, "Client flagged as vulnerable; the product is neither complex nor high-risk")
	// An advisor may, on their own judgement; the check says so.
	p.Actor = Actor{Kind: ActorAdvisor, StaffID: e.staffID}
	p.Channel = "branch"
	e.consent(e.clientID, "marketing", "any", true, gateNow.AddDate(0, -1, 0))
	v = e.present(p)
	expect(t, v[0], true, "", CheckVulnerability, "Client flagged as vulnerable: offered by an advisor, who must confirm it suits the client")
	if !check(t, v[0], CheckVulnerability).Warning {
		t.Error("advisor path not marked as a warning")
	}
}

func TestGateHousehold(t *testing.T) {
	e := newGateEnv(t)
	household := e.scalar(`INSERT INTO households (name) VALUES ('Popescu') RETURNING id`)
	spouse := e.newClient("Ion")
	e.exec(`UPDATE clients SET household_id = $1 WHERE id IN ($2, $3)`, household, e.clientID, spouse)
	e.consent(spouse, "marketing", "web", true, gateNow.AddDate(-1, 0, 0))
	push := func(client int64, code string) Verdict {
		p := e.presentation(client, code)
		p.ClientInitiated = false
		p.Request = products.MatchRequest{Goal: products.GoalDeposit, Amount: ecrm.MustMoney("10000", "EUR"), Months: 12}
		return e.present(p)[0]
	}
	expect(t, push(e.clientID, "TD-EUR-12M"), true, "", CheckHousehold, "Not offered to another member of the household in the last 30 days")
	expect(t, push(spouse, "TD-EUR-12M"), false, "household", CheckHousehold, "Already offered to another member of the household in the last 30 days")
	// Personal products are offered to each member.
	expect(t, push(e.clientID, "CA-EUR-STD"), true, "", "", "")
	expect(t, push(spouse, "CA-EUR-STD"), true, "", CheckHousehold, "Personal product: each member of a household may need one")
	// The client asking is not a push.
	p := e.presentation(spouse, "TD-EUR-12M")
	expect(t, e.present(p)[0], true, "", CheckHousehold, "Asked for by the client")
	// A client alone is not de-duplicated.
	alone := e.newClient("Alone")
	e.consent(alone, "marketing", "web", true, gateNow.AddDate(-1, 0, 0))
	expect(t, push(alone, "TD-EUR-12M"), true, "", CheckHousehold, "Not in a household with other clients")
}

func TestGateRecordsEveryDecisionAndFailsClosed(t *testing.T) {
	e := newGateEnv(t)
	unassessed := e.newClient("Ion")
	e.consent(unassessed, "marketing", "web", true, gateNow.AddDate(0, -1, 0))
	v := e.present(e.presentation(unassessed, "ETF-EUR-WORLD", "LOAN-EUR-PERS"))
	if v[0].Seq == 0 || v[1].Seq != v[0].Seq+1 {
		t.Fatalf("seqs %d, %d", v[0].Seq, v[1].Seq)
	}
	rows, err := e.pool.Query(context.Background(), `SELECT kind, outcome, product_version_id, engine, rule_version, channel, body::jsonb->'inputs'->>'gate_version',
		jsonb_array_length(body::jsonb->'checks') FROM decision_records WHERE seq IN ($1, $2) ORDER BY seq`, v[0].Seq, v[1].Seq)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var kind, outcome, engine, rules, channel, gateVersion string
		var version int64
		var checks int
		if err := rows.Scan(&kind, &outcome, &version, &engine, &rules, &channel, &gateVersion, &checks); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join([]string{kind, outcome, engine, channel, gateVersion}, " "))
		if checks != len(CheckNames) || len(rules) != 64 || version == 0 {
			t.Errorf("record: %d checks, rule version %q, product version %d", checks, rules, version)
		}
	}
	want := []string{"offer_blocked blocked products.matching web " + GateVersion, "offer_shown shown products.matching web " + GateVersion}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("records %q, want %q", got, want)
	}
	if res := mustVerify(t, e.pool, testKey(t)); !res.OK() {
		t.Fatalf("chain broken: %v", res.Problem)
	}

	// A record that cannot be written (here: a product version that does
	// not exist) means no verdict at all, so nothing is shown.
	p := e.presentation(e.clientID, "LOAN-EUR-PERS", "TD-EUR-12M")
	p.Offers[1].Product.VersionID = 999999
	before := e.scalar(`SELECT count(*) FROM decision_records`)
	if v, err := e.gate.Present(context.Background(), p); err == nil || v != nil {
		t.Fatalf("present = %v, %v; want an error and no verdicts", v, err)
	}
	if after := e.scalar(`SELECT count(*) FROM decision_records`); after != before {
		t.Errorf("%d records written by a failed presentation", after-before)
	}
	// An unknown channel is bad input naming the field.
	p = e.presentation(e.clientID, "LOAN-EUR-PERS")
	p.Channel = "pigeon"
	if _, err := e.gate.Present(context.Background(), p); ecrm.ErrorCode(err) != ecrm.EINVALID {
		t.Errorf("unknown channel: %v", err)
	}
}

// TestGateRecallsAPresentation: showing the same offers again within the
// window (a reload, a language switch) is the same presentation: the
// decisions already recorded, nothing appended, and the contact policy not
// used up; a changed request, a changed consent, a decline or the end of
// the window make a new presentation, decided afresh.
func TestGateRecallsAPresentation(t *testing.T) {
	e := newGateEnv(t)
	e.exec(`UPDATE contact_policies SET max_offers_per_product = 2, period_days = 30, decline_cooldown_days = 60 WHERE channel = 'web'`)
	records := func() int64 { return e.scalar(`SELECT count(*) FROM decision_records`) }
	p := e.presentation(e.clientID, "LOAN-EUR-PERS", "LOAN-EUR-PLUS")

	first := e.present(p)
	if !first[0].Shown || first[0].Recalled || records() != 2 {
		t.Fatalf("first showing: %+v, %d records", first, records())
	}
	var presentation string
	if err := e.pool.QueryRow(context.Background(), `SELECT body::jsonb #>> '{inputs,presentation,id}' FROM decision_records WHERE seq = $1`, first[0].Seq).Scan(&presentation); err != nil || len(presentation) != 32 {
		t.Fatalf("the record carries presentation %q (%v)", presentation, err)
	}
	// Twenty reloads, in both languages, a few minutes apart.
	for i := 0; i < 20; i++ {
		e.clock = gateNow.Add(time.Duration(i) * time.Minute)
		again := p
		if i%2 == 1 {
			again.Localizer = i18n.NewLocalizer(i18n.Romanian)
		}
		v := e.present(again)
		if !v[0].Shown || !v[0].Recalled || v[0].Seq != first[0].Seq || v[1].Seq != first[1].Seq {
			t.Fatalf("reload %d: %+v, want the first presentation's records %d, %d", i, v, first[0].Seq, first[1].Seq)
		}
	}
	if n := records(); n != 2 {
		t.Fatalf("20 reloads wrote %d records, want the first 2 only", n)
	}

	// Another request is another presentation; the contact policy counts
	// presentations: this is the loan's second.
	other := p
	other.Request.Amount = ecrm.MustMoney("7000", "EUR")
	v := e.present(other)
	if !v[0].Shown || v[0].Recalled || v[0].Seq <= first[1].Seq || records() != 4 {
		t.Fatalf("another request: %+v, %d records", v, records())
	}
	expect(t, v[0], true, "", CheckContactPolicy, "1 of at most 2 offers of this product on the portal in 30 days")

	// A consent withdrawn meanwhile: decided afresh, and blocked.
	e.consent(e.clientID, "marketing", "web", false, e.clock)
	e.clock = e.clock.Add(time.Minute)
	v = e.present(p)
	if v[0].Shown || v[0].Recalled || records() != 6 {
		t.Fatalf("after the consent was withdrawn: %+v, %d records", v, records())
	}
	e.consent(e.clientID, "marketing", "web", true, e.clock)
	e.clock = e.clock.Add(time.Minute)

	// Past the window: a new presentation, which the policy now blocks
	// (two showings of the loan in 30 days).
	e.clock = e.clock.Add(DefaultPresentationWindow)
	v = e.present(p)
	if v[0].Recalled {
		t.Fatalf("past the window the presentation was recalled: %+v", v)
	}
	expect(t, v[0], false, "contact_policy", CheckContactPolicy, "Already offered 2 times on the portal in the last 30 days (at most 2)")
}

// TestGateInterestIsNotFatigue: an offer the client said she is interested
// in is shown again whatever the count; a later decline still stops it.
func TestGateInterestIsNotFatigue(t *testing.T) {
	e := newGateEnv(t)
	e.gate.PresentationWindow = 0
	e.exec(`UPDATE contact_policies SET max_offers_per_product = 1, period_days = 30, decline_cooldown_days = 60 WHERE channel = 'web'`)
	p := e.presentation(e.clientID, "LOAN-EUR-PERS")
	first := e.present(p)[0]
	expect(t, e.present(p)[0], false, "contact_policy", CheckContactPolicy, "Already offered 1 times on the portal in the last 30 days (at most 1)")

	answer := func(outcome Outcome) {
		t.Helper()
		e.clock = e.clock.Add(time.Hour)
		log := NewLog(e.pool)
		log.Now = func() time.Time { return e.clock }
		if _, err := log.Append(context.Background(), Record{Kind: KindResponse, RefersTo: first.Seq, ClientID: e.clientID,
			ProductID: p.Offers[0].Product.ID, ProductVersionID: p.Offers[0].Product.VersionID, Engine: p.Engine, EngineVersion: p.EngineVersion,
			RuleVersion: p.Offers[0].Product.RulesHash, Channel: "web", Actor: Actor{Kind: ActorClient}, Outcome: outcome}); err != nil {
			t.Fatal(err)
		}
		e.clock = e.clock.Add(time.Hour)
	}
	answer(OutcomeInterested)
	expect(t, e.present(p)[0], true, "", CheckContactPolicy, "The client said they were interested on 26 Nov 2026; interest does not count towards the limit")
	expect(t, e.present(p)[0], true, "", CheckContactPolicy, "The client said they were interested on 26 Nov 2026; interest does not count towards the limit")
	answer(OutcomeDeclined)
	expect(t, e.present(p)[0], false, "contact_policy", CheckContactPolicy, "Declined on 26 Nov 2026: no new offer for 60 days")
}
