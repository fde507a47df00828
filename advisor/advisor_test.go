package advisor

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/pgtest"
	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/risk"
)

// testNow is the clock of every test: Sunday 15 November 2026, 10:00 UTC.
// The credit history window is December 2023 to November 2026.
var testNow = time.Date(2026, time.November, 15, 10, 0, 0, 0, time.UTC)

// principalHeader carries the test principal: "staff:<id>:<role,role>" or
// "client:<id>"; no header is an anonymous caller.
const principalHeader = "X-Test-Principal"

// withTestPrincipal stands in for the session layer.
func withTestPrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if spec := r.Header.Get(principalHeader); spec != "" {
			parts := strings.Split(spec, ":")
			id, _ := strconv.ParseInt(parts[1], 10, 64)
			p := &ecrm.Principal{Name: "Test " + spec}
			switch parts[0] {
			case "staff":
				p.Kind, p.StaffID = ecrm.PrincipalStaff, id
				if len(parts) > 2 && parts[2] != "" {
					p.Roles = strings.Split(parts[2], ",")
				}
			case "client":
				p.Kind, p.ClientID = ecrm.PrincipalClient, id
			}
			r = r.WithContext(ecrm.WithPrincipal(r.Context(), p))
		}
		next.ServeHTTP(w, r)
	})
}

// The principals of the fixture.
const (
	asAdvisorA   = "staff:1:advisor"
	asAdvisorB   = "staff:2:advisor"
	asCompliance = "staff:3:compliance"
	asAdmin      = "staff:4:admin"
	asNoRole     = "staff:5:"
	asClient     = "client:103"
	anonymous    = ""
)

// Client ids of the fixture. Advisor A's book: Albu, Ionescu Maria,
// Popescu, Ștefănescu. Advisor B's: Ionescu Radu, Popa, Zamfir. Stan has
// no advisor.
const (
	mariaIonescu   int64 = 101 // A; the client with everything
	raduIonescu    int64 = 102 // B; Maria's spouse, same household
	anaPopescu     int64 = 103 // A; vulnerable, 90+ days late
	raduStefanescu int64 = 104 // A; Maria's parent, late in the past
	danAlbu        int64 = 105 // A; no birth date
	elenaZamfir    int64 = 106 // B
	ionPopa        int64 = 107 // B
	mihaiStan      int64 = 108 // no advisor
)

// Credit lines of Maria Ionescu.
const (
	mariaMortgage int64 = 201
	mariaCard     int64 = 202
)

