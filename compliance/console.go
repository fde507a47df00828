package compliance

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
)

// The compliance console reads the offer log: it searches every decision
// record, opens one with everything that refers to it, keeps the review
// queue, counts outcomes for a period and reads the staff access log. Its
// SQL lives in this file and its neighbours (review.go, stats.go,
// export.go); Console is the store they share.

// Console is the compliance console's store.
type Console struct {
	pool *pgxpool.Pool
	// now is the clock; loc the zone dates are entered and shown in.
	now func() time.Time
	loc *time.Location
}

// NewConsole returns the console's store on pool, in the server's zone.
func NewConsole(pool *pgxpool.Pool) *Console {
	return &Console{pool: pool, now: time.Now, loc: time.Local}
}

// Page sizes of the console's lists.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// Outcomes lists every outcome a record can have, for the outcome filter.
var Outcomes = []string{"shown", "blocked", "interested", "accepted", "declined", "expired", "review_requested"}

// GateChecks are the checks of the offer gate, for the failed-check
// filter.
var GateChecks = []string{CheckSuitability, CheckAppropriateness, CheckTargetMarket, CheckConsent,
	CheckObjection, CheckContactPolicy, CheckVulnerability, CheckHousehold}

// Filter selects decision records. Every field is optional; the zero
// Filter is every record, newest first. Fields hold the text the user
// entered so that a refused filter can be shown again as it was.
type Filter struct {
	// Client is a client id or the start of a client's name ("pop",
	// "ana pop"); case and diacritics are ignored.
	Client  string `json:"client,omitempty"`
	Product string `json:"product,omitempty"` // product code
	Engine  string `json:"engine,omitempty"`
	// Advisor is the staff id of the advisor who presented the offer.
	Advisor     string `json:"advisor,omitempty"`
	Channel     string `json:"channel,omitempty"`
	Outcome     string `json:"outcome,omitempty"`
	FailedCheck string `json:"failed_check,omitempty"` // name of a check that failed
	// From and To are calendar dates (YYYY-MM-DD) in the console's zone,
	// both included.
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
	After string `json:"-"` // cursor of the previous page
	Limit int    `json:"-"`
}

// filterQuery is a checked Filter turned into SQL conditions on
// decision_records d (joined to clients c).
type filterQuery struct {
	where []string
	args  []any
	from  time.Time // zero when open
	to    time.Time // exclusive; zero when open
	after *cursor
	limit int
	// failedCheck is the failed-check filter, "" when none.
	failedCheck string
}

// rareFailedCheck reports whether ANALYZE found the check name too rare to
// keep in the statistics of the failed-checks index (or has not run).
func rareFailedCheck(ctx context.Context, tx pgx.Tx, name string) (bool, error) {
	const q = `
SELECT NOT coalesce($1 = ANY (most_common_elems::text::text[]), false)
FROM (SELECT 1) one
LEFT JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = 'decision_records_failed_checks_idx'`
	var rare bool
	if err := tx.QueryRow(ctx, q, name).Scan(&rare); err != nil {
		return false, fmt.Errorf("failed-check statistics: %w", err)
	}
	return rare, nil
}

func (q *filterQuery) add(cond string, args ...any) {
	for _, a := range args {
		q.args = append(q.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(q.args)), 1)
	}
	q.where = append(q.where, cond)
}

func (q *filterQuery) sql() string {
	if len(q.where) == 0 {
		return "true"
	}
	return strings.Join(q.where, " AND ")
}

// cursor is the (recorded_at, seq) of the last row of a page.
type cursor struct {
	at  time.Time
	seq int64
}

func (c cursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.at.UnixMicro(), 10) + "." + strconv.FormatInt(c.seq, 10)))
}

func decodeCursor(s string) (*cursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	at, seq, ok := strings.Cut(string(b), ".")
	micros, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(seq, 10, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 {
		return nil, false
	}
	return &cursor{at: time.UnixMicro(micros).UTC(), seq: n}, true
}

// invalid returns an EINVALID error with one entry per field at fault;
// messages are catalogue keys, translated by the HTTP layer.
func invalid(fields ...ecrm.FieldError) *ecrm.Error {
	e := &ecrm.Error{Code: ecrm.EINVALID, Message: "compliance.error.invalid_input", Fields: fields}
	if len(fields) == 1 {
		e.Field = fields[0].Field
	}
	return e
}

// parseDay reads a calendar date in loc; ok is false for anything but
// YYYY-MM-DD.
func parseDay(s string, loc *time.Location) (time.Time, bool) {
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), loc)
	if err != nil || t.Year() < 1900 || t.Year() > 9999 {
		return time.Time{}, false
	}
	return t, true
}

