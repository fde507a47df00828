package demodata

import (
	"math"
	"math/rand/v2"
	"slices"
)

// A client's year of banking is planned as a list of bookings (events),
// then replayed in time order against the accounts' balances. The plan
// carries the habits later features learn from — the same payday, the
// same payees every month, a few favourite merchants — and the replay
// keeps every balance consistent: an account ends at AsOf holding its
// opening balance plus the sum of its transactions.

// Transaction kinds and channels, as in the schema's checks.
const (
	kSalary = iota
	kTransferIn
	kTransferOut
	kStandingOrder
	kDirectDebit
	kCardPayment
	kATM
	kCardTopUp
	kLoanRepayment
	kDeposit
	kInterest
	kFee
	kPremium
	kTrade
)

var txKinds = [...]string{"salary", "transfer_in", "transfer_out", "standing_order", "direct_debit", "card_payment",
	"atm_withdrawal", "card_top_up", "loan_repayment", "deposit", "interest", "fee", "premium_payment", "securities_trade"}

const (
	chWeb = iota
	chMobile
	chBranch
	chATM
	chPOS
	chSystem
)

var txChannels = [...]string{"web", "mobile", "branch", "atm", "pos", "system"}

// maxEvents bounds a client's plan; the sort key keeps the event's index
// in its low bits.
const maxEvents = 1 << 13

// event is one booking on one account. Transfers between the client's
// own accounts are two events sharing a pair number, debit first.
type event struct {
	at            instant
	pair          int32
	account       int16
	kind          uint8
	channel       uint8
	discretionary bool // declined when the account cannot cover it
	// interestQuarter: the amount is a quarter's interest on the running
	// balance, computed when the event is applied.
	interestQuarter bool
	amount          int64
	counterparty    string
	counterpartyTo  *client // the counterparty is the client (own accounts)
	counterIBAN     []byte
	desc            string
	descTail        string // appended after a space: a month, a city
	policy          *policy
}

// primary is the index of the client's first current account, where
// income arrives and bills are paid.
const primary = 0

// simulateBanking books the client's last twelve months in time order,
// declining discretionary payments an account cannot cover, and leaves
// every account's balance at AsOf equal to its opening balance plus the
// sum of its transactions. emit, when not nil, receives each booking.
func (gen *generator) simulateBanking(c *client, emit func(c *client, e *event)) {
	gen.buildCreditHistory(c)
	evs := gen.planEvents(c)
	// Sort keys, not the (large) events: time in the high bits, the
	// planning order (which puts a transfer's debit before its credit) in
	// the low 13 bits. Instants since 2000 fit in 50 bits until 2035.
	order := gen.eventOrder[:0]
	for i := range evs {
		order = append(order, uint64(evs[i].at)<<13|uint64(i))
	}
	slices.Sort(order)
	gen.eventOrder = order
	for i := range c.accounts {
		c.accounts[i].balance = c.accounts[i].opening
	}
	skippedPair := int32(-1)
	for _, key := range order {
		e := &evs[key&(maxEvents-1)]
		a := &c.accounts[e.account]
		if e.pair != 0 && e.pair == skippedPair {
			continue
		}
		if e.interestQuarter {
			e.amount = (a.balance*a.rate/4 + 500_000) / 1_000_000
			if e.amount <= 0 {
				continue
			}
		}
		if e.discretionary && e.amount < 0 && a.balance+e.amount < a.floor() {
			skippedPair = e.pair
			if e.pair == 0 {
				skippedPair = -1
			}
			continue
		}
		if !e.discretionary && e.amount < 0 && a.kind == "current" && a.balance+e.amount < a.floor() {
			// A bill, instalment or card repayment the account cannot
			// cover: the client moves money in from elsewhere first, so
			// the account never exceeds its overdraft.
			topUp := (a.floor() - (a.balance + e.amount) + 9_999) / 10_000 * 10_000
			cover := event{at: e.at - 1, account: e.account, kind: kTransferIn, channel: chMobile, amount: topUp,
				counterpartyTo: c, counterIBAN: externalIBAN(uint64(c.index)*31 + 19), desc: "Transfer from own account"}
			a.balance += topUp
			if emit != nil {
				emit(c, &cover)
			}
		}
		a.balance += e.amount
		if emit != nil {
			emit(c, e)
		}
	}
}

