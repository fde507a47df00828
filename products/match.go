package products

import (
	"cmp"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"cel.dev/cel-go/common/types"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// Goals a client can ask for, and the product kinds each is matched against.
const (
	GoalBorrow  = "borrow"
	GoalDeposit = "deposit"
	GoalInvest  = "invest"
	GoalInsure  = "insure"
)

var goalKinds = map[string][]string{
	GoalBorrow:  {"consumer_loan", "mortgage"},
	GoalDeposit: {"term_deposit", "savings_account"},
	GoalInvest:  slices.DeleteFunc(slices.Clone(lineKinds[LineBrokerage]), IsHedgeKind),
	GoalInsure:  lineKinds[LineInsurance],
}

// IsHedgeKind reports whether kind protects a holding (the hedging
// engine's products): nobody invests in one for its own sake, so no goal
// matches it.
func IsHedgeKind(kind string) bool {
	return kind == "protective_put" || kind == "collar" || kind == "rebalancing"
}

// PurposeRebalancing is the purpose of a request for a rebalancing
// proposal (the risk package's targeted programmes propose one when a
// portfolio drifts from its model allocation).
const PurposeRebalancing = "rebalancing"

// proposalKinds are matched only by a request made for their purpose, and
// a request of that purpose matches only them: a proposal about what the
// client already holds is priced when an engine proposes it, and a search
// for investments never lists it.
var proposalKinds = map[string]string{"portfolio_rebalancing": PurposeRebalancing}

// ProposalPurpose is the purpose a request for a product of kind must
// have, "" for a kind any request of its goal matches.
func ProposalPurpose(kind string) string { return proposalKinds[kind] }

// goalKey is the key of byGoal a request reads: its goal, or its goal and
// purpose when the purpose is a proposal's.
func goalKey(goal, purpose string) string {
	for _, p := range proposalKinds {
		if p == purpose {
			return goal + "/" + purpose
		}
	}
	return goal
}

// GoalOf is the goal whose requests match products of kind, "" for a kind
// no request matches (current accounts, cards).
func GoalOf(kind string) string {
	for goal, kinds := range goalKinds {
		if slices.Contains(kinds, kind) {
			return goal
		}
	}
	return ""
}

// goalObjective is the target-market objective a goal pursues; an investor
// may state another one (income, preservation, hedging).
var goalObjective = map[string]string{
	GoalBorrow: "borrowing", GoalDeposit: "preservation", GoalInvest: "growth", GoalInsure: "protection",
}

// depositWithholdingTax is Romania's tax on deposit interest (10 % since
// 2023), withheld by the bank. Offers to Romanian residents (and to
// prospects, who are assumed resident) show interest net of it.
var depositWithholdingTax = decimal.RequireFromString("0.10")

// MatchRequest is what a client asks for: "borrow 20,000 EUR over 36
// months", "deposit 10,000 EUR for 12 months", "invest 5,000 EUR for 5
// years, medium risk", "insure a 200,000 RON home for 12 months" (the amount
// is then the sum insured).
type MatchRequest struct {
	Goal    string     `json:"goal"`
	Amount  ecrm.Money `json:"amount"`
	Months  int        `json:"months"`
	Purpose string     `json:"purpose,omitempty"`
	// Investments: the client's risk tolerance for this money (1 lowest, 7
	// highest), their objective and the loss they can bear.
	RiskTolerance int    `json:"risk_tolerance,omitempty"`
	Objective     string `json:"objective,omitempty"`
	LossCapacity  string `json:"loss_capacity,omitempty"`
	// Knowledge is the knowledge and experience the client declares for
	// this request (none, basic, informed, advanced); it replaces what is
	// inferred from their holdings. The compliance gate re-checks it.
	Knowledge string `json:"knowledge,omitempty"`
	// Profile is what a prospect tells about themselves; it is ignored for
	// a logged-in client, whose profile is read from the database.
	Profile *ProspectProfile `json:"profile,omitempty"`
}

// ProspectProfile is the little a prospect enters to be matched.
type ProspectProfile struct {
	Age              int         `json:"age,omitempty"`
	ResidenceCountry string      `json:"residence_country,omitempty"`
	AnnualIncome     *ecrm.Money `json:"annual_income,omitempty"`
	EmploymentStatus string      `json:"employment_status,omitempty"`
	Knowledge        string      `json:"knowledge,omitempty"`
}

// Profile is everything matching knows about the person asking.
type Profile struct {
	ClientID         int64
	Prospect         bool
	Age              int
	ResidenceCountry string
	AnnualIncomeEUR  int64
	EmploymentStatus string
	KYCStatus        string
	Segment          string
	ClientType       string // retail or professional
	Vulnerable       bool
	CreditScore      int
	MonthlyDebtEUR   int64
	ExistingProducts []string
	Knowledge        string
	LossCapacity     string
	// Assessment is the suitability assessment in force, nil when there
	// is none: knowledge and loss capacity are then inferred, and the
	// result says so. Recorded with each offer (omitted when nil, as
	// records made before it had none).
	Assessment *ProfileAssessment `json:"Assessment,omitempty"`
}

// Reason is one plain-language reason, with the check that produced it so
// that the compliance log and tests can rely on something stable.
type Reason struct {
	Check string `json:"check"`
	Text  string `json:"text"`
	// msg is Text as a catalogue key with arguments, for the offer log;
	// empty where Text is only shown (why a product is left out).
	msg i18n.Message
}

// said is a reason kept as a message.
func said(check string, m i18n.Message) Reason { return Reason{Check: check, Text: m.Text, msg: m} }

// Message is the reason as the offer log keeps it: the catalogue key and
// arguments, so that it can be said in any language.
func (r Reason) Message() i18n.Message {
	if r.msg.IsZero() {
		return i18n.Plain(r.Text)
	}
	return r.msg
}

// Offer is an eligible product with its concrete terms for the request.
type Offer struct {
	Rank int `json:"rank"`
	productRef
	Terms   Terms    `json:"terms"`
	Reasons []Reason `json:"reasons"`
	// Disclosures are the product's key warnings in the client's language.
	Disclosures []string `json:"disclosures,omitempty"`
	// DecisionSeq is the offer's decision record in the compliance offer
	// log, set once the gate has recorded it; zero for prospects who are
	// not logged in, who get product information, not personal offers.
	DecisionSeq int64 `json:"decision_seq,omitempty"`
	// Warnings the gate attached (e.g. an appropriateness warning).
	Warnings []string `json:"warnings,omitempty"`
}

// Exclusion is a product left out, with every reason it failed.
type Exclusion struct {
	productRef
	Reasons []Reason `json:"reasons"`
}

// productRef identifies the exact product version and rule version a
// decision was made under.
type productRef struct {
	Code             string `json:"code"`
	Name             string `json:"name"`
	Provider         string `json:"provider"`
	Kind             string `json:"kind"`
	Currency         string `json:"currency"`
	RiskClass        int    `json:"risk_class"`
	Complex          bool   `json:"complex"`
	ProductVersionID int64  `json:"product_version_id"`
	Version          int    `json:"version"`
	RulesHash        string `json:"rules_hash"`
}

// Terms are the concrete figures of one offer; only those that apply to the
// product's kind are set.
type Terms struct {
	NominalAnnualRate *decimal.Decimal `json:"nominal_annual_rate,omitempty"`
	// Loans.
	APR            *decimal.Decimal `json:"apr,omitempty"`
	UpfrontFee     *ecrm.Money      `json:"upfront_fee,omitempty"`
	MonthlyFee     *ecrm.Money      `json:"monthly_fee,omitempty"`
	MonthlyPayment *ecrm.Money      `json:"monthly_payment,omitempty"`
	TotalCost      *ecrm.Money      `json:"total_cost,omitempty"`
	TotalPayable   *ecrm.Money      `json:"total_payable,omitempty"`
	// Deposits.
	GrossInterest           *ecrm.Money      `json:"gross_interest,omitempty"`
	WithholdingTax          *ecrm.Money      `json:"withholding_tax,omitempty"`
	ValueAtMaturity         *ecrm.Money      `json:"value_at_maturity,omitempty"`
	AnnualEquivalentRate    *decimal.Decimal `json:"annual_equivalent_rate,omitempty"`
	NetAnnualEquivalentRate *decimal.Decimal `json:"net_annual_equivalent_rate,omitempty"`
	// Investments: an illustration, not a promise.
	ExpectedAnnualReturn *decimal.Decimal `json:"expected_annual_return,omitempty"`
	OngoingCharges       *decimal.Decimal `json:"ongoing_charges,omitempty"`
	EntryFee             *ecrm.Money      `json:"entry_fee,omitempty"`
	IllustrativeValue    *ecrm.Money      `json:"illustrative_value,omitempty"`
	Illustration         string           `json:"illustration,omitempty"`
	RiskWarning          string           `json:"risk_warning,omitempty"`
	// Insurance: an indicative premium for the sum insured and term.
	Premium *ecrm.Money `json:"premium,omitempty"`

	// sortKey orders offers within a goal; lower is better.
	sortKey decimal.Decimal
}

// MatchResult is the answer to a MatchRequest.
type MatchResult struct {
	Goal        string      `json:"goal"`
	Amount      ecrm.Money  `json:"amount"`
	Months      int         `json:"months"`
	RankedBy    string      `json:"ranked_by"`
	Assumptions []string    `json:"assumptions"`
	Eligible    []Offer     `json:"eligible"`
	Excluded    []Exclusion `json:"excluded"`
	// Withheld counts eligible products the compliance gate did not let
	// through; they are never shown.
	Withheld int `json:"withheld,omitempty"`
	// Notice explains, in the client's language, why no personal offer
	// can be shown (no consent, an objection, the log unavailable...).
	Notice string `json:"notice,omitempty"`
}

// Catalogue is the live catalogue with every product's rules compiled.
// It is immutable and shared by concurrent requests.
type Catalogue struct {
	products []compiledProduct
	slots    int              // distinct rule expressions
	byGoal   map[string][]int // positions in products of each goal's kinds (a proposal kind's under goal/purpose)
}

type compiledProduct struct {
	Product
	rules []compiledRule
}

// NewCatalogue compiles the rules of the active products in list.
func NewCatalogue(list []Product) (*Catalogue, error) {
	return newCatalogue(list, &compiledRules{})
}

// newCatalogue compiles with a cache shared across reloads.
func newCatalogue(list []Product, cache *compiledRules) (*Catalogue, error) {
	c := &Catalogue{products: make([]compiledProduct, 0, len(list))}
	slots := map[string]int{}
	for _, p := range list {
		if !p.Active {
			continue
		}
		rules, err := cache.get(p.Rules, p.RulesHash)
		if err != nil {
			// Rules are validated when saved, so this means a stored row
			// was written around the API; the product is left out rather
			// than the whole catalogue.
			continue
		}
		// The cached slice is shared between catalogues: copy before
		// numbering the slots of this one.
		rules = slices.Clone(rules)
		for i := range rules {
			slot, ok := slots[rules[i].Expression]
			if !ok {
				slot = len(slots)
				slots[rules[i].Expression] = slot
			}
			rules[i].slot = slot
		}
		c.products = append(c.products, compiledProduct{Product: p, rules: rules})
	}
	c.slots = len(slots)
	c.byGoal = map[string][]int{}
	for goal, kinds := range goalKinds {
		for i := range c.products {
			if kind := c.products[i].Kind; slices.Contains(kinds, kind) {
				key := goal
				if p := proposalKinds[kind]; p != "" {
					key = goal + "/" + p
				}
				c.byGoal[key] = append(c.byGoal[key], i)
			}
		}
	}
	return c, nil
}

// Len returns the number of active products.
func (c *Catalogue) Len() int { return len(c.products) }

var (
	purposePattern = regexp.MustCompile(`^[a-z][a-z_]{0,29}$`)
	countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)
)

