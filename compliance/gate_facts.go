package compliance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// FactsReader reads what the gate needs about a client in one round trip.
type FactsReader struct {
	pool *pgxpool.Pool
}

// NewFactsReader reads from pool's database.
func NewFactsReader(pool *pgxpool.Pool) *FactsReader { return &FactsReader{pool: pool} }

// consentChannel is the consent channel governing offers on a gate
// channel: the portal and the app share the "web" consent. (In the branch,
// consent to marketing on any channel counts; see Read.)
func consentChannel(channel string) string {
	switch channel {
	case "web", "mobile":
		return "web"
	}
	return channel
}

// Read returns the facts in force at time at: the latest assessment,
// consents and objections recorded up to then, and the offers before it.
// The contact policy, the vulnerability flag and the household are read as
// they are now (they keep no history).
func (r *FactsReader) Read(ctx context.Context, clientID int64, channel string, productIDs []int64, at time.Time) (Facts, error) {
	return r.read(ctx, clientID, channel, productIDs, at, nil)
}

// recall asks Read for the decisions of an earlier presentation with the
// same key recorded since a time (see Gate.Present).
type recall struct {
	key   string
	since time.Time
}

// recalled is one decision of an earlier presentation.
type recalled struct {
	seq              int64
	shown            bool
	productID        int64
	productVersionID int64
	presentationID   string
	// declined is true when the client declined the offer since.
	declined bool
}

