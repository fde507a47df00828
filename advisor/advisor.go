// Package advisor is the staff workspace of ecrm: the console an advisor
// works in every day, and the read-only view compliance officers and admins
// get of the same records.
//
// It serves the console's home page (the advisor's book at a glance, recent
// contacts, clients behind on a credit line), the client list with search
// and paging, the client 360 (profile, household, consents, accounts,
// portfolio, insurance, credit lines, contacts on every channel, profile
// history), the credit history with its payment timeline and delinquency
// summary, shown only for a stated purpose, and the form that logs a
// contact; each page has a JSON mirror under /api/v1/clients.
//
// Authorization is deny by default and enforced in SQL: an advisor reaches
// only the clients whose advisor they are (clients.advisor_id), compliance
// and admin read every client, and only advisors write. A client outside
// the caller's reach is not found (404), never fetched and then refused.
// Every view of a client 360 and of a credit history is written to
// staff_access_log in the same transaction as the read.
//
// Later issues add tasks with deadlines, deals and the next-best-offer
// (cross-sell) engine here.
package advisor

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// Scope is which clients a member of staff reaches. It is derived from the
// principal once per request and turned into a SQL condition by every query.
type Scope struct {
	StaffID int64
	// Book limits the scope to the clients whose advisor is StaffID. When
	// false the staff member reads every client (compliance, admin).
	Book bool
}

// advisorFilter is the value of the queries' advisor parameter: the staff
// id for a book scope, NULL (every client) otherwise.
func (s Scope) advisorFilter() *int64 {
	if s.Book {
		id := s.StaffID
		return &id
	}
	return nil
}

// ReadScope returns what p may read: compliance and admin every client, an
// advisor their book. Anyone else is refused: an anonymous caller with
// EUNAUTHORIZED, a client or a staff member without these roles with
// EFORBIDDEN.
func ReadScope(p *ecrm.Principal) (Scope, error) {
	switch {
	case p == nil:
		return Scope{}, ecrm.Errorf(ecrm.EUNAUTHORIZED, "console.error.login_first")
	case p.Kind != ecrm.PrincipalStaff || p.StaffID <= 0:
		return Scope{}, ecrm.Errorf(ecrm.EFORBIDDEN, "console.error.forbidden")
	case p.HasRole(ecrm.RoleCompliance) || p.HasRole(ecrm.RoleAdmin):
		return Scope{StaffID: p.StaffID}, nil
	case p.HasRole(ecrm.RoleAdvisor):
		return Scope{StaffID: p.StaffID, Book: true}, nil
	}
	return Scope{}, ecrm.Errorf(ecrm.EFORBIDDEN, "console.error.forbidden")
}

// WriteScope returns the clients p may write to (log a contact): only an
// advisor, and only in their own book, even when they also hold a
// read-everything role. Compliance and admin are read-only here.
func WriteScope(p *ecrm.Principal) (Scope, error) {
	if _, err := ReadScope(p); err != nil {
		return Scope{}, err
	}
	if !p.HasRole(ecrm.RoleAdvisor) {
		return Scope{}, ecrm.Errorf(ecrm.EFORBIDDEN, "console.error.read_only")
	}
	return Scope{StaffID: p.StaffID, Book: true}, nil
}

// Segments are the client segments, in the order the console lists them.
var Segments = []string{"mass", "emerging_affluent", "affluent", "private", "prospect"}

// Channels are the contact channels an interaction is logged on.
var Channels = []string{"phone", "fax", "web", "mail", "visit", "email"}

// Directions say who started a contact.
var Directions = []string{"inbound", "outbound"}

// Purpose is why a member of staff opens a client's credit history. It is
// recorded in the staff access log with the view.
type Purpose string

// The purposes a credit history may be opened for.
const (
	PurposeCreditApplication Purpose = "credit_application"
	PurposeAccountReview     Purpose = "account_review"
	PurposeCollections       Purpose = "collections"
	PurposeComplaint         Purpose = "complaint"
	PurposeRegulatoryRequest Purpose = "regulatory_request"
	// PurposeServiceRequest is answering the client's own request (not
	// offered for the credit history).
	PurposeServiceRequest Purpose = "service_request"
)

// Purposes lists every purpose, in the order the purpose form offers them.
var Purposes = []Purpose{PurposeCreditApplication, PurposeAccountReview, PurposeCollections, PurposeComplaint, PurposeRegulatoryRequest}

