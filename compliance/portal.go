package compliance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/products"
)

// The client's side of the offer log: "why am I seeing this?" is built from
// the shown offer's decision record, and the client's answers to the offer —
// a request for a human to review it, "I'm interested", "I apply", "not
// interested" — are new decision records referring to it, never updates.
// Interest binds nothing and may be followed by an application (accepted)
// or a decline; those two are final. A review request
// also opens a work item for the client's advisor (human_review_requests),
// written in the same transaction as its record.
//
// Every read and write names the client: the offer's record is looked up by
// seq AND client_id, so another client's offer, a blocked offer or a
// response record is simply not found.

// States of a shown offer, as the client sees them.
const (
	OfferStateOpen            = "open"
	OfferStateInterested      = "interested"
	OfferStateAccepted        = "accepted"
	OfferStateDeclined        = "declined"
	OfferStateExpired         = "expired"
	OfferStateReviewRequested = "review_requested"
)

// Statuses of a human review request.
const (
	HumanReviewOpen     = "open"
	HumanReviewAnswered = "answered"
)

// MaxReviewMessage bounds the client's message to the reviewer, and
// MaxReviewAnswer the advisor's answer (human_review_requests).
const (
	MaxReviewMessage = 2000
	MaxReviewAnswer  = 4000
)

// maxIdempotencyKey bounds an Idempotency-Key header: keys are UUIDs or
// similar tokens, not documents.
const maxIdempotencyKey = 255

// Explanation is a shown offer as its decision record tells it: what was
// offered, on which terms, why, what was disclosed, which checks it passed,
// and what became of it.
type Explanation struct {
	Seq        int64
	ClientID   int64
	RecordedAt time.Time
	Channel    string
	Engine     string
	ActorKind  ActorKind
	// Product is the exact version offered.
	ProductID        int64
	ProductVersionID int64
	ProductCode      string
	ProductName      ecrm.Text
	Provider         string
	ProductVersion   int
	Line             string
	Kind             string
	RiskClass        int
	Complex          bool
	// Locale is the language the reasons, check details and disclosures
	// were recorded in (the client's at the time).
	Locale          string
	Purpose         Purpose
	ClientInitiated bool
	// Request is what the client asked for, nil when the record holds no
	// gate snapshot.
	Request *products.MatchRequest
	// Terms are the figures shown, nil when not recorded as product terms.
	Terms       *products.Terms
	Reasons     []i18n.Message
	Checks      []Check
	Disclosures []Disclosure
	// Response is the client's latest response, nil while the offer is
	// open; Responses are all of them, oldest first (interest, then an
	// application or a decline).
	Response  *OfferResponse
	Responses []OfferResponse
	// Reviews are the client's requests for human review, oldest first.
	Reviews []HumanReview
}

// State is open, interested, accepted, declined, expired or
// review_requested: the latest response says where the offer stands; until
// the first, an open review request is what the client waits for.
func (e *Explanation) State() string {
	if e.Response != nil {
		return string(e.Response.Outcome)
	}
	if e.OpenReview() != nil {
		return OfferStateReviewRequested
	}
	return OfferStateOpen
}

// OpenReview returns the review request still waiting for an answer.
func (e *Explanation) OpenReview() *HumanReview {
	for i := range e.Reviews {
		if e.Reviews[i].Status == HumanReviewOpen {
			return &e.Reviews[i]
		}
	}
	return nil
}

// OfferResponse is the client's response to an offer (a response record).
type OfferResponse struct {
	Seq        int64
	OfferSeq   int64
	Outcome    Outcome
	Channel    string
	RecordedAt time.Time
	// idempotencyKey is the key the response was made with, if any.
	idempotencyKey string
}

// HumanReview is a client's request for a human to review an offer, and
// the advisor's answer.
type HumanReview struct {
	ID          int64
	ClientID    int64
	DecisionSeq int64
	RequestSeq  int64
	Message     string
	RequestedAt time.Time
	Status      string
	Answer      string
	AnsweredAt  *time.Time
	// AnsweredBy is the name of the member of staff who answered.
	AnsweredBy string
}

