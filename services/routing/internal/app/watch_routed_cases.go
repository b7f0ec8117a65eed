package app

import (
	"context"
	"strconv"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/eventstore"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	"github.com/civicase/civicase/services/routing/internal/domain"
)

// WatchRoutedCases follows the cases routed to a unit: accepted by it, forwarded to it, assigned
// to it.
type WatchRoutedCases struct {
	Unit string
	// After is the cursor of the last case the client processed; "" starts at the beginning.
	After string
}

// RoutedCase is one case routed to the unit.
type RoutedCase struct {
	// Cursor is the position in the log of the commit that routed it; the client resumes after it.
	Cursor    string
	CaseID    string
	EventType string
	Kind      commonv1.PetitionKind
	RoutedOn  calendar.Date
	FromUnit  string
}

// WatchRoutedCasesHandler runs WatchRoutedCases.
type WatchRoutedCasesHandler struct{ r *repo }

// Handle sends every case routed to the unit after the cursor, then the new ones as they are
// routed, until ctx ends. The cursor is the log's stream sequence of the routing commit (one
// command routes a case once, so a commit holds at most one routing event for a unit): a client
// that reconnects with the last cursor it processed gets exactly the rest.
func (h WatchRoutedCasesHandler) Handle(ctx context.Context, q WatchRoutedCases, send func(RoutedCase) error) error {
	a, _ := auth.ActorFrom(ctx)
	if err := Authorize(a, ActWatch, nil); err != nil {
		return err
	}
	if a.Role == auth.RoleAgency && a.Unit != q.Unit {
		return apperr.PermissionDenied("UNIT_OUT_OF_SCOPE", "an agency watches only the cases routed to itself (%s)", a.Unit)
	}
	var after uint64
	if q.After != "" {
		n, err := strconv.ParseUint(q.After, 10, 64)
		if err != nil {
			return apperr.Invalid("after_cursor", "is not a cursor this service gave out")
		}
		after = n
	}
	opts := eventstore.ReadOptions{From: eventstore.From{Seq: after + 1}, Subjects: []string{h.r.Store.SubjectsOf(domain.AggregateCase)}}
	return h.r.Store.Follow(ctx, opts, func(c eventstore.Commit) error {
		rc, ok, err := h.routed(ctx, c, q.Unit)
		if err != nil || !ok {
			return err
		}
		return send(rc)
	})
}

// routed says whether a commit routes a case to the unit.
func (h WatchRoutedCasesHandler) routed(ctx context.Context, c eventstore.Commit, unit string) (RoutedCase, bool, error) {
	msgs, err := payloads(c.Events)
	if err != nil {
		return RoutedCase{}, false, err
	}
	rc := RoutedCase{Cursor: strconv.FormatUint(c.Seq, 10), CaseID: c.Aggregate.ID}
	var classified *routingv1.PetitionClassified
	for _, m := range msgs {
		if e, ok := m.(*routingv1.PetitionClassified); ok {
			classified = e
		}
	}
	for i, m := range msgs {
		rc.EventType = c.Events[i].Envelope.GetEventType()
		switch e := m.(type) {
		case *routingv1.CaseAccepted:
			if e.GetUnitCode() != unit {
				continue
			}
			rc.Kind, rc.RoutedOn, rc.FromUnit = e.GetKind(), calendarpb.FromProto(e.GetAcceptedOn()), e.GetUnitCode()
			return rc, true, nil
		case *routingv1.PetitionForwarded:
			if e.GetToUnitCode() != unit {
				continue
			}
			rc.RoutedOn, rc.FromUnit = calendarpb.FromProto(e.GetForwardedOn()), e.GetFromUnitCode()
			rc.Kind = classified.GetKind() // forwarding is a processing decision: classified in the same commit
			return rc, true, nil
		case *routingv1.CaseAssigned:
			if e.GetAssigneeUnitCode() != unit {
				continue
			}
			rc.RoutedOn = calendarpb.FromProto(e.GetAssignedOn())
			// The kind and the assigning unit are the case's as it stood before this commit.
			before, err := h.caseBefore(ctx, c.Aggregate.ID, c.Events[0].Version())
			if err != nil {
				return RoutedCase{}, false, err
			}
			rc.Kind, rc.FromUnit = before.Kind, before.Unit
			return rc, true, nil
		}
	}
	return RoutedCase{}, false, nil
}

// caseBefore is a case as it stood before the event of a version.
func (h WatchRoutedCasesHandler) caseBefore(ctx context.Context, id string, version uint64) (*domain.Case, error) {
	p, err := h.r.petition(ctx, id)
	if err != nil {
		return nil, err
	}
	hist, err := h.r.Store.Load(ctx, CaseAggregate(id))
	if err != nil {
		return nil, storeError(err)
	}
	c, err := domain.NewCase(h.r.Engine, p)
	if err != nil {
		return nil, err
	}
	for _, ev := range hist.Events {
		if ev.Version() >= version {
			break
		}
		m, err := ev.Envelope.GetPayload().UnmarshalNew()
		if err != nil {
			return nil, storeError(err)
		}
		if err := c.Apply(m); err != nil {
			return nil, err
		}
	}
	return c, nil
}
