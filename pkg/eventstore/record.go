package eventstore

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
)

// HashSize is the length of a record hash (SHA-256).
const HashSize = sha256.Size

// GenesisHash is the prev_hash of an aggregate's first event.
var GenesisHash = make([]byte, HashSize)

// Event is a fact a command wants recorded: what happened, to be wrapped in an envelope by Append.
type Event struct {
	// Type is the past-tense name, e.g. "PetitionRegistered"; empty means the payload's message name.
	Type string
	// SchemaVersion of the payload's shape; 0 means 1.
	SchemaVersion uint32
	// OccurredAt is business time as the command stated it; zero means the store's clock.
	OccurredAt time.Time
	// Payload is the typed event message.
	Payload proto.Message
	// Sealed carries personal data sealed per data subject (pkg/seal).
	Sealed []*eventv1.SealedData
}

// Metadata is what every event of one command shares.
type Metadata struct {
	// CommandID is the client-chosen idempotency key; required.
	CommandID     string
	CorrelationID string
	CausationID   string
	Actor         *eventv1.Actor
	Trace         *eventv1.TraceContext
}

// StoredEvent is one recorded event as read back from the log.
type StoredEvent struct {
	// Envelope is the decoded canonical bytes.
	Envelope *eventv1.Envelope
	// Canonical is the exact stored envelope bytes the hash covers.
	Canonical []byte
	// Hash is the stored SHA-256 of Canonical.
	Hash []byte
	// Seq is the stream sequence of the commit message that holds the event.
	Seq uint64
	// Index is the event's position within its commit.
	Index int
}

// Version is the event's position in its aggregate's history.
func (e StoredEvent) Version() uint64 { return e.Envelope.GetAggregateVersion() }

// Commit is one message of the log: the events one command appended to one aggregate.
type Commit struct {
	Seq       uint64
	Subject   string
	MsgID     string
	Time      time.Time
	Aggregate Aggregate
	Events    []StoredEvent
}

// Last is the last event of the commit.
func (c Commit) Last() StoredEvent { return c.Events[len(c.Events)-1] }

// canonicalEncoding is how envelopes are serialised at write time (envelope.proto: deterministic).
// The hash covers the bytes as stored, so verifying never re-encodes; UseCachedSize reuses the
// sizes appendRecord computed a moment before for the length prefix.
var canonicalEncoding = proto.MarshalOptions{Deterministic: true, UseCachedSize: true}

// recordSpan is where a record's canonical envelope bytes and its hash lie in a commit body.
type recordSpan struct{ canonical, hash [2]int }

// appendRecord appends env as the next Record of a Commit body (records = 1; Record: envelope = 1,
// hash = 2): Append builds the published body this way, so the stored events' bytes are neither
// copied nor decoded back. body's capacity is grown for `more` records of about this size after it.
func appendRecord(body []byte, env *eventv1.Envelope, more int) ([]byte, recordSpan, error) {
	n := canonicalEncoding.Size(env)
	recLen := protowire.SizeTag(1) + protowire.SizeBytes(n) + protowire.SizeTag(2) + protowire.SizeBytes(HashSize)
	body = slices.Grow(body, (1+more)*(protowire.SizeTag(1)+protowire.SizeBytes(recLen)))
	body = protowire.AppendTag(body, 1, protowire.BytesType)
	body = protowire.AppendVarint(body, uint64(recLen))
	body = protowire.AppendTag(body, 1, protowire.BytesType)
	body = protowire.AppendVarint(body, uint64(n))
	start := len(body)
	body, err := canonicalEncoding.MarshalAppend(body, env)
	if err != nil {
		return nil, recordSpan{}, fmt.Errorf("marshal envelope: %w", err)
	}
	if len(body)-start != n {
		return nil, recordSpan{}, fmt.Errorf("marshal envelope: %d bytes, sized %d (changed while appending?)", len(body)-start, n)
	}
	sum := sha256.Sum256(body[start:])
	body = protowire.AppendTag(body, 2, protowire.BytesType)
	body = protowire.AppendBytes(body, sum[:])
	return body, recordSpan{canonical: [2]int{start, start + n}, hash: [2]int{len(body) - HashSize, len(body)}}, nil
}

// slice is body's part at span, with no room to append into what follows.
func slice(body []byte, span [2]int) []byte { return body[span[0]:span[1]:span[1]] }

// envelopeBlock allocates an envelope together with the messages every envelope carries.
type envelopeBlock struct {
	env                eventv1.Envelope
	occurred, recorded timestamppb.Timestamp
	payload            anypb.Any
}

