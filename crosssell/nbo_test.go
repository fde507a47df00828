package crosssell

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/products"
)

// nboFixture is the needs fixture with the demo catalogue on sale, an
// advisor for Maria and a service team for the others, and consent to
// offers on the web from everyone.
func nboFixture(t *testing.T) (*pgxpool.Pool, *Arbiter) {
	t.Helper()
	pool := needsFixture(t)
	ctx := context.Background()
	// The demo catalogue in place of the needs fixture's two mortgages.
	if _, err := pool.Exec(ctx, `UPDATE products SET active = false WHERE id IN (71, 72)`); err != nil {
		t.Fatal(err)
	}
	demo, err := products.DemoCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := products.NewStore(pool).Import(ctx, demo, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		UPDATE clients SET country = 'RO', kyc_status = 'verified', kyc_verified_at = '2026-01-01' WHERE id IN (9001, 9002, 9003);
		INSERT INTO staff_users (id, email, display_name, roles) VALUES (1, 'maria@bank.test', 'Maria Advisor', '{advisor}'),
			(2, 'desk@bank.test', 'Desk', '{advisor}');
		UPDATE clients SET advisor_id = 1 WHERE id = 9001;
		INSERT INTO service_team_members (team_code, staff_id) VALUES ('service', 2);
		INSERT INTO consents (client_id, purpose, channel, granted, wording_version, source, recorded_at)
		SELECT id, 'marketing', 'web', true, '2026-01', 'portal', '2026-01-01 10:00Z' FROM clients WHERE id IN (9001, 9002, 9003);`); err != nil {
		t.Fatal(err)
	}
	log := compliance.NewLog(pool)
	log.Now = func() time.Time { return needsAsOf }
	gate := compliance.NewGate(compliance.NewFactsReader(pool), log)
	gate.Now = func() time.Time { return needsAsOf }
	a := NewArbiter(pool, products.NewEngine(products.NewStore(pool)), gate, NewStore(pool))
	a.Now = func() time.Time { return needsAsOf }
	portal := compliance.NewPortal(pool)
	portal.SetNow(func() time.Time { return needsAsOf })
	deals := pipeline.NewStore(pool, pipeline.DefaultBusinessHours(time.UTC))
	deals.SetClock(func() time.Time { return needsAsOf })
	a.SetFulfilment(portal, deals)
	return pool, a
}

func offerLine(o NextOffer) string {
	return fmt.Sprintf("%s %s %s/%dm priority %s", o.Product.Code, o.Need, o.Request.Amount.Amount.StringFixed(2), o.Request.Months, o.Score.Value)
}

func webViewer(client int64) Viewer {
	return Viewer{ClientID: client, Channel: "web", Actor: compliance.Actor{Kind: compliance.ActorSystem}}
}

// TestNextBestOffers: Maria (9001, needs computed by hand in
// needsFixtureSQL) on 2026-12-01, with no model active (the prior 0.02):
//
//	LOAN-EUR-PERS for her expensive card debt (4,000.00 RON = 800 EUR,
//	  raised to the product's least, 3,000.00 EUR): margin 3,000 × (8.9 %
//	  − funding 2 %) = 207.00 + the 30.00 upfront fee over 3 years 10.00 =
//	  217.00 EUR; priority 0.02 × 1.5 × 217.00 = 6.51
//	SAV-RON-FLEX for her idle cash 26,999.99 RON: 26,999.99 × (6 % − 2 %)
//	  = 1,080.00 RON = 216.00 EUR; 0.02 × 1.5 × 216.00 = 6.48
//	LIFE-DAN-LOAN for her protection gap 1,000,000 RON = 200,000 EUR (she
//	  holds life cover, but below the gap): premium 30 + 1.50 × 200 =
//	  330.00 EUR a year, commission 20 % = 66.00 EUR; 0.02 × 1.5 × 66 = 1.98
//
// (a mortgage to refinance is not eligible: her debts are too high for the
// catalogue's rule). Each is recorded once, replays, and is kept until an
// input changes.
func TestNextBestOffers(t *testing.T) {
	pool, a := nboFixture(t)
	ctx := context.Background()
	l := i18n.NewLocalizer(i18n.English)
	records := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM decision_records WHERE engine = $1`, NBOEngine).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	set, err := a.Offers(ctx, webViewer(needsMaria), l)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range set.Offers {
		got = append(got, offerLine(o))
	}
	want := []string{
		"LOAN-EUR-PERS expensive_debt 3000.00/36m priority 6.51",
		"SAV-RON-FLEX idle_cash 26999.99/12m priority 6.48",
		"LIFE-DAN-LOAN protection_gap 200000.00/12m priority 1.98",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || set.Cached || set.Withheld != 0 {
		t.Fatalf("offers (cached %v, withheld %d):\n%s\nwant\n%s", set.Cached, set.Withheld, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r := set.Offers[1].Reasons; len(r) != 3 || r[0].Text != "It answers a need we see: Idle cash." || r[0].Key != "crosssell.nbo.why.need" {
		t.Errorf("reasons of the savings account: %+v", r)
	}
	if n := records(); n != 3 {
		t.Fatalf("%d decision records, want 3", n)
	}
	// What the record keeps: the engine and its version, the offer's own
	// request, the factors and how the value was worked out.
	var engineVersion, goal, amount, value, need string
	if err := pool.QueryRow(ctx, `SELECT engine_version, body::jsonb #>> '{inputs,request,goal}', body::jsonb #>> '{inputs,request,amount,amount}',
		body::jsonb #>> '{inputs,engine_inputs,factors,value_eur}', body::jsonb #>> '{inputs,engine_inputs,need}'
		FROM decision_records WHERE seq = $1`, set.Offers[1].Seq).Scan(&engineVersion, &goal, &amount, &value, &need); err != nil {
		t.Fatal(err)
	}
	if engineVersion != NBOVersion || goal != "deposit" || amount != "26999.99" || value != "216" || need != "idle_cash" {
		t.Errorf("record: %s %s %s %s %s", engineVersion, goal, amount, value, need)
	}
	rp := compliance.NewReplayer(pool)
	for _, o := range set.Offers {
		r, err := rp.Record(ctx, o.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Reproduced() {
			t.Errorf("replay of %s: %+v", o.Product.Code, r.Differences)
		}
	}

	// Again: from the cache, the same presentation, nothing recorded.
	again, err := a.Offers(ctx, webViewer(needsMaria), l)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Cached || again.Offers[0].Seq != set.Offers[0].Seq || records() != 3 {
		t.Errorf("second view: cached %v, seq %d (first %d), %d records", again.Cached, again.Offers[0].Seq, set.Offers[0].Seq, records())
	}
	// The firm takes the loan out of cross-sell: ranked anew without it,
	// the next loan takes its family's place (LOAN-EUR-CARP: the debt
	// raised to its least, 1,000.00 EUR, × (12.9 % − 2 %) = 109.00 EUR, no
	// fees; 0.02 × 1.5 × 109 = 3.27).
	if _, err := pool.Exec(ctx, `INSERT INTO offer_levers (product_id, lever, reason) SELECT id, 0, 'campaign over' FROM products WHERE code = 'LOAN-EUR-PERS'`); err != nil {
		t.Fatal(err)
	}
	lever, err := a.Offers(ctx, webViewer(needsMaria), l)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, o := range lever.Offers {
		got = append(got, offerLine(o))
	}
	want = []string{
		"SAV-RON-FLEX idle_cash 26999.99/12m priority 6.48",
		"LOAN-EUR-CARP expensive_debt 1000.00/36m priority 3.27",
		"LIFE-DAN-LOAN protection_gap 200000.00/12m priority 1.98",
	}
	if lever.Cached || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after the lever (cached %v):\n%s\nwant\n%s", lever.Cached, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Petra, a prospect with nothing but a name, still gets offers.
	petra, err := a.Offers(ctx, webViewer(needsProspect), l)
	if err != nil || len(petra.Offers) == 0 {
		t.Errorf("the prospect's offers: %v %v", petra, err)
	}
}

// TestAcceptNextBestOffer: an application records the response and opens
// a deal for the advisor (Maria's) or the service team (Ion has no
// advisor), with the first stage's tasks, once per idempotency key.
func TestAcceptNextBestOffer(t *testing.T) {
	pool, a := nboFixture(t)
	ctx := context.Background()
	l := i18n.NewLocalizer(i18n.English)
	set, err := a.Offers(ctx, webViewer(needsMaria), l)
	if err != nil {
		t.Fatal(err)
	}
	savings := set.Offers[1]
	if _, err := a.Accept(ctx, needsIon, savings.Seq, "web", "k1"); ecrm.ErrorCode(err) != ecrm.ENOTFOUND {
		t.Errorf("Ion accepting Maria's offer: %v", err)
	}
	first, err := a.Accept(ctx, needsMaria, savings.Seq, "web", "k1")
	if err != nil || !first.Created || first.DealID == 0 {
		t.Fatalf("accept: %+v %v", first, err)
	}
	replay, err := a.Accept(ctx, needsMaria, savings.Seq, "web", "k1")
	if err != nil || replay.Created || replay != (Acceptance{OfferSeq: savings.Seq, ResponseSeq: first.ResponseSeq, DealID: first.DealID}) {
		t.Errorf("the same key again: %+v %v (first %+v)", replay, err, first)
	}
	if _, err := a.Accept(ctx, needsMaria, savings.Seq, "web", ""); ecrm.ErrorCode(err) != ecrm.ECONFLICT {
		t.Errorf("a second application: %v", err)
	}
	var title, amount, currency, source string
	var owner, decision, tasks, responses int64
	if err := pool.QueryRow(ctx, `SELECT d.title, d.amount::text, d.currency, d.source, d.owner_staff_id, d.decision_seq,
		(SELECT count(*) FROM tasks t WHERE t.deal_id = d.id AND t.assignee_staff_id = d.owner_staff_id),
		(SELECT count(*) FROM decision_records r WHERE r.refers_to = d.decision_seq AND r.outcome = 'accepted')
		FROM deals d WHERE d.client_id = $1`, needsMaria).Scan(&title, &amount, &currency, &source, &owner, &decision, &tasks, &responses); err != nil {
		t.Fatal(err)
	}
	if title != "Flexible savings account RON" || amount != "26999.99" || currency != "RON" || source != "offer_accepted" || owner != 1 ||
		decision != savings.Seq || tasks == 0 || responses != 1 {
		t.Errorf("deal: %s %s %s %s owner %d decision %d, %d tasks, %d responses", title, amount, currency, source, owner, decision, tasks, responses)
	}
	// While the application is open the savings account is not offered.
	after, err := a.Offers(ctx, webViewer(needsMaria), l)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range after.Offers {
		if o.Product.Code == "SAV-RON-FLEX" {
			t.Errorf("offered again while the application is open: %v", after.Offers)
		}
	}

	// Ion has no advisor: the service team's member owns his deal.
	ion, err := a.Offers(ctx, webViewer(needsIon), l)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := a.Accept(ctx, needsIon, ion.Offers[0].Seq, "web", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT owner_staff_id FROM deals WHERE id = $1`, acc.DealID).Scan(&owner); err != nil || owner != 2 {
		t.Errorf("Ion's deal owner %d %v, want the service team's 2", owner, err)
	}
	// Declining starts the cool-down: not offered again.
	dec := ion.Offers[1]
	if _, _, err := a.Decline(ctx, needsIon, dec.Seq, "web", ""); err != nil {
		t.Fatal(err)
	}
	again, err := a.Offers(ctx, webViewer(needsIon), l)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range again.Offers {
		if o.Product.Code == dec.Product.Code {
			t.Errorf("%s shown again after the decline", o.Product.Code)
		}
	}
}

// TestNextBestOffersScoredByModels: with a savings model active, Maria's
// savings account is scored by the nightly rescoring's stored probability
// (0.25: priority 0.25 × 1.5 × 216.00 = 81.00) with its contribution in
// words; Ion, not rescored yet, is scored now (the model has no feature:
// sigmoid(0) = 0.5, priority 0.5 × 1.5 × 56.00 = 42.00); the record names
// the model version and the probability.
func TestNextBestOffersScoredByModels(t *testing.T) {
	pool, a := nboFixture(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		INSERT INTO propensity_models (version, family, source, source_name, algorithm, layout, coefficients, metrics, rows, trained_by)
		VALUES ('savings-v1', 'savings', 'history', 'test', 'logistic-l2', '{"known": "crm-history-1", "outcome": "took up", "columns": []}',
		        '{"intercept": 0, "lambda": 1, "features": []}', '{}', 10, 'test');
		INSERT INTO model_activations (family, version, activated_by, reason) VALUES ('savings', 'savings-v1', 'test', 'test');
		UPDATE clients SET created_at = '2020-01-01' WHERE id IN (9001, 9002, 9003);
		INSERT INTO client_propensities (client_id, family, model_version, probability, reasons)
		VALUES (9001, 'savings', 'savings-v1', 0.250000, '[{"feature": "tenure_months", "value": 1.2, "effect": 0.8}]');`); err != nil {
		t.Fatal(err)
	}
	l := i18n.NewLocalizer(i18n.English)
	find := func(client int64) NextOffer {
		t.Helper()
		set, err := a.Offers(ctx, webViewer(client), l)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range set.Offers {
			if o.Product.Code == "SAV-RON-FLEX" {
				return o
			}
		}
		t.Fatalf("client %d: no savings account among %v", client, set.Offers)
		return NextOffer{}
	}
	maria := find(needsMaria)
	if maria.ModelVersion != "savings-v1" || maria.Score.Value.String() != "81" || maria.Score.Components[0].Value.String() != "0.25" ||
		maria.Reasons[1].Text != "Clients like you often take it; what counts: your time with us." {
		t.Errorf("Maria's savings offer: version %q, priority %s, components %v, reasons %v", maria.ModelVersion, maria.Score.Value, maria.Score.Components, maria.Reasons)
	}
	ion := find(needsIon)
	if ion.ModelVersion != "savings-v1" || ion.Score.Value.String() != "42" {
		t.Errorf("Ion's savings offer: version %q, priority %s", ion.ModelVersion, ion.Score.Value)
	}
	var version string
	var probability float64
	if err := pool.QueryRow(ctx, `SELECT body::jsonb #>> '{inputs,engine_inputs,model_version}', (body::jsonb #>> '{inputs,engine_inputs,probability}')::float8
		FROM decision_records WHERE seq = $1`, maria.Seq).Scan(&version, &probability); err != nil || version != "savings-v1" || probability != 0.25 {
		t.Errorf("record: %q %v %v", version, probability, err)
	}
}
