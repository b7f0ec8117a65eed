package domain_test

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/deadline"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/routing/internal/domain"
)

const (
	complaint    = commonv1.PetitionKind_PETITION_KIND_COMPLAINT
	denunciation = commonv1.PetitionKind_PETITION_KIND_DENUNCIATION
	feedback     = commonv1.PetitionKind_PETITION_KIND_FEEDBACK
	multi        = commonv1.PetitionKind_PETITION_KIND_MULTI_CONTENT
)

func d(s string) calendar.Date { return calendar.MustParseDate(s) }

// fakeUnits is a two-level registry: the ward committee KD resolves its own complaints and
// denunciations; complaints about the TNMT department go to TNMT; the commune committee TH is remote.
type fakeUnits struct{}

var units = map[string]domain.Unit{
	"KD":      {Code: "KD", Kind: unitv1.UnitKind_UNIT_KIND_WARD, ParentCode: "CITY"},
	"KD.UBND": {Code: "KD.UBND", Kind: unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE, ParentCode: "KD"},
	"KD.TCD":  {Code: "KD.TCD", Kind: unitv1.UnitKind_UNIT_KIND_RECEPTION_BOARD, ParentCode: "KD"},
	"TNMT":    {Code: "TNMT", Kind: unitv1.UnitKind_UNIT_KIND_DEPARTMENT, ParentCode: "CITY.UBND"},
	"TH.UBND": {Code: "TH.UBND", Kind: unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE, ParentCode: "TH", RemoteArea: true},
	"OLD":     {Code: "OLD", Kind: unitv1.UnitKind_UNIT_KIND_DEPARTMENT, Ended: true, SuccessorCode: "TNMT"},
}

func (fakeUnits) Unit(code string, _ calendar.Date) (domain.Unit, bool) {
	u, ok := units[code]
	return u, ok
}

func (f fakeUnits) Holding(code string, on calendar.Date) (domain.Unit, bool) {
	u, ok := f.Unit(code, on)
	if ok && u.Ended {
		return f.Unit(u.SuccessorCode, on)
	}
	return u, ok
}

func (fakeUnits) Competent(kind commonv1.PetitionKind, instance int32, respondent string, _ calendar.Date) (domain.Competence, error) {
	if u, ok := units[respondent]; ok && respondent != "OLD" {
		return domain.Competence{Unit: u, Basis: fmt.Sprintf("rule for %s %d", kind, instance)}, nil
	}
	return domain.Competence{}, apperr.NotFound("NO_COMPETENT_UNIT", "no unit is competent for %s", respondent)
}

var today = d("2025-12-31")

func petition(kind commonv1.PetitionKind, unit, respondent string) domain.Petition {
	return domain.Petition{ID: "p1", Unit: unit, Kind: kind, ReceivedOn: d("2025-03-03"), RespondentUnit: respondent, ComplaintInstance: 1}
}

// act is one command on a case.
type act func(c *domain.Case) ([]proto.Message, error)

func process(on string, decision proto.Message) act {
	return func(c *domain.Case) ([]proto.Message, error) {
		return c.Process(domain.Process{On: d(on), Decision: decision}, today, fakeUnits{})
	}
}

func accept(on string) act { return process(on, &routingv1.ProcessPetitionRequest_Accept{}) }

func acceptComplex(on string) act {
	return process(on, &routingv1.ProcessPetitionRequest_Accept{Complex: true})
}

func step(on string, what proto.Message) act {
	return func(c *domain.Case) ([]proto.Message, error) {
		return c.Record(domain.Step{On: d(on), What: what}, today)
	}
}

