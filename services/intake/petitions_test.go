package intake_test

import (
	"regexp"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/auth"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
)

var receiptPattern = regexp.MustCompile(`^PRTC\.KD-2025-[0-9A-HJKMNP-TV-Z]{7}$`)

func duc() *personv1.PersonalData {
	return &personv1.PersonalData{FullName: "Nguyễn Văn Đức", IdNumber: "058203004567", Address: "12 Thống Nhất, Kinh Dinh", Phone: "0905123456"}
}

func TestRegisterPetitionGivesReceiptAndStartsProcessingClock(t *testing.T) {
	f := start(t)
	req := complaint(duc(), "UBND phường Kinh Dinh", "Quyết định số 123/QĐ-UBND")
	res, err := f.client.RegisterPetition(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !receiptPattern.MatchString(res.GetReceiptNumber()) {
		t.Errorf("receipt %q does not look like %s", res.GetReceiptNumber(), receiptPattern)
	}
	if res.GetDuplicateOf() != "" || res.GetRepeatNumber() != 1 || res.GetAnonymous() {
		t.Errorf("response %v: want an original, first receipt, not anonymous", res)
	}
	// 10 working days from Monday 10/3/2025, the day itself not counted: 11–14/3, 17–21/3, 24/3.
	if !proto.Equal(res.GetProcessingDueOn(), civil("2025-03-24")) {
		t.Errorf("processing due on %v, want 2025-03-24", res.GetProcessingDueOn())
	}

	// One commit holds the registration and the clock.
	h, err := f.r.Env.Store.Load(ctx, eventstoreAgg("petition", res.GetPetitionId()))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Commits) != 1 || len(h.Events) != 2 {
		t.Fatalf("%d commits, %d events; want PetitionRegistered and LegalClockStarted in one commit", len(h.Commits), len(h.Events))
	}
	evs := f.history("petition", res.GetPetitionId())
	reg, ok1 := evs[0].(*intakev1.PetitionRegistered)
	clk, ok2 := evs[1].(*commonv1.LegalClockStarted)
	if !ok1 || !ok2 {
		t.Fatalf("events %T, %T", evs[0], evs[1])
	}
	if reg.GetReceiptNumber() != res.GetReceiptNumber() || reg.GetKind() != commonv1.PetitionKind_PETITION_KIND_COMPLAINT ||
		reg.GetSenderRef() == "" || len(reg.GetIdNumberIndex()) != 64 || len(reg.GetNameIndex()) != 64 || len(reg.GetMatterIndex()) != 64 {
		t.Errorf("registered %v", reg)
	}
	c := clk.GetClock()
	if c.GetCaseId() != res.GetPetitionId() || c.GetClock() != "processing" || c.GetRuleId() != "petition.process" ||
		!proto.Equal(c.GetStartedOn(), civil("2025-03-10")) || !proto.Equal(c.GetDueOn(), civil("2025-03-24")) ||
		c.GetUnitCode() != unitKD || len(c.GetDerivation()) == 0 || !strings.Contains(c.GetDerivation()[0], "2025-03-10") {
		t.Errorf("clock %v", c)
	}
	// Personal data and free text are sealed in the envelope, with the sender's reference.
	sealed := h.Events[0].Envelope.GetSealed()
	if len(sealed) != 2 || sealed[0].GetSubjectRef() != reg.GetSenderRef() || sealed[1].GetSubjectRef() != reg.GetSenderRef() {
		t.Errorf("sealed %v, want personal data and content under %s", sealed, reg.GetSenderRef())
	}

	got, err := f.client.GetPetition(ctx, &intakev1.GetPetitionRequest{PetitionId: res.GetPetitionId()})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got.GetPetition(), reg) || len(got.GetRepeats()) != 0 {
		t.Errorf("GetPetition %v, want the registration as recorded", got)
	}
}

