package selfservice

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/crosssell"
)

// This file holds the portal's SQL. Every statement takes the client id as
// $1 and filters every client-scoped table by it, so a row of another
// client is never read: a wrong id gives "no rows", which callers turn into
// 404, never a row that is fetched and then refused.

// execer is what inserting a portal action needs: the pool or a
// transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

const insertPortalActionSQL = `
INSERT INTO portal_actions (client_id, action, target, occurred_at)
VALUES ($1, $2, $3, $4)`

func insertPortalAction(ctx context.Context, db execer, clientID int64, action, target string, at time.Time) error {
	if _, err := db.Exec(ctx, insertPortalActionSQL, clientID, action, target, at); err != nil {
		return fmt.Errorf("record portal action %s of client %d: %w", action, clientID, err)
	}
	return nil
}

// Overview --------------------------------------------------------------------

// The overview is read with these statements sent as one pgx batch: one
// network round trip, each statement an index scan on client_id (or on the
// primary key of a row found that way).

// accountsSQL reads the accounts that are not closed; sortAccounts orders
// them (a handful of rows sort faster in Go than through a Sort node).
const accountsSQL = `
SELECT id, kind, name, name_ro, coalesce(iban, ''), currency, balance, credit_limit, status
FROM accounts
WHERE client_id = $1 AND status <> 'closed'`

// accountKindOrder is the order of accounts on the overview: everyday
// money first, then savings, cards and credit, investments last.
var accountKindOrder = []string{"current", "savings", "term_deposit", "card", "loan", "brokerage"}

