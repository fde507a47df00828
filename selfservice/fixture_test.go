package selfservice

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/internal/document"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/identity"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/pgtest"
	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/products"
	"github.com/ecrm-project/ecrm/servicedesk"
)

// The fixture: two clients, Ana (1), who holds a bit of everything, and
// Bogdan (2), whose data Ana must never see. The clock is testNow,
// 2026-11-26 10:00 UTC.
const (
	ana    int64 = 1
	bogdan int64 = 2

	anaCurrent   = 11 // RON, IBAN ending 1234
	anaSavings   = 12 // EUR, IBAN ending 5678
	anaCard      = 13 // RON card with a limit
	anaBrokerage = 14 // EUR, holds the positions
	anaClosed    = 15 // closed: not shown
	bogdanAcct   = 21 // EUR, IBAN ending 9999
)

const fixtureSQL = `
-- Ana asked to use ana.new@example.com; the link's token is anaLinkToken.
INSERT INTO clients (id, given_name, family_name, email, email_verified, phone, city, country, marital_status,
                     dependants, annual_income, income_currency, employment_status, preferred_language)
VALUES (1, 'Ana', 'Popescu', 'ana@example.com', true, '+40721000001', 'București', 'RO', 'married',
        1, 60000.00, 'RON', 'employed', 'en'),
       (2, 'Bogdan', 'Ionescu', 'bogdan@example.com', true, '+40721000002', 'Iași', 'RO', 'single',
        0, NULL, NULL, 'self_employed', 'ro');

INSERT INTO identities (issuer, subject, client_id, email) VALUES
  ('https://id.example.test', 'ana-subject', 1, 'ana@example.com'),
  ('https://id.example.test', 'bogdan-subject', 2, 'bogdan@example.com');

INSERT INTO accounts (id, client_id, kind, iban, name, name_ro, currency, balance, credit_limit, opened_on, closed_on, status) VALUES
  (11, 1, 'current',   'RO49RNCB0000000012341234', 'Current account', 'Cont curent', 'RON', 12345.60, NULL, '2020-01-10', NULL, 'open'),
  (12, 1, 'savings',   'RO49RNCB0000000012345678', 'Savings', 'Economii', 'EUR', 2500.00, NULL, '2021-03-01', NULL, 'open'),
  (13, 1, 'card',      NULL, 'Visa Classic', 'Visa Classic', 'RON', -150.25, 5000.00, '2022-05-05', NULL, 'open'),
  (14, 1, 'brokerage', 'RO49RNCB0000000012340014', 'Investments', 'Investiții', 'EUR', 0, NULL, '2023-01-01', NULL, 'open'),
  (15, 1, 'current',   'RO49RNCB0000000012340015', 'Old account', 'Cont vechi', 'RON', 0, NULL, '2015-01-01', '2019-01-01', 'closed'),
  (21, 2, 'current',   'RO49RNCB0000000012349999', 'Bogdan account', 'Cont Bogdan', 'EUR', 999.99, NULL, '2020-01-01', NULL, 'open');

-- Ana's current account: monthly rent by standing order, a monthly direct
-- debit, five irregular transfers to her brother, a salary, a one-off
-- payment and, more than a year ago, a gym she no longer pays.
INSERT INTO account_transactions (account_id, client_id, booked_at, value_date, amount, currency, kind, counterparty_name, description, channel)
SELECT 11, 1, (d + time '08:00') AT TIME ZONE 'UTC', d::date, -2000.00, 'RON', 'standing_order', 'Landlord SRL', 'Chirie', 'system'
FROM generate_series(date '2025-12-01', date '2026-11-01', interval '1 month') d;
INSERT INTO account_transactions (account_id, client_id, booked_at, value_date, amount, currency, kind, counterparty_name, description, channel)
SELECT 11, 1, (d + time '08:00') AT TIME ZONE 'UTC', d::date, -85.40, 'RON', 'direct_debit', 'Enel Energie', 'Factura energie', 'system'
FROM generate_series(date '2025-12-15', date '2026-10-15', interval '1 month') d;
INSERT INTO account_transactions (account_id, client_id, booked_at, value_date, amount, currency, kind, counterparty_name, description, channel) VALUES
  (11, 1, '2026-11-15 08:00Z', '2026-11-15', -92.10, 'RON', 'direct_debit', 'Enel Energie', 'Factura energie', 'system');
INSERT INTO account_transactions (account_id, client_id, booked_at, value_date, amount, currency, kind, counterparty_name, counterparty_iban, description, channel) VALUES
  (11, 1, '2026-02-10 08:00Z', '2026-02-10', -250.00, 'RON', 'transfer_out', 'Ion Popescu', 'RO49RNCB0000000099990001', 'Pentru Ion', 'web'),
  (11, 1, '2026-05-03 08:00Z', '2026-05-03', -300.00, 'RON', 'transfer_out', 'Ion Popescu', 'RO49RNCB0000000099990001', 'Pentru Ion', 'mobile'),
  (11, 1, '2026-07-20 08:00Z', '2026-07-20', -200.00, 'RON', 'transfer_out', 'Ion Popescu', 'RO49RNCB0000000099990001', 'Pentru Ion', 'web'),
  (11, 1, '2026-09-09 08:00Z', '2026-09-09', -350.00, 'RON', 'transfer_out', 'Ion Popescu', 'RO49RNCB0000000099990001', 'Pentru Ion', 'web'),
  (11, 1, '2026-11-20 08:00Z', '2026-11-20', -300.00, 'RON', 'transfer_out', 'Ion Popescu', 'RO49RNCB0000000099990001', 'Pentru Ion', 'mobile'),
  (11, 1, '2026-10-02 08:00Z', '2026-10-02', -1450.00, 'RON', 'transfer_out', 'Dacia Service', NULL, 'Revizie', 'web'),
  (11, 1, '2026-11-25 09:30Z', '2026-11-25', 8000.00, 'RON', 'salary', 'Employer SA', NULL, 'Salariu noiembrie', 'system');
INSERT INTO account_transactions (account_id, client_id, booked_at, value_date, amount, currency, kind, counterparty_name, description, channel)
SELECT 11, 1, (d + time '08:00') AT TIME ZONE 'UTC', d::date, -120.00, 'RON', 'standing_order', 'Old Gym', 'Abonament', 'system'
FROM generate_series(date '2025-06-01', date '2025-10-01', interval '1 month') d;
-- Monthly top-ups booked on Ana's card.
INSERT INTO account_transactions (account_id, client_id, booked_at, value_date, amount, currency, kind, counterparty_name, description, channel)
SELECT 13, 1, (d + time '08:00') AT TIME ZONE 'UTC', d::date, 500.00, 'RON', 'card_top_up', NULL, 'Alimentare', 'web'
FROM generate_series(date '2026-08-05', date '2026-11-05', interval '1 month') d;
-- Bogdan pays the same landlord, often: it must not count for Ana.
INSERT INTO account_transactions (account_id, client_id, booked_at, value_date, amount, currency, kind, counterparty_name, description, channel)
SELECT 21, 2, (d + time '08:00') AT TIME ZONE 'UTC', d::date, -700.00, 'EUR', 'transfer_out', 'Landlord SRL', 'Rent', 'web'
FROM generate_series(date '2026-01-03', date '2026-11-03', interval '1 week') d;

INSERT INTO instruments (id, symbol, isin, name, kind, currency, risk_class) VALUES
  (1, 'ACME', 'RO1234567890', 'Acme SA', 'equity', 'EUR', 5),
  (3, 'WRLD', NULL, 'World ETF', 'etf', 'USD', 4),
  (5, 'FUND', NULL, 'Fond Prudent', 'fund', 'EUR', 2);
INSERT INTO instruments (id, symbol, name, kind, currency, risk_class, maturity_on, coupon_rate, face_value) VALUES
  (2, 'ROGB30', 'Romania 2030', 'bond', 'EUR', 2, '2030-06-01', 0.045, 100.00);
INSERT INTO instruments (id, symbol, name, kind, currency, risk_class, underlying_id, option_type, strike, expires_on, contract_multiplier) VALUES
  (4, 'ACME-C110', 'Acme call 110', 'option', 'EUR', 7, 1, 'call', 110, '2026-12-18', 100);
INSERT INTO instrument_prices (instrument_id, price_date, close) VALUES
  (1, '2026-11-24', 100.000000), (1, '2026-11-25', 101.255000), (1, '2026-11-27', 999.000000),
  (2, '2026-11-25', 99.500000), (3, '2026-11-25', 45.123456), (4, '2026-11-25', 1.234000);
INSERT INTO positions (client_id, account_id, instrument_id, quantity, average_cost, opened_on) VALUES
  (1, 14, 1, 12.5, 90.1234, '2024-01-01'),
  (1, 14, 2, 3, 100, '2024-01-01'),
  (1, 14, 3, 10, 40, '2024-01-01'),
  (1, 14, 4, 2, 1.5, '2026-10-01'),
  (1, 14, 5, 5, 10, '2026-11-20'),
  (2, 21, 1, 1000, 50, '2024-01-01');

INSERT INTO insurance_policies (id, client_id, policy_number, insurer, line, status, starts_on, ends_on, sum_insured, premium, currency, premium_frequency) VALUES
  (31, 1, 'HOME-0031', 'Allianz-Țiriac', 'home', 'active', '2026-01-01', '2027-01-01', 150000.00, 45.00, 'RON', 'monthly'),
  (32, 1, 'LIFE-0032', 'NN', 'life', 'active', '2025-03-01', '2045-03-01', 100000.00, 1200.00, 'EUR', 'annual'),
  (33, 1, 'AUTO-0033', 'Groupama', 'motor', 'lapsed', '2026-01-01', '2027-01-01', 20000.00, 80.00, 'RON', 'monthly'),
  (34, 1, 'TRVL-0034', 'Omniasig', 'travel', 'expired', '2025-07-01', '2025-07-15', 30000.00, 25.00, 'EUR', 'single'),
  (35, 1, 'HLTH-0035', 'Signal Iduna', 'health', 'active', '2026-02-20', '2027-02-20', 50000.00, 210.00, 'RON', 'quarterly'),
  (41, 2, 'HOME-0041', 'Allianz-Țiriac', 'home', 'active', '2026-01-01', '2027-01-01', 90000.00, 30.00, 'EUR', 'monthly');
INSERT INTO premium_instalments (id, policy_id, client_id, due_on, amount, currency, status) VALUES
  (301, 31, 1, '2026-09-01', 45.00, 'RON', 'paid'),
  (302, 31, 1, '2026-10-01', 45.00, 'RON', 'paid'),
  (303, 31, 1, '2026-11-01', 45.00, 'RON', 'late'),
  (304, 31, 1, '2026-12-01', 45.00, 'RON', 'scheduled'),
  (321, 32, 1, '2026-03-01', 1200.00, 'EUR', 'paid'),
  (322, 32, 1, '2027-03-01', 1200.00, 'EUR', 'scheduled'),
  (331, 33, 1, '2026-06-01', 80.00, 'RON', 'missed'),
  (332, 33, 1, '2026-07-01', 80.00, 'RON', 'missed'),
  (351, 35, 1, '2026-08-20', 210.00, 'RON', 'paid'),
  (352, 35, 1, '2026-11-20', 210.00, 'RON', 'scheduled'),
  (411, 41, 2, '2026-11-01', 30.00, 'EUR', 'missed');
INSERT INTO premium_payments (instalment_id, policy_id, client_id, paid_at, amount, currency, method) VALUES
  (301, 31, 1, '2026-09-01 06:00Z', 45.00, 'RON', 'direct_debit'),
  (302, 31, 1, '2026-10-01 06:00Z', 45.00, 'RON', 'direct_debit');
INSERT INTO claims (policy_id, client_id, reference, incident_on, reported_at, description, claimed_amount, currency, status) VALUES
  (31, 1, 'CLM-1', '2026-06-10', '2026-06-11 12:00Z', 'Inundație în baie', 3200.50, 'RON', 'in_review');

INSERT INTO credit_lines (id, client_id, account_id, kind, source, lender, credit_limit, balance, currency, interest_rate, monthly_payment, opened_on, closed_on, status) VALUES
  (51, 1, NULL, 'mortgage', 'internal', 'ecrm Bank', 300000.00, 250000.00, 'RON', 0.0625, 1850.75, '2020-06-14', NULL, 'active'),
  (52, 1, 13, 'credit_card', 'bureau', 'Other Bank', 5000.00, 0, 'RON', NULL, NULL, '2022-05-05', NULL, 'active'),
  (53, 1, NULL, 'consumer_loan', 'internal', 'ecrm Bank', 10000.00, 0, 'RON', 0.09, 0, '2018-01-01', '2021-01-01', 'closed'),
  (61, 2, NULL, 'car_loan', 'internal', 'ecrm Bank', 20000.00, 15000.00, 'EUR', 0.07, 400.00, '2024-01-01', NULL, 'active');
INSERT INTO credit_payments (credit_line_id, client_id, period, amount_due, amount_paid, currency, status) VALUES
  (51, 1, '2026-10-01', 1850.75, 1850.75, 'RON', 'on_time'),
  (51, 1, '2026-11-01', 1850.75, 1850.75, 'RON', 'on_time');

INSERT INTO interactions (id, client_id, channel, direction, subject, notes, occurred_at) VALUES
  (71, 1, 'phone', 'inbound', 'Întrebare despre card', '', '2026-10-01 09:00Z'),
  (72, 1, 'email', 'outbound', 'Extras de cont', '', '2026-10-15 09:00Z'),
  (73, 1, 'visit', 'inbound', 'Deschidere depozit', 'A semnat contractul.', '2026-11-02 11:00Z'),
  (74, 1, 'web', 'inbound', 'Mesaj din portal', '', '2026-11-10 17:45Z'),
  (75, 1, 'mail', 'outbound', 'Scrisoare de bun venit', '', '2026-11-20 08:00Z'),
  (76, 1, 'phone', 'outbound', 'Ofertă asigurare locuință', '', '2026-11-25 14:05Z'),
  (81, 2, 'phone', 'inbound', 'Secret Bogdan', '', '2026-11-25 15:00Z');

INSERT INTO consents (client_id, purpose, channel, granted, wording_version, source, recorded_at) VALUES
  (1, 'marketing', 'email', true, '2026-11', 'portal', '2026-11-01 10:00Z'),
  (1, 'marketing', 'sms', true, '2025-01', 'paper', '2025-02-01 10:00Z'),
  (1, 'marketing', 'sms', false, '2025-01', 'portal', '2025-06-01 10:00Z'),
  (1, 'profiling', 'any', true, '2025-01', 'advisor', '2025-03-01 10:00Z'),
  (2, 'marketing', 'phone', true, '2026-11', 'portal', '2026-11-01 10:00Z');

INSERT INTO portal_actions (client_id, action, target, occurred_at) VALUES
  (1, 'account.view', '12', '2026-11-25 10:00Z'),
  (1, 'account.view', '12', '2026-11-24 10:00Z'),
  (1, 'account.view', '12', '2026-11-23 10:00Z'),
  (1, 'calculator.open', 'loan', '2026-11-16 10:00Z'),
  (1, 'calculator.open', 'loan', '2026-11-16 10:00Z'),
  (1, 'calculator.open', 'loan', '2026-11-16 10:00Z'),
  (1, 'calculator.open', 'loan', '2026-11-16 10:00Z'),
  (1, 'payee.view', '11:Ion Popescu', '2026-11-25 10:00Z'),
  (1, 'payee.view', '11:Ion Popescu', '2026-11-25 10:00Z'),
  (1, 'profile.view', '', '2026-08-18 10:00Z'),
  (1, 'profile.view', '', '2026-08-18 10:00Z'),
  (1, 'account.view', '21', '2026-11-25 10:00Z'),
  (1, 'account.view', '21', '2026-11-25 10:00Z'),
  (2, 'calculator.open', 'deposit', '2026-11-25 10:00Z'),
  (2, 'calculator.open', 'deposit', '2026-11-25 10:00Z');

INSERT INTO profile_changes (client_id, field, old_value, new_value, actor_kind, changed_at) VALUES
  (2, 'city', 'Cluj', 'Iași', 'client', '2026-10-01 10:00Z');

INSERT INTO email_verifications (client_id, email, token_hash, requested_at, expires_at)
VALUES (1, 'ana.new@example.com', '\x9f0d2b8cb97284ac453ee0ab1cd731483cc5631bce143d4336848c60bfe2ada7', '2026-11-26 09:00+00', '2026-11-27 09:00+00');

-- A letter sent to Ana (9001) and one her advisor has not sent (9002).
INSERT INTO staff_users (id, email, display_name, roles) VALUES (501, 'maria@bank.test', 'Maria Advisor', '{advisor}');
INSERT INTO documents (id, client_id, kind, language, template_version, sha256, pdf, created_by, created_at, sent_at, sent_by)
OVERRIDING SYSTEM VALUE VALUES
  (9001, 1, 'offer_letter', 'en', 1, repeat('a', 64), '%PDF-1.4 sent', 501, '2026-11-20 10:00Z', '2026-11-20 11:00Z', 501),
  (9002, 1, 'meeting_summary', 'en', 1, repeat('b', 64), '%PDF-1.4 draft', 501, '2026-11-21 10:00Z', NULL, NULL);

-- Ana's question about her card (9101) with a scan (9301), answered by
-- her advisor.
INSERT INTO service_requests (id, client_id, kind, subject, status, assignee_staff_id, due_at, created_at, updated_at, first_answer_at)
OVERRIDING SYSTEM VALUE VALUES (9101, 1, 'question', 'HOME-0031 card limit', 'answered', 501, '2026-11-24 17:00Z', '2026-11-23 10:00Z', '2026-11-23 12:00Z', '2026-11-23 12:00Z');
INSERT INTO service_messages (id, request_id, author, staff_id, body, created_at) OVERRIDING SYSTEM VALUE VALUES
  (9201, 9101, 'client', NULL, 'Can I raise my card limit?', '2026-11-23 10:00Z'),
  (9202, 9101, 'staff', 501, 'Yes, to 5,000 RON.', '2026-11-23 12:00Z');
INSERT INTO service_attachments (id, message_id, file_name, content_type, size, sha256, content) OVERRIDING SYSTEM VALUE VALUES
  (9301, 9201, 'scan.txt', 'text/plain', 12, repeat('c', 64), 'HOME-0031 ok');
`

