package crosssell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// Store keeps propensity model versions (propensity_models) and the audit
// of their activation (model_activations), migrations 00034 and 00037 (the
// fairness comparison kept with each activation). A version is
// written once and never changed: decisions will name the version that
// scored them, and replaying one must find the model as it was.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns the store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Sources of a model's training rows.
const (
	SourceCSV     = "csv"     // a labelled outside file
	SourceHistory = "history" // the CRM's own acquisitions and offer responses (not written yet)
)

// algorithm names the model family of this file's fit, stored per row so
// that a later algorithm (gradient-boosted trees, should they beat it)
// is read by its own code.
const algorithm = "logistic-l2"

// ErrModelNotFound is the error of a version that does not exist.
var ErrModelNotFound = errors.New("model version not found")

type notFoundError struct{ version string }

func (e *notFoundError) Error() string {
	return fmt.Sprintf("model version %q does not exist (ecrm model list shows the versions)", e.version)
}
func (e *notFoundError) Is(target error) bool { return target == ErrModelNotFound }

// Version is a stored model with what it was trained on.
type Version struct {
	Version      string
	Family       string
	Source       string
	SourceName   string
	SourceSHA256 string
	Model        *Model
	Metrics      Metrics
	Rows         int
	TrainedAt    time.Time
	TrainedBy    string
	// Active is whether this is its family's active version.
	Active bool
}

// NewVersion is what Save stores.
type NewVersion struct {
	Family       string
	Source       string
	SourceName   string
	SourceSHA256 string // hex, empty when there is no file
	TrainedBy    string
	Trained      *Trained
	Rows         int
}

// coefficients is the stored form of a model's parameters. Names travel
// with the weights so that a reader of the row (compliance, a replay)
// sees what each weight is for without the code that made the layout.
type coefficients struct {
	Intercept float64   `json:"intercept"`
	Lambda    float64   `json:"lambda"`
	Features  []weights `json:"features"`
}

type weights struct {
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
}

// Save stores a trained model as the next version of its family
// ("term-deposit-v1", "-v2", …) and returns it. It is not activated: that
// is an operator's decision (Activate), made after reading its figures.
func (s *Store) Save(ctx context.Context, nv NewVersion) (string, error) {
	m := nv.Trained.Model
	layout, err := json.Marshal(m.Layout)
	if err != nil {
		return "", fmt.Errorf("save model: %w", err)
	}
	c := coefficients{Intercept: m.Intercept, Lambda: m.Lambda}
	for j, name := range m.Features {
		c.Features = append(c.Features, weights{Name: name, Weight: m.Weights[j]})
	}
	coef, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("save model: %w", err)
	}
	metrics, err := json.Marshal(nv.Trained.Metrics)
	if err != nil {
		return "", fmt.Errorf("save model: metrics: %w", err)
	}
	var sha *string
	if nv.SourceSHA256 != "" {
		sha = &nv.SourceSHA256
	}
	var version string
	err = pgdb.Transact(ctx, s.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		// Two trainings of one family at once must not both take the
		// same number: the second waits for the first's commit.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('propensity_models ' || $1))`, nv.Family); err != nil {
			return err
		}
		const q = `
			INSERT INTO propensity_models (version, family, source, source_name, source_sha256, algorithm,
			                               layout, coefficients, metrics, rows, trained_by)
			SELECT $1 || '-v' || (count(*) + 1), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
			FROM propensity_models WHERE family = $1
			RETURNING version`
		return tx.QueryRow(ctx, q, nv.Family, nv.Source, nv.SourceName, sha, algorithm,
			layout, coef, metrics, nv.Rows, nv.TrainedBy).Scan(&version)
	})
	if err != nil {
		return "", fmt.Errorf("save model: %w", err)
	}
	return version, nil
}

// Model returns a stored version, ErrModelNotFound when there is none.
func (s *Store) Model(ctx context.Context, version string) (*Version, error) {
	const q = `
		SELECT m.version, m.family, m.source, m.source_name, coalesce(m.source_sha256, ''), m.algorithm,
		       m.layout, m.coefficients, m.metrics, m.rows, m.trained_at, m.trained_by,
		       coalesce((SELECT a.version = m.version FROM model_activations a
		                 WHERE a.family = m.family ORDER BY a.id DESC LIMIT 1), false)
		FROM propensity_models m WHERE m.version = $1`
	return s.scanVersion(s.pool.QueryRow(ctx, q, version), version)
}

// Active returns the active version of a family, ErrModelNotFound when no
// version of it was ever activated.
func (s *Store) Active(ctx context.Context, family string) (*Version, error) {
	var version string
	err := s.pool.QueryRow(ctx, `SELECT version FROM model_activations WHERE family = $1 ORDER BY id DESC LIMIT 1`, family).Scan(&version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("no model of family %q is active (ecrm model activate VERSION): %w", family, ErrModelNotFound)
	}
	if err != nil {
		return nil, err
	}
	return s.Model(ctx, version)
}