// period checks from and to (dates in loc, both included) and returns the
// half-open time range [from, to+1 day), naming the field at fault.
func period(from, to string, loc *time.Location) (start, end time.Time, faults []ecrm.FieldError) {
	if from != "" {
		var ok bool
		if start, ok = parseDay(from, loc); !ok {
			faults = append(faults, ecrm.FieldError{Field: "from", Message: "compliance.error.date_invalid"})
		}
	}
	if to != "" {
		day, ok := parseDay(to, loc)
		if !ok {
			faults = append(faults, ecrm.FieldError{Field: "to", Message: "compliance.error.date_invalid"})
		} else {
			end = day.AddDate(0, 0, 1)
			if !start.IsZero() && day.Before(start) {
				faults = append(faults, ecrm.FieldError{Field: "to", Message: "compliance.error.to_before_from"})
			}
		}
	}
	return start, end, faults
}

const maxTextFilter = 100

// query checks the filter and builds its conditions. Everything wrong is
// reported at once, each fault at its field.
func (f *Filter) query(loc *time.Location) (*filterQuery, error) {
	q := &filterQuery{}
	var faults []ecrm.FieldError
	for _, v := range []struct{ field, value string }{
		{"client", f.Client}, {"product", f.Product}, {"engine", f.Engine}, {"channel", f.Channel},
	} {
		if len([]rune(v.value)) > maxTextFilter {
			faults = append(faults, ecrm.FieldError{Field: v.field, Message: "compliance.error.too_long"})
		}
	}
	faults = append(faults, matchClient(q, "d.client_id", f.Client)...)
	if p := strings.TrimSpace(f.Product); p != "" {
		q.add("d.product_id = (SELECT id FROM products WHERE code = upper(?))", p)
	}
	if e := strings.TrimSpace(f.Engine); e != "" {
		q.add("d.engine = ?", e)
	}
	if a := strings.TrimSpace(f.Advisor); a != "" {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			faults = append(faults, ecrm.FieldError{Field: "advisor", Message: "compliance.error.advisor_invalid"})
		}
		q.add("d.actor_staff_id = ?", id)
	}
	if c := strings.TrimSpace(f.Channel); c != "" {
		q.add("d.channel = ?", c)
	}
	if o := strings.TrimSpace(f.Outcome); o != "" {
		if !contains(Outcomes, o) {
			faults = append(faults, ecrm.FieldError{Field: "outcome", Message: "compliance.error.outcome_unknown"})
		}
		q.add("d.outcome = ?", o)
	}
	if c := strings.TrimSpace(f.FailedCheck); c != "" {
		if !contains(GateChecks, c) {
			faults = append(faults, ecrm.FieldError{Field: "failed_check", Message: "compliance.error.check_unknown"})
		}
		// A failed check leaves the offer blocked; the GIN index of 00009
		// holds the failed check names.
		q.add("d.outcome = 'blocked' AND compliance_failed_checks(d.body) @> ARRAY[?::text]", c)
		q.failedCheck = c
	}
	var pf []ecrm.FieldError
	q.from, q.to, pf = period(f.From, f.To, loc)
	faults = append(faults, pf...)
	if !q.from.IsZero() {
		q.add("d.recorded_at >= ?", q.from)
	}
	if !q.to.IsZero() {
		q.add("d.recorded_at < ?", q.to)
	}
	if f.Limit == 0 {
		f.Limit = DefaultPageSize
	}
	if f.Limit < 1 || f.Limit > MaxPageSize {
		faults = append(faults, ecrm.FieldError{Field: "limit", Message: "compliance.error.limit_range"})
	}
	q.limit = f.Limit
	if f.After != "" {
		c, ok := decodeCursor(f.After)
		if !ok {
			faults = append(faults, ecrm.FieldError{Field: "after", Message: "compliance.error.after_invalid"})
		}
		q.after = c
	}
	if len(faults) > 0 {
		return nil, invalid(faults...)
	}
	return q, nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Summary is one decision record in a list.
