package domain

import (
	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/unitreg"
)

// Reasons of the errors this package returns.
const (
	ReasonUnitUnknown = "UNIT_UNKNOWN"
	ReasonUnitEnded   = "UNIT_ENDED"
	ReasonPlanUnknown = "PLAN_UNKNOWN"
	ReasonObligation  = "OBLIGATION_UNKNOWN"
	ReasonNotReporter = "NOT_A_REPORTER"
)

// RowMode says which rows a report has.
type RowMode int

// The row modes.
const (
	// UnitAlone is one row: the unit with everything under it.
	UnitAlone RowMode = iota
	// DirectChildren is a row for the unit's own records, then one per direct child, each with
	// everything under it.
	DirectChildren
)

// Rows are a report's rows and the row each unit's records count in.
type Rows struct {
	// Units are the row units in printed order.
	Units []unitreg.Unit
	// Of maps the code of every unit whose records count in the report to its row index.
	Of map[string]int
}

// Codes lists the units whose records count in the report.
func (r Rows) Codes() []string {
	out := make([]string, 0, len(r.Of))
	for c := range r.Of {
		out = append(out, c)
	}
	return out
}

// Rollup places every unit's records in the rows of a report of unit code for a period, with
// the hierarchy as it stood on the period's last day: a unit's records count under the unit that
// held its cases that day (unitreg.RollUpTarget — a ward merged before or during the period counts
// under its successor, for the whole period; a ward merged after it under itself), and then under
// the row of that unit or of its nearest ancestor that is a row. The reporting unit must be in
// force on the period's last day.
func Rollup(reg *unitreg.Registry, code string, p unitreg.Period, mode RowMode) (Rows, error) {
	to := p.To
	top, ok := reg.Unit(code, to)
	if !ok {
		return Rows{}, apperr.NotFound(ReasonUnitUnknown, "unit %s is not in the unit registry on %s", code, to).WithSubject("unit/" + code)
	}
	if top.Ended() {
		return Rows{}, apperr.Precondition(ReasonUnitEnded,
			"unit %s ended on %s (merged into %s): its records count under %s in periods ending after that",
			code, top.EndedOn, top.SuccessorCode, top.SuccessorCode).WithSubject("unit/"+code).WithMeta("successor_unit_code", top.SuccessorCode)
	}
	rows := Rows{Units: []unitreg.Unit{top}, Of: map[string]int{}}
	index := map[string]int{code: 0}
	if mode == DirectChildren {
		for _, c := range reg.Children(code, to) {
			index[c.Code] = len(rows.Units)
			rows.Units = append(rows.Units, c)
		}
	}
	for _, u := range reg.List(to, "", true) {
		target, ok := reg.RollUpTarget(u.Code, p)
		if !ok {
			continue
		}
		if i, ok := rowOf(reg, target.Code, to, index); ok {
			rows.Of[u.Code] = i
		}
	}
	return rows, nil
}

// rowOf is the row of the unit holding records on day to: its own row, else its nearest
// ancestor's.
func rowOf(reg *unitreg.Registry, holder string, to calendar.Date, index map[string]int) (int, bool) {
	if i, ok := index[holder]; ok {
		return i, true
	}
	for _, a := range reg.Ancestors(holder, to) {
		if i, ok := index[a.Code]; ok {
			return i, true
		}
	}
	return 0, false
}
