package insurance

import (
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// The shapes programme selection hands to the journey's pages, the
// demands-and-needs statement and quoting (issue 16, item 3). Selection
// (selection.go) fills them; the journey pages show them as the applicant
// answers; a chosen candidate becomes a quote that binding turns into a
// policy.

// Outcome is what a programme's underwriting rules decide on the answers.
type Outcome string

const (
	// OutcomeAccept: the insurer takes the risk at the rated premium.
	OutcomeAccept Outcome = "accept"
	// OutcomeRefer: an underwriter must look at the answers before a
	// policy can be bound; the premium shown is indicative.
	OutcomeRefer Outcome = "refer"
	// OutcomeDecline: the insurer does not take the risk; shown as an
	// exclusion with the reason, never offered.
	OutcomeDecline Outcome = "decline"
)

// Reason is a sentence from the message catalogue with its arguments, so
// that pages and the statement say it in the reader's language.
type Reason struct {
	Key  string `json:"key"`
	Args []any  `json:"args,omitempty"`
	// Text, when set, is a firm-written text in each language (an
	// underwriting rule's reason, a programme's exclusion), said in place
	// of the key.
	Text *ecrm.Text `json:"text,omitempty"`
}

// Factor is one line of a premium's breakdown: the rating table's factor
// (age band, sum insured, region, deductible, a risk answer) with the
// value it was looked up by, its multiplier or loading, and the premium
// after it is applied.
type Factor struct {
	// Name is the rating factor's catalogue key.
	Name string `json:"name"`
	// Basis is the answer or band the factor was read for, as shown.
	Basis string `json:"basis"`
	// Multiplier is the factor itself (1.25 adds 25 %); zero for an
	// additive loading.
	Multiplier decimal.Decimal `json:"multiplier"`
	// Loading is an amount added, zero for a multiplier.
	Loading decimal.Decimal `json:"loading"`
	// Running is the premium after this factor, rounded to the currency.
	Running decimal.Decimal `json:"running"`
}

// Candidate is one programme of one insurer rated on the answers so far.
type Candidate struct {
	ProgrammeID int64  `json:"programme_id"`
	ProductID   int64  `json:"product_id"`
	ProductCode string `json:"product_code"`
	Insurer     string `json:"insurer"`
	Name        string `json:"name"`
	// Line is the insurance line: life, health, home, motor, travel,
	// liability, accident (income protection is rated as accident).
	Line    string  `json:"line"`
	Outcome Outcome `json:"outcome"`
	// Rank orders the candidates of one line, 1 the best; zero for a
	// declined one.
	Rank int `json:"rank"`
	// Premium is for the whole term, in Currency, exact to the cent.
	Premium    decimal.Decimal `json:"premium"`
	Currency   string          `json:"currency"`
	SumInsured decimal.Decimal `json:"sum_insured"`
	TermMonths int             `json:"term_months"`
	Breakdown  []Factor        `json:"breakdown"`
	// Reasons say why it fits (and why it ranks where it does);
	// Exclusions what it does not cover or why it was declined or referred.
	Reasons    []Reason `json:"reasons"`
	Exclusions []Reason `json:"exclusions,omitempty"`
	// Missing lists the linkIds still unanswered that the rating needs:
	// while any is, the premium is indicative.
	Missing []string `json:"missing,omitempty"`
	// The versions the premium was computed under; a bind under other
	// versions re-prices.
	RulesVersion  string `json:"rules_version"`
	RatingVersion string `json:"rating_version"`

	// Added by the rating (selection.go):

	// Title is the programme's name in each language (Name is the
	// English one).
	Title ecrm.Text `json:"title"`
	// Deductible is the excess the programme gives on the applicant's
	// needs.deductible (zero for a programme without one).
	Deductible decimal.Decimal `json:"deductible"`
	// CoverLevel is the programme's breadth of cover in its line (1
	// basic, 2 standard, 3 wide); Cover is rca or casco for motor.
	CoverLevel int    `json:"cover_level"`
	Cover      string `json:"cover,omitempty"`
	// Indicative is true while Missing is not empty.
	Indicative bool `json:"indicative"`
	// MonthlyPremium is Premium / TermMonths, rounded half-up to the
	// cent: what the budget is compared with.
	MonthlyPremium decimal.Decimal `json:"monthly_premium"`
	// The exact versions rated under (ids of product_versions and
	// insurance_programme_versions).
	ProductVersionID int64 `json:"product_version_id"`
	RulesVersionID   int64 `json:"rules_version_id"`
	RatingVersionID  int64 `json:"rating_version_id"`
}

// Bundle is several lines taken together: each part's price and the
// total.
type Bundle struct {
	Parts    []Candidate     `json:"parts"`
	Total    decimal.Decimal `json:"total"`
	Currency string          `json:"currency"`
	// MonthlyTotal is the sum of the parts' monthly premiums: what the
	// applicant's monthly budget is compared with.
	MonthlyTotal decimal.Decimal `json:"monthly_total"`
}

// Selection is the ranked result for one set of answers.
type Selection struct {
	// Candidates by line, best first within each line, declined last.
	Candidates []Candidate `json:"candidates"`
	// Bundle is the best accepted candidate of each line asked for, when
	// more than one line is.
	Bundle *Bundle `json:"bundle,omitempty"`
}
