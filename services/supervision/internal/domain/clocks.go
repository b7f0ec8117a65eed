package domain

import (
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/deadline"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
)

// Kinds of clock fact, as stored with a watched clock.
const (
	FactStarted   = "started"
	FactSuspended = "suspended"
	FactResumed   = "resumed"
	FactExtended  = "extended"
	FactStopped   = "stopped"
)

// ClockFact is one dated fact of a legal clock as the LegalClock* events record it.
type ClockFact struct {
	Kind string        `json:"k"`
	On   calendar.Date `json:"on"`
	Days int           `json:"d,omitempty"`
}

// WatchedClock is one legal clock of a case as supervision rebuilds it from the LegalClock* events
// that intake, routing and supervision itself append beside each step. Its due date as of any day is
// recomputed by pkg/deadline from the dated facts (start, suspensions, resumptions, extensions), so
// it is exact to the day across holidays and suspensions and agrees with the calendar in force;
// the due date the events recorded is kept as the fallback and for conditions the events do not
// carry (see StartClock).
type WatchedClock struct {
	CaseID string
	Clock  string
	RuleID string
	Basis  string
	// Unit answers for meeting the deadline.
	Unit      string
	StartedOn calendar.Date
	// RecordedDue is the due date the last event carried (zero while paused).
	RecordedDue calendar.Date
	// Conditions are those the period started with (complex, remote…), inferred at the start.
	Conditions []deadline.Condition
	Facts      []ClockFact
	// Derivation is the derivation the last event carried.
	Derivation []string
}

// StoppedOn is the day the clock stopped; zero while it is open.
func (w WatchedClock) StoppedOn() calendar.Date {
	if n := len(w.Facts); n > 0 && w.Facts[n-1].Kind == FactStopped {
		return w.Facts[n-1].On
	}
	return calendar.Date{}
}

// Open tells whether the clock still runs or is suspended.
func (w WatchedClock) Open() bool { return len(w.Facts) > 0 && w.StoppedOn().IsZero() }

// conditionCandidates are the condition sets a period may have started with, tried in order.
var conditionCandidates = [][]deadline.Condition{
	nil,
	{deadline.Complex},
	{deadline.Remote},
	{deadline.Complex, deadline.Remote},
	{deadline.SeveralSites},
	{deadline.Dismissal},
}

// StartClock is the clock a LegalClockStarted starts. The event carries the due date but not the
// conditions (complex, remote…) that chose the period, so they are inferred: the first condition
// set for which pkg/deadline gives the recorded due date. Should none agree (a calendar published
// after the event moved a day off), the ordinary period is assumed.
func StartClock(eng *deadline.Engine, k *commonv1.LegalClock) WatchedClock {
	started := calendarpb.FromProto(k.GetStartedOn())
	due := calendarpb.FromProto(k.GetDueOn())
	w := WatchedClock{
		CaseID: k.GetCaseId(), Clock: k.GetClock(), RuleID: k.GetRuleId(), Basis: k.GetBasis(), Unit: k.GetUnitCode(),
		StartedOn: started, RecordedDue: due, Derivation: k.GetDerivation(),
		Facts: []ClockFact{{Kind: FactStarted, On: started}},
	}
	rule, err := eng.Rule(w.RuleID)
	if err != nil || len(rule.Variants) == 0 || !started.IsValid() {
		return w
	}
	for _, conds := range conditionCandidates {
		res, err := eng.Due(deadline.Request{Rule: w.RuleID, Base: started, Conditions: conds})
		if err == nil && res.Due == due {
			w.Conditions = conds
			break
		}
	}
	return w
}

// FactOf is the fact one LegalClock event adds to its clock, with the clock it carries (for
// started, resumed and extended clocks). extensionOn is the day of an extension decision, which
// LegalClockExtended does not carry: the caller takes it from the step recorded beside it.
func FactOf(msg proto.Message, extensionOn calendar.Date) (caseID, clock string, f ClockFact, carried *commonv1.LegalClock, ok bool) {
	switch e := msg.(type) {
	case *commonv1.LegalClockStarted:
		k := e.GetClock()
		return k.GetCaseId(), k.GetClock(), ClockFact{Kind: FactStarted, On: calendarpb.FromProto(k.GetStartedOn())}, k, true
	case *commonv1.LegalClockPaused:
		return e.GetCaseId(), e.GetClock(), ClockFact{Kind: FactSuspended, On: calendarpb.FromProto(e.GetPausedOn())}, nil, true
	case *commonv1.LegalClockResumed:
		k := e.GetClock()
		return k.GetCaseId(), k.GetClock(), ClockFact{Kind: FactResumed, On: calendarpb.FromProto(e.GetResumedOn())}, k, true
	case *commonv1.LegalClockExtended:
		k := e.GetClock()
		return k.GetCaseId(), k.GetClock(), ClockFact{Kind: FactExtended, On: extensionOn, Days: int(e.GetDays())}, k, true
	case *commonv1.LegalClockStopped:
		return e.GetCaseId(), e.GetClock(), ClockFact{Kind: FactStopped, On: calendarpb.FromProto(e.GetStoppedOn())}, nil, true
	}
	return "", "", ClockFact{}, nil, false
}

// IsClockEvent tells whether msg is one of the LegalClock* events.
func IsClockEvent(msg proto.Message) bool {
	_, _, _, _, ok := FactOf(msg, calendar.Date{})
	return ok
}

// ExtensionDate is the day of the extension decision recorded in the same commit as a
// LegalClockExtended: routing's ResolutionExtended carries it as extended_on. fallback (the
// event's business time) serves when the step beside it is unknown.
func ExtensionDate(commit []proto.Message, fallback calendar.Date) calendar.Date {
	for _, m := range commit {
		if e, ok := m.(interface {
			GetExtendedOn() *commonv1.CivilDate
		}); ok && e.GetExtendedOn() != nil {
			return calendarpb.FromProto(e.GetExtendedOn())
		}
	}
	return fallback
}

