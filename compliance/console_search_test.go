package compliance

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// pageSeqs returns the record numbers in a page's record table.
func pageSeqs(body string) []int64 {
	table := regexp.MustCompile(`(?s)<table class="data-table" id="record-list">.*?</table>`).FindString(body)
	out := []int64{}
	for _, m := range regexp.MustCompile(`<a href="/console/compliance/records/(\d+)">`).FindAllStringSubmatch(table, -1) {
		var n int64
		fmt.Sscan(m[1], &n)
		out = append(out, n)
	}
	return out
}

func TestConsoleSearchFilters(t *testing.T) {
	f := newConsoleFixture(t)
	all := []int64{9, 8, 7, 6, 5, 4, 3, 2, 1}
	if f.reviewRequest != 0 {
		all = append([]int64{f.reviewRequest}, all...)
	}
	tests := []struct {
		query string
		want  []int64
	}{
		{"", all},
		{"client=1", append(append([]int64{}, all[:len(all)-9]...), 9, 3, 2, 1)},
		{"client=" + url.QueryEscape("ana pop") + "&outcome=shown", []int64{9, 1}},
		{"client=pop&outcome=blocked", []int64{5, 2}},
		{"client=" + url.QueryEscape("IONESCU"), []int64{8, 7}},
		{"client=zz", []int64{}},
		{"product=dep-12m", []int64{8, 7, 5, 3, 1}},
		{"product=NOPE", []int64{}},
		{"engine=advisor.nbo", []int64{5, 4}},
		{"advisor=11", []int64{5, 4}},
		{"channel=web&outcome=shown", []int64{9, 1}},
		{"outcome=blocked", []int64{5, 2}},
		{"outcome=accepted", []int64{3}},
		{"outcome=expired", []int64{8}},
		{"failed_check=consent", []int64{2}},
		{"failed_check=suitability", []int64{5}},
		{"failed_check=target_market", []int64{}},
		// Dates are days in the console's zone (Bucharest): record 5 was
		// made at 23:30 UTC on the 10th, 01:30 on the 11th in Bucharest.
		{"from=2026-11-11&to=2026-11-11", []int64{5}},
		{"from=2026-11-10&to=2026-11-10", []int64{4}},
		{"from=2026-11-15&outcome=shown", []int64{9, 7}},
		{"to=2026-11-02", []int64{2, 1}},
		{"client=1&product=DEP-12M&channel=web&engine=products.matching&outcome=shown&from=2026-11-01&to=2026-11-01", []int64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var got recordPageJSON
			f.getJSON(t, "/api/v1/compliance/records?"+tt.query, http.StatusOK, &got)
			if s := seqsOf(got); !slices.Equal(s, tt.want) {
				t.Errorf("API = %v, want %v", s, tt.want)
			}
			w := f.do(t, req{path: "/console/compliance?" + tt.query, as: asCompliance})
			if w.Code != http.StatusOK {
				t.Fatalf("page status %d", w.Code)
			}
			if s := pageSeqs(w.Body.String()); !slices.Equal(s, tt.want) {
				t.Errorf("page = %v, want %v", s, tt.want)
			}
		})
	}
}

func TestConsoleSearchRows(t *testing.T) {
	f := newConsoleFixture(t)
	var got recordPageJSON
	f.getJSON(t, "/api/v1/compliance/records?advisor=11&outcome=blocked", http.StatusOK, &got)
	if len(got.Records) != 1 {
		t.Fatalf("records %+v", got)
	}
	r := got.Records[0]
	if r.Seq != 5 || r.Kind != "offer_blocked" || r.ClientID != ionID || r.ClientName != "Ion Popa" || *r.ProductCode != "DEP-12M" ||
		r.Engine != "advisor.nbo" || r.Channel != "phone" || r.ActorKind != "advisor" || *r.StaffID != advisorID ||
		*r.StaffName != "Bogdan Advisor" || r.Outcome != "blocked" || !r.RecordedAt.Equal(utc("2026-11-10 23:30")) || r.Review != nil {
		t.Errorf("record 5 = %+v", r)
	}
}