func sortAccounts(accounts []Account) {
	slices.SortFunc(accounts, func(a, b Account) int {
		if d := cmp.Compare(slices.Index(accountKindOrder, a.Kind), slices.Index(accountKindOrder, b.Kind)); d != 0 {
			return d
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

func scanAccount(rows pgx.Rows) (Account, error) {
	var a Account
	var iban, currency string
	var balance decimal.Decimal
	var limit *decimal.Decimal
	if err := scanRow(rows, &a.ID, &a.Kind, &a.Name.EN, &a.Name.RO, &iban, &currency, num{&balance}, nullNum{&limit}, &a.Status); err != nil {
		return Account{}, err
	}
	a.IBANMasked = maskIBAN(iban)
	a.IBAN = iban
	a.Balance = newMoney(balance, currency)
	if limit != nil {
		m := newMoney(*limit, currency)
		a.CreditLimit = &m
	}
	return a, nil
}

// positionsSQL reads the latest close on or before today ($2) through the
// primary key (instrument_id, price_date), newest first; sortPositions
// orders the rows.
const positionsSQL = `
SELECT p.id, p.account_id, i.id, i.symbol, i.name, i.kind, i.currency,
       coalesce(i.contract_multiplier, 1), i.price_quotation, i.face_value, p.quantity, p.average_cost, px.close, px.price_date
FROM positions p
JOIN instruments i ON i.id = p.instrument_id
LEFT JOIN LATERAL (
    SELECT ip.close, ip.price_date
    FROM instrument_prices ip
    WHERE ip.instrument_id = p.instrument_id AND ip.price_date <= $2
    ORDER BY ip.price_date DESC
    LIMIT 1
) px ON true
WHERE p.client_id = $1`

// sortPositions orders positions by currency, instrument kind, symbol
// and id, the order in which valuePortfolio lists totals and allocations.
func sortPositions(positions []positionRow) {
	slices.SortFunc(positions, func(a, b positionRow) int {
		return cmp.Or(cmp.Compare(a.Currency, b.Currency), cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Symbol, b.Symbol), cmp.Compare(a.ID, b.ID))
	})
}

// positionRow is a position as stored, before valuation.
type positionRow struct {
	ID, AccountID, InstrumentID  int64
	Symbol, Name, Kind, Currency string
	multiplier                   int64
	quotation                    string
	faceValue                    *decimal.Decimal
	quantity                     decimal.Decimal
	averageCost                  decimal.Decimal
	close                        *decimal.Decimal
	priceDate                    *time.Time
}

// policiesSQL finds, per policy, the earliest instalment still to pay
// (through the (policy_id, due_on) unique index) and whether one was
// missed in the twelve months up to today ($2).
const policiesSQL = `
SELECT p.id, p.policy_number, p.line, p.insurer, p.status, p.starts_on, p.ends_on,
       p.sum_insured, p.premium, p.currency, p.premium_frequency,
       nx.due_on, nx.amount, nx.currency, coalesce(nx.status = 'late', false),
       EXISTS (SELECT 1 FROM premium_instalments m
               WHERE m.policy_id = p.id AND m.client_id = $1 AND m.status = 'missed'
                 AND m.due_on > $2::date - 365 AND m.due_on <= $2)
FROM insurance_policies p
LEFT JOIN LATERAL (
    SELECT i.due_on, i.amount, i.currency, i.status
    FROM premium_instalments i
    WHERE i.policy_id = p.id AND i.client_id = $1 AND i.status IN ('scheduled', 'late')
    ORDER BY i.due_on
    LIMIT 1
) nx ON true
WHERE p.client_id = $1 AND p.status IN ('active', 'lapsed')
ORDER BY p.starts_on, p.id`

const creditLinesSQL = `
SELECT id, kind, source, lender, credit_limit, balance, currency, monthly_payment, status, opened_on
FROM credit_lines
WHERE client_id = $1 AND status <> 'closed'
ORDER BY opened_on, id`

const interactionsSQL = `
SELECT id, channel, direction, subject, occurred_at
FROM interactions
WHERE client_id = $1
ORDER BY occurred_at DESC, id DESC
LIMIT 5`

// recentPaymentsSQL reads a year of the client's recurring outgoing
// payments (standing orders, transfers, direct debits, card top-ups),
// newest first, from account_transactions_recurring_idx alone: an
// index-only scan (migration 00004). quickactions.go groups them; grouping
// in SQL with ordered aggregates cost three times as much server time. The
// amount is read in cents (numeric(18,2) × 100 is exact), which decodes far
// cheaper than a numeric, since only the latest amount per payee is kept.
// The cap bounds the work for the rare client with thousands of payments.
// A transfer to the client herself (between her own accounts, to her
// account at another bank) is no payee to suggest: payments whose
// counterparty is her own name, in either order, are left out (the client's
// names are read once, as an init plan).
const recentPaymentsSQL = `
SELECT kind, account_id, coalesce(counterparty_name, ''), booked_at, id, (amount * 100)::bigint, currency
FROM account_transactions
WHERE client_id = $1 AND booked_at >= $2
  AND kind IN ('standing_order', 'direct_debit', 'transfer_out', 'card_top_up')
  AND lower(coalesce(counterparty_name, '')) NOT IN (
      SELECT lower(given_name || ' ' || family_name) FROM clients WHERE id = $1
      UNION ALL
      SELECT lower(family_name || ' ' || given_name) FROM clients WHERE id = $1)
ORDER BY booked_at DESC
LIMIT 2000`

// portalEventsSQL reads the client's recent portal actions, newest first,
// capped: older ones weigh almost nothing after the recency decay.
const portalEventsSQL = `
SELECT action, target, occurred_at
FROM portal_actions
WHERE client_id = $1 AND occurred_at >= $2
ORDER BY occurred_at DESC, id DESC
LIMIT 200`

// overviewRows is what the overview batch reads, before the business rules
// (valuation, quick actions) are applied.
type overviewRows struct {
	accounts     []Account
	positions    []positionRow
	policies     []Policy
	creditLines  []CreditLine
	interactions []Interaction
	payments     *paymentGrouper
	use          *portalUse
	needs        crosssell.Facts
}

// queryOverview reads everything the overview shows in one round trip.
func queryOverview(ctx context.Context, pool *pgxpool.Pool, clientID int64, today, now time.Time, zone *time.Location) (*overviewRows, error) {
	// Room for a typical client's rows, so that appending does not
	// reallocate (positionRow is large) on every overview.
	out := &overviewRows{
		accounts:     make([]Account, 0, 8),
		positions:    make([]positionRow, 0, 8),
		policies:     make([]Policy, 0, 4),
		creditLines:  make([]CreditLine, 0, 4),
		interactions: make([]Interaction, 0, 5),
	}
	b := &pgx.Batch{}
	b.Queue(accountsSQL, clientID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			a, err := scanAccount(rows)
			if err != nil {
				return err
			}
			out.accounts = append(out.accounts, a)
		}
		return nil
	})
	b.Queue(positionsSQL, clientID, today).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var p positionRow
			if err := scanRow(rows, &p.ID, &p.AccountID, &p.InstrumentID, &p.Symbol, &p.Name, &p.Kind, &p.Currency,
				&p.multiplier, &p.quotation, nullNum{&p.faceValue}, num{&p.quantity}, num{&p.averageCost}, nullNum{&p.close}, &p.priceDate); err != nil {
				return err
			}
			out.positions = append(out.positions, p)
		}
		return nil
	})
	b.Queue(policiesSQL, clientID, today).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var p Policy
			var sumInsured, premium decimal.Decimal
			var currency string
			var dueOn *time.Time
			var dueAmount *decimal.Decimal
			var dueCurrency *string
			var markedLate, missed bool
			if err := scanRow(rows, &p.ID, &p.PolicyNumber, &p.Line, &p.Insurer, &p.Status, &p.StartsOn.Time, &p.EndsOn.Time,
				num{&sumInsured}, num{&premium}, &currency, &p.PremiumFrequency,
				&dueOn, nullNum{&dueAmount}, &dueCurrency, &markedLate, &missed); err != nil {
				return err
			}
			p.SumInsured = newMoney(sumInsured, currency)
			p.Premium = newMoney(premium, currency)
			late := markedLate
			if dueOn != nil {
				p.NextPremium = &Instalment{
					DueOn:   Date{*dueOn},
					Amount:  newMoney(*dueAmount, *dueCurrency),
					Overdue: dueOn.Before(today),
				}
				late = late || p.NextPremium.Overdue
			}
			p.PaymentStatus = paymentStatus(missed, late)
			out.policies = append(out.policies, p)
		}
		return nil
	})
	b.Queue(creditLinesSQL, clientID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var c CreditLine
			var limit, balance decimal.Decimal
			var monthly *decimal.Decimal
			var currency string
			var openedOn time.Time
			if err := scanRow(rows, &c.ID, &c.Kind, &c.Source, &c.Lender, num{&limit}, num{&balance}, &currency, nullNum{&monthly}, &c.Status, &openedOn); err != nil {
				return err
			}
			c.Limit = newMoney(limit, currency)
			c.Balance = newMoney(balance, currency)
			if c.Status == "active" && monthly != nil && monthly.IsPositive() {
				c.NextPayment = &Payment{DueOn: Date{nextDueDate(openedOn, today)}, Amount: newMoney(*monthly, currency)}
			}
			out.creditLines = append(out.creditLines, c)
		}
		return nil
	})
	b.Queue(interactionsSQL, clientID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var i Interaction
			if err := rows.Scan(&i.ID, &i.Channel, &i.Direction, &i.Subject, &i.OccurredAt); err != nil {
				return err
			}
			out.interactions = append(out.interactions, i)
		}
		return nil
	})
	b.Queue(recentPaymentsSQL, clientID, now.Add(-paymentWindow)).Query(func(rows pgx.Rows) error {
		out.payments = newPaymentGrouper(zone)
		// Text columns are read in place (DriverBytes, valid until the
		// next row): most rows repeat a payee already seen, and copying
		// each into a string would cost more than the rest of the row.
		var kind, counterparty, currency pgtype.DriverBytes
		var p recentPayment
		_, err := pgx.ForEachRow(rows, []any{&kind, &p.AccountID, &counterparty, &p.BookedAt, &p.ID, &p.Cents, &currency}, func() error {
			out.payments.add(kind, counterparty, currency, p)
			return nil
		})
		return err
	})
	b.Queue(portalEventsSQL, clientID, now.Add(-portalWindow)).Query(func(rows pgx.Rows) error {
		out.use = newPortalUse(now)
		var action, target pgtype.DriverBytes
		var at time.Time
		_, err := pgx.ForEachRow(rows, []any{&action, &target, &at}, func() error {
			out.use.add(action, target, at)
			return nil
		})
		return err
	})
	// The needs are judged as of the start of today, as the advisor's 360
	// judges them.
	crosssell.QueueFacts(b, clientID, today, &out.needs)
	if err := pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("read overview of client %d: %w", clientID, err)
	}
	sortAccounts(out.accounts)
	sortPositions(out.positions)
	return out, nil
}

