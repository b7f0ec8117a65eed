package calendar

import (
	"fmt"
	"time"
)

// Vietnam is Vietnamese civil time. Asia/Ho_Chi_Minh has been UTC+7 without daylight saving since
// 1975, so a fixed zone gives the same answers without depending on the machine's tzdata.
var Vietnam = time.FixedZone("ICT", 7*60*60)

// Date is a civil date in Vietnam: legal periods run over days, not instants, so a petition received
// at 23:30 on 14/12 belongs to 14/12 whatever the server's clock zone. The zero Date is not a day.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate gives the date y-m-d, normalising out-of-range months and days the way time.Date does
// (2025-01-32 is 2025-02-01).
func NewDate(y int, m time.Month, d int) Date {
	return dateOfUTC(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// DateOf gives the Vietnamese civil date of an instant.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Vietnam).Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate reads an ISO 8601 calendar date, "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("calendar: date %q: want YYYY-MM-DD", s)
	}
	return dateOfUTC(t), nil
}

// MustParseDate is ParseDate for literals known to be valid; it panics otherwise.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func dateOfUTC(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// utc is midnight UTC of the date, the form used for day arithmetic (no zone transitions).
func (d Date) utc() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// Start is the instant the day begins in Vietnam.
func (d Date) Start() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, Vietnam) }

// IsZero reports whether d is the zero Date (no date).
func (d Date) IsZero() bool { return d == Date{} }

// IsValid reports whether d names a real day (not zero, not 2025-02-30).
func (d Date) IsValid() bool { return !d.IsZero() && NewDate(d.Year, d.Month, d.Day) == d }

// String formats the date as "2006-01-02".
func (d Date) String() string {
	if d.IsZero() {
		return "0000-00-00"
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Weekday is the day of the week.
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// AddDays gives the date n calendar days later (earlier if n < 0).
func (d Date) AddDays(n int) Date { return dateOfUTC(d.utc().AddDate(0, 0, n)) }

// DaysSince is the number of calendar days from o to d: positive when d is after o.
func (d Date) DaysSince(o Date) int {
	return int(d.utc().Sub(o.utc()).Hours() / 24)
}

// Compare returns -1, 0 or +1 as d is before, the same as or after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmpInt(d.Year, o.Year)
	case d.Month != o.Month:
		return cmpInt(int(d.Month), int(o.Month))
	default:
		return cmpInt(d.Day, o.Day)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is after o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// MarshalText formats the date as "2006-01-02" (JSON, YAML, SQL text).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses "2006-01-02".
func (d *Date) UnmarshalText(b []byte) error {
	p, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}
