package advisor

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/risk"
)

// Every query that reads or writes a client filters by the caller's scope
// in SQL, so a client outside an advisor's book is simply not found. Most
// take an "advisor" parameter, the staff id of an advisor or NULL for
// compliance and admin (Scope.advisorFilter), and filter with
//
//	($n::bigint IS NULL OR c.advisor_id = $n)
//
// Where a generic plan of that condition would read every client (the
// client list, the segment counts), the query is either run unprepared or
// written twice. The client 360 and the credit history check the client
// first, in the same transaction as the rest, and read the rest by the id
// that check returned.

// Store reads and writes the console's data in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	// now is the clock; loc the zone whose calendar decides "today"
	// (ages, overdue premiums, the credit history window).
	now func() time.Time
	loc *time.Location
}

// NewStore returns a Store on pool, with the system clock and zone.
func NewStore(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, now: time.Now, loc: time.Local}
}

// today is the current date in the store's zone, at midnight UTC, the form
// dates come back from PostgreSQL in.
func (s *Store) today() time.Time {
	y, m, d := s.now().In(s.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

var errNotFound = ecrm.Errorf(ecrm.ENOTFOUND, "console.error.client_not_found")

// Resources recorded in staff_access_log.
const (
	resourceClient360     = "client_360"
	resourceCreditHistory = "credit_history"
	resourceReviewRequest = "review_request"
	// resourceServiceRequest is the client beside a service request's
	// thread.
	resourceServiceRequest = "service_request"
)

// ---------------------------------------------------------------------------
// The client list

// cursor is the position after which the next page starts: the last row's
// sort key.
// cursor is the sort key of a page's last client, for keyset paging: the
// name keys in a name order, the age key (a date, or ±infinity for an
// unknown birth date) in an age order. Sort ties the cursor to its order.
type cursor struct {
	Sort      string
	FamilyKey string
	GivenKey  string
	AgeKey    string
	ID        int64
}

func (c cursor) encode() string {
	b, _ := json.Marshal([]any{c.Sort, c.FamilyKey, c.GivenKey, c.AgeKey, c.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, false
	}
	var parts []json.RawMessage
	var c cursor
	if json.Unmarshal(b, &parts) != nil || len(parts) != 5 ||
		json.Unmarshal(parts[0], &c.Sort) != nil || json.Unmarshal(parts[1], &c.FamilyKey) != nil ||
		json.Unmarshal(parts[2], &c.GivenKey) != nil || json.Unmarshal(parts[3], &c.AgeKey) != nil ||
		json.Unmarshal(parts[4], &c.ID) != nil || c.ID <= 0 {
		return cursor{}, false
	}
	if (c.Sort == SortYoungest || c.Sort == SortOldest) && c.AgeKey != "infinity" && c.AgeKey != "-infinity" {
		if _, err := time.Parse(time.DateOnly, c.AgeKey); err != nil {
			return cursor{}, false
		}
	}
	return c, true
}

// likePrefix escapes LIKE's wildcards in a user's text.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// nameSearch is a query split into the patterns of qClients.
type nameSearch struct {
	familyFirst, givenAfter string // "popescu an": family "popescu", given "an"
	familyLast, givenBefore string // "ana pop": given "ana", family "pop"
	email                   string
}

func splitQuery(q string) nameSearch {
	q = strings.Join(strings.Fields(q), " ")
	if q == "" {
		return nameSearch{}
	}
	if strings.Contains(q, "@") {
		return nameSearch{email: likePrefix(strings.ReplaceAll(q, " ", ""))}
	}
	words := strings.Fields(likePrefix(q))
	s := nameSearch{familyFirst: words[0]}
	if len(words) > 1 {
		s.givenAfter = strings.Join(words[1:], " ")
		s.familyLast = words[len(words)-1]
		s.givenBefore = strings.Join(words[:len(words)-1], " ")
	}
	return s
}

// qClients lists clients in name order, one page at a time (keyset paging
// on the sort key). The search is a union of index range scans, each
// already in name order, so that neither a common prefix nor a million
// clients makes PostgreSQL sort more than a page:
//
//   - family name first: the family name starts with $3 and, when $4 is
//     set, the given name with $4 ("popescu an"; also "pop" alone, and the
//     whole list when $3 is empty);
//   - given name first: the given name starts with $6 and the family name
//     with $5 ("ana pop"), only for a query of two words or more;
//   - e-mail: the address starts with $7, only for a query holding "@".
//
// Empty parameters switch branches and conditions off. The query must be
// planned with the values of each call, so that the switched-off parts
// cost nothing and the LIKE prefixes become index ranges on
// clients_search_name_idx, clients_book_name_idx, clients_search_given_idx
// or clients_search_email_idx (migration 00003); Clients therefore runs it
// as an unnamed statement (pgx.QueryExecModeCacheDescribe), never as a
// prepared statement, whose generic plan, chosen by PostgreSQL after five
// calls when it looks no dearer, would read every client.
// Balances are summed for the page's clients only.
const qClients = `
WITH page AS (
    (SELECT c.id, c.given_name, c.family_name, c.birth_date, c.segment, c.kyc_status, c.vulnerable,
            coalesce(c.email, '') AS email,
            ecrm_search_key(c.family_name) COLLATE "C" AS family_key,
            ecrm_search_key(c.given_name) COLLATE "C" AS given_key, ''::text AS age_key
     FROM clients c
     WHERE $7::text = ''
       AND ($1::bigint IS NULL OR c.advisor_id = $1)
       AND ($2::text = '' OR c.segment = $2)
       AND ($3::text = '' OR ecrm_search_key(c.family_name) COLLATE "C" LIKE ecrm_search_key($3) || '%')
       AND ($4::text = '' OR ecrm_search_key(c.given_name) COLLATE "C" LIKE ecrm_search_key($4) || '%')
       AND ($10::bigint IS NULL OR (ecrm_search_key(c.family_name) COLLATE "C", ecrm_search_key(c.given_name) COLLATE "C", c.id) > ($8, $9, $10))
     ORDER BY 9, 10, 1
     LIMIT $11)
    UNION
    (SELECT c.id, c.given_name, c.family_name, c.birth_date, c.segment, c.kyc_status, c.vulnerable,
            coalesce(c.email, ''),
            ecrm_search_key(c.family_name) COLLATE "C",
            ecrm_search_key(c.given_name) COLLATE "C", ''::text
     FROM clients c
     WHERE $5::text <> ''
       AND ($1::bigint IS NULL OR c.advisor_id = $1)
       AND ($2::text = '' OR c.segment = $2)
       AND ecrm_search_key(c.family_name) COLLATE "C" LIKE ecrm_search_key($5) || '%'
       AND ecrm_search_key(c.given_name) COLLATE "C" LIKE ecrm_search_key($6) || '%'
       AND ($10::bigint IS NULL OR (ecrm_search_key(c.family_name) COLLATE "C", ecrm_search_key(c.given_name) COLLATE "C", c.id) > ($8, $9, $10))
     ORDER BY 9, 10, 1
     LIMIT $11)
    UNION
    (SELECT c.id, c.given_name, c.family_name, c.birth_date, c.segment, c.kyc_status, c.vulnerable,
            coalesce(c.email, ''),
            ecrm_search_key(c.family_name) COLLATE "C",
            ecrm_search_key(c.given_name) COLLATE "C", ''::text
     FROM clients c
     WHERE $7::text <> ''
       AND ($1::bigint IS NULL OR c.advisor_id = $1)
       AND ($2::text = '' OR c.segment = $2)
       AND lower(c.email) COLLATE "C" LIKE lower($7) || '%'
       AND ($10::bigint IS NULL OR (ecrm_search_key(c.family_name) COLLATE "C", ecrm_search_key(c.given_name) COLLATE "C", c.id) > ($8, $9, $10))
     ORDER BY 9, 10, 1
     LIMIT $11)
    ORDER BY 9, 10, 1
    LIMIT $11
)
` + qClientsTail + `
ORDER BY p.family_key, p.given_key, p.id`

// qClientsTail sums the balances of a page's clients; every order of the
// list ends with it.
const qClientsTail = `
SELECT p.id, p.given_name, p.family_name, p.birth_date, p.segment, p.kyc_status, p.vulnerable, p.email,
       p.family_key, p.given_key, p.age_key, coalesce(b.currencies, '{}'), coalesce(b.totals, '{}')
FROM page p
LEFT JOIN LATERAL (
    SELECT array_agg(t.currency ORDER BY t.currency) AS currencies, array_agg(t.total ORDER BY t.currency) AS totals
    FROM (SELECT a.currency::text AS currency, sum(a.balance) AS total
          FROM accounts a
          WHERE a.client_id = p.id AND a.status <> 'closed'
          GROUP BY a.currency) t
) b ON true`

// qClientsNameDesc is qClients in reverse name order: the same index
// ranges, read backwards.
var qClientsNameDesc = strings.NewReplacer(
	`c.id) > ($8, $9, $10)`, `c.id) < ($8, $9, $10)`,
	`ORDER BY 9, 10, 1`, `ORDER BY 9 DESC, 10 DESC, 1 DESC`,
	`ORDER BY p.family_key, p.given_key, p.id`, `ORDER BY p.family_key DESC, p.given_key DESC, p.id DESC`,
).Replace(qClients)

// qClientsByAge lists clients by age, one page at a time. An age order
// reads clients_oldest_idx forwards (oldest first) or clients_youngest_idx
// backwards (youngest first), whose keys put an unknown birth date last in
// both orders; the search is then a filter. An advisor's book is a few
// thousand clients, sorted in memory.
func qClientsByAge(youngestFirst bool) string {
	key, dir, cmp := `coalesce(c.birth_date, 'infinity'::date)`, "ASC", ">"
	if youngestFirst {
		key, dir, cmp = `coalesce(c.birth_date, '-infinity'::date)`, "DESC", "<"
	}
	return `
WITH page AS (
    SELECT c.id, c.given_name, c.family_name, c.birth_date, c.segment, c.kyc_status, c.vulnerable,
           coalesce(c.email, '') AS email, ''::text AS family_key,
           $9::text AS given_key, -- $9 is the name cursor's given name, '' in an age order
           ` + key + `::text AS age_key,
           ` + key + ` AS age_sort
    FROM clients c
    WHERE ($1::bigint IS NULL OR c.advisor_id = $1)
      AND ($2::text = '' OR c.segment = $2)
      AND ` + clientSearchCondition + `
      AND ($10::bigint IS NULL OR (` + key + `, c.id) ` + cmp + ` (nullif($8::text, '')::date, $10))
    ORDER BY ` + key + ` ` + dir + `, c.id ` + dir + `
    LIMIT $11
)` + qClientsTail + `
ORDER BY p.age_sort ` + dir + `, p.id ` + dir
}

var (
	qClientsYoungest = qClientsByAge(true)
	qClientsOldest   = qClientsByAge(false)
)

// clientsQuery is the statement listing clients in the order sort.
func clientsQuery(sort string) string {
	switch sort {
	case SortNameDesc:
		return qClientsNameDesc
	case SortYoungest:
		return qClientsYoungest
	case SortOldest:
		return qClientsOldest
	}
	return qClients
}

// clientSearchCondition is the search of qClients as one condition: the
// family name first, the given name first, or the e-mail address.
const clientSearchCondition = `(($7::text = ''
            AND ($3::text = '' OR ecrm_search_key(c.family_name) COLLATE "C" LIKE ecrm_search_key($3) || '%')
            AND ($4::text = '' OR ecrm_search_key(c.given_name) COLLATE "C" LIKE ecrm_search_key($4) || '%'))
        OR ($5::text <> ''
            AND ecrm_search_key(c.family_name) COLLATE "C" LIKE ecrm_search_key($5) || '%'
            AND ecrm_search_key(c.given_name) COLLATE "C" LIKE ecrm_search_key($6) || '%')
        OR ($7::text <> '' AND lower(c.email) COLLATE "C" LIKE lower($7) || '%'))`

// validate checks the filter, naming the query parameter at fault.
func (f *ClientFilter) validate() (*cursor, error) {
	var faults []ecrm.FieldError
	if len([]rune(f.Query)) > maxQueryLength {
		faults = append(faults, ecrm.FieldError{Field: "q", Message: "console.clients.error.query_too_long"})
	}
	if f.Segment != "" && !containsString(Segments, f.Segment) {
		faults = append(faults, ecrm.FieldError{Field: "segment", Message: "console.clients.error.segment_unknown"})
	}
	if f.Sort == "" {
		f.Sort = SortName
	}
	if !containsString(Sorts, f.Sort) {
		faults = append(faults, ecrm.FieldError{Field: "sort", Message: "console.clients.error.sort_unknown"})
	}
	if f.Limit == 0 {
		f.Limit = DefaultPageSize
	}
	if f.Limit < 1 || f.Limit > MaxPageSize {
		faults = append(faults, ecrm.FieldError{Field: "limit", Message: "console.clients.error.limit_range"})
	}
	var after *cursor
	if f.After != "" {
		c, ok := decodeCursor(f.After)
		if !ok || c.Sort != f.Sort {
			faults = append(faults, ecrm.FieldError{Field: "after", Message: "console.clients.error.after_invalid"})
		}
		after = &c
	}
	if len(faults) > 0 {
		return nil, invalid(faults...)
	}
	return after, nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// clientsArgs validates the filter and returns the arguments of qClients.
// The page is read one row long, to know whether another page follows.
func clientsArgs(sc Scope, f *ClientFilter) ([]any, error) {
	after, err := f.validate()
	if err != nil {
		return nil, err
	}
	search := splitQuery(f.Query)
	var afterFamily, afterGiven string
	var afterID *int64
	switch {
	case after != nil && (f.Sort == SortYoungest || f.Sort == SortOldest):
		afterFamily, afterID = after.AgeKey, &after.ID // $8 is the age key
	case after != nil:
		afterFamily, afterGiven, afterID = after.FamilyKey, after.GivenKey, &after.ID
	}
	return []any{sc.advisorFilter(), f.Segment,
		search.familyFirst, search.givenAfter, search.familyLast, search.givenBefore, search.email,
		afterFamily, afterGiven, afterID, f.Limit + 1}, nil
}

// MaxClientCount is where counting the clients a search selects stops: an
// advisor's book is counted exactly; "more than 10,000" is what a search
// over a million clients needs to say.
const MaxClientCount = 10_000

// qClientCount counts what qClients selects, without paging, up to
// MaxClientCount+1 rows.
const qClientCount = `
SELECT count(*) FROM (
    SELECT 1 FROM clients c
    WHERE ($1::bigint IS NULL OR c.advisor_id = $1)
      AND ($2::text = '' OR c.segment = $2)
      AND ` + clientSearchCondition + `
    LIMIT $8) selected`

// CountClients counts the clients in scope the filter selects, up to
// MaxClientCount (more reports MaxClientCount+1).
func (s *Store) CountClients(ctx context.Context, sc Scope, f ClientFilter) (int, error) {
	args, err := clientsArgs(sc, &f)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.pool.QueryRow(ctx, qClientCount, args[0], args[1], args[2], args[3], args[4], args[5], args[6], MaxClientCount+1).Scan(&n); err != nil {
		return 0, fmt.Errorf("count clients: %w", err)
	}
	return n, nil
}

// Clients returns one page of the clients in scope, in name order.
func (s *Store) Clients(ctx context.Context, sc Scope, f ClientFilter) (ClientPage, error) {
	args, err := clientsArgs(sc, &f)
	if err != nil {
		return ClientPage{}, err
	}
	rows, err := s.pool.Query(ctx, clientsQuery(f.Sort), append([]any{pgx.QueryExecModeCacheDescribe}, args...)...)
	if err != nil {
		return ClientPage{}, fmt.Errorf("list clients: %w", err)
	}
	defer rows.Close()
	today := s.today()
	var page ClientPage
	var last cursor
	for rows.Next() {
		var c ClientSummary
		var key cursor
		var currencies []string
		var totals []decimal.Decimal
		if err := rows.Scan(&c.ID, &c.GivenName, &c.FamilyName, &c.BirthDate, &c.Segment, &c.KYCStatus, &c.Vulnerable,
			&c.Email, &key.FamilyKey, &key.GivenKey, &key.AgeKey, &currencies, &totals); err != nil {
			return ClientPage{}, fmt.Errorf("list clients: %w", err)
		}
		if len(page.Clients) == f.Limit {
			page.Next = last.encode()
			break
		}
		key.ID, key.Sort = c.ID, f.Sort
		last = key
		c.Age = ageOn(c.BirthDate, today)
		for i := range currencies {
			c.Balances = append(c.Balances, ecrm.Money{Amount: totals[i], Currency: currencies[i]})
		}
		page.Clients = append(page.Clients, c)
	}
	if err := rows.Err(); err != nil {
		return ClientPage{}, fmt.Errorf("list clients: %w", err)
	}
	return page, nil
}

// ---------------------------------------------------------------------------
// The home page

// qBookSegments counts an advisor's clients per segment
// (clients_advisor_idx); qAllSegments every client's. Two queries rather
// than one with an optional advisor, whose generic plan would count every
// client for an advisor too.
const qBookSegments = `
SELECT c.segment, count(*), count(*) FILTER (WHERE c.vulnerable), count(*) FILTER (WHERE c.kyc_status <> 'verified')
FROM clients c
WHERE c.advisor_id = $1
GROUP BY c.segment`

const qAllSegments = `
SELECT c.segment, count(*), count(*) FILTER (WHERE c.vulnerable), count(*) FILTER (WHERE c.kyc_status <> 'verified')
FROM clients c
GROUP BY c.segment`

// qAttention lists the book's open credit lines whose latest reported month
// is 30 days late or worse, worst first.
const qAttention = `
SELECT c.id, c.given_name, c.family_name, cl.id, cl.kind, cl.lender, cl.balance, cl.currency::text, p.status, p.period
FROM clients c
JOIN credit_lines cl ON cl.client_id = c.id AND cl.status IN ('active', 'defaulted')
CROSS JOIN LATERAL (
    SELECT cp.status, cp.period
    FROM credit_payments cp
    WHERE cp.credit_line_id = cl.id
    ORDER BY cp.period DESC
    LIMIT 1
) p
WHERE c.advisor_id = $1
  AND p.status IN ('late_30', 'late_60', 'late_90_plus', 'default')
ORDER BY array_position(ARRAY['default', 'late_90_plus', 'late_60', 'late_30'], p.status),
         ecrm_search_key(c.family_name) COLLATE "C", ecrm_search_key(c.given_name) COLLATE "C", cl.id`

// qRecent takes each client's contacts since $3 (interactions_client_idx)
// and keeps the newest of all; staff names are joined to those only.
const qRecent = `
SELECT r.id, r.client_id, r.staff_id, coalesce(s.display_name, ''), r.channel, r.direction, r.subject, r.notes,
       r.occurred_at, r.given_name, r.family_name
FROM (
    SELECT i.id, i.client_id, i.staff_id, i.channel, i.direction, i.subject, i.notes, i.occurred_at,
           c.given_name, c.family_name
    FROM clients c
    CROSS JOIN LATERAL (
        SELECT i.id, i.client_id, i.staff_id, i.channel, i.direction, i.subject, i.notes, i.occurred_at
        FROM interactions i
        WHERE i.client_id = c.id AND i.occurred_at >= $3
        ORDER BY i.occurred_at DESC, i.id DESC
        LIMIT $2
    ) i
    WHERE c.advisor_id = $1
    ORDER BY i.occurred_at DESC, i.id DESC
    LIMIT $2
) r
LEFT JOIN staff_users s ON s.id = r.staff_id
ORDER BY r.occurred_at DESC, r.id DESC`

// The home page lists up to recentShown contacts of the last recentDays.
const (
	recentShown = 10
	recentDays  = 30
)

// Home returns the figures of the console's start page. The attention list
// and recent contacts are an advisor's; compliance and admin get totals.
func (s *Store) Home(ctx context.Context, sc Scope) (Home, error) {
	h := Home{Book: sc.Book}
	b := &pgx.Batch{}
	counts := map[string]SegmentCount{}
	var segments *pgx.QueuedQuery
	if sc.Book {
		segments = b.Queue(qBookSegments, sc.StaffID)
	} else {
		segments = b.Queue(qAllSegments)
	}
	segments.Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var c SegmentCount
			if err := rows.Scan(&c.Segment, &c.Clients, &c.Vulnerable, &c.KYCOpen); err != nil {
				return err
			}
			counts[c.Segment] = c
		}
		return rows.Err()
	})
	if sc.Book {
		b.Queue(qAttention, sc.StaffID).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var a AttentionItem
				if err := rows.Scan(&a.ClientID, &a.GivenName, &a.FamilyName, &a.CreditLineID, &a.Kind, &a.Lender,
					&a.Balance.Amount, &a.Balance.Currency, &a.Status, &a.Month); err != nil {
					return err
				}
				h.Attention = append(h.Attention, a)
			}
			return rows.Err()
		})
		since := s.now().AddDate(0, 0, -recentDays)
		b.Queue(qRecent, sc.StaffID, recentShown, since).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var r RecentInteraction
				if err := rows.Scan(&r.ID, &r.ClientID, &r.StaffID, &r.StaffName, &r.Channel, &r.Direction, &r.Subject,
					&r.Notes, &r.OccurredAt, &r.GivenName, &r.FamilyName); err != nil {
					return err
				}
				h.Recent = append(h.Recent, r)
			}
			return rows.Err()
		})
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return Home{}, fmt.Errorf("home: %w", err)
	}
	for _, seg := range Segments {
		c := counts[seg]
		c.Segment = seg
		h.Segments = append(h.Segments, c)
		h.Clients += c.Clients
	}
	return h, nil
}