// planner collects one client's planned bookings.
type planner struct {
	gen   *generator
	c     *client
	r     *rand.Rand
	evs   []event
	pairs int32

	payday     int
	favourites [4]int // merchant indexes
}

// planEvents lists the client's bookings over the transaction window.
func (gen *generator) planEvents(c *client) []event {
	p := &planner{gen: gen, c: c, r: gen.rand(streamBanking, uint64(c.index)), evs: gen.events[:0]}
	p.openingDeposits()
	p.income()
	p.rent()
	p.utilityBills()
	p.cardSpending()
	p.cash()
	p.otherAccounts()
	p.premiums()
	gen.events = p.evs
	return p.evs
}

func (p *planner) add(e event) {
	if len(p.evs) < maxEvents {
		p.evs = append(p.evs, e)
	}
}

// transfer books a move between two of the client's accounts.
func (p *planner) transfer(at instant, from, to int, amount int64, kindFrom, kindTo uint8, descFrom, descTo string, discretionary bool, channel uint8) {
	c := p.c
	p.pairs++
	p.add(event{at: at, pair: p.pairs, account: int16(from), kind: kindFrom, channel: channel, amount: -amount,
		counterpartyTo: c, counterIBAN: c.accounts[to].iban[:], desc: descFrom, discretionary: discretionary})
	p.add(event{at: at, pair: p.pairs, account: int16(to), kind: kindTo, channel: channel, amount: amount,
		counterpartyTo: c, counterIBAN: c.accounts[from].iban[:], desc: descTo, discretionary: discretionary})
}

func (p *planner) inWindow(d day) bool { return d >= p.gen.windowStart && d <= p.gen.asOf }

// onPrimary reports whether a booking on day d can go to the primary
// account (inside the window, account open).
func (p *planner) onPrimary(d day) bool { return p.inWindow(d) && p.c.accounts[primary].isOpenOn(d) }

// inPrimaryCurrency converts a RON amount to minor units of the primary
// account's currency.
func (p *planner) inPrimaryCurrency(ron float64) int64 {
	return roundTo(ron/ronPer(p.c.accounts[primary].currency)*100, 1)
}

// openingDeposits funds the accounts opened inside the window.
func (p *planner) openingDeposits() {
	c, r := p.c, p.r
	for i := range c.accounts {
		a := &c.accounts[i]
		if !p.inWindow(a.opened) || a.kind == "loan" || a.kind == "card" {
			continue
		}
		amount := a.opening
		a.opening = 0
		if amount > 0 {
			p.add(event{at: a.opened.at(9+r.IntN(8), r.IntN(60), 0), account: int16(i), kind: kDeposit, channel: chBranch,
				amount: amount, counterpartyTo: c, desc: "Opening deposit"})
		}
	}
}

