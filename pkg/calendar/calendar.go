// Package calendar is the business calendar of Vietnamese civil servants: which civil dates are
// working days, and why a day is not.
//
// The working week is Monday to Friday. Public holidays are those of the Labour Code 2019 Đ112; each
// year the Prime Minister fixes the civil-servant schedule (the Tết break, compensatory days off, and
// working days swapped with Saturdays that are then worked as make-up days). Because that schedule
// changes every year it is data: one file per year under data/, embedded, citing the decision that
// set it. Years without a file get a computed schedule from the law alone (see computed.go), marked
// as not published so that a derivation can say so.
package calendar

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// DayKind says what kind of day a date is in the civil-servant calendar.
type DayKind int

// Kinds of day. A make-up working day is a weekend day worked in exchange for a swapped day off; it
// counts as a working day for periods counted in working days.
const (
	OrdinaryWorkingDay DayKind = iota // Monday–Friday with nothing special
	WeeklyRest                        // Saturday or Sunday (ngày nghỉ hằng tuần)
	PublicHoliday                     // ngày nghỉ lễ, tết (Labour Code 2019 Đ112)
	CompensatoryDayOff                // nghỉ bù: a holiday fell on a weekly rest day (Labour Code 2019 Đ111.3)
	SwappedDayOff                     // hoán đổi: a working day given off in exchange for a make-up day
	MakeUpWorkingDay                  // làm bù: a weekend day worked in exchange for a swapped day off
)

var kindNames = map[DayKind]string{
	OrdinaryWorkingDay: "working day",
	WeeklyRest:         "weekly rest day",
	PublicHoliday:      "public holiday",
	CompensatoryDayOff: "compensatory day off",
	SwappedDayOff:      "swapped day off",
	MakeUpWorkingDay:   "make-up working day",
}

// String names the kind in English.
func (k DayKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("DayKind(%d)", int(k))
}

// DayStatus explains one date: whether civil servants work, and if not, why.
type DayStatus struct {
	Date    Date
	Kind    DayKind
	Working bool
	// Occasion names the holiday or break the day belongs to, in English and Vietnamese ("" for
	// ordinary days).
	Occasion, OccasionVI string
	// SwappedWith is the other day of a swap: the make-up day of a swapped day off, or the day off
	// a make-up day pays for.
	SwappedWith Date
	// Source cites what made the day special: the decision of the year's schedule, or the article
	// of law a computed day follows.
	Source string
	// Published is true when the day comes from a published schedule file, false when computed.
	Published bool
	// Verify, when not empty, says why the entry should be checked against the official text.
	Verify string
}

// Reason says why the day is (or is not) a working day, as a phrase that completes "2025-04-12
// is …", e.g. "a Saturday" or "a public holiday (Reunification Day, Ngày Giải phóng miền Nam)".
func (s DayStatus) Reason() string {
	occ := ""
	if s.Occasion != "" {
		occ = s.Occasion
		if s.OccasionVI != "" {
			occ += ", " + s.OccasionVI
		}
	}
	switch s.Kind {
	case WeeklyRest:
		if occ != "" {
			return fmt.Sprintf("a %s (%s)", s.Date.Weekday(), occ)
		}
		return "a " + s.Date.Weekday().String()
	case OrdinaryWorkingDay:
		return "a working day (" + s.Date.Weekday().String() + ")"
	case MakeUpWorkingDay:
		return fmt.Sprintf("a make-up working day (%s, worked in exchange for %s; %s)", s.Date.Weekday(), s.SwappedWith, occ)
	case SwappedDayOff:
		return fmt.Sprintf("a swapped day off (%s; made up on %s)", occ, s.SwappedWith)
	default:
		return fmt.Sprintf("a %s (%s)", s.Kind, occ)
	}
}

// String describes the day with its source, for logs and derivations.
func (s DayStatus) String() string {
	out := fmt.Sprintf("%s is %s", s.Date, s.Reason())
	if s.Source != "" {
		out += " [" + s.Source + "]"
	}
	return out
}

// year holds the days of one year that differ from the Monday–Friday rule, and weekend days that
// belong to a named break.
type year struct {
	days      map[Date]DayStatus
	published bool
	source    string
}

// Calendar answers working-day questions. It is safe for concurrent use; computed years are built
// on first use and kept.
type Calendar struct {
	published map[int]*year

	mu       sync.Mutex
	computed map[int]*year
}

// New builds a calendar from published yearly schedules; years without one are computed.
func New(schedules ...Schedule) (*Calendar, error) {
	c := &Calendar{published: map[int]*year{}, computed: map[int]*year{}}
	for _, s := range schedules {
		y, err := s.build()
		if err != nil {
			return nil, err
		}
		if _, dup := c.published[s.Year]; dup {
			return nil, fmt.Errorf("calendar: two schedules for %d", s.Year)
		}
		c.published[s.Year] = y
	}
	return c, nil
}