// ---------------------------------------------------------------------------
// One client

// qClient reads one client's profile, if the scope reaches the client.
const qClient = `
SELECT c.id, c.kind, c.given_name, c.family_name, c.birth_date, coalesce(c.marital_status, ''), c.dependants,
       c.annual_income, coalesce(c.income_currency::text, ''), coalesce(c.employment_status, ''),
       coalesce(c.occupation, ''), coalesce(c.employer, ''),
       coalesce(c.address_line1, ''), coalesce(c.address_line2, ''), coalesce(c.city, ''), coalesce(c.postal_code, ''),
       coalesce(c.country::text, ''), coalesce(c.email, ''), c.email_verified, coalesce(c.phone, ''),
       coalesce(c.preferred_channel, ''), c.preferred_language, c.kyc_status, c.kyc_verified_at, c.vulnerable,
       c.segment, c.advisor_id, coalesce(s.display_name, ''), c.household_id, coalesce(h.name, ''), c.created_at
FROM clients c
LEFT JOIN staff_users s ON s.id = c.advisor_id
LEFT JOIN households h ON h.id = c.household_id
WHERE c.id = $1
  AND ($2::bigint IS NULL OR c.advisor_id = $2)`

func findClient(ctx context.Context, q pgx.Tx, sc Scope, id int64) (Client, error) {
	var c Client
	var income decimal.NullDecimal
	var incomeCurrency string
	err := q.QueryRow(ctx, qClient, id, sc.advisorFilter()).Scan(&c.ID, &c.Kind, &c.GivenName, &c.FamilyName,
		&c.BirthDate, &c.MaritalStatus, &c.Dependants, &income, &incomeCurrency, &c.EmploymentStatus,
		&c.Occupation, &c.Employer, &c.AddressLine1, &c.AddressLine2, &c.City, &c.PostalCode, &c.Country,
		&c.Email, &c.EmailVerified, &c.Phone, &c.PreferredChannel, &c.PreferredLanguage, &c.KYCStatus,
		&c.KYCVerifiedAt, &c.Vulnerable, &c.Segment, &c.AdvisorID, &c.AdvisorName, &c.HouseholdID,
		&c.HouseholdName, &c.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Client{}, errNotFound
	}
	if err != nil {
		return Client{}, fmt.Errorf("find client %d: %w", id, err)
	}
	if income.Valid {
		c.AnnualIncome = &ecrm.Money{Amount: income.Decimal, Currency: incomeCurrency}
	}
	return c, nil
}

