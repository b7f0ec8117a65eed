package app

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeSerials leases like the PostgreSQL table does, and lets a test hold a lease or fail it.
type fakeSerials struct {
	mu     sync.Mutex
	next   uint64
	leases int
	tries  int
	gate   chan struct{} // when set, a lease waits for it
	fail   error
}

func (f *fakeSerials) Lease(ctx context.Context, n int) (uint64, error) {
	f.mu.Lock()
	f.tries++
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return 0, f.fail
	}
	f.leases++
	first := f.next + 1
	f.next += uint64(n)
	return first, nil
}

func (f *fakeSerials) tried() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tries
}

func (f *fakeSerials) set(gate chan struct{}, fail error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate, f.fail = gate, fail
}

// The next block is leased before the current one runs out: with the lease held back, the serials
// left in the block are still handed out, and once it lands the book goes on into the new block.
func TestReceiptBookLeasesTheNextBlockBeforeTheCurrentRunsOut(t *testing.T) {
	ctx := context.Background()
	f := &fakeSerials{}
	b := newReceiptBook(f)
	for i := range receiptBlock - receiptLowWater - 1 {
		s, err := b.Take(ctx)
		if err != nil || s != uint64(i+1) {
			t.Fatalf("take %d: %d, %v", i, s, err)
		}
	}
	gate := make(chan struct{})
	f.set(gate, nil)
	// This take reaches the low-water mark and starts the next lease, which now waits on the gate.
	if _, err := b.Take(ctx); err != nil {
		t.Fatal(err)
	}
	for range receiptLowWater {
		if _, err := b.Take(ctx); err != nil {
			t.Fatalf("a serial left in the block waited for the lease: %v", err)
		}
	}
	got := make(chan uint64)
	go func() {
		s, err := b.Take(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- s
	}()
	close(gate)
	if s := <-got; s != receiptBlock+1 {
		t.Errorf("first serial of the second block: %d, want %d", s, receiptBlock+1)
	}
	if f.leases != 2 {
		t.Errorf("%d leases, want 2", f.leases)
	}
}

// A failed lease fails the registrations waiting for it, and the next take leases again.
func TestReceiptBookRetriesAFailedLease(t *testing.T) {
	ctx := context.Background()
	f := &fakeSerials{}
	f.set(nil, errors.New("database down"))
	b := newReceiptBook(f)
	if _, err := b.Take(ctx); err == nil {
		t.Fatal("a take with the serials store down succeeded")
	}
	f.set(nil, nil)
	if s, err := b.Take(ctx); err != nil || s != 1 {
		t.Errorf("after the store came back: %d, %v", s, err)
	}
}

// Concurrent takes never share a serial, across several blocks.
func TestReceiptBookHandsOutEachSerialOnce(t *testing.T) {
	ctx := context.Background()
	b := newReceiptBook(&fakeSerials{})
	const workers, each = 8, 200
	var (
		mu   sync.Mutex
		seen = map[uint64]bool{}
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for range each {
				s, err := b.Take(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[s] {
					t.Errorf("serial %d handed out twice", s)
				}
				seen[s] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != workers*each {
		t.Errorf("%d distinct serials, want %d", len(seen), workers*each)
	}
}

// A background lease that failed while the database was down does not fail the registration that
// later empties the block once the database is back: a fresh lease is tried first.
func TestReceiptBookDoesNotPassOnAnOldFailure(t *testing.T) {
	ctx := context.Background()
	f := &fakeSerials{}
	b := newReceiptBook(f)
	if _, err := b.Take(ctx); err != nil { // the first block
		t.Fatal(err)
	}
	f.set(nil, errors.New("database down"))
	for range receiptBlock - receiptLowWater - 1 { // reaches the low-water mark: a lease starts and fails
		if _, err := b.Take(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until the background lease was tried (and failed).
	for deadline := time.Now().Add(10 * time.Second); f.tried() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no lease was tried at the low-water mark")
		}
	}
	f.set(nil, nil)
	for range receiptLowWater {
		if _, err := b.Take(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if s, err := b.Take(ctx); err != nil || s != receiptBlock+1 {
		t.Errorf("after the database came back: %d, %v; want the new block's first serial", s, err)
	}
}
