package compliance

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func TestStatsExactCounts(t *testing.T) {
	f := newConsoleFixture(t)
	var st statsJSON
	f.getJSON(t, "/api/v1/compliance/stats?from=2026-11-01&to=2026-11-30", http.StatusOK, &st)
	c := func(g countsJSON) string {
		rate := "-"
		if g.AcceptanceRate != nil {
			rate = *g.AcceptanceRate
		}
		return fmt.Sprintf("shown %d blocked %d accepted %d declined %d expired %d rate %s", g.Shown, g.Blocked, g.Accepted, g.Declined, g.Expired, rate)
	}
	if got := c(st.Total); got != "shown 4 blocked 2 accepted 1 declined 1 expired 1 rate 0.2500" {
		t.Errorf("total: %s", got)
	}
	want := map[string]map[string]string{
		"product": {
			"DEP-12M": "shown 2 blocked 1 accepted 1 declined 0 expired 1 rate 0.5000",
			"FUND-EQ": "shown 2 blocked 1 accepted 0 declined 1 expired 0 rate 0.0000",
		},
		"engine": {
			"advisor.nbo":       "shown 1 blocked 1 accepted 0 declined 0 expired 0 rate 0.0000",
			"portal":            "shown 0 blocked 0 accepted 1 declined 1 expired 1 rate -",
			"products.matching": "shown 3 blocked 1 accepted 0 declined 0 expired 0 rate 0.0000",
		},
		"segment": {
			"mass":     "shown 2 blocked 1 accepted 1 declined 0 expired 0 rate 0.5000",
			"private":  "shown 1 blocked 1 accepted 0 declined 1 expired 0 rate 0.0000",
			"affluent": "shown 1 blocked 0 accepted 0 declined 0 expired 1 rate 0.0000",
		},
		// Ana is 36, Ion 71; Maria's birth date is not known.
		"age_band": {
			"35_44":   "shown 2 blocked 1 accepted 1 declined 0 expired 0 rate 0.5000",
			"65_plus": "shown 1 blocked 1 accepted 0 declined 1 expired 0 rate 0.0000",
			"unknown": "shown 1 blocked 0 accepted 0 declined 0 expired 1 rate 0.0000",
		},
		"channel": {
			"web":    "shown 2 blocked 0 accepted 1 declined 0 expired 0 rate 0.5000",
			"mobile": "shown 0 blocked 1 accepted 0 declined 0 expired 0 rate -",
			"branch": "shown 1 blocked 0 accepted 0 declined 1 expired 0 rate 0.0000",
			"phone":  "shown 0 blocked 1 accepted 0 declined 0 expired 0 rate -",
			"email":  "shown 1 blocked 0 accepted 0 declined 0 expired 1 rate 0.0000",
		},
	}
	for dim, groups := range want {
		got := map[string]string{}
		for _, g := range st.By[dim] {
			got[g.Key] = c(g.countsJSON)
		}
		if fmt.Sprint(got) != fmt.Sprint(groups) {
			t.Errorf("by %s:\n got %v\nwant %v", dim, got, groups)
		}
	}
	if keys := func() []string {
		var k []string
		for _, g := range st.By["age_band"] {
			k = append(k, g.Key)
		}
		return k
	}(); !slices.Equal(keys, []string{"35_44", "65_plus", "unknown"}) {
		t.Errorf("age bands in order %v", keys)
	}
	if fmt.Sprint(st.BlockedBy) != "[{consent 1} {suitability 1}]" {
		t.Errorf("blocked by %v", st.BlockedBy)
	}

	// The period is in Bucharest days: only record 5 on the 11th.
	f.getJSON(t, "/api/v1/compliance/stats?from=2026-11-11&to=2026-11-11", http.StatusOK, &st)
	if c(st.Total) != "shown 0 blocked 1 accepted 0 declined 0 expired 0 rate -" || st.From != "2026-11-11" || st.To != "2026-11-11" {
		t.Errorf("one day: %s %s..%s", c(st.Total), st.From, st.To)
	}
	// The default period is the 30 days up to today (25 November).
	f.getJSON(t, "/api/v1/compliance/stats", http.StatusOK, &st)
	if st.From != "2026-10-27" || st.To != "2026-11-25" || st.Total.Shown != 4 {
		t.Errorf("default period %s..%s, %d shown", st.From, st.To, st.Total.Shown)
	}
	w := f.do(t, req{path: "/api/v1/compliance/stats?from=2026-11-30&to=2026-11-01", as: asCompliance})
	if p := decodeProblemDoc(t, w); w.Code != 422 || p.Errors[0].Field != "to" {
		t.Errorf("from after to: %d %+v", w.Code, p)
	}
	page := f.do(t, req{path: "/console/compliance/stats?from=2026-11-01&to=2026-11-30", as: asCompliance, lang: "ro"}).Body.String()
	for _, s := range []string{"50,0\u00a0%", "65 și peste", "<code>consent</code>", "1 nov. 2026", "30 nov. 2026",
		// The charts: one per dimension and one of the blocking checks,
		// each bar titled with its group and value.
		`role="img" aria-label="Pe segment"`, `<title>65 și peste · Afișate: 1</title>`, `role="img" aria-label="Oferte blocate, pe verificarea picată"`} {
		if !strings.Contains(page, s) {
			t.Errorf("Romanian statistics page lacks %q", s)
		}
	}
	if n := strings.Count(page, `<svg class="chart"`); n != len(Dimensions)+1 {
		t.Errorf("%d charts, want %d", n, len(Dimensions)+1)
	}
}

