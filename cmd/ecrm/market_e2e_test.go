package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/demodata"
)

// TestBrokeragePageWithDemoData: on the demo data set, Ana finds Markets
// in the portal's navigation and a link beside her portfolio; her page
// has the quotes of what she holds and watches and news about them, and
// the API says the same; the admin finds the market data import.
func TestBrokeragePageWithDemoData(t *testing.T) {
	e := newTestEnv(t, nil)
	e.withDemoPeople()
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, `DELETE FROM clients; DELETE FROM staff_users`); err != nil {
		t.Fatal(err)
	}
	if _, err := demodata.Seed(ctx, e.pool, demodata.Options{Clients: 30, Seed: 1, AsOf: time.Now()}); err != nil {
		t.Fatal(err)
	}
	ana := e.newBrowser()
	e.login(ana, "demo-client-ana")
	if _, body := ana.get(e.baseURL + "/portal"); !strings.Contains(body, `href="/portal/brokerage"`) || !strings.Contains(body, `id="portfolio-market-link"`) {
		t.Error("no link to the brokerage page on the overview")
	}
	res, body := ana.get(e.baseURL + "/portal/brokerage")
	for _, want := range []string{`id="quote-QNTM"`, `id="quote-DNB"`, `id="quote-USX"`, `id="unwatch-BRTX"`, "You hold QNTM", `id="reviews-list"`} {
		if res.StatusCode != 200 || !strings.Contains(body, want) {
			t.Errorf("brokerage page: %d, lacks %s", res.StatusCode, want)
		}
	}
	if strings.Contains(body, "quote-stale") {
		t.Error("a demo quote is stale on the day the data set was made")
	}
	res, body = ana.get(e.baseURL + "/api/v1/me/market")
	var v struct {
		Quotes []struct{ Symbol, Weight string }
		News   []struct {
			Reason struct{ Code, Subject string }
		}
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil || res.StatusCode != 200 || len(v.Quotes) != 10 || len(v.News) < 5 {
		t.Fatalf("GET /api/v1/me/market: %d %v, %d quotes, %d news", res.StatusCode, err, len(v.Quotes), len(v.News))
	}
	if v.Quotes[0].Symbol != "QNTM" || v.News[0].Reason.Code != "holds_instrument" {
		t.Errorf("largest holding %s (weight %s), first news %+v", v.Quotes[0].Symbol, v.Quotes[0].Weight, v.News[0].Reason)
	}
	admin := e.newBrowser()
	e.login(admin, "demo-admin-elena")
	if _, body := admin.get(e.baseURL + "/console"); !strings.Contains(body, `href="/console/imports/market"`) {
		t.Error("no market data import in the admin's navigation")
	}
	if res, body := admin.get(e.baseURL + "/console/imports/market"); res.StatusCode != 200 || !strings.Contains(body, `id="market-form"`) {
		t.Errorf("market import page: %d", res.StatusCode)
	}
}
