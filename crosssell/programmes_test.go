package crosssell

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/products"
)

// fakeProgrammes stands in for the risk package's rules (whose own tests
// and the end-to-end test in cmd/ecrm use the real ones): it names the
// programmes it is given and counts the evaluations.
type fakeProgrammes struct {
	matches func(l *i18n.Localizer) []ProgrammeMatch
	calls   int
}

const fakeSnapshot = `{"rule_set":"programmes-v1","behaviour":{"implied_class":6,"mismatch":{"direction":"riskier_than_stated"}}}`

func (f *fakeProgrammes) Programmes(_ context.Context, _ int64, _ time.Time, l *i18n.Localizer) (ProgrammeSet, error) {
	f.calls++
	return ProgrammeSet{Matches: f.matches(l), Snapshot: json.RawMessage(fakeSnapshot)}, nil
}

func highYieldProgramme(l *i18n.Localizer) []ProgrammeMatch {
	return []ProgrammeMatch{{Code: "high_yield_seeker", RuleSet: "programmes-v1", Kinds: []string{"high_yield_bond"},
		Title: "programmes.programme.high_yield_seeker", Reasons: []i18n.Message{l.Say("programmes.reason.stated_class", 5)},
		Facts: json.RawMessage(`[{"name":"profile.class","value":5}]`)}}
}

// assessMaria gives Maria a class-5 growth profile, informed in funds and
// bonds, able to bear the loss of 200,000 EUR.
func assessMaria(t *testing.T, a *Arbiter) {
	t.Helper()
	if _, err := a.pool.Exec(context.Background(), `INSERT INTO risk_assessments (client_id, risk_class, loss_capacity, loss_capacity_currency,
		knowledge, objective, horizon_months, questionnaire_version, source, assessed_at)
		VALUES ($1, 5, 200000, 'EUR', '{"fund": "informed", "bond": "informed", "etf": "informed"}', 'growth', 120, 'suitability-v1',
			'questionnaire', '2026-11-20')`, needsMaria); err != nil {
		t.Fatal(err)
	}
}

