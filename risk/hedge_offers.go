package risk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/products"
)

// HedgeViewer is who sees the suggestions and where.
type HedgeViewer struct {
	ClientID int64
	// Channel is web or mobile in the portal.
	Channel string
	Actor   compliance.Actor
}

// HedgeOffer is one suggestion the gate let through.
type HedgeOffer struct {
	// Seq is the offer's decision record.
	Seq          int64
	InstrumentID int64
	Strategy     HedgeStrategy
	Product      products.Product
	Params       HedgeParams
	Terms        HedgeTerms
	Reasons      []i18n.Message
	Warnings     []i18n.Message
}

// HedgeUnavailable says why a strategy is not offered for a holding: a
// reason of the engine (message key: stale price, below one contract…)
// or the gate's checks that failed.
type HedgeUnavailable struct {
	InstrumentID int64
	Symbol       string
	Strategy     HedgeStrategy
	Reason       string
	// Checks are the gate's failed checks when the gate withheld it (Seq
	// is then its decision record).
	Checks []string
	Seq    int64
}

// HedgeSuggestions is what the hedging page shows.
type HedgeSuggestions struct {
	Book        *HedgeBook
	Offers      []HedgeOffer
	Unavailable []HedgeUnavailable
}

// Triggered lists the holdings the rules flagged.
func (s *HedgeSuggestions) Triggered() []BookHolding {
	var out []BookHolding
	for _, h := range s.Book.Holdings {
		if h.Trigger.Triggered() {
			out = append(out, h)
		}
	}
	return out
}

// Suggest computes the hedges of every flagged holding with the default
// parameters and puts them through the gate as offers the firm makes.
// Within the gate's presentation window the same suggestions are the same
// records.
func (d *HedgeDesk) Suggest(ctx context.Context, v HedgeViewer, l *i18n.Localizer) (*HedgeSuggestions, error) {
	book, err := d.Load(ctx, v.ClientID, d.Now())
	if err != nil {
		return nil, err
	}
	out := &HedgeSuggestions{Book: book}
	var inputs []HedgeInput
	var terms []HedgeTerms
	for _, h := range out.Triggered() {
		if h.Stale != nil {
			out.Unavailable = append(out.Unavailable, HedgeUnavailable{InstrumentID: h.Position.InstrumentID,
				Symbol: h.Position.Symbol, Reason: h.Stale.Error()})
			continue
		}
		params := DefaultHedgeParams(book.Client, h.Position)
		for _, s := range Strategies {
			if _, onSale := book.Products[s]; !onSale {
				continue
			}
			in := book.Input(h, s, params, d.Rules)
			t, err := SuggestHedge(in)
			if reason, ok := unavailableReason(err); ok {
				out.Unavailable = append(out.Unavailable, HedgeUnavailable{InstrumentID: h.Position.InstrumentID,
					Symbol: h.Position.Symbol, Strategy: s, Reason: reason})
				continue
			}
			if err != nil {
				return nil, err
			}
			inputs, terms = append(inputs, in), append(terms, t)
		}
	}
	offers, withheld, err := d.present(ctx, v, book, inputs, terms, false, l)
	if err != nil {
		return nil, err
	}
	out.Offers, out.Unavailable = offers, append(out.Unavailable, withheld...)
	return out, nil
}

// unavailableReason is the message key of an engine's refusal (a reason,
// not a failure).
func unavailableReason(err error) (string, bool) {
	for _, reason := range []error{ErrHedgeNoPrice, ErrHedgeStalePrice, ErrHedgeNoVolatility, ErrHedgeNotOptionable,
		ErrHedgeBelowContract, ErrHedgeWeightInTarget, ErrHedgeNoCollar, ErrHedgeNotLong} {
		if errors.Is(err, reason) {
			return reason.Error(), true
		}
	}
	return "", false
}

