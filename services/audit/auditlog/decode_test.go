package auditlog

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/civicase/civicase/pkg/eventstore"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
)

// The light walk must read exactly what the full decode reads, and fail where it fails.
func TestLightDecodeAgreesWithTheFullDecode(t *testing.T) {
	payload, _ := anypb.New(wrapperspb.String("x"))
	var recs []*eventv1.Record
	for v := uint64(1); v <= 3; v++ {
		env := &eventv1.Envelope{EventId: "0194f3c2-7a10-7c3e-9d2a-1b2c3d4e5f6" + string(rune('0'+v)), Tenant: "city", AggregateType: "petition",
			AggregateId: "p-1", AggregateVersion: v * 300, EventType: "NoteRecorded", OccurredAt: timestamppb.New(time.Unix(1, 0)),
			Payload: payload, Sealed: []*eventv1.SealedData{{SubjectRef: "s", Ciphertext: []byte{1, 2}}}, PrevHash: bytes.Repeat([]byte{byte(v)}, 32)}
		b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(env)
		sum := sha256.Sum256(b)
		recs = append(recs, &eventv1.Record{Envelope: b, Hash: sum[:]})
	}
	data, _ := proto.Marshal(&eventv1.Commit{Records: recs})
	full, err := eventstore.DecodeCommit(data)
	if err != nil {
		t.Fatal(err)
	}
	light, err := decode("ev.city.petition.p-1", 9, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(light.Events) != len(full) || light.Aggregate != (eventstore.Aggregate{Type: "petition", ID: "p-1"}) {
		t.Fatalf("light %+v", light)
	}
	for i, f := range full {
		l := light.Events[i]
		fe, le := f.Envelope, l.Envelope
		if l.Index != i || l.Seq != 9 || !bytes.Equal(l.Canonical, f.Canonical) || !bytes.Equal(l.Hash, f.Hash) ||
			le.GetEventId() != fe.GetEventId() || le.GetAggregateType() != fe.GetAggregateType() || le.GetAggregateId() != fe.GetAggregateId() ||
			le.GetAggregateVersion() != fe.GetAggregateVersion() || !bytes.Equal(le.GetPrevHash(), fe.GetPrevHash()) {
			t.Fatalf("event %d: light %+v, full %+v", i, l, f)
		}
	}
	for _, bad := range [][]byte{{}, data[:len(data)-3], append(bytes.Clone(data), 0xff)} {
		if _, err := decode("ev.city.petition.p-1", 9, bad); err == nil {
			t.Fatalf("malformed commit %x decoded", bad)
		}
		if _, err := eventstore.DecodeCommit(bad); err == nil {
			t.Fatalf("full decode accepted %x", bad)
		}
	}
}
