package app

import (
	"slices"
	"strings"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/auth"
)

// petitionAction is something a caller asks of intake's petition and reception API.
type petitionAction string

const (
	actRegisterPetition petitionAction = "register a petition"
	actReadPetition     petitionAction = "read a petition"
	actReceiveCitizens  petitionAction = "hold a reception session"
)

// petitionRoles says which roles may do what. Reception officers receive citizens and register
// petitions; processing officers also register what arrives by post (văn thư); People's Council
// deputies hold their own receptions and hand in what they receive (Luật TCD Đ22). Reading the
// registration (which holds no personal data) is open to every role that follows a case.
var petitionRoles = map[petitionAction][]auth.Role{
	actRegisterPetition: {auth.RoleReceptionOfficer, auth.RoleProcessingOfficer, auth.RoleCouncilDeputy},
	actReceiveCitizens:  {auth.RoleReceptionOfficer, auth.RoleCouncilDeputy},
	actReadPetition: {auth.RoleReceptionOfficer, auth.RoleProcessingOfficer, auth.RoleHandler, auth.RoleCouncilStanding,
		auth.RoleCouncilDeputy, auth.RoleInspector, auth.RoleAuditor, auth.RoleAdmin},
}

// tenantWideRoles act for every unit of the deployment: supervision and audit look across units.
var tenantWideRoles = []auth.Role{auth.RoleInspector, auth.RoleAuditor, auth.RoleAdmin}

// authorizePetition is the one place intake decides who may do what where: the role must allow
// the action, and the unit acted on must be the caller's unit or under it. Unit codes are
// hierarchical ("NT.PRTC.KD" under "NT.PRTC"), so "under" is a code prefix here; a unit moved by
// the registry keeps its code, so its ancestry there can differ — the registry's ancestors should
// decide once the registry offers the lookup cheaply.
func authorizePetition(a auth.Actor, act petitionAction, unitCode string) error {
	if a.Subject == "" {
		return apperr.Unauthenticated("ACTOR_MISSING", "%s needs an authenticated caller", act)
	}
	if !slices.Contains(petitionRoles[act], a.Role) {
		return apperr.PermissionDenied("ROLE_NOT_ALLOWED", "role %s may not %s", a.Role, act)
	}
	if unitCode == "" || inUnitScope(a, unitCode) {
		return nil
	}
	return apperr.PermissionDenied("UNIT_OUT_OF_SCOPE", "a user of unit %s may not %s for unit %s", a.Unit, act, unitCode)
}

func inUnitScope(a auth.Actor, unitCode string) bool {
	if slices.Contains(tenantWideRoles, a.Role) {
		return true
	}
	return a.Unit != "" && (unitCode == a.Unit || strings.HasPrefix(unitCode, a.Unit+"."))
}
