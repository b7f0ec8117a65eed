package reporting_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/civicase/civicase/pkg/projection"
	"github.com/civicase/civicase/pkg/testenv"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	"github.com/civicase/civicase/services/reporting"
	"github.com/civicase/civicase/services/reporting/internal/adapters/postgres"
	"github.com/civicase/civicase/services/reporting/plans"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var (
	alone    = reportingv1.RowMode_ROW_MODE_UNIT_ALONE
	children = reportingv1.RowMode_ROW_MODE_DIRECT_CHILDREN
)

// TestReportsOfTheHandMadeHistory generates every report of testdata/expected.yaml and compares
// its non-zero cells with the numbers written by hand there; then roll-up by children, exports,
// dashboards, the merger, obligations and frozen submissions on the same history.
func TestReportsOfTheHandMadeHistory(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, time.Date(2025, 12, 10, 10, 0, 0, 0, time.UTC))
	w.history()
	w.caughtUp()

	t.Run("expected cells", func(t *testing.T) {
		for _, e := range loadExpected(t).Reports {
			res, err := w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: spec(e.Form, e.Unit, e.Period, alone)})
			if err != nil {
				t.Errorf("%s %s %s: %v", e.Form, e.Unit, e.Period, err)
				continue
			}
			r := res.GetReport()
			if len(r.GetRows()) != 1 || r.GetRows()[0].GetUnitCode() != e.Unit {
				t.Errorf("%s %s %s: rows %v, want the unit alone", e.Form, e.Unit, e.Period, r.GetRows())
				continue
			}
			if d := diffCells(cells(r.GetRows()[0]), want(e.Cells)); d != "" {
				t.Errorf("%s %s %s:%s", e.Form, e.Unit, e.Period, d)
			}
			if d := diffCells(cells(r.GetTotal()), want(e.Cells)); d != "" {
				t.Errorf("%s %s %s total:%s", e.Form, e.Unit, e.Period, d)
			}
			if len(r.GetIdentitiesChecked()) == 0 && e.Form != "02/KQGQ" {
				t.Errorf("%s: no identity reported as checked", e.Form)
			}
		}
	})

	t.Run("rebuild gives the same tables", func(t *testing.T) {
		// The live projection applied the history commit by commit; a rebuild applies it in
		// batches, reading case states from its transaction's cache. Both must agree.
		r, err := projection.NewRunner(postgres.NewFacts(), projection.Config{Store: w.store, Pool: w.svc.Env.DB, Schema: "rebuild_check"})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		for _, table := range (&postgres.Facts{}).Tables() {
			n, err := projection.CompareTables(ctx, w.svc.Env.DB, "reporting."+table, "rebuild_check."+table)
			if err != nil || n != 0 {
				t.Errorf("%s: %d rows differ (%v)", table, n, err)
			}
		}
	})

	t.Run("explicit range", func(t *testing.T) {
		// 2025-02-03..2025-04-02 at K: K2 carried over (received 01-22, processed 02-05); K3 K4 K5
		// K6 K7 K10 received; all but K10 processed by 04-02.
		sp := spec("01/XLD", kinhDinh, "Q1", alone)
		sp.Period = &reportingv1.PeriodSpec{Period: &reportingv1.PeriodSpec_Range{Range: &commonv1.DateRange{From: day("2025-02-03"), To: day("2025-04-02")}}}
		res, err := w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: sp})
		if err != nil {
			t.Fatal(err)
		}
		got := cells(res.GetReport().GetRows()[0])
		if got[1] != "7" || got[2] != "1" || got[3] != "6" || got[4] != "6" || got[5] != "1" {
			t.Errorf("cells %v, want 1=7 2=1 3=6 4=6 5=1", got)
		}
		if l := res.GetReport().GetPeriod().GetLine(); l != "Số liệu tính từ ngày 03/02/2025 đến ngày 02/04/2025" {
			t.Errorf("period line %q", l)
		}
	})

	t.Run("zero until source is named", func(t *testing.T) {
		res, err := w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: spec("01/XLD", city, "Q1", alone)})
		if err != nil {
			t.Fatal(err)
		}
		r := res.GetReport()
		joined := strings.Join(r.GetZeroUntilSource(), "\n")
		if !strings.Contains(joined, "xld.outside.urged: TODO(supervision)") || !strings.Contains(r.GetNotes(), "12, 21") {
			t.Errorf("zero-until-source not named: %q; notes %q", joined, r.GetNotes())
		}
	})

	t.Run("direct children", func(t *testing.T) {
		res, err := w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: spec("01/XLD", city, "Q1", children)})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		var codes []string
		for _, row := range res.GetReport().GetRows() {
			codes = append(codes, row.GetUnitCode())
			got[row.GetUnitCode()] = cells(row)[3]
		}
		// The city's own row first (C1 and the petitions forwarded to it), then its children.
		wantCodes := []string{city, kinhDinh, phuHa, city + ".TTHDND", city + ".VP"}
		if strings.Join(codes, ",") != strings.Join(wantCodes, ",") {
			t.Errorf("rows %v, want %v", codes, wantCodes)
		}
		if got[city] != "3" || got[kinhDinh] != "8" || got[phuHa] != "5" || cells(res.GetReport().GetTotal())[3] != "16" {
			t.Errorf("received by row %v, total %v; want city 3, KD 8, PH 5, total 16", got, cells(res.GetReport().GetTotal())[3])
		}
	})

	t.Run("merged ward", func(t *testing.T) {
		// Phủ Hà ended on 2025-06-30: a Q3 report is made by its successor (see expected.yaml).
		_, err := w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: spec("01/XLD", phuHa, "Q3", alone)})
		if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), kinhDinh) {
			t.Errorf("Q3 report of the merged ward: %v, want FailedPrecondition naming %s", err, kinhDinh)
		}
		res, err := w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: spec("01/XLD", city, "Q3", children)})
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range res.GetReport().GetRows() {
			if row.GetUnitCode() == phuHa {
				t.Errorf("the merged ward has a row in Q3")
			}
		}
	})

	t.Run("identities marked for verification warn", func(t *testing.T) {
		// P5, a denunciation, was terminated in Q2: 03/KQGQ counts it in column 10, but its printed
		// identity "6 = … = 24+26+28 = 30+31" has no finding or deadline for it. The identity is
		// marked in the form data as still to verify against the printed circular, so the report is
		// issued with a warning naming it, in the report and on its notes line.
		res, err := w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: spec("03/KQGQ", city, "Q2", alone)})
		if err != nil {
			t.Fatalf("03/KQGQ Q2: %v", err)
		}
		r := res.GetReport()
		ws := r.GetIdentityWarnings()
		if len(ws) != 4 || ws[0].GetIdentity() != "6 = 7+8+9+10 = 24+26+28 = 30+31" || ws[0].GetRow() != city+" Thành phố Phan Rang–Tháp Chàm" ||
			ws[0].GetDetail() != "6 = 2 ≠ 24+26+28 = 1" || !strings.Contains(ws[0].GetVerify(), "printed") || ws[3].GetRow() != "Tổng cộng" {
			t.Errorf("identity warnings %v", ws)
		}
		if n := r.GetNotes(); !strings.Contains(n, "Cảnh báo: đẳng thức “6 = 7+8+9+10 = 24+26+28 = 30+31”") || !strings.Contains(n, "Tổng cộng") {
			t.Errorf("notes %q do not name the failed identity", n)
		}
		if got := cells(r.GetRows()[0]); got[6] != "2" || got[10] != "1" || got[28] != "1" {
			t.Errorf("cells %v, want 6 = 2 (K4 concluded partly true, 28; P5 terminated, 10)", got)
		}
		if l := w.logs.String(); !strings.Contains(l, `identity="6 = 7+8+9+10 = 24+26+28 = 30+31"`) {
			t.Errorf("the log does not name the failing identity:\n%s", l)
		}
		// Q1 has no such case: no warning.
		q1, err := w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: spec("03/KQGQ", city, "Q1", alone)})
		if err != nil || len(q1.GetReport().GetIdentityWarnings()) != 0 || strings.Contains(q1.GetReport().GetNotes(), "Cảnh báo") {
			t.Errorf("03/KQGQ Q1: %v, warnings %v", err, q1.GetReport().GetIdentityWarnings())
		}
	})

	t.Run("exports", func(t *testing.T) {
		for _, f := range []reportingv1.ExportFormat{reportingv1.ExportFormat_EXPORT_FORMAT_CSV, reportingv1.ExportFormat_EXPORT_FORMAT_XLSX, reportingv1.ExportFormat_EXPORT_FORMAT_PDF} {
			res, err := w.client.ExportReport(ctx, &reportingv1.ExportReportRequest{Source: &reportingv1.ExportReportRequest_Spec{Spec: spec("01/XLD", city, "Q1", alone)}, Format: f})
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			switch f {
			case reportingv1.ExportFormat_EXPORT_FORMAT_CSV:
				if !strings.Contains(string(res.GetContent()), "NT.PRTC,Thành phố Phan Rang–Tháp Chàm,16,0,16,13,3,10,10,5,3,2,1,0,9,7,4,2,1,3,1,2,0,0") {
					t.Errorf("CSV lacks the city's row:\n%s", res.GetContent())
				}
			case reportingv1.ExportFormat_EXPORT_FORMAT_XLSX:
				checkXLSX(t, res.GetContent(), "Thành phố Phan Rang–Tháp Chàm", map[int]float64{1: 16, 3: 16, 4: 13, 5: 3, 6: 10, 14: 7, 18: 3, 20: 2})
				if res.GetFileName() != "01-XLD_NT.PRTC_2025-Q1.xlsx" {
					t.Errorf("file name %q", res.GetFileName())
				}
			case reportingv1.ExportFormat_EXPORT_FORMAT_PDF:
				if !bytes.HasPrefix(res.GetContent(), []byte("%PDF")) || res.GetContentType() != "application/pdf" {
					t.Errorf("not a PDF: %q", res.GetContentType())
				}
			}
		}
	})

	t.Run("dashboards", func(t *testing.T) {
		q1 := spec("01/XLD", city, "Q1", alone).GetPeriod()
		counts, err := w.client.CountCases(ctx, &reportingv1.CountCasesRequest{UnitCode: city, Period: q1})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, c := range counts.GetCounts() {
			got[c.GetKind().String()+"/"+c.GetStatus().String()] = c.GetCount()
		}
		if got["KIND_CLASS_COMPLAINT/CASE_STATUS_RECEIVED"] != 8 || got["KIND_CLASS_DENUNCIATION/CASE_STATUS_BEING_RESOLVED"] != 2 {
			t.Errorf("counts %v", got)
		}
		rate, err := w.client.OnTimeRate(ctx, &reportingv1.OnTimeRateRequest{UnitCode: city, Period: spec("", city, "Q2", alone).GetPeriod()})
		if err != nil {
			t.Fatal(err)
		}
		// Q2: K2 late, C1 on time (complaints); K4 on time (denunciation).
		if c := rate.GetRates()[0]; c.GetOnTime() != 1 || c.GetLate() != 1 || c.GetRate() != 0.5 {
			t.Errorf("complaint rate %v", c)
		}
		if tot := rate.GetRates()[2]; tot.GetOnTime() != 2 || tot.GetLate() != 1 {
			t.Errorf("total rate %v", tot)
		}
		trend, err := w.client.Trend(ctx, &reportingv1.TrendRequest{UnitCode: city, Period: q1, Status: reportingv1.CaseStatus_CASE_STATUS_RECEIVED})
		if err != nil {
			t.Fatal(err)
		}
		var series []int64
		for _, p := range trend.GetPoints() {
			series = append(series, p.GetCount())
		}
		// Dec 15–31: K1 P1; Jan: K2 K8 P2; Feb: K3 K4 P3 P7 + P3 at C; Mar 1–14: K5 K6 K7 P4 C1 + K5 at C.
		if want := []int64{2, 3, 5, 6}; !equal(series, want) {
			t.Errorf("trend %v, want %v", series, want)
		}
	})

	t.Run("obligations and frozen submissions", func(t *testing.T) {
		plan, err := plans.Seed()
		if err != nil {
			t.Fatal(err)
		}
		meta := func(cmd, on string) *commonv1.CommandMeta {
			at, _ := time.ParseInLocation(time.DateOnly, on, time.FixedZone("ICT", 7*3600))
			return &commonv1.CommandMeta{CommandId: cmd, OccurredAt: timestamppb.New(at.Add(10 * time.Hour))}
		}
		if _, err := w.client.DeclarePlan(ctx, &reportingv1.DeclarePlanRequest{Meta: meta("plan-1", "2025-02-14"), Plan: plan}); err != nil {
			t.Fatal(err)
		}
		submit := func(cmd, obligation, unit, due, on string, report *reportingv1.ReportSpec) *reportingv1.SubmitReportResponse {
			t.Helper()
			res, err := w.client.SubmitReport(ctx, &reportingv1.SubmitReportRequest{Meta: meta(cmd, on), PlanId: plan.GetId(), ObligationId: obligation,
				UnitCode: unit, DueOn: day(due), Report: report, DocumentReference: "BC số 1/" + cmd})
			if err != nil {
				t.Fatalf("submit %s: %v", cmd, err)
			}
			return res
		}
		submit("s-kd-feb", "III.1-2025", kinhDinh+".TTHDND", "2025-02-28", "2025-02-27", nil)
		// Due 30/11, submitted 01/12: late. It carries the ward's 01/XLD for Q2, frozen.
		late := submit("s-kd-nov", "III.1-yearly", kinhDinh+".TTHDND", "2025-11-30", "2025-12-01", spec("01/XLD", kinhDinh, "Q2", alone))
		if got := cells(late.GetReport().GetRows()[0])[3]; got != "2" {
			t.Fatalf("submitted report: received %q, want 2", got)
		}
		// A retry of the same command is the same submission.
		if again := submit("s-kd-nov", "III.1-yearly", kinhDinh+".TTHDND", "2025-11-30", "2025-12-01", spec("01/XLD", kinhDinh, "Q2", alone)); again.GetSubmissionId() != late.GetSubmissionId() {
			t.Errorf("retry gave a new submission")
		}
		// A unit the obligation does not bind cannot submit.
		_, err = w.client.SubmitReport(ctx, &reportingv1.SubmitReportRequest{Meta: meta("s-bad", "2025-02-20"), PlanId: plan.GetId(),
			ObligationId: "III.1-2025", UnitCode: city + ".VP", DueOn: day("2025-02-28")})
		if status.Code(err) != codes.FailedPrecondition {
			t.Errorf("submission by a unit not bound: %v", err)
		}
		w.caughtUp()

		list, err := w.client.ListObligations(ctx, &reportingv1.ListObligationsRequest{AsOf: day("2025-12-10"), PlanId: plan.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]reportingv1.ObligationStatus{}
		for _, it := range list.GetItems() {
			d := it.GetDueOn()
			got[it.GetObligationId()+" "+it.GetUnitCode()+" "+time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)] = it.GetStatus()
		}
		wantStatus := map[string]reportingv1.ObligationStatus{
			"III.1-2025 NT.PRTC.KD.TTHDND 2025-02-28":   reportingv1.ObligationStatus_OBLIGATION_STATUS_ON_TIME,
			"III.1-2025 NT.PRTC.PH.TTHDND 2025-02-28":   reportingv1.ObligationStatus_OBLIGATION_STATUS_MISSING,
			"III.3-2025 NT.PRTC.VP 2025-03-05":          reportingv1.ObligationStatus_OBLIGATION_STATUS_MISSING,
			"III.1-yearly NT.PRTC.KD.TTHDND 2025-11-30": reportingv1.ObligationStatus_OBLIGATION_STATUS_LATE,
			"III.3-yearly NT.PRTC.VP 2025-12-15":        reportingv1.ObligationStatus_OBLIGATION_STATUS_DUE_SOON,
		}
		for k, v := range wantStatus {
			if got[k] != v {
				t.Errorf("%s: %v, want %v", k, got[k], v)
			}
		}
		// After the merger only the successor ward's standing committee reports (30/11/2025).
		if _, ok := got["III.1-yearly NT.PRTC.PH.TTHDND 2025-11-30"]; ok || len(got) != len(wantStatus) {
			t.Errorf("items %v", got)
		}

		// New events change the ward's Q2 numbers, never the submitted report.
		frozen, err := w.client.GetSubmission(ctx, &reportingv1.GetSubmissionRequest{SubmissionId: late.GetSubmissionId()})
		if err != nil {
			t.Fatal(err)
		}
		w.registered("K12", kinhDinh, "2025-06-01", complaint, policy)
		w.caughtUp()
		now, err := w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: spec("01/XLD", kinhDinh, "Q2", alone)})
		if err != nil {
			t.Fatal(err)
		}
		if got := cells(now.GetReport().GetRows()[0])[3]; got != "3" {
			t.Errorf("regenerated: received %q, want 3", got)
		}
		after, err := w.client.GetSubmission(ctx, &reportingv1.GetSubmissionRequest{SubmissionId: late.GetSubmissionId()})
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(frozen.GetSubmission(), after.GetSubmission()) || !proto.Equal(after.GetSubmission().GetReport(), late.GetReport()) {
			t.Errorf("the submitted report changed")
		}
		if got := after.GetSubmission().GetSubmittedOn(); got.GetDay() != 1 || got.GetMonth() != 12 {
			t.Errorf("submitted on %v", got)
		}
		x, err := w.client.ExportReport(ctx, &reportingv1.ExportReportRequest{Source: &reportingv1.ExportReportRequest_SubmissionId{SubmissionId: late.GetSubmissionId()},
			Format: reportingv1.ExportFormat_EXPORT_FORMAT_XLSX})
		if err != nil {
			t.Fatal(err)
		}
		checkXLSX(t, x.GetContent(), "Phường Kinh Dinh", map[int]float64{1: 3, 2: 1, 3: 2, 4: 2, 5: 1, 22: 1})
	})
}

