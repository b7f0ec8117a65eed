package calendar

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"
)

// The published civil-servant schedules, one file per year. Adding a year is adding a file.
//
//go:embed data/*.yaml
var dataFS embed.FS

// Schedule is the published civil-servant schedule of one year, as written in a data file.
type Schedule struct {
	Year int `yaml:"year"`
	// Sources are the decisions and laws the entries cite, by ID.
	Sources []Source `yaml:"sources"`
	// DaysOff are the days civil servants do not work besides ordinary weekends; a range (from/to)
	// of kind "break" names the weekend days of an announced break, and the weekdays in it are
	// given their own entries.
	DaysOff []DayOffEntry `yaml:"days_off"`
	// MakeUpDays are weekend days worked in exchange for a swapped day off.
	MakeUpDays []MakeUpEntry `yaml:"make_up_days"`
}

// Source is a decision or law cited by a schedule entry.
type Source struct {
	ID     string `yaml:"id"`
	Ref    string `yaml:"ref"`
	Issued Date   `yaml:"issued"`
	Title  string `yaml:"title"`
	Verify string `yaml:"verify"`
}

// String cites the source, e.g. "Công văn 8726/VPCP-KGVX of 2024-11-26".
func (s Source) String() string {
	if s.Issued.IsZero() {
		return s.Ref
	}
	return s.Ref + " of " + s.Issued.String()
}

// DayOffEntry is one day, or a range of days, off.
type DayOffEntry struct {
	Date       Date   `yaml:"date"`
	From       Date   `yaml:"from"`
	To         Date   `yaml:"to"`
	Kind       string `yaml:"kind"` // holiday, compensatory, swapped or break
	Occasion   string `yaml:"occasion"`
	OccasionVI string `yaml:"occasion_vi"`
	Source     string `yaml:"source"`
	Verify     string `yaml:"verify"`
}

// MakeUpEntry is a weekend day worked in exchange for the swapped day off For.
type MakeUpEntry struct {
	Date       Date   `yaml:"date"`
	For        Date   `yaml:"for"`
	Occasion   string `yaml:"occasion"`
	OccasionVI string `yaml:"occasion_vi"`
	Source     string `yaml:"source"`
	Verify     string `yaml:"verify"`
}

var entryKinds = map[string]DayKind{
	"holiday":      PublicHoliday,
	"compensatory": CompensatoryDayOff,
	"swapped":      SwappedDayOff,
	"break":        WeeklyRest,
}

// ParseSchedule reads one yearly data file. Unknown fields are errors, so a typo cannot silently
// drop a holiday.
func ParseSchedule(b []byte) (Schedule, error) {
	var s Schedule
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return Schedule{}, fmt.Errorf("calendar: schedule: %w", err)
	}
	if _, err := s.build(); err != nil {
		return Schedule{}, err
	}
	return s, nil
}

// LoadSchedules reads every *.yaml file at the top of fsys as a yearly schedule.
func LoadSchedules(fsys fs.FS) ([]Schedule, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Schedule
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		s, err := ParseSchedule(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if want := fmt.Sprintf("%d.yaml", s.Year); path.Base(n) != want {
			return nil, fmt.Errorf("calendar: %s holds year %d: name it %s", n, s.Year, want)
		}
		out = append(out, s)
	}
	return out, nil
}

// EmbeddedSchedules are the schedules shipped in data/.
func EmbeddedSchedules() ([]Schedule, error) {
	sub, err := fs.Sub(dataFS, "data")
	if err != nil {
		return nil, err
	}
	return LoadSchedules(sub)
}

