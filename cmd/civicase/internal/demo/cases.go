package demo

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
)

// caseRun carries one case through the routing API with its own randomness.
type caseRun struct {
	g      *generator
	rng    *rand.Rand
	prefix string
	p      *petitionPlan
	id     string
	unit   string // the unit handling the case now
	on     calendar.Date
	steps  int
}

// after moves the case's date on by lo..hi working days and says whether it is still within the demo.
func (c *caseRun) after(lo, hi int) bool {
	c.on = calendar.AddWorkingDays(c.on, lo+c.rng.IntN(hi-lo+1))
	return !c.on.After(historyEnd)
}

// moveTo sets the next step's date, never before the previous step (a long holiday can push the
// earlier steps past a date planned from the acceptance).
func (c *caseRun) moveTo(d calendar.Date) {
	if d.After(c.on) {
		c.on = d
		return
	}
	c.on = calendar.AddWorkingDays(c.on, 1)
}

func (c *caseRun) client(role auth.Role) (routingv1.RoutingServiceClient, error) {
	return c.g.routing(c.unit, role, c.on)
}

func (c *caseRun) process(ctx context.Context, tag string, req *routingv1.ProcessPetitionRequest) (*routingv1.Case, error) {
	cl, err := c.client(auth.RoleProcessingOfficer)
	if err != nil {
		return nil, err
	}
	req.Meta, req.PetitionId, req.ProcessedOn = meta(fmt.Sprintf("%s-%d-%s", c.prefix, c.p.n, tag)), c.id, civil(c.on)
	resp, err := cl.ProcessPetition(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", tag, c.on, err)
	}
	c.steps++
	return resp.GetCase(), nil
}

func (c *caseRun) step(ctx context.Context, tag string, req *routingv1.RecordStepRequest) error {
	cl, err := c.client(auth.RoleHandler)
	if err != nil {
		return err
	}
	req.Meta, req.CaseId, req.On = meta(fmt.Sprintf("%s-%d-%s", c.prefix, c.p.n, tag)), c.id, civil(c.on)
	if _, err := cl.RecordStep(ctx, req); err != nil {
		return fmt.Errorf("%s on %s: %w", tag, c.on, err)
	}
	c.steps++
	return nil
}

// handle processes a case within the legal 10 working days (sometimes late), then resolves it.
func (g *generator) handle(ctx context.Context, prefix string, p *petitionPlan, caseID string) (int, error) {
	c := &caseRun{g: g, rng: rand.New(rand.NewPCG(p.seed, 7)), prefix: prefix, p: p, id: caseID, unit: p.unit, on: p.received}
	err := c.run(ctx)
	return c.steps, err
}

func (c *caseRun) run(ctx context.Context) error {
	late := c.rng.Float64() < 0.1
	lo, hi := 1, 9
	if late {
		lo, hi = 11, 16 // beyond TT 05/2021's 10 working days
	}
	if !c.after(lo, hi) {
		return nil // still waiting for processing at the end of 2025
	}
	p := c.p
	denunciation := p.kind == commonv1.PetitionKind_PETITION_KIND_DENUNCIATION
	complaint := p.kind == commonv1.PetitionKind_PETITION_KIND_COMPLAINT
	switch {
	case p.sender == nil && denunciation: // Luật TC Đ25: not processed as a denunciation
		_, err := c.process(ctx, "file", &routingv1.ProcessPetitionRequest{Decision: &routingv1.ProcessPetitionRequest_FileAway_{
			FileAway: &routingv1.ProcessPetitionRequest_FileAway{Reason: routingv1.FilingReason_FILING_REASON_ANONYMOUS}}})
		return err
	case c.rng.Float64() < 0.04:
		_, err := c.process(ctx, "file", &routingv1.ProcessPetitionRequest{Decision: &routingv1.ProcessPetitionRequest_FileAway_{
			FileAway: &routingv1.ProcessPetitionRequest_FileAway{Reason: routingv1.FilingReason_FILING_REASON_ALREADY_RESOLVED}}})
		return err
	case respondentOn(p.respondent, p.received) != wardCommittee(p.unit) && complaint: // outside the ward's competence: guide once
		_, err := c.process(ctx, "guide", &routingv1.ProcessPetitionRequest{Decision: &routingv1.ProcessPetitionRequest_Guide_{Guide: &routingv1.ProcessPetitionRequest_Guide{}}})
		return err
	case respondentOn(p.respondent, p.received) != wardCommittee(p.unit): // forward once; the competent body then accepts it
		to := "" // denunciations: the competence rules choose the manager of the denounced
		if !denunciation {
			to = respondentOn(p.respondent, c.on) // recommendations go to the body concerned
		}
		cs, err := c.process(ctx, "forward", &routingv1.ProcessPetitionRequest{Decision: &routingv1.ProcessPetitionRequest_Forward_{Forward: &routingv1.ProcessPetitionRequest_Forward{ToUnitCode: to}}})
		if err != nil {
			return err
		}
		c.unit = cs.GetUnitCode()
		if !c.after(2, 8) {
			return nil
		}
	}
	complex := c.rng.Float64() < 0.1
	if _, err := c.process(ctx, "accept", &routingv1.ProcessPetitionRequest{Decision: &routingv1.ProcessPetitionRequest_Accept_{
		Accept: &routingv1.ProcessPetitionRequest_Accept{Complex: complex && complaint}}}); err != nil {
		return err
	}
	switch {
	case complaint:
		return c.complaint(ctx)
	case denunciation:
		return c.denunciation(ctx)
	}
	return nil // recommendations and feedback: accepted; the API has no answering step yet
}