func TestConsoleSearchPaging(t *testing.T) {
	f := newConsoleFixture(t)
	var pages [][]int64
	after := ""
	for i := 0; i < 10; i++ {
		q := url.Values{"limit": {"2"}, "client": {"pop"}}
		if after != "" {
			q.Set("after", after)
		}
		var got recordPageJSON
		f.getJSON(t, "/api/v1/compliance/records?"+q.Encode(), http.StatusOK, &got)
		pages = append(pages, seqsOf(got))
		if got.NextCursor == nil {
			break
		}
		after = *got.NextCursor
	}
	rr := f.reviewRequest
	var want [][]int64
	if rr != 0 {
		want = [][]int64{{rr, 9}, {6, 5}, {4, 3}, {2, 1}}
	} else {
		want = [][]int64{{9, 6}, {5, 4}, {3, 2}, {1}}
	}
	if fmt.Sprint(pages) != fmt.Sprint(want) {
		t.Errorf("pages %v, want %v", pages, want)
	}
	// The page links keep the filter.
	w := f.do(t, req{path: "/console/compliance?limit=2&client=pop", as: asCompliance})
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(w.Body.String())
	if next == nil || !strings.Contains(next[1], "client=pop") {
		t.Fatalf("next link %v", next)
	}
}

func TestConsoleRefusesBadFilters(t *testing.T) {
	f := newConsoleFixture(t)
	tests := []struct {
		query  string
		fields []string
	}{
		{"from=2026-13-01", []string{"from"}},
		{"from=yesterday&to=26.11.2026", []string{"from", "to"}},
		{"from=2026-11-20&to=2026-11-10", []string{"to"}},
		{"outcome=maybe", []string{"outcome"}},
		{"advisor=bogdan", []string{"advisor"}},
		{"client=0", []string{"client"}},
		{"limit=500", []string{"limit"}},
		{"after=garbage", []string{"after"}},
		{"engine=" + strings.Repeat("x", 101), []string{"engine"}},
		{"failed_check=made_up", []string{"failed_check"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			w := f.do(t, req{path: "/api/v1/compliance/records?" + tt.query, as: asCompliance})
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422; %s", w.Code, w.Body)
			}
			p := decodeProblemDoc(t, w)
			var fields []string
			for _, e := range p.Errors {
				fields = append(fields, e.Field)
				if strings.HasPrefix(e.Message, "compliance.") {
					t.Errorf("untranslated message %q", e.Message)
				}
			}
			if !slices.Equal(fields, tt.fields) {
				t.Errorf("fields %v, want %v", fields, tt.fields)
			}
			// The page shows each message at its field, with the input kept.
			w = f.do(t, req{path: "/console/compliance?" + tt.query, as: asCompliance})
			body := w.Body.String()
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("page status %d", w.Code)
			}
			for _, field := range tt.fields {
				if field == "after" || field == "limit" {
					continue // not form fields
				}
				if !strings.Contains(body, `id="filter-`+field+`-error"`) || !strings.Contains(body, `id="filter-`+field+`"`) {
					t.Errorf("no message at field %s", field)
				}
			}
		})
	}
	w := f.do(t, req{path: "/console/compliance?from=2026-11-20&to=2026-11-10", as: asCompliance, lang: "ro"})
	if !strings.Contains(w.Body.String(), "Data de sfârșit nu poate fi înaintea datei de început.") || !strings.Contains(w.Body.String(), `value="2026-11-20"`) {
		t.Errorf("Romanian page lacks the message at the field or the input")
	}
}

