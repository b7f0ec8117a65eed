package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/unitreg"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	"github.com/civicase/civicase/services/reporting/internal/domain"
	"github.com/civicase/civicase/services/reporting/internal/forms"
	"github.com/civicase/civicase/services/reporting/internal/period"
)

func monthOf(m int32) time.Month { return time.Month(m) }

// Generated is a filled form with what it was made from.
type Generated struct {
	Report *forms.Report
	// Unit is the reporting unit.
	Unit unitreg.Unit
	// Mode is the rows mode.
	Mode reportingv1.RowMode
	// ZeroUntilSource are the form's metric keys no event produces yet, with the source awaited.
	ZeroUntilSource []string
}

// rows resolves the rows of a report: the unit must be in force at the period's end.
func (a *App) rows(ctx context.Context, unit string, p period.Range, mode reportingv1.RowMode) (domain.Rows, error) {
	var rows domain.Rows
	m := domain.UnitAlone
	if mode == reportingv1.RowMode_ROW_MODE_DIRECT_CHILDREN {
		m = domain.DirectChildren
	}
	err := a.Units.With(ctx, func(reg *unitreg.Registry) error {
		var err error
		rows, err = domain.Rollup(reg, unit, unitreg.Period{From: CalOf(p.From), To: CalOf(p.To)}, m)
		return err
	})
	return rows, err
}

// rowSums reads the facts and adds them up per row.
func (a *App) rowSums(ctx context.Context, rows domain.Rows, p period.Range, metrics []string) ([]domain.Sums, uint64, error) {
	snap, err := a.Sums.Sums(ctx, rows.Codes(), metrics, CalOf(p.From), CalOf(p.To))
	if err != nil {
		return nil, 0, err
	}
	out := make([]domain.Sums, len(rows.Units))
	for code, s := range snap.ByUnit {
		if i, ok := rows.Of[code]; ok {
			out[i].Add(s)
		}
	}
	return out, snap.Seq, nil
}

// GenerateReport fills a form for a unit and a period and checks every identity printed on it.
func (a *App) GenerateReport(ctx context.Context, spec *reportingv1.ReportSpec) (*Generated, error) {
	p, err := Period(spec.GetPeriod())
	if err != nil {
		return nil, err
	}
	f, err := a.form(spec.GetFormCode(), spec.GetFormVersion(), p)
	if err != nil {
		return nil, err
	}
	rows, err := a.rows(ctx, spec.GetUnitCode(), p, spec.GetRows())
	if err != nil {
		return nil, err
	}
	sums, seq, err := a.rowSums(ctx, rows, p, a.formBaseMetrics(f))
	if err != nil {
		return nil, err
	}
	var zero []string
	var zeroCols []string
	for _, key := range f.Metrics() {
		if _, why, _ := domain.Metric(key); why != "" {
			zero = append(zero, key+": "+why)
			zeroCols = append(zeroCols, strconv.Itoa(f.ByMetric(key).No))
		}
	}
	units := make([]forms.UnitFacts, len(rows.Units))
	for i, u := range rows.Units {
		facts := forms.Facts{}
		for _, key := range f.Metrics() {
			fn, _, ok := domain.Metric(key)
			if !ok {
				return nil, apperr.Internal(ReasonFormUnknown, "form %s counts metric %s, which the read model cannot compute", f.Key(), key)
			}
			if v := fn(sums[i]); v != 0 {
				facts[key] = forms.Value(v)
			}
		}
		units[i] = forms.UnitFacts{Unit: forms.Unit{Code: u.Code, Name: u.Name}, Facts: facts}
	}
	r, err := forms.Compute(f, p, units)
	if err != nil {
		return nil, apperr.Internal(ReasonFormUnknown, "%s", err.Error()).WithCause(err)
	}
	r.Notes = spec.GetNotes()
	if len(zeroCols) > 0 {
		r.Notes = strings.TrimSpace(r.Notes + " (Cột " + strings.Join(zeroCols, ", ") + ": chưa có nguồn số liệu, ghi 0.)")
	}
	r.ComputedAt = fmt.Sprintf("nhật ký sự kiện đến số thứ tự %d", seq)
	// Every printed identity must hold on every row: a failure is a bug in the read model or in
	// the form data, never something to print.
	if err := forms.Check(r); err != nil {
		var ce *forms.CheckError
		if errors.As(err, &ce) && len(ce.Violations) > 0 {
			v := ce.Violations[0]
			return nil, apperr.Internal(ReasonIdentityFails, "%s: identity %q fails on row %q: %s", f.Key(), v.Identity, v.Row, err.Error()).
				WithMeta("identity", v.Identity).WithMeta("row", v.Row).WithCause(err)
		}
		return nil, apperr.Internal(ReasonIdentityFails, "%s: %v", f.Key(), err).WithCause(err)
	}
	top := rows.Units[0]
	return &Generated{Report: r, Unit: top, Mode: spec.GetRows(), ZeroUntilSource: zero}, nil
}

// formBaseMetrics are the base metrics a form's columns read.
func (a *App) formBaseMetrics(f *forms.Form) []string {
	if m, ok := a.baseMetrics.Load(f.Key()); ok {
		return m.([]string)
	}
	m := domain.BaseMetrics(f.Metrics())
	a.baseMetrics.Store(f.Key(), m)
	return m
}

