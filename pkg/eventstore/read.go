package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// From says where reading the log starts: a stream sequence or a time (the first message stored at
// or after it). The zero value starts at the beginning.
type From struct {
	Seq  uint64
	Time time.Time
}

// ReadOptions bound a read of the log.
type ReadOptions struct {
	From From
	// Subjects filters the read (e.g. SubjectsOf("petition")); empty means the whole log.
	Subjects []string
	// UntilSeq stops after this sequence; 0 means the end of the log as it was when the read began.
	UntilSeq uint64
}

// Read calls fn for each commit of the log in order, from opts.From up to the end of the log as it
// was when the read began (or opts.UntilSeq). It uses an ordered consumer: ephemeral and gap-checked
// by the client library.
func (s *Store) Read(ctx context.Context, opts ReadOptions, fn func(Commit) error) error {
	stream, err := s.js.Stream(ctx, s.stream)
	if err != nil {
		return err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return err
	}
	until := info.State.LastSeq
	if opts.UntilSeq != 0 && opts.UntilSeq < until {
		until = opts.UntilSeq
	}
	if until == 0 || (opts.From.Seq > until) {
		return nil
	}
	cons, err := stream.OrderedConsumer(ctx, orderedConfig(opts))
	if err != nil {
		return err
	}
	for {
		// FetchNoWait answers at once with what the consumer has pending, so the end of the log
		// (or of the filtered subjects) is a short batch, not a timeout.
		batch, err := cons.FetchNoWait(1024)
		if err != nil {
			return err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				return err
			}
			if md.Sequence.Stream > until {
				return nil
			}
			c, err := DecodeConsumed(m, md)
			if err != nil {
				return err
			}
			if err := fn(c); err != nil {
				return err
			}
			if md.Sequence.Stream == until {
				return nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return err
		}
		if n == 0 {
			return ctx.Err()
		}
	}
}

// LastSeq is the sequence of the last message in the log (0 if empty).
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	stream, err := s.js.Stream(ctx, s.stream)
	if err != nil {
		return 0, err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream info: %w", err)
	}
	return info.State.LastSeq, nil
}

// Follow calls fn for each commit from opts.From on, in order, and keeps waiting for new ones until
// ctx ends or fn returns an error (UntilSeq is ignored). It is how live consumers — an agency's
// stream of routed cases, a watcher — see the log; projections use pkg/projection instead, which
// keeps its position in PostgreSQL.
func (s *Store) Follow(ctx context.Context, opts ReadOptions, fn func(Commit) error) error {
	stream, err := s.js.Stream(ctx, s.stream)
	if err != nil {
		return err
	}
	cons, err := stream.OrderedConsumer(ctx, orderedConfig(opts))
	if err != nil {
		return err
	}
	it, err := cons.Messages()
	if err != nil {
		return err
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		c, err := DecodeMessage(m)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
	}
}

// LastSeqOf is the sequence of the last message on a subject (wildcards allowed), 0 if there is
// none: one request, so a cache keyed on it (the unit registry) costs one round trip to check.
//
// It asks the stream's leader (the message-get API), not a direct get: with AllowDirect any replica
// may answer a direct get, and a replica that lags would hide an append already acknowledged,
// which a freshness check must never do. It asks the stream by name rather than through a stream
// handle, whose lookup is a stream-info request of its own.
func (s *Store) LastSeqOf(ctx context.Context, subject string) (uint64, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	req, _ := json.Marshal(directGetRequest{LastFor: subject})
	m, err := s.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+s.stream, req)
	if err != nil {
		return 0, fmt.Errorf("last of %s: %w", subject, err)
	}
	var resp struct {
		Message *struct {
			Seq uint64 `json:"seq"`
		} `json:"message"`
		Error *struct {
			Code        int    `json:"code"`
			ErrCode     int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(m.Data, &resp); err != nil {
		return 0, fmt.Errorf("last of %s: %w", subject, err)
	}
	switch {
	case resp.Error != nil && resp.Error.ErrCode == codeNoMessageFound: // nothing on the subject yet
		return 0, nil
	case resp.Error != nil:
		return 0, fmt.Errorf("last of %s: %d %s", subject, resp.Error.ErrCode, resp.Error.Description)
	case resp.Message == nil || resp.Message.Seq == 0:
		return 0, fmt.Errorf("%w: message get of %s without sequence", ErrCorrupt, subject)
	}
	return resp.Message.Seq, nil
}

// codeNoMessageFound is JetStream's error code for a message get that finds nothing.
const codeNoMessageFound = 10037

// orderedConfig is the ordered consumer that starts where opts.From says and reads opts.Subjects.
func orderedConfig(opts ReadOptions) jetstream.OrderedConsumerConfig {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: opts.Subjects, DeliverPolicy: jetstream.DeliverAllPolicy}
	switch {
	case opts.From.Seq > 1:
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, opts.From.Seq
	case !opts.From.Time.IsZero():
		t := opts.From.Time
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	}
	return cfg
}
