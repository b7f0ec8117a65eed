// Package grpc is the supervision service's gRPC adapter: it turns requests (already validated by
// protovalidate at the edge) into use cases and their answers into responses, and nothing else.
package grpc

import (
	"context"

	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/command"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
	"github.com/civicase/civicase/services/supervision/internal/app"
	"github.com/civicase/civicase/services/supervision/internal/domain"
)

// Server implements supervisionv1.SupervisionServiceServer.
type Server struct {
	supervisionv1.UnimplementedSupervisionServiceServer
	app *app.Application
}

// New returns the server of an application.
func New(a *app.Application) *Server { return &Server{app: a} }

var date = calendarpb.FromProto

// ListOverdue lists the open legal clocks past their due date.
func (s *Server) ListOverdue(ctx context.Context, req *supervisionv1.ListOverdueRequest) (*supervisionv1.ListOverdueResponse, error) {
	l, err := s.app.ListOverdue(ctx, app.DeadlineQuery{
		Unit: req.GetUnitCode(), IncludeSubordinates: req.GetIncludeSubordinates(), Handler: req.GetHandlerSubject(), CaseID: req.GetCaseId(),
		AsOf: date(req.GetAsOf()), MinDaysOverdue: int(req.GetMinDaysOverdue()), PageSize: int(req.GetPage().GetPageSize()), PageToken: req.GetPage().GetPageToken(),
	})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.ListOverdueResponse{Clocks: l.Clocks, NextPageToken: l.Next, AsOf: calendarpb.ToProto(l.AsOf)}, nil
}

// ListDueSoon lists the open legal clocks due within a number of working days.
func (s *Server) ListDueSoon(ctx context.Context, req *supervisionv1.ListDueSoonRequest) (*supervisionv1.ListDueSoonResponse, error) {
	l, err := s.app.ListDueSoon(ctx, app.DeadlineQuery{
		Unit: req.GetUnitCode(), IncludeSubordinates: req.GetIncludeSubordinates(), Handler: req.GetHandlerSubject(),
		AsOf: date(req.GetAsOf()), WithinWorkingDays: int(req.GetWithinWorkingDays()), PageSize: int(req.GetPage().GetPageSize()), PageToken: req.GetPage().GetPageToken(),
	})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.ListDueSoonResponse{Clocks: l.Clocks, NextPageToken: l.Next, AsOf: calendarpb.ToProto(l.AsOf)}, nil
}

// IssueUrging records an urging letter.
func (s *Server) IssueUrging(ctx context.Context, req *supervisionv1.IssueUrgingRequest) (*supervisionv1.IssueUrgingResponse, error) {
	u, err := s.app.IssueUrging(ctx, app.IssueUrging{Meta: command.FromProto(ctx, req.GetMeta()), IssueUrging: domain.IssueUrging{
		CaseID: req.GetCaseId(), IssuingUnit: req.GetIssuingUnitCode(), Unit: req.GetUnitCode(), Clock: req.GetClock(),
		IssuedOn: date(req.GetIssuedOn()), LetterNumber: req.GetLetterNumber(), RespondBy: date(req.GetRespondBy()),
	}})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.IssueUrgingResponse{Urging: u}, nil
}

// EscalateUrging escalates an unanswered urging to the superior.
func (s *Server) EscalateUrging(ctx context.Context, req *supervisionv1.EscalateUrgingRequest) (*supervisionv1.EscalateUrgingResponse, error) {
	u, err := s.app.EscalateUrging(ctx, app.EscalateUrging{
		Meta: command.FromProto(ctx, req.GetMeta()), UrgingID: req.GetUrgingId(), EscalatedOn: date(req.GetEscalatedOn()), Superior: req.GetSuperiorUnitCode(),
	})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.EscalateUrgingResponse{Urging: u}, nil
}

// RecordUrgingResponse records the answer to an urging.
func (s *Server) RecordUrgingResponse(ctx context.Context, req *supervisionv1.RecordUrgingResponseRequest) (*supervisionv1.RecordUrgingResponseResponse, error) {
	u, err := s.app.RecordUrgingResponse(ctx, app.AnswerUrging{
		Meta: command.FromProto(ctx, req.GetMeta()), UrgingID: req.GetUrgingId(), RespondingUnit: req.GetRespondingUnitCode(),
		RespondedOn: date(req.GetRespondedOn()), Reference: req.GetReference(),
	})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.RecordUrgingResponseResponse{Urging: u}, nil
}

// ListUrgings lists urgings.
func (s *Server) ListUrgings(ctx context.Context, req *supervisionv1.ListUrgingsRequest) (*supervisionv1.ListUrgingsResponse, error) {
	out, next, err := s.app.ListUrgings(ctx, app.UrgingQuery{
		UrgingFilter: app.UrgingFilter{Unit: req.GetUnitCode(), CaseID: req.GetCaseId(), OpenOnly: req.GetOpenOnly()},
		PageSize:     int(req.GetPage().GetPageSize()), PageToken: req.GetPage().GetPageToken(),
	})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.ListUrgingsResponse{Urgings: out, NextPageToken: next}, nil
}

