// Package eventlog holds the supervision service's adapters onto the JetStream log beyond the event
// store's own API: the unit registry kept current from the log's unit events.
package eventlog

import (
	"context"
	"fmt"
	"sync"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/unitreg"
	"github.com/civicase/civicase/services/supervision/internal/app"
	"github.com/civicase/civicase/services/supervision/internal/domain"
)

// Units is supervision's copy of the unit registry (pkg/unitreg), built from the unit events of the
// log and caught up before the commands and queries that need it, so they see every unit change
// appended before them, whichever process appended it. It never writes unit events. Safe for
// concurrent use.
type Units struct {
	store *eventstore.Store

	mu     sync.Mutex
	reg    *unitreg.Registry
	readTo uint64 // stream sequence up to which the log has been read
}

var _ app.UnitDirectory = (*Units)(nil)

// NewUnits returns an empty registry that CatchUp fills from the log.
func NewUnits(store *eventstore.Store) *Units {
	return &Units{store: store, reg: unitreg.New()}
}

// CatchUp applies the unit events appended since the last call. A unit event the registry refuses
// stops the catch-up with an Internal error rather than being skipped.
func (u *Units) CatchUp(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	last, err := u.store.LastSeq(ctx)
	if err != nil {
		return apperr.Unavailable("EVENT_LOG_UNAVAILABLE", "the event log cannot be read").WithCause(err)
	}
	if last <= u.readTo {
		return nil
	}
	opts := eventstore.ReadOptions{
		From:     eventstore.From{Seq: u.readTo + 1},
		Subjects: []string{u.store.SubjectsOf(domain.AggregateUnit)},
		UntilSeq: last,
	}
	err = u.store.Read(ctx, opts, func(c eventstore.Commit) error {
		for _, ev := range c.Events {
			msg, err := ev.Envelope.GetPayload().UnmarshalNew()
			if err != nil {
				return fmt.Errorf("sequence %d: payload: %w", c.Seq, err)
			}
			if err := u.reg.Apply(msg); err != nil {
				return fmt.Errorf("sequence %d: %s %s: %w", c.Seq, ev.Envelope.GetEventType(), c.Aggregate, err)
			}
		}
		u.readTo = c.Seq
		return nil
	})
	if err != nil {
		return apperr.Internal("UNIT_REGISTRY_REPLAY", "unit registry stopped at sequence %d", u.readTo+1).WithCause(err)
	}
	u.readTo = last
	return nil
}

func view(v unitreg.Unit) domain.Unit {
	return domain.Unit{Code: v.Code, Kind: v.Kind, ParentCode: v.ParentCode}
}

// Unit is the unit with that code on a date; a unit merged away by then is not.
func (u *Units) Unit(code string, on calendar.Date) (domain.Unit, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	v, ok := u.reg.Unit(code, on)
	if !ok || v.Ended() {
		return domain.Unit{}, false
	}
	return view(v), true
}

// Children are the units directly below code on a date.
func (u *Units) Children(code string, on calendar.Date) []domain.Unit {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []domain.Unit
	for _, c := range u.reg.Children(code, on) {
		out = append(out, view(c))
	}
	return out
}

// Ancestors are the codes of the units above code on a date, nearest first.
func (u *Units) Ancestors(code string, on calendar.Date) []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []string
	for _, a := range u.reg.Ancestors(code, on) {
		out = append(out, a.Code)
	}
	return out
}