// income books salary, pension, business receipts, benefits and family
// allowances, on the same day every month.
func (p *planner) income() {
	c, r, gen := p.c, p.r, p.gen
	p.payday = oneOf(r, []int{5, 8, 10, 12, 14, 15, 25})
	jitter := func(x int64, sd float64) int64 { return max(100, roundTo(float64(x)*(1+sd*r.NormFloat64()), 1)) }
	for k := -12; k <= 0; k++ {
		d := gen.windowDay(k, p.payday).businessDay()
		if !p.onPrimary(d) {
			continue
		}
		month := gen.windowMonths[k+12].label
		at := d.at(6, r.IntN(60), r.IntN(60))
		switch c.employment {
		case "employed":
			amount := jitter(c.netMonthly, 0.02)
			if _, m, _ := d.date(); m == 12 && chance(r, 0.3) {
				amount += c.netMonthly / 2 // year-end bonus
			}
			p.add(event{at: at, account: primary, kind: kSalary, channel: chSystem, amount: amount,
				counterparty: c.employer, counterIBAN: c.employerIBAN, desc: "Salary", descTail: month})
		case "retired":
			p.add(event{at: at, account: primary, kind: kTransferIn, channel: chSystem, amount: jitter(c.netMonthly, 0),
				counterparty: "Casa Națională de Pensii Publice", counterIBAN: gen.pensionIBAN, desc: "Pension", descTail: month})
		case "self_employed":
			n := 1 + r.IntN(2)
			for j := range n {
				payer := oneOf(r, employerNames[sectorPrivate])
				p.add(event{at: (d + day(j*9)).businessDay().at(8+r.IntN(9), r.IntN(60), 0), account: primary, kind: kTransferIn,
					channel: chSystem, amount: jitter(c.netMonthly/int64(n), 0.35), counterparty: payer,
					counterIBAN: gen.employerIBAN(payer), desc: "Invoice payment"})
			}
		case "student", "unemployed", "homemaker":
			if c.netMonthly > 0 {
				payer, iban, desc := c.employer, c.employerIBAN, "Scholarship"
				if c.employment == "unemployed" {
					payer, iban, desc = "Agenția Județeană pentru Ocuparea Forței de Muncă", gen.pensionIBAN, "Unemployment benefit"
				}
				if iban == nil {
					iban = gen.employerIBAN(payer)
				}
				p.add(event{at: at, account: primary, kind: kTransferIn, channel: chSystem, amount: jitter(c.netMonthly, 0.05),
					counterparty: payer, counterIBAN: iban, desc: desc, descTail: month})
			}
			if c.employment != "unemployed" {
				from := "Family"
				if partner := c.partner(); partner != nil {
					from = partner.given.text + " " + partner.family.text
				}
				p.add(event{at: d.at(17, r.IntN(60), 0), account: primary, kind: kTransferIn, channel: chMobile,
					amount: p.inPrimaryCurrency(logNormal(r, 1_200, 0.4)), counterparty: from,
					counterIBAN: externalIBAN(uint64(c.index)*31 + 7), desc: "Allowance"})
			}
		}
	}
}

// rent books a standing order to the landlord: young people and the
// diaspora rent; most Romanians own their home. Rent is capped at 40 % of
// net income.
func (p *planner) rent() {
	c, r, gen := p.c, p.r, p.gen
	pRent := 0.05
	switch {
	case c.abroad:
		pRent = 0.6
	case c.age < 35:
		pRent = 0.35
	case c.age < 50:
		pRent = 0.12
	}
	netRON := float64(c.netMonthly) * ronPer(c.currency) / 100
	if !chance(r, pRent) || netRON < 2_500 {
		return
	}
	median := 1_600.0
	switch {
	case c.abroad:
		median = 4_500
	case c.cityRef.name == "București" || c.cityRef.name == "Cluj-Napoca":
		median = 2_300
	}
	rent := roundTo(math.Min(logNormal(r, median, 0.3), 0.4*netRON)/ronPer(c.accounts[primary].currency)*100, 5_000)
	landlord := oneOf(r, romanianNames.male).text + " " + oneOf(r, romanianNames.family).text
	iban := externalIBAN(uint64(c.index)*31 + 11)
	rentDay := between(r, 1, 5)
	for k := -12; k <= 0; k++ {
		if d := gen.windowDay(k, rentDay); p.onPrimary(d) {
			p.add(event{at: d.at(5, 0, 0), account: primary, kind: kStandingOrder, channel: chSystem, amount: -rent,
				counterparty: landlord, counterIBAN: iban, desc: "Rent", descTail: gen.windowMonths[k+12].label})
		}
	}
}

// utilityBills books direct debits to the same payees every month, for
// three clients in four (the others pay at the post office or from
// another bank); students living with their parents pay only their phone.
// Gas and heating bills peak in winter.
func (p *planner) utilityBills() {
	c, r, gen := p.c, p.r, p.gen
	if c.abroad || !chance(r, 0.75) {
		return
	}
	payees := gen.utilityPayees[:0]
	if c.employment == "student" {
		payees = append(payees, oneOf(r, utilitiesOf("mobile")))
	} else {
		payees = append(payees, oneOf(r, utilitiesOf(oneOf(r, []string{"electricity", "electricity", "mobile", "internet and TV"}))))
		if chance(r, 0.08) {
			payees = append(payees, oneOf(r, utilitiesOf(oneOf(r, []string{"gas", "heating", "water"}))))
		}
	}
	gen.utilityPayees = payees
	for _, ui := range payees {
		u := &utilities[ui]
		personal := logNormal(r, 1, 0.35)
		billDay := between(r, 15, 25)
		for k := -12; k <= 0; k++ {
			d := gen.windowDay(k, billDay)
			if !p.onPrimary(d) {
				continue
			}
			season := 1.0
			if _, m, _ := d.date(); u.seasonal {
				season = 1 + 0.8*math.Cos(float64(m-1)*math.Pi/6) // peak in January
			}
			bill := p.inPrimaryCurrency(math.Max(10, u.typical*personal*season*(1+0.08*r.NormFloat64())))
			p.add(event{at: d.at(5, r.IntN(60), 0), account: primary, kind: kDirectDebit, channel: chSystem, amount: -bill,
				counterparty: u.name, counterIBAN: gen.utilityIBANs[ui], desc: billDescriptions[u.kind], descTail: gen.windowMonths[k+12].label})
		}
	}
}

