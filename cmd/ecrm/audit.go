package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/insurance"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/risk"
)

// auditCommand runs the operator commands of the tamper-evident offer log:
//
//	ecrm audit keygen --key PATH       make the Ed25519 checkpoint key (PATH, PATH.pub)
//	ecrm audit checkpoint --key PATH   sign the current chain head
//	ecrm audit verify [--public-key PATH]
//	ecrm audit replay --seq N                  recompute one decision from its record
//	ecrm audit replay --client C --at TIME     what we would have offered client C at TIME
//
// The private key lives outside the database (ECRM_AUDIT_KEY names its
// file); verification needs only the public key.
func auditCommand(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: ecrm audit keygen|checkpoint|verify|replay [flags]")
	}
	fs := flag.NewFlagSet("audit "+args[0], flag.ContinueOnError)
	keyPath := fs.String("key", cfg.AuditKey, "file of the Ed25519 private key that signs checkpoints")
	pubPath := fs.String("public-key", "", "file of the public key (default: the key file + .pub)")
	seq := fs.Int64("seq", 0, "replay: the decision record to recompute")
	clientID := fs.Int64("client", 0, "replay: the client whose offers at --at to recompute")
	at := fs.String("at", "", "replay: the time, RFC 3339 (2026-11-26T10:00:00Z) or a date (2026-11-26, end of that day UTC)")
	asJSON := fs.Bool("json", false, "replay: print JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *pubPath == "" && *keyPath != "" {
		*pubPath = *keyPath + ".pub"
	}
	switch args[0] {
	case "keygen":
		if *keyPath == "" {
			return errors.New("audit keygen: --key PATH (or ECRM_AUDIT_KEY) is required")
		}
		priv, err := compliance.GenerateSigningKey(*keyPath)
		if err != nil {
			return fmt.Errorf("audit keygen: %w", err)
		}
		fmt.Fprintf(stdout, "wrote %s and %s (key id %s); keep the private key out of the database and its backups\n",
			*keyPath, *keyPath+".pub", compliance.KeyID(priv.Public().(ed25519.PublicKey)))
		return nil
	case "checkpoint", "verify", "replay":
	default:
		return fmt.Errorf("audit: unknown command %q (keygen, checkpoint, verify, replay)", args[0])
	}
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	if args[0] == "replay" {
		return auditReplay(ctx, newReplayer(pool), *seq, *clientID, *at, *asJSON, stdout)
	}
	if args[0] == "checkpoint" {
		if *keyPath == "" {
			return errors.New("audit checkpoint: --key PATH (or ECRM_AUDIT_KEY) is required")
		}
		priv, err := compliance.LoadSigningKey(*keyPath)
		if err != nil {
			return fmt.Errorf("audit checkpoint: %w", err)
		}
		cp, err := compliance.NewLog(pool).Checkpoint(ctx, priv)
		if err != nil {
			return fmt.Errorf("audit checkpoint: %w", err)
		}
		fmt.Fprintf(stdout, "checkpoint at record %d, head %x, signed %s by key %s\n", cp.Seq, cp.HeadHash, cp.SignedAt.Format(time.RFC3339), cp.KeyID)
		return nil
	}
	if *pubPath == "" {
		return errors.New("audit verify: --public-key PATH (or ECRM_AUDIT_KEY, whose .pub file is used) is required")
	}
	pub, err := compliance.LoadPublicKey(*pubPath)
	if err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	res, err := compliance.Verify(ctx, pool, pub, nil)
	if err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	rate := float64(res.Records) / max(res.Elapsed.Seconds(), 1e-9)
	if !res.OK() {
		fmt.Fprintf(stdout, "FAILED after %d records: %s\n", res.Records, res.Problem)
		return &exitError{code: 3, err: fmt.Errorf("the decision log does not verify: %s", res.Problem)}
	}
	fmt.Fprintf(stdout, "ok: %d records (up to %d), %d checkpoints, newest checkpoint at record %d, %s (%.0f records/s)\n",
		res.Records, res.LastSeq, res.Checkpoints, res.CoveredSeq, res.Elapsed.Round(time.Millisecond), rate)
	return nil
}

