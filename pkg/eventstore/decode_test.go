package eventstore

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
)

// populate sets every field of m, recursively, to a non-zero value (two elements for lists), so
// that a field added to envelope.proto shows up here without anyone remembering to add it.
func populate(m protoreflect.Message, seed int) {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		val := func(k int) protoreflect.Value {
			switch fd.Kind() {
			case protoreflect.StringKind:
				return protoreflect.ValueOfString(fmt.Sprintf("%s-%d-%d-é", fd.Name(), seed, k))
			case protoreflect.BytesKind:
				return protoreflect.ValueOfBytes([]byte(fmt.Sprintf("%s\x00\xff%d", fd.Name(), k)))
			case protoreflect.Uint64Kind:
				return protoreflect.ValueOfUint64(1<<40 + uint64(seed))
			case protoreflect.Uint32Kind:
				return protoreflect.ValueOfUint32(7 + uint32(seed))
			case protoreflect.Int64Kind:
				return protoreflect.ValueOfInt64(-1_700_000_000 - int64(seed))
			case protoreflect.Int32Kind:
				return protoreflect.ValueOfInt32(-123_456_789 + int32(seed))
			case protoreflect.MessageKind:
				var sub protoreflect.Message
				if fd.IsList() {
					sub = m.Mutable(fd).List().NewElement().Message()
				} else {
					sub = m.NewField(fd).Message()
				}
				populate(sub, seed+k)
				return protoreflect.ValueOfMessage(sub)
			}
			panic(fmt.Sprintf("populate: field %s has kind %s; teach populate and parseEnvelope", fd.FullName(), fd.Kind()))
		}
		if fd.IsList() {
			l := m.Mutable(fd).List()
			l.Append(val(1))
			l.Append(val(2))
			continue
		}
		m.Set(fd, val(0))
	}
}

func fullEnvelope(t testing.TB) []byte {
	env := &eventv1.Envelope{}
	populate(env.ProtoReflect(), 0)
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseEnvelopeKnowsEveryField guards the fast path: an envelope with every field of the
// schema set must not fall back to proto.Unmarshal. When envelope.proto gains a field, teach
// parseEnvelope to read it.
func TestParseEnvelopeKnowsEveryField(t *testing.T) {
	b := fullEnvelope(t)
	got := parseEnvelope(b)
	if got == nil {
		t.Fatal("parseEnvelope fell back on an envelope with every field set: a field of envelope.proto is unknown to it")
	}
	want := &eventv1.Envelope{}
	if err := proto.Unmarshal(b, want); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, want) {
		t.Fatalf("parseEnvelope\n got %v\nwant %v", got, want)
	}
	if len(got.Sealed) != 2 || got.Actor == nil || got.Trace == nil || got.Payload == nil || len(got.PrevHash) == 0 {
		t.Fatalf("populate left fields empty: %v", got)
	}
}

// referenceDecode is DecodeCommit as it was before the fast path: proto.Unmarshal throughout.
func referenceDecode(data []byte) ([]StoredEvent, error) {
	var c eventv1.Commit
	if err := proto.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	if len(c.Records) == 0 {
		return nil, fmt.Errorf("empty commit")
	}
	out := make([]StoredEvent, len(c.Records))
	for i, r := range c.Records {
		env := &eventv1.Envelope{}
		if err := proto.Unmarshal(r.Envelope, env); err != nil {
			return nil, err
		}
		out[i] = StoredEvent{Envelope: env, Canonical: r.Envelope, Hash: r.Hash, Index: i}
	}
	return out, nil
}

func checkDecodeMatchesReference(t *testing.T, data []byte) {
	t.Helper()
	want, werr := referenceDecode(data)
	got, gerr := DecodeCommit(bytes.Clone(data))
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("DecodeCommit error %v, proto.Unmarshal error %v, for %x", gerr, werr, data)
	}
	if werr != nil {
		return
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !proto.Equal(g.Envelope, w.Envelope) || !bytes.Equal(g.Canonical, w.Canonical) || !bytes.Equal(g.Hash, w.Hash) || g.Index != w.Index {
			t.Fatalf("event %d of %x:\n got %v %x %x %d\nwant %v %x %x %d", i, data, g.Envelope, g.Canonical, g.Hash, g.Index, w.Envelope, w.Canonical, w.Hash, w.Index)
		}
	}
}

