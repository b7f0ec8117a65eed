package app

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/unitreg"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	"github.com/civicase/civicase/services/reporting/internal/adapters/postgres"
	"github.com/civicase/civicase/services/reporting/internal/domain"
)

// submissionSpace names submission ids derived from command ids, so that a retried submission
// lands on the same aggregate and is recognised as the same command.
var submissionSpace = uuid.MustParse("5c3c2a7e-9f1d-4b8e-a7a2-6d0c1f3e8b41")

// PlanAggregate is the aggregate of a plan; '.' is not allowed in aggregate ids.
func PlanAggregate(id string) eventstore.Aggregate {
	return eventstore.Aggregate{Type: postgres.AggregatePlan, ID: strings.ReplaceAll(id, ".", "_")}
}

func writable(m command.Meta) error {
	if m.Actor.Role.ReadOnly() {
		return apperr.PermissionDenied(ReasonReadOnly, "role %s only reads", m.Actor.Role)
	}
	return nil
}

// businessDay is the day a command says it happened (Vietnam), or today.
func (a *App) businessDay(m command.Meta) calendar.Date {
	if !m.OccurredAt.IsZero() {
		return calendar.DateOf(m.OccurredAt)
	}
	return a.today()
}

// DeclarePlan records a plan's obligations. Units it names must be in the registry.
func (a *App) DeclarePlan(ctx context.Context, m command.Meta, plan *reportingv1.Plan) (string, error) {
	if err := writable(m); err != nil {
		return "", err
	}
	err := a.Units.With(ctx, func(reg *unitreg.Registry) error {
		var vs []apperr.Violation
		known := func(field, code string) {
			if code == "" {
				return
			}
			if _, ok := reg.ResolveSuccessor(code, calendar.Date{Year: 9999, Month: 12, Day: 31}); !ok {
				vs = append(vs, apperr.Field(field, "unit %s is not in the unit registry", code))
			}
		}
		known("plan.issued_by", plan.GetIssuedBy())
		for i, o := range plan.GetObligations() {
			known("plan.obligations["+itoa(i)+"].recipient_code", o.GetRecipientCode())
			known("plan.obligations["+itoa(i)+"].reporters.under", o.GetReporters().GetUnder())
			for _, c := range o.GetReporters().GetCodes() {
				known("plan.obligations["+itoa(i)+"].reporters.codes", c)
			}
			if len(o.GetDueDates()) == 0 && len(o.GetYearly()) == 0 {
				vs = append(vs, apperr.Field("plan.obligations["+itoa(i)+"]", "has no due date"))
			}
			if f := o.GetFormCode(); f != "" {
				if _, ok := a.Forms.InForce(f, CivilOf(calendar.Date{Year: 9999, Month: 12, Day: 31})); !ok {
					vs = append(vs, apperr.Field("plan.obligations["+itoa(i)+"].form_code", "form %s is not defined", f))
				}
			}
		}
		return apperr.Violations(vs...)
	})
	if err != nil {
		return "", err
	}
	ev := eventstore.Event{OccurredAt: m.OccurredAt, Payload: &reportingv1.PlanDeclared{Plan: plan}}
	_, err = a.Store.Execute(ctx, PlanAggregate(plan.GetId()), m.Event(), func(eventstore.History) ([]eventstore.Event, error) {
		return []eventstore.Event{ev}, nil
	})
	return plan.GetId(), err
}

// plan loads a plan's latest declaration from the log, so a submission right after a
// declaration sees it.
func (a *App) plan(ctx context.Context, id string) (*reportingv1.Plan, error) {
	h, err := a.Store.Load(ctx, PlanAggregate(id))
	if err != nil {
		return nil, err
	}
	var plan *reportingv1.Plan
	for _, ev := range h.Events {
		m, err := ev.Envelope.GetPayload().UnmarshalNew()
		if err != nil {
			return nil, apperr.Internal("CORRUPT", "plan %s event %d does not decode", id, ev.Version()).WithCause(err)
		}
		if d, ok := m.(*reportingv1.PlanDeclared); ok && d.GetPlan().GetId() == id {
			plan = d.GetPlan()
		}
	}
	if plan == nil {
		return nil, apperr.NotFound(domain.ReasonPlanUnknown, "plan %s is not declared", id)
	}
	return plan, nil
}

// Submitted is a recorded submission.
type Submitted struct {
	ID          string
	SubmittedOn calendar.Date
	Report      *reportingv1.Report
}

