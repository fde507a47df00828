package crosssell

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// needsAsOf is the day of the needs fixture.
var needsAsOf = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// Fixture clients of needsFixtureSQL.
const (
	needsMaria    = 9001 // every kind of need but the emergency fund
	needsIon      = 9002 // emergency fund, a marriage
	needsProspect = 9003 // a prospect: nothing but a name
)

// needsFixtureSQL builds the clients whose needs are computed by hand in
// TestNeeds. Maria (46, married, 2 children, 120,000 RON a year):
//
//	spending: RON current-account debits in the three months before
//	  2026-12-01 12:00 of 3,000.00 + 2,500.00 + 1,000.01 = 6,500.01
//	  (not counted: a transfer to her own savings, a securities trade,
//	  a debit before the window, a debit of her savings account, a
//	  salary), / 3 = 2,166.67; EUR debits 300.00 / 3 = 100.00 EUR =
//	  500.00 RON (reference rates: EUR 1, RON 0.20); 2,666.67 RON a month
//	liquid: current 30,000.00 RON + 1,000.00 EUR (5,000.00 RON) + savings
//	  5,000.00 = 40,000.00 ≥ 6 × 2,666.67 = 16,000.02: no emergency need
//	idle cash: 35,000.00 − 3 × 2,666.67 = 26,999.99
//	protection gap: 10 × 120,000.00 − 200,000.00 (active life cover; a
//	  lapsed policy does not count) = 1,000,000.00
//	retirement (46: 3 × income = 360,000.00): fund 10 × 150.50 EUR =
//	  1,505.00 EUR = 7,525.00 RON at cost, + term deposit 20,000.00,
//	  gap 332,475.00 (the option is not counted)
//	expensive debt: the RON card 4,000.00 at 22.50 % (the EUR card at 12 %
//	  is not expensive)
//	refinancing: mortgage 300,000.00 RON at 8.50 % against today's best
//	  RON rate 5.90 % (the withdrawn product's 1 % does not count)
//	renewal: the home policy ending 2026-12-20 (the motor policy ending
//	  2027-03-01 is not due)
//	life events: a child (dependants 1 → 2, 2026-05-10), a new employer
//	  (2026-08-01); the marriage of 2025-10-01 is older than a year
//
// Ion (28, single until 2026-11-01, 60,000 RON a year): 4,500.00 spent
// in three months = 1,500.00 a month, 2,000.00 in his current account:
// emergency fund 6 × 1,500.00 − 2,000.00 = 7,000.00; married 2026-11-01.
const needsFixtureSQL = `
INSERT INTO clients (id, kind, given_name, family_name, birth_date, marital_status, dependants, annual_income, income_currency, employment_status, employer)
VALUES (9001, 'client', 'Maria', 'Test', '1980-06-15', 'married', 2, 120000.00, 'RON', 'employed', 'B'),
       (9002, 'client', 'Ion', 'Test', '1998-03-01', 'married', 0, 60000.00, 'RON', 'employed', 'C'),
       (9003, 'prospect', 'Petra', 'Test', NULL, NULL, 0, NULL, NULL, NULL, NULL);

INSERT INTO accounts (id, client_id, kind, iban, name, currency, balance, interest_rate, opened_on, maturity_on) VALUES
 (91, 9001, 'current', 'RO49AAAA1B31007593840000', 'Current RON', 'RON', 30000.00, NULL, '2020-01-01', NULL),
 (92, 9001, 'savings', 'RO49AAAA1B31007593840001', 'Savings RON', 'RON', 5000.00, 0.02, '2020-01-01', NULL),
 (93, 9001, 'term_deposit', NULL, 'Deposit RON', 'RON', 20000.00, 0.05, '2026-01-01', '2027-01-01'),
 (94, 9001, 'current', 'RO49AAAA1B31007593840002', 'Current EUR', 'EUR', 1000.00, NULL, '2020-01-01', NULL),
 (95, 9001, 'brokerage', NULL, 'Brokerage', 'EUR', 0, NULL, '2020-01-01', NULL),
 (96, 9002, 'current', 'RO49AAAA1B31007593840003', 'Current RON', 'RON', 2000.00, NULL, '2022-01-01', NULL);

INSERT INTO account_transactions (account_id, client_id, booked_at, value_date, amount, currency, kind, counterparty_iban, channel) VALUES
 (91, 9001, '2026-11-20 10:00Z', '2026-11-20', -3000.00, 'RON', 'card_payment', NULL, 'pos'),
 (91, 9001, '2026-10-05 10:00Z', '2026-10-05', -2500.00, 'RON', 'direct_debit', 'RO49BBBB1B31007593840000', 'system'),
 (91, 9001, '2026-09-01 12:00Z', '2026-09-01', -1000.01, 'RON', 'standing_order', NULL, 'system'),
 (91, 9001, '2026-09-01 11:59Z', '2026-09-01', -9999.00, 'RON', 'card_payment', NULL, 'pos'),
 (91, 9001, '2026-12-01 12:00Z', '2026-12-01', -7777.00, 'RON', 'card_payment', NULL, 'pos'),
 (91, 9001, '2026-11-02 10:00Z', '2026-11-02', -10000.00, 'RON', 'transfer_out', 'RO49AAAA1B31007593840001', 'web'),
 (91, 9001, '2026-11-03 10:00Z', '2026-11-03', -500.00, 'RON', 'securities_trade', NULL, 'web'),
 (91, 9001, '2026-11-04 10:00Z', '2026-11-04', 8000.00, 'RON', 'salary', NULL, 'system'),
 (92, 9001, '2026-11-05 10:00Z', '2026-11-05', -400.00, 'RON', 'transfer_out', NULL, 'web'),
 (94, 9001, '2026-11-06 10:00Z', '2026-11-06', -300.00, 'EUR', 'card_payment', NULL, 'pos'),
 (96, 9002, '2026-11-10 10:00Z', '2026-11-10', -4500.00, 'RON', 'standing_order', NULL, 'system');

INSERT INTO instruments (id, symbol, name, kind, currency, risk_class) VALUES (81, 'FND', 'A fund', 'fund', 'EUR', 4), (82, 'STK', 'A stock', 'equity', 'EUR', 6);
INSERT INTO instruments (id, symbol, name, kind, currency, risk_class, underlying_id, option_type, strike, expires_on, contract_multiplier)
VALUES (83, 'STK-P', 'A put', 'option', 'EUR', 7, 82, 'put', 10, '2027-06-18', 100);
INSERT INTO positions (client_id, account_id, instrument_id, quantity, average_cost, opened_on) VALUES
 (9001, 95, 81, 10, 150.50, '2024-01-01'),
 (9001, 95, 83, 2, 300, '2026-01-01');

INSERT INTO credit_lines (client_id, kind, lender, credit_limit, balance, currency, interest_rate, opened_on, status) VALUES
 (9001, 'credit_card', 'ecrm Bank', 10000.00, 4000.00, 'RON', 0.2250, '2021-01-01', 'active'),
 (9001, 'credit_card', 'Other Bank', 1000.00, 200.00, 'EUR', 0.1200, '2021-01-01', 'active'),
 (9001, 'mortgage', 'Other Bank', 400000.00, 300000.00, 'RON', 0.0850, '2019-01-01', 'active'),
 (9001, 'consumer_loan', 'ecrm Bank', 20000.00, 15000.00, 'RON', 0.3000, '2025-01-01', 'active');

INSERT INTO insurance_policies (client_id, policy_number, insurer, line, status, starts_on, ends_on, sum_insured, premium, currency, premium_frequency) VALUES
 (9001, 'L-1', 'Ins', 'life', 'active', '2020-01-01', '2040-01-01', 200000.00, 100.00, 'RON', 'monthly'),
 (9001, 'L-2', 'Ins', 'life', 'lapsed', '2015-01-01', '2035-01-01', 100000.00, 50.00, 'RON', 'monthly'),
 (9001, 'H-1', 'Ins', 'home', 'active', '2025-12-20', '2026-12-20', 300000.00, 400.00, 'RON', 'annual'),
 (9001, 'M-1', 'Ins', 'motor', 'active', '2026-03-01', '2027-03-01', 50000.00, 900.00, 'RON', 'annual');

INSERT INTO profile_changes (client_id, field, old_value, new_value, actor_kind, changed_at) VALUES
 (9001, 'dependants', '1', '2', 'client', '2026-05-10 09:00Z'),
 (9001, 'employer', 'A', 'B', 'client', '2026-08-01 09:00Z'),
 (9001, 'marital_status', 'single', 'married', 'client', '2025-10-01 09:00Z'),
 (9002, 'marital_status', 'single', 'married', 'client', '2026-11-01 09:00Z');

INSERT INTO products (id, code, name, line, kind, provider, currency, active) VALUES
 (71, 'MORT-RON-T', 'Mortgage RON', 'banking', 'mortgage', 'ecrm Bank', 'RON', true),
 (72, 'MORT-RON-OLD', 'Old mortgage RON', 'banking', 'mortgage', 'ecrm Bank', 'RON', false);
INSERT INTO product_versions (id, product_id, version, name, definition, risk_class, complex, rules_hash) VALUES
 (71, 71, 1, 'Mortgage RON', '{"rate_tiers": [{"min_amount": "150000", "rate": "0.0620"}, {"min_amount": "500000", "rate": "0.0590"}]}', 1, false, repeat('a', 64)),
 (72, 72, 1, 'Old mortgage RON', '{"rate_tiers": [{"min_amount": "150000", "rate": "0.0100"}]}', 1, false, repeat('a', 64));
UPDATE products SET current_version_id = id WHERE id IN (71, 72);
`

