package auditlog

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/civicase/civicase/pkg/eventstore"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
)

// Field numbers of civicase.event.v1 (envelope.proto) that verification reads.
const (
	commitRecords    = 1
	recordEnvelope   = 1
	recordHash       = 2
	envEventID       = 1
	envAggregateType = 3
	envAggregateID   = 4
	envAggregateVer  = 5
	envPrevHash      = 17
)

var errWire = errors.New("malformed protobuf")

// decode parses a message of the log into a commit, reading from each envelope only what the
// chains and the tree need (event id, aggregate, version, prev_hash); the envelope's bytes are
// kept whole, and they are what is hashed. Verifying a million events is mostly decoding, and a
// full decode (payload Any, timestamps, actor) costs several times this walk over the wire format.
// Every field is still walked, so a message that is not well-formed protobuf is reported.
func decode(subject string, seq uint64, data []byte) (eventstore.Commit, error) {
	return decodeIn(&arena{}, subject, seq, data)
}

// arena hands out a batch's events and envelopes from a few large allocations.
type arena struct {
	events []eventstore.StoredEvent
	envs   []eventv1.Envelope
}

func (a *arena) envelope() *eventv1.Envelope {
	if len(a.envs) == 0 {
		a.envs = make([]eventv1.Envelope, 64)
	}
	env := &a.envs[0]
	a.envs = a.envs[1:]
	return env
}

// decodeIn is decode with its events and envelopes taken from a.
func decodeIn(a *arena, subject string, seq uint64, data []byte) (eventstore.Commit, error) {
	agg, ok := eventstore.ParseSubject(subject)
	if !ok {
		return eventstore.Commit{}, fmt.Errorf("subject %q is not an aggregate's", subject)
	}
	from := len(a.events)
	err := fields(data, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num != commitRecords || typ != protowire.BytesType {
			return nil
		}
		ev := eventstore.StoredEvent{Seq: seq, Index: len(a.events) - from}
		if err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
			switch {
			case num == recordEnvelope && typ == protowire.BytesType:
				ev.Canonical = v
			case num == recordHash && typ == protowire.BytesType:
				ev.Hash = v
			}
			return nil
		}); err != nil {
			return fmt.Errorf("record %d: %w", ev.Index, err)
		}
		env := a.envelope()
		if err := lightEnvelope(env, agg, ev.Canonical); err != nil {
			return fmt.Errorf("record %d: envelope: %w", ev.Index, err)
		}
		ev.Envelope = env
		a.events = append(a.events, ev)
		return nil
	})
	events := a.events[from:len(a.events):len(a.events)]
	if err != nil {
		a.events = a.events[:from]
		return eventstore.Commit{}, fmt.Errorf("%w: sequence %d: %v", eventstore.ErrCorrupt, seq, err)
	}
	if len(events) == 0 {
		return eventstore.Commit{}, fmt.Errorf("%w: sequence %d: empty commit", eventstore.ErrCorrupt, seq)
	}
	return eventstore.Commit{Seq: seq, Subject: subject, Aggregate: agg, Events: events}, nil
}

// lightEnvelope fills env from b. The aggregate's type and id are nearly always the subject's, so
// the subject's strings are reused rather than copied.
func lightEnvelope(env *eventv1.Envelope, agg eventstore.Aggregate, b []byte) error {
	return fields(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch {
		case num == envEventID && typ == protowire.BytesType:
			env.EventId = string(v)
		case num == envAggregateType && typ == protowire.BytesType:
			env.AggregateType = same(agg.Type, v)
		case num == envAggregateID && typ == protowire.BytesType:
			env.AggregateId = same(agg.ID, v)
		case num == envPrevHash && typ == protowire.BytesType:
			env.PrevHash = v
		case num == envAggregateVer && typ == protowire.VarintType:
			x, n := protowire.ConsumeVarint(v)
			if n < 0 {
				return protowire.ParseError(n)
			}
			env.AggregateVersion = x
		}
		return nil
	})
}

// same is s when it spells b, else b as a new string.
func same(s string, b []byte) string {
	if s == string(b) { // compared without a copy
		return s
	}
	return string(b)
}

// fields walks the fields of a serialized message, handing each one's number, type and value
// (for length-delimited fields the content, otherwise the raw value bytes).
func fields(b []byte, fn func(protowire.Number, protowire.Type, []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %v", errWire, protowire.ParseError(n))
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return fmt.Errorf("%w: field %d: %v", errWire, num, protowire.ParseError(m))
		}
		v := b[:m]
		if typ == protowire.BytesType {
			v, _ = protowire.ConsumeBytes(b)
		}
		if err := fn(num, typ, v); err != nil {
			return err
		}
		b = b[m:]
	}
	return nil
}
