package demodata

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

var testAsOf = time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)

func seed(t *testing.T, pool *pgxpool.Pool, opt Options) Report {
	t.Helper()
	if opt.AsOf.IsZero() {
		opt.AsOf = testAsOf
	}
	rep, err := Seed(context.Background(), pool, opt)
	if err != nil {
		t.Fatalf("Seed(%+v): %v", opt, err)
	}
	return rep
}

func queryInt(t *testing.T, pool *pgxpool.Pool, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// expectZero runs a query counting violations and fails with its message.
func expectZero(t *testing.T, pool *pgxpool.Pool, what, q string, args ...any) {
	t.Helper()
	if n := queryInt(t, pool, q, args...); n != 0 {
		t.Errorf("%s: %d violations", what, n)
	}
}

func TestSeedStructure(t *testing.T) {
	pool := pgtest.New(t)
	rep := seed(t, pool, Options{Clients: 300, Seed: 42})
	ctx := context.Background()

	t.Run("ReportMatchesTables", func(t *testing.T) {
		for _, tb := range tables {
			if got := queryInt(t, pool, "SELECT count(*) FROM "+tb.name); got != rep.Rows[tb.name] {
				t.Errorf("%s: report says %d rows, table has %d", tb.name, rep.Rows[tb.name], got)
			}
		}
		if rep.Rows["clients"] != 300 {
			t.Errorf("clients = %d, want 300", rep.Rows["clients"])
		}
	})

	t.Run("EveryClientHasACurrentAccount", func(t *testing.T) {
		expectZero(t, pool, "clients without a current account",
			`SELECT count(*) FROM clients c WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.client_id = c.id AND a.kind = 'current')`)
	})

	// A card's next payment is the due its credit history states, and the
	// repayments booked on the card are what the history says was paid.
	t.Run("CardFiguresAgree", func(t *testing.T) {
		expectZero(t, pool, "active internal cards whose next payment is not the history's last due",
			`SELECT count(*) FROM credit_lines l
			 JOIN LATERAL (SELECT amount_due FROM credit_payments p WHERE p.credit_line_id = l.id ORDER BY period DESC LIMIT 1) last ON true
			 WHERE l.kind = 'credit_card' AND l.source = 'internal' AND l.status = 'active' AND l.balance >= last.amount_due
			   AND l.monthly_payment <> last.amount_due`)
		expectZero(t, pool, "card repayments that are not a month's paid amount",
			`SELECT count(*) FROM account_transactions t JOIN credit_lines l ON l.account_id = t.account_id
			 WHERE t.kind = 'card_top_up' AND l.kind = 'credit_card' AND NOT EXISTS (
			   SELECT 1 FROM credit_payments p WHERE p.credit_line_id = l.id AND p.amount_paid = t.amount)`)
		if n := queryInt(t, pool, `SELECT count(*) FROM credit_lines WHERE kind = 'credit_card' AND source = 'internal' AND status = 'active'`); n < 10 {
			t.Errorf("only %d active internal cards to compare", n)
		}
	})

	t.Run("DemoStaff", func(t *testing.T) {
		for _, want := range []struct{ email, name, role string }{
			{DemoAdvisorEmail, "Maria Ionescu", "advisor"},
			{DemoComplianceEmail, "Andrei Stan", "compliance"},
			{DemoAdminEmail, "Elena Dobre", "admin"},
		} {
			var name string
			var roles []string
			err := pool.QueryRow(ctx, `SELECT display_name, roles FROM staff_users WHERE email = $1 AND active`, want.email).Scan(&name, &roles)
			if err != nil {
				t.Fatalf("staff %s: %v", want.email, err)
			}
			if name != want.name || !slices.Equal(roles, []string{want.role}) {
				t.Errorf("staff %s = %q %v, want %q [%s]", want.email, name, roles, want.name, want.role)
			}
		}
	})

	t.Run("DemoClient", func(t *testing.T) {
		var id int64
		var given, family, marital, employment, kyc, advisorEmail string
		var verified bool
		var dependants int
		err := pool.QueryRow(ctx, `
			SELECT c.id, c.given_name, c.family_name, c.email_verified, c.marital_status, c.dependants,
			       c.employment_status, c.kyc_status, s.email
			FROM clients c JOIN staff_users s ON s.id = c.advisor_id
			WHERE c.email = $1`, DemoClientEmail).
			Scan(&id, &given, &family, &verified, &marital, &dependants, &employment, &kyc, &advisorEmail)
		if err != nil {
			t.Fatalf("demo client: %v", err)
		}
		if id != DemoClientID || given != "Ana" || family != "Popescu" || !verified || marital != "married" ||
			dependants != 2 || employment != "employed" || kyc != "verified" || advisorEmail != DemoAdvisorEmail {
			t.Errorf("demo client = %d %s %s verified=%v %s dependants=%d %s kyc=%s advisor=%s",
				id, given, family, verified, marital, dependants, employment, kyc, advisorEmail)
		}
		rows, _ := pool.Query(ctx, `SELECT DISTINCT kind FROM accounts WHERE client_id = $1`, DemoClientID)
		kinds, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"current", "savings", "card", "brokerage", "loan"} {
			if !slices.Contains(kinds, k) {
				t.Errorf("demo client has no %s account (has %v)", k, kinds)
			}
		}
		if n := queryInt(t, pool, `SELECT count(*) FROM positions WHERE client_id = $1`, DemoClientID); n < 3 {
			t.Errorf("demo client holds %d positions, want a few", n)
		}
		if n := queryInt(t, pool, `SELECT count(*) FROM insurance_policies WHERE client_id = $1 AND status = 'active'`, DemoClientID); n < 1 {
			t.Errorf("demo client has %d active policies", n)
		}
		if n := queryInt(t, pool, `SELECT count(*) FROM credit_lines WHERE client_id = $1 AND status = 'active'`, DemoClientID); n < 1 {
			t.Errorf("demo client has %d active credit lines", n)
		}
		if n := queryInt(t, pool, `SELECT count(*) FROM client_relationships WHERE client_id = $1 AND kind = 'spouse'`, DemoClientID); n != 1 {
			t.Errorf("demo client has %d spouses", n)
		}
	})

	t.Run("AdvisorBooks", func(t *testing.T) {
		expectZero(t, pool, "advisors without clients", `
			SELECT count(*) FROM staff_users s
			WHERE 'advisor' = ANY (s.roles) AND NOT EXISTS (SELECT 1 FROM clients c WHERE c.advisor_id = s.id)`)
		expectZero(t, pool, "clients assigned to non-advisors", `
			SELECT count(*) FROM clients c JOIN staff_users s ON s.id = c.advisor_id WHERE NOT 'advisor' = ANY (s.roles)`)
		expectZero(t, pool, "affluent and private clients without an advisor",
			`SELECT count(*) FROM clients WHERE segment IN ('affluent', 'private') AND advisor_id IS NULL`)
	})

	t.Run("CreditHistoryIs36Months", func(t *testing.T) {
		// Lines open since before the 36 reported months, still open, have
		// exactly one row per month; none has more.
		expectZero(t, pool, "long-open lines without exactly 36 monthly rows", `
			SELECT count(*) FROM credit_lines l
			WHERE l.opened_on < date_trunc('month', $1::date) - interval '37 months'
			  AND l.status <> 'closed'
			  AND (SELECT count(*) FROM credit_payments p WHERE p.credit_line_id = l.id) <> 36`, testAsOf)
		expectZero(t, pool, "lines with more than 36 monthly rows",
			`SELECT count(*) FROM (SELECT 1 FROM credit_payments GROUP BY credit_line_id HAVING count(*) > 36) x`)
		if n := queryInt(t, pool, `SELECT count(*) FROM credit_lines WHERE opened_on < date_trunc('month', $1::date) - interval '37 months' AND status <> 'closed'`, testAsOf); n == 0 {
			t.Error("no long-open credit lines to check")
		}
		expectZero(t, pool, "defaulted lines whose history never defaulted", `
			SELECT count(*) FROM credit_lines l WHERE l.status IN ('defaulted', 'written_off')
			  AND NOT EXISTS (SELECT 1 FROM credit_payments p WHERE p.credit_line_id = l.id AND p.status = 'default')`)
	})

	t.Run("InteractionsOnEveryChannel", func(t *testing.T) {
		if n := queryInt(t, pool, `SELECT count(DISTINCT channel) FROM interactions`); n != 6 {
			t.Errorf("interactions use %d channels, want all 6", n)
		}
		expectZero(t, pool, "outbound contacts without staff outside posted mail",
			`SELECT count(*) FROM interactions WHERE direction = 'outbound' AND channel <> 'mail' AND staff_id IS NULL`)
	})

	t.Run("Consents", func(t *testing.T) {
		if n := queryInt(t, pool, `SELECT count(DISTINCT client_id) FROM consents WHERE purpose = 'marketing' AND channel = 'email' AND granted`); n < 100 {
			t.Errorf("only %d clients ever consented to marketing e-mail", n)
		}
		if n := queryInt(t, pool, `SELECT count(*) FROM consents WHERE NOT granted`); n == 0 {
			t.Error("no refusals or withdrawals recorded")
		}
	})

	t.Run("ContactDetails", func(t *testing.T) {
		expectZero(t, pool, "e-mails that are not lower-case ASCII on reserved domains", `
			SELECT count(*) FROM clients WHERE email IS NOT NULL AND id <> $1
			  AND email !~ '^[a-z0-9._]+@([a-z0-9]+\.)*example\.(com|net|org)$'`, DemoClientID)
		expectZero(t, pool, "duplicate e-mails", `SELECT count(email) - count(DISTINCT email) FROM clients`)
		expectZero(t, pool, "Romanian clients without a +40 phone", `SELECT count(*) FROM clients WHERE country = 'RO' AND phone NOT LIKE '+40 7%'`)
	})

	t.Run("IBANs", func(t *testing.T) {
		rows, _ := pool.Query(ctx, `SELECT iban FROM accounts UNION ALL SELECT DISTINCT counterparty_iban FROM account_transactions WHERE counterparty_iban IS NOT NULL`)
		ibans, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, iban := range ibans {
			if len(iban) != 24 || iban[:2] != "RO" || ibanMod97([]byte(iban[4:]), iban[:4]) != 1 {
				t.Errorf("invalid IBAN %q", iban)
			}
		}
	})

	t.Run("BalancesFollowTransactions", func(t *testing.T) {
		// Accounts opened inside the 12-month window hold exactly the sum
		// of their transactions; older ones never imply a negative
		// opening balance for deposits.
		expectZero(t, pool, "accounts opened in the window whose balance is not the sum of their transactions", `
			SELECT count(*) FROM accounts a
			WHERE a.opened_on > $1::date - interval '12 months'
			  AND a.balance <> coalesce((SELECT sum(amount) FROM account_transactions t WHERE t.account_id = a.id), 0)`, testAsOf)
		expectZero(t, pool, "deposit accounts with a negative implied opening balance", `
			SELECT count(*) FROM accounts a
			WHERE a.kind IN ('savings', 'term_deposit', 'brokerage')
			  AND a.balance - coalesce((SELECT sum(amount) FROM account_transactions t WHERE t.account_id = a.id), 0) < 0`)
		expectZero(t, pool, "internal loans whose account differs from the line", `
			SELECT count(*) FROM credit_lines l JOIN accounts a ON a.id = l.account_id
			WHERE a.kind = 'loan' AND l.status <> 'closed' AND a.balance <> -l.balance`)
		expectZero(t, pool, "internal cards whose account differs from the line", `
			SELECT count(*) FROM credit_lines l JOIN accounts a ON a.id = l.account_id
			WHERE a.kind = 'card' AND l.balance <> greatest(0, -a.balance)`)
		// A loan is repaid on its own day of the month, the day it was
		// opened (clamped to shorter months), as the portal's next payment
		// says.
		repayments := `FROM credit_lines l JOIN account_transactions t ON t.account_id = l.account_id AND t.kind = 'loan_repayment'
			WHERE l.kind IN ('mortgage', 'consumer_loan', 'car_loan')`
		if n := queryInt(t, pool, `SELECT count(*) `+repayments); n < 100 {
			t.Errorf("%d loan repayments to check", n)
		}
		expectZero(t, pool, "loan repayments off the line's day", `SELECT count(*) `+repayments+`
			AND extract(day FROM t.booked_at AT TIME ZONE 'UTC') <> least(extract(day FROM l.opened_on),
			    extract(day FROM date_trunc('month', t.booked_at AT TIME ZONE 'UTC') + interval '1 month - 1 day'))`)
		expectZero(t, pool, "transactions of another client's account",
			`SELECT count(*) FROM account_transactions t JOIN accounts a ON a.id = t.account_id WHERE a.client_id <> t.client_id`)
	})

	t.Run("OptionsAreWellFormed", func(t *testing.T) {
		if n := queryInt(t, pool, `SELECT count(*) FROM instruments`); n < 45 {
			t.Errorf("%d instruments, want about 50", n)
		}
		expectZero(t, pool, "options without a put or call on an equity with multiplier 100", `
			SELECT count(*) FROM instruments o JOIN instruments u ON u.id = o.underlying_id
			WHERE o.kind = 'option' AND (u.kind <> 'equity' OR o.contract_multiplier <> 100 OR o.expires_on <= $1)`, testAsOf)
		for _, kind := range []string{"equity", "bond", "fund", "etf", "option"} {
			if n := queryInt(t, pool, `SELECT count(*) FROM instruments WHERE kind = $1`, kind); n == 0 {
				t.Errorf("no %s instruments", kind)
			}
		}
		if n := queryInt(t, pool, `SELECT count(*) FROM instruments WHERE kind = 'bond' AND rating LIKE 'B%' AND rating NOT LIKE 'BBB%'`); n == 0 {
			t.Error("no high-yield bonds")
		}
		// About three years of business days for a non-option instrument.
		if n := queryInt(t, pool, `SELECT count(*) FROM instrument_prices WHERE instrument_id = 1`); n < 750 || n > 800 {
			t.Errorf("instrument 1 has %d closes, want ~783 business days", n)
		}
	})

	// Market reference data: FX rates every market day that agree with
	// each other, an index per currency its equities move with (beta),
	// yields, volatilities, two languages of news and reviews from the
	// last four weeks, and the demo client's watch list.
	t.Run("MarketData", func(t *testing.T) {
		days := queryInt(t, pool, `SELECT count(*) FROM instrument_prices WHERE instrument_id = 1`)
		for _, pair := range [][2]string{{"EUR", "RON"}, {"USD", "RON"}, {"EUR", "USD"}} {
			if n := queryInt(t, pool, `SELECT count(*) FROM fx_rates WHERE base_currency = $1 AND quote_currency = $2`, pair[0], pair[1]); n != days {
				t.Errorf("%s/%s: %d rates, want one per market day (%d)", pair[0], pair[1], n, days)
			}
		}
		expectZero(t, pool, "EUR/USD rates that are not EUR/RON ÷ USD/RON to four places", `
			SELECT count(*) FROM fx_rates a
			JOIN fx_rates b ON b.rate_date = a.rate_date AND (b.base_currency, b.quote_currency) = ('USD', 'RON')
			JOIN fx_rates c ON c.rate_date = a.rate_date AND (c.base_currency, c.quote_currency) = ('EUR', 'USD')
			WHERE (a.base_currency, a.quote_currency) = ('EUR', 'RON') AND round(a.rate / b.rate, 4) <> c.rate`)
		expectZero(t, pool, "benchmarks that are not an index in their currency with a close every market day", `
			SELECT count(*) FROM benchmarks b JOIN instruments i ON i.id = b.instrument_id
			WHERE i.kind <> 'index' OR i.currency <> b.currency
			   OR (SELECT count(*) FROM instrument_prices p WHERE p.instrument_id = i.id) <> $1`, days)
		if n := queryInt(t, pool, `SELECT count(*) FROM benchmarks`); n != 3 {
			t.Errorf("%d benchmarks, want RON, EUR and USD", n)
		}
		rows, err := pool.Query(ctx, `
			WITH r AS (
				SELECT instrument_id, price_date, ln(close / lag(close) OVER (PARTITION BY instrument_id ORDER BY price_date)) AS ret
				FROM instrument_prices)
			SELECT b.currency, i.symbol, regr_slope(ri.ret, rx.ret)::float8
			FROM benchmarks b
			JOIN instruments i ON i.currency = b.currency AND i.kind = 'equity'
			JOIN r ri ON ri.instrument_id = i.id
			JOIN r rx ON rx.instrument_id = b.instrument_id AND rx.price_date = ri.price_date
			GROUP BY 1, 2 ORDER BY 1, 2`)
		if err != nil {
			t.Fatal(err)
		}
		betas := map[string][]float64{}
		for rows.Next() {
			var currency, symbol string
			var beta float64
			if err := rows.Scan(&currency, &symbol, &beta); err != nil {
				t.Fatal(err)
			}
			if beta < 0.3 || beta > 2.5 {
				t.Errorf("%s: beta %.2f to the %s index", symbol, beta, currency)
			}
			betas[currency] = append(betas[currency], beta)
		}
		for currency, list := range betas {
			sum := 0.0
			for _, b := range list {
				sum += b
			}
			if avg := sum / float64(len(list)); avg < 0.8 || avg > 1.2 {
				t.Errorf("%s equities: average beta %.2f, want about 1", currency, avg)
			}
		}
		if len(betas) != 3 {
			t.Errorf("betas for %d currencies", len(betas))
		}
		expectZero(t, pool, "equities without four quarterly dividend yields", `
			SELECT count(*) FROM instruments i WHERE kind = 'equity'
			AND (SELECT count(*) FROM instrument_dividend_yields y WHERE y.instrument_id = i.id) <> 4`)
		expectZero(t, pool, "implied volatilities of instruments no option is written on", `
			SELECT count(*) FROM instrument_volatilities v WHERE kind = 'implied'
			AND NOT EXISTS (SELECT 1 FROM instruments o WHERE o.underlying_id = v.instrument_id)`)
		expectZero(t, pool, "option underlyings without twelve implied and realised volatilities", `
			SELECT count(*) FROM instruments u WHERE EXISTS (SELECT 1 FROM instruments o WHERE o.underlying_id = u.id)
			AND (SELECT count(*) FROM instrument_volatilities v WHERE v.instrument_id = u.id) <> 24`)
		expectZero(t, pool, "indices, equities, funds and ETFs without twelve realised volatilities", `
			SELECT count(*) FROM instruments i WHERE kind IN ('equity', 'fund', 'etf', 'index')
			AND (SELECT count(*) FROM instrument_volatilities v WHERE v.instrument_id = i.id AND v.kind = 'realised') <> 12`)
		var counts []string
		rows, _ = pool.Query(ctx, `SELECT kind || ' ' || language || ' ' || count(*) FROM market_items GROUP BY kind, language ORDER BY 1`)
		if counts, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			t.Fatal(err)
		}
		if want := []string{"news en 30", "news ro 30", "review en 10", "review ro 10"}; !slices.Equal(counts, want) {
			t.Errorf("market items %q, want %q", counts, want)
		}
		expectZero(t, pool, "items with a placeholder left, outside the four weeks before the as-of day, untagged, or reviews without a recommendation", `
			SELECT count(*) FROM market_items m
			WHERE headline || summary ~ '[{}%]!|[{}]' OR published_at >= $1::date OR published_at < $1::date - 28 OR recorded_at < published_at
			   OR (cardinality(segments) = 0 AND NOT EXISTS (SELECT 1 FROM market_item_instruments x WHERE x.item_id = m.id))
			   OR (kind = 'review' AND (recommendation IS NULL OR target_price IS NULL OR analyst IS NULL))`, testAsOf)
		rows, _ = pool.Query(ctx, `SELECT i.symbol FROM watchlist_items w JOIN instruments i ON i.id = w.instrument_id
			WHERE w.client_id = $1 AND NOT EXISTS (SELECT 1 FROM positions p WHERE p.client_id = w.client_id AND p.instrument_id = w.instrument_id)
			ORDER BY w.added_at`, DemoClientID)
		if watched, err := pgx.CollectRows(rows, pgx.RowTo[string]); err != nil || !slices.Equal(watched, demoWatchlist) {
			t.Errorf("the demo client watches %q (not held), want %q: %v", watched, demoWatchlist, err)
		}
		for _, table := range []string{"fx_rates", "instrument_dividend_yields", "instrument_volatilities", "market_items", "instruments", "instrument_prices"} {
			expectZero(t, pool, table+" recorded after the as-of day", `SELECT count(*) FROM `+table+` WHERE recorded_at >= $1::date + 1`, testAsOf)
		}
	})
}

