package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/unitreg"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	"github.com/civicase/civicase/services/reporting/internal/adapters/postgres"
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
	// Stamp is the log position the numbers come from, with the audit checkpoint covering it.
	Stamp *reportingv1.LogStamp
	// Warnings are the failures of identities marked for verification.
	Warnings []forms.Violation
}

// source is where a report's numbers come from: the live read model or a past state of it.
type source struct {
	units Units
	sums  SumsSource
	// asOf is the past state's sequence; 0 for the live read model.
	asOf uint64
}

// rows resolves the rows of a report: the unit must be in force at the period's end.
func rows(ctx context.Context, units Units, unit string, p period.Range, mode reportingv1.RowMode) (domain.Rows, error) {
	var rows domain.Rows
	m := domain.UnitAlone
	if mode == reportingv1.RowMode_ROW_MODE_DIRECT_CHILDREN {
		m = domain.DirectChildren
	}
	err := units.With(ctx, func(reg *unitreg.Registry) error {
		var err error
		rows, err = domain.Rollup(reg, unit, unitreg.Period{From: CalOf(p.From), To: CalOf(p.To)}, m)
		return err
	})
	return rows, err
}

// rows resolves the rows of a report from the live unit registry.
func (a *App) rows(ctx context.Context, unit string, p period.Range, mode reportingv1.RowMode) (domain.Rows, error) {
	return rows(ctx, a.Units, unit, p, mode)
}

// rowSums reads the facts and adds them up per row.
func rowSums(ctx context.Context, sums SumsSource, rows domain.Rows, p period.Range, metrics []string) ([]domain.Sums, uint64, error) {
	snap, err := sums.Sums(ctx, rows.Codes(), metrics, CalOf(p.From), CalOf(p.To))
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

// rowSums reads the live facts.
func (a *App) rowSums(ctx context.Context, rows domain.Rows, p period.Range, metrics []string) ([]domain.Sums, uint64, error) {
	return rowSums(ctx, a.Sums, rows, p, metrics)
}

// GenerateReport fills a form for a unit and a period and checks every identity printed on it:
// from the live read model, or, with spec.as_of, from the read model rebuilt as it stood then.
func (a *App) GenerateReport(ctx context.Context, spec *reportingv1.ReportSpec) (*Generated, error) {
	if spec.GetAsOf() == nil {
		return a.generate(ctx, spec, source{units: a.Units, sums: a.Sums})
	}
	if a.Past == nil {
		return nil, apperr.Precondition(ReasonAsOfUnavailable, "this deployment does not compute reports as of a past point")
	}
	// A spec that cannot be filled is refused before a rebuild, which reads the log from its start.
	p, err := Period(spec.GetPeriod())
	if err != nil {
		return nil, err
	}
	if _, err := a.form(spec.GetFormCode(), spec.GetFormVersion(), p); err != nil {
		return nil, err
	}
	seq, err := a.asOfSeq(ctx, spec.GetAsOf())
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		view, release, err := a.Past.At(ctx, seq)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, apperr.Unavailable(ReasonAsOfUnavailable, "the read model as of sequence %d could not be rebuilt", seq).WithCause(err)
		}
		g, err := a.generate(ctx, spec, source{units: view.Units, sums: view.Sums, asOf: seq})
		release()
		if errors.Is(err, postgres.ErrPastGone) && attempt == 0 {
			a.Past.Forget(seq) // another replica dropped it: rebuild once
			continue
		}
		return g, err
	}
}

// asOfSeq resolves a past point to a sequence of the log: a sequence as given, a time as the last
// message the log stored at or before it (storage time: what the system knew then).
func (a *App) asOfSeq(ctx context.Context, asOf *reportingv1.AsOf) (uint64, error) {
	live, err := a.Store.LastSeq(ctx)
	if err != nil {
		return 0, err
	}
	if asOf.GetTime() == nil {
		n := asOf.GetSequence()
		if n > live {
			return 0, apperr.Precondition(ReasonAsOfAfterLog, "the log ends at sequence %d, before %d", live, n)
		}
		return n, nil
	}
	t := asOf.GetTime().AsTime()
	n := live
	err = a.Store.Read(ctx, eventstore.ReadOptions{From: eventstore.From{Time: t.Add(time.Nanosecond)}}, func(c eventstore.Commit) error {
		n = c.Seq - 1
		return errStopRead
	})
	if err != nil && !errors.Is(err, errStopRead) {
		return 0, err
	}
	if n == 0 {
		return 0, apperr.Precondition(ReasonAsOfBeforeLog, "the log holds nothing stored at or before %s: its first event is later",
			t.In(calendar.Vietnam).Format(time.RFC3339))
	}
	return n, nil
}

var errStopRead = errors.New("stop reading")

