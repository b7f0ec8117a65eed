package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
)

// Reasons of the session's refusals, sent to clients in google.rpc.ErrorInfo.
const (
	// ReasonSessionNotFound: no session with that id was opened.
	ReasonSessionNotFound = "SESSION_NOT_FOUND"
	// ReasonSessionClosed: the session was closed; it takes no more visits.
	ReasonSessionClosed = "SESSION_CLOSED"
	// ReasonPetitionNotFound: no petition with that id was registered.
	ReasonPetitionNotFound = "PETITION_NOT_FOUND"
)

// Session is a reception session as opened.
type Session struct {
	UnitCode     string
	Kind         intakev1.SessionKind
	HeldOn       calendar.Date
	HostPosition string
}

// Violations checks what the request's field rules cannot: the day against today.
func (s Session) Violations(today calendar.Date) []apperr.Violation {
	var vs violations
	if s.HeldOn.After(today) {
		vs.add("held_on", "is after today (%s)", today)
	}
	vs.text("host_position", s.HostPosition, 200)
	return vs
}

// Visit is one citizen visit as the officer records it.
type Visit struct {
	PeopleCount         int32
	RepresentativeCount int32
	Kind                commonv1.PetitionKind
	Field               commonv1.Field
	// Visitor is sealed, never put in an event.
	Visitor *personv1.PersonalData
	// Content is sealed with the visitor's key.
	Content *intakev1.SealedContent
	// StatedRepeat is the officer's own judgement that the matter was received before.
	StatedRepeat bool
}

// Crowd tells whether the visit is a crowd delegation (Luật TCD Đ29).
func (v Visit) Crowd() bool { return v.PeopleCount >= CrowdSize }

// MaxRepresentatives is how many representatives a crowd of n people appoints: 5–10 people
// appoint 1–2, more than 10 up to 5 (Luật TCD Đ29); a smaller group needs none but its members.
func MaxRepresentatives(n int32) int32 {
	switch {
	case n > 10:
		return 5
	case n >= CrowdSize:
		return 2
	}
	return n
}

// Violations checks the visit's own fields.
func (v Visit) Violations() []apperr.Violation {
	var vs violations
	if v.RepresentativeCount > MaxRepresentatives(v.PeopleCount) {
		vs.add("representative_count", "a delegation of %d people appoints at most %d representatives (Luật TCD Đ29)", v.PeopleCount, MaxRepresentatives(v.PeopleCount))
	}
	if v.Kind == commonv1.PetitionKind_PETITION_KIND_MULTI_CONTENT {
		vs.add("kind", "a visit is recorded per matter: record one visit for each content")
	}
	if v.Field == commonv1.Field_FIELD_CORRUPTION && v.Kind != commonv1.PetitionKind_PETITION_KIND_DENUNCIATION {
		vs.add("field", "corruption is a field of denunciations only")
	}
	vs = append(vs, PersonalDataViolations("visitor", v.Visitor)...)
	vs = append(vs, ContentViolations("content", v.Content, false)...)
	return vs
}

// SessionState is a session as its own events tell it.
type SessionState struct {
	Opened *intakev1.ReceptionSessionOpened
	Visits []*intakev1.VisitRecorded
	Closed *intakev1.ReceptionSessionClosed
}

// Apply folds one event of the session's history in.
func (s *SessionState) Apply(ev proto.Message) {
	switch e := ev.(type) {
	case *intakev1.ReceptionSessionOpened:
		s.Opened = e
	case *intakev1.VisitRecorded:
		s.Visits = append(s.Visits, e)
	case *intakev1.ReceptionSessionClosed:
		s.Closed = e
	}
}

// Open records the session being held.
func (s Session) Open(id, hostSubject string) *intakev1.ReceptionSessionOpened {
	return &intakev1.ReceptionSessionOpened{
		SessionId:    id,
		UnitCode:     s.UnitCode,
		Kind:         s.Kind,
		HeldOn:       dateProto(s.HeldOn),
		HostPosition: s.HostPosition,
		HostSubject:  hostSubject,
	}
}

// VisitFacts is what the application layer found out about a visit before recording it.
type VisitFacts struct {
	VisitID string
	Who     Identity
	// EarlierCase is set when the visitor was received before on the same matter: the original
	// petition's id, or empty when the earlier reception opened no case.
	EarlierCase    string
	ReceivedBefore bool
}

// open refuses a command on a session that was never opened or is closed.
func (s *SessionState) open(id string) error {
	if s.Opened == nil {
		return apperr.NotFound(ReasonSessionNotFound, "no reception session %s", id).WithSubject(AggregateSession + "/" + id)
	}
	if s.Closed != nil {
		return apperr.Precondition(ReasonSessionClosed, "reception session %s is closed: it takes no more visits", id).WithSubject(AggregateSession + "/" + id)
	}
	return nil
}

// RecordVisit records a visit in an open session. It counts as a repeat (01/TCD "nhiều lần") when
// the officer says so or when the visitor was received before on the same matter.
func (s *SessionState) RecordVisit(id string, v Visit, f VisitFacts) (*intakev1.VisitRecorded, error) {
	if err := s.open(id); err != nil {
		return nil, err
	}
	return &intakev1.VisitRecorded{
		SessionId:           id,
		VisitId:             f.VisitID,
		UnitCode:            s.Opened.GetUnitCode(),
		HeldOn:              s.Opened.GetHeldOn(),
		PeopleCount:         v.PeopleCount,
		Crowd:               v.Crowd(),
		RepresentativeCount: v.RepresentativeCount,
		Kind:                v.Kind,
		Field:               v.Field,
		Repeat:              v.StatedRepeat || f.ReceivedBefore,
		CaseId:              f.EarlierCase,
		VisitorRef:          f.Who.SenderRef,
		IdNumberIndex:       f.Who.IDNumberIndex,
		MatterIndex:         f.Who.MatterIndex,
		SessionKind:         s.Opened.GetKind(),
	}, nil
}

// Close ends an open session.
func (s *SessionState) Close(id string) (*intakev1.ReceptionSessionClosed, error) {
	if err := s.open(id); err != nil {
		return nil, err
	}
	return &intakev1.ReceptionSessionClosed{SessionId: id, UnitCode: s.Opened.GetUnitCode(), VisitCount: int32(len(s.Visits))}, nil
}
