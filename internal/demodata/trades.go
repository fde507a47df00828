package demodata

import (
	"math"
	"math/rand/v2"
)

// Trades: the executions behind every seeded position, from which risk
// behaviour is measured (risk.LoadBehaviour). They agree with the
// positions exactly:
//
//   - each position was opened with one buy on its opening day at its
//     average cost; about a third of them were bought larger and partly
//     sold later at that day's close (a sale does not change an average
//     cost), so buys − sells = the position's quantity;
//   - clients with a strong appetite for risk also traded in and out of a
//     few equities and ETFs over the last year (round trips that leave no
//     position), the turnover the behaviour measures.
//
// Fees are 0.2 % of the value traded, at least 5 units of the currency,
// rounded half away from zero to cents. Trades are drawn from a stream of
// their own, so the other tables do not change.

var tradeColumns = []string{"id", "client_id", "account_id", "instrument_id", "side", "quantity", "price", "fees", "currency", "traded_at"}

// trade is one execution being written: quantity in 1e-6 units, price in
// 1e-4 units of the instrument's currency.
type trade struct {
	in       *instrument
	sell     bool
	quantity int64
	price    int64
	on       day
}

func (gen *generator) writeTrades(w *rowWriter) error {
	var trades []trade
	return gen.forEachGroup(w, needAccounts, func(grp *group) {
		for _, c := range grp.members {
			r := gen.rand(streamTrades, uint64(c.index))
			for i := range c.accounts {
				a := &c.accounts[i]
				if a.kind != "brokerage" {
					continue
				}
				gen.holdings = gen.drawHoldings(c, a, gen.holdings)
				trades = gen.drawTrades(r, c, a, gen.holdings, trades[:0])
				for _, t := range trades {
					gen.counters.trades++
					w.row(len(tradeColumns))
					w.int8(gen.counters.trades)
					w.int8(c.id)
					w.int8(a.id)
					w.int8(t.in.id)
					side := "buy"
					if t.sell {
						side = "sell"
					}
					w.text(side)
					w.numeric(t.quantity, 6)
					w.numeric(t.price, 4)
					w.money(tradeFee(t))
					w.text(t.in.currency)
					// Bucharest trades 10:00-17:45 local time: 07:00-14:45 UTC.
					w.timestamptz(t.on.at(7+r.IntN(7), r.IntN(60), r.IntN(60)))
				}
			}
		}
	})
}

// unitScale is the smallest quantity of an instrument in 1e-6 units: fund
// units to three decimals, everything else whole.
func unitScale(in *instrument) int64 {
	if in.kind == "fund" {
		return 1_000
	}
	return 1_000_000
}

// tradeFee is 0.2 % of the value, at least 5.00, in cents.
func tradeFee(t trade) int64 {
	mult := 1.0
	if t.in.kind == "option" {
		mult = 100
	}
	value := float64(t.quantity) / 1e6 * float64(t.price) / 1e4 * mult
	return max(500, int64(math.Round(value*0.002*100)))
}

// drawTrades returns the trades of one brokerage account: the buys (and
// partial sales) behind its holdings, then a trader's round trips.
func (gen *generator) drawTrades(r *rand.Rand, c *client, a *account, holdings []holding, out []trade) []trade {
	last := gen.market.days[len(gen.market.days)-1]
	yearAgo := gen.asOf.addMonths(-12)
	for _, h := range holdings {
		scale := unitScale(h.in)
		units := h.quantity / scale
		// A partial sale needs a later business day and something to
		// keep; options are not sold here (they are the hedges).
		if h.in.kind != "option" && units >= 2 && h.opened+3 < last && chance(r, 0.35) {
			sold := max(1, int64(float64(units)*(0.15+0.45*r.Float64()))) * scale
			from := max(h.opened+1, yearAgo)
			if from >= last {
				from = h.opened + 1
			}
			on := (from + day(r.IntN(max(1, int(last-from))))).businessDay()
			if on > last {
				on = last
			}
			out = append(out, trade{in: h.in, quantity: h.quantity + sold, price: h.cost, on: h.opened},
				trade{in: h.in, sell: true, quantity: sold, price: gen.market.closeOn(h.in, on), on: on})
			continue
		}
		out = append(out, trade{in: h.in, quantity: h.quantity, price: h.cost, on: h.opened})
	}
	if c.riskAppetite < 0.6 {
		return out
	}
	// Round trips in equities and ETFs over the last year, each a tenth of
	// the portfolio or so.
	portfolioRON := float64(a.portfolio) * ronPer(a.currency) / 100
	for n := r.IntN(5); n > 0; n-- {
		in := gen.market.instruments[r.IntN(len(gen.market.instruments))]
		if in.kind != "equity" && in.kind != "etf" {
			continue
		}
		from := max(yearAgo, a.opened, gen.market.days[in.listed])
		if from+5 >= last {
			continue
		}
		buy := (from + day(r.IntN(int(last-from)-3))).businessDay()
		sell := (buy + 1 + day(r.IntN(max(1, int(last-buy)-1)))).businessDay()
		if sell > last || sell <= buy {
			continue
		}
		price := gen.market.closeOn(in, buy)
		units := math.Floor(portfolioRON * (0.05 + 0.15*r.Float64()) / ronPer(in.currency) / (float64(price) / 1e4))
		if units < 1 {
			continue
		}
		q := int64(units) * 1_000_000
		out = append(out, trade{in: in, quantity: q, price: price, on: buy},
			trade{in: in, sell: true, quantity: q, price: gen.market.closeOn(in, sell), on: sell})
	}
	return out
}