// validate checks the request on its own and against the catalogue: an
// amount or a term that no product of the goal accepts is bad input, named
// with the range the catalogue allows; one that only some products accept
// excludes the others, with reasons.
func (c *Catalogue) validate(req MatchRequest, prospect bool) error {
	var p fieldProblems
	if _, ok := goalKinds[req.Goal]; !ok {
		p.add("goal", "must be one of borrow, deposit, invest, insure")
	}
	amount, units, amountOK := p.principal("amount", req.Amount)
	if req.Months < 1 || req.Months > MaxLoanMonths {
		p.add("months", "must be between 1 and %d months", MaxLoanMonths)
	}
	if req.Purpose != "" && !purposePattern.MatchString(req.Purpose) {
		p.add("purpose", "must be a word such as home, car or personal")
	}
	if req.RiskTolerance < 0 || req.RiskTolerance > 7 {
		p.add("risk_tolerance", "must be between 1 (lowest) and 7 (highest)")
	} else if req.Goal == GoalInvest && req.RiskTolerance == 0 {
		p.add("risk_tolerance", "is required to invest: between 1 (lowest) and 7 (highest)")
	}
	if req.Objective != "" && !slices.Contains(objectives, req.Objective) {
		p.add("objective", "must be one of %v", objectives)
	}
	if req.Knowledge != "" && !slices.Contains(knowledgeLevels, req.Knowledge) {
		p.add("knowledge", "must be one of %v", knowledgeLevels)
	}
	if req.LossCapacity != "" && !slices.Contains(lossCapacities, req.LossCapacity) {
		p.add("loss_capacity", "must be one of %v", lossCapacities)
	}
	if prospect && req.Profile != nil {
		pp := req.Profile
		if pp.Age < 0 || pp.Age > 120 {
			p.add("profile.age", "must be between 18 and 120")
		}
		if pp.ResidenceCountry != "" && !countryPattern.MatchString(pp.ResidenceCountry) {
			p.add("profile.residence_country", "must be an ISO 3166 country code such as RO")
		}
		if pp.AnnualIncome != nil {
			if _, err := ecrm.NewMoney(pp.AnnualIncome.Amount, pp.AnnualIncome.Currency); err != nil {
				p.add("profile.annual_income", "%s", ecrm.ErrorMessage(err))
			} else if pp.AnnualIncome.Amount.IsNegative() || pp.AnnualIncome.Amount.GreaterThan(maxPrincipal) {
				p.add("profile.annual_income.amount", "must be between 0 and %d", MaxPrincipal)
			}
		}
		if pp.Knowledge != "" && !slices.Contains(knowledgeLevels, pp.Knowledge) {
			p.add("profile.knowledge", "must be one of %v", knowledgeLevels)
		}
		if pp.EmploymentStatus != "" && !slices.Contains([]string{"employed", "self_employed", "unemployed", "retired", "student", "homemaker"}, pp.EmploymentStatus) {
			p.add("profile.employment_status", "must be one of employed, self_employed, unemployed, retired, student, homemaker")
		}
	}
	if err := p.err(); err != nil || !amountOK {
		return err
	}
	r := c.goalRange(goalKey(req.Goal, req.Purpose), req.Amount.Currency)
	if !r.found {
		return ecrm.FieldErrorf("amount.currency", "no %s products in %s; offered in %s", req.Goal, req.Amount.Currency, strings.Join(r.currencies, ", "))
	}
	minAmt, maxAmt, minMonths, maxMons := r.minAmount, r.maxAmount, r.minMonths, r.maxMonths
	if amount.LessThan(minAmt) || (!maxAmt.IsZero() && amount.GreaterThan(maxAmt)) {
		hi := maxPrincipal
		if !maxAmt.IsZero() {
			hi = maxAmt
		}
		p.add("amount.amount", "must be between %s and %s %s for %s", minAmt.StringFixed(units), hi.StringFixed(units), req.Amount.Currency, req.Goal)
	}
	if req.Months < minMonths || req.Months > maxMons {
		p.add("months", "must be between %d and %d months for %s in %s", minMonths, maxMons, req.Goal, req.Amount.Currency)
	}
	return p.err()
}