// present puts computed suggestions through the gate.
func (d *HedgeDesk) present(ctx context.Context, v HedgeViewer, book *HedgeBook, inputs []HedgeInput, terms []HedgeTerms, clientAsked bool,
	l *i18n.Localizer) ([]HedgeOffer, []HedgeUnavailable, error) {
	if len(inputs) == 0 {
		return nil, nil, nil
	}
	profile, err := products.LoadProfile(ctx, d.pool, v.ClientID)
	if err != nil {
		return nil, nil, err
	}
	p := compliance.Presentation{
		ClientID: v.ClientID, Channel: v.Channel, Actor: v.Actor, Purpose: compliance.PurposeMarketing,
		ClientInitiated: clientAsked, Engine: HedgeEngine, EngineVersion: HedgeVersion, Profile: profile, Localizer: l,
	}
	prods := make([]products.Product, len(inputs))
	for i, in := range inputs {
		prod, ok := book.Products[in.Strategy]
		if !ok {
			return nil, nil, fmt.Errorf("hedge product of %s: %s is not in the catalogue", in.Strategy, strategyProducts[in.Strategy])
		}
		prods[i] = prod
		t := terms[i]
		// The request the gate records: the money at stake (the cost, or
		// the proceeds of a sale) over the protection's horizon.
		amount := t.Cost.Amount.Abs()
		if t.Proceeds != nil {
			amount = t.Proceeds.Amount
		}
		req := products.MatchRequest{Amount: ecrm.Money{Amount: amount, Currency: t.Cost.Currency}, Months: in.Params.HorizonMonths,
			Objective: "hedging"}
		disclosures := compliance.OfferDisclosures(prods[i], products.Terms{}, d.gate.Firm, l)
		if t.Fee != nil {
			disclosures = append(disclosures, compliance.Disclosure{Kind: "fee", Text: l.Say("hedge.disclosure.fee"), Amount: t.Fee})
		}
		disclosures = append(disclosures, compliance.Disclosure{Kind: "cost", Text: l.Say("hedge.disclosure.cost"), Amount: &t.Cost})
		p.Offers = append(p.Offers, compliance.Candidate{
			Product: prods[i], Terms: t, Request: &req, EngineInputs: in,
			Score:       &compliance.Score{Value: in.Trigger.Weight, Components: []compliance.ScoreComponent{{Name: "weight", Value: in.Trigger.Weight}}},
			Reasons:     hedgeReasons(in, l),
			Disclosures: disclosures,
		})
	}
	verdicts, err := d.gate.Present(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	var offers []HedgeOffer
	var withheld []HedgeUnavailable
	for i, in := range inputs {
		if !verdicts[i].Shown {
			withheld = append(withheld, HedgeUnavailable{InstrumentID: in.Position.InstrumentID, Symbol: in.Position.Symbol,
				Strategy: in.Strategy, Reason: "hedge.unavailable.withheld", Checks: verdicts[i].Blocked(), Seq: verdicts[i].Seq})
			continue
		}
		offers = append(offers, HedgeOffer{Seq: verdicts[i].Seq, InstrumentID: in.Position.InstrumentID, Strategy: in.Strategy,
			Product: prods[i], Params: in.Params, Terms: terms[i], Reasons: p.Offers[i].Reasons, Warnings: verdicts[i].Warnings})
	}
	return offers, withheld, nil
}

// hedgeReasons say why the engine proposes a hedge: the rules that fired.
func hedgeReasons(in HedgeInput, l *i18n.Localizer) []i18n.Message {
	var out []i18n.Message
	if in.Trigger.Concentrated {
		out = append(out, l.Say("hedge.reason.concentrated", in.Position.Symbol, i18n.Ratio{Value: in.Trigger.Weight, Places: 1},
			i18n.Ratio{Value: in.Rules.MaxWeight, Places: 0}))
	}
	if in.Trigger.VaRAboveCapacity && in.Client.LossCapacity != nil {
		out = append(out, l.Say("hedge.reason.var_above_capacity", in.Position.Symbol,
			ecrm.Money{Amount: in.Position.VaR10d99, Currency: in.Client.BaseCurrency},
			ecrm.Money{Amount: *in.Client.LossCapacity, Currency: in.Client.BaseCurrency}))
	}
	return out
}

// Preview computes the figures of a strategy with the parameters the
// client chose, without presenting anything: the page's numbers as the
// client moves a control. Accepting them presents them.
func (d *HedgeDesk) Preview(ctx context.Context, clientID, instrumentID int64, strategy HedgeStrategy, params HedgeParams) (HedgeTerms, error) {
	book, err := d.Load(ctx, clientID, d.Now())
	if err != nil {
		return HedgeTerms{}, err
	}
	h, ok := book.Holding(instrumentID)
	if !ok || !h.Trigger.Triggered() {
		return HedgeTerms{}, ecrm.FieldErrorf("instrument", "no hedge is proposed for this holding")
	}
	return SuggestHedge(book.Input(h, strategy, params, d.Rules))
}

// OrderRequest is what the client asked the firm to trade.
type OrderRequest struct {
	ID          int64         `json:"id"`
	DecisionSeq int64         `json:"decision_seq"`
	DealID      int64         `json:"deal_id"`
	Strategy    HedgeStrategy `json:"strategy"`
	Symbol      string        `json:"symbol"`
	Legs        []OrderLeg    `json:"legs"`
	Cost        ecrm.Money    `json:"estimated_cost"`
	Status      string        `json:"status"`
	StatusName  ecrm.Text     `json:"-"`
	CreatedAt   time.Time     `json:"created_at"`
}

// OrderLeg is one trade of an order request.
type OrderLeg struct {
	Side string `json:"side"` // buy, sell
	// Instrument is the holding's symbol; for options the underlying.
	Instrument string           `json:"instrument"`
	OptionType OptionKind       `json:"option_type,omitempty"`
	Strike     *decimal.Decimal `json:"strike,omitempty"`
	Expiry     string           `json:"expiry,omitempty"`
	Contracts  int64            `json:"contracts,omitempty"`
	Multiplier int64            `json:"multiplier,omitempty"`
	// Quantity is the number of units for a sale.
	Quantity *decimal.Decimal `json:"quantity,omitempty"`
	// Price is the model's premium per unit, or the last close for a sale.
	Price decimal.Decimal `json:"estimated_price"`
}

// ExpiryDate is Expiry as a date, for pages (zero for a sale).
func (l OrderLeg) ExpiryDate() time.Time {
	d, _ := time.Parse(time.DateOnly, l.Expiry)
	return d
}

func legsOf(in HedgeInput, t HedgeTerms) []OrderLeg {
	switch in.Strategy {
	case StrategyDiversify:
		return []OrderLeg{{Side: "sell", Instrument: t.Symbol, Quantity: t.UnitsToSell, Price: in.Position.Spot}}
	}
	legs := []OrderLeg{{Side: "buy", Instrument: t.Symbol, OptionType: Put, Strike: t.Strike, Expiry: t.Expiry,
		Contracts: t.Contracts, Multiplier: t.Multiplier, Price: *t.PutPrice}}
	if in.Strategy == StrategyCollar {
		legs = append(legs, OrderLeg{Side: "sell", Instrument: t.Symbol, OptionType: Call, Strike: t.CallStrike, Expiry: t.Expiry,
			Contracts: t.Contracts, Multiplier: t.Multiplier, Price: *t.CallPrice})
	}
	return legs
}

// Errors of an acceptance.
var (
	errNotAHedge = ecrm.Errorf(ecrm.ENOTFOUND, "hedge.accept.error.not_found")
)

// Accept records the client's acceptance of hedge offer seq, with params
// when the client changed them (nil: as presented), and creates the order
// request and its deal for the advisor, idempotently: the same key again
// returns the same order (created false).
//
// Changed parameters are new figures: they are presented through the gate
// as the client's own request (after recording the client's interest in
// the offer they started from, so the contact policy does not count the
// configured offer against them) and it is that offer that is accepted.
func (d *HedgeDesk) Accept(ctx context.Context, v HedgeViewer, seq int64, params *HedgeParams, key string, l *i18n.Localizer) (*OrderRequest, bool, error) {
	if key == "" {
		return nil, false, ecrm.FieldErrorf("Idempotency-Key", "is required to accept an offer")
	}
	if o, err := d.orderByKey(ctx, v.ClientID, key); err != nil || o != nil {
		return o, false, err
	}
	in, err := d.recordedInput(ctx, v.ClientID, seq)
	if err != nil {
		return nil, false, err
	}
	if params != nil && (!params.ProtectionLevel.Equal(in.Params.ProtectionLevel) || params.HorizonMonths != in.Params.HorizonMonths) {
		if err := params.Validate(); err != nil {
			return nil, false, err
		}
		book, err := d.Load(ctx, v.ClientID, d.Now())
		if err != nil {
			return nil, false, err
		}
		h, ok := book.Holding(in.Position.InstrumentID)
		if !ok {
			return nil, false, ecrm.Errorf(ecrm.ECONFLICT, "hedge.accept.error.holding_gone")
		}
		configured := book.Input(h, in.Strategy, *params, d.Rules)
		t, err := SuggestHedge(configured)
		if reason, ok := unavailableReason(err); ok {
			return nil, false, ecrm.Errorf(ecrm.ECONFLICT, "%s", reason)
		}
		if err != nil {
			return nil, false, err
		}
		if _, _, err := d.portal.Respond(ctx, v.ClientID, seq, v.Channel, string(compliance.OutcomeInterested), key+"/interest"); err != nil {
			return nil, false, err
		}
		offers, withheld, err := d.present(ctx, v, book, []HedgeInput{configured}, []HedgeTerms{t}, true, l)
		if err != nil {
			return nil, false, err
		}
		if len(offers) == 0 || len(withheld) > 0 {
			return nil, false, ecrm.Errorf(ecrm.ECONFLICT, "hedge.accept.error.withheld")
		}
		seq, in = offers[0].Seq, configured
	}
	terms, err := SuggestHedge(in)
	if err != nil {
		return nil, false, err
	}
	var order *OrderRequest
	created := false
	err = pgdb.Transact(ctx, d.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		resp, fresh, err := d.portal.RespondTx(ctx, tx, v.ClientID, seq, v.Channel, string(compliance.OutcomeAccepted), key)
		if err != nil {
			return err
		}
		created = fresh
		if !fresh {
			return nil
		}
		owner, err := pipeline.ClientOwnerTx(ctx, tx, v.ClientID)
		if err != nil {
			return err
		}
		prod, err := d.products.ProductByCode(ctx, strategyProducts[in.Strategy])
		if err != nil {
			return err
		}
		deal := pipeline.DealInput{Pipeline: "orders", ClientID: v.ClientID, ProductID: prod.ID, Source: "offer_accepted",
			OwnerStaffID: owner, DecisionSeq: seq, Title: orderTitle(in, terms)}
		if terms.Cost.Amount.IsPositive() {
			deal.Amount, deal.Currency = terms.Cost.Amount.String(), terms.Cost.Currency
		}
		dealID, err := d.deals.CreateDealTx(ctx, tx, deal, 0)
		if err != nil {
			return err
		}
		legs, err := json.Marshal(legsOf(in, terms))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
INSERT INTO order_requests (client_id, decision_seq, response_seq, deal_id, strategy, instrument_id, legs, estimated_cost, currency, idempotency_key)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, v.ClientID, seq, resp.Seq, dealID, in.Strategy, in.Position.InstrumentID, legs,
			terms.Cost.Amount, terms.Cost.Currency, key)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	if order, err = d.orderBySeq(ctx, v.ClientID, seq); err != nil {
		return nil, false, err
	}
	if order == nil {
		// The offer was accepted before, under another key, without an
		// order (it cannot be: both are written together).
		return nil, false, ecrm.Errorf(ecrm.ECONFLICT, "hedge.accept.error.answered")
	}
	return order, created, nil
}

// orderTitle is the deal's title, in the firm's working language.
func orderTitle(in HedgeInput, t HedgeTerms) string {
	switch in.Strategy {
	case StrategyProtectivePut:
		return fmt.Sprintf("Protective puts on %s: %d contracts, strike %s, expiry %s", t.Symbol, t.Contracts, t.Strike, t.Expiry)
	case StrategyCollar:
		return fmt.Sprintf("Collar on %s: %d contracts, put %s / call %s, expiry %s", t.Symbol, t.Contracts, t.Strike, t.CallStrike, t.Expiry)
	}
	return fmt.Sprintf("Sell %s %s to diversify", t.UnitsToSell, t.Symbol)
}

// recordedInput reads the engine inputs of the client's hedge offer seq.
func (d *HedgeDesk) recordedInput(ctx context.Context, clientID, seq int64) (HedgeInput, error) {
	var raw []byte
	err := d.pool.QueryRow(ctx, `
SELECT body::jsonb -> 'inputs' -> 'engine_inputs' FROM decision_records
WHERE seq = $1 AND client_id = $2 AND kind = 'offer_shown' AND engine = $3`, seq, clientID, HedgeEngine).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return HedgeInput{}, errNotAHedge
	}
	if err != nil {
		return HedgeInput{}, fmt.Errorf("hedge offer %d: %w", seq, err)
	}
	var in HedgeInput
	if err := json.Unmarshal(raw, &in); err != nil {
		return HedgeInput{}, fmt.Errorf("hedge offer %d: engine inputs: %w", seq, err)
	}
	return in, nil
}

