package products

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// assess writes a suitability assessment as risk's questionnaire does.
func assess(t *testing.T, pool *pgxpool.Pool, clientID int64, capacity, knowledge, age string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `INSERT INTO risk_assessments (client_id, risk_class, loss_capacity, loss_capacity_currency,
		knowledge, objective, horizon_months, questionnaire_version, source, assessed_at)
		VALUES ($1, 5, $2, 'EUR', $3, 'growth', 120, 'suitability-v1', 'questionnaire', now() - $4::interval)`,
		clientID, capacity, knowledge, age); err != nil {
		t.Fatal(err)
	}
}

// TestLoadProfileUsesTheAssessment: with an assessment in force, the
// profile carries it and stops guessing; an assessment older than the
// gate's cycle counts as none, and the guesses come back.
func TestLoadProfileUsesTheAssessment(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	id := newClient(t, pool, 40, "42000", "EUR", "affluent", nil, 0)
	p, err := LoadProfile(ctx, pool, id)
	if err != nil || p.Assessment != nil || p.Knowledge != "none" || p.LossCapacity != "full_capital" {
		t.Fatalf("unassessed: %+v %v", p, err)
	}
	assess(t, pool, id, "1000", `{"fund": "informed", "bond": "advanced", "etf": "basic", "option": "none", "structured": "none"}`, "37 months")
	if p, _ = LoadProfile(ctx, pool, id); p.Assessment != nil || p.LossCapacity != "full_capital" {
		t.Errorf("an assessment older than %d months still counts: %+v", AssessmentMaxAgeMonths, p.Assessment)
	}
	assess(t, pool, id, "1000.50", `{"fund": "informed", "bond": "advanced", "etf": "basic", "option": "none", "structured": "none"}`, "1 day")
	p, err = LoadProfile(ctx, pool, id)
	if err != nil || p.Assessment == nil {
		t.Fatalf("assessed: %+v %v", p, err)
	}
	a := p.Assessment
	if a.RiskClass != 5 || a.LossCapacity.String() != "1000.50 EUR" || a.Knowledge["bond"] != "advanced" || p.Knowledge != "advanced" || p.LossCapacity != "" {
		t.Errorf("assessed profile: %+v, knowledge %q, loss capacity %q", a, p.Knowledge, p.LossCapacity)
	}
	if a.KnowledgeOf("option") != "none" || a.KnowledgeOf("leveraged") != "none" || a.KnowledgeOf("fund") != "informed" {
		t.Errorf("knowledge of: %q %q %q", a.KnowledgeOf("option"), a.KnowledgeOf("leveraged"), a.KnowledgeOf("fund"))
	}
}

// TestMatchInvestmentsOnTheAssessment: unassessed, knowledge is guessed
// and the result says there is no assessment, as the gate does; assessed,
// each product is matched on the knowledge of its own type and the loss
// the client can bear for the amount.
func TestMatchInvestmentsOnTheAssessment(t *testing.T) {
	ctx := context.Background()
	eng, pool := demoEngine(t)
	id := newClient(t, pool, 40, "42000", "EUR", "affluent", nil, 0)
	client := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: id}
	req := MatchRequest{Goal: GoalInvest, Amount: ecrm.MustMoney("5000", "EUR"), Months: 60, RiskTolerance: 5}
	eligible := func(res MatchResult) []string {
		var out []string
		for _, o := range res.Eligible {
			out = append(out, o.Code)
		}
		return out
	}
	excluded := func(res MatchResult, code string) string {
		for _, e := range res.Excluded {
			if e.Code == code {
				var texts []string
				for _, r := range e.Reasons {
					texts = append(texts, r.Text)
				}
				return strings.Join(texts, " | ")
			}
		}
		return "(eligible)"
	}

	res, err := eng.Match(ctx, client, req, english)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := eligible(res), []string{"GOV-EUR-FIDELIS"}; !slices.Equal(got, want) {
		t.Errorf("unassessed, eligible %v, want %v", got, want)
	}
	if got := res.Assumptions[len(res.Assumptions)-1]; got != "No suitability assessment on file: your knowledge is inferred from what you hold and the loss you can bear from your segment, and investment products are offered only after an assessment. Complete the questionnaire under Risk profile." {
		t.Errorf("unassessed assumption %q", got)
	}

	// Informed about funds, advanced in bonds, basic in ETFs, nothing
	// about options and structured notes; able to lose 1,000 EUR of the
	// 5,000: limited loss capacity.
	assess(t, pool, id, "1000", `{"fund": "informed", "bond": "advanced", "etf": "basic", "option": "none", "structured": "none"}`, "1 day")
	if res, err = eng.Match(ctx, client, req, english); err != nil {
		t.Fatal(err)
	}
	if got, want := eligible(res), []string{"CORP-EUR-BANK", "BF-EUR-AGG", "GOV-EUR-FIDELIS", "MP-EUR-BALANCED", "MP-EUR-CAUTIOUS", "MP-EUR-GROWTH"}; !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		t.Errorf("assessed, eligible %v, want %v", got, want)
	}
	for code, want := range map[string]string{
		"ETF-EUR-WORLD": "Outside target market: only for clients who can bear the loss of all the capital invested",
		"SN-EUR-AUTOCALL": "Outside target market: needs informed knowledge and experience | Outside target market: only for clients who can bear the loss of all the capital invested" +
			" | Negative target market: not for clients with no knowledge and experience",
	} {
		if got := excluded(res, code); got != want {
			t.Errorf("%s excluded for %q, want %q", code, got, want)
		}
	}
	if got := strings.ReplaceAll(res.Assumptions[len(res.Assumptions)-1], "\u00a0", " "); !strings.HasPrefix(got, "Matched on your suitability assessment of ") ||
		!strings.HasSuffix(got, ": risk class up to 5, knowledge of each product type, and a loss you can bear of €1,000.00.") {
		t.Errorf("assessed assumption %q", got)
	}

	// Able to lose 10,000 EUR: the whole 5,000; the ETF needs basic
	// knowledge of ETFs, which the client has.
	assess(t, pool, id, "10000", `{"fund": "informed", "bond": "advanced", "etf": "basic", "option": "none", "structured": "none"}`, "1 second")
	if res, err = eng.Match(ctx, client, req, english); err != nil {
		t.Fatal(err)
	}
	if got := excluded(res, "ETF-EUR-WORLD"); got != "(eligible)" {
		t.Errorf("ETF with full loss capacity: %s", got)
	}
	if got := excluded(res, "OPT-EUR-LISTED"); !strings.Contains(got, "needs advanced knowledge") {
		t.Errorf("options for someone who knows none: %s", got)
	}
}
