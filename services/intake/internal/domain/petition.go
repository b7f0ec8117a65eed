package domain

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/seal"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
)

// Petition is a petition as handed in, before registration: what the officer typed from the paper.
type Petition struct {
	UnitCode           string
	ReceivedOn         calendar.Date
	WrittenOn          calendar.Date // zero when the petition bears no date
	Source             commonv1.Source
	ForwardedBy        string
	SenderType         commonv1.SenderType
	SignatoryCount     int32
	Contents           []*intakev1.PetitionContent
	RespondentUnitCode string
	VisitID            string
	AttachmentKinds    []string
	DecisionKnownOn    calendar.Date // complaints (Luật KN Đ9); zero when not stated
	ComplaintInstance  int32
	// Sender is the sender's personal data; nil or empty for an anonymous petition. It is sealed,
	// never put in an event.
	Sender *personv1.PersonalData
	// Content is the free text; sealed with the sender's key.
	Content *intakev1.SealedContent
}

// forwardedSources are the sources through which a petition comes forwarded by someone, whose
// reference must then be recorded (the forwarder is told of the outcome, Luật TCD Đ28.2).
var forwardedSources = []commonv1.Source{
	commonv1.Source_SOURCE_NATIONAL_ASSEMBLY_DEPUTY,
	commonv1.Source_SOURCE_COUNCIL_DEPUTY,
	commonv1.Source_SOURCE_FATHERLAND_FRONT,
	commonv1.Source_SOURCE_PRESS,
	commonv1.Source_SOURCE_OTHER_BODY,
}

// Violations checks what the request's field rules cannot: dates against each other and against
// today (the Vietnamese civil date of the injected clock), contents, text lengths, the complaint
// instance. Unit existence needs the registry and is checked by the application layer.
func (p Petition) Violations(today calendar.Date) []apperr.Violation {
	var vs violations
	if p.ReceivedOn.After(today) {
		vs.add("received_on", "is after today (%s)", today)
	}
	if !p.WrittenOn.IsZero() && p.WrittenOn.After(p.ReceivedOn) {
		vs.add("written_on", "is after the day the petition was received")
	}
	if !p.DecisionKnownOn.IsZero() && p.DecisionKnownOn.After(p.ReceivedOn) {
		vs.add("decision_known_on", "is after the day the petition was received")
	}
	if slices.Contains(forwardedSources, p.Source) && p.ForwardedBy == "" {
		vs.add("forwarded_by", "is required for a forwarded petition: the forwarding unit or deputy")
	}
	complaint := false
	for i, c := range p.Contents {
		f := indexed("contents", i)
		switch c.GetKind() {
		case commonv1.PetitionKind_PETITION_KIND_UNSPECIFIED:
			vs.add(f+".kind", "is required")
		case commonv1.PetitionKind_PETITION_KIND_MULTI_CONTENT:
			vs.add(f+".kind", "must be the kind of this one content; a petition with several contents lists each")
		case commonv1.PetitionKind_PETITION_KIND_COMPLAINT:
			complaint = true
		}
		if _, known := commonv1.PetitionKind_name[int32(c.GetKind())]; !known {
			vs.add(f+".kind", "is not a known kind")
		}
		if _, known := commonv1.Field_name[int32(c.GetField())]; !known {
			vs.add(f+".field", "is not a known field")
		}
		// Corruption is a field of denunciations only (report form 03/XLD).
		if c.GetField() == commonv1.Field_FIELD_CORRUPTION && c.GetKind() != commonv1.PetitionKind_PETITION_KIND_DENUNCIATION {
			vs.add(f+".field", "corruption is a field of denunciations only")
		}
	}
	// Complaints have two instances, then court (Luật KN Đ7): the officer must say which is asked for.
	switch {
	case complaint && p.ComplaintInstance != 1 && p.ComplaintInstance != 2:
		vs.add("complaint_instance", "a complaint must say whether it asks for the first (1) or second (2) instance (Luật KN Đ7)")
	case !complaint && p.ComplaintInstance != 0:
		vs.add("complaint_instance", "only a complaint has an instance")
	}
	vs = append(vs, PersonalDataViolations("sender", p.Sender)...)
	vs = append(vs, ContentViolations("content", p.Content, true)...)
	return vs
}