var (
	verify    = &routingv1.RecordStepRequest_VerificationStart{}
	dialogue  = &routingv1.RecordStepRequest_Dialogue{}
	decide    = &routingv1.RecordStepRequest_ComplaintDecision{Finding: routingv1.ComplaintFinding_COMPLAINT_FINDING_PARTLY_RIGHT}
	send      = &routingv1.RecordStepRequest_DecisionSending{}
	execute   = &routingv1.RecordStepRequest_Execution{}
	extend    = &routingv1.RecordStepRequest_Extension{Days: 30}
	suspend   = &routingv1.RecordStepRequest_Suspension{Reason: "awaiting an expert opinion"}
	resume    = &routingv1.RecordStepRequest_Resumption{}
	conclude  = &routingv1.RecordStepRequest_Conclusion{Finding: routingv1.DenunciationFinding_DENUNCIATION_FINDING_TRUE}
	actOn     = &routingv1.RecordStepRequest_ConclusionAction{}
	publish   = &routingv1.RecordStepRequest_Publication{}
	terminate = &routingv1.RecordStepRequest_Termination{Reason: "the respondent died"}
)

// run applies acts in order, each on the case as the previous ones left it.
func run(t *testing.T, p domain.Petition, acts ...act) (*domain.Case, []proto.Message) {
	t.Helper()
	c, err := domain.NewCase(deadline.Default(), p)
	if err != nil {
		t.Fatal(err)
	}
	var last []proto.Message
	for i, a := range acts {
		msgs, err := a(c)
		if err != nil {
			t.Fatalf("act %d: %v", i, err)
		}
		for _, m := range msgs {
			if err := c.Apply(m); err != nil {
				t.Fatalf("act %d: apply %T: %v", i, m, err)
			}
		}
		last = msgs
	}
	return c, last
}

