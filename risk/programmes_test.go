package risk

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// TestProgrammeRulesPinned fails when a rule, a model allocation or a
// threshold changes without a new version: matches already recorded name
// programmes-v1, and must keep meaning what they said.
func TestProgrammeRulesPinned(t *testing.T) {
	const pinned = "f4b6cdbd5ae01d8198ddb5d61c569f992a4a203a94e9f3cb334a19d1170261ac"
	if got := programmeRulesHash(); got != pinned {
		t.Errorf("the rules of %s changed (SHA-256 %s): raise ProgrammesRuleSetVersion, then pin the new hash here", ProgrammesRuleSetVersion, got)
	}
	if _, err := compiledProgrammes(); err != nil {
		t.Fatal(err)
	}
	// OfferProgrammes measures nothing for a profile that is not current:
	// right only while every rule asks for one first.
	for _, r := range programmeRules {
		if !strings.HasPrefix(r.When, whenCurrent+" && ") {
			t.Errorf("rule %s does not start with %q", r.Code, whenCurrent)
		}
	}
}

func TestProgrammeRulesRejectBadRules(t *testing.T) {
	for _, r := range []ProgrammeRule{
		{Code: "x", When: "profile.income > 0"},                                                   // undeclared
		{Code: "x", When: "profile.class"},                                                        // not a bool
		{Code: "x", When: "true", Size: "allocation.valued"},                                      // size not an int
		{Code: "x", When: "true", Size: "double(allocation.value) * 0.1"},                         // floats are not money
		{Code: "x", When: "true", Facts: []string{"profile.income"}},                              // a fact that is no variable
		{Code: "x", When: "true", Reasons: []ProgrammeReason{{Key: "k", Args: []string{"size"}}}}, // no size to say
		{Code: "x", When: "true", Reasons: []ProgrammeReason{{Key: "k", When: "profile.class"}}},  // not a bool
	} {
		if _, err := compileProgrammeRules([]ProgrammeRule{r}); err == nil {
			t.Errorf("rule %+v compiled", r)
		}
	}
	// An overflow leaves the programme out rather than a wrong size.
	rules, err := compileProgrammeRules([]ProgrammeRule{{Code: "big", When: "true", Size: "allocation.value * 9223372036854775807"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := evaluateProgrammes(rules, seekerFacts(nil), nil); len(got) != 0 {
		t.Errorf("overflowing size matched: %+v", got)
	}
}

// seekerFacts: a current class-5 growth profile with a ten-year horizon,
// whose trading implies class 5 (55.49 % in high-volatility holdings),
// diversified (largest single security 18 %), 100,000.00 RON held with
// 70 % in equities against the class-5 model's 65 %.
func seekerFacts(change func(*ProgrammeFacts)) ProgrammeFacts {
	f := ProgrammeFacts{Assessed: true, AssessmentID: 7, StatedClass: 5, Objective: "growth", HorizonMonths: 120,
		Observed: true, ImpliedClass: 5, HighVolatilityShare: dec("0.5549"), LargestSingleSecurityWeight: dec("0.18"),
		Allocation: Allocation{Valued: true, Value: ecrm.MustMoney("100000.00", "RON"), Equity: ecrm.MustMoney("70000.00", "RON"),
			EquityShare: dec("0.7"), ModelClass: 5, ModelEquityShare: dec("0.65"), Drift: dec("0.05"), LargestSingleSecurity: "QNTM"}}
	if change != nil {
		change(&f)
	}
	return f
}

func codes(ms []ProgrammeMatch) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Code)
	}
	return out
}

