package advisor

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/products"
)

// campaignFixture is the console fixture with the demo catalogue on sale
// and campaigns wired to an insert-only job queue (the tests run a
// campaign themselves) and an outbox that holds its mail.
func campaignFixture(t *testing.T) (*fixture, *crosssell.Campaigns) {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	demo, err := products.DemoCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := products.NewStore(f.pool).Import(ctx, demo, 0); err != nil {
		t.Fatal(err)
	}
	gate := compliance.NewGate(compliance.NewFactsReader(f.pool), compliance.NewLog(f.pool))
	arbiter := crosssell.NewArbiter(f.pool, products.NewEngine(products.NewStore(f.pool)), gate, crosssell.NewStore(f.pool))
	c := crosssell.NewCampaigns(f.pool, arbiter)
	q, err := jobs.New(f.pool, nil, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mail := outbox.New(f.pool, nil)
	mail.SetQueue(q)
	c.SetRunner(q, mail, "https://bank.example")
	f.handler.SetCampaigns(c)
	return f, c
}

// TestCampaignRoutesRefuse: who may do what. Advisors and administrators
// write campaigns, compliance only reads them; an advisor does not see a
// colleague's; clients, staff without a console role and strangers get
// nothing.
func TestCampaignRoutesRefuse(t *testing.T) {
	f, _ := campaignFixture(t)
	w := f.do(t, request{method: "POST", path: "/api/v1/campaigns", as: asAdvisorA, body: `{"name":"Savings","product":"SAV-RON-FLEX","channel":"portal","control_percent":0}`})
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	var created struct {
		ID       int64 `json:"id"`
		Audience struct {
			AdvisorID int64 `json:"advisor_id"`
		} `json:"audience"`
		ControlPercent string `json:"control_percent"`
		Status         string `json:"status"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil || created.Audience.AdvisorID != 1 || created.ControlPercent != "0" || created.Status != "draft" {
		t.Fatalf("created %+v %v", created, err)
	}
	id := strconv.FormatInt(created.ID, 10)
	body := `{"name":"x","product":"SAV-RON-FLEX","channel":"email"}`
	cases := []struct {
		as   string
		req  request
		want int
	}{
		{anonymous, request{path: "/api/v1/campaigns"}, http.StatusUnauthorized},
		{anonymous, request{method: "POST", path: "/api/v1/campaigns", body: body}, http.StatusUnauthorized},
		{asClient, request{path: "/api/v1/campaigns/" + id}, http.StatusForbidden},
		{asNoRole, request{method: "POST", path: "/api/v1/campaigns/" + id + "/launch"}, http.StatusForbidden},
		{asCompliance, request{method: "POST", path: "/api/v1/campaigns", body: body}, http.StatusForbidden},
		{asCompliance, request{method: "POST", path: "/api/v1/campaigns/" + id + "/launch"}, http.StatusForbidden},
		{asCompliance, request{path: "/api/v1/campaigns/" + id}, http.StatusOK},
		{asAdmin, request{path: "/api/v1/campaigns"}, http.StatusOK},
		{asAdvisorB, request{path: "/api/v1/campaigns/" + id}, http.StatusNotFound},
		{asAdvisorB, request{method: "POST", path: "/api/v1/campaigns/" + id + "/launch"}, http.StatusNotFound},
		{asAdvisorB, request{path: "/console/campaigns/" + id}, http.StatusNotFound},
		{asAdvisorA, request{path: "/api/v1/campaigns/x"}, http.StatusNotFound},
		{asCompliance, request{path: "/console/campaigns"}, http.StatusOK},
	}
	for _, c := range cases {
		c.req.as = c.as
		if w := f.do(t, c.req); w.Code != c.want {
			t.Errorf("%s %s as %q: %d, want %d (%s)", c.req.method, c.req.path, c.as, w.Code, c.want, w.Body)
		}
	}
	var list struct {
		Campaigns []json.RawMessage `json:"campaigns"`
	}
	f.getJSON(t, "/api/v1/campaigns", asAdvisorB, http.StatusOK, &list)
	if len(list.Campaigns) != 0 {
		t.Errorf("advisor B lists %d campaigns", len(list.Campaigns))
	}
	// Compliance reads the list but gets no form.
	if w := f.do(t, request{path: "/console/campaigns", as: asCompliance}); strings.Contains(w.Body.String(), `id="campaign-form"`) || !strings.Contains(w.Body.String(), "Savings") {
		t.Errorf("compliance's page: %s", w.Body)
	}
}

// TestCampaignBadInput: every field at fault is named (problem+json; on
// the page, at the field) and nothing is stored.
func TestCampaignBadInput(t *testing.T) {
	f, _ := campaignFixture(t)
	w := f.do(t, request{method: "POST", path: "/api/v1/campaigns", as: asAdmin,
		body: `{"name":"","product":"","channel":"","control_percent":60,"segment":"gold","age_band":"old"}`})
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var fields []string
	for _, e := range decodeProblem(t, w).Errors {
		fields = append(fields, e.Field+": "+e.Message)
	}
	want := []string{"name: Give the campaign a name.", "product: Choose the product to offer.", "channel: Choose a channel: e-mail or the portal.",
		"control_percent: The control group must be between 0 and 50 % of the audience (at most one decimal).",
		"segment: There is no such segment.", "age_band: There is no such age band."}
	if strings.Join(fields, "\n") != strings.Join(want, "\n") {
		t.Errorf("fields:\n%s", strings.Join(fields, "\n"))
	}
	form := url.Values{"name": {"Dobândă"}, "product": {"SAV-RON-FLEX"}, "channel": {"sms"}, "control_percent": {"12,5"}}
	w = f.do(t, request{method: "POST", path: "/console/campaigns", as: asAdvisorA, form: true, body: form.Encode(), acceptLanguage: "ro"})
	page := w.Body.String()
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(page, `<p class="error-message" id="campaign-channel-error">Canalul trebuie să fie e-mail sau portalul.</p>`) ||
		!strings.Contains(page, `value="Dobândă"`) || strings.Contains(page, `id="campaign-control-error"`) {
		t.Errorf("form: %d\n%s", w.Code, page)
	}
	var n int
	if err := f.pool.QueryRow(context.Background(), `SELECT count(*) FROM campaigns`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d campaigns stored (%v)", n, err)
	}
}

// TestCampaignLaunchAndReport: advisor A's portal campaign to her book
// (four clients, none held out at 0 %), launched from the page twice
// (sent once), run, and its report on the page, in JSON and exported.
func TestCampaignLaunchAndReport(t *testing.T) {
	f, c := campaignFixture(t)
	ctx := context.Background()
	form := url.Values{"name": {"Savings"}, "product": {"SAV-RON-FLEX"}, "channel": {"portal"}, "control_percent": {"0"}}
	w := f.do(t, request{method: "POST", path: "/console/campaigns", as: asAdvisorA, form: true, body: form.Encode()})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	loc := w.Header().Get("Location")
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/console/campaigns/"), "?created=1")
	if w := f.do(t, request{path: loc, as: asAdvisorA}); !strings.Contains(w.Body.String(), `id="campaign-launch"`) {
		t.Fatalf("draft page: %s", w.Body)
	}
	for i, want := range []string{"launched", "already_launched"} {
		w := f.do(t, request{method: "POST", path: "/console/campaigns/" + id + "/launch", as: asAdvisorA})
		if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "?done="+want) {
			t.Errorf("launch %d: %d %s", i, w.Code, w.Header().Get("Location"))
		}
	}
	var jobsQueued int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'crosssell.campaign_run'`).Scan(&jobsQueued); err != nil || jobsQueued != 1 {
		t.Errorf("%d run jobs (%v)", jobsQueued, err)
	}
	cid, _ := strconv.ParseInt(id, 10, 64)
	c.Now = func() time.Time { return testNow }
	if done, err := c.Run(ctx, cid, 0); err != nil || !done {
		t.Fatalf("run: %v %v", done, err)
	}
	var rep struct {
		Audience, Treatment, Control, Pending, Sent, Blocked int
		Uplift                                               struct {
			Method     string  `json:"method"`
			Difference *string `json:"difference_pp"`
		} `json:"uplift"`
		Campaign struct {
			Status string `json:"status"`
		} `json:"campaign"`
	}
	f.getJSON(t, "/api/v1/campaigns/"+id, asAdvisorA, http.StatusOK, &rep)
	if rep.Audience != 4 || rep.Treatment != 4 || rep.Control != 0 || rep.Pending != 0 || rep.Sent+rep.Blocked != 4 ||
		rep.Campaign.Status != "done" || rep.Uplift.Method != "newcombe-hybrid-score-95" || rep.Uplift.Difference != nil {
		t.Errorf("report %+v", rep)
	}
	page := f.do(t, request{path: "/console/campaigns/" + id, as: asAdvisorA}).Body.String()
	for _, want := range []string{`id="campaign-groups"`, `There is nothing to compare yet: a group is empty.`, `<svg`, `href="/console/campaigns/` + id + `?format=xlsx"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	w = f.do(t, request{path: "/console/campaigns/" + id + "?format=csv", as: asAdvisorA})
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), "Name,Savings\nProduct,SAV-RON-FLEX\nAudience,4\n") {
		t.Errorf("csv: %d %q", w.Code, w.Body)
	}
	if w := f.do(t, request{path: "/console/campaigns/" + id + "?format=xlsx", as: asAdvisorA}); w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), "PK") {
		t.Errorf("xlsx: %d", w.Code)
	}
}
