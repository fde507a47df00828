package products

import (
	"context"
	"slices"
	"testing"

	"github.com/ecrm-project/ecrm"
)

// TestProposalKindsOnlyWhenProposed: a search for investments never lists
// the rebalancing proposal, not even as excluded; a request made for a
// rebalancing matches it alone, with its terms (the fee on the amount
// moved), and its own rule asks for a brokerage account first.
func TestProposalKindsOnlyWhenProposed(t *testing.T) {
	ctx := context.Background()
	eng, pool := demoEngine(t)
	id := newClient(t, pool, 40, "42000", "EUR", "affluent", nil, 0)
	assess(t, pool, id, "20000", `{"fund": "informed", "bond": "informed", "etf": "informed"}`, "1 day")
	client := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: id}
	codes := func(res MatchResult) (eligible, excluded []string) {
		for _, o := range res.Eligible {
			eligible = append(eligible, o.Code)
		}
		for _, e := range res.Excluded {
			excluded = append(excluded, e.Code)
		}
		return eligible, excluded
	}
	search := MatchRequest{Goal: GoalInvest, Amount: ecrm.MustMoney("5000", "EUR"), Months: 60, RiskTolerance: 5}
	res, err := eng.Match(ctx, client, search, english)
	if err != nil {
		t.Fatal(err)
	}
	eligible, excluded := codes(res)
	if slices.Contains(eligible, "REBAL-EUR-MODEL") || slices.Contains(excluded, "REBAL-EUR-MODEL") {
		t.Errorf("a search lists the rebalancing proposal: eligible %v, excluded %v", eligible, excluded)
	}
	if !slices.Contains(eligible, "MP-EUR-GROWTH") {
		t.Errorf("a search leaves out the growth model portfolio: eligible %v, excluded %v", eligible, excluded)
	}

	proposal := search
	proposal.Purpose, proposal.Amount, proposal.Months = PurposeRebalancing, ecrm.MustMoney("7400", "EUR"), 12
	res, err = eng.Match(ctx, client, proposal, english)
	if err != nil {
		t.Fatal(err)
	}
	eligible, excluded = codes(res)
	if len(eligible) != 0 || !slices.Equal(excluded, []string{"REBAL-EUR-MODEL"}) {
		t.Fatalf("without a brokerage account: eligible %v, excluded %v", eligible, excluded)
	}
	if got := res.Excluded[0].Reasons; len(got) != 1 || got[0].Check != "rule:has_brokerage" {
		t.Errorf("reasons %+v, want the brokerage account rule alone", got)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO accounts (client_id, kind, name, currency, opened_on)
		VALUES ($1, 'brokerage', 'Brokerage', 'EUR', current_date)`, id); err != nil {
		t.Fatal(err)
	}
	if res, err = eng.Match(ctx, client, proposal, english); err != nil {
		t.Fatal(err)
	}
	// 0.2 % of 7,400.00 EUR moved; nothing grows (an order, not an
	// investment).
	if got, want := summary(res), "1 REBAL-EUR-MODEL value=7385.20 EUR | Matches your 12-month term | Risk class 1 for your risk tolerance of 5\n"; got != want {
		t.Errorf("proposal:\n%s\nwant:\n%s", got, want)
	}
	if got := res.Eligible[0].Terms.EntryFee; got == nil || got.String() != "14.80 EUR" {
		t.Errorf("fee %v, want 14.80 EUR", got)
	}
}