func commitOf(records ...[]byte) []byte {
	var b []byte
	for _, r := range records {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, r)
	}
	return b
}

func record(env, hash []byte) []byte {
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	b = protowire.AppendBytes(b, env)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	return protowire.AppendBytes(b, hash)
}

func field(num protowire.Number, typ protowire.Type, v []byte) []byte {
	b := protowire.AppendTag(nil, num, typ)
	switch typ {
	case protowire.BytesType:
		return protowire.AppendBytes(b, v)
	case protowire.VarintType:
		return protowire.AppendVarint(b, uint64(len(v)))
	}
	return append(b, v...)
}

// decodeCases are commit bodies on both sides of what the fast path accepts.
func decodeCases(t testing.TB) map[string][]byte {
	full := fullEnvelope(t)
	hash := bytes.Repeat([]byte{0xab}, HashSize)
	actor := field(envActor, protowire.BytesType, field(1, protowire.BytesType, []byte("u1")))
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	return map[string][]byte{
		"full":                          commitOf(record(full, hash)),
		"two records":                   commitOf(record(full, hash), record(full[:0], hash)),
		"empty envelope":                commitOf(record(nil, hash)),
		"no hash":                       commitOf(field(1, protowire.BytesType, full)),
		"empty commit":                  nil,
		"unknown envelope field":        commitOf(record(cat(full, field(99, protowire.BytesType, []byte("new"))), hash)),
		"unknown actor field":           commitOf(record(field(envActor, protowire.BytesType, field(9, protowire.VarintType, []byte("x"))), hash)),
		"event id twice":                commitOf(record(cat(full, field(envEventID, protowire.BytesType, []byte("second"))), hash)),
		"actor twice merges":            commitOf(record(cat(actor, field(envActor, protowire.BytesType, field(2, protowire.BytesType, []byte("role")))), hash)),
		"version as bytes":              commitOf(record(field(envAggregateVersion, protowire.BytesType, []byte("5")), hash)),
		"event type as varint":          commitOf(record(field(envEventType, protowire.VarintType, []byte("abc")), hash)),
		"invalid utf-8":                 commitOf(record(field(envEventType, protowire.BytesType, []byte{0xff, 0xfe}), hash)),
		"invalid utf-8 in actor":        commitOf(record(field(envActor, protowire.BytesType, field(3, protowire.BytesType, []byte{0xc3})), hash)),
		"empty prev hash":               commitOf(record(field(envPrevHash, protowire.BytesType, nil), hash)),
		"empty timestamp":               commitOf(record(field(envOccurredAt, protowire.BytesType, nil), hash)),
		"negative nanos":                commitOf(record(field(envOccurredAt, protowire.BytesType, protowire.AppendVarint(protowire.AppendTag(nil, 2, protowire.VarintType), 1<<63)), hash)),
		"schema version over 32 bits":   commitOf(record(protowire.AppendVarint(protowire.AppendTag(nil, envSchemaVersion, protowire.VarintType), 1<<33+3), hash)),
		"empty sealed":                  commitOf(record(field(envSealed, protowire.BytesType, nil), hash)),
		"truncated envelope":            commitOf(record(full[:len(full)-3], hash)),
		"truncated commit":              commitOf(record(full, hash))[:20],
		"unknown commit field":          cat(commitOf(record(full, hash)), field(2, protowire.BytesType, []byte("x"))),
		"unknown record field":          commitOf(cat(record(full, hash), field(3, protowire.VarintType, nil))),
		"hash twice":                    commitOf(cat(record(full, hash), field(2, protowire.BytesType, []byte("h2")))),
		"records as varint":             field(1, protowire.VarintType, []byte("xx")),
		"group in envelope":             commitOf(record(protowire.AppendTag(nil, envTenant, protowire.StartGroupType), hash)),
		"field number zero":             commitOf(record([]byte{0x02, 0x00}, hash)),
		"huge field number in envelope": commitOf(record(field(1<<28, protowire.BytesType, []byte("x")), hash)),
	}
}

