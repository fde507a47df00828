package compliance

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/products"
)

// DemoHistoryOptions configure SeedDemoHistory.
type DemoHistoryOptions struct {
	// AsOf ends the history; zero means now.
	AsOf time.Time
	// Years of history before AsOf (default 3).
	Years int
	// Clients is how many clients (lowest ids first, the demo client
	// among them) get a history (default 250).
	Clients int
	// Seed makes the history reproducible.
	Seed int64
	Log  *slog.Logger
}

// SeedDemoHistory writes years of past offers — client searches in the
// portal and the app, advisors' offers in the branch, campaigns by e-mail —
// through the same matching engine, gate and chain as live offers, in time
// order, with the clients' responses (interested, then sometimes an
// application; declined; expired). The
// gate reads each client's facts as they were at the time, so consents,
// objections, assessments and the contact policy act on the history as
// they would have. It does nothing when the log already holds records.
func SeedDemoHistory(ctx context.Context, pool *pgxpool.Pool, opt DemoHistoryOptions) (int64, error) {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM decision_records)`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("demo offer history: %w", err)
	}
	if exists {
		return 0, nil
	}
	if opt.AsOf.IsZero() {
		opt.AsOf = time.Now()
	}
	opt.AsOf = opt.AsOf.UTC().Truncate(time.Microsecond)
	if opt.Years <= 0 {
		opt.Years = 3
	}
	if opt.Clients <= 0 {
		opt.Clients = 250
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	list, err := products.NewStore(pool).Products(ctx, false)
	if err != nil {
		return 0, err
	}
	cat, err := products.NewCatalogue(list)
	if err != nil {
		return 0, err
	}
	byVersion := make(map[int64]products.Product, len(list))
	for _, p := range list {
		byVersion[p.VersionID] = p
	}
	h := &demoHistory{
		pool: pool, cat: cat, byVersion: byVersion, facts: NewFactsReader(pool), log: NewLog(pool),
		rng: rand.New(rand.NewPCG(uint64(opt.Seed), 0x0ffe)), opt: opt,
	}
	began := time.Now()
	if err := h.loadClients(ctx); err != nil {
		return 0, err
	}
	h.planEvents()
	if err := h.run(ctx); err != nil {
		return h.records, err
	}
	opt.Log.Info("demo offer history written", "records", h.records, "presentations", h.presentations,
		"clients", len(h.clients), "elapsed", time.Since(began).Round(time.Millisecond))
	return h.records, nil
}

type demoClient struct {
	id        int64
	advisorID int64
	lang      string
	invests   bool
	profile   products.Profile
}

// demoEvent is a presentation to make, or a response to give, at a time.
type demoEvent struct {
	at     time.Time
	client *demoClient
	// For a response: the offer answered and how.
	offer    *Record
	offerSeq int64
	outcome  Outcome
}

type eventQueue []*demoEvent

func (q eventQueue) Len() int           { return len(q) }
func (q eventQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q eventQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)        { *q = append(*q, x.(*demoEvent)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type demoHistory struct {
	pool      *pgxpool.Pool
	cat       *products.Catalogue
	byVersion map[int64]products.Product
	facts     *FactsReader
	log       *Log
	rng       *rand.Rand
	opt       DemoHistoryOptions
	clients   []*demoClient
	queue     eventQueue

	records, presentations int64
}

func (h *demoHistory) loadClients(ctx context.Context) error {
	rows, err := h.pool.Query(ctx, `
SELECT c.id, coalesce(c.advisor_id, 0), c.preferred_language,
       EXISTS (SELECT 1 FROM risk_assessments r WHERE r.client_id = c.id)
