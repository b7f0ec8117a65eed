// Package period computes the statutory reporting periods and their data
// cut-offs: which civil dates a quarterly, six-month, nine-month or annual
// report counts.
//
// Periods are ranges of civil dates in Vietnam, never instants: a petition
// received at 23:30 on 14/12 belongs to that day and to the period that ends
// on it, whatever the server's time zone.
package period

import (
	"fmt"
	"strings"

	"cloud.google.com/go/civil"
)

// Kind is the length of a reporting period: one quarter or a cumulative
// period that starts with the reporting year.
type Kind int

// The reporting periods of the statutory regime. The numeric values are not
// stored anywhere; Kind.Code is the stable external form.
const (
	Q1 Kind = iota + 1
	Q2
	Q3
	Q4
	SixMonths
	NineMonths
	Year
)

// Kinds lists every kind in the order reports are usually listed.
var Kinds = []Kind{Q1, Q2, Q3, Q4, SixMonths, NineMonths, Year}

var kindCodes = map[Kind]string{
	Q1: "Q1", Q2: "Q2", Q3: "Q3", Q4: "Q4", SixMonths: "6M", NineMonths: "9M", Year: "Y",
}

var kindLabels = map[Kind]string{
	Q1: "Quý I", Q2: "Quý II", Q3: "Quý III", Q4: "Quý IV",
	SixMonths: "6 tháng", NineMonths: "9 tháng", Year: "Năm",
}

