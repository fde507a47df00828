package insurance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/products"
)

// Every programme the choice page shows goes through the compliance gate
// like any offer (DESIGN.md: engines above compliance present their own
// candidates): one decision record per programme, shown or blocked, in
// the offer log, with the rated terms and the inputs they were rated on,
// so that `ecrm audit replay --seq N` re-rates the premium from the
// record (ReplayProgrammeTerms). A declined programme is never offered
// and so never presented; it is listed as an exclusion. The gate's
// verdict is honoured: a blocked programme is not shown, and cannot be
// quoted.

// ProgrammeEngine is the engine name in the offer log.
const ProgrammeEngine = "insurance.programmes"

// JourneyAnswers reads a journey's flat answers for its client and the
// questionnaire versions they were given under ({url: version}); the
// journey part's Journeys implements it, the wiring passes it in.
type JourneyAnswers interface {
	Answers(ctx context.Context, clientID, journeyID int64) (Answers, error)
	QuestionnaireVersions(ctx context.Context, clientID, journeyID int64) (map[string]string, error)
}

// ProgrammeInputs are what a programme was rated on, recorded with its
// decision (engine_inputs): the exact versions and the answers, and the
// day ages were counted on.
type ProgrammeInputs struct {
	Engine           string  `json:"engine"`
	ProductCode      string  `json:"product_code"`
	ProductVersionID int64   `json:"product_version_id"`
	RulesVersionID   int64   `json:"rules_version_id"`
	RatingVersionID  int64   `json:"rating_version_id"`
	JourneyID        int64   `json:"journey_id"`
	AsOf             string  `json:"as_of"`
	Answers          Answers `json:"answers"`
}

// ProgrammeTerms are a programme's figures as presented (the record's
// terms), recomputed by replay.
type ProgrammeTerms struct {
	Programme     string          `json:"programme"`
	Outcome       Outcome         `json:"outcome"`
	Premium       ecrm.Money      `json:"premium"`
	SumInsured    ecrm.Money      `json:"sum_insured"`
	Deductible    decimal.Decimal `json:"deductible"`
	TermMonths    int             `json:"term_months"`
	Breakdown     []Factor        `json:"breakdown"`
	Missing       []string        `json:"missing,omitempty"`
	RulesVersion  string          `json:"rules_version"`
	RatingVersion string          `json:"rating_version"`
}

func termsOf(c Candidate) ProgrammeTerms {
	return ProgrammeTerms{Programme: c.ProductCode, Outcome: c.Outcome, Premium: ecrm.Money{Amount: c.Premium, Currency: c.Currency},
		SumInsured: ecrm.Money{Amount: c.SumInsured, Currency: c.Currency}, Deductible: c.Deductible, TermMonths: c.TermMonths,
		Breakdown: c.Breakdown, Missing: c.Missing, RulesVersion: c.RulesVersion, RatingVersion: c.RatingVersion}
}

// Viewer is who is shown the programmes and where.
type Viewer struct {
	ClientID int64
	Channel  string
	Actor    compliance.Actor
}

// Presented is one candidate with the gate's verdict.
type Presented struct {
	Candidate
	// ProductName is the programme's name in each language.
	ProductName ecrm.Text
	// Shown is the gate's verdict; Seq its decision record (zero for a
	// declined programme, never presented).
	Shown    bool
	Seq      int64
	Blocked  []string
	Warnings []i18n.Message
}

// Choice is the choice page's content: the candidates of each line with
// the gate's verdicts, the bundle of the shown best, the answers and
// versions they were rated on.
type Choice struct {
	JourneyID  int64
	AsOf       time.Time
	Answers    Answers
	Versions   map[string]string
	Candidates []Presented
	Bundle     *Bundle
	// Missing lists what the best candidates still need (the journey is
	// not complete).
	Missing []string
}

// Programmes presents a journey's programmes to its client.
type Programmes struct {
	pool     *pgxpool.Pool
	selector *Selector
	gate     *compliance.Gate
	journeys JourneyAnswers
	// Zone is the firm's time zone: the as-of day is today there.
	Zone *time.Location
	Now  func() time.Time
	// QuoteValidity is how long a quote holds.
	QuoteValidity time.Duration
	// responses records the client's interest in a programme she
	// quotes (SetResponses); nil records none.
	responses *compliance.Portal
}

// SetResponses makes choosing a programme record the client's interest in
// its offer in the offer log (with the quote, in one transaction).
func (p *Programmes) SetResponses(portal *compliance.Portal) { p.responses = portal }

// NewProgrammes presents selector's programmes through gate, reading
// answers from journeys.
func NewProgrammes(pool *pgxpool.Pool, selector *Selector, gate *compliance.Gate, journeys JourneyAnswers) *Programmes {
	return &Programmes{pool: pool, selector: selector, gate: gate, journeys: journeys, Zone: time.UTC, Now: time.Now,
		QuoteValidity: 30 * 24 * time.Hour}
}

