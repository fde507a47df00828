package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/risk"
)

// importCommand is `ecrm import bureau FILE`: a credit bureau report, CSV
// or JSON (by the file's first character; the layout is risk's
// bureauColumns), its good rows applied in one transaction with the credit
// scores of its clients recomputed, its bad rows named by line. It fails
// (exit 1) when any row was refused, so a script notices.
func importCommand(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	if len(args) != 2 || args[0] != "bureau" {
		return fmt.Errorf("import: usage: ecrm import bureau FILE")
	}
	data, err := os.ReadFile(args[1])
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	rows, err := risk.ReadBureau(data)
	if err != nil {
		return fmt.Errorf("import: %s: %w", args[1], err)
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