func (s *Store) scanVersion(row pgx.Row, version string) (*Version, error) {
	var v Version
	var alg string
	var layout, coef, metrics []byte
	err := row.Scan(&v.Version, &v.Family, &v.Source, &v.SourceName, &v.SourceSHA256, &alg,
		&layout, &coef, &metrics, &v.Rows, &v.TrainedAt, &v.TrainedBy, &v.Active)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, &notFoundError{version}
	}
	if err != nil {
		return nil, fmt.Errorf("read model %s: %w", version, err)
	}
	if alg != algorithm {
		return nil, fmt.Errorf("model %s is of algorithm %q, which this version of ecrm cannot score", v.Version, alg)
	}
	m := &Model{}
	var c coefficients
	if err := json.Unmarshal(layout, &m.Layout); err != nil {
		return nil, fmt.Errorf("model %s: layout: %w", v.Version, err)
	}
	if err := json.Unmarshal(coef, &c); err != nil {
		return nil, fmt.Errorf("model %s: coefficients: %w", v.Version, err)
	}
	if err := json.Unmarshal(metrics, &v.Metrics); err != nil {
		return nil, fmt.Errorf("model %s: metrics: %w", v.Version, err)
	}
	m.Intercept, m.Lambda, m.Features = c.Intercept, c.Lambda, m.Layout.Features()
	names := make([]string, len(c.Features))
	for j, f := range c.Features {
		names[j] = f.Name
		m.Weights = append(m.Weights, f.Weight)
	}
	// The features are recomputed from the layout; a row whose weights
	// name other features would score with every weight misplaced.
	if !slices.Equal(names, m.Features) {
		return nil, fmt.Errorf("model %s: its coefficients do not match its layout's features", v.Version)
	}
	v.Model = m
	return &v, nil
}

// Summary is one line of `ecrm model list`.
type Summary struct {
	Version    string
	Family     string
	SourceName string
	Rows       int
	AUC, Lift  float64
	TrainedAt  time.Time
	Active     bool
}

// Versions lists every stored version, by family and age.
func (s *Store) Versions(ctx context.Context) ([]Summary, error) {
	const q = `
		SELECT m.version, m.family, m.source_name, m.rows,
		       coalesce((m.metrics #>> '{holdout,auc}')::float8, 'NaN'), coalesce((m.metrics #>> '{holdout,lift_top_decile}')::float8, 'NaN'),
		       m.trained_at, m.version = a.version
		FROM propensity_models m
		LEFT JOIN LATERAL (SELECT version FROM model_activations WHERE family = m.family ORDER BY id DESC LIMIT 1) a ON true
		ORDER BY m.family, m.trained_at, m.version`
	rows, err := s.pool.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Summary, error) {
		var s Summary
		var active *bool
		err := r.Scan(&s.Version, &s.Family, &s.SourceName, &s.Rows, &s.AUC, &s.Lift, &s.TrainedAt, &active)
		s.Active = active != nil && *active
		return s, err
	})
}

// Activation is one row of the activation audit.
type Activation struct {
	ID          int64
	Family      string
	Version     string
	Previous    string // the version it replaced, empty when none was active
	ActivatedAt time.Time
	ActivatedBy string
	Reason      string
	// Fairness is the comparison shown before the activation; nil on
	// activations recorded before ecrm computed it.
	Fairness *FairnessComparison
}

// ErrReasonRequired is the error of activating, without a reason, a
// version with a group that fails the four-fifths rule.
var ErrReasonRequired = errors.New("a reason is required")

// ErrActiveChanged is the error of activating after a comparison made
// against a version that is no longer the active one.
var ErrActiveChanged = errors.New("the active version changed since the comparison")

// Activate makes a version its family's active one and records who did
// it, when and why, with its fairness comparison (CompareFairness). A
// version that does not exist is ErrModelNotFound and nothing is
// recorded. Activating the version already active records nothing new
// either: the audit lists changes, not repetitions.
func (s *Store) Activate(ctx context.Context, version, by, reason string) (Activation, error) {
	v, err := s.Model(ctx, version)
	if err != nil {
		return Activation{}, err
	}
	c, err := s.CompareFairness(ctx, v)
	if err != nil {
		return Activation{}, fmt.Errorf("activate %s: %w", version, err)
	}
	return s.ActivateCompared(ctx, c, by, reason)
}

