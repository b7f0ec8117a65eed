package app

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/command"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	"github.com/civicase/civicase/services/routing/internal/domain"
)

// AssignCase gives a case to a handling unit or agency, and optionally a handling officer.
type AssignCase struct {
	Meta       command.Meta
	CaseID     string
	Assignee   string
	Handler    string
	AssignedOn calendar.Date
}

// AssignCaseHandler runs AssignCase.
type AssignCaseHandler struct{ r *repo }

// Handle assigns the case and returns it.
func (h AssignCaseHandler) Handle(ctx context.Context, cmd AssignCase) (*routingv1.Case, error) {
	return h.r.onCase(ctx, ActAssign, cmd.CaseID, cmd.Meta, func(c *domain.Case, today calendar.Date) ([]proto.Message, error) {
		return c.Assign(domain.Assign{On: cmd.AssignedOn, Assignee: cmd.Assignee, Handler: cmd.Handler}, today, h.r.Units)
	})
}