// Code is the stable short code of the kind (Q1…Q4, 6M, 9M, Y), used in
// APIs and file names.
func (k Kind) Code() string {
	if c, ok := kindCodes[k]; ok {
		return c
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// String returns the kind's code.
func (k Kind) String() string { return k.Code() }

// Label is the Vietnamese name printed on a report ("Quý I", "6 tháng").
func (k Kind) Label() string { return kindLabels[k] }

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool { _, ok := kindCodes[k]; return ok }

// lastMonth is the calendar month whose cut-off day closes the period.
func (k Kind) lastMonth() int {
	switch k {
	case Q1:
		return 3
	case Q2, SixMonths:
		return 6
	case Q3, NineMonths:
		return 9
	default:
		return 12
	}
}

// cumulative periods start with the reporting year instead of the quarter.
func (k Kind) cumulative() bool { return k == SixMonths || k == NineMonths || k == Year }

// ParseKind accepts a kind's code (case-insensitive), e.g. "q2" or "6M".
func ParseKind(s string) (Kind, error) {
	for k, c := range kindCodes {
		if strings.EqualFold(c, strings.TrimSpace(s)) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("period: unknown kind %q (want Q1, Q2, Q3, Q4, 6M, 9M or Y)", s)
}

// Regime is the cut-off rule of one reporting circular. It is data because
// circulars change it: a period closes on CloseDay of its last month and the
// next one opens the day after, on OpenDay of that month.
type Regime struct {
	// Circular names the legal source, for display and audit.
	Circular string
	// OpenDay is the day of the month on which a period starts (in the last
	// month of the previous period).
	OpenDay int
	// CloseDay is the day of the month on which a period ends.
	CloseDay int
}

// Circular012024 is the regime of Circular 01/2024/TT-TTCP (in force
// 05/3/2024): Q1 runs 15/12 of the previous year to 14/3, each quarter from
// the 15th of the previous quarter's last month to the 14th of its own last
// month, and the 6-month, 9-month and annual periods from 15/12 of the
// previous year to 14/6, 14/9 and 14/12 (TT 01/2024/TT-TTCP, provision on the
// data cut-off, "thời gian chốt số liệu"; article number *verify*).
var Circular012024 = Regime{Circular: "01/2024/TT-TTCP", OpenDay: 15, CloseDay: 14}

// Current is the regime applied when none is named.
var Current = Circular012024

// Range is one reporting period: its kind, reporting year and inclusive
// civil-date bounds.
type Range struct {
	Kind Kind
	Year int
	// From is the first day counted.
	From civil.Date
	// To is the last day counted (inclusive).
	To civil.Date
}

// For returns the period of kind k for reporting year y under the current
// regime.
func For(y int, k Kind) (Range, error) { return Current.For(y, k) }

// For returns the period of kind k for reporting year y.
func (g Regime) For(y int, k Kind) (Range, error) {
	if !k.Valid() {
		return Range{}, fmt.Errorf("period: invalid kind %d", int(k))
	}
	if y < 1 || y > 9999 {
		return Range{}, fmt.Errorf("period: year %d out of range", y)
	}
	last := k.lastMonth()
	firstClose := last - 3 // the month whose cut-off opens the period
	if k.cumulative() {
		firstClose = 0 // December of the previous year
	}
	from := civil.Date{Year: y, Month: 1, Day: g.OpenDay}.AddMonths(firstClose - 1)
	to := civil.Date{Year: y, Month: 1, Day: g.CloseDay}.AddMonths(last - 1)
	return Range{Kind: k, Year: y, From: from, To: to}, nil
}

// Contains reports whether d is counted in the period.
func (r Range) Contains(d civil.Date) bool { return !d.Before(r.From) && !d.After(r.To) }

// Days is the number of days counted.
func (r Range) Days() int { return r.To.DaysSince(r.From) + 1 }

// Label is the Vietnamese name of the period, e.g. "Quý I năm 2025"; an explicit range (no
// kind) is named by its days.
func (r Range) Label() string {
	if !r.Kind.Valid() {
		return "Từ ngày " + VNDate(r.From) + " đến ngày " + VNDate(r.To)
	}
	return r.Kind.Label() + " năm " + fmt.Sprint(r.Year)
}

// Between is an explicit range of days, not a statutory period (Kind 0, Year 0): reports on
// demand count any span.
func Between(from, to civil.Date) (Range, error) {
	if !from.IsValid() || !to.IsValid() || to.Before(from) {
		return Range{}, fmt.Errorf("period: %s..%s is not a range of days", from, to)
	}
	return Range{From: from, To: to}, nil
}

// Line is the period line printed under a form's title.
func (r Range) Line() string {
	return "Số liệu tính từ ngày " + VNDate(r.From) + " đến ngày " + VNDate(r.To)
}

// String identifies the period, e.g. "2025-Q1 [2024-12-15..2025-03-14]".
func (r Range) String() string {
	if !r.Kind.Valid() {
		return fmt.Sprintf("[%s..%s]", r.From, r.To)
	}
	return fmt.Sprintf("%d-%s [%s..%s]", r.Year, r.Kind.Code(), r.From, r.To)
}

// VNDate formats a civil date the Vietnamese way, dd/mm/yyyy.
func VNDate(d civil.Date) string { return fmt.Sprintf("%02d/%02d/%04d", d.Day, int(d.Month), d.Year) }

// Containing returns the period of kind k that counts d. Every date falls in
// exactly one quarter and one year; a date after the 9-month (or 6-month)
// cut-off and before the next reporting year falls in none of that kind, and
// ok is false.
func Containing(d civil.Date, k Kind) (r Range, ok bool) { return Current.Containing(d, k) }

// Containing returns the period of kind k that counts d under regime g.
func (g Regime) Containing(d civil.Date, k Kind) (Range, bool) {
	if !k.Valid() || !d.IsValid() {
		return Range{}, false
	}
	// A date after the annual cut-off belongs to the next reporting year.
	y := d.Year
	if yr, err := g.For(y, Year); err == nil && d.After(yr.To) {
		y++
	}
	r, err := g.For(y, k)
	if err != nil || !r.Contains(d) {
		return Range{}, false
	}
	return r, true
}

// Quarter returns the quarter that counts d; every date is in exactly one.
func Quarter(d civil.Date) Range {
	for _, q := range []Kind{Q1, Q2, Q3, Q4} {
		if r, ok := Containing(d, q); ok {
			return r
		}
	}
	return Range{}
}
