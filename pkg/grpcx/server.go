package grpcx

import (
	"context"
	"log/slog"
	"runtime/debug"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/civicase/civicase/pkg/apperr"
)

// ServerOptions configure NewServer.
type ServerOptions struct {
	// Logger receives panics and internal errors; nil means slog.Default().
	Logger *slog.Logger
	// ErrorDomain is the ErrorInfo domain; empty means DefaultErrorDomain.
	ErrorDomain string
	// AuthUnary and AuthStream identify the caller (see pkg/auth). Nil leaves calls anonymous: only
	// for tests and servers that expose nothing but health.
	AuthUnary  grpc.UnaryServerInterceptor
	AuthStream grpc.StreamServerInterceptor
	// Validator checks requests; nil validates with protovalidate's global validator.
	Validator *Validator
	// Extra are appended to the server options, e.g. a stats handler for tracing or credentials.
	Extra []grpc.ServerOption
}

// NewServer builds a gRPC server whose interceptors run in this order on every call:
//
//	recovery → error mapping → auth → validation → handler
//
// Recovery comes first so that a panic anywhere below becomes Internal instead of killing the
// process. Error mapping comes right after it, so the Unauthenticated of auth and the
// InvalidArgument of validation go through the same single mapping as handler errors. Auth comes
// before validation so that an anonymous caller learns nothing about what a valid request looks like.
func NewServer(o ServerOptions) *grpc.Server {
	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}
	mapper := ErrorMapper{Domain: o.ErrorDomain, Logger: logger}
	v := o.Validator
	if v == nil {
		v = NewValidator(nil)
	}
	unary := []grpc.UnaryServerInterceptor{RecoveryUnaryInterceptor(mapper), mapper.UnaryServerInterceptor()}
	stream := []grpc.StreamServerInterceptor{RecoveryStreamInterceptor(mapper), mapper.StreamServerInterceptor()}
	if o.AuthUnary != nil {
		unary = append(unary, o.AuthUnary)
	}
	if o.AuthStream != nil {
		stream = append(stream, o.AuthStream)
	}
	unary = append(unary, v.UnaryServerInterceptor())
	stream = append(stream, v.StreamServerInterceptor())
	opts := append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
	}, o.Extra...)
	return grpc.NewServer(opts...)
}

// RecoveryUnaryInterceptor turns a handler panic into an Internal status (stack logged, not sent).
func RecoveryUnaryInterceptor(m ErrorMapper) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = m.Status(ctx, info.FullMethod, panicError(r)).Err()
				resp = nil
			}
		}()
		return handler(ctx, req)
	}
}

// RecoveryStreamInterceptor turns a streaming handler panic into an Internal status.
func RecoveryStreamInterceptor(m ErrorMapper) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = m.Status(ss.Context(), info.FullMethod, panicError(r)).Err()
			}
		}()
		return handler(srv, ss)
	}
}

func panicError(r any) error {
	return apperr.Internal("PANIC", "panic: %v\n%s", r, debug.Stack())
}

// RegisterHealth registers the standard gRPC health service (grpc.health.v1) and returns it, so the
// caller can flip its status, e.g. to NOT_SERVING while a projection is stopped.
func RegisterHealth(s *grpc.Server) *health.Server {
	h := health.NewServer()
	healthpb.RegisterHealthServer(s, h)
	return h
}

// RegisterReflection registers server reflection (v1 and v1alpha), so grpcurl and similar tools can
// discover the services without .proto files.
func RegisterReflection(s *grpc.Server) {
	reflection.Register(s)
}
