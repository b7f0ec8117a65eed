package domain

import (
	"fmt"

	"github.com/civicase/civicase/pkg/apperr"
)

// Reasons of the supervision service's errors, sent to clients in google.rpc.ErrorInfo (and as the
// violation type of google.rpc.PreconditionFailure). Clients may branch on them.
const (
	// ReasonCaseNotFound: no petition with that id is registered (NotFound).
	ReasonCaseNotFound = "CASE_NOT_FOUND"
	// ReasonUrgingNotFound: no urging with that id (NotFound).
	ReasonUrgingNotFound = "URGING_NOT_FOUND"
	// ReasonProgrammeNotFound: no programme with that id (NotFound).
	ReasonProgrammeNotFound = "PROGRAMME_NOT_FOUND"
	// ReasonHotSpotNotFound: no hot spot with that id (NotFound).
	ReasonHotSpotNotFound = "HOT_SPOT_NOT_FOUND"
	// ReasonRecommendationNotFound: the programme has no recommendation with that id (NotFound).
	ReasonRecommendationNotFound = "RECOMMENDATION_NOT_FOUND"
	// ReasonDateInFuture: a fact dated after today.
	ReasonDateInFuture = "DATE_IN_FUTURE"
	// ReasonDateTooEarly: a fact dated before the fact it follows.
	ReasonDateTooEarly = "DATE_BEFORE_PREVIOUS_FACT"
	// ReasonUnitUnknown: the unit is not in the registry on the date.
	ReasonUnitUnknown = "UNIT_UNKNOWN"
	// ReasonNotLate: an urging names no unit and the case has no overdue clock to take it from.
	ReasonNotLate = "CASE_NOT_LATE"
	// ReasonClockNotOpen: the clock named is not open on the case.
	ReasonClockNotOpen = "CLOCK_NOT_OPEN"
	// ReasonSameUnit: a unit urging itself.
	ReasonSameUnit = "URGING_OWN_UNIT"
	// ReasonAnswered: the urging or recommendation was already answered.
	ReasonAnswered = "ALREADY_ANSWERED"
	// ReasonEscalated: the urging was already escalated.
	ReasonEscalated = "ALREADY_ESCALATED"
	// ReasonAnswerPeriodRunning: escalating before the answer period ran out (Luật TC Đ38).
	ReasonAnswerPeriodRunning = "ANSWER_PERIOD_RUNNING"
	// ReasonNoSuperior: the registry names no superior of the urged unit.
	ReasonNoSuperior = "NO_SUPERIOR_UNIT"
	// ReasonNotResponder: the unit answering is neither the urged unit nor its superior after escalation.
	ReasonNotResponder = "NOT_THE_ADDRESSEE"
	// ReasonProgrammeClosed: the programme is closed.
	ReasonProgrammeClosed = "PROGRAMME_CLOSED"
	// ReasonOutOfScope: the unit is not among the programme's supervised units.
	ReasonOutOfScope = "UNIT_NOT_IN_PROGRAMME"
	// ReasonFindingUnknown: the recommendation refers to a finding the programme does not have.
	ReasonFindingUnknown = "FINDING_UNKNOWN"
	// ReasonDeputiesRequired: a deputies' programme names no deputy.
	ReasonDeputiesRequired = "DEPUTIES_REQUIRED"
	// ReasonNotDeputyForwarded: the petition was not forwarded by a People's Council deputy.
	ReasonNotDeputyForwarded = "NOT_FORWARDED_BY_DEPUTY"
	// ReasonResultAlreadyReceived: the deputy's result was already recorded.
	ReasonResultAlreadyReceived = "RESULT_ALREADY_RECEIVED"
	// ReasonNoResult: informing the citizen before the result was received.
	ReasonNoResult = "RESULT_NOT_RECEIVED"
	// ReasonInformed: the citizen was already informed.
	ReasonInformed = "CITIZEN_ALREADY_INFORMED"
	// ReasonHotSpotClosed: the hot spot is closed.
	ReasonHotSpotClosed = "HOT_SPOT_CLOSED"
	// ReasonCaseNotLinked: unlinking a case the hot spot does not hold.
	ReasonCaseNotLinked = "CASE_NOT_LINKED"
	// ReasonCorrupt: a history cannot be replayed (Internal).
	ReasonCorrupt = "HISTORY_CORRUPT"
)

// refuse is a failed precondition about a subject ("urging/<id>"), naming the request field it
// concerns when there is one, so that a client can show it next to the field.
func refuse(reason, subject, field, format string, args ...any) *apperr.Error {
	msg := fmt.Sprintf(format, args...)
	e := apperr.Precondition(reason, "%s", msg).WithSubject(subject)
	if field != "" {
		e = e.WithViolations(apperr.Field(field, "%s", msg))
	}
	return e
}

// Subject names an aggregate in errors ("urging/<id>").
func Subject(aggregateType, id string) string { return aggregateType + "/" + id }
