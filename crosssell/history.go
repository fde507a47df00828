package crosssell

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// This file reads the CRM's own history into training examples for the
// propensity models of issue 14, item 2: for a snapshot date T, one row
// per client who was a client before T, with what the CRM knew of her on
// the morning of T (features) and which product families she took up in
// the 90 days from T (labels).
//
// What "known at T" means, table by table, and where the data does not
// allow it (the limits are real and printed in the model's notes):
//   - holdings: a product is held at T when it opened before T and had not
//     closed before T (accounts.opened_on/closed_on, credit_lines'
//     opened_on/closed_on, insurance_policies' starts_on/ends_on); the
//     dates are historized, so these are exact; so is "had one before
//     and none at T".
//   - contacts: interactions dated in the 90 days before T, by channel;
//     empty (unknown) when the interactions kept do not reach back to T−90.
//   - transactions: the count of bookings and of salary credits in the 90
//     days before T; empty when the bookings kept do not reach back to
//     T−90 (the seed keeps 12 months, so only recent snapshots know them,
//     and training leaves the columns out when most snapshots do not).
//     Balances at T are not kept (accounts.balance is today's), so they
//     are not used: an old snapshot with today's balance would leak.
//   - life events: profile changes of marital status, dependants,
//     employment or address, and relationships (spouse, partner,
//     dependant) that began, in the 12 months before T.
//   - previous responses: offers shown in the 90 days before T, and offers
//     accepted and declined before T, from the offer log.
//   - profile: age (years) and tenure (months) are computed at T; income, marital status,
//     dependants, employment, segment, preferred channel and household are
//     as stored today. They are not rewound with profile_changes, so a
//     client who married after T counts as married at T; that is the one
//     known way a later fact reaches a feature, and it is a property of the
//     profile, not of the outcome.

// Family is a product family a propensity model is trained for: the
// products whose take-up it predicts, read from the CRM's own tables.
type Family struct {
	Name        string
	Description string
}

// Families are the product families read from the history, in the order of
// their bits in the SQL below (at most 31). The list follows what the
// tables hold: deposit products from accounts, own lending from
// credit_lines (lines reported by the credit bureau are other lenders'
// products, not take-ups here), insurance by line. A family with too few
// take-ups in the history is skipped at training time with the count
// named (brokerage in the seed: investment accounts open with the
// relationship, not later).
var Families = []Family{
	{"savings", "savings account (accounts.kind savings)"},
	{"term-deposit", "term deposit (accounts.kind term_deposit)"},
	{"brokerage", "investment account (accounts.kind brokerage)"},
	{"credit-card", "own credit card (credit_lines.kind credit_card)"},
	{"overdraft", "own overdraft (credit_lines.kind overdraft)"},
	{"personal-loan", "own consumer or car loan (credit_lines.kind consumer_loan, car_loan)"},
	{"mortgage", "own mortgage (credit_lines.kind mortgage)"},
	{"home-insurance", "home policy (insurance_policies.line home)"},
	{"motor-insurance", "motor policy (line motor)"},
	{"life-insurance", "life policy (line life)"},
	{"health-insurance", "health policy (line health)"},
	{"travel-insurance", "travel policy (line travel)"},
	{"accident-insurance", "personal accident policy (line accident)"},
	{"liability-insurance", "professional liability policy (line liability)"},
}

// familyIndex returns the bit of a family, or -1.
func familyIndex(name string) int {
	return slices.IndexFunc(Families, func(f Family) bool { return f.Name == name })
}

func familyNames() []string {
	names := make([]string, len(Families))
	for i, f := range Families {
		names[i] = f.Name
	}
	return names
}

// Horizon is the take-up window after a snapshot, in days: the issue's
// "probability of take-up within 90 days".
const Horizon = 90

// historyLayout names the feature set below in a stored model's layout
// (Layout.Known), so that a later change of the features makes a new name
// and old versions are not scored with features they never saw.
const historyLayout = "crm-history-1"

