package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/deadline"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
)

// Step is one step of a case's resolution.
type Step struct {
	// On is the day of the step.
	On calendar.Date
	// What is one of the RecordStepRequest step messages (*routingv1.RecordStepRequest_Extension, …).
	What proto.Message
}

// Assign gives a case to a handling unit or agency.
type Assign struct {
	On       calendar.Date
	Assignee string
	Handler  string
}

const fieldOn = "on"

// maxExtensions is the most extension decisions a denunciation can have: one for a complex case,
// two for an especially complex one (Luật TC Đ30).
const maxExtensions = 2

// Record decides the events of a resolution step. Steps follow the lifecycle of the case's kind:
//
//	complaint:    accept → verification → dialogue(s) → decision → sent → executed
//	denunciation: accept → verification → [extension ≤ 2, suspension/resumption] → conclusion → acted on, published
//
// plus, for any accepted case, termination; and, at any time until the case is decided, withdrawal.
func (c *Case) Record(s Step, today calendar.Date) ([]proto.Message, error) {
	id := c.ID()
	on := calendarpb.ToProto(s.On)
	switch w := s.What.(type) {
	case *routingv1.RecordStepRequest_Reply:
		// A reply to a forwarded petition is the forwarding unit's record (01/XLD col 22): it may
		// arrive after the receiving body closed the case.
		if !c.Forwarded {
			return nil, refuse(ReasonNotForwarded, id, "reply_received", "the petition was not forwarded")
		}
		if c.Replied {
			return nil, refuse(ReasonRepeated, id, "reply_received", "the reply was already recorded")
		}
		if err := c.checkDate(fieldOn, s.On, today); err != nil {
			return nil, err
		}
		return []proto.Message{&routingv1.ReplyReceived{CaseId: id, ReceivedOn: on}}, nil
	case *routingv1.RecordStepRequest_Withdrawal:
		if err := c.open(); err != nil {
			return nil, err
		}
		if c.Decided || c.Concluded {
			return nil, refuse(ReasonResolved, id, "withdrawal", "the case was already decided")
		}
		if c.Withdrawn {
			return nil, refuse(ReasonRepeated, id, "withdrawal", "the withdrawal was already recorded; the resolution goes on (Luật TC Đ33)")
		}
		if w.GetResolutionContinues() && !(c.isDenunciation() && c.Accepted) {
			return nil, apperr.Invalid("withdrawal.resolution_continues", "only an accepted denunciation goes on after withdrawal (Luật TC Đ33)")
		}
		if err := c.checkDate(fieldOn, s.On, today); err != nil {
			return nil, err
		}
		out := []proto.Message{&routingv1.PetitionWithdrawn{CaseId: id, WithdrawnOn: on, ResolutionContinues: w.GetResolutionContinues()}}
		if w.GetResolutionContinues() {
			return out, nil // the clocks run on: a violation is suspected (Luật TC Đ33)
		}
		stops, err := c.stopClocks(s.On)
		return append(out, stops...), err
	}

	if err := c.open(); err != nil {
		return nil, err
	}
	if !c.Accepted {
		return nil, refuse(ReasonNotAccepted, id, "", "the case has not been accepted for resolution (%s)", statusName(c.Status))
	}
	_, resuming := s.What.(*routingv1.RecordStepRequest_Resumption)
	_, terminating := s.What.(*routingv1.RecordStepRequest_Termination)
	if c.Status == routingv1.CaseStatus_CASE_STATUS_SUSPENDED && !resuming && !terminating {
		return nil, refuse(ReasonSuspended, id, "", "the resolution is suspended: resume it first (Luật TC Đ34)")
	}
	if err := c.checkDate(fieldOn, s.On, today); err != nil {
		return nil, err
	}
	resolved := c.Decided || c.Concluded

	switch w := s.What.(type) {
	case *routingv1.RecordStepRequest_VerificationStart:
		switch {
		case resolved:
			return nil, refuse(ReasonResolved, id, "verification_started", "the case was already decided")
		case c.Verified:
			return nil, refuse(ReasonRepeated, id, "verification_started", "verification has already started")
		}
		return []proto.Message{&routingv1.VerificationStarted{CaseId: id, StartedOn: on}}, nil

	case *routingv1.RecordStepRequest_Dialogue:
		switch {
		case !c.isComplaint():
			return nil, refuse(ReasonWrongKind, id, "dialogue_held", "a dialogue is held with a complainant (Luật KN Đ30); a %s has none", kindName(c.Kind))
		case resolved:
			return nil, refuse(ReasonResolved, id, "dialogue_held", "the complaint was already decided")
		case !c.Verified:
			return nil, refuse(ReasonOutOfOrder, id, "dialogue_held", "the dialogue follows verification (Luật KN Đ29, Đ30): start verification first")
		}
		return []proto.Message{&routingv1.DialogueHeld{CaseId: id, HeldOn: on}}, nil

	case *routingv1.RecordStepRequest_ComplaintDecision:
		switch {
		case !c.isComplaint():
			return nil, refuse(ReasonWrongKind, id, "complaint_decision", "a %s is concluded, not decided", kindName(c.Kind))
		case c.Decided:
			return nil, refuse(ReasonRepeated, id, "complaint_decision", "the decision was already issued")
		case !c.Verified:
			return nil, refuse(ReasonOutOfOrder, id, "complaint_decision", "the decision follows verification (Luật KN Đ29): start verification first")
		}
		if err := checkFinding(c.Instance, w.GetFinding()); err != nil {
			return nil, err
		}
		stops, onTime, err := c.stopResolution(s.On)
		if err != nil {
			return nil, err
		}
		// The decision is sent within 3 working days at first instance (Luật KN Đ32), 7 days at the
		// second, when it is also published (Luật KN Đ41).
		rule := ruleFirstSendDecision
		if c.Instance == 2 {
			rule = ruleSecondSendDecision
		}
		start, err := c.start(ClockSendDecision, rule, s.On)
		if err != nil {
			return nil, err
		}
		decided := &routingv1.ComplaintDecisionIssued{
			CaseId: id, DecidedOn: on, ComplaintInstance: c.Instance, Finding: w.GetFinding(),
			Remedies: w.GetRemedies(), OnTime: onTime, DecisionNumber: w.GetDecisionNumber(),
		}
		return append(append([]proto.Message{decided}, stops...), start), nil

	case *routingv1.RecordStepRequest_DecisionSending:
		switch {
		case !c.isComplaint():
			return nil, refuse(ReasonWrongKind, id, "decision_sent", "a %s has no decision to send; its conclusion is published", kindName(c.Kind))
		case !c.Decided:
			return nil, refuse(ReasonOutOfOrder, id, "decision_sent", "no decision has been issued yet")
		case c.Sent:
			return nil, refuse(ReasonRepeated, id, "decision_sent", "the decision was already sent")
		}
		stops, err := c.stopClocks(s.On, ClockSendDecision)
		return append([]proto.Message{&routingv1.DecisionSent{CaseId: id, SentOn: on}}, stops...), err

	case *routingv1.RecordStepRequest_Execution:
		switch {
		case !c.isComplaint():
			return nil, refuse(ReasonWrongKind, id, "decision_executed", "a %s's conclusion is acted on, not executed", kindName(c.Kind))
		case !c.Sent:
			return nil, refuse(ReasonOutOfOrder, id, "decision_executed", "the decision is carried out once it has been sent")
		case c.Executed:
			return nil, refuse(ReasonRepeated, id, "decision_executed", "the execution was already recorded")
		}
		return []proto.Message{&routingv1.DecisionExecuted{CaseId: id, ExecutedOn: on, Achieved: w.GetAchieved()}}, nil

	case *routingv1.RecordStepRequest_Extension:
		return c.extend(s.On, w.GetDays())

	case *routingv1.RecordStepRequest_Suspension:
		if resolved {
			return nil, refuse(ReasonResolved, id, "suspension", "the case was already decided")
		}
		l := c.clocks[ClockResolution]
		if !l.open() {
			return nil, refuse(ReasonNotSuspendable, id, "suspension", "no legal period of resolution runs for a %s", kindName(c.Kind))
		}
		// Suspended time does not count (Luật TC Đ34); the law on complaints has no suspension.
		if _, err := l.apply(deadline.Suspend(s.On)); err != nil {
			return nil, clockError(id, "suspension", err)
		}
		return []proto.Message{
			&routingv1.CaseSuspended{CaseId: id, SuspendedOn: on, Reason: w.GetReason()},
			&commonv1.LegalClockPaused{CaseId: id, Clock: ClockResolution, PausedOn: on, Reason: "suspension of the resolution (Luật TC Đ34)"},
		}, nil

	case *routingv1.RecordStepRequest_Resumption:
		if c.Status != routingv1.CaseStatus_CASE_STATUS_SUSPENDED {
			return nil, refuse(ReasonNotSuspended, id, "resumption", "the resolution is not suspended")
		}
		l, err := c.clocks[ClockResolution].apply(deadline.Resume(s.On))
		if err != nil {
			return nil, clockError(id, "resumption", err)
		}
		return []proto.Message{
			&routingv1.CaseResumed{CaseId: id, ResumedOn: on},
			&commonv1.LegalClockResumed{Clock: l.Proto(id), ResumedOn: on},
		}, nil

	case *routingv1.RecordStepRequest_Conclusion:
		switch {
		case !c.isDenunciation():
			return nil, refuse(ReasonWrongKind, id, "conclusion", "a %s is decided, not concluded", kindName(c.Kind))
		case c.Concluded:
			return nil, refuse(ReasonRepeated, id, "conclusion", "the conclusion was already issued")
		case !c.Verified:
			return nil, refuse(ReasonOutOfOrder, id, "conclusion", "the conclusion follows verification (Luật TC Đ31, Đ35): start verification first")
		}
		stops, onTime, err := c.stopResolution(s.On)
		if err != nil {
			return nil, err
		}
		// The competent body acts on it within 7 working days (Luật TC Đ36) and publishes it within
		// 7 working days (Luật TC Đ40).
		act, err := c.start(ClockActOnConclusion, ruleConclusionAct, s.On)
		if err != nil {
			return nil, err
		}
		pub, err := c.start(ClockPublish, ruleConclusionPublish, s.On)
		if err != nil {
			return nil, err
		}
		concluded := &routingv1.DenunciationConcluded{CaseId: id, ConcludedOn: on, Finding: w.GetFinding(), Remedies: w.GetRemedies(), OnTime: onTime, Repeat: c.RepeatOf != ""}
		return append(append([]proto.Message{concluded}, stops...), act, pub), nil

	case *routingv1.RecordStepRequest_ConclusionAction:
		if err := c.afterConclusion("conclusion_acted_on", c.ActedOn, "the action on the conclusion was already recorded"); err != nil {
			return nil, err
		}
		stops, err := c.stopClocks(s.On, ClockActOnConclusion)
		return append([]proto.Message{&routingv1.ConclusionActedOn{CaseId: id, ActedOn: on, Achieved: w.GetAchieved()}}, stops...), err

	case *routingv1.RecordStepRequest_Publication:
		if err := c.afterConclusion("conclusion_published", c.Published, "the conclusion was already published"); err != nil {
			return nil, err
		}
		stops, err := c.stopClocks(s.On, ClockPublish)
		return append([]proto.Message{&routingv1.ConclusionPublished{CaseId: id, PublishedOn: on}}, stops...), err

	case *routingv1.RecordStepRequest_Termination:
		if resolved {
			return nil, refuse(ReasonResolved, id, "termination", "the case was already decided")
		}
		stops, err := c.stopClocks(s.On)
		return append([]proto.Message{&routingv1.CaseTerminated{CaseId: id, TerminatedOn: on, Reason: w.GetReason()}}, stops...), err
	}
	return nil, apperr.Invalid("step", "a step is required")
}

