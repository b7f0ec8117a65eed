package auditlog

import (
	"context"
	"fmt"
	"runtime"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/civicase/civicase/pkg/eventstore"
)

// LogOptions refine VerifyLog.
type LogOptions struct {
	// Progress is told, now and then, how many messages of the total have been read.
	Progress func(done, total uint64)
	// OnCommit sees every decoded commit after the verifier has (export writes them out).
	OnCommit func(eventstore.Commit) error
}

// VerifyLog reads a tenant's whole stream, from sequence 1 to its last message as of the call,
// through an ordered consumer, and feeds every message to a new Verifier. It does not trust the
// server's view of the log beyond the bytes it delivers: a message that does not decode becomes a
// finding, not an error.
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
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return nil, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(4096))
	if err != nil {
		return nil, err
	}
	defer it.Stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()

	// Decoding is most of the work and needs no order, so batches of messages are decoded in
	// parallel while the next ones arrive; checking the chains and extending the tree stays in
	// log order on this goroutine.
	work := make(chan *readBatch, 8)
	ordered := make(chan *readBatch, 8)
	readErr := make(chan error, 1)
	go func() {
		defer close(work)
		defer close(ordered)
		b := &readBatch{done: make(chan struct{})}
		send := func() bool {
			select {
			case work <- b:
			case <-ctx.Done():
				return false
			}
			select {
			case ordered <- b:
			case <-ctx.Done():
				return false
			}
			b = &readBatch{done: make(chan struct{})}
			return true
		}
		for {
			m, err := it.Next()
			if err != nil {
				if ctx.Err() == nil {
					readErr <- err
				}
				return
			}
			md, err := m.Metadata()
			if err != nil {
				readErr <- err
				return
			}
			seq := md.Sequence.Stream
			if seq > last {
				send()
				return
			}
			b.msgs = append(b.msgs, rawMsg{seq: seq, subject: m.Subject(), data: m.Data()})
			if seq == last {
				send()
				return
			}
			if len(b.msgs) >= 256 && !send() {
				return
			}
		}
	}()
	for range max(runtime.GOMAXPROCS(0), 1) {
		go func() {
			for b := range work {
				b.decode()
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
				v.AddCorrupt(m.seq, b.errs[i])
				continue
			}
			if err := v.addCommit(b.commits[i], b.leaves[i]); err != nil {
				return nil, err
			}
			if o.OnCommit != nil {
				if err := o.OnCommit(b.commits[i]); err != nil {
					return nil, err
				}
			}
		}
		if o.Progress != nil && len(b.msgs) > 0 {
			o.Progress(b.msgs[len(b.msgs)-1].seq, last)
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
	return v, nil
}

type rawMsg struct {
	seq     uint64
	subject string
	data    []byte
}

// readBatch is a run of consecutive messages, decoded by any worker and consumed in order.
type readBatch struct {
	msgs    []rawMsg
	commits []eventstore.Commit
	leaves  [][]tlog.Hash
	errs    []error
	done    chan struct{}
}

func (b *readBatch) decode() {
	b.commits = make([]eventstore.Commit, len(b.msgs))
	b.errs = make([]error, len(b.msgs))
	b.leaves = make([][]tlog.Hash, len(b.msgs))
	for i, m := range b.msgs {
		c, err := decode(m.subject, m.seq, m.data)
		b.commits[i], b.errs[i] = c, err
		if err == nil {
			b.leaves[i] = make([]tlog.Hash, len(c.Events))
			for j, ev := range c.Events {
				b.leaves[i][j] = LeafHash(m.seq, uint32(ev.Index), ev.Canonical)
			}
		}
	}
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
