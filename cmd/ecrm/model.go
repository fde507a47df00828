package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/user"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// modelCommand runs the operator commands of the propensity models
// (issue 14, item 2):
//
//	ecrm model train --data FILE.csv [--exclude NAME]... [--include-duration] [--holdout 0.2] [--seed 1] [--family F]
//	ecrm model train [--family F | --all] [--as-of DATE] [--clients N] [--snapshots N] [--fit-rows N]   (the CRM's own history)
//	ecrm model evaluate [--model VERSION] [--data FILE.csv] [--family F] [--explain N]
//	ecrm model activate VERSION [--reason TEXT]
//	ecrm model list
//	ecrm model rescore [--as-of DATE] [--workers N] [--chunk N]
//
// train stores a new version but never activates it: which model scores
// clients is an operator's explicit, audited choice, made after reading
// the figures train prints beside the baseline's. activate prints first
// the new version's offer and acceptance rates by age band and segment
// beside the active version's (issue 14, item 7; crosssell/fairness.go),
// and refuses without --reason when a group fails the four-fifths rule.
func modelCommand(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: ecrm model train|evaluate|activate|list|rescore [flags]")
	}
	switch args[0] {
	case "train":
		return modelTrain(ctx, cfg, args[1:], stdout)
	case "evaluate":
		return modelEvaluate(ctx, cfg, args[1:], stdout)
	case "activate":
		return modelActivate(ctx, cfg, args[1:], stdout)
	case "list":
		return modelList(ctx, cfg, args[1:], stdout)
	case "rescore":
		return modelRescore(ctx, cfg, args[1:], stdout)
	}
	return fmt.Errorf("model: unknown command %q (train, evaluate, activate, list, rescore)", args[0])
}

// names is a repeatable string flag (--exclude a --exclude b).
type names []string

func (n *names) String() string     { return strings.Join(*n, ",") }
func (n *names) Set(v string) error { *n = append(*n, v); return nil }

