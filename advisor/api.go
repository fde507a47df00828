package advisor

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// The JSON shapes of the API, documented in openapi.json. Amounts are
// {"amount": "1234.50", "currency": "EUR"}, the amount a decimal string
// rounded half away from zero to the currency's minor units; unit prices
// and average costs keep all their decimals. Dates are "2006-01-02",
// months "2006-01", instants RFC 3339.

type moneyJSON struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

func toMoneyJSON(m ecrm.Money) moneyJSON {
	units, ok := ecrm.CurrencyMinorUnits(m.Currency)
	if !ok {
		units = 2
	}
	return moneyJSON{Amount: m.Round().Amount.StringFixed(units), Currency: m.Currency}
}

func toMoneyJSONs(list []ecrm.Money) []moneyJSON {
	out := make([]moneyJSON, 0, len(list))
	for _, m := range list {
		out = append(out, toMoneyJSON(m))
	}
	return out
}

func optionalMoneyJSON(m *ecrm.Money) *moneyJSON {
	if m == nil {
		return nil
	}
	j := toMoneyJSON(*m)
	return &j
}

// toPriceJSON keeps every decimal of a unit price.
func toPriceJSON(m ecrm.Money) moneyJSON {
	return moneyJSON{Amount: m.Amount.String(), Currency: m.Currency}
}

func dateJSON(t time.Time) string { return t.Format(time.DateOnly) }

func optionalDate(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := dateJSON(*t)
	return &s
}

func monthJSON(t time.Time) string { return t.Format("2006-01") }

func optionalMonth(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := monthJSON(*t)
	return &s
}

func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ---------------------------------------------------------------------------
// Client list

type clientSummaryJSON struct {
	ID         int64       `json:"id"`
	GivenName  string      `json:"given_name"`
	FamilyName string      `json:"family_name"`
	BirthDate  *string     `json:"birth_date"`
	Age        *int        `json:"age"`
	Segment    string      `json:"segment"`
	KYCStatus  string      `json:"kyc_status"`
	Vulnerable bool        `json:"vulnerable"`
	Email      *string     `json:"email"`
	Balances   []moneyJSON `json:"balances"`
}

type clientPageJSON struct {
	Clients    []clientSummaryJSON `json:"clients"`
	NextCursor *string             `json:"next_cursor"`
}

func toClientPageJSON(p ClientPage) clientPageJSON {
	out := clientPageJSON{Clients: make([]clientSummaryJSON, 0, len(p.Clients)), NextCursor: optionalString(p.Next)}
	for _, c := range p.Clients {
		out.Clients = append(out.Clients, clientSummaryJSON{
			ID: c.ID, GivenName: c.GivenName, FamilyName: c.FamilyName, BirthDate: optionalDate(c.BirthDate),
			Age: c.Age, Segment: c.Segment, KYCStatus: c.KYCStatus, Vulnerable: c.Vulnerable,
			Email: optionalString(c.Email), Balances: toMoneyJSONs(c.Balances),
		})
	}
	return out
}

// ---------------------------------------------------------------------------
// Client 360

type client360JSON struct {
	Client             profileJSON         `json:"client"`
	Relationships      []relatedJSON       `json:"relationships"`
	Consents           []consentJSON       `json:"consents"`
	Accounts           []accountJSON       `json:"accounts"`
	AccountTotals      []moneyJSON         `json:"account_totals"`
	Positions          []positionJSON      `json:"positions"`
	PortfolioTotals    []moneyJSON         `json:"portfolio_totals"`
	Policies           []policyJSON        `json:"policies"`
	CreditLines        []creditLineJSON    `json:"credit_lines"`
	Interactions       []interactionJSON   `json:"interactions"`
	InteractionChannel *string             `json:"interaction_channel"`
	MoreInteractions   bool                `json:"more_interactions"`
	ProfileChanges     []profileChangeJSON `json:"profile_changes"`
	MoreProfileChanges bool                `json:"more_profile_changes"`
	Needs              []needJSON          `json:"needs"`
}

