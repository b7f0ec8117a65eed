package reporting_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/svc/svctest"
	"github.com/civicase/civicase/pkg/testenv"
	auditv1 "github.com/civicase/civicase/proto/gen/civicase/audit/v1"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	"github.com/civicase/civicase/services/audit"
	"github.com/civicase/civicase/services/reporting"
	"github.com/civicase/civicase/services/reporting/plans"
)

// TestReportsAsOfAPastPoint: a report submitted (frozen) on one day, recomputed later "as of" the
// submission — by sequence and by the log's storage time — equals the frozen one cell for cell,
// although events appended since change the live report; every report and export carries the log
// position it was computed at and the audit checkpoint covering it.
func TestReportsAsOfAPastPoint(t *testing.T) {
	ctx := context.Background()
	env := svctest.New(t, time.Date(2025, 12, 10, 10, 0, 0, 0, time.UTC))
	au := env.Start("audit", audit.NewWith(audit.Options{KeyDir: t.TempDir(), GenerateKey: true, CheckpointInterval: time.Hour, Ticks: make(chan time.Time)}))
	auditor := auditv1.NewAuditServiceClient(env.Dial(au, "auditor-1", auth.RoleAuditor, "NT.PRTC"))
	// Reporting asks the audit service as a service account with the read-only auditor role: the
	// officer calling reporting may not read the audit API.
	tok, err := env.Issuer.Mint("svc-reporting", auth.RoleAuditor, "NT.PRTC", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(t.TempDir(), "audit.token")
	if err := os.WriteFile(tokenFile, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := startWorld(t, env, reporting.NewWith(reporting.Options{AuditAddr: au.Addr.String(), AuditTokenFile: tokenFile, AsOfKeep: 2}), slog.LevelInfo)
	w.history()
	w.caughtUp() // the plan names units the registry must know

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
	w.caughtUp()
	before := w.lastSeq()
	cp1 := signCheckpoint(t, w, auditor)

	// Submitted on 1/12: the ward's 01/XLD for Q2, frozen, stamped with the log position it was
	// computed at and the checkpoint covering it.
	q2 := spec("01/XLD", kinhDinh, "Q2", alone)
	sub, err := w.client.SubmitReport(ctx, &reportingv1.SubmitReportRequest{Meta: meta("s-kd-nov", "2025-12-01"), PlanId: plan.GetId(),
		ObligationId: "III.1-yearly", UnitCode: kinhDinh + ".TTHDND", DueOn: day("2025-11-30"), Report: q2})
	if err != nil {
		t.Fatal(err)
	}
	frozen := sub.GetReport()
	subSeq := w.lastSeq()
	st := frozen.GetStamp()
	if st.GetSequence() != before || st.GetAsOf() || !proto.Equal(st.GetCheckpoint(), cp1) || st.GetLeaves() != cp1.GetTreeSize() {
		t.Errorf("frozen stamp %v, want sequence %d with checkpoint %v of which all %d leaves", st, before, cp1, cp1.GetTreeSize())
	}
	if want := fmt.Sprintf("sự kiện thứ %d của nhật ký; điểm kiểm tra civicase.test kích thước %d, gốc %s", before, cp1.GetTreeSize(),
		base64.StdEncoding.EncodeToString(cp1.GetRootHash())); frozen.GetComputedAt() != want {
		t.Errorf("frozen computed_at %q, want %q", frozen.GetComputedAt(), want)
	}
	subTime := w.storedAt(subSeq)

	// Later events change the ward's Q2: a petition received on 1/6 (entered late) and K11 processed.
	w.registered("K12", kinhDinh, "2025-06-01", complaint, policy)
	w.processed("K11", kinhDinh, "2025-06-05", recommendation, otherField, true, 0, accept("K11", kinhDinh, "2025-06-05", recommendation, 0, ""))
	w.caughtUp()
	cp2 := signCheckpoint(t, w, auditor)

	live, err := w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: q2})
	if err != nil {
		t.Fatal(err)
	}
	if sameCells(live.GetReport(), frozen) {
		t.Fatalf("the live report equals the frozen one: the later events changed nothing")
	}
	if got := cells(live.GetReport().GetRows()[0])[3]; got != "3" {
		t.Errorf("live: received %q, want 3", got)
	}
	if st := live.GetReport().GetStamp(); st.GetSequence() != w.lastSeq() || st.GetAsOf() || !proto.Equal(st.GetCheckpoint(), cp2) {
		t.Errorf("live stamp %v, want the log's end %d with checkpoint %v", st, w.lastSeq(), cp2)
	}

	asOf := func(a *reportingv1.AsOf) *reportingv1.ReportSpec {
		s := proto.Clone(q2).(*reportingv1.ReportSpec)
		s.AsOf = a
		return s
	}
	bySeq := func(n uint64) *reportingv1.AsOf {
		return &reportingv1.AsOf{Point: &reportingv1.AsOf_Sequence{Sequence: n}}
	}
	byTime := func(t time.Time) *reportingv1.AsOf {
		return &reportingv1.AsOf{Point: &reportingv1.AsOf_Time{Time: timestamppb.New(t)}}
	}

	for name, point := range map[string]*reportingv1.AsOf{
		"the submission's sequence":        bySeq(subSeq),
		"the submission's storage time":    byTime(subTime),
		"the frozen report's own sequence": bySeq(before),
	} {
		res, err := w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: asOf(point)})
		if err != nil {
			t.Fatalf("as of %s: %v", name, err)
		}
		r := res.GetReport()
		if !sameCells(r, frozen) {
			t.Errorf("as of %s: the report differs from the frozen one:\n got %v\nwant %v", name, r.GetRows(), frozen.GetRows())
		}
		want := subSeq
		if name == "the frozen report's own sequence" {
			want = before
		}
		// cp2 covers both points; the leaves up to the point are a prefix of its tree.
		st := r.GetStamp()
		if st.GetSequence() != want || !st.GetAsOf() || !proto.Equal(st.GetCheckpoint(), cp2) || st.GetLeaves() < cp1.GetTreeSize() || st.GetLeaves() >= cp2.GetTreeSize() {
			t.Errorf("as of %s: stamp %v, want sequence %d as of, checkpoint %v", name, st, want, cp2)
		}
	}
	if st, _ := w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: asOf(bySeq(subSeq))}); st.GetReport().GetStamp().GetLeaves() != cp1.GetTreeSize()+1 {
		t.Errorf("the submission's one event follows the %d leaves of the first checkpoint: stamp %v", cp1.GetTreeSize(), st.GetReport().GetStamp())
	}

	t.Run("exports carry the stamp line", func(t *testing.T) {
		export := func(src *reportingv1.ExportReportRequest, f reportingv1.ExportFormat) []byte {
			t.Helper()
			src.Format = f
			res, err := w.client.ExportReport(ctx, src)
			if err != nil {
				t.Fatal(err)
			}
			return res.GetContent()
		}
		past := &reportingv1.ExportReportRequest{Source: &reportingv1.ExportReportRequest_Spec{Spec: asOf(bySeq(subSeq))}}
		submitted := &reportingv1.ExportReportRequest{Source: &reportingv1.ExportReportRequest_SubmissionId{SubmissionId: sub.GetSubmissionId()}}
		now := &reportingv1.ExportReportRequest{Source: &reportingv1.ExportReportRequest_Spec{Spec: q2}}
		pastLine := fmt.Sprintf("Số liệu được tính tại: sự kiện thứ %d của nhật ký (số liệu dựng lại theo nhật ký đến thời điểm đó); điểm kiểm tra civicase.test kích thước %d, gốc %s",
			subSeq, cp2.GetTreeSize(), base64.StdEncoding.EncodeToString(cp2.GetRootHash()))
		frozenLine := "Số liệu được tính tại: " + frozen.GetComputedAt()
		liveLine := fmt.Sprintf("Số liệu được tính tại: sự kiện thứ %d của nhật ký; điểm kiểm tra civicase.test kích thước %d", w.lastSeq(), cp2.GetTreeSize())

		pastCSV, frozenCSV := string(export(past, reportingv1.ExportFormat_EXPORT_FORMAT_CSV)), string(export(submitted, reportingv1.ExportFormat_EXPORT_FORMAT_CSV))
		if !strings.Contains(pastCSV, `"`+pastLine+`"`) {
			t.Errorf("as-of CSV lacks %q:\n%s", pastLine, pastCSV)
		}
		if !strings.Contains(frozenCSV, frozenLine) {
			t.Errorf("submitted CSV lacks %q:\n%s", frozenLine, frozenCSV)
		}
		// Line for line the same file, but for the stamp.
		if a, b := strings.Replace(pastCSV, pastLine, "", 1), strings.Replace(frozenCSV, frozenLine, "", 1); a != b {
			t.Errorf("the as-of CSV and the submitted CSV differ beyond their stamps:\n%s\n---\n%s", a, b)
		}
		if liveCSV := string(export(now, reportingv1.ExportFormat_EXPORT_FORMAT_CSV)); !strings.Contains(liveCSV, liveLine) {
			t.Errorf("live CSV lacks %q:\n%s", liveLine, liveCSV)
		}
		for name, c := range map[string]struct {
			req  *reportingv1.ExportReportRequest
			line string
		}{"as of": {past, pastLine}, "submitted": {submitted, frozenLine}, "live": {now, liveLine}} {
			if texts := xlsxTexts(t, export(c.req, reportingv1.ExportFormat_EXPORT_FORMAT_XLSX)); !slices.ContainsFunc(texts, func(s string) bool { return strings.HasPrefix(s, c.line) }) {
				t.Errorf("%s XLSX lacks the line %q: %q", name, c.line, texts)
			}
		}
		if pdf := export(past, reportingv1.ExportFormat_EXPORT_FORMAT_PDF); !bytes.HasPrefix(pdf, []byte("%PDF")) {
			t.Errorf("as-of PDF is not a PDF")
		}
		past.Format = reportingv1.ExportFormat_EXPORT_FORMAT_CSV
		if res, err := w.client.ExportReport(ctx, past); err != nil || res.GetFileName() != fmt.Sprintf("01-XLD_%s_2025-Q2_asof-%d.csv", kinhDinh, subSeq) {
			t.Errorf("as-of file name %q (%v)", res.GetFileName(), err)
		}
	})

	t.Run("a point before the log or after its end is refused", func(t *testing.T) {
		for name, c := range map[string]struct {
			point  *reportingv1.AsOf
			reason string
		}{
			"before the first event": {byTime(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)), "AS_OF_BEFORE_LOG"},
			"after the log's end":    {bySeq(w.lastSeq() + 100), "AS_OF_AFTER_LOG"},
		} {
			_, err := w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: asOf(c.point)})
			if status.Code(err) != codes.FailedPrecondition || reason(err) != c.reason {
				t.Errorf("%s: %v, want FailedPrecondition %s", name, err, c.reason)
			}
		}
		// A time after the last event is the log's end: what the system knows now.
		res, err := w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: asOf(byTime(time.Now().Add(time.Hour)))})
		if err != nil || res.GetReport().GetStamp().GetSequence() != w.lastSeq() || !sameCells(res.GetReport(), live.GetReport()) {
			t.Errorf("as of a future time: %v, %v; want the live report at %d", err, res.GetReport().GetStamp(), w.lastSeq())
		}
	})

	t.Run("past states are kept, bounded and reused", func(t *testing.T) {
		// Built so far: the submission's point (asked four times), the frozen report's point and
		// the log's end; two are kept (AsOfKeep), the least recently used dropped.
		if n := strings.Count(w.logs.String(), "past state rebuilt"); n != 3 {
			t.Errorf("%d rebuilds, want 3 (one per point)", n)
		}
		if got, want := w.asOfSchemas(), []string{fmt.Sprintf("reporting_asof_%d", subSeq), fmt.Sprintf("reporting_asof_%d", w.lastSeq())}; !slices.Equal(got, want) {
			t.Errorf("scratch schemas %q, want %q", got, want)
		}
		if _, err := w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: asOf(bySeq(subSeq))}); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(w.logs.String(), "past state rebuilt"); n != 3 {
			t.Errorf("%d rebuilds after asking a kept point again, want 3", n)
		}
		// The dropped point is rebuilt when asked again, and equals what it was.
		res, err := w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: asOf(bySeq(before))})
		if err != nil || !sameCells(res.GetReport(), frozen) {
			t.Fatalf("rebuilt point: %v", err)
		}
		if n := strings.Count(w.logs.String(), "past state rebuilt"); n != 4 {
			t.Errorf("%d rebuilds, want 4", n)
		}
		if got := w.asOfSchemas(); len(got) != 2 || !slices.Contains(got, fmt.Sprintf("reporting_asof_%d", before)) {
			t.Errorf("scratch schemas %q after asking for %d", got, before)
		}
		// Another replica dropping a state this one keeps: the report notices and rebuilds it once.
		if _, err := w.svc.Env.DB.Exec(ctx, fmt.Sprintf("DROP SCHEMA reporting_asof_%d CASCADE", subSeq)); err != nil {
			t.Fatal(err)
		}
		res, err = w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: asOf(bySeq(subSeq))})
		if err != nil || !sameCells(res.GetReport(), frozen) || res.GetReport().GetStamp().GetSequence() != subSeq {
			t.Fatalf("a dropped state: %v", err)
		}
		if n := strings.Count(w.logs.String(), "past state rebuilt"); n != 5 {
			t.Errorf("%d rebuilds after a state was dropped under the service, want 5", n)
		}
		for _, l := range strings.Split(w.logs.String(), "\n") {
			if strings.Contains(l, "past state rebuilt") {
				t.Log(l) // how long a rebuild took, for `go test -v`
			}
		}
	})
}

