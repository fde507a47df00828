package crosssell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/products"
)

// Facts are what the needs rules know about one client on one day, read
// in one query (needsFactsSQL) and kept exact: amounts per currency as
// decimals, rates as the stored fractions. Rules see them through
// variables (ruleVars), converted once into the client's home currency.
type Facts struct {
	ClientID int64
	// Absent is true when QueueFacts found no such client: there is
	// nothing to judge, so EvaluateNeeds names no needs.
	Absent bool
	// AsOf is the moment the facts describe; Today its civil date.
	AsOf, Today time.Time
	Prospect    bool
	// Age is nil when the birth date is not known.
	Age              *int
	MaritalStatus    string
	Dependants       int
	EmploymentStatus string
	// Income is the stated annual income, nil when not known.
	Income    *ecrm.Money
	LifeStage string
	// Balances are the open current, savings and term-deposit accounts,
	// summed per kind and currency.
	Balances []Balance
	// MonthlyExpenses is the average month of spending over the three
	// months before AsOf, per currency (see monthlyExpenses).
	MonthlyExpenses []ecrm.Money
	// Investments are the positions other than options, at cost, per
	// currency: what the client has put aside for the long run.
	Investments []ecrm.Money
	// Cards and Mortgages are the active credit lines of those kinds with
	// a balance, at the firm or reported by the bureau.
	Cards, Mortgages []Debt
	// LifeCover is the sum insured of active life policies, per currency.
	LifeCover []ecrm.Money
	// Renewals are active policies ending within renewalWindowDays.
	Renewals []Renewal
	// Events are the life events of the last lifeEventWindow, latest of
	// each kind, oldest first.
	Events []LifeEvent
	// MarketMortgageRates is today's mortgage rate per currency: the lowest
	// tier rate of the current version of each mortgage on sale.
	MarketMortgageRates map[string]decimal.Decimal
}

// Balance is what a client holds in one kind of account in one currency.
type Balance struct {
	Kind string // current, savings, term_deposit
	ecrm.Money
}

// Debt is a credit line's outstanding balance and its rate (nil when the
// line has no rate on record).
type Debt struct {
	ecrm.Money
	Rate *decimal.Decimal
}

// Renewal is an insurance policy coming to its end.
type Renewal struct {
	PolicyID int64
	Line     string
	EndsOn   time.Time
}

// Life events seen in profile changes.
const (
	EventMarriage   = "marriage"
	EventBirth      = "birth"
	EventNewJob     = "new_job"
	EventRetirement = "retirement"
)

// LifeEvent is a change in the client's life read from the history of
// profile changes.
type LifeEvent struct {
	Kind string
	On   time.Time
}

const (
	// renewalWindowDays: a policy ending within 60 days is due for
	// renewal, the notice insurers give before a term ends (written as a
	// literal in needsFactsSQL; TestNeedsFactsSQLWindow checks the two).
	renewalWindowDays = 60
	// lifeEventWindow: a life event is a reason to talk for a year.
	lifeEventWindow = 12 // months
	// expenseMonths: spending is averaged over three months, long enough
	// to smooth a month with a large bill, short enough to follow a change.
	expenseMonths = 3
)

