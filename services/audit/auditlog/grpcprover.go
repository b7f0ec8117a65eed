package auditlog

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	auditv1 "github.com/civicase/civicase/proto/gen/civicase/audit/v1"
)

// GRPCProver asks an audit service for proofs.
type GRPCProver struct{ Client auditv1.AuditServiceClient }

// ConsistencyProof implements Prover.
func (p GRPCProver) ConsistencyProof(ctx context.Context, old, size int64) (tlog.TreeProof, error) {
	res, err := p.Client.GetConsistencyProof(ctx, &auditv1.GetConsistencyProofRequest{OldSize: uint64(old), NewSize: uint64(size)})
	if err != nil {
		return nil, err
	}
	return hashes(res.GetProof())
}

// InclusionProof implements Prover.
func (p GRPCProver) InclusionProof(ctx context.Context, i, size int64) (ProvenLeaf, tlog.RecordProof, error) {
	res, err := p.Client.GetInclusionProof(ctx, &auditv1.GetInclusionProofRequest{
		Event: &auditv1.GetInclusionProofRequest_LeafIndex{LeafIndex: uint64(i)}, TreeSize: uint64(size)})
	if err != nil {
		return ProvenLeaf{}, nil, err
	}
	leaf, err := LeafFromProto(res.GetLeaf())
	if err != nil {
		return ProvenLeaf{}, nil, err
	}
	proof, err := hashes(res.GetProof())
	return leaf, proof, err
}

// LeafFromProto converts an API leaf.
func LeafFromProto(l *auditv1.Leaf) (ProvenLeaf, error) {
	if len(l.GetLeafHash()) != tlog.HashSize {
		return ProvenLeaf{}, fmt.Errorf("auditlog: leaf hash of %d bytes", len(l.GetLeafHash()))
	}
	out := ProvenLeaf{Ref: LeafRef{Seq: l.GetStreamSequence(), Index: l.GetCommitIndex()}, EventID: l.GetEventId()}
	copy(out.Hash[:], l.GetLeafHash())
	return out, nil
}

func hashes(bs [][]byte) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(bs))
	for i, b := range bs {
		if len(b) != tlog.HashSize {
			return nil, fmt.Errorf("auditlog: proof hash of %d bytes", len(b))
		}
		copy(out[i][:], b)
	}
	return out, nil
}

// Hashes converts proof hashes from the API.
func Hashes(bs [][]byte) ([]tlog.Hash, error) { return hashes(bs) }

// LatestCheckpoint fetches the newest checkpoint and checks it with verifierKey (the service's own
// key when empty — then the caller must pin the returned key some other way). origin is checked
// when not empty.
func LatestCheckpoint(ctx context.Context, c auditv1.AuditServiceClient, verifierKey, origin string) (Checkpoint, string, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := c.LatestCheckpoint(ctx, &auditv1.LatestCheckpointRequest{})
	if err != nil {
		return Checkpoint{}, "", "", err
	}
	if res.GetCheckpoint() == nil {
		return Checkpoint{}, "", "", fmt.Errorf("%w: the audit service has signed no checkpoint yet", ErrCheckpoint)
	}
	key := verifierKey
	if key == "" {
		key = res.GetVerifierKey()
	}
	note := res.GetCheckpoint().GetNote()
	cp, err := Open([]byte(note), key, origin)
	return cp, note, key, err
}
