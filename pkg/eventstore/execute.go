package eventstore

import (
	"context"
	"errors"
	"fmt"
)

// Decide turns an aggregate's history into the events a command produces. It returns an error to
// refuse the command (nothing is appended) and no events for a command that changes nothing.
type Decide func(h History) ([]Event, error)

// maxAttempts bounds optimistic retries; contention on one aggregate is rare in this domain (one
// case, a handful of officers), so running out means something is wrong.
const maxAttempts = 50

// Execute runs a command against an aggregate: load, decide, append; on a concurrent change it
// reloads and decides again. A command whose id is already in the aggregate's history — a client
// retry after a lost answer, however late — returns the original commit without deciding again.
func (s *Store) Execute(ctx context.Context, agg Aggregate, meta Metadata, decide Decide) (Result, error) {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		h, err := s.Load(ctx, agg)
		if err != nil {
			return Result{}, err
		}
		if c, ok := h.HasCommand(meta.CommandID); ok {
			return Result{Commit: c, Duplicate: true}, nil
		}
		events, err := decide(h)
		if err != nil {
			return Result{}, err
		}
		if len(events) == 0 {
			return Result{Commit: Commit{Aggregate: agg}}, nil
		}
		res, err := s.Append(ctx, agg, h.Tail, meta, events...)
		if errors.Is(err, ErrConcurrency) {
			continue
		}
		return res, err
	}
	return Result{}, fmt.Errorf("%w: %s: gave up after %d attempts", ErrConcurrency, agg, maxAttempts)
}
