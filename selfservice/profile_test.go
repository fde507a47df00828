package selfservice

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/web"
)

// profileChangeRows returns the client's recorded changes as
// "field: old → new (actor, request id)" lines, oldest first.
func profileChangeRows(t *testing.T, pool *pgxpool.Pool, clientID int64) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT field, coalesce(old_value, '∅'), coalesce(new_value, '∅'), actor_kind, coalesce(request_id, ''), changed_at = '2026-11-26 10:00Z'
		FROM profile_changes WHERE client_id = $1 ORDER BY id`, clientID)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var field, old, new, actor, rid string
		var now bool
		err := r.Scan(&field, &old, &new, &actor, &rid, &now)
		return fmt.Sprintf("%s: %s → %s (%s, %s, now=%v)", field, old, new, actor, rid, now), err
	})
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func decodeProblem(t *testing.T, body []byte) web.ProblemDetails {
	t.Helper()
	var p web.ProblemDetails
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("decode problem %s: %v", body, err)
	}
	return p
}

func TestPatchProfileRecordsEachChangedField(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	// City and language are sent unchanged; phone is reformatted to the
	// same number; three fields change, one is cleared.
	body := `{"email":"ana.popescu@example.org","phone":"+40 721 000 001","city":"București","marital_status":"divorced",
		"dependants":2,"annual_income":{"amount":"60000","currency":"RON"},"employer":"  ","preferred_language":"en"}`
	r := request{method: http.MethodPatch, path: "/api/v1/me/profile", body: body, contentType: "application/json", client: asClient(ana)}
	rec := do(t, srv, r)
	if rec.Code != http.StatusOK {
		t.Fatalf("PATCH: %d %s", rec.Code, rec.Body)
	}
	requestID := rec.Header().Get(web.RequestIDHeader)
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	// The new e-mail address waits for its confirmation; the old one
	// stays in use.
	pending, _ := got["pending_email"].(map[string]any)
	if got["email"] != "ana@example.com" || got["email_verified"] != true || pending["email"] != "ana.popescu@example.org" ||
		pending["expires_at"] != "2026-11-27T10:00:00Z" || got["marital_status"] != "divorced" || got["dependants"] != float64(2) || got["employer"] != nil {
		t.Errorf("PATCH answer = %v", got)
	}
	want := []string{
		"marital_status: married → divorced (client, " + requestID + ", now=true)",
		"dependants: 1 → 2 (client, " + requestID + ", now=true)",
	}
	if got := profileChangeRows(t, pool, ana); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("profile_changes mismatch\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var income string
	if err := pool.QueryRow(context.Background(), `SELECT annual_income::text || ' ' || income_currency FROM clients WHERE id = 1`).Scan(&income); err != nil {
		t.Fatal(err)
	}
	if income != "60000.00 RON" {
		t.Errorf("after PATCH: income %q", income)
	}
	// The link to the new address, the notice to the old one, in the
	// client's language; the token is only in the link.
	mails := outboxMessages(t, pool, ana)
	if len(mails) != 2 || mails[0].to != "ana.popescu@example.org" || mails[1].to != "ana@example.com" ||
		mails[0].subject != "Confirm your new e-mail address" || mails[1].subject != "A change of your e-mail address was requested" ||
		!strings.Contains(mails[1].body, "we keep writing to ana@example.com") {
		t.Fatalf("outbox %+v", mails)
	}
	token := linkToken.FindStringSubmatch(mails[0].body)
	if token == nil {
		t.Fatalf("no link in %q", mails[0].body)
	}

	// The same request again changes nothing, records nothing and sends
	// no second link.
	r.body = `{"email":"ana.popescu@example.org","dependants":2,"annual_income":{"amount":"60000.00","currency":"RON"}}`
	if rec := do(t, srv, r); rec.Code != http.StatusOK {
		t.Fatalf("second PATCH: %d %s", rec.Code, rec.Body)
	}
	if got := profileChangeRows(t, pool, ana); len(got) != 2 {
		t.Errorf("an unchanged PATCH recorded changes: %q", got)
	}
	if n := len(outboxMessages(t, pool, ana)); n != 2 {
		t.Errorf("%d messages after the same change again, want 2", n)
	}

	// Bogdan cannot use Ana's link; Ana can, once.
	confirm := request{method: http.MethodPost, path: "/api/v1/me/profile/email-confirmation", body: `{"token":"` + token[1] + `"}`, contentType: "application/json"}
	confirm.client = asClient(bogdan)
	if rec := do(t, srv, confirm); rec.Code != http.StatusUnprocessableEntity || decodeProblem(t, rec.Body.Bytes()).Errors[0].Field != "token" {
		t.Errorf("Bogdan with Ana's token: %d %s", rec.Code, rec.Body)
	}
	confirm.client = asClient(ana)
	rec = do(t, srv, confirm)
	if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != http.StatusOK || err != nil || got["email"] != "ana.popescu@example.org" ||
		got["email_verified"] != true || got["pending_email"] != nil {
		t.Errorf("confirmation: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, srv, confirm); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("the link used twice: %d", rec.Code)
	}
	if rows := profileChangeRows(t, pool, ana); len(rows) != 3 || !strings.HasPrefix(rows[2], "email: ana@example.com → ana.popescu@example.org (client, ") {
		t.Errorf("profile changes after the confirmation: %q", rows)
	}

	// Income in another currency, a cleared field, a new address.
	r.body = `{"annual_income":{"amount":"12000.5","currency":"EUR"},"marital_status":"","postal_code":"010101","country":"RO"}`
	if rec := do(t, srv, r); rec.Code != http.StatusOK {
		t.Fatalf("third PATCH: %d %s", rec.Code, rec.Body)
	}
	got2 := profileChangeRows(t, pool, ana)[3:]
	rid := got2[0][strings.Index(got2[0], "(client, ")+9 : strings.Index(got2[0], ", now")]
	want2 := []string{
		"postal_code: ∅ → 010101 (client, " + rid + ", now=true)",
		"marital_status: divorced → ∅ (client, " + rid + ", now=true)",
		"annual_income: 60000.00 RON → 12000.50 EUR (client, " + rid + ", now=true)",
	}
	if strings.Join(got2, "\n") != strings.Join(want2, "\n") {
		t.Errorf("profile_changes mismatch\ngot:\n%s\nwant:\n%s", strings.Join(got2, "\n"), strings.Join(want2, "\n"))
	}
}

var linkToken = regexp.MustCompile(`https://portal\.test/portal/profile/email\?token=([A-Za-z0-9_-]+)`)

