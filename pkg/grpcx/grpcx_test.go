package grpcx_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/grpcx"
	"github.com/civicase/civicase/pkg/grpcx/grpcxtest"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
)

// syncBuffer is a log sink that the server's goroutines and the test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	cc    *grpc.ClientConn
	log   *syncBuffer
	calls atomic.Int32
}

// start serves a probe whose Command handler returns errs[command_id] (or echoes) behind the
// standard interceptor chain, without auth.
func start(t *testing.T, errs map[string]func() error) *fixture {
	t.Helper()
	f := &fixture{log: &syncBuffer{}}
	s := grpcx.NewServer(grpcx.ServerOptions{Logger: slog.New(slog.NewTextHandler(f.log, nil))})
	grpcx.RegisterHealth(s)
	grpcx.RegisterReflection(s)
	handler := func(ctx context.Context, in *commonv1.CommandMeta) (*commonv1.CommandMeta, error) {
		f.calls.Add(1)
		if mk, ok := errs[in.GetCommandId()]; ok {
			return nil, mk()
		}
		return in, nil
	}
	(&grpcxtest.Probe{Command: handler, Stream: handler, Period: func(_ context.Context, in *commonv1.DateRange) (*commonv1.DateRange, error) {
		f.calls.Add(1)
		return in, nil
	}}).Register(s)
	f.cc = grpcxtest.Serve(t, s)
	return f
}

func (f *fixture) command(t *testing.T, id string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return f.cc.Invoke(ctx, grpcxtest.ProbeCommand, &commonv1.CommandMeta{CommandId: id}, new(commonv1.CommandMeta))
}

func detail[T any](t *testing.T, s *status.Status) T {
	t.Helper()
	for _, d := range s.Details() {
		if v, ok := d.(T); ok {
			return v
		}
	}
	var zero T
	t.Fatalf("status %v has no %T detail; details: %v", s.Code(), zero, s.Details())
	return zero
}

func TestAppErrorKindsBecomeCodesWithErrorInfo(t *testing.T) {
	cases := map[string]struct {
		err  func() error
		code codes.Code
	}{
		"not-found":      {func() error { return apperr.NotFound("PETITION_NOT_FOUND", "petition p-1 not found") }, codes.NotFound},
		"exists":         {func() error { return apperr.AlreadyExists("", "unit exists") }, codes.AlreadyExists},
		"conflict":       {func() error { return apperr.Conflict("STALE_VERSION", "case changed") }, codes.Aborted},
		"denied":         {func() error { return apperr.PermissionDenied("", "not your unit") }, codes.PermissionDenied},
		"unauthn":        {func() error { return apperr.Unauthenticated("", "who are you") }, codes.Unauthenticated},
		"unavailable":    {func() error { return apperr.Unavailable("", "event log down") }, codes.Unavailable},
		"wrapped-denied": {func() error { return errors.Join(errors.New("ctx"), apperr.PermissionDenied("", "no")) }, codes.PermissionDenied},
	}
	errs := map[string]func() error{}
	for id, c := range cases {
		errs[id] = c.err
	}
	f := start(t, errs)
	for id, c := range cases {
		t.Run(id, func(t *testing.T) {
			err := f.command(t, id)
			s := status.Convert(err)
			if s.Code() != c.code {
				t.Fatalf("code = %v, want %v (%v)", s.Code(), c.code, err)
			}
			want, _ := apperr.As(c.err())
			if s.Message() != want.Message() {
				t.Fatalf("message = %q, want %q", s.Message(), want.Message())
			}
			info := detail[*errdetails.ErrorInfo](t, s)
			if info.GetReason() != want.Reason() || info.GetDomain() != grpcx.DefaultErrorDomain {
				t.Fatalf("ErrorInfo = %v, want reason %q", info, want.Reason())
			}
		})
	}
}