// newFixture returns a fresh database holding the fixture.
func newFixture(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pool := pgtest.New(tb)
	if _, err := pool.Exec(context.Background(), fixtureSQL); err != nil {
		tb.Fatalf("load fixture: %v", err)
	}
	return pool
}

// anaOfferSeq is the decision record of the offer addAnaOffer shows Ana.
const anaOfferSeq = "1"

// addAnaOffer records an offer shown to Ana (the first record of the
// log), for the routes about one offer.
func addAnaOffer(tb testing.TB, pool *pgxpool.Pool) {
	tb.Helper()
	appended, err := compliance.NewLog(pool).Append(context.Background(), compliance.Record{Kind: compliance.KindOfferShown, ClientID: ana,
		Engine: crosssell.NBOEngine, EngineVersion: crosssell.NBOVersion, RuleVersion: "r1", Channel: "web",
		Actor: compliance.Actor{Kind: compliance.ActorSystem}, Outcome: compliance.OutcomeShown})
	if err != nil || strconv.FormatInt(appended[0].Seq, 10) != anaOfferSeq {
		tb.Fatalf("Ana's offer: %v %v", appended, err)
	}
}

// mapSession is the person's session in tests.
type mapSession struct {
	mu     sync.Mutex
	values map[string]string
}

func (m *mapSession) Put(_ context.Context, key string, val any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.values == nil {
		m.values = map[string]string{}
	}
	m.values[key] = val.(string)
}

