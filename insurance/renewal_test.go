package insurance

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/outbox"
)

// TestRenewalReminders: the job reminds once per policy, inside the
// window only (after today, up to Days ahead), with the e-mail queued in
// the same transaction in the client's language; a client without an
// e-mail address gets the portal notice only; a renewed policy is not
// reminded; the policies page shows the notice.
func TestRenewalReminders(t *testing.T) {
	pool := policyFixture(t)
	ctx := context.Background()
	q, err := jobs.New(pool, nil, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mail := outbox.New(pool, nil)
	mail.SetQueue(q)
	job := NewRenewalReminders(pool, mail, "https://bank.example")
	job.Now = func() time.Time { return policyToday }
	if _, err := pool.Exec(ctx, `UPDATE clients SET email = NULL WHERE id = 2`); err != nil {
		t.Fatal(err)
	}

	// 13 days: Bogdan's motor policy (ends 15 December) only; Ana's trip
	// ends on 20 December, 14 days from today.
	job.Days = 13
	if n, err := job.Run(ctx); err != nil || n != 1 {
		t.Fatalf("first run: %d, %v", n, err)
	}
	job.Days = 14
	if n, err := job.Run(ctx); err != nil || n != 1 {
		t.Fatalf("second run: %d, %v", n, err)
	}
	for range 2 {
		if n, err := job.Run(ctx); err != nil || n != 0 {
			t.Fatalf("again: %d, %v", n, err)
		}
	}
	rows, err := pool.Query(ctx, `SELECT r.policy_id, r.client_id, r.ends_on::text, coalesce(m.to_address, '-'), coalesce(m.subject, '-'), coalesce(m.body, '-'), coalesce(m.language, '-')
		FROM insurance_renewal_reminders r LEFT JOIN outbox_messages m ON m.id = r.outbox_message_id ORDER BY r.policy_id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var policy, client int64
		var ends, to, subject, body, lang string
		if err := rows.Scan(&policy, &client, &ends, &to, &subject, &body, &lang); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join([]string{policyItoa(policy), policyItoa(client), ends, to, lang, subject}, " | "))
		if policy == 102 && (!strings.Contains(body, "Stimată doamnă / Stimate domn Ana Popescu") ||
			!strings.Contains(body, "https://bank.example/portal/policies/102#renewal") || !strings.Contains(body, "expiră la 19 dec. 2026")) {
			t.Errorf("Ana's e-mail:\n%s", body)
		}
	}
	want := []string{
		"102 | 1 | 2026-12-20 | ana@example.com | ro | Polița ALZ-TRV-00000102 expiră la 19 dec. 2026",
		"201 | 2 | 2026-12-15 | - | - | -",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("reminders:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var sends int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'outbox.send'`).Scan(&sends); err != nil || sends != 1 {
		t.Errorf("%d send jobs queued, %v; want 1", sends, err)
	}

	// A renewed policy is not reminded.
	if _, err := pool.Exec(ctx, `
		UPDATE insurance_policies SET ends_on = '2026-12-18' WHERE id = 103;
		INSERT INTO insurance_policies (id, client_id, policy_number, insurer, line, status, starts_on, ends_on, sum_insured, premium, currency,
		    premium_frequency, short_term, renews_policy_id)
		VALUES (104, 1, 'GRM-HOM-00000104', 'Groupama', 'home', 'active', '2026-12-18', '2027-12-18', 400000, 100.00, 'RON', 'quarterly', true, 103)`); err != nil {
		t.Fatal(err)
	}
	if n, err := job.Run(ctx); err != nil || n != 0 {
		t.Errorf("renewed policy reminded: %d, %v", n, err)
	}

	// The policies page: Ana sees the notice of her trip.
	h := policyServer(t, pool, anaPrincipal(), nil)
	w := policyRequest(h, "GET", "/portal/policies")
	if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, `id="renewal-notice-102"`) || strings.Contains(body, `id="renewal-notice-103"`) {
		t.Errorf("policies page: %d\n%s", w.Code, body)
	}
}
