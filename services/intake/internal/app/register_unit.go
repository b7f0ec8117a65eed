package app

import (
	"context"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/unitreg"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

// RegisterUnit adds a unit or agency to the registry from a date.
type RegisterUnit struct {
	Meta command.Meta
	// Code is stable for ever; a successor gets a new one.
	Code string
	// Name is the official Vietnamese name.
	Name string
	// Kind of unit.
	Kind unitv1.UnitKind
	// ParentCode is the unit above; empty for the top.
	ParentCode string
	// EffectiveFrom is the first day the unit exists.
	EffectiveFrom calendar.Date
	// RemoteArea is vùng sâu, vùng xa (Luật KN Đ28, Đ37).
	RemoteArea bool
	// Competence is what the unit resolves.
	Competence []unitreg.Rule
}

// RegisterUnitHandler records a UnitRegistered on the new unit's aggregate.
type RegisterUnitHandler struct {
	units *UnitRegistry
}

// Handle registers the unit; the same command id again changes nothing.
func (h RegisterUnitHandler) Handle(ctx context.Context, cmd RegisterUnit) error {
	return h.units.execute(ctx, cmd.Meta, cmd.Code, &unitv1.UnitRegistered{
		Code:          cmd.Code,
		Name:          cmd.Name,
		Kind:          cmd.Kind,
		ParentCode:    cmd.ParentCode,
		EffectiveFrom: unitreg.DateProto(cmd.EffectiveFrom),
		RemoteArea:    cmd.RemoteArea,
		Competence:    unitreg.RulesProto(cmd.Competence),
	})
}