// form picks the form version: the one asked for, or the one in force on the period's last day.
func (a *App) form(code, version string, p period.Range) (*forms.Form, error) {
	if version != "" {
		f, ok := a.Forms.Get(code, version)
		if !ok {
			return nil, apperr.NotFound(ReasonFormUnknown, "form %s version %s is not defined", code, version)
		}
		return f, nil
	}
	f, ok := a.Forms.InForce(code, p.To)
	if !ok {
		var codes []string
		for _, f := range a.Forms.All() {
			codes = append(codes, f.Code)
		}
		return nil, apperr.NotFound(ReasonFormUnknown, "form %s has no version in force on %s (forms: %s)", code, p.To, strings.Join(slices.Compact(codes), ", "))
	}
	return f, nil
}

// ReportProto converts a generated report for the API and for freezing in a submission.
func ReportProto(g *Generated) *reportingv1.Report {
	r := g.Report
	f := r.Form
	out := &reportingv1.Report{
		FormCode: f.Code, FormVersion: f.Version, Circular: f.Circular, Title: f.Title,
		UnitCode: g.Unit.Code, UnitName: g.Unit.Name, Period: PeriodProto(r.Period), RowMode: g.Mode,
		Total: rowProto(f, r.Total), Notes: r.Notes, ComputedAt: r.ComputedAt, ZeroUntilSource: g.ZeroUntilSource,
	}
	if out.RowMode == reportingv1.RowMode_ROW_MODE_UNSPECIFIED {
		out.RowMode = reportingv1.RowMode_ROW_MODE_UNIT_ALONE
	}
	for _, c := range f.Columns {
		col := &reportingv1.Column{No: int32(c.No), Header: strings.Join(append(slices.Clone(c.Path), c.Header), " / "),
			English: c.English, Metric: c.Metric, Measure: measureProto(c.Measure)}
		if c.Formula != nil {
			col.Formula = c.Formula.String()
		}
		out.Columns = append(out.Columns, col)
	}
	for _, u := range r.Units {
		out.Rows = append(out.Rows, rowProto(f, u))
	}
	for _, id := range f.Identities {
		out.IdentitiesChecked = append(out.IdentitiesChecked, id.Printed)
	}
	return out
}

func rowProto(f *forms.Form, row forms.Row) *reportingv1.ReportRow {
	out := &reportingv1.ReportRow{UnitCode: row.Unit.Code, UnitName: row.Unit.Name}
	for _, c := range f.Columns {
		switch {
		case c.Measure == forms.Text && row.Text[c.No] != "":
			out.Cells = append(out.Cells, &reportingv1.Cell{Column: int32(c.No), Text: row.Text[c.No]})
		case c.Measure.Numeric() && row.Values[c.No] != 0:
			v := row.Values[c.No]
			out.Cells = append(out.Cells, &reportingv1.Cell{Column: int32(c.No), Value: int64(v), Text: c.Measure.FormatVN(v)})
		}
	}
	return out
}

func measureProto(m forms.Measure) reportingv1.Measure {
	switch m {
	case forms.Count:
		return reportingv1.Measure_MEASURE_COUNT
	case forms.Money:
		return reportingv1.Measure_MEASURE_MONEY
	case forms.Area:
		return reportingv1.Measure_MEASURE_AREA
	case forms.Text:
		return reportingv1.Measure_MEASURE_TEXT
	}
	return reportingv1.Measure_MEASURE_UNSPECIFIED
}

// ReportFromProto rebuilds a filled form from its frozen cells, for exporting a submission
// exactly as submitted.
func (a *App) ReportFromProto(p *reportingv1.Report) (*forms.Report, error) {
	f, ok := a.Forms.Get(p.GetFormCode(), p.GetFormVersion())
	if !ok {
		return nil, apperr.Internal(ReasonFormUnknown, "the submitted report's form %s@%s is no longer defined", p.GetFormCode(), p.GetFormVersion())
	}
	per := period.Range{From: CivilOf(domainDate(p.GetPeriod().GetFrom())), To: CivilOf(domainDate(p.GetPeriod().GetTo())), Year: int(p.GetPeriod().GetYear())}
	if k, ok := periodKinds[p.GetPeriod().GetKind()]; ok {
		per.Kind = k
	}
	row := func(pr *reportingv1.ReportRow) forms.Row {
		r := forms.Row{Unit: forms.Unit{Code: pr.GetUnitCode(), Name: pr.GetUnitName()}, Values: map[int]forms.Value{}}
		for _, c := range pr.GetCells() {
			col := f.Column(int(c.GetColumn()))
			if col != nil && col.Measure == forms.Text {
				if r.Text == nil {
					r.Text = map[int]string{}
				}
				r.Text[int(c.GetColumn())] = c.GetText()
			} else {
				r.Values[int(c.GetColumn())] = forms.Value(c.GetValue())
			}
		}
		return r
	}
	out := &forms.Report{Form: f, Period: per, Total: row(p.GetTotal()), Notes: p.GetNotes(), ComputedAt: p.GetComputedAt()}
	for _, r := range p.GetRows() {
		out.Units = append(out.Units, row(r))
	}
	return out, nil
}