func TestStateMachineRefusals(t *testing.T) {
	kd := petition(complaint, "KD.UBND", "KD.UBND")
	den := petition(denunciation, "KD.UBND", "KD.UBND")
	anon := den
	anon.Anonymous = true
	elsewhere := petition(complaint, "KD.UBND", "TNMT")
	denElsewhere := petition(denunciation, "KD.UBND", "TNMT")
	anonElsewhere := denElsewhere
	anonElsewhere.Anonymous = true
	second := kd
	second.ComplaintInstance = 2
	tests := []struct {
		name   string
		p      domain.Petition
		setup  []act
		act    act
		kind   apperr.Kind
		reason string
		field  string
	}{
		{"a decision before acceptance", kd, nil, step("2025-03-10", decide), apperr.KindFailedPrecondition, domain.ReasonNotAccepted, ""},
		{"a decision before verification", kd, []act{accept("2025-03-10")}, step("2025-03-12", decide), apperr.KindFailedPrecondition, domain.ReasonOutOfOrder, "complaint_decision"},
		{"a dialogue before verification", kd, []act{accept("2025-03-10")}, step("2025-03-12", dialogue), apperr.KindFailedPrecondition, domain.ReasonOutOfOrder, "dialogue_held"},
		{"a dialogue on a denunciation", den, []act{accept("2025-03-10"), step("2025-03-11", verify)}, step("2025-03-12", dialogue), apperr.KindFailedPrecondition, domain.ReasonWrongKind, "dialogue_held"},
		{"a second decision", kd, []act{accept("2025-03-10"), step("2025-03-11", verify), step("2025-03-20", decide)}, step("2025-03-21", decide), apperr.KindFailedPrecondition, domain.ReasonRepeated, "complaint_decision"},
		{"sending before the decision", kd, []act{accept("2025-03-10")}, step("2025-03-12", send), apperr.KindFailedPrecondition, domain.ReasonOutOfOrder, "decision_sent"},
		{"execution before sending", kd, []act{accept("2025-03-10"), step("2025-03-11", verify), step("2025-03-20", decide)}, step("2025-03-21", execute), apperr.KindFailedPrecondition, domain.ReasonOutOfOrder, "decision_executed"},
		{"a second-instance finding at first instance", kd, []act{accept("2025-03-10"), step("2025-03-11", verify)},
			step("2025-03-20", &routingv1.RecordStepRequest_ComplaintDecision{Finding: routingv1.ComplaintFinding_COMPLAINT_FINDING_UPHELD}), apperr.KindInvalidArgument, "", "complaint_decision.finding"},
		{"a first-instance finding at second instance", second, []act{accept("2025-03-10"), step("2025-03-11", verify)},
			step("2025-03-20", &routingv1.RecordStepRequest_ComplaintDecision{Finding: routingv1.ComplaintFinding_COMPLAINT_FINDING_RIGHT}), apperr.KindInvalidArgument, "", "complaint_decision.finding"},
		{"an extension of a complaint", kd, []act{accept("2025-03-10")}, step("2025-03-12", extend), apperr.KindFailedPrecondition, domain.ReasonWrongKind, "extension"},
		{"a suspension of a complaint", kd, []act{accept("2025-03-10")}, step("2025-03-12", suspend), apperr.KindFailedPrecondition, domain.ReasonNotSuspendable, "suspension"},
		{"a third extension", den, []act{acceptComplex("2025-03-10"), step("2025-03-20", extend), step("2025-04-01", extend)}, step("2025-04-02", extend), apperr.KindFailedPrecondition, domain.ReasonExtensionsExhausted, "extension"},
		{"an extension after the period ran out", den, []act{accept("2025-03-10")}, step("2025-04-15", extend), apperr.KindFailedPrecondition, domain.ReasonNotExtendable, "extension"},
		{"resume when not suspended", den, []act{accept("2025-03-10")}, step("2025-03-12", resume), apperr.KindFailedPrecondition, domain.ReasonNotSuspended, "resumption"},
		{"a step while suspended", den, []act{accept("2025-03-10"), step("2025-03-11", suspend)}, step("2025-03-12", verify), apperr.KindFailedPrecondition, domain.ReasonSuspended, ""},
		{"a conclusion before verification", den, []act{accept("2025-03-10")}, step("2025-03-12", conclude), apperr.KindFailedPrecondition, domain.ReasonOutOfOrder, "conclusion"},
		{"publishing before the conclusion", den, []act{accept("2025-03-10")}, step("2025-03-12", publish), apperr.KindFailedPrecondition, domain.ReasonOutOfOrder, "conclusion_published"},
		{"acting twice on a conclusion", den, []act{accept("2025-03-10"), step("2025-03-11", verify), step("2025-03-20", conclude), step("2025-03-21", actOn)}, step("2025-03-22", actOn), apperr.KindFailedPrecondition, domain.ReasonRepeated, "conclusion_acted_on"},
		{"a step on a filed case", kd, []act{process("2025-03-05", &routingv1.ProcessPetitionRequest_FileAway{Reason: routingv1.FilingReason_FILING_REASON_ILLEGIBLE})}, step("2025-03-10", verify), apperr.KindFailedPrecondition, domain.ReasonCaseClosed, ""},
		{"a step on a terminated case", kd, []act{accept("2025-03-10"), step("2025-03-11", terminate)}, step("2025-03-12", verify), apperr.KindFailedPrecondition, domain.ReasonCaseClosed, ""},
		{"a date before the previous step", kd, []act{accept("2025-03-10")}, step("2025-03-09", verify), apperr.KindFailedPrecondition, domain.ReasonDateBeforePrevious, "on"},
		{"processing before receipt", kd, nil, accept("2025-03-02"), apperr.KindFailedPrecondition, domain.ReasonDateBeforePrevious, "processed_on"},
		{"a date in the future", kd, []act{accept("2025-03-10")}, step("2026-01-01", verify), apperr.KindInvalidArgument, "", "on"},
		{"processing twice", kd, []act{accept("2025-03-10")}, accept("2025-03-11"), apperr.KindFailedPrecondition, domain.ReasonAlreadyProcessed, ""},
		{"accepting an anonymous denunciation", anon, nil, accept("2025-03-10"), apperr.KindFailedPrecondition, domain.ReasonAnonymousDenunciation, "accept"},
		{"forwarding an anonymous denunciation", anonElsewhere, nil, process("2025-03-10", &routingv1.ProcessPetitionRequest_Forward{}), apperr.KindFailedPrecondition, domain.ReasonAnonymousDenunciation, "forward"},
		{"accepting outside competence", elsewhere, nil, accept("2025-03-10"), apperr.KindFailedPrecondition, domain.ReasonNotCompetent, "accept"},
		{"accepting a multi-content petition", petition(multi, "KD.UBND", "KD.UBND"), nil, accept("2025-03-10"), apperr.KindFailedPrecondition, domain.ReasonKindNotClassified, "kind"},
		{"guiding a denunciation", denElsewhere, nil, process("2025-03-10", &routingv1.ProcessPetitionRequest_Guide{}), apperr.KindFailedPrecondition, domain.ReasonWrongKind, "kind"},
		{"forwarding a complaint", elsewhere, nil, process("2025-03-10", &routingv1.ProcessPetitionRequest_Forward{}), apperr.KindFailedPrecondition, domain.ReasonWrongKind, "kind"},
		{"guiding twice", elsewhere, []act{process("2025-03-10", &routingv1.ProcessPetitionRequest_Guide{})}, process("2025-03-11", &routingv1.ProcessPetitionRequest_Guide{}), apperr.KindFailedPrecondition, domain.ReasonGuidedOnce, "guide"},
		{"accepting after guiding", elsewhere, []act{process("2025-03-10", &routingv1.ProcessPetitionRequest_Guide{})}, accept("2025-03-11"), apperr.KindFailedPrecondition, domain.ReasonAlreadyProcessed, ""},
		{"forwarding twice", denElsewhere, []act{process("2025-03-10", &routingv1.ProcessPetitionRequest_Forward{})}, process("2025-03-11", &routingv1.ProcessPetitionRequest_Forward{ToUnitCode: "KD.UBND"}), apperr.KindFailedPrecondition, domain.ReasonForwardedOnce, "forward"},
		{"guiding to itself", kd, nil, process("2025-03-10", &routingv1.ProcessPetitionRequest_Guide{}), apperr.KindFailedPrecondition, domain.ReasonSameUnit, "guide.to_unit_code"},
		{"guiding to an unknown unit", elsewhere, nil, process("2025-03-10", &routingv1.ProcessPetitionRequest_Guide{ToUnitCode: "NOPE"}), apperr.KindFailedPrecondition, domain.ReasonUnitUnknown, "guide.to_unit_code"},
		{"guiding to a merged unit", elsewhere, nil, process("2025-03-10", &routingv1.ProcessPetitionRequest_Guide{ToUnitCode: "OLD"}), apperr.KindFailedPrecondition, domain.ReasonUnitEnded, "guide.to_unit_code"},
		{"filing away as anonymous a signed petition", kd, nil, process("2025-03-10", &routingv1.ProcessPetitionRequest_FileAway{Reason: routingv1.FilingReason_FILING_REASON_ANONYMOUS}), apperr.KindFailedPrecondition, domain.ReasonNotAnonymous, "file_away.reason"},
		{"a complaint going on after withdrawal", kd, []act{accept("2025-03-10")}, step("2025-03-12", &routingv1.RecordStepRequest_Withdrawal{ResolutionContinues: true}), apperr.KindInvalidArgument, "", "withdrawal.resolution_continues"},
		{"a reply to a petition never forwarded", kd, []act{accept("2025-03-10")}, step("2025-03-12", &routingv1.RecordStepRequest_Reply{}), apperr.KindFailedPrecondition, domain.ReasonNotForwarded, "reply_received"},
		{"a repeat of a case that does not exist", den, nil, process("2025-03-10", &routingv1.ProcessPetitionRequest_Accept{RepeatOf: "0193a3b0-0000-7000-8000-000000000000"}), apperr.KindFailedPrecondition, domain.ReasonRepeatOf, "accept.repeat_of"},
		{"assigning to an unknown unit", kd, nil, func(c *domain.Case) ([]proto.Message, error) {
			return c.Assign(domain.Assign{On: d("2025-03-04"), Assignee: "NOPE"}, today, fakeUnits{})
		}, apperr.KindFailedPrecondition, domain.ReasonUnitUnknown, "assignee_unit_code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := run(t, tt.p, tt.setup...)
			version := c.Version
			msgs, err := tt.act(c)
			e, ok := apperr.As(err)
			if !ok || e.Kind() != tt.kind || (tt.reason != "" && e.Reason() != tt.reason) {
				t.Fatalf("got %v (%v), want %s %s", err, msgs, tt.kind, tt.reason)
			}
			if tt.field != "" {
				vs := e.Violations()
				if len(vs) == 0 || vs[0].Field != tt.field {
					t.Errorf("violations %v, want field %s", vs, tt.field)
				}
			}
			if msgs != nil || c.Version != version {
				t.Errorf("a refused command produced %v", msgs)
			}
		})
	}
}

