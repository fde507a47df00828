package risk

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// HedgeSummary is what the advisor's 360 shows of hedging: the holdings
// the rules flagged at their last evaluation (the re-evaluation job's
// verdicts in hedge_triggers) and the client's order requests, whose
// deals are the advisor's to confirm and place.
type HedgeSummary struct {
	Flagged []FlaggedHolding
	Orders  []OrderRequest
}

// FlaggedHolding is one verdict of the trigger rules.
type FlaggedHolding struct {
	Symbol, Name     string
	Weight           decimal.Decimal
	Concentrated     bool
	VaRAboveCapacity bool
	Value, VaR10d99  ecrm.Money
	LossCapacity     *ecrm.Money
	PriceDate        time.Time
	EvaluatedAt      time.Time
	RulesVersion     string
}

// Summary reads the client's flagged holdings and order requests. The
// caller has checked that the staff member may see the client.
func (d *HedgeDesk) Summary(ctx context.Context, clientID int64) (*HedgeSummary, error) {
	rows, err := d.pool.Query(ctx, `
SELECT i.symbol, i.name, h.weight, h.concentrated, h.var_above_capacity, h.position_value, h.position_var, h.loss_capacity,
       h.base_currency, h.price_date, h.evaluated_at, h.rules_version
FROM hedge_triggers h JOIN instruments i ON i.id = h.instrument_id
WHERE h.client_id = $1 AND h.triggered
ORDER BY h.weight DESC, i.symbol`, clientID)
	if err != nil {
		return nil, fmt.Errorf("flagged holdings of client %d: %w", clientID, err)
	}
	out := &HedgeSummary{}
	out.Flagged, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (FlaggedHolding, error) {
		var f FlaggedHolding
		var value, vaR decimal.Decimal
		var capacity *decimal.Decimal
		var ccy string
		err := r.Scan(&f.Symbol, &f.Name, &f.Weight, &f.Concentrated, &f.VaRAboveCapacity, &value, &vaR, &capacity, &ccy,
			&f.PriceDate, &f.EvaluatedAt, &f.RulesVersion)
		f.Value, f.VaR10d99 = ecrm.Money{Amount: value, Currency: ccy}, ecrm.Money{Amount: vaR, Currency: ccy}
		if capacity != nil {
			f.LossCapacity = &ecrm.Money{Amount: *capacity, Currency: ccy}
		}
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("flagged holdings of client %d: %w", clientID, err)
	}
	if out.Orders, err = d.Orders(ctx, clientID); err != nil {
		return nil, err
	}
	return out, nil
}
