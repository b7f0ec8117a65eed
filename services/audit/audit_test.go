package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/eventstore"
	auditv1 "github.com/civicase/civicase/proto/gen/civicase/audit/v1"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
	"github.com/civicase/civicase/services/audit"
	"github.com/civicase/civicase/services/audit/auditlog"
)

func TestSequencerBuildsTheTreeAndProofsVerify(t *testing.T) {
	ctx := context.Background()
	d := start(t)
	n := appendHistory(t, d.store, "p", 4, 5)
	d.waitSequenced(t, int64(n))
	cp, _ := d.publish(t)
	if cp.Size != int64(n) || cp.Origin != "civicase.test" {
		t.Fatalf("checkpoint %v, want %d leaves of civicase.test", cp, n)
	}

	// The auditor's own recomputation from the log gives the signed root.
	v, err := auditlog.VerifyLog(ctx, d.store.JetStream(), d.store.Stream(), auditlog.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := v.Check(ctx, cp, auditlog.CheckOptions{}); !r.OK() || r.Root != cp.Root {
		t.Fatalf("clean log does not verify: %v", r.Err())
	}

	// Every event's inclusion proof, asked three ways, checks with tlog.CheckRecord against a leaf
	// hash the auditor computes from the log's bytes.
	var events []eventstore.StoredEvent
	_ = d.store.Read(ctx, eventstore.ReadOptions{}, func(c eventstore.Commit) error {
		events = append(events, c.Events...)
		return nil
	})
	for i, ev := range events {
		want := auditlog.LeafHash(ev.Seq, uint32(ev.Index), ev.Canonical)
		reqs := []*auditv1.GetInclusionProofRequest{
			{Event: &auditv1.GetInclusionProofRequest_LeafIndex{LeafIndex: uint64(i)}},
			{Event: &auditv1.GetInclusionProofRequest_EventId{EventId: ev.Envelope.GetEventId()}},
			{Event: &auditv1.GetInclusionProofRequest_Position{Position: &auditv1.LeafPosition{StreamSequence: ev.Seq, CommitIndex: uint32(ev.Index)}}},
		}
		for _, req := range reqs {
			res, err := d.client.GetInclusionProof(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			proof, err := auditlog.Hashes(res.GetProof())
			if err != nil {
				t.Fatal(err)
			}
			if res.GetLeaf().GetLeafIndex() != uint64(i) || mustHash(t, res.GetLeaf().GetLeafHash()) != want {
				t.Fatalf("event %d: leaf %v", i, res.GetLeaf())
			}
			if err := tlog.CheckRecord(proof, cp.Size, cp.Root, int64(i), want); err != nil {
				t.Fatalf("event %d: inclusion proof: %v", i, err)
			}
			if err := tlog.CheckRecord(proof, cp.Size, cp.Root, int64(i), tlog.RecordHash([]byte("forged"))); err == nil {
				t.Fatal("a proof checked for another leaf")
			}
		}
	}

	// The log grows; the new checkpoint is consistent with the old one.
	m := appendHistory(t, d.store, "q", 3, 3)
	d.waitSequenced(t, int64(n+m))
	cp2, _ := d.publish(t)
	res, err := d.client.GetConsistencyProof(ctx, &auditv1.GetConsistencyProofRequest{OldSize: uint64(cp.Size)})
	if err != nil {
		t.Fatal(err)
	}
	proof, _ := auditlog.Hashes(res.GetProof())
	if res.GetNewSize() != uint64(cp2.Size) {
		t.Fatalf("consistency proof to %d, want the latest checkpoint %d", res.GetNewSize(), cp2.Size)
	}
	if err := tlog.CheckTree(proof, cp2.Size, cp2.Root, cp.Size, cp.Root); err != nil {
		t.Fatalf("consistency: %v", err)
	}
	if err := tlog.CheckTree(proof, cp2.Size, cp2.Root, cp.Size, tlog.RecordHash(nil)); err == nil {
		t.Fatal("consistency proof accepted a forged old root")
	}
	// And the auditor's saved checkpoint is proven a prefix locally, with no server proof.
	v, _ = auditlog.VerifyLog(ctx, d.store.JetStream(), d.store.Stream(), auditlog.LogOptions{})
	r := v.Check(ctx, cp2, auditlog.CheckOptions{Saved: []auditlog.Checkpoint{cp}})
	if !r.OK() || len(r.Consistent) != 1 || r.Consistent[0] != cp.Size {
		t.Fatalf("saved checkpoint not proven consistent: %+v", r)
	}
	forged := cp
	forged.Root = tlog.RecordHash([]byte("another history"))
	if r := v.Check(ctx, cp2, auditlog.CheckOptions{Saved: []auditlog.Checkpoint{forged}}); r.OK() || r.Findings[0].Kind != auditlog.KindInconsistent {
		t.Fatalf("a saved checkpoint of another history passed: %+v", r.Findings)
	}
}

func TestCheckpointsFollowTheClockAndTheKey(t *testing.T) {
	ctx := context.Background()
	d := start(t)
	latest := func() *auditv1.Checkpoint {
		res, err := d.client.LatestCheckpoint(ctx, &auditv1.LatestCheckpointRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return res.GetCheckpoint()
	}
	// tick hands the checkpointer a tick and waits until it has handled it: the channel is
	// unbuffered, so the second send only completes once the first tick's work is done.
	tick := func() {
		d.ticks <- d.env.Clock.Now()
		d.ticks <- d.env.Clock.Now()
	}
	tick()
	first := latest()
	if first == nil || first.GetTreeSize() != 0 {
		t.Fatalf("first tick: %v, want a checkpoint of the empty tree", first)
	}
	n := appendHistory(t, d.store, "p", 2, 2)
	d.waitSequenced(t, int64(n))
	d.env.Clock.Advance(59 * time.Second)
	tick()
	if got := latest(); got.GetTreeSize() != 0 {
		t.Fatalf("signed after 59s: %v", got)
	}
	d.env.Clock.Advance(time.Second)
	tick()
	got := latest()
	if got.GetTreeSize() != uint64(n) || !got.GetPublishedAt().AsTime().Equal(t0.Add(time.Minute)) {
		t.Fatalf("after a minute: %v, want %d leaves signed at %s", got, n, t0.Add(time.Minute))
	}
	// The note is a C2SP checkpoint signed by the key in the key directory, and by no other.
	if !strings.HasPrefix(got.GetNote(), "civicase.test\n"+fmt.Sprint(n)+"\n") {
		t.Fatalf("note:\n%s", got.GetNote())
	}
	if _, err := auditlog.Open([]byte(got.GetNote()), d.vkey, "civicase.test"); err != nil {
		t.Fatal(err)
	}
	_, other, _ := auditlog.GenerateKey("civicase.test")
	if _, err := auditlog.Open([]byte(got.GetNote()), other, "civicase.test"); !errors.Is(err, auditlog.ErrCheckpoint) {
		t.Fatalf("another key verified the checkpoint: %v", err)
	}
	if _, err := auditlog.Open([]byte(got.GetNote()), d.vkey, "civicase.other"); !errors.Is(err, auditlog.ErrCheckpoint) {
		t.Fatalf("a checkpoint of another origin was accepted: %v", err)
	}
	// A stale tree is not signed again.
	d.env.Clock.Advance(time.Hour)
	tick()
	if again := latest(); again.GetTreeSize() != got.GetTreeSize() || !again.GetPublishedAt().AsTime().Equal(got.GetPublishedAt().AsTime()) {
		t.Fatalf("re-signed an unchanged tree: %v", again)
	}
}

func TestOnlyAuditRolesMayAsk(t *testing.T) {
	d := start(t)
	officer := auditv1.NewAuditServiceClient(d.env.Dial(d.run, "u-2", auth.RoleReceptionOfficer, "W01"))
	_, err := officer.LatestCheckpoint(context.Background(), &auditv1.LatestCheckpointRequest{})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("reception officer: %v", err)
	}
	inspector := auditv1.NewAuditServiceClient(d.env.Dial(d.run, "u-3", auth.RoleInspector, "PROVINCE"))
	if _, err := inspector.LatestCheckpoint(context.Background(), &auditv1.LatestCheckpointRequest{}); err != nil {
		t.Fatalf("inspector: %v", err)
	}
	if _, err := inspector.PublishCheckpoint(context.Background(), &auditv1.PublishCheckpointRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("inspector publishing: %v", err)
	}
}

func TestCaseEventsComeWithProofs(t *testing.T) {
	ctx := context.Background()
	d := start(t)
	appendHistory(t, d.store, "x", 3, 2)
	id := "0194f3c2-7a10-7c3e-9d2a-1b2c3d4e5f60"
	if _, err := d.store.Append(ctx, eventstore.Aggregate{Type: "petition", ID: id}, eventstore.Tail{}, meta("reg"), note("registered"), note("receipt issued")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.store.Append(ctx, eventstore.Aggregate{Type: "case", ID: id}, eventstore.Tail{}, meta("acc"), note("accepted")); err != nil {
		t.Fatal(err)
	}
	last, _ := d.store.LastSeq(ctx)
	var n int64
	_ = d.store.Read(ctx, eventstore.ReadOptions{}, func(c eventstore.Commit) error { n += int64(len(c.Events)); return nil })
	d.waitSequenced(t, n)
	cp, _ := d.publish(t)
	// One more event after the checkpoint: returned, but without a proof yet.
	if _, err := d.store.Append(ctx, eventstore.Aggregate{Type: "case", ID: id}, eventstore.Tail{Version: 1, Seq: last, Hash: mustCaseTail(t, d, id)}, meta("step"), note("verified")); err != nil {
		t.Fatal(err)
	}
	d.waitSequenced(t, n+1)
	got, err := d.client.GetCaseEvents(ctx, &auditv1.GetCaseEventsRequest{CaseId: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GetEvents()) != 4 {
		t.Fatalf("%d events, want 4", len(got.GetEvents()))
	}
	for i, e := range got.GetEvents() {
		env := &eventv1.Envelope{}
		if err := proto.Unmarshal(e.GetEnvelope(), env); err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			if e.GetCheckpointed() || len(e.GetProof()) != 0 {
				t.Fatalf("event after the checkpoint came with a proof")
			}
			continue
		}
		leaf := auditlog.LeafHash(e.GetLeaf().GetStreamSequence(), e.GetLeaf().GetCommitIndex(), e.GetEnvelope())
		proof, _ := auditlog.Hashes(e.GetProof())
		if err := tlog.CheckRecord(proof, cp.Size, cp.Root, int64(e.GetLeaf().GetLeafIndex()), leaf); err != nil || !e.GetCheckpointed() {
			t.Fatalf("event %d (%s/%s v%d): %v", i, env.GetAggregateType(), env.GetAggregateId(), env.GetAggregateVersion(), err)
		}
	}
	if _, err := d.client.GetCaseEvents(ctx, &auditv1.GetCaseEventsRequest{CaseId: "nope"}); status.Code(err) != codes.NotFound {
		t.Fatalf("unknown case: %v", err)
	}
}

func mustCaseTail(t *testing.T, d *deployment, id string) []byte {
	h, err := d.store.Load(context.Background(), eventstore.Aggregate{Type: "case", ID: id})
	if err != nil {
		t.Fatal(err)
	}
	return h.Tail.Hash
}

func TestSequencerHaltsAtABrokenChainAndNeverSkips(t *testing.T) {
	ctx := context.Background()
	d := start(t)
	n := appendHistory(t, d.store, "p", 2, 2)
	d.waitSequenced(t, int64(n))
	// A commit whose prev_hash does not follow its aggregate's chain, written past the store.
	h, _ := d.store.Load(ctx, eventstore.Aggregate{Type: "petition", ID: "p0"})
	good := h.Events[len(h.Events)-1]
	env := proto.Clone(good.Envelope).(*eventv1.Envelope)
	env.AggregateVersion++
	env.EventId = "0194f3c2-0000-7000-8000-000000000001"
	env.PrevHash = bytes.Repeat([]byte{7}, 32)
	canonical, _ := proto.MarshalOptions{Deterministic: true}.Marshal(env)
	sum := sha256.Sum256(canonical)
	body, _ := proto.Marshal(&eventv1.Commit{Records: []*eventv1.Record{{Envelope: canonical, Hash: sum[:]}}})
	ack, err := d.store.JetStream().Publish(ctx, d.store.Subject(eventstore.Aggregate{Type: "petition", ID: "p0"}), body)
	if err != nil {
		t.Fatal(err)
	}
	// Good events after it must not be sequenced past the break.
	if _, err := d.store.Append(ctx, eventstore.Aggregate{Type: "petition", ID: "later"}, eventstore.Tail{}, meta("later"), note("later")); err != nil {
		t.Fatal(err)
	}
	st := d.waitSequenced(t, int64(n)+1)
	want := fmt.Sprintf("hash chain broken at petition/p0 version %d (stream sequence %d)", env.AggregateVersion, ack.Sequence)
	if !strings.Contains(st.GetHalted(), want) || st.GetTreeSize() != uint64(n) || st.GetStreamSequence() != ack.Sequence-1 {
		t.Fatalf("sequencer state %v, want halted at %q with %d leaves", st, want, n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for d.run.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := d.run.Err(); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("service error %v, want the halt", err)
	}
}

func TestTwoReplicasSequenceOnce(t *testing.T) {
	ctx := context.Background()
	d := start(t)
	// A second replica of the service on the same schema: it waits for the sequencer lock.
	d.env.Start("audit", audit.NewWith(audit.Options{KeyDir: d.keyDir, Ticks: make(chan time.Time)}))
	n := appendHistory(t, d.store, "p", 5, 6)
	d.waitSequenced(t, int64(n))
	cp, _ := d.publish(t)
	v, err := auditlog.VerifyLog(ctx, d.store.JetStream(), d.store.Stream(), auditlog.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := v.Check(ctx, cp, auditlog.CheckOptions{}); !r.OK() || cp.Size != int64(n) {
		t.Fatalf("two replicas: %v (size %d, want %d)", r.Err(), cp.Size, n)
	}
}
