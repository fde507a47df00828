package compliance

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
	"github.com/ecrm-project/ecrm/products"
)

// Replay recomputes gated decisions from their records: the gate's checks
// from the stored snapshot (facts, profile, request) and the product
// version recorded, and the offer's figures with the same version's
// calculators. A decision reproduces when every check, the outcome and the
// figures come out as recorded. Ranking reasons depend on the other
// products of the presentation and are not recomputed.
type Replayer struct {
	pool    *pgxpool.Pool
	store   *products.Store
	facts   *FactsReader
	engines map[string]TermsReplayer
}

// NewReplayer replays decisions stored in pool's database.
func NewReplayer(pool *pgxpool.Pool) *Replayer {
	return &Replayer{pool: pool, store: products.NewStore(pool), facts: NewFactsReader(pool), engines: map[string]TermsReplayer{}}
}

// TermsReplayer recomputes the terms of an offer from the engine inputs
// recorded with it (Candidate.EngineInputs), for an engine whose figures
// are not the product's calculators' (a hedge is priced on market data
// the engine read, not on the product's definition).
type TermsReplayer func(engineInputs json.RawMessage) (any, error)

// ReplayEngine makes the replayer recompute the terms of engine's offers
// with fn; the others are recomputed by the product's calculators. The
// wiring registers the engines above compliance, which cannot import them.
func (rp *Replayer) ReplayEngine(engine string, fn TermsReplayer) { rp.engines[engine] = fn }

// Difference is one way a replay differs from the record.
type Difference struct {
	What     string `json:"what"`
	Recorded string `json:"recorded"`
	Replayed string `json:"replayed"`
}

// Replay is the outcome of replaying one decision record.
type Replay struct {
	Seq                int64        `json:"seq"`
	ClientID           int64        `json:"client_id"`
	Product            string       `json:"product"`
	ProductVersion     int          `json:"product_version"`
	RecordedAt         time.Time    `json:"recorded_at"`
	GateVersion        string       `json:"gate_version"`
	CurrentGateVersion string       `json:"current_gate_version"`
	RecordedOutcome    Outcome      `json:"recorded_outcome"`
	ReplayedOutcome    Outcome      `json:"replayed_outcome"`
	Checks             []Check      `json:"checks"`
	Differences        []Difference `json:"differences,omitempty"`
}

// Reproduced reports whether the replay matches the record.
func (r *Replay) Reproduced() bool { return len(r.Differences) == 0 }

// recordedOffer is an offer record as the replayer reads it.
type recordedOffer struct {
	seq        int64
	kind       Kind
	clientID   int64
	productID  int64
	versionID  int64
	channel    string
	engine     string
	actor      Actor
	outcome    Outcome
	recordedAt time.Time
	body       []byte
}

const recordedOfferColumns = `seq, kind, client_id, coalesce(product_id, 0), coalesce(product_version_id, 0), channel, engine,
	actor_kind, coalesce(actor_staff_id, 0), outcome, recorded_at, body::text`

func scanRecordedOffer(row pgx.Row) (recordedOffer, error) {
	var r recordedOffer
	err := row.Scan(&r.seq, &r.kind, &r.clientID, &r.productID, &r.versionID, &r.channel, &r.engine,
		&r.actor.Kind, &r.actor.StaffID, &r.outcome, &r.recordedAt, &r.body)
	return r, err
}

// recordedBody is the part of a body replay compares.
type recordedBody struct {
	Inputs json.RawMessage `json:"inputs"`
	Checks []Check         `json:"checks"`
}

// terms extracts the recorded terms from the inputs.
func (b recordedBody) terms() (json.RawMessage, error) {
	var in struct {
		Terms json.RawMessage `json:"terms"`
	}
	err := json.Unmarshal(b.Inputs, &in)
	return in.Terms, err
}