// parseInterspersed parses flags that may come before or after the
// positional arguments (ecrm model activate V --reason R), which the flag
// package alone stops at.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func modelTrain(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("model train", flag.ContinueOnError)
	data := fs.String("data", "", "labelled CSV file: one row per contacted client, outcome column y (yes/no)")
	var exclude names
	fs.Var(&exclude, "exclude", "leave a column out of the model (repeatable)")
	includeDuration := fs.Bool("include-duration", false, "bank telemarketing layout: use the call's duration, known only after the call (for comparison only)")
	holdout := fs.Float64("holdout", 0.2, "fraction of the rows held out to judge the model")
	seed := fs.Uint64("seed", 1, "seed of the holdout draw: the same seed gives the same split")
	family := fs.String("family", "", "product family of the model (default: the layout's, else the file's name)")
	lambda := fs.Float64("lambda", crosssell.DefaultLambda, "L2 penalty on the mean log-loss")
	all := fs.Bool("all", false, "without --data: train every product family of the history (the default when no --family is given)")
	asOf := fs.String("as-of", "", "without --data: the last day of history to use, YYYY-MM-DD (default today)")
	clients := fs.Int("clients", 0, fmt.Sprintf("without --data: the most clients to sample from the history (default %d)", crosssell.DefaultHistoryClients))
	snapshots := fs.Int("snapshots", 0, fmt.Sprintf("without --data: training snapshots, %d days apart, before the holdout's (default %d)", crosssell.Horizon, crosssell.DefaultSnapshots))
	fitRows := fs.Int("fit-rows", 0, fmt.Sprintf("without --data: the most rows of a family's fit, past which every take-up and a weighted draw of the other rows are fitted (default %d; -1: every row)", crosssell.DefaultFitRows))
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("model train: unexpected argument %q", pos[0])
	}
	if *data == "" {
		return modelTrainHistory(ctx, cfg, *family, *all, *asOf, crosssell.HistoryOptions{Clients: *clients, Snapshots: *snapshots, Lambda: *lambda, FitRows: *fitRows}, stdout)
	}
	if *all || *asOf != "" || *clients != 0 || *snapshots != 0 || *fitRows != 0 {
		return errors.New("model train: --all, --as-of, --clients, --snapshots and --fit-rows are for training on the CRM's history, not with --data")
	}
	if *family != "" {
		if err := crosssell.CheckFamily(*family); err != nil {
			return fmt.Errorf("model train: --family: %w", err)
		}
	}
	start := time.Now()
	ds, sum, err := readDataset(*data)
	if err != nil {
		return fmt.Errorf("model train: %w", err)
	}
	read := time.Since(start)
	opt := crosssell.TrainOptions{Exclude: exclude, Holdout: *holdout, Seed: *seed, Lambda: *lambda}
	if *includeDuration {
		opt.Include = []string{"duration"}
	}
	t, err := crosssell.Train(ds, opt)
	if err != nil {
		return fmt.Errorf("model train: %s: %w", *data, err)
	}
	total := time.Since(start)
	m := t.Metrics
	fmt.Fprintf(stdout, "read %s: %d rows (%d yes), %d columns, %q-separated, in %s\n",
		filepath.Base(*data), len(ds.Rows), ds.Positives(), len(ds.Columns), ds.Separator, read.Round(time.Millisecond))
	for _, n := range t.Notes {
		if strings.HasPrefix(n, "duration excluded") {
			n += " (--include-duration to use it, for comparison only)"
		}
		fmt.Fprintln(stdout, n)
	}
	if len(t.Model.Layout.Excluded) > 0 {
		fmt.Fprintf(stdout, "excluded: %s\n", strings.Join(t.Model.Layout.Excluded, ", "))
	}
	fmt.Fprintf(stdout, "split: %s\n", m.Split)
	fmt.Fprintf(stdout, "training: %d rows (%d yes); holdout: %d rows (%d yes)\n", m.Train.Rows, m.Train.Positives, m.Holdout.Rows, m.Holdout.Positives)
	fmt.Fprintf(stdout, "fitted %d features in %.2f s (L2 logistic regression, L-BFGS, %d iterations, stopped by %s, lambda %g); %.2f s in all with reading and scoring\n",
		m.Features, m.Seconds, m.Iterations, m.Stopped, m.Lambda, total.Seconds())
	printComparison(stdout, "new model", m)
	if t.Model.Layout.Known == "bank-telemarketing" {
		fmt.Fprintln(stdout, "for reference: Moro, Cortez and Rita (2014) report AUC 0.794 for their best model without duration, on their own time-ordered test set")
	}

	fam := *family
	if fam == "" {
		fam = crosssell.FamilyOf(t, *data)
	}
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	version, err := crosssell.NewStore(pool).Save(ctx, crosssell.NewVersion{
		Family: fam, Source: crosssell.SourceCSV, SourceName: filepath.Base(*data), SourceSHA256: sum,
		TrainedBy: operator(), Trained: t, Rows: len(ds.Rows),
	})
	if err != nil {
		return fmt.Errorf("model train: %w", err)
	}
	fmt.Fprintf(stdout, "stored model %s (family %s); not active until `ecrm model activate %s`\n", version, fam, version)
	printFairnessSummary(stdout, version, m.Fairness)
	return nil
}

