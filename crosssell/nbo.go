package crosssell

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/products"
)

// Next-best-offer arbitration (issue 14, item 3; docs/next-best-offer.md).
// The candidates are the catalogue's products on sale that the client may
// take (eligible by the catalogue's own rules for an amount and term drawn
// from her needs, or a usual one), each scored
//
//	priority = propensity × need × programme × context × value × lever
//
// propensity: the family's active model (the probability of take-up
// within 90 days), or a prior where no model is active; need: 1.5 when one
// of her needs calls for the product, 0.5 for credit no need calls for;
// programme: 1.5 when one of her targeted programmes (risk's
// programmes-v1, programmes.go) offers it; context: the channel and how lately
// the firm contacted her; value: the expected annual margin to the firm,
// exact, in euros at the reference rates; lever: the firm's own weight of
// the product (offer_levers). The highest passes the compliance gate like
// any engine's offers, and every decision records the engine, this
// version, the model version and the score's components.

// NBOEngine and NBOVersion name the arbitration in decision records;
// change the version whenever a factor or a rule below changes.
const (
	NBOEngine  = "crosssell.nbo"
	NBOVersion = "nbo-2"
)

// DefaultShown is how many offers a client is shown at once.
const DefaultShown = 3

// Arbiter arbitrates the next best offers of clients.
type Arbiter struct {
	pool      *pgxpool.Pool
	catalogue *products.Engine
	gate      *compliance.Gate
	models    *activeModels
	cache     *lru.Cache[cacheKey, *ranking]
	fulfil    *Fulfilment
	// programmes evaluates the client's targeted programmes (nil: none).
	programmes Programmes
	// Shown is how many offers are presented (DefaultShown).
	Shown int
	// Now is the clock (tests set it).
	Now func() time.Time
}

// cacheSize bounds the rankings kept: about 2 KB each, 20 MB in all.
const cacheSize = 10_000

// NewArbiter arbitrates over the live catalogue, the active models of
// store and presents through gate.
func NewArbiter(pool *pgxpool.Pool, catalogue *products.Engine, gate *compliance.Gate, store *Store) *Arbiter {
	cache, _ := lru.New[cacheKey, *ranking](cacheSize) // errors only for a size ≤ 0
	return &Arbiter{pool: pool, catalogue: catalogue, gate: gate, models: newActiveModels(store), cache: cache,
		Shown: DefaultShown, Now: time.Now}
}

// Viewer says who the offers are for and where they are shown.
type Viewer struct {
	ClientID int64
	// Channel is where the offers are shown: web or mobile for the portal,
	// branch or phone when an advisor presents them.
	Channel string
	// Actor is the system in the portal, the advisor who presents them.
	Actor compliance.Actor
}

// NextOffer is an offer the gate let through.
type NextOffer struct {
	// Seq is its decision record (the portal's /portal/offers/{seq}).
	Seq     int64
	Product products.Product
	Request products.MatchRequest
	Terms   products.Terms
	// Family and ModelVersion say which model scored it ("" for the prior).
	Family, ModelVersion string
	Score                compliance.Score
	// Need is the need it answers, "" for none; Programme the targeted
	// programme that offers it, "" for none.
	Need      string
	Programme string
	Reasons   []i18n.Message
	Warnings  []i18n.Message
	// Contributions are the model's largest contributions (for staff).
	Contributions []Contribution
}

// OfferSet is what arbitration gives a client.
type OfferSet struct {
	Offers []NextOffer
	// Candidates is how many products were scored; Withheld how many of
	// the presented the gate did not let through.
	Candidates, Withheld int
	// Cached is true when the ranking came from the cache.
	Cached bool
	// Blocked are the presented offers the gate stopped, with the checks
	// that failed (staff see them; a client is never shown them).
	Blocked []BlockedOffer
}

// BlockedOffer is an offer the gate stopped, recorded as blocked.
type BlockedOffer struct {
	Seq     int64
	Product products.Product
	Checks  []string
}

