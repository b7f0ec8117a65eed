package unitreg

import (
	"fmt"

	"github.com/civicase/civicase/pkg/apperr"
)

// Reasons of the registry's errors, sent to clients in google.rpc.ErrorInfo. Field violations name
// fields of the event message (e.g. "parent_code"); a transport adapter prefixes them with the
// request field that carries the event.
const (
	// ReasonUnitUnknown: the unit a command addresses is not registered (NotFound).
	ReasonUnitUnknown = "UNIT_UNKNOWN"
	// ReasonUnitExists: a unit with that code is already registered (AlreadyExists).
	ReasonUnitExists = "UNIT_ALREADY_REGISTERED"
	// ReasonUnitEnded: the unit has been merged into a successor and takes no more changes.
	ReasonUnitEnded = "UNIT_ENDED"
	// ReasonBeforeUnit: the change is dated before the unit exists.
	ReasonBeforeUnit = "UNIT_DATE_BEFORE_REGISTRATION"
	// ReasonOutOfOrder: the change is dated on or before a change already recorded.
	ReasonOutOfOrder = "UNIT_CHANGE_OUT_OF_ORDER"
	// ReasonParentUnknown: the parent is not registered.
	ReasonParentUnknown = "UNIT_PARENT_UNKNOWN"
	// ReasonParentNotInForce: the parent does not exist yet on the date, or has ended.
	ReasonParentNotInForce = "UNIT_PARENT_NOT_IN_FORCE"
	// ReasonParentUnchanged: the unit is already under that parent on the date.
	ReasonParentUnchanged = "UNIT_PARENT_UNCHANGED"
	// ReasonCycle: the move would put the unit under itself.
	ReasonCycle = "UNIT_HIERARCHY_CYCLE"
	// ReasonSuccessorUnknown: the successor is not registered.
	ReasonSuccessorUnknown = "UNIT_SUCCESSOR_UNKNOWN"
	// ReasonSuccessorNotInForce: the successor does not exist yet on the date, or has ended.
	ReasonSuccessorNotInForce = "UNIT_SUCCESSOR_NOT_IN_FORCE"
	// ReasonChildrenInForce: units would still be under the unit after it ends.
	ReasonChildrenInForce = "UNIT_HAS_CHILDREN_IN_FORCE"
	// ReasonReceivesMergerLater: another unit merges into this one on or after the date it would end.
	ReasonReceivesMergerLater = "UNIT_RECEIVES_MERGER_LATER"
	// ReasonNoCompetentUnit: no unit's rules cover the petition (NotFound).
	ReasonNoCompetentUnit = "NO_COMPETENT_UNIT"
	// ReasonEventUnknown: Apply was given a message that is not a unit event (Internal).
	ReasonEventUnknown = "UNIT_EVENT_UNKNOWN"
)

// Subject names a unit in errors ("unit/NT.PRTC.KD").
func Subject(code string) string { return "unit/" + code }

// precondition is a failed precondition about one field of the event.
func precondition(reason, code, field, format string, args ...any) *apperr.Error {
	msg := fmt.Sprintf(format, args...)
	return apperr.Precondition(reason, "%s", msg).WithSubject(Subject(code)).WithViolations(apperr.Field(field, "%s", msg))
}
