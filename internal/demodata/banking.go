package demodata

import (
	"math"
	"math/bits"
	"strconv"
)

// noDay marks an absent date (closed_on of an open account, ...).
const noDay = day(math.MinInt32)

// account is a bank account of the client.
type account struct {
	id        int64
	kind      string
	currency  string
	name      string
	nameRO    string // set when not in accountNamesRO
	opened    day
	maturity  day // term deposits and loans, else noDay
	closed    day // noDay while open
	rate      int64
	hasRate   bool
	limit     int64 // overdraft or card limit, minor units; 0 = none
	opening   int64 // balance at the start of the transaction window
	balance   int64 // at AsOf, set by simulateBanking
	portfolio int64 // brokerage: value of the securities, minor units
	line      int   // index into client.lines, -1 when none
	iban      [24]byte
}

func (a *account) isOpenOn(d day) bool { return a.opened <= d && (a.closed == noDay || d < a.closed) }

// floor is the lowest balance a discretionary payment may leave.
func (a *account) floor() int64 {
	switch a.kind {
	case "current", "card":
		return -a.limit
	case "loan":
		return math.MinInt64
	}
	return 0
}

// romanianIBAN writes RO, the mod-97 check digits (ISO 13616), the bank code
// and a 16-character account number: a 3-digit branch, a product letter
// and the account id, which makes every IBAN of the firm unique.
func romanianIBAN(dst *[24]byte, bankCode string, branch int, product byte, number int64) {
	b := dst[:0]
	b = append(b, "RO00"...)
	b = append(b, bankCode...)
	b = appendPadded(b, int64(branch%1000), 3)
	b = append(b, product)
	b = appendPadded(b, number%1_000_000_000_000, 12)
	check := 98 - ibanMod97(b[4:], "RO00")
	b[2], b[3] = byte('0'+check/10), byte('0'+check%10)
}

// ibanMod97 computes (BBAN + country + "00") mod 97 with letters as 10-35.
func ibanMod97(bban []byte, tail string) int {
	mod := 0
	feed := func(c byte) {
		if c >= 'A' && c <= 'Z' {
			v := int(c-'A') + 10
			mod = (mod*100 + v) % 97
		} else {
			mod = (mod*10 + int(c-'0')) % 97
		}
	}
	for _, c := range bban {
		feed(c)
	}
	for i := 0; i < len(tail); i++ {
		feed(tail[i])
	}
	return mod
}