// pickMerchant returns one of the client's favourite merchants (a few
// places take most of anyone's card spending), now and then another.
func (p *planner) pickMerchant() *merchant {
	if chance(p.r, 0.1) {
		return &merchants[p.r.IntN(len(merchants))]
	}
	return &merchants[p.favourites[weights{45, 25, 15, 15}.pick(p.r)]]
}

// cardPayment books a purchase: at a till in the client's city, online or
// in an app, sized to the merchant's typical ticket and the client's income.
func (p *planner) cardPayment(acct int, d day, m *merchant) {
	c, r := p.c, p.r
	channel := uint8(chPOS)
	desc, tail := "POS", c.cityRef.name
	switch {
	case m.category == onlineShop || m.category == subscription || m.category == travel:
		channel, desc, tail = chWeb, "Online", ""
	case m.name == "Glovo" || m.name == "Tazz" || m.name == "Bolt" || m.name == "Uber":
		channel, desc, tail = chMobile, "In-app", ""
	}
	scale := math.Pow(math.Max(float64(c.netMonthly)*ronPer(c.currency)/100, 1_500)/5_000, 0.3)
	amount := roundTo(m.typical*scale*logNormal(r, 1, 0.5)/ronPer(c.accounts[acct].currency)*100, 1)
	p.add(event{at: d.at(7+r.IntN(14), r.IntN(60), r.IntN(60)), account: int16(acct), kind: kCardPayment, channel: channel,
		amount: -max(amount, 100), counterparty: m.name, desc: desc + " " + m.name, descTail: tail, discretionary: true})
}

// cardSpending books debit-card purchases (more for higher incomes) and,
// for one client in five, a monthly streaming subscription.
func (p *planner) cardSpending() {
	c, r, gen := p.c, p.r, p.gen
	p.favourites = [4]int{oneOf(r, merchantsIn(groceries)), r.IntN(len(merchants)), r.IntN(len(merchants)), oneOf(r, merchantsIn(fuel))}
	scale := math.Pow(math.Max(float64(c.netMonthly)*ronPer(c.currency)/100, 1_500)/5_000, 0.3)
	perMonth := 0.25 + 0.2*math.Min(2, scale)
	for k := -12; k <= 0; k++ {
		for range poisson(r, perMonth) {
			if d := gen.windowDay(k, 1) + day(r.IntN(28)); p.onPrimary(d) {
				p.cardPayment(primary, d, p.pickMerchant())
			}
		}
	}
	if !chance(r, 0.2) {
		return
	}
	m := &merchants[oneOf(r, merchantsIn(subscription))]
	subDay := between(r, 1, 28)
	for k := -12; k <= 0; k++ {
		if d := gen.windowDay(k, subDay); p.onPrimary(d) {
			p.add(event{at: d.at(3, 0, 0), account: primary, kind: kCardPayment, channel: chWeb,
				amount: -p.inPrimaryCurrency(m.typical), counterparty: m.name, desc: "Online " + m.name, discretionary: true})
		}
	}
}

// cash books ATM withdrawals: older clients still withdraw often, the
// young rarely.
func (p *planner) cash() {
	c, r, gen := p.c, p.r, p.gen
	perMonth := 0.08
	switch {
	case c.age >= 65:
		perMonth = 0.35
	case c.age >= 40:
		perMonth = 0.15
	}
	for k := -12; k <= 0; k++ {
		for range poisson(r, perMonth) {
			if d := gen.windowDay(k, 1) + day(r.IntN(28)); p.onPrimary(d) {
				p.add(event{at: d.at(7+r.IntN(13), r.IntN(60), 0), account: primary, kind: kATM, channel: chATM,
					amount: -max(5_000, roundTo(logNormal(r, 300, 0.5)/ronPer(c.accounts[primary].currency)*100, 5_000)),
					desc:   "ATM withdrawal", descTail: c.cityRef.name, discretionary: true})
			}
		}
	}
}

