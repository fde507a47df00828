package main

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/insurance"
	"github.com/ecrm-project/ecrm/internal/demodata"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/outbox"
)

// TestPolicyRenewalWithDemoData is the issue's "renews with answers
// pre-filled (a demo policy near its end)": on the demo data set Ana's
// one-month trip ends within days; the reminder job reminds her once
// (portal notice, e-mail in the outbox); My policies is in her navigation
// and shows the notice; Renew starts a renewal journey with her answers.
func TestPolicyRenewalWithDemoData(t *testing.T) {
	e := newTestEnv(t, nil)
	e.withDemoPeople()
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, `DELETE FROM clients; DELETE FROM staff_users`); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := demodata.Seed(ctx, e.pool, demodata.Options{Clients: 30, Seed: 1, AsOf: now}); err != nil {
		t.Fatal(err)
	}
	if err := insurance.ImportJourneyQuestionnaires(ctx, insurance.NewStore(e.pool)); err != nil {
		t.Fatal(err)
	}
	if err := seedDemoPolicies(ctx, e.pool, slog.New(slog.NewTextHandler(io.Discard, nil)), now); err != nil {
		t.Fatal(err)
	}
	var id, journey int64
	if err := e.pool.QueryRow(ctx, `SELECT id, journey_id FROM insurance_policies WHERE client_id = $1 AND bound_at IS NOT NULL`,
		demodata.DemoClientID).Scan(&id, &journey); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(e.pool, nil, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mail := outbox.New(e.pool, nil)
	mail.SetQueue(q)
	if n, err := insurance.NewRenewalReminders(e.pool, mail, e.baseURL).Run(ctx); err != nil || n == 0 {
		t.Fatalf("reminders: %d, %v", n, err)
	}
	var subject string
	if err := e.pool.QueryRow(ctx, `SELECT m.subject FROM insurance_renewal_reminders r JOIN outbox_messages m ON m.id = r.outbox_message_id
		WHERE r.policy_id = $1`, id).Scan(&subject); err != nil || !strings.Contains(subject, "-TRV-") {
		t.Errorf("Ana's reminder e-mail: %q, %v", subject, err)
	}

	ana := e.newBrowser()
	e.login(ana, "demo-client-ana")
	sid := strconv.FormatInt(id, 10)
	if _, body := ana.get(e.baseURL + "/portal"); !strings.Contains(body, `href="/portal/policies"`) || !strings.Contains(body, `href="/portal/policies/`+sid+`"`) {
		t.Error("no link to my policies on the overview")
	}
	if res, body := ana.get(e.baseURL + "/portal/policies"); res.StatusCode != 200 || !strings.Contains(body, `id="renewal-notice-`+sid+`"`) {
		t.Errorf("my policies: %d, no renewal notice", res.StatusCode)
	}
	if res, body := ana.get(e.baseURL + "/portal/policies/" + sid); res.StatusCode != 200 || !strings.Contains(body, `id="renew-button"`) ||
		!strings.Contains(body, "TRV-2026.2") || !strings.Contains(body, `id="answer-travel.destination"`) {
		t.Errorf("the trip's page: %d", res.StatusCode)
	}
	if res, _ := ana.get(e.baseURL + "/portal/policies/" + sid + "/schedule.pdf"); res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("schedule PDF: %d", res.StatusCode)
	}
	res, _ := ana.do("POST", e.baseURL+"/portal/policies/"+sid+"/renew", map[string][]string{}, nil)
	loc := res.Header.Get("Location")
	if res.StatusCode != 303 || !strings.HasPrefix(loc, "/portal/insurance/journeys/") {
		t.Fatalf("Renew: %d %s", res.StatusCode, loc)
	}
	renewal, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/portal/insurance/journeys/"), 10, 64)
	var kind string
	var renews, previous int64
	if err := e.pool.QueryRow(ctx, `SELECT kind, renews_policy_id, previous_journey_id FROM insurance_journeys WHERE id = $1 AND client_id = $2`,
		renewal, demodata.DemoClientID).Scan(&kind, &renews, &previous); err != nil || kind != "renewal" || renews != id || previous != journey {
		t.Errorf("the renewal journey: %s %d %d, %v", kind, renews, previous, err)
	}
	if res, _ := ana.get(e.baseURL + loc); res.StatusCode >= 400 {
		t.Errorf("the renewal journey's page: %d", res.StatusCode)
	}
}
