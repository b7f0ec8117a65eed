package domain

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/deadline"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
)

// Programme is a People's Council supervision programme as its events record it.
type Programme struct {
	ID               string
	Council          string
	Supervisor       supervisionv1.SupervisorKind
	Deputies         []string
	Units            []string
	From, To         calendar.Date
	Topic            string
	DecidedOn        calendar.Date
	DecisionRef      string
	ReportDue        calendar.Date
	ReportDerivation []string
	Findings         []Finding
	Recommendations  []Recommendation
	Closed           bool
	ClosedOn         calendar.Date
	ReportOnTime     bool
	// LastOn is the date of the latest fact, before which nothing new may be dated.
	LastOn calendar.Date
}

// Finding is what a programme found at a unit.
type Finding struct {
	ID      string
	Unit    string
	On      calendar.Date
	Summary string
	Cases   []string
}

// Recommendation is a recommendation and its answer.
type Recommendation struct {
	ID          string
	Unit        string
	IssuedOn    calendar.Date
	Content     string
	RespondBy   calendar.Date
	Derivation  []string
	FindingID   string
	Cases       []string
	Answered    bool
	RespondedOn calendar.Date
	OnTime      bool
}

// ProgrammeFrom folds a programme's history; nil when it has none.
func ProgrammeFrom(history []proto.Message) *Programme {
	var p *Programme
	for _, m := range history {
		if e, ok := m.(*supervisionv1.ProgrammeCreated); ok {
			p = &Programme{
				ID: e.GetProgrammeId(), Council: e.GetCouncilUnitCode(), Supervisor: e.GetSupervisorKind(), Deputies: e.GetDeputyRefs(),
				Units: e.GetUnitCodes(), From: calendarpb.FromProto(e.GetPeriod().GetFrom()), To: calendarpb.FromProto(e.GetPeriod().GetTo()),
				Topic: e.GetTopic(), DecidedOn: calendarpb.FromProto(e.GetDecidedOn()), DecisionRef: e.GetDecisionReference(),
				ReportDue: calendarpb.FromProto(e.GetReportDueOn()), ReportDerivation: e.GetReportDerivation(), LastOn: calendarpb.FromProto(e.GetDecidedOn()),
			}
			continue
		}
		if p != nil {
			p.apply(m)
		}
	}
	return p
}

func (p *Programme) apply(m proto.Message) {
	switch e := m.(type) {
	case *supervisionv1.FindingRecorded:
		on := calendarpb.FromProto(e.GetFoundOn())
		p.Findings = append(p.Findings, Finding{ID: e.GetFindingId(), Unit: e.GetUnitCode(), On: on, Summary: e.GetSummary(), Cases: e.GetCaseIds()})
		p.LastOn = laterOf(p.LastOn, on)
	case *supervisionv1.RecommendationIssued:
		on := calendarpb.FromProto(e.GetIssuedOn())
		p.Recommendations = append(p.Recommendations, Recommendation{
			ID: e.GetRecommendationId(), Unit: e.GetAddressedUnitCode(), IssuedOn: on, Content: e.GetContent(),
			RespondBy: calendarpb.FromProto(e.GetRespondBy()), Derivation: e.GetDerivation(), FindingID: e.GetFindingId(), Cases: e.GetCaseIds(),
		})
		p.LastOn = laterOf(p.LastOn, on)
	case *supervisionv1.RecommendationAnswered:
		if r := p.recommendation(e.GetRecommendationId()); r != nil {
			r.Answered, r.RespondedOn, r.OnTime = true, calendarpb.FromProto(e.GetRespondedOn()), e.GetOnTime()
		}
	case *supervisionv1.ProgrammeClosed:
		p.Closed, p.ClosedOn, p.ReportOnTime = true, calendarpb.FromProto(e.GetClosedOn()), e.GetReportOnTime()
	}
}

func (p *Programme) recommendation(id string) *Recommendation {
	for i := range p.Recommendations {
		if p.Recommendations[i].ID == id {
			return &p.Recommendations[i]
		}
	}
	return nil
}

func (p *Programme) subject() string { return Subject(AggregateProgramme, p.ID) }

// CreateProgramme asks to record a programme.
type CreateProgramme struct {
	ProgrammeID string
	Council     string
	Supervisor  supervisionv1.SupervisorKind
	Deputies    []string
	Units       []string
	From, To    calendar.Date
	Topic       string
	DecidedOn   calendar.Date
	DecisionRef string
}

