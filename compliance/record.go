// Package compliance owns what lets a compliance officer prove afterwards
// why every offer was made: the offer gate (suitability, target market,
// consent and contact-policy checks run before an offer is shown), the
// decision records of every offer shown or blocked and of the client's
// response, the tamper-evident log those records are appended to, and the
// compliance console that searches, verifies and exports them.
//
// This first part is the log. A decision record is appended with
// (*Log).Append, which assigns it the next position (seq) of one hash chain
// shared by every ecrm process: the chain head is a row in PostgreSQL locked
// for the length of the append, so writers in several processes serialise
// on it. Each record's hash is SHA-256(prev_hash || canonical encoding of the
// record); the canonical encoding is re-derived from the stored values, so
// Verify can recompute it from the database alone. Checkpoint signs the
// chain head with an Ed25519 key that never enters the database, so even a
// superuser who rewrites rows and recomputes hashes cannot forge the chain
// up to the last checkpoint without the key. Verify re-walks the chain and
// the checkpoints and names the first record that does not match.
//
// Fail closed: an offer may be shown only after Append has returned nil (or,
// with AppendTx, after the caller's transaction has committed). A record that
// could not be written means the offer is not shown.
package compliance

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// Kind says what a decision record is about.
type Kind string

const (
	KindOfferShown   Kind = "offer_shown"
	KindOfferBlocked Kind = "offer_blocked"
	// KindResponse is the client's response to a shown offer; it refers to
	// the offer's record instead of updating it.
	KindResponse Kind = "response"
	// KindReviewRequest is the client asking a human to review an
	// automated offer; it refers to the offer's record.
	KindReviewRequest Kind = "review_request"
)

// Outcome is what happened to the offer.
type Outcome string

const (
	OutcomeShown   Outcome = "shown"
	OutcomeBlocked Outcome = "blocked"
	// OutcomeInterested: the client said "I'm interested" — tell me
	// more; nothing is binding, and the advisor follows up.
	OutcomeInterested Outcome = "interested"
	// OutcomeAccepted: the client applied for the product, a binding
	// answer (after interest, or at once).
	OutcomeAccepted Outcome = "accepted"
	OutcomeDeclined Outcome = "declined"
	OutcomeExpired  Outcome = "expired"
	// OutcomeReviewRequested is the outcome of a review_request record.
	OutcomeReviewRequested Outcome = "review_requested"
)

// ActorKind says who made the decision or gave the response.
type ActorKind string

const (
	ActorSystem  ActorKind = "system"
	ActorAdvisor ActorKind = "advisor"
	ActorClient  ActorKind = "client"
)

// Actor is the system, an advisor (with their staff id) or the client.
type Actor struct {
	Kind    ActorKind
	StaffID int64 // required for ActorAdvisor, zero otherwise
}

// Record is one decision record as the caller hands it to Append. Seq,
// time and hashes are assigned by the log.
type Record struct {
	Kind Kind
	// RefersTo is the seq of the offer a response answers; zero otherwise.
	RefersTo         int64
	ClientID         int64
	ProductID        int64 // zero when the decision is not about one product
	ProductVersionID int64 // zero when unknown
	Engine           string
	EngineVersion    string // model version id
	RuleVersion      string // e.g. product_versions.rules_hash
	Channel          string // web, mobile, branch, phone, ...
	Actor            Actor
	Outcome          Outcome
	Body             Body
}

// Body is the evidence of a decision, stored as canonical JSON text (see canonical.go). Amounts and scores
// are decimal strings so that nothing passes through a binary float.
type Body struct {
	// Inputs is the snapshot the engine used: profile fields, features,
	// prices. Any JSON; it is stored in canonical form.
	Inputs map[string]any `json:"inputs,omitempty"`
	// RawInputs, when set, is the snapshot already encoded as a JSON
	// object; it is written instead of Inputs (the gate encodes its typed
	// snapshot once instead of going through a map).
	RawInputs   json.RawMessage `json:"-"`
	Score       *Score          `json:"score,omitempty"`
	Reasons     []i18n.Message  `json:"reasons,omitempty"` // plain language, in every language
	Checks      []Check         `json:"checks,omitempty"`
	Disclosures []Disclosure    `json:"disclosures,omitempty"`
	// Note is free text, e.g. the client's reason for declining.
	Note string `json:"note,omitempty"`
}