// build checks the schedule and turns it into the day table.
func (s Schedule) build() (*year, error) {
	fail := func(format string, args ...any) (*year, error) {
		return nil, fmt.Errorf("calendar: schedule %d: "+format, append([]any{s.Year}, args...)...)
	}
	if s.Year == 0 {
		return fail("no year")
	}
	sources := map[string]Source{}
	for _, src := range s.Sources {
		if src.ID == "" || src.Ref == "" {
			return fail("source %+v needs id and ref", src)
		}
		sources[src.ID] = src
	}
	cite := func(id string) (string, string, error) {
		src, ok := sources[id]
		if !ok {
			return "", "", fmt.Errorf("calendar: schedule %d: unknown source %q", s.Year, id)
		}
		return src.String(), src.Verify, nil
	}
	y := &year{days: map[Date]DayStatus{}, published: true}
	for _, e := range s.DaysOff {
		kind, ok := entryKinds[e.Kind]
		if !ok {
			return fail("day off %v: kind %q is not one of holiday, compensatory, swapped, break", e.Date, e.Kind)
		}
		from, to := e.Date, e.Date
		if e.Date.IsZero() {
			from, to = e.From, e.To
		} else if !e.From.IsZero() || !e.To.IsZero() {
			return fail("day off %v: give date or from/to, not both", e.Date)
		}
		if from.IsZero() || to.IsZero() || to.Before(from) {
			return fail("day off %+v: bad dates", e)
		}
		if e.Occasion == "" || e.OccasionVI == "" {
			return fail("day off %v: occasion and occasion_vi are required", from)
		}
		src, srcVerify, err := cite(e.Source)
		if err != nil {
			return nil, err
		}
		for d := from; !d.After(to); d = d.AddDays(1) {
			if d.Year != s.Year {
				return fail("day off %v is not in %d", d, s.Year)
			}
			weekend := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
			if e.Kind == "break" && !weekend {
				if _, given := y.days[d]; !given {
					// Checked again after all entries: a weekday in a break needs its own entry.
					y.days[d] = DayStatus{Date: d, Kind: OrdinaryWorkingDay, Working: true, Occasion: e.Occasion}
				}
				continue
			}
			if prev, dup := y.days[d]; dup && !(prev.Kind == WeeklyRest || prev.Kind == OrdinaryWorkingDay) {
				if e.Kind == "break" {
					continue // a specific entry already explains this day
				}
				return fail("%v is listed twice", d)
			}
			st := DayStatus{Date: d, Kind: kind, Occasion: e.Occasion, OccasionVI: e.OccasionVI,
				Source: src, Published: true, Verify: joinVerify(e.Verify, srcVerify)}
			y.days[d] = st
		}
	}
	for d, st := range y.days {
		if st.Kind == OrdinaryWorkingDay {
			return fail("%v (%s) is inside the %q break: give it an entry saying which kind of day off it is", d, d.Weekday(), st.Occasion)
		}
	}
	for _, m := range s.MakeUpDays {
		if m.Date.Year != s.Year {
			return fail("make-up day %v is not in %d", m.Date, s.Year)
		}
		if wd := m.Date.Weekday(); wd != time.Saturday && wd != time.Sunday {
			return fail("make-up day %v is a %s: only a weekend day can be a make-up day", m.Date, wd)
		}
		if prev, dup := y.days[m.Date]; dup && prev.Kind != WeeklyRest {
			return fail("make-up day %v is also a day off", m.Date)
		}
		if m.For.Year == s.Year {
			swapped, ok := y.days[m.For]
			if !ok || swapped.Kind != SwappedDayOff {
				return fail("make-up day %v is for %v, which is not a swapped day off", m.Date, m.For)
			}
			swapped.SwappedWith = m.Date
			y.days[m.For] = swapped
		}
		src, srcVerify, err := cite(m.Source)
		if err != nil {
			return nil, err
		}
		y.days[m.Date] = DayStatus{Date: m.Date, Kind: MakeUpWorkingDay, Working: true, SwappedWith: m.For,
			Occasion: m.Occasion, OccasionVI: m.OccasionVI, Source: src, Published: true,
			Verify: joinVerify(m.Verify, srcVerify)}
	}
	for d, st := range y.days {
		if st.Kind == SwappedDayOff && st.SwappedWith.IsZero() {
			return fail("swapped day off %v has no make-up day", d)
		}
	}
	return y, nil
}

func joinVerify(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
