// Command ecrm is the eCRM service and its operator commands:
//
//	ecrm serve            serve the portal, the staff console and the API
//	ecrm dev              create the database if missing, migrate, seed demo data when empty, serve
//	ecrm migrate up|down|status
//	ecrm seed --clients N --seed S [--reset]
//	ecrm audit keygen|checkpoint|verify
//	ecrm version
//
// Configuration comes from the environment (see config.go and the README).
// This package only wires the domain packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // ECRM_TIME_ZONE works on machines without a zone database

	"github.com/ecrm-project/ecrm/internal/gctune"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	gctune.Apply()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "ecrm: "+err.Error())
		}
		os.Exit(exitCode(err))
	}
}

// exitError carries a specific exit code (e.g. a failed audit verification).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

const usage = `ecrm — eCRM for banks, brokers and insurers

Usage:
  ecrm serve                      serve the portal, staff console and JSON API
  ecrm dev                        prepare the database (create, migrate, seed demo data when empty) and serve
  ecrm migrate up|down|status     manage the database schema
  ecrm seed --clients N --seed S  write a synthetic population (--reset to replace existing data)
  ecrm audit keygen|checkpoint|verify   sign and verify the tamper-evident offer log
  ecrm import bureau FILE         apply a credit bureau report (CSV or JSON); bad rows named by line
  ecrm import questionnaire FILE  store a FHIR R4 Questionnaire; problems named by item
  ecrm import prices|news FILE    apply market data or news (CSV or JSON, docs/market-data.md); all or nothing
  ecrm model train|evaluate|activate|list   propensity models (train --data FILE.csv learns from a labelled file)
  ecrm hedge triggers --symbols A,B | --client N | --all   re-evaluate the hedging rules now
  ecrm version                    print the version

Configuration is read from the environment; see the README.
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	switch args[0] {
	case "serve":
		return serve(ctx, cfg, log, stdout)
	case "dev":
		return dev(ctx, cfg, log, args[1:], stdout)
	case "migrate":
		return migrateCommand(ctx, cfg, args[1:], stdout)
	case "seed":
		return seedCommand(ctx, cfg, log, args[1:], stdout)
	case "audit":
		return auditCommand(ctx, cfg, args[1:], stdout)
	case "import":
		return importCommand(ctx, cfg, args[1:], stdout)
	case "model":
		return modelCommand(ctx, cfg, args[1:], stdout)
	case "hedge":
		return hedgeCommand(ctx, cfg, args[1:], stdout)
	case "version":
		fmt.Fprintln(stdout, "ecrm", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}
