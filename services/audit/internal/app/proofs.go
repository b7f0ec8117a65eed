package app

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/services/audit/auditlog"
)

// Proofs answers auditors' questions about the tree. Everything it returns is checkable against a
// signed checkpoint; nothing in it needs to be trusted.
type Proofs struct {
	Tree         Tree
	Log          *eventstore.Store
	Checkpointer *Checkpointer
}

// LeafQuery names a leaf by exactly one of its leaf index, its place in the log or its event id.
type LeafQuery struct {
	Leaf     *int64
	Position *auditlog.LeafRef
	EventID  string
}

// Latest is the newest checkpoint and where the sequencer stands.
func (p *Proofs) Latest(ctx context.Context) (SignedCheckpoint, bool, Position, error) {
	cp, ok, err := p.Tree.LatestCheckpoint(ctx)
	if err != nil {
		return cp, false, Position{}, err
	}
	pos, err := p.Tree.Position(ctx)
	return cp, ok, pos, err
}

func (p *Proofs) latest(ctx context.Context) (SignedCheckpoint, error) {
	cp, ok, err := p.Tree.LatestCheckpoint(ctx)
	if err != nil {
		return cp, err
	}
	if !ok {
		return cp, apperr.Precondition("NO_CHECKPOINT", "no checkpoint has been signed yet")
	}
	return cp, nil
}

// treeSize resolves a requested size: 0 means the latest checkpoint's; others must be within the tree.
func (p *Proofs) treeSize(ctx context.Context, size int64) (int64, *SignedCheckpoint, error) {
	if size == 0 {
		cp, err := p.latest(ctx)
		if err != nil {
			return 0, nil, err
		}
		return cp.Size, &cp, nil
	}
	pos, err := p.Tree.Position(ctx)
	if err != nil {
		return 0, nil, err
	}
	if size > pos.Size {
		return 0, nil, apperr.Invalid("tree_size", "the tree holds %d leaves, not %d", pos.Size, size)
	}
	return size, nil, nil
}

// Inclusion proves a leaf in the tree of size leaves (0: the latest checkpoint's).
func (p *Proofs) Inclusion(ctx context.Context, q LeafQuery, size int64) (Leaf, tlog.Hash, tlog.RecordProof, int64, *SignedCheckpoint, error) {
	n, cp, err := p.treeSize(ctx, size)
	if err != nil {
		return Leaf{}, tlog.Hash{}, nil, 0, nil, err
	}
	var leaf Leaf
	var ok bool
	switch {
	case q.Leaf != nil:
		leaf, ok, err = p.Tree.LeafAt(ctx, *q.Leaf)
	case q.Position != nil:
		leaf, ok, err = p.Tree.LeafAtPosition(ctx, q.Position.Seq, q.Position.Index)
	default:
		leaf, ok, err = p.Tree.LeafByEventID(ctx, q.EventID)
	}
	if err != nil {
		return Leaf{}, tlog.Hash{}, nil, 0, nil, err
	}
	if !ok {
		return Leaf{}, tlog.Hash{}, nil, 0, nil, apperr.NotFound("LEAF_NOT_FOUND", "no such event in the tree")
	}
	if leaf.Leaf >= n {
		return Leaf{}, tlog.Hash{}, nil, 0, nil, apperr.Precondition("NOT_IN_TREE", "leaf %d is not in the tree of %d leaves", leaf.Leaf, n)
	}
	hashes, err := p.Tree.Hashes(ctx).ReadHashes([]int64{tlog.StoredHashIndex(0, leaf.Leaf)})
	if err != nil {
		return Leaf{}, tlog.Hash{}, nil, 0, nil, err
	}
	proof, err := tlog.ProveRecord(n, leaf.Leaf, p.Tree.Hashes(ctx))
	if err != nil {
		return Leaf{}, tlog.Hash{}, nil, 0, nil, fmt.Errorf("prove leaf %d in %d: %w", leaf.Leaf, n, err)
	}
	return leaf, hashes[0], proof, n, cp, nil
}

// Consistency proves the tree of old leaves a prefix of the tree of size leaves (0: the latest
// checkpoint's).
func (p *Proofs) Consistency(ctx context.Context, old, size int64) (tlog.TreeProof, int64, *SignedCheckpoint, error) {
	n, cp, err := p.treeSize(ctx, size)
	if err != nil {
		return nil, 0, nil, err
	}
	if old < 1 || old > n {
		return nil, 0, nil, apperr.Invalid("old_size", "must be between 1 and %d", n)
	}
	proof, err := tlog.ProveTree(n, old, p.Tree.Hashes(ctx))
	return proof, n, cp, err
}

// CaseEvent is one event of a case with its proof.
type CaseEvent struct {
	Event eventstore.StoredEvent
	Leaf  Leaf
	Hash  tlog.Hash
	Proof tlog.RecordProof
	// Checkpointed is false for an event newer than the checkpoint (no proof yet).
	Checkpointed bool
}

// CaseEvents returns the events of a case — its petition and its case aggregates — with proofs
// against the latest checkpoint. The events come from the log itself, not from this service's
// tables, so the proofs tie the log's bytes to the checkpoint.
func (p *Proofs) CaseEvents(ctx context.Context, caseID string) (SignedCheckpoint, []CaseEvent, error) {
	cp, err := p.latest(ctx)
	if err != nil {
		return cp, nil, err
	}
	var out []CaseEvent
	for _, typ := range []string{"petition", "case"} {
		h, err := p.Log.Load(ctx, eventstore.Aggregate{Type: typ, ID: caseID})
		if err != nil {
			return cp, nil, err
		}
		for _, ev := range h.Events {
			ce := CaseEvent{Event: ev, Hash: auditlog.LeafHash(ev.Seq, uint32(ev.Index), ev.Canonical)}
			leaf, ok, err := p.Tree.LeafAtPosition(ctx, ev.Seq, uint32(ev.Index))
			if err != nil {
				return cp, nil, err
			}
			ce.Leaf = Leaf{Leaf: -1, Seq: ev.Seq, Index: uint32(ev.Index), EventID: ev.Envelope.GetEventId()}
			if ok {
				ce.Leaf = leaf
				if leaf.Leaf < cp.Size {
					if ce.Proof, err = tlog.ProveRecord(cp.Size, leaf.Leaf, p.Tree.Hashes(ctx)); err != nil {
						return cp, nil, err
					}
					ce.Checkpointed = true
				}
			}
			out = append(out, ce)
		}
	}
	if len(out) == 0 {
		return cp, nil, apperr.NotFound("CASE_NOT_FOUND", "no events for case %s", caseID)
	}
	return cp, out, nil
}