// goalRange is what the catalogue offers for a goal in one currency: the
// amounts and terms that at least one product accepts, and every currency
// the goal is offered in.
type goalRange struct {
	found                bool // some product of the goal is in the currency
	minAmount, maxAmount decimal.Decimal
	minMonths, maxMonths int
	currencies           []string // sorted
}

// goalRange returns the range the catalogue offers for the goal in the
// currency. A zero maximum amount means no limit.
func (c *Catalogue) goalRange(goal, currency string) goalRange {
	var r goalRange
	for _, i := range c.byGoal[goal] {
		cp := &c.products[i]
		if !slices.Contains(r.currencies, cp.Currency) {
			r.currencies = append(r.currencies, cp.Currency)
		}
		if cp.Currency != currency {
			continue
		}
		lo, hi := cp.amountRange()
		mlo, mhi := cp.termRange()
		if !r.found {
			r.minAmount, r.maxAmount, r.minMonths, r.maxMonths, r.found = lo, hi, mlo, mhi, true
			continue
		}
		r.minAmount = decimal.Min(r.minAmount, lo)
		if r.maxAmount.IsZero() || hi.IsZero() {
			r.maxAmount = decimal.Zero
		} else {
			r.maxAmount = decimal.Max(r.maxAmount, hi)
		}
		r.minMonths, r.maxMonths = min(r.minMonths, mlo), max(r.maxMonths, mhi)
	}
	slices.Sort(r.currencies)
	return r
}

