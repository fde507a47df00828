package products

import (
	"context"
	"testing"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

func TestDemoCatalogueLoadsOnce(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	if err := LoadDemoCatalogue(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if err := LoadDemoCatalogue(ctx, pool); err != nil {
		t.Fatal(err)
	}
	list, err := NewStore(pool).Products(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]int{}
	for _, p := range list {
		lines[p.Line]++
		if p.Version.Version != 1 {
			t.Errorf("%s: version %d after loading twice, want 1", p.Code, p.Version.Version)
		}
	}
	if len(list) < 30 || lines[LineBanking] == 0 || lines[LineBrokerage] == 0 || lines[LineInsurance] == 0 {
		t.Errorf("demo catalogue has %d products by line %v; want at least 30 across the three lines", len(list), lines)
	}
	for _, p := range list {
		if len(p.Rules) == 0 || len(p.RulesHash) != 64 {
			t.Errorf("%s: %d rules, hash %q; every demo product has eligibility rules", p.Code, len(p.Rules), p.RulesHash)
		}
	}
}
