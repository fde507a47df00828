package risk

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// Re-evaluating the trigger rules when prices move (issue 15, item 7): a
// job on the queue, enqueued by whatever writes prices or positions, that
// touches only the holders of the instruments that moved. Every holding
// of those holders is re-evaluated (a move of one price changes the
// weight of all of a holder's holdings) and the verdicts are written to
// hedge_triggers, which the advisor's pages and the portal read.

// HedgeTriggersArgs asks for the re-evaluation of the holders of
// InstrumentIDs (of ClientID's holdings only, when ClientID is set: a
// position of theirs changed).
type HedgeTriggersArgs struct {
	InstrumentIDs []int64 `json:"instrument_ids"`
	ClientID      int64   `json:"client_id,omitempty"`
}

func (HedgeTriggersArgs) Kind() string { return "risk.hedge_triggers" }

// TriggerReport is what one re-evaluation did.
type TriggerReport struct {
	Holders   int
	Holdings  int
	Triggered int
	Elapsed   time.Duration
}

// holderChunk is how many holders are valued and written at a time.
const holderChunk = 10000

// ReevaluateTriggers applies the rules, as of the day of asOf, to every
// holding of every client holding any of instrumentIDs (of every client
// holding anything when instrumentIDs is nil, as after a seed; of clientID
// alone when clientID is not zero), and writes the verdicts.
func (d *HedgeDesk) ReevaluateTriggers(ctx context.Context, instrumentIDs []int64, clientID int64, asOf time.Time) (TriggerReport, error) {
	start := time.Now()
	day := asOf.UTC().Truncate(24 * time.Hour)
	now := d.Now()
	var rep TriggerReport
	err := pgdb.Transact(ctx, d.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		rep = TriggerReport{}
		fx, err := loadFX(ctx, tx, day)
		if err != nil {
			return err
		}
		risks, err := refreshInstrumentRisk(ctx, tx, nil, day, now)
		if err != nil {
			return err
		}
		holders := []int64{clientID}
		if clientID == 0 {
			rows, err := tx.Query(ctx, `SELECT DISTINCT client_id FROM positions
				WHERE quantity > 0 AND ($1::bigint[] IS NULL OR instrument_id = ANY ($1)) ORDER BY 1`, instrumentIDs)
			if err != nil {
				return fmt.Errorf("holders: %w", err)
			}
			if holders, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
				return fmt.Errorf("holders: %w", err)
			}
		}
		w := triggerWriter{rules: d.Rules, now: now}
		// Holders in chunks: the memory of one chunk's holdings, however
		// many hold the instrument (every client after a seed).
		for chunk := range slices.Chunk(holders, holderChunk) {
			held, err := valueHoldings(ctx, tx, fx, chunk, day, d.BaseCurrency)
			if err != nil {
				return err
			}
			for id, c := range held {
				for _, v := range c.values {
					if !slices.Contains(hedgeableKinds, v.kind) {
						continue
					}
					r, ok := risks[v.instrumentID]
					if !ok {
						continue // too short a history to say anything
					}
					vaR := v.value.Mul(r.VaR10d99).Round(2)
					t := EvaluateTrigger(d.Rules, v.value, c.total, vaR, c.capacity)
					w.add(id, v, t, vaR, c)
					rep.Holdings++
					if t.Triggered() {
						rep.Triggered++
					}
				}
			}
			if err := w.flush(ctx, tx); err != nil {
				return err
			}
		}
		rep.Holders = len(holders)
		// Holdings sold since the last look have no verdict any more.
		_, err = tx.Exec(ctx, `DELETE FROM hedge_triggers WHERE client_id = ANY ($1) AND evaluated_at <> $2`, holders, now)
		return err
	})
	rep.Elapsed = time.Since(start)
	return rep, err
}

// triggerWriter collects verdicts as columns for one unnest statement.
type triggerWriter struct {
	rules                             HedgeRules
	now                               time.Time
	clients, instruments              []int64
	triggered, concentrated, aboveCap []bool
	weights, values, vars             []decimal.Decimal
	capacities                        []*decimal.Decimal
	bases                             []string
	priceDates                        []time.Time
}

func (w *triggerWriter) add(clientID int64, v heldValue, t HedgeTrigger, vaR decimal.Decimal, c *clientHoldings) {
	w.clients, w.instruments = append(w.clients, clientID), append(w.instruments, v.instrumentID)
	w.triggered, w.concentrated, w.aboveCap = append(w.triggered, t.Triggered()), append(w.concentrated, t.Concentrated),
		append(w.aboveCap, t.VaRAboveCapacity)
	w.weights, w.values, w.vars = append(w.weights, t.Weight), append(w.values, v.value.Round(2)), append(w.vars, decimal.Max(vaR, decimal.Zero))
	w.capacities, w.bases, w.priceDates = append(w.capacities, c.capacity), append(w.bases, c.base), append(w.priceDates, v.priceDate)
}

func (w *triggerWriter) flush(ctx context.Context, tx pgx.Tx) error {
	if len(w.clients) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
INSERT INTO hedge_triggers (client_id, instrument_id, triggered, concentrated, var_above_capacity, weight, position_value,
    position_var, loss_capacity, base_currency, price_date, rules_version, evaluated_at)
SELECT *, $12::text, $13::timestamptz
FROM unnest($1::bigint[], $2::bigint[], $3::bool[], $4::bool[], $5::bool[], $6::numeric[], $7::numeric[], $8::numeric[],
            $9::numeric[], $10::text[], $11::date[])
ON CONFLICT (client_id, instrument_id) DO UPDATE SET triggered = EXCLUDED.triggered, concentrated = EXCLUDED.concentrated,
    var_above_capacity = EXCLUDED.var_above_capacity, weight = EXCLUDED.weight, position_value = EXCLUDED.position_value,
    position_var = EXCLUDED.position_var, loss_capacity = EXCLUDED.loss_capacity, base_currency = EXCLUDED.base_currency,
    price_date = EXCLUDED.price_date, rules_version = EXCLUDED.rules_version, evaluated_at = EXCLUDED.evaluated_at`,
		w.clients, w.instruments, w.triggered, w.concentrated, w.aboveCap, w.weights, w.values, w.vars, w.capacities, w.bases,
		w.priceDates, w.rules.RulesVersion, w.now)
	if err != nil {
		return fmt.Errorf("write hedge triggers: %w", err)
	}
	*w = triggerWriter{rules: w.rules, now: w.now}
	return nil
}

// RegisterHedgeJobs lets the queue run the re-evaluations.
func (d *HedgeDesk) RegisterHedgeJobs(reg *jobs.Registry, log *slog.Logger) {
	jobs.Handle(reg, func(ctx context.Context, job *jobs.Job[HedgeTriggersArgs]) error {
		rep, err := d.ReevaluateTriggers(ctx, job.Args.InstrumentIDs, job.Args.ClientID, d.Now())
		if err != nil {
			return fmt.Errorf("hedge triggers: %w", err)
		}
		log.Info("hedge triggers re-evaluated", "instruments", len(job.Args.InstrumentIDs), "holders", rep.Holders,
			"holdings", rep.Holdings, "triggered", rep.Triggered, "elapsed", rep.Elapsed.Round(time.Millisecond))
		return nil
	})
}
