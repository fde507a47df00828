package compliance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/products"
)

// The offer gate: every engine (matching, cross-sell, hedging, insurance)
// hands the offers it wants to show to Gate.Present, which runs every check
// in one place, records one decision record per offer — shown or blocked —
// and returns which may be shown. Nothing is shown that was not recorded:
// if the records cannot be written, Present returns an error and the caller
// shows none of the offers (fail closed).
//
// The checks are a pure function of what Present read (Facts) and what the
// engine supplied (Presentation), both stored in the record's input
// snapshot, so that Replay can recompute the decision later.

// GateVersion names the rules in this file; it is recorded with every
// decision and compared by replay. Change it whenever a check changes.
const GateVersion = "gate-2026.12.1"

// Check names, stable for the console, statistics and tests.
const (
	CheckSuitability     = "suitability"
	CheckAppropriateness = "appropriateness"
	CheckTargetMarket    = "target_market"
	CheckConsent         = "consent"
	CheckObjection       = "objection"
	CheckContactPolicy   = "contact_policy"
	CheckVulnerability   = "vulnerability"
	CheckHousehold       = "household"
)

// CheckNames lists the checks in the order the gate runs them.
var CheckNames = []string{CheckSuitability, CheckAppropriateness, CheckTargetMarket, CheckConsent,
	CheckObjection, CheckContactPolicy, CheckVulnerability, CheckHousehold}

// Purpose says why an offer is shown. Marketing offers need consent and
// obey the contact policy; mandatory regulatory notices bypass both; so
// does a quote the client asked for (an insurance applicant's journey):
// answering a person's own request before a contract is not marketing
// (GDPR art. 6(1)(b)), and an objection to marketing does not cover it —
// suitability, appropriateness, the target market and vulnerability
// still apply.
type Purpose string

const (
	PurposeMarketing  Purpose = "marketing"
	PurposeRegulatory Purpose = "regulatory"
	PurposeRequested  Purpose = "requested"
)

// Channels the gate knows, with a contact policy each.
var Channels = []string{"web", "mobile", "email", "sms", "phone", "branch", "mail"}

// assessmentMaxAge is how old a suitability assessment may be before the
// gate treats the client as unassessed: MiFID II wants the information
// kept up to date; three years is the firm's review cycle.
const assessmentMaxAge = 36 // months

// highRiskClass and above counts as high risk for vulnerable clients.
const highRiskClass = 5

// stressedLoss is the fraction of the amount invested a product of each
// risk class (PRIIPs summary risk indicator) can lose in a stressed year:
// the upper bound of the VaR-equivalent volatility band of its market risk
// class (0.5 %, 5 %, 12 %, 20 %, 30 %, 80 %), and everything for class 7.
// Suitability asks that this loss stay within what the client can bear.
var stressedLoss = [8]decimal.Decimal{
	decimal.Zero,
	decimal.RequireFromString("0.005"),
	decimal.RequireFromString("0.05"),
	decimal.RequireFromString("0.12"),
	decimal.RequireFromString("0.20"),
	decimal.RequireFromString("0.30"),
	decimal.RequireFromString("0.80"),
	decimal.NewFromInt(1),
}

// Assessment is a client's suitability profile in force (risk_assessments).
type Assessment struct {
	RiskClass            int               `json:"risk_class"`
	LossCapacity         ecrm.Money        `json:"loss_capacity"`
	Knowledge            map[string]string `json:"knowledge"`
	Objective            string            `json:"objective"`
	HorizonMonths        int               `json:"horizon_months"`
	QuestionnaireVersion string            `json:"questionnaire_version"`
	AssessedAt           time.Time         `json:"assessed_at"`
}

// ContactPolicy is the offer-fatigue policy of one channel.
type ContactPolicy struct {
	Channel             string `json:"channel"`
	MaxOffersPerProduct int    `json:"max_offers_per_product"`
	PeriodDays          int    `json:"period_days"`
	DeclineCooldownDays int    `json:"decline_cooldown_days"`
}

