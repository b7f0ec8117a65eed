package domain

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/deadline"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
)

// AggregateCase is the aggregate type of cases: `case/<petition id>`.
const AggregateCase = "case"

// Case is the write model of one case: the petition's facts and everything routing recorded about
// it, rebuilt by reducing the case aggregate's events in order (Apply). Decisions (Process, Assign,
// Record) read it and return the events a command produces; they never change it.
type Case struct {
	eng *deadline.Engine

	Petition Petition
	// Version is the case aggregate's version: the number of its events.
	Version uint64
	Status  routingv1.CaseStatus
	// Unit is the unit handling the case now: the receiving unit, the processing unit after a
	// merger, the unit it was forwarded to, the resolving unit after acceptance.
	Unit  string
	Kind  commonv1.PetitionKind
	Field commonv1.Field
	// Instance of a complaint: 1 or 2.
	Instance          int32
	Complex           bool
	EspeciallyComplex bool
	RemoteArea        bool
	RepeatOf          string
	Guided            bool
	Forwarded         bool
	Extensions        int32
	Assignee          string
	Handler           string
	Accepted          bool
	Verified          bool
	Dialogues         int
	Decided           bool
	Sent              bool
	Executed          bool
	Concluded         bool
	ActedOn           bool
	Published         bool
	Withdrawn         bool
	Replied           bool
	// LastOn is the date of the latest step (the receipt before any): no step may be dated before it.
	LastOn calendar.Date

	clocks map[string]*legalClock
	order  []string
}

// NewCase is the case of a registered petition before routing recorded anything: awaiting
// processing at the receiving unit, with the processing clock intake started (or, if intake did not
// record one, the one the law starts at receipt: TT 05/2021/TT-TTCP, *verify*).
func NewCase(eng *deadline.Engine, p Petition) (*Case, error) {
	c := &Case{
		eng: eng, Petition: p, Status: routingv1.CaseStatus_CASE_STATUS_AWAITING_PROCESSING,
		Unit: p.Unit, Kind: p.Kind, Field: p.Field, Instance: instanceOf(p.Kind, p.ComplaintInstance),
		LastOn: p.ReceivedOn, clocks: map[string]*legalClock{},
	}
	rule, on, unit := rulePetitionProcess, p.ReceivedOn, p.Unit
	if pc := p.ProcessingClock; pc != nil {
		rule, on = pc.GetRuleId(), calendarpb.FromProto(pc.GetStartedOn())
		if pc.GetUnitCode() != "" {
			unit = pc.GetUnitCode()
		}
	}
	if on.IsValid() {
		l, err := startClock(eng, ClockProcessing, rule, unit, on, nil)
		if err != nil {
			return nil, apperr.Internal(ReasonCorrupt, "processing clock of petition %s", p.ID).WithCause(err)
		}
		c.setClock(l)
	}
	return c, nil
}

// instanceOf is a complaint's instance, the first when the petition does not say (Luật KN Đ7).
func instanceOf(kind commonv1.PetitionKind, asked int32) int32 {
	if kind != commonv1.PetitionKind_PETITION_KIND_COMPLAINT {
		return 0
	}
	if asked == 2 {
		return 2
	}
	return 1
}

// ID is the case id, the petition id.
func (c *Case) ID() string { return c.Petition.ID }

// Engine is the deadline engine the case counts with.
func (c *Case) Engine() *deadline.Engine { return c.eng }

func (c *Case) setClock(l *legalClock) {
	if _, ok := c.clocks[l.name]; !ok {
		c.order = append(c.order, l.name)
	}
	c.clocks[l.name] = l
}

// OpenClocks are the legal clocks now running or paused, in the order they first started.
func (c *Case) OpenClocks() []*commonv1.LegalClock {
	var out []*commonv1.LegalClock
	for _, name := range c.order {
		if l := c.clocks[name]; l.open() {
			out = append(out, l.Proto(c.ID()))
		}
	}
	return out
}