// Assign decides giving the case to a unit or agency (and a handling officer). Reassigning to the
// same assignee and handler changes nothing.
func (c *Case) Assign(a Assign, today calendar.Date, units Units) ([]proto.Message, error) {
	id := c.ID()
	if err := c.open(); err != nil {
		return nil, err
	}
	if err := c.checkDate("assigned_on", a.On, today); err != nil {
		return nil, err
	}
	u, ok := units.Unit(a.Assignee, a.On)
	if !ok {
		return nil, refuse(ReasonUnitUnknown, id, "assignee_unit_code", "unit %s is not in the unit registry on %s", a.Assignee, a.On)
	}
	if u.Ended {
		return nil, refuse(ReasonUnitEnded, id, "assignee_unit_code", "unit %s had been merged into %s by %s", a.Assignee, u.SuccessorCode, a.On).
			WithMeta("successor_unit_code", u.SuccessorCode)
	}
	if c.Assignee == a.Assignee && c.Handler == a.Handler {
		return nil, nil
	}
	return []proto.Message{&routingv1.CaseAssigned{CaseId: id, AssigneeUnitCode: a.Assignee, HandlerSubject: a.Handler, AssignedOn: calendarpb.ToProto(a.On)}}, nil
}

// open refuses anything on a closed case.
func (c *Case) open() error {
	if c.Closed() {
		return refuse(ReasonCaseClosed, c.ID(), "", "the case is closed (%s)", statusName(c.Status))
	}
	return nil
}

