package crosssell

import (
	"context"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm/internal/i18n"
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

// FundingRate is what money costs or is worth to the firm a year in a
// currency (the value assumptions of nbo-1).
func FundingRate(currency string) decimal.Decimal {
	if r, ok := fundingRates[currency]; ok {
		return r
	}
	return defaultFunding
}

// Value assumptions of nbo-1 for the reports that value what clients hold
// today the same way offers are valued.
var (
	DepositFloor        = depositFloor
	InsuranceCommission = insuranceCommission
)

// typicalClient is who a family's typical value is priced for: an adult
// resident with a verified identity, a regular income and a good credit
// score, asking for the usual amounts.
var typicalClient = products.Profile{Age: 40, ResidenceCountry: "RO", AnnualIncomeEUR: 30_000, EmploymentStatus: "employed",
	KYCStatus: "verified", Segment: "mass", ClientType: "retail", CreditScore: 700, Knowledge: "informed", LossCapacity: "limited"}

// FamilyValues is the first-year margin, in euros, of a typical take-up of
// each product family: the median over the family's products on sale of
// the value of the usual request (requestFor without a need) for a
// typical client. The expected value of a client's propensities is their
// sum weighted by these.
func (a *Arbiter) FamilyValues(ctx context.Context) (map[string]decimal.Decimal, error) {
	cat, err := a.catalogue.Catalogue(ctx)
	if err != nil {
		return nil, err
	}
	l := i18n.NewLocalizer(i18n.English)
	byFamily := map[string][]decimal.Decimal{}
	for _, p := range cat.Products() {
		if p.Kind == "mortgage" {
			continue // offered only to refinance: no usual request
		}
		req, ok := requestFor(p, typicalClient, &Facts{}, nil, nil, 4)
		if !ok {
			continue
		}
		res, err := cat.Match(typicalClient, req, l)
		if err != nil {
			continue
		}
		for _, o := range res.Eligible {
			if o.ProductVersionID == p.VersionID {
				v, _ := expectedMargin(p, req, o.Terms)
				byFamily[familyOf(p)] = append(byFamily[familyOf(p)], v)
			}
		}
	}
	out := make(map[string]decimal.Decimal, len(byFamily))
	for f, vs := range byFamily {
		slices.SortFunc(vs, decimal.Decimal.Cmp)
		out[f] = vs[len(vs)/2]
	}
	return out, nil
}