// modelTrainHistory trains the propensity models of the product families
// on the CRM's own history (no --data): one read of the history for all
// families, one stored version per family that had enough take-ups, none
// activated.
func modelTrainHistory(ctx context.Context, cfg config, family string, all bool, asOf string, opt crosssell.HistoryOptions, stdout io.Writer) error {
	switch {
	case family != "" && all:
		return errors.New("model train: give --family F or --all, not both")
	case family != "":
		opt.Families = []string{family}
	}
	if asOf != "" {
		d, err := time.Parse(time.DateOnly, asOf)
		if err != nil {
			return fmt.Errorf("model train: --as-of %q is not a date YYYY-MM-DD", asOf)
		}
		opt.AsOf = d
	}
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	opt.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	// The examples and their encoding are most of the heap and live to
	// the end (4 GB for a million clients); each family adds a few
	// hundred MB of garbage. The default target, twice the live heap,
	// would let a whole firm's run reach 9 GB; a quarter more than the
	// live heap costs a few more collections (the rows hold few
	// pointers) for a third less memory. An explicit GOGC still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
	start := time.Now()
	run, err := crosssell.TrainHistory(ctx, pool, opt)
	if err != nil {
		return fmt.Errorf("model train: %w", err)
	}
	fmt.Fprintf(stdout, "read the history: %d rows (%d of %d clients × %d snapshots, %d days apart, up to %s) in %.1f s\n",
		run.Examples, run.Sampled, run.Clients, len(run.Snapshots), crosssell.Horizon, run.AsOf.Format(time.DateOnly), run.ReadSeconds)
	fmt.Fprintf(stdout, "encoded them once for every family: %d non-zero features in %.1f s\n", run.Entries, run.EncodeSeconds)
	for _, n := range run.Notes {
		fmt.Fprintln(stdout, n)
	}
	for _, s := range run.Skipped {
		fmt.Fprintf(stdout, "not trained: %s\n", s)
	}
	if len(run.Trained) == 0 {
		return errors.New("model train: no family had enough take-ups in the history to train a model")
	}
	store := crosssell.NewStore(pool)
	for _, t := range run.Trained {
		m := t.Metrics
		version, err := store.Save(ctx, crosssell.NewVersion{
			Family: t.Family, Source: crosssell.SourceHistory, SourceName: run.Window(),
			TrainedBy: operator(), Trained: t, Rows: m.Train.Rows + m.Holdout.Rows,
		})
		if err != nil {
			return fmt.Errorf("model train: %w", err)
		}
		fmt.Fprintf(stdout, "\n%s: stored model %s; not active until `ecrm model activate %s`\n", t.Family, version, version)
		fmt.Fprintf(stdout, "training: %d rows (%d take-ups); holdout: %d rows (%d take-ups); %d features fitted in %.2f s (%d iterations, %s); %.1f s with selection and scoring\n",
			m.Train.Rows, m.Train.Positives, m.Holdout.Rows, m.Holdout.Positives, m.Features, m.Seconds, m.Iterations, m.Stopped, run.FamilySeconds[t.Family])
		for _, n := range t.Notes[len(run.Notes):] {
			fmt.Fprintln(stdout, n)
		}
		printComparison(stdout, version, m)
		printFairnessSummary(stdout, version, m.Fairness)
	}
	fmt.Fprintf(stdout, "\nsplit: %s\n", run.Trained[0].Metrics.Split)
	fmt.Fprintf(stdout, "%.1f s in all\n", time.Since(start).Seconds())
	return nil
}

// printComparison prints a model's holdout figures beside the baselines'.
func printComparison(w io.Writer, name string, m crosssell.Metrics) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "on the holdout\tAUC\tlift at top decile\n")
	fmt.Fprintf(tw, "%s\t%.4f\t%.2f\n", name, m.Holdout.AUC, m.Holdout.Lift)
	if m.Baseline.Column == crosssell.BaselineSegmentAge {
		fmt.Fprintf(tw, "popularity by %s (training take-up rate of the client's group)\t%.4f\t%.2f\n", m.Baseline.Column, m.Baseline.AUC, m.Baseline.Lift)
	} else {
		fmt.Fprintf(tw, "best single column: %s (take-up rate of its level or interval)\t%.4f\t%.2f\n", m.Baseline.Column, m.Baseline.AUC, m.Baseline.Lift)
	}
	fmt.Fprintf(tw, "popularity baseline (everyone the base rate, %.1f%%)\t%.4f\t%.2f\n", 100*m.BaseRate, 0.5, 1.0)
	tw.Flush()
}