// ActivateCompared activates c.Version after its comparison was shown,
// and keeps the comparison with the activation. When a group fails the
// four-fifths rule the reason must say why the version is activated all
// the same (ErrReasonRequired); when the active version is no longer
// c.Against, the comparison is stale (ErrActiveChanged). Either way
// nothing is recorded.
func (s *Store) ActivateCompared(ctx context.Context, c *FairnessComparison, by, reason string) (Activation, error) {
	if by == "" {
		return Activation{}, errors.New("activate: who activates must be named")
	}
	version := c.Version
	fairness, err := json.Marshal(c)
	if err != nil {
		return Activation{}, fmt.Errorf("activate %s: %w", version, err)
	}
	var a Activation
	err = pgdb.Transact(ctx, s.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		a = Activation{Version: version, ActivatedBy: by, Reason: reason}
		err := tx.QueryRow(ctx, `SELECT family FROM propensity_models WHERE version = $1`, version).Scan(&a.Family)
		if errors.Is(err, pgx.ErrNoRows) {
			return &notFoundError{version}
		}
		if err != nil {
			return err
		}
		// One activation of a family at a time, so "previous" is true.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('model_activations ' || $1))`, a.Family); err != nil {
			return err
		}
		var stored []byte
		err = tx.QueryRow(ctx, `SELECT id, version, activated_at, activated_by, reason, fairness FROM model_activations WHERE family = $1 ORDER BY id DESC LIMIT 1`, a.Family).
			Scan(&a.ID, &a.Previous, &a.ActivatedAt, &a.ActivatedBy, &a.Reason, &stored)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err == nil && a.Previous == version {
			return unmarshalFairness(stored, &a)
		}
		switch {
		case a.Previous != c.Against:
			return fmt.Errorf("%w: the active %s model is %s, the comparison was made against %s", ErrActiveChanged, a.Family, orNone(a.Previous), orNone(c.Against))
		case len(c.Flagged) > 0 && strings.TrimSpace(reason) == "":
			return fmt.Errorf("%w: %s fail the four-fifths rule", ErrReasonRequired, strings.Join(c.Flagged, ", "))
		}
		a.ActivatedBy, a.Reason, a.Fairness = by, reason, c
		const q = `INSERT INTO model_activations (family, version, activated_by, reason, fairness) VALUES ($1, $2, $3, $4, $5) RETURNING id, activated_at`
		return tx.QueryRow(ctx, q, a.Family, version, by, reason, fairness).Scan(&a.ID, &a.ActivatedAt)
	})
	if err != nil {
		var nf *notFoundError
		if errors.As(err, &nf) {
			return Activation{}, err
		}
		return Activation{}, fmt.Errorf("activate %s: %w", version, err)
	}
	return a, nil
}

func orNone(version string) string {
	if version == "" {
		return "none"
	}
	return version
}

func unmarshalFairness(b []byte, a *Activation) error {
	if b == nil {
		return nil
	}
	a.Fairness = &FairnessComparison{}
	if err := json.Unmarshal(b, a.Fairness); err != nil {
		return fmt.Errorf("activation %d: fairness: %w", a.ID, err)
	}
	return nil
}

// Activations lists the audit of a family's activations, newest first.
func (s *Store) Activations(ctx context.Context, family string) ([]Activation, error) {
	const q = `
		SELECT id, family, version, coalesce(lag(version) OVER (ORDER BY id), ''), activated_at, activated_by, reason, fairness
		FROM model_activations WHERE family = $1 ORDER BY id DESC`
	rows, err := s.pool.Query(ctx, q, family)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Activation, error) {
		var a Activation
		var fairness []byte
		if err := r.Scan(&a.ID, &a.Family, &a.Version, &a.Previous, &a.ActivatedAt, &a.ActivatedBy, &a.Reason, &fairness); err != nil {
			return a, err
		}
		return a, unmarshalFairness(fairness, &a)
	})
}

// FamilyOf is the family a file's model belongs to when none is given:
// the known layout's, else the file's name reduced to the characters a
// version may hold ("Leads 2026.csv" → "leads-2026").
func FamilyOf(t *Trained, fileName string) string {
	if t.Family != "" {
		return t.Family
	}
	name := strings.TrimSuffix(strings.ToLower(filepath.Base(fileName)), ".csv")
	s := strings.Trim(nonFamily.ReplaceAllString(name, "-"), "-.")
	if s == "" {
		return "csv"
	}
	return s
}

var (
	nonFamily   = regexp.MustCompile(`[^a-z0-9.]+`)
	familyShape = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*$`) // as migration 00034 checks
)

// CheckFamily says what is wrong with a family name an operator typed.
func CheckFamily(family string) error {
	if !familyShape.MatchString(family) {
		return fmt.Errorf("family %q: use lower-case letters, digits, '.' and '-', starting with a letter or digit", family)
	}
	return nil
}
