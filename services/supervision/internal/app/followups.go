package app

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/eventstore"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
	"github.com/civicase/civicase/services/supervision/internal/domain"
)

func followUpAgg(petitionID string) eventstore.Aggregate {
	return eventstore.Aggregate{Type: domain.AggregateFollowUp, ID: petitionID}
}

// ResultReceived is a request to record the result reaching a deputy.
type ResultReceived struct {
	Meta       command.Meta
	PetitionID string
	Council    string
	ReceivedOn calendar.Date
	FromUnit   string
}

// RecordDeputyResultReceived records the competent body's result reaching the deputy who forwarded
// a petition, with the deputy_inform clock it starts (Luật TCD Đ28.2).
func (a *Application) RecordDeputyResultReceived(ctx context.Context, cmd ResultReceived) (*supervisionv1.DeputyFollowUp, error) {
	r := a.r
	if err := r.authorize(ctx, ActFollowUp, cmd.Council); err != nil {
		return nil, err
	}
	if err := r.checkUnits(ctx, cmd.ReceivedOn, [2]string{"council_unit_code", cmd.Council}, [2]string{"from_unit_code", cmd.FromUnit}); err != nil {
		return nil, err
	}
	c, err := r.caseFacts(ctx, cmd.PetitionID)
	if err != nil {
		return nil, err
	}
	if err := domain.DeputyForwarded(c); err != nil {
		return nil, err
	}
	today := r.today()
	_, err = r.execute(ctx, followUpAgg(cmd.PetitionID), cmd.Meta, func(h []proto.Message) ([]proto.Message, error) {
		return domain.FollowUpFrom(cmd.PetitionID, h).DecideResultReceived(r.Engine, r.Policy, c, cmd.Council, cmd.FromUnit, cmd.ReceivedOn, today)
	})
	if err != nil {
		return nil, err
	}
	return r.followUp(ctx, cmd.PetitionID)
}

// Informed is a request to record the citizen being informed.
type Informed struct {
	Meta       command.Meta
	PetitionID string
	InformedOn calendar.Date
}

// RecordCitizenInformed records the deputy informing the citizen, stopping the deputy_inform clock.
func (a *Application) RecordCitizenInformed(ctx context.Context, cmd Informed) (*supervisionv1.DeputyFollowUp, error) {
	r := a.r
	c, err := r.caseFacts(ctx, cmd.PetitionID)
	if err != nil {
		return nil, err
	}
	if err := domain.DeputyForwarded(c); err != nil {
		return nil, err
	}
	_, msgs, err := r.history(ctx, followUpAgg(cmd.PetitionID))
	if err != nil {
		return nil, err
	}
	if err := r.authorize(ctx, ActFollowUp, domain.FollowUpFrom(cmd.PetitionID, msgs).Council); err != nil {
		return nil, err
	}
	today := r.today()
	_, err = r.execute(ctx, followUpAgg(cmd.PetitionID), cmd.Meta, func(h []proto.Message) ([]proto.Message, error) {
		return domain.FollowUpFrom(cmd.PetitionID, h).DecideInformed(cmd.InformedOn, today)
	})
	if err != nil {
		return nil, err
	}
	return r.followUp(ctx, cmd.PetitionID)
}

func (r *repo) followUp(ctx context.Context, petitionID string) (*supervisionv1.DeputyFollowUp, error) {
	c, err := r.caseFacts(ctx, petitionID)
	if err != nil {
		return nil, err
	}
	_, msgs, err := r.history(ctx, followUpAgg(petitionID))
	if err != nil {
		return nil, err
	}
	return domain.FollowUpFrom(petitionID, msgs).Proto(c, r.today()), nil
}

// FollowUpQuery filters the follow-up list.
type FollowUpQuery struct {
	DeputyRef string
	Unit      string
	OpenOnly  bool
	PageSize  int
	PageToken string
}

// ListDeputyFollowUps lists the petitions deputies forwarded and where their follow-up stands.
func (a *Application) ListDeputyFollowUps(ctx context.Context, q FollowUpQuery) ([]*supervisionv1.DeputyFollowUp, string, error) {
	if err := a.r.authorize(ctx, ActRead); err != nil {
		return nil, "", err
	}
	p, err := page(q.PageSize, q.PageToken)
	if err != nil {
		return nil, "", err
	}
	out, more, err := a.r.Read.FollowUps(ctx, FollowUpFilter{DeputyRef: q.DeputyRef, Unit: q.Unit, OpenOnly: q.OpenOnly, AsOf: a.r.today()}, p)
	if err != nil {
		return nil, "", readError(err)
	}
	return out, p.next(more), nil
}