// qClientName reads a client's name, if the scope reaches the client.
const qClientName = `
SELECT c.id, c.given_name, c.family_name
FROM clients c
WHERE c.id = $1
  AND ($2::bigint IS NULL OR c.advisor_id = $2)`

// ClientName returns the client's id and name, or ENOTFOUND when the scope
// does not reach the client. Pages use it where they show only the name.
func (s *Store) ClientName(ctx context.Context, sc Scope, id int64) (given, family string, err error) {
	err = s.pool.QueryRow(ctx, qClientName, id, sc.advisorFilter()).Scan(&id, &given, &family)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", errNotFound
	}
	if err != nil {
		return "", "", fmt.Errorf("client name %d: %w", id, err)
	}
	return given, family, nil
}

// A reload is not a new access: the same person opening the same thing of
// the same client for the same purpose within AccessRepeatWindow is the
// access already logged (staff_access_log_staff_idx finds it).
const qLogAccess = `
INSERT INTO staff_access_log (staff_id, client_id, resource, purpose, request_id)
SELECT $1, $2, $3, $4, $5
WHERE NOT EXISTS (
    SELECT 1 FROM staff_access_log a
    WHERE a.staff_id = $1 AND a.accessed_at > now() - make_interval(secs => $6)
      AND a.client_id = $2 AND a.resource = $3 AND a.purpose IS NOT DISTINCT FROM $4)`