// TestProgrammeInTheArbitration: Maria's programme names high-yield
// bonds. HY-EUR-ENERGY is priced for her retirement gap (68,000.00 EUR)
// and weighed by the need and the programme: 68,000 × 0.2 % custody =
// 136.00 + the 0.5 % entry fee 340.00 over 5 years = 68.00: 204.00 EUR;
// 0.02 × 1.5 × 1.5 × 204 = 9.18. The programme is a family of its own, so
// the fund the model would rather sell her (the brokerage family's best)
// is still a candidate beside it. The record keeps the programme, its
// rules and facts and the snapshot (the behaviour's mismatch flag in
// it); the replay reproduces it.
func TestProgrammeInTheArbitration(t *testing.T) {
	pool, a := nboFixture(t)
	ctx := context.Background()
	l := i18n.NewLocalizer(i18n.English)
	assessMaria(t, a)
	src := &fakeProgrammes{matches: highYieldProgramme}
	a.SetProgrammes(src)
	lines := func(set *OfferSet) string {
		var out []string
		for _, o := range set.Offers {
			out = append(out, strings.TrimSpace(offerLine(o)+" "+o.Programme))
		}
		return strings.Join(out, "\n")
	}
	set, err := a.Offers(ctx, webViewer(needsMaria), l)
	if err != nil {
		t.Fatal(err)
	}
	want := "EF-EUR-EUROPE retirement_gap 66495.00/60m priority 25.9332\n" +
		"HY-EUR-ENERGY retirement_gap 66495.00/60m priority 8.97705 high_yield_seeker\n" +
		"LOAN-EUR-PERS expensive_debt 3000.00/36m priority 6.51"
	if got := lines(set); got != want || src.calls != 1 {
		t.Fatalf("offers (%d evaluations):\n%s\nwant\n%s", src.calls, got, want)
	}
	hy := set.Offers[1]
	var reasons []string
	for _, r := range hy.Reasons {
		reasons = append(reasons, r.Text)
	}
	if len(reasons) < 3 || reasons[0] != "It answers a need we see: Retirement savings gap." ||
		reasons[1] != "Fits your investor profile: high-yield bonds for an investor who seeks risk" ||
		reasons[2] != "You chose risk class 5 in your investor profile" || hy.Reasons[1].Key != "programmes.why" {
		t.Errorf("reasons of the high-yield bond: %q", reasons)
	}
	var programme, factor, components string
	if err := pool.QueryRow(ctx, `SELECT body::jsonb #>> '{inputs,engine_inputs,programme}', body::jsonb #>> '{inputs,engine_inputs,factors,programme}',
		body::jsonb #>> '{score,components}' FROM decision_records WHERE seq = $1`, hy.Seq).Scan(&programme, &factor, &components); err != nil {
		t.Fatal(err)
	}
	var recorded struct {
		Code     string          `json:"code"`
		RuleSet  string          `json:"rule_set"`
		Facts    json.RawMessage `json:"facts"`
		Snapshot json.RawMessage `json:"snapshot"`
	}
	if err := json.Unmarshal([]byte(programme), &recorded); err != nil {
		t.Fatalf("programme %s: %v", programme, err)
	}
	if recorded.Code != "high_yield_seeker" || recorded.RuleSet != "programmes-v1" || string(recorded.Facts) != `[{"name": "profile.class", "value": 5}]` ||
		!strings.Contains(string(recorded.Snapshot), `"mismatch": {"direction": "riskier_than_stated"}`) || factor != "1.5" ||
		!strings.Contains(components, `{"name": "programme", "value": "1.5"}`) {
		t.Errorf("recorded programme %s, factor %s, components %s", programme, factor, components)
	}
	// The offers without a programme carry none in their record.
	var none *string
	if err := pool.QueryRow(ctx, `SELECT body::jsonb #>> '{inputs,engine_inputs,programme}' FROM decision_records WHERE seq = $1`,
		set.Offers[0].Seq).Scan(&none); err != nil || none != nil {
		t.Errorf("the fund's record names a programme: %v %v", none, err)
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

	// The ranking is kept while the programmes' inputs hold: no
	// evaluation for the second view.
	again, err := a.Offers(ctx, webViewer(needsMaria), l)
	if err != nil || !again.Cached || src.calls != 1 {
		t.Fatalf("second view: cached %v, %d evaluations, %v", again != nil && again.Cached, src.calls, err)
	}
	// A trade, then an import of market data, change what the programmes
	// read: the ranking is made again, and the programmes evaluated anew.
	if _, err := pool.Exec(ctx, `INSERT INTO trades (client_id, account_id, instrument_id, side, quantity, price, currency, traded_at)
		VALUES ($1, 95, 82, 'buy', 1, 10, 'EUR', '2026-11-30 10:00Z')`, needsMaria); err != nil {
		t.Fatal(err)
	}
	if traded, err := a.Offers(ctx, webViewer(needsMaria), l); err != nil || traded.Cached || src.calls != 2 {
		t.Fatalf("after a trade: cached %v, %d evaluations, %v", traded != nil && traded.Cached, src.calls, err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO market_imports (kind, file_name, source, rows_read, rows_written) VALUES ('prices', 'p.csv', 'test', 1, 1)`); err != nil {
		t.Fatal(err)
	}
	// The programme no longer matches: the bond goes back to the
	// brokerage family, where the fund outranks it, and the savings
	// account takes its place.
	src.matches = func(*i18n.Localizer) []ProgrammeMatch { return nil }
	imported, err := a.Offers(ctx, webViewer(needsMaria), l)
	if err != nil || imported.Cached || src.calls != 3 {
		t.Fatalf("after an import: cached %v, %d evaluations, %v", imported != nil && imported.Cached, src.calls, err)
	}
	want = "EF-EUR-EUROPE retirement_gap 66495.00/60m priority 25.9332\n" +
		"LOAN-EUR-PERS expensive_debt 3000.00/36m priority 6.51\n" +
		"SAV-RON-FLEX idle_cash 26999.99/12m priority 6.48"
	if got := lines(imported); got != want {
		t.Errorf("without the programme:\n%s\nwant\n%s", got, want)
	}
}

// TestRebalancingProposalTakesAPlace: a rebalancing of 1,000.00 RON is a
// candidate only while a programme proposes it, priced for that amount
// (200.00 EUR at the reference rates) and its purpose: 200 × 0.2 % custody
// = 0.40 + the 0.2 % fee 0.40 over a year: 0.80 EUR; 0.02 × 1.5 × 0.80 =
// 0.024, far below the others, yet it takes the last of the three places:
// the best candidate of a programme is always shown.
func TestRebalancingProposalTakesAPlace(t *testing.T) {
	_, a := nboFixture(t)
	ctx := context.Background()
	l := i18n.NewLocalizer(i18n.English)
	assessMaria(t, a)
	size := ecrm.MustMoney("1000.00", "RON")
	a.SetProgrammes(&fakeProgrammes{matches: func(l *i18n.Localizer) []ProgrammeMatch {
		return []ProgrammeMatch{{Code: "rebalancing", RuleSet: "programmes-v1", Kinds: []string{"portfolio_rebalancing"}, Purpose: "rebalancing",
			Size: &size, Title: "programmes.programme.rebalancing", Facts: json.RawMessage(`[]`)}}
	}})
	set, err := a.Offers(ctx, webViewer(needsMaria), l)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range set.Offers {
		got = append(got, offerLine(o)+" "+o.Request.Purpose)
	}
	want := []string{
		"EF-EUR-EUROPE retirement_gap 66495.00/60m priority 25.9332 ",
		"LOAN-EUR-PERS expensive_debt 3000.00/36m priority 6.51 personal",
		"REBAL-EUR-MODEL  200.00/12m priority 0.024 rebalancing",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("offers:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Without the programme, no rebalancing is a candidate.
	a.SetProgrammes(nil)
	a.cache.Purge()
	ranked, err := a.Ranking(ctx, needsMaria, "branch", l)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ranked {
		if r.Product.Code == "REBAL-EUR-MODEL" {
			t.Errorf("a rebalancing without a programme: %+v", r)
		}
	}
}

func TestShownOf(t *testing.T) {
	p := &ProgrammeMatch{Code: "x"}
	c := func(code string, programme bool) candidate {
		x := candidate{product: products.Product{Code: code}}
		if programme {
			x.programme = p
		}
		return x
	}
	codes := func(cs []candidate) string {
		var out []string
		for _, x := range cs {
			out = append(out, x.product.Code)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		in   []candidate
		want string
	}{
		{[]candidate{c("a", false), c("b", false), c("c", false), c("d", true), c("e", true)}, "a b d"},
		{[]candidate{c("a", false), c("b", true), c("c", false), c("d", true)}, "a b c"},
		{[]candidate{c("a", false), c("b", false), c("c", false), c("d", false)}, "a b c"},
		{[]candidate{c("a", false), c("b", true)}, "a b"},
		{nil, ""},
	} {
		if got := codes(shownOf(tc.in, 3)); got != tc.want {
			t.Errorf("shown %q, want %q", got, tc.want)
		}
	}
}
