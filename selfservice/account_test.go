package selfservice

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type transactionsPage struct {
	Account      map[string]any
	Counterparty string
	Transactions []struct {
		ID           int64
		BookedAt     string `json:"booked_at"`
		Amount       map[string]string
		Kind         string
		Counterparty string
	}
	NextCursor string `json:"next_cursor"`
}

func getTransactions(t *testing.T, srv http.Handler, path string) transactionsPage {
	t.Helper()
	rec := do(t, srv, request{path: path, client: asClient(ana)})
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	var p transactionsPage
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAccountTransactionsAPI(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)

	// Page through all 36 transactions of the current account, 15 at a time.
	var all []string
	path := "/api/v1/me/accounts/11/transactions?limit=15"
	pages := 0
	for {
		p := getTransactions(t, srv, path)
		pages++
		if p.Account["iban_masked"] != "**** 1234" {
			t.Errorf("account = %v", p.Account)
		}
		for _, tx := range p.Transactions {
			all = append(all, tx.BookedAt+" "+tx.Amount["amount"])
		}
		if p.NextCursor == "" {
			break
		}
		path = "/api/v1/me/accounts/11/transactions?limit=15&before=" + url.QueryEscape(p.NextCursor)
	}
	if pages != 3 || len(all) != 36 {
		t.Fatalf("pages = %d, transactions = %d; want 3 and 36", pages, len(all))
	}
	if all[0] != "2026-11-25T09:30:00Z 8000.00" || all[1] != "2026-11-20T08:00:00Z -300.00" || all[35] != "2025-06-01T08:00:00Z -120.00" {
		t.Errorf("first, second, last = %q, %q, %q", all[0], all[1], all[35])
	}
	for i := 1; i < len(all); i++ {
		if all[i] > all[i-1] {
			t.Fatalf("not newest first at %d: %q after %q", i, all[i], all[i-1])
		}
	}

	p := getTransactions(t, srv, "/api/v1/me/accounts/11/transactions?counterparty="+url.QueryEscape("Ion Popescu"))
	var amounts []string
	for _, tx := range p.Transactions {
		amounts = append(amounts, tx.Amount["amount"])
	}
	if p.Counterparty != "Ion Popescu" || strings.Join(amounts, " ") != "-300.00 -350.00 -200.00 -300.00 -250.00" || p.NextCursor != "" {
		t.Errorf("filtered page = %+v", p)
	}

	for _, bad := range []string{"?limit=0", "?limit=201", "?limit=ten", "?before=garbage", "?counterparty=" + strings.Repeat("x", 141)} {
		rec := do(t, srv, request{path: "/api/v1/me/accounts/11/transactions" + bad, client: asClient(ana)})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("GET transactions%s: %d, want 422", bad, rec.Code)
		}
	}

	// The first pages were recorded (account and payee), not the later ones.
	rows, _ := pool.Query(context.Background(), `SELECT action || ' ' || target FROM portal_actions WHERE client_id = 1 AND occurred_at = '2026-11-26 10:00Z' ORDER BY id`)
	var recorded []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		recorded = append(recorded, s)
	}
	if strings.Join(recorded, ", ") != "account.view 11, payee.view 11:Ion Popescu" {
		t.Errorf("recorded actions = %q", recorded)
	}
}

func TestAccountPage(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	rec := do(t, srv, request{path: "/portal/accounts/11?counterparty=Landlord+SRL", client: asClient(ana), lang: "ro"})
	if rec.Code != http.StatusOK {
		t.Fatalf("GET account page: %d", rec.Code)
	}
	body := rec.Body.String()
	for _, s := range []string{
		`<h1 id="account-title">Cont curent</h1>`,
		`<dd class="balance">12.345,60` + "\u00a0" + `lei</dd>`,
		`Tranzacții cu Landlord SRL`,
		`<td class="amount">-2.000,00` + "\u00a0" + `lei</td>`,
		`<td>Ordin de plată programat</td>`,
		`value="Landlord SRL"`,
		`1 nov. 2026, 08:00`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("account page lacks %s", s)
		}
	}
	if strings.Contains(body, "Enel") {
		t.Error("the filtered page shows other counterparties")
	}
	// 36 transactions: the first page of 50 needs no "older" link; the
	// card with 4 neither. A hand-made cursor falls back to the newest page.
	if strings.Contains(body, `rel="next"`) {
		t.Error("a single page links to an older one")
	}
	rec = do(t, srv, request{path: "/portal/accounts/11?before=xyz", client: asClient(ana)})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Salariu noiembrie") {
		t.Errorf("bad cursor: %d", rec.Code)
	}
}

// TestTransactionsByPeriodAndAsCSV: the account's transactions filter by
// day and download as CSV, the same selection, in the client's language;
// a bad date is said at its field.
func TestTransactionsByPeriodAndAsCSV(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	p := getTransactions(t, srv, "/api/v1/me/accounts/11/transactions?counterparty=Ion+Popescu&from=2026-05-01&to=2026-09-09")
	var amounts []string
	for _, tx := range p.Transactions {
		amounts = append(amounts, tx.Amount["amount"])
	}
	if strings.Join(amounts, " ") != "-350.00 -200.00 -300.00" {
		t.Errorf("Ion Popescu from 1 May to 9 Sep = %q, want the three of May, July and September", amounts)
	}
	for _, bad := range []string{"?from=2026-13-01", "?from=2026-06-01&to=2026-05-01", "?to=yesterday"} {
		if rec := do(t, srv, request{path: "/api/v1/me/accounts/11/transactions" + bad, client: asClient(ana)}); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("transactions%s = %d, want 422", bad, rec.Code)
		}
	}
	rec := do(t, srv, request{path: "/portal/accounts/11?from=2026-06-01&to=2026-05-01", client: asClient(ana)})
	if body := rec.Body.String(); rec.Code != http.StatusOK || !strings.Contains(body, `id="filter-to-error"`) {
		t.Errorf("a reversed period on the page: %d, want the error at the end date", rec.Code)
	}

	rec = do(t, srv, request{path: "/portal/accounts/11/transactions.csv?counterparty=Ion+Popescu&from=2026-05-01&to=2026-09-09", client: asClient(ana), lang: "ro"})
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("CSV: %d %v", rec.Code, rec.Header())
	}
	lines := strings.Split(strings.TrimSpace(rec.Body.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "Înregistrată,Data valutei,Sumă,Monedă,Tip,Contrapartidă") ||
		!strings.Contains(lines[1], ",-350.00,RON,") || !strings.Contains(lines[1], "Ion Popescu,RO49RNCB0000000099990001") {
		t.Errorf("CSV:\n%s", rec.Body.String())
	}
	if rec := do(t, srv, request{path: "/portal/accounts/11/transactions.csv", client: asClient(bogdan)}); rec.Code != http.StatusNotFound {
		t.Errorf("another client's CSV: %d, want 404", rec.Code)
	}
}
