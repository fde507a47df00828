package risk

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// suitabilityFixture: Ana (1) and Ion (2), served by advisors 10 and 11;
// Dan (3) has no advisor. The clock stands at 2026-12-01 10:00 UTC.
func suitabilityFixture(t *testing.T) (*pgxpool.Pool, *Suitability) {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), `
INSERT INTO staff_users (id, email, display_name, roles) VALUES
    (10, 'maria@bank.test', 'Maria Advisor', '{advisor}'), (11, 'radu@bank.test', 'Radu Advisor', '{advisor}');
INSERT INTO clients (id, given_name, family_name, advisor_id, income_currency, annual_income, employment_status) VALUES
    (1, 'Ana', 'Popescu', 10, 'RON', 150000, 'employed'), (2, 'Ion', 'Ionescu', 11, 'EUR', 40000, 'employed'),
    (3, 'Dan', 'Dinu', NULL, NULL, NULL, NULL);`); err != nil {
		t.Fatal(err)
	}
	s := NewSuitability(pool, Period{})
	s.Now = func() time.Time { return time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) }
	return pool, s
}

var en = i18n.NewLocalizer(i18n.English)

// TestSubmitWritesTheAssessmentTheGateReads: one response and one
// risk_assessments row, linked, in one transaction; the gate's columns
// hold the result.
func TestSubmitWritesTheAssessmentTheGateReads(t *testing.T) {
	pool, s := suitabilityFixture(t)
	ctx := context.Background()
	got, err := s.Submit(ctx, 1, balanced(), Completion{Key: "k1"}, en)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Created || got.Result.RiskClass != 5 {
		t.Fatalf("submitted %+v", got)
	}
	var row string
	if err := pool.QueryRow(ctx, `
SELECT a.risk_class || ' ' || a.loss_capacity || ' ' || a.loss_capacity_currency || ' ' || a.knowledge::text || ' ' || a.objective || ' ' ||
       a.horizon_months || ' ' || a.questionnaire_version || ' ' || a.source || ' ' || coalesce(a.assessed_by::text, '-') || ' ' || a.assessed_at ||
       ' | ' || r.completed_by || ' ' || coalesce(r.staff_id::text, '-') || ' ' || r.risk_class || ' ' || r.loss_capacity || ' ' ||
       (r.section_scores -> 'tolerance' ->> 'class') || ' ' || (r.answers ->> 'financial.liquid_assets')
FROM risk_assessments a JOIN suitability_responses r ON r.assessment_id = a.id WHERE a.client_id = 1`).Scan(&row); err != nil {
		t.Fatal(err)
	}
	want := `5 79000.00 RON {"etf": "basic", "bond": "basic", "fund": "advanced", "equity": "informed", "option": "none", "leveraged": "none", "structured": "none"} ` +
		`growth 60 suitability-v1 questionnaire - 2026-12-01 10:00:00+00 | client - 5 79000.00 5 80000`
	if row != want {
		t.Errorf("stored\n got %s\nwant %s", row, want)
	}

	// The same key again is the same response: nothing new is written.
	again, err := s.Submit(ctx, 1, balanced(), Completion{Key: "k1"}, en)
	if err != nil || again.Created || again.ResponseID != got.ResponseID || again.AssessmentID != got.AssessmentID {
		t.Errorf("resent: %+v, %v", again, err)
	}
	// Invalid answers write nothing.
	bad := balanced()
	bad["financial.liquid_assets"] = "-1"
	if _, err := s.Submit(ctx, 1, bad, Completion{}, en); ecrm.ErrorCode(err) != ecrm.EINVALID {
		t.Errorf("bad answers: %v", err)
	}
	var n int
	pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM risk_assessments) + (SELECT count(*) FROM suitability_responses)`).Scan(&n)
	if n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
}

// TestAdvisorCompletesWithTheClient: the advisor serving the client is
// recorded as such; another advisor, or an advisor for a client without
// one, finds no such client and writes nothing.
func TestAdvisorCompletesWithTheClient(t *testing.T) {
	pool, s := suitabilityFixture(t)
	ctx := context.Background()
	if _, err := s.Submit(ctx, 1, balanced(), Completion{StaffID: 10}, en); err != nil {
		t.Fatal(err)
	}
	var row string
	pool.QueryRow(ctx, `SELECT a.source || ' ' || a.assessed_by || ' ' || r.completed_by || ' ' || r.staff_id
		FROM risk_assessments a JOIN suitability_responses r ON r.assessment_id = a.id WHERE a.client_id = 1`).Scan(&row)
	if row != "advisor 10 advisor_with_client 10" {
		t.Errorf("recorded as %q", row)
	}
	for _, tc := range []struct{ client, staff int64 }{{2, 10}, {3, 10}, {99, 10}} {
		if _, err := s.Submit(ctx, tc.client, balanced(), Completion{StaffID: tc.staff}, en); !errors.Is(err, ErrNoSuchClient) {
			t.Errorf("advisor %d for client %d: %v", tc.staff, tc.client, err)
		}
		if _, err := s.ProfileForAdvisor(ctx, tc.client, tc.staff); !errors.Is(err, ErrNoSuchClient) {
			t.Errorf("advisor %d reading client %d: %v", tc.staff, tc.client, err)
		}
	}
	var n int
	pool.QueryRow(ctx, `SELECT count(*) FROM risk_assessments WHERE client_id <> 1`).Scan(&n)
	if n != 0 {
		t.Errorf("%d assessments written for clients out of reach", n)
	}
	p, err := s.ProfileForAdvisor(ctx, 1, 10)
	if err != nil || p.Stated == nil || p.Stated.CompletedBy != CompletedByAdvisor || p.Stated.AssessedBy != "Maria Advisor" {
		t.Errorf("profile for the advisor: %+v, %v", p, err)
	}
}

// TestProfileStaleness: a profile is current, then stale by age (two
// years by default, or as configured), or at once when income or
// employment changes after it.
func TestProfileStaleness(t *testing.T) {
	pool, s := suitabilityFixture(t)
	ctx := context.Background()
	p, err := s.Profile(ctx, 1)
	if err != nil || p.Status != StatusNone || p.Stated != nil || p.Answers != nil || p.Currency != "RON" {
		t.Fatalf("before any answer: %+v, %v", p, err)
	}
	if _, err := s.Submit(ctx, 1, balanced(), Completion{}, en); err != nil {
		t.Fatal(err)
	}
	p, err = s.Profile(ctx, 1)
	if err != nil || p.Status != StatusCurrent || len(p.StaleReasons) != 0 || p.Answers["tolerance.outcome"] != "d" {
		t.Fatalf("just answered: %+v, %v", p, err)
	}
	if r := p.Stated.Result; r == nil || r.RiskClass != 5 || r.Scores.Tolerance.Points != 7 || r.Knowledge["funds"] != "advanced" || r.LossCapacity.String() != "79000.00 RON" {
		t.Errorf("result read back: %+v", r)
	}
	if !p.ReviewDue.Equal(time.Date(2028, 12, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("review due %v", p.ReviewDue)
	}
	// Two years later to the second: stale by age.
	s.Now = func() time.Time { return time.Date(2028, 12, 1, 10, 0, 0, 0, time.UTC) }
	if p, _ = s.Profile(ctx, 1); p.Status != StatusStale || !slices.Equal(p.StaleReasons, []string{StaleAge}) {
		t.Errorf("two years on: %s %v", p.Status, p.StaleReasons)
	}
	s.MaxAge = Period{Years: 3}
	if p, _ = s.Profile(ctx, 1); p.Status != StatusCurrent {
		t.Errorf("with a three-year cycle: %s %v", p.Status, p.StaleReasons)
	}
	// The client's income, then employer, changed after the assessment.
	if _, err := pool.Exec(ctx, `INSERT INTO profile_changes (client_id, field, old_value, new_value, actor_kind, changed_at) VALUES
		(1, 'annual_income', '150000.00 RON', '90000.00 RON', 'client', '2027-03-01T09:00:00Z'),
		(1, 'city', 'București', 'Cluj-Napoca', 'client', '2027-03-01T09:00:00Z'),
		(1, 'employer', 'Acme', 'Globex', 'client', '2027-04-01T09:00:00Z'),
		(1, 'employment_status', 'student', 'employed', 'client', '2026-01-01T09:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	if p, _ = s.Profile(ctx, 1); p.Status != StatusStale || !slices.Equal(p.StaleReasons, []string{StaleIncome, StaleEmployment}) {
		t.Errorf("after the changes: %s %v", p.Status, p.StaleReasons)
	}
	// Completing it again makes it current.
	if _, err := s.Submit(ctx, 1, balanced(), Completion{}, en); err != nil {
		t.Fatal(err)
	}
	if p, _ = s.Profile(ctx, 1); p.Status != StatusCurrent {
		t.Errorf("after review: %s %v", p.Status, p.StaleReasons)
	}
}

