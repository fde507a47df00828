package demodata

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
)

// instrument is one tradable security of the demo market. Prices are per
// unit in the instrument's currency: one share, one fund unit, one bond of
// face_value (a bond quoted at 98.5 % of a 1,000 EUR face closes at 985.00),
// and for options one underlying share (a contract is contract_multiplier
// shares), so a position is always worth quantity × close (× multiplier).
type instrument struct {
	id       int64
	symbol   string
	name     string
	kind     string
	country  string // of the ISIN
	currency string
	segment  string
	sector   string
	risk     int     // PRIIPs summary risk indicator, 1-7
	vol      float64 // annualised volatility of the price model
	drift    float64 // annualised drift of the price model
	start    float64 // price three years before AsOf (bonds: % of face)

	issuer   string // bonds
	coupon   float64
	rating   string
	maturity int   // months after AsOf
	face     int64 // minor units
	ter      float64

	underlying string // options: symbol of the underlying
	optionType string
	moneyness  float64 // strike / underlying price at AsOf
	expiry     int     // months after AsOf

	// Filled by newMarket.
	isin       string
	under      *instrument
	strike     int64 // 1e-4 units
	expires    day
	maturityOn day
	listed     int     // index into market.days of the first close
	closes     []int64 // 1e-4 units, one per business day from listed
}

func equity(symbol, name, country, currency, sector, segment string, start, drift, vol float64, risk int) *instrument {
	return &instrument{symbol: symbol, name: name, kind: "equity", country: country, currency: currency,
		sector: sector, segment: segment, start: start, drift: drift, vol: vol, risk: risk}
}

func bond(symbol, name, issuer, country, currency string, coupon float64, rating string, maturity int, face int64, start, vol float64, risk int, segment string) *instrument {
	return &instrument{symbol: symbol, name: name, kind: "bond", issuer: issuer, country: country, currency: currency,
		coupon: coupon, rating: rating, maturity: maturity, face: face * 100, start: start, vol: vol, risk: risk,
		segment: segment, sector: "Fixed income"}
}

func fund(kind, symbol, name, country, currency string, ter, start, drift, vol float64, risk int, segment string) *instrument {
	return &instrument{symbol: symbol, name: name, kind: kind, country: country, currency: currency, ter: ter,
		start: start, drift: drift, vol: vol, risk: risk, segment: segment, sector: "Diversified"}
}

func option(underlying, optionType string, moneyness float64, expiry int) *instrument {
	return &instrument{kind: "option", underlying: underlying, optionType: optionType, moneyness: moneyness,
		expiry: expiry, risk: 7, segment: "Options"}
}