type profileJSON struct {
	ID                int64          `json:"id"`
	Kind              string         `json:"kind"`
	GivenName         string         `json:"given_name"`
	FamilyName        string         `json:"family_name"`
	BirthDate         *string        `json:"birth_date"`
	Age               *int           `json:"age"`
	LifeStage         string         `json:"life_stage"`
	MaritalStatus     *string        `json:"marital_status"`
	Dependants        int            `json:"dependants"`
	AnnualIncome      *moneyJSON     `json:"annual_income"`
	EmploymentStatus  *string        `json:"employment_status"`
	Occupation        *string        `json:"occupation"`
	Employer          *string        `json:"employer"`
	Address           addressJSON    `json:"address"`
	Email             *string        `json:"email"`
	EmailVerified     bool           `json:"email_verified"`
	Phone             *string        `json:"phone"`
	PreferredChannel  *string        `json:"preferred_channel"`
	PreferredLanguage string         `json:"preferred_language"`
	KYCStatus         string         `json:"kyc_status"`
	KYCVerifiedAt     *time.Time     `json:"kyc_verified_at"`
	Vulnerable        bool           `json:"vulnerable"`
	Segment           string         `json:"segment"`
	Advisor           *staffJSON     `json:"advisor"`
	Household         *householdJSON `json:"household"`
	CreatedAt         time.Time      `json:"created_at"`
}

type addressJSON struct {
	Line1      *string `json:"line1"`
	Line2      *string `json:"line2"`
	City       *string `json:"city"`
	PostalCode *string `json:"postal_code"`
	Country    *string `json:"country"`
}

type staffJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type householdJSON struct {
	ID      int64         `json:"id"`
	Name    string        `json:"name"`
	Members []relatedJSON `json:"members"`
}

type relatedJSON struct {
	ClientID   int64   `json:"client_id"`
	GivenName  string  `json:"given_name"`
	FamilyName string  `json:"family_name"`
	Kind       *string `json:"kind,omitempty"`
	Since      *string `json:"since,omitempty"`
	Reachable  bool    `json:"reachable"`
}

type consentJSON struct {
	Purpose        string    `json:"purpose"`
	Channel        string    `json:"channel"`
	Granted        bool      `json:"granted"`
	WordingVersion string    `json:"wording_version"`
	Source         string    `json:"source"`
	RecordedAt     time.Time `json:"recorded_at"`
}

type accountJSON struct {
	ID           int64            `json:"id"`
	Kind         string           `json:"kind"`
	IBAN         *string          `json:"iban"`
	Name         ecrm.Text        `json:"name"`
	Balance      moneyJSON        `json:"balance"`
	CreditLimit  *moneyJSON       `json:"credit_limit"`
	InterestRate *decimal.Decimal `json:"interest_rate"`
	OpenedOn     string           `json:"opened_on"`
	MaturityOn   *string          `json:"maturity_on"`
	ClosedOn     *string          `json:"closed_on"`
	Status       string           `json:"status"`
}

type positionJSON struct {
	ID          int64           `json:"id"`
	Account     ecrm.Text       `json:"account"`
	Symbol      string          `json:"symbol"`
	Instrument  string          `json:"instrument"`
	Kind        string          `json:"kind"`
	Quantity    decimal.Decimal `json:"quantity"`
	AverageCost moneyJSON       `json:"average_cost"`
	Quotation   string          `json:"quotation"`
	Price       *moneyJSON      `json:"price"`
	PriceDate   *string         `json:"price_date"`
	MarketValue *moneyJSON      `json:"market_value"`
	Gain        *moneyJSON      `json:"gain"`
}

type policyJSON struct {
	ID               int64             `json:"id"`
	Number           string            `json:"number"`
	Insurer          string            `json:"insurer"`
	Line             string            `json:"line"`
	Status           string            `json:"status"`
	StartsOn         string            `json:"starts_on"`
	EndsOn           string            `json:"ends_on"`
	SumInsured       moneyJSON         `json:"sum_insured"`
	Premium          moneyJSON         `json:"premium"`
	PremiumFrequency string            `json:"premium_frequency"`
	ShortTerm        bool              `json:"short_term"`
	PremiumStatus    premiumStatusJSON `json:"premium_status"`
	Claims           []claimJSON       `json:"claims"`
}

type premiumStatusJSON struct {
	UpToDate      bool       `json:"up_to_date"`
	Paid          int        `json:"paid"`
	Overdue       int        `json:"overdue"`
	OverdueAmount moneyJSON  `json:"overdue_amount"`
	NextDueOn     *string    `json:"next_due_on"`
	NextAmount    *moneyJSON `json:"next_amount"`
}