func needsFixture(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), needsFixtureSQL); err != nil {
		t.Fatal(err)
	}
	return pool
}

// needLine is a need as the tests compare it: code, size, facts in English.
func needLine(n Need, l *i18n.Localizer) string {
	size := "-"
	if n.Size != nil {
		size = n.Size.Amount.StringFixed(2) + " " + n.Size.Currency
	}
	facts := make([]string, len(n.Facts))
	for i, f := range n.Facts {
		facts[i] = f.In(l)
	}
	return strings.ReplaceAll(n.Code+" "+size+" ["+strings.Join(facts, "; ")+"]", "\u00a0", " ")
}

func TestNeeds(t *testing.T) {
	ctx := context.Background()
	pool := needsFixture(t)
	en := i18n.NewLocalizer(i18n.English)

	cases := []struct {
		name   string
		client int64
		want   []string
	}{
		{"EveryKind", needsMaria, []string{
			"renewal_due - [Ends soon: home insurance, on 20 Dec 2026]",
			"life_event_birth - [A child was born or adopted: 10 May 2026; 2 dependants]",
			"life_event_new_job - [New job: 1 Aug 2026; Annual income: RON 120,000.00]",
			"protection_gap 1000000.00 RON [2 dependants; Annual income: RON 120,000.00; Life cover: RON 200,000.00]",
			"retirement_gap 332475.00 RON [Age: 46; Annual income: RON 120,000.00; Savings for retirement (investments at cost, term deposits): RON 27,525.00]",
			"mortgage_refinance 300000.00 RON [Mortgage owed: RON 300,000.00; Mortgage rate: 8.50%; Today's mortgage rate: 5.90%]",
			"idle_cash 26999.99 RON [Current accounts: RON 35,000.00; Monthly spending (average of 3 months): RON 2,666.67]",
			"expensive_debt 4000.00 RON [Card balances at 15% or more: RON 4,000.00; Highest card rate: 22.50%]",
		}},
		{"EmergencyFundAndMarriage", needsIon, []string{
			"life_event_marriage - [Married: 1 Nov 2026; Marital status: married]",
			"emergency_fund 7000.00 RON [Monthly spending (average of 3 months): RON 1,500.00; Cash at hand (current and savings accounts): RON 2,000.00]",
		}},
		// A prospect with nothing but a name: no error, no empty list —
		// the one need that applies is to say more.
		{"ProspectWithNoData", needsProspect, []string{
			"complete_profile - [Annual income not known; Date of birth not known]",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			needs, err := Needs(ctx, pool, tc.client, needsAsOf)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range needs {
				if n.RuleSetVersion != NeedsRuleSetVersion {
					t.Errorf("%s: rule set %q", n.Code, n.RuleSetVersion)
				}
				got = append(got, needLine(n, en))
			}
			if diff := strings.Join(got, "\n"); diff != strings.Join(tc.want, "\n") {
				t.Errorf("needs of client %d:\n%s\nwant\n%s", tc.client, diff, strings.Join(tc.want, "\n"))
			}
		})
	}

	t.Run("MissingClient", func(t *testing.T) {
		_, err := Needs(ctx, pool, 424242, needsAsOf)
		var e *ecrm.Error
		if !errors.As(err, &e) || e.Code != ecrm.ENOTFOUND {
			t.Fatalf("error = %v, want not found", err)
		}
	})

	t.Run("QueuedInABatch", func(t *testing.T) {
		var f Facts
		b := &pgx.Batch{}
		QueueFacts(b, needsMaria, needsAsOf, &f)
		if err := pool.SendBatch(ctx, b).Close(); err != nil {
			t.Fatal(err)
		}
		needs, err := EvaluateNeeds(&f)
		if err != nil || len(needs) != 8 {
			t.Fatalf("%d needs, %v; want 8", len(needs), err)
		}
	})

	// A client with no transactions, accounts or policies but a stated
	// income and dependants: the needs that can be sized from the
	// profile alone, nothing that needs spending figures.
	t.Run("ProfileOnly", func(t *testing.T) {
		if _, err := pool.Exec(ctx, `INSERT INTO clients (id, given_name, family_name, birth_date, dependants, annual_income, income_currency)
			VALUES (9004, 'Dan', 'Test', '1996-11-30', 1, 50000.00, 'EUR')`); err != nil {
			t.Fatal(err)
		}
		needs, err := Needs(ctx, pool, 9004, needsAsOf)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, n := range needs {
			got = append(got, needLine(n, en))
		}
		want := "protection_gap 500000.00 EUR [1 dependant; Annual income: €50,000.00; Life cover: €0.00]\n" +
			"retirement_gap 50000.00 EUR [Age: 30; Annual income: €50,000.00; Savings for retirement (investments at cost, term deposits): €0.00]"
		if strings.Join(got, "\n") != want {
			t.Errorf("needs:\n%s\nwant\n%s", strings.Join(got, "\n"), want)
		}
	})
}

