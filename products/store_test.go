package products

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// testLoan is a small consumer loan used across the tests.
func testLoan() ProductInput {
	return ProductInput{
		Code: "LOAN-TEST", Name: Text{EN: "Test loan", RO: "Credit de test"}, Line: LineBanking, Kind: "consumer_loan", Provider: "ecrm Bank", Currency: "EUR",
		RiskClass: 1,
		Definition: Definition{
			RateTiers:       []RateTier{{MinAmount: decimal.RequireFromString("1000"), Rate: decimal.RequireFromString("0.079")}},
			UpfrontFeeFixed: decimal.RequireFromString("100"),
			MinAmount:       decimal.RequireFromString("1000"), MaxAmount: decimal.RequireFromString("50000"),
			MinMonths: 12, MaxMonths: 60,
			TargetMarket: TargetMarket{ClientTypes: []string{"retail"}, MinKnowledge: "none", MinLossCapacity: "none", MinRiskTolerance: 1, Objectives: []string{"borrowing"}},
		},
		Rules: []Rule{
			{ID: "adult", Expression: "client.age >= 18", Reason: Text{EN: "Under 18", RO: "Sub 18 ani"}},
			{ID: "min_income", Expression: "client.annual_income_eur >= 30000", Reason: Text{EN: "Income below 30,000 EUR", RO: "Venit sub 30.000 EUR"}},
		},
	}
}

func fieldErrors(t *testing.T, err error) []ecrm.FieldError {
	t.Helper()
	var appErr *ecrm.Error
	if !errors.As(err, &appErr) || appErr.Code != ecrm.EINVALID {
		t.Fatalf("error = %v, want an EINVALID application error", err)
	}
	return appErr.Fields
}

func TestProductVersions(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	s := NewStore(pool)
	v1, err := s.CreateProduct(ctx, testLoan(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version.Version != 1 || !v1.Active {
		t.Fatalf("created version %d active %v, want 1 true", v1.Version.Version, v1.Active)
	}

	t.Run("PutCreatesVersion2", func(t *testing.T) {
		in := testLoan()
		in.Definition.RateTiers[0].Rate = decimal.RequireFromString("0.069")
		v2, err := s.UpdateProduct(ctx, "LOAN-TEST", in, 0)
		if err != nil {
			t.Fatal(err)
		}
		if v2.Version.Version != 2 || v2.VersionID == v1.VersionID || v2.RulesHash != v1.RulesHash {
			t.Errorf("v2 = version %d id %d hash %s; want version 2, new id, same rules hash", v2.Version.Version, v2.VersionID, v2.RulesHash)
		}
		old, err := s.ProductVersion(ctx, v1.VersionID)
		if err != nil {
			t.Fatal(err)
		}
		if got := old.Definition.RateTiers[0].Rate.String(); got != "0.079" || old.Version.Version != 1 {
			t.Errorf("version 1 now has rate %s version %d; want 0.079 and 1 unchanged", got, old.Version.Version)
		}
		// Saving the same input again writes nothing.
		same, err := s.UpdateProduct(ctx, "LOAN-TEST", in, 0)
		if err != nil || same.Version.Version != 2 {
			t.Errorf("unchanged PUT gave version %d, %v; want 2", same.Version.Version, err)
		}
	})

	t.Run("InvalidRuleKeepsCurrentVersion", func(t *testing.T) {
		in := testLoan()
		in.Name = Text{EN: "Renamed", RO: "Redenumit"}
		in.Rules = append(in.Rules, Rule{ID: "score", Expression: "client.credit_score >= '600'", Reason: Text{EN: "x", RO: "y"}})
		_, err := s.UpdateProduct(ctx, "LOAN-TEST", in, 0)
		want := []ecrm.FieldError{{Field: "rules[2].expression", Message: "line 1, column 21: found no matching overload for '_>=_' applied to '(int, string)'"}}
		if diff := diffJSON(want, fieldErrors(t, err)); diff != "" {
			t.Errorf("mismatch:\n%s", diff)
		}
		cur, err := s.ProductByCode(ctx, "LOAN-TEST")
		if err != nil {
			t.Fatal(err)
		}
		if cur.Version.Version != 2 || cur.Name.EN != "Test loan" {
			t.Errorf("current is version %d %q after a rejected change; want version 2 \"Test loan\"", cur.Version.Version, cur.Name)
		}
	})

	t.Run("VersionsAreImmutable", func(t *testing.T) {
		if _, err := pool.Exec(ctx, `UPDATE product_versions SET name = 'x' WHERE id = $1`, v1.VersionID); err == nil {
			t.Error("UPDATE of a product version succeeded; want the trigger to refuse it")
		}
		if _, err := pool.Exec(ctx, `DELETE FROM product_versions WHERE id = $1`, v1.VersionID); err == nil {
			t.Error("DELETE of a product version succeeded; want the trigger to refuse it")
		}
	})

	t.Run("ErrDuplicateCode", func(t *testing.T) {
		_, err := s.CreateProduct(ctx, testLoan(), 0)
		if ecrm.ErrorCode(err) != ecrm.ECONFLICT {
			t.Errorf("second create: %v, want conflict", err)
		}
	})
}

func TestRuleErrorsNamePosition(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want string
	}{
		{"client.age >= 18 &&", "line 1, column 20: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}"},
		{"client.agee >= 18", "line 1, column 7: undeclared reference to 'client.agee' (did you mean 'client.age'?)"},
		{"client.age + 1", "line 1, column 1: must evaluate to a bool, not int"},
		{"client.age >= 18 &&\n  client.income > 5", "line 2, column 3: undeclared reference to 'client'"},
	} {
		_, err := compileRules([]Rule{{ID: "r", Expression: tc.expr, Reason: Text{EN: "a", RO: "b"}}})
		want := []ecrm.FieldError{{Field: "rules[0].expression", Message: tc.want}}
		if diff := diffJSON(want, fieldErrors(t, err)); diff != "" {
			t.Errorf("%q: mismatch:\n%s", tc.expr, diff)
		}
	}
}

func TestImportIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	s := NewStore(pool)
	good := testLoan()
	bad := testLoan()
	bad.Code = "LOAN-BAD"
	bad.Definition.MinMonths = -1
	_, err := s.Import(ctx, []ProductInput{good, bad}, 0)
	want := []ecrm.FieldError{{Field: "products[1].definition.min_months", Message: "must be between 0 and 480"}}
	if diff := diffJSON(want, fieldErrors(t, err)); diff != "" {
		t.Errorf("mismatch:\n%s", diff)
	}
	if list, _ := s.Products(ctx, true); len(list) != 0 {
		t.Errorf("%d products after a failed import, want 0", len(list))
	}
	res, err := s.Import(ctx, []ProductInput{good}, 0)
	if err != nil {
		t.Fatal(err)
	}
	exported, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res2, err := s.Import(ctx, exported, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := diffJSON([]ImportResult{{Created: []string{"LOAN-TEST"}, Versioned: []string{}, Unchanged: []string{}},
		{Created: []string{}, Versioned: []string{}, Unchanged: []string{"LOAN-TEST"}}}, []ImportResult{res, res2}); diff != "" {
		t.Errorf("import then re-import of the export: mismatch:\n%s", diff)
	}
}

// diffJSON returns "" when want and got are deeply equal, otherwise both as
// JSON, which shows decimals and nested reasons readably.
func diffJSON(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	w, _ := json.MarshalIndent(want, "", "  ")
	g, _ := json.MarshalIndent(got, "", "  ")
	return "want " + string(w) + "\ngot  " + string(g)
}