func modelEvaluate(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("model evaluate", flag.ContinueOnError)
	version := fs.String("model", "", "model version (default: the active version of --family)")
	data := fs.String("data", "", "labelled CSV file of the model's layout to score (default: print the stored holdout figures)")
	family := fs.String("family", "", "without --model: the family whose active version to evaluate (default: the only family with an active version)")
	explain := fs.Int("explain", 0, "with --data: print the N highest-scored clients with their top reasons")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("model evaluate: unexpected argument %q (the version goes after --model)", pos[0])
	}
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := crosssell.NewStore(pool)
	v, err := findModel(ctx, store, *version, *family)
	if err != nil {
		return fmt.Errorf("model evaluate: %w", err)
	}
	state := "not active"
	if v.Active {
		state = "active"
	}
	fmt.Fprintf(stdout, "model %s (family %s, %s): trained %s by %s on %s, %d rows\n", v.Version, v.Family, state,
		v.TrainedAt.UTC().Format(time.RFC3339), v.TrainedBy, v.SourceName, v.Rows)
	if *data == "" {
		m := v.Metrics
		fmt.Fprintf(stdout, "split: %s\n", m.Split)
		fmt.Fprintf(stdout, "holdout: %d rows (%d yes)\n", m.Holdout.Rows, m.Holdout.Positives)
		fmt.Fprintf(stdout, "AUC %.4f\nlift at top decile %.2f\n", m.Holdout.AUC, m.Holdout.Lift)
		printComparison(stdout, v.Version, m)
		printFairness(stdout, v.Version, m.Fairness)
		return nil
	}
	if v.Source == crosssell.SourceHistory {
		return fmt.Errorf("model evaluate: model %s was trained on the CRM's history, not on a file: --data scores files of a file model's layout only", v.Version)
	}
	ds, _, err := readDataset(*data)
	if err != nil {
		return fmt.Errorf("model evaluate: %w", err)
	}
	scores, err := v.Model.Predict(ds)
	var le *crosssell.LayoutError
	if errors.As(err, &le) {
		return fmt.Errorf("model evaluate: %s is not of model %s's layout: %w", filepath.Base(*data), v.Version, err)
	}
	if err != nil {
		return fmt.Errorf("model evaluate: %s: %w", *data, err)
	}
	auc := crosssell.AUC(scores, ds.Labels)
	if math.IsNaN(auc) {
		return fmt.Errorf("model evaluate: %s has only %s rows: AUC needs both yes and no", filepath.Base(*data), map[bool]string{true: "yes", false: "no"}[ds.Positives() > 0])
	}
	lift := crosssell.Lift(scores, ds.Labels, crosssell.TopFraction)
	fmt.Fprintf(stdout, "scored %s: %d rows (%d yes, %.1f%%)\n", filepath.Base(*data), len(ds.Rows), ds.Positives(), 100*float64(ds.Positives())/float64(len(ds.Rows)))
	fmt.Fprintf(stdout, "AUC %.4f\nlift at top decile %.2f\n", auc, lift)
	fmt.Fprintf(stdout, "(on its own holdout: AUC %.4f, lift %.2f)\n", v.Metrics.Holdout.AUC, v.Metrics.Holdout.Lift)
	if *explain > 0 {
		return printExplanations(stdout, v.Model, ds, scores, *explain)
	}
	return nil
}

// printExplanations prints the n highest-scored rows with their reasons.
func printExplanations(w io.Writer, m *crosssell.Model, ds *crosssell.Dataset, scores []float64, n int) error {
	exp, err := m.Explain(ds, 3)
	if err != nil {
		return err
	}
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] }) // ties by line
	for _, i := range order[:min(n, len(order))] {
		var rs []string
		for _, r := range exp[i].Reasons {
			rs = append(rs, fmt.Sprintf("%s (%+.2f)", r.Feature, r.Effect))
		}
		fmt.Fprintf(w, "line %d: %.1f%%: %s\n", ds.Lines[i], 100*exp[i].Probability, strings.Join(rs, ", "))
	}
	return nil
}

// findModel is --model VERSION, or the active version of --family, or the
// active version of the only family that has one.
func findModel(ctx context.Context, store *crosssell.Store, version, family string) (*crosssell.Version, error) {
	if version != "" {
		return store.Model(ctx, version)
	}
	if family != "" {
		return store.Active(ctx, family)
	}
	all, err := store.Versions(ctx)
	if err != nil {
		return nil, err
	}
	var active []string
	for _, s := range all {
		if s.Active {
			active = append(active, s.Version)
		}
	}
	switch len(active) {
	case 0:
		return nil, errors.New("no model is active: give --model VERSION (ecrm model list shows the versions)")
	case 1:
		return store.Model(ctx, active[0])
	}
	return nil, fmt.Errorf("several families have an active model (%s): give --model VERSION or --family", strings.Join(active, ", "))
}

