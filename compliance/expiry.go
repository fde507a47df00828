package compliance

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// OfferValidity is how long a shown offer stays open for the client's
// answer; after it, the offer is recorded as expired.
const OfferValidity = 30 * 24 * time.Hour

// ExpireOffers records, as responses with outcome expired, the offers shown
// between now-OfferValidity-lookback and now-OfferValidity that got no
// response. It runs periodically; lookback bounds the scan (an index range
// on recorded_at) and covers the time the service may have been down.
// Candidates are chosen while holding the chain head, so a client's answer
// and the expiry never both land.
func (l *Log) ExpireOffers(ctx context.Context, now time.Time, lookback time.Duration) (int, error) {
	cutoff := now.Add(-OfferValidity)
	total := 0
	for {
		n, err := l.expireBatch(ctx, cutoff.Add(-lookback), cutoff)
		total += n
		if err != nil || n < MaxBatch {
			return total, err
		}
	}
}

func (l *Log) expireBatch(ctx context.Context, from, to time.Time) (int, error) {
	var n int
	err := pgx.BeginTxFunc(ctx, l.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM decision_chain_head FOR UPDATE`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
SELECT o.seq, o.client_id, o.product_id, o.product_version_id, o.engine, o.engine_version, o.rule_version, o.channel
FROM decision_records o
WHERE o.kind = 'offer_shown' AND o.recorded_at >= $1 AND o.recorded_at < $2
  AND NOT EXISTS (SELECT 1 FROM decision_records r WHERE r.refers_to = o.seq AND r.kind = 'response')
ORDER BY o.seq LIMIT $3`, from, to, MaxBatch)
		if err != nil {
			return err
		}
		records, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Record, error) {
			r := Record{Kind: KindResponse, Actor: Actor{Kind: ActorSystem}, Outcome: OutcomeExpired}
			var product, version *int64
			err := row.Scan(&r.RefersTo, &r.ClientID, &product, &version, &r.Engine, &r.EngineVersion, &r.RuleVersion, &r.Channel)
			if product != nil {
				r.ProductID = *product
			}
			if version != nil {
				r.ProductVersionID = *version
			}
			r.Body.Note = fmt.Sprintf("no answer within %d days", int(OfferValidity.Hours()/24))
			return r, err
		})
		if err != nil || len(records) == 0 {
			return err
		}
		if _, err := l.AppendTx(ctx, tx, records...); err != nil {
			return err
		}
		n = len(records)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("expire offers: %w", err)
	}
	return n, nil
}