// Record replays the decision record seq.
func (rp *Replayer) Record(ctx context.Context, seq int64) (*Replay, error) {
	rec, err := scanRecordedOffer(rp.pool.QueryRow(ctx, `SELECT `+recordedOfferColumns+` FROM decision_records WHERE seq = $1`, seq))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ecrm.Errorf(ecrm.ENOTFOUND, "There is no decision record %d.", seq)
	}
	if err != nil {
		return nil, fmt.Errorf("decision record %d: %w", seq, err)
	}
	if rec.kind != KindOfferShown && rec.kind != KindOfferBlocked {
		return nil, ecrm.FieldErrorf("seq", "record %d is a %s; only offers shown or blocked are decisions to replay", seq, rec.kind)
	}
	var body recordedBody
	if err := json.Unmarshal(rec.body, &body); err != nil {
		return nil, fmt.Errorf("decision record %d: body: %w", seq, err)
	}
	snap, err := ParseSnapshot(body.Inputs)
	if err != nil {
		return nil, ecrm.FieldErrorf("seq", "record %d was not written by the offer gate: %v", seq, err)
	}
	product, err := rp.store.ProductVersion(ctx, rec.versionID)
	if err != nil {
		return nil, err
	}
	facts := snap.Facts
	facts.History = map[int64]ProductHistory{product.ID: snap.History}
	p := Presentation{
		ClientID: rec.clientID, Channel: rec.channel, Actor: rec.actor, Purpose: snap.Purpose, ClientInitiated: snap.ClientInitiated,
		Profile: snap.Profile, Request: snap.Request, Localizer: localizerFor(snap.Locale),
	}
	v := Evaluate(facts, p, Candidate{Product: product}, snap.EvaluatedAt)
	out := &Replay{
		Seq: rec.seq, ClientID: rec.clientID, Product: product.Code, ProductVersion: product.Version.Version,
		RecordedAt: rec.recordedAt, GateVersion: snap.GateVersion, CurrentGateVersion: GateVersion,
		RecordedOutcome: rec.outcome, ReplayedOutcome: outcomeOf(v), Checks: v.Checks,
	}
	if out.GateVersion != GateVersion {
		out.differ("gate version", snap.GateVersion, GateVersion)
	}
	if out.RecordedOutcome != out.ReplayedOutcome {
		out.differ("outcome", string(out.RecordedOutcome), string(out.ReplayedOutcome))
	}
	compareChecks(out, body.Checks, v.Checks)

	// The figures: the same product version's calculators on the same
	// profile and request.
	recordedTerms, err := body.terms()
	if err != nil {
		return nil, fmt.Errorf("decision record %d: terms: %w", seq, err)
	}
	if len(recordedTerms) > 0 && !bytes.Equal(recordedTerms, []byte("null")) {
		replay := func() (any, error) {
			terms, reasons, err := products.MatchOne(product, snap.Profile, snap.Request, p.Localizer)
			if err == nil && terms == nil {
				err = fmt.Errorf("not eligible: %v", reasons)
			}
			return terms, err
		}
		if fn, ok := rp.engines[rec.engine]; ok {
			replay = func() (any, error) { return fn(snap.EngineInputs) }
		}
		if err := compareTerms(out, recordedTerms, replay); err != nil {
			return nil, fmt.Errorf("decision record %d: terms: %w", seq, err)
		}
	}
	return out, nil
}

// compareTerms recomputes terms with replay and notes a difference from the
// recorded ones (or the error the recomputation ended in).
func compareTerms(out *Replay, recorded []byte, replay func() (any, error)) error {
	terms, err := replay()
	if err != nil {
		out.differ("terms", string(recorded), err.Error())
		return nil
	}
	want, err1 := canonicalizeJSON(recorded)
	got, err2 := CanonicalJSON(terms)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if !bytes.Equal(want, got) {
		out.differ("terms", string(want), string(got))
	}
	return nil
}

func (r *Replay) differ(what, recorded, replayed string) {
	r.Differences = append(r.Differences, Difference{What: what, Recorded: recorded, Replayed: replayed})
}

func outcomeOf(v Verdict) Outcome {
	if v.Shown {
		return OutcomeShown
	}
	return OutcomeBlocked
}

func compareChecks(out *Replay, recorded, replayed []Check) {
	byName := make(map[string]Check, len(recorded))
	for _, c := range recorded {
		byName[c.Name] = c
	}
	for _, c := range replayed {
		r, ok := byName[c.Name]
		switch {
		case !ok:
			out.differ("check "+c.Name, "(none)", describeCheck(c))
		case r.Passed != c.Passed || r.Warning != c.Warning || r.Detail.Text != c.Detail.Text:
			out.differ("check "+c.Name, describeCheck(r), describeCheck(c))
		}
		delete(byName, c.Name)
	}
	for _, c := range recorded {
		if _, left := byName[c.Name]; left {
			out.differ("check "+c.Name, describeCheck(c), "(none)")
		}
	}
}

func describeCheck(c Check) string {
	state := "failed"
	switch {
	case c.Passed && c.Warning:
		state = "passed with a warning"
	case c.Passed:
		state = "passed"
	}
	return state + ": " + c.Detail.Text
}

