package products

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// newClient inserts a Romanian resident with a verified identity and the
// given age, income and monthly credit history (statuses oldest first,
// ending last month), stores score as the client's credit score when it is
// not 0, and returns their id.
func newClient(t *testing.T, pool *pgxpool.Pool, age int, income, currency, segment string, history []string, score int) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := pool.QueryRow(ctx, `INSERT INTO clients (given_name, family_name, birth_date, annual_income, income_currency, employment_status,
		country, kyc_status, kyc_verified_at, segment)
		VALUES ('Test', 'Client', current_date - make_interval(years => $1, months => 2), $2, $3, 'employed', 'RO', 'verified', now(), $4)
		RETURNING id`, age, income, currency, segment).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	if score != 0 {
		storeScore(t, pool, id, score)
	}
	if len(history) == 0 {
		return id
	}
	var line int64
	err = pool.QueryRow(ctx, `INSERT INTO credit_lines (client_id, kind, lender, credit_limit, balance, currency, monthly_payment, opened_on, status)
		VALUES ($1, 'credit_card', 'ecrm Bank', 3000, 500, 'EUR', 100, current_date - interval '3 years', 'active') RETURNING id`, id).Scan(&line)
	if err != nil {
		t.Fatal(err)
	}
	for i, status := range history {
		_, err := pool.Exec(ctx, `INSERT INTO credit_payments (credit_line_id, client_id, period, amount_due, amount_paid, currency, status)
			VALUES ($1, $2, date_trunc('month', current_date) - make_interval(months => $3), 100, 100, 'EUR', $4)`,
			line, id, len(history)-i, status)
		if err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func repeat(status string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = status
	}
	return out
}

// summary renders a result as lines that a test can compare exactly.
func summary(res MatchResult) string {
	var b strings.Builder
	for _, o := range res.Eligible {
		fmt.Fprintf(&b, "%d %s", o.Rank, o.Code)
		t := o.Terms
		switch {
		case t.APR != nil:
			fmt.Fprintf(&b, " rate=%s apr=%s monthly=%s cost=%s", t.NominalAnnualRate, t.APR, t.MonthlyPayment, t.TotalCost)
		case t.NetAnnualEquivalentRate != nil:
			fmt.Fprintf(&b, " rate=%s net_aer=%s tax=%s value=%s", t.NominalAnnualRate, t.NetAnnualEquivalentRate, t.WithholdingTax, t.ValueAtMaturity)
		case t.IllustrativeValue != nil:
			fmt.Fprintf(&b, " value=%s", t.IllustrativeValue)
		case t.Premium != nil:
			fmt.Fprintf(&b, " premium=%s", t.Premium)
		}
		for _, r := range o.Reasons {
			fmt.Fprintf(&b, " | %s", r.Text)
		}
		b.WriteString("\n")
	}
	for _, e := range res.Excluded {
		fmt.Fprintf(&b, "x %s", e.Code)
		for _, r := range e.Reasons {
			fmt.Fprintf(&b, " | %s", r.Text)
		}
		b.WriteString("\n")
	}
	// Pages and messages use no-break spaces ("8,93 %", "625,81 EUR");
	// plain spaces keep the expected texts readable.
	return strings.ReplaceAll(b.String(), "\u00a0", " ")
}