// Account transactions ----------------------------------------------------------

const accountSQL = `
SELECT id, kind, name, name_ro, coalesce(iban, ''), currency, balance, credit_limit, status
FROM accounts
WHERE client_id = $1 AND id = $2`

// transactionsSQL pages newest first by (booked_at, id) through
// account_transactions_account_idx. $3 is the counterparty filter (NULL for
// none), $4/$5 the cursor (NULL for the first page).
const transactionsSQL = `
SELECT id, booked_at, value_date, amount, currency, kind,
       coalesce(counterparty_name, ''), coalesce(counterparty_iban, ''), description, channel
FROM account_transactions
WHERE client_id = $1 AND account_id = $2
  AND ($3::text IS NULL OR counterparty_name = $3)
  AND ($4::timestamptz IS NULL OR (booked_at, id) < ($4, $5))
  AND ($7::timestamptz IS NULL OR booked_at >= $7)
  AND ($8::timestamptz IS NULL OR booked_at < $8)
ORDER BY booked_at DESC, id DESC
LIMIT $6`

// recordAccountViewSQL records the visit only if the account is the
// client's, in the same round trip as the reads.
const recordAccountViewSQL = `
INSERT INTO portal_actions (client_id, action, target, occurred_at)
SELECT $1, $2, $3, $4
WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $5 AND client_id = $1)`

