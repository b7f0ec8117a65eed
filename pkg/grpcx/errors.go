// Package grpcx is the gRPC transport plumbing shared by every civicase service: the one mapping
// from apperr kinds to gRPC status codes with standard error details, request validation with
// protovalidate, panic recovery, and a server constructor that wires them in a fixed order.
package grpcx

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/civicase/civicase/pkg/apperr"
)

// DefaultErrorDomain is the google.rpc.ErrorInfo domain of civicase errors: with the reason it
// identifies an error for clients.
const DefaultErrorDomain = "civicase"

// internalMessage is all a client learns of an internal error; the cause goes to the log.
const internalMessage = "internal error"

var kindCodes = map[apperr.Kind]codes.Code{
	apperr.KindUnknown:            codes.Internal,
	apperr.KindInvalidArgument:    codes.InvalidArgument,
	apperr.KindFailedPrecondition: codes.FailedPrecondition,
	apperr.KindNotFound:           codes.NotFound,
	apperr.KindAlreadyExists:      codes.AlreadyExists,
	apperr.KindConflict:           codes.Aborted,
	apperr.KindPermissionDenied:   codes.PermissionDenied,
	apperr.KindUnauthenticated:    codes.Unauthenticated,
	apperr.KindUnavailable:        codes.Unavailable,
	apperr.KindInternal:           codes.Internal,
}

// Code is the gRPC code of an apperr kind.
func Code(k apperr.Kind) codes.Code {
	if c, ok := kindCodes[k]; ok {
		return c
	}
	return codes.Internal
}

// ErrorMapper turns handler errors into gRPC statuses. It is the only place that does.
type ErrorMapper struct {
	// Domain is the ErrorInfo domain; empty means DefaultErrorDomain.
	Domain string
	// Logger receives internal errors with their cause; nil means slog.Default().
	Logger *slog.Logger
}

// Status maps err to a gRPC status:
//   - an apperr.Error keeps its kind's code and message, with a google.rpc.ErrorInfo (reason,
//     domain, metadata), a BadRequest listing field violations for invalid input, and a
//     PreconditionFailure for failed preconditions;
//   - context cancellation and deadline become Canceled and DeadlineExceeded;
//   - a status error (e.g. from grpc itself) passes through, except that the text of an Internal or
//     Unknown one is replaced;
//   - anything else becomes Internal with a fixed message: its text may hold details a client must
//     not see, so it only goes to the log.
//
// It returns nil for a nil error.
func (m ErrorMapper) Status(ctx context.Context, method string, err error) *status.Status {
	if err == nil {
		return nil
	}
	if e, ok := apperr.As(err); ok {
		code := Code(e.Kind())
		if code == codes.Internal {
			m.logInternal(ctx, method, err)
			return m.withDetails(status.New(codes.Internal, internalMessage), &errdetails.ErrorInfo{
				Reason: e.Reason(),
				Domain: m.domain(),
			})
		}
		return m.withDetails(status.New(code, e.Message()), details(e, m.domain())...)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, context.Canceled.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, context.DeadlineExceeded.Error())
	}
	if s, ok := status.FromError(err); ok {
		if s.Code() != codes.Internal && s.Code() != codes.Unknown {
			return s
		}
	}
	m.logInternal(ctx, method, err)
	return m.withDetails(status.New(codes.Internal, internalMessage), &errdetails.ErrorInfo{
		Reason: apperr.KindInternal.DefaultReason(),
		Domain: m.domain(),
	})
}

func details(e *apperr.Error, domain string) []protoadapt.MessageV1 {
	ds := []protoadapt.MessageV1{&errdetails.ErrorInfo{
		Reason:   e.Reason(),
		Domain:   domain,
		Metadata: e.Metadata(),
	}}
	if vs := e.Violations(); len(vs) > 0 {
		br := &errdetails.BadRequest{}
		for _, v := range vs {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
				Field:       v.Field,
				Description: v.Description,
				Reason:      v.Reason,
			})
		}
		ds = append(ds, br)
	}
	if e.Kind() == apperr.KindFailedPrecondition {
		ds = append(ds, &errdetails.PreconditionFailure{
			Violations: []*errdetails.PreconditionFailure_Violation{{
				Type:        e.Reason(),
				Subject:     e.Subject(),
				Description: e.Message(),
			}},
		})
	}
	return ds
}

func (m ErrorMapper) withDetails(s *status.Status, ds ...protoadapt.MessageV1) *status.Status {
	withD, err := s.WithDetails(ds...)
	if err != nil {
		// Only a detail that cannot be marshalled gets here; the bare status still tells the code.
		m.logger().Error("grpcx: attaching error details", "error", err)
		return s
	}
	return withD
}

func (m ErrorMapper) logInternal(ctx context.Context, method string, err error) {
	m.logger().ErrorContext(ctx, "internal error", "method", method, "error", err)
}

func (m ErrorMapper) domain() string {
	if m.Domain == "" {
		return DefaultErrorDomain
	}
	return m.Domain
}

func (m ErrorMapper) logger() *slog.Logger {
	if m.Logger == nil {
		return slog.Default()
	}
	return m.Logger
}

// UnaryServerInterceptor maps every error a unary handler (or an inner interceptor) returns.
func (m ErrorMapper) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if err != nil {
			return nil, m.Status(ctx, info.FullMethod, err).Err()
		}
		return resp, nil
	}
}

// StreamServerInterceptor maps the error a streaming handler (or an inner interceptor) returns.
func (m ErrorMapper) StreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := handler(srv, ss); err != nil {
			return m.Status(ss.Context(), info.FullMethod, err).Err()
		}
		return nil
	}
}

// FromStatus turns an error received from a gRPC call back into an apperr.Error, with the reason,
// metadata, field violations and precondition subject the server sent. A service that calls another
// returns this, so the taxonomy survives the hop. Codes without an apperr kind (Canceled,
// DeadlineExceeded, ResourceExhausted, ...) and non-status errors are returned unchanged.
func FromStatus(err error) error {
	s, ok := status.FromError(err)
	if !ok || s.Code() == codes.OK {
		return err
	}
	kind, ok := codeKinds[s.Code()]
	if !ok {
		return err
	}
	e := apperr.New(kind, "", "%s", s.Message()).WithCause(err)
	for _, d := range s.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			e = e.WithReason(d.GetReason())
			for k, v := range d.GetMetadata() {
				e = e.WithMeta(k, v)
			}
		case *errdetails.BadRequest:
			for _, fv := range d.GetFieldViolations() {
				e = e.WithViolations(apperr.Violation{
					Field:       fv.GetField(),
					Description: fv.GetDescription(),
					Reason:      fv.GetReason(),
				})
			}
		case *errdetails.PreconditionFailure:
			if vs := d.GetViolations(); len(vs) > 0 {
				e = e.WithSubject(vs[0].GetSubject())
			}
		}
	}
	return e
}

var codeKinds = map[codes.Code]apperr.Kind{
	codes.InvalidArgument:    apperr.KindInvalidArgument,
	codes.FailedPrecondition: apperr.KindFailedPrecondition,
	codes.NotFound:           apperr.KindNotFound,
	codes.AlreadyExists:      apperr.KindAlreadyExists,
	codes.Aborted:            apperr.KindConflict,
	codes.PermissionDenied:   apperr.KindPermissionDenied,
	codes.Unauthenticated:    apperr.KindUnauthenticated,
	codes.Unavailable:        apperr.KindUnavailable,
	codes.Internal:           apperr.KindInternal,
	codes.Unknown:            apperr.KindInternal,
	codes.DataLoss:           apperr.KindInternal,
}