func modelActivate(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("model activate", flag.ContinueOnError)
	reason := fs.String("reason", "", "why this version, for the audit (e.g. \"AUC 0.80 vs 0.78 of v2\"); required when a group fails the four-fifths rule")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: ecrm model activate VERSION [--reason TEXT]")
	}
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := crosssell.NewStore(pool)
	v, err := store.Model(ctx, pos[0])
	if err != nil {
		return fmt.Errorf("model activate: %w", err)
	}
	// The figures are printed before anything is recorded: the operator
	// reads them, and the activation keeps them for compliance.
	c, err := store.CompareFairness(ctx, v)
	if err != nil {
		return fmt.Errorf("model activate: %w", err)
	}
	if !v.Active {
		printFairnessComparison(stdout, v.Family, c)
	}
	a, err := store.ActivateCompared(ctx, c, operator(), *reason)
	if errors.Is(err, crosssell.ErrReasonRequired) {
		return fmt.Errorf("model activate: %s: %s fail the four-fifths rule: give --reason saying why it is activated all the same (nothing recorded)",
			v.Version, strings.Join(c.Flagged, ", "))
	}
	if err != nil {
		return fmt.Errorf("model activate: %w", err)
	}
	switch a.Previous {
	case a.Version:
		fmt.Fprintf(stdout, "model %s is already the active %s model (since %s, by %s); nothing recorded\n", a.Version, a.Family, a.ActivatedAt.UTC().Format(time.RFC3339), a.ActivatedBy)
	case "":
		fmt.Fprintf(stdout, "model %s is now the active %s model (activation %d by %s)\n", a.Version, a.Family, a.ID, a.ActivatedBy)
	default:
		fmt.Fprintf(stdout, "model %s is now the active %s model, replacing %s (activation %d by %s)\n", a.Version, a.Family, a.Previous, a.ID, a.ActivatedBy)
	}
	return nil
}

// groupLabel names a fairness group for the operator.
func groupLabel(g crosssell.GroupFigures) string {
	switch {
	case g.Dimension == "":
		return "all"
	case g.Dimension == crosssell.DimensionAgeBand:
		return "age " + strings.NewReplacer("under_25", "under 25", "65_plus", "65 and over", "_", "–").Replace(g.Group)
	}
	return strings.ReplaceAll(g.Dimension, "_", " ") + " " + g.Group
}

// share prints a rate with its counts: "12.5% (3/24)"; "–" when the
// rate is undefined (nobody offered, for an acceptance rate).
func share(part, whole int) string {
	if whole == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%% (%d/%d)", 100*float64(part)/float64(whole), part, whole)
}

func flagText(g crosssell.GroupFigures) string {
	switch g.FourFifths {
	case crosssell.FlagBelow:
		return fmt.Sprintf("below 4/5: %.2f× the overall offer rate", g.OfferRatio)
	case crosssell.FlagAbove:
		return fmt.Sprintf("above 5/4: %.2f× the overall offer rate", g.OfferRatio)
	}
	return ""
}

const fairnessRule = "offered = scored in the top decile of the holdout; a group whose offer rate is below 4/5 (or above 5/4) of the overall one fails the four-fifths rule"

// printFairnessSummary is train's one line on the figures.
func printFairnessSummary(w io.Writer, version string, f *crosssell.Fairness) {
	if f == nil {
		return
	}
	if len(f.Groups) == 0 {
		fmt.Fprintf(w, "fairness: the file has no age or segment column, so no group to compare; %s offers %s of the holdout\n", version, share(f.Overall.Offered, f.Overall.Rows))
		return
	}
	flagged := f.Flagged()
	fmt.Fprintf(w, "fairness: %d of %d groups (age band, segment) fail the four-fifths rule on the holdout", len(flagged), len(f.Groups))
	if len(flagged) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(flagged, ", "))
	}
	fmt.Fprintf(w, "; `ecrm model evaluate --model %s` shows the table\n", version)
}

