package auditlog

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

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
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return nil, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(4096))
	if err != nil {
		return nil, err
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		md, err := m.Metadata()
		if err != nil {
			return nil, err
		}
		seq := md.Sequence.Stream
		if seq > last {
			return v, nil
		}
		c, err := decode(m.Subject(), seq, m.Data())
		if err != nil {
			v.AddCorrupt(seq, err)
		} else {
			if err := v.AddCommit(c); err != nil {
				return nil, err
			}
			if o.OnCommit != nil {
				if err := o.OnCommit(c); err != nil {
					return nil, err
				}
			}
		}
		if o.Progress != nil && (seq%1024 == 0 || seq == last) {
			o.Progress(seq, last)
		}
		if seq == last {
			return v, nil
		}
	}
}

func decode(subject string, seq uint64, data []byte) (eventstore.Commit, error) {
	agg, ok := eventstore.ParseSubject(subject)
	if !ok {
		return eventstore.Commit{}, fmt.Errorf("subject %q is not an aggregate's", subject)
	}
	events, err := eventstore.DecodeCommit(data)
	if err != nil {
		return eventstore.Commit{}, err
	}
	for i := range events {
		events[i].Seq = seq
	}
	return eventstore.Commit{Seq: seq, Subject: subject, Aggregate: agg, Events: events}, nil
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
		c, err := decode(raw.Subject, raw.Sequence, raw.Data)
		if err != nil {
			return EventInfo{}, err
		}
		if int(ref.Index) >= len(c.Events) {
			return EventInfo{}, fmt.Errorf("stream sequence %d has %d events", ref.Seq, len(c.Events))
		}
		ev := c.Events[ref.Index]
		return EventInfo{Aggregate: c.Aggregate, Version: ev.Version(), EventID: ev.Envelope.GetEventId()}, nil
	}
}
