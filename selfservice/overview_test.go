package selfservice

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// compactJSON normalises JSON text for comparison.
func compactJSON(tb testing.TB, s string) string {
	tb.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		tb.Fatalf("bad JSON %q: %v", s, err)
	}
	return b.String()
}

func decodeSections(tb testing.TB, body []byte) map[string]json.RawMessage {
	tb.Helper()
	var sections map[string]json.RawMessage
	if err := json.Unmarshal(body, &sections); err != nil {
		tb.Fatalf("decode %s: %v", body, err)
	}
	return sections
}

func TestOverviewAPI(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	rec := do(t, srv, request{path: "/api/v1/me", client: asClient(ana)})
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/me: %d %s", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	got := decodeSections(t, rec.Body.Bytes())

	want := map[string]string{
		"client_id": `1`,
		"name":      `"Client 1"`,
		"as_of":     `"2026-11-26"`,
		"accounts": `[
			{"id":11,"kind":"current","name":{"en":"Current account","ro":"Cont curent"},"iban_masked":"**** 1234","balance":{"amount":"12345.60","currency":"RON"},"status":"open"},
			{"id":12,"kind":"savings","name":{"en":"Savings","ro":"Economii"},"iban_masked":"**** 5678","balance":{"amount":"2500.00","currency":"EUR"},"status":"open"},
			{"id":13,"kind":"card","name":{"en":"Visa Classic","ro":"Visa Classic"},"balance":{"amount":"-150.25","currency":"RON"},"credit_limit":{"amount":"5000.00","currency":"RON"},"status":"open"},
			{"id":14,"kind":"brokerage","name":{"en":"Investments","ro":"Investiții"},"iban_masked":"**** 0014","balance":{"amount":"0.00","currency":"EUR"},"status":"open"}]`,
		"portfolio": `{"totals":[
			{"currency":"EUR","value":{"amount":"1810.99","currency":"EUR"},"cost":{"amount":"1726.54","currency":"EUR"},
			 "unrealised_gain":{"amount":"84.45","currency":"EUR"},"allocation":[
				{"kind":"bond","value":{"amount":"298.50","currency":"EUR"},"percent":"16.48"},
				{"kind":"equity","value":{"amount":"1265.69","currency":"EUR"},"percent":"69.89"},
				{"kind":"option","value":{"amount":"246.80","currency":"EUR"},"percent":"13.63"}]},
			{"currency":"USD","value":{"amount":"451.23","currency":"USD"},"cost":{"amount":"400.00","currency":"USD"},
			 "unrealised_gain":{"amount":"51.23","currency":"USD"},"allocation":[
				{"kind":"etf","value":{"amount":"451.23","currency":"USD"},"percent":"100.00"}]}],
		  "positions":[
			{"id":2,"account_id":14,"instrument_id":2,"symbol":"ROGB30","name":"Romania 2030","kind":"bond","currency":"EUR","quantity":"3",
			 "average_cost":{"amount":"100","currency":"EUR"},"quotation":"unit","price":{"amount":"99.5","currency":"EUR"},"price_date":"2026-11-25",
			 "value":{"amount":"298.50","currency":"EUR"},"cost":{"amount":"300.00","currency":"EUR"},"unrealised_gain":{"amount":"-1.50","currency":"EUR"}},
			{"id":1,"account_id":14,"instrument_id":1,"symbol":"ACME","name":"Acme SA","kind":"equity","currency":"EUR","quantity":"12.5",
			 "average_cost":{"amount":"90.1234","currency":"EUR"},"quotation":"unit","price":{"amount":"101.255","currency":"EUR"},"price_date":"2026-11-25",
			 "value":{"amount":"1265.69","currency":"EUR"},"cost":{"amount":"1126.54","currency":"EUR"},"unrealised_gain":{"amount":"139.15","currency":"EUR"}},
			{"id":5,"account_id":14,"instrument_id":5,"symbol":"FUND","name":"Fond Prudent","kind":"fund","currency":"EUR","quantity":"5",
			 "average_cost":{"amount":"10","currency":"EUR"},"quotation":"unit","price":null,"price_date":null,
			 "value":null,"cost":{"amount":"50.00","currency":"EUR"},"unrealised_gain":null},
			{"id":4,"account_id":14,"instrument_id":4,"symbol":"ACME-C110","name":"Acme call 110","kind":"option","currency":"EUR","quantity":"2",
			 "average_cost":{"amount":"1.5","currency":"EUR"},"quotation":"unit","price":{"amount":"1.234","currency":"EUR"},"price_date":"2026-11-25",
			 "value":{"amount":"246.80","currency":"EUR"},"cost":{"amount":"300.00","currency":"EUR"},"unrealised_gain":{"amount":"-53.20","currency":"EUR"}},
			{"id":3,"account_id":14,"instrument_id":3,"symbol":"WRLD","name":"World ETF","kind":"etf","currency":"USD","quantity":"10",
			 "average_cost":{"amount":"40","currency":"USD"},"quotation":"unit","price":{"amount":"45.123456","currency":"USD"},"price_date":"2026-11-25",
			 "value":{"amount":"451.23","currency":"USD"},"cost":{"amount":"400.00","currency":"USD"},"unrealised_gain":{"amount":"51.23","currency":"USD"}}]}`,
		"policies": `[
			{"id":32,"policy_number":"LIFE-0032","line":"life","insurer":"NN","status":"active","starts_on":"2025-03-01","ends_on":"2045-03-01",
			 "sum_insured":{"amount":"100000.00","currency":"EUR"},"premium":{"amount":"1200.00","currency":"EUR"},"premium_frequency":"annual",
			 "next_premium":{"due_on":"2027-03-01","amount":{"amount":"1200.00","currency":"EUR"},"overdue":false},"payment_status":"up_to_date"},
			{"id":31,"policy_number":"HOME-0031","line":"home","insurer":"Allianz-Țiriac","status":"active","starts_on":"2026-01-01","ends_on":"2027-01-01",
			 "sum_insured":{"amount":"150000.00","currency":"RON"},"premium":{"amount":"45.00","currency":"RON"},"premium_frequency":"monthly",
			 "next_premium":{"due_on":"2026-11-01","amount":{"amount":"45.00","currency":"RON"},"overdue":true},"payment_status":"late"},
			{"id":33,"policy_number":"AUTO-0033","line":"motor","insurer":"Groupama","status":"lapsed","starts_on":"2026-01-01","ends_on":"2027-01-01",
			 "sum_insured":{"amount":"20000.00","currency":"RON"},"premium":{"amount":"80.00","currency":"RON"},"premium_frequency":"monthly",
			 "next_premium":null,"payment_status":"missed"},
			{"id":35,"policy_number":"HLTH-0035","line":"health","insurer":"Signal Iduna","status":"active","starts_on":"2026-02-20","ends_on":"2027-02-20",
			 "sum_insured":{"amount":"50000.00","currency":"RON"},"premium":{"amount":"210.00","currency":"RON"},"premium_frequency":"quarterly",
			 "next_premium":{"due_on":"2026-11-20","amount":{"amount":"210.00","currency":"RON"},"overdue":true},"payment_status":"late"}]`,
		"credit_lines": `[
			{"id":51,"kind":"mortgage","source":"internal","lender":"ecrm Bank","limit":{"amount":"300000.00","currency":"RON"},
			 "balance":{"amount":"250000.00","currency":"RON"},"status":"active",
			 "next_payment":{"due_on":"2026-12-14","amount":{"amount":"1850.75","currency":"RON"}}},
			{"id":52,"kind":"credit_card","source":"bureau","lender":"Other Bank","limit":{"amount":"5000.00","currency":"RON"},
			 "balance":{"amount":"0.00","currency":"RON"},"status":"active","next_payment":null}]`,
		"recent_interactions": `[
			{"id":76,"channel":"phone","direction":"outbound","subject":"Ofertă asigurare locuință","occurred_at":"2026-11-25T14:05:00Z"},
			{"id":75,"channel":"mail","direction":"outbound","subject":"Scrisoare de bun venit","occurred_at":"2026-11-20T08:00:00Z"},
			{"id":74,"channel":"web","direction":"inbound","subject":"Mesaj din portal","occurred_at":"2026-11-10T17:45:00Z"},
			{"id":73,"channel":"visit","direction":"inbound","subject":"Deschidere depozit","occurred_at":"2026-11-02T11:00:00Z"},
			{"id":72,"channel":"email","direction":"outbound","subject":"Extras de cont","occurred_at":"2026-10-15T09:00:00Z"}]`,
		"quick_actions": `[
			{"kind":"pay_payee","label":"Pay Landlord SRL","reason":"You pay this every month","href":"/portal/accounts/11?counterparty=Landlord+SRL",
			 "account_id":11,"payee":"Landlord SRL","last_amount":{"amount":"2000.00","currency":"RON"},"frequency":"monthly","occurrences":12},
			{"kind":"review_direct_debit","label":"Direct debit to Enel Energie","reason":"Collected every month","href":"/portal/accounts/11?counterparty=Enel+Energie",
			 "account_id":11,"payee":"Enel Energie","last_amount":{"amount":"92.10","currency":"RON"},"frequency":"monthly","occurrences":12},
			{"kind":"pay_payee","label":"Pay Ion Popescu","reason":"Payments in the last 12 months: 5","href":"/portal/accounts/11?counterparty=Ion+Popescu",
			 "account_id":11,"payee":"Ion Popescu","last_amount":{"amount":"300.00","currency":"RON"},"occurrences":7},
			{"kind":"top_up_card","label":"Top up Visa Classic","reason":"You top this up every month","href":"/portal/accounts/13",
			 "account_id":13,"last_amount":{"amount":"500.00","currency":"RON"},"frequency":"monthly","occurrences":4},
			{"kind":"open_calculator","label":"Loan calculator","reason":"Opened in the last 6 months: 4","href":"/portal/calculators/loan","occurrences":4},
			{"kind":"open_account","label":"Open Savings","reason":"Opened in the last 6 months: 3","href":"/portal/accounts/12","account_id":12,"occurrences":3}]`,
		// needs-v1 by hand: HOME-0031 ends within 60 days; one dependant
		// and 60,000 RON a year want 600,000 RON of life cover, she has
		// 100,000 EUR = 500,000 RON at the reference rate; 12,345.60 RON
		// in the current account is 3,982.71 above three months of her
		// average spending (3 × 2,787.63); 2,500 EUR of savings with it
		// cover six months, so no emergency-fund need; her date of birth
		// is not known (so no retirement need either).
		"needs": `[
			{"code":"renewal_due","text":"Your policy (home insurance) ends on 1 Jan 2027: renew it in time to stay covered.","size":null,
			 "facts":["Ends soon: home insurance, on 1 Jan 2027"],"href":"/portal/match?goal=insure","rule_set":"needs-v1"},
			{"code":"protection_gap","text":"You have 1 dependant: life cover of ten times your yearly income would protect them; you are RON 100,000.00 short.",
			 "size":{"amount":"100000.00","currency":"RON"},"facts":["1 dependant","Annual income: RON 60,000.00","Life cover: RON 500,000.00"],
			 "href":"/portal/match?currency=RON\u0026goal=insure","rule_set":"needs-v1"},
			{"code":"idle_cash","text":"RON 3,982.71 in your current accounts earns nothing: a savings account or a deposit would pay interest on it.",
			 "size":{"amount":"3982.71","currency":"RON"},"facts":["Current accounts: RON 12,345.60","Monthly spending (average of 3 months): RON 2,787.63"],
			 "href":"/portal/match?currency=RON\u0026goal=deposit","rule_set":"needs-v1"},
			{"code":"complete_profile","text":"Tell us your date of birth to see what you may need.","size":null,
			 "facts":["Date of birth not known"],"href":"/portal/profile","rule_set":"needs-v1"}]`,
	}
	for section, w := range want {
		g, ok := got[section]
		if !ok {
			t.Errorf("section %s missing", section)
			continue
		}
		if compactJSON(t, string(g)) != compactJSON(t, w) {
			t.Errorf("section %s mismatch\ngot:  %s\nwant: %s", section, compactJSON(t, string(g)), compactJSON(t, w))
		}
	}
	if len(got) != len(want) {
		t.Errorf("sections = %d, want %d", len(got), len(want))
	}
}