// historyNumeric are the numeric features, in the order the query returns
// them (after the fixed columns); the holds_<family> flags follow them.
var historyNumeric = []string{
	"age", "tenure_months", "income", "dependants", "household_size", "products_held",
	"contacts_phone_90d", "contacts_email_90d", "contacts_web_90d", "contacts_visit_90d", "contacts_mail_90d", "contacts_fax_90d",
	"inbound_contacts_90d",
	"transactions_90d", "salary_credits_90d",
	"life_events_12m", "new_relationships_12m",
	"offers_shown_90d", "offers_accepted", "offers_declined",
}

// historyCategorical are the categorical features, after the numeric ones.
var historyCategorical = []string{"marital_status", "employment_status", "segment", "preferred_channel", "income_currency"}

// holdsFeature is the name of the flag "holds a product of family f";
// hadFeature of "held one before, none now" (a matured deposit, a repaid
// loan, a policy not renewed), the strongest sign of a second take-up.
func holdsFeature(f string) string { return "holds_" + f }
func hadFeature(f string) string   { return "had_" + f }

// historyColumns are every feature column, in storage order.
func historyColumns() (numeric, categorical []string) {
	numeric = slices.Clone(historyNumeric)
	for _, f := range Families {
		numeric = append(numeric, holdsFeature(f.Name))
	}
	for _, f := range Families {
		numeric = append(numeric, hadFeature(f.Name))
	}
	return numeric, slices.Clone(historyCategorical)
}

// example is one client at one snapshot. Numbers are kept as float32 to
// halve the memory of a large sample; they are whole numbers (years,
// months, counts, income in whole units of its currency — a model input,
// never money to compute with), exact in float32 below 2²⁴, so intervals
// read "30 ≤ age < 35", not a float's digits. NaN is unknown.
type example struct {
	client   int64
	snapshot int16  // index into the snapshot dates
	held     uint32 // bit i: holds Families[i] at T
	took     uint32 // bit i: took Families[i] up in [T, T+Horizon)
	num      []float32
	cat      []uint16 // index into examples.levels[column]; 0 is empty
}

// examples are the rows read for one set of snapshots.
type examples struct {
	snapshots []time.Time
	numeric   []string
	cat       []string
	levels    [][]string // per categorical column, level by index ("" at 0)
	rows      []example
	sampled   int // clients in the sample
	clients   int // clients in the database
}