type claimJSON struct {
	ID             int64      `json:"id"`
	Reference      string     `json:"reference"`
	IncidentOn     string     `json:"incident_on"`
	ReportedAt     time.Time  `json:"reported_at"`
	Description    string     `json:"description"`
	ClaimedAmount  *moneyJSON `json:"claimed_amount"`
	ApprovedAmount *moneyJSON `json:"approved_amount"`
	PaidAmount     *moneyJSON `json:"paid_amount"`
	Status         string     `json:"status"`
}

type creditLineJSON struct {
	ID             int64            `json:"id"`
	Kind           string           `json:"kind"`
	Source         string           `json:"source"`
	Lender         string           `json:"lender"`
	Limit          moneyJSON        `json:"limit"`
	Balance        moneyJSON        `json:"balance"`
	Utilisation    decimal.Decimal  `json:"utilisation"`
	InterestRate   *decimal.Decimal `json:"interest_rate"`
	MonthlyPayment *moneyJSON       `json:"monthly_payment"`
	OpenedOn       string           `json:"opened_on"`
	ClosedOn       *string          `json:"closed_on"`
	Status         string           `json:"status"`
}

type interactionJSON struct {
	ID         int64     `json:"id"`
	ClientID   int64     `json:"client_id"`
	StaffID    *int64    `json:"staff_id"`
	StaffName  *string   `json:"staff_name"`
	Channel    string    `json:"channel"`
	Direction  string    `json:"direction"`
	Subject    string    `json:"subject"`
	Notes      string    `json:"notes"`
	OccurredAt time.Time `json:"occurred_at"`
}

type profileChangeJSON struct {
	Field     string    `json:"field"`
	OldValue  *string   `json:"old_value"`
	NewValue  *string   `json:"new_value"`
	ActorKind string    `json:"actor_kind"`
	StaffName *string   `json:"staff_name"`
	ChangedAt time.Time `json:"changed_at"`
}

func toRelatedJSON(r RelatedClient) relatedJSON {
	return relatedJSON{ClientID: r.ID, GivenName: r.GivenName, FamilyName: r.FamilyName,
		Kind: optionalString(r.Kind), Since: optionalDate(r.Since), Reachable: r.Reachable}
}

func toInteractionJSON(i Interaction) interactionJSON {
	return interactionJSON{ID: i.ID, ClientID: i.ClientID, StaffID: i.StaffID, StaffName: optionalString(i.StaffName),
		Channel: i.Channel, Direction: i.Direction, Subject: i.Subject, Notes: i.Notes, OccurredAt: i.OccurredAt}
}

func toCreditLineJSON(l CreditLine) creditLineJSON {
	return creditLineJSON{ID: l.ID, Kind: l.Kind, Source: l.Source, Lender: l.Lender,
		Limit: toMoneyJSON(l.Limit), Balance: toMoneyJSON(l.Balance), Utilisation: l.Utilisation(),
		InterestRate: l.InterestRate, MonthlyPayment: optionalMoneyJSON(l.MonthlyPayment),
		OpenedOn: dateJSON(l.OpenedOn), ClosedOn: optionalDate(l.ClosedOn), Status: l.Status}
}