func demoEngine(t *testing.T) (*Engine, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.New(t)
	if err := LoadDemoCatalogue(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	return NewEngine(NewStore(pool)), pool
}

var (
	english  = i18n.NewLocalizer(i18n.English)
	romanian = i18n.NewLocalizer(i18n.Romanian)
)

func TestMatchLoanForClients(t *testing.T) {
	ctx := context.Background()
	eng, pool := demoEngine(t)
	loan := MatchRequest{Goal: GoalBorrow, Amount: ecrm.MustMoney("20000", "EUR"), Months: 36}
	for _, tc := range []struct {
		name    string
		age     int
		income  string
		ccy     string
		segment string
		history []string
		score   int
		l       *i18n.Localizer
		want    string
	}{
		{
			// Score 680 + 3×24 = 752, income 42,000 EUR: every EUR loan.
			name: "GoodHistory", age: 40, income: "42000", ccy: "EUR", segment: "emerging_affluent", history: repeat("on_time", 24), score: 752, l: english,
			want: `1 LOAN-EUR-PLUS rate=0.069 apr=0.0862 monthly=621.63 EUR cost=2628.60 EUR | Lowest APR among eligible loans | Matches your 36-month term | APR 8.62%, monthly payment €621.63
2 LOAN-EUR-PERS rate=0.079 apr=0.0893 monthly=625.81 EUR cost=2728.97 EUR | Matches your 36-month term | APR 8.93%, monthly payment €625.81
3 LOAN-EUR-CARP rate=0.129 apr=0.1369 monthly=672.92 EUR cost=4224.93 EUR | Matches your 36-month term | APR 13.69%, monthly payment €672.92 | No fees
x LOAN-RON-PERS | Offered in RON only
x MORT-EUR-HOME | Amount below the minimum of €30,000.00 | Term outside the product's range of 60–360 months | Outside target market: horizon too short (at least 60 months) | Only for buying or building a home
x MORT-RON-HOME | Offered in RON only
`,
		},
		{
			// Score 680 + 3×10 − 2×20 − 45 = 625; income 100,000 RON is
			// 20,000 EUR at the reference rate. Answered in Romanian.
			name: "LateHistoryLowIncome", age: 30, income: "100000", ccy: "RON", segment: "mass",
			history: append(repeat("on_time", 10), "late_30", "late_60", "late_30"), score: 625, l: romanian,
			want: `1 LOAN-EUR-PERS rate=0.079 apr=0.0893 monthly=625.81 EUR cost=2728.97 EUR | Cea mai mică DAE dintre creditele eligibile | Se potrivește perioadei dorite: 36 luni | DAE 8,93 %, rată lunară 625,81 EUR
2 LOAN-EUR-CARP rate=0.129 apr=0.1369 monthly=672.92 EUR cost=4224.93 EUR | Se potrivește perioadei dorite: 36 luni | DAE 13,69 %, rată lunară 672,92 EUR | Fără comisioane
x LOAN-EUR-PLUS | Venit sub 30.000 EUR pe an | Scor de credit sub 700
x LOAN-RON-PERS | Oferit doar în RON
x MORT-EUR-HOME | Suma este sub minimul de 30.000,00 EUR | Perioada este în afara intervalului produsului: 60–360 luni | În afara pieței țintă: orizont prea scurt (minimum 60 luni) | Doar pentru cumpărarea sau construirea unei locuințe | Scor de credit sub 650
x MORT-RON-HOME | Oferit doar în RON
`,
		},
		{
			// A default and 90-day arrears: 680 + 30 − 90 − 150 = 470.
			name: "Arrears", age: 50, income: "60000", ccy: "EUR", segment: "affluent",
			history: append(repeat("on_time", 10), "late_90_plus", "default"), score: 470, l: english,
			want: `x LOAN-EUR-CARP | Credit score below 550
x LOAN-EUR-PERS | Credit score below 600
x LOAN-EUR-PLUS | Credit score below 700
x LOAN-RON-PERS | Offered in RON only
x MORT-EUR-HOME | Amount below the minimum of €30,000.00 | Term outside the product's range of 60–360 months | Outside target market: horizon too short (at least 60 months) | Only for buying or building a home | Credit score below 650
x MORT-RON-HOME | Offered in RON only
`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := newClient(t, pool, tc.age, tc.income, tc.ccy, tc.segment, tc.history, tc.score)
			res, err := eng.Match(ctx, &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: id}, loan, tc.l)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(res); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
			for _, o := range res.Eligible {
				if o.ProductVersionID == 0 || len(o.RulesHash) != 64 {
					t.Errorf("%s: version id %d rules hash %q; want both recorded", o.Code, o.ProductVersionID, o.RulesHash)
				}
			}
		})
	}
}