// AnsweredTime is AnsweredAt for templates, which cannot dereference it;
// the zero time while the request is open.
func (h HumanReview) AnsweredTime() time.Time {
	if h.AnsweredAt == nil {
		return time.Time{}
	}
	return *h.AnsweredAt
}

var errOfferNotFound = ecrm.Errorf(ecrm.ENOTFOUND, "portal.offer.error.not_found")

// qOffer reads a shown offer of one client; anything else is not found.
const qOffer = `
SELECT d.seq, d.client_id, d.recorded_at, d.channel, d.engine, d.engine_version, d.rule_version, d.actor_kind,
       coalesce(d.product_id, 0), coalesce(d.product_version_id, 0),
       coalesce(p.code, ''), json_build_object('en', pv.name, 'ro', pv.name_ro), coalesce(p.provider, ''), coalesce(pv.version, 0),
       d.body::text
FROM decision_records d
LEFT JOIN products p ON p.id = d.product_id
LEFT JOIN product_versions pv ON pv.id = d.product_version_id
WHERE d.seq = $1 AND d.client_id = $2 AND d.kind = 'offer_shown'`

// qOfferResponses reads the client's responses to an offer, oldest first.
const qOfferResponses = `
SELECT d.seq, d.outcome, d.channel, d.recorded_at, coalesce(d.body::jsonb #>> '{inputs,idempotency_key}', '')
FROM decision_records d
WHERE d.refers_to = $1 AND d.client_id = $2 AND d.kind = 'response'
ORDER BY d.seq`

// qHumanReviews reads the review requests of an offer.
const qHumanReviews = `
SELECT h.id, h.client_id, h.decision_seq, h.request_seq, h.message, h.requested_at, h.status,
       coalesce(h.answer, ''), h.answered_at, coalesce(s.display_name, '')
FROM human_review_requests h
LEFT JOIN staff_users s ON s.id = h.answered_by
WHERE h.decision_seq = $1 AND h.client_id = $2
ORDER BY h.requested_at, h.id`

// offerRecord is a shown offer's record as read by qOffer.
type offerRecord struct {
	Explanation
	engineVersion, ruleVersion string
	body                       string
}

func findOffer(ctx context.Context, tx pgx.Tx, clientID, seq int64) (*offerRecord, error) {
	o := &offerRecord{}
	var actor string
	err := tx.QueryRow(ctx, qOffer, seq, clientID).Scan(&o.Seq, &o.ClientID, &o.RecordedAt, &o.Channel, &o.Engine,
		&o.engineVersion, &o.ruleVersion, &actor, &o.ProductID, &o.ProductVersionID, &o.ProductCode, &o.ProductName,
		&o.Provider, &o.ProductVersion, &o.body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errOfferNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read offer %d: %w", seq, err)
	}
	o.ActorKind = ActorKind(actor)
	return o, nil
}

// ReadExplanation reads the shown offer seq of client clientID with its
// response and review requests, in tx (read it in one snapshot: a
// repeatable-read transaction). Another client's offer, a blocked offer
// or any other kind of record is ENOTFOUND. The portal and the staff
// console both explain an offer with it.
func ReadExplanation(ctx context.Context, tx pgx.Tx, clientID, seq int64) (*Explanation, error) {
	o, err := findOffer(ctx, tx, clientID, seq)
	if err != nil {
		return nil, err
	}
	e := &o.Explanation
	if err := e.readBody([]byte(o.body)); err != nil {
		return nil, fmt.Errorf("offer %d: %w", seq, err)
	}
	if e.Responses, err = offerResponses(ctx, tx, clientID, seq); err != nil {
		return nil, err
	}
	if n := len(e.Responses); n > 0 {
		e.Response = &e.Responses[n-1]
	}
	if e.Reviews, err = humanReviews(ctx, tx, clientID, seq); err != nil {
		return nil, err
	}
	return e, nil
}