// printFairness prints a version's figures by group.
func printFairness(w io.Writer, version string, f *crosssell.Fairness) {
	if f == nil {
		fmt.Fprintf(w, "fairness: %s has no figures by group (trained before ecrm computed them)\n", version)
		return
	}
	fmt.Fprintf(w, "fairness on the holdout (%s; score cut %.4f)\n", fairnessRule, f.Cut)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tROWS\tTAKE-UP\tOFFERED\tACCEPTED\tFOUR-FIFTHS")
	for _, g := range append([]crosssell.GroupFigures{f.Overall}, f.Groups...) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", groupLabel(g), g.Rows, share(g.TakeUps, g.Rows), share(g.Offered, g.Rows), share(g.Accepted, g.Offered), flagText(g))
	}
	tw.Flush()
	if len(f.Groups) == 0 {
		fmt.Fprintln(w, "(no age or segment column in the file: no group to compare)")
	}
}

// printFairnessComparison prints, before an activation, the new version's
// figures beside the active version's, group by group.
func printFairnessComparison(w io.Writer, family string, c *crosssell.FairnessComparison) {
	if c.Against == "" {
		fmt.Fprintf(w, "fairness of %s (no %s model is active yet), %s:\n", c.Version, family, c.Holdout)
	} else {
		fmt.Fprintf(w, "fairness of %s beside the active %s, %s:\n", c.Version, c.Against, c.Holdout)
	}
	if c.New == nil {
		fmt.Fprintf(w, "%s has no figures by group (trained before ecrm computed them)\n", c.Version)
		return
	}
	fmt.Fprintf(w, "(%s)\n", fairnessRule)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if c.Against == "" {
		fmt.Fprintf(tw, "GROUP\tTAKE-UP\t%s OFFERED\tACCEPTED\tFOUR-FIFTHS\n", c.Version)
	} else {
		fmt.Fprintf(tw, "GROUP\tTAKE-UP\t%s OFFERED\tACCEPTED\t%s OFFERED\tACCEPTED\tFOUR-FIFTHS (%s)\n", c.Version, c.Against, c.Version)
	}
	for _, g := range append([]crosssell.GroupFigures{c.New.Overall}, c.New.Groups...) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t", groupLabel(g), share(g.TakeUps, g.Rows), share(g.Offered, g.Rows), share(g.Accepted, g.Offered))
		if c.Against != "" {
			var old *crosssell.GroupFigures
			switch {
			case c.Active == nil:
			case g.Dimension == "":
				old = &c.Active.Overall
			default:
				old = c.Active.Group(g.Dimension, g.Group)
			}
			if old == nil {
				fmt.Fprint(tw, "–\t–\t")
			} else {
				fmt.Fprintf(tw, "%s\t%s\t", share(old.Offered, old.Rows), share(old.Accepted, old.Offered))
			}
		}
		fmt.Fprintf(tw, "%s\n", flagText(g))
	}
	tw.Flush()
	switch {
	case len(c.New.Groups) == 0:
		fmt.Fprintln(w, "(no age or segment column in the file: no group to compare)")
	case c.Against != "" && c.Active == nil:
		fmt.Fprintf(w, "%s has no figures by group (trained before ecrm computed them)\n", c.Against)
	case c.Basis == crosssell.BasisStored && c.Against != "":
		fmt.Fprintf(w, "(the two could not be scored on the same rows: a file model's rows are not kept, and it cannot score the history's)\n")
	}
	if len(c.Flagged) > 0 {
		fmt.Fprintf(w, "%d groups fail the four-fifths rule: %s; activating %s needs --reason\n", len(c.Flagged), strings.Join(c.Flagged, ", "), c.Version)
	}
}