// queryAccountTransactions reads the account and one page of its
// transactions (limit+1 rows, to know whether there is a next page) and,
// when record is set, records the visit, all in one round trip.
func queryAccountTransactions(ctx context.Context, pool *pgxpool.Pool, clientID, accountID int64, counterparty *string, period [2]*time.Time, cursor *transactionCursor, limit int, record *portalEvent) (*Account, []Transaction, error) {
	var account *Account
	var txs []Transaction
	var before *time.Time
	var beforeID int64
	if cursor != nil {
		before, beforeID = &cursor.bookedAt, cursor.id
	}
	b := &pgx.Batch{}
	b.Queue(accountSQL, clientID, accountID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			a, err := scanAccount(rows)
			if err != nil {
				return err
			}
			account = &a
		}
		return nil
	})
	b.Queue(transactionsSQL, clientID, accountID, counterparty, before, beforeID, limit+1, period[0], period[1]).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var t Transaction
			var amount decimal.Decimal
			var currency string
			if err := scanRow(rows, &t.ID, &t.BookedAt, &t.ValueDate.Time, num{&amount}, &currency, &t.Kind,
				&t.Counterparty, &t.CounterpartyIBAN, &t.Description, &t.Channel); err != nil {
				return err
			}
			t.Amount = newMoney(amount, currency)
			txs = append(txs, t)
		}
		return nil
	})
	if record != nil {
		b.Queue(recordAccountViewSQL, clientID, record.Action, record.Target, record.At, accountID)
	}
	if err := pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, nil, fmt.Errorf("read transactions of account %d of client %d: %w", accountID, clientID, err)
	}
	return account, txs, nil
}

// Profile -------------------------------------------------------------------------

const profileColumns = `
id, given_name, family_name, email, email_verified, phone, address_line1, address_line2,
city, postal_code, country, marital_status, dependants, annual_income, income_currency,
employment_status, occupation, employer, preferred_channel, preferred_language, updated_at`

const profileSQL = `SELECT ` + profileColumns + ` FROM clients WHERE id = $1`

