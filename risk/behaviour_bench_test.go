package risk

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// benchBehaviourInput is a 50-position portfolio in three currencies over
// three years of daily closes, each position bought once and half of them
// partly sold, with a dozen round trips in the last year.
func benchBehaviourInput() BehaviourInput {
	r := rand.New(rand.NewPCG(1, 2))
	asOf := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	var days []time.Time
	for d := asOf.AddDate(-3, 0, 0); !d.After(asOf); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			days = append(days, d)
		}
	}
	in := BehaviourInput{ClientID: 1, AsOf: asOf, Currency: "RON", Instruments: map[int64]BehaviourInstrument{}, Prices: map[int64][]PricePoint{},
		Rate: func(ccy string, _ time.Time) (decimal.Decimal, bool) {
			if ccy == "EUR" {
				return decimal.RequireFromString("4.97"), false
			}
			return decimal.RequireFromString("4.58"), false
		}}
	currencies := []string{"RON", "EUR", "USD"}
	for id := int64(1); id <= 62; id++ {
		kind := []string{"equity", "bond", "fund", "etf", "option"}[id%5]
		in.Instruments[id] = BehaviourInstrument{Symbol: "I" + string(rune('A'+id%26)), Kind: kind, Currency: currencies[id%3],
			RiskClass: 1 + int(id%7), Volatility: decimal.NewFromFloat(0.05 + 0.01*float64(id%40)), Multiplier: map[bool]int64{true: 100, false: 1}[kind == "option"]}
		p := 100.0
		for _, d := range days {
			p *= math.Exp(0.2 / math.Sqrt(252) * r.NormFloat64())
			in.Prices[id] = append(in.Prices[id], PricePoint{On: d, Close: decimal.NewFromFloat(p).Round(4)})
		}
	}
	for id := int64(1); id <= 50; id++ {
		opened := days[r.IntN(len(days)-260)]
		h := Holding{Instrument: id, Changes: []QuantityChange{{On: opened, Delta: decimal.NewFromInt(int64(10 + r.IntN(200)))}}}
		in.Trades = append(in.Trades, BehaviourTrade{Instrument: id, Quantity: h.Changes[0].Delta, Price: decimal.NewFromInt(100), TradedOn: opened})
		if id%2 == 0 {
			sold := days[len(days)-1-r.IntN(200)]
			h.Changes = append(h.Changes, QuantityChange{On: sold, Delta: decimal.NewFromInt(-5)})
			in.Trades = append(in.Trades, BehaviourTrade{Instrument: id, Quantity: decimal.NewFromInt(5), Price: decimal.NewFromInt(100), TradedOn: sold})
		}
		in.Holdings = append(in.Holdings, h)
	}
	for id := int64(51); id <= 62; id++ {
		buy := len(days) - 250 + r.IntN(200)
		q := decimal.NewFromInt(20)
		in.Holdings = append(in.Holdings, Holding{Instrument: id, Changes: []QuantityChange{{On: days[buy], Delta: q}, {On: days[buy+20], Delta: q.Neg()}}})
		in.Trades = append(in.Trades, BehaviourTrade{Instrument: id, Quantity: q, Price: decimal.NewFromInt(100), TradedOn: days[buy]},
			BehaviourTrade{Instrument: id, Quantity: q, Price: decimal.NewFromInt(100), TradedOn: days[buy+20]})
	}
	return in
}

// BenchmarkMeasureBehaviour: a 50-position portfolio over three years of
// daily closes (the risk profile page and the 360 measure it per view).
func BenchmarkMeasureBehaviour(b *testing.B) {
	in := benchBehaviourInput()
	if got := MeasureBehaviour(in); !got.Observed {
		b.Fatal("not observed")
	}
	b.ReportAllocs()
	for b.Loop() {
		MeasureBehaviour(in)
	}
}
