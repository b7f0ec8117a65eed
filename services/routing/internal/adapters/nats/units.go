// Package nats holds the routing service's adapters onto the JetStream log beyond the event store's
// own API: the unit registry kept current from the log's unit events.
package nats

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/unitreg"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/routing/internal/domain"
)

// AggregateUnit is the aggregate type the unit registry's events are appended to (one aggregate per
// unit code, by the service that manages the registry).
const AggregateUnit = "unit"

// Units is routing's copy of the unit registry (pkg/unitreg), built from the unit events of the log
// and caught up before each command, so a command sees every unit change appended before it,
// whichever process appended it. It never writes unit events. Safe for concurrent use.
type Units struct {
	store *eventstore.Store

	mu     sync.Mutex
	reg    *unitreg.Registry
	readTo uint64 // stream sequence up to which the log's unit events have been applied
	stream jetstream.Stream
}

// NewUnits returns an empty registry that CatchUp fills from the log.
func NewUnits(store *eventstore.Store) *Units {
	return &Units{store: store, reg: unitreg.New()}
}

// CatchUp applies the unit events appended since the last call. A unit event the registry refuses
// stops the catch-up with an Internal error rather than being skipped: routing must not decide
// competence on a registry that differs from the log.
func (u *Units) CatchUp(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	// Unit changes are rare: ask the log for the last unit event (one round trip) and read only when
	// there is a new one, instead of opening a consumer before every command.
	last, err := u.lastUnitSeq(ctx)
	if err != nil {
		return apperr.Unavailable("EVENT_LOG_UNAVAILABLE", "the event log cannot be read").WithCause(err)
	}
	if last <= u.readTo {
		return nil
	}
	opts := eventstore.ReadOptions{
		From:     eventstore.From{Seq: u.readTo + 1},
		Subjects: []string{u.store.SubjectsOf(AggregateUnit)},
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

// lastUnitSeq is the stream sequence of the last unit event, 0 if there is none. The caller holds mu.
func (u *Units) lastUnitSeq(ctx context.Context) (uint64, error) {
	if u.stream == nil {
		st, err := u.store.JetStream().Stream(ctx, u.store.Stream())
		if err != nil {
			return 0, err
		}
		u.stream = st
	}
	m, err := u.stream.GetLastMsgForSubject(ctx, u.store.SubjectsOf(AggregateUnit))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return m.Sequence, nil
}

func view(v unitreg.Unit) domain.Unit {
	return domain.Unit{Code: v.Code, Kind: v.Kind, ParentCode: v.ParentCode, RemoteArea: v.RemoteArea, Ended: v.Ended(), SuccessorCode: v.SuccessorCode}
}

// Unit is the unit with that code on a date.
func (u *Units) Unit(code string, on calendar.Date) (domain.Unit, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	v, ok := u.reg.Unit(code, on)
	return view(v), ok
}

// Holding is the unit holding code's cases on a date (its successor after a merger).
func (u *Units) Holding(code string, on calendar.Date) (domain.Unit, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	v, ok := u.reg.ResolveSuccessor(code, on)
	return view(v), ok
}

// Competent is the unit the competence rules choose on a date.
func (u *Units) Competent(kind commonv1.PetitionKind, instance int32, respondent string, on calendar.Date) (domain.Competence, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	c, err := u.reg.CompetentUnit(kind, unitv1.Instance(instance), respondent, on)
	if err != nil {
		return domain.Competence{}, err
	}
	return domain.Competence{Unit: view(c.Unit), Basis: c.Rule.Basis}, nil
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
