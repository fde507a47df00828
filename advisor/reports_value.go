package advisor

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/internal/chart"
	"github.com/ecrm-project/ecrm/products"
)

// The most attractive clients (issue 14, item 5): each client's current
// annual margin — what she holds today valued as offers are (crosssell's
// nbo-1 assumptions: deposits at the funding rate less theirs, credit at
// theirs less funding, policies at the distributor's commission) — plus
// the expected value of her propensities (each family's stored
// probability, crosssell's nightly rescoring, × the family's typical
// first-year margin). Both in euros at the reference rates. The ranking
// and the segments (value tier × life stage) read every client in scope:
// for the whole firm they wait until asked for, like the balances'
// ranking.

// Value tiers of a client's attractiveness a year.
var valueTiers = []struct {
	code string
	from decimal.Decimal
}{{"high", decimal.NewFromInt(1000)}, {"medium", decimal.NewFromInt(250)}, {"low", decimal.Zero}}

func valueTier(v decimal.Decimal) string {
	for _, t := range valueTiers {
		if v.GreaterThanOrEqual(t.from) {
			return t.code
		}
	}
	return "low"
}

// attractivenessSQL computes, for the clients in scope ($scope), the
// current margin and the expected value in EUR, with the life-stage facts.
// $1–$3 are lifeStageFacts' thresholds; funding, reference rates and
// family values come as arrays.
const attractivenessSQL = `
WITH fx(currency, funding, eur) AS (SELECT * FROM unnest(%[1]s::text[], %[2]s::numeric[], %[3]s::numeric[])),
     fam(family, value) AS (SELECT * FROM unnest(%[4]s::text[], %[5]s::numeric[])),
     active AS (SELECT DISTINCT ON (family) family, version FROM model_activations ORDER BY family, id DESC),
     parts AS (
    SELECT a.client_id, a.balance * greatest(fx.funding - coalesce(a.interest_rate, 0), %[6]s) * fx.eur AS margin, 0 AS expected
    FROM accounts a JOIN fx ON fx.currency = a.currency
    WHERE a.status <> 'closed' AND a.kind IN ('current', 'savings', 'term_deposit') AND a.balance > 0 AND %[8]s
    UNION ALL
    SELECT cl.client_id, cl.balance * greatest(coalesce(cl.interest_rate, 0) - fx.funding, 0) * fx.eur, 0
    FROM credit_lines cl JOIN fx ON fx.currency = cl.currency
    WHERE cl.source = 'internal' AND cl.status = 'active' AND cl.balance > 0 AND %[9]s
    UNION ALL
    SELECT ip.client_id, ip.premium * CASE ip.premium_frequency WHEN 'monthly' THEN 12 WHEN 'quarterly' THEN 4
                                      WHEN 'semiannual' THEN 2 ELSE 1 END * %[7]s * fx.eur, 0
    FROM insurance_policies ip JOIN fx ON fx.currency = ip.currency
    WHERE ip.status = 'active' AND %[10]s
    UNION ALL
    SELECT p.client_id, 0, p.probability * fam.value
    FROM client_propensities p JOIN active m ON m.family = p.family AND m.version = p.model_version
    JOIN fam ON fam.family = p.family
    WHERE %[11]s),
     perclient AS (SELECT client_id, round(sum(margin), 2) AS margin, round(sum(expected), 2) AS expected FROM parts GROUP BY 1)
SELECT pc.client_id, c.given_name, c.family_name, pc.margin, pc.expected, ` + lifeStageFacts + `
FROM perclient pc JOIN clients c ON c.id = pc.client_id`