func appendPadded(b []byte, v int64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	for range width - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

// externalIBAN is a counterparty's account at another (fictitious) bank.
func externalIBAN(key uint64) []byte {
	var dst [24]byte
	bank := otherBanks[key%uint64(len(otherBanks))].code
	romanianIBAN(&dst, bank, int(key>>8%900)+100, 'X', int64(splitmix64(key)%1_000_000_000_000))
	return dst[:]
}

// drawAccounts opens the client's accounts: a current account for
// everyone, then savings, term deposits, cards, loans and a brokerage
// account with probabilities rising with segment (and age for deposits).
func (gen *generator) drawAccounts(c *client) {
	r := gen.rand(streamAccounts, uint64(c.index))
	segmentRank := segmentRank(c.segment)
	add := func(kind, currency, name string, opened day) *account {
		c.accounts = append(c.accounts, account{kind: kind, currency: currency, name: name, opened: opened,
			maturity: noDay, closed: noDay, line: -1})
		gen.counters.accounts++
		a := &c.accounts[len(c.accounts)-1]
		a.id = gen.counters.accounts
		romanianIBAN(&a.iban, ownBankCode, c.cityRef.branch, productLetter(kind), a.id)
		return a
	}
	toCurrency := func(ron float64, currency string) int64 { return roundTo(ron/ronPer(currency)*100, 100) }
	wealthRON := float64(c.wealth) * ronPer(c.currency) / 100
	netRON := float64(c.netMonthly) * ronPer(c.currency) / 100
	demo := c.id == DemoClientID

	cur := add("current", c.currency, "Current account", c.since)
	cur.opening = toCurrency(netRON*logNormal(r, 1, 0.7)+wealthRON*0.03+200, c.currency)
	cur.hasRate, cur.rate = true, 0
	if !c.abroad && chance(r, 0.2) && !demo {
		a := add("current", "EUR", "Current account EUR", c.since+day(r.IntN(max(1, int(gen.asOf-c.since)))))
		a.opening = toCurrency(logNormal(r, 2_500, 1), "EUR")
		a.hasRate = true
	}
	if chance(r, 0.03) && !demo {
		a := add("current", "USD", "Current account USD", c.since+day(r.IntN(max(1, int(gen.asOf-c.since)))))
		a.opening = toCurrency(logNormal(r, 3_000, 1), "USD")
		a.hasRate = true
	}

	pSavings := []float64{0.45, 0.65, 0.8, 0.85}[segmentRank]
	if c.employment == "student" {
		pSavings = 0.3
	}
	if chance(r, pSavings) || demo {
		currency := c.currency
		if !c.abroad && chance(r, 0.15) && !demo {
			currency = "EUR"
		}
		a := add("savings", currency, "Savings account", c.since+day(r.IntN(max(1, int(gen.asOf-c.since)))))
		a.hasRate = true
		a.rate = micro(0.015 + 0.02*r.Float64())
		if currency == "EUR" {
			a.rate = micro(0.002 + 0.008*r.Float64())
		}
		a.opening = toCurrency(wealthRON*(0.2+0.3*r.Float64()), currency)
	}

	pDeposit := []float64{0.12, 0.25, 0.4, 0.5}[segmentRank]
	if c.age >= 60 {
		pDeposit += 0.1
	}
	if chance(r, pDeposit) && !demo {
		term := []int{3, 6, 12, 24}[weights{20, 25, 40, 15}.pick(r)]
		principal := toCurrency(math.Max(1_000, wealthRON*(0.15+0.25*r.Float64())), c.currency)
		rate := 0.05 + 0.004*float64(term/6) + 0.005*r.Float64()
		if c.currency == "EUR" {
			rate = 0.015 + 0.003*float64(term/6) + 0.005*r.Float64()
		}
		if chance(r, 0.3) { // an earlier deposit that has matured and closed
			opened := gen.asOf - day(30*term+r.IntN(600))
			gen.addTermDeposit(add, c, term, opened, principal, micro(rate))
		}
		opened := gen.asOf - day(r.IntN(30*term-1))
		opened = max(opened, c.since)
		gen.addTermDeposit(add, c, term, opened, principal, micro(rate))
	}

	for i := range c.lines {
		l := &c.lines[i]
		if !l.internal {
			continue
		}
		switch l.kind {
		case "overdraft":
			cur.limit = l.limit
			l.account = 0
		case "credit_card":
			a := add("card", l.currency, "Visa credit card", l.opened)
			a.limit, a.rate, a.hasRate = l.limit, l.rate, true
			a.line, l.account = i, len(c.accounts)-1
		default:
			a := add("loan", l.currency, loanNames[l.kind], l.opened)
			a.maturity = l.opened.addMonths(l.term)
			a.rate, a.hasRate = l.rate, true
			a.line, l.account = i, len(c.accounts)-1
		}
	}

	pBrokerage := []float64{0.13, 0.32, 0.6, 0.85}[segmentRank]
	if c.age < 25 || c.age >= 75 {
		pBrokerage *= 0.6
	}
	if chance(r, pBrokerage) || demo {
		currency := choice[string]{values: []string{"RON", "EUR", "USD"}, weights: weights{60, 35, 5}}.pick(r)
		if demo {
			currency = "RON"
		}
		a := add("brokerage", currency, "Investment account", c.since+day(r.IntN(max(1, int(gen.asOf-c.since)))))
		a.opened = min(a.opened, gen.asOf.addMonths(-30)) // holds positions of the last three years
		a.opened = max(a.opened, c.since)
		a.portfolio = toCurrency(math.Max(5_000, wealthRON*(0.2+0.4*r.Float64())), currency)
		a.opening = toCurrency(float64(a.portfolio)/100*ronPer(currency)*(0.02+0.08*r.Float64()), currency)
	}
}

var loanNames = map[string]string{"mortgage": "Mortgage loan", "consumer_loan": "Personal loan", "car_loan": "Car loan"}

// accountNamesRO are the Romanian names of the accounts drawAccounts opens.
var accountNamesRO = map[string]string{
	"Current account": "Cont curent", "Current account EUR": "Cont curent EUR", "Current account USD": "Cont curent USD",
	"Savings account": "Cont de economii", "Visa credit card": "Card de credit Visa", "Investment account": "Cont de investiții",
	"Mortgage loan": "Credit ipotecar", "Personal loan": "Credit de nevoi personale", "Car loan": "Credit auto",
}

// romanianAccountName is the account's name in Romanian.
func romanianAccountName(a *account) string {
	if a.nameRO != "" {
		return a.nameRO
	}
	return accountNamesRO[a.name]
}

// termDepositNameRO is "Depozit la termen 12 luni", with Romanian's plural:
// "1 lună", "3 luni", and "de" before 20 and more ("24 de luni").
func termDepositNameRO(months int) string {
	switch {
	case months == 1:
		return "Depozit la termen 1 lună"
	case months%100 >= 20 || months >= 100 && months%100 == 0:
		return "Depozit la termen " + strconv.Itoa(months) + " de luni"
	}
	return "Depozit la termen " + strconv.Itoa(months) + " luni"
}

func segmentRank(segment string) int {
	switch segment {
	case "emerging_affluent":
		return 1
	case "affluent":
		return 2
	case "private":
		return 3
	}
	return 0
}

// productLetter marks the product in the firm's account numbers.
func productLetter(kind string) byte {
	switch kind {
	case "savings":
		return 'S'
	case "term_deposit":
		return 'T'
	case "loan":
		return 'L'
	case "card":
		return 'K'
	case "brokerage":
		return 'B'
	}
	return 'C'
}

func (gen *generator) addTermDeposit(add func(kind, currency, name string, opened day) *account, c *client, term int, opened day, principal, rate int64) {
	a := add("term_deposit", c.currency, "Term deposit "+strconv.Itoa(term)+" months", opened)
	a.nameRO = termDepositNameRO(term)
	a.maturity = opened.addMonths(term)
	a.rate, a.hasRate = rate, true
	a.opening = principal
	if a.maturity <= gen.asOf {
		a.closed = a.maturity
		if a.closed < gen.windowStart {
			a.opening = 0 // paid out before the window
		}
	}
}

// tradeValue is quantity (1e-6 units) × price (1e-4 units) in minor units
// (1e-2), exact in 128 bits and rounded half up; an option contract is 100
// shares.
func tradeValue(quantity, price int64, option bool) int64 {
	divisor := uint64(100_000_000)
	if option {
		divisor = 1_000_000
	}
	hi, lo := bits.Mul64(uint64(quantity), uint64(price))
	q, rem := bits.Div64(hi, lo, divisor)
	if rem >= divisor/2 {
		q++
	}
	return int64(q)
}

var accountColumns = []string{
	"id", "client_id", "kind", "iban", "name", "name_ro", "currency", "balance", "credit_limit", "interest_rate",
	"opened_on", "maturity_on", "closed_on", "status",
}

func (gen *generator) writeAccounts(w *rowWriter) error {
	return gen.forEachGroup(w, needBanking, func(grp *group) {
		for _, c := range grp.members {
			gen.simulateBanking(c, nil)
			for i := range c.accounts {
				a := &c.accounts[i]
				status := "open"
				if a.closed != noDay {
					status = "closed"
				}
				if a.line >= 0 && a.closed == noDay {
					switch h := &c.lines[a.line].history; h.status {
					case "closed":
						a.closed, status = max(h.closed, a.opened), "closed"
					case "defaulted", "written_off":
						status = "blocked"
					}
				}
				balance := a.balance
				w.row(len(accountColumns))
				w.int8(a.id)
				w.int8(c.id)
				w.text(a.kind)
				w.bytes(a.iban[:])
				w.text(a.name)
				w.text(romanianAccountName(a))
				w.text(a.currency)
				w.money(balance)
				w.numericOrNull(a.limit, 2, a.kind == "card" || a.limit > 0)
				w.numericOrNull(a.rate, 6, a.hasRate)
				w.date(a.opened)
				w.dateOrNull(a.maturity, a.maturity != noDay)
				w.dateOrNull(a.closed, a.closed != noDay)
				w.text(status)
			}
		}
	})
}