func toClient360JSON(v *Client360) client360JSON {
	c := v.Client
	out := client360JSON{
		Client: profileJSON{
			ID: c.ID, Kind: c.Kind, GivenName: c.GivenName, FamilyName: c.FamilyName,
			BirthDate: optionalDate(c.BirthDate), Age: v.Age, LifeStage: v.LifeStage,
			MaritalStatus: optionalString(c.MaritalStatus), Dependants: c.Dependants,
			AnnualIncome: optionalMoneyJSON(c.AnnualIncome), EmploymentStatus: optionalString(c.EmploymentStatus),
			Occupation: optionalString(c.Occupation), Employer: optionalString(c.Employer),
			Address: addressJSON{Line1: optionalString(c.AddressLine1), Line2: optionalString(c.AddressLine2),
				City: optionalString(c.City), PostalCode: optionalString(c.PostalCode), Country: optionalString(c.Country)},
			Email: optionalString(c.Email), EmailVerified: c.EmailVerified, Phone: optionalString(c.Phone),
			PreferredChannel: optionalString(c.PreferredChannel), PreferredLanguage: c.PreferredLanguage,
			KYCStatus: c.KYCStatus, KYCVerifiedAt: c.KYCVerifiedAt, Vulnerable: c.Vulnerable, Segment: c.Segment,
			CreatedAt: c.CreatedAt,
		},
		Relationships:      make([]relatedJSON, 0, len(v.Relationships)),
		Consents:           make([]consentJSON, 0, len(v.Consents)),
		Accounts:           make([]accountJSON, 0, len(v.Accounts)),
		AccountTotals:      toMoneyJSONs(v.AccountTotals),
		Positions:          make([]positionJSON, 0, len(v.Positions)),
		PortfolioTotals:    toMoneyJSONs(v.PortfolioTotals),
		Policies:           make([]policyJSON, 0, len(v.Policies)),
		CreditLines:        make([]creditLineJSON, 0, len(v.CreditLines)),
		Interactions:       make([]interactionJSON, 0, len(v.Interactions)),
		InteractionChannel: optionalString(v.InteractionChannel),
		MoreInteractions:   v.MoreInteractions,
		ProfileChanges:     make([]profileChangeJSON, 0, len(v.Changes)),
		MoreProfileChanges: v.MoreChanges,
	}
	if c.AdvisorID != nil {
		out.Client.Advisor = &staffJSON{ID: *c.AdvisorID, Name: c.AdvisorName}
	}
	if c.HouseholdID != nil {
		hh := &householdJSON{ID: *c.HouseholdID, Name: c.HouseholdName, Members: make([]relatedJSON, 0, len(v.HouseholdMembers))}
		for _, m := range v.HouseholdMembers {
			hh.Members = append(hh.Members, toRelatedJSON(m))
		}
		out.Client.Household = hh
	}
	for _, r := range v.Relationships {
		out.Relationships = append(out.Relationships, toRelatedJSON(r))
	}
	for _, c := range v.Consents {
		out.Consents = append(out.Consents, consentJSON(c))
	}
	for _, a := range v.Accounts {
		out.Accounts = append(out.Accounts, accountJSON{ID: a.ID, Kind: a.Kind, IBAN: optionalString(a.IBAN), Name: a.Name,
			Balance: toMoneyJSON(a.Balance), CreditLimit: optionalMoneyJSON(a.CreditLimit), InterestRate: a.InterestRate,
			OpenedOn: dateJSON(a.OpenedOn), MaturityOn: optionalDate(a.MaturityOn), ClosedOn: optionalDate(a.ClosedOn),
			Status: a.Status})
	}
	for _, p := range v.Positions {
		j := positionJSON{ID: p.ID, Account: p.AccountName, Symbol: p.Symbol, Instrument: p.Instrument, Kind: p.Kind,
			Quantity: p.Quantity, AverageCost: toPriceJSON(p.AverageCost), Quotation: p.Quotation, PriceDate: optionalDate(p.PriceDate),
			MarketValue: optionalMoneyJSON(p.MarketValue), Gain: optionalMoneyJSON(p.Gain)}
		if p.Price != nil {
			price := toPriceJSON(*p.Price)
			j.Price = &price
		}
		out.Positions = append(out.Positions, j)
	}
	for _, p := range v.Policies {
		j := policyJSON{ID: p.ID, Number: p.Number, Insurer: p.Insurer, Line: p.Line, Status: p.Status,
			StartsOn: dateJSON(p.StartsOn), EndsOn: dateJSON(p.EndsOn), SumInsured: toMoneyJSON(p.SumInsured),
			Premium: toMoneyJSON(p.Premium), PremiumFrequency: p.PremiumFrequency, ShortTerm: p.ShortTerm,
			PremiumStatus: premiumStatusJSON{UpToDate: p.Premiums.UpToDate(), Paid: p.Premiums.Paid,
				Overdue: p.Premiums.Overdue, OverdueAmount: toMoneyJSON(p.Premiums.OverdueAmount),
				NextDueOn: optionalDate(p.Premiums.NextDue), NextAmount: optionalMoneyJSON(p.Premiums.NextAmount)},
			Claims: make([]claimJSON, 0, len(p.Claims))}
		for _, c := range p.Claims {
			j.Claims = append(j.Claims, claimJSON{ID: c.ID, Reference: c.Reference, IncidentOn: dateJSON(c.IncidentOn),
				ReportedAt: c.ReportedAt, Description: c.Description, ClaimedAmount: optionalMoneyJSON(c.ClaimedAmount),
				ApprovedAmount: optionalMoneyJSON(c.ApprovedAmount), PaidAmount: optionalMoneyJSON(c.PaidAmount),
				Status: c.Status})
		}
		out.Policies = append(out.Policies, j)
	}
	for _, l := range v.CreditLines {
		out.CreditLines = append(out.CreditLines, toCreditLineJSON(l))
	}
	for _, i := range v.Interactions {
		out.Interactions = append(out.Interactions, toInteractionJSON(i))
	}
	for _, c := range v.Changes {
		out.ProfileChanges = append(out.ProfileChanges, profileChangeJSON{Field: c.Field, OldValue: c.OldValue,
			NewValue: c.NewValue, ActorKind: c.ActorKind, StaffName: optionalString(c.StaffName), ChangedAt: c.ChangedAt})
	}
	return out
}