// newEnvelope wraps ev. The messages of meta and ev are used as they are, so the caller passes
// copies it owns (Append clones them once per command).
func newEnvelope(tenant string, agg Aggregate, version uint64, ev Event, meta Metadata, id string, now time.Time, prevHash []byte) (*eventv1.Envelope, error) {
	blk := &envelopeBlock{}
	if err := anypb.MarshalFrom(&blk.payload, ev.Payload, proto.MarshalOptions{}); err != nil {
		return nil, fmt.Errorf("pack payload: %w", err)
	}
	typ := ev.Type
	if typ == "" {
		typ = string(ev.Payload.ProtoReflect().Descriptor().Name())
	}
	sv := ev.SchemaVersion
	if sv == 0 {
		sv = 1
	}
	occurred := ev.OccurredAt
	if occurred.IsZero() {
		occurred = now
	}
	blk.occurred = timestamppb.Timestamp{Seconds: occurred.Unix(), Nanos: int32(occurred.Nanosecond())}
	blk.recorded = timestamppb.Timestamp{Seconds: now.Unix(), Nanos: int32(now.Nanosecond())}
	env := &blk.env
	env.EventId = id
	env.Tenant = tenant
	env.AggregateType = agg.Type
	env.AggregateId = agg.ID
	env.AggregateVersion = version
	env.EventType = typ
	env.SchemaVersion = sv
	env.OccurredAt = &blk.occurred
	env.RecordedAt = &blk.recorded
	env.Actor = meta.Actor
	env.CommandId = meta.CommandID
	env.CorrelationId = meta.CorrelationID
	env.CausationId = meta.CausationID
	env.Trace = meta.Trace
	env.Payload = &blk.payload
	env.Sealed = ev.Sealed
	env.PrevHash = prevHash
	return env, nil
}

// ChainError names the event where an aggregate's hash chain breaks.
type ChainError struct {
	Aggregate Aggregate
	Version   uint64
	Seq       uint64
	Reason    string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("hash chain broken at %s/%s version %d (stream sequence %d): %s",
		e.Aggregate.Type, e.Aggregate.ID, e.Version, e.Seq, e.Reason)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *ChainError) Unwrap() error { return ErrCorrupt }

// ChainVerifier checks hash chains event by event, for any number of aggregates, in log order.
// It keeps only each aggregate's last version and hash.
type ChainVerifier struct {
	tails map[Aggregate]tail
}

type tail struct {
	version uint64
	hash    [HashSize]byte
}

// NewChainVerifier returns a verifier with no aggregates seen.
func NewChainVerifier() *ChainVerifier { return &ChainVerifier{tails: map[Aggregate]tail{}} }

// Check verifies the next event in log order: its hash covers its bytes, its version follows the
// aggregate's previous one with no gap, and its prev_hash is the previous event's hash.
func (v *ChainVerifier) Check(ev StoredEvent) error {
	env := ev.Envelope
	agg := Aggregate{Type: env.GetAggregateType(), ID: env.GetAggregateId()}
	fail := func(format string, args ...any) error {
		return &ChainError{Aggregate: agg, Version: env.GetAggregateVersion(), Seq: ev.Seq, Reason: fmt.Sprintf(format, args...)}
	}
	sum := sha256.Sum256(ev.Canonical)
	if !bytes.Equal(sum[:], ev.Hash) {
		return fail("stored hash %x does not match the event's bytes (%x)", ev.Hash, sum)
	}
	prev, seen := v.tails[agg]
	want := prev.version + 1
	if env.GetAggregateVersion() != want {
		return fail("version %d follows version %d", env.GetAggregateVersion(), prev.version)
	}
	wantPrev := GenesisHash
	if seen {
		wantPrev = prev.hash[:]
	}
	if !bytes.Equal(env.GetPrevHash(), wantPrev) {
		return fail("prev_hash %x is not the hash of version %d (%x)", env.GetPrevHash(), prev.version, wantPrev)
	}
	v.tails[agg] = tail{version: env.GetAggregateVersion(), hash: sum}
	return nil
}

// Aggregates is how many aggregates the verifier has seen.
func (v *ChainVerifier) Aggregates() int { return len(v.tails) }

// VerifyChain checks one aggregate's complete history, as Load returns it.
func VerifyChain(events []StoredEvent) error {
	v := NewChainVerifier()
	for _, ev := range events {
		if err := v.Check(ev); err != nil {
			return err
		}
	}
	return nil
}
