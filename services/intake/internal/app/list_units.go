package app

import (
	"context"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/unitreg"
)

// ListUnits asks for the registry as it stood on a date.
type ListUnits struct {
	// AsOf is the date; zero means today by the registry's clock.
	AsOf calendar.Date
	// CodePrefix keeps only the units whose code starts with it.
	CodePrefix string
	// IncludeEnded keeps the units that had ended by that date, with their successors.
	IncludeEnded bool
}

// ListUnitsHandler answers ListUnits from the registry caught up with the log.
type ListUnitsHandler struct {
	units *UnitRegistry
}

// Handle lists the units by code.
func (h ListUnitsHandler) Handle(ctx context.Context, q ListUnits) ([]unitreg.Unit, error) {
	on := q.AsOf
	if on.IsZero() {
		on = h.units.Today()
	}
	if !on.IsValid() {
		return nil, apperr.Invalid("as_of", "%s is not a calendar date", on)
	}
	var out []unitreg.Unit
	err := h.units.Read(ctx, func(r *unitreg.Registry) error {
		out = r.List(on, q.CodePrefix, q.IncludeEnded)
		return nil
	})
	return out, err
}