// today is the as-of day in the firm's zone, as a UTC date.
func (p *Programmes) today() time.Time {
	y, m, d := p.Now().In(p.Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// answersDigest identifies a set of answers (the presentation's purpose:
// the same answers within the gate's window recall the same decisions,
// changed answers are a new presentation).
func answersDigest(a Answers) (string, error) {
	raw, err := json.Marshal(a) // map keys sorted
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8]), nil
}

// Present selects the journey's programmes and puts every one not
// declined through the gate.
func (p *Programmes) Present(ctx context.Context, v Viewer, journeyID int64, l *i18n.Localizer) (*Choice, error) {
	answers, err := p.journeys.Answers(ctx, v.ClientID, journeyID)
	if err != nil {
		return nil, err
	}
	ch := &Choice{JourneyID: journeyID, AsOf: p.today(), Answers: answers}
	if ch.Versions, err = p.journeys.QuestionnaireVersions(ctx, v.ClientID, journeyID); err != nil {
		return nil, err
	}
	sel, err := p.selector.Select(ctx, answers, ch.AsOf)
	if err != nil {
		return nil, err
	}
	digest, err := answersDigest(answers)
	if err != nil {
		return nil, err
	}
	profile, err := products.LoadProfile(ctx, p.pool, v.ClientID)
	if err != nil {
		return nil, err
	}
	progs, err := p.selector.current(ctx)
	if err != nil {
		return nil, err
	}
	byVersion := map[int64]products.Product{}
	for _, pr := range progs {
		byVersion[pr.Product.VersionID] = pr.Product
	}
	pres := compliance.Presentation{
		ClientID: v.ClientID, Channel: v.Channel, Actor: v.Actor, Purpose: compliance.PurposeRequested, ClientInitiated: true,
		Engine: ProgrammeEngine, EngineVersion: SelectionVersion, Profile: profile, Localizer: l,
		Request: products.MatchRequest{Goal: products.GoalInsure, Amount: ecrm.Money{Amount: decimal.Zero, Currency: RatingCurrency},
			Objective: "protection", Purpose: fmt.Sprintf("insurance-journey-%d-%s", journeyID, digest)},
	}
	var idx []int
	for i, c := range sel.Candidates {
		prod, ok := byVersion[c.ProductVersionID]
		if !ok {
			return nil, fmt.Errorf("programme %s: product version %d not loaded", c.ProductCode, c.ProductVersionID)
		}
		ch.Candidates = append(ch.Candidates, Presented{Candidate: c, ProductName: prod.Name})
		if c.Outcome == OutcomeDecline {
			continue
		}
		req := products.MatchRequest{Goal: products.GoalInsure, Amount: ecrm.Money{Amount: c.SumInsured, Currency: c.Currency},
			Months: c.TermMonths, Objective: "protection", Purpose: pres.Request.Purpose}
		premium := ecrm.Money{Amount: c.Premium, Currency: c.Currency}
		disclosures := compliance.OfferDisclosures(prod, products.Terms{}, p.gate.Firm, l)
		disclosures = append(disclosures, compliance.Disclosure{Kind: "cost", Text: l.Say("insurance.rating.disclosure.premium"), Amount: &premium})
		pres.Offers = append(pres.Offers, compliance.Candidate{
			Product: prod, Terms: termsOf(c), Request: &req, Reasons: ReasonMessages(c.Reasons, l), Disclosures: disclosures,
			EngineInputs: ProgrammeInputs{Engine: SelectionVersion, ProductCode: c.ProductCode, ProductVersionID: c.ProductVersionID,
				RulesVersionID: c.RulesVersionID, RatingVersionID: c.RatingVersionID, JourneyID: journeyID,
				AsOf: ch.AsOf.Format(time.DateOnly), Answers: answers},
		})
		idx = append(idx, i)
	}
	verdicts, err := p.gate.Present(ctx, pres)
	if err != nil {
		return nil, err
	}
	for k, i := range idx {
		c := &ch.Candidates[i]
		c.Shown, c.Seq, c.Blocked, c.Warnings = verdicts[k].Shown, verdicts[k].Seq, verdicts[k].Blocked(), verdicts[k].Warnings
	}
	if sel.Bundle != nil {
		b := &Bundle{Currency: sel.Bundle.Currency, Total: decimal.Zero, MonthlyTotal: decimal.Zero}
		for _, part := range sel.Bundle.Parts {
			for _, c := range ch.Candidates {
				if c.ProductCode == part.ProductCode && c.Shown {
					b.Parts = append(b.Parts, part)
					b.Total = b.Total.Add(part.Premium)
					b.MonthlyTotal = b.MonthlyTotal.Add(part.MonthlyPremium)
				}
			}
		}
		if len(b.Parts) >= 2 {
			ch.Bundle = b
		}
	}
	seen := map[string]bool{}
	for _, c := range ch.Candidates {
		if c.Rank == 1 {
			for _, m := range c.Missing {
				if !seen[m] {
					seen[m] = true
					ch.Missing = append(ch.Missing, m)
				}
			}
		}
	}
	return ch, nil
}