// CreateProgramme records a supervision programme.
func (s *Server) CreateProgramme(ctx context.Context, req *supervisionv1.CreateProgrammeRequest) (*supervisionv1.CreateProgrammeResponse, error) {
	p, err := s.app.CreateProgramme(ctx, app.CreateProgramme{Meta: command.FromProto(ctx, req.GetMeta()), CreateProgramme: domain.CreateProgramme{
		Council: req.GetCouncilUnitCode(), Supervisor: req.GetSupervisorKind(), Deputies: req.GetDeputyRefs(), Units: req.GetUnitCodes(),
		From: date(req.GetPeriod().GetFrom()), To: date(req.GetPeriod().GetTo()), Topic: req.GetTopic(), DecidedOn: date(req.GetDecidedOn()),
		DecisionRef: req.GetDecisionReference(),
	}})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.CreateProgrammeResponse{Programme: p}, nil
}

// RecordFinding records a finding.
func (s *Server) RecordFinding(ctx context.Context, req *supervisionv1.RecordFindingRequest) (*supervisionv1.RecordFindingResponse, error) {
	p, id, err := s.app.RecordFinding(ctx, app.RecordFinding{
		Meta: command.FromProto(ctx, req.GetMeta()), ProgrammeID: req.GetProgrammeId(), Unit: req.GetUnitCode(), FoundOn: date(req.GetFoundOn()),
		Summary: req.GetSummary(), Cases: req.GetCaseIds(),
	})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.RecordFindingResponse{Programme: p, FindingId: id}, nil
}

// IssueRecommendation issues a recommendation.
func (s *Server) IssueRecommendation(ctx context.Context, req *supervisionv1.IssueRecommendationRequest) (*supervisionv1.IssueRecommendationResponse, error) {
	p, rec, err := s.app.IssueRecommendation(ctx, app.IssueRecommendation{
		Meta: command.FromProto(ctx, req.GetMeta()), ProgrammeID: req.GetProgrammeId(), Unit: req.GetAddressedUnitCode(),
		IssuedOn: date(req.GetIssuedOn()), Content: req.GetContent(), FindingID: req.GetFindingId(), Cases: req.GetCaseIds(),
	})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.IssueRecommendationResponse{Programme: p, Recommendation: rec}, nil
}

// RecordRecommendationResponse records an answer to a recommendation.
func (s *Server) RecordRecommendationResponse(ctx context.Context, req *supervisionv1.RecordRecommendationResponseRequest) (*supervisionv1.RecordRecommendationResponseResponse, error) {
	p, rec, err := s.app.RecordRecommendationResponse(ctx, app.AnswerRecommendation{
		Meta: command.FromProto(ctx, req.GetMeta()), ProgrammeID: req.GetProgrammeId(), RecommendationID: req.GetRecommendationId(),
		RespondedOn: date(req.GetRespondedOn()), Reference: req.GetReference(),
	})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.RecordRecommendationResponseResponse{Programme: p, Recommendation: rec}, nil
}

// CloseProgramme closes a programme.
func (s *Server) CloseProgramme(ctx context.Context, req *supervisionv1.CloseProgrammeRequest) (*supervisionv1.CloseProgrammeResponse, error) {
	p, err := s.app.CloseProgramme(ctx, app.CloseProgramme{
		Meta: command.FromProto(ctx, req.GetMeta()), ProgrammeID: req.GetProgrammeId(), ClosedOn: date(req.GetClosedOn()), Reference: req.GetReportReference(),
	})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.CloseProgrammeResponse{Programme: p}, nil
}

// GetProgramme returns a programme.
func (s *Server) GetProgramme(ctx context.Context, req *supervisionv1.GetProgrammeRequest) (*supervisionv1.GetProgrammeResponse, error) {
	p, err := s.app.GetProgramme(ctx, req.GetProgrammeId())
	if err != nil {
		return nil, err
	}
	return &supervisionv1.GetProgrammeResponse{Programme: p}, nil
}

// ListProgrammes lists programmes.
func (s *Server) ListProgrammes(ctx context.Context, req *supervisionv1.ListProgrammesRequest) (*supervisionv1.ListProgrammesResponse, error) {
	out, next, err := s.app.ListProgrammes(ctx, app.ProgrammeQuery{
		Unit: req.GetUnitCode(), OpenOnly: req.GetOpenOnly(), PageSize: int(req.GetPage().GetPageSize()), PageToken: req.GetPage().GetPageToken(),
	})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.ListProgrammesResponse{Programmes: out, NextPageToken: next}, nil
}

// RecordDeputyResultReceived records the result reaching a deputy.
func (s *Server) RecordDeputyResultReceived(ctx context.Context, req *supervisionv1.RecordDeputyResultReceivedRequest) (*supervisionv1.RecordDeputyResultReceivedResponse, error) {
	f, err := s.app.RecordDeputyResultReceived(ctx, app.ResultReceived{
		Meta: command.FromProto(ctx, req.GetMeta()), PetitionID: req.GetPetitionId(), Council: req.GetCouncilUnitCode(),
		ReceivedOn: date(req.GetReceivedOn()), FromUnit: req.GetFromUnitCode(),
	})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.RecordDeputyResultReceivedResponse{FollowUp: f}, nil
}

