package crosssell

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/products"
)

// Targeted programmes in the arbitration (issue 15, item 6;
// docs/programmes.md). The risk package's rules (programmes-v1) map a
// client's stated profile, risk behaviour and allocation onto programmes,
// each naming product kinds; here a programme makes the firm's products of
// those kinds candidates (a rebalancing proposal is a candidate only then),
// weighs them by programmeFactor, tells the client why ("fits your investor
// profile: …") and records the programme with the decision.
//
// Why an interface filled by the wiring, not a table risk writes and this
// package reads: a client's programmes depend on prices, rates and the day
// (an allocation drifts as prices move; a profile goes stale with age), so
// a stored row would be out of date as soon as the market moved unless
// every writer of prices, trades and assessments rewrote it. Evaluated
// when the ranking is made, from the rows the gate and the risk pages
// read, the programmes are exactly those of the data the offer is made
// on; and the decision keeps the snapshot they were evaluated from. The
// cost is one behaviour measurement per ranking made for an assessed
// client (a few milliseconds; rankings are cached, and the fingerprint
// holds every input of the programmes: the day, the assessment, profile
// changes, positions, trades and market-data imports). crosssell and risk
// are peers (DESIGN.md): neither imports the other, so cmd/ecrm adapts
// risk.Suitability.Programmes to this interface.

// ProgrammeMatch is a programme the client's investor profile calls for.
type ProgrammeMatch struct {
	Code    string
	RuleSet string
	// Kinds are the product kinds it offers; Purpose the purpose of
	// their request (a proposal's, products.ProposalPurpose); Size the
	// amount it is about (what a rebalancing moves), nil for none.
	Kinds   []string
	Purpose string
	Size    *ecrm.Money
	// Title is the programme in words, a catalogue key.
	Title string
	// Reasons say why, in the reader's language, kept as keys.
	Reasons []i18n.Message
	// Facts are the facts it fired on, as the rules read them.
	Facts json.RawMessage
}

// ProgrammeSet is a client's programmes and what they were evaluated on.
type ProgrammeSet struct {
	Matches []ProgrammeMatch
	// Snapshot is what the rules read — the stated profile, the behaviour
	// with its mismatch flag, the allocation — recorded with every
	// decision a match entered.
	Snapshot json.RawMessage
}

// Programmes evaluates a client's targeted programmes as of a day, their
// reasons said in l's language.
type Programmes interface {
	Programmes(ctx context.Context, clientID int64, asOf time.Time, l *i18n.Localizer) (ProgrammeSet, error)
}

// SetProgrammes makes targeted programmes candidates of the arbitration
// (nil: none).
func (a *Arbiter) SetProgrammes(p Programmes) { a.programmes = p }

// programmeFactor: a product a programme of the client's proposes is
// worth half again as much as one the model alone suggests, as a product
// a need calls for is (needFactor): the client's own profile and trading
// name it. A product that answers a need and a programme gets both.
var programmeFactor = decimal.RequireFromString("1.5")

// programmeFor is the first programme that offers products like p.
func programmeFor(p products.Product, set *ProgrammeSet) *ProgrammeMatch {
	if set == nil {
		return nil
	}
	for i := range set.Matches {
		if slices.Contains(set.Matches[i].Kinds, p.Kind) {
			return &set.Matches[i]
		}
	}
	return nil
}

func programmeFactorOf(m *ProgrammeMatch) decimal.Decimal {
	if m == nil {
		return decimal.NewFromInt(1)
	}
	return programmeFactor
}

// programmeInputs are a programme's part of a decision's engine inputs:
// which programme, by which rules, on which facts, and the snapshot the
// rules read (the behaviour and its mismatch flag included).
type programmeInputs struct {
	Code     string          `json:"code"`
	RuleSet  string          `json:"rule_set"`
	Facts    json.RawMessage `json:"facts"`
	Snapshot json.RawMessage `json:"snapshot"`
}

// programmeReasons are what the client reads of a programme: that it fits
// her investor profile, and why.
func programmeReasons(m *ProgrammeMatch, l *i18n.Localizer) []i18n.Message {
	out := []i18n.Message{l.Say("programmes.why", i18n.Key(m.Title))}
	return append(out, m.Reasons...)
}

// shownOf are the candidates presented: the best n, except that when none
// of them comes from a programme, the best candidate that does takes the
// last place. A programme is what the client's own profile and trading
// call for; a deposit sized by a need or a fund the firm earns more on
// should not keep it from her. It still passes the gate like any offer.
func shownOf(candidates []candidate, n int) []candidate {
	top := candidates[:min(n, len(candidates))]
	fromProgramme := func(c candidate) bool { return c.programme != nil }
	if len(top) == 0 || slices.ContainsFunc(top, fromProgramme) {
		return top
	}
	i := slices.IndexFunc(candidates, fromProgramme)
	if i < 0 {
		return top
	}
	return append(slices.Clone(top[:len(top)-1]), candidates[i])
}
