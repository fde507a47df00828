package crosssell

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/products"
)

// The value of an offer is the margin the firm expects to earn from it in
// its first year, worked out from the offer's own terms with these
// assumptions of nbo-1 (docs/next-best-offer.md). They are deliberately
// simple and stated: a bank's treasury would supply its transfer prices.

// fundingRates are what money costs (loans) or is worth (deposits) to
// the firm per currency, a year: about each currency's interbank rate in
// late 2026 (ROBOR 3M, €STR, SOFR).
var fundingRates = map[string]decimal.Decimal{
	"RON": decimal.RequireFromString("0.0600"),
	"EUR": decimal.RequireFromString("0.0200"),
	"USD": decimal.RequireFromString("0.0400"),
}

var (
	// defaultFunding for a currency without its own rate.
	defaultFunding = decimal.RequireFromString("0.0300")
	// depositFloor: a deposit paying about the funding rate still brings
	// the firm the relationship and stable funding; valued at a quarter
	// of a percent a year.
	depositFloor = decimal.RequireFromString("0.0025")
	// insuranceCommission: the share of the premium an insurer pays the
	// distributor (20 %, the usual order for retail non-life and term life
	// in Romania).
	insuranceCommission = decimal.RequireFromString("0.20")
	// investmentShare: the firm's share of a fund's ongoing charges as its
	// distributor, or, for a bond or a product without ongoing charges,
	// the custody fee charged on the amount (0.2 % a year).
	investmentShare = decimal.RequireFromString("0.50")
	custodyFee      = decimal.RequireFromString("0.002")
	twelve          = decimal.NewFromInt(12)
)

// expectedMargin is the first year's margin of the offer in euros at the
// reference rates (rounded to the cent, never below zero) and how it was
// worked out, for the decision record.
func expectedMargin(p products.Product, req products.MatchRequest, t products.Terms) (decimal.Decimal, string) {
	funding, ok := fundingRates[p.Currency]
	if !ok {
		funding = defaultFunding
	}
	amount := req.Amount.Amount
	rate := decimal.Zero
	if t.NominalAnnualRate != nil {
		rate = *t.NominalAnnualRate
	}
	years := decimal.NewFromInt(int64(max(req.Months, 12))).Div(twelve)
	var margin decimal.Decimal
	var how string
	switch {
	case p.Kind == "consumer_loan" || p.Kind == "mortgage":
		spread := decimal.Max(rate.Sub(funding), decimal.Zero)
		margin = amount.Mul(spread)
		if t.MonthlyFee != nil {
			margin = margin.Add(t.MonthlyFee.Amount.Mul(twelve))
		}
		if t.UpfrontFee != nil {
			margin = margin.Add(t.UpfrontFee.Amount.Div(years))
		}
		how = fmt.Sprintf("loan: amount × (rate %s − funding %s) + monthly fees × 12 + upfront fee ÷ %s years", rate, funding, years.StringFixed(2))
	case p.Kind == "savings_account" || p.Kind == "term_deposit":
		spread := decimal.Max(funding.Sub(rate), depositFloor)
		margin = amount.Mul(spread)
		how = fmt.Sprintf("deposit: amount × max(funding %s − rate %s, %s)", funding, rate, depositFloor)
	case p.Line == products.LineBrokerage:
		charges := p.Definition.OngoingCharges.Mul(investmentShare)
		if charges.IsZero() {
			charges = custodyFee
		}
		margin = amount.Mul(charges)
		if t.EntryFee != nil {
			margin = margin.Add(t.EntryFee.Amount.Div(years))
		}
		how = fmt.Sprintf("investment: amount × %s a year + entry fee ÷ %s years", charges, years.StringFixed(2))
	case p.Line == products.LineInsurance:
		if t.Premium != nil {
			// The premium is for the term asked; a year's worth of it.
			annual := t.Premium.Amount.Mul(twelve).Div(decimal.NewFromInt(int64(max(req.Months, 1))))
			margin = annual.Mul(insuranceCommission)
		}
		how = fmt.Sprintf("insurance: premium a year × commission %s", insuranceCommission)
	}
	eur := decimal.Zero
	if r, ok := products.ReferenceEURRate(p.Currency); ok {
		eur = margin.Mul(r)
	}
	eur = decimal.Max(eur, decimal.Zero).Round(2)
	return eur, how + fmt.Sprintf(" = %s %s = %s EUR", margin.Round(2), p.Currency, eur.StringFixed(2))
}