func TestPreconditionAndViolationsTravelAsDetails(t *testing.T) {
	f := start(t, map[string]func() error{
		"forwarded": func() error {
			return apperr.Precondition("PETITION_ALREADY_FORWARDED", "a denunciation is forwarded only once").
				WithSubject("petition/p-7").WithMeta("aggregate_version", "4")
		},
		"bad": func() error {
			return apperr.Violations(
				apperr.Field("signatories[0].name", "must not be empty"),
				apperr.Field("received_on", "must not be in the future"),
			)
		},
	})

	s := status.Convert(f.command(t, "forwarded"))
	if s.Code() != codes.FailedPrecondition {
		t.Fatalf("code = %v", s.Code())
	}
	pf := detail[*errdetails.PreconditionFailure](t, s)
	if v := pf.GetViolations(); len(v) != 1 || v[0].GetType() != "PETITION_ALREADY_FORWARDED" || v[0].GetSubject() != "petition/p-7" {
		t.Fatalf("PreconditionFailure = %v", pf)
	}
	if md := detail[*errdetails.ErrorInfo](t, s).GetMetadata(); md["aggregate_version"] != "4" {
		t.Fatalf("ErrorInfo metadata = %v", md)
	}

	err := f.command(t, "bad")
	s = status.Convert(err)
	if s.Code() != codes.InvalidArgument {
		t.Fatalf("code = %v", s.Code())
	}
	fv := detail[*errdetails.BadRequest](t, s).GetFieldViolations()
	if len(fv) != 2 || fv[0].GetField() != "signatories[0].name" || fv[1].GetDescription() != "must not be in the future" {
		t.Fatalf("field violations = %v", fv)
	}

	// A calling service gets the taxonomy back.
	back := grpcx.FromStatus(err)
	e, ok := apperr.As(back)
	if !ok || e.Kind() != apperr.KindInvalidArgument || len(e.Violations()) != 2 || e.Violations()[0].Field != "signatories[0].name" {
		t.Fatalf("FromStatus = %#v", back)
	}
	pre, _ := apperr.As(grpcx.FromStatus(f.command(t, "forwarded")))
	sentinel := apperr.Precondition("PETITION_ALREADY_FORWARDED", "")
	if !errors.Is(pre, sentinel) || pre.Subject() != "petition/p-7" || pre.Metadata()["aggregate_version"] != "4" {
		t.Fatalf("FromStatus(precondition) = %v subject %q meta %v", pre, pre.Subject(), pre.Metadata())
	}
}

func TestUnknownErrorsAndPanicsBecomeInternalWithoutLeaking(t *testing.T) {
	const secret = "password=hunter2"
	f := start(t, map[string]func() error{
		"plain":    func() error { return errors.New("pq: connect failed " + secret) },
		"internal": func() error { return apperr.Internal("", "invariant broken").WithCause(errors.New(secret)) },
		"status":   func() error { return status.Error(codes.Unknown, secret) },
		"panic":    func() error { panic("nil map " + secret) },
	})
	for _, id := range []string{"plain", "internal", "status", "panic"} {
		t.Run(id, func(t *testing.T) {
			s := status.Convert(f.command(t, id))
			if s.Code() != codes.Internal {
				t.Fatalf("code = %v, want Internal", s.Code())
			}
			if strings.Contains(s.Message(), "hunter2") || strings.Contains(s.String(), "hunter2") {
				t.Fatalf("status leaks the cause: %v", s)
			}
			if s.Message() != "internal error" {
				t.Fatalf("message = %q", s.Message())
			}
		})
	}
	// The cause is not lost: operators find it in the log, panics with their stack.
	log := f.log.String()
	if !strings.Contains(log, "pq: connect failed") || !strings.Contains(log, "panic: nil map") || !strings.Contains(log, "RecoveryUnaryInterceptor") {
		t.Fatalf("log lacks the causes:\n%s", log)
	}

	// The server survived the panic.
	if err := f.command(t, "ok"); err != nil {
		t.Fatalf("after panic: %v", err)
	}
}

func TestContextErrorsMapToTheirCodes(t *testing.T) {
	f := start(t, map[string]func() error{
		"canceled": func() error { return context.Canceled },
		"deadline": func() error { return errors.Join(errors.New("querying"), context.DeadlineExceeded) },
	})
	if c := status.Code(f.command(t, "canceled")); c != codes.Canceled {
		t.Fatalf("canceled → %v", c)
	}
	if c := status.Code(f.command(t, "deadline")); c != codes.DeadlineExceeded {
		t.Fatalf("deadline → %v", c)
	}
}

