package app

import (
	"context"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/eventstore"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
	"github.com/civicase/civicase/services/supervision/internal/domain"
)

func programmeAgg(id string) eventstore.Aggregate {
	return eventstore.Aggregate{Type: domain.AggregateProgramme, ID: id}
}

// CreateProgramme is a request to record a supervision programme.
type CreateProgramme struct {
	Meta command.Meta
	domain.CreateProgramme
}

// CreateProgramme records a People's Council supervision programme.
func (a *Application) CreateProgramme(ctx context.Context, cmd CreateProgramme) (*supervisionv1.Programme, error) {
	r := a.r
	if err := r.authorize(ctx, ActProgramme, cmd.Council); err != nil {
		return nil, err
	}
	fields := [][2]string{{"council_unit_code", cmd.Council}}
	for i, u := range cmd.Units {
		fields = append(fields, [2]string{"unit_codes[" + strconv.Itoa(i) + "]", u})
	}
	if err := r.checkUnits(ctx, cmd.DecidedOn, fields...); err != nil {
		return nil, err
	}
	cmd.ProgrammeID = r.newID(domain.AggregateProgramme, cmd.Meta)
	today := r.today()
	_, err := r.execute(ctx, programmeAgg(cmd.ProgrammeID), cmd.Meta, func(h []proto.Message) ([]proto.Message, error) {
		if len(h) > 0 {
			return nil, nil
		}
		ev, err := domain.DecideCreateProgramme(r.Engine, r.Policy, cmd.CreateProgramme, today)
		if err != nil {
			return nil, err
		}
		return []proto.Message{ev}, nil
	})
	if err != nil {
		return nil, err
	}
	p, err := r.loadProgramme(ctx, cmd.ProgrammeID)
	if err != nil {
		return nil, err
	}
	return p.Proto(today, true), nil
}

func (r *repo) loadProgramme(ctx context.Context, id string) (*domain.Programme, error) {
	_, msgs, err := r.history(ctx, programmeAgg(id))
	if err != nil {
		return nil, err
	}
	p := domain.ProgrammeFrom(msgs)
	if p == nil {
		return nil, apperr.NotFound(domain.ReasonProgrammeNotFound, "no programme %s", id).WithSubject(domain.Subject(domain.AggregateProgramme, id))
	}
	return p, nil
}

// onProgramme runs a decision on an existing programme, authorised for the supervising body (or,
// for answers, the addressed unit), and returns the programme after it.
func (r *repo) onProgramme(ctx context.Context, id string, meta command.Meta, act Action, units func(*domain.Programme) []string,
	decide func(p *domain.Programme, today calendar.Date) (proto.Message, error)) (*domain.Programme, eventstore.Result, error) {
	p, err := r.loadProgramme(ctx, id)
	if err != nil {
		return nil, eventstore.Result{}, err
	}
	if err := r.authorize(ctx, act, units(p)...); err != nil {
		return nil, eventstore.Result{}, err
	}
	today := r.today()
	res, err := r.execute(ctx, programmeAgg(id), meta, func(h []proto.Message) ([]proto.Message, error) {
		ev, err := decide(domain.ProgrammeFrom(h), today)
		if err != nil {
			return nil, err
		}
		return []proto.Message{ev}, nil
	})
	if err != nil {
		return nil, eventstore.Result{}, err
	}
	p, err = r.loadProgramme(ctx, id)
	return p, res, err
}

func council(p *domain.Programme) []string { return []string{p.Council} }

// RecordFinding is a request to record a finding.
type RecordFinding struct {
	Meta        command.Meta
	ProgrammeID string
	Unit        string
	FoundOn     calendar.Date
	Summary     string
	Cases       []string
}

// RecordFinding records what a programme found at a supervised unit; it returns the programme and
// the finding's id.
func (a *Application) RecordFinding(ctx context.Context, cmd RecordFinding) (*supervisionv1.Programme, string, error) {
	p, res, err := a.r.onProgramme(ctx, cmd.ProgrammeID, cmd.Meta, ActProgramme, council, func(p *domain.Programme, today calendar.Date) (proto.Message, error) {
		return p.DecideFinding(cmd.Unit, cmd.FoundOn, cmd.Summary, cmd.Cases, today)
	})
	if err != nil {
		return nil, "", err
	}
	// The commit is the original one on a retry too, so the id is the one first given.
	f, err := recorded[*supervisionv1.FindingRecorded](res)
	if err != nil {
		return nil, "", err
	}
	return p.Proto(a.r.today(), true), f.GetFindingId(), nil
}

// IssueRecommendation is a request to issue a recommendation.
type IssueRecommendation struct {
	Meta        command.Meta
	ProgrammeID string
	Unit        string
	IssuedOn    calendar.Date
	Content     string
	FindingID   string
	Cases       []string
}

