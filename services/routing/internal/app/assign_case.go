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
	a, _ := auth.ActorFrom(ctx)
	if err := Authorize(a, ActAssign, nil); err != nil {
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
		if err := h.r.authorizeCase(ctx, ActAssign, c, today); err != nil {
			return nil, err
		}
		return c.Assign(domain.Assign{On: cmd.AssignedOn, Assignee: cmd.Assignee, Handler: cmd.Handler}, today, h.r.Units)
	})

}
