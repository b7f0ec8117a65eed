package app

import (
	"context"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/unitreg"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

// MergeUnit ends a unit: from a date its successor holds its cases and its reporting history rolls
// up to the successor.
type MergeUnit struct {
	Meta command.Meta
	// Code of the unit that ends.
	Code string
	// SuccessorCode is the unit that takes over.
	SuccessorCode string
	// EffectiveFrom is the first day under the successor; the unit's last day is the day before.
	EffectiveFrom calendar.Date
	// Basis is the decision that ordered the merger.
	Basis string
}

// MergeUnitHandler records a UnitMerged on the ending unit's aggregate. The successor's aggregate is
// not touched: the registry, caught up with the log, vouches that the successor exists and is in
// force on that date.
type MergeUnitHandler struct {
	units *UnitRegistry
}

// Handle ends the unit; the same command id again changes nothing.
func (h MergeUnitHandler) Handle(ctx context.Context, cmd MergeUnit) error {
	return h.units.execute(ctx, cmd.Meta, cmd.Code, &unitv1.UnitMerged{
		Code:          cmd.Code,
		SuccessorCode: cmd.SuccessorCode,
		EffectiveFrom: unitreg.DateProto(cmd.EffectiveFrom),
		Basis:         cmd.Basis,
	})
}