func (c *Case) afterConclusion(field string, done bool, doneMsg string) error {
	switch {
	case !c.isDenunciation():
		return refuse(ReasonWrongKind, c.ID(), field, "a %s has no conclusion", kindName(c.Kind))
	case !c.Concluded:
		return refuse(ReasonOutOfOrder, c.ID(), field, "the denunciation has not been concluded yet")
	case done:
		return refuse(ReasonRepeated, c.ID(), field, "%s", doneMsg)
	}
	return nil
}

// extend decides an extension of a denunciation's resolution period: a written decision of at most
// 30 days, once for a complex case and twice for an especially complex one (Luật TC Đ30). The
// extension decision is the finding of complexity: the first makes the case complex, the second
// especially complex.
func (c *Case) extend(on calendar.Date, days int32) ([]proto.Message, error) {
	id := c.ID()
	switch {
	case !c.isDenunciation():
		return nil, refuse(ReasonWrongKind, id, "extension", "only the resolution period of a denunciation is extended (Luật TC Đ30); "+
			"a complex complaint has the longer period from acceptance (Luật KN Đ28, Đ37)")
	case c.Concluded:
		return nil, refuse(ReasonResolved, id, "extension", "the denunciation was already concluded")
	case c.Extensions >= maxExtensions:
		return nil, refuse(ReasonExtensionsExhausted, id, "extension", "the resolution period was already extended %d times: "+
			"at most once for a complex case and twice for an especially complex one (Luật TC Đ30)", c.Extensions)
	}
	n := c.Extensions + 1
	after := *c
	after.Extensions = n
	l, err := c.clocks[ClockResolution].withConditions(c.eng, after.conditionsFor(ClockResolution))
	if err == nil {
		l, err = l.apply(deadline.Extend(on, int(days), extensionRef(n)))
	}
	if err != nil {
		return nil, clockError(id, "extension", err)
	}
	return []proto.Message{
		&routingv1.ResolutionExtended{CaseId: id, ExtendedOn: calendarpb.ToProto(on), Days: days, ExtensionNumber: n},
		&commonv1.LegalClockExtended{Clock: l.Proto(id), Days: days, ExtensionNumber: n},
	}, nil
}

