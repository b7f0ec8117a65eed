package app

import (
	"context"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/unitreg"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	"github.com/civicase/civicase/services/reporting/internal/domain"
	"github.com/civicase/civicase/services/reporting/internal/period"
)

var classProto = map[domain.Class]reportingv1.KindClass{
	domain.Complaint: reportingv1.KindClass_KIND_CLASS_COMPLAINT, domain.Denunciation: reportingv1.KindClass_KIND_CLASS_DENUNCIATION,
	domain.Recommendation: reportingv1.KindClass_KIND_CLASS_RECOMMENDATION, domain.Other: reportingv1.KindClass_KIND_CLASS_OTHER,
}

// statusCounts say how each dashboard status is computed from the same sums the forms use.
var statusCounts = []struct {
	status reportingv1.CaseStatus
	count  func(s domain.Sums, k string) int64
}{
	{reportingv1.CaseStatus_CASE_STATUS_RECEIVED, func(s domain.Sums, k string) int64 { return s.Get(domain.M(domain.XLDIn, k)).During }},
	{reportingv1.CaseStatus_CASE_STATUS_PROCESSED, func(s domain.Sums, k string) int64 { return s.Get(domain.M(domain.XLDOut, k)).During }},
	{reportingv1.CaseStatus_CASE_STATUS_AWAITING_PROCESSING, func(s domain.Sums, k string) int64 {
		in, out := s.Get(domain.M(domain.XLDIn, k)), s.Get(domain.M(domain.XLDOut, k))
		return in.Before + in.During - out.Before - out.During
	}},
	{reportingv1.CaseStatus_CASE_STATUS_ACCEPTED, func(s domain.Sums, k string) int64 { return s.Get(domain.M(domain.ResIn, k)).During }},
	{reportingv1.CaseStatus_CASE_STATUS_RESOLVED, func(s domain.Sums, k string) int64 { return s.Get(domain.M(domain.ResOut, k)).During }},
	{reportingv1.CaseStatus_CASE_STATUS_BEING_RESOLVED, func(s domain.Sums, k string) int64 {
		in, out := s.Get(domain.M(domain.ResIn, k)), s.Get(domain.M(domain.ResOut, k))
		return in.Before + in.During - out.Before - out.During
	}},
}

// CountCases counts petitions and cases by row unit, kind and status.
func (a *App) CountCases(ctx context.Context, req *reportingv1.CountCasesRequest) (*reportingv1.CountCasesResponse, error) {
	p, err := Period(req.GetPeriod())
	if err != nil {
		return nil, err
	}
	rows, err := a.rows(ctx, req.GetUnitCode(), p, req.GetRows())
	if err != nil {
		return nil, err
	}
	var metrics []string
	for _, k := range domain.Classes {
		for _, m := range []string{domain.XLDIn, domain.XLDOut, domain.ResIn, domain.ResOut} {
			metrics = append(metrics, domain.M(m, string(k)))
		}
	}
	sums, _, err := a.rowSums(ctx, rows, p, metrics)
	if err != nil {
		return nil, err
	}
	out := &reportingv1.CountCasesResponse{Period: PeriodProto(p)}
	for i, u := range rows.Units {
		for _, k := range domain.Classes {
			for _, sc := range statusCounts {
				if n := sc.count(sums[i], string(k)); n != 0 {
					out.Counts = append(out.Counts, &reportingv1.CaseCount{UnitCode: u.Code, Kind: classProto[k], Status: sc.status, Count: n})
				}
			}
		}
	}
	return out, nil
}

// OnTimeRate is the share of decisions and conclusions made within their legal period.
func (a *App) OnTimeRate(ctx context.Context, req *reportingv1.OnTimeRateRequest) (*reportingv1.OnTimeRateResponse, error) {
	p, err := Period(req.GetPeriod())
	if err != nil {
		return nil, err
	}
	rows, err := a.rows(ctx, req.GetUnitCode(), p, reportingv1.RowMode_ROW_MODE_UNIT_ALONE)
	if err != nil {
		return nil, err
	}
	var metrics []string
	for _, k := range []domain.Class{domain.Complaint, domain.Denunciation} {
		metrics = append(metrics, domain.M(domain.ResOnTime, string(k)), domain.M(domain.ResLate, string(k)))
	}
	sums, _, err := a.rowSums(ctx, rows, p, metrics)
	if err != nil {
		return nil, err
	}
	out := &reportingv1.OnTimeRateResponse{Period: PeriodProto(p)}
	total := &reportingv1.OnTimeRate{}
	for _, k := range []domain.Class{domain.Complaint, domain.Denunciation} {
		r := &reportingv1.OnTimeRate{Kind: classProto[k],
			OnTime: sums[0].Get(domain.M(domain.ResOnTime, string(k))).During, Late: sums[0].Get(domain.M(domain.ResLate, string(k))).During}
		total.OnTime += r.OnTime
		total.Late += r.Late
		out.Rates = append(out.Rates, rate(r))
	}
	out.Rates = append(out.Rates, rate(total))
	return out, nil
}

func rate(r *reportingv1.OnTimeRate) *reportingv1.OnTimeRate {
	if n := r.OnTime + r.Late; n > 0 {
		r.Rate = float64(r.OnTime) / float64(n)
	}
	return r
}

// trendMetrics are the base metrics a trend status counts, by class.
var trendMetrics = map[reportingv1.CaseStatus]string{
	reportingv1.CaseStatus_CASE_STATUS_RECEIVED:  domain.XLDIn,
	reportingv1.CaseStatus_CASE_STATUS_PROCESSED: domain.XLDOut,
	reportingv1.CaseStatus_CASE_STATUS_ACCEPTED:  domain.ResIn,
	reportingv1.CaseStatus_CASE_STATUS_RESOLVED:  domain.ResOut,
}

// Trend counts per calendar month of the period.
func (a *App) Trend(ctx context.Context, req *reportingv1.TrendRequest) (*reportingv1.TrendResponse, error) {
	p, err := Period(req.GetPeriod())
	if err != nil {
		return nil, err
	}
	rows, err := a.rows(ctx, req.GetUnitCode(), p, reportingv1.RowMode_ROW_MODE_UNIT_ALONE)
	if err != nil {
		return nil, err
	}
	prefix := trendMetrics[req.GetStatus()]
	var metrics []string
	for k, pk := range classProto {
		if req.GetKind() == reportingv1.KindClass_KIND_CLASS_UNSPECIFIED || req.GetKind() == pk {
			metrics = append(metrics, domain.M(prefix, string(k)))
		}
	}
	from, to := CalOf(p.From), CalOf(p.To)
	byMonth, err := a.Sums.Monthly(ctx, rows.Codes(), metrics, from, to)
	if err != nil {
		return nil, err
	}
	return &reportingv1.TrendResponse{Period: PeriodProto(p), Points: trendPoints(p, byMonth)}, nil
}

func trendPoints(p period.Range, byMonth map[calendar.Date]int64) []*reportingv1.TrendPoint {
	var out []*reportingv1.TrendPoint
	from, to := CalOf(p.From), CalOf(p.To)
	for m := (calendar.Date{Year: from.Year, Month: from.Month, Day: 1}); !m.After(to); m = calendar.NewDate(m.Year, m.Month+1, 1) {
		first, last := m, calendar.NewDate(m.Year, m.Month+1, 0)
		if first.Before(from) {
			first = from
		}
		if last.After(to) {
			last = to
		}
		out = append(out, &reportingv1.TrendPoint{From: unitreg.DateProto(first), To: unitreg.DateProto(last), Count: byMonth[m]})
	}
	return out
}