// ClientReplay answers "what would we have offered this client at time
// T": the client's last presentation at or before T, each product in the
// version live at T, re-checked against the facts in force at T.
type ClientReplay struct {
	ClientID    int64                 `json:"client_id"`
	At          time.Time             `json:"at"`
	PresentedAt time.Time             `json:"presented_at"`
	Channel     string                `json:"channel"`
	Engine      string                `json:"engine"`
	Request     products.MatchRequest `json:"request"`
	Offers      []ClientReplayOffer   `json:"offers"`
}

// ClientReplayOffer is one product of the presentation, as recorded and as
// the gate decides at T.
type ClientReplayOffer struct {
	Seq             int64   `json:"seq"`
	Product         string  `json:"product"`
	RecordedVersion int     `json:"recorded_version"`
	VersionAtT      int     `json:"version_at_t"`
	RecordedOutcome Outcome `json:"recorded_outcome"`
	OutcomeAtT      Outcome `json:"outcome_at_t"`
	Checks          []Check `json:"checks"`
}

// ClientAt replays the client's last presentation at or before at.
func (rp *Replayer) ClientAt(ctx context.Context, clientID int64, at time.Time) (*ClientReplay, error) {
	rows, err := rp.pool.Query(ctx, `
WITH last AS (
    SELECT body::jsonb -> 'inputs' ->> 'evaluated_at' AS last_evaluated_at, engine AS last_engine
    FROM decision_records
    WHERE client_id = $1 AND kind IN ('offer_shown', 'offer_blocked') AND recorded_at <= $2
    ORDER BY seq DESC LIMIT 1)
SELECT `+recordedOfferColumns+`
FROM decision_records d, last
WHERE d.client_id = $1 AND d.kind IN ('offer_shown', 'offer_blocked') AND d.recorded_at <= $2
  AND d.engine = last.last_engine AND d.body::jsonb -> 'inputs' ->> 'evaluated_at' = last.last_evaluated_at
ORDER BY d.seq`, clientID, at)
	if err != nil {
		return nil, fmt.Errorf("client %d at %s: %w", clientID, at, err)
	}
	recs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (recordedOffer, error) { return scanRecordedOffer(r) })
	if err != nil {
		return nil, fmt.Errorf("client %d at %s: %w", clientID, at, err)
	}
	if len(recs) == 0 {
		return nil, ecrm.Errorf(ecrm.ENOTFOUND, "No offer was presented to client %d at or before %s.", clientID, at.Format(time.RFC3339))
	}
	out := &ClientReplay{ClientID: clientID, At: at, Channel: recs[0].channel, Engine: recs[0].engine}
	type item struct {
		rec     recordedOffer
		snap    Snapshot
		product products.Product
	}
	items := make([]item, len(recs))
	var ids []int64
	for i, rec := range recs {
		var body recordedBody
		if err := json.Unmarshal(rec.body, &body); err != nil {
			return nil, fmt.Errorf("decision record %d: body: %w", rec.seq, err)
		}
		snap, err := ParseSnapshot(body.Inputs)
		if err != nil {
			return nil, fmt.Errorf("decision record %d: %w", rec.seq, err)
		}
		product, err := rp.store.ProductVersionAt(ctx, rec.productID, at)
		if err != nil {
			return nil, err
		}
		items[i] = item{rec, snap, product}
		ids = append(ids, rec.productID)
	}
	first := items[0]
	out.PresentedAt, out.Request = first.snap.EvaluatedAt, first.snap.Request
	facts, err := rp.facts.Read(ctx, clientID, out.Channel, ids, at)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		p := Presentation{
			ClientID: clientID, Channel: it.rec.channel, Actor: it.rec.actor, Purpose: it.snap.Purpose, ClientInitiated: it.snap.ClientInitiated,
			Profile: it.snap.Profile, Request: it.snap.Request, Localizer: localizerFor(it.snap.Locale),
		}
		v := Evaluate(facts, p, Candidate{Product: it.product}, at)
		out.Offers = append(out.Offers, ClientReplayOffer{
			Seq: it.rec.seq, Product: it.product.Code, RecordedVersion: it.snap.Product.Version, VersionAtT: it.product.Version.Version,
			RecordedOutcome: it.rec.outcome, OutcomeAtT: outcomeOf(v), Checks: v.Checks,
		})
	}
	return out, nil
}
