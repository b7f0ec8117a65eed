package bench

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/civicase/civicase/pkg/eventstore"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
	"github.com/civicase/civicase/services/audit/auditlog"
)

// AuditEventsEnv sets how many events the audit scenario verifies (default 1,000,000).
const AuditEventsEnv = "CIVICASE_BENCH_AUDIT_EVENTS"

// runAudit measures `civicase audit verify` — read the whole log, check every hash chain, build
// the Merkle tree, compare its root with a signed checkpoint — against the raw engines under it in
// the same run: reading the same stream with a raw ordered consumer and SHA-256 over each message,
// reading it as verify does (auditlog.ScanLog) and SHA-256 over each message, and SHA-256 alone
// over the same bytes in memory. The log is generated with PublishAsync on a
// server without SyncAlways (fast to build; reading does not depend on it): ten events per
// aggregate, one event per commit, a 300-byte payload as in the append scenario.
func runAudit(ctx context.Context, cfg Config, dir string) error {
	n := 1_000_000
	if s := os.Getenv(AuditEventsEnv); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			return fmt.Errorf("%s=%q must be a positive number", AuditEventsEnv, s)
		}
		n = v
	}
	store, _, stop, err := embeddedStore(ctx, dir, false)
	if err != nil {
		return err
	}
	defer stop()

	genStart := time.Now()
	cp, bytesTotal, err := generateAuditLog(ctx, store, n)
	if err != nil {
		return err
	}
	gen := time.Since(genStart)
	skey, vkey, err := auditlog.GenerateKey(cp.Origin)
	if err != nil {
		return err
	}
	note, err := auditlog.Sign(cp, skey)
	if err != nil {
		return err
	}

	// Raw: the same stream through a raw ordered consumer, SHA-256 over each message's bytes. The
	// first 64 MB of message bodies are kept for the in-memory SHA-256 baseline.
	var sample [][]byte
	sampleBytes := 0
	rawStart := time.Now()
	msgs, err := rawRead(ctx, store.JetStream(), store.Stream(), func(data []byte) {
		sum := sha256.Sum256(data)
		_ = sum
		if sampleBytes < 64<<20 {
			sample = append(sample, append([]byte(nil), data...))
			sampleBytes += len(data)
		}
	})
	if err != nil {
		return err
	}
	raw := time.Since(rawStart)
	runtime.GC()

	// Raw: the same stream read the way verify reads it (auditlog.ScanLog: a push consumer without
	// acknowledgements), SHA-256 over each message's bytes, nothing else.
	scanStart := time.Now()
	scanned, err := scanRead(ctx, store.JetStream(), store.Stream(), func(data []byte) {
		sum := sha256.Sum256(data)
		_ = sum
	})
	if err != nil {
		return err
	}
	scan := time.Since(scanStart)
	if scanned != msgs {
		return fmt.Errorf("the scan read %d messages, the ordered consumer %d", scanned, msgs)
	}

	// SHA-256 alone over as many messages of the same bytes, cycling through the sample.
	shaStart := time.Now()
	for i := range msgs {
		sum := sha256.Sum256(sample[i%len(sample)])
		_ = sum
	}
	sha := time.Since(shaStart)
	sample = nil
	runtime.GC()

	// civicase: the auditor's verification, checkpoint signature included.
	verifyStart := time.Now()
	signed, err := auditlog.Open([]byte(note), vkey, cp.Origin)
	if err != nil {
		return err
	}
	v, err := auditlog.VerifyLog(ctx, store.JetStream(), store.Stream(), auditlog.LogOptions{})
	if err != nil {
		return err
	}
	r := v.Check(ctx, signed, auditlog.CheckOptions{})
	ours := time.Since(verifyStart)
	if !r.OK() {
		return fmt.Errorf("generated log does not verify: %w", r.Err())
	}

	perSec := func(d time.Duration) string { return fmt.Sprintf("%.0f", float64(n)/d.Seconds()) }
	mbps := func(d time.Duration) string { return fmt.Sprintf("%.0f", float64(bytesTotal)/d.Seconds()/1e6) }
	fmt.Fprintf(cfg.Out, "## audit verify (%d events in %d messages, %d aggregates, %.0f MB; log generated in %s)\n\n",
		n, msgs, r.Aggregates, float64(bytesTotal)/1e6, gen.Round(time.Millisecond))
	table(cfg.Out, []string{"what", "time", "events/s", "MB/s", "verify's ratio to it"}, [][]string{
		{"SHA-256 of the same bytes, in memory", sha.Round(time.Millisecond).String(), perSec(sha), mbps(sha), fmt.Sprintf("%.2f", sha.Seconds()/ours.Seconds())},
		{"raw ordered consumer + SHA-256 per message", raw.Round(time.Millisecond).String(), perSec(raw), mbps(raw), fmt.Sprintf("%.2f", raw.Seconds()/ours.Seconds())},
		{"raw push consumer without acks (verify's read) + SHA-256 per message", scan.Round(time.Millisecond).String(), perSec(scan), mbps(scan), fmt.Sprintf("%.2f", scan.Seconds()/ours.Seconds())},
		{"civicase audit verify (chains + Merkle root + signature)", ours.Round(time.Millisecond).String(), perSec(ours), mbps(ours), "1.00"},
	})
	return nil
}

