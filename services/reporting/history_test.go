package reporting_test

import (
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/eventstore"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

// Unit codes of the hand-made history (a slice of the demo registry).
const (
	city     = "NT.PRTC"
	kinhDinh = "NT.PRTC.KD"
	phuHa    = "NT.PRTC.PH"
)

const (
	complaint      = commonv1.PetitionKind_PETITION_KIND_COMPLAINT
	denunciation   = commonv1.PetitionKind_PETITION_KIND_DENUNCIATION
	recommendation = commonv1.PetitionKind_PETITION_KIND_RECOMMENDATION
	feedback       = commonv1.PetitionKind_PETITION_KIND_FEEDBACK
	multi          = commonv1.PetitionKind_PETITION_KIND_MULTI_CONTENT
	policy         = commonv1.Field_FIELD_ADMIN_POLICY
	land           = commonv1.Field_FIELD_ADMIN_LAND_HOUSING
	officials      = commonv1.Field_FIELD_ADMIN_OFFICIALS
	judicial       = commonv1.Field_FIELD_JUDICIAL
	party          = commonv1.Field_FIELD_PARTY
	corruption     = commonv1.Field_FIELD_CORRUPTION
	otherField     = commonv1.Field_FIELD_OTHER
)

func petitionAgg(name string) eventstore.Aggregate {
	return eventstore.Aggregate{Type: "petition", ID: id(name)}
}
func caseAgg(name string) eventstore.Aggregate {
	return eventstore.Aggregate{Type: "case", ID: id(name)}
}

// registered is intake's PetitionRegistered, without the sealed personal data reporting never reads.
func (w *world) registered(name, unit, on string, kind commonv1.PetitionKind, field commonv1.Field, opts ...func(*intakev1.PetitionRegistered)) {
	e := &intakev1.PetitionRegistered{PetitionId: id(name), ReceiptNumber: "PRTC-" + name, UnitCode: unit, ReceivedOn: day(on), WrittenOn: day(on),
		Source: commonv1.Source_SOURCE_POST, SenderType: commonv1.SenderType_SENDER_TYPE_INDIVIDUAL, SignatoryCount: 1, Kind: kind, Field: field,
		Contents: []*intakev1.PetitionContent{{Kind: kind, Field: field}}, SenderRef: "subj-" + name, RepeatNumber: 1}
	for _, o := range opts {
		o(e)
	}
	w.append(petitionAgg(name), on, e)
}

// processed is routing's processing commit: the classification and the action in one commit.
func (w *world) processed(name, unit, on string, kind commonv1.PetitionKind, field commonv1.Field, eligible bool, instance int32, action proto.Message) {
	within := false
	if _, ok := action.(*routingv1.CaseAccepted); ok {
		within = true
	}
	w.append(caseAgg(name), on, &routingv1.PetitionClassified{CaseId: id(name), UnitCode: unit, ProcessedOn: day(on), Kind: kind, Field: field,
		Eligible: eligible, WithinCompetence: within, ComplaintInstance: instance}, action)
}

func accept(name, unit, on string, kind commonv1.PetitionKind, instance int32, repeatOf string) *routingv1.CaseAccepted {
	e := &routingv1.CaseAccepted{CaseId: id(name), UnitCode: unit, AcceptedOn: day(on), Kind: kind, ComplaintInstance: instance}
	if repeatOf != "" {
		e.RepeatOf = id(repeatOf)
	}
	return e
}

func (w *world) step(name, on string, events ...proto.Message) {
	w.append(caseAgg(name), on, events...)
}

// history writes the hand-made history of testdata/expected.yaml, which explains every number.
func (w *world) history() {
	// The units: the city, two wards, their People's Council standing committees and the city office.
	w.unit(city, "Thành phố Phan Rang–Tháp Chàm", unitv1.UnitKind_UNIT_KIND_CITY, "")
	w.unit(kinhDinh, "Phường Kinh Dinh", unitv1.UnitKind_UNIT_KIND_WARD, city)
	w.unit(phuHa, "Phường Phủ Hà", unitv1.UnitKind_UNIT_KIND_WARD, city)
	w.unit(city+".TTHDND", "Thường trực Hội đồng nhân dân thành phố Phan Rang–Tháp Chàm", unitv1.UnitKind_UNIT_KIND_COUNCIL_STANDING_COMMITTEE, city)
	w.unit(city+".VP", "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân thành phố Phan Rang–Tháp Chàm", unitv1.UnitKind_UNIT_KIND_OFFICE, city)
	w.unit(kinhDinh+".TTHDND", "Thường trực Hội đồng nhân dân phường Kinh Dinh", unitv1.UnitKind_UNIT_KIND_COUNCIL_STANDING_COMMITTEE, kinhDinh)
	w.unit(phuHa+".TTHDND", "Thường trực Hội đồng nhân dân phường Phủ Hà", unitv1.UnitKind_UNIT_KIND_COUNCIL_STANDING_COMMITTEE, phuHa)

	// Kinh Dinh.
	w.registered("K1", kinhDinh, "2024-12-20", complaint, land)
	w.processed("K1", kinhDinh, "2024-12-27", complaint, land, true, 1, accept("K1", kinhDinh, "2024-12-27", complaint, 1, ""))
	w.step("K1", "2025-01-20", &routingv1.ComplaintDecisionIssued{CaseId: id("K1"), DecidedOn: day("2025-01-20"), ComplaintInstance: 1,
		Finding: routingv1.ComplaintFinding_COMPLAINT_FINDING_RIGHT, OnTime: true, DecisionNumber: "12/QĐ-UBND",
		Remedies: &routingv1.Remedies{ReturnIndividualsMoneyVnd: 15_500_000, ReturnIndividualsLandM2: 120.5, IndividualsRestored: 1}})
	w.step("K1", "2025-04-10", &routingv1.DecisionExecuted{CaseId: id("K1"), ExecutedOn: day("2025-04-10"),
		Achieved: &routingv1.Remedies{ReturnIndividualsMoneyVnd: 15_500_000, ReturnIndividualsLandM2: 120.5, IndividualsRestored: 1}})

	// K2 is received the week before Tết (holiday 25/1–2/2/2025) and processed after it.
	w.registered("K2", kinhDinh, "2025-01-22", complaint, policy)
	w.processed("K2", kinhDinh, "2025-02-05", complaint, policy, true, 1, accept("K2", kinhDinh, "2025-02-05", complaint, 1, ""))
	w.step("K2", "2025-03-20", &routingv1.ComplaintDecisionIssued{CaseId: id("K2"), DecidedOn: day("2025-03-20"), ComplaintInstance: 1,
		Finding: routingv1.ComplaintFinding_COMPLAINT_FINDING_WRONG, OnTime: false})

	w.registered("K3", kinhDinh, "2025-02-10", complaint, officials)
	w.processed("K3", kinhDinh, "2025-02-14", complaint, officials, true, 1, &routingv1.PetitionGuided{CaseId: id("K3"), ToUnitCode: city, GuidedOn: day("2025-02-14")})

	w.registered("K4", kinhDinh, "2025-02-20", denunciation, corruption)
	w.processed("K4", kinhDinh, "2025-02-26", denunciation, corruption, true, 0, accept("K4", kinhDinh, "2025-02-26", denunciation, 0, ""))
	w.step("K4", "2025-04-15", &routingv1.DenunciationConcluded{CaseId: id("K4"), ConcludedOn: day("2025-04-15"),
		Finding: routingv1.DenunciationFinding_DENUNCIATION_FINDING_PARTLY_TRUE, OnTime: true,
		Remedies: &routingv1.Remedies{RecoverStateMoneyVnd: 200_000_000, CasesToInvestigators: 1, PeopleToInvestigators: 2, OfficialsToInvestigators: 1}})

	w.registered("K5", kinhDinh, "2025-03-05", denunciation, land)
	w.processed("K5", kinhDinh, "2025-03-10", denunciation, land, true, 0,
		&routingv1.PetitionForwarded{CaseId: id("K5"), ToUnitCode: city, ForwardedOn: day("2025-03-10"), FromUnitCode: kinhDinh})
	w.processed("K5", city, "2025-03-17", denunciation, land, true, 0, accept("K5", city, "2025-03-17", denunciation, 0, ""))
	w.step("K5", "2025-04-02", &routingv1.ReplyReceived{CaseId: id("K5"), ReceivedOn: day("2025-04-02")})

	w.registered("K6", kinhDinh, "2025-03-12", feedback, policy)
	w.processed("K6", kinhDinh, "2025-03-20", feedback, policy, true, 0, accept("K6", kinhDinh, "2025-03-20", feedback, 0, ""))

	w.registered("K7", kinhDinh, "2025-03-13", complaint, land, func(e *intakev1.PetitionRegistered) {
		e.DuplicateOf, e.RepeatNumber = id("K1"), 2
	})
	w.append(petitionAgg("K1"), "2025-03-13", &intakev1.RepeatPetitionReceived{PetitionId: id("K1"), RepeatPetitionId: id("K7"), ReceivedOn: day("2025-03-13"), RepeatNumber: 2})

	w.registered("K8", kinhDinh, "2025-01-06", multi, otherField)
	w.processed("K8", kinhDinh, "2025-01-10", multi, otherField, false, 0,
		&routingv1.PetitionFiledAway{CaseId: id("K8"), FiledOn: day("2025-01-10"), Reason: routingv1.FilingReason_FILING_REASON_ILLEGIBLE})

	w.registered("K10", kinhDinh, "2025-04-01", complaint, policy)
	w.processed("K10", kinhDinh, "2025-04-08", complaint, policy, true, 1, accept("K10", kinhDinh, "2025-04-08", complaint, 1, ""))
	w.step("K10", "2025-05-05", &routingv1.PetitionWithdrawn{CaseId: id("K10"), WithdrawnOn: day("2025-05-05")})

	w.registered("K11", kinhDinh, "2025-05-15", recommendation, otherField)

	// Phủ Hà.
	w.registered("P1", phuHa, "2024-12-16", complaint, policy)
	w.processed("P1", phuHa, "2024-12-23", complaint, policy, true, 1, accept("P1", phuHa, "2024-12-23", complaint, 1, ""))
	w.step("P1", "2025-02-25", &routingv1.ComplaintDecisionIssued{CaseId: id("P1"), DecidedOn: day("2025-02-25"), ComplaintInstance: 1,
		Finding: routingv1.ComplaintFinding_COMPLAINT_FINDING_PARTLY_RIGHT, OnTime: true,
		Remedies: &routingv1.Remedies{ReturnOrganisationsMoneyVnd: 2_000_000, OrganisationsRestored: 1, PeopleSanctioned: 1, OfficialsSanctioned: 1}})

	w.registered("P2", phuHa, "2025-01-15", denunciation, officials)
	w.processed("P2", phuHa, "2025-01-20", denunciation, officials, true, 0, accept("P2", phuHa, "2025-01-20", denunciation, 0, ""))

	w.registered("P3", phuHa, "2025-02-03", recommendation, land)
	w.processed("P3", phuHa, "2025-02-10", recommendation, land, true, 0,
		&routingv1.PetitionForwarded{CaseId: id("P3"), ToUnitCode: city, ForwardedOn: day("2025-02-10"), FromUnitCode: phuHa})
	w.processed("P3", city, "2025-02-17", recommendation, land, true, 0, accept("P3", city, "2025-02-17", recommendation, 0, ""))

	w.registered("P4", phuHa, "2025-03-14", complaint, judicial)
	w.processed("P4", phuHa, "2025-03-18", complaint, judicial, false, 1,
		&routingv1.PetitionFiledAway{CaseId: id("P4"), FiledOn: day("2025-03-18"), Reason: routingv1.FilingReason_FILING_REASON_EXPIRED})

	w.registered("P5", phuHa, "2025-05-02", denunciation, party)
	w.processed("P5", phuHa, "2025-05-08", denunciation, party, true, 0, accept("P5", phuHa, "2025-05-08", denunciation, 0, ""))
	w.step("P5", "2025-06-01", &routingv1.CaseTerminated{CaseId: id("P5"), TerminatedOn: day("2025-06-01"), Reason: "the denounced official died"})

	w.registered("P6", phuHa, "2025-06-20", complaint, policy)

	w.registered("P7", phuHa, "2025-02-27", complaint, policy)
	w.step("P7", "2025-03-04", &routingv1.PetitionWithdrawn{CaseId: id("P7"), WithdrawnOn: day("2025-03-04")})

	// The city.
	w.registered("C1", city, "2025-03-03", complaint, policy, func(e *intakev1.PetitionRegistered) { e.ComplaintInstance = 2 })
	w.processed("C1", city, "2025-03-07", complaint, policy, true, 2, accept("C1", city, "2025-03-07", complaint, 2, ""))
	w.step("C1", "2025-05-20", &routingv1.ComplaintDecisionIssued{CaseId: id("C1"), DecidedOn: day("2025-05-20"), ComplaintInstance: 2,
		Finding: routingv1.ComplaintFinding_COMPLAINT_FINDING_UPHELD, OnTime: true})

	w.registered("C2", city, "2025-05-06", denunciation, corruption)
	w.processed("C2", city, "2025-05-09", denunciation, corruption, true, 0, accept("C2", city, "2025-05-09", denunciation, 0, "K4"))

	w.registered("C3", city, "2025-06-10", complaint, land)

	// Reception sessions.
	s1 := eventstore.Aggregate{Type: "session", ID: id("S1")}
	w.append(s1, "2025-01-08", &intakev1.ReceptionSessionOpened{SessionId: id("S1"), UnitCode: kinhDinh, Kind: intakev1.SessionKind_SESSION_KIND_REGULAR,
		HeldOn: day("2025-01-08"), HostPosition: "Cán bộ tiếp công dân"})
	w.visit(s1, "S1", "v1", kinhDinh, "2025-01-08", intakev1.SessionKind_SESSION_KIND_REGULAR, 2, false, false)
	w.visit(s1, "S1", "v2", kinhDinh, "2025-01-08", intakev1.SessionKind_SESSION_KIND_REGULAR, 6, true, false)
	w.visit(s1, "S1", "v3", kinhDinh, "2025-01-08", intakev1.SessionKind_SESSION_KIND_REGULAR, 1, false, true)
	w.append(s1, "2025-01-08", &intakev1.ReceptionSessionClosed{SessionId: id("S1"), UnitCode: kinhDinh, VisitCount: 3})

	s2 := eventstore.Aggregate{Type: "session", ID: id("S2")}
	w.append(s2, "2025-02-12", &intakev1.ReceptionSessionOpened{SessionId: id("S2"), UnitCode: city, Kind: intakev1.SessionKind_SESSION_KIND_HEAD_PERIODIC,
		HeldOn: day("2025-02-12"), HostPosition: "Chủ tịch UBND thành phố"})
	w.visit(s2, "S2", "v4", city, "2025-02-12", intakev1.SessionKind_SESSION_KIND_HEAD_PERIODIC, 1, false, false)
	// A visit whose session kind was not copied: reporting finds it from the session.
	w.visit(s2, "S2", "v5", city, "2025-02-12", intakev1.SessionKind_SESSION_KIND_UNSPECIFIED, 8, true, true)

	s3 := eventstore.Aggregate{Type: "session", ID: id("S3")}
	w.append(s3, "2025-04-16", &intakev1.ReceptionSessionOpened{SessionId: id("S3"), UnitCode: phuHa, Kind: intakev1.SessionKind_SESSION_KIND_DELEGATED,
		HeldOn: day("2025-04-16"), HostPosition: "Phó Chủ tịch UBND phường"})
	w.visit(s3, "S3", "v6", phuHa, "2025-04-16", intakev1.SessionKind_SESSION_KIND_DELEGATED, 3, false, false)

	// The reorganisation: Phủ Hà (and its standing committee) merge into Kinh Dinh on 2025-07-01.
	w.merge(phuHa+".TTHDND", kinhDinh+".TTHDND", "2025-07-01")
	w.merge(phuHa, kinhDinh, "2025-07-01")
}

func (w *world) visit(agg eventstore.Aggregate, session, name, unit, on string, kind intakev1.SessionKind, people int32, crowd, repeat bool) {
	w.append(agg, on, &intakev1.VisitRecorded{SessionId: id(session), VisitId: id(name), UnitCode: unit, HeldOn: day(on), PeopleCount: people,
		Crowd: crowd, Kind: complaint, Field: land, Repeat: repeat, VisitorRef: "subj-" + name, SessionKind: kind})
}