func TestAccessLog(t *testing.T) {
	f := newConsoleFixture(t)
	names := func(q string) []string {
		var p accessPageJSON
		f.getJSON(t, "/api/v1/compliance/access-log?"+q, http.StatusOK, &p)
		var out []string
		for _, r := range p.Rows {
			purpose := ""
			if r.Purpose != nil {
				purpose = " " + *r.Purpose
			}
			out = append(out, fmt.Sprintf("%s %s%s", r.StaffName, r.Resource, purpose))
		}
		return out
	}
	all := []string{"Carmen Compliance client_360", "Bogdan Advisor credit_history credit_application", "Bogdan Advisor client_360"}
	for _, tt := range []struct {
		q    string
		want []string
	}{
		{"", all},
		{"staff=11", all[1:]},
		{"client=2", all[1:2]},
		{"from=2026-11-06&to=2026-11-20", all[:2]},
		{"staff=10&client=1", nil},
		// By name, not only by id: part of the staff name, the start of
		// the client's, accents and case aside.
		{"staff=bogdan", all[1:]},
		{"client=popa", all[1:2]},
		{"client=ion+pop", all[1:2]},
		{"staff=nobody", nil},
	} {
		if got := names(tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("%q: %v, want %v", tt.q, got, tt.want)
		}
	}
	w := f.do(t, req{path: "/api/v1/compliance/access-log?staff=-3&from=2026-02-30", as: asCompliance})
	if p := decodeProblemDoc(t, w); w.Code != 422 || len(p.Errors) != 2 || p.Errors[0].Field != "staff" || p.Errors[1].Field != "from" {
		t.Errorf("bad filter: %d %+v", w.Code, p)
	}
	page := f.do(t, req{path: "/console/compliance/access-log?client=2", as: asCompliance}).Body.String()
	if !strings.Contains(page, "Credit application") || !strings.Contains(page, "Ion Popa") {
		t.Errorf("access log page lacks the credit history view")
	}
}

// exportFixture is the fixture with a checkpoint signed at the head.
func exportFixture(t *testing.T) *consoleFixture {
	f := newConsoleFixture(t)
	if _, err := f.log.Checkpoint(context.Background(), testKey(t)); err != nil {
		t.Fatal(err)
	}
	return f
}

// chainRow is a record's stored chain fields.
type chainRow struct {
	prev, hash string
}

