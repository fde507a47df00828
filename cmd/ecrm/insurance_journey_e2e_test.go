package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestInsuranceJourneyAsProspect: through the whole stack (OpenID login,
// sessions, cross-origin protection, the route table), a person who is not
// a client logs in for the first time and becomes a prospect, finds the
// insurance journey in the portal's navigation, starts it, answers the
// first section and moves on; leaving and coming back resumes it. Another
// person cannot open it, by page or API, and a bearer token reaches the
// prospect's own journey.
func TestInsuranceJourneyAsProspect(t *testing.T) {
	e := newTestEnv(t, nil)
	// Nobody of the firm's clients has her e-mail: her first login makes
	// her a prospect.
	if _, err := e.pool.Exec(context.Background(), `UPDATE clients SET email = 'client' || id || '@elsewhere.test'`); err != nil {
		t.Fatal(err)
	}
	b := e.newBrowser()
	e.login(b, clientSubject)
	var kind string
	if err := e.pool.QueryRow(context.Background(), `SELECT kind FROM clients WHERE email = 'ana@example.com'`).Scan(&kind); err != nil || kind != "prospect" {
		t.Fatalf("first login made a %q, %v", kind, err)
	}
	if _, body := b.get(e.baseURL + "/portal/insurance"); !strings.Contains(body, `href="/portal/insurance"`) || !strings.Contains(body, `id="journey-start"`) {
		t.Fatalf("the journey's start page: %s", body)
	}
	res, _ := b.do("POST", e.baseURL+"/portal/insurance/journeys", url.Values{}, nil)
	section := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(section, "/sections/applicant") {
		t.Fatalf("start = %d %s", res.StatusCode, section)
	}
	res, _ = b.do("POST", e.baseURL+section, url.Values{"applicant.birth_date": {"1988-02-29"}, "applicant.household_size": {"1"},
		"applicant.region": {"nord-vest"}, "applicant.employment": {"self-employed"}, "step": {"next"}}, nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(res.Header.Get("Location"), "/sections/needs") {
		t.Fatalf("applicant submitted = %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	journey := strings.TrimSuffix(section, "/sections/applicant")
	res, _ = b.get(e.baseURL + journey)
	if !strings.HasSuffix(res.Header.Get("Location"), "/sections/needs") {
		t.Errorf("resume leads to %s", res.Header.Get("Location"))
	}
	// A cross-site form post is refused by the cross-origin protection.
	res, _ = b.do("POST", e.baseURL+section, url.Values{"applicant.household_size": {"5"}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post = %d", res.StatusCode)
	}

	other := e.newBrowser()
	e.login(other, otherSubject)
	if res, _ := other.get(e.baseURL + section); res.StatusCode != http.StatusNotFound {
		t.Errorf("another person opens the journey: %d", res.StatusCode)
	}
	id := strings.TrimPrefix(journey, "/portal/insurance/journeys/")
	hour := time.Now().Add(time.Hour)
	if res, _ := e.api("GET", "/api/v1/me/insurance/journeys/"+id, e.accessToken(otherSubject, "ecrm-test", hour)); res.StatusCode != http.StatusNotFound {
		t.Errorf("another person's token reads the journey: %d", res.StatusCode)
	}
	res, body := e.api("GET", "/api/v1/me/insurance/journeys/"+id+"/sections/applicant/answers", e.accessToken(clientSubject, "ecrm-test", hour))
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"applicant.region":[{"coding":{"code":"nord-vest"`) || !strings.Contains(body, `"status":"completed"`) {
		t.Errorf("the prospect's token: %d %s", res.StatusCode, body)
	}
}