func (m *mapSession) PopString(_ context.Context, key string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.values[key]
	delete(m.values, key)
	return v
}

var testRenderer = sync.OnceValues(func() (*page.Renderer, error) { return page.New(Templates) })

func renderer(tb testing.TB) *page.Renderer {
	tb.Helper()
	r, err := testRenderer()
	if err != nil {
		tb.Fatalf("page.New(Templates): %v", err)
	}
	return r
}

// newTestHandler returns the portal handler on pool with the clock at
// testNow.
func newTestHandler(tb testing.TB, pool *pgxpool.Pool) *Handler {
	h := NewHandler(pool, renderer(tb))
	h.svc.now = func() time.Time { return testNow }
	// E-mail is written to the outbox; an insert-only queue keeps its
	// sending jobs, which the tests read from the tables.
	queue, err := jobs.New(pool, nil, jobs.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	mail := outbox.New(pool, nil)
	mail.SetQueue(queue)
	h.svc.SetMailer(mail, "https://portal.test")
	docs, err := document.New()
	if err != nil {
		tb.Fatal(err)
	}
	h.SetDocuments(docs, "ecrm Bank")
	h.SetDealDocuments(pipeline.NewStore(pool, pipeline.DefaultBusinessHours(time.UTC)))
	desk := servicedesk.New(pool, mail, pipeline.DefaultBusinessHours(time.UTC), servicedesk.Config{BaseURL: "https://portal.test"})
	desk.SetClock(func() time.Time { return testNow })
	h.SetServiceDesk(desk)
	gate := compliance.NewGate(compliance.NewFactsReader(pool), compliance.NewLog(pool))
	arbiter := crosssell.NewArbiter(pool, products.NewEngine(products.NewStore(pool)), gate, crosssell.NewStore(pool))
	arbiter.SetFulfilment(compliance.NewPortal(pool), pipeline.NewStore(pool, pipeline.DefaultBusinessHours(time.UTC)))
	h.SetOffers(arbiter, &mapSession{}, identity.DefaultStepUpAge)
	return h
}

// anaLinkToken is the token of Ana's pending change of e-mail address.
const anaLinkToken = "ana-link-token"

// testClientHeader names the client a test request is made as; "staff"
// makes it a member of staff; without it the request is anonymous.
const testClientHeader = "X-Test-Client"

// testPrincipal stands in for the real login: it puts the principal named
// by testClientHeader in the context.
func testPrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch v := r.Header.Get(testClientHeader); v {
		case "":
		case "staff":
			r = r.WithContext(ecrm.WithPrincipal(r.Context(), &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 1, Roles: []string{ecrm.RoleAdvisor}, Name: "Staff"}))
		default:
			// "1" is client 1 logged in long ago; "1+fresh" just now.
			v, fresh := strings.CutSuffix(v, "+fresh")
			id, _ := strconv.ParseInt(v, 10, 64)
			p := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: id, Name: "Client " + v, AuthTime: time.Now().Add(-time.Hour)}
			if fresh {
				p.AuthTime = time.Now()
			}
			r = r.WithContext(ecrm.WithPrincipal(r.Context(), p))
		}
		next.ServeHTTP(w, r)
	})
}

// newRouter serves the portal as cmd/ecrm does, with testPrincipal in
// place of the login.
func newRouter(h *Handler, principal func(http.Handler) http.Handler) http.Handler {
	r := chi.NewRouter()
	r.Use(web.RequestID(slog.New(slog.NewTextHandler(io.Discard, nil))), i18n.Middleware, principal)
	r.Method(http.MethodGet, page.StaticPrefix+"*", h.pages.StaticHandler())
	h.Routes(r)
	return r
}

// request is one test request.
type request struct {
	method, path string
	client       string // testClientHeader value
	body         string
	contentType  string
	lang         string
}

func do(tb testing.TB, h http.Handler, req request) *httptest.ResponseRecorder {
	tb.Helper()
	if req.method == "" {
		req.method = http.MethodGet
	}
	r := httptest.NewRequest(req.method, req.path, strings.NewReader(req.body))
	if req.client != "" {
		r.Header.Set(testClientHeader, req.client)
	}
	if req.contentType != "" {
		r.Header.Set("Content-Type", req.contentType)
	}
	if req.lang != "" {
		r.Header.Set("Accept-Language", req.lang)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func asClient(id int64) string { return strconv.FormatInt(id, 10) }