// AccessRepeatWindow is how long the same view of the same client by the
// same person counts as one access in the staff access log.
const AccessRepeatWindow = 10 * time.Minute

// logAccess appends a row to the staff access log, in the transaction of
// the read it records: no view without its log row.
func logAccess(ctx context.Context, tx pgx.Tx, staffID, clientID int64, resource string, purpose Purpose, requestID string) error {
	var p, rid *string
	if purpose != "" {
		v := string(purpose)
		p = &v
	}
	if requestID != "" {
		rid = &requestID
	}
	if _, err := tx.Exec(ctx, qLogAccess, staffID, clientID, resource, p, rid, AccessRepeatWindow.Seconds()); err != nil {
		return fmt.Errorf("log %s access to client %d: %w", resource, clientID, err)
	}
	return nil
}

const qHouseholdMembers = `
SELECT m.id, m.given_name, m.family_name, ($3::bigint IS NULL OR m.advisor_id IS NOT DISTINCT FROM $3)
FROM clients m
WHERE m.household_id = $2 AND m.id <> $1
ORDER BY ecrm_search_key(m.family_name) COLLATE "C", ecrm_search_key(m.given_name) COLLATE "C", m.id`

// qRelationships reads relationships recorded from either side; one
// recorded from the other client's side is turned around ("dependant" of
// the other is "parent" here).
const qRelationships = `
SELECT r.kind, r.since, o.id, o.given_name, o.family_name, ($2::bigint IS NULL OR o.advisor_id IS NOT DISTINCT FROM $2)
FROM (
    SELECT related_client_id AS other_id, kind, since
    FROM client_relationships
    WHERE client_id = $1
    UNION
    SELECT client_id, CASE kind WHEN 'dependant' THEN 'parent' WHEN 'parent' THEN 'dependant' ELSE kind END, since
    FROM client_relationships
    WHERE related_client_id = $1
) r
JOIN clients o ON o.id = r.other_id
ORDER BY r.kind, ecrm_search_key(o.family_name) COLLATE "C", ecrm_search_key(o.given_name) COLLATE "C", o.id`

