package domain

import (
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/deadline"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
)

// Urging is an urging letter (đôn đốc) as its aggregate's events record it.
type Urging struct {
	ID           string
	CaseID       string
	Unit         string
	IssuingUnit  string
	IssuedOn     calendar.Date
	LetterNumber string
	Kind         commonv1.PetitionKind
	Outside      bool
	Clock        string
	RespondBy    calendar.Date
	Derivation   []string

	Escalated   bool
	Automatic   bool
	Superior    string
	EscalatedOn calendar.Date
	ReportDue   calendar.Date

	Answered       bool
	RespondedOn    calendar.Date
	RespondingUnit string
	OnTime         bool
}

// UrgingFrom folds an urging's history; nil when it has none.
func UrgingFrom(history []proto.Message) *Urging {
	var u *Urging
	for _, m := range history {
		switch e := m.(type) {
		case *supervisionv1.UrgingIssued:
			u = &Urging{
				ID: e.GetUrgingId(), CaseID: e.GetCaseId(), Unit: e.GetUnitCode(), IssuingUnit: e.GetIssuingUnitCode(),
				IssuedOn: calendarpb.FromProto(e.GetIssuedOn()), LetterNumber: e.GetLetterNumber(), Kind: e.GetPetitionKind(),
				Outside: e.GetOutsideCompetence(), Clock: e.GetClock(), RespondBy: calendarpb.FromProto(e.GetRespondBy()),
				Derivation: e.GetRespondDerivation(),
			}
		case *supervisionv1.UrgingEscalated:
			if u != nil {
				u.Escalated, u.Automatic, u.Superior = true, e.GetAutomatic(), e.GetSuperiorUnitCode()
				u.EscalatedOn, u.ReportDue = calendarpb.FromProto(e.GetEscalatedOn()), calendarpb.FromProto(e.GetReportDueOn())
				u.Derivation = append(slices.Clone(u.Derivation), e.GetDerivation()...)
			}
		case *supervisionv1.UrgingAnswered:
			if u != nil {
				u.Answered, u.RespondedOn, u.RespondingUnit, u.OnTime = true, calendarpb.FromProto(e.GetRespondedOn()), e.GetRespondingUnitCode(), e.GetOnTime()
			}
		}
	}
	return u
}

func (u *Urging) subject() string { return Subject(AggregateUrging, u.ID) }

// IssueUrging asks to record an urging letter.
type IssueUrging struct {
	UrgingID     string
	CaseID       string
	IssuingUnit  string
	Unit         string // empty: the unit of the case's most overdue clock
	Clock        string // empty: the most overdue clock of that unit
	IssuedOn     calendar.Date
	LetterNumber string
	RespondBy    calendar.Date // zero: the policy's answer period
}

// DecideIssueUrging decides an urging letter about a case. The letter goes to the unit named, or
// to the unit answering for the case's most overdue clock; a letter naming no unit about a case
// with nothing overdue is refused, because urging is for late units. The answer date is the one
// the letter sets or the policy's period (policy.yaml, *verify*).
func DecideIssueUrging(eng *deadline.Engine, p Policy, c *CaseFacts, cmd IssueUrging, today calendar.Date) (*supervisionv1.UrgingIssued, error) {
	subject := Subject(AggregatePetition, c.ID)
	if cmd.IssuedOn.After(today) {
		return nil, apperr.Invalid("issued_on", "%s is in the future", cmd.IssuedOn)
	}
	if !cmd.RespondBy.IsZero() && !cmd.RespondBy.After(cmd.IssuedOn) {
		return nil, apperr.Invalid("respond_by", "must be after the letter's date %s", cmd.IssuedOn)
	}
	if cmd.IssuedOn.Before(c.ReceivedOn) {
		return nil, refuse(ReasonDateTooEarly, subject, "issued_on", "the letter is dated %s, before the petition was received on %s", cmd.IssuedOn, c.ReceivedOn)
	}
	var late *ClockWithStatus
	open := c.OpenClocks(eng, cmd.IssuedOn)
	for i := range open {
		o := &open[i]
		if (cmd.Clock == "" || o.Clock.Clock == cmd.Clock) && (cmd.Unit == "" || o.Clock.Unit == cmd.Unit) {
			late = o
			break
		}
	}
	switch {
	case cmd.Clock != "" && late == nil:
		return nil, refuse(ReasonClockNotOpen, subject, "clock", "the case has no open %q clock%s on %s", cmd.Clock, ofUnit(cmd.Unit), cmd.IssuedOn)
	case cmd.Unit == "" && (late == nil || late.Status.DaysOverdue == 0):
		return nil, refuse(ReasonNotLate, subject, "unit_code", "no clock of the case is overdue on %s: name the unit to urge", cmd.IssuedOn)
	}
	unit := cmd.Unit
	ev := &supervisionv1.UrgingIssued{
		UrgingId: cmd.UrgingID, CaseId: c.ID, IssuingUnitCode: cmd.IssuingUnit, IssuedOn: calendarpb.ToProto(cmd.IssuedOn),
		LetterNumber: cmd.LetterNumber, PetitionKind: c.Kind, Field: c.Field, OutsideCompetence: c.OutsideCompetence,
	}
	if late != nil {
		if unit == "" {
			unit = late.Clock.Unit
		}
		ev.Clock, ev.ClockDueOn, ev.DaysOverdue = late.Clock.Clock, calendarpb.ToProto(late.Status.Due), int32(late.Status.DaysOverdue)
	}
	if unit == cmd.IssuingUnit {
		return nil, refuse(ReasonSameUnit, subject, "unit_code", "unit %s would urge itself", unit)
	}
	ev.UnitCode = unit
	if cmd.RespondBy.IsZero() {
		due, lines, err := DueOf(eng, p.Urging.AnswerRule, cmd.IssuedOn)
		if err != nil {
			return nil, apperr.Internal(ReasonCorrupt, "urging answer period").WithCause(err)
		}
		ev.RespondBy, ev.RespondRuleId, ev.RespondDerivation = calendarpb.ToProto(due), p.Urging.AnswerRule, lines
	} else {
		ev.RespondBy = calendarpb.ToProto(cmd.RespondBy)
		ev.RespondDerivation = []string{"answer date set by the letter " + cmd.LetterNumber + " → " + cmd.RespondBy.String()}
	}
	return ev, nil
}

