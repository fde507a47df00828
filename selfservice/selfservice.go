// Package selfservice is the client's self-service portal: the overview of
// everything the client holds with the firm (accounts, portfolio, insurance
// policies, credit lines, recent contacts) with quick actions learned from
// what this client does most often, one account's transactions, the profile
// and consents the client keeps up to date, and the download of all the
// data ecrm holds about them.
//
// Every page has a JSON twin under /api/v1/me for mobile apps. Every query
// is filtered by the authenticated principal's client id in SQL, so another
// client's data is never read, not even to be refused.
//
// Amounts are exact decimals with their currency. Values derived from
// exact inputs (a position's market value = quantity × price) are rounded
// half away from zero to the currency's minor units only at the end; the
// API writes amounts as strings with exactly the currency's minor units
// ("1234.50"), never as JSON numbers.
package selfservice

import (
	"context"
	"embed"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/risk"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Templates holds the portal's page templates (*.html at its root), to be
// passed to page.New.
var Templates = page.TemplateDir(templateFiles)

// OpenAPI is the OpenAPI 3.1 fragment documenting every /api/v1 route that
// Routes registers, to be merged with web.NewOpenAPI.
//
//go:embed openapi.json
var OpenAPI []byte

// Money is an amount as the portal shows and writes it. The JSON form,
// {"amount":"120.50","currency":"EUR"}, is made once with the value, so
// that the API never writes a float nor "120.5", and encoding it needs no
// custom marshaller; templates format Money() with the money function.
type Money struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
	value    decimal.Decimal
}

// newMoney makes an amount written with exactly the currency's minor units
// (rounded half away from zero if it has more).
func newMoney(amount decimal.Decimal, currency string) Money {
	places, ok := ecrm.CurrencyMinorUnits(currency)
	if !ok {
		places = 2
	}
	return Money{Amount: fixedString(amount, places), Currency: currency, value: amount}
}

// newPrice makes a per-unit price or cost, written with all its
// significant digits ("101.255"), since it is not an amount paid.
func newPrice(amount decimal.Decimal, currency string) Money {
	return Money{Amount: amount.String(), Currency: currency, value: amount}
}

// Money returns the exact amount.
func (m Money) Money() ecrm.Money { return ecrm.Money{Amount: m.value, Currency: m.Currency} }

// Value returns the exact decimal.
func (m Money) Value() decimal.Decimal { return m.value }

// String writes the amount as "120.50 EUR".
func (m Money) String() string { return m.Money().String() }

// Date is a calendar date, written to JSON as "2026-11-26".
type Date struct{ time.Time }

// MarshalJSON writes the date as "YYYY-MM-DD".
func (d Date) MarshalJSON() ([]byte, error) {
	return []byte(`"` + d.Format(time.DateOnly) + `"`), nil
}

// Overview is the portal home: what the client holds and what they are
// likely to do next.
type Overview struct {
	ClientID int64 `json:"client_id"`
	// Name is the signed-in client's name, from the session; the handler
	// fills it, the database query does not.
	Name         string        `json:"name"`
	AsOf         Date          `json:"as_of"`
	Accounts     []Account     `json:"accounts"`
	Portfolio    Portfolio     `json:"portfolio"`
	Policies     []Policy      `json:"policies"`
	CreditLines  []CreditLine  `json:"credit_lines"`
	Interactions []Interaction `json:"recent_interactions"`
	QuickActions []QuickAction `json:"quick_actions"`
	// Needs are "things you may need", most pressing first.
	Needs []Need `json:"needs"`
}

// Account is one of the client's (not closed) accounts.
type Account struct {
	ID   int64  `json:"id"`
	Kind string `json:"kind"`
	// Name is the account's name in English and Romanian.
	Name ecrm.Text `json:"name"`
	// IBANMasked shows only the IBAN's last four characters, so a
	// screen seen over the shoulder does not give the account away.
	IBANMasked string `json:"iban_masked,omitempty"`
	// IBAN is the whole IBAN, for the account's own page, where the
	// client copies it to give to a payer (never in the overview).
	IBAN        string `json:"-"`
	Balance     Money  `json:"balance"`
	CreditLimit *Money `json:"credit_limit,omitempty"`
	Status      string `json:"status"`
}