// readBody fills the explanation from the record's body: reasons, checks
// and disclosures as recorded, and the request and terms from the gate's
// input snapshot when there is one.
func (e *Explanation) readBody(body []byte) error {
	var b struct {
		Inputs      json.RawMessage `json:"inputs"`
		Reasons     []i18n.Message  `json:"reasons"`
		Checks      []Check         `json:"checks"`
		Disclosures []Disclosure    `json:"disclosures"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return fmt.Errorf("decision record body: %w", err)
	}
	e.Reasons, e.Checks, e.Disclosures = b.Reasons, b.Checks, b.Disclosures
	e.Locale = "en"
	if len(b.Inputs) == 0 {
		return nil
	}
	s, err := ParseSnapshot(b.Inputs)
	if err != nil {
		// A record written by another engine than the gate: explain it
		// with what it has.
		return nil
	}
	if s.Locale != "" {
		e.Locale = s.Locale
	}
	e.Purpose, e.ClientInitiated = s.Purpose, s.ClientInitiated
	e.Line, e.Kind, e.RiskClass, e.Complex = s.Product.Line, s.Product.Kind, s.Product.RiskClass, s.Product.Complex
	if e.ProductCode == "" {
		e.ProductCode, e.ProductVersion = s.Product.Code, s.Product.Version
	}
	req := s.Request
	if req.Goal != "" {
		e.Request = &req
	}
	if s.Terms != nil {
		raw, err := json.Marshal(s.Terms)
		if err == nil {
			var t products.Terms
			if json.Unmarshal(raw, &t) == nil && t != (products.Terms{}) {
				e.Terms = &t
			}
		}
	}
	return nil
}

// offerResponses reads the client's responses to an offer, oldest first.
func offerResponses(ctx context.Context, tx pgx.Tx, clientID, seq int64) ([]OfferResponse, error) {
	rows, err := tx.Query(ctx, qOfferResponses, seq, clientID)
	if err != nil {
		return nil, fmt.Errorf("read responses to offer %d: %w", seq, err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (OfferResponse, error) {
		r := OfferResponse{OfferSeq: seq}
		var outcome string
		err := row.Scan(&r.Seq, &outcome, &r.Channel, &r.RecordedAt, &r.idempotencyKey)
		r.Outcome = Outcome(outcome)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("read responses to offer %d: %w", seq, err)
	}
	return list, nil
}

func humanReviews(ctx context.Context, tx pgx.Tx, clientID, seq int64) ([]HumanReview, error) {
	rows, err := tx.Query(ctx, qHumanReviews, seq, clientID)
	if err != nil {
		return nil, fmt.Errorf("read review requests of offer %d: %w", seq, err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (HumanReview, error) {
		var h HumanReview
		err := row.Scan(&h.ID, &h.ClientID, &h.DecisionSeq, &h.RequestSeq, &h.Message, &h.RequestedAt, &h.Status,
			&h.Answer, &h.AnsweredAt, &h.AnsweredBy)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("read review requests of offer %d: %w", seq, err)
	}
	return list, nil
}

// Portal is the client's side of the offer log.
type Portal struct {
	pool *pgxpool.Pool
	log  *Log
}

// NewPortal returns the client's side of the offer log stored in pool.
func NewPortal(pool *pgxpool.Pool) *Portal {
	return &Portal{pool: pool, log: NewLog(pool)}
}

// SetNow replaces the clock that times the records the portal appends
// (tests, demo data).
func (p *Portal) SetNow(now func() time.Time) { p.log.Now = now }

// Explain returns the client's shown offer seq, explained.
func (p *Portal) Explain(ctx context.Context, clientID, seq int64) (*Explanation, error) {
	var out *Explanation
	err := pgx.BeginTxFunc(ctx, p.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		out, err = ReadExplanation(ctx, tx, clientID, seq)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lockChain takes the chain head's row lock before the caller looks for an
// earlier answer: every append takes it too, so two requests about one
// offer cannot both find none and both append. Append takes it again in the
// same transaction, which costs nothing.
func lockChain(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM decision_chain_head FOR UPDATE`); err != nil {
		return fmt.Errorf("lock decision chain head: %w", err)
	}
	return nil
}

