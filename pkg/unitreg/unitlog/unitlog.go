// Package unitlog keeps a unit registry (pkg/unitreg) current from the log's `unit` events. Every
// service that needs the registry — to validate a unit, choose the competent one, roll a report up
// or find a superior — holds one Follower and catches it up before deciding, so it sees every unit
// change appended before it, whichever process appended it. A Follower never writes unit events.
package unitlog

import (
	"context"
	"fmt"
	"sync"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/unitreg"
)

// AggregateUnit is the aggregate type of the registry's events: one aggregate per unit code,
// appended by the intake service, which manages the registry.
const AggregateUnit = "unit"

// Follower is a registry built from the log. Safe for concurrent use.
type Follower struct {
	store *eventstore.Store

	mu     sync.Mutex
	reg    *unitreg.Registry
	readTo uint64 // stream sequence up to which the log's unit events have been applied
}

// New returns an empty registry that CatchUp fills from the log.
func New(store *eventstore.Store) *Follower {
	return &Follower{store: store, reg: unitreg.New()}
}

// CatchUp applies the unit events appended since the last call. Unit changes are rare, so it first
// asks the log for the sequence of the last unit event (one direct get) and reads only when there is
// a newer one. A unit event the registry refuses stops the catch-up with an Internal error rather than
// being skipped: no decision may rest on a registry that differs from the log.
func (f *Follower) CatchUp(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	last, err := f.store.LastSeqOf(ctx, f.store.SubjectsOf(AggregateUnit))
	if err != nil {
		return apperr.Unavailable("EVENT_LOG_UNAVAILABLE", "the event log cannot be read").WithCause(err)
	}
	if last <= f.readTo {
		return nil
	}
	opts := eventstore.ReadOptions{
		From:     eventstore.From{Seq: f.readTo + 1},
		Subjects: []string{f.store.SubjectsOf(AggregateUnit)},
		UntilSeq: last,
	}
	err = f.store.Read(ctx, opts, func(c eventstore.Commit) error {
		for _, ev := range c.Events {
			msg, err := ev.Envelope.GetPayload().UnmarshalNew()
			if err != nil {
				return fmt.Errorf("sequence %d: payload: %w", c.Seq, err)
			}
			if err := f.reg.Apply(msg); err != nil {
				return fmt.Errorf("sequence %d: %s %s: %w", c.Seq, ev.Envelope.GetEventType(), c.Aggregate, err)
			}
		}
		f.readTo = c.Seq
		return nil
	})
	if err != nil {
		return apperr.Internal("UNIT_REGISTRY_REPLAY", "unit registry stopped at sequence %d", f.readTo+1).WithCause(err)
	}
	f.readTo = last
	return nil
}

// With runs fn with the registry as caught up so far, under the follower's lock; fn must not keep
// the registry beyond the call.
func (f *Follower) With(fn func(*unitreg.Registry)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.reg)
}