// generateAuditLog publishes n events with valid hash chains and returns the checkpoint of their
// tree, computed while generating, and the bytes published.
func generateAuditLog(ctx context.Context, store *eventstore.Store, n int) (auditlog.Checkpoint, int64, error) {
	payload := make([]byte, 300)
	_, _ = rand.Read(payload)
	body, err := anypb.New(wrapperspb.Bytes(payload))
	if err != nil {
		return auditlog.Checkpoint{}, 0, err
	}
	aggregates := max(n/10, 1)
	type tail struct {
		version uint64
		hash    []byte
	}
	tails := make([]tail, aggregates)
	ids := make([]string, aggregates)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	var tree auditlog.Tree
	var total int64
	now := timestamppb.Now()
	actor := &eventv1.Actor{Subject: "bench-user", Role: "reception_officer", Unit: "W01"}
	js := store.JetStream()
	for i := range n {
		a := i % aggregates
		prev := tails[a].hash
		if prev == nil {
			prev = eventstore.GenesisHash
		}
		id, _ := uuid.NewV7()
		env := &eventv1.Envelope{
			EventId: id.String(), Tenant: store.Tenant(), AggregateType: "petition", AggregateId: ids[a],
			AggregateVersion: tails[a].version + 1, EventType: "NoteRecorded", SchemaVersion: 1,
			OccurredAt: now, RecordedAt: now, Actor: actor, CommandId: id.String(), Payload: body, PrevHash: prev,
		}
		canonical, err := proto.MarshalOptions{Deterministic: true}.Marshal(env)
		if err != nil {
			return auditlog.Checkpoint{}, 0, err
		}
		sum := sha256.Sum256(canonical)
		data, err := proto.Marshal(&eventv1.Commit{Records: []*eventv1.Record{{Envelope: canonical, Hash: sum[:]}}})
		if err != nil {
			return auditlog.Checkpoint{}, 0, err
		}
		// The headers eventstore.Append writes, so that reading parses what it parses on a real log.
		msg := &nats.Msg{Subject: store.Subject(eventstore.Aggregate{Type: "petition", ID: ids[a]}), Data: data, Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, eventstore.MsgID(env.CommandId, eventstore.Aggregate{Type: "petition", ID: ids[a]}))
		msg.Header.Set(eventstore.HeaderEventTypes, env.EventType)
		msg.Header.Set(eventstore.HeaderFirstVersion, strconv.FormatUint(env.AggregateVersion, 10))
		msg.Header.Set(eventstore.HeaderLastVersion, strconv.FormatUint(env.AggregateVersion, 10))
		for {
			_, err := js.PublishMsgAsync(msg)
			if errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
				// A loaded machine: let the acknowledgements catch up, then go on.
				select {
				case <-js.PublishAsyncComplete():
				case <-ctx.Done():
					return auditlog.Checkpoint{}, 0, ctx.Err()
				}
				continue
			}
			if err != nil {
				return auditlog.Checkpoint{}, 0, err
			}
			break
		}
		tails[a] = tail{version: env.AggregateVersion, hash: sum[:]}
		// The stream is new and every message is one commit, so message i has sequence i+1.
		if err := tree.Append(auditlog.LeafHash(uint64(i+1), 0, canonical)); err != nil {
			return auditlog.Checkpoint{}, 0, err
		}
		total += int64(len(data))
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		return auditlog.Checkpoint{}, 0, ctx.Err()
	}
	if last, err := store.LastSeq(ctx); err != nil || last != uint64(n) {
		return auditlog.Checkpoint{}, 0, fmt.Errorf("published %d messages, the stream holds %d (%v)", n, last, err)
	}
	root, err := tree.Root(tree.Size())
	if err != nil {
		return auditlog.Checkpoint{}, 0, err
	}
	return auditlog.Checkpoint{Origin: auditlog.Origin(store.Tenant()), Size: tree.Size(), Root: root}, total, nil
}

// scanRead reads a whole stream as VerifyLog does (auditlog.ScanLog) and hands each message's
// bytes to fn. It returns how many messages it read.
func scanRead(ctx context.Context, js jetstream.JetStream, stream string, fn func([]byte)) (int, error) {
	_, last, err := lastSeq(ctx, js, stream)
	if err != nil {
		return 0, err
	}
	n := 0
	err = auditlog.ScanLog(ctx, js, stream, last, auditlog.ScanOptions{}, func(msgs []auditlog.RawMessage) error {
		for _, m := range msgs {
			fn(m.Data)
		}
		n += len(msgs)
		return nil
	})
	return n, err
}

// rawRead reads a whole stream with an ordered consumer, the usual way to read a stream, and
// hands each message's bytes to fn. It returns how many messages it read.
func rawRead(ctx context.Context, js jetstream.JetStream, stream string, fn func([]byte)) (int, error) {
	s, last, err := lastSeq(ctx, js, stream)
	if err != nil {
		return 0, err
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return 0, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(4096))
	if err != nil {
		return 0, err
	}
	defer it.Stop()
	n := 0
	for {
		m, err := it.Next()
		if err != nil {
			return n, err
		}
		fn(m.Data())
		n++
		md, err := m.Metadata()
		if err != nil {
			return n, err
		}
		if md.Sequence.Stream >= last {
			return n, nil
		}
	}
}

// lastSeq is the stream and its last sequence as of now: where a whole-stream read stops.
func lastSeq(ctx context.Context, js jetstream.JetStream, stream string) (jetstream.Stream, uint64, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, 0, err
	}
	return s, info.State.LastSeq, nil
}
