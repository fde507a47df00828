package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// auditCommand runs the operator commands of the tamper-evident offer log:
//
//	ecrm audit keygen --key PATH       make the Ed25519 checkpoint key (PATH, PATH.pub)
//	ecrm audit checkpoint --key PATH   sign the current chain head
//	ecrm audit verify [--public-key PATH]
//
// The private key lives outside the database (ECRM_AUDIT_KEY names its
// file); verification needs only the public key.
func auditCommand(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: ecrm audit keygen|checkpoint|verify [flags]")
	}
	fs := flag.NewFlagSet("audit "+args[0], flag.ContinueOnError)
	keyPath := fs.String("key", cfg.AuditKey, "file of the Ed25519 private key that signs checkpoints")
	pubPath := fs.String("public-key", "", "file of the public key (default: the key file + .pub)")
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
	case "checkpoint", "verify":
	default:
		return fmt.Errorf("audit: unknown command %q (keygen, checkpoint, verify)", args[0])
	}
	pool, err := pgdb.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
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
