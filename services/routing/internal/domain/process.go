package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
)

// Process is the processing of a petition (xử lý đơn): its classification and the action chosen.
type Process struct {
	// On is the day it is processed.
	On calendar.Date
	// Kind and Field correct the classification; zero keeps the petition's.
	Kind  commonv1.PetitionKind
	Field commonv1.Field
	// Decision is one of *routingv1.ProcessPetitionRequest_Accept, _Guide, _Forward, _Return,
	// _FileAway.
	Decision proto.Message
	// RepeatOf is the earlier case of a repeat denunciation (Accept.repeat_of), loaded by the caller;
	// nil when it names no case that exists.
	RepeatOf *Case
}

// Field names of ProcessPetitionRequest, for field violations.
const (
	fieldProcessedOn = "processed_on"
	fieldKind        = "kind"
	fieldAccept      = "accept"
	fieldRepeatOf    = "accept.repeat_of"
	fieldGuideTo     = "guide.to_unit_code"
	fieldForwardTo   = "forward.to_unit_code"
	fieldFileReason  = "file_away.reason"
)

func singleKind(k commonv1.PetitionKind) bool {
	switch k {
	case commonv1.PetitionKind_PETITION_KIND_COMPLAINT, commonv1.PetitionKind_PETITION_KIND_DENUNCIATION,
		commonv1.PetitionKind_PETITION_KIND_RECOMMENDATION, commonv1.PetitionKind_PETITION_KIND_FEEDBACK:
		return true
	}
	return false
}

// competence is what the rules say about a petition on the processing date.
type competence struct {
	unit Unit
	// determined is false when the rules cannot say: no respondent unit in the registry, or no rule
	// covers it. The processing unit's own judgement then stands.
	determined bool
	basis      string
}