// TestDecodeEnvelopeMatchesProto holds DecodeCommit to proto.Unmarshal's result, or its failure,
// on both sides of what the fast path accepts.
func TestDecodeEnvelopeMatchesProto(t *testing.T) {
	for name, data := range decodeCases(t) {
		t.Run(name, func(t *testing.T) { checkDecodeMatchesReference(t, data) })
	}
}

// FuzzDecodeEnvelope runs the cases above as its seeds under `go test`; `go test -fuzz` explores.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, data := range decodeCases(f) {
		f.Add(data)
	}
	f.Fuzz(checkDecodeMatchesReference)
}

// TestDecodedEventsDoNotShareWritableMemory: Canonical and Hash alias the message, so appending to
// one must not overwrite the other.
func TestDecodedEventsDoNotShareWritableMemory(t *testing.T) {
	data := commitOf(record(fullEnvelope(t), bytes.Repeat([]byte{1}, HashSize)), record(fullEnvelope(t), bytes.Repeat([]byte{2}, HashSize)))
	events, err := DecodeCommit(data)
	if err != nil {
		t.Fatal(err)
	}
	before := bytes.Clone(events[0].Hash)
	_ = append(events[0].Canonical, 0xee, 0xee, 0xee)
	_ = append(events[0].Hash, 0xee, 0xee, 0xee)
	if !bytes.Equal(events[0].Hash, before) || events[1].Index != 1 {
		t.Fatal("appending to a decoded event's bytes overwrote the message")
	}
	if _, err := DecodeCommit(data); err != nil {
		t.Fatalf("message changed by appends to its decoded events: %v", err)
	}
}

// TestAppendRecordEncodesACommit: the body Append writes with protowire is the Commit message
// proto.Marshal would write, and its spans are each record's envelope and hash.
func TestAppendRecordEncodesACommit(t *testing.T) {
	var envs []*eventv1.Envelope
	var body []byte
	var spans []recordSpan
	for i := range 3 {
		env := &eventv1.Envelope{}
		populate(env.ProtoReflect(), i)
		env.EventType = strings.Repeat("x", 100*i) // records of different sizes, beyond one-byte lengths
		envs = append(envs, env)
		var sp recordSpan
		var err error
		if body, sp, err = appendRecord(body, env, 2-i); err != nil {
			t.Fatal(err)
		}
		spans = append(spans, sp)
	}
	want := &eventv1.Commit{}
	for i, env := range envs {
		canonical, err := proto.MarshalOptions{Deterministic: true}.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(canonical)
		want.Records = append(want.Records, &eventv1.Record{Envelope: canonical, Hash: sum[:]})
		if sp := spans[i]; !bytes.Equal(slice(body, sp.canonical), canonical) || !bytes.Equal(slice(body, sp.hash), sum[:]) {
			t.Fatalf("record %d: spans do not hold its envelope and hash", i)
		}
	}
	wantBody, err := proto.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, wantBody) {
		t.Fatalf("body\n%x\nproto.Marshal\n%x", body, wantBody)
	}
}

func TestIsTokenIsTheTokenPattern(t *testing.T) {
	for _, s := range []string{"", "a", "p-1", "A_z-09", "petition", strings.Repeat("x", 128), strings.Repeat("x", 129),
		"a.b", "a b", "a/b", "é", "a\n", "-", "_", "a*", "ev.city", "\x00", "Z9"} {
		if got, want := isToken(s), token.MatchString(s); got != want {
			t.Errorf("isToken(%q) = %v, token says %v", s, got, want)
		}
	}
}