// attractivenessReports are the ranking and the value segments.
func attractivenessReports(rc *reportContext) ([]Report, error) {
	if rc.f.Advisor == nil && !rc.f.AllClients {
		return []Report{{ID: "attractive_clients", Deferred: true}, {ID: "value_segments", Deferred: true}}, nil
	}
	today := rc.now.In(rc.loc)
	args := queryArgs{ageThreshold(today, 65), ageThreshold(today, 55), ageThreshold(today, 25)}
	var currencies []string
	var funding, eur []decimal.Decimal
	for _, c := range []string{"RON", "EUR", "USD", "GBP", "CHF"} {
		if r, ok := products.ReferenceEURRate(c); ok {
			currencies, funding, eur = append(currencies, c), append(funding, crosssell.FundingRate(c)), append(eur, r)
		}
	}
	var families []string
	var values []decimal.Decimal
	for f, v := range rc.familyValues {
		families, values = append(families, f), append(values, v)
	}
	p := []string{args.add(currencies), args.add(funding), args.add(eur), args.add(families), args.add(values),
		args.add(crosssell.DepositFloor), args.add(crosssell.InsuranceCommission)}
	q := fmt.Sprintf(attractivenessSQL, p[0], p[1], p[2], p[3], p[4], p[5], p[6],
		rc.f.clientOf("a.client_id", &args), rc.f.clientOf("cl.client_id", &args), rc.f.clientOf("ip.client_id", &args),
		rc.f.clientOf("p.client_id", &args))
	rows, err := rc.tx.Query(rc.ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("report attractive clients: %w", err)
	}
	type scored struct {
		id                      int64
		name                    string
		margin, expected, total decimal.Decimal
		stage                   string
	}
	var all []scored
	if err := scanEach(rows, func(r pgx.Rows) error {
		var s scored
		var given, family string
		var f lifeFacts
		if err := r.Scan(&s.id, &given, &family, &s.margin, &s.expected, &f.noBirthDate, &f.aged65, &f.aged55, &f.under25,
			&f.couple, &f.maritalKnown, &f.dependants, &f.retired, &f.student); err != nil {
			return err
		}
		s.name, s.total, s.stage = given+" "+family, s.margin.Add(s.expected), lifeStageOf(f)
		all = append(all, s)
		return nil
	}); err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b scored) int {
		if c := b.total.Cmp(a.total); c != 0 {
			return c
		}
		return int(a.id - b.id)
	})
	l := rc.l
	eurs := func(d decimal.Decimal) string { return l.Money(ecrm.Money{Amount: d, Currency: "EUR"}) }
	top := Report{ID: "attractive_clients", Columns: []string{"console.reports.current_margin", "console.reports.expected_value",
		"console.reports.attractiveness"}}
	var names []string
	var margins, expected []decimal.Decimal
	for _, s := range all[:min(topClientsShown, len(all))] {
		top.Rows = append(top.Rows, ReportRow{Label: s.name, Href: "/console/clients/" + strconv.FormatInt(s.id, 10),
			Values: []string{eurs(s.margin), eurs(s.expected), eurs(s.total)}})
		names, margins, expected = append(names, s.name), append(margins, s.margin), append(expected, s.expected)
	}
	top.Chart = chart.Bars{Title: l.T("console.reports.attractive_clients.title"), Categories: names, Format: eurs,
		Series: []chart.Series{{Name: l.T("console.reports.current_margin"), Values: margins},
			{Name: l.T("console.reports.expected_value"), Values: expected}}}.SVG()

	// Value tier × life stage: clients and their value.
	type cell struct {
		n     int64
		value decimal.Decimal
	}
	cells := map[[2]string]*cell{}
	for _, s := range all {
		k := [2]string{s.stage, valueTier(s.total)}
		if cells[k] == nil {
			cells[k] = &cell{}
		}
		cells[k].n++
		cells[k].value = cells[k].value.Add(s.total)
	}
	seg := Report{ID: "value_segments"}
	series := make([]chart.Series, len(valueTiers))
	for i, t := range valueTiers {
		seg.Columns = append(seg.Columns, "console.reports.value_tier."+t.code)
		series[i].Name = l.T("console.reports.value_tier." + t.code)
	}
	seg.Columns = append(seg.Columns, "console.reports.value_total")
	var stages []string
	for _, stage := range LifeStages {
		var vals []string
		total := decimal.Zero
		any := false
		for i, t := range valueTiers {
			c := cells[[2]string{stage, t.code}]
			if c == nil {
				c = &cell{}
			}
			any = any || c.n > 0
			total = total.Add(c.value)
			vals = append(vals, rc.count(c.n)+" · "+eurs(c.value))
			series[i].Values = append(series[i].Values, decimal.NewFromInt(c.n))
		}
		if !any {
			for i := range series {
				series[i].Values = series[i].Values[:len(series[i].Values)-1]
			}
			continue
		}
		stages = append(stages, l.T("console.life_stage."+stage))
		seg.Rows = append(seg.Rows, ReportRow{Label: l.T("console.life_stage." + stage), Values: append(vals, eurs(total))})
	}
	seg.Chart = chart.Bars{Title: l.T("console.reports.value_segments.title"), Categories: stages, Format: rc.countFormat,
		Series: series}.SVG()
	return []Report{top, seg}, nil
}
