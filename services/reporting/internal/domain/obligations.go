package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/unitreg"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

// DefaultDueSoonDays is how many days before a due date an unsubmitted report is due soon.
const DefaultDueSoonDays = 7

// Occurrence is one unit's due date of one obligation.
type Occurrence struct {
	PlanID       string
	ObligationID string
	Subject      string
	FormCode     string
	Unit         unitreg.Unit
	// Recipient is the unit that holds the recipient's role on the due date (its successor once
	// it has merged).
	Recipient string
	Due       calendar.Date
}

// DueDates are an obligation's due dates within [from, to], ascending. A plan's "trước ngày
// 30/11" is read as the last day on which a report is on time being 30/11 (*verify*: "before"
// may be meant strictly, which would make it 29/11; keep the plan's dates as data either way).
// A yearly day that a month lacks (31/11) falls on the month's last day.
func DueDates(o *reportingv1.Obligation, from, to calendar.Date) []calendar.Date {
	var out []calendar.Date
	in := func(d calendar.Date) bool { return d.IsValid() && !d.Before(from) && !d.After(to) }
	for _, c := range o.GetDueDates() {
		if d := unitreg.DateFromProto(c); in(d) {
			out = append(out, d)
		}
	}
	for _, y := range o.GetYearly() {
		for year := max(int(y.GetFromYear()), from.Year); year <= to.Year; year++ {
			if u := int(y.GetUntilYear()); u != 0 && year > u {
				break
			}
			last := calendar.NewDate(year, time.Month(y.GetMonth())+1, 0).Day
			d := calendar.Date{Year: year, Month: time.Month(y.GetMonth()), Day: min(int(y.GetDay()), last)}
			if in(d) {
				out = append(out, d)
			}
		}
	}
	slices.SortFunc(out, calendar.Date.Compare)
	return slices.Compact(out)
}

// Reporters are the units an obligation binds on a day, by code: those of the selected kind under
// the selected unit (whose parent is of one of the selected kinds), and those named, each as the
// unit holding its role that day.
func Reporters(reg *unitreg.Registry, r *reportingv1.Reporters, on calendar.Date) []unitreg.Unit {
	seen := map[string]unitreg.Unit{}
	if r.GetKind() != unitv1.UnitKind_UNIT_KIND_UNSPECIFIED {
		for _, u := range reg.List(on, "", false) {
			if u.Kind != r.GetKind() || !Under(reg, u.Code, r.GetUnder(), on) {
				continue
			}
			if len(r.GetParentKinds()) > 0 {
				p, ok := reg.Parent(u.Code, on)
				if !ok || !slices.Contains(r.GetParentKinds(), p.Kind) {
					continue
				}
			}
			seen[u.Code] = u
		}
	}
	for _, c := range r.GetCodes() {
		if u, ok := reg.ResolveSuccessor(c, on); ok {
			seen[u.Code] = u
		}
	}
	out := make([]unitreg.Unit, 0, len(seen))
	for _, u := range seen {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b unitreg.Unit) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// Under tells whether code is top or below it on a day; an empty top is everything.
func Under(reg *unitreg.Registry, code, top string, on calendar.Date) bool {
	if top == "" || code == top {
		return true
	}
	for _, a := range reg.Ancestors(code, on) {
		if a.Code == top {
			return true
		}
	}
	return false
}

// Occurrences lists every unit's due dates of a plan's obligations within [from, to], each unit
// selected as the registry stood on the due date — so a plan issued before a reorganisation binds
// the successor units afterwards.
func Occurrences(reg *unitreg.Registry, plan *reportingv1.Plan, from, to calendar.Date) []Occurrence {
	var out []Occurrence
	for _, o := range plan.GetObligations() {
		for _, due := range DueDates(o, from, to) {
			recipient := o.GetRecipientCode()
			if u, ok := reg.ResolveSuccessor(recipient, due); ok {
				recipient = u.Code
			}
			for _, u := range Reporters(reg, o.GetReporters(), due) {
				out = append(out, Occurrence{PlanID: plan.GetId(), ObligationID: o.GetId(), Subject: o.GetSubject(),
					FormCode: o.GetFormCode(), Unit: u, Recipient: recipient, Due: due})
			}
		}
	}
	return out
}

// Status is where an occurrence stands on day asOf, given the day it was submitted (zero if it
// was not): on time if submitted by the due date, late if after it; if not submitted, missing once
// the due date has passed, due soon within soonDays of it, pending before that.
func Status(due, submitted, asOf calendar.Date, soonDays int) reportingv1.ObligationStatus {
	switch {
	case submitted.IsValid() && !submitted.After(due):
		return reportingv1.ObligationStatus_OBLIGATION_STATUS_ON_TIME
	case submitted.IsValid():
		return reportingv1.ObligationStatus_OBLIGATION_STATUS_LATE
	case asOf.After(due):
		return reportingv1.ObligationStatus_OBLIGATION_STATUS_MISSING
	case !asOf.AddDays(soonDays).Before(due):
		return reportingv1.ObligationStatus_OBLIGATION_STATUS_DUE_SOON
	}
	return reportingv1.ObligationStatus_OBLIGATION_STATUS_PENDING
}

// FindObligation returns the obligation with id in a plan.
func FindObligation(plan *reportingv1.Plan, id string) (*reportingv1.Obligation, bool) {
	for _, o := range plan.GetObligations() {
		if o.GetId() == id {
			return o, true
		}
	}
	return nil, false
}
