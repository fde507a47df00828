package compliance

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// Statistics dimensions: the groups offers are counted by, to spot unfair
// skew (a segment or an age band blocked or accepting far more than the
// others).
var Dimensions = []string{"product", "engine", "channel", "segment", "age_band"}

// AgeBands are the age bands of the statistics, the client's age when the
// record was made; "unknown" when the birth date is not known.
var AgeBands = []string{"under_25", "25_34", "35_44", "45_54", "55_64", "65_plus", "unknown"}

// Counts are the records of one group in a period.
type Counts struct {
	Shown, Blocked, Interested, Accepted, Declined, Expired, ReviewRequested int64
}

// InterestRate is "I'm interested" answers per shown offer; ok is false
// when nothing was shown.
func (c Counts) InterestRate() (rate decimal.Decimal, ok bool) {
	if c.Shown == 0 {
		return decimal.Zero, false
	}
	return decimal.NewFromInt(c.Interested).DivRound(decimal.NewFromInt(c.Shown), 4), true
}

// AcceptanceRate is applications (accepted responses) per shown offer of
// the group in the period; ok is false when nothing was shown.
func (c Counts) AcceptanceRate() (rate decimal.Decimal, ok bool) {
	if c.Shown == 0 {
		return decimal.Zero, false
	}
	return decimal.NewFromInt(c.Accepted).DivRound(decimal.NewFromInt(c.Shown), 4), true
}

// Group is the counts of one value of a dimension.
type Group struct {
	Key string // product code, engine, channel, segment or age band
	Counts
}

// CheckCount is how many offers one failed check blocked.
type CheckCount struct {
	Check string
	Count int64
}

// Stats are the counts of a period.
type Stats struct {
	From, To time.Time // the period, [From, To)
	Total    Counts
	// By holds the groups of each dimension, in key order.
	By map[string][]Group
	// BlockedBy counts blocked offers by failed check, most first. An
	// offer blocked by two checks counts for both.
	BlockedBy []CheckCount
}

// StatsPeriod is the default period of the statistics: the last 30 days.
const StatsPeriod = 30

// Stats counts the records of the period [from, to] (dates in the console's
// zone; the last 30 days when both are empty).
func (c *Console) Stats(ctx context.Context, from, to string) (*Stats, error) {
	start, end, faults := period(from, to, c.loc)
	if len(faults) > 0 {
		return nil, invalid(faults...)
	}
	if end.IsZero() {
		y, m, d := c.now().In(c.loc).Date()
		end = time.Date(y, m, d, 0, 0, 0, 0, c.loc).AddDate(0, 0, 1)
	}
	if start.IsZero() {
		start = end.AddDate(0, 0, -StatsPeriod)
	}
	if !start.Before(end) {
		return nil, invalid(ecrm.FieldError{Field: "from", Message: "compliance.error.from_after_to"})
	}
	st := &Stats{From: start, To: end, By: map[string][]Group{}}
	// One pass over the period, grouped by each dimension at once. Age is
	// the client's age on the day of the record; segment the client's
	// current segment.
	const q = `
WITH d AS (
    SELECT d.outcome, coalesce(p.code, '-') AS product, d.engine, d.channel, c.segment,
        CASE
            WHEN c.birth_date IS NULL THEN 'unknown'
            WHEN age(d.recorded_at::date, c.birth_date) < interval '25 years' THEN 'under_25'
            WHEN age(d.recorded_at::date, c.birth_date) < interval '35 years' THEN '25_34'
            WHEN age(d.recorded_at::date, c.birth_date) < interval '45 years' THEN '35_44'
            WHEN age(d.recorded_at::date, c.birth_date) < interval '55 years' THEN '45_54'
            WHEN age(d.recorded_at::date, c.birth_date) < interval '65 years' THEN '55_64'
            ELSE '65_plus'
        END AS age_band
    FROM decision_records d
    JOIN clients c ON c.id = d.client_id
    LEFT JOIN products p ON p.id = d.product_id
    WHERE d.recorded_at >= $1 AND d.recorded_at < $2
)
SELECT CASE
        WHEN grouping(product) = 0 THEN 'product'
        WHEN grouping(engine) = 0 THEN 'engine'
        WHEN grouping(channel) = 0 THEN 'channel'
        WHEN grouping(segment) = 0 THEN 'segment'
        WHEN grouping(age_band) = 0 THEN 'age_band'
        ELSE 'total' END,
    coalesce(product, engine, channel, segment, age_band, ''),
    count(*) FILTER (WHERE outcome = 'shown'),
    count(*) FILTER (WHERE outcome = 'blocked'),
    count(*) FILTER (WHERE outcome = 'interested'),
    count(*) FILTER (WHERE outcome = 'accepted'),
    count(*) FILTER (WHERE outcome = 'declined'),
    count(*) FILTER (WHERE outcome = 'expired'),
    count(*) FILTER (WHERE outcome = 'review_requested')
FROM d
GROUP BY GROUPING SETS ((product), (engine), (channel), (segment), (age_band), ())
ORDER BY 1, 2`
	const qChecks = `
SELECT c.name, count(*)
FROM decision_records d, unnest(compliance_failed_checks(d.body)) AS c(name)
WHERE d.outcome = 'blocked' AND d.recorded_at >= $1 AND d.recorded_at < $2
GROUP BY 1 ORDER BY 2 DESC, 1`
	err := pgx.BeginTxFunc(ctx, c.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, q, start, end)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var dim string
			var g Group
			if err := rows.Scan(&dim, &g.Key, &g.Shown, &g.Blocked, &g.Interested, &g.Accepted, &g.Declined, &g.Expired, &g.ReviewRequested); err != nil {
				return err
			}
			if dim == "total" {
				st.Total = g.Counts
				continue
			}
			st.By[dim] = append(st.By[dim], g)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, qChecks, start, end)
		if err != nil {
			return err
		}
		st.BlockedBy, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (CheckCount, error) {
			var cc CheckCount
			err := row.Scan(&cc.Check, &cc.Count)
			return cc, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("decision statistics: %w", err)
	}
	sortAgeBands(st.By["age_band"])
	return st, nil
}

// HasRate reports whether the group showed any offer, so that Rate means
// something.
func (c Counts) HasRate() bool { return c.Shown > 0 }

// Rate is AcceptanceRate for templates: zero when nothing was shown.
func (c Counts) Rate() decimal.Decimal {
	r, _ := c.AcceptanceRate()
	return r
}

// InterestShare is InterestRate for templates: zero when nothing was shown.
func (c Counts) InterestShare() decimal.Decimal {
	r, _ := c.InterestRate()
	return r
}

// sortAgeBands puts the age bands in age order rather than text order.
func sortAgeBands(groups []Group) {
	rank := func(key string) int {
		for i, b := range AgeBands {
			if b == key {
				return i
			}
		}
		return len(AgeBands)
	}
	sort.SliceStable(groups, func(i, j int) bool { return rank(groups[i].Key) < rank(groups[j].Key) })
}
