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
	sub, err := s.nc.SubscribeSync(inbox)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	for {
		req, _ := json.Marshal(directGetRequest{Seq: from, NextFor: subject, Batch: directGetBatch})
		if err := s.nc.PublishRequest("$JS.API.DIRECT.GET."+s.stream, inbox, req); err != nil {
			return err
		}
		last, more, err := readBatch(ctx, sub, subject, fn)
		if err != nil || !more {
			return err
		}
		from = last + 1
	}
}

// readBatch consumes one batch reply up to its end-of-batch marker. more says whether the subject
// has messages beyond the batch.
func readBatch(ctx context.Context, sub *nats.Subscription, subject string, fn func(Commit) error) (last uint64, more bool, err error) {
	got := 0
	for {
		m, err := sub.NextMsgWithContext(ctx)
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