// maskIBAN keeps the last four characters: "**** 1234".
func maskIBAN(iban string) string {
	if iban == "" {
		return ""
	}
	if len(iban) <= 4 {
		return "**** " + iban
	}
	return "**** " + iban[len(iban)-4:]
}

// Portfolio values the client's positions at the latest close. Amounts in
// different currencies are never added: there is one total per currency.
type Portfolio struct {
	Totals    []PortfolioTotal `json:"totals"`
	Positions []Position       `json:"positions"`
}

// PortfolioTotal is the value, cost and allocation of the positions in one
// currency.
type PortfolioTotal struct {
	Currency       string       `json:"currency"`
	Value          Money        `json:"value"`
	Cost           Money        `json:"cost"`
	UnrealisedGain Money        `json:"unrealised_gain"`
	Allocation     []Allocation `json:"allocation"`
}

// Allocation is the share of one instrument kind in a currency's value.
type Allocation struct {
	Kind  string `json:"kind"`
	Value Money  `json:"value"`
	// Share is Value / total value, rounded half away from zero to four
	// decimal places (two places of a percentage); the shares may
	// therefore add up to 99.99 % or 100.01 %.
	Share decimal.Decimal `json:"-"`
	// Percent is Share × 100 with two decimal places, e.g. "62.50".
	Percent string `json:"percent"`
}

// Position is one holding valued at the latest close on or before today.
type Position struct {
	ID           int64  `json:"id"`
	AccountID    int64  `json:"account_id"`
	InstrumentID int64  `json:"instrument_id"`
	Symbol       string `json:"symbol"`
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	Currency     string `json:"currency"`
	// Quantity is signed: a short position is negative.
	Quantity decimal.Decimal `json:"quantity"`
	// AverageCost and Price are per unit, unrounded; for an instrument
	// quoted in percent of face (Quotation "percent_of_face", bonds) they
	// are percentages of the face value.
	AverageCost Money  `json:"average_cost"`
	Quotation   string `json:"quotation"`
	// Price and PriceDate are the latest close; nil when the instrument
	// has no price yet, and then the position has no value either.
	Price     *Money `json:"price"`
	PriceDate *Date  `json:"price_date"`
	// Value = quantity × price × contract multiplier (options) or
	// quantity × face value × price / 100 (percent of face), Cost the same
	// with the average cost, each rounded half away from
	// zero to the currency's minor units; UnrealisedGain = Value − Cost of
	// the rounded figures, so the numbers shown add up.
	Value          *Money `json:"value"`
	Cost           Money  `json:"cost"`
	UnrealisedGain *Money `json:"unrealised_gain"`
}

// Payment statuses of an insurance policy.
const (
	PaymentUpToDate = "up_to_date"
	PaymentLate     = "late"
	PaymentMissed   = "missed"
)

// Policy is an active or lapsed insurance policy with its premium status.
type Policy struct {
	ID               int64  `json:"id"`
	PolicyNumber     string `json:"policy_number"`
	Line             string `json:"line"`
	Insurer          string `json:"insurer"`
	Status           string `json:"status"`
	StartsOn         Date   `json:"starts_on"`
	EndsOn           Date   `json:"ends_on"`
	SumInsured       Money  `json:"sum_insured"`
	Premium          Money  `json:"premium"`
	PremiumFrequency string `json:"premium_frequency"`
	// NextPremium is the earliest instalment still to be paid (scheduled
	// or late), whether it falls due later or is already overdue.
	NextPremium *Instalment `json:"next_premium"`
	// PaymentStatus is "missed" if an instalment due in the twelve months
	// up to today is marked missed, else "late" if the next premium is
	// overdue (or marked late), else "up_to_date".
	PaymentStatus string `json:"payment_status"`
}

