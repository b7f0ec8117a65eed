package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/deadline"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
)

// ClockDeputyInform is the legal clock of a deputy informing the citizen (Luật TCD Đ28.2); it runs
// on the follow-up aggregate with the petition as its case.
const ClockDeputyInform = "deputy_inform"

// FollowUp is a deputy's follow-up of a forwarded petition, as its events record it.
type FollowUp struct {
	PetitionID string
	DeputyRef  string
	Council    string
	FromUnit   string
	ResultOn   calendar.Date
	InformBy   calendar.Date
	Informed   bool
	InformedOn calendar.Date
	OnTime     bool
}

// FollowUpFrom folds a follow-up's history (empty for a petition with none yet).
func FollowUpFrom(petitionID string, history []proto.Message) *FollowUp {
	f := &FollowUp{PetitionID: petitionID}
	for _, m := range history {
		switch e := m.(type) {
		case *supervisionv1.DeputyResultReceived:
			f.DeputyRef, f.Council, f.FromUnit = e.GetDeputyRef(), e.GetCouncilUnitCode(), e.GetFromUnitCode()
			f.ResultOn, f.InformBy = calendarpb.FromProto(e.GetReceivedOn()), calendarpb.FromProto(e.GetInformBy())
		case *supervisionv1.CitizenInformed:
			f.Informed, f.InformedOn, f.OnTime = true, calendarpb.FromProto(e.GetInformedOn()), e.GetOnTime()
		}
	}
	return f
}

// DeputyForwarded refuses a petition that no People's Council deputy forwarded.
func DeputyForwarded(c *CaseFacts) error {
	if c.Source != commonv1.Source_SOURCE_COUNCIL_DEPUTY {
		return refuse(ReasonNotDeputyForwarded, Subject(AggregatePetition, c.ID), "petition_id",
			"petition %s came by %s, not from a People's Council deputy", c.ID, c.Source)
	}
	return nil
}

// DecideResultReceived decides recording the competent body's result reaching the deputy, with
// the deputy_inform clock it starts: the citizen must be informed within the policy's period
// (Luật TCD Đ28.2: 5 working days).
func (f *FollowUp) DecideResultReceived(eng *deadline.Engine, pol Policy, c *CaseFacts, council, from string, on, today calendar.Date) ([]proto.Message, error) {
	subject := Subject(AggregateFollowUp, c.ID)
	if err := DeputyForwarded(c); err != nil {
		return nil, err
	}
	switch {
	case on.After(today):
		return nil, apperr.Invalid("received_on", "%s is in the future", on)
	case !f.ResultOn.IsZero():
		return nil, refuse(ReasonResultAlreadyReceived, subject, "", "the result reached the deputy on %s", f.ResultOn)
	case on.Before(c.ReceivedOn):
		return nil, refuse(ReasonDateTooEarly, subject, "received_on", "%s is before the petition was received on %s", on, c.ReceivedOn)
	}
	if from == "" {
		from = c.Unit
	}
	rule := pol.FollowUp.DeputyInformRule
	res, err := eng.Due(deadline.Request{Rule: rule, Base: on})
	if err != nil {
		return nil, apperr.Internal(ReasonCorrupt, "deputy inform period").WithCause(err)
	}
	lines := derivationLines(res.Derivation)
	return []proto.Message{
		&supervisionv1.DeputyResultReceived{
			PetitionId: c.ID, DeputyRef: c.ForwardedBy, CouncilUnitCode: council, ReceivedOn: calendarpb.ToProto(on),
			InformBy: calendarpb.ToProto(res.Due), FromUnitCode: from,
		},
		&commonv1.LegalClockStarted{Clock: &commonv1.LegalClock{
			CaseId: c.ID, Clock: ClockDeputyInform, RuleId: rule, Basis: res.Rule.Citation, StartedOn: calendarpb.ToProto(on),
			DueOn: calendarpb.ToProto(res.Due), Derivation: lines, UnitCode: council,
		}},
	}, nil
}

// DecideInformed decides recording the citizen being informed, stopping the deputy_inform clock.
func (f *FollowUp) DecideInformed(on, today calendar.Date) ([]proto.Message, error) {
	subject := Subject(AggregateFollowUp, f.PetitionID)
	switch {
	case on.After(today):
		return nil, apperr.Invalid("informed_on", "%s is in the future", on)
	case f.ResultOn.IsZero():
		return nil, refuse(ReasonNoResult, subject, "", "the deputy has not received the result yet")
	case f.Informed:
		return nil, refuse(ReasonInformed, subject, "", "the citizen was informed on %s", f.InformedOn)
	case on.Before(f.ResultOn):
		return nil, refuse(ReasonDateTooEarly, subject, "informed_on", "%s is before the result reached the deputy on %s", on, f.ResultOn)
	}
	onTime := !on.After(f.InformBy)
	return []proto.Message{
		&supervisionv1.CitizenInformed{PetitionId: f.PetitionID, DeputyRef: f.DeputyRef, InformedOn: calendarpb.ToProto(on), OnTime: onTime},
		&commonv1.LegalClockStopped{CaseId: f.PetitionID, Clock: ClockDeputyInform, StoppedOn: calendarpb.ToProto(on), OnTime: onTime, DueOn: calendarpb.ToProto(f.InformBy)},
	}, nil
}

// Status is where the follow-up stands.
func (f *FollowUp) Status() supervisionv1.FollowUpStatus {
	switch {
	case f.Informed:
		return supervisionv1.FollowUpStatus_FOLLOW_UP_STATUS_INFORMED
	case !f.ResultOn.IsZero():
		return supervisionv1.FollowUpStatus_FOLLOW_UP_STATUS_AWAITING_INFORM
	}
	return supervisionv1.FollowUpStatus_FOLLOW_UP_STATUS_AWAITING_RESULT
}

// Proto is the follow-up as the API shows it, measured as of a day.
func (f *FollowUp) Proto(c *CaseFacts, asOf calendar.Date) *supervisionv1.DeputyFollowUp {
	out := &supervisionv1.DeputyFollowUp{
		PetitionId: f.PetitionID, DeputyRef: c.ForwardedBy, UnitCode: c.ReceivingUnit, ReceivedOn: calendarpb.ToProto(c.ReceivedOn),
		PetitionKind: c.Kind, Status: f.Status(), ResultReceivedOn: calendarpb.ToProto(f.ResultOn), InformBy: calendarpb.ToProto(f.InformBy),
		InformedOn: calendarpb.ToProto(f.InformedOn), OnTime: f.OnTime, CouncilUnitCode: f.Council,
	}
	if !f.Informed && !f.InformBy.IsZero() && asOf.After(f.InformBy) {
		out.DaysOverdue = int32(asOf.DaysSince(f.InformBy))
	}
	return out
}
