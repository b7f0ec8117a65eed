package grpc

import (
	"context"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/unitreg"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	"github.com/civicase/civicase/services/intake/internal/app"
	"github.com/civicase/civicase/services/intake/internal/domain"
)

// PetitionsServer implements civicase.intake.v1.IntakeService: reception sessions, visits and
// petitions. Requests arrive validated by their protovalidate rules; the rest is the app's.
type PetitionsServer struct {
	intakev1.UnimplementedIntakeServiceServer
	app app.PetitionHandlers
}

// NewPetitionsServer serves the petition and reception use cases.
func NewPetitionsServer(h app.PetitionHandlers) *PetitionsServer { return &PetitionsServer{app: h} }

// RegisterPetition registers a petition.
func (s *PetitionsServer) RegisterPetition(ctx context.Context, req *intakev1.RegisterPetitionRequest) (*intakev1.RegisterPetitionResponse, error) {
	res, err := s.app.RegisterPetition.Handle(ctx, app.RegisterPetition{
		Meta: command.FromProto(ctx, req.GetMeta()),
		Petition: domain.Petition{
			UnitCode:           req.GetUnitCode(),
			ReceivedOn:         domain.DateOf(req.GetReceivedOn()),
			WrittenOn:          domain.DateOf(req.GetWrittenOn()),
			Source:             req.GetSource(),
			ForwardedBy:        req.GetForwardedBy(),
			SenderType:         req.GetSenderType(),
			SignatoryCount:     req.GetSignatoryCount(),
			Contents:           req.GetContents(),
			RespondentUnitCode: req.GetRespondentUnitCode(),
			VisitID:            req.GetVisitId(),
			AttachmentKinds:    req.GetAttachmentKinds(),
			DecisionKnownOn:    domain.DateOf(req.GetDecisionKnownOn()),
			ComplaintInstance:  req.GetComplaintInstance(),
			Sender:             req.GetSender(),
			Content:            req.GetContent(),
		},
	})
	if err != nil {
		return nil, err
	}
	out := &intakev1.RegisterPetitionResponse{
		PetitionId:    res.PetitionID,
		ReceiptNumber: res.ReceiptNumber,
		DuplicateOf:   res.DuplicateOf,
		RepeatNumber:  res.RepeatNumber,
		Anonymous:     res.Anonymous,
		// Unset for a repeat, which starts no clock.
		ProcessingDueOn: unitreg.DateProto(res.ProcessingDueOn),
	}
	return out, nil
}

// GetPetition returns a petition's registration.
func (s *PetitionsServer) GetPetition(ctx context.Context, req *intakev1.GetPetitionRequest) (*intakev1.GetPetitionResponse, error) {
	actor, _ := auth.ActorFrom(ctx)
	res, err := s.app.GetPetition.Handle(ctx, app.GetPetition{Actor: actor, PetitionID: req.GetPetitionId()})
	if err != nil {
		return nil, err
	}
	return &intakev1.GetPetitionResponse{Petition: res.Registered, Repeats: res.Repeats}, nil
}

// OpenReceptionSession opens a session.
func (s *PetitionsServer) OpenReceptionSession(ctx context.Context, req *intakev1.OpenReceptionSessionRequest) (*intakev1.OpenReceptionSessionResponse, error) {
	id, err := s.app.OpenReceptionSession.Handle(ctx, app.OpenReceptionSession{
		Meta: command.FromProto(ctx, req.GetMeta()),
		Session: domain.Session{
			UnitCode:     req.GetUnitCode(),
			Kind:         req.GetKind(),
			HeldOn:       domain.DateOf(req.GetHeldOn()),
			HostPosition: req.GetHostPosition(),
		},
	})
	if err != nil {
		return nil, err
	}
	return &intakev1.OpenReceptionSessionResponse{SessionId: id}, nil
}

// RecordVisit records a visit in an open session.
func (s *PetitionsServer) RecordVisit(ctx context.Context, req *intakev1.RecordVisitRequest) (*intakev1.RecordVisitResponse, error) {
	res, err := s.app.RecordVisit.Handle(ctx, app.RecordVisit{
		Meta:      command.FromProto(ctx, req.GetMeta()),
		SessionID: req.GetSessionId(),
		Visit: domain.Visit{
			PeopleCount:         req.GetPeopleCount(),
			RepresentativeCount: req.GetRepresentativeCount(),
			Kind:                req.GetKind(),
			Field:               req.GetField(),
			Visitor:             req.GetVisitor(),
			Content:             req.GetContent(),
			StatedRepeat:        req.GetRepeat(),
		},
	})
	if err != nil {
		return nil, err
	}
	return &intakev1.RecordVisitResponse{VisitId: res.VisitID, Repeat: res.Repeat, CaseId: res.CaseID, Crowd: res.Crowd}, nil
}

// CloseReceptionSession closes a session.
func (s *PetitionsServer) CloseReceptionSession(ctx context.Context, req *intakev1.CloseReceptionSessionRequest) (*intakev1.CloseReceptionSessionResponse, error) {
	n, err := s.app.CloseReceptionSession.Handle(ctx, app.CloseReceptionSession{
		Meta:      command.FromProto(ctx, req.GetMeta()),
		SessionID: req.GetSessionId(),
	})
	if err != nil {
		return nil, err
	}
	return &intakev1.CloseReceptionSessionResponse{VisitCount: n}, nil
}
