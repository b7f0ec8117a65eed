package app

import (
	"context"
	"slices"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/services/supervision/internal/domain"
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
// when the action concerns units the caller must act for one of them — be it, be above it in the
// registry today, or be an organ of a level (a city's inspectorate, its council's standing
// committee) that the unit belongs to or lies below, since supervision is exercised by a level's
// organs over everything under the level. Admins are not bound to a unit.
func (r *repo) authorize(ctx context.Context, act Action, units ...string) error {
	a, _ := auth.ActorFrom(ctx)
	if a.Role == "" {
		return apperr.Unauthenticated("", "the call carries no identity")
	}
	if !slices.Contains(roles[act], a.Role) {
		return apperr.PermissionDenied("ROLE_NOT_ALLOWED", "role %s may not %s", a.Role, act)
	}
	units = slices.DeleteFunc(slices.Clone(units), func(u string) bool { return u == "" })
	if len(units) == 0 || a.Role == auth.RoleAdmin {
		return nil // nothing to scope by (a follow-up not yet taken by a council) or not bound to a unit
	}
	if err := r.Units.CatchUp(ctx); err != nil {
		return err
	}
	today := r.today()
	level := domain.Level(r.Units, a.Unit, today)
	for _, u := range units {
		above := r.Units.Ancestors(u, today)
		if u == a.Unit || slices.Contains(above, a.Unit) || (level != "" && (u == level || slices.Contains(above, level))) {
			return nil
		}
	}
	return apperr.PermissionDenied("UNIT_OUT_OF_SCOPE", "unit %s may not %s for %v", a.Unit, act, units)
}
