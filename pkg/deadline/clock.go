package deadline

import (
	"fmt"

	"github.com/civicase/civicase/pkg/calendar"
)

// FactKind is what happened to a legal clock.
type FactKind int

// Kinds of fact, in the words of the workflow: a clock starts at the base event (receipt,
// acceptance…), may be suspended and resumed (tạm đình chỉ, Luật TC Đ34), extended by decision
// (gia hạn, Luật TC Đ30), and stops when the step is done or the case ends.
const (
	Started FactKind = iota + 1
	Suspended
	Resumed
	Extended
	Stopped
)

var factNames = map[FactKind]string{Started: "started", Suspended: "suspended", Resumed: "resumed", Extended: "extended", Stopped: "stopped"}

// String names the kind.
func (k FactKind) String() string {
	if s, ok := factNames[k]; ok {
		return s
	}
	return fmt.Sprintf("FactKind(%d)", int(k))
}

// Fact is one dated fact about a clock, as recorded by the events of a case.
type Fact struct {
	Kind       FactKind
	On         calendar.Date
	Days       int         // Extended: days added
	Decision   string      // Extended: reference of the decision
	Conditions []Condition // Started: complex, remote…
}

// Start is the fact that starts a clock on the day of the base event.
func Start(on calendar.Date, conds ...Condition) Fact {
	return Fact{Kind: Started, On: on, Conditions: conds}
}

// Suspend is the fact that pauses a clock.
func Suspend(on calendar.Date) Fact { return Fact{Kind: Suspended, On: on} }

// Resume is the fact that restarts a paused clock.
func Resume(on calendar.Date) Fact { return Fact{Kind: Resumed, On: on} }

// Extend is the fact that extends a clock by days, by the written decision named.
func Extend(on calendar.Date, days int, decision string) Fact {
	return Fact{Kind: Extended, On: on, Days: days, Decision: decision}
}

// Stop is the fact that the step was done (or the case ended): the clock no longer runs.
func Stop(on calendar.Date) Fact { return Fact{Kind: Stopped, On: on} }

// State is where a clock stands.
type State int

// States of a clock.
const (
	NotStarted State = iota
	Running
	Paused
	StoppedState
)

var stateNames = map[State]string{NotStarted: "not started", Running: "running", Paused: "paused", StoppedState: "stopped"}

// String names the state.
func (s State) String() string { return stateNames[s] }

// Clock is a legal clock for one rule on one case, built from its facts. It is a value: Apply
// returns a new clock and the old one stays valid, which suits a write model that reduces events.
type Clock struct {
	e     *Engine
	rule  Rule
	facts []Fact
}

// NewClock builds a clock from its facts, in the order they happened.
func (e *Engine) NewClock(ruleID string, facts ...Fact) (Clock, error) {
	r, err := e.Rule(ruleID)
	if err != nil {
		return Clock{}, err
	}
	c := Clock{e: e, rule: r}
	for _, f := range facts {
		if c, err = c.Apply(f); err != nil {
			return Clock{}, err
		}
	}
	return c, nil
}

// Rule is the rule the clock runs for.
func (c Clock) Rule() Rule { return c.rule }

// Facts are the facts applied so far.
func (c Clock) Facts() []Fact { return append([]Fact(nil), c.facts...) }

// Apply adds a fact, refusing one that the law or the clock's state does not allow: facts out of
// date order, anything after a stop, a suspension of a rule whose clock does not pause, a resume
// without a suspension, an extension beyond the number or length allowed or after the period ran out.
func (c Clock) Apply(f Fact) (Clock, error) {
	bad := func(err error, format string, args ...any) (Clock, error) {
		return c, fmt.Errorf("%w: %s %s on %v: %s", err, c.rule.ID, f.Kind, f.On, fmt.Sprintf(format, args...))
	}
	if !f.On.IsValid() {
		return bad(ErrInvalidFact, "no valid date")
	}
	st := c.state()
	if len(c.facts) > 0 && f.On.Before(c.facts[len(c.facts)-1].On) {
		return bad(ErrInvalidFact, "before the previous fact of %v", c.facts[len(c.facts)-1].On)
	}
	switch f.Kind {
	case Started:
		if st != NotStarted {
			return bad(ErrInvalidFact, "the clock has already started")
		}
		if err := checkConditions(f.Conditions); err != nil {
			return c, err
		}
	case Suspended:
		if st != Running {
			return bad(ErrInvalidFact, "the clock is %s", st)
		}
		if c.rule.Suspension == nil {
			return bad(ErrNotSuspended, "the rule's clock does not pause")
		}
	case Resumed:
		if st != Paused {
			return bad(ErrInvalidFact, "the clock is %s, not paused", st)
		}
	case Extended:
		if st != Running {
			return bad(ErrInvalidFact, "the clock is %s", st)
		}
	case Stopped:
		if st == NotStarted || st == StoppedState {
			return bad(ErrInvalidFact, "the clock is %s", st)
		}
	default:
		return bad(ErrInvalidFact, "unknown kind")
	}
	next := Clock{e: c.e, rule: c.rule, facts: append(append([]Fact(nil), c.facts...), f)}
	if f.Kind == Extended {
		// Let the engine check count, length and timeliness against the whole history.
		if _, err := c.e.Due(next.request(f.On)); err != nil {
			return c, err
		}
	}
	return next, nil
}

