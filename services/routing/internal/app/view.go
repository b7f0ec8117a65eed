package app

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/eventstore"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	"github.com/civicase/civicase/services/routing/internal/domain"
)

// view loads a case and renders it with its timeline and open clocks.
func (r *repo) view(ctx context.Context, id string) (*routingv1.Case, error) {
	p, err := r.petition(ctx, id)
	if err != nil {
		return nil, err
	}
	h, err := r.Store.Load(ctx, CaseAggregate(id))
	if err != nil {
		return nil, storeError(err)
	}
	c, msgs, err := r.caseOf(p, h)
	if err != nil {
		return nil, err
	}
	return render(c, h, msgs), nil
}

// render is a case as the API shows it.
func render(c *domain.Case, h eventstore.History, msgs []proto.Message) *routingv1.Case {
	out := &routingv1.Case{
		CaseId:            c.ID(),
		ReceiptNumber:     c.Petition.ReceiptNumber,
		UnitCode:          c.Unit,
		Kind:              c.Kind,
		Field:             c.Field,
		Status:            c.Status,
		ReceivedOn:        calendarpb.ToProto(c.Petition.ReceivedOn),
		ComplaintInstance: c.Instance,
		AssigneeUnitCode:  c.Assignee,
		OpenClocks:        c.OpenClocks(),
		Complex:           c.Complex || c.Extensions > 0,
		Extensions:        c.Extensions,
		Guided:            c.Guided,
		Forwarded:         c.Forwarded,
		Version:           h.Tail.Version,
	}
	for i, ev := range h.Events {
		on, summary := domain.Describe(msgs[i])
		env := ev.Envelope
		out.Timeline = append(out.Timeline, &routingv1.TimelineEntry{
			Version:      env.GetAggregateVersion(),
			EventType:    env.GetEventType(),
			On:           calendarpb.ToProto(on),
			RecordedAt:   env.GetRecordedAt(),
			Summary:      summary,
			ActorSubject: env.GetActor().GetSubject(),
		})
	}
	return out
}
