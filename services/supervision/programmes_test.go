package supervision_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/civicase/civicase/pkg/auth"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
)

// The city People's Council standing committee supervises the two wards' People's Committees.
// A recommendation issued Tue 10/02/2026 must be answered within 7 days (Luật GS Đ66, Đ73): Tue
// 17/02 is a Tết day off, so Mon 23/02 (Civil Code 2015 Đ148). One issued Tue 24/02 is due Tue
// 03/03 and, unanswered, is 1 day overdue on Wed 04/03.
func TestProgrammeWithRecommendationAndItsDeadline(t *testing.T) {
	f := start(t, "2026-03-04")
	standing := f.client("tt-1", auth.RoleCouncilStanding, cityTT)
	created := must[*supervisionv1.CreateProgrammeResponse](t)(standing.CreateProgramme(ctx, &supervisionv1.CreateProgrammeRequest{
		Meta: meta(), CouncilUnitCode: cityTT, SupervisorKind: supervisionv1.SupervisorKind_SUPERVISOR_KIND_STANDING_COMMITTEE,
		UnitCodes: []string{wardKDC, wardDVC}, Period: &commonv1.DateRange{From: civil("2026-01-01"), To: civil("2026-02-28")},
		Topic: "Giải quyết khiếu nại về đất đai", DecidedOn: civil("2026-02-02"), DecisionReference: "12/QĐ-TTHĐND",
	}))
	pg := created.GetProgramme()
	id := pg.GetProgrammeId()
	if pg.GetReportDueOn() != nil || pg.GetClosed() || len(pg.GetUnitCodes()) != 2 {
		t.Fatalf("programme %v", pg)
	}
	finding := must[*supervisionv1.RecordFindingResponse](t)(standing.RecordFinding(ctx, &supervisionv1.RecordFindingRequest{
		Meta: meta(), ProgrammeId: id, UnitCode: wardKDC, FoundOn: civil("2026-02-09"), Summary: "Chậm thụ lý 3 vụ việc"}))
	if finding.GetFindingId() != "F1" || len(finding.GetProgramme().GetFindings()) != 1 {
		t.Fatalf("finding %v", finding)
	}
	r1 := must[*supervisionv1.IssueRecommendationResponse](t)(standing.IssueRecommendation(ctx, &supervisionv1.IssueRecommendationRequest{
		Meta: meta(), ProgrammeId: id, AddressedUnitCode: wardDVC, IssuedOn: civil("2026-02-10"), Content: "Rà soát hồ sơ tồn đọng"})).GetRecommendation()
	if r1.GetRecommendationId() != "R1" || dateOf(r1.GetRespondBy()) != "2026-02-23" ||
		!strings.Contains(strings.Join(r1.GetDerivation(), "\n"), "Luật GS Đ66, Đ73") {
		t.Fatalf("R1 %v", r1)
	}
	r2req := &supervisionv1.IssueRecommendationRequest{Meta: meta(), ProgrammeId: id, AddressedUnitCode: wardKDC, IssuedOn: civil("2026-02-24"),
		Content: "Thụ lý đúng hạn", FindingId: "F1"}
	r2 := must[*supervisionv1.IssueRecommendationResponse](t)(standing.IssueRecommendation(ctx, r2req)).GetRecommendation()
	if r2.GetRecommendationId() != "R2" || dateOf(r2.GetRespondBy()) != "2026-03-03" || r2.GetDaysOverdue() != 1 || r2.GetFindingId() != "F1" {
		t.Fatalf("R2 %v", r2)
	}
	// A retry returns R2 again.
	if again := must[*supervisionv1.IssueRecommendationResponse](t)(standing.IssueRecommendation(ctx, r2req)); again.GetRecommendation().GetRecommendationId() != "R2" ||
		len(again.GetProgramme().GetRecommendations()) != 2 {
		t.Errorf("retry %v", again)
	}

	// Đô Vinh's People's Committee answers R1 on its due date.
	dv := f.client("officer-dv", auth.RoleProcessingOfficer, wardDVC)
	ans := must[*supervisionv1.RecordRecommendationResponseResponse](t)(dv.RecordRecommendationResponse(ctx, &supervisionv1.RecordRecommendationResponseRequest{
		Meta: meta(), ProgrammeId: id, RecommendationId: "R1", RespondedOn: civil("2026-02-23"), Reference: "45/BC-UBND"}))
	if r := ans.GetRecommendation(); !r.GetOnTime() || dateOf(r.GetRespondedOn()) != "2026-02-23" {
		t.Errorf("answered %v", r)
	}
	got := must[*supervisionv1.GetProgrammeResponse](t)(standing.GetProgramme(ctx, &supervisionv1.GetProgrammeRequest{ProgrammeId: id})).GetProgramme()
	if got.GetRecommendationsIssued() != 2 || got.GetRecommendationsAnswered() != 1 || got.GetRecommendationsOverdue() != 1 || got.GetFindingsRecorded() != 1 {
		t.Errorf("programme status %v", got)
	}

	before := f.lastSeq()
	refusals := []struct {
		name   string
		call   func() error
		code   codes.Code
		field  string
		reason string
	}{
		{"unit outside the programme", func() error {
			_, err := standing.RecordFinding(ctx, &supervisionv1.RecordFindingRequest{Meta: meta(), ProgrammeId: id, UnitCode: cityTTR, FoundOn: civil("2026-02-20"), Summary: "x"})
			return err
		}, codes.FailedPrecondition, "unit_code", "UNIT_NOT_IN_PROGRAMME"},
		{"before the decision", func() error {
			_, err := standing.RecordFinding(ctx, &supervisionv1.RecordFindingRequest{Meta: meta(), ProgrammeId: id, UnitCode: wardKDC, FoundOn: civil("2026-01-20"), Summary: "x"})
			return err
		}, codes.FailedPrecondition, "found_on", "DATE_BEFORE_PREVIOUS_FACT"},
		{"unknown finding", func() error {
			_, err := standing.IssueRecommendation(ctx, &supervisionv1.IssueRecommendationRequest{Meta: meta(), ProgrammeId: id, AddressedUnitCode: wardKDC,
				IssuedOn: civil("2026-03-02"), Content: "x", FindingId: "F9"})
			return err
		}, codes.FailedPrecondition, "finding_id", "FINDING_UNKNOWN"},
		{"answered twice", func() error {
			_, err := dv.RecordRecommendationResponse(ctx, &supervisionv1.RecordRecommendationResponseRequest{Meta: meta(), ProgrammeId: id, RecommendationId: "R1", RespondedOn: civil("2026-02-24")})
			return err
		}, codes.FailedPrecondition, "recommendation_id", "ALREADY_ANSWERED"},
		{"deputies without deputies", func() error {
			_, err := standing.CreateProgramme(ctx, &supervisionv1.CreateProgrammeRequest{Meta: meta(), CouncilUnitCode: cityTT,
				SupervisorKind: supervisionv1.SupervisorKind_SUPERVISOR_KIND_DEPUTIES, UnitCodes: []string{wardKDC},
				Period: &commonv1.DateRange{From: civil("2026-01-01"), To: civil("2026-02-28")}, Topic: "x", DecidedOn: civil("2026-03-01")})
			return err
		}, codes.InvalidArgument, "deputy_refs", "DEPUTIES_REQUIRED"},
		{"period the wrong way round", func() error {
			_, err := standing.CreateProgramme(ctx, &supervisionv1.CreateProgrammeRequest{Meta: meta(), CouncilUnitCode: cityTT,
				SupervisorKind: supervisionv1.SupervisorKind_SUPERVISOR_KIND_STANDING_COMMITTEE, UnitCodes: []string{wardKDC},
				Period: &commonv1.DateRange{From: civil("2026-03-01"), To: civil("2026-02-28")}, Topic: "x", DecidedOn: civil("2026-03-01")})
			return err
		}, codes.InvalidArgument, "period", ""},
		{"unknown supervised unit", func() error {
			_, err := standing.CreateProgramme(ctx, &supervisionv1.CreateProgrammeRequest{Meta: meta(), CouncilUnitCode: cityTT,
				SupervisorKind: supervisionv1.SupervisorKind_SUPERVISOR_KIND_STANDING_COMMITTEE, UnitCodes: []string{wardKDC, "PRTC.ZZ"},
				Period: &commonv1.DateRange{From: civil("2026-01-01"), To: civil("2026-02-28")}, Topic: "x", DecidedOn: civil("2026-03-01")})
			return err
		}, codes.InvalidArgument, "unit_codes[1]", "UNIT_UNKNOWN"},
	}
	for _, tc := range refusals {
		err := tc.call()
		if v := badRequest(t, err, tc.code); v[tc.field] == "" {
			t.Errorf("%s: violations %v, want %s", tc.name, v, tc.field)
		}
		if tc.reason != "" && !strings.Contains(errInfo(err), tc.reason) {
			t.Errorf("%s: reasons %q, want %s", tc.name, errInfo(err), tc.reason)
		}
	}
	if _, err := dv.RecordRecommendationResponse(ctx, &supervisionv1.RecordRecommendationResponseRequest{Meta: meta(), ProgrammeId: id,
		RecommendationId: "R9", RespondedOn: civil("2026-02-24")}); codeOf(err) != codes.NotFound {
		t.Errorf("unknown recommendation: %v", err)
	}
	if _, err := dv.RecordFinding(ctx, &supervisionv1.RecordFindingRequest{Meta: meta(), ProgrammeId: id, UnitCode: wardDVC,
		FoundOn: civil("2026-02-20"), Summary: "x"}); codeOf(err) != codes.PermissionDenied {
		t.Errorf("a supervised unit recording findings: %v", err)
	}
	if f.lastSeq() != before {
		t.Errorf("refused commands appended %d commits", f.lastSeq()-before)
	}

	closed := must[*supervisionv1.CloseProgrammeResponse](t)(standing.CloseProgramme(ctx, &supervisionv1.CloseProgrammeRequest{
		Meta: meta(), ProgrammeId: id, ClosedOn: civil("2026-03-04"), ReportReference: "20/BC-TTHĐND"})).GetProgramme()
	if !closed.GetClosed() || !closed.GetReportOnTime() || dateOf(closed.GetClosedOn()) != "2026-03-04" {
		t.Errorf("closed %v", closed)
	}
	_, err := standing.RecordFinding(ctx, &supervisionv1.RecordFindingRequest{Meta: meta(), ProgrammeId: id, UnitCode: wardKDC, FoundOn: civil("2026-03-04"), Summary: "x"})
	if codeOf(err) != codes.FailedPrecondition || reason(err) != "PROGRAMME_CLOSED" {
		t.Errorf("finding after closing: %v", err)
	}
	// R2 is still followed after closing: Kinh Dinh answers late.
	kd := f.client("officer-kd", auth.RoleHandler, wardKDC)
	late := must[*supervisionv1.RecordRecommendationResponseResponse](t)(kd.RecordRecommendationResponse(ctx, &supervisionv1.RecordRecommendationResponseRequest{
		Meta: meta(), ProgrammeId: id, RecommendationId: "R2", RespondedOn: civil("2026-03-04")}))
	if late.GetRecommendation().GetOnTime() {
		t.Errorf("late answer %v", late.GetRecommendation())
	}
	events := f.history("programme", id)
	if n := count[*supervisionv1.RecommendationAnswered](events); n != 2 || len(events) != 7 {
		t.Errorf("%d events, %d answers", len(events), n)
	}
	var answered *supervisionv1.RecommendationAnswered
	for _, m := range events {
		if a, ok := m.(*supervisionv1.RecommendationAnswered); ok && a.GetRecommendationId() == "R2" {
			answered = a
		}
	}
	if answered == nil || answered.GetDaysLate() != 1 || answered.GetRespondingUnitCode() != wardKDC {
		t.Errorf("R2 answer %v", answered)
	}

	// A committee reports its results within 10 days of the end of the supervision (Luật GS Đ82,
	// Đ86): a period ending Thu 12/02 gives Sun 22/02, in the Tết break, so Mon 23/02. Reported Tue
	// 24/02: late.
	committee := f.client("tt-2", auth.RoleCouncilStanding, cityHDND)
	cp := must[*supervisionv1.CreateProgrammeResponse](t)(committee.CreateProgramme(ctx, &supervisionv1.CreateProgrammeRequest{
		Meta: meta(), CouncilUnitCode: cityBPC, SupervisorKind: supervisionv1.SupervisorKind_SUPERVISOR_KIND_COMMITTEE, UnitCodes: []string{cityTTR},
		Period: &commonv1.DateRange{From: civil("2026-01-05"), To: civil("2026-02-12")}, Topic: "Thanh tra giải quyết tố cáo", DecidedOn: civil("2026-01-02"),
	})).GetProgramme()
	if dateOf(cp.GetReportDueOn()) != "2026-02-23" {
		t.Fatalf("committee report due %v", cp.GetReportDueOn())
	}
	cc := must[*supervisionv1.CloseProgrammeResponse](t)(committee.CloseProgramme(ctx, &supervisionv1.CloseProgrammeRequest{
		Meta: meta(), ProgrammeId: cp.GetProgrammeId(), ClosedOn: civil("2026-02-24")})).GetProgramme()
	if cc.GetReportOnTime() {
		t.Errorf("committee report on 24/02 counted on time: %v", cc)
	}

	f.caughtUp()
	list := must[*supervisionv1.ListProgrammesResponse](t)(standing.ListProgrammes(ctx, &supervisionv1.ListProgrammesRequest{UnitCode: wardKDC}))
	if len(list.GetProgrammes()) != 1 || list.GetProgrammes()[0].GetRecommendationsAnswered() != 2 || list.GetProgrammes()[0].GetRecommendationsIssued() != 2 ||
		!list.GetProgrammes()[0].GetClosed() {
		t.Errorf("programmes of Kinh Dinh %v", list)
	}
	if all := must[*supervisionv1.ListProgrammesResponse](t)(standing.ListProgrammes(ctx, &supervisionv1.ListProgrammesRequest{})); len(all.GetProgrammes()) != 2 {
		t.Errorf("all programmes %v", all)
	}
}
