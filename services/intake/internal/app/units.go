// Package app holds intake's use cases: one file per command or query, each a struct with the
// request's fields and a handler that decides with the domain and appends through the event store.
package app

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/clock"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/unitreg"
	"github.com/civicase/civicase/pkg/unitreg/unitlog"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

// AggregateUnit is the aggregate type of a unit: one aggregate per unit code, holding the unit's
// registration and every later change of it (a merger is appended to the unit that ends).
const AggregateUnit = unitlog.AggregateUnit

// UnitAggregate is the aggregate of a unit code. Codes are dot-separated but aggregate ids are
// subject tokens, so dots become underscores; codes have no underscores, so the mapping is one to one.
func UnitAggregate(code string) eventstore.Aggregate {
	return eventstore.Aggregate{Type: AggregateUnit, ID: strings.ReplaceAll(code, ".", "_")}
}

// UnitRegistry is the unit registry as the log has it, kept in memory. It is built by reading every
// unit event at start-up and caught up from the log before each command and query, so it also sees
// what other processes appended. Catching up first asks for the sequence of the log's last unit
// event (one direct get) and reads only when it is past what the registry has applied: every
// petition registration checks its units here, and unit changes are rare, so the common case is
// that one round trip and a shared lock. Commands of this process are serialised: registry changes
// are rare administrative acts, and the check of a command against the whole registry needs a
// stable view.
//
// Two processes appending unit changes at the same moment can still each pass its own check (the
// log's concurrency check covers one aggregate, not the registry); a registry change that a later
// replay refuses stops the catch-up with an Internal error rather than being skipped.
type UnitRegistry struct {
	*unitlog.Follower
	store *eventstore.Store
	clock clock.Clock
}

// OpenUnitRegistry builds the registry from the unit events of the store's log.
func OpenUnitRegistry(ctx context.Context, store *eventstore.Store, clk clock.Clock) (*UnitRegistry, error) {
	if clk == nil {
		clk = clock.Real{}
	}
	u := &UnitRegistry{Follower: unitlog.New(store), store: store, clock: clk}
	if err := u.CatchUp(ctx); err != nil {
		return nil, err
	}
	return u, nil
}

// InForce tells, for each code, whether a unit with the code exists on the day: registered by then
// and not merged away before it. It makes the registry the UnitDirectory of the petition commands.
func (u *UnitRegistry) InForce(ctx context.Context, on calendar.Date, codes ...string) ([]bool, error) {
	in := make([]bool, len(codes))
	err := u.Read(ctx, func(r *unitreg.Registry) error {
		for i, code := range codes {
			v, ok := r.Unit(code, on)
			in[i] = ok && !v.Ended()
		}
		return nil
	})
	return in, err
}

// Today is the civil date by the registry's clock.
func (u *UnitRegistry) Today() calendar.Date { return calendar.DateOf(u.clock.Now()) }

// execute runs a unit command: authorise, check the event's own fields, then — unless the command
// id is already in the unit's history, which makes a retry (or a second load of a registry file) a
// no-op — check it against the registry caught up with the log, append it to the unit's aggregate,
// and apply it.
func (u *UnitRegistry) execute(ctx context.Context, meta command.Meta, code string, event proto.Message) error {
	if err := authorizeUnitChange(meta); err != nil {
		return err
	}
	if err := unitreg.Validate(event); err != nil {
		return err
	}
	_, registering := event.(*unitv1.UnitRegistered)
	return u.Exclusive(func(l unitlog.Locked) error {
		_, err := u.store.Execute(ctx, UnitAggregate(code), meta.Event(), func(h eventstore.History) ([]eventstore.Event, error) {
			if err := l.CatchUp(ctx); err != nil {
				return nil, err
			}
			if registering && len(h.Events) > 0 {
				return nil, apperr.AlreadyExists(unitreg.ReasonUnitExists, "unit %s is already registered", code).
					WithSubject(unitreg.Subject(code)).WithViolations(apperr.Field("code", "unit %s is already registered", code))
			}
			if err := l.Registry().Check(event); err != nil {
				return nil, err
			}
			return []eventstore.Event{{Payload: event, OccurredAt: meta.OccurredAt}}, nil
		})
		if err != nil {
			return storeError(err)
		}
		// Read our own commit back from the log, with anything others appended before it, in log order.
		return l.CatchUp(ctx)
	})
}

// storeError classifies an error of the event store for the transport.
func storeError(err error) error {
	if _, ok := apperr.As(err); ok {
		return err
	}
	switch {
	case errors.Is(err, eventstore.ErrConcurrency):
		return apperr.Conflict("", "the unit was changed concurrently; retry").WithCause(err)
	case errors.Is(err, eventstore.ErrInvalid), errors.Is(err, eventstore.ErrCorrupt):
		return apperr.Internal("", "event store").WithCause(err)
	}
	return apperr.Unavailable("EVENT_LOG_UNAVAILABLE", "the unit change could not be recorded").WithCause(err)
}

// authorizeUnitChange: the registry is the deployment's structure, changed by administrators only.
func authorizeUnitChange(meta command.Meta) error {
	switch {
	case meta.Actor.Subject == "":
		return apperr.Unauthenticated("ACTOR_MISSING", "changing the unit registry needs an authenticated caller")
	case meta.Actor.Role != auth.RoleAdmin:
		return apperr.PermissionDenied("UNIT_REGISTRY_ADMIN_ONLY", "only an administrator changes the unit registry")
	}
	return nil
}

// UnitHandlers are the unit registry's use cases.
type UnitHandlers struct {
	RegisterUnit         RegisterUnitHandler
	ReparentUnit         ReparentUnitHandler
	MergeUnit            MergeUnitHandler
	ChangeUnitCompetence ChangeUnitCompetenceHandler
	ListUnits            ListUnitsHandler
}

// NewUnitHandlers wires the unit use cases to one registry.
func NewUnitHandlers(units *UnitRegistry) UnitHandlers {
	return UnitHandlers{
		RegisterUnit:         RegisterUnitHandler{units: units},
		ReparentUnit:         ReparentUnitHandler{units: units},
		MergeUnit:            MergeUnitHandler{units: units},
		ChangeUnitCompetence: ChangeUnitCompetenceHandler{units: units},
		ListUnits:            ListUnitsHandler{units: units},
	}
}
