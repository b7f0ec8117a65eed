package domain

import (
	"errors"
	"slices"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/deadline"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
)

// Names of the legal clocks of a case (commonv1.LegalClock.clock).
const (
	// ClockProcessing: classify and act on a petition (TT 05/2021/TT-TTCP, *verify*), started by
	// intake at registration and again at the unit a petition is forwarded to.
	ClockProcessing = "processing"
	// ClockResolution: resolve an accepted complaint (Luật KN Đ28, Đ37) or denunciation (Luật TC Đ30).
	ClockResolution = "resolution"
	// ClockSendDecision: send a complaint decision (Luật KN Đ32, Đ41).
	ClockSendDecision = "send_decision"
	// ClockActOnConclusion: act on a denunciation conclusion (Luật TC Đ36).
	ClockActOnConclusion = "act_on_conclusion"
	// ClockPublish: publish a denunciation conclusion (Luật TC Đ40).
	ClockPublish = "publish"
)

// Rule ids of pkg/deadline/rules.yaml that routing starts clocks with.
const (
	rulePetitionProcess     = "petition.process"
	ruleDenunciationAccept  = "denunciation.accept"
	ruleComplaintFirst      = "complaint.first.resolve"
	ruleComplaintSecond     = "complaint.second.resolve"
	ruleFirstSendDecision   = "complaint.first.send_decision"
	ruleSecondSendDecision  = "complaint.second.send_decision"
	ruleDenunciationResolve = "denunciation.resolve"
	ruleConclusionAct       = "denunciation.conclusion.act"
	ruleConclusionPublish   = "denunciation.conclusion.publish"
)

// legalClock is one legal period of a case: a deadline.Clock (a value built from dated facts) with
// the unit that must meet it. The conditions it started with can grow — a denunciation becomes
// complex, then especially complex, by its extension decisions (Luật TC Đ30) — so the clock is
// rebuilt from its facts with the conditions the case has now.
type legalClock struct {
	name    string
	unit    string
	clock   deadline.Clock
	paused  bool
	stopped bool
}

func startClock(eng *deadline.Engine, name, rule, unit string, on calendar.Date, conds []deadline.Condition) (*legalClock, error) {
	c, err := eng.NewClock(rule, deadline.Start(on, conds...))
	if err != nil {
		return nil, err
	}
	return &legalClock{name: name, unit: unit, clock: c}, nil
}

func (l *legalClock) open() bool { return l != nil && !l.stopped }

func (l *legalClock) ruleID() string { return l.clock.Rule().ID }

func (l *legalClock) startedOn() calendar.Date { return l.clock.Facts()[0].On }

func (l *legalClock) lastOn() calendar.Date {
	fs := l.clock.Facts()
	return fs[len(fs)-1].On
}

// withConditions is the clock rebuilt with the case's present conditions.
func (l *legalClock) withConditions(eng *deadline.Engine, conds []deadline.Condition) (*legalClock, error) {
	facts := l.clock.Facts()
	if slices.Equal(facts[0].Conditions, conds) {
		return l, nil
	}
	facts[0].Conditions = conds
	c, err := eng.NewClock(l.ruleID(), facts...)
	if err != nil {
		return nil, err
	}
	n := *l
	n.clock = c
	return &n, nil
}

// apply is the clock after one more fact.
func (l *legalClock) apply(f deadline.Fact) (*legalClock, error) {
	c, err := l.clock.Apply(f)
	if err != nil {
		return nil, err
	}
	n := *l
	n.clock = c
	switch f.Kind {
	case deadline.Suspended:
		n.paused = true
	case deadline.Resumed:
		n.paused = false
	case deadline.Stopped:
		n.stopped = true
	}
	return &n, nil
}

// status is the clock as of its last fact.
func (l *legalClock) status() deadline.Status { return l.clock.At(l.lastOn()) }

// Proto is the clock as events and responses carry it: due date and derivation as of its last fact.
func (l *legalClock) Proto(caseID string) *commonv1.LegalClock {
	st := l.status()
	lines := make([]string, len(st.Derivation.Steps))
	for i, s := range st.Derivation.Steps {
		lines[i] = s.Text
	}
	return &commonv1.LegalClock{
		CaseId:     caseID,
		Clock:      l.name,
		RuleId:     l.ruleID(),
		Basis:      l.clock.Rule().Citation,
		StartedOn:  calendarpb.ToProto(l.startedOn()),
		DueOn:      calendarpb.ToProto(st.Due),
		Derivation: lines,
		UnitCode:   l.unit,
	}
}

// stopEvent is the LegalClockStopped of stopping the clock on a date, measured against its due date.
func (l *legalClock) stopEvent(caseID string, on calendar.Date) (*legalClock, *commonv1.LegalClockStopped, error) {
	n, err := l.apply(deadline.Stop(on))
	if err != nil {
		return nil, nil, err
	}
	st := n.clock.At(on)
	return n, &commonv1.LegalClockStopped{CaseId: caseID, Clock: l.name, StoppedOn: calendarpb.ToProto(on), OnTime: !st.Late, DueOn: calendarpb.ToProto(st.Due)}, nil
}

// clockError turns a refusal of pkg/deadline into the error a client sees. The domain checks the
// order of steps before asking the clock, so what reaches here is the law's own limit.
func clockError(caseID, field string, err error) error {
	switch {
	case errors.Is(err, deadline.ErrNotExtendable):
		return refuse(ReasonNotExtendable, caseID, field, "%s", trimDeadline(err))
	case errors.Is(err, deadline.ErrNotSuspended):
		return refuse(ReasonNotSuspendable, caseID, field, "%s", trimDeadline(err))
	case errors.Is(err, deadline.ErrInvalidFact):
		return refuse(ReasonOutOfOrder, caseID, field, "%s", trimDeadline(err))
	}
	return apperr.Internal(ReasonCorrupt, "legal clock of case %s", caseID).WithCause(err)
}

func trimDeadline(err error) string {
	s := err.Error()
	const p = "deadline: "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

// resolutionRule is the resolution period's rule for a kind and instance, or "" when the law sets
// none (recommendations and feedback).
func resolutionRule(kind commonv1.PetitionKind, instance int32) string {
	switch kind {
	case commonv1.PetitionKind_PETITION_KIND_COMPLAINT:
		if instance == 2 {
			return ruleComplaintSecond // Luật KN Đ37
		}
		return ruleComplaintFirst // Luật KN Đ28
	case commonv1.PetitionKind_PETITION_KIND_DENUNCIATION:
		return ruleDenunciationResolve // Luật TC Đ30
	}
	return ""
}
