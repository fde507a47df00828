package demodata

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// The market's reference data beyond prices (issue 15, item 4): benchmark
// indices, daily FX rates, dividend yields, realised and implied
// volatilities, news and analysts' reviews, and the demo client's watch
// list. They are a few thousand rows whatever the number of clients, drawn
// once per data set from the market stream, every row recorded at a time
// taken from the data set's own dates.

// indexSpecs are the benchmark indices, one per currency: each follows the
// catalogue's equities of its currency (its segment), so that a portfolio's
// beta to the index of its base currency means something.
var indexSpecs = []struct {
	symbol, name, currency, segment string
	level                           float64 // three years before AsOf
}{
	{"ROX", "Romania Blue Chip Index", "RON", "Bucharest equities", 15_000},
	{"EUX", "Euro Large Cap Index", "EUR", "European equities", 4_800},
	{"USX", "US Large Cap Index", "USD", "US equities", 5_200},
}

// indexResidualVol is the annualised volatility of an index's members
// outside the demo catalogue, added to the average of its constituents.
const indexResidualVol = 0.03

// priceIndices builds each index's daily level: its daily log return is
// the weighted average of its constituents' daily log returns plus
// residual noise. The weights are inverse to each member's volatility (a
// risk-weighted index: every member brings the same risk), so a member's
// beta to the index is about its own volatility over the index's, around
// one on average, higher for the volatile technology shares.
func (m *market) priceIndices(seed int64, src *randSource) {
	dt := 1.0 / tradingDaysPerYear
	for k, spec := range indexSpecs {
		r := src.at(seed, streamMarketData, uint64(k))
		var members []*instrument
		var weights []float64
		total := 0.0
		for _, in := range m.instruments {
			if in.kind == "equity" && in.currency == spec.currency {
				members, weights = append(members, in), append(weights, 1/in.vol)
				total += 1 / in.vol
			}
		}
		in := &instrument{id: int64(len(m.instruments) + len(m.indices) + 1), symbol: spec.symbol, name: spec.name, kind: "index",
			currency: spec.currency, segment: spec.segment, risk: 5}
		in.closes = make([]int64, len(m.days))
		level := spec.level
		var sum, sumSq float64
		for i := range m.days {
			if i > 0 {
				ret := indexResidualVol * math.Sqrt(dt) * r.NormFloat64()
				for j, c := range members {
					ret += weights[j] / total * math.Log(float64(c.closes[i])/float64(c.closes[i-1]))
				}
				level *= math.Exp(ret)
				sum, sumSq = sum+ret, sumSq+ret*ret
			}
			in.closes[i] = toTicks(level)
		}
		n := float64(len(m.days) - 1)
		in.vol = math.Sqrt((sumSq-sum*sum/n)/(n-1)) * math.Sqrt(tradingDaysPerYear)
		m.indices = append(m.indices, in)
		m.bySymbol[in.symbol] = in
		m.priceRows += len(in.closes)
	}
}

// listed is every instrument with prices: the catalogue, then the indices.
func (m *market) listed() []*instrument {
	return append(m.instruments[:len(m.instruments):len(m.instruments)], m.indices...)
}