// Process decides the processing of a petition within the 10 working days from receipt
// (TT 05/2021/TT-TTCP, *verify*): the classification (PetitionClassified), the action, and the
// legal clocks it stops and starts — all in one commit.
func (c *Case) Process(cmd Process, today calendar.Date, units Units) ([]proto.Message, error) {
	id := c.ID()
	if err := c.processable(cmd.Decision); err != nil {
		return nil, err
	}
	if err := c.checkDate(fieldProcessedOn, cmd.On, today); err != nil {
		return nil, err
	}
	kind, field := c.Kind, c.Field
	if cmd.Kind != commonv1.PetitionKind_PETITION_KIND_UNSPECIFIED {
		kind = cmd.Kind
	}
	if cmd.Field != commonv1.Field_FIELD_UNSPECIFIED {
		field = cmd.Field
	}
	instance := instanceOf(kind, c.Instance)
	// A unit merged before the petition was processed hands it to its successor (Decree 141/2025/NĐ-CP).
	proc, ok := units.Holding(c.Unit, cmd.On)
	if !ok {
		return nil, refuse(ReasonUnitUnknown, id, "", "the processing unit %s is not in the unit registry on %s", c.Unit, cmd.On)
	}
	comp, err := c.competence(units, kind, instance, cmd.On)
	if err != nil {
		return nil, err
	}
	// Forwarding makes the receiving unit the one to process and resolve the petition.
	forwardedHere := c.Status == routingv1.CaseStatus_CASE_STATUS_FORWARDED
	within := forwardedHere || (comp.determined && ActsFor(proc, comp.unit))
	classified := &routingv1.PetitionClassified{
		CaseId: id, UnitCode: proc.Code, ProcessedOn: calendarpb.ToProto(cmd.On), Kind: kind, Field: field,
		Eligible: true, WithinCompetence: within, CompetentUnitCode: comp.unit.Code, CompetenceBasis: comp.basis,
		ComplaintInstance: instance, Repeat: c.Petition.Repeats > 0,
	}
	var action []proto.Message
	switch d := cmd.Decision.(type) {
	case *routingv1.ProcessPetitionRequest_Accept:
		if !singleKind(kind) {
			return nil, refuse(ReasonKindNotClassified, id, fieldKind, "a %s petition cannot be accepted as it is: split it per competent body, or reclassify it with kind", kindName(kind))
		}
		if kind == commonv1.PetitionKind_PETITION_KIND_DENUNCIATION && c.Petition.Anonymous {
			return nil, refuse(ReasonAnonymousDenunciation, id, fieldAccept,
				"an anonymous denunciation is not accepted as a denunciation (Luật TC Đ25): file it away (reason ANONYMOUS), its content may be checked for management purposes")
		}
		if !within && comp.determined {
			return nil, refuse(ReasonNotCompetent, id, fieldAccept, "%s is not competent: the rules choose %s (%s); guide or forward the petition",
				proc.Code, comp.unit.Code, comp.basis).WithMeta("competent_unit_code", comp.unit.Code)
		}
		if !comp.determined {
			// The rules could not decide; the processing unit accepting it judges it competent.
			classified.WithinCompetence = true
		}
		if d.GetRepeatOf() != "" {
			if err := c.checkRepeatOf(kind, d.GetRepeatOf(), cmd.RepeatOf); err != nil {
				return nil, err
			}
		}
		accepted := &routingv1.CaseAccepted{
			CaseId: id, UnitCode: proc.Code, AcceptedOn: calendarpb.ToProto(cmd.On), Kind: kind, ComplaintInstance: instance,
			Complex: d.GetComplex(), RemoteArea: proc.RemoteArea, RepeatOf: d.GetRepeatOf(),
		}
		action = append(action, accepted)
		stops, err := c.stopClocks(cmd.On, ClockProcessing)
		if err != nil {
			return nil, err
		}
		action = append(action, stops...)
		if rule := resolutionRule(kind, instance); rule != "" {
			after := Case{Complex: accepted.Complex, RemoteArea: accepted.RemoteArea}
			l, err := startClock(c.eng, ClockResolution, rule, proc.Code, cmd.On, after.conditionsFor(ClockResolution))
			if err != nil {
				return nil, apperr.Internal(ReasonCorrupt, "resolution clock").WithCause(err)
			}
			action = append(action, &commonv1.LegalClockStarted{Clock: l.Proto(id)})
		}
	case *routingv1.ProcessPetitionRequest_Guide:
		// A complaint outside competence: the citizen is told which body is competent, once
		// (TT 05/2021/TT-TTCP, *verify*); other kinds are forwarded instead.
		if kind != commonv1.PetitionKind_PETITION_KIND_COMPLAINT {
			return nil, refuse(ReasonWrongKind, id, fieldKind, "only complaints are guided; a %s outside competence is forwarded", kindName(kind))
		}
		to, err := c.routeTo(units, proc, comp, d.GetToUnitCode(), fieldGuideTo, cmd.On)
		if err != nil {
			return nil, err
		}
		classified.CompetentUnitCode = orDefault(comp.unit.Code, to.Code)
		action = append(action, &routingv1.PetitionGuided{CaseId: id, ToUnitCode: to.Code, GuidedOn: calendarpb.ToProto(cmd.On)})
		stops, err := c.stopClocks(cmd.On, ClockProcessing)
		if err != nil {
			return nil, err
		}
		action = append(action, stops...)
	case *routingv1.ProcessPetitionRequest_Forward:
		if kind == commonv1.PetitionKind_PETITION_KIND_COMPLAINT {
			return nil, refuse(ReasonWrongKind, id, fieldKind, "a complaint outside competence is guided, not forwarded")
		}
		if !singleKind(kind) {
			return nil, refuse(ReasonKindNotClassified, id, fieldKind, "a %s petition is split per competent body before it is forwarded", kindName(kind))
		}
		if kind == commonv1.PetitionKind_PETITION_KIND_DENUNCIATION && c.Petition.Anonymous {
			return nil, refuse(ReasonAnonymousDenunciation, id, "forward",
				"an anonymous denunciation is not processed as a denunciation (Luật TC Đ25): file it away (reason ANONYMOUS)")
		}
		to, err := c.routeTo(units, proc, comp, d.GetToUnitCode(), fieldForwardTo, cmd.On)
		if err != nil {
			return nil, err
		}
		classified.CompetentUnitCode = orDefault(comp.unit.Code, to.Code)
		action = append(action, &routingv1.PetitionForwarded{CaseId: id, ToUnitCode: to.Code, ForwardedOn: calendarpb.ToProto(cmd.On), FromUnitCode: proc.Code})
		stops, err := c.stopClocks(cmd.On, ClockProcessing)
		if err != nil {
			return nil, err
		}
		action = append(action, stops...)
		// The receiving body processes it anew: a denunciation within the 7 working days of Luật TC
		// Đ24.1, counted from the forwarding day (the day it is sent, taken as the day of receipt), other
		// petitions within the processing period.
		rule := rulePetitionProcess
		if kind == commonv1.PetitionKind_PETITION_KIND_DENUNCIATION {
			rule = ruleDenunciationAccept
		}
		l, err := startClock(c.eng, ClockProcessing, rule, to.Code, cmd.On, nil)
		if err != nil {
			return nil, apperr.Internal(ReasonCorrupt, "processing clock").WithCause(err)
		}
		action = append(action, &commonv1.LegalClockStarted{Clock: l.Proto(id)})
	case *routingv1.ProcessPetitionRequest_Return:
		action = append(action, &routingv1.PetitionReturned{CaseId: id, ReturnedTo: d.GetReturnedTo(), ReturnedOn: calendarpb.ToProto(cmd.On), Reason: d.GetReason()})
		stops, err := c.stopClocks(cmd.On, ClockProcessing)
		if err != nil {
			return nil, err
		}
		action = append(action, stops...)
	case *routingv1.ProcessPetitionRequest_FileAway:
		if d.GetReason() == routingv1.FilingReason_FILING_REASON_ANONYMOUS && !c.Petition.Anonymous {
			return nil, refuse(ReasonNotAnonymous, id, fieldFileReason, "the petition was not registered as anonymous")
		}
		classified.Eligible = false
		action = append(action, &routingv1.PetitionFiledAway{CaseId: id, FiledOn: calendarpb.ToProto(cmd.On), Reason: d.GetReason()})
		stops, err := c.stopClocks(cmd.On, ClockProcessing)
		if err != nil {
			return nil, err
		}
		action = append(action, stops...)
	default:
		return nil, apperr.Invalid("decision", "one of accept, guide, forward, return_to_sender, file_away is required")
	}
	return append([]proto.Message{classified}, action...), nil
}

