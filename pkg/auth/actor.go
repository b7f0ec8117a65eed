// Package auth establishes who is behind every call: it verifies OIDC/JWT bearer tokens against a
// JWKS, carries the resulting Actor in the context, converts it to the event envelope's Actor, and
// includes a development issuer that mints tokens for demo users.
//
// Authorisation (which role may do what in which unit) is not decided here: services decide it
// from the Actor.
package auth

import (
	"context"
	"slices"

	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
)

// Role is what a user does in the petition process; tokens carry it in the "role" claim.
type Role string

// The roles of DOMAIN.md's users.
const (
	// RoleReceptionOfficer receives citizens and registers their petitions (tiếp công dân).
	RoleReceptionOfficer Role = "reception_officer"
	// RoleProcessingOfficer classifies received petitions and chooses the action (xử lý đơn).
	RoleProcessingOfficer Role = "processing_officer"
	// RoleHandler resolves an accepted case for the competent body: verification, dialogue, the
	// draft decision or conclusion (người giải quyết / cán bộ thụ lý).
	RoleHandler Role = "handler"
	// RoleAgency is an agency that receives routed cases and reports its steps back.
	RoleAgency Role = "agency"
	// RoleCouncilStanding is a People's Council standing committee member (Thường trực HĐND).
	RoleCouncilStanding Role = "council_standing"
	// RoleCouncilDeputy is a People's Council deputy (đại biểu HĐND).
	RoleCouncilDeputy Role = "council_deputy"
	// RoleInspector is a government inspectorate officer who supervises and urges (thanh tra).
	RoleInspector Role = "inspector"
	// RoleAuditor verifies the log and reads everything, and may change nothing.
	RoleAuditor Role = "auditor"
	// RoleAdmin manages the deployment: units, calendars, form definitions.
	RoleAdmin Role = "admin"
)

var allRoles = []Role{
	RoleReceptionOfficer, RoleProcessingOfficer, RoleHandler, RoleAgency, RoleCouncilStanding,
	RoleCouncilDeputy, RoleInspector, RoleAuditor, RoleAdmin,
}

// Roles lists every known role.
func Roles() []Role { return slices.Clone(allRoles) }

// Valid tells whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(allRoles, r) }

// ReadOnly tells whether the role may only read: an auditor must never change what it audits.
func (r Role) ReadOnly() bool { return r == RoleAuditor }

// Actor is the authenticated caller: a pseudonymous subject id (never a name), its role, and the
// code of the unit it acts for.
type Actor struct {
	// Subject is the token's "sub" claim.
	Subject string
	// Role is the token's "role" claim.
	Role Role
	// Unit is the code of the unit, the token's "unit" claim, e.g. "PRTC".
	Unit string
}

// Proto converts the actor to the event envelope's Actor, recorded with every event it causes.
func (a Actor) Proto() *eventv1.Actor {
	return &eventv1.Actor{Subject: a.Subject, Role: string(a.Role), Unit: a.Unit}
}

// ActorFromProto converts an event envelope's Actor back; nil gives the zero Actor.
func ActorFromProto(p *eventv1.Actor) Actor {
	return Actor{Subject: p.GetSubject(), Role: Role(p.GetRole()), Unit: p.GetUnit()}
}

type actorKey struct{}

// WithActor returns a context that carries a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor of the call; ok is false on an unauthenticated (exempt) call.
func ActorFrom(ctx context.Context) (a Actor, ok bool) {
	a, ok = ctx.Value(actorKey{}).(Actor)
	return a, ok
}