// newReplayer replays the offer log, with the terms of the engines whose
// figures are their own (hedges) recomputed by those engines.
func newReplayer(pool *pgxpool.Pool) *compliance.Replayer {
	rp := compliance.NewReplayer(pool)
	rp.ReplayEngine(risk.HedgeEngine, risk.ReplayHedgeTerms)
	rp.ReplayEngine(insurance.ProgrammeEngine, insurance.ReplayProgrammeTerms(pool))
	return rp
}

// auditReplay recomputes one decision (--seq) or what the client would
// have been offered at a time (--client, --at). A decision that does not
// reproduce exits with status 3, like a log that does not verify.
func auditReplay(ctx context.Context, rp *compliance.Replayer, seq, clientID int64, at string, asJSON bool, stdout io.Writer) error {
	switch {
	case seq > 0 && clientID == 0 && at == "":
		r, err := rp.Record(ctx, seq)
		if err != nil {
			return fmt.Errorf("audit replay: %w", err)
		}
		if asJSON {
			if err := writeIndentedJSON(stdout, r); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(stdout, "record %d: client %d, %s version %d, recorded %s under %s\n", r.Seq, r.ClientID, r.Product, r.ProductVersion,
				r.RecordedAt.UTC().Format(time.RFC3339), r.GateVersion)
			fmt.Fprintf(stdout, "outcome: recorded %s, replayed %s\n", r.RecordedOutcome, r.ReplayedOutcome)
			for _, c := range r.Checks {
				fmt.Fprintf(stdout, "  %-16s %s\n", c.Name, checkState(c))
			}
			for _, d := range r.Differences {
				fmt.Fprintf(stdout, "DIFFERS %s:\n  recorded: %s\n  replayed: %s\n", d.What, d.Recorded, d.Replayed)
			}
		}
		if !r.Reproduced() {
			if !asJSON {
				fmt.Fprintf(stdout, "NOT REPRODUCED: %d differences\n", len(r.Differences))
			}
			return &exitError{code: 3, err: fmt.Errorf("decision record %d does not reproduce", seq)}
		}
		if !asJSON {
			fmt.Fprintln(stdout, "reproduced")
		}
		return nil
	case seq == 0 && clientID > 0 && at != "":
		t, err := parseReplayTime(at)
		if err != nil {
			return err
		}
		r, err := rp.ClientAt(ctx, clientID, t)
		if err != nil {
			return fmt.Errorf("audit replay: %w", err)
		}
		if asJSON {
			return writeIndentedJSON(stdout, r)
		}
		fmt.Fprintf(stdout, "client %d at %s: last presentation %s by %s on %s (%s %s over %d months)\n", r.ClientID, r.At.UTC().Format(time.RFC3339),
			r.PresentedAt.UTC().Format(time.RFC3339), r.Engine, r.Channel, r.Request.Goal, r.Request.Amount.Amount.String()+" "+r.Request.Amount.Currency, r.Request.Months)
		for _, o := range r.Offers {
			blocked := compliance.Verdict{Checks: o.Checks}.Blocked()
			fmt.Fprintf(stdout, "  %-20s v%d (at T v%d)  recorded %-7s  at T %-7s", o.Product, o.RecordedVersion, o.VersionAtT, o.RecordedOutcome, o.OutcomeAtT)
			if len(blocked) > 0 {
				fmt.Fprintf(stdout, "  blocked by %s", strings.Join(blocked, ", "))
			}
			fmt.Fprintln(stdout)
			for _, c := range o.Checks {
				if !c.Passed || c.Warning {
					fmt.Fprintf(stdout, "      %s: %s\n", c.Name, checkState(c))
				}
			}
		}
		return nil
	}
	return errors.New("audit replay: give --seq N, or --client C and --at TIME")
}

func checkState(c compliance.Check) string {
	switch {
	case c.Passed && c.Warning:
		return "passed with a warning: " + c.Detail.Text
	case c.Passed:
		return "passed: " + c.Detail.Text
	}
	return "FAILED: " + c.Detail.Text
}

// parseReplayTime accepts RFC 3339 or a date, which means the end of that
// day in UTC (everything recorded on it counts).
func parseReplayTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.Add(24*time.Hour - time.Microsecond), nil
	}
	return time.Time{}, fmt.Errorf("audit replay: --at %q: want RFC 3339 (2026-11-26T10:00:00Z) or a date (2026-11-26)", s)
}

func writeIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
