package demodata

import "math"

// creditLine is a loan, card or overdraft, held with the firm (internal)
// or reported by the credit bureau (held elsewhere).
type creditLine struct {
	id         int64
	kind       string
	internal   bool
	lender     string
	currency   string
	limit      int64 // principal of a loan or limit of a revolving line, minor units
	rate       int64 // annual, millionths
	term       int   // months (loans)
	opened     day
	instalment int64   // monthly payment of a loan, minor units
	used       float64 // revolving: share of the limit in use
	// earlyRepay is the period index (months after the first instalment)
	// at which the client repays the loan in full, or 0 for never.
	earlyRepay int
	// slip is the monthly probability of falling behind from a clean
	// state: the client's credit risk.
	slip    float64
	account int // index into client.accounts, -1 for bureau lines

	history creditHistory
}

func (l *creditLine) revolving() bool { return l.kind == "credit_card" || l.kind == "overdraft" }

// Delinquency states, in the order of the credit_payments status check.
const (
	onTime = iota
	late30
	late60
	late90
	defaulted
)

var paymentStatus = [...]string{"on_time", "late_30", "late_60", "late_90_plus", "default"}

// historyMonths is the depth of the payment history a bureau keeps and
// the advisor sees.
const historyMonths = 36

// creditHistory is a line's monthly payment record over the last 36
// complete months and the state it leaves the line in.
type creditHistory struct {
	n       int
	months  [historyMonths]creditMonth
	status  string // active, closed, defaulted, written_off
	closed  day    // when status is closed
	balance int64  // outstanding at AsOf (loans: principal; revolving: used)
}

type creditMonth struct {
	period    day
	due, paid int64
	principal int64 // loans: principal repaid by this month's payment
	state     int
}

// Delinquency transitions per month, rows = from state, columns = to state
// (on time, 30, 60, 90+, default). Arrears mostly cure early and roll
// forward less each step; 90+ days late usually ends in default — the
// shape of published roll-rate matrices for retail credit.
var rollRates = [5]weights{
	onTime:    {1, 0, 0, 0, 0}, // slipping is the client-specific probability
	late30:    {50, 10, 40, 0, 0},
	late60:    {25, 10, 10, 55, 0},
	late90:    {15, 0, 0, 70, 15},
	defaulted: {0, 0, 0, 0, 1},
}

