package scenario_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/svc"
	"github.com/civicase/civicase/pkg/svc/svctest"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
)

// city is the scenario's deployment: intake, routing, supervision and reporting on one log, and
// what the test has learnt of the petitions it drove.
type city struct {
	t         *testing.T
	env       *svctest.Env
	intake    *svc.Running
	routing   *svc.Running
	superv    *svc.Running
	reporting *svc.Running
	conns     map[string]*grpc.ClientConn

	petitions map[string]*petition
	order     []string          // petition ids in file order: a sender's made-up identity number
	ids       map[string]string // petition (and case) id by scenario id
	holder    map[string]string // the unit holding each case now
	visits    map[string]string // visit id by scenario id
	urgings   int
}

// dial is a connection to a service as an officer with a role at a unit (one per identity).
func (c *city) dial(r *svc.Running, role auth.Role, unit string) *grpc.ClientConn {
	key := r.Name + "|" + string(role) + "|" + unit
	if conn, ok := c.conns[key]; ok {
		return conn
	}
	conn := c.env.Dial(r, string(role)+"@"+unit, role, unit)
	c.conns[key] = conn
	return conn
}

// meta is a command's metadata: a command id derived from what it does, so a rerun of the same
// step is the same command, and the business time of the day it happened.
func meta(id string, on day) *commonv1.CommandMeta {
	at := time.Date(on.Year, on.Month, on.Day, 9, 0, 0, 0, calendar.Vietnam)
	return &commonv1.CommandMeta{CommandId: "scenario-" + id, OccurredAt: timestamppb.New(at)}
}