// TestSeedRestoresConstraints checks that the indexes, keys and foreign
// keys dropped for the load all come back, validated, exactly as the
// migrations define them.
func TestSeedRestoresConstraints(t *testing.T) {
	fresh, seeded := pgtest.New(t), pgtest.New(t)
	seed(t, seeded, Options{Clients: 40, Seed: 3})
	const q = `
		SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated
		FROM pg_constraint WHERE connamespace = 'public'::regnamespace
		UNION ALL
		SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
		ORDER BY 1`
	list := func(pool *pgxpool.Pool) []string {
		rows, _ := pool.Query(context.Background(), q)
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	want, got := list(fresh), list(seeded)
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing after seeding: %s", w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("unexpected after seeding: %s", g)
		}
	}
	expectZero(t, seeded, "constraints not validated", `SELECT count(*) FROM pg_constraint WHERE NOT convalidated`)
}

func TestSeedRefusesNonEmptyDatabase(t *testing.T) {
	pool := pgtest.New(t)
	seed(t, pool, Options{Clients: 20, Seed: 1})
	before := tableDigests(t, pool)
	_, err := Seed(context.Background(), pool, Options{Clients: 30, Seed: 2, AsOf: testAsOf})
	if !errors.Is(err, ErrNotEmpty) || ecrm.ErrorCode(err) != ecrm.ECONFLICT {
		t.Fatalf("Seed on a seeded database: err = %v, want ErrNotEmpty (conflict)", err)
	}
	if after := tableDigests(t, pool); !mapsEqual(before, after) {
		t.Error("refused seed changed the data")
	}
	empty, err := IsEmpty(context.Background(), pool)
	if err != nil || empty {
		t.Errorf("IsEmpty = %v, %v on a seeded database", empty, err)
	}
}