// drawCreditLines decides which loans, cards and overdrafts the client has
// (Romanian retail penetration: about one adult in ten has a mortgage, one
// in five a consumer loan, one in four a credit card) and their terms.
func (gen *generator) drawCreditLines(c *client) {
	r := gen.rand(streamCredit, uint64(c.index))
	incomeRON := float64(c.income) * ronPer(c.incomeCurrency) / 100
	working := c.employment == "employed" || c.employment == "self_employed"
	// Monthly probability of falling 30 days behind: a log-normal client
	// factor (mean 1) scaled up for thin incomes, job loss, youth and
	// vulnerability.
	slip := 0.0016 * math.Exp(0.9*r.NormFloat64()-0.405)
	switch {
	case c.employment == "unemployed":
		slip *= 3
	case incomeRON < 30_000:
		slip *= 1.8
	}
	if c.age < 25 {
		slip *= 1.4
	}
	if c.vulnerable {
		slip *= 1.5
	}
	if c.id == DemoClientID {
		slip = 0
	}

	add := func(kind string, internal bool) *creditLine {
		c.lines = append(c.lines, creditLine{kind: kind, internal: internal, lender: ownBank, currency: c.currency,
			slip: slip, account: -1})
		l := &c.lines[len(c.lines)-1]
		if !internal {
			l.lender = otherBanks[r.IntN(len(otherBanks))].name
		}
		return l
	}
	// Lenders cap the debt service at 40 % of net income (the BNR
	// debt-to-income rule), so principals shrink to what the client can
	// afford and a loan the income cannot carry is not granted.
	netRON := float64(c.netMonthly) * ronPer(c.currency) / 100
	debtService := 0.0 // RON a month
	loan := func(kind string, internal bool, principalRON float64, minTerm, maxTerm int, maxAgeYears int, rateLo, rateHi float64) {
		term := between(r, minTerm/12, maxTerm/12) * 12
		ageYears := r.IntN(maxAgeYears + 1)
		opened := max(gen.asOf.addMonths(-12*ageYears-r.IntN(12)), c.since)
		currency := c.currency
		if kind == "mortgage" && ageYears >= 12 && !c.abroad && chance(r, 0.35) {
			currency = "EUR" // pre-2012 mortgages were often in euro
		}
		rate := micro(rateLo + (rateHi-rateLo)*r.Float64())
		earlyRepay := 0
		if chance(r, 0.08) {
			earlyRepay = between(r, 6, term-1)
		}
		room := 0.4*netRON - debtService
		perRON := float64(annuity(1_000_000, rate, term)) / 1_000_000 // instalment per RON borrowed
		principalRON = math.Min(principalRON, room/perRON)
		if principalRON < 3_000 {
			return
		}
		l := add(kind, internal)
		l.term, l.opened, l.currency, l.rate, l.earlyRepay = term, opened, currency, rate, earlyRepay
		l.limit = max(roundTo(principalRON/ronPer(l.currency)*100, 100_000), 100_000) // whole thousands
		l.instalment = annuity(l.limit, l.rate, l.term)
		debtService += float64(l.instalment) * ronPer(l.currency) / 100
	}
	revolving := func(kind string, internal bool, limitRON float64, rateLo, rateHi float64) {
		l := add(kind, internal)
		l.limit = max(roundTo(limitRON/ronPer(l.currency)*100, 50_000), 50_000) // whole 500s
		l.rate = micro(rateLo + (rateHi-rateLo)*r.Float64())
		l.opened = max(c.since, gen.asOf-day(30+r.IntN(12*365)))
		l.used = math.Min(0.95, r.Float64()*r.Float64()*1.4)
	}

	if c.id == DemoClientID {
		l := add("mortgage", true)
		l.term, l.opened, l.limit, l.rate = 300, gen.asOf.addMonths(-62), 38_000_000, 72_500
		l.instalment = annuity(l.limit, l.rate, l.term)
		l2 := add("credit_card", true)
		l2.limit, l2.rate, l2.opened, l2.used = 1_500_000, 229_000, gen.asOf.addMonths(-50), 0.18
		return
	}

	pMortgage := 0.0
	if working && c.age >= 26 && c.age <= 62 {
		pMortgage = 0.09
		if c.marital == "married" || c.marital == "partnership" {
			pMortgage *= 1.8
		}
		if incomeRON > 80_000 {
			pMortgage *= 1.5
		}
	}
	if chance(r, pMortgage) {
		loan("mortgage", chance(r, 0.6), incomeRON*(3+3*r.Float64()), 240, 360, min(15, c.age-25), 0.065, 0.085)
	}
	pConsumer := 0.17
	switch c.employment {
	case "retired":
		pConsumer = 0.12 // loans for pensioners are common in Romania
	case "student", "homemaker", "unemployed":
		pConsumer = 0.03
	}
	if chance(r, pConsumer) {
		loan("consumer_loan", chance(r, 0.65), logNormal(r, 30_000, 0.55), 36, 84, 6, 0.09, 0.16)
	}
	if working && chance(r, 0.05) {
		loan("car_loan", chance(r, 0.5), logNormal(r, 75_000, 0.4), 48, 72, 5, 0.08, 0.11)
	}
	if chance(r, 0.04) {
		loan("consumer_loan", false, logNormal(r, 20_000, 0.6), 24, 60, 4, 0.11, 0.19)
	}
	pCard := 0.27
	if c.age < 21 || c.employment == "unemployed" {
		pCard = 0.05
	}
	if chance(r, pCard) {
		monthly := math.Max(incomeRON, 24_000) / 12
		revolving("credit_card", chance(r, 0.75), monthly*(1+2*r.Float64()), 0.21, 0.26)
	}
	if working && chance(r, 0.12) {
		monthly := float64(c.netMonthly) * ronPer(c.currency) / 100
		revolving("overdraft", true, monthly*(0.5+r.Float64()), 0.13, 0.18)
	}
}