// Offers arbitrates and presents the next best offers of one client. The
// ranking is kept until one of its inputs changes (fingerprintSQL), so a
// page view within that time is one small query and the gate (which
// recalls its own presentation within the presentation window).
func (a *Arbiter) Offers(ctx context.Context, v Viewer, l *i18n.Localizer) (*OfferSet, error) {
	if l == nil {
		l = i18n.NewLocalizer(i18n.English)
	}
	r, cached, err := a.ranking(ctx, v, l)
	if err != nil {
		return nil, err
	}
	set, err := a.present(ctx, r, shownOf(r.candidates, a.Shown), v, l)
	if err != nil {
		return nil, err
	}
	set.Cached = cached
	return set, nil
}

// ranking returns the client's ranking, from the cache while its
// fingerprint holds.
func (a *Arbiter) ranking(ctx context.Context, v Viewer, l *i18n.Localizer) (*ranking, bool, error) {
	now := a.Now()
	cat, err := a.catalogue.Catalogue(ctx)
	if err != nil {
		return nil, false, err
	}
	fp, err := a.fingerprint(ctx, v.ClientID, now)
	if err != nil {
		return nil, false, err
	}
	key := cacheKey{client: v.ClientID, lang: l.Lang().String(), channel: v.Channel}
	if r, ok := a.cache.Get(key); ok && r.fingerprint == fp.key && r.catalogue == cat {
		return r, true, nil
	}
	r, err := a.rank(ctx, cat, fp, v, now, l)
	if err != nil {
		return nil, false, err
	}
	a.cache.Add(key, r)
	return r, false, nil
}

// Ranked is a candidate as staff see it, before anything is presented:
// the priority with its factors, and the model's contributions.
type Ranked struct {
	Product       products.Product
	Request       products.MatchRequest
	Terms         products.Terms
	Family        string
	ModelVersion  string // "" for the prior
	Probability   float64
	Contributions []Contribution
	Need          string
	Programme     string
	Priority      decimal.Decimal
	Factors       Factors
	Value         string // how the value was worked out
	Reasons       []i18n.Message
}

// Ranking is the client's candidates, best first (one per family), for
// staff: nothing is presented or recorded. channel is where an advisor
// would present them (branch, phone).
func (a *Arbiter) Ranking(ctx context.Context, clientID int64, channel string, l *i18n.Localizer) ([]Ranked, error) {
	r, _, err := a.ranking(ctx, Viewer{ClientID: clientID, Channel: channel}, l)
	if err != nil {
		return nil, err
	}
	out := make([]Ranked, 0, len(r.candidates))
	for _, c := range r.candidates {
		x := Ranked{Product: c.product, Request: c.request, Terms: c.terms, Family: c.family, Priority: c.priority,
			Factors: c.factors, Value: c.valueNote, Reasons: c.reasons}
		if c.score != nil {
			x.ModelVersion, x.Probability, x.Contributions = c.score.Version, c.score.Probability, c.score.Reasons
		}
		if c.need != nil {
			x.Need = c.need.Code
		}
		if c.programme != nil {
			x.Programme = c.programme.Code
		}
		out = append(out, x)
	}
	return out, nil
}

var errNotCandidate = ecrm.Errorf(ecrm.ENOTFOUND, "crosssell.present.error.not_candidate")

// Present puts one of the client's candidates (by product version)
// through the gate as presented by the viewer (an advisor in the branch
// or on the phone): the offer is recorded, shown or blocked with the
// checks that stopped it.
func (a *Arbiter) Present(ctx context.Context, v Viewer, productVersionID int64, l *i18n.Localizer) (*OfferSet, error) {
	r, _, err := a.ranking(ctx, v, l)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(r.candidates, func(c candidate) bool { return c.product.VersionID == productVersionID })
	if i < 0 {
		return nil, errNotCandidate
	}
	return a.present(ctx, r, r.candidates[i:i+1], v, l)
}

type cacheKey struct {
	client        int64
	lang, channel string
}