func (r *FactsReader) read(ctx context.Context, clientID int64, channel string, productIDs []int64, at time.Time, rc *recall) (Facts, error) {
	if !slices.Contains(Channels, channel) {
		return Facts{}, ecrm.FieldErrorf("channel", "must be one of %v", Channels)
	}
	f := Facts{History: make(map[int64]ProductHistory, len(productIDs))}
	var (
		b          pgx.Batch
		found      bool
		assessment struct {
			riskClass               int
			lossCapacity            decimal.Decimal
			currency, objective, qv string
			knowledge               []byte
			horizon                 int
			assessedAt              time.Time
		}
		haveAssessment bool
	)
	b.Queue(`SELECT vulnerable, coalesce(household_id, 0) FROM clients WHERE id = $1`, clientID).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&f.Vulnerable, &f.HouseholdID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	})
	b.Queue(`
SELECT risk_class, loss_capacity, loss_capacity_currency, knowledge, objective, horizon_months, questionnaire_version, assessed_at
FROM risk_assessments WHERE client_id = $1 AND assessed_at <= $2
ORDER BY assessed_at DESC, id DESC LIMIT 1`, clientID, at).QueryRow(func(row pgx.Row) error {
		a := &assessment
		err := row.Scan(&a.riskClass, &a.lossCapacity, &a.currency, &a.knowledge, &a.objective, &a.horizon, &a.qv, &a.assessedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		haveAssessment = err == nil
		return err
	})
	consentQuery := `
SELECT granted, wording_version FROM consents
WHERE client_id = $1 AND purpose = 'marketing' AND channel IN ($2, 'any') AND recorded_at <= $3
ORDER BY recorded_at DESC, id DESC LIMIT 1`
	consentArgs := []any{clientID, consentChannel(channel), at}
	if channel == "branch" {
		// The client came to the branch: consent to marketing on any
		// channel in force covers the advisor's offer.
		consentQuery = `
SELECT granted, wording_version FROM (
    SELECT DISTINCT ON (channel) channel, granted, wording_version, recorded_at FROM consents
    WHERE client_id = $1 AND purpose = 'marketing' AND recorded_at <= $2
    ORDER BY channel, recorded_at DESC, id DESC) latest
ORDER BY granted DESC, recorded_at DESC LIMIT 1`
		consentArgs = []any{clientID, at}
	}
	b.Queue(consentQuery, consentArgs...).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&f.MarketingConsent, &f.ConsentWording)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	// An objection in force, or a withdrawn consent to profiling, which is
	// the client objecting to it.
	b.Queue(`
SELECT kind FROM (
    SELECT DISTINCT ON (kind) kind, objected FROM objections
    WHERE client_id = $1 AND recorded_at <= $2
    ORDER BY kind, recorded_at DESC, id DESC) o
WHERE objected
UNION
SELECT 'profiling' FROM (
    SELECT granted FROM consents
    WHERE client_id = $1 AND purpose = 'profiling' AND recorded_at <= $2
    ORDER BY recorded_at DESC, id DESC LIMIT 1) p
WHERE NOT granted
ORDER BY 1`, clientID, at).Query(func(rows pgx.Rows) error {
		var err error
		f.Objections, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	b.Queue(`SELECT channel, max_offers_per_product, period_days, decline_cooldown_days FROM contact_policies WHERE channel = $1`, channel).
		QueryRow(func(row pgx.Row) error {
			p := &f.Policy
			err := row.Scan(&p.Channel, &p.MaxOffersPerProduct, &p.PeriodDays, &p.DeclineCooldownDays)
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("%w %q: no contact policy", ErrUnknownChannel, channel)
			}
			return err
		})
	if len(productIDs) > 0 {
		// Earlier offers within the channel's period and declines within its
		// cool-down, read in the same round trip as the policy itself. Each
		// lookup walks a partial index of shown offers or of declines for
		// one client (shown offers of one product per period are bounded
		// by the policy itself); the household's by its members, which
		// keeps the planner off the product's whole history.
		const period = `(SELECT make_interval(hours => 24 * period_days) FROM contact_policies WHERE channel = $3)`
		const cooldown = `(SELECT make_interval(hours => 24 * decline_cooldown_days) FROM contact_policies WHERE channel = $3)`
		history := func(id int64) ProductHistory { return f.History[id] }
		b.Queue(`
SELECT d.product_id, count(*) FROM decision_records d
WHERE d.kind = 'offer_shown' AND d.client_id = $1 AND d.product_id = ANY($2) AND d.channel = $3
  AND d.recorded_at >= $4::timestamptz - `+period+` AND d.recorded_at <= $4
GROUP BY d.product_id`, clientID, productIDs, channel, at).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id int64
				var n int
				if err := rows.Scan(&id, &n); err != nil {
					return err
				}
				ph := history(id)
				ph.ShownInPeriod = n
				f.History[id] = ph
			}
			return rows.Err()
		})
		b.Queue(`
SELECT d.product_id, max(d.recorded_at) FROM decision_records d
WHERE d.kind = 'response' AND d.outcome = 'declined' AND d.client_id = $1 AND d.product_id = ANY($2)
  AND d.recorded_at >= $4::timestamptz - `+cooldown+` AND d.recorded_at <= $4 AND $3 <> ''
GROUP BY d.product_id`, clientID, productIDs, channel, at).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id int64
				var declined time.Time
				if err := rows.Scan(&id, &declined); err != nil {
					return err
				}
				ph := history(id)
				d := declined.UTC()
				ph.DeclinedAt = &d
				f.History[id] = ph
			}
			return rows.Err()
		})
		b.Queue(`
SELECT d.product_id, max(d.recorded_at) FROM decision_records d
WHERE d.kind = 'response' AND d.outcome IN ('interested', 'accepted') AND d.client_id = $1 AND d.product_id = ANY($2)
  AND d.recorded_at >= $4::timestamptz - `+period+` AND d.recorded_at <= $4
GROUP BY d.product_id`, clientID, productIDs, channel, at).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id int64
				var interested time.Time
				if err := rows.Scan(&id, &interested); err != nil {
					return err
				}
				ph := history(id)
				i := interested.UTC()
				ph.InterestedAt = &i
				f.History[id] = ph
			}
			return rows.Err()
		})
		b.Queue(`
SELECT DISTINCT x.product_id FROM clients m, LATERAL (
    SELECT d.product_id FROM decision_records d
    WHERE d.kind = 'offer_shown' AND d.client_id = m.id AND d.product_id = ANY($2)
      AND d.recorded_at >= $4::timestamptz - `+period+` AND d.recorded_at <= $4
    OFFSET 0) x
WHERE m.household_id = (SELECT household_id FROM clients WHERE id = $1) AND m.id <> $1`, clientID, productIDs, channel, at).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var id int64
					if err := rows.Scan(&id); err != nil {
						return err
					}
					ph := history(id)
					ph.HouseholdShown = 1
					f.History[id] = ph
				}
				return rows.Err()
			})
	}
	if rc != nil && len(productIDs) > 0 {
		// The client's decisions on these products since the window
		// opened with the same presentation key, newest first; the index
		// on (client, product, time) bounds the rows to a few.
		b.Queue(`
SELECT d.seq, d.kind = 'offer_shown', d.product_id, d.product_version_id, coalesce(d.body::jsonb #>> '{inputs,presentation,id}', ''),
       EXISTS (SELECT 1 FROM decision_records r WHERE r.refers_to = d.seq AND r.kind = 'response' AND r.outcome = 'declined')
FROM decision_records d
WHERE d.client_id = $1 AND d.product_id = ANY($2) AND d.recorded_at >= $3 AND d.recorded_at <= $4
  AND d.kind IN ('offer_shown', 'offer_blocked') AND d.channel = $5
  AND d.body::jsonb #>> '{inputs,presentation,key}' = $6
ORDER BY d.seq DESC`, clientID, productIDs, rc.since, at, channel, rc.key).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var d recalled
				if err := rows.Scan(&d.seq, &d.shown, &d.productID, &d.productVersionID, &d.presentationID, &d.declined); err != nil {
					return err
				}
				f.recalled = append(f.recalled, d)
			}
			return rows.Err()
		})
	}
	if err := r.pool.SendBatch(ctx, &b).Close(); err != nil {
		return Facts{}, err
	}
	if !found {
		return Facts{}, ecrm.Errorf(ecrm.ENOTFOUND, "client %d not found", clientID)
	}
	if haveAssessment {
		a := assessment
		knowledge := map[string]string{}
		if err := json.Unmarshal(a.knowledge, &knowledge); err != nil {
			return Facts{}, fmt.Errorf("risk assessment knowledge: %w", err)
		}
		f.Assessment = &Assessment{RiskClass: a.riskClass, LossCapacity: ecrm.Money{Amount: a.lossCapacity, Currency: a.currency},
			Knowledge: knowledge, Objective: a.objective, HorizonMonths: a.horizon, QuestionnaireVersion: a.qv,
			AssessedAt: a.assessedAt.UTC()}
	}
	return f, nil
}
