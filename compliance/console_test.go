package compliance

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
)

// The console's fixture: three clients, two products, an advisor, and nine
// decision records in November 2026, seen from Bucharest (UTC+2).
const (
	anaID, ionID, mariaID            int64 = 1, 2, 3
	complianceID, advisorID, adminID int64 = 10, 11, 12
)

const (
	asCompliance = "staff:10:compliance"
	asAdvisor    = "staff:11:advisor"
	asAdmin      = "staff:12:admin"
	asClient     = "client:1"
	anonymous    = ""
)

const consoleFixtureSQL = `
INSERT INTO staff_users (id, email, display_name, roles) VALUES
  (10, 'carmen@bank.test', 'Carmen Compliance', '{compliance}'),
  (11, 'bogdan@bank.test', 'Bogdan Advisor', '{advisor}'),
  (12, 'dan@bank.test', 'Dan Admin', '{admin}');
INSERT INTO clients (id, given_name, family_name, birth_date, segment, advisor_id) VALUES
  (1, 'Ana', 'Popescu', '1990-06-30', 'mass', 11),
  (2, 'Ion', 'Popa', '1955-01-10', 'private', 11),
  (3, 'Maria', 'Ionescu', NULL, 'affluent', NULL);
INSERT INTO products (id, code, name, line, kind, provider, currency) VALUES
  (21, 'DEP-12M', 'Deposit 12 months', 'banking', 'deposit', 'ecrm bank', 'EUR'),
  (22, 'FUND-EQ', 'Equity fund', 'brokerage', 'fund', 'ecrm funds', 'EUR');
INSERT INTO staff_access_log (staff_id, client_id, resource, purpose, request_id, accessed_at) VALUES
  (11, 1, 'client_360', NULL, 'req-1', '2026-11-05 10:00+00'),
  (11, 2, 'credit_history', 'credit_application', 'req-2', '2026-11-06 10:00+00'),
  (10, 3, 'client_360', NULL, 'req-3', '2026-11-20 10:00+00');
`

const depID, fundID int64 = 21, 22

type consoleFixture struct {
	pool    *pgxpool.Pool
	log     *Log
	handler *ConsoleHandler
	router  http.Handler
	zone    *time.Location
	// reviewRequest is the seq of the review request record, 0 when the
	// record kind is not available.
	reviewRequest int64
}

var bucharest = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Bucharest")
	if err != nil {
		panic(err)
	}
	return loc
}()

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func newConsoleFixture(t testing.TB) *consoleFixture {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := pool.Exec(ctx, consoleFixtureSQL); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	f := &consoleFixture{pool: pool, log: NewLog(pool), zone: bucharest}
	checks := func(failed string) []Check {
		var list []Check
		for _, name := range []string{"suitability", "target_market", "consent", "contact_policy"} {
			c := Check{Name: name, Passed: name != failed}
			if !c.Passed {
				c.Detail = i18n.Plain("failed: " + name)
			}
			list = append(list, c)
		}
		return list
	}
	offer := func(kind Kind, client, product int64, engine, channel string, staff int64, failed string) Record {
		r := Record{Kind: kind, ClientID: client, ProductID: product, Engine: engine, EngineVersion: "m-1", RuleVersion: "r-1",
			Channel: channel, Actor: Actor{Kind: ActorSystem}, Outcome: OutcomeShown,
			Body: Body{Inputs: map[string]any{"age": 36, "segment": "mass"}, Reasons: []i18n.Message{i18n.Plain("Fits the client's savings goal")},
				Checks: checks(failed), Disclosures: []Disclosure{{Kind: "fee", Text: i18n.Plain("No fee"), Amount: &ecrm.Money{Currency: "EUR"}}}}}
		if kind == KindOfferBlocked {
			r.Outcome = OutcomeBlocked
		}
		if staff != 0 {
			r.Actor = Actor{Kind: ActorAdvisor, StaffID: staff}
		}
		return r
	}
	response := func(refers, client, product int64, channel string, outcome Outcome) Record {
		return Record{Kind: KindResponse, RefersTo: refers, ClientID: client, ProductID: product, Engine: "portal",
			Channel: channel, Actor: Actor{Kind: ActorClient}, Outcome: outcome}
	}
	steps := []struct {
		at  string
		rec Record
	}{
		{"2026-11-01 10:00", offer(KindOfferShown, anaID, depID, "products.matching", "web", 0, "")},                  // 1
		{"2026-11-02 10:00", offer(KindOfferBlocked, anaID, fundID, "products.matching", "mobile", 0, "consent")},     // 2
		{"2026-11-03 10:00", response(1, anaID, depID, "web", OutcomeAccepted)},                                       // 3
		{"2026-11-10 09:00", offer(KindOfferShown, ionID, fundID, "advisor.nbo", "branch", advisorID, "")},            // 4
		{"2026-11-10 23:30", offer(KindOfferBlocked, ionID, depID, "advisor.nbo", "phone", advisorID, "suitability")}, // 5
		{"2026-11-12 08:00", response(4, ionID, fundID, "branch", OutcomeDeclined)},                                   // 6
		{"2026-11-15 12:00", offer(KindOfferShown, mariaID, depID, "products.matching", "email", 0, "")},              // 7
		{"2026-11-20 12:00", response(7, mariaID, depID, "email", OutcomeExpired)},                                    // 8
		{"2026-11-21 12:00", offer(KindOfferShown, anaID, fundID, "products.matching", "web", 0, "")},                 // 9
	}
	for i, s := range steps {
		at := utc(s.at)
		f.log.Now = func() time.Time { return at }
		got, err := f.log.Append(ctx, s.rec)
		if err != nil || got[0].Seq != int64(i+1) {
			t.Fatalf("append step %d: %v %v", i+1, got, err)
		}
	}
	// A review request of offer 9, when the log knows the kind.
	rr := Record{Kind: "review_request", RefersTo: 9, ClientID: anaID, ProductID: fundID, Engine: "portal", Channel: "web",
		Actor: Actor{Kind: ActorClient}, Outcome: "review_requested", Body: Body{Note: "Why this fund?"}}
	if rr.validate() == nil {
		at := utc("2026-11-22 12:00")
		f.log.Now = func() time.Time { return at }
		got, err := f.log.Append(ctx, rr)
		if err != nil {
			t.Fatal(err)
		}
		f.reviewRequest = got[0].Seq
	}
	f.handler, f.router = newConsoleRouter(t, pool)
	f.handler.console.now = func() time.Time { return utc("2026-11-25 10:00") }
	return f
}