// ProductHistory is what the contact policy and household checks need to
// know about earlier offers of one product.
type ProductHistory struct {
	// ShownInPeriod counts offers of the product shown to the client on
	// the channel within the policy's period.
	ShownInPeriod int `json:"shown_in_period"`
	// DeclinedAt is the client's latest decline of the product, if any.
	DeclinedAt *time.Time `json:"declined_at,omitempty"`
	// InterestedAt is the client's latest "I'm interested" (or
	// application) for the product within the policy's period: interest
	// is never counted as fatigue.
	InterestedAt *time.Time `json:"interested_at,omitempty"`
	// HouseholdShown is 1 when the product was shown to another member of
	// the client's household within the policy's period, else 0.
	HouseholdShown int `json:"household_shown"`
}

// Facts is everything the gate read about the client when it decided.
type Facts struct {
	Vulnerable  bool        `json:"vulnerable"`
	HouseholdID int64       `json:"household_id,omitempty"`
	Assessment  *Assessment `json:"assessment"`
	// MarketingConsent is the consent in force for marketing on the
	// channel (or on any channel), with the wording the client agreed to.
	MarketingConsent bool   `json:"marketing_consent"`
	ConsentWording   string `json:"consent_wording,omitempty"`
	// Objections in force: direct_marketing, profiling.
	Objections []string      `json:"objections,omitempty"`
	Policy     ContactPolicy `json:"contact_policy"`
	// History per product id.
	History map[int64]ProductHistory `json:"-"`
	// recalled are the decisions of earlier presentations with the same
	// key within the window (Gate.Present), newest first.
	recalled []recalled
}

// Candidate is one offer an engine wants to show.
type Candidate struct {
	// Product is the exact version offered.
	Product products.Product
	// Terms are the concrete figures shown (rates, payments, costs); any
	// JSON value, recorded in the input snapshot.
	Terms       any
	Score       *Score
	Reasons     []i18n.Message
	Disclosures []Disclosure
	// Request, when set, is what this offer was matched on, in place of
	// the presentation's: an engine that proposes products unasked (cross-
	// sell) prices each for an amount and term of its own. Recorded in
	// the snapshot, so replay prices it again the same way.
	Request *products.MatchRequest
	// EngineInputs are what the engine scored the offer on (the model
	// version, the propensity and its contributions, the value's
	// assumptions): any JSON value, recorded in the snapshot as
	// engine_inputs for the engine to replay its own decision.
	EngineInputs any
}

// Presentation is one engine's batch of offers for one client.
type Presentation struct {
	ClientID int64
	Channel  string
	Actor    Actor
	Purpose  Purpose
	// ClientInitiated is true when the client asked (a product search),
	// false when the firm pushes the offer (cross-sell, campaigns).
	ClientInitiated bool
	Engine          string
	EngineVersion   string
	// Profile and Request are what the engine matched on.
	Profile products.Profile
	Request products.MatchRequest
	Offers  []Candidate
	// Localizer is the client's language: check details, reasons and
	// disclosures are recorded as the client or advisor read them.
	Localizer *i18n.Localizer
	// ref is the presentation the records belong to (set by Present).
	ref *PresentationRef
}

// Verdict is the gate's decision on one candidate.
type Verdict struct {
	Shown  bool
	Checks []Check
	// Warnings are shown with the offer (e.g. appropriateness).
	Warnings []i18n.Message
	// Seq is the decision record; zero until recorded.
	Seq int64
	// Recalled is true when the decision is an earlier one of the same
	// presentation, shown again (see presentation.go).
	Recalled bool
}

// Blocked returns the names of the checks that failed.
func (v Verdict) Blocked() []string {
	var out []string
	for _, c := range v.Checks {
		if !c.Passed {
			out = append(out, c.Name)
		}
	}
	return out
}

// appender is the offer log or its group-commit Recorder.
type appender interface {
	Append(ctx context.Context, records ...Record) ([]Appended, error)
}

// Gate runs the checks and records every decision.
type Gate struct {
	facts *FactsReader
	log   appender
	Now   func() time.Time
	// PresentationWindow is how long a presentation lasts: within it the
	// same showing again is the decisions already recorded. 0 records
	// every showing anew.
	PresentationWindow time.Duration
	// Firm is the firm's name: a product whose provider it is, is the
	// firm's own (no commission to disclose).
	Firm string
}

// NewGate returns a gate reading facts with reader and recording to log
// (a *Log, or a *Recorder to group concurrent appends into one commit).
func NewGate(reader *FactsReader, log appender) *Gate {
	return &Gate{facts: reader, log: log, Now: time.Now, PresentationWindow: DefaultPresentationWindow, Firm: ecrm.DefaultFirm}
}

