package domain

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
)

// Describe is an event's business date and a one-line summary for a case's timeline. Summaries
// carry codes, dates and enumerations only: free text (reasons as written) may name people, so it
// stays in the event and out of the summary.
func Describe(ev proto.Message) (calendar.Date, string) {
	d := calendarpb.FromProto
	switch e := ev.(type) {
	case *routingv1.PetitionClassified:
		comp := "outside its competence"
		if e.GetWithinCompetence() {
			comp = "within its competence"
		}
		s := fmt.Sprintf("Classified by %s as %s, %s", e.GetUnitCode(), kindName(e.GetKind()), comp)
		if e.GetCompetentUnitCode() != "" {
			s += fmt.Sprintf("; competent: %s (%s)", e.GetCompetentUnitCode(), e.GetCompetenceBasis())
		}
		if !e.GetEligible() {
			s += "; not eligible"
		}
		return d(e.GetProcessedOn()), s
	case *routingv1.CaseAccepted:
		s := fmt.Sprintf("Accepted for resolution by %s", e.GetUnitCode())
		if e.GetComplaintInstance() > 0 {
			s += fmt.Sprintf(" (instance %d)", e.GetComplaintInstance())
		}
		var flags []string
		if e.GetComplex() {
			flags = append(flags, "complex")
		}
		if e.GetRemoteArea() {
			flags = append(flags, "remote area")
		}
		if e.GetRepeatOf() != "" {
			flags = append(flags, "repeat denunciation of case "+e.GetRepeatOf())
		}
		if len(flags) > 0 {
			s += "; " + strings.Join(flags, ", ")
		}
		return d(e.GetAcceptedOn()), s
	case *routingv1.PetitionGuided:
		return d(e.GetGuidedOn()), "Citizen guided to " + e.GetToUnitCode()
	case *routingv1.PetitionForwarded:
		return d(e.GetForwardedOn()), fmt.Sprintf("Forwarded from %s to %s", e.GetFromUnitCode(), e.GetToUnitCode())
	case *routingv1.PetitionReturned:
		return d(e.GetReturnedOn()), "Returned to " + e.GetReturnedTo()
	case *routingv1.PetitionFiledAway:
		return d(e.GetFiledOn()), "Filed away: " + enumName(e.GetReason().String(), "FILING_REASON_")
	case *routingv1.ReplyReceived:
		return d(e.GetReceivedOn()), "Reply received from the body it was forwarded to"
	case *routingv1.CaseAssigned:
		s := "Assigned to " + e.GetAssigneeUnitCode()
		if e.GetHandlerSubject() != "" {
			s += ", handler " + e.GetHandlerSubject()
		}
		return d(e.GetAssignedOn()), s
	case *routingv1.VerificationStarted:
		return d(e.GetStartedOn()), "Verification started"
	case *routingv1.DialogueHeld:
		return d(e.GetHeldOn()), "Dialogue held with the complainant"
	case *routingv1.ComplaintDecisionIssued:
		return d(e.GetDecidedOn()), fmt.Sprintf("Decision %s issued (instance %d): %s, %s", orNone(e.GetDecisionNumber()),
			e.GetComplaintInstance(), enumName(e.GetFinding().String(), "COMPLAINT_FINDING_"), timeliness(e.GetOnTime()))
	case *routingv1.DecisionSent:
		return d(e.GetSentOn()), "Decision sent"
	case *routingv1.DecisionExecuted:
		return d(e.GetExecutedOn()), "Decision carried out"
	case *routingv1.ResolutionExtended:
		return d(e.GetExtendedOn()), fmt.Sprintf("Resolution period extended by %d days (extension %d)", e.GetDays(), e.GetExtensionNumber())
	case *routingv1.CaseSuspended:
		return d(e.GetSuspendedOn()), "Resolution suspended"
	case *routingv1.CaseResumed:
		return d(e.GetResumedOn()), "Resolution resumed"
	case *routingv1.DenunciationConcluded:
		s := fmt.Sprintf("Denunciation concluded: %s, %s", enumName(e.GetFinding().String(), "DENUNCIATION_FINDING_"), timeliness(e.GetOnTime()))
		if e.GetRepeat() {
			s += " (repeat denunciation)"
		}
		return d(e.GetConcludedOn()), s
	case *routingv1.ConclusionActedOn:
		return d(e.GetActedOn()), "Conclusion acted on"
	case *routingv1.ConclusionPublished:
		return d(e.GetPublishedOn()), "Conclusion published"
	case *routingv1.PetitionWithdrawn:
		if e.GetResolutionContinues() {
			return d(e.GetWithdrawnOn()), "Withdrawn by the citizen; resolution continues (Luật TC Đ33)"
		}
		return d(e.GetWithdrawnOn()), "Withdrawn by the citizen"
	case *routingv1.CaseTerminated:
		return d(e.GetTerminatedOn()), "Resolution terminated"
	case *commonv1.LegalClockStarted:
		k := e.GetClock()
		return d(k.GetStartedOn()), fmt.Sprintf("Clock %s started (%s, %s): due %s", k.GetClock(), k.GetRuleId(), k.GetBasis(), dateText(k.GetDueOn()))
	case *commonv1.LegalClockExtended:
		k := e.GetClock()
		return calendar.Date{}, fmt.Sprintf("Clock %s extended by %d days: due %s", k.GetClock(), e.GetDays(), dateText(k.GetDueOn()))
	case *commonv1.LegalClockPaused:
		return d(e.GetPausedOn()), fmt.Sprintf("Clock %s paused", e.GetClock())
	case *commonv1.LegalClockResumed:
		k := e.GetClock()
		return d(e.GetResumedOn()), fmt.Sprintf("Clock %s resumed: due %s", k.GetClock(), dateText(k.GetDueOn()))
	case *commonv1.LegalClockStopped:
		return d(e.GetStoppedOn()), fmt.Sprintf("Clock %s stopped %s (due %s)", e.GetClock(), timeliness(e.GetOnTime()), dateText(e.GetDueOn()))
	}
	return calendar.Date{}, string(ev.ProtoReflect().Descriptor().Name())
}

func kindName(k commonv1.PetitionKind) string {
	return strings.ReplaceAll(strings.ToLower(enumName(k.String(), "PETITION_KIND_")), "_", " ")
}

func enumName(s, prefix string) string { return strings.TrimPrefix(s, prefix) }

func timeliness(onTime bool) string {
	if onTime {
		return "on time"
	}
	return "late"
}

func orNone(s string) string {
	if s == "" {
		return "(no number)"
	}
	return s
}

func dateText(c *commonv1.CivilDate) string {
	if c == nil {
		return "— (paused)"
	}
	return calendarpb.FromProto(c).String()
}