// ReasonMessages says reasons in l's language as recordable messages.
func ReasonMessages(rs []Reason, l *i18n.Localizer) []i18n.Message {
	out := make([]i18n.Message, len(rs))
	for i, r := range rs {
		out[i] = ReasonMessage(r, l)
	}
	return out
}

// ReasonMessage is one reason as a message.
func ReasonMessage(r Reason, l *i18n.Localizer) i18n.Message {
	if r.Text != nil {
		return l.SayText(*r.Text)
	}
	return l.Say(r.Key, r.Args...)
}

// recordedInputs reads the engine inputs and terms of a client's
// programme decision seq, and whether it was shown.
func recordedInputs(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, clientID, seq int64) (ProgrammeInputs, ProgrammeTerms, bool, error) {
	var rawIn, rawTerms []byte
	var kind string
	err := q.QueryRow(ctx, `
SELECT body::jsonb -> 'inputs' -> 'engine_inputs', body::jsonb -> 'inputs' -> 'terms', kind FROM decision_records
WHERE seq = $1 AND client_id = $2 AND kind IN ('offer_shown', 'offer_blocked') AND engine = $3`, seq, clientID, ProgrammeEngine).Scan(&rawIn, &rawTerms, &kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return ProgrammeInputs{}, ProgrammeTerms{}, false, ecrm.Errorf(ecrm.ENOTFOUND, "insurance.rating.error.no_presentation")
	}
	if err != nil {
		return ProgrammeInputs{}, ProgrammeTerms{}, false, fmt.Errorf("programme decision %d: %w", seq, err)
	}
	var in ProgrammeInputs
	var terms ProgrammeTerms
	if err := json.Unmarshal(rawIn, &in); err != nil {
		return in, terms, false, fmt.Errorf("programme decision %d: engine inputs: %w", seq, err)
	}
	if err := json.Unmarshal(rawTerms, &terms); err != nil {
		return in, terms, false, fmt.Errorf("programme decision %d: terms: %w", seq, err)
	}
	return in, terms, kind == "offer_shown", nil
}

// rateVersions rates answers under the exact versions named (replay, a
// quote's figures).
func rateVersions(ctx context.Context, pool *pgxpool.Pool, in ProgrammeInputs) (Candidate, error) {
	var rulesBody, ratingBody []byte
	var rulesVersion, ratingVersion int
	p := &programme{}
	err := pool.QueryRow(ctx, `
SELECT ip.line, ip.cover, ip.term_months, ru.version, ru.body, ra.version, ra.body
FROM insurance_programme_versions ru
JOIN insurance_programme_versions ra ON ra.id = $2 AND ra.kind = 'rating' AND ra.product_id = ru.product_id
JOIN insurance_programmes ip ON ip.product_id = ru.product_id
WHERE ru.id = $1 AND ru.kind = 'rules'`, in.RulesVersionID, in.RatingVersionID).Scan(&p.Line, &p.Cover, &p.TermMonths,
		&rulesVersion, &rulesBody, &ratingVersion, &ratingBody)
	if errors.Is(err, pgx.ErrNoRows) {
		return Candidate{}, fmt.Errorf("programme %s: no rules version %d with rating version %d", in.ProductCode, in.RulesVersionID, in.RatingVersionID)
	}
	if err != nil {
		return Candidate{}, err
	}
	if p.Product, err = products.NewStore(pool).ProductVersion(ctx, in.ProductVersionID); err != nil {
		return Candidate{}, err
	}
	var u UnderwritingRules
	if err := json.Unmarshal(rulesBody, &u); err != nil {
		return Candidate{}, err
	}
	if p.rules, err = u.compile(); err != nil {
		return Candidate{}, err
	}
	if err := json.Unmarshal(ratingBody, &p.Rating); err != nil {
		return Candidate{}, err
	}
	p.RulesVersionID, p.RulesVersion, p.RatingVersionID, p.RatingVersion = in.RulesVersionID, rulesVersion, in.RatingVersionID, ratingVersion
	asOf, err := time.Parse(time.DateOnly, in.AsOf)
	if err != nil {
		return Candidate{}, fmt.Errorf("programme inputs: as_of %q", in.AsOf)
	}
	return p.candidate(newFacts(in.Answers, asOf))
}

// ReplayProgrammeTerms re-rates a presented programme from its recorded
// inputs under the versions recorded (a compliance.TermsReplayer; the
// wiring registers it for ProgrammeEngine with the database to read the
// versions from).
func ReplayProgrammeTerms(pool *pgxpool.Pool) compliance.TermsReplayer {
	return func(engineInputs json.RawMessage) (any, error) {
		var in ProgrammeInputs
		if err := json.Unmarshal(engineInputs, &in); err != nil {
			return nil, fmt.Errorf("programme engine inputs: %w", err)
		}
		if in.Engine != SelectionVersion {
			return nil, fmt.Errorf("programme engine inputs of %q; this is %s", in.Engine, SelectionVersion)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := rateVersions(ctx, pool, in)
		if err != nil {
			return nil, err
		}
		return termsOf(c), nil
	}
}