// otherAccounts books what happens on the client's other accounts.
func (p *planner) otherAccounts() {
	saverPlaced := false
	for i := range p.c.accounts {
		switch p.c.accounts[i].kind {
		case "savings":
			saverPlaced = p.savings(i, saverPlaced) || saverPlaced
		case "term_deposit":
			p.termDeposit(i)
		case "current":
			if i != primary {
				p.foreignCurrency(i)
			}
		case "loan":
			p.loan(i)
		case "card":
			p.creditCard(i)
		case "brokerage":
			p.trades(i)
		}
	}
}

// savings books a monthly standing order from the current account (for
// some savers, on one savings account) and the quarterly interest. It
// reports whether it placed the standing order.
func (p *planner) savings(i int, saverPlaced bool) bool {
	c, r, gen := p.c, p.r, p.gen
	a, main := &c.accounts[i], &c.accounts[primary]
	placed := false
	if !saverPlaced && a.currency == main.currency && c.netMonthly > 0 && chance(r, 0.3) {
		placed = true
		amount := max(5_000, roundTo(float64(c.netMonthly)*(0.05+0.15*r.Float64()), 5_000))
		soDay := min(28, p.payday+1)
		for k := -12; k <= 0; k++ {
			if d := gen.windowDay(k, soDay); p.onPrimary(d) && a.isOpenOn(d) {
				p.transfer(d.at(5, 30, 0), primary, i, amount, kStandingOrder, kTransferIn,
					"Transfer to savings", "Standing order from current account", true, chSystem)
			}
		}
	}
	for k := -12; k <= 0; k++ {
		d := gen.windowDay(k, 31)
		if _, m, _ := d.date(); m%3 == 0 && p.inWindow(d) && a.isOpenOn(d) {
			p.add(event{at: d.at(22, 0, 0), account: int16(i), kind: kInterest, channel: chSystem,
				interestQuarter: true, desc: "Interest", descTail: gen.windowMonths[k+12].label})
		}
	}
	return placed
}

// termDeposit pays out a deposit that matures inside the window: interest
// for the term, then principal and interest back to the current account.
func (p *planner) termDeposit(i int) {
	c := p.c
	a, main := &c.accounts[i], &c.accounts[primary]
	if a.closed == noDay || !p.inWindow(a.closed) {
		return
	}
	principal := a.opening
	if p.inWindow(a.opened) {
		principal = p.openingDeposit(i)
	}
	interest := (principal*a.rate*int64(monthsBetween(a.opened, a.maturity))/12 + 500_000) / 1_000_000
	at := a.closed.at(4, 0, 0)
	if interest > 0 {
		p.add(event{at: at, account: int16(i), kind: kInterest, channel: chSystem, amount: interest, desc: "Interest at maturity"})
	}
	if main.currency == a.currency && main.isOpenOn(a.closed) {
		p.transfer(at+1, i, primary, principal+interest, kTransferOut, kTransferIn,
			"Deposit matured", "Matured term deposit", false, chSystem)
		return
	}
	p.add(event{at: at + 1, account: int16(i), kind: kTransferOut, channel: chSystem,
		amount: -(principal + interest), counterpartyTo: c, desc: "Deposit matured"})
}

// openingDeposit finds the opening deposit already planned for account i.
func (p *planner) openingDeposit(i int) int64 {
	for _, e := range p.evs {
		if int(e.account) == i && e.kind == kDeposit {
			return e.amount
		}
	}
	return 0
}