// ClockStatus is a clock's status as of its last fact; false when the case never started it.
func (c *Case) ClockStatus(name string) (deadline.Status, bool) {
	l, ok := c.clocks[name]
	if !ok {
		return deadline.Status{}, false
	}
	return l.status(), true
}

// Closed tells whether nothing more happens to the case: guided, returned, filed away, withdrawn
// or terminated.
func (c *Case) Closed() bool { return closedStatus(c.Status) }

func closedStatus(s routingv1.CaseStatus) bool {
	switch s {
	case routingv1.CaseStatus_CASE_STATUS_GUIDED, routingv1.CaseStatus_CASE_STATUS_RETURNED,
		routingv1.CaseStatus_CASE_STATUS_FILED, routingv1.CaseStatus_CASE_STATUS_WITHDRAWN,
		routingv1.CaseStatus_CASE_STATUS_TERMINATED:
		return true
	}
	return false
}

func (c *Case) isComplaint() bool { return c.Kind == commonv1.PetitionKind_PETITION_KIND_COMPLAINT }
func (c *Case) isDenunciation() bool {
	return c.Kind == commonv1.PetitionKind_PETITION_KIND_DENUNCIATION
}

// conditionsFor are the conditions a clock counts with, from what the case has become.
func (c *Case) conditionsFor(name string) []deadline.Condition {
	if name != ClockResolution {
		return nil
	}
	var conds []deadline.Condition
	// A denunciation whose period was extended was found complex by the first extension decision
	// and especially complex by the second (Luật TC Đ30): the decisions are the finding.
	if c.Complex || c.Extensions >= 1 {
		conds = append(conds, deadline.Complex)
	}
	if c.EspeciallyComplex || c.Extensions >= 2 {
		conds = append(conds, deadline.EspeciallyComplex)
	}
	if c.RemoteArea {
		conds = append(conds, deadline.Remote) // Luật KN Đ28, Đ37
	}
	return conds
}

// StatusAfter is the status an event puts a case in; false for events that leave it as it is.
// The write model and the read models share it, so they cannot disagree.
func StatusAfter(ev proto.Message) (routingv1.CaseStatus, bool) {
	switch e := ev.(type) {
	case *routingv1.CaseAccepted, *routingv1.CaseResumed:
		return routingv1.CaseStatus_CASE_STATUS_IN_RESOLUTION, true
	case *routingv1.PetitionGuided:
		return routingv1.CaseStatus_CASE_STATUS_GUIDED, true
	case *routingv1.PetitionForwarded:
		return routingv1.CaseStatus_CASE_STATUS_FORWARDED, true
	case *routingv1.PetitionReturned:
		return routingv1.CaseStatus_CASE_STATUS_RETURNED, true
	case *routingv1.PetitionFiledAway:
		return routingv1.CaseStatus_CASE_STATUS_FILED, true
	case *routingv1.CaseSuspended:
		return routingv1.CaseStatus_CASE_STATUS_SUSPENDED, true
	case *routingv1.ComplaintDecisionIssued, *routingv1.DenunciationConcluded:
		return routingv1.CaseStatus_CASE_STATUS_RESOLVED, true
	case *routingv1.PetitionWithdrawn:
		if e.GetResolutionContinues() {
			return 0, false // Luật TC Đ33: the denunciation goes on
		}
		return routingv1.CaseStatus_CASE_STATUS_WITHDRAWN, true
	case *routingv1.CaseTerminated:
		return routingv1.CaseStatus_CASE_STATUS_TERMINATED, true
	}
	return 0, false
}