// qConsents reads the latest record per purpose and channel: the consents
// in force.
const qConsents = `
SELECT DISTINCT ON (purpose, channel) purpose, channel, granted, wording_version, source, recorded_at
FROM consents
WHERE client_id = $1
ORDER BY purpose, channel, recorded_at DESC, id DESC`

const qAccounts = `
SELECT id, kind, coalesce(iban, ''), name, name_ro, currency::text, balance, credit_limit, interest_rate,
       opened_on, maturity_on, closed_on, status
FROM accounts
WHERE client_id = $1
ORDER BY status = 'closed', opened_on, id`

// qPositions values each position at its instrument's latest close
// (instrument_prices' primary key finds it).
const qPositions = `
SELECT po.id, a.name, a.name_ro, i.symbol, i.name, i.kind, i.currency::text, po.quantity, po.average_cost,
       coalesce(i.contract_multiplier, 1), i.price_quotation, i.face_value, pr.close, pr.price_date
FROM positions po
JOIN instruments i ON i.id = po.instrument_id
JOIN accounts a ON a.id = po.account_id
LEFT JOIN LATERAL (
    SELECT p.close, p.price_date
    FROM instrument_prices p
    WHERE p.instrument_id = i.id
    ORDER BY p.price_date DESC
    LIMIT 1
) pr ON true
WHERE po.client_id = $1
ORDER BY i.symbol, po.id`