// processable says whether the case may be processed now, with this decision.
func (c *Case) processable(decision proto.Message) error {
	id := c.ID()
	switch c.Status {
	case routingv1.CaseStatus_CASE_STATUS_AWAITING_PROCESSING, routingv1.CaseStatus_CASE_STATUS_FORWARDED:
	case routingv1.CaseStatus_CASE_STATUS_GUIDED:
		switch decision.(type) {
		case *routingv1.ProcessPetitionRequest_Guide:
			return refuse(ReasonGuidedOnce, id, "guide", "the complainant was already guided to the competent body once; "+
				"a complaint is guided only once (TT 05/2021/TT-TTCP, *verify*): file a repeated petition away")
		case *routingv1.ProcessPetitionRequest_FileAway:
		default:
			return refuse(ReasonAlreadyProcessed, id, "", "the petition was processed: the complainant was guided to the competent body")
		}
	default:
		if c.Closed() {
			return refuse(ReasonCaseClosed, id, "", "the case is closed (%s)", statusName(c.Status))
		}
		return refuse(ReasonAlreadyProcessed, id, "", "the petition was already processed (%s)", statusName(c.Status))
	}
	if _, ok := decision.(*routingv1.ProcessPetitionRequest_Forward); ok && c.Forwarded {
		return refuse(ReasonForwardedOnce, id, "forward", "the petition was already forwarded once, to %s: "+
			"a petition is forwarded only once (Luật TC Đ24.3); accept it or file it away", c.Unit)
	}
	return nil
}

