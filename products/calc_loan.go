package products

import (
	"math"
	"math/big"
	"math/bits"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
)

// RepaymentMethod is how a loan's principal is paid back month by month.
type RepaymentMethod string

const (
	// AnnuityRepayment pays the loan back in equal monthly instalments of
	// interest plus principal; the principal part grows as interest falls.
	AnnuityRepayment RepaymentMethod = "annuity"
	// LinearRepayment pays back an equal part of the principal every month
	// plus the interest on what is left, so instalments fall over time.
	LinearRepayment RepaymentMethod = "linear"
)

// LoanRequest is what a client enters in the loan calculator. It is also the
// body of the calculator's JSON API.
type LoanRequest struct {
	// Principal is the amount lent (the "total amount of credit").
	Principal ecrm.Money `json:"principal"`
	// Months is the term: the number of monthly instalments, the first one
	// month after the drawdown.
	Months int `json:"months"`
	// NominalAnnualRate is the borrowing rate as a fraction: 0.06 is 6 % a
	// year, charged as 0.5 % a month.
	NominalAnnualRate decimal.Decimal `json:"nominal_annual_rate"`
	// Repayment is annuity (equal instalments, the default when empty) or
	// linear (equal principal parts).
	Repayment RepaymentMethod `json:"repayment,omitempty"`
	// UpfrontFee is charged when the loan is drawn down (deducted from the
	// amount paid out or paid at signing; the APR is the same either way).
	// Zero when absent; a missing currency means the principal's.
	UpfrontFee ecrm.Money `json:"upfront_fee,omitzero"`
	// MonthlyFee is added to every instalment (an account or administration
	// fee). Zero when absent; a missing currency means the principal's.
	MonthlyFee ecrm.Money `json:"monthly_fee,omitzero"`
	// FirstPaymentDate ("2026-03-31"), when given, dates the instalments;
	// later instalments fall on the same day of each following month, or on
	// the month's last day when it is shorter. Dates do not change the
	// amounts: interest is charged per month, not per day.
	FirstPaymentDate string `json:"first_payment_date,omitempty"`
}

// Instalment is one row of a repayment schedule.
type Instalment struct {
	Number int `json:"number"`
	// DueDate is "YYYY-MM-DD", present when the request gave a first
	// payment date.
	DueDate string `json:"due_date,omitempty"`
	// Payment is what the client pays: Principal + Interest + Fee.
	Payment   ecrm.Money `json:"payment"`
	Principal ecrm.Money `json:"principal"`
	Interest  ecrm.Money `json:"interest"`
	Fee       ecrm.Money `json:"fee"`
	// Balance is the principal still owed after this instalment.
	Balance ecrm.Money `json:"balance"`
}

// LoanSchedule is the result of the loan calculator: every instalment and
// the totals the Consumer Credit Directive asks a lender to show.
type LoanSchedule struct {
	Principal         ecrm.Money      `json:"principal"`
	Months            int             `json:"months"`
	NominalAnnualRate decimal.Decimal `json:"nominal_annual_rate"`
	Repayment         RepaymentMethod `json:"repayment"`
	UpfrontFee        ecrm.Money      `json:"upfront_fee"`
	MonthlyFee        ecrm.Money      `json:"monthly_fee"`

	// MonthlyPayment is the first instalment's payment; for an annuity
	// every instalment but the last is equal to it.
	MonthlyPayment ecrm.Money `json:"monthly_payment"`
	// LastPayment is the last instalment's payment, which absorbs the
	// rounding of all the others.
	LastPayment ecrm.Money `json:"last_payment"`
	// TotalInterest is the sum of the instalments' interest.
	TotalInterest ecrm.Money `json:"total_interest"`
	// TotalFees is the upfront fee plus every monthly fee.
	TotalFees ecrm.Money `json:"total_fees"`
	// TotalCost is interest plus fees: the directive's "total cost of the
	// credit to the consumer".
	TotalCost ecrm.Money `json:"total_cost"`
	// TotalPayable is principal plus total cost: the directive's "total
	// amount payable by the consumer".
	TotalPayable ecrm.Money `json:"total_payable"`
	// APR is the annual percentage rate of charge as a fraction rounded to 4
	// places (0.0617 is 6.17 %), computed as AnnualPercentageRate states.
	APR decimal.Decimal `json:"apr"`

	Instalments []Instalment `json:"instalments"`
}

