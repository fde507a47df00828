package compliance

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/products"
)

// Snapshot is the input snapshot of a gated decision: everything Evaluate
// read, so that Replay can run it again. It is the "inputs" of the record's
// body.
type Snapshot struct {
	GateVersion     string    `json:"gate_version"`
	EvaluatedAt     time.Time `json:"evaluated_at"`
	Locale          string    `json:"locale"`
	Purpose         Purpose   `json:"purpose"`
	ClientInitiated bool      `json:"client_initiated"`
	// Profile and Request are what the engine matched on.
	Profile products.Profile      `json:"profile"`
	Request products.MatchRequest `json:"request"`
	// Facts the gate read, and the history of this product.
	Facts   Facts          `json:"facts"`
	History ProductHistory `json:"history"`
	// Product identifies the version and the facts the checks used.
	Product SnapshotProduct `json:"product"`
	// Terms are the figures the engine computed and the client saw.
	Terms any `json:"terms,omitempty"`
	// Presentation is the showing the decision belongs to; absent in
	// records written before presentations were recorded.
	Presentation *PresentationRef `json:"presentation,omitempty"`
	// EngineInputs are the engine's own inputs of this offer
	// (Candidate.EngineInputs), for EngineReplayers.
	EngineInputs json.RawMessage `json:"engine_inputs,omitempty"`
}

// SnapshotProduct is the part of a product version the checks read.
type SnapshotProduct struct {
	Code      string `json:"code"`
	Version   int    `json:"version"`
	Line      string `json:"line"`
	Kind      string `json:"kind"`
	RiskClass int    `json:"risk_class"`
	Complex   bool   `json:"complex"`
	RulesHash string `json:"rules_hash"`
}

func snapshotOf(f Facts, p Presentation, c Candidate, now time.Time) Snapshot {
	locale := "en"
	if p.Localizer != nil {
		locale = p.Localizer.Lang().String()
	}
	prod := c.Product
	req := p.Request
	if c.Request != nil {
		req = *c.Request
	}
	return Snapshot{
		GateVersion: GateVersion, EvaluatedAt: now, Locale: locale, Purpose: p.Purpose, ClientInitiated: p.ClientInitiated,
		Profile: p.Profile, Request: req, Facts: f, History: f.History[prod.ID],
		Product: SnapshotProduct{Code: prod.Code, Version: prod.Version.Version, Line: prod.Line, Kind: prod.Kind,
			RiskClass: prod.RiskClass, Complex: prod.Complex, RulesHash: prod.RulesHash},
		Terms: c.Terms, Presentation: p.ref,
	}
}

// decisionRecord is the record of one verdict: shown or blocked, with the
// snapshot, the engine's score and reasons, every check and the
// disclosures (warnings included).
func decisionRecord(f Facts, p Presentation, c Candidate, v Verdict, now time.Time) (Record, error) {
	kind, outcome := KindOfferShown, OutcomeShown
	if !v.Shown {
		kind, outcome = KindOfferBlocked, OutcomeBlocked
	}
	snap := snapshotOf(f, p, c, now)
	if c.EngineInputs != nil {
		raw, err := json.Marshal(c.EngineInputs)
		if err != nil {
			return Record{}, fmt.Errorf("engine inputs of %s: %w", c.Product.Code, err)
		}
		snap.EngineInputs = raw
	}
	inputs, err := json.Marshal(snap)
	if err != nil {
		return Record{}, fmt.Errorf("input snapshot of %s: %w", c.Product.Code, err)
	}
	disclosures := slices.Clone(c.Disclosures)
	for _, w := range v.Warnings {
		disclosures = append(disclosures, Disclosure{Kind: "warning", Text: w})
	}
	return Record{
		Kind:             kind,
		ClientID:         p.ClientID,
		ProductID:        c.Product.ID,
		ProductVersionID: c.Product.VersionID,
		Engine:           p.Engine,
		EngineVersion:    p.EngineVersion,
		RuleVersion:      c.Product.RulesHash,
		Channel:          p.Channel,
		Actor:            p.Actor,
		Outcome:          outcome,
		Body: Body{
			RawInputs:   inputs,
			Score:       c.Score,
			Reasons:     c.Reasons,
			Checks:      v.Checks,
			Disclosures: disclosures,
		},
	}, nil
}

// ParseSnapshot reads the snapshot back from a record body's inputs.
func ParseSnapshot(inputs []byte) (Snapshot, error) {
	var s Snapshot
	if err := json.Unmarshal(inputs, &s); err != nil {
		return Snapshot{}, fmt.Errorf("input snapshot: %w", err)
	}
	if s.GateVersion == "" {
		return Snapshot{}, fmt.Errorf("input snapshot: not written by the offer gate")
	}
	return s, nil
}

// localizerFor returns the localizer of a recorded locale.
func localizerFor(locale string) *i18n.Localizer {
	if tag, ok := i18n.ParseLanguage(locale); ok {
		return i18n.NewLocalizer(tag)
	}
	return i18n.NewLocalizer(i18n.English)
}