func TestOverviewOfClientWithNothing(t *testing.T) {
	pool := newFixture(t)
	if _, err := pool.Exec(context.Background(), `INSERT INTO clients (id, given_name, family_name) VALUES (3, 'Nou', 'Client')`); err != nil {
		t.Fatal(err)
	}
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	rec := do(t, srv, request{path: "/api/v1/me", client: "3"})
	want := `{"client_id":3,"name":"Client 3","as_of":"2026-11-26","accounts":[],"portfolio":{"totals":[],"positions":[]},"policies":[],"credit_lines":[],"recent_interactions":[],"quick_actions":[],` +
		`"needs":[{"code":"complete_profile","text":"Tell us your income and date of birth to see what you may need.","size":null,` +
		`"facts":["Annual income not known","Date of birth not known"],"href":"/portal/profile","rule_set":"needs-v1"}]}`
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != want {
		t.Errorf("GET /api/v1/me of an empty client: %d\n%s\nwant %s", rec.Code, rec.Body, want)
	}
	rec = do(t, srv, request{path: "/portal", client: "3", lang: "ro"})
	for _, s := range []string{"Nu aveți conturi deschise la noi.", "Acțiunile rapide vor apărea aici"} {
		if !strings.Contains(rec.Body.String(), s) {
			t.Errorf("empty overview page lacks %q", s)
		}
	}
}