// state is the state after all facts.
func (c Clock) state() State {
	s := NotStarted
	for _, f := range c.facts {
		switch f.Kind {
		case Started, Resumed:
			s = Running
		case Suspended:
			s = Paused
		case Stopped:
			s = StoppedState
		}
	}
	return s
}

// request turns the facts known on asOf into an engine request.
func (c Clock) request(asOf calendar.Date) Request {
	req := Request{Rule: c.rule.ID}
	for _, f := range c.facts {
		if f.On.After(asOf) {
			break
		}
		switch f.Kind {
		case Started:
			req.Base, req.Conditions = f.On, f.Conditions
		case Suspended:
			req.Pauses = append(req.Pauses, Pause{Suspended: f.On})
		case Resumed:
			req.Pauses[len(req.Pauses)-1].Resumed = f.On
		case Extended:
			req.Extensions = append(req.Extensions, Extension{On: f.On, Days: f.Days, Decision: f.Decision})
		}
	}
	return req
}

// Status is a clock as of a date.
type Status struct {
	AsOf  calendar.Date
	State State
	// Due is the due date; zero before the start and while paused before the period ran out.
	Due        calendar.Date
	Derivation Derivation
	// DaysOverdue counts calendar days past Due: up to AsOf while running, up to the suspension
	// while paused, up to the stop when stopped (a stop after Due is Late).
	DaysOverdue int
	Late        bool
	StoppedOn   calendar.Date
	// DaysRemaining and WorkingDaysRemaining count from AsOf (excluded) to Due (included) while the
	// clock runs and is not overdue.
	DaysRemaining        int
	WorkingDaysRemaining int
	// Remaining is, while paused, the days of the rule's day type still to run after resumption.
	Remaining int
	// ExtensionsUsed and ExtensionsLeft count extension decisions.
	ExtensionsUsed, ExtensionsLeft int
}

// At is the clock as of asOf, from the facts dated up to then: a supervision report "as of" a past
// day sees the clock as it was.
func (c Clock) At(asOf calendar.Date) Status {
	st := Status{AsOf: asOf}
	known := Clock{e: c.e, rule: c.rule}
	for _, f := range c.facts {
		if f.On.After(asOf) {
			break
		}
		known.facts = append(known.facts, f)
	}
	st.State = known.state()
	if st.State == NotStarted {
		return st
	}
	req := known.request(asOf)
	res, err := c.e.Due(req)
	if err != nil {
		// Apply accepted every fact, so the request is valid; a failure here is a bug.
		panic(fmt.Sprintf("deadline: clock %s: %v", c.rule.ID, err))
	}
	st.Due, st.Derivation = res.Due, res.Derivation
	st.ExtensionsUsed = len(req.Extensions)
	st.ExtensionsLeft = c.rule.MaxExtensions(req.Conditions...) - st.ExtensionsUsed
	switch st.State {
	case Running:
		if asOf.After(res.Due) {
			st.DaysOverdue = asOf.DaysSince(res.Due)
		} else {
			st.DaysRemaining = res.Due.DaysSince(asOf)
			st.WorkingDaysRemaining = c.e.cal.WorkingDaysBetween(asOf, res.Due)
		}
	case Paused:
		st.Remaining = res.Remaining
		if !res.Due.IsZero() { // suspended after the period had run out
			if since := req.Pauses[len(req.Pauses)-1].Suspended; since.After(res.Due) {
				st.DaysOverdue = since.DaysSince(res.Due)
			}
		}
	case StoppedState:
		stop := known.facts[len(known.facts)-1].On
		st.StoppedOn = stop
		if !res.Due.IsZero() && stop.After(res.Due) {
			st.Late, st.DaysOverdue = true, stop.DaysSince(res.Due)
		}
	}
	return st
}