// newConsoleRouter serves the console on pool in Bucharest time, with the
// test principal taken from principalHeader.
func newConsoleRouter(t testing.TB, pool *pgxpool.Pool) (*ConsoleHandler, http.Handler) {
	t.Helper()
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	h := NewConsoleHandler(pool, pages)
	h.SetLocation(bucharest)
	r := chi.NewRouter()
	r.Use(web.RequestID(slog.New(slog.NewTextHandler(io.Discard, nil))), i18n.Middleware, withTestPrincipal)
	h.Routes(r)
	return h, r
}

// principalHeader carries the test principal: "staff:<id>:<role,...>" or
// "client:<id>"; no header is anonymous.
const principalHeader = "X-Test-Principal"

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

type req struct {
	method, path, as, body string
	form                   bool
	lang                   string
}

func (f *consoleFixture) do(t testing.TB, q req) *httptest.ResponseRecorder {
	t.Helper()
	if q.method == "" {
		q.method = http.MethodGet
	}
	r := httptest.NewRequest(q.method, q.path, strings.NewReader(q.body))
	if q.as != "" {
		r.Header.Set(principalHeader, q.as)
	}
	if q.form {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else if q.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if q.lang != "" {
		r.Header.Set("Accept-Language", q.lang)
	}
	w := httptest.NewRecorder()
	f.router.ServeHTTP(w, r)
	return w
}

func (f *consoleFixture) getJSON(t testing.TB, path string, status int, v any) {
	t.Helper()
	w := f.do(t, req{path: path, as: asCompliance})
	if w.Code != status {
		t.Fatalf("GET %s: status %d, want %d; body %s", path, w.Code, status, w.Body)
	}
	if v != nil {
		if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
			t.Fatalf("GET %s: %v; body %s", path, err, w.Body)
		}
	}
}

type problemDoc struct {
	Status int               `json:"status"`
	Detail string            `json:"detail"`
	Errors []ecrm.FieldError `json:"errors"`
}

func decodeProblemDoc(t testing.TB, w *httptest.ResponseRecorder) problemDoc {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != web.ProblemContentType {
		t.Fatalf("Content-Type %q, want problem+json; body %s", ct, w.Body)
	}
	var p problemDoc
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func seqsOf(p recordPageJSON) []int64 {
	out := []int64{}
	for _, r := range p.Records {
		out = append(out, r.Seq)
	}
	return out
}
