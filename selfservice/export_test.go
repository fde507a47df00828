package selfservice

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

func TestExportHoldsEverythingAboutTheClientOnly(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	// What the offer log, the review queue and the risk assessment keep
	// about her is hers too; Bogdan's is not.
	ctx := context.Background()
	log := compliance.NewLog(pool)
	offer := func(client int64) int64 {
		got, err := log.Append(ctx, compliance.Record{Kind: compliance.KindOfferShown, ClientID: client, Engine: "test", Channel: "web",
			Actor: compliance.Actor{Kind: compliance.ActorSystem}, Outcome: compliance.OutcomeShown,
			Body: compliance.Body{Reasons: []i18n.Message{i18n.Plain(fmt.Sprintf("Reason for client %d", client))}}})
		if err != nil {
			t.Fatal(err)
		}
		return got[0].Seq
	}
	mine := offer(ana)
	offer(bogdan)
	if _, err := log.Append(ctx, compliance.Record{Kind: compliance.KindResponse, RefersTo: mine, ClientID: ana, Engine: "test", Channel: "web",
		Actor: compliance.Actor{Kind: compliance.ActorClient}, Outcome: compliance.OutcomeInterested}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO risk_assessments (client_id, risk_class, loss_capacity, loss_capacity_currency, knowledge, objective, horizon_months, questionnaire_version, source, assessed_at)
		VALUES (1, 4, 5000, 'EUR', '{}', 'growth', 60, 'mifid-2026.1', 'questionnaire', '2026-01-10 10:00Z');
		INSERT INTO objections (client_id, kind, objected, source, recorded_at) VALUES (1, 'direct_marketing', false, 'portal', '2026-02-01 10:00Z');
		INSERT INTO suitability_responses (client_id, assessment_id, scoring_version, answers, section_scores, risk_class, loss_capacity, currency,
		    completed_by, idempotency_key, completed_at)
		SELECT 1, id, 'suitability-v1', '{"tolerance.outcome": "c"}', '{}', 4, 5000, 'EUR', 'client', 'secret-key', assessed_at FROM risk_assessments WHERE client_id = 1;
		INSERT INTO accounts (id, client_id, kind, name, currency, opened_on) VALUES (22, 2, 'brokerage', 'Bogdan brokerage', 'EUR', '2020-01-01');
		INSERT INTO trades (client_id, account_id, instrument_id, side, quantity, price, fees, currency, traded_at) VALUES
		    (1, 14, 1, 'buy', 12.5, 90.1234, 5, 'EUR', '2024-01-01 10:00Z'), (2, 22, 3, 'buy', 777, 45, 5, 'USD', '2024-01-01 10:00Z');
		INSERT INTO watchlist_items (client_id, instrument_id, added_at) VALUES (1, 3, '2026-02-02 10:00Z'), (2, 5, '2026-02-02 10:00Z')`); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/me/export", "/portal/data"} {
		rec := do(t, srv, request{path: path, client: asClient(ana)})
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		if got := rec.Header().Get("Content-Disposition"); got != `attachment; filename="ecrm-my-data-2026-11-26.json"` {
			t.Errorf("Content-Disposition = %q", got)
		}
		if rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("headers = %v", rec.Header())
		}
		dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
		dec.UseNumber()
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			t.Fatal(err)
		}
		var sections []string
		for k := range doc {
			sections = append(sections, k)
		}
		slices.Sort(sections)
		want := "account_transactions accounts claims client consents credit_lines credit_payments credit_scores documents exported_at format identities " +
			"insurance_policies interactions objections offer_decisions portal_actions positions premium_instalments premium_payments " +
			"profile_changes relationships review_requests risk_assessments service_requests suitability_responses trades watchlist"
		if strings.Join(sections, " ") != want {
			t.Errorf("sections = %s\nwant %s", strings.Join(sections, " "), want)
		}
		count := func(section string) int { return len(doc[section].([]any)) }
		for section, n := range map[string]int{
			"accounts": 5, "account_transactions": 12 + 12 + 5 + 1 + 1 + 5 + 4, "positions": 5, "insurance_policies": 5,
			"premium_instalments": 10, "premium_payments": 2, "claims": 1, "credit_lines": 3, "credit_payments": 2,
			"interactions": 6, "consents": 4, "identities": 1, "relationships": 0, "profile_changes": 0,
			"offer_decisions": 2, "review_requests": 0, "risk_assessments": 1, "objections": 1,
			"credit_scores": 0, "service_requests": 1, "documents": 1, "suitability_responses": 1, "trades": 1, "watchlist": 1,
		} {
			if got := count(section); got != n {
				t.Errorf("%s: %d rows, want %d", section, got, n)
			}
		}
		client := doc["client"].(map[string]any)
		if client["given_name"] != "Ana" || client["annual_income"] != "60000.00" || client["dependants"] != json.Number("1") {
			t.Errorf("client = %v", client)
		}
		account := doc["accounts"].([]any)[0].(map[string]any)
		if account["balance"] != "12345.60" || account["id"] != json.Number("11") {
			t.Errorf("first account = %v (want the balance as a decimal string, the id as a number)", account)
		}
		position := doc["positions"].([]any)[0].(map[string]any)
		instrument := position["instrument"].(map[string]any)
		if position["quantity"] != "12.500000" || instrument["symbol"] != "ACME" || instrument["isin"] != "RO1234567890" {
			t.Errorf("first position = %v", position)
		}
		identity := doc["identities"].([]any)[0].(map[string]any)
		if _, hasEmail := identity["email"]; hasEmail || identity["subject"] != "ana-subject" {
			t.Errorf("identity = %v, want issuer and subject only", identity)
		}
		decisions := doc["offer_decisions"].([]any)
		first, second := decisions[0].(map[string]any), decisions[1].(map[string]any)
		if first["outcome"] != "shown" || !strings.Contains(fmt.Sprint(first["record"]), "Reason for client 1") ||
			second["outcome"] != "interested" || second["refers_to"] != json.Number(strconv.FormatInt(mine, 10)) {
			t.Errorf("offer decisions = %v", decisions)
		}
		// An idempotency key is the firm's plumbing, not the client's data.
		for _, leak := range []string{"Bogdan", "bogdan-subject", "Secret Bogdan", "HOME-0041", "Reason for client 2", "777", "secret-key"} {
			if strings.Contains(rec.Body.String(), leak) {
				t.Errorf("%s exports another client's %q", path, leak)
			}
		}
	}
	var exports int
	pool.QueryRow(context.Background(), `SELECT count(*) FROM portal_actions WHERE client_id = 1 AND action = 'data.export'`).Scan(&exports)
	if exports != 2 {
		t.Errorf("data.export actions = %d, want 2", exports)
	}
	// The second download holds the first one's portal action.
	rec := do(t, srv, request{path: "/api/v1/me/export", client: asClient(ana)})
	if !strings.Contains(rec.Body.String(), `"action": "data.export"`) {
		t.Error("the export does not show earlier downloads")
	}
}

func TestQuoteDecimals(t *testing.T) {
	got, err := exportDocument([]byte(`{"a":[{"x":1,"y":1.50,"z":"t","w":null,"v":1e3,"u":true}]}`), testNow)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":[{"u":true,"v":"1e3","w":null,"x":1,"y":"1.50","z":"t"}],"exported_at":"2026-11-26T10:00:00Z","format":"ecrm.personal-data.v1"}`
	if compactJSON(t, string(got)) != want {
		t.Errorf("exportDocument = %s\nwant %s", compactJSON(t, string(got)), want)
	}
}

// TestMyDataReadable: the same data as a page, a table a section, in the
// client's language, and only hers.
func TestMyDataReadable(t *testing.T) {
	pool := newFixture(t)
	if _, err := pool.Exec(context.Background(), `INSERT INTO profile_changes (client_id, field, old_value, new_value, actor_kind, changed_at)
		VALUES ($1, 'marital_status', 'divorced', 'widowed', 'client', '2026-10-02 10:00Z')`, ana); err != nil {
		t.Fatal(err)
	}
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	rec := do(t, srv, request{path: "/portal/data/view", client: asClient(ana), lang: "ro"})
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /portal/data/view: %d", rec.Code)
	}
	for _, want := range []string{`<h1 id="data-title">Datele mele</h1>`, `<h2 id="data-account_transactions-title">Tranzacții</h2>`,
		`<h2 id="data-offer_decisions-title">Oferte și răspunsurile dumneavoastră</h2>`, "Landlord SRL", "Ion Popescu", "RO49RNCB0000000012341234"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// Headings and yes/no in words, never the JSON's names.
	for _, want := range []string{`<th scope="col">IBAN contrapartidă</th>`, `<th scope="col">Prenume</th>`, "<td>Nu</td>",
		"<td>12.345,60</td>", "<td>-150,25</td>", "<td>10 ian. 2020</td>", "<td>Deschis</td>",
		"<td>Stare civilă</td><td>Văduv(ă)</td><td>Divorțat(ă)</td>",
		"<td>A deschis un cont</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, raw := range []string{`<th scope="col">given_name</th>`, "<td>false</td>", "<td>true</td>", "12345.60", "2020-01-10", "<td>open</td>"} {
		if strings.Contains(body, raw) {
			t.Errorf("the page shows %q", raw)
		}
	}
	for _, leak := range []string{"Bogdan", "HOME-0041"} {
		if strings.Contains(body, leak) {
			t.Errorf("the page shows another client's %q", leak)
		}
	}
	if rec := do(t, srv, request{path: "/portal/data/view"}); rec.Code == http.StatusOK {
		t.Errorf("anonymous: %d, want a refusal", rec.Code)
	}
}

// TestMyDataColumnsNamed: every column the export can hold has a heading
// in each language — the tables' columns (read from the schema, so a
// column added tomorrow needs its words) and the keys the export builds.
func TestMyDataColumnsNamed(t *testing.T) {
	pool := newFixture(t)
	var columns, tables []string
	// Each to_jsonb(x) reads the table of the first FROM after it.
	for _, from := range regexp.MustCompile(`(?s)to_jsonb\((\w+)\).*?FROM (\w+) (\w+)`).FindAllStringSubmatch(exportSQL, -1) {
		if from[1] != from[3] {
			t.Fatalf("to_jsonb(%s) reads %s %s", from[1], from[2], from[3])
		}
		tables = append(tables, from[2])
		rows, err := pool.Query(context.Background(), `SELECT column_name::text FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1`, from[2])
		if err != nil {
			t.Fatal(err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(names) == 0 {
			t.Fatalf("columns of %s: %v %v", from[1], names, err)
		}
		columns = append(columns, names...)
	}
	for _, m := range regexp.MustCompile(`'([a-z_]+)',\s+(?:[a-z]+\.|jsonb_build_object)`).FindAllStringSubmatch(exportSQL, -1) {
		columns = append(columns, m[1])
	}
	if len(columns) < 100 {
		t.Fatalf("only %d columns found", len(columns))
	}
	var keys []string
	for _, c := range columns {
		keys = append(keys, "portal.data.column."+c)
	}
	// Every code a CHECK constraint allows in an exported column, the
	// offer log's and the review requests' included, reads as words.
	rows, err := pool.Query(context.Background(), `
		SELECT a.attname::text, pg_get_constraintdef(c.oid)
		FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'c' AND cardinality(c.conkey) = 1 AND pg_get_constraintdef(c.oid) LIKE '%= ANY (ARRAY[%'
		  AND c.conrelid::regclass::text = ANY ($1)`, append(tables, "decision_records", "human_review_requests", "service_requests", "service_messages", "documents"))
	if err != nil {
		t.Fatal(err)
	}
	checks, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Column, Definition string }])
	if err != nil || len(checks) < 35 {
		t.Fatalf("%d CHECK constraints, %v", len(checks), err)
	}
	for _, c := range checks {
		for _, v := range regexp.MustCompile(`'([a-z0-9_]+)'::text`).FindAllStringSubmatch(c.Definition, -1) {
			keys = append(keys, "portal.data.value."+c.Column+"."+v[1])
		}
	}
	// The actions the portal records, which no constraint lists.
	for _, action := range []string{ActionAccountView, ActionPayeeView, ActionProfileView, ActionProfileUpdate,
		ActionConsentChange, ActionDataExport, ActionCalculatorOpen} {
		keys = append(keys, "portal.data.value.action."+action)
	}
	for _, key := range keys {
		for _, lang := range i18n.Supported() {
			if !i18n.HasMessage(lang, key) {
				t.Errorf("%q is missing in %s", key, lang)
			}
		}
	}
}
