// Package grpc serves civicase.reporting.v1.ReportingService: it turns requests (already
// validated by their protovalidate rules) into use cases of the app and results into responses.
package grpc

import (
	"context"

	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/unitreg"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	"github.com/civicase/civicase/services/reporting/internal/app"
)

// Server implements ReportingService.
type Server struct {
	reportingv1.UnimplementedReportingServiceServer
	app *app.App
}

// NewServer serves the reporting use cases.
func NewServer(a *app.App) *Server { return &Server{app: a} }

// GenerateReport fills a form.
func (s *Server) GenerateReport(ctx context.Context, req *reportingv1.GenerateReportRequest) (*reportingv1.GenerateReportResponse, error) {
	g, err := s.app.GenerateReport(ctx, req.GetSpec())
	if err != nil {
		return nil, err
	}
	return &reportingv1.GenerateReportResponse{Report: app.ReportProto(g)}, nil
}

// ExportReport writes a form as a file.
func (s *Server) ExportReport(ctx context.Context, req *reportingv1.ExportReportRequest) (*reportingv1.ExportReportResponse, error) {
	f, err := s.app.ExportReport(ctx, req.GetSpec(), req.GetSubmissionId(), req.GetFormat())
	if err != nil {
		return nil, err
	}
	return &reportingv1.ExportReportResponse{Content: f.Content, FileName: f.Name, ContentType: f.ContentType}, nil
}

// CountCases counts cases for a dashboard.
func (s *Server) CountCases(ctx context.Context, req *reportingv1.CountCasesRequest) (*reportingv1.CountCasesResponse, error) {
	return s.app.CountCases(ctx, req)
}

// OnTimeRate is the share of on-time resolutions.
func (s *Server) OnTimeRate(ctx context.Context, req *reportingv1.OnTimeRateRequest) (*reportingv1.OnTimeRateResponse, error) {
	return s.app.OnTimeRate(ctx, req)
}

// Trend counts per month.
func (s *Server) Trend(ctx context.Context, req *reportingv1.TrendRequest) (*reportingv1.TrendResponse, error) {
	return s.app.Trend(ctx, req)
}

// DeclarePlan records a plan.
func (s *Server) DeclarePlan(ctx context.Context, req *reportingv1.DeclarePlanRequest) (*reportingv1.DeclarePlanResponse, error) {
	id, err := s.app.DeclarePlan(ctx, command.FromProto(ctx, req.GetMeta()), req.GetPlan())
	if err != nil {
		return nil, err
	}
	return &reportingv1.DeclarePlanResponse{PlanId: id}, nil
}

// SubmitReport records a submission with its frozen report.
func (s *Server) SubmitReport(ctx context.Context, req *reportingv1.SubmitReportRequest) (*reportingv1.SubmitReportResponse, error) {
	sub, err := s.app.SubmitReport(ctx, command.FromProto(ctx, req.GetMeta()), req)
	if err != nil {
		return nil, err
	}
	return &reportingv1.SubmitReportResponse{SubmissionId: sub.ID, SubmittedOn: unitreg.DateProto(sub.SubmittedOn), Report: sub.Report}, nil
}

// GetSubmission returns a submission as frozen.
func (s *Server) GetSubmission(ctx context.Context, req *reportingv1.GetSubmissionRequest) (*reportingv1.GetSubmissionResponse, error) {
	sub, err := s.app.GetSubmission(ctx, req.GetSubmissionId())
	if err != nil {
		return nil, err
	}
	return &reportingv1.GetSubmissionResponse{Submission: sub}, nil
}

// ListObligations lists obligations with their status.
func (s *Server) ListObligations(ctx context.Context, req *reportingv1.ListObligationsRequest) (*reportingv1.ListObligationsResponse, error) {
	return s.app.ListObligations(ctx, req)
}