// MarshalJSON writes RawInputs, when set, as the inputs.
func (b Body) MarshalJSON() ([]byte, error) {
	type plain Body
	if b.RawInputs == nil {
		return json.Marshal(plain(b))
	}
	return json.Marshal(struct {
		Inputs json.RawMessage `json:"inputs"`
		plain
	}{b.RawInputs, plain(b)})
}

// canonical is CanonicalJSON(b), written member by member in jsonb's key
// order (length, then bytes: note, score, checks, inputs, reasons,
// disclosures) so that the large inputs, often already encoded, are parsed
// once and never re-encoded.
func (b Body) canonical() ([]byte, error) {
	type member struct {
		key string
		val any
		raw []byte
	}
	members := make([]member, 0, 6)
	if b.Note != "" {
		members = append(members, member{key: "note", val: b.Note})
	}
	if b.Score != nil {
		members = append(members, member{key: "score", val: b.Score})
	}
	if len(b.Checks) > 0 {
		members = append(members, member{key: "checks", val: b.Checks})
	}
	switch {
	case b.RawInputs != nil:
		members = append(members, member{key: "inputs", raw: b.RawInputs})
	case len(b.Inputs) > 0:
		members = append(members, member{key: "inputs", val: b.Inputs})
	}
	if len(b.Reasons) > 0 {
		members = append(members, member{key: "reasons", val: b.Reasons})
	}
	if len(b.Disclosures) > 0 {
		members = append(members, member{key: "disclosures", val: b.Disclosures})
	}
	out := make([]byte, 0, 512+len(b.RawInputs)+len(b.RawInputs)/8)
	out = append(out, '{')
	for i, m := range members {
		if i > 0 {
			out = append(out, ", "...)
		}
		out = append(out, '"')
		out = append(out, m.key...)
		out = append(out, `": `...)
		raw := m.raw
		if raw == nil {
			var err error
			if raw, err = json.Marshal(m.val); err != nil {
				return nil, err
			}
		}
		c := newCanonicalizer(raw)
		c.space()
		var err error
		out, err = c.value(out, 1)
		c.space()
		trailing := err == nil && c.pos != len(raw)
		c.release()
		switch {
		case err != nil:
			return nil, fmt.Errorf("canonical json: %s: %w", m.key, err)
		case trailing:
			return nil, fmt.Errorf("canonical json: %s: trailing data", m.key)
		}
	}
	return append(out, '}'), nil
}

// Score is the engine's score and the components it was summed from.
type Score struct {
	Value      decimal.Decimal  `json:"value"`
	Components []ScoreComponent `json:"components,omitempty"`
}

// ScoreComponent is one named part of a score.
type ScoreComponent struct {
	Name  string          `json:"name"`
	Value decimal.Decimal `json:"value"`
}

// Check is one gate check (suitability, target market, consent, contact
// policy, ...) with its result.
type Check struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	// Warning marks a check passed on a warning path: shown with a
	// warning to the client (appropriateness) or left to the advisor's
	// judgement (vulnerability).
	Warning bool `json:"warning,omitempty"`
	// Detail is the finding, as the client or advisor read it and as a
	// catalogue key with arguments to say it in the reader's language.
	Detail i18n.Message `json:"detail,omitzero"`
}

// Disclosure is something shown to the client with the offer: a fee, a
// cost, a conflict of interest, a document and its version.
type Disclosure struct {
	Kind            string       `json:"kind"` // fee, cost, conflict_of_interest, document
	Text            i18n.Message `json:"text,omitzero"`
	Amount          *ecrm.Money  `json:"amount,omitempty"`
	Document        string       `json:"document,omitempty"`
	DocumentVersion string       `json:"document_version,omitempty"`
}

