package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm/internal/browsertest"
)

// TestClientAndAdvisorSeeTheSameFigures: one position, valued for the
// client's overview and for her advisor's 360, gives the same quantity,
// price, value and gain, to the cent (both use risk.ValuePosition), and the
// pages show quantity and price exactly.
func TestClientAndAdvisorSeeTheSameFigures(t *testing.T) {
	e := newTestEnv(t, nil)
	if _, err := e.pool.Exec(context.Background(), `
		INSERT INTO accounts (id, client_id, kind, name, currency, balance, opened_on, status)
		VALUES (501, 1, 'brokerage', 'Brokerage', 'RON', 0, '2024-01-01', 'open');
		INSERT INTO instruments (id, symbol, name, kind, currency, risk_class) VALUES (601, 'TLV', 'Banca Transilvania', 'equity', 'RON', 5);
		INSERT INTO instrument_prices (instrument_id, price_date, close) VALUES (601, now()::date - 1, 22.9332);
		INSERT INTO positions (client_id, account_id, instrument_id, quantity, average_cost, opened_on) VALUES (1, 501, 601, 523.259, 31.6001, '2024-01-01');`); err != nil {
		t.Fatal(err)
	}
	client, advisor := e.newBrowser(), e.newBrowser()
	e.login(client, clientSubject)
	e.login(advisor, advisorSubject)
	accept := map[string]string{"Accept": "application/json"}

	_, body := client.do("GET", e.baseURL+"/api/v1/me", nil, accept)
	var me struct {
		Portfolio struct {
			Positions []struct {
				Quantity       string                  `json:"quantity"`
				Price          struct{ Amount string } `json:"price"`
				Value          struct{ Amount string } `json:"value"`
				UnrealisedGain struct{ Amount string } `json:"unrealised_gain"`
			} `json:"positions"`
		} `json:"portfolio"`
	}
	if err := json.Unmarshal([]byte(body), &me); err != nil || len(me.Portfolio.Positions) != 1 {
		t.Fatalf("overview: %v %.300s", err, body)
	}
	_, body = advisor.do("GET", e.baseURL+"/api/v1/clients/1", nil, accept)
	var c360 struct {
		Positions []struct {
			Quantity    string                  `json:"quantity"`
			Price       struct{ Amount string } `json:"price"`
			MarketValue struct{ Amount string } `json:"market_value"`
			Gain        struct{ Amount string } `json:"gain"`
		} `json:"positions"`
	}
	if err := json.Unmarshal([]byte(body), &c360); err != nil || len(c360.Positions) != 1 {
		t.Fatalf("360: %v %.300s", err, body)
	}
	p, a := me.Portfolio.Positions[0], c360.Positions[0]
	seen := []string{p.Quantity, p.Price.Amount, p.Value.Amount, p.UnrealisedGain.Amount}
	staff := []string{a.Quantity, a.Price.Amount, a.MarketValue.Amount, a.Gain.Amount}
	want := []string{"523.259", "22.9332", "12000.00", "-4535.04"}
	if strings.Join(seen, " ") != strings.Join(want, " ") || strings.Join(staff, " ") != strings.Join(want, " ") {
		t.Errorf("client sees %q, advisor %q; want both %q", seen, staff, want)
	}

	// As Chromium shows them: the client's portfolio and the advisor's
	// positions table, in English and in Romanian.
	for _, who := range []struct{ subject, path, table string }{
		{clientSubject, "/portal", "table.positions"},
		{advisorSubject, "/console/clients/1", "#position-list"},
	} {
		cb := browsertest.New(t)
		browsertest.Visit(t, cb, e.baseURL+"/login", `button[value="`+who.subject+`"]`)
		browsertest.Follow(t, cb, `button[value="`+who.subject+`"]`)
		for lang, figures := range map[string][]string{"en": {"523.259", "22.9332", "12,000.00", "4,535.04"}, "ro": {"523,259", "22,9332", "12.000,00", "4.535,04"}} {
			browsertest.Visit(t, cb, e.baseURL+"/lang?to="+lang+"&back="+url.QueryEscape(who.path), who.table)
			row := browsertest.Text(t, cb, who.table+" tbody")
			for _, f := range figures {
				if !strings.Contains(row, f) {
					t.Errorf("%s %s in Chromium: %q lacks %s", who.subject, lang, row, f)
				}
			}
		}
	}

	for who, b := range map[string]*browser{"client": client, "advisor": advisor} {
		path := "/portal"
		if who == "advisor" {
			path = "/console/clients/1"
		}
		_, page := b.do("GET", e.baseURL+path, nil, map[string]string{"Accept-Language": "en"})
		for _, figure := range []string{"523.259", "22.9332", "12,000.00", "4,535.04"} {
			if !strings.Contains(page, figure) {
				t.Errorf("the %s's page does not show %s", who, figure)
			}
		}
	}
}
