package auditlog_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/testenv"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
	"github.com/civicase/civicase/services/audit/auditlog"
)

// liveLog publishes n one-event commits of aggregate "p1" (sequences 1..n) to a new stream shaped
// like the store's, except that it lets messages be deleted, as someone with the server's keys
// could make it.
func liveLog(t *testing.T, n int) (jetstream.JetStream, string, []eventstore.StoredEvent) {
	t.Helper()
	nats := testenv.StartNATS(t)
	cfg := eventstore.StreamConfig(eventstore.Config{Tenant: "city"})
	cfg.DenyDelete = false
	if _, err := nats.JS.CreateStream(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	events := chainOf(t, "p1", n, 1)
	for _, e := range events {
		publishEvent(t, nats.JS, e)
	}
	return nats.JS, cfg.Name, events
}

func publishEvent(t *testing.T, js jetstream.JetStream, e eventstore.StoredEvent) {
	t.Helper()
	body, err := proto.Marshal(&eventv1.Commit{Records: []*eventv1.Record{{Envelope: e.Canonical, Hash: e.Hash}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(context.Background(), "ev.city.petition.p1", body); err != nil {
		t.Fatal(err)
	}
}

func verifyLive(t *testing.T, js jetstream.JetStream, stream string, o auditlog.LogOptions) *auditlog.Verifier {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := auditlog.VerifyLog(ctx, js, stream, o)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func hasGap(v *auditlog.Verifier, seq uint64) bool {
	return slices.ContainsFunc(v.Findings(), func(f auditlog.Finding) bool { return f.Kind == auditlog.KindGap && f.Seq == seq })
}

// A message removed from the stream itself (not a renumbered copy) leaves a hole in the
// sequences the server delivers; the reader must not close it up.
func TestVerifyLogNamesMessagesRemovedFromTheStream(t *testing.T) {
	js, stream, _ := liveLog(t, 700)
	ctx := context.Background()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	if v := verifyLive(t, js, stream, auditlog.LogOptions{}); len(v.Findings()) != 0 || v.Size() != 700 {
		t.Fatalf("untouched: %d events, findings %v", v.Size(), v.Findings())
	}
	for _, seq := range []uint64{300, 699, 700} {
		if err := s.DeleteMsg(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}
	v := verifyLive(t, js, stream, auditlog.LogOptions{})
	t.Log(v.Findings())
	if v.Size() != 697 || !hasGap(v, 300) || !hasGap(v, 699) {
		t.Fatalf("want gaps at 300 and 699 (the removed tail) in 697 events: %d events, %v", v.Size(), v.Findings())
	}
}

// The log is read as of the start: a message appended while reading is neither read nor waited
// for, and the reader stops at the last sequence.
func TestVerifyLogReadsUpToTheLastSequenceAsOfTheStart(t *testing.T) {
	js, stream, events := liveLog(t, 600)
	more := chainOf(t, "p1", 601, 1)[600] // the chain's next event
	appended := false
	v := verifyLive(t, js, stream, auditlog.LogOptions{OnCommit: func(c eventstore.Commit) error {
		if !appended {
			appended = true
			publishEvent(t, js, more)
		}
		return nil
	}})
	if v.Size() != int64(len(events)) || len(v.Findings()) != 0 {
		t.Fatalf("read %d events (want %d), findings %v", v.Size(), len(events), v.Findings())
	}
	s, _ := js.Stream(context.Background(), stream)
	if info, err := s.Info(context.Background()); err != nil || info.State.LastSeq != 601 {
		t.Fatalf("the stream's last sequence: %+v (%v)", info, err)
	}
}

// A message the read missed although the stream holds it is not reported as removed: the gap is
// confirmed against the stream first, and a message found there makes the read ErrDeliveryLost
// (read again), not a tampering finding.
func TestAGapIsConfirmedAgainstTheStreamBeforeItIsReported(t *testing.T) {
	js, stream, _ := liveLog(t, 500)
	auditlog.LoseInDelivery(t, 250)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := auditlog.VerifyLog(ctx, js, stream, auditlog.LogOptions{})
	if !errors.Is(err, auditlog.ErrDeliveryLost) {
		var findings []auditlog.Finding
		if v != nil {
			findings = v.Findings()
		}
		t.Fatalf("a message lost in delivery: %v, findings %v; want ErrDeliveryLost", err, findings)
	}
}