// TestProgrammesFireOnHandMadeFacts: each programme fires on the facts
// its rule names, and stops at each of its conditions and thresholds.
func TestProgrammesFireOnHandMadeFacts(t *testing.T) {
	en := i18n.NewLocalizer(i18n.English)
	for _, tc := range []struct {
		name   string
		change func(*ProgrammeFacts)
		want   []string
	}{
		{"risk seeker", nil, []string{ProgrammeHighYield}},
		{"stated class 4", func(f *ProgrammeFacts) { f.StatedClass = 4 }, []string{}},
		{"implied class 4", func(f *ProgrammeFacts) { f.ImpliedClass = 4 }, []string{}},
		{"not observed", func(f *ProgrammeFacts) { f.Observed, f.ImpliedClass = false, 0 }, []string{}},
		{"preservation", func(f *ProgrammeFacts) { f.Objective = "preservation" }, []string{}},
		{"two-year horizon", func(f *ProgrammeFacts) { f.HorizonMonths = 24 }, []string{}},
		{"three-year horizon", func(f *ProgrammeFacts) { f.HorizonMonths = 36 }, []string{ProgrammeHighYield}},
		{"stale profile", func(f *ProgrammeFacts) { f.Stale = true }, []string{}},
		{"no assessment", func(f *ProgrammeFacts) { f.Assessed, f.StatedClass = false, 0 }, []string{}},
		{"class 7 trading riskier than stated", func(f *ProgrammeFacts) { f.StatedClass, f.ImpliedClass, f.Mismatch = 5, 7, RiskierThanStated },
			[]string{ProgrammeHighYield}},

		{"cautious class 3", func(f *ProgrammeFacts) { f.StatedClass = 3 }, []string{ProgrammeDiversified}},
		{"cautious class 1, nothing held", func(f *ProgrammeFacts) {
			f.StatedClass, f.Observed, f.ImpliedClass, f.Allocation = 1, false, 0, Allocation{}
		}, []string{ProgrammeDiversified}},
		{"concentrated 25 %", func(f *ProgrammeFacts) { f.LargestSingleSecurityWeight = dec("0.25") }, []string{ProgrammeHighYield, ProgrammeDiversified}},
		{"24.99 %", func(f *ProgrammeFacts) { f.LargestSingleSecurityWeight = dec("0.2499") }, []string{ProgrammeHighYield}},
		{"class 4, diversified", func(f *ProgrammeFacts) { f.StatedClass = 4 }, []string{}},
		{"cautious but stale", func(f *ProgrammeFacts) { f.StatedClass, f.Stale = 3, true }, []string{}},

		{"drift 10.01 points", func(f *ProgrammeFacts) { f.Allocation.Drift = dec("0.1001") }, []string{ProgrammeHighYield, ProgrammeRebalancing}},
		{"drift 10 points", func(f *ProgrammeFacts) { f.Allocation.Drift = dec("0.1") }, []string{ProgrammeHighYield}},
		{"drift but nothing valued", func(f *ProgrammeFacts) {
			f.Allocation.Drift, f.Allocation.Valued = dec("0.3"), false
		}, []string{ProgrammeHighYield}},
		{"drift, stale", func(f *ProgrammeFacts) { f.Allocation.Drift, f.Stale = dec("0.3"), true }, []string{}},
	} {
		got, err := EvaluateProgrammes(seekerFacts(tc.change), en)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(codes(got), tc.want) {
			t.Errorf("%s: programmes %v, want %v", tc.name, codes(got), tc.want)
		}
	}
}

