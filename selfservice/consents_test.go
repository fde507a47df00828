package selfservice

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// consentRows lists the client's consent records, oldest first.
func consentRows(t *testing.T, pool *pgxpool.Pool, clientID int64) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT purpose, channel, granted, wording_version, source, to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')
		FROM consents WHERE client_id = $1 ORDER BY recorded_at, id`, clientID)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var purpose, channel, version, source, at string
		var granted bool
		err := r.Scan(&purpose, &channel, &granted, &version, &source, &at)
		return fmt.Sprintf("%s/%s %v %s %s %s", purpose, channel, granted, version, source, at), err
	})
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

const anaConsentsBefore = `marketing/sms true 2025-01 paper 2025-02-01 10:00
profiling/any true 2025-01 advisor 2025-03-01 10:00
marketing/sms false 2025-01 portal 2025-06-01 10:00
marketing/email true 2026-11 portal 2026-11-01 10:00`

func TestConsentsAPI(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)

	rec := do(t, srv, request{path: "/api/v1/me/consents", client: asClient(ana)})
	want := `{"wording_version":"2026-11","consents":[
		{"purpose":"marketing","channel":"email","granted":true,"wording_version":"2026-11","source":"portal","recorded_at":"2026-11-01T10:00:00Z",
		 "wording":"I agree that the firm may send me offers for its banking, investment and insurance products by e-mail. I can withdraw this consent at any time."},
		{"purpose":"marketing","channel":"sms","granted":false,"wording_version":"2025-01","source":"portal","recorded_at":"2025-06-01T10:00:00Z",
		 "wording":"I agree that the firm may send me offers for its banking, investment and insurance products by SMS. I can withdraw this consent at any time."},
		{"purpose":"marketing","channel":"phone","granted":false,
		 "wording":"I agree that the firm may call me with offers for its banking, investment and insurance products. I can withdraw this consent at any time."},
		{"purpose":"marketing","channel":"web","granted":false,
		 "wording":"I agree that the firm may show me personalised offers for its banking, investment and insurance products when I use the portal or the mobile app. I can withdraw this consent at any time."},
		{"purpose":"profiling","channel":"any","granted":true,"wording_version":"2025-01","source":"advisor","recorded_at":"2025-03-01T10:00:00Z",
		 "wording":"I agree that the firm may analyse my accounts, transactions, holdings and profile to choose the offers it shows or sends me. Without this consent I still see general offers. I can withdraw this consent at any time."}]}`
	if rec.Code != http.StatusOK || compactJSON(t, rec.Body.String()) != compactJSON(t, want) {
		t.Fatalf("GET consents: %d\n%s\nwant\n%s", rec.Code, rec.Body, compactJSON(t, want))
	}

	put := func(path, body string) string {
		t.Helper()
		rec := do(t, srv, request{method: http.MethodPut, path: path, body: body, contentType: "application/json", client: asClient(ana)})
		if rec.Code != http.StatusOK {
			t.Fatalf("PUT %s %s: %d %s", path, body, rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	// Already given under the current wording: nothing new.
	put("/api/v1/me/consents/marketing/email", `{"granted":true}`)
	// Never given: withdrawing records nothing.
	put("/api/v1/me/consents/marketing/phone", `{"granted":false}`)
	// Withdraw, then withdraw again: one record.
	body := put("/api/v1/me/consents/marketing/email", `{"granted":false}`)
	if !strings.Contains(body, `"granted":false,"wording_version":"2026-11","source":"portal","recorded_at":"2026-11-26T10:00:00Z"`) {
		t.Errorf("PUT withdraw answered %s", body)
	}
	put("/api/v1/me/consents/marketing/email", `{"granted":false}`)
	// Given under an older wording: giving again records the current one.
	put("/api/v1/me/consents/profiling/any", `{"granted":true}`)
	put("/api/v1/me/consents/marketing/sms", `{"granted":true}`)

	want2 := anaConsentsBefore + `
