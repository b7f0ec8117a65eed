package app

import (
	"context"

	"google.golang.org/protobuf/proto"

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
	return h.r.onCase(ctx, ActStep, cmd.CaseID, cmd.Meta, func(c *domain.Case, today calendar.Date) ([]proto.Message, error) {
		return c.Record(domain.Step{On: cmd.On, What: cmd.Step}, today)
	})
}
