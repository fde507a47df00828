package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/demodata"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// writeLeads writes a labelled file of n clients whose take-up rises with
// income and at the branch; header gives the columns, in any order.
func writeLeads(t *testing.T, name, header string, n int, seed uint64) string {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 2))
	var b strings.Builder
	b.WriteString(header + "\n")
	cols := strings.Split(header, ",")
	for range n {
		income := 50 + 10*r.NormFloat64()
		ch := []string{"web", "phone", "branch"}[r.IntN(3)]
		z := -2 + 1.5*(income-50)/10
		if ch == "branch" {
			z += 2
		}
		y := "no"
		if r.Float64() < 1/(1+math.Exp(-z)) {
			y = "yes"
		}
		fields := map[string]string{"income": fmt.Sprintf("%.1f", income), "channel": ch, "y": y, "subscribed": y}
		var row []string
		for _, c := range cols {
			row = append(row, fields[c])
		}
		b.WriteString(strings.Join(row, ",") + "\n")
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestModelCommands(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	env := map[string]string{"DATABASE_URL": url}
	leads := writeLeads(t, "Leads.csv", "income,channel,y", 3000, 1)

	out, err := runCommand(t, env, "model", "train", "--data", leads, "--seed", "3")
	if err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	for _, want := range []string{
		"read Leads.csv: 3000 rows", `','-separated`,
		"split: stratified random: 0.2 of the yes rows and of the no rows held out, seed 3",
		"training: 2400 rows", "holdout: 600 rows",
		"best single column: income", "popularity baseline (everyone the base rate,",
		"stored model leads-v1 (family leads); not active until `ecrm model activate leads-v1`",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("train output lacks %q:\n%s", want, out)
		}
	}

	t.Run("EvaluateOtherFile", func(t *testing.T) {
		other := writeLeads(t, "more.csv", "channel,y,income", 1000, 9)
		out, err := runCommand(t, env, "model", "evaluate", "--model", "leads-v1", "--data", other, "--explain", "2")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var auc, lift float64
		for _, line := range strings.Split(out, "\n") {
			fmt.Sscanf(line, "AUC %f", &auc)
			fmt.Sscanf(line, "lift at top decile %f", &lift)
		}
		if auc < 0.8 || lift < 1.5 || !strings.Contains(out, "scored more.csv: 1000 rows") || !strings.Contains(out, "income (+") {
			t.Fatalf("AUC %v lift %v in:\n%s", auc, lift, out)
		}
	})

	bad := []struct {
		name string
		args []string
		want string
	}{
		{"EvaluateMissingColumn", []string{"evaluate", "--model", "leads-v1", "--data", writeLeads(t, "no-channel.csv", "income,y", 50, 2)},
			`model evaluate: no-channel.csv is not of model leads-v1's layout: the file has no column "channel", which the model uses`},
		{"EvaluateOtherOutcome", []string{"evaluate", "--model", "leads-v1", "--data", writeLeads(t, "subscribed.csv", "income,channel,subscribed", 50, 2)},
			`model evaluate: subscribed.csv: no outcome column "y" in the header (income, channel, subscribed): it must say yes or no for each client`},
		{"EvaluateMissingVersion", []string{"evaluate", "--model", "leads-v7"},
			`model evaluate: model version "leads-v7" does not exist (ecrm model list shows the versions)`},
		{"EvaluateNoneActive", []string{"evaluate"},
			"model evaluate: no model is active: give --model VERSION (ecrm model list shows the versions)"},
		{"ActivateMissingVersion", []string{"activate", "leads-v9", "--reason", "typo"},
			`model activate: model version "leads-v9" does not exist (ecrm model list shows the versions)`},
		{"TrainHistoryEmpty", []string{"train", "--all"},
			"model train: the database has no clients: there is no history to learn from"},
		{"TrainHistoryUnknownFamily", []string{"train", "--family", "yachts"},
			`model train: family "yachts" is not a product family of the history (savings, term-deposit, brokerage, credit-card, overdraft, personal-loan, mortgage, home-insurance, motor-insurance, life-insurance, health-insurance, travel-insurance, accident-insurance, liability-insurance)`},
		{"TrainHistoryFamilyAndAll", []string{"train", "--family", "savings", "--all"},
			"model train: give --family F or --all, not both"},
		{"TrainHistoryBadDate", []string{"train", "--as-of", "30.06.2026"},
			`model train: --as-of "30.06.2026" is not a date YYYY-MM-DD`},
		{"TrainDataWithHistoryFlags", []string{"train", "--data", leads, "--as-of", "2026-06-30"},
			"model train: --all, --as-of, --clients and --snapshots are for training on the CRM's history, not with --data"},
		{"TrainIncludeDurationElsewhere", []string{"train", "--data", leads, "--include-duration"},
			`model train: ` + leads + `: no column "duration" in the file (columns: income, channel, y)`},
		{"TrainBadFamily", []string{"train", "--data", leads, "--family", "Term Deposits"},
			`model train: --family: family "Term Deposits": use lower-case letters, digits, '.' and '-', starting with a letter or digit`},
		{"Unknown", []string{"retrain"}, `model: unknown command "retrain" (train, evaluate, activate, list)`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCommand(t, env, append([]string{"model"}, tt.args...)...)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v\nwant     %s\noutput: %s", err, tt.want, out)
			}
		})
	}
	t.Run("TrainRaggedFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ragged.csv")
		os.WriteFile(path, []byte("income;channel;y\n50;web;no\n51;yes\n"), 0o600)
		_, err := runCommand(t, env, "model", "train", "--data", path)
		if err == nil || err.Error() != "model train: ragged.csv: line 3: 2 fields, the header has 3" {
			t.Fatalf("error = %v", err)
		}
	})

	pool, err := pgdb.Open(ctx, url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var activations int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM model_activations`).Scan(&activations); err != nil || activations != 0 {
		t.Fatalf("%d activations after the failures (%v), want none", activations, err)
	}

	t.Run("ActivateThenEvaluateStored", func(t *testing.T) {
		out, err := runCommand(t, env, "model", "activate", "leads-v1", "--reason", "first model")
		if err != nil || !strings.HasPrefix(out, "model leads-v1 is now the active leads model (activation 1 by ") {
			t.Fatalf("activate = %q, %v", out, err)
		}
		out, err = runCommand(t, env, "model", "evaluate")
		if err != nil || !strings.Contains(out, "model leads-v1 (family leads, active)") || !strings.Contains(out, "\nAUC 0.") ||
			!strings.Contains(out, "\nlift at top decile ") || !strings.Contains(out, "best single column: income") {
			t.Fatalf("evaluate = %q, %v", out, err)
		}
		var reason, by string
		if err := pool.QueryRow(ctx, `SELECT reason, activated_by FROM model_activations WHERE version = 'leads-v1'`).Scan(&reason, &by); err != nil || reason != "first model" || by == "" {
			t.Fatalf("audit row reason %q by %q: %v", reason, by, err)
		}
		out, err = runCommand(t, env, "model", "list")
		if err != nil || !strings.Contains(out, "leads-v1") || !strings.Contains(out, "active") {
			t.Fatalf("list = %q, %v", out, err)
		}
	})
}

// TestModelTrainHistory trains every family on a generated history, as an
// operator would after ecrm seed, and reads the figures back with
// evaluate: the learned model's AUC beside the popularity baselines'.
func TestModelTrainHistory(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	env := map[string]string{"DATABASE_URL": url}
	pool, err := pgdb.Open(ctx, url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	asOf := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	if _, err := demodata.Seed(ctx, pool, demodata.Options{Clients: 3000, Seed: 2, AsOf: asOf}); err != nil {
		t.Fatal(err)
	}
	out, err := runCommand(t, env, "model", "train", "--all", "--as-of", "2026-06-30")
	if err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	t.Log(out)
	for _, want := range []string{
		"read the history: ", "3000 of 3000 clients × 9 snapshots, 90 days apart, up to 2026-06-30",
		"not trained: brokerage: 0 take-ups in the training snapshots, 30 needed",
		"savings: stored model savings-v1; not active until `ecrm model activate savings-v1`",
		"popularity by segment × age band (training take-up rate of the client's group)",
		"split: by date: trained on the 8 snapshots 2024-04-11…2026-01-01 (take-ups until 2026-03-31), judged on the snapshot of 2026-04-01 (take-ups 2026-04-01…2026-06-29)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("train output lacks %q", want)
		}
	}
	out, err = runCommand(t, env, "model", "evaluate", "--model", "savings-v1")
	if err != nil {
		t.Fatalf("evaluate: %v\n%s", err, out)
	}
	var auc, baseline, flat float64
	for _, line := range strings.Split(out, "\n") {
		fmt.Sscanf(line, "AUC %f", &auc)
		if rest, ok := strings.CutPrefix(line, "popularity by segment × age band (training take-up rate of the client's group)"); ok {
			fmt.Sscanf(strings.TrimSpace(rest), "%f", &baseline)
		}
		if strings.HasPrefix(line, "popularity baseline (everyone the base rate") {
			fmt.Sscanf(strings.TrimSpace(line[strings.Index(line, ")")+1:]), "%f", &flat)
		}
	}
	if !strings.Contains(out, "model savings-v1 (family savings, not active): trained ") || !strings.Contains(out, " on history 2024-04-11…2026-06-30, 9 snapshots, 3000 of 3000 clients") ||
		!(auc > baseline && baseline > flat && flat == 0.5) {
		t.Fatalf("evaluate: AUC %v, by segment and age %v, flat %v in:\n%s", auc, baseline, flat, out)
	}
	if _, err := runCommand(t, env, "model", "evaluate", "--model", "savings-v1", "--data", writeLeads(t, "l.csv", "income,channel,y", 50, 1)); err == nil ||
		err.Error() != "model evaluate: model savings-v1 was trained on the CRM's history, not on a file: --data scores files of a file model's layout only" {
		t.Fatalf("evaluate --data on a history model: %v", err)
	}
}