// profileForUpdateSQL locks the client row against concurrent profile and
// consent changes. FOR NO KEY UPDATE does not block inserts elsewhere that
// only reference the client (their foreign key check takes KEY SHARE).
const profileForUpdateSQL = profileSQL + ` FOR NO KEY UPDATE`

func scanProfile(row pgx.Row) (*Profile, error) {
	var p Profile
	var income *decimal.Decimal
	var incomeCurrency *string
	err := row.Scan(&p.ClientID, &p.GivenName, &p.FamilyName, &p.Email, &p.EmailVerified, &p.Phone,
		&p.AddressLine1, &p.AddressLine2, &p.City, &p.PostalCode, &p.Country, &p.MaritalStatus,
		&p.Dependants, nullNum{&income}, &incomeCurrency, &p.EmploymentStatus, &p.Occupation, &p.Employer,
		&p.PreferredChannel, &p.PreferredLanguage, &p.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if income != nil && incomeCurrency != nil {
		m := newMoney(*income, *incomeCurrency)
		p.AnnualIncome = &m
	}
	return &p, nil
}

// updateProfileSQL writes every editable field. A changed e-mail address
// is no longer verified: logins link to clients by verified e-mail, so an
// unverified address must not count as one.
const updateProfileSQL = `
UPDATE clients SET
    email_verified = email_verified AND email IS NOT DISTINCT FROM $2,
    email = $2, phone = $3, address_line1 = $4, address_line2 = $5, city = $6,
    postal_code = $7, country = $8, marital_status = $9, dependants = $10,
    annual_income = $11, income_currency = $12, employment_status = $13,
    occupation = $14, employer = $15, preferred_channel = $16, preferred_language = $17,
    updated_at = $18
WHERE id = $1`

func updateProfile(ctx context.Context, tx pgx.Tx, p *Profile, at time.Time) error {
	var income *decimal.Decimal
	var currency *string
	if p.AnnualIncome != nil {
		amount := p.AnnualIncome.Value()
		income, currency = &amount, &p.AnnualIncome.Currency
	}
	_, err := tx.Exec(ctx, updateProfileSQL, p.ClientID, p.Email, p.Phone, p.AddressLine1, p.AddressLine2,
		p.City, p.PostalCode, p.Country, p.MaritalStatus, p.Dependants, income, currency,
		p.EmploymentStatus, p.Occupation, p.Employer, p.PreferredChannel, p.PreferredLanguage, at)
	return err
}

// insertProfileChangesSQL appends one row per changed field.
const insertProfileChangesSQL = `
INSERT INTO profile_changes (client_id, field, old_value, new_value, actor_kind, request_id, changed_at)
SELECT $1, c.field, c.old_value, c.new_value, 'client', $5, $6
FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS c (field, old_value, new_value, n)
ORDER BY c.n`

func insertProfileChanges(ctx context.Context, tx pgx.Tx, clientID int64, changes []ProfileChange, requestID string, at time.Time) error {
	fields := make([]string, len(changes))
	olds := make([]*string, len(changes))
	news := make([]*string, len(changes))
	for i, c := range changes {
		fields[i], olds[i], news[i] = c.Field, c.OldValue, c.NewValue
	}
	var rid *string
	if requestID != "" {
		rid = &requestID
	}
	_, err := tx.Exec(ctx, insertProfileChangesSQL, clientID, fields, olds, news, rid, at)
	return err
}

const recentProfileChangesSQL = `
SELECT field, old_value, new_value, actor_kind, changed_at
FROM profile_changes
WHERE client_id = $1
ORDER BY changed_at DESC, id DESC
LIMIT $2`

func queryRecentProfileChanges(ctx context.Context, pool *pgxpool.Pool, clientID int64, limit int) ([]ProfileChange, error) {
	rows, err := pool.Query(ctx, recentProfileChangesSQL, clientID, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (ProfileChange, error) {
		var c ProfileChange
		err := row.Scan(&c.Field, &c.OldValue, &c.NewValue, &c.ActorKind, &c.ChangedAt)
		return c, err
	})
}

// Consents --------------------------------------------------------------------------

// currentConsentsSQL returns the row in force per purpose and channel: the
// latest one (consents are appended, never updated).
const currentConsentsSQL = `
SELECT DISTINCT ON (purpose, channel) purpose, channel, granted, wording_version, source, recorded_at
FROM consents
WHERE client_id = $1
ORDER BY purpose, channel, recorded_at DESC, id DESC`

// querier runs a query on the pool or in a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func queryCurrentConsents(ctx context.Context, db querier, clientID int64) (map[ConsentTopic]Consent, error) {
	rows, err := db.Query(ctx, currentConsentsSQL, clientID)
	if err != nil {
		return nil, err
	}
	current := map[ConsentTopic]Consent{}
	var c Consent
	var recordedAt time.Time
	_, err = pgx.ForEachRow(rows, []any{&c.Purpose, &c.Channel, &c.Granted, &c.WordingVersion, &c.Source, &recordedAt}, func() error {
		at := recordedAt
		c.RecordedAt = &at
		current[ConsentTopic{c.Purpose, c.Channel}] = c
		return nil
	})
	return current, err
}

