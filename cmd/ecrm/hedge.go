package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/risk"
)

// hedgeCommand is `ecrm hedge triggers --symbols A,B | --client N | --all`: what
// the queue's job does after a price update, run now and reported — the
// hedging rules applied to every holding of every holder of the
// instruments (or of one client), the verdicts written to hedge_triggers.
// Operators use it after loading prices by other means than the import,
// and to time the re-evaluation.
func hedgeCommand(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "triggers" {
		return errors.New("hedge: usage: ecrm hedge triggers --symbols A,B | --client N | --all")
	}
	fs := flag.NewFlagSet("hedge triggers", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	symbols := fs.String("symbols", "", "instruments whose holders to re-evaluate, comma-separated")
	client := fs.Int64("client", 0, "re-evaluate this client's holdings only")
	all := fs.Bool("all", false, "re-evaluate every client holding securities")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("hedge triggers: %w", err)
	}
	if given := btoi(*symbols != "") + btoi(*client != 0) + btoi(*all); given != 1 {
		return errors.New("hedge triggers: give one of --symbols A,B, --client N or --all")
	}
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	var ids []int64
	if *symbols != "" {
		names := strings.Split(*symbols, ",")
		if err := pool.QueryRow(ctx, `SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM instruments WHERE symbol = ANY ($1)`, names).Scan(&ids); err != nil {
			return fmt.Errorf("hedge triggers: %w", err)
		}
		if len(ids) != len(names) {
			return fmt.Errorf("hedge triggers: --symbols %s: %d of %d symbols are instruments", *symbols, len(ids), len(names))
		}
	}
	desk := risk.NewHedgeDesk(pool, nil, nil, nil)
	desk.BaseCurrency = cfg.BaseCurrency
	rep, err := desk.ReevaluateTriggers(ctx, ids, *client, time.Now())
	if err != nil {
		return fmt.Errorf("hedge triggers: %w", err)
	}
	fmt.Fprintf(stdout, "%d holders, %d holdings evaluated, %d flagged, in %s\n", rep.Holders, rep.Holdings, rep.Triggered,
		rep.Elapsed.Round(time.Millisecond))
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