// TestComplaintLifecycle follows a first complaint through every step and checks the clocks.
func TestComplaintLifecycle(t *testing.T) {
	p := petition(complaint, "KD.UBND", "KD.UBND")
	c, msgs := run(t, p, accept("2025-03-10"))
	// Resolution: 30 calendar days from acceptance on 2025-03-10 (Luật KN Đ28) → 2025-04-09, a Wednesday.
	assertClock(t, c, domain.ClockResolution, "2025-04-09")
	// Processing was due 10 working days after receipt on 2025-03-03: 2025-03-17; done on 2025-03-10.
	stopped := find[*commonv1.LegalClockStopped](msgs)
	if stopped == nil || stopped.GetClock() != domain.ClockProcessing || !stopped.GetOnTime() || calendarpb.FromProto(stopped.GetDueOn()) != d("2025-03-17") {
		t.Fatalf("processing stop = %v", stopped)
	}
	c, msgs = run(t, p, accept("2025-03-10"), step("2025-03-12", verify), step("2025-03-25", dialogue), step("2025-04-10", decide))
	dec := find[*routingv1.ComplaintDecisionIssued](msgs)
	if dec == nil || dec.GetOnTime() {
		t.Fatalf("a decision on 2025-04-10, after the due date 2025-04-09, is late: %v", dec)
	}
	// Sending: 3 working days from Thursday 2025-04-10 (Luật KN Đ32) → Fri 11, Mon 14, Tue 15.
	assertClock(t, c, domain.ClockSendDecision, "2025-04-15")
	c, _ = run(t, p, accept("2025-03-10"), step("2025-03-12", verify), step("2025-04-09", decide), step("2025-04-11", send), step("2025-05-20", execute))
	if c.Status != routingv1.CaseStatus_CASE_STATUS_RESOLVED || !c.Executed || len(c.OpenClocks()) != 0 {
		t.Fatalf("status %v, executed %v, open clocks %v", c.Status, c.Executed, c.OpenClocks())
	}
}