// ParsePurpose checks a stated purpose; a missing or unknown one is an
// EINVALID error about the field "purpose".
func ParsePurpose(s string) (Purpose, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalid(ecrm.FieldError{Field: "purpose", Message: "console.purpose.error.required"})
	}
	if !slices.Contains(Purposes, Purpose(s)) {
		return "", invalid(ecrm.FieldError{Field: "purpose", Message: "console.purpose.error.unknown"})
	}
	return Purpose(s), nil
}

// invalid returns an EINVALID error carrying one entry per field at fault.
// Messages are catalogue keys; the HTTP layer translates them.
func invalid(fields ...ecrm.FieldError) *ecrm.Error {
	e := &ecrm.Error{Code: ecrm.EINVALID, Message: "console.error.invalid_input", Fields: fields}
	if len(fields) == 1 {
		e.Field = fields[0].Field
	}
	return e
}

// ClientFilter selects and pages the client list.
type ClientFilter struct {
	// Query is a family-name prefix ("pop"), a given name followed by a
	// family-name prefix ("ana pop"), a family name followed by a
	// given-name prefix ("popescu an"), or, when it holds an "@", an e-mail
	// prefix. Case and diacritics are ignored ("stef" finds "Ștefănescu").
	Query string
	// Segment, when not empty, keeps the clients of that segment.
	Segment string
	// Sort is the list's order: SortName (the default), SortNameDesc,
	// SortYoungest or SortOldest; clients whose age is not known come
	// last in both age orders.
	Sort string
	// After is the cursor of the previous page's last client (ClientPage.Next).
	After string
	// Limit is the page size, 1 to MaxPageSize; 0 means DefaultPageSize.
	Limit int
}

// Orders of the client list.
const (
	SortName     = "name"
	SortNameDesc = "-name"
	SortYoungest = "age"
	SortOldest   = "-age"
)

// Sorts are the orders the client list offers.
var Sorts = []string{SortName, SortNameDesc, SortYoungest, SortOldest}

// Page sizes of the client list.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
	maxQueryLength  = 100
)

// ClientSummary is one row of the client list.
type ClientSummary struct {
	ID         int64
	GivenName  string
	FamilyName string
	BirthDate  *time.Time
	// Age in whole years today, nil when the birth date is unknown.
	Age        *int
	Segment    string
	KYCStatus  string
	Vulnerable bool
	Email      string
	// Balances is the net balance of the client's open accounts, one
	// amount per currency (deposits positive, loans and cards negative).
	Balances []ecrm.Money
}

// Name is the name as written in text: "Ana Popescu".
func (c ClientSummary) Name() string { return c.GivenName + " " + c.FamilyName }

// SortName is the name as the list sorts it: "Popescu, Ana".
func (c ClientSummary) SortName() string { return c.FamilyName + ", " + c.GivenName }

// ClientPage is one page of the client list.
type ClientPage struct {
	Clients []ClientSummary
	// Next is the cursor of the following page, "" on the last page.
	Next string
}

// Home is the console's start page.
type Home struct {
	// Book is true for an advisor, whose figures cover their book; false
	// for compliance and admin, whose figures cover every client.
	Book bool
	// Clients is the number of clients in the scope.
	Clients  int
	Segments []SegmentCount
	// Attention lists the book's credit lines whose latest monthly payment
	// was 30 or more days late or in default (advisor only).
	Attention []AttentionItem
	// Recent is the book's latest contacts of the last 30 days, newest
	// first (advisor only).
	Recent []RecentInteraction
}

// SegmentCount is the number of clients in one segment.
type SegmentCount struct {
	Segment    string
	Clients    int
	Vulnerable int
	// KYCOpen counts clients whose KYC is not verified (pending, expired
	// or rejected).
	KYCOpen int
}

// AttentionItem is a credit line currently behind on payments.
type AttentionItem struct {
	ClientID     int64
	GivenName    string
	FamilyName   string
	CreditLineID int64
	Kind         string
	Lender       string
	Balance      ecrm.Money
	Status       PaymentStatus
	Month        time.Time
}

// Name is the client's name.
func (a AttentionItem) Name() string { return a.GivenName + " " + a.FamilyName }

