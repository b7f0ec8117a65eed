package grpcx

import (
	"context"
	"errors"

	"buf.build/go/protovalidate"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
)

// Validator checks every request message against the protovalidate rules in its .proto file, so
// that nothing malformed reaches a handler (and from there the event log).
type Validator struct {
	v protovalidate.Validator
}

// NewValidator wraps a protovalidate validator; nil uses protovalidate's global one, which compiles
// each message type's rules once, on first use.
func NewValidator(v protovalidate.Validator) *Validator {
	if v == nil {
		v = protovalidate.GlobalValidator
	}
	return &Validator{v: v}
}

// Validate returns nil for a valid message (or a value that is not a protobuf message), an
// InvalidArgument apperr.Error with one field violation per broken rule, or an Internal one when
// the rules themselves cannot be compiled or evaluated: that is our bug, not the caller's.
func (v *Validator) Validate(msg any) error {
	m, ok := msg.(proto.Message)
	if !ok {
		return nil
	}
	err := v.v.Validate(m)
	if err == nil {
		return nil
	}
	var verr *protovalidate.ValidationError
	if !errors.As(err, &verr) {
		return apperr.Internal("VALIDATION_RULES_BROKEN", "validating %s", m.ProtoReflect().Descriptor().FullName()).WithCause(err)
	}
	vs := make([]apperr.Violation, 0, len(verr.Violations))
	for _, pv := range verr.Violations {
		p := pv.Proto
		vs = append(vs, apperr.Violation{
			Field:       protovalidate.FieldPathString(p.GetField()),
			Description: p.GetMessage(),
			Reason:      p.GetRuleId(),
		})
	}
	return apperr.Violations(vs...)
}

// UnaryServerInterceptor rejects an invalid request before the handler runs.
func (v *Validator) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := v.Validate(req); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor validates each message the client streams in as the handler receives it.
func (v *Validator) StreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return handler(srv, &validatingStream{ServerStream: ss, v: v})
	}
}

type validatingStream struct {
	grpc.ServerStream
	v *Validator
}

func (s *validatingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return s.v.Validate(m)
}
