package app

import (
	"context"
	"time"

	"github.com/civicase/civicase/pkg/ahead"
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

// newReceiptBook hands out receipt serials from blocks leased ahead (pkg/ahead): the next block is
// leased while the current one still has serials, so a registration waits for a lease only at
// start-up or after a lease failed; the durable write that keeps numbers unique is thereby off its
// critical path.
func newReceiptBook(s ReceiptSerials) *ahead.Stock[uint64] {
	return ahead.New(func(ctx context.Context) ([]uint64, error) {
		first, err := s.Lease(ctx, receiptBlock)
		if err != nil {
			return nil, unavailable("the receipt serials", err)
		}
		if first+receiptBlock-1 > domain.MaxReceiptSerial {
			return nil, apperr.Internal("RECEIPT_SERIALS_EXHAUSTED", "receipt serials are exhausted at %d", first)
		}
		block := make([]uint64, receiptBlock)
		for i := range block {
			block[i] = first + uint64(i)
		}
		return block, nil
	}, receiptLowWater, leaseTimeout)
}