// needsFactsSQL reads every fact in one statement. Each list is a JSON
// array built in a subquery, so that one round trip answers for all of
// them; every subquery reads through an index whose first column is
// client_id (accounts_client_idx, account_transactions_client_idx over
// three months, positions_client_idx, credit_lines_client_idx,
// insurance_policies_client_idx, profile_changes_client_idx). Today's
// mortgage rates read the catalogue, a few dozen rows.
//
// Spending counts debits of current accounts except moves between the
// client's own accounts (a counterparty IBAN of one of them), money
// invested (securities_trade) and money put on deposit (deposit).
//
// $1 client, $2 today (date), $3 start of the spending window, $4 as of,
// $5 start of the life-event window.
const needsFactsSQL = `
SELECT c.kind = 'prospect', c.birth_date, coalesce(c.marital_status, ''), c.dependants,
       c.annual_income, coalesce(c.income_currency, ''), coalesce(c.employment_status, ''),
       (SELECT json_agg(json_build_array(b.kind, b.currency, b.total) ORDER BY b.kind, b.currency) FROM (
            SELECT a.kind, a.currency, sum(a.balance) AS total FROM accounts a
            WHERE a.client_id = c.id AND a.status <> 'closed' AND a.kind IN ('current', 'savings', 'term_deposit')
            GROUP BY a.kind, a.currency) b),
       (SELECT json_agg(json_build_array(s.currency, s.total) ORDER BY s.currency) FROM (
            SELECT t.currency, -sum(t.amount) AS total
            FROM account_transactions t JOIN accounts a ON a.id = t.account_id
            WHERE t.client_id = c.id AND t.booked_at >= $3 AND t.booked_at < $4 AND t.amount < 0
              AND a.kind = 'current' AND t.kind NOT IN ('securities_trade', 'deposit')
              AND NOT EXISTS (SELECT 1 FROM accounts o WHERE o.iban = t.counterparty_iban AND o.client_id = c.id)
            GROUP BY t.currency) s),
       (SELECT json_agg(json_build_array(v.currency, v.total) ORDER BY v.currency) FROM (
            SELECT i.currency, sum(p.quantity * p.average_cost
                   * CASE WHEN i.price_quotation = 'percent_of_face' THEN i.face_value / 100 ELSE 1 END) AS total
            FROM positions p JOIN instruments i ON i.id = p.instrument_id
            WHERE p.client_id = c.id AND i.kind <> 'option' AND p.quantity > 0
            GROUP BY i.currency) v),
       (SELECT json_agg(json_build_array(l.kind, l.currency, l.balance, l.interest_rate) ORDER BY l.id)
            FROM credit_lines l
            WHERE l.client_id = c.id AND l.status = 'active' AND l.kind IN ('credit_card', 'mortgage') AND l.balance > 0),
       (SELECT json_agg(json_build_array(lc.currency, lc.total) ORDER BY lc.currency) FROM (
            SELECT ip.currency, sum(ip.sum_insured) AS total FROM insurance_policies ip
            WHERE ip.client_id = c.id AND ip.status = 'active' AND ip.line = 'life' AND ip.ends_on >= $2
            GROUP BY ip.currency) lc),
       (SELECT json_agg(json_build_array(ip.id, ip.line, ip.ends_on) ORDER BY ip.ends_on, ip.id)
            FROM insurance_policies ip
            WHERE ip.client_id = c.id AND ip.status = 'active' AND ip.ends_on >= $2 AND ip.ends_on <= $2::date + 60),
       (SELECT json_agg(json_build_array(pc.field, pc.old_value, pc.new_value, pc.changed_at) ORDER BY pc.changed_at, pc.id)
            FROM profile_changes pc
            WHERE pc.client_id = c.id AND pc.changed_at >= $5 AND pc.changed_at <= $4
              AND pc.field IN ('marital_status', 'dependants', 'employment_status', 'employer')),
       (SELECT json_agg(json_build_array(m.currency, m.rate) ORDER BY m.currency) FROM (
            SELECT p.currency, min((t.tier ->> 'rate')::numeric) AS rate
            FROM products p JOIN product_versions v ON v.id = p.current_version_id
                 CROSS JOIN LATERAL jsonb_array_elements(v.definition -> 'rate_tiers') AS t(tier)
            WHERE p.kind = 'mortgage' AND p.active
            GROUP BY p.currency) m)
FROM clients c
WHERE c.id = $1`

// queryRower is a pool, a connection or a transaction.
type queryRower interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}

// LoadFacts reads the needs facts of a client in one round trip. A client
// that does not exist is ecrm.ENOTFOUND.
func LoadFacts(ctx context.Context, db queryRower, clientID int64, asOf time.Time) (*Facts, error) {
	f := &Facts{}
	args := factsArgs(clientID, asOf)
	if err := f.scan(db.QueryRow(ctx, needsFactsSQL, args...), clientID, asOf); err != nil {
		return nil, err
	}
	return f, nil
}

// QueueFacts adds the facts query to a batch the caller sends (the portal's
// overview and the advisor's 360 read their client in one batch, so the
// needs cost no round trip of their own); dst is filled when the batch's
// results are read. A client that does not exist (one erased while a
// session of theirs lives on) is no error of the caller's page: dst is
// marked Absent.
func QueueFacts(b *pgx.Batch, clientID int64, asOf time.Time, dst *Facts) {
	b.Queue(needsFactsSQL, factsArgs(clientID, asOf)...).QueryRow(func(row pgx.Row) error {
		err := dst.scan(row, clientID, asOf)
		if ecrm.ErrorCode(err) == ecrm.ENOTFOUND {
			*dst = Facts{ClientID: clientID, Absent: true}
			return nil
		}
		return err
	})
}

func factsArgs(clientID int64, asOf time.Time) []any {
	today := civilDate(asOf)
	return []any{clientID, today, asOf.AddDate(0, -expenseMonths, 0), asOf, asOf.AddDate(0, -lifeEventWindow, 0)}
}

