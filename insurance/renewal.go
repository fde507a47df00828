package insurance

import (
	"context"
	"fmt"
	"net/mail"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/text/language"

	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/outbox"
)

// Renewal reminders (issue 16, item 6): before a short-term policy (one
// month to a year) ends, the client is reminded once — a notice on the
// portal's policies page and an e-mail — so that renewing takes a few
// clicks instead of a lapse in cover.
//
// A periodic job looks, every RenewalReminderEvery, for active short-term
// policies ending within the next Days days (after today, up to today +
// Days inclusive, in the firm's time zone) that have no reminder and were
// not renewed. For each it records the reminder (insurance_renewal_reminders,
// keyed by the policy: once per policy, whatever runs or processes) and
// writes the e-mail to the outbox in the same transaction, so the notice
// and the e-mail exist together or not at all. A client without a usable
// e-mail address gets the portal notice only.

// RenewalReminderEvery is how often the job looks: hourly, so a reminder
// goes out on the morning of its day whenever the server starts.
const RenewalReminderEvery = time.Hour

// renewalBatch bounds one transaction (the first run on a large book).
const renewalBatch = 500

// RenewalReminders is the reminder job.
type RenewalReminders struct {
	pool    *pgxpool.Pool
	mail    *outbox.Outbox
	baseURL string
	zone    *time.Location
	// Days is the window before the end (DefaultRenewalReminderDays).
	Days int
	// Now is the clock (tests set it).
	Now func() time.Time
}

// NewRenewalReminders reminds through mail, linking to baseURL's portal.
func NewRenewalReminders(pool *pgxpool.Pool, mail *outbox.Outbox, baseURL string) *RenewalReminders {
	return &RenewalReminders{pool: pool, mail: mail, baseURL: baseURL, zone: time.UTC, Days: DefaultRenewalReminderDays, Now: time.Now}
}

// SetZone sets the time zone whose calendar day is "today".
func (r *RenewalReminders) SetZone(zone *time.Location) {
	if zone != nil {
		r.zone = zone
	}
}

type renewalRemindArgs struct{}

func (renewalRemindArgs) Kind() string { return "insurance.renewal_reminders" }

// RegisterJobs schedules the reminders every RenewalReminderEvery.
func (r *RenewalReminders) RegisterJobs(reg *jobs.Registry) {
	jobs.Handle(reg, func(ctx context.Context, _ *jobs.Job[renewalRemindArgs]) error {
		_, err := r.Run(ctx)
		return err
	})
	jobs.Every(reg, "insurance.renewal_reminders", RenewalReminderEvery, func() jobs.Args { return renewalRemindArgs{} })
}

// renewalDueSQL: active short-term policies ending after today ($1) and
// at most $2 days later, without a reminder and not renewed (through
// insurance_policies_ending_idx). SKIP LOCKED lets two runs share the work.
const renewalDueSQL = `
SELECT p.id, p.client_id, p.policy_number, p.line, p.ends_on,
       c.given_name, c.family_name, coalesce(c.email, ''), c.preferred_language
FROM insurance_policies p
JOIN clients c ON c.id = p.client_id
WHERE p.short_term AND p.status = 'active'
  AND p.ends_on > $1::date AND p.ends_on <= $1::date + $2::int
  AND NOT EXISTS (SELECT 1 FROM insurance_renewal_reminders r WHERE r.policy_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM insurance_policies n WHERE n.renews_policy_id = p.id)
ORDER BY p.ends_on, p.id
LIMIT $3
FOR UPDATE OF p SKIP LOCKED`

type renewalDue struct {
	policyID, clientID   int64
	number, line         string
	endsOn               time.Time
	given, family, email string
	language             string
}

// Run records the reminders due now and queues their e-mails; it returns
// how many policies it reminded about.
func (r *RenewalReminders) Run(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := r.runBatch(ctx)
		total += n
		if err != nil || n < renewalBatch {
			return total, err
		}
	}
}

func (r *RenewalReminders) runBatch(ctx context.Context) (int, error) {
	now := r.Now()
	today := policyDay(now.In(r.zone))
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("renewal reminders: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	rows, err := tx.Query(ctx, renewalDueSQL, today, r.Days, renewalBatch)
	if err != nil {
		return 0, fmt.Errorf("renewal reminders: %w", err)
	}
	due, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (renewalDue, error) {
		var d renewalDue
		err := row.Scan(&d.policyID, &d.clientID, &d.number, &d.line, &d.endsOn, &d.given, &d.family, &d.email, &d.language)
		return d, err
	})
	if err != nil {
		return 0, fmt.Errorf("renewal reminders: %w", err)
	}
	n := 0
	for _, d := range due {
		tag, err := tx.Exec(ctx, `INSERT INTO insurance_renewal_reminders (policy_id, client_id, ends_on, reminded_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (policy_id) DO NOTHING`, d.policyID, d.clientID, d.endsOn, now)
		if err != nil {
			return 0, fmt.Errorf("renewal reminder of policy %d: %w", d.policyID, err)
		}
		if tag.RowsAffected() == 0 {
			continue // reminded meanwhile
		}
		n++
		if a, err := mail.ParseAddress(d.email); err != nil || a.Address != d.email {
			continue // the portal notice only
		}
		id, err := r.mail.Enqueue(ctx, tx, r.message(d))
		if err != nil {
			return 0, fmt.Errorf("renewal reminder of policy %d: %w", d.policyID, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE insurance_renewal_reminders SET outbox_message_id = $2 WHERE policy_id = $1`, d.policyID, id); err != nil {
			return 0, fmt.Errorf("renewal reminder of policy %d: %w", d.policyID, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("renewal reminders: %w", err)
	}
	return n, nil
}

// message is the reminder e-mail in the client's language.
func (r *RenewalReminders) message(d renewalDue) outbox.Message {
	tag, ok := i18n.ParseLanguage(d.language)
	lang := d.language
	if !ok {
		tag, lang = language.English, "en"
	}
	l := i18n.NewLocalizer(tag)
	name := d.given + " " + d.family
	last := l.Date(d.endsOn.AddDate(0, 0, -1))
	url := r.baseURL + "/portal/policies/" + strconv.FormatInt(d.policyID, 10) + "#renewal"
	return outbox.Message{
		Kind: outbox.Transactional, To: d.email, ToName: name, ClientID: d.clientID, Language: lang,
		Subject: l.T("insurance.policy.reminder.subject", d.number, last),
		Body:    l.T("insurance.policy.reminder.body", name, l.T("portal.policy_line."+d.line), d.number, last, url),
	}
}
