package advisor

import (
	"context"
	"net/http"
	"testing"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// benchSQL makes 5,000 clients: advisor 1 holds 2,500 of them (the largest
// book an advisor has), advisors 2 to 4 the rest. Each client has two
// accounts and five contacts; client 1 has the full history a 360 page
// shows: 40 contacts, three credit lines with 36 months of payments,
// positions with a month of prices, policies with instalments and claims,
// consents and profile changes.
const benchSQL = `
INSERT INTO staff_users (id, email, display_name, roles)
SELECT g, 'staff' || g || '@bank.test', 'Staff ' || g, CASE WHEN g = 5 THEN '{compliance}'::text[] ELSE '{advisor}' END
FROM generate_series(1, 5) g;

INSERT INTO clients (id, given_name, family_name, birth_date, email, segment, kyc_status, kyc_verified_at, advisor_id, vulnerable)
SELECT g,
       (ARRAY['Ana','Maria','Ion','Andrei','Elena','Ștefan','Radu','Ioana','Mihai','Cristina','George','Dan'])[1 + g % 12],
       (ARRAY['Popescu','Ionescu','Popa','Pop','Radu','Dumitru','Stan','Stoica','Gheorghe','Matei','Ciobanu','Rusu',
              'Munteanu','Ștefănescu','Țurcanu','Lungu','Mocanu','Constantin','Marin','Florea'])[1 + (g * 7) % 20]
         || CASE WHEN g % 3 = 0 THEN '' ELSE '-' || substr(md5(g::text), 1, 4) END,
       DATE '1945-01-01' + (g * 37) % 25000,
       'client' || g || '@mail.test',
       (ARRAY['mass','mass','mass','emerging_affluent','affluent','private'])[1 + g % 6],
       'verified', now(),
       CASE WHEN g <= 2500 THEN 1 ELSE 2 + g % 3 END,
       g % 40 = 0
FROM generate_series(1, 5000) g;

INSERT INTO accounts (client_id, kind, name, currency, balance, opened_on)
SELECT c, k.kind, k.name, k.currency, (c * 13 % 10000) + 0.25, DATE '2015-01-01'
FROM generate_series(1, 5000) c
CROSS JOIN (VALUES ('current', 'Current', 'RON'), ('savings', 'Savings', 'EUR')) AS k(kind, name, currency);

INSERT INTO interactions (client_id, staff_id, channel, direction, subject, occurred_at)
SELECT c, 1, (ARRAY['phone','fax','web','mail','visit','email'])[1 + (c + i) % 6], 'inbound', 'Contact ' || i,
       TIMESTAMPTZ '2026-01-01 09:00+00' + (c % 300 + i * 7) * interval '1 day'
FROM generate_series(1, 5000) c, generate_series(1, 5) i;
INSERT INTO interactions (client_id, staff_id, channel, direction, subject, notes, occurred_at)
SELECT 1, 1, (ARRAY['phone','fax','web','mail','visit','email'])[1 + i % 6], 'outbound', 'Follow-up ' || i, 'Notes of call ' || i,
       TIMESTAMPTZ '2024-01-01 09:00+00' + i * interval '9 days'
FROM generate_series(1, 40) i;

INSERT INTO accounts (client_id, kind, name, currency, balance, opened_on)
VALUES (1, 'brokerage', 'Brokerage', 'EUR', 0, '2019-01-01'), (1, 'loan', 'Mortgage', 'RON', -90000, '2018-01-01');
INSERT INTO instruments (id, symbol, name, kind, currency, risk_class)
SELECT g, 'SYM' || g, 'Instrument ' || g, 'equity', 'EUR', 4 FROM generate_series(1, 5) g;
INSERT INTO instrument_prices (instrument_id, price_date, close)
SELECT i, DATE '2026-10-15' + d, 10 + i + d * 0.01 FROM generate_series(1, 5) i, generate_series(0, 30) d;
INSERT INTO positions (client_id, account_id, instrument_id, quantity, average_cost, opened_on)
SELECT 1, (SELECT id FROM accounts WHERE client_id = 1 AND kind = 'brokerage'), g, 10 * g, 9.5, '2020-01-01'
FROM generate_series(1, 5) g;

INSERT INTO insurance_policies (id, client_id, policy_number, insurer, line, status, starts_on, ends_on, sum_insured, premium, currency, premium_frequency)
SELECT g, 1, 'P-' || g, 'Insurer', (ARRAY['home','life','motor'])[g], 'active', '2026-01-01', '2027-01-01', 100000, 50, 'RON', 'monthly'
FROM generate_series(1, 3) g;
INSERT INTO premium_instalments (policy_id, client_id, due_on, amount, currency, status)
SELECT p, 1, DATE '2026-01-01' + (m || ' months')::interval, 50, 'RON', CASE WHEN m < 10 THEN 'paid' ELSE 'scheduled' END
FROM generate_series(1, 3) p, generate_series(0, 11) m;
INSERT INTO claims (policy_id, client_id, reference, incident_on, reported_at, description, claimed_amount, currency, status)
VALUES (1, 1, 'C-1', '2026-03-01', '2026-03-02', 'Storm damage', 2000, 'RON', 'received'),
       (2, 1, 'C-2', '2026-06-01', '2026-06-03', 'Accident', 500, 'RON', 'in_review');

INSERT INTO credit_lines (id, client_id, kind, lender, credit_limit, balance, currency, monthly_payment, opened_on, status)
VALUES (1, 1, 'mortgage', 'This bank', 200000, 90000, 'RON', 1200, '2018-01-01', 'active'),
       (2, 1, 'credit_card', 'This bank', 5000, 1200, 'RON', NULL, '2019-01-01', 'active'),
       (3, 1, 'car_loan', 'Other bank', 30000, 8000, 'RON', 600, '2022-01-01', 'active');
INSERT INTO credit_payments (credit_line_id, client_id, period, amount_due, amount_paid, currency, status)
SELECT l, 1, m::date, 100, 100, 'RON', CASE WHEN extract(month FROM m) = 3 AND l = 2 THEN 'late_30' ELSE 'on_time' END
FROM generate_series(1, 3) l, generate_series('2023-01-01'::date, '2026-11-01'::date, interval '1 month') m;

INSERT INTO consents (client_id, purpose, channel, granted, wording_version, source, recorded_at)
SELECT 1, p, c, true, 'v1', 'portal', '2025-01-01'
FROM unnest(ARRAY['marketing','profiling']) p, unnest(ARRAY['email','sms','phone']) c;
INSERT INTO profile_changes (client_id, field, old_value, new_value, actor_kind, changed_at)
SELECT 1, 'phone', 'old ' || g, 'new ' || g, 'client', TIMESTAMPTZ '2025-01-01' + g * interval '3 days'
FROM generate_series(1, 30) g;
ANALYZE;
`

func newBenchFixture(b *testing.B) *fixture {
	b.Helper()
	pool := pgtest.New(b)
	if _, err := pool.Exec(context.Background(), benchSQL); err != nil {
		b.Fatalf("insert benchmark data: %v", err)
	}
	return newFixtureOn(b, pool)
}

// BenchmarkClients lists a page of 50 clients: an advisor's book of 2,500,
// with and without a search, and a search over every client.
func BenchmarkClients(b *testing.B) {
	f := newBenchFixture(b)
	ctx := context.Background()
	for _, bb := range []struct {
		name   string
		scope  Scope
		filter ClientFilter
	}{
		{"Book", Scope{StaffID: 1, Book: true}, ClientFilter{}},
		{"BookSearch", Scope{StaffID: 1, Book: true}, ClientFilter{Query: "pop"}},
		{"AllSearch", Scope{StaffID: 5}, ClientFilter{Query: "ion"}},
		{"AllNameSearch", Scope{StaffID: 5}, ClientFilter{Query: "ana pop"}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				page, err := f.handler.store.Clients(ctx, bb.scope, bb.filter)
				if err != nil || len(page.Clients) == 0 {
					b.Fatalf("%d clients, %v", len(page.Clients), err)
				}
			}
		})
	}
}

