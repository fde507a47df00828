package selfservice

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// A changed e-mail address is used only once the client confirms it: the
// profile keeps the old address, a link goes to the new one, and the
// change is made (and recorded as a profile change) when she opens the
// link while logged in and confirms. The old address is told, so that a
// change she did not make does not go unnoticed.

// emailVerificationTTL is how long a confirmation link works.
const emailVerificationTTL = 24 * time.Hour

// PendingEmail is a new address waiting for its confirmation.
type PendingEmail struct {
	Email       string    `json:"email"`
	RequestedAt time.Time `json:"requested_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// SetMailer sets the outbox that sends confirmation links and the public
// URL they point to (ECRM_BASE_URL).
func (s *Service) SetMailer(o *outbox.Outbox, baseURL string) {
	s.mail, s.baseURL = o, baseURL
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// requestEmailChange records a change of address to newEmail in tx and
// writes the two messages: the link to the new address, the notice to the
// old one. An earlier pending change is superseded.
func (s *Service) requestEmailChange(ctx context.Context, tx pgx.Tx, old *Profile, newEmail string, at time.Time, l *i18n.Localizer) (*PendingEmail, error) {
	if s.mail == nil {
		return nil, errors.New("change of e-mail address: no outbox to send the confirmation link")
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	if _, err := tx.Exec(ctx, `UPDATE email_verifications SET superseded_at = $2
		WHERE client_id = $1 AND confirmed_at IS NULL AND superseded_at IS NULL`, old.ClientID, at); err != nil {
		return nil, err
	}
	pending := &PendingEmail{Email: newEmail, RequestedAt: at, ExpiresAt: at.Add(emailVerificationTTL)}
	if _, err := tx.Exec(ctx, `INSERT INTO email_verifications (client_id, email, token_hash, requested_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		old.ClientID, newEmail, hashToken(token), at, pending.ExpiresAt); err != nil {
		return nil, err
	}
	name := old.GivenName + " " + old.FamilyName
	lang := l.Lang().String()
	link := s.baseURL + "/portal/profile/email?token=" + url.QueryEscape(token)
	if _, err := s.mail.Enqueue(ctx, tx, outbox.Message{Kind: outbox.Transactional, To: newEmail, ToName: name, ClientID: old.ClientID,
		Language: lang, Subject: l.T("portal.email.confirm.subject"),
		Body: l.T("portal.email.confirm.body", old.GivenName, newEmail, link, l.DateTime(pending.ExpiresAt, s.zone))}); err != nil {
		return nil, err
	}
	if old.Email != nil && *old.Email != "" {
		if _, err := s.mail.Enqueue(ctx, tx, outbox.Message{Kind: outbox.Transactional, To: *old.Email, ToName: name, ClientID: old.ClientID,
			Language: lang, Subject: l.T("portal.email.notice.subject"),
			Body: l.T("portal.email.notice.body", old.GivenName, newEmail, *old.Email)}); err != nil {
			return nil, err
		}
	}
	return pending, nil
}

// pendingEmail is the client's latest unconfirmed, unexpired new address.
func (s *Service) pendingEmail(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, clientID int64) (*PendingEmail, error) {
	var p PendingEmail
	err := q.QueryRow(ctx, `SELECT email, requested_at, expires_at FROM email_verifications
		WHERE client_id = $1 AND confirmed_at IS NULL AND superseded_at IS NULL AND expires_at > $2
		ORDER BY requested_at DESC LIMIT 1`, clientID, s.now()).Scan(&p.Email, &p.RequestedAt, &p.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pending e-mail of client %d: %w", clientID, err)
	}
	return &p, nil
}

// errLinkInvalid is the answer to a link that is unknown, another
// client's, expired, superseded or used: the same for all, so a link says
// nothing about anyone else.
func errLinkInvalid(l *i18n.Localizer) error {
	return ecrm.FieldErrorf("token", "%s", l.T("portal.email.error.link"))
}

// EmailChange returns the change a confirmation link stands for, without
// making it: the page asks the client to confirm.
func (s *Service) EmailChange(ctx context.Context, clientID int64, token string) (*PendingEmail, error) {
	var p PendingEmail
	err := s.pool.QueryRow(ctx, `SELECT email, requested_at, expires_at FROM email_verifications
		WHERE token_hash = $1 AND client_id = $2 AND confirmed_at IS NULL AND superseded_at IS NULL AND expires_at > $3`,
		hashToken(token), clientID, s.now()).Scan(&p.Email, &p.RequestedAt, &p.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errLinkInvalid(i18n.FromContext(ctx))
	}
	if err != nil {
		return nil, fmt.Errorf("e-mail change of client %d: %w", clientID, err)
	}
	return &p, nil
}

// ConfirmEmail makes the change a link stands for: the address becomes the
// client's, verified, and the change is recorded like any profile change.
func (s *Service) ConfirmEmail(ctx context.Context, clientID int64, token, requestID string) (string, error) {
	l := i18n.FromContext(ctx)
	at := s.now()
	var email string
	err := pgdb.Transact(ctx, s.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id, email FROM email_verifications
			WHERE token_hash = $1 AND client_id = $2 AND confirmed_at IS NULL AND superseded_at IS NULL AND expires_at > $3
			FOR UPDATE`, hashToken(token), clientID, at).Scan(&id, &email)
		if errors.Is(err, pgx.ErrNoRows) {
			return errLinkInvalid(l)
		}
		if err != nil {
			return err
		}
		old, err := scanProfile(tx.QueryRow(ctx, profileForUpdateSQL, clientID))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE clients SET email = $2, email_verified = true, updated_at = $3 WHERE id = $1`, clientID, email, at); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE email_verifications SET confirmed_at = $2 WHERE id = $1`, id, at); err != nil {
			return err
		}
		change := ProfileChange{Field: "email", OldValue: old.Email, NewValue: &email, ActorKind: "client", ChangedAt: at}
		if err := insertProfileChanges(ctx, tx, clientID, []ProfileChange{change}, requestID, at); err != nil {
			return err
		}
		return insertPortalAction(ctx, tx, clientID, ActionProfileUpdate, "", at)
	})
	if err != nil {
		if ecrm.ErrorCode(err) != ecrm.EINTERNAL {
			return "", err
		}
		return "", fmt.Errorf("confirm the e-mail of client %d: %w", clientID, err)
	}
	return email, nil
}
