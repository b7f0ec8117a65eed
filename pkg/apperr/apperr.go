// Package apperr is the one error taxonomy of civicase. Domain and application code return these
// errors and nothing else; the transport (pkg/grpcx) maps each Kind to a gRPC status code in one
// place, so this package knows nothing of gRPC.
//
// An Error carries a Kind (which mirrors a gRPC code), a stable machine-readable Reason that clients
// may branch on, a human-readable Message that is safe to show to the caller, optional field
// violations for invalid input, and an optional cause that is logged but never sent to a client.
//
// Messages, reasons and metadata travel to clients and into logs: never put personal data (names, ID
// numbers, addresses, phones) in them; refer to people by pseudonymous ids.
package apperr

import (
	"errors"
	"fmt"
	"maps"
	"strings"
)

// Kind classifies an error by what the caller can do about it; each kind mirrors a gRPC code.
type Kind uint8

const (
	// KindUnknown is the zero value: an error nobody classified, treated as internal.
	KindUnknown Kind = iota
	// KindInvalidArgument: the request itself is malformed, whatever the system's state
	// (gRPC InvalidArgument). Carries field violations.
	KindInvalidArgument
	// KindFailedPrecondition: the request is well formed but the system is not in a state that
	// allows it, e.g. accepting a petition that was filed away (gRPC FailedPrecondition). Retrying
	// will not help until the state changes.
	KindFailedPrecondition
	// KindNotFound: the addressed thing does not exist, or the caller may not know it exists
	// (gRPC NotFound).
	KindNotFound
	// KindAlreadyExists: creating something that exists already under a different command
	// (gRPC AlreadyExists).
	KindAlreadyExists
	// KindConflict: optimistic concurrency failed because someone else changed the aggregate first;
	// the caller re-reads and retries (gRPC Aborted).
	KindConflict
	// KindPermissionDenied: the caller is known but its role or unit may not do this
	// (gRPC PermissionDenied).
	KindPermissionDenied
	// KindUnauthenticated: the caller could not be identified (gRPC Unauthenticated).
	KindUnauthenticated
	// KindUnavailable: a dependency is down for now; the same request may succeed later
	// (gRPC Unavailable).
	KindUnavailable
	// KindInternal: a bug or broken invariant; details are logged, never shown (gRPC Internal).
	KindInternal
)

var kindNames = [...]string{
	KindUnknown:            "Unknown",
	KindInvalidArgument:    "InvalidArgument",
	KindFailedPrecondition: "FailedPrecondition",
	KindNotFound:           "NotFound",
	KindAlreadyExists:      "AlreadyExists",
	KindConflict:           "Conflict",
	KindPermissionDenied:   "PermissionDenied",
	KindUnauthenticated:    "Unauthenticated",
	KindUnavailable:        "Unavailable",
	KindInternal:           "Internal",
}

// defaultReasons name the kind when the caller gave no more precise reason, in the UPPER_SNAKE_CASE
// that google.rpc.ErrorInfo asks for.
var defaultReasons = [...]string{
	KindUnknown:            "UNKNOWN",
	KindInvalidArgument:    "INVALID_ARGUMENT",
	KindFailedPrecondition: "FAILED_PRECONDITION",
	KindNotFound:           "NOT_FOUND",
	KindAlreadyExists:      "ALREADY_EXISTS",
	KindConflict:           "CONFLICT",
	KindPermissionDenied:   "PERMISSION_DENIED",
	KindUnauthenticated:    "UNAUTHENTICATED",
	KindUnavailable:        "UNAVAILABLE",
	KindInternal:           "INTERNAL",
}

// String returns the kind's name, e.g. "InvalidArgument".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// DefaultReason is the reason an error of this kind carries when none was given.
func (k Kind) DefaultReason() string {
	if int(k) < len(defaultReasons) {
		return defaultReasons[k]
	}
	return defaultReasons[KindUnknown]
}

// Violation says what is wrong with one field of a request.
type Violation struct {
	// Field is the path of the offending field in the request, dot-separated with indexes in
	// brackets, e.g. "petition.signatories[2].id_number".
	Field string
	// Description says what is wrong, for a person.
	Description string
	// Reason is an optional machine-readable code of the broken rule, e.g. "string.min_len".
	Reason string
}

// Field builds a Violation of one field.
func Field(field, format string, args ...any) Violation {
	return Violation{Field: field, Description: fmt.Sprintf(format, args...)}
}

// Error is an application error. Build it with the constructors of this package; the With methods
// return modified copies, so a package-level Error can serve as a sentinel for errors.Is.
type Error struct {
	kind       Kind
	reason     string
	message    string
	subject    string
	violations []Violation
	metadata   map[string]string
	cause      error
}

// New returns an error of the given kind. An empty reason takes the kind's default reason.
func New(kind Kind, reason, format string, args ...any) *Error {
	if reason == "" {
		reason = kind.DefaultReason()
	}
	return &Error{kind: kind, reason: reason, message: fmt.Sprintf(format, args...)}
}

// Invalid reports one invalid field of a request.
func Invalid(field, format string, args ...any) *Error {
	v := Field(field, format, args...)
	return &Error{
		kind:       KindInvalidArgument,
		reason:     KindInvalidArgument.DefaultReason(),
		message:    violationsMessage([]Violation{v}),
		violations: []Violation{v},
	}
}