// workingPlaces is the number of decimal places kept in the one
// intermediate result that cannot be exact, the annuity factor (1+r)^n. At
// 40 places its error is about 10^-30 of the payment, far below the half
// cent that decides the payment's rounding.
const workingPlaces = 40

// loanTerms is a validated LoanRequest with its amounts normalised to the
// currency's minor units.
type loanTerms struct {
	currency   string
	units      int32 // decimal places of the currency
	principal  decimal.Decimal
	months     int
	rate       decimal.Decimal // nominal annual, fraction
	method     RepaymentMethod
	upfrontFee decimal.Decimal
	monthlyFee decimal.Decimal
	firstDue   time.Time
	dated      bool
}

// Validate reports every invalid field of the request in one *ecrm.Error
// with code EINVALID; each field error names the JSON field
// ("principal.amount", "months", ...) and the range allowed.
func (r LoanRequest) Validate() error {
	_, err := r.terms("")
	return err
}

func (r LoanRequest) terms(prefix string) (loanTerms, error) {
	p := fieldProblems{prefix: prefix}
	t := loanTerms{currency: r.Principal.Currency, months: r.Months, method: r.Repayment}
	var principalOK bool
	t.principal, t.units, principalOK = p.principal("principal", r.Principal)
	p.termMonths("months", r.Months, MinLoanMonths, MaxLoanMonths)
	t.rate = p.rate("nominal_annual_rate", r.NominalAnnualRate)
	switch t.method {
	case "":
		t.method = AnnuityRepayment
	case AnnuityRepayment, LinearRepayment:
	default:
		p.add("repayment", "must be %q or %q", AnnuityRepayment, LinearRepayment)
	}
	if principalOK {
		// The upfront fee must leave something to lend, or the APR has no
		// meaning; a monthly fee above the whole loan is not a real offer.
		t.upfrontFee = p.fee("upfront_fee", r.UpfrontFee, t.currency, t.units, t.principal, true)
		t.monthlyFee = p.fee("monthly_fee", r.MonthlyFee, t.currency, t.units, t.principal, false)
	}
	t.firstDue, t.dated = p.date("first_payment_date", r.FirstPaymentDate)
	return t, p.err()
}

// CalculateLoan validates the request and returns its repayment schedule,
// totals and APR.
//
// Rounding rule (shown to the client with the schedule):
//   - Interest for a month is the balance owed times the nominal annual rate
//     divided by 12, computed exactly and rounded half away from zero to the
//     currency's minor units (cents; whole yen).
//   - Annuity: the payment P·r / (1 − (1+r)^−n), with r the nominal rate / 12
//     and n the number of months, is computed to 40 decimal places and
//     rounded half away from zero to minor units. Each instalment's principal
//     is the payment minus that month's interest.
//   - Linear: each instalment's principal is P / n rounded half away from
//     zero to minor units.
//   - The last instalment repays the whole remaining balance plus its
//     interest, so the principal repaid equals the amount lent exactly and
//     the last payment differs from the others by the accumulated rounding.
//   - At a zero rate there is no interest and the annuity payment is P / n.
//
// The rounding of the payment compounds over the term at the monthly rate.
// For ordinary loans that moves the last instalment by cents; for extreme
// combinations of a high rate and a long term (e.g. 100 % over 40 years) it
// can move it a lot. Two guards keep every schedule sound: a month's
// principal is never negative (the payment then covers the interest only)
// and never more than the balance (the loan is then repaid by that
// instalment and the schedule ends before Months instalments).
func CalculateLoan(req LoanRequest) (LoanSchedule, error) {
	t, err := req.terms("")
	if err != nil {
		return LoanSchedule{}, err
	}
	return t.schedule()
}

