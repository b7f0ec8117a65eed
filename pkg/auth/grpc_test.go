package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/grpcx"
	"github.com/civicase/civicase/pkg/grpcx/grpcxtest"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
)

// server is a probe behind the standard chain with auth, recording the actor each handler saw.
type server struct {
	cc  *grpc.ClientConn
	key signingKey
	clk *clock

	mu     sync.Mutex
	actors []actorSeen
}

type actorSeen struct {
	actor auth.Actor
	ok    bool
}

func (s *server) record(ctx context.Context) {
	a, ok := auth.ActorFrom(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.actors = append(s.actors, actorSeen{a, ok})
}

func (s *server) seen() []actorSeen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]actorSeen(nil), s.actors...)
}

func startServer(t *testing.T, public []string) *server {
	t.Helper()
	s := &server{key: newKey(t, jose.EdDSA, "dev-1"), clk: &clock{t0.Add(time.Minute)}}
	icpt := auth.NewInterceptor(newVerifier(t, s.clk, s.key.jwk()), public)
	gs := grpcx.NewServer(grpcx.ServerOptions{AuthUnary: icpt.Unary(), AuthStream: icpt.Stream()})
	grpcx.RegisterHealth(gs)
	grpcx.RegisterReflection(gs)
	echo := func(ctx context.Context, in *commonv1.CommandMeta) (*commonv1.CommandMeta, error) {
		s.record(ctx)
		return in, nil
	}
	(&grpcxtest.Probe{Command: echo, Stream: echo, Period: func(ctx context.Context, in *commonv1.DateRange) (*commonv1.DateRange, error) {
		s.record(ctx)
		return in, nil
	}}).Register(gs)
	s.cc = grpcxtest.Serve(t, gs)
	return s
}

func command(ctx context.Context, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
	return cc.Invoke(ctx, grpcxtest.ProbeCommand, &commonv1.CommandMeta{CommandId: "c-1"}, new(commonv1.CommandMeta), opts...)
}

func withToken(token string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
}

func wantUnauthenticated(t *testing.T, err error, reason string) {
	t.Helper()
	s := status.Convert(err)
	if s.Code() != codes.Unauthenticated {
		t.Fatalf("code = %v (%v), want Unauthenticated", s.Code(), err)
	}
	for _, d := range s.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			if info.GetReason() != reason {
				t.Fatalf("reason = %q, want %q", info.GetReason(), reason)
			}
			return
		}
	}
	t.Fatalf("no ErrorInfo in %v", s)
}

func TestCallsWithoutAValidTokenAreRefused(t *testing.T) {
	s := startServer(t, nil)
	other := newKey(t, jose.EdDSA, "dev-1")
	expired := validClaims()
	expired.Expiry = jwt.NewNumericDate(t0.Add(20 * time.Second)) // the server clock is t0+1m, leeway 30s
	foreign := validClaims()
	foreign.Audience = jwt.Audience{"another-app"}

	cases := []struct {
		name   string
		ctx    context.Context
		reason string
	}{
		{"no token", context.Background(), auth.ReasonTokenMissing},
		{"basic scheme", metadata.AppendToOutgoingContext(context.Background(), "authorization", "Basic dTpw"), auth.ReasonTokenMalformed},
		{"expired", withToken(s.key.sign(t, expired)), auth.ReasonTokenExpired},
		{"wrong signature", withToken(other.sign(t, validClaims())), auth.ReasonTokenSignature},
		{"wrong audience", withToken(s.key.sign(t, foreign)), auth.ReasonTokenAudience},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantUnauthenticated(t, command(tc.ctx, s.cc), tc.reason)
		})
	}

	// Auth runs before validation: an anonymous caller learns nothing about valid requests.
	err := s.cc.Invoke(context.Background(), grpcxtest.ProbeCommand, &commonv1.CommandMeta{}, new(commonv1.CommandMeta))
	wantUnauthenticated(t, err, auth.ReasonTokenMissing)

	if n := len(s.seen()); n != 0 {
		t.Fatalf("handler ran %d times for refused calls", n)
	}
}