// catalogue lists the demo market: Bucharest, European and US equities
// (fictitious companies with plausible tickers), government, corporate and
// high-yield bonds, funds, ETFs and listed options for hedging. Drifts and
// volatilities are typical of each asset class (large caps 20-30 %, US
// growth 40-65 %, investment-grade bonds 3-6 %).
func catalogue() []*instrument {
	return []*instrument{
		equity("DNB", "Dunărea Bank SA", "RO", "RON", "Financials", "Bucharest equities", 24.5, 0.10, 0.24, 5),
		equity("CPE", "Carpați Petrol SA", "RO", "RON", "Energy", "Bucharest equities", 0.62, 0.06, 0.22, 5),
		equity("HDR", "Hidro Dacia SA", "RO", "RON", "Utilities", "Bucharest equities", 118, 0.08, 0.20, 4),
		equity("GZR", "Gaz Român Distribuție SA", "RO", "RON", "Utilities", "Bucharest equities", 21.4, 0.05, 0.21, 5),
		equity("ELN", "Electra Nord SA", "RO", "RON", "Utilities", "Bucharest equities", 12.8, 0.04, 0.23, 5),
		equity("TVX", "TransVia Logistics SA", "RO", "RON", "Industrials", "Bucharest equities", 3.15, 0.02, 0.34, 6),
		equity("DGT", "Digitel Communications SA", "RO", "RON", "Telecommunications", "Bucharest equities", 38.2, 0.07, 0.29, 5),
		equity("MDP", "MedPharma Carpați SA", "RO", "RON", "Healthcare", "Bucharest equities", 0.48, 0.05, 0.31, 6),
		equity("ALPV", "Alpenvolt AG", "DE", "EUR", "Utilities", "European equities", 42.1, 0.05, 0.21, 5),
		equity("NRDB", "Nordbank Group NV", "NL", "EUR", "Financials", "European equities", 14.6, 0.08, 0.27, 5),
		equity("LUMA", "Lumière Luxe SA", "FR", "EUR", "Consumer", "European equities", 612, 0.09, 0.26, 5),
		equity("SIDX", "Siderix Industrie SpA", "IT", "EUR", "Industrials", "European equities", 23.9, 0.04, 0.30, 6),
		equity("HLXP", "Helix Pharma NV", "BE", "EUR", "Healthcare", "European equities", 88.4, 0.07, 0.24, 5),
		equity("AERO", "Aeronautica Europa SE", "FR", "EUR", "Industrials", "European equities", 131, 0.10, 0.28, 5),
		equity("QNTM", "Quantum Compute Inc", "US", "USD", "Technology", "US equities", 142, 0.18, 0.45, 6),
		equity("BRTX", "Brightex Semiconductors Inc", "US", "USD", "Technology", "US equities", 96, 0.16, 0.50, 6),
		equity("NOVA", "Novacart Retail Inc", "US", "USD", "Consumer", "US equities", 58, 0.06, 0.25, 5),
		equity("GLDN", "Golden Prairie Energy Corp", "US", "USD", "Energy", "US equities", 71, 0.05, 0.31, 5),
		equity("MEDX", "Medexa Biotech Inc", "US", "USD", "Healthcare", "US equities", 24, 0.04, 0.65, 7),
		equity("CLDW", "Cloudway Software Inc", "US", "USD", "Technology", "US equities", 212, 0.14, 0.38, 6),

		bond("ROGB27", "Romania 5.80% 2027", "Romania (Ministry of Finance)", "RO", "RON", 0.058, "BBB-", 26, 5000, 99.2, 0.035, 2, "Government bonds"),
		bond("ROGB31", "Romania 6.70% 2031", "Romania (Ministry of Finance)", "RO", "RON", 0.067, "BBB-", 74, 5000, 101.5, 0.06, 3, "Government bonds"),
		bond("ROEU30", "Romania 5.00% 2030 EUR", "Romania (Ministry of Finance)", "XS", "EUR", 0.05, "BBB-", 60, 1000, 97.8, 0.055, 3, "Government bonds"),
		bond("DEBD29", "Germany 2.30% 2029", "Federal Republic of Germany", "DE", "EUR", 0.023, "AAA", 48, 1000, 98.6, 0.04, 2, "Government bonds"),
		bond("USTN28", "US Treasury 4.25% 2028", "United States Treasury", "US", "USD", 0.0425, "AA+", 40, 1000, 99.4, 0.045, 2, "Government bonds"),
		bond("DNB28", "Dunărea Bank 7.25% 2028", "Dunărea Bank SA", "RO", "RON", 0.0725, "BBB", 36, 5000, 100.8, 0.05, 3, "Corporate bonds"),
		bond("ALPV30", "Alpenvolt 3.75% 2030", "Alpenvolt AG", "DE", "EUR", 0.0375, "A-", 66, 1000, 99.1, 0.05, 3, "Corporate bonds"),
		bond("CPE29", "Carpați Petrol 5.50% 2029", "Carpați Petrol SA", "XS", "EUR", 0.055, "BBB-", 54, 1000, 100.3, 0.055, 3, "Corporate bonds"),
		bond("TVX27", "TransVia Logistics 9.75% 2027", "TransVia Logistics SA", "RO", "RON", 0.0975, "B+", 28, 5000, 97.5, 0.09, 4, "High-yield bonds"),
		bond("SIDX28", "Siderix 8.25% 2028", "Siderix Industrie SpA", "XS", "EUR", 0.0825, "BB-", 38, 1000, 96.8, 0.10, 4, "High-yield bonds"),
		bond("MEDX29", "Medexa Biotech 11.50% 2029", "Medexa Biotech Inc", "US", "USD", 0.115, "B-", 50, 1000, 93.2, 0.14, 5, "High-yield bonds"),

		fund("fund", "CRPMON", "Carpatia Money Market Fund", "RO", "RON", 0.006, 12.40, 0.055, 0.005, 1, "Funds"),
		fund("fund", "CRPBAL", "Carpatia Balanced Fund", "RO", "RON", 0.018, 18.90, 0.07, 0.11, 4, "Funds"),
		fund("fund", "EUBOND", "EuroBond Income Fund", "LU", "EUR", 0.009, 104.2, 0.025, 0.05, 2, "Funds"),
		fund("fund", "GLBEQF", "Global Equity Fund", "LU", "EUR", 0.0165, 231.5, 0.09, 0.16, 5, "Funds"),
		fund("fund", "DNBDIV", "Dunărea Dividend Fund", "RO", "RON", 0.021, 9.85, 0.08, 0.19, 5, "Funds"),
		fund("etf", "WRLD", "World Equity UCITS ETF", "IE", "USD", 0.002, 98.5, 0.09, 0.15, 4, "ETFs"),
		fund("etf", "EU50", "Euro Large Cap UCITS ETF", "IE", "EUR", 0.001, 47.3, 0.07, 0.17, 5, "ETFs"),
		fund("etf", "TECH", "US Tech 100 UCITS ETF", "IE", "USD", 0.003, 385, 0.14, 0.24, 5, "ETFs"),
		fund("etf", "EMKT", "Emerging Markets UCITS ETF", "IE", "EUR", 0.0018, 31.2, 0.05, 0.18, 5, "ETFs"),
		fund("etf", "EGOV", "Euro Government Bond UCITS ETF", "IE", "EUR", 0.0009, 142, 0.01, 0.05, 2, "ETFs"),
		fund("etf", "GOLD", "Physical Gold ETC", "IE", "USD", 0.0012, 168, 0.08, 0.15, 4, "ETFs"),
		fund("etf", "ROBX", "Bucharest Blue Chip ETF", "RO", "RON", 0.006, 21.7, 0.09, 0.18, 5, "ETFs"),

		option("QNTM", "put", 0.90, 3), option("QNTM", "put", 0.95, 1), option("QNTM", "call", 1.10, 3),
		option("BRTX", "put", 0.90, 3), option("BRTX", "call", 1.05, 1), option("CLDW", "put", 0.95, 6),
		option("LUMA", "put", 0.90, 3), option("NRDB", "put", 0.95, 3), option("MEDX", "put", 0.85, 6),
		option("AERO", "call", 1.05, 6),
	}
}