// RecentInteraction is a contact shown on the home page.
type RecentInteraction struct {
	Interaction
	GivenName  string
	FamilyName string
}

// Name is the client's name.
func (r RecentInteraction) Name() string { return r.GivenName + " " + r.FamilyName }

// Client is a client's profile.
type Client struct {
	ID                int64
	Kind              string
	GivenName         string
	FamilyName        string
	BirthDate         *time.Time
	MaritalStatus     string
	Dependants        int
	AnnualIncome      *ecrm.Money
	EmploymentStatus  string
	Occupation        string
	Employer          string
	AddressLine1      string
	AddressLine2      string
	City              string
	PostalCode        string
	Country           string
	Email             string
	EmailVerified     bool
	Phone             string
	PreferredChannel  string
	PreferredLanguage string
	KYCStatus         string
	KYCVerifiedAt     *time.Time
	Vulnerable        bool
	Segment           string
	AdvisorID         *int64
	AdvisorName       string
	HouseholdID       *int64
	HouseholdName     string
	CreatedAt         time.Time
}

// Name is the client's name: "Ana Popescu".
func (c Client) Name() string { return c.GivenName + " " + c.FamilyName }

// Client360 is everything the console shows about one client.
type Client360 struct {
	Client
	// Age in whole years today, nil when the birth date is unknown.
	Age *int
	// LifeStage is the client's stage of life (see LifeStage).
	LifeStage        string
	HouseholdMembers []RelatedClient
	Relationships    []RelatedClient
	Consents         []Consent
	Accounts         []Account
	// AccountTotals is the net balance of the open accounts per currency.
	AccountTotals []ecrm.Money
	Positions     []Position
	// PortfolioTotals is the market value of the positions per currency,
	// for the positions that have a price.
	PortfolioTotals []ecrm.Money
	Policies        []Policy
	CreditLines     []CreditLine
	// Interactions are the latest contacts, newest first, on
	// InteractionChannel only when it is set.
	Interactions       []Interaction
	InteractionChannel string
	// MoreInteractions is true when older contacts exist beyond
	// Interactions.
	MoreInteractions bool
	Changes          []ProfileChange
	// MoreChanges is true when older profile changes exist beyond Changes.
	MoreChanges bool
	// Needs are the client's needs as crosssell's rules name them today,
	// most pressing first.
	Needs []crosssell.Need
}

// AgeYears is Age for templates, which cannot dereference it; 0 when
// unknown.
func (c *Client360) AgeYears() int {
	if c.Age == nil {
		return 0
	}
	return *c.Age
}

// RelatedClient is another client linked to this one, by household or by a
// relationship. Reachable says whether the viewer may open that client.
type RelatedClient struct {
	ID         int64
	GivenName  string
	FamilyName string
	// Kind is the relationship from this client's side: "spouse",
	// "partner", "dependant" (the other is this client's dependant),
	// "parent", "joint_holder"; empty for a household member.
	Kind      string
	Since     *time.Time
	Reachable bool
}

// Name is the related client's name.
func (r RelatedClient) Name() string { return r.GivenName + " " + r.FamilyName }

// Consent is the latest record for one purpose and channel: the consent in
// force.
type Consent struct {
	Purpose        string
	Channel        string
	Granted        bool
	WordingVersion string
	Source         string
	RecordedAt     time.Time
}

// Account is a bank account with its balance.
type Account struct {
	ID           int64
	Kind         string
	IBAN         string
	Name         ecrm.Text
	Balance      ecrm.Money
	CreditLimit  *ecrm.Money
	InterestRate *decimal.Decimal
	OpenedOn     time.Time
	MaturityOn   *time.Time
	ClosedOn     *time.Time
	Status       string
}

// Position is a holding valued at the latest price.
type Position struct {
	ID          int64
	AccountName ecrm.Text
	Symbol      string
	Instrument  string
	Kind        string
	Quantity    decimal.Decimal
	AverageCost ecrm.Money
	// Quotation is how Price and AverageCost are quoted: "unit", or
	// "percent_of_face" (bonds quoted as a percentage of face value).
	Quotation string
	// Price is the latest closing price and PriceDate its date; both nil
	// when the instrument has no price.
	Price     *ecrm.Money
	PriceDate *time.Time
	// MarketValue is quantity × price × contract multiplier (1 except for
	// options), or quantity × face value × price / 100 in percent of face,
	// exact; Gain is MarketValue less the cost of the position.
	// Both are nil without a price. Pages and the API round them to the
	// currency's minor units, half away from zero.
	MarketValue *ecrm.Money
	Gain        *ecrm.Money
}