// Instalment is one premium instalment due.
type Instalment struct {
	DueOn   Date  `json:"due_on"`
	Amount  Money `json:"amount"`
	Overdue bool  `json:"overdue"`
}

// CreditLine is a credit line that is not closed.
type CreditLine struct {
	ID      int64  `json:"id"`
	Kind    string `json:"kind"`
	Source  string `json:"source"`
	Lender  string `json:"lender"`
	Limit   Money  `json:"limit"`
	Balance Money  `json:"balance"`
	Status  string `json:"status"`
	// NextPayment is the monthly payment and its due date from the line's
	// schedule (the opening day of the month; see nextDueDate); nil for a
	// line that is not active or has no monthly payment.
	NextPayment *Payment `json:"next_payment"`
}

// Payment is an amount due on a date.
type Payment struct {
	DueOn  Date  `json:"due_on"`
	Amount Money `json:"amount"`
}

// Interaction is a contact between the client and the firm.
type Interaction struct {
	ID         int64     `json:"id"`
	Channel    string    `json:"channel"`
	Direction  string    `json:"direction"`
	Subject    string    `json:"subject"`
	OccurredAt time.Time `json:"occurred_at"`
}

// Transaction is one booking on an account.
type Transaction struct {
	ID               int64     `json:"id"`
	BookedAt         time.Time `json:"booked_at"`
	ValueDate        Date      `json:"value_date"`
	Amount           Money     `json:"amount"`
	Kind             string    `json:"kind"`
	Counterparty     string    `json:"counterparty,omitempty"`
	CounterpartyIBAN string    `json:"counterparty_iban,omitempty"`
	Description      string    `json:"description"`
	Channel          string    `json:"channel"`
}

// AccountTransactions is one page of an account's transactions, newest
// first.
type AccountTransactions struct {
	Account Account `json:"account"`
	// Counterparty is the filter applied, if any.
	Counterparty string        `json:"counterparty,omitempty"`
	Transactions []Transaction `json:"transactions"`
	// NextCursor, when not empty, is the value of ?before= that returns
	// the next (older) page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// TransactionFilter selects a page of an account's transactions.
type TransactionFilter struct {
	// Counterparty keeps only transactions with exactly this
	// counterparty name.
	Counterparty string
	// Before is the cursor of the page (NextCursor of the previous one);
	// empty for the newest page.
	Before string
	// Limit is the page size, 1 to MaxPageSize; 0 means DefaultPageSize.
	Limit int
	// From and To keep transactions booked on these days (YYYY-MM-DD in
	// the firm's zone, both included); empty for no bound.
	From, To string
}

// Page sizes of an account's transactions.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
	// MaxCounterpartyLength bounds the payee filter: a SEPA payment
	// carries at most 140 characters of the payee's name, so a longer
	// filter matches nothing and need not be stored as a portal action.
	MaxCounterpartyLength = 140
)

// Portal actions recorded by this package. Together with the client's
// transactions they order the quick actions; see quickactions.go.
const (
	ActionAccountView   = "account.view"
	ActionPayeeView     = "payee.view"
	ActionProfileView   = "profile.view"
	ActionProfileUpdate = "profile.update"
	ActionConsentChange = "consent.change"
	ActionDataExport    = "data.export"
	// ActionCalculatorOpen is recorded by the calculators (products
	// package) with the calculator ("loan", "deposit") as target.
	ActionCalculatorOpen = "calculator.open"
)

// Service holds the portal's business rules over PostgreSQL.
type Service struct {
	pool *pgxpool.Pool
	// now is the clock; tests replace it.
	now func() time.Time
	// zone is where "today" is decided (premiums due, next credit
	// payment) and where times are shown.
	zone *time.Location
	// mail sends the confirmation of a changed e-mail address, with links
	// to baseURL.
	mail    *outbox.Outbox
	baseURL string
}