// TestProfileIsTheClientsOwn: each client reads only their own profile;
// an imported assessment has no questionnaire result.
func TestProfileIsTheClientsOwn(t *testing.T) {
	pool, s := suitabilityFixture(t)
	ctx := context.Background()
	if _, err := s.Submit(ctx, 1, balanced(), Completion{}, en); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO risk_assessments (client_id, risk_class, loss_capacity, loss_capacity_currency, knowledge, objective,
		horizon_months, questionnaire_version, source, assessed_at) VALUES (2, 2, 1000, 'EUR', '{"fund": "basic"}', 'income', 24, 'mifid-2025.1', 'import', '2026-06-01')`); err != nil {
		t.Fatal(err)
	}
	p, err := s.Profile(ctx, 2)
	if err != nil || p.Stated == nil || p.Stated.RiskClass != 2 || p.Stated.Result != nil || p.Stated.CompletedBy != "" || p.Answers != nil {
		t.Errorf("Ion's profile: %+v %v", p, err)
	}
	if p, err := s.Profile(ctx, 3); err != nil || p.Stated != nil {
		t.Errorf("Dan's profile: %+v %v", p, err)
	}
	if _, err := s.Profile(ctx, 99); !errors.Is(err, ErrNoSuchClient) {
		t.Errorf("unknown client: %v", err)
	}
}

func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]Period{"2y": {Years: 2}, "18mo": {Months: 18}, "730d": {Days: 730}} {
		if got, err := ParsePeriod(in); err != nil || got != want || got.String() != in {
			t.Errorf("ParsePeriod(%q) = %+v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0y", "2", "2 years", "-1y", "1h"} {
		if _, err := ParsePeriod(in); err == nil {
			t.Errorf("ParsePeriod(%q) accepted", in)
		}
	}
}
