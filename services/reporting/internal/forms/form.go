// Package forms holds the statutory report forms (biểu mẫu báo cáo) as
// versioned data, the Report model filled from projection facts, and the
// checker that every identity printed on a form holds in a generated report.
//
// Forms change with circulars, so they are data files embedded from
// data/<circular>/<form>.yaml, one per form and version; code never names a
// column's meaning. A new circular or a corrected layout is a new file with a
// new version and effective_from date: reports of earlier periods keep the
// version they were made with (Registry.InForce picks by date).
//
// Each numbered column names the fact it counts (a metric key that the
// projections compute) and its measure; a column that is a sum of others
// declares the formula, which must also be one of the identities printed on
// the form. Check verifies every printed identity on every row.
package forms

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"cloud.google.com/go/civil"
)

// Form is one statutory form in one version: its header tree, its numbered
// columns and the identities printed under them.
type Form struct {
	// Code is the form's number as printed, e.g. "01/TCD".
	Code string
	// Circular is the circular under which the form is reported.
	Circular string
	// Version tells apart successive encodings of the same form.
	Version string
	// EffectiveFrom is the first civil date the version applies to.
	EffectiveFrom civil.Date
	// Shape names the circular whose layout the columns follow when it is
	// not Circular (03/KQGQ and 04/KQGQ keep the 02/2021 shape).
	Shape string
	// Source says where the layout was taken from and what is to verify.
	Source string
	// Title is the Vietnamese title exactly as printed.
	Title string
	// TitleEN is the English meaning of the title.
	TitleEN string
	// UnitHeader heads the unit column ("Đơn vị").
	UnitHeader string
	// Header is the column tree as printed, left to right, without the unit column.
	Header []*HeaderNode
	// Columns are the numbered columns; Columns[i].No == i+1.
	Columns []*Column
	// Identities are the equalities printed on the form, each holding on every row (those marked
	// Verify are still to check against the printed circular; see Check).
	Identities []Identity

	byMetric map[string]*Column
	order    []*Column // formula columns in an order where operands come first
}

// HeaderNode is a cell of the printed header: a group over other nodes or a
// numbered column.
type HeaderNode struct {
	// Text is the Vietnamese header text.
	Text string
	// English is its meaning.
	English string
	// Column is set on leaves.
	Column *Column
	// Children are set on groups.
	Children []*HeaderNode
}

// Leaves are the numbered columns under n, left to right.
func (n *HeaderNode) Leaves() []*Column {
	if n.Column != nil {
		return []*Column{n.Column}
	}
	var out []*Column
	for _, c := range n.Children {
		out = append(out, c.Leaves()...)
	}
	return out
}

// Depth is the number of header rows n needs.
func (n *HeaderNode) Depth() int {
	d := 0
	for _, c := range n.Children {
		d = max(d, c.Depth())
	}
	return d + 1
}

// HeaderDepth is the number of header rows of the form (without the MS row).
func (f *Form) HeaderDepth() int {
	d := 0
	for _, n := range f.Header {
		d = max(d, n.Depth())
	}
	return d
}

// Column is a numbered column of a form.
type Column struct {
	// No is the number printed in the MS row.
	No int
	// Header is the Vietnamese header text of the leaf cell.
	Header string
	// English is its meaning.
	English string
	// Path holds the Vietnamese texts of the groups above the column, outermost first.
	Path []string
	// Metric is the stable key of the fact the column counts; empty for text columns.
	Metric string
	// Measure is what the column counts.
	Measure Measure
	// Formula is set when the column is the sum of other columns, computed
	// rather than taken from facts.
	Formula Expr
	// Remark notes what is still to verify about the column.
	Remark string
}

// Key names the form version, e.g. "01/TCD@2024.1".
func (f *Form) Key() string { return f.Code + "@" + f.Version }

// Column returns the numbered column no, or nil.
func (f *Form) Column(no int) *Column {
	if no < 1 || no > len(f.Columns) {
		return nil
	}
	return f.Columns[no-1]
}

// ByMetric returns the column that counts metric, or nil.
func (f *Form) ByMetric(metric string) *Column { return f.byMetric[metric] }

// Metrics lists the metric keys of the columns taken from facts (not
// formulas), in column order: what a projection must compute for the form.
func (f *Form) Metrics() []string {
	var out []string
	for _, c := range f.Columns {
		if c.Metric != "" && c.Formula == nil {
			out = append(out, c.Metric)
		}
	}
	return out
}

// Expr is a sum of numbered columns.
type Expr []int

// String prints the sum the way forms do, "4+13+22".
func (e Expr) String() string {
	parts := make([]string, len(e))
	for i, n := range e {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, "+")
}

func (e Expr) sameTerms(o Expr) bool {
	a, b := slices.Clone(e), slices.Clone(o)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// Identity is an equality chain printed on a form, e.g. "6 = 8+9+10 = 11+12+13
// = 14+18": every side has the same value on every row.
type Identity struct {
	// Printed is the identity as written in the data.
	Printed string
	// Sides are the sums that must be equal, left to right.
	Sides []Expr
	// Verify, when set, says why the identity is still to check against the printed circular
	// (the source we encoded it from may be wrong). The circular wins, so until someone checks
	// it a failure is a warning on the report, not a refusal.
	Verify string
}

func parseExpr(s string) (Expr, error) {
	var e Expr
	for _, t := range strings.Split(s, "+") {
		n, err := strconv.Atoi(strings.TrimSpace(t))
		if err != nil {
			return nil, fmt.Errorf("%q: %q is not a column number", s, strings.TrimSpace(t))
		}
		e = append(e, n)
	}
	return e, nil
}

func parseIdentity(s string) (Identity, error) {
	id := Identity{Printed: s}
	for _, side := range strings.Split(s, "=") {
		e, err := parseExpr(side)
		if err != nil {
			return Identity{}, err
		}
		id.Sides = append(id.Sides, e)
	}
	if len(id.Sides) < 2 {
		return Identity{}, fmt.Errorf("%q has no '='", s)
	}
	return id, nil
}
