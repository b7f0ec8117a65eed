package domain

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/deadline"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
)

// PetitionState is a petition as its own events tell it: the write model the petition's commands
// decide on, and what GetPetition shows.
type PetitionState struct {
	Registered *intakev1.PetitionRegistered
	Repeats    []*intakev1.RepeatPetitionReceived
	// Processing is the processing clock as started, nil for a repeat (it opens no case).
	Processing *commonv1.LegalClock
}

// Apply folds one event of the petition's history in; events of other kinds (later clocks added
// by other services' vocabulary) are ignored here.
func (s *PetitionState) Apply(ev proto.Message) {
	switch e := ev.(type) {
	case *intakev1.PetitionRegistered:
		s.Registered = e
	case *intakev1.RepeatPetitionReceived:
		s.Repeats = append(s.Repeats, e)
	case *commonv1.LegalClockStarted:
		if e.GetClock().GetClock() == ClockProcessing {
			s.Processing = e.GetClock()
		}
	}
}

// Exists tells whether the petition was registered.
func (s *PetitionState) Exists() bool { return s.Registered != nil }

// TimesReceived is how many times the petition's matter has been received so far: the original
// and every repeat linked to it.
func (s *PetitionState) TimesReceived() int32 {
	return s.Registered.GetRepeatNumber() + int32(len(s.Repeats))
}

// ReceiveRepeat records on an original petition that the same person sent the same matter again
// (đơn trùng, DOMAIN.md "Duplicate"). The number is decided here, on the original's aggregate, so
// concurrent repeats of one original get distinct numbers. It returns nil if that repeat is
// already recorded.
func (s *PetitionState) ReceiveRepeat(repeatID string, receivedOn calendar.Date) (*intakev1.RepeatPetitionReceived, error) {
	if !s.Exists() {
		return nil, fmt.Errorf("domain: petition to repeat is not registered")
	}
	for _, r := range s.Repeats {
		if r.GetRepeatPetitionId() == repeatID {
			return nil, nil
		}
	}
	return &intakev1.RepeatPetitionReceived{
		PetitionId:       s.Registered.GetPetitionId(),
		RepeatPetitionId: repeatID,
		ReceivedOn:       dateProto(receivedOn),
		RepeatNumber:     s.TimesReceived() + 1,
	}, nil
}

// ProcessingClock starts the petition's processing clock on the day it was received: 10 working
// days (rule petition.process, TT 05/2021/TT-TTCP, *verify*), counted by the deadline engine, the
// derivation kept with the due date.
func ProcessingClock(e *deadline.Engine, petitionID, unitCode string, receivedOn calendar.Date) (*commonv1.LegalClockStarted, error) {
	res, err := e.Due(deadline.Request{Rule: RuleProcessing, Base: receivedOn})
	if err != nil {
		return nil, err
	}
	lines := make([]string, len(res.Derivation.Steps))
	for i, st := range res.Derivation.Steps {
		lines[i] = st.Text
	}
	return &commonv1.LegalClockStarted{Clock: &commonv1.LegalClock{
		CaseId:     petitionID,
		Clock:      ClockProcessing,
		RuleId:     res.Rule.ID,
		Basis:      res.Rule.Citation,
		StartedOn:  dateProto(receivedOn),
		DueOn:      dateProto(res.Due),
		Derivation: lines,
		UnitCode:   unitCode,
	}}, nil
}