func TestMatchOtherGoals(t *testing.T) {
	ctx := context.Background()
	eng, pool := demoEngine(t)
	id := newClient(t, pool, 40, "42000", "EUR", "affluent", nil, 0)
	client := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: id}
	for _, tc := range []struct {
		req  MatchRequest
		want string
	}{
		{MatchRequest{Goal: GoalDeposit, Amount: ecrm.MustMoney("10000", "EUR"), Months: 12}, `1 TD-EUR-12M rate=0.0225 net_aer=0.0203 tax=22.50 EUR value=10202.50 EUR | Highest net yield among eligible deposits | Matches your 12-month term | Net yield 2.03% a year, €10,202.50 at maturity
2 SAV-EUR-FLEX rate=0.0075 net_aer=0.0068 tax=7.56 EUR value=10067.67 EUR | Matches your 12-month term | Net yield 0.68% a year, €10,067.67 at maturity
x SAV-RON-FLEX | Offered in RON only
x TD-EUR-3M | Offered only for a term of 3 months
x TD-EUR-6M | Offered only for a term of 6 months
x TD-RON-12M | Offered in RON only
x TD-RON-1M | Offered in RON only
x TD-RON-24M | Offered in RON only
x TD-RON-3M | Offered in RON only
x TD-RON-6M | Offered in RON only
`},
		{MatchRequest{Goal: GoalInvest, Amount: ecrm.MustMoney("5000", "EUR"), Months: 60, RiskTolerance: 4, Knowledge: "basic"}, `1 ETF-EUR-WORLD value=6670.79 EUR | Closest to your risk tolerance | Matches your 60-month term | Risk class 4 for your risk tolerance of 4
2 MP-EUR-GROWTH value=6258.98 EUR | Matches your 60-month term | Risk class 4 for your risk tolerance of 4
3 MP-EUR-BALANCED value=5984.47 EUR | Matches your 60-month term | Risk class 3 for your risk tolerance of 4
4 BF-EUR-AGG value=5636.41 EUR | Matches your 60-month term | Risk class 3 for your risk tolerance of 4
5 GOV-EUR-FIDELIS value=6497.16 EUR | Matches your 60-month term | Risk class 2 for your risk tolerance of 4
6 MP-EUR-CAUTIOUS value=5721.82 EUR | Matches your 60-month term | Risk class 2 for your risk tolerance of 4
x CORP-EUR-BANK | Outside target market: needs informed knowledge and experience
x EF-EUR-EUROPE | Outside target market: risk class 5 is above your risk tolerance of 4
x ETF-RON-BET | Offered in RON only
x GOV-RON-FIDELIS | Offered in RON only
x HY-EUR-ENERGY | Outside target market: needs informed knowledge and experience | Outside target market: risk class 5 is above your risk tolerance of 4
x OPT-EUR-LISTED | Outside target market: needs advanced knowledge and experience | Outside target market: risk class 7 is above your risk tolerance of 4 | Negative target market: not for clients with basic knowledge and experience | Negative target market: not for a risk tolerance below 6 | A brokerage account is needed first
x MMF-RON-LICHID | Offered in RON only
x SN-EUR-AUTOCALL | Outside target market: needs informed knowledge and experience | Outside target market: risk class 5 is above your risk tolerance of 4 | Negative target market: not for clients with basic knowledge and experience
`},
		{MatchRequest{Goal: GoalInsure, Amount: ecrm.MustMoney("30000", "EUR"), Months: 12}, `1 TRAVEL-CARP-EU premium=12.00 EUR | Lowest premium among eligible programmes | Matches your 12-month term
2 HOME-CARP-COMFORT premium=64.00 EUR | Matches your 12-month term
3 LIFE-CARP-TERM premium=96.00 EUR | Matches your 12-month term
4 MOTOR-DAN-CASCO premium=1200.00 EUR | Matches your 12-month term
x HEALTH-DAN-PLUS | Offered in RON only
x HEALTH-TRANS-BASIC | Offered in RON only
x HOME-TRANS-PAD | Offered in RON only
x LIFE-DAN-LOAN | Only for clients with a loan
x MOTOR-TRANS-RCA | Offered in RON only
x TRAVEL-DAN-WORLD | Amount below the minimum of €100,000.00
`},
	} {
		res, err := eng.Match(ctx, client, tc.req, english)
		if err != nil {
			t.Fatal(err)
		}
		if got := summary(res); got != tc.want {
			t.Errorf("%s: got:\n%s\nwant:\n%s", tc.req.Goal, got, tc.want)
		}
	}
}

