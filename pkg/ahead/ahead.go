// Package ahead keeps a stock of things made ahead in batches — receipt serials leased from the
// database, data keys stored before anything is sealed with them — so that whoever needs one waits
// for a batch only at start-up or after a failure, not on every call. The durable write that makes
// a batch is thereby off the callers' critical path.
package ahead

import (
	"context"
	"sync"
	"time"
)

// Stock hands out items made in batches. Safe for concurrent use.
type Stock[T any] struct {
	produce  func(context.Context) ([]T, error)
	refillAt int
	timeout  time.Duration

	mu      sync.Mutex
	items   []T    // made and not handed out yet, oldest first
	filling *batch // the batch being made, which callers finding the stock empty wait on
}

// batch is one call of produce; err is set before done closes.
type batch struct {
	done chan struct{}
	err  error
}

// New returns an empty stock. produce makes one batch; it runs in the background, outliving the
// call that started it (it keeps that call's context values, for tracing, not its cancellation),
// bounded by timeout. Once a take leaves refillAt items or fewer, the next batch is started; a
// negative refillAt makes one only when the stock is empty, with the caller waiting.
func New[T any](produce func(context.Context) ([]T, error), refillAt int, timeout time.Duration) *Stock[T] {
	return &Stock[T]{produce: produce, refillAt: refillAt, timeout: timeout}
}

// Take hands out the oldest item. When the stock is empty it waits for the batch being made,
// starting one if none is; a batch that fails is retried once — it may have been started in the
// background before the caller came, during an outage that is over — before its error is returned.
func (s *Stock[T]) Take(ctx context.Context) (T, error) {
	var zero T
	retried := false
	for {
		s.mu.Lock()
		if len(s.items) > 0 {
			it := s.items[0]
			s.items[0] = zero // nothing handed out stays reachable from the stock
			s.items = s.items[1:]
			if len(s.items) <= s.refillAt && s.filling == nil {
				s.start(ctx)
			}
			s.mu.Unlock()
			return it, nil
		}
		if s.filling == nil {
			s.start(ctx)
		}
		b := s.filling
		s.mu.Unlock()
		select {
		case <-b.done:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
		if b.err != nil {
			if retried {
				return zero, b.err
			}
			retried = true
		}
		// The batch's items are in the stock, unless other callers took them all first: go round.
	}
}

// start makes the next batch in the background. s.mu is held.
func (s *Stock[T]) start(ctx context.Context) {
	b := &batch{done: make(chan struct{})}
	s.filling = b
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
		items, err := s.produce(ctx)
		cancel()
		s.mu.Lock()
		s.items = append(s.items, items...)
		s.filling = nil
		s.mu.Unlock()
		b.err = err
		close(b.done)
	}()
}
