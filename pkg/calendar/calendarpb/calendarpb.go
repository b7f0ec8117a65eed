// Package calendarpb converts between civil dates (pkg/calendar) and their wire form
// (civicase.common.v1.CivilDate). It lives apart from pkg/calendar so that the calendar stays free
// of generated code.
package calendarpb

import (
	"time"

	"github.com/civicase/civicase/pkg/calendar"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
)

// FromProto reads a civil date without normalising it: nil gives the zero Date and an impossible
// date (2025-02-30) a Date whose IsValid is false, so validation can say so.
func FromProto(c *commonv1.CivilDate) calendar.Date {
	if c == nil {
		return calendar.Date{}
	}
	return calendar.Date{Year: int(c.GetYear()), Month: time.Month(c.GetMonth()), Day: int(c.GetDay())}
}

// ToProto is the wire form of a civil date; the zero Date gives nil.
func ToProto(d calendar.Date) *commonv1.CivilDate {
	if d.IsZero() {
		return nil
	}
	return &commonv1.CivilDate{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}
}
