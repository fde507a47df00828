package selfservice

import (
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// TestMonthlyStatementPDF: Ana's October statement of her current account
// has every transaction of the month and balances that add up (checked
// against sums the database makes), in her language; Bogdan gets 404 for
// her account, a month to come is refused naming the field.
func TestMonthlyStatementPDF(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	rec := do(t, srv, request{path: "/portal/accounts/11/statement.pdf?month=2026-10", client: asClient(ana), lang: "ro"})
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/pdf" ||
		rec.Header().Get("Content-Disposition") != `attachment; filename="statement-11-2026-10.pdf"` {
		t.Fatalf("statement: %d %v", rec.Code, rec.Header())
	}
	cmd := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(rec.Body.Bytes())
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	ctx := context.Background()
	var in, outSum, after, balance decimal.Decimal
	var n int
	if err := pool.QueryRow(ctx, `SELECT
		coalesce(sum(amount) FILTER (WHERE amount > 0 AND booked_at >= '2026-10-01' AND booked_at < '2026-11-01'), 0),
		coalesce(-sum(amount) FILTER (WHERE amount < 0 AND booked_at >= '2026-10-01' AND booked_at < '2026-11-01'), 0),
		coalesce(sum(amount) FILTER (WHERE booked_at >= '2026-11-01'), 0),
		count(*) FILTER (WHERE booked_at >= '2026-10-01' AND booked_at < '2026-11-01'),
		(SELECT balance FROM accounts WHERE id = 11)
		FROM account_transactions WHERE account_id = 11`).Scan(&in, &outSum, &after, &n, &balance); err != nil {
		t.Fatal(err)
	}
	ro := i18n.NewLocalizer(i18n.Romanian)
	closing := balance.Sub(after)
	opening := closing.Sub(in).Add(outSum)
	for name, v := range map[string]decimal.Decimal{"opening": opening, "in": in, "out": outSum, "closing": closing} {
		// pdftotext writes the no-break space as a space.
		if want := strings.ReplaceAll(ro.Money(ecrm.Money{Amount: v, Currency: "RON"}), "\u00a0", " "); !strings.Contains(text, want) {
			t.Errorf("%s balance %q is not in the statement:\n%s", name, want, text)
		}
	}
	for _, want := range []string{"extras de cont", "Ana Popescu", "RO49 RNCB 0000 0000 1234 1234", "Cont curent", "Dacia Service · Revizie", "1 oct. 2026 – 31 oct. 2026"} {
		if !strings.Contains(text, want) && !strings.Contains(text, strings.ReplaceAll(want, " ", "")) {
			t.Errorf("the statement lacks %q:\n%s", want, text)
		}
	}
	if got := strings.Count(text, " oct. 2026 "); got < n {
		t.Errorf("%d dated lines, %d transactions in October", got, n)
	}
	if rec := do(t, srv, request{path: "/portal/accounts/11/statement.pdf?month=2026-10", client: asClient(bogdan)}); rec.Code != http.StatusNotFound {
		t.Errorf("Bogdan: %d", rec.Code)
	}
	if rec := do(t, srv, request{path: "/portal/accounts/11/statement.pdf?month=2027-05", client: asClient(ana)}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("a month to come: %d", rec.Code)
	}
}

// TestDocumentsSentToTheClient: Ana lists and downloads what her advisor
// sent her, not the draft he kept; Bogdan gets neither.
func TestDocumentsSentToTheClient(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	rec := do(t, srv, request{path: "/portal/documents", client: asClient(ana)})
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `<a href="/portal/documents/9001" download>Offer letter</a>`) || strings.Contains(body, "9002") {
		t.Errorf("Ana's documents: %d %s", rec.Code, body)
	}
	rec = do(t, srv, request{path: "/portal/documents/9001", client: asClient(ana)})
	if rec.Code != http.StatusOK || rec.Body.String() != "%PDF-1.4 sent" || rec.Header().Get("Content-Type") != "application/pdf" {
		t.Errorf("download: %d %q", rec.Code, rec.Body)
	}
	rec = do(t, srv, request{path: "/api/v1/me/documents", client: asClient(ana)})
	if want := `{"documents":[{"id":9001,"kind":"offer_letter","language":"en","template_version":1,"sha256":"` + strings.Repeat("a", 64) +
		`","size":13,"created_by":"Maria Advisor","created_at":"2026-11-20T10:00:00Z","sent_at":"2026-11-20T11:00:00Z","href":"/api/v1/me/documents/9001"}]}`; strings.TrimSpace(rec.Body.String()) != want {
		t.Errorf("API list:\n%s\nwant\n%s", rec.Body, want)
	}
	rec = do(t, srv, request{path: "/api/v1/me/documents/9001", client: asClient(ana)})
	if rec.Code != http.StatusOK || rec.Body.String() != "%PDF-1.4 sent" {
		t.Errorf("API download: %d %q", rec.Code, rec.Body)
	}
	for _, path := range []string{"/portal/documents/9002", "/api/v1/me/documents/9002"} {
		if rec := do(t, srv, request{path: path, client: asClient(ana)}); rec.Code != http.StatusNotFound {
			t.Errorf("the unsent document: %d", rec.Code)
		}
	}
	if rec := do(t, srv, request{path: "/portal/documents/9001", client: asClient(bogdan)}); rec.Code != http.StatusNotFound {
		t.Errorf("Bogdan downloads Ana's letter: %d", rec.Code)
	}
}