// indexOn is the index in m.days of the last business day at or before d.
func (m *market) indexOn(d day) int {
	lo, hi := 0, len(m.days)
	for lo < hi {
		mid := (lo + hi) / 2
		if m.days[mid] <= d {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return max(lo-1, 0)
}

// FX rates -------------------------------------------------------------------

// fxSeries is one currency pair's daily rate, in 1e-4 units of the quote
// currency per unit of the base (the four decimals the National Bank of
// Romania publishes).
type fxSeries struct {
	base, quote string
	rates       []int64 // one per market day
}

// priceFX draws EUR/RON (tightly managed, 2.5 % a year) and USD/RON (8 % a
// year) as log rates pulled back towards the levels the population was
// sized at, and derives EUR/USD from the two so that the three agree to
// the rounding of the fourth decimal.
func (m *market) priceFX(seed int64, src *randSource) {
	dt := 1.0 / tradingDaysPerYear
	walk := func(k int, centre, vol, reversion float64) []int64 {
		r := src.at(seed, streamMarketData, uint64(100+k))
		x := 0.0
		out := make([]int64, len(m.days))
		for i := range m.days {
			if i > 0 {
				x += -reversion*x*dt + vol*math.Sqrt(dt)*r.NormFloat64()
			}
			out[i] = toTicks(centre * math.Exp(x))
		}
		return out
	}
	eurRON := walk(0, ronPerEUR, 0.025, 1.5)
	usdRON := walk(1, ronPerUSD, 0.08, 0.5)
	eurUSD := make([]int64, len(m.days))
	for i := range m.days {
		eurUSD[i] = int64(math.Round(float64(eurRON[i]) / float64(usdRON[i]) * 1e4))
	}
	m.fx = []fxSeries{{"EUR", "RON", eurRON}, {"USD", "RON", usdRON}, {"EUR", "USD", eurUSD}}
}

// Dividend yields and volatilities -------------------------------------------

// sectorYields are typical dividend yields by sector; funds and ETFs
// distribute less than their holdings yield.
var sectorYields = map[string]float64{
	"Financials": 0.055, "Energy": 0.06, "Utilities": 0.065, "Industrials": 0.025, "Telecommunications": 0.045,
	"Healthcare": 0.015, "Consumer": 0.02, "Technology": 0.004, "Diversified": 0.018,
}

// yieldDates are the quarter ends of the last year (the last market day
// and three, six and nine months before), as indices into m.days.
func (m *market) yieldDates() []int {
	last := m.days[len(m.days)-1]
	var out []int
	for k := 9; k >= 0; k -= 3 {
		out = append(out, m.indexOn(last.addMonths(-k)))
	}
	return out
}

// volatilityDates are the month ends of the last year: the last market day
// and the same day of each of the eleven months before, as indices.
func (m *market) volatilityDates() []int {
	last := m.days[len(m.days)-1]
	var out []int
	for k := 11; k >= 0; k-- {
		out = append(out, m.indexOn(last.addMonths(-k)))
	}
	return out
}

// pays says whether the instrument has a dividend yield: equities, funds
// and ETFs, apart from money-market funds and gold.
func pays(in *instrument) bool {
	switch in.kind {
	case "equity", "fund", "etf":
		return in.vol > 0.02 && in.symbol != "GOLD"
	}
	return false
}

// realisedVol is the annualised standard deviation of the instrument's
// daily log returns over the year (252 market days) ending at market day
// i, or over what history it has.
func realisedVol(in *instrument, i int) float64 {
	from := max(in.listed+1, i-tradingDaysPerYear+1)
	var sum, sumSq float64
	n := 0
	for j := from; j <= i; j++ {
		x := math.Log(float64(in.closes[j-in.listed]) / float64(in.closes[j-1-in.listed]))
		sum, sumSq, n = sum+x, sumSq+x*x, n+1
	}
	if n < 2 {
		return in.vol
	}
	return math.Sqrt((sumSq-sum*sum/float64(n))/float64(n-1)) * math.Sqrt(tradingDaysPerYear)
}

// underlyings are the instruments the demo options are written on.
func (m *market) underlyings() []*instrument {
	var out []*instrument
	for _, in := range m.instruments {
		if in.kind == "option" && !containsInstrument(out, in.under) {
			out = append(out, in.under)
		}
	}
	return out
}

func containsInstrument(list []*instrument, in *instrument) bool {
	for _, x := range list {
		if x == in {
			return true
		}
	}
	return false
}

var yieldColumns = []string{"instrument_id", "as_of", "dividend_yield", "source", "recorded_at"}

// writeDividendYields: each paying instrument's yield at the last four
// quarter ends, its sector's typical yield moved by ±15 % a quarter.
func (gen *generator) writeDividendYields(w *rowWriter) error {
	m := gen.market
	for _, in := range m.instruments {
		if !pays(in) {
			continue
		}
		r := gen.rand(streamMarketData, 200+uint64(in.id))
		base := sectorYields[in.sector]
		if in.kind != "equity" {
			base = sectorYields["Diversified"]
		}
		for _, i := range m.yieldDates() {
			w.row(len(yieldColumns))
			w.int8(in.id)
			w.date(m.days[i])
			w.numeric(micro(math.Round(base*(1+0.15*r.NormFloat64())*1e4)/1e4), 6)
			w.text("seed")
			w.timestamptz(m.days[i].at(18, 30, 0))
		}
	}
	return w.err
}

var volatilityColumns = []string{"instrument_id", "as_of", "kind", "volatility", "source", "recorded_at"}

// writeVolatilities: the realised volatility of every equity, fund, ETF
// and index at the last twelve month ends, and for the options'
// underlyings the implied volatility too: at the last market day the
// volatility the demo options are priced with at the money, before that
// that level moved by the month's market mood.
func (gen *generator) writeVolatilities(w *rowWriter) error {
	m := gen.market
	dates := m.volatilityDates()
	for _, in := range m.listed() {
		if in.kind == "bond" || in.kind == "option" {
			continue
		}
		for _, i := range dates {
			w.row(len(volatilityColumns))
			w.int8(in.id)
			w.date(m.days[i])
			w.text("realised")
			w.numeric(micro(math.Round(realisedVol(in, i)*1e4)/1e4), 6)
			w.text("seed")
			w.timestamptz(m.days[i].at(18, 30, 0))
		}
	}
	for _, in := range m.underlyings() {
		r := gen.rand(streamMarketData, 300+uint64(in.id))
		for k, i := range dates {
			vol := in.vol
			if k < len(dates)-1 {
				vol *= math.Exp(0.12 * r.NormFloat64())
			}
			w.row(len(volatilityColumns))
			w.int8(in.id)
			w.date(m.days[i])
			w.text("implied")
			w.numeric(micro(math.Round(vol*1e4)/1e4), 6)
			w.text("seed")
			w.timestamptz(m.days[i].at(18, 30, 0))
		}
	}
	return w.err
}

var fxColumns = []string{"base_currency", "quote_currency", "rate_date", "rate", "source", "recorded_at"}

func (gen *generator) writeFXRates(w *rowWriter) error {
	m := gen.market
	for _, s := range m.fx {
		for i, rate := range s.rates {
			w.row(len(fxColumns))
			w.text(s.base)
			w.text(s.quote)
			w.date(m.days[i])
			w.numeric(rate, 4)
			w.text("seed")
			// The reference rates are fixed at 13:00 in Bucharest.
			w.timestamptz(m.days[i].at(11, 0, 0))
		}
	}
	return w.err
}

var benchmarkColumns = []string{"currency", "instrument_id"}

func (gen *generator) writeBenchmarks(w *rowWriter) error {
	for _, in := range gen.market.indices {
		w.row(len(benchmarkColumns))
		w.text(in.currency)
		w.int8(in.id)
	}
	return w.err
}

// Watch list ------------------------------------------------------------------

// demoWatchlist is what Ana Popescu follows without holding it: a second
// US chip maker, a German utility, the euro large-cap ETF, the US index
// and a Bucharest utility.
var demoWatchlist = []string{"BRTX", "ALPV", "EU50", "USX", "HDR"}

var watchlistColumns = []string{"client_id", "instrument_id", "added_at"}

func (gen *generator) writeWatchlist(w *rowWriter) error {
	for i, symbol := range demoWatchlist {
		w.row(len(watchlistColumns))
		w.int8(DemoClientID)
		w.int8(gen.market.bySymbol[symbol].id)
		w.timestamptz((gen.asOf - day(40-5*i)).at(9, 30, 0))
	}
	return w.err
}

// News and reviews -------------------------------------------------------------

// marketItem is one news item or analyst's review, in one language.
type marketItem struct {
	id                                     int64
	kind, source, externalID, language     string
	headline, summary, analyst, recommends string
	published                              instant
	segments                               []string
	instruments                            []int64
	target                                 int64 // 1e-4 units; 0 for none
}

// story is a text in English and Romanian; {name} stands for the
// instrument's name (or the segment), {pct} for a whole number.
type story struct {
	kinds                        string // the instrument kinds it fits; "" for a segment story
	headEN, sumEN, headRO, sumRO string
}

var instrumentStories = []story{
	{"equity", "{name} reports quarterly profit up {pct}%", "Revenue and margins improved on the same quarter last year; the board keeps its dividend policy.",
		"{name} raportează un profit trimestrial în creștere cu {pct}%", "Veniturile și marjele s-au îmbunătățit față de același trimestru al anului trecut; consiliul își menține politica de dividende."},
	{"equity", "{name} shares fall {pct}% after a guidance cut", "The company expects weaker demand in the second half and lowered its revenue forecast.",
		"Acțiunile {name} scad cu {pct}% după reducerea prognozei", "Compania se așteaptă la o cerere mai slabă în a doua jumătate a anului și și-a redus prognoza de venituri."},
	{"equity", "{name} announces a share buyback", "The programme covers up to {pct}% of the shares over twelve months.",
		"{name} anunță o răscumpărare de acțiuni", "Programul acoperă până la {pct}% din acțiuni în următoarele douăsprezece luni."},
	{"equity", "{name} signs a major supply contract", "The contract runs for five years and adds about {pct}% to annual revenue.",
		"{name} semnează un contract important de furnizare", "Contractul se întinde pe cinci ani și adaugă aproximativ {pct}% la veniturile anuale."},
	{"equity", "Regulator opens a review of {name}", "The review concerns pricing practices; the company says it is cooperating fully.",
		"Autoritatea de reglementare deschide o analiză privind {name}", "Analiza privește practicile de preț; compania spune că cooperează pe deplin."},
	{"bond", "{name}: demand at the latest auction lifts prices", "Bids covered the offer {pct} times over; yields fell on the secondary market.",
		"{name}: cererea de la ultima licitație ridică prețurile", "Ofertele au depășit de {pct} ori suma oferită; randamentele au scăzut pe piața secundară."},
	{"fund etf", "{name} sees record inflows", "Net subscriptions rose {pct}% in the month as investors added to diversified holdings.",
		"{name} atrage intrări record de capital", "Subscrierile nete au crescut cu {pct}% în cursul lunii, investitorii mărindu-și deținerile diversificate."},
}

// segmentStories are per segment: what moved that part of the market.
var segmentStories = map[string]story{
	"Bucharest equities": {"", "Bucharest Stock Exchange turnover hits a yearly high", "Trading rose {pct}% on the month, led by banks and energy companies.",
		"Rulajul Bursei de Valori București atinge un maxim anual", "Tranzacțiile au crescut cu {pct}% față de luna trecută, conduse de bănci și companii energetice."},
	"European equities": {"", "European shares edge higher as inflation cools", "The broad index gained {pct}% over the week; utilities and banks led.",
		"Acțiunile europene urcă ușor pe fondul încetinirii inflației", "Indicele general a câștigat {pct}% într-o săptămână; au condus utilitățile și băncile."},
	"US equities": {"", "US technology stocks lead the market higher", "Chip makers and software companies rose {pct}% on strong earnings.",
		"Acțiunile tehnologice americane conduc creșterea pieței", "Producătorii de cipuri și companiile de software au crescut cu {pct}% după rezultate solide."},
	"Government bonds": {"", "Central bank holds its policy rate", "Markets price a first cut within {pct} months; government bond yields eased.",
		"Banca centrală menține dobânda de politică monetară", "Piețele anticipează o primă reducere în {pct} luni; randamentele titlurilor de stat au scăzut."},
	"Corporate bonds": {"", "Corporate bond issuance picks up", "New issues rose {pct}% on the quarter as companies refinance ahead of maturities.",
		"Emisiunile de obligațiuni corporative se înmulțesc", "Emisiunile noi au crescut cu {pct}% față de trimestrul trecut, companiile refinanțându-se înaintea scadențelor."},
	"High-yield bonds": {"", "High-yield spreads tighten to a two-year low", "Default rates stay near {pct}%; investors accept less extra yield for credit risk.",
		"Marjele obligațiunilor cu randament ridicat scad la minimul ultimilor doi ani", "Ratele de neplată rămân în jur de {pct}%; investitorii acceptă un randament suplimentar mai mic pentru riscul de credit."},
	"Funds": {"", "Fund inflows rise for a third month", "Balanced and bond funds took {pct}% more money than a year ago.",
		"Intrările în fonduri cresc pentru a treia lună", "Fondurile echilibrate și de obligațiuni au atras cu {pct}% mai mulți bani decât acum un an."},
	"ETFs": {"", "ETF assets reach a record", "Assets in listed index funds grew {pct}% this year, mostly in broad equity funds.",
		"Activele ETF ating un nivel record", "Activele fondurilor cotate au crescut cu {pct}% anul acesta, mai ales în fondurile largi de acțiuni."},
	"Options": {"", "Option volumes jump as volatility rises", "Put volumes rose {pct}% as investors protected their gains.",
		"Volumele de opțiuni cresc odată cu volatilitatea", "Volumele de opțiuni put au crescut cu {pct}%, investitorii protejându-și câștigurile."},
}

var segmentOrder = []string{"Bucharest equities", "European equities", "US equities", "Government bonds", "Corporate bonds",
	"High-yield bonds", "Funds", "ETFs", "Options"}

var analysts = []string{"Ioana Matei", "Radu Ilie", "Claire Dubois", "Mark Benson", "Elena Vasile"}

// reviewTexts are what a review says, by recommendation.
var reviewTexts = map[string][2]string{
	"buy": {"We see earnings growth ahead of peers and a valuation that does not yet reflect it.",
		"Vedem o creștere a profitului peste cea a companiilor comparabile și o evaluare care nu o reflectă încă."},
	"hold": {"Results are in line; the shares are fairly valued after the recent move.",
		"Rezultatele sunt în linie cu așteptările; acțiunile sunt evaluate corect după mișcarea recentă."},
	"sell": {"Margins are under pressure and the balance sheet leaves little room for error.",
		"Marjele sunt sub presiune, iar bilanțul lasă puțin loc pentru greșeli."},
}

var recommendationRO = map[string]string{"buy": "Cumpărare", "hold": "Păstrare", "sell": "Vânzare"}

// The demo's first stories and reviews are about what Ana Popescu holds
// and watches, so her brokerage page has news from the first login.
var (
	demoStorySubjects  = []string{"QNTM", "DNB", "WRLD", "ROGB31", "BRTX", "CRPBAL", "US equities", "Bucharest equities"}
	demoReviewSubjects = []string{"QNTM", "DNB", "BRTX", "ALPV"}
)

const (
	newsStories   = 30 // each in English and Romanian: 60 news items
	reviewStories = 10 // 20 reviews
	newsWindow    = 28 // days before AsOf over which items are spread
)

// buildItems writes the news and reviews once per data set.
func (m *market) buildItems(seed int64, src *randSource, asOf day) {
	var subjects []*instrument
	for _, in := range m.instruments {
		if in.kind != "option" {
			subjects = append(subjects, in)
		}
	}
	var equities []*instrument
	for _, in := range subjects {
		if in.kind == "equity" {
			equities = append(equities, in)
		}
	}
	when := func(r *rand.Rand) instant {
		d := asOf - day(1+r.IntN(newsWindow))
		return d.at(6+r.IntN(12), r.IntN(60), 0)
	}
	add := func(it marketItem) {
		it.id = int64(len(m.items) + 1)
		m.items = append(m.items, it)
	}
	for k := range newsStories {
		r := src.at(seed, streamMarketData, 1000+uint64(k))
		subject := ""
		if k < len(demoStorySubjects) {
			subject = demoStorySubjects[k]
		} else if chance(r, 0.35) {
			subject = segmentOrder[r.IntN(len(segmentOrder))]
		} else {
			subject = subjects[r.IntN(len(subjects))].symbol
		}
		pct := between(r, 2, 18)
		at := when(r)
		var st story
		var name string
		var segments []string
		var ids []int64
		if in, ok := m.bySymbol[subject]; ok {
			var fits []story
			for _, s := range instrumentStories {
				if strings.Contains(s.kinds, in.kind) {
					fits = append(fits, s)
				}
			}
			st, name, segments, ids = fits[r.IntN(len(fits))], in.name, []string{in.segment}, []int64{in.id}
		} else {
			st, name, segments = segmentStories[subject], subject, []string{subject}
		}
		fill := strings.NewReplacer("{name}", name, "{pct}", strconv.Itoa(pct)).Replace
		for _, lang := range []string{"en", "ro"} {
			head, sum := st.headEN, st.sumEN
			if lang == "ro" {
				head, sum = st.headRO, st.sumRO
			}
			add(marketItem{kind: "news", source: "Demo Newswire", externalID: fmt.Sprintf("seed-news-%d-%s", k+1, lang), language: lang,
				headline: fill(head), summary: fill(sum), published: at,
				segments: segments, instruments: ids})
		}
	}
	for k := range reviewStories {
		r := src.at(seed, streamMarketData, 2000+uint64(k))
		in := equities[r.IntN(len(equities))]
		if k < len(demoReviewSubjects) {
			in = m.bySymbol[demoReviewSubjects[k]]
		}
		rec := [...]string{"buy", "buy", "hold", "hold", "sell"}[r.IntN(5)]
		var upside float64
		switch rec {
		case "buy":
			upside = 0.10 + 0.15*r.Float64()
		case "hold":
			upside = -0.05 + 0.13*r.Float64()
		default:
			upside = -0.10 - 0.10*r.Float64()
		}
		target := int64(math.Round(float64(m.lastClose(in))*(1+upside)/100)) * 100 // to the cent
		analyst := analysts[r.IntN(len(analysts))]
		at := when(r)
		price := strconv.FormatFloat(float64(target)/1e4, 'f', 2, 64)
		for _, lang := range []string{"en", "ro"} {
			head := fmt.Sprintf("%s: %s, target price %s %s", in.symbol, strings.ToUpper(rec[:1])+rec[1:], price, in.currency)
			sum := reviewTexts[rec][0]
			if lang == "ro" {
				head = fmt.Sprintf("%s: %s, preț țintă %s %s", in.symbol, recommendationRO[rec], strings.Replace(price, ".", ",", 1), in.currency)
				sum = reviewTexts[rec][1]
			}
			add(marketItem{kind: "review", source: "Demo Research", externalID: fmt.Sprintf("seed-review-%d-%s", k+1, lang), language: lang,
				headline: head, summary: sum, published: at, segments: []string{in.segment}, instruments: []int64{in.id},
				analyst: analyst, recommends: rec, target: target})
		}
	}
}

var itemColumns = []string{"id", "kind", "source", "external_id", "published_at", "language", "headline", "summary", "segments",
	"analyst", "recommendation", "target_price", "recorded_at"}

func (gen *generator) writeMarketItems(w *rowWriter) error {
	for _, it := range gen.market.items {
		w.row(len(itemColumns))
		w.int8(it.id)
		w.text(it.kind)
		w.text(it.source)
		w.text(it.externalID)
		w.timestamptz(it.published)
		w.text(it.language)
		w.text(it.headline)
		w.text(it.summary)
		w.textArray(it.segments)
		w.textOrNull(it.analyst)
		w.textOrNull(it.recommends)
		w.numericOrNull(it.target, 4, it.target > 0)
		// Received from the wire a few minutes after publication.
		w.timestamptz(it.published + instant(3*60*microsPerSecond))
	}
	return w.err
}

var itemInstrumentColumns = []string{"item_id", "instrument_id"}

func (gen *generator) writeItemInstruments(w *rowWriter) error {
	for _, it := range gen.market.items {
		for _, id := range it.instruments {
			w.row(len(itemInstrumentColumns))
			w.int8(it.id)
			w.int8(id)
		}
	}
	return w.err
}

var riskFreeColumns = []string{"currency", "as_of", "rate", "source", "recorded_at"}

// riskFreeRates are the demo market's continuously compounded risk-free
// rates, near the one-year government yields of late 2026 (Romania about
// 6 %, the euro area about 2.3 %, the United States about 4 %): the
// discount rate of the hedging engine's option prices.
var riskFreeRates = []struct {
	currency string
	rate     float64
}{{"EUR", 0.023}, {"RON", 0.060}, {"USD", 0.040}}

// writeRiskFreeRates: each currency's rate at the month ends of the last
// year, drifting by a few basis points a month.
func (gen *generator) writeRiskFreeRates(w *rowWriter) error {
	m := gen.market
	for k, c := range riskFreeRates {
		r := gen.rand(streamMarketData, 400+uint64(k))
		for _, i := range m.volatilityDates() {
			w.row(len(riskFreeColumns))
			w.text(c.currency)
			w.date(m.days[i])
			w.numeric(micro(math.Round((c.rate+0.0005*r.NormFloat64())*1e4)/1e4), 6)
			w.text("seed")
			w.timestamptz(m.days[i].at(18, 30, 0))
		}
	}
	return w.err
}
