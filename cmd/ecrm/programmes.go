package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/risk"
)

// programmeSource gives the cross-sell arbitration the targeted programmes
// of the risk package (crosssell.Programmes): crosssell and risk are peers
// that do not import each other, so the wiring adapts one to the other.
type programmeSource struct{ suitability *risk.Suitability }

func (s programmeSource) Programmes(ctx context.Context, clientID int64, asOf time.Time, l *i18n.Localizer) (crosssell.ProgrammeSet, error) {
	p, err := s.suitability.OfferProgrammes(ctx, clientID, asOf, l)
	if err != nil {
		return crosssell.ProgrammeSet{}, err
	}
	snapshot, err := p.Snapshot()
	if err != nil {
		return crosssell.ProgrammeSet{}, fmt.Errorf("programmes of client %d: snapshot: %w", clientID, err)
	}
	set := crosssell.ProgrammeSet{Snapshot: snapshot, Matches: make([]crosssell.ProgrammeMatch, 0, len(p.Matches))}
	for _, m := range p.Matches {
		facts, err := json.Marshal(m.Facts)
		if err != nil {
			return crosssell.ProgrammeSet{}, fmt.Errorf("programmes of client %d: facts: %w", clientID, err)
		}
		set.Matches = append(set.Matches, crosssell.ProgrammeMatch{Code: m.Code, RuleSet: m.RuleSet, Kinds: m.Kinds,
			Purpose: m.Purpose, Size: m.Size, Title: m.Title(), Reasons: m.Reasons, Facts: facts})
	}
	return set, nil
}
