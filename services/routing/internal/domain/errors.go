package domain

import (
	"fmt"

	"github.com/civicase/civicase/pkg/apperr"
)

// Reasons of the routing service's errors, sent to clients in google.rpc.ErrorInfo (and as the
// violation type of google.rpc.PreconditionFailure). Clients may branch on them.
const (
	// ReasonPetitionNotFound: no petition with that id is registered (NotFound).
	ReasonPetitionNotFound = "PETITION_NOT_FOUND"
	// ReasonCaseNotFound: no case with that id (NotFound).
	ReasonCaseNotFound = "CASE_NOT_FOUND"
	// ReasonDuplicate: the petition repeats an earlier one and opens no case of its own.
	ReasonDuplicate = "DUPLICATE_PETITION"
	// ReasonAnonymousDenunciation: an anonymous denunciation is not processed as a denunciation (Luật TC Đ25).
	ReasonAnonymousDenunciation = "ANONYMOUS_DENUNCIATION"
	// ReasonNotAnonymous: filing away as anonymous a petition whose sender is known.
	ReasonNotAnonymous = "PETITION_NOT_ANONYMOUS"
	// ReasonGuidedOnce: a complaint outside competence is guided only once.
	ReasonGuidedOnce = "GUIDED_ONCE"
	// ReasonForwardedOnce: a petition is forwarded only once (Luật TC Đ24.3).
	ReasonForwardedOnce = "FORWARDED_ONCE"
	// ReasonNotCompetent: the processing unit is not the competent one.
	ReasonNotCompetent = "NOT_COMPETENT"
	// ReasonNoCompetentUnit: the rules name no competent unit and the command named none.
	ReasonNoCompetentUnit = "NO_COMPETENT_UNIT"
	// ReasonSameUnit: guiding or forwarding a petition to the unit processing it.
	ReasonSameUnit = "ROUTED_TO_ITSELF"
	// ReasonUnitUnknown: the unit is not in the registry on the date.
	ReasonUnitUnknown = "UNIT_UNKNOWN"
	// ReasonUnitEnded: the unit had been merged into a successor by the date.
	ReasonUnitEnded = "UNIT_ENDED"
	// ReasonKindNotClassified: the action needs a single kind (a multi-content petition is split first).
	ReasonKindNotClassified = "KIND_NOT_CLASSIFIED"
	// ReasonWrongKind: the action or step does not exist for the case's kind.
	ReasonWrongKind = "NOT_FOR_THIS_KIND"
	// ReasonAlreadyProcessed: the petition was already processed.
	ReasonAlreadyProcessed = "CASE_ALREADY_PROCESSED"
	// ReasonCaseClosed: the case is closed (guided, returned, filed away, withdrawn, terminated).
	ReasonCaseClosed = "CASE_CLOSED"
	// ReasonNotAccepted: the step needs the case accepted for resolution first.
	ReasonNotAccepted = "CASE_NOT_ACCEPTED"
	// ReasonSuspended: the resolution is suspended; resume it first.
	ReasonSuspended = "CASE_SUSPENDED"
	// ReasonNotSuspended: resuming a resolution that is not suspended.
	ReasonNotSuspended = "CASE_NOT_SUSPENDED"
	// ReasonResolved: the case has been decided or concluded.
	ReasonResolved = "CASE_RESOLVED"
	// ReasonOutOfOrder: a step whose prerequisite step has not been recorded.
	ReasonOutOfOrder = "STEP_OUT_OF_ORDER"
	// ReasonRepeated: a step that happens once was already recorded.
	ReasonRepeated = "STEP_ALREADY_RECORDED"
	// ReasonExtensionsExhausted: a denunciation is extended at most twice (Luật TC Đ30).
	ReasonExtensionsExhausted = "EXTENSIONS_EXHAUSTED"
	// ReasonNotExtendable: the period cannot be extended (no extension in the law, or it already ran out).
	ReasonNotExtendable = "NOT_EXTENDABLE"
	// ReasonNotSuspendable: the period's law has no suspension.
	ReasonNotSuspendable = "NOT_SUSPENDABLE"
	// ReasonDateBeforePrevious: the step is dated before the case's previous step.
	ReasonDateBeforePrevious = "DATE_BEFORE_PREVIOUS_STEP"
	// ReasonRepeatOf: the earlier case of a repeat denunciation is not a concluded denunciation.
	ReasonRepeatOf = "REPEAT_OF_INVALID"
	// ReasonNotForwarded: a reply is recorded only for a petition that was forwarded.
	ReasonNotForwarded = "NOT_FORWARDED"
	// ReasonCorrupt: the case's history cannot be replayed (Internal).
	ReasonCorrupt = "CASE_HISTORY_CORRUPT"
)

// Subject names a case in errors ("case/<id>").
func Subject(caseID string) string { return "case/" + caseID }

// refuse is a failed precondition about a case, naming the field of the request it concerns when
// there is one, so that a client can show it next to the field.
func refuse(reason, caseID, field, format string, args ...any) *apperr.Error {
	msg := fmt.Sprintf(format, args...)
	e := apperr.Precondition(reason, "%s", msg).WithSubject(Subject(caseID))
	if field != "" {
		e = e.WithViolations(apperr.Field(field, "%s", msg))
	}
	return e
}