func (c *caseRun) complaint(ctx context.Context) error {
	accepted := c.on
	if !c.after(2, 6) {
		return nil
	}
	if err := c.step(ctx, "verify", &routingv1.RecordStepRequest{Step: &routingv1.RecordStepRequest_VerificationStarted{VerificationStarted: &routingv1.RecordStepRequest_VerificationStart{}}}); err != nil {
		return err
	}
	if c.rng.Float64() < 0.08 && c.after(3, 8) { // withdrawn after explanation (01/KQGQ col 6)
		return c.step(ctx, "withdraw", &routingv1.RecordStepRequest{Step: &routingv1.RecordStepRequest_Withdrawal_{Withdrawal: &routingv1.RecordStepRequest_Withdrawal{}}})
	}
	if !c.after(4, 9) {
		return nil
	}
	if err := c.step(ctx, "dialogue", &routingv1.RecordStepRequest{Step: &routingv1.RecordStepRequest_DialogueHeld{DialogueHeld: &routingv1.RecordStepRequest_Dialogue{}}}); err != nil {
		return err
	}
	// Decide within the 30 days of Luật KN Đ28 mostly; a tenth late.
	days := 20 + c.rng.IntN(9)
	if c.rng.Float64() < 0.1 {
		days = 33 + c.rng.IntN(20)
	}
	c.moveTo(calendar.NextWorkingDay(accepted.AddDays(days - 1)))
	if c.on.After(historyEnd) {
		return nil
	}
	findings := []routingv1.ComplaintFinding{routingv1.ComplaintFinding_COMPLAINT_FINDING_WRONG, routingv1.ComplaintFinding_COMPLAINT_FINDING_WRONG,
		routingv1.ComplaintFinding_COMPLAINT_FINDING_RIGHT, routingv1.ComplaintFinding_COMPLAINT_FINDING_PARTLY_RIGHT}
	f := findings[c.rng.IntN(len(findings))]
	rem := &routingv1.Remedies{}
	if f != routingv1.ComplaintFinding_COMPLAINT_FINDING_WRONG {
		rem.ReturnIndividualsMoneyVnd = int64(5+c.rng.IntN(200)) * 1_000_000
		rem.IndividualsRestored = 1
		if c.rng.Float64() < 0.3 {
			rem.ReturnIndividualsLandM2 = float64(20 + c.rng.IntN(300))
		}
	}
	if err := c.step(ctx, "decide", &routingv1.RecordStepRequest{Step: &routingv1.RecordStepRequest_ComplaintDecision_{ComplaintDecision: &routingv1.RecordStepRequest_ComplaintDecision{
		Finding: f, Remedies: rem, DecisionNumber: fmt.Sprintf("%d/QĐ-UBND", 1000+c.p.n)}}}); err != nil {
		return err
	}
	if !c.after(1, 3) {
		return nil
	}
	if err := c.step(ctx, "send", &routingv1.RecordStepRequest{Step: &routingv1.RecordStepRequest_DecisionSent{DecisionSent: &routingv1.RecordStepRequest_DecisionSending{}}}); err != nil {
		return err
	}
	if c.rng.Float64() < 0.3 || !c.after(10, 30) {
		return nil
	}
	return c.step(ctx, "execute", &routingv1.RecordStepRequest{Step: &routingv1.RecordStepRequest_DecisionExecuted{DecisionExecuted: &routingv1.RecordStepRequest_Execution{Achieved: rem}}})
}

