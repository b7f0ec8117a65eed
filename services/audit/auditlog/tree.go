package auditlog

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Tree is an RFC 6962 tree held in memory, built and proved with tlog: the stored hashes of every
// leaf and completed subtree, about two per leaf (64 MB per million events).
type Tree struct {
	hashes []tlog.Hash
	n      int64
}

// Size is how many leaves the tree holds.
func (t *Tree) Size() int64 { return t.n }

// Append adds the next leaf by its leaf hash. It stores what tlog.StoredHashesForRecordHash
// would, the leaf and the subtrees it completes, computed in place without its allocations.
func (t *Tree) Append(leaf tlog.Hash) error {
	t.hashes = append(t.hashes, leaf)
	h := leaf
	// Each trailing 1 bit of n completes a subtree with its left neighbour at that level.
	for level, i := 0, t.n; i&1 == 1; level, i = level+1, i>>1 {
		h = tlog.NodeHash(t.hashes[tlog.StoredHashIndex(level, i-1)], h)
		t.hashes = append(t.hashes, h)
	}
	t.n++
	return nil
}

// ReadHashes implements tlog.HashReader over the stored hashes.
func (t *Tree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(t.hashes)) {
			return nil, fmt.Errorf("auditlog: stored hash %d beyond a tree of %d leaves", x, t.n)
		}
		out[i] = t.hashes[x]
	}
	return out, nil
}

// Leaf is the leaf hash of leaf i.
func (t *Tree) Leaf(i int64) tlog.Hash { return t.hashes[tlog.StoredHashIndex(0, i)] }

// Root is the root hash of the first n leaves (n ≤ Size).
func (t *Tree) Root(n int64) (tlog.Hash, error) {
	if n > t.n {
		return tlog.Hash{}, fmt.Errorf("auditlog: root of %d leaves asked of a tree of %d", n, t.n)
	}
	return tlog.TreeHash(n, t)
}

// ProveRecord is the inclusion proof of leaf i in the tree of the first n leaves.
func (t *Tree) ProveRecord(n, i int64) (tlog.RecordProof, error) { return tlog.ProveRecord(n, i, t) }

// ProveTree is the proof that the first old leaves are a prefix of the first n leaves.
func (t *Tree) ProveTree(n, old int64) (tlog.TreeProof, error) { return tlog.ProveTree(n, old, t) }
