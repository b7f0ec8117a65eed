package eventstore

import (
	"bytes"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
)

// Every read of the log decodes every envelope it passes to its caller: a projection catching up
// decodes hundreds of thousands, and proto.Unmarshal's table-driven decoder, with an allocation per
// field and per sub-message, took a quarter of the catch-up's CPU. The commit wrapper and the envelope
// as Append writes them are therefore parsed directly with protowire. Whatever that parser does
// not expect — a field number this version of the schema does not know (a newer writer's field),
// a singular field given twice, an unusual wire type, invalid UTF-8, bytes of length zero — sends
// the whole message to proto.Unmarshal instead, which then decides, so both paths yield the same
// message or the same failure (TestDecodeEnvelopeMatchesProto, FuzzDecodeEnvelope).

// DecodeCommit parses a commit message body. It does not check hashes: ChainVerifier checks each
// event's hash against its bytes along with the chains. The events' Canonical and Hash share data's memory, so data must not be modified
// afterwards.
func DecodeCommit(data []byte) ([]StoredEvent, error) {
	out, ok := parseCommit(data)
	if !ok {
		var err error
		if out, err = unmarshalCommit(data); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: empty commit", ErrCorrupt)
	}
	for i := range out {
		env, err := decodeEnvelope(out[i].Canonical)
		if err != nil {
			return nil, fmt.Errorf("%w: record %d: %v", ErrCorrupt, i, err)
		}
		out[i].Envelope = env
	}
	return out, nil
}

// unmarshalCommit is the general decoding of the commit wrapper.
func unmarshalCommit(data []byte) ([]StoredEvent, error) {
	var c eventv1.Commit
	if err := proto.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%w: commit: %v", ErrCorrupt, err)
	}
	out := make([]StoredEvent, len(c.Records))
	for i, r := range c.Records {
		out[i] = StoredEvent{Canonical: r.Envelope, Hash: r.Hash, Index: i}
	}
	return out, nil
}

// parseCommit reads `repeated Record records = 1` with Record {bytes envelope = 1; bytes hash = 2},
// aliasing data; ok is false when the wrapper is not in the shape Append writes.
func parseCommit(data []byte) (out []StoredEvent, ok bool) {
	n := 0
	for b := data; len(b) > 0; n++ { // count the records first: one allocation for the events
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 || num != 1 || typ != protowire.BytesType {
			return nil, false
		}
		_, m := protowire.ConsumeBytes(b[l:])
		if m < 0 {
			return nil, false
		}
		b = b[l+m:]
	}
	out = make([]StoredEvent, 0, n)
	for b := data; len(b) > 0; {
		_, _, l := protowire.ConsumeTag(b)
		rec, m := protowire.ConsumeBytes(b[l:])
		b = b[l+m:]
		ev := StoredEvent{Index: len(out)}
		var seen uint8
		for len(rec) > 0 {
			num, typ, l := protowire.ConsumeTag(rec)
			if l < 0 || typ != protowire.BytesType || (num != 1 && num != 2) || seen&(1<<num) != 0 {
				return nil, false
			}
			seen |= 1 << num
			v, m := protowire.ConsumeBytes(rec[l:])
			if m < 0 || len(v) == 0 {
				return nil, false
			}
			rec = rec[l+m:]
			if num == 1 {
				ev.Canonical = v[:len(v):len(v)]
			} else {
				ev.Hash = v[:len(v):len(v)]
			}
		}
		out = append(out, ev)
	}
	return out, true
}

// decodeEnvelope parses canonical envelope bytes.
func decodeEnvelope(b []byte) (*eventv1.Envelope, error) {
	if env := parseEnvelope(b); env != nil {
		return env, nil
	}
	env := &eventv1.Envelope{}
	if err := proto.Unmarshal(b, env); err != nil {
		return nil, err
	}
	return env, nil
}

// Field numbers of civicase.event.v1.Envelope (envelope.proto).
const (
	envEventID protowire.Number = iota + 1
	envTenant
	envAggregateType
	envAggregateID
	envAggregateVersion
	envEventType
	envSchemaVersion
	envOccurredAt
	envRecordedAt
	envActor
	envCommandID
	envCorrelationID
	envCausationID
	envTrace
	envPayload
	envSealed
	envPrevHash
)

