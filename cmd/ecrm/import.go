package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ecrm-project/ecrm/insurance"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/risk"
)

const importUsage = "import: usage: ecrm import bureau FILE | ecrm import prices|news [--source NAME] FILE | ecrm import questionnaire FILE"

// importCommand is `ecrm import bureau|prices|news FILE`. Each fails (exit
// 1) when any row was refused, so a script notices.
func importCommand(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(importUsage)
	}
	switch args[0] {
	case "bureau":
		if len(args) != 2 {
			return errors.New(importUsage)
		}
		return importBureau(ctx, cfg, args[1], stdout)
	case "prices", "news":
		return importMarket(ctx, cfg, args[0], args[1:], stdout)
	case "questionnaire":
		if len(args) != 2 {
			return errors.New(importUsage)
		}
		return importQuestionnaire(ctx, cfg, args[1], stdout)
	}
	return errors.New(importUsage)
}

// importQuestionnaire stores a FHIR R4 Questionnaire (insurance's
// subset): refused with every problem named by item, or stored with what
// it uses that ecrm does not support listed.
func importQuestionnaire(ctx context.Context, cfg config, file string, stdout io.Writer) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	res, err := insurance.NewStore(pool).Import(ctx, data, 0)
	if err != nil {
		return fmt.Errorf("import: %s: %w", file, err)
	}
	for _, p := range res.Problems {
		fmt.Fprintln(stdout, p)
	}
	if len(res.Problems) > 0 {
		return fmt.Errorf("import: %s: refused, nothing was written (problems: %d)", file, len(res.Problems))
	}
	state := "imported"
	if !res.Created {
		state = "already imported, unchanged"
	}
	fmt.Fprintf(stdout, "questionnaire %s version %s: %s (id %d)\n", res.URL, res.Version, state, res.ID)
	for _, u := range res.Unsupported {
		fmt.Fprintf(stdout, "  not supported, not used: %s\n", u)
	}
	return nil
}

// importBureau applies a credit bureau report, CSV or JSON (by the file's
// first character; the layout is risk's bureauColumns): its good rows in
// one transaction with the credit scores of its clients recomputed, its
// bad rows named by line.
func importBureau(ctx context.Context, cfg config, file string, stdout io.Writer) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	rows, err := risk.ReadBureau(data)
	if err != nil {
		return fmt.Errorf("import: %s: %w", file, err)
	}
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	res, err := risk.ImportBureau(ctx, pool, rows)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	fmt.Fprintf(stdout, "%d rows: %d applied (%d credit lines new, %d months new or changed), %d refused; credit scores of %d clients recomputed\n",
		res.Rows, res.Applied, res.Lines, res.Months, len(res.Rejected), res.Clients)
	for _, p := range res.Rejected {
		fmt.Fprintf(stdout, "line %d: %s\n", p.Line, p.Reason)
	}
	if len(res.Rejected) > 0 {
		return fmt.Errorf("import: %d rows refused", len(res.Rejected))
	}
	return nil
}

// importMarket applies a prices or news file (docs/market-data.md) whole,
// or names every bad row by line and field and writes nothing.
func importMarket(ctx context.Context, cfg config, kind string, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("import "+kind, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	source := fs.String("source", "", "where rows without a source column come from (default: the file's name)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return errors.New(importUsage)
	}
	file := fs.Arg(0)
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	apply := risk.ImportPricesFile
	if kind == "news" {
		apply = risk.ImportNewsFile
	}
	res, err := apply(ctx, pool, data, risk.MarketImport{FileName: file, Source: *source})
	if err != nil {
		return fmt.Errorf("import: %s: %w", file, err)
	}
	for _, p := range res.Problems {
		fmt.Fprintf(stdout, "line %d: %s\n", p.Line, p.Reason)
	}
	if res.Refused() {
		return fmt.Errorf("import: %d of %d rows refused; nothing was written", len(res.Problems), res.Rows)
	}
	fmt.Fprintf(stdout, "%d rows read, %d new or changed (import %d)\n", res.Rows, res.Written, res.ID)
	for _, c := range res.Counts {
		fmt.Fprintf(stdout, "  %-15s %8d rows %8d new or changed\n", c.Type, c.Rows, c.Written)
	}
	// New closes move the hedging rules' verdicts of their holders: the
	// server queues that re-evaluation with the import; here it runs now.
	if len(res.Moved) > 0 {
		desk := risk.NewHedgeDesk(pool, nil, nil, nil)
		desk.BaseCurrency = cfg.BaseCurrency
		rep, err := desk.ReevaluateTriggers(ctx, res.Moved, 0, time.Now())
		if err != nil {
			return fmt.Errorf("import: hedging rules: %w", err)
		}
		fmt.Fprintf(stdout, "hedging rules re-evaluated: %d holders, %d holdings, %d flagged, in %s\n", rep.Holders, rep.Holdings,
			rep.Triggered, rep.Elapsed.Round(time.Millisecond))
	}
	return nil
}