func chainOf(t testing.TB, f *consoleFixture) map[int64]chainRow {
	rows, err := f.pool.Query(context.Background(), `SELECT seq, prev_hash, hash FROM decision_records`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]chainRow{}
	for rows.Next() {
		var seq int64
		var p, h []byte
		rows.Scan(&seq, &p, &h)
		out[seq] = chainRow{hex.EncodeToString(p), hex.EncodeToString(h)}
	}
	return out
}

func TestExportJSON(t *testing.T) {
	f := exportFixture(t)
	chain := chainOf(t, f)
	w := f.do(t, req{path: "/api/v1/compliance/export?format=json&product=DEP-12M", as: asCompliance})
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" || !strings.Contains(w.Header().Get("Content-Disposition"), ".json") {
		t.Fatalf("export: %d %v", w.Code, w.Header())
	}
	var doc struct {
		Filter  Filter           `json:"filter"`
		Records []ExportedRecord `json:"records"`
		Count   int              `json:"count"`
		Proof   ChainProof       `json:"proof"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	var seqs []int64
	for _, r := range doc.Records {
		seqs = append(seqs, r.Seq)
		if r.Hash != chain[r.Seq].hash || r.PrevHash != chain[r.Seq].prev {
			t.Errorf("record %d hashes differ from the database", r.Seq)
		}
	}
	if !slices.Equal(seqs, []int64{1, 3, 5, 7, 8}) || doc.Count != 5 || doc.Filter.Product != "DEP-12M" {
		t.Fatalf("exported %v (count %d, filter %+v)", seqs, doc.Count, doc.Filter)
	}
	if doc.Records[2].FailedChecks[0] != "suitability" || doc.Records[1].RefersTo != 1 {
		t.Errorf("record 5 = %+v", doc.Records[2])
	}
	checkProof(t, f, chain, &doc.Proof, 1, 8)
}

func checkProof(t *testing.T, f *consoleFixture, chain map[int64]chainRow, p *ChainProof, first, last int64) {
	t.Helper()
	var headSeq int64
	var head []byte
	f.pool.QueryRow(context.Background(), `SELECT seq, hash FROM decision_chain_head`).Scan(&headSeq, &head)
	var cpSeq int64
	var cpHash, sig []byte
	var keyID string
	f.pool.QueryRow(context.Background(), `SELECT seq, head_hash, key_id, signature FROM decision_checkpoints ORDER BY seq DESC LIMIT 1`).Scan(&cpSeq, &cpHash, &keyID, &sig)
	if p.First.Seq != first || p.First.Hash != chain[first].hash || p.First.PrevHash != chain[first].prev ||
		p.Last.Seq != last || p.Last.Hash != chain[last].hash || p.Last.PrevHash != chain[last].prev {
		t.Errorf("proof links %+v %+v", p.First, p.Last)
	}
	if p.Head.Seq != headSeq || p.Head.Hash != hex.EncodeToString(head) {
		t.Errorf("proof head %+v", p.Head)
	}
	if cp := p.Checkpoint; cp == nil || cp.Seq != cpSeq || cp.HeadHash != hex.EncodeToString(cpHash) || cp.KeyID != keyID ||
		cp.Signature != hex.EncodeToString(sig) || !cp.CoversLast {
		t.Errorf("proof checkpoint %+v", p.Checkpoint)
	}
}

// recomputeHash checks an exported row against its hash: the export holds
// every field the hash covers.
func recomputeHash(t *testing.T, cols []string, row []string) {
	t.Helper()
	v := map[string]string{}
	for i, c := range cols {
		v[c] = row[i]
	}
	num := func(k string) int64 {
		if v[k] == "" {
			return 0
		}
		n, err := strconv.ParseInt(v[k], 10, 64)
		if err != nil {
			t.Fatalf("%s = %q", k, v[k])
		}
		return n
	}
	at, err := time.Parse(time.RFC3339Nano, v["recorded_at"])
	if err != nil {
		t.Fatal(err)
	}
	fields := recordFields{seq: num("seq"), kind: []byte(v["kind"]), refersTo: num("refers_to"), clientID: num("client_id"),
		productID: num("product_id"), productVersionID: num("product_version_id"), engine: []byte(v["engine"]),
		engineVersion: []byte(v["engine_version"]), ruleVersion: []byte(v["rule_version"]), channel: []byte(v["channel"]),
		actorKind: []byte(v["actor_kind"]), actorStaffID: num("actor_staff_id"), outcome: []byte(v["outcome"]),
		recordedAtMicros: at.UnixMicro(), body: []byte(v["body"])}
	prev, _ := hex.DecodeString(v["prev_hash"])
	h, _ := chainHash(nil, prev, &fields)
	if hex.EncodeToString(h[:]) != v["hash"] {
		t.Errorf("record %s: recomputed hash %x, exported %s", v["seq"], h, v["hash"])
	}
}

// splitProof separates the record rows from the proof rows of a CSV or
// sheet.
func splitProof(t *testing.T, rows [][]string) (records, proof [][]string) {
	for i, r := range rows {
		if len(r) > 0 && r[0] == "proof" {
			return rows[:i], rows[i+1:]
		}
	}
	t.Fatal("no proof rows")
	return nil, nil
}

func proofFromRows(rows [][]string) *ChainProof {
	p := &ChainProof{}
	n := func(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v }
	for _, r := range rows {
		for len(r) < 8 {
			r = append(r, "")
		}
		switch r[0] {
		case "first_record":
			p.First = &ProofLink{Seq: n(r[1]), PrevHash: r[2], Hash: r[3]}
		case "last_record":
			p.Last = &ProofLink{Seq: n(r[1]), PrevHash: r[2], Hash: r[3]}
		case "chain_head":
			p.Head = ProofHead{Seq: n(r[1]), Hash: r[3]}
		case "checkpoint":
			p.Checkpoint = &ProofCheckpoint{Seq: n(r[1]), HeadHash: r[3], KeyID: r[5], Signature: r[6], CoversLast: r[7] == "true"}
		}
	}
	return p
}

func TestExportCSVAndExcel(t *testing.T) {
	f := exportFixture(t)
	chain := chainOf(t, f)
	query := "client=pop&from=2026-11-02&to=2026-11-12"
	want := []int64{2, 3, 4, 5, 6}

	w := f.do(t, req{path: "/console/compliance/export?format=csv&" + query, as: asCompliance})
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %v", w.Code, w.Header())
	}
	r := csv.NewReader(bytes.NewReader(w.Body.Bytes()))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	recs, proof := splitProof(t, rows)
	if !slices.Equal(recs[0], ExportColumns) {
		t.Fatalf("header %v", recs[0])
	}
	var seqs []int64
	for _, row := range recs[1:] {
		n, _ := strconv.ParseInt(row[0], 10, 64)
		seqs = append(seqs, n)
		recomputeHash(t, recs[0], row)
	}
	if !slices.Equal(seqs, want) {
		t.Errorf("csv records %v, want %v", seqs, want)
	}
	if recs[4][2] != "2026-11-11 01:30:00 +02:00" || recs[4][7] != "Ion Popa" || recs[4][17] != "suitability" {
		t.Errorf("csv row of record 5: %v", recs[4][:18])
	}
	checkProof(t, f, chain, proofFromRows(proof), 2, 6)

	w = f.do(t, req{path: "/api/v1/compliance/export?format=xlsx&" + query, as: asCompliance})
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("xlsx: %d %v", w.Code, w.Header())
	}
	x, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sheet, err := x.GetRows("Records")
	if err != nil {
		t.Fatal(err)
	}
	for i := range sheet {
		for len(sheet[i]) < len(ExportColumns) {
			sheet[i] = append(sheet[i], "") // trailing empty cells are not stored
		}
	}
	if fmt.Sprint(sheet) != fmt.Sprint(recs) {
		t.Errorf("xlsx records differ from csv:\n%v\n%v", sheet, recs)
	}
	proofSheet, err := x.GetRows("Proof")
	if err != nil {
		t.Fatal(err)
	}
	checkProof(t, f, chain, proofFromRows(proofSheet[1:]), 2, 6)

	// Each export is in the access log with its filter.
	var p accessPageJSON
	f.getJSON(t, "/api/v1/compliance/access-log?staff=10", http.StatusOK, &p)
	var exports []string
	for _, a := range p.Rows {
		if a.Resource == "export" {
			var d struct {
				Format  string `json:"format"`
				Records int    `json:"records"`
				Filter  Filter `json:"filter"`
			}
			json.Unmarshal(a.Detail, &d)
			exports = append(exports, fmt.Sprintf("%s %d %s %s..%s %v", d.Format, d.Records, d.Filter.Client, d.Filter.From, d.Filter.To, a.ClientID))
		}
	}
	if fmt.Sprint(exports) != "[xlsx 5 pop 2026-11-02..2026-11-12 <nil> csv 5 pop 2026-11-02..2026-11-12 <nil>]" {
		t.Errorf("exports logged: %v", exports)
	}
}

// TestExportNeutralisesFormulas: a name that a spreadsheet would run as a
// formula (names come from identity providers' claims and forms) is
// written with a ' in front in CSV and .xlsx, and the hashes still
// recompute (the name is not hashed; every hashed field is left as it is).
func TestExportNeutralisesFormulas(t *testing.T) {
	f := exportFixture(t)
	const evil = `=HYPERLINK("http://evil.example","Radu")`
	if _, err := f.pool.Exec(context.Background(), `UPDATE clients SET given_name = $1 WHERE id = 2`, evil); err != nil {
		t.Fatal(err)
	}
	const query = "client=2&from=2026-11-02&to=2026-11-12"
	w := f.do(t, req{path: "/console/compliance/export?format=csv&" + query, as: asCompliance})
	r := csv.NewReader(bytes.NewReader(w.Body.Bytes()))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := splitProof(t, rows)
	if len(recs) < 2 {
		t.Fatalf("csv export of client 2 has no records: %v", recs)
	}
	for _, row := range recs[1:] {
		if row[7] != "'"+evil+" Popa" {
			t.Errorf("csv client_name = %q, want it behind a '", row[7])
		}
		recomputeHash(t, recs[0], row)
	}

	w = f.do(t, req{path: "/console/compliance/export?format=xlsx&" + query, as: asCompliance})
	x, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sheet, _ := x.GetRows("Records")
	for i, row := range sheet[1:] {
		cell, _ := excelize.CoordinatesToCellName(8, i+2)
		formula, _ := x.GetCellFormula("Records", cell)
		if row[7] != "'"+evil+" Popa" || formula != "" {
			t.Errorf("xlsx client_name = %q (formula %q), want it behind a '", row[7], formula)
		}
	}
}

func TestExportRefusals(t *testing.T) {
	f := exportFixture(t)
	for _, tt := range []struct {
		q, field string
	}{
		{"format=pdf", "format"},
		{"format=csv&from=2026-11-31", "from"},
		{"format=json&from=2026-11-20&to=2026-11-01", "to"},
	} {
		w := f.do(t, req{path: "/api/v1/compliance/export?" + tt.q, as: asCompliance})
		if p := decodeProblemDoc(t, w); w.Code != 422 || p.Errors[0].Field != tt.field {
			t.Errorf("%s: %d %+v", tt.q, w.Code, p)
		}
	}
	// From the console, a bad date shows the search page with the message.
	w := f.do(t, req{path: "/console/compliance/export?format=csv&from=2026-11-31", as: asCompliance})
	if w.Code != 422 || !strings.Contains(w.Body.String(), `id="filter-from-error"`) {
		t.Errorf("console export with a bad date: %d", w.Code)
	}
	var n int
	f.pool.QueryRow(context.Background(), `SELECT count(*) FROM staff_access_log WHERE resource = 'export'`).Scan(&n)
	if n != 0 {
		t.Errorf("%d refused exports logged", n)
	}
	// An empty set still carries the head and the checkpoint.
	w = f.do(t, req{path: "/api/v1/compliance/export?format=json&client=999", as: asCompliance})
	var doc struct {
		Records []ExportedRecord `json:"records"`
		Proof   ChainProof       `json:"proof"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || len(doc.Records) != 0 || doc.Proof.First != nil || doc.Proof.Checkpoint == nil {
		t.Errorf("empty export: %v %s", err, w.Body)
	}
}

