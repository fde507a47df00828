package ecrm

import (
	"context"
	"slices"
	"time"
)

// Staff roles, read from the identity provider's roles claim at every login.
const (
	RoleAdvisor    = "advisor"
	RoleCompliance = "compliance"
	RoleAdmin      = "admin"
)

// PrincipalKind says whether a principal is a client (or prospect) or a
// member of staff.
type PrincipalKind string

const (
	PrincipalClient PrincipalKind = "client"
	PrincipalStaff  PrincipalKind = "staff"
)

// Principal is the authenticated caller. Client-scoped queries filter by
// ClientID in SQL; staff queries by StaffID and Roles.
type Principal struct {
	Kind     PrincipalKind `json:"kind"`
	ClientID int64         `json:"client_id,omitempty"`
	StaffID  int64         `json:"staff_id,omitempty"`
	Roles    []string      `json:"roles,omitempty"`
	Name     string        `json:"name"`
	Email    string        `json:"email,omitempty"`
	// Prospect is true for a client record created at first login that is
	// not (yet) a customer of the firm.
	Prospect bool `json:"prospect,omitempty"`
	// AuthTime is when the person last proved who they are at the
	// identity provider (the tokens' auth_time), zero when not known.
	// Binding actions (accepting an offer) ask for a recent one.
	AuthTime time.Time `json:"auth_time,omitzero"`
}

// AuthenticatedWithin reports whether p proved who they are at most maxAge
// ago, by now.
func (p *Principal) AuthenticatedWithin(maxAge time.Duration, now time.Time) bool {
	return p != nil && !p.AuthTime.IsZero() && now.Sub(p.AuthTime) <= maxAge
}

// IsClient reports whether p is a client or prospect.
func (p *Principal) IsClient() bool { return p != nil && p.Kind == PrincipalClient && p.ClientID > 0 }

// HasRole reports whether p is staff with the role.
func (p *Principal) HasRole(role string) bool {
	return p != nil && p.Kind == PrincipalStaff && slices.Contains(p.Roles, role)
}

type principalKey struct{}

// WithPrincipal returns a context carrying the authenticated principal.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the authenticated principal, or nil for an anonymous
// caller.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