// TestProgrammeMatchReasonsAndFacts: what a match says, in both
// languages, and the facts it keeps.
func TestProgrammeMatchReasonsAndFacts(t *testing.T) {
	en, ro := i18n.NewLocalizer(i18n.English), i18n.NewLocalizer(i18n.Romanian)
	texts := func(m ProgrammeMatch, l *i18n.Localizer) string {
		var out []string
		for _, r := range m.Reasons {
			out = append(out, r.In(l))
		}
		return strings.Join(out, " | ")
	}
	f := seekerFacts(func(f *ProgrammeFacts) {
		f.LargestSingleSecurityWeight, f.Allocation.EquityShare, f.Allocation.Drift = dec("0.5549"), dec("0.8712"), dec("0.2212")
		f.Mismatch = ""
	})
	got, err := EvaluateProgrammes(f, en)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(codes(got), []string{ProgrammeHighYield, ProgrammeDiversified, ProgrammeRebalancing}) {
		t.Fatalf("programmes %v", codes(got))
	}
	for i, want := range []struct{ en, ro string }{
		{"You chose risk class 5 in your investor profile | Your own holdings and trading imply risk class 5 | 55% of your portfolio is in high-volatility holdings",
			"Ați ales clasa de risc 5 în profilul de investitor | Deținerile și tranzacțiile dumneavoastră indică clasa de risc 5 | 55\u00a0% din portofoliu este în dețineri cu volatilitate ridicată"},
		{"Your largest single holding, QNTM, is 55% of your portfolio",
			"Cea mai mare deținere individuală, QNTM, reprezintă 55\u00a0% din portofoliu"},
		{"Equities are 87% of your portfolio, while the model of risk class 5 holds 65%: rebalancing moves about RON\u00a022,120.00",
			"Acțiunile reprezintă 87\u00a0% din portofoliu, iar modelul clasei de risc 5 are 65\u00a0%: reechilibrarea mută aproximativ 22.120,00\u00a0lei"},
	} {
		if g := texts(got[i], en); g != want.en {
			t.Errorf("%s in English: %q, want %q", got[i].Code, g, want.en)
		}
		if g := texts(got[i], ro); g != want.ro {
			t.Errorf("%s in Romanian: %q, want %q", got[i].Code, g, want.ro)
		}
	}
	// 100,000.00 RON × 22.12 % = 22,120.00 RON to move.
	reb := got[2]
	if reb.Size == nil || reb.Size.String() != "22120.00 RON" || reb.Purpose != "rebalancing" || !slices.Equal(reb.Kinds, []string{"portfolio_rebalancing"}) {
		t.Errorf("rebalancing size %v purpose %q kinds %v", reb.Size, reb.Purpose, reb.Kinds)
	}
	b, err := json.Marshal(reb.Facts)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"name":"profile.class","value":5},{"name":"allocation.value","value":10000000},{"name":"allocation.equity_share","value":8712},` +
		`{"name":"allocation.model_equity_share","value":6500},{"name":"allocation.drift","value":2212}]`; string(b) != want {
		t.Errorf("facts %s, want %s", b, want)
	}
	for _, m := range got {
		if m.RuleSet != ProgrammesRuleSetVersion {
			t.Errorf("%s: rule set %q", m.Code, m.RuleSet)
		}
	}
	// The cautious client reads why in her class, not about a
	// concentration she does not have.
	cautious, err := EvaluateProgrammes(seekerFacts(func(f *ProgrammeFacts) { f.StatedClass = 2 }), en)
	if err != nil {
		t.Fatal(err)
	}
	if len(cautious) != 1 || texts(cautious[0], en) != "Your investor profile is cautious (risk class 2)" {
		t.Errorf("cautious: %+v", cautious)
	}
}

// TestMeasureAllocationHandWorked: handMadeBehaviour on 30 June — QNTM
// 4,320 RON (a share: equities), bonds 3,000, the world ETF 1,000 (15 %
// volatility: all equities), the put left out (900), the unpriced share
// left out: 5,320 / 8,320 = 0.63942 → 0.6394 in equities; the class-4
// model holds 0.50, a drift of 0.1394. The largest single security is the
// behaviour's, QNTM (4,320 / 9,220, the put counted in the gross).
func TestMeasureAllocationHandWorked(t *testing.T) {
	in := handMadeBehaviour(nil)
	a := MeasureAllocation(in, 4)
	want := Allocation{Valued: true, Value: ecrm.MustMoney("8320.00", "RON"), Equity: ecrm.MustMoney("5320.00", "RON"),
		EquityShare: dec("0.6394"), ModelClass: 4, ModelEquityShare: dec("0.5"), Drift: dec("0.1394"), LargestSingleSecurity: "QNTM"}
	if !allocationEqual(a, want) {
		t.Errorf("allocation %+v, want %+v", a, want)
	}
	b := MeasureBehaviour(in)
	if b.LargestSingleSecurityWeight.String() != "0.4685" || b.PortfolioValue.Amount.Sub(a.Value.Amount).String() != "900" {
		t.Errorf("behaviour %s, %s: not valued as the allocation", b.LargestSingleSecurityWeight, b.PortfolioValue)
	}
	// A fund at 9.5 % volatility counts half in equities ((0.095 − 0.04)
	// ÷ 0.11); 4,820 / 8,320 = 0.57933 → 0.5793. Without a stated class
	// there is no model and no drift.
	etf := in.Instruments[3]
	etf.Volatility = dec("0.095")
	in.Instruments[3] = etf
	a = MeasureAllocation(in, 0)
	want = Allocation{Valued: true, Value: ecrm.MustMoney("8320.00", "RON"), Equity: ecrm.MustMoney("4820.00", "RON"),
		EquityShare: dec("0.5793"), ModelEquityShare: dec("0"), Drift: dec("0"), LargestSingleSecurity: "QNTM"}
	if !allocationEqual(a, want) {
		t.Errorf("allocation %+v, want %+v", a, want)
	}
	for vol, share := range map[string]string{"0.03": "0", "0.04": "0", "0.11": "0.64", "0.15": "1", "0.45": "1"} {
		if got, _ := fundEquityShare(BehaviourInstrument{Kind: "fund", Volatility: dec(vol)}); got.String() != share {
			t.Errorf("a fund at %s volatility: %s in equities, want %s", vol, got, share)
		}
	}
	if _, ok := fundEquityShare(BehaviourInstrument{Kind: "option"}); ok {
		t.Error("an option is allocated")
	}
	// Nothing held: not valued.
	if a := MeasureAllocation(BehaviourInput{AsOf: day("2026-06-30"), Currency: "RON"}, 3); a.Valued || a.ModelEquityShare.String() != "0.35" {
		t.Errorf("empty allocation %+v", a)
	}
}

func allocationEqual(a, b Allocation) bool {
	return a.Valued == b.Valued && a.Value.String() == b.Value.String() && a.Equity.String() == b.Equity.String() && a.EquityShare.Equal(b.EquityShare) &&
		a.ModelClass == b.ModelClass && a.ModelEquityShare.Equal(b.ModelEquityShare) && a.Drift.Equal(b.Drift) &&
		a.LargestSingleSecurity == b.LargestSingleSecurity
}

func TestModelEquityShares(t *testing.T) {
	var got []string
	for class := 0; class <= 8; class++ {
		got = append(got, ModelEquityShare(class).String())
	}
	if want := []string{"0", "0", "0.2", "0.35", "0.5", "0.65", "0.8", "0.9", "0"}; !slices.Equal(got, want) {
		t.Errorf("model equity shares %v, want %v", got, want)
	}
}

// TestSuitabilityProgrammes: behaviourFixture's Ana on 30 June 2026 —
// stated class 3, her trading implying 5 (riskier than stated), QNTM 47 %
// of her holdings, and everything she holds counted as equities (GOVB is
// a share in this fixture): 8,320 RON all in equities against the class-3
// model's 35 %, a drift of 65 points, 5,408.00 RON to move. A cautious,
// concentrated, drifted investor: the diversified portfolio and the
// rebalancing. In April 2028 her profile is due for review (over two
// years old): no programme, and the arbitration's variant does not even
// measure her behaviour.
func TestSuitabilityProgrammes(t *testing.T) {
	pool := behaviourFixture(t)
	ctx := context.Background()
	s := NewSuitability(pool, Period{})
	en := i18n.NewLocalizer(i18n.English)
	june := time.Date(2026, 6, 30, 15, 0, 0, 0, time.UTC)
	for _, evaluate := range []func(context.Context, int64, time.Time, *i18n.Localizer) (*Programmes, error){s.Programmes, s.OfferProgrammes} {
		p, err := evaluate(ctx, 1, june, en)
		if err != nil {
			t.Fatal(err)
		}
		f := p.Facts
		if !slices.Equal(codes(p.Matches), []string{ProgrammeDiversified, ProgrammeRebalancing}) || !f.Assessed || f.Stale ||
			f.StatedClass != 3 || f.ImpliedClass != 5 || f.Mismatch != RiskierThanStated || f.Allocation.EquityShare.String() != "1" ||
			f.Allocation.Drift.String() != "0.65" || p.Matches[1].Size.String() != "5408.00 RON" || p.Behaviour.Version != BehaviourVersion {
			t.Errorf("programmes %v, facts %+v, behaviour %s", codes(p.Matches), f, p.Behaviour.Version)
		}
		var reasons []string
		for _, r := range p.Matches[0].Reasons {
			reasons = append(reasons, r.Text)
		}
		if want := []string{"Your investor profile is cautious (risk class 3)", "Your largest single holding, QNTM, is 47% of your portfolio"}; !slices.Equal(reasons, want) {
			t.Errorf("reasons %q, want %q", reasons, want)
		}
		snap, err := p.Snapshot()
		if err != nil || !strings.Contains(string(snap), `"mismatch":{"direction":"riskier_than_stated"`) || !strings.Contains(string(snap), `"rule_set":"programmes-v1"`) {
			t.Errorf("snapshot %s %v", snap, err)
		}
	}
	april := time.Date(2028, 4, 1, 12, 0, 0, 0, time.UTC)
	full, err := s.Programmes(ctx, 1, april, en)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Matches) != 0 || !full.Facts.Assessed || !full.Facts.Stale || full.Behaviour.Version != BehaviourVersion {
		t.Errorf("a profile due for review: %v %+v", codes(full.Matches), full.Facts)
	}
	quick, err := s.OfferProgrammes(ctx, 1, april, en)
	if err != nil {
		t.Fatal(err)
	}
	if len(quick.Matches) != 0 || !quick.Facts.Stale || quick.Behaviour.Version != "" {
		t.Errorf("the arbitration's variant: %v %+v, behaviour %q", codes(quick.Matches), quick.Facts, quick.Behaviour.Version)
	}
	// Ion has no assessment: nothing.
	ion, err := s.Programmes(ctx, 2, june, en)
	if err != nil || len(ion.Matches) != 0 || ion.Facts.Assessed {
		t.Errorf("Ion: %+v %v", ion, err)
	}
	if _, err := s.Programmes(ctx, 99, june, en); !errors.Is(err, ErrNoSuchClient) {
		t.Errorf("unknown client: %v", err)
	}
}

// BenchmarkEvaluateProgrammes: the rules alone, on facts already read
// (every ranking of an assessed client with a current profile runs them).
func BenchmarkEvaluateProgrammes(b *testing.B) {
	f := seekerFacts(func(f *ProgrammeFacts) { f.LargestSingleSecurityWeight, f.Allocation.Drift = dec("0.55"), dec("0.2") })
	l := i18n.NewLocalizer(i18n.English)
	if got, err := EvaluateProgrammes(f, l); err != nil || len(got) != 3 {
		b.Fatalf("%v %v", codes(got), err)
	}
	b.ReportAllocs()
	for b.Loop() {
		EvaluateProgrammes(f, l)
	}
}

// BenchmarkMeasureAllocation: the allocation of the 50-position portfolio
// of BenchmarkMeasureBehaviour.
func BenchmarkMeasureAllocation(b *testing.B) {
	in := benchBehaviourInput()
	if a := MeasureAllocation(in, 4); !a.Valued {
		b.Fatal("not valued")
	}
	b.ReportAllocs()
	for b.Loop() {
		MeasureAllocation(in, 4)
	}
}