// ---------------------------------------------------------------------------
// Credit history

type creditHistoryJSON struct {
	ClientID    int64                   `json:"client_id"`
	GivenName   string                  `json:"given_name"`
	FamilyName  string                  `json:"family_name"`
	Purpose     string                  `json:"purpose"`
	From        string                  `json:"from"`
	To          string                  `json:"to"`
	Summary     summaryJSON             `json:"summary"`
	Explanation string                  `json:"explanation"`
	Months      []monthJSONValue        `json:"months"`
	CreditLines []creditLineHistoryJSON `json:"credit_lines"`
	Score       creditScoreJSON         `json:"score"`
}

type summaryJSON struct {
	Worst12m       *string `json:"worst_12m"`
	Worst24m       *string `json:"worst_24m"`
	Worst36m       *string `json:"worst_36m"`
	WorstMonth     *string `json:"worst_month"`
	LateMonths     int     `json:"late_months"`
	ReportedMonths int     `json:"reported_months"`
	LastLateMonth  *string `json:"last_late_month"`
}

type monthJSONValue struct {
	Month      string     `json:"month"`
	Status     *string    `json:"status"`
	AmountDue  *moneyJSON `json:"amount_due,omitempty"`
	AmountPaid *moneyJSON `json:"amount_paid,omitempty"`
}

type creditLineHistoryJSON struct {
	creditLineJSON
	Summary summaryJSON      `json:"summary"`
	Months  []monthJSONValue `json:"months"`
}

func toSummaryJSON(d DelinquencySummary) summaryJSON {
	return summaryJSON{Worst12m: optionalString(string(d.Worst12)), Worst24m: optionalString(string(d.Worst24)),
		Worst36m: optionalString(string(d.Worst36)), WorstMonth: optionalMonth(d.WorstMonth),
		LateMonths: d.LateMonths, ReportedMonths: d.ReportedMonths, LastLateMonth: optionalMonth(d.LastLateMonth)}
}

func toMonthsJSON(months []MonthStatus) []monthJSONValue {
	out := make([]monthJSONValue, 0, len(months))
	for _, m := range months {
		out = append(out, monthJSONValue{Month: monthJSON(m.Month), Status: optionalString(string(m.Status)),
			AmountDue: optionalMoneyJSON(m.AmountDue), AmountPaid: optionalMoneyJSON(m.AmountPaid)})
	}
	return out
}

func toCreditHistoryJSON(h *CreditHistory, explanation string) creditHistoryJSON {
	out := creditHistoryJSON{ClientID: h.ClientID, GivenName: h.GivenName, FamilyName: h.FamilyName,
		Purpose: string(h.Purpose), From: monthJSON(h.From), To: monthJSON(h.To), Summary: toSummaryJSON(h.Summary),
		Explanation: explanation, Months: toMonthsJSON(h.Months), Score: toCreditScoreJSON(h),
		CreditLines: make([]creditLineHistoryJSON, 0, len(h.Lines))}
	for _, l := range h.Lines {
		out.CreditLines = append(out.CreditLines, creditLineHistoryJSON{creditLineJSON: toCreditLineJSON(l.CreditLine),
			Summary: toSummaryJSON(l.Summary), Months: toMonthsJSON(l.Months)})
	}
	return out
}
