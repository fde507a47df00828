package insurance

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/products"
)

// Programme selection (issue 16, item 3): every programme of the lines the
// applicant asks for (needs.protect) is underwritten and rated on the
// answers so far, ranked within its line, and the best of each line makes
// a bundle when several lines are asked. It works on partial answers: a
// rule not yet decidable and a factor not yet answered are named in the
// candidate's Missing, and its premium is indicative until then.
//
// Ranking within a line (stated in docs/insurance-programmes.md): accepted
// before referred before declined; then programmes within the monthly
// budget (the monthly premium, premium / term) before those above it;
// then by the applicant's priority — price (lowest premium for the term),
// cover (widest cover level, then lowest premium) or deductible (lowest
// excess, then lowest premium); ties by code.

// SelectionVersion names the ranking above; it is recorded with every
// presentation (the engine version).
const SelectionVersion = "insurance-selection-2026.12.1"

// lineOfNeed maps needs.protect's codes to the programmes' lines.
var lineOfNeed = map[string]string{"life": "life", "health": "health", "home": "home", "motor": "motor", "travel": "travel",
	"liability": "liability", "income": "accident"}

// Lines lists the lines in the order the choice page shows them.
var Lines = []string{"life", "health", "home", "motor", "travel", "liability", "accident"}

// programme is one programme with the versions in force, compiled.
type programme struct {
	Product         products.Product
	Line            string
	Cover           string
	TermMonths      int
	RulesVersionID  int64
	RulesVersion    int
	RatingVersionID int64
	RatingVersion   int
	Rating          RatingTable
	rules           []compiledUnderwriting
}

// Selector selects programmes; safe for concurrent use. It loads the
// programmes, their rules and rating tables once per set of versions and
// reloads when a product, rules or rating version is written.
type Selector struct {
	pool *pgxpool.Pool
	// Now is the clock deciding which versions are in force; Zone the
	// firm's time zone, in which a re-priced quote's as-of day is today.
	Now  func() time.Time
	Zone *time.Location

	mu         sync.RWMutex
	stamp      string
	programmes []*programme
	// compiled caches a version's compiled rules by version id: a reload
	// after one programme changed does not recompile the others.
	compiled map[int64][]compiledUnderwriting
}

// NewSelector selects among the programmes stored in pool's database.
func NewSelector(pool *pgxpool.Pool) *Selector {
	return &Selector{pool: pool, Now: time.Now, Zone: time.UTC, compiled: map[int64][]compiledUnderwriting{}}
}

// versionStamp changes whenever a programme, a product or a version is
// written, or a version comes into force.
const versionStamp = `SELECT coalesce((SELECT max(id)::text FROM insurance_programme_versions WHERE valid_from <= $1), '') || '/' ||
	coalesce((SELECT count(*)::text FROM insurance_programmes), '') || '/' ||
	coalesce((SELECT max(current_version_id)::text || max(updated_at)::text FROM products WHERE line = 'insurance'), '')`

// current returns the programmes in force now, loading them when a
// version changed.
func (s *Selector) current(ctx context.Context) ([]*programme, error) {
	now := s.Now()
	var stamp string
	if err := s.pool.QueryRow(ctx, versionStamp, now).Scan(&stamp); err != nil {
		return nil, fmt.Errorf("programme versions: %w", err)
	}
	s.mu.RLock()
	if stamp == s.stamp {
		defer s.mu.RUnlock()
		return s.programmes, nil
	}
	s.mu.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if stamp == s.stamp {
		return s.programmes, nil
	}
	list, err := s.load(ctx, now)
	if err != nil {
		return nil, err
	}
	s.programmes, s.stamp = list, stamp
	return list, nil
}