// extractQuery builds the examples set-based, for every snapshot at once:
// the sampled clients are crossed with the snapshot dates they were
// clients at, and each table is joined once with the snapshots whose
// windows its rows fall in, then aggregated per (client, snapshot). The
// rows stream back in (snapshot, client) order.
//
// $1 snapshot dates, $2 the sample's share in millionths (1000000: all),
// $3 the horizon in days, $4 the family names (bit order), $5 one client
// or NULL, $6 whether contacts and bookings count as known at every
// snapshot (scoring today: the CRM has been recording them), $7 and $8
// the client id range [$7, $8) of a rescoring chunk (NULL: unbounded),
// $9 whether to leave the bookings unread (unknown at every snapshot: a
// training run whose snapshots mostly predate the bookings kept, which
// would leave the columns out anyway; on the 1M seed reading them took
// 130 of the query's 260 s). The first booking is found through the
// bookings' client index, one probe a client (8 s for a million),
// not by joining every booking with the sample (22 s).
// The range is repeated on every table read by client, not only on the
// sample, so that each is read by its client index over the range alone.
// That needs a plan made for the values at hand, which folds the NULL
// tests away: extract sends the query unnamed (DescribeExec), never as a
// cached prepared statement, whose generic plan PostgreSQL adopts after
// five executions — a plan for any client, any range or none, which
// reads every table whole (a training run after a few scored clients
// took 138 s instead of 3).
const extractQuery = `
WITH snap AS (SELECT unnest($1::date[]) AS t),
sample AS (
	SELECT id, birth_date, created_at, annual_income::float8 AS income, income_currency, marital_status, dependants,
	       employment_status, segment, preferred_channel, household_id
	FROM clients
	WHERE ($5::bigint IS NULL OR id = $5) AND ($7::bigint IS NULL OR id >= $7) AND ($8::bigint IS NULL OR id < $8)
	  AND abs(hashint8(id) % 1000000) < $2
),
holdings AS (
	SELECT h.client_id, array_position($4::text[], h.family) - 1 AS bit, h.from_on, h.to_on
	FROM (
		SELECT client_id, replace(kind, '_', '-') AS family, opened_on AS from_on, closed_on AS to_on
		FROM accounts WHERE kind IN ('savings', 'term_deposit', 'brokerage')
		  AND ($7::bigint IS NULL OR client_id >= $7) AND ($8::bigint IS NULL OR client_id < $8)
		UNION ALL
		SELECT client_id, CASE kind WHEN 'credit_card' THEN 'credit-card' WHEN 'car_loan' THEN 'personal-loan'
		                            WHEN 'consumer_loan' THEN 'personal-loan' ELSE kind END, opened_on, closed_on
		FROM credit_lines WHERE source = 'internal'
		  AND ($7::bigint IS NULL OR client_id >= $7) AND ($8::bigint IS NULL OR client_id < $8)
		UNION ALL
		SELECT client_id, line || '-insurance', starts_on, ends_on
		FROM insurance_policies WHERE status <> 'quoted'
		  AND ($7::bigint IS NULL OR client_id >= $7) AND ($8::bigint IS NULL OR client_id < $8)
	) h
	JOIN sample s ON s.id = h.client_id
	WHERE h.family = ANY ($4::text[])
),
hold AS (
	SELECT h.client_id, snap.t,
	       coalesce(bit_or(1 << h.bit) FILTER (WHERE h.from_on < snap.t AND (h.to_on IS NULL OR h.to_on >= snap.t)), 0) AS held,
	       coalesce(bit_or(1 << h.bit) FILTER (WHERE h.from_on >= snap.t), 0) AS took,
	       coalesce(bit_or(1 << h.bit) FILTER (WHERE h.to_on < snap.t), 0) AS had
	FROM holdings h
	JOIN snap ON h.from_on < snap.t + $3::int
	GROUP BY 1, 2
),
contact_from AS (SELECT min(i.occurred_at) AS at FROM interactions i JOIN sample s ON s.id = i.client_id),
contacts AS (
	SELECT i.client_id, snap.t,
	       count(*) FILTER (WHERE channel = 'phone') AS phone, count(*) FILTER (WHERE channel = 'email') AS email,
	       count(*) FILTER (WHERE channel = 'web') AS web, count(*) FILTER (WHERE channel = 'visit') AS visit,
	       count(*) FILTER (WHERE channel = 'mail') AS mail, count(*) FILTER (WHERE channel = 'fax') AS fax,
	       count(*) FILTER (WHERE direction = 'inbound') AS inbound
	FROM interactions i
	JOIN sample s ON s.id = i.client_id
	JOIN snap ON i.occurred_at >= snap.t - 90 AND i.occurred_at < snap.t
	WHERE ($7::bigint IS NULL OR i.client_id >= $7) AND ($8::bigint IS NULL OR i.client_id < $8)
	GROUP BY 1, 2
),
booking_from AS (
	SELECT min(f.at) AS at FROM sample s
	CROSS JOIN LATERAL (SELECT b.booked_at AS at FROM account_transactions b WHERE b.client_id = s.id ORDER BY b.booked_at LIMIT 1) f
),
bookings AS (
	SELECT b.client_id, snap.t, count(*) AS n, count(*) FILTER (WHERE b.kind = 'salary') AS salary
	FROM account_transactions b
	JOIN sample s ON s.id = b.client_id
	JOIN snap ON b.booked_at >= snap.t - 90 AND b.booked_at < snap.t
	WHERE NOT $9 AND ($7::bigint IS NULL OR b.client_id >= $7) AND ($8::bigint IS NULL OR b.client_id < $8)
	GROUP BY 1, 2
),
events AS (
	SELECT e.client_id, snap.t, count(*) FILTER (WHERE e.what = 'change') AS changes, count(*) FILTER (WHERE e.what = 'relationship') AS relationships
	FROM (
		SELECT p.client_id, 'change' AS what, p.changed_at AS at FROM profile_changes p JOIN sample s ON s.id = p.client_id
		WHERE p.field IN ('marital_status', 'dependants', 'employment_status', 'address_line1', 'city')
		  AND ($7::bigint IS NULL OR p.client_id >= $7) AND ($8::bigint IS NULL OR p.client_id < $8)
		UNION ALL
		SELECT r.client_id, 'relationship', r.since::timestamptz FROM client_relationships r JOIN sample s ON s.id = r.client_id
		WHERE r.kind IN ('spouse', 'partner', 'dependant')
		  AND ($7::bigint IS NULL OR r.client_id >= $7) AND ($8::bigint IS NULL OR r.client_id < $8)
	) e
	JOIN snap ON e.at >= snap.t - 365 AND e.at < snap.t
	GROUP BY 1, 2
),
responses AS (
	SELECT d.client_id, snap.t,
	       count(*) FILTER (WHERE d.kind = 'offer_shown' AND d.recorded_at >= snap.t - 90) AS shown,
	       count(*) FILTER (WHERE d.kind = 'response' AND d.outcome = 'accepted') AS accepted,
	       count(*) FILTER (WHERE d.kind = 'response' AND d.outcome = 'declined') AS declined
	FROM decision_records d
	JOIN sample s ON s.id = d.client_id
	JOIN snap ON d.recorded_at < snap.t
	WHERE d.kind IN ('offer_shown', 'response')
	  AND ($7::bigint IS NULL OR d.client_id >= $7) AND ($8::bigint IS NULL OR d.client_id < $8)
	GROUP BY 1, 2
),
households AS (
	SELECT household_id, count(*) AS members FROM clients
	WHERE household_id IN (SELECT household_id FROM sample)
	GROUP BY 1
)
SELECT s.id, (array_position($1::date[], snap.t) - 1)::int2,
       coalesce(h.held, 0), coalesce(h.took, 0), coalesce(h.had, 0) & ~coalesce(h.held, 0),
       coalesce(extract(year FROM age(snap.t, s.birth_date))::float8, 'NaN'), -- NaN: no birth date, the age is unknown
       ((extract(year FROM age(snap.t, s.created_at::date)) * 12 + extract(month FROM age(snap.t, s.created_at::date))))::float8,
       round(s.income)::float8, s.dependants::float8, coalesce(hh.members, 1)::float8,
       bit_count(coalesce(h.held, 0)::bit(32))::float8,
       CASE WHEN $6 OR (SELECT at FROM contact_from) <= snap.t - 90 THEN array[
           coalesce(c.phone, 0), coalesce(c.email, 0), coalesce(c.web, 0), coalesce(c.visit, 0),
           coalesce(c.mail, 0), coalesce(c.fax, 0), coalesce(c.inbound, 0)]::float8[] END,
       CASE WHEN NOT $9 AND ($6 OR (SELECT at FROM booking_from) <= snap.t - 90) THEN array[coalesce(b.n, 0), coalesce(b.salary, 0)]::float8[] END,
       coalesce(e.changes, 0)::float8, coalesce(e.relationships, 0)::float8,
       coalesce(r.shown, 0)::float8, coalesce(r.accepted, 0)::float8, coalesce(r.declined, 0)::float8,
       s.marital_status, s.employment_status, s.segment, s.preferred_channel, s.income_currency,
       (SELECT count(*) FROM sample)
FROM sample s
JOIN snap ON s.created_at < snap.t AND (s.birth_date IS NULL OR s.birth_date < snap.t)
LEFT JOIN hold h ON h.client_id = s.id AND h.t = snap.t
LEFT JOIN contacts c ON c.client_id = s.id AND c.t = snap.t
LEFT JOIN bookings b ON b.client_id = s.id AND b.t = snap.t
LEFT JOIN events e ON e.client_id = s.id AND e.t = snap.t
LEFT JOIN responses r ON r.client_id = s.id AND r.t = snap.t
LEFT JOIN households hh ON hh.household_id = s.household_id
ORDER BY snap.t, s.id`

