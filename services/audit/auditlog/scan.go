package auditlog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// RawMessage is one message of the log as the server delivered it.
type RawMessage struct {
	Seq     uint64
	Subject string
	Data    []byte
}

// ScanOptions refine ScanLog.
type ScanOptions struct {
	// Batch is how many messages fn gets at a time; 0 means 256.
	Batch int
	// Heartbeat is how often an idle server says it is alive; 0 means 5 seconds. Three missed
	// heartbeats end the scan with an error.
	Heartbeat time.Duration
	// PendingBytes bounds what the client holds received but not yet handed to fn; 0 means 512 MiB.
	// Beyond it the client drops messages, and the scan ends with ErrDeliveryLost. Flow control
	// keeps the server from sending far ahead, so the default is never reached in practice.
	PendingBytes int
}

// ErrDeliveryLost means the client dropped messages the server sent (it fell behind beyond its
// pending limits). It says nothing about the log: scan again.
var ErrDeliveryLost = errors.New("auditlog: messages were lost in delivery to this client; scan again")

// ScanLog hands fn the stream's messages from sequence 1 to last, in stream order, in batches,
// stopping early when the stream holds nothing beyond the last message delivered (its tail was
// removed). Removed messages are simply not delivered: the sequences tell the caller.
//
// A whole-log read is the server's cheapest delivery: one push consumer with no acknowledgements,
// flow-controlled, read through a plain subscription. Per message this costs the server about the
// same as a pull or direct get, but the client sends no pull requests, parses no headers and
// reads the sequence from the reply subject without allocating (a pull consumer's Metadata
// allocates a struct and several strings per message). The consumer's own delivery sequence
// shows whether this client dropped anything, which is an ErrDeliveryLost, not a finding.
// fn runs on the subscription's goroutine; while it blocks, flow control holds the server back,
// and the time it takes does not count as the server being silent. ScanLog returns only once no
// call of fn is running, and calls it no more after that.
func ScanLog(ctx context.Context, js jetstream.JetStream, stream string, last uint64, o ScanOptions, fn func([]RawMessage) error) error {
	if last == 0 {
		return nil
	}
	if o.Batch <= 0 {
		o.Batch = 256
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 5 * time.Second
	}
	if o.PendingBytes <= 0 {
		o.PendingBytes = 512 << 20
	}
	nc := js.Conn()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		once     sync.Once
		result   error
		finished = make(chan struct{})
		activity atomic.Int64 // unix nanoseconds of the last message or heartbeat, or of fn returning
		inFn     atomic.Bool  // fn is running: the server is held back by flow control, not silent
		handling sync.Mutex   // held by the message handler, so that ScanLog can wait for it to return
		batch    = make([]RawMessage, 0, o.Batch)
		dseq     uint64 // the consumer's delivery sequence of the last message
		done     bool
	)
	// However ScanLog ends (its context, the server's silence, a closed connection), it waits for a
	// handler still inside fn and stops the later ones, so its caller may close what fn writes to.
	defer func() {
		handling.Lock()
		done = true
		handling.Unlock()
	}()
	finish := func(err error) {
		once.Do(func() { result = err; close(finished) })
	}
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		inFn.Store(true)
		err := fn(batch)
		activity.Store(time.Now().UnixNano())
		inFn.Store(false)
		if err != nil {
			finish(err)
			return false
		}
		batch = make([]RawMessage, 0, o.Batch)
		return true
	}
	handle := func(m *nats.Msg) {
		handling.Lock()
		defer handling.Unlock()
		activity.Store(time.Now().UnixNano())
		if done {
			return
		}
		if len(m.Data) == 0 && m.Header != nil {
			if status := m.Header.Get("Status"); status != "" {
				done = handleStatus(nc, m, status, dseq, flush, finish)
				return
			}
		}
		r, ok := parseAckReply(m.Reply)
		if !ok {
			done = true
			finish(fmt.Errorf("auditlog: a message of stream %s came without its sequence (reply %q)", stream, m.Reply))
			return
		}
		if r.dseq != dseq+1 {
			done = true
			finish(ErrDeliveryLost)
			return
		}
		dseq = r.dseq
		if r.sseq > last {
			done = true
			if flush() {
				finish(nil)
			}
			return
		}
		batch = append(batch, RawMessage{Seq: r.sseq, Subject: m.Subject, Data: m.Data})
		switch {
		case r.sseq == last || r.pending == 0:
			done = true
			if flush() {
				finish(nil)
			}
		case len(batch) == cap(batch):
			if !flush() {
				done = true
			}
		}
	}

	inbox := nc.NewInbox()
	sub, err := nc.Subscribe(inbox, handle)
	if err != nil {
		return err
	}
	defer func() { _ = sub.Unsubscribe() }()
	// Flow control bounds what the server sends ahead; the client's own limit must not be lower,
	// or it drops messages instead of waiting.
	if err := sub.SetPendingLimits(-1, o.PendingBytes); err != nil {
		return err
	}
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("stream %s: %w", stream, err)
	}
	activity.Store(time.Now().UnixNano())
	cons, err := s.CreatePushConsumer(ctx, jetstream.ConsumerConfig{
		DeliverSubject:    inbox,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		AckPolicy:         jetstream.AckNonePolicy,
		FlowControl:       true,
		IdleHeartbeat:     o.Heartbeat,
		InactiveThreshold: time.Minute,
		MemoryStorage:     true,
		Replicas:          1,
	})
	if err != nil {
		return fmt.Errorf("stream %s: read consumer: %w", stream, err)
	}
	defer func() {
		dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer dcancel()
		_ = s.DeleteConsumer(dctx, cons.CachedInfo().Name)
	}()

	tick := time.NewTicker(o.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-finished:
			return result
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			if nc.IsClosed() {
				return nats.ErrConnectionClosed
			}
			if idle := time.Since(time.Unix(0, activity.Load())); idle > 3*o.Heartbeat && !inFn.Load() {
				return fmt.Errorf("auditlog: stream %s: nothing from the server for %s", stream, idle.Round(time.Second))
			}
		}
	}
}

