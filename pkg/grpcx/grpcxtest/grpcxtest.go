// Package grpcxtest runs gRPC servers for tests over real loopback connections, and offers a tiny
// Probe service whose behaviour each test supplies, so that interceptors can be tested end to end
// with real request messages (civicase.common.v1) and their validation rules.
package grpcxtest

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
)

// Serve serves s on a random loopback port until the test ends, and returns a client connection to
// it (insecure transport, plus opts).
func Serve(tb testing.TB, s *grpc.Server, opts ...grpc.DialOption) *grpc.ClientConn {
	tb.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("grpcxtest: listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(lis) }()
	tb.Cleanup(func() {
		s.Stop()
		if err := <-done; err != nil {
			tb.Errorf("grpcxtest: serve: %v", err)
		}
	})
	cc, err := grpc.NewClient(lis.Addr().String(),
		append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	if err != nil {
		tb.Fatalf("grpcxtest: dial: %v", err)
	}
	tb.Cleanup(func() { cc.Close() })
	return cc
}

// Full method names of the Probe service.
const (
	ProbeService = "civicase.test.Probe"
	// ProbeCommand is unary: CommandMeta in, CommandMeta out.
	ProbeCommand = "/" + ProbeService + "/Command"
	// ProbePeriod is unary: DateRange in, DateRange out.
	ProbePeriod = "/" + ProbeService + "/Period"
	// ProbeStream is bidirectional: CommandMeta in, CommandMeta out.
	ProbeStream = "/" + ProbeService + "/Stream"
)

// Probe is a test service; nil handlers echo the request.
type Probe struct {
	// Command handles ProbeCommand.
	Command func(context.Context, *commonv1.CommandMeta) (*commonv1.CommandMeta, error)
	// Period handles ProbePeriod.
	Period func(context.Context, *commonv1.DateRange) (*commonv1.DateRange, error)
	// Stream handles one received message of ProbeStream; its result is sent back.
	Stream func(context.Context, *commonv1.CommandMeta) (*commonv1.CommandMeta, error)
}

// Register registers the probe on s.
func (p *Probe) Register(s *grpc.Server) {
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: ProbeService,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{
			{MethodName: "Command", Handler: unary(ProbeCommand, func(ctx context.Context, in *commonv1.CommandMeta) (*commonv1.CommandMeta, error) {
				if p.Command == nil {
					return in, nil
				}
				return p.Command(ctx, in)
			})},
			{MethodName: "Period", Handler: unary(ProbePeriod, func(ctx context.Context, in *commonv1.DateRange) (*commonv1.DateRange, error) {
				if p.Period == nil {
					return in, nil
				}
				return p.Period(ctx, in)
			})},
		},
		Streams: []grpc.StreamDesc{{
			StreamName:    "Stream",
			ServerStreams: true,
			ClientStreams: true,
			Handler: func(_ any, stream grpc.ServerStream) error {
				for {
					in := new(commonv1.CommandMeta)
					if err := stream.RecvMsg(in); err != nil {
						if errors.Is(err, io.EOF) {
							return nil
						}
						return err
					}
					out := in
					if p.Stream != nil {
						var err error
						if out, err = p.Stream(stream.Context(), in); err != nil {
							return err
						}
					}
					if err := stream.SendMsg(out); err != nil {
						return err
					}
				}
			},
		}},
	}, p)
}

func unary[Req any, PReq interface {
	*Req
}, Resp any](method string, h func(context.Context, PReq) (Resp, error)) grpc.MethodHandler {
	return func(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
		in := PReq(new(Req))
		if err := dec(in); err != nil {
			return nil, err
		}
		if icpt == nil {
			return h(ctx, in)
		}
		return icpt(ctx, in, &grpc.UnaryServerInfo{FullMethod: method}, func(ctx context.Context, req any) (any, error) {
			return h(ctx, req.(PReq))
		})
	}
}

// StreamDesc describes ProbeStream for grpc.ClientConn.NewStream.
var StreamDesc = &grpc.StreamDesc{StreamName: "Stream", ServerStreams: true, ClientStreams: true}
