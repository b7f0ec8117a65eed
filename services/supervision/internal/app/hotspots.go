package app

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/eventstore"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
	"github.com/civicase/civicase/services/supervision/internal/domain"
)

func hotSpotAgg(id string) eventstore.Aggregate {
	return eventstore.Aggregate{Type: domain.AggregateHotSpot, ID: id}
}

// RegisterHotSpot is a request to put a hot spot on the register.
type RegisterHotSpot struct {
	Meta command.Meta
	domain.RegisterHotSpot
}

// RegisterHotSpot puts a hot spot on the register with its leader and cases.
func (a *Application) RegisterHotSpot(ctx context.Context, cmd RegisterHotSpot) (*supervisionv1.HotSpot, error) {
	r := a.r
	if err := r.authorize(ctx, ActHotSpot, cmd.Unit); err != nil {
		return nil, err
	}
	if err := r.checkUnits(ctx, cmd.RegisteredOn, [2]string{"unit_code", cmd.Unit}); err != nil {
		return nil, err
	}
	if err := r.casesExist(ctx, "case_ids", cmd.Cases); err != nil {
		return nil, err
	}
	cmd.HotSpotID = r.newID(domain.AggregateHotSpot, cmd.Meta)
	today := r.today()
	_, err := r.execute(ctx, hotSpotAgg(cmd.HotSpotID), cmd.Meta, func(h []proto.Message) ([]proto.Message, error) {
		if len(h) > 0 {
			return nil, nil
		}
		ev, err := domain.DecideRegisterHotSpot(cmd.RegisterHotSpot, today)
		if err != nil {
			return nil, err
		}
		return []proto.Message{ev}, nil
	})
	if err != nil {
		return nil, err
	}
	return r.hotSpot(ctx, cmd.HotSpotID)
}

// casesExist refuses case ids that name no registered petition.
func (r *repo) casesExist(ctx context.Context, field string, ids []string) error {
	for _, id := range ids {
		h, err := r.Store.Load(ctx, eventstore.Aggregate{Type: domain.AggregatePetition, ID: id})
		if err != nil {
			return storeError(err)
		}
		if len(h.Events) == 0 {
			return apperr.Violations(apperr.Violation{Field: field, Description: "no petition " + id + " is registered", Reason: domain.ReasonCaseNotFound})
		}
	}
	return nil
}

func (r *repo) loadHotSpot(ctx context.Context, id string) (*domain.HotSpot, error) {
	_, msgs, err := r.history(ctx, hotSpotAgg(id))
	if err != nil {
		return nil, err
	}
	h := domain.HotSpotFrom(msgs)
	if h == nil {
		return nil, apperr.NotFound(domain.ReasonHotSpotNotFound, "no hot spot %s", id).WithSubject(domain.Subject(domain.AggregateHotSpot, id))
	}
	return h, nil
}

func (r *repo) hotSpot(ctx context.Context, id string) (*supervisionv1.HotSpot, error) {
	h, err := r.loadHotSpot(ctx, id)
	if err != nil {
		return nil, err
	}
	return h.Proto(), nil
}

// UpdateHotSpot is a request to change a hot spot.
type UpdateHotSpot struct {
	Meta      command.Meta
	HotSpotID string
	domain.UpdateHotSpot
}

// UpdateHotSpot changes a hot spot's leader, status or cases.
func (a *Application) UpdateHotSpot(ctx context.Context, cmd UpdateHotSpot) (*supervisionv1.HotSpot, error) {
	r := a.r
	h, err := r.loadHotSpot(ctx, cmd.HotSpotID)
	if err != nil {
		return nil, err
	}
	if err := r.authorize(ctx, ActHotSpot, h.Unit); err != nil {
		return nil, err
	}
	if err := r.casesExist(ctx, "add_case_ids", cmd.AddCases); err != nil {
		return nil, err
	}
	today := r.today()
	_, err = r.execute(ctx, hotSpotAgg(cmd.HotSpotID), cmd.Meta, func(hist []proto.Message) ([]proto.Message, error) {
		ev, err := domain.HotSpotFrom(hist).DecideUpdate(cmd.UpdateHotSpot, today)
		if err != nil {
			return nil, err
		}
		return []proto.Message{ev}, nil
	})
	if err != nil {
		return nil, err
	}
	return r.hotSpot(ctx, cmd.HotSpotID)
}

// CloseHotSpot is a request to take a hot spot off the register.
type CloseHotSpot struct {
	Meta      command.Meta
	HotSpotID string
	ClosedOn  calendar.Date
	Outcome   string
}