// answerRecord is a record about the offer o, made by the client on a
// channel (web: the portal, mobile: the app): same client, product,
// version and engine as the offer.
func (o *offerRecord) answerRecord(kind Kind, outcome Outcome, channel string, body Body) Record {
	return Record{
		Kind: kind, RefersTo: o.Seq, ClientID: o.ClientID,
		ProductID: o.ProductID, ProductVersionID: o.ProductVersionID,
		Engine: o.Engine, EngineVersion: o.engineVersion, RuleVersion: o.ruleVersion,
		Channel: channel, Actor: Actor{Kind: ActorClient}, Outcome: outcome, Body: body,
	}
}

// validateReviewMessage trims the client's message and checks its length.
func validateReviewMessage(message string) (string, error) {
	message = strings.TrimSpace(message)
	if n := len([]rune(message)); n > MaxReviewMessage {
		return "", invalidField("message", "portal.offer.review.error.message_too_long")
	}
	return message, nil
}

// invalidField is an EINVALID error about one field; the message is a
// catalogue key.
func invalidField(field, key string) *ecrm.Error {
	return &ecrm.Error{Code: ecrm.EINVALID, Message: key, Field: field, Fields: []ecrm.FieldError{{Field: field, Message: key}}}
}

const qInsertHumanReview = `
INSERT INTO human_review_requests (client_id, decision_seq, request_seq, message, requested_at)
VALUES ($1, $2, $3, $4, $5)
RETURNING id`

const qOpenHumanReview = `
SELECT h.id, h.client_id, h.decision_seq, h.request_seq, h.message, h.requested_at, h.status,
       coalesce(h.answer, ''), h.answered_at, ''
FROM human_review_requests h
WHERE h.decision_seq = $1 AND h.client_id = $2 AND h.status = 'open'`

// RequestReview records the client's request for a human to review the
// offer seq: a review_request decision record (actor client) and the
// advisor's work item, in one transaction. While a request is open, asking
// again returns it (created false) and records nothing. message is
// optional, at most MaxReviewMessage characters; channel is where the
// client asked (web, mobile).
func (p *Portal) RequestReview(ctx context.Context, clientID, seq int64, channel, message string) (review *HumanReview, created bool, err error) {
	err = pgx.BeginTxFunc(ctx, p.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		review, created = nil, false
		o, err := findOffer(ctx, tx, clientID, seq)
		if err != nil {
			return err
		}
		// Checked after the offer, so that another client's offer is not
		// found whatever the message.
		msg, err := validateReviewMessage(message)
		if err != nil {
			return err
		}
		if err := lockChain(ctx, tx); err != nil {
			return err
		}
		var h HumanReview
		err = tx.QueryRow(ctx, qOpenHumanReview, seq, clientID).Scan(&h.ID, &h.ClientID, &h.DecisionSeq, &h.RequestSeq,
			&h.Message, &h.RequestedAt, &h.Status, &h.Answer, &h.AnsweredAt, &h.AnsweredBy)
		switch {
		case err == nil:
			review = &h
			return nil
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("read open review request of offer %d: %w", seq, err)
		}
		appended, err := p.log.AppendTx(ctx, tx, o.answerRecord(KindReviewRequest, OutcomeReviewRequested, channel, Body{Note: msg}))
		if err != nil {
			return fmt.Errorf("record review request of offer %d: %w", seq, err)
		}
		h = HumanReview{ClientID: clientID, DecisionSeq: seq, RequestSeq: appended[0].Seq, Message: msg,
			RequestedAt: appended[0].RecordedAt, Status: HumanReviewOpen}
		if err := tx.QueryRow(ctx, qInsertHumanReview, clientID, seq, h.RequestSeq, msg, h.RequestedAt).Scan(&h.ID); err != nil {
			return fmt.Errorf("open review request of offer %d: %w", seq, err)
		}
		review, created = &h, true
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return review, created, nil
}

// ParseResponse checks a response the client may give: interested,
// accepted or declined (expired is the firm's to record).
func ParseResponse(s string) (Outcome, error) {
	switch o := Outcome(strings.TrimSpace(s)); o {
	case OutcomeInterested, OutcomeAccepted, OutcomeDeclined:
		return o, nil
	case "":
		return "", invalidField("response", "portal.offer.response.error.required")
	}
	return "", invalidField("response", "portal.offer.response.error.unknown")
}

// checkIdempotencyKey accepts an empty key or up to maxIdempotencyKey
// printable ASCII characters.
func checkIdempotencyKey(key string) error {
	if len(key) > maxIdempotencyKey {
		return invalidField("Idempotency-Key", "portal.offer.response.error.key_invalid")
	}
	for _, r := range key {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) {
			return invalidField("Idempotency-Key", "portal.offer.response.error.key_invalid")
		}
	}
	return nil
}