// Classification is what intake decides about a petition on receipt (DOMAIN.md, "Petition
// classification").
type Classification struct {
	// Kind is the single content's kind, or MULTI_CONTENT when the contents differ in kind.
	Kind commonv1.PetitionKind
	// Field is the first content's field, the one the petition is counted under.
	Field commonv1.Field
	// Crowd: signed by CrowdSize or more people (Luật TCD Đ29).
	Crowd bool
	// Anonymous: neither a name nor an identity number (Luật TC Đ25). An anonymous denunciation is
	// flagged so that processing does not accept it as a denunciation.
	Anonymous bool
}

// Classify classifies a valid petition.
func (p Petition) Classify() Classification {
	c := Classification{
		Crowd:     p.SignatoryCount >= CrowdSize,
		Anonymous: NameOf(p.Sender) == "" && p.Sender.GetIdNumber() == "",
	}
	for i, ct := range p.Contents {
		switch {
		case i == 0:
			c.Kind, c.Field = ct.GetKind(), ct.GetField()
		case ct.GetKind() != c.Kind:
			c.Kind = commonv1.PetitionKind_PETITION_KIND_MULTI_CONTENT
		}
	}
	return c
}

// NameOf is a person's name if it has any letters or digits, else "": a name of blanks or
// punctuation identifies nobody.
func NameOf(pd *personv1.PersonalData) string {
	name := pd.GetFullName()
	// An ASCII letter or digit survives the fold, so a name with one needs no fold; any other name
	// is folded, which can find a letter ("²" folds to "2") or lose one ("ͺ" folds to a mark).
	if strings.IndexFunc(name, func(r rune) bool { return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) }) >= 0 {
		return name
	}
	if seal.NormalizeMatter(name) == "" {
		return ""
	}
	return name
}

// HasPersonalData tells whether any personal field is filled, i.e. whether there is anything to seal.
func HasPersonalData(pd *personv1.PersonalData) bool {
	return pd.GetFullName() != "" || pd.GetIdNumber() != "" || pd.GetAddress() != "" || pd.GetPhone() != "" || pd.GetEmail() != ""
}

// Identity is how a petition's sender is known without clear data.
type Identity struct {
	// SenderRef is the pseudonymous reference sealed data is keyed by; the same person (by
	// identity number) gets the same one every time.
	SenderRef string
	// IDNumberIndex, NameIndex and MatterIndex are blind indexes in hex; empty when the value was
	// not given.
	IDNumberIndex string
	NameIndex     string
	MatterIndex   string
}

// Repeat says that a petition repeats an earlier one.
type Repeat struct {
	// Of is the original petition (the case).
	Of string
	// Number is how many times the matter has now been received.
	Number int32
}

// Registered is the event recording a petition, without any personal data: that is sealed
// beside it. A repeat opens no case.
func (p Petition) Registered(id, receipt string, c Classification, who Identity, repeat *Repeat) *intakev1.PetitionRegistered {
	e := &intakev1.PetitionRegistered{
		PetitionId:         id,
		ReceiptNumber:      receipt,
		UnitCode:           p.UnitCode,
		ReceivedOn:         dateProto(p.ReceivedOn),
		WrittenOn:          dateProto(p.WrittenOn),
		Source:             p.Source,
		ForwardedBy:        p.ForwardedBy,
		SenderType:         p.SenderType,
		SignatoryCount:     p.SignatoryCount,
		Crowd:              c.Crowd,
		Kind:               c.Kind,
		Field:              c.Field,
		Contents:           p.Contents,
		RespondentUnitCode: p.RespondentUnitCode,
		Anonymous:          c.Anonymous,
		SenderRef:          who.SenderRef,
		IdNumberIndex:      who.IDNumberIndex,
		NameIndex:          who.NameIndex,
		MatterIndex:        who.MatterIndex,
		RepeatNumber:       1,
		VisitId:            p.VisitID,
		AttachmentKinds:    p.AttachmentKinds,
		DecisionKnownOn:    dateProto(p.DecisionKnownOn),
		ComplaintInstance:  p.ComplaintInstance,
	}
	if repeat != nil {
		e.DuplicateOf, e.RepeatNumber = repeat.Of, repeat.Number
	}
	return e
}
