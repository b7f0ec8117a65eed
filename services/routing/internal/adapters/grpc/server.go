// Package grpc is the routing service's gRPC adapter: it turns requests (already validated by
// protovalidate at the edge) into use cases and their answers into responses, and nothing else.
package grpc

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/command"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	"github.com/civicase/civicase/services/routing/internal/app"
)

// Server implements routingv1.RoutingServiceServer.
type Server struct {
	routingv1.UnimplementedRoutingServiceServer
	app *app.Application
}

// New returns the server of an application.
func New(a *app.Application) *Server { return &Server{app: a} }

// ProcessPetition classifies a petition and decides what to do with it.
func (s *Server) ProcessPetition(ctx context.Context, req *routingv1.ProcessPetitionRequest) (*routingv1.ProcessPetitionResponse, error) {
	var decision proto.Message
	switch d := req.GetDecision().(type) {
	case *routingv1.ProcessPetitionRequest_Accept_:
		decision = d.Accept
	case *routingv1.ProcessPetitionRequest_Guide_:
		decision = d.Guide
	case *routingv1.ProcessPetitionRequest_Forward_:
		decision = d.Forward
	case *routingv1.ProcessPetitionRequest_ReturnToSender:
		decision = d.ReturnToSender
	case *routingv1.ProcessPetitionRequest_FileAway_:
		decision = d.FileAway
	}
	c, err := s.app.ProcessPetition.Handle(ctx, app.ProcessPetition{
		Meta: command.FromProto(ctx, req.GetMeta()), PetitionID: req.GetPetitionId(),
		ProcessedOn: calendarpb.FromProto(req.GetProcessedOn()), Kind: req.GetKind(), Field: req.GetField(), Decision: decision,
	})
	if err != nil {
		return nil, err
	}
	return &routingv1.ProcessPetitionResponse{Case: c}, nil
}

// AssignCase gives a case to a handler or an agency.
func (s *Server) AssignCase(ctx context.Context, req *routingv1.AssignCaseRequest) (*routingv1.AssignCaseResponse, error) {
	c, err := s.app.AssignCase.Handle(ctx, app.AssignCase{
		Meta: command.FromProto(ctx, req.GetMeta()), CaseID: req.GetCaseId(), Assignee: req.GetAssigneeUnitCode(),
		Handler: req.GetHandlerSubject(), AssignedOn: calendarpb.FromProto(req.GetAssignedOn()),
	})
	if err != nil {
		return nil, err
	}
	return &routingv1.AssignCaseResponse{Case: c}, nil
}

// RecordStep records one step of a case's resolution.
func (s *Server) RecordStep(ctx context.Context, req *routingv1.RecordStepRequest) (*routingv1.RecordStepResponse, error) {
	c, err := s.app.RecordStep.Handle(ctx, app.RecordStep{
		Meta: command.FromProto(ctx, req.GetMeta()), CaseID: req.GetCaseId(), On: calendarpb.FromProto(req.GetOn()), Step: step(req),
	})
	if err != nil {
		return nil, err
	}
	return &routingv1.RecordStepResponse{Case: c}, nil
}

func step(req *routingv1.RecordStepRequest) proto.Message {
	switch s := req.GetStep().(type) {
	case *routingv1.RecordStepRequest_VerificationStarted:
		return s.VerificationStarted
	case *routingv1.RecordStepRequest_DialogueHeld:
		return s.DialogueHeld
	case *routingv1.RecordStepRequest_ComplaintDecision_:
		return s.ComplaintDecision
	case *routingv1.RecordStepRequest_DecisionSent:
		return s.DecisionSent
	case *routingv1.RecordStepRequest_DecisionExecuted:
		return s.DecisionExecuted
	case *routingv1.RecordStepRequest_Extension_:
		return s.Extension
	case *routingv1.RecordStepRequest_Suspension_:
		return s.Suspension
	case *routingv1.RecordStepRequest_Resumption_:
		return s.Resumption
	case *routingv1.RecordStepRequest_Conclusion_:
		return s.Conclusion
	case *routingv1.RecordStepRequest_ConclusionActedOn:
		return s.ConclusionActedOn
	case *routingv1.RecordStepRequest_ConclusionPublished:
		return s.ConclusionPublished
	case *routingv1.RecordStepRequest_Withdrawal_:
		return s.Withdrawal
	case *routingv1.RecordStepRequest_Termination_:
		return s.Termination
	case *routingv1.RecordStepRequest_ReplyReceived:
		return s.ReplyReceived
	}
	return nil
}

// GetCase returns a case with its timeline and open clocks.
func (s *Server) GetCase(ctx context.Context, req *routingv1.GetCaseRequest) (*routingv1.GetCaseResponse, error) {
	c, err := s.app.GetCase.Handle(ctx, app.GetCase{CaseID: req.GetCaseId()})
	if err != nil {
		return nil, err
	}
	return &routingv1.GetCaseResponse{Case: c}, nil
}

// ListCases lists cases with filters, a page at a time.
func (s *Server) ListCases(ctx context.Context, req *routingv1.ListCasesRequest) (*routingv1.ListCasesResponse, error) {
	cases, next, err := s.app.ListCases.Handle(ctx, app.ListCases{
		Unit: req.GetUnitCode(), Kind: req.GetKind(), Statuses: req.GetStatuses(),
		DueBefore: calendarpb.FromProto(req.GetDueBefore()), OverdueOn: calendarpb.FromProto(req.GetOverdueOn()),
		PageSize: int(req.GetPage().GetPageSize()), PageToken: req.GetPage().GetPageToken(),
	})
	if err != nil {
		return nil, err
	}
	return &routingv1.ListCasesResponse{Cases: cases, NextPageToken: next}, nil
}

// WatchRoutedCases streams the cases routed to a unit from a cursor, then live.
func (s *Server) WatchRoutedCases(req *routingv1.WatchRoutedCasesRequest, stream routingv1.RoutingService_WatchRoutedCasesServer) error {
	return s.app.WatchRoutedCases.Handle(stream.Context(), app.WatchRoutedCases{Unit: req.GetUnitCode(), After: req.GetAfterCursor()},
		func(rc app.RoutedCase) error {
			return stream.Send(&routingv1.WatchRoutedCasesResponse{
				Cursor: rc.Cursor, CaseId: rc.CaseID, EventType: rc.EventType, Kind: rc.Kind,
				RoutedOn: calendarpb.ToProto(rc.RoutedOn), FromUnitCode: rc.FromUnit,
			})
		})
}