// qPolicies reads each policy with its premium status as of $2 (today).
const qPolicies = `
SELECT p.id, p.policy_number, p.insurer, p.line, p.status, p.starts_on, p.ends_on, p.sum_insured, p.premium,
       p.currency::text, p.premium_frequency, p.short_term,
       s.paid, s.overdue, coalesce(s.overdue_amount, 0), n.due_on, n.amount
FROM insurance_policies p
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE i.status = 'paid') AS paid,
           count(*) FILTER (WHERE i.status IN ('late', 'missed') OR (i.status = 'scheduled' AND i.due_on < $2)) AS overdue,
           sum(i.amount) FILTER (WHERE i.status IN ('late', 'missed') OR (i.status = 'scheduled' AND i.due_on < $2)) AS overdue_amount
    FROM premium_instalments i
    WHERE i.policy_id = p.id
) s
LEFT JOIN LATERAL (
    SELECT i.due_on, i.amount
    FROM premium_instalments i
    WHERE i.policy_id = p.id AND i.status = 'scheduled' AND i.due_on >= $2
    ORDER BY i.due_on
    LIMIT 1
) n ON true
WHERE p.client_id = $1
ORDER BY p.status <> 'active', p.ends_on DESC, p.id`

const qClaims = `
SELECT id, policy_id, reference, incident_on, reported_at, description, claimed_amount, approved_amount,
       paid_amount, currency::text, status
FROM claims
WHERE client_id = $1
ORDER BY reported_at DESC, id DESC`

const qCreditLines = `
SELECT id, kind, source, lender, credit_limit, balance, currency::text, interest_rate, monthly_payment,
       opened_on, closed_on, status
FROM credit_lines
WHERE client_id = $1
ORDER BY status NOT IN ('active', 'defaulted'), opened_on DESC, id`

// qInteractions reads the latest contacts, on one channel when $2 is set
// (interactions_client_idx).
const qInteractions = `
SELECT i.id, i.client_id, i.staff_id, coalesce(s.display_name, ''), i.channel, i.direction, i.subject, i.notes,
       i.occurred_at
FROM interactions i
LEFT JOIN staff_users s ON s.id = i.staff_id
WHERE i.client_id = $1
  AND ($2::text = '' OR i.channel = $2)
ORDER BY i.occurred_at DESC, i.id DESC
LIMIT $3`

const qProfileChanges = `
SELECT pc.field, pc.old_value, pc.new_value, pc.actor_kind, coalesce(s.display_name, ''), pc.changed_at
FROM profile_changes pc
LEFT JOIN staff_users s ON s.id = pc.staff_id
WHERE pc.client_id = $1
ORDER BY pc.changed_at DESC, pc.id DESC
LIMIT $2`

// Client360 reads everything about one client and records the view in the
// staff access log, in one transaction. channel, when not empty, keeps the
// contacts on that channel. A client outside the scope is ENOTFOUND and
// leaves no log row.
func (s *Store) Client360(ctx context.Context, sc Scope, id int64, channel, requestID string) (*Client360, error) {
	return s.client360(ctx, sc, id, channel, resourceClient360, "", requestID)
}

// ClientForRequest is the client 360 shown beside a service request to a
// member of staff the service desk has let read it (a team's queue serves
// clients outside the reader's book): logged as read for that request, a
// complaint's with the purpose "complaint".
func (s *Store) ClientForRequest(ctx context.Context, staffID, clientID int64, complaint bool, requestID string) (*Client360, error) {
	purpose := PurposeServiceRequest
	if complaint {
		purpose = PurposeComplaint
	}
	return s.client360(ctx, Scope{StaffID: staffID}, clientID, "", resourceServiceRequest, purpose, requestID)
}

