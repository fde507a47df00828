package compliance

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// A presentation is one showing of offers to a person: a product search,
// a cross-sell panel, an advisor presenting in the branch. A page load is
// not one. A reload, a language switch or the back button within the
// presentation window shows again the decisions already recorded — same
// records, nothing appended — so the offer log holds what the client was
// shown, and the contact policy counts presentations, never page loads
// (twenty reloads once used up a month's allowance of a loan the client had
// said she was interested in).
//
// Two showings are the same presentation when they have the same key (the
// engine and its version, the channel, who presented, the client's request
// and the exact product versions offered), fall within the window, and the
// gate would decide every offer the same way again with the earlier
// presentation's own showings set aside: a consent withdrawn or an
// assessment renewed meanwhile makes a new presentation, decided afresh.
// An offer the client declined is never shown again from an earlier
// presentation. Every record of a presentation carries its id and key in
// the input snapshot (inputs.presentation).

// DefaultPresentationWindow is how long a presentation lasts; serve sets it
// from ECRM_PRESENTATION_WINDOW.
const DefaultPresentationWindow = 30 * time.Minute

// PresentationRef identifies a presentation in a record's snapshot.
type PresentationRef struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

// presentationKey is what makes two showings the same presentation.
func presentationKey(p Presentation) (string, error) {
	versions := make([]int64, len(p.Offers))
	var requests []any // each offer's own request, when an engine sets them
	for i, c := range p.Offers {
		versions[i] = c.Product.VersionID
		if c.Request != nil {
			requests = append(requests, *c.Request)
		}
	}
	b, err := json.Marshal(struct {
		Engine, EngineVersion, Channel string
		Actor                          Actor
		Purpose                        Purpose
		ClientInitiated                bool
		Request                        any
		Versions                       []int64
		Requests                       []any `json:",omitempty"`
	}{p.Engine, p.EngineVersion, p.Channel, p.Actor, p.Purpose, p.ClientInitiated, p.Request, versions, requests})
	if err != nil {
		return "", fmt.Errorf("presentation key: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16]), nil
}

func newPresentationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// recallPresentation returns the verdicts of the latest earlier
// presentation with the same key when it still stands for every candidate
// (see the comment at the top), or nil.
func recallPresentation(f Facts, p Presentation, now time.Time) []Verdict {
	if len(f.recalled) == 0 {
		return nil
	}
	latest := f.recalled[0].presentationID
	if latest == "" {
		return nil
	}
	byVersion := map[int64]recalled{}
	for _, d := range f.recalled {
		if d.presentationID != latest {
			continue
		}
		if d.declined {
			return nil
		}
		byVersion[d.productVersionID] = d
	}
	if len(byVersion) != len(p.Offers) {
		return nil
	}
	// The checks as they would run now, without the earlier showings of
	// this presentation in the contact policy's count.
	adjusted := f
	adjusted.History = make(map[int64]ProductHistory, len(f.History))
	for id, h := range f.History {
		adjusted.History[id] = h
	}
	verdicts := make([]Verdict, len(p.Offers))
	for _, c := range p.Offers {
		d, ok := byVersion[c.Product.VersionID]
		if !ok {
			return nil
		}
		if d.shown {
			h := adjusted.History[d.productID]
			h.ShownInPeriod = max(0, h.ShownInPeriod-1)
			adjusted.History[d.productID] = h
		}
	}
	for i, c := range p.Offers {
		d := byVersion[c.Product.VersionID]
		v := Evaluate(adjusted, p, c, now)
		if v.Shown != d.shown {
			return nil
		}
		v.Seq, v.Recalled = d.seq, true
		verdicts[i] = v
	}
	return slices.Clip(verdicts)
}