// ranking is a client's scored candidates, best first.
type ranking struct {
	fingerprint string
	catalogue   *products.Catalogue
	profile     products.Profile
	// programmes are the client's targeted programmes when the ranking
	// was made (nil without any).
	programmes *ProgrammeSet
	candidates []candidate
}

// candidate is a product scored for a client.
type candidate struct {
	product   products.Product
	request   products.MatchRequest
	terms     products.Terms
	family    string
	score     *ClientScore // nil: the prior
	need      *Need
	programme *ProgrammeMatch
	priority  decimal.Decimal
	factors   Factors
	reasons   []i18n.Message
	valueNote string
}

// Factors are the parts of a priority, as recorded.
type Factors struct {
	Propensity decimal.Decimal `json:"propensity"`
	Need       decimal.Decimal `json:"need"`
	Programme  decimal.Decimal `json:"programme"`
	Context    decimal.Decimal `json:"context"`
	ValueEUR   decimal.Decimal `json:"value_eur"`
	Lever      decimal.Decimal `json:"lever"`
}

// engineInputs are recorded with every decision (compliance snapshot's
// engine_inputs): what the arbitration scored the offer on.
type engineInputs struct {
	Version       string         `json:"version"`
	Family        string         `json:"family"`
	ModelVersion  string         `json:"model_version,omitempty"`
	Probability   float64        `json:"probability"`
	Contributions []Contribution `json:"contributions,omitempty"`
	Need          string         `json:"need,omitempty"`
	NeedRules     string         `json:"need_rules"`
	// Programme is the targeted programme that offered the product, with
	// its rules, facts and the snapshot they read (the behaviour and its
	// mismatch flag); absent for none.
	Programme  *programmeInputs `json:"programme,omitempty"`
	Factors    Factors          `json:"factors"`
	Value      string           `json:"value"`
	Rank       int              `json:"rank"`
	Candidates int              `json:"candidates"`
}