// TestNeedsInRomanian says Maria's needs in Romanian, the client's words
// and the facts, amounts in the Romanian format.
func TestNeedsInRomanian(t *testing.T) {
	pool := needsFixture(t)
	needs, err := Needs(context.Background(), pool, needsMaria, needsAsOf)
	if err != nil {
		t.Fatal(err)
	}
	ro, en := i18n.NewLocalizer(i18n.Romanian), i18n.NewLocalizer(i18n.English)
	for _, n := range needs {
		for _, l := range []*i18n.Localizer{ro, en} {
			if s := n.Title(l); strings.HasPrefix(s, "crosssell.") {
				t.Errorf("%s: no title in %s", n.Code, l.Lang())
			}
			if s := n.ClientText(l); strings.HasPrefix(s, "crosssell.") || strings.Contains(s, "%!") {
				t.Errorf("%s: client text in %s = %q", n.Code, l.Lang(), s)
			}
			for _, f := range n.Facts {
				if s := f.In(l); strings.HasPrefix(s, "crosssell.") || strings.Contains(s, "%!") {
					t.Errorf("%s: fact in %s = %q", n.Code, l.Lang(), s)
				}
			}
		}
	}
	gap := needs[3]
	if got, want := nbsp(gap.ClientText(ro)), "Aveți 2 persoane în întreținere: o asigurare de viață de zece ori venitul anual le-ar proteja; vă lipsesc 1.000.000,00 lei."; got != want {
		t.Errorf("protection gap in Romanian = %q, want %q", got, want)
	}
	if got, want := nbsp(gap.ClientText(en)), "You have 2 dependants: life cover of ten times your yearly income would protect them; you are RON 1,000,000.00 short."; got != want {
		t.Errorf("protection gap in English = %q, want %q", got, want)
	}
	if got := gap.Href(); got != "/portal/match?currency=RON&goal=insure" {
		t.Errorf("href = %q", got)
	}
}