func TestValidTokenPutsTheActorInTheHandlersContext(t *testing.T) {
	s := startServer(t, nil)
	c := validClaims()
	c.Subject, c.Role, c.Unit = "u-7", string(auth.RoleReceptionOfficer), "PRTC-KINHDINH"
	token := s.key.sign(t, c)

	// The client-side helper attaches the token to every call of the connection.
	cc, err := grpc.NewClient(s.cc.Target(),
		grpc.WithTransportCredentials(insecureCreds()),
		grpc.WithPerRPCCredentials(auth.StaticToken(token, true)))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if err := command(context.Background(), cc); err != nil {
		t.Fatal(err)
	}

	// Streams too: the actor is on the stream's context.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cs, err := cc.NewStream(ctx, grpcxtest.StreamDesc, grpcxtest.ProbeStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.SendMsg(&commonv1.CommandMeta{CommandId: "s-1"}); err != nil {
		t.Fatal(err)
	}
	if err := cs.RecvMsg(new(commonv1.CommandMeta)); err != nil {
		t.Fatal(err)
	}

	want := auth.Actor{Subject: "u-7", Role: auth.RoleReceptionOfficer, Unit: "PRTC-KINHDINH"}
	seen := s.seen()
	if len(seen) != 2 || seen[0] != (actorSeen{want, true}) || seen[1] != (actorSeen{want, true}) {
		t.Fatalf("handlers saw %+v, want %+v twice", seen, want)
	}

	// A stream without a token is refused when it opens.
	cs, err = s.cc.NewStream(ctx, grpcxtest.StreamDesc, grpcxtest.ProbeStream)
	if err != nil {
		t.Fatal(err)
	}
	_ = cs.SendMsg(&commonv1.CommandMeta{CommandId: "s-2"})
	wantUnauthenticated(t, cs.RecvMsg(new(commonv1.CommandMeta)), auth.ReasonTokenMissing)
}

func TestPublicMethodsNeedNoToken(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	if _, err := healthpb.NewHealthClient(s.cc).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("health without token: %v", err)
	}
	rs, err := reflectionpb.NewServerReflectionClient(s.cc).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
	}); err != nil {
		t.Fatal(err)
	}
	resp, err := rs.Recv()
	if err != nil {
		t.Fatalf("reflection without token: %v", err)
	}
	if len(resp.GetListServicesResponse().GetService()) == 0 {
		t.Fatalf("reflection listed nothing: %v", resp)
	}

	// The allow-list is configurable, and replaces the default.
	s = startServer(t, []string{grpcxtest.ProbePeriod})
	d := &commonv1.CivilDate{Year: 2025, Month: 3, Day: 10}
	if err := s.cc.Invoke(ctx, grpcxtest.ProbePeriod, &commonv1.DateRange{From: d, To: d}, new(commonv1.DateRange)); err != nil {
		t.Fatalf("public probe method: %v", err)
	}
	if seen := s.seen(); len(seen) != 1 || seen[0].ok {
		t.Fatalf("a public call must carry no actor: %+v", seen)
	}
	_, err = healthpb.NewHealthClient(s.cc).Check(ctx, &healthpb.HealthCheckRequest{})
	wantUnauthenticated(t, err, auth.ReasonTokenMissing)
}

func TestTokenCredentialsRefuseInsecureTransportUnlessAllowed(t *testing.T) {
	s := startServer(t, nil)
	cc, err := grpc.NewClient(s.cc.Target(),
		grpc.WithTransportCredentials(insecureCreds()),
		grpc.WithPerRPCCredentials(auth.StaticToken(s.key.sign(t, validClaims()), false)))
	if err == nil {
		defer cc.Close()
		err = command(context.Background(), cc)
	}
	if err == nil || len(s.seen()) != 0 {
		t.Fatalf("a token must not travel over plaintext unless allowed: err = %v", err)
	}
}

func insecureCreds() credentials.TransportCredentials { return insecure.NewCredentials() }
