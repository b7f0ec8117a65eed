package eventstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// directGetRequest is the JetStream direct-get API request with batching (server 2.11+), which
// nats.go's jetstream package does not expose yet.
type directGetRequest struct {
	Seq     uint64 `json:"seq,omitempty"`
	NextFor string `json:"next_by_subj,omitempty"`
	LastFor string `json:"last_by_subj,omitempty"`
	Batch   int    `json:"batch,omitempty"`
}

const directGetBatch = 256

// directGet streams every message of a subject from a sequence on, in order, in batches: one
// round trip per batch instead of one per message.
func (s *Store) directGet(ctx context.Context, subject string, from uint64, fn func(Commit) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	inbox := s.nc.NewRespInbox()
	// A channel just big enough for one batch and its end marker, as only one batch is asked for
	// at a time: SubscribeSync would allocate the connection's default pending buffer (64k
	// entries, half a megabyte) on every load — 6% of the register benchmark's CPU, and the
	// garbage collection to go with it.
	replies := make(chan *nats.Msg, directGetBatch+2)
	sub, err := s.nc.ChanSubscribe(inbox, replies)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	for {
		req, _ := json.Marshal(directGetRequest{Seq: from, NextFor: subject, Batch: directGetBatch})
		if err := s.nc.PublishRequest("$JS.API.DIRECT.GET."+s.stream, inbox, req); err != nil {
			return err
		}
		last, more, err := readBatch(ctx, s.nc, replies, subject, fn)
		if err != nil || !more {
			return err
		}
		from = last + 1
	}
}

// readBatch consumes one batch reply up to its end-of-batch marker. more says whether the subject
// has messages beyond the batch.
func readBatch(ctx context.Context, nc *nats.Conn, replies <-chan *nats.Msg, subject string, fn func(Commit) error) (last uint64, more bool, err error) {
	got := 0
	for {
		m, err := nextReply(ctx, nc, replies)
		if err != nil {
			return 0, false, fmt.Errorf("load %s: %w", subject, err)
		}
		switch status := m.Header.Get("Status"); status {
		case "":
		case "404": // no (more) messages on the subject
			return last, false, nil
		case "204": // end of batch
			pending, _ := strconv.ParseUint(m.Header.Get("Nats-Num-Pending"), 10, 64)
			return last, pending > 0 && got > 0, nil
		default:
			return 0, false, fmt.Errorf("load %s: direct get status %s %s", subject, status, m.Header.Get("Description"))
		}
		c, err := decodeDirect(m)
		if err != nil {
			return 0, false, err
		}
		got++
		last = c.Seq
		if err := fn(c); err != nil {
			return 0, false, err
		}
	}
}

func decodeDirect(m *nats.Msg) (Commit, error) {
	seq, err := strconv.ParseUint(m.Header.Get("Nats-Sequence"), 10, 64)
	if err != nil {
		return Commit{}, fmt.Errorf("%w: direct get without sequence", ErrCorrupt)
	}
	t, _ := time.Parse(time.RFC3339Nano, m.Header.Get("Nats-Time-Stamp"))
	return decodeMessage(m.Header.Get("Nats-Subject"), seq, t, m.Header, m.Data)
}

// nextReply waits for the next reply. The library closes no channel it was given, so a closed
// connection is noticed by looking now and then rather than by waiting out the context.
func nextReply(ctx context.Context, nc *nats.Conn, replies <-chan *nats.Msg) (*nats.Msg, error) {
	select {
	case m := <-replies:
		return m, nil
	default:
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case m := <-replies:
			return m, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
			if nc.IsClosed() {
				return nil, nats.ErrConnectionClosed
			}
		}
	}
}
