package auditlog

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/civicase/civicase/pkg/eventstore"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
)

// LogOptions refine VerifyLog.
type LogOptions struct {
	// Progress is told, now and then, how many messages of the total have been read.
	Progress func(done, total uint64)
	// OnCommit sees every decoded commit after the verifier has (export writes them out).
	OnCommit func(eventstore.Commit) error
}

// VerifyLog reads a tenant's whole stream, from sequence 1 to its last message as of the call
// (ScanLog), and feeds every message to a new Verifier. It does not trust the server's view of
// the log beyond the bytes it delivers: a message that does not decode becomes a finding, not an
// error, and so do sequences the server does not deliver.
func VerifyLog(ctx context.Context, js jetstream.JetStream, stream string, o LogOptions) (*Verifier, error) {
	v := NewVerifier()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, err
	}
	last := info.State.LastSeq
	if o.Progress != nil {
		o.Progress(0, last)
	}
	if last == 0 {
		return v, nil
	}
	// At least one event per message: reserving spares the tree's repeated growth copies.
	v.tree.hashes = make([]tlog.Hash, 0, 2*last+64)
	v.refs = make([]LeafRef, 0, last)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Decoding and hashing are most of the client's work and need no order, so batches are
	// decoded in parallel while the next ones arrive; checking the chains and extending the tree
	// stays in log order on this goroutine.
	work := make(chan *readBatch, 8)
	ordered := make(chan *readBatch, 8)
	readErr := make(chan error, 1)
	go func() {
		defer close(work)
		defer close(ordered)
		if info.State.Msgs == 0 {
			return // every message was removed: end reports the gap
		}
		err := ScanLog(ctx, js, stream, last, ScanOptions{}, func(msgs []RawMessage) error {
			if lose := deliveryFault; lose != nil {
				msgs = lose(msgs)
			}
			b := &readBatch{msgs: msgs, done: make(chan struct{})}
			for _, ch := range []chan *readBatch{work, ordered} {
				select {
				case ch <- b:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
		if err != nil && ctx.Err() == nil {
			readErr <- err
		}
	}()
	for range max(runtime.GOMAXPROCS(0), 1) {
		go func() {
			d := newDecoder()
			for b := range work {
				d.batch(b)
			}
		}()
	}
	for b := range ordered {
		select {
		case <-b.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		for i, m := range b.msgs {
			if b.errs[i] != nil {
				v.AddCorrupt(m.Seq, b.errs[i])
				continue
			}
			if err := v.addCommit(b.commits[i], b.leaves[b.first[i]:b.first[i+1]]); err != nil {
				return nil, err
			}
			if o.OnCommit != nil {
				if err := o.OnCommit(b.commits[i]); err != nil {
					return nil, err
				}
			}
		}
		if o.Progress != nil && len(b.msgs) > 0 {
			o.Progress(b.msgs[len(b.msgs)-1].Seq, last)
		}
	}
	select {
	case err := <-readErr:
		return nil, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v.end(last)
	// A gap is a claim that a message was removed; before making it, ask the stream for the first
	// missing message. If it is there, the scan missed it on the way (a server or client fault, not
	// the log's): the caller reads again rather than reporting tampering that did not happen.
	for _, f := range v.Findings() {
		if f.Kind != KindGap {
			continue
		}
		if _, err := s.GetMsg(ctx, f.Seq); err == nil {
			return nil, fmt.Errorf("%w: sequence %d was not delivered but is in the stream", ErrDeliveryLost, f.Seq)
		} else if !errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, fmt.Errorf("confirming the gap at sequence %d: %w", f.Seq, err)
		}
	}
	return v, nil
}

// deliveryFault, set by tests only, loses messages between the scan and the verifier, as a faulty
// server or client could.
var deliveryFault func([]RawMessage) []RawMessage

// readBatch is a run of consecutive messages, decoded by any worker and consumed in order.
type readBatch struct {
	msgs    []RawMessage
	commits []eventstore.Commit
	leaves  []tlog.Hash // the events' leaf hashes, message i's from first[i] to first[i+1]
	first   []int
	errs    []error
	done    chan struct{}
}

// decoder decodes batches; one per worker, so its scratch state needs no locking.
type decoder struct {
	leaf leafHasher
}

func newDecoder() *decoder { return &decoder{leaf: newLeafHasher()} }

// batch decodes every message of b and hashes its events' leaves. The batch's events, envelopes
// and leaves each live in one allocation instead of several per message.
func (d *decoder) batch(b *readBatch) {
	n := len(b.msgs)
	b.commits = make([]eventstore.Commit, n)
	b.errs = make([]error, n)
	b.first = make([]int, n+1)
	b.leaves = make([]tlog.Hash, 0, n)
	a := &arena{events: make([]eventstore.StoredEvent, 0, n), envs: make([]eventv1.Envelope, n)}
	for i, m := range b.msgs {
		b.first[i] = len(b.leaves)
		c, err := decodeIn(a, m.Subject, m.Seq, m.Data)
		b.commits[i], b.errs[i] = c, err
		if err == nil {
			for _, ev := range c.Events {
				b.leaves = append(b.leaves, d.leaf.hash(m.Seq, uint32(ev.Index), ev.Canonical))
			}
		}
	}
	b.first[n] = len(b.leaves)
	close(b.done)
}

// Describer names events by their place in a stream, for CheckOptions.Describe.
func Describer(js jetstream.JetStream, stream string) func(ctx context.Context, ref LeafRef) (EventInfo, error) {
	return func(ctx context.Context, ref LeafRef) (EventInfo, error) {
		s, err := js.Stream(ctx, stream)
		if err != nil {
			return EventInfo{}, err
		}
		raw, err := s.GetMsg(ctx, ref.Seq)
		if err != nil {
			return EventInfo{}, err
		}
		events, err := eventstore.DecodeCommit(raw.Data)
		if err != nil {
			return EventInfo{}, err
		}
		agg, _ := eventstore.ParseSubject(raw.Subject)
		c := eventstore.Commit{Aggregate: agg, Events: events}
		if int(ref.Index) >= len(c.Events) {
			return EventInfo{}, fmt.Errorf("stream sequence %d has %d events", ref.Seq, len(c.Events))
		}
		ev := c.Events[ref.Index]
		return EventInfo{Aggregate: c.Aggregate, Version: ev.Version(), EventID: ev.Envelope.GetEventId()}, nil
	}
}