func TestMatchProspect(t *testing.T) {
	eng, _ := demoEngine(t)
	// A prospect has no credit history (score 650) and states only age,
	// residence and income (150,000 RON is 30,000 EUR).
	res, err := eng.Match(context.Background(), nil, MatchRequest{Goal: GoalBorrow, Amount: ecrm.MustMoney("20000", "EUR"), Months: 36,
		Profile: &ProspectProfile{Age: 35, ResidenceCountry: "RO", AnnualIncome: ptr(ecrm.MustMoney("150000", "RON"))}}, english)
	if err != nil {
		t.Fatal(err)
	}
	want := `1 LOAN-EUR-PERS rate=0.079 apr=0.0893 monthly=625.81 EUR cost=2728.97 EUR | Lowest APR among eligible loans | Matches your 36-month term | APR 8.93%, monthly payment €625.81
2 LOAN-EUR-CARP rate=0.129 apr=0.1369 monthly=672.92 EUR cost=4224.93 EUR | Matches your 36-month term | APR 13.69%, monthly payment €672.92 | No fees
x LOAN-EUR-PLUS | Credit score below 700
x LOAN-RON-PERS | Offered in RON only
x MORT-EUR-HOME | Amount below the minimum of €30,000.00 | Term outside the product's range of 60–360 months | Outside target market: horizon too short (at least 60 months) | Only for buying or building a home
x MORT-RON-HOME | Offered in RON only
`
	if got := summary(res); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestMatchBadInput(t *testing.T) {
	eng, _ := demoEngine(t)
	for _, tc := range []struct {
		req   MatchRequest
		field string
		msg   string
	}{
		{MatchRequest{Goal: GoalBorrow, Amount: ecrm.MustMoney("-5", "EUR"), Months: 36}, "amount.amount", "must be more than 0 and at most 100000000.00 EUR"},
		{MatchRequest{Goal: GoalBorrow, Amount: ecrm.MustMoney("20000", "EUR"), Months: 500}, "months", "must be between 1 and 480 months"},
		{MatchRequest{Goal: GoalBorrow, Amount: ecrm.MustMoney("20000", "EUR"), Months: 400}, "months", "must be between 6 and 360 months for borrow in EUR"},
		{MatchRequest{Goal: GoalBorrow, Amount: ecrm.MustMoney("900000", "EUR"), Months: 36}, "amount.amount", "must be between 1000.00 and 500000.00 EUR for borrow"},
		{MatchRequest{Goal: GoalBorrow, Amount: ecrm.Money{Amount: decimal.NewFromInt(20000), Currency: "XYZ"}, Months: 36}, "amount.currency", `currency "XYZ" is not supported`},
		{MatchRequest{Goal: GoalBorrow, Amount: ecrm.Money{Amount: decimal.RequireFromString("20000.123"), Currency: "EUR"}, Months: 36}, "amount.amount", "EUR has at most 2 decimal places"},
		{MatchRequest{Goal: GoalBorrow, Amount: ecrm.MustMoney("20000", "USD"), Months: 36}, "amount.currency", "no borrow products in USD; offered in EUR, RON"},
		{MatchRequest{Goal: "gamble", Amount: ecrm.MustMoney("20000", "EUR"), Months: 36}, "goal", "must be one of borrow, deposit, invest, insure"},
		{MatchRequest{Goal: GoalInvest, Amount: ecrm.MustMoney("5000", "EUR"), Months: 60}, "risk_tolerance", "is required to invest: between 1 (lowest) and 7 (highest)"},
	} {
		_, err := eng.Match(context.Background(), nil, tc.req, english)
		want := []ecrm.FieldError{{Field: tc.field, Message: tc.msg}}
		if diff := diffJSON(want, fieldErrors(t, err)); diff != "" {
			t.Errorf("%+v: mismatch:\n%s", tc.req, diff)
		}
	}
}