// PublishedYears lists the years that have a published schedule, in order.
func (c *Calendar) PublishedYears() []int {
	out := make([]int, 0, len(c.published))
	for y := range c.published {
		out = append(out, y)
	}
	sort.Ints(out)
	return out
}

// IsPublished reports whether year y follows a published schedule (false: computed from the law).
func (c *Calendar) IsPublished(y int) bool { _, ok := c.published[y]; return ok }

func (c *Calendar) year(y int) *year {
	if p, ok := c.published[y]; ok {
		return p
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cy, ok := c.computed[y]; ok {
		return cy
	}
	cy := computeYear(y)
	c.computed[y] = cy
	return cy
}

// Explain says what kind of day d is and why.
func (c *Calendar) Explain(d Date) DayStatus {
	y := c.year(d.Year)
	if s, ok := y.days[d]; ok {
		return s
	}
	wd := d.Weekday()
	if wd == time.Saturday || wd == time.Sunday {
		return DayStatus{Date: d, Kind: WeeklyRest, Published: y.published, Source: "weekly rest: Saturday and Sunday"}
	}
	return DayStatus{Date: d, Kind: OrdinaryWorkingDay, Working: true, Published: y.published}
}

// IsWorkingDay reports whether civil servants work on d (make-up Saturdays included).
func (c *Calendar) IsWorkingDay(d Date) bool {
	if s, ok := c.year(d.Year).days[d]; ok {
		return s.Working
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// NextWorkingDay is the first working day strictly after d.
func (c *Calendar) NextWorkingDay(d Date) Date {
	for {
		d = d.AddDays(1)
		if c.IsWorkingDay(d) {
			return d
		}
	}
}

// WorkingDayOnOrAfter is d itself if it is a working day, else the next working day: where a
// period that ends on a day off ends (Civil Code 2015 Đ148).
func (c *Calendar) WorkingDayOnOrAfter(d Date) Date {
	if c.IsWorkingDay(d) {
		return d
	}
	return c.NextWorkingDay(d)
}

// AddWorkingDays is the n-th working day after d, d itself not counted (Civil Code 2015 Đ147): with
// n = 10 and d a Friday before an ordinary fortnight, the Friday two weeks later. A negative n counts
// backwards; n = 0 gives d.
func (c *Calendar) AddWorkingDays(d Date, n int) Date {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDays(step)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d
}

// WorkingDaysBetween counts the working days after from up to and including to; when to is before
// from it counts, negatively, the working days from to up to but excluding from. Either way
// AddWorkingDays(from, WorkingDaysBetween(from, to)) == to when to is a working day.
func (c *Calendar) WorkingDaysBetween(from, to Date) int {
	lo, hi, sign := from.AddDays(1), to, 1
	if to.Before(from) {
		lo, hi, sign = to, from.AddDays(-1), -1
	}
	n := 0
	for d := lo; !d.After(hi); d = d.AddDays(1) {
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return sign * n
}

// Exceptions lists the days in [from, to] that break the Monday–Friday rule: holidays,
// compensatory and swapped days off, and make-up working days, in date order.
func (c *Calendar) Exceptions(from, to Date) []DayStatus {
	var out []DayStatus
	for y := from.Year; y <= to.Year; y++ {
		for d, s := range c.year(y).days {
			if d.Before(from) || d.After(to) || s.Kind == WeeklyRest || s.Kind == OrdinaryWorkingDay {
				continue
			}
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

var (
	defaultOnce sync.Once
	defaultCal  *Calendar
)

// Default is the calendar of the embedded yearly schedules (data/*.yaml) with the computed fallback.
func Default() *Calendar {
	defaultOnce.Do(func() {
		s, err := EmbeddedSchedules()
		if err == nil {
			defaultCal, err = New(s...)
		}
		if err != nil {
			// The embedded files are checked by the package tests; a broken build must not run.
			panic(err)
		}
	})
	return defaultCal
}

// IsWorkingDay reports whether d is a working day in the Default calendar.
func IsWorkingDay(d Date) bool { return Default().IsWorkingDay(d) }

// NextWorkingDay is the first working day after d in the Default calendar.
func NextWorkingDay(d Date) Date { return Default().NextWorkingDay(d) }

// AddWorkingDays is the n-th working day after d in the Default calendar.
func AddWorkingDays(d Date, n int) Date { return Default().AddWorkingDays(d, n) }

// Explain says what kind of day d is in the Default calendar.
func Explain(d Date) DayStatus { return Default().Explain(d) }