// Policy is an insurance policy with its premium status and claims.
type Policy struct {
	ID               int64
	Number           string
	Insurer          string
	Line             string
	Status           string
	StartsOn         time.Time
	EndsOn           time.Time
	SumInsured       ecrm.Money
	Premium          ecrm.Money
	PremiumFrequency string
	ShortTerm        bool
	Premiums         PremiumStatus
	Claims           []Claim
}

// PremiumStatus summarises a policy's premium schedule as of today.
type PremiumStatus struct {
	Paid int
	// Overdue counts instalments marked late or missed, or still scheduled
	// with a due date before today; OverdueAmount is their total.
	Overdue       int
	OverdueAmount ecrm.Money
	// NextDue and NextAmount are the next scheduled instalment, due today
	// or later; nil when none is left.
	NextDue    *time.Time
	NextAmount *ecrm.Money
}

// UpToDate reports whether no premium is overdue.
func (p PremiumStatus) UpToDate() bool { return p.Overdue == 0 }

// Claim is an insurance claim.
type Claim struct {
	ID             int64
	PolicyID       int64
	Reference      string
	IncidentOn     time.Time
	ReportedAt     time.Time
	Description    string
	ClaimedAmount  *ecrm.Money
	ApprovedAmount *ecrm.Money
	PaidAmount     *ecrm.Money
	Status         string
}

// CreditLine is a loan, card or overdraft held here or reported by a
// credit bureau.
type CreditLine struct {
	ID             int64
	Kind           string
	Source         string
	Lender         string
	Limit          ecrm.Money
	Balance        ecrm.Money
	InterestRate   *decimal.Decimal
	MonthlyPayment *ecrm.Money
	OpenedOn       time.Time
	ClosedOn       *time.Time
	Status         string
}

// Utilisation is the balance as a fraction of the limit.
func (c CreditLine) Utilisation() decimal.Decimal {
	if c.Limit.Amount.IsZero() {
		return decimal.Zero
	}
	return c.Balance.Amount.DivRound(c.Limit.Amount, 4)
}

// Interaction is one contact with a client.
type Interaction struct {
	ID         int64
	ClientID   int64
	StaffID    *int64
	StaffName  string
	Channel    string
	Direction  string
	Subject    string
	Notes      string
	OccurredAt time.Time
}

// ProfileChange is one change to a client's profile.
type ProfileChange struct {
	Field     string
	OldValue  *string
	NewValue  *string
	ActorKind string
	StaffName string
	ChangedAt time.Time
}

// FieldKey is the catalogue key naming the changed field in words.
func (c ProfileChange) FieldKey() string { return "portal.data.column." + c.Field }

// ValueKey is the catalogue key wording a coded value of the field
// ("married", "email"), or "" for free text shown as entered.
func (c ProfileChange) ValueKey(value string) string {
	if key := "portal.data.value." + c.Field + "." + value; i18n.HasMessage(i18n.English, key) {
		return key
	}
	return ""
}

// How many contacts and profile changes the client 360 shows.
const (
	interactionsShown = 100
	changesShown      = 100
)

// InteractionInput is a contact as a member of staff enters it, in the
// form or as JSON. OccurredAt is RFC 3339 ("2026-11-26T14:05:00+02:00") or
// the form's local "2026-11-26T14:05"; empty means now.
type InteractionInput struct {
	Channel    string `json:"channel"`
	Direction  string `json:"direction"`
	Subject    string `json:"subject"`
	Notes      string `json:"notes"`
	OccurredAt string `json:"occurred_at"`
}

// NewInteraction is a validated contact, ready to be stored.
type NewInteraction struct {
	Channel    string
	Direction  string
	Subject    string
	Notes      string
	OccurredAt time.Time
}

// Limits of a logged contact.
const (
	maxSubjectLength = 200
	maxNotesLength   = 4000
	// clockSkew is how far in the future a contact may be dated, for
	// clocks that are slightly ahead.
	clockSkew = 5 * time.Minute
	// maxContactAge is how far back a contact may be logged by hand; older
	// history comes by import. It also keeps dates such as 0001-01-01 out.
	maxContactAge = 366 * 24 * time.Hour
)