func (s *Store) client360(ctx context.Context, sc Scope, id int64, channel, resource string, purpose Purpose, requestID string) (*Client360, error) {
	today := s.today()
	var out *Client360
	err := pgdb.Transact(ctx, s.pool, pgx.RepeatableRead, func(tx pgx.Tx) error {
		c, err := findClient(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		// Checked after the client, so that a client out of reach is
		// not found whatever the filter.
		if channel != "" && !containsString(Channels, channel) {
			return invalid(ecrm.FieldError{Field: "channel", Message: "console.interaction.error.channel_unknown"})
		}
		if err := logAccess(ctx, tx, sc.StaffID, c.ID, resource, purpose, requestID); err != nil {
			return err
		}
		v := &Client360{Client: c, InteractionChannel: channel}
		v.Age = ageOn(c.BirthDate, today)
		v.LifeStage = LifeStage(v.Age, c.MaritalStatus, c.Dependants, c.EmploymentStatus)
		if err := readClient360(ctx, tx, sc, v, today); err != nil {
			return fmt.Errorf("client 360 of %d: %w", c.ID, err)
		}
		out = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readClient360 fills v from the queries above, sent in one round trip. v.ID
// is the id the scoped qClient returned.
func readClient360(ctx context.Context, tx pgx.Tx, sc Scope, v *Client360, today time.Time) error {
	b := &pgx.Batch{}
	id := v.ID
	if v.HouseholdID != nil {
		b.Queue(qHouseholdMembers, id, *v.HouseholdID, sc.advisorFilter()).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var m RelatedClient
				if err := rows.Scan(&m.ID, &m.GivenName, &m.FamilyName, &m.Reachable); err != nil {
					return err
				}
				v.HouseholdMembers = append(v.HouseholdMembers, m)
			}
			return rows.Err()
		})
	}
	b.Queue(qRelationships, id, sc.advisorFilter()).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var r RelatedClient
			if err := rows.Scan(&r.Kind, &r.Since, &r.ID, &r.GivenName, &r.FamilyName, &r.Reachable); err != nil {
				return err
			}
			v.Relationships = append(v.Relationships, r)
		}
		return rows.Err()
	})
	b.Queue(qConsents, id).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var c Consent
			if err := rows.Scan(&c.Purpose, &c.Channel, &c.Granted, &c.WordingVersion, &c.Source, &c.RecordedAt); err != nil {
				return err
			}
			v.Consents = append(v.Consents, c)
		}
		return rows.Err()
	})
	b.Queue(qAccounts, id).Query(func(rows pgx.Rows) error {
		var open []ecrm.Money
		for rows.Next() {
			var a Account
			var limit decimal.NullDecimal
			if err := rows.Scan(&a.ID, &a.Kind, &a.IBAN, &a.Name.EN, &a.Name.RO, &a.Balance.Currency, &a.Balance.Amount, &limit,
				&a.InterestRate, &a.OpenedOn, &a.MaturityOn, &a.ClosedOn, &a.Status); err != nil {
				return err
			}
			a.CreditLimit = optionalMoney(limit, a.Balance.Currency)
			if a.Status != "closed" {
				open = append(open, a.Balance)
			}
			v.Accounts = append(v.Accounts, a)
		}
		v.AccountTotals = sumByCurrency(open)
		return rows.Err()
	})
	b.Queue(qPositions, id).Query(func(rows pgx.Rows) error {
		var values []ecrm.Money
		for rows.Next() {
			var p Position
			var currency string
			var multiplier int64
			var price, face decimal.NullDecimal
			if err := rows.Scan(&p.ID, &p.AccountName.EN, &p.AccountName.RO, &p.Symbol, &p.Instrument, &p.Kind, &currency, &p.Quantity,
				&p.AverageCost.Amount, &multiplier, &p.Quotation, &face, &price, &p.PriceDate); err != nil {
				return err
			}
			p.AverageCost.Currency = currency
			if price.Valid {
				// The client's overview and the risk page value the same
				// position with the same function, so all show the same
				// figures.
				quote := risk.Quote{Quotation: risk.Quotation(p.Quotation), Multiplier: multiplier, FaceValue: face.Decimal}
				v := risk.ValuePosition(p.Quantity, p.AverageCost.Amount, &price.Decimal, quote, currency)
				p.Price = &ecrm.Money{Amount: price.Decimal, Currency: currency}
				p.MarketValue, p.Gain = v.Value, v.Gain
				values = append(values, *v.Value)
			}
			v.Positions = append(v.Positions, p)
		}
		v.PortfolioTotals = sumByCurrency(values)
		return rows.Err()
	})
	b.Queue(qPolicies, id, today).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var p Policy
			var currency string
			var nextAmount decimal.NullDecimal
			if err := rows.Scan(&p.ID, &p.Number, &p.Insurer, &p.Line, &p.Status, &p.StartsOn, &p.EndsOn,
				&p.SumInsured.Amount, &p.Premium.Amount, &currency, &p.PremiumFrequency, &p.ShortTerm,
				&p.Premiums.Paid, &p.Premiums.Overdue, &p.Premiums.OverdueAmount.Amount, &p.Premiums.NextDue,
				&nextAmount); err != nil {
				return err
			}
			p.SumInsured.Currency, p.Premium.Currency, p.Premiums.OverdueAmount.Currency = currency, currency, currency
			p.Premiums.NextAmount = optionalMoney(nextAmount, currency)
			v.Policies = append(v.Policies, p)
		}
		return rows.Err()
	})
	b.Queue(qClaims, id).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var c Claim
			var claimed, approved, paid decimal.NullDecimal
			var currency string
			if err := rows.Scan(&c.ID, &c.PolicyID, &c.Reference, &c.IncidentOn, &c.ReportedAt, &c.Description,
				&claimed, &approved, &paid, &currency, &c.Status); err != nil {
				return err
			}
			c.ClaimedAmount = optionalMoney(claimed, currency)
			c.ApprovedAmount = optionalMoney(approved, currency)
			c.PaidAmount = optionalMoney(paid, currency)
			// Policies were queued first, so they are read by now.
			for i := range v.Policies {
				if v.Policies[i].ID == c.PolicyID {
					v.Policies[i].Claims = append(v.Policies[i].Claims, c)
				}
			}
		}
		return rows.Err()
	})
	b.Queue(qCreditLines, id).Query(func(rows pgx.Rows) error {
		lines, err := scanCreditLines(rows)
		v.CreditLines = lines
		return err
	})
	b.Queue(qInteractions, id, v.InteractionChannel, interactionsShown+1).Query(func(rows pgx.Rows) error {
		list, err := scanInteractions(rows)
		if len(list) > interactionsShown {
			list, v.MoreInteractions = list[:interactionsShown], true
		}
		v.Interactions = list
		return err
	})
	b.Queue(qProfileChanges, id, changesShown+1).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var c ProfileChange
			if err := rows.Scan(&c.Field, &c.OldValue, &c.NewValue, &c.ActorKind, &c.StaffName, &c.ChangedAt); err != nil {
				return err
			}
			v.Changes = append(v.Changes, c)
		}
		if len(v.Changes) > changesShown {
			v.Changes, v.MoreChanges = v.Changes[:changesShown], true
		}
		return rows.Err()
	})
	// The needs are judged as of the start of today, as the portal's
	// overview judges them, so client and advisor read the same needs.
	var facts crosssell.Facts
	crosssell.QueueFacts(b, id, today, &facts)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	needs, err := crosssell.EvaluateNeeds(&facts)
	v.Needs = needs
	return err
}