// NewService returns the portal service on pool. Dates are decided and
// times shown in UTC until SetZone says otherwise.
func NewService(pool *pgxpool.Pool) *Service {
	return &Service{pool: pool, now: time.Now, zone: time.UTC}
}

// SetZone sets the time zone in which "today" is decided and times are
// shown (the firm's zone, e.g. Europe/Bucharest).
func (s *Service) SetZone(loc *time.Location) {
	if loc != nil {
		s.zone = loc
	}
}

// Zone returns the time zone of dates and times.
func (s *Service) Zone() *time.Location { return s.zone }

// today returns the current calendar date in the service's zone, as a
// midnight UTC time so that it reaches PostgreSQL as that date.
func (s *Service) today() time.Time {
	y, m, d := s.now().In(s.zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// RecordAction appends a portal action of the client (what the quick
// actions learn from). Failing to record is not worth failing the
// client's request for; callers log the error.
func (s *Service) RecordAction(ctx context.Context, clientID int64, action, target string) error {
	return insertPortalAction(ctx, s.pool, clientID, action, target, s.now())
}

// notFound is the error for anything the client does not hold; it is the
// same whether the thing does not exist or belongs to someone else.
func notFound() error { return ecrm.Errorf(ecrm.ENOTFOUND, "Not found.") }

// Overview returns everything the portal home shows, read in one round trip
// to the database.
func (s *Service) Overview(ctx context.Context, clientID int64) (*Overview, error) {
	now, today := s.now(), s.today()
	rows, err := queryOverview(ctx, s.pool, clientID, today, now, s.zone)
	if err != nil {
		return nil, err
	}
	o := &Overview{
		ClientID:     clientID,
		AsOf:         Date{today},
		Accounts:     orEmpty(rows.accounts),
		Portfolio:    valuePortfolio(rows.positions),
		Policies:     orEmpty(rows.policies),
		CreditLines:  orEmpty(rows.creditLines),
		Interactions: orEmpty(rows.interactions),
	}
	patterns := rows.payments.patterns(o.Accounts)
	o.QuickActions = rankQuickActions(now, o.Accounts, patterns, rows.use, i18n.FromContext(ctx))
	if o.Needs, err = clientNeeds(&rows.needs, i18n.FromContext(ctx)); err != nil {
		return nil, err
	}
	return o, nil
}

// orEmpty makes a nil list an empty one, so JSON has [] rather than null.
func orEmpty[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// paymentStatus condenses a policy's instalments (see Policy.PaymentStatus).
func paymentStatus(missed, late bool) string {
	switch {
	case missed:
		return PaymentMissed
	case late:
		return PaymentLate
	}
	return PaymentUpToDate
}

// nextDueDate is the next instalment of a credit line, today or later: an
// instalment falls due each month on the day of the month the line was
// opened (a mortgage opened on the 14th is debited on the 14th), on the
// month's last day when the month is shorter.
func nextDueDate(openedOn, today time.Time) time.Time {
	due := func(year int, month time.Month) time.Time {
		last := time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
		return time.Date(year, month, min(openedOn.Day(), last), 0, 0, 0, 0, time.UTC)
	}
	d := due(today.Year(), today.Month())
	if d.Before(time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)) {
		d = due(today.Year(), today.Month()+1)
	}
	return d
}

// valuePortfolio values each position at its latest close and sums per
// currency. Products of exact decimals are rounded half away from zero to
// the currency's minor units once per position; totals are sums of the
// rounded position figures, so a total equals the sum of the lines shown.
func valuePortfolio(rows []positionRow) Portfolio {
	// A client holds a few currencies and instrument kinds: slices
	// searched in order keep them in the order first seen, cheaper than
	// maps for so few.
	type kindTotal struct {
		kind  string
		value decimal.Decimal
	}
	type total struct {
		currency    string
		value, cost decimal.Decimal
		byKind      []kindTotal
	}
	var totals []*total
	positions := make([]Position, 0, len(rows))
	for _, r := range rows {
		p := Position{ID: r.ID, AccountID: r.AccountID, InstrumentID: r.InstrumentID,
			Symbol: r.Symbol, Name: r.Name, Kind: r.Kind, Currency: r.Currency}
		p.Quantity = r.quantity
		p.AverageCost = newPrice(r.averageCost, p.Currency)
		p.Quotation = r.quotation
		quote := risk.Quote{Quotation: risk.Quotation(r.quotation), Multiplier: r.multiplier}
		if r.faceValue != nil {
			quote.FaceValue = *r.faceValue
		}
		// The advisor's 360 and the risk page value the same position with
		// the same function, so all show the same figures.
		v := risk.ValuePosition(r.quantity, r.averageCost, r.close, quote, p.Currency)
		p.Cost = newMoney(v.Cost.Amount, p.Currency)
		// A position without a price has no value; its cost is left out
		// of the totals too, so that the gain is not distorted.
		if r.close != nil {
			price := newPrice(*r.close, p.Currency)
			p.Price = &price
			p.PriceDate = &Date{*r.priceDate}
			value := newMoney(v.Value.Amount, p.Currency)
			gain := newMoney(v.Gain.Amount, p.Currency)
			p.Value, p.UnrealisedGain = &value, &gain
			var t *total
			for _, c := range totals {
				if c.currency == p.Currency {
					t = c
					break
				}
			}
			if t == nil {
				t = &total{currency: p.Currency}
				totals = append(totals, t)
			}
			t.value = t.value.Add(value.value)
			t.cost = t.cost.Add(p.Cost.value)
			k := slices.IndexFunc(t.byKind, func(k kindTotal) bool { return k.kind == p.Kind })
			if k < 0 {
				t.byKind = append(t.byKind, kindTotal{kind: p.Kind})
				k = len(t.byKind) - 1
			}
			t.byKind[k].value = t.byKind[k].value.Add(value.value)
		}
		positions = append(positions, p)
	}
	out := Portfolio{Totals: make([]PortfolioTotal, 0, len(totals)), Positions: positions}
	hundred := decimal.NewFromInt(100)
	for _, t := range totals {
		cur := t.currency
		pt := PortfolioTotal{
			Currency:       cur,
			Value:          newMoney(t.value, cur),
			Cost:           newMoney(t.cost, cur),
			UnrealisedGain: newMoney(t.value.Sub(t.cost), cur),
			Allocation:     make([]Allocation, 0, len(t.byKind)),
		}
		for _, k := range t.byKind {
			share := decimal.Zero
			if !t.value.IsZero() {
				share = k.value.DivRound(t.value, 4)
			}
			pt.Allocation = append(pt.Allocation, Allocation{
				Kind: k.kind, Value: newMoney(k.value, cur), Share: share,
				Percent: fixedString(share.Mul(hundred), 2),
			})
		}
		out.Totals = append(out.Totals, pt)
	}
	return out
}

// AccountTransactions returns the client's account and one page of its
// transactions, newest first. An account of another client is not found.
// The first page of a client's visit is recorded as a portal action
// (ActionPayeeView when filtered by counterparty, else ActionAccountView).
func (s *Service) AccountTransactions(ctx context.Context, clientID, accountID int64, f TransactionFilter, record bool) (*AccountTransactions, error) {
	limit := f.Limit
	if limit == 0 {
		limit = DefaultPageSize
	}
	l := i18n.FromContext(ctx)
	if limit < 1 || limit > MaxPageSize {
		return nil, ecrm.FieldErrorf("limit", "%s", l.T("portal.account.error.limit", MaxPageSize))
	}
	var cursor *transactionCursor
	if f.Before != "" {
		c, err := parseCursor(f.Before)
		if err != nil {
			return nil, ecrm.FieldErrorf("before", "%s", l.T("portal.account.error.cursor"))
		}
		cursor = &c
	}
	if utf8.RuneCountInString(f.Counterparty) > MaxCounterpartyLength {
		return nil, ecrm.FieldErrorf("counterparty", "%s", l.T("portal.account.error.counterparty", MaxCounterpartyLength))
	}
	var counterparty *string
	if f.Counterparty != "" {
		counterparty = &f.Counterparty
	}
	period, err := s.period(l, f.From, f.To)
	if err != nil {
		return nil, err
	}
	var event *portalEvent
	if record && cursor == nil {
		event = &portalEvent{Action: ActionAccountView, Target: strconv.FormatInt(accountID, 10), At: s.now()}
		if counterparty != nil {
			event = &portalEvent{Action: ActionPayeeView, Target: strconv.FormatInt(accountID, 10) + ":" + f.Counterparty, At: s.now()}
		}
	}
	account, txs, err := queryAccountTransactions(ctx, s.pool, clientID, accountID, counterparty, period, cursor, limit, event)
	if err != nil {
		return nil, err
	}
	if account == nil {
		return nil, notFound()
	}
	out := &AccountTransactions{Account: *account, Counterparty: f.Counterparty, Transactions: orEmpty(txs)}
	if len(txs) > limit {
		out.Transactions = txs[:limit]
		last := txs[limit-1]
		out.NextCursor = transactionCursor{bookedAt: last.BookedAt, id: last.ID}.String()
	}
	return out, nil
}

// period reads a from-to filter of days in the firm's zone into the
// half-open range [from 00:00, the day after to 00:00), naming the field at
// fault.
func (s *Service) period(l *i18n.Localizer, from, to string) ([2]*time.Time, error) {
	var out [2]*time.Time
	day := func(field, v string) (*time.Time, error) {
		if v == "" {
			return nil, nil
		}
		t, err := time.ParseInLocation(time.DateOnly, v, s.zone)
		if err != nil || t.Year() < 1900 || t.Year() > 2200 {
			return nil, ecrm.FieldErrorf(field, "%s", l.T("portal.account.error.date"))
		}
		return &t, nil
	}
	var err error
	if out[0], err = day("from", from); err != nil {
		return out, err
	}
	if out[1], err = day("to", to); err != nil {
		return out, err
	}
	if out[1] != nil {
		end := out[1].AddDate(0, 0, 1)
		out[1] = &end
		if out[0] != nil && !out[0].Before(end) {
			return out, ecrm.FieldErrorf("to", "%s", l.T("portal.account.error.to_before_from"))
		}
	}
	return out, nil
}

// transactionCursor is the position after which the next page starts:
// the (booked_at, id) of the last transaction shown.
type transactionCursor struct {
	bookedAt time.Time
	id       int64
}

// String encodes the cursor as "<unix microseconds>.<id>"; it is opaque to
// clients, who only pass it back.
func (c transactionCursor) String() string {
	return strconv.FormatInt(c.bookedAt.UnixMicro(), 10) + "." + strconv.FormatInt(c.id, 10)
}

func parseCursor(s string) (transactionCursor, error) {
	micros, id, ok := strings.Cut(s, ".")
	if !ok {
		return transactionCursor{}, errors.New("no dot")
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return transactionCursor{}, err
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return transactionCursor{}, errors.New("bad id")
	}
	return transactionCursor{bookedAt: time.UnixMicro(us), id: n}, nil
}

// QuantityPlaces is how many decimal places the quantity needs (12.5 → 1),
// so pages show it without padding zeros.
func (p Position) QuantityPlaces() int { return i18n.ExactPlaces(p.Quantity, 0) }

// PricePlaces is how many decimal places the price needs, at least two.
func (p Position) PricePlaces() int {
	if p.Price == nil {
		return 2
	}
	return i18n.ExactPlaces(p.Price.value, 2)
}