func TestComplexAndRemoteComplaintsHaveLongerPeriods(t *testing.T) {
	// Remote area, complex: 60 days from 2025-03-10 → 2025-05-09 (Luật KN Đ28).
	c, _ := run(t, petition(complaint, "TH.UBND", "TH.UBND"), acceptComplex("2025-03-10"))
	assertClock(t, c, domain.ClockResolution, "2025-05-09")
	// Second instance, complex: 60 days → 2025-05-09 (Luật KN Đ37).
	p := petition(complaint, "KD.UBND", "KD.UBND")
	p.ComplaintInstance = 2
	c, _ = run(t, p, acceptComplex("2025-03-10"))
	assertClock(t, c, domain.ClockResolution, "2025-05-09")
	if c.Instance != 2 {
		t.Fatalf("instance %d", c.Instance)
	}
}

func TestDenunciationExtensionsAndSuspension(t *testing.T) {
	p := petition(denunciation, "KD.UBND", "KD.UBND")
	// 30 days from 2025-03-10 → 2025-04-09; +30 → 2025-05-09; +20 → 2025-05-29 (Luật TC Đ30).
	c, _ := run(t, p, accept("2025-03-10"), step("2025-03-11", verify), step("2025-04-01", extend),
		step("2025-05-01", &routingv1.RecordStepRequest_Extension{Days: 20}))
	assertClock(t, c, domain.ClockResolution, "2025-05-29")
	if !c.EspeciallyComplex || c.Extensions != 2 {
		t.Fatalf("extensions %d, especially complex %v", c.Extensions, c.EspeciallyComplex)
	}
	// Suspended on 2025-03-20 and resumed on 2025-04-01: 12 days do not count (Luật TC Đ34) →
	// 2025-04-09 + 12 = 2025-04-21, a Monday.
	c, _ = run(t, p, accept("2025-03-10"), step("2025-03-20", suspend))
	if len(c.OpenClocks()) != 1 || c.OpenClocks()[0].GetDueOn() != nil || c.Status != routingv1.CaseStatus_CASE_STATUS_SUSPENDED {
		t.Fatalf("a suspended clock has no due date: %v", c.OpenClocks())
	}
	c, msgs := run(t, p, accept("2025-03-10"), step("2025-03-20", suspend), step("2025-04-01", resume))
	assertClock(t, c, domain.ClockResolution, "2025-04-21")
	if r := find[*commonv1.LegalClockResumed](msgs); r == nil || calendarpb.FromProto(r.GetClock().GetDueOn()) != d("2025-04-21") {
		t.Fatalf("resumed = %v", r)
	}
	// The conclusion stops it and starts acting (Luật TC Đ36) and publishing (Luật TC Đ40): 7 working
	// days from Monday 2025-04-21 → 22, 23, 24, 25, Saturday 26 (a make-up working day), 28, 29.
	c, msgs = run(t, p, accept("2025-03-10"), step("2025-03-20", suspend), step("2025-04-01", resume), step("2025-04-02", verify), step("2025-04-21", conclude))
	if con := find[*routingv1.DenunciationConcluded](msgs); con == nil || !con.GetOnTime() {
		t.Fatalf("concluded = %v", con)
	}
	assertClock(t, c, domain.ClockActOnConclusion, "2025-04-29")
	assertClock(t, c, domain.ClockPublish, "2025-04-29")
	c, _ = run(t, p, accept("2025-03-10"), step("2025-04-02", verify), step("2025-04-09", conclude), step("2025-04-10", actOn), step("2025-04-11", publish))
	if len(c.OpenClocks()) != 0 || !c.ActedOn || !c.Published {
		t.Fatalf("open clocks %v", c.OpenClocks())
	}
}