// generate fills the form from one source.
func (a *App) generate(ctx context.Context, spec *reportingv1.ReportSpec, src source) (*Generated, error) {
	p, err := Period(spec.GetPeriod())
	if err != nil {
		return nil, err
	}
	f, err := a.form(spec.GetFormCode(), spec.GetFormVersion(), p)
	if err != nil {
		return nil, err
	}
	rows, err := rows(ctx, src.units, spec.GetUnitCode(), p, spec.GetRows())
	if err != nil {
		return nil, err
	}
	sums, seq, err := rowSums(ctx, src.sums, rows, p, a.formBaseMetrics(f))
	if err != nil {
		return nil, err
	}
	if src.asOf != 0 && seq != src.asOf {
		return nil, postgres.ErrPastGone
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
	warnings, err := checkIdentities(r)
	if err != nil {
		return nil, err
	}
	if len(warnings) > 0 {
		r.Notes = strings.TrimSpace(r.Notes + " " + WarningNote(warnings))
		a.Log.WarnContext(ctx, "reporting: an identity marked for verification fails; the report carries a warning",
			"form", f.Key(), "identity", warnings[0].Identity, "row", warnings[0].Row, "detail", warnings[0].Detail())
	}
	stamp := &reportingv1.LogStamp{Sequence: seq, AsOf: src.asOf != 0}
	a.stampCheckpoint(ctx, stamp)
	r.ComputedAt = StampText(stamp)
	top := rows.Units[0]
	return &Generated{Report: r, Unit: top, Mode: spec.GetRows(), ZeroUntilSource: zero, Stamp: stamp, Warnings: warnings}, nil
}

// checkIdentities checks every printed identity on every row. A failure of an identity marked for
// verification is returned as a warning the report carries (the identity itself may be what is
// wrong, and the printed circular wins); any other failure is a bug in the read model or in the
// form data, never something to print, and refuses the report.
func checkIdentities(r *forms.Report) ([]forms.Violation, error) {
	warnings, err := forms.Check(r)
	if err == nil {
		return warnings, nil
	}
	f := r.Form
	var ce *forms.CheckError
	if errors.As(err, &ce) && len(ce.Violations) > 0 {
		v := ce.Violations[0]
		return nil, apperr.Internal(ReasonIdentityFails, "%s: identity %q fails on row %q: %s", f.Key(), v.Identity, v.Row, err.Error()).
			WithMeta("identity", v.Identity).WithMeta("row", v.Row).WithCause(err)
	}
	return nil, apperr.Internal(ReasonIdentityFails, "%s: %v", f.Key(), err).WithCause(err)
}

// WarningNote is the sentence the notes line gets for failed identities marked for verification,
// one clause per identity naming the rows it failed on.
func WarningNote(warnings []forms.Violation) string {
	var ids []string
	rowsOf := map[string][]string{}
	for _, w := range warnings {
		if _, seen := rowsOf[w.Identity]; !seen {
			ids = append(ids, w.Identity)
		}
		if rs := rowsOf[w.Identity]; !slices.Contains(rs, w.Row) {
			rowsOf[w.Identity] = append(rs, w.Row)
		}
	}
	clauses := make([]string, len(ids))
	for i, id := range ids {
		clauses[i] = "đẳng thức “" + id + "” (đang chờ đối chiếu với mẫu in của thông tư) không thỏa mãn ở dòng " + strings.Join(rowsOf[id], "; ")
	}
	return "(Cảnh báo: " + strings.Join(clauses, "; ") + ".)"
}

// stampCheckpoint adds the audit checkpoint covering the stamp's sequence, when there is one. A
// failure to ask is logged, never a reason to withhold the report.
func (a *App) stampCheckpoint(ctx context.Context, s *reportingv1.LogStamp) {
	if a.Checkpoints == nil || s.GetSequence() == 0 {
		return
	}
	cp, leaves, err := a.Checkpoints.Covering(ctx, s.GetSequence())
	if err != nil {
		a.Log.WarnContext(ctx, "reporting: no audit checkpoint for the report's stamp", "seq", s.GetSequence(), "err", err)
		return
	}
	if cp != nil {
		s.Checkpoint, s.Leaves = cp, leaves
	}
}

// StampText is the stamp as the exports print it after "Số liệu được tính tại: ".
func StampText(s *reportingv1.LogStamp) string {
	if s.GetSequence() == 0 {
		return "nhật ký chưa có sự kiện nào"
	}
	t := fmt.Sprintf("sự kiện thứ %d của nhật ký", s.GetSequence())
	if s.GetAsOf() {
		t += " (số liệu dựng lại theo nhật ký đến thời điểm đó)"
	}
	if cp := s.GetCheckpoint(); cp != nil {
		t += fmt.Sprintf("; điểm kiểm tra %s kích thước %d, gốc %s", cp.GetOrigin(), cp.GetTreeSize(), base64.StdEncoding.EncodeToString(cp.GetRootHash()))
	}
	return t
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
		Total: rowProto(f, r.Total), Notes: r.Notes, ComputedAt: r.ComputedAt, ZeroUntilSource: g.ZeroUntilSource, Stamp: g.Stamp,
	}
	for _, w := range g.Warnings {
		out.IdentityWarnings = append(out.IdentityWarnings, &reportingv1.IdentityWarning{Identity: w.Identity, Row: w.Row, Detail: w.Detail(), Verify: w.Verify})
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