// Validate checks every field and returns all the faults at once, each
// naming its field. A time without a zone is read in loc.
func (in InteractionInput) Validate(now time.Time, loc *time.Location) (NewInteraction, error) {
	var faults []ecrm.FieldError
	fault := func(field, key string) { faults = append(faults, ecrm.FieldError{Field: field, Message: key}) }

	out := NewInteraction{
		Channel:   strings.TrimSpace(in.Channel),
		Direction: strings.TrimSpace(in.Direction),
		Subject:   strings.TrimSpace(in.Subject),
		Notes:     strings.TrimSpace(in.Notes),
	}
	switch {
	case out.Channel == "":
		fault("channel", "console.interaction.error.channel_required")
	case !slices.Contains(Channels, out.Channel):
		fault("channel", "console.interaction.error.channel_unknown")
	}
	switch {
	case out.Direction == "":
		fault("direction", "console.interaction.error.direction_required")
	case !slices.Contains(Directions, out.Direction):
		fault("direction", "console.interaction.error.direction_unknown")
	}
	switch {
	case out.Subject == "":
		fault("subject", "console.interaction.error.subject_required")
	case utf8.RuneCountInString(out.Subject) > maxSubjectLength:
		fault("subject", "console.interaction.error.subject_too_long")
	}
	if utf8.RuneCountInString(out.Notes) > maxNotesLength {
		fault("notes", "console.interaction.error.notes_too_long")
	}
	if raw := strings.TrimSpace(in.OccurredAt); raw == "" {
		out.OccurredAt = now
	} else if t, ok := parseTime(raw, loc); !ok {
		fault("occurred_at", "console.interaction.error.occurred_at_invalid")
	} else if t.After(now.Add(clockSkew)) {
		fault("occurred_at", "console.interaction.error.occurred_at_future")
	} else if t.Before(now.Add(-maxContactAge)) {
		fault("occurred_at", "console.interaction.error.occurred_at_too_old")
	} else {
		out.OccurredAt = t
	}
	if len(faults) > 0 {
		return NewInteraction{}, invalid(faults...)
	}
	return out, nil
}

// parseTime reads RFC 3339, or a local date and time as an HTML
// datetime-local input sends it or as the hint writes it (a space for the
// "T", in a browser that shows the field as plain text).
func parseTime(s string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// ageOn returns the age in whole years on the civil date of today, nil for
// an unknown birth date.
func ageOn(birth *time.Time, today time.Time) *int {
	if birth == nil {
		return nil
	}
	by, bm, bd := birth.Date()
	ty, tm, td := today.Date()
	age := ty - by
	if tm < bm || (tm == bm && td < bd) {
		age--
	}
	if age < 0 {
		age = 0
	}
	return &age
}

// Life stages, from LifeStage (defined in the root package, which the
// needs analysis in crosssell shares).
const (
	LifeStageUnknown       = ecrm.LifeStageUnknown
	LifeStageStartingOut   = ecrm.LifeStageStartingOut
	LifeStageSingle        = ecrm.LifeStageSingle
	LifeStageCouple        = ecrm.LifeStageCouple
	LifeStageFamily        = ecrm.LifeStageFamily
	LifeStagePreRetirement = ecrm.LifeStagePreRetirement
	LifeStageRetired       = ecrm.LifeStageRetired
)

// LifeStage places a client in a stage of life: ecrm.LifeStage, the one
// definition the 360, the reports and the needs analysis share.
func LifeStage(age *int, maritalStatus string, dependants int, employment string) string {
	return ecrm.LifeStage(age, maritalStatus, dependants, employment)
}

// sumByCurrency adds amounts per currency, currencies in alphabetical order.
func sumByCurrency(amounts []ecrm.Money) []ecrm.Money {
	var totals []ecrm.Money
	for _, m := range amounts {
		i := slices.IndexFunc(totals, func(t ecrm.Money) bool { return t.Currency == m.Currency })
		if i < 0 {
			totals = append(totals, m)
			continue
		}
		totals[i].Amount = totals[i].Amount.Add(m.Amount)
	}
	slices.SortFunc(totals, func(a, b ecrm.Money) int { return strings.Compare(a.Currency, b.Currency) })
	return totals
}