// parseEnvelope parses an envelope in the shape Append writes, or returns nil.
func parseEnvelope(b []byte) *eventv1.Envelope {
	blk := &envelopeBlock{}
	env := &blk.env
	var seen uint32
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num < envEventID || num > envPrevHash || num != envSealed && seen&(1<<num) != 0 {
			return nil
		}
		seen |= 1 << num
		b = b[n:]
		if num == envAggregateVersion || num == envSchemaVersion {
			if typ != protowire.VarintType {
				return nil
			}
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil
			}
			b = b[n:]
			if num == envAggregateVersion {
				env.AggregateVersion = v
			} else {
				env.SchemaVersion = uint32(v)
			}
			continue
		}
		if typ != protowire.BytesType {
			return nil
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil
		}
		b = b[n:]
		ok := true
		switch num {
		case envEventID:
			env.EventId, ok = str(v)
		case envTenant:
			env.Tenant, ok = internStr(v)
		case envAggregateType:
			env.AggregateType, ok = internStr(v)
		case envAggregateID:
			env.AggregateId, ok = str(v)
		case envEventType:
			env.EventType, ok = internStr(v)
		case envCommandID:
			env.CommandId, ok = str(v)
		case envCorrelationID:
			env.CorrelationId, ok = str(v)
		case envCausationID:
			env.CausationId, ok = str(v)
		case envOccurredAt:
			env.OccurredAt, ok = &blk.occurred, parseTimestamp(v, &blk.occurred)
		case envRecordedAt:
			env.RecordedAt, ok = &blk.recorded, parseTimestamp(v, &blk.recorded)
		case envActor:
			env.Actor = &eventv1.Actor{}
			ok = parseStrings(v, &env.Actor.Subject, &env.Actor.Role, &env.Actor.Unit)
		case envTrace:
			env.Trace = &eventv1.TraceContext{}
			ok = parseStrings(v, &env.Trace.Traceparent, &env.Trace.Tracestate)
		case envPayload:
			env.Payload, ok = &blk.payload, parseAny(v, &blk.payload)
		case envSealed:
			s := &eventv1.SealedData{}
			ok = parseSealed(v, s)
			env.Sealed = append(env.Sealed, s)
		case envPrevHash:
			env.PrevHash, ok = byts(v)
		}
		if !ok {
			return nil
		}
	}
	return env
}

// str is a proto3 string field's value; proto.Unmarshal refuses invalid UTF-8.
func str(v []byte) (string, bool) {
	if !utf8.Valid(v) {
		return "", false
	}
	return string(v), true
}

// internStr is str for the fields whose few values repeat in nearly every envelope of a log — the
// tenant, the aggregate and event types, the payload's type URL: one shared string per value
// instead of an allocation per event. The table is copied on write and read without a lock; it
// stops growing at maxInterned values (only a corrupt log has more), after which str allocates.
func internStr(v []byte) (string, bool) {
	if m := interned.Load(); m != nil {
		if s, ok := (*m)[string(v)]; ok {
			return s, true
		}
	}
	s, ok := str(v)
	if !ok {
		return "", false
	}
	internMu.Lock()
	defer internMu.Unlock()
	old := interned.Load()
	if old != nil && len(*old) >= maxInterned {
		return s, true
	}
	m := make(map[string]string, 1+mapLen(old))
	if old != nil {
		maps.Copy(m, *old)
	}
	m[s] = s
	interned.Store(&m)
	return s, true
}

const maxInterned = 1024

var (
	interned atomic.Pointer[map[string]string]
	internMu sync.Mutex
)

func mapLen(m *map[string]string) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

// byts is a proto3 bytes field's value, owned; empty ones are left to proto.Unmarshal.
func byts(v []byte) ([]byte, bool) {
	if len(v) == 0 {
		return nil, false
	}
	return bytes.Clone(v), true
}

func parseTimestamp(b []byte, t *timestamppb.Timestamp) bool {
	var seen uint8
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || typ != protowire.VarintType || num < 1 || num > 2 || seen&(1<<num) != 0 {
			return false
		}
		seen |= 1 << num
		v, m := protowire.ConsumeVarint(b[n:])
		if m < 0 {
			return false
		}
		b = b[n+m:]
		if num == 1 {
			t.Seconds = int64(v)
		} else {
			t.Nanos = int32(v)
		}
	}
	return true
}

// parseStrings parses a message whose fields 1, 2, … are the strings dst[0], dst[1], ….
func parseStrings(b []byte, dst ...*string) bool {
	var seen uint8
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || typ != protowire.BytesType || num < 1 || int(num) > len(dst) || seen&(1<<num) != 0 {
			return false
		}
		seen |= 1 << num
		v, m := protowire.ConsumeBytes(b[n:])
		if m < 0 {
			return false
		}
		b = b[n+m:]
		var ok bool
		if *dst[num-1], ok = str(v); !ok {
			return false
		}
	}
	return true
}

// parseAny parses google.protobuf.Any {string type_url = 1; bytes value = 2}.
func parseAny(b []byte, a *anypb.Any) bool {
	var seen uint8
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || typ != protowire.BytesType || num < 1 || num > 2 || seen&(1<<num) != 0 {
			return false
		}
		seen |= 1 << num
		v, m := protowire.ConsumeBytes(b[n:])
		if m < 0 {
			return false
		}
		b = b[n+m:]
		var ok bool
		if num == 1 {
			a.TypeUrl, ok = internStr(v)
		} else {
			a.Value, ok = byts(v)
		}
		if !ok {
			return false
		}
	}
	return true
}

// parseSealed parses SealedData {string subject_ref = 1; string key_id = 2; bytes nonce = 3;
// bytes ciphertext = 4}.
func parseSealed(b []byte, s *eventv1.SealedData) bool {
	var seen uint8
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || typ != protowire.BytesType || num < 1 || num > 4 || seen&(1<<num) != 0 {
			return false
		}
		seen |= 1 << num
		v, m := protowire.ConsumeBytes(b[n:])
		if m < 0 {
			return false
		}
		b = b[n+m:]
		var ok bool
		switch num {
		case 1:
			s.SubjectRef, ok = str(v)
		case 2:
			s.KeyId, ok = str(v)
		case 3:
			s.Nonce, ok = byts(v)
		case 4:
			s.Ciphertext, ok = byts(v)
		}
		if !ok {
			return false
		}
	}
	return true
}
