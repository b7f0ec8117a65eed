// Package command carries what every mutating request brings besides its own fields: the
// client-chosen command id that makes a retry safe, the flow it belongs to, business time and the
// authenticated actor. Transport adapters build a Meta from the request and the context; the
// application layer turns it into the event envelope's metadata.
package command

import (
	"context"
	"time"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/telemetry"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
)

// Meta is a command's metadata.
type Meta struct {
	// ID is the client-chosen idempotency key.
	ID string
	// CorrelationID ties the commands and events of one business flow together.
	CorrelationID string
	// OccurredAt is business time as the client stated it; zero means "now".
	OccurredAt time.Time
	// Actor is who asks.
	Actor auth.Actor
	// Trace is the W3C trace context of the request's span, carried into the events' envelopes.
	Trace *eventv1.TraceContext
}

// FromProto builds Meta from a request's CommandMeta and the authenticated actor in ctx.
func FromProto(ctx context.Context, m *commonv1.CommandMeta) Meta {
	actor, _ := auth.ActorFrom(ctx)
	meta := Meta{ID: m.GetCommandId(), CorrelationID: m.GetCorrelationId(), Actor: actor, Trace: telemetry.TraceOf(ctx)}
	if m.GetOccurredAt() != nil {
		meta.OccurredAt = m.GetOccurredAt().AsTime()
	}
	if meta.CorrelationID == "" {
		meta.CorrelationID = meta.ID // a command with no flow starts one
	}
	return meta
}

// Event is the envelope metadata for the events this command produces.
func (m Meta) Event() eventstore.Metadata {
	return eventstore.Metadata{
		CommandID:     m.ID,
		CorrelationID: m.CorrelationID,
		CausationID:   m.ID,
		Actor:         m.Actor.Proto(),
		Trace:         m.Trace,
	}
}