func ofUnit(u string) string {
	if u == "" {
		return ""
	}
	return " of unit " + u
}

// DecideEscalate decides asking the urged unit's superior for a report once the answer date has
// passed without an answer: the superior reports within the policy's period — 5 working days for
// an overdue denunciation (Luật TC Đ38).
func (u *Urging) DecideEscalate(eng *deadline.Engine, p Policy, on calendar.Date, superior string, automatic bool, today calendar.Date) (*supervisionv1.UrgingEscalated, error) {
	switch {
	case on.After(today):
		return nil, apperr.Invalid("escalated_on", "%s is in the future", on)
	case u.Answered:
		return nil, refuse(ReasonAnswered, u.subject(), "", "the urging was answered on %s", u.RespondedOn)
	case u.Escalated:
		return nil, refuse(ReasonEscalated, u.subject(), "", "the urging was escalated to %s on %s", u.Superior, u.EscalatedOn)
	case !on.After(u.RespondBy):
		return nil, refuse(ReasonAnswerPeriodRunning, u.subject(), "escalated_on", "the answer is due by %s: escalation comes after it (Luật TC Đ38)", u.RespondBy)
	case superior == "":
		return nil, refuse(ReasonNoSuperior, u.subject(), "superior_unit_code", "the registry names no superior of unit %s", u.Unit)
	case superior == u.Unit:
		return nil, refuse(ReasonNoSuperior, u.subject(), "superior_unit_code", "unit %s is not its own superior", u.Unit)
	}
	rule := p.EscalationRule(u.Kind)
	due, lines, err := DueOf(eng, rule, on)
	if err != nil {
		return nil, apperr.Internal(ReasonCorrupt, "escalation report period").WithCause(err)
	}
	return &supervisionv1.UrgingEscalated{
		UrgingId: u.ID, CaseId: u.CaseID, UnitCode: u.Unit, SuperiorUnitCode: superior, EscalatedOn: calendarpb.ToProto(on),
		ReportDueOn: calendarpb.ToProto(due), RuleId: rule, Derivation: lines, Automatic: automatic, PetitionKind: u.Kind,
		IssuingUnitCode: u.IssuingUnit,
	}, nil
}

// DecideAnswer decides recording the answer to an urging: by the urged unit, or after an
// escalation by the superior, whose report is measured against its own date.
func (u *Urging) DecideAnswer(unit string, on calendar.Date, reference string, today calendar.Date) (*supervisionv1.UrgingAnswered, error) {
	switch {
	case on.After(today):
		return nil, apperr.Invalid("responded_on", "%s is in the future", on)
	case u.Answered:
		return nil, refuse(ReasonAnswered, u.subject(), "", "the urging was answered on %s", u.RespondedOn)
	case unit != u.Unit && !(u.Escalated && unit == u.Superior):
		return nil, refuse(ReasonNotResponder, u.subject(), "responding_unit_code", "the urging is addressed to %s%s", u.Unit, superiorNote(u))
	case on.Before(u.IssuedOn):
		return nil, refuse(ReasonDateTooEarly, u.subject(), "responded_on", "the answer is dated %s, before the letter of %s", on, u.IssuedOn)
	}
	due := u.RespondBy
	if u.Escalated && unit == u.Superior {
		due = u.ReportDue
	}
	return &supervisionv1.UrgingAnswered{
		UrgingId: u.ID, CaseId: u.CaseID, RespondingUnitCode: unit, RespondedOn: calendarpb.ToProto(on), Reference: reference,
		OnTime: !on.After(due), PetitionKind: u.Kind, IssuingUnitCode: u.IssuingUnit,
	}, nil
}

func superiorNote(u *Urging) string {
	if u.Escalated {
		return " and, since its escalation, to " + u.Superior
	}
	return ""
}

// Status is where the urging stands.
func (u *Urging) Status() supervisionv1.UrgingStatus {
	switch {
	case u.Answered:
		return supervisionv1.UrgingStatus_URGING_STATUS_ANSWERED
	case u.Escalated:
		return supervisionv1.UrgingStatus_URGING_STATUS_ESCALATED
	}
	return supervisionv1.UrgingStatus_URGING_STATUS_AWAITING_ANSWER
}

// Proto is the urging as the API shows it.
func (u *Urging) Proto() *supervisionv1.Urging {
	return &supervisionv1.Urging{
		UrgingId: u.ID, CaseId: u.CaseID, UnitCode: u.Unit, IssuingUnitCode: u.IssuingUnit, IssuedOn: calendarpb.ToProto(u.IssuedOn),
		LetterNumber: u.LetterNumber, PetitionKind: u.Kind, Clock: u.Clock, RespondBy: calendarpb.ToProto(u.RespondBy), Status: u.Status(),
		SuperiorUnitCode: u.Superior, EscalatedOn: calendarpb.ToProto(u.EscalatedOn), ReportDueOn: calendarpb.ToProto(u.ReportDue),
		RespondedOn: calendarpb.ToProto(u.RespondedOn), RespondingUnitCode: u.RespondingUnit, OnTime: u.OnTime, Derivation: u.Derivation,
		EscalatedAutomatically: u.Automatic, OutsideCompetence: u.Outside,
	}
}