func optionalMoney(d decimal.NullDecimal, currency string) *ecrm.Money {
	if !d.Valid {
		return nil
	}
	return &ecrm.Money{Amount: d.Decimal, Currency: currency}
}

func scanCreditLines(rows pgx.Rows) ([]CreditLine, error) {
	var lines []CreditLine
	for rows.Next() {
		var l CreditLine
		var currency string
		var payment decimal.NullDecimal
		if err := rows.Scan(&l.ID, &l.Kind, &l.Source, &l.Lender, &l.Limit.Amount, &l.Balance.Amount, &currency,
			&l.InterestRate, &payment, &l.OpenedOn, &l.ClosedOn, &l.Status); err != nil {
			return nil, err
		}
		l.Limit.Currency, l.Balance.Currency = currency, currency
		l.MonthlyPayment = optionalMoney(payment, currency)
		lines = append(lines, l)
	}
	return lines, rows.Err()
}

func scanInteractions(rows pgx.Rows) ([]Interaction, error) {
	var list []Interaction
	for rows.Next() {
		var i Interaction
		if err := rows.Scan(&i.ID, &i.ClientID, &i.StaffID, &i.StaffName, &i.Channel, &i.Direction, &i.Subject,
			&i.Notes, &i.OccurredAt); err != nil {
			return nil, err
		}
		list = append(list, i)
	}
	return list, rows.Err()
}

// ---------------------------------------------------------------------------
// Credit history

// qCreditPayments reads the monthly payments in the window
// (credit_payments_client_idx).
const qCreditPayments = `
SELECT credit_line_id, period, status, amount_due, amount_paid, currency::text
FROM credit_payments
WHERE client_id = $1 AND period BETWEEN $2 AND $3
ORDER BY credit_line_id, period`

// CreditHistory reads the client's credit lines with the payments of the
// last 36 months (ending with the current month) and records the view, with
// its purpose, in the staff access log, in one transaction. A client
// outside the scope is ENOTFOUND and leaves no log row.
func (s *Store) CreditHistory(ctx context.Context, sc Scope, id int64, purpose Purpose, requestID string) (*CreditHistory, error) {
	if _, err := ParsePurpose(string(purpose)); err != nil {
		return nil, err
	}
	window := historyWindow(s.today())
	var out *CreditHistory
	err := pgdb.Transact(ctx, s.pool, pgx.RepeatableRead, func(tx pgx.Tx) error {
		h := &CreditHistory{Purpose: purpose, From: window[0], To: window[len(window)-1]}
		err := tx.QueryRow(ctx, qClientName, id, sc.advisorFilter()).Scan(&h.ClientID, &h.GivenName, &h.FamilyName)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNotFound
		}
		if err != nil {
			return fmt.Errorf("credit history of %d: %w", id, err)
		}
		if err := logAccess(ctx, tx, sc.StaffID, h.ClientID, resourceCreditHistory, purpose, requestID); err != nil {
			return err
		}
		var lines []CreditLine
		var payments []payment
		b := &pgx.Batch{}
		b.Queue(qCreditLines, h.ClientID).Query(func(rows pgx.Rows) error {
			var err error
			lines, err = scanCreditLines(rows)
			return err
		})
		b.Queue(qCreditPayments, h.ClientID, h.From, h.To).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var p payment
				var currency string
				if err := rows.Scan(&p.lineID, &p.month, &p.status, &p.amountDue.Amount, &p.amountPaid.Amount, &currency); err != nil {
					return err
				}
				p.amountDue.Currency, p.amountPaid.Currency = currency, currency
				payments = append(payments, p)
			}
			return rows.Err()
		})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("credit history of %d: %w", h.ClientID, err)
		}
		h.Lines, h.Months = buildTimelines(window, lines, payments)
		h.Summary = Summarize(h.Months)
		if h.Score, err = loadCreditScore(ctx, tx, h.ClientID, h.To); err != nil {
			return err
		}
		out = h
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// Logging a contact

// qInsertInteraction stores a contact for a client in the scope; for a
// client outside it nothing is inserted and no row comes back.
const qInsertInteraction = `
INSERT INTO interactions (client_id, staff_id, channel, direction, subject, notes, occurred_at)
SELECT c.id, $3, $4, $5, $6, $7, $8
FROM clients c
WHERE c.id = $1
  AND ($2::bigint IS NULL OR c.advisor_id = $2)
RETURNING id, client_id, staff_id, channel, direction, subject, notes, occurred_at`

// LogInteraction stores a validated contact made by the scope's staff
// member; ENOTFOUND when the scope does not reach the client.
func (s *Store) LogInteraction(ctx context.Context, sc Scope, clientID int64, in NewInteraction) (*Interaction, error) {
	var i Interaction
	err := s.pool.QueryRow(ctx, qInsertInteraction, clientID, sc.advisorFilter(), sc.StaffID,
		in.Channel, in.Direction, in.Subject, in.Notes, in.OccurredAt).
		Scan(&i.ID, &i.ClientID, &i.StaffID, &i.Channel, &i.Direction, &i.Subject, &i.Notes, &i.OccurredAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("log interaction for client %d: %w", clientID, err)
	}
	return &i, nil
}
