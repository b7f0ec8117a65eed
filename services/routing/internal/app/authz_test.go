package app_test

import (
	"testing"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/services/routing/internal/app"
)

// TestAuthorizeMatrix checks every role against every action, on a case of the ward committee
// assigned to the inspectorate, from four places: the ward committee itself, the assigned agency,
// a superior, and an unrelated unit.
func TestAuthorizeMatrix(t *testing.T) {
	const ward, agency, other = "W.UBND", "C.TTR", "X.UBND"
	type where int
	const (
		own where = iota
		assigned
		superior
		unrelated
	)
	scope := func(w where) (string, *app.Scope) {
		s := &app.Scope{Unit: ward, Assignee: agency}
		switch w {
		case own:
			return ward, s
		case assigned:
			return agency, s
		case superior:
			s.Superior = true
			return "C.UBND", s
		}
		return other, s
	}
	actions := []app.Action{app.ActProcess, app.ActAssign, app.ActStep, app.ActRead}
	// allowed[role][action] lists the places from which the role may act.
	allowed := map[auth.Role]map[app.Action][]where{
		auth.RoleProcessingOfficer: {app.ActProcess: {own, assigned, superior}, app.ActAssign: {own, assigned, superior}, app.ActStep: {own, assigned, superior}, app.ActRead: {own, assigned, superior, unrelated}},
		auth.RoleHandler:           {app.ActAssign: {own, assigned, superior}, app.ActStep: {own, assigned, superior}, app.ActRead: {own, assigned, superior, unrelated}},
		auth.RoleAgency:            {app.ActStep: {own, assigned}, app.ActRead: {own, assigned, superior, unrelated}},
		auth.RoleAdmin:             {app.ActProcess: {own, assigned, superior, unrelated}, app.ActAssign: {own, assigned, superior, unrelated}, app.ActStep: {own, assigned, superior, unrelated}, app.ActRead: {own, assigned, superior, unrelated}},
		auth.RoleAuditor:           {app.ActRead: {own, assigned, superior, unrelated}},
		auth.RoleInspector:         {app.ActRead: {own, assigned, superior, unrelated}},
		auth.RoleReceptionOfficer:  {app.ActRead: {own, assigned, superior, unrelated}},
		auth.RoleCouncilStanding:   {app.ActRead: {own, assigned, superior, unrelated}},
		auth.RoleCouncilDeputy:     {app.ActRead: {own, assigned, superior, unrelated}},
	}
	for _, role := range auth.Roles() {
		for _, act := range actions {
			for _, w := range []where{own, assigned, superior, unrelated} {
				unit, s := scope(w)
				err := app.Authorize(auth.Actor{Subject: "u", Role: role, Unit: unit}, act, s)
				want := false
				for _, ok := range allowed[role][act] {
					want = want || ok == w
				}
				if (err == nil) != want {
					t.Errorf("%s %s from place %d: err %v, want allowed=%v", role, act, w, err, want)
				}
				if err != nil && !apperr.IsKind(err, apperr.KindPermissionDenied) {
					t.Errorf("%s %s: %v is not PermissionDenied", role, act, err)
				}
			}
		}
	}
	if err := app.Authorize(auth.Actor{}, app.ActRead, nil); !apperr.IsKind(err, apperr.KindUnauthenticated) {
		t.Errorf("no identity: %v", err)
	}
}