func TestOverviewPage(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)

	rec := do(t, srv, request{path: "/portal", client: asClient(ana), lang: "en"})
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /portal: %d", rec.Code)
	}
	body := rec.Body.String()
	for _, s := range []string{
		`<td class="amount balance">RON` + "\u00a0" + `12,345.60</td>`,
		`<td class="amount balance">€2,500.00</td>`,
		`<td class="amount balance">-RON` + "\u00a0" + `150.25</td>`,
		`<td class="iban">**** 1234</td>`,
		`<dd class="portfolio-value">€1,810.99</dd>`,
		`<dd class="portfolio-value">$451.23</dd>`,
		`<td class="amount">69.89%</td>`,
		`<td class="next-premium">RON` + "\u00a0" + `45.00 overdue since 1 Nov 2026</td>`,
		`<td class="payment-status payment-missed">Missed</td>`,
		`<td class="next-payment">RON` + "\u00a0" + `1,850.75 on 14 Dec 2026</td>`,
		`<a href="/portal/accounts/11?counterparty=Landlord&#43;SRL">Pay Landlord SRL</a>`,
		`25 Nov 2026, 14:05`,
		`<td class="amount">101.255 EUR on 25 Nov 2026</td>`,
		`Hello, Client 1.`,
		`<h2 id="needs-title">Things you may need</h2>`,
		`<li class="need" data-need="protection_gap">`,
		`<a class="need-action" href="/portal/profile">Update your profile</a>`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("English overview lacks %q", s)
		}
	}
	if strings.Contains(body, "Cont Bogdan") || strings.Contains(body, "Secret Bogdan") || strings.Contains(body, "Cont vechi") {
		t.Error("overview shows another client's or a closed account")
	}

	rec = do(t, srv, request{path: "/portal", client: asClient(ana), lang: "ro"})
	body = rec.Body.String()
	for _, s := range []string{
		`<td class="amount balance">12.345,60` + "\u00a0" + `lei</td>`,
		`<td class="amount">69,89` + "\u00a0" + `%</td>`,
		`<td class="payment-status payment-late">Cu întârziere</td>`,
		`Plătiți către Landlord SRL`,
		`Situația mea`,
		`Lucruri de care ați putea avea nevoie`,
		`Spuneți-ne data nașterii ca să vedeți de ce ați putea avea nevoie.`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("Romanian overview lacks %q", s)
		}
	}
}