// extractOptions choose the rows extract reads.
type extractOptions struct {
	snapshots []time.Time
	share     int    // millionths of the clients sampled (1000000: all)
	client    *int64 // one client only (scoring)
	known     bool   // contacts and bookings known at every snapshot (scoring today)
	// from and to bound the client ids read, [from, to), nil unbounded:
	// one chunk of a rescoring run (batch.go).
	from, to *int64
	// noBookings leaves the bookings unread: their columns are unknown
	// (NaN) at every snapshot.
	noBookings bool
}

// querier is a pool, a connection or a transaction: the batch reads a
// chunk in the transaction that writes its scores.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// extract streams the examples from PostgreSQL. Memory grows with the
// rows kept (about 270 bytes each: the row, 48 numbers and 5 levels), not
// with the tables read.
func extract(ctx context.Context, db querier, opt extractOptions) (*examples, error) {
	ex := &examples{snapshots: opt.snapshots}
	ex.numeric, ex.cat = historyColumns()
	ex.levels = make([][]string, len(ex.cat))
	index := make([]map[string]uint16, len(ex.cat))
	for i := range ex.cat {
		ex.levels[i] = []string{""}
		index[i] = map[string]uint16{"": 0}
	}
	dates := make([]time.Time, len(opt.snapshots))
	for i, t := range opt.snapshots {
		dates[i] = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	rows, err := db.Query(ctx, extractQuery, pgx.QueryExecModeDescribeExec, dates, opt.share, Horizon, familyNames(), opt.client, opt.known, opt.from, opt.to, opt.noBookings)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	defer rows.Close()
	nf := len(Families)
	var (
		id                                            int64
		snapshot                                      int16
		held, took, had                               int32
		age, tenure, dependants, household, products  float64
		income                                        *float64
		contacts, bookings                            []float64
		changes, relationships, shown, accept, reject float64
		cats                                          = make([]*string, len(ex.cat))
		sampled                                       int
	)
	dest := []any{&id, &snapshot, &held, &took, &had, &age, &tenure, &income, &dependants, &household, &products,
		&contacts, &bookings, &changes, &relationships, &shown, &accept, &reject}
	for i := range cats {
		dest = append(dest, &cats[i])
	}
	dest = append(dest, &sampled)
	nan := float32(math.NaN())
	// The rows' numbers and levels are cut from slabs of slabRows rows,
	// not allocated two slices a row: a whole firm is millions of rows,
	// and the garbage collector then follows a few thousand objects
	// instead of tens of millions.
	const slabRows = 4096
	var numSlab []float32
	var catSlab []uint16
	for rows.Next() {
		contacts, bookings, income = nil, nil, nil
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("read history: %w", err)
		}
		if len(numSlab) < len(ex.numeric) {
			n := min(slabRows, len(ex.rows)+1) // doubling up to slabRows: one client's scoring reads one row
			numSlab = make([]float32, n*len(ex.numeric))
			catSlab = make([]uint16, n*len(ex.cat))
		}
		e := example{client: id, snapshot: snapshot, held: uint32(held), took: uint32(took),
			num: numSlab[:0:len(ex.numeric)], cat: catSlab[:len(ex.cat):len(ex.cat)]}
		numSlab, catSlab = numSlab[len(ex.numeric):], catSlab[len(ex.cat):]
		e.num = append(e.num, float32(age), float32(tenure), nan, float32(dependants), float32(household), float32(products))
		if income != nil {
			e.num[2] = float32(*income)
		}
		if contacts == nil {
			contacts = []float64{math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()}
		}
		if bookings == nil {
			bookings = []float64{math.NaN(), math.NaN()}
		}
		for _, v := range contacts {
			e.num = append(e.num, float32(v))
		}
		for _, v := range bookings {
			e.num = append(e.num, float32(v))
		}
		e.num = append(e.num, float32(changes), float32(relationships), float32(shown), float32(accept), float32(reject))
		for f := range nf {
			e.num = append(e.num, float32(held>>f&1))
		}
		for f := range nf {
			e.num = append(e.num, float32(had>>f&1))
		}
		for i, c := range cats {
			v := ""
			if c != nil {
				v = *c
			}
			k, ok := index[i][v]
			if !ok {
				k = uint16(len(ex.levels[i]))
				index[i][v] = k
				ex.levels[i] = append(ex.levels[i], v)
			}
			e.cat[i] = k
		}
		if ex.rows == nil {
			// At most one row per sampled client and snapshot: allocated
			// once, not grown by append, whose every larger copy of a
			// million-row slice stays resident (on the 1M seed the copies
			// took RSS to 7 GB for a 4 GB heap).
			ex.rows = make([]example, 0, sampled*len(opt.snapshots))
		}
		ex.rows = append(ex.rows, e)
		ex.sampled = sampled
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	return ex, nil
}
