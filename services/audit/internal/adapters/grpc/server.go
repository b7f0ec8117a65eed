// Package grpc serves civicase.audit.v1.AuditService.
package grpc

import (
	"context"
	"slices"

	"golang.org/x/mod/sumdb/tlog"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/auth"
	auditv1 "github.com/civicase/civicase/proto/gen/civicase/audit/v1"
	"github.com/civicase/civicase/services/audit/auditlog"
	"github.com/civicase/civicase/services/audit/internal/app"
)

// Server adapts the use cases to the API.
type Server struct {
	auditv1.UnimplementedAuditServiceServer
	Proofs      *app.Proofs
	Origin      string
	VerifierKey string
}

// Who may ask: the history is everyone's business only through these roles. Signing a checkpoint
// on demand changes nothing in the log, so an auditor may ask for one.
var (
	readers    = []auth.Role{auth.RoleAuditor, auth.RoleInspector, auth.RoleAdmin}
	publishers = []auth.Role{auth.RoleAuditor, auth.RoleAdmin}
)

func allow(ctx context.Context, roles []auth.Role) error {
	a, ok := auth.ActorFrom(ctx)
	if !ok {
		return apperr.Unauthenticated("NO_ACTOR", "the audit API needs a bearer token")
	}
	if !slices.Contains(roles, a.Role) {
		return apperr.PermissionDenied("ROLE_NOT_ALLOWED", "role %q may not use this audit call", a.Role)
	}
	return nil
}

func checkpointProto(c *app.SignedCheckpoint, origin string) *auditv1.Checkpoint {
	if c == nil {
		return nil
	}
	return &auditv1.Checkpoint{Note: c.Note, Origin: origin, TreeSize: uint64(c.Size), RootHash: c.Root[:], PublishedAt: timestamppb.New(c.PublishedAt)}
}

func leafProto(l app.Leaf, h tlog.Hash) *auditv1.Leaf {
	out := &auditv1.Leaf{StreamSequence: l.Seq, CommitIndex: l.Index, EventId: l.EventID, LeafHash: h[:]}
	if l.Leaf >= 0 {
		out.LeafIndex = uint64(l.Leaf)
	}
	return out
}

func hashes[T ~[]tlog.Hash](p T) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out
}

// LatestCheckpoint implements the API.
func (s *Server) LatestCheckpoint(ctx context.Context, _ *auditv1.LatestCheckpointRequest) (*auditv1.LatestCheckpointResponse, error) {
	if err := allow(ctx, readers); err != nil {
		return nil, err
	}
	cp, ok, pos, err := s.Proofs.Latest(ctx)
	if err != nil {
		return nil, err
	}
	res := &auditv1.LatestCheckpointResponse{VerifierKey: s.VerifierKey,
		Sequencer: &auditv1.SequencerState{StreamSequence: pos.Seq, TreeSize: uint64(pos.Size), Halted: pos.Halted}}
	if ok {
		res.Checkpoint = checkpointProto(&cp, s.Origin)
	}
	return res, nil
}

// PublishCheckpoint implements the API.
func (s *Server) PublishCheckpoint(ctx context.Context, _ *auditv1.PublishCheckpointRequest) (*auditv1.PublishCheckpointResponse, error) {
	if err := allow(ctx, publishers); err != nil {
		return nil, err
	}
	cp, err := s.Proofs.Checkpointer.Publish(ctx)
	if err != nil {
		return nil, err
	}
	return &auditv1.PublishCheckpointResponse{Checkpoint: checkpointProto(&cp, s.Origin)}, nil
}

// GetInclusionProof implements the API.
func (s *Server) GetInclusionProof(ctx context.Context, req *auditv1.GetInclusionProofRequest) (*auditv1.GetInclusionProofResponse, error) {
	if err := allow(ctx, readers); err != nil {
		return nil, err
	}
	var q app.LeafQuery
	switch e := req.GetEvent().(type) {
	case *auditv1.GetInclusionProofRequest_LeafIndex:
		i := int64(e.LeafIndex)
		q.Leaf = &i
	case *auditv1.GetInclusionProofRequest_Position:
		q.Position = &auditlog.LeafRef{Seq: e.Position.GetStreamSequence(), Index: e.Position.GetCommitIndex()}
	case *auditv1.GetInclusionProofRequest_EventId:
		q.EventID = e.EventId
	}
	leaf, h, proof, n, cp, err := s.Proofs.Inclusion(ctx, q, int64(req.GetTreeSize()))
	if err != nil {
		return nil, err
	}
	return &auditv1.GetInclusionProofResponse{Leaf: leafProto(leaf, h), TreeSize: uint64(n), Proof: hashes(proof), Checkpoint: checkpointProto(cp, s.Origin)}, nil
}

// GetConsistencyProof implements the API.
func (s *Server) GetConsistencyProof(ctx context.Context, req *auditv1.GetConsistencyProofRequest) (*auditv1.GetConsistencyProofResponse, error) {
	if err := allow(ctx, readers); err != nil {
		return nil, err
	}
	proof, n, cp, err := s.Proofs.Consistency(ctx, int64(req.GetOldSize()), int64(req.GetNewSize()))
	if err != nil {
		return nil, err
	}
	return &auditv1.GetConsistencyProofResponse{OldSize: req.GetOldSize(), NewSize: uint64(n), Proof: hashes(proof), Checkpoint: checkpointProto(cp, s.Origin)}, nil
}

// GetCaseEvents implements the API.
func (s *Server) GetCaseEvents(ctx context.Context, req *auditv1.GetCaseEventsRequest) (*auditv1.GetCaseEventsResponse, error) {
	if err := allow(ctx, readers); err != nil {
		return nil, err
	}
	cp, events, err := s.Proofs.CaseEvents(ctx, req.GetCaseId())
	if err != nil {
		return nil, err
	}
	res := &auditv1.GetCaseEventsResponse{Checkpoint: checkpointProto(&cp, s.Origin)}
	for _, e := range events {
		res.Events = append(res.Events, &auditv1.CaseEvent{Envelope: e.Event.Canonical, Leaf: leafProto(e.Leaf, e.Hash), Proof: hashes(e.Proof), Checkpointed: e.Checkpointed})
	}
	return res, nil
}