// rank scores every candidate product of the client.
func (a *Arbiter) rank(ctx context.Context, cat *products.Catalogue, fp fingerprint, v Viewer, now time.Time, l *i18n.Localizer) (*ranking, error) {
	profile, err := products.LoadProfile(ctx, a.pool, v.ClientID)
	if err != nil {
		return nil, err
	}
	facts, err := LoadFacts(ctx, a.pool, v.ClientID, now)
	if err != nil {
		return nil, err
	}
	needs, err := EvaluateNeeds(facts)
	if err != nil {
		return nil, err
	}
	// Targeted programmes offer investments: only for a client with an
	// assessment, without which no investment is a candidate.
	var programmes *ProgrammeSet
	if a.programmes != nil && fp.riskClass != 0 {
		set, err := a.programmes.Programmes(ctx, v.ClientID, now, l)
		if err != nil {
			return nil, err
		}
		programmes = &set
	}
	versions, err := a.models.historyVersions(ctx, fp.active)
	if err != nil {
		return nil, err
	}
	// The nightly rescoring's stored scores where they are of the active
	// versions (one indexed read); the families it has not scored yet (a
	// model activated today, a client added since) are scored now.
	stored, err := a.models.store.Propensities(ctx, v.ClientID)
	if err != nil {
		return nil, err
	}
	missing := make(map[string]*Version, len(versions))
	for family, version := range versions {
		missing[family] = version
	}
	for _, s := range stored {
		delete(missing, s.Family)
	}
	scores, err := a.models.store.scoreFamilies(ctx, v.ClientID, now, missing)
	if err != nil {
		return nil, err
	}
	for _, s := range stored {
		if _, active := versions[s.Family]; active {
			scores[s.Family] = s
		}
	}
	ctxFactor := contextFactor(v.Channel, fp.lastContact, now)
	r := &ranking{fingerprint: fp.key, catalogue: cat, profile: profile, programmes: programmes}
	matched := map[products.MatchRequest]products.MatchResult{}
	for _, p := range cat.Products() {
		if slices.Contains(fp.pending, p.ID) {
			continue
		}
		need := needFor(p, needs, facts)
		programme := programmeFor(p, programmes)
		req, ok := requestFor(p, profile, facts, need, programme, fp.riskClass)
		if !ok {
			continue
		}
		res, seen := matched[req]
		if !seen {
			res, err = cat.Match(profile, req, l)
			if err != nil {
				// No product of the goal takes this amount or term in
				// this currency (a catalogue without one): not a
				// candidate, not an error of the client's page.
				matched[req] = products.MatchResult{}
				continue
			}
			matched[req] = res
		}
		i := slices.IndexFunc(res.Eligible, func(o products.Offer) bool { return o.ProductVersionID == p.VersionID })
		if i < 0 {
			continue
		}
		offer := res.Eligible[i]
		c := candidate{product: p, request: req, terms: offer.Terms, family: familyOf(p), need: need, programme: programme}
		if s, ok := scores[c.family]; ok {
			c.score = &s
		}
		value, note := expectedMargin(p, req, offer.Terms)
		c.valueNote = note
		c.factors = Factors{
			Propensity: c.propensity(), Need: needFactor(p, need), Programme: programmeFactorOf(programme), Context: ctxFactor,
			ValueEUR: value, Lever: fp.lever(p.ID),
		}
		c.priority = c.factors.Propensity.Mul(c.factors.Need).Mul(c.factors.Programme).Mul(c.factors.Context).Mul(c.factors.ValueEUR).Mul(c.factors.Lever).Round(6)
		if c.priority.Sign() <= 0 {
			continue // the firm set the lever to 0, or nothing to earn
		}
		c.reasons = candidateReasons(c, offer, l)
		r.candidates = append(r.candidates, c)
	}
	slices.SortStableFunc(r.candidates, func(x, y candidate) int {
		if c := y.priority.Cmp(x.priority); c != 0 {
			return c
		}
		return cmp.Compare(x.product.Code, y.product.Code)
	})
	// One offer per family: two savings accounts side by side say less
	// than a savings account and a life cover. A programme's products are
	// a family of their own (one per programme): the model's favourite
	// fund does not hide the bond the client's profile calls for.
	seen := map[string]bool{}
	kept := r.candidates[:0]
	for _, c := range r.candidates {
		key := c.family
		if c.programme != nil {
			key = "programme:" + c.programme.Code
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		kept = append(kept, c)
	}
	r.candidates = kept
	return r, nil
}

// present puts candidates of the ranking through the gate.
func (a *Arbiter) present(ctx context.Context, r *ranking, top []candidate, v Viewer, l *i18n.Localizer) (*OfferSet, error) {
	set := &OfferSet{Candidates: len(r.candidates), Offers: []NextOffer{}}
	if len(top) == 0 {
		return set, nil
	}
	p := compliance.Presentation{
		ClientID: v.ClientID, Channel: v.Channel, Actor: v.Actor, Purpose: compliance.PurposeMarketing,
		Engine: NBOEngine, EngineVersion: NBOVersion, Profile: r.profile, Localizer: l,
	}
	for i, c := range top {
		req := c.request
		in := engineInputs{Version: NBOVersion, Family: c.family, Factors: c.factors, Value: c.valueNote,
			NeedRules: NeedsRuleSetVersion, Rank: i + 1, Candidates: len(r.candidates)}
		if c.score != nil {
			in.ModelVersion, in.Probability, in.Contributions = c.score.Version, c.score.Probability, c.score.Reasons
		}
		if c.need != nil {
			in.Need = c.need.Code
		}
		if c.programme != nil {
			in.Programme = &programmeInputs{Code: c.programme.Code, RuleSet: c.programme.RuleSet, Facts: c.programme.Facts,
				Snapshot: r.programmes.Snapshot}
		}
		p.Offers = append(p.Offers, compliance.Candidate{
			Product: c.product, Terms: c.terms, Request: &req, EngineInputs: in,
			Score:       &compliance.Score{Value: c.priority, Components: c.factors.components()},
			Reasons:     c.reasons,
			Disclosures: compliance.OfferDisclosures(c.product, c.terms, a.gate.Firm, l),
		})
	}
	verdicts, err := a.gate.Present(ctx, p)
	if err != nil {
		return nil, err
	}
	for i, c := range top {
		if !verdicts[i].Shown {
			set.Withheld++
			set.Blocked = append(set.Blocked, BlockedOffer{Seq: verdicts[i].Seq, Product: c.product, Checks: verdicts[i].Blocked()})
			continue
		}
		o := NextOffer{Seq: verdicts[i].Seq, Product: c.product, Request: c.request, Terms: c.terms, Family: c.family,
			Score: *p.Offers[i].Score, Reasons: c.reasons, Warnings: verdicts[i].Warnings}
		if c.score != nil {
			o.ModelVersion, o.Contributions = c.score.Version, c.score.Reasons
		}
		if c.need != nil {
			o.Need = c.need.Code
		}
		if c.programme != nil {
			o.Programme = c.programme.Code
		}
		set.Offers = append(set.Offers, o)
	}
	return set, nil
}

func (f Factors) components() []compliance.ScoreComponent {
	return []compliance.ScoreComponent{
		{Name: "propensity", Value: f.Propensity}, {Name: "need", Value: f.Need}, {Name: "programme", Value: f.Programme}, {Name: "context", Value: f.Context},
		{Name: "value_eur", Value: f.ValueEUR}, {Name: "lever", Value: f.Lever},
	}
}

// priorPropensity stands in for a family without an active model: the
// take-up rate of a product pushed to a client at random is of this
// order (the bank telemarketing data: 11 % of calls; a banner is seen
// far less than a call is heard).
var priorPropensity = decimal.RequireFromString("0.02")

func (c *candidate) propensity() decimal.Decimal {
	if c.score == nil {
		return priorPropensity
	}
	return decimal.NewFromFloat(c.score.Probability).Round(6)
}

// needFactor: a product that answers a need the rules named is worth half
// again as much as one the model alone suggests; credit nobody asked for
// and no need calls for counts half (responsible lending: the firm does
// not push debt on a client because it earns more from it).
func needFactor(p products.Product, n *Need) decimal.Decimal {
	switch {
	case n != nil:
		return decimal.RequireFromString("1.5")
	case products.GoalOf(p.Kind) == products.GoalBorrow:
		return decimal.RequireFromString("0.5")
	}
	return decimal.NewFromInt(1)
}

// contextFactor: the channel (a portal page the client opened is the best
// moment; an e-mail is read less) and the firm's last contact (a client
// contacted in the last week is not pressed again so hard).
func contextFactor(channel string, lastContact *time.Time, now time.Time) decimal.Decimal {
	f := decimal.NewFromInt(1)
	if channel == "email" || channel == "sms" || channel == "mail" {
		f = decimal.RequireFromString("0.8")
	}
	if lastContact != nil && now.Sub(*lastContact) < 7*24*time.Hour {
		f = f.Mul(decimal.RequireFromString("0.8"))
	}
	return f
}

// familyOf is the propensity family of a product (history.go's Families).
func familyOf(p products.Product) string {
	switch p.Kind {
	case "savings_account":
		return "savings"
	case "term_deposit":
		return "term-deposit"
	case "consumer_loan":
		return "personal-loan"
	case "mortgage", "overdraft":
		return p.Kind
	case "credit_card":
		return "credit-card"
	}
	switch p.Line {
	case products.LineBrokerage:
		return "brokerage"
	case products.LineInsurance:
		return p.Kind + "-insurance"
	}
	return p.Kind
}

// needFor is the need a product answers: the first with a size in the
// needs' order (it sizes the offer: the idle balance to deposit, the gap
// to cover), else the first of any.
func needFor(p products.Product, needs []Need, f *Facts) *Need {
	var first *Need
	for i := range needs {
		n := &needs[i]
		if !needKinds(n, f, p) {
			continue
		}
		if n.Size != nil {
			return n
		}
		if first == nil {
			first = n
		}
	}
	return first
}

// needKinds says whether need n calls for products like p.
func needKinds(n *Need, f *Facts, p products.Product) bool {
	// A proposal about what the client holds (a rebalancing) is no
	// investment a need calls for.
	invest := p.Line == products.LineBrokerage && products.ProposalPurpose(p.Kind) == ""
	switch n.Code {
	case "idle_cash":
		return p.Kind == "savings_account" || p.Kind == "term_deposit" || invest
	case "emergency_fund", "life_event_new_job":
		return p.Kind == "savings_account"
	case "retirement_gap":
		return invest
	case "life_event_retirement":
		return p.Kind == "term_deposit" || invest
	case "protection_gap", "life_event_marriage", "life_event_birth":
		return p.Kind == "life"
	case "expensive_debt":
		return p.Kind == "consumer_loan"
	case "mortgage_refinance":
		return p.Kind == "mortgage"
	case "renewal_due":
		return slices.ContainsFunc(f.Renewals, func(r Renewal) bool { return r.Line == p.Kind })
	}
	return false
}

// repeatable kinds may be offered to a client who holds one already.
var repeatable = map[string]bool{"term_deposit": true, "consumer_loan": true}

// usualEUR are the amounts a product of each kind is priced for when no
// need sizes it (in euros, converted at the reference rates and clamped to
// the product's own range): a typical first deposit, loan, investment or
// sum insured of a retail client.
var usualEUR = map[string]int64{
	"savings_account": 2_000, "term_deposit": 5_000, "consumer_loan": 5_000, "mortgage": 100_000,
	"invest": 5_000, "life": 100_000, "health": 10_000, "home": 100_000, "motor": 15_000, "travel": 30_000,
}

// usualMonths are the terms asked for, clamped to the product's own.
var usualMonths = map[string]int{"savings_account": 12, "term_deposit": 12, "consumer_loan": 36, "mortgage": 240, "invest": 60}

// requestFor is what a product is priced for: the programme's size where
// a programme proposes it (the amount to rebalance), the need's size where a
// need calls for it (an idle balance to deposit, a card debt to
// consolidate, a protection gap as the sum insured, the mortgage to
// refinance), else the usual amount; false when the product is not a
// candidate (a kind no request matches, one the client holds, a mortgage
// without a refinancing need, an investment without a suitability
// assessment, whose gate check would block it anyway).
func requestFor(p products.Product, profile products.Profile, f *Facts, need *Need, programme *ProgrammeMatch, riskClass int) (products.MatchRequest, bool) {
	goal := products.GoalOf(p.Kind)
	if goal == "" {
		return products.MatchRequest{}, false
	}
	// A kind the client holds is offered again only when a need calls for
	// it (a renewal, a life cover below the protection gap, a mortgage to
	// refinance elsewhere) or a programme proposes it.
	if slices.Contains(profile.ExistingProducts, p.Kind) && !repeatable[p.Kind] && need == nil && programme == nil {
		return products.MatchRequest{}, false
	}
	// A proposal (a rebalancing) is priced only when a programme proposes
	// it, for the programme's purpose.
	if purpose := products.ProposalPurpose(p.Kind); purpose != "" && (programme == nil || programme.Purpose != purpose) {
		return products.MatchRequest{}, false
	}
	kind := p.Kind
	if p.Line == products.LineBrokerage {
		kind = "invest"
		if riskClass == 0 {
			return products.MatchRequest{}, false
		}
	}
	if p.Kind == "mortgage" && (need == nil || need.Code != "mortgage_refinance") {
		return products.MatchRequest{}, false
	}
	amount := fromEUR(decimal.NewFromInt(usualEUR[kind]), p.Currency)
	switch {
	case programme != nil && programme.Size != nil:
		// What the programme is about (the amount a rebalancing moves)
		// says more than a need's size.
		if m, ok := convert(*programme.Size, p.Currency); ok {
			amount = m.Amount
		}
	case need != nil && need.Size != nil && need.Code != "renewal_due":
		if m, ok := convert(*need.Size, p.Currency); ok {
			amount = m.Amount
		}
	}
	d := p.Definition
	lo, hi := d.MinAmount, d.MaxAmount
	if p.Line == products.LineInsurance {
		lo, hi = d.SumInsuredMin, d.SumInsuredMax
	}
	amount = clampAmount(amount, lo, hi, p.Currency)
	months := usualMonths[kind]
	if months == 0 {
		months = 12
	}
	if d.MinMonths > 0 && months < d.MinMonths {
		months = d.MinMonths
	}
	if d.MaxMonths > 0 && months > d.MaxMonths {
		months = d.MaxMonths
	}
	req := products.MatchRequest{Goal: goal, Amount: ecrm.Money{Amount: amount, Currency: p.Currency}, Months: months}
	switch {
	case p.Kind == "consumer_loan":
		req.Purpose = "personal"
	case p.Kind == "mortgage":
		req.Purpose = "home"
	case goal == products.GoalInvest:
		req.RiskTolerance = riskClass
		if programme != nil {
			req.Purpose = programme.Purpose
		}
	}
	return req, true
}

// fromEUR converts euros into currency at the reference rates, rounded to
// hundreds: a usual amount is a round one.
func fromEUR(eur decimal.Decimal, currency string) decimal.Decimal {
	rate, ok := products.ReferenceEURRate(currency)
	if !ok || rate.IsZero() {
		return eur
	}
	return eur.Div(rate).Div(decimal.NewFromInt(100)).Round(0).Mul(decimal.NewFromInt(100))
}

// clampAmount keeps an amount within a product's range (a zero bound is
// none) and to the currency's minor units.
func clampAmount(a, lo, hi decimal.Decimal, currency string) decimal.Decimal {
	if a.LessThan(lo) {
		a = lo
	}
	if !hi.IsZero() && a.GreaterThan(hi) {
		a = hi
	}
	units, ok := ecrm.CurrencyMinorUnits(currency)
	if !ok {
		units = 2
	}
	return a.Round(units)
}

// featureReasons are the model's positive contributions in words, at
// most two, each a catalogue key (crosssell.nbo.feature.<column>).
func featureReasons(s *ClientScore) []i18n.Key {
	var out []i18n.Key
	for _, c := range s.Reasons {
		if c.Effect <= 0 {
			continue
		}
		if col := featureColumn(c.Feature); col != "" && !slices.Contains(out, i18n.Key("crosssell.nbo.feature."+col)) {
			out = append(out, i18n.Key("crosssell.nbo.feature."+col))
		}
		if len(out) == 2 {
			break
		}
	}
	return out
}

// candidateReasons are what the client reads under "why am I seeing
// this?": the need it answers, what in her profile made the model think
// of it, and the product's own reason from matching (its price).
func candidateReasons(c candidate, offer products.Offer, l *i18n.Localizer) []i18n.Message {
	var out []i18n.Message
	if c.need != nil {
		out = append(out, l.Say("crosssell.nbo.why.need", i18n.Key("crosssell.need."+c.need.Code)))
	}
	if c.programme != nil {
		out = append(out, programmeReasons(c.programme, l)...)
	}
	if c.score != nil {
		for _, k := range featureReasons(c.score) {
			out = append(out, l.Say("crosssell.nbo.why.profile", k))
		}
	} else {
		out = append(out, l.Say("crosssell.nbo.why.popular"))
	}
	// Matching's own reason for the product (its price among the
	// eligible), not its term: the client did not ask for one.
	for _, r := range offer.Reasons {
		if r.Check != "term" {
			out = append(out, r.Message())
			break
		}
	}
	return out
}

// String is for logs and tests.
func (c candidate) String() string {
	return fmt.Sprintf("%s %s priority %s", c.product.Code, c.request.Amount, c.priority)
}
