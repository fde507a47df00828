package crosssell

import (
	"context"
	"strings"
	"sync"
	"time"
)

// activeModels reads which version of each family is active, and keeps the
// versions themselves: a version is written once and never changed
// (migration 00034), so a parsed version can be kept for as long as the
// process lives. The question "which is active" is one small query,
// asked with every arbitration, so an activation is seen at once.
type activeModels struct {
	store *Store

	mu       sync.Mutex
	versions map[string]*Version
}

func newActiveModels(store *Store) *activeModels {
	return &activeModels{store: store, versions: map[string]*Version{}}
}

// activeVersionsSQL names the active version of every family.
const activeVersionsSQL = `SELECT DISTINCT ON (family) family, version FROM model_activations ORDER BY family, id DESC`

// version returns the stored version, reading it the first time.
func (a *activeModels) version(ctx context.Context, name string) (*Version, error) {
	a.mu.Lock()
	v, ok := a.versions[name]
	a.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := a.store.Model(ctx, name)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.versions[name] = v
	a.mu.Unlock()
	return v, nil
}

// historyVersions are the active versions that score the database's
// clients (history models), by family; a family whose active model was
// trained on an outside file has none here.
func (a *activeModels) historyVersions(ctx context.Context, active map[string]string) (map[string]*Version, error) {
	out := make(map[string]*Version, len(active))
	for family, name := range active {
		v, err := a.version(ctx, name)
		if err != nil {
			return nil, err
		}
		if v.Source == SourceHistory && v.Model.Layout.Known == historyLayout {
			out[family] = v
		}
	}
	return out, nil
}

// scoreFamilies scores one client for every family of versions, from one
// read of her features (every history model reads the same ones) as of
// the morning after at, as ScoreClient does.
func (s *Store) scoreFamilies(ctx context.Context, clientID int64, at time.Time, versions map[string]*Version) (map[string]ClientScore, error) {
	out := make(map[string]ClientScore, len(versions))
	if len(versions) == 0 {
		return out, nil
	}
	t := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	ex, err := extract(ctx, s.pool, extractOptions{snapshots: []time.Time{t}, share: 1_000_000, client: &clientID, known: true})
	if err != nil {
		return nil, err
	}
	if len(ex.rows) == 0 {
		// Not in the models' population on that day (a client recorded
		// after it): no score, the prior stands in.
		return out, nil
	}
	for family, v := range versions {
		enc := newHistoryEncoder(&v.Model.Layout, ex)
		x := make([]float64, enc.width)
		enc.encode(&ex.rows[0], x)
		out[family] = ClientScore{Family: family, Version: v.Version, Score: v.Model.explain(x, TopReasons)}
	}
	return out, nil
}

// featureColumn is the column a model feature was made from ("age" of
// "30 ≤ age < 40", "segment" of "segment=affluent", "holds_savings"), ""
// when none of the history's columns is named in it.
func featureColumn(feature string) string {
	numeric, categorical := historyColumns()
	for _, tok := range strings.FieldsFunc(feature, func(r rune) bool { return r == ' ' || r == '=' }) {
		for _, c := range numeric {
			if tok == c {
				return c
			}
		}
		for _, c := range categorical {
			if tok == c {
				return c
			}
		}
	}
	return ""
}