// annuity is the fixed monthly payment that repays principal over term
// months at the annual rate: P·i / (1 − (1+i)^−n), i = rate/12. Float
// inside the formula, then rounded half away from zero to the cent; the
// schedule itself is kept in exact minor units (amortize).
func annuity(principal, rateMicro int64, term int) int64 {
	i := float64(rateMicro) / 1e6 / 12
	if i == 0 {
		return (principal + int64(term) - 1) / int64(term)
	}
	p := float64(principal) * i / (1 - math.Pow(1+i, -float64(term)))
	return int64(math.Round(p))
}

// monthlyInterest is one month's interest on a balance in minor units,
// rounded half up: balance × rate / 12.
func monthlyInterest(balance, rateMicro int64) int64 {
	return (balance*rateMicro + 6_000_000) / 12_000_000
}

// payInstalment applies one instalment to the outstanding principal and
// returns the new balance and the principal repaid. The last instalment
// repays whatever is left.
func payInstalment(balance, instalment, rateMicro int64) (newBalance, principal int64) {
	principal = min(balance, instalment-monthlyInterest(balance, rateMicro))
	principal = max(principal, 0)
	return balance - principal, principal
}

// buildCreditHistory walks each line through the last 36 complete months
// with the delinquency Markov chain: payments due and made, the principal
// they repay, and the line's resulting status and balance.
func (gen *generator) buildCreditHistory(c *client) {
	r := gen.rand(streamCreditHistory, uint64(c.index))
	historyStart := gen.asOf.monthStart().addMonths(-historyMonths)
	for li := range c.lines {
		l := &c.lines[li]
		h := &l.history
		*h = creditHistory{status: "active"}
		firstPeriod := l.opened.monthStart().addMonths(1)
		balance := l.limit
		paidInstalments := 0
		if !l.revolving() {
			// Instalments before the recorded history were paid as agreed.
			for p := firstPeriod; p < historyStart && balance > 0; p = p.addMonths(1) {
				if l.earlyRepay > 0 && paidInstalments == l.earlyRepay {
					balance = 0
					break
				}
				balance, _ = payInstalment(balance, l.instalment, l.rate)
				paidInstalments++
			}
			if balance == 0 {
				h.status, h.closed = "closed", l.opened.addMonths(paidInstalments)
				if l.earlyRepay > 0 && paidInstalments == l.earlyRepay {
					h.closed = l.opened.addMonths(paidInstalments + 1)
				}
				continue
			}
		}
		state, arrears, monthsInDefault := onTime, 0, 0
		for p := max(firstPeriod, historyStart); p < gen.asOf.monthStart(); p = p.addMonths(1) {
			// Next state: a clean client slips with probability slip; a late
			// one rolls by the matrix.
			next := onTime
			if state == onTime {
				if chance(r, l.slip) {
					next = late30
				}
			} else {
				next = rollRates[state].pick(r)
			}
			after := 0
			switch next {
			case late30:
				after = 1
			case late60:
				after = 2
			case late90:
				after = max(3, arrears+1)
			case defaulted:
				after = arrears + 1
			}
			if next == late30 && state == late30 {
				after = arrears // paid this month's instalment, still one behind
			}
			paidCount := max(0, arrears+1-after)
			m := creditMonth{period: p, state: next}
			if l.revolving() {
				m.due = revolvingDue(l)
				m.paid = m.due * int64(paidCount)
			} else {
				m.due = min(l.instalment, balance+monthlyInterest(balance, l.rate))
				final := l.earlyRepay > 0 && paidInstalments+paidCount > l.earlyRepay && next == onTime
				for range paidCount {
					if balance == 0 {
						break
					}
					payment := min(l.instalment, balance+monthlyInterest(balance, l.rate))
					var principal int64
					balance, principal = payInstalment(balance, l.instalment, l.rate)
					m.paid += payment
					m.principal += principal
					paidInstalments++
				}
				if final && balance > 0 { // early repayment of the rest
					m.paid += balance + monthlyInterest(balance, l.rate)
					m.principal += balance
					balance = 0
				}
			}
			if next == defaulted {
				monthsInDefault++
			}
			state, arrears = next, after
			h.months[h.n] = m
			h.n++
			if !l.revolving() && balance == 0 {
				h.status, h.closed = "closed", p.inMonth(0, l.dueDay())
				break
			}
		}
		switch {
		case state == defaulted && monthsInDefault >= 9 && chance(r, 0.5):
			h.status = "written_off"
		case state == defaulted:
			h.status = "defaulted"
		}
		if l.revolving() {
			h.balance = roundTo(float64(l.limit)*l.used, 100)
		} else {
			h.balance = balance
		}
	}
}

