package pgdb

import (
	"context"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5/pgxpool"
)

// AppRole is the role ecrm serves as: it owns nothing, may not change the
// offer log and holds the grants of migration 00016_application_role.
const AppRole = "ecrm_app"

// AppURL returns databaseURL with AppRole as its user and no password: how
// `make run` and the tests connect the server, on a PostgreSQL that trusts
// local connections. It lets AppRole log in first, which the owner can do
// only as a superuser or with CREATEROLE; otherwise it returns an error that
// says so, and the caller decides whether to go on as the owner.
func AppURL(ctx context.Context, owner *pgxpool.Pool, databaseURL string) (string, error) {
	var canLogin, mayAlter bool
	err := owner.QueryRow(ctx, `
		SELECT a.rolcanlogin, me.rolsuper OR me.rolcreaterole
		FROM pg_roles a, pg_roles me
		WHERE a.rolname = $1 AND me.rolname = current_user`, AppRole).Scan(&canLogin, &mayAlter)
	if err != nil {
		return "", fmt.Errorf("read role %s (is the database migrated?): %w", AppRole, err)
	}
	if !canLogin {
		if !mayAlter {
			return "", fmt.Errorf("role %s may not log in and the migrating role may not change that: ALTER ROLE %s LOGIN", AppRole, AppRole)
		}
		if _, err := owner.Exec(ctx, "ALTER ROLE "+AppRole+" LOGIN"); err != nil {
			return "", fmt.Errorf("let role %s log in: %w", AppRole, err)
		}
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL: %w", err)
	}
	u.User = url.User(AppRole)
	return u.String(), nil
}

// RoleWarnings returns what is wrong with the role a pool connects as, for
// a server that should run with least privilege: a superuser can switch
// the offer log's triggers off and a member of the log tables' owner can
// disable them (verify still finds what they change, but the log should
// not be alterable in the first place). Empty when the role is fine.
func RoleWarnings(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	var role string
	var super, owns bool
	err := pool.QueryRow(ctx, `
		SELECT current_user, r.rolsuper,
		       coalesce((SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c
		                 WHERE c.oid = to_regclass('decision_records')), false)
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&role, &super, &owns)
	if err != nil {
		return nil, fmt.Errorf("read the server's role: %w", err)
	}
	var warnings []string
	if super {
		warnings = append(warnings, fmt.Sprintf("the server connects as %s, a superuser, which can switch off the offer log's triggers: connect as %s (docs/production.md)", role, AppRole))
	} else if owns {
		warnings = append(warnings, fmt.Sprintf("the server connects as %s, which owns the offer log's tables and can disable their triggers: connect as %s (docs/production.md)", role, AppRole))
	}
	return warnings, nil
}
