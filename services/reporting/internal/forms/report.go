package forms

import (
	"errors"
	"fmt"
	"strings"

	"github.com/civicase/civicase/services/reporting/internal/period"
)

// TotalLabel is the printed name of the total row.
const TotalLabel = "Tổng cộng"

// Unit is a reporting unit (ward, commune, agency) as it appears on a row.
type Unit struct {
	// Code is the unit registry's code.
	Code string
	// Name is the unit's Vietnamese name as printed.
	Name string
}

// Row is one line of a report: a unit's values, or the total.
type Row struct {
	// Unit is the unit the row reports; the total row has no code.
	Unit Unit
	// Values holds numeric cells by column number; a missing cell is zero.
	Values map[int]Value
	// Text holds text cells (the notes column of 01/TCD) by column number.
	Text map[int]string
}

// Label names the row in messages: its unit code and name.
func (r Row) Label() string {
	if r.Unit.Code == "" {
		return r.Unit.Name
	}
	return r.Unit.Code + " " + r.Unit.Name
}

func (r Row) sum(e Expr) Value {
	var s Value
	for _, no := range e {
		s += r.Values[no]
	}
	return s
}

// Report is one filled form: the form version, the period, a row per unit,
// the total row and the notes line.
type Report struct {
	// Form is the form version the report fills.
	Form *Form
	// Period is the reporting period whose facts the rows count.
	Period period.Range
	// Units are the unit rows, in printed order.
	Units []Row
	// Total is the "Tổng cộng" row, the sum of the unit rows.
	Total Row
	// Notes is the free notes line printed under the table.
	Notes string
	// ComputedAt is an optional stamp line saying what state of the log the
	// numbers come from: the log position and the audit checkpoint covering it.
	ComputedAt string
}

// Facts are a unit's values by metric key, as projections compute them; an
// absent metric counts as zero.
type Facts map[string]Value

// UnitFacts are the facts for one unit row.
type UnitFacts struct {
	// Unit is the row's unit.
	Unit Unit
	// Facts are the values of the form's fact columns, by metric key.
	Facts Facts
	// Text holds text cells by column number.
	Text map[int]string
}

// Compute builds the report of form f for period p: each unit row takes its
// fact columns from the facts and computes the formula columns, and the
// total row is the sum of the unit rows. A fact for an unknown metric or for
// a formula column is an error, since it would be silently dropped.
func Compute(f *Form, p period.Range, units []UnitFacts) (*Report, error) {
	r := &Report{Form: f, Period: p, Total: Row{Unit: Unit{Name: TotalLabel}, Values: map[int]Value{}}}
	seen := map[string]bool{}
	for _, u := range units {
		if u.Unit.Code == "" || seen[u.Unit.Code] {
			return nil, fmt.Errorf("%s: unit code %q is empty or repeated: each unit has one row", f.Key(), u.Unit.Code)
		}
		seen[u.Unit.Code] = true
		row := Row{Unit: u.Unit, Values: map[int]Value{}}
		for metric, v := range u.Facts {
			c := f.ByMetric(metric)
			switch {
			case c == nil:
				return nil, fmt.Errorf("%s: unit %s: %s is not a metric of this form", f.Key(), u.Unit.Code, metric)
			case c.Formula != nil:
				return nil, fmt.Errorf("%s: unit %s: %s is column %d = %s, computed, not a fact", f.Key(), u.Unit.Code, metric, c.No, c.Formula)
			}
			row.Values[c.No] = v
		}
		for no, s := range u.Text {
			if c := f.Column(no); c == nil || c.Measure != Text {
				return nil, fmt.Errorf("%s: unit %s: column %d is not a text column", f.Key(), u.Unit.Code, no)
			}
			if row.Text == nil {
				row.Text = map[int]string{}
			}
			row.Text[no] = s
		}
		for _, c := range f.order {
			row.Values[c.No] = row.sum(c.Formula)
		}
		for _, c := range f.Columns {
			if c.Measure.Numeric() {
				r.Total.Values[c.No] += row.Values[c.No]
			}
		}
		r.Units = append(r.Units, row)
	}
	return r, nil
}