func TestSeedResetReplacesData(t *testing.T) {
	pool := pgtest.New(t)
	empty, err := IsEmpty(context.Background(), pool)
	if err != nil || !empty {
		t.Fatalf("IsEmpty = %v, %v on a new database", empty, err)
	}
	seed(t, pool, Options{Clients: 20, Seed: 1})
	first := tableDigests(t, pool)
	// A row another feature wrote for a demo client goes with the reset.
	if _, err := pool.Exec(context.Background(), `INSERT INTO identities (issuer, subject, client_id) VALUES ('https://idp.example', 'ana', 1)`); err != nil {
		t.Fatal(err)
	}
	// The firm's settings, last changed by a demo staff member, stay.
	if _, err := pool.Exec(context.Background(), `
		UPDATE contact_policies SET max_offers_per_product = 3, updated_by = 1 WHERE channel = 'email';
		UPDATE compliance_settings SET sample_basis_points = 250, updated_by = 1`); err != nil {
		t.Fatal(err)
	}
	policies := queryInt(t, pool, `SELECT count(*) FROM contact_policies`)
	rep := seed(t, pool, Options{Clients: 35, Seed: 2, Reset: true})
	if n := queryInt(t, pool, `SELECT count(*) FROM contact_policies`); n != policies || policies < 7 {
		t.Errorf("after reset: %d contact policies, want the %d there were", n, policies)
	}
	if queryInt(t, pool, `SELECT max_offers_per_product FROM contact_policies WHERE channel = 'email' AND updated_by IS NULL`) != 3 ||
		queryInt(t, pool, `SELECT sample_basis_points FROM compliance_settings WHERE updated_by IS NULL`) != 250 {
		t.Error("reset did not keep the changed settings, without their departed editor")
	}
	if rep.Rows["clients"] != 35 || queryInt(t, pool, `SELECT count(*) FROM clients`) != 35 {
		t.Errorf("after reset: %d clients, want 35", queryInt(t, pool, `SELECT count(*) FROM clients`))
	}
	if queryInt(t, pool, `SELECT count(*) FROM identities`) != 0 {
		t.Error("reset kept rows that reference the old clients")
	}
	if tableDigests(t, pool)["clients"] == first["clients"] {
		t.Error("reset did not replace the clients")
	}
}