// RecordCitizenInformed records the citizen being informed.
func (s *Server) RecordCitizenInformed(ctx context.Context, req *supervisionv1.RecordCitizenInformedRequest) (*supervisionv1.RecordCitizenInformedResponse, error) {
	f, err := s.app.RecordCitizenInformed(ctx, app.Informed{
		Meta: command.FromProto(ctx, req.GetMeta()), PetitionID: req.GetPetitionId(), InformedOn: date(req.GetInformedOn()),
	})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.RecordCitizenInformedResponse{FollowUp: f}, nil
}

// ListDeputyFollowUps lists deputies' follow-ups.
func (s *Server) ListDeputyFollowUps(ctx context.Context, req *supervisionv1.ListDeputyFollowUpsRequest) (*supervisionv1.ListDeputyFollowUpsResponse, error) {
	out, next, err := s.app.ListDeputyFollowUps(ctx, app.FollowUpQuery{
		DeputyRef: req.GetDeputyRef(), Unit: req.GetUnitCode(), OpenOnly: req.GetOpenOnly(),
		PageSize: int(req.GetPage().GetPageSize()), PageToken: req.GetPage().GetPageToken(),
	})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.ListDeputyFollowUpsResponse{FollowUps: out, NextPageToken: next}, nil
}

// RegisterHotSpot puts a hot spot on the register.
func (s *Server) RegisterHotSpot(ctx context.Context, req *supervisionv1.RegisterHotSpotRequest) (*supervisionv1.RegisterHotSpotResponse, error) {
	h, err := s.app.RegisterHotSpot(ctx, app.RegisterHotSpot{Meta: command.FromProto(ctx, req.GetMeta()), RegisterHotSpot: domain.RegisterHotSpot{
		Unit: req.GetUnitCode(), Title: req.GetTitle(), Leader: req.GetLeaderSubject(), Status: req.GetStatus(), Cases: req.GetCaseIds(),
		RegisteredOn: date(req.GetRegisteredOn()), RuleIDs: req.GetRuleIds(),
	}})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.RegisterHotSpotResponse{HotSpot: h}, nil
}

// UpdateHotSpot changes a hot spot.
func (s *Server) UpdateHotSpot(ctx context.Context, req *supervisionv1.UpdateHotSpotRequest) (*supervisionv1.UpdateHotSpotResponse, error) {
	h, err := s.app.UpdateHotSpot(ctx, app.UpdateHotSpot{Meta: command.FromProto(ctx, req.GetMeta()), HotSpotID: req.GetHotSpotId(), UpdateHotSpot: domain.UpdateHotSpot{
		On: date(req.GetUpdatedOn()), Leader: req.GetLeaderSubject(), Status: req.GetStatus(), AddCases: req.GetAddCaseIds(),
		RemoveCases: req.GetRemoveCaseIds(), Note: req.GetNote(),
	}})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.UpdateHotSpotResponse{HotSpot: h}, nil
}

// CloseHotSpot takes a hot spot off the register.
func (s *Server) CloseHotSpot(ctx context.Context, req *supervisionv1.CloseHotSpotRequest) (*supervisionv1.CloseHotSpotResponse, error) {
	h, err := s.app.CloseHotSpot(ctx, app.CloseHotSpot{
		Meta: command.FromProto(ctx, req.GetMeta()), HotSpotID: req.GetHotSpotId(), ClosedOn: date(req.GetClosedOn()), Outcome: req.GetOutcome(),
	})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.CloseHotSpotResponse{HotSpot: h}, nil
}

// ListHotSpots lists the register.
func (s *Server) ListHotSpots(ctx context.Context, req *supervisionv1.ListHotSpotsRequest) (*supervisionv1.ListHotSpotsResponse, error) {
	out, next, err := s.app.ListHotSpots(ctx, app.HotSpotQuery{
		Unit: req.GetUnitCode(), IncludeSubordinates: req.GetIncludeSubordinates(), OpenOnly: req.GetOpenOnly(),
		PageSize: int(req.GetPage().GetPageSize()), PageToken: req.GetPage().GetPageToken(),
	})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.ListHotSpotsResponse{HotSpots: out, NextPageToken: next}, nil
}

// ProposeHotSpots applies the detection rules.
func (s *Server) ProposeHotSpots(ctx context.Context, req *supervisionv1.ProposeHotSpotsRequest) (*supervisionv1.ProposeHotSpotsResponse, error) {
	p, err := s.app.ProposeHotSpots(ctx, app.ProposeQuery{
		Unit: req.GetUnitCode(), IncludeSubordinates: req.GetIncludeSubordinates(), AsOf: date(req.GetAsOf()), ExcludeRegistered: req.GetExcludeRegistered(),
	})
	if err != nil {
		return nil, err
	}
	return &supervisionv1.ProposeHotSpotsResponse{Candidates: p.Candidates, AsOf: calendarpb.ToProto(p.AsOf), RulesVersion: p.Version}, nil
}
