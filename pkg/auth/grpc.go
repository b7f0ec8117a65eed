package auth

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"

	"github.com/civicase/civicase/pkg/apperr"
)

// DefaultPublicMethods may be called without a token: health checks come from orchestrators and
// load balancers that hold none, and reflection only describes the API.
var DefaultPublicMethods = []string{
	healthpb.Health_Check_FullMethodName,
	healthpb.Health_List_FullMethodName,
	healthpb.Health_Watch_FullMethodName,
	reflectionv1.ServerReflection_ServerReflectionInfo_FullMethodName,
	reflectionv1alpha.ServerReflection_ServerReflectionInfo_FullMethodName,
}

// Interceptor authenticates every gRPC call that is not public: it reads the
// `authorization: Bearer <JWT>` metadata, verifies the token, and puts the Actor in the context.
// Its errors are apperr.Errors for the transport's error mapping to turn into statuses.
type Interceptor struct {
	verifier *Verifier
	public   map[string]bool
}

// NewInterceptor authenticates with v; publicMethods are full method names
// ("/package.Service/Method") that need no token, DefaultPublicMethods when nil.
func NewInterceptor(v *Verifier, publicMethods []string) *Interceptor {
	if publicMethods == nil {
		publicMethods = DefaultPublicMethods
	}
	public := make(map[string]bool, len(publicMethods))
	for _, m := range publicMethods {
		public[m] = true
	}
	return &Interceptor{verifier: v, public: public}
}

// Authenticate returns ctx with the caller's Actor, or an Unauthenticated error.
func (i *Interceptor) Authenticate(ctx context.Context) (context.Context, error) {
	token, err := bearerToken(ctx)
	if err != nil {
		return nil, err
	}
	a, err := i.verifier.Verify(token)
	if err != nil {
		return nil, err
	}
	return WithActor(ctx, a), nil
}

// Unary is the unary server interceptor.
func (i *Interceptor) Unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if i.public[info.FullMethod] {
			return handler(ctx, req)
		}
		ctx, err := i.Authenticate(ctx)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// Stream is the stream server interceptor; the token is checked once, when the stream opens.
func (i *Interceptor) Stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if i.public[info.FullMethod] {
			return handler(srv, ss)
		}
		ctx, err := i.Authenticate(ss.Context())
		if err != nil {
			return err
		}
		return handler(srv, &actorStream{ServerStream: ss, ctx: ctx})
	}
}

type actorStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *actorStream) Context() context.Context { return s.ctx }

func bearerToken(ctx context.Context) (string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	switch len(vals) {
	case 0:
		return "", apperr.Unauthenticated(ReasonTokenMissing, "missing authorization: Bearer token")
	case 1:
	default:
		return "", apperr.Unauthenticated(ReasonTokenMalformed, "more than one authorization header")
	}
	scheme, token, ok := strings.Cut(vals[0], " ")
	// The scheme is case-insensitive (RFC 9110 §11.1).
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", apperr.Unauthenticated(ReasonTokenMalformed, "authorization must be: Bearer <token>")
	}
	return strings.TrimSpace(token), nil
}