func TestSeedIsDeterministic(t *testing.T) {
	a, b, c := pgtest.New(t), pgtest.New(t), pgtest.New(t)
	seed(t, a, Options{Clients: 200, Seed: 9})
	seed(t, b, Options{Clients: 200, Seed: 9})
	seed(t, c, Options{Clients: 200, Seed: 10})
	da, db, dc := tableDigests(t, a), tableDigests(t, b), tableDigests(t, c)
	for name, d := range da {
		if db[name] != d {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	if da["clients"] == dc["clients"] || da["account_transactions"] == dc["account_transactions"] {
		t.Error("a different seed gave the same clients or transactions")
	}
}

func TestSeedSetsSequences(t *testing.T) {
	pool := pgtest.New(t)
	seed(t, pool, Options{Clients: 25, Seed: 1})
	ctx := context.Background()
	maxClient := queryInt(t, pool, `SELECT max(id) FROM clients`)
	var id int64
	err := pool.QueryRow(ctx, `INSERT INTO clients (given_name, family_name) VALUES ('Test', 'Client') RETURNING id`).Scan(&id)
	if err != nil || id <= maxClient {
		t.Fatalf("insert without id: id %d, err %v (max seeded id %d)", id, err, maxClient)
	}
	for _, q := range []string{
		`INSERT INTO households (name) VALUES ('Familia Test') RETURNING id`,
		`INSERT INTO staff_users (email, display_name) VALUES ('new@demo.ecrm.example', 'New') RETURNING id`,
		`INSERT INTO account_transactions (account_id, client_id, booked_at, value_date, amount, currency, kind, channel)
		 VALUES (1, 1, now(), current_date, 1, 'RON', 'deposit', 'branch') RETURNING id`,
		`INSERT INTO interactions (client_id, channel, direction, subject, occurred_at)
		 VALUES (1, 'phone', 'inbound', 'Test', now()) RETURNING id`,
		`INSERT INTO market_items (kind, source, external_id, published_at, language, headline)
		 VALUES ('news', 'Test', 'x', now(), 'en', 'Test') RETURNING id`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}

func TestSeedRejectsBadOptions(t *testing.T) {
	_, err := Seed(context.Background(), nil, Options{Clients: 0})
	if ecrm.ErrorCode(err) != ecrm.EINVALID {
		t.Errorf("Clients 0: err = %v, want invalid", err)
	}
}

// tableDigests hashes every loaded table's content in a stable order.
func tableDigests(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tb := range tables {
		var d *string
		q := `SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM ` + tb.name + ` t`
		if err := pool.QueryRow(context.Background(), q).Scan(&d); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if d != nil {
			out[tb.name] = *d
		}
	}
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// cancelAfter is a log handler that cancels the seeding context once a
// given table has been loaded, to interrupt a run half-way.
type cancelAfter struct {
	slog.Handler
	table  string
	cancel context.CancelFunc
}

func (h cancelAfter) Enabled(context.Context, slog.Level) bool { return true }

func (h cancelAfter) Handle(ctx context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "table" && a.Value.String() == h.table {
			h.cancel()
		}
		return true
	})
	return nil
}

func TestSeedInterruptedLeavesNothing(t *testing.T) {
	pool := pgtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(cancelAfter{Handler: slog.DiscardHandler, table: "accounts", cancel: cancel})
	_, err := Seed(ctx, pool, Options{Clients: 300, Seed: 1, AsOf: testAsOf, Log: log})
	if err == nil {
		t.Fatal("Seed with a cancelled context succeeded")
	}
	for _, tb := range tables {
		if n := queryInt(t, pool, "SELECT count(*) FROM "+tb.name); n != 0 {
			t.Errorf("%s holds %d rows after an interrupted seed", tb.name, n)
		}
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM pg_constraint WHERE conrelid = 'account_transactions'::regclass AND contype = 'f'`); n != 2 {
		t.Errorf("account_transactions has %d foreign keys after an interrupted seed, want 2", n)
	}
	// The database is still usable and seeds normally afterwards.
	seed(t, pool, Options{Clients: 10, Seed: 1})
}

// TestSeedKeepsOtherFeaturesData: tables of other features that refer to
// the loaded ones (like the product catalogue's created_by_staff_id) keep
// their rows on a first seed, and lose them only with Reset.
func TestSeedKeepsOtherFeaturesData(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	for _, q := range []string{
		`CREATE TABLE catalogue_entries (id int PRIMARY KEY, staff_id bigint REFERENCES staff_users (id))`,
		`INSERT INTO catalogue_entries VALUES (1, NULL), (2, NULL)`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	seed(t, pool, Options{Clients: 15, Seed: 1})
	if n := queryInt(t, pool, `SELECT count(*) FROM catalogue_entries`); n != 2 {
		t.Fatalf("a first seed left %d of 2 catalogue rows", n)
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM pg_constraint WHERE conrelid = 'catalogue_entries'::regclass AND contype = 'f' AND convalidated`); n != 1 {
		t.Errorf("the catalogue's foreign key to staff_users was not restored (%d)", n)
	}
	seed(t, pool, Options{Clients: 15, Seed: 1, Reset: true})
	if n := queryInt(t, pool, `SELECT count(*) FROM catalogue_entries`); n != 0 {
		t.Errorf("reset kept %d rows of a table referring to staff", n)
	}
}
