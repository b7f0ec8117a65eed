// Package deadline computes the due dates of legal periods (DOMAIN.md, "Legal deadlines") over the
// civil-servant business calendar, with a human-readable derivation citing the articles, and keeps
// legal clocks (started, suspended, resumed, extended, stopped) for routing and supervision.
//
// Counting follows the Civil Code 2015: the day of the triggering event is not counted (Đ147); a
// period in calendar days that ends on a day off ends on the next working day (Đ148.5, a per-rule
// flag because it is marked *verify*); a period in working days counts only working days, make-up
// Saturdays included. Everything is a pure function of dates: nothing here reads the clock.
package deadline

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/civicase/civicase/pkg/calendar"
)

// Citations of the counting rules themselves.
const (
	citeFirstDay = "Civil Code 2015 Đ147"
	citeRollOver = "Civil Code 2015 Đ148"
)

// Engine computes due dates from a rule table over a business calendar.
type Engine struct {
	cal   *calendar.Calendar
	rules map[string]Rule
	table RuleTable
}

// New builds an engine; the rule table is usually EmbeddedRules().
func New(cal *calendar.Calendar, table RuleTable) (*Engine, error) {
	e := &Engine{cal: cal, rules: map[string]Rule{}, table: table}
	for _, r := range table.Rules {
		if err := r.prepare(); err != nil {
			return nil, err
		}
		if _, dup := e.rules[r.ID]; dup {
			return nil, fmt.Errorf("%w: %s listed twice", ErrInvalidRule, r.ID)
		}
		e.rules[r.ID] = r
	}
	return e, nil
}

var (
	defaultOnce   sync.Once
	defaultEngine *Engine
)

// Default is the engine of the embedded rule table over calendar.Default().
func Default() *Engine {
	defaultOnce.Do(func() {
		t, err := EmbeddedRules()
		if err == nil {
			defaultEngine, err = New(calendar.Default(), t)
		}
		if err != nil {
			panic(err) // the embedded table is checked by the package tests
		}
	})
	return defaultEngine
}

// Calendar is the business calendar the engine counts on.
func (e *Engine) Calendar() *calendar.Calendar { return e.cal }

// Rule looks a rule up by ID.
func (e *Engine) Rule(id string) (Rule, error) {
	r, ok := e.rules[id]
	if !ok {
		return Rule{}, fmt.Errorf("%w: %q", ErrUnknownRule, id)
	}
	return r, nil
}

// Rules lists the rules in table order.
func (e *Engine) Rules() []Rule {
	out := make([]Rule, 0, len(e.table.Rules))
	for _, r := range e.table.Rules {
		out = append(out, e.rules[r.ID])
	}
	return out
}

// Recurring lists the recurring duties (leaders' reception days).
func (e *Engine) Recurring() []RecurringDuty {
	return append([]RecurringDuty(nil), e.table.Recurring...)
}

// Extension is a written decision extending a period by Days.
type Extension struct {
	On       calendar.Date
	Days     int
	Decision string // reference of the extension decision, for the derivation
}

// Pause is a suspension: the days after Suspended up to and including Resumed do not count, so a
// pause lasts Resumed − Suspended days. A zero Resumed means the case is still suspended.
type Pause struct {
	Suspended, Resumed calendar.Date
}

// Request asks for the due date of one rule for one case.
type Request struct {
	Rule       string
	Base       calendar.Date // the day of the triggering event
	Conditions []Condition
	Extensions []Extension
	Pauses     []Pause
}

// Step is one line of a derivation.
type Step struct {
	Text     string
	Date     calendar.Date // the due date after this step (zero while paused)
	Citation string
}

// Derivation explains a due date line by line.
type Derivation struct {
	Steps []Step
}

// String is the derivation as lines of text.
func (d Derivation) String() string {
	lines := make([]string, len(d.Steps))
	for i, s := range d.Steps {
		lines[i] = s.Text
	}
	return strings.Join(lines, "\n")
}

func (d *Derivation) add(date calendar.Date, cite, format string, args ...any) {
	d.Steps = append(d.Steps, Step{Text: fmt.Sprintf(format, args...), Date: date, Citation: cite})
}

// Result is a computed due date.
type Result struct {
	Rule    Rule
	Period  int    // the period applied, before extensions
	Variant string // the variant applied ("" for the ordinary period)
	// Extended is the number of days added by extensions.
	Extended int
	// Due is the last day of the period, rolled to a working day where the rule says so. It is zero
	// while the case is suspended before the period ran out.
	Due calendar.Date
	// Paused is true while suspended; Remaining is then the days (of the rule's day type) still to run.
	Paused    bool
	Remaining int
	// PausedDays is the number of calendar days of closed suspensions that did not count.
	PausedDays int
	Derivation Derivation
}

// walkLimit bounds the day-by-day count; no legal period comes near it.
const walkLimit = 20000