func TestFilterFormStaysOnItsPage(t *testing.T) {
	f := newConsoleFixture(t)
	for path, action := range map[string]string{
		"/console/compliance?outcome=shown":                     "/console/compliance",
		"/console/compliance/queue":                             "/console/compliance/queue",
		"/console/compliance/export?format=csv&from=2026-11-31": "/console/compliance",
	} {
		body := f.do(t, req{path: path, as: asCompliance}).Body.String()
		if !strings.Contains(body, `id="record-filter"`) || !strings.Contains(body, `action="`+action+`" role="search"`) {
			t.Errorf("%s: the filter form does not go to %s", path, action)
		}
	}
}

// TestInterestAndApplicationAreDistinct: "I'm interested" and a later
// application are two records with their own outcomes: the search finds
// each by its outcome, the statistics count them apart, and the record
// page names them.
func TestInterestAndApplicationAreDistinct(t *testing.T) {
	f := newConsoleFixture(t)
	ctx := context.Background()
	for i, step := range []struct {
		at      string
		outcome Outcome
	}{{"2026-11-23 09:00", OutcomeInterested}, {"2026-11-24 09:00", OutcomeAccepted}} {
		at := utc(step.at)
		f.log.Now = func() time.Time { return at }
		if _, err := f.log.Append(ctx, Record{Kind: KindResponse, RefersTo: 9, ClientID: anaID, ProductID: fundID, Engine: "portal",
			Channel: "web", Actor: Actor{Kind: ActorClient}, Outcome: step.outcome}); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	var page recordPageJSON
	f.getJSON(t, "/api/v1/compliance/records?outcome=interested", http.StatusOK, &page)
	if len(page.Records) != 1 || page.Records[0].Outcome != "interested" || *page.Records[0].RefersTo != 9 {
		t.Errorf("outcome=interested: %+v", page.Records)
	}
	f.getJSON(t, "/api/v1/compliance/records?outcome=accepted", http.StatusOK, &page)
	var accepted []string
	for _, r := range page.Records {
		accepted = append(accepted, fmt.Sprintf("%d→%d", r.Seq, *r.RefersTo))
	}
	if len(page.Records) != 2 || page.Records[1].RefersTo == nil || *page.Records[1].RefersTo != 1 || *page.Records[0].RefersTo != 9 {
		t.Errorf("outcome=accepted: %v, want the application to offer 9 and the older one to offer 1", accepted)
	}
	var st statsJSON
	f.getJSON(t, "/api/v1/compliance/stats?from=2026-11-01&to=2026-11-30", http.StatusOK, &st)
	if st.Total.Interested != 1 || st.Total.Accepted != 2 || st.Total.InterestRate == nil || *st.Total.InterestRate != "0.2500" || *st.Total.AcceptanceRate != "0.5000" {
		t.Errorf("totals: interested %d accepted %d interest rate %v acceptance rate %v", st.Total.Interested, st.Total.Accepted, st.Total.InterestRate, st.Total.AcceptanceRate)
	}
	w := f.do(t, req{path: "/console/compliance?outcome=interested", as: asCompliance})
	if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, ">Interested<") {
		t.Errorf("the search page does not name the outcome: %d", w.Code)
	}
}
