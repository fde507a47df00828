package advisor

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/pipeline"
)

// reportIDs are the reports of the page, in its order.
var reportIDs = []string{"deals_by_month", "conversion", "tasks", "offers_by_product", "offers_by_engine", "top_clients", "segments", "life_stages"}

// reportRow is a report table's row as the page writes it.
func reportRow(label string, values ...string) string {
	var b strings.Builder
	b.WriteString(`<tr><th scope="row">` + label + `</th>`)
	for _, v := range values {
		b.WriteString(`<td class="numeric">` + v + `</td>`)
	}
	return b.String() + `</tr>`
}

// reportSection is the part of a reports page that holds one report.
func reportSection(t *testing.T, body, id string) string {
	t.Helper()
	start := strings.Index(body, `<section class="report" aria-labelledby="report-`+id+`"`)
	if start < 0 {
		t.Fatalf("no report %s on the page", id)
	}
	end := strings.Index(body[start:], `</section>`)
	return body[start : start+end]
}

// TestReports: deals closed in the period are counted by month and by
// source with their conversion, tasks by advisor, clients by segment; an
// advisor sees her own book, compliance everyone's; each report has its
// chart and its table, and the .xlsx export opens with the same rows.
func TestReports(t *testing.T) {
	f := dealFixture(t)
	p := pipeline.NewStore(f.pool, pipeline.DefaultBusinessHours(time.UTC))
	clock := time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)
	p.SetClock(func() time.Time { return clock })
	f.handler.SetPipeline(p)
	open := func(client, owner int64, source, end string) {
		t.Helper()
		id, err := p.CreateDeal(t.Context(), pipeline.DealInput{Pipeline: "sales", ClientID: client, Title: "Deal", Source: source, OwnerStaffID: owner}, owner)
		if err != nil {
			t.Fatal(err)
		}
		reason := ""
		if end == "lost" {
			reason = "Too expensive"
		}
		if err := p.MoveDeal(t.Context(), id, end, reason, pipeline.Viewer{StaffID: owner}); err != nil {
			t.Fatal(err)
		}
	}
	open(101, 1, "web", "onboarded")
	open(101, 1, "web", "lost")
	open(103, 1, "branch", "onboarded")
	clock = time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	open(101, 1, "web", "onboarded")
	open(102, 2, "phone", "onboarded") // advisor B's book

	body := f.do(t, request{path: "/console/reports?from=2026-10-01&to=2026-11-30", as: asAdvisorA}).Body.String()
	for _, want := range []string{
		`<tr><th scope="row">2026-10</th><td class="numeric">2</td><td class="numeric">1</td>`,
		`<tr><th scope="row">2026-11</th><td class="numeric">1</td><td class="numeric">0</td>`,
		reportRow("Web", "2", "1", "66.7%"),
		reportRow("Branch", "1", "0", "100.0%"),
		`<svg class="chart" viewBox="0 0 720 300" role="img" aria-label="Deals won and lost by month"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("advisor A's reports lack %s", want)
		}
	}
	if strings.Contains(body, ">Phone</th>") {
		t.Error("advisor A sees advisor B's deal")
	}
	all := f.do(t, request{path: "/console/reports?from=2026-10-01&to=2026-11-30", as: asCompliance}).Body.String()
	if !strings.Contains(all, `<tr><th scope="row">2026-11</th><td class="numeric">2</td>`) || !strings.Contains(all, ">Phone</th>") {
		t.Error("compliance does not see every advisor's deals")
	}
	// Compliance picks advisor B: only her deal; then the mass segment
	// (Ana Popescu and Radu Ionescu): the branch deal and the phone deal.
	b := f.do(t, request{path: "/console/reports?from=2026-10-01&to=2026-11-30&advisor=2", as: asCompliance}).Body.String()
	if conv := reportSection(t, b, "conversion"); !strings.Contains(conv, reportRow("Phone", "1", "0", "100.0%")) || strings.Contains(conv, ">Web</th>") {
		t.Errorf("conversion of advisor B:\n%s", conv)
	}
	mass := f.do(t, request{path: "/console/reports?from=2026-10-01&to=2026-11-30&segment=mass", as: asCompliance}).Body.String()
	if conv := reportSection(t, mass, "conversion"); !strings.Contains(conv, reportRow("Branch", "1", "0", "100.0%")) ||
		!strings.Contains(conv, reportRow("Phone", "1", "0", "100.0%")) || strings.Contains(conv, ">Web</th>") {
		t.Errorf("conversion of the mass segment:\n%s", conv)
	}
	if w := f.do(t, request{path: "/console/reports?from=2026-12-01&to=2026-10-01", as: asAdvisorA}); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("a period ending before it starts: %d", w.Code)
	}
	w := f.do(t, request{path: "/console/reports?from=2026-10-01&to=2026-11-30&format=xlsx", as: asAdvisorA})
	x, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	rows, err := x.GetRows("Conversion")
	if err != nil || len(rows) != 3 || strings.Join(rows[1], "|") != "Branch|1|0|100.0%" {
		t.Errorf("the Conversion sheet: %q %v", rows, err)
	}
	want := []string{"Deals by month", "Conversion", "Tasks", "Offers by product", "Offers by engine", "Top clients", "Segments", "Life stages",
		"Attractive clients", "Value segments"}
	if got := x.GetSheetList(); !slices.Equal(got, want) {
		t.Errorf("sheets %q, want %q", got, want)
	}

	// With one connection in the pool there is no second lane: the reports
	// run one after another and say the same.
	cfg := f.pool.Config().Copy()
	cfg.MaxConns = 1
	one, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	single := newFixtureOn(t, one)
	single.handler.SetPipeline(p)
	const csv = "/console/reports?from=2026-10-01&to=2026-11-30&format=csv"
	lanes, alone := f.do(t, request{path: csv, as: asCompliance}), single.do(t, request{path: csv, as: asCompliance})
	if lanes.Code != http.StatusOK || alone.Code != http.StatusOK || lanes.Body.String() != alone.Body.String() {
		t.Errorf("one connection: %d\n%s\ntwo lanes: %d\n%s", alone.Code, alone.Body, lanes.Code, lanes.Body)
	}
}

// offerLogFixture writes an offer log through compliance.Log: offers shown
// (and one blocked) and the clients' answers, in October and November 2026
// and one offer in September, outside the reports' period.
//
//	Maria (A, affluent)  Flexi loan, matching: shown, interested, then accepted; Savings plus blocked
//	Ana (A, mass)        Flexi loan, matching: shown, declined; Savings plus, nbo: shown, interested
//	Radu (B, mass)       Flexi loan, matching: shown, accepted
//	Elena (B, mass)      no product, hedging: shown
//	Maria, September     Savings plus, nbo: shown
func offerLogFixture(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.pool.Exec(ctx, `
INSERT INTO products (id, code, name, line, kind, provider, currency) VALUES
  (601, 'FLEXI', 'Flexi loan (old name)', 'banking', 'loan', 'ecrm bank', 'RON'),
  (602, 'SAVE-PLUS', 'Savings plus', 'banking', 'deposit', 'ecrm bank', 'RON');
INSERT INTO product_versions (id, product_id, version, name, name_ro, definition, risk_class, complex, rules_hash) VALUES
  (611, 601, 1, 'Flexi loan', 'Credit flexibil', '{}', 1, false, repeat('a', 64)),
  (612, 602, 1, 'Savings plus', '', '{}', 1, false, repeat('b', 64));
UPDATE products SET current_version_id = 611 WHERE id = 601;
UPDATE products SET current_version_id = 612 WHERE id = 602;`); err != nil {
		t.Fatal(err)
	}
	log := compliance.NewLog(f.pool)
	at := func(day string) {
		d, _ := time.Parse(time.DateOnly, day)
		log.Now = func() time.Time { return d.Add(12 * time.Hour) }
	}
	system := compliance.Actor{Kind: compliance.ActorSystem}
	offer := func(client, product int64, engine string, kind compliance.Kind, outcome compliance.Outcome) int64 {
		t.Helper()
		got, err := log.Append(ctx, compliance.Record{Kind: kind, ClientID: client, ProductID: product, Engine: engine,
			EngineVersion: "test", RuleVersion: "test", Channel: "web", Actor: system, Outcome: outcome})
		if err != nil {
			t.Fatal(err)
		}
		return got[0].Seq
	}
	shown := func(client, product int64, engine string) int64 {
		return offer(client, product, engine, compliance.KindOfferShown, compliance.OutcomeShown)
	}
	answer := func(seq, client, product int64, engine string, outcome compliance.Outcome) {
		t.Helper()
		if _, err := log.Append(ctx, compliance.Record{Kind: compliance.KindResponse, RefersTo: seq, ClientID: client, ProductID: product,
			Engine: engine, EngineVersion: "test", RuleVersion: "test", Channel: "web", Actor: compliance.Actor{Kind: compliance.ActorClient},
			Outcome: outcome}); err != nil {
			t.Fatal(err)
		}
	}
	at("2026-09-20")
	shown(mariaIonescu, 602, "crosssell.nbo")
	at("2026-10-02")
	maria := shown(mariaIonescu, 601, "products.matching")
	answer(maria, mariaIonescu, 601, "products.matching", compliance.OutcomeInterested)
	offer(mariaIonescu, 602, "crosssell.nbo", compliance.KindOfferBlocked, compliance.OutcomeBlocked)
	s := shown(anaPopescu, 601, "products.matching")
	answer(s, anaPopescu, 601, "products.matching", compliance.OutcomeDeclined)
	s2 := shown(anaPopescu, 602, "crosssell.nbo")
	s3 := shown(raduIonescu, 601, "products.matching")
	shown(elenaZamfir, 0, "risk.hedging")
	at("2026-11-02")
	answer(s2, anaPopescu, 602, "crosssell.nbo", compliance.OutcomeInterested)
	answer(s3, raduIonescu, 601, "products.matching", compliance.OutcomeAccepted)
	answer(maria, mariaIonescu, 601, "products.matching", compliance.OutcomeAccepted)
}

// TestOffersReports: offers shown and the interested, accepted and declined
// answers by product and by engine, as the compliance statistics count
// them, with their rates; an advisor counts her clients' offers only,
// compliance everyone's, by advisor and by segment.
func TestOffersReports(t *testing.T) {
	f := newFixture(t)
	f.handler.SetPipeline(pipeline.NewStore(f.pool, pipeline.DefaultBusinessHours(time.UTC)))
	offerLogFixture(t, f)
	const period = "/console/reports?from=2026-10-01&to=2026-11-30"
	cols := func(shown, interested, accepted, declined, interestRate, acceptanceRate string) []string {
		return []string{shown, interested, accepted, declined, interestRate, acceptanceRate}
	}
	for _, tc := range []struct {
		name, path, as, lang string
		product, engine      map[string][]string // label → values; a nil value: no such row
	}{
		{"advisor A", period, asAdvisorA, "en",
			map[string][]string{"Flexi loan": cols("2", "1", "1", "1", "50.0%", "50.0%"), "Savings plus": cols("1", "1", "0", "0", "100.0%", "0.0%"), "No product": nil},
			map[string][]string{"products.matching": cols("2", "1", "1", "1", "50.0%", "50.0%"), "Next best offers": cols("1", "1", "0", "0", "100.0%", "0.0%"), "risk.hedging": nil}},
		{"advisor A asking for advisor B's", period + "&advisor=2", asAdvisorA, "en",
			map[string][]string{"Flexi loan": cols("2", "1", "1", "1", "50.0%", "50.0%"), "No product": nil}, nil},
		{"compliance", period, asCompliance, "en",
			map[string][]string{"Flexi loan": cols("3", "1", "2", "1", "33.3%", "66.7%"), "Savings plus": cols("1", "1", "0", "0", "100.0%", "0.0%"),
				"No product": cols("1", "0", "0", "0", "0.0%", "0.0%")},
			map[string][]string{"risk.hedging": cols("1", "0", "0", "0", "0.0%", "0.0%"), "products.matching": cols("3", "1", "2", "1", "33.3%", "66.7%")}},
		{"compliance, advisor B", period + "&advisor=2", asCompliance, "en",
			map[string][]string{"Flexi loan": cols("1", "0", "1", "0", "0.0%", "100.0%"), "No product": cols("1", "0", "0", "0", "0.0%", "0.0%"), "Savings plus": nil}, nil},
		{"admin, mass segment", period + "&segment=mass", asAdmin, "en",
			map[string][]string{"Flexi loan": cols("2", "0", "1", "1", "0.0%", "50.0%"), "Savings plus": cols("1", "1", "0", "0", "100.0%", "0.0%")}, nil},
		{"September only", "/console/reports?from=2026-09-01&to=2026-09-30", asAdvisorA, "en",
			map[string][]string{"Savings plus": cols("1", "0", "0", "0", "0.0%", "0.0%"), "Flexi loan": nil}, nil},
		{"Romanian", period, asAdvisorA, "ro",
			map[string][]string{"Credit flexibil": cols("2", "1", "1", "1", "50,0\u00a0%", "50,0\u00a0%"), "Savings plus": cols("1", "1", "0", "0", "100,0\u00a0%", "0,0\u00a0%")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := f.do(t, request{path: tc.path, as: tc.as, acceptLanguage: tc.lang})
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			body := w.Body.String()
			for id, want := range map[string]map[string][]string{"offers_by_product": tc.product, "offers_by_engine": tc.engine} {
				section := reportSection(t, body, id)
				for label, values := range want {
					if values == nil {
						if strings.Contains(section, `<th scope="row">`+label+`</th>`) {
							t.Errorf("%s has a row %s", id, label)
						}
						continue
					}
					if row := reportRow(label, values...); !strings.Contains(section, row) {
						t.Errorf("%s lacks %s\n%s", id, row, section)
					}
				}
			}
		})
	}
	body := f.do(t, request{path: period, as: asCompliance}).Body.String()
	if !strings.Contains(body, `<svg class="chart" viewBox="0 0 720 300" role="img" aria-label="Offers by engine"`) {
		t.Error("no chart of offers by engine")
	}
}

// TestTasksReport: by advisor, the tasks done in the period, those that
// went overdue in it (still open at a deadline in the period, before now)
// and those overdue now.
func TestTasksReport(t *testing.T) {
	f := newFixture(t)
	f.handler.SetPipeline(pipeline.NewStore(f.pool, pipeline.DefaultBusinessHours(time.UTC)))
	// Now is 15 November 2026, 10:00 UTC.
	if _, err := f.pool.Exec(context.Background(), `
INSERT INTO tasks (client_id, title_en, title_ro, assignee_staff_id, due_at, escalate_at, status, completed_at) VALUES
  (101, 'on time', 'la timp', 1, '2026-10-10 12:00Z', '2026-10-11 12:00Z', 'done', '2026-10-09 12:00Z'),
  (101, 'late', 'târziu', 1, '2026-10-12 12:00Z', '2026-10-13 12:00Z', 'done', '2026-10-20 12:00Z'),
  (103, 'open, late', 'deschisă', 1, '2026-11-01 12:00Z', '2026-11-02 12:00Z', 'open', NULL),
  (103, 'open since September', 'deschisă', 1, '2026-09-01 12:00Z', '2026-09-02 12:00Z', 'open', NULL),
  (101, 'due next week', 'săptămâna viitoare', 1, '2026-11-20 12:00Z', '2026-11-21 12:00Z', 'open', NULL),
  (101, 'cancelled late', 'anulată', 1, '2026-10-05 12:00Z', '2026-10-06 12:00Z', 'cancelled', '2026-10-07 12:00Z'),
  (101, 'done in September', 'septembrie', 1, '2026-09-10 12:00Z', '2026-09-11 12:00Z', 'done', '2026-09-15 12:00Z'),
  (102, 'B, open', 'B', 2, '2026-10-15 12:00Z', '2026-10-16 12:00Z', 'open', NULL),
  (106, 'B, done', 'B', 2, '2026-11-03 12:00Z', '2026-11-04 12:00Z', 'done', '2026-11-02 12:00Z');`); err != nil {
		t.Fatal(err)
	}
	const period = "/console/reports?from=2026-10-01&to=2026-11-30"
	for _, tc := range []struct {
		name, path, as string
		want           []string
		absent         []string
	}{
		{"advisor A", period, asAdvisorA, []string{reportRow("Ana Advisor", "2", "3", "2")}, []string{"Bogdan Advisor"}},
		{"compliance", period, asCompliance, []string{reportRow("Ana Advisor", "2", "3", "2"), reportRow("Bogdan Advisor", "1", "1", "1")}, nil},
		{"compliance, advisor B", period + "&advisor=2", asCompliance, []string{reportRow("Bogdan Advisor", "1", "1", "1")}, []string{"Ana Advisor"}},
		{"compliance, mass segment", period + "&segment=mass", asCompliance, []string{reportRow("Ana Advisor", "0", "1", "2"), reportRow("Bogdan Advisor", "1", "1", "1")}, nil},
		{"October", "/console/reports?from=2026-10-01&to=2026-10-31", asAdvisorA, []string{reportRow("Ana Advisor", "2", "2", "2")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			section := reportSection(t, f.do(t, request{path: tc.path, as: tc.as}).Body.String(), "tasks")
			for _, want := range tc.want {
				if !strings.Contains(section, want) {
					t.Errorf("tasks report lacks %s\n%s", want, section)
				}
			}
			for _, name := range tc.absent {
				if strings.Contains(section, name) {
					t.Errorf("tasks report shows %s", name)
				}
			}
		})
	}
}

// TestTopClientsReport: the clients with the most deposits and credit
// outstanding in each currency, exact amounts, never two currencies added
// up; names link to the client 360.
func TestTopClientsReport(t *testing.T) {
	f := newFixture(t)
	f.handler.SetPipeline(pipeline.NewStore(f.pool, pipeline.DefaultBusinessHours(time.UTC)))
	row := func(id, name string, values ...string) string {
		return strings.Replace(reportRow(name, values...), `<th scope="row">`+name, `<th scope="row"><a href="/console/clients/`+id+`">`+name+`</a>`, 1)
	}
	ron := func(s string) string { return "RON\u00a0" + s }
	// Maria: 1,500.50 + 10,000.00 deposits (the closed account left out),
	// 50,000.00 on the loan account and 150,000.00 on the mortgage (her
	// card is the bureau's); Ana: 120.75 and a 9,000.00 loan; Radu
	// Ștefănescu: a 5,000.00 car loan (the overdraft is closed).
	maria := row("101", "Maria Ionescu", "RON", ron("11,500.50"), ron("200,000.00"), ron("211,500.50"))
	ana := row("103", "Ana Popescu", "RON", ron("120.75"), ron("9,000.00"), ron("9,120.75"))
	radu := row("104", "Radu Ștefănescu", "RON", ron("0.00"), ron("5,000.00"), ron("5,000.00"))
	elena := row("106", "Elena Zamfir", "RON", ron("0.00"), ron("7,000.00"), ron("7,000.00"))
	raduI := row("102", "Radu Ionescu", "RON", ron("3,000.00"), ron("0.00"), ron("3,000.00"))
	mariaEUR := row("101", "Maria Ionescu", "EUR", "€2,500.00", "€0.00", "€2,500.00")

	section := reportSection(t, f.do(t, request{path: "/console/reports", as: asAdvisorA}).Body.String(), "top_clients")
	if want := mariaEUR + "\n      " + maria + "\n      " + ana + "\n      " + radu; !strings.Contains(section, want) {
		t.Errorf("advisor A's most valuable clients:\n%s\nwant\n%s", section, want)
	}
	if strings.Contains(section, "Elena Zamfir") || strings.Contains(section, "Radu Ionescu") {
		t.Error("advisor A sees advisor B's clients")
	}
	for _, title := range []string{"Most valuable clients in EUR", "Most valuable clients in RON"} {
		if !strings.Contains(section, `aria-label="`+title+`"`) {
			t.Errorf("no chart %q", title)
		}
	}
	// For the whole firm the ranking reads every account: it waits until
	// asked for.
	section = reportSection(t, f.do(t, request{path: "/console/reports", as: asCompliance}).Body.String(), "top_clients")
	if !strings.Contains(section, `<a href="/console/reports?from=2025-11-16&amp;to=2026-11-15&amp;top=all#top_clients" id="top_clients-all">rank every client now.</a>`) ||
		strings.Contains(section, "<table") {
		t.Errorf("everyone's most valuable clients are not deferred:\n%s", section)
	}
	section = reportSection(t, f.do(t, request{path: "/console/reports?advisor=2", as: asCompliance}).Body.String(), "top_clients")
	if want := row("106", "Elena Zamfir", "RON", ron("0.00"), ron("7,000.00"), ron("7,000.00")) + "\n      " + raduI; !strings.Contains(section, want) {
		t.Errorf("advisor B's most valuable clients:\n%s", section)
	}
	body := f.do(t, request{path: "/console/reports?top=all", as: asCompliance}).Body.String()
	if !strings.Contains(body, `href="/console/reports?format=xlsx&amp;from=2025-11-16&amp;to=2026-11-15&amp;top=all"`) {
		t.Error("the export link does not carry top=all")
	}
	section = reportSection(t, body, "top_clients")
	if want := maria + "\n      " + ana + "\n      " + elena + "\n      " + radu + "\n      " + raduI; !strings.Contains(section, want) {
		t.Errorf("everyone's most valuable clients:\n%s\nwant\n%s", section, want)
	}
	section = reportSection(t, f.do(t, request{path: "/console/reports?segment=mass&top=all", as: asCompliance}).Body.String(), "top_clients")
	if want := ana + "\n      " + elena + "\n      " + raduI; !strings.Contains(section, want) || strings.Contains(section, "Maria") {
		t.Errorf("the mass segment's most valuable clients:\n%s", section)
	}
	w := f.do(t, request{path: "/console/reports?format=csv", as: asAdvisorA})
	reader := csv.NewReader(w.Body)
	reader.FieldsPerRecord = -1 // each report has its own columns
	records, err := reader.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(records, func(r []string) bool {
		return strings.Join(r, "|") == "Maria Ionescu|RON|"+ron("11,500.50")+"|"+ron("200,000.00")+"|"+ron("211,500.50")
	}) {
		t.Errorf("the CSV export lacks Maria's RON figures: %q", records)
	}
}

// TestSegmentAndLifeStageReports: clients by segment and by life stage and
// segment, today, in the reader's scope.
func TestSegmentAndLifeStageReports(t *testing.T) {
	f := newFixture(t)
	f.handler.SetPipeline(pipeline.NewStore(f.pool, pipeline.DefaultBusinessHours(time.UTC)))
	body := f.do(t, request{path: "/console/reports", as: asAdvisorA}).Body.String()
	// Advisor A: Maria (45, married, two dependants, affluent), Ana (36,
	// single, mass), Radu Ștefănescu (71, private), Dan Albu (nothing
	// known, emerging affluent).
	segments := reportSection(t, body, "segments")
	if want := reportRow("Affluent", "1") + "\n      " + reportRow("Emerging affluent", "1") + "\n      " + reportRow("Mass", "1") + "\n      " + reportRow("Private", "1"); !strings.Contains(segments, want) {
		t.Errorf("advisor A's segments:\n%s", segments)
	}
	stages := reportSection(t, body, "life_stages")
	for _, want := range []string{
		`<th scope="col">Life stage</th><th scope="col" class="numeric">Mass</th><th scope="col" class="numeric">Emerging affluent</th><th scope="col" class="numeric">Affluent</th><th scope="col" class="numeric">Private</th><th scope="col" class="numeric">Prospect</th><th scope="col" class="numeric">Clients</th>`,
		reportRow("Single adult", "1", "0", "0", "0", "0", "1") + "\n      " + reportRow("Family with dependants", "0", "0", "1", "0", "0", "1") + "\n      " +
			reportRow("Retired", "0", "0", "0", "1", "0", "1") + "\n      " + reportRow("Not known", "0", "1", "0", "0", "0", "1"),
	} {
		if !strings.Contains(stages, want) {
			t.Errorf("advisor A's life stages lack %s\n%s", want, stages)
		}
	}
	// Everyone, mass only: Ana, Radu Ionescu (48, married, dependants),
	// Elena Zamfir (41).
	stages = reportSection(t, f.do(t, request{path: "/console/reports?segment=mass", as: asCompliance}).Body.String(), "life_stages")
	if want := reportRow("Single adult", "2", "2") + "\n      " + reportRow("Family with dependants", "1", "1"); !strings.Contains(stages, want) {
		t.Errorf("the mass segment's life stages:\n%s", stages)
	}
	// Everyone: Mihai Stan (25, a student, prospect) is starting out, Ion
	// Popa (56) approaching retirement.
	stages = reportSection(t, f.do(t, request{path: "/console/reports", as: asCompliance}).Body.String(), "life_stages")
	for _, want := range []string{reportRow("Starting out", "0", "0", "0", "0", "1", "1"), reportRow("Approaching retirement", "0", "0", "1", "0", "0", "1"),
		reportRow("Single adult", "2", "0", "0", "0", "0", "2"), reportRow("Family with dependants", "1", "0", "1", "0", "0", "2")} {
		if !strings.Contains(stages, want) {
			t.Errorf("everyone's life stages lack %s\n%s", want, stages)
		}
	}
}

// TestLifeStageFacts holds lifeStageFacts and lifeStageOf to LifeStage
// for every client of the fixture and clients born around the age limits,
// on ordinary days and on 29 February.
func TestLifeStageFacts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.pool.Exec(ctx, `
INSERT INTO clients (id, given_name, family_name, birth_date, marital_status, dependants, employment_status) VALUES
  (901, 'A', 'A', '2000-02-29', NULL, 0, NULL), (902, 'B', 'B', '2003-02-28', 'married', 0, NULL),
  (903, 'C', 'C', '2003-03-01', 'married', 0, NULL), (904, 'D', 'D', '1963-02-28', NULL, 0, 'employed'),
  (905, 'E', 'E', '1963-03-01', NULL, 1, NULL), (906, 'F', 'F', '1972-02-29', 'partnership', 0, NULL),
  (907, 'G', 'G', '1973-03-01', NULL, 0, NULL), (908, 'H', 'H', '2001-11-15', NULL, 2, NULL),
  (909, 'I', 'I', '2001-11-16', NULL, 0, NULL), (910, 'J', 'J', '1961-11-15', NULL, 0, NULL),
  (911, 'K', 'K', '1961-11-16', NULL, 0, NULL), (912, 'L', 'L', '1971-11-15', 'single', 0, NULL),
  (913, 'M', 'M', '1971-11-16', NULL, 0, 'retired'), (914, 'N', 'N', NULL, 'married', 0, NULL),
  (915, 'O', 'O', NULL, NULL, 1, NULL), (916, 'P', 'P', NULL, NULL, 0, 'student'),
  (917, 'Q', 'Q', '2004-02-29', NULL, 0, NULL), (918, 'R', 'R', '1964-02-29', NULL, 0, NULL),
  (919, 'S', 'S', '1950-05-05', 'married', 3, 'student'), (920, 'T', 'T', '1990-05-05', 'divorced', 0, 'student');`); err != nil {
		t.Fatal(err)
	}
	for _, today := range []time.Time{testNow, time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2029, 2, 28, 0, 0, 0, 0, time.UTC),
		time.Date(2029, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC)} {
		rows, err := f.pool.Query(ctx, `SELECT c.id, c.birth_date, coalesce(c.marital_status, ''), c.dependants, coalesce(c.employment_status, ''), `+
			lifeStageFacts+` FROM clients c ORDER BY c.id`, ageThreshold(today, 65), ageThreshold(today, 55), ageThreshold(today, 25))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		if err := scanEach(rows, func(r pgx.Rows) error {
			var id int64
			var birth *time.Time
			var marital, employment string
			var dependants int
			var f lifeFacts
			if err := r.Scan(&id, &birth, &marital, &dependants, &employment, &f.noBirthDate, &f.aged65, &f.aged55, &f.under25,
				&f.couple, &f.maritalKnown, &f.dependants, &f.retired, &f.student); err != nil {
				return err
			}
			n++
			got, want := lifeStageOf(f), LifeStage(ageOn(birth, today), marital, dependants, employment)
			if got != want {
				t.Errorf("on %s client %d (born %v): the report says %s, LifeStage %s", today.Format(time.DateOnly), id, birth, got, want)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if n != 28 {
			t.Fatalf("%d clients", n)
		}
	}
}

// TestReportFilters: a bad filter value is named at its field and nothing
// is counted; advisors pick no advisor; the export links carry the filter;
// every report's words are in both catalogues.
func TestReportFilters(t *testing.T) {
	f := newFixture(t)
	f.handler.SetPipeline(pipeline.NewStore(f.pool, pipeline.DefaultBusinessHours(time.UTC)))
	for _, tc := range []struct {
		name, path, as string
		want           []string
	}{
		{"unknown segment", "/console/reports?segment=gold", asAdvisorA,
			[]string{`<p class="error-message" id="reports-segment-error">Choose a segment from the list.</p>`, `<a href="#reports-segment">Choose a segment from the list.</a>`}},
		{"advisor not a number", "/console/reports?advisor=ana", asCompliance,
			[]string{`<p class="error-message" id="reports-advisor-error">Choose an advisor from the list.</p>`}},
		{"not an advisor", "/console/reports?advisor=3", asAdmin,
			[]string{`<p class="error-message" id="reports-advisor-error">Choose an advisor from the list.</p>`}},
		{"bad date and segment", "/console/reports?from=1.10.2026&segment=x", asCompliance,
			[]string{`<p class="error-message" id="reports-from-error">Enter dates as 2026-12-31.</p>`, `id="reports-segment-error"`, `value="1.10.2026"`}},
		{"Romanian", "/console/reports?segment=gold&advisor=99", asCompliance + "|ro",
			[]string{`Alegeți un segment din listă.`, `Alegeți un consilier din listă.`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			as, lang, _ := strings.Cut(tc.as, "|")
			w := f.do(t, request{path: tc.path, as: as, acceptLanguage: lang})
			body := w.Body.String()
			if w.Code != http.StatusUnprocessableEntity {
				t.Errorf("status %d", w.Code)
			}
			for _, want := range tc.want {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %s", want)
				}
			}
			if strings.Contains(body, `<section class="report"`) {
				t.Error("reports shown for a bad filter")
			}
		})
	}

	advisor := f.do(t, request{path: "/console/reports?segment=mass", as: asAdvisorA}).Body.String()
	if strings.Contains(advisor, `id="reports-advisor"`) {
		t.Error("an advisor is offered other advisors")
	}
	if !strings.Contains(advisor, `href="/console/reports?format=xlsx&amp;from=2025-11-16&amp;segment=mass&amp;to=2026-11-15"`) {
		t.Error("the export link does not carry the segment")
	}
	all := f.do(t, request{path: "/console/reports?from=2026-10-01&to=2026-11-30&advisor=2&segment=mass", as: asCompliance}).Body.String()
	for _, want := range []string{`<option value="2" selected>Bogdan Advisor</option>`, `<option value="mass" selected>Mass</option>`,
		`href="/console/reports?advisor=2&amp;format=csv&amp;from=2026-10-01&amp;segment=mass&amp;to=2026-11-30"`} {
		if !strings.Contains(all, want) {
			t.Errorf("compliance's page lacks %s", want)
		}
	}
	if strings.Contains(all, `<option value="3"`) {
		t.Error("a compliance officer is offered as an advisor")
	}

	leakedKey := regexp.MustCompile(`\b(?:console|date|lang)\.[a-z_]+(?:\.[a-z_0-9]+)*`)
	offerLogFixture(t, f)
	for _, lang := range []string{"en", "ro"} {
		body := f.do(t, request{path: "/console/reports?from=2026-10-01&to=2026-11-30&top=all", as: asCompliance, acceptLanguage: lang}).Body.String()
		if m := leakedKey.FindString(strings.ReplaceAll(body, "/console", "")); m != "" {
			t.Errorf("%s: untranslated key %q", lang, m)
		}
		// No deal and no task in this fixture: those reports say so;
		// every other report has a table and its chart.
		for _, id := range reportIDs {
			section := reportSection(t, body, id)
			empty := id == "deals_by_month" || id == "conversion" || id == "tasks"
			if strings.Contains(section, "<table") != strings.Contains(section, `<svg class="chart"`) || strings.Contains(section, "<table") == empty {
				t.Errorf("%s: report %s has a table without a chart or is empty:\n%s", lang, id, section)
			}
		}
	}
	var keys []string
	for _, id := range reportIDs {
		for _, suffix := range []string{"title", "caption", "label", "sheet"} {
			keys = append(keys, "console.reports."+id+"."+suffix)
		}
	}
	keys = append(keys, "console.reports.top_clients.chart", "console.reports.top_clients.deferred", "console.reports.top_clients.show_all",
		"console.reports.top_clients.deferred_export", "console.reports.no_rate", "console.reports.no_product",
		"console.reports.error.advisor", "console.reports.error.segment", "console.reports.advisor", "console.reports.all_advisors",
		"console.reports.tasks_went_overdue", "console.reports.offers_shown", "console.reports.offers_interested", "console.reports.offers_accepted",
		"console.reports.offers_declined", "console.reports.interest_rate", "console.reports.acceptance_rate", "console.reports.currency",
		"console.reports.deposits", "console.reports.credit_outstanding", "console.reports.business_total")
	for _, key := range keys {
		for _, lang := range i18n.Supported() {
			if !i18n.HasMessage(lang, key) {
				t.Errorf("key %q is missing from the %s catalogue", key, lang)
			}
		}
	}
}
