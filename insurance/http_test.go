package insurance

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

// TestImportAPI: an administrator imports the travel questionnaire (201),
// again (200), a malformed one is 422 naming the item, a changed one
// under the same version 409 naming version; an advisor and an anonymous
// caller are refused and nothing is written by them.
func TestImportAPI(t *testing.T) {
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), `INSERT INTO staff_users (id, email, display_name, roles) VALUES
		(1, 'elena@bank.test', 'Elena Admin', '{admin}'), (2, 'maria@bank.test', 'Maria Advisor', '{advisor}')`); err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	NewAdminHandler(NewStore(pool)).Routes(r)
	post := func(p *ecrm.Principal, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/api/v1/questionnaires", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/fhir+json")
		if p != nil {
			req = req.WithContext(ecrm.WithPrincipal(req.Context(), p))
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w
	}
	admin := &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 1, Roles: []string{ecrm.RoleAdmin}}
	advisor := &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 2, Roles: []string{ecrm.RoleAdvisor}}
	if w := post(nil, travelFHIR); w.Code != http.StatusUnauthorized {
		t.Errorf("anonymous = %d", w.Code)
	}
	if w := post(advisor, travelFHIR); w.Code != http.StatusForbidden {
		t.Errorf("an advisor = %d", w.Code)
	}
	w := post(admin, travelFHIR)
	if w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `"unsupported":["extension http://example.org/unknown","item.answerValueSet"]`) {
		t.Fatalf("admin = %d %s", w.Code, w.Body)
	}
	if w := post(admin, travelFHIR); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"created":false`) {
		t.Errorf("again = %d %s", w.Code, w.Body)
	}
	w = post(admin, `{"resourceType": "Questionnaire", "url": "x:y", "item": [{"linkId": "q1", "type": "choice"}]}`)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"field":"item q1: answerOption"`) {
		t.Errorf("malformed = %d %s", w.Code, w.Body)
	}
	w = post(admin, strings.Replace(travelFHIR, `"Where to?"`, `"Where are you going?"`, 1))
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), `"version"`) {
		t.Errorf("changed under the same version = %d %s", w.Code, w.Body)
	}
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM questionnaires WHERE imported_by = 1`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d definitions imported by Elena, %v; want 1", n, err)
	}
}