const fixtureSQL = `
INSERT INTO staff_users (id, email, display_name, roles) VALUES
  (1, 'ana.advisor@bank.test', 'Ana Advisor', '{advisor}'),
  (2, 'bogdan.advisor@bank.test', 'Bogdan Advisor', '{advisor}'),
  (3, 'carmen.compliance@bank.test', 'Carmen Compliance', '{compliance}'),
  (4, 'dan.admin@bank.test', 'Dan Admin', '{admin}'),
  (5, 'elena.norole@bank.test', 'Elena Norole', '{}');

INSERT INTO households (id, name) VALUES (1, 'Ionescu family');

INSERT INTO clients (id, given_name, family_name, birth_date, marital_status, dependants, annual_income, income_currency,
                     employment_status, occupation, employer, address_line1, city, postal_code, country, email,
                     email_verified, phone, preferred_channel, kyc_status, kyc_verified_at, vulnerable, segment,
                     advisor_id, household_id, created_at) VALUES
  (101, 'Maria', 'Ionescu', '1980-11-16', 'married', 2, 84000.00, 'RON', 'employed', 'Engineer', 'Acme SRL',
   'Strada Lipscani 10', 'București', '030031', 'RO', 'maria.ionescu@mail.test', true, '+40 721 000 001', 'phone',
   'verified', '2024-02-01 09:00+00', false, 'affluent', 1, 1, '2015-03-01 08:00+00'),
  (102, 'Radu', 'Ionescu', '1978-03-01', 'married', 2, NULL, NULL, 'self_employed', NULL, NULL,
   NULL, NULL, NULL, NULL, 'radu.ionescu@mail.test', true, NULL, NULL, 'verified', '2024-02-01 09:00+00', false, 'mass', 2, 1, '2016-01-01 08:00+00'),
  (103, 'Ana', 'Popescu', '1990-06-30', 'single', 0, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, 'ana.popescu@mail.test', false, NULL, NULL, 'pending', NULL, true, 'mass', 1, NULL, '2020-01-01 08:00+00'),
  (104, 'Radu', 'Ștefănescu', '1955-01-10', 'widowed', 0, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, false, NULL, NULL, 'verified', '2024-02-01 09:00+00', false, 'private', 1, NULL, '2010-01-01 08:00+00'),
  (105, 'Dan', 'Albu', NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, 'dan@albu.test', true, NULL, NULL, 'expired', NULL, false, 'emerging_affluent', 1, NULL, '2021-01-01 08:00+00'),
  (106, 'Elena', 'Zamfir', '1985-05-05', NULL, 0, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, 'elena.zamfir@mail.test', true, NULL, NULL, 'verified', '2024-02-01 09:00+00', false, 'mass', 2, NULL, '2019-01-01 08:00+00'),
  (107, 'Ion', 'Popa', '1970-07-07', NULL, 0, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, 'ion.popa@mail.test', true, NULL, NULL, 'verified', '2024-02-01 09:00+00', false, 'affluent', 2, NULL, '2018-01-01 08:00+00'),
  (108, 'Mihai', 'Stan', '2001-02-02', NULL, 0, NULL, NULL, 'student', NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, false, NULL, NULL, 'pending', NULL, false, 'prospect', NULL, NULL, '2026-01-01 08:00+00');

INSERT INTO client_relationships (client_id, related_client_id, kind, since) VALUES
  (101, 102, 'spouse', '2005-06-18'),
  (104, 101, 'dependant', NULL);

INSERT INTO accounts (id, client_id, kind, iban, name, currency, balance, credit_limit, interest_rate, opened_on, closed_on, status) VALUES
  (301, 101, 'current', 'RO49AAAA1B31007593840000', 'Current account', 'RON', 1500.50, NULL, NULL, '2015-03-01', NULL, 'open'),
  (302, 101, 'savings', 'RO49AAAA1B31007593840001', 'Savings', 'RON', 10000.00, NULL, 0.025, '2016-01-01', NULL, 'open'),
  (303, 101, 'savings', 'RO49AAAA1B31007593840002', 'Euro savings', 'EUR', 2500.00, NULL, 0.015, '2017-01-01', NULL, 'open'),
  (304, 101, 'loan', 'RO49AAAA1B31007593840003', 'Mortgage', 'RON', -50000.00, NULL, 0.055, '2018-01-01', NULL, 'open'),
  (305, 101, 'current', 'RO49AAAA1B31007593840004', 'Old account', 'RON', 999.99, NULL, NULL, '2010-01-01', '2014-01-01', 'closed'),
  (306, 101, 'brokerage', NULL, 'Brokerage', 'EUR', 0, NULL, NULL, '2019-01-01', NULL, 'open'),
  (307, 103, 'current', 'RO49AAAA1B31007593840005', 'Current account', 'RON', 120.75, NULL, NULL, '2020-01-01', NULL, 'open'),
  (308, 102, 'current', 'RO49AAAA1B31007593840006', 'Current account', 'RON', 3000.00, NULL, NULL, '2016-01-01', NULL, 'open');

INSERT INTO instruments (id, symbol, isin, name, kind, currency, risk_class, underlying_id, option_type, strike, expires_on,
                         contract_multiplier, maturity_on, coupon_rate, face_value) VALUES
  (401, 'ACME', NULL, 'Acme Industries', 'equity', 'EUR', 5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (402, 'ACME-P11', NULL, 'Acme put 11 Jan 2027', 'option', 'EUR', 7, 401, 'put', 11, '2027-01-15', 100, NULL, NULL, NULL),
  (403, 'ROGB30', NULL, 'Romania 2030 bond', 'bond', 'EUR', 2, NULL, NULL, NULL, NULL, NULL, '2030-01-01', 0.05, 1000);

INSERT INTO instrument_prices (instrument_id, price_date, close) VALUES
  (401, '2026-11-13', 12.3456), (401, '2026-11-14', 12.5), (402, '2026-11-14', 0.35);

INSERT INTO positions (client_id, account_id, instrument_id, quantity, average_cost, opened_on) VALUES
  (101, 306, 401, 10.5, 10, '2020-01-01'),
  (101, 306, 402, 2, 0.5, '2026-10-01'),
  (101, 306, 403, 3, 990, '2021-01-01');

INSERT INTO insurance_policies (id, client_id, policy_number, insurer, line, status, starts_on, ends_on, sum_insured, premium,
                                currency, premium_frequency) VALUES
  (501, 101, 'P-1', 'Asigurări SA', 'home', 'active', '2026-01-01', '2027-01-01', 300000.00, 120.00, 'RON', 'monthly'),
  (502, 101, 'P-2', 'Asigurări SA', 'travel', 'expired', '2025-07-01', '2025-07-15', 30000.00, 45.00, 'EUR', 'single');

INSERT INTO premium_instalments (policy_id, client_id, due_on, amount, currency, status) VALUES
  (501, 101, '2026-09-01', 120.00, 'RON', 'paid'),
  (501, 101, '2026-10-01', 120.00, 'RON', 'late'),
  (501, 101, '2026-11-01', 120.00, 'RON', 'scheduled'),
  (501, 101, '2026-12-01', 120.00, 'RON', 'scheduled'),
  (502, 101, '2025-07-01', 45.00, 'EUR', 'paid');

INSERT INTO claims (policy_id, client_id, reference, incident_on, reported_at, description, claimed_amount, approved_amount,
                    paid_amount, currency, status) VALUES
  (501, 101, 'C-1', '2026-05-02', '2026-05-03 10:00+00', 'Water damage in the kitchen', 1000.00, 800.00, NULL, 'RON', 'approved');

INSERT INTO credit_lines (id, client_id, kind, source, lender, credit_limit, balance, currency, interest_rate, monthly_payment,
                          opened_on, closed_on, status) VALUES
  (201, 101, 'mortgage', 'internal', 'This bank', 200000.00, 150000.00, 'RON', 0.055, 1200.00, '2018-01-01', NULL, 'active'),
  (202, 101, 'credit_card', 'bureau', 'Other Bank', 5000.00, 4000.00, 'RON', 0.2, NULL, '2026-06-01', NULL, 'active'),
  (203, 103, 'consumer_loan', 'internal', 'This bank', 10000.00, 9000.00, 'RON', 0.12, 300.00, '2025-01-01', NULL, 'active'),
  (204, 104, 'car_loan', 'internal', 'This bank', 30000.00, 5000.00, 'RON', 0.08, 500.00, '2022-01-01', NULL, 'active'),
  (205, 104, 'overdraft', 'internal', 'This bank', 1000.00, 0.00, 'RON', 0.15, NULL, '2020-01-01', '2026-01-01', 'closed'),
  (206, 106, 'consumer_loan', 'internal', 'This bank', 8000.00, 7000.00, 'RON', 0.12, 250.00, '2025-01-01', NULL, 'active');

-- Maria's mortgage: on time every month of the window but 60 days late in
-- March 2024 and 30 days late in February 2025; a default in November 2023
-- lies outside the window.
INSERT INTO credit_payments (credit_line_id, client_id, period, amount_due, amount_paid, currency, status)
SELECT 201, 101, m::date, 1200.00, 1200.00, 'RON',
       CASE m::date WHEN '2024-03-01' THEN 'late_60' WHEN '2025-02-01' THEN 'late_30' ELSE 'on_time' END
FROM generate_series('2023-11-01'::date, '2026-11-01'::date, interval '1 month') m;
UPDATE credit_payments SET status = 'default', amount_paid = 0 WHERE credit_line_id = 201 AND period = '2023-11-01';

-- Maria's card, reported by the bureau since June 2026.
INSERT INTO credit_payments (credit_line_id, client_id, period, amount_due, amount_paid, currency, status) VALUES
  (202, 101, '2026-06-01', 100.00, 100.00, 'RON', 'on_time'),
  (202, 101, '2026-07-01', 100.00, 100.00, 'RON', 'on_time'),
  (202, 101, '2026-08-01', 100.00, 50.00, 'RON', 'late_30'),
  (202, 101, '2026-09-01', 150.00, 0.00, 'RON', 'late_60'),
  (202, 101, '2026-10-01', 250.00, 250.00, 'RON', 'on_time'),
  (202, 101, '2026-11-01', 100.00, 0.00, 'RON', 'late_60'),
  (203, 103, '2026-10-01', 300.00, 0.00, 'RON', 'late_60'),
  (203, 103, '2026-11-01', 300.00, 0.00, 'RON', 'late_90_plus'),
  (204, 104, '2026-10-01', 500.00, 0.00, 'RON', 'late_30'),
  (204, 104, '2026-11-01', 1000.00, 1000.00, 'RON', 'on_time'),
  (205, 104, '2025-12-01', 100.00, 0.00, 'RON', 'default'),
  (206, 106, '2026-11-01', 250.00, 0.00, 'RON', 'late_30');

INSERT INTO interactions (client_id, staff_id, channel, direction, subject, notes, occurred_at) VALUES
  (101, 1, 'phone', 'inbound', 'Mortgage question', 'Asked about early repayment.', '2026-11-10 09:30+00'),
  (101, 1, 'email', 'outbound', 'Statement sent', '', '2026-11-12 14:00+00'),
  (101, NULL, 'visit', 'inbound', 'Branch visit', 'Came in to update documents.', '2026-10-01 11:00+00'),
  (103, NULL, 'web', 'inbound', 'Portal message', 'Asked for a call back.', '2026-11-14 08:15+00'),
  (106, 2, 'phone', 'outbound', 'Courtesy call', '', '2026-11-13 10:00+00');

INSERT INTO consents (client_id, purpose, channel, granted, wording_version, source, recorded_at) VALUES
  (101, 'marketing', 'email', true, 'v1', 'portal', '2026-01-01 10:00+00'),
  (101, 'marketing', 'email', false, 'v2', 'advisor', '2026-06-01 10:00+00'),
  (101, 'profiling', 'any', true, 'v1', 'paper', '2025-05-05 10:00+00');

INSERT INTO profile_changes (client_id, field, old_value, new_value, actor_kind, staff_id, changed_at) VALUES
  (101, 'email', 'm.ionescu@old.test', 'maria.ionescu@mail.test', 'staff', 1, '2026-11-01 12:00+00'),
  (101, 'phone', NULL, '+40 721 000 001', 'client', NULL, '2026-10-01 12:00+00'),
  (101, 'marital_status', 'single', 'married', 'client', NULL, '2026-09-01 12:00+00');
`