// ErrUnknownChannel is returned for a channel without a contact policy.
var ErrUnknownChannel = errors.New("unknown channel")

// Present checks and records every candidate and returns one verdict per
// candidate, in order. On error nothing may be shown.
func (g *Gate) Present(ctx context.Context, p Presentation) ([]Verdict, error) {
	if len(p.Offers) == 0 {
		return nil, nil
	}
	if p.Localizer == nil {
		p.Localizer = i18n.NewLocalizer(i18n.English)
	}
	now := g.Now().UTC().Truncate(time.Microsecond)
	ids := make([]int64, 0, len(p.Offers))
	for _, c := range p.Offers {
		if !slices.Contains(ids, c.Product.ID) {
			ids = append(ids, c.Product.ID)
		}
	}
	key, err := presentationKey(p)
	if err != nil {
		return nil, err
	}
	var rc *recall
	if g.PresentationWindow > 0 {
		rc = &recall{key: key, since: now.Add(-g.PresentationWindow)}
	}
	facts, err := g.facts.read(ctx, p.ClientID, p.Channel, ids, now, rc)
	if err != nil {
		return nil, fmt.Errorf("offer gate: read facts: %w", err)
	}
	if v := recallPresentation(facts, p, now); v != nil {
		return v, nil
	}
	p.ref = &PresentationRef{ID: newPresentationID(), Key: key}
	verdicts := make([]Verdict, len(p.Offers))
	records := make([]Record, len(p.Offers))
	for i, c := range p.Offers {
		verdicts[i] = Evaluate(facts, p, c, now)
		if records[i], err = decisionRecord(facts, p, c, verdicts[i], now); err != nil {
			return nil, fmt.Errorf("offer gate: %w", err)
		}
	}
	appended, err := g.log.Append(ctx, records...)
	if err != nil {
		return nil, fmt.Errorf("offer gate: record %d decisions: %w", len(records), err)
	}
	for i := range verdicts {
		verdicts[i].Seq = appended[i].Seq
	}
	return verdicts, nil
}

// Evaluate runs every check on one candidate. It reads nothing but its
// arguments, so a stored snapshot replays to the same verdict.
func Evaluate(f Facts, p Presentation, c Candidate, now time.Time) Verdict {
	l := p.Localizer
	if l == nil {
		l = i18n.NewLocalizer(i18n.English)
	}
	e := evaluation{f: f, p: p, c: c, now: now, l: l, hist: f.History[c.Product.ID]}
	var warnings []i18n.Message
	v := Verdict{Checks: []Check{
		e.suitability(),
		e.appropriateness(&warnings),
		e.targetMarket(),
		e.consent(),
		e.objection(),
		e.contactPolicy(),
		e.vulnerability(),
		e.household(),
	}}
	v.Warnings = warnings
	v.Shown = len(v.Blocked()) == 0
	return v
}

type evaluation struct {
	f    Facts
	p    Presentation
	c    Candidate
	now  time.Time
	l    *i18n.Localizer
	hist ProductHistory
}

func pass(name string, detail i18n.Message) Check {
	return Check{Name: name, Passed: true, Detail: detail}
}
func fail(name string, detail i18n.Message) Check {
	return Check{Name: name, Passed: false, Detail: detail}
}

// assessment returns the assessment in force, nil when there is none or it
// is too old to rely on.
func (e *evaluation) assessment() (*Assessment, bool) {
	a := e.f.Assessment
	if a == nil {
		return nil, false
	}
	return a, a.AssessedAt.AddDate(0, assessmentMaxAge, 0).After(e.now)
}