// DecideCreateProgramme decides a new programme. A committee must report its results within the
// policy's period from the end of the supervised period (Luật GS Đ82, Đ86): that date is fixed now.
func DecideCreateProgramme(eng *deadline.Engine, pol Policy, cmd CreateProgramme, today calendar.Date) (*supervisionv1.ProgrammeCreated, error) {
	var vs []apperr.Violation
	if cmd.DecidedOn.After(today) {
		vs = append(vs, apperr.Field("decided_on", "%s is in the future", cmd.DecidedOn))
	}
	if cmd.Supervisor == supervisionv1.SupervisorKind_SUPERVISOR_KIND_DEPUTIES && len(cmd.Deputies) == 0 {
		vs = append(vs, apperr.Violation{Field: "deputy_refs", Description: "a deputies' programme names its deputies", Reason: ReasonDeputiesRequired})
	}
	if err := apperr.Violations(vs...); err != nil {
		return nil, err
	}
	ev := &supervisionv1.ProgrammeCreated{
		ProgrammeId: cmd.ProgrammeID, CouncilUnitCode: cmd.Council, SupervisorKind: cmd.Supervisor, DeputyRefs: cmd.Deputies,
		UnitCodes: cmd.Units, Period: &commonv1.DateRange{From: calendarpb.ToProto(cmd.From), To: calendarpb.ToProto(cmd.To)}, Topic: cmd.Topic,
		DecidedOn: calendarpb.ToProto(cmd.DecidedOn), DecisionReference: cmd.DecisionRef,
	}
	if cmd.Supervisor == supervisionv1.SupervisorKind_SUPERVISOR_KIND_COMMITTEE {
		due, lines, err := DueOf(eng, pol.Programme.CommitteeReportRule, cmd.To)
		if err != nil {
			return nil, apperr.Internal(ReasonCorrupt, "committee report period").WithCause(err)
		}
		ev.ReportDueOn, ev.ReportDerivation = calendarpb.ToProto(due), lines
	}
	return ev, nil
}

// open refuses a change of a closed programme and a fact dated in the future or before the last one.
func (p *Programme) open(field string, on, today calendar.Date) error {
	switch {
	case on.After(today):
		return apperr.Invalid(field, "%s is in the future", on)
	case p.Closed:
		return refuse(ReasonProgrammeClosed, p.subject(), "", "the programme was closed on %s", p.ClosedOn)
	case on.Before(p.DecidedOn):
		return refuse(ReasonDateTooEarly, p.subject(), field, "%s is before the programme's decision of %s", on, p.DecidedOn)
	}
	return nil
}

func (p *Programme) inScope(field, unit string) error {
	if !slices.Contains(p.Units, unit) {
		return refuse(ReasonOutOfScope, p.subject(), field, "unit %s is not among the programme's units %v", unit, p.Units)
	}
	return nil
}

// DecideFinding decides recording a finding at a supervised unit.
func (p *Programme) DecideFinding(unit string, on calendar.Date, summary string, cases []string, today calendar.Date) (*supervisionv1.FindingRecorded, error) {
	if err := p.open("found_on", on, today); err != nil {
		return nil, err
	}
	if err := p.inScope("unit_code", unit); err != nil {
		return nil, err
	}
	return &supervisionv1.FindingRecorded{
		ProgrammeId: p.ID, FindingId: fmt.Sprintf("F%d", len(p.Findings)+1), UnitCode: unit, FoundOn: calendarpb.ToProto(on), Summary: summary, CaseIds: cases,
	}, nil
}

// DecideRecommendation decides a recommendation to a supervised unit. Its answer is due within the
// policy's period from the supervisory decision carrying it (Luật GS Đ66, Đ73; *verify* the base).
func (p *Programme) DecideRecommendation(eng *deadline.Engine, pol Policy, unit string, on calendar.Date, content, findingID string, cases []string, today calendar.Date) (*supervisionv1.RecommendationIssued, error) {
	if err := p.open("issued_on", on, today); err != nil {
		return nil, err
	}
	if err := p.inScope("addressed_unit_code", unit); err != nil {
		return nil, err
	}
	if findingID != "" && !slices.ContainsFunc(p.Findings, func(f Finding) bool { return f.ID == findingID }) {
		return nil, refuse(ReasonFindingUnknown, p.subject(), "finding_id", "the programme has no finding %q", findingID)
	}
	due, lines, err := DueOf(eng, pol.Programme.RecommendationRule, on)
	if err != nil {
		return nil, apperr.Internal(ReasonCorrupt, "recommendation answer period").WithCause(err)
	}
	return &supervisionv1.RecommendationIssued{
		ProgrammeId: p.ID, RecommendationId: fmt.Sprintf("R%d", len(p.Recommendations)+1), AddressedUnitCode: unit,
		IssuedOn: calendarpb.ToProto(on), Content: content, RespondBy: calendarpb.ToProto(due), RuleId: pol.Programme.RecommendationRule,
		Derivation: lines, FindingId: findingID, CaseIds: cases,
	}, nil
}