FROM clients c
WHERE c.kind = 'client' AND c.birth_date <= $1::date - interval '18 years'
ORDER BY c.id LIMIT $2`, h.opt.AsOf, h.opt.Clients)
	if err != nil {
		return fmt.Errorf("demo offer history: clients: %w", err)
	}
	h.clients, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*demoClient, error) {
		c := &demoClient{}
		return c, r.Scan(&c.id, &c.advisorID, &c.lang, &c.invests)
	})
	if err != nil {
		return fmt.Errorf("demo offer history: clients: %w", err)
	}
	for _, c := range h.clients {
		if c.profile, err = products.LoadProfile(ctx, h.pool, c.id); err != nil {
			return fmt.Errorf("demo offer history: profile of client %d: %w", c.id, err)
		}
	}
	return nil
}

// planEvents spreads each client's presentations over the years: about
// one every six months, the demo client more often.
func (h *demoHistory) planEvents() {
	span := h.opt.AsOf.Sub(h.opt.AsOf.AddDate(-h.opt.Years, 0, 0))
	for _, c := range h.clients {
		n := 2 + h.rng.IntN(2*h.opt.Years*12/6)
		if c.id == 1 {
			n = 12
		}
		for range n {
			at := h.opt.AsOf.Add(-time.Duration(h.rng.Int64N(int64(span)))).Truncate(time.Second)
			h.queue = append(h.queue, &demoEvent{at: at, client: c})
		}
	}
	heap.Init(&h.queue)
}

func (h *demoHistory) run(ctx context.Context) error {
	for h.queue.Len() > 0 {
		e := heap.Pop(&h.queue).(*demoEvent)
		h.log.Now = func() time.Time { return e.at }
		var err error
		if e.offer != nil {
			err = h.respond(ctx, e)
		} else {
			err = h.present(ctx, e)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// request draws what the client asks for, or what the firm offers.
func (h *demoHistory) request(c *demoClient) products.MatchRequest {
	r := h.rng
	currency := "RON"
	if r.IntN(10) < 4 {
		currency = "EUR"
	}
	amount := func(lo, hi int) ecrm.Money {
		v := (lo + r.IntN(hi-lo+1)) / 500 * 500
		if currency == "RON" {
			v *= 5
		}
		return ecrm.Money{Amount: decimal.NewFromInt(int64(v)), Currency: currency}
	}
	goal := []string{products.GoalBorrow, products.GoalDeposit, products.GoalDeposit}[r.IntN(3)]
	if c.invests && r.IntN(2) == 0 {
		goal = products.GoalInvest
	}
	switch goal {
	case products.GoalBorrow:
		return products.MatchRequest{Goal: goal, Amount: amount(3000, 40000), Months: 12 * (1 + r.IntN(5)), Purpose: "personal"}
	case products.GoalDeposit:
		return products.MatchRequest{Goal: goal, Amount: amount(2000, 50000), Months: []int{3, 6, 12, 12, 24}[r.IntN(5)]}
	}
	currency = "EUR"
	return products.MatchRequest{Goal: goal, Amount: amount(2000, 30000), Months: 12 * (3 + r.IntN(8))}
}

func (h *demoHistory) present(ctx context.Context, e *demoEvent) error {
	c := e.client
	r := h.rng
	p := Presentation{
		ClientID: c.id, Actor: Actor{Kind: ActorSystem}, Purpose: PurposeMarketing, ClientInitiated: true,
		Engine: products.MatchingEngine, EngineVersion: products.MatchingEngineVersion,
		Profile: c.profile, Request: h.request(c), Localizer: localizerFor(c.lang),
	}
	switch k := r.IntN(20); {
	case k < 11:
		p.Channel = "web"
	case k < 16:
		p.Channel = "mobile"
	case k < 18 && c.advisorID != 0:
		p.Channel, p.Actor = "branch", Actor{Kind: ActorAdvisor, StaffID: c.advisorID}
	default:
		// A campaign: the firm pushes the best match by e-mail.
		p.Channel, p.ClientInitiated = "email", false
	}
	res, err := h.cat.Match(p.Profile, p.Request, p.Localizer)
	if err != nil || len(res.Eligible) == 0 {
		return nil // an amount or term no product takes: nothing to offer
	}
	top := res.Eligible[:min(3, len(res.Eligible))]
	if !p.ClientInitiated {
		top = top[:1]
	}
	ids := make([]int64, 0, len(top))
	for _, o := range top {
		prod := h.byVersion[o.ProductVersionID]
		p.Offers = append(p.Offers, Candidate{Product: prod, Terms: o.Terms, Reasons: offerMessages(o.Reasons),
			Score:       &Score{Value: decimal.NewFromInt(int64(o.Rank))},
			Disclosures: matchDisclosures(prod, o, ecrm.DefaultFirm, p.Localizer)})
		ids = append(ids, prod.ID)
	}
	facts, err := h.facts.Read(ctx, c.id, p.Channel, ids, e.at)
	if err != nil {
		return fmt.Errorf("demo offer history: %w", err)
	}
	records := make([]Record, len(p.Offers))
	shown := make([]bool, len(p.Offers))
	for i, cand := range p.Offers {
		v := Evaluate(facts, p, cand, e.at)
		shown[i] = v.Shown
		if records[i], err = decisionRecord(facts, p, cand, v, e.at); err != nil {
			return err
		}
	}
	appended, err := h.log.Append(ctx, records...)
	if err != nil {
		return fmt.Errorf("demo offer history: %w", err)
	}
	h.records += int64(len(appended))
	h.presentations++
	// The client answers some of what they were shown: the first offer
	// more often than the others.
	for i := range records {
		if !shown[i] {
			continue
		}
		x := r.Float64() * float64(1+i)
		var outcome Outcome
		var after time.Duration
		switch {
		case x < 0.12:
			// Interested; four in ten apply afterwards.
			outcome, after = OutcomeInterested, time.Duration(1+r.IntN(72))*time.Hour
			if r.Float64() < 0.4 {
				if applied := e.at.Add(after + time.Duration(1+r.IntN(240))*time.Hour); !applied.After(h.opt.AsOf) {
					rec := records[i]
					heap.Push(&h.queue, &demoEvent{at: applied, client: c, offer: &rec, offerSeq: appended[i].Seq, outcome: OutcomeAccepted})
				}
			}
		case x < 0.40:
			outcome, after = OutcomeDeclined, time.Duration(1+r.IntN(240))*time.Hour
		default:
			outcome, after = OutcomeExpired, 30*24*time.Hour
		}
		at := e.at.Add(after)
		if at.After(h.opt.AsOf) {
			continue // still open today
		}
		rec := records[i]
		heap.Push(&h.queue, &demoEvent{at: at, client: c, offer: &rec, offerSeq: appended[i].Seq, outcome: outcome})
	}
	return nil
}

// respond records a client's response, referring to the offer.
func (h *demoHistory) respond(ctx context.Context, e *demoEvent) error {
	o := e.offer
	actor := Actor{Kind: ActorClient}
	channel := o.Channel
	if e.outcome == OutcomeExpired {
		actor = Actor{Kind: ActorSystem}
	}
	if channel == "email" {
		channel = "web" // the client answers a campaign in the portal
	}
	_, err := h.log.Append(ctx, Record{
		Kind: KindResponse, RefersTo: e.offerSeq, ClientID: o.ClientID, ProductID: o.ProductID, ProductVersionID: o.ProductVersionID,
		Engine: o.Engine, EngineVersion: o.EngineVersion, RuleVersion: o.RuleVersion, Channel: channel, Actor: actor, Outcome: e.outcome,
	})
	if err != nil {
		return fmt.Errorf("demo offer history: response: %w", err)
	}
	h.records++
	return nil
}