marketing/email false 2026-11 portal 2026-11-26 10:00
profiling/any true 2026-11 portal 2026-11-26 10:00
marketing/sms true 2026-11 portal 2026-11-26 10:00`
	if got := strings.Join(consentRows(t, pool, ana), "\n"); got != want2 {
		t.Errorf("consent rows mismatch\ngot:\n%s\nwant:\n%s", got, want2)
	}
	var actions int
	pool.QueryRow(context.Background(), `SELECT count(*) FROM portal_actions WHERE client_id = 1 AND action = 'consent.change'`).Scan(&actions)
	if actions != 3 {
		t.Errorf("consent.change actions = %d, want 3 (one per recorded change)", actions)
	}

	// A body without "granted" names the field.
	rec = do(t, srv, request{method: http.MethodPut, path: "/api/v1/me/consents/marketing/sms", body: `{}`, contentType: "application/json", client: asClient(ana)})
	if p := decodeProblem(t, rec.Body.Bytes()); rec.Code != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "granted" {
		t.Errorf("PUT {}: %d %+v", rec.Code, p)
	}
}

func TestConsentButtonsOnTheProfilePage(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	rec := do(t, srv, request{path: "/portal/profile", client: asClient(ana), lang: "ro"})
	body := rec.Body.String()
	for _, s := range []string{
		`<form method="post" action="/portal/consents/marketing/email">`,
		`<input type="hidden" name="granted" value="false">`,
		`Retrageți consimțământul`,
		`Acordat la 1 nov. 2026, 10:00`,
		`Retras la 1 iun. 2025, 10:00`,
		`Sunt de acord ca firma să îmi trimită prin SMS oferte`,
		`Ați fost de acord cu textul versiunii 2026-11.`,
		// Profiling was agreed to under the 2025-01 wording: said so, with
		// a way to agree to the new one.
		`Ați fost de acord cu textul versiunii 2025-01.`,
		`Textul s-a schimbat între timp: mai sus este versiunea 2026-11.`,
		`id="consent-profiling-any-renew"`,
		`<a class="button button-secondary" href="/portal/data" download>Descărcați datele mele (JSON)</a>`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("profile page lacks %s", s)
		}
	}

	// One click withdraws; the page comes back to the consent.
	rec = do(t, srv, request{method: http.MethodPost, path: "/portal/consents/marketing/email", body: "granted=false", contentType: formType, client: asClient(ana)})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/portal/profile?saved=consent#consent-marketing-email" {
		t.Fatalf("POST consent: %d → %q", rec.Code, rec.Header().Get("Location"))
	}
	want := anaConsentsBefore + "\nmarketing/email false 2026-11 portal 2026-11-26 10:00"
	if got := strings.Join(consentRows(t, pool, ana), "\n"); got != want {
		t.Errorf("consent rows mismatch\ngot:\n%s\nwant:\n%s", got, want)
	}
	rec = do(t, srv, request{path: "/portal/profile?saved=consent", client: asClient(ana)})
	if !strings.Contains(rec.Body.String(), "Your choice was saved.") || !strings.Contains(rec.Body.String(), "Withdrawn on 26 Nov 2026, 10:00") {
		t.Error("profile page after withdrawing does not confirm it")
	}
	rec = do(t, srv, request{method: http.MethodPost, path: "/portal/consents/marketing/email", body: "granted=maybe", contentType: formType, client: asClient(ana)})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("POST granted=maybe: %d, want 422", rec.Code)
	}

	// Agreeing to the new wording records a consent of the current version.
	rec = do(t, srv, request{method: http.MethodPost, path: "/portal/consents/profiling/any", body: "granted=true", contentType: formType, client: asClient(ana)})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("POST renewed consent: %d", rec.Code)
	}
	rows := consentRows(t, pool, ana)
	if last := rows[len(rows)-1]; last != "profiling/any true 2026-11 portal 2026-11-26 10:00" {
		t.Errorf("last consent row %q, want profiling given again under 2026-11", last)
	}
	body = do(t, srv, request{path: "/portal/profile", client: asClient(ana)}).Body.String()
	if strings.Contains(body, `id="consent-profiling-any-renew"`) || strings.Count(body, "You agreed to the wording of version 2026-11.") != 1 {
		t.Errorf("after renewing, the page still asks for the new wording or does not say which version was agreed to")
	}
}

// TestRequiredProfileFieldsCannotBeEmptied: an e-mail, an address line, a
// city or a country the client has may be changed, not emptied; a field
// that was empty may stay so.
func TestRequiredProfileFieldsCannotBeEmptied(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	for _, body := range []string{`{"email":""}`, `{"email":"   "}`, `{"city":""}`, `{"country":""}`} {
		rec := do(t, srv, request{method: http.MethodPatch, path: "/api/v1/me/profile", body: body, contentType: "application/json", client: asClient(ana)})
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "This field is required") {
			t.Errorf("PATCH %s: %d %s, want 422 saying it is required", body, rec.Code, rec.Body)
		}
	}
	// Ana has no address line: leaving it empty is fine.
	rec := do(t, srv, request{method: http.MethodPatch, path: "/api/v1/me/profile", body: `{"address_line1":"","city":"Cluj-Napoca"}`, contentType: "application/json", client: asClient(ana)})
	if rec.Code != http.StatusOK {
		t.Errorf("PATCH with an address line that stays empty: %d %s", rec.Code, rec.Body)
	}
}

// TestIncomeTypedAsThePageWritesIt: the profile form reads "45.000,50" on
// a Romanian page and "45,000.50" on an English one, and shows the saved
// amount the same way.
func TestIncomeTypedAsThePageWritesIt(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	for _, c := range []struct{ lang, typed, shown string }{
		{"ro", "45.000,50", `value="45.000,50"`},
		{"en", "46,000.25", `value="46,000.25"`},
	} {
		form := url.Values{"annual_income.amount": {c.typed}, "annual_income.currency": {"RON"}}
		rec := do(t, srv, request{method: http.MethodPost, path: "/portal/profile", body: form.Encode(), contentType: formType, client: asClient(ana), lang: c.lang})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("%s: POST %q = %d", c.lang, c.typed, rec.Code)
		}
		body := do(t, srv, request{path: "/portal/profile", client: asClient(ana), lang: c.lang}).Body.String()
		if !strings.Contains(body, c.shown) {
			t.Errorf("%s: the saved income is not shown as %s", c.lang, c.shown)
		}
	}
}