// fixture is a database with the fixture's rows and the console served on
// it with the test clock.
type fixture struct {
	pool    *pgxpool.Pool
	handler *Handler
	router  http.Handler
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), fixtureSQL); err != nil {
		t.Fatalf("insert fixture: %v", err)
	}
	return newFixtureOn(t, pool)
}

func newFixtureOn(t testing.TB, pool *pgxpool.Pool) *fixture {
	t.Helper()
	pages, err := page.New(Templates, risk.Templates)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(pool, pages)
	h.store.now = func() time.Time { return testNow }
	h.SetLocation(time.UTC)
	portfolios := risk.NewPortfolios(pool, risk.DefaultPortfolioConfig())
	portfolios.SetClock(func() time.Time { return testNow })
	portfolios.SetZone(time.UTC)
	h.SetPortfolios(portfolios)
	return &fixture{pool: pool, handler: h, router: testRouter(h)}
}

// testRouter serves the console as cmd/ecrm does, with the test principal
// in place of the session.
func testRouter(h *Handler) http.Handler {
	r := chi.NewRouter()
	r.Use(web.RequestID(slog.New(slog.NewTextHandler(io.Discard, nil))), i18n.Middleware, withTestPrincipal)
	h.Routes(r)
	return r
}

// request is one call to the console.
type request struct {
	method string
	path   string
	as     string
	body   string
	// form, when true, sends body as a form; otherwise as JSON.
	form           bool
	acceptLanguage string
}

