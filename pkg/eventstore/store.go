// Package eventstore is the log of record: one JetStream stream per tenant, one subject per aggregate
// (`ev.<tenant>.<aggregate type>.<aggregate id>`), one message per command.
//
// A message is a Commit holding every event the command produced for the aggregate, so a
// multi-event command is atomic on any JetStream version. Optimistic concurrency rides on the
// server's expected-last-subject-sequence check; idempotency on the command id, which becomes the
// message's Nats-Msg-Id. Every event carries a per-aggregate SHA-256 hash chain over its canonical
// bytes (see envelope.proto), so a changed or missing event is detectable by anyone holding the log.
package eventstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
)

var (
	// ErrConcurrency means the aggregate moved on since the caller read it: reload and decide again.
	ErrConcurrency = errors.New("eventstore: aggregate was changed concurrently")
	// ErrCorrupt means stored bytes do not decode or do not verify.
	ErrCorrupt = errors.New("eventstore: corrupt record")
	// ErrInvalid means the append request itself is malformed (a programming error, not user input).
	ErrInvalid = errors.New("eventstore: invalid append")
)

// JetStream API error codes that mean "wrong last sequence": 10071 on a single server, 10164 (the
// constant form) on replicated streams.
const (
	codeWrongLastSeq         jetstream.ErrorCode = 10071
	codeWrongLastSeqConstant jetstream.ErrorCode = 10164
)

// Header names the store adds to each message. They are conveniences for consumers and operators;
// nothing in them is covered by the hash chain.
const (
	HeaderEventTypes   = "Civicase-Event-Types"
	HeaderFirstVersion = "Civicase-First-Version"
	HeaderLastVersion  = "Civicase-Last-Version"
)

