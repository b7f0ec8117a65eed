package auditlog

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"

	"golang.org/x/mod/sumdb/tlog"
)

// leafPrefix is the length of the sequence and index that precede the envelope in a leaf.
const leafPrefix = 8 + 4

// LeafData is the data of an event's leaf: its stream sequence, its index in the commit and its
// stored envelope bytes (see the package comment).
func LeafData(seq uint64, index uint32, envelope []byte) []byte {
	b := make([]byte, leafPrefix, leafPrefix+len(envelope))
	binary.BigEndian.PutUint64(b, seq)
	binary.BigEndian.PutUint32(b[8:], index)
	return append(b, envelope...)
}

// LeafHash is the RFC 6962 leaf hash of an event: tlog.RecordHash(LeafData(seq, index, envelope)).
func LeafHash(seq uint64, index uint32, envelope []byte) tlog.Hash {
	return tlog.RecordHash(LeafData(seq, index, envelope))
}

// leafHasher computes LeafHash without building the leaf data: the prefix and the envelope are
// written to one reused digest, so hashing a leaf copies and allocates nothing.
type leafHasher struct {
	d      hash.Hash
	prefix [1 + leafPrefix]byte
}

func newLeafHasher() leafHasher { return leafHasher{d: sha256.New()} }

func (l *leafHasher) hash(seq uint64, index uint32, envelope []byte) tlog.Hash {
	l.prefix[0] = 0x00 // RFC 6962 leaf
	binary.BigEndian.PutUint64(l.prefix[1:], seq)
	binary.BigEndian.PutUint32(l.prefix[9:], index)
	l.d.Reset()
	l.d.Write(l.prefix[:])
	l.d.Write(envelope)
	var h tlog.Hash
	l.d.Sum(h[:0])
	return h
}
