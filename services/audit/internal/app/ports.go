// Package app is the audit service's use cases: the sequencer that extends the tree from the log,
// the checkpointer that signs it, and the proofs auditors ask for.
package app

import (
	"context"
	"errors"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// ErrFenced means another sequencer extended the tree since this one read its position.
var ErrFenced = errors.New("audit: the tree was extended by another sequencer")

// Position is where the sequencer stands.
type Position struct {
	// Seq is the stream sequence of the last message whose events are in the tree.
	Seq uint64
	// Size is how many leaves the tree holds.
	Size int64
	// Halted says why the sequencer stopped, naming the position; empty while it runs.
	Halted string
}

// Leaf places one leaf's event in the log.
type Leaf struct {
	Leaf    int64
	Seq     uint64
	Index   uint32
	EventID string
}

// SignedCheckpoint is a checkpoint as published.
type SignedCheckpoint struct {
	Size        int64
	Root        tlog.Hash
	Note        string
	PublishedAt time.Time
}

// Tree is where the tree, the sequencer's position and the checkpoints are kept.
type Tree interface {
	// Lock makes this process the only sequencer until release; it waits for a running one to stop.
	Lock(ctx context.Context) (release func(), err error)
	// Position is where the sequencer stands.
	Position(ctx context.Context) (Position, error)
	// Hashes reads stored hashes by tlog index.
	Hashes(ctx context.Context) tlog.HashReader
	// Extend appends leaves and their stored hashes (from tlog.StoredHashIndex(0, from.Size) on) and
	// moves the position from from to to, atomically; ErrFenced if the position is no longer from.
	Extend(ctx context.Context, from, to Position, hashes []tlog.Hash, leaves []Leaf) error
	// Halt records why the sequencer stopped.
	Halt(ctx context.Context, reason string) error
	// LeafAt, LeafAtPosition and LeafByEventID find a leaf.
	LeafAt(ctx context.Context, leaf int64) (Leaf, bool, error)
	LeafAtPosition(ctx context.Context, seq uint64, index uint32) (Leaf, bool, error)
	LeafByEventID(ctx context.Context, id string) (Leaf, bool, error)
	// LatestCheckpoint is the newest checkpoint; ok is false before the first.
	LatestCheckpoint(ctx context.Context) (SignedCheckpoint, bool, error)
	// SaveCheckpoint stores a checkpoint; one of the same size already stored wins.
	SaveCheckpoint(ctx context.Context, c SignedCheckpoint) error
}