// suitability: investment products only, against the assessed risk profile,
// loss capacity, objective and horizon. No (current) assessment, no
// investment product.
func (e *evaluation) suitability() Check {
	prod := e.c.Product
	if !prod.IsInvestment() {
		return pass(CheckSuitability, e.l.Say("gate.suitability.not_investment"))
	}
	a, current := e.assessment()
	switch {
	case a == nil:
		return fail(CheckSuitability, e.l.Say("gate.suitability.no_assessment"))
	case !current:
		return fail(CheckSuitability, e.l.Say("gate.suitability.stale", a.AssessedAt, assessmentMaxAge))
	case prod.RiskClass > a.RiskClass:
		return fail(CheckSuitability, e.l.Say("gate.suitability.risk_class", prod.RiskClass, a.RiskClass))
	}
	req := e.request()
	loss := ecrm.Money{Amount: req.Amount.Amount.Mul(stressedLoss[max(1, min(7, prod.RiskClass))]).Round(2), Currency: req.Amount.Currency}
	lossEUR, ok1 := products.ReferenceEUR(loss)
	capEUR, ok2 := products.ReferenceEUR(a.LossCapacity)
	if !ok1 || !ok2 || lossEUR.GreaterThan(capEUR) {
		return fail(CheckSuitability, e.l.Say("gate.suitability.loss", loss, a.LossCapacity))
	}
	if !slices.Contains(prod.Definition.TargetMarket.Objectives, a.Objective) {
		return fail(CheckSuitability, e.l.Say("gate.suitability.objective", i18n.Key("products.objective."+a.Objective)))
	}
	if need := prod.Definition.TargetMarket.MinHorizonMonths; need > a.HorizonMonths {
		return fail(CheckSuitability, e.l.Say("gate.suitability.horizon", need, a.HorizonMonths))
	}
	return pass(CheckSuitability, e.l.Say("gate.suitability.ok", prod.RiskClass, a.RiskClass, loss, a.LossCapacity,
		i18n.Key("products.objective."+a.Objective), a.HorizonMonths))
}

// request is what the offer was matched on: the candidate's own when the
// engine priced it for an amount of its own (Candidate.Request), as the
// snapshot records it, else the presentation's.
func (e *evaluation) request() products.MatchRequest {
	if e.c.Request != nil {
		return *e.c.Request
	}
	return e.p.Request
}

// knowledge is the client's assessed knowledge of the product's type; from
// the engine's profile (inferred from holdings) when not assessed.
func (e *evaluation) knowledge() string {
	area := e.c.Product.KnowledgeArea()
	if a, current := e.assessment(); current && area != "" {
		if k, ok := a.Knowledge[area]; ok {
			return k
		}
		return "none"
	}
	return e.p.Profile.Knowledge
}

// appropriateness: a complex product needs informed knowledge of its type.
// When the client asked for it, it is shown with a warning (MiFID II art.
// 25(3)); when the firm would push it, it is blocked.
func (e *evaluation) appropriateness(warnings *[]i18n.Message) Check {
	prod := e.c.Product
	if !prod.Complex {
		return pass(CheckAppropriateness, e.l.Say("gate.appropriateness.not_complex"))
	}
	area := cmpOr(prod.KnowledgeArea(), "other")
	areaName := i18n.Key("gate.area." + area)
	k := e.knowledge()
	if products.KnowledgeAtLeast(k, "informed") {
		return pass(CheckAppropriateness, e.l.Say("gate.appropriateness.ok", areaName, i18n.Key("products.knowledge."+cmpOr(k, "none"))))
	}
	if e.p.ClientInitiated {
		*warnings = append(*warnings, e.l.Say("gate.appropriateness.disclosure", areaName))
		return Check{Name: CheckAppropriateness, Passed: true, Warning: true, Detail: e.l.Say("gate.appropriateness.warning", areaName)}
	}
	return fail(CheckAppropriateness, e.l.Say("gate.appropriateness.blocked", areaName))
}

// targetMarket re-checks the product's positive and negative target market
// with the assessed knowledge, objective and loss capacity filled in where
// the request did not state them.
func (e *evaluation) targetMarket() Check {
	prod := e.c.Product
	profile := e.p.Profile
	profile.Knowledge = e.knowledge()
	req := e.request()
	if a, current := e.assessment(); current && prod.IsInvestment() {
		if req.RiskTolerance == 0 {
			req.RiskTolerance = a.RiskClass
		}
		if req.Objective == "" {
			req.Objective = a.Objective
		}
		if req.LossCapacity == "" {
			req.LossCapacity = lossCapacityCategory(a.LossCapacity, req.Amount)
		}
	}
	reasons := products.TargetMarketReasons(prod.Definition.TargetMarket, prod.Definition.NegativeTargetMarket, prod.RiskClass, profile, req, e.l)
	if len(reasons) == 0 {
		return pass(CheckTargetMarket, e.l.Say("gate.target_market.ok"))
	}
	findings := make([]i18n.Message, len(reasons))
	for i, r := range reasons {
		findings[i] = r.Message()
	}
	return fail(CheckTargetMarket, e.l.Join(findings))
}