// DecideRecommendationAnswer decides recording a unit's answer to a recommendation. An answer may
// come after the programme closed: the recommendation is followed until it is answered.
func (p *Programme) DecideRecommendationAnswer(id, unit string, on calendar.Date, reference string, today calendar.Date) (*supervisionv1.RecommendationAnswered, error) {
	r := p.recommendation(id)
	switch {
	case r == nil:
		return nil, apperr.NotFound(ReasonRecommendationNotFound, "programme %s has no recommendation %q", p.ID, id).WithSubject(p.subject())
	case on.After(today):
		return nil, apperr.Invalid("responded_on", "%s is in the future", on)
	case r.Answered:
		return nil, refuse(ReasonAnswered, p.subject(), "recommendation_id", "recommendation %s was answered on %s", id, r.RespondedOn)
	case on.Before(r.IssuedOn):
		return nil, refuse(ReasonDateTooEarly, p.subject(), "responded_on", "the answer is dated %s, before the recommendation of %s", on, r.IssuedOn)
	}
	late := 0
	if on.After(r.RespondBy) {
		late = on.DaysSince(r.RespondBy)
	}
	return &supervisionv1.RecommendationAnswered{
		ProgrammeId: p.ID, RecommendationId: id, RespondingUnitCode: unit, RespondedOn: calendarpb.ToProto(on), Reference: reference,
		OnTime: late == 0, DaysLate: int32(late),
	}, nil
}

// DecideClose decides closing the programme with its report; a committee's report is on time by
// the date fixed at creation (Luật GS Đ82, Đ86).
func (p *Programme) DecideClose(on calendar.Date, reference string, today calendar.Date) (*supervisionv1.ProgrammeClosed, error) {
	if err := p.open("closed_on", on, today); err != nil {
		return nil, err
	}
	if on.Before(p.LastOn) {
		return nil, refuse(ReasonDateTooEarly, p.subject(), "closed_on", "%s is before the programme's last fact of %s", on, p.LastOn)
	}
	open := 0
	for _, r := range p.Recommendations {
		if !r.Answered {
			open++
		}
	}
	return &supervisionv1.ProgrammeClosed{
		ProgrammeId: p.ID, ClosedOn: calendarpb.ToProto(on), ReportReference: reference,
		ReportOnTime: p.ReportDue.IsZero() || !on.After(p.ReportDue), OpenRecommendations: int32(open),
	}, nil
}

// Proto is the programme as the API shows it, with recommendations measured as of asOf.
func (p *Programme) Proto(asOf calendar.Date, full bool) *supervisionv1.Programme {
	out := &supervisionv1.Programme{
		ProgrammeId: p.ID, CouncilUnitCode: p.Council, SupervisorKind: p.Supervisor, DeputyRefs: p.Deputies, UnitCodes: p.Units,
		Period: &commonv1.DateRange{From: calendarpb.ToProto(p.From), To: calendarpb.ToProto(p.To)}, Topic: p.Topic, DecidedOn: calendarpb.ToProto(p.DecidedOn),
		DecisionReference: p.DecisionRef, ReportDueOn: calendarpb.ToProto(p.ReportDue), Closed: p.Closed, ClosedOn: calendarpb.ToProto(p.ClosedOn),
		ReportOnTime: p.ReportOnTime, RecommendationsIssued: int32(len(p.Recommendations)), FindingsRecorded: int32(len(p.Findings)),
	}
	for _, r := range p.Recommendations {
		rp := r.Proto(asOf)
		if r.Answered {
			out.RecommendationsAnswered++
		} else if rp.GetDaysOverdue() > 0 {
			out.RecommendationsOverdue++
		}
		if full {
			out.Recommendations = append(out.Recommendations, rp)
		}
	}
	if full {
		for _, f := range p.Findings {
			out.Findings = append(out.Findings, &supervisionv1.Finding{FindingId: f.ID, UnitCode: f.Unit, FoundOn: calendarpb.ToProto(f.On), Summary: f.Summary, CaseIds: f.Cases})
		}
	}
	return out
}

// Recommendation returns a recommendation by id.
func (p *Programme) Recommendation(id string) (Recommendation, bool) {
	if r := p.recommendation(id); r != nil {
		return *r, true
	}
	return Recommendation{}, false
}

// Proto is the recommendation as of a day: an open one past its date counts its days overdue.
func (r Recommendation) Proto(asOf calendar.Date) *supervisionv1.Recommendation {
	out := &supervisionv1.Recommendation{
		RecommendationId: r.ID, AddressedUnitCode: r.Unit, IssuedOn: calendarpb.ToProto(r.IssuedOn), Content: r.Content,
		RespondBy: calendarpb.ToProto(r.RespondBy), Derivation: r.Derivation, RespondedOn: calendarpb.ToProto(r.RespondedOn), OnTime: r.OnTime,
		FindingId: r.FindingID, CaseIds: r.Cases,
	}
	if !r.Answered && asOf.After(r.RespondBy) {
		out.DaysOverdue = int32(asOf.DaysSince(r.RespondBy))
	}
	return out
}
