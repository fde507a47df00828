package identity_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/identity"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

const issuer = "https://id.example.test"

func insertClient(t *testing.T, pool *pgxpool.Pool, given, family, email string) int64 {
	t.Helper()
	var id int64
	err := pool.QueryRow(context.Background(), `
		INSERT INTO clients (given_name, family_name, email, kyc_status, kyc_verified_at)
		VALUES ($1, $2, $3, 'verified', now()) RETURNING id`, given, family, email).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestLoginLinksClientByVerifiedEmail(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	ana := insertClient(t, pool, "Ana", "Popescu", "ana@example.com")
	principals := identity.NewPrincipals(pool)

	p, err := principals.Login(ctx, identity.Claims{Issuer: issuer, Subject: "s-ana", Email: "Ana@Example.com", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != ecrm.PrincipalClient || p.ClientID != ana || p.Name != "Ana Popescu" || p.Prospect {
		t.Fatalf("principal = %+v, want client %d", p, ana)
	}
	// The second login finds the identity, whatever the e-mail says now.
	p, err = principals.Login(ctx, identity.Claims{Issuer: issuer, Subject: "s-ana", Email: "new@example.com", EmailVerified: true})
	if err != nil || p.ClientID != ana {
		t.Fatalf("second login = %+v, %v", p, err)
	}
}

func TestLoginWithUnverifiedEmailCreatesProspect(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	ana := insertClient(t, pool, "Ana", "Popescu", "ana@example.com")
	p, err := identity.NewPrincipals(pool).Login(ctx, identity.Claims{Issuer: issuer, Subject: "attacker", Email: "ana@example.com", EmailVerified: false, Name: "Mallory Evil"})
	if err != nil {
		t.Fatal(err)
	}
	if p.ClientID == ana || !p.Prospect || p.Name != "Mallory Evil" {
		t.Fatalf("unverified e-mail linked to an existing client or no prospect: %+v", p)
	}
}

func TestLoginRefusesAmbiguousEmail(t *testing.T) {
	pool := pgtest.New(t)
	insertClient(t, pool, "Ion", "Popa", "shared@example.com")
	insertClient(t, pool, "Ioana", "Popa", "shared@example.com")
	_, err := identity.NewPrincipals(pool).Login(context.Background(), identity.Claims{Issuer: issuer, Subject: "s", Email: "shared@example.com", EmailVerified: true})
	if ecrm.ErrorCode(err) != ecrm.EFORBIDDEN {
		t.Fatalf("err = %v, want forbidden", err)
	}
	var n int
	pool.QueryRow(context.Background(), `SELECT count(*) FROM identities`).Scan(&n)
	if n != 0 {
		t.Fatalf("a refused login left %d identities", n)
	}
}

func TestStaffRolesAreReadAtEveryLogin(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	principals := identity.NewPrincipals(pool)
	c := identity.Claims{Issuer: issuer, Subject: "s-maria", Email: "maria@bank.example", EmailVerified: true, Name: "Maria Ionescu", Groups: []string{"advisor", "unrelated"}}
	p, err := principals.Login(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != ecrm.PrincipalStaff || !slices.Equal(p.Roles, []string{"advisor"}) {
		t.Fatalf("first login = %+v", p)
	}
	c.Groups = []string{"compliance", "advisor"}
	p, err = principals.Login(ctx, c)
	if err != nil || !slices.Equal(p.Roles, []string{"advisor", "compliance"}) {
		t.Fatalf("second login = %+v, %v", p, err)
	}
	c.Groups = nil
	if _, err = principals.Login(ctx, c); ecrm.ErrorCode(err) != ecrm.EFORBIDDEN {
		t.Fatalf("login without roles = %v, want forbidden", err)
	}
	var roles []string
	pool.QueryRow(ctx, `SELECT roles FROM staff_users WHERE email = 'maria@bank.example'`).Scan(&roles)
	if len(roles) != 0 {
		t.Fatalf("stored roles after removal = %v", roles)
	}
}

func TestLookupResolvesWithoutWriting(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	ana := insertClient(t, pool, "Ana", "Popescu", "ana@example.com")
	principals := identity.NewPrincipals(pool)
	c := identity.Claims{Issuer: issuer, Subject: "s-ana", Email: "ana@example.com", EmailVerified: true}
	if _, err := principals.Login(ctx, c); err != nil {
		t.Fatal(err)
	}
	p, err := principals.Lookup(ctx, identity.Claims{Issuer: issuer, Subject: "s-ana"})
	if err != nil || p.ClientID != ana {
		t.Fatalf("Lookup = %+v, %v", p, err)
	}
	// The same subject from another issuer is another identity.
	p, err = principals.Lookup(ctx, identity.Claims{Issuer: "https://other.example", Subject: "s-ana"})
	if err != nil || p.ClientID == ana {
		t.Fatalf("Lookup for another issuer = %+v, %v; must not map to client %d", p, err, ana)
	}
}