// SubmitReport records a unit's report for one due date of an obligation. The report is generated
// now and its cells are frozen in the event: what was submitted never changes afterwards.
func (a *App) SubmitReport(ctx context.Context, m command.Meta, req *reportingv1.SubmitReportRequest) (*Submitted, error) {
	if err := writable(m); err != nil {
		return nil, err
	}
	plan, err := a.plan(ctx, req.GetPlanId())
	if err != nil {
		return nil, err
	}
	o, ok := domain.FindObligation(plan, req.GetObligationId())
	if !ok {
		return nil, apperr.NotFound(domain.ReasonObligation, "plan %s has no obligation %s", plan.GetId(), req.GetObligationId())
	}
	due := domainDate(req.GetDueOn())
	if len(domain.DueDates(o, due, due)) == 0 {
		return nil, apperr.Invalid("due_on", "%s is not a due date of obligation %s", due, o.GetId())
	}
	err = a.Units.With(ctx, func(reg *unitreg.Registry) error {
		for _, u := range domain.Reporters(reg, o.GetReporters(), due) {
			if u.Code == req.GetUnitCode() {
				return nil
			}
		}
		return apperr.Precondition(domain.ReasonNotReporter, "unit %s does not report under obligation %s on %s", req.GetUnitCode(), o.GetId(), due)
	})
	if err != nil {
		return nil, err
	}
	var report *reportingv1.Report
	if spec := req.GetReport(); spec != nil {
		if o.GetFormCode() != "" && spec.GetFormCode() != o.GetFormCode() {
			return nil, apperr.Invalid("report.form_code", "obligation %s asks for form %s", o.GetId(), o.GetFormCode())
		}
		g, err := a.GenerateReport(ctx, spec)
		if err != nil {
			return nil, err
		}
		report = ReportProto(g)
	} else if o.GetFormCode() != "" {
		return nil, apperr.Invalid("report", "obligation %s asks for form %s", o.GetId(), o.GetFormCode())
	}
	id := uuid.NewSHA1(submissionSpace, []byte(m.ID)).String()
	on := a.businessDay(m)
	ev := &reportingv1.ReportSubmitted{SubmissionId: id, PlanId: plan.GetId(), ObligationId: o.GetId(), UnitCode: req.GetUnitCode(),
		DueOn: req.GetDueOn(), SubmittedOn: unitreg.DateProto(on), Report: report, DocumentReference: req.GetDocumentReference()}
	res, err := a.Store.Execute(ctx, eventstore.Aggregate{Type: postgres.AggregateSubmission, ID: id}, m.Event(),
		func(eventstore.History) ([]eventstore.Event, error) {
			return []eventstore.Event{{OccurredAt: m.OccurredAt, Payload: ev}}, nil
		})
	if err != nil {
		return nil, err
	}
	if res.Duplicate && len(res.Events) > 0 {
		// A retry: answer with what was recorded the first time.
		orig := &reportingv1.ReportSubmitted{}
		if err := res.Events[0].Envelope.GetPayload().UnmarshalTo(orig); err == nil {
			ev = orig
		}
	}
	return &Submitted{ID: ev.GetSubmissionId(), SubmittedOn: domain.DateOf(ev.GetSubmittedOn()), Report: ev.GetReport()}, nil
}

// GetSubmission returns a submission as frozen.
func (a *App) GetSubmission(ctx context.Context, id string) (*reportingv1.Submission, error) {
	e, found, err := a.Obligations.Submission(ctx, id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, apperr.NotFound(ReasonSubmissionUnknown, "submission %s is not recorded", id)
	}
	return &reportingv1.Submission{SubmissionId: e.GetSubmissionId(), PlanId: e.GetPlanId(), ObligationId: e.GetObligationId(),
		UnitCode: e.GetUnitCode(), DueOn: e.GetDueOn(), SubmittedOn: e.GetSubmittedOn(), Report: e.GetReport(),
		DocumentReference: e.GetDocumentReference()}, nil
}

// ListObligations lists every unit's due dates of the declared plans with their status on a day.
func (a *App) ListObligations(ctx context.Context, req *reportingv1.ListObligationsRequest) (*reportingv1.ListObligationsResponse, error) {
	asOf := a.today()
	if req.GetAsOf() != nil {
		asOf = domainDate(req.GetAsOf())
	}
	soon := int(req.GetDueSoonDays())
	if soon == 0 {
		soon = domain.DefaultDueSoonDays
	}
	from, to := calendar.Date{Year: asOf.Year - 1, Month: 1, Day: 1}, calendar.Date{Year: asOf.Year, Month: 12, Day: 31}
	if req.GetFrom() != nil {
		from = domainDate(req.GetFrom())
	}
	if req.GetTo() != nil {
		to = domainDate(req.GetTo())
	}
	plans, err := a.Obligations.Plans(ctx, req.GetPlanId())
	if err != nil {
		return nil, err
	}
	subs, err := a.Obligations.FirstSubmissions(ctx, req.GetPlanId())
	if err != nil {
		return nil, err
	}
	out := &reportingv1.ListObligationsResponse{AsOf: unitreg.DateProto(asOf)}
	err = a.Units.With(ctx, func(reg *unitreg.Registry) error {
		for _, p := range plans {
			for _, occ := range domain.Occurrences(reg, p, from, to) {
				if req.GetUnitCode() != "" && !domain.Under(reg, occ.Unit.Code, req.GetUnitCode(), occ.Due) {
					continue
				}
				sub := subs[postgres.SubmissionKey{PlanID: occ.PlanID, ObligationID: occ.ObligationID, Unit: occ.Unit.Code, Due: occ.Due}]
				it := &reportingv1.ObligationItem{PlanId: occ.PlanID, ObligationId: occ.ObligationID, Subject: occ.Subject,
					UnitCode: occ.Unit.Code, UnitName: occ.Unit.Name, RecipientCode: occ.Recipient, DueOn: unitreg.DateProto(occ.Due),
					Status: domain.Status(occ.Due, sub.SubmittedOn, asOf, soon), SubmittedOn: unitreg.DateProto(sub.SubmittedOn),
					SubmissionId: sub.ID, DaysLeft: int32(occ.Due.DaysSince(asOf))}
				out.Items = append(out.Items, it)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out.Items, func(x, y *reportingv1.ObligationItem) int {
		if c := domainDate(x.GetDueOn()).Compare(domainDate(y.GetDueOn())); c != 0 {
			return c
		}
		return strings.Compare(x.GetPlanId()+"\x00"+x.GetObligationId()+"\x00"+x.GetUnitCode(), y.GetPlanId()+"\x00"+y.GetObligationId()+"\x00"+y.GetUnitCode())
	})
	return out, nil
}

func itoa(i int) string { return strconv.Itoa(i) }