func (t loanTerms) schedule() (LoanSchedule, error) {
	n := t.months
	rows := make([]Instalment, 0, n)
	fee := money(t.monthlyFee, t.currency)
	var regular ecrm.Money // the first payment's Money, shared by the rows paying the same
	var firstPayment int64
	a, err := t.amortise(make([]timedAmount, 0, n), func(k int, principal, interest, balance, payment int64) {
		row := Instalment{
			Number:    k,
			Principal: t.minorMoney(principal),
			Interest:  t.minorMoney(interest),
			Fee:       fee,
			Balance:   t.minorMoney(balance),
		}
		switch {
		case k == 1:
			firstPayment, regular = payment, t.minorMoney(payment)
			row.Payment = regular
		case payment == firstPayment:
			row.Payment = regular
		default:
			row.Payment = t.minorMoney(payment)
		}
		if t.dated {
			row.DueDate = AddMonthsClamped(t.firstDue, k-1).Format(dateLayout)
		}
		rows = append(rows, row)
	})
	if err != nil {
		return LoanSchedule{}, err
	}
	return LoanSchedule{
		Principal:         money(t.principal, t.currency),
		Months:            t.months,
		NominalAnnualRate: t.rate,
		Repayment:         t.method,
		UpfrontFee:        money(t.upfrontFee, t.currency),
		MonthlyFee:        fee,
		MonthlyPayment:    rows[0].Payment,
		LastPayment:       rows[len(rows)-1].Payment,
		TotalInterest:     t.minorMoney(a.totalInterest),
		TotalFees:         t.minorMoney(a.totalFees),
		TotalCost:         t.minorMoney(a.totalCost),
		TotalPayable:      t.minorMoney(a.lent + a.totalCost),
		APR:               a.apr,
		Instalments:       rows,
	}, nil
}

// loanSummary is what an offer shows of a loan: the headline figures of
// its schedule, without the rows. Each figure is the one CalculateLoan
// returns for the same request (TestLoanSummaryMatchesSchedule).
type loanSummary struct {
	UpfrontFee     ecrm.Money
	MonthlyFee     ecrm.Money
	MonthlyPayment ecrm.Money
	TotalCost      ecrm.Money
	TotalPayable   ecrm.Money
	APR            decimal.Decimal
}

// summariseLoan validates the request like CalculateLoan and returns the
// schedule's headline figures. It walks the same schedule in minor units
// but builds no Instalment rows: matching prices dozens of loans per
// request and shows only these figures.
func summariseLoan(req LoanRequest) (loanSummary, error) {
	t, err := req.terms("")
	if err != nil {
		return loanSummary{}, err
	}
	flows := flowBuffers.Get().(*[]timedAmount)
	defer flowBuffers.Put(flows)
	a, err := t.amortise((*flows)[:0], nil)
	if err != nil {
		return loanSummary{}, err
	}
	return loanSummary{
		UpfrontFee:     money(t.upfrontFee, t.currency),
		MonthlyFee:     money(t.monthlyFee, t.currency),
		MonthlyPayment: t.minorMoney(a.firstPayment),
		TotalCost:      t.minorMoney(a.totalCost),
		TotalPayable:   t.minorMoney(a.lent + a.totalCost),
		APR:            a.apr,
	}, nil
}

// flowBuffers recycles the APR's repayment flows between summaries.
var flowBuffers = sync.Pool{New: func() any {
	b := make([]timedAmount, 0, MaxLoanMonths)
	return &b
}}

// amortisation is a schedule walked in minor units: what both the full
// schedule and the summary read from it.
type amortisation struct {
	lent          int64
	firstPayment  int64
	totalInterest int64
	totalFees     int64
	totalCost     int64
	apr           decimal.Decimal
}

