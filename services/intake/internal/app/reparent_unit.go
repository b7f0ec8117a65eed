package app

import (
	"context"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/unitreg"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

// ReparentUnit moves a unit under another parent from a date.
type ReparentUnit struct {
	Meta command.Meta
	// Code of the unit that moves.
	Code string
	// ParentCode is its new parent.
	ParentCode string
	// EffectiveFrom is the first day under the new parent.
	EffectiveFrom calendar.Date
}

// ReparentUnitHandler records a UnitReparented on the moving unit's aggregate.
type ReparentUnitHandler struct {
	units *UnitRegistry
}

// Handle moves the unit; the same command id again changes nothing.
func (h ReparentUnitHandler) Handle(ctx context.Context, cmd ReparentUnit) error {
	return h.units.execute(ctx, cmd.Meta, cmd.Code, &unitv1.UnitReparented{
		Code:          cmd.Code,
		ParentCode:    cmd.ParentCode,
		EffectiveFrom: unitreg.DateProto(cmd.EffectiveFrom),
	})
}
