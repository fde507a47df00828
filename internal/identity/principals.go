// Package identity authenticates people and keeps their sessions: OpenID
// Connect login (Authorization Code with PKCE, state and nonce) against any
// standard provider, bearer access tokens for the JSON API, server-side
// sessions in PostgreSQL, and the mapping from an identity (issuer +
// subject) to a client or a member of staff. Authorization middlewares deny
// by default.
package identity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// Claims are the facts about a person that ecrm takes from the provider.
type Claims struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	GivenName     string
	FamilyName    string
	// Groups holds the values of the roles claim (ECRM_OIDC_ROLES_CLAIM).
	Groups []string
}

// staffRoles keeps the roles ecrm knows, in a stable order.
func staffRoles(groups []string) []string {
	var roles []string
	for _, r := range []string{ecrm.RoleAdvisor, ecrm.RoleCompliance, ecrm.RoleAdmin} {
		if slices.Contains(groups, r) {
			roles = append(roles, r)
		}
	}
	return roles
}

// Principals maps identities to clients and staff.
type Principals struct {
	pool *pgxpool.Pool
}

// NewPrincipals returns the principal store on pool.
func NewPrincipals(pool *pgxpool.Pool) *Principals { return &Principals{pool: pool} }

// errAmbiguousEmail refuses to guess which of several clients a login is.
var errAmbiguousEmail = ecrm.Errorf(ecrm.EFORBIDDEN, "Several client records share this e-mail address; please contact the bank so an advisor can link your login.")