// foreignCurrency books currency bought for travel on a EUR or USD
// account, then spent abroad.
func (p *planner) foreignCurrency(i int) {
	c, r, gen := p.c, p.r, p.gen
	a, main := &c.accounts[i], &c.accounts[primary]
	for range 1 + r.IntN(2) {
		d := gen.windowStart + day(r.IntN(int(gen.asOf-gen.windowStart)))
		if !a.isOpenOn(d) || !main.isOpenOn(d) {
			continue
		}
		bought := roundTo(logNormal(r, 600, 0.6)*100, 100)
		paid := roundTo(float64(bought)*ronPer(a.currency)/ronPer(main.currency), 1)
		p.pairs++
		at := d.at(10+r.IntN(8), r.IntN(60), 0)
		p.add(event{at: at, pair: p.pairs, account: primary, kind: kTransferOut, channel: chMobile, amount: -paid,
			counterpartyTo: c, counterIBAN: a.iban[:], desc: "Currency exchange", descTail: a.currency, discretionary: true})
		p.add(event{at: at, pair: p.pairs, account: int16(i), kind: kTransferIn, channel: chMobile, amount: bought,
			counterpartyTo: c, counterIBAN: main.iban[:], desc: "Currency exchange", discretionary: true})
		for range r.IntN(3) {
			if pd := d + day(1+r.IntN(20)); pd <= gen.asOf {
				p.cardPayment(i, pd, &merchants[oneOf(r, merchantsIn(travel))])
			}
		}
	}
}

// loan books the disbursement and monthly repayments of an internal loan:
// the current account pays the whole instalment, the loan account is
// credited with its principal part; months the credit history shows as
// missed have no payment. The opening balance is set so the loan account
// ends at minus the outstanding principal.
func (p *planner) loan(i int) {
	c, r, gen := p.c, p.r, p.gen
	a := &c.accounts[i]
	l := &c.lines[a.line]
	var repaid int64
	for mi := range l.history.months[:l.history.n] {
		m := &l.history.months[mi]
		d := l.paidOn(m)
		if d < gen.windowStart || m.paid == 0 {
			continue
		}
		repaid += m.principal
		at := d.at(4, 30, 0)
		if c.accounts[primary].currency == a.currency && c.accounts[primary].isOpenOn(d) {
			p.add(event{at: at, account: primary, kind: kLoanRepayment, channel: chSystem, amount: -m.paid,
				counterparty: ownBank, counterIBAN: a.iban[:], desc: "Loan instalment", descTail: gen.monthLabel(d)})
		}
		if m.principal > 0 {
			p.add(event{at: at, account: int16(i), kind: kLoanRepayment, channel: chSystem, amount: m.principal,
				counterpartyTo: c, desc: "Principal repaid", descTail: gen.monthLabel(d)})
		}
	}
	if a.opened < gen.windowStart {
		a.opening = -(l.history.balance + repaid)
		return
	}
	a.opening = 0
	at := a.opened.at(11, r.IntN(60), 0)
	if l.kind == "consumer_loan" && c.accounts[primary].currency == a.currency {
		p.transfer(at, i, primary, l.limit, kTransferOut, kTransferIn, "Loan disbursement", "Loan disbursement", false, chSystem)
		return
	}
	seller := "Auto Dealer Carpați SRL"
	if l.kind == "mortgage" {
		seller = oneOf(r, romanianNames.male).text + " " + oneOf(r, romanianNames.family).text
	}
	p.add(event{at: at, account: int16(i), kind: kTransferOut, channel: chBranch, amount: -l.limit,
		counterparty: seller, counterIBAN: externalIBAN(uint64(c.index)*31 + 13), desc: "Loan disbursement"})
}

// creditCard books purchases on an internal credit card (declined at the
// limit) and the monthly repayments the credit history shows, as top-ups
// from the current account.
func (p *planner) creditCard(i int) {
	c, r, gen := p.c, p.r, p.gen
	a := &c.accounts[i]
	l := &c.lines[a.line]
	a.opening = -l.history.balance
	if a.opened >= gen.windowStart {
		a.opening = 0
	}
	for mi := range l.history.months[:l.history.n] {
		m := &l.history.months[mi]
		d := l.paidOn(m)
		if d < gen.windowStart || m.paid == 0 || !a.isOpenOn(d) {
			continue
		}
		if c.accounts[primary].currency == a.currency && c.accounts[primary].isOpenOn(d) {
			p.transfer(d.at(6, 15, 0), primary, i, m.paid, kCardTopUp, kCardTopUp, "Credit card repayment", "Repayment from current account", false, chSystem)
		} else {
			p.add(event{at: d.at(6, 15, 0), account: int16(i), kind: kCardTopUp, channel: chWeb, amount: m.paid,
				counterpartyTo: c, desc: "Repayment"})
		}
	}
	if l.history.status != "active" {
		return // a defaulted card is blocked
	}
	for k := -12; k <= 0; k++ {
		for range poisson(r, 0.7) {
			if d := gen.windowDay(k, 1) + day(r.IntN(28)); p.inWindow(d) && a.isOpenOn(d) {
				p.cardPayment(i, d, p.pickMerchant())
			}
		}
	}
}

