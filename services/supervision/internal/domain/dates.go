package domain

import "github.com/civicase/civicase/pkg/calendar"

// laterOf is the later of two dates, ignoring zero ones.
func laterOf(a, b calendar.Date) calendar.Date {
	if a.IsZero() || b.After(a) {
		return b
	}
	return a
}