func (c *caseRun) denunciation(ctx context.Context) error {
	accepted := c.on
	if !c.after(2, 6) {
		return nil
	}
	if err := c.step(ctx, "verify", &routingv1.RecordStepRequest{Step: &routingv1.RecordStepRequest_VerificationStarted{VerificationStarted: &routingv1.RecordStepRequest_VerificationStart{}}}); err != nil {
		return err
	}
	extra := 0
	if c.rng.Float64() < 0.06 { // suspended for 12 days (Luat TC Đ34), then resumed
		if !c.after(3, 6) {
			return nil
		}
		if err := c.step(ctx, "suspend", &routingv1.RecordStepRequest{Step: &routingv1.RecordStepRequest_Suspension_{Suspension: &routingv1.RecordStepRequest_Suspension{Reason: "chờ kết quả giám định"}}}); err != nil {
			return err
		}
		c.on = c.on.AddDays(12)
		if c.on.After(historyEnd) {
			return nil
		}
		if err := c.step(ctx, "resume", &routingv1.RecordStepRequest{Step: &routingv1.RecordStepRequest_Resumption_{Resumption: &routingv1.RecordStepRequest_Resumption{}}}); err != nil {
			return err
		}
		extra += 12
	}
	if c.rng.Float64() < 0.2 { // complex: one extension of 30 days (Luật TC Đ30)
		c.moveTo(calendar.NextWorkingDay(accepted.AddDays(25 + extra)))
		if c.on.After(historyEnd) {
			return nil
		}
		if err := c.step(ctx, "extend", &routingv1.RecordStepRequest{Step: &routingv1.RecordStepRequest_Extension_{Extension: &routingv1.RecordStepRequest_Extension{Days: 30}}}); err != nil {
			return err
		}
		extra += 30
	}
	c.moveTo(calendar.NextWorkingDay(accepted.AddDays(18 + extra + c.rng.IntN(14))))
	if c.on.After(historyEnd) {
		return nil
	}
	findings := []routingv1.DenunciationFinding{routingv1.DenunciationFinding_DENUNCIATION_FINDING_FALSE, routingv1.DenunciationFinding_DENUNCIATION_FINDING_FALSE,
		routingv1.DenunciationFinding_DENUNCIATION_FINDING_TRUE, routingv1.DenunciationFinding_DENUNCIATION_FINDING_PARTLY_TRUE}
	f := findings[c.rng.IntN(len(findings))]
	rem := &routingv1.Remedies{}
	if f != routingv1.DenunciationFinding_DENUNCIATION_FINDING_FALSE {
		rem.RecoverStateMoneyVnd = int64(10+c.rng.IntN(500)) * 1_000_000
		rem.PeopleSanctioned, rem.OfficialsSanctioned = 1, 1
	}
	if err := c.step(ctx, "conclude", &routingv1.RecordStepRequest{Step: &routingv1.RecordStepRequest_Conclusion_{Conclusion: &routingv1.RecordStepRequest_Conclusion{Finding: f, Remedies: rem}}}); err != nil {
		return err
	}
	if !c.after(2, 6) {
		return nil
	}
	if err := c.step(ctx, "act", &routingv1.RecordStepRequest{Step: &routingv1.RecordStepRequest_ConclusionActedOn{ConclusionActedOn: &routingv1.RecordStepRequest_ConclusionAction{Achieved: rem}}}); err != nil {
		return err
	}
	if !c.after(1, 5) {
		return nil
	}
	return c.step(ctx, "publish", &routingv1.RecordStepRequest{Step: &routingv1.RecordStepRequest_ConclusionPublished{ConclusionPublished: &routingv1.RecordStepRequest_Publication{}}})
}