func TestConsoleRecordDetail(t *testing.T) {
	f := newConsoleFixture(t)
	var d detailJSON
	f.getJSON(t, "/api/v1/compliance/records/4", http.StatusOK, &d)
	var prev, hash []byte
	f.pool.QueryRow(context.Background(), `SELECT prev_hash, hash FROM decision_records WHERE seq = 4`).Scan(&prev, &hash)
	if d.Seq != 4 || d.Outcome != "shown" || d.PrevHash != hex.EncodeToString(prev) || d.Hash != hex.EncodeToString(hash) ||
		d.EngineVersion != "m-1" || d.RuleVersion != "r-1" || *d.ProductID != fundID {
		t.Errorf("detail = %+v", d)
	}
	if len(d.Related) != 1 || d.Related[0].Seq != 6 || d.Related[0].Outcome != "declined" {
		t.Errorf("related = %+v, want the decline (6)", d.Related)
	}
	if !strings.Contains(string(d.Body), `"consent"`) {
		t.Errorf("body = %s", d.Body)
	}

	w := f.do(t, req{path: "/console/compliance/records/5", as: asCompliance})
	body := w.Body.String()
	// Each opening shows a client's evidence and is in the staff access
	// log, with the record's number: records 4 (API) and 5 (page).
	var views string
	if err := f.pool.QueryRow(context.Background(), `SELECT string_agg(d.client_id || ':' || (a.detail->>'seq'), ',' ORDER BY a.id)
		FROM staff_access_log a JOIN decision_records d ON d.seq = (a.detail->>'seq')::bigint AND d.client_id = a.client_id
		WHERE a.resource = 'decision_record'`).Scan(&views); err != nil {
		t.Fatal(err)
	}
	var c4, c5 int64
	f.pool.QueryRow(context.Background(), `SELECT (SELECT client_id FROM decision_records WHERE seq = 4), (SELECT client_id FROM decision_records WHERE seq = 5)`).Scan(&c4, &c5)
	if want := fmt.Sprintf("%d:4,%d:5", c4, c5); views != want {
		t.Errorf("access log of record views = %q, want %q", views, want)
	}
	for _, want := range []string{"Fits the client&#39;s savings goal", `Suitability <code class="muted">suitability</code>`, "check-failed", "failed: suitability",
		"Bogdan Advisor", "Ion Popa", "DEP-12M", "€0.00"} {
		if !strings.Contains(body, want) {
			t.Errorf("record page lacks %q", want)
		}
	}
	if f.reviewRequest != 0 {
		f.getJSON(t, "/api/v1/compliance/records/9", http.StatusOK, &d)
		if len(d.Related) != 1 || d.Related[0].Kind != "review_request" {
			t.Errorf("record 9 related = %+v, want the review request", d.Related)
		}
	}
	for _, path := range []string{"/api/v1/compliance/records/999", "/api/v1/compliance/records/x"} {
		if w := f.do(t, req{path: path, as: asCompliance}); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d", path, w.Code)
		}
	}
}

func TestConsoleRoles(t *testing.T) {
	f := newConsoleFixture(t)
	paths := []string{"/console/compliance", "/console/compliance/records/1", "/console/compliance/queue",
		"/console/compliance/stats", "/console/compliance/access-log", "/console/compliance/export?format=csv",
		"/api/v1/compliance/records", "/api/v1/compliance/records/1", "/api/v1/compliance/queue",
		"/api/v1/compliance/stats", "/api/v1/compliance/access-log", "/api/v1/compliance/export?format=json"}
	for _, path := range paths {
		for _, tt := range []struct {
			as   string
			want int
		}{{asAdvisor, 403}, {asAdmin, 403}, {asClient, 403}, {"staff:13:", 403}, {anonymous, 401}, {asCompliance, 200}} {
			if w := f.do(t, req{path: path, as: tt.as}); w.Code != tt.want {
				t.Errorf("GET %s as %q: %d, want %d", path, tt.as, w.Code, tt.want)
			}
		}
	}
	for _, as := range []string{asAdvisor, asAdmin, asClient, anonymous} {
		w := f.do(t, req{method: http.MethodPost, path: "/api/v1/compliance/records/1/reviews", as: as, body: `{"action":"approve"}`})
		if w.Code != 403 && w.Code != 401 {
			t.Errorf("POST review as %q: %d", as, w.Code)
		}
	}
	var n int
	f.pool.QueryRow(context.Background(), `SELECT count(*) FROM compliance_reviews`).Scan(&n)
	if n != 0 {
		t.Errorf("%d reviews written by callers without the role", n)
	}
	// Only the compliance officer's exports are in the access log.
	f.pool.QueryRow(context.Background(), `SELECT count(*) FROM staff_access_log WHERE resource = 'export' AND staff_id <> $1`, complianceID).Scan(&n)
	if n != 0 {
		t.Errorf("%d exports logged for other callers", n)
	}
}
