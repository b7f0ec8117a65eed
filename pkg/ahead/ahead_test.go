package ahead_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/civicase/civicase/pkg/ahead"
)

// counter makes batches of consecutive numbers; a test can hold a batch or fail it.
type counter struct {
	mu    sync.Mutex
	next  int
	size  int
	calls int
	gate  chan struct{}
	fail  error
}

func (c *counter) produce(ctx context.Context) ([]int, error) {
	c.mu.Lock()
	c.calls++
	gate, fail := c.gate, c.fail
	c.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail != nil {
		return nil, fail
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]int, c.size)
	for i := range out {
		c.next++
		out[i] = c.next
	}
	return out, nil
}

func (c *counter) set(gate chan struct{}, fail error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gate, c.fail = gate, fail
}

func (c *counter) called() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// Items come out oldest first, across batches, and the next batch is made while the current one
// still has items: with that batch held back, the items left are handed out without waiting.
func TestTheNextBatchIsMadeBeforeTheStockRunsOut(t *testing.T) {
	ctx := context.Background()
	c := &counter{size: 8}
	s := ahead.New(c.produce, 2, time.Minute)
	for want := 1; want <= 5; want++ {
		if got, err := s.Take(ctx); err != nil || got != want {
			t.Fatalf("take: %d, %v; want %d", got, err, want)
		}
	}
	gate := make(chan struct{})
	c.set(gate, nil)
	if got, err := s.Take(ctx); err != nil || got != 6 { // leaves two: the second batch starts, held
		t.Fatalf("take: %d, %v", got, err)
	}
	for want := 7; want <= 8; want++ {
		if got, err := s.Take(ctx); err != nil || got != want {
			t.Fatalf("an item left in the stock waited for the batch: %d, %v", got, err)
		}
	}
	got := make(chan int)
	go func() {
		v, err := s.Take(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- v
	}()
	close(gate)
	if v := <-got; v != 9 {
		t.Errorf("first item of the second batch: %d, want 9", v)
	}
	if n := c.called(); n != 2 {
		t.Errorf("%d batches, want 2", n)
	}
}

// With a negative refill point a batch is made only when the stock is empty.
func TestANegativeRefillPointMakesBatchesOnlyWhenEmpty(t *testing.T) {
	ctx := context.Background()
	c := &counter{size: 4}
	s := ahead.New(c.produce, -1, time.Minute)
	for i := range 9 {
		if _, err := s.Take(ctx); err != nil {
			t.Fatal(err)
		}
		if want := i/4 + 1; c.called() != want {
			t.Fatalf("after %d takes: %d batches, want %d", i+1, c.called(), want)
		}
	}
}

// A failing batch is tried once more before its error reaches the caller; once production works
// again the next take succeeds.
func TestAFailedBatchIsRetriedOnceThenReported(t *testing.T) {
	ctx := context.Background()
	c := &counter{size: 4}
	down := errors.New("database down")
	c.set(nil, down)
	s := ahead.New(c.produce, 1, time.Minute)
	if _, err := s.Take(ctx); !errors.Is(err, down) {
		t.Fatalf("take with production down: %v", err)
	}
	if n := c.called(); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
	c.set(nil, nil)
	if v, err := s.Take(ctx); err != nil || v != 1 {
		t.Errorf("after production came back: %d, %v", v, err)
	}
}

// Concurrent takes never share an item, across several batches.
func TestConcurrentTakesHandOutEachItemOnce(t *testing.T) {
	ctx := context.Background()
	s := ahead.New((&counter{size: 16}).produce, 4, time.Minute)
	var (
		mu   sync.Mutex
		seen = map[int]bool{}
		wg   sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			for range 100 {
				v, err := s.Take(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[v] {
					t.Errorf("item %d handed out twice", v)
				}
				seen[v] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 800 {
		t.Errorf("%d distinct items, want 800", len(seen))
	}
}
