package crosssell

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm/internal/pgtest"
)

func TestStore(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	store := NewStore(pool)
	tr := trainSynthetic(t)
	nv := NewVersion{Family: "deposits", Source: SourceCSV, SourceName: "leads.csv", SourceSHA256: strings.Repeat("ab", 32),
		TrainedBy: "ana", Trained: tr, Rows: 4000}

	t.Run("VersionsCountPerFamily", func(t *testing.T) {
		for _, want := range []string{"deposits-v1", "deposits-v2"} {
			v, err := store.Save(ctx, nv)
			if err != nil || v != want {
				t.Fatalf("Save = %q, %v; want %q", v, err, want)
			}
		}
		other := nv
		other.Family = "mortgages"
		if v, err := store.Save(ctx, other); err != nil || v != "mortgages-v1" {
			t.Fatalf("Save of another family = %q, %v", v, err)
		}
	})

	t.Run("RoundTrip", func(t *testing.T) {
		v, err := store.Model(ctx, "deposits-v1")
		if err != nil {
			t.Fatal(err)
		}
		if v.Family != "deposits" || v.Rows != 4000 || v.TrainedBy != "ana" || v.Active || v.Metrics.Holdout != tr.Metrics.Holdout {
			t.Fatalf("read back %+v", v)
		}
		rec := map[string]string{"income": "61.5", "channel": "phone"}
		want, _ := tr.Model.ScoreRecord(rec, 3)
		got, err := v.Model.ScoreRecord(rec, 3)
		if err != nil || got.Probability != want.Probability || len(got.Reasons) != len(want.Reasons) {
			t.Fatalf("stored model scores %+v, %v; the trained one %+v", got, err, want)
		}
	})

	t.Run("ActivateMissingVersion", func(t *testing.T) {
		_, err := store.Activate(ctx, "deposits-v9", "ana", "")
		if !errors.Is(err, ErrModelNotFound) || err.Error() != `model version "deposits-v9" does not exist (ecrm model list shows the versions)` {
			t.Fatalf("error = %v", err)
		}
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM model_activations`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d activations recorded (%v), want none", n, err)
		}
		if _, err := store.Active(ctx, "deposits"); !errors.Is(err, ErrModelNotFound) {
			t.Fatalf("Active before any activation: %v", err)
		}
	})

	t.Run("ActivateIsAuditedOnePerFamily", func(t *testing.T) {
		a, err := store.Activate(ctx, "deposits-v1", "ana", "first model")
		if err != nil || a.Previous != "" || a.Family != "deposits" {
			t.Fatalf("first activation %+v, %v", a, err)
		}
		a, err = store.Activate(ctx, "deposits-v2", "dan", "better lift")
		if err != nil || a.Previous != "deposits-v1" {
			t.Fatalf("second activation %+v, %v", a, err)
		}
		if _, err := store.Activate(ctx, "mortgages-v1", "ana", ""); err != nil {
			t.Fatal(err)
		}
		again, err := store.Activate(ctx, "deposits-v2", "eve", "")
		if err != nil || again.ID != a.ID || again.ActivatedBy != "dan" {
			t.Fatalf("activating the active version again: %+v, %v; want the existing row", again, err)
		}
		active, err := store.Active(ctx, "deposits")
		if err != nil || active.Version != "deposits-v2" || !active.Active {
			t.Fatalf("active deposits = %+v, %v", active, err)
		}
		all, err := store.Versions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var actives []string
		for _, s := range all {
			if s.Active {
				actives = append(actives, s.Version)
			}
		}
		if strings.Join(actives, ",") != "deposits-v2,mortgages-v1" {
			t.Fatalf("active versions %q", actives)
		}
		log, err := store.Activations(ctx, "deposits")
		if err != nil || len(log) != 2 || log[0].Version != "deposits-v2" || log[0].Previous != "deposits-v1" || log[0].Reason != "better lift" || log[1].ActivatedBy != "ana" {
			t.Fatalf("audit %+v, %v", log, err)
		}
	})

	t.Run("ActivationsCannotBeRewritten", func(t *testing.T) {
		var canUpdate, canDelete bool
		err := pool.QueryRow(ctx, `SELECT has_table_privilege('ecrm_app', 'model_activations', 'UPDATE'),
		                                  has_table_privilege('ecrm_app', 'model_activations', 'DELETE')`).Scan(&canUpdate, &canDelete)
		if err != nil || canUpdate || canDelete {
			t.Fatalf("ecrm_app may update %v, delete %v (%v): the audit must be append-only", canUpdate, canDelete, err)
		}
	})

	t.Run("FamilyMustMatch", func(t *testing.T) {
		_, err := pool.Exec(ctx, `INSERT INTO model_activations (family, version, activated_by) VALUES ('mortgages', 'deposits-v1', 'x')`)
		if err == nil || !strings.Contains(err.Error(), "model deposits-v1 is not of family mortgages") {
			t.Fatalf("cross-family activation: %v", err)
		}
	})
}

func TestFamilyOf(t *testing.T) {
	for in, want := range map[string]string{"Leads 2026.csv": "leads-2026", "/tmp/x/Term_Deposits.v2.CSV": "term-deposits.v2", "---.csv": "csv"} {
		if got := FamilyOf(&Trained{}, in); got != want || CheckFamily(got) != nil {
			t.Errorf("FamilyOf(%q) = %q, want %q", in, got, want)
		}
	}
	if err := CheckFamily("Deposits"); err == nil {
		t.Error("an upper-case family was accepted")
	}
}
