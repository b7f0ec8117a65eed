package apperr_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/civicase/civicase/pkg/apperr"
)

var errPetitionNotFound = apperr.NotFound("PETITION_NOT_FOUND", "petition not found")

func TestSentinelMatchesThroughWrapping(t *testing.T) {
	err := fmt.Errorf("load: %w", errPetitionNotFound.WithCause(io.EOF))

	if !errors.Is(err, errPetitionNotFound) {
		t.Fatal("errors.Is(err, sentinel) = false through fmt wrapping and WithCause")
	}
	if !errors.Is(err, io.EOF) {
		t.Fatal("cause not reachable through errors.Is")
	}
	if errors.Is(err, apperr.NotFound("CASE_NOT_FOUND", "case not found")) {
		t.Fatal("a not-found with another reason must not match")
	}
	if !errors.Is(err, apperr.New(apperr.KindNotFound, "", "")) {
		t.Fatal("a default-reason sentinel must match any error of its kind")
	}
	if errors.Is(err, apperr.New(apperr.KindConflict, "", "")) {
		t.Fatal("another kind must not match")
	}
	e, ok := apperr.As(err)
	if !ok || e.Reason() != "PETITION_NOT_FOUND" || e.Kind() != apperr.KindNotFound {
		t.Fatalf("As = %v, %v", e, ok)
	}
	if got := e.Message(); got != "petition not found" {
		t.Fatalf("Message() = %q: the cause must stay out of the client message", got)
	}
	if got := e.Error(); got != "petition not found: EOF" {
		t.Fatalf("Error() = %q", got)
	}
	// WithCause copies: the sentinel itself is untouched.
	if errPetitionNotFound.Unwrap() != nil {
		t.Fatal("WithCause mutated the sentinel")
	}
}

func TestViolationsCollectsEveryField(t *testing.T) {
	if err := apperr.Violations(); err != nil {
		t.Fatalf("Violations() with none = %v, want nil", err)
	}
	err := apperr.Violations(
		apperr.Field("sender.name", "must not be empty"),
		apperr.Field("received_on.month", "must be between %d and %d", 1, 12),
	)
	if apperr.KindOf(err) != apperr.KindInvalidArgument {
		t.Fatalf("kind = %v", apperr.KindOf(err))
	}
	e, _ := apperr.As(err)
	vs := e.Violations()
	if len(vs) != 2 || vs[1].Field != "received_on.month" || vs[1].Description != "must be between 1 and 12" {
		t.Fatalf("violations = %+v", vs)
	}
	want := "invalid argument: sender.name: must not be empty; received_on.month: must be between 1 and 12"
	if e.Message() != want {
		t.Fatalf("message = %q, want %q", e.Message(), want)
	}

	one := apperr.Invalid("command_id", "must not be empty")
	if one.Reason() != "INVALID_ARGUMENT" || len(one.Violations()) != 1 {
		t.Fatalf("Invalid = %+v", one)
	}
	more := one.WithViolations(apperr.Field("x", "y"))
	if len(one.Violations()) != 1 || len(more.Violations()) != 2 {
		t.Fatal("WithViolations must copy")
	}
}

func TestPreconditionCarriesReasonSubjectAndMeta(t *testing.T) {
	base := apperr.Precondition("PETITION_ALREADY_FORWARDED", "a denunciation is forwarded only once")
	e := base.WithSubject("petition/p-1").WithMeta("forwarded_to", "PRTC-TTR")
	if e.Kind() != apperr.KindFailedPrecondition || e.Reason() != "PETITION_ALREADY_FORWARDED" {
		t.Fatalf("got %v %q", e.Kind(), e.Reason())
	}
	if e.Subject() != "petition/p-1" || e.Metadata()["forwarded_to"] != "PRTC-TTR" {
		t.Fatalf("subject %q meta %v", e.Subject(), e.Metadata())
	}
	if base.Subject() != "" || base.Metadata() != nil {
		t.Fatal("With* mutated the original")
	}
}

func TestKindOfUnclassifiedIsUnknown(t *testing.T) {
	if k := apperr.KindOf(errors.New("boom")); k != apperr.KindUnknown {
		t.Fatalf("KindOf(plain) = %v", k)
	}
	if apperr.IsKind(nil, apperr.KindUnknown) {
		t.Fatal("IsKind(nil, ...) must be false")
	}
	if !apperr.IsKind(apperr.Conflict("", "stale"), apperr.KindConflict) {
		t.Fatal("IsKind(conflict) = false")
	}
	if r := apperr.Conflict("", "stale").Reason(); r != "CONFLICT" {
		t.Fatalf("default reason = %q", r)
	}
	if s := apperr.KindConflict.String(); s != "Conflict" {
		t.Fatalf("String = %q", s)
	}
}
