package app

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/eventstore"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
	"github.com/civicase/civicase/services/supervision/internal/domain"
)

func urgingAgg(id string) eventstore.Aggregate {
	return eventstore.Aggregate{Type: domain.AggregateUrging, ID: id}
}

// IssueUrging is a request to record an urging letter.
type IssueUrging struct {
	Meta command.Meta
	domain.IssueUrging
}

// IssueUrging records an urging letter against a late unit about a case, deciding on the case as
// the log holds it.
func (a *Application) IssueUrging(ctx context.Context, cmd IssueUrging) (*supervisionv1.Urging, error) {
	r := a.r
	if err := r.authorize(ctx, ActUrge, cmd.IssuingUnit); err != nil {
		return nil, err
	}
	if err := r.checkUnits(ctx, cmd.IssuedOn, [2]string{"issuing_unit_code", cmd.IssuingUnit}, [2]string{"unit_code", cmd.Unit}); err != nil {
		return nil, err
	}
	c, err := r.caseFacts(ctx, cmd.CaseID)
	if err != nil {
		return nil, err
	}
	cmd.UrgingID = r.newID(domain.AggregateUrging, cmd.Meta)
	today := r.today()
	_, err = r.execute(ctx, urgingAgg(cmd.UrgingID), cmd.Meta, func(h []proto.Message) ([]proto.Message, error) {
		if len(h) > 0 {
			return nil, nil // created by this command already (a retry whose first answer was lost)
		}
		ev, err := domain.DecideIssueUrging(r.Engine, r.Policy, c, cmd.IssueUrging, today)
		if err != nil {
			return nil, err
		}
		return []proto.Message{ev}, nil
	})
	if err != nil {
		return nil, err
	}
	return r.urging(ctx, cmd.UrgingID)
}

// urging reads an urging from the log.
func (r *repo) urging(ctx context.Context, id string) (*supervisionv1.Urging, error) {
	u, err := r.loadUrging(ctx, id)
	if err != nil {
		return nil, err
	}
	return u.Proto(), nil
}

func (r *repo) loadUrging(ctx context.Context, id string) (*domain.Urging, error) {
	_, msgs, err := r.history(ctx, urgingAgg(id))
	if err != nil {
		return nil, err
	}
	u := domain.UrgingFrom(msgs)
	if u == nil {
		return nil, apperr.NotFound(domain.ReasonUrgingNotFound, "no urging %s", id).WithSubject(domain.Subject(domain.AggregateUrging, id))
	}
	return u, nil
}

// EscalateUrging is a request to escalate an unanswered urging.
type EscalateUrging struct {
	Meta        command.Meta
	UrgingID    string
	EscalatedOn calendar.Date
	Superior    string
}

// EscalateUrging asks the urged unit's superior (the registry's, unless the request names one) for
// a report once the answer date has passed (Luật TC Đ38).
func (a *Application) EscalateUrging(ctx context.Context, cmd EscalateUrging) (*supervisionv1.Urging, error) {
	r := a.r
	u, err := r.loadUrging(ctx, cmd.UrgingID)
	if err != nil {
		return nil, err
	}
	if err := r.authorize(ctx, ActUrge, u.IssuingUnit); err != nil {
		return nil, err
	}
	superior := cmd.Superior
	if superior != "" {
		if err := r.checkUnits(ctx, cmd.EscalatedOn, [2]string{"superior_unit_code", superior}); err != nil {
			return nil, err
		}
	} else {
		if err := r.Units.CatchUp(ctx); err != nil {
			return nil, err
		}
		superior, _ = domain.Superior(r.Units, u.Unit, cmd.EscalatedOn)
	}
	today := r.today()
	_, err = r.execute(ctx, urgingAgg(cmd.UrgingID), cmd.Meta, func(h []proto.Message) ([]proto.Message, error) {
		ev, err := domain.UrgingFrom(h).DecideEscalate(r.Engine, r.Policy, cmd.EscalatedOn, superior, false, today)
		if err != nil {
			return nil, err
		}
		return []proto.Message{ev}, nil
	})
	if err != nil {
		return nil, err
	}
	return r.urging(ctx, cmd.UrgingID)
}

// AnswerUrging is a request to record the answer to an urging.
type AnswerUrging struct {
	Meta           command.Meta
	UrgingID       string
	RespondingUnit string
	RespondedOn    calendar.Date
	Reference      string
}

// RecordUrgingResponse records the answer of the urged unit (or of its superior after escalation).
func (a *Application) RecordUrgingResponse(ctx context.Context, cmd AnswerUrging) (*supervisionv1.Urging, error) {
	r := a.r
	u, err := r.loadUrging(ctx, cmd.UrgingID)
	if err != nil {
		return nil, err
	}
	if err := r.authorize(ctx, ActAnswerUrging, cmd.RespondingUnit, u.IssuingUnit); err != nil {
		return nil, err
	}
	today := r.today()
	_, err = r.execute(ctx, urgingAgg(cmd.UrgingID), cmd.Meta, func(h []proto.Message) ([]proto.Message, error) {
		ev, err := domain.UrgingFrom(h).DecideAnswer(cmd.RespondingUnit, cmd.RespondedOn, cmd.Reference, today)
		if err != nil {
			return nil, err
		}
		return []proto.Message{ev}, nil
	})
	if err != nil {
		return nil, err
	}
	return r.urging(ctx, cmd.UrgingID)
}

// UrgingQuery filters the urging list.
type UrgingQuery struct {
	UrgingFilter
	PageSize  int
	PageToken string
}

// ListUrgings lists urgings, latest first.
func (a *Application) ListUrgings(ctx context.Context, q UrgingQuery) ([]*supervisionv1.Urging, string, error) {
	if err := a.r.authorize(ctx, ActRead); err != nil {
		return nil, "", err
	}
	p, err := page(q.PageSize, q.PageToken)
	if err != nil {
		return nil, "", err
	}
	out, more, err := a.r.Read.Urgings(ctx, q.UrgingFilter, p)
	if err != nil {
		return nil, "", readError(err)
	}
	return out, p.next(more), nil
}