func TestDuplicateLinksToOriginalAndCountsRepeats(t *testing.T) {
	f := start(t)
	first, err := f.client.RegisterPetition(ctx, complaint(duc(), "UBND phường Kinh Dinh", "Quyết định số 123/QĐ-UBND"))
	if err != nil {
		t.Fatal(err)
	}
	f.indexed()

	// The same ID number, the name without diacritics, the matter written differently.
	again := &personv1.PersonalData{FullName: "NGUYEN VAN DUC", IdNumber: "058203004567"}
	req := complaint(again, "ubnd phuong Kinh Dinh", "quyet dinh so 123 / QD-UBND")
	req.ReceivedOn = civil("2025-03-11")
	before := f.lastSeq()
	dup, err := f.client.RegisterPetition(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if dup.GetDuplicateOf() != first.GetPetitionId() || dup.GetRepeatNumber() != 2 || dup.GetProcessingDueOn() != nil {
		t.Fatalf("repeat %v: want duplicate_of %s, repeat 2, no clock", dup, first.GetPetitionId())
	}
	if dup.GetReceiptNumber() == first.GetReceiptNumber() || !receiptPattern.MatchString(dup.GetReceiptNumber()) {
		t.Errorf("repeat receipt %q (original %q)", dup.GetReceiptNumber(), first.GetReceiptNumber())
	}
	if n := f.lastSeq() - before; n != 2 {
		t.Errorf("%d commits appended, want 2 (the repeat on the original, the repeat itself)", n)
	}
	evs := f.history("petition", dup.GetPetitionId())
	if len(evs) != 1 {
		t.Fatalf("repeat has %d events, want only PetitionRegistered (no clock, no case)", len(evs))
	}
	origEvs := f.history("petition", first.GetPetitionId())
	rep := must[*intakev1.RepeatPetitionReceived](t)(find[*intakev1.RepeatPetitionReceived](origEvs))
	if rep.GetRepeatPetitionId() != dup.GetPetitionId() || rep.GetRepeatNumber() != 2 || !proto.Equal(rep.GetReceivedOn(), civil("2025-03-11")) {
		t.Errorf("original records %v", rep)
	}
	origReg := origEvs[0].(*intakev1.PetitionRegistered)
	if evs[0].(*intakev1.PetitionRegistered).GetSenderRef() != origReg.GetSenderRef() {
		t.Error("the same person got another sender ref: shredding them would miss data")
	}

	// A third time, by name only (no ID number): still the same person on the same matter.
	f.indexed()
	third := complaint(&personv1.PersonalData{FullName: "Nguyễn  văn Đức"}, "UBND phường Kinh Dinh", "Quyết định số 123/QĐ-UBND")
	res3, err := f.client.RegisterPetition(ctx, third)
	if err != nil {
		t.Fatal(err)
	}
	if res3.GetDuplicateOf() != first.GetPetitionId() || res3.GetRepeatNumber() != 3 {
		t.Errorf("name-only repeat %v: want duplicate_of the original, repeat 3", res3)
	}
	got, err := f.client.GetPetition(ctx, requestFor(first.GetPetitionId()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GetRepeats()) != 2 {
		t.Errorf("original shows %d repeats, want 2", len(got.GetRepeats()))
	}

	// A different matter from the same person is a new case with its own clock.
	f.indexed()
	other, err := f.client.RegisterPetition(ctx, complaint(duc(), "UBND phường Kinh Dinh", "Quyết định số 456/QĐ-UBND"))
	if err != nil {
		t.Fatal(err)
	}
	if other.GetDuplicateOf() != "" || other.GetRepeatNumber() != 1 || other.GetProcessingDueOn() == nil {
		t.Errorf("other matter %v: want a new case", other)
	}
	// The same matter as a denunciation is another kind, so not a repeat of the complaint.
	f.indexed()
	den := complaint(duc(), "UBND phường Kinh Dinh", "Quyết định số 123/QĐ-UBND")
	den.Contents[0].Kind, den.ComplaintInstance = commonv1.PetitionKind_PETITION_KIND_DENUNCIATION, 0
	if res, err := f.client.RegisterPetition(ctx, den); err != nil || res.GetDuplicateOf() != "" {
		t.Errorf("denunciation on the same matter: %v, %v; want a new case", res, err)
	}
}

func TestClassificationFlags(t *testing.T) {
	f := start(t)
	// An anonymous denunciation (Luật TC Đ25): no name, no ID number.
	anon := complaint(nil, "Cán bộ địa chính phường", "")
	anon.Contents[0].Kind, anon.ComplaintInstance = commonv1.PetitionKind_PETITION_KIND_DENUNCIATION, 0
	anon.SenderType = commonv1.SenderType_SENDER_TYPE_INDIVIDUAL
	res, err := f.client.RegisterPetition(ctx, anon)
	if err != nil {
		t.Fatal(err)
	}
	if !res.GetAnonymous() {
		t.Error("a denunciation without name or ID number is not flagged anonymous")
	}
	reg := f.history("petition", res.GetPetitionId())[0].(*intakev1.PetitionRegistered)
	if !reg.GetAnonymous() || reg.GetKind() != commonv1.PetitionKind_PETITION_KIND_DENUNCIATION || reg.GetIdNumberIndex() != "" || reg.GetNameIndex() != "" {
		t.Errorf("anonymous denunciation recorded as %v", reg)
	}
	// An address alone does not identify the sender either.
	anon2 := proto.CloneOf(anon)
	anon2.Meta, anon2.Sender = meta(), &personv1.PersonalData{Address: "Hộp thư góp ý"}
	if res, err := f.client.RegisterPetition(ctx, anon2); err != nil || !res.GetAnonymous() {
		t.Errorf("address only: %v, %v; want anonymous", res, err)
	}

	// Several contents of different kinds: multi-content.
	multi := complaint(duc(), "UBND phường Kinh Dinh", "QĐ 9")
	multi.Contents = append(multi.Contents, &intakev1.PetitionContent{Kind: commonv1.PetitionKind_PETITION_KIND_RECOMMENDATION, Field: commonv1.Field_FIELD_ADMIN_POLICY})
	res, err = f.client.RegisterPetition(ctx, multi)
	if err != nil {
		t.Fatal(err)
	}
	reg = f.history("petition", res.GetPetitionId())[0].(*intakev1.PetitionRegistered)
	if reg.GetKind() != commonv1.PetitionKind_PETITION_KIND_MULTI_CONTENT || len(reg.GetContents()) != 2 || reg.GetField() != commonv1.Field_FIELD_ADMIN_LAND_HOUSING {
		t.Errorf("multi-content recorded as kind %v field %v contents %d", reg.GetKind(), reg.GetField(), len(reg.GetContents()))
	}
	// Two contents of the same kind are still that kind.
	same := complaint(duc(), "UBND phường Kinh Dinh", "QĐ 10")
	same.Contents = append(same.Contents, &intakev1.PetitionContent{Kind: commonv1.PetitionKind_PETITION_KIND_COMPLAINT, Field: commonv1.Field_FIELD_ADMIN_POLICY})
	res, err = f.client.RegisterPetition(ctx, same)
	if err != nil {
		t.Fatal(err)
	}
	if k := f.history("petition", res.GetPetitionId())[0].(*intakev1.PetitionRegistered).GetKind(); k != commonv1.PetitionKind_PETITION_KIND_COMPLAINT {
		t.Errorf("two complaint contents classified %v", k)
	}

	// Crowd from 5 signatories (Luật TCD Đ29).
	for n, want := range map[int32]bool{4: false, 5: true, 120: true} {
		req := complaint(duc(), "UBND phường Kinh Dinh", "QĐ crowd")
		req.SenderType, req.SignatoryCount = commonv1.SenderType_SENDER_TYPE_GROUP, n
		res, err := f.client.RegisterPetition(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.history("petition", res.GetPetitionId())[0].(*intakev1.PetitionRegistered).GetCrowd(); got != want {
			t.Errorf("%d signatories: crowd %v, want %v", n, got, want)
		}
	}
}

func TestInvalidPetitionsAreRefusedWithFieldViolationsAndAppendNothing(t *testing.T) {
	f := start(t)
	valid := func() *intakev1.RegisterPetitionRequest {
		return complaint(duc(), "UBND phường Kinh Dinh", "Quyết định số 123/QĐ-UBND")
	}
	cases := []struct {
		name   string
		mutate func(*intakev1.RegisterPetitionRequest)
		fields []string
	}{
		{"no command meta", func(r *intakev1.RegisterPetitionRequest) { r.Meta = nil }, []string{"meta"}},
		{"no unit, no contents", func(r *intakev1.RegisterPetitionRequest) { r.UnitCode, r.Contents = "", nil }, []string{"unit_code", "contents"}},
		{"no content", func(r *intakev1.RegisterPetitionRequest) { r.Content = nil }, []string{"content"}},
		{"received tomorrow", func(r *intakev1.RegisterPetitionRequest) { r.ReceivedOn = civil("2025-03-13") }, []string{"received_on"}},
		{"written after received", func(r *intakev1.RegisterPetitionRequest) { r.WrittenOn = civil("2025-03-11") }, []string{"written_on"}},
		{"unknown unit", func(r *intakev1.RegisterPetitionRequest) { r.UnitCode = "PRTC.XX" }, []string{"unit_code"}},
		{"unit not yet in existence", func(r *intakev1.RegisterPetitionRequest) { r.ReceivedOn, r.WrittenOn = civil("2019-12-31"), nil }, []string{"unit_code"}},
		{"unknown respondent unit", func(r *intakev1.RegisterPetitionRequest) { r.RespondentUnitCode = "NOWHERE" }, []string{"respondent_unit_code"}},
		{"summary too long", func(r *intakev1.RegisterPetitionRequest) { r.Content.Summary = strings.Repeat("đ", 10001) }, []string{"content.summary"}},
		{"empty summary", func(r *intakev1.RegisterPetitionRequest) { r.Content.Summary = "  " }, []string{"content.summary"}},
		{"name too long", func(r *intakev1.RegisterPetitionRequest) { r.Sender.FullName = strings.Repeat("Nguyễn ", 40) }, []string{"sender.full_name"}},
		{"ID number not digits", func(r *intakev1.RegisterPetitionRequest) { r.Sender.IdNumber = "05820300456X" }, []string{"sender.id_number"}},
		{"ID number of 10 digits", func(r *intakev1.RegisterPetitionRequest) { r.Sender.IdNumber = "0582030045" }, []string{"sender.id_number"}},
		{"complaint without instance", func(r *intakev1.RegisterPetitionRequest) { r.ComplaintInstance = 0 }, []string{"complaint_instance"}},
		{"multi-content as a content kind", func(r *intakev1.RegisterPetitionRequest) {
			r.Contents[0].Kind = commonv1.PetitionKind_PETITION_KIND_MULTI_CONTENT
		}, []string{"contents[0].kind"}},
		{"forwarded without forwarder", func(r *intakev1.RegisterPetitionRequest) { r.Source = commonv1.Source_SOURCE_COUNCIL_DEPUTY }, []string{"forwarded_by"}},
		{"everything at once", func(r *intakev1.RegisterPetitionRequest) {
			r.ReceivedOn, r.WrittenOn, r.ComplaintInstance = civil("2025-04-01"), civil("2025-04-02"), 0
		}, []string{"received_on", "written_on", "complaint_instance"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.lastSeq()
			req := valid()
			c.mutate(req)
			_, err := f.client.RegisterPetition(ctx, req)
			got := badRequest(t, err)
			for _, field := range c.fields {
				found := false
				for g := range got {
					if g == field || strings.HasPrefix(g, field+".") {
						found = true
					}
				}
				if !found {
					t.Errorf("no violation of %s in %v", field, got)
				}
			}
			for field, desc := range got {
				for _, clear := range []string{"Nguyễn", "058203004", "05820300456X", "Thống Nhất", "0905123456"} {
					if strings.Contains(desc, clear) || strings.Contains(field, clear) {
						t.Errorf("violation %s: %q repeats personal data", field, desc)
					}
				}
			}
			if after := f.lastSeq(); after != before {
				t.Errorf("log moved from %d to %d on a refused command", before, after)
			}
		})
	}
}

func TestRetryReturnsTheSameRegistrationAndAppendsNothing(t *testing.T) {
	f := start(t)
	req := complaint(duc(), "UBND phường Kinh Dinh", "Quyết định số 123/QĐ-UBND")
	first, err := f.client.RegisterPetition(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	before := f.lastSeq()
	f.env.Clock.Advance(48 * 3600e9) // a retry two days later still finds the command
	for range 3 {
		again, err := f.client.RegisterPetition(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(again, first) {
			t.Fatalf("retry answered %v, first call %v", again, first)
		}
	}
	// A repeat's retry, once the index knows the original, neither counts again nor links the
	// petition to itself.
	f.indexed()
	rep := complaint(duc(), "UBND phường Kinh Dinh", "Quyết định số 123/QĐ-UBND")
	r1, err := f.client.RegisterPetition(ctx, rep)
	if err != nil {
		t.Fatal(err)
	}
	f.indexed()
	mid := f.lastSeq()
	r2, err := f.client.RegisterPetition(ctx, rep)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(r1, r2) || r1.GetDuplicateOf() != first.GetPetitionId() {
		t.Errorf("repeat retried: %v then %v", r1, r2)
	}
	if f.lastSeq() != mid || mid != before+2 {
		t.Errorf("log at %d after first registration, %d after the repeat, %d after its retry", before, mid, f.lastSeq())
	}
	// The same command id from another officer is another command.
	other, err := f.as("officer-2", auth.RoleReceptionOfficer, unitKD).RegisterPetition(ctx, req)
	if err != nil || other.GetPetitionId() == first.GetPetitionId() {
		t.Errorf("another officer's command with the same id: %v, %v", other, err)
	}
}

func TestWhoMayRegisterAndRead(t *testing.T) {
	f := start(t)
	res, err := f.client.RegisterPetition(ctx, complaint(duc(), "UBND phường Kinh Dinh", "QĐ 1"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		subject  string
		role     auth.Role
		unit     string
		register codes.Code
		read     codes.Code
	}{
		{"officer-kd", auth.RoleReceptionOfficer, unitKD, codes.OK, codes.OK},
		{"processing-kd", auth.RoleProcessingOfficer, unitKD, codes.OK, codes.OK},
		{"deputy-kd", auth.RoleCouncilDeputy, unitKD, codes.OK, codes.OK},
		{"officer-prtc", auth.RoleReceptionOfficer, "PRTC", codes.OK, codes.OK},
		{"officer-dv", auth.RoleReceptionOfficer, unitDV, codes.PermissionDenied, codes.NotFound},
		{"handler-kd", auth.RoleHandler, unitKD, codes.PermissionDenied, codes.OK},
		{"auditor", auth.RoleAuditor, "NT", codes.PermissionDenied, codes.OK},
		{"inspector", auth.RoleInspector, "NT", codes.PermissionDenied, codes.OK},
		{"agency", auth.RoleAgency, unitKD, codes.PermissionDenied, codes.PermissionDenied},
	}
	for _, c := range cases {
		t.Run(c.subject, func(t *testing.T) {
			cl := f.as(c.subject, c.role, c.unit)
			_, err := cl.RegisterPetition(ctx, complaint(duc(), "UBND phường Kinh Dinh", "QĐ 2"))
			if codeOf(err) != c.register {
				t.Errorf("register: %v, want %v", err, c.register)
			}
			_, err = cl.GetPetition(ctx, requestFor(res.GetPetitionId()))
			if codeOf(err) != c.read {
				t.Errorf("read: %v, want %v", err, c.read)
			}
		})
	}
	if _, err := f.client.GetPetition(ctx, requestFor("00000000-0000-4000-8000-000000000000")); codeOf(err) != codes.NotFound {
		t.Errorf("unknown petition: %v, want NotFound", err)
	}
}

func requestFor(id string) *intakev1.GetPetitionRequest {
	return &intakev1.GetPetitionRequest{PetitionId: id}
}
