package routing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/deadline"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/svc"
	"github.com/civicase/civicase/pkg/svc/svctest"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/routing"
)

const (
	complaint    = commonv1.PetitionKind_PETITION_KIND_COMPLAINT
	denunciation = commonv1.PetitionKind_PETITION_KIND_DENUNCIATION
	feedback     = commonv1.PetitionKind_PETITION_KIND_FEEDBACK

	// Units of the fixture registry (Phan Rang–Tháp Chàm before 1/7/2025).
	city       = "NT.PRTC"
	cityPC     = "NT.PRTC.UBND"
	tnmt       = "NT.PRTC.TNMT" // a city department
	inspector  = "NT.PRTC.TTR"  // the city inspectorate: an agency that watches its cases
	ward       = "NT.PRTC.KD"
	wardPC     = "NT.PRTC.KD.UBND"
	commune    = "NT.PRTC.TH"
	communePC  = "NT.PRTC.TH.UBND" // in a remote area
	officerSub = "officer-1"
)

// fixture is the routing service on real NATS and PostgreSQL, with the unit registry in the log and
// clients for the roles the tests act in.
type fixture struct {
	t       testing.TB
	ctx     context.Context
	env     *svctest.Env
	run     *svc.Running
	store   *eventstore.Store
	officer routingv1.RoutingServiceClient // processing officer of the ward committee
	handler routingv1.RoutingServiceClient // handler of the ward committee
}

