package auditlog

import (
	"encoding/binary"

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
