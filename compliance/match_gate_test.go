package compliance

import (
	"context"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/products"
)

// TestPresentMatch runs the matching engine for real clients and puts the
// result through the gate, as the portal does.
func TestPresentMatch(t *testing.T) {
	e := newGateEnv(t)
	ctx := context.Background()
	e.exec(`UPDATE clients SET annual_income = 48000, income_currency = 'EUR', country = 'RO', kyc_status = 'verified',
		kyc_verified_at = '2025-01-01', employment_status = 'employed' WHERE id = $1`, e.clientID)
	engine := products.NewEngine(e.store)
	l := i18n.NewLocalizer(i18n.English)
	req := products.MatchRequest{Goal: products.GoalBorrow, Amount: ecrm.MustMoney("20000", "EUR"), Months: 36}
	match := func(client int64) products.MatchResult {
		t.Helper()
		out, err := engine.MatchOutcome(ctx, &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: client}, req, l)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Result.Eligible) == 0 {
			t.Fatalf("no eligible loan for client %d: %+v", client, out.Result.Excluded)
		}
		if err := e.gate.PresentMatch(ctx, client, "web", &out, l); err != nil {
			t.Fatal(err)
		}
		return out.Result
	}

	res := match(e.clientID)
	if len(res.Eligible) < 2 || res.Withheld != 0 || res.Notice != "" {
		t.Fatalf("consenting client: %d offers, %d withheld, notice %q", len(res.Eligible), res.Withheld, res.Notice)
	}
	var codes []string
	for i, o := range res.Eligible {
		codes = append(codes, o.Code)
		if o.Rank != i+1 || o.DecisionSeq == 0 {
			t.Errorf("offer %s: rank %d, decision %d", o.Code, o.Rank, o.DecisionSeq)
		}
		var kind, code string
		var version int64
		if err := e.pool.QueryRow(ctx, `SELECT d.kind, p.code, d.product_version_id FROM decision_records d JOIN products p ON p.id = d.product_id
			WHERE d.seq = $1 AND d.client_id = $2`, o.DecisionSeq, e.clientID).Scan(&kind, &code, &version); err != nil {
			t.Fatal(err)
		}
		if kind != "offer_shown" || code != o.Code || version != o.ProductVersionID {
			t.Errorf("record of %s: %s %s %d", o.Code, kind, code, version)
		}
	}
	// The record holds the disclosures shown: fees, the total cost, the
	// terms document and the conflict of interest.
	var disclosures string
	if err := e.pool.QueryRow(ctx, `SELECT string_agg(d->>'kind', ',') FROM decision_records, json_array_elements(body->'disclosures') d WHERE seq = $1`,
		res.Eligible[0].DecisionSeq).Scan(&disclosures); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(disclosures, "cost") || !strings.Contains(disclosures, "document") || !strings.Contains(disclosures, "conflict_of_interest") {
		t.Errorf("disclosures recorded: %s", disclosures)
	}
	// Replaying a shown offer reproduces it, figures included.
	if r, err := NewReplayer(e.pool).Record(ctx, res.Eligible[0].DecisionSeq); err != nil || !r.Reproduced() {
		t.Errorf("replay of %s: %+v %v", codes[0], r, err)
	}

	// Without consent to personalised offers in the portal: none shown,
	// every one recorded as blocked, and the client told why.
	e.consent(e.clientID, "marketing", "web", false, gateNow.Add(-60e9))
	before := e.scalar(`SELECT count(*) FROM decision_records WHERE kind = 'offer_blocked'`)
	res = match(e.clientID)
	if len(res.Eligible) != 0 || res.Withheld != len(codes) {
		t.Fatalf("without consent: %d offers shown, %d withheld; want 0 and %d", len(res.Eligible), res.Withheld, len(codes))
	}
	if want := "You see no personal offers because you have not agreed to personalised offers in the portal and the app. You can give this consent in My profile."; res.Notice != want {
		t.Errorf("notice %q", res.Notice)
	}
	if after := e.scalar(`SELECT count(*) FROM decision_records WHERE kind = 'offer_blocked'`); after-before != int64(len(codes)) {
		t.Errorf("%d blocked records, want %d", after-before, len(codes))
	}
}