type Summary struct {
	Seq         int64
	Kind        string
	RefersTo    int64 // 0 when none
	ClientID    int64
	ClientName  string
	ProductCode string // "" when the record is about no product
	Engine      string
	Channel     string
	ActorKind   string
	StaffID     int64 // the advisor, 0 when none
	StaffName   string
	Outcome     string
	RecordedAt  time.Time
	// Review is the latest review ("flag", "approve") or "".
	Review string
}

// SearchResult is one page of records, newest first.
type SearchResult struct {
	Records []Summary
	// Next is the cursor of the next page, "" on the last page.
	Next string
}

// summaryColumns are the columns scanned by scanSummary.
const summaryColumns = `d.seq, d.kind, coalesce(d.refers_to, 0), d.client_id, c.given_name || ' ' || c.family_name,
    coalesce(p.code, ''), d.engine, d.channel, d.actor_kind, coalesce(d.actor_staff_id, 0), coalesce(s.display_name, ''),
    d.outcome, d.recorded_at,
    coalesce((SELECT r.action FROM compliance_reviews r WHERE r.record_seq = d.seq ORDER BY r.id DESC LIMIT 1), '')`

const summaryJoins = `JOIN clients c ON c.id = d.client_id
LEFT JOIN products p ON p.id = d.product_id
LEFT JOIN staff_users s ON s.id = d.actor_staff_id`

func scanSummary(rows pgx.CollectableRow) (Summary, error) {
	var s Summary
	err := rows.Scan(&s.Seq, &s.Kind, &s.RefersTo, &s.ClientID, &s.ClientName, &s.ProductCode, &s.Engine, &s.Channel,
		&s.ActorKind, &s.StaffID, &s.StaffName, &s.Outcome, &s.RecordedAt, &s.Review)
	return s, err
}

// Search returns one page of the records the filter selects, newest first
// (by time, then by chain position), paged by keyset.
func (c *Console) Search(ctx context.Context, f Filter) (*SearchResult, error) {
	q, err := f.query(c.loc)
	if err != nil {
		return nil, err
	}
	return c.page(ctx, q, "")
}

// page reads one page of q with an extra condition.
func (c *Console) page(ctx context.Context, q *filterQuery, extra string) (*SearchResult, error) {
	if q.after != nil {
		q.add("(d.recorded_at, d.seq) < (?, ?)", q.after.at, q.after.seq)
	}
	where := q.sql()
	if extra != "" {
		where += " AND " + extra
	}
	sql := `SELECT ` + summaryColumns + `
FROM decision_records d
` + summaryJoins + `
WHERE ` + where + `
ORDER BY d.recorded_at DESC, d.seq DESC
LIMIT ` + strconv.Itoa(q.limit+1)
	var list []Summary
	err := pgx.BeginTxFunc(ctx, c.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if q.failedCheck != "" {
			rare, err := rareFailedCheck(ctx, tx, q.failedCheck)
			if err != nil {
				return err
			}
			if rare {
				// The planner's guess for a check name it has no
				// statistics of is a fixed share of the table, so it
				// would walk the whole period newest first looking for
				// matches that are not there; the GIN index finds the
				// few there are at once.
				if _, err := tx.Exec(ctx, `SET LOCAL enable_indexscan = off; SET LOCAL enable_seqscan = off`); err != nil {
					return err
				}
			}
		}
		// Planned for the values at hand each time (never a cached
		// generic plan): which index serves a filter depends on how
		// selective its value is, and a generic plan guesses wrong for a
		// client with a hundred records or a channel with millions.
		rows, err := tx.Query(ctx, sql, append([]any{pgx.QueryExecModeExec}, q.args...)...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, scanSummary)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("search decision records: %w", err)
	}
	res := &SearchResult{Records: list}
	if len(list) > q.limit {
		res.Records = list[:q.limit]
		last := res.Records[q.limit-1]
		res.Next = cursor{at: last.RecordedAt, seq: last.Seq}.encode()
	}
	return res, nil
}