type outboxMessage struct{ to, subject, body string }

// outboxMessages are the e-mails written about a client, oldest first.
func outboxMessages(t *testing.T, pool *pgxpool.Pool, client int64) []outboxMessage {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT to_address, subject, body FROM outbox_messages WHERE client_id = $1 ORDER BY id`, client)
	if err != nil {
		t.Fatal(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (outboxMessage, error) {
		var m outboxMessage
		return m, r.Scan(&m.to, &m.subject, &m.body)
	})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestPatchProfileReportsEveryInvalidField(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	body := `{"email":"ana at example","phone":"0721 000 001","country":"ro","postal_code":"!!","marital_status":"complicated",
		"dependants":21,"annual_income":{"amount":"1000.555","currency":"RON"},"employment_status":"astronaut",
		"occupation":"` + strings.Repeat("x", 101) + `","preferred_channel":"pigeon","preferred_language":"de","city":"Cluj"}`
	rec := do(t, srv, request{method: http.MethodPatch, path: "/api/v1/me/profile", body: body, contentType: "application/json", client: asClient(ana)})
	if rec.Code != http.StatusUnprocessableEntity || rec.Header().Get("Content-Type") != web.ProblemContentType {
		t.Fatalf("PATCH with bad fields: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	p := decodeProblem(t, rec.Body.Bytes())
	want := []ecrm.FieldError{
		{Field: "email", Message: "Enter an e-mail address such as name@example.com."},
		{Field: "phone", Message: "Enter the number with + and the country code, for example +40721234567."},
		{Field: "postal_code", Message: "Enter a postal code of 2 to 10 letters, digits, spaces or hyphens."},
		{Field: "country", Message: "Enter the two-letter country code in capitals, for example RO."},
		{Field: "marital_status", Message: "Choose one of the options offered."},
		{Field: "dependants", Message: "Enter a whole number from 0 to 20."},
		{Field: "annual_income.amount", Message: "Use at most 2 decimal places for RON."},
		{Field: "employment_status", Message: "Choose one of the options offered."},
		{Field: "occupation", Message: "Use at most 100 characters."},
		{Field: "preferred_channel", Message: "Choose one of the options offered."},
		{Field: "preferred_language", Message: "Choose one of the options offered."},
	}
	if fmt.Sprint(p.Errors) != fmt.Sprint(want) {
		t.Errorf("errors mismatch\ngot:  %v\nwant: %v", p.Errors, want)
	}
	if p.Type != "/problems/invalid-input" || p.Status != 422 {
		t.Errorf("problem = %+v", p)
	}
	// Nothing was written, not even the valid city.
	if got := profileChangeRows(t, pool, ana); len(got) != 0 {
		t.Errorf("an invalid PATCH recorded %q", got)
	}
	var city string
	pool.QueryRow(context.Background(), `SELECT city FROM clients WHERE id = 1`).Scan(&city)
	if city != "București" {
		t.Errorf("city = %q after a refused update", city)
	}

	// Messages follow the request's language.
	rec = do(t, srv, request{method: http.MethodPatch, path: "/api/v1/me/profile", body: `{"dependants":"two","annual_income":{"amount":"-5","currency":"XYZ"}}`,
		contentType: "application/json", client: asClient(ana), lang: "ro"})
	p = decodeProblem(t, rec.Body.Bytes())
	wantRo := []ecrm.FieldError{
		{Field: "dependants", Message: "Introduceți un număr întreg de la 0 la 20."},
		{Field: "annual_income.amount", Message: "Introduceți o sumă mai mare sau egală cu zero, de exemplu 45000.00."},
		{Field: "annual_income.currency", Message: "Alegeți moneda venitului."},
	}
	if fmt.Sprint(p.Errors) != fmt.Sprint(wantRo) {
		t.Errorf("Romanian errors mismatch\ngot:  %v\nwant: %v", p.Errors, wantRo)
	}

	// Unknown fields and wrong JSON types name the field too.
	for body, field := range map[string]string{`{"nickname":"Ani"}`: "nickname", `{"city":5}`: "city"} {
		rec := do(t, srv, request{method: http.MethodPatch, path: "/api/v1/me/profile", body: body, contentType: "application/json", client: asClient(ana)})
		p := decodeProblem(t, rec.Body.Bytes())
		if rec.Code != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != field {
			t.Errorf("PATCH %s: %d %+v, want 422 naming %s", body, rec.Code, p, field)
		}
	}
}

func TestValidateAcceptsGoodValues(t *testing.T) {
	s := func(v string) *string { return &v }
	raw := json.RawMessage("0")
	u := ProfileUpdate{
		Email: s("ana+bank@example.co.uk"), Phone: s("+44 20 7946 0958"), AddressLine1: s("Str. Lipscani 1"),
		City: s("Cluj-Napoca"), PostalCode: s("400001"), Country: s("GB"), MaritalStatus: s("partnership"),
		Dependants: &raw, AnnualIncome: &IncomeUpdate{Amount: "1000000", Currency: "JPY"},
		EmploymentStatus: s(""), PreferredChannel: s("sms"), PreferredLanguage: s("ro"),
	}
	if problems := u.Validate(i18n.NewLocalizer(i18n.English)); len(problems) != 0 {
		t.Errorf("Validate(good values) = %v", problems)
	}
	for _, bad := range []string{"EU", "UN", "ZZ", "UK", "R0", "ROU"} {
		if isCountryCode(bad) {
			t.Errorf("isCountryCode(%q) = true", bad)
		}
	}
}

func TestProfileFormShowsErrorsAtTheFieldsAndKeepsInput(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	form := url.Values{
		"email": {"not-an-email"}, "phone": {"+40721000001"}, "address_line1": {"Str. Florilor 7"}, "address_line2": {""},
		"city": {"Cluj-Napoca"}, "postal_code": {"400001"}, "country": {"RO"}, "marital_status": {"married"},
		"dependants": {"3"}, "annual_income.amount": {"72000.00"}, "annual_income.currency": {"RON"},
		"employment_status": {"employed"}, "occupation": {"Inginer"}, "employer": {"Fabrica <Nouă> & Co"},
		"preferred_channel": {"email"}, "preferred_language": {"ro"},
	}
	rec := do(t, srv, request{method: http.MethodPost, path: "/portal/profile", body: form.Encode(), contentType: formType, client: asClient(ana), lang: "ro"})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("POST with a bad e-mail: %d", rec.Code)
	}
	body := rec.Body.String()
	for _, s := range []string{
		`<p class="field-error" id="profile-email-error">Introduceți o adresă de e-mail, de exemplu nume@exemplu.ro.</p>`,
		`<input id="profile-email" name="email" type="email" value="not-an-email" autocomplete="email" maxlength="254" aria-describedby="profile-email-error" aria-invalid="true">`,
		`<input id="profile-city" name="city" type="text" value="Cluj-Napoca"`,
		`value="Fabrica &lt;Nouă&gt; &amp; Co"`,
		`<option value="married" selected>Căsătorit(ă)</option>`,
		`<input id="profile-annual_income-amount" name="annual_income.amount" type="text" value="72000.00" inputmode="decimal" maxlength="20" aria-describedby="profile-annual_income-amount-hint">`,
		`<a href="#profile-email">Adresă de e-mail: Introduceți o adresă de e-mail, de exemplu nume@exemplu.ro.</a>`,
		`role="alert"`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("refused form lacks %s", s)
		}
	}
	if got := profileChangeRows(t, pool, ana); len(got) != 0 {
		t.Errorf("a refused form recorded %q", got)
	}

	// Corrected, it saves, redirects (post/redirect/get) and says so.
	form.Set("email", "ana@example.com")
	rec = do(t, srv, request{method: http.MethodPost, path: "/portal/profile", body: form.Encode(), contentType: formType, client: asClient(ana)})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/portal/profile?saved=profile" {
		t.Fatalf("POST a valid form: %d → %q", rec.Code, rec.Header().Get("Location"))
	}
	want := []string{"address_line1: ∅ → Str. Florilor 7", "city: București → Cluj-Napoca", "postal_code: ∅ → 400001",
		"dependants: 1 → 3", "annual_income: 60000.00 RON → 72000.00 RON", "occupation: ∅ → Inginer",
		"employer: ∅ → Fabrica <Nouă> & Co", "preferred_channel: ∅ → email", "preferred_language: en → ro"}
	var got []string
	for _, line := range profileChangeRows(t, pool, ana) {
		got = append(got, line[:strings.Index(line, " (")])
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("profile_changes mismatch\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	rec = do(t, srv, request{path: "/portal/profile?saved=profile", client: asClient(ana)})
	for _, s := range []string{`Your changes were saved.`, `<td>Annual income</td>`, `RON` + "\u00a0" + `72,000.00`, `value="Cluj-Napoca"`} {
		if !strings.Contains(rec.Body.String(), s) {
			t.Errorf("profile page after saving lacks %q", s)
		}
	}
}

// TestEmailChangeConfirmedFromTheLink: the profile says a new address is
// waiting; the link opens a page that asks (opening it changes nothing);
// the button makes the change; a bad link says so.
func TestEmailChangeConfirmedFromTheLink(t *testing.T) {
	pool := newFixture(t)
	srv := newRouter(newTestHandler(t, pool), testPrincipal)
	page := func(r request) (int, string) {
		rec := do(t, srv, r)
		return rec.Code, rec.Body.String()
	}
	code, body := page(request{method: "GET", path: "/portal/profile", client: asClient(ana)})
	if code != 200 || !strings.Contains(body, `id="email-pending">We sent a link to ana.new@example.com`) || !strings.Contains(body, `value="ana@example.com"`) {
		t.Errorf("profile with a pending address: %d", code)
	}
	code, body = page(request{method: "GET", path: "/portal/profile/email?token=" + anaLinkToken, client: asClient(ana), lang: "ro"})
	if code != 200 || !strings.Contains(body, "Folosiți ana.new@example.com ca adresă de e-mail") {
		t.Errorf("confirmation page: %d", code)
	}
	var email string
	pool.QueryRow(context.Background(), `SELECT email FROM clients WHERE id = 1`).Scan(&email)
	if email != "ana@example.com" {
		t.Errorf("opening the link changed the address to %q", email)
	}
	rec := do(t, srv, request{method: "POST", path: "/portal/profile/email", body: "token=" + anaLinkToken, contentType: formType, client: asClient(ana)})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/portal/profile?saved=email" {
		t.Fatalf("confirm: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	code, body = page(request{method: "GET", path: "/portal/profile?saved=email", client: asClient(ana)})
	if code != 200 || !strings.Contains(body, `id="email-confirmed"`) || !strings.Contains(body, `value="ana.new@example.com"`) || strings.Contains(body, `id="email-pending"`) {
		t.Errorf("profile after the confirmation: %d", code)
	}
	code, body = page(request{method: "GET", path: "/portal/profile/email?token=" + anaLinkToken, client: asClient(ana)})
	if code != http.StatusNotFound || !strings.Contains(body, `id="email-link-error"`) {
		t.Errorf("the used link: %d", code)
	}
}