func TestInvalidRequestNeverReachesTheHandler(t *testing.T) {
	f := start(t, nil)
	ctx := context.Background()

	err := f.cc.Invoke(ctx, grpcxtest.ProbeCommand, &commonv1.CommandMeta{CommandId: "", CorrelationId: "-bad"}, new(commonv1.CommandMeta))
	s := status.Convert(err)
	if s.Code() != codes.InvalidArgument {
		t.Fatalf("code = %v (%v)", s.Code(), err)
	}
	var got []string
	for _, v := range detail[*errdetails.BadRequest](t, s).GetFieldViolations() {
		got = append(got, v.GetField()+" "+v.GetReason())
	}
	// An empty command id reports that it is required, not also that it misses the pattern.
	if strings.Join(got, ", ") != "command_id required, correlation_id string.pattern" {
		t.Fatalf("field violations = %v", got)
	}

	// Nested fields carry their full path; message-level rules name their message.
	period := func(from, to *commonv1.CivilDate) map[string]string {
		err := f.cc.Invoke(ctx, grpcxtest.ProbePeriod, &commonv1.DateRange{From: from, To: to}, new(commonv1.DateRange))
		s := status.Convert(err)
		if s.Code() != codes.InvalidArgument {
			t.Fatalf("period %v..%v: code = %v (%v)", from, to, s.Code(), err)
		}
		out := map[string]string{}
		for _, v := range detail[*errdetails.BadRequest](t, s).GetFieldViolations() {
			out[v.GetField()] = v.GetReason()
		}
		return out
	}
	d := func(y, m, day int32) *commonv1.CivilDate { return &commonv1.CivilDate{Year: y, Month: m, Day: day} }

	if v := period(d(2025, 13, 1), d(2025, 12, 14)); v["from.month"] != "int32.gte_lte" {
		t.Fatalf("month 13: %v", v)
	}
	if v := period(d(2025, 2, 29), d(2025, 3, 14)); v["from"] != "civil_date.day_in_month" {
		t.Fatalf("29/2/2025: %v", v)
	}
	if v := period(d(2025, 3, 15), nil); v["to"] != "required" {
		t.Fatalf("missing to: %v", v)
	}
	if v := period(d(2025, 3, 15), d(2025, 3, 14)); v[""] != "date_range.ordered" {
		t.Fatalf("reversed: %v", v)
	}
	if n := f.calls.Load(); n != 0 {
		t.Fatalf("handler ran %d times for invalid requests", n)
	}

	// A leap day and the Q1 report period (15/12 – 14/3) are valid.
	if err := f.cc.Invoke(ctx, grpcxtest.ProbePeriod, &commonv1.DateRange{From: d(2024, 12, 15), To: d(2025, 3, 14)}, new(commonv1.DateRange)); err != nil {
		t.Fatalf("Q1 period: %v", err)
	}
	if err := f.cc.Invoke(ctx, grpcxtest.ProbePeriod, &commonv1.DateRange{From: d(2024, 2, 29), To: d(2024, 2, 29)}, new(commonv1.DateRange)); err != nil {
		t.Fatalf("leap day: %v", err)
	}
	if err := f.command(t, "0195f1d2-7b3c-7def-8abc-0123456789ab"); err != nil {
		t.Fatalf("valid command: %v", err)
	}
}

func TestStreamMessagesAreValidatedAndErrorsMapped(t *testing.T) {
	f := start(t, map[string]func() error{
		"gone": func() error { return apperr.NotFound("CASE_NOT_FOUND", "case gone") },
	})
	open := func() grpc.ClientStream {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		t.Cleanup(cancel)
		cs, err := f.cc.NewStream(ctx, grpcxtest.StreamDesc, grpcxtest.ProbeStream)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	cs := open()
	if err := cs.SendMsg(&commonv1.CommandMeta{CommandId: "a-1"}); err != nil {
		t.Fatal(err)
	}
	out := new(commonv1.CommandMeta)
	if err := cs.RecvMsg(out); err != nil || out.GetCommandId() != "a-1" {
		t.Fatalf("echo = %v, %v", out, err)
	}
	if err := cs.SendMsg(&commonv1.CommandMeta{CommandId: strings.Repeat("x", 65)}); err != nil {
		t.Fatal(err)
	}
	s := status.Convert(cs.RecvMsg(out))
	if s.Code() != codes.InvalidArgument || detail[*errdetails.BadRequest](t, s).GetFieldViolations()[0].GetField() != "command_id" {
		t.Fatalf("invalid stream message: %v", s)
	}

	cs = open()
	if err := cs.SendMsg(&commonv1.CommandMeta{CommandId: "gone"}); err != nil {
		t.Fatal(err)
	}
	if s := status.Convert(cs.RecvMsg(out)); s.Code() != codes.NotFound || detail[*errdetails.ErrorInfo](t, s).GetReason() != "CASE_NOT_FOUND" {
		t.Fatalf("stream handler error: %v", s)
	}
	if n := f.calls.Load(); n != 2 {
		t.Fatalf("handler calls = %d, want 2 (the invalid message must not reach it)", n)
	}
}

func TestHealthIsRegistered(t *testing.T) {
	f := start(t, nil)
	resp, err := healthpb.NewHealthClient(f.cc).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health = %v, %v", resp, err)
	}
}

func TestFromStatusLeavesOtherErrorsAlone(t *testing.T) {
	plain := io.EOF
	if got := grpcx.FromStatus(plain); got != plain {
		t.Fatalf("FromStatus(io.EOF) = %v", got)
	}
	canceled := status.Error(codes.Canceled, "gone")
	if got := grpcx.FromStatus(canceled); got != canceled {
		t.Fatalf("FromStatus(Canceled) = %v", got)
	}
	if grpcx.FromStatus(nil) != nil {
		t.Fatal("FromStatus(nil) != nil")
	}
}