// Appended is a record as written: its chain position, time and hashes.
type Appended struct {
	Seq        int64
	RecordedAt time.Time
	PrevHash   [32]byte
	Hash       [32]byte
}

// validate checks a record before it is hashed; the errors name the field.
func (r *Record) validate() error {
	switch r.Kind {
	case KindOfferShown:
		if r.Outcome != OutcomeShown {
			return ecrm.FieldErrorf("outcome", "an offer_shown record has outcome shown, not %q", r.Outcome)
		}
	case KindOfferBlocked:
		if r.Outcome != OutcomeBlocked {
			return ecrm.FieldErrorf("outcome", "an offer_blocked record has outcome blocked, not %q", r.Outcome)
		}
	case KindResponse:
		switch r.Outcome {
		case OutcomeInterested, OutcomeAccepted, OutcomeDeclined, OutcomeExpired:
		default:
			return ecrm.FieldErrorf("outcome", "a response is interested, accepted, declined or expired, not %q", r.Outcome)
		}
		if r.RefersTo <= 0 {
			return ecrm.FieldErrorf("refers_to", "a response must refer to the offer's record")
		}
	case KindReviewRequest:
		if r.Outcome != OutcomeReviewRequested {
			return ecrm.FieldErrorf("outcome", "a review_request record has outcome review_requested, not %q", r.Outcome)
		}
		if r.RefersTo <= 0 {
			return ecrm.FieldErrorf("refers_to", "a review request must refer to the offer's record")
		}
	default:
		return ecrm.FieldErrorf("kind", "unknown kind %q", r.Kind)
	}
	if (r.Kind == KindOfferShown || r.Kind == KindOfferBlocked) && r.RefersTo != 0 {
		return ecrm.FieldErrorf("refers_to", "only a response or a review request refers to another record")
	}
	if r.ClientID <= 0 {
		return ecrm.FieldErrorf("client_id", "is required")
	}
	if r.ProductID < 0 || r.ProductVersionID < 0 {
		return ecrm.FieldErrorf("product_id", "must not be negative")
	}
	if r.Channel == "" {
		return ecrm.FieldErrorf("channel", "is required")
	}
	switch r.Actor.Kind {
	case ActorAdvisor:
		if r.Actor.StaffID <= 0 {
			return ecrm.FieldErrorf("actor_staff_id", "is required when the actor is an advisor")
		}
	case ActorSystem, ActorClient:
		if r.Actor.StaffID != 0 {
			return ecrm.FieldErrorf("actor_staff_id", "is set only when the actor is an advisor")
		}
	default:
		return ecrm.FieldErrorf("actor_kind", "unknown actor %q", r.Actor.Kind)
	}
	return nil
}

func (r *Record) String() string {
	return fmt.Sprintf("%s client %d product %d", r.Kind, r.ClientID, r.ProductID)
}

// DisclosureText is a disclosure said in one reader's language, as the
// APIs return it.
type DisclosureText struct {
	Kind            string      `json:"kind"`
	Text            string      `json:"text,omitempty"`
	Amount          *ecrm.Money `json:"amount,omitempty"`
	Document        string      `json:"document,omitempty"`
	DocumentVersion string      `json:"document_version,omitempty"`
}

// In says the disclosure in l's language.
func (d Disclosure) In(l *i18n.Localizer) DisclosureText {
	return DisclosureText{Kind: d.Kind, Text: d.Text.In(l), Amount: d.Amount, Document: d.Document, DocumentVersion: d.DocumentVersion}
}

// DisclosuresIn says every disclosure in l's language; never nil.
func DisclosuresIn(l *i18n.Localizer, ds []Disclosure) []DisclosureText {
	out := make([]DisclosureText, len(ds))
	for i, d := range ds {
		out[i] = d.In(l)
	}
	return out
}

// MessagesIn says every message in l's language; never nil.
func MessagesIn(l *i18n.Localizer, ms []i18n.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.In(l)
	}
	return out
}