// CloseHotSpot takes a hot spot off the register.
func (a *Application) CloseHotSpot(ctx context.Context, cmd CloseHotSpot) (*supervisionv1.HotSpot, error) {
	r := a.r
	h, err := r.loadHotSpot(ctx, cmd.HotSpotID)
	if err != nil {
		return nil, err
	}
	if err := r.authorize(ctx, ActHotSpot, h.Unit); err != nil {
		return nil, err
	}
	today := r.today()
	_, err = r.execute(ctx, hotSpotAgg(cmd.HotSpotID), cmd.Meta, func(hist []proto.Message) ([]proto.Message, error) {
		ev, err := domain.HotSpotFrom(hist).DecideClose(cmd.ClosedOn, cmd.Outcome, today)
		if err != nil {
			return nil, err
		}
		return []proto.Message{ev}, nil
	})
	if err != nil {
		return nil, err
	}
	return r.hotSpot(ctx, cmd.HotSpotID)
}

// HotSpotQuery filters the register.
type HotSpotQuery struct {
	Unit                string
	IncludeSubordinates bool
	OpenOnly            bool
	PageSize            int
	PageToken           string
}

// ListHotSpots lists the register, latest first.
func (a *Application) ListHotSpots(ctx context.Context, q HotSpotQuery) ([]*supervisionv1.HotSpot, string, error) {
	r := a.r
	if err := r.authorize(ctx, ActRead); err != nil {
		return nil, "", err
	}
	p, err := page(q.PageSize, q.PageToken)
	if err != nil {
		return nil, "", err
	}
	units, err := r.unitScope(ctx, q.Unit, q.IncludeSubordinates, r.today())
	if err != nil {
		return nil, "", err
	}
	out, more, err := r.Read.HotSpots(ctx, HotSpotFilter{Units: units, OpenOnly: q.OpenOnly}, p)
	if err != nil {
		return nil, "", readError(err)
	}
	return out, p.next(more), nil
}

// ProposeQuery asks for hot-spot candidates.
type ProposeQuery struct {
	Unit                string
	IncludeSubordinates bool
	AsOf                calendar.Date
	ExcludeRegistered   bool
}

// Proposal is the candidates the detection rules found.
type Proposal struct {
	Candidates []*supervisionv1.HotSpotCandidate
	AsOf       calendar.Date
	Version    string
}

// ProposeHotSpots applies the detection rules (hotspots.yaml) to the facts dated up to the day
// asked and returns the candidates with their reasons; it registers nothing.
func (a *Application) ProposeHotSpots(ctx context.Context, q ProposeQuery) (Proposal, error) {
	r := a.r
	if err := r.authorize(ctx, ActRead); err != nil {
		return Proposal{}, err
	}
	asOf := r.orToday(q.AsOf)
	units, err := r.unitScope(ctx, q.Unit, q.IncludeSubordinates, asOf)
	if err != nil {
		return Proposal{}, err
	}
	evidence, err := r.Read.Evidence(ctx, units, asOf)
	if err != nil {
		return Proposal{}, readError(err)
	}
	rows, err := r.Read.OpenClocks(ctx, ClockFilter{AsOf: asOf})
	if err != nil {
		return Proposal{}, readError(err)
	}
	overdue := map[string][]domain.OverdueFact{}
	for _, row := range rows {
		if st := row.Clock.At(r.Engine, asOf); st.Overdue() {
			overdue[row.Clock.CaseID] = append(overdue[row.Clock.CaseID], domain.OverdueFact{
				Clock: row.Clock.Clock, Unit: row.Clock.Unit, Due: st.Due, DaysOverdue: st.DaysOverdue,
			})
		}
	}
	for i := range evidence {
		evidence[i].Overdue = overdue[evidence[i].CaseID]
	}
	out := Proposal{AsOf: asOf, Version: r.Detection.Version}
	for _, c := range r.Detection.Detect(evidence, asOf) {
		if q.ExcludeRegistered && c.HotSpotID != "" {
			continue
		}
		out.Candidates = append(out.Candidates, candidateProto(c))
	}
	return out, nil
}

func candidateProto(c domain.Candidate) *supervisionv1.HotSpotCandidate {
	out := &supervisionv1.HotSpotCandidate{CaseId: c.CaseID, UnitCode: c.Unit, PetitionKind: c.Kind, RegisteredHotSpotId: c.HotSpotID}
	for _, reason := range c.Reasons {
		rp := &supervisionv1.HotSpotReason{RuleId: reason.Rule.ID, RuleName: reason.Rule.Name, Summary: reason.Summary, Citation: reason.Rule.Citation}
		for _, e := range reason.Evidence {
			rp.Evidence = append(rp.Evidence, &supervisionv1.Evidence{Kind: e.Kind, Ref: e.Ref, On: calendarpb.ToProto(e.On), Value: int32(e.Value), Detail: e.Detail})
		}
		out.Reasons = append(out.Reasons, rp)
	}
	return out
}