func modelList(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return errors.New("usage: ecrm model list")
	}
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	all, err := crosssell.NewStore(pool).Versions(ctx)
	if err != nil {
		return fmt.Errorf("model list: %w", err)
	}
	if len(all) == 0 {
		fmt.Fprintln(stdout, "no models yet: ecrm model train (the CRM's history) or ecrm model train --data FILE.csv")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tFAMILY\tTRAINED\tSOURCE\tROWS\tAUC\tLIFT\t")
	for _, s := range all {
		active := ""
		if s.Active {
			active = "active"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%.4f\t%.2f\t%s\n", s.Version, s.Family, s.TrainedAt.UTC().Format(time.RFC3339), s.SourceName, s.Rows, s.AUC, s.Lift, active)
	}
	return tw.Flush()
}

// readDataset reads a labelled file and its SHA-256, stored with a model
// so that its figures can be traced to the exact data.
func readDataset(path string) (*crosssell.Dataset, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	ds, err := crosssell.ReadDataset(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	sum := sha256.Sum256(data)
	return ds, hex.EncodeToString(sum[:]), nil
}

// operator names who runs the command, for the model's and the
// activation's rows: the machine's login, as ecrm's operator commands run
// on the server by someone with its shell.
func operator() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return "unknown operator"
}

// modelRescore runs the nightly rescoring now: it starts a run (or resumes
// the one in progress) and scores its chunks in this process, beside any
// serve process working the same run's jobs, then waits for the run to
// finish. Its chunks' jobs are queued as the nightly job queues them, so
// a run this command leaves unfinished (Ctrl-C) is finished by serve.
func modelRescore(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("model rescore", flag.ContinueOnError)
	asOf := fs.String("as-of", "", "the day to score, YYYY-MM-DD: features as known the morning after (default today)")
	workers := fs.Int("workers", 2, "chunks scored at a time (each uses a connection and up to a core)")
	chunk := fs.Int("chunk", crosssell.DefaultChunkSize, "clients per chunk of a new run")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("model rescore: unexpected argument %q", pos[0])
	}
	if *workers < 1 || *chunk < 1 {
		return errors.New("model rescore: --workers and --chunk must be at least 1")
	}
	day := time.Now()
	if *asOf != "" {
		if day, err = time.Parse(time.DateOnly, *asOf); err != nil {
			return fmt.Errorf("model rescore: --as-of %q is not a date YYYY-MM-DD", *asOf)
		}
	}
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, int32(*workers+1))
	if err != nil {
		return err
	}
	defer pool.Close()
	queue, err := jobs.New(pool, nil, jobs.Config{}) // inserts the chunks' jobs; this process scores them directly
	if err != nil {
		return err
	}
	batch := crosssell.NewBatch(crosssell.NewStore(pool), slog.New(slog.NewTextHandler(os.Stderr, nil)))
	batch.ChunkSize = *chunk
	batch.SetQueue(queue)
	start := time.Now()
	run, started, err := batch.Start(ctx, day)
	if err != nil {
		return fmt.Errorf("model rescore: %w", err)
	}
	families := make([]string, 0, len(run.Versions))
	for _, v := range run.Versions {
		families = append(families, v)
	}
	sort.Strings(families)
	verb := "started"
	if !started {
		verb = fmt.Sprintf("in progress since %s, resumed (%d chunks done)", run.StartedAt.Local().Format(time.DateTime), run.Done)
	}
	fmt.Fprintf(stdout, "run %d %s: %s scored by %s, %d chunks of up to %d clients\n",
		run.ID, verb, run.AsOf.Format(time.DateOnly), strings.Join(families, ", "), run.Chunks, run.ChunkSize)
	if err := batch.Work(ctx, run.ID, *workers); err != nil {
		return fmt.Errorf("model rescore: %w", err)
	}
	for {
		if run, err = batch.Run(ctx, run.ID); err != nil {
			return fmt.Errorf("model rescore: %w", err)
		}
		if !run.FinishedAt.IsZero() {
			break
		}
		// The chunks left are being scored by serve processes.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	fmt.Fprintf(stdout, "run %d finished: %d clients, %d scores in %d chunks; %.1f s here, %.1f s since the run started\n",
		run.ID, run.Clients, run.Scores, run.Chunks, time.Since(start).Seconds(), run.FinishedAt.Sub(run.StartedAt).Seconds())
	return nil
}
