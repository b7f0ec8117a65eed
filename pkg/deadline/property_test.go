package deadline

import (
	"testing"

	"github.com/civicase/civicase/pkg/calendar"
)

// For every rule and variant, every base day from December 2023 to the end of 2027: the due date is
// a working day after the base; a calendar-day period ends on base + period or, if that is a day
// off, on the first working day after it with only days off between; a working-day period spans
// exactly its number of working days; and a later event never gives an earlier due date.
func TestDueDateProperties(t *testing.T) {
	e := Default()
	cal := e.Calendar()
	for _, r := range e.Rules() {
		condSets := [][]Condition{nil}
		for _, v := range r.variants {
			condSets = append(condSets, v.when)
		}
		for _, conds := range condSets {
			period, _ := r.Period(conds...)
			var prev calendar.Date
			for base := d("2023-12-01"); !base.After(d("2027-12-31")); base = base.AddDays(1) {
				res, err := e.Due(Request{Rule: r.ID, Base: base, Conditions: conds})
				if err != nil {
					t.Fatalf("%s %v from %v: %v", r.ID, conds, base, err)
				}
				due := res.Due
				if !cal.IsWorkingDay(due) || !due.After(base) {
					t.Fatalf("%s %v from %v: due %v (%v)", r.ID, conds, base, due, cal.Explain(due))
				}
				switch r.DayType {
				case CalendarDays:
					end := base.AddDays(period)
					if res.Derivation.Steps[0].Date != end || due.Before(end) {
						t.Fatalf("%s from %v: end %v, due %v", r.ID, base, end, due)
					}
					for x := end; x.Before(due); x = x.AddDays(1) {
						if cal.IsWorkingDay(x) {
							t.Fatalf("%s from %v: rolled past working day %v to %v", r.ID, base, x, due)
						}
					}
				case WorkingDays:
					if n := cal.WorkingDaysBetween(base, due); n != period {
						t.Fatalf("%s from %v: %d working days to %v, want %d", r.ID, base, n, due, period)
					}
				}
				if !prev.IsZero() && due.Before(prev) {
					t.Fatalf("%s %v: due from %v is %v, before the previous day's %v", r.ID, conds, base, due, prev)
				}
				prev = due
			}
		}
	}
}

// A suspension of k days that starts before the period ends moves the end by exactly k calendar
// days (Luật TC Đ34), and extensions add their days (Luật TC Đ30), before any roll-over.
func TestSuspensionAndExtensionShiftTheEnd(t *testing.T) {
	e := Default()
	cal := e.Calendar()
	for base := d("2025-01-01"); base.Before(d("2026-12-31")); base = base.AddDays(3) {
		for _, start := range []int{0, 7, 29} {
			for _, k := range []int{1, 12, 45} {
				s := base.AddDays(start)
				res, err := e.Due(Request{Rule: "denunciation.resolve", Base: base, Conditions: []Condition{EspeciallyComplex},
					Pauses:     []Pause{{Suspended: s, Resumed: s.AddDays(k)}},
					Extensions: []Extension{{On: base, Days: 30}, {On: base.AddDays(1), Days: 17}}})
				if err != nil {
					t.Fatalf("from %v: %v", base, err)
				}
				want := cal.WorkingDayOnOrAfter(base.AddDays(30 + 30 + 17 + k))
				if res.Due != want || res.PausedDays != k || res.Extended != 47 {
					t.Fatalf("from %v, suspended %v for %d days: due %v, want %v\n%s", base, s, k, res.Due, want, res.Derivation)
				}
			}
		}
	}
}
