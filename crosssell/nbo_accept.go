package crosssell

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/pipeline"
)

// Accepting an offer (issue 14, item 4) is the client's application: the
// response is recorded in the offer log and a deal opens in the pipeline
// for the client's advisor, with the first stage's tasks, in one
// transaction — both or neither. Declining records the response, which
// starts the cool-down the gate's contact policy knows.

// Fulfilment is where accepted offers go.
type Fulfilment struct {
	portal *compliance.Portal
	deals  *pipeline.Store
}

// SetFulfilment lets the arbiter take applications: the offer log's
// portal records responses, deals opens the deals.
func (a *Arbiter) SetFulfilment(portal *compliance.Portal, deals *pipeline.Store) {
	a.fulfil = &Fulfilment{portal: portal, deals: deals}
}

// Acceptance is the outcome of an application.
type Acceptance struct {
	OfferSeq    int64
	ResponseSeq int64
	DealID      int64
	// Created is false when the idempotency key named an earlier
	// application: nothing new was written.
	Created bool
}

// Accept records the client's application for the shown offer seq and
// opens its deal. The same idempotencyKey again returns the first
// application (Created false); an offer already answered is ECONFLICT, and
// another client's offer ENOTFOUND, as for any response.
func (a *Arbiter) Accept(ctx context.Context, clientID, seq int64, channel, idempotencyKey string) (Acceptance, error) {
	if a.fulfil == nil {
		return Acceptance{}, errors.New("crosssell: accept without fulfilment (SetFulfilment)")
	}
	out := Acceptance{OfferSeq: seq}
	err := pgdb.Transact(ctx, a.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		out = Acceptance{OfferSeq: seq}
		offer, err := compliance.ReadExplanation(ctx, tx, clientID, seq)
		if err != nil {
			return err
		}
		resp, created, err := a.fulfil.portal.RespondTx(ctx, tx, clientID, seq, channel, string(compliance.OutcomeAccepted), idempotencyKey)
		if err != nil {
			return err
		}
		out.ResponseSeq, out.Created = resp.Seq, created
		if !created {
			return tx.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM deals WHERE decision_seq = $1 AND client_id = $2`, seq, clientID).Scan(&out.DealID)
		}
		owner, err := pipeline.ClientOwnerTx(ctx, tx, clientID)
		if err != nil {
			return err
		}
		in := pipeline.DealInput{Pipeline: "sales", ClientID: clientID, ProductID: offer.ProductID,
			Title: offer.ProductName.EN, Source: "offer_accepted", OwnerStaffID: owner, DecisionSeq: seq}
		if offer.Kind == "mortgage" {
			in.Pipeline = "mortgage"
		}
		// The deal's amount: the premium of a policy, else what was
		// offered (the loan, the deposit, the investment).
		switch {
		case offer.Terms != nil && offer.Terms.Premium != nil:
			in.Amount, in.Currency = offer.Terms.Premium.Amount.String(), offer.Terms.Premium.Currency
		case offer.Request != nil && !offer.Request.Amount.Amount.IsZero():
			in.Amount, in.Currency = offer.Request.Amount.Amount.String(), offer.Request.Amount.Currency
		}
		out.DealID, err = a.fulfil.deals.CreateDealTx(ctx, tx, in, 0)
		return err
	})
	if err != nil {
		return Acceptance{}, err
	}
	return out, nil
}

// Decline records that the client does not want the offer seq.
func (a *Arbiter) Decline(ctx context.Context, clientID, seq int64, channel, idempotencyKey string) (*compliance.OfferResponse, bool, error) {
	if a.fulfil == nil {
		return nil, false, errors.New("crosssell: decline without fulfilment (SetFulfilment)")
	}
	return a.fulfil.portal.Respond(ctx, clientID, seq, channel, string(compliance.OutcomeDeclined), idempotencyKey)
}
