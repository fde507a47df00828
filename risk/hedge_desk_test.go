package risk

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgtest"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/products"
)

// hedgeAsOf is the fixture's today: Friday 4 December 2026.
var hedgeAsOf = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

// hedgeFixtureSQL: Ana (501, base currency RON by her income) holds 250
// QNTM (a USD stock at 100.00, 1 USD = 4.6 RON: 115,000 RON) and 1,000 DNB
// at 20.00 RON (20,000 RON): QNTM is 85.2 % of her 135,000 RON. She can
// bear a loss of 20,000 RON, knows options (informed) and invests for 3
// years. Bogdan (503) holds 10 QNTM (4,600 RON) beside 100,000 RON of
// DNB. Radu (502) holds nothing. Prices run a year back, every day.
const hedgeFixtureSQL = `
INSERT INTO staff_users (id, email, display_name, roles) VALUES (1, 'maria@bank.test', 'Maria Advisor', '{advisor}'),
    (2, 'desk@bank.test', 'Desk', '{advisor}');
INSERT INTO service_team_members (team_code, staff_id) VALUES ('service', 2);
INSERT INTO clients (id, given_name, family_name, birth_date, annual_income, income_currency, employment_status, country,
                     kyc_status, kyc_verified_at, segment, advisor_id) VALUES
    (501, 'Ana', 'Popescu', '1980-05-01', 200000, 'RON', 'employed', 'RO', 'verified', '2026-01-01', 'affluent', 1),
    (502, 'Radu', 'Ionescu', '1985-05-01', 90000, 'RON', 'employed', 'RO', 'verified', '2026-01-01', 'mass', NULL),
    (503, 'Bogdan', 'Marin', '1970-05-01', 150000, 'RON', 'employed', 'RO', 'verified', '2026-01-01', 'affluent', 1);
INSERT INTO accounts (id, client_id, kind, name, currency, opened_on) VALUES
    (601, 501, 'brokerage', 'Brokerage', 'RON', '2020-01-01'), (602, 502, 'brokerage', 'Brokerage', 'RON', '2020-01-01'),
    (603, 503, 'brokerage', 'Brokerage', 'RON', '2020-01-01');
INSERT INTO instruments (id, symbol, name, kind, currency, market_segment, sector, risk_class, annual_volatility) VALUES
    (11, 'QNTM', 'Quantum Compute Inc', 'equity', 'USD', 'US equities', 'Technology', 6, 0.45),
    (12, 'DNB', 'Dunărea Bank SA', 'equity', 'RON', 'Bucharest equities', 'Financials', 5, 0.24);
INSERT INTO instruments (id, symbol, name, kind, currency, risk_class, underlying_id, option_type, strike, expires_on, contract_multiplier)
VALUES (13, 'QNTM-P90', 'QNTM put 90', 'option', 'USD', 7, 11, 'put', 90, '2027-03-19', 100);
INSERT INTO instrument_prices (instrument_id, price_date, close)
SELECT 11, DATE '2026-12-04' - n, round((100 + 3 * sin(n * 0.7))::numeric, 4) FROM generate_series(0, 365) n
UNION ALL SELECT 12, DATE '2026-12-04' - n, round((20 + sin(n * 0.3))::numeric, 4) FROM generate_series(0, 365) n;
INSERT INTO fx_rates (base_currency, quote_currency, rate_date, rate, source) VALUES ('USD', 'RON', '2026-12-04', 4.6, 'test');
INSERT INTO instrument_volatilities (instrument_id, as_of, kind, volatility, source) VALUES (11, '2026-12-04', 'implied', 0.30, 'test');
INSERT INTO instrument_dividend_yields (instrument_id, as_of, dividend_yield, source) VALUES (11, '2026-12-01', 0.01, 'test');
INSERT INTO risk_free_rates (currency, as_of, rate, source) VALUES ('USD', '2026-12-01', 0.05, 'test');
INSERT INTO positions (client_id, account_id, instrument_id, quantity, average_cost, opened_on) VALUES
    (501, 601, 11, 250, 60, '2023-01-10'), (501, 601, 12, 1000, 15, '2022-03-01'),
    (503, 603, 11, 10, 80, '2024-01-10'), (503, 603, 12, 5000, 18, '2022-03-01');
INSERT INTO risk_assessments (client_id, risk_class, loss_capacity, loss_capacity_currency, knowledge, objective, horizon_months,
                              questionnaire_version, source, assessed_at)
VALUES (501, 5, 20000, 'RON', '{"option": "informed", "equity": "advanced", "fund": "informed", "etf": "informed", "bond": "basic"}',
        'growth', 36, 'test-1', 'questionnaire', '2026-06-01');
INSERT INTO consents (client_id, purpose, channel, granted, wording_version, source, recorded_at)
SELECT id, 'marketing', 'web', true, '2026-01', 'portal', '2026-01-01 10:00Z' FROM clients;`