// Violations reports every invalid field of a request at once, so the user can fix them all in one
// go. It returns nil when vs is empty, so validation code can end with `return apperr.Violations(vs...)`.
func Violations(vs ...Violation) error {
	if len(vs) == 0 {
		return nil
	}
	return &Error{
		kind:       KindInvalidArgument,
		reason:     KindInvalidArgument.DefaultReason(),
		message:    violationsMessage(vs),
		violations: append([]Violation(nil), vs...),
	}
}

// Precondition reports a request that the current state does not allow. The reason names the
// precondition (e.g. "PETITION_ALREADY_FORWARDED") and becomes the violation type of the
// google.rpc.PreconditionFailure detail.
func Precondition(reason, format string, args ...any) *Error {
	return New(KindFailedPrecondition, reason, format, args...)
}

// NotFound reports that the addressed thing does not exist.
func NotFound(reason, format string, args ...any) *Error {
	return New(KindNotFound, reason, format, args...)
}

// AlreadyExists reports that the thing to create exists already.
func AlreadyExists(reason, format string, args ...any) *Error {
	return New(KindAlreadyExists, reason, format, args...)
}

// Conflict reports an optimistic concurrency failure: the aggregate changed since the caller read it.
func Conflict(reason, format string, args ...any) *Error {
	return New(KindConflict, reason, format, args...)
}

// PermissionDenied reports that the caller's role or unit may not do this.
func PermissionDenied(reason, format string, args ...any) *Error {
	return New(KindPermissionDenied, reason, format, args...)
}

// Unauthenticated reports that the caller could not be identified.
func Unauthenticated(reason, format string, args ...any) *Error {
	return New(KindUnauthenticated, reason, format, args...)
}

// Unavailable reports a dependency that is down for now.
func Unavailable(reason, format string, args ...any) *Error {
	return New(KindUnavailable, reason, format, args...)
}

// Internal reports a bug or broken invariant. Its message is logged, not shown to the client.
func Internal(reason, format string, args ...any) *Error {
	return New(KindInternal, reason, format, args...)
}

// Kind is the error's kind.
func (e *Error) Kind() Kind { return e.kind }

// Reason is the stable machine-readable reason, e.g. "PETITION_NOT_FOUND".
func (e *Error) Reason() string { return e.reason }

// Message is the human-readable message for the caller, without the cause.
func (e *Error) Message() string {
	if e.message == "" {
		return e.kind.String()
	}
	return e.message
}

// Subject names what a failed precondition is about (e.g. "petition/01J..."), or is empty.
func (e *Error) Subject() string { return e.subject }

// Violations are the field violations of an invalid-argument error.
func (e *Error) Violations() []Violation { return append([]Violation(nil), e.violations...) }

// Metadata is extra machine-readable context (e.g. "expected_version"); never personal data.
func (e *Error) Metadata() map[string]string { return maps.Clone(e.metadata) }

// Error returns the message followed by the cause: for logs, not for clients.
func (e *Error) Error() string {
	if e.cause == nil {
		return e.Message()
	}
	return e.Message() + ": " + e.cause.Error()
}

// Unwrap returns the cause, so errors.Is and errors.As see through an Error.
func (e *Error) Unwrap() error { return e.cause }

// Is makes errors.Is(err, sentinel) true when err has the sentinel's kind and, if the sentinel has a
// non-default reason, its reason too. So errors.Is(err, apperr.New(apperr.KindNotFound, "", ""))
// asks "is it any not-found?", and a sentinel with a specific reason asks for exactly that one.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	if t.kind != e.kind {
		return false
	}
	return t.reason == t.kind.DefaultReason() || t.reason == e.reason
}

// WithCause returns a copy that wraps cause: it is logged and matched by errors.Is/As, but never
// sent to the client.
func (e *Error) WithCause(cause error) *Error {
	c := e.clone()
	c.cause = cause
	return c
}

// WithReason returns a copy with another reason.
func (e *Error) WithReason(reason string) *Error {
	c := e.clone()
	c.reason = reason
	return c
}

// WithSubject returns a copy that names what a failed precondition is about.
func (e *Error) WithSubject(subject string) *Error {
	c := e.clone()
	c.subject = subject
	return c
}

// WithMeta returns a copy with one more metadata entry.
func (e *Error) WithMeta(key, value string) *Error {
	c := e.clone()
	c.metadata = maps.Clone(e.metadata)
	if c.metadata == nil {
		c.metadata = map[string]string{}
	}
	c.metadata[key] = value
	return c
}

// WithViolations returns a copy with more field violations.
func (e *Error) WithViolations(vs ...Violation) *Error {
	c := e.clone()
	c.violations = append(append([]Violation(nil), e.violations...), vs...)
	return c
}

func (e *Error) clone() *Error {
	c := *e
	return &c
}

// As finds the first *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// KindOf is the kind of the first *Error in err's chain: KindUnknown when there is none, so an
// unclassified error is treated as internal.
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.kind
	}
	return KindUnknown
}

// IsKind tells whether err's chain holds an *Error of the given kind.
func IsKind(err error, kind Kind) bool {
	return err != nil && KindOf(err) == kind
}

func violationsMessage(vs []Violation) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		if v.Field == "" {
			parts[i] = v.Description
		} else {
			parts[i] = v.Field + ": " + v.Description
		}
	}
	return "invalid argument: " + strings.Join(parts, "; ")
}