// stopResolution stops the resolution clock, saying whether the step was on time.
func (c *Case) stopResolution(on calendar.Date) ([]proto.Message, bool, error) {
	stops, err := c.stopClocks(on, ClockResolution)
	if err != nil {
		return nil, false, err
	}
	onTime := true
	for _, ev := range stops {
		onTime = ev.(*commonv1.LegalClockStopped).GetOnTime()
	}
	return stops, onTime, nil
}

func (c *Case) start(name, rule string, on calendar.Date) (proto.Message, error) {
	l, err := startClock(c.eng, name, rule, c.Unit, on, nil)
	if err != nil {
		return nil, apperr.Internal(ReasonCorrupt, "%s clock", name).WithCause(err)
	}
	return &commonv1.LegalClockStarted{Clock: l.Proto(c.ID())}, nil
}

// checkFinding matches a decision's finding to the instance: right, wrong or partly right at the
// first (Luật KN Đ31), upheld or cancelled/amended at the second (Luật KN Đ40).
func checkFinding(instance int32, f routingv1.ComplaintFinding) error {
	first := f == routingv1.ComplaintFinding_COMPLAINT_FINDING_RIGHT || f == routingv1.ComplaintFinding_COMPLAINT_FINDING_WRONG ||
		f == routingv1.ComplaintFinding_COMPLAINT_FINDING_PARTLY_RIGHT
	if (instance == 2) == first {
		want := "RIGHT, WRONG or PARTLY_RIGHT"
		if instance == 2 {
			want = "UPHELD or CANCELLED_OR_AMENDED"
		}
		return apperr.Invalid("complaint_decision.finding", "a decision at instance %d finds %s", instance, want)
	}
	return nil
}
