// Package eventlog reads facts intake needs straight from the log of record.
package eventlog

import (
	"context"
	"errors"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/unitreg"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/intake/internal/app"
)

// RegistryLookup tells whether a unit exists on a date by loading that one unit's aggregate (one
// batched direct get: strongly consistent, no lock, no consumer). It reads the unit registry's
// events (app.UnitAggregate) and needs nothing else of the registry: the registration date and the
// merger date decide existence.
type RegistryLookup struct {
	Store *eventstore.Store
}

// InForce tells whether the unit was registered by the day and not merged away before it. A code
// that cannot name an aggregate names no unit.
func (l RegistryLookup) InForce(ctx context.Context, code string, on calendar.Date) (bool, error) {
	h, err := l.Store.Load(ctx, app.UnitAggregate(code))
	if errors.Is(err, eventstore.ErrInvalid) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var from, end calendar.Date
	for _, ev := range h.Events {
		m, err := ev.Envelope.GetPayload().UnmarshalNew()
		if err != nil {
			return false, err
		}
		switch e := m.(type) {
		case *unitv1.UnitRegistered:
			if e.GetCode() == code {
				from = unitreg.DateFromProto(e.GetEffectiveFrom())
			}
		case *unitv1.UnitMerged:
			if e.GetCode() == code {
				end = unitreg.DateFromProto(e.GetEffectiveFrom()) // first day under the successor
			}
		}
	}
	return !from.IsZero() && !on.Before(from) && (end.IsZero() || on.Before(end)), nil
}