// handleStatus answers the consumer's control messages. It reports whether the scan is over: an
// idle heartbeat that is not waiting on flow control means the server has nothing more to send
// (the rest of the stream up to the last sequence was removed while reading) — unless it names a
// later delivery than dseq, the last this client received: then the client dropped the messages
// in between, which must not pass for a log that ends early.
func handleStatus(nc *nats.Conn, m *nats.Msg, status string, dseq uint64, flush func() bool, finish func(error)) bool {
	if status != "100" {
		finish(fmt.Errorf("auditlog: read consumer: status %s %s", status, m.Header.Get("Description")))
		return true
	}
	if m.Reply != "" { // flow control request
		if err := m.Respond(nil); err != nil {
			finish(err)
			return true
		}
		return false
	}
	if stalled := m.Header.Get("Nats-Consumer-Stalled"); stalled != "" {
		if err := nc.Publish(stalled, nil); err != nil {
			finish(err)
			return true
		}
		return false
	}
	if sent, err := strconv.ParseUint(m.Header.Get("Nats-Last-Consumer"), 10, 64); err == nil && sent > dseq {
		finish(ErrDeliveryLost)
		return true
	}
	if flush() {
		finish(nil)
	}
	return true
}

type ackReply struct {
	sseq, dseq, pending uint64
}

// parseAckReply reads a JetStream ack subject: $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.
// <dseq>.<time>.<pending> or, with domain and account, $JS.ACK.<domain>.<account>.<stream>.
// <consumer>.<delivered>.<sseq>.<dseq>.<time>.<pending>[.<token>].
func parseAckReply(reply string) (ackReply, bool) {
	var tok [12]string
	n := 0
	for n < len(tok) {
		i := strings.IndexByte(reply, '.')
		if i < 0 {
			tok[n] = reply
			n++
			reply = ""
			break
		}
		tok[n], reply = reply[:i], reply[i+1:]
		n++
	}
	if reply != "" || tok[0] != "$JS" || tok[1] != "ACK" {
		return ackReply{}, false
	}
	var at int // index of the stream sequence
	switch n {
	case 9:
		at = 5
	case 11, 12:
		at = 7
	default:
		return ackReply{}, false
	}
	sseq, err1 := strconv.ParseUint(tok[at], 10, 64)
	dseq, err2 := strconv.ParseUint(tok[at+1], 10, 64)
	pending, err3 := strconv.ParseUint(tok[at+3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return ackReply{}, false
	}
	return ackReply{sseq: sseq, dseq: dseq, pending: pending}, true
}