const lockClientSQL = `SELECT 1 FROM clients WHERE id = $1 FOR NO KEY UPDATE`

const insertConsentSQL = `
INSERT INTO consents (client_id, purpose, channel, granted, wording_version, source, recorded_at)
VALUES ($1, $2, $3, $4, $5, 'portal', $6)`

// Export ------------------------------------------------------------------------------

// exportSQL builds the whole personal-data document in one statement, so
// that it is one consistent snapshot. Rows are written with to_jsonb, so a
// column added to one of these tables later is exported without a change
// here; identities are limited to issuer and subject (and dates), and
// positions carry their instrument.
const exportSQL = `
SELECT jsonb_build_object(
  'client', (SELECT to_jsonb(c) FROM clients c WHERE c.id = $1),
  'relationships', coalesce((SELECT jsonb_agg(to_jsonb(r) ORDER BY r.related_client_id, r.kind)
      FROM client_relationships r WHERE r.client_id = $1), '[]'),
  'identities', coalesce((SELECT jsonb_agg(jsonb_build_object('issuer', i.issuer, 'subject', i.subject,
          'created_at', i.created_at, 'last_login_at', i.last_login_at) ORDER BY i.issuer, i.subject)
      FROM identities i WHERE i.client_id = $1), '[]'),
  'accounts', coalesce((SELECT jsonb_agg(to_jsonb(a) ORDER BY a.id)
      FROM accounts a WHERE a.client_id = $1), '[]'),
  'account_transactions', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.booked_at, t.id)
      FROM account_transactions t WHERE t.client_id = $1), '[]'),
  'positions', coalesce((SELECT jsonb_agg(to_jsonb(p) || jsonb_build_object('instrument',
          jsonb_build_object('symbol', i.symbol, 'isin', i.isin, 'name', i.name, 'kind', i.kind, 'currency', i.currency))
          ORDER BY p.id)
      FROM positions p JOIN instruments i ON i.id = p.instrument_id WHERE p.client_id = $1), '[]'),
  'watchlist', coalesce((SELECT jsonb_agg(jsonb_build_object('symbol', i.symbol, 'name', i.name, 'added_at', w.added_at)
          ORDER BY w.added_at, i.symbol)
      FROM watchlist_items w JOIN instruments i ON i.id = w.instrument_id WHERE w.client_id = $1), '[]'),
  'insurance_policies', coalesce((SELECT jsonb_agg(to_jsonb(p) ORDER BY p.id)
      FROM insurance_policies p WHERE p.client_id = $1), '[]'),
  'premium_instalments', coalesce((SELECT jsonb_agg(to_jsonb(i) ORDER BY i.policy_id, i.due_on)
      FROM premium_instalments i WHERE i.client_id = $1), '[]'),
  'premium_payments', coalesce((SELECT jsonb_agg(to_jsonb(p) ORDER BY p.paid_at, p.id)
      FROM premium_payments p WHERE p.client_id = $1), '[]'),
  'claims', coalesce((SELECT jsonb_agg(jsonb_build_object('id', c.id, 'reference', c.reference, 'policy_id', c.policy_id,
          'incident_on', c.incident_on, 'place', c.place, 'description', c.description, 'reported_at', c.reported_at,
          'claimed_amount', c.claimed_amount, 'approved_amount', c.approved_amount, 'paid_amount', c.paid_amount,
          'currency', c.currency, 'status', c.status, 'rejection_reason', c.rejection_reason, 'updated_at', c.updated_at,
          'status_history', (
            SELECT jsonb_agg(jsonb_build_object('status', h.to_status, 'amount', h.amount, 'note', h.note, 'staff', hs.display_name,
                     'changed_at', h.at) ORDER BY h.at, h.id)
            FROM claim_status_history h LEFT JOIN staff_users hs ON hs.id = h.staff_id WHERE h.claim_id = c.id),
          'messages', (
            SELECT jsonb_agg(jsonb_build_object('author', m.author, 'staff', ms.display_name, 'body', m.body,
                     'created_at', m.created_at, 'attachments', (SELECT jsonb_agg(a.file_name ORDER BY a.id)
                       FROM claim_attachments a WHERE a.message_id = m.id)) ORDER BY m.created_at, m.id)
            FROM claim_messages m LEFT JOIN staff_users ms ON ms.id = m.staff_id WHERE m.claim_id = c.id),
          'attachments', (SELECT jsonb_agg(a.file_name ORDER BY a.id) FROM claim_attachments a WHERE a.claim_id = c.id))
          ORDER BY c.reported_at, c.id)
      FROM claims c WHERE c.client_id = $1), '[]'),
  'credit_lines', coalesce((SELECT jsonb_agg(to_jsonb(l) ORDER BY l.id)
      FROM credit_lines l WHERE l.client_id = $1), '[]'),
  'credit_payments', coalesce((SELECT jsonb_agg(to_jsonb(p) ORDER BY p.credit_line_id, p.period)
      FROM credit_payments p WHERE p.client_id = $1), '[]'),
  'interactions', coalesce((SELECT jsonb_agg(to_jsonb(i) ORDER BY i.occurred_at, i.id)
      FROM interactions i WHERE i.client_id = $1), '[]'),
  'consents', coalesce((SELECT jsonb_agg(to_jsonb(c) ORDER BY c.recorded_at, c.id)
      FROM consents c WHERE c.client_id = $1), '[]'),
  'profile_changes', coalesce((SELECT jsonb_agg(to_jsonb(p) ORDER BY p.changed_at, p.id)
      FROM profile_changes p WHERE p.client_id = $1), '[]'),
  'portal_actions', coalesce((SELECT jsonb_agg(to_jsonb(a) ORDER BY a.occurred_at, a.id)
      FROM portal_actions a WHERE a.client_id = $1), '[]'),
  'offer_decisions', coalesce((SELECT jsonb_agg(jsonb_build_object('seq', d.seq, 'kind', d.kind, 'refers_to', d.refers_to,
          'product_code', p.code, 'product_version', pv.version, 'engine', d.engine, 'engine_version', d.engine_version,
          'channel', d.channel, 'actor_kind', d.actor_kind, 'outcome', d.outcome, 'recorded_at', d.recorded_at,
          'record', d.body::jsonb) ORDER BY d.seq)
      FROM decision_records d LEFT JOIN products p ON p.id = d.product_id LEFT JOIN product_versions pv ON pv.id = d.product_version_id
      WHERE d.client_id = $1), '[]'),
  'review_requests', coalesce((SELECT jsonb_agg(jsonb_build_object('id', h.id, 'offer_seq', h.decision_seq, 'message', h.message,
          'requested_at', h.requested_at, 'status', h.status, 'answer', h.answer, 'answered_at', h.answered_at,
          'answered_by', s.display_name, 'read_at', h.client_read_at) ORDER BY h.requested_at, h.id)
      FROM human_review_requests h LEFT JOIN staff_users s ON s.id = h.answered_by WHERE h.client_id = $1), '[]'),
  'risk_assessments', coalesce((SELECT jsonb_agg(to_jsonb(r) ORDER BY r.assessed_at, r.id)
      FROM risk_assessments r WHERE r.client_id = $1), '[]'),
  'suitability_responses', coalesce((SELECT jsonb_agg(to_jsonb(r) - 'idempotency_key' ORDER BY r.completed_at, r.id)
      FROM suitability_responses r WHERE r.client_id = $1), '[]'),
  'trades', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.traded_at, t.id)
      FROM trades t WHERE t.client_id = $1), '[]'),
  'objections', coalesce((SELECT jsonb_agg(to_jsonb(o) ORDER BY o.recorded_at, o.id)
      FROM objections o WHERE o.client_id = $1), '[]'),
  'credit_scores', coalesce((SELECT jsonb_agg(to_jsonb(cs))
      FROM credit_scores cs WHERE cs.client_id = $1), '[]'),
  'service_requests', coalesce((SELECT jsonb_agg(jsonb_build_object('id', r.id, 'kind', r.kind, 'subject', r.subject,
          'status', r.status, 'created_at', r.created_at, 'due_at', r.due_at, 'first_answer_at', r.first_answer_at,
          'closed_at', r.closed_at, 'messages', (
            SELECT jsonb_agg(jsonb_build_object('author', m.author, 'staff', s.display_name, 'body', m.body,
                     'created_at', m.created_at, 'attachments', (SELECT jsonb_agg(a.file_name ORDER BY a.id)
                       FROM service_attachments a WHERE a.message_id = m.id)) ORDER BY m.created_at, m.id)
            FROM service_messages m LEFT JOIN staff_users s ON s.id = m.staff_id WHERE m.request_id = r.id))
          ORDER BY r.created_at, r.id)
      FROM service_requests r WHERE r.client_id = $1), '[]'),
  'documents', coalesce((SELECT jsonb_agg(jsonb_build_object('id', d.id, 'kind', d.kind, 'language', d.language,
          'template_version', d.template_version, 'sha256', d.sha256, 'created_at', d.created_at, 'sent_at', d.sent_at)
          ORDER BY d.sent_at, d.id)
      FROM documents d WHERE d.client_id = $1 AND d.sent_at IS NOT NULL), '[]')
)::text
WHERE EXISTS (SELECT 1 FROM clients WHERE id = $1)`