// trades books the purchases of positions opened inside the window (those
// in the account's currency), each funded by a transfer from the client's
// account at another bank, so the purchase never depends on the current
// account's balance.
func (p *planner) trades(i int) {
	c, r, gen := p.c, p.r, p.gen
	a := &c.accounts[i]
	gen.holdings = gen.drawHoldings(c, a, gen.holdings)
	for _, h := range gen.holdings {
		if h.opened < gen.windowStart || h.in.currency != a.currency {
			continue
		}
		cost := tradeValue(h.quantity, h.cost, h.in.kind == "option")
		at := h.opened.at(8+r.IntN(8), r.IntN(60), r.IntN(60))
		p.add(event{at: at, account: int16(i), kind: kTransferIn, channel: chWeb, amount: cost, counterpartyTo: c,
			counterIBAN: externalIBAN(uint64(c.index)*31 + 17), desc: "Funding from own account"})
		p.add(event{at: at + 1, account: int16(i), kind: kTrade, channel: chWeb, amount: -cost,
			counterparty: h.in.symbol, desc: "Buy " + h.in.symbol})
	}
}

// premiums books insurance premiums collected by direct debit or paid by
// transfer from an account in the policy's currency (card payments go
// through the insurer's site, cash is paid at its office).
func (p *planner) premiums() {
	c, gen := p.c, p.gen
	gen.schedulePremiums(c, func(pol *policy, inst *instalment) {
		if !inst.paid || !p.inWindow(inst.paidAt.day()) || inst.method == "cash" || inst.method == "card" {
			return
		}
		for i := range c.accounts {
			a := &c.accounts[i]
			if a.kind == "current" && a.currency == pol.currency && a.isOpenOn(inst.paidAt.day()) {
				channel := uint8(chSystem)
				if inst.method != "direct_debit" {
					channel = chWeb
				}
				p.add(event{at: inst.paidAt, account: int16(i), kind: kPremium, channel: channel, amount: -inst.amount,
					counterparty: pol.insurer, counterIBAN: gen.insurerIBANs[pol.insurerIndex], desc: "Premium", policy: pol})
				return
			}
		}
	})
}

var transactionColumns = []string{
	"id", "account_id", "client_id", "booked_at", "value_date", "amount", "currency", "kind",
	"counterparty_name", "counterparty_iban", "description", "channel",
}

func (gen *generator) writeTransactions(w *rowWriter) error {
	emit := func(c *client, e *event) {
		a := &c.accounts[e.account]
		gen.counters.transactions++
		w.row(len(transactionColumns))
		w.int8(gen.counters.transactions)
		w.int8(a.id)
		w.int8(c.id)
		w.timestamptz(e.at)
		w.date(e.at.day().businessDay())
		w.money(e.amount)
		w.text(a.currency)
		w.text(txKinds[e.kind])
		if e.counterpartyTo != nil {
			start := w.beginText()
			w.buf = append(append(append(w.buf, e.counterpartyTo.given.text...), ' '), e.counterpartyTo.family.text...)
			w.endText(start)
		} else {
			w.textOrNull(e.counterparty)
		}
		if e.counterIBAN != nil {
			w.bytes(e.counterIBAN)
		} else {
			w.null()
		}
		start := w.beginText()
		w.buf = append(w.buf, e.desc...)
		if e.descTail != "" {
			w.buf = append(append(w.buf, ' '), e.descTail...)
		}
		if e.policy != nil {
			w.buf = e.policy.appendNumber(append(w.buf, ' '))
		}
		w.endText(start)
		w.text(txChannels[e.channel])
	}
	return gen.forEachGroup(w, needBanking, func(grp *group) {
		for _, c := range grp.members {
			gen.simulateBanking(c, emit)
		}
	})
}