// Apply folds one more fact into the clock. A second start replaces the clock: the processing
// clock starts again at the unit a petition is forwarded to.
func (w WatchedClock) Apply(eng *deadline.Engine, f ClockFact, carried *commonv1.LegalClock) WatchedClock {
	if f.Kind == FactStarted {
		return StartClock(eng, carried)
	}
	w.Facts = append(slices.Clone(w.Facts), f)
	switch f.Kind {
	case FactSuspended:
		w.RecordedDue = calendar.Date{}
	case FactResumed, FactExtended:
		w.RecordedDue, w.Derivation = calendarpb.FromProto(carried.GetDueOn()), carried.GetDerivation()
	}
	return w
}

// Clocks are the legal clocks of cases by case and clock name, as a write model folds them.
type Clocks map[[2]string]WatchedClock

// Apply folds one LegalClock event (other messages are ignored); extensionOn as for FactOf.
func (cs Clocks) Apply(eng *deadline.Engine, msg proto.Message, extensionOn calendar.Date) {
	caseID, clock, f, carried, ok := FactOf(msg, extensionOn)
	if !ok {
		return
	}
	key := [2]string{caseID, clock}
	w, seen := cs[key]
	if !seen && f.Kind != FactStarted {
		return // a clock started where supervision does not look
	}
	cs[key] = w.Apply(eng, f, carried)
}

// ClockStatus is a watched clock as of a day.
type ClockStatus struct {
	State deadline.State
	// Due is the due date; zero while suspended before the period ran out.
	Due calendar.Date
	// DaysOverdue counts calendar days past Due (up to the suspension or the stop).
	DaysOverdue int
	// DaysRemaining and WorkingDaysRemaining count from the day asked (excluded) to Due (included).
	DaysRemaining        int
	WorkingDaysRemaining int
	Derivation           []string
	ExtensionsUsed       int
}

// Overdue tells whether the clock is open and past its due date.
func (s ClockStatus) Overdue() bool {
	return (s.State == deadline.Running || s.State == deadline.Paused) && s.DaysOverdue > 0
}

// conditions are the start conditions plus what extensions imply: a denunciation extended once is
// complex, twice especially complex (Luật TC Đ30).
func (w WatchedClock) conditions(eng *deadline.Engine) []deadline.Condition {
	conds := slices.Clone(w.Conditions)
	r, err := eng.Rule(w.RuleID)
	if err != nil || r.Extensions == nil {
		return conds
	}
	n := 0
	for _, f := range w.Facts {
		if f.Kind == FactExtended {
			n++
		}
	}
	if n >= 1 && !slices.Contains(conds, deadline.Complex) {
		conds = append(conds, deadline.Complex)
	}
	if n >= 2 && !slices.Contains(conds, deadline.EspeciallyComplex) {
		conds = append(conds, deadline.EspeciallyComplex)
	}
	return conds
}

// At is the clock as of a day, from the facts dated up to then, computed by pkg/deadline. If the
// engine refuses the facts (a rule it does not know, facts out of order), the due date the events
// recorded is used and the derivation says so.
func (w WatchedClock) At(eng *deadline.Engine, asOf calendar.Date) ClockStatus {
	conds := w.conditions(eng)
	facts := make([]deadline.Fact, 0, len(w.Facts))
	for _, f := range w.Facts {
		switch f.Kind {
		case FactStarted:
			facts = append(facts, deadline.Start(f.On, conds...))
		case FactSuspended:
			facts = append(facts, deadline.Suspend(f.On))
		case FactResumed:
			facts = append(facts, deadline.Resume(f.On))
		case FactExtended:
			facts = append(facts, deadline.Extend(f.On, f.Days, ""))
		case FactStopped:
			facts = append(facts, deadline.Stop(f.On))
		}
	}
	c, err := eng.NewClock(w.RuleID, facts...)
	if err != nil {
		return w.recorded(eng, asOf, err)
	}
	st := c.At(asOf)
	return ClockStatus{
		State: st.State, Due: st.Due, DaysOverdue: st.DaysOverdue, DaysRemaining: st.DaysRemaining,
		WorkingDaysRemaining: st.WorkingDaysRemaining, Derivation: derivationLines(st.Derivation), ExtensionsUsed: st.ExtensionsUsed,
	}
}

// recorded is the status from the recorded due date, for facts the engine refused.
func (w WatchedClock) recorded(eng *deadline.Engine, asOf calendar.Date, cause error) ClockStatus {
	st := ClockStatus{State: deadline.NotStarted, Due: w.RecordedDue}
	for _, f := range w.Facts {
		if f.On.After(asOf) {
			break
		}
		switch f.Kind {
		case FactStarted, FactResumed:
			st.State = deadline.Running
		case FactSuspended:
			st.State = deadline.Paused
		case FactStopped:
			st.State = deadline.StoppedState
		case FactExtended:
			st.ExtensionsUsed++
		}
	}
	st.Derivation = append(slices.Clone(w.Derivation), "as recorded: the facts could not be recomputed ("+cause.Error()+")")
	if st.State == deadline.Running && !st.Due.IsZero() {
		if asOf.After(st.Due) {
			st.DaysOverdue = asOf.DaysSince(st.Due)
		} else {
			st.DaysRemaining = st.Due.DaysSince(asOf)
			st.WorkingDaysRemaining = eng.Calendar().WorkingDaysBetween(asOf, st.Due)
		}
	}
	return st
}
