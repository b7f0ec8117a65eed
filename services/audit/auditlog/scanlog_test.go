package auditlog_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/civicase/civicase/services/audit/auditlog"
)

// Messages the client drops because it fell behind are not a log that ends early or has holes:
// the scan ends with ErrDeliveryLost. The client's pending limit is tiny and the first batch is
// held until the client reports itself a slow consumer, so messages are dropped while the server
// goes on sending.
func TestScanLogReportsMessagesThisClientDropped(t *testing.T) {
	js, stream, _ := liveLog(t, 3000)
	slow := make(chan struct{}, 1)
	js.Conn().SetErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrSlowConsumer) {
			select {
			case slow <- struct{}{}:
			default:
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got int
	err := auditlog.ScanLog(ctx, js, stream, 3000, auditlog.ScanOptions{Batch: 16, PendingBytes: 16 << 10, Heartbeat: 200 * time.Millisecond},
		func(msgs []auditlog.RawMessage) error {
			if got == 0 {
				select {
				case <-slow:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			got += len(msgs)
			return nil
		})
	if !errors.Is(err, auditlog.ErrDeliveryLost) {
		t.Fatalf("scan with messages dropped: %v after %d messages, want ErrDeliveryLost", err, got)
	}
	// The same log read by a client that keeps up is whole.
	got = 0
	if err := auditlog.ScanLog(ctx, js, stream, 3000, auditlog.ScanOptions{}, func(msgs []auditlog.RawMessage) error {
		got += len(msgs)
		return nil
	}); err != nil || got != 3000 {
		t.Fatalf("scan keeping up: %d messages, %v", got, err)
	}
}
