package app

import (
	"context"
	"slices"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/auth"
)

// Action is what a caller wants to do.
type Action string

// The actions of the supervision API.
const (
	ActUrge                 Action = "urge"
	ActAnswerUrging         Action = "answer urgings"
	ActProgramme            Action = "run supervision programmes"
	ActAnswerRecommendation Action = "answer recommendations"
	ActFollowUp             Action = "follow up forwarded petitions"
	ActHotSpot              Action = "keep the hot-spot register"
	ActRead                 Action = "read supervision"
)

// roles says which roles may do what: inspectors, People's Council standing committees and deputies
// and the processing offices urge (Luật TCD Đ22; the plan's "theo dõi, đôn đốc"); councils run
// programmes; the units addressed answer; everyone, auditors included, reads.
var roles = map[Action][]auth.Role{
	ActUrge:                 {auth.RoleInspector, auth.RoleCouncilStanding, auth.RoleCouncilDeputy, auth.RoleProcessingOfficer, auth.RoleAdmin},
	ActAnswerUrging:         {auth.RoleProcessingOfficer, auth.RoleHandler, auth.RoleAgency, auth.RoleInspector, auth.RoleAdmin},
	ActProgramme:            {auth.RoleCouncilStanding, auth.RoleCouncilDeputy, auth.RoleAdmin},
	ActAnswerRecommendation: {auth.RoleProcessingOfficer, auth.RoleHandler, auth.RoleAgency, auth.RoleCouncilStanding, auth.RoleAdmin},
	ActFollowUp:             {auth.RoleCouncilDeputy, auth.RoleCouncilStanding, auth.RoleAdmin},
	ActHotSpot:              {auth.RoleInspector, auth.RoleCouncilStanding, auth.RoleProcessingOfficer, auth.RoleAdmin},
	ActRead:                 auth.Roles(),
}

// authorize decides an action by role × unit, in one place: the role must allow the action, and
// when the action concerns units the caller must act for one of them or for a unit above one of
// them in the registry today. Admins are not bound to a unit.
func (r *repo) authorize(ctx context.Context, act Action, units ...string) error {
	a, _ := auth.ActorFrom(ctx)
	if a.Role == "" {
		return apperr.Unauthenticated("", "the call carries no identity")
	}
	if !slices.Contains(roles[act], a.Role) {
		return apperr.PermissionDenied("ROLE_NOT_ALLOWED", "role %s may not %s", a.Role, act)
	}
	if len(units) == 0 || a.Role == auth.RoleAdmin {
		return nil
	}
	if err := r.Units.CatchUp(ctx); err != nil {
		return err
	}
	today := r.today()
	for _, u := range units {
		if u == "" {
			continue
		}
		if u == a.Unit || slices.Contains(r.Units.Ancestors(u, today), a.Unit) {
			return nil
		}
	}
	return apperr.PermissionDenied("UNIT_OUT_OF_SCOPE", "unit %s may not %s for %v", a.Unit, act, units)
}