// BenchmarkHome reads the start page figures of the advisor with 2,500
// clients (segments, attention list, latest contacts) and of compliance
// (segments of all 5,000 clients).
func BenchmarkHome(b *testing.B) {
	f := newBenchFixture(b)
	ctx := context.Background()
	for _, bb := range []struct {
		name  string
		scope Scope
	}{{"Book", Scope{StaffID: 1, Book: true}}, {"All", Scope{StaffID: 5}}} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				if h, err := f.handler.store.Home(ctx, bb.scope); err != nil || h.Clients == 0 {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClient360 reads one client's 360 (and logs the view), as the
// store does for the page and the API.
func BenchmarkClient360(b *testing.B) {
	f := newBenchFixture(b)
	ctx := context.Background()
	sc := Scope{StaffID: 1, Book: true}
	for b.Loop() {
		v, err := f.handler.store.Client360(ctx, sc, 1, "", "bench")
		if err != nil || len(v.Interactions) != 45 || len(v.CreditLines) != 3 {
			b.Fatalf("%v", err)
		}
	}
}

// BenchmarkClient360Page serves the whole client 360 page: query, access
// log and template.
func BenchmarkClient360Page(b *testing.B) {
	f := newBenchFixture(b)
	for b.Loop() {
		if w := f.do(b, request{path: "/console/clients/1", as: "staff:1:advisor"}); w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkCreditHistory reads a credit history for a purpose.
func BenchmarkCreditHistory(b *testing.B) {
	f := newBenchFixture(b)
	ctx := context.Background()
	sc := Scope{StaffID: 1, Book: true}
	for b.Loop() {
		if _, err := f.handler.store.CreditHistory(ctx, sc, 1, PurposeAccountReview, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}