// caughtUp waits until every projection of the services has applied the whole log.
func (c *city) caughtUp(ctx context.Context, services ...*svc.Running) {
	c.t.Helper()
	last, err := c.intake.Env.Store.LastSeq(ctx)
	if err != nil {
		c.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range services {
		for _, r := range s.Runners {
			for r.Status().CheckpointSeq < last {
				if err := s.Err(); err != nil {
					c.t.Fatalf("%s stopped: %v", s.Name, err)
				}
				if time.Now().After(deadline) {
					c.t.Fatalf("%s projection %s at %d, log at %d", s.Name, r.Status().Name, r.Status().CheckpointSeq, last)
				}
				time.Sleep(5 * time.Millisecond) // polling with a deadline, not synchronisation by sleep
			}
		}
	}
}

// action is one thing that happens in the city on a day.
type action struct {
	on   day
	rank int // sessions, then registrations, then steps on the same day
	seq  int // file order
	name string
	run  func(ctx context.Context) error
}

// plan orders everything the data file says happens: by day, then sessions before petitions
// (a petition can be handed in at a visit) and registrations before steps; a petition's steps
// keep their order.
func (c *city) plan(s *scenario) []action {
	var out []action
	add := func(on day, rank int, name string, run func(context.Context) error) {
		out = append(out, action{on: on, rank: rank, seq: len(out), name: name, run: run})
	}
	for i := range s.Sessions {
		se := &s.Sessions[i]
		add(se.On, 0, "session "+se.ID, func(ctx context.Context) error { return c.holdSession(ctx, se) })
	}
	for i := range s.Petitions {
		p := &s.Petitions[i]
		c.petitions[p.ID] = p
		c.order = append(c.order, p.ID)
		add(p.Received, 1, "register "+p.ID, func(ctx context.Context) error { return c.register(ctx, p) })
		for j := range p.Steps {
			st := &p.Steps[j]
			name := fmt.Sprintf("%s step %d (%s)", p.ID, j+1, st.Do)
			add(st.On, 2, name, func(ctx context.Context) error { return c.step(ctx, p, j, st) })
		}
	}
	slices.SortStableFunc(out, func(a, b action) int {
		if d := a.on.Compare(b.on.Date); d != 0 {
			return d
		}
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		return a.seq - b.seq
	})
	return out
}

// sender is a made-up citizen, the n-th of the scenario (intake seals it; it is never in an event).
func sender(n int, id string) *personv1.PersonalData {
	return &personv1.PersonalData{
		FullName: "Người gửi " + id,
		IdNumber: fmt.Sprintf("05809%07d", n), // CCCD: 058 is Ninh Thuận
		Address:  fmt.Sprintf("%d đường Thống Nhất, Phan Rang–Tháp Chàm", n),
	}
}

// matter is what the petition is about; the same person on the same matter is a duplicate.
func matter(id, respondent string) *intakev1.SealedContent {
	return &intakev1.SealedContent{
		Summary:           "Đơn " + id,
		Respondent:        "Cơ quan " + respondent,
		DecisionReference: "Quyết định số " + id + "/QĐ",
	}
}

// original follows same_as to the first petition of the person on the matter.
func (c *city) original(p *petition) *petition {
	for p.SameAs != "" {
		p = c.petitions[p.SameAs]
	}
	return p
}

func (c *city) senderOf(p *petition) *personv1.PersonalData {
	o := c.original(p)
	n := slices.IndexFunc(c.order, func(id string) bool { return id == o.ID })
	return sender(n+1, o.ID)
}

func (c *city) matterOf(p *petition) *intakev1.SealedContent {
	o := c.original(p)
	return matter(o.ID, respondentOf(o))
}

// respondentOf is the unit the petition is about: by default the receiving unit's People's
// Committee, which makes it the receiving unit's own competence.
func respondentOf(p *petition) string {
	if p.Respondent != "" {
		return p.Respondent
	}
	return p.Unit + ".UBND"
}

func (c *city) register(ctx context.Context, p *petition) error {
	t := c.t
	if p.SameAs != "" {
		c.caughtUp(ctx, c.intake) // intake finds duplicates in its petition index
	}
	var contents []*intakev1.PetitionContent
	complaint := false
	if len(p.Contents) == 0 {
		p.Contents = []content{{Kind: p.Kind, Field: p.Field}}
	}
	for _, ct := range p.Contents {
		k := kindOf(t, ct.Kind)
		complaint = complaint || k == commonv1.PetitionKind_PETITION_KIND_COMPLAINT
		contents = append(contents, &intakev1.PetitionContent{Kind: k, Field: fieldOf(t, ct.Field)})
	}
	req := &intakev1.RegisterPetitionRequest{
		Meta: meta("register-"+p.ID, p.Received), UnitCode: p.Unit, ReceivedOn: p.Received.civil(), WrittenOn: p.Received.civil(),
		Source: commonv1.Source_SOURCE_POST, ForwardedBy: p.ForwardedBy, SenderType: commonv1.SenderType_SENDER_TYPE_INDIVIDUAL,
		SignatoryCount: max(p.Signatories, 1), Contents: contents, RespondentUnitCode: respondentOf(p), Content: c.matterOf(p),
	}
	if p.Source != "" {
		req.Source = commonv1.Source(enum(t, commonv1.Source_value, "SOURCE_", p.Source))
	}
	if p.Signatories >= 5 {
		req.SenderType = commonv1.SenderType_SENDER_TYPE_GROUP
	}
	if p.SenderType != "" {
		req.SenderType = commonv1.SenderType(enum(t, commonv1.SenderType_value, "SENDER_TYPE_", p.SenderType))
	}
	if !p.Anonymous {
		req.Sender = c.senderOf(p)
	}
	if p.Visit != "" {
		req.VisitId, req.Source = c.visits[p.Visit], commonv1.Source_SOURCE_IN_PERSON
	}
	if complaint {
		req.ComplaintInstance = max(p.Instance, 1)
		req.DecisionKnownOn = day{p.Received.AddDays(-20)}.civil()
	}
	conn := c.dial(c.intake, auth.RoleReceptionOfficer, p.Unit)
	res, err := intakev1.NewIntakeServiceClient(conn).RegisterPetition(ctx, req)
	if err != nil {
		return err
	}
	c.ids[p.ID], c.holder[p.ID] = res.GetPetitionId(), p.Unit
	if want := c.ids[p.SameAs]; res.GetDuplicateOf() != want {
		return fmt.Errorf("registered as a duplicate of %q, want %q", res.GetDuplicateOf(), want)
	}
	if res.GetAnonymous() != p.Anonymous {
		return fmt.Errorf("registered anonymous=%v, want %v", res.GetAnonymous(), p.Anonymous)
	}
	return nil
}

// step carries out one step of a petition's life as the officer who would.
func (c *city) step(ctx context.Context, p *petition, n int, st *step) error {
	t := c.t
	id, unit := c.ids[p.ID], c.holder[p.ID]
	m := meta(fmt.Sprintf("%s-%d-%s", p.ID, n+1, st.Do), st.On)
	proc := &routingv1.ProcessPetitionRequest{Meta: m, PetitionId: id, ProcessedOn: st.On.civil()}
	switch st.Do {
	case "accept":
		acc := &routingv1.ProcessPetitionRequest_Accept{Complex: st.Complex}
		if st.RepeatOf != "" {
			acc.RepeatOf = c.ids[st.RepeatOf]
		}
		proc.Decision = &routingv1.ProcessPetitionRequest_Accept_{Accept: acc}
	case "guide":
		proc.Decision = &routingv1.ProcessPetitionRequest_Guide_{Guide: &routingv1.ProcessPetitionRequest_Guide{}}
	case "forward":
		proc.Decision = &routingv1.ProcessPetitionRequest_Forward_{Forward: &routingv1.ProcessPetitionRequest_Forward{}}
	case "return":
		proc.Decision = &routingv1.ProcessPetitionRequest_ReturnToSender{ReturnToSender: &routingv1.ProcessPetitionRequest_Return{ReturnedTo: st.To, Reason: st.Reason}}
	case "file":
		proc.Decision = &routingv1.ProcessPetitionRequest_FileAway_{FileAway: &routingv1.ProcessPetitionRequest_FileAway{
			Reason: routingv1.FilingReason(enum(t, routingv1.FilingReason_value, "FILING_REASON_", st.Reason))}}
	case "urge":
		return c.urge(ctx, id, m, st)
	}
	if proc.Decision != nil {
		// Processing (xử lý đơn), by a processing officer of the unit holding the petition; the
		// officer may correct the classification (a multi-content petition is reclassified).
		if st.Kind != "" {
			proc.Kind = kindOf(t, st.Kind)
		}
		if st.Field != "" {
			proc.Field = fieldOf(t, st.Field)
		}
		conn := c.dial(c.routing, auth.RoleProcessingOfficer, unit)
		res, err := routingv1.NewRoutingServiceClient(conn).ProcessPetition(ctx, proc)
		if err != nil {
			return err
		}
		c.holder[p.ID] = res.GetCase().GetUnitCode()
		return nil
	}

	req := &routingv1.RecordStepRequest{Meta: m, CaseId: id, On: st.On.civil()}
	switch st.Do {
	case "verify":
		req.Step = &routingv1.RecordStepRequest_VerificationStarted{VerificationStarted: &routingv1.RecordStepRequest_VerificationStart{}}
	case "dialogue":
		req.Step = &routingv1.RecordStepRequest_DialogueHeld{DialogueHeld: &routingv1.RecordStepRequest_Dialogue{}}
	case "decide":
		req.Step = &routingv1.RecordStepRequest_ComplaintDecision_{ComplaintDecision: &routingv1.RecordStepRequest_ComplaintDecision{
			Finding: complaintFinding(t, st.Finding), Remedies: remedies(t, st.Remedies), DecisionNumber: p.ID + "/QĐ-UBND"}}
	case "send":
		req.Step = &routingv1.RecordStepRequest_DecisionSent{DecisionSent: &routingv1.RecordStepRequest_DecisionSending{}}
	case "execute":
		req.Step = &routingv1.RecordStepRequest_DecisionExecuted{DecisionExecuted: &routingv1.RecordStepRequest_Execution{Achieved: remedies(t, st.Achieved)}}
	case "extend":
		req.Step = &routingv1.RecordStepRequest_Extension_{Extension: &routingv1.RecordStepRequest_Extension{Days: st.Days}}
	case "conclude":
		req.Step = &routingv1.RecordStepRequest_Conclusion_{Conclusion: &routingv1.RecordStepRequest_Conclusion{
			Finding: denunciationFinding(t, st.Finding), Remedies: remedies(t, st.Remedies)}}
	case "act":
		req.Step = &routingv1.RecordStepRequest_ConclusionActedOn{ConclusionActedOn: &routingv1.RecordStepRequest_ConclusionAction{Achieved: remedies(t, st.Achieved)}}
	case "publish":
		req.Step = &routingv1.RecordStepRequest_ConclusionPublished{ConclusionPublished: &routingv1.RecordStepRequest_Publication{}}
	case "withdraw":
		req.Step = &routingv1.RecordStepRequest_Withdrawal_{Withdrawal: &routingv1.RecordStepRequest_Withdrawal{ResolutionContinues: st.Continues}}
	case "reply":
		req.Step = &routingv1.RecordStepRequest_ReplyReceived{ReplyReceived: &routingv1.RecordStepRequest_Reply{}}
	default:
		t.Fatalf("scenario: %s: unknown step %q", p.ID, st.Do)
	}
	conn := c.dial(c.routing, auth.RoleHandler, unit)
	res, err := routingv1.NewRoutingServiceClient(conn).RecordStep(ctx, req)
	if err != nil {
		return err
	}
	c.holder[p.ID] = res.GetCase().GetUnitCode()
	return nil
}

// urge sends an urging letter about a late case (supervision), as the unit and role named.
func (c *city) urge(ctx context.Context, caseID string, m *commonv1.CommandMeta, st *step) error {
	role := auth.Role(st.Role)
	conn := c.dial(c.superv, role, st.By)
	res, err := supervisionv1.NewSupervisionServiceClient(conn).IssueUrging(ctx, &supervisionv1.IssueUrgingRequest{
		Meta: m, CaseId: caseID, IssuingUnitCode: st.By, IssuedOn: st.On.civil(), LetterNumber: strings.TrimPrefix(m.GetCommandId(), "scenario-") + "/CV"})
	if err != nil {
		return err
	}
	if got := res.GetUrging().GetUnitCode(); got != st.Urged {
		return fmt.Errorf("the urging went to %s, want %s", got, st.Urged)
	}
	c.urgings++
	return nil
}

// holdSession opens a reception session, records its visits and closes it.
func (c *city) holdSession(ctx context.Context, s *session) error {
	t := c.t
	role := auth.RoleReceptionOfficer
	if s.By != "" {
		role = auth.Role(s.By)
	}
	cl := intakev1.NewIntakeServiceClient(c.dial(c.intake, role, s.Unit))
	opened, err := cl.OpenReceptionSession(ctx, &intakev1.OpenReceptionSessionRequest{
		Meta: meta("session-"+s.ID, s.On), UnitCode: s.Unit, Kind: sessionKind(t, s.Kind), HeldOn: s.On.civil(), HostPosition: s.Host})
	if err != nil {
		return err
	}
	for _, v := range s.Visits {
		req := &intakev1.RecordVisitRequest{
			Meta: meta("session-"+s.ID+"-"+v.ID, s.On), SessionId: opened.GetSessionId(), PeopleCount: v.People,
			RepresentativeCount: v.Reps, Kind: commonv1.PetitionKind_PETITION_KIND_COMPLAINT, Field: commonv1.Field_FIELD_ADMIN_LAND_HOUSING,
			Visitor: sender(1000+len(c.visits), "lượt tiếp "+v.ID), Repeat: v.Repeat,
			Content: matter(s.ID+"-"+v.ID, s.Unit),
		}
		if v.Kind != "" {
			req.Kind = kindOf(t, v.Kind)
		}
		if v.VisitorOf != "" {
			// The same person on the same matter as the petition: intake must recognise the repeat.
			c.caughtUp(ctx, c.intake)
			p := c.petitions[v.VisitorOf]
			req.Visitor, req.Content, req.Kind = c.senderOf(p), c.matterOf(p), kindOf(t, p.Kind)
		}
		res, err := cl.RecordVisit(ctx, req)
		if err != nil {
			return fmt.Errorf("visit %s: %w", v.ID, err)
		}
		if res.GetCrowd() != (v.People >= 5) || res.GetRepeat() != (v.Repeat || v.VisitorOf != "") {
			return fmt.Errorf("visit %s recorded crowd=%v repeat=%v", v.ID, res.GetCrowd(), res.GetRepeat())
		}
		c.visits[v.ID] = res.GetVisitId()
	}
	_, err = cl.CloseReceptionSession(ctx, &intakev1.CloseReceptionSessionRequest{Meta: meta("session-"+s.ID+"-close", s.On), SessionId: opened.GetSessionId()})
	return err
}