// count walks the days after base, skipping paused days and (for working-day rules) days off, until
// total days have counted. It stops early at an open pause, returning how many days had counted.
func (e *Engine) count(r Rule, base calendar.Date, total int, pauses []Pause) (due calendar.Date, counted int, paused bool) {
	d := base
	for i := 0; i < walkLimit; i++ {
		d = d.AddDays(1)
		skip := false
		for _, p := range pauses {
			if d.After(p.Suspended) && (p.Resumed.IsZero() || !d.After(p.Resumed)) {
				if p.Resumed.IsZero() {
					return calendar.Date{}, counted, true
				}
				skip = true
				break
			}
		}
		if skip || (r.DayType == WorkingDays && !e.cal.IsWorkingDay(d)) {
			continue
		}
		counted++
		if counted == total {
			return d, counted, false
		}
	}
	panic(fmt.Sprintf("deadline: %s from %v did not end within %d days", r.ID, base, walkLimit))
}

// roll is where a period ending on d actually ends.
func (e *Engine) roll(r Rule, d calendar.Date) calendar.Date {
	if r.DayType == CalendarDays && r.RollToWorkingDay {
		return e.cal.WorkingDayOnOrAfter(d)
	}
	return d
}

type event struct {
	on    calendar.Date
	ext   *Extension
	pause *Pause
}

// Due computes the due date of a request with its derivation.
func (e *Engine) Due(req Request) (Result, error) {
	r, err := e.Rule(req.Rule)
	if err != nil {
		return Result{}, err
	}
	if !req.Base.IsValid() {
		return Result{}, fmt.Errorf("%w: %s: base date %v", ErrInvalidFact, r.ID, req.Base)
	}
	if err := checkConditions(req.Conditions); err != nil {
		return Result{}, err
	}
	period, vname := r.Period(req.Conditions...)
	res := Result{Rule: r, Period: period, Variant: vname}

	events, err := e.events(r, req)
	if err != nil {
		return Result{}, err
	}

	variant := ""
	if vname != "" {
		variant = " (" + vname + ")"
	}
	total := period
	var pauses []Pause
	due, _, _ := e.count(r, req.Base, total, nil)
	res.Derivation.add(due, r.Citation+"; "+citeFirstDay, "%d %s%s from %s %s (%s) → %s",
		period, r.DayType.unit(), variant, r.BaseEvent, req.Base, r.Citation, due)

	maxExt := r.MaxExtensions(req.Conditions...)
	nExt := 0
	paused := false
	counted := 0
	for _, ev := range events {
		switch {
		case ev.ext != nil:
			x := ev.ext
			if paused {
				return Result{}, fmt.Errorf("%w: %s: extension on %v while suspended", ErrInvalidFact, r.ID, x.On)
			}
			if end := e.roll(r, due); x.On.After(end) {
				return Result{}, fmt.Errorf("%w: %s: extension on %v after the period ended on %v", ErrNotExtendable, r.ID, x.On, end)
			}
			nExt++
			total += x.Days
			res.Extended += x.Days
			due, _, _ = e.count(r, req.Base, total, pauses)
			dec := x.Decision
			if dec != "" {
				dec += ", "
			}
			res.Derivation.add(due, r.Extensions.Citation, "+ %d %s: extension %d of at most %d (decision %sissued %s; %s, at most %d days each) → %s",
				x.Days, r.DayType.unit(), nExt, maxExt, dec, x.On, r.Extensions.Citation, r.Extensions.MaxDays, due)
		case ev.pause != nil:
			p := *ev.pause
			if !due.IsZero() && !p.Suspended.Before(due) {
				// The period had already run (the suspension day itself still counts), so the
				// pause cannot give the time back.
				pauses = append(pauses, p)
				res.Derivation.add(due, r.Suspension.Citation, "suspended %s, after the period ended on %s: due date unchanged (%s)",
					p.Suspended, due, r.Suspension.Citation)
				continue
			}
			pauses = append(pauses, p)
			if p.Resumed.IsZero() {
				_, counted, _ = e.count(r, req.Base, total, pauses)
				paused = true
				res.Paused, res.Remaining, res.Due = true, total-counted, calendar.Date{}
				res.Derivation.add(calendar.Date{}, r.Suspension.Citation, "suspended %s: the clock is paused with %d %s remaining (%s)",
					p.Suspended, total-counted, r.DayType.unit(), r.Suspension.Citation)
				continue
			}
			n := p.Resumed.DaysSince(p.Suspended)
			res.PausedDays += n
			due, _, _ = e.count(r, req.Base, total, pauses)
			res.Derivation.add(due, r.Suspension.Citation, "suspended %s, resumed %s: %d days not counted (%s) → %s",
				p.Suspended, p.Resumed, n, r.Suspension.Citation, due)
		}
	}
	if paused {
		return res, nil
	}
	if r.DayType == WorkingDays {
		e.noteDaysOff(&res.Derivation, req.Base, due)
	}
	res.Due = e.roll(r, due)
	if res.Due != due {
		res.Derivation.add(res.Due, citeRollOver, "%s is %s → next working day %s (%s)",
			due, e.cal.Explain(due).Reason(), res.Due, citeRollOver)
	}
	if r.DayType == WorkingDays || r.RollToWorkingDay {
		// The days off of a year without a published schedule are computed from the law; say so,
		// because the Prime Minister's schedule may still move them.
		for y := req.Base.Year; y <= res.Due.Year; y++ {
			if !e.cal.IsPublished(y) {
				res.Derivation.add(res.Due, "Labour Code 2019 Đ112", "days off in %d are computed from the Labour Code (no schedule published yet): verify when it is", y)
			}
		}
	}
	return res, nil
}

