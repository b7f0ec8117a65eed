package app

import (
	"context"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/eventstore"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	"github.com/civicase/civicase/services/intake/internal/domain"
)

// CloseReceptionSession ends a session; it takes no visits afterwards.
type CloseReceptionSession struct {
	Meta      command.Meta
	SessionID string
}

// CloseReceptionSessionHandler appends ReceptionSessionClosed.
type CloseReceptionSessionHandler struct {
	d PetitionDeps
}

// Handle closes the session and returns the number of visits recorded in it. Closing a closed
// session is refused (FailedPrecondition) unless it is a retry of the closing command.
func (h CloseReceptionSessionHandler) Handle(ctx context.Context, cmd CloseReceptionSession) (int32, error) {
	if _, _, err := h.d.sessionOf(ctx, cmd.Meta, cmd.SessionID); err != nil {
		return 0, err
	}
	res, err := h.d.Store.Execute(ctx, eventstore.Aggregate{Type: domain.AggregateSession, ID: cmd.SessionID}, cmd.Meta.Event(),
		func(hist eventstore.History) ([]eventstore.Event, error) {
			s, err := foldSession(hist.Events)
			if err != nil {
				return nil, err
			}
			ev, err := s.Close(cmd.SessionID)
			if err != nil {
				return nil, err
			}
			return []eventstore.Event{{Payload: ev, OccurredAt: cmd.Meta.OccurredAt}}, nil
		})
	if err != nil {
		return 0, appendError(err)
	}
	for _, ev := range res.Events {
		m, err := decodePayload(ev)
		if err != nil {
			return 0, apperr.Internal("", "closed session").WithCause(err)
		}
		if c, ok := m.(*intakev1.ReceptionSessionClosed); ok {
			return c.GetVisitCount(), nil
		}
	}
	return 0, apperr.Internal("", "commit %d closes no session", res.Seq)
}