// sameCells compares what a reader of two reports sees: form, period, columns, rows and total,
// identities and notes (not the stamps).
func sameCells(a, b *reportingv1.Report) bool {
	strip := func(r *reportingv1.Report) *reportingv1.Report {
		c := proto.Clone(r).(*reportingv1.Report)
		c.ComputedAt, c.Stamp = "", nil
		return c
	}
	return proto.Equal(strip(a), strip(b))
}

func reason(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// signCheckpoint waits for the audit sequencer to reach the log's end and signs a checkpoint.
func signCheckpoint(t *testing.T, w *world, auditor auditv1.AuditServiceClient) *auditv1.Checkpoint {
	t.Helper()
	ctx := context.Background()
	last := w.lastSeq()
	testenv.Eventually(t, 30*time.Second, func() bool {
		res, err := auditor.LatestCheckpoint(ctx, &auditv1.LatestCheckpointRequest{})
		return err == nil && res.GetSequencer().GetStreamSequence() >= last
	}, "the audit sequencer does not reach sequence %d", last)
	res, err := auditor.PublishCheckpoint(ctx, &auditv1.PublishCheckpointRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return res.GetCheckpoint()
}

func (w *world) lastSeq() uint64 {
	w.t.Helper()
	n, err := w.store.LastSeq(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// storedAt is when the log stored the message at seq.
func (w *world) storedAt(seq uint64) time.Time {
	w.t.Helper()
	var at time.Time
	err := w.store.Read(context.Background(), eventstore.ReadOptions{From: eventstore.From{Seq: seq}, UntilSeq: seq}, func(c eventstore.Commit) error {
		at = c.Time
		return nil
	})
	if err != nil || at.IsZero() {
		w.t.Fatalf("stored time of %d: %v", seq, err)
	}
	return at
}

// asOfSchemas lists the scratch schemas of past states.
func (w *world) asOfSchemas() []string {
	w.t.Helper()
	rows, err := w.svc.Env.DB.Query(context.Background(), "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, 'reporting_asof_') ORDER BY length(nspname), nspname")
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// xlsxTexts are the text cells of a workbook's first sheet.
func xlsxTexts(t *testing.T, content []byte) []string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		for _, c := range r {
			if c != "" {
				out = append(out, c)
			}
		}
	}
	return out
}
