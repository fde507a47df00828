package advisor

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ecrm-project/ecrm/pipeline"
)

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
		`<tr><th scope="row">Web</th><td class="numeric">2</td><td class="numeric">1</td><td class="numeric">66.7%</td></tr>`,
		`<tr><th scope="row">Branch</th><td class="numeric">1</td><td class="numeric">0</td><td class="numeric">100.0%</td></tr>`,
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
}
