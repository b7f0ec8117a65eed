package app

import (
	"context"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/unitreg"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

// ChangeUnitCompetence replaces a unit's competence rules from a date, as the law moves competence.
type ChangeUnitCompetence struct {
	Meta command.Meta
	// Code of the unit.
	Code string
	// Competence is the complete new rule set.
	Competence []unitreg.Rule
	// EffectiveFrom is the first day the rules apply.
	EffectiveFrom calendar.Date
}

// ChangeUnitCompetenceHandler records a UnitCompetenceChanged on the unit's aggregate.
type ChangeUnitCompetenceHandler struct {
	units *UnitRegistry
}

// Handle replaces the rules; the same command id again changes nothing.
func (h ChangeUnitCompetenceHandler) Handle(ctx context.Context, cmd ChangeUnitCompetence) error {
	return h.units.execute(ctx, cmd.Meta, cmd.Code, &unitv1.UnitCompetenceChanged{
		Code:          cmd.Code,
		Competence:    unitreg.RulesProto(cmd.Competence),
		EffectiveFrom: unitreg.DateProto(cmd.EffectiveFrom),
	})
}
