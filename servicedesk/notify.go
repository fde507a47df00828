package servicedesk

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/outbox"
)

// The e-mails say that there is something to read and where; never what:
// the conversation stays behind the login, as a bank's secure messaging
// must (e-mail is neither private nor proof of who wrote it).

// tellStaff writes an e-mail to whoever works request id — its assignee,
// or the members of its team's queue — in their language, in tx.
func (d *Desk) tellStaff(ctx context.Context, tx pgx.Tx, id int64, opened bool) error {
	if d.mail == nil {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT s.id, s.email, s.display_name, s.language, r.kind, r.due_at
		FROM service_requests r JOIN staff_users s
		  ON s.id = r.assignee_staff_id
		  OR (r.assignee_staff_id IS NULL AND s.id IN (SELECT m.staff_id FROM service_team_members m WHERE m.team_code = r.team_code))
		WHERE r.id = $1 AND s.active ORDER BY s.id LIMIT 50`, id)
	if err != nil {
		return fmt.Errorf("staff to tell of request %d: %w", id, err)
	}
	type person struct {
		id                      int64
		email, name, lang, kind string
		due                     time.Time
	}
	people, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (person, error) {
		var p person
		return p, r.Scan(&p.id, &p.email, &p.name, &p.lang, &p.kind, &p.due)
	})
	if err != nil {
		return err
	}
	msgs := make([]outbox.Message, 0, len(people))
	for _, p := range people {
		l := localizer(p.lang)
		subject := "servicedesk.mail.staff.message.subject"
		if opened {
			subject = "servicedesk.mail.staff.opened.subject"
		}
		link := fmt.Sprintf("%s/console/requests/%d", d.cfg.BaseURL, id)
		msgs = append(msgs, outbox.Message{Kind: outbox.Transactional, To: p.email, ToName: p.name, StaffID: p.id, Language: l.Lang().String(),
			Subject: l.T(subject, Number(id)),
			Body:    l.T("servicedesk.mail.staff.body", p.name, Number(id), l.T("servicedesk.kind."+p.kind), l.DateTime(p.due, d.hours.Zone), link)})
	}
	return d.mail.EnqueueMany(ctx, tx, msgs)
}

// tellClient writes an e-mail to the client of request id that the firm
// has answered, in her language, in tx. A client without an address is
// told in the portal only.
func (d *Desk) tellClient(ctx context.Context, tx pgx.Tx, id int64) error {
	if d.mail == nil {
		return nil
	}
	var clientID int64
	var email *string
	var given, family, lang string
	err := tx.QueryRow(ctx, `SELECT c.id, c.email, c.given_name, c.family_name, c.preferred_language
		FROM service_requests r JOIN clients c ON c.id = r.client_id WHERE r.id = $1`, id).Scan(&clientID, &email, &given, &family, &lang)
	if err != nil {
		return fmt.Errorf("client to tell of request %d: %w", id, err)
	}
	if email == nil || *email == "" {
		return nil
	}
	l := localizer(lang)
	link := fmt.Sprintf("%s/portal/messages/%d", d.cfg.BaseURL, id)
	_, err = d.mail.Enqueue(ctx, tx, outbox.Message{Kind: outbox.Transactional, To: *email, ToName: given + " " + family, ClientID: clientID,
		Language: l.Lang().String(), Subject: l.T("servicedesk.mail.client.subject", Number(id)),
		Body: l.T("servicedesk.mail.client.body", given, Number(id), link)})
	return err
}

func localizer(lang string) *i18n.Localizer {
	tag, _ := i18n.ParseLanguage(lang)
	return i18n.NewLocalizer(tag)
}
