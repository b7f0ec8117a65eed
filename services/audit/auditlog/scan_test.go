package auditlog

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/nats-io/nats.go"
	"golang.org/x/mod/sumdb/tlog"
)

func TestParseAckReplyReadsBothSubjectLayouts(t *testing.T) {
	for _, c := range []struct {
		reply string
		want  ackReply
		ok    bool
	}{
		{"$JS.ACK.EV-city.c1.1.42.7.1700000000000000000.3", ackReply{sseq: 42, dseq: 7, pending: 3}, true},
		{"$JS.ACK.hub.ACCHASH.EV-city.c1.1.42.7.1700000000000000000.3.rnd", ackReply{sseq: 42, dseq: 7, pending: 3}, true},
		{"$JS.ACK.hub.ACCHASH.EV-city.c1.1.42.7.1700000000000000000.3", ackReply{sseq: 42, dseq: 7, pending: 3}, true},
		{"$JS.ACK.EV-city.c1.1.x.7.1700000000000000000.3", ackReply{}, false},
		{"_INBOX.abc", ackReply{}, false},
		{"$JS.ACK.a.b.c.d.e.f.g.h.i.j.k.l", ackReply{}, false},
		{"", ackReply{}, false},
	} {
		got, ok := parseAckReply(c.reply)
		if ok != c.ok || got != c.want {
			t.Errorf("%q: %+v %v, want %+v %v", c.reply, got, ok, c.want, c.ok)
		}
	}
}

// Append computes in place what tlog.StoredHashesForRecordHash stores: the same hashes, the same
// roots and proofs at every size.
func TestTreeAppendStoresWhatTlogStores(t *testing.T) {
	var mine Tree
	var ref []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = ref[x]
		}
		return out, nil
	})
	r := rand.New(rand.NewPCG(1, 2))
	for n := int64(0); n < 300; n++ {
		var leaf tlog.Hash
		for i := range leaf {
			leaf[i] = byte(r.Uint32())
		}
		hs, err := tlog.StoredHashesForRecordHash(n, leaf, reader)
		if err != nil {
			t.Fatal(err)
		}
		ref = append(ref, hs...)
		if err := mine.Append(leaf); err != nil {
			t.Fatal(err)
		}
		if len(mine.hashes) != len(ref) {
			t.Fatalf("size %d: %d stored hashes, tlog stores %d", n+1, len(mine.hashes), len(ref))
		}
		for i := range ref {
			if mine.hashes[i] != ref[i] {
				t.Fatalf("size %d: stored hash %d differs", n+1, i)
			}
		}
	}
}

func TestLeafHasherIsLeafHash(t *testing.T) {
	l := newLeafHasher()
	for _, env := range [][]byte{nil, []byte("e"), make([]byte, 1000)} {
		for _, seq := range []uint64{1, 1 << 40} {
			if got, want := l.hash(seq, 3, env), LeafHash(seq, 3, env); got != want {
				t.Fatalf("seq %d, %d bytes: %x, want %x", seq, len(env), got, want)
			}
		}
	}
}

// An idle heartbeat ends the scan when the server has sent nothing beyond what this client
// received; when it names a later delivery, the messages in between were dropped on the way.
func TestAnIdleHeartbeatEndsTheScanOnlyWhenNothingWasDropped(t *testing.T) {
	for _, c := range []struct {
		name     string
		lastSent string
		want     error
	}{
		{"all received", "41", nil},
		{"three dropped", "44", ErrDeliveryLost},
		{"no header", "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := &nats.Msg{Header: nats.Header{}}
			m.Header.Set("Status", "100")
			m.Header.Set("Description", "Idle Heartbeat")
			if c.lastSent != "" {
				m.Header.Set("Nats-Last-Consumer", c.lastSent)
			}
			var (
				flushed, finished bool
				result            error
			)
			over := handleStatus(nil, m, "100", 41, func() bool { flushed = true; return true }, func(err error) { finished, result = true, err })
			if !over || !finished || !errors.Is(result, c.want) || (c.want == nil) != flushed {
				t.Errorf("over %v, finished %v with %v (want %v), flushed %v", over, finished, result, c.want, flushed)
			}
		})
	}
}