func TestWithdrawal(t *testing.T) {
	p := petition(denunciation, "KD.UBND", "KD.UBND")
	c, _ := run(t, p, accept("2025-03-10"), step("2025-03-12", &routingv1.RecordStepRequest_Withdrawal{ResolutionContinues: true}))
	if c.Status != routingv1.CaseStatus_CASE_STATUS_IN_RESOLUTION || len(c.OpenClocks()) != 1 {
		t.Fatalf("a denunciation goes on after withdrawal (Luật TC Đ33): %v %v", c.Status, c.OpenClocks())
	}
	c, msgs := run(t, petition(complaint, "KD.UBND", "KD.UBND"), accept("2025-03-10"), step("2025-03-12", &routingv1.RecordStepRequest_Withdrawal{}))
	if c.Status != routingv1.CaseStatus_CASE_STATUS_WITHDRAWN || len(c.OpenClocks()) != 0 || find[*commonv1.LegalClockStopped](msgs) == nil {
		t.Fatalf("a withdrawn complaint stops its clocks: %v %v", c.Status, c.OpenClocks())
	}
}

func TestForwardedPetitionIsProcessedByItsNewUnit(t *testing.T) {
	p := petition(denunciation, "KD.UBND", "TNMT")
	c, msgs := run(t, p, process("2025-03-05", &routingv1.ProcessPetitionRequest_Forward{}))
	fwd := find[*routingv1.PetitionForwarded](msgs)
	if fwd == nil || fwd.GetToUnitCode() != "TNMT" || fwd.GetFromUnitCode() != "KD.UBND" || c.Unit != "TNMT" {
		t.Fatalf("forwarded = %v, unit %s", fwd, c.Unit)
	}
	// TNMT must decide on acceptance within 7 working days (Luật TC Đ24.1) from Wednesday 2025-03-05 → 2025-03-14.
	assertClock(t, c, domain.ClockProcessing, "2025-03-14")
	c, _ = run(t, p, process("2025-03-05", &routingv1.ProcessPetitionRequest_Forward{}), accept("2025-03-07"))
	if !c.Accepted || c.Unit != "TNMT" {
		t.Fatalf("accepted %v by %s", c.Accepted, c.Unit)
	}
}