// Violation is one identity that does not hold on one row.
type Violation struct {
	// Form is the form version's key.
	Form string
	// Row names the row (unit code and name, or "Tổng cộng").
	Row string
	// Identity is the identity as printed, or "Tổng cộng = Σ đơn vị (cột N)"
	// for the total row.
	Identity string
	// Left and Right are the two sides that differ.
	Left, Right Expr
	// LeftValue and RightValue are their values, formatted in the column's unit.
	LeftValue, RightValue string
	// Verify is the identity's mark (Identity.Verify): set, the violation is a warning.
	Verify string
}

// Error describes the violation with both sides and their values.
func (v Violation) Error() string {
	return fmt.Sprintf("%s row %q: identity %q fails: %s", v.Form, v.Row, v.Identity, v.Detail())
}

// Detail is the two sides that differ with their values, "6 = 1 ≠ 24+26+28 = 0".
func (v Violation) Detail() string {
	return fmt.Sprintf("%s = %s ≠ %s = %s", v.Left, v.LeftValue, v.Right, v.RightValue)
}

// CheckError lists every violation found in a report.
type CheckError struct {
	// Violations are in row order, then identity order.
	Violations []Violation
}

// Error lists the violations, one per line.
func (e *CheckError) Error() string {
	lines := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		lines[i] = v.Error()
	}
	return fmt.Sprintf("%d identity violation(s):\n%s", len(lines), strings.Join(lines, "\n"))
}

// Check verifies every identity of the report's form on every unit row and on
// the total row, and that the total row is the sum of the unit rows. It
// returns a *CheckError naming each failing identity with both sides, or nil.
//
// Failures of identities marked for verification (Identity.Verify) are not
// in the error: they are returned as warnings, because the identity itself
// may be what is wrong (the printed circular wins over the source we encoded
// it from, and nobody has checked it yet). Every other failure is a bug in the
// read model or the form data, never something to print.
func Check(r *Report) (warnings []Violation, err error) {
	if r == nil || r.Form == nil {
		return nil, errors.New("forms: report has no form")
	}
	f := r.Form
	var vs []Violation
	checkRow := func(row Row) {
		for _, id := range f.Identities {
			m := f.Column(id.Sides[0][0]).Measure
			left := row.sum(id.Sides[0])
			for _, side := range id.Sides[1:] {
				if right := row.sum(side); right != left {
					v := Violation{Form: f.Key(), Row: row.Label(), Identity: id.Printed,
						Left: id.Sides[0], Right: side, LeftValue: m.Format(left), RightValue: m.Format(right), Verify: id.Verify}
					if v.Verify != "" {
						warnings = append(warnings, v)
					} else {
						vs = append(vs, v)
					}
				}
			}
		}
		for no := range row.Values {
			if c := f.Column(no); c == nil || !c.Measure.Numeric() {
				vs = append(vs, Violation{Form: f.Key(), Row: row.Label(),
					Identity: fmt.Sprintf("column %d is not a numeric column of the form", no)})
			}
		}
	}
	for _, u := range r.Units {
		checkRow(u)
	}
	checkRow(r.Total)
	for _, c := range f.Columns {
		if !c.Measure.Numeric() {
			continue
		}
		var sum Value
		for _, u := range r.Units {
			sum += u.Values[c.No]
		}
		if got := r.Total.Values[c.No]; got != sum {
			vs = append(vs, Violation{Form: f.Key(), Row: r.Total.Label(),
				Identity: fmt.Sprintf("%s = Σ đơn vị (cột %d)", TotalLabel, c.No),
				Left:     Expr{c.No}, Right: Expr{c.No},
				LeftValue: c.Measure.Format(got), RightValue: c.Measure.Format(sum) + " (Σ đơn vị)"})
		}
	}
	if len(vs) > 0 {
		return warnings, &CheckError{Violations: vs}
	}
	return warnings, nil
}
