package app

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/command"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	"github.com/civicase/civicase/services/routing/internal/domain"
)

// RecordStep records one step of a case's resolution, reported by the resolving unit's handler or
// by the agency the case was routed to.
type RecordStep struct {
	Meta   command.Meta
	CaseID string
	On     calendar.Date
	// Step is one of the RecordStepRequest step messages.
	Step proto.Message
}

// RecordStepHandler runs RecordStep.
type RecordStepHandler struct{ r *repo }

// Handle records the step and returns the case.
func (h RecordStepHandler) Handle(ctx context.Context, cmd RecordStep) (*routingv1.Case, error) {
	a, _ := auth.ActorFrom(ctx)
	if err := Authorize(a, ActStep, nil); err != nil {
		return nil, err
	}
	p, err := h.r.casePetition(ctx, cmd.CaseID)
	if err != nil {
		return nil, err
	}
	if err := h.r.Units.CatchUp(ctx); err != nil {
		return nil, err
	}
	today := h.r.today()
	return h.r.execute(ctx, p, cmd.Meta, func(c *domain.Case) ([]proto.Message, error) {
		if err := h.r.authorizeCase(ctx, ActStep, c, today); err != nil {
			return nil, err
		}
		return c.Record(domain.Step{On: cmd.On, What: cmd.Step}, today)
	})

}
