package compliance

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"
)

// Checkpoints let a verifier trust the chain up to a point even against
// someone who can rewrite the database and recompute every hash: the head
// (seq, hash, time) is signed with an Ed25519 key the operator keeps outside
// the database (a file readable only by the ecrm service, or mounted from a
// secret store). The public key is all Verify needs.

const (
	privatePEMType = "ECRM DECISION LOG ED25519 PRIVATE KEY"
	publicPEMType  = "ECRM DECISION LOG ED25519 PUBLIC KEY"
	checkpointTag  = "ecrm.checkpoint.v1\x00"
)

// Checkpoint is a signed statement of the chain head.
type Checkpoint struct {
	Seq       int64
	HeadHash  [32]byte
	SignedAt  time.Time
	KeyID     string
	Signature []byte
}

// KeyID names a public key: the hex of the first 8 bytes of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// checkpointMessage is what is signed: tag, seq, head hash, time in Unix
// microseconds.
func checkpointMessage(seq int64, head []byte, signedAt time.Time) []byte {
	b := append([]byte(checkpointTag), make([]byte, 0, 48)...)
	b = binary.BigEndian.AppendUint64(b, uint64(seq))
	b = append(b, head...)
	return binary.BigEndian.AppendUint64(b, uint64(signedAt.UnixMicro()))
}

// GenerateSigningKey writes a new private key to path (mode 0600, refusing
// to overwrite an existing file) and its public key to path+".pub", and
// returns the private key.
func GenerateSigningKey(path string) (ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("write signing key: %w", err)
	}
	err = pem.Encode(f, &pem.Block{Type: privatePEMType, Bytes: priv.Seed()})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write signing key %s: %w", path, err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: publicPEMType, Bytes: pub})
	if err := os.WriteFile(path+".pub", pubPEM, 0o644); err != nil {
		return nil, fmt.Errorf("write public key: %w", err)
	}
	return priv, nil
}

// LoadSigningKey reads a private key written by GenerateSigningKey. It
// refuses a key file that others can read.
func LoadSigningKey(path string) (ed25519.PrivateKey, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("signing key %s is readable by others (mode %v): chmod 600 it", path, st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != privatePEMType || len(blk.Bytes) != ed25519.SeedSize {
		return nil, fmt.Errorf("signing key %s: not a %q PEM block", path, privatePEMType)
	}
	return ed25519.NewKeyFromSeed(blk.Bytes), nil
}

// LoadPublicKey reads a public key written by GenerateSigningKey.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != publicPEMType || len(blk.Bytes) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key %s: not a %q PEM block", path, publicPEMType)
	}
	return ed25519.PublicKey(blk.Bytes), nil
}

// Checkpoint signs the current chain head and stores the signature. When
// the head already has a checkpoint (nothing was appended since), it returns
// that one. Run it periodically (e.g. every minute and at shutdown): records
// after the last checkpoint are protected by the chain only.
func (l *Log) Checkpoint(ctx context.Context, key ed25519.PrivateKey) (Checkpoint, error) {
	if len(key) != ed25519.PrivateKeySize {
		return Checkpoint{}, errors.New("checkpoint: no signing key")
	}
	var cp Checkpoint
	var head []byte
	if err := l.pool.QueryRow(ctx, `SELECT seq, hash FROM decision_chain_head`).Scan(&cp.Seq, &head); err != nil {
		return Checkpoint{}, fmt.Errorf("read decision chain head: %w", err)
	}
	copy(cp.HeadHash[:], head)
	cp.SignedAt = l.Now().UTC().Truncate(time.Microsecond)
	cp.KeyID = KeyID(key.Public().(ed25519.PublicKey))
	cp.Signature = ed25519.Sign(key, checkpointMessage(cp.Seq, head, cp.SignedAt))

	const q = `
INSERT INTO decision_checkpoints (seq, head_hash, signed_at, key_id, signature)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (seq) DO NOTHING`
	tag, err := l.pool.Exec(ctx, q, cp.Seq, head, cp.SignedAt, cp.KeyID, cp.Signature)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("store checkpoint: %w", err)
	}
	if tag.RowsAffected() == 0 {
		const qOld = `SELECT head_hash, signed_at, key_id, signature FROM decision_checkpoints WHERE seq = $1`
		var h []byte
		if err := l.pool.QueryRow(ctx, qOld, cp.Seq).Scan(&h, &cp.SignedAt, &cp.KeyID, &cp.Signature); err != nil {
			return Checkpoint{}, fmt.Errorf("read checkpoint %d: %w", cp.Seq, err)
		}
		copy(cp.HeadHash[:], h)
	}
	return cp, nil
}
