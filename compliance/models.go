package compliance

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm"
)

// This file lists the activations of propensity models with the fairness
// figures their operator read before each (issue 14, item 7): who made
// which version of which family active, when, why, replacing which, and
// the offer and acceptance rates by age band and segment beside the
// previous version's.
//
// The models belong to crosssell, an engine above compliance, and imports
// run one way (DESIGN.md): the higher package stores what it computes and
// the lower one reads the row, never an import upward. So this file reads
// model_activations and propensity_models with its own SQL, and decodes
// their jsonb into its own types below, which mirror the JSON
// crosssell/fairness.go writes (FairnessComparison, Fairness,
// GroupFigures): a field renamed there must be renamed here.
// TestModelActivateFairness (cmd/ecrm) reads with this file the rows
// `ecrm model activate` wrote, and checks the figures come back.

// ModelActivation is one activation of a propensity model version.
type ModelActivation struct {
	ID       int64
	Family   string
	Version  string
	Previous string // the version it replaced; empty when none was active
	// Source is the model's: "csv" (a labelled file) or "history" (the
	// CRM's own), with the file's name or the history's window.
	Source, SourceName string
	ActivatedAt        time.Time
	ActivatedBy        string
	Reason             string
	// Figures are the figures shown before the activation; for an
	// activation recorded before they were kept, the version's own as
	// stored at training (AtActivation false); nil when there are none.
	Figures      *ActivationFigures
	AtActivation bool
}

// ActivationFigures mirror crosssell.FairnessComparison.
type ActivationFigures struct {
	Against string           `json:"against,omitempty"`
	Basis   string           `json:"basis"` // "rescored", "stored"
	Holdout string           `json:"holdout"`
	New     *FairnessFigures `json:"new"`
	Active  *FairnessFigures `json:"active,omitempty"`
	Flagged []string         `json:"flagged,omitempty"`
}

// FairnessFigures mirror crosssell.Fairness.
type FairnessFigures struct {
	Rule    string         `json:"offer_rule"`
	Cut     float64        `json:"score_cut"`
	Overall GroupFigures   `json:"overall"`
	Groups  []GroupFigures `json:"groups"`
}

// GroupFigures mirror crosssell.GroupFigures: one group's counts and
// rates on a holdout. FourFifths is "below" or "above" when the group's
// offer rate is below 4/5, or above 5/4, of the overall one.
type GroupFigures struct {
	Dimension      string   `json:"dimension,omitempty"`
	Group          string   `json:"group,omitempty"`
	Rows           int      `json:"rows"`
	TakeUps        int      `json:"take_ups"`
	Offered        int      `json:"offered"`
	Accepted       int      `json:"accepted"`
	OfferRate      float64  `json:"offer_rate"`
	AcceptanceRate *float64 `json:"acceptance_rate"`
	BaseRate       float64  `json:"base_rate"`
	OfferRatio     float64  `json:"offer_ratio"`
	FourFifths     string   `json:"four_fifths,omitempty"`
}

// Group returns the figures of one group, nil when there are none.
func (f *FairnessFigures) Group(dimension, group string) *GroupFigures {
	if f == nil {
		return nil
	}
	if dimension == "" {
		return &f.Overall
	}
	for i := range f.Groups {
		if f.Groups[i].Dimension == dimension && f.Groups[i].Group == group {
			return &f.Groups[i]
		}
	}
	return nil
}

// ActivationFilter selects activations: of one family, a page after a
// cursor.
type ActivationFilter struct {
	Family string
	After  string
	Limit  int
}

// ActivationPage is one page of activations, newest first.
type ActivationPage struct {
	Rows []ModelActivation
	Next string
}

var familyShape = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*$`) // as migration 00034 checks

// ModelActivations returns one page of the activations of propensity
// models, newest first.
func (c *Console) ModelActivations(ctx context.Context, f ActivationFilter) (*ActivationPage, error) {
	q := &filterQuery{}
	var faults []ecrm.FieldError
	if f.Family != "" {
		if len(f.Family) > maxTextFilter || !familyShape.MatchString(f.Family) {
			faults = append(faults, ecrm.FieldError{Field: "family", Message: "compliance.models.error.family_invalid"})
		}
		q.add("a.family = ?", f.Family)
	}
	if f.Limit == 0 {
		f.Limit = DefaultPageSize
	}
	if f.Limit < 1 || f.Limit > MaxPageSize {
		faults = append(faults, ecrm.FieldError{Field: "limit", Message: "compliance.error.limit_range"})
	}
	if f.After != "" {
		b, err := base64.RawURLEncoding.DecodeString(f.After)
		id, perr := strconv.ParseInt(string(b), 10, 64)
		if err != nil || perr != nil || id <= 0 {
			faults = append(faults, ecrm.FieldError{Field: "after", Message: "compliance.error.after_invalid"})
		}
		q.add("a.id < ?", id)
	}
	if len(faults) > 0 {
		return nil, invalid(faults...)
	}
	// The previous version is the family's activation before this one
	// (model_activations_family_idx), read per row so that a page after
	// a cursor still knows it.
	sql := `
SELECT a.id, a.family, a.version,
    coalesce((SELECT p.version FROM model_activations p WHERE p.family = a.family AND p.id < a.id ORDER BY p.id DESC LIMIT 1), ''),
    m.source, m.source_name, a.activated_at, a.activated_by, a.reason, a.fairness, m.metrics -> 'fairness'
FROM model_activations a
JOIN propensity_models m ON m.version = a.version
WHERE ` + q.sql() + `
ORDER BY a.id DESC
LIMIT ` + strconv.Itoa(f.Limit+1)
	rows, err := c.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, fmt.Errorf("read model activations: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ModelActivation, error) {
		var a ModelActivation
		var shown, trained []byte
		err := row.Scan(&a.ID, &a.Family, &a.Version, &a.Previous, &a.Source, &a.SourceName, &a.ActivatedAt, &a.ActivatedBy, &a.Reason, &shown, &trained)
		if err != nil {
			return a, err
		}
		switch {
		case shown != nil:
			a.AtActivation = true
			a.Figures = &ActivationFigures{}
			err = json.Unmarshal(shown, a.Figures)
		case trained != nil && string(trained) != "null":
			a.Figures = &ActivationFigures{Basis: "stored", New: &FairnessFigures{}}
			err = json.Unmarshal(trained, a.Figures.New)
			for _, g := range a.Figures.New.Groups {
				if g.FourFifths != "" {
					a.Figures.Flagged = append(a.Figures.Flagged, g.Dimension+"="+g.Group)
				}
			}
		}
		if err != nil {
			return a, fmt.Errorf("activation %d: figures: %w", a.ID, err)
		}
		return a, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read model activations: %w", err)
	}
	p := &ActivationPage{Rows: list}
	if len(list) > f.Limit {
		p.Rows = list[:f.Limit]
		p.Next = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(p.Rows[f.Limit-1].ID, 10)))
	}
	return p, nil
}
