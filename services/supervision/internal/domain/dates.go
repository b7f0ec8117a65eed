package domain

import (
	"time"

	"github.com/civicase/civicase/pkg/calendar"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
)

// DateFromProto reads a civil date without normalising it: nil gives the zero Date and an impossible
// date (2025-02-30) a Date whose IsValid is false.
func DateFromProto(c *commonv1.CivilDate) calendar.Date {
	if c == nil {
		return calendar.Date{}
	}
	return calendar.Date{Year: int(c.GetYear()), Month: time.Month(c.GetMonth()), Day: int(c.GetDay())}
}

// DateProto is the wire form of a civil date; the zero Date gives nil.
func DateProto(d calendar.Date) *commonv1.CivilDate {
	if d.IsZero() {
		return nil
	}
	return &commonv1.CivilDate{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}
}

// laterOf is the later of two dates, ignoring zero ones.
func laterOf(a, b calendar.Date) calendar.Date {
	if a.IsZero() || b.After(a) {
		return b
	}
	return a
}