// Apply reduces one event of the case aggregate into the write model. Events are applied in log
// order; within a commit the step's own event comes before the clock events it causes, so a clock
// event finds the step's date and conditions already applied.
func (c *Case) Apply(ev proto.Message) error {
	c.Version++
	if s, ok := StatusAfter(ev); ok {
		c.Status = s
	}
	if on, _ := Describe(ev); on.IsValid() && on.After(c.LastOn) {
		c.LastOn = on
	}
	switch e := ev.(type) {
	case *routingv1.PetitionClassified:
		c.Unit, c.Kind, c.Field = e.GetUnitCode(), e.GetKind(), e.GetField()
		c.Instance = instanceOf(c.Kind, e.GetComplaintInstance())
	case *routingv1.CaseAccepted:
		c.Accepted, c.Unit, c.Kind = true, e.GetUnitCode(), e.GetKind()
		c.Instance = instanceOf(c.Kind, e.GetComplaintInstance())
		c.Complex, c.RemoteArea, c.RepeatOf = e.GetComplex(), e.GetRemoteArea(), e.GetRepeatOf()
	case *routingv1.PetitionGuided:
		c.Guided = true
	case *routingv1.PetitionForwarded:
		c.Forwarded, c.Unit = true, e.GetToUnitCode()
	case *routingv1.ReplyReceived:
		c.Replied = true
	case *routingv1.CaseAssigned:
		c.Assignee, c.Handler = e.GetAssigneeUnitCode(), e.GetHandlerSubject()
	case *routingv1.VerificationStarted:
		c.Verified = true
	case *routingv1.DialogueHeld:
		c.Dialogues++
	case *routingv1.ComplaintDecisionIssued:
		c.Decided = true
	case *routingv1.DecisionSent:
		c.Sent = true
	case *routingv1.DecisionExecuted:
		c.Executed = true
	case *routingv1.ResolutionExtended:
		c.Extensions = e.GetExtensionNumber()
		if c.Extensions >= 2 {
			c.EspeciallyComplex = true
		}
	case *routingv1.DenunciationConcluded:
		c.Concluded = true
	case *routingv1.ConclusionActedOn:
		c.ActedOn = true
	case *routingv1.ConclusionPublished:
		c.Published = true
	case *routingv1.PetitionWithdrawn:
		c.Withdrawn = true
	case *commonv1.LegalClockStarted:
		k := e.GetClock()
		l, err := startClock(c.eng, k.GetClock(), k.GetRuleId(), k.GetUnitCode(), calendarpb.FromProto(k.GetStartedOn()), c.conditionsFor(k.GetClock()))
		if err != nil {
			return c.corrupt(err)
		}
		c.setClock(l)
	case *commonv1.LegalClockExtended:
		return c.applyClock(e.GetClock().GetClock(), deadline.Extend(c.LastOn, int(e.GetDays()), extensionRef(e.GetExtensionNumber())))
	case *commonv1.LegalClockPaused:
		return c.applyClock(e.GetClock(), deadline.Suspend(calendarpb.FromProto(e.GetPausedOn())))
	case *commonv1.LegalClockResumed:
		return c.applyClock(e.GetClock().GetClock(), deadline.Resume(calendarpb.FromProto(e.GetResumedOn())))
	case *commonv1.LegalClockStopped:
		return c.applyClock(e.GetClock(), deadline.Stop(calendarpb.FromProto(e.GetStoppedOn())))
	}
	return nil
}

func (c *Case) applyClock(name string, f deadline.Fact) error {
	l, ok := c.clocks[name]
	if !ok {
		return c.corrupt(fmt.Errorf("%s of clock %q, which never started", f.Kind, name))
	}
	l, err := l.withConditions(c.eng, c.conditionsFor(name))
	if err == nil {
		l, err = l.apply(f)
	}
	if err != nil {
		return c.corrupt(err)
	}
	c.setClock(l)
	return nil
}

func (c *Case) corrupt(err error) error {
	return apperr.Internal(ReasonCorrupt, "case %s cannot be replayed at version %d", c.ID(), c.Version).WithCause(err)
}

// extensionRef names an extension decision in a derivation.
func extensionRef(n int32) string { return fmt.Sprintf("extension decision %d", n) }
