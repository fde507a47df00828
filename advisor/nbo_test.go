package advisor

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/products"
)

// TestClient360NextOffers: Maria Ionescu's candidates with their factors
// on her advisor's 360 (nothing recorded by looking); presenting one in
// the branch is blocked for want of consent and recorded so, by phone
// (consent given) it is shown, recorded as presented by the advisor.
// Another advisor does not reach her; compliance reads but does not
// present; a bad channel is named.
func TestClient360NextOffers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := products.LoadDemoCatalogue(ctx, f.pool); err != nil {
		t.Fatal(err)
	}
	gate := compliance.NewGate(compliance.NewFactsReader(f.pool), compliance.NewLog(f.pool))
	f.handler.SetArbiter(crosssell.NewArbiter(f.pool, products.NewEngine(products.NewStore(f.pool)), gate, crosssell.NewStore(f.pool)))
	records := func() int {
		var n int
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM decision_records WHERE engine = $1`, crosssell.NBOEngine).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	var got struct {
		Offers []nextOfferJSON `json:"offers"`
	}
	f.getJSON(t, "/api/v1/clients/101/next-offers", asAdvisorA, http.StatusOK, &got)
	if len(got.Offers) == 0 {
		t.Fatal("no candidate for Maria Ionescu")
	}
	first := got.Offers[0]
	want := first.Factors.Propensity.Mul(first.Factors.Need).Mul(first.Factors.Context).Mul(first.Factors.ValueEUR).Mul(first.Factors.Lever).Round(6)
	if !first.Priority.Equal(want) || first.Value == "" || len(first.Reasons) == 0 {
		t.Errorf("first candidate %+v: priority %s, want the product of its factors %s", first, first.Priority, want)
	}
	if records() != 0 {
		t.Errorf("looking recorded %d offers", records())
	}
	body := f.do(t, request{path: "/console/clients/101", as: asAdvisorA}).Body.String()
	if !strings.Contains(body, `<h2 id="next-offers-heading">Next best offers</h2>`) || !strings.Contains(body, `data-code="`+first.Code+`"`) ||
		!strings.Contains(body, "Present to client") {
		t.Error("the 360 lacks the next best offers with the present button")
	}
	if body := f.do(t, request{path: "/console/clients/101", as: asCompliance}).Body.String(); strings.Contains(body, "Present to client") {
		t.Error("compliance is offered to present")
	}
	if w := f.do(t, request{path: "/api/v1/clients/101/next-offers", as: asAdvisorB}); w.Code != http.StatusNotFound {
		t.Errorf("advisor B reading Maria's offers: %d", w.Code)
	}

	present := func(as, channel string) (int, presentedJSON, string) {
		w := f.do(t, request{method: "POST", path: "/api/v1/clients/101/next-offers", as: as,
			body: `{"product_version_id":` + jsonInt(first.ProductVersionID) + `,"channel":"` + channel + `"}`})
		var out presentedJSON
		_ = json.Unmarshal(w.Body.Bytes(), &out)
		return w.Code, out, w.Body.String()
	}
	if code, _, _ := present(asCompliance, "branch"); code != http.StatusForbidden {
		t.Errorf("compliance presenting: %d", code)
	}
	if code, _, _ := present(asAdvisorB, "branch"); code != http.StatusNotFound {
		t.Errorf("advisor B presenting to Maria: %d", code)
	}
	if code, _, b := present(asAdvisorA, "email"); code != http.StatusUnprocessableEntity || !strings.Contains(b, `"field":"channel"`) {
		t.Errorf("a bad channel: %d %s", code, b)
	}
	code, blocked, _ := present(asAdvisorA, "branch")
	if code != http.StatusCreated || blocked.Shown || blocked.Seq == 0 || strings.Join(blocked.Checks, ",") != "consent" {
		t.Errorf("in the branch without consent: %d %+v", code, blocked)
	}
	// The page's form presents the same way and says what happened.
	w := f.do(t, request{method: "POST", path: "/console/clients/101/next-offers", as: asAdvisorA, form: true,
		body: "product_version_id=" + jsonInt(first.ProductVersionID) + "&channel=branch"})
	if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || loc != "/console/clients/101?blocked="+jsonInt(blocked.Seq)+"#next-offers" {
		t.Errorf("the form: %d %q", w.Code, loc)
	} else if page := f.do(t, request{path: strings.TrimSuffix(loc, "#next-offers"), as: asAdvisorA}).Body.String(); !strings.Contains(page, "The compliance gate blocked the offer") {
		t.Error("the 360 does not say the offer was blocked")
	}
	if _, err := f.pool.Exec(ctx, `INSERT INTO consents (client_id, purpose, channel, granted, wording_version, source, recorded_at)
		VALUES (101, 'marketing', 'phone', true, 'v3', 'advisor', '2026-11-01 10:00+00')`); err != nil {
		t.Fatal(err)
	}
	code, shown, _ := present(asAdvisorA, "phone")
	if code != http.StatusCreated || !shown.Shown || len(shown.Checks) != 0 {
		t.Fatalf("by phone with consent: %d %+v", code, shown)
	}
	var actor string
	var staff int64
	if err := f.pool.QueryRow(ctx, `SELECT actor_kind, actor_staff_id FROM decision_records WHERE seq = $1`, shown.Seq).Scan(&actor, &staff); err != nil ||
		actor != "advisor" || staff != 1 {
		t.Errorf("record %d: actor %s %d %v", shown.Seq, actor, staff, err)
	}
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
