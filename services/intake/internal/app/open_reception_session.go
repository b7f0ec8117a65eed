package app

import (
	"context"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/eventstore"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	"github.com/civicase/civicase/services/intake/internal/domain"
)

// OpenReceptionSession opens a reception session (buổi tiếp) at a unit.
type OpenReceptionSession struct {
	Meta    command.Meta
	Session domain.Session
}

// OpenReceptionSessionHandler appends ReceptionSessionOpened to a new session aggregate.
type OpenReceptionSessionHandler struct {
	d PetitionDeps
}

// Handle opens the session and returns its id; a retry returns the same id.
func (h OpenReceptionSessionHandler) Handle(ctx context.Context, cmd OpenReceptionSession) (string, error) {
	d, s := h.d, cmd.Session
	if err := authorizePetition(cmd.Meta.Actor, actReceiveCitizens, ""); err != nil {
		return "", err
	}
	id := commandID(d.Tenant, domain.AggregateSession, "", cmd.Meta.Actor, cmd.Meta.ID).String()
	agg := eventstore.Aggregate{Type: domain.AggregateSession, ID: id}
	hist, err := d.Store.Load(ctx, agg)
	if err != nil {
		return "", appendError(err)
	}
	if _, done := hist.HasCommand(cmd.Meta.ID); done {
		return id, nil
	}
	vs := s.Violations(d.today())
	uv, err := d.checkUnits(ctx, s.HeldOn, unitField{"unit_code", s.UnitCode})
	if err != nil {
		return "", err
	}
	if err := apperr.Violations(append(vs, uv...)...); err != nil {
		return "", err
	}
	if err := authorizePetition(cmd.Meta.Actor, actReceiveCitizens, s.UnitCode); err != nil {
		return "", err
	}
	ev := eventstore.Event{Payload: s.Open(id, cmd.Meta.Actor.Subject), OccurredAt: cmd.Meta.OccurredAt}
	if _, err := d.Store.Append(ctx, agg, hist.Tail, cmd.Meta.Event(), ev); err != nil {
		return "", appendError(err)
	}
	return id, nil
}

// sessionOf loads a session and checks that the caller may act in it.
func (d PetitionDeps) sessionOf(ctx context.Context, cmd command.Meta, id string) (eventstore.History, *domain.SessionState, error) {
	if err := authorizePetition(cmd.Actor, actReceiveCitizens, ""); err != nil {
		return eventstore.History{}, nil, err
	}
	hist, err := d.Store.Load(ctx, eventstore.Aggregate{Type: domain.AggregateSession, ID: id})
	if err != nil {
		return hist, nil, appendError(err)
	}
	s, err := foldSession(hist.Events)
	if err != nil {
		return hist, nil, err
	}
	// A session of another unit is reported as not found: its existence is not disclosed either.
	if s.Opened == nil || !inUnitScope(cmd.Actor, s.Opened.GetUnitCode()) {
		return hist, nil, apperr.NotFound(domain.ReasonSessionNotFound, "no reception session %s", id)
	}
	return hist, s, nil
}

// visitOf finds the visit a command recorded in a session's history.
func visitOf(c eventstore.Commit) (*intakev1.VisitRecorded, error) {
	for _, ev := range c.Events {
		m, err := decodePayload(ev)
		if err != nil {
			return nil, apperr.Internal("", "recorded visit").WithCause(err)
		}
		if v, ok := m.(*intakev1.VisitRecorded); ok {
			return v, nil
		}
	}
	return nil, apperr.Internal("", "commit %d records no visit", c.Seq)
}
