package supervision_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/auth"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
)

// A denunciation accepted by Kinh Dinh ward's People's Committee on Mon 05/01/2026 was due Wed
// 04/02 (30 days, Luật TC Đ30). The city inspectorate urges the committee on Mon 02/03; the letter
// names no date, so the policy's 5 working days apply: Tue 03, Wed 04, Thu 05, Fri 06, Mon 09/03.
// Unanswered, the watcher escalates it on Tue 10/03 to the superior, the city People's Committee,
// which must report within 5 working days (Luật TC Đ38): 11, 12, 13, 16, 17/03.
func TestUrgingAndEscalation(t *testing.T) {
	f := start(t, "2026-03-02")
	b := f.register(petition{unit: wardKD, receivedOn: "2026-01-02", kind: commonv1.PetitionKind_PETITION_KIND_DENUNCIATION})
	f.step(b, "2026-01-05", &routingv1.PetitionClassified{CaseId: b, UnitCode: wardKD, ProcessedOn: civil("2026-01-05"),
		Kind: commonv1.PetitionKind_PETITION_KIND_DENUNCIATION, Field: commonv1.Field_FIELD_ADMIN_OFFICIALS, Eligible: true, WithinCompetence: true})
	f.acceptDenunciation(b, wardKDC, "2026-01-05")
	inspector := f.client("inspector-1", auth.RoleInspector, cityTTR)

	req := &supervisionv1.IssueUrgingRequest{Meta: meta(), CaseId: b, IssuingUnitCode: cityTTR, IssuedOn: civil("2026-03-02"), LetterNumber: "15/CV-TTr"}
	res, err := inspector.IssueUrging(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	u := res.GetUrging()
	if u.GetUnitCode() != wardKDC || u.GetClock() != "resolution" || dateOf(u.GetRespondBy()) != "2026-03-09" ||
		u.GetStatus() != supervisionv1.UrgingStatus_URGING_STATUS_AWAITING_ANSWER || u.GetIssuingUnitCode() != cityTTR ||
		u.GetPetitionKind() != commonv1.PetitionKind_PETITION_KIND_DENUNCIATION || u.GetOutsideCompetence() {
		t.Fatalf("urging %v", u)
	}
	// The event carries what the reporting service counts ("đôn đốc" columns): unit, case, date, kind.
	evs := f.history("urging", u.GetUrgingId())
	issued, ok := evs[0].(*supervisionv1.UrgingIssued)
	if len(evs) != 1 || !ok || issued.GetCaseId() != b || issued.GetIssuingUnitCode() != cityTTR || dateOf(issued.GetIssuedOn()) != "2026-03-02" ||
		issued.GetPetitionKind() != commonv1.PetitionKind_PETITION_KIND_DENUNCIATION || issued.GetField() != commonv1.Field_FIELD_ADMIN_OFFICIALS ||
		dateOf(issued.GetClockDueOn()) != "2026-02-04" || issued.GetDaysOverdue() != 26 || issued.GetRespondRuleId() != "supervision.urging.answer" {
		t.Fatalf("recorded %v", evs)
	}
	// A retry with the same command id returns the same urging and appends nothing.
	before := f.lastSeq()
	again := must[*supervisionv1.IssueUrgingResponse](t)(inspector.IssueUrging(ctx, req))
	if again.GetUrging().GetUrgingId() != u.GetUrgingId() || f.lastSeq() != before {
		t.Errorf("retry gave %s and moved the log %d → %d", again.GetUrging().GetUrgingId(), before, f.lastSeq())
	}

	// Escalating on the answer date itself is too early: nothing is appended.
	f.setToday("2026-03-09")
	_, err = inspector.EscalateUrging(ctx, &supervisionv1.EscalateUrgingRequest{Meta: meta(), UrgingId: u.GetUrgingId(), EscalatedOn: civil("2026-03-09")})
	if v := badRequest(t, err, codes.FailedPrecondition); v["escalated_on"] == "" || reason(err) != "ANSWER_PERIOD_RUNNING" {
		t.Errorf("early escalation: %v", err)
	}
	if rep := f.tick(); rep.Escalated != 0 || len(f.history("urging", u.GetUrgingId())) != 1 {
		t.Errorf("09/03: the watcher escalated %+v", rep)
	}

	// The day after, the watcher escalates it — once.
	f.setToday("2026-03-10")
	if rep := f.tick(); rep.Escalated != 1 {
		t.Fatalf("10/03: %+v", rep)
	}
	if rep := f.tick(); rep.Escalated != 0 {
		t.Fatalf("10/03 again: %+v", rep)
	}
	evs = f.history("urging", u.GetUrgingId())
	esc, ok := evs[len(evs)-1].(*supervisionv1.UrgingEscalated)
	if len(evs) != 2 || !ok || esc.GetSuperiorUnitCode() != cityUBND || dateOf(esc.GetEscalatedOn()) != "2026-03-10" ||
		dateOf(esc.GetReportDueOn()) != "2026-03-17" || !esc.GetAutomatic() || esc.GetRuleId() != "denunciation.overdue.report" ||
		!strings.Contains(strings.Join(esc.GetDerivation(), "\n"), "Luật TC Đ38") {
		t.Fatalf("escalation %v", evs)
	}
	// A manual escalation now is refused: it happened once.
	_, err = inspector.EscalateUrging(ctx, &supervisionv1.EscalateUrgingRequest{Meta: meta(), UrgingId: u.GetUrgingId(), EscalatedOn: civil("2026-03-10")})
	if reason(err) != "ALREADY_ESCALATED" {
		t.Errorf("second escalation: %v", err)
	}

	// Only the urged unit or, after escalation, its superior answers.
	dv := f.client("officer-dv", auth.RoleProcessingOfficer, wardDVC)
	_, err = dv.RecordUrgingResponse(ctx, &supervisionv1.RecordUrgingResponseRequest{Meta: meta(), UrgingId: u.GetUrgingId(),
		RespondingUnitCode: wardDVC, RespondedOn: civil("2026-03-10")})
	if v := badRequest(t, err, codes.FailedPrecondition); v["responding_unit_code"] == "" || reason(err) != "NOT_THE_ADDRESSEE" {
		t.Errorf("a unit not addressed: %v", err)
	}
	_, err = dv.RecordUrgingResponse(ctx, &supervisionv1.RecordUrgingResponseRequest{Meta: meta(), UrgingId: u.GetUrgingId(),
		RespondingUnitCode: wardKDC, RespondedOn: civil("2026-03-10")})
	if codeOf(err) != codes.PermissionDenied {
		t.Errorf("a ward answering for another ward: %v", err)
	}
	city := f.client("officer-city", auth.RoleProcessingOfficer, cityUBND)
	f.setToday("2026-03-16")
	ans := must[*supervisionv1.RecordUrgingResponseResponse](t)(city.RecordUrgingResponse(ctx, &supervisionv1.RecordUrgingResponseRequest{
		Meta: meta(), UrgingId: u.GetUrgingId(), RespondingUnitCode: cityUBND, RespondedOn: civil("2026-03-16"), Reference: "88/BC-UBND"}))
	if a := ans.GetUrging(); a.GetStatus() != supervisionv1.UrgingStatus_URGING_STATUS_ANSWERED || !a.GetOnTime() || a.GetRespondingUnitCode() != cityUBND ||
		dateOf(a.GetReportDueOn()) != "2026-03-17" || !a.GetEscalatedAutomatically() {
		t.Errorf("answered %v", a)
	}

	// The lists: the urging for the inspectorate, the urging count on the overdue clock.
	f.caughtUp()
	list := must[*supervisionv1.ListUrgingsResponse](t)(inspector.ListUrgings(ctx, &supervisionv1.ListUrgingsRequest{UnitCode: cityTTR}))
	if len(list.GetUrgings()) != 1 || !proto.Equal(list.GetUrgings()[0].GetRespondedOn(), civil("2026-03-16")) || list.GetUrgings()[0].GetSuperiorUnitCode() != cityUBND {
		t.Errorf("urgings %v", list)
	}
	if open := must[*supervisionv1.ListUrgingsResponse](t)(inspector.ListUrgings(ctx, &supervisionv1.ListUrgingsRequest{OpenOnly: true})); len(open.GetUrgings()) != 0 {
		t.Errorf("open urgings %v", open)
	}
	od := must[*supervisionv1.ListOverdueResponse](t)(inspector.ListOverdue(ctx, &supervisionv1.ListOverdueRequest{CaseId: b}))
	if len(od.GetClocks()) != 1 || od.GetClocks()[0].GetUrgings() != 1 {
		t.Errorf("overdue %v", od)
	}
}

// A letter may set its own answer date; a person escalates it once that date has passed, to the
// registry's superior: for the inspectorate, an agency of the city People's Committee, that committee.
func TestManualEscalationAndRefusals(t *testing.T) {
	f := start(t, "2026-03-02")
	a := f.register(petition{unit: cityTTR, receivedOn: "2026-02-09"}) // processing due Mon 02/03
	b := f.register(petition{unit: wardDV, receivedOn: "2026-03-02"})  // nothing late
	standing := f.client("tt-1", auth.RoleCouncilStanding, cityTT)

	// Not late yet (due today), and no unit named: refused, nothing appended.
	before := f.lastSeq()
	_, err := standing.IssueUrging(ctx, &supervisionv1.IssueUrgingRequest{Meta: meta(), CaseId: a, IssuingUnitCode: cityTT, IssuedOn: civil("2026-03-02")})
	if v := badRequest(t, err, codes.FailedPrecondition); v["unit_code"] == "" || reason(err) != "CASE_NOT_LATE" {
		t.Errorf("urging a case not late: %v", err)
	}
	f.setToday("2026-03-04")
	res := must[*supervisionv1.IssueUrgingResponse](t)(standing.IssueUrging(ctx, &supervisionv1.IssueUrgingRequest{Meta: meta(), CaseId: a,
		IssuingUnitCode: cityTT, IssuedOn: civil("2026-03-04"), RespondBy: civil("2026-03-06"), LetterNumber: "03/TTHĐND"}))
	u := res.GetUrging()
	if u.GetUnitCode() != cityTTR || dateOf(u.GetRespondBy()) != "2026-03-06" || u.GetClock() != "processing" {
		t.Fatalf("urging %v", u)
	}
	f.setToday("2026-03-09")
	esc := must[*supervisionv1.EscalateUrgingResponse](t)(standing.EscalateUrging(ctx, &supervisionv1.EscalateUrgingRequest{
		Meta: meta(), UrgingId: u.GetUrgingId(), EscalatedOn: civil("2026-03-09")}))
	// 5 working days from Mon 09/03: 10, 11, 12, 13, 16.
	if e := esc.GetUrging(); e.GetSuperiorUnitCode() != cityUBND || dateOf(e.GetReportDueOn()) != "2026-03-16" || e.GetEscalatedAutomatically() ||
		e.GetStatus() != supervisionv1.UrgingStatus_URGING_STATUS_ESCALATED {
		t.Errorf("escalated %v", e)
	}
	// The watcher leaves an escalated urging alone.
	if rep := f.tick(); rep.Escalated != 0 {
		t.Errorf("watcher escalated again: %+v", rep)
	}

	before = f.lastSeq()
	for name, tc := range map[string]struct {
		req    *supervisionv1.IssueUrgingRequest
		code   codes.Code
		field  string
		reason string
	}{
		"in the future":        {&supervisionv1.IssueUrgingRequest{CaseId: a, IssuingUnitCode: cityTT, IssuedOn: civil("2026-03-10")}, codes.InvalidArgument, "issued_on", ""},
		"answer before letter": {&supervisionv1.IssueUrgingRequest{CaseId: a, IssuingUnitCode: cityTT, IssuedOn: civil("2026-03-09"), RespondBy: civil("2026-03-09")}, codes.InvalidArgument, "respond_by", ""},
		"unknown unit":         {&supervisionv1.IssueUrgingRequest{CaseId: a, IssuingUnitCode: cityTT, UnitCode: "PRTC.XX", IssuedOn: civil("2026-03-09")}, codes.InvalidArgument, "unit_code", "UNIT_UNKNOWN"},
		"urging itself":        {&supervisionv1.IssueUrgingRequest{CaseId: a, IssuingUnitCode: cityTT, UnitCode: cityTT, IssuedOn: civil("2026-03-09")}, codes.FailedPrecondition, "unit_code", "URGING_OWN_UNIT"},
		"no such clock open":   {&supervisionv1.IssueUrgingRequest{CaseId: a, IssuingUnitCode: cityTT, Clock: "resolution", IssuedOn: civil("2026-03-09")}, codes.FailedPrecondition, "clock", "CLOCK_NOT_OPEN"},
		"before the petition":  {&supervisionv1.IssueUrgingRequest{CaseId: b, IssuingUnitCode: cityTT, UnitCode: wardDVC, IssuedOn: civil("2026-03-01")}, codes.FailedPrecondition, "issued_on", "DATE_BEFORE_PREVIOUS_FACT"},
		"not a uuid":           {&supervisionv1.IssueUrgingRequest{CaseId: "case-1", IssuingUnitCode: cityTT, IssuedOn: civil("2026-03-09")}, codes.InvalidArgument, "case_id", ""},
		"bad unit code":        {&supervisionv1.IssueUrgingRequest{CaseId: a, IssuingUnitCode: "prtc tt", IssuedOn: civil("2026-03-09")}, codes.InvalidArgument, "issuing_unit_code", ""},
		"impossible date":      {&supervisionv1.IssueUrgingRequest{CaseId: a, IssuingUnitCode: cityTT, IssuedOn: &commonv1.CivilDate{Year: 2026, Month: 2, Day: 30}}, codes.InvalidArgument, "issued_on", ""},
	} {
		t.Run(name, func(t *testing.T) {
			tc.req.Meta = meta()
			_, err := standing.IssueUrging(ctx, tc.req)
			if v := badRequest(t, err, tc.code); v[tc.field] == "" {
				t.Errorf("violations %v, want one on %s (%v)", v, tc.field, err)
			}
			if tc.reason != "" && !strings.Contains(errInfo(err), tc.reason) {
				t.Errorf("reason %q, want %s", errInfo(err), tc.reason)
			}
		})
	}
	if f.lastSeq() != before {
		t.Errorf("refused commands appended %d commits", f.lastSeq()-before)
	}
	// An auditor reads but may not urge.
	_, err = f.client("aud", auth.RoleAuditor, city).IssueUrging(ctx, &supervisionv1.IssueUrgingRequest{Meta: meta(), CaseId: a, IssuingUnitCode: city, IssuedOn: civil("2026-03-09")})
	if codeOf(err) != codes.PermissionDenied {
		t.Errorf("auditor urging: %v", err)
	}
}