func hedgeFixture(t testing.TB) (*pgxpool.Pool, *HedgeDesk) {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.New(t)
	demo, err := products.DemoCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := products.NewStore(pool).Import(ctx, demo, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, hedgeFixtureSQL); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return hedgeAsOf }
	log := compliance.NewLog(pool)
	log.Now = now
	gate := compliance.NewGate(compliance.NewFactsReader(pool), log)
	gate.Now = now
	portal := compliance.NewPortal(pool)
	portal.SetNow(now)
	deals := pipeline.NewStore(pool, pipeline.DefaultBusinessHours(time.UTC))
	deals.SetClock(now)
	desk := NewHedgeDesk(pool, gate, portal, deals)
	desk.Now = now
	return pool, desk
}

func anaViewer(client int64) HedgeViewer {
	return HedgeViewer{ClientID: client, Channel: "web", Actor: compliance.Actor{Kind: compliance.ActorSystem}}
}

func TestHedgeSuggestionsThroughTheGate(t *testing.T) {
	pool, desk := hedgeFixture(t)
	ctx := context.Background()
	en := i18n.NewLocalizer(i18n.English)
	s, err := desk.Suggest(ctx, anaViewer(501), en)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Book.Client.PortfolioValue; !got.Equal(dec("135000")) {
		t.Errorf("portfolio value %s RON, want 135000", got)
	}
	flagged := s.Triggered()
	if len(flagged) != 1 || flagged[0].Position.Symbol != "QNTM" || !flagged[0].Trigger.Concentrated ||
		!flagged[0].Trigger.Weight.Equal(dec("0.851852")) {
		t.Fatalf("flagged %+v, want QNTM alone, concentrated at 0.851852 (115,000 / 135,000)", flagged)
	}
	// The put and the sale are shown; the collar needs advanced knowledge
	// of options (its target market) and Ana's is informed.
	var put *HedgeOffer
	for i, o := range s.Offers {
		if o.Strategy == StrategyProtectivePut {
			put = &s.Offers[i]
		}
	}
	if len(s.Offers) != 2 || put == nil || s.Offers[1].Strategy != StrategyDiversify {
		t.Fatalf("offers %+v, want the put and the sale", s.Offers)
	}
	if len(s.Unavailable) != 1 || s.Unavailable[0].Strategy != StrategyCollar || len(s.Unavailable[0].Checks) != 1 ||
		s.Unavailable[0].Checks[0] != compliance.CheckTargetMarket {
		t.Errorf("unavailable %+v, want the collar withheld by the target market", s.Unavailable)
	}
	// Defaults: the strike where the loss reaches her capacity, 1 −
	// 20,000 / 115,000 = 0.83; her 36-month horizon capped at 12 months.
	if !put.Params.ProtectionLevel.Equal(dec("0.83")) || put.Params.HorizonMonths != 12 || put.Terms.Expiry != "2027-12-04" ||
		!put.Terms.Strike.Equal(dec("83")) || put.Terms.Contracts != 2 || put.Terms.Multiplier != 100 {
		t.Errorf("put %+v / %+v, want 2 contracts of 100 at 83 to 2027-12-04", put.Params, put.Terms)
	}
	if len(put.Reasons) != 1 || put.Reasons[0].Key != "hedge.reason.concentrated" {
		t.Errorf("reasons %+v, want the concentration", put.Reasons)
	}
	// The same page again is the same presentation: no new records.
	var records int
	count := func() int {
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM decision_records WHERE engine = $1`, HedgeEngine).Scan(&records); err != nil {
			t.Fatal(err)
		}
		return records
	}
	before := count()
	if _, err := desk.Suggest(ctx, anaViewer(501), en); err != nil {
		t.Fatal(err)
	}
	if after := count(); after != before || before != 3 {
		t.Errorf("records %d then %d, want 3 (put, collar withheld, sale) and no more", before, after)
	}
	// The record replays to the same verdict and the same figures.
	rp := compliance.NewReplayer(pool)
	rp.ReplayEngine(HedgeEngine, ReplayHedgeTerms)
	r, err := rp.Record(ctx, put.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Reproduced() {
		t.Errorf("replay of %d differs: %+v", put.Seq, r.Differences)
	}
	// Radu holds nothing: nothing to hedge.
	if s, err := desk.Suggest(ctx, anaViewer(502), en); err != nil || len(s.Offers) != 0 || len(s.Triggered()) != 0 {
		t.Errorf("Radu: %v, %+v", err, s)
	}
}

func TestHedgePreviewAndAccept(t *testing.T) {
	pool, desk := hedgeFixture(t)
	ctx := context.Background()
	en := i18n.NewLocalizer(i18n.English)
	s, err := desk.Suggest(ctx, anaViewer(501), en)
	if err != nil {
		t.Fatal(err)
	}
	put := s.Offers[0]
	params := HedgeParams{ProtectionLevel: dec("0.90"), HorizonMonths: 3}
	preview, err := desk.Preview(ctx, 501, 11, StrategyProtectivePut, params)
	if err != nil {
		t.Fatal(err)
	}
	// The figures of TestProtectivePut: the fixture is that case.
	if !preview.Strike.Equal(dec("90")) || preview.Expiry != "2027-03-04" || !preview.Cost.Amount.Equal(dec("354.50")) ||
		!preview.ProtectedLoss.Amount.Equal(dec("17744.87")) {
		t.Errorf("preview %+v, want strike 90 to 2027-03-04 costing 354.50 USD and protecting 17,744.87 RON", preview)
	}
	if _, err := desk.Preview(ctx, 501, 12, StrategyProtectivePut, params); ecrm.ErrorCode(err) != ecrm.EINVALID {
		t.Errorf("preview of an unflagged holding: %v, want a field error", err)
	}
	// Another client cannot accept Ana's offer.
	if _, _, err := desk.Accept(ctx, anaViewer(502), put.Seq, nil, "radu-1", en); !errors.Is(err, errNotAHedge) {
		t.Errorf("Radu accepting Ana's offer: %v, want not found", err)
	}
	order, created, err := desk.Accept(ctx, anaViewer(501), put.Seq, &params, "ana-1", en)
	if err != nil {
		t.Fatal(err)
	}
	if !created || order.Strategy != StrategyProtectivePut || order.Symbol != "QNTM" || order.Status != "requested" ||
		!order.Cost.Amount.Equal(dec("354.50")) || len(order.Legs) != 1 || order.Legs[0].Contracts != 2 ||
		!order.Legs[0].Strike.Equal(dec("90")) || order.Legs[0].Expiry != "2027-03-04" || order.DecisionSeq == put.Seq {
		t.Fatalf("order %+v (created %v), want 2 puts at 90 to 2027-03-04, requested, on a new offer", order, created)
	}
	again, created, err := desk.Accept(ctx, anaViewer(501), put.Seq, &params, "ana-1", en)
	if err != nil || created || again.ID != order.ID {
		t.Errorf("the same key again: %+v, created %v, %v; want order %d unchanged", again, created, err, order.ID)
	}
	// The trail: interest in the offer shown, the configured offer shown
	// as the client's request, and its acceptance; a deal for Maria in the
	// orders pipeline with its first task.
	var interested, accepted, clientAsked int
	if err := pool.QueryRow(ctx, `SELECT
	    count(*) FILTER (WHERE kind = 'response' AND outcome = 'interested' AND refers_to = $1),
	    count(*) FILTER (WHERE kind = 'response' AND outcome = 'accepted' AND refers_to = $2),
	    count(*) FILTER (WHERE kind = 'offer_shown' AND seq = $2 AND (body::jsonb -> 'inputs' ->> 'client_initiated')::bool)
	    FROM decision_records WHERE client_id = 501`, put.Seq, order.DecisionSeq).Scan(&interested, &accepted, &clientAsked); err != nil {
		t.Fatal(err)
	}
	if interested != 1 || accepted != 1 || clientAsked != 1 {
		t.Errorf("records: %d interested, %d accepted, %d configured offer; want 1 each", interested, accepted, clientAsked)
	}
	var owner int64
	var tasks int
	if err := pool.QueryRow(ctx, `SELECT d.owner_staff_id, (SELECT count(*) FROM tasks k WHERE k.deal_id = d.id)
	    FROM deals d JOIN pipelines p ON p.id = d.pipeline_id WHERE d.id = $1 AND p.code = 'orders'`, order.DealID).Scan(&owner, &tasks); err != nil {
		t.Fatal(err)
	}
	if owner != 1 || tasks != 1 {
		t.Errorf("deal owned by %d with %d tasks, want Maria (1) with the confirmation task", owner, tasks)
	}
	orders, err := desk.Orders(ctx, 501)
	if err != nil || len(orders) != 1 || orders[0].ID != order.ID {
		t.Errorf("Ana's orders: %+v, %v", orders, err)
	}
	if orders, err := desk.Orders(ctx, 502); err != nil || len(orders) != 0 {
		t.Errorf("Radu's orders: %+v, %v; want none", orders, err)
	}
	// The accepted offer replays with its configured figures.
	rp := compliance.NewReplayer(pool)
	rp.ReplayEngine(HedgeEngine, ReplayHedgeTerms)
	if r, err := rp.Record(ctx, order.DecisionSeq); err != nil || !r.Reproduced() {
		t.Errorf("replay of the accepted offer: %v %+v", err, r)
	}
	// Out-of-range parameters are named.
	bad := HedgeParams{ProtectionLevel: dec("1.5"), HorizonMonths: 3}
	var e *ecrm.Error
	if _, _, err := desk.Accept(ctx, anaViewer(501), s.Offers[1].Seq, &bad, "ana-2", en); !errors.As(err, &e) || e.Field != "protection_level" {
		t.Errorf("a protection level of 150 %%: %v", err)
	}
}

func TestStalePricesGiveNoSuggestion(t *testing.T) {
	_, desk := hedgeFixture(t)
	desk.Now = func() time.Time { return hedgeAsOf.AddDate(0, 0, 6) }
	s, err := desk.Suggest(context.Background(), anaViewer(501), i18n.NewLocalizer(i18n.English))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Offers) != 0 || len(s.Unavailable) != 1 || s.Unavailable[0].Reason != ErrHedgeStalePrice.Error() {
		t.Errorf("six days after the last price: offers %+v, unavailable %+v; want none, stale", s.Offers, s.Unavailable)
	}
}

func TestReevaluateTriggers(t *testing.T) {
	pool, desk := hedgeFixture(t)
	ctx := context.Background()
	rep, err := desk.ReevaluateTriggers(ctx, []int64{11}, 0, hedgeAsOf)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Holders != 2 || rep.Holdings != 4 || rep.Triggered != 2 {
		t.Errorf("report %+v, want 2 holders, 4 holdings, 2 triggered", rep)
	}
	type row struct {
		triggered, concentrated, aboveCap bool
		weight                            string
	}
	read := func() map[[2]int64]row {
		rows, err := pool.Query(ctx, `SELECT client_id, instrument_id, triggered, concentrated, var_above_capacity, weight::text FROM hedge_triggers`)
		if err != nil {
			t.Fatal(err)
		}
		out := map[[2]int64]row{}
		for rows.Next() {
			var c, i int64
			var r row
			if err := rows.Scan(&c, &i, &r.triggered, &r.concentrated, &r.aboveCap, &r.weight); err != nil {
				t.Fatal(err)
			}
			out[[2]int64{c, i}] = r
		}
		return out
	}
	got := read()
	// Ana: QNTM 85 % concentrated; DNB 14.8 %, but no. Bogdan: DNB is
	// 100,000 of 104,600 (95.6 %); his 10 QNTM are not; he has no
	// assessment, so only the weight counts.
	want := map[[2]int64]row{
		{501, 11}: {true, true, false, "0.851852"}, {501, 12}: {false, false, false, "0.148148"},
		{503, 11}: {false, false, false, "0.043977"}, {503, 12}: {true, true, false, "0.956023"},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("client %d instrument %d: %+v, want %+v", k[0], k[1], got[k], w)
		}
	}
	// Ana sells her DNB: the next look at her drops its verdict.
	if _, err := pool.Exec(ctx, `DELETE FROM positions WHERE client_id = 501 AND instrument_id = 12`); err != nil {
		t.Fatal(err)
	}
	desk.Now = func() time.Time { return hedgeAsOf.Add(time.Minute) }
	if _, err := desk.ReevaluateTriggers(ctx, nil, 501, hedgeAsOf); err != nil {
		t.Fatal(err)
	}
	got = read()
	if _, ok := got[[2]int64{501, 12}]; ok || !got[[2]int64{501, 11}].triggered || got[[2]int64{501, 11}].weight != "1.000000" {
		t.Errorf("after the sale: %+v", got)
	}
}

// unitRisk on a hand-worked history: closes 100, 90, 99, 99 have daily
// returns −10 %, +10 %, 0; the 99 % quantile of three is the worst, −10 %,
// so the ten-day VaR of one unit is 0.1 × √10 = 0.31622777.
func TestUnitRisk(t *testing.T) {
	r, n := unitRisk([]float64{100, 90, 99, 99})
	if n != 3 || !r.VaR10d99.Equal(dec("0.31622777")) {
		t.Errorf("unit risk %+v over %d returns, want 0.31622777 over 3", r, n)
	}
}