// IssueRecommendation addresses a recommendation to a supervised unit with its answer date
// (Luật GS Đ66, Đ73).
func (a *Application) IssueRecommendation(ctx context.Context, cmd IssueRecommendation) (*supervisionv1.Programme, *supervisionv1.Recommendation, error) {
	p, res, err := a.r.onProgramme(ctx, cmd.ProgrammeID, cmd.Meta, ActProgramme, council, func(p *domain.Programme, today calendar.Date) (proto.Message, error) {
		return p.DecideRecommendation(a.r.Engine, a.r.Policy, cmd.Unit, cmd.IssuedOn, cmd.Content, cmd.FindingID, cmd.Cases, today)
	})
	if err != nil {
		return nil, nil, err
	}
	issued, err := recorded[*supervisionv1.RecommendationIssued](res)
	if err != nil {
		return nil, nil, err
	}
	today := a.r.today()
	rec, _ := p.Recommendation(issued.GetRecommendationId())
	return p.Proto(today, true), rec.Proto(today), nil
}

// AnswerRecommendation is a request to record a unit's answer to a recommendation.
type AnswerRecommendation struct {
	Meta             command.Meta
	ProgrammeID      string
	RecommendationID string
	RespondedOn      calendar.Date
	Reference        string
}

// RecordRecommendationResponse records the addressed unit's answer to a recommendation.
func (a *Application) RecordRecommendationResponse(ctx context.Context, cmd AnswerRecommendation) (*supervisionv1.Programme, *supervisionv1.Recommendation, error) {
	pre, err := a.r.loadProgramme(ctx, cmd.ProgrammeID)
	if err != nil {
		return nil, nil, err
	}
	if _, ok := pre.Recommendation(cmd.RecommendationID); !ok {
		return nil, nil, apperr.NotFound(domain.ReasonRecommendationNotFound, "programme %s has no recommendation %q", cmd.ProgrammeID, cmd.RecommendationID).
			WithSubject(domain.Subject(domain.AggregateProgramme, cmd.ProgrammeID))
	}
	addressed := func(p *domain.Programme) []string {
		rec, _ := p.Recommendation(cmd.RecommendationID)
		return []string{rec.Unit, p.Council}
	}
	p, _, err := a.r.onProgramme(ctx, cmd.ProgrammeID, cmd.Meta, ActAnswerRecommendation, addressed, func(p *domain.Programme, today calendar.Date) (proto.Message, error) {
		rec, _ := p.Recommendation(cmd.RecommendationID)
		return p.DecideRecommendationAnswer(cmd.RecommendationID, rec.Unit, cmd.RespondedOn, cmd.Reference, today)
	})
	if err != nil {
		return nil, nil, err
	}
	today := a.r.today()
	rec, _ := p.Recommendation(cmd.RecommendationID)
	return p.Proto(today, true), rec.Proto(today), nil
}

// CloseProgramme is a request to close a programme.
type CloseProgramme struct {
	Meta        command.Meta
	ProgrammeID string
	ClosedOn    calendar.Date
	Reference   string
}

// CloseProgramme closes a programme with its report.
func (a *Application) CloseProgramme(ctx context.Context, cmd CloseProgramme) (*supervisionv1.Programme, error) {
	p, _, err := a.r.onProgramme(ctx, cmd.ProgrammeID, cmd.Meta, ActProgramme, council, func(p *domain.Programme, today calendar.Date) (proto.Message, error) {
		return p.DecideClose(cmd.ClosedOn, cmd.Reference, today)
	})
	if err != nil {
		return nil, err
	}
	return p.Proto(a.r.today(), true), nil
}

// GetProgramme returns a programme with its findings and recommendations, read from the log.
func (a *Application) GetProgramme(ctx context.Context, id string) (*supervisionv1.Programme, error) {
	if err := a.r.authorize(ctx, ActRead); err != nil {
		return nil, err
	}
	p, err := a.r.loadProgramme(ctx, id)
	if err != nil {
		return nil, err
	}
	return p.Proto(a.r.today(), true), nil
}

// ProgrammeQuery filters the programme list.
type ProgrammeQuery struct {
	Unit      string
	OpenOnly  bool
	PageSize  int
	PageToken string
}

// ListProgrammes lists programmes with the status of their recommendations as of today.
func (a *Application) ListProgrammes(ctx context.Context, q ProgrammeQuery) ([]*supervisionv1.Programme, string, error) {
	if err := a.r.authorize(ctx, ActRead); err != nil {
		return nil, "", err
	}
	p, err := page(q.PageSize, q.PageToken)
	if err != nil {
		return nil, "", err
	}
	out, more, err := a.r.Read.Programmes(ctx, ProgrammeFilter{Unit: q.Unit, OpenOnly: q.OpenOnly, AsOf: a.r.today()}, p)
	if err != nil {
		return nil, "", readError(err)
	}
	return out, p.next(more), nil
}

// recorded is the event of type T that a command's commit holds.
func recorded[T proto.Message](res eventstore.Result) (T, error) {
	var zero T
	msgs, err := payloads(res.Events)
	if err != nil {
		return zero, err
	}
	for _, m := range msgs {
		if t, ok := m.(T); ok {
			return t, nil
		}
	}
	return zero, apperr.Internal(domain.ReasonCorrupt, "the command's commit holds no %T", zero)
}