// amortise walks the schedule and solves its APR. It calls row, when not
// nil, with each instalment in minor units, and collects the repayment
// flows for the APR in flows (which it may grow).
//
// The schedule is computed in integers: amounts in minor units (cents, yen)
// and the rate in units of 10^-8, the finest rate accepted. Every step is
// then exact integer arithmetic, the same numbers decimal arithmetic would
// give, without a heap allocation per operation — which is what keeps a
// 40-year schedule well under a millisecond.
func (t loanTerms) amortise(flows []timedAmount, row func(k int, principal, interest, balance, payment int64)) (amortisation, error) {
	n := t.months
	lent := toMinor(t.principal, t.units)
	rate := t.rate.Shift(MaxRateDecimalPlaces).IntPart()
	monthlyFee := toMinor(t.monthlyFee, t.units)
	upfrontFee := toMinor(t.upfrontFee, t.units)
	var regularPrincipal, regularPayment int64
	switch t.method {
	case AnnuityRepayment:
		regularPayment = annuityMinor(lent, rate, n)
	case LinearRepayment:
		regularPrincipal = divRoundHalfUp(lent, 1, int64(n))
	}

	minorUnit := math.Pow10(int(t.units))
	balance := lent
	var totalInterest, firstPayment int64
	count := 0
	for k := 1; k <= n && balance > 0; k++ {
		interest := divRoundHalfUp(balance, rate, 12*rateDenominator)
		var principal int64
		switch {
		case k == n:
			principal = balance
		case t.method == AnnuityRepayment:
			principal = regularPayment - interest
		default:
			principal = regularPrincipal
		}
		principal = max(0, min(principal, balance))
		balance -= principal
		payment := principal + interest + monthlyFee
		totalInterest += interest
		if k == 1 {
			firstPayment = payment
		}
		if row != nil {
			row(k, principal, interest, balance, payment)
		}
		flows = append(flows, timedAmount{years: float64(k) / 12, amount: float64(payment) / minorUnit})
		count++
	}

	totalFees := upfrontFee + monthlyFee*int64(count)
	// The upfront fee is paid when the loan is drawn down, so for the APR
	// the consumer receives the principal less the fee (Annex I: charges
	// are repayments; a charge at t = 0 nets against the drawdown). Both
	// are whole minor units below 2^53, so the quotient is the float64
	// nearest the exact amount, as Decimal.InexactFloat64 gives it.
	drawdown := [1]timedAmount{{amount: float64(lent-upfrontFee) / minorUnit}}
	apr, err := solveAPR(drawdown[:], flows)
	if err != nil {
		return amortisation{}, err
	}
	return amortisation{
		lent:          lent,
		firstPayment:  firstPayment,
		totalInterest: totalInterest,
		totalFees:     totalFees,
		totalCost:     totalInterest + totalFees,
		apr:           roundAPR(apr),
	}, nil
}

// rateDenominator turns a rate in units of 10^-8 back into a fraction.
const rateDenominator = 100_000_000 // 10^MaxRateDecimalPlaces

// toMinor returns an amount that has at most units decimal places as an
// integer number of minor units (12.34 EUR → 1234). Validation bounds every
// amount to MaxPrincipal, far inside int64.
func toMinor(amount decimal.Decimal, units int32) int64 {
	return amount.Shift(units).IntPart()
}

// minorMoney turns minor units back into Money of the loan's currency.
func (t loanTerms) minorMoney(minor int64) ecrm.Money {
	return money(decimal.New(minor, -t.units), t.currency)
}

// divRoundHalfUp returns x·y/d for non-negative x, y and positive d,
// rounded half away from zero, exactly: the product is formed in 128 bits,
// so balance × rate never overflows.
func divRoundHalfUp(x, y, d int64) int64 {
	hi, lo := bits.Mul64(uint64(x), uint64(y))
	q, r := bits.Div64(hi, lo, uint64(d)) // q fits: x·y/d ≤ x for the loans here
	if r >= uint64(d)-r {
		q++
	}
	return int64(q)
}

// annuityMinor returns the level monthly payment P·r / (1 − (1+r)^−n) in
// minor units, for lent minor units, the nominal annual rate in units of
// 10^-8 and n months, exactly as annuityMinorExact rounds it.
//
// It first estimates the quotient in float64 as P·r / −expm1(−n·log1p(r)):
// each step is within a few units in the last place, so the estimate is
// within a relative 10^-14 of the exact quotient. Unless the estimate lies
// within a relative annuityFloatMargin (a thousand times that) of a half
// minor unit, where the two could round differently, rounding it half up
// gives the exact payment; otherwise the exact computation decides. The
// estimate costs tens of nanoseconds, the exact arithmetic microseconds.
func annuityMinor(lent, rate int64, months int) int64 {
	if rate == 0 {
		return divRoundHalfUp(lent, 1, int64(months))
	}
	r := float64(rate) / (12 * rateDenominator)
	x := float64(lent) * r / -math.Expm1(-float64(months)*math.Log1p(r))
	if x > 0 && x < 1<<52 {
		whole := math.Floor(x)
		frac := x - whole // exact: x and whole are within 1 of each other
		if math.Abs(frac-0.5) > x*annuityFloatMargin {
			if frac > 0.5 {
				whole++
			}
			return int64(whole)
		}
	}
	return annuityMinorExact(lent, rate, months)
}

// annuityFloatMargin is how close, relative to the payment, the float64
// estimate of annuityMinor may come to a half minor unit before the exact
// computation is asked.
const annuityFloatMargin = 1e-11