// revolvingDue is the payment due in a month on the line's typical
// balance (the history's months; the line's own balance is known only
// for the current month).
func revolvingDue(l *creditLine) int64 {
	return revolvingDueOn(l, int64(float64(l.limit)*l.used))
}

// revolvingDueOn is a card's minimum payment on a balance (5 %, at least
// 50 lei or the whole balance if smaller) or an overdraft's interest.
func revolvingDueOn(l *creditLine, balance int64) int64 {
	if balance <= 0 {
		return 0
	}
	if l.kind == "overdraft" {
		return max(1, monthlyInterest(balance, l.rate))
	}
	return max(min(balance, 5_000), balance/20)
}

var creditLineColumns = []string{
	"id", "client_id", "account_id", "kind", "source", "lender", "credit_limit", "balance", "currency",
	"interest_rate", "monthly_payment", "opened_on", "closed_on", "status",
}

func (gen *generator) writeCreditLines(w *rowWriter) error {
	return gen.forEachGroup(w, needBanking, func(grp *group) {
		for _, c := range grp.members {
			if len(c.lines) == 0 {
				continue
			}
			gen.buildCreditHistory(c)
			if gen.hasInternalRevolving(c) {
				gen.simulateBanking(c, nil)
			}
			for i := range c.lines {
				l := &c.lines[i]
				w.row(len(creditLineColumns))
				w.int8(l.id)
				w.int8(c.id)
				if l.account >= 0 {
					w.int8(c.accounts[l.account].id)
				} else {
					w.null()
				}
				w.text(l.kind)
				if l.internal {
					w.text("internal")
				} else {
					w.text("bureau")
				}
				w.text(l.lender)
				balance := gen.lineBalance(c, l)
				w.money(l.limit)
				w.money(balance)
				w.text(l.currency)
				w.numeric(l.rate, 6)
				if l.revolving() {
					// The next payment is the month's due as the credit
					// history states it, so the portal, the 360 and the
					// history agree.
					w.money(min(balance, revolvingDue(l)))
				} else {
					w.money(l.instalment)
				}
				w.date(l.opened)
				w.dateOrNull(l.history.closed, l.history.status == "closed")
				w.text(l.history.status)
			}
		}
	})
}

// lineBalance is what the client owes on the line at AsOf: for internal
// cards and overdrafts, what the simulated account shows.
func (gen *generator) lineBalance(c *client, l *creditLine) int64 {
	if l.history.status == "closed" {
		return 0
	}
	if l.internal && l.revolving() && l.account >= 0 {
		return max(0, -c.accounts[l.account].balance)
	}
	return l.history.balance
}

func (gen *generator) hasInternalRevolving(c *client) bool {
	for i := range c.lines {
		if c.lines[i].internal && c.lines[i].revolving() {
			return true
		}
	}
	return false
}

var creditPaymentColumns = []string{"credit_line_id", "client_id", "period", "amount_due", "amount_paid", "currency", "status"}

func (gen *generator) writeCreditPayments(w *rowWriter) error {
	return gen.forEachGroup(w, needLines, func(grp *group) {
		for _, c := range grp.members {
			if len(c.lines) == 0 {
				continue
			}
			gen.buildCreditHistory(c)
			for i := range c.lines {
				l := &c.lines[i]
				for _, m := range l.history.months[:l.history.n] {
					w.row(len(creditPaymentColumns))
					w.int8(l.id)
					w.int8(c.id)
					w.date(m.period)
					w.money(m.due)
					w.money(m.paid)
					w.text(l.currency)
					w.text(paymentStatus[m.state])
				}
			}
		}
	})
}

// dueDay is the line's day of the month for payments: the day it was
// opened, clamped to the end of shorter months (as the portal and the
// advisor's 360 compute the next payment).
func (l *creditLine) dueDay() int {
	_, _, d := l.opened.date()
	return d
}

// paidOn is the day the payment for a period is collected.
func (l *creditLine) paidOn(m *creditMonth) day { return m.period.inMonth(0, l.dueDay()) }