func start(t testing.TB) *fixture {
	t.Helper()
	env := svctest.New(t, at("2025-03-03"))
	ctx := context.Background()
	store, err := eventstore.Open(ctx, env.NATS.Conn, eventstore.Config{Tenant: env.Shared.Tenant, Now: env.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: ctx, env: env, store: store}
	f.registerUnits()
	f.run = env.Start("routing", routing.New)
	f.officer = f.client(auth.RoleProcessingOfficer, wardPC)
	f.handler = f.client(auth.RoleHandler, wardPC)
	return f
}

func (f *fixture) client(role auth.Role, unit string) routingv1.RoutingServiceClient {
	return routingv1.NewRoutingServiceClient(f.env.Dial(f.run, string(role)+"-"+unit, role, unit))
}

// at is 09:00 in Vietnam on a date.
func at(date string) time.Time { return calendar.MustParseDate(date).Start().Add(9 * time.Hour) }

// setToday moves the injected clock: no step may be dated after today.
func (f *fixture) setToday(date string) { f.env.Clock.Set(at(date)) }

func cd(s string) *commonv1.CivilDate {
	d := calendar.MustParseDate(s)
	return &commonv1.CivilDate{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}
}

func dateOf(c *commonv1.CivilDate) string {
	if c == nil {
		return ""
	}
	return calendar.Date{Year: int(c.GetYear()), Month: time.Month(c.GetMonth()), Day: int(c.GetDay())}.String()
}

func meta() *commonv1.CommandMeta { return &commonv1.CommandMeta{CommandId: uuid.NewString()} }

func rule(k commonv1.PetitionKind, i unitv1.Instance, r unitv1.Respondent, basis string) *unitv1.CompetenceRule {
	return &unitv1.CompetenceRule{Kind: k, Instance: i, Respondent: r, Basis: basis}
}

// registerUnits appends the registry to the log as the unit registry's owner does: one aggregate per
// unit, its code with dots as underscores.
func (f *fixture) registerUnits() {
	first, second, none := unitv1.Instance_INSTANCE_FIRST, unitv1.Instance_INSTANCE_SECOND, unitv1.Instance_INSTANCE_UNSPECIFIED
	self, subs := unitv1.Respondent_RESPONDENT_SELF, unitv1.Respondent_RESPONDENT_SUBORDINATES
	reg := func(code string, kind unitv1.UnitKind, parent string, remote bool, rules ...*unitv1.CompetenceRule) *unitv1.UnitRegistered {
		return &unitv1.UnitRegistered{Code: code, Name: code, Kind: kind, ParentCode: parent, EffectiveFrom: cd("2024-01-01"), RemoteArea: remote, Competence: rules}
	}
	for _, u := range []*unitv1.UnitRegistered{
		reg(city, unitv1.UnitKind_UNIT_KIND_CITY, "", false),
		reg(cityPC, unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE, city, false,
			rule(complaint, first, self, "Luật KN Đ18.1"), rule(complaint, second, subs, "Luật KN Đ18.2"),
			rule(denunciation, none, subs, "Luật TC Đ13.1b")),
		reg(tnmt, unitv1.UnitKind_UNIT_KIND_DEPARTMENT, cityPC, false, rule(complaint, first, self, "Luật KN Đ17"), rule(denunciation, none, self, "Luật TC Đ13.1a")),
		reg(inspector, unitv1.UnitKind_UNIT_KIND_INSPECTORATE, cityPC, false, rule(denunciation, none, self, "Luật TC Đ13.1a")),
		reg(ward, unitv1.UnitKind_UNIT_KIND_WARD, city, false),
		reg(wardPC, unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE, ward, false,
			rule(complaint, first, self, "Luật KN Đ17"), rule(denunciation, none, self, "Luật TC Đ13.1a"),
			rule(feedback, none, self, "Luật TCD Đ2")),
		reg(commune, unitv1.UnitKind_UNIT_KIND_COMMUNE, city, true),
		reg(communePC, unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE, commune, true, rule(complaint, first, self, "Luật KN Đ17")),
	} {
		agg := eventstore.Aggregate{Type: "unit", ID: strings.ReplaceAll(u.GetCode(), ".", "_")}
		_, err := f.store.Append(f.ctx, agg, eventstore.Tail{}, eventstore.Metadata{CommandID: "register-" + u.GetCode()}, eventstore.Event{Payload: u})
		if err != nil {
			f.t.Fatal(err)
		}
	}
}

// petitionSpec is what a test says about a petition; register fills in the rest.
type petitionSpec struct {
	kind        commonv1.PetitionKind
	unit        string
	respondent  string
	receivedOn  string
	anonymous   bool
	duplicateOf string
	instance    int32
}

// register appends a petition as intake does: PetitionRegistered with the processing clock it
// starts (10 working days from receipt, TT 05/2021/TT-TTCP), in one commit of `petition/<id>`.
func (f *fixture) register(p petitionSpec) string {
	f.t.Helper()
	id, _ := uuid.NewV7()
	if p.instance == 0 && p.kind == complaint {
		p.instance = 1
	}
	reg := &intakev1.PetitionRegistered{
		PetitionId: id.String(), ReceiptNumber: "R-" + id.String()[:8], UnitCode: p.unit, ReceivedOn: cd(p.receivedOn),
		Kind: p.kind, Field: commonv1.Field_FIELD_ADMIN_LAND_HOUSING, RespondentUnitCode: p.respondent, Anonymous: p.anonymous,
		DuplicateOf: p.duplicateOf, RepeatNumber: 1, ComplaintInstance: p.instance, SenderRef: "subject-" + id.String()[:8],
	}
	events := []eventstore.Event{{Payload: reg}}
	if p.duplicateOf == "" {
		res, err := deadline.Default().Due(deadline.Request{Rule: "petition.process", Base: calendar.MustParseDate(p.receivedOn)})
		if err != nil {
			f.t.Fatal(err)
		}
		lines := make([]string, len(res.Derivation.Steps))
		for i, s := range res.Derivation.Steps {
			lines[i] = s.Text
		}
		events = append(events, eventstore.Event{Payload: &commonv1.LegalClockStarted{Clock: &commonv1.LegalClock{
			CaseId: id.String(), Clock: "processing", RuleId: "petition.process", Basis: res.Rule.Citation,
			StartedOn: cd(p.receivedOn), DueOn: cd(res.Due.String()), Derivation: lines, UnitCode: p.unit,
		}}})
	}
	agg := eventstore.Aggregate{Type: "petition", ID: id.String()}
	if _, err := f.store.Append(f.ctx, agg, eventstore.Tail{}, eventstore.Metadata{CommandID: "register-" + id.String()}, events...); err != nil {
		f.t.Fatal(err)
	}
	return id.String()
}

func (f *fixture) lastSeq() uint64 {
	f.t.Helper()
	n, err := f.store.LastSeq(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// caseEvents are the event types of a case aggregate, in order.
func (f *fixture) caseEvents(id string) []string {
	f.t.Helper()
	h, err := f.store.Load(f.ctx, eventstore.Aggregate{Type: "case", ID: id})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range h.Events {
		out = append(out, e.Envelope.GetEventType())
	}
	return out
}

func accept(id, on string, complex bool) *routingv1.ProcessPetitionRequest {
	return &routingv1.ProcessPetitionRequest{Meta: meta(), PetitionId: id, ProcessedOn: cd(on),
		Decision: &routingv1.ProcessPetitionRequest_Accept_{Accept: &routingv1.ProcessPetitionRequest_Accept{Complex: complex}}}
}

func stepReq(id, on string, s any) *routingv1.RecordStepRequest {
	r := &routingv1.RecordStepRequest{Meta: meta(), CaseId: id, On: cd(on)}
	switch v := s.(type) {
	case *routingv1.RecordStepRequest_VerificationStart:
		r.Step = &routingv1.RecordStepRequest_VerificationStarted{VerificationStarted: v}
	case *routingv1.RecordStepRequest_Dialogue:
		r.Step = &routingv1.RecordStepRequest_DialogueHeld{DialogueHeld: v}
	case *routingv1.RecordStepRequest_ComplaintDecision:
		r.Step = &routingv1.RecordStepRequest_ComplaintDecision_{ComplaintDecision: v}
	case *routingv1.RecordStepRequest_DecisionSending:
		r.Step = &routingv1.RecordStepRequest_DecisionSent{DecisionSent: v}
	case *routingv1.RecordStepRequest_Execution:
		r.Step = &routingv1.RecordStepRequest_DecisionExecuted{DecisionExecuted: v}
	case *routingv1.RecordStepRequest_Extension:
		r.Step = &routingv1.RecordStepRequest_Extension_{Extension: v}
	case *routingv1.RecordStepRequest_Suspension:
		r.Step = &routingv1.RecordStepRequest_Suspension_{Suspension: v}
	case *routingv1.RecordStepRequest_Resumption:
		r.Step = &routingv1.RecordStepRequest_Resumption_{Resumption: v}
	case *routingv1.RecordStepRequest_Conclusion:
		r.Step = &routingv1.RecordStepRequest_Conclusion_{Conclusion: v}
	case *routingv1.RecordStepRequest_ConclusionAction:
		r.Step = &routingv1.RecordStepRequest_ConclusionActedOn{ConclusionActedOn: v}
	case *routingv1.RecordStepRequest_Publication:
		r.Step = &routingv1.RecordStepRequest_ConclusionPublished{ConclusionPublished: v}
	case *routingv1.RecordStepRequest_Withdrawal:
		r.Step = &routingv1.RecordStepRequest_Withdrawal_{Withdrawal: v}
	case *routingv1.RecordStepRequest_Termination:
		r.Step = &routingv1.RecordStepRequest_Termination_{Termination: v}
	case *routingv1.RecordStepRequest_Reply:
		r.Step = &routingv1.RecordStepRequest_ReplyReceived{ReplyReceived: v}
	default:
		panic("unknown step")
	}
	return r
}

// clock finds an open clock of a case.
func clock(t *testing.T, c *routingv1.Case, name string) *commonv1.LegalClock {
	t.Helper()
	for _, k := range c.GetOpenClocks() {
		if k.GetClock() == name {
			return k
		}
	}
	t.Fatalf("case %s has no open clock %s: %v", c.GetCaseId(), name, c.GetOpenClocks())
	return nil
}

// wantDue checks an open clock's due date, and that its derivation explains it.
func wantDue(t *testing.T, c *routingv1.Case, name, due string) {
	t.Helper()
	k := clock(t, c, name)
	if got := dateOf(k.GetDueOn()); got != due {
		t.Fatalf("%s due %s, want %s; derivation: %q", name, got, due, k.GetDerivation())
	}
	if len(k.GetDerivation()) == 0 || !strings.Contains(strings.Join(k.GetDerivation(), "\n"), "→") || k.GetBasis() == "" {
		t.Fatalf("%s derivation %q, basis %q", name, k.GetDerivation(), k.GetBasis())
	}
}

// wantError checks a call's status code, ErrorInfo reason and (when given) the field named by a
// BadRequest or PreconditionFailure detail.
func wantError(t *testing.T, err error, code codes.Code, reason, field string) {
	t.Helper()
	s, ok := status.FromError(err)
	if !ok || s.Code() != code {
		t.Fatalf("got %v, want %v", err, code)
	}
	var gotReason string
	var fields []string
	for _, d := range s.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			gotReason = d.GetReason()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	if reason != "" && gotReason != reason {
		t.Fatalf("reason %q, want %q (%v)", gotReason, reason, err)
	}
	if field != "" {
		for _, f := range fields {
			if f == field {
				return
			}
		}
		t.Fatalf("field violations %v, want %s (%v)", fields, field, err)
	}
}
