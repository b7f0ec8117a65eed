package routing_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/testenv"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestComplaintEndToEnd carries a first complaint from processing to execution through gRPC and
// checks each legal clock against dates computed by hand.
func TestComplaintEndToEnd(t *testing.T) {
	f := start(t)
	id := f.register(petitionSpec{kind: complaint, unit: wardPC, respondent: wardPC, receivedOn: "2025-03-03"})

	// Processing: 10 working days after receipt on Monday 2025-03-03 (the day itself not counted):
	// 4, 5, 6, 7, 10, 11, 12, 13, 14, 17 March → due 2025-03-17.
	got, err := f.officer.GetCase(f.ctx, &routingv1.GetCaseRequest{CaseId: id})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetCase().GetStatus() != routingv1.CaseStatus_CASE_STATUS_AWAITING_PROCESSING {
		t.Fatalf("status %v", got.GetCase().GetStatus())
	}
	wantDue(t, got.GetCase(), "processing", "2025-03-17")

	f.setToday("2025-03-10")
	resp, err := f.officer.ProcessPetition(f.ctx, accept(id, "2025-03-10", false))
	if err != nil {
		t.Fatal(err)
	}
	c := resp.GetCase()
	if c.GetStatus() != routingv1.CaseStatus_CASE_STATUS_IN_RESOLUTION || c.GetUnitCode() != wardPC || c.GetComplaintInstance() != 1 {
		t.Fatalf("after acceptance: %v", c)
	}
	// Resolution: 30 calendar days from acceptance on 2025-03-10 (Luật KN Đ28) → 2025-04-09, a
	// Wednesday and a working day. The processing clock stopped.
	wantDue(t, c, "resolution", "2025-04-09")
	if len(c.GetOpenClocks()) != 1 {
		t.Fatalf("open clocks %v", c.GetOpenClocks())
	}
	// The decision, the processing clock's stop (on time: 2025-03-10 ≤ 2025-03-17) and the new clock
	// are one commit.
	h, err := f.store.Load(f.ctx, eventstore.Aggregate{Type: "case", ID: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Commits) != 1 || !slices.Equal(f.caseEvents(id), []string{"PetitionClassified", "CaseAccepted", "LegalClockStopped", "LegalClockStarted"}) {
		t.Fatalf("commits %d, events %v", len(h.Commits), f.caseEvents(id))
	}
	var stopped commonv1.LegalClockStopped
	if err := h.Events[2].Envelope.GetPayload().UnmarshalTo(&stopped); err != nil || stopped.GetClock() != "processing" || !stopped.GetOnTime() || dateOf(stopped.GetDueOn()) != "2025-03-17" {
		t.Fatalf("processing stop %v", &stopped)
	}

	steps := []struct {
		on   string
		step any
	}{
		{"2025-03-12", &routingv1.RecordStepRequest_VerificationStart{}},
		{"2025-03-25", &routingv1.RecordStepRequest_Dialogue{}},
		{"2025-04-08", &routingv1.RecordStepRequest_ComplaintDecision{Finding: routingv1.ComplaintFinding_COMPLAINT_FINDING_PARTLY_RIGHT,
			DecisionNumber: "15/QĐ-UBND", Remedies: &routingv1.Remedies{ReturnIndividualsLandM2: 120, IndividualsRestored: 1}}},
	}
	for _, s := range steps {
		f.setToday(s.on)
		r, err := f.handler.RecordStep(f.ctx, stepReq(id, s.on, s.step))
		if err != nil {
			t.Fatalf("%T: %v", s.step, err)
		}
		c = r.GetCase()
	}
	if c.GetStatus() != routingv1.CaseStatus_CASE_STATUS_RESOLVED {
		t.Fatalf("status %v", c.GetStatus())
	}
	// Sending: 3 working days from Tuesday 2025-04-08 (Luật KN Đ32): 9, 10, 11 April → 2025-04-11.
	wantDue(t, c, "send_decision", "2025-04-11")
	if len(c.GetOpenClocks()) != 1 {
		t.Fatalf("the resolution clock stopped with the decision: %v", c.GetOpenClocks())
	}

	f.setToday("2025-04-10")
	if _, err := f.handler.RecordStep(f.ctx, stepReq(id, "2025-04-10", &routingv1.RecordStepRequest_DecisionSending{})); err != nil {
		t.Fatal(err)
	}
	f.setToday("2025-05-15")
	r, err := f.handler.RecordStep(f.ctx, stepReq(id, "2025-05-15", &routingv1.RecordStepRequest_Execution{Achieved: &routingv1.Remedies{ReturnIndividualsLandM2: 120}}))
	if err != nil {
		t.Fatal(err)
	}
	c = r.GetCase()
	if len(c.GetOpenClocks()) != 0 || c.GetStatus() != routingv1.CaseStatus_CASE_STATUS_RESOLVED {
		t.Fatalf("after execution: %v", c)
	}

	// The log says the decision was on time (2025-04-08 ≤ 2025-04-09) and so was the sending.
	h, _ = f.store.Load(f.ctx, eventstore.Aggregate{Type: "case", ID: id})
	var decided routingv1.ComplaintDecisionIssued
	var stops []*commonv1.LegalClockStopped
	for _, e := range h.Events {
		switch e.Envelope.GetEventType() {
		case "ComplaintDecisionIssued":
			_ = e.Envelope.GetPayload().UnmarshalTo(&decided)
		case "LegalClockStopped":
			s := &commonv1.LegalClockStopped{}
			_ = e.Envelope.GetPayload().UnmarshalTo(s)
			stops = append(stops, s)
		}
	}
	if !decided.GetOnTime() || decided.GetComplaintInstance() != 1 || len(stops) != 3 || !stops[2].GetOnTime() || stops[2].GetClock() != "send_decision" {
		t.Fatalf("decision %v, stops %v", &decided, stops)
	}

	// GetCase: one timeline entry per event, each with its date, recorder and a summary without
	// personal data.
	got, err = f.officer.GetCase(f.ctx, &routingv1.GetCaseRequest{CaseId: id})
	if err != nil {
		t.Fatal(err)
	}
	tl := got.GetCase().GetTimeline()
	if len(tl) != len(h.Events) || got.GetCase().GetVersion() != uint64(len(h.Events)) || got.GetCase().GetReceiptNumber() == "" {
		t.Fatalf("timeline %d entries for %d events, version %d", len(tl), len(h.Events), got.GetCase().GetVersion())
	}
	for i, e := range tl {
		if e.GetVersion() != uint64(i+1) || e.GetEventType() == "" || e.GetSummary() == "" || e.GetRecordedAt() == nil || e.GetActorSubject() == "" {
			t.Fatalf("timeline entry %d: %v", i, e)
		}
		if e.GetEventType() != "LegalClockExtended" && e.GetOn() == nil {
			t.Fatalf("timeline entry %d has no date: %v", i, e)
		}
	}
	if !strings.Contains(tl[1].GetSummary(), "Accepted for resolution by "+wardPC) {
		t.Fatalf("summary %q", tl[1].GetSummary())
	}
}

// TestDenunciationExtensionsSuspensionAndConclusion extends a denunciation twice (a third is
// refused), suspends it for 12 days and resumes it, concludes, acts and publishes.
func TestDenunciationExtensionsSuspensionAndConclusion(t *testing.T) {
	f := start(t)
	id := f.register(petitionSpec{kind: denunciation, unit: wardPC, respondent: wardPC, receivedOn: "2025-03-03"})
	step := func(on string, s any) *routingv1.Case {
		t.Helper()
		f.setToday(on)
		r, err := f.handler.RecordStep(f.ctx, stepReq(id, on, s))
		if err != nil {
			t.Fatalf("%T on %s: %v", s, on, err)
		}
		return r.GetCase()
	}
	f.setToday("2025-03-05")
	resp, err := f.officer.ProcessPetition(f.ctx, accept(id, "2025-03-05", true))
	if err != nil {
		t.Fatal(err)
	}
	// 30 calendar days from acceptance on 2025-03-05 (Luật TC Đ30) → 2025-04-04, a Friday.
	wantDue(t, resp.GetCase(), "resolution", "2025-04-04")
	step("2025-03-06", &routingv1.RecordStepRequest_VerificationStart{})

	// First extension, 30 days: 60 days from 2025-03-05 → Sunday 2025-05-04, which rolls over to the
	// next working day, Monday 2025-05-05 (Civil Code 2015 Đ148).
	c := step("2025-03-20", &routingv1.RecordStepRequest_Extension{Days: 30})
	wantDue(t, c, "resolution", "2025-05-05")
	// Second extension (especially complex), 25 days: 85 days from 2025-03-05 → Thursday 2025-05-29.
	c = step("2025-04-01", &routingv1.RecordStepRequest_Extension{Days: 25})
	wantDue(t, c, "resolution", "2025-05-29")
	if c.GetExtensions() != 2 {
		t.Fatalf("extensions %d", c.GetExtensions())
	}
	// A third is refused and changes nothing.
	before := f.lastSeq()
	_, err = f.handler.RecordStep(f.ctx, stepReq(id, "2025-04-01", &routingv1.RecordStepRequest_Extension{Days: 10}))
	wantError(t, err, codes.FailedPrecondition, "EXTENSIONS_EXHAUSTED", "extension")
	if f.lastSeq() != before {
		t.Fatal("a refused extension changed the log")
	}

	// Suspended on 2025-04-10, resumed on 2025-04-22: the 12 days after the suspension up to the
	// resumption do not count (Luật TC Đ34), so the due date moves by 12 days: 2025-05-29 → 2025-06-10.
	c = step("2025-04-10", &routingv1.RecordStepRequest_Suspension{Reason: "waiting for a land survey"})
	if c.GetStatus() != routingv1.CaseStatus_CASE_STATUS_SUSPENDED || clock(t, c, "resolution").GetDueOn() != nil {
		t.Fatalf("while suspended: %v", c)
	}
	f.setToday("2025-04-15")
	_, err = f.handler.RecordStep(f.ctx, stepReq(id, "2025-04-15", &routingv1.RecordStepRequest_Conclusion{Finding: routingv1.DenunciationFinding_DENUNCIATION_FINDING_TRUE}))
	wantError(t, err, codes.FailedPrecondition, "CASE_SUSPENDED", "")
	c = step("2025-04-22", &routingv1.RecordStepRequest_Resumption{})
	wantDue(t, c, "resolution", "2025-06-10")
	if c.GetStatus() != routingv1.CaseStatus_CASE_STATUS_IN_RESOLUTION {
		t.Fatalf("status %v", c.GetStatus())
	}
	_, err = f.handler.RecordStep(f.ctx, stepReq(id, "2025-04-22", &routingv1.RecordStepRequest_Resumption{}))
	wantError(t, err, codes.FailedPrecondition, "CASE_NOT_SUSPENDED", "resumption")

	// Concluded on Monday 2025-06-02, on time. Acting on it (Luật TC Đ36) and publishing it (Luật TC
	// Đ40) take 7 working days each: 3, 4, 5, 6, 9, 10, 11 June → 2025-06-11.
	c = step("2025-06-02", &routingv1.RecordStepRequest_Conclusion{Finding: routingv1.DenunciationFinding_DENUNCIATION_FINDING_PARTLY_TRUE})
	wantDue(t, c, "act_on_conclusion", "2025-06-11")
	wantDue(t, c, "publish", "2025-06-11")
	if len(c.GetOpenClocks()) != 2 || c.GetStatus() != routingv1.CaseStatus_CASE_STATUS_RESOLVED {
		t.Fatalf("after the conclusion: %v", c.GetOpenClocks())
	}
	step("2025-06-05", &routingv1.RecordStepRequest_ConclusionAction{Achieved: &routingv1.Remedies{PeopleSanctioned: 1}})
	c = step("2025-06-06", &routingv1.RecordStepRequest_Publication{})
	if len(c.GetOpenClocks()) != 0 {
		t.Fatalf("open clocks %v", c.GetOpenClocks())
	}
	want := []string{"PetitionClassified", "CaseAccepted", "LegalClockStopped", "LegalClockStarted", "VerificationStarted",
		"ResolutionExtended", "LegalClockExtended", "ResolutionExtended", "LegalClockExtended", "CaseSuspended", "LegalClockPaused",
		"CaseResumed", "LegalClockResumed", "DenunciationConcluded", "LegalClockStopped", "LegalClockStarted", "LegalClockStarted",
		"ConclusionActedOn", "LegalClockStopped", "ConclusionPublished", "LegalClockStopped"}
	if got := f.caseEvents(id); !slices.Equal(got, want) {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
}

// TestDuplicateAndAnonymousPetitions: a duplicate opens no case; an anonymous denunciation is not
// accepted as a denunciation but may be filed away.
func TestDuplicateAndAnonymousPetitions(t *testing.T) {
	f := start(t)
	orig := f.register(petitionSpec{kind: complaint, unit: wardPC, respondent: wardPC, receivedOn: "2025-03-03"})
	dup := f.register(petitionSpec{kind: complaint, unit: wardPC, respondent: wardPC, receivedOn: "2025-03-03", duplicateOf: orig})
	f.setToday("2025-03-05")
	before := f.lastSeq()
	_, err := f.officer.ProcessPetition(f.ctx, accept(dup, "2025-03-05", false))
	wantError(t, err, codes.FailedPrecondition, "DUPLICATE_PETITION", "")
	s, _ := status.FromError(err)
	for _, d := range s.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetMetadata()["original_petition_id"] != orig {
			t.Fatalf("the refusal names the original: %v", info)
		}
	}
	if f.lastSeq() != before || len(f.caseEvents(dup)) != 0 {
		t.Fatal("a duplicate got a case")
	}
	_, err = f.officer.GetCase(f.ctx, &routingv1.GetCaseRequest{CaseId: dup})
	wantError(t, err, codes.FailedPrecondition, "DUPLICATE_PETITION", "")

	anon := f.register(petitionSpec{kind: denunciation, unit: wardPC, respondent: wardPC, receivedOn: "2025-03-03", anonymous: true})
	_, err = f.officer.ProcessPetition(f.ctx, accept(anon, "2025-03-05", false))
	wantError(t, err, codes.FailedPrecondition, "ANONYMOUS_DENUNCIATION", "accept")
	if f.lastSeq() != before+1 { // only the registration of the anonymous petition
		t.Fatal("a refused acceptance changed the log")
	}
	r, err := f.officer.ProcessPetition(f.ctx, &routingv1.ProcessPetitionRequest{Meta: meta(), PetitionId: anon, ProcessedOn: cd("2025-03-05"),
		Decision: &routingv1.ProcessPetitionRequest_FileAway_{FileAway: &routingv1.ProcessPetitionRequest_FileAway{Reason: routingv1.FilingReason_FILING_REASON_ANONYMOUS}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetCase().GetStatus() != routingv1.CaseStatus_CASE_STATUS_FILED || len(r.GetCase().GetOpenClocks()) != 0 {
		t.Fatalf("filed away: %v", r.GetCase())
	}
}

// TestComplaintOutsideCompetenceIsGuidedOnce: the rules choose the department whose act is
// complained about; a second guidance is refused with the reason.
func TestComplaintOutsideCompetenceIsGuidedOnce(t *testing.T) {
	f := start(t)
	id := f.register(petitionSpec{kind: complaint, unit: wardPC, respondent: tnmt, receivedOn: "2025-03-03"})
	f.setToday("2025-03-05")
	_, err := f.officer.ProcessPetition(f.ctx, accept(id, "2025-03-05", false))
	wantError(t, err, codes.FailedPrecondition, "NOT_COMPETENT", "accept")

	guide := func() (*routingv1.ProcessPetitionResponse, error) {
		return f.officer.ProcessPetition(f.ctx, &routingv1.ProcessPetitionRequest{Meta: meta(), PetitionId: id, ProcessedOn: cd("2025-03-05"),
			Decision: &routingv1.ProcessPetitionRequest_Guide_{Guide: &routingv1.ProcessPetitionRequest_Guide{}}})
	}
	r, err := guide()
	if err != nil {
		t.Fatal(err)
	}
	c := r.GetCase()
	if c.GetStatus() != routingv1.CaseStatus_CASE_STATUS_GUIDED || !c.GetGuided() || len(c.GetOpenClocks()) != 0 ||
		!strings.Contains(c.GetTimeline()[1].GetSummary(), "guided to "+tnmt) {
		t.Fatalf("guided: %v", c)
	}
	if !strings.Contains(c.GetTimeline()[0].GetSummary(), "outside its competence; competent: "+tnmt+" (Luật KN Đ17)") {
		t.Fatalf("classification %q", c.GetTimeline()[0].GetSummary())
	}
	before := f.lastSeq()
	_, err = guide()
	wantError(t, err, codes.FailedPrecondition, "GUIDED_ONCE", "guide")
	s, _ := status.FromError(err)
	for _, d := range s.Details() {
		if pf, ok := d.(*errdetails.PreconditionFailure); ok {
			if v := pf.GetViolations()[0]; v.GetType() != "GUIDED_ONCE" || v.GetSubject() != "case/"+id || !strings.Contains(v.GetDescription(), "guided only once") {
				t.Fatalf("precondition failure %v", v)
			}
		}
	}
	if f.lastSeq() != before {
		t.Fatal("a refused guidance changed the log")
	}
}

// TestInvalidCommandsLeaveTheLogUnchanged: malformed requests, future dates, steps out of order,
// unknown units and oversized text are refused with field details.
func TestInvalidCommandsLeaveTheLogUnchanged(t *testing.T) {
	f := start(t)
	id := f.register(petitionSpec{kind: complaint, unit: wardPC, respondent: wardPC, receivedOn: "2025-03-03"})
	f.setToday("2025-03-10")
	if _, err := f.officer.ProcessPetition(f.ctx, accept(id, "2025-03-10", false)); err != nil {
		t.Fatal(err)
	}
	before := f.lastSeq()
	long := strings.Repeat("x", 2001)
	tests := []struct {
		name   string
		call   func() error
		code   codes.Code
		reason string
		field  string
	}{
		{"no command meta", func() error {
			r := accept(id, "2025-03-10", false)
			r.Meta = nil
			_, err := f.officer.ProcessPetition(f.ctx, r)
			return err
		}, codes.InvalidArgument, "", "meta"},
		{"no date", func() error {
			r := stepReq(id, "2025-03-10", &routingv1.RecordStepRequest_VerificationStart{})
			r.On = nil
			_, err := f.handler.RecordStep(f.ctx, r)
			return err
		}, codes.InvalidArgument, "", "on"},
		{"not a case id", func() error {
			_, err := f.handler.RecordStep(f.ctx, stepReq("nope", "2025-03-10", &routingv1.RecordStepRequest_VerificationStart{}))
			return err
		}, codes.InvalidArgument, "", "case_id"},
		{"an extension over 30 days", func() error {
			_, err := f.handler.RecordStep(f.ctx, stepReq(id, "2025-03-10", &routingv1.RecordStepRequest_Extension{Days: 31}))
			return err
		}, codes.InvalidArgument, "", "extension.days"},
		{"oversized text", func() error {
			_, err := f.handler.RecordStep(f.ctx, stepReq(id, "2025-03-10", &routingv1.RecordStepRequest_Termination{Reason: long}))
			return err
		}, codes.InvalidArgument, "", "termination.reason"},
		{"a date in the future", func() error {
			_, err := f.handler.RecordStep(f.ctx, stepReq(id, "2025-03-11", &routingv1.RecordStepRequest_VerificationStart{}))
			return err
		}, codes.InvalidArgument, "", "on"},
		{"a date before the previous step", func() error {
			_, err := f.handler.RecordStep(f.ctx, stepReq(id, "2025-03-09", &routingv1.RecordStepRequest_VerificationStart{}))
			return err
		}, codes.FailedPrecondition, "DATE_BEFORE_PREVIOUS_STEP", "on"},
		{"a decision before verification", func() error {
			_, err := f.handler.RecordStep(f.ctx, stepReq(id, "2025-03-10", &routingv1.RecordStepRequest_ComplaintDecision{Finding: routingv1.ComplaintFinding_COMPLAINT_FINDING_RIGHT}))
			return err
		}, codes.FailedPrecondition, "STEP_OUT_OF_ORDER", "complaint_decision"},
		{"a conclusion of a complaint", func() error {
			_, err := f.handler.RecordStep(f.ctx, stepReq(id, "2025-03-10", &routingv1.RecordStepRequest_Conclusion{Finding: routingv1.DenunciationFinding_DENUNCIATION_FINDING_TRUE}))
			return err
		}, codes.FailedPrecondition, "NOT_FOR_THIS_KIND", "conclusion"},
		{"an unknown unit", func() error {
			_, err := f.officer.AssignCase(f.ctx, &routingv1.AssignCaseRequest{Meta: meta(), CaseId: id, AssigneeUnitCode: "NT.PRTC.NOPE", AssignedOn: cd("2025-03-10")})
			return err
		}, codes.FailedPrecondition, "UNIT_UNKNOWN", "assignee_unit_code"},
		{"an unknown petition", func() error {
			_, err := f.officer.ProcessPetition(f.ctx, accept("0193a3b0-0000-7000-8000-000000000000", "2025-03-10", false))
			return err
		}, codes.NotFound, "PETITION_NOT_FOUND", ""},
		{"processing twice", func() error {
			_, err := f.officer.ProcessPetition(f.ctx, accept(id, "2025-03-10", false))
			return err
		}, codes.FailedPrecondition, "CASE_ALREADY_PROCESSED", ""},
		{"an auditor", func() error {
			_, err := f.client(auth.RoleAuditor, wardPC).RecordStep(f.ctx, stepReq(id, "2025-03-10", &routingv1.RecordStepRequest_VerificationStart{}))
			return err
		}, codes.PermissionDenied, "ROLE_NOT_ALLOWED", ""},
		{"another unit's handler", func() error {
			_, err := f.client(auth.RoleHandler, communePC).RecordStep(f.ctx, stepReq(id, "2025-03-10", &routingv1.RecordStepRequest_VerificationStart{}))
			return err
		}, codes.PermissionDenied, "UNIT_OUT_OF_SCOPE", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.call(), tt.code, tt.reason, tt.field)
			if f.lastSeq() != before {
				t.Fatal("the log changed")
			}
		})
	}
	// The city committee, above the ward, may record a step; a retry of the same command is not
	// recorded twice.
	req := stepReq(id, "2025-03-10", &routingv1.RecordStepRequest_VerificationStart{})
	for range 2 {
		if _, err := f.client(auth.RoleHandler, cityPC).RecordStep(f.ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	if f.lastSeq() != before+1 {
		t.Fatalf("log moved by %d commits, want 1", f.lastSeq()-before)
	}
}
