package intake_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/civicase/civicase/pkg/auth"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
)

func openSession(t *testing.T, c intakev1.IntakeServiceClient, unit, heldOn string) string {
	t.Helper()
	res, err := c.OpenReceptionSession(ctx, &intakev1.OpenReceptionSessionRequest{
		Meta: meta(), UnitCode: unit, Kind: intakev1.SessionKind_SESSION_KIND_HEAD_PERIODIC,
		HeldOn: civil(heldOn), HostPosition: "Chủ tịch UBND phường",
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.GetSessionId()
}

func visit(session string, people, reps int32, visitor *personv1.PersonalData, respondent, decision string) *intakev1.RecordVisitRequest {
	return &intakev1.RecordVisitRequest{
		Meta: meta(), SessionId: session, PeopleCount: people, RepresentativeCount: reps,
		Kind: commonv1.PetitionKind_PETITION_KIND_COMPLAINT, Field: commonv1.Field_FIELD_ADMIN_LAND_HOUSING,
		Visitor: visitor,
		Content: &intakev1.SealedContent{Summary: "Hỏi về việc thu hồi đất", Respondent: respondent, DecisionReference: decision},
	}
}

func TestReceptionSessionCountsVisitsCrowdsAndRepeats(t *testing.T) {
	f := start(t)
	session := openSession(t, f.client, unitKD, "2025-03-12")
	opened := f.history("session", session)[0].(*intakev1.ReceptionSessionOpened)
	if opened.GetHostSubject() != "officer-1" || opened.GetKind() != intakev1.SessionKind_SESSION_KIND_HEAD_PERIODIC {
		t.Errorf("opened %v", opened)
	}

	// A first visit, alone: neither crowd nor repeat.
	lan := &personv1.PersonalData{FullName: "Trần Thị Lan", IdNumber: "058190001122"}
	v1, err := f.client.RecordVisit(ctx, visit(session, 1, 0, lan, "UBND phường Kinh Dinh", "QĐ 77/QĐ-UBND"))
	if err != nil {
		t.Fatal(err)
	}
	if v1.GetCrowd() || v1.GetRepeat() || v1.GetCaseId() != "" {
		t.Errorf("first visit %v", v1)
	}
	// Seven people with two representatives: a crowd delegation (Luật TCD Đ29).
	v2, err := f.client.RecordVisit(ctx, visit(session, 7, 2, &personv1.PersonalData{FullName: "Lê Văn Hùng"}, "Công ty X", ""))
	if err != nil {
		t.Fatal(err)
	}
	if !v2.GetCrowd() || v2.GetRepeat() {
		t.Errorf("crowd visit %v", v2)
	}
	// The officer's own judgement makes a repeat even when nothing is detected.
	stated := visit(session, 1, 0, nil, "", "")
	stated.Repeat = true
	v3, err := f.client.RecordVisit(ctx, stated)
	if err != nil {
		t.Fatal(err)
	}
	if !v3.GetRepeat() || v3.GetCaseId() != "" {
		t.Errorf("stated repeat %v", v3)
	}

	// Đức registered a petition on a matter; when he comes about it, the visit is a detected
	// repeat linked to the petition's case.
	pet, err := f.client.RegisterPetition(ctx, complaint(duc(), "UBND phường Kinh Dinh", "Quyết định số 123/QĐ-UBND"))
	if err != nil {
		t.Fatal(err)
	}
	f.indexed()
	v4, err := f.client.RecordVisit(ctx, visit(session, 1, 0, &personv1.PersonalData{FullName: "Nguyen Van Duc", IdNumber: "058203004567"},
		"ubnd phuong kinh dinh", "quyet dinh so 123-qd-ubnd"))
	if err != nil {
		t.Fatal(err)
	}
	if !v4.GetRepeat() || v4.GetCaseId() != pet.GetPetitionId() {
		t.Errorf("Đức's visit %v: want a repeat of case %s", v4, pet.GetPetitionId())
	}
	// Lan comes back on her matter: a repeat of her visit, which opened no case.
	v5, err := f.client.RecordVisit(ctx, visit(session, 1, 0, lan, "UBND phường Kinh Dinh", "QĐ 77/QĐ-UBND"))
	if err != nil {
		t.Fatal(err)
	}
	if !v5.GetRepeat() || v5.GetCaseId() != "" {
		t.Errorf("Lan's second visit %v: want a repeat without a case", v5)
	}
	// Same visitor and matter, but what she asks now is a recommendation: another matter.
	rec := visit(session, 1, 0, lan, "UBND phường Kinh Dinh", "QĐ 77/QĐ-UBND")
	rec.Kind = commonv1.PetitionKind_PETITION_KIND_RECOMMENDATION
	if v, err := f.client.RecordVisit(ctx, rec); err != nil || v.GetRepeat() {
		t.Errorf("recommendation visit %v, %v: want a first visit", v, err)
	}
	// Visitors are the same data subjects as petitioners.
	evs := f.history("session", session)
	ducVisit := evs[4].(*intakev1.VisitRecorded)
	ducPetition := f.history("petition", pet.GetPetitionId())[0].(*intakev1.PetitionRegistered)
	if ducVisit.GetVisitorRef() != ducPetition.GetSenderRef() || ducVisit.GetVisitId() != v4.GetVisitId() || ducVisit.GetHeldOn().GetDay() != 12 {
		t.Errorf("Đức's visit recorded as %v (petition sender %s)", ducVisit, ducPetition.GetSenderRef())
	}

	// A retried visit is the same visit.
	retry := visit(session, 2, 0, nil, "", "")
	a, err := f.client.RecordVisit(ctx, retry)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.client.RecordVisit(ctx, retry)
	if err != nil || a.GetVisitId() != b.GetVisitId() {
		t.Errorf("retried visit: %v then %v (%v)", a, b, err)
	}

	closeReq := &intakev1.CloseReceptionSessionRequest{Meta: meta(), SessionId: session}
	closed, err := f.client.CloseReceptionSession(ctx, closeReq)
	if err != nil {
		t.Fatal(err)
	}
	if closed.GetVisitCount() != 7 {
		t.Errorf("closed with %d visits, want 7", closed.GetVisitCount())
	}
	if again, err := f.client.CloseReceptionSession(ctx, closeReq); err != nil || again.GetVisitCount() != 7 {
		t.Errorf("retried close: %v, %v", again, err)
	}
	before := f.lastSeq()
	if _, err := f.client.RecordVisit(ctx, visit(session, 1, 0, nil, "", "")); codeOf(err) != codes.FailedPrecondition {
		t.Errorf("visit after close: %v, want FailedPrecondition", err)
	}
	if _, err := f.client.CloseReceptionSession(ctx, &intakev1.CloseReceptionSessionRequest{Meta: meta(), SessionId: session}); codeOf(err) != codes.FailedPrecondition {
		t.Errorf("second close: %v, want FailedPrecondition", err)
	}
	if f.lastSeq() != before {
		t.Error("refused commands appended")
	}
}

func TestInvalidSessionsAndVisits(t *testing.T) {
	f := start(t)
	_, err := f.client.OpenReceptionSession(ctx, &intakev1.OpenReceptionSessionRequest{
		Meta: meta(), UnitCode: unitKD, Kind: intakev1.SessionKind_SESSION_KIND_REGULAR, HeldOn: civil("2025-03-13"),
	})
	if v := badRequest(t, err); v["held_on"] == "" {
		t.Errorf("session held tomorrow: %v", v)
	}
	_, err = f.client.OpenReceptionSession(ctx, &intakev1.OpenReceptionSessionRequest{
		Meta: meta(), UnitCode: "PRTC.XX", Kind: intakev1.SessionKind_SESSION_KIND_REGULAR, HeldOn: civil("2025-03-12"),
	})
	if v := badRequest(t, err); v["unit_code"] == "" {
		t.Errorf("session at an unknown unit: %v", v)
	}
	session := openSession(t, f.client, unitKD, "2025-03-11")
	before := f.lastSeq()
	// 5–10 people appoint 1–2 representatives, more than 10 up to 5 (Luật TCD Đ29).
	if v := badRequest(t, second(f.client.RecordVisit(ctx, visit(session, 8, 3, nil, "", "")))); v["representative_count"] == "" {
		t.Errorf("8 people with 3 representatives: %v", v)
	}
	if _, err := f.client.RecordVisit(ctx, visit(session, 11, 5, nil, "", "")); err != nil {
		t.Errorf("11 people with 5 representatives: %v", err)
	}
	before++
	if v := badRequest(t, second(f.client.RecordVisit(ctx, visit(session, 1, 0, &personv1.PersonalData{IdNumber: "12-34"}, "", "")))); v["visitor.id_number"] == "" {
		t.Errorf("bad ID number: %v", v)
	}
	if _, err := f.client.RecordVisit(ctx, visit("00000000-0000-4000-8000-000000000000", 1, 0, nil, "", "")); codeOf(err) != codes.NotFound {
		t.Errorf("visit in an unknown session: %v, want NotFound", err)
	}
	// Another ward's officer cannot see the session.
	dv := f.as("officer-dv", auth.RoleReceptionOfficer, unitDV)
	if _, err := dv.RecordVisit(ctx, visit(session, 1, 0, nil, "", "")); codeOf(err) != codes.NotFound {
		t.Errorf("visit by another ward: %v, want NotFound", err)
	}
	if f.lastSeq() != before {
		t.Errorf("log at %d, want %d", f.lastSeq(), before)
	}
}

func second[T any](_ T, err error) error { return err }