// ref identifies the product version and rule version of a decision, with
// the product's name in lang.
func (p *compiledProduct) ref(lang string) productRef {
	return productRef{Code: p.Code, Name: p.Name.In(lang), Provider: p.Provider, Kind: p.Kind, Currency: p.Currency,
		RiskClass: p.RiskClass, Complex: p.Complex, ProductVersionID: p.VersionID, Version: p.Version.Version, RulesHash: p.RulesHash}
}

// amountRange returns the amounts a product accepts; for insurance, the sum
// insured. A zero maximum means no limit.
func (p *compiledProduct) amountRange() (decimal.Decimal, decimal.Decimal) {
	if p.Line == LineInsurance {
		return p.Definition.SumInsuredMin, p.Definition.SumInsuredMax
	}
	return p.Definition.MinAmount, p.Definition.MaxAmount
}

func (p *compiledProduct) termRange() (int, int) {
	lo, hi := p.Definition.MinMonths, p.Definition.MaxMonths
	if lo == 0 {
		lo = 1
	}
	if hi == 0 {
		hi = MaxLoanMonths
	}
	return lo, hi
}

// Match ranks the products of the request's goal for the profile. It does
// no I/O: the caller supplies the profile (LoadProfile, ProspectProfile) and
// the localizer of the response language.
func (c *Catalogue) Match(profile Profile, req MatchRequest, l *i18n.Localizer) (MatchResult, error) {
	if err := c.validate(req, profile.Prospect); err != nil {
		return MatchResult{}, err
	}
	lang := l.Lang().String()
	units, _ := ecrm.CurrencyMinorUnits(req.Amount.Currency)
	req.Amount = ecrm.Money{Amount: req.Amount.Amount.Round(units), Currency: req.Amount.Currency}
	// An investor who states no objective is matched against every
	// investment objective; the other goals imply theirs.
	if req.Objective == "" && req.Goal != GoalInvest {
		req.Objective = goalObjective[req.Goal]
	}
	if req.Knowledge != "" {
		profile.Knowledge = req.Knowledge
	}
	if req.LossCapacity == "" {
		req.LossCapacity = profile.LossCapacity
		if a := profile.Assessment; a != nil {
			req.LossCapacity = LossCapacityFor(a.LossCapacity, req.Amount)
		}
	}
	// One activation for every rule of every product: the variables are
	// the same, only the programs differ.
	vars := newRuleVariables(profile, req)
	res := MatchResult{Goal: req.Goal, Amount: req.Amount, Months: req.Months, Eligible: []Offer{}, Excluded: []Exclusion{}}
	// outcomes[slot]: 0 not evaluated yet, 1 true, 2 false.
	outcomes := make([]uint8, c.slots)
	// Products and offers are large: the loop and the eligible list refer
	// to products, and offers are made once the eligible are known.
	goal := c.byGoal[goalKey(req.Goal, req.Purpose)]
	res.Excluded = make([]Exclusion, 0, len(goal))
	eligible := make([]*compiledProduct, 0, len(goal))
	texts := &rangeTexts{l: l}
	for _, i := range goal {
		cp := &c.products[i]
		ref := cp.ref(lang)
		reasons := cp.exclusions(profile, req, texts)
		// A product in another currency is left out for that alone: its
		// ranges and rules were written for amounts in its own currency.
		for _, r := range cp.rules {
			if cp.Currency != req.Amount.Currency {
				break
			}
			if outcomes[r.slot] == 0 {
				outcomes[r.slot] = 2
				if r.evaluate(vars) {
					outcomes[r.slot] = 1
				}
			}
			if outcomes[r.slot] == 2 {
				reasons = append(reasons, Reason{Check: "rule:" + r.ID, Text: r.Reason.In(lang)})
			}
		}
		if len(reasons) > 0 {
			res.Excluded = append(res.Excluded, Exclusion{productRef: ref, Reasons: reasons})
			continue
		}
		eligible = append(eligible, cp)
	}
	offers := make([]Offer, len(eligible))
	for i, cp := range eligible {
		offers[i].productRef = cp.ref(lang)
		for _, d := range cp.Definition.Disclosures {
			offers[i].Disclosures = append(offers[i].Disclosures, d.In(lang))
		}
	}
	errs := computeTerms(eligible, offers, profile, req, l)
	// A product the calculators refuse (a fee the product's own terms make
	// larger than the amount, say) is excluded with the calculator's reason.
	// The others are ranked by sorting their positions rather than the
	// offers themselves, which are large to move; the position breaks the
	// last ties, so the order is that of a stable sort.
	order := make([]int, 0, len(offers))
	for i := range offers {
		if errs[i] != nil {
			res.Excluded = append(res.Excluded, Exclusion{productRef: offers[i].productRef, Reasons: []Reason{{Check: "terms", Text: ecrm.ErrorMessage(errs[i])}}})
			continue
		}
		order = append(order, i)
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := &offers[i], &offers[j]
		if c := a.Terms.sortKey.Cmp(b.Terms.sortKey); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.Code, b.Code), cmp.Compare(i, j))
	})
	res.Eligible = make([]Offer, len(order))
	for i, k := range order {
		res.Eligible[i] = offers[k]
	}
	// Every offer is for the same term: its reason is worded once.
	term := said("term", l.Say("products.why.term", req.Months))
	for i := range res.Eligible {
		o := &res.Eligible[i]
		o.Rank = i + 1
		o.Reasons = offerReasons(o, i == 0, len(res.Eligible), term, req, l)
	}
	res.RankedBy, res.Assumptions = rankingAndAssumptions(req, profile, l)
	return res, nil
}