// competence asks the rules which unit is competent on the date.
func (c *Case) competence(units Units, kind commonv1.PetitionKind, instance int32, on calendar.Date) (competence, error) {
	if !singleKind(kind) {
		return competence{basis: "not determined: the petition is not classified under one kind"}, nil
	}
	if c.Petition.RespondentUnit == "" {
		return competence{basis: "not determined by the rules: the respondent is not a unit of the registry"}, nil
	}
	comp, err := units.Competent(kind, instance, c.Petition.RespondentUnit, on)
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Kind() == apperr.KindNotFound {
			return competence{basis: "not determined by the rules: " + e.Message()}, nil
		}
		return competence{}, err
	}
	return competence{unit: comp.Unit, determined: true, basis: comp.Basis}, nil
}

// routeTo is the unit a petition is guided or forwarded to: the one named, or else the one the
// competence rules choose. It must exist on the date and not be the processing unit itself.
func (c *Case) routeTo(units Units, proc Unit, comp competence, named, field string, on calendar.Date) (Unit, error) {
	id := c.ID()
	code := named
	if code == "" {
		if !comp.determined {
			return Unit{}, refuse(ReasonNoCompetentUnit, id, field, "name the competent unit: the competence rules choose none (%s)", comp.basis)
		}
		code = comp.unit.Code
	}
	to, ok := units.Unit(code, on)
	if !ok {
		return Unit{}, refuse(ReasonUnitUnknown, id, field, "unit %s is not in the unit registry on %s", code, on)
	}
	if to.Ended {
		return Unit{}, refuse(ReasonUnitEnded, id, field, "unit %s had been merged into %s by %s", code, to.SuccessorCode, on).
			WithMeta("successor_unit_code", to.SuccessorCode)
	}
	if ActsFor(proc, to) {
		return Unit{}, refuse(ReasonSameUnit, id, field, "%s is the processing unit's own competence: accept the petition instead", code)
	}
	return to, nil
}

// checkRepeatOf checks the earlier case of a repeat denunciation: a denunciation that was concluded
// (Luật TC Đ37).
func (c *Case) checkRepeatOf(kind commonv1.PetitionKind, repeatOf string, earlier *Case) error {
	id := c.ID()
	switch {
	case kind != commonv1.PetitionKind_PETITION_KIND_DENUNCIATION:
		return refuse(ReasonRepeatOf, id, fieldRepeatOf, "only a denunciation repeats an earlier one (Luật TC Đ37)")
	case repeatOf == id:
		return refuse(ReasonRepeatOf, id, fieldRepeatOf, "a case cannot repeat itself")
	case earlier == nil:
		return refuse(ReasonRepeatOf, id, fieldRepeatOf, "case %s does not exist", repeatOf)
	case !earlier.isDenunciation() || !earlier.Concluded:
		return refuse(ReasonRepeatOf, id, fieldRepeatOf, "case %s is not a concluded denunciation: a repeat denunciation follows a conclusion (Luật TC Đ37)", repeatOf)
	}
	return nil
}

// checkDate refuses a step dated in the future or before the case's previous step.
func (c *Case) checkDate(field string, on, today calendar.Date) error {
	switch {
	case !on.IsValid():
		return apperr.Invalid(field, "is not a calendar date")
	case on.After(today):
		return apperr.Invalid(field, "%s is in the future: today is %s in Vietnam", on, today)
	case on.Before(c.LastOn):
		return refuse(ReasonDateBeforePrevious, c.ID(), field, "%s is before the case's previous step on %s", on, c.LastOn)
	}
	return nil
}

// stopClocks stops the named open clocks (every open clock when none is named) on a date.
func (c *Case) stopClocks(on calendar.Date, names ...string) ([]proto.Message, error) {
	if len(names) == 0 {
		names = c.order
	}
	var out []proto.Message
	for _, name := range names {
		l := c.clocks[name]
		if !l.open() {
			continue
		}
		_, ev, err := l.stopEvent(c.ID(), on)
		if err != nil {
			return nil, clockError(c.ID(), "", err)
		}
		out = append(out, ev)
	}
	return out, nil
}

func statusName(s routingv1.CaseStatus) string { return enumName(s.String(), "CASE_STATUS_") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