// Login resolves the identity at login, in one transaction:
//   - a known identity maps to its client or staff user; a staff user's roles
//     are replaced by the roles in the claims (re-read at every login);
//   - a new identity with a staff role links to the staff user with the same
//     verified e-mail, or creates one;
//   - a new identity without a staff role links to the one client with the
//     same verified e-mail, or else becomes a new prospect (e.g. an
//     insurance applicant).
func (p *Principals) Login(ctx context.Context, c Claims) (*ecrm.Principal, error) {
	var out *ecrm.Principal
	var refused error
	err := pgdb.Transact(ctx, p.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		var err error
		out, refused, err = login(ctx, tx, c)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, refused
}

// login returns the principal, or a refusal whose bookkeeping (such as
// clearing revoked roles) is still committed, or an error that rolls back.
func login(ctx context.Context, tx pgx.Tx, c Claims) (*ecrm.Principal, error, error) {
	if c.Issuer == "" || c.Subject == "" {
		return nil, nil, ecrm.Errorf(ecrm.EUNAUTHORIZED, "The identity provider sent no subject.")
	}
	roles := staffRoles(c.Groups)
	var clientID, staffID *int64
	err := tx.QueryRow(ctx, `SELECT client_id, staff_id FROM identities WHERE issuer = $1 AND subject = $2 FOR UPDATE`,
		c.Issuer, c.Subject).Scan(&clientID, &staffID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if len(roles) > 0 {
			id, err := linkStaff(ctx, tx, c, roles)
			if err != nil {
				return nil, nil, err
			}
			staffID = &id
		} else {
			id, err := linkClient(ctx, tx, c)
			if err != nil {
				return nil, nil, err
			}
			clientID = &id
		}
	case err != nil:
		return nil, nil, fmt.Errorf("look up identity: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE identities SET last_login_at = now(), email = $3 WHERE issuer = $1 AND subject = $2`,
		c.Issuer, c.Subject, nullIfEmpty(c.Email)); err != nil {
		return nil, nil, err
	}
	if staffID != nil {
		if len(roles) == 0 {
			// The provider no longer grants any staff role: no access, and
			// the stored roles are cleared so nothing else trusts them.
			if _, err := tx.Exec(ctx, `UPDATE staff_users SET roles = '{}', updated_at = now() WHERE id = $1`, *staffID); err != nil {
				return nil, nil, err
			}
			return nil, ecrm.Errorf(ecrm.EFORBIDDEN, "Your account has no ecrm role (advisor, compliance or admin)."), nil
		}
		if _, err := tx.Exec(ctx, `UPDATE staff_users SET roles = $2, updated_at = now() WHERE id = $1 AND roles IS DISTINCT FROM $2`, *staffID, roles); err != nil {
			return nil, nil, err
		}
		return refusalOrError(staffPrincipal(ctx, tx, *staffID))
	}
	return refusalOrError(clientPrincipal(ctx, tx, *clientID))
}

// refusalOrError sorts an application refusal (forbidden) from a failure.
func refusalOrError(p *ecrm.Principal, err error) (*ecrm.Principal, error, error) {
	if err != nil && ecrm.ErrorCode(err) == ecrm.EFORBIDDEN {
		return nil, err, nil
	}
	return p, nil, err
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func linkStaff(ctx context.Context, tx pgx.Tx, c Claims, roles []string) (int64, error) {
	var id int64
	if c.Email == "" || !c.EmailVerified {
		return 0, ecrm.Errorf(ecrm.EFORBIDDEN, "Staff logins need a verified e-mail address at the identity provider.")
	}
	err := tx.QueryRow(ctx, `SELECT id FROM staff_users WHERE lower(email) = lower($1) AND active`, c.Email).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		name := displayName(c)
		err = tx.QueryRow(ctx, `INSERT INTO staff_users (email, display_name, roles) VALUES (lower($1), $2, $3) RETURNING id`,
			c.Email, name, roles).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("link staff user: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO identities (issuer, subject, staff_id, email) VALUES ($1, $2, $3, $4)`, c.Issuer, c.Subject, id, c.Email)
	return id, err
}

func linkClient(ctx context.Context, tx pgx.Tx, c Claims) (int64, error) {
	var ids []int64
	if c.Email != "" && c.EmailVerified {
		rows, err := tx.Query(ctx, `
			SELECT c.id FROM clients c
			WHERE lower(c.email) = lower($1)
			  AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.client_id = c.id AND i.issuer = $2)
			LIMIT 2`, c.Email, c.Issuer)
		if err != nil {
			return 0, err
		}
		if ids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return 0, err
		}
	}
	var id int64
	switch len(ids) {
	case 1:
		id = ids[0]
		if _, err := tx.Exec(ctx, `UPDATE clients SET email_verified = true, updated_at = now() WHERE id = $1`, id); err != nil {
			return 0, err
		}
	case 0:
		given, family := c.GivenName, c.FamilyName
		if given == "" || family == "" {
			given, family = splitName(displayName(c))
		}
		var email *string
		if c.Email != "" {
			email = &c.Email
		}
		err := tx.QueryRow(ctx, `
			INSERT INTO clients (kind, given_name, family_name, email, email_verified, segment, kyc_status)
			VALUES ('prospect', $1, $2, lower($3), $4, 'prospect', 'pending') RETURNING id`,
			given, family, email, c.EmailVerified && c.Email != "").Scan(&id)
		if err != nil {
			return 0, fmt.Errorf("create prospect: %w", err)
		}
	default:
		return 0, errAmbiguousEmail
	}
	_, err := tx.Exec(ctx, `INSERT INTO identities (issuer, subject, client_id, email) VALUES ($1, $2, $3, $4)`, c.Issuer, c.Subject, id, nullIfEmpty(c.Email))
	return id, err
}

func displayName(c Claims) string {
	switch {
	case c.Name != "":
		return c.Name
	case c.GivenName != "" || c.FamilyName != "":
		return strings.TrimSpace(c.GivenName + " " + c.FamilyName)
	case c.Email != "":
		return strings.SplitN(c.Email, "@", 2)[0]
	}
	return "New client"
}

func splitName(name string) (given, family string) {
	name = strings.TrimSpace(name)
	if i := strings.LastIndex(name, " "); i > 0 {
		return name[:i], name[i+1:]
	}
	return name, "-"
}

func staffPrincipal(ctx context.Context, q pgx.Tx, id int64) (*ecrm.Principal, error) {
	p := &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: id}
	var active bool
	err := q.QueryRow(ctx, `SELECT display_name, email, roles, active FROM staff_users WHERE id = $1`, id).Scan(&p.Name, &p.Email, &p.Roles, &active)
	if err != nil {
		return nil, fmt.Errorf("load staff user %d: %w", id, err)
	}
	if !active {
		return nil, ecrm.Errorf(ecrm.EFORBIDDEN, "Your staff account is disabled.")
	}
	return p, nil
}

func clientPrincipal(ctx context.Context, q pgx.Tx, id int64) (*ecrm.Principal, error) {
	p := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: id}
	var given, family, kind string
	var email *string
	err := q.QueryRow(ctx, `SELECT given_name, family_name, email, kind FROM clients WHERE id = $1`, id).Scan(&given, &family, &email, &kind)
	if err != nil {
		return nil, fmt.Errorf("load client %d: %w", id, err)
	}
	p.Name = given + " " + family
	if email != nil {
		p.Email = *email
	}
	p.Prospect = kind == "prospect"
	return p, nil
}

// Lookup resolves a bearer token's identity with one read. An identity
// seen for the first time is provisioned exactly as at a login. Staff roles
// come from the token's claims, as at login.
func (p *Principals) Lookup(ctx context.Context, c Claims) (*ecrm.Principal, error) {
	var (
		clientID, staffID      *int64
		given, family, kind    *string
		clientEmail, staffName *string
		staffEmail             *string
		staffActive            *bool
	)
	err := p.pool.QueryRow(ctx, `
		SELECT i.client_id, i.staff_id, c.given_name, c.family_name, c.email, c.kind, s.display_name, s.email, s.active
		FROM identities i
		LEFT JOIN clients c ON c.id = i.client_id
		LEFT JOIN staff_users s ON s.id = i.staff_id
		WHERE i.issuer = $1 AND i.subject = $2`, c.Issuer, c.Subject).
		Scan(&clientID, &staffID, &given, &family, &clientEmail, &kind, &staffName, &staffEmail, &staffActive)
	if errors.Is(err, pgx.ErrNoRows) {
		return p.Login(ctx, c)
	}
	if err != nil {
		return nil, fmt.Errorf("look up identity: %w", err)
	}
	if staffID != nil {
		roles := staffRoles(c.Groups)
		if !*staffActive {
			return nil, ecrm.Errorf(ecrm.EFORBIDDEN, "Your staff account is disabled.")
		}
		if len(roles) == 0 {
			return nil, ecrm.Errorf(ecrm.EFORBIDDEN, "The token grants no ecrm role.")
		}
		return &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: *staffID, Roles: roles, Name: *staffName, Email: *staffEmail}, nil
	}
	pr := &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: *clientID, Name: *given + " " + *family, Prospect: *kind == "prospect"}
	if clientEmail != nil {
		pr.Email = *clientEmail
	}
	return pr, nil
}