// parallelTermsFrom is the number of eligible products from which their
// terms are computed on all CPUs: a loan schedule with its APR takes tens of
// microseconds, so a request that many products pass would otherwise spend
// milliseconds pricing them one after the other.
const parallelTermsFrom = 16

// computeTerms fills offers[i].Terms for products[i] and returns each
// product's error.
func computeTerms(products []*compiledProduct, offers []Offer, profile Profile, req MatchRequest, l *i18n.Localizer) []error {
	errs := make([]error, len(products))
	work := func(from, to int) {
		for i := from; i < to; i++ {
			offers[i].Terms, errs[i] = products[i].terms(profile, req, l)
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if len(products) < parallelTermsFrom || workers == 1 {
		work(0, len(products))
		return errs
	}
	var wg sync.WaitGroup
	chunk := (len(products) + workers - 1) / workers
	for from := 0; from < len(products); from += chunk {
		wg.Go(func() { work(from, min(from+chunk, len(products))) })
	}
	wg.Wait()
	return errs
}

// exclusions checks currency, amount and term ranges, the target market and
// the negative target market, returning one reason per failed check.
func (p *compiledProduct) exclusions(profile Profile, req MatchRequest, texts *rangeTexts) []Reason {
	l := texts.l
	var out []Reason
	if p.Currency != req.Amount.Currency {
		return []Reason{{Check: "currency", Text: l.T("products.reason.currency", p.Currency)}}
	}
	{
		lo, hi := p.amountRange()
		switch {
		case req.Amount.Amount.LessThan(lo):
			out = append(out, Reason{Check: "amount_range", Text: texts.amount("products.reason.amount_min", lo, p.Currency)})
		case !hi.IsZero() && req.Amount.Amount.GreaterThan(hi):
			out = append(out, Reason{Check: "amount_range", Text: texts.amount("products.reason.amount_max", hi, p.Currency)})
		}
	}
	if lo, hi := p.termRange(); req.Months < lo || req.Months > hi {
		out = append(out, Reason{Check: "term_range", Text: texts.term(lo, hi)})
	}
	// An assessed client is matched on their knowledge of the product's
	// type, as the gate checks it.
	if a := profile.Assessment; a != nil {
		if area := p.KnowledgeArea(); area != "" {
			profile.Knowledge = a.KnowledgeOf(area)
		}
	}
	out = append(out, TargetMarketReasons(p.Definition.TargetMarket, p.Definition.NegativeTargetMarket, p.RiskClass, profile, req, l)...)
	return out
}

// rangeTexts words the range reasons of one request once per distinct
// range: the products of a line often share their limits, and formatting
// a message takes microseconds.
type rangeTexts struct {
	l       *i18n.Localizer
	terms   map[[2]int]string
	amounts map[[3]string]string // key, amount, currency
}

func (t *rangeTexts) term(lo, hi int) string {
	k := [2]int{lo, hi}
	if s, ok := t.terms[k]; ok {
		return s
	}
	var s string
	if lo == hi {
		s = t.l.T("products.reason.term_fixed", lo)
	} else {
		s = t.l.T("products.reason.term_range", lo, hi)
	}
	if t.terms == nil {
		t.terms = map[[2]int]string{}
	}
	t.terms[k] = s
	return s
}

func (t *rangeTexts) amount(key string, amount decimal.Decimal, currency string) string {
	k := [3]string{key, amount.String(), currency}
	if s, ok := t.amounts[k]; ok {
		return s
	}
	s := t.l.T(key, t.l.Money(ecrm.Money{Amount: amount, Currency: currency}))
	if t.amounts == nil {
		t.amounts = map[[3]string]string{}
	}
	t.amounts[k] = s
	return s
}

// TargetMarketReasons checks a client and request against a product's
// target market (the five MiFID II categories) and negative target market.
// It returns nothing when the client is inside the target market. The
// compliance gate calls it again at the moment an offer is presented.
func TargetMarketReasons(tm TargetMarket, neg NegativeTarget, riskClass int, profile Profile, req MatchRequest, l *i18n.Localizer) []Reason {
	var out []Reason
	clientType := cmp.Or(profile.ClientType, "retail")
	if !slices.Contains(tm.ClientTypes, clientType) {
		out = append(out, said("target_market.client_type", l.Say("products.reason.tm_client_type", i18n.Key("products.client_type."+clientType))))
	}
	knowledge := cmp.Or(profile.Knowledge, "none")
	if slices.Index(knowledgeLevels, knowledge) < slices.Index(knowledgeLevels, tm.MinKnowledge) {
		out = append(out, said("target_market.knowledge", l.Say("products.reason.tm_knowledge", i18n.Key("products.knowledge."+tm.MinKnowledge))))
	}
	loss := cmp.Or(req.LossCapacity, "none")
	if slices.Index(lossCapacities, loss) < slices.Index(lossCapacities, tm.MinLossCapacity) {
		out = append(out, said("target_market.loss_capacity", l.Say("products.reason.tm_loss_capacity", i18n.Key("products.loss."+tm.MinLossCapacity))))
	}
	if req.RiskTolerance > 0 && tm.MinRiskTolerance > req.RiskTolerance {
		out = append(out, said("target_market.risk_tolerance", l.Say("products.reason.tm_risk", riskClass, req.RiskTolerance)))
	}
	if req.Objective != "" && !slices.Contains(tm.Objectives, req.Objective) {
		out = append(out, said("target_market.objective", l.Say("products.reason.tm_objective", i18n.Key("products.objective."+req.Objective))))
	}
	if tm.MinHorizonMonths > 0 && req.Months < tm.MinHorizonMonths {
		out = append(out, said("target_market.horizon", l.Say("products.reason.tm_horizon", tm.MinHorizonMonths)))
	}
	if slices.Contains(neg.KnowledgeLevels, knowledge) {
		out = append(out, said("negative_target_market.knowledge", l.Say("products.reason.ntm_knowledge", i18n.Key("products.knowledge."+knowledge))))
	}
	if neg.RiskToleranceBelow > 0 && req.RiskTolerance > 0 && req.RiskTolerance < neg.RiskToleranceBelow {
		out = append(out, said("negative_target_market.risk_tolerance", l.Say("products.reason.ntm_risk", neg.RiskToleranceBelow)))
	}
	if neg.HorizonBelowMonths > 0 && req.Months < neg.HorizonBelowMonths {
		out = append(out, said("negative_target_market.horizon", l.Say("products.reason.ntm_horizon", neg.HorizonBelowMonths)))
	}
	if neg.Vulnerable && profile.Vulnerable {
		out = append(out, said("negative_target_market.vulnerable", l.Say("products.reason.ntm_vulnerable")))
	}
	if req.Objective != "" && slices.Contains(neg.Objectives, req.Objective) {
		out = append(out, said("negative_target_market.objective", l.Say("products.reason.ntm_objective", i18n.Key("products.objective."+req.Objective))))
	}
	return out
}

// newRuleVariables gives the CEL variables documented on Rule their
// values for the profile and request.
func newRuleVariables(p Profile, req MatchRequest) *ruleVariables {
	existing := p.ExistingProducts
	if existing == nil {
		existing = []string{}
	}
	return &ruleVariables{
		clientAge:              types.Int(p.Age),
		clientResidenceCountry: types.String(p.ResidenceCountry),
		clientAnnualIncomeEUR:  types.Int(p.AnnualIncomeEUR),
		clientEmploymentStatus: types.String(p.EmploymentStatus),
		clientKYCStatus:        types.String(p.KYCStatus),
		clientSegment:          types.String(p.Segment),
		clientType:             types.String(cmp.Or(p.ClientType, "retail")),
		clientIsProspect:       types.Bool(p.Prospect),
		clientVulnerable:       types.Bool(p.Vulnerable),
		clientCreditScore:      types.Int(p.CreditScore),
		clientMonthlyDebtEUR:   types.Int(p.MonthlyDebtEUR),
		clientExistingProducts: types.NewStringList(types.DefaultTypeAdapter, existing),
		requestAmountEUR:       types.Int(toEUR(req.Amount)),
		requestMonths:          types.Int(req.Months),
		requestCurrency:        types.String(req.Amount.Currency),
		requestPurpose:         types.String(req.Purpose),
	}
}

// referenceEURRates convert amounts to whole euros for eligibility
// thresholds only ("income at least 30,000 EUR"); they are fixed policy
// rates reviewed with the rules, never used for pricing or bookings.
var referenceEURRates = map[string]decimal.Decimal{
	"EUR": decimal.NewFromInt(1),
	"RON": decimal.RequireFromString("0.20"),
	"USD": decimal.RequireFromString("0.92"),
	"GBP": decimal.RequireFromString("1.17"),
	"CHF": decimal.RequireFromString("1.05"),
	"HUF": decimal.RequireFromString("0.0025"),
	"PLN": decimal.RequireFromString("0.23"),
	"CZK": decimal.RequireFromString("0.04"),
	"SEK": decimal.RequireFromString("0.087"),
	"DKK": decimal.RequireFromString("0.134"),
	"NOK": decimal.RequireFromString("0.085"),
	"BGN": decimal.RequireFromString("0.5113"),
	"JPY": decimal.RequireFromString("0.0061"),
}

// toEUR converts to whole euros, truncated toward zero: a threshold of
// 30,000 EUR is met by 30,000.99 EUR but not by 29,999.99 EUR.
func toEUR(m ecrm.Money) int64 {
	r, ok := referenceEURRates[m.Currency]
	if !ok {
		return 0
	}
	return m.Amount.Mul(r).IntPart()
}

// terms computes an eligible product's figures with the calculators.
func (p *compiledProduct) terms(profile Profile, req MatchRequest, l *i18n.Localizer) (Terms, error) {
	d := p.Definition
	ccy := p.Currency
	units, _ := ecrm.CurrencyMinorUnits(ccy)
	amount := req.Amount.Amount
	rate := d.rateFor(amount)
	var t Terms
	switch {
	case p.Kind == "consumer_loan" || p.Kind == "mortgage":
		fee := d.UpfrontFeeFixed.Add(d.UpfrontFeePercent.Mul(amount)).Round(units)
		// The offer shows the schedule's headline figures, not its rows:
		// summariseLoan gives exactly CalculateLoan's figures without them.
		s, err := summariseLoan(LoanRequest{Principal: req.Amount, Months: req.Months, NominalAnnualRate: rate, Repayment: AnnuityRepayment,
			UpfrontFee: money(fee, ccy), MonthlyFee: money(d.MonthlyFee, ccy)})
		if err != nil {
			return Terms{}, err
		}
		t = Terms{NominalAnnualRate: &rate, APR: &s.APR, UpfrontFee: &s.UpfrontFee, MonthlyFee: &s.MonthlyFee,
			MonthlyPayment: &s.MonthlyPayment, TotalCost: &s.TotalCost, TotalPayable: &s.TotalPayable, sortKey: s.APR}
		// Ties on APR go to the lower total cost (scaled below any APR step).
		t.sortKey = s.APR.Add(s.TotalCost.Amount.Shift(-12))
	case p.Kind == "term_deposit" || p.Kind == "savings_account":
		tax := decimal.Zero
		if profile.ResidenceCountry == "RO" || profile.ResidenceCountry == "" {
			tax = depositWithholdingTax
		}
		capitalisation := cmp.Or(d.Capitalisation, CapitaliseAtMaturity)
		r, err := CalculateDeposit(DepositRequest{Principal: req.Amount, Months: req.Months, NominalAnnualRate: rate,
			Capitalisation: capitalisation, WithholdingTaxRate: tax})
		if err != nil {
			return Terms{}, err
		}
		t = Terms{NominalAnnualRate: &rate, GrossInterest: &r.GrossInterest, WithholdingTax: &r.Tax, ValueAtMaturity: &r.ValueAtMaturity,
			AnnualEquivalentRate: &r.AnnualEquivalentRate, NetAnnualEquivalentRate: &r.NetAnnualEquivalentRate}
		t.sortKey = r.NetAnnualEquivalentRate.Neg()
	case p.Line == LineBrokerage:
		// Illustration: the entry fee is taken, the rest grows at the
		// expected return less ongoing charges, compounded monthly, rounded
		// half away from zero to the currency's minor units at the end.
		fee := d.UpfrontFeePercent.Mul(amount).Round(units)
		invested := amount.Sub(fee)
		monthly := d.ExpectedAnnualReturn.Sub(d.OngoingCharges).Div(twelve).Truncate(MaxRateDecimalPlaces + 4)
		growth := powTruncated(decimal.NewFromInt(1).Add(monthly), req.Months, 16)
		value := invested.Mul(growth).Round(units)
		ret, charges := d.ExpectedAnnualReturn, d.OngoingCharges
		t = Terms{ExpectedAnnualReturn: &ret, OngoingCharges: &charges, EntryFee: ptr(money(fee, ccy)), IllustrativeValue: ptr(money(value, ccy)),
			Illustration: l.T("products.illustration", l.Percent(ret, 2), l.Percent(charges, 2)),
			RiskWarning:  l.T("products.risk_warning", p.RiskClass)}
		// Best fit first: distance between risk class and tolerance, then
		// the higher illustrative value.
		dist := int64(p.RiskClass - req.RiskTolerance)
		if dist < 0 {
			dist = -dist
		}
		t.sortKey = decimal.NewFromInt(dist).Sub(value.Shift(-12))
	case p.Line == LineInsurance:
		// Indicative premium: base plus rate per 1,000 insured, pro rata for
		// terms under a year. The questionnaire journey prices precisely.
		annual := d.AnnualPremiumBase.Add(d.PremiumPer1000.Mul(amount).Div(decimal.NewFromInt(1000)))
		months := decimal.NewFromInt(int64(min(req.Months, 12)))
		premium := annual.Mul(months).Div(twelve).Round(units)
		t = Terms{Premium: ptr(money(premium, ccy)), sortKey: premium}
	default:
		return Terms{}, fmt.Errorf("product kind %s has no terms", p.Kind)
	}
	return t, nil
}

func ptr[T any](v T) *T { return &v }

// assessmentAssumption says what investments were matched on: the
// suitability assessment, or — as the gate says — none, and what was
// inferred instead.
func assessmentAssumption(profile Profile, l *i18n.Localizer) string {
	switch a := profile.Assessment; {
	case a != nil:
		return l.T("suitability.match.assessed", l.Date(a.AssessedAt), a.RiskClass, l.Money(a.LossCapacity))
	case profile.Prospect:
		return l.T("suitability.match.prospect")
	}
	return l.T("suitability.match.no_assessment")
}

// offerReasons explains an offer's place in the ranking; term is the
// reason that states the request's term.
func offerReasons(o *Offer, first bool, n int, term Reason, req MatchRequest, l *i18n.Localizer) []Reason {
	out := make([]Reason, 0, 4)
	if first && n > 1 {
		switch req.Goal {
		case GoalBorrow:
			out = append(out, said("rank.lowest_apr", l.Say("products.why.lowest_apr")))
		case GoalDeposit:
			out = append(out, said("rank.highest_yield", l.Say("products.why.highest_yield")))
		case GoalInvest:
			out = append(out, said("rank.best_fit", l.Say("products.why.best_fit")))
		case GoalInsure:
			out = append(out, said("rank.lowest_premium", l.Say("products.why.lowest_premium")))
		}
	}
	out = append(out, term)
	t := o.Terms
	switch req.Goal {
	case GoalBorrow:
		out = append(out, said("apr", l.Say("products.why.apr", i18n.Ratio{Value: *t.APR, Places: 2}, *t.MonthlyPayment)))
		if t.UpfrontFee.IsZero() && t.MonthlyFee.IsZero() {
			out = append(out, said("no_fees", l.Say("products.why.no_fees")))
		}
	case GoalDeposit:
		out = append(out, said("net_yield", l.Say("products.why.net_yield", i18n.Ratio{Value: *t.NetAnnualEquivalentRate, Places: 2}, *t.ValueAtMaturity)))
	case GoalInvest:
		out = append(out, said("risk_fit", l.Say("products.why.risk_fit", o.RiskClass, req.RiskTolerance)))
	}
	return out
}

func rankingAndAssumptions(req MatchRequest, profile Profile, l *i18n.Localizer) (string, []string) {
	out := []string{l.T("products.assumption.thresholds")}
	switch req.Goal {
	case GoalBorrow:
		return "apr", append(out, l.T("products.assumption.loans"))
	case GoalDeposit:
		if profile.ResidenceCountry == "RO" || profile.ResidenceCountry == "" {
			out = append(out, l.T("products.assumption.tax"))
		}
		return "net_annual_equivalent_rate", out
	case GoalInvest:
		return "risk_fit", append(out, l.T("products.assumption.illustration"), assessmentAssumption(profile, l))
	default:
		return "premium", append(out, l.T("products.assumption.premium"))
	}
}
