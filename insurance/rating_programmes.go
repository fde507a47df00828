package insurance

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/products"
)

// Programmes are catalogue products (products, line insurance) with their
// insurer, line, term and versioned underwriting rules and rating tables
// (migration 00046). The demo's programmes are in rating_programmes.json:
// 21 programmes of four fictional insurers over every line the journey
// asks about, travel programmes sold for one month among them.

//go:embed rating_programmes.json
var demoProgrammes []byte

// ProgrammeSpec is one programme as it is written: its product, its
// line, cover and term, and the versions of its rules and rating.
type ProgrammeSpec struct {
	Product    products.ProductInput `json:"product"`
	Line       string                `json:"line"`
	Cover      string                `json:"cover,omitempty"`
	TermMonths int                   `json:"term_months"`
	Rules      UnderwritingRules     `json:"rules"`
	Rating     RatingTable           `json:"rating"`
}

// DemoProgrammes returns the demo programmes.
func DemoProgrammes() ([]ProgrammeSpec, error) {
	var list []ProgrammeSpec
	if err := json.Unmarshal(demoProgrammes, &list); err != nil {
		return nil, fmt.Errorf("rating_programmes.json: %w", err)
	}
	return list, nil
}

// validate checks a programme before anything is written.
func (s ProgrammeSpec) validate() error {
	if _, err := s.Rules.compile(); err != nil {
		return fmt.Errorf("programme %s: rules: %w", s.Product.Code, err)
	}
	if err := s.Rating.validate(); err != nil {
		return fmt.Errorf("programme %s: rating: %w", s.Product.Code, err)
	}
	if s.TermMonths < 1 || s.TermMonths > 12 {
		return fmt.Errorf("programme %s: term_months must be 1 to 12", s.Product.Code)
	}
	if s.Product.Currency != RatingCurrency {
		return fmt.Errorf("programme %s: currency must be %s", s.Product.Code, RatingCurrency)
	}
	return nil
}

// ErrVersionChanged refuses a changed rules or rating body under a version
// number already written: a change is a new version.
var ErrVersionChanged = errors.New("a programme's rules or rating changed under a version already written")

// LoadProgrammes writes programmes: their products (a new product version
// when the product changed), their programme rows, and each rules and
// rating version not written yet, valid from validFrom. Loading the same
// list again changes nothing. Everything or nothing is written.
func LoadProgrammes(ctx context.Context, pool *pgxpool.Pool, list []ProgrammeSpec, validFrom time.Time) error {
	inputs := make([]products.ProductInput, len(list))
	for i, s := range list {
		if err := s.validate(); err != nil {
			return err
		}
		inputs[i] = s.Product
	}
	if _, err := products.NewStore(pool).Import(ctx, inputs, 0); err != nil {
		return fmt.Errorf("programmes' products: %w", err)
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, s := range list {
			var productID int64
			err := tx.QueryRow(ctx, `
INSERT INTO insurance_programmes (product_id, line, insurer, cover, term_months)
SELECT id, $2, provider, $3, $4 FROM products WHERE code = $1
ON CONFLICT (product_id) DO UPDATE SET line = EXCLUDED.line, insurer = EXCLUDED.insurer, cover = EXCLUDED.cover,
    term_months = EXCLUDED.term_months
RETURNING product_id`, s.Product.Code, s.Line, s.Cover, s.TermMonths).Scan(&productID)
			if err != nil {
				return fmt.Errorf("programme %s: %w", s.Product.Code, err)
			}
			if err := writeVersion(ctx, tx, productID, "rules", s.Rules.Version, s.Rules, validFrom); err != nil {
				return fmt.Errorf("programme %s: %w", s.Product.Code, err)
			}
			if err := writeVersion(ctx, tx, productID, "rating", s.Rating.Version, s.Rating, validFrom); err != nil {
				return fmt.Errorf("programme %s: %w", s.Product.Code, err)
			}
		}
		return nil
	})
}

func writeVersion(ctx context.Context, tx pgx.Tx, productID int64, kind string, version int, body any, validFrom time.Time) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	hash := hex.EncodeToString(sum[:])
	var have string
	err = tx.QueryRow(ctx, `SELECT hash FROM insurance_programme_versions WHERE product_id = $1 AND kind = $2 AND version = $3`,
		productID, kind, version).Scan(&have)
	switch {
	case err == nil && have == hash:
		return nil
	case err == nil:
		return fmt.Errorf("%s version %d: %w", kind, version, ErrVersionChanged)
	case !errors.Is(err, pgx.ErrNoRows):
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO insurance_programme_versions (product_id, kind, version, body, hash, valid_from)
VALUES ($1, $2, $3, $4, $5, $6)`, productID, kind, version, raw, hash, validFrom)
	return err
}

// LoadDemoProgrammes writes the demo programmes (idempotent), valid from
// the demo catalogue's launch so that the demo's history can use them.
func LoadDemoProgrammes(ctx context.Context, pool *pgxpool.Pool) error {
	list, err := DemoProgrammes()
	if err != nil {
		return err
	}
	return LoadProgrammes(ctx, pool, list, products.DemoCatalogueLaunch)
}