// market is the instrument catalogue with three years of daily closes.
type market struct {
	days        []day // business days (Monday-Friday), oldest first, the last is AsOf or before
	instruments []*instrument
	bySymbol    map[string]*instrument
	priceRows   int

	// The reference data of marketdata.go: benchmark indices (not in
	// instruments, so no client draws one as a holding), FX rates, news
	// and reviews.
	indices []*instrument
	fx      []fxSeries
	items   []marketItem
}

// Risk-free rates for option pricing, by currency (2024-25 levels).
var riskFree = map[string]float64{"RON": 0.06, "EUR": 0.03, "USD": 0.045}

const tradingDaysPerYear = 252

func newMarket(seed int64, asOf day) *market {
	m := &market{bySymbol: map[string]*instrument{}}
	for d := asOf.addMonths(-36); d <= asOf; d++ {
		if d.weekday() < 5 {
			m.days = append(m.days, d)
		}
	}
	src := newRandSource()
	m.instruments = catalogue()
	for i, in := range m.instruments {
		in.id = int64(i + 1)
		r := src.at(seed, streamMarket, uint64(i))
		switch in.kind {
		case "option":
			in.under = m.bySymbol[in.underlying]
			m.priceOption(in, asOf)
		case "bond":
			in.maturityOn = asOf.addMonths(in.maturity)
			m.priceBond(in, r)
		default:
			m.priceGBM(in, r)
		}
		if in.kind != "option" {
			in.isin = isin(in.country, in.symbol, i)
		}
		m.bySymbol[in.symbol] = in
		m.priceRows += len(in.closes)
	}
	m.priceIndices(seed, src)
	m.priceFX(seed, src)
	m.buildItems(seed, src, asOf)
	return m
}

// toTicks rounds a model price half away from zero to 4 decimal places
// (1e-4 units), the precision prices are stored and shown with; never below
// one tick, since the schema requires positive closes.
func toTicks(price float64) int64 { return max(1, int64(math.Round(price*1e4))) }

// priceGBM simulates daily closes by geometric Brownian motion:
// S(t+Δ) = S(t)·exp((μ − σ²/2)Δ + σ√Δ·Z), Δ = 1/252 year.
func (m *market) priceGBM(in *instrument, r *rand.Rand) {
	dt := 1.0 / tradingDaysPerYear
	s := in.start
	in.closes = make([]int64, len(m.days))
	for i := range m.days {
		if i > 0 {
			s *= math.Exp((in.drift-in.vol*in.vol/2)*dt + in.vol*math.Sqrt(dt)*r.NormFloat64())
		}
		in.closes[i] = toTicks(s)
	}
}

