package auditlog_test

import (
	"context"
	"errors"
	"sync/atomic"
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

// A consumer slower than three heartbeats is not a silent server: the scan waits for it and reads
// the whole log, and once ScanLog returns no call of fn is running (so the caller may close what fn
// writes to). The first batch takes as long as six heartbeats: that slowness is what is tested.
func TestScanLogWaitsForASlowConsumer(t *testing.T) {
	js, stream, _ := liveLog(t, 2000)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const heartbeat = 100 * time.Millisecond
	var running atomic.Bool
	got := 0
	err := auditlog.ScanLog(ctx, js, stream, 2000, auditlog.ScanOptions{Heartbeat: heartbeat}, func(msgs []auditlog.RawMessage) error {
		running.Store(true)
		defer running.Store(false)
		if got == 0 {
			time.Sleep(6 * heartbeat)
		}
		got += len(msgs)
		return nil
	})
	if running.Load() {
		t.Error("ScanLog returned while fn was running")
	}
	if err != nil || got != 2000 {
		t.Fatalf("slow consumer: %d messages, %v", got, err)
	}
}
