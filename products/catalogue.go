package products

import (
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// Product lines and the kinds of product each line offers. The matching
// engine maps a client's goal (borrow, deposit, invest, insure) onto kinds.
const (
	LineBanking   = "banking"
	LineBrokerage = "brokerage"
	LineInsurance = "insurance"
)

var lineKinds = map[string][]string{
	LineBanking: {"current_account", "savings_account", "term_deposit", "consumer_loan", "mortgage", "credit_card"},
	LineBrokerage: {"money_market_fund", "bond_fund", "equity_fund", "etf", "government_bond", "corporate_bond",
		"high_yield_bond", "structured_note", "listed_option",
		// A diversified model portfolio (a managed mix of funds in the
		// proportions of one risk class's model), and a proposal to bring
		// a portfolio back to its model (matched only when proposed:
		// ProposalPurpose); both offered by targeted programmes
		// (docs/programmes.md).
		"model_portfolio", "portfolio_rebalancing",
		// Hedges of a holding, proposed by the risk package's hedging
		// engine (never matched to a goal: they protect what is held).
		"protective_put", "collar", "rebalancing"},
	LineInsurance: {"life", "health", "home", "motor", "travel", "liability", "accident"},
}

// Knowledge and experience levels, lowest first (MiFID II target market
// category 2). A client meets a target market when their level is at least
// the product's minimum.
var knowledgeLevels = []string{"none", "basic", "informed", "advanced"}

// Loss capacity, lowest first (target market category 3): "none" means the
// client cannot bear any loss of capital, "beyond_capital" that they can bear
// losses beyond the amount invested (e.g. written options).
var lossCapacities = []string{"none", "limited", "full_capital", "beyond_capital"}

var clientTypes = []string{"retail", "professional"}

var objectives = []string{"payments", "preservation", "income", "growth", "borrowing", "protection", "hedging"}

// Product is a catalogue entry with the version that is live now (or, when
// read by version id, the version asked for).
type Product struct {
	ID       int64  `json:"id"`
	Code     string `json:"code"`
	Line     string `json:"line"`
	Kind     string `json:"kind"`
	Provider string `json:"provider"`
	Currency string `json:"currency"`
	Active   bool   `json:"active"`
	Version
}

// Version is one immutable version of a product's terms and rules.
type Version struct {
	VersionID  int64      `json:"version_id"`
	Version    int        `json:"version"`
	Name       Text       `json:"name"`
	RiskClass  int        `json:"risk_class"`
	Complex    bool       `json:"complex"`
	Definition Definition `json:"definition"`
	Rules      []Rule     `json:"rules"`
	RulesHash  string     `json:"rules_hash"`
	ValidFrom  time.Time  `json:"valid_from"`
}

// ProductInput is a product as an administrator writes it: the body of
// POST/PUT /api/v1/products and one element of the import/export file.
type ProductInput struct {
	Code       string     `json:"code"`
	Name       Text       `json:"name"`
	Line       string     `json:"line"`
	Kind       string     `json:"kind"`
	Provider   string     `json:"provider"`
	Currency   string     `json:"currency"`
	Active     *bool      `json:"active,omitempty"`
	RiskClass  int        `json:"risk_class"`
	Complex    bool       `json:"complex"`
	Definition Definition `json:"definition"`
	Rules      []Rule     `json:"rules"`
}

// Definition holds a version's terms. Amounts are decimals in the product's
// currency; rates are annual fractions (0.0525 is 5.25 %).
type Definition struct {
	Description Text `json:"description,omitzero"`
	// Rate tiers by amount: the tier with the highest MinAmount not above the
	// amount applies to the whole amount (how Romanian banks publish tiered
	// deposit and loan rates). A single tier with MinAmount 0 is a flat rate.
	RateTiers []RateTier `json:"rate_tiers,omitempty"`
	// Capitalisation of deposits and savings (calculator values).
	Capitalisation Capitalisation `json:"capitalisation,omitempty"`
	// Fees: a fixed amount plus a fraction of the amount, charged up front;
	// a monthly fee (loans: account administration); an annual fee (cards);
	// ongoing charges a year (funds, as a fraction).
	UpfrontFeeFixed   decimal.Decimal `json:"upfront_fee_fixed,omitzero"`
	UpfrontFeePercent decimal.Decimal `json:"upfront_fee_percent,omitzero"`
	MonthlyFee        decimal.Decimal `json:"monthly_fee,omitzero"`
	AnnualFee         decimal.Decimal `json:"annual_fee,omitzero"`
	OngoingCharges    decimal.Decimal `json:"ongoing_charges,omitzero"`
	// ExpectedAnnualReturn is the gross return assumed for the illustration
	// of an investment's value at the horizon. It is an assumption, never a
	// promise, and is shown with a risk warning.
	ExpectedAnnualReturn decimal.Decimal `json:"expected_annual_return,omitzero"`
	// Term and amount ranges accepted; MaxMonths 0 means open-ended.
	MinMonths int             `json:"min_months,omitempty"`
	MaxMonths int             `json:"max_months,omitempty"`
	MinAmount decimal.Decimal `json:"min_amount,omitzero"`
	MaxAmount decimal.Decimal `json:"max_amount,omitzero"`
	// Insurance premium bases for the questionnaire issue: an annual base
	// premium plus a rate per 1,000 of sum insured.
	AnnualPremiumBase    decimal.Decimal `json:"annual_premium_base,omitzero"`
	PremiumPer1000       decimal.Decimal `json:"premium_per_1000,omitzero"`
	SumInsuredMin        decimal.Decimal `json:"sum_insured_min,omitzero"`
	SumInsuredMax        decimal.Decimal `json:"sum_insured_max,omitzero"`
	TargetMarket         TargetMarket    `json:"target_market"`
	NegativeTargetMarket NegativeTarget  `json:"negative_target_market,omitzero"`
	Disclosures          []Text          `json:"disclosures,omitempty"`
}

// Bounds of a product's texts and lists, documented in openapi.json.
const (
	maxNameLength        = 200  // name, provider
	maxDescriptionLength = 2000 // description and each disclosure, per language
	maxReasonLength      = 500  // a rule's reason, per language
	maxListItems         = 50   // rules, rate tiers, disclosures
)

// Text is a short text in each catalogue language.
type Text = ecrm.Text

// RateTier is the rate that applies from MinAmount upwards.
type RateTier struct {
	MinAmount decimal.Decimal `json:"min_amount"`
	Rate      decimal.Decimal `json:"rate"`
}

// TargetMarket is the positive target market in the five categories MiFID II
// (ESMA guidelines on product governance) asks firms to define.
type TargetMarket struct {
	ClientTypes      []string `json:"client_types"`
	MinKnowledge     string   `json:"min_knowledge"`
	MinLossCapacity  string   `json:"min_loss_capacity"`
	MinRiskTolerance int      `json:"min_risk_tolerance"`
	Objectives       []string `json:"objectives"`
	MinHorizonMonths int      `json:"min_horizon_months,omitempty"`
}

// NegativeTarget lists clients the product must not be sold to.
type NegativeTarget struct {
	// KnowledgeLevels excluded outright (e.g. "none" for options).
	KnowledgeLevels []string `json:"knowledge_levels,omitempty"`
	// RiskToleranceBelow excludes clients whose tolerance is lower.
	RiskToleranceBelow int `json:"risk_tolerance_below,omitempty"`
	// HorizonBelowMonths excludes requests shorter than this.
	HorizonBelowMonths int `json:"horizon_below_months,omitempty"`
	// Vulnerable excludes clients flagged as vulnerable.
	Vulnerable bool `json:"vulnerable,omitempty"`
	// Objectives excluded (e.g. "preservation" for a high-yield bond).
	Objectives []string `json:"objectives,omitempty"`
}

var codePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{1,39}$`)

// validate checks everything but the rules (see compileRules) and returns
// one problem per field, so an administrator sees every mistake at once.
func (in ProductInput) validate(p *fieldProblems) {
	if !codePattern.MatchString(in.Code) {
		p.add("code", "must be 2 to 40 upper-case letters, digits, _ or -, starting with a letter or digit")
	}
	if in.Name.EN == "" {
		p.add("name.en", "is required")
	}
	if in.Name.RO == "" {
		p.add("name.ro", "is required: every product has a name in English and in Romanian")
	}
	p.text("name.en", in.Name.EN, maxNameLength)
	p.text("name.ro", in.Name.RO, maxNameLength)
	p.text("provider", in.Provider, maxNameLength)
	kinds, ok := lineKinds[in.Line]
	if !ok {
		p.add("line", "must be one of banking, brokerage, insurance")
	} else if !slices.Contains(kinds, in.Kind) {
		p.add("kind", "must be one of %v for line %s", kinds, in.Line)
	}
	if in.Provider == "" {
		p.add("provider", "is required")
	}
	units, known := ecrm.CurrencyMinorUnits(in.Currency)
	if !known {
		p.add("currency", "must be a supported ISO 4217 code such as EUR or RON")
	}
	if in.RiskClass < 1 || in.RiskClass > 7 {
		p.add("risk_class", "must be between 1 and 7")
	}
	d := in.Definition
	p.text("definition.description.en", d.Description.EN, maxDescriptionLength)
	p.text("definition.description.ro", d.Description.RO, maxDescriptionLength)
	p.list("definition.disclosures", len(d.Disclosures), maxListItems)
	for i, t := range d.Disclosures {
		p.text(fmt.Sprintf("definition.disclosures[%d].en", i), t.EN, maxDescriptionLength)
		p.text(fmt.Sprintf("definition.disclosures[%d].ro", i), t.RO, maxDescriptionLength)
	}
	p.list("definition.rate_tiers", len(d.RateTiers), maxListItems)
	p.list("rules", len(in.Rules), maxListItems)
	for i, r := range in.Rules {
		p.text(fmt.Sprintf("rules[%d].reason.en", i), r.Reason.EN, maxReasonLength)
		p.text(fmt.Sprintf("rules[%d].reason.ro", i), r.Reason.RO, maxReasonLength)
	}
	amount := func(field string, v decimal.Decimal) {
		if v.IsNegative() || v.GreaterThan(maxPrincipal) {
			p.add("definition."+field, "must be between 0 and %d", MaxPrincipal)
		} else if known && !v.Equal(v.Truncate(units)) {
			p.add("definition."+field, "%s has at most %d decimal places", in.Currency, units)
		}
	}
	for i, t := range d.RateTiers {
		amount(fmt.Sprintf("rate_tiers[%d].min_amount", i), t.MinAmount)
		p.rate(fmt.Sprintf("definition.rate_tiers[%d].rate", i), t.Rate)
		if i > 0 && !t.MinAmount.GreaterThan(d.RateTiers[i-1].MinAmount) {
			p.add(fmt.Sprintf("definition.rate_tiers[%d].min_amount", i), "must be greater than the previous tier's")
		}
	}
	if _, ok := monthsPerPeriod[d.Capitalisation]; d.Capitalisation != "" && !ok {
		p.add("definition.capitalisation", "must be one of at_maturity, monthly, quarterly, annually")
	}
	amount("upfront_fee_fixed", d.UpfrontFeeFixed)
	amount("monthly_fee", d.MonthlyFee)
	amount("annual_fee", d.AnnualFee)
	amount("min_amount", d.MinAmount)
	amount("max_amount", d.MaxAmount)
	amount("annual_premium_base", d.AnnualPremiumBase)
	amount("sum_insured_min", d.SumInsuredMin)
	amount("sum_insured_max", d.SumInsuredMax)
	p.rate("definition.upfront_fee_percent", d.UpfrontFeePercent)
	p.rate("definition.ongoing_charges", d.OngoingCharges)
	if d.PremiumPer1000.IsNegative() || d.PremiumPer1000.GreaterThan(decimal.NewFromInt(1000)) || !d.PremiumPer1000.Equal(d.PremiumPer1000.Truncate(4)) {
		p.add("definition.premium_per_1000", "must be between 0 and 1000 with at most 4 decimal places")
	}
	if d.ExpectedAnnualReturn.LessThan(decimal.NewFromInt(-1)) || d.ExpectedAnnualReturn.GreaterThan(maxRate) {
		p.add("definition.expected_annual_return", "must be between -1 and 1, as a fraction")
	}
	if d.MinMonths < 0 || d.MinMonths > MaxLoanMonths {
		p.add("definition.min_months", "must be between 0 and %d", MaxLoanMonths)
	}
	if d.MaxMonths != 0 && (d.MaxMonths < d.MinMonths || d.MaxMonths > MaxLoanMonths) {
		p.add("definition.max_months", "must be 0 (open-ended) or between min_months (%d) and %d", d.MinMonths, MaxLoanMonths)
	}
	if !d.MaxAmount.IsZero() && d.MaxAmount.LessThan(d.MinAmount) {
		p.add("definition.max_amount", "must be 0 (no limit) or at least min_amount (%s)", d.MinAmount)
	}
	tm := d.TargetMarket
	if len(tm.ClientTypes) == 0 {
		p.add("definition.target_market.client_types", "must list at least one of %v", clientTypes)
	}
	for i, c := range tm.ClientTypes {
		if !slices.Contains(clientTypes, c) {
			p.add(fmt.Sprintf("definition.target_market.client_types[%d]", i), "must be one of %v", clientTypes)
		}
	}
	if !slices.Contains(knowledgeLevels, tm.MinKnowledge) {
		p.add("definition.target_market.min_knowledge", "must be one of %v", knowledgeLevels)
	}
	if !slices.Contains(lossCapacities, tm.MinLossCapacity) {
		p.add("definition.target_market.min_loss_capacity", "must be one of %v", lossCapacities)
	}
	if tm.MinRiskTolerance < 1 || tm.MinRiskTolerance > 7 {
		p.add("definition.target_market.min_risk_tolerance", "must be between 1 and 7")
	}
	if len(tm.Objectives) == 0 {
		p.add("definition.target_market.objectives", "must list at least one of %v", objectives)
	}
	for i, o := range tm.Objectives {
		if !slices.Contains(objectives, o) {
			p.add(fmt.Sprintf("definition.target_market.objectives[%d]", i), "must be one of %v", objectives)
		}
	}
	if tm.MinHorizonMonths < 0 || tm.MinHorizonMonths > MaxLoanMonths {
		p.add("definition.target_market.min_horizon_months", "must be between 0 and %d", MaxLoanMonths)
	}
	n := d.NegativeTargetMarket
	for i, k := range n.KnowledgeLevels {
		if !slices.Contains(knowledgeLevels, k) {
			p.add(fmt.Sprintf("definition.negative_target_market.knowledge_levels[%d]", i), "must be one of %v", knowledgeLevels)
		}
	}
	for i, o := range n.Objectives {
		if !slices.Contains(objectives, o) {
			p.add(fmt.Sprintf("definition.negative_target_market.objectives[%d]", i), "must be one of %v", objectives)
		}
	}
	if n.RiskToleranceBelow < 0 || n.RiskToleranceBelow > 7 {
		p.add("definition.negative_target_market.risk_tolerance_below", "must be between 0 and 7")
	}
}

// rateFor returns the tiered rate for an amount: the last tier whose
// MinAmount is not above it.
func (d Definition) rateFor(amount decimal.Decimal) decimal.Decimal {
	rate := decimal.Zero
	for _, t := range d.RateTiers {
		if t.MinAmount.GreaterThan(amount) {
			break
		}
		rate = t.Rate
	}
	return rate
}
