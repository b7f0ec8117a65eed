package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/services/audit/auditlog"
)

// ErrHalted means the log cannot be sequenced past a position (a broken hash chain, a gap, a
// message that does not decode). The sequencer never skips: it stops there and says where.
var ErrHalted = errors.New("audit: sequencer halted")

// Sequencer is the single writer of the tree: it reads the tenant's log in order and appends one
// leaf per event, checking every aggregate's hash chain on the way.
type Sequencer struct {
	Log    *eventstore.Store
	Tree   Tree
	Logger *slog.Logger
	// BatchEvents bounds the events written per transaction while catching up; live, each commit
	// is written as soon as it arrives.
	BatchEvents int
	// Retry is how long to wait before starting again after a transient failure.
	Retry time.Duration
}

// Run sequences until ctx ends or the log cannot be sequenced (ErrHalted). Transient failures
// (the database or NATS going away) are logged and retried.
func (s *Sequencer) Run(ctx context.Context) error {
	for {
		err := s.runOnce(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrHalted) {
			s.Logger.Error("audit sequencer halted", "err", err)
			return err
		}
		s.Logger.Warn("audit sequencer restarting", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.Retry):
		}
	}
}

func (s *Sequencer) runOnce(ctx context.Context) error {
	release, err := s.Tree.Lock(ctx)
	if err != nil {
		return err
	}
	defer release()
	pos, err := s.Tree.Position(ctx)
	if err != nil {
		return err
	}
	if pos.Halted != "" {
		return fmt.Errorf("%w: %s", ErrHalted, pos.Halted)
	}
	st := &sequencing{s: s, pos: pos, chain: eventstore.NewChainVerifier(), seen: map[eventstore.Aggregate]bool{}}
	if err := st.loadFrontier(ctx); err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	commits := make(chan eventstore.Commit, 4096)
	followErr := make(chan error, 1)
	go func() {
		followErr <- s.Log.Follow(ctx, eventstore.ReadOptions{From: eventstore.From{Seq: pos.Seq + 1}}, func(c eventstore.Commit) error {
			select {
			case commits <- c:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	max := s.BatchEvents
	if max <= 0 {
		max = 5000
	}
	for {
		var batch []eventstore.Commit
		select {
		case c := <-commits:
			batch = append(batch, c)
		case err := <-followErr:
			if errors.Is(err, eventstore.ErrCorrupt) {
				return st.halt(ctx, fmt.Sprintf("after stream sequence %d: %v", st.pos.Seq, err))
			}
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
		n := len(batch[0].Events)
	drain:
		for n < max {
			select {
			case c := <-commits:
				batch = append(batch, c)
				n += len(c.Events)
			default:
				break drain
			}
		}
		if err := st.apply(ctx, batch); err != nil {
			return err
		}
	}
}

// sequencing is one run's state: the position, the chains seen and the hashes future leaves need.
type sequencing struct {
	s     *Sequencer
	pos   Position
	chain *eventstore.ChainVerifier
	seen  map[eventstore.Aggregate]bool
	// cache holds the stored hashes that appending further leaves reads: the roots of the perfect
	// subtrees the tree size decomposes into, plus everything written in the current batch.
	cache map[int64]tlog.Hash
}

// frontier is the stored-hash indexes of the perfect subtrees a tree of n leaves decomposes into:
// the only earlier hashes tlog.StoredHashes reads when leaves are appended.
func frontier(n int64) []int64 {
	var out []int64
	for level := 0; level < 64; level++ {
		if uint64(n)&(1<<level) != 0 {
			out = append(out, tlog.StoredHashIndex(level, n>>level-1))
		}
	}
	return out
}

func (st *sequencing) loadFrontier(ctx context.Context) error {
	idx := frontier(st.pos.Size)
	hs, err := st.s.Tree.Hashes(ctx).ReadHashes(idx)
	if err != nil {
		return fmt.Errorf("load the tree's frontier: %w", err)
	}
	st.cache = make(map[int64]tlog.Hash, 2*bits.Len64(uint64(st.pos.Size))+1)
	for i, x := range idx {
		st.cache[x] = hs[i]
	}
	return nil
}

// ReadHashes serves tlog from the cache; a miss would be a bug in frontier, so it is an error.
func (st *sequencing) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := st.cache[x]
		if !ok {
			return nil, fmt.Errorf("stored hash %d is not in the frontier", x)
		}
		out[i] = h
	}
	return out, nil
}

func (st *sequencing) halt(ctx context.Context, reason string) error {
	if err := st.s.Tree.Halt(context.WithoutCancel(ctx), reason); err != nil {
		return err
	}
	return fmt.Errorf("%w: %s", ErrHalted, reason)
}

// apply appends the events of a batch of commits in one transaction. A commit that breaks the
// log's order or a hash chain ends the batch: what precedes it is written, then the sequencer halts.
func (st *sequencing) apply(ctx context.Context, batch []eventstore.Commit) error {
	from := st.pos
	to := from
	var hashes []tlog.Hash
	var leaves []Leaf
	var stop string
	hashIndex := tlog.StoredHashIndex(0, from.Size)
commits:
	for _, c := range batch {
		if c.Seq != to.Seq+1 {
			stop = fmt.Sprintf("stream sequence %d follows %d: the log has a gap", c.Seq, to.Seq)
			break
		}
		// Check the whole commit before taking any of it: a commit is atomic in the log and in the tree.
		for _, ev := range c.Events {
			if err := st.check(ctx, c, ev); err != nil {
				var ce *eventstore.ChainError
				if !errors.As(err, &ce) {
					return err
				}
				stop = ce.Error()
				break commits
			}
		}
		for _, ev := range c.Events {
			hs, err := tlog.StoredHashesForRecordHash(to.Size, auditlog.LeafHash(c.Seq, uint32(ev.Index), ev.Canonical), st)
			if err != nil {
				return err
			}
			for i, h := range hs {
				st.cache[hashIndex+int64(i)] = h
			}
			hashIndex += int64(len(hs))
			hashes = append(hashes, hs...)
			leaves = append(leaves, Leaf{Leaf: to.Size, Seq: c.Seq, Index: uint32(ev.Index), EventID: ev.Envelope.GetEventId()})
			to.Size++
		}
		to.Seq = c.Seq
	}
	if to != from {
		if err := st.s.Tree.Extend(ctx, from, to, hashes, leaves); err != nil {
			return err
		}
		st.pos = to
	}
	keep := make(map[int64]tlog.Hash, len(st.cache))
	for _, x := range frontier(st.pos.Size) {
		keep[x] = st.cache[x]
	}
	st.cache = keep
	if stop != "" {
		return st.halt(ctx, stop)
	}
	return nil
}

// check verifies an event's place in its aggregate's hash chain. The chain verifier only knows the
// aggregates seen since this run started, so an aggregate met mid-history is first replayed from
// the log up to this commit.
func (st *sequencing) check(ctx context.Context, c eventstore.Commit, ev eventstore.StoredEvent) error {
	agg := eventstore.Aggregate{Type: ev.Envelope.GetAggregateType(), ID: ev.Envelope.GetAggregateId()}
	if !st.seen[agg] {
		st.seen[agg] = true
		if ev.Version() > 1 {
			h, err := st.s.Log.Load(ctx, agg)
			if err != nil {
				return fmt.Errorf("load %s to resume its chain: %w", agg, err)
			}
			for _, earlier := range h.Events {
				if earlier.Seq >= c.Seq {
					break
				}
				if err := st.chain.Check(earlier); err != nil {
					return err
				}
			}
		}
	}
	return st.chain.Check(ev)
}