// lossCapacityCategory maps a loss capacity in money to the target-market
// scale for an amount: able to lose all of it, some of it, or none.
func lossCapacityCategory(capacity, amount ecrm.Money) string {
	return products.LossCapacityFor(capacity, amount)
}

func (e *evaluation) consent() Check {
	switch e.p.Purpose {
	case PurposeRegulatory:
		return pass(CheckConsent, e.l.Say("gate.consent.regulatory"))
	case PurposeRequested:
		return pass(CheckConsent, e.l.Say("gate.consent.requested"))
	}
	channel := i18n.Key("gate.channel." + e.p.Channel)
	if !e.f.MarketingConsent {
		return fail(CheckConsent, e.l.Say("gate.consent.missing", channel))
	}
	return pass(CheckConsent, e.l.Say("gate.consent.ok", channel, e.f.ConsentWording))
}

func (e *evaluation) objection() Check {
	switch e.p.Purpose {
	case PurposeRegulatory:
		return pass(CheckObjection, e.l.Say("gate.consent.regulatory"))
	case PurposeRequested:
		return pass(CheckObjection, e.l.Say("gate.consent.requested"))
	}
	if len(e.f.Objections) > 0 {
		return fail(CheckObjection, e.l.Say("gate.objection."+e.f.Objections[0]))
	}
	return pass(CheckObjection, e.l.Say("gate.objection.ok"))
}

func (e *evaluation) contactPolicy() Check {
	switch e.p.Purpose {
	case PurposeRegulatory:
		return pass(CheckContactPolicy, e.l.Say("gate.contact.regulatory"))
	case PurposeRequested:
		return pass(CheckContactPolicy, e.l.Say("gate.contact.requested"))
	}
	pol := e.f.Policy
	channel := i18n.Key("gate.channel." + e.p.Channel)
	if d := e.hist.DeclinedAt; d != nil && d.AddDate(0, 0, pol.DeclineCooldownDays).After(e.now) {
		return fail(CheckContactPolicy, e.l.Say("gate.contact.cooldown", *d, pol.DeclineCooldownDays))
	}
	if i := e.hist.InterestedAt; i != nil {
		return pass(CheckContactPolicy, e.l.Say("gate.contact.interested", *i))
	}
	if e.hist.ShownInPeriod >= pol.MaxOffersPerProduct {
		return fail(CheckContactPolicy, e.l.Say("gate.contact.limit", e.hist.ShownInPeriod, channel, pol.PeriodDays, pol.MaxOffersPerProduct))
	}
	return pass(CheckContactPolicy, e.l.Say("gate.contact.ok", e.hist.ShownInPeriod, pol.MaxOffersPerProduct, channel, pol.PeriodDays))
}

// vulnerability: complex or high-risk products are never offered to a
// vulnerable client automatically; an advisor may, on their own judgement.
func (e *evaluation) vulnerability() Check {
	prod := e.c.Product
	if !e.f.Vulnerable {
		return pass(CheckVulnerability, e.l.Say("gate.vulnerability.not_vulnerable"))
	}
	if !prod.Complex && prod.RiskClass < highRiskClass {
		return pass(CheckVulnerability, e.l.Say("gate.vulnerability.ok_product"))
	}
	if e.p.Actor.Kind == ActorAdvisor {
		return Check{Name: CheckVulnerability, Passed: true, Warning: true, Detail: e.l.Say("gate.vulnerability.advisor")}
	}
	return fail(CheckVulnerability, e.l.Say("gate.vulnerability.blocked"))
}

// household: the firm does not push one product to two members of a
// household in one period, unless each needs their own.
func (e *evaluation) household() Check {
	switch {
	case e.c.Product.IsPersonal():
		return pass(CheckHousehold, e.l.Say("gate.household.personal"))
	case e.p.ClientInitiated:
		return pass(CheckHousehold, e.l.Say("gate.household.client_initiated"))
	case e.f.HouseholdID == 0:
		return pass(CheckHousehold, e.l.Say("gate.household.none"))
	case e.hist.HouseholdShown > 0:
		return fail(CheckHousehold, e.l.Say("gate.household.blocked", e.f.Policy.PeriodDays))
	}
	return pass(CheckHousehold, e.l.Say("gate.household.ok", e.f.Policy.PeriodDays))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