// civilDate is asOf's date in its own zone, as a UTC midnight.
func civilDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (f *Facts) scan(row pgx.Row, clientID int64, asOf time.Time) error {
	var (
		birth                                                                *time.Time
		income                                                               *decimal.Decimal
		incomeCcy                                                            string
		balances, spending, invested, debts, cover, renewals, changes, rates []byte
	)
	err := row.Scan(&f.Prospect, &birth, &f.MaritalStatus, &f.Dependants, &income, &incomeCcy, &f.EmploymentStatus,
		&balances, &spending, &invested, &debts, &cover, &renewals, &changes, &rates)
	if errors.Is(err, pgx.ErrNoRows) {
		return ecrm.Errorf(ecrm.ENOTFOUND, "There is no such client.")
	}
	if err != nil {
		return fmt.Errorf("load needs facts of client %d: %w", clientID, err)
	}
	f.ClientID, f.AsOf, f.Today = clientID, asOf, civilDate(asOf)
	f.Age = ageOn(birth, f.Today)
	if income != nil {
		f.Income = &ecrm.Money{Amount: *income, Currency: incomeCcy}
	}
	f.LifeStage = ecrm.LifeStage(f.Age, f.MaritalStatus, f.Dependants, f.EmploymentStatus)
	if err := f.decodeLists(balances, spending, invested, debts, cover, renewals, changes, rates); err != nil {
		return fmt.Errorf("load needs facts of client %d: %w", clientID, err)
	}
	return nil
}