func TestLifeEvents(t *testing.T) {
	s := func(v string) *string { return &v }
	at := func(d int) time.Time { return time.Date(2026, 1, d, 10, 0, 0, 0, time.UTC) }
	got := lifeEvents([]profileChange{
		{field: "employment_status", old: s("unemployed"), new: s("employed"), at: at(1)},
		{field: "employment_status", old: s("employed"), new: s("retired"), at: at(2)},
		{field: "employment_status", old: s("employed"), new: s("self_employed"), at: at(3)}, // no new job: still working
		{field: "employer", old: nil, new: s("X"), at: at(4)},                                // first employer named: not a change
		{field: "dependants", old: s("2"), new: s("1"), at: at(5)},                           // fewer: no birth
		{field: "dependants", old: nil, new: s("1"), at: at(6)},
		{field: "marital_status", old: s("partnership"), new: s("married"), at: at(7)}, // already a couple
	})
	want := fmt.Sprint([]LifeEvent{{EventBirth, civilDate(at(6))}, {EventNewJob, civilDate(at(1))}, {EventRetirement, civilDate(at(2))}})
	if fmt.Sprint(got) != want {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestMonthlyExpensesRounding(t *testing.T) {
	got := monthlyExpenses([]ecrm.Money{ecrm.MustMoney("100.00", "RON"), ecrm.MustMoney("200.00", "EUR"), ecrm.MustMoney("1000", "JPY")})
	want := "[33.33 RON 66.67 EUR 333 JPY]"
	if fmt.Sprint(moneyStrings(got)) != want {
		t.Errorf("monthly expenses = %v, want %v", moneyStrings(got), want)
	}
	if m, ok := convert(ecrm.MustMoney("1000.01", "EUR"), "RON"); !ok || m.Amount.String() != "5000.05" {
		t.Errorf("1000.01 EUR in RON = %v, %v; want 5000.05 (half away from zero)", m, ok)
	}
	if _, ok := convert(ecrm.MustMoney("1", "EUR"), "XYZ"); ok {
		t.Error("a currency without a reference rate converted")
	}
}

// nbsp writes the no-break spaces of formatted amounts as spaces.
func nbsp(s string) string { return strings.ReplaceAll(s, "\u00a0", " ") }

func moneyStrings(list []ecrm.Money) []string {
	out := make([]string, len(list))
	for i, m := range list {
		out[i] = m.Amount.String() + " " + m.Currency
	}
	return out
}

// TestNeedsRuleSetPinned fails when a rule changes without a new version:
// needs already shown name needs-v1, and must keep meaning what it said.
func TestNeedsRuleSetPinned(t *testing.T) {
	const pinned = "683a80c33ad12daccb1c39865c25683c5b25708d3d2018178710c3f495cd6c42"
	if got := needsRulesHash(); got != pinned {
		t.Errorf("the rules of %s changed (SHA-256 %s): raise NeedsRuleSetVersion, then pin the new hash here", NeedsRuleSetVersion, got)
	}
	if _, err := compiledNeeds(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(needsFactsSQL, "ip.ends_on <= $2::date + "+strconv.Itoa(renewalWindowDays)+")") {
		t.Error("needsFactsSQL's renewal window is not renewalWindowDays")
	}
}

func TestNeedRulesRejectBadExpressions(t *testing.T) {
	for _, r := range []NeedRule{
		{Code: "x", When: "client.income > 0"},                        // undeclared
		{Code: "x", When: "client.age"},                               // not a bool
		{Code: "x", When: "true", Size: "cash.current > 0"},           // size not an int
		{Code: "x", When: "true", Size: "double(cash.current) * 1.5"}, // floats are not money
	} {
		if _, err := compileNeedRules([]NeedRule{r}); err == nil {
			t.Errorf("rule %+v compiled", r)
		}
	}
	// An overflow leaves the need out rather than a wrong figure.
	rules, err := compileNeedRules([]NeedRule{{Code: "big", When: "true", Size: "client.annual_income * 9223372036854775807"}})
	if err != nil {
		t.Fatal(err)
	}
	income := ecrm.MustMoney("10.00", "EUR")
	if got := evaluateNeeds(rules, &Facts{Income: &income}); len(got) != 0 {
		t.Errorf("overflowing size gave %v", got)
	}
}

func BenchmarkNeeds(b *testing.B) {
	pool := needsFixture(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := Needs(ctx, pool, needsMaria, needsAsOf); err != nil {
			b.Fatal(err)
		}
	}
}
