package crosssell

import (
	"context"
	"fmt"
	"time"
)

// ClientScore is one client's propensity for one family, with the version
// of the model that computed it (for the decision record) and its reasons.
type ClientScore struct {
	Family  string
	Version string
	Score
}

// TopReasons is how many contributions a client's score carries.
const TopReasons = 3

// ScoreClient scores one client for one family with the family's active
// model, from what the CRM knows of her today: the same features as in
// training, read by the same query restricted to her (a handful of index
// lookups by client id). A family without an active model is
// ErrModelNotFound; an active model trained on an outside file cannot
// score a client of the database and says so.
func (s *Store) ScoreClient(ctx context.Context, clientID int64, family string) (ClientScore, error) {
	return s.scoreClientAt(ctx, clientID, family, time.Now())
}

func (s *Store) scoreClientAt(ctx context.Context, clientID int64, family string, at time.Time) (ClientScore, error) {
	v, err := s.Active(ctx, family)
	if err != nil {
		return ClientScore{}, err
	}
	return v.scoreClient(ctx, s, clientID, at)
}

// scoreClient scores one client with this version at the start of day at.
func (v *Version) scoreClient(ctx context.Context, s *Store, clientID int64, at time.Time) (ClientScore, error) {
	if v.Source != SourceHistory || v.Model.Layout.Known != historyLayout {
		return ClientScore{}, fmt.Errorf("model %s was trained on %s, not on the CRM's history: it cannot score a client of the database", v.Version, v.SourceName)
	}
	// The morning of the day after: today's contacts and products count.
	t := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	ex, err := extract(ctx, s.pool, extractOptions{snapshots: []time.Time{t}, share: 1_000_000, client: &clientID, known: true})
	if err != nil {
		return ClientScore{}, err
	}
	if len(ex.rows) == 0 {
		return ClientScore{}, fmt.Errorf("client %d does not exist", clientID)
	}
	enc := newHistoryEncoder(&v.Model.Layout, ex)
	x := make([]float64, enc.width)
	enc.encode(&ex.rows[0], x)
	return ClientScore{Family: v.Family, Version: v.Version, Score: v.Model.explain(x, TopReasons)}, nil
}