// num scans a NUMERIC into a decimal through pgx's binary numeric plan
// (scanRow reads the common case faster; see numeric.go). A
// *decimal.Decimal target takes decimal's database/sql Scanner path
// instead, on which pgx writes the number as text for decimal to parse
// back: three times the time and the allocations, for every amount read.
type num struct{ d *decimal.Decimal }

func (n num) ScanNumeric(v pgtype.Numeric) error {
	d, err := decimalOf(v)
	if err != nil {
		return err
	}
	if d == nil {
		return errors.New("unexpected NULL numeric")
	}
	*n.d = *d
	return nil
}

// nullNum scans a NUMERIC that may be NULL; NULL gives nil.
type nullNum struct{ d **decimal.Decimal }

func (n nullNum) ScanNumeric(v pgtype.Numeric) error {
	d, err := decimalOf(v)
	*n.d = d
	return err
}

func decimalOf(v pgtype.Numeric) (*decimal.Decimal, error) {
	if !v.Valid {
		return nil, nil
	}
	if v.NaN || v.InfinityModifier != pgtype.Finite {
		return nil, errors.New("numeric is not a finite number")
	}
	var d decimal.Decimal
	if v.Int != nil {
		d = decimal.NewFromBigInt(v.Int, v.Exp)
	}
	return &d, nil
}

// bookedSince sums the account's transactions booked from since on.
func (s *Service) bookedSince(ctx context.Context, clientID, accountID int64, since time.Time) (decimal.Decimal, error) {
	var sum decimal.Decimal
	err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(amount), 0) FROM account_transactions
		WHERE client_id = $1 AND account_id = $2 AND booked_at >= $3`, clientID, accountID, since).Scan(&sum)
	if err != nil {
		return decimal.Zero, fmt.Errorf("transactions of account %d since %s: %w", accountID, since, err)
	}
	return sum, nil
}
