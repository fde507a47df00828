package insurance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// Store keeps questionnaire definitions.
type Store struct {
	pool *pgxpool.Pool
	Now  func() time.Time
}

// NewStore reads and writes pool's database.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, Now: time.Now} }

// ImportResult is what an import did.
type ImportResult struct {
	ID      int64  `json:"id,omitempty"`
	URL     string `json:"url,omitempty"`
	Version string `json:"version,omitempty"`
	// Created is false when the same definition was imported before.
	Created     bool      `json:"created"`
	Unsupported []string  `json:"unsupported"`
	Problems    []Problem `json:"problems"`
}

// ErrVersionTaken: another definition already has the url and version.
var ErrVersionTaken = ecrm.FieldErrorf("version", "another definition of this questionnaire already has this version: give the changed one a new version")

// Import reads a FHIR R4 Questionnaire and stores it: refused with its
// problems (nothing written) when malformed; the same definition again
// changes nothing; a different one under a url and version already taken
// is ErrVersionTaken. Without a url the questionnaire is known by its id
// (urn:ecrm:questionnaire:ID), without a version as version 1.
func (s *Store) Import(ctx context.Context, data []byte, staffID int64) (ImportResult, error) {
	p, err := ParseFHIR(data)
	if err != nil {
		return ImportResult{}, ecrm.FieldErrorf("body", "%v", err)
	}
	res := ImportResult{Unsupported: append([]string{}, p.Unsupported...), Problems: append([]Problem{}, p.Problems...)}
	if len(p.Problems) > 0 {
		return res, nil
	}
	q := p.Questionnaire
	var id struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(data, &id)
	res.URL, res.Version = q.URL, q.Version
	if res.URL == "" {
		if id.ID == "" {
			res.Problems = append(res.Problems, newProblem("", "url", "insurance.journey.problem.no_url"))
			return res, nil
		}
		res.URL = "urn:ecrm:questionnaire:" + id.ID
	}
	if res.Version == "" {
		res.Version = "1"
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		return ImportResult{}, ecrm.FieldErrorf("body", "%v", err)
	}
	var staff *int64
	if staffID != 0 {
		staff = &staffID
	}
	err = pgdb.Transact(ctx, s.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		var same bool
		err := tx.QueryRow(ctx, `SELECT id, definition = $3::jsonb FROM questionnaires WHERE url = $1 AND version = $2`,
			res.URL, res.Version, compact.String()).Scan(&res.ID, &same)
		switch {
		case err == nil && same:
			return nil
		case err == nil:
			return ErrVersionTaken
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		res.Created = true
		return tx.QueryRow(ctx, `
INSERT INTO questionnaires (url, version, title, status, definition, unsupported, imported_by, imported_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, res.URL, res.Version, q.Title, statusOf(q.Status), compact.String(),
			res.Unsupported, staff, s.Now()).Scan(&res.ID)
	})
	if err != nil {
		if ecrm.ErrorCode(err) != ecrm.EINTERNAL {
			return ImportResult{}, err
		}
		return ImportResult{}, fmt.Errorf("import questionnaire %s version %s: %w", res.URL, res.Version, err)
	}
	return res, nil
}

// statusOf maps FHIR's publication status (R4: draft, active, retired,
// unknown) onto the table's, older examples' "published" as active.
func statusOf(s string) string {
	switch s {
	case "draft", "active", "retired":
		return s
	case "published":
		return "active"
	}
	return "unknown"
}