// Detail is one decision record with everything the console shows about
// it.
type Detail struct {
	Summary
	ProductID        int64
	ProductVersionID int64
	// ProductName and ProductVersion are the offered version's name and
	// number ("version 1"), not the version row's id.
	ProductName    ecrm.Text
	ProductVersion int
	EngineVersion  string
	RuleVersion    string
	Body           Body
	// BodyText is the stored canonical JSON, as hashed.
	BodyText string
	// Inputs are the input snapshot's fields in key order, values as JSON.
	Inputs []Input
	// Snapshot is the gate's input snapshot, read back for the readable
	// summary; nil for a record the gate did not write (a response).
	Snapshot *Snapshot
	PrevHash []byte
	Hash     []byte
	// Related are the records referring to this one: the client's
	// responses and requests for a human review.
	Related []Summary
	// Reviews is the review history, oldest first.
	Reviews []Review
	// Sampled is true when the record is in the review sample.
	Sampled bool
}

// Locale is the language the record was made in (its reader's), English
// when the record holds no gate snapshot.
func (d *Detail) Locale() string {
	if d.Snapshot != nil && d.Snapshot.Locale != "" {
		return d.Snapshot.Locale
	}
	return "en"
}

// CheckTitleKey is the catalogue key naming a gate check in words; a check
// the console does not know keeps its name.
func (d *Detail) CheckTitleKey(name string) string {
	if slices.Contains(CheckNames, name) {
		return "compliance.check." + name
	}
	return "compliance.check.other"
}

// Input is one field of an input snapshot.
type Input struct {
	Name  string
	Value string
}

var errRecordNotFound = ecrm.Errorf(ecrm.ENOTFOUND, "compliance.error.record_not_found")

// matchClient narrows q to the client named by text in column: an id, or
// the start of the family or given name, or of both in either order
// ("pop", "ana pop", "popescu ana"), accents and case aside.
func matchClient(q *filterQuery, column, text string) []ecrm.FieldError {
	client := strings.Join(strings.Fields(text), " ")
	if id, err := strconv.ParseInt(client, 10, 64); err == nil {
		q.add(column+" = ?", id)
		if id <= 0 {
			return []ecrm.FieldError{{Field: "client", Message: "compliance.error.client_invalid"}}
		}
		return nil
	}
	if client == "" {
		return nil
	}
	words := strings.Fields(likeEscape(client))
	first, rest := words[0], strings.Join(words[1:], " ")
	if rest == "" {
		q.add(column+` IN (SELECT id FROM clients WHERE ecrm_search_key(family_name) COLLATE "C" LIKE ecrm_search_key(?) || '%'
		  OR ecrm_search_key(given_name) COLLATE "C" LIKE ecrm_search_key(?) || '%')`, first, first)
		return nil
	}
	q.add(column+` IN (SELECT id FROM clients WHERE
	  (ecrm_search_key(given_name) COLLATE "C" LIKE ecrm_search_key(?) || '%' AND ecrm_search_key(family_name) COLLATE "C" LIKE ecrm_search_key(?) || '%')
	  OR (ecrm_search_key(family_name) COLLATE "C" LIKE ecrm_search_key(?) || '%' AND ecrm_search_key(given_name) COLLATE "C" LIKE ecrm_search_key(?) || '%'))`,
		first, rest, first, rest)
	return nil
}

// matchStaff narrows q to the member of staff named by text in column: an
// id, or any part of the name, accents and case aside ("maria", "ionescu").
func matchStaff(q *filterQuery, column, text string) []ecrm.FieldError {
	staff := strings.Join(strings.Fields(text), " ")
	if id, err := strconv.ParseInt(staff, 10, 64); err == nil {
		q.add(column+" = ?", id)
		if id <= 0 {
			return []ecrm.FieldError{{Field: "staff", Message: "compliance.error.id_invalid"}}
		}
		return nil
	}
	if staff != "" {
		q.add(column+` IN (SELECT id FROM staff_users WHERE ecrm_search_key(display_name) LIKE '%' || ecrm_search_key(?) || '%')`, likeEscape(staff))
	}
	return nil
}

