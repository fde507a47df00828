package compliance

import (
	"context"
	"testing"
	"time"
)

func TestExpireOffers(t *testing.T) {
	e := newGateEnv(t)
	ctx := context.Background()
	// Three offers 40 days ago; the client answered one.
	e.clock = gateNow.AddDate(0, 0, -40)
	v := e.present(e.presentation(e.clientID, "LOAN-EUR-PERS", "TD-EUR-12M", "CA-EUR-STD"))
	loan := e.product("LOAN-EUR-PERS")
	if _, err := e.gate.log.Append(ctx, Record{Kind: KindResponse, RefersTo: v[0].Seq, ClientID: e.clientID, ProductID: loan.ID,
		ProductVersionID: loan.VersionID, Engine: "products.matching", EngineVersion: "test", RuleVersion: loan.RulesHash,
		Channel: "web", Actor: Actor{Kind: ActorClient}, Outcome: OutcomeDeclined}); err != nil {
		t.Fatal(err)
	}
	// One offer 10 days ago is still open.
	e.clock = gateNow.AddDate(0, 0, -10)
	recent := e.present(e.presentation(e.clientID, "TD-EUR-12M"))
	e.clock = gateNow
	log := e.gate.log.(*Log)
	n, err := log.ExpireOffers(ctx, gateNow, 14*24*time.Hour)
	if err != nil || n != 2 {
		t.Fatalf("expired %d, %v; want 2", n, err)
	}
	rows, err := e.pool.Query(ctx, `SELECT refers_to, actor_kind, product_id FROM decision_records WHERE outcome = 'expired' ORDER BY refers_to`)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for rows.Next() {
		var ref, product int64
		var actor string
		if err := rows.Scan(&ref, &actor, &product); err != nil {
			t.Fatal(err)
		}
		if actor != "system" || product == 0 {
			t.Errorf("expiry of %d: actor %s, product %d", ref, actor, product)
		}
		got = append(got, ref)
	}
	if len(got) != 2 || got[0] != v[1].Seq || got[1] != v[2].Seq {
		t.Errorf("expired offers %v, want %d and %d (not the declined %d nor the recent %d)", got, v[1].Seq, v[2].Seq, v[0].Seq, recent[0].Seq)
	}
	// Running again expires nothing more.
	if n, err := log.ExpireOffers(ctx, gateNow, 14*24*time.Hour); err != nil || n != 0 {
		t.Errorf("second run expired %d, %v", n, err)
	}
	if res := mustVerify(t, e.pool, testKey(t)); !res.OK() {
		t.Fatalf("chain broken: %v", res.Problem)
	}
}