// checkXLSX re-reads a workbook and checks the numbers of the row named unit, by form column.
func checkXLSX(t *testing.T, content []byte, unit string, want map[int]float64) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if len(row) == 0 || row[0] != unit {
			continue
		}
		for col, v := range want {
			if col >= len(row) || row[col] != strings.TrimSuffix(strings.TrimSuffix(ftoa(v), ".0"), ".") {
				got := ""
				if col < len(row) {
					got = row[col]
				}
				t.Errorf("XLSX %s column %d: %q, want %v", unit, col, got, v)
			}
		}
		return
	}
	t.Errorf("XLSX has no row %q", unit)
}

func TestOptionsFromEnvNamesTheBadSetting(t *testing.T) {
	for setting, value := range map[string]string{
		"CIVICASE_AUDIT_ADDR":          "audit-without-port",
		"CIVICASE_REPORTING_ASOF_KEEP": "0",
	} {
		t.Run(setting, func(t *testing.T) {
			t.Setenv(setting, value)
			if _, err := reporting.OptionsFromEnv(); err == nil || !strings.Contains(err.Error(), setting) {
				t.Errorf("%s=%s: %v", setting, value, err)
			}
		})
	}
	o, err := reporting.OptionsFromEnv()
	if err != nil || o.AsOfKeep != 4 || o.AuditAddr != "" {
		t.Errorf("defaults: %+v, %v", o, err)
	}
}