// events validates the extensions and pauses of a request and puts them in date order (an
// extension before a suspension of the same day).
func (e *Engine) events(r Rule, req Request) ([]event, error) {
	bad := func(err error, format string, args ...any) ([]event, error) {
		return nil, fmt.Errorf("%w: %s: %s", err, r.ID, fmt.Sprintf(format, args...))
	}
	var evs []event
	if len(req.Extensions) > 0 {
		maxN := r.MaxExtensions(req.Conditions...)
		if r.Extensions == nil || len(req.Extensions) > maxN {
			return bad(ErrNotExtendable, "%d extensions asked, %d allowed for conditions %v", len(req.Extensions), maxN, req.Conditions)
		}
	}
	for i := range req.Extensions {
		x := &req.Extensions[i]
		if x.Days < 1 || x.Days > r.Extensions.MaxDays {
			return bad(ErrNotExtendable, "extension of %d days: 1 to %d allowed (%s)", x.Days, r.Extensions.MaxDays, r.Extensions.Citation)
		}
		if !x.On.IsValid() || x.On.Before(req.Base) {
			return bad(ErrInvalidFact, "extension dated %v, before the base date %v", x.On, req.Base)
		}
		evs = append(evs, event{on: x.On, ext: x})
	}
	if len(req.Pauses) > 0 && r.Suspension == nil {
		return bad(ErrNotSuspended, "the rule's clock does not pause")
	}
	ps := append([]Pause(nil), req.Pauses...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Suspended.Before(ps[j].Suspended) })
	for i := range ps {
		p := &ps[i]
		switch {
		case !p.Suspended.IsValid() || p.Suspended.Before(req.Base):
			return bad(ErrInvalidFact, "suspended on %v, before the base date %v", p.Suspended, req.Base)
		case !p.Resumed.IsZero() && p.Resumed.Before(p.Suspended):
			return bad(ErrInvalidFact, "resumed on %v, before it was suspended on %v", p.Resumed, p.Suspended)
		case p.Resumed.IsZero() && i != len(ps)-1:
			return bad(ErrInvalidFact, "suspension of %v was never resumed but another follows", p.Suspended)
		case i > 0 && p.Suspended.Before(ps[i-1].Resumed):
			return bad(ErrInvalidFact, "suspension of %v overlaps the one resumed on %v", p.Suspended, ps[i-1].Resumed)
		}
		evs = append(evs, event{on: p.Suspended, pause: p})
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].on == evs[j].on {
			return evs[i].ext != nil && evs[j].ext == nil
		}
		return evs[i].on.Before(evs[j].on)
	})
	return evs, nil
}

// noteDaysOff adds the weekdays off and make-up days met by a working-day count, so a reader sees
// why the count went past them.
func (e *Engine) noteDaysOff(d *Derivation, base, due calendar.Date) {
	var off, made []string
	ex := e.cal.Exceptions(base.AddDays(1), due)
	for i := 0; i < len(ex); i++ {
		s := ex[i]
		if s.Kind == calendar.MakeUpWorkingDay {
			made = append(made, fmt.Sprintf("%s (%s)", s.Date, s.Date.Weekday()))
			continue
		}
		// Group consecutive days of the same occasion: "2025-01-27–2025-01-31 Lunar New Year".
		j := i
		for j+1 < len(ex) && ex[j+1].Kind != calendar.MakeUpWorkingDay && ex[j+1].Occasion == s.Occasion &&
			ex[j+1].Date == ex[j].Date.AddDays(1) {
			j++
		}
		span := s.Date.String()
		if j > i {
			span += "–" + ex[j].Date.String()
		}
		off = append(off, span+" "+s.Occasion)
		i = j
	}
	if len(off) > 0 {
		d.add(due, "", "not counted, besides weekends: %s", strings.Join(off, "; "))
	}
	if len(made) > 0 {
		d.add(due, "", "counted as make-up working days: %s", strings.Join(made, ", "))
	}
}

// Compute is Due on the default engine.
func Compute(req Request) (Result, error) { return Default().Due(req) }