// LogRecordView records in the staff access log that a compliance officer
// opened a decision record: it shows the client's evidence.
func (c *Console) LogRecordView(ctx context.Context, who Exporter, d *Detail) error {
	detail, _ := json.Marshal(map[string]any{"seq": d.Seq})
	// A reload within ten minutes is the view already logged, as in the
	// advisor's console (advisor.AccessRepeatWindow).
	const q = `INSERT INTO staff_access_log (staff_id, client_id, resource, request_id, detail, accessed_at)
SELECT $1, $2, 'decision_record', nullif($3, ''), $4, $5
WHERE NOT EXISTS (
    SELECT 1 FROM staff_access_log a
    WHERE a.staff_id = $1 AND a.accessed_at > $5::timestamptz - interval '10 minutes' AND a.accessed_at <= $5
      AND a.client_id = $2 AND a.resource = 'decision_record' AND a.detail = $4::jsonb)`
	if _, err := c.pool.Exec(ctx, q, who.StaffID, d.ClientID, who.RequestID, detail, c.now()); err != nil {
		return fmt.Errorf("record the view of decision record %d: %w", d.Seq, err)
	}
	return nil
}

// Record returns the record seq with its related records and reviews.
func (c *Console) Record(ctx context.Context, seq int64) (*Detail, error) {
	var d Detail
	var body []byte
	var basisPoints int
	err := pgx.BeginTxFunc(ctx, c.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		q := `SELECT ` + summaryColumns + `, coalesce(d.product_id, 0), coalesce(d.product_version_id, 0),
    coalesce((SELECT json_build_object('en', pv.name, 'ro', pv.name_ro) FROM product_versions pv WHERE pv.id = d.product_version_id), '{}'),
    coalesce((SELECT pv.version FROM product_versions pv WHERE pv.id = d.product_version_id), 0),
    d.engine_version, d.rule_version, d.body::text, d.prev_hash, d.hash,
    (SELECT sample_basis_points FROM compliance_settings)
FROM decision_records d
` + summaryJoins + `
WHERE d.seq = $1`
		err := tx.QueryRow(ctx, q, seq).Scan(&d.Seq, &d.Kind, &d.RefersTo, &d.ClientID, &d.ClientName, &d.ProductCode, &d.Engine, &d.Channel,
			&d.ActorKind, &d.StaffID, &d.StaffName, &d.Outcome, &d.RecordedAt, &d.Review,
			&d.ProductID, &d.ProductVersionID, &d.ProductName, &d.ProductVersion, &d.EngineVersion, &d.RuleVersion, &body, &d.PrevHash, &d.Hash, &basisPoints)
		if errors.Is(err, pgx.ErrNoRows) {
			return errRecordNotFound
		}
		if err != nil {
			return fmt.Errorf("read decision record %d: %w", seq, err)
		}
		rows, err := tx.Query(ctx, `SELECT `+summaryColumns+` FROM decision_records d `+summaryJoins+`
WHERE d.refers_to = $1 ORDER BY d.seq`, seq)
		if err != nil {
			return fmt.Errorf("read records referring to %d: %w", seq, err)
		}
		if d.Related, err = pgx.CollectRows(rows, scanSummary); err != nil {
			return fmt.Errorf("read records referring to %d: %w", seq, err)
		}
		d.Reviews, err = reviews(ctx, tx, seq)
		return err
	})
	if err != nil {
		return nil, err
	}
	d.BodyText = string(body)
	dec := json.NewDecoder(strings.NewReader(d.BodyText))
	dec.UseNumber()
	if err := dec.Decode(&d.Body); err != nil {
		return nil, fmt.Errorf("decode body of decision record %d: %w", seq, err)
	}
	keys := make([]string, 0, len(d.Body.Inputs))
	for k := range d.Body.Inputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := d.Body.Inputs[k]
		text, _ := json.Marshal(v)
		if s, ok := v.(string); ok {
			text = []byte(s)
		}
		d.Inputs = append(d.Inputs, Input{Name: k, Value: string(text)})
	}
	if raw, err := json.Marshal(d.Body.Inputs); err == nil && len(d.Body.Inputs) > 0 {
		if snap, err := ParseSnapshot(raw); err == nil {
			d.Snapshot = &snap
		}
	}
	d.Sampled = d.Kind == string(KindOfferShown) && SamplePoint(d.Hash) < basisPoints
	return &d, nil
}
