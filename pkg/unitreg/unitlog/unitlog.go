// Package unitlog keeps a unit registry (pkg/unitreg) current from the log's `unit` events. Every
// service that needs the registry — to validate a unit, choose the competent one, roll a report up
// or find a superior — holds one Follower and catches it up before deciding, so it sees every unit
// change appended before it, whichever process appended it.
//
// Catching up first asks the log for the sequence of its last unit event (one direct get) and reads
// only when that is past what the registry has applied: unit changes are rare, so the common case
// is that one round trip and a shared lock. Callers that arrive while a question is in flight share
// the next one, which starts after they arrived, so its answer holds for each of them.
package unitlog

import (
	"context"
	"fmt"
	"sync"
	"time"

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

	mu     sync.RWMutex // held for writing while applying events or while a Locked section runs
	reg    *unitreg.Registry
	readTo uint64 // stream sequence up to which the log's unit events have been applied

	askMu    sync.Mutex
	asking   bool      // a question to the log is in flight
	queued   *question // the next question, which callers join until it starts
	answered func()    // tests: runs when a question has its answer, before its callers learn it
}

// question is one direct get of the last unit event's sequence; last and err are set before done
// closes.
type question struct {
	ctx  context.Context // of the caller that queued it, for its values (tracing)
	done chan struct{}
	last uint64
	err  error
}

// askTimeout bounds a shared question, which no single caller's context governs.
const askTimeout = 30 * time.Second

// New returns an empty registry that CatchUp fills from the log.
func New(store *eventstore.Store) *Follower {
	return &Follower{store: store, reg: unitreg.New()}
}

// CatchUp applies the unit events appended since the last call. A unit event the registry refuses
// stops the catch-up with an Internal error rather than being skipped: no decision may rest on a
// registry that differs from the log.
func (f *Follower) CatchUp(ctx context.Context) error {
	last, err := f.lastUnitSeq(ctx)
	if err != nil {
		return err
	}
	f.mu.RLock()
	current := last <= f.readTo
	f.mu.RUnlock()
	if current {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.catchUpTo(ctx, last)
}

// Read catches up and calls fn with the registry; several Reads run at once, so fn must neither keep
// nor change the registry.
func (f *Follower) Read(ctx context.Context, fn func(*unitreg.Registry) error) error {
	if err := f.CatchUp(ctx); err != nil {
		return err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	return fn(f.reg)
}

// With calls fn with the registry as caught up so far, without asking the log (after a CatchUp).
func (f *Follower) With(fn func(*unitreg.Registry)) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	fn(f.reg)
}

// Locked is the registry held exclusively, for a command that checks a change against the whole
// registry and appends it: no other reader or writer of this process sees it half-way.
type Locked struct{ f *Follower }

// Registry is the registry as caught up so far.
func (l Locked) Registry() *unitreg.Registry { return l.f.reg }

// CatchUp applies what the log holds beyond the registry, inside the exclusive section.
func (l Locked) CatchUp(ctx context.Context) error {
	last, err := l.f.lastUnitSeq(ctx)
	if err != nil {
		return err
	}
	return l.f.catchUpTo(ctx, last)
}

// Exclusive runs fn holding the registry exclusively.
func (f *Follower) Exclusive(fn func(Locked) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fn(Locked{f})
}

// Callers share questions: one is in flight at a time, and those arriving meanwhile join the one
// queued behind it. A queued question starts only after all who joined it arrived, so it sees every
// unit event appended before any of them called — as a question of their own would — while under
// load the log answers two questions at most, not one per registration.
func (f *Follower) lastUnitSeq(ctx context.Context) (uint64, error) {
	f.askMu.Lock()
	q := f.queued
	if q == nil {
		q = &question{ctx: ctx, done: make(chan struct{})}
		f.queued = q
		if !f.asking {
			f.askNext()
		}
	}
	f.askMu.Unlock()
	select {
	case <-q.done:
		return q.last, q.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// askNext starts the queued question, and when it is answered the one queued behind it, if any.
// A question keeps its first caller's context values (tracing) but not its cancellation: others
// wait on it too. askMu is held.
func (f *Follower) askNext() {
	q := f.queued
	f.queued, f.asking = nil, true
	go func() {
		qctx, cancel := context.WithTimeout(context.WithoutCancel(q.ctx), askTimeout)
		func() {
			// Off the callers' goroutines their recovery does not reach here: a panic is their error.
			defer func() {
				if p := recover(); p != nil {
					q.err = apperr.Internal("", "asking the log for its last unit event: %v", p)
				}
			}()
			q.last, q.err = f.askLog(qctx)
		}()
		cancel()
		if f.answered != nil {
			f.answered()
		}
		close(q.done)
		f.askMu.Lock()
		defer f.askMu.Unlock()
		f.asking = false
		if f.queued != nil {
			f.askNext()
		}
	}()
}

// askLog asks the log for the sequence of its last unit event.
func (f *Follower) askLog(ctx context.Context) (uint64, error) {
	last, err := f.store.LastSeqOf(ctx, f.store.SubjectsOf(AggregateUnit))
	if err != nil {
		return 0, apperr.Unavailable("EVENT_LOG_UNAVAILABLE", "the event log cannot be read").WithCause(err)
	}
	return last, nil
}

// catchUpTo applies the unit events up to the stream sequence last. The caller holds mu for writing.
func (f *Follower) catchUpTo(ctx context.Context, last uint64) error {
	if last <= f.readTo {
		return nil
	}
	opts := eventstore.ReadOptions{
		From:     eventstore.From{Seq: f.readTo + 1},
		Subjects: []string{f.store.SubjectsOf(AggregateUnit)},
		UntilSeq: last,
	}
	err := f.store.Read(ctx, opts, func(c eventstore.Commit) error {
		for _, ev := range c.Events {
			msg, err := ev.Envelope.GetPayload().UnmarshalNew()
			if err != nil {
				return fmt.Errorf("sequence %d: payload: %w", c.Seq, err)
			}
			if err := f.reg.Apply(msg); err != nil {
				return fmt.Errorf("sequence %d: %s %s: %w", c.Seq, ev.Envelope.GetEventType(), c.Aggregate, err)
			}
		}
		f.readTo = c.Seq // a commit is applied whole or not at all
		return nil
	})
	if err != nil {
		return apperr.Internal("UNIT_REGISTRY_REPLAY", "unit registry stopped at sequence %d", f.readTo+1).WithCause(err)
	}
	f.readTo = last
	return nil
}