const orderColumns = `o.id, o.decision_seq, o.deal_id, o.strategy, i.symbol, o.legs, o.estimated_cost, o.currency, st.code, st.name_en, st.name_ro, o.created_at`

const orderFrom = `FROM order_requests o
JOIN instruments i ON i.id = o.instrument_id
JOIN deals dl ON dl.id = o.deal_id
JOIN pipeline_stages st ON st.id = dl.stage_id`

func scanOrder(row pgx.Row) (*OrderRequest, error) {
	var o OrderRequest
	var legs []byte
	var amount decimal.Decimal
	var ccy string
	err := row.Scan(&o.ID, &o.DecisionSeq, &o.DealID, &o.Strategy, &o.Symbol, &legs, &amount, &ccy, &o.Status,
		&o.StatusName.EN, &o.StatusName.RO, &o.CreatedAt)
	if err != nil {
		return nil, err
	}
	o.Cost = ecrm.Money{Amount: amount, Currency: ccy}
	if err := json.Unmarshal(legs, &o.Legs); err != nil {
		return nil, fmt.Errorf("order %d legs: %w", o.ID, err)
	}
	return &o, nil
}

func (d *HedgeDesk) orderWhere(ctx context.Context, where string, args ...any) (*OrderRequest, error) {
	o, err := scanOrder(d.pool.QueryRow(ctx, `SELECT `+orderColumns+` `+orderFrom+` WHERE `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return o, err
}

func (d *HedgeDesk) orderByKey(ctx context.Context, clientID int64, key string) (*OrderRequest, error) {
	return d.orderWhere(ctx, `o.client_id = $1 AND o.idempotency_key = $2`, clientID, key)
}

func (d *HedgeDesk) orderBySeq(ctx context.Context, clientID, seq int64) (*OrderRequest, error) {
	return d.orderWhere(ctx, `o.client_id = $1 AND o.decision_seq = $2`, clientID, seq)
}

// Orders lists the client's order requests, newest first.
func (d *HedgeDesk) Orders(ctx context.Context, clientID int64) ([]OrderRequest, error) {
	rows, err := d.pool.Query(ctx, `SELECT `+orderColumns+` `+orderFrom+` WHERE o.client_id = $1 ORDER BY o.created_at DESC, o.id DESC LIMIT 50`, clientID)
	if err != nil {
		return nil, fmt.Errorf("order requests of client %d: %w", clientID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (OrderRequest, error) {
		o, err := scanOrder(r)
		if err != nil {
			return OrderRequest{}, err
		}
		return *o, nil
	})
	if err != nil {
		return nil, fmt.Errorf("order requests of client %d: %w", clientID, err)
	}
	return out, nil
}