// load reads every active programme with its newest rules and rating
// versions in force at now (s.mu held).
func (s *Selector) load(ctx context.Context, now time.Time) ([]*programme, error) {
	rows, err := s.pool.Query(ctx, `
SELECT ip.product_id, p.current_version_id, ip.line, ip.cover, ip.term_months,
       ru.id, ru.version, ru.body, ra.id, ra.version, ra.body
FROM insurance_programmes ip
JOIN products p ON p.id = ip.product_id AND p.active
JOIN LATERAL (SELECT id, version, body FROM insurance_programme_versions
              WHERE product_id = ip.product_id AND kind = 'rules' AND valid_from <= $1
              ORDER BY valid_from DESC, version DESC LIMIT 1) ru ON true
JOIN LATERAL (SELECT id, version, body FROM insurance_programme_versions
              WHERE product_id = ip.product_id AND kind = 'rating' AND valid_from <= $1
              ORDER BY valid_from DESC, version DESC LIMIT 1) ra ON true
ORDER BY p.code`, now)
	if err != nil {
		return nil, fmt.Errorf("load programmes: %w", err)
	}
	type row struct {
		productID, productVersionID int64
		line, cover                 string
		term                        int
		rulesID                     int64
		rulesVersion                int
		rulesBody                   []byte
		ratingID                    int64
		ratingVersion               int
		ratingBody                  []byte
	}
	var list []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.productID, &r.productVersionID, &r.line, &r.cover, &r.term, &r.rulesID, &r.rulesVersion, &r.rulesBody,
			&r.ratingID, &r.ratingVersion, &r.ratingBody); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load programmes: %w", err)
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load programmes: %w", err)
	}
	store := products.NewStore(s.pool)
	out := make([]*programme, 0, len(list))
	for _, r := range list {
		prod, err := store.ProductVersion(ctx, r.productVersionID)
		if err != nil {
			return nil, err
		}
		p := &programme{Product: prod, Line: r.line, Cover: r.cover, TermMonths: r.term, RulesVersionID: r.rulesID,
			RulesVersion: r.rulesVersion, RatingVersionID: r.ratingID, RatingVersion: r.ratingVersion}
		if err := json.Unmarshal(r.ratingBody, &p.Rating); err != nil {
			return nil, fmt.Errorf("programme %s rating %d: %w", prod.Code, r.ratingVersion, err)
		}
		if p.rules, err = s.compile(r.rulesID, r.rulesBody); err != nil {
			return nil, fmt.Errorf("programme %s: %w", prod.Code, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func (s *Selector) compile(id int64, body []byte) ([]compiledUnderwriting, error) {
	if c, ok := s.compiled[id]; ok {
		return c, nil
	}
	var u UnderwritingRules
	if err := json.Unmarshal(body, &u); err != nil {
		return nil, fmt.Errorf("rules version %d: %w", id, err)
	}
	c, err := u.compile()
	if err != nil {
		return nil, err
	}
	s.compiled[id] = c
	return c, nil
}

// Select rates every programme of the lines asked for on answers at asOf
// (the day ages are counted on) and ranks them.
func (s *Selector) Select(ctx context.Context, answers Answers, asOf time.Time) (*Selection, error) {
	progs, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	return selectAmong(progs, answers, asOf)
}

func selectAmong(progs []*programme, answers Answers, asOf time.Time) (*Selection, error) {
	lines := map[string]bool{}
	for _, c := range answers.codes("needs.protect") {
		if l, ok := lineOfNeed[c]; ok {
			lines[l] = true
		}
	}
	f := newFacts(answers, asOf)
	motorCover := answers.code("motor.cover")
	sel := &Selection{Candidates: []Candidate{}}
	for _, p := range progs {
		// Third-party cover (RCA) is compulsory for every vehicle: an
		// applicant asking for CASCO is shown both; one asking for RCA
		// only RCA.
		if !lines[p.Line] || (p.Line == "motor" && motorCover == "rca" && p.Cover != "rca") {
			continue
		}
		c, err := p.candidate(f)
		if err != nil {
			return nil, err
		}
		sel.Candidates = append(sel.Candidates, c)
	}
	rank(sel.Candidates, answers)
	sel.Bundle = bundle(sel.Candidates, lines)
	return sel, nil
}

// candidate underwrites and rates one programme.
func (p *programme) candidate(f *facts) (Candidate, error) {
	r := p.Rating.rate(f)
	outcome, exclusions, undecided, err := underwrite(p.rules, f, r.SumInsured)
	if err != nil {
		return Candidate{}, fmt.Errorf("programme %s: %w", p.Product.Code, err)
	}
	missing := r.Missing
	for _, id := range undecided {
		if !slices.Contains(missing, id) {
			missing = append(missing, id)
		}
	}
	slices.Sort(missing)
	c := Candidate{
		ProgrammeID: p.Product.ID, ProductID: p.Product.ID, ProductCode: p.Product.Code, Insurer: p.Product.Provider,
		Name: p.Product.Name.EN, Title: p.Product.Name, Line: p.Line, Outcome: outcome, Premium: r.Premium, Currency: RatingCurrency,
		SumInsured: r.SumInsured, TermMonths: p.TermMonths, Breakdown: r.Breakdown, Exclusions: exclusions, Missing: missing,
		RulesVersion: fmt.Sprint(p.RulesVersion), RatingVersion: fmt.Sprint(p.RatingVersion),
		Deductible: r.Deductible, CoverLevel: p.Rating.CoverLevel, Cover: p.Cover, Indicative: len(missing) > 0,
		MonthlyPremium:   r.Premium.DivRound(decimal.NewFromInt(int64(p.TermMonths)), centPlaces),
		ProductVersionID: p.Product.VersionID, RulesVersionID: p.RulesVersionID, RatingVersionID: p.RatingVersionID,
	}
	if outcome == OutcomeDecline {
		// Never offered: no price is shown for it.
		c.Breakdown, c.Premium, c.MonthlyPremium = nil, decimal.Zero, decimal.Zero
	}
	return c, nil
}

// rank orders candidates by line and within each line (see the file's
// comment), numbers them, and writes why each ranks where it does.
func rank(cs []Candidate, a Answers) {
	budget, hasBudget := a.number("needs.budget_monthly")
	priority := a.code("needs.priority")
	asked, hasDeductible := decimal.Zero, false
	if c := a.code("needs.deductible"); c != "" {
		if d, err := decimal.NewFromString(c); err == nil {
			asked, hasDeductible = d, true
		}
	}
	outcomeOrder := map[Outcome]int{OutcomeAccept: 0, OutcomeRefer: 1, OutcomeDecline: 2}
	within := func(c Candidate) bool { return !hasBudget || c.MonthlyPremium.LessThanOrEqual(budget) }
	slices.SortStableFunc(cs, func(x, y Candidate) int {
		if d := cmp.Compare(slices.Index(Lines, x.Line), slices.Index(Lines, y.Line)); d != 0 {
			return d
		}
		if d := cmp.Compare(slices.Index(covers, x.Cover), slices.Index(covers, y.Cover)); d != 0 {
			return d
		}
		if d := cmp.Compare(outcomeOrder[x.Outcome], outcomeOrder[y.Outcome]); d != 0 {
			return d
		}
		if x.Outcome == OutcomeDecline {
			return cmp.Compare(x.ProductCode, y.ProductCode)
		}
		if wx, wy := within(x), within(y); wx != wy {
			if wx {
				return -1
			}
			return 1
		}
		switch priority {
		case "cover":
			if d := cmp.Compare(y.CoverLevel, x.CoverLevel); d != 0 {
				return d
			}
		case "deductible":
			if d := x.Deductible.Cmp(y.Deductible); d != 0 {
				return d
			}
		}
		// The price of the cover asked for: the premium for the term (a
		// one-trip programme against an annual one is the trip's price
		// against the year's).
		if d := x.Premium.Cmp(y.Premium); d != 0 {
			return d
		}
		return cmp.Compare(x.ProductCode, y.ProductCode)
	})
	n, line := 0, ""
	for i := range cs {
		c := &cs[i]
		if c.Group() != line {
			n, line = 0, c.Group()
		}
		c.Reasons = nil
		if c.Outcome == OutcomeDecline {
			c.Rank = 0
			continue
		}
		n++
		c.Rank = n
		if n == 1 {
			switch priority {
			case "cover":
				c.Reasons = append(c.Reasons, Reason{Key: "insurance.rating.reason.widest_cover"})
			case "deductible":
				c.Reasons = append(c.Reasons, Reason{Key: "insurance.rating.reason.lowest_deductible"})
			default:
				c.Reasons = append(c.Reasons, Reason{Key: "insurance.rating.reason.lowest_price"})
			}
		}
		if hasBudget {
			if within(*c) {
				c.Reasons = append(c.Reasons, Reason{Key: "insurance.rating.reason.within_budget", Args: []any{ron(c.MonthlyPremium), ron(budget)}})
			} else {
				c.Exclusions = append(c.Exclusions, Reason{Key: "insurance.rating.reason.over_budget", Args: []any{ron(c.MonthlyPremium), ron(budget)}})
			}
		}
		if hasDeductible && len(c.Breakdown) > 0 && hasDeductibleLine(c.Breakdown) {
			if c.Deductible.Equal(asked) {
				c.Reasons = append(c.Reasons, Reason{Key: "insurance.rating.reason.deductible_matches", Args: []any{ron(c.Deductible)}})
			} else {
				c.Exclusions = append(c.Exclusions, Reason{Key: "insurance.rating.reason.deductible_differs", Args: []any{ron(c.Deductible), ron(asked)}})
			}
		}
		if c.TermMonths == 1 {
			c.Reasons = append(c.Reasons, Reason{Key: "insurance.rating.reason.one_month"})
		}
		if c.Outcome == OutcomeRefer {
			c.Exclusions = append(c.Exclusions, Reason{Key: "insurance.rating.reason.referred"})
		}
	}
}

func ron(d decimal.Decimal) ecrm.Money {
	return ecrm.Money{Amount: d.Round(centPlaces), Currency: RatingCurrency}
}

// covers orders motor's kinds of cover: the compulsory third-party cover
// first. Each is ranked apart (a CASCO programme is no alternative to the
// RCA the law asks for).
var covers = []string{"", "rca", "casco"}

// Group is what the candidate is ranked within: its line, and for motor
// its kind of cover.
func (c Candidate) Group() string {
	if c.Cover != "" {
		return c.Line + "/" + c.Cover
	}
	return c.Line
}

func hasDeductibleLine(b []Factor) bool {
	return slices.ContainsFunc(b, func(f Factor) bool { return f.Name == "insurance.rating.factor.deductible" })
}

// bundle is the best accepted candidate of each line asked for (of each
// kind of motor cover shown: the compulsory RCA with the CASCO asked
// for), when more than one is.
func bundle(cs []Candidate, lines map[string]bool) *Bundle {
	b := &Bundle{Currency: RatingCurrency, Total: decimal.Zero, MonthlyTotal: decimal.Zero}
	for _, c := range cs {
		if c.Rank == 1 && c.Outcome == OutcomeAccept {
			b.Parts = append(b.Parts, c)
			b.Total = b.Total.Add(c.Premium)
			b.MonthlyTotal = b.MonthlyTotal.Add(c.MonthlyPremium)
		}
	}
	if len(b.Parts) < 2 {
		return nil
	}
	return b
}