var errAlreadyAnswered = ecrm.Errorf(ecrm.ECONFLICT, "portal.offer.response.error.already_answered")

// Respond records the client's response (interested, accepted or declined)
// to the offer seq as a response record referring to it. Interest may be
// followed by an application (accepted) or a decline; after those, or after
// the offer expired, another response is ECONFLICT. A response repeated
// with the idempotency key of an earlier one returns that one (created
// false); the key is kept in the record's inputs. Nothing is opened yet:
// the client's advisor follows up. channel is where the client answered.
func (p *Portal) Respond(ctx context.Context, clientID, seq int64, channel, response, idempotencyKey string) (resp *OfferResponse, created bool, err error) {
	err = pgx.BeginTxFunc(ctx, p.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		var err error
		resp, created, err = p.RespondTx(ctx, tx, clientID, seq, channel, response, idempotencyKey)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return resp, created, nil
}

// RespondTx is Respond in the caller's transaction, for an engine whose
// response does more in the same commit (an application that opens a
// deal): the response and what follows from it are written together or
// not at all.
func (p *Portal) RespondTx(ctx context.Context, tx pgx.Tx, clientID, seq int64, channel, response, idempotencyKey string) (resp *OfferResponse, created bool, err error) {
	err = func() error {
		o, err := findOffer(ctx, tx, clientID, seq)
		if err != nil {
			return err
		}
		outcome, err := ParseResponse(response)
		if err != nil {
			return err
		}
		if err := checkIdempotencyKey(idempotencyKey); err != nil {
			return err
		}
		if err := lockChain(ctx, tx); err != nil {
			return err
		}
		earlier, err := offerResponses(ctx, tx, clientID, seq)
		if err != nil {
			return err
		}
		for i := range earlier {
			if idempotencyKey != "" && earlier[i].idempotencyKey == idempotencyKey {
				if earlier[i].Outcome != outcome {
					return invalidField("Idempotency-Key", "portal.offer.response.error.key_reused")
				}
				resp = &earlier[i]
				return nil
			}
		}
		if n := len(earlier); n > 0 && (earlier[n-1].Outcome != OutcomeInterested || outcome == OutcomeInterested) {
			return errAlreadyAnswered
		}
		body := Body{}
		if idempotencyKey != "" {
			body.Inputs = map[string]any{"idempotency_key": idempotencyKey}
		}
		appended, err := p.log.AppendTx(ctx, tx, o.answerRecord(KindResponse, outcome, channel, body))
		if err != nil {
			return fmt.Errorf("record response to offer %d: %w", seq, err)
		}
		resp = &OfferResponse{Seq: appended[0].Seq, OfferSeq: seq, Outcome: outcome, Channel: channel,
			RecordedAt: appended[0].RecordedAt, idempotencyKey: idempotencyKey}
		created = true
		return nil
	}()
	if err != nil {
		return nil, false, err
	}
	return resp, created, nil
}