func (f *fixture) do(t testing.TB, req request) *httptest.ResponseRecorder {
	t.Helper()
	if req.method == "" {
		req.method = http.MethodGet
	}
	r := httptest.NewRequest(req.method, req.path, strings.NewReader(req.body))
	if req.as != "" {
		r.Header.Set(principalHeader, req.as)
	}
	if req.body != "" {
		if req.form {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			r.Header.Set("Content-Type", "application/json")
		}
	}
	if req.acceptLanguage != "" {
		r.Header.Set("Accept-Language", req.acceptLanguage)
	}
	w := httptest.NewRecorder()
	f.router.ServeHTTP(w, r)
	return w
}

// getJSON calls an API route, checks the status and decodes the body.
func (f *fixture) getJSON(t testing.TB, path, as string, wantStatus int, v any) {
	t.Helper()
	w := f.do(t, request{path: path, as: as})
	if w.Code != wantStatus {
		t.Fatalf("GET %s as %q: status %d, want %d; body %s", path, as, w.Code, wantStatus, w.Body)
	}
	if v != nil {
		if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
			t.Fatalf("GET %s: decode %T: %v; body %s", path, v, err, w.Body)
		}
	}
}

// problem is the part of a problem document the tests look at.
type problem struct {
	Status int `json:"status"`
	Detail string
	Errors []ecrm.FieldError `json:"errors"`
}

func decodeProblem(t testing.TB, w *httptest.ResponseRecorder) problem {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != web.ProblemContentType {
		t.Fatalf("Content-Type %q, want %q; body %s", ct, web.ProblemContentType, w.Body)
	}
	var p problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("decode problem: %v; body %s", err, w.Body)
	}
	return p
}

func fields(p problem) []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// accessLog returns the staff access log as "staff client resource purpose"
// lines, oldest first.
func accessLog(t testing.TB, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(),
		`SELECT staff_id, client_id, resource, coalesce(purpose, '-'), request_id IS NOT NULL FROM staff_access_log ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var staff, client int64
		var resource, purpose string
		var hasRequestID bool
		if err := rows.Scan(&staff, &client, &resource, &purpose, &hasRequestID); err != nil {
			t.Fatal(err)
		}
		if !hasRequestID {
			t.Errorf("access log row for client %d has no request id", client)
		}
		out = append(out, strconv.FormatInt(staff, 10)+" "+strconv.FormatInt(client, 10)+" "+resource+" "+purpose)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func countRows(t testing.TB, pool *pgxpool.Pool, query string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
