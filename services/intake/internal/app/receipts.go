package app

import (
	"context"
	"sync"
	"time"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/services/intake/internal/domain"
)

// ReceiptSerials leases blocks of receipt serials: no two leases, from this process or any other,
// ever share a serial, and a lease is durable before it returns, so a restart never hands a serial
// out again.
type ReceiptSerials interface {
	// Lease reserves n serials for the caller and returns the first: [first, first+n).
	Lease(ctx context.Context, n int) (first uint64, err error)
}

// receiptBlock is how many serials one lease takes, and receiptLowWater how few may be left
// before the next lease is started in the background. At a few thousand registrations a second
// that is a lease every tenth of a second, each a one-row update; a stopped process wastes at most
// a block (receipt numbers are unique and opaque, not a gapless register).
const (
	receiptBlock    = 256
	receiptLowWater = receiptBlock / 4
	leaseTimeout    = 10 * time.Second
)

// receiptBook hands out receipt serials from leased blocks. The next block is leased while the
// current one still has serials, so a registration waits for a lease only at start-up or after a
// lease failed; the durable write that keeps numbers unique is thereby off its critical path.
type receiptBook struct {
	serials ReceiptSerials

	mu       sync.Mutex
	cur, end uint64     // the current block's serials not yet handed out: [cur, end)
	next     *leaseCall // the lease in flight, or done and not yet taken
}

// leaseCall is one lease; first and err are set before done closes.
type leaseCall struct {
	done  chan struct{}
	first uint64
	err   error
}

func newReceiptBook(s ReceiptSerials) *receiptBook { return &receiptBook{serials: s} }

// take hands out a serial. It fails only when the block is empty and a lease fails twice: the
// lease found failed may have been started in the background long before (the database was down
// then, not necessarily now), so one fresh lease is tried before the registration is refused as
// unavailable.
func (b *receiptBook) take(ctx context.Context) (uint64, error) {
	failed := false
	for {
		b.mu.Lock()
		if b.cur < b.end {
			s := b.cur
			b.cur++
			if b.end-b.cur <= receiptLowWater && b.next == nil {
				b.startLease(ctx)
			}
			b.mu.Unlock()
			return s, nil
		}
		if b.next == nil {
			b.startLease(ctx)
		}
		l := b.next
		b.mu.Unlock()
		select {
		case <-l.done:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		b.mu.Lock()
		if b.next == l { // the first waiter installs the block; the others find it in place
			b.next = nil
			if l.err != nil {
				b.mu.Unlock()
				if !failed {
					failed = true
					continue
				}
				return 0, unavailable("the receipt serials", l.err)
			}
			if l.first+receiptBlock-1 > domain.MaxReceiptSerial {
				b.mu.Unlock()
				return 0, apperr.Internal("RECEIPT_SERIALS_EXHAUSTED", "receipt serials are exhausted at %d", l.first)
			}
			b.cur, b.end = l.first, l.first+receiptBlock
		}
		b.mu.Unlock()
	}
}

// startLease leases the next block in the background. It outlives the registration that started
// it (which keeps only its values, for tracing), bounded by its own timeout. b.mu is held.
func (b *receiptBook) startLease(ctx context.Context) {
	l := &leaseCall{done: make(chan struct{})}
	b.next = l
	go func() {
		defer close(l.done)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), leaseTimeout)
		defer cancel()
		l.first, l.err = b.serials.Lease(ctx, receiptBlock)
	}()
}
