package auditlog_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/eventstore"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
	"github.com/civicase/civicase/services/audit/auditlog"
)

// The leaf layout is a published format: an offline verifier in any language recomputes it.
func TestLeafIsSequenceIndexEnvelopeHashedAsRFC6962Leaf(t *testing.T) {
	data := auditlog.LeafData(0x0102030405060708, 3, []byte("env"))
	if got := hex.EncodeToString(data); got != "0102030405060708"+"00000003"+hex.EncodeToString([]byte("env")) {
		t.Fatalf("leaf data %s", got)
	}
	want := sha256.Sum256(append([]byte{0x00}, data...))
	if h := auditlog.LeafHash(0x0102030405060708, 3, []byte("env")); h != want {
		t.Fatalf("leaf hash %x, want SHA-256(0x00 || data) = %x", h, want)
	}
}

func TestCheckpointBodyIsC2SP(t *testing.T) {
	skey, vkey, err := auditlog.GenerateKey("civicase.city")
	if err != nil {
		t.Fatal(err)
	}
	cp := auditlog.Checkpoint{Origin: "civicase.city", Size: 42, Root: sha256.Sum256([]byte("root"))}
	note, err := auditlog.Sign(cp, skey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(note, "civicase.city\n42\n"+base64.StdEncoding.EncodeToString(cp.Root[:])+"\n\n— civicase.city ") {
		t.Fatalf("note:\n%s", note)
	}
	got, err := auditlog.Open([]byte(note), vkey, "civicase.city")
	if err != nil || got != cp {
		t.Fatalf("open: %v %v", got, err)
	}
	tampered := strings.Replace(note, "\n42\n", "\n43\n", 1)
	if _, err := auditlog.Open([]byte(tampered), vkey, "civicase.city"); err == nil {
		t.Fatal("a changed size kept its signature")
	}
}

// chainOf builds valid events of one aggregate, one per commit from sequence first on.
func chainOf(t *testing.T, agg string, n int, first uint64) []eventstore.StoredEvent {
	t.Helper()
	prev := eventstore.GenesisHash
	var out []eventstore.StoredEvent
	for i := range n {
		env := &eventv1.Envelope{EventId: agg + string(rune('a'+i)), AggregateType: "petition", AggregateId: agg, AggregateVersion: uint64(i + 1), PrevHash: prev}
		b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(env)
		sum := sha256.Sum256(b)
		out = append(out, eventstore.StoredEvent{Envelope: env, Canonical: b, Hash: sum[:], Seq: first + uint64(i)})
		prev = sum[:]
	}
	return out
}

func TestVerifierNamesGapsAndDisorder(t *testing.T) {
	events := chainOf(t, "p1", 5, 1)
	check := func(evs []eventstore.StoredEvent) auditlog.Report {
		v := auditlog.NewVerifier()
		for _, e := range evs {
			if err := v.AddEvent(e); err != nil {
				t.Fatal(err)
			}
		}
		var tree auditlog.Tree
		for _, e := range events {
			_ = tree.Append(auditlog.LeafHash(e.Seq, 0, e.Canonical))
		}
		root, _ := tree.Root(tree.Size())
		return v.Check(context.Background(), auditlog.Checkpoint{Origin: "o", Size: 5, Root: root}, auditlog.CheckOptions{})
	}
	if r := check(events); !r.OK() {
		t.Fatal(r.Err())
	}
	gap := append(append([]eventstore.StoredEvent{}, events[:2]...), events[3:]...)
	r := check(gap)
	if r.OK() || r.Findings[0].Kind != auditlog.KindGap || r.Findings[0].Seq != 3 {
		t.Fatalf("gap: %v", r.Findings)
	}
	swapped := append([]eventstore.StoredEvent{}, events...)
	swapped[1], swapped[2] = swapped[2], swapped[1]
	r = check(swapped)
	if r.OK() || r.Findings[0].Seq != 2 || !slices.ContainsFunc(r.Findings, func(f auditlog.Finding) bool { return f.Kind == auditlog.KindOrder && f.Seq == 2 }) {
		t.Fatalf("disorder: %v", r.Findings)
	}
}