// priceBond lets the price (in % of face) mean-revert towards par, the
// pull of a bond's price to 100 as it nears maturity (an Ornstein-Uhlenbeck
// process on log(price/100)), then converts to a price per bond.
func (m *market) priceBond(in *instrument, r *rand.Rand) {
	dt := 1.0 / tradingDaysPerYear
	const reversion = 0.8 // per year
	x := math.Log(in.start / 100)
	in.closes = make([]int64, len(m.days))
	face := float64(in.face) / 100
	for i := range m.days {
		if i > 0 {
			x += -reversion*x*dt + in.vol*math.Sqrt(dt)*r.NormFloat64()
		}
		in.closes[i] = toTicks(face * math.Exp(x))
	}
}

// priceOption lists the option nine months before expiry (or at the start
// of the price history) and prices it each day with Black-Scholes from the
// underlying's close, the underlying's volatility plus a modest put skew,
// and the currency's risk-free rate. Float math inside the model; the result
// is rounded half away from zero to 4 decimals, with a floor of 0.01.
func (m *market) priceOption(in *instrument, asOf day) {
	u := in.under
	in.currency, in.sector = u.currency, u.sector
	in.expires = thirdFriday(asOf.addMonths(in.expiry))
	spot := float64(u.closes[len(u.closes)-1]) / 1e4
	in.strike = strikeTicks(spot * in.moneyness)
	strike := float64(in.strike) / 1e4
	listed := in.expires.addMonths(-9)
	for in.listed = 0; in.listed < len(m.days) && m.days[in.listed] < listed; in.listed++ {
	}
	rate := riskFree[in.currency]
	for i := in.listed; i < len(m.days); i++ {
		s := float64(u.closes[i]) / 1e4
		years := float64(in.expires-m.days[i]) / 365
		vol := u.vol * (1 + 0.6*math.Max(0, math.Log(s/strike))) // OTM puts trade richer
		p := blackScholes(in.optionType == "call", s, strike, years, rate, vol)
		in.closes = append(in.closes, max(100, toTicks(p)))
	}
	y, mo, d := in.expires.date()
	month := [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}[mo-1]
	kind := "Put"
	letter := 'P'
	if in.optionType == "call" {
		kind, letter = "Call", 'C'
	}
	strikeText := strconv.FormatFloat(float64(in.strike)/1e4, 'f', -1, 64) // display only
	in.name = fmt.Sprintf("%s %s %d %s %s", u.symbol, month, y, strikeText, kind)
	// OCC-style symbol: root, expiry YYMMDD, C/P, strike × 1000 in 8 digits.
	in.symbol = fmt.Sprintf("%s%02d%02d%02d%c%08d", u.symbol, y%100, mo, d, letter, in.strike/10)
}

// blackScholes prices a European option (no dividends).
func blackScholes(call bool, s, k, t, r, vol float64) float64 {
	if t <= 0 {
		if call {
			return math.Max(0, s-k)
		}
		return math.Max(0, k-s)
	}
	sd := vol * math.Sqrt(t)
	d1 := (math.Log(s/k) + (r+vol*vol/2)*t) / sd
	d2 := d1 - sd
	disc := k * math.Exp(-r*t)
	if call {
		return s*normCDF(d1) - disc*normCDF(d2)
	}
	return disc*normCDF(-d2) - s*normCDF(-d1)
}

func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// strikeTicks rounds to the strike grid exchanges use: finer for cheap
// shares, 5 or 10 units for expensive ones.
func strikeTicks(x float64) int64 {
	step := 10.0
	switch {
	case x < 25:
		step = 0.5
	case x < 100:
		step = 1
	case x < 250:
		step = 5
	}
	return toTicks(math.Round(x/step) * step)
}

// thirdFriday is the monthly expiry date of listed options.
func thirdFriday(d day) day {
	first := d.monthStart()
	offset := (4 - first.weekday() + 7) % 7
	return first + day(offset+14)
}

// isin builds a well-formed ISIN: country, a 9-character national code made
// from the ticker and the catalogue position, and the Luhn check digit over
// the letters expanded to numbers (ISO 6166).
func isin(country, symbol string, index int) string {
	nsin := []byte("XXXX")
	for i := 0; i < len(symbol) && i < 4; i++ {
		nsin[i] = symbol[i]
	}
	body := country + string(nsin) + strconv.Itoa(10000+index)
	return body + strconv.Itoa(isinCheckDigit(body))
}

