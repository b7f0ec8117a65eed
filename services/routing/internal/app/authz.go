package app

import (
	"context"
	"slices"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/routing/internal/domain"
)

// Action is what a caller wants to do with cases.
type Action string

// The actions of the routing API.
const (
	ActProcess Action = "process"
	ActAssign  Action = "assign"
	ActStep    Action = "step"
	ActRead    Action = "read"
	ActWatch   Action = "watch"
)

// roles says which roles may do what: processing officers process petitions (xử lý đơn), handlers
// and agencies carry the resolution, auditors and the others only read (DESIGN.md, Security).
var roles = map[Action][]auth.Role{
	ActProcess: {auth.RoleProcessingOfficer, auth.RoleAdmin},
	ActAssign:  {auth.RoleProcessingOfficer, auth.RoleHandler, auth.RoleAdmin},
	ActStep:    {auth.RoleProcessingOfficer, auth.RoleHandler, auth.RoleAgency, auth.RoleAdmin},
	ActRead:    auth.Roles(),
	ActWatch:   {auth.RoleAgency, auth.RoleProcessingOfficer, auth.RoleHandler, auth.RoleInspector, auth.RoleAuditor, auth.RoleAdmin},
}

// Scope is where a case stands in the unit hierarchy, for the unit half of an authorisation.
type Scope struct {
	// Unit handles the case now; Assignee was given it.
	Unit, Assignee string
	// Superior tells whether the caller's unit is above Unit: a unit it hangs under, or the People's
	// Committee or inspectorate of a level above. ActsFor tells whether the caller's unit acts for
	// Unit (a ward's reception board for its People's Committee).
	Superior bool
	ActsFor  bool
}

// Authorize decides an action by role × unit scope, in one place: the role must allow the action;
// on a case, the caller must act for the unit handling it, be its assignee (an agency) or be
// above it; an agency only for cases assigned or routed to it. Admins are not bound to a unit.
func Authorize(a auth.Actor, act Action, scope *Scope) error {
	if a.Role == "" {
		return apperr.Unauthenticated("", "the call carries no identity")
	}
	if !slices.Contains(roles[act], a.Role) {
		return apperr.PermissionDenied("ROLE_NOT_ALLOWED", "role %s may not %s cases", a.Role, act)
	}
	if scope == nil || a.Role == auth.RoleAdmin || act == ActRead {
		return nil
	}
	switch {
	case a.Unit == scope.Unit, a.Unit == scope.Assignee && scope.Assignee != "":
		return nil
	case a.Role == auth.RoleAgency:
	case scope.ActsFor, scope.Superior:
		return nil
	}
	return apperr.PermissionDenied("UNIT_OUT_OF_SCOPE", "unit %s may not %s a case handled by %s", a.Unit, act, scope.Unit)
}

// authorizeCase authorises the caller of ctx for an action on a case.
func (r *repo) authorizeCase(ctx context.Context, act Action, c *domain.Case, on calendar.Date) error {
	a, _ := auth.ActorFrom(ctx)
	s := &Scope{Unit: c.Unit, Assignee: c.Assignee}
	above := r.Units.Ancestors(c.Unit, on)
	if mine, ok := r.Units.Unit(a.Unit, on); ok {
		if theirs, ok := r.Units.Unit(c.Unit, on); ok {
			s.ActsFor = domain.ActsFor(mine, theirs)
		}
		overseer := mine.Kind == unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE || mine.Kind == unitv1.UnitKind_UNIT_KIND_INSPECTORATE
		s.Superior = slices.Contains(above, mine.Code) || (overseer && slices.Contains(above, mine.ParentCode))
	}
	return Authorize(a, act, s)
}
