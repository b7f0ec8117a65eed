package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
)

// AggregatePetition is the aggregate type intake keeps petitions in; routing only reads it.
const AggregatePetition = "petition"

// Petition is what routing needs to know of a registered petition, as intake recorded it. Personal
// data stays sealed in intake's events: routing never needs it.
type Petition struct {
	ID            string
	ReceiptNumber string
	// Unit is the receiving unit, which processes the petition first.
	Unit       string
	Kind       commonv1.PetitionKind
	Field      commonv1.Field
	ReceivedOn calendar.Date
	// Anonymous: no name or address, or an identity that cannot be established (Luật TC Đ25).
	Anonymous bool
	// DuplicateOf is the original petition when this one repeats it: no case of its own.
	DuplicateOf string
	// RespondentUnit is the unit whose act is complained about or whose staff is denounced.
	RespondentUnit string
	// ComplaintInstance is the instance the complainant asks for (1 or 2; 0 when not a complaint).
	ComplaintInstance int32
	// ForwardedBy is the forwarding unit or deputy, for a petition forwarded to the receiving unit.
	ForwardedBy string
	// Repeats counts later petitions from the same person on the same matter (01/XLD "nhiều lần").
	Repeats int32
	// ProcessingClock is the processing clock intake started with the registration, if it did.
	ProcessingClock *commonv1.LegalClock
}

// PetitionFromEvents reduces the petition aggregate's events; ok is false when the petition was
// never registered.
func PetitionFromEvents(id string, events []proto.Message) (p Petition, ok bool) {
	p.ID = id
	for _, ev := range events {
		switch e := ev.(type) {
		case *intakev1.PetitionRegistered:
			ok = true
			p.ReceiptNumber = e.GetReceiptNumber()
			p.Unit = e.GetUnitCode()
			p.Kind = e.GetKind()
			p.Field = e.GetField()
			p.ReceivedOn = calendarpb.FromProto(e.GetReceivedOn())
			p.Anonymous = e.GetAnonymous()
			p.DuplicateOf = e.GetDuplicateOf()
			p.RespondentUnit = e.GetRespondentUnitCode()
			p.ComplaintInstance = e.GetComplaintInstance()
			p.ForwardedBy = e.GetForwardedBy()
			if e.GetRepeatNumber() > 1 {
				p.Repeats = e.GetRepeatNumber() - 1
			}
		case *intakev1.RepeatPetitionReceived:
			p.Repeats = max(p.Repeats, e.GetRepeatNumber()-1)
		case *commonv1.LegalClockStarted:
			if e.GetClock().GetClock() == ClockProcessing {
				p.ProcessingClock = e.GetClock()
			}
		}
	}
	return p, ok
}