// decodeLists reads the JSON arrays of needsFactsSQL. Numbers are read as
// decimals from their JSON text, exactly as PostgreSQL wrote the NUMERIC.
func (f *Facts) decodeLists(balances, spending, invested, debts, cover, renewals, changes, rates []byte) error {
	var rows [][]json.RawMessage
	each := func(raw []byte, n int, fn func(r []json.RawMessage) error) error {
		if len(raw) == 0 {
			return nil
		}
		rows = rows[:0]
		if err := json.Unmarshal(raw, &rows); err != nil {
			return err
		}
		for _, r := range rows {
			if len(r) != n {
				return fmt.Errorf("needs facts: a row of %d values, want %d", len(r), n)
			}
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	}
	money := func(ccy, amount json.RawMessage) (ecrm.Money, error) {
		var m ecrm.Money
		if err := json.Unmarshal(ccy, &m.Currency); err != nil {
			return m, err
		}
		return m, json.Unmarshal(amount, &m.Amount)
	}
	perCurrency := func(dst *[]ecrm.Money) func(r []json.RawMessage) error {
		return func(r []json.RawMessage) error {
			m, err := money(r[0], r[1])
			*dst = append(*dst, m)
			return err
		}
	}
	if err := each(balances, 3, func(r []json.RawMessage) error {
		var b Balance
		if err := json.Unmarshal(r[0], &b.Kind); err != nil {
			return err
		}
		m, err := money(r[1], r[2])
		b.Money = m
		f.Balances = append(f.Balances, b)
		return err
	}); err != nil {
		return err
	}
	var spent []ecrm.Money
	if err := each(spending, 2, perCurrency(&spent)); err != nil {
		return err
	}
	f.MonthlyExpenses = monthlyExpenses(spent)
	if err := each(invested, 2, perCurrency(&f.Investments)); err != nil {
		return err
	}
	for i, m := range f.Investments {
		f.Investments[i] = roundTo(m)
	}
	if err := each(debts, 4, func(r []json.RawMessage) error {
		var kind string
		if err := json.Unmarshal(r[0], &kind); err != nil {
			return err
		}
		m, err := money(r[1], r[2])
		if err != nil {
			return err
		}
		d := Debt{Money: m}
		if string(r[3]) != "null" {
			var rate decimal.Decimal
			if err := json.Unmarshal(r[3], &rate); err != nil {
				return err
			}
			d.Rate = &rate
		}
		if kind == "mortgage" {
			f.Mortgages = append(f.Mortgages, d)
		} else {
			f.Cards = append(f.Cards, d)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := each(cover, 2, perCurrency(&f.LifeCover)); err != nil {
		return err
	}
	if err := each(renewals, 3, func(r []json.RawMessage) error {
		var p Renewal
		var ends string
		if err := errors.Join(json.Unmarshal(r[0], &p.PolicyID), json.Unmarshal(r[1], &p.Line), json.Unmarshal(r[2], &ends)); err != nil {
			return err
		}
		t, err := time.Parse(time.DateOnly, ends)
		p.EndsOn = t
		f.Renewals = append(f.Renewals, p)
		return err
	}); err != nil {
		return err
	}
	var history []profileChange
	if err := each(changes, 4, func(r []json.RawMessage) error {
		var c profileChange
		var at string
		if err := errors.Join(json.Unmarshal(r[0], &c.field), json.Unmarshal(r[1], &c.old), json.Unmarshal(r[2], &c.new),
			json.Unmarshal(r[3], &at)); err != nil {
			return err
		}
		t, err := time.Parse(time.RFC3339, at)
		c.at = t
		history = append(history, c)
		return err
	}); err != nil {
		return err
	}
	f.Events = lifeEvents(history)
	return each(rates, 2, func(r []json.RawMessage) error {
		var ccy string
		var rate decimal.Decimal
		if err := errors.Join(json.Unmarshal(r[0], &ccy), json.Unmarshal(r[1], &rate)); err != nil {
			return err
		}
		if f.MarketMortgageRates == nil {
			f.MarketMortgageRates = map[string]decimal.Decimal{}
		}
		f.MarketMortgageRates[ccy] = rate
		return nil
	})
}

// monthlyExpenses divides three months of spending by three, rounded half
// away from zero to the currency's minor units.
func monthlyExpenses(spent []ecrm.Money) []ecrm.Money {
	out := make([]ecrm.Money, 0, len(spent))
	for _, m := range spent {
		out = append(out, roundTo(ecrm.Money{Amount: m.Amount.Div(decimal.NewFromInt(expenseMonths)), Currency: m.Currency}))
	}
	return out
}

// roundTo rounds half away from zero to the currency's minor units (two
// places for a currency ecrm does not know).
func roundTo(m ecrm.Money) ecrm.Money {
	units, ok := ecrm.CurrencyMinorUnits(m.Currency)
	if !ok {
		units = 2
	}
	return ecrm.Money{Amount: m.Amount.Round(units), Currency: m.Currency}
}

type profileChange struct {
	field    string
	old, new *string
	at       time.Time
}

// lifeEvents reads life events from profile changes, oldest first, the
// latest of each kind:
//
//	marriage    marital status became married or partnership
//	birth       dependants went up
//	new_job     employment became employed or self-employed from anything
//	            else, or the employer changed to another named one
//	retirement  employment became retired
func lifeEvents(history []profileChange) []LifeEvent {
	latest := map[string]time.Time{}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	working := func(s string) bool { return s == "employed" || s == "self_employed" }
	for _, c := range history {
		old, new := str(c.old), str(c.new)
		var kind string
		switch c.field {
		case "marital_status":
			if (new == "married" || new == "partnership") && old != "married" && old != "partnership" {
				kind = EventMarriage
			}
		case "dependants":
			o, _ := strconv.Atoi(old)
			n, err := strconv.Atoi(new)
			if err == nil && n > o {
				kind = EventBirth
			}
		case "employment_status":
			switch {
			case new == "retired" && old != "retired":
				kind = EventRetirement
			case working(new) && !working(old):
				kind = EventNewJob
			}
		case "employer":
			if old != "" && new != "" && old != new {
				kind = EventNewJob
			}
		}
		if kind != "" {
			latest[kind] = c.at
		}
	}
	var out []LifeEvent
	for _, kind := range []string{EventMarriage, EventBirth, EventNewJob, EventRetirement} {
		if at, ok := latest[kind]; ok {
			out = append(out, LifeEvent{Kind: kind, On: civilDate(at)})
		}
	}
	return out
}

// ageOn is the age in whole years on today, nil for an unknown birth date.
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
	age = max(age, 0)
	return &age
}

// HomeCurrency is the currency the client's needs are sized in: the
// currency of the stated income, else the one the client spends most in,
// else that of the largest current account, "" when none is known.
func (f *Facts) HomeCurrency() string {
	if f.Income != nil {
		return f.Income.Currency
	}
	largest := func(list []ecrm.Money) string {
		best := ""
		var bestAmt decimal.Decimal
		for _, m := range list {
			if best == "" || m.Amount.GreaterThan(bestAmt) {
				best, bestAmt = m.Currency, m.Amount
			}
		}
		return best
	}
	if c := largest(f.MonthlyExpenses); c != "" {
		return c
	}
	var current []ecrm.Money
	for _, b := range f.Balances {
		if b.Kind == "current" {
			current = append(current, b.Money)
		}
	}
	return largest(current)
}

// convert puts an amount into the home currency at the fixed reference
// rates (products.ReferenceEURRate, the rates eligibility thresholds use),
// rounded half away from zero to the home currency's minor units. An
// amount in a currency without a reference rate cannot be compared and
// is left out (false).
func convert(m ecrm.Money, home string) (ecrm.Money, bool) {
	if m.Currency == home {
		return m, true
	}
	from, ok1 := products.ReferenceEURRate(m.Currency)
	to, ok2 := products.ReferenceEURRate(home)
	if !ok1 || !ok2 || to.IsZero() {
		return ecrm.Money{}, false
	}
	return roundTo(ecrm.Money{Amount: m.Amount.Mul(from).Div(to), Currency: home}), true
}

// total sums amounts in the home currency.
func total(list []ecrm.Money, home string) ecrm.Money {
	sum := ecrm.Money{Amount: decimal.Zero, Currency: home}
	for _, m := range list {
		if c, ok := convert(m, home); ok {
			sum.Amount = sum.Amount.Add(c.Amount)
		}
	}
	return sum
}