var token = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// isToken is token.MatchString without the regexp machinery, which cost as much as hashing an
// event on every append.
func isToken(s string) bool {
	if len(s) < 1 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Aggregate names one aggregate instance.
type Aggregate struct {
	Type string
	ID   string
}

func (a Aggregate) String() string { return a.Type + "/" + a.ID }

func (a Aggregate) validate() error {
	if !isToken(a.Type) || !isToken(a.ID) {
		return fmt.Errorf("%w: aggregate %q/%q: type and id must match %s", ErrInvalid, a.Type, a.ID, token)
	}
	return nil
}

// Config configures a tenant's stream.
type Config struct {
	// Tenant is the city or province deployment; it names the stream and the subjects.
	Tenant string
	// Replicas is 1 on a single node (then the server must run with SyncAlways for durability) and 3
	// on a cluster.
	Replicas int
	// DuplicateWindow is how long the server remembers message ids; 0 means 10 minutes. Beyond it a
	// retried command is still recognised by its command id in the aggregate's history (Execute).
	DuplicateWindow time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Store appends to and reads from one tenant's stream.
type Store struct {
	js      jetstream.JetStream
	nc      *nats.Conn
	tenant  string
	stream  string
	subject string // subject prefix: "ev.<tenant>."
	now     func() time.Time
}

// StreamName is the JetStream stream holding a tenant's log.
func StreamName(tenant string) string { return "EV-" + tenant }

// StreamConfig is the configuration of a tenant's stream: file storage, nothing ever deleted or
// purged, no limits, direct get for fast aggregate loads.
func StreamConfig(cfg Config) jetstream.StreamConfig {
	replicas := cfg.Replicas
	if replicas == 0 {
		replicas = 1
	}
	dup := cfg.DuplicateWindow
	if dup == 0 {
		dup = 10 * time.Minute
	}
	return jetstream.StreamConfig{
		Name:        StreamName(cfg.Tenant),
		Description: "civicase event log of tenant " + cfg.Tenant,
		Subjects:    []string{"ev." + cfg.Tenant + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		MaxAge:      0,
		Discard:     jetstream.DiscardNew,
		Replicas:    replicas,
		Duplicates:  dup,
		DenyDelete:  true,
		DenyPurge:   true,
		AllowDirect: true,
	}
}

// Open creates the tenant's stream if needed (or updates its mutable settings) and returns a store.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Store, error) {
	if !token.MatchString(cfg.Tenant) {
		return nil, fmt.Errorf("%w: tenant %q must match %s", ErrInvalid, cfg.Tenant, token)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	if _, err := js.CreateOrUpdateStream(ctx, StreamConfig(cfg)); err != nil {
		return nil, fmt.Errorf("stream %s: %w", StreamName(cfg.Tenant), err)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Store{js: js, nc: nc, tenant: cfg.Tenant, stream: StreamName(cfg.Tenant), subject: "ev." + cfg.Tenant + ".", now: now}, nil
}

// Tenant is the store's tenant.
func (s *Store) Tenant() string { return s.tenant }

// Stream is the name of the tenant's stream.
func (s *Store) Stream() string { return s.stream }

// JetStream is the underlying JetStream context, for consumers (projections, audit).
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// Subject is the subject of an aggregate.
func (s *Store) Subject(a Aggregate) string { return s.subject + a.Type + "." + a.ID }

// SubjectsOf is the wildcard subject of every aggregate of a type.
func (s *Store) SubjectsOf(aggregateType string) string { return s.subject + aggregateType + ".*" }

// AggregateOf parses an aggregate from a subject of this store.
func (s *Store) AggregateOf(subject string) (Aggregate, bool) { return ParseSubject(subject) }

// ParseSubject parses `ev.<tenant>.<type>.<id>`.
func ParseSubject(subject string) (Aggregate, bool) {
	var parts [4]string
	n, start := 0, 0
	for i := 0; i <= len(subject); i++ {
		if i == len(subject) || subject[i] == '.' {
			if n == 4 {
				return Aggregate{}, false
			}
			parts[n] = subject[start:i]
			n++
			start = i + 1
		}
	}
	if n != 4 || parts[0] != "ev" {
		return Aggregate{}, false
	}
	return Aggregate{Type: parts[2], ID: parts[3]}, true
}

// Tail is where an aggregate's history ends: what the next append must follow.
type Tail struct {
	// Version of the last event; 0 for an aggregate with no events.
	Version uint64
	// Seq is the stream sequence of the aggregate's last commit; 0 for none.
	Seq uint64
	// Hash of the last event; nil for none.
	Hash []byte
}

// Result is what an append recorded.
type Result struct {
	Commit
	// Duplicate is true when the command had already been recorded and nothing new was appended;
	// Commit is then the original one.
	Duplicate bool
}

// Tail is the position after the appended commit.
func (r Result) Tail() Tail {
	last := r.Last()
	return Tail{Version: last.Version(), Seq: r.Seq, Hash: last.Hash}
}

// Append records the events of one command for one aggregate, atomically, after expected — the tail
// the caller decided on. It returns ErrConcurrency if the aggregate has moved on. Retrying a command
// with the same command id returns the original commit and appends nothing, also when the retry
// carries a stale tail.
func (s *Store) Append(ctx context.Context, agg Aggregate, expected Tail, meta Metadata, events ...Event) (Result, error) {
	if err := agg.validate(); err != nil {
		return Result{}, err
	}
	if meta.CommandID == "" || len(events) == 0 {
		return Result{}, fmt.Errorf("%w: a command id and at least one event are required", ErrInvalid)
	}
	now := s.now().UTC()
	prev := expected.Hash
	if expected.Version == 0 {
		prev = GenesisHash
	}
	// The result holds the envelopes as built rather than decoded back from the body; they get
	// their own copies of the caller's messages, as a decoded envelope would have.
	if meta.Actor != nil {
		meta.Actor = proto.CloneOf(meta.Actor)
	}
	if meta.Trace != nil {
		meta.Trace = proto.CloneOf(meta.Trace)
	}
	stored := make([]StoredEvent, len(events))
	spans := make([]recordSpan, len(events))
	var body []byte
	for i, ev := range events {
		if ev.Payload == nil {
			return Result{}, fmt.Errorf("%w: event %d has no payload", ErrInvalid, i)
		}
		id, err := uuid.NewV7()
		if err != nil {
			return Result{}, err
		}
		if len(ev.Sealed) > 0 {
			sealed := make([]*eventv1.SealedData, len(ev.Sealed))
			for j, sd := range ev.Sealed {
				sealed[j] = proto.CloneOf(sd)
			}
			ev.Sealed = sealed
		}
		env, err := newEnvelope(s.tenant, agg, expected.Version+uint64(i)+1, ev, meta, id.String(), now, prev)
		if err != nil {
			return Result{}, err
		}
		if body, spans[i], err = appendRecord(body, env, len(events)-i-1); err != nil {
			return Result{}, err
		}
		stored[i] = StoredEvent{Envelope: env, Index: i}
		prev = bytes.Clone(slice(body, spans[i].hash))
	}
	for i, sp := range spans { // body has stopped moving
		stored[i].Canonical, stored[i].Hash = slice(body, sp.canonical), slice(body, sp.hash)
	}
	msg := nats.NewMsg(s.Subject(agg))
	msg.Data = body
	msgID := MsgID(meta.CommandID, agg)
	msg.Header.Set(HeaderEventTypes, eventTypes(stored))
	msg.Header.Set(HeaderFirstVersion, strconv.FormatUint(expected.Version+1, 10))
	msg.Header.Set(HeaderLastVersion, strconv.FormatUint(expected.Version+uint64(len(events)), 10))
	if meta.Trace != nil && meta.Trace.Traceparent != "" {
		msg.Header.Set("traceparent", meta.Trace.Traceparent)
		if meta.Trace.Tracestate != "" {
			msg.Header.Set("tracestate", meta.Trace.Tracestate)
		}
	}
	ack, err := s.js.PublishMsg(ctx, msg, jetstream.WithMsgID(msgID), jetstream.WithExpectLastSequencePerSubject(expected.Seq))
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && (apiErr.ErrorCode == codeWrongLastSeq || apiErr.ErrorCode == codeWrongLastSeqConstant) {
			// The server checks the expected sequence before de-duplication, so a retry of a command that
			// did go through lands here: look for it before calling this a conflict.
			if orig, found, ferr := s.findCommand(ctx, agg, msgID); ferr != nil {
				return Result{}, ferr
			} else if found {
				return Result{Commit: orig, Duplicate: true}, nil
			}
			return Result{}, fmt.Errorf("%w: %s expected version %d", ErrConcurrency, agg, expected.Version)
		}
		return Result{}, fmt.Errorf("append %s: %w", agg, err)
	}
	if ack.Duplicate {
		orig, err := s.commitAt(ctx, ack.Sequence)
		if err != nil {
			return Result{}, err
		}
		return Result{Commit: orig, Duplicate: true}, nil
	}
	for i := range stored {
		stored[i].Seq = ack.Sequence
	}
	return Result{Commit: Commit{Seq: ack.Sequence, Subject: msg.Subject, MsgID: msgID, Time: now, Aggregate: agg, Events: stored}}, nil
}

// MsgID is the Nats-Msg-Id of a command's commit to an aggregate. A command may touch several
// aggregates (a merger ends one unit and extends another), so the id is scoped by aggregate.
func MsgID(commandID string, agg Aggregate) string {
	return commandID + "@" + agg.Type + "." + agg.ID
}

func eventTypes(events []StoredEvent) string {
	if len(events) == 1 {
		return events[0].Envelope.EventType
	}
	out := make([]byte, 0, 32*len(events))
	for i, ev := range events {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, ev.Envelope.EventType...)
	}
	return string(out)
}

// History is an aggregate's events in order and where they end.
type History struct {
	Aggregate Aggregate
	Events    []StoredEvent
	Commits   []Commit
	Tail      Tail
}

// HasCommand returns the commit a command produced, if it is in this history.
func (h History) HasCommand(commandID string) (Commit, bool) {
	id := MsgID(commandID, h.Aggregate)
	for _, c := range h.Commits {
		if c.MsgID == id {
			return c, true
		}
	}
	return Commit{}, false
}

// Load reads an aggregate's whole history in one batched direct get. An aggregate with no events
// has an empty history and a zero Tail.
func (s *Store) Load(ctx context.Context, agg Aggregate) (History, error) {
	if err := agg.validate(); err != nil {
		return History{}, err
	}
	h := History{Aggregate: agg}
	err := s.directGet(ctx, s.Subject(agg), 1, func(c Commit) error {
		h.Commits = append(h.Commits, c)
		h.Events = append(h.Events, c.Events...)
		return nil
	})
	if err != nil {
		return History{}, err
	}
	if n := len(h.Commits); n > 0 {
		last := h.Commits[n-1].Last()
		h.Tail = Tail{Version: last.Version(), Seq: h.Commits[n-1].Seq, Hash: last.Hash}
	}
	return h, nil
}

// findCommand looks for the commit with a message id in an aggregate's history.
func (s *Store) findCommand(ctx context.Context, agg Aggregate, msgID string) (Commit, bool, error) {
	h, err := s.Load(ctx, agg)
	if err != nil {
		return Commit{}, false, err
	}
	for _, c := range h.Commits {
		if c.MsgID == msgID {
			return c, true, nil
		}
	}
	return Commit{}, false, nil
}

// commitAt reads the commit at a stream sequence.
func (s *Store) commitAt(ctx context.Context, seq uint64) (Commit, error) {
	stream, err := s.js.Stream(ctx, s.stream)
	if err != nil {
		return Commit{}, err
	}
	raw, err := stream.GetMsg(ctx, seq)
	if err != nil {
		return Commit{}, fmt.Errorf("read commit %d: %w", seq, err)
	}
	return decodeMessage(raw.Subject, raw.Sequence, raw.Time, raw.Header, raw.Data)
}

func decodeMessage(subject string, seq uint64, t time.Time, hdr nats.Header, data []byte) (Commit, error) {
	agg, ok := ParseSubject(subject)
	if !ok {
		return Commit{}, fmt.Errorf("%w: subject %q at sequence %d", ErrCorrupt, subject, seq)
	}
	events, err := DecodeCommit(data)
	if err != nil {
		return Commit{}, fmt.Errorf("sequence %d: %w", seq, err)
	}
	for i := range events {
		events[i].Seq = seq
	}
	return Commit{Seq: seq, Subject: subject, MsgID: hdr.Get(jetstream.MsgIDHeader), Time: t, Aggregate: agg, Events: events}, nil
}

// DecodeMessage parses a consumed JetStream message into a commit.
func DecodeMessage(m jetstream.Msg) (Commit, error) {
	md, err := m.Metadata()
	if err != nil {
		return Commit{}, err
	}
	return DecodeConsumed(m, md)
}

// DecodeConsumed is DecodeMessage for a consumer that has already read the message's metadata:
// parsing it again from the reply subject costs as much as a good part of the decoding.
func DecodeConsumed(m jetstream.Msg, md *jetstream.MsgMetadata) (Commit, error) {
	return decodeMessage(m.Subject(), md.Sequence.Stream, md.Timestamp, m.Headers(), m.Data())
}
