package app

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/command"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	"github.com/civicase/civicase/services/routing/internal/domain"
)

// ProcessPetition classifies a registered petition and decides what to do with it.
type ProcessPetition struct {
	Meta        command.Meta
	PetitionID  string
	ProcessedOn calendar.Date
	Kind        commonv1.PetitionKind
	Field       commonv1.Field
	// Decision is one of the ProcessPetitionRequest decision messages.
	Decision proto.Message
}

// ProcessPetitionHandler runs ProcessPetition.
type ProcessPetitionHandler struct{ r *repo }

// Handle processes the petition and returns its case. The petition's facts come from its own
// aggregate in the log; the competence rules from the unit registry as of the processing date.
func (h ProcessPetitionHandler) Handle(ctx context.Context, cmd ProcessPetition) (*routingv1.Case, error) {
	a, _ := auth.ActorFrom(ctx)
	if err := Authorize(a, ActProcess, nil); err != nil {
		return nil, err
	}
	p, err := h.r.petition(ctx, cmd.PetitionID)
	if err != nil {
		return nil, err
	}
	if p.DuplicateOf != "" {
		return nil, duplicate(p)
	}
	if err := h.r.Units.CatchUp(ctx); err != nil {
		return nil, err
	}
	var earlier *domain.Case
	if acc, ok := cmd.Decision.(*routingv1.ProcessPetitionRequest_Accept); ok && acc.GetRepeatOf() != "" && acc.GetRepeatOf() != p.ID {
		earlier, _, err = h.r.load(ctx, acc.GetRepeatOf())
		if err != nil && !apperr.IsKind(err, apperr.KindNotFound) && !apperr.IsKind(err, apperr.KindFailedPrecondition) {
			return nil, err
		}
	}
	today := h.r.today()
	return h.r.execute(ctx, p, cmd.Meta, func(c *domain.Case) ([]proto.Message, error) {
		if err := h.r.authorizeCase(ctx, ActProcess, c, cmd.ProcessedOn); err != nil {
			return nil, err
		}
		return c.Process(domain.Process{On: cmd.ProcessedOn, Kind: cmd.Kind, Field: cmd.Field, Decision: cmd.Decision, RepeatOf: earlier}, today, h.r.Units)
	})

}