// isinCheckDigit is the Luhn check digit of an ISIN body (ISO 6166).
func isinCheckDigit(body string) int {
	var digits []byte
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c >= 'A' && c <= 'Z' {
			digits = strconv.AppendInt(digits, int64(c-'A'+10), 10)
		} else {
			digits = append(digits, c)
		}
	}
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (len(digits)-1-i)%2 == 0 { // double every second digit from the right
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10 - sum%10) % 10
}

// closeOn returns the instrument's close on the last business day at or
// before d, in 1e-4 units (the first close when d is before listing).
func (m *market) closeOn(in *instrument, d day) int64 {
	lo, hi := 0, len(m.days)
	for lo < hi { // first index with days[i] > d
		mid := (lo + hi) / 2
		if m.days[mid] <= d {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	i := max(lo-1, in.listed) - in.listed
	return in.closes[min(i, len(in.closes)-1)]
}

func (m *market) lastClose(in *instrument) int64 { return in.closes[len(in.closes)-1] }

var instrumentColumns = []string{
	"id", "symbol", "isin", "name", "kind", "currency", "market_segment", "sector", "risk_class",
	"annual_volatility", "issuer", "coupon_rate", "rating", "maturity_on", "face_value", "ongoing_charges",
	"underlying_id", "option_type", "strike", "expires_on", "contract_multiplier", "source", "recorded_at",
}

// micro converts a model rate to millionths (numeric(9,6)), rounding half
// away from zero.
func micro(x float64) int64 { return int64(math.Round(x * 1e6)) }

func (gen *generator) writeInstruments(w *rowWriter) error {
	for _, in := range gen.market.listed() {
		w.row(len(instrumentColumns))
		w.int8(in.id)
		w.text(in.symbol)
		w.textOrNull(in.isin)
		w.text(in.name)
		w.text(in.kind)
		w.text(in.currency)
		w.text(in.segment)
		w.textOrNull(in.sector)
		w.int2(int16(in.risk))
		vol := in.vol
		if in.kind == "option" {
			vol = in.under.vol
		}
		w.numeric(micro(vol), 6)
		isBond, isOption := in.kind == "bond", in.kind == "option"
		w.textOrNull(in.issuer)
		w.numericOrNull(micro(in.coupon), 6, isBond)
		w.textOrNull(in.rating)
		w.dateOrNull(in.maturityOn, isBond)
		w.numericOrNull(in.face, 2, isBond)
		w.numericOrNull(micro(in.ter), 6, in.kind == "fund" || in.kind == "etf")
		if isOption {
			w.int8(in.under.id)
			w.text(in.optionType)
			w.numeric(in.strike, 4)
			w.date(in.expires)
			w.int4(100)
		} else {
			w.null()
			w.null()
			w.null()
			w.null()
			w.null()
		}
		// The market's reference data is as of the first day of its prices.
		w.text("seed")
		w.timestamptz(gen.market.days[in.listed].at(7, 0, 0))
	}
	return w.err
}

var priceColumns = []string{"instrument_id", "price_date", "close", "source", "recorded_at"}

func (gen *generator) writePrices(w *rowWriter) error {
	for _, in := range gen.market.listed() {
		for i, c := range in.closes {
			w.row(len(priceColumns))
			w.int8(in.id)
			d := gen.market.days[in.listed+i]
			w.date(d)
			w.numeric(c, 4)
			// A close is recorded when the market closes.
			w.text("seed")
			w.timestamptz(d.at(18, 0, 0))
		}
	}
	return w.err
}

// Positions ------------------------------------------------------------------

// holding is one position being generated.
type holding struct {
	in       *instrument
	quantity int64 // 1e-6 units (numeric(20,6))
	cost     int64 // average cost, 1e-4 units
	opened   day
}

// drawHoldings builds a brokerage client's portfolio: 3-8 instruments
// chosen by how close their risk class is to the client's appetite (young,
// well-paid clients lean to equities and options, older ones to bonds and
// funds), a concentrated single-stock position for about one client in six
// (what the hedging feature looks for), sized to the client's wealth.
func (gen *generator) drawHoldings(c *client, acct *account, out []holding) []holding {
	r := gen.rand(streamBrokerage, uint64(c.index))
	out = out[:0]
	target := 1 + 6*c.riskAppetite // preferred risk class
	n := between(r, 3, 8)
	if c.id == DemoClientID {
		return gen.demoHoldings(r, c, acct, out)
	}
	var w weights = gen.holdingWeights[:0]
	for _, in := range gen.market.instruments {
		d := float64(in.risk) - target
		x := math.Exp(-d * d / 2)
		if in.kind == "option" && c.riskAppetite < 0.7 {
			x = 0
		}
		if in.kind == "option" {
			x *= 0.3
		}
		w = append(w, x)
	}
	portfolio := float64(acct.portfolio) * ronPer(acct.currency) / 100 // RON
	concentrated := chance(r, 0.16)
	for len(out) < n {
		in := gen.market.instruments[w.pick(r)]
		dup := false
		for _, h := range out {
			dup = dup || h.in == in
		}
		if dup {
			continue
		}
		share := -math.Log(1 - r.Float64())
		if concentrated && len(out) == 0 && in.kind == "equity" {
			share = 6
		}
		out = append(out, holding{in: in, quantity: int64(share * 1e6)}) // weight for now
	}
	total := 0.0
	for _, h := range out {
		total += float64(h.quantity)
	}
	for i := range out {
		h := &out[i]
		value := portfolio * float64(h.quantity) / total // RON
		gen.fillHolding(r, acct, h, value)
	}
	return out
}

// fillHolding turns a target value (RON) into a quantity, an opening date
// and an average cost near the price of that day.
func (gen *generator) fillHolding(r *rand.Rand, acct *account, h *holding, valueRON float64) {
	in := h.in
	earliest := max(acct.opened, gen.market.days[in.listed], gen.asOf.addMonths(-36))
	span := int(gen.asOf - earliest)
	h.opened = (earliest + day(r.IntN(max(1, span)))).businessDay()
	if h.opened >= gen.asOf {
		h.opened = gen.market.days[len(gen.market.days)-2]
	}
	price := float64(gen.market.closeOn(in, h.opened)) / 1e4
	// Average cost: the price of the opening day, with ±1.5 % for the
	// spread and later top-ups; rounded half away from zero to 4 places.
	h.cost = toTicks(price * (1 + 0.015*r.NormFloat64()))
	units := valueRON / ronPer(in.currency) / (float64(gen.market.lastClose(in)) / 1e4)
	switch in.kind {
	case "option":
		units = float64(between(r, 1, 10)) // contracts
	case "fund":
		units = math.Round(units*1000) / 1000 // fund units to 3 decimals
		units = math.Max(units, 1)
	default:
		units = math.Max(1, math.Floor(units))
	}
	h.quantity = int64(math.Round(units * 1e6))
}

// demoHoldings gives Ana Popescu a recognisable portfolio: a large,
// volatile US tech position (the hedging demo: 250 shares, two option
// contracts of 100 with 50 shares left over, well over a quarter of her
// portfolio), a Bucharest bank, a world ETF, a Romanian government bond
// and a balanced fund (sized by value in RON).
func (gen *generator) demoHoldings(r *rand.Rand, c *client, acct *account, out []holding) []holding {
	plan := []struct {
		symbol string
		ron    float64
		shares float64
	}{{"QNTM", 0, 250}, {"DNB", 18_000, 0}, {"WRLD", 30_000, 0}, {"ROGB31", 20_000, 0}, {"CRPBAL", 12_000, 0}}
	for _, p := range plan {
		h := holding{in: gen.market.bySymbol[p.symbol]}
		value := p.ron
		if p.shares > 0 {
			value = p.shares * ronPer(h.in.currency) * float64(gen.market.lastClose(h.in)) / 1e4
		}
		gen.fillHolding(r, acct, &h, value)
		if p.shares > 0 {
			h.quantity = int64(p.shares * 1e6)
		}
		out = append(out, h)
	}
	return out
}

var positionColumns = []string{"id", "client_id", "account_id", "instrument_id", "quantity", "average_cost", "opened_on"}

func (gen *generator) writePositions(w *rowWriter) error {
	return gen.forEachGroup(w, needAccounts, func(grp *group) {
		for _, c := range grp.members {
			for i := range c.accounts {
				a := &c.accounts[i]
				if a.kind != "brokerage" {
					continue
				}
				gen.holdings = gen.drawHoldings(c, a, gen.holdings)
				for _, h := range gen.holdings {
					gen.counters.positions++
					w.row(len(positionColumns))
					w.int8(gen.counters.positions)
					w.int8(c.id)
					w.int8(a.id)
					w.int8(h.in.id)
					w.numeric(h.quantity, 6)
					w.numeric(h.cost, 4)
					w.date(h.opened)
				}
			}
		}
	})
}