func TestReceptionBoardActsForItsCommittee(t *testing.T) {
	c, _ := run(t, petition(complaint, "KD.TCD", "KD.UBND"), accept("2025-03-10"))
	if !c.Accepted {
		t.Fatal("the ward's reception board processes for the ward committee")
	}
}

func assertClock(t *testing.T, c *domain.Case, name, due string) {
	t.Helper()
	for _, k := range c.OpenClocks() {
		if k.GetClock() == name {
			if got := calendarpb.FromProto(k.GetDueOn()); got != d(due) {
				t.Fatalf("%s due %s, want %s; derivation:\n%v", name, got, due, k.GetDerivation())
			}
			if len(k.GetDerivation()) == 0 || k.GetBasis() == "" {
				t.Fatalf("%s has no derivation or basis", name)
			}
			return
		}
	}
	t.Fatalf("no open clock %s in %v", name, c.OpenClocks())
}

func find[T proto.Message](msgs []proto.Message) T {
	var zero T
	for _, m := range msgs {
		if v, ok := m.(T); ok {
			return v
		}
	}
	return zero
}

// TestRepeatDenunciation: a repeat denunciation (Luật TC Đ37) names a concluded denunciation.
func TestRepeatDenunciation(t *testing.T) {
	first := petition(denunciation, "KD.UBND", "KD.UBND")
	open, _ := run(t, first, accept("2025-03-10"), step("2025-03-11", verify))
	concluded, _ := run(t, first, accept("2025-03-10"), step("2025-03-11", verify), step("2025-03-20", conclude))
	again := petition(denunciation, "KD.UBND", "KD.UBND")
	again.ID, again.ReceivedOn = "p2", d("2025-04-01")
	repeatOf := func(earlier *domain.Case) act {
		return func(c *domain.Case) ([]proto.Message, error) {
			return c.Process(domain.Process{On: d("2025-04-02"), Decision: &routingv1.ProcessPetitionRequest_Accept{RepeatOf: "p1"}, RepeatOf: earlier}, today, fakeUnits{})
		}
	}
	c, _ := run(t, again)
	if _, err := repeatOf(open)(c); !apperr.IsKind(err, apperr.KindFailedPrecondition) {
		t.Fatalf("a repeat of an open case: %v", err)
	}
	c, msgs := run(t, again, repeatOf(concluded))
	if acc := find[*routingv1.CaseAccepted](msgs); acc == nil || acc.GetRepeatOf() != "p1" || c.RepeatOf != "p1" {
		t.Fatalf("accepted = %v", acc)
	}
	_, msgs = run(t, again, repeatOf(concluded), step("2025-04-03", verify), step("2025-04-20", conclude))
	if con := find[*routingv1.DenunciationConcluded](msgs); con == nil || !con.GetRepeat() {
		t.Fatalf("concluded = %v", con)
	}
}
