package advisor

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/products"
)

// TestAttractiveClients: two clients of advisor 9 (nobody else's), valued
// by hand with nbo-1's assumptions (RON funding 6 %, EUR 2 %, 1 RON = 0.20
// EUR; policies at a 20 % commission) and the demo catalogue's typical
// savings take-up (SAV-RON-FLEX: 10,000 RON × (6 % − 2 %) = 80.00 EUR;
// SAV-EUR-FLEX: 2,000 EUR × (2 % − 0.5 %) = 30.00 EUR; the upper median
// 80.00):
//
//	Ioana (46, married, 2 children: family)
//	  current 10,000.00 RON: × 6 %            = 600 RON = 120.00 EUR
//	  savings 5,000.00 EUR at 1 %: × 1 %      =            50.00 EUR
//	  loan 20,000.00 RON at 10 %: × 4 %       = 800 RON = 160.00 EUR
//	  home policy 50 RON a month: × 12 × 20 % = 120 RON =  24.00 EUR
//	  margin 354.00; savings propensity 0.5 × 80.00 = 40.00; 394.00: medium
//	Vlad (30, single): current 100,000.00 RON × 6 % = 6,000 RON = 1,200.00
//	  EUR; a propensity of a version no longer active does not count:
//	  1,200.00, high
func TestAttractiveClients(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := products.LoadDemoCatalogue(ctx, f.pool); err != nil {
		t.Fatal(err)
	}
	gate := compliance.NewGate(compliance.NewFactsReader(f.pool), compliance.NewLog(f.pool))
	f.handler.SetArbiter(crosssell.NewArbiter(f.pool, products.NewEngine(products.NewStore(f.pool)), gate, crosssell.NewStore(f.pool)))
	if _, err := f.pool.Exec(ctx, `
INSERT INTO staff_users (id, email, display_name, roles) VALUES (9, 'nine@bank.test', 'Nine', '{advisor}');
INSERT INTO clients (id, given_name, family_name, birth_date, marital_status, dependants, advisor_id) VALUES
  (9101, 'Ioana', 'Value', '1980-01-01', 'married', 2, 9),
  (9102, 'Vlad', 'Value', '1996-06-01', 'single', 0, 9);
INSERT INTO accounts (client_id, kind, iban, name, currency, balance, interest_rate, opened_on, closed_on, status) VALUES
  (9101, 'current', 'RO49AAAA1B31007593849101', 'Current', 'RON', 10000.00, NULL, '2020-01-01', NULL, 'open'),
  (9101, 'savings', 'RO49AAAA1B31007593849102', 'Savings', 'EUR', 5000.00, 0.0100, '2020-01-01', NULL, 'open'),
  (9101, 'current', 'RO49AAAA1B31007593849103', 'Closed', 'RON', 50000.00, NULL, '2010-01-01', '2015-01-01', 'closed'),
  (9102, 'current', 'RO49AAAA1B31007593849104', 'Current', 'RON', 100000.00, NULL, '2020-01-01', NULL, 'open');
INSERT INTO credit_lines (client_id, kind, lender, credit_limit, balance, currency, interest_rate, opened_on, status) VALUES
  (9101, 'consumer_loan', 'ecrm Bank', 25000.00, 20000.00, 'RON', 0.1000, '2025-01-01', 'active'),
  (9101, 'consumer_loan', 'Other Bank', 25000.00, 20000.00, 'RON', 0.1000, '2025-01-01', 'active');
UPDATE credit_lines SET source = 'bureau' WHERE client_id = 9101 AND lender = 'Other Bank';
INSERT INTO insurance_policies (client_id, policy_number, insurer, line, status, starts_on, ends_on, sum_insured, premium, currency, premium_frequency) VALUES
  (9101, 'H-9101', 'Ins', 'home', 'active', '2026-01-01', '2027-01-01', 100000.00, 50.00, 'RON', 'monthly');
INSERT INTO propensity_models (version, family, source, source_name, algorithm, layout, coefficients, metrics, rows, trained_by) VALUES
  ('savings-v1', 'savings', 'history', 'test', 'logistic-l2', '{}', '{}', '{}', 10, 'test'),
  ('savings-v2', 'savings', 'history', 'test', 'logistic-l2', '{}', '{}', '{}', 10, 'test');
INSERT INTO model_activations (family, version, activated_by, reason) VALUES ('savings', 'savings-v1', 'test', 'old'), ('savings', 'savings-v2', 'test', 'now');
INSERT INTO client_propensities (client_id, family, model_version, probability, reasons) VALUES
  (9101, 'savings', 'savings-v2', 0.500000, '[]'), (9102, 'savings', 'savings-v1', 0.900000, '[]');`); err != nil {
		t.Fatal(err)
	}
	body := f.do(t, request{path: "/console/reports?from=2026-01-01&to=2026-11-14&advisor=9", as: asCompliance}).Body.String()
	top := reportSection(t, body, "attractive_clients")
	for _, want := range []string{
		`<a href="/console/clients/9102">Vlad Value</a></th><td class="numeric">€1,200.00</td><td class="numeric">€0.00</td><td class="numeric">€1,200.00</td></tr>`,
		`<a href="/console/clients/9101">Ioana Value</a></th><td class="numeric">€354.00</td><td class="numeric">€40.00</td><td class="numeric">€394.00</td></tr>`,
	} {
		if !strings.Contains(top, want) {
			t.Errorf("the ranking lacks %s\n%s", want, top)
		}
	}
	if strings.Index(top, "Vlad") > strings.Index(top, "Ioana") {
		t.Error("Vlad (1,200.00) is not ranked first")
	}
	seg := reportSection(t, body, "value_segments")
	for _, want := range []string{
		reportRow("Family with dependants", "0 · €0.00", "1 · €394.00", "0 · €0.00", "€394.00"),
		reportRow("Single adult", "1 · €1,200.00", "0 · €0.00", "0 · €0.00", "€1,200.00"),
	} {
		if !strings.Contains(seg, want) {
			t.Errorf("the value segments lack %s\n%s", want, seg)
		}
	}
	// The whole firm waits until asked for; an advisor sees her own book.
	if all := f.do(t, request{path: "/console/reports?from=2026-01-01&to=2026-11-14", as: asCompliance}).Body.String(); !strings.Contains(all, `id="attractive_clients-deferred"`) {
		t.Error("the whole firm's ranking is not deferred")
	}
	if w := f.do(t, request{path: "/console/reports?from=2026-01-01&to=2026-11-14", as: "staff:9:advisor"}); w.Code != http.StatusOK ||
		!strings.Contains(reportSection(t, w.Body.String(), "attractive_clients"), "Ioana Value") {
		t.Errorf("advisor 9 reading her own book: %d", w.Code)
	}
}