// annuityMinorExact returns the level monthly payment P·r / (1 − (1+r)^−n)
// in minor units, for lent minor units, the nominal annual rate in units of
// 10^-8 and n months, with r = nominal / 12 rounded half away from zero to
// workingPlaces decimal places. It is computed as P·r·q / (q − 1) with
// q = (1+r)^n by repeated squaring, every product truncated to
// workingPlaces decimal places (as powTruncated does), so that q is the
// only inexact step; the quotient is rounded half away from zero to minor
// units. The numbers are integers counting 10^-workingPlaces, so every
// step is exact and the scratch integers are reused between calls.
func annuityMinorExact(lent, rate int64, months int) int64 {
	if rate == 0 {
		return divRoundHalfUp(lent, 1, int64(months))
	}
	z := annuityScratches.Get().(*annuityScratch)
	defer annuityScratches.Put(z)
	// r = rate·10^-8 / 12 at 10^-40: rate·10^32 / 12, rounded half up.
	z.r.SetInt64(rate)
	z.t.Mul(&z.r, tenPow32)
	z.r.QuoRem(&z.t, big12, &z.rem)
	if z.rem.Int64() >= 6 {
		z.r.Add(&z.r, bigOne)
	}
	// q = (1+r)^n, truncated to 40 places after every product.
	z.base.Add(workingOne, &z.r)
	z.q.Set(workingOne)
	for n := months; n > 0; {
		if n&1 == 1 {
			z.t.Mul(&z.q, &z.base)
			z.q.QuoRem(&z.t, workingOne, &z.rem)
		}
		n >>= 1
		if n > 0 {
			z.t.Mul(&z.base, &z.base)
			z.base.QuoRem(&z.t, workingOne, &z.rem)
		}
	}
	// payment in minor units = lent·r·q / (10^40·(q − 10^40)), rounded
	// half up: the quotient plus one when twice the remainder reaches the
	// divisor.
	z.base.SetInt64(lent)
	z.t.Mul(&z.base, &z.r)
	z.num.Mul(&z.t, &z.q)
	z.t.Sub(&z.q, workingOne)
	z.den.Mul(&z.t, workingOne)
	z.q.QuoRem(&z.num, &z.den, &z.rem)
	z.rem.Lsh(&z.rem, 1)
	payment := z.q.Int64()
	if z.rem.Cmp(&z.den) >= 0 {
		payment++
	}
	return payment
}

// annuityScratch holds annuityMinorExact's intermediate integers, whose digits
// are reused from one call to the next.
type annuityScratch struct{ r, q, base, t, num, den, rem big.Int }

var (
	annuityScratches = sync.Pool{New: func() any { return new(annuityScratch) }}
	// workingOne is 1 at workingPlaces decimal places.
	workingOne = new(big.Int).Exp(big.NewInt(10), big.NewInt(workingPlaces), nil)
	tenPow32   = new(big.Int).Exp(big.NewInt(10), big.NewInt(workingPlaces-MaxRateDecimalPlaces), nil)
	big12      = big.NewInt(12)
	bigOne     = big.NewInt(1)
)

// powTruncated returns base^n for n ≥ 0 by repeated squaring, truncating
// every product to places decimal places so the operands stay short.
func powTruncated(base decimal.Decimal, n int, places int32) decimal.Decimal {
	result := decimal.NewFromInt(1)
	for n > 0 {
		if n&1 == 1 {
			result = result.Mul(base).Truncate(places)
		}
		n >>= 1
		if n > 0 {
			base = base.Mul(base).Truncate(places)
		}
	}
	return result
}

// AddMonthsClamped returns the date months after d on the same day of the
// month, or on the last day of a shorter month (31 January + 1 month is 28
// or 29 February, + 2 months is 31 March), the way lenders date instalments.
// time.AddDate would roll 31 January + 1 month over into March.
func AddMonthsClamped(d time.Time, months int) time.Time {
	year, month, day := d.Date()
	firstOfMonth := time.Date(year, month+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
	lastDay := firstOfMonth.AddDate(0, 1, -1).Day()
	if day > lastDay {
		day = lastDay
	}
	return time.Date(firstOfMonth.Year(), firstOfMonth.Month(), day, 0, 0, 0, 0, time.UTC)
}
