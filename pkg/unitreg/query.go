package unitreg

import (
	"slices"
	"strings"

	"github.com/civicase/civicase/pkg/calendar"
)

// Unit is the unit as it stood on a date; false if the code is unknown or the unit did not exist
// yet. An ended unit is returned with EndedOn and SuccessorCode set.
func (r *Registry) Unit(code string, on calendar.Date) (Unit, bool) {
	u, ok := r.units[code]
	if !ok || !u.registeredBy(on) {
		return Unit{}, false
	}
	return u.view(on), true
}

// Parent is the unit above code on a date (for an ended unit: above it on its last day).
func (r *Registry) Parent(code string, on calendar.Date) (Unit, bool) {
	v, ok := r.Unit(code, on)
	if !ok || v.ParentCode == "" {
		return Unit{}, false
	}
	return r.Unit(v.ParentCode, on)
}

// Children are the units in force under code on a date, by code.
func (r *Registry) Children(code string, on calendar.Date) []Unit {
	var out []Unit
	for _, u := range r.units {
		if u.inForce(on) && u.parentOn(on) == code {
			out = append(out, u.view(on))
		}
	}
	sortByCode(out)
	return out
}

// Ancestors are the units above code on a date, nearest first.
func (r *Registry) Ancestors(code string, on calendar.Date) []Unit {
	var out []Unit
	for range len(r.units) {
		p, ok := r.Parent(code, on)
		if !ok {
			break
		}
		out = append(out, p)
		code = p.Code
	}
	return out
}

// Successor is the unit that took over code directly and the first day it did; false for a unit
// in force (or unknown).
func (r *Registry) Successor(code string) (successor string, from calendar.Date, ok bool) {
	u, found := r.units[code]
	if !found || u.end.IsZero() {
		return "", calendar.Date{}, false
	}
	return u.successor, u.end, true
}

// ResolveSuccessor is the unit that holds code's cases on a date: code itself while it is in force,
// else its successor, following a chain of mergers (a ward merged into a ward that later merged
// again). False if code is unknown or did not exist yet on that date.
func (r *Registry) ResolveSuccessor(code string, on calendar.Date) (Unit, bool) {
	u, ok := r.units[code]
	if !ok || !u.registeredBy(on) {
		return Unit{}, false
	}
	for range len(r.units) {
		if !u.endedBy(on) {
			break
		}
		// Apply guarantees the successor exists and was in force on the merger date.
		u = r.units[u.successor]
	}
	return u.view(on), true
}

// RollUpTarget is the unit a record of code counts under in a report for a period: the unit that
// holds code's cases on the period's last day. So a ward's records count under the ward in
// reports of periods that end before its merger, and under its successor — for the whole period,
// records from before the merger included — in reports of periods that end on or after it: the
// report is made by the units that exist when the period closes. False if code did not exist yet
// on that day.
func (r *Registry) RollUpTarget(code string, period Period) (Unit, bool) {
	return r.ResolveSuccessor(code, period.To)
}

// List is the registry as it stood on a date, by code: the units registered by then whose code
// starts with prefix, without those that had ended unless includeEnded.
func (r *Registry) List(on calendar.Date, prefix string, includeEnded bool) []Unit {
	var out []Unit
	for code, u := range r.units {
		if !strings.HasPrefix(code, prefix) || !u.registeredBy(on) || (u.endedBy(on) && !includeEnded) {
			continue
		}
		out = append(out, u.view(on))
	}
	sortByCode(out)
	return out
}

// ChangeDates are the dates on which the registry changes (registrations, moves, mergers,
// competence changes), ascending. Between two of them every query gives the same answer, so two
// registries that agree on these dates and the days before them agree on every day.
func (r *Registry) ChangeDates() []calendar.Date {
	var ds []calendar.Date
	for _, u := range r.units {
		for _, s := range u.parents {
			ds = append(ds, s.from)
		}
		for _, s := range u.competence {
			ds = append(ds, s.from)
		}
		if !u.end.IsZero() {
			ds = append(ds, u.end)
		}
	}
	slices.SortFunc(ds, calendar.Date.Compare)
	return slices.Compact(ds)
}

func sortByCode(us []Unit) {
	slices.SortFunc(us, func(a, b Unit) int { return strings.Compare(a.Code, b.Code) })
}
